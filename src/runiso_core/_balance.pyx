# cython: language_level=3
"""Site-aware weighted balancing and datacenter failover (the native core).

See :class:`SiteBalancer`. The routing tables between sites come from
:func:`runiso_core.locality.site_traffic_split` (Envoy's arithmetic, pure
Python, recomputed on every health change); everything per request runs in C.
The pure-Python reference with the same decisions is ``_balance_py.SiteBalancerPy``.
"""
cimport cython
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from runiso_core._columns cimport column_1d, float_column
from runiso_core._guard cimport (guard_init, guard_ready, guard_free, guard_check,
                                 guard_enter, guard_enter_nogil, guard_leave)
from cpython.ref cimport PyObject
from libc.math cimport ceil, floor, isfinite, fabs
from libc.stdint cimport int32_t, int64_t, uint64_t, uint32_t, uint8_t, INT64_MIN
from libc.string cimport memset

from runiso_core._hashing cimport ConsistentHash, key_hash, key_array

import numpy as np

from ._balance_base import (BalancerStats, NO_BACKEND, OVERFLOW, TIME_LIMIT_S, check_options,
                            make_table)
from .locality import PPM, site_traffic_split

cdef extern from "balance.h" nogil:
    uint64_t runiso_splitmix64(uint64_t *state)
    uint32_t runiso_below(uint64_t r, uint32_t n)
    int64_t runiso_floor_div(int64_t a, int64_t b)
    int64_t runiso_ppm_point(uint64_t key)
    uint64_t runiso_probe(uint64_t key, uint64_t k)
    int32_t runiso_swrr_pick(const int32_t *c, int32_t n, int64_t *cur, const int64_t *w)

cdef double _TLIM = TIME_LIMIT_S


cdef void *_alloc(Py_ssize_t n, size_t size) except NULL:
    cdef void *p = PyMem_Malloc(<size_t>(n if n > 0 else 1) * size)
    if p == NULL:
        raise MemoryError()
    memset(p, 0, <size_t>(n if n > 0 else 1) * size)
    return p


cdef inline bint _fits(const int64_t *act, const int64_t *w, int32_t b, int64_t T, int64_t W,
                       double c) noexcept nogil:
    # Bounded load (Mirrokni et al.): after this pick, backend b holds at most
    # ceil(c * (T + 1) * w_b / W) requests, T = in flight at the site before it.
    return <double>(act[b] + 1) <= ceil(c * <double>(T + 1) * <double>w[b] / <double>W)


cdef int64_t _time_ns(object now, str argname) except? -1:
    if isinstance(now, bool):
        raise TypeError(f"{argname} must be a number of seconds (float), got bool")
    cdef double t
    try:
        t = now
    except TypeError:
        raise TypeError(f"{argname} must be a number of seconds (float), got {type(now).__name__}") from None
    if not (isfinite(t) and fabs(t) < _TLIM):
        raise ValueError(f"{argname} must be a finite number of seconds with |{argname}| < {_TLIM:g}, got {now!r}")
    return <int64_t>floor(t * 1e9)


