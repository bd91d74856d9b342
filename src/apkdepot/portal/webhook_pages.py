"""The portal's webhook pages: a store's webhooks, adding one (its secret shown
once), trying one, and each one's recent deliveries."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from apkdepot import errors, webhooks
from apkdepot.api.json.common import run, services
from apkdepot.catalog import stores
from apkdepot.errors import Failure, problem
from apkdepot.i18n import N_, gettext
from apkdepot.numbers import parse_whole
from apkdepot.portal.views import _forbidden, _session_or_login, checked_form
from apkdepot.portal.web import field_errors, locale_of, redirect, render

RECENT_DELIVERIES = 20
NOTICES = {"removed": N_("The webhook is removed."), "pinged": N_("A ping is on its way."),
           "again": N_("The delivery will be sent again.")}


def _number(text: str, missing) -> int:
    number = parse_whole(text, 1, 2**63 - 1)
    if number is None:
        raise Failure(problem(missing))
    return number


class WebhookPages(Controller):
    path = "/dashboard/stores/{name:str}/webhooks"
    include_in_schema = False

    async def _page(self, request: Request, session, store, status: int = 200, errors_: dict | None = None,
                    general: list | None = None, typed: dict | None = None, secret: str | None = None) -> Response:
        svc = services(request)

        def read():
            return [(hook, webhooks.deliveries(svc, store.id, hook.id, limit=RECENT_DELIVERIES))
                    for hook in webhooks.list_hooks(svc, store.id)]

        done = request.query_params.get("done")
        return render(request, "webhooks.html", status, session=session, store=store, hooks=await run(read),
                      events=webhooks.EVENTS, errors=errors_ or {}, general=general or [], form=typed or {},
                      secret=secret, notice=gettext(locale_of(request), NOTICES[done]) if done in NOTICES else None)

    async def _owned(self, request: Request, session, name: str):
        try:
            return await run(stores.owned_store, services(request), session.developer.id, name), None
        except Failure as failure:
            return None, _forbidden(request, failure, session)

    @get("/")
    async def home(self, request: Request, name: FromPath[str]) -> Response:
        session, away = await _session_or_login(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        return refused or await self._page(request, session, store)

    @post("/", status_code=200)
    async def add(self, request: Request, name: FromPath[str]) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        chosen = [e for e in webhooks.EVENTS if form.get(f"event_{e}") == "on"]
        try:
            hook, secret = await run(webhooks.create_hook, services(request), store,
                                     {"url": form.get("url", ""), "events": chosen})
        except Failure as failure:
            by_field, general = field_errors(failure, locale_of(request))
            return await self._page(request, session, store, 422, by_field, general, dict(form))
        return await self._page(request, session, store, 200, secret=secret, typed={"added": hook.id})

    async def _act(self, request: Request, name: str, action, done: str) -> Response:
        session, form, away = await checked_form(request)
        if away:
            return away
        store, refused = await self._owned(request, session, name)
        if refused:
            return refused
        try:
            await run(action, services(request), store)
        except Failure as failure:
            return _forbidden(request, failure, session)
        return redirect(f"/dashboard/stores/{store.name}/webhooks?done={done}")

    @post("/{hook:str}/delete", status_code=303)
    async def remove(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        return await self._act(request, name, lambda svc, store: webhooks.delete_hook(
            svc, store, _number(hook, errors.WEBHOOK_NOT_FOUND)), "removed")

    @post("/{hook:str}/ping", status_code=303)
    async def ping(self, request: Request, name: FromPath[str], hook: FromPath[str]) -> Response:
        return await self._act(request, name, lambda svc, store: webhooks.ping(
            svc, store, _number(hook, errors.WEBHOOK_NOT_FOUND)), "pinged")

    @post("/{hook:str}/deliveries/{delivery:str}/redeliver", status_code=303)
    async def redeliver(self, request: Request, name: FromPath[str], hook: FromPath[str],
                        delivery: FromPath[str]) -> Response:
        return await self._act(request, name, lambda svc, store: webhooks.redeliver(
            svc, store, _number(hook, errors.WEBHOOK_NOT_FOUND), _number(delivery, errors.WEBHOOK_DELIVERY_NOT_FOUND)),
            "again")
