"""What the operators of an installation do to everyone's data: grant the
operator role, find developers and stores, disable and enable an account,
suspend and resume a store. Every change is in the audit log.

A disabled developer's password, portal sessions, dev token, OAuth tokens and
API tokens stop working on every server process at once (the accounts clock);
their stores keep serving devices. A suspended store leaves every protocol's
answers (v7 STORE-7, web services IARG-4, its files 410) and the static
mirror; its owner still manages it and sees the reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from apkdepot import audit, errors
from apkdepot.accounts.services import Developer
from apkdepot.config import Settings
from apkdepot.db.schema import developers, index_versions, oauth_tokens, portal_sessions, stores
from apkdepot.db.time import as_utc, utcnow
from apkdepot.errors import Failure, problem
from apkdepot.index import versions
from apkdepot.services import Services

REASON_MAX = 500
PAGE_MAX = 200


def require_operator(developer: Developer, settings: Settings) -> None:
    """ADMIN-1 for a developer who is not an operator; ADMIN-6 for one without
    the second factor when APKDEPOT_REQUIRE_OPERATOR_TOTP says operators need it."""
    if not developer.is_admin:
        raise Failure(problem(errors.NOT_AN_OPERATOR))
    if settings.require_operator_totp and not developer.second_factor:
        raise Failure(problem(errors.OPERATOR_NEEDS_SECOND_FACTOR))


def checked_reason(reason: Any) -> str:
    """A reason the owner is shown: 1 to REASON_MAX characters (ADMIN-4)."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > REASON_MAX:
        raise Failure(problem(errors.ADMIN_REASON, "reason"))
    return text


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- developers ------------------------------------------------------------------

@dataclass(frozen=True)
class DeveloperRecord:
    id: int
    email: str
    name: str
    created_at: datetime
    confirmed: bool
    operator: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    stores: int

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "created_at": self.created_at.isoformat(),
                "email_confirmed": self.confirmed, "operator": self.operator,
                "disabled": ({"at": self.disabled_at.isoformat(), "reason": self.disabled_reason}
                             if self.disabled_at else None),
                "stores": self.stores}


def _developer_query():
    store_count = (sa.select(sa.func.count()).select_from(stores).where(stores.c.owner_id == developers.c.id)
                   .scalar_subquery())
    return sa.select(developers.c.id, developers.c.email, developers.c.name, developers.c.created_at,
                     developers.c.email_confirmed_at, developers.c.is_admin, developers.c.disabled_at,
                     developers.c.disabled_reason, store_count.label("store_count"))


def _developer_record(r: Any) -> DeveloperRecord:
    return DeveloperRecord(r.id, r.email, r.name, as_utc(r.created_at), r.email_confirmed_at is not None,
                           bool(r.is_admin), as_utc(r.disabled_at), r.disabled_reason, r.store_count)


def find_developers(svc: Services, text: str = "", after_id: int = 0, limit: int = 50) -> list[DeveloperRecord]:
    """Developers whose address or name contains ``text``, by id, a keyset page after ``after_id``."""
    query = _developer_query().where(developers.c.id > after_id).order_by(developers.c.id)
    if text:
        pattern = _like(text)
        query = query.where(sa.or_(sa.func.lower(developers.c.email).like(pattern, escape="\\"),
                                   sa.func.lower(developers.c.name).like(pattern, escape="\\")))
    with svc.db.read() as conn:
        return [_developer_record(r) for r in conn.execute(query.limit(max(1, min(limit, PAGE_MAX))))]


def developer_record(svc: Services, developer_id: int | None = None, email: str | None = None) -> DeveloperRecord:
    """One developer by id or address; ADMIN-2 when there is none."""
    query = _developer_query()
    query = (query.where(developers.c.id == developer_id) if developer_id is not None
             else query.where(developers.c.email == (email or "").strip().lower()))
    with svc.db.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise Failure(problem(errors.ADMIN_NO_DEVELOPER, developer=str(developer_id if email is None else email)[:60]))
    return _developer_record(row)


