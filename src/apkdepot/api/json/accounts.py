"""``/api/accounts``: sign-up, confirmation, log-in/out, password reset, the dev token."""

from __future__ import annotations


from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath

from apkdepot import errors
from apkdepot.accounts import second_factor, security
from apkdepot.accounts import services as accounts
from apkdepot.accounts.passwords import sha1_hex
from apkdepot.api.json.common import (
    SESSION_COOKIE, changed, client_ip, current_developer, ok, read_json_object, request_locale, run, services,
)
from apkdepot.api.origin import is_https
from apkdepot.api.ws.dispatch import base_url
from apkdepot.errors import Failure, problem
from apkdepot.numbers import parse_whole


def _session_cookie(request: Request, value: str, max_age: int) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=value, max_age=max_age, path="/", httponly=True,
                  samesite="lax", secure=is_https(request.scope))


class AccountsController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]

    @post("/register", status_code=201, summary="Sign up a developer account")
    async def register(self, request: Request) -> Response:
        body = await read_json_object(request)
        locale = request_locale(request, body)
        svc = services(request)
        developer = await run(accounts.register, svc, body, locale, base_url(request, svc), client_ip(request))
        return ok({"developer": developer.public(), "confirmation_sent_to": developer.email}, 201)

    @get("/confirm", summary="Confirm an e-mail address with the mailed single-use link")
    async def confirm(self, request: Request) -> Response:
        developer = await run(accounts.confirm_email, services(request), request.query_params.get("token", ""))
        return ok({"developer": developer.public()})

    @post("/confirm/resend", status_code=200, summary="Send the confirmation mail again")
    async def resend(self, request: Request) -> Response:
        body = await read_json_object(request)
        svc = services(request)
        await run(accounts.resend_confirmation, svc, body.get("email"), request_locale(request, body),
                  base_url(request, svc), client_ip(request))
        return ok()

    @post("/login", status_code=200, summary="Log in: opens a portal session (cookie)")
    async def login(self, request: Request) -> Response:
        body = await read_json_object(request)
        password = body.get("password")
        if not isinstance(password, str):
            password = ""
        svc = services(request)
        developer = await run(accounts.authenticate, svc, body.get("email"), sha1_hex(password), client_ip(request),
                              body.get("otp"))
        secret, session = await run(accounts.open_session, svc, developer)
        response = ok({"developer": developer.public(), "csrf_token": session.csrf_token})
        response.set_cookie(_session_cookie(request, secret, svc.settings.session_ttl_seconds))
        return response

    @post("/logout", status_code=200, summary="Close the portal session")
    async def logout(self, request: Request) -> Response:
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            await current_developer(request)  # a cookie-authenticated POST needs its CSRF token
            await run(accounts.close_session, services(request), secret)
        response = ok()
        response.set_cookie(_session_cookie(request, "", 0))
        return response

    @get("/me", summary="The authenticated developer")
    async def me(self, request: Request) -> Response:
        developer = await current_developer(request)
        return ok({"developer": developer.public()})

    @get("/token", summary="The developer's current dev token")
    async def token(self, request: Request) -> Response:
        developer = await current_developer(request)
        return ok({"token": accounts.dev_token(services(request), developer)})

    @post("/token/regenerate", status_code=200, summary="Replace the dev token; the old one fails at once")
    async def regenerate(self, request: Request) -> Response:
        developer = await current_developer(request)
        token = await run(accounts.regenerate_token, services(request), developer.id)
        await changed(request)
        return ok({"token": token})

    @post("/password", status_code=200,
          summary="Change the password (current_password, new_password); ends every other session and OAuth token")
    async def change_password(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        ended = await run(security.change_password, services(request), developer.id, body.get("current_password"),
                          body.get("new_password"), request.cookies.get(SESSION_COOKIE), client_ip(request))
        return ok({"sessions_ended": ended})

    @post("/delete", status_code=200,
          summary="Delete the account (password): its stores are deleted (their names stay reserved), every "
                  "credential stops at once, the address is free again")
    async def delete_account(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        deleted = await run(security.delete_account, services(request), developer.id, body.get("password"),
                            client_ip(request))
        await changed(request)
        response = ok({"deleted_stores": deleted})
        response.delete_cookie(SESSION_COOKIE)
        return response

    @post("/email", status_code=200,
          summary="Change the e-mail address (password, email): it changes when the link mailed there is opened")
    async def change_email(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        svc = services(request)
        email = await run(security.request_email_change, svc, developer.id, body.get("password"), body.get("email"),
                          request_locale(request, body), base_url(request, svc), client_ip(request))
        return ok({"pending_email": email})

    @get("/second-factor", summary="Whether the TOTP second factor is on, and how many recovery codes are left")
    async def second_factor_status(self, request: Request) -> Response:
        developer = await current_developer(request)
        return ok({"second_factor": await run(second_factor.status, services(request), developer.id)})

    @post("/second-factor/setup", status_code=200,
          summary="Start the second factor: a new key (text, otpauth:// address, QR code) for an authenticator app")
    async def second_factor_setup(self, request: Request) -> Response:
        developer = await current_developer(request)
        enrolment = await run(second_factor.begin, services(request), developer.id)
        return ok({"setup": enrolment.public()})

    @post("/second-factor/enable", status_code=200,
          summary="Turn the second factor on with a code (otp) from the new key; answers the recovery codes, once")
    async def second_factor_enable(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        codes = await run(second_factor.enable, services(request), developer.id, body.get("otp"))
        return ok({"recovery_codes": codes})

    @post("/second-factor/disable", status_code=200, summary="Turn the second factor off (with a code, otp)")
    async def second_factor_disable(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        if "otp" in body and not isinstance(body["otp"], str):
            raise Failure(problem(errors.SECOND_FACTOR_WRONG, "otp"), 422)
        await run(second_factor.disable, services(request), developer.id, body.get("otp"))
        return ok()

    @get("/sessions", summary="The developer's open portal sessions")
    async def sessions(self, request: Request) -> Response:
        developer = await current_developer(request)
        found = await run(security.list_sessions, services(request), developer.id,
                          request.cookies.get(SESSION_COOKIE))
        return ok({"sessions": [s.public() for s in found]})

    @delete("/sessions/{session_id:str}", status_code=200, summary="End one of the developer's sessions")
    async def end_session(self, request: Request, session_id: FromPath[str]) -> Response:
        developer = await current_developer(request)
        number = parse_whole(session_id, 1, 2**62)
        if number is None:
            raise Failure(problem(errors.SESSION_NOT_FOUND))
        await run(security.end_session, services(request), developer.id, number)
        return ok()

    @post("/password/forgot", status_code=200, summary="Mail a password reset link (same answer for any address)")
    async def forgot(self, request: Request) -> Response:
        body = await read_json_object(request)
        svc = services(request)
        await run(accounts.request_password_reset, svc, body.get("email"), request_locale(request, body),
                  base_url(request, svc), client_ip(request))
        return ok()

    @get("/password/reset", summary="Check a password reset link without using it")
    async def check_reset(self, request: Request) -> Response:
        await run(accounts.check_link, services(request), accounts.RESET, request.query_params.get("token", ""))
        return ok({"valid": True})

    @post("/password/reset", status_code=200, summary="Set a new password with the mailed single-use link")
    async def reset(self, request: Request) -> Response:
        body = await read_json_object(request)
        developer = await run(accounts.reset_password, services(request), body.get("token"), body.get("password"))
        return ok({"developer": developer.public()})
