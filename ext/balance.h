/* Small inline helpers of the site balancer (src/runiso_core/_balance.pyx).
 * The pure-Python reference (_balance_py.py) mirrors each of them bit for bit. */
#ifndef RUNISO_BALANCE_H
#define RUNISO_BALANCE_H

#include <stdint.h>
#include "xxh64.h"

#define RUNISO_GOLDEN64 0x9E3779B97F4A7C15ULL /* probe stride of bounded-load walks */
#define RUNISO_SITE_SALT 0x5BD1E9955BD1E995ULL /* decorrelates the site choice from the in-site hash */
#define RUNISO_PPM 1000000ULL

/* splitmix64 (Steele, Lea, Flood 2014): the p2c generator, state on the balancer. */
static inline uint64_t runiso_splitmix64(uint64_t *state) {
    uint64_t z = (*state += RUNISO_GOLDEN64);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n) from the high 32 bits of r (Lemire's multiply-shift). */
static inline uint32_t runiso_below(uint64_t r, uint32_t n) {
    return (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
}

/* Floor division for int64 (C truncates toward zero). */
static inline int64_t runiso_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}

/* Position of a key in [0, 1e6) for the sticky choice of a destination site. */
static inline int64_t runiso_ppm_point(uint64_t key) {
    return (int64_t)(((runiso_mix64(key ^ RUNISO_SITE_SALT) >> 32) * RUNISO_PPM) >> 32);
}

/* k-th re-hash of a key for the bounded-load walk (k >= 1). */
static inline uint64_t runiso_probe(uint64_t key, uint64_t k) {
    return runiso_mix64(key + k * RUNISO_GOLDEN64);
}

/* NGINX smooth weighted round-robin over the candidates c[0..n): every candidate's
 * current weight grows by its weight, the largest current (first one on ties) wins
 * and gives back the total. Written with selects rather than branches: which
 * candidate leads is data-dependent and mispredicts. */
static inline int32_t runiso_swrr_pick(const int32_t *c, int32_t n, int64_t *cur, const int64_t *w) {
    int64_t total = 0, best = INT64_MIN;
    int32_t b = c[0];
    for (int32_t i = 0; i < n; i++) {
        const int32_t k = c[i];
        const int64_t v = cur[k] + w[k];
        const int gt = v > best;
        cur[k] = v;
        total += w[k];
        best = gt ? v : best;
        b = gt ? k : b;
    }
    cur[b] -= total;
    return b;
}

#endif /* RUNISO_BALANCE_H */
