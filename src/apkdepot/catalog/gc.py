"""Removing what a crash can leave behind: blobs written by a publish that
never committed, half-written temporary files, and index bytes of versions no
longer kept. Only things older than a grace period are touched, so a publish
in progress is never disturbed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from apkdepot.db.schema import apks, stores
from apkdepot.index import versions
from apkdepot.services import Services


@dataclass(frozen=True)
class Collected:
    blobs: int
    temp_files: int


def collect_garbage(svc: Services, grace_seconds: float = 3600) -> Collected:
    with svc.db.read() as conn:
        apk_hashes = set(conn.execute(sa.select(apks.c.sha256)).scalars())
        icon_hashes = set(conn.execute(sa.select(apks.c.icon_sha256).where(apks.c.icon_sha256.is_not(None))).scalars())
        kept_indexes = set()
        for store_id, current in conn.execute(sa.select(stores.c.id, stores.c.current_version)):
            for version in range(max(1, current - svc.settings.index_keep_bytes), current + 1):
                kept_indexes.add(versions.index_key(store_id, version))
        avatars = set(conn.execute(sa.select(stores.c.avatar_key).where(stores.c.avatar_key.is_not(None))).scalars())
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
    return Collected(removed, temp_files)
