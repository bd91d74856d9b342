"""The moderation queue of moderated stores.

In a store an operator moderates, a version waits for an operator's approval
before it enters the index when it is a new app, or when it adds permissions
to, or changes the name or icon of, the version devices have now (the rule
Accrescent applies to updates). Other updates go through at once. A version
that waits is kept out of every listing and download (catalog.models.LISTABLE);
its owner sees why it waits, and, after a refusal, the operator's note."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from apkdepot import audit, errors, webhooks
from apkdepot.db.schema import apks, stores
from apkdepot.db.time import as_utc, utcnow
from apkdepot.errors import Failure, problem
from apkdepot.services import Services

NEW_APP = "new app"
NEW_NAME = "new name"
NEW_ICON = "new icon"
ADDS_PERMISSIONS = "adds permissions: "


def reasons_to_hold(conn: sa.Connection, store: Any, info: Any) -> list[str]:
    """Why this upload must wait for an operator (none: it goes through), compared
    with the newest version of the app that devices can have now."""
    current = conn.execute(sa.select(apks.c.label, apks.c.permissions, apks.c.icon_sha256).where(
        apks.c.store_id == store.id, apks.c.package == info.package, apks.c.removed_at.is_(None),
        apks.c.review_state.is_(None)).order_by(apks.c.version_code.desc()).limit(1)).first()
    if current is None:
        return [NEW_APP]
    reasons = []
    added = sorted(set(info.permissions) - set(json.loads(current.permissions)))
    if added:
        reasons.append(ADDS_PERMISSIONS + ", ".join(added))
    if info.label != current.label:
        reasons.append(NEW_NAME)
    icon = hashlib.sha256(info.icon_png).hexdigest() if info.icon_png else None
    if icon != current.icon_sha256:
        reasons.append(NEW_ICON)
    return reasons


@dataclass(frozen=True)
class Waiting:
    id: int
    store: str
    owner_id: int
    package: str
    version_code: int
    version_name: str
    label: str
    permissions: list[str]
    signer_sha256: str
    md5: str
    added_at: datetime
    reasons: list[str]

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "store": self.store, "owner_id": self.owner_id, "package": self.package,
                "version_code": self.version_code, "version_name": self.version_name, "label": self.label,
                "permissions": self.permissions, "signer_sha256": self.signer_sha256, "md5": self.md5,
                "added_at": self.added_at.isoformat(), "reasons": self.reasons}


def queue(svc: Services, after_id: int = 0, limit: int = 50, store_name: str | None = None) -> list[Waiting]:
    """Versions waiting for review, oldest first (keyset pages by id)."""
    query = (sa.select(apks.c.id, stores.c.name, stores.c.owner_id, apks.c.package, apks.c.version_code,
                       apks.c.version_name, apks.c.label, apks.c.permissions, apks.c.signer_sha256, apks.c.md5,
                       apks.c.added_at, apks.c.review_reasons)
             .select_from(apks.join(stores, stores.c.id == apks.c.store_id))
             .where(apks.c.review_state == "pending", apks.c.removed_at.is_(None), apks.c.id > after_id)
             .order_by(apks.c.id).limit(max(1, min(limit, 200))))
    if store_name:
        query = query.where(stores.c.name == store_name.strip().lower())
    with svc.db.read() as conn:
        return [Waiting(r.id, r.name, r.owner_id, r.package, r.version_code, r.version_name, r.label,
                        json.loads(r.permissions), r.signer_sha256, r.md5, as_utc(r.added_at),
                        json.loads(r.review_reasons or "[]")) for r in conn.execute(query)]


def _waiting(conn: sa.Connection, apk_id: Any):
    if not isinstance(apk_id, int) or isinstance(apk_id, bool):
        raise Failure(problem(errors.MODERATION_NOT_WAITING))
    row = conn.execute(sa.select(apks.c.id, apks.c.store_id, apks.c.package, apks.c.version_code, stores.c.name,
                                 stores.c.owner_id)
                       .select_from(apks.join(stores, stores.c.id == apks.c.store_id))
                       .where(apks.c.id == apk_id, apks.c.review_state == "pending",
                              apks.c.removed_at.is_(None))).first()
    if row is None:
        raise Failure(problem(errors.MODERATION_NOT_WAITING))
    return row


def decide(svc: Services, apk_id: Any, approve: bool, note: Any = None) -> None:
    """Approves a waiting version (it enters the next index version) or refuses
    it with a note its owner reads (ADMIN-4 without one)."""
    from apkdepot.catalog import owner_apps
    from apkdepot.index import versions
    from apkdepot.operators import checked_reason

    text = None if approve else checked_reason(note)
    with svc.db.write() as conn:
        row = _waiting(conn, apk_id)
        conn.execute(apks.update().where(apks.c.id == row.id).values(
            review_state=None if approve else "rejected", review_note=text, reviewed_at=utcnow()))
        subject = f"{row.name}/{row.package}/{row.version_code}"
        if approve:
            versions.mark_dirty(conn, row.store_id, [row.package])
            owner_apps.on_published(conn, row.owner_id, row.package, conn.execute(
                sa.select(apks.c.label).where(apks.c.id == row.id)).scalar_one())
        audit.record(conn, "moderation.approve" if approve else "moderation.reject", "apk", subject, row.owner_id,
                     after={"note": text} if text else None)
        webhooks.enqueue(conn, row.store_id, "moderation.decided", {
            "package": row.package, "version_code": row.version_code,
            "decision": "approved" if approve else "rejected", "reason": text}, row.name)


def set_moderated(svc: Services, store_name: Any, on: Any) -> None:
    """Turns moderation of a store on or off. Versions already waiting keep waiting."""
    from apkdepot.operators import store_record

    if not isinstance(on, bool):
        raise Failure(problem(errors.MODERATION_SWITCH, "enabled"))
    record = store_record(svc, store_name)
    with svc.db.write() as conn:
        conn.execute(stores.update().where(stores.c.id == record.id).values(moderated=on, updated_at=utcnow()))
        audit.record(conn, "store.moderation", "store", record.name, record.owner_id, after={"moderated": on})
