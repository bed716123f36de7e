/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of kernel/mm (not for other modules): the
 * kernel heap's bring-up and its integrity check, used by mem.c. */
#ifndef KERNEL_MM_MEM_PRIV_H
#define KERNEL_MM_MEM_PRIV_H

#include "kernel/types.h"

/* Create the kernel heap with a first arena of min(RAM / 4, 64 MiB) from the
 * page allocator (halved until it fits, down to 256 KiB). Needs pmm_init and
 * paging_init first. Returns 0 or ERR_NOMEM (kmalloc then returns NULL).
 * Context: single-threaded boot. */
int kmem_init(void);

/* heap_check() on the kernel heap under its lock: 0, or ERR_CORRUPT with a
 * description in msg. Context: thread. */
int kmem_check(char *msg, size_t msg_len);

#endif
