"""API tokens for the app list API: long, opaque, shown once, revocable.
Only their SHA-256 is stored; look-ups go by digest."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from apkdepot import audit, errors
from apkdepot.accounts.tokens import digest
from apkdepot.db.schema import api_tokens, developers
from apkdepot.db.time import as_utc, utcnow
from apkdepot.errors import Failure, problem
from apkdepot.services import Services

TOKEN_PREFIX = "apkd."
# Like AppsFlyer's "API V2.0" tokens, which clients expect: more than 700 characters.
TOKEN_RE = re.compile(r"^apkd\.[A-Za-z0-9_-]{720}\Z")


# What an API token may be allowed, each on its own: the app list API
# (/api/mng/apps), reading the stores and their apps, changing stores, apps
# and listings, and publishing APKs (a CI job needs only "publish").
SCOPES = ("apps:read", "stores:read", "stores:write", "publish")
DEFAULT_SCOPES = ("apps:read",)
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class ApiToken:
    id: int
    developer_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    expires_at: datetime | None = None
    last_used_ip: str | None = None

    @classmethod
    def from_row(cls, r: Any) -> "ApiToken":
        return cls(r.id, r.developer_id, r.name, r.prefix, as_utc(r.created_at), as_utc(r.last_used_at),
                   r.revoked_at is not None, tuple(r.scopes.split()), as_utc(r.expires_at), r.last_used_ip)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
                "last_used_ip": self.last_used_ip, "revoked": self.revoked, "scopes": list(self.scopes),
                "expires_at": self.expires_at.isoformat() if self.expires_at else None}


@dataclass(frozen=True)
class Grant:
    """What a live API token lets its bearer do."""
    token_id: int
    developer_id: int
    scopes: tuple[str, ...]


def well_formed(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def checked_scopes(value: Any) -> tuple[str, ...]:
    """A list of known scopes (TOKEN-3 otherwise); none given: the app list API's."""
    if value is None:
        return DEFAULT_SCOPES
    if (not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value)
            or not set(value) <= set(SCOPES)):
        raise Failure(problem(errors.TOKEN_SCOPES, "scopes", scopes=", ".join(SCOPES)))
    return tuple(sorted(set(value), key=SCOPES.index))


def checked_expiry(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 7.0 is 7
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXPIRY_DAYS:
        raise Failure(problem(errors.TOKEN_EXPIRY, "expires_in_days"))
    return utcnow() + timedelta(days=value)


def create_token(svc: Services, developer_id: int, name: Any = None, scopes: Any = None,
                 expires_in_days: Any = None) -> tuple[ApiToken, str]:
    found = []
    if name is not None and (not isinstance(name, str) or len(name) > 100):
        found.append(problem(errors.TOKEN_NAME, "name"))
    for check, value in ((checked_scopes, scopes), (checked_expiry, expires_in_days)):
        try:
            check(value)
        except Failure as failure:
            found += failure.problems
    if found:
        raise Failure(found)
    granted, expires_at = checked_scopes(scopes), checked_expiry(expires_in_days)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(540)
    with svc.db.write() as conn:
        token_id = conn.execute(api_tokens.insert().values(
            developer_id=developer_id, name=(name or "").strip() or "API token", token_hash=digest(secret),
            prefix=secret[:12], created_at=utcnow(), scopes=" ".join(granted), expires_at=expires_at)
            .returning(api_tokens.c.id)).scalar_one()
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).one()
        audit.record(conn, "token.create", "api_token", token_id, developer_id,
                     after={"name": row.name, "prefix": row.prefix, "scopes": list(granted),
                            "expires_at": expires_at.isoformat() if expires_at else None})
    return ApiToken.from_row(row), secret


def list_tokens(svc: Services, developer_id: int) -> list[ApiToken]:
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(api_tokens).where(api_tokens.c.developer_id == developer_id)
                            .order_by(api_tokens.c.id)).all()
    return [ApiToken.from_row(r) for r in rows]


def revoke_token(svc: Services, developer_id: int, token_id: int) -> None:
    with svc.db.write() as conn:
        # Someone else's token is "not found": its existence is not ours to confirm.
        changed = conn.execute(api_tokens.update().where(
            api_tokens.c.id == token_id, api_tokens.c.developer_id == developer_id,
            api_tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow())).rowcount
        if not changed:
            exists = conn.execute(sa.select(api_tokens.c.id).where(
                api_tokens.c.id == token_id, api_tokens.c.developer_id == developer_id)).first()
            if exists is None:
                raise Failure(problem(errors.TOKEN_NOT_FOUND))
        else:
            audit.record(conn, "token.revoke", "api_token", token_id, developer_id)


LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_owner(svc: Services, secret: str, client_ip: str | None = None) -> Grant | None:
    """What a live token (not revoked, not expired, its owner not disabled) may
    do; notes when and from where it was last used (to the minute, so a busy
    token does not write on every request)."""
    if not well_formed(secret):
        return None
    with svc.db.read() as conn:
        # A disabled developer's tokens answer as if revoked, and work again when they are enabled.
        row = conn.execute(sa.select(api_tokens.c.id, api_tokens.c.developer_id, api_tokens.c.last_used_at,
                                     api_tokens.c.last_used_ip, api_tokens.c.scopes, api_tokens.c.expires_at)
                           .select_from(api_tokens.join(developers, developers.c.id == api_tokens.c.developer_id))
                           .where(api_tokens.c.token_hash == digest(secret), api_tokens.c.revoked_at.is_(None),
                                  developers.c.disabled_at.is_(None))).first()
    now = utcnow()
    if row is None or (row.expires_at is not None and as_utc(row.expires_at) <= now):
        return None
    if (row.last_used_at is None or now - as_utc(row.last_used_at) > LAST_USED_RESOLUTION
            or (client_ip and row.last_used_ip != client_ip)):
        with svc.db.write() as conn:
            conn.execute(api_tokens.update().where(api_tokens.c.id == row.id)
                         .values(last_used_at=now, last_used_ip=client_ip or row.last_used_ip))
    return Grant(row.id, row.developer_id, tuple(row.scopes.split()))
