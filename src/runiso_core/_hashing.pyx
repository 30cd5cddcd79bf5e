# cython: language_level=3
"""XXH64 key hashing shared by every runiso_core core.

Consistent-hashing algorithms live further down in this module.
"""
cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.list cimport PyList_AsTuple
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.ref cimport PyObject
from libc.stdint cimport uint64_t, uint32_t, int32_t

import os

import numpy as np

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL
    bint PyUnicode_CheckExact(object o)
    bint PyBytes_CheckExact(object o)
    bint PyLong_CheckExact(object o)
    int _PyLong_Sign(object o)
    size_t _PyLong_NumBits(object o) except? <size_t>-1
    unsigned long long PyLong_AsUnsignedLongLong(object o) except? <unsigned long long>-1

cdef object _U64_MAX = 2**64 - 1

# The byte-string hash used by the key coercion below: XXH64 everywhere, except
# KetamaRing, which plugs in the MD5 ketama point for uhashring compatibility.
ctypedef uint64_t (*keyhash_fn)(const void *data, size_t length, uint64_t seed) noexcept nogil

cdef extern from "chash.h" nogil:
    uint64_t runiso_ketama_point(const void *data, size_t length, uint64_t seed)


cdef inline uint64_t _hash_buffer(object key, keyhash_fn fn, uint64_t seed) except? 0:
    cdef Py_buffer view
    PyObject_GetBuffer(key, &view, PyBUF_SIMPLE)
    try:
        return fn(view.buf, <size_t>view.len, seed)
    finally:
        PyBuffer_Release(&view)


cdef inline uint64_t _hash_obj(object key, bint allow_int, str argname, keyhash_fn fn,
                               uint64_t seed) except? 0:
    cdef const char *p
    cdef Py_ssize_t n
    if PyUnicode_CheckExact(key):
        p = PyUnicode_AsUTF8AndSize(key, &n)
        return fn(p, <size_t>n, seed)
    if allow_int and PyLong_CheckExact(key) and _PyLong_Sign(key) >= 0 and _PyLong_NumBits(key) <= 64:
        return PyLong_AsUnsignedLongLong(key)  # fast path: exact int in range, already hashed
    if isinstance(key, str):
        p = PyUnicode_AsUTF8AndSize(key, &n)
        return fn(p, <size_t>n, seed)
    if PyBytes_CheckExact(key) or isinstance(key, bytes):
        return fn(PyBytes_AS_STRING(key), <size_t>PyBytes_GET_SIZE(key), seed)
    if isinstance(key, (bytearray, memoryview)):
        return _hash_buffer(key, fn, seed)
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
    return _hash_obj(key, allow_int, argname, runiso_xxh64, 0)


cdef uint64_t table_salt() except? 0:
    return <uint64_t>int.from_bytes(os.urandom(8), "little")


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
    return _hash_obj(key, False, "key", runiso_xxh64, _seed(seed))


cdef uint64_t _seed(object seed) except? 0:
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"seed must be an int in [0, 2**64), got {seed!r:.80}")
    s = seed.__index__()
    if s < 0 or s > _U64_MAX:
        raise ValueError(f"seed must be in [0, 2**64), got {s}")
    return <uint64_t>s


@cython.boundscheck(False)
cdef object _hash_fixed_bytes(object arr, keyhash_fn fn, uint64_t seed):
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
            o[i] = fn(&buf[i, 0] if w > 0 else NULL, <size_t>ln, seed)
    return out


@cython.boundscheck(False)
cdef object _hash_fixed_ucs4(object arr, keyhash_fn fn, uint64_t seed, str argname):
    # numpy 'U' array: UCS-4 code units, trailing NULs are padding; encoded to
    # UTF-8 into one scratch buffer so the hash equals hash64(str).
    cdef Py_ssize_t n = arr.size, w = arr.dtype.itemsize // 4, i, ln, bad = -1
    # native byte order: a '>U' array read as native uint32 would be other code points
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
    cdef const uint32_t[:, ::1] buf = arr.reshape(-1).view(np.uint32).reshape(n, w)
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
                if nb == RUNISO_UTF8_INVALID:
                    bad = i
                    break
                o[i] = fn(scratch, nb, seed)
    finally:
        PyMem_Free(scratch)
    if bad >= 0:
        raise ValueError(f"{argname}[{bad}]: {arr[bad]!r:.80} is not encodable as UTF-8 "
                         f"(lone surrogate)")
    return out


