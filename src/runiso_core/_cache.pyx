# cython: language_level=3
"""Byte-capacity caches with TTL and stats: LRU, SIEVE and S3-FIFO.

Each cache object works in one of two modes, fixed by its first use:

* proxy mode (``put``/``get``/``peek``/``pop``/``c[k]``): stores Python values;
  the key object is kept and compared, so two keys with the same 64-bit hash
  never alias;
* simulator mode (``access``/``access_many``): metadata only (no Python object
  per entry), keys identified by their 64-bit hash; for replaying traces.

The engine (slot pool, open-addressing index, intrusive lists) is plain C in
``ext/runiso_cache.h``; ``_cache_py.py`` is the pure-Python reference.
"""
cimport cython
from cpython.ref cimport PyObject
from libc.stdint cimport uint64_t, int64_t, uint32_t, uint8_t, INT64_MAX, INT64_MIN
from libc.string cimport memset, memcmp
from libc.math cimport isfinite, isnan, llround

from runiso_core._hashing cimport key_array, key_hash, key_hash_fast, table_salt
from runiso_core._guard cimport (rn_guard, guard_init, guard_ready, guard_free, guard_check,
                                 guard_enter, guard_enter_nogil, guard_leave)
from runiso_core._columns cimport float_column, int_column

import math
from dataclasses import dataclass

import numpy as np

