"""Developer accounts: sign-up, e-mail confirmation, log-in, password reset,
the dev token and portal sessions. Plain functions over ``Services``; the HTTP
layers (web services, JSON API, portal) only translate requests into calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

import sqlalchemy as sa

from apkdepot import audit, errors
from apkdepot.accounts import tokens
from apkdepot.accounts.validation import Registration, check_registration, valid_email, valid_password
from apkdepot.db.schema import account_links, developers, oauth_tokens, portal_sessions
from apkdepot.db.time import as_utc, utcnow
from apkdepot.index.versions import bump_accounts_clock
from apkdepot.errors import Failure, problem
from apkdepot.i18n import N_, gettext
from apkdepot.mail import compose
from apkdepot.ratelimit import Limit
from apkdepot.services import Services

CONFIRM = "confirm"
RESET = "reset"


@dataclass(frozen=True)
class Developer:
    id: int
    email: str
    name: str
    account_type: str
    confirmed: bool
    lang: str
    token_nonce: str
    is_admin: bool = False
    disabled: bool = False
    second_factor: bool = False

    @classmethod
    def from_row(cls, row: Any) -> "Developer":
        return cls(row.id, row.email, row.name, row.account_type, row.email_confirmed_at is not None,
                   row.lang, row.token_nonce, bool(row.is_admin), row.disabled_at is not None,
                   row.totp_enabled_at is not None)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name,
                "account_type": self.account_type, "email_confirmed": self.confirmed, "operator": self.is_admin,
                "second_factor": self.second_factor}


_DEVELOPER_COLUMNS = (developers.c.id, developers.c.email, developers.c.name, developers.c.account_type,
                      developers.c.email_confirmed_at, developers.c.lang, developers.c.token_nonce,
                      developers.c.is_admin, developers.c.disabled_at, developers.c.totp_enabled_at)


# --- throttling ---------------------------------------------------------------

def throttle(svc: Services, action: str, email: str | None, client_ip: str | None,
             per_address: int, per_ip: int) -> None:
    """Counts one attempt against the address and the client IP; over either
    limit the caller gets RATE-1 (HTTP 429) with the time to wait."""
    window = svc.settings.auth_window_seconds
    retry_after = 0
    for key, amount in ((f"{action}:addr:{email}", per_address), (f"{action}:ip:{client_ip}", per_ip)):
        if key.endswith(":None") or key.endswith(":"):
            continue
        decision = svc.limiter.hit(key, [Limit(amount, window)])
        if not decision.allowed:
            retry_after = max(retry_after, decision.retry_after)
    if retry_after:
        raise Failure(problem(errors.TOO_MANY_REQUESTS, retry_after=retry_after), 429,
                      headers={"Retry-After": str(retry_after)})


# --- dev token ----------------------------------------------------------------

def dev_token(svc: Services, developer: Developer) -> str:
    return tokens.derive_dev_token(svc.secret, developer.id, developer.token_nonce)


def developer_by_token(svc: Services, token: str) -> Developer | None:
    if not tokens.looks_like_dev_token(token):
        return None
    token_hash = tokens.digest(token)
    with svc.db.read() as conn:
        row = conn.execute(sa.select(*_DEVELOPER_COLUMNS, developers.c.token_hash)
                           .where(developers.c.token_hash == token_hash)).first()
    if row is None or not tokens.same_digest(row.token_hash, token) or row.disabled_at is not None:
        return None
    return Developer.from_row(row)


def regenerate_token(svc: Services, developer_id: int) -> str:
    nonce = tokens.new_nonce()
    token = tokens.derive_dev_token(svc.secret, developer_id, nonce)
    with svc.db.write() as conn:
        conn.execute(developers.update().where(developers.c.id == developer_id).values(
            token_nonce=nonce, token_hash=tokens.digest(token), token_created_at=utcnow()))
        # Every server process drops this developer's remembered tokens.
        bump_accounts_clock(conn, developer_id)
        audit.record(conn, "token.regenerate", "dev_token", developer_id, developer_id)
    return token


# --- sign-up ----------------------------------------------------------------

def _insert_developer(conn: sa.Connection, svc: Services, reg: Registration, lang: str,
                      confirmed_at: datetime | None) -> Developer:
    now = utcnow()
    placeholder = tokens.new_nonce()  # replaced below once the id is known
    developer_id = conn.execute(developers.insert().values(
        email=reg.email, name=reg.name, account_type=reg.account_type,
        business_name=reg.business_name, company_name=reg.company_name, address=reg.address,
        city=reg.city, zip_code=reg.zip_code, country=reg.country, phone=reg.phone,
        tax_id=reg.tax_id, website=reg.website,
        password_hash=svc.passwords.hash_password(reg.password),
        token_hash="pending:" + placeholder, token_nonce=placeholder, token_created_at=now,
        email_confirmed_at=confirmed_at, lang=lang, created_at=now,
    ).returning(developers.c.id)).scalar_one()
    nonce = tokens.new_nonce()
    token = tokens.derive_dev_token(svc.secret, developer_id, nonce)
    conn.execute(developers.update().where(developers.c.id == developer_id)
                 .values(token_nonce=nonce, token_hash=tokens.digest(token)))
    audit.record(conn, "account.create", "developer", reg.email, developer_id,
                 after={"name": reg.name, "account_type": reg.account_type, "confirmed": confirmed_at is not None})
    return Developer(developer_id, reg.email, reg.name, reg.account_type, confirmed_at is not None, lang, nonce)


def _email_taken(conn: sa.Connection, email: str) -> bool:
    return conn.execute(sa.select(developers.c.id).where(developers.c.email == email)).first() is not None


def register(svc: Services, form: Mapping[str, Any], lang: str, base_url: str,
             client_ip: str | None = None) -> Developer:
    email = form.get("email") if isinstance(form.get("email"), str) else None
    throttle(svc, "signup", (email or "").strip().lower() or None, client_ip,
             svc.settings.signup_per_address, svc.settings.signup_per_ip)
    reg, found = check_registration(form)
    if reg is None:
        raise Failure(found)
    try:
        with svc.db.write() as conn:
            if _email_taken(conn, reg.email):
                raise Failure(problem(errors.REG_EMAIL_TAKEN, "email"))
            developer = _insert_developer(conn, svc, reg, lang, confirmed_at=None)
            link = new_link(conn, developer.id, CONFIRM, reg.email, svc.settings.confirm_link_ttl_seconds)
    except sa.exc.IntegrityError:
        with svc.db.read() as conn:
            if not _email_taken(conn, reg.email):
                raise
        # A concurrent sign-up with the same address won the race.
        raise Failure(problem(errors.REG_EMAIL_TAKEN, "email")) from None
    send_confirmation(svc, developer.email, link, lang, base_url)
    return developer


def create_confirmed_developer(svc: Services, form: Mapping[str, Any]) -> tuple[Developer, str]:
    """For the operator's CLI: the same rules, no mail, confirmed at once."""
    reg, found = check_registration({**form, "accept_terms": True})
    if reg is None:
        raise Failure(found)
    with svc.db.write() as conn:
        if _email_taken(conn, reg.email):
            raise Failure(problem(errors.REG_EMAIL_TAKEN, "email"))
        developer = _insert_developer(conn, svc, reg, "en", confirmed_at=utcnow())
    return developer, dev_token(svc, developer)


