"""``/repo/<store>/``: the store index (info.xml) and the files it names.

info.xml (PROTOCOL §3): no hash or an unknown one -> the full index; the
current hash -> an index with no packages and <delta> = current hash; any older
hash the store ever served -> the packages added since then plus a <del/>
entry for each one removed, and <delta> = current hash. ETag is the current
full index's MD5; gzip when asked. Private stores need HTTP Basic credentials."""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from litestar.params import FromPath
from litestar import Request, Response, route
from litestar.response import Stream

from apkdepot import errors
from apkdepot.api.answer import Answer
from apkdepot.api.json.common import run
from apkdepot.api.ws.dispatch import payload_for_problems
from apkdepot.api.ws.render import render
from apkdepot.catalog import listing_images, publishing, queries
from apkdepot.catalog.downloads import DownloadCounter
from apkdepot.errors import problem
from apkdepot.index import infoxml, static_mirror, versions
from apkdepot.index.cache import CachedStore, IndexCache, LruCache, NeedsThread
from apkdepot.numbers import parse_whole
from apkdepot.services import Services

log = logging.getLogger("apkdepot.repo")

APK_MEDIA_TYPE = publishing.APK_MEDIA_TYPE


@dataclass
class Runtime:
    """What each server process keeps in memory."""

    cache: IndexCache
    downloads: DownloadCounter
    credentials: LruCache
    answers: LruCache  # pre-encoded hot-path answers, by request and catalog clock
    files: LruCache  # F-Droid index files of current versions, plain and gzipped
    listings: LruCache  # each store version's listed APK ids in every sort order (catalog/listing.py)


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _xml_error(status: int, spec: errors.ErrorSpec, headers: dict[str, str] | None = None, **params) -> Answer:
    body, content_type = render(payload_for_problems([problem(spec, **params)], 2, "en"), "xml")
    return Answer(body, status, content_type, headers or {})


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


async def _authorized(svc: Services, rt: Runtime, store: CachedStore, request: Request) -> bool:
    if not store.private:
        return True
    credentials = _basic_credentials(request)
    if credentials is None or not store.basic_pass_hash:
        return False
    user, password = credentials
    # A device polls often: remember a verified pair instead of paying argon2 each time
    # (and pay it in a thread, never on the event loop).
    key = hashlib.sha256(f"{store.id}\0{store.basic_pass_hash}\0{user}\0{password}".encode()).hexdigest()

    def verify() -> bool:
        return user == store.basic_user and svc.passwords.verify_password(store.basic_pass_hash, password)

    try:
        return rt.credentials.get_or_defer(key, verify)
    except NeedsThread:
        return await run(rt.credentials.get_or_make, key, verify)


def _unauthorized(store: CachedStore) -> Answer:
    return _xml_error(401, errors.NOT_AUTHENTICATED, {"WWW-Authenticate": f'Basic realm="{store.name}", charset="UTF-8"'})


