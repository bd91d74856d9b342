"""The OAuth 2 log-in the Aptoide apps and the Aptoide Uploader use
(web service ``oauth2Authentication``): a password grant gives an access token
and a refresh token; a refresh grant gives a new access token for the same
refresh token (the Uploader keeps the refresh token it got at log-in, so it is
not rotated). Access tokens are accepted wherever a dev token is. Only
SHA-256 digests are stored; a password reset revokes them all."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from apkdepot import errors
from apkdepot.accounts import services as accounts
from apkdepot.accounts import tokens
from apkdepot.db.schema import oauth_tokens
from apkdepot.db.time import as_utc, utcnow
from apkdepot.errors import Failure, problem
from apkdepot.services import Services

ACCESS, REFRESH = "access", "refresh"


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    expires_in: int


def _store(conn, developer_id: int, kind: str, ttl_seconds: int) -> str:
    secret = tokens.new_opaque_token()
    now = utcnow()
    conn.execute(oauth_tokens.insert().values(token_hash=tokens.digest(secret), developer_id=developer_id, kind=kind,
                                              expires_at=now + timedelta(seconds=ttl_seconds), created_at=now))
    return secret


def _purge_expired(conn, developer_id: int) -> None:
    conn.execute(oauth_tokens.delete().where(oauth_tokens.c.developer_id == developer_id,
                                             oauth_tokens.c.expires_at <= utcnow()))


def password_grant(svc: Services, username: object, password: object, client_ip: str | None) -> Grant:
    """Log-in with the account's email and plain password (the apps send it as typed)."""
    if not isinstance(password, str) or not password or not isinstance(username, str) or not username.strip():
        raise Failure(problem(errors.OAUTH_BAD_PASSWORD))
    try:
        developer = accounts.authenticate(svc, username, hashlib.sha1(password.encode("utf-8")).hexdigest(), client_ip)
    except Failure as failure:
        if any(p.code == errors.BAD_CREDENTIALS.code for p in failure.problems):
            raise Failure(problem(errors.OAUTH_BAD_PASSWORD)) from None
        raise
    settings = svc.settings
    with svc.db.write() as conn:
        _purge_expired(conn, developer.id)
        refresh = _store(conn, developer.id, REFRESH, settings.oauth_refresh_ttl_seconds)
        access = _store(conn, developer.id, ACCESS, settings.oauth_access_ttl_seconds)
    return Grant(access, refresh, settings.oauth_access_ttl_seconds)


def _row(conn, secret: str, kind: str):
    return conn.execute(sa.select(oauth_tokens.c.developer_id, oauth_tokens.c.expires_at, oauth_tokens.c.token_hash)
                        .where(oauth_tokens.c.token_hash == tokens.digest(secret), oauth_tokens.c.kind == kind)).first()


def refresh_grant(svc: Services, refresh_token: object) -> Grant:
    if not isinstance(refresh_token, str) or not refresh_token:
        raise Failure(problem(errors.OAUTH_BAD_REFRESH))
    with svc.db.write() as conn:
        row = _row(conn, refresh_token, REFRESH)
        if row is None or as_utc(row.expires_at) <= utcnow() or not tokens.same_digest(row.token_hash, refresh_token):
            raise Failure(problem(errors.OAUTH_BAD_REFRESH))
        developer = accounts.developer_by_id(svc, row.developer_id)
        if developer is None or not developer.confirmed or developer.disabled:
            raise Failure(problem(errors.OAUTH_BAD_REFRESH))
        _purge_expired(conn, row.developer_id)
        access = _store(conn, row.developer_id, ACCESS, svc.settings.oauth_access_ttl_seconds)
    return Grant(access, refresh_token, svc.settings.oauth_access_ttl_seconds)


def developer_by_access_token(svc: Services, access_token: str) -> accounts.Developer:
    """The developer an access token belongs to; AUTH-8 unknown, AUTH-9 expired."""
    with svc.db.read() as conn:
        row = _row(conn, access_token, ACCESS)
    if row is None or not tokens.same_digest(row.token_hash, access_token):
        raise Failure(problem(errors.ACCESS_TOKEN_INVALID))
    if as_utc(row.expires_at) <= utcnow():
        raise Failure(problem(errors.ACCESS_TOKEN_EXPIRED))
    developer = accounts.developer_by_id(svc, row.developer_id)
    if developer is None or developer.disabled:
        raise Failure(problem(errors.ACCESS_TOKEN_INVALID))
    return developer
