"""Shared by the benches: stores filled with synthetic entries, fast."""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import contextmanager
from typing import Iterator
from datetime import datetime, timezone

import sqlalchemy as sa

from apkdepot.catalog import stores
from apkdepot.db.schema import apks, fdroid_entries, index_entries
from apkdepot.index import infoxml, versions
from apkdepot.services import Services

SIGNER_SHA256 = "ab" * 32
SIGNER_SHA1 = "cd" * 20


def row(store_id: int, package: str, version_code: int, now: datetime) -> dict:
    digest = hashlib.sha256(f"{store_id}:{package}:{version_code}".encode()).hexdigest()
    file_name = f"{package}_{version_code}.apk"
    fields = infoxml.EntryFields(label=f"App {package[-8:]}", package=package, version_name=f"{version_code}.0",
                                 version_code=version_code, file_name=file_name, md5=digest[:32], size=3_500_000,
                                 icon_name=f"{package}_{version_code}.png", added_at=now, category="Tools",
                                 min_sdk=21, signer_sha1=SIGNER_SHA1, abis=("arm64-v8a",))
    head, tail = infoxml.entry_parts(fields)
    return dict(store_id=store_id, package=package, version_code=version_code, version_name=f"{version_code}.0",
                label=f"App {package[-8:]}", min_sdk=21, target_sdk=34, permissions=json.dumps([]),
                abis="arm64-v8a", signer_sha1=SIGNER_SHA1, signer_sha256=SIGNER_SHA256, md5=digest[:32],
                sha256=digest, size=3_500_000, file_name=file_name, icon_name=f"{package}_{version_code}.png",
                icon_sha256=None, description="", category="Tools", downloads=0, xml_head=head, xml_tail=tail,
                added_at=now)


def filled_store(svc: Services, owner_id: int, name: str, apps: int, history: int = 0) -> stores.Store:
    """A store with ``apps`` listed apps, built as one index version; then
    ``history`` more versions of one app each, so the version table is long."""
    store = stores.create_store(svc, owner_id, {"name": name})
    now = datetime.now(timezone.utc)
    batch = 5000
    with svc.db.write() as conn:
        for start in range(0, apps, batch):
            rows = [row(store.id, f"org.bench.{name}.app{i:07d}", 1, now) for i in range(start, min(apps, start + batch))]
            conn.execute(apks.insert(), rows)
        ids = conn.execute(sa.select(apks.c.id, apks.c.package).where(apks.c.store_id == store.id)).all()
        for start in range(0, len(ids), batch):
            rows = [dict(store_id=store.id, apk_id=i, package=p, from_version=2) for i, p in ids[start:start + batch]]
            conn.execute(index_entries.insert(), rows)
            conn.execute(fdroid_entries.insert(), rows)
        versions._write_version(conn, svc, store.id, store.name, 2)
    for v in range(history):
        with svc.db.write() as conn:
            conn.execute(apks.insert(), [row(store.id, f"org.bench.{name}.churn", v + 1, now)])
            versions.mark_dirty(conn, store.id, [f"org.bench.{name}.churn"])
        versions.build_pending(svc, store.id)
    return stores.get_store(svc, name)


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """For a PostgreSQL URL: a fresh database beside the one named, dropped
    afterwards, so a bench never writes into a database someone uses. Other
    URLs (SQLite, or empty for the embedded default) are used as they are."""
    if not url.startswith(("postgresql", "postgres")):
        yield url
        return
    from apkdepot.db.engine import make_engine

    name = f"apkdepot_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
