"""Envoy's priority / locality / panic arithmetic applied to sites (pure Python).

This is the one place where the share of traffic that leaves a site is computed.
:class:`runiso_core.SiteBalancer` (native and reference) compiles its routing
tables from :func:`site_traffic_split`, and :func:`runiso_core.capacity_report`
uses it for the N-1 arithmetic, so the three can never disagree.

Mapping of Envoy's model onto sites, for a request arriving at site ``a``:

- priority P0 is site ``a`` alone; priority P1 holds every *other* site that is
  up and has a share > 0, each as a locality whose locality weight is its share;
- health(P) = min(100, floor(overprovisioning% x healthy weight / total weight))
  in integer percent, exactly as Envoy (``load_balancer_impl.cc``,
  ``recalculatePerPriorityState`` with weighted priority health; the
  overprovisioning factor is a whole percent, 1.4 -> 140);
- the priority load is Envoy's ``distributeLoad``: normalized total health
  NTH = min(100, H0 + H1); load(Pk) = min(remaining, Hk x 100 // NTH); the
  rounding remainder goes to the first priority with health > 0;
- inside P1 a site gets traffic in proportion to its effective locality weight
  share x min(100, floor(overprovisioning% x healthy/total)) (Envoy's
  locality-weighted LB);
- panic (Envoy's ``recalculatePerPriorityPanic``): only when NTH < 100, a
  priority whose healthy percent (100 x healthy weight / total weight) is below
  ``panic_threshold`` x 100 is *in panic* and its traffic goes to all its
  backends regardless of health (in P1 then spread over sites by total backend
  weight, as Envoy ignores locality weights in panic). When every priority is in
  panic (total panic) the load is split by total backend weight instead.

Runiso-specific choices (documented deviations):

- a site marked down (``set_site_up(name, False)``) is removed like a locality
  withdrawn from EDS: it contributes no hosts, never receives traffic, not even
  in panic. Backends marked down are "unhealthy hosts" and panic may use them.
- when no backend is healthy in any up site the row is empty (the balancer
  returns ``NO_BACKEND``) instead of Envoy's fail-open to every host.
- weights are backend weights everywhere (Envoy's ``weighted_priority_health``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .topology import Topology

__all__ = [
    "PPM",
    "TrafficSplit",
    "envoy_health",
    "overprovisioning_percent",
    "priority_load",
    "site_traffic_split",
]

#: Resolution of the integer routing tables: parts per million of a site's arrivals.
PPM = 1_000_000


def overprovisioning_percent(overprovisioning: float) -> int:
    """Validate an overprovisioning factor (>= 1, finite) and return it as Envoy's whole percent."""
    if isinstance(overprovisioning, bool) or not isinstance(overprovisioning, (int, float)):
        raise TypeError(f"overprovisioning must be a number >= 1, got {type(overprovisioning).__name__}")
    if not (math.isfinite(overprovisioning) and overprovisioning >= 1.0):
        raise ValueError(f"overprovisioning must be a finite number >= 1 (Envoy default 1.4), "
                         f"got {overprovisioning!r}")
    if overprovisioning > 100:
        raise ValueError(f"overprovisioning must be <= 100, got {overprovisioning!r}")
    return int(round(overprovisioning * 100))


def check_panic_threshold(panic_threshold: float) -> float:
    """Validate a panic threshold in [0, 1] (Envoy's healthy_panic_threshold / 100)."""
    if isinstance(panic_threshold, bool) or not isinstance(panic_threshold, (int, float)):
        raise TypeError(f"panic_threshold must be a number in [0, 1], got {type(panic_threshold).__name__}")
    if not 0.0 <= panic_threshold <= 1.0:  # NaN fails too
        raise ValueError(f"panic_threshold must be in [0, 1] (Envoy default 0.5), got {panic_threshold!r}")
    return float(panic_threshold)


