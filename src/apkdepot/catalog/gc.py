"""Removing what a crash can leave behind: blobs written by a publish that
never committed, half-written temporary files, and index bytes of versions no
longer kept; and sessions and one-time links past their expiry. Only things older than a grace period are touched, so a publish
in progress is never disturbed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from apkdepot.db.schema import account_links, apks, listing_images, portal_sessions, stores
from apkdepot.db.time import utcnow
from apkdepot.index import versions
from apkdepot.services import Services


@dataclass(frozen=True)
class Collected:
    blobs: int
    temp_files: int
    expired_rows: int = 0  # portal sessions and one-time links past their expiry


def _fdroid_file_kept(key: str, current_versions: dict[int, int], keep: int) -> bool:
    """fdroid/<store>/<version>/<file>: kept for the last ``keep`` versions;
    fdroid/<store>/diff/<old>-<new>.json: kept while <new> is current (older
    diffs are made again on request)."""
    parts = key.split("/")
    if len(parts) != 4 or not parts[1].isdigit() or int(parts[1]) not in current_versions:
        return False
    current = current_versions[int(parts[1])]
    if parts[2] == "diff":
        return parts[3].removesuffix(".json").rpartition("-")[2] == str(current)
    return parts[2].isdigit() and current - keep <= int(parts[2]) <= current


def _delta_file_kept(key: str, current_versions: dict[int, int]) -> bool:
    """deltas/<store>/<since>-<current>-<tag>.xml[.gz]: kept while <current> is the store's current version."""
    parts = key.split("/")
    if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) not in current_versions:
        return False
    fields = parts[2].split(".", 1)[0].split("-")
    return len(fields) == 3 and fields[1] == str(current_versions[int(parts[1])])


def collect_garbage(svc: Services, grace_seconds: float = 3600) -> Collected:
    with svc.db.read() as conn:
        apk_hashes = set(conn.execute(sa.select(apks.c.sha256)).scalars())
        icon_hashes = set(conn.execute(sa.select(apks.c.icon_sha256).where(apks.c.icon_sha256.is_not(None))).scalars())
        current_versions = dict(conn.execute(sa.select(stores.c.id, stores.c.current_version)).all())
        kept_indexes = {key(store_id, version)
                        for store_id, current in current_versions.items()
                        for version in range(max(1, current - svc.settings.index_keep_bytes), current + 1)
                        for key in (versions.index_key, versions.index_gzip_key)}
        avatars = set(conn.execute(sa.select(stores.c.avatar_key).where(stores.c.avatar_key.is_not(None))).scalars())
        image_names = set(conn.execute(sa.select(listing_images.c.name).distinct()).scalars())
    removed = 0
    for key in list(svc.blobs.keys_older_than("", grace_seconds)):
        folder, _, name = key.partition("/")
        digest = name.split(".", 1)[0]
        orphan = (
            name.startswith(".tmp-")
            or (folder == "apks" and digest not in apk_hashes)
            or (folder == "icons" and digest not in icon_hashes)
            or (folder == "indexes" and key not in kept_indexes)
            or (folder == "avatars" and key not in avatars)
            or (folder == "listing-images" and name not in image_names)
            or (folder == "fdroid" and not _fdroid_file_kept(key, current_versions, svc.settings.index_keep_bytes))
            or (folder == "deltas" and not _delta_file_kept(key, current_versions))
        )
        if orphan:
            svc.blobs.delete(key)
            removed += 1
    temp_files = 0
    tmp_dir = svc.settings.data_dir / "tmp"
    if tmp_dir.exists():
        import time

        cutoff = time.time() - grace_seconds
        for path in tmp_dir.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                temp_files += 1
    with svc.db.write() as conn:
        now = utcnow()
        expired = conn.execute(portal_sessions.delete().where(portal_sessions.c.expires_at < now)).rowcount
        expired += conn.execute(account_links.delete().where(account_links.c.expires_at < now)).rowcount
    return Collected(removed, temp_files, expired)
