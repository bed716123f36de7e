/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the AHCI driver: the controller and port
 * records and the port primitives (ahci_port.c) that ahci_disk.c,
 * ahci_atapi.c and ahci_cmds.c build on. Not for other modules.
 *
 * Locking: each port has one mutex (`lock`) held for a whole command -
 * build, issue, wait, error recovery and retries - so one command is
 * outstanding per port and slot 0 is the only slot used. Functions ending
 * in _locked need it held. The controller's IRQ handler shares only
 * irq_expected/irq_is with threads, under the port's spinlock; a thread
 * arms the port before setting PxCI and then sleeps on irq_sem.
 * Order: port mutex -> port irq spinlock. DiskAdd and DiskMediaChanged are
 * called with no port lock held.
 * Context: every function below runs in thread context and may sleep,
 * except ahci_irq_handler (interrupt context) and the register accessors
 * (any context). */
#ifndef DRIVERS_AHCI_AHCI_PRIV_H
#define DRIVERS_AHCI_AHCI_PRIV_H

#include "drivers/ahci/defs.h"
#include "drivers/ahci/lib/ahci_fis.h"
#include "drivers/ahci/lib/ahci_regs.h"
#include "drivers/ata/lib/ata_diskfunc.h"
#include "drivers/ata/lib/ata_identify.h"
#include "drivers/ata/lib/atapi_drive.h"
#include "kernel/dma.h"
#include "kernel/pci.h"
#include "kernel/sync.h"

#define AHCI_MAX_CONTROLLERS 4
#define AHCI_NAME_MAX 8
/* Bytes one command moves: 4 MiB bounds the time the port mutex is held
 * and is one PRD entry when the buffer is aligned (two otherwise). */
#define AHCI_CMD_MAX_BYTES (4u * 1024 * 1024)
#define AHCI_PRDT_ENTRIES 8u
#define AHCI_BOUNCE_BYTES (64u * 1024)
/* Port memory: command list, received FIS area and the slot 0 command
 * table share one zeroed page (offsets keep the 1 KiB / 256 B / 128 B
 * alignment rules of AHCI 1.3.1 §4.2). */
#define AHCI_MEM_CL 0u
#define AHCI_MEM_RFIS 1024u
#define AHCI_MEM_CT 1280u
#define AHCI_MEM_BYTES 4096u
/* Timeouts (ms). TCG emulation is slow; real disks answer in far less. */
#define AHCI_IO_TIMEOUT_MS 10000u
#define AHCI_FLUSH_TIMEOUT_MS 30000u
#define AHCI_IDENTIFY_TIMEOUT_MS 3000u
#define AHCI_ENGINE_TIMEOUT_MS 500u   /* CR/FR to follow ST/FRE (§10.1.2: 500 ms) */
#define AHCI_LINK_TIMEOUT_MS 1000u    /* DET = 3 after COMRESET */
#define AHCI_BUSY_TIMEOUT_MS 5000u    /* BSY/DRQ to clear after a reset */
#define AHCI_HANDOFF_TIMEOUT_MS 2000u /* BIOS to release the HBA (§10.6.3: 25 ms + 2 s) */
#define AHCI_MAX_ATTEMPTS 3           /* tries per request chunk */

struct ahci_ctrl;

/* One port. Written by the probe before DiskAdd, then constant, except the
 * fields marked otherwise. */
struct ahci_port {
    struct ahci_ctrl *ctrl;   /* owner */
    unsigned num;             /* port number 0..31 */
    volatile uint8_t *regs;   /* this port's register block */
    enum ahci_dev_kind kind;  /* from PxSIG; NONE for an empty port */
    char name[AHCI_NAME_MAX]; /* sd0.. / cd0..; "" while unnamed */
    struct ata_identify id;   /* trusted IDENTIFY facts (ATA and ATAPI) */
    void *disk;               /* DiskAdd handle */
    struct mutex lock;        /* one command at a time; see the file comment */
    struct spinlock irq_lock; /* protects irq_expected and irq_is */
    bool irq_expected;        /* armed: the next interrupt wakes the waiter */
    uint32_t irq_is;          /* PxIS bits collected by the handler while armed */
    struct semaphore irq_sem; /* upped by the handler when armed */
    struct dma_buf mem;       /* command list + received FIS + command table */
    struct dma_buf bounce;    /* for buffers the HBA cannot reach; port mutex */
    /* ATAPI: the drive above this port (drivers/ata/lib/atapi_drive.h),
     * port mutex; written by the poll thread and the DISKFUNC calls. */
    struct atapi_drive atapi;
    /* Statistics, port mutex. */
    uint64_t commands, retries, errors, resets;
};

