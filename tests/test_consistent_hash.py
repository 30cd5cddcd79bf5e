"""Consistent hashing (issue 2 §3–§5): KetamaRing, MaglevTable, RendezvousHash, JumpHash.

Differential against the peers that define the right answer (uhashring ketama,
jump-consistent-hash), against the pure-Python reference (hypothesis), and the
balance / disruption / determinism / bad-input properties.
"""
from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import runiso_core
from runiso_core import JumpHash, KetamaRing, MaglevTable, RendezvousHash, hash64, hash64_many
from runiso_core import _hashing_py as ref

uhashring = pytest.importorskip("uhashring")
jump = pytest.importorskip("jump")

ALGOS = [KetamaRing, MaglevTable, RendezvousHash, JumpHash]
WEIGHTED = [KetamaRing, MaglevTable, RendezvousHash]
REF = {KetamaRing: ref.KetamaRing, MaglevTable: ref.MaglevTable,
       RendezvousHash: ref.RendezvousHash, JumpHash: ref.JumpHash}


def url_keys(n: int, start: int = 0) -> list[str]:
    return [f"/product/{i}" for i in range(start, start + n)]


KEYS_100K = url_keys(100_000)


@pytest.fixture(scope="module")
def hashed_100k() -> np.ndarray:
    return hash64_many(KEYS_100K)


# ---------------------------------------------------------------------------
# Ketama == uhashring

KETAMA_SETS = [
    {"cache-a": 1, "cache-b": 1, "cache-c": 1},
    {f"node-{i:03d}": i + 1 for i in range(10)},                   # weights 1..10
    {f"10.0.{i // 256}.{i % 256}:11211": 1 + (i * 7) % 5 for i in range(100)},
    {"big": 100, "small": 1, "medium": 10, "tiny": 1},
    {"only": 3},
    {"ünïcødé-节点": 2, "ascii": 3, "emoji-🚀": 1, "z": 1},
    {f"shard{i}": 1 for i in range(37)},
]


@pytest.mark.parametrize("nodes", KETAMA_SETS, ids=lambda d: f"{len(d)}nodes")
def test_ketama_matches_uhashring_on_100k_keys(nodes):
    ring = KetamaRing(nodes)
    peer = uhashring.HashRing(dict(sorted(nodes.items())), hash_fn="ketama")
    expected = [peer.get_node(k) for k in KEYS_100K]
    got = ring.lookup_many(KEYS_100K)
    assert [ring.nodes[i] for i in got] == expected
    # per call, on a slice (same code path per key)
    assert [ring.lookup(k) for k in KEYS_100K[:5000]] == expected[:5000]
    # the continuum itself: same distinct points, same owner per point
    points, owners = ring._points()
    peer_ring = peer.runtime._ring
    assert points.tolist() == sorted(peer_ring)
    assert [ring.nodes[o] for o in owners] == [peer_ring[p] for p in points.tolist()]


def test_ketama_matches_uhashring_with_vnodes_and_any_input_order():
    nodes = {"b": 2, "a": 1, "c": 5}
    ring = KetamaRing(nodes, vnodes=100)
    peer = uhashring.HashRing(dict(sorted(nodes.items())), hash_fn="ketama", vnodes=100)
    keys = url_keys(20_000, start=7)
    assert [ring.nodes[i] for i in ring.lookup_many(keys)] == [peer.get_node(k) for k in keys]
    # uhashring fed the same nodes in another order: identical unless points collide
    peer2 = uhashring.HashRing(dict(reversed(list(nodes.items()))), hash_fn="ketama", vnodes=100)
    assert [ring.nodes[i] for i in ring.lookup_many(keys)] == [peer2.get_node(k) for k in keys]


def test_ketama_point_collision_goes_to_node_later_by_name():
    # md5("n14883-0") and md5("n17520-0") share the 32-bit point 2624979995
    nodes = {"n17520": 1, "n14883": 1}
    ring = KetamaRing(nodes, vnodes=1)
    points, owners = ring._points()
    assert ring.n_points == 7  # 8 points, one collision
    p = 2624979995
    assert p in points.tolist()
    assert ring.nodes[owners[points.tolist().index(p)]] == "n17520"
    assert ring.lookup(p - 1) == "n17520"  # int key: its low 32 bits are the point
    peer = uhashring.HashRing(dict(sorted(nodes.items())), hash_fn="ketama", vnodes=1)
    assert peer.runtime._ring[p] == "n17520"
    assert sorted(peer.runtime._ring) == points.tolist()


