"""Immutable, numbered index versions per store.

Publishing and removing only mark packages as pending (``mark_dirty``). The
builder (``build_pending``) turns everything pending into ONE new version:
it moves the membership intervals, renders the full info.xml from the stored
entry fragments, records its MD5 and keeps its bytes in blob storage. So a
burst of publishes becomes one version, and every version's bytes and MD5 are
fixed once written.

Deltas from any version ever served come from the intervals: the entries open
now that were not open at V, and those open at V that are not open now. Both
queries touch only the intervals that changed after V."""

from __future__ import annotations

import bisect
import gzip

import hashlib
import logging
import mmap
import shutil
import tempfile
from array import array
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from apkdepot import webhooks
from apkdepot.catalog import app_listing, store_categories, store_front
from apkdepot.catalog.models import LISTABLE
from apkdepot.db.schema import (
    apks, catalog_clock, developers, fdroid_entries, index_entries, index_pending, index_refiles, index_versions,
    stores,
)
from apkdepot.db.time import as_utc, utcnow
from apkdepot.index import infoxml
from apkdepot.services import Services

log = logging.getLogger("apkdepot.index")


# Rows of catalog_clock: the catalog (stores and their indexes) and the accounts
# (what a dev token resolves to). Each process's cache reloads only what moved.
CATALOG_CLOCK, ACCOUNTS_CLOCK = 1, 2


def bump_clock(conn: sa.Connection, clock: int = CATALOG_CLOCK) -> None:
    if conn.execute(catalog_clock.update().where(catalog_clock.c.id == clock)
                    .values(seq=catalog_clock.c.seq + 1)).rowcount == 0:
        conn.execute(catalog_clock.insert().values(id=clock, seq=1))


def bump_accounts_clock(conn: sa.Connection, developer_id: int) -> None:
    """After any change to what a developer's token resolves to (token, email,
    confirmation): the clock moves, and the developer is marked with its new
    value, so each process forgets that developer's tokens and no others."""
    bump_clock(conn, ACCOUNTS_CLOCK)
    seq = conn.execute(sa.select(catalog_clock.c.seq).where(catalog_clock.c.id == ACCOUNTS_CLOCK)).scalar()
    conn.execute(developers.update().where(developers.c.id == developer_id).values(accounts_seq=seq))


def developers_changed_since(conn: sa.Connection, seq: int) -> set[int]:
    return set(conn.execute(sa.select(developers.c.id).where(developers.c.accounts_seq > seq)).scalars())


def read_clock(conn: sa.Connection) -> int:
    return conn.execute(sa.select(catalog_clock.c.seq).where(catalog_clock.c.id == CATALOG_CLOCK)).scalar() or 0


def read_clocks(conn: sa.Connection) -> tuple[int, int]:
    """(catalog, accounts), in one query."""
    seqs = dict(conn.execute(sa.select(catalog_clock.c.id, catalog_clock.c.seq)).all())
    return seqs.get(CATALOG_CLOCK, 0), seqs.get(ACCOUNTS_CLOCK, 0)