def developer_by_email(svc: Services, email: str) -> Developer | None:
    with svc.db.read() as conn:
        row = conn.execute(sa.select(*_DEVELOPER_COLUMNS).where(developers.c.email == email.strip().lower())).first()
    return Developer.from_row(row) if row else None


def developer_by_id(svc: Services, developer_id: int) -> Developer | None:
    with svc.db.read() as conn:
        row = conn.execute(sa.select(*_DEVELOPER_COLUMNS).where(developers.c.id == developer_id)).first()
    return Developer.from_row(row) if row else None


# --- one-time links -----------------------------------------------------------

def new_link(conn: sa.Connection, developer_id: int, purpose: str, email: str, ttl_seconds: int) -> str:
    secret = tokens.new_opaque_token()
    now = utcnow()
    conn.execute(account_links.insert().values(
        developer_id=developer_id, purpose=purpose, token_hash=tokens.digest(secret), email=email,
        expires_at=now + timedelta(seconds=ttl_seconds), created_at=now))
    return secret


def _usable_link(conn: sa.Connection, purpose: str, secret: Any) -> Any:
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        raise Failure(problem(errors.LINK_INVALID, "token"))
    row = conn.execute(sa.select(account_links).where(
        account_links.c.token_hash == tokens.digest(secret), account_links.c.purpose == purpose)).first()
    if row is None:
        raise Failure(problem(errors.LINK_INVALID, "token"))
    if row.used_at is not None:
        raise Failure(problem(errors.LINK_USED, "token"))
    if as_utc(row.expires_at) <= utcnow():
        raise Failure(problem(errors.LINK_EXPIRED, "token"))
    return row


