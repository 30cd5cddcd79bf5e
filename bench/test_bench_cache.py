"""pytest-benchmark: runiso_core caches vs peers on peers.md's LRU stream.

Run: ``nice python -m pytest bench/test_bench_cache.py --benchmark-min-rounds=3``.
Compare ratios inside one run only (the machine is shared and noisy).
"""
import functools
import pathlib
import sys
from collections import OrderedDict

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import workloads  # noqa: E402

from runiso_core import LRUCache, S3FIFOCache, SieveCache  # noqa: E402

CAP = 10_000
IDS = workloads.lru_stream(1.0)
KEYS = IDS.tolist()
ARR = np.ascontiguousarray(IDS)
EXPECTED_HITS = 1_168_920   # peers.md: every LRU of 10,000 on this stream


def _once(benchmark, fn):
    return benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=0)


# ------------------------------------------------------------- per call
def test_percall_runiso_access_fast(benchmark):
    def run():
        c = LRUCache(max_entries=CAP)
        acc = c.access_fast
        for k in KEYS:
            acc(k)
        return c.stats.hits
    assert _once(benchmark, run) == EXPECTED_HITS


def test_percall_runiso_access(benchmark):
    def run():
        c = LRUCache(max_entries=CAP)
        acc = c.access
        for k in KEYS:
            acc(k)
        return c.stats.hits
    assert _once(benchmark, run) == EXPECTED_HITS


def test_percall_runiso_proxy_get_put(benchmark):
    def run():
        c = LRUCache(max_entries=CAP)
        get, put = c.get, c.put
        for k in KEYS:
            if get(k) is None:
                put(k, k)
        return c.stats.hits
    assert _once(benchmark, run) == EXPECTED_HITS


def test_percall_functools_lru_cache(benchmark):
    def run():
        f = functools.lru_cache(maxsize=CAP)(lambda k: k)
        for k in KEYS:
            f(k)
        return f.cache_info().hits
    assert _once(benchmark, run) == EXPECTED_HITS


def test_percall_ordereddict(benchmark):
    def run():
        d = OrderedDict()
        move, pop = d.move_to_end, d.popitem
        h = 0
        for k in KEYS:
            if k in d:
                move(k)
                h += 1
            else:
                d[k] = k
                if len(d) > CAP:
                    pop(last=False)
        return h
    assert _once(benchmark, run) == EXPECTED_HITS


def test_percall_lru_dict(benchmark):
    lru = pytest.importorskip("lru")

    def run():
        d = lru.LRU(CAP)
        get = d.get
        for k in KEYS:
            if get(k) is None:
                d[k] = k
        return d.get_stats()[0]
    assert _once(benchmark, run) == EXPECTED_HITS


def test_percall_cachetools(benchmark):
    cachetools = pytest.importorskip("cachetools")

    def run():
        c = cachetools.LRUCache(CAP)
        h = 0
        for k in KEYS:
            try:
                c[k]
                h += 1
            except KeyError:
                c[k] = k
        return h
    assert _once(benchmark, run) == EXPECTED_HITS


# ------------------------------------------------------------- batch replay
@pytest.mark.parametrize("cls,miss", [(LRUCache, 0.4155), (SieveCache, 0.3506), (S3FIFOCache, 0.3433)],
                         ids=["lru", "sieve", "s3fifo"])
def test_access_many_2m(benchmark, cls, miss):
    def run():
        return cls(max_entries=CAP).access_many(ARR)
    hits = _once(benchmark, run)
    assert abs((1 - hits.mean()) - miss) < 5e-4


@pytest.mark.parametrize("policy", ["LRU", "Sieve", "S3FIFO"])
def test_libcachesim_c_replay_2m(benchmark, tmp_path, policy):
    lcs = pytest.importorskip("libcachesim")
    from peers_cache import write_oracle
    path = tmp_path / "zipf.bin"
    write_oracle(path, ARR)

    def run():
        reader = lcs.TraceReader(str(path), lcs.TraceType.ORACLE_GENERAL_TRACE)
        return getattr(lcs, policy)(CAP).process_trace(reader)[0]
    _once(benchmark, run)