def _upsert_pending(conn: sa.Connection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(index_pending).on_conflict_do_nothing()


def mark_dirty(conn: sa.Connection, store_id: int, packages: Iterable[str]) -> None:
    rows = [{"store_id": store_id, "package": p} for p in set(packages)]
    if not rows:
        return
    conn.execute(_upsert_pending(conn), rows)
    conn.execute(stores.update().where(stores.c.id == store_id, stores.c.dirty_since.is_(None))
                 .values(dirty_since=utcnow()))


def mark_store_dirty(conn: sa.Connection, store_id: int) -> None:
    """A change of the store itself (not of a package) for the next version: its categories."""
    conn.execute(stores.update().where(stores.c.id == store_id, stores.c.dirty_since.is_(None))
                 .values(dirty_since=utcnow()))


def _lock_store(conn: sa.Connection, store_id: int):
    query = sa.select(stores.c.id, stores.c.name, stores.c.private, stores.c.suspended_at, stores.c.current_version,
                      stores.c.dirty_since).where(stores.c.id == store_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first()


def _desired_entry(conn: sa.Connection, store_id: int, package: str):
    """The newest listable version of the package (models.LISTABLE), if any."""
    return conn.execute(
        sa.select(apks.c.id).where(apks.c.store_id == store_id, apks.c.package == package, LISTABLE())
        .order_by(apks.c.version_code.desc()).limit(1)).scalar()


def _refile(conn: sa.Connection, store_id: int, package: str, apk_id: int | None) -> bool:
    """Gives the listed APK's info.xml entry the category its listing now files
    it under (else the one it was published with). True when its bytes changed."""
    if apk_id is None:
        return False
    apk = conn.execute(sa.select(apks.c.xml_tail, apks.c.category).where(apks.c.id == apk_id)).first()
    listing = app_listing.served(conn, store_id, [package]).get(package)
    tail = infoxml.tail_with_category(apk.xml_tail, (listing.category if listing else None) or apk.category)
    if tail == apk.xml_tail:
        return False
    conn.execute(apks.update().where(apks.c.id == apk_id).values(xml_tail=tail))
    return True


def _move_fdroid_intervals(conn: sa.Connection, store_id: int, package: str, new_version: int) -> bool:
    """F-Droid lists every listable version: open and close its intervals to match."""
    published = set(conn.execute(sa.select(apks.c.id).where(
        apks.c.store_id == store_id, apks.c.package == package, LISTABLE())).scalars())
    listed = dict(conn.execute(sa.select(fdroid_entries.c.apk_id, fdroid_entries.c.id).where(
        fdroid_entries.c.store_id == store_id, fdroid_entries.c.package == package,
        fdroid_entries.c.to_version.is_(None))).all())
    gone = [listed[apk_id] for apk_id in listed.keys() - published]
    if gone:
        conn.execute(fdroid_entries.update().where(fdroid_entries.c.id.in_(gone)).values(to_version=new_version))
    added = sorted(published - listed.keys())
    if added:
        conn.execute(fdroid_entries.insert(), [dict(store_id=store_id, apk_id=apk_id, package=package,
                                                    from_version=new_version) for apk_id in added])
    return bool(gone or added)


@dataclass(frozen=True)
class BuiltVersion:
    store_id: int
    version: int
    md5: str
    size: int
    appscount: int


def index_key(store_id: int, version: int) -> str:
    return f"indexes/{store_id}/{version}.xml"


def index_gzip_key(store_id: int, version: int) -> str:
    """The same version gzipped: made once per version, beside it, and shared."""
    return index_key(store_id, version) + ".gz"


def _render_full(conn: sa.Connection, svc: Services, store_id: int, store_name: str, version: int) -> tuple[bytes, int]:
    # The database puts each entry together (fragments around the download
    # count), categories alongside, in one pass; Python orders them (the same
    # byte order on every database, which splicing relies on) and joins them.
    fragment = (apks.c.xml_head + "<dwn>" + sa.cast(apks.c.downloads, sa.String) + "</dwn>" + apks.c.xml_tail)
    rows = conn.execute(
        sa.select(fragment, apks.c.xml_tail, index_entries.c.package)
        .select_from(index_entries.join(apks, apks.c.id == index_entries.c.apk_id))
        .where(index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None))).all()
    rows.sort(key=lambda r: infoxml.entry_order(r[2]))
    header = infoxml.Header(store_name, svc.settings.base_url, len(rows), version)
    filed = {infoxml.category_in(r[1]) for r in rows}
    return infoxml.document(header, {c for c in filed if c}, [r[0] for r in rows]), len(rows)


@dataclass(frozen=True)
class EntryChange:
    """One package's move in a new version: the entry it had (None: it was not
    listed) and the one it gets (None: it leaves the index)."""

    package: str
    before_apk_id: int | None
    after_apk_id: int | None


def _render_spliced(conn: sa.Connection, svc: Services, store_id: int, store_name: str, version: int,
                    previous, appscount: int, changes: list[EntryChange]) -> Iterator[bytes | memoryview]:
    """Version V from version V-1's bytes: only the changed entries are read and
    rendered. Unchanged entries keep the download counts written into V-1 (a
    full render, every ``index_full_render_every`` versions, brings them up to date)."""
    wanted = {c.after_apk_id for c in changes if c.after_apk_id is not None}
    leaving = {c.before_apk_id for c in changes if c.before_apk_id is not None}
    rows = {}
    for chunk in _chunks(sorted(wanted | leaving)):
        for r in conn.execute(sa.select(apks.c.id, apks.c.xml_head, apks.c.downloads, apks.c.xml_tail,
                                        apks.c.category).where(apks.c.id.in_(chunk))):
            rows[r.id] = r
    entries = [(c.package, None if c.after_apk_id is None else
                infoxml.entry_xml(rows[c.after_apk_id].xml_head, rows[c.after_apk_id].downloads,
                                  rows[c.after_apk_id].xml_tail)) for c in changes]
    categories = infoxml.categories_of(previous)
    filed = {i: infoxml.category_in(rows[i].xml_tail) for i in rows}
    arriving = {filed[i] for i in wanted if filed[i]}
    departing = {filed[i] for i in leaving if filed[i]} - arriving
    new_here = any(infoxml.category_xml_name(name) not in categories for name in arriving)
    if departing or new_here:
        # The category list may lose or gain a name: ask the database for it
        # (only then; most versions keep every category they had).
        names = {infoxml.category_in(tail) for tail in conn.execute(
            sa.select(apks.c.xml_tail)
            .select_from(index_entries.join(apks, apks.c.id == index_entries.c.apk_id))
            .where(index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None),
                   apks.c.xml_tail.contains("<catg2>"))).scalars()} - {None}
        categories = infoxml.categories_xml(names).encode("utf-8")
    header = infoxml.Header(store_name, svc.settings.base_url, appscount, version)
    return infoxml.splice_parts(previous, header, categories, entries)


