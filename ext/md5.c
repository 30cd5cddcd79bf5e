/* MD5 written from RFC 1321, section 3 (one-shot form). */
#include "md5.h"
#include <string.h>

/* The 64 steps of RFC 1321 section 3.4, unrolled (the compiler keeps a, b, c, d
 * and the 16 message words in registers; ~2x the speed of a stepped loop). */
#define RMD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define RMD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define RMD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define RMD5_I(x, y, z) ((y) ^ ((x) | ~(z)))
#define RMD5_STEP(f, a, b, c, d, x, t, s) \
    (a) += f((b), (c), (d)) + (x) + (uint32_t)(t); \
    (a) = ((a) << (s)) | ((a) >> (32 - (s))); \
    (a) += (b);

static void md5_block(uint32_t st[4], const unsigned char *blk) {
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)blk[4 * i] | ((uint32_t)blk[4 * i + 1] << 8) |
               ((uint32_t)blk[4 * i + 2] << 16) | ((uint32_t)blk[4 * i + 3] << 24);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];

    RMD5_STEP(RMD5_F, a, b, c, d, m[0], 0xd76aa478, 7)
    RMD5_STEP(RMD5_F, d, a, b, c, m[1], 0xe8c7b756, 12)
    RMD5_STEP(RMD5_F, c, d, a, b, m[2], 0x242070db, 17)
    RMD5_STEP(RMD5_F, b, c, d, a, m[3], 0xc1bdceee, 22)
    RMD5_STEP(RMD5_F, a, b, c, d, m[4], 0xf57c0faf, 7)
    RMD5_STEP(RMD5_F, d, a, b, c, m[5], 0x4787c62a, 12)
    RMD5_STEP(RMD5_F, c, d, a, b, m[6], 0xa8304613, 17)
    RMD5_STEP(RMD5_F, b, c, d, a, m[7], 0xfd469501, 22)
    RMD5_STEP(RMD5_F, a, b, c, d, m[8], 0x698098d8, 7)
    RMD5_STEP(RMD5_F, d, a, b, c, m[9], 0x8b44f7af, 12)
    RMD5_STEP(RMD5_F, c, d, a, b, m[10], 0xffff5bb1, 17)
    RMD5_STEP(RMD5_F, b, c, d, a, m[11], 0x895cd7be, 22)
    RMD5_STEP(RMD5_F, a, b, c, d, m[12], 0x6b901122, 7)
    RMD5_STEP(RMD5_F, d, a, b, c, m[13], 0xfd987193, 12)
    RMD5_STEP(RMD5_F, c, d, a, b, m[14], 0xa679438e, 17)
    RMD5_STEP(RMD5_F, b, c, d, a, m[15], 0x49b40821, 22)

    RMD5_STEP(RMD5_G, a, b, c, d, m[1], 0xf61e2562, 5)
    RMD5_STEP(RMD5_G, d, a, b, c, m[6], 0xc040b340, 9)
    RMD5_STEP(RMD5_G, c, d, a, b, m[11], 0x265e5a51, 14)
    RMD5_STEP(RMD5_G, b, c, d, a, m[0], 0xe9b6c7aa, 20)
    RMD5_STEP(RMD5_G, a, b, c, d, m[5], 0xd62f105d, 5)
    RMD5_STEP(RMD5_G, d, a, b, c, m[10], 0x02441453, 9)
    RMD5_STEP(RMD5_G, c, d, a, b, m[15], 0xd8a1e681, 14)
    RMD5_STEP(RMD5_G, b, c, d, a, m[4], 0xe7d3fbc8, 20)
    RMD5_STEP(RMD5_G, a, b, c, d, m[9], 0x21e1cde6, 5)
    RMD5_STEP(RMD5_G, d, a, b, c, m[14], 0xc33707d6, 9)
    RMD5_STEP(RMD5_G, c, d, a, b, m[3], 0xf4d50d87, 14)
    RMD5_STEP(RMD5_G, b, c, d, a, m[8], 0x455a14ed, 20)
    RMD5_STEP(RMD5_G, a, b, c, d, m[13], 0xa9e3e905, 5)
    RMD5_STEP(RMD5_G, d, a, b, c, m[2], 0xfcefa3f8, 9)
    RMD5_STEP(RMD5_G, c, d, a, b, m[7], 0x676f02d9, 14)
    RMD5_STEP(RMD5_G, b, c, d, a, m[12], 0x8d2a4c8a, 20)

    RMD5_STEP(RMD5_H, a, b, c, d, m[5], 0xfffa3942, 4)
    RMD5_STEP(RMD5_H, d, a, b, c, m[8], 0x8771f681, 11)
    RMD5_STEP(RMD5_H, c, d, a, b, m[11], 0x6d9d6122, 16)
    RMD5_STEP(RMD5_H, b, c, d, a, m[14], 0xfde5380c, 23)
    RMD5_STEP(RMD5_H, a, b, c, d, m[1], 0xa4beea44, 4)
    RMD5_STEP(RMD5_H, d, a, b, c, m[4], 0x4bdecfa9, 11)
    RMD5_STEP(RMD5_H, c, d, a, b, m[7], 0xf6bb4b60, 16)
    RMD5_STEP(RMD5_H, b, c, d, a, m[10], 0xbebfbc70, 23)
    RMD5_STEP(RMD5_H, a, b, c, d, m[13], 0x289b7ec6, 4)
    RMD5_STEP(RMD5_H, d, a, b, c, m[0], 0xeaa127fa, 11)
    RMD5_STEP(RMD5_H, c, d, a, b, m[3], 0xd4ef3085, 16)
    RMD5_STEP(RMD5_H, b, c, d, a, m[6], 0x04881d05, 23)
    RMD5_STEP(RMD5_H, a, b, c, d, m[9], 0xd9d4d039, 4)
    RMD5_STEP(RMD5_H, d, a, b, c, m[12], 0xe6db99e5, 11)
    RMD5_STEP(RMD5_H, c, d, a, b, m[15], 0x1fa27cf8, 16)
    RMD5_STEP(RMD5_H, b, c, d, a, m[2], 0xc4ac5665, 23)

    RMD5_STEP(RMD5_I, a, b, c, d, m[0], 0xf4292244, 6)
    RMD5_STEP(RMD5_I, d, a, b, c, m[7], 0x432aff97, 10)
    RMD5_STEP(RMD5_I, c, d, a, b, m[14], 0xab9423a7, 15)
    RMD5_STEP(RMD5_I, b, c, d, a, m[5], 0xfc93a039, 21)
    RMD5_STEP(RMD5_I, a, b, c, d, m[12], 0x655b59c3, 6)
    RMD5_STEP(RMD5_I, d, a, b, c, m[3], 0x8f0ccc92, 10)
    RMD5_STEP(RMD5_I, c, d, a, b, m[10], 0xffeff47d, 15)
    RMD5_STEP(RMD5_I, b, c, d, a, m[1], 0x85845dd1, 21)
    RMD5_STEP(RMD5_I, a, b, c, d, m[8], 0x6fa87e4f, 6)
    RMD5_STEP(RMD5_I, d, a, b, c, m[15], 0xfe2ce6e0, 10)
    RMD5_STEP(RMD5_I, c, d, a, b, m[6], 0xa3014314, 15)
    RMD5_STEP(RMD5_I, b, c, d, a, m[13], 0x4e0811a1, 21)
    RMD5_STEP(RMD5_I, a, b, c, d, m[4], 0xf7537e82, 6)
    RMD5_STEP(RMD5_I, d, a, b, c, m[11], 0xbd3af235, 10)
    RMD5_STEP(RMD5_I, c, d, a, b, m[2], 0x2ad7d2bb, 15)
    RMD5_STEP(RMD5_I, b, c, d, a, m[9], 0xeb86d391, 21)

    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
}

void runiso_md5(const void *data, size_t len, unsigned char out[16]) {
    uint32_t st[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const unsigned char *p = (const unsigned char *)data;
    size_t full = len / 64;
    for (size_t i = 0; i < full; i++) md5_block(st, p + 64 * i);
    unsigned char tail[128];
    size_t rem = len - full * 64;
    memcpy(tail, p + full * 64, rem);
    tail[rem] = 0x80;
    size_t tlen = (rem < 56) ? 64 : 128;
    memset(tail + rem + 1, 0, tlen - rem - 1);
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tlen - 8 + i] = (unsigned char)(bits >> (8 * i));
    md5_block(st, tail);
    if (tlen == 128) md5_block(st, tail + 64);
    for (int i = 0; i < 4; i++) {
        out[4 * i] = (unsigned char)st[i];
        out[4 * i + 1] = (unsigned char)(st[i] >> 8);
        out[4 * i + 2] = (unsigned char)(st[i] >> 16);
        out[4 * i + 3] = (unsigned char)(st[i] >> 24);
    }
}
