"""index-v2.json and index-v1.json of a new version made from the previous
version's bytes, at a cost that follows the change, not the store.

``fdroid.to_bytes`` writes keys sorted and compact, so each document is a fixed
frame around runs of per-package fragments in package order:

    index-v2  {"packages":{"<p>":{"metadata":…},…},"repo":{…}}
    index-v1  {"apps":[{"added":…,"packageName":"<p>",…},…],"packages":{"<p>":[{"added":…},…],…},
               "repo":{…},"requests":{…}}

Inside JSON strings a quote is always escaped, so the anchors below (a raw
quote, brace or bracket sequence) only ever occur where a fragment starts: the
previous bytes can be searched by package (binary search over byte offsets)
and the changed packages' fragments spliced in. The result is byte for byte
``to_bytes`` of the whole document (tests/fdroid/test_splice.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from apkdepot.index import fdroid

V2_HEAD = b'{"packages":{'
V2_REPO = b'},"repo":'
V1_HEAD = b'{"apps":['
V1_PACKAGES = b'],"packages":{'
V1_REPO = b'},"repo":'
V1_REQUESTS = b',"requests":'


@dataclass(frozen=True)
class _Keyed:
    """Fragments ``"<package>":<value>``, each value starting with ``value_start``."""

    value_start: bytes

    @property
    def anchor(self) -> bytes:
        return b'":' + self.value_start

    def start_at_or_before(self, doc: bytes, lo: int, pos: int) -> int:
        found = doc.rfind(self.anchor, lo, pos + 1)
        return lo if found == -1 else doc.rindex(b'"', lo, found)

    def key(self, doc: bytes, start: int) -> bytes:
        return doc[start + 1:doc.index(self.anchor, start)]

    def value(self, doc: bytes, start: int, end: int) -> bytes:
        value_at = doc.index(self.anchor, start) + 2
        return doc[value_at:_fragment_end(doc, self.next_start(doc, start, end), end)]

    def next_start(self, doc: bytes, start: int, end: int) -> int:
        found = doc.find(self.anchor, doc.index(self.anchor, start) + 1, end)
        return end if found == -1 else doc.rindex(b'"', start, found)


@dataclass(frozen=True)
class _AppObjects:
    """index-v1's app objects ``{"added":…,"packageName":"<package>",…}``."""

    anchor: bytes = b'{"added":'

    def start_at_or_before(self, doc: bytes, lo: int, pos: int) -> int:
        found = doc.rfind(self.anchor, lo, pos + 1)
        return lo if found == -1 else found

    def key(self, doc: bytes, start: int) -> bytes:
        name_at = doc.index(b'"packageName":"', start) + len(b'"packageName":"')
        return doc[name_at:doc.index(b'"', name_at)]

    def next_start(self, doc: bytes, start: int, end: int) -> int:
        found = doc.find(b"," + self.anchor, start, end)
        return end if found == -1 else found + 1


V2_PACKAGES = _Keyed(b'{"metadata":')
V1_APPS = _AppObjects()
V1_VERSIONS = _Keyed(b'[{"added":')


def _fragment_end(doc: bytes, next_start: int, end: int) -> int:
    return next_start - 1 if next_start < end else end  # before the comma that precedes the next one


def _first_at_or_after(doc: bytes, kind, key: bytes, lo: int, hi: int, end: int) -> int:
    """The start of the first fragment in doc[lo:hi] whose key is >= ``key`` (``hi``
    when none is); ``lo`` and ``hi`` are fragment starts (or the section's end)."""
    while lo < hi:
        mid = (lo + hi) // 2
        start = kind.start_at_or_before(doc, lo, mid)
        if kind.key(doc, start) < key:
            lo = kind.next_start(doc, start, end)
        else:
            hi = start
    return lo


def find(doc: bytes, kind, key: bytes, start: int, end: int) -> int | None:
    at = _first_at_or_after(doc, kind, key, start, end, end)
    return at if at < end and kind.key(doc, at) == key else None


