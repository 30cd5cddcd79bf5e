"""Admission: exact token buckets, keyed buckets, SessionGate (native vs reference, invariants)."""
import threading
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from _fuzz_util import BURSTS, GATE_CONFIGS, RATES
from runiso_core import Decision, KeyedTokenBuckets, SessionGate, TokenBucket, hash64
from runiso_core import _admission_py as ref

NS = 10**9
D = Decision


# ------------------------------------------------------------------ oracle
class RationalBucket:
    """The continuous model in exact rationals: tokens(t) = min(burst, tokens + rate * dt)."""

    def __init__(self, rate, burst, initial=None):
        self.rate = Fraction(round(rate * 1e9), NS)          # the documented quantisation
        self.burst = Fraction(round(burst * 1e9), NS)
        self.tokens = self.burst if initial is None else Fraction(round(initial * 1e9), NS)
        self.last = None

    def refill(self, t_ns):
        t = Fraction(t_ns, NS)
        if self.last is None or t > self.last:
            if self.last is not None:
                self.tokens = min(self.burst, self.tokens + self.rate * (t - self.last))
            self.last = t

    def try_acquire(self, t_ns, n=1):
        self.refill(t_ns)
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False


@st.composite
def ns_times(draw, n_max=200, gap_max=2 * NS, backwards=False):
    gaps = draw(st.lists(st.integers(-gap_max // 4 if backwards else 0, gap_max), min_size=1, max_size=n_max))
    t, out = draw(st.integers(0, 10**12)), []
    for g in gaps:
        t = max(0, t + g)
        out.append(t)
    return out


# ------------------------------------------------------------------ TokenBucket
def test_token_bucket_basics():
    b = TokenBucket(10, 20)
    assert b.tokens(100.0) == 20.0
    assert all(b.try_acquire(100.0) for _ in range(20))
    assert not b.try_acquire(100.0)
    assert b.time_until(100.0) == pytest.approx(0.1)
    assert not b.try_acquire(100.099999999)
    assert b.try_acquire(100.1)
    assert b.tokens(100.1) == 0.0
    assert b.time_until(100.1, 20) == pytest.approx(2.0)
    assert b.tokens(1000.0) == 20.0  # capped at the burst
    assert b.time_until(1000.0, 20) == 0.0


def test_initial_and_first_call_starts_clock():
    b = TokenBucket(1, 5, initial=0)
    assert b.tokens(1e6) == 0.0          # the clock starts at the first call
    assert not b.try_acquire(1e6)
    assert b.try_acquire(1e6 + 1)
    assert TokenBucket(1, 5, initial=2.5).tokens(3.0) == 2.5


def test_time_backwards_mints_nothing_and_never_raises():
    b = TokenBucket(1, 3)
    assert [b.try_acquire(10.0) for _ in range(4)] == [True, True, True, False]
    for t in (9.0, 5.0, 0.0, 9.999):
        assert not b.try_acquire(t)
        assert b.tokens(t) == 0.0
    assert b.try_acquire(11.0)       # one second after the max time seen, not after 0.0
    assert not b.try_acquire(11.0)


@settings(max_examples=150, deadline=None)
@given(RATES, BURSTS, st.data())
def test_token_bucket_equals_exact_rational_model(rate, burst, data):
    times = data.draw(ns_times(backwards=True))
    ns = data.draw(st.lists(st.integers(1, int(burst)), min_size=len(times), max_size=len(times)))
    b, o, r = TokenBucket(rate, burst), RationalBucket(rate, burst), ref.TokenBucket(rate, burst)
    for t, n in zip(times, ns):
        s = t / 1e9
        assert ref.sec_to_ns(s) == t or t > 2**53  # seconds <-> ns round-trips at this scale
        got = b.try_acquire(s, n)
        assert got == o.try_acquire(ref.sec_to_ns(s), n) == r.try_acquire(s, n)
    assert b.tokens(s) == r.tokens(s)
    assert b.time_until(s, int(burst)) == r.time_until(s, int(burst))


@settings(max_examples=40, deadline=None)
@given(RATES, BURSTS, st.integers(1, 10**7), st.integers(1, 3 * 10**10))
def test_continuous_asker_gets_burst_plus_rate_times_T(rate, burst, step, span):
    """Over [0, T] a client asking every `step` ns gets floor(burst + rate*T) (to one token)."""
    count = min(span // step + 1, 20_000)
    times = (np.arange(count, dtype=np.int64) * step) / 1e9
    b = TokenBucket(rate, burst)
    granted = int(b.try_acquire_many(times).sum())
    T = Fraction(int(count - 1) * step, NS)
    bound = Fraction(round(burst * 1e9), NS) + Fraction(round(rate * 1e9), NS) * T
    assert granted <= bound
    # Asking at least once per token and with room for 2 tokens the bucket never sits full
    # (with burst < 2, tokens minted while it is full between two asks are lost, as in the model).
    if step * Fraction(round(rate * 1e9), NS) <= NS and count > bound and burst >= 2:
        assert granted >= bound - 1


def test_time_until_is_exact_retry_after():
    b = TokenBucket(3, 2)
    assert b.try_acquire(5.0, 2)
    w = b.time_until(5.0, 2)             # 2 tokens at 3/s: 0.666666667 s (ceil to the ns)
    assert w == pytest.approx(2 / 3, abs=1e-9)
    assert not TokenBucket(3, 2, initial=0).try_acquire_many(np.array([5.0, 5.0 + w - 2e-9]), n=2)[1]
    assert b.try_acquire(5.0 + w + 1e-9, 2)


@settings(max_examples=60, deadline=None)
@given(RATES, BURSTS, st.data())
def test_token_bucket_batch_equals_per_call(rate, burst, data):
    times = [t / 1e9 for t in data.draw(ns_times(backwards=True))]
    ns = data.draw(st.lists(st.integers(1, int(burst)), min_size=len(times), max_size=len(times)))
    a = TokenBucket(rate, burst)
    per = [a.try_acquire(t, n) for t, n in zip(times, ns)]
    assert TokenBucket(rate, burst).try_acquire_many(np.array(times), np.array(ns)).tolist() == per
    per1 = [TokenBucket(rate, burst).try_acquire(t) for t in times[:1]]
    assert TokenBucket(rate, burst).try_acquire_many(times[:1]).tolist() == per1


def test_huge_elapsed_and_huge_rate_do_not_overflow():
    b = TokenBucket(1e9, 1e9)
    assert b.try_acquire(0.0, 10**9)
    assert b.tokens(4.6e9) == 1e9
    b = TokenBucket(1e-9, 1, initial=0)
    assert b.tokens(0.0) == 0.0
    assert b.tokens(4.6e9) == 1.0
    assert b.time_until(0.0) == 0.0
    b = TokenBucket(1e-9, 1)
    assert b.try_acquire(1.0) and not b.try_acquire(1.0)
    assert b.time_until(1.0) == pytest.approx(1e9)


@pytest.mark.parametrize("rate, burst", [(1e-9, 10), (1e-7, 1e3), (1e-9, 1e9), (0.5, 1e9)])
def test_slow_rate_big_burst_refill_time_beyond_int64_ns(rate, burst):
    # Refilling from empty takes burst / rate > 2**63 ns for the first three: the native
    # refill time used to wrap in int64 and the bucket refilled fully after any gap.
    b, r = TokenBucket(rate, burst, initial=0), ref.TokenBucket(rate, burst, initial=0)
    k = KeyedTokenBuckets(rate, burst, max_keys=4)
    assert k.try_acquire("c", 0.0, int(burst))      # empty its bucket
    for t in (1.0, 2.0, 1e6, 4.5e9):
        assert b.try_acquire(t) == r.try_acquire(t)
        assert b.tokens(t) == r.tokens(t)
        assert b.time_until(t, int(burst)) == r.time_until(t, int(burst))
    assert not TokenBucket(rate, burst, initial=0).try_acquire_many(np.array([0.0, 0.5, 1.0])).any()
    assert not k.try_acquire("c", 1.0)
    assert k.time_until("c", 1.0, int(burst)) == pytest.approx(int(burst) / rate - 1, rel=1e-9)


# ------------------------------------------------------------------ KeyedTokenBuckets
def _stream(draw, n_keys, n_max=300):
    keys = draw(st.lists(st.integers(0, n_keys - 1), min_size=1, max_size=n_max))
    gaps = draw(st.lists(st.integers(0, NS // 2), min_size=len(keys), max_size=len(keys)))
    return keys, (np.cumsum(gaps) / 1e9).tolist()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([1, 2, 3, 5, 16, 50]), st.sampled_from([0.5, 3, 10]), BURSTS, st.data())
def test_keyed_native_equals_reference_and_batch(max_keys, rate, burst, data):
    keys, times = _stream(data.draw, 12)
    ns = data.draw(st.lists(st.integers(1, int(burst)), min_size=len(keys), max_size=len(keys)))
    nat, rb = KeyedTokenBuckets(rate, burst, max_keys=max_keys), ref.KeyedTokenBuckets(rate, burst, max_keys=max_keys)
    per = []
    for k, t, n in zip(keys, times, ns):
        assert nat.time_until(k, t, n) == rb.time_until(k, t, n)
        per.append(nat.try_acquire(k, t, n))
        assert per[-1] == rb.try_acquire(k, t, n)
    assert nat.stats == rb.stats and len(nat) == len(rb) <= max_keys
    batch = KeyedTokenBuckets(rate, burst, max_keys=max_keys)
    assert batch.try_acquire_many(np.array(keys, dtype=np.uint64), np.array(times), np.array(ns)).tolist() == per
    assert batch.stats == nat.stats


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_keyed_without_eviction_is_one_token_bucket_per_key(data):
    keys, times = _stream(data.draw, 6)
    k = KeyedTokenBuckets(2, 3, max_keys=6)
    singles = {}
    for key, t in zip(keys, times):
        got = k.try_acquire(key, t)
        assert got == singles.setdefault(key, TokenBucket(2, 3)).try_acquire(t)
    assert k.stats["evicted"] == k.stats["reclaimed"] == 0


def test_keys_str_bytes_and_prehashed_int_are_the_same_key():
    k = KeyedTokenBuckets(1, 2, max_keys=4)
    assert k.try_acquire("10.0.0.1", 0.0)
    assert k.try_acquire(b"10.0.0.1", 0.0)
    assert not k.try_acquire(hash64("10.0.0.1"), 0.0)
    assert len(k) == 1
    out = k.try_acquire_many(["a", b"a", hash64("a")], [0.0, 0.0, 0.0])
    assert out.tolist() == [True, True, False]


def test_memory_is_bounded_whatever_keys_arrive():
    k = KeyedTokenBuckets(1, 5, max_keys=1000)
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**63, 200_000, dtype=np.uint64)
    k.try_acquire_many(keys, np.zeros(len(keys)))
    assert len(k) == 1000
    assert k.stats["evicted"] == 199_000
    assert k.memory_bytes == 2048 * 4 + 1000 * 36      # fixed at construction
    assert k.memory_bytes / k.max_keys <= 48
    # random 64-bit keys then a second wave: table keeps working (no tombstone degradation)
    k.try_acquire_many(keys[::-1].copy(), np.full(len(keys), 1.0))
    assert len(k) == 1000


@pytest.mark.parametrize("max_keys", [1, 2, 3, 7, 100, 3073, 10_000, 12_288, 12_289])
def test_memory_per_key_at_most_48_bytes(max_keys):
    k = KeyedTokenBuckets(1, 5, max_keys=max_keys)
    g = SessionGate(new_sessions_rate=1, new_sessions_burst=1, max_active_sessions=1, idle_timeout=1,
                    shed_ttl=1, max_tracked=max_keys)
    assert k.memory_bytes / max_keys <= 48 and g.memory_bytes / max_keys <= 48
    keys = np.arange(3 * max_keys, dtype=np.uint64)
    k.try_acquire_many(keys, np.zeros(len(keys)))
    g.decide_many(keys, np.zeros(len(keys)))
    assert len(k) == max_keys and len(g) == max_keys


def test_full_buckets_are_reclaimed_before_lru_eviction():
    k = KeyedTokenBuckets(1, 2, max_keys=2)
    assert k.try_acquire("a", 0.0, 2)      # a: empty, full again at t=2.0
    assert k.try_acquire("b", 0.5)         # b: 1 token left, full again at t=1.5
    assert k.try_acquire("c", 1.8)         # table full; a (LRU) is not full, b is -> b reclaimed
    assert k.stats == {"acquired": 3, "refused": 0, "evicted": 0, "reclaimed": 1}
    assert not k.try_acquire("a", 1.8, 2)  # a kept its state: 1.8 tokens
    assert k.try_acquire("b", 1.8, 2)      # b == absent == full


def test_lru_eviction_fairness_consequence():
    k = KeyedTokenBuckets(1, 2, max_keys=2)
    assert k.try_acquire("a", 0.0, 2) and not k.try_acquire("a", 0.0)
    k.try_acquire("b", 0.0, 2)
    k.try_acquire("c", 0.0, 2)             # nobody is full: a (least recently seen) is evicted
    assert k.stats["evicted"] == 1
    assert k.try_acquire("a", 0.0, 2)      # a comes back with a full bucket
    assert k.time_until("a", 0.5) == 0.5 and k.time_until("a", 0.5, 2) == 1.5
    assert k.time_until("unknown", 0.5, 2) == 0.0 and len(k) == 2   # read-only


# ------------------------------------------------------------------ SessionGate
GATE = dict(new_sessions_rate=2, new_sessions_burst=3, max_active_sessions=4,
            idle_timeout=1.0, shed_ttl=0.5, max_tracked=12)


def test_gate_walkthrough():
    g = SessionGate(**GATE)   # 2 new/s, burst 3, cap 4 active, idle 1 s, shed 0.5 s
    assert [g.decide(f"s{i}", 0.0) for i in range(4)] == [D.ADMITTED_NEW] * 3 + [D.SHED_NEW]
    assert g.decide("s3", 0.2) is D.SHED_STICKY           # shed within shed_ttl
    assert g.decide("s0", 0.9) is D.ADMITTED_ACTIVE
    assert g.decide("s3", 0.3) is D.ADMITTED_NEW          # clock is 0.9 (max seen): shed over, 1.8 tokens
    assert g.decide("x", 1.0) is D.SHED_NEW               # 4 active: cap reached
    assert g.decide("p", 1.0, priority=True) is D.ADMITTED_PRIORITY
    assert g.active_sessions(1.0) == 5                    # priority goes above the cap
    assert g.decide("s1", 1.0) is D.ADMITTED_ACTIVE       # exactly idle_timeout after its last request
    assert g.decide("x", 1.1, priority=True) is D.ADMITTED_PRIORITY   # promoted from shed
    assert g.active_sessions(1.1) == 5                    # s2 (idle since 0.0) expired
    assert g.decide("s2", 1.1) is D.SHED_NEW              # a new visit; 5 active >= cap
    assert g.stats == dict(admitted_active=2, admitted_new=4, admitted_priority=2, shed_new=3,
                           shed_sticky=1, expired=1, unstuck=1, evicted_shed=0, untracked=0)
    assert len(g) == 6


@st.composite
def arrivals(draw, n_sessions=15, n_max=250):
    keys = draw(st.lists(st.integers(0, n_sessions - 1), min_size=1, max_size=n_max))
    gaps = draw(st.lists(st.sampled_from([0, 1, 10, 50, 100, 300, 700, 1500, -40, -400]),
                         min_size=len(keys), max_size=len(keys)))
    prio = draw(st.lists(st.booleans().map(lambda b: b and draw(st.integers(0, 9)) == 0),
                         min_size=len(keys), max_size=len(keys)))
    times = (np.maximum(np.cumsum(gaps), 0) / 1000.0).tolist()   # ms steps, sometimes backwards
    return keys, times, prio


@settings(max_examples=120, deadline=None)
@given(GATE_CONFIGS, arrivals())
def test_gate_native_equals_reference_and_batch(cfg, stream):
    keys, times, prio = stream
    nat, rg = SessionGate(**cfg), ref.SessionGate(**cfg)
    per = []
    for k, t, p in zip(keys, times, prio):
        d = nat.decide(k, t, priority=p)
        assert d == rg.decide(k, t, priority=p)
        assert len(nat) == len(rg) <= cfg["max_tracked"]
        per.append(int(d))
    assert nat.stats == rg.stats
    b = SessionGate(**cfg)
    assert b.decide_many(np.array(keys, dtype=np.uint64), times, np.array(prio)).tolist() == per
    assert b.stats == nat.stats
    assert nat.active_sessions(times[-1]) == rg.active_sessions(times[-1]) == b.active_sessions(times[-1])


@settings(max_examples=120, deadline=None)
@given(GATE_CONFIGS, arrivals())
def test_gate_invariants(cfg, stream):
    keys, times, prio = stream
    g = SessionGate(**cfg)
    idle = cfg["idle_timeout"]
    admitted_at = {}          # session -> time of its last request while admitted (and tracked)
    new_times = []
    clock = 0.0
    for k, t, p in zip(keys, times, prio):
        clock = t = max(clock, t)      # the gate's clock is the largest time seen
        active_before = g.active_sessions(t)
        untracked_before = g.stats["untracked"]
        d = g.decide(k, t, priority=p)
        tracked = g.stats["untracked"] == untracked_before
        if p:
            assert d < D.SHED_NEW, "a priority request is never shed"
        last = admitted_at.get(k)
        if last is not None and t - last <= idle:
            assert d == D.ADMITTED_ACTIVE, "an admitted session is never shed while active"
        if d == D.ADMITTED_NEW:
            assert active_before < cfg["max_active_sessions"]
            new_times.append(t)
        if d < D.SHED_NEW and tracked:
            admitted_at[k] = t
        elif last is not None and t - last > idle:
            admitted_at.pop(k, None)
        assert len(g) <= cfg["max_tracked"]
        assert g.active_sessions(t) <= max(cfg["max_active_sessions"], g.stats["admitted_priority"] + cfg["max_active_sessions"])
    rate, burst = cfg["new_sessions_rate"], cfg["new_sessions_burst"]
    for i in range(len(new_times)):
        for j in range(i, len(new_times)):
            assert j - i + 1 <= burst + rate * (new_times[j] - new_times[i]) + 1e-6


def test_gate_table_full_of_active_sessions():
    g = SessionGate(new_sessions_rate=100, new_sessions_burst=100, max_active_sessions=2,
                    idle_timeout=10, shed_ttl=10, max_tracked=3)
    assert g.decide("a", 0.0) is D.ADMITTED_NEW and g.decide("b", 0.0) is D.ADMITTED_NEW
    assert g.decide("c", 0.0) is D.SHED_NEW                    # tracked as shed (sticky)
    assert g.decide("p", 0.0, priority=True) is D.ADMITTED_PRIORITY   # drops c's shed entry
    assert g.stats["evicted_shed"] == 1 and len(g) == 3
    assert g.decide("c", 0.0) is D.SHED_NEW                    # full of active: shed, untracked
    assert g.decide("q", 0.0, priority=True) is D.ADMITTED_PRIORITY   # served, untracked
    assert g.stats["untracked"] == 2 and len(g) == 3
    assert g.decide("q", 0.0) is D.SHED_NEW                    # q was not remembered
    assert g.decide("a", 5.0) is D.ADMITTED_ACTIVE             # tracked sessions unaffected


def test_gate_idle_expiry_is_lazy_and_frees_slots():
    g = SessionGate(new_sessions_rate=1000, new_sessions_burst=1000, max_active_sessions=100,
                    idle_timeout=1.0, shed_ttl=1.0, max_tracked=100)
    assert (g.decide_many(list(range(100)), np.zeros(100)) == D.ADMITTED_NEW).all()
    assert g.active_sessions(1.0) == 100                       # exactly idle_timeout: still active
    assert g.active_sessions(1.000000001) == 0
    assert g.stats["expired"] == 100 and len(g) == 0


# ------------------------------------------------------------------ threads
def test_threads_mixing_per_call_and_batch():
    kb = KeyedTokenBuckets(5, 10, max_keys=4000)
    gate = SessionGate(new_sessions_rate=50, new_sessions_burst=20, max_active_sessions=300,
                       idle_timeout=2.0, shed_ttl=1.0, max_tracked=1000)
    n_threads, per_thread = 4, 20_000
    results = {}

    def work(tid):
        rng = np.random.default_rng(tid)
        keys = (rng.integers(0, 500, per_thread) + tid * 1000).astype(np.uint64)   # disjoint keys
        times = np.sort(rng.random(per_thread) * 20.0)
        out = np.empty(per_thread, dtype=bool)
        for lo in range(0, per_thread, 1000):
            hi = lo + 1000
            if (lo // 1000) % 2:
                out[lo:hi] = kb.try_acquire_many(keys[lo:hi], times[lo:hi])
            else:
                out[lo:hi] = [kb.try_acquire(int(k), float(t)) for k, t in zip(keys[lo:hi], times[lo:hi])]
            gate.decide_many(keys[lo:hi], times[lo:hi], keys[lo:hi] % 7 == 0)
            for k, t in zip(keys[lo:lo + 100], times[lo:lo + 100]):
                gate.decide(int(k), float(t))
        results[tid] = (keys, times, out)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = n_threads * per_thread
    st_ = kb.stats
    assert st_["acquired"] + st_["refused"] == total and st_["evicted"] == 0
    for tid, (keys, times, out) in results.items():
        # keys are disjoint per thread: each thread's decisions equal a sequential run
        alone = KeyedTokenBuckets(5, 10, max_keys=4000).try_acquire_many(keys, times)
        assert (out == alone).all()
    g = gate.stats
    assert sum(g[d.name.lower()] for d in Decision) == total + n_threads * 20 * 100
    assert len(gate) <= 1000


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(rate=0, burst=5), ValueError, "rate"),
    (dict(rate=-1, burst=5), ValueError, "rate"),
    (dict(rate=float("nan"), burst=5), ValueError, "rate"),
    (dict(rate=float("inf"), burst=5), ValueError, "rate"),
    (dict(rate="10", burst=5), TypeError, "rate"),
    (dict(rate=1, burst=0.5), ValueError, "burst"),
    (dict(rate=1, burst=float("nan")), ValueError, "burst"),
    (dict(rate=1, burst=True), TypeError, "burst"),
    (dict(rate=1, burst=5, initial=6), ValueError, "initial"),
    (dict(rate=1, burst=5, initial=-1), ValueError, "initial"),
])
def test_bad_bucket_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        TokenBucket(**kwargs)


@pytest.mark.parametrize("now,n,exc,match", [
    (-1.0, 1, ValueError, "now"), (float("nan"), 1, ValueError, "now"), (float("inf"), 1, ValueError, "now"),
    (5e9, 1, ValueError, "now"), ("1.0", 1, TypeError, "now"), (None, 1, TypeError, "now"),
    (1.0, 6, ValueError, "n=6"), (1.0, 0, ValueError, "n"), (1.0, 1.5, TypeError, "n"), (1.0, 2**70, ValueError, "n"),
])
def test_bad_per_call_args(now, n, exc, match):
    for f in (TokenBucket(1, 5).try_acquire, TokenBucket(1, 5).time_until,
              lambda now, n: KeyedTokenBuckets(1, 5, max_keys=2).try_acquire("k", now, n)):
        with pytest.raises(exc, match=match):
            f(now, n)


def test_int_times_accepted():
    assert TokenBucket(1, 1).try_acquire(3) is True


@pytest.mark.parametrize("n", [np.array([10**10], dtype=np.int64), np.array([2**63 + 5], dtype=np.uint64),
                               np.array([1, 9_223_372_037], dtype=np.int64)])
def test_batch_n_far_above_burst_raises(n):
    # n * 1e9 used to wrap in int64 during the check: the request then *added* tokens
    b = TokenBucket(1, 5)
    with pytest.raises(ValueError, match="more than the burst|does not fit in int64"):
        b.try_acquire_many(np.zeros(len(n)), n)
    k = KeyedTokenBuckets(1, 5, max_keys=4)
    with pytest.raises(ValueError, match="more than the burst|does not fit in int64"):
        k.try_acquire_many(np.arange(len(n), dtype=np.uint64), np.zeros(len(n)), n)
    assert b.tokens(0.0) == 5.0 and len(k) == 0


def test_bad_keys_and_arrays():
    k = KeyedTokenBuckets(1, 5, max_keys=2)
    with pytest.raises(ValueError, match="key"):
        k.try_acquire(-1, 0.0)
    with pytest.raises(TypeError, match="key"):
        k.try_acquire(1.5, 0.0)
    with pytest.raises(ValueError, match="times has 2 entries but keys has 3"):
        k.try_acquire_many([1, 2, 3], [0.0, 1.0])
    with pytest.raises(TypeError, match="times"):
        k.try_acquire_many([1], np.array(["x"]))
    with pytest.raises(ValueError, match=r"times\[1\]"):
        k.try_acquire_many([1, 2], np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"times\[0\]"):
        k.try_acquire_many([1], [-1.0])
    with pytest.raises(TypeError, match="keys"):
        k.try_acquire_many(np.array([1.0]), [0.0])
    with pytest.raises(ValueError, match=r"n\[1\]=9"):
        k.try_acquire_many([1, 2], [0.0, 0.0], np.array([1, 9]))
    with pytest.raises(TypeError, match="n"):
        k.try_acquire_many([1], [0.0], np.array([1.0]))
    with pytest.raises(ValueError, match="max_keys"):
        KeyedTokenBuckets(1, 5, max_keys=0)
    with pytest.raises(TypeError, match="max_keys"):
        KeyedTokenBuckets(1, 5, max_keys=2.0)
    assert k.try_acquire_many([], []).tolist() == []
    assert TokenBucket(1, 1).try_acquire_many([]).tolist() == []
    assert SessionGate(**GATE).decide_many([], []).tolist() == []
    assert len(k) == 0 and k.stats["acquired"] == 0          # failed calls changed nothing


def test_bad_gate_input():
    ok = dict(GATE)
    for field, value, exc in [("new_sessions_rate", 0, ValueError), ("new_sessions_burst", 0, ValueError),
                              ("max_active_sessions", 0, ValueError), ("idle_timeout", 0, ValueError),
                              ("idle_timeout", float("nan"), ValueError), ("shed_ttl", -1, ValueError),
                              ("max_tracked", 3, ValueError), ("max_tracked", "9", TypeError)]:
        with pytest.raises(exc, match=field):
            SessionGate(**{**ok, field: value})
    g = SessionGate(**ok)
    with pytest.raises(TypeError, match="priority"):
        g.decide("a", 0.0, priority="yes")
    with pytest.raises(TypeError, match="priority"):
        g.decide_many(["a"], [0.0], np.array([0.5]))
    with pytest.raises(ValueError, match="priority"):
        g.decide_many(["a", "b"], [0.0, 0.0], np.array([True]))
    with pytest.raises(ValueError, match="times has 1 entries but session_keys has 2"):
        g.decide_many(["a", "b"], [0.0])
    with pytest.raises(ValueError, match="now"):
        g.decide("a", -0.5)
    assert g.stats["shed_new"] == 0 and len(g) == 0
