"""``/api/tokens`` (API tokens for the app list API) and ``/api/apps`` (the
app-owner records: register iOS apps, change currency, time zone, retargeting)."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath

from apkdepot.accounts import api_tokens
from apkdepot.api.json.common import current_developer, ok, read_json_object, run, services
from apkdepot import errors
from apkdepot.errors import Failure, problem
from apkdepot.numbers import parse_whole
from apkdepot.catalog import owner_apps


class TokensController(Controller):
    path = "/api/tokens"
    tags = ["app list"]

    @post("/", status_code=201, summary="Create an API token (shown once, in this answer only), with its scopes "
                                       "and an optional expiry")
    async def create(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        token, secret = await run(api_tokens.create_token, services(request), developer.id, body.get("name"),
                                  body.get("scopes"), body.get("expires_in_days"))
        return ok({"token": secret, "api_token": token.public()}, 201)

    @get("/", summary="The developer's API tokens (never the tokens themselves)")
    async def list_mine(self, request: Request) -> Response:
        developer = await current_developer(request)
        found = await run(api_tokens.list_tokens, services(request), developer.id)
        return ok({"api_tokens": [t.public() for t in found]})

    @delete("/{token_id:str}", status_code=200, summary="Revoke an API token")
    async def revoke(self, request: Request, token_id: FromPath[str]) -> Response:
        developer = await current_developer(request)
        number = parse_whole(token_id)
        if number is None:
            raise Failure(problem(errors.TOKEN_NOT_FOUND))
        await run(api_tokens.revoke_token, services(request), developer.id, number)
        return ok()


class AppsController(Controller):
    path = "/api/apps"
    tags = ["app list"]

    @post("/", status_code=201, summary="Register an app (iOS apps; Android apps appear when published)")
    async def register(self, request: Request) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        app = await run(owner_apps.register_app, services(request), developer.id, body)
        return ok({"app": app.resource()}, 201)

    @get("/", summary="The developer's app records, in app list order")
    async def list_mine(self, request: Request) -> Response:
        developer = await current_developer(request, "apps:read")
        apps, total = await run(owner_apps.page, services(request), developer.id, 1000, 0)
        return ok({"apps": [a.resource() for a in apps], "total": total})

    @patch("/{platform:str}/{app_id:str}", summary="Change an app's name, currency, time zone or retargeting")
    async def update(self, request: Request, platform: FromPath[str], app_id: FromPath[str]) -> Response:
        developer = await current_developer(request)
        body = await read_json_object(request)
        app = await run(owner_apps.update_app, services(request), developer.id, platform, app_id, body)
        return ok({"app": app.resource()})
