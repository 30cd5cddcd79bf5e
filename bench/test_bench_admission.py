"""pytest-benchmark: admission cores on the peers.md rate-limit workload.

Run: ``nice python -m pytest bench/test_bench_admission.py --benchmark-min-rounds=3``.
Each benchmark reports one call over the whole stream (1M requests); decisions/s =
1e6 / mean. Peers are in ``bench/peers_admission.py`` (same process, ratio table).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import ratelimit_stream  # noqa: E402

from runiso_core import KeyedTokenBuckets, SessionGate, TokenBucket  # noqa: E402

RATE, BURST = 10, 20


@pytest.fixture(scope="module")
def stream():
    ids, times = ratelimit_stream()
    return ids, times, ids.tolist(), times.tolist()


def _gate():
    return SessionGate(new_sessions_rate=50, new_sessions_burst=100, max_active_sessions=2000,
                       idle_timeout=30.0, shed_ttl=60.0, max_tracked=10_000)


def test_token_bucket_per_call(benchmark, stream):
    tl = stream[3]

    def run():
        acq = TokenBucket(RATE, BURST).try_acquire
        for t in tl:
            acq(t)
    benchmark.pedantic(run, rounds=3, iterations=1)


def test_token_bucket_many(benchmark, stream):
    times = stream[1]
    out = benchmark.pedantic(lambda: TokenBucket(RATE, BURST).try_acquire_many(times), rounds=5, iterations=1)
    assert out.dtype == np.bool_ and len(out) == len(times)


def test_keyed_per_call_int_keys(benchmark, stream):
    _, _, il, tl = stream

    def run():
        acq = KeyedTokenBuckets(RATE, BURST, max_keys=10_000).try_acquire
        for k, t in zip(il, tl):
            acq(k, t)
    benchmark.pedantic(run, rounds=3, iterations=1)


def test_keyed_per_call_str_keys(benchmark, stream):
    keys = [f"client-{i}" for i in stream[2]]
    tl = stream[3]

    def run():
        acq = KeyedTokenBuckets(RATE, BURST, max_keys=10_000).try_acquire
        for k, t in zip(keys, tl):
            acq(k, t)
    benchmark.pedantic(run, rounds=3, iterations=1)


def test_keyed_many(benchmark, stream):
    ids, times = stream[:2]
    out = benchmark.pedantic(lambda: KeyedTokenBuckets(RATE, BURST, max_keys=10_000).try_acquire_many(ids, times),
                             rounds=5, iterations=1)
    assert int(out.sum()) == 571_655     # = the exact reference (bench/peers_admission.py)


def test_gate_many(benchmark, stream):
    ids, times = stream[:2]
    out = benchmark.pedantic(lambda: _gate().decide_many(ids, times), rounds=5, iterations=1)
    assert len(out) == len(ids)


def test_gate_per_call(benchmark, stream):
    _, _, il, tl = stream

    def run():
        decide = _gate().decide
        for k, t in zip(il, tl):
            decide(k, t)
    benchmark.pedantic(run, rounds=3, iterations=1)
