"""Memory and thread safety of the mutable cores (issue 10).

Stress tests: several threads mix per-call and batch calls on one shared object
for a bounded time (RUNISO_STRESS_SECONDS each, default 1 s), with a switch
interval of 1 us and arguments whose conversion runs Python code (``__index__``,
``Fraction``, str subclasses), which is what let another thread's batch start in
the middle of a per-call method before. Afterwards each core's ``_check()``
verifies its internal invariants and the counters add up to the calls made.

Regression tests: each defect the ASan/UBSan build and the thread stress found,
one test each. The ones that hung or crashed the old build run in a subprocess
with a timeout, so a regression fails the test instead of hanging the suite.
"""
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
from fractions import Fraction

import numpy as np
import pytest

from runiso_core import (ConsistentHash, KeyedTokenBuckets, LRUCache, MaglevTable, S3FIFOCache,
                         SessionGate, SieveCache, SiteBalancer, TokenBucket, Topology, hash64)
from runiso_core import _cache_py
from runiso_core._hashing import _key_array

STRESS_S = float(os.environ.get("RUNISO_STRESS_SECONDS", "1.0"))
CACHES = [LRUCache, SieveCache, S3FIFOCache]


class Idx:
    """An int-like argument whose conversion runs Python code (and may switch threads)."""

    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class Key(str):
    """A str subclass: hashing and normalising it runs Python code."""

    def __hash__(self):
        return str.__hash__(self)


@pytest.fixture
def fast_switch():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def run_threads(workers, seconds=STRESS_S, max_iter=10**7):
    """Run each worker(i) in its own thread until `seconds` pass (or max_iter
    calls each); returns the number of calls each made. A worker's exception
    fails the test; a thread that does not finish is a deadlock."""
    stop = time.monotonic() + seconds
    errors, counts = [], [0] * len(workers)

    def loop(j, fn):
        try:
            i = 0
            while i < max_iter and time.monotonic() < stop:
                fn(i)
                i += 1
            counts[j] = i
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(j, fn), daemon=True) for j, fn in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    assert not any(t.is_alive() for t in threads), "deadlock: a thread did not finish"
    if errors:
        raise errors[0]
    return counts


