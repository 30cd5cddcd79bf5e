"""What the native and the reference site balancer share: codes, option checks, stats.

One place for option validation, so ``SiteBalancer`` and ``SiteBalancerPy``
accept and reject exactly the same arguments with the same messages.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any

from .locality import check_panic_threshold, overprovisioning_percent
from .topology import Topology

__all__ = ["NO_BACKEND", "OVERFLOW", "Pick", "BalancerStats", "BalancerOptions", "check_options",
           "POLICIES", "HASH_ALGORITHMS", "time_ns", "TIME_LIMIT_S"]


class Pick(IntEnum):
    """Negative codes a pick can return instead of a backend index."""

    NO_BACKEND = -1  #: nothing is healthy anywhere the request may go
    OVERFLOW = -2    #: spill_on_capacity: every site's capacity for this second is used up


NO_BACKEND = int(Pick.NO_BACKEND)
OVERFLOW = int(Pick.OVERFLOW)
POLICIES = {"wrr": 0, "p2c": 1, "hash": 2}
HASH_ALGORITHMS = ("maglev", "ketama")
#: |now| must stay below this many seconds so that int64 nanoseconds cannot overflow.
TIME_LIMIT_S = 9.0e9


@dataclass(frozen=True)
class BalancerStats:
    """Plain counters of one balancer (snapshot).

    Attributes
    ----------
    requests : int
        Picks made (per-call and batch).
    local : int
        Served by a backend of the arrival site.
    spilled : int
        Served by another site because of the Envoy split (health / failover).
    capacity_spilled : int
        Sent to another site because the chosen site's capacity for the second was used up.
    panic : int
        Served from a candidate set that ignored backend health (Envoy panic).
    no_backend : int
        Returned ``NO_BACKEND``.
    overflow : int
        Returned ``OVERFLOW``.
    bounded_walks : int
        Hash picks whose first candidate was over the bounded-load cap.
    unmatched_releases : int
        ``release()`` calls on a backend with no request in flight (ignored).
    per_backend : tuple of int
        Requests routed to each backend (canonical order).
    """

    requests: int
    local: int
    spilled: int
    capacity_spilled: int
    panic: int
    no_backend: int
    overflow: int
    bounded_walks: int
    unmatched_releases: int
    per_backend: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["per_backend"] = list(self.per_backend)
        return d


@dataclass(frozen=True)
class BalancerOptions:
    policy: str
    policy_code: int
    overprovisioning: float
    panic_threshold: float
    hash_algorithm: str
    table_size: int
    balance_factor: float  # 0.0 = bounded load off
    spill_on_capacity: bool
    seed: int
    inflight_window_ns: int  # 0 = in-flight is picks - releases, never reset


def check_options(topology: Any, policy: Any, overprovisioning: Any, panic_threshold: Any,
                  hash_algorithm: Any, table_size: Any, balance_factor: Any, spill_on_capacity: Any,
                  seed: Any, inflight_window: Any) -> BalancerOptions:
    """Validate the constructor arguments of a site balancer (both implementations)."""
    if not isinstance(topology, Topology):
        raise TypeError(f"topology must be a runiso_core.Topology, got {type(topology).__name__}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))}, got {policy!r}")
    overprovisioning_percent(overprovisioning)
    check_panic_threshold(panic_threshold)
    if hash_algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"hash_algorithm must be 'maglev' or 'ketama', got {hash_algorithm!r}")
    if isinstance(table_size, bool) or not isinstance(table_size, int) or table_size < 1:
        raise ValueError(f"table_size must be a positive int (a prime for Maglev), got {table_size!r}")
    if balance_factor is None:
        bf = 0.0
    else:
        if isinstance(balance_factor, bool) or not isinstance(balance_factor, (int, float)):
            raise TypeError(f"balance_factor must be a number >= 1 or None, got {type(balance_factor).__name__}")
        if not (math.isfinite(balance_factor) and balance_factor >= 1.0):
            raise ValueError(f"balance_factor must be a finite number >= 1 (e.g. 1.25) or None, "
                             f"got {balance_factor!r}")
        if policy != "hash":
            raise ValueError(f"balance_factor applies to policy='hash' only, got policy={policy!r}")
        bf = float(balance_factor)
    if not isinstance(spill_on_capacity, bool):
        raise TypeError(f"spill_on_capacity must be a bool, got {type(spill_on_capacity).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an int in [0, 2**64), got {seed!r}")
    if inflight_window is None:
        win = 0
    else:
        if isinstance(inflight_window, bool) or not isinstance(inflight_window, (int, float)):
            raise TypeError(f"inflight_window must be a number of seconds or None, "
                            f"got {type(inflight_window).__name__}")
        if not (math.isfinite(inflight_window) and 1e-6 <= inflight_window <= 86400.0):
            raise ValueError(f"inflight_window must be in [1e-6, 86400] seconds or None, got {inflight_window!r}")
        win = int(round(inflight_window * 1e9))
    return BalancerOptions(policy, POLICIES[policy], float(overprovisioning), float(panic_threshold),
                           hash_algorithm, int(table_size), bf, spill_on_capacity, int(seed), win)


def time_ns(now: Any, argname: str = "now") -> int:
    """Float seconds -> int64 nanoseconds, ``floor(now * 1e9)``, validated."""
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError(f"{argname} must be a number of seconds (float), got {type(now).__name__}")
    t = float(now)
    if not (math.isfinite(t) and abs(t) < TIME_LIMIT_S):
        raise ValueError(f"{argname} must be a finite number of seconds with |{argname}| < {TIME_LIMIT_S:g}, "
                         f"got {now!r}")
    return math.floor(t * 1e9)


def make_table(algorithm: str, table_size: int, names: tuple[str, ...], weights: tuple[int, ...]):
    """The consistent-hash table of one candidate set (issue #2's classes), or None if empty.

    Its node order is the canonical name order, i.e. the order of the candidate list.
    """
    if not names:
        return None
    from ._hashing import KetamaRing, MaglevTable

    nodes = dict(zip(names, weights))
    table = MaglevTable(nodes, table_size=table_size) if algorithm == "maglev" else KetamaRing(nodes)
    if tuple(table.nodes) != tuple(names):  # both sides sort by name; guard the contract
        raise RuntimeError(f"consistent-hash node order {table.nodes!r} != candidate order {names!r}")
    return table
