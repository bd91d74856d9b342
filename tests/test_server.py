"""The real thing: `apkdepot serve` under Granian with several workers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import WAIT_CAP_SECONDS, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def launch(data: Path, log_path: Path, workers: int = 2, port: int | None = None, demo: bool = True,
           extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Starts `apkdepot serve`; returns at once (see start_server to wait for it)."""
    port = port or free_port()
    env = {**os.environ, "APKDEPOT_PASSWORD_MEMORY_KIB": "1024", **(extra_env or {})}
    env.pop("APKDEPOT_DATABASE_URL", None)
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "apkdepot.cli", "serve", *(["--demo"] if demo else []), "--data", str(data),
         "--port", str(port), "--workers", str(workers)], stdout=log, stderr=subprocess.STDOUT, env=env)
    return process, f"http://127.0.0.1:{port}"


def start_server(data: Path, log_path: Path, workers: int = 2, **kw) -> tuple[subprocess.Popen, str]:
    """A server that is up: waits for readiness (or for the process to die)."""
    process, base = launch(data, log_path, workers, **kw)

    def up_or_dead() -> bool:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n" + log_path.read_text())
        return healthy(base)

    try:
        wait_for(up_or_dead, "the server to answer /healthz", interval=0.1)
    except AssertionError:
        process.kill()
        raise AssertionError("server did not come up:\n" + log_path.read_text()) from None
    return process, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=WAIT_CAP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture
