"""Site balancer benchmarks (issue 5 §5). Run:

    nice python -m pytest bench/test_bench_balance.py --benchmark-columns=median,ops -q

Topology: 3 sites x 10 backends, weights 1,2,3,1,2,3,... . Per-call: a Python
loop of ``pick`` (targets: >= 5 M/s for wrr and hash). Batch: ``pick_many`` on
1M requests (arrival site uniform over the 3 sites, keys from
``workloads.hashing_stream()`` pre-hashed, times 1M over 100 s; target >= 20 M/s).
``extra_info`` carries M picks/s.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")

import workloads  # noqa: E402  (bench/ is on sys.path under pytest)

from runiso_core import SiteBalancer, Topology, hash64_many  # noqa: E402

PER_CALL = 200_000
N = 1_000_000


def topology(cap: float = 5000.0) -> Topology:
    return Topology.from_dict({"sites": [
        {"name": f"pa{s}", "share": 1, "backends": [
            {"name": f"pa{s}-web-{i:02d}", "weight": 1 + i % 3, "capacity_rps": cap} for i in range(10)]}
        for s in (1, 2, 3)]})


@pytest.fixture(scope="module")
def stream():
    ids = workloads.hashing_stream()
    keys = hash64_many(workloads.url_keys(ids))
    rng = np.random.default_rng(5)
    sites = rng.integers(0, 3, len(keys)).astype(np.int32)
    times = np.arange(len(keys), dtype=np.float64) / 10_000.0
    return sites, keys, times, workloads.url_keys(ids[:PER_CALL])


def _rate(benchmark, n):
    benchmark.extra_info["Mpicks_per_s"] = round(n / benchmark.stats.stats.median / 1e6, 2)


@pytest.mark.parametrize("policy", ["wrr", "p2c", "hash"])
def test_pick_per_call_int(benchmark, stream, policy):
    sb = SiteBalancer(topology(), policy=policy)
    keys = stream[1][:PER_CALL].tolist()
    pick = sb.pick

    def run():
        if policy == "hash":
            for k in keys:
                pick(1, key=k)
        else:
            for _ in keys:
                pick(1)

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    _rate(benchmark, PER_CALL)


def test_pick_per_call_hash_str_key(benchmark, stream):
    sb = SiteBalancer(topology(), policy="hash")
    urls = stream[3]
    pick = sb.pick

    def run():
        for u in urls:
            pick("pa2", key=u)

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    _rate(benchmark, PER_CALL)


@pytest.mark.parametrize("scenario", ["nominal", "failover"])
@pytest.mark.parametrize("policy", ["wrr", "p2c", "hash", "hash-bounded", "wrr-capacity"])
def test_pick_many(benchmark, stream, policy, scenario):
    sites, keys, times, _ = stream
    kw = {"hash-bounded": dict(policy="hash", balance_factor=1.25),
          "wrr-capacity": dict(policy="wrr", spill_on_capacity=True)}.get(policy, dict(policy=policy))

    def fresh():
        # A new balancer per round: replaying the same times twice into one balancer would
        # count the second pass into the last (full) capacity window and measure overflows.
        sb = SiteBalancer(topology(), **kw)
        if scenario == "failover":
            sb.set_site_up("pa1", False)  # pa1's arrivals spill to pa2 / pa3
            sb.set_backend_up("pa2-web-00", False)
            sb.set_backend_up("pa2-web-01", False)
        return (sb,), {}

    out = benchmark.pedantic(lambda sb: sb.pick_many(sites, keys, times), setup=fresh, rounds=3,
                             iterations=1, warmup_rounds=1)
    assert len(out) == N and (out >= 0).all()  # capacity 5000 rps/backend: nothing overflows
    _rate(benchmark, N)
