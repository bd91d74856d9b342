"""Caches are bounded by bytes as well as entries: no run of distinct requests
can grow them past their budget."""

from __future__ import annotations

from array import array

from apkdepot.api.answer import Answer
from apkdepot.index.cache import LruCache, weight


def test_byte_budget_evicts_least_recently_used():
    cache = LruCache(1000, max_bytes=10_000)
    for i in range(100):
        cache.put(i, b"x" * 1000)
        assert cache.bytes <= 10_000
    assert cache.peek(99) is not None and cache.peek(0) is None
    assert cache.bytes == sum(weight(cache.peek(k)) for k in range(100) if cache.peek(k) is not None)


def test_a_value_larger_than_the_budget_is_served_not_kept():
    cache = LruCache(10, max_bytes=1000)
    assert cache.get_or_make("big", lambda: b"y" * 5000) == b"y" * 5000
    assert cache.peek("big") is None and cache.bytes == 0


def test_replacing_a_key_counts_it_once_and_clear_resets():
    cache = LruCache(10, max_bytes=100_000)
    cache.put("k", b"a" * 500)
    cache.put("k", b"b" * 700)
    assert cache.bytes == weight(b"b" * 700)
    cache.clear()
    assert cache.bytes == 0 and cache.peek("k") is None


def test_weights_of_what_the_server_caches():
    answer = Answer(b"z" * 4000, 200, headers={"ETag": '"abc"'})
    assert weight(answer) > 4000
    assert weight((b"a" * 100, b"b" * 50)) > 150
    assert weight(array("q", range(1000))) >= 8000


def test_a_remembered_answer_weighs_its_bytes_and_a_little_per_lookup():
    """What the memo of update checks holds: 20,000 distinct answers of three
    stores and a token fit in the default 32 MiB (they did not when each recorded
    lookup was weighed as if it owned its strings)."""
    from apkdepot.api.hot import Remembered
    from apkdepot.config import Settings

    answer = Answer(b"z" * 300, 200)
    lookups = (("name", "store-a", 1), ("name", "store-b", 2), ("name", "store-c", 3), ("token", "d" * 64, None))
    remembered = Remembered(answer, lookups)
    assert weight(answer) < weight(remembered) <= weight(answer) + 64 * 5 + 200
    assert 20_000 * weight(remembered) < Settings().answer_cache_bytes


def test_concurrent_misses_of_one_key_make_it_once():
    import threading
    import time

    cache = LruCache(10, max_bytes=10_000)
    made = []

    def make():
        made.append(1)
        time.sleep(0.05)
        return b"v"

    threads = [threading.Thread(target=cache.get_or_make, args=("k", make)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1] and cache.peek("k") == b"v"


def test_a_value_too_big_to_keep_is_still_made_once_per_wait():
    cache = LruCache(10, max_bytes=10)
    assert cache.get_or_make("k", lambda: b"x" * 100) == b"x" * 100
    assert cache.get_or_make("k", lambda: b"y" * 100) == b"y" * 100  # not kept: made again