@cython.final
cdef class SiteBalancer:
    """Site-aware weighted balancer with Envoy-style failover (mutable; thread-safe).

    A request arrives at a site and gets a backend: in its own site while that
    site is healthy, otherwise the share that leaves follows Envoy's
    priority / overprovisioning / panic arithmetic
    (:func:`runiso_core.site_traffic_split`).

    Parameters
    ----------
    topology : Topology
    policy : {"wrr", "p2c", "hash"}, default "wrr"
        Choice of the backend inside a site: NGINX smooth weighted round-robin,
        power of two choices on in-flight requests scored ``w / (active + 1)``
        (Envoy least-request), or consistent hashing of the request key.
    overprovisioning : float, default 1.4
        Envoy's overprovisioning factor (>= 1, applied as a whole percent).
    panic_threshold : float, default 0.5
        Envoy's healthy panic threshold in [0, 1]; 0 disables panic.
    hash_algorithm : {"maglev", "ketama"}, default "maglev"
        Table of the "hash" policy (``MaglevTable`` / ``KetamaRing``). Keys are
        hashed with XXH64 like every runiso key (an int in [0, 2**64) is taken as
        already hashed), so ketama placement of string keys differs from
        uhashring's MD5 points; the ring itself is the same.
    table_size : int, default 65537
        Maglev table size (prime).
    balance_factor : float or None, default None
        Bounded-load factor c >= 1 for "hash" (HAProxy ``hash-balance-factor`` / 100):
        no backend takes more than ``ceil(c * mean in-flight)`` (weighted).
    spill_on_capacity : bool, default False
        Count requests per site in fixed 1-second windows of the injected time and
        send the excess of a full site to the site with the most headroom;
        ``OVERFLOW`` (-2) when every site is full. Requires ``now`` / ``times``.
    seed : int, default 0
        Seed of the p2c generator (splitmix64).
    inflight_window : float or None, default 1.0
        Replay definition of "in flight": when a time is given, in-flight counters
        are reset at the start of each fixed window of this many seconds, so a
        backend's in-flight count is the number of requests it got in the current
        window minus releases. ``None``: in-flight is picks minus releases, never
        reset (a live proxy that calls ``release``).

    Notes
    -----
    Which site serves a request: the integer routing table of
    :func:`site_traffic_split` (parts per million per arrival site). "wrr" and
    "p2c" walk it with a smooth weighted round-robin per arrival site (exact
    proportions, deterministic); "hash" places the key in [0, 1e6) against the
    cumulative table, own site first, so a session sticks to its site and only the
    keys at the top of the range move when the local share shrinks.

    Capacity: with ``spill_on_capacity`` each site counts the requests it got in
    the current fixed 1-second window of the injected time (``floor(t)``); a site
    whose count reached its healthy capacity (sum of ``capacity_rps`` of its up
    backends) sends the request to the up site with the most headroom instead, or
    returns ``OVERFLOW``. Windows only move forward: a request older than the
    current window counts in it.

    The object is mutable (WRR state, in-flight counters, health): every method
    takes a per-object lock, so threads may share one balancer; ``pick_many``
    runs without the GIL.
    """

    def __cinit__(self, topology, *, policy="wrr", overprovisioning=1.4, panic_threshold=0.5,
                  hash_algorithm="maglev", table_size=65537, balance_factor=None,
                  spill_on_capacity=False, seed=0, inflight_window=1.0):
        guard_init(&self._g)
        o = check_options(topology, policy, overprovisioning, panic_threshold, hash_algorithm,
                          table_size, balance_factor, spill_on_capacity, seed, inflight_window)
        self.topology = topology
        self.options = o
        self.policy = o.policy
        self._policy = o.policy_code
        self._bf = o.balance_factor
        self._spill = o.spill_on_capacity
        self._win_ns = o.inflight_window_ns
        self._inflight_next = INT64_MIN
        self._cap_next = INT64_MIN
        self._rng = <uint64_t>o.seed
        cdef int32_t S = topology.n_sites, B = topology.n_backends, s, i, k
        self._S = S
        self._B = B
        self._sidx = {n: i for i, n in enumerate(topology.site_names)}
        self._bidx = {n: i for i, n in enumerate(topology.backend_names)}
        self._w = <int64_t *>_alloc(B, sizeof(int64_t))
        self._bsite = <int32_t *>_alloc(B, sizeof(int32_t))
        self._bup = <uint8_t *>_alloc(B, sizeof(uint8_t))
        self._bcap = <double *>_alloc(B, sizeof(double))
        self._cur = <int64_t *>_alloc(B, sizeof(int64_t))
        self._act = <int64_t *>_alloc(B, sizeof(int64_t))
        self._picks = <int64_t *>_alloc(B, sizeof(int64_t))
        self._soff = <int32_t *>_alloc(S + 1, sizeof(int32_t))
        self._all = <int32_t *>_alloc(B, sizeof(int32_t))
        self._healthy = <int32_t *>_alloc(B, sizeof(int32_t))
        self._nh = <int32_t *>_alloc(S, sizeof(int32_t))
        self._sup = <uint8_t *>_alloc(S, sizeof(uint8_t))
        self._scap = <double *>_alloc(S, sizeof(double))
        self._sact = <int64_t *>_alloc(S, sizeof(int64_t))
        self._swin = <int64_t *>_alloc(S, sizeof(int64_t))
        self._wall = <int64_t *>_alloc(S, sizeof(int64_t))
        self._whealthy = <int64_t *>_alloc(S, sizeof(int64_t))
        self._single = <int32_t *>_alloc(S, sizeof(int32_t))
        self._sites_seq = <int32_t *>_alloc(S, sizeof(int32_t))
        self._ppm = <int64_t *>_alloc(<Py_ssize_t>S * S, sizeof(int64_t))
        self._panic = <uint8_t *>_alloc(<Py_ssize_t>S * S, sizeof(uint8_t))
        self._dcur = <int64_t *>_alloc(<Py_ssize_t>S * S, sizeof(int64_t))
        self._tab = <PyObject **>_alloc(2 * S, sizeof(PyObject *))
        self._keep = [None] * (2 * S)
        for i in range(B):
            self._w[i] = topology.backends[i].weight
            self._bsite[i] = topology.backend_sites[i]
            self._bcap[i] = topology.backends[i].capacity_rps
            self._bup[i] = 1
        k = 0
        for s in range(S):
            self._sites_seq[s] = s
            self._soff[s] = k
            self._sup[s] = 1
            for i in topology.site_backends(s):
                self._all[k] = i
                self._wall[s] += self._w[i]
                k += 1
            self._nh[s] = -1  # forces the first _refresh to build the healthy sets
        self._soff[S] = k
        if self._policy == BAL_HASH:
            for s in range(S):
                names = tuple(topology.backend_names[self._all[i]] for i in range(self._soff[s], self._soff[s + 1]))
                t = make_table(o.hash_algorithm, o.table_size, names, tuple(self._w[self._all[i]] for i in range(self._soff[s], self._soff[s + 1])))
                self._keep[2 * s + 1] = t
                self._tab[2 * s + 1] = <PyObject *>t
        for i in range(S * S):
            self._ppm[i] = -1  # forces the first _refresh to write every row
        self._refresh()
        guard_ready(&self._g)

    def __dealloc__(self):
        PyMem_Free(self._w); PyMem_Free(self._bsite); PyMem_Free(self._bup); PyMem_Free(self._bcap)
        PyMem_Free(self._cur); PyMem_Free(self._act); PyMem_Free(self._picks)
        PyMem_Free(self._soff); PyMem_Free(self._all); PyMem_Free(self._healthy); PyMem_Free(self._nh)
        PyMem_Free(self._sup); PyMem_Free(self._scap); PyMem_Free(self._sact); PyMem_Free(self._swin)
        PyMem_Free(self._wall); PyMem_Free(self._whealthy); PyMem_Free(self._single); PyMem_Free(self._sites_seq)
        PyMem_Free(self._ppm); PyMem_Free(self._panic); PyMem_Free(self._dcur); PyMem_Free(self._tab)
        guard_free(&self._g)

    # Locking: the project's one protocol (_guard.pxd). pick/release convert their arguments,
    # then touch C state under guard_check without running Python code; pick_many (no GIL)
    # and the health changes (Python: the split, the hash tables) own the lock. A finalizer
    # that calls back into the balancer during a health change raises RuntimeError.

    # ---- routing tables (control plane, Python) ----------------------------------------------
    cdef int _refresh(self) except -1:
        # Phase 1 computes everything that can fail (Python objects: split, tables); phase 2
        # only writes C arrays, so the C state is never left half-updated by an exception.
        cdef int32_t S = self._S, a, j, s, i, k
        cdef int64_t tot, wh
        cdef double cap
        topo = self.topology
        o = self.options
        sp = site_traffic_split(topo, backend_up=[self._bup[i] != 0 for i in range(self._B)],
                                site_up=[self._sup[s] != 0 for s in range(S)],
                                overprovisioning=o.overprovisioning, panic_threshold=o.panic_threshold)
        updates = []
        for s in range(S):
            old = [self._healthy[self._soff[s] + k] for k in range(max(self._nh[s], 0))]
            new = [self._all[k] for k in range(self._soff[s], self._soff[s + 1])
                   if self._sup[s] and self._bup[self._all[k]]] if self._sup[s] else []
            if self._nh[s] >= 0 and new == old:
                continue
            t = None
            if self._policy == BAL_HASH:
                if len(new) == self._soff[s + 1] - self._soff[s]:
                    t = self._keep[2 * s + 1]  # every backend healthy: reuse the all-backends table
                else:
                    t = make_table(o.hash_algorithm, o.table_size, tuple(topo.backend_names[i] for i in new),
                                   tuple(self._w[i] for i in new))
            updates.append((s, new, t))
        # Phase 2: no Python call below can raise.
        for a in range(S):
            row = sp.ppm[a]
            changed = False
            for j in range(S):
                if self._ppm[a * S + j] != row[j]:
                    changed = True
            if changed:  # a new split restarts the destination round-robin of that arrival site
                tot = 0
                self._single[a] = -1
                for j in range(S):
                    self._ppm[a * S + j] = row[j]
                    self._dcur[a * S + j] = 0
                    tot += row[j]
                    if row[j] == PPM:
                        self._single[a] = j
                if tot == 0:
                    self._single[a] = -2
            for j in range(S):
                self._panic[a * S + j] = sp.panic[a][j]
        for s, new, t in updates:
            wh = 0
            cap = 0.0
            for k, i in enumerate(new):
                self._healthy[self._soff[s] + k] = i
                wh += self._w[i]
                cap += self._bcap[i]
            self._nh[s] = len(new)
            self._whealthy[s] = wh
            self._scap[s] = cap
            self._keep[2 * s] = t
            self._tab[2 * s] = NULL if t is None else <PyObject *>t
        self.split = sp
        return 0

    # ---- the decision (data plane, C) ------------------------------------------------------------
    cdef int32_t _pick_in_site(self, int32_t a, int32_t d, bint panic, uint64_t key) noexcept nogil:
        cdef int32_t off = self._soff[d], n, i, k, b, bi, bj, s
        cdef const int32_t *c
        cdef int64_t T, W
        cdef int64_t *cur = self._cur
        cdef const int64_t *w = self._w
        cdef const int64_t *act = self._act
        cdef PyObject *tab
        if panic:
            c = self._all + off
            n = self._soff[d + 1] - off
        else:
            c = self._healthy + off
            n = self._nh[d]
        if n <= 0:
            return BAL_NO_BACKEND
        if n == 1:
            return c[0]
        if self._policy == BAL_WRR:
            # NGINX ngx_http_upstream_get_peer: current += weight, best = max current, best -= total.
            return runiso_swrr_pick(c, n, cur, w)
        if self._policy == BAL_P2C:
            i = <int32_t>runiso_below(runiso_splitmix64(&self._rng), <uint32_t>n)
            k = <int32_t>runiso_below(runiso_splitmix64(&self._rng), <uint32_t>(n - 1))
            if k >= i:
                k += 1
            bi = c[i]
            bj = c[k]
            # Envoy least-request score w / (active + 1); the first draw wins ties.
            if w[bj] * (act[bi] + 1) > w[bi] * (act[bj] + 1):
                return bj
            return bi
        tab = self._tab[2 * d + (1 if panic else 0)]
        i = (<ConsistentHash>tab).lookup_hash(key)
        b = c[i]
        if self._bf == 0.0:
            return b
        T = self._sact[d]
        W = self._wall[d] if panic else self._whealthy[d]
        if _fits(act, w, b, T, W, self._bf):
            return b
        # Over the cap: walk on deterministically, first by re-hashing the key (other
        # table positions), then through the candidate list; some candidate always fits
        # because the caps sum to at least T + 1.
        self._n_walk += 1
        for k in range(1, 2 * n + 1):
            b = c[(<ConsistentHash>tab).lookup_hash(runiso_probe(key, <uint64_t>k))]
            if _fits(act, w, b, T, W, self._bf):
                return b
        for s in range(1, n):
            b = c[(i + s) % n]
            if _fits(act, w, b, T, W, self._bf):
                return b
        return c[i]

    cdef int32_t _pick_one(self, int32_t a, uint64_t key, int64_t t_ns, bint has_t) noexcept nogil:
        cdef int32_t S = self._S, d, j, best, b
        cdef int64_t win, u, cum
        cdef const int64_t *row
        cdef bint panic, capspill = False
        cdef double head, besthead = 0.0
        self._n_req += 1
        if has_t:
            # A window index only grows (a late request counts in the current window); the
            # division runs once per window, not per request: t >= start of the next window.
            if self._win_ns > 0 and t_ns >= self._inflight_next:
                win = runiso_floor_div(t_ns, self._win_ns)
                memset(self._act, 0, <size_t>self._B * sizeof(int64_t))
                memset(self._sact, 0, <size_t>S * sizeof(int64_t))
                self._inflight_next = (win + 1) * self._win_ns
            if self._spill and t_ns >= self._cap_next:
                win = runiso_floor_div(t_ns, 1000000000)
                memset(self._swin, 0, <size_t>S * sizeof(int64_t))
                self._cap_next = (win + 1) * 1000000000
        d = self._single[a]
        if d == -2:
            self._n_nob += 1
            return BAL_NO_BACKEND
        if d == -1:
            row = self._ppm + <Py_ssize_t>a * S
            if self._policy == BAL_HASH:
                # Sticky: the key's point in [0, 1e6) against the cumulative split, own site first,
                # so a shrinking local share only moves the keys at the top of the range.
                u = runiso_ppm_point(key)
                cum = row[a]
                d = a
                if u >= cum:
                    for j in range(S):
                        if j != a and row[j] > 0:
                            cum += row[j]
                            d = j
                            if u < cum:
                                break
            else:
                # Smooth weighted round-robin over the destination sites (weights in ppm;
                # a destination with weight 0 never leads, so the full row can be scanned).
                d = runiso_swrr_pick(self._sites_seq, S, self._dcur + <Py_ssize_t>a * S, row)
        panic = self._panic[<Py_ssize_t>a * S + d]
        if self._spill and not (<double>self._swin[d] < self._scap[d]):
            best = -1
            for j in range(S):
                if j != d and self._sup[j] and self._nh[j] > 0:
                    head = self._scap[j] - <double>self._swin[j]
                    if head > 0.0 and (best < 0 or head > besthead):
                        best = j
                        besthead = head
            if best < 0:
                self._n_ovf += 1
                return BAL_OVERFLOW
            d = best
            panic = False
            capspill = True
        b = self._pick_in_site(a, d, panic, key)
        if b < 0:
            self._n_nob += 1
            return BAL_NO_BACKEND
        self._act[b] += 1
        self._sact[d] += 1
        self._picks[b] += 1
        if self._spill:
            self._swin[d] += 1
        if capspill:
            self._n_cap += 1
        elif d == a:
            self._n_local += 1
        else:
            self._n_spilled += 1
        if panic:
            self._n_panic += 1
        return b

    # ---- Python API ---------------------------------------------------------------------------
    cdef int32_t _site_arg(self, object site) except -1:
        if type(site) is int:
            return _exact_index(site, self._S, "site")
        if isinstance(site, str):
            r = self._sidx.get(site)
            if r is None:
                raise ValueError(f"unknown site name {site!r}; known: {', '.join(self.topology.site_names)}")
            return r
        return self.topology.site_index(site)

    cdef int32_t _backend_arg(self, object backend) except -1:
        if type(backend) is int:
            return _exact_index(backend, self._B, "backend")
        if isinstance(backend, str):
            r = self._bidx.get(backend)
            if r is None:
                raise ValueError(f"unknown backend name {backend!r}")
            return r
        return self.topology.backend_index(backend)

    def pick(self, site, *, key=None, now=None):
        """Backend index for one request arriving at ``site``.

        Parameters
        ----------
        site : str or int
            Arrival site (name or canonical index).
        key : str, bytes or int, optional
            Affinity key (session, URL) for policy "hash" (required there; ints in
            [0, 2**64) are taken as already hashed). Ignored by "wrr" and "p2c".
        now : float, optional
            Injected time in seconds (required with ``spill_on_capacity``; drives
            the in-flight window).

        Returns
        -------
        int
            Backend index (``backend_name(i)``), ``NO_BACKEND`` (-1) or ``OVERFLOW`` (-2).
        """
        cdef int32_t a = self._site_arg(site), r
        cdef uint64_t h = 0
        cdef int64_t t_ns = 0
        cdef bint has_t = now is not None
        if self._policy == BAL_HASH:
            if key is None:
                raise TypeError("key is required with policy='hash' (session id, URL, or a pre-hashed int)")
            h = key_hash(key, True, "key")
        if has_t:
            t_ns = _time_ns(now, "now")
        elif self._spill:
            raise TypeError("now is required with spill_on_capacity=True (capacity is per second)")
        guard_check(&self._g, self)
        return self._pick_one(a, h, t_ns, has_t)

    def pick_many(self, sites, keys=None, times=None):
        """Backend indices for a batch of requests (the loop runs without the GIL).

        Gives exactly the decisions of ``pick`` called on each request in order.

        Parameters
        ----------
        sites : array of int (int32) site indices, or of str site names
        keys : array of uint64 (pre-hashed) or str/bytes keys, optional
            Required for policy "hash"; ignored otherwise.
        times : array of float64 seconds, optional
            Required with ``spill_on_capacity``.

        Returns
        -------
        numpy.ndarray of int32
            Backend indices, ``NO_BACKEND`` (-1) or ``OVERFLOW`` (-2).
        """
        sarr = _sites_array(self.topology, sites)
        cdef Py_ssize_t n = sarr.shape[0], i
        cdef bint is_hash = self._policy == BAL_HASH, has_t = times is not None
        karr = None
        if is_hash:
            if keys is None:
                raise TypeError("keys are required with policy='hash'")
            karr = column_1d(key_array(keys, True, "keys"), n, "keys", "sites")
        elif keys is not None:          # ignored by this policy: only the length
            try:
                m = len(keys)
            except TypeError:
                raise TypeError(f"keys must be a sequence or an array, got {type(keys).__name__}") from None
            if m != n:
                raise ValueError(f"keys has {m} entries but sites has {n}: lengths must match")
        tarr = None
        if has_t:
            tarr = _times_array(float_column(times, n, "times", "sites"))
        elif self._spill:
            raise TypeError("times are required with spill_on_capacity=True (capacity is per second)")
        out = np.empty(n, dtype=np.int32)
        if n == 0:
            return out
        cdef const int32_t[::1] sv = sarr
        cdef const uint64_t[::1] kv = karr if is_hash else np.zeros(1, dtype=np.uint64)
        cdef const double[::1] tv = tarr if has_t else np.zeros(1, dtype=np.float64)
        cdef int32_t[::1] ov = out
        guard_enter_nogil(&self._g, self)
        try:
            with nogil:
                for i in range(n):
                    ov[i] = self._pick_one(sv[i], kv[i] if is_hash else 0,
                                           <int64_t>floor(tv[i] * 1e9) if has_t else 0, has_t)
        finally:
            guard_leave(&self._g)
        return out

    def release(self, backend):
        """One request on ``backend`` (index or name) finished: in-flight - 1.

        A release with nothing in flight (e.g. after an in-flight window reset) is
        ignored and counted in ``stats.unmatched_releases``.
        """
        cdef int32_t b = self._backend_arg(backend)
        guard_check(&self._g, self)
        if self._act[b] > 0:
            self._act[b] -= 1
            self._sact[self._bsite[b]] -= 1
        else:
            self._n_unrel += 1

    cdef int _set_up(self, uint8_t *flags, int32_t i, object up) except -1:
        cdef uint8_t v
        if not isinstance(up, (bool, np.bool_)):
            raise TypeError(f"up must be a bool, got {type(up).__name__}")
        v = 1 if up else 0
        guard_enter(&self._g, self)
        try:
            if flags[i] != v:
                flags[i] = v
                try:
                    self._refresh()
                except BaseException:
                    flags[i] = 1 - v
                    raise
        finally:
            guard_leave(&self._g)
        return 0

    def set_backend_up(self, backend, up):
        """Mark a backend (name or index) up or down; recomputes the site split."""
        self._set_up(self._bup, self._backend_arg(backend), up)

    def set_site_up(self, site, up):
        """Mark a whole site (name or index) up or down; a down site gets no traffic at all."""
        self._set_up(self._sup, self._site_arg(site), up)

    def is_backend_up(self, backend):
        cdef int32_t b = self._backend_arg(backend)
        guard_check(&self._g, self)
        return self._bup[b] != 0

    def is_site_up(self, site):
        cdef int32_t s = self._site_arg(site)
        guard_check(&self._g, self)
        return self._sup[s] != 0

    def backend_name(self, int i):
        """Name of backend ``i`` (canonical index)."""
        if not 0 <= i < self._B:
            raise ValueError(f"backend index {i} out of range [0, {self._B}) "
                             f"(NO_BACKEND={NO_BACKEND}, OVERFLOW={OVERFLOW} are not backends)")
        return self.topology.backend_names[i]

    def backend_site(self, int i):
        """Site index of backend ``i``."""
        if not 0 <= i < self._B:
            raise ValueError(f"backend index {i} out of range [0, {self._B})")
        return self._bsite[i]

    def in_flight(self):
        """In-flight count of every backend (int64 array, canonical order)."""
        out = np.empty(self._B, dtype=np.int64)
        cdef int64_t[::1] ov = out
        cdef int32_t i
        guard_check(&self._g, self)
        for i in range(self._B):
            ov[i] = self._act[i]
        return out

    @property
    def stats(self):
        """A :class:`BalancerStats` snapshot of the counters (consistent: never half of a batch)."""
        cdef int64_t c[9]
        cdef int32_t i
        picks = np.empty(self._B, dtype=np.int64)   # allocated before the snapshot
        cdef int64_t[::1] pv = picks
        guard_check(&self._g, self)
        c[0], c[1], c[2], c[3], c[4] = self._n_req, self._n_local, self._n_spilled, self._n_cap, self._n_panic
        c[5], c[6], c[7], c[8] = self._n_nob, self._n_ovf, self._n_walk, self._n_unrel
        for i in range(self._B):
            pv[i] = self._picks[i]
        return BalancerStats(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
                             tuple(int(x) for x in picks))

    def _check(self):
        """Verify the balancer's invariants (testing aid; raises AssertionError): in-flight
        counts are >= 0 and each site's is the sum of its backends'; picks add up to the
        routed requests; each site's healthy set is exactly its up backends (none when the
        site is down), with the weight and capacity sums of that set; every routing row
        sums to 0 or 1e6 parts per million."""
        cdef int32_t s, k, i, j
        cdef int64_t tot, sact, wh
        cdef double cap
        guard_enter(&self._g, self)
        try:
            tot = 0
            for i in range(self._B):
                if self._act[i] < 0:
                    raise AssertionError(f"backend {i}: in-flight {self._act[i]} < 0")
                tot += self._picks[i]
            if tot != self._n_req - self._n_nob - self._n_ovf:
                raise AssertionError(f"picks sum to {tot}, but {self._n_req} requests less "
                                     f"{self._n_nob} without backend and {self._n_ovf} overflowed")
            for s in range(self._S):
                sact = 0
                for k in range(self._soff[s], self._soff[s + 1]):
                    sact += self._act[self._all[k]]
                if sact != self._sact[s]:
                    raise AssertionError(f"site {s}: in-flight {self._sact[s]} != its backends' {sact}")
                want = [self._all[k] for k in range(self._soff[s], self._soff[s + 1])
                        if self._sup[s] and self._bup[self._all[k]]]
                have = [self._healthy[self._soff[s] + k] for k in range(self._nh[s])]
                if want != have:
                    raise AssertionError(f"site {s}: healthy set {have} != up backends {want}")
                wh = 0
                cap = 0.0
                for i in have:
                    wh += self._w[i]
                    cap += self._bcap[i]
                if wh != self._whealthy[s] or cap != self._scap[s]:
                    raise AssertionError(f"site {s}: healthy weight/capacity sums are stale")
                tot = 0
                for j in range(self._S):
                    tot += self._ppm[s * self._S + j]
                if tot not in (0, PPM):
                    raise AssertionError(f"arrival site {s}: routing row sums to {tot} ppm")
        finally:
            guard_leave(&self._g)

    def __repr__(self):
        return (f"SiteBalancer(policy={self.policy!r}, sites={self._S}, backends={self._B}, "
                f"requests={self._n_req})")


