"""The Aptoide store index, info.xml (PROTOCOL §3), as pure functions.

A package entry is rendered once, when the APK is published, as two strings
around the download count (the only field that changes while the entry is
listed). A full index is the header plus the entries in package order; a
delta is the header with ``<delta>`` plus the added entries and a ``<del/>``
entry for each removed one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

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
