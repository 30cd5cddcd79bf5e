# cython: language_level=3
"""Native access-log parsing: buffers of many lines -> numpy columns.

The tokenizers are plain C in ``ext/logparse.h``; this module owns the column
buffers of one chunk and runs the C driver over a bytes buffer in one nogil
pass. :mod:`runiso_core.trace` does the file reading, format detection and
chunking on top of it.
"""
cimport cython
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.stdint cimport int64_t, uint64_t, int16_t, uint8_t, int32_t
from libc.stdlib cimport free
from libc.string cimport memset, memcpy

import threading

import numpy as np

from runiso_core._trace_types import TraceFormatError

FORMAT_CODES = {"clf": RL_FMT_CLF, "haproxy": RL_FMT_HAPROXY, "plain": RL_FMT_PLAIN,
                "csv": RL_FMT_CSV, "tencent": RL_FMT_TENCENT, "keys": RL_FMT_KEYS}

# CSV column roles (ext/logparse.h RL_R_*).
ROLE_CODES = {"ignore": 0, "time": 1, "key": 2, "url": 3, "size": 4, "client": 5,
              "session": 6, "status": 7, "method": 8, "site": 9}

COLUMNS = ("time_ns", "key", "size", "status", "method", "client", "session", "site")

# Malformed-line reasons, index = the C reason code: read from the C table
# (ext/logparse.h rl_reason_text), the one place they are written.
REASONS = tuple(rl_reason_text[i].decode() for i in range(RL_E_COUNT))


cdef inline str _example_text(const unsigned char[::1] buf, int64_t off, int64_t n):
    # First 200 characters; undecodable bytes shown as \xNN escapes.
    cdef int64_t m = n if n < 800 else 800
    return bytes(buf[off:off + m]).decode("utf-8", "backslashreplace")[:200]


