# The C-level contract of runiso_core._hashing: the one hash function of the
# project (XXH64) and the one way every core turns a user key into uint64.
cimport cython
from libc.stdint cimport uint64_t, int32_t, uint32_t

cdef extern from "xxh64.h" nogil:
    uint64_t runiso_xxh64(const void *data, size_t length, uint64_t seed)
    uint64_t runiso_mix64(uint64_t k)

cdef extern from "utf8.h" nogil:
    const size_t RUNISO_UTF8_INVALID
    size_t runiso_ucs4_to_utf8(const uint32_t *s, size_t n, unsigned char *out)

# Hash one str (UTF-8) / bytes / bytearray / memoryview. With allow_int, an int
# in [0, 2**64) is taken as already hashed. Raises TypeError/ValueError naming
# `argname` otherwise.
cdef uint64_t key_hash(object key, bint allow_int, str argname) except? 0

# Any supported batch of keys -> C-contiguous numpy uint64 array:
# uint64 arrays pass through (no copy); lists/tuples of str/bytes(/int with
# allow_int), numpy S/U/object arrays are hashed without a Python object per
# element where the layout allows.
cdef object key_array(object keys, bint allow_int, str argname, uint64_t seed=*)

# A fresh random 64-bit salt for one hash table object (runiso_table_hash in
# ext/xxh64.h): randomises slot positions against hash flooding; results never
# depend on it.
cdef uint64_t table_salt() except? 0


# ---------------------------------------------------------------------------
# Consistent hashing: the C-level contract other cores (e.g. the site
# balancer's "hash" policy) cimport. Keep these names and signatures stable.
# Instances are immutable after construction, so the C methods below may be
# called from any thread without the GIL.
cdef class ConsistentHash:  # base of KetamaRing, MaglevTable, RendezvousHash, JumpHash
    cdef readonly tuple nodes    # canonical node names (str), sorted by name; indices refer to this order
    cdef readonly tuple weights  # weights (float) in the same order
    cdef dict _index             # name -> canonical index (for __contains__, without_node)
    cdef int32_t n_nodes         # len(nodes)
    cdef _setup(self, object nodes, str cls)  # validate + canonicalise nodes (constructors)
    # Hash one user key exactly as lookup() does (XXH64 of str/bytes, ints
    # pre-hashed; KetamaRing: MD5 point of str/bytes for uhashring compatibility),
    # so that lookup(key) == nodes[lookup_hash(hash_key(key))].
    cdef uint64_t hash_key(self, object key) except? 0
    # Batch version of hash_key: any supported key batch -> C-contiguous uint64 array.
    cdef object hash_keys(self, object keys)
    # Node index (into .nodes) for an already-hashed key.
    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil
    # out[i] = lookup_hash(h[i]) for i < n; subclasses inline the loop (no virtual call per key).
    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil


cdef class KetamaRing(ConsistentHash):  # libmemcached/uhashring ketama continuum (MD5)
    cdef readonly int vnodes     # MD5 digests per node at average weight (uhashring default 40)
    cdef uint32_t *points        # distinct ring points, ascending
    cdef int32_t *owners         # owners[i] = node index owning points[i]
    cdef Py_ssize_t n_points     # number of distinct points
    cdef uint32_t *index         # index[b] = first i with points[i] >> shift >= b; 2**(32-shift) + 1 entries
    cdef int shift               # 32 - index bits
    cdef _build(self)
    cdef uint64_t hash_key(self, object key) except? 0
    cdef object hash_keys(self, object keys)
    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil
    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil


cdef class MaglevTable(ConsistentHash):  # Maglev lookup table (Eisenbud et al., NSDI 2016)
    cdef readonly uint64_t table_size  # M, prime
    cdef int32_t *table          # M slots of node indices
    cdef _build(self)
    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil
    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil


cdef class RendezvousHash(ConsistentHash):  # weighted highest random weight
    cdef uint64_t *node_hash     # XXH64(name, seed) per node, in `order`
    cdef int32_t *order          # node indices grouped by weight, ascending index inside a group
    cdef int32_t *gstart         # group g is order[gstart[g]:gstart[g+1]]; n_groups + 1 entries
    cdef double *gw              # weight of each group
    cdef int32_t n_groups        # number of distinct weights (1: plain argmax, no log)
    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil
    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil


cdef class JumpHash(ConsistentHash):  # Lamping-Veach jump consistent hash, unweighted
    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil
    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil


# ---------------------------------------------------------------------------
# key_hash(key, True, argname) with the exact-int case (a pre-hashed key, the
# hot case of replay and per-call benchmarks) inlined into the calling module:
# a cimported cdef function is an indirect call, this is a couple of
# instructions. Every core's per-call path uses this.
cdef extern from "Python.h":
    bint _rk_long_check "PyLong_CheckExact"(object o)
    unsigned long long _rk_long_as_u64 "PyLong_AsUnsignedLongLong"(object o) noexcept
    void *_rk_err_occurred "PyErr_Occurred"() noexcept
    void _rk_err_clear "PyErr_Clear"() noexcept

cdef inline uint64_t key_hash_fast(object key, str argname) except? 0:
    cdef unsigned long long v
    if _rk_long_check(key):
        v = _rk_long_as_u64(key)
        if v != <unsigned long long>-1 or _rk_err_occurred() == NULL:
            return v
        _rk_err_clear()  # negative or >= 2**64: key_hash raises the clear error
    return key_hash(key, True, argname)
