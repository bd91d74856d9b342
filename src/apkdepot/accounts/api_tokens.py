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


@dataclass(frozen=True)
class ApiToken:
    id: int
    developer_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool

    @classmethod
    def from_row(cls, r: Any) -> "ApiToken":
        return cls(r.id, r.developer_id, r.name, r.prefix, as_utc(r.created_at), as_utc(r.last_used_at),
                   r.revoked_at is not None)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None, "revoked": self.revoked}


def well_formed(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def create_token(svc: Services, developer_id: int, name: Any = None) -> tuple[ApiToken, str]:
    if name is not None and (not isinstance(name, str) or len(name) > 100):
        raise Failure(problem(errors.TOKEN_NAME, "name"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(540)
    with svc.db.write() as conn:
        token_id = conn.execute(api_tokens.insert().values(
            developer_id=developer_id, name=(name or "").strip() or "API token", token_hash=digest(secret),
            prefix=secret[:12], created_at=utcnow()).returning(api_tokens.c.id)).scalar_one()
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).one()
        audit.record(conn, "token.create", "api_token", token_id, developer_id,
                     after={"name": row.name, "prefix": row.prefix})
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


def token_owner(svc: Services, secret: str) -> tuple[int, int] | None:
    """(token id, developer id) of a live token; notes when it was last used
    (to the minute, so a busy token does not write on every request)."""
    if not well_formed(secret):
        return None
    with svc.db.read() as conn:
        # A disabled developer's tokens answer as if revoked, and work again when they are enabled.
        row = conn.execute(sa.select(api_tokens.c.id, api_tokens.c.developer_id, api_tokens.c.last_used_at)
                           .select_from(api_tokens.join(developers, developers.c.id == api_tokens.c.developer_id))
                           .where(api_tokens.c.token_hash == digest(secret), api_tokens.c.revoked_at.is_(None),
                                  developers.c.disabled_at.is_(None))).first()
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) > LAST_USED_RESOLUTION:
        with svc.db.write() as conn:
            conn.execute(api_tokens.update().where(api_tokens.c.id == row.id).values(last_used_at=now))
    return row.id, row.developer_id
