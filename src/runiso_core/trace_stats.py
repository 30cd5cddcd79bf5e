"""Workload statistics of a trace, computed chunk by chunk (``runiso trace stats``).

Memory: the per-chunk work is bounded by the chunk size; what grows with the
trace is the key column kept for the LRU replay (8 bytes per request), the
distinct keys/sessions (16 bytes per distinct key) and the per-second request
counts (16 bytes per busy second). The URL strings are a bounded table of the
most requested keys of each chunk (at most ``_URL_TABLE`` entries).
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Callable, Iterable

import numpy as np

from ._cache import LRUCache
from ._trace_types import Method
from .trace import iter_trace

__all__ = ["TraceStats", "trace_stats", "lru_hit_ratio"]

_URL_TABLE = 10_000     # candidate URLs remembered for the top-10 list
_PER_CHUNK_TOP = 1_000  # most requested keys of each chunk whose URL is remembered


def lru_hit_ratio(keys: np.ndarray, capacity: int) -> float:
    """Object-count LRU hit ratio of ``keys`` with ``capacity`` entries, replayed
    through the native cache core (``runiso_core.LRUCache.access_many``)."""
    cache = LRUCache(max_entries=capacity)
    hits = 0
    for s in range(0, len(keys), 1 << 20):
        hits += int(np.count_nonzero(cache.access_many(keys[s:s + (1 << 20)])))
    return hits / len(keys) if len(keys) else 0.0


class TraceStats(dict):
    """A flat ``{name: value}`` dict of statistics (see :func:`trace_stats`)."""


def _iso(sec: int) -> str:
    return dt.datetime.fromtimestamp(sec, dt.timezone.utc).isoformat()


def trace_stats(paths: Iterable, *, format: str | None = None, strict: bool = False,
                chunk_size: int = 1_000_000, lru_fractions=(0.01, 0.05, 0.10),
                top: int = 10, columns=None,
                progress: Callable[[str, int, int | None], None] | None = None) -> TraceStats:
    """Statistics of one or more trace files read as one stream, in order.

    Returns a flat dict: ``requests`` (parsed requests), ``malformed``,
    ``backwards_time``, ``format``, time span and 1-second request rates
    (``rate_mean_per_s`` = requests / (span + 1) windows, ``rate_p99_per_s``
    nearest-rank over every window from first to last, empty ones included,
    ``rate_max_per_s``), ``distinct_urls``, ``distinct_sessions``,
    ``one_hit_wonder_ratio`` (share of distinct keys requested once),
    ``bytes_served``, ``status_<code>`` and ``method_<NAME>`` counts,
    ``top_url_<i>`` / ``top_url_<i>_requests``, and ``lru_hit_ratio_<p>pct`` with
    ``lru_capacity_<p>pct`` (capacity = max(1, round(p% of distinct keys))).
    ``progress(path, raw_bytes_read, raw_size_or_None)`` is called per block.
    """
    files = [str(p) for p in paths]
    n = malformed = backwards = blank = 0
    total_bytes = 0
    examples: list = []
    fmts: list[str] = []
    has_time = True
    keys: list[np.ndarray] = []
    sec_u: list[np.ndarray] = []
    sec_c: list[np.ndarray] = []
    sessions = np.empty(0, np.uint64)
    status_counts: dict[int, int] = {}
    methods = np.zeros(len(Method), np.int64)
    url_of: dict[int, str] = {}
    url_score: dict[int, int] = {}
    for path in files:
        def prog(done, total, _path=path):
            if progress is not None:
                progress(_path, done, total)
        for ch in iter_trace(path, format=format, strict=strict, chunk_size=chunk_size,
                             with_strings="url", columns=columns, progress=prog):
            if ch.format not in fmts:
                fmts.append(ch.format)
            m = len(ch)
            n += m
            malformed += ch.malformed
            backwards += ch.backwards_time
            blank += ch.blank_lines
            examples += [(path, *e) for e in ch.malformed_examples][:10 - len(examples)]
            if m == 0:
                continue
            has_time &= ch.has_time
            keys.append(ch.key)
            total_bytes += int(ch.size.sum())
            if ch.has_time:
                u, c = np.unique(ch.time_ns // 1_000_000_000, return_counts=True)
                sec_u.append(u)
                sec_c.append(c)
            sessions = np.union1d(sessions, ch.session)
            su, sc = np.unique(ch.status, return_counts=True)
            for s, c in zip(su.tolist(), sc.tolist()):
                status_counts[s] = status_counts.get(s, 0) + c
            methods += np.bincount(ch.method, minlength=len(Method))[:len(Method)]
            # Bounded URL table: remember the strings of each chunk's most
            # requested keys; keep the best-scored _URL_TABLE of them.
            ku, first, kc = np.unique(ch.key, return_index=True, return_counts=True)
            best = np.argsort(-kc, kind="stable")[:_PER_CHUNK_TOP]
            for j in best.tolist():
                k = int(ku[j])
                url_score[k] = url_score.get(k, 0) + int(kc[j])
                if k not in url_of:
                    url_of[k] = ch.url[int(first[j])] if ch.url is not None else f"#{k:016x}"
            if len(url_score) > 2 * _URL_TABLE:
                keep = sorted(url_score, key=url_score.__getitem__, reverse=True)[:_URL_TABLE]
                url_score = {k: url_score[k] for k in keep}
                url_of = {k: url_of[k] for k in keep}
    allkeys = np.concatenate(keys) if keys else np.empty(0, np.uint64)
    ku, kc = np.unique(allkeys, return_counts=True)
    distinct = len(ku)
    out = TraceStats()
    out["files"] = files
    out["format"] = ",".join(fmts) if fmts else (format or "empty")
    out["requests"] = n
    out["malformed"] = malformed
    out["backwards_time"] = backwards
    out["blank_lines"] = blank
    out["has_time"] = bool(has_time and n > 0)
    if out["has_time"] and sec_u:
        su = np.concatenate(sec_u)
        sc = np.concatenate(sec_c)
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
    out["distinct_sessions"] = int(len(sessions))
    out["one_hit_wonder_ratio"] = float(np.count_nonzero(kc == 1) / distinct) if distinct else 0.0
    out["bytes_served"] = total_bytes
    for s in sorted(status_counts):
        out[f"status_{s}"] = status_counts[s]
    for mcode in Method:
        if methods[mcode]:
            out[f"method_{mcode.name}"] = int(methods[mcode])
    order = np.lexsort((ku, -kc))[:top]
    for i, j in enumerate(order.tolist(), 1):
        k = int(ku[j])
        out[f"top_url_{i}"] = url_of.get(k, f"#{k:016x}")
        out[f"top_url_{i}_requests"] = int(kc[j])
    for f in lru_fractions:
        cap = max(1, round(distinct * f))
        pct = f"{f * 100:g}"
        out[f"lru_capacity_{pct}pct"] = cap
        out[f"lru_hit_ratio_{pct}pct"] = lru_hit_ratio(allkeys, cap) if n else 0.0
    for i, (path, ln, reason, text) in enumerate(examples, 1):
        out[f"malformed_example_{i}"] = f"{path}:{ln}: {reason}: {text}"
    return out
