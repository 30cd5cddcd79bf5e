# cython: language_level=3
"""XXH64 key hashing shared by every runiso_core core.

Consistent-hashing algorithms live further down in this module.
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.ref cimport PyObject
from libc.stdint cimport uint64_t, uint32_t, int32_t

import numpy as np

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL
    bint PyUnicode_CheckExact(object o)
    bint PyBytes_CheckExact(object o)
    bint PyLong_CheckExact(object o)

cdef object _U64_MAX = 2**64 - 1


cdef inline uint64_t _hash_buffer(object key, uint64_t seed) except? 0:
    cdef Py_buffer view
    PyObject_GetBuffer(key, &view, PyBUF_SIMPLE)
    try:
        return runiso_xxh64(view.buf, <size_t>view.len, seed)
    finally:
        PyBuffer_Release(&view)


cdef inline uint64_t _hash_obj(object key, bint allow_int, str argname, uint64_t seed) except? 0:
    cdef const char *p
    cdef Py_ssize_t n
    if PyUnicode_CheckExact(key) or isinstance(key, str):
        p = PyUnicode_AsUTF8AndSize(key, &n)
        return runiso_xxh64(p, <size_t>n, seed)
    if PyBytes_CheckExact(key) or isinstance(key, bytes):
        return runiso_xxh64(PyBytes_AS_STRING(key), <size_t>PyBytes_GET_SIZE(key), seed)
    if isinstance(key, (bytearray, memoryview)):
        return _hash_buffer(key, seed)
    if allow_int and not isinstance(key, (bool, float)) and hasattr(key, "__index__"):
        v = key.__index__()
        if v < 0 or v > _U64_MAX:
            raise ValueError(
                f"{argname}: int key {v} is outside [0, 2**64); ints are taken as "
                f"already-hashed 64-bit keys")
        return <uint64_t>v
    accepted = "str, bytes, bytearray, memoryview or int in [0, 2**64)" if allow_int \
        else "str, bytes, bytearray or memoryview"
    raise TypeError(f"{argname}: unsupported key type {type(key).__name__!s} "
                    f"({key!r:.80}); expected {accepted}")


cdef uint64_t key_hash(object key, bint allow_int, str argname) except? 0:
    return _hash_obj(key, allow_int, argname, 0)


def hash64(key, seed=0):
    """XXH64 of a key.

    Parameters
    ----------
    key : str, bytes, bytearray or memoryview
        ``str`` is hashed as its UTF-8 encoding.
    seed : int, optional
        64-bit seed in [0, 2**64), default 0.

    Returns
    -------
    int
        The 64-bit hash, equal to ``xxhash.xxh64_intdigest(key_bytes, seed)``.
    """
    return _hash_obj(key, False, "key", _seed(seed))


cdef uint64_t _seed(object seed) except? 0:
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"seed must be an int in [0, 2**64), got {seed!r:.80}")
    s = seed.__index__()
    if s < 0 or s > _U64_MAX:
        raise ValueError(f"seed must be in [0, 2**64), got {s}")
    return <uint64_t>s


@cython.boundscheck(False)
cdef object _hash_fixed_bytes(object arr, uint64_t seed):
    # numpy 'S' array: fixed-width items, trailing NULs are padding (numpy strips them).
    cdef const unsigned char[:, ::1] buf = np.ascontiguousarray(arr).reshape(-1).view(np.uint8).reshape(arr.size, arr.dtype.itemsize)
    cdef Py_ssize_t n = buf.shape[0], w = buf.shape[1], i, ln
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    with nogil:
        for i in range(n):
            ln = w
            while ln > 0 and buf[i, ln - 1] == 0:
                ln -= 1
            o[i] = runiso_xxh64(&buf[i, 0] if w > 0 else NULL, <size_t>ln, seed)
    return out


@cython.boundscheck(False)
cdef object _hash_fixed_ucs4(object arr, uint64_t seed):
    # numpy 'U' array: UCS-4 code units, trailing NULs are padding; encoded to
    # UTF-8 into one scratch buffer so the hash equals hash64(str).
    cdef Py_ssize_t n = arr.size, w = arr.dtype.itemsize // 4, i, ln
    cdef const uint32_t[:, ::1] buf = np.ascontiguousarray(arr).reshape(-1).view(np.uint32).reshape(n, w)
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef unsigned char *scratch = <unsigned char *>PyMem_Malloc(4 * w + 1)
    cdef size_t nb
    if scratch == NULL:
        raise MemoryError()
    try:
        with nogil:
            for i in range(n):
                ln = w
                while ln > 0 and buf[i, ln - 1] == 0:
                    ln -= 1
                nb = runiso_ucs4_to_utf8(&buf[i, 0] if w > 0 else NULL, <size_t>ln, scratch)
                o[i] = runiso_xxh64(scratch, nb, seed)
    finally:
        PyMem_Free(scratch)
    return out


cdef object _hash_sequence(object keys, bint allow_int, str argname, uint64_t seed):
    cdef Py_ssize_t n, i
    cdef const char *p
    cdef Py_ssize_t ln
    cdef object k
    if not isinstance(keys, (list, tuple)):
        keys = list(keys)
    n = len(keys)
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    if isinstance(keys, list):
        for i in range(n):
            k = <object>PyList_GET_ITEM(keys, i)
            if PyUnicode_CheckExact(k):
                p = PyUnicode_AsUTF8AndSize(k, &ln)
                o[i] = runiso_xxh64(p, <size_t>ln, seed)
            else:
                o[i] = _hash_obj(k, allow_int, f"{argname}[{i}]", seed)
    else:
        for i in range(n):
            k = <object>PyTuple_GET_ITEM(keys, i)
            if PyUnicode_CheckExact(k):
                p = PyUnicode_AsUTF8AndSize(k, &ln)
                o[i] = runiso_xxh64(p, <size_t>ln, seed)
            else:
                o[i] = _hash_obj(k, allow_int, f"{argname}[{i}]", seed)
    return out


cdef object key_array(object keys, bint allow_int, str argname, uint64_t seed=0):
    if isinstance(keys, np.ndarray):
        kind = keys.dtype.kind
        if keys.ndim != 1:
            raise ValueError(f"{argname} must be a 1-D array, got shape {keys.shape}")
        if kind == "u" and keys.dtype.itemsize == 8:
            if not allow_int:
                raise TypeError(f"{argname}: uint64 arrays are already hashed; "
                                f"pass str/bytes keys to hash them")
            if not keys.flags.c_contiguous:
                raise ValueError(f"{argname} must be C-contiguous; use numpy.ascontiguousarray({argname})")
            return keys.astype(np.uint64, copy=False)  # also normalises byte order
        if kind == "S":
            return _hash_fixed_bytes(keys, seed)
        if kind == "U":
            return _hash_fixed_ucs4(keys, seed)
        if kind == "O":
            return _hash_sequence(keys.tolist(), allow_int, argname, seed)
        raise TypeError(
            f"{argname}: unsupported array dtype {keys.dtype}; expected uint64 (pre-hashed keys), "
            f"a bytes 'S', str 'U' or object array")
    if isinstance(keys, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"{argname} must be a sequence of keys, got a single {type(keys).__name__}")
    try:
        iter(keys)
    except TypeError:
        raise TypeError(f"{argname} must be a list of keys or a numpy array, "
                        f"got {type(keys).__name__}") from None
    return _hash_sequence(keys, allow_int, argname, seed)


def hash64_many(keys, seed=0):
    """XXH64 of many keys at once.

    Parameters
    ----------
    keys : list of str/bytes, or numpy ``S``, ``U`` or object array
    seed : int, optional

    Returns
    -------
    numpy.ndarray of uint64
        ``out[i] == hash64(keys[i], seed)``.
    """
    return key_array(keys, False, "keys", _seed(seed))


def _key_array(keys, *, allow_int=True, argname="keys"):
    """Python-level shim of the C key coercion (used by the pure-Python references and tests)."""
    return key_array(keys, allow_int, argname, 0)


def _key_hash(key, *, argname="key"):
    """Python-level shim of :c:func:`key_hash` with ints taken as pre-hashed."""
    return key_hash(key, True, argname)


# ---------------------------------------------------------------------------
# Consistent hashing

cdef class ConsistentHash:
    """Base class of the consistent-hashing algorithms (not instantiable by itself).

    Instances are immutable: they can be shared by every thread of a proxy without locks.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("ConsistentHash is an abstract base class; use KetamaRing, "
                        "MaglevTable, RendezvousHash or JumpHash")

    cdef uint64_t hash_key(self, object key) except? 0:
        return key_hash(key, True, "key")

    cdef object hash_keys(self, object keys):
        return key_array(keys, True, "keys", 0)

    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil:
        return 0

    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(n):
            out[i] = self.lookup_hash(h[i])
