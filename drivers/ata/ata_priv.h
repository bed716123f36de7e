/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the IDE driver: the channel and device
 * records and the channel primitives (ata_channel.c) that ata_disk.c,
 * atapi.c, ata_probe.c and ata_cmds.c build on. Not for other modules.
 *
 * Locking: each channel has one mutex (`lock`) held for a whole command,
 * including its data phase, retries and any reset, so the two devices of a
 * channel never overlap. Functions ending in _locked need it held. The IRQ
 * handler shares only irq_expected/irq_status/irq_bm_status with threads,
 * under the channel's spinlock; a thread "arms" the channel before the action
 * that makes the device interrupt and then sleeps on irq_sem.
 * Order: channel mutex -> irq spinlock. The driver calls DiskAdd and
 * DiskMediaChanged with no channel lock held. */
#ifndef DRIVERS_ATA_ATA_PRIV_H
#define DRIVERS_ATA_ATA_PRIV_H

#include "drivers/ata/defs.h"
#include "drivers/ata/lib/ata_diskfunc.h"
#include "drivers/ata/lib/ata_error.h"
#include "drivers/ata/lib/ata_identify.h"
#include "drivers/ata/lib/atapi_drive.h"
#include "kernel/dma.h"
#include "kernel/pci.h"
#include "kernel/sync.h"

#define ATA_MAX_CHANNELS 4  /* two controllers; QEMU and most boards have one */
#define ATA_NAME_MAX 8
/* Bytes one command moves, any sector size: 4 MiB keeps the channel mutex
 * held for bounded time and fits the one-page PRD table (65 entries). */
#define ATA_CMD_MAX_BYTES (4u * 1024 * 1024)
#define ATA_PRDT_ENTRIES 512 /* one page of 8-byte entries */
#define ATA_BOUNCE_BYTES (64u * 1024) /* one PRD entry, aligned to 64 KiB */
/* Timeouts (ms). TCG emulation is slow; real disks answer in far less. */
#define ATA_IO_TIMEOUT_MS 10000u
#define ATA_FLUSH_TIMEOUT_MS 30000u
#define ATA_IDENTIFY_TIMEOUT_MS 2000u
#define ATA_READY_TIMEOUT_MS 2000u  /* BSY to clear before a command */
#define ATA_RESET_TIMEOUT_MS 5000u  /* BSY to clear after SRST */
#define ATA_MAX_ATTEMPTS 3          /* tries per request chunk */

enum ata_kind { ATA_KIND_NONE = 0, ATA_KIND_DISK, ATA_KIND_ATAPI };

struct ata_channel;

/* One device position. Written by the probe before DiskAdd, then constant,
 * except the fields marked otherwise. */
struct ata_device {
    struct ata_channel *ch;   /* owner */
    unsigned slave;           /* 0 master, 1 slave */
    enum ata_kind kind;
    char name[ATA_NAME_MAX];  /* hd0..hd3 (position) or cd0.. (order found) */
    struct ata_identify id;   /* trusted IDENTIFY facts */
    bool use_dma;             /* channel mutex: DMA for data commands */
    void *disk;               /* DiskAdd handle */
    /* Command state, channel mutex. */
    enum ata_fault last_fault; /* decoded by the last failed command (check_status) */
    uint32_t multiple_sectors; /* READ/WRITE MULTIPLE block size in use, 0 = single-sector PIO */
    uint64_t multiple_resets;  /* ch->resets when SET MULTIPLE MODE was last sent */
    bool unresponsive;         /* a request ran out of attempts on timeouts: one try per
                                * request until a command succeeds again */
    bool atapi_read12;         /* ATAPI: READ(10) refused as unknown, read with READ(12) */
    /* ATAPI: the drive above this transport (lib/atapi_drive.h: media
     * state, poll mode); written by the poll thread and the DISKFUNC calls
     * under the channel mutex. */
    struct atapi_drive atapi;
    /* Statistics, channel mutex. */
    uint64_t commands, retries, errors;
};

/* One channel (primary or secondary) of a controller. Ports and IRQ are
 * set by ata_pci.c before ata_channel_start, then constant. */
struct ata_channel {
    unsigned index;           /* global channel number: devices hd(2*index+slave) */
    char name[ATA_NAME_MAX];  /* "ide0".. for logs */
    uint16_t cmd_port;        /* command block base */
    uint16_t ctl_port;        /* device control / alternate status */
    uint16_t bm_port;         /* bus-master registers of this channel, 0 = none */
    unsigned irq;
    bool native;              /* PCI native mode (shared, level-triggered line) */
    struct irq_handler *irq_handle;
    struct mutex lock;        /* one command at a time; see the file comment */
    struct spinlock irq_lock; /* protects the three irq_* fields below */
    bool irq_expected;        /* armed: the next interrupt completes a wait */
    uint8_t irq_status;       /* device status read by the handler */
    uint8_t irq_bm_status;    /* bus-master status read by the handler */
    struct semaphore irq_sem; /* upped by the handler when armed */
    int selected;             /* position last written to the device register, -1 none */
    struct dma_buf prdt;      /* PRD table (one page), channel mutex */
    struct dma_buf bounce;    /* DMA bounce buffer, channel mutex */
    uint64_t resets;          /* channel resets done, channel mutex */
    struct ata_device dev[2];
};

/* A task-file command. */
struct ata_taskfile {
    uint8_t command;
    uint8_t features;
    uint16_t count;  /* sectors; 0 means 256 (LBA28) or 65536 (LBA48) */
    uint64_t lba;
    bool lba48;      /* write the high-order bytes too */
    bool use_lba;    /* set the LBA bit and (LBA28) the address in DEVICE */
};

/* Global switches and the channel table (ata_pci.c). */
extern bool ata_force_pio;
struct ata_channel *ata_channel_at(unsigned index); /* NULL if not set up */

