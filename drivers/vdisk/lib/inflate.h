/* SPDX-License-Identifier: MIT */
/* A small raw-deflate (RFC 1951) decoder for compressed image clusters:
 * QCOW2 compressed clusters are raw deflate streams, VMDK streamOptimized
 * grains are zlib (RFC 1950) streams. Call inflate_raw() or inflate_zlib()
 * with the whole compressed buffer and an output buffer of the expected
 * size; the whole stream is decoded in one call (no streaming state, no
 * preset dictionary, no window beyond the output buffer).
 *
 * Bad input policy: everything is rejected with ERR_CORRUPT, never clamped:
 * truncated input, output that would pass the buffer, stored-block length
 * mismatch, reserved block type, over-subscribed or incomplete code sets
 * (except the single-code sets RFC 1951 and zlib allow), invalid symbols,
 * distances before the start of the output, zlib header or Adler-32
 * mismatch. Decoding is table-driven (9-bit first-level lookup, canonical
 * walk for longer codes) and iterative: no recursion on input data.
 * Hardware-free, built freestanding and hosted. Locking: none (all state is
 * per call). Context: thread (allocates about 3 KiB of decoder state). */
#ifndef DRIVERS_VDISK_LIB_INFLATE_H
#define DRIVERS_VDISK_LIB_INFLATE_H

#include "kernel/types.h"

/* Decode the raw deflate stream in src[src_bytes] into dst[dst_bytes].
 * Stops after the block marked final; bytes after it are ignored.
 * *out_bytes (may be NULL): bytes produced. *in_bytes (may be NULL): bytes
 * of src consumed, up to and including the byte holding the last bit.
 * Returns 0, ERR_CORRUPT (malformed or truncated stream, or more output
 * than dst_bytes), ERR_NOMEM. On error dst holds an undefined prefix. */
int inflate_raw(const void *src, size_t src_bytes, void *dst, size_t dst_bytes,
                size_t *out_bytes, size_t *in_bytes);

/* The same for a zlib stream: checks the 2-byte header (method 8, window
 * <= 32 KiB, no preset dictionary, FCHECK) and the Adler-32 trailer.
 * Returns 0, ERR_CORRUPT, ERR_NOMEM. */
int inflate_zlib(const void *src, size_t src_bytes, void *dst, size_t dst_bytes,
                 size_t *out_bytes);

#endif
