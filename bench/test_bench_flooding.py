"""Hash flooding: crafted keys that share one home slot under an unsalted mix.

Compare each crafted case with the random-key case next to it: with the
per-object salt (runiso_table_hash) both run at the same speed; with the salt
forced to 0 (a fixed hash) the crafted keys fall into one probe run: measured
here, KeyedTokenBuckets.try_acquire_many 136x and LRUCache.access_many 372x
slower than on random keys.
"""
import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")

from runiso_core import KeyedTokenBuckets, LRUCache  # noqa: E402

import sys, pathlib  # noqa: E401,E402
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from test_hash_flooding import flood_keys  # noqa: E402

N_KEYS = 8_000
CRAFTED = flood_keys(N_KEYS)             # aimed at the admission tables' home slot
CRAFTED_HIGH = flood_keys(N_KEYS, high=True)  # aimed at the cache index's home slot
RANDOM = np.random.default_rng(1).integers(0, 2**63, N_KEYS, dtype=np.int64).astype(np.uint64)
IDX = np.random.default_rng(2).integers(0, N_KEYS, 200_000)
TIMES = np.arange(len(IDX), dtype=np.float64) / 100_000.0


@pytest.mark.parametrize("keys", [CRAFTED, RANDOM], ids=["crafted", "random"])
def test_keyed_buckets_flood(benchmark, keys):
    stream = keys[IDX]
    benchmark(lambda: KeyedTokenBuckets(10, 20, max_keys=10_000).try_acquire_many(stream, TIMES))


@pytest.mark.parametrize("keys", [CRAFTED_HIGH, RANDOM], ids=["crafted", "random"])
def test_lru_flood(benchmark, keys):
    stream = keys[IDX]
    benchmark(lambda: LRUCache(max_entries=10_000).access_many(stream))
