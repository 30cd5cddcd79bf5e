# cython: language_level=3
"""One validator for the per-request columns of every batch API (see _columns.pxd)."""
from libc.stdint cimport INT64_MAX

import numpy as np


cdef object column_1d(object a, Py_ssize_t n, str name, str ref):
    if isinstance(a, (str, bytes)):
        raise TypeError(f"{name} must be an array, got a single {type(a).__name__}")
    # a base-class view: an ndarray subclass's Python-level shape/ndim could lie
    # about the buffer the C loops will read
    arr = a if type(a) is np.ndarray else np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if n >= 0 and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries but {ref} has {n}: lengths must match")
    return arr


cdef object int_column(object a, Py_ssize_t n, str name, str ref):
    arr = column_1d(a, n, name, ref)
    if arr.dtype.kind not in "iu":
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    arr = np.array(arr, order="C", copy=True)    # checked below, then used: our own copy
    if arr.dtype == np.uint64 and arr.size and arr.max() > INT64_MAX:
        i = int(np.argmax(arr > INT64_MAX))
        raise ValueError(f"{name}[{i}] = {arr[i]} does not fit in int64")
    return arr.astype(np.int64, copy=False)


cdef object float_column(object a, Py_ssize_t n, str name, str ref):
    arr = column_1d(a, n, name, ref)
    if arr.dtype.kind not in "fiu" or (arr.dtype.kind == "f" and arr.dtype.itemsize > 8):
        if arr.size == 0:
            return np.zeros(0, dtype=np.float64)
        raise TypeError(f"{name} must be a float64 array of seconds, got dtype {arr.dtype}")
    return np.array(arr, dtype=np.float64, order="C", copy=True)


cdef object flag_column(object a, Py_ssize_t n, str name, str ref):
    # The per-call rule (flag_value), element by element: bools, or integers 0/1.
    arr = column_1d(a, n, name, ref)
    if arr.dtype.kind == "b":
        return np.array(arr, order="C", copy=True).view(np.uint8)
    if arr.dtype.kind == "O":
        return np.array([flag_value(v, f"{name}[{i}]") for i, v in enumerate(arr)], dtype=np.uint8)
    if arr.dtype.kind not in "iu":
        if arr.size == 0:
            return np.zeros(0, dtype=np.uint8)
        raise TypeError(f"{name} must be a bool array, got dtype {arr.dtype}")
    arr = np.array(arr, order="C", copy=True)    # checked below, then used: our own copy
    bad = np.flatnonzero((arr != 0) & (arr != 1))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] = {arr[bad[0]]} is not a bool (or 0/1)")
    return arr.astype(np.uint8)


cdef int flag_value(object v, str name) except -1:
    if v is False:
        return 0
    if v is True:
        return 1
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, (np.bool_, np.integer, int)):
        if v == 0 or v == 1:
            return 1 if v else 0
        raise ValueError(f"{name} = {v!r:.40} is not a bool (or 0/1)")
    raise TypeError(f"{name} must be a bool, got {type(v).__name__} {v!r:.80}")
