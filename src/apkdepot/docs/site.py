"""The Web Services Documentation (``/webservices/docs``), generated from the
endpoint definitions the routers use and the error catalogue. Each page's
sample answers come from calling the real endpoint, in process, against the
demo store: they cannot drift from what the server says."""

from __future__ import annotations

import hashlib
import re
import json
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy as sa
from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from apkdepot.accounts import services as accounts
from apkdepot.api.json.common import run, services
from apkdepot.api.v7.dispatch import V7_REGISTRY, V7Endpoint
from apkdepot.api.ws.registry import REGISTRY, WsEndpoint
from apkdepot.db.schema import apks, index_versions, stores
from apkdepot.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_STORE
from apkdepot.errors import CATALOGUE
from apkdepot.i18n import gettext
from apkdepot.portal.web import current_session, locale_of, render
from apkdepot.services import Services

TOKEN_SHOWN = "YOUR_DEV_TOKEN"
OAUTH_TOKEN_SHOWN = "AN_OAUTH_TOKEN"


def demo_values(svc: Services) -> dict[str, str] | None:
    """What the $placeholders of the examples stand for; None without a demo store."""
    with svc.db.read() as conn:
        store = conn.execute(sa.select(stores.c.id, stores.c.current_version).where(stores.c.name == DEMO_STORE)).first()
        if store is None:
            return None
        hashes = dict(conn.execute(sa.select(index_versions.c.version, index_versions.c.md5)
                                   .where(index_versions.c.store_id == store.id)).all())
        app = conn.execute(sa.select(apks.c.package, apks.c.version_code, apks.c.md5, apks.c.signer_sha1).where(
            apks.c.store_id == store.id, apks.c.removed_at.is_(None)).order_by(apks.c.package, apks.c.version_code.desc())).first()
    developer = accounts.developer_by_email(svc, DEMO_EMAIL)
    if developer is None or app is None:
        return None
    return {"$demo_email": DEMO_EMAIL, "$demo_password": DEMO_PASSWORD,
            "$demo_passhash": hashlib.sha1(DEMO_PASSWORD.encode()).hexdigest(),
            "$token": accounts.dev_token(svc, developer), "$demo": DEMO_STORE, "$first_hash": hashes[1],
            "$current_hash": hashes[store.current_version], "$package": app.package, "$vercode": str(app.version_code),
            "$md5": app.md5, "$signer": app.signer_sha1}


def resolve(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key in sorted(values, key=len, reverse=True):
            value = value.replace(key, values[key])
        return value
    if isinstance(value, list):
        return [resolve(v, values) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, values) for k, v in value.items()}
    return value


def ws_sample_requests(endpoint: WsEndpoint, values: dict[str, str]) -> list[dict[str, Any]]:
    """The sample requests, XML and JSON, of the main example then of each further one."""
    generation = 2 if 2 in endpoint.generations else min(endpoint.generations)
    prefix = "/webservices/" + (f"{generation}/" if generation > 1 else "")
    requests = []
    for caption, example in ((None, endpoint.example), *endpoint.more_examples):
        params = resolve(example, values)
        for fmt in ("xml", "json"):
            if endpoint.example_method == "GET":
                requests.append({"method": "GET", "fmt": fmt, "caption": caption,
                                 "url": f"{prefix}{endpoint.name}/{fmt}?{urlencode(params)}", "form": None})
            else:
                requests.append({"method": "POST", "fmt": fmt, "caption": caption, "url": f"{prefix}{endpoint.name}",
                                 "form": {**params, "mode": fmt}})
    return requests


def ws_addresses(endpoint: WsEndpoint) -> list[dict[str, str]]:
    """Every address the endpoint answers at, as a client must call it: GET with
    the format last (and the path parameters before it), POST with a form."""
    found = []
    for generation in sorted(endpoint.generations):
        url = f"/webservices/{'' if generation == 1 else f'{generation}/'}{endpoint.name}"
        if "GET" in endpoint.methods:
            path = "".join(f"/<{p}>" for p in endpoint.path_params)
            found.append({"method": "GET", "url": f"{url}{path}/<xml|json>"})
        if "POST" in endpoint.methods:
            found.append({"method": "POST", "url": url})
    return found


def v7_sample_request(endpoint: V7Endpoint, values: dict[str, str]) -> dict[str, Any]:
    params = resolve(endpoint.example, values)
    if "POST" in endpoint.methods and "GET" not in endpoint.methods:
        return {"method": "POST", "url": f"/api/7/{endpoint.name}", "json": params}
    return {"method": "GET", "url": f"/api/7/{endpoint.name}?{urlencode(params)}", "json": None}


async def call(app: Any, sample: dict[str, Any]) -> str:
    """The endpoint's real answer, remembered until the catalog clock moves:
    answers depend on nothing else, and some services (checkUserCredentials)
    are throttled, so asking again on every page view would wear them down."""
    runtime = app.state.runtime
    key = ("docs-sample", sample["method"], sample["url"], repr(sample.get("form")), repr(sample.get("json")),
           runtime.cache.current_clock())
    remembered = runtime.answers.peek(key)
    if remembered is None:
        remembered = await _call(app, sample)
        runtime.answers.put(key, remembered)
    return remembered


async def _call(app: Any, sample: dict[str, Any]) -> str:
    transport = httpx.ASGITransport(app=app)
    # The configured address: links in the samples are ones a reader can open.
    async with httpx.AsyncClient(transport=transport, base_url=app.state.services.settings.base_url) as client:
        if sample["method"] == "GET":
            response = await client.get(sample["url"])
        elif sample.get("json") is not None:
            response = await client.post(sample["url"], json=sample["json"])
        else:
            response = await client.post(sample["url"], data=sample["form"])
    return response.text


