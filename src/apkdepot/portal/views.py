"""The developer portal: sign-up, confirmation, log-in, password reset, the
dashboard (dev token, API tokens, stores, uploads, apps) and public store
pages. Pages only call the same services as the JSON API."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath

from apkdepot import errors
from apkdepot.accounts import api_tokens
from apkdepot.accounts import services as accounts
from apkdepot.accounts.passwords import sha1_hex
from apkdepot.api.json.common import SESSION_COOKIE, changed, client_ip, run, services
from apkdepot.api.ws.dispatch import base_url
from apkdepot.catalog import app_listing, listing_images, owner_apps, publishing, queries, stores
from apkdepot.catalog.uploads import receive_multipart
from apkdepot.errors import Failure, problem
from apkdepot.numbers import parse_whole
from apkdepot.portal import listing_editor
from apkdepot.portal.web import (
    COOKIE_NOTICE, check_csrf, current_session, field_errors, locale_of, read_form, redirect, render, safe_next,
    secure,
)
from apkdepot.i18n import N_, gettext

SIGNUP_COOKIE = "apkdepot_signup"
SIGNUP_FIELDS = ("email", "name", "account_type", "website", "business_name", "company_name", "address", "city",
                 "zip_code", "country", "phone", "tax_id", "accept_terms")
NOTICES = {
    "token": N_("Your dev token was regenerated. The old one no longer works."),
    "revoked": N_("The API token was revoked."),
    "store": N_("The store was created."),
    "saved": N_("Saved."),
    "removed": N_("The version was removed."),
    "app": N_("The app was registered."),
    "renamed": N_("The store was renamed. Its old name keeps leading here, and nobody else can take it."),
    "deleted": N_("The store was deleted. Its name stays reserved."),
}


def _signup_cookie_value(request: Request, developer_id: int) -> str:
    mac = hmac.new(services(request).secret, f"signup:{developer_id}".encode(), hashlib.sha256).hexdigest()
    return f"{developer_id}.{mac}"


def _signup_developer_id(request: Request) -> int | None:
    raw = request.cookies.get(SIGNUP_COOKIE, "")
    developer_id, _, mac = raw.partition(".")
    number = parse_whole(developer_id)
    if number is None:
        return None
    expected = _signup_cookie_value(request, number).partition(".")[2]
    return number if hmac.compare_digest(mac, expected) else None


SECOND_STEP_COOKIE = "apkdepot_second_step"
SECOND_STEP_SECONDS = 300


def _second_step_value(request: Request, developer_id: int) -> str:
    expires = int(time.time()) + SECOND_STEP_SECONDS
    return f"{developer_id}.{expires}.{_second_step_value_for(request, developer_id, expires)}"


def _second_step_developer(request: Request) -> int | None:
    """The account a first log-in step vouched for, while its cookie is fresh."""
    parts = request.cookies.get(SECOND_STEP_COOKIE, "").split(".")
    if len(parts) != 3:
        return None
    developer_id, expires = parse_whole(parts[0]), parse_whole(parts[1])
    if developer_id is None or expires is None or expires < time.time():
        return None
    expected = _second_step_value_for(request, developer_id, expires)
    return developer_id if hmac.compare_digest(parts[2], expected) else None


def _second_step_value_for(request: Request, developer_id: int, expires: int) -> str:
    return hmac.new(services(request).secret, f"second-step:{developer_id}:{expires}".encode(),
                    hashlib.sha256).hexdigest()


async def _signed_in(request: Request, developer, next_page: Any) -> Response:
    svc = services(request)
    secret, _ = await run(accounts.open_session, svc, developer)
    response = redirect(safe_next(next_page, "/dashboard"))
    response.set_cookie(Cookie(key=SESSION_COOKIE, value=secret, path="/", max_age=svc.settings.session_ttl_seconds,
                               httponly=True, samesite="lax", secure=secure(request)))
    return response


def _notice(request: Request) -> str | None:
    key = request.query_params.get("done")
    return gettext(locale_of(request), NOTICES[key]) if key in NOTICES else None


async def _session_or_login(request: Request):
    session = await current_session(request)
    if session is None:
        return None, redirect(f"/login?next={request.url.path}")
    return session, None


def _forbidden(request: Request, failure: Failure, session=None) -> Response:
    locale = locale_of(request)
    return render(request, "message.html", failure.http_status, session=session, heading=gettext(locale, "Sorry"),
                  problem="\n".join(p.message(locale) for p in failure.problems))


async def checked_form(request: Request, signed_in=_session_or_login):
    """(session, form, None) for a form post from a signed-in page with a right
    CSRF token; otherwise (None, None, the answer to give): the log-in page, or
    a refusal. ``signed_in`` picks who may post (operators, say)."""
    session, away = await signed_in(request)
    if away:
        return None, None, away
    form = await read_form(request)
    try:
        check_csrf(request, form, session)
    except Failure as failure:
        return None, None, _forbidden(request, failure, session)
    return session, form, None


def categories_from_lines(text: str) -> list[dict[str, Any]]:
    """``Name | pt-BR=Nome | es=Nombre`` per line -> the JSON API's category list (checked there)."""
    found = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        labels = {}
        for part in parts[1:]:
            tag, _, label = part.partition("=")
            labels[tag.strip()] = label.strip()
        found.append({"name": parts[0], "labels": labels})
    return found