def _record_version(conn: sa.Connection, store_id: int, version: int, md5: str, size: int,
                    appscount: int) -> BuiltVersion:
    """The version's row, and the store moved to it (its bytes are already kept)."""
    conn.execute(index_versions.insert().values(store_id=store_id, version=version, md5=md5, size=size,
                                                appscount=appscount, created_at=utcnow()))
    conn.execute(stores.update().where(stores.c.id == store_id).values(current_version=version, dirty_since=None))
    bump_clock(conn)
    return BuiltVersion(store_id, version, md5, size, appscount)


def _store_version(conn: sa.Connection, svc: Services, store_id: int, version: int, body: bytes,
                   appscount: int) -> BuiltVersion:
    svc.blobs.put_bytes(index_key(store_id, version), body)
    return _record_version(conn, store_id, version, hashlib.md5(body).hexdigest(), len(body), appscount)


@contextmanager
def _scratch_file(svc: Services, suffix: str) -> Iterator[Any]:
    """A temporary file under the data directory (collected by gc if a crash leaves it)."""
    tmp_dir = svc.settings.data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="index-", suffix=suffix) as out:
        yield out


def _store_version_parts(conn: sa.Connection, svc: Services, store_id: int, version: int,
                         parts: Iterable[bytes | memoryview], appscount: int) -> BuiltVersion:
    """As _store_version, for a body made in parts: they go to a file as they come
    (hashed on the way), so the whole body is never in memory."""
    md5, size = hashlib.md5(), 0
    with _scratch_file(svc, ".xml") as out:
        for part in parts:
            md5.update(part)
            out.write(part)
            size += len(part)
        out.flush()
        svc.blobs.put_file(index_key(store_id, version), Path(out.name))
    return _record_version(conn, store_id, version, md5.hexdigest(), size, appscount)


def _write_version(conn: sa.Connection, svc: Services, store_id: int, store_name: str, version: int) -> BuiltVersion:
    body, appscount = _render_full(conn, svc, store_id, store_name, version)
    return _store_version(conn, svc, store_id, version, body, appscount)


def renamed_version(conn: sa.Connection, svc: Services, store_id: int, store_name: str, version: int) -> BuiltVersion:
    """A renamed store's next version: the same entries, with addresses under the new name."""
    built = _write_version(conn, svc, store_id, store_name, version)
    webhooks.enqueue(conn, store_id, "index.version", {"version": version, "md5": built.md5,
                                                       "apps": built.appscount, "size": built.size}, store_name)
    return built


