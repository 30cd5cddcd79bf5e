"""Proxy API (stored values), callbacks, bad input and thread safety."""
import gc
import math
import sys
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from runiso_core import CacheStats, LRUCache, S3FIFOCache, SieveCache, hash64

CLASSES = [LRUCache, SieveCache, S3FIFOCache]
IDS = ["lru", "sieve", "s3fifo"]


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_mapping_basics(cls):
    c = cls(max_entries=100)
    c["a"] = 1
    c.put(b"b", [2], size=3)
    c.put(7, "seven")
    assert c["a"] == 1 and c.get(b"b") == [2] and c[7] == "seven"
    assert "a" in c and b"b" in c and 7 in c and "zz" not in c
    assert len(c) == 3 and c.stats.bytes == 5
    assert c.get("missing", "dflt") == "dflt"
    with pytest.raises(KeyError):
        c["missing"]
    assert c.peek("a") == 1
    assert c.pop("a") == 1 and "a" not in c
    assert c.pop("a", None) is None
    with pytest.raises(KeyError):
        c.pop("a")
    del c[7]
    with pytest.raises(KeyError):
        del c[7]
    assert sorted(map(repr, c)) == [repr(b"b")]
    assert c.items() == [(b"b", [2])] and c.values() == [[2]]
    s = c.stats
    assert isinstance(s, CacheStats) and s.entries == 1 and s.bytes == 3
    assert (s.hits, s.misses) == (3, 2)
    c.clear()
    assert len(c) == 0 and c.stats.bytes == 0 and c.get(b"b") is None


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_put_replaces_value_and_size(cls):
    c = cls(capacity_bytes=1000)
    c.put("k", "v1", size=10)
    c.put("k", "v2", size=30)
    assert c["k"] == "v2" and c.stats.bytes == 30 and len(c) == 1
    assert c.put("k", "huge", size=1001) is False          # too large: old value dropped too
    assert "k" not in c and c.stats.too_large == 1 and c.stats.bytes == 0


def test_lru_proxy_eviction_order_and_callback():
    evicted = []
    c = LRUCache(max_entries=2, on_evict=lambda k, v: evicted.append((k, v)))
    c["a"] = 1
    c["b"] = 2
    c["a"]                      # a is now most recent
    c["c"] = 3
    assert evicted == [("b", 2)]
    c.pop("a")                  # explicit removal: no callback
    c.clear()
    assert evicted == [("b", 2)]


def test_ttl_in_proxy_mode():
    evicted = []
    c = LRUCache(max_entries=10, default_ttl=5.0, on_evict=lambda k, v: evicted.append(k))
    c.put("x", "X", now=100.0)
    assert c.get("x", now=104.9) == "X"
    assert c.peek("x", now=105.0) is None           # peek does not reclaim
    assert len(c) == 1
    assert c.get("x", now=105.0) is None            # expired: reclaimed and counted
    assert len(c) == 0 and c.stats.expired == 1 and evicted == ["x"]
    c.put("y", "Y", ttl=math.inf, now=0.0)
    assert c.get("y", now=1e8) == "Y"
    c.put("z", "Z", ttl=1.0, now=1e8)
    assert c.peek("z", now=1e8) == "Z"
    assert c.get("z", now=1e8 + 1.0) is None
    # On a cache with TTLs the time is required everywhere: a stale "latest
    # time" served an expired entry (get without now after put(..., now=1e8)).
    for call in (lambda: c.get("z"), lambda: c.put("w", 1), lambda: c.peek("z"),
                 lambda: c.pop("z"), lambda: c["z"], lambda: "z" in c,
                 lambda: c.setdefault("z", 1), lambda: c.update({"w": 1})):
        with pytest.raises(TypeError, match="now= is required on a cache with TTLs"):
            call()


