"""Distinct keys of a trace, counted chunk by chunk in bounded memory.

:class:`KeyCounts` keeps, for every distinct uint64 key, its request count and
the first size seen: the working set of ``cache sim`` (libCacheSim's
``cal_working_set_size`` counts an object with its first size) and the
popularity figures of ``trace stats`` (one-hit wonders, top URLs). Memory is
24 bytes per distinct key whatever the number of requests, so a trace of a
billion requests for a thousand objects (or a decompression bomb of one
repeated id) costs kilobytes, not gigabytes.
"""
from __future__ import annotations

import numpy as np

__all__ = ["KeyCounts", "exact_sum"]


def exact_sum(a: np.ndarray) -> int:
    """The exact sum of an int64 array of sizes >= 0 (numpy's int64 sum wraps
    around silently: ten 18-digit byte counts overflow it). Summed in two
    32-bit halves, each safe for 2**31 rows."""
    a = np.asarray(a, dtype=np.int64)
    if not a.size:
        return 0
    return (int((a >> 32).sum()) << 32) + int((a & 0xFFFFFFFF).sum())


class KeyCounts:
    """Distinct keys with their request counts and first sizes.

    Chunks are reduced to their distinct keys on arrival and merged into the
    sorted arrays in batches (when the pending keys outnumber the merged
    ones), so the total work is O(n log n) and the memory 24 bytes per
    distinct key plus one batch.
    """

    def __init__(self) -> None:
        self._keys = np.empty(0, np.uint64)
        self._counts = np.empty(0, np.int64)
        self._sizes = np.empty(0, np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._npending = 0

    def add(self, keys: np.ndarray, sizes: np.ndarray | None = None) -> None:
        """Count the requests ``keys`` (with their ``sizes``: an object's first one is kept)."""
        if not len(keys):
            return
        uk, first, cnt = np.unique(keys, return_index=True, return_counts=True)
        sz = sizes[first].astype(np.int64) if sizes is not None else np.zeros(len(uk), np.int64)
        self._pending.append((uk, cnt.astype(np.int64), sz))
        self._npending += len(uk)
        if self._npending > max(len(self._keys), 1 << 20):
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        parts = [(self._keys, self._counts, self._sizes)] + self._pending
        k = np.concatenate([p[0] for p in parts])
        c = np.concatenate([p[1] for p in parts])
        s = np.concatenate([p[2] for p in parts])
        order = np.argsort(k, kind="stable")      # keeps arrival order within a key
        k, c, s = k[order], c[order], s[order]
        starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        self._keys = k[starts]
        self._counts = np.add.reduceat(c, starts) if len(k) else c
        self._sizes = s[starts]                    # the earliest chunk's first size
        self._pending, self._npending = [], 0

    @property
    def keys(self) -> np.ndarray:
        """Distinct keys, sorted."""
        self._merge()
        return self._keys

    @property
    def counts(self) -> np.ndarray:
        """Requests per key (aligned with :attr:`keys`)."""
        self._merge()
        return self._counts

    @property
    def objects(self) -> int:
        """Distinct keys."""
        self._merge()
        return int(len(self._keys))

    @property
    def bytes(self) -> int:
        """Sum of each key's first size."""
        self._merge()
        return exact_sum(self._sizes)
