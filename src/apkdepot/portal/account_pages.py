"""/dashboard/account: change the password or the e-mail address, see the
open sessions and end them. The same functions as /api/accounts."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath

from apkdepot import errors
from apkdepot.accounts import second_factor, security
from apkdepot.api.json.common import SESSION_COOKIE, changed, client_ip, run, services
from apkdepot.api.ws.dispatch import base_url
from apkdepot.errors import Failure, problem
from apkdepot.i18n import N_, gettext
from apkdepot.numbers import parse_whole
from apkdepot.portal.views import _forbidden, _session_or_login, checked_form
from apkdepot.portal.web import field_errors, locale_of, redirect, render

NOTICES = {
    "password": N_("Your password was changed. Your other sessions were ended."),
    "email": N_("We sent a link to the new address: the change takes effect when you open it."),
    "session": N_("The session was ended."),
    "second_factor_off": N_("The second factor is off: your password alone logs you in again."),
}


class AccountPages(Controller):
    path = "/dashboard/account"
    include_in_schema = False

    async def _page(self, request: Request, session, status: int = 200, errors_: dict | None = None,
                    general: list | None = None) -> Response:
        svc = services(request)
        sessions = await run(security.list_sessions, svc, session.developer.id, request.cookies.get(SESSION_COOKIE))
        factor = await run(second_factor.status, svc, session.developer.id)
        done = request.query_params.get("done")
        return render(request, "account.html", status, session=session, sessions=sessions, errors=errors_ or {},
                      general=general or [], second_factor=factor,
                      notice=gettext(locale_of(request), NOTICES[done]) if done in NOTICES else None)

    @post("/second-factor/setup", status_code=200)
    async def second_factor_setup(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            enrolment = await run(second_factor.begin, services(request), session.developer.id)
        except Failure as failure:
            return _forbidden(request, failure, session)
        return render(request, "second_factor_setup.html", session=session, enrolment=enrolment, errors={})

    @post("/second-factor/enable", status_code=200)
    async def second_factor_enable(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        svc = services(request)
        try:
            codes = await run(second_factor.enable, svc, session.developer.id, form.get("otp"))
        except Failure as failure:
            enrolment = await run(second_factor.pending, svc, session.developer.id)
            if enrolment is None:
                return _forbidden(request, failure, session)
            by_field, _ = field_errors(failure, locale_of(request))
            return render(request, "second_factor_setup.html", 422, session=session, enrolment=enrolment,
                          errors=by_field)
        return render(request, "recovery_codes.html", session=session, codes=codes)

    @post("/second-factor/disable", status_code=303)
    async def second_factor_disable(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            await run(second_factor.disable, services(request), session.developer.id, form.get("otp"))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return await self._page(request, session, 422, {"disable_otp": by_field.get("otp", "")}, general)
        return redirect("/dashboard/account?done=second_factor_off")

    @get("/")
    async def show(self, request: Request) -> Response:
        session, away = await _session_or_login(request)
        return away or await self._page(request, session)

    @post("/password", status_code=303)
    async def password(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            await run(security.change_password, services(request), session.developer.id, form.get("current_password"),
                      form.get("new_password"), request.cookies.get(SESSION_COOKIE), client_ip(request))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return await self._page(request, session, failure.http_status if failure.http_status != 403 else 422,
                                    by_field, general)
        return redirect("/dashboard/account?done=password")

    @post("/email", status_code=303)
    async def email(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        svc = services(request)
        try:
            await run(security.request_email_change, svc, session.developer.id, form.get("email_password"),
                      form.get("email"), locale_of(request), base_url(request, svc), client_ip(request))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            if "current_password" in by_field:
                by_field["email_password"] = by_field.pop("current_password")
            return await self._page(request, session, failure.http_status if failure.http_status != 403 else 422,
                                    by_field, general)
        return redirect("/dashboard/account?done=email")

    @post("/delete", status_code=200)
    async def delete(self, request: Request) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        svc = services(request)
        try:
            deleted = await run(security.delete_account, svc, session.developer.id, form.get("delete_password"),
                                client_ip(request))
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            if "current_password" in by_field:
                by_field["delete_password"] = by_field.pop("current_password")
            return await self._page(request, session, failure.http_status if failure.http_status != 403 else 422,
                                    by_field, general)
        await changed(request)
        locale = locale_of(request)
        response = render(request, "message.html", heading=gettext(locale, "Your account is deleted."),
                          text=gettext(locale, "{count} stores were deleted with it. Their names stay reserved.").format(
                              count=deleted), link="/", link_text=gettext(locale, "Home"))
        response.set_cookie(Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, httponly=True))
        return response

    @post("/sessions/{session_id:str}/end", status_code=303)
    async def end(self, request: Request, session_id: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        try:
            number = parse_whole(session_id, 1, 2**62)
            if number is None:
                raise Failure(problem(errors.SESSION_NOT_FOUND), 404)
            await run(security.end_session, services(request), session.developer.id, number)
        except Failure as failure:
            return _forbidden(request, failure, session)
        return redirect("/dashboard/account?done=session")
