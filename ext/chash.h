/* Small inline helpers of the consistent-hashing core (src/runiso_core/_hashing.pyx). */
#ifndef RUNISO_CHASH_H
#define RUNISO_CHASH_H

#include <stddef.h>
#include <stdint.h>
#include "md5.h"

/* Map a uniform 64-bit hash into [0, m) without a division (Lemire, "A fast
 * alternative to the modulo reduction"): floor(h * m / 2**64). Uniform keys give
 * uniform slots; it is several times cheaper than h % m for a runtime m. */
static inline uint64_t runiso_reduce64(uint64_t h, uint64_t m) {
    return (uint64_t)(((unsigned __int128)h * m) >> 64);
}

/* Lamping & Veach jump consistent hash, arithmetic exactly as the
 * jump-consistent-hash package's jump.c (64-bit LCG, double division, the
 * product truncated to int64). */
static inline int32_t runiso_jump(uint64_t key, int32_t num_buckets) {
    int64_t b = -1, j = 0;
    while (j < num_buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (int32_t)b;
}

/* Batch jump: 8 keys advance in lock-step, branch-free per lane, so the
 * divisions of independent keys overlap instead of each key's data-dependent
 * loop exit stalling the pipeline. Same arithmetic per lane as runiso_jump. */
#define RUNISO_JUMP_LANES 8
static inline void runiso_jump_many(const uint64_t *keys, int32_t *out, ptrdiff_t n, int32_t num_buckets) {
    ptrdiff_t i = 0;
    for (; i + RUNISO_JUMP_LANES <= n; i += RUNISO_JUMP_LANES) {
        uint64_t k[RUNISO_JUMP_LANES];
        int64_t b[RUNISO_JUMP_LANES], j[RUNISO_JUMP_LANES];
        for (int l = 0; l < RUNISO_JUMP_LANES; l++) { k[l] = keys[i + l]; b[l] = -1; j[l] = 0; }
        for (;;) {
            int active = 0;
            for (int l = 0; l < RUNISO_JUMP_LANES; l++) active |= (j[l] < num_buckets);
            if (!active) break;
            for (int l = 0; l < RUNISO_JUMP_LANES; l++) {
                int go = j[l] < num_buckets;
                uint64_t nk = k[l] * 2862933555777941757ULL + 1;
                int64_t nj = (int64_t)((double)(j[l] + 1) *
                                       ((double)(1LL << 31) / (double)(int64_t)((nk >> 33) + 1)));
                b[l] = go ? j[l] : b[l];
                k[l] = go ? nk : k[l];
                j[l] = go ? nj : j[l];
            }
        }
        for (int l = 0; l < RUNISO_JUMP_LANES; l++) out[i + l] = (int32_t)b[l];
    }
    for (; i < n; i++) out[i] = runiso_jump(keys[i], num_buckets);
}

/* ketama point of a key: the first 4 bytes of MD5(key), little-endian, as in
 * libmemcached / uhashring (hash_fn="ketama"). `seed` is ignored; the
 * signature matches runiso_xxh64 so both plug into the same key coercion. */
static inline uint64_t runiso_ketama_point(const void *data, size_t len, uint64_t seed) {
    unsigned char d[16];
    (void)seed;
    runiso_md5(data, len, d);
    return (uint64_t)d[0] | ((uint64_t)d[1] << 8) | ((uint64_t)d[2] << 16) | ((uint64_t)d[3] << 24);
}

/* Points r = 0..3 of one ketama digest: little-endian uint32 of bytes 4r..4r+3. */
static inline uint32_t runiso_ketama_digest_point(const unsigned char d[16], int r) {
    return (uint32_t)d[4 * r] | ((uint32_t)d[4 * r + 1] << 8) | ((uint32_t)d[4 * r + 2] << 16) |
           ((uint32_t)d[4 * r + 3] << 24);
}

#endif /* RUNISO_CHASH_H */
