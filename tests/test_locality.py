"""Envoy's priority / locality / panic arithmetic (envoyproxy docs: priority.rst,
locality_weight.rst, panic_threshold.rst; load_balancer_impl.cc distributeLoad)."""
import pytest
from hypothesis import given, settings, strategies as st

from runiso_core import Topology, site_traffic_split
from runiso_core.locality import PPM, envoy_health, priority_load


def sites(spec):
    """spec: list of (name, share, n_backends)."""
    return Topology.from_dict({"sites": [
        {"name": n, "share": sh, "backends": [{"name": f"{n}-{i:03d}"} for i in range(k)]}
        for n, sh, k in spec]})


def up_mask(t, healthy):
    """healthy: {site name: number of healthy backends (the first ones by name)}."""
    out = []
    for name in t.backend_names:
        site, i = name.rsplit("-", 1)
        out.append(int(i) < healthy.get(site, 10**9))
    return out


@pytest.mark.parametrize("p0,expected", [(100, (100, 0)), (72, (100, 0)), (71, (99, 1)),
                                         (50, (70, 30)), (25, (35, 65)), (0, (0, 100))])
def test_envoy_priority_table(p0, expected):
    # P0 = arrival site, P1 = the other site, 100 % healthy.
    t = sites([("p0", 1, 100), ("p1", 1, 100)])
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": p0}))
    assert sp.priority_loads[0] == expected
    assert sp.fractions[0] == (expected[0] / 100, expected[1] / 100)
    assert sp.panic[0] == (False, False)


@pytest.mark.parametrize("p0,p1,expected", [(100, 100, (100, 0)), (72, 72, (100, 0)), (71, 71, (99, 1)),
                                            (50, 50, (70, 30)), (25, 100, (35, 65)), (25, 25, (50, 50))])
def test_envoy_normalized_total_health_table(p0, p1, expected):
    t = sites([("p0", 1, 100), ("p1", 1, 100)])
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": p0, "p1": p1}))
    assert sp.priority_loads[0] == expected


@pytest.mark.parametrize("x,expected_pct", [(100, 33), (70, 33), (69, 32), (50, 26), (25, 15), (0, 0)])
def test_envoy_locality_weight_table(x, expected_pct):
    # Localities X (weight 1) and Y (weight 2) receive the traffic of a failed arrival site.
    t = sites([("a", 1, 1), ("x", 1, 100), ("y", 2, 100)])
    sp = site_traffic_split(t, backend_up=up_mask(t, {"a": 0, "x": x}))
    assert round(100 * sp.fractions[0][1]) == expected_pct
    assert sp.fractions[0][0] == 0
    assert sum(sp.ppm[0]) == PPM


def test_half_failed_dc_gets_259_of_three_way_split():
    # anchors.md D.2: a half-failed DC keeps weight min(100, 70) -> 70/270 of spilled traffic.
    t = sites([("a", 1, 1), ("x", 1, 10), ("y", 2, 10)])
    sp = site_traffic_split(t, backend_up=up_mask(t, {"a": 0, "x": 5}))
    assert sp.fractions[0][1] == pytest.approx(70 / 270)


def test_panic_table():
    # panic_threshold.rst: P0 25 %, P1 25 % -> NTH 70 %, both in panic, load 50/50.
    t = sites([("p0", 1, 100), ("p1", 1, 100)])
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": 25, "p1": 25}))
    assert sp.priority_loads[0] == (50, 50) and sp.panic[0] == (True, True)
    # NTH == 100: no panic even with a nearly dead P0.
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": 5, "p1": 100}))
    assert sp.panic[0] == (False, False) and sp.priority_loads[0] == (7, 93)
    # 5 % / 65 %: health 7 + 91 = 98 < 100 -> P0 (5 % < 50 %) in panic, P1 (65 %) not.
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": 5, "p1": 65}))
    assert sp.panic[0] == (True, False)
    # Envoy's code gives the rounding remainder to the first healthy level: 7*100//98=7, 91*100//98=92, +1 -> P0.
    assert sp.priority_loads[0] == (8, 92)
    # Panic threshold 0 disables panic.
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": 25, "p1": 25}), panic_threshold=0.0)
    assert sp.panic[0] == (False, False)


