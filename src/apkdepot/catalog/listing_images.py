"""Images for app listings: phone screenshots and feature graphics.

An image is uploaded for one app of one store, decoded whole in the bounded
inspection worker (apk/images.py), and kept by content: blob
``listing-images/<sha256>.<ext>``, where ``<sha256>.<ext>`` is the name a
listing uses for it. Uploading puts it into the app's pending listing (a
screenshot at the end of its locale's list, a feature graphic in place of
the locale's one); a listing PUT can then reorder or drop them by name.

Where they are served (every URL reads the same bytes):

* ``/repo/<store>/images/<package>/<name>`` — for the web services, v7 and
  the store front; a private store asks for its credentials as for its APKs;
* ``/repo/<store>/images/<package>/thumbs/mobile/<name>`` — the Aptoide apps
  make a thumbnail address from a screenshot's by putting ``thumbs/mobile/``
  before its last part (their ``screenshotToThumb``);
* ``/fdroid/<store>/repo/<package>/<locale>/phoneScreenshots/<name>`` and
  ``/fdroid/<store>/repo/<package>/<locale>/<name>`` — where F-Droid's index
  files say a screenshot and a feature graphic are."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa

from apkdepot import errors
from apkdepot.apk.images import EXTENSIONS, ImageRejected
from apkdepot.apk.sandbox import InspectorBusy
from apkdepot.catalog import app_listing
from apkdepot.catalog.app_listing import Listing, ListingImage
from apkdepot.db.schema import listing_images
from apkdepot.db.time import utcnow
from apkdepot.errors import Failure, Problem, problem
from apkdepot.services import Services

IMAGE_MAX_BYTES = 8 * 1024 * 1024  # as Google Play's screenshots
KINDS = ("phone", "feature")


def blob_key(name: str) -> str:
    return f"listing-images/{name}"


def repo_url(base_url: str, store_name: str, package: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/repo/{store_name}/images/{package}/{name}"


def fdroid_path(package: str, locale: str, image: ListingImage, kind: str) -> str:
    """An image's path below an F-Droid repository, as index-v2 names it."""
    folder = "phoneScreenshots/" if kind == "phone" else ""
    return f"/{package}/{locale}/{folder}{image.name}"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inspect(svc: Services, path: Path) -> ListingImage:
    """The image's facts, decoded in the inspection worker; a Failure (LIST-9, or 503) when it cannot be used."""
    try:
        facts = svc.inspector.inspect_image(path)
    except ImageRejected as rejected:
        raise Failure(problem(errors.LISTING_IMAGE_REFUSED, "image", detail=rejected.detail[:200])) from None
    except InspectorBusy as busy:
        raise Failure(problem(errors.APK_INSPECTOR_BUSY, "image", retry_after=busy.retry_after), 503,
                      {"Retry-After": str(busy.retry_after)}) from None
    name = f"{_sha256_of(path)}.{EXTENSIONS[facts.media_type]}"
    return ListingImage(name, facts.media_type, facts.width, facts.height, path.stat().st_size)


def keep(conn: sa.Connection, store_id: int, package: str, image: ListingImage) -> None:
    """Records that the app may show the image (its bytes are already stored)."""
    exists = conn.execute(sa.select(listing_images.c.id).where(
        listing_images.c.store_id == store_id, listing_images.c.package == package,
        listing_images.c.name == image.name)).first()
    if exists is None:
        conn.execute(listing_images.insert().values(
            store_id=store_id, package=package, name=image.name, media_type=image.media_type, width=image.width,
            height=image.height, size=image.size, created_at=utcnow()))


def with_image(listing: Listing, image: ListingImage, kind: str, locale: str) -> tuple[Listing, list[Problem]]:
    """The listing showing one more image: a screenshot goes last in its locale, a feature graphic replaces."""
    if kind == "feature":
        return replace(listing, feature_graphic={**listing.feature_graphic, locale: image}), []
    shots = [i for i in listing.screenshots.get(locale, ()) if i.name != image.name]
    if len(shots) >= app_listing.MAX_SCREENSHOTS:
        return listing, [problem(errors.LISTING_TOO_MANY, f"screenshots.{locale}", name=f"screenshots.{locale}",
                                 max=app_listing.MAX_SCREENSHOTS)]
    return replace(listing, screenshots={**listing.screenshots, locale: (*shots, image)}), []


def known(conn: sa.Connection, store_id: int, package: str, names: Iterable[str]) -> dict[str, ListingImage]:
    """The facts of the images uploaded for the app, of those named."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(listing_images).where(
        listing_images.c.store_id == store_id, listing_images.c.package == package,
        listing_images.c.name.in_(wanted))).all()
    return {r.name: ListingImage(r.name, r.media_type, r.width, r.height, r.size) for r in rows}


def resolve(conn: sa.Connection, store_id: int, package: str, listing: Listing) -> tuple[Listing, list[Problem]]:
    """A listing from a client names its images; this fills in their facts, and
    reports each name never uploaded for the app (LIST-10)."""
    facts = known(conn, store_id, package, (i.name for i in listing.images()))
    found: list[Problem] = []
    for tag, images in sorted(listing.screenshots.items()):
        for index, image in enumerate(images):
            if image.name not in facts:
                found.append(problem(errors.LISTING_IMAGE_UNKNOWN, f"screenshots.{tag}.{index}", image=image.name))
    for tag, image in sorted(listing.feature_graphic.items()):
        if image.name not in facts:
            found.append(problem(errors.LISTING_IMAGE_UNKNOWN, f"feature_graphic.{tag}", image=image.name))
    if found:
        return listing, found
    return replace(
        listing,
        screenshots={tag: tuple(facts[i.name] for i in images) for tag, images in listing.screenshots.items()},
        feature_graphic={tag: facts[i.name] for tag, i in listing.feature_graphic.items()}), []


def find(svc: Services, store_id: int, package: str, name: str) -> ListingImage | None:
    """An image the app may show, for serving it."""
    if not app_listing.IMAGE_NAME_RE.match(name):
        return None
    with svc.db.read() as conn:
        return known(conn, store_id, package, [name]).get(name)
