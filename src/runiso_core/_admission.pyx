# cython: language_level=3
"""Admission control: exact token buckets, keyed buckets, session-aware shedding.

Exact arithmetic
----------------
Times are converted once to int64 nanoseconds (rounded to nearest). Tokens are
int64 *nano-tokens* (1 token = 1e9), the rate is quantised once to an integer
number of nano-tokens per second, and a refill over ``el`` ns mints
``(el * rate + carry) // 1e9`` nano-tokens with the remainder carried to the
next refill (128-bit product, elapsed time capped at the time to refill the
burst, so nothing overflows). Refilling in many small steps therefore mints
exactly what one big step would, and every decision equals the continuous
model ``tokens(t) = min(burst, tokens(t0) + rate * (t - t0))`` evaluated in
exact rationals (for the quantised rate and ns times): over any interval T a
bucket grants at most ``burst + rate * T`` tokens, and a client that asks
continuously gets exactly that (to one token; as in any token bucket, tokens
that arrive while the bucket is full are lost). Time going backwards mints nothing and never raises: the
bucket keeps the largest time it has seen.

Thread safety
-------------
The objects are mutable and follow the project's one lock protocol
(``_guard.pxd``): every argument is converted first; per-call methods then run
under the GIL without running Python code; batch methods hold the object's
lock while they run without the GIL, and every other call waits for them, so
calls on one object never interleave and readers see whole batches. A call
back into an object from the thread inside it raises RuntimeError. Requires a
GIL build of CPython.
"""
cimport cython
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.ref cimport PyObject
from libc.stdint cimport uint64_t, int64_t, uint32_t, uint8_t
from libc.string cimport memset

from runiso_core._hashing cimport key_array, key_hash_fast, table_salt
from runiso_core._guard cimport (guard_init, guard_ready, guard_free, guard_check,
                                 guard_enter, guard_enter_nogil, guard_leave)
from runiso_core._columns cimport float_column, int_column, flag_column, flag_value

import enum
import math

import numpy as np

cdef extern from "Python.h":
    bint PyFloat_CheckExact(object o)
    double PyFloat_AS_DOUBLE(object o)
    bint PyLong_CheckExact(object o)
    bint PyBool_Check(object o)
    unsigned long long PyLong_AsUnsignedLongLong(object o)
    long long PyLong_AsLongLong(object o)
    PyObject *PyErr_Occurred()
    void PyErr_Clear()


class Decision(enum.IntEnum):
    """What :meth:`SessionGate.decide` did with a request (uint8 codes in arrays).

    Codes below ``SHED_NEW`` are admissions: ``int(d) < Decision.SHED_NEW``.
    """
    ADMITTED_ACTIVE = 0     #: session already admitted and not idle: always served
    ADMITTED_NEW = 1        #: new session: took a token and an active slot
    ADMITTED_PRIORITY = 2   #: priority request: served, session becomes active even above the cap
    SHED_NEW = 3            #: new visitor over the rate or the cap: send to the overflow pool
    SHED_STICKY = 4         #: visitor already shed within shed_ttl


cdef tuple _DECISIONS = tuple(Decision)

# Largest accepted time: RN_T_MAX ns, as seconds * 1e9 (2**62 is exact in a double).
cdef double _T_LIMIT = <double>RN_T_MAX
cdef double _MAX_RATE = 1e9    # tokens per second (nano-tokens/s must fit comfortably in int64)
cdef double _MAX_BURST = 1e9   # tokens
_EMPTY_I64 = np.zeros(1, dtype=np.int64)


# ---------------------------------------------------------------- validation
cdef double _real(object x, str name) except? -1.0:
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r:.80}")
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r:.80}") from None


cdef int64_t _rate_q(object rate, str name) except -1:
    cdef double r = _real(rate, name)
    if not (r > 0.0 and r <= _MAX_RATE):
        raise ValueError(f"{name} must be a finite number of tokens per second in (0, 1e9], got {rate!r}")
    cdef double q = math.floor(r * 1e9 + 0.5)
    if q < 1.0:
        raise ValueError(f"{name}={rate!r} is below the resolution of 1e-9 tokens per second")
    return <int64_t>q


cdef int64_t _burst_q(object burst, str name) except -1:
    cdef double b = _real(burst, name)
    if not (b >= 1.0 and b <= _MAX_BURST):
        raise ValueError(f"{name} must be a finite number of tokens in [1, 1e9], got {burst!r}")
    return <int64_t>math.floor(b * 1e9 + 0.5)


