"""Byte-capacity caches with TTL and stats: LRU, SIEVE and S3-FIFO.

A cache object is either a *proxy* cache (``put``/``get``/``c[k]``: stores
Python values, keeps the key object so colliding 64-bit hashes never alias)
or a metadata-only *simulator* (``access``/``access_many``: no Python object
per entry, keys identified by their 64-bit hash). The first call fixes the
mode; mixing raises RuntimeError.

Thread safety: every method may be called from several threads; a per-object
lock serialises the GIL-free batch with everything else.

Time: ``now`` (seconds) is optional on a cache without TTLs (the latest time
given is used) and required -- TypeError otherwise -- once the cache can hold
an entry that expires (``default_ttl`` set, or any entry given a finite
``ttl``): without it the cache cannot tell what has expired. ``cache[key]``,
``key in cache``, ``access_fast`` and ``access_many(times=None)`` cannot pass
it, so they raise on such a cache.

Keys: ``str`` keys are their UTF-8 bytes (``"a"`` and ``b"a"`` are one key); an
``int`` is a pre-hashed 64-bit key. The caches are registered as
:class:`collections.abc.MutableMapping`.

Memory (simulator mode, ``memory_bytes()``): 32-byte entries + a power-of-two
index of 8-byte buckets at load <= 2/3, i.e. <= 56 bytes per entry (45 B at
10,000 entries), key included. S3-FIFO's ghost keeps keys only (no entry): a
ring of 8-byte keys (16 with the size when ``capacity_bytes`` is set) sharing
an index sized exactly 1.5x the resident + ghost keys: 63 bytes per resident
entry in all with the default ghost of 0.9x ``max_entries``. Sizes are < 2**48 bytes.
"""
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, Union, final

import numpy as np
import numpy.typing as npt

Key = Union[str, bytes, bytearray, memoryview, int]
KeyBatch = Union[Sequence[Union[str, bytes, int]], npt.NDArray[np.uint64], npt.NDArray[np.bytes_],
                 npt.NDArray[np.str_], npt.NDArray[np.object_]]
_T = TypeVar("_T")

@dataclass(frozen=True)
class CacheStats:
    """Counters of one cache.

    ``hits``/``misses``/``byte_hits``/``byte_misses`` count requests
    (``access``, ``access_fast``, ``access_many``, ``get``; ``put`` is not a
    request; a ``get`` hit adds the stored size to ``byte_hits``, a ``get``
    miss adds no bytes since the size is unknown).
    ``evictions``: capacity evictions; ``expired``: TTL expiries reclaimed;
    ``too_large``: objects not admitted for their size. ``entries``/``bytes``:
    current resident contents. Ratios are 0.0 before any request.
    """
    hits: int
    misses: int
    byte_hits: int
    byte_misses: int
    evictions: int
    expired: int
    too_large: int
    entries: int
    bytes: int
    hit_ratio: float
    byte_hit_ratio: float