cdef extern from "Python.h":
    bint PyLong_CheckExact(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyBytes_CheckExact(object o)
    bint PyFloat_CheckExact(object o)
    unsigned long long PyLong_AsUnsignedLongLong(object o) noexcept
    long long PyLong_AsLongLong(object o) except? -1
    double PyFloat_AS_DOUBLE(object o)
    const char *PyUnicode_AsUTF8AndSize(object o, Py_ssize_t *size) except NULL
    Py_ssize_t PyBytes_GET_SIZE(object o)
    char *PyBytes_AS_STRING(object o)
    PyObject *PyErr_Occurred()
    void PyErr_Clear()
    object PyUnicode_FromObject(object o)
    object PyBytes_FromStringAndSize(const char *v, Py_ssize_t n)
    object PyBytes_FromObject(object o)
    object PyNumber_Index(object o)


cdef enum:
    MODE_UNSET = 0
    MODE_SIM = 1
    MODE_PROXY = 2

cdef object _MISSING = object()


@dataclass(frozen=True)
class CacheStats:
    """Counters of one cache (see ``stats`` on each cache class).

    ``hits``/``misses``/``byte_*`` count ``access``/``access_many``/``get``
    requests (``put`` is not a request). ``evictions`` counts capacity
    evictions, ``expired`` TTL expiries reclaimed, ``too_large`` objects not
    admitted because of their size. ``entries``/``bytes`` are the current
    resident contents.
    """
    hits: int
    misses: int
    byte_hits: int
    byte_misses: int
    evictions: int
    expired: int
    too_large: int
    entries: int
    bytes: int
    hit_ratio: float
    byte_hit_ratio: float


cdef inline int64_t _seconds_to_ns(object v, str argname) except? -1:
    cdef double d
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
        raise TypeError(f"{argname} must be a number of seconds, got {v!r:.80}")
    d = float(v)
    if not isfinite(d) or d * 1e9 >= 9.0e18 or d * 1e9 <= -9.0e18:
        raise ValueError(f"{argname} must be a finite number of seconds within ~285 years, got {v!r}")
    return <int64_t>llround(d * 1e9)


cdef inline int64_t _ttl_to_ns(object v, str argname, bint none_is_default) except? -2:
    """None -> RC_TTL_DEFAULT (or RC_NEVER), inf -> RC_NEVER, >= 0 -> ns."""
    cdef double d
    if v is None:
        return RC_TTL_DEFAULT if none_is_default else RC_NEVER
    if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
        raise TypeError(f"{argname} must be a number of seconds or None, got {v!r:.80}")
    d = float(v)
    if isnan(d) or d < 0:
        raise ValueError(f"{argname} must be >= 0 seconds (or math.inf for no expiry), got {v!r}")
    if d == math.inf or d * 1e9 >= 9.0e18:
        return RC_NEVER
    return <int64_t>llround(d * 1e9)


cdef inline int64_t _size_arg(object size, str argname) except -1:
    cdef long long v
    if isinstance(size, bool) or not PyLong_CheckExact(size) and not hasattr(size, "__index__"):
        raise TypeError(f"{argname} must be an int >= 1, got {size!r:.80}")
    iv = size if PyLong_CheckExact(size) else size.__index__()
    if not 1 <= iv < RC_MAX_SIZE:      # checked as a Python int: 10**30 is a ValueError too
        raise ValueError(f"{argname} must be in [1, 2**48) bytes, got {iv!r:.40}")
    v = iv
    return v


cdef inline int64_t _bound_arg(object v, str argname) except -2:
    if v is None:
        return INT64_MAX
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{argname} must be a positive int or None, got {v!r:.80}")
    iv = v.__index__()
    if iv < 1:
        raise ValueError(f"{argname} must be >= 1, got {iv}")
    if iv >= INT64_MAX:  # INT64_MAX means "no bound": refuse rather than go unbounded
        raise ValueError(f"{argname} must be < 2**63 - 1, got {iv}; pass None for no bound")
    return iv


cdef inline bint _utf8_equals(str a, bytes b) except -1:
    # The project's key convention: a str is the key of its UTF-8 bytes, so
    # "a" and b"a" are one key. The str's cached UTF-8 form is compared in
    # place (no Python object is made, so no GC pass and no thread switch).
    cdef Py_ssize_t n
    cdef const char *p = PyUnicode_AsUTF8AndSize(a, &n)
    return n == PyBytes_GET_SIZE(b) and memcmp(p, PyBytes_AS_STRING(b), n) == 0


cdef inline object _norm_key(object key):
    """The key object of proxy mode: an exact str, bytes or int, made once per
    call (the hash is then taken of it, so the two never disagree), without
    running a subclass's __str__/__bytes__; comparing two such keys runs no
    Python code. Unsupported types come back as they are (key_hash raises)."""
    if PyUnicode_CheckExact(key) or PyBytes_CheckExact(key) or PyLong_CheckExact(key):
        return key
    if isinstance(key, str):
        return PyUnicode_FromObject(key)            # exact copy of a subclass
    if isinstance(key, bytes):
        return PyBytes_FromStringAndSize(PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
    if isinstance(key, bytearray) or isinstance(key, memoryview) and key.c_contiguous:
        return PyBytes_FromObject(key)              # the buffer, not __bytes__
    if not isinstance(key, (bool, float)) and hasattr(key, "__index__"):
        return PyNumber_Index(key)                  # exact int (Python >= 3.10), one __index__ call
    return key


@cython.no_gc_clear  # the slot lists must outlive a GC pass (callbacks may still read them)
cdef class _Cache:
    """Shared machinery of LRUCache, SieveCache and S3FIFOCache (not public)."""

    def __cinit__(self, *args, **kwargs):
        self._keys = []
        self._vals = []
        self._ocap = 0
        self._mode = MODE_UNSET
        memset(&self._c, 0, sizeof(rc_cache))
        guard_init(&self._g)        # UNINIT until __init__ completes: methods refuse

    def __dealloc__(self):
        rc_free(&self._c)
        guard_free(&self._g)

    cdef _setup(self, int policy, object capacity_bytes, object max_entries, object default_ttl,
                object on_evict, int move_threshold, double small_ratio, double ghost_ratio,
                object resize_on_hit):
        cdef int64_t cb = _bound_arg(capacity_bytes, "capacity_bytes")
        cdef int64_t me = _bound_arg(max_entries, "max_entries")
        if capacity_bytes is None and max_entries is None:
            raise ValueError(f"{type(self).__name__}: give capacity_bytes and/or max_entries "
                             f"(both are None)")
        cdef int64_t dt = _ttl_to_ns(default_ttl, "default_ttl", False)
        if not isinstance(resize_on_hit, bool):
            raise TypeError(f"resize_on_hit must be True or False, got {resize_on_hit!r:.80}")
        if on_evict is not None and not callable(on_evict):
            raise TypeError(f"on_evict must be callable(key, value) or None, got {on_evict!r:.80}")
        if self._c.e != NULL:
            raise RuntimeError(f"{type(self).__name__} is already initialised")
        if rc_init(&self._c, policy, cb, me, dt, move_threshold, small_ratio, ghost_ratio) != 0:
            rc_free(&self._c)
            raise MemoryError()
        self._c.salt = table_salt()  # index layout only: decisions never depend on it
        self._c.keep_size = not resize_on_hit
        self._ttl_used = dt != RC_NEVER
        self._on_evict = on_evict
        self._name = type(self).__name__
        guard_ready(&self._g)

    # -- modes and proxy objects ----------------------------------------
    cdef int _set_mode(self, int mode) except -1:
        if self._mode == mode:
            return 0
        if self._mode != MODE_UNSET:
            used = "simulator (access/access_many)" if self._mode == MODE_SIM else "proxy (put/get)"
            raise RuntimeError(
                f"{self._name} is in {used} mode; one cache object is either a proxy cache "
                f"storing values or a metadata-only simulator, not both")
        self._mode = mode
        if mode == MODE_PROXY:
            self._c.log_on = 1
            self._sync_objs()
        return 0

    cdef int _proxy_mode(self) except -1:
        # First proxy use: the object lists are allocated (Python code), so
        # under the lock. Raises on a simulator.
        guard_enter(&self._g, self)
        try:
            self._set_mode(MODE_PROXY)
        finally:
            guard_leave(&self._g)
        return 0

    cdef int _sync_objs(self) except -1:
        # Grow the parallel key/value lists to the engine's slot count.
        cdef uint32_t n = self._c.cap
        if n <= self._ocap:
            return 0
        pad = [None] * (n - self._ocap)
        self._keys.extend(pad)
        self._vals.extend(pad)
        self._ocap = n
        return 0

    cdef list _drain(self):
        # Take the Python objects of slots the engine dropped (evicted,
        # expired, demoted to the S3-FIFO ghost) during the last operation.
        cdef list out = None
        cdef size_t i
        cdef uint32_t s
        cdef object k, v
        for i in range(self._c.log_n):
            s = self._c.log[i]
            if s < self._ocap and self._keys[s] is not None:
                k = self._keys[s]
                v = self._vals[s]
                self._keys[s] = None        # k, v keep them alive until the callback
                self._vals[s] = None
                if out is None:
                    out = []
                out.append((k, v))
        self._c.log_n = 0
        return out

    cdef int _notify(self, list pairs) except -1:
        # on_evict runs after the cache is consistent; every callback runs,
        # then the first exception (if any) propagates.
        cdef object err = None
        if pairs is None or self._on_evict is None:
            return 0
        for k, v in pairs:
            try:
                self._on_evict(k, v)
            except BaseException as exc:
                if err is None:
                    err = exc
        if err is not None:
            raise err
        return 0

    cdef bint _same_key(self, uint32_t s, object key) except -1:
        # The stored key object of a resident proxy slot equals `key`. Both are
        # exact str/bytes/int (_norm_key), so no Python code runs here and no
        # other thread can take the GIL between the lookup and its use.
        if s >= self._ocap:
            return False
        stored = self._keys[s]
        if stored is None:
            return False
        if stored is key:
            return True
        if PyUnicode_CheckExact(stored) and PyBytes_CheckExact(key):
            return _utf8_equals(stored, key)
        if PyBytes_CheckExact(stored) and PyUnicode_CheckExact(key):
            return _utf8_equals(key, stored)
        return stored == key

    cdef uint32_t _find_guarded(self, object key, object now, str method) except? 0xFFFFFFFE:
        # peek/pop: convert the key and the time, then the guard check, then
        # the lookup; the caller uses the slot before running any Python code.
        if self._mode == MODE_SIM:
            self._set_mode(MODE_PROXY)     # raises: a simulator stores no values
        nkey = _norm_key(key)
        cdef uint64_t k = key_hash(nkey, True, "key")
        cdef int64_t t = self._time(now, method, RC_TTL_DEFAULT)
        guard_check(&self._g, self)
        if t == INT64_MIN:
            t = self._latest(method, RC_TTL_DEFAULT)
        return self._find_exact(nkey, k, t)

    cdef uint32_t _find_exact(self, object key, uint64_t k, int64_t now) except? 0xFFFFFFFE:
        # Resident, unexpired slot whose stored key equals `key`, else RC_NIL.
        cdef uint32_t s = rc_peek(&self._c, k, now)
        if s == RC_NIL:
            return RC_NIL
        return s if self._same_key(s, key) else RC_NIL

    cdef int64_t _time(self, object now, str method, int64_t ttl) except? -1:
        # The one rule for `now`: optional on a cache without TTLs (the latest
        # time given is used), required once the cache can hold an entry that
        # expires (default_ttl, or any entry given a finite ttl), because the
        # answer then depends on the time: a stale "latest time" would serve an
        # expired entry. `ttl` is this call's TTL (RC_TTL_DEFAULT if none).
        # Returns INT64_MIN for "the latest time": the caller reads it from
        # the engine once it holds the guard (no time converts to INT64_MIN).
        if now is not None:
            return self._now(now)
        if self._ttl_used or (ttl >= 0 and ttl != RC_NEVER):
            raise TypeError(
                f"{self._name}.{method}: now= is required on a cache with TTLs (default_ttl or "
                f"an entry's ttl): without the time it cannot tell what has expired. Pass now= "
                f"in seconds on the clock your TTLs count in (cache[key] and 'key in cache' "
                f"cannot take it: use get/put/peek/pop with now=)")
        return INT64_MIN

    cdef int64_t _latest(self, str method, int64_t ttl) except? -1:
        # Under the guard: the rule again (a batch may have made the cache
        # timed while this call waited), then the engine's latest time.
        if self._ttl_used:
            self._time(None, method, ttl)           # raises
        return self._c.now

    cdef int64_t _now(self, object now) except? -1:
        cdef double d
        if PyFloat_CheckExact(now):
            d = PyFloat_AS_DOUBLE(now)
            if isfinite(d) and -9.0e9 < d < 9.0e9:
                return <int64_t>llround(d * 1e9)
        return _seconds_to_ns(now, "now")

    # -- simulator API --------------------------------------------------
    def access(self, key, size=1, *, now=None, ttl=None):
        """access(key, size=1, *, now=None, ttl=None)

        One request in simulator mode: a hit (True), or a miss (False) after
        which the object is inserted (evicting as needed).

        Parameters
        ----------
        key : str, bytes or int
            str/bytes are hashed with ``hash64``; an int in [0, 2**64) is
            taken as already hashed.
        size : int, default 1
            Object size in bytes (>= 1). A hit with a different size updates
            the byte count (and may evict others; a size above the capacity
            drops the resident copy, ``too_large``), unless the cache was made
            with ``resize_on_hit=False`` (a hit then keeps the stored size, as
            libCacheSim does). A miss above the capacity is never admitted.
        now : float, optional
            Request time in seconds; default: the latest time given.
        ttl : float, optional
            TTL in seconds for an inserted object (None: ``default_ttl``;
            ``math.inf``: never expires). A hit keeps the original expiry.

        Returns
        -------
        bool
        """
        cdef uint64_t k
        cdef int64_t sz, t, tt
        cdef uint32_t s
        cdef int r
        k = key_hash_fast(key, "key")
        sz = _size_arg(size, "size")
        tt = RC_TTL_DEFAULT if ttl is None else _ttl_to_ns(ttl, "ttl", True)
        t = self._time(now, "access", tt)
        guard_check(&self._g, self)     # arguments converted: no Python code from here
        if t == INT64_MIN:
            t = self._latest("access", tt)
        if self._mode != MODE_SIM:
            self._set_mode(MODE_SIM)
        if tt >= 0 and tt != RC_NEVER:
            self._ttl_used = True
        r = rc_access(&self._c, k, sz, t, tt, RC_OP_ACCESS, &s)
        if r < 0:
            raise MemoryError(f"{self._name}: out of memory")
        return r == 1

    @cython.always_allow_keywords(False)  # METH_O: the cheapest CPython call
    def access_fast(self, key):
        """access_fast(key)

        ``access(key)`` with size 1, the latest time and the default TTL,
        through the cheapest Python call (one positional argument): the
        per-call fast path for replay loops and memoiser-style use. On a
        cache with TTLs it raises TypeError (the time is required there).

        Returns
        -------
        bool
            True on a hit; on a miss the key is inserted.
        """
        cdef uint64_t k
        cdef uint32_t s
        cdef int r
        k = key_hash_fast(key, "key")
        guard_check(&self._g, self)
        if self._ttl_used:
            self._time(None, "access_fast", RC_TTL_DEFAULT)     # raises: needs now=
        if self._mode != MODE_SIM:
            self._set_mode(MODE_SIM)
        r = rc_access(&self._c, k, 1, self._c.now, RC_TTL_DEFAULT, RC_OP_ACCESS, &s)
        if r < 0:
            raise MemoryError(f"{self._name}: out of memory")
        return r == 1

    def access_many(self, keys, sizes=None, times=None, ttls=None):
        """access_many(keys, sizes=None, times=None, ttls=None)

        Replay many requests (simulator mode) without the GIL; identical to
        calling :meth:`access` once per request.

        Parameters
        ----------
        keys : numpy uint64 array, list of str/bytes/int, or numpy S/U/object array
        sizes : array of int, optional
            Object sizes in bytes (>= 1); default 1 each.
        times : array of float, optional
            Request times in seconds (float64); default: the latest time given.
        ttls : array of float, optional
            TTL in seconds per request: ``NaN`` means the cache's ``default_ttl``,
            ``inf`` means never expires; negative values are rejected.

        Returns
        -------
        numpy.ndarray of bool
            ``True`` where the request was a hit.
        """
        if self._mode == MODE_PROXY:
            self._set_mode(MODE_SIM)    # raises: a proxy cache is not a simulator
        karr = key_array(keys, True, "keys")
        cdef Py_ssize_t n = karr.shape[0]
        cdef const uint64_t[::1] kv = karr
        cdef const int64_t[::1] sv
        cdef const int64_t[::1] tv
        cdef const int64_t[::1] lv
        cdef const int64_t *sp = NULL
        cdef const int64_t *tp = NULL
        cdef const int64_t *lp = NULL
        if sizes is not None:
            sa = int_column(sizes, n, "sizes", "keys")
            if n and (sa.min() < 1 or sa.max() >= RC_MAX_SIZE):
                i = int(np.argmax((sa < 1) | (sa >= RC_MAX_SIZE)))
                raise ValueError(f"sizes must be in [1, 2**48), got sizes[{i}] = {sa[i]}")
            sv = sa
            if n:
                sp = &sv[0]
        if times is not None:
            tns = _seconds_column_ns(times, n, "times", False)
            tv = tns
            if n:
                tp = &tv[0]
        cdef bint ttl_now = False
        if ttls is not None:
            lns = _seconds_column_ns(ttls, n, "ttls", True)
            lv = lns
            if n:
                lp = &lv[0]
                ttl_now = bool(np.any((lns >= 0) & (lns != RC_NEVER)))
        out = np.zeros(n, dtype=np.bool_)
        cdef uint8_t[::1] ov = out.view(np.uint8)
        cdef int r = 0
        guard_enter_nogil(&self._g, self)
        try:
            if times is None and (self._ttl_used or ttl_now):    # the rule, under the guard
                raise TypeError(f"{self._name}.access_many: times= is required on a cache with TTLs "
                                f"(default_ttl or an entry's ttl): without the request times it "
                                f"cannot tell what has expired")
            self._set_mode(MODE_SIM)
            if ttl_now:
                self._ttl_used = True
            if n:
                with nogil:
                    r = rc_access_many(&self._c, &kv[0], n, sp, tp, lp, &ov[0])
        finally:
            guard_leave(&self._g)
        if r < 0:
            raise MemoryError(f"{self._name}: out of memory")
        return out

    # -- proxy API ------------------------------------------------------
    def put(self, key, value, *, size=1, ttl=None, now=None):
        """put(key, value, *, size=1, ttl=None, now=None)

        Store ``value`` under ``key`` (proxy mode), replacing any previous
        value and resetting its TTL. Counts neither a hit nor a miss.

        Parameters
        ----------
        key : str, bytes or int
        value : object
        size : int, default 1
            Bytes charged for the value (>= 1). Larger than the capacity: not
            stored (``too_large``) and any previous value is dropped.
        ttl : float, optional
            Seconds until expiry (None: ``default_ttl``; ``math.inf``: never).
        now : float, optional
            Current time in seconds; default: the latest time given.

        Returns
        -------
        bool
            Whether the value is now cached.
        """
        cdef uint64_t k
        cdef uint32_t s, old
        cdef int r
        cdef list pairs = None
        cdef object prev = None
        if self._mode == MODE_SIM:
            self._set_mode(MODE_PROXY)     # raises: a simulator stores no values
        nkey = _norm_key(key)
        k = key_hash_fast(nkey, "key")
        cdef int64_t sz = _size_arg(size, "size")
        cdef int64_t tt = RC_TTL_DEFAULT if ttl is None else _ttl_to_ns(ttl, "ttl", True)
        cdef int64_t t = self._time(now, "put", tt)
        # Storing allocates (the object lists), so the whole update owns the lock.
        guard_enter(&self._g, self)
        try:
            if t == INT64_MIN:
                t = self._latest("put", tt)
            self._set_mode(MODE_PROXY)
            if tt >= 0 and tt != RC_NEVER:
                self._ttl_used = True
            old = rc_find(&self._c, k)
            if old != RC_NIL and old < self._ocap \
                    and self._keys[old] is not None and not self._same_key(old, nkey):
                # a different key with the same 64-bit hash: it gives way
                self._c.evictions += 1
                rc_drop(&self._c, old)
            r = rc_access(&self._c, k, sz, t, tt, RC_OP_PUT, &s)
            if self._c.log_n:
                pairs = self._drain()
            if r < 0:
                raise MemoryError(f"{self._name}: out of memory")
            if s != RC_NIL:
                self._sync_objs()
                if self._keys[s] is None:
                    self._keys[s] = nkey
                else:
                    prev = self._vals[s]    # released below, once the cache is consistent
                self._vals[s] = value
        finally:
            guard_leave(&self._g)
        prev = None
        if pairs is not None:
            self._notify(pairs)
        return s != RC_NIL

    def get(self, key, default=None, *, now=None):
        """get(key, default=None, *, now=None)

        The cached value (a hit: promotes the entry; ``byte_hits`` grows by its
        stored size) or ``default`` (a miss; an expired entry is reclaimed and
        counted as ``expired``).
        """
        cdef uint64_t k
        cdef uint32_t s, found
        cdef int64_t t
        cdef int r
        cdef list pairs = None
        if self._mode == MODE_SIM:
            self._set_mode(MODE_PROXY)     # raises: a simulator stores no values
        nkey = _norm_key(key)   # exact str/bytes/int: comparing runs no Python code
        k = key_hash_fast(nkey, "key")
        t = self._time(now, "get", RC_TTL_DEFAULT)
        if self._mode != MODE_PROXY:
            self._proxy_mode()
        # From here to the value read nothing allocates or runs Python code.
        guard_check(&self._g, self)
        if t == INT64_MIN:
            t = self._latest("get", RC_TTL_DEFAULT)
        found = rc_find(&self._c, k)
        if found != RC_NIL and not self._same_key(found, nkey):
            found = RC_NIL                  # a different key with the same 64-bit hash
        r = rc_get_at(&self._c, found, t, &s)
        if r < 0:
            raise MemoryError(f"{self._name}: out of memory")
        if s != RC_NIL:
            return self._vals[s]
        if self._c.log_n:                   # an expired entry was reclaimed
            guard_enter(&self._g, self)     # still IDLE: owns it without releasing the GIL
            try:
                pairs = self._drain()
            finally:
                guard_leave(&self._g)
            self._notify(pairs)
        return default

    def peek(self, key, default=None, *, now=None):
        """peek(key, default=None, *, now=None)

        The cached value or ``default``, without promoting, counting or
        reclaiming anything.
        """
        cdef uint32_t s = self._find_guarded(key, now, "peek")   # IDLE, no Python code since
        if s == RC_NIL:
            return default
        return self._vals[s]

    def pop(self, key, default=_MISSING, *, now=None):
        """pop(key[, default], *, now=None)

        Remove ``key`` and return its value; ``default`` (or KeyError) when
        absent or expired. No eviction callback, no hit/miss counted.
        """
        cdef uint32_t s = self._find_guarded(key, now, "pop")   # IDLE, no Python code since
        if s == RC_NIL:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = self._vals[s]           # the locals keep both alive: no finalizer runs here
        kobj = self._keys[s]
        self._keys[s] = None
        self._vals[s] = None
        rc_remove(&self._c, s)
        del kobj
        return value

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key, value):
        self.put(key, value)

    def __delitem__(self, key):
        self.pop(key)

    def __contains__(self, key):
        """Resident (and, on a cache with TTLs, raises TypeError: use
        ``peek(key, now=...)``); no side effects."""
        nkey = _norm_key(key)
        cdef uint64_t k = key_hash(nkey, True, "key")
        self._time(None, "__contains__", RC_TTL_DEFAULT)
        guard_check(&self._g, self)
        cdef int64_t t = self._latest("__contains__", RC_TTL_DEFAULT)
        if self._mode == MODE_PROXY:
            return self._find_exact(nkey, k, t) != RC_NIL
        return rc_peek(&self._c, k, t) != RC_NIL

    def __len__(self):
        """Resident entries; on a cache with TTLs, expired ones count until
        they are reclaimed (by a request for them, or :meth:`expire`)."""
        guard_check(&self._g, self)
        return self._c.n

    def popitem(self, *, now=None):
        """popitem(*, now=None)

        Remove and return the ``(key, value)`` pair the policy would evict
        next (LRU: the least recently used; SIEVE: the first unvisited entry
        from the hand; S3-FIFO: its next victim), as cachetools' ``popitem``.
        On a cache with TTLs ``now`` is required and the entries expired at
        ``now`` are reclaimed first (:meth:`expire`), so an expired value is
        never returned. KeyError when empty. No ``on_evict`` callback and not
        counted in ``evictions`` (the caller removed it); values are None in
        simulator mode.
        """
        cdef uint32_t s
        cdef int64_t n0, ev0
        cdef int lo
        cdef int64_t t = self._time(now, "popitem", RC_TTL_DEFAULT)
        guard_enter(&self._g, self)
        try:
            if self._ttl_used:          # under the guard: no expired value is ever returned
                self._expire_locked(self._latest("popitem", RC_TTL_DEFAULT) if t == INT64_MIN else t)
            if self._c.n == 0:
                raise KeyError("popitem(): cache is empty")
            n0, ev0, lo = self._c.n, self._c.evictions, self._c.log_on
            self._c.log_n = 0
            self._c.log_on = 1          # to learn the victim's slot, in either mode
            try:
                while self._c.n == n0:  # an S3-FIFO step may only move entries to main
                    if rc_evict_one_p(&self._c, self._c.policy) != 0:
                        raise MemoryError(f"{self._name}: out of memory")
            finally:
                self._c.evictions = ev0
                self._c.log_on = lo
            if self._mode == MODE_PROXY:
                pairs = self._drain()
                return pairs[0]
            s = self._c.log[0]
            self._c.log_n = 0
            return (self._c.e[s].key, None)
        finally:
            guard_leave(&self._g)

    def setdefault(self, key, default=None, *, size=1, ttl=None, now=None):
        """setdefault(key, default=None, *, size=1, ttl=None, now=None)

        The cached value of ``key`` (a counted hit), else ``put(key, default)``
        and return ``default`` (a counted miss), as ``dict.setdefault``.
        """
        value = self.get(key, _MISSING, now=now)
        if value is not _MISSING:
            return value
        self.put(key, default, size=size, ttl=ttl, now=now)
        return default

    def update(self, other=(), /, **kwargs):
        """update([other], **kwargs)

        ``put(key, value)`` (size 1, default TTL) for each pair of a mapping,
        an iterable of pairs, and the keyword arguments, as ``dict.update``.
        """
        if hasattr(other, "keys"):
            for k in other.keys():
                self.put(k, other[k])
        else:
            for k, v in other:
                self.put(k, v)
        for k, v in kwargs.items():
            self.put(k, v)

    cdef list _resident(self, bint pairs, object now, str method):
        # Resident, unexpired keys (or (key, value) pairs), newest first: key
        # objects in proxy mode, uint64 ints otherwise; values are None in
        # simulator mode. On a cache with TTLs `now` is required (the rule).
        # The walk allocates, so it owns the lock (a batch cannot start midway).
        cdef int64_t t = self._time(now, method, RC_TTL_DEFAULT)
        cdef bint timed
        cdef list out = []
        cdef uint32_t s
        cdef int q
        cdef bint proxy
        guard_enter(&self._g, self)
        try:
            if t == INT64_MIN:
                t = self._latest(method, RC_TTL_DEFAULT)
            timed = self._ttl_used
            for q in (Q_MAIN, Q_SMALL):
                s = self._c.head[q]
                while s != RC_NIL:
                    if not (timed and t >= self._c.e[s].expire):
                        proxy = self._mode == MODE_PROXY and s < self._ocap and self._keys[s] is not None
                        k = self._keys[s] if proxy else self._c.e[s].key
                        out.append((k, self._vals[s] if proxy else None) if pairs else k)
                    s = self._c.e[s].next
        finally:
            guard_leave(&self._g)
        return out

    def __iter__(self):
        """Resident keys, newest first (key objects in proxy mode, uint64 ints
        otherwise); TypeError on a cache with TTLs (use ``keys(now=...)``)."""
        return iter(self._resident(False, None, "__iter__"))

    def keys(self, *, now=None):
        """keys(*, now=None)

        List of resident keys, newest first; on a cache with TTLs ``now`` is
        required and the entries expired at ``now`` are left out."""
        return self._resident(False, now, "keys")

    def items(self, *, now=None):
        """items(*, now=None)

        List of resident ``(key, value)`` pairs, newest first (values are None
        in simulator mode); expired entries left out as in :meth:`keys`."""
        return self._resident(True, now, "items")

    def values(self, *, now=None):
        """values(*, now=None)

        List of resident values, newest first; expired ones left out as in :meth:`keys`."""
        return [v for _, v in self._resident(True, now, "values")]

    def expire(self, now):
        """expire(now)

        Reclaim every entry expired at ``now`` (counted in ``expired``) and
        return their ``(key, value)`` pairs, oldest first (values None in
        simulator mode). No ``on_evict`` callback: the caller has them. Until
        then an expired entry still counts in ``len()`` and ``stats.entries``.
        """
        if now is None:
            raise TypeError(f"{type(self).__name__}.expire: now is required")
        cdef int64_t t = self._now(now)
        guard_enter(&self._g, self)
        try:
            return self._expire_locked(t)
        finally:
            guard_leave(&self._g)

    cdef list _expire_locked(self, int64_t t):
        # expire() for a caller that owns the guard (expire, popitem).
        cdef uint32_t s, nxt
        cdef int q
        cdef int lo = self._c.log_on
        cdef list out = []
        try:
            for q in (Q_SMALL, Q_MAIN):
                s = self._c.tail[q]
                while s != RC_NIL:
                    nxt = self._c.e[s].prev
                    if t >= self._c.e[s].expire:
                        self._c.log_n = 0
                        self._c.log_on = 1
                        if rc_drop(&self._c, s) != 0:
                            raise MemoryError(f"{self._name}: out of memory")
                        self._c.log_on = lo
                        self._c.expired += 1
                        if self._mode == MODE_PROXY:
                            out += self._drain()
                        else:
                            out.append((self._c.e[s].key, None))
                            self._c.log_n = 0
                    s = nxt
        finally:
            self._c.log_on = lo
        return out

    def clear(self):
        """Drop every entry (no eviction callbacks); stats are kept."""
        guard_enter(&self._g, self)
        try:
            new_keys = [None] * self._ocap
            new_vals = [None] * self._ocap
            rc_clear(&self._c)
            old_keys, old_vals = self._keys, self._vals
            self._keys, self._vals = new_keys, new_vals
        finally:
            guard_leave(&self._g)
        del old_keys, old_vals          # values are released once the cache is consistent

    # -- stats ----------------------------------------------------------
    @property
    def stats(self):
        """A :class:`CacheStats` snapshot (consistent: never half of a batch)."""
        cdef rc_cache c
        guard_check(&self._g, self)
        c = self._c                     # copied before anything allocates
        req = c.hits + c.misses
        bh = (<object>c.byte_hits_hi << 64) | c.byte_hits
        bm = (<object>c.byte_misses_hi << 64) | c.byte_misses
        breq = bh + bm
        return CacheStats(hits=c.hits, misses=c.misses, byte_hits=bh,
                          byte_misses=bm, evictions=c.evictions, expired=c.expired,
                          too_large=c.too_large, entries=c.n, bytes=c.bytes,
                          hit_ratio=c.hits / req if req else 0.0,
                          byte_hit_ratio=bh / breq if breq else 0.0)

    def reset_stats(self):
        """Zero the request counters (entries/bytes are the contents, kept)."""
        cdef rc_cache *c = &self._c
        guard_check(&self._g, self)
        c.hits = c.misses = 0
        c.byte_hits = c.byte_hits_hi = c.byte_misses = c.byte_misses_hi = 0
        c.evictions = c.expired = c.too_large = 0

    def _check(self):
        """Verify the engine's invariants (testing aid; raises AssertionError).

        Queues, index, free list and S3-FIFO ghost agree; counts and bytes add
        up and are within the bounds; in proxy mode a key object is held for
        exactly the resident slots."""
        cdef const char *err
        cdef uint32_t s, n_obj = 0, n_res = 0
        guard_enter(&self._g, self)
        try:
            err = rc_check(&self._c)
            if err != NULL:
                raise AssertionError(f"{self._name}: {err.decode()}")
            if self._mode == MODE_PROXY:
                if self._ocap < self._c.n_used:
                    raise AssertionError(f"{self._name}: object lists shorter than the slots in use")
                for s in range(self._ocap):
                    resident = s < self._c.n_used and self._c.e[s].q != Q_FREE
                    if (self._keys[s] is not None) != resident:
                        raise AssertionError(f"{self._name}: slot {s} key object disagrees with the engine")
                    if self._keys[s] is not None and key_hash(self._keys[s], True, "key") != self._c.e[s].key:
                        raise AssertionError(f"{self._name}: slot {s} key object has another hash")
        finally:
            guard_leave(&self._g)

    @property
    def capacity_bytes(self):
        """Byte bound, or None."""
        guard_check(&self._g, self)
        return None if self._c.cap_bytes == INT64_MAX else self._c.cap_bytes

    @property
    def max_entries(self):
        """Entry bound, or None."""
        guard_check(&self._g, self)
        return None if self._c.max_entries == INT64_MAX else self._c.max_entries

    @property
    def default_ttl(self):
        """Default TTL in seconds, or None."""
        guard_check(&self._g, self)
        return None if self._c.default_ttl == RC_NEVER else self._c.default_ttl / 1e9

    @property
    def currsize(self):
        """Resident bytes (cachetools' name)."""
        guard_check(&self._g, self)
        return self._c.bytes

    @property
    def maxsize(self):
        """The bound (cachetools' name): ``capacity_bytes`` when set, else
        ``max_entries``."""
        return self.capacity_bytes if self.capacity_bytes is not None else self.max_entries

    @property
    def mode(self):
        """'unset', 'simulator' or 'proxy'."""
        return ("unset", "simulator", "proxy")[self._mode]

    def _queue_of(self, key):
        """Testing aid: 'main', 'small', 'ghost' or None for a key's slot."""
        cdef uint64_t k = key_hash(key, True, "key")
        guard_check(&self._g, self)
        cdef uint32_t s = rc_find(&self._c, k)
        if s == RC_NIL:
            return "ghost" if rc_ghost_contains(&self._c, k) else None
        return "main" if self._c.e[s].q == Q_MAIN else "small"

    def _hand(self):
        """Testing aid: the key under the SIEVE hand, or None (start at the tail)."""
        guard_check(&self._g, self)
        if self._c.hand == RC_NIL:
            return None
        return self._c.e[self._c.hand].key

    def memory_bytes(self):
        """Bytes of C memory held by the engine (slot pool, index, S3-FIFO ghost
        ring and live bitmap, removal log) + the proxy object arrays."""
        guard_check(&self._g, self)
        cdef uint64_t m = rc_memory(&self._c) + self._ocap * 2 * sizeof(PyObject *)
        return m

    def __repr__(self):
        cdef int64_t n, b
        if self._g.state == 0:
            return f"<{type(self).__name__} (not initialised)>"
        guard_check(&self._g, self)
        n, b = self._c.n, self._c.bytes
        return (f"{self._name}(capacity_bytes={self.capacity_bytes}, max_entries={self.max_entries}, "
                f"entries={n}, bytes={b})")


cdef object _seconds_column_ns(object a, Py_ssize_t n, str argname, bint is_ttl):
    # float seconds -> int64 ns with the per-call rounding (llround). TTLs:
    # NaN -> RC_TTL_DEFAULT, inf (or >= ~285 years) -> RC_NEVER, < 0 rejected.
    arr = float_column(a, n, argname, "keys")
    out = np.empty(n, dtype=np.int64)
    cdef const double[::1] x = arr
    cdef int64_t[::1] o = out
    cdef Py_ssize_t i, bad = -1
    cdef double d
    with nogil:
        for i in range(n):
            d = x[i]
            if is_ttl:
                if isnan(d):
                    o[i] = RC_TTL_DEFAULT
                elif d < 0:
                    bad = i
                    break
                elif d * 1e9 >= 9.0e18:
                    o[i] = RC_NEVER
                else:
                    o[i] = llround(d * 1e9)
            else:
                if not isfinite(d) or d * 1e9 >= 9.0e18 or d * 1e9 <= -9.0e18:
                    bad = i
                    break
                o[i] = llround(d * 1e9)
    if bad >= 0:
        if is_ttl:
            raise ValueError(f"{argname} must be >= 0 seconds (NaN = default_ttl, inf = never), "
                             f"got {argname}[{bad}] = {arr[bad]}")
        raise ValueError(f"{argname} must be finite seconds within ~285 years, "
                         f"got {argname}[{bad}] = {arr[bad]}")
    return out


@cython.final
@cython.no_gc_clear
cdef class LRUCache(_Cache):
    """LRUCache(*, capacity_bytes=None, max_entries=None, default_ttl=None, on_evict=None, resize_on_hit=True)

    Least-recently-used cache under a byte and/or entry bound, with TTLs and
    stats. Hit/miss decisions equal ``cachetools.LRUCache`` (``maxsize`` =
    bound, ``getsizeof`` = size), request by request, including a size change
    on a hit (the entry is promoted, then the least recent others are evicted
    until it fits). One deliberate difference: where cachetools raises
    ``ValueError("value too large")`` and keeps the old value, an object above
    the capacity is not admitted, any resident copy is dropped (a stale value
    is never served) and ``too_large`` is counted. ``resize_on_hit=False``
    makes a simulator hit keep the stored size instead (libCacheSim's rule;
    ``runiso cache sim`` uses it). Thread-safe (per-object lock).
    """

    def __init__(self, *, capacity_bytes=None, max_entries=None, default_ttl=None, on_evict=None,
                 resize_on_hit=True):
        self._setup(RC_LRU, capacity_bytes, max_entries, default_ttl, on_evict, 0, 0.0, 0.0,
                    resize_on_hit)


@cython.final
@cython.no_gc_clear
cdef class SieveCache(_Cache):
    """SieveCache(*, capacity_bytes=None, max_entries=None, default_ttl=None, on_evict=None, resize_on_hit=True)

    SIEVE (Zhang et al., NSDI'24): a FIFO queue with a visited bit per entry
    and a hand that walks from the oldest entry toward the newest, clearing
    visited bits and evicting the first unvisited entry.
    """

    def __init__(self, *, capacity_bytes=None, max_entries=None, default_ttl=None, on_evict=None,
                 resize_on_hit=True):
        self._setup(RC_SIEVE, capacity_bytes, max_entries, default_ttl, on_evict, 0, 0.0, 0.0,
                    resize_on_hit)


@cython.final
@cython.no_gc_clear
cdef class S3FIFOCache(_Cache):
    """S3FIFOCache(*, capacity_bytes=None, max_entries=None, default_ttl=None, on_evict=None, small_ratio=0.1, ghost_ratio=0.9, move_to_main_threshold=2, resize_on_hit=True)

    S3-FIFO (Yang et al., SOSP'23), as libCacheSim's S3FIFO.c: a small FIFO
    (``small_ratio`` of the capacity) filters one-hit wonders, a main FIFO with
    a 2-bit clock (frequency capped at 3, decremented on reinsertion) keeps the
    rest, and a ghost FIFO of keys (``ghost_ratio`` of the capacity) sends
    returning keys straight to main. When the small queue evicts, an object hit
    at least ``move_to_main_threshold`` times while in it moves to main (2:
    libCacheSim's default; 1 is the paper's "accessed at least once"), others
    go to the ghost. Before the first eviction a full small queue sends new
    objects to main; only objects smaller than the small queue are admitted
    (libCacheSim's rules, so miss ratios match it exactly).
    """

    def __init__(self, *, capacity_bytes=None, max_entries=None, default_ttl=None, on_evict=None,
                 small_ratio=0.1, ghost_ratio=0.9, move_to_main_threshold=2, resize_on_hit=True):
        if isinstance(small_ratio, bool) or not isinstance(small_ratio, (int, float)) \
                or not (0.0 < small_ratio < 1.0):
            raise ValueError(f"small_ratio must be in (0, 1), got {small_ratio!r}")
        if isinstance(ghost_ratio, bool) or not isinstance(ghost_ratio, (int, float)) \
                or not (0.0 <= ghost_ratio <= 4.0):
            raise ValueError(f"ghost_ratio must be in [0, 4], got {ghost_ratio!r}")
        if isinstance(move_to_main_threshold, bool) or not isinstance(move_to_main_threshold, int) \
                or not (1 <= move_to_main_threshold <= 3):
            raise ValueError(f"move_to_main_threshold must be 1, 2 or 3, got {move_to_main_threshold!r}")
        self._setup(RC_S3FIFO, capacity_bytes, max_entries, default_ttl, on_evict,
                    move_to_main_threshold, small_ratio, ghost_ratio, resize_on_hit)


# Mapping protocol: the proxy caches stand where cachetools caches stood
# (isinstance(c, MutableMapping) is True); see README for what differs.
from collections.abc import MutableMapping as _MutableMapping

_MutableMapping.register(LRUCache)
_MutableMapping.register(SieveCache)
_MutableMapping.register(S3FIFOCache)
