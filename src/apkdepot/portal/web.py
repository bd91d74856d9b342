"""What every portal page shares: the language, the signed-in developer,
CSRF tokens, small form parsing and template rendering."""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

from apkdepot import audit, errors
from apkdepot.accounts import services as accounts
from apkdepot.api.origin import is_https
from apkdepot.api.json.common import SESSION_COOKIE, client_ip, read_capped_body, run, services
from apkdepot.errors import Failure, problem
from apkdepot.i18n import gettext, negotiate, normalise_locale

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE = "apkdepot_lang"
CSRF_COOKIE = "apkdepot_csrf"
COOKIE_NOTICE = "apkdepot_cookies_ok"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def placeholders(message: str) -> Markup:
    """A catalogue message as documentation shows it: each ``{name}`` it fills in as <var>name</var>."""
    return Markup(re.sub(r"\{(\w+)\}", r"<var>\1</var>", str(escape(message))))


env.filters["placeholders"] = placeholders


def locale_of(request: Request) -> str:
    explicit = normalise_locale(request.query_params.get("lang")) or normalise_locale(request.cookies.get(LANG_COOKIE))
    return explicit or negotiate(None, request.headers.get("accept-language"))


async def current_session(request: Request) -> accounts.Session | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    session = await run(accounts.session_by_secret, services(request), secret)
    if session is not None:
        developer = session.developer
        audit.act_as(audit.Actor(developer.id, developer.email, client_ip(request), developer.is_admin))
    return session


def anonymous_csrf(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    return token if token and len(token) <= 64 else secrets.token_urlsafe(24)


def secure(request: Request) -> bool:
    """Cookies get Secure when the client reached us over https (directly, or
    through a trusted proxy's X-Forwarded-Proto)."""
    return is_https(request.scope)


async def read_form(request: Request) -> dict[str, str]:
    """A urlencoded form, size-capped and strictly UTF-8 (a bad one is empty)."""
    body = await read_capped_body(request)
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        return {}


def check_csrf(request: Request, form: dict[str, str], session: accounts.Session | None) -> None:
    """Every form carries a CSRF token: the session's when signed in, else the
    one in the anonymous CSRF cookie (double submit). Anything else: 403."""
    sent = form.get("csrf_token", "")
    expected = session.csrf_token if session else request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Failure(problem(errors.CSRF_FAILED), 403)


def field_errors(failure: Failure, locale: str) -> tuple[dict[str, str], list[str]]:
    by_field: dict[str, str] = {}
    general: list[str] = []
    for p in failure.problems:
        if p.field and p.field not in by_field:
            by_field[p.field] = p.message(locale)
        elif not p.field:
            general.append(p.message(locale))
    return by_field, general


def language_switch_base(request: Request) -> str:
    """The page the language links reload: this one for a GET; after a form was
    posted (its address takes no GET), the page the form was on."""
    if request.method in ("GET", "HEAD"):
        path, query = request.url.path, request.url.query
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        path, query = safe_next(referer.path, "/"), referer.query
    kept = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"])
    return quote(path, safe="/") + ("?" + kept + "&" if kept else "?")


def render(request: Request, template: str, status: int = 200, session: accounts.Session | None = None,
           **context: Any) -> Response:
    locale = locale_of(request)
    csrf = session.csrf_token if session else anonymous_csrf(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = env.get_template(template).render(
        _=lambda text, **kw: gettext(locale, text).format(**kw) if kw else gettext(locale, text),
        locale=locale, html_lang="pt-BR" if locale == "pt_BR" else "en", session=session,
        developer=session.developer if session else None, csrf_token=csrf,
        show_cookie_notice=request.cookies.get(COOKIE_NOTICE) != "1", here=quote(here, safe="/?=&"),
        language_base=language_switch_base(request), contact_email=services(request).settings.contact_email,
        **context)
    response = Response(html, status_code=status, media_type="text/html; charset=utf-8",
                        headers={"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "same-origin",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                                            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
                                 # A signed-in page shows tokens and personal data: never kept by a cache.
                                 "Cache-Control": "no-store" if session else "no-cache"})
    if not session and request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(Cookie(key=CSRF_COOKIE, value=csrf, path="/", httponly=True, samesite="strict",
                                   secure=secure(request)))
    if request.query_params.get("lang") and normalise_locale(request.query_params.get("lang")):
        response.set_cookie(Cookie(key=LANG_COOKIE, value=locale, path="/", max_age=365 * 86400, samesite="lax",
                                   secure=secure(request)))
    return response


def redirect(path: str) -> Response:
    return Redirect(path, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
