"""Counters on every storage: SQL (SQLite, PostgreSQL) and Redis."""

import uuid

import pytest

from apkdepot.db.engine import Database, make_engine
from apkdepot.ratelimit import Limit, RateLimiter, RedisCounterStorage, SqlCounterStorage
from tests.conftest import BACKENDS


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def exercise(storage_factory):
    clock = Clock(1_699_999_980.0)  # a multiple of 60: a minute window starts here
    limiter = RateLimiter(storage_factory(clock), clock)
    key = f"tok-{uuid.uuid4().hex}"
    limits = [Limit(3, 60), Limit(5, 86400)]
    decisions = [limiter.hit(key, limits) for _ in range(3)]
    assert all(d.allowed for d in decisions)
    assert decisions[-1].states[0].remaining == 0
    fourth = limiter.hit(key, limits)
    assert not fourth.allowed and fourth.retry_after == 60
    headers = fourth.headers()
    assert headers["RateLimit-Policy"] == '"3-per-60s";q=3;w=60, "5-per-86400s";q=5;w=86400'
    assert headers["RateLimit"] == '"3-per-60s";r=0;t=60'
    assert headers["Retry-After"] == "60"
    # A fresh limiter over the same storage (another process, or after a restart) sees the same counts.
    clock.now += 61
    other = RateLimiter(storage_factory(clock), clock)
    fifth = other.hit(key, limits)
    assert fifth.allowed and fifth.states[1].hits == 5
    sixth = other.hit(key, limits)
    assert not sixth.allowed and sixth.states[1].exceeded
    assert limiter.hit("other-token", limits).allowed


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_sql_counters(database_url):
    engines = []

    def factory(clock):
        engine = make_engine(database_url)
        engines.append(engine)
        return SqlCounterStorage(Database(engine), clock)

    exercise(factory)
    for engine in engines:
        engine.dispose()


@pytest.mark.redis
def test_redis_counters(redis_url):
    exercise(lambda clock: RedisCounterStorage(redis_url))


def test_sql_storage_sweeps_only_ended_windows(database_url):
    import sqlalchemy as sa

    from apkdepot.db.schema import rate_limit_counters

    clock = Clock(1_699_999_980.0)
    engine = make_engine(database_url)
    storage = SqlCounterStorage(Database(engine), clock)
    storage.increment("old", 1_699_999_800, 60)  # ended two minutes ago
    for _ in range(SqlCounterStorage.CLEANUP_EVERY - 1):
        storage.increment("live", 1_699_999_980, 60)
    with engine.connect() as conn:
        keys = {row.key for row in conn.execute(sa.select(rate_limit_counters.c.key))}
    engine.dispose()
    assert keys == {"live"}