def test_ketama_key_points_are_md5_and_int_keys_use_low_32_bits():
    ring = KetamaRing(["a", "b", "c"])
    peer = uhashring.HashRing(["a", "b", "c"], hash_fn="ketama")
    for k in ["", "x", "/product/1", "ü" * 40, "k" * 200]:
        point = peer.hashi(k)
        assert ring.lookup(k) == ring.lookup(point) == ring.lookup(point | (12345 << 32))
        assert ring._hash_keys([k])[0] == point
    assert ring.lookup(b"/product/1") == ring.lookup("/product/1")  # bytes hashed as-is
    assert ring.lookup(2**32 - 1) == ring.lookup(0)  # past the last point wraps to the first


# ---------------------------------------------------------------------------
# Jump == jump-consistent-hash

@pytest.mark.parametrize("n", [1, 2, 3, 10, 100, 1000, 12345])
def test_jump_matches_jump_package(n):
    nodes = [f"b{i:05d}" for i in range(n)]
    jh = JumpHash(reversed(nodes))
    keys = np.random.default_rng(n).integers(0, 2**64, size=20_000, dtype=np.uint64, endpoint=False)
    keys[:3] = [0, 1, 2**64 - 1]
    expected = [jump.hash(int(k), n) for k in keys]
    assert jh.lookup_many(keys).tolist() == expected
    assert [jh.lookup(int(k)) for k in keys[:2000]] == [nodes[b] for b in expected[:2000]]


@given(key=st.integers(0, 2**64 - 1), n=st.integers(1, 5000))
@settings(max_examples=300, deadline=None)
def test_jump_matches_jump_package_hypothesis(key, n):
    assert JumpHash([f"b{i:05d}" for i in range(n)]).lookup(key) == f"b{jump.hash(key, n):05d}"


# ---------------------------------------------------------------------------
# native == pure-Python reference

names_st = st.lists(st.text(alphabet="abcdefgh-é0123", min_size=1, max_size=6),
                    min_size=1, max_size=12, unique=True)
keys_st = st.lists(st.one_of(st.text(max_size=20), st.binary(max_size=20),
                             st.integers(0, 2**64 - 1)), min_size=1, max_size=40)


def _check_same(native, reference, keys):
    assert [native.lookup(k) for k in keys] == [reference.lookup(k) for k in keys]
    assert native.lookup_many(keys).tolist() == reference.lookup_many(keys).tolist()


