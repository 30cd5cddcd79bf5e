/* Exact integer token bucket: one concept, one place.
 *
 * Units (all integers, no floating point after construction):
 *   time    int64 nanoseconds (callers convert seconds once with rn_sec_to_ns);
 *   tokens  int64 "nano-tokens": 1 token = RN_NS = 1e9 nano-tokens;
 *   rate    int64 nano-tokens per second (the float rate quantised ONCE, rounded);
 *   rem     uint32 carry, in nano-tokens * 1e-9 (0 <= rem < 1e9).
 *
 * Refilling over `el` ns mints el * rate / 1e9 nano-tokens; the exact product
 * el * rate + rem is formed in 128 bits, the quotient is added to `tokens`
 * and the remainder carried in `rem`, so refilling in many small steps mints
 * exactly what one big step would (no drift, ever). When the bucket reaches
 * `cap` the surplus and the carry are discarded, as in the continuous model
 * tokens(t) = min(cap, tokens(t0) + rate * (t - t0)). `el` is capped at
 * `fill_ns` (time to refill from empty) first, so no product can overflow.
 *
 * Time going backwards (now <= last) mints nothing and keeps last = max time
 * seen. A bucket that was never touched has last == RN_T_UNSET: its first call
 * only starts its clock.
 *
 * Header-only, static inline, no allocation, no errors: safe without the GIL.
 */
#ifndef RUNISO_TOKENBUCKET_H
#define RUNISO_TOKENBUCKET_H

#include <stdint.h>

#if !defined(__SIZEOF_INT128__)
#error "rn_tokenbucket.h needs a compiler with unsigned __int128 (GCC/Clang on 64-bit targets)"
#endif

#define RN_NS 1000000000LL              /* ns per second and nano-tokens per token */
#define RN_T_UNSET INT64_MIN            /* bucket clock not started yet */
#define RN_T_MAX (((int64_t)1) << 62)   /* largest accepted time, ns (~146 years) */

__extension__ typedef unsigned __int128 rn_u128;

/* Seconds -> ns, rounded to nearest (half up). Caller guarantees
 * 0 <= s and s * 1e9 < RN_T_MAX. x - i is exact: both are within 1 of each
 * other and below 2**63, so no libm call and no platform rounding mode. */
static inline int64_t rn_sec_to_ns(double s) {
    double x = s * 1e9;
    int64_t i = (int64_t)x;
    if (x - (double)i >= 0.5) i++;
    return i;
}

/* Shared, immutable parameters of a family of buckets. */
typedef struct {
    int64_t rate;     /* nano-tokens per second, >= 1 */
    int64_t cap;      /* burst in nano-tokens, >= RN_NS */
    int64_t fill_ns;  /* ceil(cap * 1e9 / rate): refill time from empty */
} rn_tb_params;

/* One bucket: 20 bytes (4-byte packing keeps the keyed table under 48 B/key). */
#pragma pack(push, 4)
typedef struct {
    int64_t last;     /* max time seen, ns (RN_T_UNSET before the first call) */
    int64_t tokens;   /* nano-tokens, 0 <= tokens <= cap */
    uint32_t rem;     /* carry of the last refill, < 1e9 */
} rn_tb;
#pragma pack(pop)

static inline void rn_tb_params_init(rn_tb_params *p, int64_t rate, int64_t cap) {
    rn_u128 num = (rn_u128)(uint64_t)cap * (uint64_t)RN_NS;
    rn_u128 fill = (num + (uint64_t)rate - 1) / (uint64_t)rate;
    p->rate = rate;
    p->cap = cap;
    /* A slow rate and a big burst can need more than 2**63 ns (e.g. 1e-9
     * tokens/s, burst 10): saturate. Elapsed times stay below RN_T_MAX, so a
     * saturated fill_ns is never reached and el * rate < cap * 1e9 still
     * bounds every mint below cap. */
    p->fill_ns = fill > (rn_u128)INT64_MAX ? INT64_MAX : (int64_t)fill;
}

static inline void rn_tb_init(rn_tb *b, int64_t tokens, int64_t last) {
    b->last = last;
    b->tokens = tokens;
    b->rem = 0;
}

/* Nano-tokens minted over el ns with carry *rem (el < fill_ns). */
static inline int64_t rn_tb__mint(const rn_tb_params *p, int64_t el, uint32_t *rem) {
    rn_u128 acc = (rn_u128)(uint64_t)el * (uint64_t)p->rate + *rem;
    uint64_t q, r;
    if ((uint64_t)(acc >> 64) == 0) {      /* usual case: a 64-bit division by a constant */
        uint64_t lo = (uint64_t)acc;
        q = lo / (uint64_t)RN_NS;
        r = lo % (uint64_t)RN_NS;
    } else {
        q = (uint64_t)(acc / (uint64_t)RN_NS);
        r = (uint64_t)(acc % (uint64_t)RN_NS);
    }
    *rem = (uint32_t)r;
    return (int64_t)q;
}

/* Bring the bucket to time `now` (idempotent and composable). */
static inline void rn_tb_refill(rn_tb *b, const rn_tb_params *p, int64_t now) {
    int64_t el, t;
    if (now <= b->last) return;                  /* backwards or same instant: nothing */
    if (b->last == RN_T_UNSET) { b->last = now; return; }
    el = now - b->last;
    b->last = now;
    if (el >= p->fill_ns) { b->tokens = p->cap; b->rem = 0; return; }
    t = b->tokens + rn_tb__mint(p, el, &b->rem);   /* a full bucket needs no special case */
    b->rem = t >= p->cap ? 0 : b->rem;
    b->tokens = t >= p->cap ? p->cap : t;
}

/* Take `need` nano-tokens at `now` if available. */
static inline int rn_tb_try(rn_tb *b, const rn_tb_params *p, int64_t now, int64_t need) {
    int ok;
    rn_tb_refill(b, p, now);
    ok = b->tokens >= need;
    b->tokens -= ok ? need : 0;   /* branch-free: the outcome is unpredictable */
    return ok;
}

/* Would the bucket be full at `now`? (read-only) */
static inline int rn_tb_full_at(const rn_tb *b, const rn_tb_params *p, int64_t now) {
    int64_t el;
    uint32_t rem = b->rem;
    if (b->tokens >= p->cap) return 1;
    if (now <= b->last || b->last == RN_T_UNSET) return 0;
    el = now - b->last;
    if (el >= p->fill_ns) return 1;
    return b->tokens + rn_tb__mint(p, el, &rem) >= p->cap;
}

/* ns from `now` until `need` nano-tokens are available (0 if they are);
 * call after rn_tb_refill(b, p, now). The smallest w with
 * tokens + floor((w * rate + rem) / 1e9) >= need, as a double: with a slow
 * rate it can exceed 2**63 ns (up to 1e27), so it is rounded once from the
 * exact 128-bit quotient instead of wrapping in int64. */
static inline double rn_tb_wait_ns(const rn_tb *b, const rn_tb_params *p, int64_t need) {
    rn_u128 target;
    if (b->tokens >= need) return 0.0;
    target = (rn_u128)(uint64_t)(need - b->tokens) * (uint64_t)RN_NS - b->rem;
    return (double)((target + (uint64_t)p->rate - 1) / (uint64_t)p->rate);
}

#endif
