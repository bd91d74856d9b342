"""Stores: creation, settings, privacy, avatar. Only the owner changes a store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from apkdepot import audit, errors
from apkdepot.accounts.passwords import sha1_hex
from apkdepot.db.schema import apks, store_aliases, store_keys, stores
from apkdepot.db.time import as_utc, utcnow
from apkdepot.i18n import N_
from apkdepot.errors import Failure, Problem, problem
from apkdepot.index import versions
from apkdepot.services import Services

STORE_NAME_RE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*\Z")
STORE_NAME_MAX = 50
THEMES = ("default", "light", "dark", "blue", "green", "red", "orange", "pink", "purple", "black")
# What the portal calls each theme (the API and the clients keep the names above).
THEME_NAMES = {"default": N_("Default"), "light": N_("Light"), "dark": N_("Dark"), "blue": N_("Blue"),
               "green": N_("Green"), "red": N_("Red"), "orange": N_("Orange"), "pink": N_("Pink"),
               "purple": N_("Purple"), "black": N_("Black")}
DESCRIPTION_MAX = 4000
AVATAR_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Store:
    id: int
    owner_id: int
    name: str
    description: str
    theme: str
    avatar_key: str | None
    private: bool
    basic_user: str | None
    basic_pass_hash: str | None
    current_version: int
    created_at: datetime
    updated_at: datetime
    suspended_at: datetime | None = None
    suspension_reason: str | None = None
    moderated: bool = False

    @classmethod
    def from_row(cls, row: Any) -> "Store":
        return cls(row.id, row.owner_id, row.name, row.description, row.theme, row.avatar_key, bool(row.private),
                   row.basic_user, row.basic_pass_hash, row.current_version, as_utc(row.created_at),
                   as_utc(row.updated_at), as_utc(row.suspended_at), row.suspension_reason, bool(row.moderated))

    @property
    def hidden(self) -> bool:
        """Kept out of the static mirror: private or suspended."""
        return self.private or self.suspended_at is not None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description, "theme": self.theme,
                "private": self.private, "basic_user": self.basic_user, "has_avatar": self.avatar_key is not None,
                "index_version": self.current_version, "created_at": self.created_at.isoformat(),
                # The owner sees why their store answers nothing.
                "suspended": ({"at": self.suspended_at.isoformat(), "reason": self.suspension_reason}
                              if self.suspended_at else None),
                # New apps and updates that add permissions or change the name or icon wait for an operator.
                "moderated": self.moderated}


def normalise_name(name: Any) -> str | None:
    """Store names are case-insensitive: kept lower-case. None when not valid."""
    if not isinstance(name, str):
        return None
    name = name.strip().lower()
    if not name or len(name) > STORE_NAME_MAX or not STORE_NAME_RE.match(name):
        return None
    return name


def get_store(svc: Services, name: str) -> Store | None:
    name = (name or "").lower()
    if len(name) > STORE_NAME_MAX:
        return None
    with svc.db.read() as conn:
        row = conn.execute(sa.select(stores).where(stores.c.name == name)).first()
    return Store.from_row(row) if row else None


def stores_by_ids(svc: Services, ids) -> list[Store]:
    ids = sorted(set(ids))
    if not ids:
        return []
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(stores).where(stores.c.id.in_(ids))).all()
    return [Store.from_row(r) for r in rows]


def list_stores(svc: Services, owner_id: int) -> list[Store]:
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(stores).where(stores.c.owner_id == owner_id).order_by(stores.c.id)).all()
    return [Store.from_row(r) for r in rows]


def owned_store(svc: Services, developer_id: int, name: Any) -> Store:
    """The named store if the developer owns it: IARG-1 when there is no such
    store, REPO-1 when it is someone else's."""
    store = get_store(svc, name) if isinstance(name, str) else None
    if store is None:
        raise Failure(problem(errors.INVALID_REPO, "name", repo=str(name)[:60]))
    if store.owner_id != developer_id:
        raise Failure(problem(errors.NOT_YOUR_STORE, "name", repo=store.name))
    return store


def _settings_problems(form: Mapping[str, Any], creating: bool, current: Store | None) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    found: list[Problem] = []
    if "description" in form:
        description = form["description"]
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
            found.append(problem(errors.STORE_FIELD_INVALID, "description", name="description"))
        else:
            values["description"] = description.strip()
    if "theme" in form:
        theme = form["theme"]
        if theme not in THEMES:
            found.append(problem(errors.STORE_FIELD_INVALID, "theme", name="theme"))
        else:
            values["theme"] = theme
    private = current.private if current else False
    if "private" in form:
        if not isinstance(form["private"], bool):
            found.append(problem(errors.STORE_FIELD_INVALID, "private", name="private"))
        else:
            private = values["private"] = form["private"]
    user = form.get("basic_user")
    password = form.get("basic_password")
    if user is not None or password is not None:
        if (not isinstance(user, str) or not user.strip() or len(user) > 100 or ":" in user
                or not isinstance(password, str) or not 8 <= len(password) <= 256):
            found.append(problem(errors.STORE_CREDENTIALS_NEEDED, "basic_password"))
        else:
            values["basic_user"] = user.strip()
            values["basic_password"] = password
    has_credentials = "basic_user" in values or (current is not None and current.basic_user is not None)
    if private and not has_credentials:
        # Creating: the request lacks them. Updating: the store lacks them (its state, so 409).
        spec = errors.STORE_CREDENTIALS_NEEDED if current is None or "private" not in values else errors.STORE_NO_CREDENTIALS_YET
        if not (user is not None or password is not None):
            found.append(problem(spec, "basic_password"))
        elif not any(p.spec is errors.STORE_CREDENTIALS_NEEDED for p in found):
            found.append(problem(errors.STORE_CREDENTIALS_NEEDED, "basic_password"))
    return values, found