@given(names=names_st, weights=st.lists(st.integers(1, 6), min_size=12, max_size=12), keys=keys_st,
       vnodes=st.sampled_from([1, 3, 40]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ketama_matches_reference(names, weights, keys, vnodes):
    nodes = dict(zip(names, weights))
    _check_same(KetamaRing(nodes, vnodes=vnodes), ref.KetamaRing(nodes, vnodes=vnodes), keys)


@given(names=names_st, weights=st.lists(st.sampled_from([1, 2, 3, 0.5, 2.25, 7]), min_size=12, max_size=12),
       keys=keys_st, m=st.sampled_from([13, 17, 101, 1009, 4093]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_maglev_matches_reference(names, weights, keys, m):
    nodes = dict(zip(names, weights))
    native, reference = MaglevTable(nodes, table_size=m), ref.MaglevTable(nodes, table_size=m)
    assert native._table().tolist() == reference.table
    _check_same(native, reference, keys)


def test_maglev_default_table_matches_reference():
    nodes = {"a": 1, "b": 2, "c": 3, "d": 0.5}
    assert MaglevTable(nodes)._table().tolist() == ref.MaglevTable(nodes).table


@given(names=names_st, weights=st.lists(st.sampled_from([1, 2, 3, 0.5, 1e-3, 1e6]), min_size=12, max_size=12),
       keys=keys_st, equal=st.booleans())
@settings(max_examples=80, deadline=None)
def test_rendezvous_matches_reference(names, weights, keys, equal):
    nodes = dict(zip(names, [2.0] * 12 if equal else weights))
    _check_same(RendezvousHash(nodes), ref.RendezvousHash(nodes), keys)


@given(names=names_st, keys=keys_st)
@settings(max_examples=60, deadline=None)
def test_jump_matches_reference(names, keys):
    _check_same(JumpHash(names), ref.JumpHash(names), keys)


# ---------------------------------------------------------------------------
# per call == batch, for every batch form

@pytest.mark.parametrize("cls", ALGOS)
def test_per_call_equals_batch_for_every_input_form(cls):
    h = cls([f"n{i}" for i in range(7)])
    strs = url_keys(500) + ["", "ü∂ƒ", "k" * 100]
    expected = [h.nodes.index(h.lookup(k)) for k in strs]
    assert h.lookup_many(strs).tolist() == expected
    assert h.lookup_many(tuple(strs)).tolist() == expected
    assert h.lookup_many(iter(strs)).tolist() == expected
    assert h.lookup_many(np.array(strs)).tolist() == expected                       # U
    assert h.lookup_many(np.array(strs, dtype=object)).tolist() == expected         # object
    assert h.lookup_many([s.encode() for s in strs]).tolist() == expected
    assert h.lookup_many(np.array([s.encode() for s in strs])).tolist() == expected  # S
    assert [h.lookup(k.encode()) for k in strs] == [h.nodes[i] for i in expected]
    assert [h.lookup(bytearray(k.encode())) for k in strs[:20]] == [h.nodes[i] for i in expected[:20]]
    ints = [0, 1, 2**63, 2**64 - 1] + [random.Random(1).getrandbits(64) for _ in range(300)]
    ints_expected = [h.nodes.index(h.lookup(k)) for k in ints]
    assert h.lookup_many(np.array(ints, dtype=np.uint64)).tolist() == ints_expected
    assert h.lookup_many(ints).tolist() == ints_expected
    assert h.lookup_many(np.array(ints, dtype=np.uint64).astype(">u8")).tolist() == ints_expected
    assert [h._lookup_hashed(k) for k in ints] == ints_expected
    ro = np.array(ints, dtype=np.uint64)
    ro.flags.writeable = False
    assert h.lookup_many(ro).tolist() == ints_expected
    assert h.lookup_many([]).dtype == np.int32 and len(h.lookup_many([])) == 0
    assert h.lookup_many(np.empty(0, dtype=np.uint64)).shape == (0,)


@pytest.mark.parametrize("cls", [MaglevTable, RendezvousHash, JumpHash])
def test_str_key_is_hash64_then_hashed_lookup(cls):
    h = cls(["a", "b", "c", "d"])
    for k in url_keys(200):
        assert h.lookup(k) == h.lookup(hash64(k))


# ---------------------------------------------------------------------------
# balance

def _max_over_mean(idx: np.ndarray, n: int) -> float:
    counts = np.bincount(idx, minlength=n)
    return counts.max() / counts.mean()


BALANCE_LIMITS = [(MaglevTable, 1.02), (RendezvousHash, 1.05), (JumpHash, 1.05), (KetamaRing, 1.15)]


@pytest.fixture(scope="module")
def key_sets() -> list[list[str]]:
    """10 disjoint sets of 100,000 distinct URL keys (set 0 is KEYS_100K)."""
    return [KEYS_100K] + [url_keys(100_000, start=100_000 * s) for s in range(1, 10)]


@pytest.fixture(scope="module")
def hashed_sets(key_sets) -> list[np.ndarray]:
    return [hash64_many(ks) for ks in key_sets]


def _keys_for(cls, i, key_sets, hashed_sets):
    return key_sets[i] if cls is KetamaRing else hashed_sets[i]


@pytest.mark.parametrize("cls,limit", BALANCE_LIMITS)
def test_balance_10_equal_nodes(cls, limit, key_sets, hashed_sets):
    """max/mean keys per node over 100,000 distinct keys, 10 equal nodes.

    Even a perfect uniform assignment of 100,000 keys to 10 nodes has
    E[max/mean] = 1.0155 (multinomial noise, sd ~0.005): about 1 key set in 5
    exceeds 1.02 whatever the algorithm (our first set gives Maglev 1.023, Jump
    1.018). So the bound is checked on the mean over 10 disjoint key sets, which
    measures the algorithm rather than the luck of one sample; the looser bounds
    also hold on every single set."""
    h = cls([f"node-{i:03d}" for i in range(10)])
    ratios = [_max_over_mean(h.lookup_many(_keys_for(cls, i, key_sets, hashed_sets)), 10) for i in range(10)]
    assert np.mean(ratios) <= limit
    if limit >= 1.05:
        assert max(ratios) <= limit


def test_maglev_slots_are_split_evenly():
    # the part of Maglev's balance that is the algorithm's: slot counts differ by at most 1
    for n, m in [(10, 65537), (7, 101), (100, 65537)]:
        counts = np.bincount(MaglevTable([f"n{i}" for i in range(n)], table_size=m)._table(), minlength=n)
        assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("cls,limit", [(MaglevTable, 0.02), (RendezvousHash, 0.05), (KetamaRing, 0.15)])
def test_weighted_shares(cls, limit, key_sets, hashed_sets):
    """share of each node vs weight / sum(weights), over 1,000,000 distinct keys."""
    nodes = {"w1": 1, "w2": 2, "w3": 3, "w4": 4}
    h = cls(nodes)
    counts = sum(np.bincount(h.lookup_many(_keys_for(cls, i, key_sets, hashed_sets)), minlength=4)
                 for i in range(10))
    expected = np.array(h.weights) / sum(h.weights) * 1_000_000
    assert np.abs(counts / expected - 1).max() <= limit


def test_maglev_weighted_slots_follow_weights():
    h = MaglevTable({"a": 1, "b": 2, "c": 0.5, "d": 4})
    counts = np.bincount(h._table(), minlength=4)
    expected = np.array(h.weights) / sum(h.weights) * h.table_size
    assert np.abs(counts / expected - 1).max() < 0.005


def test_rendezvous_extreme_weights_still_exact_in_share(hashed_100k):
    h = RendezvousHash({"tiny": 0.01, "huge": 99.99})
    share = np.mean(h.lookup_many(hashed_100k) == h.nodes.index("tiny"))
    assert abs(share - 1e-4) < 2e-4


# ---------------------------------------------------------------------------
# disruption

@pytest.mark.parametrize("cls", [KetamaRing, RendezvousHash, MaglevTable])
def test_removing_a_node(cls, hashed_100k):
    names = [f"node-{i:03d}" for i in range(10)]
    keys = hashed_100k if cls is not KetamaRing else KEYS_100K
    full = cls(names)
    gone = "node-004"
    less = full.without_node(gone)
    before = np.array(full.nodes)[full.lookup_many(keys)]
    after = np.array(less.nodes)[less.lookup_many(keys)]
    moved = before != after
    assert not (after == gone).any()
    if cls is MaglevTable:
        assert moved.mean() <= 2 / 10
        assert moved[before == gone].all()
    else:
        assert (moved == (before == gone)).all()  # exactly the removed node's keys move


def test_jump_removing_and_adding_the_last_node(hashed_100k):
    names = [f"node-{i:03d}" for i in range(10)]
    full, less = JumpHash(names), JumpHash(names[:-1])
    before = np.array(full.nodes)[full.lookup_many(hashed_100k)]
    after = np.array(less.nodes)[less.lookup_many(hashed_100k)]
    assert ((before != after) == (before == names[-1])).all()
    assert less.with_node(names[-1]) == full


@pytest.mark.parametrize("cls", [KetamaRing, RendezvousHash, JumpHash])
def test_adding_a_node_moves_keys_only_onto_it(cls, hashed_100k):
    names = [f"node-{i:03d}" for i in range(10)]
    keys = hashed_100k if cls is not KetamaRing else KEYS_100K
    small = cls(names)
    big = small.with_node("node-010")  # sorts last, so jump is minimal too
    before = np.array(small.nodes)[small.lookup_many(keys)]
    after = np.array(big.nodes)[big.lookup_many(keys)]
    moved = before != after
    assert (after[moved] == "node-010").all()
    assert 0.06 < moved.mean() < 0.13  # about 1/11 of the keys


def test_weighted_rendezvous_removal_is_minimal(hashed_100k):
    full = RendezvousHash({"a": 1, "b": 2.5, "c": 3, "d": 0.7})
    less = full.without_node("b")
    before = np.array(full.nodes)[full.lookup_many(hashed_100k)]
    after = np.array(less.nodes)[less.lookup_many(hashed_100k)]
    assert ((before != after) == (before == "b")).all()


@given(names=st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=4), min_size=2, max_size=15,
                       unique=True),
       weights=st.lists(st.sampled_from([1, 2, 3, 0.25, 10]), min_size=15, max_size=15),
       victim=st.integers(0, 14), seed=st.integers(0, 2**32))
@settings(max_examples=40, deadline=None)
def test_disruption_property(names, weights, victim, seed):
    """Any node set, any removed node: rendezvous (any weights) and ketama (equal
    weights) move exactly the removed node's keys; Maglev moves its keys and few others."""
    keys = np.random.default_rng(seed).integers(0, 2**64, size=5000, dtype=np.uint64)
    gone = names[victim % len(names)]
    for h in (RendezvousHash(dict(zip(names, weights))), KetamaRing(names),
              MaglevTable(dict(zip(names, weights)), table_size=1009)):
        less = h.without_node(gone)
        before = np.array(h.nodes)[h.lookup_many(keys)]
        after = np.array(less.nodes)[less.lookup_many(keys)]
        moved = before != after
        assert moved[before == gone].all() and not (after == gone).any()
        if not isinstance(h, MaglevTable):
            assert (moved == (before == gone)).all()


# ---------------------------------------------------------------------------
# determinism

@pytest.mark.parametrize("cls", ALGOS)
def test_independent_of_node_order(cls):
    names = [f"n-{i}" for i in range(20)]
    weights = {n: (1 if cls is JumpHash else 1 + i % 3) for i, n in enumerate(names)}
    shuffled = names[:]
    random.Random(3).shuffle(shuffled)
    a = cls(weights)
    b = cls({n: weights[n] for n in shuffled})
    assert a == b and a.nodes == tuple(sorted(names))
    keys = url_keys(3000)
    assert a.lookup_many(keys).tolist() == b.lookup_many(keys).tolist()
    if cls is JumpHash:
        assert cls(shuffled) == cls(names)


_FINGERPRINT = """
import hashlib, runiso_core as rc
keys = [f"/product/{i}" for i in range(5000)] + list(range(0, 2**64 - 1, 2**50))
out = []
for cls in (rc.KetamaRing, rc.MaglevTable, rc.RendezvousHash):
    out.append(cls({"c": 3, "a": 1, "b": 2}).lookup_many(keys).tobytes())
out.append(rc.JumpHash(["c", "a", "b"]).lookup_many(keys).tobytes())
print(hashlib.sha256(b"".join(out)).hexdigest())
"""


def test_same_answers_in_another_process():
    fps = set()
    for seed in ("0", "12345"):
        res = subprocess.run([sys.executable, "-c", _FINGERPRINT], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        fps.add(res.stdout.strip().splitlines()[-1])
    here = {}
    exec(_FINGERPRINT.replace("print(", "here['fp'] = ("), {"here": here})
    fps.add(here["fp"])
    assert len(fps) == 1


def test_pinned_placements():
    # Changing any of these moves users' keys: a deliberate decision, not an accident.
    nodes = {"cache-a": 1, "cache-b": 1, "cache-c": 1}
    keys = ["/index.html", "/product/42", "user:1001"]
    assert [KetamaRing(nodes).lookup(k) for k in keys] == [
        uhashring.HashRing(sorted(nodes), hash_fn="ketama").get_node(k) for k in keys]
    assert [JumpHash(nodes).lookup(k) for k in keys] == [
        f"cache-{'abc'[jump.hash(hash64(k), 3)]}" for k in keys]
    assert MaglevTable(nodes, table_size=7)._table().tolist() == ref.MaglevTable(nodes, table_size=7).table


# ---------------------------------------------------------------------------
# the object model

@pytest.mark.parametrize("cls", ALGOS)
def test_object_model(cls):
    h = cls(["b", "a", "c"])
    assert h.nodes == ("a", "b", "c") and h.weights == (1.0, 1.0, 1.0)
    assert len(h) == 3 and "a" in h and "z" not in h and 1 not in h
    assert isinstance(h, runiso_core.ConsistentHash)
    with pytest.raises(AttributeError):
        h.nodes = ("x",)
    h2 = h.with_node("d")
    assert h2.nodes == ("a", "b", "c", "d") and h.nodes == ("a", "b", "c")
    assert h2.without_node("d") == h and h2 != h
    assert h2.without_node("d") is not h
    assert pickle.loads(pickle.dumps(h2)) == h2
    assert hash(pickle.loads(pickle.dumps(h2))) == hash(h2)
    assert repr(h).startswith(f"{cls.__name__}({{'a': 1")
    with pytest.raises(TypeError, match="not an acceptable base type"):
        type("Sub", (cls,), {})


def test_options_survive_with_node_and_pickle():
    m = MaglevTable(["a", "b"], table_size=101)
    assert m.with_node("c").table_size == 101 and pickle.loads(pickle.dumps(m)).table_size == 101
    assert "table_size=101" in repr(m)
    k = KetamaRing({"a": 2, "b": 1}, vnodes=7)
    assert k.with_node("c", 3).vnodes == 7 and pickle.loads(pickle.dumps(k)) == k
    assert k.with_node("a", 5).weights == (5.0, 1.0)


def test_base_class_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        runiso_core.ConsistentHash(["a"])


def test_shared_between_threads():
    h = MaglevTable({f"n{i}": 1 + i % 3 for i in range(50)})
    keys = np.random.default_rng(0).integers(0, 2**64, size=200_000, dtype=np.uint64)
    expected = h.lookup_many(keys)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(np.array_equal(h.lookup_many(keys), expected))
                results.append(all(h.lookup(int(k)) == h.nodes[e] for k, e in zip(keys[:500], expected)))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 40 and all(results)


# ---------------------------------------------------------------------------
# 10,000 nodes

def test_ten_thousand_nodes():
    names = [f"node-{i:05d}" for i in range(10_000)]
    keys = np.random.default_rng(1).integers(0, 2**64, size=100_000, dtype=np.uint64)
    for h in (KetamaRing(names), MaglevTable(names), MaglevTable(names, table_size=1_000_003),
              JumpHash(names)):
        idx = h.lookup_many(keys)
        assert len(h) == 10_000 and idx.min() >= 0 and idx.max() < 10_000
        assert len(np.unique(idx)) > 9_900  # 10 keys per node on average: nearly all used
        assert h.lookup(int(keys[0])) == h.nodes[idx[0]]
    counts = np.bincount(MaglevTable(names, table_size=1_000_003)._table(), minlength=10_000)
    assert counts.min() >= 99 and counts.max() <= 101
    r = RendezvousHash(names)
    few = keys[:40]
    assert r.lookup_many(few).tolist() == [ref.RendezvousHash(names).index_of_hash(int(k)) for k in few]


# ---------------------------------------------------------------------------
# bad input (§5)

@pytest.mark.parametrize("cls", ALGOS)
@pytest.mark.parametrize("nodes,exc,match", [
    ([], ValueError, "empty node set"),
    ({}, ValueError, "empty node set"),
    (["a", "b", "a"], ValueError, "duplicate node name 'a'"),
    ({"a": 0}, ValueError, "weight of node 'a' must be a positive finite number, got 0"),
    ({"a": -2}, ValueError, "got -2"),
    ({"a": float("nan")}, ValueError, "got nan"),
    ({"a": float("inf")}, ValueError, "got inf"),
    ({"a": "3"}, TypeError, "weight of node 'a' must be a positive number, got str '3'"),
    ({"a": True}, TypeError, "got bool True"),
    ({"a": None}, TypeError, "got NoneType None"),
    ({"a": 10**400}, ValueError, "too large"),
    ([1, 2], TypeError, "node names must be str, got int 1"),
    ([""], ValueError, "non-empty"),
    (["\ud800"], ValueError, "not encodable as UTF-8"),
    ("abc", TypeError, "got str 'abc'"),
    (None, TypeError, "got NoneType None"),
    (42, TypeError, "got int 42"),
])
def test_bad_nodes(cls, nodes, exc, match):
    with pytest.raises(exc, match=match.replace("(", r"\(").replace(")", r"\)")) as info:
        cls(nodes)
    assert cls.__name__ in str(info.value)


@pytest.mark.parametrize("table_size,exc,match", [
    (65536, ValueError, "table_size must be prime, got 65536 \\(nearest larger prime: 65537\\)"),
    (1, ValueError, "got 1"),
    (0, ValueError, "got 0"),
    (-7, ValueError, "got -7"),
    (2**24 + 43, ValueError, "must be a prime in \\[2, 2\\*\\*24\\], got 16777259"),
    (5, ValueError, "table_size=5 is smaller than the number of nodes \\(6\\).*table_size=601"),
    (65537.0, TypeError, "float 65537.0"),
    (True, TypeError, "bool True"),
    ("65537", TypeError, "str '65537'"),
])
def test_bad_table_size(table_size, exc, match):
    with pytest.raises(exc, match=match):
        MaglevTable([f"n{i}" for i in range(6)], table_size=table_size)


def test_table_too_small_for_ten_thousand_nodes_says_what_to_use():
    with pytest.raises(ValueError, match="use a prime >= 100 \\* len\\(nodes\\), e.g. table_size=1000003"):
        MaglevTable([f"n{i}" for i in range(10_000)], table_size=9973)
    assert MaglevTable(["a", "b"], table_size=2).lookup("x") in ("a", "b")
    assert MaglevTable(["a"], table_size=np.int64(13)).table_size == 13


def test_algorithm_specific_bad_weights():
    with pytest.raises(ValueError, match="JumpHash: jump consistent hash cannot weight.*node 'b' must be 1, got 2.0"):
        JumpHash({"a": 1, "b": 2})
    with pytest.raises(ValueError, match="KetamaRing: weight of node 'a' must be an integer.*got 1.5"):
        KetamaRing({"a": 1.5, "b": 1})
    assert KetamaRing({"a": 3.0, "b": np.int64(1)}).weights == (3.0, 1.0)
    with pytest.raises(ValueError, match="vnodes \\* len\\(nodes\\) = 10000 \\* 401 exceeds 4,000,000"):
        KetamaRing([f"n{i}" for i in range(401)], vnodes=10000)
    for v in (0, -1, 10001, 2.0, True, "40"):
        with pytest.raises(ValueError, match=f"vnodes must be an int in \\[1, 10000\\], got {v!r}"):
            KetamaRing(["a"], vnodes=v)
    with pytest.raises(TypeError):
        MaglevTable(["a"], 65537)  # options are keyword-only


@pytest.mark.parametrize("cls", ALGOS)
def test_bad_keys(cls):
    h = cls(["a", "b"])
    for key, exc, match in [
        (1.5, TypeError, "unsupported key type float \\(1.5\\)"),
        (None, TypeError, "unsupported key type NoneType \\(None\\)"),
        (["a"], TypeError, "unsupported key type list"),
        (True, TypeError, "unsupported key type bool"),
        (-1, ValueError, "int key -1 is outside \\[0, 2\\*\\*64\\)"),
        (2**64, ValueError, f"int key {2**64} is outside"),
        ("\ud800", UnicodeEncodeError, "surrogates not allowed"),
    ]:
        with pytest.raises(exc, match=match):
            h.lookup(key)
    assert h.lookup(np.uint64(2**64 - 1)) in h.nodes  # numpy ints are ints


@pytest.mark.parametrize("cls", ALGOS)
def test_bad_key_batches(cls):
    h = cls(["a", "b"])
    u = np.arange(10, dtype=np.uint64)
    for keys, exc, match in [
        (np.arange(10, dtype=np.int64), TypeError, "unsupported array dtype int64"),
        (np.arange(10, dtype=np.float64), TypeError, "unsupported array dtype float64"),
        (np.arange(10, dtype=np.uint32), TypeError, "unsupported array dtype uint32"),
        (u.reshape(2, 5), ValueError, "must be a 1-D array, got shape \\(2, 5\\)"),
        ("abc", TypeError, "must be a sequence of keys, got a single str"),
        (b"abc", TypeError, "got a single bytes"),
        (12, TypeError, "must be a list of keys or a numpy array, got int"),
        (None, TypeError, "got NoneType"),
        (["a", 1.5], TypeError, "keys\\[1\\]: unsupported key type float \\(1.5\\)"),
        (["a", None], TypeError, "keys\\[1\\]: unsupported key type NoneType"),
        ([0, -3], ValueError, "keys\\[1\\]: int key -3 is outside"),
        ([2**64], ValueError, "keys\\[0\\]: int key"),
    ]:
        with pytest.raises(exc, match=match):
            h.lookup_many(keys)
    # a strided uint64 view is copied, as numpy does, and gives the contiguous answers
    assert h.lookup_many(u[::2]).tolist() == h.lookup_many(np.ascontiguousarray(u[::2])).tolist()


def test_every_public_name_is_exported_and_documented():
    for name in ("KetamaRing", "MaglevTable", "RendezvousHash", "JumpHash", "ConsistentHash"):
        obj = getattr(runiso_core, name)
        assert name in runiso_core.__all__ and obj.__doc__ and len(obj.__doc__) > 80
        for meth in ("lookup", "lookup_many", "with_node", "without_node"):
            assert getattr(obj, meth).__doc__

