"""Webhooks: a store's owner names HTTPS addresses that receive a signed JSON
event whenever an app is published or removed, an index version is built or a
moderation decision is made.

Events are queued in the database in the transaction of the change they
describe (``enqueue``), so none is lost and none is sent for a change that was
rolled back. Every server process runs a ``Sender`` that claims due deliveries
with a lease (one compare-and-set UPDATE, so two processes never send the same
delivery at once), posts them and records the answer. A delivery that fails is
tried again with a growing pause, up to ``MAX_ATTEMPTS`` times.

What a receiver gets (documented in the served docs):

* ``POST`` with a JSON body ``{"id", "event", "created_at", "store", "data"}``;
* ``X-ApkDepot-Event``: the event name; ``X-ApkDepot-Delivery``: the delivery
  id, the same on every retry, so a receiver drops a repeat;
* ``X-ApkDepot-Timestamp``: Unix seconds of this attempt;
* ``X-ApkDepot-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the hook's
  secret, over ``<timestamp>.<body>``.

Addresses are resolved when sent and refused when any of their addresses is
private, loopback, link-local or otherwise not public (a developer must not
reach the server's own network through it), unless the operator allows private
targets; the connection goes to the address that was checked."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa

from apkdepot import audit, errors
from apkdepot.accounts.second_factor import seal, unseal
from apkdepot.db.schema import stores, webhook_deliveries, webhooks
from apkdepot.db.time import as_utc, utcnow
from apkdepot.errors import Failure, problem
from apkdepot.services import Services

log = logging.getLogger("apkdepot.webhooks")

EVENTS = ("app.published", "app.removed", "index.version", "moderation.decided")
PING = "ping"  # sent on request, to try a hook; not subscribable
MAX_HOOKS_PER_STORE = 10
URL_MAX = 500
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
LAST_RETRY_SECONDS = 6 * 3600
LEASE_SECONDS = 60
TIMEOUT_SECONDS = 10
ANSWER_KEPT = 200  # characters of a receiver's error answer kept in the delivery log


# --- The wire format (pure) ---------------------------------------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-ApkDepot-Signature value of ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str | int, body: bytes, given: str, now: float | None = None,
           tolerance_seconds: int = 300) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), given or "")


def retry_delay(attempts: int, first_seconds: int = FIRST_RETRY_SECONDS) -> timedelta:
    """The pause after the ``attempts``-th failed try: 30 s, 1 min, 2 min … (by
    default) at most 6 h."""
    return timedelta(seconds=min(LAST_RETRY_SECONDS, first_seconds * 2 ** max(0, min(attempts, 20) - 1)))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


# Python's whitespace (str.isspace): what strip() removes and what no address holds.
SPACE = "\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"


def url_pattern(schemes: str) -> str:
    """The whole rule for a hook's address, as one regular expression that means
    the same in Python and in JSON Schema: the scheme, a host name or IPv4
    address, an optional port from 1 to 65535, then a path, query or fragment
    without spaces; spaces around it are ignored."""
    return (f"^[{SPACE}]*(?:{schemes})://{_LABEL}(?:\\.{_LABEL})*(?::{_PORT})?(?:[/?#][^{SPACE}]*)?[{SPACE}]*$")


HTTPS_URL_PATTERN = url_pattern("https")
ANY_URL_PATTERN = url_pattern("https|http")


def checked_url(value: Any, allow_http: bool) -> str:
    """A hook's address as given (see url_pattern; http only when the operator
    allows it). WEBHOOK-1 otherwise."""
    pattern = ANY_URL_PATTERN if allow_http else HTTPS_URL_PATTERN
    if not isinstance(value, str) or len(value) > URL_MAX or re.fullmatch(pattern, value) is None:
        raise Failure(problem(errors.WEBHOOK_URL, "url"))
    return value.strip()


def checked_events(value: Any) -> tuple[str, ...]:
    if value is None:
        return EVENTS
    if (not isinstance(value, list) or not value or any(not isinstance(e, str) or e not in EVENTS for e in value)):
        raise Failure(problem(errors.WEBHOOK_EVENTS, "events", events=", ".join(EVENTS)))
    return tuple(e for e in EVENTS if e in value)


# --- Hooks ----------------------------------------------------------------------

@dataclass(frozen=True)
class Hook:
    id: int
    store_id: int
    url: str
    events: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_row(cls, r: Any) -> "Hook":
        return cls(r.id, r.store_id, r.url, tuple(r.events.split()), as_utc(r.created_at))

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events), "created_at": self.created_at.isoformat()}


def list_hooks(svc: Services, store_id: int) -> list[Hook]:
    with svc.db.read() as conn:
        rows = conn.execute(sa.select(webhooks).where(webhooks.c.store_id == store_id).order_by(webhooks.c.id)).all()
    return [Hook.from_row(r) for r in rows]


def _hook(conn: sa.Connection, store_id: int, hook_id: Any):
    if not isinstance(hook_id, int) or isinstance(hook_id, bool):
        raise Failure(problem(errors.WEBHOOK_NOT_FOUND))
    row = conn.execute(sa.select(webhooks).where(webhooks.c.id == hook_id, webhooks.c.store_id == store_id)).first()
    if row is None:
        raise Failure(problem(errors.WEBHOOK_NOT_FOUND))
    return row


def get_hook(svc: Services, store_id: int, hook_id: Any) -> Hook:
    with svc.db.read() as conn:
        return Hook.from_row(_hook(conn, store_id, hook_id))


def create_hook(svc: Services, store: Any, body: Mapping[str, Any]) -> tuple[Hook, str]:
    """A new hook and its secret (shown this once; kept sealed with the server secret)."""
    url = checked_url(body.get("url"), svc.settings.webhook_allow_http)
    events = checked_events(body.get("events"))
    secret = "whsec_" + secrets.token_urlsafe(32)
    with svc.db.write() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(webhooks)
                             .where(webhooks.c.store_id == store.id)).scalar_one()
        if count >= MAX_HOOKS_PER_STORE:
            raise Failure(problem(errors.WEBHOOK_LIMIT, limit=MAX_HOOKS_PER_STORE))
        hook_id = conn.execute(webhooks.insert().values(
            store_id=store.id, url=url, events=" ".join(events), secret_sealed=seal(secret, svc.secret),
            created_at=utcnow()).returning(webhooks.c.id)).scalar_one()
        audit.record(conn, "webhook.create", "webhook", f"{store.name}/{hook_id}", store.owner_id,
                     after={"url": url, "events": list(events)})
        return Hook.from_row(_hook(conn, store.id, hook_id)), secret


def update_hook(svc: Services, store: Any, hook_id: Any, body: Mapping[str, Any]) -> tuple[Hook, str | None]:
    """Changes the address or events; ``{"new_secret": true}`` makes a new secret (returned)."""
    with svc.db.write() as conn:
        row = _hook(conn, store.id, hook_id)
        values: dict[str, Any] = {}
        # null is the same as leaving a field out.
        if body.get("url") is not None:
            values["url"] = checked_url(body.get("url"), svc.settings.webhook_allow_http)
        if body.get("events") is not None:
            values["events"] = " ".join(checked_events(body.get("events")))
        if body.get("new_secret") not in (None, True, False):
            raise Failure(problem(errors.WEBHOOK_NEW_SECRET, "new_secret"))
        secret = None
        if body.get("new_secret") is True:
            secret = "whsec_" + secrets.token_urlsafe(32)
            values["secret_sealed"] = seal(secret, svc.secret)
        if values:
            conn.execute(webhooks.update().where(webhooks.c.id == row.id).values(**values))
            shown = {k: v for k, v in values.items() if k != "secret_sealed"}
            before = {k: getattr(row, k) for k in shown}
            if secret:
                before["secret"], shown["secret"] = "old", "changed"
            audit.record(conn, "webhook.update", "webhook", f"{store.name}/{row.id}", store.owner_id, before, shown)
        return Hook.from_row(_hook(conn, store.id, row.id)), secret


def delete_hook(svc: Services, store: Any, hook_id: Any) -> None:
    with svc.db.write() as conn:
        row = _hook(conn, store.id, hook_id)
        conn.execute(webhooks.delete().where(webhooks.c.id == row.id))
        audit.record(conn, "webhook.delete", "webhook", f"{store.name}/{row.id}", store.owner_id,
                     before={"url": row.url, "events": row.events.split()})


# --- Events -----------------------------------------------------------------------

def _payload(delivery_id: str, event: str, store_name: str, data: Mapping[str, Any], at: datetime) -> str:
    return json.dumps({"id": delivery_id, "event": event, "created_at": at.isoformat(), "store": store_name,
                       "data": dict(data)}, sort_keys=True, separators=(",", ":"), default=str)


def enqueue(conn: sa.Connection, store_id: int, event: str, data: Mapping[str, Any],
            store_name: str | None = None, only_hook: int | None = None) -> int:
    """Queues ``event`` for every hook of the store that takes it, in the
    caller's transaction. Returns how many deliveries were queued."""
    query = sa.select(webhooks.c.id, webhooks.c.events).where(webhooks.c.store_id == store_id)
    if only_hook is not None:
        query = query.where(webhooks.c.id == only_hook)
    hooks = [h.id for h in conn.execute(query) if only_hook is not None or event in h.events.split()]
    if not hooks:
        return 0
    if store_name is None:
        store_name = conn.execute(sa.select(stores.c.name).where(stores.c.id == store_id)).scalar_one()
    now = utcnow()
    rows = []
    for hook_id in hooks:
        delivery_id = str(uuid.uuid4())
        rows.append({"webhook_id": hook_id, "delivery_id": delivery_id, "event": event,
                     "payload": _payload(delivery_id, event, store_name, data, now), "status": "pending",
                     "attempts": 0, "next_attempt_at": now, "created_at": now})
    conn.execute(webhook_deliveries.insert(), rows)
    return len(rows)