cdef int64_t _seconds_ns(object x, str name, bint allow_zero) except -1:
    cdef double s = _real(x, name)
    if not (s >= 0.0 and s * 1e9 < _T_LIMIT) or (not allow_zero and s == 0.0):
        lo = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number of seconds {lo}, got {x!r}")
    return rn_sec_to_ns(s)


cdef Py_ssize_t _count(object x, str name, Py_ssize_t lo, Py_ssize_t hi) except -1:
    if isinstance(x, bool) or not hasattr(x, "__index__"):
        raise TypeError(f"{name} must be an int, got {type(x).__name__} {x!r:.80}")
    v = x.__index__()
    if v < lo or v > hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


cdef int64_t _bad_time(object now, str name) except -1:
    # slow path of _now_ns: the reason why a time was refused
    if isinstance(now, bool) or not isinstance(now, (int, float)) and not hasattr(now, "__float__"):
        raise TypeError(f"{name} must be a time in seconds (float), got {type(now).__name__} {now!r:.80}")
    s = float(now)
    if s >= 0.0 and s * 1e9 < _T_LIMIT:
        return rn_sec_to_ns(s)
    raise ValueError(f"{name} must be a finite time in seconds in [0, 4.6e9), got {now!r}")


cdef inline int64_t _now_ns(object now) except -1:
    cdef double s
    if PyFloat_CheckExact(now):
        s = PyFloat_AS_DOUBLE(now)
        if s >= 0.0 and s * 1e9 < _T_LIMIT:
            return rn_sec_to_ns(s)
    return _bad_time(now, "now")


cdef int64_t _bad_n(object n, int64_t cap) except -1:
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"n must be an int number of tokens, got {type(n).__name__} {n!r:.80}")
    v = n.__index__()
    if v < 1:
        raise ValueError(f"n must be >= 1, got {v}")
    if v * RN_NS > cap:
        raise ValueError(f"n={v} is more than the burst ({cap / 1e9:g} tokens): it can never succeed")
    return <int64_t>v * RN_NS


cdef inline int64_t _need(object n, int64_t cap) except -1:
    cdef long long v
    if PyLong_CheckExact(n):
        v = PyLong_AsLongLong(n)
        if v >= 1 and v <= cap // RN_NS:
            return v * RN_NS
        if v == -1 and PyErr_Occurred() != NULL:
            PyErr_Clear()
    return _bad_n(n, cap)


cdef object _times_checked(object times, Py_ssize_t n, str name, str keys_name):
    """A validated private float64 copy of n times (seconds); cores convert to ns inline.
    n < 0: the times define the batch."""
    arr = float_column(times, n, name, keys_name)
    n = arr.shape[0]
    cdef const double[::1] tv = arr
    cdef Py_ssize_t i, bad = -1
    cdef double x
    with nogil:
        for i in range(n):
            x = tv[i]
            if not (x >= 0.0 and x * 1e9 < _T_LIMIT):
                bad = i
                break
    if bad >= 0:
        raise ValueError(f"{name}[{bad}] must be a finite time in seconds in [0, 4.6e9), got {tv[bad]!r}")
    return arr


cdef object _needs(object n, Py_ssize_t count, int64_t cap, str ref):
    """None / int / int array -> (scalar need, None) or (0, int64 need array)."""
    if n is None:
        return RN_NS, None
    if np.ndim(n) == 0:                 # one n for every request, as try_acquire takes it
        return _need(n, cap), None
    arr = int_column(n, count, "n", ref)
    if count:
        lo, hi = int(arr.min()), int(arr.max())   # Python ints: hi * 1e9 must not wrap in int64
        if lo < 1:
            raise ValueError(f"n[{int(np.argmin(arr))}] must be >= 1, got {lo}")
        if hi * RN_NS > cap:
            raise ValueError(f"n[{int(np.argmax(arr))}]={hi} is more than the burst "
                             f"({cap / 1e9:g} tokens): it can never succeed")
    return 0, arr * RN_NS


cdef object _flags(object priority, Py_ssize_t n):
    # decide()'s rule (flag_value) for one value for all, or per request.
    if priority is None:
        return np.zeros(n, dtype=np.uint8)
    if np.ndim(priority) == 0:
        return np.full(n, flag_value(priority, "priority"), dtype=np.uint8)
    return flag_column(priority, n, "priority", "session_keys")


