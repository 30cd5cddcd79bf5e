# The C-level contract of runiso_core._cache: the metadata engine in
# ext/runiso_cache.h and the cdef class that owns one engine plus the
# Python objects of proxy mode.
from libc.stdint cimport uint64_t, int64_t, uint32_t, uint8_t
from cpython.ref cimport PyObject
from runiso_core._guard cimport rn_guard

cdef extern from "runiso_cache.h" nogil:
    uint32_t RC_NIL
    int64_t RC_NEVER
    int64_t RC_TTL_DEFAULT
    int RC_LRU, RC_SIEVE, RC_S3FIFO
    int Q_MAIN, Q_SMALL, Q_GHOST, Q_FREE
    int RC_OP_ACCESS, RC_OP_PUT

    int64_t RC_MAX_SIZE
    int64_t RC_BYTES_MAX     # resident bytes never exceed this (2**63 - 1 - 2**48)

    ctypedef struct rc_entry:  # 32 bytes; size/q/freq are C bit-fields (read only here)
        uint64_t key         # 64-bit key
        int64_t expire       # ns, RC_NEVER = no TTL
        uint32_t prev        # newer neighbour
        uint32_t next        # older neighbour / free-list link
        uint64_t size        # bytes charged (48-bit field)
        uint8_t q            # queue id: Q_MAIN / Q_SMALL / Q_FREE (8-bit field)
        uint8_t freq         # visited bit / frequency (8-bit field)

    ctypedef struct rc_cache:
        int policy           # RC_LRU / RC_SIEVE / RC_S3FIFO
        rc_entry *e          # slot pool
        uint32_t cap         # allocated slots
        uint32_t n_used      # slots ever handed out
        uint32_t max_slots   # hard bound on slots
        uint64_t tsize       # index buckets
        uint64_t salt        # per-object random salt of the index hash (runiso_table_hash)
        int64_t cap_bytes    # byte bound (INT64_MAX = none)
        int64_t max_entries  # entry bound (INT64_MAX = none)
        int64_t bytes        # resident bytes
        int64_t n            # resident entries
        int64_t default_ttl  # ns (RC_NEVER = none)
        int64_t now          # latest time seen, ns
        uint32_t head[3]     # newest slot per queue
        uint32_t tail[3]     # oldest slot per queue
        int64_t qn[3]        # entries per queue ([Q_GHOST]: live ghost keys)
        int64_t qbytes[3]    # bytes per queue ([Q_GHOST]: only when byte-bounded)
        uint32_t hand        # SIEVE hand
        int64_t small_bytes_cap  # S3-FIFO small queue bytes
        int64_t small_n_cap      # S3-FIFO small queue entries
        int64_t ghost_bytes_cap  # S3-FIFO ghost bytes
        int64_t ghost_n_cap      # S3-FIFO ghost entries
        int move_threshold   # S3-FIFO small -> main threshold
        int64_t hits         # counted hits
        int64_t misses       # counted misses
        uint64_t byte_hits, byte_hits_hi      # bytes served from cache (128-bit: lo, hi)
        uint64_t byte_misses, byte_misses_hi  # bytes fetched on misses (128-bit: lo, hi)
        int64_t evictions    # capacity evictions
        int64_t expired      # TTL expiries reclaimed
        int64_t too_large    # objects refused for their size
        int keep_size        # a simulator hit keeps the stored size (libCacheSim)
        int log_on           # record dropped slots (proxy mode)
        uint32_t *log        # dropped slots since the last drain
        size_t log_n         # entries in log

    int rc_init(rc_cache *c, int policy, int64_t cap_bytes, int64_t max_entries,
                int64_t default_ttl, int move_threshold,
                double small_ratio, double ghost_ratio)
    void rc_free(rc_cache *c)
    uint64_t rc_memory(const rc_cache *c)
    int rc_ghost_contains(const rc_cache *c, uint64_t key)
    uint32_t rc_find(const rc_cache *c, uint64_t key)
    uint32_t rc_peek(const rc_cache *c, uint64_t key, int64_t now)
    int rc_get(rc_cache *c, uint64_t key, int64_t now, uint32_t *out)
    int rc_get_at(rc_cache *c, uint32_t s, int64_t now, uint32_t *out)
    int rc_access(rc_cache *c, uint64_t key, int64_t size, int64_t now,
                  int64_t ttl, int op, uint32_t *out)
    int rc_drop(rc_cache *c, uint32_t s)
    int rc_evict_one_p(rc_cache *c, int policy)
    int rc_remove(rc_cache *c, uint32_t s)
    void rc_clear(rc_cache *c)
    int rc_access_many(rc_cache *c, const uint64_t *keys, int64_t n,
                       const int64_t *sizes, const int64_t *times,
                       const int64_t *ttls, uint8_t *out)
    const char *rc_check(const rc_cache *c)   # NULL, or the invariant that is broken


cdef class _Cache:
    cdef rc_cache _c               # the engine
    cdef list _keys                # proxy mode: key object per slot, None = empty (lists: the GC sees cycles)
    cdef list _vals                # proxy mode: value per slot
    cdef uint32_t _ocap            # length of _keys/_vals
    cdef int _mode                 # 0 unset, 1 simulator, 2 proxy
    cdef rn_guard _g               # the lock protocol of every mutable core (_guard.pxd)
    cdef object _on_evict          # callable(key, value) or None
    cdef str _name                 # class name for messages
    cdef bint _ttl_used            # default_ttl set or an entry given a TTL: `now` is required
    cdef object __weakref__        # weak references allowed

    cdef _setup(self, int policy, object capacity_bytes, object max_entries, object default_ttl,
                object on_evict, int move_threshold, double small_ratio, double ghost_ratio,
                object resize_on_hit)
    cdef int64_t _now(self, object now) except? -1
    cdef int64_t _time(self, object now, str method, int64_t ttl) except? -1   # INT64_MIN: the latest time
    cdef int64_t _latest(self, str method, int64_t ttl) except? -1            # the latest time, under the guard
    cdef int _set_mode(self, int mode) except -1
    cdef int _proxy_mode(self) except -1
    cdef int _sync_objs(self) except -1
    cdef list _drain(self)
    cdef list _expire_locked(self, int64_t t)   # expire() under a guard the caller owns
    cdef int _notify(self, list pairs) except -1
    cdef list _resident(self, bint pairs, object now, str method)  # unexpired keys or pairs, newest first
    cdef uint32_t _find_guarded(self, object key, object now, str method) except? 0xFFFFFFFE  # peek/pop lookup
    cdef uint32_t _find_exact(self, object key, uint64_t k, int64_t now) except? 0xFFFFFFFE
    cdef bint _same_key(self, uint32_t s, object key) except -1
