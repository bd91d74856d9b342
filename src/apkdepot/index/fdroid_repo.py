"""Every public store as an F-Droid repository: a second writer over the same
immutable index versions. Version V's files (index-v2.json, entry.json,
entry.jar, index-v1.jar) are made on first request, kept in blob storage and
never change; diff/<T>.json is made for any timestamp T the store has served,
from the F-Droid membership intervals."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from apkdepot.catalog import app_listing, store_categories
from apkdepot.catalog import stores as store_service
from apkdepot.db.schema import apks, fdroid_entries, index_versions
from apkdepot.db.time import as_utc
from apkdepot.index import fdroid, fdroid_splice
from apkdepot.index.jar import signed_jar
from apkdepot.services import Services

_locks: dict[tuple[int, int], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(store_id: int, version: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((store_id, version), threading.Lock())


def file_key(store_id: int, version: int, name: str) -> str:
    return f"fdroid/{store_id}/{version}/{name}"


def diff_key(store_id: int, old: int, new: int) -> str:
    return f"fdroid/{store_id}/diff/{old}-{new}.json"


def millis(value) -> int:
    return int(as_utc(value).timestamp() * 1000)


def version_times(conn: sa.Connection, store_id: int) -> dict[int, int]:
    """index version -> its timestamp (ms), for every version the store served."""
    return {v: millis(t) for v, t in conn.execute(sa.select(index_versions.c.version, index_versions.c.created_at)
                                                   .where(index_versions.c.store_id == store_id))}


def versions_at(conn: sa.Connection, store_id: int, version: int,
                packages: list[str] | None = None) -> list[fdroid.Version]:
    """The versions listed at an index version (only these packages, when given)."""
    query = (sa.select(apks).select_from(fdroid_entries.join(apks, apks.c.id == fdroid_entries.c.apk_id))
             .where(fdroid_entries.c.store_id == store_id, fdroid_entries.c.from_version <= version,
                    sa.or_(fdroid_entries.c.to_version.is_(None), fdroid_entries.c.to_version > version)))
    if packages is None:
        rows = conn.execute(query).all()
    else:
        rows = []
        for start in range(0, len(packages), 500):
            rows += conn.execute(query.where(fdroid_entries.c.package.in_(packages[start:start + 500]))).all()
    return [fdroid.Version(
        package=r.package, label=r.label, description=r.description, category=r.category,
        version_code=r.version_code, version_name=r.version_name, min_sdk=r.min_sdk, target_sdk=r.target_sdk,
        permissions=json.loads(r.permissions), abis=[a for a in r.abis.split(",") if a],
        signer_sha256=r.signer_sha256, sha256=r.sha256, size=r.size, file_name=r.file_name,
        icon_name=r.icon_name, icon_sha256=r.icon_sha256, added_ms=millis(r.added_at),
        details=json.loads(r.manifest_details or "{}")) for r in rows]


@dataclass(frozen=True)
class StoreView:
    """What the repo block needs to know about the store."""

    id: int
    name: str
    description: str
    avatar_key: str | None


def repo_for(store: StoreView, base_url: str, timestamp: int) -> fdroid.Repo:
    icon = None
    if store.avatar_key:
        icon = {"name": "/icon.png", "sha256": store.avatar_key.split("/")[1].split(".")[0]}
    return fdroid.Repo(name=store.name, description=store.description, address=f"{base_url}/fdroid/{store.name}/repo",
                       timestamp=timestamp, icon=icon)


def labels_at(conn: sa.Connection, store_id: int, version: int) -> dict[str, dict[str, str]]:
    """The store's own category names, by language, as version ``version`` carries them."""
    return store_categories.labels_by_name(store_categories.at_version(conn, store_id, version))


def index_at(conn: sa.Connection, svc: Services, store: StoreView, version: int, timestamp: int) -> dict[str, Any]:
    return fdroid.index_v2(repo_for(store, svc.settings.base_url, timestamp), versions_at(conn, store.id, version),
                           app_listing.at_version(conn, store.id, version), labels_at(conn, store.id, version))


def _num_packages(document: dict[str, Any]) -> int:
    return len(document.get("packages") or {})


def _earlier_files(svc: Services, store: StoreView, version: int) -> tuple[int, bytes, bytes] | None:
    """The newest earlier version whose files are still kept: (version, index-v2
    bytes, index-v1 JSON bytes), to splice the new version's files from."""
    for earlier in range(version - 1, max(0, version - 1 - svc.settings.index_keep_bytes), -1):
        if svc.blobs.exists(file_key(store.id, earlier, "entry.jar")):
            with zipfile.ZipFile(io.BytesIO(svc.blobs.get_bytes(file_key(store.id, earlier, "index-v1.jar")))) as jar:
                v1 = jar.read("index-v1.json")
            return earlier, svc.blobs.get_bytes(file_key(store.id, earlier, "index-v2.json")), v1
    return None


