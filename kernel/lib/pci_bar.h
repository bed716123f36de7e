/* SPDX-License-Identifier: MIT */
/* PCI Base Address Register decoding, pure arithmetic shared by kernel/pci.c
 * and the hosted unit tests. The kernel sizes a BAR by saving it, writing all
 * ones, reading back the "probe" value and restoring the original (with I/O and
 * memory decoding off); for a 64-bit memory BAR it does the same on the upper
 * half. pci_bar_decode() then turns (original, probe) pairs into a trusted
 * struct pci_bar. It does not touch hardware and does not assign addresses.
 * Spec: PCI Local Bus 3.0 §6.2.5.1 (BAR layout and sizing). */
#ifndef KERNEL_LIB_PCI_BAR_H
#define KERNEL_LIB_PCI_BAR_H

#include "kernel/types.h"

enum pci_bar_kind {
    PCI_BAR_NONE = 0, /* not implemented (probe reads back no address bits) */
    PCI_BAR_IO,       /* I/O space */
    PCI_BAR_MEM32,    /* 32-bit memory space (also the legacy below-1 MiB type) */
    PCI_BAR_MEM64,    /* 64-bit memory space; uses this BAR and the next one */
};

/* A decoded BAR. */
struct pci_bar {
    enum pci_bar_kind kind;
    uint64_t base;     /* address the firmware assigned (0 = unassigned) */
    uint64_t size_bytes; /* power of two; 0 for PCI_BAR_NONE */
    bool prefetchable; /* memory BARs only */
};

/* True if the low dword `orig_lo` of a BAR describes a 64-bit memory BAR, so
 * that the next BAR slot holds its upper half. */
bool pci_bar_is_64bit(uint32_t orig_lo);

/* Decode a BAR from its original value(s) and the value(s) read back after
 * writing all ones. orig_hi/probe_hi are the next BAR slot and are used only
 * for 64-bit memory BARs (pass 0 otherwise).
 * The size is the lowest address bit that reads back as one; for I/O BARs the
 * upper 16 bits may read back as zero (16-bit decoders).
 * Returns 0 with *bar filled (kind PCI_BAR_NONE and size 0 when the BAR is not
 * implemented), or ERR_CORRUPT for the reserved memory type (bits 2:1 = 11) or
 * an assigned range that wraps past the top of its address space. Logs
 * nothing; the caller names the device. Context: any. */
int pci_bar_decode(uint32_t orig_lo, uint32_t probe_lo, uint32_t orig_hi, uint32_t probe_hi,
                   struct pci_bar *bar);

/* Short name of a kind for listings: "none", "io", "mem32", "mem64". */
const char *pci_bar_kind_name(enum pci_bar_kind kind);

#endif