def create_first_version(conn: sa.Connection, svc: Services, store_id: int, store_name: str) -> BuiltVersion:
    """A new store starts with version 1, an empty index, so clients always have a hash."""
    return _write_version(conn, svc, store_id, store_name, 1)


@contextmanager
def _previous_bytes(svc: Services, store_id: int, version: int) -> Iterator[Any]:
    """The version's kept bytes (None when gone): a read-only memory map of the
    local file, so only the pages a splice searches are read; else the bytes."""
    key = index_key(store_id, version)
    local = getattr(svc.blobs, "local_path", None)
    path = local(key) if local is not None else None
    if path is None:
        yield svc.blobs.get_bytes(key) if svc.blobs.exists(key) else None
        return
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


def build_pending(svc: Services, store_id: int) -> BuiltVersion | None:
    """Folds every pending change of the store into one new version (or none,
    when the changes cancelled out). The new bytes are the previous version's
    with the changed entries spliced in; every ``index_full_render_every``-th
    version (and whenever the previous bytes are gone) is rendered whole."""
    with svc.db.write() as conn:
        store = _lock_store(conn, store_id)
        if store is None or store.dirty_since is None:
            return None
        packages = conn.execute(sa.select(index_pending.c.package).where(index_pending.c.store_id == store_id)).scalars().all()
        new_version = store.current_version + 1
        changed = store_categories.promote_pending(conn, store_id, new_version)
        changes: list[EntryChange] = []
        for package in packages:
            changed |= _move_fdroid_intervals(conn, store_id, package, new_version)
            changed |= app_listing.promote_pending(conn, store_id, package, new_version)
            desired = _desired_entry(conn, store_id, package)
            refiled = _refile(conn, store_id, package, desired)
            if refiled:
                # Its bytes changed: a delta from before sends it again, even to a
                # client that held it before it left and came back.
                conn.execute(index_refiles.insert().values(store_id=store_id, apk_id=desired, version=new_version))
            current = conn.execute(sa.select(index_entries.c.id, index_entries.c.apk_id).where(
                index_entries.c.store_id == store_id, index_entries.c.package == package,
                index_entries.c.to_version.is_(None))).first()
            if (current.apk_id if current else None) == desired:
                if refiled:  # the same entry, re-rendered: spliced in
                    changed = True
                    changes.append(EntryChange(package, desired, desired))
                continue
            changed = True
            changes.append(EntryChange(package, current.apk_id if current else None, desired))
            if current is not None:
                conn.execute(index_entries.update().where(index_entries.c.id == current.id).values(to_version=new_version))
            if desired is not None:
                conn.execute(index_entries.insert().values(store_id=store_id, apk_id=desired, package=package,
                                                           from_version=new_version))
        conn.execute(index_pending.delete().where(index_pending.c.store_id == store_id))
        if changed:
            store_front.refresh(conn, store_id, packages)
        if not changed:
            conn.execute(stores.update().where(stores.c.id == store_id).values(dirty_since=None))
            return None
        before = conn.execute(sa.select(index_versions.c.appscount).where(
            index_versions.c.store_id == store_id, index_versions.c.version == store.current_version)).scalar() or 0
        every = svc.settings.index_full_render_every
        whole = before < svc.settings.index_splice_min_apps or every <= 1 or new_version % every == 0
        built = None
        if not whole:
            with _previous_bytes(svc, store_id, store.current_version) as previous:
                if previous is not None:
                    appscount = (before + sum(c.before_apk_id is None for c in changes)
                                 - sum(c.after_apk_id is None for c in changes))
                    parts = _render_spliced(conn, svc, store_id, store.name, new_version, previous, appscount, changes)
                    built = _store_version_parts(conn, svc, store_id, new_version, parts, appscount)
                    del parts  # its views of the map end here, before the map closes
        if built is None:
            built = _write_version(conn, svc, store_id, store.name, new_version)
        webhooks.enqueue(conn, store_id, "index.version", {"version": new_version, "md5": built.md5,
                                                           "apps": built.appscount, "size": built.size}, store.name)
    mirror_version(svc, store.name, kept_from_mirror(store), new_version)
    _drop_old_bytes(svc, store_id, new_version)
    gzipped_index(svc, store_id, new_version)  # outside the write transaction, once for everyone
    log.info("index built", extra={"store_id": store_id, "version": new_version, "apps": built.appscount})
    return built


