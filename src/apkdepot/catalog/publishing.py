"""Publishing APKs into a store, and taking them out.

Order of work, so a failure at any point loses nothing and leaves nothing:
inspect (sandboxed) -> check the store's rules -> write blobs (content-addressed,
atomic) -> one database transaction (row + pending index change). If the
transaction fails, blobs this call created and nobody references are deleted.
The index picks the change up within the coalescing window."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

import sqlalchemy as sa

from apkdepot import audit, errors, moderation, webhooks
from apkdepot.accounts.validation import valid_email, valid_url
from apkdepot.apk.info import ApkInfo, ApkRejected
from apkdepot.apk.inspect import publish_problem
from apkdepot.apk.sandbox import InspectorBusy
from apkdepot.catalog import app_listing, listing_images, owner_apps, store_categories
from apkdepot.catalog.models import LISTABLE, ApkVersion
from apkdepot.catalog.stores import Store, owned_store
from apkdepot.db.schema import apks, stores
from apkdepot.db.time import utcnow
from apkdepot.errors import Failure, Problem, problem
from apkdepot.index import infoxml, versions
from apkdepot.ratelimit import Limit
from apkdepot.services import Services

MD5_RE = re.compile(r"^[0-9a-fA-F]{32}\Z")

_REJECTIONS = {
    "not_zip": errors.APK_NOT_ZIP,
    "bad_manifest": errors.APK_BAD_MANIFEST,
    "unsigned": errors.APK_UNSIGNED,
    "zip_bomb": errors.APK_ZIP_BOMB,
    "bad_signature": errors.APK_BAD_SIGNATURE,
    "too_complex": errors.APK_TOO_COMPLEX,
    "unsafe_zip": errors.APK_UNSAFE_ZIP,
    "too_big": errors.APK_TOO_BIG_TO_INSPECT,
    "v1_only": errors.APK_V1_ONLY,
    "no_version_code": errors.APK_NO_VERSION_CODE,
}


APK_MEDIA_TYPE = "application/vnd.android.package-archive"


def apk_blob_key(sha256: str) -> str:
    return f"apks/{sha256}.apk"


def icon_blob_key(sha256: str) -> str:
    return f"icons/{sha256}.png"


def rejection(exc: ApkRejected) -> Failure:
    if exc.reason == "bad_package":
        return Failure(problem(errors.APK_BAD_PACKAGE, "apk", package=exc.detail[:100]))
    return Failure(problem(_REJECTIONS.get(exc.reason, errors.APK_BAD_MANIFEST), "apk"))


def inspect_upload(svc: Services, path: Path) -> ApkInfo:
    """The APK's facts from the server's inspector pool (bounded, sandboxed)."""
    try:
        return svc.inspector.inspect(path)
    except InspectorBusy as busy:
        raise Failure(problem(errors.APK_INSPECTOR_BUSY, "apk", retry_after=busy.retry_after), 503,
                      {"Retry-After": str(busy.retry_after)}) from None


def _check_upload_rate(svc: Services, developer_id: int) -> None:
    """Uploads per developer per hour (inspection is the costly part of the server)."""
    limit = svc.settings.uploads_per_hour
    if limit <= 0:
        return
    decision = svc.limiter.hit(f"upload:{developer_id}", [Limit(limit, 3600)])
    if not decision.allowed:
        raise Failure(problem(errors.TOO_MANY_REQUESTS, retry_after=decision.retry_after), 429,
                      {"Retry-After": str(decision.retry_after)})


def check_meta(meta: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    found: list[Problem] = []
    # Lengths count what was sent (the documented maxLength), before surrounding spaces are dropped.
    checks = (
        ("description", lambda v: len(v) <= 4000),
        ("category", lambda v: len(v) <= 100),
        ("apk_website", lambda v: valid_url(v.strip())),
        ("apk_email", lambda v: valid_email(v.strip())),
    )
    for name, ok in checks:
        value = meta.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not ok(value):
            found.append(problem(errors.STORE_FIELD_INVALID, name, name=name))
        else:
            values[name] = value.strip()
    return values, found


def _row_values(info: ApkInfo, meta: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    file_name = f"{info.package}_{info.version_code}.apk"
    icon_name = f"{info.package}_{info.version_code}.png" if info.icon_png else None
    fields = infoxml.EntryFields(
        label=info.label, package=info.package, version_name=info.version_name, version_code=info.version_code,
        file_name=file_name, md5=info.md5, size=info.size, icon_name=icon_name, added_at=now,
        category=meta.get("category"), min_sdk=info.min_sdk, signer_sha1=info.signer_sha1 or "",
        abis=info.abis)
    head, tail = infoxml.entry_parts(fields)
    return dict(
        package=info.package, version_code=info.version_code, version_name=info.version_name, label=info.label,
        min_sdk=info.min_sdk, target_sdk=info.target_sdk, permissions=json.dumps(list(info.permissions)),
        abis=",".join(info.abis), signer_sha1=info.signer_sha1, signer_sha256=info.signer_sha256,
        md5=info.md5, sha256=info.sha256, size=info.size, file_name=file_name, icon_name=icon_name,
        icon_sha256=hashlib.sha256(info.icon_png).hexdigest() if info.icon_png else None,
        description=meta.get("description", ""), category=meta.get("category"),
        website=meta.get("apk_website"), email=meta.get("apk_email"),
        manifest_details=json.dumps(info.details, sort_keys=True),
        xml_head=head, xml_tail=tail, added_at=now)


@dataclass(frozen=True)
class Published:
    apk: ApkVersion
    created: bool  # False: this exact file was already published there


def _fetch(conn: sa.Connection, apk_id: int) -> ApkVersion:
    return ApkVersion.from_row(conn.execute(sa.select(apks).where(apks.c.id == apk_id)).one())


def _record(svc: Services, store: Store, info: ApkInfo, meta: Mapping[str, Any], source: Path | None,
            listing_meta: Mapping[str, Any] | None = None) -> Published:
    """Rules that need the store's history, then blobs, then one transaction.
    The upload fields the client sent (``listing_meta``, by default ``meta``)
    also update the app's listing, in the same transaction."""
    with svc.db.read() as conn:
        same = conn.execute(sa.select(apks.c.id, apks.c.sha256, apks.c.removed_at).where(
            apks.c.store_id == store.id, apks.c.package == info.package,
            apks.c.version_code == info.version_code)).first()
        signers = set(conn.execute(sa.select(apks.c.signer_sha256).where(
            apks.c.store_id == store.id, apks.c.package == info.package).distinct()).scalars())
    if same is not None and same.sha256 != info.sha256:
        raise Failure(problem(errors.APK_VERSION_CONFLICT, "apk", package=info.package, version_code=info.version_code))
    if signers and signers != {info.signer_sha256}:
        raise Failure(problem(errors.APK_SIGNER_MISMATCH, "apk", package=info.package))

    created_blobs = []
    apk_key = apk_blob_key(info.sha256)
    if not svc.blobs.exists(apk_key):
        if source is None:  # the de-duplicated file vanished from storage
            raise Failure(problem(errors.APK_MD5_UNKNOWN, "apk_md5sum"))
        svc.blobs.put_file(apk_key, source)
        created_blobs.append(apk_key)
    if info.icon_png:
        icon_key = icon_blob_key(hashlib.sha256(info.icon_png).hexdigest())
        if not svc.blobs.exists(icon_key):
            svc.blobs.put_bytes(icon_key, info.icon_png)
            created_blobs.append(icon_key)
    try:
        with svc.db.write() as conn:
            existing = conn.execute(sa.select(apks.c.id, apks.c.sha256, apks.c.removed_at).where(
                apks.c.store_id == store.id, apks.c.package == info.package,
                apks.c.version_code == info.version_code)).first()
            _apply_upload_fields(conn, store.id, info.package, meta if listing_meta is None else listing_meta)
            if existing is not None:
                if existing.sha256 != info.sha256:
                    raise Failure(problem(errors.APK_VERSION_CONFLICT, "apk", package=info.package,
                                          version_code=info.version_code))
                if existing.removed_at is None:
                    return Published(_fetch(conn, existing.id), created=False)
                conn.execute(apks.update().where(apks.c.id == existing.id).values(removed_at=None))
                apk_id = existing.id
            else:
                entry_meta = dict(meta)
                if not entry_meta.get("category"):
                    # A new version is filed under the category the app's listing names.
                    listing = app_listing.latest(conn, store.id, info.package)
                    if listing is not None and listing.category:
                        entry_meta["category"] = listing.category
                held = moderation.reasons_to_hold(conn, store, info) if store.moderated else []
                review = {"review_state": "pending", "review_reasons": json.dumps(held)} if held else {}
                apk_id = conn.execute(apks.insert().values(store_id=store.id, **_row_values(info, entry_meta, utcnow()),
                                                           **review).returning(apks.c.id)).scalar_one()
                if held:  # it waits for an operator: not in the index, not announced yet
                    owner_apps.on_held(conn, store.owner_id, info.package, info.label)
                    audit.record(conn, "app.held", "apk", f"{store.name}/{info.package}/{info.version_code}",
                                 store.owner_id, after={"reasons": held, "md5": info.md5})
                    return Published(_fetch(conn, apk_id), created=True)
            versions.mark_dirty(conn, store.id, [info.package])
            owner_apps.on_published(conn, store.owner_id, info.package, info.label)
            audit.record(conn, "app.publish", "apk", f"{store.name}/{info.package}/{info.version_code}", store.owner_id,
                         after={"version_name": info.version_name, "md5": info.md5, "signer_sha256": info.signer_sha256,
                                "restored": existing is not None})
            webhooks.enqueue(conn, store.id, "app.published", {
                "package": info.package, "version_code": info.version_code, "version_name": info.version_name,
                "label": info.label, "md5": info.md5, "sha256": info.sha256, "size": info.size,
                "signer_sha256": info.signer_sha256}, store.name)
            return Published(_fetch(conn, apk_id), created=True)
    except BaseException:
        _delete_unreferenced(svc, created_blobs)
        raise