def test_ttl_rule_now_optional_without_ttls_required_once_any_entry_has_one():
    c = LRUCache(max_entries=10)                  # no default_ttl: now is optional
    c.put("a", 1)
    assert c.get("a") == 1 and "a" in c and c["a"] == 1
    c.put("b", 2, ttl=math.inf)                   # never expires: still optional
    assert c.get("b") == 2
    with pytest.raises(TypeError, match="now= is required"):
        c.put("c", 3, ttl=5.0)                    # a TTL without the time of insertion
    assert "c" not in c
    c.put("c", 3, ttl=5.0, now=10.0)
    with pytest.raises(TypeError, match="now= is required"):
        c.get("a")                                # from now on the cache holds TTLs
    assert c.get("c", now=14.9) == 3 and c.get("c", now=15.0) is None
    sim = SieveCache(max_entries=4)
    sim.access_many(np.arange(3, dtype=np.uint64), ttls=np.full(3, np.nan))  # NaN = default: none
    sim.access(7)
    with pytest.raises(TypeError, match="times= is required"):
        sim.access_many(np.arange(3, dtype=np.uint64), ttls=np.full(3, 2.0))


def test_on_evict_exception_propagates_after_state_update():
    calls = []

    def cb(k, v):
        calls.append(k)
        raise RuntimeError("boom")

    c = LRUCache(capacity_bytes=10, on_evict=cb)
    c.put("a", 1, size=4)
    c.put("b", 2, size=4)
    with pytest.raises(RuntimeError, match="boom"):
        c.put("c", 3, size=8)            # evicts a and b; both callbacks run
    assert calls == ["a", "b"]
    assert c["c"] == 3 and len(c) == 1 and c.stats.bytes == 8 and c.stats.evictions == 2


def test_on_evict_sees_consistent_state_and_may_reenter():
    seen = []

    def cb(k, v):
        # the new entry is already stored, the victim already gone
        seen.append((k, v, len(c), c.peek("c"), k in c))
        if k == "a":
            c.put("d", 4)                # re-entrant put: evicts b, callback nested

    c = LRUCache(max_entries=2, on_evict=cb)
    c["a"] = 1
    c["b"] = 2
    c["c"] = 3
    assert seen == [("a", 1, 2, 3, False), ("b", 2, 2, 3, False)]
    assert sorted(c) == ["c", "d"]


def test_values_are_released():
    class V:
        pass

    c = LRUCache(max_entries=2)
    v = V()
    r = weakref.ref(v)
    c["a"] = v
    del v
    gc.collect()
    assert r() is not None
    c["b"] = 1
    c["c"] = 2                            # evicts a
    gc.collect()
    assert r() is None
    v2 = V()
    r2 = weakref.ref(v2)
    c["x"] = v2
    del v2
    del c
    gc.collect()
    assert r2() is None


def test_refcounts_stable_over_many_operations():
    val = object()
    key = "k" * 20
    base = sys.getrefcount(val)
    c = S3FIFOCache(max_entries=50)
    for i in range(5000):
        c.put(f"{key}{i % 200}", val)
        c.get(f"{key}{(i * 7) % 200}")
    assert sys.getrefcount(val) - base == len(c)
    c.clear()
    assert sys.getrefcount(val) == base


def test_hash_collision_never_aliases():
    # An int key is a pre-hashed 64-bit key: hash64("a") as an int collides with "a".
    c = LRUCache(max_entries=10)
    h = hash64("a")
    c.put("a", "from str")
    assert c.get(h) is None and h not in c
    c.put(h, "from int")                 # the colliding key replaces the other one
    assert c.get(h) == "from int" and c.get("a") is None
    assert len(c) == 1


def test_modes_do_not_mix():
    c = LRUCache(max_entries=4)
    c.access("a")
    with pytest.raises(RuntimeError, match="simulator"):
        c.put("a", 1)
    p = LRUCache(max_entries=4)
    p.put("a", 1)
    with pytest.raises(RuntimeError, match="proxy"):
        p.access("a")
    with pytest.raises(RuntimeError, match="proxy"):
        p.access_many(["a"])
    assert "a" in c and "a" in p


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.lists(st.tuples(st.sampled_from(["get", "put", "pop", "peek"]),
                                             st.integers(0, 9)), max_size=120))