def kept_from_mirror(store_row: Any) -> bool:
    """Whether a store's files must stay out of the static mirror (which anyone
    may read): a private store, or one an operator suspended."""
    return bool(store_row.private) or store_row.suspended_at is not None


def mirror_version(svc: Services, store_name: str, hidden: bool, version: int) -> None:
    """After a commit that changed a store's version, privacy or suspension: the
    static mirror (when configured) follows at once."""
    if svc.static_mirror is None:
        return
    if hidden:
        svc.static_mirror.retire(store_name)
    else:
        svc.static_mirror.advance(store_name, version)


def sync_static_mirror(svc: Services) -> None:
    if svc.static_mirror is None:
        return
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(stores.c.name, stores.c.private, stores.c.suspended_at,
                                      stores.c.current_version)).all()
    svc.static_mirror.sync([(r.name, kept_from_mirror(r), r.current_version) for r in rows])


def gzipped_index(svc: Services, store_id: int, version: int) -> str:
    """The key of the version's gzipped bytes, made once per version for every
    process and host sharing the blob store (identical bytes wherever made:
    no name, no time in the header). Compressed as a stream from the kept file
    when it is local, so neither form is ever whole in memory."""
    key = index_gzip_key(store_id, version)
    if svc.blobs.exists(key):
        return key
    local = getattr(svc.blobs, "local_path", None)
    source = local(index_key(store_id, version)) if local is not None else None
    if source is None:
        svc.blobs.put_bytes(key, gzip.compress(svc.blobs.get_bytes(index_key(store_id, version)), 6, mtime=0))
        return key
    with _scratch_file(svc, ".gz") as out:
        with open(source, "rb") as plain, gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6,
                                                         mtime=0) as packed:
            shutil.copyfileobj(plain, packed, 1024 * 1024)
        out.flush()
        svc.blobs.put_file(key, Path(out.name))
    return key


def _drop_old_bytes(svc: Services, store_id: int, current: int) -> None:
    stale = current - svc.settings.index_keep_bytes
    if stale >= 1:
        svc.blobs.delete(index_key(store_id, stale))
        svc.blobs.delete(index_gzip_key(store_id, stale))


def build_due(svc: Services, coalesce_ms: int | None = None) -> list[BuiltVersion]:
    """Builds every store whose oldest pending change has waited the coalescing window."""
    window = svc.settings.index_coalesce_ms if coalesce_ms is None else coalesce_ms
    cutoff = utcnow() - timedelta(milliseconds=window)
    with svc.db.read() as conn:
        due = conn.execute(sa.select(stores.c.id, stores.c.dirty_since).where(stores.c.dirty_since.is_not(None))).all()
    built = []
    for row in due:
        if as_utc(row.dirty_since) <= cutoff:
            result = build_pending(svc, row.id)
            if result:
                built.append(result)
    return built


# --- reading versions -----------------------------------------------------------

def version_for_md5(conn: sa.Connection, store_id: int, md5: str) -> int | None:
    return conn.execute(sa.select(index_versions.c.version).where(
        index_versions.c.store_id == store_id, index_versions.c.md5 == md5)).scalar()


@dataclass(frozen=True)
class Delta:
    added_apk_ids: frozenset[int]
    removed_apk_ids: frozenset[int]


def delta_since(conn: sa.Connection, store_id: int, version: int) -> Delta:
    added = set(conn.execute(sa.select(index_entries.c.apk_id).where(
        index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None),
        index_entries.c.from_version > version)).scalars())
    removed = set(conn.execute(sa.select(index_entries.c.apk_id).where(
        index_entries.c.store_id == store_id, index_entries.c.to_version.is_not(None),
        index_entries.c.to_version > version, index_entries.c.from_version <= version)).scalars())
    # An entry that left after V and came back is in both: present then and now.
    return Delta(frozenset(added - removed), frozenset(removed - added))


