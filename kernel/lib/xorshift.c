// SPDX-License-Identifier: MIT
/* xorshift32 byte stream (see xorshift.h). */
#include "kernel/lib/xorshift.h"

void xorshift_init(struct xorshift *x, uint32_t seed)
{
    x->state = seed ? seed : XORSHIFT_ZERO_SEED;
    x->left = 0;
}

static uint32_t xorshift_next(struct xorshift *x)
{
    uint32_t v = x->state;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    x->state = v;
    return v;
}

void xorshift_fill(struct xorshift *x, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len > 0) {
        if (x->left == 0) {
            uint32_t v = xorshift_next(x);
            x->word[0] = (uint8_t)v;
            x->word[1] = (uint8_t)(v >> 8);
            x->word[2] = (uint8_t)(v >> 16);
            x->word[3] = (uint8_t)(v >> 24);
            x->left = 4;
        }
        *out++ = x->word[4 - x->left];
        x->left--;
        len--;
    }
}
