"""A webhook receiver gets every event exactly once across a server restart:
deliveries wait in the database while the receiver is down and the server is
stopped, and two worker processes never send the same one."""

from __future__ import annotations

import hashlib

import httpx

from tests.helpers import fixture, wait_for
from tests.test_server import start_server, stop
from tests.webhooks.receiver import Receiver

SETTINGS = {"APKDEPOT_WEBHOOK_ALLOW_HTTP": "1", "APKDEPOT_WEBHOOK_ALLOW_PRIVATE": "1",
            "APKDEPOT_WEBHOOK_FIRST_RETRY_SECONDS": "1"}


def publish(client: httpx.Client, token: str, name: str) -> None:
    with fixture(name).open("rb") as fh:
        answer = client.post("/api/stores/demo/apks", files={"apk": (name, fh, "application/octet-stream")},
                             headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text


def log_of(client: httpx.Client, token: str, hook_id: int) -> list[dict]:
    answer = client.get(f"/api/stores/demo/webhooks/{hook_id}/deliveries?limit=200",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["deliveries"]


def test_every_event_exactly_once_across_a_restart(tmp_path):
    data = tmp_path / "data"
    with Receiver() as receiver:
        receiver.answer = 503  # down for now
        process, base = start_server(data, tmp_path / "first.log", workers=2, extra_env=SETTINGS)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                token = client.post("/webservices/2/checkUserCredentials", data={
                    "user": "demo@apkdepot.localhost",
                    "passhash": hashlib.sha1(b"demo-pass1").hexdigest()}).json()["token"]
                made = client.post("/api/stores/demo/webhooks", json={"url": receiver.url},
                                   headers={"Authorization": f"Bearer {token}"})
                assert made.status_code == 201, made.text
                hook = made.json()["webhook"]
                receiver.secret = hook["secret"]
                publish(client, token, "gamma-5.apk")
                publish(client, token, "alpha-1.apk")
                wait_for(lambda: {"app.published", "index.version"} <= {d["event"] for d in log_of(client, token, hook["id"])},
                         "both publishes and an index version to be queued")
                wait_for(lambda: len(set(receiver.failed)) >= 2, "tries while the receiver is down")
        finally:
            stop(process)
        queued = {d["delivery_id"]: d["event"] for d in _read_log(data)}
        assert receiver.accepted == [] and queued
        receiver.answer = 204  # back up; the server starts again
        process, base = start_server(data, tmp_path / "second.log", workers=2, extra_env=SETTINGS)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                wait_for(lambda: all(d["status"] == "delivered" for d in log_of(client, token, hook["id"])),
                         "every delivery to be delivered after the restart")
                final = log_of(client, token, hook["id"])
        finally:
            stop(process)
    got = receiver.accepted_ids()
    assert sorted(got) == sorted(d["delivery_id"] for d in final)  # each once, none twice
    assert set(queued) <= set(got)
    events = receiver.accepted_events()
    assert events.count("app.published") == 2 and "index.version" in events
    packages = sorted(r["json"]["data"]["package"] for r in receiver.accepted if r["event"] == "app.published")
    assert packages == ["org.apkdepot.alpha", "org.apkdepot.gamma"]
    assert receiver.rejected == []


def _read_log(data) -> list[dict]:
    """The queue as the stopped server left it, read from its database."""
    import sqlalchemy as sa

    from apkdepot.db.schema import webhook_deliveries

    engine = sa.create_engine(f"sqlite:///{data / 'apkdepot.sqlite3'}")
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(webhook_deliveries))]
    finally:
        engine.dispose()
