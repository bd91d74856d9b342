"""Per-process view of every store's current index: version, MD5 and every
MD5 the store ever served (the bytes stay in blob storage).

Refreshing costs one read of the catalog clock; only when it moved are the
store rows read again, and only new versions' MD5s are added. Readers never
wait for a refresh in progress: they see the previous, consistent snapshot."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from array import array
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

import sqlalchemy as sa

from apkdepot.db.schema import index_versions, store_aliases, stores
from apkdepot.db.time import as_utc
from apkdepot.index import versions
from apkdepot.services import Services


_stamps = itertools.count(1)


@dataclass
class CachedStore:
    id: int
    name: str
    owner_id: int
    private: bool
    basic_user: str | None
    basic_pass_hash: str | None
    description: str
    theme: str
    avatar_key: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    md5: str
    size: int
    appscount: int
    md5s: dict[str, int] = field(default_factory=dict)
    # Suspended by an operator: every protocol answers "suspended" (STORE-7, IARG-4, 410).
    suspended: bool = False
    # The store row as read: a refresh that reads the same row keeps this very
    # object, so its identity says "nothing about this store changed" (the hot
    # path's remembered answers check exactly that).
    row: tuple = ()
    # Unique to this object: what a remembered answer records of the store it read.
    stamp: int = field(default_factory=lambda: next(_stamps))


# What an answer looked up in the catalog snapshot while it was being made:
# (kind, key, what was found), found being a store's stamp (0: none) or a
# developer (None: no such token). A remembered answer is good while every one
# of these looks the same (IndexCache.still_current): a publish in one store, or
# one developer's new token, leaves every other answer alone.
_lookups: ContextVar[list | None] = ContextVar("apkdepot_catalog_lookups", default=None)
MISSING = object()


@contextmanager
def recording_lookups() -> Iterator[list]:
    """Records the catalog lookups made inside (worker threads included: they
    run in a copy of this context, which shares the list)."""
    lookups: list = []
    reset = _lookups.set(lookups)
    try:
        yield lookups
    finally:
        _lookups.reset(reset)


def _record(kind: str, key: Any, found: Any) -> None:
    lookups = _lookups.get()
    if lookups is not None:
        lookups.append((kind, key, found))


def current_epoch(seconds: int) -> int:
    return int(time.time() // seconds)


def record_epoch(seconds: int) -> None:
    """An answer made now shows figures that move without a catalog change
    (download counts): it stays current only within this ``seconds``-long epoch."""
    _record("epoch", seconds, current_epoch(seconds))


class NeedsThread(Exception):
    """Raised on the event loop where answering would block (SQL, file I/O,
    password hashing): the caller answers the request again in a worker thread."""


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


ENTRY_OVERHEAD = 200  # bytes a cache entry costs beyond its payload (key, links, small objects)


def weight(value: Any) -> int:
    """Bytes a cached value holds: its byte strings and arrays counted exactly, the rest as overhead."""
    if hasattr(value, "cache_weight"):
        return value.cache_weight() + ENTRY_OVERHEAD
    if isinstance(value, (bytes, bytearray, str)):
        return len(value) + ENTRY_OVERHEAD
    if isinstance(value, array):
        return value.itemsize * len(value) + ENTRY_OVERHEAD
    if isinstance(value, (tuple, list)):
        return sum(weight(v) for v in value) + ENTRY_OVERHEAD
    if isinstance(value, dict):
        return sum(weight(k) + weight(v) for k, v in value.items()) + ENTRY_OVERHEAD
    return ENTRY_OVERHEAD


class LruCache:
    """Least recently used first out, bounded by entries and by bytes (``weight``).
    A value heavier than the whole budget is handed back but not kept."""

    def __init__(self, capacity: int, max_bytes: int | None = None) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._weights: dict[Any, int] = {}
        self._making: dict[Any, threading.Lock] = {}  # keys being made now
        self._lock = threading.Lock()

    def _store(self, key: Any, value: Any) -> None:
        """With the lock held."""
        size = weight(value) if self.max_bytes is not None else 0
        if self.max_bytes is not None and size > self.max_bytes:
            return
        if key in self._items:
            self.bytes -= self._weights.pop(key, 0)
        self._items[key] = value
        self._items.move_to_end(key)
        self._weights[key] = size
        self.bytes += size
        while len(self._items) > self.capacity or (self.max_bytes is not None and self.bytes > self.max_bytes):
            old, _ = self._items.popitem(last=False)
            self.bytes -= self._weights.pop(old, 0)

    def get_or_make(self, key: Any, make: Callable[[], Any]) -> Any:
        """The kept value, or ``make()``'s; concurrent misses of one key make it once
        (the others wait for it) instead of all paying for it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.get(key)
            if making is None:
                making = self._making[key] = threading.Lock()
        with making:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            try:
                value = make()
                with self._lock:
                    self._store(key, value)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weights.clear()
            self.bytes = 0

    def get_or_defer(self, key: Any, make: Callable[[], Any]) -> Any:
        """get_or_make, except that on the event loop a miss raises NeedsThread instead of making."""
        if on_event_loop():
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
            raise NeedsThread(key)
        return self.get_or_make(key, make)

    def peek(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def discard_where(self, unwanted: Callable[[Any], bool]) -> int:
        """Drops every entry whose value is unwanted; returns how many."""
        with self._lock:
            gone = [key for key, value in self._items.items() if unwanted(value)]
            for key in gone:
                del self._items[key]
                self.bytes -= self._weights.pop(key, 0)
            return len(gone)

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._store(key, value)


class IndexCache:
    def __init__(self, svc: Services, probe_interval: float = 0.2) -> None:
        self.svc = svc
        self.probe_interval = probe_interval
        self._by_name: dict[str, CachedStore] = {}
        self._by_id: dict[int, CachedStore] = {}
        self._clock = -1
        self._accounts_clock = -1
        self._probed_at = 0.0
        # This process's writes, and how many of them the snapshot has seen: while
        # they differ the next read waits for a refresh (a refresh that began before
        # a write does not count for it).
        self._writes = 0
        self._writes_seen = 0
        self._refresh_scheduled = False
        self._refresh_lock = threading.Lock()
        # Deltas and change counts between a known old version and the current one.
        self.deltas = LruCache(100_000, svc.settings.delta_cache_bytes)
        # Dev-token digest -> developer (or None): a developer's entries leave when
        # their token, email or confirmation changes (the accounts clock), no others.
        self.tokens = LruCache(10_000, 16 * 1024 * 1024)

    @property
    def ready(self) -> bool:
        """Whether the catalog has been loaded once (until then nothing is answered from here)."""
        return self._clock != -1

    def _fresh_enough(self) -> None:
        if self._clock == -1:
            self.refresh(force=True)  # the first load: wait for it rather than answer from nothing
        elif self._writes != self._writes_seen:
            self.refresh(wait=True)  # right after this process's own write: never answer from before it
        elif time.monotonic() - self._probed_at > self.probe_interval:
            if on_event_loop():
                self._refresh_soon()  # answer from the snapshot; the probe's SQL runs in a thread
            else:
                self.refresh()

    def _refresh_soon(self) -> None:
        if self._refresh_scheduled:
            return
        self._refresh_scheduled = True

        def probe() -> None:
            try:
                self.refresh()
            finally:
                self._refresh_scheduled = False

        asyncio.get_running_loop().run_in_executor(None, probe)

    def current_clock(self) -> tuple[int, int]:
        """The (catalog, accounts) clocks as of the last probe (probing first when due):
        everything a cached answer can depend on besides its request."""
        self._fresh_enough()
        return self._clock, self._accounts_clock

    def invalidate(self) -> None:
        """This process changed something: the next read refreshes first."""
        self._writes += 1

    def get(self, name: str) -> CachedStore | None:
        self._fresh_enough()
        key = name.lower()
        found = self._by_name.get(key)
        _record("name", key, found.stamp if found is not None else 0)
        return found

    def by_id(self, store_id: int) -> CachedStore | None:
        self._fresh_enough()
        found = self._by_id.get(store_id)
        _record("id", store_id, found.stamp if found is not None else 0)
        return found

    def still_current(self, lookups: tuple) -> bool:
        """Whether every recorded lookup would find the same thing now."""
        for kind, key, seen in lookups:
            if kind == "epoch":
                if current_epoch(key) != seen:
                    return False
                continue
            if kind == "token":
                if self.tokens.peek(key, MISSING) is not seen:
                    return False
                continue
            found = (self._by_name if kind == "name" else self._by_id).get(key)
            if (found.stamp if found is not None else 0) != seen:
                return False
        return True

    def developer_for_token(self, token: str):
        """The developer a dev token belongs to, remembered between clock moves."""
        from apkdepot.accounts import services as accounts
        from apkdepot.accounts.tokens import digest

        self._fresh_enough()
        key = digest(token)
        found = self.tokens.get_or_defer(key, lambda: accounts.developer_by_token(self.svc, token))
        _record("token", key, found)
        return found

    def refresh(self, force: bool = False, wait: bool = False) -> None:
        """Reloads the stores when the catalog clock moved (always with ``force``);
        returns at once when another thread is refreshing, unless told to ``wait``."""
        if not self._refresh_lock.acquire(blocking=force or wait):
            return  # another thread is refreshing; keep serving the snapshot
        try:
            writes = self._writes
            with self.svc.db.read() as conn:
                clock, accounts_clock = versions.read_clocks(conn)
                if clock != self._clock or force:
                    fresh = self._load(conn)
                    self._by_id = {s.id: s for s in fresh.values()}
                    self._by_name = fresh
                    self._clock = clock
                if accounts_clock != self._accounts_clock:
                    # Only the changed developers' tokens are forgotten (and the tokens
                    # that matched no one, which may match someone now); a publish in
                    # a store forgets none.
                    if self._accounts_clock < 0:
                        self.tokens.clear()
                    else:
                        changed = versions.developers_changed_since(conn, self._accounts_clock)
                        self.tokens.discard_where(lambda developer: developer is None or developer.id in changed)
                    self._accounts_clock = accounts_clock
            self._probed_at = time.monotonic()
            self._writes_seen = writes
        finally:
            self._refresh_lock.release()

    def _load(self, conn: sa.Connection) -> dict[str, CachedStore]:
        rows = conn.execute(
            sa.select(stores, index_versions.c.md5, index_versions.c.size, index_versions.c.appscount)
            .select_from(stores.join(index_versions, sa.and_(index_versions.c.store_id == stores.c.id,
                                                             index_versions.c.version == stores.c.current_version)))
        ).all()
        fresh: dict[str, CachedStore] = {}
        for r in rows:
            old = self._by_name.get(r.name)
            row = tuple(r)
            if old is not None and old.row == row:
                fresh[r.name] = old
                continue
            md5s = dict(old.md5s) if old is not None and old.id == r.id else {}
            known_max = max(md5s.values(), default=0)
            for md5, version in conn.execute(sa.select(index_versions.c.md5, index_versions.c.version).where(
                    index_versions.c.store_id == r.id, index_versions.c.version > known_max)):
                md5s[md5] = version
            fresh[r.name] = CachedStore(
                id=r.id, name=r.name, owner_id=r.owner_id, private=bool(r.private), basic_user=r.basic_user,
                basic_pass_hash=r.basic_pass_hash, description=r.description, theme=r.theme,
                avatar_key=r.avatar_key, created_at=as_utc(r.created_at), updated_at=as_utc(r.updated_at),
                version=r.current_version, md5=r.md5, size=r.size, appscount=r.appscount, md5s=md5s,
                suspended=r.suspended_at is not None, row=row)
        # A renamed store's old names find it too (its name tells them apart).
        by_id = {s.id: s for s in fresh.values()}
        for alias, store_id in conn.execute(sa.select(store_aliases.c.name, store_aliases.c.store_id)
                                            .where(store_aliases.c.store_id.is_not(None))):
            if store_id in by_id and alias not in fresh:
                fresh[alias] = by_id[store_id]
        return fresh
