"""Replay a trace through LRU / SIEVE / S3-FIFO caches (``runiso cache sim``).

The trace comes in as :class:`~runiso_core.Trace` chunks (any format the
reader knows). Each (policy, capacity) pair is one cache of the native core
fed chunk by chunk with ``access_many`` (no Python object per request).

Rules, as libCacheSim's ``cachesim`` has them (so the miss ratios are equal):

* The **working set** is the distinct objects (every request counts) and the
  sum of their sizes, each object counted with the first size seen on a
  request that has one (libCacheSim's ``cal_working_set_size``, which skips
  size-0 requests). An object percentage is a share of the objects, a byte
  percentage a share of the bytes, rounded with
  :func:`runiso_core.units.fraction_of` (the rule ``trace stats`` uses too).
* **Object capacities** count every request (size irrelevant); the byte miss
  ratio is then computed from the logged sizes of the missed requests.
* **Byte capacities** replay the requests that have a size: a request of size
  0 (``-``: a 304 or a HEAD) has no object size to charge and is skipped and
  counted in ``skipped_unsized``, as libCacheSim skips zero-size requests.
  Sizes of 2**48 bytes or more are charged as 2**48 - 1 (never admitted
  below that capacity).
* The replay clock never goes back: a request logged with a time before the
  previous one's (access logs are written at completion) is replayed at the
  latest time seen, so a TTL cannot bring an expired entry back; times are
  replayed relative to the first request (no range or float-precision limit).
* A hit whose logged size differs from the stored one keeps the stored size
  (libCacheSim's rule: a log's byte count is what was sent, and a short count
  is often an aborted transfer, not a smaller object); ``resize_on_hit=True``
  resizes the entry instead (cachetools' rule, the proxy caches' ``put``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from ._cache import LRUCache, S3FIFOCache, SieveCache
from .keycounts import KeyCounts, exact_sum
from .trace import Trace
from .units import Capacity

__all__ = ["POLICIES", "SimResult", "CacheSimReport", "MissingColumnError", "simulate",
           "columns_of", "buffered"]

#: Policy name -> cache class.
POLICIES = {"lru": LRUCache, "sieve": SieveCache, "s3fifo": S3FIFOCache}
_SIZE_CAP = (1 << 48) - 1       # the cores' size bound


class MissingColumnError(ValueError):
    """The trace lacks a column the simulation needs (``column``: ``"size"``
    for byte capacities, ``"time_ns"`` for a TTL)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class SimResult:
    """One (policy, capacity) replay."""

    policy: str
    capacity: str              # as given
    kind: str                  # "objects" or "bytes"
    bound: int                 # entries or bytes
    requests: int
    hits: int
    misses: int
    miss_ratio: float
    byte_miss_ratio: float | None   # None without sizes
    byte_hits: int | None
    byte_misses: int | None
    evictions: int
    expired: int
    too_large: int


