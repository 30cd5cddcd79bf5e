/* Access-log tokenizers: one pass over a buffer of many lines into columns.
 *
 * Plain C, header-only and static inline so that the per-line parsers inline
 * into the one driver loop (rl_feed) that runiso_core._parse calls without the
 * GIL. Nothing here allocates per line, reads a clock, or calls libc locale /
 * time-zone functions: dates are converted with integer civil-calendar
 * arithmetic and the zone in the log line is applied by hand.
 *
 * Formats
 *   RL_FMT_CLF      Apache/NGINX Common and Combined Log Format (+ trailing fields)
 *   RL_FMT_HAPROXY  HAProxy `option httplog` default format (syslog prefix optional)
 *   RL_FMT_PLAIN    `time key size [ignored...]` (webcachesim style)
 *   RL_FMT_CSV      delimited text with a per-column role map (header handled by caller)
 *   RL_FMT_TENCENT  SNIA Tencent Photo CDN: `YYYYMMDDhhmmss photo_id format spec size ...`
 *   RL_FMT_KEYS     `key [size]`, one request per line (libCacheSim's txt traces)
 *
 * Timestamps without a zone (HAProxy accept dates, Tencent, zone-less ISO-8601
 * in CSV) are converted with an rl_tz: a fixed offset, or a table of local-time
 * thresholds built by the caller from the IANA database (DST included).
 *
 * Hashes (all XXH64, seed 0, of the raw bytes exactly as logged, escapes kept):
 *   key     = xxh64(request target)          client = xxh64(client address)
 *   session = xxh64(session/cookie column) when the format has one, else
 *             xxh64(user agent, seed = client)  (user agent "" when absent)
 */
#ifndef RUNISO_LOGPARSE_H
#define RUNISO_LOGPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xxh64.h"

enum { RL_FMT_CLF = 1, RL_FMT_HAPROXY = 2, RL_FMT_PLAIN = 3, RL_FMT_CSV = 4, RL_FMT_TENCENT = 5,
       RL_FMT_KEYS = 6 };

/* Method codes: the values of runiso_core.Method. */
enum {
    RL_M_GET = 0, RL_M_HEAD, RL_M_POST, RL_M_PUT, RL_M_DELETE, RL_M_PATCH,
    RL_M_OPTIONS, RL_M_CONNECT, RL_M_TRACE, RL_M_OTHER, RL_M_NONE
};

/* Malformed-line reasons (index into rl_reason_text). */
enum {
    RL_OK = 0, RL_E_NUL, RL_E_FIELDS, RL_E_DATE, RL_E_QUOTE, RL_E_STATUS,
    RL_E_SIZE, RL_E_TIME, RL_E_KEY, RL_E_CLIENT, RL_E_TIMERS, RL_E_COLUMNS,
    RL_E_TOO_LONG, RL_E_TRUNCATED, RL_E_SIZE_BIG, RL_E_COUNT
};

static const char *const rl_reason_text[RL_E_COUNT] = {
    "ok",
    "NUL byte in line",
    "missing or malformed fields",
    "bad timestamp",
    "unterminated quoted field",
    "bad status code",
    "bad byte count",
    "bad time value",
    "bad key",
    "bad client address",
    "bad HAProxy timers/counters",
    "missing CSV columns",
    "line too long",
    "truncated input",
    "byte count over 18 digits",
};

/* CSV column roles. */
enum {
    RL_R_IGNORE = 0, RL_R_TIME, RL_R_KEY, RL_R_URL, RL_R_SIZE, RL_R_CLIENT,
    RL_R_SESSION, RL_R_STATUS, RL_R_METHOD, RL_R_SITE
};

#define RL_MAX_EX 10
#define RL_CSV_MAX_COLS 256
#define RL_KEY_MAX 1024     /* longest composite key (Tencent id/format/spec) */

/* Zone of timestamps that carry none: UTC = local - offset. With n == 0 the
 * offset is `fixed`; else off[i] applies from local time local[i] on
 * (local[0] = INT64_MIN, ascending). Local times in a DST gap or overlap take
 * the offset in force before the change (Python's fold=0). */
typedef struct {
    int64_t fixed;          /* seconds east of UTC (n == 0) */
    const int64_t *local;   /* thresholds, local civil seconds */
    const int32_t *off;     /* seconds east of UTC from local[i] on */
    int32_t n;              /* entries; 0 = fixed offset */
} rl_tz;

typedef struct {
    char *data;     /* malloc'd bytes */
    int64_t len;    /* bytes used */
    int64_t cap;    /* bytes allocated */
} rl_blob;

