# The C-level contract of runiso_core._balance: the site-aware balancer.
# Indices are canonical (Topology.site_names / Topology.backend_names order).
from runiso_core._guard cimport rn_guard
from cpython.ref cimport PyObject
from libc.stdint cimport int32_t, int64_t, uint64_t, uint8_t

cdef enum:
    BAL_NO_BACKEND = -1          # nothing healthy where the request may go
    BAL_OVERFLOW = -2            # spill_on_capacity: no site has capacity left this second
    BAL_WRR = 0                  # policy codes
    BAL_P2C = 1
    BAL_HASH = 2


cdef class SiteBalancer:
    cdef readonly object topology      # the Topology (immutable)
    cdef readonly str policy           # "wrr" | "p2c" | "hash"
    cdef readonly object options       # _balance_base.BalancerOptions (validated constructor arguments)
    cdef readonly object split         # current locality.TrafficSplit (recomputed on every health change)
    cdef dict _sidx                    # site name -> index
    cdef dict _bidx                    # backend name -> index
    cdef int _policy                   # BAL_WRR / BAL_P2C / BAL_HASH
    cdef int32_t _S                    # number of sites
    cdef int32_t _B                    # number of backends
    cdef double _bf                    # bounded-load factor c (0 = off)
    cdef bint _spill                   # spill_on_capacity
    cdef int64_t _win_ns               # in-flight window (ns); 0 = in-flight is picks - releases
    cdef int64_t _inflight_next        # start (ns) of the next in-flight window; INT64_MIN before the first
    cdef int64_t _cap_next             # start (ns) of the next 1-s capacity window
    cdef uint64_t _rng                 # splitmix64 state (p2c)
    # per backend [B]
    cdef int64_t *_w                   # weight
    cdef int32_t *_bsite               # site of the backend
    cdef uint8_t *_bup                 # marked up
    cdef double *_bcap                 # capacity (requests/s)
    cdef int64_t *_cur                 # smooth-WRR current weight (NGINX current_weight)
    cdef int64_t *_act                 # in flight
    cdef int64_t *_picks               # requests routed here
    # per site [S] / [S+1]
    cdef int32_t *_soff                # [S+1] offsets of each site's slot in _all / _healthy
    cdef int32_t *_all                 # [B] every backend of each site, name order
    cdef int32_t *_healthy             # [B] healthy backends of each site, packed at the start of its slot
    cdef int32_t *_nh                  # number of healthy backends
    cdef uint8_t *_sup                 # site marked up
    cdef double *_scap                 # healthy capacity (requests/s)
    cdef int64_t *_sact                # in flight at the site
    cdef int64_t *_swin                # requests sent to the site in the current capacity window
    cdef int64_t *_wall                # weight sum of all backends
    cdef int64_t *_whealthy            # weight sum of healthy backends
    cdef int32_t *_single              # the only destination of an arrival site's traffic, -1 (several) or -2 (none)
    cdef int32_t *_sites_seq           # [S] 0, 1, ..., S-1 (candidate list of the destination round-robin)
    # arrival site a -> destination site j, [S*S] row-major
    cdef int64_t *_ppm                 # parts per million of a's arrivals that j serves
    cdef uint8_t *_panic               # 1: a -> j ignores backend health (Envoy panic)
    cdef int64_t *_dcur                # smooth-WRR current weights over destinations
    # hash policy
    cdef list _keep                    # owns the ConsistentHash objects pointed to below
    cdef PyObject **_tab               # [2*S] borrowed: healthy table, all-backends table of each site (NULL if none)
    cdef int64_t _n_req, _n_local, _n_spilled, _n_cap, _n_panic, _n_nob, _n_ovf, _n_walk, _n_unrel  # BalancerStats counters, same order
    cdef rn_guard _g                   # the lock protocol of every mutable core (_guard.pxd)

    cdef int32_t _pick_one(self, int32_t a, uint64_t key, int64_t t_ns, bint has_t) noexcept nogil
    cdef int32_t _pick_in_site(self, int32_t a, int32_t d, bint panic, uint64_t key) noexcept nogil
    cdef int _refresh(self) except -1
    cdef int32_t _site_arg(self, object site) except -1       # name or index -> validated index
    cdef int32_t _backend_arg(self, object backend) except -1 # name or index -> validated index
    cdef int _set_up(self, uint8_t *flags, int32_t i, object up) except -1  # health change + refresh, under the lock
