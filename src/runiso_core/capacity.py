"""N-1 capacity report: what each single failure does to every site's load.

The "slight loss of capacity" of an active-active deployment, made a number.
Traffic moves exactly as :class:`runiso_core.SiteBalancer` moves it: both use
:func:`runiso_core.site_traffic_split` (Envoy's priority / overprovisioning /
panic arithmetic). Pure Python, no I/O; ``runiso topology check`` prints it.

Example: three equal sites each carry 1/3 of the demand; when one fails, each
survivor carries 1/2, a load factor of 1.5, which Envoy's default 1.4
overprovisioning does not cover: each site must run at <= 66.7 % utilisation
in the nominal state, or shed load.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .locality import site_traffic_split
from .topology import MAX_RPS, Topology

__all__ = ["SiteLoad", "Scenario", "CapacityReport", "capacity_report"]


@dataclass(frozen=True)
class SiteLoad:
    """One site in one scenario.

    Attributes
    ----------
    site : str
    up : bool
    arrival_rps : float
        Demand arriving at the site (its share of the total).
    load_rps : float
        Demand the site serves after failover.
    nominal_load_rps : float
        What it serves with everything up.
    load_factor : float
        ``load_rps / nominal_load_rps`` (1.0 if both are 0; inf if only the nominal is 0).
    capacity_rps : float
        Healthy capacity (sum of ``capacity_rps`` of the backends that are up).
    utilisation : float
        ``load_rps / capacity_rps`` (0 if no load; inf if load without capacity).
    shed_rps : float
        Load above capacity (must be shed or spilled).
    headroom_rps : float
        Capacity left (``max(0, capacity - load)``).
    panic : bool
        Some traffic reaches this site in Envoy panic (ignoring backend health).
    """

    site: str
    up: bool
    arrival_rps: float
    load_rps: float
    nominal_load_rps: float
    load_factor: float
    capacity_rps: float
    utilisation: float
    shed_rps: float
    headroom_rps: float
    panic: bool


@dataclass(frozen=True)
class Scenario:
    """One state of the topology: nominal, or one site / one backend down.

    Attributes
    ----------
    name : str
        ``"nominal"``, ``"site <name> down"`` or ``"backend <name> down"``.
    kind : str
        ``"nominal"``, ``"site"`` or ``"backend"``.
    failed : str or None
        Name of the failed site/backend.
    sites : tuple of SiteLoad
    demand_rps : float
    unroutable_rps : float
        Demand with nowhere to go (no healthy backend reachable).
    shed_rps : float
        Sum of the sites' load above capacity, with Envoy's split alone.
    shed_with_spill_rps : float
        Load that must be shed even with capacity-aware spillover
        (``spill_on_capacity``): ``max(0, demand - total healthy capacity)`` + unroutable.
    headroom_rps : float
        Total capacity left.
    max_load_factor : float
    max_utilisation : float
    exceeds_overprovisioning : bool
        Some site's load factor is above the overprovisioning factor.
    """

    name: str
    kind: str
    failed: str | None
    sites: tuple[SiteLoad, ...]
    demand_rps: float
    unroutable_rps: float
    shed_rps: float
    shed_with_spill_rps: float
    headroom_rps: float
    max_load_factor: float
    max_utilisation: float
    exceeds_overprovisioning: bool

    @property
    def ok(self) -> bool:
        """No demand has to be shed (with Envoy's split alone)."""
        return self.shed_rps == 0 and self.unroutable_rps == 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d


@dataclass(frozen=True)
class CapacityReport:
    """Nominal state plus every single-site and single-backend failure.

    Attributes
    ----------
    demand_rps : float
    overprovisioning : float
    panic_threshold : float
    scenarios : tuple of Scenario
        ``scenarios[0]`` is the nominal state.
    """

    demand_rps: float
    overprovisioning: float
    panic_threshold: float
    scenarios: tuple[Scenario, ...]

    @property
    def nominal(self) -> Scenario:
        return self.scenarios[0]

    @property
    def worst(self) -> Scenario:
        """The failure scenario with the most demand shed (then the highest utilisation)."""
        return max(self.scenarios[1:] or self.scenarios,
                   key=lambda s: (s.shed_rps + s.unroutable_rps, s.max_utilisation, s.max_load_factor))

    def scenario(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(f"no scenario named {name!r}; have: {', '.join(s.name for s in self.scenarios)}")

    def to_dict(self) -> dict[str, Any]:
        return {"demand_rps": self.demand_rps, "overprovisioning": self.overprovisioning,
                "panic_threshold": self.panic_threshold,
                "scenarios": [s.to_dict() for s in self.scenarios]}

    def format_table(self) -> str:
        """Plain-text table: one line per scenario and site."""
        lines = [f"{'scenario':<28} {'site':<10} {'load rps':>10} {'factor':>7} {'cap rps':>10} "
                 f"{'util':>7} {'shed rps':>10} {'headroom':>10}"]
        for sc in self.scenarios:
            for sl in sc.sites:
                lines.append(f"{sc.name:<28.28} {sl.site:<10.10} {sl.load_rps:>10.1f} {sl.load_factor:>7.3f} "
                             f"{sl.capacity_rps:>10.1f} {sl.utilisation:>7.1%} {sl.shed_rps:>10.1f} "
                             f"{sl.headroom_rps:>10.1f}")
        return "\n".join(lines)


def _ratio(num: float, den: float, zero: float) -> float:
    if den > 0:
        return num / den
    return zero if num == 0 else math.inf


def capacity_report(topology: Topology, demand_rps: float | Mapping[str, float], *,
                    overprovisioning: float = 1.4, panic_threshold: float = 0.5,
                    backends: bool = True) -> CapacityReport:
    """N-1 report: nominal state, loss of each single site, loss of each single backend.

    Parameters
    ----------
    topology : Topology
    demand_rps : float or mapping of site name -> float
        Total demand, split over the sites by their shares; or the arrival demand of
        each site (missing sites get 0).
    overprovisioning, panic_threshold : float
        As in :class:`SiteBalancer`.
    backends : bool, default True
        Include the single-backend failures.

    Returns
    -------
    CapacityReport
    """
    if not isinstance(topology, Topology):
        raise TypeError(f"topology must be a Topology, got {type(topology).__name__}")
    arrivals = _arrivals(topology, demand_rps)
    demand = math.fsum(arrivals)
    S, B = topology.n_sites, topology.n_backends
    split_args = dict(overprovisioning=overprovisioning, panic_threshold=panic_threshold)
    nominal_split = site_traffic_split(topology, **split_args)
    nominal_load = _loads(nominal_split.fractions, arrivals)

    def scenario(name: str, kind: str, failed: str | None, bup: list[bool], sup: list[bool]) -> Scenario:
        sp = site_traffic_split(topology, backend_up=bup, site_up=sup, **split_args)
        load = _loads(sp.fractions, arrivals)
        unroutable = math.fsum(arrivals[a] for a in range(S) if not any(sp.ppm[a]))
        rows = []
        for j, site in enumerate(topology.sites):
            cap = math.fsum(b.capacity_rps for i, b in enumerate(topology.backends)
                            if topology.backend_sites[i] == j and bup[i] and sup[j])
            rows.append(SiteLoad(
                site=site.name, up=sup[j], arrival_rps=arrivals[j], load_rps=load[j],
                nominal_load_rps=nominal_load[j], load_factor=_ratio(load[j], nominal_load[j], 1.0),
                capacity_rps=cap, utilisation=_ratio(load[j], cap, 0.0),
                shed_rps=max(0.0, load[j] - cap), headroom_rps=max(0.0, cap - load[j]),
                panic=any(sp.panic[a][j] and sp.ppm[a][j] > 0 and arrivals[a] > 0 for a in range(S))))
        total_cap = math.fsum(r.capacity_rps for r in rows)
        routable = demand - unroutable
        return Scenario(
            name=name, kind=kind, failed=failed, sites=tuple(rows), demand_rps=demand,
            unroutable_rps=unroutable, shed_rps=math.fsum(r.shed_rps for r in rows),
            shed_with_spill_rps=max(0.0, routable - total_cap) + unroutable,
            headroom_rps=math.fsum(r.headroom_rps for r in rows),
            max_load_factor=max((r.load_factor for r in rows if r.up), default=0.0),
            max_utilisation=max((r.utilisation for r in rows if r.up), default=0.0),
            exceeds_overprovisioning=any(r.load_factor > overprovisioning for r in rows if r.up))

    all_b, all_s = [True] * B, [True] * S
    scenarios = [scenario("nominal", "nominal", None, all_b, all_s)]
    for j, site in enumerate(topology.sites):
        sup = list(all_s)
        sup[j] = False
        scenarios.append(scenario(f"site {site.name} down", "site", site.name, all_b, sup))
    if backends:
        for i, b in enumerate(topology.backends):
            bup = list(all_b)
            bup[i] = False
            scenarios.append(scenario(f"backend {b.name} down", "backend", b.name, bup, all_s))
    return CapacityReport(demand, float(overprovisioning), float(panic_threshold), tuple(scenarios))


def _loads(fractions, arrivals) -> list[float]:
    S = len(arrivals)
    return [math.fsum(arrivals[a] * fractions[a][j] for a in range(S)) for j in range(S)]


def _arrivals(topology: Topology, demand: Any) -> list[float]:
    if isinstance(demand, Mapping):
        out = [0.0] * topology.n_sites
        for name, v in demand.items():
            out[topology.site_index(name)] = _check_demand(v, f"demand_rps[{name!r}]")
        return out
    d = _check_demand(demand, "demand_rps")
    # shares relative to the largest: only ratios matter, and a sum of huge shares overflows
    top = max(s.share for s in topology.sites)
    rel = [s.share / top for s in topology.sites]
    total = math.fsum(rel)
    return [d * r / total for r in rel]


def _check_demand(v: Any, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{path} must be a number of requests per second, got {type(v).__name__}")
    if not (math.isfinite(v) and 0 <= v <= MAX_RPS):
        raise ValueError(f"{path} must be a finite number in [0, {MAX_RPS:g}], got {v!r}")
    return float(v)
