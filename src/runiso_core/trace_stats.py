"""Workload statistics of a trace, computed chunk by chunk (``runiso trace stats``).

Memory: the per-chunk work is bounded by the chunk size; what grows with the
trace is the distinct keys with their counts (24 bytes per distinct key,
:class:`~runiso_core.keycounts.KeyCounts`), the distinct sessions (8 bytes
each) and the per-second request counts (16 bytes per busy second). The LRU
hit ratios need the number of distinct keys before the first request: a file
is read a second time for them; input that cannot be read twice (stdin, a
pipe) keeps its key column instead (8 bytes per request). The URL strings are
a bounded table of the most requested keys of each chunk (at most
``_URL_TABLE`` entries).

A statistic the trace cannot give (no timestamps, no sizes, no status...) is
``None`` ("n/a"), never a made-up zero: a binary id stream has no
``bytes_served``, no ``status`` mix and no sessions.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from typing import Callable, Iterable

import numpy as np

from ._cache import LRUCache
from ._trace_types import Method
from .keycounts import KeyCounts, exact_sum
from .trace import Trace, iter_trace
from .units import fraction_of

__all__ = ["TraceStats", "TraceStatsBuilder", "trace_stats", "lru_hit_ratio", "lru_hit_ratios"]

_URL_TABLE = 10_000     # candidate URLs remembered for the top-10 list
_PER_CHUNK_TOP = 1_000  # most requested keys of each chunk whose URL is remembered


def lru_hit_ratio(keys: np.ndarray, capacity: int) -> float:
    """Object-count LRU hit ratio of ``keys`` with ``capacity`` entries, replayed
    through the native cache core (``runiso_core.LRUCache.access_many``)."""
    return lru_hit_ratios([keys[s:s + (1 << 20)] for s in range(0, len(keys), 1 << 20)],
                          [capacity])[0]


def lru_hit_ratios(key_chunks: Iterable[np.ndarray], capacities) -> list[float]:
    """Object-count LRU hit ratios at several capacities in one pass over
    ``key_chunks`` (uint64 arrays, in request order)."""
    caches = [LRUCache(max_entries=c) for c in capacities]
    hits = [0] * len(caches)
    n = 0
    for keys in key_chunks:
        n += len(keys)
        for i, c in enumerate(caches):
            hits[i] += int(np.count_nonzero(c.access_many(keys)))
    return [h / n if n else 0.0 for h in hits]


def _first(key_chunks: Iterable[np.ndarray], n: int):
    """The first ``n`` keys of the chunks (a file that grew between two passes
    is read to where the first pass stopped)."""
    for keys in key_chunks:
        if n <= 0:
            return
        yield keys[:n]
        n -= len(keys)


class TraceStats(dict):
    """A ``{name: value}`` dict of statistics (see :func:`trace_stats`)."""


def _iso(sec: int) -> str:
    return dt.datetime.fromtimestamp(sec, dt.timezone.utc).isoformat()


class TraceStatsBuilder:
    """Accumulate :class:`Trace` chunks (of one or more files, in order), then
    :meth:`result`."""

    def __init__(self, *, lru_fractions=(0.01, 0.05, 0.10), top: int = 10,
                 keep_keys: bool = True) -> None:
        self.lru_fractions = tuple(lru_fractions)
        self.top = top
        self.keep_keys = keep_keys      # False: result() gets a second pass for the LRU
        self.counts = KeyCounts()
        self.files: list[str] = []
        self.n = self.malformed = self.backwards = self.blank = 0
        self.total_bytes = 0
        self.examples: list = []
        self.truncated: list[str] = []
        self.fmts: list[str] = []
        self.present: set | None = None     # columns every chunk with rows carries
        self.keys: list[np.ndarray] = []
        self.sec_u: list[np.ndarray] = []
        self.sec_c: list[np.ndarray] = []
        self.sessions = np.empty(0, np.uint64)
        self.status_counts: dict[int, int] = {}
        self.methods = np.zeros(len(Method), np.int64)
        self.url_of: dict[int, str] = {}
        self.url_score: dict[int, int] = {}

    def add(self, ch: Trace, path: str) -> None:
        """Count one chunk of ``path``."""
        if path not in self.files:
            self.files.append(path)
        if ch.format not in self.fmts:
            self.fmts.append(ch.format)
        m = len(ch)
        self.n += m
        self.malformed += ch.malformed
        self.backwards += ch.backwards_time
        self.blank += ch.blank_lines
        self.examples += [(path, *e) for e in ch.malformed_examples]
        if ch.truncated:
            self.truncated.append(ch.truncated)
        if m == 0:
            return
        cols = set(ch.columns)
        self.present = cols if self.present is None else self.present & cols
        self.counts.add(ch.key)
        if self.keep_keys:
            self.keys.append(ch.key)
        if "size" in cols:
            self.total_bytes += exact_sum(ch.size)
        if "time_ns" in cols:
            u, c = np.unique(ch.time_ns // 1_000_000_000, return_counts=True)
            self.sec_u.append(u)
            self.sec_c.append(c)
        if "session" in cols:
            self.sessions = np.union1d(self.sessions, ch.session)
        if "status" in cols:
            su, sc = np.unique(ch.status, return_counts=True)
            for s, c in zip(su.tolist(), sc.tolist()):
                self.status_counts[s] = self.status_counts.get(s, 0) + c
        if "method" in cols:
            self.methods += np.bincount(ch.method, minlength=len(Method))[:len(Method)]
        # Bounded URL table: remember the strings of each chunk's most
        # requested keys; keep the best-scored _URL_TABLE of them.
        ku, first, kc = np.unique(ch.key, return_index=True, return_counts=True)
        best = np.argsort(-kc, kind="stable")[:_PER_CHUNK_TOP]
        for j in best.tolist():
            k = int(ku[j])
            self.url_score[k] = self.url_score.get(k, 0) + int(kc[j])
            if k not in self.url_of:
                self.url_of[k] = ch.url[int(first[j])] if ch.url is not None else f"#{k:016x}"
        if len(self.url_score) > 2 * _URL_TABLE:
            keep = sorted(self.url_score, key=self.url_score.__getitem__, reverse=True)[:_URL_TABLE]
            self.url_score = {k: self.url_score[k] for k in keep}
            self.url_of = {k: self.url_of[k] for k in keep}

    def result(self, lru_pass: Callable[[], Iterable[np.ndarray]] | None = None) -> TraceStats:
        """The statistics (see :func:`trace_stats`). Without kept keys,
        ``lru_pass()`` must give the key chunks again, in order."""
        present = self.present or set()
        ku, kc = self.counts.keys, self.counts.counts
        distinct = len(ku)
        n = self.n
        out = TraceStats()
        out["files"] = list(self.files)
        out["format"] = ",".join(self.fmts) if self.fmts else "empty"
        out["columns"] = [c for c in ("time_ns", "key", "size", "status", "method", "client",
                                      "session", "site") if c in present]
        out["requests"] = n
        out["malformed"] = self.malformed
        out["backwards_time"] = self.backwards
        out["blank_lines"] = self.blank
        out["has_time"] = bool("time_ns" in present and n > 0)
        for k in ("start_utc", "end_utc", "span_seconds", "rate_mean_per_s", "rate_p99_per_s",
                  "rate_max_per_s"):
            out[k] = None
        if out["has_time"] and self.sec_u:
            su = np.concatenate(self.sec_u)
            sc = np.concatenate(self.sec_c)
            secs, inv = np.unique(su, return_inverse=True)
            counts = np.bincount(inv, weights=sc).astype(np.int64)
            t0, t1 = int(secs[0]), int(secs[-1])
            windows = t1 - t0 + 1
            srt = np.sort(counts)
            rank = max(1, math.ceil(0.99 * windows)) - 1
            zeros = windows - len(counts)
            out["start_utc"] = _iso(t0)
            out["end_utc"] = _iso(t1)
            out["span_seconds"] = t1 - t0
            out["rate_mean_per_s"] = n / windows
            out["rate_p99_per_s"] = int(0 if rank < zeros else srt[rank - zeros])
            out["rate_max_per_s"] = int(srt[-1])
        out["distinct_urls"] = distinct
        out["distinct_sessions"] = int(len(self.sessions)) if "session" in present else None
        out["one_hit_wonder_ratio"] = float(np.count_nonzero(kc == 1) / distinct) if distinct else 0.0
        out["bytes_served"] = self.total_bytes if "size" in present else None
        if "status" in present:
            for s in sorted(self.status_counts):
                out[f"status_{s}"] = self.status_counts[s]
        else:
            out["status"] = None
        if "method" in present:
            for mcode in Method:
                if self.methods[mcode]:
                    out[f"method_{mcode.name}"] = int(self.methods[mcode])
        else:
            out["method"] = None
        order = np.lexsort((ku, -kc))[:self.top]
        for i, j in enumerate(order.tolist(), 1):
            k = int(ku[j])
            out[f"top_url_{i}"] = self.url_of.get(k, f"#{k:016x}")
            out[f"top_url_{i}_requests"] = int(kc[j])
        caps = [fraction_of(f, distinct) for f in self.lru_fractions]
        if not n:
            ratios = [0.0] * len(caps)
        elif self.keep_keys:
            ratios = lru_hit_ratios(self.keys, caps)
        else:
            if lru_pass is None:
                raise ValueError("result(): the keys were not kept, give lru_pass")
            ratios = lru_hit_ratios(_first(lru_pass(), n), caps)
        for f, cap, r in zip(self.lru_fractions, caps, ratios):
            pct = f"{f * 100:g}"
            out[f"lru_capacity_{pct}pct"] = cap
            out[f"lru_hit_ratio_{pct}pct"] = r
        out["malformed_examples"] = [
            {"file": path, "line": ln, "reason": reason, "text": text}
            for path, ln, reason, text in self.examples]
        out["truncated"] = list(self.truncated)
        return out


def trace_stats(paths: Iterable, *, lru_fractions=(0.01, 0.05, 0.10), top: int = 10,
                progress: Callable[[str, int, int | None], None] | None = None,
                **reader) -> TraceStats:
    """Statistics of one or more trace files read as one stream, in order.

    ``reader`` takes :func:`runiso_core.iter_trace`'s options (``format``,
    ``strict``, ``chunk_size``, ``columns``, ``tz``, ``allow_truncated``...).

    Returns a dict: ``files``, ``format``, ``columns`` (those the trace
    carries), ``requests`` (parsed requests), ``malformed``, ``backwards_time``,
    ``blank_lines``, time span and 1-second request rates (``rate_mean_per_s``
    = requests / (span + 1) windows, ``rate_p99_per_s`` nearest-rank over every
    window from first to last, empty ones included, ``rate_max_per_s``),
    ``distinct_urls``, ``distinct_sessions``, ``one_hit_wonder_ratio`` (share of
    distinct keys requested once), ``bytes_served``, ``status_<code>`` and
    ``method_<NAME>`` counts, ``top_url_<i>`` / ``top_url_<i>_requests``,
    ``lru_hit_ratio_<p>pct`` with ``lru_capacity_<p>pct`` (capacity =
    :func:`runiso_core.units.fraction_of` of the distinct keys: ``max(1,
    round-half-up(p% of distinct))``), ``malformed_examples`` and
    ``truncated``. Statistics the trace has no column for are None (``status``
    and ``method`` then replace the per-code counts).
    ``progress(path, raw_bytes_read, raw_size_or_None)`` is called per block.
    """
    files = [str(p) for p in paths]
    twice = all(os.path.isfile(f) for f in files)     # else keep the keys (stdin, pipes)
    b = TraceStatsBuilder(lru_fractions=lru_fractions, top=top, keep_keys=not twice)
    for path in files:
        def prog(done, total, _path=path):
            if progress is not None:
                progress(_path, done, total)
        if path not in b.files:
            b.files.append(path)
        for ch in iter_trace(path, with_strings="url", progress=prog, **reader):
            b.add(ch, path)
    reader = {k: v for k, v in reader.items() if k != "strict"}
    return b.result(lambda: (ch.key for f in files for ch in iter_trace(f, **reader)))
