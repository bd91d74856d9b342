"""Fixed-window rate limiting with counters shared by every server process.

Windows are aligned to the epoch (a day window is a UTC day), so every process
agrees on the window without talking to the others. Counters live in the
database by default, in Redis when ``APKDEPOT_REDIS_URL`` is set."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import sqlalchemy as sa

from apkdepot.db.engine import Database
from apkdepot.db.schema import rate_limit_counters


@dataclass(frozen=True)
class Limit:
    amount: int
    window_seconds: int

    @property
    def policy_name(self) -> str:
        return f"{self.amount}-per-{self.window_seconds}s"


@dataclass(frozen=True)
class LimitState:
    limit: Limit
    hits: int
    reset_after: int  # seconds until this window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit.amount - self.hits)

    @property
    def exceeded(self) -> bool:
        return self.hits > self.limit.amount


@dataclass(frozen=True)
class Decision:
    states: tuple[LimitState, ...]

    @property
    def allowed(self) -> bool:
        return not any(s.exceeded for s in self.states)

    @property
    def retry_after(self) -> int:
        return max((s.reset_after for s in self.states if s.exceeded), default=0)

    @property
    def tightest(self) -> LimitState:
        return min(self.states, key=lambda s: (s.remaining, -s.reset_after))

    def headers(self) -> dict[str, str]:
        """IETF RateLimit-Policy / RateLimit header fields (draft-ietf-httpapi-ratelimit-headers)."""
        policy = ", ".join(f'"{s.limit.policy_name}";q={s.limit.amount};w={s.limit.window_seconds}' for s in self.states)
        t = self.tightest
        headers = {
            "RateLimit-Policy": policy,
            "RateLimit": f'"{t.limit.policy_name}";r={t.remaining};t={t.reset_after}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class CounterStorage(Protocol):
    def increment(self, key: str, window_start: int, window_seconds: int) -> int:
        """Adds one hit to (key, window) and returns the window's total."""


class SqlCounterStorage:
    CLEANUP_EVERY = 100  # increments between sweeps of ended windows

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._since_cleanup = 0
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        self._insert = insert

    def increment(self, key: str, window_start: int, window_seconds: int) -> int:
        expires_at = window_start + window_seconds
        stmt = self._insert(rate_limit_counters).values(key=key, window_start=window_start, hits=1, expires_at=expires_at)
        stmt = stmt.on_conflict_do_update(
            index_elements=[rate_limit_counters.c.key, rate_limit_counters.c.window_start],
            set_={"hits": rate_limit_counters.c.hits + 1},
        ).returning(rate_limit_counters.c.hits)
        with self.db.write() as conn:
            hits = conn.execute(stmt).scalar_one()
            self._since_cleanup += 1
            if self._since_cleanup >= self.CLEANUP_EVERY:
                self._since_cleanup = 0
                conn.execute(sa.delete(rate_limit_counters).where(rate_limit_counters.c.expires_at < int(self.clock())))
        return int(hits)


class RedisCounterStorage:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def increment(self, key: str, window_start: int, window_seconds: int) -> int:
        redis_key = f"apkdepot:rl:{key}:{window_start}"
        pipe = self.client.pipeline()
        pipe.incr(redis_key)
        # Relative TTL: the key outlives its window whatever the callers' clocks say.
        pipe.expire(redis_key, window_seconds + 60, nx=True)
        hits, _ = pipe.execute()
        return int(hits)


class RateLimiter:
    def __init__(self, storage: CounterStorage, clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.clock = clock

    def hit(self, key: str, limits: Sequence[Limit]) -> Decision:
        now = self.clock()
        states = []
        for limit in limits:
            window_start = int(now // limit.window_seconds) * limit.window_seconds
            hits = self.storage.increment(f"{key}|{limit.window_seconds}", window_start, limit.window_seconds)
            reset_after = max(1, math.ceil(window_start + limit.window_seconds - now))
            states.append(LimitState(limit, hits, reset_after))
        return Decision(tuple(states))


def make_rate_limiter(db: Database, redis_url: str = "") -> RateLimiter:
    storage: CounterStorage = RedisCounterStorage(redis_url) if redis_url else SqlCounterStorage(db)
    return RateLimiter(storage)
