/* SPDX-License-Identifier: MIT */
/* PCI bus: configuration mechanism #1 (ports 0xCF8/0xCFC), enumeration and a
 * driver registry. Drivers fill a static struct pci_driver with a match table
 * and call pci_register_driver(); pci_init() (kernel_main) enumerates every
 * bus/device/function reachable through PCI-to-PCI bridges, decodes the BARs,
 * logs one line per function and then probes the registered drivers. A driver
 * registered after pci_init() is probed at once. Each function is bound to at
 * most one driver. Not done here: bus number or BAR assignment (the firmware
 * did that), hot plug, PCI Express extended configuration space (ECAM), MSI
 * setup (pci_find_capability() gives drivers the offsets).
 * Spec: PCI Local Bus 3.0 §3.2.2.3.2 (mechanism #1), §6.1-6.2 (header type
 * 0), §6.7 (capabilities list); PCI-to-PCI Bridge 1.2 §3.2 (header type 1). */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include "kernel/lib/pci_bar.h"
#include "kernel/types.h"

/* Limits of configuration mechanism #1. */
#define PCI_MAX_BUSES 256
#define PCI_MAX_DEVICES_PER_BUS 32
#define PCI_MAX_FUNCTIONS 8
#define PCI_CONFIG_BYTES 256
/* Functions kept. QEMU machines have a few dozen; 256 leaves room for a
 * crowded real board. Functions beyond the cap are logged and ignored. */
#define PCI_MAX_FUNCTIONS_TOTAL 256
/* Registered drivers; one per driver module, 32 is plenty. */
#define PCI_MAX_DRIVERS 32
#define PCI_NUM_BARS 6

/* Configuration header offsets used outside pci.c (PCI 3.0 §6.1, Fig. 6-1). */
enum pci_config_reg {
    PCI_REG_VENDOR_ID = 0x00,
    PCI_REG_DEVICE_ID = 0x02,
    PCI_REG_COMMAND = 0x04,
    PCI_REG_STATUS = 0x06,
    PCI_REG_REVISION = 0x08,
    PCI_REG_PROG_IF = 0x09,
    PCI_REG_SUBCLASS = 0x0A,
    PCI_REG_CLASS = 0x0B,
    PCI_REG_HEADER_TYPE = 0x0E,
    PCI_REG_BAR0 = 0x10,
    PCI_REG_CAP_PTR = 0x34,
    PCI_REG_INTERRUPT_LINE = 0x3C,
    PCI_REG_INTERRUPT_PIN = 0x3D,
};

/* Command register bits (PCI 3.0 §6.2.2). */
#define PCI_COMMAND_IO 0x0001u
#define PCI_COMMAND_MEM 0x0002u
#define PCI_COMMAND_BUS_MASTER 0x0004u
#define PCI_COMMAND_INTX_DISABLE 0x0400u

/* Capability IDs (PCI 3.0 Appendix H) a driver may look for. */
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_PCIE 0x10
#define PCI_CAP_ID_MSIX 0x11

/* "No interrupt routed" value of irq_line. */
#define PCI_IRQ_NONE 0xFF

/* One function found by pci_init(). Written only during enumeration, then
 * read-only, except `driver`, which is written under the registry mutex. */
struct pci_device {
    uint8_t bus, dev, func;     /* location */
    uint16_t vendor_id, device_id;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type;        /* 0 device, 1 PCI-PCI bridge, 2 CardBus (MF bit cleared) */
    uint8_t irq_pin;            /* 0 none, 1..4 = INTA#..INTD# */
    uint8_t irq_line;           /* legacy IRQ the firmware routed, PCI_IRQ_NONE if none */
    uint8_t secondary_bus;      /* bridges only: the bus behind it */
    struct pci_bar bars[PCI_NUM_BARS]; /* header type 0: 6, type 1: 2; a 64-bit BAR
                                          fills slot n, slot n+1 is PCI_BAR_NONE */
    const struct pci_driver *driver; /* bound driver or NULL (registry mutex) */
};

/* Match wildcard for every field of struct pci_match. */
#define PCI_ANY 0xFFFFu