def test_total_panic_splits_by_total_weight():
    t = sites([("p0", 1, 10), ("p1", 1, 30)])
    sp = site_traffic_split(t, backend_up=up_mask(t, {"p0": 1, "p1": 1}))
    assert sp.panic[0] == (True, True)
    assert sp.priority_loads[0] == (25, 75)


def test_three_equal_sites_one_down_survivors_take_half_each():
    t = sites([("pa1", 1, 4), ("pa2", 1, 4), ("pa3", 1, 4)])
    sp = site_traffic_split(t, site_up=[False, True, True])
    assert sp.fractions[0] == (0.0, 0.5, 0.5)
    assert sp.fractions[1] == (0.0, 1.0, 0.0) and sp.fractions[2] == (0.0, 0.0, 1.0)


def test_nothing_healthy_gives_empty_rows():
    t = sites([("a", 1, 2), ("b", 1, 2)])
    sp = site_traffic_split(t, backend_up=[False] * 4)
    assert sp.ppm == ((0, 0), (0, 0))
    sp = site_traffic_split(t, site_up=[False, False])
    assert sp.ppm == ((0, 0), (0, 0))


def test_down_site_never_receives_even_in_panic():
    t = sites([("a", 1, 10), ("b", 1, 10), ("c", 1, 10)])
    up = up_mask(t, {"a": 1, "b": 1, "c": 10})
    sp = site_traffic_split(t, backend_up=up, site_up=[True, True, False])
    assert all(row[2] == 0 for row in sp.ppm)


def test_helpers_and_validation():
    assert [envoy_health(h, 100) for h in (100, 72, 71, 50, 25, 0)] == [100, 100, 99, 70, 35, 0]
    assert envoy_health(1, 2, overprovisioning=1.0) == 50
    assert priority_load([0, 0]) is None
    assert priority_load([35, 35, 28]) == [37, 35, 28]  # remainder to the first level (code, not doc)
    t = sites([("a", 1, 1)])
    with pytest.raises(ValueError, match="overprovisioning must be a finite number >= 1"):
        site_traffic_split(t, overprovisioning=0.9)
    with pytest.raises(ValueError, match=r"panic_threshold must be in \[0, 1\]"):
        site_traffic_split(t, panic_threshold=1.5)
    with pytest.raises(ValueError, match="panic_threshold"):
        site_traffic_split(t, panic_threshold=float("nan"))
    with pytest.raises(ValueError, match="backend_up: expected 1 values, got 2"):
        site_traffic_split(t, backend_up=[True, True])
    with pytest.raises(TypeError, match="topology must be a Topology"):
        site_traffic_split({"sites": []})


@st.composite
def states(draw):
    n_sites = draw(st.integers(1, 4))
    spec = [(f"s{i}", draw(st.sampled_from([0, 0.5, 1, 2, 3])), draw(st.integers(1, 5))) for i in range(n_sites)]
    if all(sh == 0 for _, sh, _ in spec):
        spec[0] = (spec[0][0], 1, spec[0][2])
    t = sites(spec)
    bup = draw(st.lists(st.booleans(), min_size=t.n_backends, max_size=t.n_backends))
    sup = draw(st.lists(st.booleans(), min_size=n_sites, max_size=n_sites))
    op = draw(st.sampled_from([1.0, 1.2, 1.4, 2.0]))
    pt = draw(st.sampled_from([0.0, 0.3, 0.5, 1.0]))
    return t, bup, sup, op, pt


@settings(max_examples=150, deadline=None)
@given(states())
def test_split_invariants(state):
    t, bup, sup, op, pt = state
    sp = site_traffic_split(t, backend_up=bup, site_up=sup, overprovisioning=op, panic_threshold=pt)
    S = t.n_sites
    healthy_anywhere = any(u and sup[t.backend_sites[i]] for i, u in enumerate(bup))
    for a in range(S):
        row = sp.ppm[a]
        assert sum(row) in (0, PPM)
        assert abs(sum(sp.fractions[a]) - (1.0 if sum(row) else 0.0)) < 1e-9
        if not healthy_anywhere:
            assert sum(row) == 0
        for j in range(S):
            if not sup[j]:
                assert row[j] == 0  # a down site gets nothing
            if row[j] and not sp.panic[a][j]:
                assert any(bup[i] for i in t.site_backends(j))  # healthy-only traffic needs a healthy backend
        # A healthy-enough arrival site keeps everything.
        if sp.health[a] == 100:
            assert row[a] == PPM