def run_isolated(code, timeout=120):
    """Run `code` in a fresh interpreter: a crash or hang fails the test, not the suite."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out.stdout


# ---------------------------------------------------------------- stress: caches
@pytest.mark.stress
@pytest.mark.parametrize("cls", CACHES)
def test_cache_simulator_per_call_and_batch_threads(cls, fast_switch):
    cap = 400_000
    c = cls(capacity_bytes=cap, max_entries=20_000)
    rng = np.random.default_rng(1)
    keys = (rng.zipf(1.2, 4000) % 50_000).astype(np.uint64)
    sizes = rng.integers(1, 200, 4000)
    batches = [0]

    def batch(i):
        c.access_many(keys, sizes)
        batches[0] += 1

    def per_call(i):
        c.access(Idx(i * 7919 & 0xFFFFF), Idx(1 + i % 97), now=Fraction(i, 1000))

    def fast(i):
        c.access_fast(i & 0xFFFF)

    def reader(i):
        s = c.stats
        assert s.bytes <= cap and c.currsize <= cap and len(c) <= 20_000
        assert s.entries <= 20_000

    counts = run_threads([batch, per_call, per_call, fast, reader])
    c._check()
    s = c.stats
    assert s.hits + s.misses == batches[0] * len(keys) + counts[1] + counts[2] + counts[3]
    assert 0 <= s.byte_hits and 0 <= s.byte_misses


@pytest.mark.stress
@pytest.mark.parametrize("cls", CACHES)
def test_cache_proxy_threads(cls, fast_switch):
    evicted = []
    c = cls(capacity_bytes=5_000, on_evict=lambda k, v: evicted.append(k))

    class Val:
        def __del__(self):
            [0] * 8  # allocation in a finalizer: may run the GC and switch threads

    def writer(i):
        c.put(Key(f"k{i % 700}"), Val(), size=Idx(1 + i % 50), now=Fraction(i, 100))

    def reader(i):
        c.get(Key(f"k{(i * 31) % 700}"), now=Fraction(i, 100))
        c.peek(f"k{i % 700}")
        _ = f"k{i % 13}" in c

    def remover(i):
        c.pop(Key(f"k{(i * 17) % 700}"), None)
        if i % 50 == 0:
            try:
                c.popitem()
            except KeyError:
                pass
        if i % 200 == 0:
            c.items()
        if i % 2000 == 1999:
            c.clear()

    run_threads([writer, writer, reader, remover])
    c._check()
    assert c.currsize <= 5_000
    assert len(c.items()) == len(c)


# ---------------------------------------------------------------- stress: admission
@pytest.mark.stress
def test_token_bucket_threads(fast_switch):
    b = TokenBucket(1000.0, 50.0)
    times = np.linspace(0, 1, 500)
    out = {"batch": 0, "granted": 0}

    def batch(i):
        out["granted"] += int(b.try_acquire_many(times + i).sum())
        out["batch"] += 1

    def per_call(i):
        b.try_acquire(Fraction(i, 7), n=Idx(1))
        b.tokens(Fraction(i, 7))
        b.time_until(Fraction(i, 7), n=Idx(2))

    run_threads([batch, per_call, per_call])
    assert 0.0 <= b.tokens(1e6) <= 50.0


@pytest.mark.stress
def test_keyed_buckets_threads(fast_switch):
    k = KeyedTokenBuckets(5.0, 3.0, max_keys=1000)
    rng = np.random.default_rng(2)
    keys = rng.integers(0, 5000, 2000).astype(np.uint64)
    times = np.sort(rng.random(2000)) * 10
    batches = [0]

    def batch(i):
        k.try_acquire_many(keys, times + i)
        batches[0] += 1

    def per_call(i):
        k.try_acquire(Idx(i % 3000), Fraction(i, 50), n=Idx(1))
        k.time_until(Key(f"u{i % 100}"), Fraction(i, 50))

    def reader(i):
        s = k.stats
        assert len(k) <= 1000
        assert s["acquired"] + s["refused"] >= 0

    counts = run_threads([batch, per_call, per_call, reader])
    k._check()
    s = k.stats
    assert s["acquired"] + s["refused"] == batches[0] * len(keys) + counts[1] + counts[2]
    assert len(k) <= 1000


@pytest.mark.stress
def test_session_gate_threads(fast_switch):
    g = SessionGate(new_sessions_rate=50, new_sessions_burst=20, max_active_sessions=300,
                    idle_timeout=5, shed_ttl=2, max_tracked=600)
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 3000, 1000).astype(np.uint64)
    times = np.sort(rng.random(1000))
    prio = rng.random(1000) < 0.1
    batches = [0]

    def batch(i):
        g.decide_many(keys, times + i, prio)
        batches[0] += 1

    def per_call(i):
        g.decide(Idx(i % 4000), Fraction(i, 1000), priority=np.bool_(i % 10 == 0))
        g.active_sessions(Fraction(i, 1000))

    def reader(i):
        assert len(g) <= 600

    counts = run_threads([batch, per_call, per_call, reader])
    g._check()
    s = g.stats
    decisions = sum(s[n] for n in ("admitted_active", "admitted_new", "admitted_priority",
                                   "shed_new", "shed_sticky"))
    assert decisions == batches[0] * len(keys) + counts[1] + counts[2]


def test_session_gate_stats_are_never_torn(fast_switch):
    # A reader sees whole batches only: before, 83 of 111,901 snapshots were torn.
    g = SessionGate(new_sessions_rate=100, new_sessions_burst=10, max_active_sessions=50,
                    idle_timeout=1, shed_ttl=1, max_tracked=100)
    keys = np.arange(5000, dtype=np.uint64) % 700
    times = np.linspace(0, 1, 5000)
    names = ("admitted_active", "admitted_new", "admitted_priority", "shed_new", "shed_sticky")

    def batch(i):
        g.decide_many(keys, times + i)

    def reader(i):
        s = g.stats
        assert sum(s[n] for n in names) % len(keys) == 0, s

    run_threads([batch, reader, reader])


def test_cache_readers_never_see_a_batch_half_done(fast_switch):
    # len()/currsize used to read above capacity_bytes mid-batch (400,093 > 400,000).
    c = SieveCache(capacity_bytes=400_000)
    rng = np.random.default_rng(4)
    keys = rng.integers(0, 3000, 20_000).astype(np.uint64)   # hits that resize: bytes grow, then evict
    sizes = rng.integers(1, 500, 20_000)

    def batch(i):
        c.access_many(keys, sizes)

    def reader(i):
        assert c.currsize <= 400_000
        s = c.stats
        assert s.bytes <= 400_000 and (s.hits + s.misses) % len(keys) == 0

    run_threads([batch, reader])


# ---------------------------------------------------------------- stress: balancer
def _topology():
    sites = [{"name": f"pa{s}", "backends": [{"name": f"pa{s}-{i}", "weight": 1 + i % 3,
                                               "capacity_rps": 500.0} for i in range(6)]}
             for s in (1, 2, 3)]
    return Topology.from_dict({"sites": sites})


@pytest.mark.stress
@pytest.mark.parametrize("policy", ["wrr", "p2c", "hash"])
def test_balancer_threads(policy, fast_switch):
    sb = SiteBalancer(_topology(), policy=policy, spill_on_capacity=True)
    n = 2000
    sites = np.arange(n, dtype=np.int32) % 3
    keys = np.arange(n, dtype=np.uint64) * 0x9E3779B97F4A7C15
    times = np.linspace(0, 2, n)
    batches = [0]

    def batch(i):
        sb.pick_many(sites, keys, times + i)
        batches[0] += 1

    def per_call(i):
        r = sb.pick(Key(f"pa{1 + i % 3}"), key=Key(f"s{i}"), now=Fraction(i, 1000))
        if r >= 0:
            sb.release(Key(sb.backend_name(r)))

    def health(i):
        sb.set_backend_up(Key(f"pa{1 + i % 3}-{i % 6}"), bool(i % 2))
        sb.set_site_up(i % 3, i % 7 != 0)
        sb.stats
        sb.in_flight()

    counts = run_threads([batch, per_call, per_call, health])
    sb._check()
    assert sb.stats.requests == batches[0] * n + counts[1] + counts[2]


# ---------------------------------------------------------------- regression: re-entry
def test_balancer_finalizer_during_health_change_raises_instead_of_deadlocking():
    # A finalizer run by the cyclic GC inside set_backend_up's refresh (Python code)
    # called pick/stats and waited forever on the lock its own thread held.
    out = run_isolated(f"""
        import gc, sys
        sys.path[:0] = {sys.path!r}
        from runiso_core import SiteBalancer, Topology
        t = Topology.from_dict({{"sites": [{{"name": "a", "backends": [{{"name": "a1"}}, {{"name": "a2"}}]}},
                                          {{"name": "b", "backends": [{{"name": "b1"}}]}}]}})
        sb = SiteBalancer(t)
        seen = []
        class Cycle:
            def __init__(self):
                self.me = self
            def __del__(self):
                try:
                    sb.pick("a")
                    seen.append("ran")
                except RuntimeError as e:
                    seen.append("re-entrant" if "re-entrant" in str(e) else str(e))
        gc.disable()
        gc.set_threshold(1)
        for i in range(200):
            for _ in range(50):
                Cycle()
            gc.enable()
            sb.set_backend_up("a1", i % 2 == 0)
            gc.disable()
        gc.collect()
        print(sorted(set(seen)))
    """, timeout=60)
    assert "re-entrant" in out or "ran" in out


def test_cache_finalizer_reentry_raises_instead_of_corrupting():
    # A value's finalizer that calls back into the cache while put() owns it.
    out = run_isolated(f"""
        import gc, sys
        sys.path[:0] = {sys.path!r}
        from runiso_core import LRUCache
        c = LRUCache(max_entries=50)
        seen = set()
        class Val:
            def __init__(self):
                self.me = self
            def __del__(self):
                try:
                    c.get("x")
                    seen.add("ran")
                except RuntimeError as e:
                    seen.add("re-entrant" if "re-entrant" in str(e) else str(e))
        gc.set_threshold(1)
        for i in range(5000):
            c.put(f"k{{i}}", Val())
        gc.collect()
        c._check()
        print(sorted(seen))
    """, timeout=60)
    assert "ran" in out or "re-entrant" in out


# ---------------------------------------------------------------- regression: memory errors
def test_hash_sequence_survives_a_list_mutated_while_hashing():
    # __index__ of one key shrank the list: reads of freed memory (ASan:
    # heap-use-after-free), a segfault in a normal build.
    keys = []

    class Shrinker:
        def __index__(self):
            keys.clear()
            gc.collect()
            return 7

    keys.extend([Shrinker()] + [f"key{i}" for i in range(1000)])
    snapshot = [7] + [hash64(f"key{i}") for i in range(1000)]
    assert _key_array(keys).tolist() == snapshot


def test_hash_sequence_takes_a_list_subclass_by_its_iteration():
    class Liar(list):
        def __len__(self):
            return 10**6

    keys = Liar(["a", "b", "c"])
    assert _key_array(keys).tolist() == [hash64("a"), hash64("b"), hash64("c")]
    c = LRUCache(max_entries=10)
    assert c.access_many(keys).tolist() == [False, False, False]


@pytest.mark.parametrize("cls", CACHES)
def test_uninitialised_cache_raises(cls):
    c = cls.__new__(cls)
    for op in (len, lambda c: 1 in c, lambda c: c.access(1), lambda c: c.access_fast(1),
               lambda c: c.access_many([1]), lambda c: c.put(1, 2), lambda c: c.get(1),
               lambda c: c.peek(1), lambda c: c.pop(1, None), lambda c: c._queue_of(1),
               lambda c: c._hand(), lambda c: c.stats, lambda c: c.currsize,
               lambda c: c.keys(), lambda c: c.expire(0.0), lambda c: c.clear(),
               lambda c: c.popitem(), lambda c: c.memory_bytes(), lambda c: c.capacity_bytes):
        with pytest.raises(RuntimeError, match="not initialised"):
            op(c)
    assert "not initialised" in repr(c)


def test_uninitialised_cores_cannot_be_made():
    for cls in (TokenBucket, KeyedTokenBuckets, SessionGate, SiteBalancer, MaglevTable):
        with pytest.raises(TypeError):
            cls.__new__(cls)


def test_consistent_hash_python_subclass_is_refused():
    class Mine(ConsistentHash):
        pass

    with pytest.raises(TypeError, match="cannot be subclassed"):
        Mine()
    with pytest.raises(TypeError, match="abstract"):
        ConsistentHash()


# ---------------------------------------------------------------- regression: integer overflow
BIG = 2**48 - 1


@pytest.mark.parametrize("cls", CACHES)
def test_byte_hits_do_not_overflow(cls):
    # 2**15 hits of a 2**48 - 1 byte object overflowed int64 byte_hits (UB;
    # negative counters and byte hit ratios above 1 in a normal build).
    n = 40_000
    c = cls(max_entries=4)
    c.access_many(np.zeros(n, dtype=np.uint64), np.full(n, BIG))
    s = c.stats
    assert s.byte_misses == BIG and s.byte_hits == (n - 1) * BIG
    assert s.byte_hit_ratio == pytest.approx((n - 1) / n)
    c.access(0, BIG)
    assert c.stats.byte_hits == n * BIG
    c.reset_stats()
    assert c.stats.byte_hits == 0 == c.stats.byte_misses


@pytest.mark.parametrize("cls,ref", [(LRUCache, _cache_py.LRURef), (SieveCache, _cache_py.SieveRef),
                                     (S3FIFOCache, None)])   # the S3-FIFO reference is O(n) per request
def test_resident_bytes_stay_within_int64(cls, ref):
    # An entry-bounded cache of 2**48-byte objects overflowed its resident byte total;
    # resident bytes are now bounded by 2**63 - 1 - 2**48 whatever the bounds.
    n = 33_000              # > (2**63 - 1 - 2**48) // (2**48 - 1) = 32767 resident
    keys = np.arange(n, dtype=np.uint64)
    sizes = np.full(n, BIG)
    c = cls(max_entries=100_000)
    hits = c.access_many(keys, sizes)
    assert 0 < c.currsize <= 2**63 - 1 - 2**48
    assert c.stats.evictions > 0
    if ref is not None:
        r = ref(max_entries=100_000)
        assert hits.tolist() == [r.access(int(k), BIG) for k in keys]
        assert c.currsize == r.bytes and len(c) == len(r.size)
    c._check()
    # and in proxy mode
    p = cls(max_entries=100_000)
    for i in range(n):
        p.put(i, None, size=BIG)
    assert 0 < p.currsize <= 2**63 - 1 - 2**48
    p._check()


def test_s3fifo_bounds_near_int64_max():
    # (int64_t)(cap * ghost_ratio) for cap near 2**63 was undefined behaviour.
    for cap in (2**63 - 2, 2**62 + 1):
        c = S3FIFOCache(capacity_bytes=cap, ghost_ratio=4.0, small_ratio=0.999)
        r = _cache_py.S3FIFORef(capacity_bytes=cap, ghost_ratio=4.0, small_ratio=0.999)
        keys = np.arange(1000, dtype=np.uint64) % 300
        assert c.access_many(keys, np.full(1000, BIG)).tolist() == [r.access(int(k), BIG) for k in keys]
        c._check()


# ---------------------------------------------------------------- regression: one rule per call and batch
def test_priority_rule_is_the_same_per_call_and_batch():
    g = SessionGate(new_sessions_rate=1, new_sessions_burst=1, max_active_sessions=1,
                    idle_timeout=1, shed_ttl=1, max_tracked=2)
    for bad in (2, 255):
        with pytest.raises(ValueError, match=rf"priority = {bad} is not a bool \(or 0/1\)"):
            g.decide("a", 0.0, priority=bad)
        with pytest.raises(ValueError, match=rf"priority\[1\] = {bad} is not a bool \(or 0/1\)"):
            g.decide_many(["a", "b"], [0.0, 0.0], np.array([1, bad], dtype=np.uint8))
        with pytest.raises(ValueError, match=rf"priority = {bad} is not a bool"):
            g.decide_many(["a", "b"], [0.0, 0.0], bad)
    with pytest.raises(TypeError, match="priority must be a bool"):
        g.decide("a", 0.0, priority="yes")
    with pytest.raises(TypeError, match="priority must be a bool array"):
        g.decide_many(["a"], [0.0], np.array([0.5]))
    a = g.decide_many(["x", "y", "z"], [1.0, 1.0, 1.0], np.array([0, 1, 1], dtype=np.int64))
    h = SessionGate(new_sessions_rate=1, new_sessions_burst=1, max_active_sessions=1,
                    idle_timeout=1, shed_ttl=1, max_tracked=2)
    assert a.tolist() == [int(h.decide(k, 1.0, priority=p)) for k, p in zip("xyz", (0, 1, True))]


def test_batch_column_errors_share_one_format():
    c = LRUCache(max_entries=4)
    k = KeyedTokenBuckets(1, 1, max_keys=4)
    g = SessionGate(new_sessions_rate=1, new_sessions_burst=1, max_active_sessions=1,
                    idle_timeout=1, shed_ttl=1, max_tracked=2)
    msg = "has 1 entries but {} has 2: lengths must match"
    with pytest.raises(ValueError, match="sizes " + msg.format("keys")):
        c.access_many([1, 2], [1])
    with pytest.raises(ValueError, match="times " + msg.format("keys")):
        k.try_acquire_many([1, 2], [0.0])
    with pytest.raises(ValueError, match="times " + msg.format("session_keys")):
        g.decide_many([1, 2], [0.0])
    with pytest.raises(ValueError, match="priority " + msg.format("session_keys")):
        g.decide_many([1, 2], [0.0, 0.0], np.array([True]))
    sb = SiteBalancer(_topology())
    with pytest.raises(ValueError, match="times " + msg.format("sites")):
        sb.pick_many(np.array([0, 1], dtype=np.int32), times=[0.0])
    for f in (lambda: c.access_many([1, 2], np.ones((2, 1), dtype=np.int64)),
              lambda: k.try_acquire_many([1], np.zeros((1, 1)))):
        with pytest.raises(ValueError, match="must be a 1-D array, got shape"):
            f()


# ---------------------------------------------------------------- regression: validated columns are private
class Mutator:
    """A column whose conversion (numpy's __array__) rewrites another column of the same
    call after that one was validated."""

    def __init__(self, target, values, result):
        self.target, self.values, self.result = target, values, result

    def __array__(self, dtype=None, copy=None):
        self.target[:] = self.values
        return np.asarray(self.result, dtype=dtype)


def test_pick_many_sites_changed_after_validation_cannot_index_out_of_bounds():
    sb = SiteBalancer(_topology())
    sites = np.zeros(8, dtype=np.int32)
    out = sb.pick_many(sites, times=Mutator(sites, 1_000_000, np.zeros(8)))
    assert all(sb.backend_site(int(b)) == 0 for b in out)    # the validated (zero) sites were used
    sb._check()


@pytest.mark.parametrize("cls", CACHES)
def test_access_many_sizes_changed_after_validation_are_not_used(cls):
    c = cls(capacity_bytes=10**6)
    sizes = np.ones(4, dtype=np.int64)
    c.access_many(np.arange(4, dtype=np.uint64), sizes,
                  times=Mutator(sizes, [0, -5, 2**60, 3], np.zeros(4)))
    assert c.stats.bytes == 4
    c._check()


def test_admission_times_changed_after_validation_are_not_used():
    def gate():
        return SessionGate(new_sessions_rate=1, new_sessions_burst=1, max_active_sessions=10,
                           idle_timeout=1, shed_ttl=1, max_tracked=10)
    times = np.array([1.0, 2.0, 3.0])
    want = gate().decide_many([1, 2, 3], times.copy())
    got = gate().decide_many([1, 2, 3], times, priority=Mutator(times, [-9.2e9, np.nan, 1e300],
                                                               np.zeros(3, dtype=bool)))
    assert got.tolist() == want.tolist()

    t2 = np.array([1.0, 2.0])

    class Sub(np.ndarray):
        @property
        def ndim(self):
            t2[:] = [-9.2e9, 4.6e9]
            return 1

    tb = TokenBucket(1, 5, initial=0)
    assert tb.try_acquire_many(t2, n=np.ones(2, dtype=np.int64).view(Sub)).tolist() == [False, True]
    assert tb.tokens(3.0) == pytest.approx(1.0)     # the clock is at 2 s, not 4.6e9 s


# ---------------------------------------------------------------- regression: proxy keys converted once
def test_proxy_key_is_an_exact_copy_made_once():
    c = LRUCache(max_entries=4)
    armed = [False]

    class E(str):
        __hash__ = str.__hash__

        def __eq__(self, o):       # would run between the lookup and the read
            if armed[0]:
                armed[0] = False
                c.pop("x")
                c.put("zzz", "WRONG VALUE")
            return str.__eq__(self, o)

    class S(str):
        def __str__(self):
            return E(str.__str__(self))

    c.put(S("x"), "x-value")
    armed[0] = True
    assert c.get("x") == "x-value" and c.get(S("x")) == "x-value"
    assert type(c.keys()[0]) is str
    c._check()

    class B(bytes):
        def __bytes__(self):
            return b"other"

    class I:
        n = 0

        def __index__(self):        # a different answer on every call
            I.n += 1
            return I.n

    c.put(B(b"raw"), 1)
    c.put(I(), 2)
    assert c.get(b"raw") == 1 and c.get("raw") == 1 and c.get(1) == 2
    c._check()
    with pytest.raises(TypeError, match="unsupported key type bool"):
        c.put(True, 3)


# ---------------------------------------------------------------- regression: no lock-order deadlock
def test_waiting_for_a_python_section_while_holding_another_is_refused(monkeypatch):
    # Python code run inside balancer A's section (its split is computed under its lock; in
    # real life a finalizer) calls balancer B, which another thread holds in its own Python
    # section: that thread may wait for A next (lock-order deadlock), so the call raises.
    from runiso_core import _balance
    from runiso_core._guard import _held
    real = _balance.site_traffic_split
    a_sb, b_sb = SiteBalancer(_topology()), SiteBalancer(_topology())
    inside_b, release_b = threading.Event(), threading.Event()
    owner = {}

    def split(*args, **kwargs):
        if owner.get(threading.get_ident()) == "b":
            inside_b.set()
            release_b.wait(30)      # B stays busy in a Python section (bounded)
        elif owner.get(threading.get_ident()) == "a":
            b_sb.pick("pa1")
        return real(*args, **kwargs)

    def hold_b():
        owner[threading.get_ident()] = "b"
        b_sb.set_backend_up("pa1-0", False)

    monkeypatch.setattr(_balance, "site_traffic_split", split)
    t = threading.Thread(target=hold_b, daemon=True)
    t.start()
    try:
        assert inside_b.wait(30)
        owner[threading.get_ident()] = "a"
        with pytest.raises(RuntimeError, match="waiting could deadlock"):
            a_sb.set_backend_up("pa2-0", False)
    finally:
        release_b.set()
        t.join(60)
    assert not t.is_alive() and _held() == 0
    assert a_sb.is_backend_up("pa2-0") and not b_sb.is_backend_up("pa1-0")   # A rolled back
    a_sb._check()
    b_sb._check()


def test_waiting_for_a_batch_while_holding_another_is_allowed(monkeypatch):
    # A batch without the GIL never waits for anything, so a thread inside another object
    # may wait for it: a release from A's section, while B runs pick_many, must not be lost.
    from runiso_core import _balance
    real = _balance.site_traffic_split
    a_sb, b_sb = SiteBalancer(_topology()), SiteBalancer(_topology())
    b_sb.pick_many(np.zeros(100, dtype=np.int32))
    sites = np.zeros(1_000_000, dtype=np.int32)
    started, done = threading.Event(), threading.Event()
    released = []

    def batch():
        end = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < end:
            started.set()
            b_sb.pick_many(sites)

    def split(*args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            b_sb.release(0)
            released.append(1)
        return real(*args, **kwargs)

    t = threading.Thread(target=batch, daemon=True)
    t.start()
    try:
        assert started.wait(30)
        monkeypatch.setattr(_balance, "site_traffic_split", split)
        for i in range(50):
            a_sb.set_backend_up("pa2-0", i % 2 == 1)   # a change each time: 50 refreshes
    finally:
        done.set()
        t.join(60)
    assert len(released) == 50 and not t.is_alive()
    a_sb._check()
    b_sb._check()


def test_a_subclass_that_lies_about_its_length_cannot_overrun_a_batch():
    # The validators read shape through the subclass (Python code): a fake length made the
    # C loops read past the buffer (segfault; ASan heap-buffer-overflow).
    n = 1 << 16

    class Liar(np.ndarray):
        shape = property(lambda self: (n,))
        size = property(lambda self: n)

    g = SessionGate(new_sessions_rate=1, new_sessions_burst=1, max_active_sessions=10,
                    idle_timeout=1, shed_ttl=1, max_tracked=10)
    keys = np.arange(n, dtype=np.uint64)
    short = np.array([1.0]).view(Liar)
    with pytest.raises(ValueError, match="lengths must match"):
        g.decide_many(keys, short)
    with pytest.raises(ValueError, match="lengths must match"):
        g.decide_many(keys, np.zeros(n), np.array([True]).view(Liar))
    with pytest.raises(ValueError, match="lengths must match"):
        KeyedTokenBuckets(1, 5, max_keys=4).try_acquire_many(keys, np.zeros(n),
                                                             np.array([1]).view(Liar))
    with pytest.raises(ValueError, match="lengths must match"):
        LRUCache(max_entries=4).access_many(keys, np.array([1]).view(Liar))
    with pytest.raises(ValueError, match="lengths must match"):
        LRUCache(max_entries=4).access_many(keys, times=short)
    with pytest.raises(ValueError, match="lengths must match"):
        SiteBalancer(_topology()).pick_many(np.zeros(n, dtype=np.int32), times=short)
    assert len(LRUCache(max_entries=4).access_many(np.arange(3, dtype=np.uint64).view(Liar))) == 3
