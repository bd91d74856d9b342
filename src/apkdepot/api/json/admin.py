"""``/api/admin``: what operators do (developers, stores, the whole audit log),
and ``/api/audit``: a developer's own audit log. Everything under /api/admin
answers ADMIN-1 (403) to a developer who is not an operator."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.response import Stream

from apkdepot import audit, errors, moderation, operators
from apkdepot.accounts.services import Developer
from apkdepot.api.json.common import PRIVATE_ANSWER, changed, current_developer, ok, read_json_object, run, services
from apkdepot.errors import Failure, problem
from apkdepot.numbers import parse_whole

MAX_ID = 2**62


def whole_query(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter, IARG-105 when it is not one in [low, high]."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_whole(raw, low, high)
    if value is None:
        raise Failure(problem(errors.INVALID_NUMBER, name, name=name, min=low, max=high))
    return value


def text_query(request: Request, name: str, limit: int = 200) -> str:
    raw = request.query_params.get(name) or ""
    if len(raw) > limit:
        raise Failure(problem(errors.VALUE_TOO_LONG, name, name=name))
    return raw.strip()


async def current_operator(request: Request) -> Developer:
    developer = await current_developer(request)
    operators.require_operator(developer, services(request).settings)
    return developer


def _apk_id(raw: str) -> int:
    number = parse_whole(raw, 1, MAX_ID)
    if number is None:
        raise Failure(problem(errors.MODERATION_NOT_WAITING))
    return number


def _developer_id(raw: str) -> int:
    number = parse_whole(raw, 1, MAX_ID)
    if number is None:
        raise Failure(problem(errors.ADMIN_NO_DEVELOPER, developer=raw[:60]))
    return number


async def audit_answer(request: Request, owner_id: int | None) -> Response:
    """A page of the log (newest first; ``before`` continues from a page's last
    id), or all of it as CSV with ``format=csv``."""
    svc = services(request)
    for_owner = owner_id is not None
    export = request.query_params.get("format", "json")
    if export not in ("json", "csv"):
        raise Failure(problem(errors.INVALID_VALUE, "format", name="format"))
    limit = whole_query(request, "limit", 100, 1, audit.MAX_PAGE)
    before = whole_query(request, "before", 0, 1, MAX_ID) or None
    action = text_query(request, "action", 64)
    if export == "csv":
        # Everything older than ``before`` (or all of it), in pages of the export's own size.
        return Stream(audit.csv_lines(audit.all_pages(svc, owner_id, before=before, action_prefix=action or None),
                                      for_owner),
                      media_type="text/csv; charset=utf-8",
                      headers={**PRIVATE_ANSWER, "Content-Disposition": 'attachment; filename="audit.csv"'})

    def page() -> list[audit.Event]:
        with svc.db.read() as conn:
            return audit.events(conn, owner_id, before, limit, action or None)

    found = await run(page)
    return ok({"events": [e.public(for_owner) for e in found],
               "next_before": found[-1].id if len(found) == limit else None})


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]

    @get("/", summary="The developer's own audit log: changes to their account, tokens, stores, apps and listings "
                      "(format=csv exports all of it)")
    async def mine(self, request: Request) -> Response:
        developer = await current_developer(request)
        return await audit_answer(request, developer.id)


class AdminController(Controller):
    path = "/api/admin"
    tags = ["operators"]

    @get("/developers", summary="Find developers by address or name (q), a page after id `after`")
    async def developers(self, request: Request) -> Response:
        await current_operator(request)
        found = await run(operators.find_developers, services(request), text_query(request, "q"),
                          whole_query(request, "after", 0, 0, MAX_ID), whole_query(request, "limit", 50, 1,
                                                                                   operators.PAGE_MAX))
        return ok({"developers": [d.public() for d in found]})

    @get("/developers/{developer_id:str}", summary="One developer, with their stores")
    async def developer(self, request: Request, developer_id: FromPath[str]) -> Response:
        await current_operator(request)
        svc = services(request)
        record = await run(operators.developer_record, svc, _developer_id(developer_id))
        owned = await run(lambda: operators.find_stores(svc, owner_id=record.id, limit=operators.PAGE_MAX))
        return ok({"developer": record.public(), "stores": [s.public() for s in owned]})

    @post("/developers/{developer_id:str}/disable", status_code=200,
          summary="Disable an account (reason required): every credential of it stops working at once")
    async def disable(self, request: Request, developer_id: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        record = await run(operators.set_disabled, services(request), _developer_id(developer_id), body.get("reason"))
        await changed(request)
        return ok({"developer": record.public()})

    @post("/developers/{developer_id:str}/enable", status_code=200, summary="Enable a disabled account again")
    async def enable(self, request: Request, developer_id: FromPath[str]) -> Response:
        await current_operator(request)
        record = await run(operators.set_disabled, services(request), _developer_id(developer_id), None, False)
        await changed(request)
        return ok({"developer": record.public()})

    @post("/developers/{developer_id:str}/operator", status_code=200, summary="Make a developer an operator")
    async def grant(self, request: Request, developer_id: FromPath[str]) -> Response:
        await current_operator(request)
        record = await run(operators.set_operator, services(request), _developer_id(developer_id), True)
        await changed(request)
        return ok({"developer": record.public()})

    @delete("/developers/{developer_id:str}/operator", status_code=200,
            summary="Take the operator role away (never one's own)")
    async def revoke(self, request: Request, developer_id: FromPath[str]) -> Response:
        await current_operator(request)
        record = await run(operators.set_operator, services(request), _developer_id(developer_id), False)
        await changed(request)
        return ok({"developer": record.public()})

    @get("/stores", summary="Find stores by name or owner's address (q), a page after id `after`")
    async def stores(self, request: Request) -> Response:
        await current_operator(request)
        found = await run(operators.find_stores, services(request), text_query(request, "q"),
                          whole_query(request, "after", 0, 0, MAX_ID), whole_query(request, "limit", 50, 1,
                                                                                   operators.PAGE_MAX))
        return ok({"stores": [s.public() for s in found]})

    @get("/stores/{name:str}", summary="One store, whoever owns it")
    async def store(self, request: Request, name: FromPath[str]) -> Response:
        await current_operator(request)
        record = await run(operators.store_record, services(request), name)
        return ok({"store": record.public()})

    @post("/stores/{name:str}/suspend", status_code=200,
          summary="Suspend a store (reason required, shown to its owner): it leaves every protocol's answers")
    async def suspend(self, request: Request, name: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        record = await run(operators.set_suspended, services(request), name, body.get("reason"))
        await changed(request)
        return ok({"store": record.public()})

    @post("/stores/{name:str}/resume", status_code=200, summary="Resume a suspended store")
    async def resume(self, request: Request, name: FromPath[str]) -> Response:
        await current_operator(request)
        record = await run(operators.set_suspended, services(request), name, None, False)
        await changed(request)
        return ok({"store": record.public()})

    @post("/stores/{name:str}/rename", status_code=200,
          summary="Rename a store: its old name keeps leading to it and stays reserved")
    async def rename(self, request: Request, name: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        record = await run(operators.rename_any, services(request), name, body.get("name"))
        await changed(request)
        return ok({"store": record.public()})

    @post("/stores/{name:str}/delete", status_code=200,
          summary="Delete a store and everything in it (confirm: its name; reason: shown to its owner)")
    async def delete_store(self, request: Request, name: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        held = await run(operators.delete_any, services(request), name, body.get("confirm"), body.get("reason"))
        await changed(request)
        return ok({"deleted_versions": held})

    @post("/stores/{name:str}/moderation", status_code=200,
          summary="Turn moderation of a store on or off (enabled: true/false)")
    async def moderate_store(self, request: Request, name: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        await run(moderation.set_moderated, services(request), name, body.get("enabled"))
        record = await run(operators.store_record, services(request), name)
        return ok({"store": record.public()})

    @get("/moderation", summary="Versions waiting for review, oldest first (store, after, limit)")
    async def moderation_queue(self, request: Request) -> Response:
        await current_operator(request)
        waiting = await run(moderation.queue, services(request), whole_query(request, "after", 0, 0, MAX_ID),
                            whole_query(request, "limit", 50, 1, 200), text_query(request, "store", 60) or None)
        return ok({"waiting": [w.public() for w in waiting], "next_after": waiting[-1].id if waiting else None})

    @post("/moderation/{apk_id:str}/approve", status_code=200,
          summary="Approve a waiting version: it enters the store's next index version")
    async def approve(self, request: Request, apk_id: FromPath[str]) -> Response:
        await current_operator(request)
        await run(moderation.decide, services(request), _apk_id(apk_id), True)
        await changed(request)
        return ok()

    @post("/moderation/{apk_id:str}/reject", status_code=200,
          summary="Refuse a waiting version, with a reason shown to its owner")
    async def reject(self, request: Request, apk_id: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        await run(moderation.decide, services(request), _apk_id(apk_id), False, body.get("reason"))
        await changed(request)
        return ok()

    @post("/stores/{name:str}/apps/{package:str}/takedown", status_code=200,
          summary="Take down an app, or one version of it (version_code), with a reason shown to its owner")
    async def take_down(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        await current_operator(request)
        body = await read_json_object(request)
        removed = await run(operators.take_down, services(request), name, package, body.get("version_code"),
                            body.get("reason"))
        await changed(request)
        return ok({"removed": removed})

    @get("/audit", summary="Everyone's audit log, newest first (format=csv exports all of it)")
    async def audit_log(self, request: Request) -> Response:
        await current_operator(request)
        return await audit_answer(request, None)