def server(tmp_path):
    process, base = start_server(tmp_path / "data", tmp_path / "server.log")
    yield base, tmp_path / "data"
    stop(process)


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
        # The delta from the first index is a kept file Granian sends itself (ASGI pathsend):
        # the same bytes plain and gzipped, with its length, and a HEAD without a body.
        old = hashlib.md5(demo.content).hexdigest()
        assert client.delete("/api/stores/demo/apps/org.apkdepot.beta",
                             headers={"Authorization": f"Bearer {token}"}).status_code in (200, 204)

        def new_version_served() -> bool:
            return client.get("/api/7/store/getMeta/store_name=demo").json()["data"]["hash"] != old

        wait_for(new_version_served, "the new index version to be served")
        plain = client.get(f"/repo/demo/info.xml?hash={old}", headers={"Accept-Encoding": "identity"})
        packed = client.get(f"/repo/demo/info.xml?hash={old}", headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == packed.status_code == 200
        assert b"<delta>" in plain.content and packed.headers["content-encoding"] == "gzip"
        assert packed.content == plain.content and int(plain.headers["content-length"]) == len(plain.content)
        head = client.head(f"/repo/demo/info.xml?hash={old}", headers={"Accept-Encoding": "identity"})
        assert head.status_code == 200 and head.headers["content-length"] == plain.headers["content-length"]
        assert head.content == b"" 


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
        meta = wait_for(lambda: (m := httpx.get(base_two + "/api/7/store/getMeta/store_name=twin").json())
                        ["info"]["status"] == "OK" and m, "the other server to see the new store")
        held = meta["data"]["hash"]
        with fixture("gamma-5.apk").open("rb") as fh:
            published = httpx.post(base_one + "/api/stores/twin/apks", files={"apk": ("g.apk", fh)},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert published.status_code == 201, published.text
        # (How fast is a figure for bench/publish.py; here: that it happens.)
        answer = wait_for(lambda: (a := httpx.get(f"{base_two}/webservices/listRepositoryChange/twin/{held}/json",
                                                  params={"token": token}).json())
                          ["listing"][0]["hasupdates"] == "TRUE" and a, "the other server to see the publish")
        assert answer["listing"][0] == {"repo": "twin", "hasupdates": "TRUE", "added": 1, "removed": 0}
        new_hash = httpx.get(base_two + "/api/7/store/getMeta/store_name=twin").json()["data"]["hash"]
        body = httpx.get(base_one + "/repo/twin/info.xml", headers={"Accept-Encoding": "identity"}).content
        assert hashlib.md5(body).hexdigest() == new_hash != held
    finally:
        for process in (first, second):
            stop(process)


def test_two_server_processes_share_the_app_list_rate_limit(tmp_path):
    data = tmp_path / "data"
    first, base_one = start_server(data, tmp_path / "one.log", workers=1)
    second, base_two = start_server(data, tmp_path / "two.log", workers=1)
    try:
        result = subprocess.run([sys.executable, "-m", "apkdepot.cli", "token", "create", "--data", str(data),
                                 "--email", "demo@apkdepot.localhost", "--name", "shared"],
                                capture_output=True, text=True, check=True)
        assert "shown only now" in result.stderr
        # Minute windows are aligned to the clock. A burst that straddles a
        # minute boundary proves nothing: it is repeated with a fresh token.
        for attempt in range(5):
            if attempt:
                token = subprocess.run([sys.executable, "-m", "apkdepot.cli", "token", "create", "--data", str(data),
                                        "--email", "demo@apkdepot.localhost", "--name", f"shared-{attempt}"],
                                       capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            else:
                token = result.stdout.strip().splitlines()[-1]
            minute = int(time.time() // 60)
            statuses = [httpx.get((base_one if i % 2 else base_two) + "/api/mng/apps",
                                  headers={"Authorization": f"Bearer {token}"}).status_code for i in range(21)]
            if int(time.time() // 60) == minute:
                break
        assert len(token) > 700
        assert statuses == [200] * 20 + [429]
        body = httpx.get(base_one + "/api/mng/apps", headers={"Authorization": f"Bearer {token}"})
        assert body.status_code == 429 and int(body.headers["retry-after"]) <= 60
    finally:
        for process in (first, second):
            stop(process)


def _fresh(base: str):
    """A client that opens a new connection per request, so requests spread over the workers."""
    return httpx.Client(base_url=base, headers={"Connection": "close"})


def test_regenerated_dev_token_stops_working_on_every_worker(server):
    import hashlib

    base, _ = server
    passhash = hashlib.sha1(b"demo-pass1").hexdigest()
    with _fresh(base) as client:
        old = client.post("/webservices/2/checkUserCredentials", data={"user": "demo@apkdepot.localhost",
                                                                     "passhash": passhash}).json()["token"]
        url = "/webservices/2/listRepositoryChange/demo/" + "0" * 32 + "/json"
        # Every worker answers the old token (and so holds it in its cache).
        accepted_by: set[int] = set()

        def both_workers_accept() -> bool:
            assert client.get(url, params={"token": old}).json()["status"] == "OK"
            accepted_by.add(client.get("/healthz").json()["pid"])
            return len(accepted_by) == 2

        wait_for(both_workers_accept, "both workers to answer")
        new = client.post("/webservices/2/regenerateToken", data={"token": old}).json()["token"]
        assert new != old

        def old_refused_everywhere() -> bool:
            answers = [client.get(url, params={"token": old}).json() for _ in range(20)]
            return all([e["code"] for e in a.get("errors", [])] == ["IARG-2"] for a in answers)

        wait_for(old_refused_everywhere, "the old token to fail on every worker")
        assert all(client.get(url, params={"token": new}).json()["status"] == "OK" for _ in range(20))


def test_metrics_with_several_workers(server):
    base, _ = server
    with _fresh(base) as client:
        for _ in range(40):
            client.get("/repo/demo/info.xml")
        scrapes: dict[str, str] = {}

        def both_workers_scraped() -> bool:
            text = client.get("/metrics").text
            pid = text.split('apkdepot_process_info{pid="', 1)[1].split('"', 1)[0]
            scrapes[pid] = text
            return len(scrapes) == 2

        wait_for(both_workers_scraped, "a scrape from each worker")
    total = 0
    for pid, text in scrapes.items():
        lines = [line for line in text.splitlines()
                 if line.startswith("apkdepot_http_requests_total{") and 'route="/repo/{store_name}/info.xml"' in line]
        assert all(f'pid="{pid}"' in line for line in lines)  # each worker reports only itself
        total += sum(int(line.rsplit(" ", 1)[1]) for line in lines)
    assert total == 40