def pretty(text: str, fmt: str) -> str:
    if fmt == "json":
        try:
            return json.dumps(json.loads(text), indent=3, ensure_ascii=False)
        except ValueError:
            return text
    import xml.dom.minidom

    try:
        return xml.dom.minidom.parseString(text.encode()).toprettyxml(indent="   ")
    except Exception:  # noqa: BLE001 - show what the endpoint said, as it said it
        return text


# The OAuth tokens an answer carries (JSON "key":"value" or XML <key>value</key>):
# new ones on every call, and secrets either way.
OAUTH_SECRETS = re.compile(r'("(?:access|refresh)_token"\s*:\s*")[^"]*(")|(<(access|refresh)_token>)[^<]*(</)')


def hide_token(text: str, values: dict[str, str] | None) -> str:
    """The sample answer without secrets: the demo dev token and OAuth tokens are shown as placeholders."""
    text = OAUTH_SECRETS.sub(lambda m: f"{m.group(1)}{OAUTH_TOKEN_SHOWN}{m.group(2)}" if m.group(1)
                             else f"{m.group(3)}{OAUTH_TOKEN_SHOWN}{m.group(5)}", text)
    return text.replace(values["$token"], TOKEN_SHOWN) if values else text


def app_list_sample(svc: Services) -> str | None:
    """A real page of the demo developer's app list (two apps), as the API answers it."""
    from apkdepot.api.mng.apps import page_body
    from apkdepot.catalog import owner_apps

    developer = accounts.developer_by_email(svc, DEMO_EMAIL)
    if developer is None:
        return None
    apps, total = owner_apps.page(svc, developer.id, 2, 0)
    if not total:
        return None
    return json.dumps(page_body(apps, total, svc.settings.base_url, 0, 2), indent=4, ensure_ascii=False)


class DocsPages(Controller):
    path = "/webservices/docs"
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Response:
        locale = locale_of(request)
        return render(request, "docs/index.html", session=await current_session(request),
                      anonymous_reads=services(request).settings.anonymous_reads,
                      store_domain=services(request).settings.store_domain, ws=sorted(REGISTRY.values(), key=lambda e: e.name), v7=sorted(V7_REGISTRY.values(), key=lambda e: e.name),
                      fail_xml="<response>\n   <status>FAIL</status>\n   <errors>\n      <entry>" +
                               gettext(locale, "Missing token parameter") + "</entry>\n      <entry>" +
                               gettext(locale, "Missing repo parameter") + "</entry>\n   </errors>\n</response>",
                      fail_json=json.dumps({"status": "FAIL", "errors": [gettext(locale, "Missing token parameter"),
                                                                         gettext(locale, "Missing repo parameter")]},
                                           indent=3, ensure_ascii=False))

    @get("/app-list")
    async def app_list_page(self, request: Request) -> Response:
        """The app list API for app owners, in the structure of its own documentation."""
        from apkdepot.api.mng import apps as app_list

        svc = services(request)
        sample = await run(app_list_sample, svc)
        return render(request, "docs/app_list.html", session=await current_session(request),
                      base=svc.settings.base_url, per_minute=svc.settings.app_list_per_minute,
                      per_day=svc.settings.app_list_per_day, max_limit=app_list.MAX_LIMIT, sample=sample)

    @get("/webhooks")
    async def webhooks_page(self, request: Request) -> Response:
        return render(request, "docs/webhooks.html", session=await current_session(request))

    @get("/protocol")
    async def protocol_page(self, request: Request) -> Response:
        return render(request, "docs/protocol.html", session=await current_session(request),
                      base=services(request).settings.base_url)

    @get("/errors")
    async def error_codes(self, request: Request) -> Response:
        return render(request, "docs/errors.html", session=await current_session(request),
                      catalogue=sorted(CATALOGUE.values(), key=lambda e: (e.code.split("-")[0], int(e.code.split("-")[1]))))

    @get("/7/{name:path}")
    async def v7_page(self, request: Request, name: FromPath[str]) -> Response:
        endpoint = V7_REGISTRY.get(name.strip("/"))
        if endpoint is None:
            return render(request, "message.html", 404, heading=gettext(locale_of(request), "Not found"))
        values = await run(demo_values, services(request))
        sample = v7_sample_request(endpoint, values) if values else None
        answer = pretty(hide_token(await call(request.app, sample), values), "json") if sample else None
        return render(request, "docs/v7.html", session=await current_session(request), endpoint=endpoint,
                      sample=sample, answer=answer, catalogue=CATALOGUE)

    @get("/{name:str}")
    async def ws_page(self, request: Request, name: FromPath[str]) -> Response:
        endpoint = REGISTRY.get(name)
        if endpoint is None:
            return render(request, "message.html", 404, heading=gettext(locale_of(request), "Not found"))
        values = await run(demo_values, services(request))
        samples = []
        for sample in (ws_sample_requests(endpoint, values) if values else []):
            shown = dict(sample)
            shown["url"] = hide_token(sample["url"], values)
            if sample["form"]:
                shown["form"] = {k: hide_token(v, values) for k, v in sample["form"].items()}
            samples.append({**shown, "answer": pretty(hide_token(await call(request.app, sample), values), sample["fmt"]),
                            "raw_url": sample["url"]})
        return render(request, "docs/endpoint.html", session=await current_session(request), endpoint=endpoint,
                      addresses=ws_addresses(endpoint), samples=samples, catalogue=CATALOGUE)