def set_operator(svc: Services, developer_id: int, granted: bool) -> DeveloperRecord:
    """Grants or takes away the operator role. Nobody takes away their own
    (ADMIN-5): an installation is never left without the operator acting."""
    record = developer_record(svc, developer_id)
    if not granted and audit.current_actor().developer_id == developer_id:
        raise Failure(problem(errors.ADMIN_SELF))
    if record.operator != granted:
        with svc.db.write() as conn:
            conn.execute(developers.update().where(developers.c.id == developer_id).values(is_admin=granted))
            versions.bump_accounts_clock(conn, developer_id)
            audit.record(conn, "operator.grant" if granted else "operator.revoke", "developer", record.email,
                         developer_id, before={"operator": record.operator}, after={"operator": granted})
    return developer_record(svc, developer_id)


def set_disabled(svc: Services, developer_id: int, reason: Any = None, disabled: bool = True) -> DeveloperRecord:
    """Disables an account (with a reason, ADMIN-4) or enables it again.
    Disabling ends its portal sessions and OAuth tokens; its dev token and API
    tokens are refused while it stays disabled and work again after."""
    record = developer_record(svc, developer_id)
    if disabled and audit.current_actor().developer_id == developer_id:
        raise Failure(problem(errors.ADMIN_SELF))
    text = checked_reason(reason) if disabled else None
    before = {"disabled": record.disabled_reason if record.disabled_at else None}
    with svc.db.write() as conn:
        conn.execute(developers.update().where(developers.c.id == developer_id).values(
            disabled_at=utcnow() if disabled else None, disabled_reason=text))
        if disabled:
            conn.execute(portal_sessions.delete().where(portal_sessions.c.developer_id == developer_id))
            conn.execute(oauth_tokens.delete().where(oauth_tokens.c.developer_id == developer_id))
        # Every server process forgets this developer's remembered dev token now.
        versions.bump_accounts_clock(conn, developer_id)
        audit.record(conn, "developer.disable" if disabled else "developer.enable", "developer", record.email,
                     developer_id, before=before, after={"disabled": text})
    return developer_record(svc, developer_id)


# --- stores ----------------------------------------------------------------------

@dataclass(frozen=True)
class StoreRecord:
    id: int
    name: str
    owner_id: int
    owner_email: str
    private: bool
    apps: int
    index_version: int
    created_at: datetime
    suspended_at: datetime | None
    suspension_reason: str | None
    moderated: bool = False

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "owner": {"id": self.owner_id, "email": self.owner_email},
                "private": self.private, "apps": self.apps, "index_version": self.index_version,
                "created_at": self.created_at.isoformat(), "moderated": self.moderated,
                "suspended": ({"at": self.suspended_at.isoformat(), "reason": self.suspension_reason}
                              if self.suspended_at else None)}


def _store_query():
    return (sa.select(stores.c.id, stores.c.name, stores.c.owner_id, developers.c.email, stores.c.private,
                      index_versions.c.appscount, stores.c.current_version, stores.c.created_at,
                      stores.c.suspended_at, stores.c.suspension_reason, stores.c.moderated)
            .select_from(stores.join(developers, developers.c.id == stores.c.owner_id)
                         .outerjoin(index_versions, sa.and_(index_versions.c.store_id == stores.c.id,
                                                            index_versions.c.version == stores.c.current_version))))


def _store_record(r: Any) -> StoreRecord:
    return StoreRecord(r.id, r.name, r.owner_id, r.email, bool(r.private), r.appscount or 0, r.current_version,
                       as_utc(r.created_at), as_utc(r.suspended_at), r.suspension_reason, bool(r.moderated))


