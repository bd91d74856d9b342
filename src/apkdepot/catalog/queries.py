"""Read-side questions about stores and apps, for the web services and v7.
Core selects over the current index entries (``to_version IS NULL``)."""

from __future__ import annotations

from array import array
from typing import Iterable, Sequence

import sqlalchemy as sa

from apkdepot.catalog import app_listing
from apkdepot.catalog.models import APK_COLUMNS, LISTABLE, ApkVersion
from apkdepot.db.schema import apks, index_entries, stores
from apkdepot.services import Services

APP_COLUMNS = APK_COLUMNS
App = ApkVersion  # the read services speak of apps; the record is the same


def _listed(store_ids: Sequence[int]):
    return (sa.select(*APP_COLUMNS)
            .select_from(index_entries.join(apks, apks.c.id == index_entries.c.apk_id))
            .where(index_entries.c.store_id.in_(store_ids), index_entries.c.to_version.is_(None)))


SORTS = {
    "alpha": (apks.c.label, apks.c.package),
    "latest": (apks.c.added_at.desc(), apks.c.package),
    "downloads": (apks.c.downloads.desc(), apks.c.package),
    "package": (apks.c.package,),
}


EVERY_LISTED_APP = 10**9  # a limit that lists a whole store


def listed_apps(svc: Services, store_id: int, limit: int, offset: int, sort: str = "package") -> tuple[list[App], int]:
    with svc.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(index_entries).where(
            index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None))).scalar_one()
        rows = conn.execute(_listed([store_id]).order_by(*SORTS.get(sort, SORTS["package"]))
                            .limit(limit).offset(offset)).all()
    return [App.from_row(r) for r in rows], total


def listed_order(svc: Services, store_id: int, sort: str) -> array:
    """The ids of a store's listed APKs in a SORTS order (8 bytes each)."""
    query = (sa.select(apks.c.id).select_from(index_entries.join(apks, apks.c.id == index_entries.c.apk_id))
             .where(index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None))
             .order_by(*SORTS[sort]))
    with svc.db.read() as conn:
        return array("q", conn.execute(query).scalars())


def apps_by_ids(svc: Services, ids: Sequence[int]) -> list[App]:
    """The APKs with these ids, in the order given."""
    if not ids:
        return []
    with svc.db.read() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(*APP_COLUMNS).where(apks.c.id.in_(list(ids))))}
    return [App.from_row(rows[i]) for i in ids if i in rows]


def store_downloads(svc: Services, store_id: int) -> int:
    with svc.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(apks.c.downloads), 0))
                                .where(apks.c.store_id == store_id)).scalar_one())


def find_version(svc: Services, store_id: int, package: str, version_code: int | None) -> App | None:
    """A published (not removed) version; the listed one when no version code is given."""
    with svc.db.read() as conn:
        if version_code is None:
            row = conn.execute(_listed([store_id]).where(apks.c.package == package)).first()
        else:
            row = conn.execute(sa.select(*APP_COLUMNS).where(
                apks.c.store_id == store_id, apks.c.package == package, apks.c.version_code == version_code,
                LISTABLE())).first()
    return App.from_row(row) if row else None


def find_by(svc: Services, store_ids: Sequence[int], *, md5: str | None = None, apk_id: int | None = None) -> App | None:
    query = sa.select(*APP_COLUMNS).where(apks.c.store_id.in_(store_ids), LISTABLE())
    query = query.where(apks.c.md5 == md5) if md5 is not None else query.where(apks.c.id == apk_id)
    with svc.db.read() as conn:
        row = conn.execute(query.limit(1)).first()
    return App.from_row(row) if row else None


def listed_for_package(svc: Services, store_ids: Sequence[int], package: str) -> list[App]:
    with svc.db.read() as conn:
        rows = conn.execute(_listed(store_ids).where(apks.c.package == package).order_by(apks.c.store_id)).all()
    return [App.from_row(r) for r in rows]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search(svc: Services, text: str, store_ids: Sequence[int], limit: int, offset: int) -> tuple[list[App], int]:
    pattern = _like_pattern(text)
    match = sa.or_(sa.func.lower(apks.c.label).like(pattern, escape="\\"),
                   sa.func.lower(apks.c.package).like(pattern, escape="\\"))
    with svc.db.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(_listed(store_ids).where(match).subquery())).scalar_one()
        rows = conn.execute(_listed(store_ids).where(match).order_by(apks.c.label, apks.c.package, apks.c.store_id)
                            .limit(limit).offset(offset)).all()
    return [App.from_row(r) for r in rows], total


def public_store_ids(svc: Services, also_owned_by: int | None = None) -> list[int]:
    """Every public store, and the private ones of ``also_owned_by`` (their owner
    sees them); never a suspended one."""
    visible = stores.c.private.is_(False)
    if also_owned_by is not None:
        visible = sa.or_(visible, stores.c.owner_id == also_owned_by)
    with svc.db.read() as conn:
        return list(conn.execute(sa.select(stores.c.id).where(visible, stores.c.suspended_at.is_(None))).scalars())


def newest_listed(svc: Services, store_ids: Sequence[int], packages: Iterable[str]) -> list[App]:
    packages = list(set(packages))
    if not packages or not store_ids:
        return []
    with svc.db.read() as conn:
        rows = conn.execute(_listed(store_ids).where(apks.c.package.in_(packages))).all()
    return [App.from_row(r) for r in rows]


def index_entries_by(svc: Services, store_id: int, sort: str, limit: int) -> list[tuple[str, str | None]]:
    """(info.xml <package> entry, category) of a store's listed apps, in a SORTS order."""
    from apkdepot.index import infoxml

    with svc.db.read() as conn:
        rows = conn.execute(
            sa.select(apks.c.xml_head, apks.c.downloads, apks.c.xml_tail, apks.c.category)
            .select_from(index_entries.join(apks, apks.c.id == index_entries.c.apk_id))
            .where(index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None))
            .order_by(*SORTS[sort]).limit(limit)).all()
    return [(infoxml.entry_xml(r.xml_head, r.downloads, r.xml_tail), infoxml.category_in(r.xml_tail)) for r in rows]


def used_categories(svc: Services, store_ids: Sequence[int]) -> list[str]:
    """Every category name an APK of these stores carries."""
    if not store_ids:
        return []
    with svc.db.read() as conn:
        return sorted(c for c in conn.execute(sa.select(apks.c.category).distinct().where(
            apks.c.store_id.in_(store_ids), apks.c.category.is_not(None))).scalars() if c)


def served_listing(svc: Services, store_id: int, package: str) -> app_listing.Listing | None:
    """The listing the store's current index version carries for the package."""
    with svc.db.read() as conn:
        return app_listing.served(conn, store_id, [package]).get(package)