@dataclass
class CacheSimReport:
    """Everything ``cache sim`` prints."""

    requests: int = 0              # requests in the trace
    backwards_time: int = 0        # requests logged before the previous one (clock held)
    skipped_unsized: int = 0       # byte capacities: size-0 requests not replayed
    distinct_objects: int = 0
    distinct_bytes: int | None = None
    has_sizes: bool = False
    has_time: bool = False
    ttl: float | None = None
    results: list[SimResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["results"] = [asdict(r) for r in self.results]
        return d


class _Sim:
    def __init__(self, policy: str, cap: Capacity, bound: int, ttl: float | None,
                 resize_on_hit: bool) -> None:
        self.policy, self.cap, self.bound = policy, cap, bound
        kw = {"capacity_bytes": bound} if cap.kind == "bytes" else {"max_entries": bound}
        self.cache = POLICIES[policy](default_ttl=ttl, resize_on_hit=resize_on_hit, **kw)
        self.requests = 0
        self.byte_hits = self.byte_total = 0
        self.sized = True          # every request had a size (object capacities)

    def feed(self, keys, sizes, times) -> None:
        if self.cap.kind == "bytes":
            self.cache.access_many(keys, sizes=sizes, times=times)
        else:
            hits = self.cache.access_many(keys, times=times)
            if sizes is None:
                self.sized = False
            else:
                self.byte_hits += exact_sum(sizes[hits])
                self.byte_total += exact_sum(sizes)
        self.requests += len(keys)

    def result(self, has_sizes: bool) -> SimResult:
        s = self.cache.stats
        if self.cap.kind == "bytes":
            bh, bm = s.byte_hits, s.byte_misses
        elif has_sizes and self.sized and self.byte_total:
            bh, bm = self.byte_hits, self.byte_total - self.byte_hits
        else:
            bh = bm = None
        req = s.hits + s.misses
        return SimResult(
            policy=self.policy, capacity=self.cap.text, kind=self.cap.kind, bound=self.bound,
            requests=req, hits=s.hits, misses=s.misses,
            miss_ratio=s.misses / req if req else 0.0,
            byte_miss_ratio=(bm / (bh + bm) if bh is not None and bh + bm else
                             (0.0 if bh is not None else None)),
            byte_hits=bh, byte_misses=bm, evictions=s.evictions, expired=s.expired,
            too_large=s.too_large)


Columns = tuple  # (keys uint64, sizes int64 or None, time_ns int64 or None)


def columns_of(ch: Trace) -> Columns:
    """The columns a replay reads from a chunk (None where the trace has none)."""
    return (ch.key, ch.size if "size" in ch.columns else None,
            ch.time_ns if "time_ns" in ch.columns else None)


def simulate(first_pass: Iterable[Trace], second_pass: Callable[[], Iterable[Columns]] | None, *,
             policies: Sequence[str], capacities: Sequence[Capacity],
             ttl: float | None = None, resize_on_hit: bool = False) -> CacheSimReport:
    """Replay a trace through every (policy, capacity) pair.

    Parameters
    ----------
    first_pass : iterable of Trace
        The trace's chunks. When every capacity is absolute it is the only
        pass (the caches are fed while the working set is counted).
    second_pass : callable, optional
        Returns the same requests again as :func:`columns_of` tuples, for
        percentage capacities (which need the working set before the first
        request). Required then.
    policies : sequence of str
        Keys of :data:`POLICIES`.
    capacities : sequence of Capacity
        From :func:`runiso_core.units.parse_capacity`.
    ttl : float, optional
        Default TTL in seconds (needs request times).
    resize_on_hit : bool, optional
        Byte capacities: a hit with another logged size resizes the entry
        (default False: it keeps the stored size, as libCacheSim).

    Raises
    ------
    MissingColumnError
        A byte capacity on a trace without sizes, or ``ttl`` on a trace
        without times.
    """
    for p in policies:
        if p not in POLICIES:
            raise ValueError(f"unknown policy {p!r}; expected one of {', '.join(POLICIES)}")
    rep = CacheSimReport(ttl=ttl)
    objects = KeyCounts()       # every request
    sized = KeyCounts()         # requests with a size: the bytes of the working set
    by_bytes = any(c.kind == "bytes" for c in capacities)
    two_pass = any(c.fraction is not None for c in capacities)
    sims: list[_Sim] = []
    byte_sims: list[_Sim] = []
    obj_sims: list[_Sim] = []

    def build(has_sizes: bool, has_time: bool) -> None:
        if by_bytes and not has_sizes:
            raise MissingColumnError("size", "a byte capacity needs object sizes, and the "
                                     "trace has no size column")
        if ttl is not None and not has_time:
            raise MissingColumnError("time_ns", "a TTL needs request times, and the trace has "
                                     "no time column")
        for cap in capacities:
            bound = cap.resolve(objects.objects, sized.bytes if has_sizes else None)
            for p in policies:
                sim = _Sim(p, cap, bound, ttl, resize_on_hit)
                sims.append(sim)
                (byte_sims if cap.kind == "bytes" else obj_sims).append(sim)

    clock = {"base": None, "last": None}

    def replay_times(tns: np.ndarray) -> np.ndarray:
        # seconds since the first request, never going back (see the module notes)
        if clock["base"] is None:
            clock["base"] = int(tns[0])
        rel = tns - clock["base"]
        if clock["last"] is not None:
            rel = np.maximum(rel, clock["last"])
        rel = np.maximum.accumulate(rel)
        clock["last"] = int(rel[-1])
        return rel.astype(np.float64) / 1e9

    def feed(cols: Columns) -> None:
        keys, sizes, tns = cols
        if ttl is not None and tns is None:
            raise MissingColumnError("time_ns", "a TTL needs request times, and part of the "
                                     "trace has no time column")
        if byte_sims and sizes is None:
            raise MissingColumnError("size", "a byte capacity needs object sizes, and part of "
                                     "the trace has no size column")
        times = replay_times(tns) if ttl is not None else None
        if obj_sims:
            for s in obj_sims:
                s.feed(keys, sizes, times)
        if byte_sims:
            sized = sizes > 0
            rep.skipped_unsized += int(np.count_nonzero(~sized))
            bk, bs = keys[sized], np.minimum(sizes[sized], _SIZE_CAP)
            bt = times[sized] if times is not None else None
            for s in byte_sims:
                s.feed(bk, bs, bt)

    started = False
    for ch in first_pass:
        if not len(ch):
            continue
        if not started:
            rep.has_sizes = "size" in ch.columns
            rep.has_time = "time_ns" in ch.columns
            if not two_pass:
                build(rep.has_sizes, rep.has_time)
            started = True
        rep.requests += len(ch)
        rep.backwards_time += ch.backwards_time
        rep.has_sizes &= "size" in ch.columns      # a column of the whole trace, or none
        rep.has_time &= "time_ns" in ch.columns
        objects.add(ch.key)
        if rep.has_sizes:
            m = ch.size > 0     # libCacheSim's working set skips zero-size requests
            sized.add(ch.key[m], ch.size[m])
        if not two_pass:
            feed(columns_of(ch))
    rep.distinct_objects = objects.objects
    rep.distinct_bytes = sized.bytes if rep.has_sizes else None
    if not started:
        return rep
    if two_pass:
        if second_pass is None:
            raise ValueError("percentage capacities need a second pass over the trace")
        build(rep.has_sizes, rep.has_time)
        rep.skipped_unsized = 0
        left = rep.requests       # a file that grows between the passes: its first part only
        for cols in second_pass():
            if left <= 0:
                break
            if len(cols[0]) > left:
                cols = tuple(c[:left] if c is not None else None for c in cols)
            left -= len(cols[0])
            if len(cols[0]):
                feed(cols)
    if byte_sims and byte_sims[0].requests == 0:
        raise MissingColumnError("size", f"a byte capacity replays the requests that have a "
                                 f"size, and all {rep.requests:,} have size 0: there is nothing "
                                 f"to replay")
    rep.results = [s.result(rep.has_sizes) for s in sims]
    return rep


def buffered(chunks: Iterable[Trace]) -> tuple[Iterator[Trace], Callable[[], Iterator[Columns]]]:
    """A first pass over ``chunks`` that keeps their replay columns, and a
    second pass over what it kept: for input that cannot be read twice
    (stdin). Memory: 8 bytes per request per column the trace has."""
    kept: list[Columns] = []

    def first():
        for ch in chunks:
            if len(ch):
                kept.append(columns_of(ch))
            yield ch

    def second():
        return iter(kept)
    return first(), second
