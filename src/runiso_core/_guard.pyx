# cython: language_level=3
"""The shared state of the lock protocol (_guard.pxd): guards held per thread."""

cdef extern from *:
    """
    /* one counter per OS thread, shared by every module through guard_held() */
    static __thread int rn_guard_held_count = 0;
    static int *rn_guard_held_ptr(void) { return &rn_guard_held_count; }
    """
    int *rn_guard_held_ptr() noexcept nogil


cdef int *guard_held() noexcept nogil:
    return rn_guard_held_ptr()


def _held():
    """Guards the calling thread holds now (testing aid: 0 outside any operation)."""
    return guard_held()[0]