cdef object _hash_sequence(object keys, bint allow_int, str argname, keyhash_fn fn, uint64_t seed):
    # Hashing an item may run user code (__index__, a str subclass) that
    # mutates `keys`: iterate over a tuple snapshot (it holds the items), never
    # over the caller's list with a length read once.
    cdef Py_ssize_t n, i
    cdef const char *p
    cdef Py_ssize_t ln
    cdef object k
    cdef tuple t
    if type(keys) is tuple:
        t = keys
    elif type(keys) is list:
        t = PyList_AsTuple(keys)
    else:
        t = tuple(keys)         # subclasses and iterables: their own iteration protocol
    n = PyTuple_GET_SIZE(t)
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    for i in range(n):
        k = <object>PyTuple_GET_ITEM(t, i)
        if PyUnicode_CheckExact(k):
            p = PyUnicode_AsUTF8AndSize(k, &ln)
            o[i] = fn(p, <size_t>ln, seed)
        else:
            o[i] = _hash_obj(k, allow_int, f"{argname}[{i}]", fn, seed)
    return out


cdef object key_array(object keys, bint allow_int, str argname, uint64_t seed=0):
    return _key_array_fn(keys, allow_int, argname, runiso_xxh64, seed)


cdef object _key_array_fn(object keys, bint allow_int, str argname, keyhash_fn fn, uint64_t seed):
    if isinstance(keys, np.ndarray):
        if type(keys) is not np.ndarray:
            keys = np.asarray(keys)     # base view: a subclass's shape/size could lie about its buffer
        kind = keys.dtype.kind
        if keys.ndim != 1:
            raise ValueError(f"{argname} must be a 1-D array, got shape {keys.shape}")
        if kind == "u" and keys.dtype.itemsize == 8:
            if not allow_int:
                raise TypeError(f"{argname}: uint64 arrays are already hashed; "
                                f"pass str/bytes keys to hash them")
            # a strided view is copied (as numpy does); also normalises byte order
            return np.ascontiguousarray(keys, dtype=np.uint64)
        if kind == "S":
            return _hash_fixed_bytes(keys, fn, seed)
        if kind == "U":
            return _hash_fixed_ucs4(keys, fn, seed, argname)
        if kind == "O":
            return _hash_sequence(keys.tolist(), allow_int, argname, fn, seed)
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
    return _hash_sequence(keys, allow_int, argname, fn, seed)


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
#
# Every algorithm maps a 64-bit key hash to an int32 index into `.nodes`, the
# node names sorted by name (so the answer never depends on the order the nodes
# were given in). Python-facing methods validate; the C methods trust.

from libc.math cimport log, isfinite
from libc.stdio cimport snprintf
from libc.string cimport memcpy

cdef extern from "chash.h" nogil:
    uint64_t runiso_reduce64(uint64_t h, uint64_t m)
    int32_t runiso_jump(uint64_t key, int32_t num_buckets)
    void runiso_jump_many(const uint64_t *keys, int32_t *out, Py_ssize_t n, int32_t num_buckets)
    uint32_t runiso_ketama_digest_point(const unsigned char *d, int r)

cdef extern from "md5.h" nogil:
    void runiso_md5(const void *data, size_t length, unsigned char *out)

import numbers

# Seeds of the node-name hashes (XXH64 of the UTF-8 name). Part of the placement:
# changing them moves keys.
MAGLEV_OFFSET_SEED = 0
MAGLEV_SKIP_SEED = 1
RENDEZVOUS_NODE_SEED = 0x9E3779B97F4A7C15
DEFAULT_TABLE_SIZE = 65537
MAX_TABLE_SIZE = 2**24  # 64 MiB of int32 slots; 100 slots per node up to ~167k nodes
MAX_KETAMA_DIGESTS = 4_000_000  # vnodes * len(nodes): bounds the continuum to 16M points
KETAMA_REPLICAS = 4  # points per MD5 digest (libmemcached)

cdef uint64_t _RDV_SEED = RENDEZVOUS_NODE_SEED