def test_lru_proxy_equals_cachetools(cap, ops):
    import cachetools
    ref = cachetools.LRUCache(maxsize=cap)
    c = LRUCache(max_entries=cap)
    for i, (op, k) in enumerate(ops):
        if op == "get":
            assert c.get(k) == ref.get(k)
        elif op == "put":
            c.put(k, i)
            ref[k] = i
        elif op == "pop":
            assert c.pop(k, None) == ref.pop(k, None)
        else:   # peek: no promotion on either side
            assert c.peek(k) == (cachetools.Cache.__getitem__(ref, k) if k in ref else None)
        ref_items = {x: cachetools.Cache.__getitem__(ref, x) for x in list(ref)}
        assert {x: c.peek(x) for x in c.keys()} == ref_items


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_constructor_validation(cls):
    with pytest.raises(ValueError, match="capacity_bytes and/or max_entries"):
        cls()
    with pytest.raises(ValueError, match="capacity_bytes"):
        cls(capacity_bytes=0)
    with pytest.raises(ValueError, match="max_entries"):
        cls(max_entries=-5)
    with pytest.raises(TypeError, match="max_entries"):
        cls(max_entries=2.5)
    with pytest.raises(TypeError, match="capacity_bytes"):
        cls(capacity_bytes=True)
    with pytest.raises(ValueError, match="default_ttl"):
        cls(max_entries=3, default_ttl=-1)
    with pytest.raises(ValueError, match="default_ttl"):
        cls(max_entries=3, default_ttl=float("nan"))
    with pytest.raises(TypeError, match="on_evict"):
        cls(max_entries=3, on_evict=42)
    with pytest.raises(TypeError):
        cls(3)                      # bounds are keyword-only


