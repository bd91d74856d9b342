"""A store's F-Droid repository as files: which blob each repository path
names (what /fdroid/<store>/repo/<path> serves), and the whole repository of
the current version written into a folder, so a plain static file server (or
an rsync mirror) serves it as F-Droid clients expect."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from apkdepot.catalog import app_listing, listing_images, publishing
from apkdepot.index import fdroid_repo
from apkdepot.numbers import is_ascii_digits
from apkdepot.services import Services

SIGNED_FILES = ("entry.jar", "entry.json", "index-v2.json", "index-v1.jar")


@dataclass(frozen=True)
class RepoFile:
    blob_key: str
    media_type: str
    apk_id: int | None = None  # an APK: serving it counts a download

    @property
    def etag(self) -> str:
        """Blobs are named by their SHA-256: folder/<sha256>.<ext>."""
        return self.blob_key.split("/")[1].split(".")[0]


def repo_file(svc: Services, store: fdroid_repo.StoreView, name: str) -> RepoFile | None:
    """The blob a repository path names: the repo icon, an app's icon, APK, or
    listing image (<package>/<locale>/<name> or <package>/<locale>/phoneScreenshots/<name>)."""
    if name == "icon.png":
        return RepoFile(store.avatar_key, "image/png") if store.avatar_key else None
    folder, _, file_name = name.rpartition("/")
    if app_listing.IMAGE_NAME_RE.match(file_name) and folder.count("/") in (1, 2):
        package, _, below = folder.partition("/")
        if below.count("/") == 0 or below.endswith("/phoneScreenshots"):
            image = listing_images.find(svc, store.id, package[:255], file_name)
            return RepoFile(listing_images.blob_key(image.name), image.media_type) if image else None
        return None
    if folder == "" and file_name.endswith(".apk"):
        found = publishing.find_download(svc, store.id, file_name[:300], "apk")
        return RepoFile(found[1], publishing.APK_MEDIA_TYPE, found[0]) if found else None
    if folder == "icons" or (folder.startswith("icons-") and is_ascii_digits(folder[6:])):
        found = publishing.find_download(svc, store.id, file_name[:300], "icons")
        return RepoFile(found[1], "image/png") if found else None
    return None


def _file_entries(node: Any) -> Iterator[dict[str, Any]]:
    """Every F-Droid file entry ({name, sha256, size}) in an index document."""
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and "sha256" in node:
            yield node
        for value in node.values():
            yield from _file_entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _file_entries(value)


class ExportError(Exception):
    """The store cannot be exported; the message says why."""


@dataclass(frozen=True)
class Exported:
    folder: Path
    version: int
    files: int


def export_store(svc: Services, store_name: str, target: Path) -> Exported:
    """Writes <target>/repo: the signed index files, the diffs entry.jar names,
    index.xml, and every file the index lists, each checked against the
    SHA-256 the index gives it."""
    from apkdepot.catalog.stores import get_store

    store = get_store(svc, store_name)
    if store is None:
        raise ExportError(f"no store named {store_name!r}")
    if store.hidden:
        raise ExportError(f"store {store.name} is private or suspended: it has no public F-Droid repository")
    view = fdroid_repo.StoreView(store.id, store.name, store.description, store.avatar_key)
    version = store.current_version
    fdroid_repo.ensure_version_files(svc, view, version)
    repo = target / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    written = 0
    for name in SIGNED_FILES:
        (repo / name).write_bytes(svc.blobs.get_bytes(fdroid_repo.file_key(store.id, version, name)))
        written += 1
    (repo / "index.xml").write_bytes(fdroid_repo.index_xml(svc, view, version))
    written += 1
    entry = json.loads((repo / "entry.json").read_bytes())
    for timestamp, diff in entry.get("diffs", {}).items():
        data = fdroid_repo.diff_for_timestamp(svc, view, version, int(timestamp))
        if data is None or hashlib.sha256(data).hexdigest() != diff["sha256"]:
            raise ExportError(f"the diff from {timestamp} does not match entry.jar")
        _write(repo, diff["name"], data)
        written += 1
    index = json.loads((repo / "index-v2.json").read_bytes())
    for file in {entry["name"]: entry for entry in _file_entries(index)}.values():
        found = repo_file(svc, view, file["name"].lstrip("/"))
        if found is None:
            raise ExportError(f"the index lists {file['name']}, which the store does not hold")
        destination = _destination(repo, file["name"])
        local = getattr(svc.blobs, "local_path", lambda _: None)(found.blob_key)
        if local is not None:
            shutil.copyfile(local, destination)
        else:
            destination.write_bytes(svc.blobs.get_bytes(found.blob_key))
        if hashlib.sha256(destination.read_bytes()).hexdigest() != file["sha256"]:
            raise ExportError(f"{file['name']} does not match the SHA-256 the index gives it")
        written += 1
    return Exported(repo, version, written)


def _destination(repo: Path, name: str) -> Path:
    """Where an index path goes under repo/, never outside it."""
    destination = (repo / name.lstrip("/")).resolve()
    if repo.resolve() not in destination.parents:
        raise ExportError(f"refusing to write {name!r} outside the repository folder")
    destination.parent.mkdir(parents=True, exist_ok=True)
    return destination


def _write(repo: Path, name: str, data: bytes) -> None:
    _destination(repo, name).write_bytes(data)