typedef struct {
    int64_t *time_ns;   /* int64 ns since epoch, UTC */
    uint64_t *key;      /* xxh64(request target) or integer id */
    int64_t *size;      /* response bytes */
    int16_t *status;    /* HTTP status, 0 when absent */
    uint8_t *method;    /* RL_M_* */
    uint64_t *client;   /* xxh64(client address), 0 when absent */
    uint64_t *session;  /* see header comment */
    uint64_t *site;     /* xxh64(site) for CSV with a site column, else 0 */
    int64_t *url_end;   /* end offset of row i in url_blob; NULL = no strings */
    int64_t *ua_end;    /* end offset of row i in ua_blob; NULL = no user agents */
    rl_blob url_blob;   /* request targets, concatenated */
    rl_blob ua_blob;    /* user agents, concatenated */
    int64_t cap;        /* rows allocated */
    int64_t n;          /* rows written */
} rl_cols;

typedef struct {
    int64_t line_no;        /* physical lines consumed so far */
    int64_t malformed;      /* lines skipped as malformed */
    int64_t backwards;      /* rows whose time is before the previous row's */
    int64_t blank;          /* empty / whitespace-only lines (ignored) */
    int64_t max_line;       /* longer lines are malformed ("line too long"); 0 = no limit */
    int64_t sized;          /* rows whose line carried a byte count (RL_FMT_KEYS) */
    rl_tz tz;               /* zone of zone-less timestamps */
    int64_t last_time;      /* time of the previous row */
    int have_last;          /* last_time is valid */
    int strict;             /* stop at the first malformed line */
    int stopped;            /* set when strict stopped on a malformed line */
    int examples_wanted;    /* examples still wanted overall (caller-managed) */
    int n_ex;               /* examples recorded by the last rl_feed call */
    int64_t ex_line[RL_MAX_EX];   /* their line numbers (1-based) */
    int ex_reason[RL_MAX_EX];     /* their reasons */
    int64_t ex_off[RL_MAX_EX];    /* their offsets in the buffer */
    int64_t ex_len[RL_MAX_EX];    /* their lengths */
} rl_state;

typedef struct {
    int n_roles;                        /* columns with a role (<= RL_CSV_MAX_COLS) */
    uint8_t roles[RL_CSV_MAX_COLS];     /* RL_R_* per column index */
    char delim;                         /* ',' or '\t' (or any byte) */
} rl_csv;

/* One parsed row before it is stored. */
typedef struct {
    int64_t time_ns;
    uint64_t key, client, session, site;
    int64_t size;
    int16_t status;
    uint8_t method;
    const char *url; int64_t url_len;
    const char *ua; int64_t ua_len;
    int sized;              /* the line carried a byte count (RL_FMT_KEYS) */
} rl_row;

/* ------------------------------------------------------------------ helpers */

static inline int rl_isdigit(char c) { return c >= '0' && c <= '9'; }

