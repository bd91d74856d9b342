"""The real thing: `apkdepot serve` under Granian with several workers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "APKDEPOT_PASSWORD_MEMORY_KIB": "1024"}
    env.pop("APKDEPOT_DATABASE_URL", None)
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "apkdepot.cli", "serve", "--demo", "--data", str(tmp_path / "data"),
         "--port", str(port), "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("server did not come up:\n" + Path(tmp_path / "server.log").read_text())
    yield base, tmp_path / "data"
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_serve_answers_and_all_workers_share_tokens(server):
    base, data = server
    from apkdepot.cli import main

    assert main(["developer", "create", "--data", str(data), "--email", "w@example.com",
                 "--password", "abcdefg1", "--name", "W"]) == 0
    import hashlib

    passhash = hashlib.sha1(b"abcdefg1").hexdigest()
    tokens = set()
    with httpx.Client(base_url=base) as client:
        for _ in range(8):  # spread over both workers
            body = client.post("/webservices/2/checkUserCredentials", data={"user": "w@example.com", "passhash": passhash}).json()
            tokens.add(body["token"])
        assert len(tokens) == 1
        demo = client.post("/webservices/2/checkUserCredentials",
                           data={"user": "demo@apkdepot.localhost", "passhash": hashlib.sha1(b"demo-pass1").hexdigest()}).json()
        assert demo["status"] == "OK"


def test_demo_store_and_cli_upload_over_http(server, tmp_path):
    base, data = server
    from apkdepot.cli import main
    from tests.helpers import fixture, index_entries_of

    with httpx.Client(base_url=base) as client:
        demo = client.get("/repo/demo/info.xml")
        assert demo.status_code == 200
        assert index_entries_of(demo.content) == {"org.apkdepot.alpha": 2, "org.apkdepot.beta": 10,
                                                  "org.apkdepot.gamma": 6}
        import hashlib

        token = client.post("/webservices/2/checkUserCredentials", data={
            "user": "demo@apkdepot.localhost", "passhash": hashlib.sha1(b"demo-pass1").hexdigest()}).json()["token"]
    result = subprocess.run(
        [sys.executable, "-m", "apkdepot.cli", "publish", "--server", base, "--token", token, "--store", "demo",
         str(fixture("gamma-5.apk")), str(fixture("unsigned.apk"))], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1  # one of the two was refused
    assert "100%" in result.stderr and "published org.apkdepot.gamma 5.0 (5)" in result.stderr
    assert "APK-4: The APK is not signed." in result.stderr
    with httpx.Client(base_url=base) as client:
        listed = client.get("/api/stores/demo/apks", headers={"Authorization": f"Bearer {token}"}).json()["apks"]
    assert ("org.apkdepot.gamma", 5) in {(a["package"], a["version_code"]) for a in listed}
