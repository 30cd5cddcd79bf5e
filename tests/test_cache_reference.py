"""Native caches == the pure-Python reference, decision by decision; per call == batch."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from _fuzz_util import CACHE_BOUNDS
from runiso_core import LRUCache, S3FIFOCache, SieveCache
from runiso_core._cache_py import LRURef, S3FIFORef, SieveRef

PAIRS = [(LRUCache, LRURef), (SieveCache, SieveRef), (S3FIFOCache, S3FIFORef)]
IDS = ["lru", "sieve", "s3fifo"]

request = st.tuples(
    st.integers(0, 24),                                           # key
    st.integers(1, 30),                                           # size
    st.floats(0, 3, allow_nan=False),                             # time step
    st.sampled_from([math.nan, 0.0, 0.5, 2.0, 10.0, math.inf]),   # ttl (NaN = default)
)


def _columns(reqs):
    keys = np.array([r[0] for r in reqs], dtype=np.uint64)
    sizes = np.array([r[1] for r in reqs], dtype=np.int64)
    times = np.cumsum([r[2] for r in reqs]).astype(np.float64)
    ttls = np.array([r[3] for r in reqs], dtype=np.float64)
    return keys, sizes, times, ttls


def _counters(c):
    s = c.stats
    return dict(hits=s.hits, misses=s.misses, byte_hits=s.byte_hits, byte_misses=s.byte_misses,
                evictions=s.evictions, expired=s.expired, too_large=s.too_large,
                entries=s.entries, bytes=s.bytes)


@pytest.mark.parametrize("native,ref", PAIRS, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(kw=CACHE_BOUNDS, default_ttl=st.sampled_from([None, 1.0, 5.0]),
       reqs=st.lists(request, min_size=10, max_size=250), sized=st.booleans(), timed=st.booleans(),
       resize=st.booleans())
def test_native_equals_reference(native, ref, kw, default_ttl, reqs, sized, timed, resize):
    keys, sizes, times, ttls = _columns(reqs)
    kw = dict(kw, resize_on_hit=resize)
    if default_ttl is not None and not timed:
        # a cache with TTLs needs the time: per call and batch refuse without it
        c = native(default_ttl=default_ttl, **kw)
        with pytest.raises(TypeError, match="now= is required on a cache with TTLs"):
            c.access(int(keys[0]))
        with pytest.raises(TypeError, match="times= is required"):
            c.access_many(keys)
        with pytest.raises(TypeError, match="now= is required"):
            c.access_fast(int(keys[0]))
        return
    r = ref(default_ttl=default_ttl, **kw)
    expected = r.access_many(keys, sizes if sized else None,
                             times if timed else None, ttls if timed else None)
    per_call = native(default_ttl=default_ttl, **kw)
    got = []
    for i, k in enumerate(keys):
        ttl = None if (not timed or math.isnan(ttls[i])) else float(ttls[i])
        got.append(per_call.access(int(k), int(sizes[i]) if sized else 1,
                                   now=float(times[i]) if timed else None, ttl=ttl))
    assert got == expected
    assert _counters(per_call) == r.counters()
    batch = native(default_ttl=default_ttl, **kw)
    out = batch.access_many(keys, sizes if sized else None,
                            times if timed else None, ttls if timed else None)
    assert out.tolist() == expected
    assert batch.stats == per_call.stats
    # every resident entry, expired-but-not-reclaimed ones included (nothing
    # has expired yet at a time before the first request)
    assert sorted(batch.keys(now=-1.0)) == sorted(r.size)


@pytest.mark.parametrize("native,ref", PAIRS, ids=IDS)
@pytest.mark.parametrize("timed", [False, True])
def test_zipf_stream_equals_reference(native, ref, timed):
    rng = np.random.default_rng(11)
    keys = (rng.zipf(1.2, 20_000) % 3000).astype(np.uint64)
    sizes = rng.integers(1, 100, keys.size)
    times = np.cumsum(rng.random(keys.size) * 0.01) if timed else None
    ttls = rng.choice([np.nan, 0.3, 3.0, np.inf], keys.size) if timed else None
    r = ref(capacity_bytes=8_000, default_ttl=1.0 if timed else None)
    expected = r.access_many(keys, sizes, times, ttls)
    c = native(capacity_bytes=8_000, default_ttl=1.0 if timed else None)
    assert c.access_many(keys, sizes, times, ttls).tolist() == expected
    assert _counters(c) == r.counters()
    if timed:
        assert r.expired > 100


@pytest.mark.parametrize("bound", [{"max_entries": 400}, {"capacity_bytes": 12_000}],
                         ids=["entries", "bytes"])
def test_s3fifo_ghost_churn_equals_reference(bound):
    # Many ghost hits: dead keys in the ghost ring, keys re-ghosted while a dead
    # copy is still queued, ring compaction and growth; byte-bounded ghost sizes.
    rng = np.random.default_rng(17)
    keys = np.concatenate([rng.integers(0, 1_500, 25_000),     # ghost hits galore
                           np.arange(10_000, 12_000),          # a scan flushes the ghost
                           rng.integers(0, 1_500, 10_000)]).astype(np.uint64)
    sizes = rng.integers(1, 60, keys.size)
    r = S3FIFORef(**bound)
    expected = r.access_many(keys, sizes)
    c = S3FIFOCache(**bound)
    assert c.access_many(keys, sizes).tolist() == expected
    assert _counters(c) == r.counters()
    ghost = {k for k in range(1_500) if c._queue_of(k) == "ghost"}
    assert ghost == set(r.ghost) & set(range(1_500)) and len(ghost) > 50
    assert sum(c._queue_of(k) == "ghost" for k in range(10_000, 12_000)) == \
        len(set(r.ghost) & set(range(10_000, 12_000)))


@pytest.mark.parametrize("native", [LRUCache, SieveCache, S3FIFOCache], ids=IDS)
def test_batch_in_chunks_equals_one_batch(native):
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2000, 50_000).astype(np.uint64)
    whole = native(max_entries=300).access_many(keys)
    c = native(max_entries=300)
    parts = [c.access_many(keys[i:i + 7777]) for i in range(0, keys.size, 7777)]
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize("native", [LRUCache, SieveCache, S3FIFOCache], ids=IDS)
def test_string_keys_are_hash64(native):
    from runiso_core import hash64
    words = [f"/product/{i % 97}" for i in range(3000)]
    a = native(max_entries=40).access_many(words)
    b = native(max_entries=40).access_many(np.array([hash64(w) for w in words], dtype=np.uint64))
    c = native(max_entries=40)
    assert np.array_equal(a, b)
    assert [c.access(w) for w in words] == a.tolist()
