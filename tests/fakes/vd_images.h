/* SPDX-License-Identifier: MIT */
/* The virtual-disk test images (tests/images/make-vdisk-images.sh) for the
 * hosted vdisk tests: vd_images_prepare() builds them into
 * build/host/images/vdisk (quick when they are current), vd_image_path()
 * names one, vd_image_expect() gives the size and SHA-256 that
 * `qemu-img convert -O raw` produced for it, vd_image_load() copies one into
 * a mem_vd_fs as "/img/NAME", and vd_chain_sha256() hashes everything a
 * chain reads. vd_image_scratch() names a file in build/host/images/vdisk/tmp
 * for handing modified images to qemu-img. Hosted only. */
#ifndef TESTS_FAKES_VD_IMAGES_H
#define TESTS_FAKES_VD_IMAGES_H

#include "drivers/vdisk/lib/vd_chain.h"
#include "kernel/lib/sha256.h"
#include "tests/fakes/mem_vd_file.h"

/* 0, or -1 when the script failed. */
int vd_images_prepare(void);
/* Absolute host path of image `name`; static buffer, valid until the next call. */
const char *vd_image_path(const char *name);
/* Scratch host path for `name` (folder created); separate static buffer. */
const char *vd_image_scratch(const char *name);
/* From expect.txt: 0, or ERR_NOENT when `name` is not listed. */
int vd_image_expect(const char *name, uint64_t *bytes, char sha_hex[SHA256_HEX_CHARS]);
/* Copy image `name` into fs as "/img/NAME"; 0 or ERR_*. */
int vd_image_load(struct mem_vd_fs *fs, const char *name);
/* SHA-256 (hex) of the chain's whole disk, read in 1 MiB pieces. 0 or the
 * first read error. */
int vd_chain_sha256(struct vd_chain *c, char hex[SHA256_HEX_CHARS]);

#endif
