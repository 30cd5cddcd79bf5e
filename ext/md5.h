/* MD5 (RFC 1321), used only where compatibility demands it: the ketama
 * continuum of libmemcached/uhashring. Not for security. */
#ifndef RUNISO_MD5_H
#define RUNISO_MD5_H

#include <stddef.h>
#include <stdint.h>

/* Writes the 16-byte digest of data[0:len] into out. */
void runiso_md5(const void *data, size_t len, unsigned char out[16]);

#endif
