"""The app owner's records of their apps (the app list API for app owners).

Android apps are keyed by package name and become ``active`` once a version is
published in any of the owner's stores (``pending`` before, and again when the
last one is removed). iOS apps, which have no APKs here, are ``active`` once
registered. Records are never deleted, so positions stay dense."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Any, Mapping

import sqlalchemy as sa
from babel.numbers import list_currencies

from apkdepot import errors
from apkdepot.apk.inspect import PACKAGE_RE
from apkdepot.catalog.models import LISTABLE
from apkdepot.db.schema import apks, developers, owner_apps, stores
from apkdepot.db.time import utcnow
from apkdepot.errors import Failure, Problem, problem
from apkdepot.i18n import N_
from apkdepot.services import Services

PLATFORMS = ("android", "ios")
STATUSES = (N_("pending"), N_("active"))
CURRENCIES = frozenset(list_currencies())
TIME_ZONES = frozenset(zoneinfo.available_timezones())
IOS_STORE_ID = re.compile(r"^id[0-9]{1,15}\Z")


@dataclass(frozen=True)
class OwnerApp:
    id: str
    platform: str
    name: str
    currency: str
    time_zone: str
    enable_retargetting: bool | None
    status: str

    @classmethod
    def from_row(cls, r: Any) -> "OwnerApp":
        return cls(r.app_id, r.platform, r.name, r.currency, r.time_zone, r.enable_retargetting, r.status)

    def attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"name": self.name, "platform": self.platform, "currency": self.currency,
                                      "time_zone": self.time_zone}
        if self.enable_retargetting is not None:
            attributes["enable_retargetting"] = self.enable_retargetting
        attributes["status"] = self.status
        return attributes

    def resource(self) -> dict[str, Any]:
        return {"id": self.id, "type": "app", "attributes": self.attributes()}


def valid_app_id(platform: str, app_id: str) -> bool:
    if platform == "android":
        return len(app_id) <= 255 and bool(PACKAGE_RE.match(app_id))
    return bool(IOS_STORE_ID.match(app_id)) or (len(app_id) <= 255 and bool(PACKAGE_RE.match(app_id)))


def check_settings(form: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    found: list[Problem] = []
    if "name" in form:
        name = form["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            found.append(problem(errors.APPS_NAME, "name"))
        else:
            values["name"] = name.strip()
    if "currency" in form:
        currency = form["currency"]
        if not isinstance(currency, str) or currency.upper() not in CURRENCIES:
            found.append(problem(errors.APPS_CURRENCY, "currency"))
        else:
            values["currency"] = currency.upper()
    if "time_zone" in form:
        zone = form["time_zone"]
        if not isinstance(zone, str) or zone not in TIME_ZONES:
            found.append(problem(errors.APPS_TIME_ZONE, "time_zone"))
        else:
            values["time_zone"] = zone
    if "enable_retargetting" in form:
        flag = form["enable_retargetting"]
        if flag is not None and not isinstance(flag, bool):
            found.append(problem(errors.APPS_RETARGETTING, "enable_retargetting"))
        else:
            values["enable_retargetting"] = flag
    return values, found


def _lock_developer(conn: sa.Connection, developer_id: int) -> None:
    """Positions are handed out one writer at a time per developer."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(developers.c.id).where(developers.c.id == developer_id).with_for_update())


def _next_position(conn: sa.Connection, developer_id: int) -> int:
    highest = conn.execute(sa.select(sa.func.max(owner_apps.c.position))
                           .where(owner_apps.c.developer_id == developer_id)).scalar()
    return 0 if highest is None else highest + 1


