"""The Aptoide store index, info.xml (PROTOCOL §3), as pure functions.

A package entry is rendered once, when the APK is published, as two strings
around the download count (the only field that changes while the entry is
listed). A full index is the header plus the entries in package order; a
delta is the header with ``<delta>`` plus the added entries and a ``<del/>``
entry for each removed one."""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import unescape as xml_unescape
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Sequence

from apkdepot.api.ws.render import xml_text

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
SCREEN_SIZES = ("small", "normal", "large", "xlarge")


@dataclass(frozen=True)
class EntryFields:
    label: str
    package: str
    version_name: str
    version_code: int
    file_name: str
    md5: str
    size: int
    icon_name: str | None
    added_at: datetime
    category: str | None
    min_sdk: int
    signer_sha1: str
    abis: Sequence[str]


def size_kb(size_bytes: int) -> int:
    return max(1, math.ceil(size_bytes / 1024))


def entry_parts(e: EntryFields) -> tuple[str, str]:
    head = (
        f"<package><name>{xml_text(e.label)}</name><apkid>{xml_text(e.package)}</apkid>"
        f"<ver>{xml_text(e.version_name)}</ver><vercode>{e.version_code}</vercode>"
        f"<path>{xml_text(e.file_name)}</path><md5h>{e.md5}</md5h><sz>{size_kb(e.size)}</sz>"
        + (f"<icon>{xml_text(e.icon_name)}</icon>" if e.icon_name else "")
        + f"<date>{e.added_at:%Y-%m-%d}</date>"
    )
    tail = (
        "<catg>Applications</catg>"
        + (f"<catg2>{xml_text(e.category)}</catg2>" if e.category else "")
        + f"<age>All</age><minSdk>{e.min_sdk}</minSdk><minScreen>small</minScreen>"
        f"<signature>{e.signer_sha1.upper()}</signature>"
        + (f"<cpu>{','.join(e.abis)}</cpu>" if e.abis else "")
        + "</package>"
    )
    return head, tail


_CATG2_RE = re.compile(r"<catg2>(.*?)</catg2>", re.S)


def category_in(tail: str) -> str | None:
    """The category an entry is filed under (its <catg2>), from the part after <dwn>."""
    found = _CATG2_RE.search(tail)
    return xml_unescape(found.group(1)) if found else None


def tail_with_category(tail: str, category: str | None) -> str:
    """The same entry filed under another category (or none)."""
    without = _CATG2_RE.sub("", tail, count=1)
    return without.replace("</catg>", "</catg>" + (f"<catg2>{xml_text(category)}</catg2>" if category else ""), 1)


def entry_xml(head: str, downloads: int, tail: str) -> str:
    return f"{head}<dwn>{downloads}</dwn>{tail}"


def deleted_xml(package: str, version_code: int) -> str:
    return f"<package><apkid>{xml_text(package)}</apkid><vercode>{version_code}</vercode><del/></package>"


@dataclass(frozen=True)
class Header:
    store: str
    base_url: str
    appscount: int
    version: int
    delta: str | None = None  # the current full index MD5, in delta answers


# The info.xml protocol version. Aptoide clients 5.x and 6.x refuse an index
# whose <version> is below 7 (HandlerInfoXml throws InvalidVersionException);
# the index's own counter is served by v7 store/getMeta instead.
PROTOCOL_VERSION = 7


def header_xml(h: Header) -> str:
    root = f"{h.base_url.rstrip('/')}"
    name = xml_text(h.store)
    return (
        f"<repository><name>{name}</name>"
        f"<basepath>{root}/repo/{name}/apk/</basepath>"
        f"<iconspath>{root}/repo/{name}/icons/</iconspath>"
        f"<screenspath>{root}/repo/{name}/screens/</screenspath>"
        f"<webservicespath>{root}/webservices/</webservicespath>"
        f"<appscount>{h.appscount}</appscount><version>{PROTOCOL_VERSION}</version>"
        + (f"<delta>{h.delta}</delta>" if h.delta else "")
        + "</repository>"
    )


def categories_xml(categories: Iterable[str]) -> str:
    names = sorted(set(categories))
    if not names:
        return ""
    items = "".join(f"<cat><id>{i}</id><name>{xml_text(n)}</name><parent>0</parent><order>{i}</order></cat>"
                    for i, n in enumerate(names, start=1))
    return f"<categories>{items}</categories>"