def test_s3fifo_option_validation():
    with pytest.raises(ValueError, match="small_ratio"):
        S3FIFOCache(max_entries=10, small_ratio=0)
    with pytest.raises(ValueError, match="ghost_ratio"):
        S3FIFOCache(max_entries=10, ghost_ratio=-1)
    with pytest.raises(ValueError, match="move_to_main_threshold"):
        S3FIFOCache(max_entries=10, move_to_main_threshold=4)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_per_call_validation(cls):
    c = cls(max_entries=4)
    with pytest.raises(ValueError, match="size"):
        c.access("a", 0)
    with pytest.raises(ValueError, match="size"):
        c.access("a", -3)
    with pytest.raises(TypeError, match="size"):
        c.access("a", 1.5)
    with pytest.raises(ValueError, match="size"):
        c.access("a", 2**48)
    with pytest.raises(ValueError, match="now"):
        c.access("a", now=float("nan"))
    with pytest.raises(ValueError, match="now"):
        c.access("a", now=float("inf"))
    with pytest.raises(ValueError, match="ttl"):
        c.access("a", ttl=-1.0)
    with pytest.raises(ValueError, match="ttl"):
        c.access("a", ttl=float("nan"))
    with pytest.raises(TypeError, match="key"):
        c.access(["unhashable"])
    with pytest.raises(TypeError, match="key"):
        c.access(1.5)
    with pytest.raises(ValueError, match="key"):
        c.access(-1)
    with pytest.raises(ValueError, match="key"):
        c.access(2**64)
    assert c.stats.hits + c.stats.misses == 0 and len(c) == 0
    assert c.mode == "unset"            # failed calls fix no mode
    p = cls(max_entries=4)
    with pytest.raises(TypeError, match="key"):
        p.put({}, 1)
    with pytest.raises(ValueError, match="size"):
        p.put("a", 1, size=0)
    with pytest.raises(TypeError, match="key"):
        p.get(None)
    with pytest.raises(TypeError, match="key"):
        [] in p
    assert p.mode == "unset"


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_batch_validation(cls):
    c = cls(max_entries=4)
    k = np.arange(5, dtype=np.uint64)
    with pytest.raises(ValueError, match="sizes"):
        c.access_many(k, sizes=np.ones(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"sizes\[2\]"):
        c.access_many(k, sizes=np.array([1, 1, 0, 1, 1]))
    with pytest.raises(ValueError, match=r"sizes\[4\]"):
        c.access_many(k, sizes=np.array([1, 1, 1, 1, 2**48]))
    with pytest.raises(TypeError, match="sizes"):
        c.access_many(k, sizes=np.ones(5))
    with pytest.raises(ValueError, match="times"):
        c.access_many(k, times=np.zeros(6))
    with pytest.raises(ValueError, match=r"times\[2\]"):
        c.access_many(k, times=np.array([0, 1, np.nan, 3, 4.0]))
    with pytest.raises(ValueError, match=r"ttls\[1\]"):
        c.access_many(k, ttls=np.array([1, -1, 1, 1, 1.0]))
    with pytest.raises(ValueError, match="ttls"):
        c.access_many(k, ttls=np.ones((5, 1)))
    with pytest.raises(TypeError, match="keys"):
        c.access_many(np.zeros(5))
    with pytest.raises(ValueError, match="keys"):
        c.access_many(np.zeros((2, 2), dtype=np.uint64))
    assert len(type(c)(max_entries=4).access_many(np.arange(10, dtype=np.uint64)[::2])) == 5  # strided: copied
    with pytest.raises(TypeError, match=r"keys\[1\]"):
        c.access_many(["a", 1.5])
    with pytest.raises(TypeError, match="keys"):
        c.access_many("abc")
    assert c.stats.hits + c.stats.misses == 0
    assert c.mode == "unset"
    assert c.access_many(np.zeros(0, dtype=np.uint64)).shape == (0,)
    out = c.access_many(k, sizes=[1, 1, 1, 1, 1], times=[0, 1, 2, 3, 4], ttls=[np.nan] * 5)
    assert out.dtype == np.bool_ and out.shape == (5,)


def test_uninitialised_object_is_an_error_not_a_crash():
    c = LRUCache.__new__(LRUCache)
    with pytest.raises(RuntimeError, match="not initialised"):
        c.access(1)
    with pytest.raises(RuntimeError, match="not initialised"):
        c.access_many(np.arange(3, dtype=np.uint64))
    with pytest.raises(RuntimeError, match="not initialised"):
        c.put(1, 1)


def test_large_byte_capacity_grows_lazily():
    c = SieveCache(capacity_bytes=10**15)
    assert c.memory_bytes() < 10_000
    c.access_many(np.arange(100_000, dtype=np.uint64))
    assert len(c) == 100_000
    assert c.memory_bytes() / len(c) < 2 * 64


def test_metadata_bytes_per_entry():
    # 32-byte entries + a power-of-two index of 8-byte buckets at load <= 2/3: <= 56 bytes per slot
    for cls in (LRUCache, SieveCache):
        c = cls(max_entries=10_000)
        c.access_many(np.arange(50_000, dtype=np.uint64))
        assert c.memory_bytes() / 10_000 <= 56
        assert c.memory_bytes() / 10_000 < 46          # 45.1 at this size


@pytest.mark.parametrize("n", [10_000, 1_000_000])
def test_s3fifo_metadata_bytes_per_entry_include_the_ghost(n):
    # issue 4 section 3: <= 64 bytes per resident entry, key and ghost (90 % of n keys) included
    c = S3FIFOCache(max_entries=n)
    c.access_many(np.arange(3 * n, dtype=np.uint64))          # resident and ghost full
    assert len(c) == n
    small = n // 10                 # a scan: the ghost holds the 0.9 n keys before the small queue's
    assert all(c._queue_of(k) == "ghost" for k in range(3 * n - small - 1_000, 3 * n - small))
    assert c._queue_of(3 * n - small - 9 * n // 10) == "ghost"
    assert c._queue_of(3 * n - small - 9 * n // 10 - 1) is None
    assert c.memory_bytes() / n <= 64                           # within the budget (63.0)
    # ghost hits leave dead keys in the ring: compaction keeps the same bound
    rng = np.random.default_rng(5)
    c.access_many(rng.integers(0, 3 * n, n).astype(np.uint64))
    assert c.memory_bytes() / n <= 64


# ---------------------------------------------------------------- threads
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_threads_hammering_batch_and_per_call(cls):
    c = cls(max_entries=500)
    rng = np.random.default_rng(9)
    batches = [rng.integers(0, 3000, 200_000).astype(np.uint64) for _ in range(4)]
    singles = [rng.integers(0, 3000, 3000).tolist() for _ in range(2)]
    errors = []

    def run_batch(b):
        try:
            for _ in range(3):
                c.access_many(b)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def run_single(ks):
        try:
            for k in ks:
                c.access(k)
                _ = k in c
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=run_batch, args=(b,)) for b in batches]
    threads += [threading.Thread(target=run_single, args=(s,)) for s in singles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = c.stats
    assert s.hits + s.misses == 4 * 3 * 200_000 + 2 * 3000
    assert s.entries == len(c) <= 500 and len(set(c)) == len(c)


def test_threads_proxy_and_batch_readers():
    c = LRUCache(max_entries=300)
    errors = []

    def writer(off):
        try:
            for i in range(20_000):
                c.put(off + (i % 1000), i)
                c.get(off + ((i * 7) % 1000))
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=writer, args=(o,)) for o in (0, 500, 10**6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert len(c) == 300 and c.stats.hits + c.stats.misses == 60_000


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_index_stress_against_dict(cls):
    # growth (64 -> 8192 slots), wrap-around probing and backward-shift deletion,
    # checked against a plain dict with no eviction in play (capacity never reached)
    rng = np.random.default_rng(4)
    c = cls(max_entries=5000)
    ref = {}
    keys = rng.integers(0, 6000, 60_000).tolist()
    ops = rng.random(60_000).tolist()
    for k, op in zip(keys, ops):
        if op < 0.55:
            if len(ref) < 4000 or k in ref:
                c.put(k, k * 2)
                ref[k] = k * 2
        elif op < 0.85:
            assert c.pop(k, None) == ref.pop(k, None)
        else:
            assert c.peek(k) == ref.get(k)
    assert len(c) == len(ref) and sorted(c) == sorted(ref)
    assert all(c.peek(k) == v for k, v in ref.items())


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_cycles_through_values_are_collected(cls):
    class V:
        pass

    c = cls(max_entries=4, on_evict=lambda k, v: None)
    v = V()
    v.cache = c            # value -> cache -> value
    c["a"] = v
    r = weakref.ref(v)
    rc = weakref.ref(c)
    del v, c
    gc.collect()
    assert r() is None and rc() is None


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_threads_proxy_under_gc_pressure_never_serve_wrong_values(cls):
    # Frequent GC runs (cyclic garbage + a low threshold) switch threads in the
    # middle of put/get allocations; a value must always belong to its key.
    c = cls(max_entries=16, default_ttl=0.5)
    errors = []
    old = gc.get_threshold()
    old_switch = sys.getswitchinterval()
    gc.set_threshold(50, 5, 5)
    sys.setswitchinterval(1e-6)

    class Garbage:
        def __init__(self):
            self.me = self                           # cyclic: only the GC frees it

        def __del__(self):
            sum(range(20))                           # Python code: a thread switch point

    def worker(seed):
        rng = np.random.default_rng(seed)
        try:
            for i, k in enumerate(rng.integers(0, 40, 6000).tolist()):
                cyc = [Garbage()]
                now = i * 0.001
                v = c.get(k, now=now)
                if v is None:
                    c.put(k, (k, cyc), now=now)
                elif v[0] != k:
                    errors.append(f"key {k} served the value of {v[0]}")
        except BaseException as e:  # pragma: no cover
            errors.append(repr(e))

    try:
        ts = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        gc.set_threshold(*old)
        sys.setswitchinterval(old_switch)
    assert not errors, errors[:3]
    assert len(c) <= 16
    for k, v in c.items(now=6.0):
        assert v[0] == k


@pytest.mark.parametrize("cls", [LRUCache, SieveCache, S3FIFOCache])
@pytest.mark.parametrize("arg", ["capacity_bytes", "max_entries"])
def test_bound_at_int64_max_is_refused_not_unbounded(cls, arg):
    # 2**63 - 1 is the engine's "no bound" value: a huge bound must not silently mean "unbounded"
    for v in (2**63 - 1, 2**63, 2**70):
        with pytest.raises(ValueError, match=rf"{arg} must be < 2\*\*63 - 1"):
            cls(**{arg: v})
    assert cls(**{arg: 2**63 - 2}).access(1) is False