def _indexes(conn: sa.Connection, svc: Services, store: StoreView, version: int,
             times: dict[int, int]) -> tuple[bytes, bytes]:
    """Version V's index-v2 and index-v1 bytes: spliced from the newest kept
    earlier version (only the packages changed since are read and rendered), or
    rendered whole when there is none."""
    earlier = _earlier_files(svc, store, version)
    repo = repo_for(store, svc.settings.base_url, times[version])
    labels = labels_at(conn, store.id, version)
    if earlier is None:
        listed = versions_at(conn, store.id, version)
        said = app_listing.at_version(conn, store.id, version)
        return (fdroid.to_bytes(fdroid.index_v2(repo, listed, said, labels)),
                fdroid.to_bytes(fdroid.index_v1(repo, listed, said)))
    old, v2_before, v1_before = earlier
    changed = changed_packages(conn, store.id, old, version)
    now = fdroid.group(versions_at(conn, store.id, version, changed))
    said = app_listing.at_version(conn, store.id, version, changed)
    v2 = fdroid_splice.splice_v2(v2_before, lambda names: fdroid.repo_block_v2(repo, names, labels),
                                 {p: fdroid.package_v2(now[p], said.get(p)) if p in now else None for p in changed})
    v1 = fdroid_splice.splice_v1(v1_before, fdroid.repo_block_v1(repo),
                                 {p: (fdroid.app_v1(p, now[p], said.get(p)), fdroid.package_v1(now[p]))
                                  if p in now else None for p in changed})
    return v2, v1


def ensure_version_files(svc: Services, store: StoreView, version: int) -> None:
    """Writes version V's files once; every process makes the same bytes."""
    if svc.blobs.exists(file_key(store.id, version, "entry.jar")):
        return
    with _lock(store.id, version):
        if svc.blobs.exists(file_key(store.id, version, "entry.jar")):
            return
        with svc.db.read() as conn:
            times = version_times(conn, store.id)
            index_bytes, v1_bytes = _indexes(conn, svc, store, version, times)
            current = ServedIndex(index_bytes)
            diffs = {}
            earlier = [v for v in sorted(times) if v < version][-svc.settings.fdroid_diffs:]
            for old in earlier:
                patch_bytes, listed = _diff(conn, svc, store, old, version, times, current)
                diffs[times[old]] = fdroid.file_entry(f"/diff/{times[old]}.json", patch_bytes, listed)
        key, cert = store_service.signing_key(svc, store.id, store.name)
        entry = fdroid.entry(times[version], fdroid.file_entry("/index-v2.json", index_bytes, current.package_count()),
                             diffs)
        entry_bytes = fdroid.to_bytes(entry)
        svc.blobs.put_bytes(file_key(store.id, version, "index-v2.json"), index_bytes)
        svc.blobs.put_bytes(file_key(store.id, version, "entry.json"), entry_bytes)
        svc.blobs.put_bytes(file_key(store.id, version, "index-v1.jar"), signed_jar({"index-v1.json": v1_bytes}, key, cert))
        # Last: its presence says the version's files are complete.
        svc.blobs.put_bytes(file_key(store.id, version, "entry.jar"), signed_jar({"entry.json": entry_bytes}, key, cert))


def index_xml(svc: Services, store: StoreView, version: int) -> bytes:
    """index.xml (v0) of a version, made on request: it is not part of the signed files."""
    with svc.db.read() as conn:
        times = version_times(conn, store.id)
        return fdroid.index_v0_xml(repo_for(store, svc.settings.base_url, times[version]),
                                   versions_at(conn, store.id, version), app_listing.at_version(conn, store.id, version))


