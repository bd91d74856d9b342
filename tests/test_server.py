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


def start_server(data: Path, log_path: Path, workers: int = 2) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "APKDEPOT_PASSWORD_MEMORY_KIB": "1024"}
    env.pop("APKDEPOT_DATABASE_URL", None)
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "apkdepot.cli", "serve", "--demo", "--data", str(data), "--port", str(port),
         "--workers", str(workers)], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("server did not come up:\n" + log_path.read_text())


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


def test_two_server_processes_agree_within_one_second(tmp_path):
    """Publish through one server; the other (its own process, same data)
    reports the new hash within one second."""
    import hashlib

    from tests.helpers import fixture

    data = tmp_path / "data"
    first, base_one = start_server(data, tmp_path / "one.log", workers=1)
    second, base_two = start_server(data, tmp_path / "two.log", workers=1)
    try:
        passhash = hashlib.sha1(b"demo-pass1").hexdigest()
        token = httpx.post(base_one + "/webservices/2/checkUserCredentials",
                           data={"user": "demo@apkdepot.localhost", "passhash": passhash}).json()["token"]
        created = httpx.post(base_one + "/api/stores", json={"name": "twin"}, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201
        deadline = time.monotonic() + 5
        while (meta := httpx.get(base_two + "/api/7/store/getMeta/store_name=twin").json())["info"]["status"] != "OK":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        held = meta["data"]["hash"]
        with fixture("gamma-5.apk").open("rb") as fh:
            published = httpx.post(base_one + "/api/stores/twin/apks", files={"apk": ("g.apk", fh)},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert published.status_code == 201, published.text
        started = time.monotonic()
        while True:
            answer = httpx.get(f"{base_two}/webservices/listRepositoryChange/twin/{held}/json",
                               params={"token": token}).json()
            if answer["listing"][0]["hasupdates"] == "TRUE":
                break
            assert time.monotonic() - started < 1.0, "the other server did not see the publish within one second"
            time.sleep(0.02)
        assert answer["listing"][0] == {"repo": "twin", "hasupdates": "TRUE", "added": 1, "removed": 0}
        new_hash = httpx.get(base_two + "/api/7/store/getMeta/store_name=twin").json()["data"]["hash"]
        body = httpx.get(base_one + "/repo/twin/info.xml", headers={"Accept-Encoding": "identity"}).content
        assert hashlib.md5(body).hexdigest() == new_hash != held
    finally:
        for process in (first, second):
            process.terminate()
            process.wait(timeout=20)


def test_two_server_processes_share_the_app_list_rate_limit(tmp_path):
    data = tmp_path / "data"
    first, base_one = start_server(data, tmp_path / "one.log", workers=1)
    second, base_two = start_server(data, tmp_path / "two.log", workers=1)
    try:
        result = subprocess.run([sys.executable, "-m", "apkdepot.cli", "token", "create", "--data", str(data),
                                 "--email", "demo@apkdepot.localhost", "--name", "shared"],
                                capture_output=True, text=True, check=True)
        token = result.stdout.strip().splitlines()[-1]
        assert len(token) > 700 and "shown only now" in result.stderr
        # Minute windows are aligned to the clock: start well inside one.
        if time.time() % 60 > 50:
            time.sleep(61 - time.time() % 60)
        statuses = [httpx.get((base_one if i % 2 else base_two) + "/api/mng/apps",
                              headers={"Authorization": f"Bearer {token}"}).status_code for i in range(21)]
        assert statuses == [200] * 20 + [429]
        body = httpx.get(base_one + "/api/mng/apps", headers={"Authorization": f"Bearer {token}"})
        assert body.status_code == 429 and int(body.headers["retry-after"]) <= 60
    finally:
        for process in (first, second):
            process.terminate()
            process.wait(timeout=20)
