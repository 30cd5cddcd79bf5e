"""Admission control: exact token buckets, keyed buckets, session-aware shedding.

Times are float seconds (``time.monotonic()`` or trace times), converted once
to int64 ns; tokens are int64 nano-tokens; refills carry their remainder, so
the arithmetic is exact (see :class:`TokenBucket`). The objects are mutable
and thread-safe (per-object lock; batch methods release the GIL).
"""
import enum
from collections.abc import Sequence
from typing import Any, final

import numpy as np
import numpy.typing as npt

from ._hashing import Key, KeyBatch

Times = npt.NDArray[np.float64] | Sequence[float]

class Decision(enum.IntEnum):
    """What :meth:`SessionGate.decide` did (uint8 codes in arrays); ``d < SHED_NEW`` means served."""

    ADMITTED_ACTIVE = 0
    """Session already admitted and not idle: always served."""
    ADMITTED_NEW = 1
    """New session: took a token and an active slot."""
    ADMITTED_PRIORITY = 2
    """Priority request (cart, checkout): served; the session becomes active even above the cap."""
    SHED_NEW = 3
    """New visitor over the rate or the cap: send to the overflow pool."""
    SHED_STICKY = 4
    """Visitor already shed within ``shed_ttl``."""

@final
class TokenBucket:
    """One exact token bucket.

    ``rate`` tokens per second in (0, 1e9] (quantised once to integer
    nano-tokens per second), capacity ``burst`` in [1, 1e9] tokens, starting
    full unless ``initial`` is given (its clock starts at the first call).
    Over any interval T at most ``burst + rate * T`` tokens are granted, and a
    client asking continuously gets exactly that (to one token). Time going
    backwards mints nothing and never raises (the bucket keeps the largest
    time seen).
    """

    rate: float
    burst: float
    def __init__(self, rate: float, burst: float, *, initial: float | None = None) -> None: ...
    def try_acquire(self, now: float, n: int = 1) -> bool:
        """Take ``n`` tokens at ``now`` (seconds) if available. ``n > burst`` raises ValueError."""
    def tokens(self, now: float) -> float:
        """Tokens available at ``now``."""
    def time_until(self, now: float, n: int = 1) -> float:
        """Seconds until ``n`` tokens are available (0.0 if they are): a ``Retry-After``."""
    def try_acquire_many(self, times: Times, n: int | npt.NDArray[np.integer] | None = None) -> npt.NDArray[np.bool_]:
        """Batch :meth:`try_acquire` (nogil), one request per time, in order."""

@final
class KeyedTokenBuckets:
    """One exact token bucket per key in a bounded open-addressing table.

    Keys: str/bytes (hashed with ``hash64``) or ints in [0, 2**64) taken as
    already hashed. An unknown key starts with a full bucket. At most
    ``max_keys`` keys are tracked: a full bucket (same as absent) among the 8
    least recently seen is reclaimed first, else the least recently seen key
    is evicted, and that client comes back with a full bucket (the fairness
    cost of bounded memory). 36 bytes per entry + 4 bytes per index slot.
    """

    rate: float
    burst: float
    max_keys: int
    def __init__(self, rate: float, burst: float, *, max_keys: int) -> None: ...
    def try_acquire(self, key: Key, now: float, n: int = 1) -> bool:
        """Take ``n`` tokens from ``key``'s bucket at ``now`` if available."""
    def time_until(self, key: Key, now: float, n: int = 1) -> float:
        """Seconds until ``key`` has ``n`` tokens (0.0 if it has; read-only): a ``Retry-After``."""
    def try_acquire_many(self, keys: KeyBatch, times: Times,
                         n: int | npt.NDArray[np.integer] | None = None) -> npt.NDArray[np.bool_]:
        """Batch :meth:`try_acquire` (nogil), identical to per-call in order."""
    def __len__(self) -> int:
        """Keys currently tracked (<= ``max_keys``)."""
    @property
    def stats(self) -> dict[str, int]:
        """``acquired``, ``refused``, ``evicted`` (LRU, non-full) and ``reclaimed`` (full buckets)."""
    @property
    def memory_bytes(self) -> int:
        """Bytes allocated for the table (fixed at construction)."""
    def _check(self) -> None:
        """Verify the internal invariants (testing aid); AssertionError names the broken one."""

@final
class SessionGate:
    """Session-level admission: admitted sessions keep being served, new visitors beyond
    ``new_sessions_rate`` or ``max_active_sessions`` are shed (and stay shed for ``shed_ttl``).

    A session is active while each request comes within ``idle_timeout`` of its
    last one; priority requests are never shed. The gate's clock is the largest
    time seen. At most ``max_tracked`` (>= ``max_active_sessions``) sessions are
    tracked; when full, the oldest shed entry is dropped; when every entry is
    an active session, the request is decided untracked (``stats['untracked']``).
    """

    new_sessions_rate: float
    new_sessions_burst: float
    max_active_sessions: int
    idle_timeout: float
    shed_ttl: float
    max_tracked: int
    def __init__(self, *, new_sessions_rate: float, new_sessions_burst: float, max_active_sessions: int,
                 idle_timeout: float, shed_ttl: float, max_tracked: int) -> None: ...
    def decide(self, session_key: Key, now: float, *, priority: bool = False) -> Decision:
        """Decide one request of ``session_key`` at ``now`` (seconds)."""
    def decide_many(self, session_keys: KeyBatch, times: Times,
                    priority: bool | npt.NDArray[np.bool_] | npt.NDArray[np.integer[Any]] | None = None) -> npt.NDArray[np.uint8]:
        """Batch :meth:`decide` (nogil): uint8 :class:`Decision` codes, identical to per-call in order."""
    def active_sessions(self, now: float) -> int:
        """Active sessions at ``now`` (expires idle ones; advances the clock)."""
    def __len__(self) -> int:
        """Sessions tracked (active + shed), <= ``max_tracked``."""
    @property
    def stats(self) -> dict[str, int]:
        """Counts per decision (lower-case names) plus ``expired``, ``unstuck``, ``evicted_shed``, ``untracked``."""
    @property
    def memory_bytes(self) -> int:
        """Bytes allocated for the table (fixed at construction)."""
    def _check(self) -> None:
        """Verify the internal invariants (testing aid); AssertionError names the broken one."""
