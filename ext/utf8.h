/* UCS-4 -> UTF-8, for hashing numpy 'U' arrays without a Python object per
 * element. A lone surrogate or a code point above U+10FFFF has no UTF-8
 * encoding: the result is RUNISO_UTF8_INVALID, so a batch refuses exactly
 * the strings that str.encode("utf-8") (the per-call path) refuses. */
#ifndef RUNISO_UTF8_H
#define RUNISO_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define RUNISO_UTF8_INVALID ((size_t)-1)

/* out must hold 4 * n bytes; returns the number of bytes written, or
 * RUNISO_UTF8_INVALID. */
static inline size_t runiso_ucs4_to_utf8(const uint32_t *s, size_t n, unsigned char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return RUNISO_UTF8_INVALID;
        if (c < 0x80) {
            out[o++] = (unsigned char)c;
        } else if (c < 0x800) {
            out[o++] = (unsigned char)(0xC0 | (c >> 6));
            out[o++] = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (unsigned char)(0xE0 | (c >> 12));
            out[o++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (unsigned char)(0xF0 | (c >> 18));
            out[o++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    return o;
}

#endif
