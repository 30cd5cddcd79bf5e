/* UCS-4 -> UTF-8, for hashing numpy 'U' arrays without a Python object per
 * element. Lone surrogates are encoded as 3-byte sequences (like Python's
 * "surrogatepass"); code points above U+10FFFF are replaced by U+FFFD. */
#ifndef RUNISO_UTF8_H
#define RUNISO_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* out must hold 4 * n bytes; returns the number of bytes written. */
static inline size_t runiso_ucs4_to_utf8(const uint32_t *s, size_t n, unsigned char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c > 0x10FFFF) c = 0xFFFD;
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
