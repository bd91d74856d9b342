"""Each server process's maintenance thread: builds due index versions,
writes download counts and keeps the index cache fresh."""

from __future__ import annotations

import logging
import threading

from apkdepot.catalog.downloads import DownloadCounter
from apkdepot.index import versions
from apkdepot.index.cache import IndexCache
from apkdepot.services import Services

log = logging.getLogger("apkdepot.background")


class Maintenance:
    def __init__(self, svc: Services, cache: IndexCache, downloads: DownloadCounter, interval: float = 0.05) -> None:
        self.svc = svc
        self.cache = cache
        self.downloads = downloads
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, coalesce_ms: int | None = None) -> None:
        built = versions.build_due(self.svc, coalesce_ms)
        self.downloads.flush(self.svc)
        versions.sync_static_mirror(self.svc)
        self.cache.refresh(force=bool(built))

    def _loop(self) -> None:
        ticks = 0
        try:
            versions.sync_static_mirror(self.svc)
        except Exception:  # noqa: BLE001 - the loop's periodic pass retries
            log.exception("static mirror sync failed")
        while not self._stop.wait(self.interval):
            ticks += 1
            try:
                versions.build_due(self.svc)
                if ticks % 20 == 0:
                    self.downloads.flush(self.svc)
                if ticks % 100 == 0:  # every few seconds: a safety net beside the moves made at each commit
                    versions.sync_static_mirror(self.svc)
                self.cache.refresh()
            except Exception:  # noqa: BLE001 - keep the loop alive; the next tick retries
                log.exception("maintenance tick failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="apkdepot-maintenance", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.downloads.flush(self.svc)
        except Exception:  # noqa: BLE001
            log.exception("final download count flush failed")