def envoy_health(healthy_weight: int, total_weight: int, overprovisioning: float = 1.4) -> int:
    """Envoy's integer health percent of a priority level or locality.

    ``min(100, floor(op% * healthy / total))``; 0 for an empty level.

    >>> [envoy_health(h, 100) for h in (100, 72, 71, 50, 25, 0)]
    [100, 100, 99, 70, 35, 0]
    """
    op = overprovisioning_percent(overprovisioning)
    if total_weight <= 0:
        return 0
    return min(100, op * int(healthy_weight) // int(total_weight))


def priority_load(health: Sequence[int]) -> list[int] | None:
    """Envoy's ``distributeLoad``: integer percent of traffic per priority level.

    Returns ``None`` when the normalized total health is 0 (nothing to
    distribute; the caller applies the panic rules).

    >>> priority_load([70, 100])
    [70, 30]
    >>> priority_load([35, 35])
    [50, 50]
    """
    nth = min(100, sum(health))
    if nth == 0:
        return None
    loads = []
    remaining = 100
    first = -1
    for i, h in enumerate(health):
        if first < 0 and h > 0:
            first = i
        part = min(remaining, h * 100 // nth)
        loads.append(part)
        remaining -= part
    if remaining:
        loads[first] += remaining
    return loads


def _by_weight(weights: Sequence[int]) -> list[int]:
    # Envoy's recalculateLoadInTotalPanic: 100 * hosts // total, remainder to the first non-empty.
    total = sum(weights)
    loads = [100 * w // total for w in weights]
    first = next(i for i, w in enumerate(weights) if w > 0)
    loads[first] += 100 - sum(loads)
    return loads


def _apportion(values: Sequence[Fraction], total: int) -> list[int]:
    # Largest remainder: integers summing exactly to `total`, ties to the lower index.
    s = sum(values)
    if s == 0:
        return [0] * len(values)
    exact = [v * total / s for v in values]
    out = [math.floor(e) for e in exact]
    short = total - sum(out)
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[:short]:
        out[i] += 1
    return out


@dataclass(frozen=True)
class TrafficSplit:
    """Where the arrivals of each site go.

    Attributes
    ----------
    site_names : tuple of str
        Canonical site order (rows and columns).
    fractions : tuple of tuple of float
        ``fractions[a][j]``: share of the requests arriving at site ``a`` that are
        served by site ``j``. Each row sums to 1, or is all 0 when nothing can serve.
    ppm : tuple of tuple of int
        The same in integer parts per million (each row sums to exactly
        1,000,000 or 0); the balancers route from these.
    panic : tuple of tuple of bool
        ``panic[a][j]``: traffic from ``a`` to ``j`` ignores backend health (Envoy panic).
    health : tuple of int
        Envoy health percent of each site on its own (0 if the site is down).
    priority_loads : tuple of tuple of int
        Per arrival site, Envoy's integer priority load ``(P0 = stay, P1 = spill)``.
    """

    site_names: tuple[str, ...]
    fractions: tuple[tuple[float, ...], ...]
    ppm: tuple[tuple[int, ...], ...]
    panic: tuple[tuple[bool, ...], ...]
    health: tuple[int, ...]
    priority_loads: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        n = self.site_names
        return {
            "sites": list(n),
            "health": dict(zip(n, self.health)),
            "priority_loads": {a: list(pl) for a, pl in zip(n, self.priority_loads)},
            "fractions": {a: dict(zip(n, row)) for a, row in zip(n, self.fractions)},
            "panic": {a: [j for j, p in zip(n, row) if p] for a, row in zip(n, self.panic)},
        }


def site_traffic_split(
    topology: Topology,
    *,
    backend_up: Sequence[bool] | None = None,
    site_up: Sequence[bool] | None = None,
    overprovisioning: float = 1.4,
    panic_threshold: float = 0.5,
) -> TrafficSplit:
    """Envoy's priority/overprovisioning/panic arithmetic for every arrival site.

    Parameters
    ----------
    topology : Topology
    backend_up : sequence of bool, optional
        Health of each backend in canonical order (default: all up).
    site_up : sequence of bool, optional
        Whether each site is up (default: all up).
    overprovisioning : float, default 1.4
        Envoy's overprovisioning factor (>= 1; applied as a whole percent).
    panic_threshold : float, default 0.5
        Envoy's healthy panic threshold as a fraction in [0, 1]; 0 disables panic.

    Returns
    -------
    TrafficSplit
    """
    if not isinstance(topology, Topology):
        raise TypeError(f"topology must be a Topology, got {type(topology).__name__}")
    op = overprovisioning_percent(overprovisioning)
    pt = check_panic_threshold(panic_threshold)
    S, B = topology.n_sites, topology.n_backends
    bup = _bools(backend_up, B, "backend_up")
    sup = _bools(site_up, S, "site_up")

    hw = [0] * S  # healthy weight of each up site
    tw = [0] * S  # total weight of each up site (down sites contribute no hosts)
    for i, b in enumerate(topology.backends):
        s = topology.backend_sites[i]
        if sup[s]:
            tw[s] += b.weight
            if bup[i]:
                hw[s] += b.weight
    health = [min(100, op * hw[s] // tw[s]) if tw[s] else 0 for s in range(S)]
    anything_healthy = any(hw)
    shares = [Fraction(s.share) for s in topology.sites]

    frac_rows, ppm_rows, panic_rows, pl_rows = [], [], [], []
    for a in range(S):
        p1 = [j for j in range(S) if j != a and sup[j] and shares[j] > 0]
        hw1, tw1 = sum(hw[j] for j in p1), sum(tw[j] for j in p1)
        h0 = health[a]
        h1 = min(100, op * hw1 // tw1) if tw1 else 0
        nth = min(100, h0 + h1)
        # Envoy: panic is only considered when NTH < 100; an empty level counts as 0 % healthy.
        if nth < 100:
            panic0 = (100.0 * hw[a] / tw[a] if tw[a] else 0.0) < pt * 100.0
            panic1 = (100.0 * hw1 / tw1 if tw1 else 0.0) < pt * 100.0
        else:
            panic0 = panic1 = False
        row = [Fraction(0)] * S
        prow = [False] * S
        loads = (0, 0)
        if anything_healthy:
            if panic0 and panic1 and tw[a] + tw1 > 0:
                loads = tuple(_by_weight([tw[a], tw1]))  # total panic
            elif nth == 0:
                # Panic disabled (threshold 0) and every health rounds to 0: Envoy gives P0 100 %
                # and serves only its healthy hosts ("no healthy upstream" if there are none).
                loads = (100, 0) if hw[a] else (0, 0)
            else:
                loads = tuple(priority_load([h0, h1]))
            if loads[0]:
                row[a] = Fraction(loads[0], 100)
                prow[a] = panic0
            if loads[1]:
                if panic1:
                    ew = {j: Fraction(tw[j]) for j in p1}
                else:
                    ew = {j: shares[j] * health[j] for j in p1}
                tot = sum(ew.values())
                for j in p1:
                    if ew[j]:
                        row[j] = Fraction(loads[1], 100) * ew[j] / tot
                        prow[j] = panic1
        pl_rows.append(tuple(loads))
        frac_rows.append(tuple(float(x) for x in row))
        ppm_rows.append(tuple(_apportion(row, PPM)))
        panic_rows.append(tuple(prow))
    return TrafficSplit(topology.site_names, tuple(frac_rows), tuple(ppm_rows), tuple(panic_rows),
                        tuple(health), tuple(pl_rows))


def _bools(values: Sequence[bool] | None, n: int, name: str) -> list[bool]:
    if values is None:
        return [True] * n
    vals = list(values)
    if len(vals) != n:
        raise ValueError(f"{name}: expected {n} values, got {len(vals)}")
    return [bool(v) for v in vals]
