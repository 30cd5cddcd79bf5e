"""Pure-Python reference of the cache simulators in ``runiso_core._cache``.

Readable, slow, and meant to be obviously correct: the tests replay the same
requests through these classes and the native ones and require the same
decision for every request, and the same counters.

Shared semantics (``access(key, size=1, now=None, ttl=None) -> bool``):

* a resident, unexpired key is a hit (policy-specific promotion); a hit with a
  different size resizes the entry in place and evicts until it fits again
  (with ``resize_on_hit=False`` it keeps the stored size, as libCacheSim);
* an expired entry (``now >= expiry``) is reclaimed and the request is a miss
  (``expired``); a resident key whose new size exceeds the capacity is dropped
  (``too_large``, a miss);
* a miss inserts the object after evicting until ``bytes + size <= capacity_bytes``
  and ``entries + 1 <= max_entries``; an object above the capacity is never
  admitted (``too_large``);
* times and TTLs are converted to integer nanoseconds (round half away from zero)
  and an entry inserted at ``t`` with TTL ``d`` expires at ``t + d``; a hit keeps
  the expiry.
"""
from __future__ import annotations

import math
from collections import OrderedDict

INT64_MAX = 2**63 - 1
NEVER = INT64_MAX
MAX_SIZE = 2**48
BYTES_MAX = INT64_MAX - MAX_SIZE   # resident bytes never exceed this, whatever the bounds


def _scale(v: int, ratio: float, limit: int) -> int:
    """``(int64)(v * ratio)`` saturated at ``limit`` (the native rc_scale)."""
    return min(int(v * ratio), limit)


def to_ns(seconds: float) -> int:
    """``llround(seconds * 1e9)``: the native rounding, exactly."""
    v = float(seconds) * 1e9
    r = math.floor(abs(v))
    if abs(v) - r >= 0.5:
        r += 1
    return r if v >= 0 else -r


class _RefBase:
    def __init__(self, *, capacity_bytes=None, max_entries=None, default_ttl=None,
                 resize_on_hit=True):
        if capacity_bytes is None and max_entries is None:
            raise ValueError("give capacity_bytes and/or max_entries")
        self.cap_bytes = INT64_MAX if capacity_bytes is None else int(capacity_bytes)
        self.max_entries = INT64_MAX if max_entries is None else int(max_entries)
        self.default_ttl = NEVER if default_ttl is None or default_ttl == math.inf else to_ns(default_ttl)
        self.resize_on_hit = resize_on_hit
        self.now = 0
        self.size = {}    # resident key -> size
        self.expire = {}  # resident key -> expiry ns
        self.bytes = 0
        self.hits = self.misses = self.byte_hits = self.byte_misses = 0
        self.evictions = self.expired = self.too_large = 0

    # -- helpers shared by the policies
    def _expiry(self, now, ttl):
        if ttl is None:
            d = self.default_ttl
        elif ttl == math.inf:
            d = NEVER
        else:
            d = to_ns(ttl)
        if d == NEVER or d >= 9 * 10**18:
            return NEVER
        return min(now + d, NEVER)

    def _add(self, key, size, expire):
        self.size[key] = size
        self.expire[key] = expire
        self.bytes += size

    def _forget(self, key):
        self.bytes -= self.size.pop(key)
        del self.expire[key]

    def _make_room(self, extra, extra_n):
        while self.size and (self.bytes + extra > min(self.cap_bytes, BYTES_MAX)
                             or len(self.size) + extra_n > self.max_entries):
            self._evict()

    def _resize(self, key, size):
        old = self.size[key]
        self.size[key] = size
        self.bytes += size - old
        if size > old:
            self._make_room(0, 0)

    def access(self, key, size=1, now=None, ttl=None):
        now = self.now if now is None else to_ns(now)
        self.now = now
        ghost_hit = self._ghost_take(key)
        if key in self.size:
            if now >= self.expire[key]:
                self.expired += 1
                self._drop(key)
            elif not self.resize_on_hit:     # libCacheSim: the stored object, as it is
                self.hits += 1
                self.byte_hits += size
                self._touch(key)
                return True
            elif size > self.cap_bytes:
                self.too_large += 1
                self.misses += 1
                self.byte_misses += size
                self._drop(key)
                return False
            else:
                self.hits += 1
                self.byte_hits += size
                self._touch(key)
                if size != self.size[key]:
                    self._resize(key, size)
                return True
        self.misses += 1
        self.byte_misses += size
        if size > self.cap_bytes or not self._admissible(size, ghost_hit):
            self.too_large += 1
            return False
        self._make_room(size, 1)
        self._insert(key, size, self._expiry(now, ttl), ghost_hit)
        return False

    def access_many(self, keys, sizes=None, times=None, ttls=None):
        out = []
        for i, k in enumerate(keys):
            ttl = None
            if ttls is not None and not math.isnan(ttls[i]):
                ttl = ttls[i]
            out.append(self.access(int(k), 1 if sizes is None else int(sizes[i]),
                                   None if times is None else times[i], ttl))
        return out

    # policy hooks (S3-FIFO overrides the ghost ones)
    def _ghost_take(self, key):
        return False

    def _admissible(self, size, ghost_hit):
        return True

    def __len__(self):
        return len(self.size)

    def counters(self):
        return dict(hits=self.hits, misses=self.misses, byte_hits=self.byte_hits,
                    byte_misses=self.byte_misses, evictions=self.evictions,
                    expired=self.expired, too_large=self.too_large,
                    entries=len(self.size), bytes=self.bytes)


