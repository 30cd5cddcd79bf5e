# The C-level contract of runiso_core._admission: exact integer token buckets
# (ext/rn_tokenbucket.h), a bounded open-addressing key table with intrusive
# LRU lists (ext/rn_keytable.h) and the keyed-bucket / session-gate cores
# (ext/rn_admission.h).
cimport cython
from libc.stdint cimport uint64_t, int64_t, uint32_t, uint8_t
from runiso_core._guard cimport rn_guard

cdef extern from "rn_tokenbucket.h" nogil:
    const int64_t RN_NS
    const int64_t RN_T_UNSET
    const int64_t RN_T_MAX
    ctypedef struct rn_tb_params:
        int64_t rate        # nano-tokens per second
        int64_t cap         # burst, nano-tokens
        int64_t fill_ns     # time to refill from empty, ns
    ctypedef struct rn_tb:
        int64_t last        # max time seen, ns
        int64_t tokens      # nano-tokens
        uint32_t rem        # refill carry, < 1e9
    int64_t rn_sec_to_ns(double s) noexcept
    void rn_tb_params_init(rn_tb_params *p, int64_t rate, int64_t cap) noexcept
    void rn_tb_init(rn_tb *b, int64_t tokens, int64_t last) noexcept
    void rn_tb_refill(rn_tb *b, const rn_tb_params *p, int64_t now) noexcept
    int rn_tb_try(rn_tb *b, const rn_tb_params *p, int64_t now, int64_t need) noexcept
    double rn_tb_wait_ns(const rn_tb *b, const rn_tb_params *p, int64_t need) noexcept

cdef extern from "rn_keytable.h" nogil:
    const uint32_t RN_NIL
    ctypedef struct rn_link:
        uint32_t prev       # towards the most recent end
        uint32_t next       # towards the least recent end / free chain
    ctypedef struct rn_list:
        uint32_t head       # most recent
        uint32_t tail       # least recent
        uint32_t size       # entries in the list
    ctypedef struct rn_kt_head:
        uint64_t key        # the key of the entry
        rn_link link        # list links / free chain
    ctypedef struct rn_keytable:
        uint32_t *slots     # open-addressing index: entry number or RN_NIL
        char *recs          # entry records, each starting with rn_kt_head
        size_t stride       # record size in bytes
        uint32_t mask       # slots - 1
        uint32_t cap        # entries
        uint32_t count      # used entries
        uint32_t free_head  # first free entry
    uint64_t rn_kt_slots_for(uint64_t cap) noexcept
    void rn_kt_init(rn_keytable *t, uint32_t *slots, uint64_t slot_count,
                    void *recs, size_t stride, uint32_t cap, uint64_t salt) noexcept
    void rn_list_init(rn_list *l) noexcept
    const char *rn_kt_check(const rn_keytable *t, const rn_list *const *lists, int nlists,
                            unsigned char *mark) noexcept

cdef extern from "rn_admission.h" nogil:
    const int RN_RECLAIM_SCAN
    ctypedef struct rn_keyed_rec:
        rn_kt_head h        # key + links
        rn_tb b             # the key's bucket
    ctypedef struct rn_keyed:
        rn_keytable t       # index + rn_keyed_rec records
        rn_tb_params p      # shared rate / burst
        rn_list lru         # used entries by last seen
        uint64_t acquired   # requests granted
        uint64_t refused    # requests refused
        uint64_t evicted    # non-full buckets dropped (LRU) to make room
        uint64_t reclaimed  # full buckets dropped to make room (no effect)
    int rn_keyed_acquire(rn_keyed *k, uint64_t key, int64_t now, int64_t need) noexcept
    double rn_keyed_wait_ns(const rn_keyed *k, uint64_t key, int64_t now, int64_t need) noexcept
    void rn_keyed_acquire_many(rn_keyed *k, const uint64_t *keys, const double *times,
                               const int64_t *needs, int64_t need, size_t n, uint8_t *out) noexcept
    ctypedef struct rn_gate_rec:
        rn_kt_head h        # key + links
        int64_t stamp       # last request (active) / time shed (shed), ns
        uint8_t state       # RN_ST_ACTIVE / RN_ST_SHED
    ctypedef struct rn_gate:
        rn_keytable t       # index + rn_gate_rec records
        rn_list active      # active sessions by last request
        rn_list shed        # shed visitors by time shed
        rn_tb bucket        # new-session tokens
        rn_tb_params bp     # new-session rate / burst
        int64_t idle_ns     # idle timeout, ns
        int64_t shed_ns     # shed ttl, ns
        int64_t now         # max time seen, ns
        uint32_t max_active # cap on active sessions (priority may exceed it)
        uint64_t counts[5]  # per decision code
        uint64_t expired    # sessions ended by idle timeout
        uint64_t unstuck    # shed entries whose ttl ran out
        uint64_t evicted_shed  # shed entries dropped early to make room
        uint64_t untracked  # decisions taken with a full table of active sessions
    void rn_gate_advance(rn_gate *g, int64_t now) noexcept
    uint8_t rn_gate_decide(rn_gate *g, uint64_t key, int64_t now, int priority) noexcept
    void rn_gate_decide_many(rn_gate *g, const uint64_t *keys, const double *times,
                             const uint8_t *priority, size_t n, uint8_t *out) noexcept


@cython.final
cdef class TokenBucket:
    cdef rn_tb b                  # the bucket
    cdef rn_tb_params p           # quantised rate / burst
    cdef readonly double rate     # tokens per second, as given
    cdef readonly double burst    # capacity in tokens, as given
    cdef rn_guard _g              # the lock protocol of every mutable core (_guard.pxd)


@cython.final
cdef class KeyedTokenBuckets:
    cdef rn_keyed k               # table + buckets + counters
    cdef readonly double rate     # tokens per second, as given
    cdef readonly double burst    # capacity in tokens, as given
    cdef readonly Py_ssize_t max_keys  # bound on tracked keys
    cdef rn_guard _g              # the lock protocol of every mutable core (_guard.pxd)


@cython.final
cdef class SessionGate:
    cdef rn_gate g                # table + lists + bucket + counters
    cdef readonly double new_sessions_rate    # as given
    cdef readonly double new_sessions_burst   # as given
    cdef readonly Py_ssize_t max_active_sessions  # as given
    cdef readonly double idle_timeout         # seconds, as given
    cdef readonly double shed_ttl             # seconds, as given
    cdef readonly Py_ssize_t max_tracked      # bound on the session table
    cdef rn_guard _g              # the lock protocol of every mutable core (_guard.pxd)
