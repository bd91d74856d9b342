"""Builds the ASGI application: routes, exception handlers, middleware."""

from __future__ import annotations

import gc
import hmac
import os
import signal
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import anyio.to_thread
import sqlalchemy as sa
from litestar import Litestar, Request, Response, get, route
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig

from apkdepot import __version__, errors, webhooks
from apkdepot.api.errors import failure_handler, http_exception_handler, internal_error_handler
from apkdepot.api.json.accounts import AccountsController
from apkdepot.api.json.admin import AdminController, AuditController
from apkdepot.portal.account_pages import AccountPages
from apkdepot.portal.admin_area import AdminArea, OwnActivity
from apkdepot.portal.webhook_pages import WebhookPages
from apkdepot.api.json.common import upload_body_limit
from apkdepot.api.json.owner import AppsController, TokensController
from apkdepot.api.json.stores import StoresController
from apkdepot.api.json.webhooks import WebhooksController
from apkdepot.api.mng.apps import app_list
from litestar.static_files import create_static_files_router

from apkdepot.api.fdroid import fdroid_file
from apkdepot.docs.site import DocsPages
from apkdepot.portal.store_front import StoreFront
from apkdepot.portal.views import Dashboard, PublicPages
from apkdepot.api.hot import HotPath
from apkdepot.api.origin import HostGuard
from apkdepot.api.openapi import DocumentPlugin, OptionsFromDocument, build_document
from apkdepot.api.repo import ROUTES as REPO_ROUTES, Runtime
from apkdepot.background import Maintenance
from apkdepot.catalog.downloads import DownloadCounter
from apkdepot.index.cache import IndexCache, LruCache
from apkdepot.api.v7 import dispatch as v7_dispatch
from apkdepot.api.ws import dispatch
from apkdepot.config import Settings, load_settings
from apkdepot.errors import Failure
from apkdepot.observability import metrics
from apkdepot.observability.logging import configure_logging
from apkdepot.observability.middleware import ObservabilityMiddleware, flush_access_log
from apkdepot.services import Services, build_services

# Importing the endpoint modules registers their web services.
import apkdepot.api.ws.accounts  # noqa: F401,E402
import apkdepot.api.ws.publishing  # noqa: F401,E402
import apkdepot.api.ws.stores  # noqa: F401,E402
import apkdepot.api.v7.endpoints  # noqa: F401,E402


@get("/healthz", summary="Readiness: the database answers and this process has loaded the catalog",
     tags=["operations"])
async def healthz(request: Request) -> Response:
    svc: Services = request.app.state.services
    runtime = request.app.state.runtime

    def probe() -> None:
        with svc.db.read() as conn:
            conn.execute(sa.text("SELECT 1"))

    from apkdepot.api.json.common import run

    if not runtime.cache.ready:
        return Response({"status": "FAIL", "errors": [{"code": errors.STARTING.code, "msg": errors.STARTING.message}]},
                        status_code=503, media_type="application/json", headers={"Retry-After": "1"})
    await run(probe)
    return Response({"status": "OK", "version": __version__, "pid": os.getpid()}, media_type="application/json")


@get("/metrics", summary="Prometheus metrics (Bearer APKDEPOT_METRICS_TOKEN when one is set)", tags=["operations"],
     media_type="text/plain; version=0.0.4")