@cython.final
cdef class ChunkParser:
    """Parse lines of one text format into fixed-capacity column buffers.

    Parameters
    ----------
    format : {"clf", "haproxy", "plain", "csv", "tencent", "keys"}
        Line format ("clf" covers Common and Combined Log Format).
    capacity : int
        Rows per chunk (> 0).
    with_strings : bool or "url", optional
        Also keep the request target and user agent of every row (``"url"``:
        the request target only).
    strict : bool, optional
        Raise :class:`TraceFormatError` at the first malformed line.
    roles : sequence of str, optional
        CSV only: the role of each column (see ``ROLE_CODES``).
    delimiter : str, optional
        CSV only: one-byte field delimiter.
    first_line : int, optional
        Lines already consumed before the first fed byte (e.g. a CSV header),
        so that reported line numbers are those of the file.
    max_examples : int, optional
        How many malformed lines to keep as examples (<= 10).
    max_line_bytes : int, optional
        Lines longer than this are malformed ("line too long"); 0 = no limit.
    tz : int or (ndarray[int64], ndarray[int32]), optional
        Zone of timestamps that carry none (HAProxy, Tencent, zone-less
        ISO-8601 in CSV): a fixed offset in seconds east of UTC (default 0),
        or a table of local-time thresholds (``local[0]`` must be the int64
        minimum, ascending) and the offset in force from each on (see
        :func:`runiso_core._tz.resolve_tz`).

    Notes
    -----
    Every method takes a per-parser lock (``feed`` holds it while the C loop
    runs without the GIL), so concurrent calls from several threads are
    serialised, never interleaved. Separate parsers run in parallel.
    """

    def __cinit__(self, str format, Py_ssize_t capacity, *, object with_strings=False,
                  bint strict=False, roles=None, str delimiter=",", Py_ssize_t first_line=0,
                  int max_examples=10, Py_ssize_t max_line_bytes=0, object tz=0):
        memset(&self.cols, 0, sizeof(self.cols))
        memset(&self.st, 0, sizeof(self.st))
        self._lock = threading.Lock()
        memset(&self.csv, 0, sizeof(self.csv))
        if format not in FORMAT_CODES:
            raise ValueError(f"format must be one of {sorted(FORMAT_CODES)}, got {format!r}")
        if capacity <= 0:
            raise ValueError(f"capacity must be > 0, got {capacity}")
        if not 0 <= max_examples <= 10:
            raise ValueError(f"max_examples must be in [0, 10], got {max_examples}")
        if first_line < 0:
            raise ValueError(f"first_line must be >= 0, got {first_line}")
        self.fmt = FORMAT_CODES[format]
        self.format = format
        self.capacity = capacity
        if with_strings not in (False, True, "url"):
            raise ValueError(f"with_strings must be False, True or 'url', got {with_strings!r}")
        self.with_strings = with_strings is not False
        self._with_ua = with_strings is True
        self.st.strict = strict
        self.st.line_no = first_line
        if max_line_bytes < 0:
            raise ValueError(f"max_line_bytes must be >= 0 (0 = no limit), got {max_line_bytes}")
        self.st.max_line = max_line_bytes
        self._set_tz(tz)
        self._max_examples = max_examples
        self.st.examples_wanted = max_examples
        self._examples = []
        if self.fmt == RL_FMT_CSV:
            if roles is None or len(roles) == 0:
                raise ValueError("roles: CSV needs a role for each column, got none")
            if len(roles) > RL_CSV_MAX_COLS:
                raise ValueError(f"roles: at most {RL_CSV_MAX_COLS} columns, got {len(roles)}")
            for i, r in enumerate(roles):
                if r not in ROLE_CODES:
                    raise ValueError(f"roles[{i}]: unknown role {r!r}; expected one of "
                                     f"{sorted(ROLE_CODES)}")
                self.csv.roles[i] = ROLE_CODES[r]
            # Trailing ignored columns need not be present.
            n = len(roles)
            while n > 1 and roles[n - 1] == "ignore":
                n -= 1
            self.csv.n_roles = n
            d = delimiter.encode("utf-8")
            if len(d) != 1 or d in (b'"', b"\n", b"\r"):
                raise ValueError(f"delimiter must be one byte other than quote/newline, "
                                 f"got {delimiter!r}")
            self.csv.delim = <char>d[0]
        self._alloc()

    cdef int _set_tz(self, object tz) except -1:
        cdef const int64_t[::1] loc
        cdef const int32_t[::1] off
        if isinstance(tz, int) and not isinstance(tz, bool):
            if not -86400 < tz < 86400:
                raise ValueError(f"tz: a fixed offset must be within a day, got {tz} s")
            self.st.tz.fixed = tz
            self.st.tz.n = 0
            return 0
        if not (isinstance(tz, tuple) and len(tz) == 2):
            raise TypeError(f"tz: expected an offset in seconds or (thresholds, offsets), got {tz!r:.80}")
        a = np.ascontiguousarray(tz[0], dtype=np.int64)
        b = np.ascontiguousarray(tz[1], dtype=np.int32)
        if a.ndim != 1 or a.shape != b.shape or a.shape[0] < 1 or a.shape[0] > 1 << 20:
            raise ValueError("tz: thresholds and offsets must be 1-D arrays of one length (1..2**20)")
        if a[0] != np.iinfo(np.int64).min or np.any(a[1:] <= a[:-1]):   # (np.diff overflows)
            raise ValueError("tz: thresholds must start at the int64 minimum and increase")
        if np.any(np.abs(b) >= 86400):
            raise ValueError("tz: offsets must be within a day")
        self._tz_arrays = (a, b)
        loc = a
        off = b
        self.st.tz.local = &loc[0]
        self.st.tz.off = &off[0]
        self.st.tz.n = <int32_t>a.shape[0]
        return 0

    def __dealloc__(self):
        free(self.cols.url_blob.data)
        free(self.cols.ua_blob.data)

    cdef int _alloc(self) except -1:
        cdef Py_ssize_t n = self.capacity
        a = {
            "time_ns": np.empty(n, np.int64), "key": np.empty(n, np.uint64),
            "size": np.empty(n, np.int64), "status": np.empty(n, np.int16),
            "method": np.empty(n, np.uint8), "client": np.empty(n, np.uint64),
            "session": np.empty(n, np.uint64), "site": np.empty(n, np.uint64),
        }
        cdef int64_t[::1] t = a["time_ns"]
        cdef uint64_t[::1] k = a["key"]
        cdef int64_t[::1] s = a["size"]
        cdef int16_t[::1] st = a["status"]
        cdef uint8_t[::1] m = a["method"]
        cdef uint64_t[::1] c = a["client"]
        cdef uint64_t[::1] se = a["session"]
        cdef uint64_t[::1] si = a["site"]
        cdef int64_t[::1] ue
        cdef int64_t[::1] ae
        self.cols.time_ns = &t[0]
        self.cols.key = &k[0]
        self.cols.size = &s[0]
        self.cols.status = &st[0]
        self.cols.method = &m[0]
        self.cols.client = &c[0]
        self.cols.session = &se[0]
        self.cols.site = &si[0]
        if self.with_strings:
            a["url_end"] = np.empty(n, np.int64)
            ue = a["url_end"]
            self.cols.url_end = &ue[0]
        if self._with_ua:
            a["ua_end"] = np.empty(n, np.int64)
            ae = a["ua_end"]
            self.cols.ua_end = &ae[0]
        self.cols.cap = n
        self.cols.n = 0
        self._arrays = a
        return 0

    def feed(self, buf, Py_ssize_t pos, bint final):
        """Parse complete lines of ``buf[pos:]``; return the new position.

        Stops when the chunk is full (see :attr:`full`), when only an
        unterminated last line is left (parsed only when ``final``), or — in
        strict mode — raises :class:`TraceFormatError` at a malformed line.
        """
        with self._lock:
            return self._feed(buf, pos, final)

    def _feed(self, const unsigned char[::1] buf not None, Py_ssize_t pos, bint final):
        cdef int64_t n = buf.shape[0], newpos
        cdef const char *p = <const char *>&buf[0] if n > 0 else NULL
        cdef int i
        if pos < 0 or pos > n:
            raise ValueError(f"pos must be in [0, {n}], got {pos}")
        if n == 0 or pos == n:
            return pos
        if self._arrays is None:
            self._alloc()
        with nogil:
            newpos = rl_feed(self.fmt, &self.csv, p, pos, n, final, &self.cols, &self.st)
        if newpos < 0:
            raise MemoryError("trace string table: out of memory")
        for i in range(self.st.n_ex):
            self._examples.append((int(self.st.ex_line[i]), REASONS[self.st.ex_reason[i]],
                                   _example_text(buf, self.st.ex_off[i], self.st.ex_len[i])))
        if self.st.stopped:
            ln, reason, text = self._examples[len(self._examples) - 1] if self.st.n_ex else (
                int(self.st.line_no), "malformed line", "")
            raise TraceFormatError(f"line {ln}: {reason} ({self.format} format): {text!r:.220}",
                                   line_number=ln, reason=reason, line=text)
        return newpos

    def note_malformed(self, int reason, bytes sample):
        """Count one malformed line found outside the C driver (too long,
        truncated stream); raises in strict mode. ``reason`` is a REASONS index."""
        with self._lock:
            self._note_malformed(reason, sample)

    def _note_malformed(self, int reason, bytes sample):
        if not 0 < reason < RL_E_COUNT:
            raise ValueError(f"reason must be in [1, {RL_E_COUNT}), got {reason}")
        self.st.line_no += 1
        self.st.malformed += 1
        text = sample[:800].decode("utf-8", "backslashreplace")[:200]
        ln = int(self.st.line_no)
        if self.st.examples_wanted > 0:
            self.st.examples_wanted -= 1
            self._examples.append((ln, REASONS[reason], text))
        if self.st.strict:
            raise TraceFormatError(f"line {ln}: {REASONS[reason]} ({self.format} format): "
                                   f"{text!r:.220}", line_number=ln, reason=REASONS[reason],
                                   line=text)

    def take(self):
        """Return the rows parsed so far as a dict of numpy arrays (plus
        ``url``/``ua`` as ``(blob, offsets)`` pairs with strings) and start a
        new chunk."""
        with self._lock:
            return self._take()

    def _take(self):
        cdef int64_t n = self.cols.n
        if self._arrays is None:
            self._alloc()
        a = self._arrays
        out = {}
        for name in COLUMNS:
            col = a[name]
            out[name] = col if n == self.capacity else col[:n].copy()
        if self.with_strings:
            url_off = np.zeros(n + 1, np.int64)
            url_off[1:] = a["url_end"][:n]
            out["url"] = (PyBytes_FromStringAndSize(self.cols.url_blob.data, self.cols.url_blob.len)
                          if self.cols.url_blob.len else b"", url_off)
            self.cols.url_blob.len = 0
        if self._with_ua:
            ua_off = np.zeros(n + 1, np.int64)
            ua_off[1:] = a["ua_end"][:n]
            out["ua"] = (PyBytes_FromStringAndSize(self.cols.ua_blob.data, self.cols.ua_blob.len)
                         if self.cols.ua_blob.len else b"", ua_off)
            self.cols.ua_blob.len = 0
        if n == self.capacity:
            # Allocate the next chunk's buffers lazily, at the next feed: the
            # caller usually still holds the previous chunk until then, and
            # three live chunks would be a 50% higher memory peak than two.
            self._arrays = None
            self.cols.cap = 0
        self.cols.n = 0
        return out

    @property
    def n(self):
        """Rows in the current chunk."""
        return int(self.cols.n)

    @property
    def full(self):
        """True when the current chunk has ``capacity`` rows."""
        return self._arrays is not None and self.cols.n >= self.cols.cap

    @property
    def malformed(self):
        """Malformed lines skipped so far."""
        return int(self.st.malformed)

    @property
    def backwards(self):
        """Rows whose time is before the previous row's, so far."""
        return int(self.st.backwards)

    @property
    def blank(self):
        """Blank lines ignored so far."""
        return int(self.st.blank)

    @property
    def sized(self):
        """Rows whose line carried a byte count (``keys`` format), so far."""
        return int(self.st.sized)

    @property
    def line_no(self):
        """Physical lines consumed so far."""
        return int(self.st.line_no)

    @property
    def examples(self):
        """``[(line_number, reason, first 200 chars)]`` of the first malformed lines."""
        return list(self._examples)

    def take_examples(self):
        """Return and forget the examples collected since the last call."""
        with self._lock:
            ex, self._examples = self._examples, []
        return ex

    def set_last_time(self, int64_t t):
        """Seed the backwards-time check (continuing after another parser)."""
        self.st.last_time = t
        self.st.have_last = 1