/* ---- ata_channel.c ------------------------------------------------------- */

/* Attach the IRQ handler and allocate the PRD table and bounce buffer (the
 * latter two only with a bus master). Returns 0, ERR_NOMEM, ERR_INVAL. */
int ata_channel_start(struct ata_channel *ch);
/* Software reset of both devices; waits up to ATA_RESET_TIMEOUT_MS for BSY
 * to clear. Returns 0 or ERR_TIMEOUT. */
int ata_channel_reset_locked(struct ata_channel *ch);
uint8_t ata_alt_status(struct ata_channel *ch);
uint8_t ata_read_reg(struct ata_channel *ch, enum ata_reg reg);
/* Select a device and wait (bounded) for BSY and DRQ to clear.
 * Returns 0, ERR_NODEV (status reads 0xFF: nothing on the bus, logged) or
 * ERR_TIMEOUT. */
int ata_select_locked(struct ata_device *dev);
/* Poll the alternate status until (status & mask) == value, for at most
 * timeout_ms (short busy phase, then 1 ms sleeps). Returns the status (>= 0)
 * or ERR_TIMEOUT. Only for short phases, never for command completion. */
int ata_poll_locked(struct ata_channel *ch, uint8_t mask, uint8_t value, uint32_t timeout_ms);
/* Arm for the next interrupt (before the action that causes it), and sleep
 * until it came. wait returns 0 with *status = device status read by the
 * handler, or ERR_TIMEOUT (then disarmed). */
void ata_irq_arm_locked(struct ata_channel *ch);
int ata_irq_wait_locked(struct ata_channel *ch, uint32_t timeout_ms, uint8_t *status);
/* Write the task file (device selected) and the command register. */
void ata_issue_locked(struct ata_device *dev, const struct ata_taskfile *tf);
/* Data commands. `blocks` PIO data blocks of block_bytes each (even).
 * Return 0, ERR_IO/ERR_NOTSUP (decoded error; logged), ERR_TIMEOUT (the
 * channel was reset). */
int ata_pio_in_locked(struct ata_device *dev, const struct ata_taskfile *tf, void *buf,
                      uint32_t blocks, uint32_t block_bytes, uint32_t timeout_ms);
int ata_pio_out_locked(struct ata_device *dev, const struct ata_taskfile *tf, const void *buf,
                       uint32_t blocks, uint32_t block_bytes);
/* READ/WRITE MULTIPLE [EXT]: `sectors` of sector_bytes moved in DRQ blocks
 * of per_block sectors (the block size set by SET MULTIPLE MODE), the last
 * block possibly shorter (ATA/ATAPI-7 vol. 1 §6.24, §6.63). Same returns. */
int ata_pio_in_multi_locked(struct ata_device *dev, const struct ata_taskfile *tf, void *buf,
                            uint32_t sectors, uint32_t sector_bytes, uint32_t per_block,
                            uint32_t timeout_ms);
int ata_pio_out_multi_locked(struct ata_device *dev, const struct ata_taskfile *tf,
                             const void *buf, uint32_t sectors, uint32_t sector_bytes,
                             uint32_t per_block);
/* DMA of `bytes` at bus address phys (even, contiguous, below 4 GiB). */
int ata_dma_locked(struct ata_device *dev, const struct ata_taskfile *tf, uint64_t phys,
                   uint32_t bytes, bool to_device);
/* ATAPI PACKET with the DMA feature bit: the 12-byte `cdb`, `bytes` read by
 * the bus master into phys. Returns 0; ATAPI_CHECK_CONDITION (the device
 * ended the command with ERR set, lib/atapi_drive.h) with *err_reg =
 * the error register (sense key in bits 7:4); ERR_IO (bus-master error or
 * a transfer that ended short, logged); ERR_TIMEOUT (channel reset);
 * ERR_INVAL/ERR_RANGE (buffer). Nothing is logged for a check condition:
 * the caller asks for sense. */
int ata_dma_packet_locked(struct ata_device *dev, const uint8_t *cdb, uint64_t phys,
                          uint32_t bytes, uint8_t *err_reg);
int ata_nodata_locked(struct ata_device *dev, const struct ata_taskfile *tf,
                      uint32_t timeout_ms);
/* After a timeout: stop DMA, reset the channel, log it. */
void ata_recover_locked(struct ata_channel *ch, const char *what);

/* ---- ata_probe.c --------------------------------------------------------- */

/* Reset the channel, find and IDENTIFY its devices, register them. */
void ata_probe_channel(struct ata_channel *ch);

/* ---- ata_disk.c / atapi.c ------------------------------------------------ */

/* Register an identified ATA disk / ATAPI device with the block layer.
 * Returns 0 or ERR_* (logged). Context: thread, no channel lock held. */
int ata_disk_register(struct ata_device *dev);
int atapi_register(struct ata_device *dev);
/* Mode of a device for listings: "PIO", "UDMA5", "MWDMA2". */
const char *ata_mode_name(const struct ata_device *dev, char *buf, size_t len);
/* True if the bus master can reach [buf, buf + bytes) directly (identity-
 * mapped RAM, even address); otherwise DMA goes through the bounce buffer. */
bool ata_can_dma_direct(const void *buf, uint32_t bytes);
/* SET MULTIPLE MODE for a disk that supports it (again after a channel
 * reset). Returns 0 (dev->multiple_sectors set), ERR_NOTSUP (refused:
 * multiple_sectors 0 for good, logged; PIO goes on sector by sector) or the
 * error of a command that got no answer (setting left as it was). */
int ata_disk_set_multiple_locked(struct ata_device *dev);

/* ---- ata_cmds.c ---------------------------------------------------------- */
void ata_register_commands(void);

#endif
