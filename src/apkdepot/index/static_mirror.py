"""info.xml answers laid out for a front web server (nginx) to send without
asking ApkDepot (APKDEPOT_STATIC_MIRROR_DIR; deploy/nginx/apkdepot.conf).

    <root>/<store>/index.xml[.gz]    /repo/<store>/info.xml (no hash)
    <root>/<store>/<hash>.xml[.gz]   /repo/<store>/info.xml?hash=<hash>, for a hash
                                      the store served (the current one included)

``<root>/<store>`` is a symbolic link to the directory of the store's current
index version (under ``<root>/.v/``, which no request can name); it moves,
atomically, the moment a new version is committed, so nothing reachable there
is ever stale: a request the new directory cannot answer yet goes to ApkDepot,
which answers it and links the kept file there for the next one. The files are
symbolic links to the immutable blobs themselves (made readable by all: the
front server's user must also be able to enter the data directory). Private
stores are never mirrored. Every process and host sharing the directory agrees through a lock
file, and a link only ever moves forward."""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

VERSIONS = ".v"


def full_index_name(gzipped: bool) -> str:
    return "index.xml.gz" if gzipped else "index.xml"


def delta_name(md5: str, gzipped: bool) -> str:
    return f"{md5}.xml.gz" if gzipped else f"{md5}.xml"


class StaticMirror:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / VERSIONS).mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / VERSIONS / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _link(self, store: str) -> Path:
        return self.root / store

    def _version_dir(self, store: str, version: int) -> Path:
        return self.root / VERSIONS / store / str(version)

    def current_version(self, store: str) -> int | None:
        try:
            target = os.readlink(self._link(store))
        except OSError:
            return None
        name = Path(target).name
        return int(name) if name.isdigit() else None

    @staticmethod
    def _replace_with_symlink(path: Path, target: str) -> None:
        temporary = path.with_name(f".tmp-{uuid.uuid4().hex}")
        os.symlink(target, temporary)
        os.replace(temporary, path)

    def advance(self, store: str, version: int) -> None:
        """The store's current version is now ``version``: point its link at a new,
        empty directory (never backwards) and drop the previous one."""
        with self._locked():
            current = self.current_version(store)
            if current is not None and current >= version:
                return
            directory = self._version_dir(store, version)
            directory.mkdir(parents=True, exist_ok=True)
            self._replace_with_symlink(self._link(store), os.path.relpath(directory, self.root))
            if current is not None:
                shutil.rmtree(self._version_dir(store, current), ignore_errors=True)

    def retire(self, store: str) -> None:
        """The store is private (or gone): nothing of it is served from here."""
        with self._locked():
            self._link(store).unlink(missing_ok=True)
            shutil.rmtree(self.root / VERSIONS / store, ignore_errors=True)

    def offer(self, store: str, version: int, name: str, source: Path) -> bool:
        """Links a kept file into the store's directory for ``version``, if that is
        still the current one there; returns whether it did."""
        if self.current_version(store) != version:
            return False
        target = self._version_dir(store, version) / name
        if not target.is_symlink():
            # The front server runs as its own user: what it sends must be readable
            # by others (it is a public store's public index).
            os.chmod(source, 0o644)
            try:
                self._replace_with_symlink(target, str(source.resolve()))
            except FileNotFoundError:  # the directory moved on meanwhile
                return False
        return True

    def sync(self, stores: list[tuple[str, bool, int]]) -> None:
        """Brings every (name, private, current version) up to date: at start-up and
        as a periodic safety net beside the moves made at each commit."""
        named = {name for name, _, _ in stores}
        for link in self.root.iterdir():
            if link.is_symlink() and link.name not in named:  # a store renamed or deleted
                self.retire(link.name)
        for name, private, version in stores:
            if private:
                if self._link(name).is_symlink() or (self.root / VERSIONS / name).exists():
                    self.retire(name)
            elif self.current_version(name) != version:
                self.advance(name, version)
