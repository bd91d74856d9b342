"""The app list API deep into a large account: the first page and the page at
offset 999,000 of 1,000,000 apps (limit 1000), through the real endpoint.

    .venv/bin/python bench/app_list.py [--apps 1000000] [--database-url URL]

The page query is an index seek on the app's position, so the deep page should
cost about what the first page costs (goal: ratio under 2)."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from litestar.testing import TestClient  # noqa: E402

from apkdepot.accounts import api_tokens  # noqa: E402
from apkdepot.accounts import services as accounts  # noqa: E402
from apkdepot.app import create_app  # noqa: E402
from apkdepot.config import Settings  # noqa: E402
from apkdepot.db.migrate import upgrade  # noqa: E402
from apkdepot.db.schema import owner_apps  # noqa: E402
from apkdepot.db.time import utcnow  # noqa: E402
from apkdepot.services import build_services  # noqa: E402


def main() -> int:
    from bench._synthetic import scratch_database

    parsed = _parser().parse_args()
    with scratch_database(parsed.database_url) as url:
        parsed.database_url = url
        return run(parsed)


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=15)
    return parser


def run(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="apkdepot-applist-"))
    settings = Settings(data_dir=data, database_url=args.database_url, public_url="http://bench.local",
                        password_memory_kib=1024, background=False, app_list_per_minute=10**9, app_list_per_day=10**9)
    svc = build_services(settings)
    upgrade(svc.db.engine)
    developer, _ = accounts.create_confirmed_developer(svc, {"email": "big@example.com", "password": "bench-pass1",
                                                             "name": "Big", "account_type": "personal"})
    _, token = api_tokens.create_token(svc, developer.id, "bench")
    started = time.perf_counter()
    now = utcnow()
    batch = 20_000
    for start in range(0, args.apps, batch):
        with svc.db.write() as conn:
            conn.execute(owner_apps.insert(), [
                dict(developer_id=developer.id, position=i, platform="android", app_id=f"com.bench.app{i:07d}",
                     name=f"App {i}", currency="USD", time_zone="UTC", status="active", created_at=now)
                for i in range(start, min(args.apps, start + batch))])
    if svc.db.engine.dialect.name == "postgresql":
        with svc.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE owner_apps"))
    print(f"database: {svc.db.engine.dialect.name}; {args.apps:,} apps written in {time.perf_counter() - started:.1f} s")

    deep = max(0, args.apps - 1000)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(services=svc), base_url="http://bench.local") as client:
        def timed(offset: int) -> float:
            began = time.perf_counter()
            response = client.get("/api/mng/apps", params={"limit": 1000, "offset": offset}, headers=headers)
            elapsed = time.perf_counter() - began
            body = response.json()
            assert response.status_code == 200 and len(body["data"]) == 1000, response.text[:200]
            assert body["meta"]["total_items"] == args.apps
            assert body["data"][0]["id"] == f"com.bench.app{offset:07d}"
            return elapsed

        for _ in range(3):
            timed(0), timed(deep)
        first = [timed(0) for _ in range(args.repeat)]
        last = [timed(deep) for _ in range(args.repeat)]
    first_ms, last_ms = statistics.median(first) * 1000, statistics.median(last) * 1000
    print(f"first page (offset 0):          {first_ms:8.2f} ms")
    print(f"deep page (offset {deep:,}): {last_ms:8.2f} ms")
    print(f"ratio deep/first:               {last_ms / first_ms:8.2f}   (goal: under 2)")
    svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
