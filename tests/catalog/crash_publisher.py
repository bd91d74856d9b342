"""Publishes synthetic APKs in a loop until killed (used by test_durability)."""

import itertools
import sys
from pathlib import Path

from apkdepot.catalog import publishing, stores
from apkdepot.config import Settings
from apkdepot.index import versions
from apkdepot.services import build_services
from tests.catalog.test_index_property import synthetic


def main() -> None:
    data_dir, database_url, source = sys.argv[1:4]
    svc = build_services(Settings(data_dir=Path(data_dir), database_url=database_url, background=False,
                                  password_memory_kib=1024, public_url="http://testserver.local"))
    store = stores.get_store(svc, "crash")
    for i in itertools.count():
        publishing._record(svc, store, synthetic(f"org.crash.p{i % 40}", i // 40 + 1), {}, Path(source))
        if i % 5 == 0:
            versions.build_pending(svc, store.id)
        print(i, flush=True)


if __name__ == "__main__":
    main()
