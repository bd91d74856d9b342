"""API tokens with scopes and an expiry: a publish-only token for CI publishes
and does nothing else, the app list API needs apps:read, expired and revoked
tokens stop, and each token shows where it was last used."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from apkdepot.db.schema import api_tokens
from apkdepot.db.time import utcnow
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, fixture, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def new_token(client, dev_token: str, **body) -> dict:
    response = client.post("/api/tokens", json=body, headers=auth(dev_token))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_publish_only_token_publishes_and_does_nothing_else(client, svc):
    _, dev_token = make_developer(svc)
    create_store(client, dev_token, "shop")
    made = new_token(client, dev_token, name="ci", scopes=["publish"], expires_in_days=30)
    ci = made["token"]
    assert made["api_token"]["scopes"] == ["publish"] and made["api_token"]["expires_at"]
    assert upload(client, ci, "shop", "alpha-1.apk").status_code == 201
    for method, path, body in (("GET", "/api/stores", None), ("POST", "/api/stores", {"name": "other"}),
                               ("GET", "/api/stores/shop/apks", None), ("PATCH", "/api/stores/shop", {"description": "x"}),
                               ("DELETE", "/api/stores/shop/apks/org.apkdepot.alpha/1", None),
                               ("GET", "/api/tokens", None), ("POST", "/api/tokens", {}),
                               ("GET", "/api/accounts/me", None), ("GET", "/api/admin/audit", None)):
        refused = client.request(method, path, json=body, headers=auth(ci))
        assert refused.status_code == 403 and codes(refused) == ["TOKEN-5"], (method, path, refused.text)
    assert client.get("/api/mng/apps", headers=auth(ci)).status_code == 403  # not apps:read either
    # Nothing the refused calls asked for happened.
    versions = client.get("/api/stores/shop/apks", headers=auth(dev_token)).json()["apks"]
    assert [(v["package"], v["version_code"]) for v in versions] == [("org.apkdepot.alpha", 1)]
    listed = client.get("/api/tokens", headers=auth(dev_token)).json()["api_tokens"]
    assert listed[0]["last_used_ip"] == "testclient" and listed[0]["last_used_at"]
    # The audit log names the token's owner for what the token did.
    actions = [e for e in client.get("/api/audit", headers=auth(dev_token)).json()["events"]
               if e["action"] == "app.publish"]
    assert actions and actions[0]["actor"] == "dev@example.com"


def test_scopes_reads_and_writes(client, svc):
    _, dev_token = make_developer(svc)
    create_store(client, dev_token, "shop")
    reader = new_token(client, dev_token, scopes=["stores:read"])["token"]
    writer = new_token(client, dev_token, scopes=["stores:write", "stores:read"])["token"]
    assert client.get("/api/stores/shop", headers=auth(reader)).status_code == 200
    assert codes(client.patch("/api/stores/shop", json={"description": "x"}, headers=auth(reader))) == ["TOKEN-5"]
    assert client.patch("/api/stores/shop", json={"description": "x"}, headers=auth(writer)).status_code == 200
    with fixture("alpha-1.apk").open("rb") as fh:
        refused = client.post("/api/stores/shop/apks", files={"apk": ("alpha-1.apk", fh)}, headers=auth(writer))
    assert codes(refused) == ["TOKEN-5"]
    # The default token is the app list API's, as before.
    default = new_token(client, dev_token)
    assert default["api_token"]["scopes"] == ["apps:read"] and default["api_token"]["expires_at"] is None
    assert client.get("/api/mng/apps", headers=auth(default["token"])).status_code in (200, 404)
    assert client.get("/api/apps", headers=auth(default["token"])).status_code == 200


def test_bad_scopes_and_expiries_are_refused_and_expired_tokens_stop(client, svc):
    _, dev_token = make_developer(svc)
    for body, code in (({"scopes": ["root"]}, "TOKEN-3"), ({"scopes": []}, "TOKEN-3"), ({"scopes": "publish"}, "TOKEN-3"),
                       ({"expires_in_days": 0}, "TOKEN-4"), ({"expires_in_days": 3651}, "TOKEN-4"),
                       ({"expires_in_days": "7"}, "TOKEN-4"), ({"expires_in_days": True}, "TOKEN-4")):
        refused = client.post("/api/tokens", json=body, headers=auth(dev_token))
        assert refused.status_code == 422 and codes(refused) == [code], body
    assert client.get("/api/tokens", headers=auth(dev_token)).json()["api_tokens"] == []  # none was made
    made = new_token(client, dev_token, scopes=["stores:read"], expires_in_days=1)
    assert client.get("/api/stores", headers=auth(made["token"])).status_code == 200
    with svc.db.write() as conn:
        conn.execute(api_tokens.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.get("/api/stores", headers=auth(made["token"]))
    assert expired.status_code == 401 and codes(expired) == ["IARG-2"]
    with svc.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(api_tokens)).scalar() == 1