def _etag_matches(request: Request, md5: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return "*" in tags or md5 in tags or f"{md5}-gzip" in tags


def _wants_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _store_lookup(request: Request, name: str) -> tuple[Services, Runtime, CachedStore | None]:
    svc: Services = request.app.state.services
    rt = runtime(request)
    return svc, rt, rt.cache.get(name) if len(name) <= 50 else None


def moved_store(store: CachedStore | None, asked: str, request: Any) -> Answer | None:
    """A 301 to the same file under the store's new name, when ``asked`` is a name
    the store had before a rename. The Location is a path: no Host is trusted."""
    if store is None or store.name == asked.lower():
        return None
    path = request.scope["path"]
    prefix, _, rest = path.lstrip("/").partition("/")  # "repo" or "fdroid", then the name and the rest
    _, _, tail = rest.partition("/")
    location = f"/{prefix}/{store.name}" + (f"/{tail}" if tail or rest.endswith("/") else "")
    query = request.scope.get("query_string", b"")
    if query:
        location += "?" + query.decode("latin-1")
    return Answer(b"", 301, "text/plain", {"Location": location, "Cache-Control": "public, max-age=3600"})


def unavailable_store(store: CachedStore | None, asked: str, request: Any = None) -> Answer | None:
    """Why a store's files cannot be served here, if they cannot: 404 (IARG-1)
    for no such store, 301 for an old name of a renamed store, 410 (IARG-4) for
    a store an operator suspended."""
    if store is None:
        return _xml_error(404, errors.INVALID_REPO, repo=asked[:60])
    if request is not None and (moved := moved_store(store, asked, request)) is not None:
        return moved
    if store.suspended:
        return _xml_error(410, errors.STORE_SUSPENDED, repo=store.name)
    return None


@route("/repo/{store_name:str}/info.xml", http_method=["GET", "HEAD"], summary="The store index (info.xml), full or delta",
       tags=["repository"])
async def info_xml(request: Request, store_name: FromPath[str]) -> Response:
    answer = await info_xml_answer(request, store_name)
    if request.method == "HEAD":
        answer.headers["Content-Length"] = str(answer.body_length())
        answer.body, answer.file_path = b"", None
    elif answer.file_path is not None:  # this route reads the file itself, off the loop
        answer.body, answer.file_path = await run(Path(answer.file_path).read_bytes), None
    return answer.to_response()


async def info_xml_answer(request: Request, store_name: str) -> Answer:
    svc, rt, store = _store_lookup(request, store_name)
    if (gone := unavailable_store(store, store_name, request)) is not None:
        return gone
    if not await _authorized(svc, rt, store, request):
        return _unauthorized(store)
    use_gzip = _wants_gzip(request)
    headers = {"ETag": f'"{store.md5}-gzip"' if use_gzip else f'"{store.md5}"', "Vary": "Accept-Encoding",
               "Cache-Control": "no-cache"}
    if _etag_matches(request, store.md5):
        return Answer(b"", 304, "application/xml", headers)
    asked = (request.query_params.get("hash") or "").split(":", 1)[0].strip().lower()
    if asked and (asked == store.md5 or asked in store.md5s):
        since = store.md5s.get(asked, store.version)

        def blob_key(gzipped: bool) -> str:
            return versions.delta_key(store.id, since, store.version, svc.settings.base_url, gzipped)

        def make(gzipped: bool) -> None:
            versions.delta_file(svc, store.name, store.id, since, store.version, store.md5, store.appscount,
                                gzipped=gzipped)

        def mirror_name(gzipped: bool) -> str:
            return static_mirror.delta_name(asked, gzipped)
    else:
        def blob_key(gzipped: bool) -> str:
            return (versions.index_gzip_key if gzipped else versions.index_key)(store.id, store.version)

        def make(gzipped: bool) -> None:
            if gzipped:
                versions.gzipped_index(svc, store.id, store.version)

        # Only the no-hash request is mirrored as index.xml: unknown hashes are
        # unbounded in number and stay with ApkDepot.
        mirror_name = static_mirror.full_index_name if not asked else None
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    def offer_to_mirror() -> None:
        _offer_to_mirror(svc, store, blob_key, make, mirror_name)

    mirrored = svc.static_mirror is not None and not store.private and mirror_name is not None
    return await _kept_blob_answer(svc, rt, blob_key(use_gzip), lambda: make(use_gzip), headers,
                                   offer_to_mirror if mirrored else None)


def _offer_to_mirror(svc: Services, store: CachedStore, blob_key, make, mirror_name) -> None:
    """Both encodings of an answer into the static mirror, so the front server can
    send the next one itself (nginx's gzip_static picks the .gz when asked)."""
    try:
        for gzipped in (False, True):
            path = svc.blobs.local_path(blob_key(gzipped))
            if path is None:
                make(gzipped)
                path = svc.blobs.local_path(blob_key(gzipped))
            if path is None or not svc.static_mirror.offer(store.name, store.version, mirror_name(gzipped), path):
                return
    except OSError:
        log.exception("could not link an answer into the static mirror")


async def _kept_blob_answer(svc: Services, rt: Runtime, blob_key: str, make, headers: dict[str, str],
                            offer=None) -> Answer:
    """An answer whose body is an immutable blob (an index version, a delta),
    made by ``make`` the first time anyone asks. On local disk it is answered
    with the file's path, which the server sends itself; elsewhere its bytes
    are kept in the byte-budgeted cache. The full body counts for HEAD too:
    the sender leaves it out but keeps its length."""
    local_path = getattr(svc.blobs, "local_path", None)
    if local_path is not None:
        def made_file() -> tuple[str, int]:
            found = local_path(blob_key)
            if found is None:
                make()
                found = local_path(blob_key)
            if found is None:
                raise LookupError(f"{blob_key} was not made")
            if offer is not None:
                offer()
            return str(found), found.stat().st_size

        path_key = ("blob-file", blob_key)
        path, size = rt.cache.deltas.peek(path_key) or await run(rt.cache.deltas.get_or_make, path_key, made_file)
        return Answer(b"", 200, "application/xml", headers, file_path=path, file_size=size)

    def made_bytes() -> bytes:
        if not svc.blobs.exists(blob_key):
            make()
        return svc.blobs.get_bytes(blob_key)

    key = ("blob-bytes", blob_key)
    body = rt.cache.deltas.peek(key) or await run(rt.cache.deltas.get_or_make, key, made_bytes)
    return Answer(body, 200, "application/xml", headers)


# latest.xml and top.xml: the 4.x app's "Latest" and "Top" tabs (MainService.parseLatest,
# parseTop) fetch them from the store's address and re-read them when Last-Modified moves.
SHORT_LISTS = {"latest.xml": "latest", "top.xml": "downloads"}
SHORT_LIST_LENGTH = 20


async def short_list_answer(request: Request, store_name: str, file_name: str) -> Answer:
    svc, rt, store = _store_lookup(request, store_name)
    if (gone := unavailable_store(store, store_name, request)) is not None:
        return gone
    if not await _authorized(svc, rt, store, request):
        return _unauthorized(store)
    key = ("short-list", file_name, store.id, store.version)

    def make() -> bytes:
        rows = queries.index_entries_by(svc, store.id, SHORT_LISTS[file_name], SHORT_LIST_LENGTH)
        header = infoxml.Header(store.name, svc.settings.base_url, store.appscount, store.version)
        return infoxml.document(header, {c for _, c in rows if c}, [entry for entry, _ in rows])

    body = rt.cache.deltas.peek(key) or await run(rt.cache.deltas.get_or_make, key, make)
    etag = hashlib.md5(body).hexdigest()
    headers = {"ETag": f'"{etag}"', "Last-Modified": email.utils.format_datetime(store.updated_at, usegmt=True),
               "Cache-Control": "no-cache"}
    if _etag_matches(request, etag):
        return Answer(b"", 304, "application/xml", headers)
    return Answer(body, 200, "application/xml", headers)


@route("/repo/{store_name:str}/latest.xml", http_method=["GET", "HEAD"], tags=["repository"],
       summary="The store's 20 most recently added apps, in info.xml's format")
async def latest_xml(request: Request, store_name: FromPath[str]) -> Response:
    return _without_body_for_head(request, await short_list_answer(request, store_name, "latest.xml"))


@route("/repo/{store_name:str}/top.xml", http_method=["GET", "HEAD"], tags=["repository"],
       summary="The store's 20 most downloaded apps, in info.xml's format")
async def top_xml(request: Request, store_name: FromPath[str]) -> Response:
    return _without_body_for_head(request, await short_list_answer(request, store_name, "top.xml"))


def _without_body_for_head(request: Request, answer: Answer) -> Response:
    if request.method == "HEAD":
        answer.headers["Content-Length"] = str(len(answer.body))
        answer.body = b""
    return answer.to_response()


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end) inclusive for one satisfiable range; None for no/ignored
    range; 'unsatisfiable' when it cannot be served."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[6:].strip()
    first, dash, last = spec.partition("-")
    if not dash:
        return None
    if first == "":
        length = parse_whole(last)
        if length is None:
            return None
        if length <= 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = parse_whole(first)
    end = parse_whole(last) if last else size - 1
    if start is None or end is None:
        return None
    if start < 0 or start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _file_response(request: Request, svc: Services, key: str, media_type: str, etag: str,
                   on_full_download=None) -> Response:
    size = svc.blobs.size(key)
    if size is None:
        return _xml_error(404, errors.NOT_FOUND).to_response()
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{etag}"', "Cache-Control": "public, max-age=31536000, immutable"}
    if _etag_matches(request, etag):
        return Response(b"", status_code=304, headers=headers)
    wanted = parse_range(request.headers.get("range"), size)
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range and if_range.strip('"') != etag:
        wanted = None  # the client's partial copy is of another file: send it whole
    if wanted == "unsatisfiable":
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted else (0, size - 1)
    status = 206 if wanted else 200
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD":
        return Response(b"", status_code=status, media_type=media_type, headers=headers)
    if start == 0 and on_full_download:
        on_full_download()
    chunks: Iterator[bytes] = svc.blobs.iter_range(key, start, end) if size else iter(())
    return Stream(chunks, status_code=status, media_type=media_type, headers=headers)