cdef int _check_table(const rn_keytable *t, const rn_list **lists, int nlists, str name) except -1:
    # _check() of the keyed tables: rn_kt_check with a scratch mark per entry.
    cdef unsigned char *mark = <unsigned char *>PyMem_Malloc(t.cap if t.cap else 1)
    if mark == NULL:
        raise MemoryError()
    cdef const char *err = rn_kt_check(t, lists, nlists, mark)
    PyMem_Free(mark)
    if err != NULL:
        raise AssertionError(f"{name}: {err.decode()}")
    return 0


# ---------------------------------------------------------------- TokenBucket
@cython.final
cdef class TokenBucket:
    """One exact token bucket.

    Parameters
    ----------
    rate : float
        Tokens per second, in (0, 1e9]; quantised once to an integer number of
        nano-tokens per second.
    burst : float
        Capacity in tokens, in [1, 1e9].
    initial : float, optional
        Tokens at the first call (default: full). The bucket's clock starts at
        the first time it is given.

    Notes
    -----
    Integer arithmetic throughout (see the module docstring): over any
    interval T at most ``burst + rate * T`` tokens are granted. Time going
    backwards is treated as no time elapsed. Mutable; safe to share between
    threads (per-object lock).
    """

    def __cinit__(self, rate, burst, *, initial=None):
        guard_init(&self._g)
        rn_tb_params_init(&self.p, _rate_q(rate, "rate"), _burst_q(burst, "burst"))
        self.rate = float(rate)
        self.burst = float(burst)
        cdef int64_t start = self.p.cap
        if initial is not None:
            v = _real(initial, "initial")
            if not (v >= 0.0 and v <= self.burst):
                raise ValueError(f"initial must be in [0, burst={burst!r}], got {initial!r}")
            start = min(<int64_t>math.floor(v * 1e9 + 0.5), self.p.cap)
        rn_tb_init(&self.b, start, RN_T_UNSET)
        guard_ready(&self._g)

    def __dealloc__(self):
        guard_free(&self._g)

    def try_acquire(self, now, n=1):
        """Take ``n`` tokens at time ``now`` (seconds) if available; return whether it did."""
        cdef int64_t t = _now_ns(now)
        cdef int64_t need = _need(n, self.p.cap)
        guard_check(&self._g, self)
        return rn_tb_try(&self.b, &self.p, t, need) != 0

    def tokens(self, now):
        """Tokens available at ``now`` (float; exact to 1e-9)."""
        cdef int64_t t = _now_ns(now)
        guard_check(&self._g, self)
        rn_tb_refill(&self.b, &self.p, t)
        return self.b.tokens / 1e9

    def time_until(self, now, n=1):
        """Seconds from ``now`` until ``n`` tokens are available (0.0 if they are): a Retry-After."""
        cdef int64_t t = _now_ns(now)
        cdef int64_t need = _need(n, self.p.cap)
        guard_check(&self._g, self)
        rn_tb_refill(&self.b, &self.p, t)
        return rn_tb_wait_ns(&self.b, &self.p, need) / 1e9

    def try_acquire_many(self, times, n=None):
        """Batch :meth:`try_acquire`: one request per time, in order. Returns a bool array."""
        tarr = _times_checked(times, -1, "times", "times")
        cdef Py_ssize_t count = tarr.shape[0]
        cdef int64_t need
        need, needs = _needs(n, count, self.p.cap, "times")
        cdef const double[::1] tv = tarr
        cdef const int64_t[::1] nv = needs if needs is not None else _EMPTY_I64
        cdef bint per = needs is not None
        out = np.empty(count, dtype=np.bool_)
        cdef uint8_t[::1] o = out.view(np.uint8)
        cdef Py_ssize_t i
        guard_enter_nogil(&self._g, self)
        try:
            with nogil:
                for i in range(count):
                    o[i] = <uint8_t>rn_tb_try(&self.b, &self.p, rn_sec_to_ns(tv[i]), nv[i] if per else need)
        finally:
            guard_leave(&self._g)
        return out

    def __repr__(self):
        return f"TokenBucket(rate={self.rate!r}, burst={self.burst!r})"