def splice_section(doc: bytes, start: int, end: int, kind, changes: Iterable[tuple[bytes, bytes | None]]) -> bytes:
    """The section doc[start:end] with each (key, fragment or None) replacing,
    adding or removing that key's fragment."""
    pieces: list[bytes] = []
    cursor = start
    for key, fragment in sorted(changes, key=lambda change: change[0]):
        at = _first_at_or_after(doc, kind, key, cursor, end, end)
        if cursor < at:
            pieces.append(doc[cursor:_fragment_end(doc, at, end)])
        cursor = kind.next_start(doc, at, end) if at < end and kind.key(doc, at) == key else at
        if fragment is not None:
            pieces.append(fragment)
    if cursor < end:
        pieces.append(doc[cursor:end])
    return b",".join(pieces)


def _key(package: str) -> bytes:
    return fdroid.to_bytes(package)[1:-1]


def _keyed(package: str, value: Any) -> bytes:
    return b'"' + _key(package) + b'":' + fdroid.to_bytes(value)


def v2_sections(doc: bytes) -> tuple[int, int]:
    return len(V2_HEAD), doc.rindex(V2_REPO)


def splice_v2(previous: bytes, repo_block: Callable[[set[str]], dict[str, Any]],
              packages: dict[str, dict[str, Any] | None]) -> bytes:
    """index-v2 from the previous one: ``packages`` maps each changed package to its
    new value (None: no longer listed); ``repo_block`` makes the new version's repo
    block from the categories its packages name."""
    start, end = v2_sections(previous)
    fragments = [(_key(p), None if value is None else _keyed(p, value)) for p, value in packages.items()]
    body = splice_section(previous, start, end, V2_PACKAGES, fragments)
    return V2_HEAD + body + V2_REPO + fdroid.to_bytes(repo_block(_categories_in(body, 0, len(body)))) + b"}"


def v2_package(doc: bytes, package: str) -> dict[str, Any] | None:
    """One package's value in an index-v2 document, read without parsing the rest."""
    start, end = v2_sections(doc)
    at = find(doc, V2_PACKAGES, _key(package), start, end)
    return None if at is None else json.loads(V2_PACKAGES.value(doc, at, end))


def v2_repo(doc: bytes) -> dict[str, Any]:
    return json.loads(doc[v2_sections(doc)[1] + len(V2_REPO):-1])


def v2_package_count(doc: bytes) -> int:
    start, end = v2_sections(doc)
    return doc.count(V2_PACKAGES.anchor, start, end)


_CATEGORIES = re.compile(rb'"categories":\[((?:"(?:[^"\\]|\\.)*",?)*)\]')


def _categories_in(doc: bytes, start: int, end: int) -> set[str]:
    lists = set(_CATEGORIES.findall(doc, start, end))
    return {name for found in lists for name in json.loads(b"[" + found + b"]")}


def v2_categories(doc: bytes) -> set[str]:
    """Every category a listed package names (the repo block lists exactly these)."""
    return _categories_in(doc, *v2_sections(doc))


def splice_v1(previous: bytes, repo_block: dict[str, Any],
              packages: dict[str, tuple[dict[str, Any], list[dict[str, Any]]] | None]) -> bytes:
    """index-v1 from the previous one: ``packages`` maps each changed package to its
    new (app object, versions) or None when it is no longer listed."""
    apps_end = previous.index(V1_PACKAGES)
    packages_start = apps_end + len(V1_PACKAGES)
    packages_end = previous.rindex(V1_REPO)
    apps = [(_key(p), None if new is None else fdroid.to_bytes(new[0])) for p, new in packages.items()]
    listed = [(_key(p), None if new is None else _keyed(p, new[1])) for p, new in packages.items()]
    return (V1_HEAD + splice_section(previous, len(V1_HEAD), apps_end, V1_APPS, apps)
            + V1_PACKAGES + splice_section(previous, packages_start, packages_end, V1_VERSIONS, listed)
            + V1_REPO + fdroid.to_bytes(repo_block) + V1_REQUESTS + fdroid.to_bytes(fdroid.V1_REQUESTS) + b"}")