/* One HBA. Written by the probe, then constant. */
struct ahci_ctrl {
    unsigned index;           /* 0.. in probe order */
    char name[AHCI_NAME_MAX]; /* "ahci0".. for logs */
    struct pci_device *pdev;
    volatile uint8_t *abar;   /* mapped ABAR */
    struct ahci_caps caps;
    uint32_t pi;              /* ports implemented */
    unsigned irq;             /* legacy INTx line, PCI_IRQ_NONE if none */
    struct irq_handler *irq_handle;
    struct ahci_port *ports[AHCI_MAX_PORTS]; /* implemented ports, NULL otherwise */
};

/* One command for slot 0. */
struct ahci_cmd {
    struct ahci_h2d fis;     /* the ATA command (PACKET for ATAPI) */
    const uint8_t *cdb;      /* ATAPI command bytes (12), NULL for ATA */
    uint64_t phys;           /* data buffer bus address (bytes > 0) */
    uint32_t bytes;          /* data length, even; 0 = no data */
    bool write;              /* data host -> device */
    uint32_t timeout_ms;
};

/* Controller table (ahci_pci.c). */
struct ahci_ctrl *ahci_ctrl_at(unsigned index); /* NULL if not set up */

/* Register access. */
uint32_t ahci_hba_read(struct ahci_ctrl *c, enum ahci_hba_reg reg);
void ahci_hba_write(struct ahci_ctrl *c, enum ahci_hba_reg reg, uint32_t v);
uint32_t ahci_port_read(struct ahci_port *p, enum ahci_port_reg reg);
void ahci_port_write(struct ahci_port *p, enum ahci_port_reg reg, uint32_t v);

/* ---- ahci_port.c --------------------------------------------------------- */

/* The caller filled ctrl/num/regs and initialised the three locks.
 * Allocate the port's memory, stop it, program CLB/FB, enable FIS receive
 * and interrupts, wait for the device and start the engine; sets p->kind
 * from the link state and PxSIG. Returns 0 (also for an empty port),
 * ERR_NOMEM, ERR_TIMEOUT (engine would not stop; port unusable).
 * Context: thread (probe), no lock held. */
int ahci_port_setup(struct ahci_port *p);
/* The controller's interrupt: acknowledge PxIS then IS, wake armed ports. */
bool ahci_irq_handler(void *ctx);
/* Run one command on slot 0 and wait for its interrupt. *fault gets the
 * decoded outcome, *done (may be NULL) the bytes the HBA moved (PRDBC).
 * Returns 0; ERR_IO / ERR_NOTSUP (device or host error, decoded and logged,
 * port recovered); ERR_TIMEOUT (no completion: the port was COMRESET);
 * ERR_INVAL (bad command: our bug). */
int ahci_exec_locked(struct ahci_port *p, const struct ahci_cmd *cmd, struct ahci_fault *fault,
                     uint32_t *done);
/* COMRESET the link and restart the engine. Returns 0 or ERR_TIMEOUT. */
int ahci_port_reset_locked(struct ahci_port *p, const char *why);
/* True if the HBA can DMA [buf, buf + bytes) directly. */
bool ahci_can_dma_direct(const struct ahci_port *p, const void *buf, uint32_t bytes);

/* ---- ahci_disk.c / ahci_atapi.c ------------------------------------------ */

/* IDENTIFY [PACKET] DEVICE into p->id. Returns 0 or ERR_*. Port mutex held. */
int ahci_identify_locked(struct ahci_port *p);
/* Register an identified ATA disk / ATAPI drive with the block layer.
 * Returns 0 or ERR_* (logged). Context: thread, no port lock held. */
int ahci_disk_register(struct ahci_port *p);
int ahci_atapi_register(struct ahci_port *p);

/* ---- ahci_cmds.c --------------------------------------------------------- */
void ahci_register_commands(void);

#endif