# ---------------------------------------------------------------- KeyedTokenBuckets
@cython.final
cdef class KeyedTokenBuckets:
    """One exact token bucket per key, in a bounded table.

    Parameters
    ----------
    rate : float
        Tokens per second of every bucket.
    burst : float
        Capacity of every bucket; an unknown key starts full.
    max_keys : int
        Bound on tracked keys (memory is allocated once for this many).

    Notes
    -----
    Keys are str/bytes (hashed with :func:`runiso_core.hash64`) or ints in
    [0, 2**64) taken as already hashed. When a new key arrives and the table
    is full, the first of the 8 least recently seen buckets that has refilled
    to full is reclaimed (a full bucket is the same as an absent one: no
    decision changes); if none is, the least recently seen key is evicted.
    Fairness consequence: an evicted client that comes back starts with a
    full bucket again, so with more active clients than ``max_keys`` a client
    can get more than its rate; size ``max_keys`` above the number of
    clients active within ``burst / rate`` seconds. Memory: 36 bytes per
    entry plus 4 bytes per index slot (``memory_bytes``).
    """

    def __cinit__(self, rate, burst, *, max_keys):
        guard_init(&self._g)
        rn_tb_params_init(&self.k.p, _rate_q(rate, "rate"), _burst_q(burst, "burst"))
        self.rate = float(rate)
        self.burst = float(burst)
        cdef Py_ssize_t cap = _count(max_keys, "max_keys", 1, 1 << 30)
        self.max_keys = cap
        cdef uint64_t slots = rn_kt_slots_for(cap)
        cdef uint32_t *s = <uint32_t *>PyMem_Malloc(slots * sizeof(uint32_t))
        cdef void *recs = PyMem_Malloc(cap * sizeof(rn_keyed_rec))
        if s == NULL or recs == NULL:
            PyMem_Free(s); PyMem_Free(recs)
            raise MemoryError()
        rn_kt_init(&self.k.t, s, slots, recs, sizeof(rn_keyed_rec), <uint32_t>cap, table_salt())
        rn_list_init(&self.k.lru)
        guard_ready(&self._g)

    def __dealloc__(self):
        PyMem_Free(self.k.t.slots)
        PyMem_Free(self.k.t.recs)
        guard_free(&self._g)

    def try_acquire(self, key, now, n=1):
        """Take ``n`` tokens from ``key``'s bucket at ``now`` (seconds) if available."""
        cdef uint64_t h = key_hash_fast(key, "key")
        cdef int64_t t = _now_ns(now)
        cdef int64_t need = _need(n, self.k.p.cap)
        guard_check(&self._g, self)
        return rn_keyed_acquire(&self.k, h, t, need) != 0

    def time_until(self, key, now, n=1):
        """Seconds from ``now`` until ``key`` has ``n`` tokens (0.0 if it has): a Retry-After.

        Read-only: an unknown key is not added and recency is not updated.
        """
        cdef uint64_t h = key_hash_fast(key, "key")
        cdef int64_t t = _now_ns(now)
        cdef int64_t need = _need(n, self.k.p.cap)
        guard_check(&self._g, self)
        return rn_keyed_wait_ns(&self.k, h, t, need) / 1e9

    def try_acquire_many(self, keys, times, n=None):
        """Batch :meth:`try_acquire` (nogil loop): request i is ``(keys[i], times[i], n or n[i])``.

        Returns a bool array, identical to calling :meth:`try_acquire` in order.
        """
        karr = key_array(keys, True, "keys")
        cdef Py_ssize_t count = karr.shape[0]
        tarr = _times_checked(times, count, "times", "keys")
        cdef int64_t need
        need, needs = _needs(n, count, self.k.p.cap, "keys")
        out = np.empty(count, dtype=np.bool_)
        if count == 0:
            return out
        cdef const uint64_t[::1] kv = karr
        cdef const double[::1] tv = tarr
        cdef const int64_t[::1] nv = needs if needs is not None else _EMPTY_I64
        cdef const int64_t *np_ = &nv[0] if needs is not None else NULL
        cdef uint8_t[::1] o = out.view(np.uint8)
        guard_enter_nogil(&self._g, self)
        try:
            with nogil:
                rn_keyed_acquire_many(&self.k, &kv[0], &tv[0], np_, need, <size_t>count, &o[0])
        finally:
            guard_leave(&self._g)
        return out

    def __len__(self):
        guard_check(&self._g, self)
        return self.k.t.count

    @property
    def stats(self):
        """Counters: ``acquired``, ``refused``, ``evicted`` (non-full buckets dropped, LRU)
        and ``reclaimed`` (full buckets dropped: no effect on decisions)."""
        cdef uint64_t a, r, e, c
        guard_check(&self._g, self)
        a, r, e, c = self.k.acquired, self.k.refused, self.k.evicted, self.k.reclaimed
        return {"acquired": a, "refused": r, "evicted": e, "reclaimed": c}

    def _check(self):
        """Verify the table's invariants (testing aid; raises AssertionError): the index,
        the free chain and the LRU list hold every entry once, with their links
        agreeing both ways."""
        cdef const rn_list *lists[1]
        lists[0] = &self.k.lru
        guard_enter(&self._g, self)
        try:
            _check_table(&self.k.t, lists, 1, "KeyedTokenBuckets")
        finally:
            guard_leave(&self._g)

    @property
    def memory_bytes(self):
        """Bytes of the table (allocated once): entries (36 B each) + index slots (4 B each)."""
        return <Py_ssize_t>(self.k.t.mask + 1) * sizeof(uint32_t) + self.max_keys * sizeof(rn_keyed_rec)

    def __repr__(self):
        return (f"KeyedTokenBuckets(rate={self.rate!r}, burst={self.burst!r}, "
                f"max_keys={self.max_keys}) with {self.k.t.count} keys")


