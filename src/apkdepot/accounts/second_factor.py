"""The TOTP second factor (RFC 6238, 6 digits every 30 s, as authenticator apps
make them) and its one-time recovery codes.

Set-up shows a new key (text, otpauth:// address and QR code); the factor is
on once a code made from it is entered, which also gives ten recovery codes,
shown that once. Then every password log-in needs a code (or a recovery code,
each good once); a code is good once too (the last time step used is kept).
The key is kept encrypted (AES-GCM, with a key derived from the server
secret); recovery codes only as SHA-256 digests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pyotp
import segno
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from apkdepot import audit, errors
from apkdepot.accounts import tokens
from apkdepot.db.schema import developers, recovery_codes
from apkdepot.db.time import utcnow
from apkdepot.errors import Failure, problem
from apkdepot.services import Services

ISSUER = "ApkDepot"
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
# A code from the step before or after the server's clock still counts (clock drift).
DRIFT_STEPS = 1
# What anyone types: a 6-digit code or a recovery code, with spaces or dashes.
MAX_CODE_LENGTH = 20


def _cipher(server_secret: bytes) -> AESGCM:
    return AESGCM(hmac.new(server_secret, b"apkdepot second factor key", hashlib.sha256).digest())


def seal(key: str, server_secret: bytes) -> str:
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + _cipher(server_secret).encrypt(nonce, key.encode(), None)).decode()


def unseal(sealed: str, server_secret: bytes) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    return _cipher(server_secret).decrypt(raw[:12], raw[12:], None).decode()


def normalise_code(code: Any) -> str:
    """What a person typed: spaces and dashes dropped, lower case."""
    return "".join(ch for ch in code if ch not in " -").lower() if isinstance(code, str) else ""


def matching_step(key: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code ``code`` is, within the allowed drift."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(key, interval=STEP_SECONDS)
    moment = time.time() if now is None else now
    current = int(moment // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    letters = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{letters[:5]}-{letters[5:]}"


@dataclass(frozen=True)
class Enrolment:
    key: str  # base32, for typing into an app
    uri: str  # otpauth://totp/…
    qr_svg: str

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "otpauth_uri": self.uri, "qr_svg": self.qr_svg}


def _row(conn: sa.Connection, developer_id: int):
    return conn.execute(sa.select(developers.c.email, developers.c.totp_secret, developers.c.totp_enabled_at,
                                  developers.c.totp_last_step).where(developers.c.id == developer_id)).one()


def begin(svc: Services, developer_id: int) -> Enrolment:
    """A new key, kept until a code made from it turns the factor on (AUTH-15 if it is on)."""
    key = pyotp.random_base32()
    with svc.db.write() as conn:
        row = _row(conn, developer_id)
        if row.totp_enabled_at is not None:
            raise Failure(problem(errors.SECOND_FACTOR_ON))
        conn.execute(developers.update().where(developers.c.id == developer_id)
                     .values(totp_secret=seal(key, svc.secret), totp_last_step=None))
    return _enrolment(key, row.email)


def _enrolment(key: str, email: str) -> Enrolment:
    uri = pyotp.TOTP(key, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, title=ISSUER, svgclass="qr", lineclass=None, omitsize=True,
                                                border=2)
    return Enrolment(key, uri, svg.replace("<svg ", '<svg role="img" ', 1))


def pending(svc: Services, developer_id: int) -> Enrolment | None:
    """The set-up begun and not finished yet (its key, shown again after a wrong code)."""
    with svc.db.read() as conn:
        row = _row(conn, developer_id)
    if row.totp_enabled_at is not None or not row.totp_secret:
        return None
    return _enrolment(unseal(row.totp_secret, svc.secret), row.email)


def enable(svc: Services, developer_id: int, code: Any) -> list[str]:
    """Turns the factor on with a code from the key ``begin`` gave; returns the
    recovery codes (shown only now)."""
    with svc.db.write() as conn:
        row = _row(conn, developer_id)
        if row.totp_enabled_at is not None:
            raise Failure(problem(errors.SECOND_FACTOR_ON))
        if not row.totp_secret:
            raise Failure(problem(errors.SECOND_FACTOR_NOT_STARTED))
        step = matching_step(unseal(row.totp_secret, svc.secret), normalise_code(code))
        if step is None:
            raise Failure(problem(errors.SECOND_FACTOR_WRONG, "otp"), 422)  # signed in already: a bad value, not a log-in
        conn.execute(developers.update().where(developers.c.id == developer_id)
                     .values(totp_enabled_at=utcnow(), totp_last_step=step))
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        conn.execute(recovery_codes.delete().where(recovery_codes.c.developer_id == developer_id))
        conn.execute(recovery_codes.insert(), [{"developer_id": developer_id, "code_hash": tokens.digest(c)}
                                               for c in codes])
        audit.record(conn, "account.second_factor_on", "developer", row.email, developer_id)
    return codes


def check(conn: sa.Connection, svc: Services, developer_id: int, code: Any) -> bool:
    """Whether ``code`` is a good second factor now: a TOTP code newer than the
    last one used, or an unused recovery code (used up by this). In the caller's
    write transaction."""
    row = _row(conn, developer_id)
    if row.totp_enabled_at is None or not row.totp_secret:
        return False
    typed = normalise_code(code)
    step = matching_step(unseal(row.totp_secret, svc.secret), typed)
    if step is not None:
        if row.totp_last_step is not None and step <= row.totp_last_step:
            return False  # that code, or an older one, was used already
        return conn.execute(developers.update().where(
            developers.c.id == developer_id,
            sa.or_(developers.c.totp_last_step.is_(None), developers.c.totp_last_step < step))
            .values(totp_last_step=step)).rowcount == 1
    if len(typed) != 10:
        return False
    used = conn.execute(recovery_codes.update().where(
        recovery_codes.c.developer_id == developer_id,
        recovery_codes.c.code_hash == tokens.digest(f"{typed[:5]}-{typed[5:]}"),
        recovery_codes.c.used_at.is_(None)).values(used_at=utcnow())).rowcount == 1
    if used:
        audit.record(conn, "account.recovery_code_used", "developer", row.email, developer_id)
    return used


def disable(svc: Services, developer_id: int, code: Any) -> None:
    """Turns the factor off; it takes a code (or a recovery code) to do so."""
    if code is not None and (not isinstance(code, str) or len(code) > MAX_CODE_LENGTH):
        raise Failure(problem(errors.SECOND_FACTOR_WRONG, "otp"), 422)
    with svc.db.write() as conn:
        row = _row(conn, developer_id)
        if row.totp_enabled_at is None:
            conn.execute(developers.update().where(developers.c.id == developer_id)
                         .values(totp_secret=None, totp_last_step=None))  # an unfinished set-up is dropped
            return
        if not check(conn, svc, developer_id, code):
            raise Failure(problem(errors.SECOND_FACTOR_WRONG, "otp"), 422)  # signed in already: a bad value, not a log-in
        conn.execute(developers.update().where(developers.c.id == developer_id)
                     .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None))
        conn.execute(recovery_codes.delete().where(recovery_codes.c.developer_id == developer_id))
        audit.record(conn, "account.second_factor_off", "developer", row.email, developer_id)


def status(svc: Services, developer_id: int) -> dict[str, Any]:
    with svc.db.read() as conn:
        row = _row(conn, developer_id)
        left = conn.execute(sa.select(sa.func.count()).select_from(recovery_codes).where(
            recovery_codes.c.developer_id == developer_id, recovery_codes.c.used_at.is_(None))).scalar()
    return {"enabled": row.totp_enabled_at is not None, "recovery_codes_left": left if row.totp_enabled_at else 0}
