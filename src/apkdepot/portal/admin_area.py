"""The operators' pages (/admin): find developers and stores, disable and
enable accounts, suspend and resume stores, moderate them and take apps down,
work through the moderation queue, read everyone's audit log; and a
developer's own activity (/dashboard/activity). The same functions as the
JSON API's /api/admin and /api/audit."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from apkdepot import audit, errors, moderation, operators
from apkdepot.api.json.common import changed, run, services
from apkdepot.errors import Failure, problem
from apkdepot.i18n import N_, gettext
from apkdepot.numbers import parse_whole
from apkdepot.portal.views import _forbidden, _session_or_login, checked_form
from apkdepot.portal.web import locale_of, redirect, render

NOTICES = {
    "disabled": N_("The account is disabled."),
    "enabled": N_("The account is enabled again."),
    "suspended": N_("The store is suspended."),
    "resumed": N_("The store is serving again."),
    "moderated": N_("The store's new apps and risky updates now wait for review."),
    "unmoderated": N_("The store's uploads no longer wait for review."),
    "taken-down": N_("Taken down: the next index version leaves it out."),
    "approved": N_("Approved: it enters the store's next index version."),
    "rejected": N_("Refused: its owner reads your reason."),
}
EVENTS_PER_PAGE = 100


def _query_text(request: Request) -> str:
    return (request.query_params.get("q") or "")[:200].strip()


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before")
    return parse_whole(raw, 1, 2**62) if raw else None


async def _events_page(request: Request, owner_id: int | None) -> tuple[list[audit.Event], int | None]:
    svc = services(request)
    before = _before(request)

    def read() -> list[audit.Event]:
        with svc.db.read() as conn:
            return audit.events(conn, owner_id, before, EVENTS_PER_PAGE)

    found = await run(read)
    return found, (found[-1].id if len(found) == EVENTS_PER_PAGE else None)


class AdminArea(Controller):
    path = "/admin"
    include_in_schema = False

    async def _operator(self, request: Request):
        session, away = await _session_or_login(request)
        if away:
            return None, away
        try:
            operators.require_operator(session.developer, services(request).settings)
        except Failure as failure:
            return None, _forbidden(request, failure, session)
        return session, None

    @get("/")
    async def home(self, request: Request) -> Response:
        session, away = await self._operator(request)
        if away:
            return away
        svc = services(request)
        text = _query_text(request)
        found_developers = await run(operators.find_developers, svc, text, 0, 50)
        found_stores = await run(operators.find_stores, svc, text, 0, 50)
        done = request.query_params.get("done")
        return render(request, "admin.html", session=session, q=text, developers=found_developers,
                      stores=found_stores, errors={},
                      notice=gettext(locale_of(request), NOTICES[done]) if done in NOTICES else None)

    async def _act(self, request: Request, action, done: str, page: str = "/admin") -> Response:
        session, form, away = await checked_form(request, self._operator)
        if away:
            return away
        try:
            await run(action, form)
        except Failure as failure:
            return _forbidden(request, failure, session)
        await changed(request)
        back = {"done": done(form) if callable(done) else done, **({"q": form.get("q")} if form.get("q") else {})}
        return redirect(f"{page}?{urlencode(back)}")

    @post("/stores/{name:str}/moderation", status_code=303)
    async def moderate(self, request: Request, name: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: moderation.set_moderated(svc, name, form.get("enabled") == "on"),
                               lambda form: "moderated" if form.get("enabled") == "on" else "unmoderated")

    @post("/stores/{name:str}/takedown", status_code=303)
    async def take_down(self, request: Request, name: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: operators.take_down(
            svc, name, form.get("package", "").strip(), form.get("version_code", "").strip() or None,
            form.get("reason")), "taken-down")

    @get("/moderation")
    async def moderation_queue(self, request: Request) -> Response:
        session, away = await self._operator(request)
        if away:
            return away
        after = parse_whole(request.query_params.get("after") or "0", 0, 2**62) or 0
        waiting = await run(moderation.queue, services(request), after, 50)
        done = request.query_params.get("done")
        return render(request, "moderation.html", session=session, waiting=waiting,
                      next_after=waiting[-1].id if len(waiting) == 50 else None,
                      notice=gettext(locale_of(request), NOTICES[done]) if done in NOTICES else None)

    @post("/moderation/{apk_id:str}/approve", status_code=303)
    async def approve(self, request: Request, apk_id: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: moderation.decide(svc, _apk_id(apk_id), True), "approved",
                               "/admin/moderation")

    @post("/moderation/{apk_id:str}/reject", status_code=303)
    async def reject(self, request: Request, apk_id: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: moderation.decide(svc, _apk_id(apk_id), False,
                                                                       form.get("reason")), "rejected",
                               "/admin/moderation")

    @post("/developers/{developer_id:str}/disable", status_code=303)
    async def disable(self, request: Request, developer_id: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: operators.set_disabled(
            svc, _developer_id(developer_id), form.get("reason")), "disabled")

    @post("/developers/{developer_id:str}/enable", status_code=303)
    async def enable(self, request: Request, developer_id: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: operators.set_disabled(
            svc, _developer_id(developer_id), None, False), "enabled")

    @post("/stores/{name:str}/suspend", status_code=303)
    async def suspend(self, request: Request, name: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: operators.set_suspended(svc, name, form.get("reason")),
                               "suspended")

    @post("/stores/{name:str}/resume", status_code=303)
    async def resume(self, request: Request, name: FromPath[str]) -> Response:
        svc = services(request)
        return await self._act(request, lambda form: operators.set_suspended(svc, name, None, False), "resumed")

    @get("/audit")
    async def audit_log(self, request: Request) -> Response:
        session, away = await self._operator(request)
        if away:
            return away
        events, next_before = await _events_page(request, None)
        return render(request, "audit.html", session=session, events=[e.public() for e in events],
                      next_before=next_before, everyone=True, export="/api/admin/audit?format=csv")


def _apk_id(raw: str) -> int:
    number = parse_whole(raw, 1, 2**62)
    if number is None:
        raise Failure(problem(errors.MODERATION_NOT_WAITING))
    return number


def _developer_id(raw: str) -> int:
    number = parse_whole(raw, 1, 2**62)
    if number is None:
        raise Failure(problem(errors.ADMIN_NO_DEVELOPER, developer=raw[:60]))
    return number


class OwnActivity(Controller):
    path = "/dashboard/activity"
    include_in_schema = False

    @get("/")
    async def mine(self, request: Request) -> Response:
        session, away = await _session_or_login(request)
        if away:
            return away
        events, next_before = await _events_page(request, session.developer.id)
        return render(request, "audit.html", session=session, events=[e.public(for_owner=True) for e in events],
                      next_before=next_before, everyone=False, export="/api/audit?format=csv")
