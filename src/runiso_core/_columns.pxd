# The one column validator of the batch APIs (caches, admission, balancer):
# a per-request column beside the keys becomes a C-contiguous array of one
# dtype, with one message format for every core:
#   "<name> must be a 1-D array, got shape (2, 5)"
#   "<name> has 3 entries but <ref> has 4: lengths must match"
#   "<name> must be an integer array, got dtype float64"
#   "<name>[7] = 2 is not a bool (or 0/1)"
# n < 0 skips the length check (the column defines the batch).
#
# The typed columns are private copies: a value checked here cannot be changed
# afterwards by the caller (another thread, or an __array__ of a column
# converted later in the same call) before the C loop reads it.

cdef object column_1d(object a, Py_ssize_t n, str name, str ref)
cdef object int_column(object a, Py_ssize_t n, str name, str ref)      # -> int64
cdef object float_column(object a, Py_ssize_t n, str name, str ref)    # -> float64
cdef object flag_column(object a, Py_ssize_t n, str name, str ref)     # -> uint8 0/1
cdef int flag_value(object v, str name) except -1                      # the per-call rule: 0 or 1
