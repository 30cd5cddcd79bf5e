"""Pure-Python reference of runiso_core._admission (readable, slow, exact).

Same integer scheme as the native module: times in int ns (rounded to
nearest), tokens in nano-tokens (1 token = 10**9), rate quantised once to
nano-tokens per second, refill ``(elapsed_ns * rate + carry) // 10**9`` with
the remainder carried. Python ints never overflow, so no capping trick is
needed here; the native code caps elapsed time at the refill time instead,
which gives the same numbers. Used by the tests to check the native objects
decision by decision; not meant for production use.
"""
from __future__ import annotations

import math
from collections import OrderedDict

from runiso_core._admission import Decision
from runiso_core._hashing import _key_hash

NS = 10**9
UNSET = None
RECLAIM_SCAN = 8
T_LIMIT = float(2**62)


def sec_to_ns(s: float) -> int:
    """Seconds -> ns, nearest, ties up (the native rn_sec_to_ns)."""
    s = float(s)
    if not (s >= 0.0 and s * 1e9 < T_LIMIT):
        raise ValueError(f"now must be a finite time in seconds in [0, 4.6e9), got {s!r}")
    x = s * 1e9
    i = int(x)
    return i + 1 if x - i >= 0.5 else i


def quantise(x: float) -> int:
    """Tokens (or tokens/s) -> nano-tokens (or nano-tokens/s), nearest."""
    return math.floor(float(x) * 1e9 + 0.5)