def find_stores(svc: Services, text: str = "", after_id: int = 0, limit: int = 50,
                owner_id: int | None = None) -> list[StoreRecord]:
    """Stores whose name or owner's address contains ``text``, by id, a keyset page after ``after_id``."""
    query = _store_query().where(stores.c.id > after_id).order_by(stores.c.id)
    if text:
        pattern = _like(text)
        query = query.where(sa.or_(stores.c.name.like(pattern, escape="\\"),
                                   sa.func.lower(developers.c.email).like(pattern, escape="\\")))
    if owner_id is not None:
        query = query.where(stores.c.owner_id == owner_id)
    with svc.db.read() as conn:
        return [_store_record(r) for r in conn.execute(query.limit(max(1, min(limit, PAGE_MAX))))]


def store_record(svc: Services, name: Any) -> StoreRecord:
    key = name.strip().lower() if isinstance(name, str) else ""
    with svc.db.read() as conn:
        row = conn.execute(_store_query().where(stores.c.name == key[:60])).first() if key else None
    if row is None:
        raise Failure(problem(errors.ADMIN_NO_STORE, store=str(name)[:60]))
    return _store_record(row)


def set_suspended(svc: Services, name: Any, reason: Any = None, suspended: bool = True) -> StoreRecord:
    """Suspends a store (with a reason its owner is shown, ADMIN-4) or resumes it.
    Every process sees it with the next catalog probe; the static mirror drops
    (or takes back) the store before this returns."""
    record = store_record(svc, name)
    text = checked_reason(reason) if suspended else None
    with svc.db.write() as conn:
        conn.execute(stores.update().where(stores.c.id == record.id).values(
            suspended_at=utcnow() if suspended else None, suspension_reason=text, updated_at=utcnow()))
        versions.bump_clock(conn)
        audit.record(conn, "store.suspend" if suspended else "store.resume", "store", record.name, record.owner_id,
                     before={"suspended": record.suspension_reason if record.suspended_at else None},
                     after={"suspended": text})
    versions.mirror_version(svc, record.name, record.private or suspended, record.index_version)
    return store_record(svc, record.name)


def take_down(svc: Services, store_name: Any, package: Any, version_code: Any, reason: Any) -> int:
    """Removes an app (every version) or one version from a store, with a reason
    its owner reads in their activity log; the next index version drops it.
    The number of versions taken down."""
    from apkdepot.catalog import publishing
    from apkdepot.catalog.stores import get_store
    from apkdepot.numbers import parse_whole

    text = checked_reason(reason)
    store = get_store(svc, store_name) if isinstance(store_name, str) else None
    if store is None:
        raise Failure(problem(errors.ADMIN_NO_STORE, store=str(store_name)[:60]))
    if not isinstance(package, str) or not package or len(package) > 255:
        raise Failure(problem(errors.NO_SUCH_APK))
    if version_code is None or version_code == "":
        return publishing.remove_app(svc, store, package, text)
    code = version_code if isinstance(version_code, int) and not isinstance(version_code, bool) else (
        parse_whole(version_code, 0, 2**63 - 1) if isinstance(version_code, str) else None)
    if code is None:
        raise Failure(problem(errors.INVALID_VALUE, "version_code", name="version_code"))
    publishing.remove_version(svc, store, package, code, text)
    return 1


def _any_store(svc: Services, name: Any):
    from apkdepot.catalog.stores import get_store

    store = get_store(svc, name.strip()) if isinstance(name, str) else None
    if store is None:
        raise Failure(problem(errors.ADMIN_NO_STORE, store=str(name)[:60]))
    return store


def rename_any(svc: Services, name: Any, new_name: Any) -> StoreRecord:
    """An operator renames someone's store (catalog.stores.rename_store's rules)."""
    from apkdepot.catalog.stores import rename_store

    renamed = rename_store(svc, _any_store(svc, name), new_name)
    return store_record(svc, renamed.name)


def delete_any(svc: Services, name: Any, confirm: Any, reason: Any) -> int:
    """An operator deletes someone's store, with a reason its owner reads in their activity log."""
    from apkdepot.catalog.stores import delete_store

    text = checked_reason(reason)
    return delete_store(svc, _any_store(svc, name), confirm, text)
