"""LRUCache: exactness against cachetools.LRUCache, request by request."""
import csv
import pathlib

import cachetools
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from runiso_core import LRUCache

DATA = pathlib.Path(__file__).parent / "data"


def cachetools_access(c, key, size):
    """get-or-set on a cachetools.LRUCache whose values are the sizes.

    A hit with a new size re-sets the value (cachetools then evicts until it
    fits); a size above maxsize is never stored and drops a resident copy.
    """
    if key in c:
        if size > c.maxsize:
            del c[key]
            return False
        if c[key] != size:      # c[key] promotes first, as our hit does
            c[key] = size
        return True
    if size <= c.maxsize:
        c[key] = size
    return False


def cloudphysics():
    with open(DATA / "cloudphysics_head5000.csv") as f:
        rows = list(csv.DictReader(f))
    keys = np.array([int(r["lbn"]) for r in rows], dtype=np.uint64)
    sizes = np.array([int(r["size"]) for r in rows], dtype=np.int64)
    times = np.array([float(r["time"]) for r in rows])
    return keys, sizes, times


def web12():
    return np.fromfile(DATA / "cache2k_web12_head20000.trc.bin", dtype=">i4").astype(np.int64).astype(np.uint64)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.lists(st.integers(0, 12), max_size=200))
def test_entry_capacity_equals_cachetools(cap, keys):
    ref = cachetools.LRUCache(maxsize=cap)
    ours = LRUCache(max_entries=cap)
    for k in keys:
        assert ours.access(k) == cachetools_access(ref, k, 1)
        assert len(ours) == len(ref)
    assert sorted(ours) == sorted(ref)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40),
       st.lists(st.tuples(st.integers(0, 10), st.integers(1, 50)), max_size=200))
def test_byte_capacity_equals_cachetools_getsizeof(cap, reqs):
    ref = cachetools.LRUCache(maxsize=cap, getsizeof=lambda v: v)
    ours = LRUCache(capacity_bytes=cap)
    for k, size in reqs:
        assert ours.access(k, size) == cachetools_access(ref, k, size), (k, size)
        assert ours.stats.bytes == ref.currsize
    assert sorted(ours) == sorted(ref)


@pytest.mark.parametrize("cap", [64, 500])
def test_web12_trace_equals_cachetools(cap):
    keys = web12()
    ref = cachetools.LRUCache(maxsize=cap)
    expected = np.array([cachetools_access(ref, int(k), 1) for k in keys])
    got = LRUCache(max_entries=cap).access_many(keys)
    assert np.array_equal(got, expected)
    per_call = LRUCache(max_entries=cap)
    assert [per_call.access(int(k)) for k in keys[:3000]] == expected[:3000].tolist()


@pytest.mark.parametrize("cap", [100_000, 1_000_000])
def test_cloudphysics_bytes_equal_cachetools(cap):
    keys, sizes, _ = cloudphysics()
    ref = cachetools.LRUCache(maxsize=cap, getsizeof=lambda v: v)
    expected = np.array([cachetools_access(ref, int(k), int(s)) for k, s in zip(keys, sizes)])
    ours = LRUCache(capacity_bytes=cap)
    got = ours.access_many(keys, sizes=sizes)
    assert np.array_equal(got, expected)
    assert ours.stats.bytes == ref.currsize
    assert ours.stats.hits == int(expected.sum())
    st_ = ours.stats
    assert st_.byte_hits == int(sizes[expected].sum())
    assert st_.byte_misses == int(sizes[~expected].sum())


def test_peers_stream_hit_ratio():
    # peers.md: an LRU of 10,000 has hit ratio 0.58446 on lru_stream(1.0)
    import random, bisect, itertools
    n_keys = 1_000_000
    w = [1.0 / r for r in range(1, n_keys + 1)]
    cdf = list(itertools.accumulate(w))
    tot = cdf[-1]
    cdf = [c / tot for c in cdf]
    rnd = random.Random(7).random
    ids = np.array([min(bisect.bisect_left(cdf, rnd()), n_keys - 1) for _ in range(300_000)],
                   dtype=np.uint64)
    ref = cachetools.LRUCache(maxsize=10_000)
    hits = sum(cachetools_access(ref, int(k), 1) for k in ids)
    c = LRUCache(max_entries=10_000)
    assert int(c.access_many(ids).sum()) == hits


def test_basic_lru_order_and_stats():
    c = LRUCache(max_entries=3)
    assert [c.access(k) for k in [1, 2, 3, 1, 4, 2, 1]] == [False, False, False, True, False, False, True]
    s = c.stats
    assert (s.hits, s.misses, s.evictions, s.entries, s.bytes) == (2, 5, 2, 3, 3)
    assert list(c) == [1, 2, 4]   # newest first
    c.reset_stats()
    assert c.stats.hits == 0 and c.stats.entries == 3


def test_too_large_never_admitted_and_resize():
    c = LRUCache(capacity_bytes=100)
    assert c.access("a", 60) is False
    assert c.access("b", 30) is False
    assert c.access("big", 101) is False
    assert c.stats.too_large == 1 and "big" not in c
    assert c.access("a", 60) is True
    # b grows to 50: a (LRU after b's hit? no: b is promoted first) is evicted
    assert c.access("b", 50) is True
    assert "a" not in c and c.stats.bytes == 50 and c.stats.evictions == 1
    # a resident object growing beyond the capacity is dropped
    assert c.access("b", 101) is False
    assert "b" not in c and c.stats.too_large == 2 and c.stats.bytes == 0


def test_ttl_expiry_is_miss_and_reclaimed():
    c = LRUCache(max_entries=10, default_ttl=10.0)
    assert c.access("k", now=0.0) is False
    assert c.access("k", now=9.999) is True
    assert c.access("k", now=10.0) is False          # expired at exactly t + ttl
    s = c.stats
    assert s.expired == 1 and s.misses == 2 and s.entries == 1
    assert c.access("k", now=15.0) is True           # re-inserted at 10.0
    assert c.access("n", now=15.0, ttl=1.0) is False
    assert c.access("n", now=16.5) is False
    assert c.access("forever", now=0.0, ttl=float("inf")) is False
    assert c.access("forever", now=1e9) is True


def test_batch_ttls_and_times_equal_per_call():
    rng = np.random.default_rng(5)
    n = 5000
    keys = rng.integers(0, 300, n).astype(np.uint64)
    sizes = rng.integers(1, 40, n)
    times = np.cumsum(rng.random(n) * 0.01)
    ttls = rng.choice([np.nan, 0.5, 2.0, np.inf], n)
    a = LRUCache(capacity_bytes=2000, default_ttl=1.0)
    got = a.access_many(keys, sizes, times, ttls)
    b = LRUCache(capacity_bytes=2000, default_ttl=1.0)
    exp = [b.access(int(k), int(s), now=float(t), ttl=None if np.isnan(l) else float(l))
           for k, s, t, l in zip(keys, sizes, times, ttls)]
    assert got.tolist() == exp
    assert a.stats == b.stats
    assert a.stats.expired > 0 and a.stats.evictions > 0
