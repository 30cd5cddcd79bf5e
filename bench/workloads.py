"""Shared, seeded workloads for every benchmark and peer comparison.

The streams follow ../shared/docs/peers.md: ``random.Random(seed).random()``
plus an inverse-CDF Zipf (rank r has probability proportional to r**-alpha;
the key id is the rank - 1, so key 0 is the hottest). Each stream has a
SHA-256 fingerprint so a later run can prove it replayed the same workload.
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def _zipf_cdf(n_keys: int, alpha: float) -> list[float]:
    weights = [1.0 / (r ** alpha) for r in range(1, n_keys + 1)]
    cdf = list(itertools.accumulate(weights))
    total = cdf[-1]
    return [c / total for c in cdf]


@lru_cache(maxsize=8)
def zipf_ids(n_requests: int, n_keys: int, alpha: float, seed: int) -> np.ndarray:
    """``n_requests`` Zipf(alpha) draws over ids ``0..n_keys-1`` (uint64, read-only)."""
    cdf = _zipf_cdf(n_keys, alpha)
    rnd = random.Random(seed).random
    last = n_keys - 1
    out = np.fromiter(
        (min(bisect.bisect_left(cdf, rnd()), last) for _ in range(n_requests)),
        dtype=np.uint64, count=n_requests)
    out.flags.writeable = False
    return out


def url_keys(ids: np.ndarray, prefix: str = "/product/") -> list[str]:
    """URL-like string keys for ids (``/product/123``)."""
    return [f"{prefix}{int(i)}" for i in ids]


def fingerprint(arr) -> str:
    """SHA-256 prefix of a stream (ids or decisions)."""
    a = np.ascontiguousarray(np.asarray(arr))
    return hashlib.sha256(a.tobytes()).hexdigest()[:12]


# The workloads of peers.md, by name.
def hashing_stream() -> np.ndarray:
    """1M lookups, Zipf(1.0) over 100k URLs, seed 1."""
    return zipf_ids(1_000_000, 100_000, 1.0, 1)


def lru_stream(alpha: float = 1.0) -> np.ndarray:
    """2M requests, Zipf(alpha) over 1M int keys, seed 7 (capacity 10,000 in the peers' table)."""
    return zipf_ids(2_000_000, 1_000_000, alpha, 7)


def ratelimit_stream() -> tuple[np.ndarray, np.ndarray]:
    """1M requests over 10k clients, Zipf(1.0), seed 3; virtual times t_i = i / 10,000 s."""
    ids = zipf_ids(1_000_000, 10_000, 1.0, 3)
    times = np.arange(len(ids), dtype=np.float64) / 10_000.0
    return ids, times
