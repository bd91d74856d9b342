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