/* One match rule: every non-PCI_ANY field must equal the device's. A table
 * ends with an all-zero entry (PCI_MATCH_END). */
struct pci_match {
    uint16_t vendor_id, device_id;
    uint16_t class_code, subclass, prog_if;
};
#define PCI_MATCH_ID(v, d) { (v), (d), PCI_ANY, PCI_ANY, PCI_ANY }
#define PCI_MATCH_CLASS(c, s, p) { PCI_ANY, PCI_ANY, (c), (s), (p) }
#define PCI_MATCH_END { 0, 0, 0, 0, 0 }

struct pci_driver {
    const char *name;             /* for logs, e.g. "ahci" */
    const struct pci_match *ids;  /* ends with PCI_MATCH_END */
    /* Called for each matching unbound function, in thread context (may sleep).
     * Returns 0 to claim the device, ERR_NODEV to decline it silently, or
     * another ERR_* (logged; the next driver may try). Must not call
     * pci_register_driver(). */
    int (*probe)(struct pci_device *dev);
};

/* Enumerate, log one line per function, then probe registered drivers.
 * Context: thread, once, from kernel_main. */
void pci_init(void);

/* Register a driver (the struct must stay valid forever). Before pci_init()
 * it is kept for probing during pci_init(); afterwards every matching unbound
 * function is probed now. Returns 0, ERR_INVAL (no name/ids/probe), ERR_EXIST
 * (already registered), ERR_NOSPC (PCI_MAX_DRIVERS reached).
 * Locking: takes the registry mutex; must not be called from a probe.
 * Context: thread, may sleep. */
int pci_register_driver(const struct pci_driver *drv);

/* True if `dev` matches the rule. Context: any. */
bool pci_match_device(const struct pci_match *id, const struct pci_device *dev);

/* Number of functions found, and the i-th (i < pci_device_count()) in
 * bus/device/function scan order. Valid after pci_init(); never freed. */
size_t pci_device_count(void);
struct pci_device *pci_device_at(size_t index);
/* The n-th (0-based) function with this vendor and device ID (PCI_ANY
 * allowed), NULL if none. */
struct pci_device *pci_find_device(uint16_t vendor_id, uint16_t device_id, unsigned n);

/* Configuration space access of one function. offset < 256 and naturally
 * aligned for the width (KASSERT: a misaligned offset is our own bug).
 * Absent functions read as all ones. Locking: takes the config spinlock
 * (0xCF8 and 0xCFC are one shared register pair). Context: any. */
uint8_t pci_read8(const struct pci_device *dev, uint16_t offset);
uint16_t pci_read16(const struct pci_device *dev, uint16_t offset);
uint32_t pci_read32(const struct pci_device *dev, uint16_t offset);
void pci_write8(const struct pci_device *dev, uint16_t offset, uint8_t value);
void pci_write16(const struct pci_device *dev, uint16_t offset, uint16_t value);
void pci_write32(const struct pci_device *dev, uint16_t offset, uint32_t value);

/* The same by address, for code that has no struct pci_device (the ACPI reset
 * register in PCI configuration space). */
uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset);
void pci_conf_write8(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset, uint8_t value);

/* Set the command register's I/O decode, memory decode or bus master bit
 * (read-modify-write). Returns 0. Context: thread. */
int pci_enable_io(struct pci_device *dev);
int pci_enable_mem(struct pci_device *dev);
int pci_enable_bus_master(struct pci_device *dev);

/* Walk the capabilities list for `cap_id`, starting after `start` (0 = from
 * the head), so that repeated calls find every instance. The walk is bounded
 * (48 entries fit in 192 bytes) and rejects pointers below 0x40.
 * Returns the capability's config offset (0x40..0xFC) or 0 if not found (or
 * the device has no list, or the list is malformed; logged). Context: thread. */
uint8_t pci_find_capability(struct pci_device *dev, uint8_t cap_id, uint8_t start);

/* Short class name, e.g. "IDE controller" (never NULL). Context: any. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);

/* Register `lspci [-v]` with the shell. Call after shell_init(). */
void pci_register_commands(void);

#endif
