"""v7 apps/get deep into a large store: the first page against the page at
offset 99,000 of 100,000 apps, for every sort, through the real endpoint
(in-process). The first request of a store version builds that sort's order
(reported apart, as "order built"); later pages are slices of it.

    .venv/bin/python bench/v7_listing.py [--apps 100000] [--repeat 15] [--database-url URL]

Goal: offset 99,000 costs at most 2x offset 0, both at most 5 ms."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient  # noqa: E402

from apkdepot.accounts import services as accounts  # noqa: E402
from apkdepot.app import create_app  # noqa: E402
from apkdepot.config import Settings  # noqa: E402
from apkdepot.db.migrate import upgrade  # noqa: E402
from apkdepot.services import build_services  # noqa: E402


def main() -> int:
    from bench._synthetic import scratch_database

    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        args.database_url = url
        return run(args)


def timed_ms(client: TestClient, url: str) -> float:
    started = time.perf_counter()
    answer = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200 and answer.json()["datalist"]["count"] > 0, answer.text[:300]
    return elapsed


def run(args: argparse.Namespace) -> int:
    from bench._synthetic import filled_store

    data = Path(tempfile.mkdtemp(prefix="apkdepot-v7list-"))
    settings = Settings(data_dir=data, database_url=args.database_url, public_url="http://bench.local",
                        password_memory_kib=1024, background=False)
    svc = build_services(settings)
    upgrade(svc.db.engine)
    owner, _ = accounts.create_confirmed_developer(svc, {"email": "big@example.com", "password": "bench-pass1",
                                                         "name": "Big", "account_type": "personal"})
    started = time.perf_counter()
    filled_store(svc, owner.id, "big", args.apps)
    print(f"store of {args.apps:,} apps filled in {time.perf_counter() - started:.1f} s "
          f"({'PostgreSQL' if args.database_url.startswith('postgres') else 'SQLite'})")
    deep = max(0, args.apps - 1000)
    with TestClient(create_app(services=svc), base_url="http://bench.local") as client:
        for sort in ("package", "alpha", "latest", "downloads"):
            base = f"/api/7/apps/get/store_name=big/limit=25/sort={sort}"
            built = timed_ms(client, f"{base}/offset=0")
            figures = {}
            for offset in (0, deep):
                runs = [timed_ms(client, f"{base}/offset={offset}") for _ in range(args.repeat)]
                figures[offset] = (min(runs), statistics.median(runs), max(runs))
            first, last = figures[0], figures[deep]
            print(f"{sort:9s} order built {built:7.1f} ms | offset 0: {first[0]:.2f}/{first[1]:.2f}/{first[2]:.2f} ms"
                  f" | offset {deep:,}: {last[0]:.2f}/{last[1]:.2f}/{last[2]:.2f} ms (min/median/max)"
                  f" | deep/first median {last[1] / first[1]:.2f}")
    svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