def concat_fields(list tables not None, idx):
    """Build lines by concatenating, for each row ``i``, ``tables[k][idx[i, k]]``
    for ``k = 0..K-1`` (the bulk formatter behind ``runiso trace synth``).

    Parameters
    ----------
    tables : list of (bytes, ndarray[int64])
        ``K`` string tables as a blob plus ``m + 1`` offsets.
    idx : ndarray[int32], shape (n, K)
        Row ``i`` uses entry ``idx[i, k]`` of table ``k``.

    Returns
    -------
    bytes
    """
    # Integer dtypes only: a float idx (NaN) or offsets array would be cast to
    # garbage indices *after* the range checks below (NaN passes them).
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu" or idx.ndim != 2:
        raise TypeError(f"idx: expected a 2-D integer array, got dtype {idx.dtype} shape {idx.shape}")
    cdef const int32_t[:, ::1] ix = np.ascontiguousarray(idx, dtype=np.int32)
    cdef Py_ssize_t n = ix.shape[0], K = ix.shape[1], i, k
    if K != len(tables):
        raise ValueError(f"idx: expected {len(tables)} columns (one per table), got {K}")
    if K == 0 or n == 0:
        return b""
    blobs = []
    offs = []
    for k, t in enumerate(tables):
        blob, off = t
        off = np.asarray(off)
        if off.dtype.kind not in "iu":
            raise TypeError(f"tables[{k}]: offsets must be an integer array, got dtype {off.dtype}")
        off = np.ascontiguousarray(off, dtype=np.int64)
        if not isinstance(blob, bytes) or off.ndim != 1 or len(off) < 2 or off[0] < 0 \
                or off[len(off) - 1] > len(blob) or np.any(np.diff(off) < 0):
            raise ValueError(f"tables[{k}]: expected (bytes, nondecreasing offsets within it)")
        col = idx[:, k]
        if col.min() < 0 or col.max() >= min(len(off) - 1, 2**31):   # exact in int32
            raise ValueError(f"idx[:, {k}]: entries must be in [0, {len(off) - 1}), got "
                             f"[{col.min()}, {col.max()}]")
        blobs.append(blob)
        offs.append(off)
    cdef const char **bp = <const char **>PyMem_Malloc(K * sizeof(char *))
    cdef const int64_t **op = <const int64_t **>PyMem_Malloc(K * sizeof(int64_t *))
    cdef const int64_t[::1] o
    cdef int64_t total = 0, j
    cdef char *out
    if bp == NULL or op == NULL:
        PyMem_Free(bp); PyMem_Free(op)
        raise MemoryError()
    try:
        for k in range(K):
            bp[k] = PyBytes_AS_STRING(blobs[k])
            o = offs[k]
            op[k] = &o[0]
        with nogil:
            for i in range(n):
                for k in range(K):
                    j = ix[i, k]
                    total += op[k][j + 1] - op[k][j]
        res = PyBytes_FromStringAndSize(NULL, total)
        out = PyBytes_AS_STRING(res)
        with nogil:
            for i in range(n):
                for k in range(K):
                    j = ix[i, k]
                    memcpy(out, bp[k] + op[k][j], <size_t>(op[k][j + 1] - op[k][j]))
                    out += op[k][j + 1] - op[k][j]
        return res
    finally:
        PyMem_Free(bp)
        PyMem_Free(op)
