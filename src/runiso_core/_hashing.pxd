# The C-level contract of runiso_core._hashing: the one hash function of the
# project (XXH64) and the one way every core turns a user key into uint64.
from libc.stdint cimport uint64_t, int32_t, uint32_t

cdef extern from "xxh64.h" nogil:
    uint64_t runiso_xxh64(const void *data, size_t length, uint64_t seed)
    uint64_t runiso_mix64(uint64_t k)

cdef extern from "utf8.h" nogil:
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
