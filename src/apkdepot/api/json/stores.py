"""``/api/stores``: the authenticated developer's stores and their APKs."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath
from litestar import Controller, Request, Response, delete, get, patch, post, put

from apkdepot import errors
from apkdepot.api.json.common import changed, current_developer, ok, read_capped_body, read_json_object, run, services
from apkdepot.api.ws.dispatch import base_url
from apkdepot.catalog import app_listing, listing_images, publishing, stores
from apkdepot.catalog.uploads import receive_multipart
from apkdepot.numbers import parse_whole
from apkdepot.errors import Failure, problem

UPLOAD_FIELDS = ("description", "category", "apk_website", "apk_email")


async def _publish_upload(request: Request, developer_id: int, store_name: str) -> Any:
    svc = services(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await read_json_object(request)
        meta = {k: body.get(k) for k in UPLOAD_FIELDS if k in body}
        if not body.get("apk_md5sum"):
            raise Failure(problem(errors.MISSING_APK, "apk"))
        return await run(publishing.publish_known_md5, svc, developer_id, store_name, body.get("apk_md5sum"), meta)
    with await receive_multipart(request, svc) as form:
        if form.problems:
            raise Failure(form.problems, 400)
        meta = {k: form.fields[k] for k in UPLOAD_FIELDS if k in form.fields}
        upload = form.file("apk")
        if upload is None:
            md5 = form.fields.get("apk_md5sum")
            if md5:
                return await run(publishing.publish_known_md5, svc, developer_id, store_name, md5, meta)
            raise Failure(problem(errors.MISSING_APK, "apk"))
        return await run(publishing.publish_file, svc, developer_id, store_name, upload.path, meta)


def store_card(request: Request, store: stores.Store) -> dict:
    """The owner's view of a store, with its F-Droid repo address and fingerprint."""
    svc = services(request)
    card = store.public()
    fingerprint = stores.fingerprint_of(svc, store.id)
    if fingerprint and not store.private:
        card["fdroid"] = {"fingerprint": fingerprint.upper(),
                          "url": f"{base_url(request, svc)}/fdroid/{store.name}/repo?fingerprint={fingerprint.upper()}"}
    return card


