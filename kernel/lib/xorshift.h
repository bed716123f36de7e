/* SPDX-License-Identifier: MIT */
/* The deterministic data generator of the shell output contract, used by the
 * `write`/`verify` commands and by tests on both sides (kernel and host):
 * xorshift32 with state = seed (seed 0 -> 0x9E3779B9); for every 4 bytes:
 * x ^= x << 13; x ^= x >> 17; x ^= x << 5; emit x little-endian.
 * A stream can be produced in pieces of any length (the generator remembers
 * the unused bytes of the current word). */
#ifndef KERNEL_LIB_XORSHIFT_H
#define KERNEL_LIB_XORSHIFT_H

#include "kernel/types.h"

#define XORSHIFT_ZERO_SEED 0x9E3779B9u

struct xorshift {
    uint32_t state;
    uint8_t word[4]; /* bytes of the current word */
    unsigned left;   /* unused bytes left in word */
};

void xorshift_init(struct xorshift *x, uint32_t seed);
/* Append the next len bytes of the stream to buf. */
void xorshift_fill(struct xorshift *x, void *buf, size_t len);

#endif
