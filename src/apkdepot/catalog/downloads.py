"""Download counts, added up in memory and written in batches, so serving a
file never waits for a database write."""

from __future__ import annotations

import threading
from collections import Counter


from apkdepot.db.schema import apks
from apkdepot.services import Services


class DownloadCounter:
    def __init__(self) -> None:
        self._pending: Counter[int] = Counter()
        self._lock = threading.Lock()

    def add(self, apk_id: int) -> None:
        with self._lock:
            self._pending[apk_id] += 1

    def flush(self, svc: Services) -> int:
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return 0
        try:
            with svc.db.write() as conn:
                for apk_id, count in pending.items():
                    conn.execute(apks.update().where(apks.c.id == apk_id).values(downloads=apks.c.downloads + count))
        except Exception:
            with self._lock:
                self._pending.update(pending)  # try again next time
            raise
        return sum(pending.values())