def document(header: Header, categories: Iterable[str], entries: Iterable[str]) -> bytes:
    parts = [XML_DECLARATION, "<apklst>", header_xml(header), categories_xml(categories)]
    parts.extend(entries)
    parts.append("</apklst>")
    return "".join(parts).encode("utf-8")


# --- a new version from the previous one's bytes ----------------------------------
#
# A full index is the header, the categories, then the entries in package order,
# each one "<package>…<apkid>P</apkid>…</package>". Text inside is escaped, so the
# tag "<package>" only ever starts an entry: the previous version's bytes can be
# searched by package (binary search over byte offsets) and the changed entries
# spliced in, at a cost that follows the change, not the store.

# The previous bytes may be a memory map of the kept file (nothing read into
# memory but the pages searched): only find/rfind, which both offer.
_ENTRY_START = b"<package>"
_ENTRY_END = b"</package>"
_DOCUMENT_END = b"</apklst>"


def entry_order(package: str) -> bytes:
    """The order entries appear in: byte order of the package name as written,
    the same on every database (whatever its collation)."""
    return xml_text(package).encode("utf-8")


def _at(doc, found: int, what: bytes) -> int:
    if found == -1:
        raise ValueError(f"not an info.xml document: {what!r} missing")
    return found


def _entry_package(doc, start: int) -> bytes:
    open_at = _at(doc, doc.find(b"<apkid>", start), b"<apkid>") + len(b"<apkid>")
    return doc[open_at:_at(doc, doc.find(b"</apkid>", open_at), b"</apkid>")]


def _entry_end(doc, start: int) -> int:
    return _at(doc, doc.find(_ENTRY_END, start), _ENTRY_END) + len(_ENTRY_END)


def _first_at_or_after(doc: bytes, package: bytes, lo: int, hi: int) -> int:
    """The offset of the first entry in doc[lo:hi] whose package is >= ``package``
    (``hi`` when none is); ``lo`` must be where an entry starts (or ``hi``)."""
    while lo < hi:
        mid = (lo + hi) // 2
        start = doc.rfind(_ENTRY_START, lo, mid + 1)  # the entry holding mid; lo starts one
        if _entry_package(doc, start) < package:
            lo = _entry_end(doc, start)
        else:
            hi = start
    return lo


def sections(doc) -> tuple[int, int, int]:
    """(where the categories start, where the entries start, where they end)."""
    categories = _at(doc, doc.find(b"</repository>"), b"</repository>") + len(b"</repository>")
    end = _at(doc, doc.rfind(_DOCUMENT_END), _DOCUMENT_END)
    first = doc.find(_ENTRY_START, categories, end)
    return categories, (end if first == -1 else first), end


def category_xml_name(name: str) -> bytes:
    """How a category's name appears in the categories section."""
    return f"<name>{xml_text(name)}</name>".encode("utf-8")


def categories_of(doc: bytes) -> bytes:
    start, entries, _ = sections(doc)
    return doc[start:entries]


def splice_parts(previous, header: Header, categories: bytes,
                 changes: Iterable[tuple[str, str | None]]) -> Iterator[bytes | memoryview]:
    """The full index made from the previous full index, in parts (runs of the
    previous bytes are views, not copies): a new header and categories section,
    and for each (package, entry or None) the package's entry replaced, added or
    removed. Untouched entries keep their bytes."""
    _, cursor, end = sections(previous)
    view = memoryview(previous)
    yield XML_DECLARATION.encode() + b"<apklst>" + header_xml(header).encode("utf-8") + categories
    for package, entry in sorted(changes, key=lambda change: entry_order(change[0])):
        name = entry_order(package)
        at = _first_at_or_after(previous, name, cursor, end)
        yield view[cursor:at]
        cursor = _entry_end(previous, at) if at < end and _entry_package(previous, at) == name else at
        if entry is not None:
            yield entry.encode("utf-8")
    yield view[cursor:end]
    yield _DOCUMENT_END


def splice(previous, header: Header, categories: bytes, changes: Iterable[tuple[str, str | None]]) -> bytes:
    return b"".join(splice_parts(previous, header, categories, changes))
