"""Small helpers the tests share."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from apkdepot.accounts import services as accounts
from apkdepot.services import Services

PASSWORD = "s3cret-pass"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def make_developer(svc: Services, email: str = "dev@example.com", name: str = "Dev", password: str = PASSWORD) -> tuple[accounts.Developer, str]:
    return accounts.create_confirmed_developer(
        svc, {"email": email, "password": password, "name": name, "account_type": "personal"})


def personal_form(**overrides: Any) -> dict[str, Any]:
    form = {"email": "new@example.com", "password": "abcdefg1", "name": "New Dev",
            "account_type": "personal", "accept_terms": True}
    form.update(overrides)
    return form


def business_form(**overrides: Any) -> dict[str, Any]:
    form = personal_form(account_type="business", business_name="Acme Apps", company_name="Acme Lda",
                         address="Rua Augusta 1", city="Lisboa", zip_code="1100-048", country="PT",
                         phone="+351 912 345 678", tax_id="PT123456789")
    form.update(overrides)
    return form


def link_token(mail_body: str, path: str) -> str:
    match = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_\-]+)", mail_body)
    assert match, f"no {path} link in mail:\n{mail_body}"
    return match.group(1)


FIXTURES = Path(__file__).parent / "fixtures" / "apks"


def fixture(name: str) -> Path:
    return FIXTURES / name


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def state(client):
    """The Litestar app's state behind the observability middleware."""
    return client.litestar.state


def flush(client) -> None:
    """What the maintenance thread does, now: build pending index versions
    (no coalescing wait), write download counts, refresh the cache."""
    state(client).maintenance.run_once(coalesce_ms=0)


def create_store(client, token: str, name: str = "shop", **fields) -> dict:
    response = client.post("/api/stores", json={"name": name, **fields}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()["store"]


def upload(client, token: str, store: str, name: str, **data):
    with fixture(name).open("rb") as fh:
        return client.post(f"/api/stores/{store}/apks", files={"apk": (name, fh, "application/octet-stream")},
                           data=data, headers=auth(token))


def index_entries_of(xml_bytes: bytes) -> dict[str, int]:
    """{apkid: vercode} of a full info.xml."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xml_bytes)
    return {p.findtext("apkid"): int(p.findtext("vercode")) for p in root.findall("package")}


# A cap far above any healthy run: tests wait for the condition itself, and only
# a hang (not a slow, loaded machine) reaches it.
WAIT_CAP_SECONDS = 180.0


def wait_for(condition, what: str, cap: float = WAIT_CAP_SECONDS, interval: float = 0.05):
    """Polls ``condition`` until it returns something truthy (returned), failing
    with ``what`` only after ``cap`` seconds."""
    import time

    deadline = time.monotonic() + cap
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {cap:.0f} s waiting for: {what}")
        time.sleep(interval)


def client_with(tmp_path, database_url: str, mailer, base_url: str = "http://testserver.local", **overrides):
    """A test client of an app whose settings differ from the default test ones
    (a context manager: yields the client, with ``.litestar`` and ``.svc``)."""
    from contextlib import contextmanager

    from litestar.testing import TestClient

    from apkdepot.app import create_app
    from apkdepot.services import build_services
    from tests.conftest import make_settings

    @contextmanager
    def running():
        svc = build_services(make_settings(tmp_path, database_url, **overrides), mailer=mailer)
        app = create_app(services=svc)
        try:
            with TestClient(app, base_url=base_url) as client:
                client.litestar = app.app
                client.svc = svc
                yield client
        finally:
            svc.close()

    return running()


def apksigner_sha1(path) -> str:
    """The signer's SHA-1 as apksigner prints it (lower-case hex)."""
    import subprocess

    out = subprocess.run(["apksigner", "verify", "--print-certs", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return out.split("certificate SHA-1 digest: ", 1)[1].split()[0]
