"""The catalog's plain records, shared by publishing and the read services."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


import sqlalchemy as sa

from apkdepot.db.schema import apks
from apkdepot.db.time import as_utc


def LISTABLE() -> sa.ColumnElement[bool]:  # noqa: N802 - reads as the condition it is
    """Versions devices may get: published, not removed, and not waiting for
    (or refused by) moderation."""
    return sa.and_(apks.c.removed_at.is_(None), apks.c.review_state.is_(None))


# Every column an ApkVersion is made of (the index fragments are left out).
APK_COLUMNS = (apks.c.id, apks.c.store_id, apks.c.package, apks.c.version_code, apks.c.version_name, apks.c.label,
               apks.c.min_sdk, apks.c.target_sdk, apks.c.permissions, apks.c.abis, apks.c.signer_sha1,
               apks.c.signer_sha256, apks.c.md5, apks.c.sha256, apks.c.size, apks.c.file_name, apks.c.icon_name,
               apks.c.description, apks.c.category, apks.c.downloads, apks.c.added_at, apks.c.removed_at,
               apks.c.website, apks.c.email, apks.c.manifest_details, apks.c.review_state, apks.c.review_reasons,
               apks.c.review_note)


def apk_url(base_url: str, store_name: str, file_name: str, folder: str = "apk") -> str:
    return f"{base_url.rstrip('/')}/repo/{store_name}/{folder}/{file_name}"


def colon_hex(hex_digest: str) -> str:
    """``5a9d0c…`` as ``5A:9D:0C:…``, the form Android tools and the Aptoide apps show and compare."""
    upper = hex_digest.upper()
    return ":".join(upper[i:i + 2] for i in range(0, len(upper), 2))


@dataclass(frozen=True)
class ApkVersion:
    id: int
    store_id: int
    package: str
    version_code: int
    version_name: str
    label: str
    min_sdk: int
    target_sdk: int
    permissions: list[str]
    abis: list[str]
    signer_sha1: str
    signer_sha256: str
    md5: str
    sha256: str
    size: int
    file_name: str
    icon_name: str | None
    description: str
    category: str | None
    downloads: int
    added_at: datetime
    removed: bool
    website: str | None = None  # the uploader's apk_website
    email: str | None = None  # the uploader's apk_email
    details: dict = field(default_factory=dict)  # apk/inspect.manifest_details
    # Moderation: None (listable), "pending" or "rejected"; why it waits; the operator's note.
    review_state: str | None = None
    review_reasons: list[str] = field(default_factory=list)
    review_note: str | None = None

    @classmethod
    def from_row(cls, r: Any) -> "ApkVersion":
        return cls(r.id, r.store_id, r.package, r.version_code, r.version_name, r.label, r.min_sdk, r.target_sdk,
                   json.loads(r.permissions), [a for a in r.abis.split(",") if a], r.signer_sha1, r.signer_sha256,
                   r.md5, r.sha256, r.size, r.file_name, r.icon_name, r.description, r.category, r.downloads,
                   as_utc(r.added_at), r.removed_at is not None, r.website, r.email,
                   json.loads(r.manifest_details or "{}"), r.review_state, json.loads(r.review_reasons or "[]"),
                   r.review_note)

    def label_in(self, locale: str) -> str:
        """The label in ``pt_BR`` / ``pt-BR`` / ``pt`` form, falling back to the language, then the default label."""
        language, _, country = locale.replace("_", "-").partition("-")
        labels = self.details.get("labels") or {}
        return labels.get(f"{language}-{country}") or labels.get(language) or self.label

    def public(self, base_url: str, store_name: str) -> dict[str, Any]:
        return {
            "id": self.id, "package": self.package, "version_code": self.version_code,
            "version_name": self.version_name, "label": self.label, "min_sdk": self.min_sdk,
            "target_sdk": self.target_sdk, "permissions": self.permissions, "abis": self.abis,
            "signer_sha1": self.signer_sha1, "signer_sha256": self.signer_sha256, "md5": self.md5,
            "sha256": self.sha256, "size": self.size, "downloads": self.downloads,
            "added_at": self.added_at.isoformat(), "removed": self.removed,
            "url": apk_url(base_url, store_name, self.file_name),
            "icon_url": apk_url(base_url, store_name, self.icon_name, "icons") if self.icon_name else None,
            # Moderation: null when listable; else {"state": "pending"|"rejected", "reasons", "note"}.
            "review": ({"state": self.review_state, "reasons": self.review_reasons, "note": self.review_note}
                       if self.review_state else None),
        }


