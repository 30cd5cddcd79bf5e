"""SiteBalancer behaviour: NGINX smooth WRR, p2c, consistent hashing with bounded load,
Envoy failover, capacity-aware spillover, errors, threads."""
import math
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from runiso_core import NO_BACKEND, OVERFLOW, SiteBalancer, Topology


def topo(spec, cap=math.inf):
    """spec: {site: [weights...]} or {site: (share, [weights])}; backends named <site>-<i>."""
    sites = []
    for name, v in spec.items():
        share, ws = v if isinstance(v, tuple) else (1, v)
        sites.append({"name": name, "share": share,
                      "backends": [{"name": f"{name}-{i}", "weight": w, "capacity_rps": cap}
                                   for i, w in enumerate(ws)]})
    return Topology.from_dict({"sites": sites})


def three_by_ten(cap=math.inf):
    return topo({f"pa{s}": [1 + (i % 3) for i in range(10)] for s in (1, 2, 3)}, cap)


# ---- wrr -------------------------------------------------------------------------------------
def test_wrr_nginx_sequence_5_1_1():
    t = Topology.from_dict({"sites": [{"name": "s", "backends": [
        {"name": "a", "weight": 5}, {"name": "b", "weight": 1}, {"name": "c", "weight": 1}]}]})
    sb = SiteBalancer(t)
    seq = "".join(sb.backend_name(sb.pick("s")) for _ in range(14))
    assert seq == "aabacaa" * 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=6))
def test_wrr_any_window_of_sum_w_picks_is_exact(weights):
    t = topo({"s": weights})
    sb = SiteBalancer(t)
    W = sum(weights)
    picks = sb.pick_many(np.zeros(3 * W, dtype=np.int32))
    for start in range(0, 2 * W + 1):
        counts = np.bincount(picks[start:start + W], minlength=len(weights))
        assert list(counts) == weights


def test_wrr_skips_down_backends_and_keeps_weights():
    t = topo({"s": [3, 2, 1, 1]})
    sb = SiteBalancer(t)
    sb.set_backend_up("s-1", False)
    picks = sb.pick_many(np.zeros(500, dtype=np.int32))
    assert np.bincount(picks, minlength=4).tolist() == [300, 0, 100, 100]


# ---- p2c -------------------------------------------------------------------------------------
def test_p2c_is_seeded_and_prefers_idle_backends():
    t = topo({"s": [1] * 8})
    a, b, c = (SiteBalancer(t, policy="p2c", seed=s) for s in (7, 7, 8))
    sa = [a.pick(0) for _ in range(200)]
    assert sa == [b.pick(0) for _ in range(200)]
    assert sa != [c.pick(0) for _ in range(200)]
    # Without releases, in-flight grows; p2c keeps the spread tight (max - min small).
    counts = a.in_flight()
    assert counts.sum() == 200 and counts.max() - counts.min() <= 3


def test_p2c_weighted_score():
    # Two backends, weight 3 vs 1: w/(active+1) steers ~3/4 of the in-flight to the heavy one.
    t = topo({"s": [3, 1]})
    sb = SiteBalancer(t, policy="p2c", inflight_window=None)
    sb.pick_many(np.zeros(4000, dtype=np.int32))
    act = sb.in_flight()
    assert act[0] / act.sum() == pytest.approx(0.75, abs=0.01)


def test_release_and_unmatched_release():
    t = topo({"s": [1, 1]})
    sb = SiteBalancer(t, policy="p2c", inflight_window=None)
    b = sb.pick(0)
    assert sb.in_flight()[b] == 1
    sb.release(b)
    assert sb.in_flight()[b] == 0
    sb.release(sb.backend_name(b))
    assert sb.stats.unmatched_releases == 1


def test_inflight_window_resets_counts():
    t = topo({"s": [1, 1]})
    sb = SiteBalancer(t, policy="p2c", inflight_window=1.0)
    for i in range(10):
        sb.pick(0, now=0.5)
    assert sb.in_flight().sum() == 10
    sb.pick(0, now=1.0)
    assert sb.in_flight().sum() == 1


