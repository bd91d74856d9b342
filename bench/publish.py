"""How long from a publish until the new index is served, and how long an
index build takes next to MD5-ing the same bytes (measured in the same run).

    .venv/bin/python bench/publish.py [--sizes 100 10000 100000] [--database-url URL]

The publish goes through the real path (row + pending change, the maintenance
thread's coalescing window and build, the cache refresh); "served" means a
client polling info.xml?hash=<its hash> gets the new package in the delta."""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient  # noqa: E402

from apkdepot.accounts import services as accounts  # noqa: E402
from apkdepot.app import create_app  # noqa: E402
from apkdepot.catalog import publishing  # noqa: E402
from apkdepot.config import Settings  # noqa: E402
from apkdepot.db.migrate import upgrade  # noqa: E402
from apkdepot.index import versions  # noqa: E402
from apkdepot.services import build_services  # noqa: E402
from bench._synthetic import filled_store  # noqa: E402
from tests.catalog.test_index_property import synthetic  # noqa: E402


def main() -> int:
    from bench._synthetic import scratch_database

    parsed = _parser().parse_args()
    with scratch_database(parsed.database_url) as url:
        parsed.database_url = url
        return run(parsed)


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=5)
    return parser


def run(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="apkdepot-bench-"))
    settings = Settings(data_dir=data, database_url=args.database_url, public_url="http://bench.local",
                        password_memory_kib=1024, background=True, log_json=False)
    svc = build_services(settings)
    upgrade(svc.db.engine)
    owner, _ = accounts.create_confirmed_developer(svc, {"email": "bench@example.com", "password": "bench-pass1",
                                                         "name": "Bench", "account_type": "personal"})
    source = data / "payload.apk"
    source.write_bytes(b"x" * 1000)
    print(f"database: {svc.db.engine.dialect.name}; coalescing window {settings.index_coalesce_ms} ms")
    print(f"{'apps':>8} {'index bytes':>12} {'build ms':>9} {'md5 ms':>8} {'build/md5':>9} {'publish->served ms':>19}")
    app = create_app(services=svc)
    import logging

    for noisy in ("apkdepot", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with TestClient(app, base_url="http://bench.local") as client:
        for size in args.sizes:
            name = f"s{size}"
            filled = time.perf_counter()
            store = filled_store(svc, owner.id, name, size)
            fill_s = time.perf_counter() - filled
            builds, md5s, latencies = [], [], []
            for i in range(args.repeat):
                package = f"org.bench.{name}.new{i}"
                # Build time: one publish, then the builder, timed directly.
                publishing._record(svc, store, synthetic(package, 1), {}, source)
                started = time.perf_counter()
                built = versions.build_pending(svc, store.id)
                builds.append(time.perf_counter() - started)
                if built is None:  # the maintenance thread got there first: measure a fresh build
                    publishing._record(svc, store, synthetic(package + "b", 1), {}, source)
                    started = time.perf_counter()
                    built = versions.build_pending(svc, store.id)
                    builds[-1] = time.perf_counter() - started
                body = svc.blobs.get_bytes(versions.index_key(store.id, built.version))
                started = time.perf_counter()
                hashlib.md5(body).hexdigest()
                md5s.append(time.perf_counter() - started)
                # End to end: publish, then poll as a client does (info.xml?hash=<the
                # hash it holds>, a small delta) until the answer lists the package.
                package = f"org.bench.{name}.live{i}"
                held = _current_etag(client, name)
                started = time.perf_counter()
                publishing._record(svc, store, synthetic(package, 1), {}, source)
                while package.encode() not in client.get(f"/repo/{name}/info.xml", params={"hash": held},
                                                          headers={"Accept-Encoding": "identity"}).content:
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - started)
            build_ms = statistics.median(builds) * 1000
            md5_ms = statistics.median(md5s) * 1000
            print(f"{size:>8} {len(body):>12} {build_ms:>9.1f} {md5_ms:>8.2f} {build_ms / md5_ms:>9.1f} "
                  f"{statistics.median(latencies) * 1000:>19.0f}   (store filled in {fill_s:.1f} s)", flush=True)
    svc.close()
    return 0


def _current_etag(client: TestClient, name: str) -> str:
    """The hash a client holds: the store was made beside the server, which sees
    it at its next catalog probe (within a fraction of a second)."""
    for _ in range(2000):
        answer = client.get(f"/repo/{name}/info.xml", headers={"Accept-Encoding": "identity"})
        if answer.status_code == 200:
            return answer.headers["etag"].strip('"')
        time.sleep(0.01)
    raise RuntimeError(f"store {name} never became visible")


if __name__ == "__main__":
    sys.exit(main())
