"""The audit log: who changed what, when, from where, and what it was before
and after.

Every change records itself in its own transaction (``record``), so the log
holds exactly what happened. Who acted is not passed down through every
service function: the HTTP layers and the command line name the actor once per
request (``act_as``) and the context carries it, worker threads included. The
table is append-only (the database refuses UPDATE and DELETE)."""

from __future__ import annotations

import csv
import io
import json
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

import sqlalchemy as sa

from apkdepot.db.schema import audit_events
from apkdepot.db.time import as_utc, utcnow


@dataclass(frozen=True)
class Actor:
    developer_id: int | None  # None: the command line or the server itself
    label: str  # the developer's address at the time, or "cli" / "system"
    ip: str | None = None
    is_admin: bool = False


SYSTEM = Actor(None, "system")
COMMAND_LINE = Actor(None, "cli")

_actor: ContextVar[Actor] = ContextVar("apkdepot_audit_actor", default=SYSTEM)


def act_as(actor: Actor) -> Token:
    """Names who acts for the rest of this request (or command); the token undoes it."""
    return _actor.set(actor)


def stop_acting(token: Token) -> None:
    _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def record(conn: sa.Connection, action: str, subject_kind: str, subject: str | int, owner_id: int | None,
           before: Any = None, after: Any = None) -> None:
    """One event, in the transaction of the change it describes."""
    actor = current_actor()
    conn.execute(audit_events.insert().values(
        created_at=utcnow(), actor_id=actor.developer_id, actor=actor.label[:254], ip=(actor.ip or None),
        action=action, subject_kind=subject_kind, subject=str(subject)[:300], owner_id=owner_id,
        before=_json(before), after=_json(after)))


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) reduced to the keys whose values differ: what an edit changed."""
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@dataclass(frozen=True)
class Event:
    id: int
    created_at: datetime
    actor_id: int | None
    actor: str
    ip: str | None
    action: str
    subject_kind: str
    subject: str
    owner_id: int | None
    before: Any
    after: Any

    @classmethod
    def from_row(cls, r: Any) -> "Event":
        return cls(r.id, as_utc(r.created_at), r.actor_id, r.actor, r.ip, r.action, r.subject_kind, r.subject,
                   r.owner_id, json.loads(r.before) if r.before else None, json.loads(r.after) if r.after else None)

    def public(self, for_owner: bool = False) -> dict[str, Any]:
        """The event as the API shows it. An owner reading their own log sees an
        operator's action as "operator" (not the operator's address or IP)."""
        by_someone_else = for_owner and self.actor_id is not None and self.actor_id != self.owner_id
        return {"id": self.id, "at": self.created_at.isoformat(),
                "actor": "operator" if by_someone_else else self.actor,
                "actor_id": None if by_someone_else else self.actor_id,
                "ip": None if by_someone_else else self.ip,
                "action": self.action, "subject_kind": self.subject_kind, "subject": self.subject,
                "owner_id": self.owner_id, "before": self.before, "after": self.after}


MAX_PAGE = 500


def events(conn: sa.Connection, owner_id: int | None = None, before_id: int | None = None,
           limit: int = 100, action_prefix: str | None = None) -> list[Event]:
    """Newest first, a page of at most ``limit`` events with ids below
    ``before_id`` (a keyset page: O(limit) at any depth). ``owner_id``: only
    that developer's data; None: everyone's (operators)."""
    query = sa.select(audit_events).order_by(audit_events.c.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
    if owner_id is not None:
        query = query.where(audit_events.c.owner_id == owner_id)
    if before_id is not None:
        query = query.where(audit_events.c.id < before_id)
    if action_prefix:
        query = query.where(audit_events.c.action.startswith(action_prefix, autoescape=True))
    return [Event.from_row(r) for r in conn.execute(query)]


CSV_COLUMNS = ("id", "at", "actor", "actor_id", "ip", "action", "subject_kind", "subject", "owner_id",
               "before", "after")


def csv_lines(pages: Iterator[list[Event]], for_owner: bool) -> Iterator[str]:
    """The export: a header, then one CSV line per event (before/after as JSON)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    for page in pages:
        out.seek(0)
        out.truncate()
        for event in page:
            shown = event.public(for_owner)
            writer.writerow([_json(shown[c]) if c in ("before", "after") else ("" if shown[c] is None else shown[c])
                             for c in CSV_COLUMNS])
        yield out.getvalue()


def all_pages(svc, owner_id: int | None, page_size: int = MAX_PAGE, before: int | None = None,
              action_prefix: str | None = None) -> Iterator[list[Event]]:
    """Every event (older than ``before``), page by page (each page its own short read)."""
    while True:
        with svc.db.read() as conn:
            page = events(conn, owner_id, before, page_size, action_prefix)
        if not page:
            return
        yield page
        before = page[-1].id