async def _serve_store_file(request: Request, store_name: str, file_name: str, folder: str) -> Response:
    svc, rt, store = _store_lookup(request, store_name)
    if (gone := unavailable_store(store, store_name, request)) is not None:
        return gone.to_response()
    if not await _authorized(svc, rt, store, request):
        return _unauthorized(store).to_response()
    found = await run(publishing.find_download, svc, store.id, file_name[:300], folder)
    if found is None:
        return _xml_error(404, errors.NOT_FOUND).to_response()
    apk_id, key = found
    if folder == "apk":
        etag = key.split("/")[1].split(".")[0]
        return await run(_file_response, request, svc, key, APK_MEDIA_TYPE, etag, lambda: rt.downloads.add(apk_id))
    return await run(_file_response, request, svc, key, "image/png", key.split("/")[1].split(".")[0])


@route("/repo/{store_name:str}/apk/{file_name:str}", http_method=["GET", "HEAD"], summary="Download an APK (Range supported)",
       tags=["repository"])
async def apk_file(request: Request, store_name: FromPath[str], file_name: FromPath[str]) -> Response:
    return await _serve_store_file(request, store_name, file_name, "apk")


@route("/repo/{store_name:str}/icons/{file_name:str}", http_method=["GET", "HEAD"], summary="An app icon",
       tags=["repository"])