async def metrics_endpoint(request: Request) -> Response:
    expected = request.app.state.services.settings.metrics_token
    if expected:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            return Response(b"metrics need Authorization: Bearer <APKDEPOT_METRICS_TOKEN>\n", status_code=401,
                            media_type="text/plain; charset=utf-8", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@route("/webservices/{rest:path}", http_method=["GET", "POST"], summary="Aptoide web services (generations 1-3)",
       description="See /webservices/docs for every web service, its arguments and its answers.",
       tags=["webservices"], include_in_schema=True)
async def webservices(request: Request) -> Response:
    return await dispatch.handle(request)


@route("/api/7/{rest:path}", http_method=["GET", "POST"], summary="v7 API: store/getMeta, apps/get, app/getMeta, listAppsUpdates",
       description="Path-parameter style (/api/7/apps/get/store_name=x/limit=30), query parameters or a POST JSON body.",
       tags=["v7"])
async def api_v7(request: Request) -> Response:
    return await v7_dispatch.handle(request)


def quiet_garbage_collector() -> None:
    """For server processes. A full (generation 2) collection walks every long-
    lived object (the catalog snapshot, tens of thousands of remembered answers
    and tokens) and stopped the event loop for 50-235 ms at a time, 19 times in
    a bench/realistic.py --large run, while collecting almost nothing (2 such
    pauses with this). What is alive once the catalog is loaded is frozen out
    of collections, and full ones are made rarer; the young generations still
    collect short-lived cycles."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)


def create_app(settings: Settings | None = None, services: Services | None = None,
               server_process: bool = False) -> Any:
    settings = settings or (services.settings if services else load_settings())
    configure_logging(settings.log_json)
    owned = services is None
    svc = services or build_services(settings)

    budget = svc.settings
    runtime = Runtime(cache=IndexCache(svc), downloads=DownloadCounter(), credentials=LruCache(1024),
                      answers=LruCache(200_000, budget.answer_cache_bytes), files=LruCache(64, budget.file_cache_bytes),
                      listings=LruCache(256, budget.listing_cache_bytes))
    maintenance = Maintenance(svc, runtime.cache, runtime.downloads)
    sender = webhooks.Sender(svc)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # No request is answered from an empty catalog: load it before serving.
        await anyio.to_thread.run_sync(runtime.cache.refresh, True)
        if server_process:
            quiet_garbage_collector()
        if settings.background:
            maintenance.start()
            if settings.webhook_sender:
                sender.start()
        try:
            yield
        finally:
            sender.stop()
            maintenance.stop()
            flush_access_log()
            if owned:
                svc.close()

    app = Litestar(
        route_handlers=[healthz, metrics_endpoint, webservices, api_v7, AccountsController, StoresController, WebhooksController,
                        TokensController,
                        AdminController, AuditController, AdminArea, OwnActivity, AccountPages, WebhookPages,
                        AppsController, app_list, fdroid_file, *REPO_ROUTES, PublicPages, StoreFront, Dashboard, DocsPages,
                        create_static_files_router(path="/static", directories=[Path(__file__).with_name("portal") / "static"],
                                                   include_in_schema=False)],
        exception_handlers={
            Failure: failure_handler,
            HTTPException: http_exception_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(title="ApkDepot", version=__version__, path="/schema",
                                     render_plugins=[DocumentPlugin()]),
        lifespan=[lifespan],
        request_max_body_size=upload_body_limit(settings.max_apk_bytes),
        debug=False,
    )
    document = build_document(app.openapi_schema.to_schema(), settings.max_field_length)
    app.state.openapi_document = document
    app.state.services = svc
    app.state.runtime = runtime
    app.state.maintenance = maintenance
    guard = HostGuard(OptionsFromDocument(app, document), settings)
    observed = ObservabilityMiddleware(guard)
    return HotPath(observed, guard, observed)


def exit_with_parent(poll_seconds: float = 0.5, grace_seconds: float = 5.0) -> threading.Thread:
    """A server worker ends when the process that started it is gone (killed
    with SIGKILL, say), instead of answering on the port unsupervised."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signal.SIGTERM)  # a graceful stop first
        time.sleep(grace_seconds)
        os._exit(1)

    thread = threading.Thread(target=watch, name="apkdepot-parent-watch", daemon=True)
    thread.start()
    return thread


def create_app_from_env() -> Any:
    """Granian's factory target: every worker process reads the same APKDEPOT_* environment."""
    exit_with_parent()
    return create_app(load_settings(), server_process=True)
