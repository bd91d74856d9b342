"""A signed-in developer's own account security: change the password or the
e-mail address (re-confirmed by a link to the new address), list the portal
sessions and end them, delete the account. Every change is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from apkdepot import audit, errors
from apkdepot.accounts import services as accounts
from apkdepot.accounts import tokens
from apkdepot.accounts.passwords import sha1_hex
from apkdepot.accounts.validation import valid_email, valid_password
from apkdepot.db.schema import (
    account_links, api_tokens, developers, oauth_tokens, owner_apps, portal_sessions, recovery_codes,
)
from apkdepot.db.time import as_utc, utcnow
from apkdepot.errors import Failure, problem
from apkdepot.index.versions import bump_accounts_clock
from apkdepot.services import Services


def _check_password(svc: Services, developer_id: int, password: Any, client_ip: str | None) -> Any:
    """The developer's row when ``password`` is theirs (throttled like a log-in; AUTH-11 otherwise)."""
    with svc.db.read() as conn:
        row = conn.execute(sa.select(developers.c.email, developers.c.name, developers.c.password_hash,
                                     developers.c.lang).where(developers.c.id == developer_id)).first()
    if row is None:
        raise Failure(problem(errors.NOT_AUTHENTICATED))
    accounts.throttle(svc, "login", row.email, client_ip, svc.settings.login_per_address, svc.settings.login_per_ip)
    if not isinstance(password, str) or not svc.passwords.verify_passhash(row.password_hash, sha1_hex(password)):
        raise Failure(problem(errors.WRONG_CURRENT_PASSWORD, "current_password"))
    return row


def change_password(svc: Services, developer_id: int, current: Any, new: Any, keep_session: str | None,
                    client_ip: str | None) -> int:
    """Sets a new password after checking the current one. Every other log-in
    made with the old one ends (portal sessions but ``keep_session``, OAuth
    tokens); the dev token and API tokens stay. Returns how many sessions ended."""
    _check_password(svc, developer_id, current, client_ip)
    if not isinstance(new, str) or not valid_password(new):
        raise Failure(problem(errors.REG_PASSWORD, "new_password"))
    with svc.db.write() as conn:
        conn.execute(developers.update().where(developers.c.id == developer_id)
                     .values(password_hash=svc.passwords.hash_password(new)))
        others = portal_sessions.c.developer_id == developer_id
        if keep_session:
            others = sa.and_(others, portal_sessions.c.token_hash != tokens.digest(keep_session))
        ended = conn.execute(portal_sessions.delete().where(others)).rowcount
        conn.execute(oauth_tokens.delete().where(oauth_tokens.c.developer_id == developer_id))
        bump_accounts_clock(conn, developer_id)
        audit.record(conn, "account.password", "developer", developer_id, developer_id,
                     after={"password": "changed", "sessions_ended": ended})
    return ended


def request_email_change(svc: Services, developer_id: int, password: Any, new_email: Any, lang: str, base_url: str,
                         client_ip: str | None) -> str:
    """Mails a confirmation link to the new address; the account keeps its
    current address until that link is opened. Returns the new address."""
    row = _check_password(svc, developer_id, password, client_ip)
    email = new_email.strip().lower() if isinstance(new_email, str) else ""
    if not valid_email(email):
        raise Failure(problem(errors.REG_EMAIL, "email"))
    with svc.db.write() as conn:
        if email != row.email and conn.execute(sa.select(developers.c.id).where(developers.c.email == email)).first():
            raise Failure(problem(errors.REG_EMAIL_TAKEN, "email"))
        secret = accounts.new_link(conn, developer_id, accounts.CONFIRM, email,
                                   svc.settings.confirm_link_ttl_seconds)
        audit.record(conn, "account.email_requested", "developer", row.email, developer_id,
                     before={"email": row.email}, after={"email": email})
    accounts.send_confirmation(svc, email, secret, lang, base_url, row.name)
    return email


@dataclass(frozen=True)
class SessionInfo:
    id: int
    created_at: datetime
    expires_at: datetime
    current: bool

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at.isoformat(), "expires_at": self.expires_at.isoformat(),
                "current": self.current}


def list_sessions(svc: Services, developer_id: int, current_secret: str | None) -> list[SessionInfo]:
    current_hash = tokens.digest(current_secret) if current_secret else None
    now = utcnow()
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(portal_sessions.c.id, portal_sessions.c.created_at, portal_sessions.c.expires_at,
                                      portal_sessions.c.token_hash)
                            .where(portal_sessions.c.developer_id == developer_id)
                            .order_by(portal_sessions.c.id.desc())).all()
    return [SessionInfo(r.id, as_utc(r.created_at), as_utc(r.expires_at), r.token_hash == current_hash)
            for r in rows if as_utc(r.expires_at) > now]


def end_session(svc: Services, developer_id: int, session_id: int) -> None:
    """Ends one of the developer's sessions (someone else's is "not found")."""
    with svc.db.write() as conn:
        ended = conn.execute(portal_sessions.delete().where(portal_sessions.c.id == session_id,
                                                            portal_sessions.c.developer_id == developer_id)).rowcount
        if not ended:
            raise Failure(problem(errors.SESSION_NOT_FOUND))
        audit.record(conn, "account.session_end", "session", session_id, developer_id)


def delete_account(svc: Services, developer_id: int, password: Any, client_ip: str | None) -> int:
    """Deletes the account after checking its password: every store of it is
    deleted first (their names stay reserved, as for any deleted store), then
    every credential, token, app record and personal detail goes. What stays is
    an anonymous row (so ids in the audit log still mean one account) and the
    audit log itself. The address is free for a new sign-up. Every process
    refuses the old dev token and API tokens at once (the accounts clock).
    Returns how many stores were deleted."""
    _check_password(svc, developer_id, password, client_ip)
    return erase_account(svc, developer_id)


def erase_account(svc: Services, developer_id: int) -> int:
    """delete_account without the password (the command line's ``developer delete``)."""
    from apkdepot.catalog import stores as store_catalog

    developer = accounts.developer_by_id(svc, developer_id)
    if developer is None:
        raise Failure(problem(errors.NOT_AUTHENTICATED))
    if developer.is_admin:
        raise Failure(problem(errors.OPERATOR_CANNOT_LEAVE))
    mine = store_catalog.list_stores(svc, developer_id)
    for store in mine:
        store_catalog.delete_store(svc, store, store.name, "account deleted")
    with svc.db.write() as conn:
        for table in (portal_sessions, oauth_tokens, api_tokens, recovery_codes, account_links, owner_apps):
            conn.execute(table.delete().where(table.c.developer_id == developer_id))
        conn.execute(developers.update().where(developers.c.id == developer_id).values(
            email=f"deleted-{developer_id}@deleted.invalid", name="(deleted)", business_name=None, company_name=None,
            address=None, city=None, zip_code=None, country=None, phone=None, tax_id=None, website=None,
            # Nothing can log in or match: a password hash and a token digest no input produces.
            password_hash="!deleted", token_hash=f"!deleted-{developer_id}", token_nonce="",
            totp_secret=None, totp_enabled_at=None, disabled_at=utcnow(), disabled_reason="deleted by its owner"))
        bump_accounts_clock(conn, developer_id)
        audit.record(conn, "account.delete", "developer", developer_id, developer_id,
                     before={"stores": [s.name for s in mine]}, after=None)
    return len(mine)