def lines_of_categories(categories) -> str:
    return "\n".join(" | ".join([c.name, *(f"{tag}={label}" for tag, label in sorted(c.labels.items()))])
                     for c in categories)


class PublicPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Response:
        session = await current_session(request)
        svc = services(request)
        public = [s for s in (request.app.state.runtime.cache.by_id(i) for i in await run(queries.public_store_ids, svc)) if s]
        return render(request, "home.html", session=session, public_stores=public)

    @get("/privacy")
    async def privacy(self, request: Request) -> Response:
        return render(request, "privacy.html", session=await current_session(request))

    @get("/terms")
    async def terms(self, request: Request) -> Response:
        """The operator's terms (APKDEPOT_TERMS_FILE, Markdown) or the built-in ones."""
        from markupsafe import Markup

        from apkdepot.catalog.app_listing import description_html

        own = services(request).settings.terms_file
        text = await run(Path(own).read_text, "utf-8") if own else None
        return render(request, "terms.html", session=await current_session(request),
                      operator_terms=Markup(description_html(text)) if text else None)

    @post("/confirm/resend", status_code=200)
    async def resend_confirmation(self, request: Request) -> Response:
        """Another confirmation mail, for someone who cannot log in before confirming."""
        form = await read_form(request)
        locale = locale_of(request)
        svc = services(request)
        try:
            check_csrf(request, form, None)
            await run(accounts.resend_confirmation, svc, form.get("email"), locale, base_url(request, svc),
                      client_ip(request))
        except Failure as failure:
            if failure.http_status == 403:
                return _forbidden(request, failure)
            _, general = field_errors(failure, locale)
            return render(request, "login.html", failure.http_status, email=form.get("email", ""), errors={},
                          general=general, next="/dashboard", unconfirmed=True)
        return render(request, "message.html", heading=gettext(locale, "Check your mailbox"),
                      text=gettext(locale, "If {email} has an account waiting for confirmation, a new confirmation "
                                           "mail is on its way.").format(email=form.get("email", "")[:254]),
                      link="/login", link_text=gettext(locale, "Log in"))

    @post("/cookies/ok", status_code=303)
    async def cookies_ok(self, request: Request) -> Response:
        form = await read_form(request)
        session = await current_session(request)
        try:
            check_csrf(request, form, session)
        except Failure as failure:
            return _forbidden(request, failure, session)
        response = redirect(safe_next(form.get("next")))
        response.set_cookie(Cookie(key=COOKIE_NOTICE, value="1", path="/", max_age=365 * 86400, samesite="lax",
                                   secure=secure(request)))
        return response

    @get("/signup")
    async def signup_form(self, request: Request) -> Response:
        return render(request, "signup.html", form={"account_type": "personal"}, errors={}, general=[])

    @post("/signup", status_code=200)
    async def signup(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        svc = services(request)
        shown = {k: form.get(k, "") for k in SIGNUP_FIELDS}
        try:
            check_csrf(request, form, None)
            developer = await run(accounts.register, svc, form, locale, base_url(request, svc), client_ip(request))
        except Failure as failure:
            if failure.http_status == 403:
                return _forbidden(request, failure)
            by_field, general = field_errors(failure, locale)
            return render(request, "signup.html", 429 if failure.http_status == 429 else 422, form=shown,
                          errors=by_field, general=general)
        response = render(request, "signup_sent.html", email=developer.email, errors={})
        response.set_cookie(Cookie(key=SIGNUP_COOKIE, value=_signup_cookie_value(request, developer.id), path="/",
                                   max_age=3600, httponly=True, samesite="strict", secure=secure(request)))
        return response

    @post("/signup/email", status_code=200)
    async def wrong_email(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        svc = services(request)
        developer_id = _signup_developer_id(request)
        try:
            check_csrf(request, form, None)
            if developer_id is None:
                raise Failure(problem(errors.LINK_INVALID))
            developer = await run(accounts.change_unconfirmed_email, svc, developer_id, form.get("email"), locale,
                                  base_url(request, svc), client_ip(request))
        except Failure as failure:
            if failure.http_status == 403:
                return _forbidden(request, failure)
            by_field, general = field_errors(failure, locale)
            return render(request, "signup_sent.html", 422, email="", errors=by_field or {"email": "\n".join(general)})
        return render(request, "signup_sent.html", email=developer.email, errors={})

    @get("/confirm")
    async def confirm(self, request: Request) -> Response:
        locale = locale_of(request)
        try:
            await run(accounts.confirm_email, services(request), request.query_params.get("token", ""))
        except Failure as failure:
            return render(request, "message.html", 400, heading=gettext(locale, "Email confirmation"),
                          problem="\n".join(p.message(locale) for p in failure.problems))
        return render(request, "message.html", heading=gettext(locale, "Your email address is confirmed."),
                      text=gettext(locale, "You can log in now."), link="/login", link_text=gettext(locale, "Log in"))

    @get("/login")
    async def login_form(self, request: Request) -> Response:
        return render(request, "login.html", email="", errors={}, general=[],
                      next=safe_next(request.query_params.get("next"), "/dashboard"))

    @post("/login", status_code=200)
    async def login(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        svc = services(request)
        try:
            check_csrf(request, form, None)
            developer = await run(accounts.authenticate, svc, form.get("email"), sha1_hex(form.get("password", "")),
                                  client_ip(request))
        except Failure as failure:
            if failure.http_status == 403 and failure.problems[0].code == "AUTH-4":
                return _forbidden(request, failure)
            if failure.problems[0].code == errors.SECOND_FACTOR_NEEDED.code:
                # The password was right: the second step asks for the code.
                developer = await run(accounts.developer_by_email, svc, form.get("email", "").strip().lower())
                response = render(request, "login_code.html", errors={}, general=[],
                                  next=safe_next(form.get("next"), "/dashboard"))
                response.set_cookie(Cookie(key=SECOND_STEP_COOKIE, value=_second_step_value(request, developer.id),
                                           path="/login", max_age=SECOND_STEP_SECONDS, httponly=True,
                                           samesite="strict", secure=secure(request)))
                return response
            _, general = field_errors(failure, locale)
            return render(request, "login.html", failure.http_status, email=form.get("email", ""), errors={},
                          general=general, next=safe_next(form.get("next"), "/dashboard"),
                          unconfirmed=failure.problems[0].code == errors.EMAIL_NOT_CONFIRMED.code)
        return await _signed_in(request, developer, form.get("next"))

    @post("/login/code", status_code=200)
    async def login_code(self, request: Request) -> Response:
        """The second step of a log-in with the second factor on: the code, for
        the account whose password the first step checked (a signed, short-lived cookie)."""
        form = await read_form(request)
        svc = services(request)
        next_page = safe_next(form.get("next"), "/dashboard")
        try:
            check_csrf(request, form, None)
        except Failure as failure:
            return _forbidden(request, failure)
        developer_id = _second_step_developer(request)
        developer = await run(accounts.developer_by_id, svc, developer_id) if developer_id else None
        if developer is None or developer.disabled:
            return redirect("/login")
        try:
            await run(accounts.check_second_factor, svc, developer, form.get("otp"), client_ip(request))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return render(request, "login_code.html", failure.http_status, errors=by_field, general=general,
                          next=next_page)
        response = await _signed_in(request, developer, next_page)
        response.set_cookie(Cookie(key=SECOND_STEP_COOKIE, value="", path="/login", max_age=0, httponly=True))
        return response

    @post("/logout", status_code=303)
    async def logout(self, request: Request) -> Response:
        form = await read_form(request)
        session = await current_session(request)
        if session is not None:
            try:
                check_csrf(request, form, session)
            except Failure as failure:
                return _forbidden(request, failure, session)
            await run(accounts.close_session, services(request), request.cookies.get(SESSION_COOKIE))
        response = redirect("/")
        response.set_cookie(Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, httponly=True))
        return response

    @get("/forgot")
    async def forgot_form(self, request: Request) -> Response:
        return render(request, "forgot.html", errors={}, sent=False)

    @post("/forgot", status_code=200)
    async def forgot(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        svc = services(request)
        try:
            check_csrf(request, form, None)
            await run(accounts.request_password_reset, svc, form.get("email"), locale, base_url(request, svc),
                      client_ip(request))
        except Failure as failure:
            if failure.http_status == 403:
                return _forbidden(request, failure)
            by_field, general = field_errors(failure, locale)
            return render(request, "forgot.html", failure.http_status, errors=by_field or {"email": "\n".join(general)},
                          sent=False)
        return render(request, "forgot.html", errors={}, sent=True)

    @get("/reset")
    async def reset_form(self, request: Request) -> Response:
        locale = locale_of(request)
        token = request.query_params.get("token", "")
        try:
            await run(accounts.check_link, services(request), accounts.RESET, token)
        except Failure as failure:
            return render(request, "message.html", 400, heading=gettext(locale, "Choose a new password"),
                          problem="\n".join(p.message(locale) for p in failure.problems), link="/forgot",
                          link_text=gettext(locale, "Forgot your password?"))
        return render(request, "reset.html", token=token, errors={}, general=[])

    @post("/reset", status_code=200)
    async def reset(self, request: Request) -> Response:
        form = await read_form(request)
        locale = locale_of(request)
        try:
            check_csrf(request, form, None)
            await run(accounts.reset_password, services(request), form.get("token"), form.get("password"))
        except Failure as failure:
            if failure.http_status == 403 and failure.problems[0].code == "AUTH-4":
                return _forbidden(request, failure)
            by_field, general = field_errors(failure, locale)
            return render(request, "reset.html", 422, token=form.get("token", ""), errors=by_field, general=general)
        return render(request, "message.html", heading=gettext(locale, "Your new password is saved."),
                      link="/login", link_text=gettext(locale, "Log in"))


class Dashboard(Controller):
    path = "/dashboard"
    include_in_schema = False

    async def _page(self, request: Request, session, status: int = 200, errors_: dict | None = None,
                    general: list | None = None, form: dict | None = None, ios_form: dict | None = None) -> Response:
        svc = services(request)
        developer = session.developer
        mine = await run(stores.list_stores, svc, developer.id)
        tokens = await run(api_tokens.list_tokens, svc, developer.id)
        apps, _ = await run(owner_apps.page, svc, developer.id, 1000, 0)
        return render(request, "dashboard.html", status, session=session, dev_token=accounts.dev_token(svc, developer),
                      stores=mine, api_tokens=tokens, apps=apps, errors=errors_ or {}, general=general or [],
                      form=form or {}, ios_form=ios_form or {}, notice=_notice(request))

    @get("/")
    async def home(self, request: Request) -> Response:
        session, away = await _session_or_login(request)
        return away or await self._page(request, session)

    @get("/token/regenerate")
    async def confirm_regenerate(self, request: Request) -> Response:
        session, away = await _session_or_login(request)
        return away or render(request, "token_regenerate.html", session=session)

    @post("/token/regenerate", status_code=303)
    async def regenerate(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        await run(accounts.regenerate_token, services(request), session.developer.id)
        await changed(request)
        return redirect("/dashboard?done=token#dev-token-card")

    @post("/api-tokens", status_code=200)
    async def create_api_token(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            _, secret = await run(api_tokens.create_token, services(request), session.developer.id, form.get("token_name"))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return await self._page(request, session, 422, {"token_name": by_field.get("name", "")}, general)
        return render(request, "token_created.html", session=session, secret=secret)

    @post("/api-tokens/{token_id:str}/revoke", status_code=303)
    async def revoke_api_token(self, request: Request, token_id: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            number = parse_whole(token_id)
            if number is None:
                raise Failure(problem(errors.TOKEN_NOT_FOUND))
            await run(api_tokens.revoke_token, services(request), session.developer.id, number)
        except Failure as failure:
            return _forbidden(request, failure, session)
        return redirect("/dashboard?done=revoked#api-tokens")

    @post("/stores", status_code=303)
    async def create_store(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            store = await run(stores.create_store, services(request), session.developer.id,
                              {"name": form.get("store_name", ""), "description": form.get("description", "")})
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            by_field = {("store_name" if k == "name" else k): v for k, v in by_field.items()}
            return await self._page(request, session, 422, by_field, general, form)
        await changed(request)
        return redirect(f"/dashboard/stores/{store.name}?done=store")

    async def _store_page(self, request: Request, session, store, status: int = 200, errors_: dict | None = None,
                          general: list | None = None, typed: dict | None = None,
                          categories_text: str | None = None) -> Response:
        from apkdepot.api.json.stores import store_card

        svc = services(request)
        card = await run(store_card, request, store)
        versions = await run(publishing.list_versions, svc, store)
        if categories_text is None:
            categories_text = lines_of_categories(await run(publishing.get_store_categories, svc, store))
        return render(request, "store_edit.html", status, session=session, store=store, fdroid=card.get("fdroid"),
                      themes=stores.THEMES, theme_names=stores.THEME_NAMES, versions=versions, errors=errors_ or {}, general=general or [],
                      notice=_notice(request), categories_text=categories_text, settings_form=typed or {
                          "description": store.description, "theme": store.theme, "private": store.private,
                          "basic_user": store.basic_user or ""})

    async def _owned(self, request: Request, session, name: str):
        try:
            return await run(stores.owned_store, services(request), session.developer.id, name), None
        except Failure as failure:
            return None, _forbidden(request, failure, session)

    @get("/stores/{name:str}")
    async def store(self, request: Request, name: FromPath[str]) -> Response:
        session, away = await _session_or_login(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        return refused or await self._store_page(request, session, store)

    @post("/stores/{name:str}", status_code=200)
    async def update_store(self, request: Request, name: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        changes: dict[str, Any] = {"description": form.get("description", ""), "theme": form.get("theme", store.theme),
                                   "private": form.get("private") == "on"}
        if form.get("basic_password"):
            changes.update(basic_user=form.get("basic_user", ""), basic_password=form["basic_password"])
        try:
            store = await run(stores.update_store, services(request), store, changes)
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            typed = {"description": form.get("description", ""), "theme": form.get("theme", store.theme),
                     "private": form.get("private") == "on", "basic_user": form.get("basic_user", "")}
            return await self._store_page(request, session, store, 422, by_field, general, typed)
        await changed(request)
        return redirect(f"/dashboard/stores/{store.name}?done=saved")

    @post("/stores/{name:str}/categories", status_code=200)
    async def save_categories(self, request: Request, name: FromPath[str]) -> Response:
        """The store's categories, one per line: ``Name | pt-BR=Nome | es=Nombre``."""
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        text = form.get("categories", "")
        try:
            await run(publishing.put_store_categories, services(request), store,
                      {"categories": categories_from_lines(text)})
        except Failure as failure:
            _, general = field_errors(failure, locale_of(request))
            by_field = {"categories": "\n".join(f"{p.field}: {p.message(locale_of(request))}" if p.field else
                                                 p.message(locale_of(request)) for p in failure.problems)}
            return await self._store_page(request, session, store, 422, by_field, [], categories_text=text)
        await changed(request)
        return redirect(f"/dashboard/stores/{store.name}?done=saved#categories")

    @post("/stores/{name:str}/upload", status_code=200)
    async def upload(self, request: Request, name: FromPath[str]) -> Response:
        """The upload form without JavaScript (with it, the page posts each file
        to the JSON API and shows the progress)."""
        session, away = await _session_or_login(request)
        if away:
            return away
        svc = services(request)
        locale = locale_of(request)
        try:
            form = await receive_multipart(request, svc)
        except Failure as failure:
            return _forbidden(request, failure, session)
        with form:
            try:
                check_csrf(request, {"csrf_token": form.fields.get("csrf_token", "")}, session)
            except Failure as failure:
                return _forbidden(request, failure, session)
            store, refused = await self._owned(request, session, name)
            if refused:
                return refused
            chosen = [u for u in form.files.get("apk", []) if u.size > 0]
            if not chosen:
                return await self._store_page(request, session, store, 422, {"apk": gettext(
                    locale, "Choose at least one APK file to upload.")})
            results = []
            for upload in chosen:
                try:
                    published = await run(publishing.publish_file, svc, session.developer.id, store.name, upload.path, {})
                    results.append({"file": upload.filename, "apk": published.apk})
                except Failure as failure:
                    results.append({"file": upload.filename,
                                    "error": "; ".join(f"{p.code}: {p.message(locale)}" for p in failure.problems)})
        await changed(request)
        return render(request, "upload_result.html", session=session, results=results, store=store.name)

    @post("/stores/{name:str}/rename", status_code=200)
    async def rename_store(self, request: Request, name: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        try:
            store = await run(stores.rename_store, services(request), store, form.get("new_name", ""))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return await self._store_page(request, session, store, 422, {"new_name": by_field.get("name", "")},
                                          general)
        await changed(request)
        return redirect(f"/dashboard/stores/{store.name}?done=renamed")

    @post("/stores/{name:str}/delete", status_code=200)
    async def delete_store(self, request: Request, name: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        try:
            await run(stores.delete_store, services(request), store, form.get("confirm", ""))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return await self._store_page(request, session, store, 422, by_field, general)
        await changed(request)
        return redirect("/dashboard?done=deleted")

    @post("/stores/{name:str}/remove", status_code=303)
    async def remove_version(self, request: Request, name: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        code = form.get("version_code", "")
        try:
            version_code = parse_whole(code, 1, 2**31 - 1)
            if version_code is None:
                raise Failure(problem(errors.NO_SUCH_APK))
            await run(publishing.remove_version, services(request), store, form.get("package", ""), version_code)
        except Failure as failure:
            return _forbidden(request, failure, session)
        await changed(request)
        return redirect(f"/dashboard/stores/{store.name}?done=removed")

    @get("/stores/{name:str}/apps/{package:str}/listing")
    async def listing(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        session, away = await _session_or_login(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        locale = app_listing.normalize_locale(request.query_params.get("locale") or app_listing.DEFAULT_LOCALE)
        if locale is None:
            return await self._listing_page(request, session, store, package, app_listing.DEFAULT_LOCALE, 422,
                                            general=[problem(errors.LISTING_LOCALE_INVALID, locale=(
                                                request.query_params.get("locale") or "")[:40]).message(
                                                locale_of(request))])
        return await self._listing_page(request, session, store, package, locale)

    async def _listing_page(self, request: Request, session, store, package: str, locale: str, status: int = 200,
                            errors_: dict | None = None, general: list | None = None, typed: dict | None = None,
                            image_errors: list | None = None) -> Response:
        try:
            data = await run(listing_editor.page_data, services(request), store, package, locale)
        except Failure as failure:
            return _forbidden(request, failure, session)
        if typed is not None:
            data["form"] = {**data["form"], **typed}
        return render(request, "listing_edit.html", status, session=session, store=store, package=package,
                      errors=errors_ or {}, general=general or [], image_errors=image_errors or [],
                      notice=_notice(request), **data)

    @post("/stores/{name:str}/apps/{package:str}/listing", status_code=200)
    async def save_listing(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        session, away = await _session_or_login(request)
        if away:
            return away
        svc = services(request)
        ui_locale = locale_of(request)
        tag = app_listing.normalize_locale(request.query_params.get("locale") or "") or app_listing.DEFAULT_LOCALE
        try:
            form = await receive_multipart(request, svc, ("screenshots", "feature_graphic"),
                                           listing_images.IMAGE_MAX_BYTES, errors.LISTING_IMAGE_TOO_LARGE)
        except Failure as failure:
            store, refused = await self._owned(request, session, name)
            return refused or await self._listing_page(request, session, store, package, tag, failure.http_status,
                                                       general=[p.message(ui_locale) for p in failure.problems])
        with form:
            try:
                check_csrf(request, {"csrf_token": form.fields.get("csrf_token", "")}, session)
            except Failure as failure:
                return _forbidden(request, failure, session)
            store, refused = await self._owned(request, session, name)
            if refused:
                return refused
            if form.problems:
                return await self._listing_page(request, session, store, package, tag, 400,
                                                general=[p.message(ui_locale) for p in form.problems])
            tag = app_listing.normalize_locale(form.fields.get("locale") or "") or tag
            typed = {k: form.fields.get(k, "") for k in listing_editor.FORM_FIELDS}
            try:
                await run(listing_editor.save_texts, svc, store, package, tag, form.fields,
                          form.fields_all.get("drop", []))
            except Failure as failure:
                if failure.http_status == 404:
                    return _forbidden(request, failure, session)
                by_field, general = listing_editor.form_errors(failure, tag, ui_locale)
                return await self._listing_page(request, session, store, package, tag, 422, by_field, general, typed)
            image_errors = []
            for field_name, kind in (("screenshots", "phone"), ("feature_graphic", "feature")):
                for received in form.files.get(field_name, []):
                    if received.size == 0:
                        continue  # the browser sends an empty part for an empty file input
                    try:
                        await run(publishing.add_listing_image, svc, store, session.developer.id, package,
                                  received.path, kind, tag)
                    except Failure as failure:
                        image_errors.append(f"{received.filename}: "
                                            + "; ".join(p.message(ui_locale) for p in failure.problems))
        await changed(request)
        if image_errors:
            return await self._listing_page(request, session, store, package, tag, 422, image_errors=image_errors,
                                            general=[gettext(ui_locale, "The texts were saved; some images were not.")])
        return redirect(f"/dashboard/stores/{store.name}/apps/{package}/listing?locale={tag}&done=saved")

    @post("/apps", status_code=303)
    async def register_app(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            await run(owner_apps.register_app, services(request), session.developer.id,
                      {"platform": "ios", "id": form.get("id"), "name": form.get("name"),
                       "currency": form.get("currency") or "USD", "time_zone": form.get("time_zone") or "UTC"})
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            typed = {k: form.get(k, "") for k in ("id", "name", "currency", "time_zone")}
            return await self._page(request, session, 422, by_field, general, ios_form=typed)
        return redirect("/dashboard?done=app#apps")

    @get("/apps/{platform:str}/{app_id:str}")
    async def app_settings(self, request: Request, platform: FromPath[str], app_id: FromPath[str]) -> Response:
        session, away = await _session_or_login(request)
        if away:
            return away
        try:
            app = await run(owner_apps.get_app, services(request), session.developer.id, platform, app_id)
        except Failure as failure:
            return _forbidden(request, failure, session)
        return render(request, "app_edit.html", session=session, app=app, errors={}, notice=_notice(request))

    @post("/apps/{platform:str}/{app_id:str}", status_code=200)
    async def update_app(self, request: Request, platform: FromPath[str], app_id: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        svc = services(request)
        try:
            await run(owner_apps.update_app, svc, session.developer.id, platform, app_id,
                      {"name": form.get("name", ""), "currency": form.get("currency", ""),
                       "time_zone": form.get("time_zone", ""), "enable_retargetting": form.get("enable_retargetting") == "on"})
        except Failure as failure:
            if failure.http_status == 404:
                return _forbidden(request, failure, session)
            app = await run(owner_apps.get_app, svc, session.developer.id, platform, app_id)
            by_field, _ = field_errors(failure, locale_of(request))
            return render(request, "app_edit.html", 422, session=session, app=app, errors=by_field, notice=None)
        return redirect(f"/dashboard/apps/{platform}/{app_id}?done=saved")
