/* SPDX-License-Identifier: MIT */
/* CRC-32 as used by GPT, zlib and Ethernet (IEEE 802.3: reflected polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF). Start with crc = 0 and
 * feed the data in one or more pieces: crc = crc32_ieee(crc, piece, len).
 * The check value of "123456789" is 0xCBF43926. Pure, context: any. */
#ifndef KERNEL_LIB_CRC32_H
#define KERNEL_LIB_CRC32_H

#include "kernel/types.h"

/* crc: result of the previous piece (0 for the first); data may be NULL only
 * when len is 0. Returns the CRC of everything fed so far. */
uint32_t crc32_ieee(uint32_t crc, const void *data, size_t len);

#endif
