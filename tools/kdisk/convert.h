/* SPDX-License-Identifier: MIT */
/* `kdisk convert SRC DST FORMAT`: copy a whole virtual disk from one image
 * (any format, with its backing chain) into a new image DST of FORMAT
 * (raw, vdi, vhd, vmdk, qcow2), through drivers/vdisk/lib chains. Blocks of
 * all zeroes are not written, so sparse formats stay sparse. Progress goes
 * to stderr. DST must not exist (nothing is overwritten); on failure it is
 * removed again. */
#ifndef TOOLS_KDISK_CONVERT_H
#define TOOLS_KDISK_CONVERT_H

/* 0 or a negative ERR_* (a message was printed to stderr). */
int kdisk_convert(const char *src, const char *dst, const char *format);

#endif