def _canonical_nodes(nodes, str cls):
    """Validate ``nodes`` (mapping name -> weight, or iterable of names) and
    return ``(names, weights)`` sorted by name; weights as float."""
    if nodes is None or isinstance(nodes, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"{cls}: nodes must be a mapping name -> weight or an iterable of "
                        f"names, got {type(nodes).__name__} {nodes!r:.80}")
    if callable(getattr(nodes, "items", None)):
        pairs = list(nodes.items())
    else:
        try:
            pairs = [(name, 1) for name in nodes]
        except TypeError:
            raise TypeError(f"{cls}: nodes must be a mapping name -> weight or an iterable of "
                            f"names, got {type(nodes).__name__} {nodes!r:.80}") from None
    if not pairs:
        raise ValueError(f"{cls}: empty node set; give at least one node")
    seen = {}
    for name, w in pairs:
        if not isinstance(name, str):
            raise TypeError(f"{cls}: node names must be str, got {type(name).__name__} {name!r:.80}")
        name = str(name)  # exact str (a subclass could override __hash__/__eq__)
        if not name:
            raise ValueError(f"{cls}: node names must be non-empty, got {name!r}")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{cls}: node name {name!r:.80} is not encodable as UTF-8") from None
        if name in seen:
            raise ValueError(f"{cls}: duplicate node name {name!r:.80}")
        seen[name] = _weight(w, name, cls)
    names = tuple(sorted(seen))
    return names, tuple([seen[n] for n in names])


cdef double _weight(object w, str name, str cls) except -1:
    if isinstance(w, bool) or not isinstance(w, numbers.Real):
        raise TypeError(f"{cls}: weight of node {name!r:.80} must be a positive number, "
                        f"got {type(w).__name__} {w!r:.80}")
    try:
        f = float(w)
    except OverflowError:
        raise ValueError(f"{cls}: weight of node {name!r:.80} is too large: {w!r:.80}") from None
    if not isfinite(f) or f <= 0.0:
        raise ValueError(f"{cls}: weight of node {name!r:.80} must be a positive finite "
                         f"number, got {w!r:.80}")
    return f


def _rebuild(cls, nodes, kwargs):
    return cls(nodes, **kwargs)


def _is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def _next_prime(n):
    while not _is_prime(n):
        n += 1
    return n