class LRURef(_RefBase):
    """LRU: an OrderedDict, most recent at the end (as cachetools.LRUCache)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.order = OrderedDict()

    def _touch(self, key):
        self.order.move_to_end(key)

    def _insert(self, key, size, expire, ghost_hit):
        self._add(key, size, expire)
        self.order[key] = None

    def _drop(self, key):
        del self.order[key]
        self._forget(key)

    def _evict(self):
        key = next(iter(self.order))
        self.evictions += 1
        self._drop(key)


class SieveRef(_RefBase):
    """SIEVE: FIFO list (newest first), visited bits, a hand from the tail toward the head."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.queue = []      # index 0 = head (newest), last = tail (oldest)
        self.visited = {}
        self.hand = None     # key the hand points at; None = start at the tail

    def _touch(self, key):
        self.visited[key] = True

    def _insert(self, key, size, expire, ghost_hit):
        self._add(key, size, expire)
        self.queue.insert(0, key)
        self.visited[key] = False

    def _newer(self, key):
        i = self.queue.index(key)
        return self.queue[i - 1] if i > 0 else None

    def _drop(self, key):
        if self.hand == key:
            self.hand = self._newer(key)
        self.queue.remove(key)
        del self.visited[key]
        self._forget(key)

    def _evict(self):
        key = self.hand if self.hand is not None else self.queue[-1]
        while self.visited[key]:
            self.visited[key] = False
            newer = self._newer(key)
            key = newer if newer is not None else self.queue[-1]
        self.hand = self._newer(key)
        self.evictions += 1
        self.queue.remove(key)
        del self.visited[key]
        self._forget(key)


class S3FIFORef(_RefBase):
    """S3-FIFO as libCacheSim's S3FIFO.c: small FIFO, main FIFO (2-bit clock), ghost FIFO."""

    def __init__(self, *, small_ratio=0.1, ghost_ratio=0.9, move_to_main_threshold=2, **kw):
        super().__init__(**kw)
        cb, me = self.cap_bytes, self.max_entries
        if cb == INT64_MAX:
            self.small_b = self.main_b = self.ghost_b = INT64_MAX
        else:
            self.small_b = max(1, _scale(cb, small_ratio, BYTES_MAX))
            self.main_b = cb - self.small_b
            self.ghost_b = _scale(cb, ghost_ratio, BYTES_MAX)
        if me == INT64_MAX:
            self.small_n = self.main_n = self.ghost_n = INT64_MAX
        else:
            self.small_n = max(1, _scale(me, small_ratio, INT64_MAX))
            self.main_n = me - self.small_n
            self.ghost_n = _scale(me, ghost_ratio, INT64_MAX)
        self.threshold = move_to_main_threshold
        self.small = OrderedDict()   # FIFO: oldest first
        self.main = OrderedDict()
        self.ghost = OrderedDict()   # key -> size
        self.freq = {}
        self.has_evicted = False

    def _qbytes(self, q):
        return sum(self.size[k] for k in q)

    def _ghost_take(self, key):
        if key in self.ghost:
            del self.ghost[key]
            return True
        return False

    def _admissible(self, size, ghost_hit):
        if size > self.small_b:
            return False
        # libCacheSim refuses a non-ghost object as large as the small queue
        return ghost_hit or self.cap_bytes == INT64_MAX or size < self.small_b

    def _touch(self, key):
        self.freq[key] = min(self.freq[key] + 1, 3)

    def _insert(self, key, size, expire, ghost_hit):
        self._add(key, size, expire)
        self.freq[key] = 0
        if ghost_hit:
            self.main[key] = None
        elif self.has_evicted or (self._qbytes(self.small) < self.small_b
                                  and len(self.small) < self.small_n):
            self.small[key] = None
        else:
            self.main[key] = None

    def _drop(self, key):
        self.small.pop(key, None)
        self.main.pop(key, None)
        del self.freq[key]
        self._forget(key)

    def _ghost_add(self, key, size):
        if size > self.ghost_b or self.ghost_n < 1:
            return
        while self.ghost and (sum(self.ghost.values()) + size > self.ghost_b
                              or len(self.ghost) + 1 > self.ghost_n):
            self.ghost.popitem(last=False)
        self.ghost[key] = size

    def _evict(self):
        self.has_evicted = True
        if (self._qbytes(self.main) > self.main_b or len(self.main) > self.main_n
                or not self.small):
            while self.main:
                key = next(iter(self.main))
                f = self.freq[key]
                if f >= 1:
                    self.main.move_to_end(key)
                    self.freq[key] = min(f, 3) - 1
                else:
                    self.evictions += 1
                    self._drop(key)
                    return
        else:
            while self.small:
                key, _ = self.small.popitem(last=False)
                if self.freq[key] >= self.threshold:
                    self.freq[key] = 0
                    self.main[key] = None
                else:
                    self.evictions += 1
                    size = self.size[key]
                    del self.freq[key]
                    self._forget(key)
                    self._ghost_add(key, size)
                    return
