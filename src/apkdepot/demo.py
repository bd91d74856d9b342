"""The demo data ``apkdepot serve --demo`` starts with."""

from __future__ import annotations

from apkdepot.accounts import services as accounts
from apkdepot.services import Services

DEMO_EMAIL = "demo@apkdepot.localhost"
DEMO_PASSWORD = "demo-pass1"


def ensure_demo(svc: Services) -> None:
    if accounts.developer_by_email(svc, DEMO_EMAIL) is None:
        accounts.create_confirmed_developer(
            svc, {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "name": "Demo Developer", "account_type": "personal"})