class _Cache:
    """Interface shared by :class:`LRUCache`, :class:`SieveCache`, :class:`S3FIFOCache`."""

    # simulator API
    def access(self, key: Key, size: int = 1, *, now: float | None = None, ttl: float | None = None) -> bool:
        """One request: True on a hit; on a miss the object is inserted (evicting as needed).

        ``size`` >= 1 bytes (< 2**48); a hit with a new size resizes the entry (and
        may evict others) unless ``resize_on_hit=False`` (the stored size is kept,
        as libCacheSim); a size above the capacity is never admitted (``too_large``).
        ``now`` in seconds (default: latest time given); ``ttl`` in seconds for an
        inserted object (None: ``default_ttl``, ``math.inf``: never). Hits keep
        the original expiry; an entry expires when ``now >= insert_time + ttl``.
        """
    def access_fast(self, key: Key, /) -> bool:
        """``access(key)`` with size 1, the latest time and the default TTL, through
        the cheapest CPython call (one positional argument, METH_O)."""
    def access_many(self, keys: KeyBatch, sizes: npt.ArrayLike | None = None,
                    times: npt.ArrayLike | None = None, ttls: npt.ArrayLike | None = None) -> npt.NDArray[np.bool_]:
        """Replay requests without the GIL; identical to one :meth:`access` per element.

        ``sizes``: int array (>= 1, default 1); ``times``: float64 seconds (default:
        latest time given); ``ttls``: float64 seconds, ``NaN`` = ``default_ttl``,
        ``inf`` = never expires, negative rejected. All arrays must match ``keys``' length.
        """
    # proxy API
    def put(self, key: Key, value: object, *, size: int = 1, ttl: float | None = None,
            now: float | None = None) -> bool:
        """Store ``value`` (replacing and re-timing any previous one); returns whether it is cached."""
    def get(self, key: Key, default: _T | None = None, *, now: float | None = None) -> Any | _T | None:
        """Cached value (promotes; a counted hit) or ``default`` (a counted miss; expired entries reclaimed)."""
    def peek(self, key: Key, default: _T | None = None, *, now: float | None = None) -> Any | _T | None:
        """Cached value or ``default`` without promoting, counting or reclaiming."""
    def pop(self, key: Key, default: _T = ..., *, now: float | None = None) -> Any | _T:
        """Remove and return the value; ``default`` or KeyError when absent/expired. No callback."""
    def __getitem__(self, key: Key, /) -> Any:
        """``get`` raising KeyError on a miss."""
    def __setitem__(self, key: Key, value: object, /) -> None:
        """``put(key, value)`` with size 1."""
    def __delitem__(self, key: Key, /) -> None:
        """``pop`` raising KeyError when absent."""
    def __contains__(self, key: object) -> bool:
        """Resident; no side effects (TypeError on a cache with TTLs: use ``peek(key, now=)``)."""
    def __len__(self) -> int:
        """Resident entries (an expired entry counts until it is reclaimed: ``expire(now)``)."""
    def __iter__(self) -> Iterator[Any]:
        """Resident keys, newest first (key objects in proxy mode, uint64 ints in simulator mode);
        TypeError on a cache with TTLs (use ``keys(now=)``)."""
    def keys(self, *, now: float | None = None) -> list[Any]:
        """Resident keys, newest first; with TTLs ``now`` is required and expired ones are left out."""
    def items(self, *, now: float | None = None) -> list[tuple[Any, Any]]:
        """Resident ``(key, value)`` pairs, newest first (values None in simulator mode); as ``keys``."""
    def values(self, *, now: float | None = None) -> list[Any]:
        """Resident values, newest first; as ``keys``."""
    def expire(self, now: float) -> list[tuple[Any, Any]]:
        """Reclaim the entries expired at ``now`` (counted in ``expired``, no callback); return them."""
    def clear(self) -> None:
        """Drop every entry (no callbacks); stats are kept."""
    def popitem(self, *, now: float | None = None) -> tuple[Any, Any]:
        """Remove and return the pair the policy would evict next (LRU: least recently used);
        with TTLs ``now`` is required and expired entries are reclaimed first. KeyError when
        empty. No callback, not counted in ``evictions``."""
    def setdefault(self, key: Key, default: Any = None, *, size: int = 1, ttl: float | None = None,
                   now: float | None = None) -> Any:
        """The cached value (a counted hit), else ``put(key, default)`` and ``default``."""
    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """``put(key, value)`` for every pair of a mapping or iterable of pairs, and the keywords."""
    @property
    def stats(self) -> CacheStats:
        """A snapshot of the counters (never half of a batch running in another thread)."""
    def reset_stats(self) -> None:
        """Zero the request counters (contents are kept)."""
    def _check(self) -> None:
        """Verify the internal invariants (testing aid); AssertionError names the broken one."""
    @property
    def capacity_bytes(self) -> int | None:
        """Byte bound, or None."""
    @property
    def max_entries(self) -> int | None:
        """Entry bound, or None."""
    @property
    def default_ttl(self) -> float | None:
        """Default TTL in seconds, or None (no expiry)."""
    @property
    def currsize(self) -> int:
        """Resident bytes (cachetools' name)."""
    @property
    def maxsize(self) -> int:
        """``capacity_bytes`` when set, else ``max_entries`` (cachetools' name)."""
    @property
    def mode(self) -> str:
        """'unset', 'simulator' or 'proxy'."""
    def memory_bytes(self) -> int:
        """C memory held (slot pool + index + S3-FIFO ghost ring and live bitmap + proxy object arrays)."""

@final
class LRUCache(_Cache):
    """Least-recently-used cache under a byte and/or entry bound, with TTLs and stats.

    Hit/miss decisions equal ``cachetools.LRUCache(maxsize, getsizeof)`` request by
    request, size changes on hits included; where cachetools raises "value too
    large" and keeps the old value, an object above the capacity is not admitted
    and a resident copy is dropped (``too_large``).
    ``on_evict(key, value)`` (proxy mode) runs after the cache is consistent for
    every entry the cache drops by itself (eviction, expiry, too large, hash
    collision); all callbacks run, then the first exception propagates.
    """
    def __init__(self, *, capacity_bytes: int | None = None, max_entries: int | None = None,
                 default_ttl: float | None = None,
                 on_evict: Callable[[Any, Any], object] | None = None,
                 resize_on_hit: bool = True) -> None: ...

@final
class SieveCache(_Cache):
    """SIEVE (NSDI'24): FIFO queue + visited bit; a hand walks from the oldest
    entry toward the newest, clearing visited bits, and evicts the first
    unvisited entry (as libCacheSim's Sieve.c)."""
    def __init__(self, *, capacity_bytes: int | None = None, max_entries: int | None = None,
                 default_ttl: float | None = None,
                 on_evict: Callable[[Any, Any], object] | None = None,
                 resize_on_hit: bool = True) -> None: ...

@final
class S3FIFOCache(_Cache):
    """S3-FIFO (SOSP'23) as libCacheSim's S3FIFO.c: small FIFO (10 %), main FIFO
    with a 2-bit clock, ghost FIFO of keys (90 %); at small-queue eviction a key
    moves to main when it was hit at least ``move_to_main_threshold`` times (2,
    libCacheSim's default; 1 = the paper's "accessed once"), else to the ghost;
    a ghost hit is inserted straight into main. Only objects smaller than the
    small queue are admitted (``too_large`` otherwise). Miss ratios equal
    libcachesim's on every trace tried."""
    def __init__(self, *, capacity_bytes: int | None = None, max_entries: int | None = None,
                 default_ttl: float | None = None,
                 on_evict: Callable[[Any, Any], object] | None = None,
                 small_ratio: float = 0.1, ghost_ratio: float = 0.9,
                 move_to_main_threshold: int = 2, resize_on_hit: bool = True) -> None: ...
