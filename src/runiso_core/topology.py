"""The site topology model: sites (datacenters), their traffic shares and backends.

Plain, immutable dataclasses with no I/O: the YAML/TOML loader of the replay
issue builds the same objects through :meth:`Topology.from_dict`.

Canonical order (what every int32 index in the batch APIs refers to):

- ``Topology.sites`` is sorted by site name; ``site_index(name)`` is the
  position in that tuple.
- ``Topology.backends`` holds every backend of every site, sorted by backend
  name (backend names are unique across the topology); ``backend_index(name)``
  is the position in that tuple. ``Site.backends`` is sorted by name too, so a
  site's backends appear in the same relative order in both tuples.

Shares are arrival traffic shares (any non-negative real numbers; only their
ratios matter) and, as in Envoy's locality-weighted balancing, the weight of a
site when traffic spills into it. Backend weights are positive integers (as in
NGINX, HAProxy and Envoy), capacities are in requests per second (``inf`` =
unbounded, the default).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

__all__ = ["Backend", "Site", "Topology", "MAX_WEIGHT", "MAX_RPS"]

#: Largest backend weight accepted (keeps every weight sum well inside int64).
MAX_WEIGHT = 1_000_000

#: Largest finite rate (requests/s) accepted for a capacity or a demand: sums of
#: such rates stay finite (two capacities of 1e308 overflowed math.fsum).
MAX_RPS = 1e15

_SITE_FIELDS = ("name", "share", "backends")
_BACKEND_FIELDS = ("name", "weight", "capacity_rps")


def _check_name(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{path}: must be a str, got {type(value).__name__} {value!r:.60}")
    if not value or value != value.strip():
        raise ValueError(f"{path}: must be a non-empty name without surrounding spaces, got {value!r:.60}")
    return value


def _check_real(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{path}: must be a number, got {type(value).__name__} {value!r:.60}")
    return float(value)


def _check_weight(value: Any, path: str) -> int:
    v = _check_real(value, path)
    if not v > 0:  # also catches NaN
        raise ValueError(f"{path}: must be > 0, got {value!r}")
    if not isinstance(value, Integral) and not (math.isfinite(v) and v == int(v)):
        raise ValueError(f"{path}: must be an integer (weights are whole numbers as in "
                         f"NGINX/HAProxy/Envoy), got {value!r}")
    if v > MAX_WEIGHT:
        raise ValueError(f"{path}: must be <= {MAX_WEIGHT}, got {value!r}")
    return int(v)


def _check_capacity(value: Any, path: str) -> float:
    v = _check_real(value, path)
    if not v > 0:  # also catches NaN
        raise ValueError(f"{path}: must be > 0 requests/s (inf = unbounded), got {value!r}")
    if MAX_RPS < v < math.inf:
        raise ValueError(f"{path}: must be <= {MAX_RPS:g} requests/s or inf (unbounded), got {value!r}")
    return v


def _check_share(value: Any, path: str) -> float:
    v = _check_real(value, path)
    if not v >= 0 or math.isinf(v):  # NaN fails the comparison
        raise ValueError(f"{path}: must be a finite number >= 0, got {value!r}")
    return v


def _check_fields(data: Any, allowed: Sequence[str], required: Sequence[str], path: str) -> None:
    if not isinstance(data, Mapping):
        raise TypeError(f"{path}: must be a mapping, got {type(data).__name__}")
    for k in data:
        if k not in allowed:
            raise ValueError(f"{path}: unknown field {k!r} (allowed: {', '.join(allowed)})")
    for k in required:
        if k not in data:
            raise ValueError(f"{path}.{k}: missing required field")


@dataclass(frozen=True)
class Backend:
    """One backend server.

    Parameters
    ----------
    name : str
        Unique across the whole topology.
    weight : int, default 1
        Positive integer in [1, 1_000_000].
    capacity_rps : float, default inf
        Requests per second the backend can serve (> 0; ``inf`` = unbounded).
    """

    name: str
    weight: int = 1
    capacity_rps: float = math.inf

    def __post_init__(self) -> None:
        _check_name(self.name, "Backend.name")
        object.__setattr__(self, "weight", _check_weight(self.weight, f"Backend({self.name!r}).weight"))
        object.__setattr__(self, "capacity_rps",
                           _check_capacity(self.capacity_rps, f"Backend({self.name!r}).capacity_rps"))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight, "capacity_rps": self.capacity_rps}


@dataclass(frozen=True)
class Site:
    """One site (datacenter): a traffic share and its backends (sorted by name).

    Parameters
    ----------
    name : str
    share : float, default 1.0
        Arrival share of the traffic (>= 0, finite); also the site's locality
        weight when other sites spill into it.
    backends : sequence of Backend
        At least one; stored sorted by name.
    """

    name: str
    share: float = 1.0
    backends: tuple[Backend, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _check_name(self.name, "Site.name")
        object.__setattr__(self, "share", _check_share(self.share, f"Site({self.name!r}).share"))
        bks = tuple(self.backends)
        for i, b in enumerate(bks):
            if not isinstance(b, Backend):
                raise TypeError(f"Site({self.name!r}).backends[{i}]: must be a Backend, got {type(b).__name__}")
        if not bks:
            raise ValueError(f"Site({self.name!r}).backends: a site needs at least one backend")
        object.__setattr__(self, "backends", tuple(sorted(bks, key=lambda b: b.name)))

    @property
    def total_weight(self) -> int:
        return sum(b.weight for b in self.backends)

    @property
    def capacity_rps(self) -> float:
        return math.fsum(b.capacity_rps for b in self.backends)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "share": self.share, "backends": [b.to_dict() for b in self.backends]}


@dataclass(frozen=True)
class Topology:
    """Sites and backends in canonical (name-sorted) order. Immutable; share it freely.

    Build it with :meth:`from_dict` (field-path error messages) or directly from
    :class:`Site` objects.
    """

    sites: tuple[Site, ...]
    backends: tuple[Backend, ...] = field(init=False)
    site_names: tuple[str, ...] = field(init=False)
    backend_names: tuple[str, ...] = field(init=False)
    backend_sites: tuple[int, ...] = field(init=False, repr=False)
    _site_idx: dict = field(init=False, repr=False, compare=False)
    _backend_idx: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sites = tuple(self.sites) if not isinstance(self.sites, (str, bytes)) else None
        if sites is None:
            raise TypeError("Topology.sites: must be a sequence of Site")
        if not sites:
            raise ValueError("Topology.sites: a topology needs at least one site")
        seen_site: dict[str, int] = {}
        seen_backend: dict[str, str] = {}
        for i, s in enumerate(sites):
            if not isinstance(s, Site):
                raise TypeError(f"Topology.sites[{i}]: must be a Site, got {type(s).__name__}")
            if s.name in seen_site:
                raise ValueError(f"Topology.sites[{i}].name: duplicate site name {s.name!r}")
            seen_site[s.name] = i
            for b in s.backends:
                if b.name in seen_backend:
                    raise ValueError(f"Topology: backend name {b.name!r} appears in site {s.name!r} "
                                     f"and in site {seen_backend[b.name]!r}; backend names must be unique")
                seen_backend[b.name] = s.name
        if not any(s.share > 0 for s in sites):  # not fsum: two shares of 1e308 overflow it
            raise ValueError("Topology.sites: at least one site needs a share > 0")
        sites = tuple(sorted(sites, key=lambda s: s.name))
        site_idx = {s.name: i for i, s in enumerate(sites)}
        pairs = sorted(((b, site_idx[s.name]) for s in sites for b in s.backends), key=lambda p: p[0].name)
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "backends", tuple(p[0] for p in pairs))
        object.__setattr__(self, "backend_sites", tuple(p[1] for p in pairs))
        object.__setattr__(self, "site_names", tuple(s.name for s in sites))
        object.__setattr__(self, "backend_names", tuple(p[0].name for p in pairs))
        object.__setattr__(self, "_site_idx", site_idx)
        object.__setattr__(self, "_backend_idx", {b.name: i for i, b in enumerate(self.backends)})

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Topology:
        """Build and validate a topology from plain data.

        ``{"sites": [{"name": "pa2", "share": 1, "backends": [{"name": "web-1", "weight": 2,
        "capacity_rps": 400}, ...]}, ...]}``. ``share`` defaults to 1, ``weight`` to 1,
        ``capacity_rps`` to inf. Errors name the field path of the input, e.g.
        ``sites[1].backends[0].weight: must be > 0, got -1``.
        """
        _check_fields(data, ("sites",), ("sites",), "topology")
        raw_sites = data["sites"]
        if isinstance(raw_sites, (str, bytes, Mapping)) or not isinstance(raw_sites, Sequence):
            raise TypeError(f"sites: must be a list of sites, got {type(raw_sites).__name__}")
        if not raw_sites:
            raise ValueError("sites: a topology needs at least one site")
        sites = []
        site_seen: dict[str, int] = {}
        backend_seen: dict[str, str] = {}
        for i, rs in enumerate(raw_sites):
            p = f"sites[{i}]"
            _check_fields(rs, _SITE_FIELDS, ("name", "backends"), p)
            name = _check_name(rs["name"], f"{p}.name")
            if name in site_seen:
                raise ValueError(f"{p}.name: duplicate site name {name!r} (also sites[{site_seen[name]}])")
            site_seen[name] = i
            share = _check_share(rs.get("share", 1.0), f"{p}.share")
            rbs = rs["backends"]
            if isinstance(rbs, (str, bytes, Mapping)) or not isinstance(rbs, Sequence):
                raise TypeError(f"{p}.backends: must be a list of backends, got {type(rbs).__name__}")
            if not rbs:
                raise ValueError(f"{p}.backends: site {name!r} has no backends; a site needs at least one")
            backends = []
            for j, rb in enumerate(rbs):
                q = f"{p}.backends[{j}]"
                _check_fields(rb, _BACKEND_FIELDS, ("name",), q)
                bname = _check_name(rb["name"], f"{q}.name")
                if bname in backend_seen:
                    raise ValueError(f"{q}.name: duplicate backend name {bname!r} (already in site "
                                     f"{backend_seen[bname]!r}); backend names must be unique across sites")
                backend_seen[bname] = name
                weight = _check_weight(rb.get("weight", 1), f"{q}.weight")
                cap = _check_capacity(rb.get("capacity_rps", math.inf), f"{q}.capacity_rps")
                backends.append(Backend(bname, weight, cap))
            sites.append(Site(name, share, tuple(backends)))
        if not any(s.share > 0 for s in sites):
            raise ValueError("sites: at least one site needs a share > 0 (all shares are 0)")
        return cls(tuple(sites))

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back into an equal topology."""
        return {"sites": [s.to_dict() for s in self.sites]}

    # -- lookups --------------------------------------------------------------------------------
    @property
    def n_sites(self) -> int:
        return len(self.sites)

    @property
    def n_backends(self) -> int:
        return len(self.backends)

    def site_index(self, name: str | int) -> int:
        """Canonical index of a site (accepts a valid index too)."""
        return self._lookup(name, self._site_idx, self.site_names, "site")

    def backend_index(self, name: str | int) -> int:
        """Canonical index of a backend in :attr:`backends` (accepts a valid index too)."""
        return self._lookup(name, self._backend_idx, self.backend_names, "backend")

    def site_of(self, backend: str | int) -> int:
        """Index of the site that holds a backend."""
        return self.backend_sites[self.backend_index(backend)]

    def site_backends(self, site: str | int) -> tuple[int, ...]:
        """Canonical backend indices of one site, in name order."""
        s = self.site_index(site)
        return tuple(i for i, bs in enumerate(self.backend_sites) if bs == s)

    @staticmethod
    def _lookup(name: Any, index: dict, names: tuple, what: str) -> int:
        if isinstance(name, str):
            try:
                return index[name]
            except KeyError:
                raise ValueError(f"unknown {what} name {name!r}; known: {', '.join(names)}") from None
        if isinstance(name, bool) or not isinstance(name, Integral):
            raise TypeError(f"{what} must be a name (str) or an index (int), got {type(name).__name__}")
        if not 0 <= name < len(names):
            raise ValueError(f"{what} index {name} out of range [0, {len(names)})")
        return int(name)