class _Bucket:
    """State of one bucket: last time seen, nano-tokens, refill carry."""

    __slots__ = ("last", "tokens", "rem")

    def __init__(self, tokens: int, last):
        self.last = last
        self.tokens = tokens
        self.rem = 0

    def refill(self, rate: int, cap: int, now: int) -> None:
        if self.last is not UNSET and now <= self.last:
            return  # time going backwards (or standing still) mints nothing
        if self.last is UNSET:
            self.last = now
            return
        elapsed, self.last = now - self.last, now
        if self.tokens >= cap:
            self.rem = 0
            return
        minted, self.rem = divmod(elapsed * rate + self.rem, NS)
        if self.tokens + minted >= cap:
            self.tokens, self.rem = cap, 0
        else:
            self.tokens += minted

    def full_at(self, rate: int, cap: int, now: int) -> bool:
        probe = _Bucket(self.tokens, self.last)
        probe.rem = self.rem
        probe.refill(rate, cap, now)
        return probe.tokens >= cap

    def wait_ns(self, rate: int, need: int) -> int:
        if self.tokens >= need:
            return 0
        return -(-((need - self.tokens) * NS - self.rem) // rate)


def _need(n, cap: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int number of tokens, got {n!r}")
    if n < 1 or n * NS > cap:
        raise ValueError(f"n must be in [1, burst], got {n}")
    return n * NS


class TokenBucket:
    """Reference :class:`runiso_core.TokenBucket`."""

    def __init__(self, rate: float, burst: float, *, initial: float | None = None):
        self.rate_q, self.cap = quantise(rate), quantise(burst)
        start = self.cap if initial is None else min(quantise(initial), self.cap)
        self.b = _Bucket(start, UNSET)

    def try_acquire(self, now: float, n: int = 1) -> bool:
        need = _need(n, self.cap)
        self.b.refill(self.rate_q, self.cap, sec_to_ns(now))
        if self.b.tokens >= need:
            self.b.tokens -= need
            return True
        return False

    def tokens(self, now: float) -> float:
        self.b.refill(self.rate_q, self.cap, sec_to_ns(now))
        return self.b.tokens / 1e9

    def time_until(self, now: float, n: int = 1) -> float:
        need = _need(n, self.cap)
        self.b.refill(self.rate_q, self.cap, sec_to_ns(now))
        return self.b.wait_ns(self.rate_q, need) / 1e9


class KeyedTokenBuckets:
    """Reference :class:`runiso_core.KeyedTokenBuckets` (OrderedDict as the LRU list)."""

    def __init__(self, rate: float, burst: float, *, max_keys: int):
        self.rate_q, self.cap, self.max_keys = quantise(rate), quantise(burst), max_keys
        self.buckets: OrderedDict[int, _Bucket] = OrderedDict()  # first = least recently seen
        self.stats = {"acquired": 0, "refused": 0, "evicted": 0, "reclaimed": 0}

    def __len__(self) -> int:
        return len(self.buckets)

    def _make_room(self, now: int) -> None:
        for i, (key, b) in enumerate(self.buckets.items()):
            if i == RECLAIM_SCAN:
                break
            if b.full_at(self.rate_q, self.cap, now):
                del self.buckets[key]
                self.stats["reclaimed"] += 1
                return
        self.buckets.popitem(last=False)
        self.stats["evicted"] += 1

    def time_until(self, key, now: float, n: int = 1) -> float:
        h, t, need = _key_hash(key), sec_to_ns(now), _need(n, self.cap)
        b = self.buckets.get(h)
        if b is None:
            return 0.0
        probe = _Bucket(b.tokens, b.last)
        probe.rem = b.rem
        probe.refill(self.rate_q, self.cap, t)
        return probe.wait_ns(self.rate_q, need) / 1e9

    def try_acquire(self, key, now: float, n: int = 1) -> bool:
        h, t, need = _key_hash(key), sec_to_ns(now), _need(n, self.cap)
        b = self.buckets.get(h)
        if b is None:
            if len(self.buckets) == self.max_keys:
                self._make_room(t)
            b = self.buckets[h] = _Bucket(self.cap, t)
        else:
            self.buckets.move_to_end(h)
        b.refill(self.rate_q, self.cap, t)
        ok = b.tokens >= need
        if ok:
            b.tokens -= need
        self.stats["acquired" if ok else "refused"] += 1
        return ok


ACTIVE, SHED = "active", "shed"


class SessionGate:
    """Reference :class:`runiso_core.SessionGate`: two OrderedDicts as the recency lists."""

    def __init__(self, *, new_sessions_rate, new_sessions_burst, max_active_sessions,
                 idle_timeout, shed_ttl, max_tracked):
        self.rate_q, self.cap = quantise(new_sessions_rate), quantise(new_sessions_burst)
        self.bucket = _Bucket(self.cap, UNSET)
        self.max_active, self.max_tracked = max_active_sessions, max_tracked
        self.idle_ns, self.shed_ns = sec_to_ns(idle_timeout), sec_to_ns(shed_ttl)
        self.now = 0
        self.active: OrderedDict[int, int] = OrderedDict()  # key -> last request ns; first = oldest
        self.shed: OrderedDict[int, int] = OrderedDict()    # key -> time shed ns; first = oldest
        self.stats = {d.name.lower(): 0 for d in Decision}
        self.stats.update(expired=0, unstuck=0, evicted_shed=0, untracked=0)

    def __len__(self) -> int:
        return len(self.active) + len(self.shed)

    def _advance(self, now: float) -> None:
        self.now = max(self.now, sec_to_ns(now))
        while self.active and self.now - next(iter(self.active.values())) > self.idle_ns:
            self.active.popitem(last=False)
            self.stats["expired"] += 1
        while self.shed and self.now - next(iter(self.shed.values())) >= self.shed_ns:
            self.shed.popitem(last=False)
            self.stats["unstuck"] += 1

    def _track(self, key: int, table: OrderedDict) -> bool:
        if len(self) == self.max_tracked:
            if not self.shed:
                self.stats["untracked"] += 1
                return False
            self.shed.popitem(last=False)
            self.stats["evicted_shed"] += 1
        table[key] = self.now
        return True

    def _take_token(self) -> bool:
        self.bucket.refill(self.rate_q, self.cap, self.now)
        if self.bucket.tokens >= NS:
            self.bucket.tokens -= NS
            return True
        return False

    def active_sessions(self, now: float) -> int:
        self._advance(now)
        return len(self.active)

    def decide(self, session_key, now: float, *, priority: bool = False) -> Decision:
        h = _key_hash(session_key)
        self._advance(now)
        if h in self.active:
            self.active[h] = self.now
            self.active.move_to_end(h)
            d = Decision.ADMITTED_ACTIVE
        elif h in self.shed:
            if priority:
                del self.shed[h]
                self.active[h] = self.now
                d = Decision.ADMITTED_PRIORITY
            else:
                d = Decision.SHED_STICKY
        elif priority:
            self._track(h, self.active)
            d = Decision.ADMITTED_PRIORITY
        elif len(self.active) < self.max_active and self._take_token():
            self._track(h, self.active)
            d = Decision.ADMITTED_NEW
        else:
            self._track(h, self.shed)
            d = Decision.SHED_NEW
        self.stats[d.name.lower()] += 1
        return d
