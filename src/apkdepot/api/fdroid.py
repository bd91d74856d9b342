"""``/fdroid/<store>/repo/``: every public store as a signed F-Droid repository
(PROTOCOL §7): entry.jar, entry.json, index-v2.json, diff/<timestamp>.json,
index-v1.jar, the old index.xml, and the APKs and icons at the paths the index names. Private
stores are not exported."""

from __future__ import annotations

import gzip
import hashlib

from litestar import Request, Response, route
from litestar.params import FromPath

from apkdepot import errors
from apkdepot.api.json.common import run
from apkdepot.api.repo import (
    _etag_matches, _file_response, _store_lookup, _wants_gzip, _xml_error, moved_store, parse_range, unavailable_store,
)
from apkdepot.numbers import parse_whole
from apkdepot.portal.store_front import fdroid_landing
from apkdepot.index import fdroid_export, fdroid_repo

VERSION_FILES = {
    "entry.jar": "application/java-archive",
    "entry.json": "application/json",
    "index-v2.json": "application/json",
    "index-v1.jar": "application/java-archive",
}


def bytes_response(request: Request, data: bytes, media_type: str, packed: bytes | None) -> Response:
    """Immutable bytes with ETag, If-None-Match, gzip (when given) and Range."""
    etag = hashlib.sha256(data).hexdigest()
    headers = {"ETag": f'"{etag}"', "Accept-Ranges": "bytes", "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if _etag_matches(request, etag):
        return Response(b"", status_code=304, headers=headers)
    wanted = parse_range(request.headers.get("range"), len(data)) if data else None
    if wanted == "unsatisfiable":
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
    if wanted:
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        body = data[start:end + 1]
        return Response(body if request.method == "GET" else b"", status_code=206, media_type=media_type, headers=headers)
    if packed is not None and _wants_gzip(request):
        headers["Content-Encoding"] = "gzip"
        headers["ETag"] = f'"{etag}-gzip"'
        data = packed
    return Response(data if request.method == "GET" else b"", media_type=media_type, headers=headers)


def _remembered(request: Request, key: str, load) -> tuple[bytes, bytes]:
    def make() -> tuple[bytes, bytes]:
        data = load()
        return data, gzip.compress(data, 6, mtime=0)

    return request.app.state.runtime.files.get_or_make(key, make)


@route(["/fdroid/{store_name:str}/repo", "/fdroid/{store_name:str}/repo/{rest:path}"], http_method=["GET", "HEAD"],
       summary="The store as an F-Droid repository (entry.jar, index-v2.json, diffs, index-v1.jar, index.xml, APKs, icons)",
       tags=["f-droid"])
async def fdroid_file(request: Request, store_name: FromPath[str], rest: FromPath[str] = "") -> Response:
    svc, rt, store = _store_lookup(request, store_name)
    if store is not None and not store.private and (moved := moved_store(store, store_name, request)) is not None:
        return moved.to_response()
    if store is None or store.private:
        return _xml_error(404, errors.INVALID_REPO, repo=store_name[:60]).to_response()
    if store.suspended:
        return unavailable_store(store, store_name).to_response()
    name = rest.lstrip("/")
    if name in ("", "index.html"):
        # The repository's own address, opened in a browser (F-Droid asks only for the files below it).
        return await fdroid_landing(request, store)
    view = fdroid_repo.StoreView(store.id, store.name, store.description, store.avatar_key)
    if name in VERSION_FILES:
        key = fdroid_repo.file_key(store.id, store.version, name)

        def load() -> bytes:
            fdroid_repo.ensure_version_files(svc, view, store.version)
            return svc.blobs.get_bytes(key)

        data, packed = await run(_remembered, request, key, load)
        return bytes_response(request, data, VERSION_FILES[name], packed if name.endswith(".json") else None)
    if name == "index.xml":
        key = fdroid_repo.file_key(store.id, store.version, name)
        data, packed = await run(_remembered, request, key, lambda: fdroid_repo.index_xml(svc, view, store.version))
        return bytes_response(request, data, "application/xml", packed)
    timestamp = parse_whole(name[5:-5]) if name.startswith("diff/") and name.endswith(".json") else None
    if timestamp is not None:
        found = await run(fdroid_repo.diff_for_timestamp, svc, view, store.version, timestamp)
        if found is None:
            return _xml_error(404, errors.NOT_FOUND).to_response()
        return bytes_response(request, found, "application/json", gzip.compress(found, 6, mtime=0))
    held = await run(fdroid_export.repo_file, svc, view, name)
    if held is not None:
        counted = (lambda: rt.downloads.add(held.apk_id)) if held.apk_id is not None else None
        return await run(_file_response, request, svc, held.blob_key, held.media_type, held.etag, counted)
    return _xml_error(404, errors.NOT_FOUND).to_response()