def register_app(svc: Services, developer_id: int, form: Mapping[str, Any]) -> OwnerApp:
    found: list[Problem] = []
    platform = form.get("platform", "ios")
    if platform not in PLATFORMS:
        found.append(problem(errors.APPS_PLATFORM, "platform"))
    app_id = form.get("id")
    if not isinstance(app_id, str) or not valid_app_id(platform if platform in PLATFORMS else "ios", app_id.strip()):
        found.append(problem(errors.APPS_ID, "id"))
    values, more = check_settings({"name": form.get("name"), **{k: form[k] for k in
                                   ("currency", "time_zone", "enable_retargetting") if k in form}})
    found += more
    if found:
        raise Failure(found)
    app_id = app_id.strip()
    with svc.db.write() as conn:
        _lock_developer(conn, developer_id)
        exists = conn.execute(sa.select(owner_apps.c.id).where(
            owner_apps.c.developer_id == developer_id, owner_apps.c.platform == platform,
            owner_apps.c.app_id == app_id)).first()
        if exists:
            raise Failure(problem(errors.APPS_TAKEN, "id"))
        status = "active" if platform == "ios" or _has_published(conn, developer_id, app_id) else "pending"
        conn.execute(owner_apps.insert().values(developer_id=developer_id, position=_next_position(conn, developer_id),
                                                platform=platform, app_id=app_id, status=status, created_at=utcnow(),
                                                **values))
    return get_app(svc, developer_id, platform, app_id)


def get_app(svc: Services, developer_id: int, platform: str, app_id: str) -> OwnerApp:
    with svc.db.read() as conn:
        row = conn.execute(sa.select(owner_apps).where(
            owner_apps.c.developer_id == developer_id, owner_apps.c.platform == platform,
            owner_apps.c.app_id == app_id)).first()
    if row is None:
        raise Failure(problem(errors.APPS_NOT_FOUND))
    return OwnerApp.from_row(row)


def update_app(svc: Services, developer_id: int, platform: str, app_id: str, form: Mapping[str, Any]) -> OwnerApp:
    get_app(svc, developer_id, platform, app_id)
    values, found = check_settings(form)
    if found:
        raise Failure(found)
    if values:
        with svc.db.write() as conn:
            conn.execute(owner_apps.update().where(
                owner_apps.c.developer_id == developer_id, owner_apps.c.platform == platform,
                owner_apps.c.app_id == app_id).values(**values))
    return get_app(svc, developer_id, platform, app_id)


def page(svc: Services, developer_id: int, limit: int, offset: int) -> tuple[list[OwnerApp], int]:
    """One page in position order, and the total. Both are index seeks: the
    page starts at ``position >= offset``, the total is the highest position + 1."""
    with svc.db.read() as conn:
        highest = conn.execute(sa.select(sa.func.max(owner_apps.c.position))
                               .where(owner_apps.c.developer_id == developer_id)).scalar()
        rows = conn.execute(sa.select(owner_apps).where(
            owner_apps.c.developer_id == developer_id, owner_apps.c.position >= offset)
            .order_by(owner_apps.c.position).limit(limit)).all()
    return [OwnerApp.from_row(r) for r in rows], 0 if highest is None else highest + 1


# --- kept in step with publishing (same transaction) ------------------------------------

def _has_published(conn: sa.Connection, developer_id: int, package: str) -> bool:
    return conn.execute(sa.select(apks.c.id).select_from(apks.join(stores, stores.c.id == apks.c.store_id)).where(
        stores.c.owner_id == developer_id, apks.c.package == package, LISTABLE()).limit(1)).first() is not None


def on_published(conn: sa.Connection, developer_id: int, package: str, label: str) -> None:
    row = conn.execute(sa.select(owner_apps.c.id, owner_apps.c.status).where(
        owner_apps.c.developer_id == developer_id, owner_apps.c.platform == "android",
        owner_apps.c.app_id == package)).first()
    if row is None:
        _lock_developer(conn, developer_id)
        conn.execute(owner_apps.insert().values(developer_id=developer_id, position=_next_position(conn, developer_id),
                                                platform="android", app_id=package, name=label[:200],
                                                status="active", created_at=utcnow()))
    elif row.status != "active":
        conn.execute(owner_apps.update().where(owner_apps.c.id == row.id).values(status="active"))


def on_held(conn: sa.Connection, developer_id: int, package: str, label: str) -> None:
    """A version waits for moderation: the app is on the list, "pending" until a version is listable."""
    on_published(conn, developer_id, package, label)
    on_removed(conn, developer_id, package)


def on_removed(conn: sa.Connection, developer_id: int, package: str) -> None:
    status = "active" if _has_published(conn, developer_id, package) else "pending"
    conn.execute(owner_apps.update().where(
        owner_apps.c.developer_id == developer_id, owner_apps.c.platform == "android",
        owner_apps.c.app_id == package).values(status=status))
