# The C-level contract of runiso_core._parse: the access-log tokenizers of
# ext/logparse.h and the chunk parser that owns their column buffers.
from libc.stdint cimport int64_t, uint64_t, int16_t, uint8_t, int32_t

cdef extern from "logparse.h" nogil:
    enum:
        RL_FMT_CLF
        RL_FMT_HAPROXY
        RL_FMT_PLAIN
        RL_FMT_CSV
        RL_FMT_TENCENT
        RL_FMT_KEYS
        RL_MAX_EX
        RL_CSV_MAX_COLS
        RL_E_COUNT
    const char *const rl_reason_text[]   # malformed-line reason texts, index = reason code

    ctypedef struct rl_blob:
        char *data          # malloc'd bytes
        int64_t len         # bytes used
        int64_t cap         # bytes allocated

    ctypedef struct rl_cols:
        int64_t *time_ns    # int64 ns since epoch, UTC
        uint64_t *key       # xxh64(request target) or integer id
        int64_t *size       # response bytes
        int16_t *status     # HTTP status, 0 when absent
        uint8_t *method     # Method code
        uint64_t *client    # xxh64(client address)
        uint64_t *session   # session/cookie hash or xxh64(user agent, seed=client)
        uint64_t *site      # xxh64(site) (CSV site column) else 0
        int64_t *url_end    # end offsets in url_blob; NULL = no strings
        int64_t *ua_end     # end offsets in ua_blob; NULL = no user agents
        rl_blob url_blob    # request targets, concatenated
        rl_blob ua_blob     # user agents, concatenated
        int64_t cap         # rows allocated
        int64_t n           # rows written

    ctypedef struct rl_tz:
        int64_t fixed       # seconds east of UTC when n == 0
        const int64_t *local  # local-time thresholds (seconds), ascending, local[0] = INT64_MIN
        const int32_t *off  # seconds east of UTC from local[i] on
        int32_t n           # entries; 0 = fixed offset

    ctypedef struct rl_state:
        int64_t line_no     # physical lines consumed so far
        int64_t malformed   # lines skipped as malformed
        int64_t backwards   # rows older than the previous row
        int64_t blank       # blank lines (ignored)
        int64_t max_line    # longer lines are malformed; 0 = no limit
        int64_t sized       # rows whose line carried a byte count (keys format)
        rl_tz tz            # zone of zone-less timestamps
        int64_t last_time   # time of the previous row
        int have_last       # last_time valid
        int strict          # stop at the first malformed line
        int stopped         # strict stop happened
        int examples_wanted # examples still wanted overall
        int n_ex            # examples recorded by the last feed
        int64_t ex_line[10] # their 1-based line numbers
        int ex_reason[10]   # their reason codes
        int64_t ex_off[10]  # their offsets in the fed buffer
        int64_t ex_len[10]  # their lengths

    ctypedef struct rl_csv:
        int n_roles         # columns with a role
        uint8_t roles[256]  # role code per column
        char delim          # field delimiter

    int64_t rl_feed(int fmt, const rl_csv *csv, const char *buf, int64_t pos,
                    int64_t length, int final, rl_cols *c, rl_state *st) noexcept


cdef class ChunkParser:
    cdef rl_cols cols               # column pointers into the numpy arrays below
    cdef rl_state st                # line counter, malformed/backwards counters
    cdef rl_csv csv                 # CSV role map
    cdef int fmt                    # RL_FMT_*
    cdef readonly Py_ssize_t capacity    # rows per chunk
    cdef readonly bint with_strings      # keep URL strings
    cdef bint _with_ua              # keep user-agent strings too
    cdef readonly str format             # format name
    cdef dict _arrays               # the numpy arrays behind cols
    cdef list _examples             # (line_number, reason, text) of the first malformed lines
    cdef int _max_examples          # how many examples to keep
    cdef object _lock               # threading.Lock serialising every method
    cdef object _tz_arrays          # (int64 thresholds, int32 offsets) behind st.tz, kept alive
    cdef int _alloc(self) except -1
    cdef int _set_tz(self, object tz) except -1