def ping(svc: Services, store: Any, hook_id: Any) -> None:
    with svc.db.write() as conn:
        row = _hook(conn, store.id, hook_id)
        enqueue(conn, store.id, PING, {"hook": row.id}, store.name, only_hook=row.id)


# --- The delivery log ---------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    id: int
    delivery_id: str
    event: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    response_status: int | None
    last_error: str | None
    payload: str

    @classmethod
    def from_row(cls, r: Any) -> "Delivery":
        return cls(r.id, r.delivery_id, r.event, r.status, r.attempts, as_utc(r.created_at), as_utc(r.last_attempt_at),
                   as_utc(r.next_attempt_at) if r.status == "pending" else None, as_utc(r.delivered_at),
                   r.response_status, r.last_error, r.payload)

    def public(self) -> dict[str, Any]:
        def stamp(value: datetime | None) -> str | None:
            return value.isoformat() if value else None
        return {"id": self.id, "delivery_id": self.delivery_id, "event": self.event, "status": self.status,
                "attempts": self.attempts, "created_at": stamp(self.created_at),
                "last_attempt_at": stamp(self.last_attempt_at), "next_attempt_at": stamp(self.next_attempt_at),
                "delivered_at": stamp(self.delivered_at), "response_status": self.response_status,
                "error": self.last_error, "payload": json.loads(self.payload)}