def _apply_upload_fields(conn: sa.Connection, store_id: int, package: str, meta: Mapping[str, Any]) -> None:
    current = app_listing.latest(conn, store_id, package)
    updated = app_listing.with_upload_fields(current, meta)
    if updated is not None and updated != current and app_listing.save(conn, store_id, package, updated):
        versions.mark_dirty(conn, store_id, [package])


def _delete_unreferenced(svc: Services, keys: list[str]) -> None:
    for key in keys:
        digest = key.split("/", 1)[1].split(".", 1)[0]
        column = apks.c.sha256 if key.startswith("apks/") else apks.c.icon_sha256
        with svc.db.read() as conn:
            referenced = conn.execute(sa.select(apks.c.id).where(column == digest).limit(1)).first()
        if referenced is None:
            svc.blobs.delete(key)


def publish_file(svc: Services, developer_id: int, store_name: Any, path: Path, meta: Mapping[str, Any]) -> Published:
    store = owned_store(svc, developer_id, store_name)
    values, found = check_meta(meta)
    if found:
        raise Failure(found)
    size = path.stat().st_size
    if size > svc.settings.max_apk_bytes:
        raise Failure(problem(errors.APK_TOO_LARGE, "apk", limit=svc.settings.max_apk_bytes // (1024 * 1024)))
    _check_upload_rate(svc, developer_id)
    try:
        info = inspect_upload(svc, path)
        refused = publish_problem(info)
        if refused:
            raise refused
    except ApkRejected as exc:
        raise rejection(exc) from None
    return _record(svc, store, info, values, path)


def publish_known_md5(svc: Services, developer_id: int, store_name: Any, md5: Any, meta: Mapping[str, Any]) -> Published:
    """MD5-first upload: publish a file the server already holds for this
    developer without receiving it again; APK-5 tells the client to send it."""
    store = owned_store(svc, developer_id, store_name)
    if not isinstance(md5, str) or not MD5_RE.match(md5):
        raise Failure(problem(errors.APK_BAD_MD5, "apk_md5sum"))
    values, found = check_meta(meta)
    if found:
        raise Failure(found)
    with svc.db.read() as conn:
        # Only files this developer uploaded before: knowing the MD5 of someone
        # else's (perhaps private) APK must not be a way to copy it.
        row = conn.execute(
            sa.select(apks).select_from(apks.join(stores, stores.c.id == apks.c.store_id))
            .where(apks.c.md5 == md5.lower(), stores.c.owner_id == developer_id).limit(1)).first()
    if row is None:
        raise Failure(problem(errors.APK_MD5_UNKNOWN, "apk_md5sum"))
    icon = svc.blobs.get_bytes(icon_blob_key(row.icon_sha256)) if row.icon_sha256 else None
    info = ApkInfo(package=row.package, version_code=row.version_code, version_name=row.version_name,
                   label=row.label, min_sdk=row.min_sdk, target_sdk=row.target_sdk,
                   permissions=tuple(json.loads(row.permissions)), abis=tuple(a for a in row.abis.split(",") if a),
                   signer_sha1=row.signer_sha1, signer_sha256=row.signer_sha256, signing_schemes=(),
                   icon_png=icon, md5=row.md5, sha256=row.sha256, size=row.size,
                   details=json.loads(row.manifest_details or "{}"))
    merged = {"description": row.description, "category": row.category, "apk_website": row.website,
              "apk_email": row.email}
    merged.update(values)
    return _record(svc, store, info, {k: v for k, v in merged.items() if v}, None, listing_meta=values)


def list_versions(svc: Services, store: Store, include_removed: bool = False) -> list[ApkVersion]:
    query = sa.select(apks).where(apks.c.store_id == store.id)
    if not include_removed:
        query = query.where(apks.c.removed_at.is_(None))
    with svc.db.read() as conn:
        rows = conn.execute(query.order_by(apks.c.package, apks.c.version_code.desc())).all()
    return [ApkVersion.from_row(r) for r in rows]


def remove_version(svc: Services, store: Store, package: str, version_code: int, reason: str | None = None) -> None:
    """Takes one version out of the store (an operator's take-down gives the reason the owner is shown)."""
    with svc.db.write() as conn:
        changed = conn.execute(apks.update().where(
            apks.c.store_id == store.id, apks.c.package == package, apks.c.version_code == version_code,
            apks.c.removed_at.is_(None)).values(removed_at=utcnow())).rowcount
        if not changed:
            raise Failure(problem(errors.NO_SUCH_APK))
        versions.mark_dirty(conn, store.id, [package])
        owner_apps.on_removed(conn, store.owner_id, package)
        audit.record(conn, "app.remove_version", "apk", f"{store.name}/{package}/{version_code}", store.owner_id,
                     after={"reason": reason} if reason else None)
        webhooks.enqueue(conn, store.id, "app.removed", {"package": package, "version_code": version_code,
                                                          "versions": 1, "reason": reason}, store.name)


def remove_app(svc: Services, store: Store, package: str, reason: str | None = None) -> int:
    """Takes every version of an app out of the store."""
    with svc.db.write() as conn:
        changed = conn.execute(apks.update().where(
            apks.c.store_id == store.id, apks.c.package == package, apks.c.removed_at.is_(None))
            .values(removed_at=utcnow())).rowcount
        if not changed:
            raise Failure(problem(errors.NO_SUCH_APK))
        versions.mark_dirty(conn, store.id, [package])
        owner_apps.on_removed(conn, store.owner_id, package)
        audit.record(conn, "app.remove", "app", f"{store.name}/{package}", store.owner_id,
                     after={"versions": changed, **({"reason": reason} if reason else {})})
        webhooks.enqueue(conn, store.id, "app.removed", {"package": package, "version_code": None,
                                                          "versions": changed, "reason": reason}, store.name)
    return changed


def find_download(svc: Services, store_id: int, file_name: str, folder: str) -> tuple[int, str] | None:
    """(apk id, blob key) of a listed-or-published file of the store."""
    column = apks.c.file_name if folder == "apk" else apks.c.icon_name
    with svc.db.read() as conn:
        row = conn.execute(sa.select(apks.c.id, apks.c.sha256, apks.c.icon_sha256).where(
            apks.c.store_id == store_id, column == file_name, LISTABLE())).first()
    if row is None:
        return None
    if folder == "apk":
        return row.id, apk_blob_key(row.sha256)
    return (row.id, icon_blob_key(row.icon_sha256)) if row.icon_sha256 else None


def _has_published_version(conn: sa.Connection, store_id: int, package: str) -> bool:
    return conn.execute(sa.select(apks.c.id).where(apks.c.store_id == store_id, apks.c.package == package,
                                                   apks.c.removed_at.is_(None)).limit(1)).first() is not None


def get_listing(svc: Services, store: Store, package: str) -> app_listing.Listing:
    """The app's newest saved listing (empty when none was ever saved)."""
    with svc.db.read() as conn:
        if not _has_published_version(conn, store.id, package):
            raise Failure(problem(errors.NO_SUCH_APP, package=package[:255]))
        return app_listing.latest(conn, store.id, package) or app_listing.Listing()


def put_listing(svc: Services, store: Store, package: str, body: Mapping[str, Any]) -> app_listing.Listing:
    """Replaces the app's listing; the next index version carries it."""
    listing, found = app_listing.parse_listing(body)
    if found:
        raise Failure(found)
    with svc.db.write() as conn:
        if not _has_published_version(conn, store.id, package):
            raise Failure(problem(errors.NO_SUCH_APP, package=package[:255]))
        listing, found = listing_images.resolve(conn, store.id, package, listing)
        found += store_categories.check_listing_category(store_categories.latest(conn, store.id), listing.category)
        if found:
            raise Failure(found)
        previous = app_listing.latest(conn, store.id, package) or app_listing.Listing()
        if app_listing.save(conn, store.id, package, listing):
            versions.mark_dirty(conn, store.id, [package])
            before, after = audit.changed_keys(previous.public(), listing.public())
            audit.record(conn, "listing.update", "app", f"{store.name}/{package}", store.owner_id, before, after)
    return listing


def get_store_categories(svc: Services, store: Store) -> list[store_categories.Category]:
    with svc.db.read() as conn:
        return store_categories.latest(conn, store.id)


def put_store_categories(svc: Services, store: Store, body: Mapping[str, Any]) -> list[store_categories.Category]:
    """Replaces the store's categories; the next index version carries them."""
    categories, found = store_categories.parse(body)
    if found:
        raise Failure(found)
    with svc.db.write() as conn:
        previous = store_categories.latest(conn, store.id)
        if store_categories.save(conn, store.id, categories):
            versions.mark_store_dirty(conn, store.id)
            audit.record(conn, "store.categories", "store", store.name, store.owner_id,
                         before=[c.public() for c in previous], after=[c.public() for c in categories])
    return categories


def add_listing_image(svc: Services, store: Store, developer_id: int, package: str, path: Path, kind: str,
                      locale: str) -> tuple[app_listing.ListingImage, app_listing.Listing]:
    """Takes an uploaded image (already size-capped) into the app's listing: a
    phone screenshot last in its locale's list, or the locale's feature graphic."""
    with svc.db.read() as conn:
        if not _has_published_version(conn, store.id, package):
            raise Failure(problem(errors.NO_SUCH_APP, package=package[:255]))
    _check_upload_rate(svc, developer_id)
    image = listing_images.inspect(svc, path)
    svc.blobs.put_file(listing_images.blob_key(image.name), path)
    with svc.db.write() as conn:
        listing = app_listing.latest(conn, store.id, package) or app_listing.Listing()
        listing, found = listing_images.with_image(listing, image, kind, locale)
        if found:
            raise Failure(found)
        listing_images.keep(conn, store.id, package, image)
        if app_listing.save(conn, store.id, package, listing):
            versions.mark_dirty(conn, store.id, [package])
            audit.record(conn, "listing.image", "app", f"{store.name}/{package}", store.owner_id,
                         after={"image": image.name, "kind": kind, "locale": locale})
    return image, listing