class StoresController(Controller):
    path = "/api/stores"
    tags = ["stores"]

    @post("/", status_code=201, summary="Create a store")
    async def create(self, request: Request) -> Response:
        developer = await current_developer(request, "stores:write")
        body = await read_json_object(request)
        store = await run(stores.create_store, services(request), developer.id, body)
        await changed(request)
        return ok({"store": await run(store_card, request, store)}, 201)

    @get("/", summary="The developer's stores")
    async def list_mine(self, request: Request) -> Response:
        developer = await current_developer(request, "stores:read")
        found = await run(stores.list_stores, services(request), developer.id)
        return ok({"stores": [s.public() for s in found]})

    @get("/{name:str}", summary="One of the developer's stores")
    async def get_one(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:read")
        store = await run(stores.owned_store, services(request), developer.id, name)
        return ok({"store": await run(store_card, request, store)})

    @patch("/{name:str}", summary="Change a store's description, theme, privacy or credentials")
    async def update(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        body = await read_json_object(request)
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        store = await run(stores.update_store, svc, store, body)
        await changed(request)
        return ok({"store": store.public()})

    @post("/{name:str}/rename", status_code=200,
          summary="Rename the store: the old name keeps leading to it (files redirect, devices' hashes keep "
                  "answering) and stays reserved")
    async def rename(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        body = await read_json_object(request)
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        store = await run(stores.rename_store, svc, store, body.get("name"))
        await changed(request)
        return ok({"store": await run(store_card, request, store)})

    @delete("/{name:str}", status_code=200,
            summary="Delete the store and everything in it (confirm=<its name>); its name stays reserved")
    async def remove_store(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        held = await run(stores.delete_store, svc, store, request.query_params.get("confirm"))
        await changed(request)
        return ok({"deleted_versions": held})

    @put("/{name:str}/avatar", summary="Set the store's avatar (PNG or JPEG body, at most 1 MB)")
    async def avatar(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        data = await read_capped_body(request, stores.AVATAR_MAX_BYTES + 1)
        store = await run(stores.set_avatar, svc, store, data)
        await changed(request)
        return ok({"store": store.public()})

    @post("/{name:str}/apks", status_code=201, summary="Publish an APK (multipart 'apk', or JSON apk_md5sum)")
    async def publish(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "publish")
        published = await _publish_upload(request, developer.id, name)
        await changed(request)
        svc = services(request)
        return ok({"apk": published.apk.public(base_url(request, svc), name.lower()), "created": published.created},
                  201 if published.created else 200)

    @get("/{name:str}/apks", summary="Every published version in the store")
    async def list_apks(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:read")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        found = await run(publishing.list_versions, svc, store)
        base = base_url(request, svc)
        return ok({"apks": [a.public(base, store.name) for a in found]})

    @delete("/{name:str}/apks/{package:str}/{version_code:str}", status_code=200, summary="Remove one version")
    async def remove_version(self, request: Request, name: FromPath[str], package: FromPath[str], version_code: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        number = parse_whole(version_code, 1, 2**31 - 1)
        if number is None:
            raise Failure(problem(errors.NO_SUCH_APK))
        await run(publishing.remove_version, svc, store, package, number)
        await changed(request)
        return ok()

    @delete("/{name:str}/apps/{package:str}", status_code=200, summary="Remove an app (every version) from the store")
    async def remove_app(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        removed = await run(publishing.remove_app, svc, store, package)
        await changed(request)
        return ok({"removed_versions": removed})

    @get("/{name:str}/apps/{package:str}/listing", summary="An app's listing: texts per language, links, "
         "category and release notes")
    async def get_listing(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:read")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        listing = await run(publishing.get_listing, svc, store, package)
        return ok({"listing": listing.public()})

    @get("/{name:str}/categories", summary="The store's own categories (names apps are filed under, with "
         "their names in other languages)")
    async def get_categories(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:read")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        found = await run(publishing.get_store_categories, svc, store)
        return ok({"categories": [c.public() for c in found]})

    @put("/{name:str}/categories", summary="Replace the store's categories (the next index version carries them)")
    async def put_categories(self, request: Request, name: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        body = await read_json_object(request)
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        saved = await run(publishing.put_store_categories, svc, store, body)
        await changed(request)
        return ok({"categories": [c.public() for c in saved]})

    @post("/{name:str}/apps/{package:str}/listing/images", status_code=201,
          summary="Add a phone screenshot or the feature graphic of a language to an app's listing "
                  "(multipart: image, kind=phone|feature, locale)")
    async def add_listing_image(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        with await receive_multipart(request, svc, ("image",), listing_images.IMAGE_MAX_BYTES,
                                     errors.LISTING_IMAGE_TOO_LARGE) as form:
            if form.problems:
                raise Failure(form.problems)
            kind = form.fields.get("kind") or "phone"
            locale = app_listing.normalize_locale(form.fields.get("locale") or app_listing.DEFAULT_LOCALE)
            found = []
            if kind not in listing_images.KINDS:
                found.append(problem(errors.LISTING_FIELD_INVALID, "kind", name="kind"))
            if locale is None:
                found.append(problem(errors.LISTING_LOCALE_INVALID, "locale",
                                     locale=(form.fields.get("locale") or "")[:40]))
            received = form.file("image")
            if received is None or received.size == 0:
                found.append(problem(errors.LISTING_IMAGE_MISSING, "image"))
            if found:
                raise Failure(found)
            image, listing = await run(publishing.add_listing_image, svc, store, developer.id, package,
                                       received.path, kind, locale)
        await changed(request)
        return ok({"image": {**image.public(), "url": listing_images.repo_url(base_url(request, svc), store.name,
                                                                              package, image.name)},
                   "listing": listing.public()}, 201)

    @put("/{name:str}/apps/{package:str}/listing", summary="Replace an app's listing (the next index version "
         "carries it)")
    async def put_listing(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        developer = await current_developer(request, "stores:write")
        body = await read_json_object(request)
        svc = services(request)
        store = await run(stores.owned_store, svc, developer.id, name)
        listing = await run(publishing.put_listing, svc, store, package, body)
        await changed(request)
        return ok({"listing": listing.public()})
