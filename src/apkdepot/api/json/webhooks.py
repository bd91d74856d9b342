"""``/api/stores/{name}/webhooks``: a store's webhooks and their delivery log."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath

from apkdepot import errors, webhooks
from apkdepot.api.json.common import current_developer, ok, read_json_object, run, services
from apkdepot.catalog import stores
from apkdepot.errors import Failure, problem
from apkdepot.numbers import parse_whole


def _hook_number(text: str) -> int:
    number = parse_whole(text, 1, 2**31 - 1)
    if number is None:
        raise Failure(problem(errors.WEBHOOK_NOT_FOUND))
    return number


def _page_start(request: Request) -> int | None:
    given = request.query_params.get("before")
    if given is None:
        return None
    number = parse_whole(given, 1, 2**63 - 1)
    if number is None:
        raise Failure(problem(errors.INVALID_NUMBER, "before", name="before", min=1, max=2**63 - 1))
    return number


def _limit(request: Request) -> int:
    given = request.query_params.get("limit")
    if given is None:
        return 50
    number = parse_whole(given, 1, 200)
    if number is None:
        raise Failure(problem(errors.INVALID_NUMBER, "limit", name="limit", min=1, max=200))
    return number


class WebhooksController(Controller):
    path = "/api/stores/{name:str}/webhooks"
    tags = ["webhooks"]

    async def _store(self, request: Request, name: str, scope: str) -> stores.Store:
        developer = await current_developer(request, scope)
        return await run(stores.owned_store, services(request), developer.id, name)

    @get("/", summary="The store's webhooks")
    async def list_hooks(self, request: Request, name: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:read")
        found = await run(webhooks.list_hooks, services(request), store.id)
        return ok({"webhooks": [h.public() for h in found], "events": list(webhooks.EVENTS)})

    @post("/", status_code=201, summary="Add a webhook: its secret is in this answer only")
    async def create(self, request: Request, name: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:write")
        body = await read_json_object(request)
        hook, secret = await run(webhooks.create_hook, services(request), store, body)
        return ok({"webhook": {**hook.public(), "secret": secret}}, 201)

    @get("/{hook:str}", summary="One webhook")
    async def get_one(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:read")
        found = await run(webhooks.get_hook, services(request), store.id, _hook_number(hook))
        return ok({"webhook": found.public()})

    @patch("/{hook:str}", summary="Change a webhook's address or events, or make it a new secret")
    async def update(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:write")
        body = await read_json_object(request)
        changed, secret = await run(webhooks.update_hook, services(request), store, _hook_number(hook), body)
        shown = changed.public()
        if secret:
            shown["secret"] = secret
        return ok({"webhook": shown})

    @delete("/{hook:str}", status_code=200, summary="Delete a webhook (and its delivery log)")
    async def remove(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:write")
        await run(webhooks.delete_hook, services(request), store, _hook_number(hook))
        return ok()

    @post("/{hook:str}/ping", status_code=202, summary="Queue a ping event to this webhook")
    async def ping(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:write")
        await run(webhooks.ping, services(request), store, _hook_number(hook))
        return ok(None, 202)

    @get("/{hook:str}/deliveries", summary="The webhook's deliveries, newest first (keyset pages: before=<id>)")
    async def deliveries(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:read")
        page = await run(webhooks.deliveries, services(request), store.id, _hook_number(hook),
                         _page_start(request), _limit(request))
        return ok({"deliveries": [d.public() for d in page],
                   "next_before": page[-1].id if page else None})

    @post("/{hook:str}/deliveries/{delivery:str}/redeliver", status_code=202,
          summary="Send a delivered or failed delivery again")
    async def redeliver(self, request: Request, name: FromPath[str], hook: FromPath[str],
                        delivery: FromPath[str]) -> Response:
        store = await self._store(request, name, "stores:write")
        number = parse_whole(delivery, 1, 2**63 - 1)
        if number is None:
            raise Failure(problem(errors.WEBHOOK_DELIVERY_NOT_FOUND))
        await run(webhooks.redeliver, services(request), store, _hook_number(hook), number)
        return ok(None, 202)
