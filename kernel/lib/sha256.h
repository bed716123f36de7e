/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), incremental: init, update any number of times, final.
 * Used by `dhash`/`hash` to fingerprint disk data. */
#ifndef KERNEL_LIB_SHA256_H
#define KERNEL_LIB_SHA256_H

#include "kernel/types.h"

#define SHA256_DIGEST_BYTES 32
#define SHA256_HEX_CHARS (SHA256_DIGEST_BYTES * 2 + 1) /* with the NUL */

struct sha256 {
    uint32_t h[8];
    uint64_t total_bytes;
    uint8_t block[64];
    size_t used; /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_BYTES]);
/* Lowercase hex of a digest into out[SHA256_HEX_CHARS]. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_BYTES], char out[SHA256_HEX_CHARS]);

#endif
