"""The demo data ``apkdepot serve --demo`` starts with: a developer and a
public store holding a few small real APKs."""

from __future__ import annotations

from pathlib import Path

from apkdepot.accounts import services as accounts
from apkdepot.catalog import publishing, stores
from apkdepot.index import versions
from apkdepot.services import Services

DEMO_EMAIL = "demo@apkdepot.localhost"
DEMO_PASSWORD = "demo-pass1"
DEMO_STORE = "demo"
DEMO_APKS = Path(__file__).with_name("demo_apks")


def ensure_demo(svc: Services) -> accounts.Developer:
    """The demo developer, with the demo store and its apps published."""
    developer = accounts.developer_by_email(svc, DEMO_EMAIL)
    if developer is None:
        developer, _ = accounts.create_confirmed_developer(
            svc, {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "name": "Demo Developer", "account_type": "personal"})
    store = stores.get_store(svc, DEMO_STORE)
    if store is None:
        store = stores.create_store(svc, developer.id, {
            "name": DEMO_STORE, "description": "Sample apps published by ApkDepot's demo developer."})
    if store.owner_id != developer.id:
        return developer
    for apk in sorted(DEMO_APKS.glob("*.apk")):
        publishing.publish_file(svc, developer.id, DEMO_STORE, apk, {"category": "Demo"})
    versions.build_pending(svc, store.id)
    return developer