def deliveries(svc: Services, store_id: int, hook_id: Any, before_id: int | None = None, limit: int = 50) -> list[Delivery]:
    """Newest first, a keyset page of one hook's deliveries."""
    with svc.db.read() as conn:
        row = _hook(conn, store_id, hook_id)
        query = (sa.select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == row.id)
                 .order_by(webhook_deliveries.c.id.desc()).limit(max(1, min(limit, 200))))
        if before_id is not None:
            query = query.where(webhook_deliveries.c.id < before_id)
        return [Delivery.from_row(r) for r in conn.execute(query)]


def redeliver(svc: Services, store: Any, hook_id: Any, delivery: Any) -> None:
    """Sends a delivered or failed delivery again (same id and body), from attempt one."""
    with svc.db.write() as conn:
        row = _hook(conn, store.id, hook_id)
        changed = conn.execute(webhook_deliveries.update().where(
            webhook_deliveries.c.id == delivery, webhook_deliveries.c.webhook_id == row.id,
            webhook_deliveries.c.status != "pending").values(
            status="pending", attempts=0, next_attempt_at=utcnow(), locked_until=None)).rowcount
        if not changed:
            raise Failure(problem(errors.WEBHOOK_DELIVERY_NOT_FOUND))


# --- Sending --------------------------------------------------------------------

class Refused(Exception):
    """The address may not be sent to (WEBHOOK-1's rules, checked at send time)."""


def resolve_public(host: str, port: int, allow_private: bool) -> str:
    """An address of ``host`` to connect to: the first one, after every one was
    checked to be public (so a name that also resolves inward is refused)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise Refused(f"{host} has no address")
    if not allow_private:
        inward = [a for a in addresses if not _is_public(a.split("%")[0])]
        if inward:
            raise Refused(f"{host} resolves to a non-public address ({inward[0]})")
    return addresses[0]


def post(client: httpx.Client, url: str, body: bytes, headers: Mapping[str, str], allow_private: bool) -> httpx.Response:
    """POSTs to the checked address of ``url``'s host, with the host name kept for
    the Host header and TLS (SNI and certificate check)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(parts.hostname, port, allow_private)
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return client.post(pinned, content=body, headers={**headers, "Host": host_header},
                       extensions={"sni_hostname": parts.hostname})