async def icon_file(request: Request, store_name: FromPath[str], file_name: FromPath[str]) -> Response:
    return await _serve_store_file(request, store_name, file_name, "icons")


@route("/repo/{store_name:str}/images/{package:str}/{rest:path}", http_method=["GET", "HEAD"], tags=["repository"],
       summary="An image of an app's listing (also below thumbs/mobile/, where the Aptoide apps look for thumbnails)")
async def listing_image_file(request: Request, store_name: FromPath[str], package: FromPath[str],
                             rest: FromPath[str]) -> Response:
    svc, rt, store = _store_lookup(request, store_name)
    if (gone := unavailable_store(store, store_name, request)) is not None:
        return gone.to_response()
    if not await _authorized(svc, rt, store, request) and not await _owner_signed_in(request, store):
        return _unauthorized(store).to_response()
    name = rest.lstrip("/").removeprefix("thumbs/mobile/")
    return await serve_listing_image(request, svc, store.id, package, name)


async def _owner_signed_in(request: Request, store: CachedStore) -> bool:
    """The store's owner, signed in to the portal, sees a private store's listing
    images there without its device credentials (the listing editor shows them)."""
    from apkdepot.portal.web import current_session

    session = await current_session(request) if store.private else None
    return session is not None and session.developer.id == store.owner_id


async def serve_listing_image(request: Request, svc: Services, store_id: int, package: str, name: str) -> Response:
    image = await run(listing_images.find, svc, store_id, package[:255], name[:100])
    if image is None:
        return _xml_error(404, errors.NOT_FOUND).to_response()
    return await run(_file_response, request, svc, listing_images.blob_key(image.name), image.media_type,
                     image.sha256)


@route("/repo/{store_name:str}/avatar", http_method=["GET", "HEAD"], summary="The store's avatar image", tags=["repository"])
async def avatar_file(request: Request, store_name: FromPath[str]) -> Response:
    svc, rt, store = _store_lookup(request, store_name)
    if store is not None and (store.suspended or store.name != store_name.lower()):
        return unavailable_store(store, store_name, request).to_response()
    if store is None or not store.avatar_key:
        return _xml_error(404, errors.NOT_FOUND).to_response()
    if not await _authorized(svc, rt, store, request):  # a private store's files, avatar included
        return _unauthorized(store).to_response()
    media_type = "image/png" if store.avatar_key.endswith(".png") else "image/jpeg"
    return await run(_file_response, request, svc, store.avatar_key, media_type, store.avatar_key.split("/")[1].split(".")[0])


ROUTES = [info_xml, latest_xml, top_xml, apk_file, icon_file, listing_image_file, avatar_file]
