"""Pure-Python reference of :class:`runiso_core.SiteBalancer`: same decisions, request by request.

Written to be read, not to be fast: plain lists, one method per step. The
native core (``_balance.pyx``) must agree with it on every pick (hypothesis
differential tests in ``tests/test_balance_reference.py``). The consistent-hash
tables are issue #2's native ``MaglevTable`` / ``KetamaRing`` (their own
reference lives with them); everything else here is independent of the C code.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._balance_base import (NO_BACKEND, OVERFLOW, BalancerStats, check_options, make_table,
                            time_ns)
from ._hashing import _key_array, _key_hash
from ._hashing_py import mix64
from .locality import PPM, site_traffic_split
from .topology import Topology

__all__ = ["SiteBalancerPy"]

M64 = (1 << 64) - 1
GOLDEN64 = 0x9E3779B97F4A7C15
SITE_SALT = 0x5BD1E9955BD1E995


class SplitMix64:
    """splitmix64 generator (``runiso_splitmix64`` in ext/balance.h)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & M64

    def next(self) -> int:
        self.state = (self.state + GOLDEN64) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform in [0, n) from the high 32 bits (Lemire's multiply-shift)."""
        return ((self.next() >> 32) * n) >> 32


def ppm_point(key: int) -> int:
    return ((mix64(key ^ SITE_SALT) >> 32) * PPM) >> 32


class SiteBalancerPy:
    """Reference implementation; same constructor and methods as ``SiteBalancer``."""

    def __init__(self, topology: Topology, *, policy: str = "wrr", overprovisioning: float = 1.4,
                 panic_threshold: float = 0.5, hash_algorithm: str = "maglev", table_size: int = 65537,
                 balance_factor: float | None = None, spill_on_capacity: bool = False, seed: int = 0,
                 inflight_window: float | None = 1.0) -> None:
        o = check_options(topology, policy, overprovisioning, panic_threshold, hash_algorithm,
                          table_size, balance_factor, spill_on_capacity, seed, inflight_window)
        self.topology, self.options, self.policy = topology, o, o.policy
        S, B = topology.n_sites, topology.n_backends
        self.S, self.B = S, B
        self.weight = [b.weight for b in topology.backends]
        self.capacity = [b.capacity_rps for b in topology.backends]
        self.bsite = list(topology.backend_sites)
        self.members = [list(topology.site_backends(s)) for s in range(S)]
        self.bup = [True] * B
        self.sup = [True] * S
        self.current = [0] * B     # NGINX smooth-WRR current_weight
        self.active = [0] * B      # in flight
        self.picks = [0] * B
        self.site_active = [0] * S
        self.site_window = [0] * S  # requests sent to each site in the current 1-s window
        self.inflight_win: int | None = None
        self.cap_win: int | None = None
        self.rng = SplitMix64(o.seed)
        self.counts = dict(requests=0, local=0, spilled=0, capacity_spilled=0, panic=0,
                           no_backend=0, overflow=0, bounded_walks=0, unmatched_releases=0)
        self.ppm: list[list[int]] = [[-1] * S for _ in range(S)]
        self.dest_current = [[0] * S for _ in range(S)]
        self.all_tables = [None] * S
        if o.policy == "hash":
            self.all_tables = [self._table(self.members[s]) for s in range(S)]
        self.healthy: list[list[int] | None] = [None] * S
        self.healthy_tables: list[Any] = [None] * S
        self._refresh()

    # ---- control plane ---------------------------------------------------------------
    def _table(self, cands: list[int]):
        names = tuple(self.topology.backend_names[i] for i in cands)
        return make_table(self.options.hash_algorithm, self.options.table_size, names,
                          tuple(self.weight[i] for i in cands))

    def _refresh(self) -> None:
        o = self.options
        sp = site_traffic_split(self.topology, backend_up=self.bup, site_up=self.sup,
                                overprovisioning=o.overprovisioning, panic_threshold=o.panic_threshold)
        for a in range(self.S):
            if list(sp.ppm[a]) != self.ppm[a]:
                self.ppm[a] = list(sp.ppm[a])
                self.dest_current[a] = [0] * self.S  # a new split restarts that round-robin
        self.panic = [list(r) for r in sp.panic]
        for s in range(self.S):
            new = [i for i in self.members[s] if self.sup[s] and self.bup[i]]
            if new != self.healthy[s]:
                self.healthy[s] = new
                if o.policy == "hash":
                    self.healthy_tables[s] = (self.all_tables[s] if len(new) == len(self.members[s])
                                              else self._table(new))
        self.split = sp

    def set_backend_up(self, backend: str | int, up: bool) -> None:
        b = self.topology.backend_index(backend)
        if not isinstance(up, (bool, np.bool_)):
            raise TypeError(f"up must be a bool, got {type(up).__name__}")
        if self.bup[b] != bool(up):
            self.bup[b] = bool(up)
            self._refresh()

    def set_site_up(self, site: str | int, up: bool) -> None:
        s = self.topology.site_index(site)
        if not isinstance(up, (bool, np.bool_)):
            raise TypeError(f"up must be a bool, got {type(up).__name__}")
        if self.sup[s] != bool(up):
            self.sup[s] = bool(up)
            self._refresh()

    # ---- data plane ---------------------------------------------------------------------
    def _healthy_capacity(self, s: int) -> float:
        # Same summation order as the native core (name order within the site).
        cap = 0.0
        for i in self.healthy[s]:
            cap += self.capacity[i]
        return cap

    def _choose_site(self, a: int, key: int) -> int:
        row = self.ppm[a]
        if self.policy == "hash":
            # Sticky: the key's point against the cumulative split, own site first.
            u, cum, d = ppm_point(key), row[a], a
            if u >= cum:
                for j in range(self.S):
                    if j != a and row[j] > 0:
                        cum += row[j]
                        d = j
                        if u < cum:
                            break
            return d
        # Smooth weighted round-robin over destination sites (weights in ppm).
        cur = self.dest_current[a]
        total, best = 0, -1
        for j in range(self.S):
            if row[j] > 0:
                cur[j] += row[j]
                total += row[j]
                if best < 0 or cur[j] > cur[best]:
                    best = j
        cur[best] -= total
        return best

    def _fits(self, b: int, T: int, W: int) -> bool:
        return self.active[b] + 1 <= math.ceil(self.options.balance_factor * float(T + 1) * float(self.weight[b]) / float(W))

    def _pick_in_site(self, d: int, panic: bool, key: int) -> int:
        cands = self.members[d] if panic else self.healthy[d]
        n = len(cands)
        if n == 0:
            return NO_BACKEND
        if n == 1:
            return cands[0]
        w = self.weight
        if self.policy == "wrr":
            total, best = 0, -1
            for b in cands:
                self.current[b] += w[b]
                total += w[b]
                if best < 0 or self.current[b] > self.current[best]:
                    best = b
            self.current[best] -= total
            return best
        if self.policy == "p2c":
            i = self.rng.below(n)
            k = self.rng.below(n - 1)
            if k >= i:
                k += 1
            bi, bj = cands[i], cands[k]
            return bj if w[bj] * (self.active[bi] + 1) > w[bi] * (self.active[bj] + 1) else bi
        table = self.all_tables[d] if panic else self.healthy_tables[d]
        i = table._lookup_hashed(key)
        b = cands[i]
        if self.options.balance_factor == 0.0:
            return b
        T = self.site_active[d]
        W = sum(w[c] for c in cands)
        if self._fits(b, T, W):
            return b
        self.counts["bounded_walks"] += 1
        for k in range(1, 2 * n + 1):
            b = cands[table._lookup_hashed(mix64((key + k * GOLDEN64) & M64))]
            if self._fits(b, T, W):
                return b
        for s in range(1, n):
            b = cands[(i + s) % n]
            if self._fits(b, T, W):
                return b
        return cands[i]

    def _pick(self, a: int, key: int, t_ns: int | None) -> int:
        c = self.counts
        c["requests"] += 1
        o = self.options
        if t_ns is not None:
            if o.inflight_window_ns:
                win = t_ns // o.inflight_window_ns
                if self.inflight_win is None or win > self.inflight_win:
                    self.active = [0] * self.B
                    self.site_active = [0] * self.S
                    self.inflight_win = win
            if o.spill_on_capacity:
                win = t_ns // 1_000_000_000
                if self.cap_win is None or win > self.cap_win:
                    self.site_window = [0] * self.S
                    self.cap_win = win
        if sum(self.ppm[a]) == 0:
            c["no_backend"] += 1
            return NO_BACKEND
        d = self.ppm[a].index(PPM) if PPM in self.ppm[a] else self._choose_site(a, key)
        panic = self.panic[a][d]
        capspill = False
        if o.spill_on_capacity and not (self.site_window[d] < self._healthy_capacity(d)):
            best, besthead = -1, 0.0
            for j in range(self.S):
                if j != d and self.sup[j] and self.healthy[j]:
                    head = self._healthy_capacity(j) - self.site_window[j]
                    if head > 0.0 and (best < 0 or head > besthead):
                        best, besthead = j, head
            if best < 0:
                c["overflow"] += 1
                return OVERFLOW
            d, panic, capspill = best, False, True
        b = self._pick_in_site(d, panic, key)
        if b < 0:
            c["no_backend"] += 1
            return NO_BACKEND
        self.active[b] += 1
        self.site_active[d] += 1
        self.picks[b] += 1
        if o.spill_on_capacity:
            self.site_window[d] += 1
        if capspill:
            c["capacity_spilled"] += 1
        elif d == a:
            c["local"] += 1
        else:
            c["spilled"] += 1
        if panic:
            c["panic"] += 1
        return b

    # ---- Python API (same as the native class) ----------------------------------------
    def pick(self, site: str | int, *, key: Any = None, now: float | None = None) -> int:
        a = self.topology.site_index(site)
        h = 0
        if self.policy == "hash":
            if key is None:
                raise TypeError("key is required with policy='hash' (session id, URL, or a pre-hashed int)")
            h = _key_hash(key, argname="key")
        if now is None and self.options.spill_on_capacity:
            raise TypeError("now is required with spill_on_capacity=True (capacity is per second)")
        return self._pick(a, h, None if now is None else time_ns(now))

    def pick_many(self, sites: Sequence[int], keys: Any = None, times: Any = None) -> np.ndarray:
        n = len(sites)
        if self.policy == "hash":
            if keys is None:
                raise TypeError("keys are required with policy='hash'")
            hk = [int(x) for x in _key_array(keys, argname="keys")]
        else:
            hk = [0] * n
        if times is None and self.options.spill_on_capacity:
            raise TypeError("times are required with spill_on_capacity=True (capacity is per second)")
        out = np.empty(n, dtype=np.int32)
        for i in range(n):
            t = None if times is None else math.floor(float(times[i]) * 1e9)
            out[i] = self._pick(self.topology.site_index(int(sites[i])), hk[i], t)
        return out

    def release(self, backend: str | int) -> None:
        b = self.topology.backend_index(backend)
        if self.active[b] > 0:
            self.active[b] -= 1
            self.site_active[self.bsite[b]] -= 1
        else:
            self.counts["unmatched_releases"] += 1

    def backend_name(self, i: int) -> str:
        return self.topology.backend_names[i]

    def in_flight(self) -> np.ndarray:
        return np.array(self.active, dtype=np.int64)

    @property
    def stats(self) -> BalancerStats:
        return BalancerStats(per_backend=tuple(self.picks), **self.counts)
