"""Webhooks: signed events queued with the change that caused them, sent by
every server process without doubles, retried with back-off, logged for the
owner, and never sent to the server's own network."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from apkdepot import webhooks
from apkdepot.db.schema import webhook_deliveries
from apkdepot.db.time import utcnow
from tests.conftest import BACKENDS
from tests.helpers import auth, client_with, create_store, flush, make_developer, upload
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

OPEN_NETWORK = {"webhook_allow_http": True, "webhook_allow_private": True}


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def add_hook(client, token: str, url: str, store: str = "shop", **body) -> dict:
    made = client.post(f"/api/stores/{store}/webhooks", json={"url": url, **body}, headers=auth(token))
    assert made.status_code == 201, made.text
    return made.json()["webhook"]


def send_all(svc) -> int:
    with webhooks.make_client() as http:
        return webhooks.send_due(svc, http)


def deliveries(client, token: str, hook_id: int, store: str = "shop") -> list[dict]:
    answer = client.get(f"/api/stores/{store}/webhooks/{hook_id}/deliveries", headers=auth(token))
    assert answer.status_code == 200, answer.text
    return answer.json()["deliveries"]


def test_the_signature_and_the_back_off(database_url):
    body = b'{"event":"ping"}'
    expected = "sha256=" + hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.signature("s3cret", 1700000000, body) == expected
    assert webhooks.verify("s3cret", "1700000000", body, expected, now=1700000100)
    assert not webhooks.verify("s3cret", "1700000000", body + b" ", expected, now=1700000100)  # tampered
    assert not webhooks.verify("other", "1700000000", body, expected, now=1700000100)
    assert not webhooks.verify("s3cret", "1700000000", body, expected, now=1700000000 + 301)  # replayed later
    assert not webhooks.verify("s3cret", "soon", body, expected)
    pauses = [webhooks.retry_delay(n).total_seconds() for n in range(1, 12)]
    assert pauses[:4] == [30, 60, 120, 240] and max(pauses) == 6 * 3600 and pauses == sorted(pauses)


def test_addresses_events_and_limits_are_checked(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop")
    for url in ("http://example.com/hook", "ftp://example.com/", "https://user:pw@example.com/", "example.com",
                "https://", "https://example.com/" + "x" * 500, 42, None, "https://exa mple.com/",
                "https://example.com:0/", "https://example.com:65536/", "https://[::1]/", "https://a_b.example/",
                "https://example.com/a b", "HTTPS://example.com/"):
        refused = client.post("/api/stores/shop/webhooks", json={"url": url}, headers=auth(token))
        assert refused.status_code == 422 and codes(refused) == ["WEBHOOK-1"], (url, refused.text)
    for events in ([], ["app.published", "nope"], "app.published", [1], ["ping"]):
        refused = client.post("/api/stores/shop/webhooks", json={"url": "https://example.com/h", "events": events},
                              headers=auth(token))
        assert refused.status_code == 422 and codes(refused) == ["WEBHOOK-2"], (events, refused.text)
    made = client.post("/api/stores/shop/webhooks", json={"url": "https://example.com/h", "events": ["index.version"]},
                       headers=auth(token))
    assert made.status_code == 201
    hook = made.json()["webhook"]
    assert hook["events"] == ["index.version"] and hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    listed = client.get("/api/stores/shop/webhooks", headers=auth(token)).json()
    assert "secret" not in listed["webhooks"][0] and listed["events"] == list(webhooks.EVENTS)
    for n in range(webhooks.MAX_HOOKS_PER_STORE - 1):
        add_hook(client, token, f"https://example.com/{n}")
    over = client.post("/api/stores/shop/webhooks", json={"url": "https://example.com/x"}, headers=auth(token))
    assert over.status_code == 409 and codes(over) == ["WEBHOOK-4"]
    for path in ("/api/stores/shop/webhooks/999", "/api/stores/shop/webhooks/abc", "/api/stores/shop/webhooks/0"):
        missing = client.get(path, headers=auth(token))
        assert missing.status_code == 404 and codes(missing) == ["WEBHOOK-3"], path
    # Changing one: the address, the events, a new secret (shown once).
    changed = client.patch(f"/api/stores/shop/webhooks/{hook['id']}", json={"url": "https://example.org/h",
                           "events": ["app.published", "app.removed"], "new_secret": True}, headers=auth(token))
    assert changed.status_code == 200, changed.text
    shown = changed.json()["webhook"]
    assert shown["url"] == "https://example.org/h" and shown["events"] == ["app.published", "app.removed"]
    assert shown["secret"] != hook["secret"]
    bad = client.patch(f"/api/stores/shop/webhooks/{hook['id']}", json={"url": "http://x"}, headers=auth(token))
    assert codes(bad) == ["WEBHOOK-1"]
    bad = client.patch(f"/api/stores/shop/webhooks/{hook['id']}", json={"new_secret": "yes"}, headers=auth(token))
    assert codes(bad) == ["WEBHOOK-6"]
    spaced = client.patch(f"/api/stores/shop/webhooks/{hook['id']}", json={"url": " https://example.org/h\n",
                          "events": None}, headers=auth(token))
    assert spaced.json()["webhook"]["url"] == "https://example.org/h"
    assert spaced.json()["webhook"]["events"] == ["app.published", "app.removed"]  # null: unchanged
    assert client.get(f"/api/stores/shop/webhooks/{hook['id']}", headers=auth(token)).json()["webhook"]["url"] == \
        "https://example.org/h"  # the refused change changed nothing
    assert client.delete(f"/api/stores/shop/webhooks/{hook['id']}", headers=auth(token)).status_code == 200
    assert client.get(f"/api/stores/shop/webhooks/{hook['id']}", headers=auth(token)).status_code == 404
    actions = [e["action"] for e in client.get("/api/audit", headers=auth(token)).json()["events"]]
    assert {"webhook.create", "webhook.update", "webhook.delete"} <= set(actions)


def test_events_reach_the_receiver_signed_in_order(tmp_path, database_url, mailer):
    with Receiver() as receiver, client_with(tmp_path, database_url, mailer, **OPEN_NETWORK) as client:
        _, token = make_developer(client.svc)
        create_store(client, token, "shop")
        hook = add_hook(client, token, receiver.url)
        only_versions = add_hook(client, token, receiver.url, events=["index.version"])
        receiver.secret = hook["secret"]
        assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
        flush(client)
        assert client.delete("/api/stores/shop/apps/org.apkdepot.alpha", headers=auth(token)).status_code == 200
        flush(client)
        # Queued with the changes, nothing sent yet.
        assert [d["status"] for d in deliveries(client, token, hook["id"])] == ["pending"] * 4
        sent = send_all(client.svc)
        assert sent == 4 + 0  # the second hook's deliveries are signed with its own secret: refused
        assert receiver.accepted_events() == ["app.published", "index.version", "app.removed", "index.version"]
        assert len(receiver.rejected) == 2 and {r["event"] for r in receiver.rejected} == {"index.version"}
        published, first_version, removed, second_version = [r["json"] for r in receiver.accepted]
        assert published["event"] == "app.published" and published["store"] == "shop"
        assert published["data"]["package"] == "org.apkdepot.alpha" and published["data"]["version_code"] == 1
        assert len(published["data"]["md5"]) == 32 and len(published["data"]["sha256"]) == 64
        assert first_version["data"]["version"] == 2 and first_version["data"]["apps"] == 1
        info = client.get("/repo/shop/info.xml")
        assert second_version["data"]["md5"] == hashlib.md5(info.content).hexdigest()
        assert second_version["data"]["apps"] == 0
        assert removed["data"] == {"package": "org.apkdepot.alpha", "version_code": None, "versions": 1, "reason": None}
        assert receiver.accepted[0]["host"] == receiver.url.split("/")[2]
        assert len(set(receiver.accepted_ids())) == 4
        log = deliveries(client, token, hook["id"])
        assert [d["status"] for d in log] == ["delivered"] * 4 and all(d["response_status"] == 204 for d in log)
        assert [d["event"] for d in log] == ["index.version", "app.removed", "index.version", "app.published"]
        failing = deliveries(client, token, only_versions["id"])
        assert [d["status"] for d in failing] == ["pending", "pending"]
        assert all(d["response_status"] == 401 and d["attempts"] == 1 and d["next_attempt_at"] for d in failing)
        assert send_all(client.svc) == 0  # not due again yet
        # Keyset pages of the log.
        first = client.get(f"/api/stores/shop/webhooks/{hook['id']}/deliveries?limit=3", headers=auth(token)).json()
        rest = client.get(f"/api/stores/shop/webhooks/{hook['id']}/deliveries?limit=3&before={first['next_before']}",
                          headers=auth(token)).json()
        assert len(first["deliveries"]) == 3 and len(rest["deliveries"]) == 1
        for query in ("limit=0", "limit=201", "limit=x", "before=0", "before=-1"):
            bad = client.get(f"/api/stores/shop/webhooks/{hook['id']}/deliveries?{query}", headers=auth(token))
            assert bad.status_code == 400 and codes(bad) == ["IARG-105"], query


def test_a_bad_signature_is_refused_then_retried_and_a_delivery_can_be_sent_again(tmp_path, database_url, mailer):
    with Receiver() as receiver, client_with(tmp_path, database_url, mailer, webhook_first_retry_seconds=1,
                                             **OPEN_NETWORK) as client:
        _, token = make_developer(client.svc)
        create_store(client, token, "shop")
        hook = add_hook(client, token, receiver.url)
        receiver.secret = "whsec_not_the_right_one"
        assert client.post(f"/api/stores/shop/webhooks/{hook['id']}/ping", headers=auth(token)).status_code == 202
        assert send_all(client.svc) == 0
        assert len(receiver.rejected) == 1 and receiver.accepted == []
        # A forged request (no secret) is refused by the receiver as well.
        forged = httpx.post(receiver.url, content=b'{"event":"app.removed"}', headers={
            "X-ApkDepot-Timestamp": str(int(time.time())), "X-ApkDepot-Signature": "sha256=" + "0" * 64})
        assert forged.status_code == 401
        (pending,) = deliveries(client, token, hook["id"])
        assert pending["status"] == "pending" and pending["response_status"] == 401 and "HTTP 401" in pending["error"]
        refused_again = client.post(f"/api/stores/shop/webhooks/{hook['id']}/deliveries/{pending['id']}/redeliver",
                                    headers=auth(token))
        assert refused_again.status_code == 404 and codes(refused_again) == ["WEBHOOK-5"]  # still being tried
        receiver.secret = hook["secret"]
        from tests.helpers import wait_for
        wait_for(lambda: send_all(client.svc) == 1, "the retry, once due")
        assert receiver.accepted_events() == ["ping"]
        assert receiver.accepted[0]["delivery"] == pending["delivery_id"]  # the same delivery id on a retry
        (done,) = deliveries(client, token, hook["id"])
        assert done["status"] == "delivered" and done["attempts"] == 2
        again = client.post(f"/api/stores/shop/webhooks/{hook['id']}/deliveries/{done['id']}/redeliver",
                            headers=auth(token))
        assert again.status_code == 202
        assert send_all(client.svc) == 1 and receiver.accepted_ids() == [done["delivery_id"]] * 2


def test_a_delivery_fails_for_good_after_the_last_try(tmp_path, database_url, mailer):
    with Receiver() as receiver, client_with(tmp_path, database_url, mailer, **OPEN_NETWORK) as client:
        _, token = make_developer(client.svc)
        create_store(client, token, "shop")
        hook = add_hook(client, token, receiver.url)
        receiver.secret, receiver.answer = hook["secret"], 500
        client.post(f"/api/stores/shop/webhooks/{hook['id']}/ping", headers=auth(token))
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            with client.svc.db.write() as conn:  # due now, as if its pause had passed
                conn.execute(webhook_deliveries.update().values(next_attempt_at=utcnow() - timedelta(seconds=1)))
            assert send_all(client.svc) == 0
            (state,) = deliveries(client, token, hook["id"])
            assert state["attempts"] == attempt
        assert state["status"] == "failed" and state["next_attempt_at"] is None and state["response_status"] == 500
        with client.svc.db.write() as conn:
            conn.execute(webhook_deliveries.update().values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        assert send_all(client.svc) == 0 and len(receiver.failed) == webhooks.MAX_ATTEMPTS


def test_the_servers_own_network_is_never_reached(client, svc):
    with Receiver() as receiver:
        _, token = make_developer(svc)
        create_store(client, token, "shop")
        # https to this machine: allowed as an address, refused when sending.
        port = receiver.url.split(":")[2].split("/")[0]
        for url in (f"https://127.0.0.1:{port}/hook", f"https://localhost:{port}/hook", "https://0.0.0.0/hook",
                    "https://10.1.2.3/hook", "https://169.254.169.254/latest/meta-data/", "https://100.64.0.1/",
                    "https://no-such-host.invalid/hook"):
            add_hook(client, token, url)
        client.post(f"/api/stores/shop/webhooks/{add_hook(client, token, 'https://192.168.1.1/')['id']}/ping",
                    headers=auth(token))
        flush(client)
        assert send_all(svc) == 0
        hooks = client.get("/api/stores/shop/webhooks", headers=auth(token)).json()["webhooks"]
        errors = [d["error"] for h in hooks for d in deliveries(client, token, h["id"])]
        assert errors and all(e.startswith("refused:") for e in errors), errors
        assert receiver.accepted == receiver.rejected == [] and receiver.failed == []
    with pytest.raises(webhooks.Refused):
        webhooks.resolve_public("localhost", 443, allow_private=False)
    for address in ("::1", "::ffff:127.0.0.1", "fe80::1", "fc00::1", "224.0.0.1", "192.0.2.1"):
        assert not webhooks._is_public(address), address
    assert webhooks._is_public("93.184.215.14") and webhooks._is_public("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert webhooks.resolve_public("localhost", 443, allow_private=True)


def test_no_one_else_sees_or_changes_a_stores_webhooks(client, svc):
    _, token = make_developer(svc)
    _, other = make_developer(svc, "other@example.com")
    create_store(client, token, "shop")
    hook = add_hook(client, token, "https://example.com/h")
    base = f"/api/stores/shop/webhooks/{hook['id']}"
    calls = (("GET", "/api/stores/shop/webhooks", None), ("POST", "/api/stores/shop/webhooks", {"url": "https://e.com/"}),
             ("GET", base, None), ("PATCH", base, {"url": "https://evil.example/"}), ("POST", base + "/ping", None),
             ("GET", base + "/deliveries", None), ("DELETE", base, None))
    for method, path, body in calls:
        theirs = client.request(method, path, json=body, headers=auth(other))
        assert theirs.status_code == 403 and codes(theirs) == ["REPO-1"], (method, path, theirs.text)
        nobody = client.request(method, path, json=body)
        assert nobody.status_code == 401, (method, path, nobody.text)
    still = client.get(base, headers=auth(token)).json()["webhook"]
    assert still["url"] == "https://example.com/h" and deliveries(client, token, hook["id"]) == []
    # Scoped tokens: stores:read lists, only stores:write changes.
    reader = client.post("/api/tokens", json={"scopes": ["stores:read"]}, headers=auth(token)).json()["token"]
    assert client.get("/api/stores/shop/webhooks", headers=auth(reader)).status_code == 200
    denied = client.post("/api/stores/shop/webhooks", json={"url": "https://e.com/"}, headers=auth(reader))
    assert denied.status_code == 403 and codes(denied) == ["TOKEN-5"]


def test_payloads_are_stable_json(database_url):
    text = webhooks._payload("id-1", "ping", "shop", {"hook": 1}, utcnow())
    parsed = json.loads(text)
    assert set(parsed) == {"id", "event", "created_at", "store", "data"} and parsed["data"] == {"hook": 1}