@dataclass(frozen=True)
class ChangeCounter:
    """How many APKs were added and removed since any version, without SQL:
    delta_since's counts from the store's index intervals, kept as sorted arrays
    (O(log n) per question; 8 bytes per interval end).

    added(V)   = open entries that began after V, minus those present at V too;
    removed(V) = closed entries that held V (from <= V < to), minus those present now;
    the APKs that left after V and came back are those closed entries whose APK
    is open again now ("returned")."""

    open_from: array
    closed_from: array
    closed_to: array
    returned_from: array
    returned_to: array

    @staticmethod
    def _after(values: array, version: int) -> int:
        return len(values) - bisect.bisect_right(values, version)

    def counts(self, since: int) -> tuple[int, int]:
        both = self._after(self.returned_to, since) - self._after(self.returned_from, since)
        added = self._after(self.open_from, since) - both
        removed = self._after(self.closed_to, since) - self._after(self.closed_from, since) - both
        return added, removed

    def cache_weight(self) -> int:
        return 8 * sum(len(a) for a in (self.open_from, self.closed_from, self.closed_to, self.returned_from,
                                        self.returned_to))


def _as_of(intervals: list[tuple[int, int | None]], version: int) -> list[tuple[int, int | None]]:
    """An APK's intervals as they stood at ``version`` (later openings absent, later closings open)."""
    return [(start, end if end is not None and end <= version else None) for start, end in intervals if start <= version]


def _contributions(intervals: list[tuple[int, int | None]]) -> tuple[list[int], ...]:
    """What one APK's intervals put in each of ChangeCounter's arrays."""
    open_since = next((start for start, end in intervals if end is None), None)
    closed = [(start, end) for start, end in intervals if end is not None]
    returned = [(start, end) for start, end in closed if open_since is not None and open_since >= end]
    return ([] if open_since is None else [open_since], [s for s, _ in closed], [e for _, e in closed],
            [s for s, _ in returned], [e for _, e in returned])


def change_counter(conn: sa.Connection, store_id: int, version: int) -> ChangeCounter:
    """The store's ChangeCounter as of ``version``."""
    rows = conn.execute(sa.select(index_entries.c.apk_id, index_entries.c.from_version, index_entries.c.to_version)
                        .where(index_entries.c.store_id == store_id, index_entries.c.from_version <= version)).all()
    by_apk: dict[int, list[tuple[int, int | None]]] = {}
    for apk_id, start, end in rows:
        by_apk.setdefault(apk_id, []).append((start, end if end is not None and end <= version else None))
    columns: tuple[list[int], ...] = ([], [], [], [], [])
    for intervals in by_apk.values():
        for column, values in zip(columns, _contributions(intervals)):
            column.extend(values)
    return ChangeCounter(*(array("q", sorted(column)) for column in columns))


# Beyond this many APKs moved, advancing a counter costs more than building it anew.
ADVANCE_MAX_APKS = 256


def advance_counter(conn: sa.Connection, store_id: int, counter: ChangeCounter, since: int,
                    version: int) -> ChangeCounter | None:
    """The counter as of ``version`` from the one as of ``since``, reading only the
    APKs whose intervals moved in between (None when too many did): each such APK's
    contributions as of ``since`` leave the arrays and those as of ``version`` enter."""
    moved = set(conn.execute(sa.select(index_entries.c.apk_id).where(
        index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None),
        index_entries.c.from_version > since, index_entries.c.from_version <= version)).scalars())
    moved |= set(conn.execute(sa.select(index_entries.c.apk_id).where(
        index_entries.c.store_id == store_id, index_entries.c.to_version > since,
        index_entries.c.from_version <= version)).scalars())
    if len(moved) > ADVANCE_MAX_APKS:
        return None
    by_apk: dict[int, list[tuple[int, int | None]]] = {apk_id: [] for apk_id in moved}
    for chunk in _chunks(sorted(moved)):
        for apk_id, start, end in conn.execute(
                sa.select(index_entries.c.apk_id, index_entries.c.from_version, index_entries.c.to_version)
                .where(index_entries.c.store_id == store_id, index_entries.c.apk_id.in_(chunk))):
            by_apk[apk_id].append((start, end))
    columns = [array("q", column) for column in (counter.open_from, counter.closed_from, counter.closed_to,
                                                 counter.returned_from, counter.returned_to)]
    for intervals in by_apk.values():
        for column, values in zip(columns, _contributions(_as_of(intervals, since))):
            for value in values:
                del column[bisect.bisect_left(column, value)]
        for column, values in zip(columns, _contributions(_as_of(intervals, version))):
            for value in values:
                column.insert(bisect.bisect_right(column, value), value)
    return ChangeCounter(*columns)