# ---------------------------------------------------------------- SessionGate
@cython.final
cdef class SessionGate:
    """Session-level admission: admitted sessions keep being served; new visitors
    beyond the admitted rate or the active cap are shed (sent to an overflow pool).

    Parameters (keyword-only)
    -------------------------
    new_sessions_rate : float
        New sessions admitted per second (token bucket).
    new_sessions_burst : float
        Bucket capacity (>= 1).
    max_active_sessions : int
        Cap on active sessions for ADMITTED_NEW (priority promotions may exceed it).
    idle_timeout : float
        Seconds: a session is active while each request comes within this of its last one.
    shed_ttl : float
        Seconds a shed visitor stays shed (SHED_STICKY) before it is decided afresh.
    max_tracked : int
        Bound on the session table (>= max_active_sessions).

    Notes
    -----
    The gate keeps one clock, the largest time seen: an earlier ``now`` is
    taken as that time. Idle sessions and expired shed entries are dropped
    lazily from the tails of two recency lists (amortised O(1)). When a new
    visitor needs an entry and the table is full, the oldest shed entry is
    dropped (that visitor will be decided afresh). If every entry is an
    active session, the visitor is decided without being tracked
    (``stats['untracked']``): a non-priority visitor is then necessarily
    over the cap and gets SHED_NEW (not sticky); a priority one is served
    (ADMITTED_PRIORITY) but not remembered, so its later non-priority
    requests are decided as new. Size ``max_tracked`` above
    ``max_active_sessions`` plus the expected priority promotions.
    Mutable; safe to share between threads (per-object lock).
    """

    def __cinit__(self, *, new_sessions_rate, new_sessions_burst, max_active_sessions,
                  idle_timeout, shed_ttl, max_tracked):
        guard_init(&self._g)
        rn_tb_params_init(&self.g.bp, _rate_q(new_sessions_rate, "new_sessions_rate"),
                          _burst_q(new_sessions_burst, "new_sessions_burst"))
        rn_tb_init(&self.g.bucket, self.g.bp.cap, RN_T_UNSET)
        self.new_sessions_rate = float(new_sessions_rate)
        self.new_sessions_burst = float(new_sessions_burst)
        cdef Py_ssize_t ma = _count(max_active_sessions, "max_active_sessions", 1, 1 << 30)
        cdef Py_ssize_t cap = _count(max_tracked, "max_tracked", 1, 1 << 30)
        if cap < ma:
            raise ValueError(f"max_tracked ({cap}) must be >= max_active_sessions ({ma})")
        self.g.idle_ns = _seconds_ns(idle_timeout, "idle_timeout", False)
        self.g.shed_ns = _seconds_ns(shed_ttl, "shed_ttl", True)
        self.idle_timeout = float(idle_timeout)
        self.shed_ttl = float(shed_ttl)
        self.max_active_sessions = ma
        self.max_tracked = cap
        self.g.max_active = <uint32_t>ma
        self.g.now = 0
        cdef uint64_t slots = rn_kt_slots_for(cap)
        cdef uint32_t *s = <uint32_t *>PyMem_Malloc(slots * sizeof(uint32_t))
        cdef void *recs = PyMem_Malloc(cap * sizeof(rn_gate_rec))
        if s == NULL or recs == NULL:
            PyMem_Free(s); PyMem_Free(recs)
            raise MemoryError()
        rn_kt_init(&self.g.t, s, slots, recs, sizeof(rn_gate_rec), <uint32_t>cap, table_salt())
        rn_list_init(&self.g.active)
        rn_list_init(&self.g.shed)
        guard_ready(&self._g)

    def __dealloc__(self):
        PyMem_Free(self.g.t.slots)
        PyMem_Free(self.g.t.recs)
        guard_free(&self._g)

    def decide(self, session_key, now, *, priority=False):
        """Decide one request of ``session_key`` at ``now`` (seconds). Returns a :class:`Decision`."""
        cdef uint64_t h = key_hash_fast(session_key, "session_key")
        cdef int64_t t = _now_ns(now)
        cdef int p = flag_value(priority, "priority")
        guard_check(&self._g, self)
        return <object>PyTuple_GET_ITEM(_DECISIONS, rn_gate_decide(&self.g, h, t, p))

    def decide_many(self, session_keys, times, priority=None):
        """Batch :meth:`decide` (nogil loop). ``priority``: None, a bool, or an array of bools (or 0/1).

        Returns a uint8 array of :class:`Decision` codes, identical to calling
        :meth:`decide` in order.
        """
        karr = key_array(session_keys, True, "session_keys")
        cdef Py_ssize_t count = karr.shape[0]
        tarr = _times_checked(times, count, "times", "session_keys")
        parr = _flags(priority, count)
        out = np.empty(count, dtype=np.uint8)
        if count == 0:
            return out
        cdef const uint64_t[::1] kv = karr
        cdef const double[::1] tv = tarr
        cdef const uint8_t[::1] pv = parr
        cdef uint8_t[::1] o = out
        guard_enter_nogil(&self._g, self)
        try:
            with nogil:
                rn_gate_decide_many(&self.g, &kv[0], &tv[0], &pv[0], <size_t>count, &o[0])
        finally:
            guard_leave(&self._g)
        return out

    def active_sessions(self, now):
        """Active sessions at ``now`` (expires idle ones first; advances the gate clock)."""
        cdef int64_t t = _now_ns(now)
        guard_check(&self._g, self)
        rn_gate_advance(&self.g, t)
        return self.g.active.size

    def __len__(self):
        guard_check(&self._g, self)
        return self.g.t.count

    @property
    def stats(self):
        """Counters: one per :class:`Decision` (lower-case name), plus ``expired`` (sessions
        ended by idle timeout), ``unstuck`` (shed entries past shed_ttl), ``evicted_shed``
        (shed entries dropped early for room) and ``untracked`` (decisions taken with a
        table full of active sessions)."""
        cdef rn_gate g
        guard_check(&self._g, self)
        g = self.g                      # copied before anything allocates: one consistent snapshot
        d = {m.name.lower(): g.counts[<int>m] for m in Decision}
        d.update(expired=g.expired, unstuck=g.unstuck,
                 evicted_shed=g.evicted_shed, untracked=g.untracked)
        return d

    def _check(self):
        """Verify the table's invariants (testing aid; raises AssertionError): the index,
        the free chain and the active + shed lists hold every entry once, with
        their links agreeing both ways."""
        cdef const rn_list *lists[2]
        lists[0] = &self.g.active
        lists[1] = &self.g.shed
        guard_enter(&self._g, self)
        try:
            _check_table(&self.g.t, lists, 2, "SessionGate")
        finally:
            guard_leave(&self._g)

    @property
    def memory_bytes(self):
        """Bytes of the table (allocated once): entries (32 B each) + index slots (4 B each)."""
        return <Py_ssize_t>(self.g.t.mask + 1) * sizeof(uint32_t) + self.max_tracked * sizeof(rn_gate_rec)

    def __repr__(self):
        return (f"SessionGate(new_sessions_rate={self.new_sessions_rate!r}, "
                f"new_sessions_burst={self.new_sessions_burst!r}, "
                f"max_active_sessions={self.max_active_sessions}, idle_timeout={self.idle_timeout!r}, "
                f"shed_ttl={self.shed_ttl!r}, max_tracked={self.max_tracked})")