def create_store(svc: Services, owner_id: int, form: Mapping[str, Any]) -> Store:
    name = normalise_name(form.get("name"))
    found: list[Problem] = [] if name else [problem(errors.STORE_NAME_INVALID, "name")]
    values, more = _settings_problems(form, True, None)
    found += more
    if found:
        raise Failure(found)
    password = values.pop("basic_password", None)
    if password is not None:
        values["basic_pass_hash"] = svc.passwords.hash_password(password)
    now = utcnow()
    try:
        with svc.db.write() as conn:
            if name_in_use(conn, name):
                raise Failure(problem(errors.STORE_NAME_TAKEN, "name"))
            store_id = conn.execute(stores.insert().values(owner_id=owner_id, name=name, created_at=now,
                                                           updated_at=now, **values).returning(stores.c.id)).scalar_one()
            save_signing_key(conn, svc, store_id, name)
            versions.create_first_version(conn, svc, store_id, name)
            audit.record(conn, "store.create", "store", name, owner_id, after=_audited(values))
    except sa.exc.IntegrityError:
        raise Failure(problem(errors.STORE_NAME_TAKEN, "name")) from None
    store = get_store(svc, name)
    assert store is not None
    versions.mirror_version(svc, store.name, store.hidden, store.current_version)
    return store


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    """Store settings as the audit log keeps them: a password only as "changed"."""
    kept = {k: v for k, v in values.items() if k != "basic_pass_hash"}
    if "basic_pass_hash" in values:
        kept["basic_password"] = "changed"
    return kept


def save_signing_key(conn: sa.Connection, svc: Services, store_id: int, name: str) -> str:
    from apkdepot.index import keys

    key, cert = keys.new_key_and_cert(name)
    fingerprint = keys.fingerprint(cert)
    conn.execute(store_keys.insert().values(
        store_id=store_id, key_pem=keys.encrypt_key(key, svc.secret),
        cert_der=cert.public_bytes(serialization.Encoding.DER), fingerprint=fingerprint, created_at=utcnow()))
    return fingerprint


def signing_key(svc: Services, store_id: int, name: str):
    """(private key, certificate) of the store's F-Droid repo, made on first use
    for stores that predate it."""
    from cryptography import x509

    from apkdepot.index import keys

    with svc.db.read() as conn:
        row = conn.execute(sa.select(store_keys).where(store_keys.c.store_id == store_id)).first()
    if row is None:
        try:
            with svc.db.write() as conn:
                save_signing_key(conn, svc, store_id, name)
        except sa.exc.IntegrityError:
            pass  # another process made it first
        with svc.db.read() as conn:
            row = conn.execute(sa.select(store_keys).where(store_keys.c.store_id == store_id)).one()
    return keys.decrypt_key(row.key_pem, svc.secret), x509.load_der_x509_certificate(row.cert_der)


def fingerprint_of(svc: Services, store_id: int) -> str | None:
    with svc.db.read() as conn:
        return conn.execute(sa.select(store_keys.c.fingerprint).where(store_keys.c.store_id == store_id)).scalar()


def update_store(svc: Services, store: Store, form: Mapping[str, Any]) -> Store:
    values, found = _settings_problems(form, False, store)
    if found:
        raise Failure(found)
    password = values.pop("basic_password", None)
    if password is not None:
        values["basic_pass_hash"] = svc.passwords.hash_password(password)
    with svc.db.write() as conn:
        conn.execute(stores.update().where(stores.c.id == store.id).values(updated_at=utcnow(), **values))
        versions.bump_clock(conn)
        changed = _audited(values)
        audit.record(conn, "store.update", "store", store.name, store.owner_id,
                     before={k: getattr(store, k) for k in changed if k != "basic_password" and hasattr(store, k)},
                     after=changed)
    updated = get_store(svc, store.name)
    assert updated is not None
    # A store made private leaves the static mirror before this returns.
    versions.mirror_version(svc, updated.name, updated.hidden, updated.current_version)
    return updated


