/* XXH64, written from the published specification
 * (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md, "XXH64 Algorithm").
 * Header-only and static inline so that the hot loops of every core inline it.
 * Little-endian reads are done with memcpy (no alignment assumptions). */
#ifndef RUNISO_XXH64_H
#define RUNISO_XXH64_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RXXH_P1 0x9E3779B185EBCA87ULL
#define RXXH_P2 0xC2B2AE3D27D4EB4FULL
#define RXXH_P3 0x165667B19E3779F9ULL
#define RXXH_P4 0x85EBCA77C2B2AE63ULL
#define RXXH_P5 0x27D4EB2F165667C5ULL

static inline uint64_t rxxh_rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t rxxh_read64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t rxxh_read32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t rxxh_round(uint64_t acc, uint64_t lane) {
    acc += lane * RXXH_P2;
    acc = rxxh_rotl(acc, 31);
    return acc * RXXH_P1;
}

static inline uint64_t rxxh_merge(uint64_t acc, uint64_t v) {
    acc ^= rxxh_round(0, v);
    return acc * RXXH_P1 + RXXH_P4;
}

static inline uint64_t runiso_xxh64(const void *data, size_t len, uint64_t seed) {
    const unsigned char *p = (const unsigned char *)data;
    const unsigned char *end = p + len;
    uint64_t h;

    if (len >= 32) {
        const unsigned char *limit = end - 32;
        uint64_t v1 = seed + RXXH_P1 + RXXH_P2;
        uint64_t v2 = seed + RXXH_P2;
        uint64_t v3 = seed;
        uint64_t v4 = seed - RXXH_P1;
        do {
            v1 = rxxh_round(v1, rxxh_read64(p));
            v2 = rxxh_round(v2, rxxh_read64(p + 8));
            v3 = rxxh_round(v3, rxxh_read64(p + 16));
            v4 = rxxh_round(v4, rxxh_read64(p + 24));
            p += 32;
        } while (p <= limit);
        h = rxxh_rotl(v1, 1) + rxxh_rotl(v2, 7) + rxxh_rotl(v3, 12) + rxxh_rotl(v4, 18);
        h = rxxh_merge(h, v1);
        h = rxxh_merge(h, v2);
        h = rxxh_merge(h, v3);
        h = rxxh_merge(h, v4);
    } else {
        h = seed + RXXH_P5;
    }
    h += (uint64_t)len;

    while (p + 8 <= end) {
        h ^= rxxh_round(0, rxxh_read64(p));
        h = rxxh_rotl(h, 27) * RXXH_P1 + RXXH_P4;
        p += 8;
    }
    if (p + 4 <= end) {
        h ^= (uint64_t)rxxh_read32(p) * RXXH_P1;
        h = rxxh_rotl(h, 23) * RXXH_P2 + RXXH_P3;
        p += 4;
    }
    while (p < end) {
        h ^= (uint64_t)(*p) * RXXH_P5;
        h = rxxh_rotl(h, 11) * RXXH_P1;
        p++;
    }
    h ^= h >> 33;
    h *= RXXH_P2;
    h ^= h >> 29;
    h *= RXXH_P3;
    h ^= h >> 32;
    return h;
}

/* The 64-bit finaliser of MurmurHash3 (fmix64): a bijective mixer used to
 * derive independent-looking values from one key hash (e.g. per-node scores,
 * per-attempt re-hashes). */
static inline uint64_t runiso_mix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

/* Home-slot hash of the open-addressing tables (admission key tables, cache
 * index). `salt` is drawn at random per table object: an attacker who can
 * choose keys cannot aim them at one probe run (hash flooding), and nothing a
 * table returns depends on slot positions (eviction follows the lists), so
 * decisions stay deterministic. */
static inline uint64_t runiso_table_hash(uint64_t key, uint64_t salt) {
    return runiso_mix64(key ^ salt);
}

#endif /* RUNISO_XXH64_H */