def delta_key(store_id: int, since: int, current_version: int, base_url: str, gzipped: bool) -> str:
    """Where the delta from ``since`` to ``current_version`` is kept. Its bytes depend
    on nothing else but the links' base URL, which the name therefore carries."""
    tag = hashlib.sha256(base_url.encode("utf-8")).hexdigest()[:12]
    return f"deltas/{store_id}/{since}-{current_version}-{tag}.xml" + (".gz" if gzipped else "")


def delta_file(svc: Services, store_name: str, store_id: int, since: int, current_version: int, current_md5: str,
               appscount: int, gzipped: bool) -> bytes:
    """The delta's bytes, made once per (since, current) for every process and
    host that shares the blob store, and read back like a file afterwards (its
    <dwn> counts are those of its making, as in the full index of a version)."""
    key = delta_key(store_id, since, current_version, svc.settings.base_url, gzipped)
    if svc.blobs.exists(key):
        return svc.blobs.get_bytes(key)
    plain_key = delta_key(store_id, since, current_version, svc.settings.base_url, False)
    if svc.blobs.exists(plain_key):
        plain = svc.blobs.get_bytes(plain_key)
    else:
        with svc.db.read() as conn:
            plain = delta_xml(conn, svc, store_name, store_id, since, current_version, current_md5, appscount)
        svc.blobs.put_bytes(plain_key, plain)
    if not gzipped:
        return plain
    packed = gzip.compress(plain, 6, mtime=0)
    svc.blobs.put_bytes(key, packed)
    return packed


def delta_xml(conn: sa.Connection, svc: Services, store_name: str, store_id: int, since: int,
              current_version: int, current_md5: str, appscount: int) -> bytes:
    delta = delta_since(conn, store_id, since)
    # Entries re-rendered since (a new <catg2>) go again, as the entry they are now.
    refiled = set(conn.execute(sa.select(index_refiles.c.apk_id).where(
        index_refiles.c.store_id == store_id, index_refiles.c.version > since)).scalars())
    listed_now = set(conn.execute(sa.select(index_entries.c.apk_id).where(
        index_entries.c.store_id == store_id, index_entries.c.to_version.is_(None),
        index_entries.c.apk_id.in_(sorted(refiled)))).scalars()) if refiled else set()
    sent = set(delta.added_apk_ids) | listed_now
    added = []
    for chunk in _chunks(sorted(sent)):
        added += conn.execute(sa.select(apks.c.package, apks.c.xml_head, apks.c.downloads, apks.c.xml_tail,
                                        apks.c.category).where(apks.c.id.in_(chunk))).all()
    removed = []
    for chunk in _chunks(sorted(delta.removed_apk_ids)):
        removed += conn.execute(sa.select(apks.c.package, apks.c.version_code).where(apks.c.id.in_(chunk))).all()
    added.sort(key=lambda r: r.package)
    removed.sort(key=lambda r: r.package)
    entries = [infoxml.entry_xml(r.xml_head, r.downloads, r.xml_tail) for r in added]
    entries += [infoxml.deleted_xml(r.package, r.version_code) for r in removed]
    categories = [c for r in added if (c := infoxml.category_in(r.xml_tail))]
    header = infoxml.Header(store_name, svc.settings.base_url, appscount, current_version, delta=current_md5)
    return infoxml.document(header, categories, entries)


def _chunks(items: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def present_apk_ids(conn: sa.Connection, store_id: int, version: int | None = None) -> set[int]:
    """The APKs listed in a version (the current one when version is None)."""
    query = sa.select(index_entries.c.apk_id).where(index_entries.c.store_id == store_id)
    if version is None:
        query = query.where(index_entries.c.to_version.is_(None))
    else:
        query = query.where(index_entries.c.from_version <= version,
                            sa.or_(index_entries.c.to_version.is_(None), index_entries.c.to_version > version))
    return set(conn.execute(query).scalars())