cdef class ConsistentHash:
    """Base class of the consistent-hashing algorithms (not instantiable by itself).

    Instances are immutable once built, so one instance can be shared by every
    thread of a proxy without locks; ``with_node``/``without_node`` return new
    instances.
    """

    def __cinit__(self, *args, **kwargs):
        # Only the four algorithms build their C tables in __cinit__; any other
        # type (the base itself, a Python subclass) would have none to look up.
        if type(self) not in _ALGORITHMS:
            raise TypeError(f"{type(self).__name__}: ConsistentHash is an abstract base class and "
                            f"cannot be subclassed in Python; use KetamaRing, MaglevTable, "
                            f"RendezvousHash or JumpHash")

    cdef _setup(self, object nodes, str cls):
        names, weights = _canonical_nodes(nodes, cls)
        if len(names) > 2**31 - 1:
            raise ValueError(f"{cls}: too many nodes ({len(names)})")
        self.nodes = names
        self.weights = weights
        self._index = {n: i for i, n in enumerate(names)}
        self.n_nodes = <int32_t>len(names)

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

    @cython.always_allow_keywords(False)
    def lookup(self, key):
        """Node name for ``key`` (str/bytes hashed; int in [0, 2**64) taken as already hashed)."""
        cdef uint64_t h = self.hash_key(key)
        return <object>PyTuple_GET_ITEM(self.nodes, self.lookup_hash(h))

    def lookup_many(self, keys):
        """Node indices (int32 array into ``.nodes``) for a batch of keys; the loop runs without the GIL."""
        harr = self.hash_keys(keys)
        cdef const uint64_t[::1] hv = harr
        cdef Py_ssize_t n = hv.shape[0]
        out = np.empty(n, dtype=np.int32)
        cdef int32_t[::1] ov = out
        if n > 0:
            with nogil:
                self.lookup_hashes(&hv[0], &ov[0], n)
        return out

    def _lookup_hashed(self, h):
        """Node index for an already-hashed 64-bit key (the C ``lookup_hash``; for tests)."""
        return self.lookup_hash(<uint64_t>h)

    def _hash_keys(self, keys):
        """The uint64 key hashes this algorithm uses for ``keys`` (the C ``hash_keys``)."""
        return self.hash_keys(keys)

    def __len__(self):
        return self.n_nodes

    def __contains__(self, name):
        return isinstance(name, str) and name in self._index

    def _kwargs(self):
        return {}

    def with_node(self, name, weight=1):
        """New instance with node ``name`` added (or its weight replaced)."""
        d = dict(zip(self.nodes, self.weights))
        d[name] = weight
        return type(self)(d, **self._kwargs())

    def without_node(self, name):
        """New instance without node ``name`` (ValueError if absent or if it is the last node)."""
        if name not in self:
            raise ValueError(f"{type(self).__name__}.without_node: no node named {name!r:.80}")
        d = dict(zip(self.nodes, self.weights))
        del d[name]
        return type(self)(d, **self._kwargs())

    def __repr__(self):
        items = ", ".join(f"{n!r}: {w:g}" for n, w in zip(self.nodes[:8], self.weights[:8]))
        if self.n_nodes > 8:
            items += f", ... ({self.n_nodes} nodes)"
        extra = "".join(f", {k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({{{items}}}{extra})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        o = <ConsistentHash>other
        return self.nodes == o.nodes and self.weights == o.weights and self._kwargs() == other._kwargs()

    def __hash__(self):
        return hash((type(self).__name__, self.nodes, self.weights, tuple(sorted(self._kwargs().items()))))

    def __reduce__(self):
        return (_rebuild, (type(self), dict(zip(self.nodes, self.weights)), self._kwargs()))


@cython.final
cdef class KetamaRing(ConsistentHash):
    """The ketama continuum of libmemcached, placement-compatible with
    ``uhashring.HashRing(nodes, hash_fn="ketama")``.

    Each node gets ``(vnodes * len(nodes) * weight) // sum(weights)`` MD5
    digests of ``f"{name}-{i}"``, 4 ring points per digest. A str/bytes key's
    point is the first 4 bytes of MD5(key), little-endian; the key goes to the
    first point strictly above it (wrapping). An int key is taken as already
    hashed and its low 32 bits are the point. Weights must be integers.
    Immutable: share one instance between threads freely.
    """

    def __cinit__(self, nodes, *, vnodes=40):
        self.points = NULL
        self.owners = NULL
        self.index = NULL
        if isinstance(vnodes, bool) or not isinstance(vnodes, int) or not 1 <= vnodes <= 10000:
            raise ValueError(f"KetamaRing: vnodes must be an int in [1, 10000], got {vnodes!r:.80}")
        self.vnodes = vnodes
        self._setup(nodes, "KetamaRing")
        if vnodes * self.n_nodes > MAX_KETAMA_DIGESTS:
            raise ValueError(f"KetamaRing: vnodes * len(nodes) = {vnodes} * {self.n_nodes} exceeds "
                             f"{MAX_KETAMA_DIGESTS:,} digests; lower vnodes")
        for name, w in zip(self.nodes, self.weights):
            if not w.is_integer():
                raise ValueError(f"KetamaRing: weight of node {name!r:.80} must be an integer "
                                 f"(ketama gives each node floor(vnodes*N*w/sum(w)) digests), got {w!r}")
        self._build()

    cdef _build(self):
        cdef Py_ssize_t N = self.n_nodes, i, j, k, total = 0, m
        iw = [int(w) for w in self.weights]
        wsum = sum(iw)
        ks = [(self.vnodes * N * w) // wsum for w in iw]
        total = sum(ks) * KETAMA_REPLICAS
        packed = np.empty(total, dtype=np.uint64)
        cdef uint64_t[::1] pk = packed
        cdef unsigned char d[16]
        cdef bytes nb
        cdef char *buf
        cdef Py_ssize_t ln, kn, pos = 0
        cdef int r
        for i in range(N):
            nb = self.nodes[i].encode("utf-8")
            ln = len(nb)
            kn = ks[i]
            buf = <char *>PyMem_Malloc(ln + 32)
            if buf == NULL:
                raise MemoryError()
            memcpy(buf, <const char *>nb, ln)
            buf[ln] = b'-'
            with nogil:
                for j in range(kn):
                    m = snprintf(buf + ln + 1, 30, "%zd", j)
                    runiso_md5(buf, ln + 1 + m, d)
                    for r in range(4):
                        pk[pos] = ((<uint64_t>runiso_ketama_digest_point(d, r)) << 32) | <uint64_t>i
                        pos += 1
            PyMem_Free(buf)
        packed.sort()
        # distinct points; on a collision the node later in canonical order wins
        # (uhashring: `_ring[h] = name` in dict order, so feed it nodes sorted by name)
        cdef Py_ssize_t n_distinct = 0
        for k in range(total):
            if k + 1 == total or (pk[k] >> 32) != (pk[k + 1] >> 32):
                n_distinct += 1
        self.points = <uint32_t *>PyMem_Malloc(n_distinct * sizeof(uint32_t))
        self.owners = <int32_t *>PyMem_Malloc(n_distinct * sizeof(int32_t))
        bits = max(4, min(20, n_distinct.bit_length() - 1))
        self.shift = 32 - bits
        cdef Py_ssize_t nb_idx = (<Py_ssize_t>1 << bits)
        self.index = <uint32_t *>PyMem_Malloc((nb_idx + 1) * sizeof(uint32_t))
        if self.points == NULL or self.owners == NULL or self.index == NULL:
            raise MemoryError()
        j = 0
        for k in range(total):
            if k + 1 == total or (pk[k] >> 32) != (pk[k + 1] >> 32):
                self.points[j] = <uint32_t>(pk[k] >> 32)
                self.owners[j] = <int32_t>(pk[k] & 0xffffffff)
                j += 1
        self.n_points = n_distinct
        j = 0
        for k in range(nb_idx + 1):
            while j < n_distinct and (self.points[j] >> self.shift) < <uint32_t>k:
                j += 1
            self.index[k] = <uint32_t>j

    def __dealloc__(self):
        PyMem_Free(self.points)
        PyMem_Free(self.owners)
        PyMem_Free(self.index)

    def _kwargs(self):
        return {} if self.vnodes == 40 else {"vnodes": self.vnodes}

    @property
    def n_points(self):
        """Number of distinct points on the continuum."""
        return self.n_points

    def _points(self):
        """(points uint32 array, owners int32 array) of the continuum, for tests."""
        pts = np.empty(self.n_points, dtype=np.uint32)
        own = np.empty(self.n_points, dtype=np.int32)
        cdef Py_ssize_t i
        for i in range(self.n_points):
            pts[i] = self.points[i]
            own[i] = self.owners[i]
        return pts, own

    cdef uint64_t hash_key(self, object key) except? 0:
        cdef const char *p
        cdef Py_ssize_t n
        if PyUnicode_CheckExact(key):
            p = PyUnicode_AsUTF8AndSize(key, &n)
            return runiso_ketama_point(p, <size_t>n, 0)
        return _hash_obj(key, True, "key", runiso_ketama_point, 0)

    cdef object hash_keys(self, object keys):
        return _key_array_fn(keys, True, "keys", runiso_ketama_point, 0)

    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil:
        return _ketama_find(self.points, self.owners, self.n_points, self.index, self.shift, <uint32_t>h)

    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t i
        cdef const uint32_t *pts = self.points
        cdef const int32_t *own = self.owners
        cdef const uint32_t *idx = self.index
        cdef Py_ssize_t np_ = self.n_points
        cdef int sh = self.shift
        for i in range(n):
            out[i] = _ketama_find(pts, own, np_, idx, sh, <uint32_t>h[i])


cdef inline int32_t _ketama_find(const uint32_t *points, const int32_t *owners, Py_ssize_t n_points,
                                 const uint32_t *index, int shift, uint32_t x) noexcept nogil:
    # first point > x: only points in bucket (x >> shift) can be the answer, the
    # next bucket's first point is > x otherwise
    cdef uint32_t b = x >> shift
    cdef Py_ssize_t lo = index[b], hi = index[b + 1], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if points[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    if lo == n_points:
        lo = 0
    return owners[lo]


@cython.final
cdef class MaglevTable(ConsistentHash):
    """Maglev lookup table (Eisenbud et al., NSDI 2016, section 3.4).

    Node i has ``offset = XXH64(name, seed=0) % M`` and ``skip = XXH64(name,
    seed=1) % (M - 1) + 1``; nodes take turns claiming their next free slot of
    the permutation ``offset + j * skip (mod M)``, a node of weight ``w`` taking
    a turn in ``w / max(weights)`` of the rounds (as Envoy does). A key hash
    ``h`` reads slot ``floor(h * M / 2**64)`` (uniform for uniform hashes).
    ``table_size`` M must be a prime >= len(nodes); >= 100 * len(nodes) keeps
    every node's share within about 1 %. Immutable: share freely between threads.
    """

    def __cinit__(self, nodes, *, table_size=DEFAULT_TABLE_SIZE):
        self.table = NULL
        self._setup(nodes, "MaglevTable")
        if isinstance(table_size, bool) or not isinstance(table_size, numbers.Integral):
            raise TypeError(f"MaglevTable: table_size must be a prime int, got "
                            f"{type(table_size).__name__} {table_size!r:.80}")
        M = int(table_size)
        N = self.n_nodes
        if M < 2 or M > MAX_TABLE_SIZE:
            raise ValueError(f"MaglevTable: table_size must be a prime in [2, 2**24], got {M}")
        if not _is_prime(M):
            raise ValueError(f"MaglevTable: table_size must be prime, got {M} "
                             f"(nearest larger prime: {_next_prime(M)})")
        if M < N:
            raise ValueError(f"MaglevTable: table_size={M} is smaller than the number of nodes "
                             f"({N}); use a prime >= 100 * len(nodes), e.g. table_size="
                             f"{_next_prime(100 * N) if 100 * N <= MAX_TABLE_SIZE else _next_prime(N)}")
        self.table_size = M
        self.table = <int32_t *>PyMem_Malloc(M * sizeof(int32_t))
        if self.table == NULL:
            raise MemoryError()
        self._build()

    cdef _build(self):
        cdef Py_ssize_t N = self.n_nodes, i
        cdef uint64_t M = self.table_size, c, filled = 0, iteration = 1
        cdef uint64_t[::1] pos = np.empty(N, dtype=np.uint64)
        cdef uint64_t[::1] skip = np.empty(N, dtype=np.uint64)
        cdef double[::1] w = np.empty(N, dtype=np.float64)
        cdef double[::1] target = np.zeros(N, dtype=np.float64)
        cdef bytes nb
        wmax = max(self.weights)
        for i in range(N):
            nb = self.nodes[i].encode("utf-8")
            pos[i] = runiso_xxh64(<const char *>nb, len(nb), MAGLEV_OFFSET_SEED) % M
            skip[i] = runiso_xxh64(<const char *>nb, len(nb), MAGLEV_SKIP_SEED) % (M - 1) + 1
            w[i] = self.weights[i] / wmax
        cdef int32_t *table = self.table
        with nogil:
            for c in range(M):
                table[c] = -1
            while filled < M:
                for i in range(N):
                    # a node of relative weight w takes a turn in a fraction w of the rounds
                    if <double>iteration * w[i] < target[i]:
                        continue
                    target[i] += 1.0
                    c = pos[i]
                    while table[c] >= 0:
                        c += skip[i]
                        if c >= M:
                            c -= M
                    table[c] = <int32_t>i
                    c += skip[i]
                    if c >= M:
                        c -= M
                    pos[i] = c
                    filled += 1
                    if filled == M:
                        break
                iteration += 1

    def __dealloc__(self):
        PyMem_Free(self.table)

    def _kwargs(self):
        return {} if self.table_size == DEFAULT_TABLE_SIZE else {"table_size": self.table_size}

    def _table(self):
        """The lookup table as an int32 array (slot -> node index), for tests."""
        out = np.empty(self.table_size, dtype=np.int32)
        cdef int32_t[::1] o = out
        cdef uint64_t i
        for i in range(self.table_size):
            o[i] = self.table[i]
        return out

    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil:
        return self.table[runiso_reduce64(h, self.table_size)]

    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t i
        cdef const int32_t *t = self.table
        cdef uint64_t M = self.table_size
        for i in range(n):
            out[i] = t[runiso_reduce64(h[i], M)]


@cython.final
cdef class RendezvousHash(ConsistentHash):
    """Weighted rendezvous (highest random weight) hashing.

    For key hash ``h`` and node i, ``m_i = mix64(h ^ XXH64(name_i, seed=0x9E3779B97F4A7C15)) >> 12``,
    ``u_i = (m_i + 0.5) / 2**52`` in (0, 1) and the score is ``-w_i / ln(u_i)``; the
    key goes to the highest score. Among nodes of equal weight the score is
    monotone in ``m_i``, so each group of equal weight first elects its largest
    ``m_i`` (lowest index on a tie) and only the group winners' scores are
    computed (lowest index wins a tie): one log per distinct weight, none when
    all weights are equal. O(len(nodes)) per key. Immutable: share freely
    between threads.
    """

    def __cinit__(self, nodes):
        self.node_hash = NULL
        self.order = NULL
        self.gstart = NULL
        self.gw = NULL
        self._setup(nodes, "RendezvousHash")
        cdef Py_ssize_t N = self.n_nodes, i, k
        distinct = sorted(set(self.weights), reverse=True)
        G = len(distinct)
        self.node_hash = <uint64_t *>PyMem_Malloc(N * sizeof(uint64_t))
        self.order = <int32_t *>PyMem_Malloc(N * sizeof(int32_t))
        self.gstart = <int32_t *>PyMem_Malloc((G + 1) * sizeof(int32_t))
        self.gw = <double *>PyMem_Malloc(G * sizeof(double))
        if self.node_hash == NULL or self.order == NULL or self.gstart == NULL or self.gw == NULL:
            raise MemoryError()
        gid = {w: g for g, w in enumerate(distinct)}
        order = sorted(range(N), key=lambda j: (gid[self.weights[j]], j))
        cdef bytes nb
        k = 0
        for g in range(G):
            self.gw[g] = distinct[g]
            self.gstart[g] = k
            while k < N and gid[self.weights[order[k]]] == g:
                k += 1
        self.gstart[G] = N
        for k in range(N):
            i = order[k]
            nb = self.nodes[i].encode("utf-8")
            self.order[k] = <int32_t>i
            self.node_hash[k] = runiso_xxh64(<const char *>nb, len(nb), _RDV_SEED)
        self.n_groups = G

    def __dealloc__(self):
        PyMem_Free(self.node_hash)
        PyMem_Free(self.order)
        PyMem_Free(self.gstart)
        PyMem_Free(self.gw)

    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil:
        return _rendezvous(self.node_hash, self.order, self.gstart, self.gw, self.n_groups, h)

    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil:
        cdef Py_ssize_t i
        cdef const uint64_t *nh = self.node_hash
        cdef const int32_t *order = self.order
        cdef const int32_t *gstart = self.gstart
        cdef const double *gw = self.gw
        cdef int32_t G = self.n_groups
        for i in range(n):
            out[i] = _rendezvous(nh, order, gstart, gw, G, h[i])


cdef inline int32_t _rendezvous(const uint64_t *nh, const int32_t *order, const int32_t *gstart,
                                const double *gw, int32_t G, uint64_t h) noexcept nogil:
    cdef int32_t g, k, bi, best = -1
    cdef uint64_t m, bm
    cdef double s, bs = 0.0
    for g in range(G):
        k = gstart[g]
        bm = runiso_mix64(h ^ nh[k]) >> 12
        bi = order[k]
        for k in range(gstart[g] + 1, gstart[g + 1]):
            m = runiso_mix64(h ^ nh[k]) >> 12
            if m > bm:
                bm = m
                bi = order[k]
        if G == 1:
            return bi
        s = -gw[g] / log((<double>bm + 0.5) * 2.220446049250313e-16)
        if best < 0 or s > bs or (s == bs and bi < best):
            bs = s
            best = bi
    return best


@cython.final
cdef class JumpHash(ConsistentHash):
    """Jump consistent hash (Lamping & Veach 2014): node i is bucket i of
    ``.nodes`` (sorted by name). For an int key equals
    ``jump.hash(key, len(nodes))`` of the jump-consistent-hash package; str keys
    are hashed with XXH64 first. Only removing/adding the node that sorts last
    is minimally disruptive; jump cannot weight (weights other than 1 raise).
    Immutable: share freely between threads.
    """

    def __cinit__(self, nodes):
        self._setup(nodes, "JumpHash")
        for name, w in zip(self.nodes, self.weights):
            if w != 1.0:
                raise ValueError(f"JumpHash: jump consistent hash cannot weight nodes; weight of "
                                 f"node {name!r:.80} must be 1, got {w!r}")

    cdef int32_t lookup_hash(self, uint64_t h) noexcept nogil:
        return runiso_jump(h, self.n_nodes)

    cdef void lookup_hashes(self, const uint64_t *h, int32_t *out, Py_ssize_t n) noexcept nogil:
        runiso_jump_many(h, out, n, self.n_nodes)


# The concrete algorithms (final classes): the only types ConsistentHash.__cinit__ accepts.
cdef tuple _ALGORITHMS = (KetamaRing, MaglevTable, RendezvousHash, JumpHash)