def _claim(conn: sa.Connection, delivery_id: int, now: datetime) -> bool:
    return bool(conn.execute(webhook_deliveries.update().where(
        webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.status == "pending",
        webhook_deliveries.c.next_attempt_at <= now,
        sa.or_(webhook_deliveries.c.locked_until.is_(None), webhook_deliveries.c.locked_until < now))
        .values(locked_until=now + timedelta(seconds=LEASE_SECONDS),
                attempts=webhook_deliveries.c.attempts + 1)).rowcount)


def claim_due(svc: Services, limit: int = 20) -> list[Any]:
    """Due deliveries this process now holds a lease on, with their hook's address and secret."""
    now = utcnow()
    with svc.db.read() as conn:
        candidates = conn.execute(sa.select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.status == "pending", webhook_deliveries.c.next_attempt_at <= now,
            sa.or_(webhook_deliveries.c.locked_until.is_(None), webhook_deliveries.c.locked_until < now))
            .order_by(webhook_deliveries.c.id).limit(limit)).scalars().all()
    if not candidates:
        return []
    claimed = []
    with svc.db.write() as conn:
        for delivery_id in candidates:
            if _claim(conn, delivery_id, now):
                claimed.append(delivery_id)
    if not claimed:
        return []
    with svc.db.read() as conn:
        return conn.execute(sa.select(webhook_deliveries.c.id, webhook_deliveries.c.delivery_id,
                                      webhook_deliveries.c.event, webhook_deliveries.c.payload,
                                      webhook_deliveries.c.attempts, webhooks.c.url, webhooks.c.secret_sealed)
                            .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
                            .where(webhook_deliveries.c.id.in_(claimed)).order_by(webhook_deliveries.c.id)).all()


def _record_attempt(svc: Services, delivery: Any, status: int | None, error: str | None) -> None:
    now = utcnow()
    values: dict[str, Any] = {"last_attempt_at": now, "response_status": status, "locked_until": None}
    if error is None:
        values.update(status="delivered", delivered_at=now, last_error=None)
    else:
        values["last_error"] = error[:500]
        if delivery.attempts >= MAX_ATTEMPTS:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = now + retry_delay(delivery.attempts, svc.settings.webhook_first_retry_seconds)
    with svc.db.write() as conn:
        conn.execute(webhook_deliveries.update().where(webhook_deliveries.c.id == delivery.id).values(**values))


def send(svc: Services, client: httpx.Client, delivery: Any) -> bool:
    """One attempt of one claimed delivery; True when the receiver took it (2xx)."""
    body = delivery.payload.encode()
    stamp = int(time.time())
    try:
        secret = unseal(delivery.secret_sealed, svc.secret)
        answer = post(client, delivery.url, body, {
            "Content-Type": "application/json", "User-Agent": "ApkDepot-Webhook/1",
            "X-ApkDepot-Event": delivery.event, "X-ApkDepot-Delivery": delivery.delivery_id,
            "X-ApkDepot-Timestamp": str(stamp), "X-ApkDepot-Signature": signature(secret, stamp, body)},
            svc.settings.webhook_allow_private)
    except Refused as exc:
        _record_attempt(svc, delivery, None, f"refused: {exc}")
        return False
    except httpx.HTTPError as exc:
        _record_attempt(svc, delivery, None, f"{type(exc).__name__}: {exc}"[:500])
        return False
    if 200 <= answer.status_code < 300:
        _record_attempt(svc, delivery, answer.status_code, None)
        return True
    _record_attempt(svc, delivery, answer.status_code, f"HTTP {answer.status_code}: {answer.text[:ANSWER_KEPT]}")
    return False


def send_due(svc: Services, client: httpx.Client, limit: int = 20) -> int:
    """Claims and sends what is due now; the number sent."""
    sent = 0
    for delivery in claim_due(svc, limit):
        sent += send(svc, client, delivery)
    return sent


def make_client() -> httpx.Client:
    # Redirects are not followed: the checked address is the only one reached.
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)


class Sender:
    """Each server process's webhook thread: every ``interval`` seconds, sends due deliveries."""

    def __init__(self, svc: Services, interval: float = 0.5) -> None:
        self.svc = svc
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        with make_client() as client:
            while not self._stop.is_set():
                try:
                    busy = send_due(self.svc, client) > 0
                except Exception:  # noqa: BLE001 - keep sending; the next pass retries
                    log.exception("webhook pass failed")
                    busy = False
                if not busy:
                    self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="apkdepot-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends after the delivery in flight (its result recorded), so a restart sends nothing twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_SECONDS + 5)