# ---- hash ------------------------------------------------------------------------------------
@pytest.mark.parametrize("algo", ["maglev", "ketama"])
def test_hash_sticky_and_only_failed_backend_moves(algo):
    t = topo({"s": [1] * 10})
    sb = SiteBalancer(t, policy="hash", hash_algorithm=algo)
    keys = np.arange(20000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    sites = np.zeros(len(keys), dtype=np.int32)
    before = sb.pick_many(sites, keys)
    assert np.array_equal(before, sb.pick_many(sites, keys))
    assert [sb.pick(0, key=int(k)) for k in keys[:100]] == before[:100].tolist()
    dead = t.backend_index("s-4")
    sb.set_backend_up("s-4", False)
    after = sb.pick_many(sites, keys)
    assert not np.any(after == dead)
    moved_other = np.mean((before != after) & (before != dead))
    if algo == "ketama":
        assert moved_other == 0
    else:
        assert moved_other < 0.02  # Maglev: near-minimal disruption
    sb.set_backend_up("s-4", True)
    assert np.array_equal(before, sb.pick_many(sites, keys))


def test_hash_string_keys_equal_prehashed():
    from runiso_core import hash64
    t = topo({"s": [1, 2, 3]})
    sb = SiteBalancer(t, policy="hash")
    keys = [f"/product/{i}" for i in range(300)]
    a = sb.pick_many(np.zeros(300, np.int32), keys)
    b = [sb.pick(0, key=hash64(k)) for k in keys]
    assert a.tolist() == b


def test_hash_bounded_load_caps_every_backend():
    t = topo({"s": [1] * 10})
    c = 1.25
    sb = SiteBalancer(t, policy="hash", balance_factor=c, inflight_window=None)
    # A hot key: without bounds every request would land on one backend.
    for n in range(1, 2001):
        sb.pick(0, key="hot")
        act = sb.in_flight()
        assert act.max() <= math.ceil(c * n / 10)
    assert sb.stats.bounded_walks > 0
    free = SiteBalancer(t, policy="hash", inflight_window=None)
    for _ in range(100):
        free.pick(0, key="hot")
    assert free.in_flight().max() == 100


def test_hash_requires_keys():
    sb = SiteBalancer(topo({"s": [1]}), policy="hash")
    with pytest.raises(TypeError, match="key is required"):
        sb.pick(0)
    with pytest.raises(TypeError, match="keys are required"):
        sb.pick_many(np.zeros(3, np.int32))


# ---- locality / failover ----------------------------------------------------------------------
def test_stays_local_while_healthy_then_fails_over():
    t = three_by_ten()
    sb = SiteBalancer(t)
    got = sb.pick_many(np.full(3000, 1, np.int32))
    assert {t.backend_sites[b] for b in got} == {1}
    sb.set_site_up("pa2", False)
    got = sb.pick_many(np.full(3000, 1, np.int32))
    sites = np.array(t.backend_sites)[got]
    assert np.bincount(sites, minlength=3).tolist() == [1500, 0, 1500]
    st_ = sb.stats
    assert st_.local == 3000 and st_.spilled == 3000


def test_partial_failure_follows_envoy_split_exactly():
    # Half of pa1's weight down: health 70 -> 70 % stays, 30 % spills evenly (smooth WRR over ppm).
    t = topo({"pa1": [1] * 10, "pa2": [1] * 10, "pa3": [1] * 10})
    sb = SiteBalancer(t)
    for i in range(5):
        sb.set_backend_up(f"pa1-{i}", False)
    got = sb.pick_many(np.zeros(1_000_000, np.int32))
    sites = np.bincount(np.array(t.backend_sites)[got], minlength=3)
    assert sites.tolist() == [700_000, 150_000, 150_000]


def test_hash_site_choice_is_sticky_under_spill():
    t = topo({"pa1": [1] * 10, "pa2": [1] * 10})
    sb = SiteBalancer(t, policy="hash")
    for i in range(5):
        sb.set_backend_up(f"pa1-{i}", False)
    keys = np.arange(50_000, dtype=np.uint64) * np.uint64(11400714819323198485)
    a = sb.pick_many(np.zeros(len(keys), np.int32), keys)
    b = sb.pick_many(np.zeros(len(keys), np.int32), keys)
    assert np.array_equal(a, b)
    spilled = np.mean(np.array(t.backend_sites)[a] == 1)
    assert spilled == pytest.approx(0.30, abs=0.01)


def test_panic_routes_to_all_backends():
    t = topo({"s": [1] * 10})
    sb = SiteBalancer(t)
    for i in range(6):
        sb.set_backend_up(f"s-{i}", False)
    got = sb.pick_many(np.zeros(100, np.int32))
    assert len(set(got.tolist())) == 10  # 40 % healthy < 50 %: Envoy panic, all hosts
    assert sb.stats.panic == 100
    sb0 = SiteBalancer(t, panic_threshold=0.0)
    for i in range(6):
        sb0.set_backend_up(f"s-{i}", False)
    got = sb0.pick_many(np.zeros(100, np.int32))
    assert set(got.tolist()) == {6, 7, 8, 9}


@pytest.mark.parametrize("policy", ["wrr", "p2c", "hash"])
def test_all_down_returns_no_backend(policy):
    t = three_by_ten()
    sb = SiteBalancer(t, policy=policy)
    for s in t.site_names:
        sb.set_site_up(s, False)
    assert sb.pick("pa1", key="k") == NO_BACKEND
    out = sb.pick_many(np.array([0, 1, 2], np.int32), np.arange(3, dtype=np.uint64))
    assert out.tolist() == [NO_BACKEND] * 3
    for s in t.site_names:
        sb.set_site_up(s, True)
    for b in t.backend_names:
        sb.set_backend_up(b, False)
    assert sb.pick(0, key="k") == NO_BACKEND
    assert sb.stats.no_backend == 5


# ---- capacity-aware spillover ------------------------------------------------------------------
def test_capacity_spill_and_overflow():
    t = topo({"pa1": [1, 1], "pa2": [1, 1], "pa3": [1, 1]}, cap=50)  # 100 rps per site
    sb = SiteBalancer(t, spill_on_capacity=True)
    n = 400
    got = sb.pick_many(np.zeros(n, np.int32), times=np.linspace(0.0, 0.999, n))
    sites = np.array(t.backend_sites)[got[got >= 0]]
    assert np.bincount(sites, minlength=3).tolist() == [100, 100, 100]
    assert (got == OVERFLOW).sum() == 100
    st_ = sb.stats
    assert (st_.local, st_.capacity_spilled, st_.overflow) == (100, 200, 100)
    # The next second starts with fresh capacity.
    assert t.backend_sites[sb.pick(0, now=1.0)] == 0
    # the one rule for `now` (README, Conventions): required where the answer
    # depends on the time, and its absence is a TypeError, as in every core
    with pytest.raises(TypeError, match="now is required"):
        sb.pick(0)
    with pytest.raises(TypeError, match="times are required"):
        sb.pick_many(np.zeros(2, np.int32))


def test_capacity_spill_prefers_most_headroom_and_counts_healthy_capacity():
    t = topo({"pa1": [1], "pa2": [1, 1, 1], "pa3": [1, 1]}, cap=10)
    sb = SiteBalancer(t, spill_on_capacity=True)
    sb.set_backend_up("pa2-0", False)  # pa2: 20 rps healthy, pa3: 20 rps
    got = sb.pick_many(np.zeros(60, np.int32), times=np.zeros(60))
    sites = np.array(t.backend_sites)[got[got >= 0]]
    assert np.bincount(sites, minlength=3).tolist() == [10, 20, 20]
    assert (got == OVERFLOW).sum() == 10


# ---- per-call == batch -------------------------------------------------------------------------
@pytest.mark.parametrize("policy,kw", [("wrr", {}), ("p2c", {"seed": 3}), ("hash", {}),
                                       ("hash", {"balance_factor": 1.1, "hash_algorithm": "ketama"}),
                                       ("wrr", {"spill_on_capacity": True})])
def test_per_call_equals_batch(policy, kw):
    t = three_by_ten(cap=30)
    rng = np.random.default_rng(5)
    n = 5000
    sites = rng.integers(0, 3, n).astype(np.int32)
    keys = rng.integers(0, 2**63, n, dtype=np.uint64) % np.uint64(300)
    times = np.sort(rng.uniform(0, 5, n))
    a, b = SiteBalancer(t, policy=policy, **kw), SiteBalancer(t, policy=policy, **kw)
    for x in (a, b):
        x.set_backend_up("pa1-3", False)
        x.set_site_up("pa3", False)
    batch = a.pick_many(sites, keys, times)
    single = [b.pick(int(s), key=int(k), now=float(tm)) for s, k, tm in zip(sites, keys, times)]
    assert batch.tolist() == single
    assert a.stats == b.stats
    s = a.stats
    assert s.local + s.spilled + s.capacity_spilled + s.no_backend + s.overflow == s.requests == n


def test_site_names_in_batch():
    t = three_by_ten()
    sb = SiteBalancer(t)
    out = sb.pick_many(np.array(["pa2", "pa2", "pa3"]))
    assert [t.backend_sites[b] for b in out] == [1, 1, 2]
    assert [t.backend_sites[b] for b in sb.pick_many(["pa1"])] == [0]


# ---- bad input --------------------------------------------------------------------------------
def test_constructor_errors():
    t = three_by_ten()
    for kw, exc, msg in [
        ({"policy": "rr"}, ValueError, "policy must be one of"),
        ({"overprovisioning": 0.5}, ValueError, "overprovisioning must be a finite number >= 1"),
        ({"overprovisioning": float("nan")}, ValueError, "overprovisioning"),
        ({"panic_threshold": -0.1}, ValueError, r"panic_threshold must be in \[0, 1\]"),
        ({"panic_threshold": 2}, ValueError, "panic_threshold"),
        ({"hash_algorithm": "md5", "policy": "hash"}, ValueError, "hash_algorithm"),
        ({"policy": "hash", "balance_factor": 0.9}, ValueError, "balance_factor must be a finite number >= 1"),
        ({"balance_factor": 1.5}, ValueError, "balance_factor applies to policy='hash' only"),
        ({"seed": -1}, ValueError, "seed"),
        ({"inflight_window": 0}, ValueError, "inflight_window"),
        ({"spill_on_capacity": 1}, TypeError, "spill_on_capacity must be a bool"),
    ]:
        with pytest.raises(exc, match=msg):
            SiteBalancer(t, **kw)
    with pytest.raises(TypeError, match="topology must be a runiso_core.Topology"):
        SiteBalancer({"sites": []})


def test_call_errors():
    t = three_by_ten()
    sb = SiteBalancer(t)
    with pytest.raises(ValueError, match="unknown site name 'pa9'"):
        sb.pick("pa9")
    with pytest.raises(ValueError, match=r"site index 3 out of range \[0, 3\)"):
        sb.pick(3)
    with pytest.raises(ValueError, match="out of range"):
        sb.pick(-1)
    with pytest.raises(ValueError, match="out of range"):
        sb.pick(2**70)
    with pytest.raises(ValueError, match="unknown backend name 'x'"):
        sb.set_backend_up("x", False)
    with pytest.raises(TypeError, match="up must be a bool"):
        sb.set_site_up("pa1", "no")
    with pytest.raises(ValueError, match="now must be a finite number"):
        sb.pick(0, now=float("nan"))
    with pytest.raises(ValueError, match="now must be a finite number"):
        sb.pick(0, now=1e300)
    with pytest.raises(TypeError, match="now must be a number"):
        sb.pick(0, now="1")
    with pytest.raises(ValueError, match=r"sites\[1\] = 7 is not a site index"):
        sb.pick_many(np.array([0, 7], np.int32))
    with pytest.raises(TypeError, match="sites must be an integer array"):
        sb.pick_many(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="sites must be a 1-D array"):
        sb.pick_many(np.zeros((2, 2), np.int32))
    with pytest.raises(ValueError, match=r"times\[1\] = nan"):
        sb.pick_many(np.zeros(2, np.int32), times=np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="times has 1 entries but sites has 2"):
        sb.pick_many(np.zeros(2, np.int32), times=np.zeros(1))
    with pytest.raises(ValueError, match="backend index -1 out of range"):
        sb.backend_name(NO_BACKEND)
    h = SiteBalancer(t, policy="hash")
    with pytest.raises(ValueError, match="keys has 1 entries but sites has 2"):
        h.pick_many(np.zeros(2, np.int32), np.zeros(1, np.uint64))
    with pytest.raises(TypeError, match="key"):
        h.pick(0, key=1.5)
    with pytest.raises(ValueError, match="key"):
        h.pick(0, key=-1)
    # Non-contiguous inputs are copied, not misread.
    sites = np.zeros(10, np.int32)[::2]
    assert len(sb.pick_many(sites, times=np.zeros(10)[::2])) == 5
    assert len(h.pick_many(sites, np.arange(10, dtype=np.uint64)[::2])) == 5
    assert len(sb.pick_many(np.zeros(0, np.int32))) == 0


# ---- threads -----------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["wrr", "p2c", "hash"])
def test_threads_share_one_balancer(policy):
    t = three_by_ten()
    sb = SiteBalancer(t, policy=policy, inflight_window=None)
    n_batch, per_call, rounds = 20_000, 2_000, 4
    errors = []

    def batch_worker():
        try:
            for r in range(rounds):
                sb.pick_many(np.full(n_batch, r % 3, np.int32), np.arange(n_batch, dtype=np.uint64))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def call_worker():
        try:
            for i in range(per_call):
                b = sb.pick(i % 3, key=i)
                sb.release(b)
                if i % 500 == 0:
                    sb.set_backend_up("pa1-0", i % 1000 != 0)
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=batch_worker) for _ in range(2)] + \
              [threading.Thread(target=call_worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    s = sb.stats
    total = 2 * rounds * n_batch + 2 * per_call
    assert s.requests == total == sum(s.per_backend)
    # Every per-call pick was released; batch picks never are.
    assert sb.in_flight().sum() == 2 * rounds * n_batch
    if policy == "wrr":
        # A torn update of the smooth-WRR state would break NGINX's exactness:
        # any sum(w) consecutive picks of an unchanged site still give each backend its weight.
        members = t.site_backends("pa2")
        W = sum(t.backends[i].weight for i in members)
        got = sb.pick_many(np.full(W, 1, np.int32))
        assert np.bincount(got, minlength=t.n_backends)[list(members)].tolist() == \
            [t.backends[i].weight for i in members]


def test_introspection():
    from runiso_core import Pick, site_traffic_split
    t = three_by_ten()
    sb = SiteBalancer(t)
    assert sb.split == site_traffic_split(t)
    sb.set_backend_up(t.backend_names[0], False)
    assert not sb.is_backend_up(0) and sb.is_site_up("pa1")
    assert sb.split == site_traffic_split(t, backend_up=[i != 0 for i in range(30)])
    b = sb.pick("pa3")
    assert sb.backend_site(b) == 2 and sb.backend_name(b).startswith("pa3-")
    assert (Pick.NO_BACKEND, Pick.OVERFLOW) == (NO_BACKEND, OVERFLOW) == (-1, -2)
    assert sb.options.policy == "wrr" and "SiteBalancer(policy='wrr'" in repr(sb)
    assert sb.stats.to_dict()["requests"] == 1


def test_p2c_max_load_is_ln_ln_n_not_ln_n():
    # Balls into bins (Mitzenmacher): n requests over n backends, no releases. One random
    # choice gives max ~ ln n / ln ln n (~5-7 at n = 4096); two choices ~ ln ln n / ln 2 + O(1) (~3).
    n = 4096
    t = topo({"s": [1] * n})
    worst = 0
    for seed in range(3):
        sb = SiteBalancer(t, policy="p2c", seed=seed, inflight_window=None)
        sb.pick_many(np.zeros(n, np.int32))
        worst = max(worst, int(sb.in_flight().max()))
    random_max = np.bincount(np.random.default_rng(0).integers(0, n, n), minlength=n).max()
    assert worst <= 4 < random_max