def check_link(svc: Services, purpose: str, secret: Any) -> None:
    with svc.db.read() as conn:
        _usable_link(conn, purpose, secret)


def _consume_link(conn: sa.Connection, purpose: str, secret: Any) -> Any:
    """Marks the link used and returns it; a link works once, until it expires."""
    row = _usable_link(conn, purpose, secret)
    now = utcnow()
    claimed = conn.execute(account_links.update().where(
        account_links.c.id == row.id, account_links.c.used_at.is_(None)).values(used_at=now)).rowcount
    if claimed != 1:
        raise Failure(problem(errors.LINK_USED, "token"))
    return row


CONFIRM_SUBJECT = N_("Confirm your ApkDepot account")
CONFIRM_BODY = N_(
    "Hello {name},\n\nPlease confirm your email address by opening this link:\n\n{link}\n\n"
    "The link works once and expires in {hours} hours. If you did not sign up, ignore this message.\n"
)
RESET_SUBJECT = N_("Reset your ApkDepot password")
RESET_BODY = N_(
    "Hello {name},\n\nSomeone asked to reset the password of this account. To choose a new password, open:\n\n"
    "{link}\n\nThe link works once and expires in {hours} hours. If it was not you, ignore this message.\n"
)


def confirmation_link(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/confirm?token={secret}"


def reset_link(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/reset?token={secret}"


def send_confirmation(svc: Services, email: str, secret: str, lang: str, base_url: str,
                      name: str | None = None) -> None:
    """Mails a confirmation link to ``email`` (a new account's, or the new address of one)."""
    if name is None:
        found = developer_by_email(svc, email)
        name = found.name if found else email
    body = gettext(lang, CONFIRM_BODY).format(
        name=name, link=confirmation_link(base_url, secret),
        hours=svc.settings.confirm_link_ttl_seconds // 3600)
    svc.mailer.send(compose(svc.settings.mail_from, email, gettext(lang, CONFIRM_SUBJECT), body))


def confirm_email(svc: Services, secret: str) -> Developer:
    """Confirms the address a link was mailed to; for an address change, that
    address becomes the account's (REG-2 if another account took it meanwhile)."""
    try:
        with svc.db.write() as conn:
            link = _consume_link(conn, CONFIRM, secret)
            before = conn.execute(sa.select(developers.c.email).where(developers.c.id == link.developer_id)).scalar()
            conn.execute(developers.update().where(developers.c.id == link.developer_id)
                         .values(email=link.email, email_confirmed_at=utcnow()))
            bump_accounts_clock(conn, link.developer_id)
            audit.record(conn, "account.confirm", "developer", link.email, link.developer_id,
                         before={"email": before} if before != link.email else None,
                         after={"email": link.email} if before != link.email else None)
    except sa.exc.IntegrityError:
        raise Failure(problem(errors.REG_EMAIL_TAKEN, "email")) from None
    developer = developer_by_id(svc, link.developer_id)
    assert developer is not None
    return developer


def resend_confirmation(svc: Services, email: str, lang: str, base_url: str, client_ip: str | None) -> None:
    """Answers the same whether or not the address has an unconfirmed account."""
    email = email.strip().lower() if isinstance(email, str) else ""
    if not valid_email(email):
        raise Failure(problem(errors.REG_EMAIL, "email"))
    throttle(svc, "resend", email, client_ip, svc.settings.signup_per_address, svc.settings.signup_per_ip)
    developer = developer_by_email(svc, email)
    if developer is None or developer.confirmed:
        return
    with svc.db.write() as conn:
        secret = new_link(conn, developer.id, CONFIRM, email, svc.settings.confirm_link_ttl_seconds)
    send_confirmation(svc, email, secret, lang, base_url)


def request_password_reset(svc: Services, email: Any, lang: str, base_url: str, client_ip: str | None) -> None:
    """Answers the same whether or not the address exists (no account discovery)."""
    email = email.strip().lower() if isinstance(email, str) else ""
    if not valid_email(email):
        raise Failure(problem(errors.REG_EMAIL, "email"))
    throttle(svc, "reset", email, client_ip, svc.settings.login_per_address, svc.settings.login_per_ip)
    developer = developer_by_email(svc, email)
    if developer is None:
        return
    with svc.db.write() as conn:
        secret = new_link(conn, developer.id, RESET, email, svc.settings.reset_link_ttl_seconds)
    body = gettext(lang, RESET_BODY).format(name=developer.name, link=reset_link(base_url, secret),
                                            hours=max(1, svc.settings.reset_link_ttl_seconds // 3600))
    svc.mailer.send(compose(svc.settings.mail_from, email, gettext(lang, RESET_SUBJECT), body))


def reset_password(svc: Services, secret: Any, password: Any) -> Developer:
    if not isinstance(password, str) or not valid_password(password):
        raise Failure(problem(errors.REG_PASSWORD, "password"))
    with svc.db.write() as conn:
        link = _consume_link(conn, RESET, secret)
        values: dict[str, Any] = {"password_hash": svc.passwords.hash_password(password)}
        # The reset link proved the mailbox, as a confirmation link would.
        values["email_confirmed_at"] = sa.func.coalesce(developers.c.email_confirmed_at, utcnow())
        conn.execute(developers.update().where(developers.c.id == link.developer_id).values(**values))
        bump_accounts_clock(conn, link.developer_id)
        audit.record(conn, "account.password_reset", "developer", link.email, link.developer_id,
                     after={"password": "changed"})
        # A new password ends every log-in made with the old one: portal sessions and the apps' OAuth tokens.
        conn.execute(portal_sessions.delete().where(portal_sessions.c.developer_id == link.developer_id))
        conn.execute(oauth_tokens.delete().where(oauth_tokens.c.developer_id == link.developer_id))
    developer = developer_by_id(svc, link.developer_id)
    assert developer is not None
    return developer


# --- log-in -------------------------------------------------------------------

def authenticate(svc: Services, email: Any, passhash: Any, client_ip: str | None, otp: Any = None) -> Developer:
    """Checks an address and the SHA-1 hex of a password. Unknown address and
    wrong password answer alike (AUTH-1), in the same time. An account with the
    second factor on also needs ``otp``: AUTH-13 without it, AUTH-14 when wrong
    (both only after the password was right)."""
    email = email.strip().lower() if isinstance(email, str) else ""
    throttle(svc, "login", email or None, client_ip, svc.settings.login_per_address, svc.settings.login_per_ip)
    with svc.db.read() as conn:
        row = conn.execute(sa.select(*_DEVELOPER_COLUMNS, developers.c.password_hash)
                           .where(developers.c.email == email)).first() if email else None
    if row is None:
        svc.passwords.dummy_verify()
        raise Failure(problem(errors.BAD_CREDENTIALS))
    if not svc.passwords.verify_passhash(row.password_hash, passhash if isinstance(passhash, str) else ""):
        raise Failure(problem(errors.BAD_CREDENTIALS))
    developer = Developer.from_row(row)
    if developer.disabled:
        raise Failure(problem(errors.ACCOUNT_DISABLED))
    if not developer.confirmed:
        raise Failure(problem(errors.EMAIL_NOT_CONFIRMED))
    if developer.second_factor:
        if otp is None or otp == "":
            raise Failure(problem(errors.SECOND_FACTOR_NEEDED, "otp"))
        _verify_second_factor(svc, developer, otp)
    if svc.settings.login_notifications:
        _notify_login(svc, developer, client_ip)
    return developer


def _verify_second_factor(svc: Services, developer: Developer, otp: Any) -> None:
    from apkdepot.accounts import second_factor

    with svc.db.write() as conn:
        good = second_factor.check(conn, svc, developer.id, otp)
    if not good:
        raise Failure(problem(errors.SECOND_FACTOR_WRONG, "otp"))


def check_second_factor(svc: Services, developer: Developer, otp: Any, client_ip: str | None) -> None:
    """The portal's second log-in step: throttled like the first, then the code."""
    throttle(svc, "login", developer.email, client_ip, svc.settings.login_per_address, svc.settings.login_per_ip)
    _verify_second_factor(svc, developer, otp)
    if svc.settings.login_notifications:
        _notify_login(svc, developer, client_ip)


LOGIN_SUBJECT = N_("New log-in to your ApkDepot account")
LOGIN_BODY = N_("Hello {name},\n\nYour account was logged in to at {time} (UTC) from {address}.\n\n"
                "If it was not you, change your password now and turn on the second factor.\n")


def _notify_login(svc: Services, developer: Developer, client_ip: str | None) -> None:
    body = gettext(developer.lang, LOGIN_BODY).format(name=developer.name, time=f"{utcnow():%Y-%m-%d %H:%M}",
                                                      address=client_ip or "?")
    svc.mailer.send(compose(svc.settings.mail_from, developer.email, gettext(developer.lang, LOGIN_SUBJECT), body))


# --- portal sessions ------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    developer: Developer
    csrf_token: str


def open_session(svc: Services, developer: Developer) -> tuple[str, Session]:
    secret = tokens.new_opaque_token()
    csrf = tokens.new_opaque_token(24)
    now = utcnow()
    with svc.db.write() as conn:
        conn.execute(portal_sessions.insert().values(
            token_hash=tokens.digest(secret), developer_id=developer.id, csrf_token=csrf,
            expires_at=now + timedelta(seconds=svc.settings.session_ttl_seconds), created_at=now))
    return secret, Session(developer, csrf)


def session_by_secret(svc: Services, secret: str) -> Session | None:
    if not secret or len(secret) > 100:
        return None
    with svc.db.read() as conn:
        row = conn.execute(
            sa.select(*_DEVELOPER_COLUMNS, portal_sessions.c.csrf_token, portal_sessions.c.expires_at)
            .select_from(portal_sessions.join(developers, developers.c.id == portal_sessions.c.developer_id))
            .where(portal_sessions.c.token_hash == tokens.digest(secret))).first()
    if row is None or as_utc(row.expires_at) <= utcnow() or row.disabled_at is not None:
        return None
    return Session(Developer.from_row(row), row.csrf_token)


def close_session(svc: Services, secret: str) -> None:
    with svc.db.write() as conn:
        conn.execute(portal_sessions.delete().where(portal_sessions.c.token_hash == tokens.digest(secret)))


def primary_store(svc: Services, developer_id: int) -> tuple[str, str | None] | None:
    """(name, avatar key) of the developer's first store: the ``repo`` and
    ``avatar`` of checkUserCredentials."""
    from apkdepot.db.schema import stores

    with svc.db.read() as conn:
        row = conn.execute(sa.select(stores.c.name, stores.c.avatar_key).where(stores.c.owner_id == developer_id)
                           .order_by(stores.c.id).limit(1)).first()
    return (row.name, row.avatar_key) if row else None


def change_unconfirmed_email(svc: Services, developer_id: int, new_email: Any, lang: str, base_url: str,
                             client_ip: str | None) -> Developer:
    """"Ups... wrong email...": an account that has not confirmed its address yet
    may change it; the confirmation goes to the new one."""
    email = new_email.strip().lower() if isinstance(new_email, str) else ""
    throttle(svc, "resend", email or None, client_ip, svc.settings.signup_per_address, svc.settings.signup_per_ip)
    if not valid_email(email):
        raise Failure(problem(errors.REG_EMAIL, "email"))
    developer = developer_by_id(svc, developer_id)
    if developer is None or developer.confirmed:
        raise Failure(problem(errors.LINK_INVALID))
    try:
        with svc.db.write() as conn:
            if email != developer.email and _email_taken(conn, email):
                raise Failure(problem(errors.REG_EMAIL_TAKEN, "email"))
            conn.execute(developers.update().where(developers.c.id == developer_id).values(email=email))
            bump_accounts_clock(conn, developer_id)
            audit.record(conn, "account.email", "developer", email, developer_id, before={"email": developer.email},
                         after={"email": email})
            secret = new_link(conn, developer_id, CONFIRM, email, svc.settings.confirm_link_ttl_seconds)
    except sa.exc.IntegrityError:
        raise Failure(problem(errors.REG_EMAIL_TAKEN, "email")) from None
    send_confirmation(svc, email, secret, lang, base_url)
    updated = developer_by_id(svc, developer_id)
    assert updated is not None
    return updated