static inline int64_t rl_days_from_civil(int64_t y, int64_t m, int64_t d) {
    /* H. Hinnant's days_from_civil: proleptic Gregorian, 1970-01-01 = 0. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline int rl_days_in_month(int y, int m) {
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* Year range keeps int64 nanoseconds from overflowing (limit is 2262-04-11). */
#define RL_YEAR_MIN 1900
#define RL_YEAR_MAX 2261

static inline int rl_civil_ok(int y, int mo, int d, int h, int mi, int s) {
    return y >= RL_YEAR_MIN && y <= RL_YEAR_MAX && mo >= 1 && mo <= 12 && d >= 1 &&
           d <= rl_days_in_month(y, mo) && h <= 23 && mi <= 59 && s <= 60;
}

static inline int64_t rl_civil_seconds(int y, int mo, int d, int h, int mi, int s) {
    return rl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static inline int64_t rl_tz_utc(const rl_tz *tz, int64_t local) {
    int32_t lo = 0, hi;
    if (tz->n == 0) return local - tz->fixed;
    hi = tz->n - 1;
    while (lo < hi) {   /* largest i with local[i] <= local */
        int32_t mid = lo + (hi - lo + 1) / 2;
        if (tz->local[mid] <= local) lo = mid; else hi = mid - 1;
    }
    return local - tz->off[lo];
}

static inline int rl_month(const char *p) {
    /* Title-case English month abbreviations, as Apache/NGINX/HAProxy write them. */
    switch (p[0]) {
    case 'J': if (p[1] == 'a' && p[2] == 'n') return 1;
              if (p[1] == 'u' && p[2] == 'n') return 6;
              if (p[1] == 'u' && p[2] == 'l') return 7; return 0;
    case 'F': return (p[1] == 'e' && p[2] == 'b') ? 2 : 0;
    case 'M': if (p[1] == 'a' && p[2] == 'r') return 3;
              if (p[1] == 'a' && p[2] == 'y') return 5; return 0;
    case 'A': if (p[1] == 'p' && p[2] == 'r') return 4;
              if (p[1] == 'u' && p[2] == 'g') return 8; return 0;
    case 'S': return (p[1] == 'e' && p[2] == 'p') ? 9 : 0;
    case 'O': return (p[1] == 'c' && p[2] == 't') ? 10 : 0;
    case 'N': return (p[1] == 'o' && p[2] == 'v') ? 11 : 0;
    case 'D': return (p[1] == 'e' && p[2] == 'c') ? 12 : 0;
    default: return 0;
    }
}

static inline int rl_2d(const char *p) {
    return (rl_isdigit(p[0]) && rl_isdigit(p[1])) ? (p[0] - '0') * 10 + (p[1] - '0') : -1;
}

/* `dd/Mon/yyyy:HH:MM:SS` at p (20 bytes, caller checked the length).
 * Returns civil seconds through *out; 0 on success. */
static inline int rl_clf_datetime(const char *p, int64_t *out) {
    int d = rl_2d(p), mo, y, h, mi, s, y1, y2;
    if (d < 0 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':')
        return -1;
    mo = rl_month(p + 3);
    y1 = rl_2d(p + 7); y2 = rl_2d(p + 9);
    h = rl_2d(p + 12); mi = rl_2d(p + 15); s = rl_2d(p + 18);
    if (!mo || y1 < 0 || y2 < 0 || h < 0 || mi < 0 || s < 0) return -1;
    y = y1 * 100 + y2;
    if (!rl_civil_ok(y, mo, d, h, mi, s)) return -1;
    *out = rl_civil_seconds(y, mo, d, h, mi, s);
    return 0;
}

/* Quoted field starting at p (*p == '"'). The field ends at the first
 * unescaped '"' followed by a space or the end of the line; a backslash
 * escapes the next byte (Apache writes \" and \\). Returns a pointer to the
 * closing quote, or NULL when unterminated. */
static inline const char *rl_quoted_end(const char *p, const char *end) {
    const char *q = p + 1;
    while (q < end) {
        char c = *q;
        if (c == '\\') { q += 2; continue; }
        if (c == '"' && (q + 1 == end || q[1] == ' ')) return q;
        q++;
    }
    return NULL;
}

static inline int rl_method_code(const char *m, int64_t n) {
    switch (n) {
    case 3: if (!memcmp(m, "GET", 3)) return RL_M_GET;
            if (!memcmp(m, "PUT", 3)) return RL_M_PUT; break;
    case 4: if (!memcmp(m, "HEAD", 4)) return RL_M_HEAD;
            if (!memcmp(m, "POST", 4)) return RL_M_POST; break;
    case 5: if (!memcmp(m, "PATCH", 5)) return RL_M_PATCH;
            if (!memcmp(m, "TRACE", 5)) return RL_M_TRACE; break;
    case 6: if (!memcmp(m, "DELETE", 6)) return RL_M_DELETE; break;
    case 7: if (!memcmp(m, "OPTIONS", 7)) return RL_M_OPTIONS;
            if (!memcmp(m, "CONNECT", 7)) return RL_M_CONNECT; break;
    default: break;
    }
    return RL_M_OTHER;
}

/* Request line [p, end): method = bytes before the first space; target = the
 * next run of non-spaces after it. Without a target (e.g. "-" or junk), the
 * key is the whole request line and the method NONE for "-"/"", else the
 * method token's code. */
static inline void rl_request(const char *p, const char *end, rl_row *r) {
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    const char *t, *te;
    if (sp) {
        t = sp;
        while (t < end && *t == ' ') t++;
        te = t;
        while (te < end && *te != ' ') te++;
        if (te > t) {
            r->method = (uint8_t)rl_method_code(p, sp - p);
            r->url = t; r->url_len = te - t;
            return;
        }
    }
    r->url = p; r->url_len = end - p;
    if (end == p || (end - p == 1 && *p == '-')) r->method = RL_M_NONE;
    else r->method = (uint8_t)rl_method_code(p, (sp ? sp : end) - p);
}

/* Unsigned decimal int64 (1..18 digits). Returns end pointer or NULL. */
static inline const char *rl_uint(const char *p, const char *end, int64_t *out) {
    int64_t v = 0; const char *s = p;
    while (p < end && rl_isdigit(*p) && p - s < 18) { v = v * 10 + (*p - '0'); p++; }
    if (p == s || (p < end && rl_isdigit(*p))) return NULL;
    *out = v;
    return p;
}

/* Byte count [p, end) (the whole token): RL_OK, RL_E_SIZE_BIG for a run of
 * more than 18 digits, else RL_E_SIZE. */
static inline int rl_size_token(const char *p, const char *end, int64_t *out) {
    const char *q = rl_uint(p, end, out);
    if (q == end) return RL_OK;
    if (!q && end - p > 18) {
        for (q = p; q < end && rl_isdigit(*q); q++) {}
        if (q == end) return RL_E_SIZE_BIG;
    }
    return RL_E_SIZE;
}

/* ---------------------------------------------------------------- CLF */

static inline int rl_parse_clf(const char *p, const char *end, rl_row *r) {
    const char *host = p, *q, *qe;
    int64_t secs, v;
    int tz;
    /* host ident user */
    q = memchr(p, ' ', (size_t)(end - p));
    if (!q || q == host) return RL_E_FIELDS;
    r->client = runiso_xxh64(host, (size_t)(q - host), 0);
    p = q + 1;
    q = memchr(p, ' ', (size_t)(end - p));
    if (!q || q == p) return RL_E_FIELDS;
    p = q + 1;
    q = memchr(p, ' ', (size_t)(end - p));
    if (!q || q == p) return RL_E_FIELDS;
    p = q + 1;
    /* [dd/Mon/yyyy:HH:MM:SS +zzzz] */
    if (end - p < 28 || p[0] != '[') return RL_E_FIELDS;
    if (rl_clf_datetime(p + 1, &secs) || p[21] != ' ' || (p[22] != '+' && p[22] != '-') ||
        p[27] != ']')
        return RL_E_DATE;
    {
        int th = rl_2d(p + 23), tm = rl_2d(p + 25);
        if (th < 0 || tm < 0 || th > 23 || tm > 59) return RL_E_DATE;
        tz = th * 3600 + tm * 60;
        if (p[22] == '-') tz = -tz;
    }
    r->time_ns = (secs - tz) * 1000000000LL;
    p += 28;
    /* "request" */
    if (end - p < 2 || p[0] != ' ' || p[1] != '"') return RL_E_FIELDS;
    p += 1;
    qe = rl_quoted_end(p, end);
    if (!qe) return RL_E_QUOTE;
    rl_request(p + 1, qe, r);
    p = qe + 1;
    /* status */
    if (end - p < 4 || p[0] != ' ') return RL_E_FIELDS;
    if (!rl_isdigit(p[1]) || !rl_isdigit(p[2]) || !rl_isdigit(p[3]) || (end - p > 4 && p[4] != ' '))
        return RL_E_STATUS;
    r->status = (int16_t)((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
    p += 4;
    /* bytes */
    if (end - p < 2 || p[0] != ' ') return RL_E_FIELDS;
    p++;
    if (*p == '-' && (p + 1 == end || p[1] == ' ')) { r->size = 0; p++; }
    else {
        int err;
        q = memchr(p, ' ', (size_t)(end - p));
        if (!q) q = end;
        if ((err = rl_size_token(p, q, &v)) != RL_OK) return err;
        r->size = v; p = q;
    }
    r->ua = p; r->ua_len = 0;
    /* Optional "referer" "user-agent", then anything (trailing fields). These
     * are best effort: a line cut inside the referer keeps its request with an
     * empty user agent, one cut inside the user agent keeps it up to the end. */
    if (end - p >= 2 && p[1] == '"') {
        qe = rl_quoted_end(p + 1, end);
        if (qe) {
            p = qe + 1;
            if (end - p >= 2 && p[1] == '"') {
                qe = rl_quoted_end(p + 1, end);
                r->ua = p + 2; r->ua_len = (qe ? qe : end) - (p + 2);
            }
        }
    }
    r->session = runiso_xxh64(r->ua, (size_t)r->ua_len, r->client);
    return RL_OK;
}

/* ------------------------------------------------------------ HAProxy */

/* `int/int/.../int` with n fields, each optionally signed ('+' or '-'). */
static inline const char *rl_slashed(const char *p, const char *end, int n) {
    int i;
    for (i = 0; i < n; i++) {
        const char *s;
        if (p < end && (*p == '+' || *p == '-')) p++;
        s = p;
        while (p < end && rl_isdigit(*p)) p++;
        if (p == s || p - s > 18) return NULL;
        if (i + 1 < n) { if (p >= end || *p != '/') return NULL; p++; }
    }
    return p;
}

static inline const char *rl_token_end(const char *p, const char *end) {
    while (p < end && *p != ' ') p++;
    return p;
}

static inline int rl_parse_haproxy(const char *line, const char *end, const rl_tz *tz,
                                   rl_row *r) {
    const char *p = line, *b, *q, *cs, *ce, *ck, *cke;
    int64_t secs = 0, v;
    int found = 0;
    /* The client is the token before the first " [dd/Mon/yyyy:HH:MM:SS.mmm]";
     * anything before it is a syslog prefix. */
    while ((b = memchr(p, '[', (size_t)(end - p))) != NULL) {
        if (b > line && b[-1] == ' ' && end - b >= 26 && rl_clf_datetime(b + 1, &secs) == 0 &&
            b[21] == '.' && rl_isdigit(b[22]) && rl_isdigit(b[23]) && rl_isdigit(b[24]) &&
            b[25] == ']') {
            found = 1;
            break;
        }
        p = b + 1;
    }
    if (!found) return RL_E_DATE;
    ce = b - 1;
    cs = ce;
    while (cs > line && cs[-1] != ' ') cs--;
    {   /* ip:port -> ip (the last colon separates the port; IPv6 keeps its colons) */
        const char *c = ce;
        while (c > cs && c[-1] != ':') c--;
        if (c <= cs + 1 || c == ce) return RL_E_CLIENT;
        for (q = c; q < ce; q++) if (!rl_isdigit(*q)) return RL_E_CLIENT;
        r->client = runiso_xxh64(cs, (size_t)(c - 1 - cs), 0);
    }
    r->time_ns = rl_tz_utc(tz, secs) * 1000000000LL +
                 ((b[22] - '0') * 100 + (b[23] - '0') * 10 + (b[24] - '0')) * 1000000LL;
    p = b + 26;
    /* frontend backend/server Tq/Tw/Tc/Tr/Tt status bytes */
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_token_end(p, end); if (q == p) return RL_E_FIELDS; p = q;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_token_end(p, end);
    if (q == p || !memchr(p, '/', (size_t)(q - p))) return RL_E_FIELDS;
    p = q;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_slashed(p, end, 5);
    if (!q || (q < end && *q != ' ')) return RL_E_TIMERS;
    p = q;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++;
    if (end - p >= 2 && p[0] == '-' && p[1] == '1') { r->status = -1; q = p + 2; }
    else {
        q = rl_uint(p, end, &v);
        if (!q || q - p > 3) return RL_E_STATUS;
        r->status = (int16_t)v;
    }
    if (q < end && *q != ' ') return RL_E_STATUS;
    p = q;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++;
    if (p < end && *p == '+') p++;
    q = rl_token_end(p, end);
    {
        int err = rl_size_token(p, q, &v);
        if (err != RL_OK) return err;
    }
    r->size = v; p = q;
    /* captured_request_cookie captured_response_cookie termination_state */
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    ck = ++p; cke = rl_token_end(p, end); if (cke == ck) return RL_E_FIELDS; p = cke;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_token_end(p, end); if (q == p) return RL_E_FIELDS; p = q;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_token_end(p, end); if (q == p) return RL_E_FIELDS; p = q;
    /* actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue */
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_slashed(p, end, 5);
    if (!q || (q < end && *q != ' ')) return RL_E_TIMERS;
    p = q;
    if (p >= end || *p != ' ') return RL_E_FIELDS;
    p++; q = rl_slashed(p, end, 2);
    if (!q || (q < end && *q != ' ')) return RL_E_TIMERS;
    p = q;
    /* optional {captured request headers} {captured response headers} */
    while (end - p >= 2 && p[0] == ' ' && p[1] == '{') {
        q = memchr(p + 2, '}', (size_t)(end - p - 2));
        if (!q) return RL_E_FIELDS;
        p = q + 1;
    }
    /* "request line" (HAProxy truncates long ones, dropping the closing quote) */
    if (end - p < 2 || p[0] != ' ' || p[1] != '"') return RL_E_FIELDS;
    p += 2;
    q = (end > p && end[-1] == '"') ? end - 1 : end;
    rl_request(p, q, r);
    r->ua = p; r->ua_len = 0;
    if (cke - ck == 1 && *ck == '-') r->session = runiso_xxh64("", 0, r->client);
    else r->session = runiso_xxh64(ck, (size_t)(cke - ck), 0);
    return RL_OK;
}

/* ------------------------------------------------- plain `time key size` */

/* Decimal seconds `[-]digits[.digits]` -> ns (fraction truncated to 9 digits). */
static inline int rl_seconds_ns(const char *p, const char *end, int64_t *out) {
    int neg = 0, nd = 0;
    int64_t ip = 0, frac = 0, scale = 100000000LL;
    const char *s;
    if (p < end && *p == '-') { neg = 1; p++; }
    s = p;
    while (p < end && rl_isdigit(*p)) {
        if (++nd > 10) return -1;
        ip = ip * 10 + (*p - '0'); p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end && s + 1 == p) return -1;  /* a lone "." */
        while (p < end && rl_isdigit(*p)) {
            if (scale) { frac += (*p - '0') * scale; scale /= 10; }
            p++; nd++;
        }
    }
    if (nd == 0 || p != end || ip > 9200000000LL) return -1;
    *out = ip * 1000000000LL + frac;
    if (neg) *out = -*out;
    return 0;
}

/* Integer id -> as-is (decimal in [0, 2**64)); anything else -> xxh64. */
static inline uint64_t rl_key_token(const char *p, const char *end) {
    uint64_t v = 0;
    const char *s = p;
    if (end - p > 20 || p == end) return runiso_xxh64(s, (size_t)(end - s), 0);
    for (; p < end; p++) {
        uint64_t d;
        if (!rl_isdigit(*p)) return runiso_xxh64(s, (size_t)(end - s), 0);
        d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return runiso_xxh64(s, (size_t)(end - s), 0);
        v = v * 10 + d;
    }
    return v;
}

static inline int rl_is_ws(char c) { return c == ' ' || c == '\t'; }

static inline int rl_parse_plain(const char *p, const char *end, rl_row *r) {
    const char *t0, *t1, *k0, *k1, *s0, *s1;
    int64_t v;
    while (p < end && rl_is_ws(*p)) p++;
    t0 = p; while (p < end && !rl_is_ws(*p)) p++; t1 = p;
    while (p < end && rl_is_ws(*p)) p++;
    k0 = p; while (p < end && !rl_is_ws(*p)) p++; k1 = p;
    while (p < end && rl_is_ws(*p)) p++;
    s0 = p; while (p < end && !rl_is_ws(*p)) p++; s1 = p;
    if (t1 == t0 || k1 == k0 || s1 == s0) return RL_E_FIELDS;
    if (rl_seconds_ns(t0, t1, &r->time_ns)) return RL_E_TIME;
    {
        int err = rl_size_token(s0, s1, &v);
        if (err != RL_OK) return err;
    }
    r->size = v;
    r->key = rl_key_token(k0, k1);
    r->url = k0; r->url_len = k1 - k0;
    r->ua = k0; r->ua_len = 0;
    r->method = RL_M_NONE;
    return RL_OK;
}

/* ---------------------------------------------------------------- CSV */

/* ISO-8601 `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|+HH:MM|+HHMM|+HH]` (zone-less = UTC). */
static inline int rl_iso8601_ns(const char *p, const char *end, const rl_tz *tz, int64_t *out) {
    int y1, y2, mo, d, h, mi, s, th = 0, tm = 0, sign = 0, zoned = 0;
    int64_t local;
    int64_t frac = 0, scale = 100000000LL;
    if (end - p < 19) return -1;
    y1 = rl_2d(p); y2 = rl_2d(p + 2); mo = rl_2d(p + 5); d = rl_2d(p + 8);
    h = rl_2d(p + 11); mi = rl_2d(p + 14); s = rl_2d(p + 17);
    if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || p[4] != '-' ||
        p[7] != '-' || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
        return -1;
    if (!rl_civil_ok(y1 * 100 + y2, mo, d, h, mi, s)) return -1;
    p += 19;
    if (p < end && (*p == '.' || *p == ',')) {
        const char *fs = ++p;
        while (p < end && rl_isdigit(*p)) {
            if (scale) { frac += (*p - '0') * scale; scale /= 10; }
            p++;
        }
        if (p == fs) return -1;
    }
    if (p < end && *p == 'Z') { p++; zoned = 1; }
    else if (p < end && (*p == '+' || *p == '-')) {
        zoned = 1;
        sign = *p == '-' ? -1 : 1;
        p++;
        if (end - p < 2 || (th = rl_2d(p)) < 0 || th > 23) return -1;
        p += 2;
        if (p < end && *p == ':') p++;
        if (end - p >= 2) {
            if ((tm = rl_2d(p)) < 0 || tm > 59) return -1;
            p += 2;
        }
    }
    if (p != end) return -1;
    local = rl_civil_seconds(y1 * 100 + y2, mo, d, h, mi, s);
    *out = (zoned ? local - sign * (th * 3600 + tm * 60) : rl_tz_utc(tz, local)) *
               1000000000LL + frac;
    return 0;
}

static inline int rl_csv_time(const char *p, const char *end, const rl_tz *tz, int64_t *out) {
    if (end - p >= 10 && p[4] == '-') return rl_iso8601_ns(p, end, tz, out);
    return rl_seconds_ns(p, end, out);
}

/* Hash a CSV field, undoing "" escapes of a quoted field. */
static inline uint64_t rl_csv_hash(const char *p, const char *end, int esc, uint64_t seed) {
    char small[512], *buf;
    int64_t n = 0;
    uint64_t h;
    const char *q;
    if (!esc) return runiso_xxh64(p, (size_t)(end - p), seed);
    buf = (end - p) <= (int64_t)sizeof small ? small : (char *)malloc((size_t)(end - p));
    if (!buf) return runiso_xxh64(p, (size_t)(end - p), seed);  /* OOM: hash escaped bytes */
    for (q = p; q < end; q++) {
        buf[n++] = *q;
        if (*q == '"' && q + 1 < end && q[1] == '"') q++;
    }
    h = runiso_xxh64(buf, (size_t)n, seed);
    if (buf != small) free(buf);
    return h;
}

static inline int rl_parse_csv(const char *p, const char *end, const rl_csv *m, const rl_tz *tz,
                               rl_row *r) {
    int col = 0, have_session = 0, have_key = 0, have_client = 0, have_time = 0;
    const char *key_s = NULL, *key_e = NULL;
    int key_esc = 0;
    r->method = RL_M_NONE;
    r->url = p; r->url_len = 0; r->ua = p; r->ua_len = 0;
    while (col < m->n_roles) {
        const char *fs, *fe;
        int esc = 0, role;
        int64_t v;
        if (p < end && *p == '"') {
            fs = ++p;
            for (;;) {
                if (p >= end) return RL_E_QUOTE;
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') { esc = 1; p += 2; continue; }
                    break;
                }
                p++;
            }
            fe = p++;
            if (p < end && *p != m->delim) return RL_E_QUOTE;
        } else {
            fs = p;
            while (p < end && *p != m->delim) p++;
            fe = p;
        }
        role = m->roles[col];
        switch (role) {
        case RL_R_TIME:
            if (rl_csv_time(fs, fe, tz, &r->time_ns)) return RL_E_TIME;
            have_time = 1; break;
        case RL_R_KEY:
            if (fe == fs) return RL_E_KEY;
            r->key = esc ? rl_csv_hash(fs, fe, 1, 0) : rl_key_token(fs, fe);
            key_s = fs; key_e = fe; key_esc = esc; have_key |= 1; break;
        case RL_R_URL:
            if (!(have_key & 1)) r->key = rl_csv_hash(fs, fe, esc, 0);
            r->url = fs; r->url_len = fe - fs; have_key |= 2; break;
        case RL_R_SIZE:
            if (fe == fs || (fe - fs == 1 && *fs == '-')) r->size = 0;
            else {
                int err = rl_size_token(fs, fe, &v);
                if (err != RL_OK) return err;
                r->size = v;
            }
            break;
        case RL_R_CLIENT:
            r->client = rl_csv_hash(fs, fe, esc, 0); have_client = 1; break;
        case RL_R_SESSION:
            r->session = rl_csv_hash(fs, fe, esc, 0); have_session = 1; break;
        case RL_R_STATUS:
            if (fe == fs || (fe - fs == 1 && *fs == '-')) r->status = 0;
            else if (rl_uint(fs, fe, &v) != fe || v > 999) return RL_E_STATUS;
            else r->status = (int16_t)v;
            break;
        case RL_R_METHOD:
            r->method = (fe == fs || (fe - fs == 1 && *fs == '-'))
                ? RL_M_NONE : (uint8_t)rl_method_code(fs, fe - fs);
            break;
        case RL_R_SITE:
            r->site = rl_csv_hash(fs, fe, esc, 0); break;
        default: break;
        }
        col++;
        if (col < m->n_roles) {
            if (p >= end) return RL_E_COLUMNS;
            p++;  /* the delimiter */
        }
    }
    (void)have_time; (void)key_esc;
    /* A key column wins over a url column for the key; the url column (when
     * mapped) gives the string, else the key column's text. */
    if (!(have_key & 2) && key_s) { r->url = key_s; r->url_len = key_e - key_s; }
    if (!have_session) r->session = have_client ? runiso_xxh64("", 0, r->client) : 0;
    return RL_OK;
}

/* ------------------------------------------------------------ Tencent */

/* Next whitespace-separated token of [*pp, end): sets [*ts, *te), advances. */
static inline int rl_next_token(const char **pp, const char *end, const char **ts,
                                const char **te) {
    const char *p = *pp;
    while (p < end && rl_is_ws(*p)) p++;
    *ts = p;
    while (p < end && !rl_is_ws(*p)) p++;
    *te = p; *pp = p;
    return *te > *ts;
}

/* `YYYYMMDDhhmmss photo_id format spec size [flag terminal response_time ...]`
 * (SNIA IOTTA Tencent Photo Cache). The key is one stored rendition,
 * xxh64("photo_id/format/spec"), built in kbuf (RL_KEY_MAX bytes); the time
 * is local (China time by default: the caller's rl_tz). */
static inline int rl_parse_tencent(const char *p, const char *end, const rl_tz *tz, char *kbuf,
                                   rl_row *r) {
    const char *ts, *te, *f[3][2], *ss, *se;
    int y1, y2, mo, d, h, mi, s, i;
    int64_t n = 0, v;
    if (!rl_next_token(&p, end, &ts, &te)) return RL_E_FIELDS;
    for (i = 0; i < 3; i++)
        if (!rl_next_token(&p, end, &f[i][0], &f[i][1])) return RL_E_FIELDS;
    if (!rl_next_token(&p, end, &ss, &se)) return RL_E_FIELDS;
    if (te - ts != 14) return RL_E_DATE;
    for (i = 0; i < 14; i++) if (!rl_isdigit(ts[i])) return RL_E_DATE;
    y1 = rl_2d(ts); y2 = rl_2d(ts + 2); mo = rl_2d(ts + 4); d = rl_2d(ts + 6);
    h = rl_2d(ts + 8); mi = rl_2d(ts + 10); s = rl_2d(ts + 12);
    if (!rl_civil_ok(y1 * 100 + y2, mo, d, h, mi, s)) return RL_E_DATE;
    {
        int err = rl_size_token(ss, se, &v);
        if (err != RL_OK) return err;
    }
    for (i = 0; i < 3; i++) {
        int64_t len = f[i][1] - f[i][0];
        if (n + len + (i > 0) > RL_KEY_MAX) return RL_E_KEY;
        if (i > 0) kbuf[n++] = '/';
        memcpy(kbuf + n, f[i][0], (size_t)len);
        n += len;
    }
    r->time_ns = rl_tz_utc(tz, rl_civil_seconds(y1 * 100 + y2, mo, d, h, mi, s)) * 1000000000LL;
    r->key = runiso_xxh64(kbuf, (size_t)n, 0);
    r->url = kbuf; r->url_len = n;
    r->ua = kbuf; r->ua_len = 0;
    r->size = v;
    r->method = RL_M_NONE;
    return RL_OK;
}

/* --------------------------------------------------------- `key [size]` */

static inline int rl_parse_keys(const char *p, const char *end, rl_row *r) {
    const char *k0, *k1, *s0, *s1, *x0, *x1;
    int64_t v;
    if (!rl_next_token(&p, end, &k0, &k1)) return RL_E_FIELDS;
    if (rl_next_token(&p, end, &s0, &s1)) {
        int err;
        if (rl_next_token(&p, end, &x0, &x1)) return RL_E_FIELDS;
        if ((err = rl_size_token(s0, s1, &v)) != RL_OK) return err;
        r->size = v;
        r->sized = 1;
    }
    r->key = rl_key_token(k0, k1);
    r->url = k0; r->url_len = k1 - k0;
    r->ua = k0; r->ua_len = 0;
    r->method = RL_M_NONE;
    return RL_OK;
}

/* ------------------------------------------------------------- driver */

static inline int rl_blob_append(rl_blob *b, const char *p, int64_t n) {
    if (b->len + n > b->cap) {
        int64_t cap = b->cap ? b->cap : 1 << 16;
        char *d;
        while (cap < b->len + n) cap *= 2;
        d = (char *)realloc(b->data, (size_t)cap);
        if (!d) return -1;
        b->data = d; b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, (size_t)n);
    b->len += n;
    return 0;
}

static inline void rl_note_malformed(rl_state *st, int reason, int64_t off, int64_t len) {
    st->malformed++;
    if (st->examples_wanted > 0 && st->n_ex < RL_MAX_EX) {
        st->ex_line[st->n_ex] = st->line_no;
        st->ex_reason[st->n_ex] = reason;
        st->ex_off[st->n_ex] = off;
        st->ex_len[st->n_ex] = len;
        st->n_ex++;
        st->examples_wanted--;
    }
}

/* Parse complete lines of buf[pos:len] into c until c is full, the data ends
 * (a last line without '\n' is parsed only when `final`), or a malformed line
 * is met in strict mode (st->stopped). Returns the new position, or -1 when a
 * string blob cannot grow (out of memory). */
static inline int64_t rl_feed(int fmt, const rl_csv *csv, const char *buf, int64_t pos,
                              int64_t len, int final, rl_cols *c, rl_state *st) {
    char kbuf[RL_KEY_MAX];  /* composite keys (Tencent); a row's url may point here */
    st->n_ex = 0;
    while (pos < len && c->n < c->cap) {
        const char *line = buf + pos, *nl, *e, *q;
        int64_t llen, next;
        int err;
        rl_row r;
        nl = (const char *)memchr(line, '\n', (size_t)(len - pos));
        if (nl) { llen = nl - line; next = pos + llen + 1; }
        else if (final) { llen = len - pos; next = len; }
        else break;
        st->line_no++;
        e = line + llen;
        if (e > line && e[-1] == '\r') e--;
        for (q = line; q < e && (*q == ' ' || *q == '\t'); q++) {}
        /* a line over the limit is "line too long" even if blank: the verdict it gets
           when it spans reads and the reader skips it unread */
        if (q == e && !(st->max_line && llen > st->max_line)) { st->blank++; pos = next; continue; }
        memset(&r, 0, sizeof r);
        if (st->max_line && llen > st->max_line) err = RL_E_TOO_LONG;
        else if (memchr(line, 0, (size_t)(e - line))) err = RL_E_NUL;
        else if (fmt == RL_FMT_CLF) err = rl_parse_clf(line, e, &r);
        else if (fmt == RL_FMT_HAPROXY) err = rl_parse_haproxy(line, e, &st->tz, &r);
        else if (fmt == RL_FMT_PLAIN) err = rl_parse_plain(line, e, &r);
        else if (fmt == RL_FMT_TENCENT) err = rl_parse_tencent(line, e, &st->tz, kbuf, &r);
        else if (fmt == RL_FMT_KEYS) err = rl_parse_keys(line, e, &r);
        else err = rl_parse_csv(line, e, csv, &st->tz, &r);
        if (err != RL_OK) {
            rl_note_malformed(st, err, pos, e - line);
            pos = next;
            if (st->strict) { st->stopped = 1; return pos; }
            continue;
        }
        if (fmt == RL_FMT_CLF || fmt == RL_FMT_HAPROXY)
            r.key = runiso_xxh64(r.url, (size_t)r.url_len, 0);
        if (st->have_last && r.time_ns < st->last_time) st->backwards++;
        st->last_time = r.time_ns; st->have_last = 1;
        st->sized += r.sized;
        c->time_ns[c->n] = r.time_ns;
        c->key[c->n] = r.key;
        c->size[c->n] = r.size;
        c->status[c->n] = r.status;
        c->method[c->n] = r.method;
        c->client[c->n] = r.client;
        c->session[c->n] = r.session;
        c->site[c->n] = r.site;
        if (c->url_end) {
            if (rl_blob_append(&c->url_blob, r.url, r.url_len)) return -1;
            c->url_end[c->n] = c->url_blob.len;
        }
        if (c->ua_end) {
            if (rl_blob_append(&c->ua_blob, r.ua, r.ua_len)) return -1;
            c->ua_end[c->n] = c->ua_blob.len;
        }
        c->n++;
        pos = next;
    }
    return pos;
}

#endif /* RUNISO_LOGPARSE_H */