cdef int32_t _exact_index(object i, int32_t n, str what) except -1:
    # The fast path of a site/backend argument that is an exact int.
    cdef long long v
    try:
        v = i
    except OverflowError:
        v = -1
    if v < 0 or v >= n:
        raise ValueError(f"{what} index {i} out of range [0, {n})")
    return <int32_t>v


def _sites_array(topology, sites):
    """Validate a batch of arrival sites -> C-contiguous int32 array of indices."""
    if isinstance(sites, (str, bytes)):
        raise TypeError("sites must be an array of site indices or names, got a single str")
    arr = sites if type(sites) is np.ndarray else np.asarray(sites)   # (base view of a subclass)
    if arr.ndim != 1:
        raise ValueError(f"sites must be a 1-D array, got shape {arr.shape}")
    S = topology.n_sites
    if arr.size == 0:                   # [] is float64 to numpy: an empty batch all the same
        return np.empty(0, dtype=np.int32)
    kind = arr.dtype.kind
    if kind in "UO" or (kind == "S"):
        names, inv = np.unique(arr.astype(str) if kind != "U" else arr, return_inverse=True)
        idx = np.array([topology.site_index(str(nm)) for nm in names], dtype=np.int32)
        return np.ascontiguousarray(idx[inv.reshape(-1)])
    if kind not in "iu":
        raise TypeError(f"sites must be an integer array of site indices (int32) or of site names, "
                        f"got dtype {arr.dtype}")
    # Indices into C tables: check a private copy, which the caller cannot change afterwards.
    arr = np.array(arr, order="C", copy=True)
    if arr.size:
        bad = np.flatnonzero((arr < 0) | (arr >= S))
        if bad.size:
            raise ValueError(f"sites[{bad[0]}] = {arr[bad[0]]} is not a site index in [0, {S})")
    return arr.astype(np.int32, copy=False)


def _times_array(arr):
    """Range check of a float64 column of times (seconds, from float_column)."""
    if arr.size:
        bad = np.flatnonzero(~(np.abs(arr) < TIME_LIMIT_S))
        if bad.size:
            raise ValueError(f"times[{bad[0]}] = {float(arr[bad[0]])!r} is not a finite time with |t| < {TIME_LIMIT_S:g} s")
    return arr
