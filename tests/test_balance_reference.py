"""The native SiteBalancer against the pure-Python reference: same decision on every request."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from _fuzz_util import topologies
from runiso_core import SiteBalancer, Topology
from runiso_core._balance_py import SiteBalancerPy, SplitMix64, mix64


@st.composite
def scenarios(draw):
    t = draw(topologies())
    policy = draw(st.sampled_from(["wrr", "p2c", "hash"]))
    kw = dict(policy=policy, seed=draw(st.integers(0, 2**64 - 1)),
              panic_threshold=draw(st.sampled_from([0.0, 0.5, 1.0])),
              overprovisioning=draw(st.sampled_from([1.0, 1.4])),
              spill_on_capacity=draw(st.booleans()),
              inflight_window=draw(st.sampled_from([None, 0.5, 1.0])))
    if policy == "hash":
        kw["hash_algorithm"] = draw(st.sampled_from(["maglev", "ketama"]))
        kw["table_size"] = 251
        kw["balance_factor"] = draw(st.sampled_from([None, 1.0, 1.25, 2.0]))
    op = st.one_of(
        st.tuples(st.just("pick"), st.integers(0, t.n_sites - 1), st.integers(0, 40), st.integers(0, 30)),
        st.tuples(st.just("many"), st.integers(1, 40), st.integers(0, 2**32)),
        st.tuples(st.just("release"), st.integers(0, t.n_backends - 1)),
        st.tuples(st.just("backend"), st.integers(0, t.n_backends - 1), st.booleans()),
        st.tuples(st.just("site"), st.integers(0, t.n_sites - 1), st.booleans()),
    )
    ops = draw(st.lists(op, min_size=1, max_size=25))
    return t, kw, ops


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_native_matches_reference(sc):
    t, kw, ops = sc
    nat, ref = SiteBalancer(t, **kw), SiteBalancerPy(t, **kw)
    clock = 0.0
    for op in ops:
        if op[0] == "pick":
            _, s, key, dt = op
            clock += dt / 20
            now = None if dt == 0 and not kw["spill_on_capacity"] else clock  # also the untimed path
            assert nat.pick(s, key=key, now=now) == ref.pick(s, key=key, now=now)
        elif op[0] == "many":
            _, n, seed = op
            rng = np.random.default_rng(seed)
            sites = rng.integers(0, t.n_sites, n).astype(np.int32)
            keys = rng.integers(0, 50, n).astype(np.uint64)
            times = clock + np.cumsum(rng.uniform(0, 0.3, n))
            clock = float(times[-1])
            assert nat.pick_many(sites, keys, times).tolist() == ref.pick_many(sites, keys, times).tolist()
        elif op[0] == "release":
            nat.release(op[1])
            ref.release(op[1])
        elif op[0] == "backend":
            nat.set_backend_up(op[1], op[2])
            ref.set_backend_up(op[1], op[2])
        else:
            nat.set_site_up(op[1], op[2])
            ref.set_site_up(op[1], op[2])
        assert nat.in_flight().tolist() == ref.in_flight().tolist()
    assert nat.stats == ref.stats
    assert nat.split == ref.split


def test_reference_helpers_match_c_constants():
    # splitmix64 published first outputs for seed 0 (Vigna's reference implementation).
    g = SplitMix64(0)
    assert [g.next() for _ in range(3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert mix64(0) == 0 and mix64(1) == 0xB456BCFC34C2CB2C


@pytest.mark.parametrize("policy", ["wrr", "p2c", "hash"])
def test_long_run_agreement(policy):
    # One longer stream with failures in the middle (cheap in C, a few seconds in Python).
    t = Topology.from_dict({"sites": [
        {"name": f"pa{s}", "share": s, "backends": [{"name": f"pa{s}-{i}", "weight": 1 + i % 3, "capacity_rps": 40}
                                                     for i in range(5)]} for s in (1, 2, 3)]})
    kw = dict(policy=policy, spill_on_capacity=True, seed=11)
    if policy == "hash":
        kw.update(balance_factor=1.25, table_size=1009)
    nat, ref = SiteBalancer(t, **kw), SiteBalancerPy(t, **kw)
    rng = np.random.default_rng(1)
    n = 3000
    sites = rng.integers(0, 3, n).astype(np.int32)
    keys = rng.integers(0, 500, n).astype(np.uint64)
    times = np.sort(rng.uniform(0, 10, n))
    for part in range(3):
        sl = slice(part * 1000, (part + 1) * 1000)
        assert nat.pick_many(sites[sl], keys[sl], times[sl]).tolist() == \
            ref.pick_many(sites[sl], keys[sl], times[sl]).tolist()
        for x in (nat, ref):
            x.set_backend_up(f"pa{part + 1}-0", False)
            x.set_site_up("pa2", part != 1)
    assert nat.stats == ref.stats
