"""Consistent-hashing benchmarks (issue 2 §6). Run:

    nice python -m pytest bench/test_bench_hashing.py --benchmark-columns=median,ops -q

Workload: ``workloads.hashing_stream()`` (1M lookups, Zipf(1.0) over 100k URLs,
seed 1) as URL strings, as a numpy ``S`` array and pre-hashed (uint64). Weights
1,2,3,4,1,2,... as in peers.md (JumpHash: unweighted). ``extra_info`` carries
M keys/s.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")

import workloads  # noqa: E402  (bench/ is on sys.path under pytest)

from runiso_core import JumpHash, KetamaRing, MaglevTable, RendezvousHash, hash64_many  # noqa: E402

ALGOS = {"maglev": MaglevTable, "jump": JumpHash, "rendezvous": RendezvousHash, "ketama": KetamaRing}
PER_CALL_KEYS = 200_000


def nodes_for(algo: str, n: int):
    names = [f"node-{i:03d}" for i in range(n)]
    return names if algo == "jump" else {name: 1 + i % 4 for i, name in enumerate(names)}


@pytest.fixture(scope="module")
def keys():
    ids = workloads.hashing_stream()
    strs = workloads.url_keys(ids)
    return {"str_list": strs, "S_array": np.array(strs, dtype="S"), "prehashed": hash64_many(strs)}


def _rate(benchmark, n_keys):
    benchmark.extra_info["Mkeys_per_s"] = round(n_keys / benchmark.stats.stats.median / 1e6, 2)


@pytest.mark.parametrize("n_nodes", [10, 100])
@pytest.mark.parametrize("form", ["prehashed", "str_list", "S_array"])
@pytest.mark.parametrize("algo", list(ALGOS))
def test_lookup_many(benchmark, keys, algo, n_nodes, form):
    ring = ALGOS[algo](nodes_for(algo, n_nodes))
    data = keys[form]
    if algo == "ketama" and form == "prehashed":
        data = ring._hash_keys(keys["str_list"])  # ketama's own (MD5) points
    out = benchmark.pedantic(ring.lookup_many, args=(data,), rounds=3, iterations=1, warmup_rounds=1)
    assert len(out) == len(data)
    _rate(benchmark, len(data))


@pytest.mark.parametrize("n_nodes", [10, 100])
@pytest.mark.parametrize("algo", list(ALGOS))
def test_lookup_per_call_str(benchmark, keys, algo, n_nodes):
    ring = ALGOS[algo](nodes_for(algo, n_nodes))
    subset = keys["str_list"][:PER_CALL_KEYS]
    lookup = ring.lookup

    def loop():
        for k in subset:
            lookup(k)

    benchmark.pedantic(loop, rounds=3, iterations=1, warmup_rounds=1)
    _rate(benchmark, len(subset))


@pytest.mark.parametrize("algo", ["maglev", "jump"])
def test_lookup_per_call_prehashed_int(benchmark, keys, algo):
    ring = ALGOS[algo](nodes_for(algo, 100))
    subset = keys["prehashed"][:PER_CALL_KEYS].tolist()
    lookup = ring.lookup

    def loop():
        for k in subset:
            lookup(k)

    benchmark.pedantic(loop, rounds=3, iterations=1, warmup_rounds=1)
    _rate(benchmark, len(subset))


@pytest.mark.parametrize("n_nodes", [10, 100, 1000])
@pytest.mark.parametrize("algo", list(ALGOS))
def test_build(benchmark, algo, n_nodes):
    nodes = nodes_for(algo, n_nodes)
    ring = benchmark.pedantic(ALGOS[algo], args=(nodes,), rounds=3, iterations=1)
    assert len(ring) == n_nodes