class ServedIndex:
    """A version's index-v2 as served, read by package without parsing the whole
    (a diff that touches a large share of the packages parses it once instead)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._parsed: dict[str, Any] | None = None

    def repo(self) -> dict[str, Any]:
        return fdroid_splice.v2_repo(self.data)

    def packages(self, names: list[str]) -> dict[str, dict[str, Any] | None]:
        if self._parsed is None and len(names) * 8 > self.package_count():
            self._parsed = json.loads(self.data)["packages"]
        if self._parsed is not None:
            return {name: self._parsed.get(name) for name in names}
        return {name: fdroid_splice.v2_package(self.data, name) for name in names}

    def package_count(self) -> int:
        return fdroid_splice.v2_package_count(self.data)


def served_index(conn: sa.Connection, svc: Services, store: StoreView, version: int, times: dict[int, int]) -> ServedIndex:
    """The index-v2 document exactly as served for a version when its file is
    kept; rebuilt from the membership intervals when it never was written or
    has been collected."""
    key = file_key(store.id, version, "index-v2.json")
    if svc.blobs.exists(key):
        return ServedIndex(svc.blobs.get_bytes(key))
    return ServedIndex(fdroid.to_bytes(index_at(conn, svc, store, version, times[version])))


def _diff(conn: sa.Connection, svc: Services, store: StoreView, old: int, new: int, times: dict[int, int],
          current: ServedIndex | None = None) -> tuple[bytes, int]:
    """The diff's bytes and how many packages it names (made once, then kept)."""
    key = diff_key(store.id, old, new)
    if svc.blobs.exists(key):
        data = svc.blobs.get_bytes(key)
        return data, _num_packages(json.loads(data))
    if current is None:
        current = served_index(conn, svc, store, new, times)
    patch = diff_document(conn, store, old, new, current)
    data = fdroid.to_bytes(patch)
    svc.blobs.put_bytes(key, data)
    return data, _num_packages(patch)


def _diff_bytes(conn: sa.Connection, svc: Services, store: StoreView, old: int, new: int,
                times: dict[int, int]) -> bytes:
    key = diff_key(store.id, old, new)
    if svc.blobs.exists(key):
        return svc.blobs.get_bytes(key)
    return _diff(conn, svc, store, old, new, times)[0]


def changed_packages(conn: sa.Connection, store_id: int, old: int, new: int) -> list[str]:
    """Packages whose listed versions or listing differ between two index
    versions: those with an interval (of an APK or of a listing revision) that
    opened or closed after ``old`` (up to ``new``)."""
    opened = sa.and_(fdroid_entries.c.from_version > old, fdroid_entries.c.from_version <= new)
    closed = sa.and_(fdroid_entries.c.to_version > old, fdroid_entries.c.to_version <= new)
    moved = set(conn.execute(sa.select(fdroid_entries.c.package).where(
        fdroid_entries.c.store_id == store_id, sa.or_(opened, closed)).distinct()).scalars())
    return sorted(moved | app_listing.changed_between(conn, store_id, old, new))


def diff_document(conn: sa.Connection, store: StoreView, old: int, new: int, current: ServedIndex) -> dict[str, Any]:
    """The RFC 7396 patch from version ``old`` to the served ``current`` document.
    Package entries are pure functions of immutable APK rows and listing
    revisions, so only the
    packages that changed in between need looking at: the cost follows the
    change, not the store. The repo block travels whole (it has the new timestamp),
    with a null for each category no longer listed: a merge patch keeps what it
    does not delete. Only a changed package can take a category away with it."""
    changed = changed_packages(conn, store.id, old, new)
    before = fdroid.index_v2(fdroid.Repo("", "", "", 0), versions_at(conn, store.id, old, changed),
                             app_listing.at_version(conn, store.id, old, changed))["packages"]
    repo = current.repo()
    listed_now = repo.get("categories") or {}
    gone = {name for value in before.values() for name in value["metadata"].get("categories", ())} - listed_now.keys()
    # Each category travels whole, with a null for each language its name lost
    # since ``old`` (the store's labels are versioned, so the old ones are known).
    labels_before = labels_at(conn, store.id, old)
    for name, entry in listed_now.items():
        was = fdroid.category_entry(name, labels_before)["name"]
        dropped = {tag: None for tag in was.keys() - entry["name"].keys()}
        if dropped:
            listed_now[name] = {**entry, "name": {**entry["name"], **dropped}}
    if gone:
        repo["categories"] = {**listed_now, **dict.fromkeys(gone)} if listed_now else None
    elif listed_now:
        repo["categories"] = listed_now
    patch: dict[str, Any] = {"repo": repo}
    packages: dict[str, Any] = {}
    current_values = current.packages(changed)
    for package in changed:
        was, now = before.get(package), current_values[package]
        if was == now:
            continue
        packages[package] = None if now is None else (now if was is None else fdroid.merge_patch(was, now))
    if packages:
        patch["packages"] = packages
    return patch


def diff_for_timestamp(svc: Services, store: StoreView, version: int, timestamp: int) -> bytes | None:
    """The merge patch from the index the store served at ``timestamp`` to the
    current one; None when the store never served that timestamp."""
    ensure_version_files(svc, store, version)
    with svc.db.read() as conn:
        times = version_times(conn, store.id)
        old = next((v for v, t in times.items() if t == timestamp), None)
        if old is None or old > version:
            return None
        return _diff_bytes(conn, svc, store, old, version, times)