def set_avatar(svc: Services, store: Store, data: bytes) -> Store:
    is_png = data.startswith(b"\x89PNG\r\n\x1a\n")
    is_jpeg = data.startswith(b"\xff\xd8\xff")
    if not (is_png or is_jpeg) or len(data) > AVATAR_MAX_BYTES:
        raise Failure(problem(errors.AVATAR_INVALID, "avatar"))
    import hashlib

    key = f"avatars/{hashlib.sha256(data).hexdigest()}.{'png' if is_png else 'jpg'}"
    svc.blobs.put_bytes(key, data)
    with svc.db.write() as conn:
        conn.execute(stores.update().where(stores.c.id == store.id).values(avatar_key=key, updated_at=utcnow()))
        versions.bump_clock(conn)
        audit.record(conn, "store.avatar", "store", store.name, store.owner_id,
                     before={"avatar": store.avatar_key}, after={"avatar": key})
    updated = get_store(svc, store.name)
    assert updated is not None
    return updated


def check_basic_credentials(svc: Services, store: Store, user: str, password: str) -> bool:
    return check_store_passhash(svc, store, user, sha1_hex(password))


def check_store_passhash(svc: Services, store: Store, user: str, passhash: str) -> bool:
    """v7 clients send store_pass_sha1: the same stored hash checks both forms."""
    if not store.basic_user or not store.basic_pass_hash or user != store.basic_user:
        return False
    return svc.passwords.verify_passhash(store.basic_pass_hash, passhash)


def name_in_use(conn: sa.Connection, name: str, except_store: int | None = None) -> bool:
    """A store's name, or a name a store had or a deleted store had: none can be
    taken (``except_store`` may take back its own old names)."""
    if conn.execute(sa.select(stores.c.id).where(stores.c.name == name)).first():
        return True
    alias = conn.execute(sa.select(store_aliases.c.store_id).where(store_aliases.c.name == name)).first()
    return alias is not None and (except_store is None or alias.store_id != except_store)


def rename_store(svc: Services, store: Store, new_name: Any) -> Store:
    """The store under a new name. The old name keeps leading to it: its files
    redirect there, the web services and v7 answer for it under the old name
    (with the hashes devices hold), and nobody else can take it. The index gets
    a new version whose addresses name the new name; the F-Droid signing key,
    and so the fingerprint devices trust, stays."""
    name = normalise_name(new_name)
    if name is None:
        raise Failure(problem(errors.STORE_NAME_INVALID, "name"))
    if name == store.name:
        return store
    old = store.name
    try:
        with svc.db.write() as conn:
            row = versions._lock_store(conn, store.id)
            if row is None:
                raise Failure(problem(errors.INVALID_REPO, "name", repo=old))
            if name_in_use(conn, name, except_store=store.id):
                raise Failure(problem(errors.STORE_NAME_TAKEN, "name"))
            conn.execute(store_aliases.delete().where(store_aliases.c.name == name))
            conn.execute(store_aliases.insert().values(name=old, store_id=store.id, created_at=utcnow()))
            conn.execute(stores.update().where(stores.c.id == store.id).values(name=name, updated_at=utcnow()))
            versions.renamed_version(conn, svc, store.id, name, row.current_version + 1)
            if row.dirty_since is not None:  # changes still waiting for their version keep waiting
                conn.execute(stores.update().where(stores.c.id == store.id).values(dirty_since=row.dirty_since))
            audit.record(conn, "store.rename", "store", name, store.owner_id, before={"name": old}, after={"name": name})
    except sa.exc.IntegrityError:
        raise Failure(problem(errors.STORE_NAME_TAKEN, "name")) from None
    renamed = get_store(svc, name)
    assert renamed is not None
    if svc.static_mirror is not None:
        svc.static_mirror.retire(old)
    versions.mirror_version(svc, renamed.name, renamed.hidden, renamed.current_version)
    return renamed


def delete_store(svc: Services, store: Store, confirm: Any, reason: str | None = None) -> int:
    """Deletes the store with everything in it; ``confirm`` must repeat its name.
    Its names stay reserved. APK files no other store holds are removed by the
    next ``apkdepot gc``. The number of app versions it held."""
    if not isinstance(confirm, str) or confirm.strip().lower() != store.name:
        raise Failure(problem(errors.STORE_DELETE_CONFIRM, "confirm", repo=store.name))
    from apkdepot.catalog import owner_apps

    with svc.db.write() as conn:
        packages = conn.execute(sa.select(apks.c.package).where(apks.c.store_id == store.id).distinct()).scalars().all()
        held = conn.execute(sa.select(sa.func.count()).select_from(apks).where(apks.c.store_id == store.id)).scalar_one()
        conn.execute(store_aliases.insert().values(name=store.name, store_id=None, created_at=utcnow()))
        conn.execute(stores.delete().where(stores.c.id == store.id))
        for package in packages:  # the app list API: an app no store holds any more is "pending"
            owner_apps.on_removed(conn, store.owner_id, package)
        versions.bump_clock(conn)
        audit.record(conn, "store.delete", "store", store.name, store.owner_id,
                     before={"versions": held, "packages": len(packages)},
                     after={"reason": reason} if reason else None)
    if svc.static_mirror is not None:
        svc.static_mirror.retire(store.name)
    return held
