# The one lock protocol of every mutable core (caches, token buckets, session
# gate, balancer). Inlined into each module; the one shared piece is the
# per-thread count of guards held (_guard.pyx), which every module must see.
#
# Rule, in this order, for every method of a mutable object:
#   1. convert and validate every argument (this may run Python code:
#      __index__, __float__, a str subclass, Fraction, ... and so let another
#      thread take the GIL);
#   2. guard_check (a per-call method that then touches C state without
#      running Python code or releasing the GIL) or guard_enter (a section
#      that releases the GIL, or that must run Python code, e.g. allocate,
#      while the state is half-updated); both hold the GIL;
#   3. touch C state;
#   4. guard_leave after guard_enter (guard_check has nothing to release).
#
# Invariant: C state is mutated only by a thread that holds the GIL, saw the
# guard IDLE and runs no Python code until it is done, or by the owner of
# the lock (state BUSY). The lock is held across GIL-free time only by the
# BUSY owner and, for an instant, by waiters (acquire then release, never
# needing the GIL in between). So a GIL holder that sees IDLE knows no batch is
# inside the object, and a reader that checks and then copies the C fields
# into C locals (no allocation in between) gets a consistent snapshot.
#
# A thread that calls back into an object it is inside (a finalizer run by
# the cyclic GC during a put) gets RuntimeError, never a deadlock; so does a
# thread that would wait for one object while it holds another, when the
# other's owner is in a Python section (a finalizer run inside A's section
# calling B, whose owner's own finalizer may be waiting for A: the lock-order
# deadlock is refused, not risked). Waiting for a GIL-free batch is always
# allowed: a batch never waits for anything, so it always finishes;
# an object whose __init__ never ran (cls.__new__(cls)) stays UNINIT, which
# every method refuses. tp_alloc zeroes the object, so a fresh guard is UNINIT.
#
# Holding several objects at once (the replay engine): take them with
# guard_enter_nogil in one global order (by address) before the loop, so two
# such holders can never wait for each other; this file is where that
# multi-object acquire belongs.
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_free_lock,
                               PyThread_acquire_lock, PyThread_release_lock,
                               PyThread_get_thread_ident, WAIT_LOCK)

cdef enum:
    GUARD_UNINIT = 0    # zeroed memory: __init__ has not completed
    GUARD_IDLE = 1
    GUARD_BUSY = 2      # a thread owns the lock for a section that may run Python code
    GUARD_BATCH = 3     # a thread owns the lock for a loop without the GIL (it never waits)

# Guards the calling thread holds (guard_enter without guard_leave yet), in
# every module: a thread-local of _guard.pyx.
cdef int *guard_held() noexcept nogil


ctypedef struct rn_guard:
    PyThread_type_lock lock
    unsigned long owner     # thread ident of the BUSY owner, 0 otherwise
    int state


cdef inline int guard_init(rn_guard *g) except -1:
    """__cinit__: allocate the lock. The guard stays UNINIT until guard_ready."""
    g.lock = PyThread_allocate_lock()
    if g.lock == NULL:
        raise MemoryError()
    g.owner = 0
    g.state = GUARD_UNINIT
    return 0


cdef inline void guard_ready(rn_guard *g) noexcept:
    """End of a successful __init__: methods may run."""
    g.state = GUARD_IDLE


cdef inline void guard_free(rn_guard *g) noexcept:
    """__dealloc__."""
    if g.lock != NULL:
        PyThread_free_lock(g.lock)
        g.lock = NULL
    g.state = GUARD_UNINIT


cdef inline int guard_wait(rn_guard *g, object obj) except -1:
    # Slow path (state != IDLE): refuse an uninitialised object or a re-entrant
    # call, else wait, without the GIL, until the owner leaves.
    if g.state == GUARD_UNINIT:
        raise RuntimeError(f"{type(obj).__name__} is not initialised: create it with "
                           f"{type(obj).__name__}(...), which runs __init__")
    if g.owner == PyThread_get_thread_ident():
        raise RuntimeError(f"{type(obj).__name__}: re-entrant call from the thread that is inside "
                           f"an operation on the same object (a finalizer or a callback)")
    while g.state >= GUARD_BUSY:
        if g.state == GUARD_BUSY and guard_held()[0] > 0:   # checked again after each wait
            raise RuntimeError(f"{type(obj).__name__} is busy in another thread, and this thread is "
                               f"inside an operation on another runiso object (a finalizer or a "
                               f"callback): waiting could deadlock, so the call is refused")
        with nogil:
            PyThread_acquire_lock(g.lock, WAIT_LOCK)
            PyThread_release_lock(g.lock)
    return 0


cdef inline int guard_check(rn_guard *g, object obj) except -1:
    """Per-call: returns with the GIL held and the object IDLE. The caller
    must then touch C state without running Python code (no allocation)."""
    if g.state != GUARD_IDLE:
        return guard_wait(g, obj)
    return 0


cdef inline int _guard_take(rn_guard *g, object obj, int state) except -1:
    if g.state != GUARD_IDLE:
        guard_wait(g, obj)
    # IDLE under the GIL: the lock is free, or held for an instant by a
    # waiter of guard_wait, which releases it without needing the GIL; so
    # blocking here with the GIL held is short and cannot deadlock.
    PyThread_acquire_lock(g.lock, WAIT_LOCK)
    g.state = state
    g.owner = PyThread_get_thread_ident()
    guard_held()[0] += 1
    return 0


cdef inline int guard_enter(rn_guard *g, object obj) except -1:
    """Own the object for a section that runs Python code (allocates, calls out).

    Never releases the GIL, so it may also follow a per-call mutation made
    after guard_check (e.g. to release the Python objects it dropped)."""
    return _guard_take(g, obj, GUARD_BUSY)


cdef inline int guard_enter_nogil(rn_guard *g, object obj) except -1:
    """Own the object for a loop that releases the GIL and runs no Python code
    until guard_leave: it never waits for another object, so a thread that
    holds one may wait for it."""
    return _guard_take(g, obj, GUARD_BATCH)


cdef inline void guard_leave(rn_guard *g) noexcept:
    guard_held()[0] -= 1
    g.owner = 0
    g.state = GUARD_IDLE
    PyThread_release_lock(g.lock)
