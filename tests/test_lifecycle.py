"""`apkdepot serve` as an operator runs it: ready before it answers, stops when
told (even while starting), never outlives its main process, replaces a dead
worker, and refuses a port another server holds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import state, wait_for
from tests.test_server import healthy, launch, start_server, stop


def port_closed(base: str) -> bool:
    host, port = base.removeprefix("http://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isascii() and entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def test_cache_loads_before_the_first_answer(svc):
    from apkdepot.index.cache import IndexCache
    from tests.helpers import make_developer
    from apkdepot.catalog import stores

    owner, _ = make_developer(svc)
    stores.create_store(svc, owner.id, {"name": "early"})
    cache = IndexCache(svc)
    assert not cache.ready
    assert cache.get("early") is not None  # the first read waits for the load instead of answering "no store"
    assert cache.ready


def test_healthz_is_503_until_the_catalog_is_loaded(client):
    runtime = state(client).runtime
    assert client.get("/healthz").status_code == 200
    runtime.cache._clock = -1  # as in a worker that has not loaded yet
    runtime.cache._probed_at = float("inf")
    try:
        not_ready = client.get("/healthz")
        assert not_ready.status_code == 503 and not_ready.json()["errors"][0]["code"] == "SYS-3"
    finally:
        runtime.cache.refresh(force=True)
    assert client.get("/healthz").status_code == 200


def test_every_worker_knows_every_store_from_its_first_answer(tmp_path):
    # Fresh starts, then at once many requests spread over both workers.
    for attempt in range(3):
        process, base = start_server(tmp_path / f"data{attempt}", tmp_path / f"s{attempt}.log", workers=2)
        try:
            with httpx.Client(base_url=base) as client:
                statuses = {client.get("/repo/demo/info.xml", headers={"Connection": "close"}).status_code
                            for _ in range(40)}
            assert statuses == {200}
        finally:
            stop(process)


def test_sigterm_while_starting_stops_everything(tmp_path):
    process, base = launch(tmp_path / "data", tmp_path / "s.log", workers=2)
    wait_for(lambda: "Spawning" in (tmp_path / "s.log").read_text() or process.poll() is not None,
             "Granian to start spawning workers")
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    assert port_closed(base)
    assert not children_of(process.pid)


def test_sigkill_of_the_main_process_takes_the_workers_down(tmp_path):
    process, base = start_server(tmp_path / "data", tmp_path / "s.log", workers=2)
    workers = children_of(process.pid)
    assert len(workers) >= 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    wait_for(lambda: port_closed(base), "the orphaned workers to stop answering")
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), "the orphaned workers to exit")


def test_a_dead_worker_is_replaced(tmp_path):
    process, base = start_server(tmp_path / "data", tmp_path / "s.log", workers=2)
    try:
        before = children_of(process.pid)
        victim = httpx.get(base + "/healthz").json()["pid"]
        assert victim in before
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(children_of(process.pid) - before) >= 1 and healthy(base), "a replacement worker")
        answered = {httpx.get(base + "/healthz", headers={"Connection": "close"}).json()["pid"] for _ in range(20)}
        assert victim not in answered
        assert httpx.get(base + "/repo/demo/info.xml").status_code == 200
    finally:
        stop(process)


def test_second_server_on_a_busy_port_is_refused(tmp_path):
    process, base = start_server(tmp_path / "data", tmp_path / "s.log", workers=1)
    try:
        port = base.rsplit(":", 1)[1]
        result = subprocess.run([sys.executable, "-m", "apkdepot.cli", "serve", "--data", str(tmp_path / "other"),
                                 "--port", port], capture_output=True, text=True, timeout=120)
        assert result.returncode == 2
        assert "cannot listen on 127.0.0.1:" in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "other" / "apkdepot.sqlite3").exists()
    finally:
        stop(process)


def test_serve_demo_prints_the_demo_token(tmp_path):
    process, base = start_server(tmp_path / "data", tmp_path / "s.log", workers=1)
    try:
        log = (tmp_path / "s.log").read_text()
        token = log.split("dev token: ", 1)[1].split()[0]
        assert len(token) == 40
        listed = httpx.get(base + "/api/stores", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200 and [s["name"] for s in listed.json()["stores"]] == ["demo"]
    finally:
        stop(process)


