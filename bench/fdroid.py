"""F-Droid repository sizes and costs for a store of 10,000 apps after 1% of
them changed: index-v2.json, the diff from 1 version ago and the diff from 500
versions ago, with the time to produce each, and all of a version's files
rendered whole against spliced from the previous version's (measured in the
same run).

    .venv/bin/python bench/fdroid.py [--apps 10000] [--history 500] [--database-url URL]"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from apkdepot.accounts import services as accounts  # noqa: E402
from apkdepot.config import Settings  # noqa: E402
from apkdepot.db.migrate import upgrade  # noqa: E402
from apkdepot.db.schema import apks  # noqa: E402
from apkdepot.index import fdroid, fdroid_repo, versions  # noqa: E402
from apkdepot.services import build_services  # noqa: E402
from bench._synthetic import filled_store, row, scratch_database  # noqa: E402


def timed(fn, repeat: int = 3):
    results, times = None, []
    for _ in range(repeat):
        started = time.perf_counter()
        results = fn()
        times.append(time.perf_counter() - started)
    return results, statistics.median(times) * 1000


def update(svc, store, packages: list[str], version_code: int) -> None:
    now = datetime.now(timezone.utc)
    with svc.db.write() as conn:
        conn.execute(apks.insert(), [row(store.id, p, version_code, now) for p in packages])
        versions.mark_dirty(conn, store.id, packages)
    versions.build_pending(svc, store.id)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=500)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        return run(args, url)


def run(args, url: str) -> int:
    svc = build_services(Settings(data_dir=Path(tempfile.mkdtemp(prefix="apkdepot-fdroid-")), database_url=url,
                                  public_url="http://bench.local", password_memory_kib=1024, background=False))
    upgrade(svc.db.engine)
    owner, _ = accounts.create_confirmed_developer(svc, {"email": "f@example.com", "password": "bench-pass1",
                                                         "name": "F", "account_type": "personal"})
    started = time.perf_counter()
    store = filled_store(svc, owner.id, "fdroid-bench", args.apps)
    packages = [f"org.bench.fdroid-bench.app{i:07d}" for i in range(args.apps)]
    # History: one app updated per version, so the store has served many versions.
    for step in range(args.history):
        update(svc, store, [packages[step % args.apps]], 2 + step // args.apps)
    before_change = stores_version(svc, store.id)
    # Now 1% of the apps change in one version.
    changed = packages[-(args.apps // 100):]
    update(svc, store, changed, 100)
    current = stores_version(svc, store.id)
    print(f"database: {svc.db.engine.dialect.name}; {args.apps:,} apps, {current} index versions "
          f"(set up in {time.perf_counter() - started:.0f} s); last version changed {len(changed)} apps\n")

    view = fdroid_repo.StoreView(store.id, store.name, store.description, None)
    with svc.db.read() as conn:
        times = fdroid_repo.version_times(conn, store.id)
        index_doc, index_ms = timed(lambda: fdroid.to_bytes(fdroid_repo.index_at(conn, svc, view, current, times[current])))
        current_doc = fdroid_repo.index_at(conn, svc, view, current, times[current])

        served = fdroid_repo.ServedIndex(fdroid.to_bytes(current_doc))

        def diff_from(old: int) -> bytes:
            return fdroid.to_bytes(fdroid_repo.diff_document(conn, view, old, current, served))

        # The same diff the slow way (two whole documents), to show they agree.
        full_way = fdroid.diff(fdroid_repo.index_at(conn, svc, view, before_change, times[before_change]), current_doc)
        assert fdroid.to_bytes(full_way) == diff_from(before_change)

        one, one_ms = timed(lambda: diff_from(before_change))
        far, far_ms = timed(lambda: diff_from(current - args.history))
    # The version before the change has no earlier files to start from: rendered whole.
    _, whole_ms = timed(lambda: fdroid_repo.ensure_version_files(svc, view, before_change), repeat=1)
    # The changed version's files are spliced from those.
    _, jar_ms = timed(lambda: fdroid_repo.ensure_version_files(svc, view, current), repeat=1)

    print(f"{'file':34} {'bytes':>12} {'gzipped':>10} {'time to produce':>16}")
    for label, data, ms in (("index-v2.json", index_doc, index_ms),
                            ("diff from 1 version ago", one, one_ms),
                            (f"diff from {args.history} versions ago", far, far_ms)):
        print(f"{label:34} {len(data):>12,} {len(gzip.compress(data)):>10,} {ms:>13.0f} ms")
    print(f"\nall of a version's files (index-v2, entry.jar with {svc.settings.fdroid_diffs} diffs, index-v1.jar), "
          f"first request:\n  version {before_change}, rendered whole (no earlier files kept): {whole_ms:.0f} ms\n"
          f"  version {current}, spliced from version {before_change}'s files ({len(changed)} apps changed): "
          f"{jar_ms:.0f} ms")
    svc.close()
    return 0


def stores_version(svc, store_id: int) -> int:
    from apkdepot.db.schema import stores

    with svc.db.read() as conn:
        return conn.execute(sa.select(stores.c.current_version).where(stores.c.id == store_id)).scalar_one()


if __name__ == "__main__":
    sys.exit(main())
