// SPDX-License-Identifier: MIT
/* PCI configuration access, enumeration and driver binding (contract in
 * kernel/pci.h). Enumeration walks bus 0 (or one bus per function of a
 * multi-function host bridge), then the secondary bus of every PCI-to-PCI
 * bridge it found, breadth first per bus. Bus numbers come from the firmware
 * and are validated: a bus is scanned at most once, and a bridge must point
 * to a higher bus within its own subordinate range. BARs are sized with the
 * function's I/O and memory decoding turned off and interrupts disabled, and
 * restored before decoding is turned back on. */
#include "kernel/pci.h"
#include "kernel/assert.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

/* Configuration mechanism #1 (PCI 3.0 §3.2.2.3.2). */
#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000u

/* Header fields used only here (PCI 3.0 §6.1; PCI-PCI Bridge 1.2 §3.2). */
#define PCI_HEADER_TYPE_MASK 0x7F
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_DEVICE 0
#define PCI_HEADER_BRIDGE 1
#define PCI_REG_PRIMARY_BUS 0x18
#define PCI_REG_SECONDARY_BUS 0x19
#define PCI_REG_SUBORDINATE_BUS 0x1A
#define PCI_STATUS_CAP_LIST 0x0010u
#define PCI_VENDOR_ABSENT 0xFFFF
/* IDE programming interface (PCI IDE Controller Specification 1.0 §2.1). */
#define PCI_CLASS_STORAGE 0x01
#define PCI_SUBCLASS_IDE 0x01
#define PCI_IDE_PRIMARY_NATIVE 0x01
#define PCI_IDE_COMPAT_PRIMARY_IRQ 14
/* Capabilities live in the device-specific part, 0x40..0xFF, each at least
 * 4 bytes, so a list longer than 48 entries must contain a loop. */
#define PCI_CAP_MIN_OFFSET 0x40
#define PCI_CAP_MAX_ENTRIES 48
/* Bound on a match table's length, against a table without its end entry. */
#define PCI_MAX_MATCHES_PER_DRIVER 256

static struct {
    /* Guards the CONFIG_ADDRESS/CONFIG_DATA pair: an access is two port
     * operations that must not interleave with another CPU's or an IRQ's. */
    struct spinlock config_lock;
    /* Guards drivers[], driver_count, initialized and pci_device.driver;
     * held across probe calls so that a function is bound only once. */
    struct mutex registry_lock;
    bool initialized;
    /* Written only by pci_init (before anyone can look), then read-only. */
    struct pci_device devices[PCI_MAX_FUNCTIONS_TOTAL];
    size_t device_count;
    bool overflow_logged;
    uint8_t bus_seen[PCI_MAX_BUSES / 8]; /* bit per bus already scanned */
    const struct pci_driver *drivers[PCI_MAX_DRIVERS];
    size_t driver_count;
} pci_state;

/* ---- configuration mechanism #1 ------------------------------------------------------- */

static uint32_t config_address(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset)
{
    return PCI_CONFIG_ENABLE | ((uint32_t)bus << 16) | ((uint32_t)(dev & 0x1F) << 11) |
           ((uint32_t)(func & 0x7) << 8) | (offset & 0xFC);
}

static uint32_t conf_read32_locked(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, offset));
    return inl(PCI_CONFIG_DATA);
}

static void conf_write32_locked(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset,
                                uint32_t value)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, offset));
    outl(PCI_CONFIG_DATA, value);
}

/* 16-bit write through the narrow data port (0xCFC + 0 or 2). */
static void conf_write16_locked(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset,
                                uint16_t value)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, offset));
    outw((uint16_t)(PCI_CONFIG_DATA + (offset & 2)), value);
}

uint32_t pci_conf_read32(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset)
{
    KASSERT(offset < PCI_CONFIG_BYTES && (offset & 3) == 0);
    spin_lock(&pci_state.config_lock);
    uint32_t value = conf_read32_locked(bus, dev, func, offset);
    spin_unlock(&pci_state.config_lock);
    return value;
}

static void conf_write32(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset,
                         uint32_t value)
{
    KASSERT(offset < PCI_CONFIG_BYTES && (offset & 3) == 0);
    spin_lock(&pci_state.config_lock);
    conf_write32_locked(bus, dev, func, offset, value);
    spin_unlock(&pci_state.config_lock);
}

/* 8- and 16-bit reads take the containing dword; writes use the narrow data
 * port (0xCFC + byte offset) so neighbouring registers are not rewritten. */
static uint16_t conf_read16(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset)
{
    KASSERT((offset & 1) == 0);
    return (uint16_t)(pci_conf_read32(bus, dev, func, offset & 0xFC) >> (8 * (offset & 2)));
}

static uint8_t conf_read8(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset)
{
    return (uint8_t)(pci_conf_read32(bus, dev, func, offset & 0xFC) >> (8 * (offset & 3)));
}

static void conf_write16(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset,
                         uint16_t value)
{
    KASSERT(offset < PCI_CONFIG_BYTES && (offset & 1) == 0);
    spin_lock(&pci_state.config_lock);
    conf_write16_locked(bus, dev, func, offset, value);
    spin_unlock(&pci_state.config_lock);
}

void pci_conf_write8(uint8_t bus, uint8_t dev, uint8_t func, uint16_t offset, uint8_t value)
{
    KASSERT(offset < PCI_CONFIG_BYTES);
    spin_lock(&pci_state.config_lock);
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, offset));
    outb((uint16_t)(PCI_CONFIG_DATA + (offset & 3)), value);
    spin_unlock(&pci_state.config_lock);
}

uint8_t pci_read8(const struct pci_device *d, uint16_t offset)
{
    return conf_read8(d->bus, d->dev, d->func, offset);
}

uint16_t pci_read16(const struct pci_device *d, uint16_t offset)
{
    return conf_read16(d->bus, d->dev, d->func, offset);
}

uint32_t pci_read32(const struct pci_device *d, uint16_t offset)
{
    return pci_conf_read32(d->bus, d->dev, d->func, offset);
}

void pci_write8(const struct pci_device *d, uint16_t offset, uint8_t value)
{
    pci_conf_write8(d->bus, d->dev, d->func, offset, value);
}

void pci_write16(const struct pci_device *d, uint16_t offset, uint16_t value)
{
    conf_write16(d->bus, d->dev, d->func, offset, value);
}

void pci_write32(const struct pci_device *d, uint16_t offset, uint32_t value)
{
    conf_write32(d->bus, d->dev, d->func, offset, value);
}

/* ---- names ------------------------------------------------------------------------------ */

static const struct {
    uint8_t class_code, subclass;
    const char *name;
} pci_subclass_names[] = {
    { 0x00, 0x01, "VGA compatible unclassified device" },
    { 0x01, 0x00, "SCSI storage controller" },
    { 0x01, 0x01, "IDE controller" },
    { 0x01, 0x02, "Floppy disk controller" },
    { 0x01, 0x04, "RAID bus controller" },
    { 0x01, 0x05, "ATA controller" },
    { 0x01, 0x06, "SATA controller" },
    { 0x01, 0x07, "Serial Attached SCSI controller" },
    { 0x01, 0x08, "Non-Volatile memory controller" },
    { 0x02, 0x00, "Ethernet controller" },
    { 0x03, 0x00, "VGA compatible controller" },
    { 0x03, 0x01, "XGA compatible controller" },
    { 0x03, 0x02, "3D controller" },
    { 0x04, 0x01, "Multimedia audio controller" },
    { 0x04, 0x03, "Audio device" },
    { 0x05, 0x00, "RAM memory" },
    { 0x06, 0x00, "Host bridge" },
    { 0x06, 0x01, "ISA bridge" },
    { 0x06, 0x04, "PCI bridge" },
    { 0x06, 0x07, "CardBus bridge" },
    { 0x07, 0x00, "Serial controller" },
    { 0x08, 0x00, "PIC" },
    { 0x08, 0x05, "SD Host controller" },
    { 0x0C, 0x00, "FireWire (IEEE 1394)" },
    { 0x0C, 0x03, "USB controller" },
    { 0x0C, 0x05, "SMBus" },
};

static const char *const pci_class_names[] = {
    "Unclassified device", "Mass storage controller", "Network controller",
    "Display controller", "Multimedia controller", "Memory controller", "Bridge",
    "Communication controller", "Generic system peripheral", "Input device controller",
    "Docking station", "Processor", "Serial bus controller", "Wireless controller",
    "Intelligent controller", "Satellite communications controller", "Encryption controller",
    "Signal processing controller", "Processing accelerators",
};

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
    for (size_t i = 0; i < ARRAY_SIZE(pci_subclass_names); i++) {
        if (pci_subclass_names[i].class_code == class_code &&
            pci_subclass_names[i].subclass == subclass)
            return pci_subclass_names[i].name;
    }
    if (class_code < ARRAY_SIZE(pci_class_names))
        return pci_class_names[class_code];
    return "Unknown class";
}

/* ---- enumeration ----------------------------------------------------------------------- */

/* Size and decode the BARs of one function (count 6 for devices, 2 for
 * bridges). Interrupts stay off while decoding is disabled: nothing may touch
 * the device's windows then, and the window is a few dozen port accesses. */
static void pci_read_bars(struct pci_device *d, unsigned count)
{
    uint32_t orig[PCI_NUM_BARS], probe[PCI_NUM_BARS];

    /* 1. Turn decoding off, save, write ones, read back, restore each BAR. */
    spin_lock(&pci_state.config_lock);
    /* 16-bit writes: the status half holds write-one-to-clear bits. */
    uint16_t command =
        (uint16_t)conf_read32_locked(d->bus, d->dev, d->func, PCI_REG_COMMAND);
    conf_write16_locked(d->bus, d->dev, d->func, PCI_REG_COMMAND,
                        command & (uint16_t) ~(PCI_COMMAND_IO | PCI_COMMAND_MEM));
    for (unsigned i = 0; i < count; i++) {
        uint16_t reg = (uint16_t)(PCI_REG_BAR0 + 4 * i);
        orig[i] = conf_read32_locked(d->bus, d->dev, d->func, reg);
        conf_write32_locked(d->bus, d->dev, d->func, reg, 0xFFFFFFFFu);
        probe[i] = conf_read32_locked(d->bus, d->dev, d->func, reg);
        conf_write32_locked(d->bus, d->dev, d->func, reg, orig[i]);
    }
    conf_write16_locked(d->bus, d->dev, d->func, PCI_REG_COMMAND, command);
    spin_unlock(&pci_state.config_lock);

    /* 2. Decode; a 64-bit BAR consumes the next slot. */
    for (unsigned i = 0; i < count; i++) {
        bool is_64 = pci_bar_is_64bit(orig[i]);
        if (is_64 && i + 1 >= count) {
            pr_warn("pci: %02x:%02x.%x: bar%u: 64-bit BAR in the last slot (0x%08x)", d->bus,
                    d->dev, d->func, i, orig[i]);
            break;
        }
        int rc = pci_bar_decode(orig[i], probe[i], is_64 ? orig[i + 1] : 0,
                                is_64 ? probe[i + 1] : 0, &d->bars[i]);
        if (rc != 0) {
            pr_warn("pci: %02x:%02x.%x: bar%u: invalid BAR ignored (value 0x%08x, probe 0x%08x)",
                    d->bus, d->dev, d->func, i, orig[i], probe[i]);
            d->bars[i].kind = PCI_BAR_NONE;
        }
        if (is_64)
            i++; /* the upper half stays PCI_BAR_NONE */
    }
}

/* "N" or "-": the IRQ column of the log line and of lspci. */
static void pci_irq_text(const struct pci_device *d, char *irq_text, size_t irq_len)
{
    if (d->irq_line == PCI_IRQ_NONE)
        kstrlcpy(irq_text, "-", irq_len);
    else
        ksnprintf(irq_text, irq_len, "%u", d->irq_line);
}

/* Record one present function. Returns the new entry or NULL when full. */
static struct pci_device *pci_add_function(uint8_t bus, uint8_t dev, uint8_t func,
                                           uint32_t id_dword)
{
    /* 1. Claim a slot; beyond the cap the function is logged once and skipped. */
    if (pci_state.device_count >= PCI_MAX_FUNCTIONS_TOTAL) {
        if (!pci_state.overflow_logged)
            pr_warn("pci: %02x:%02x.%x: too many functions, rest ignored (cap %u)", bus, dev,
                    func, PCI_MAX_FUNCTIONS_TOTAL);
        pci_state.overflow_logged = true;
        return NULL;
    }
    struct pci_device *d = &pci_state.devices[pci_state.device_count++];
    memset(d, 0, sizeof(*d));
    d->bus = bus;
    d->dev = dev;
    d->func = func;
    d->vendor_id = (uint16_t)id_dword;
    d->device_id = (uint16_t)(id_dword >> 16);

    /* 2. Class, header type and interrupt routing. */
    uint32_t class_dword = pci_conf_read32(bus, dev, func, PCI_REG_REVISION);
    d->revision = (uint8_t)class_dword;
    d->prog_if = (uint8_t)(class_dword >> 8);
    d->subclass = (uint8_t)(class_dword >> 16);
    d->class_code = (uint8_t)(class_dword >> 24);
    d->header_type = conf_read8(bus, dev, func, PCI_REG_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    uint32_t irq_dword = pci_conf_read32(bus, dev, func, PCI_REG_INTERRUPT_LINE);
    d->irq_line = (uint8_t)irq_dword;
    d->irq_pin = (uint8_t)(irq_dword >> 8);
    /* Pin 0 means the function uses no INTx; pins above 4 do not exist. Line
     * 0xFF is "unknown"; lines >= 16 cannot be legacy 8259 inputs. */
    if (d->irq_pin == 0 || d->irq_pin > 4 || d->irq_line >= 16)
        d->irq_line = PCI_IRQ_NONE;
    /* An IDE controller whose primary channel is in compatibility mode
     * interrupts on ISA IRQ 14 whatever its header says (PCI IDE Controller
     * Specification 1.0 §2.1; QEMU's PIIX3/4 IDE reports pin 0, line 0). */
    if (d->class_code == PCI_CLASS_STORAGE && d->subclass == PCI_SUBCLASS_IDE &&
        !(d->prog_if & PCI_IDE_PRIMARY_NATIVE) && d->irq_line == PCI_IRQ_NONE)
        d->irq_line = PCI_IDE_COMPAT_PRIMARY_IRQ;

    /* 3. BARs by header type (type 2, CardBus, has none we decode). */
    if (d->header_type == PCI_HEADER_DEVICE)
        pci_read_bars(d, 6);
    else if (d->header_type == PCI_HEADER_BRIDGE)
        pci_read_bars(d, 2);

    char irq_text[8];
    pci_irq_text(d, irq_text, sizeof(irq_text));
    pr_info("pci: %02x:%02x.%x %04x:%04x class %02x.%02x.%02x %s irq %s", bus, dev, func,
            d->vendor_id, d->device_id, d->class_code, d->subclass, d->prog_if,
            pci_class_name(d->class_code, d->subclass), irq_text);
    return d;
}

/* Add every function of one device slot. */
static void pci_scan_slot(uint8_t bus, uint8_t dev)
{
    uint32_t id = pci_conf_read32(bus, dev, 0, PCI_REG_VENDOR_ID);
    if ((id & 0xFFFF) == PCI_VENDOR_ABSENT)
        return;
    uint8_t header = conf_read8(bus, dev, 0, PCI_REG_HEADER_TYPE);
    unsigned funcs = (header & PCI_HEADER_MULTIFUNCTION) ? PCI_MAX_FUNCTIONS : 1;
    for (unsigned f = 0; f < funcs; f++) {
        if (f > 0) {
            id = pci_conf_read32(bus, dev, (uint8_t)f, PCI_REG_VENDOR_ID);
            if ((id & 0xFFFF) == PCI_VENDOR_ABSENT)
                continue;
        }
        pci_add_function(bus, dev, (uint8_t)f, id);
    }
}

static bool pci_bus_mark_seen(uint8_t bus)
{
    uint8_t bit = (uint8_t)(1u << (bus & 7));
    if (pci_state.bus_seen[bus / 8] & bit)
        return false;
    pci_state.bus_seen[bus / 8] |= bit;
    return true;
}

/* Scan one bus, then the buses behind the bridges found on it. Recursion
 * depth is bounded by the bus numbers, which must strictly increase. */
static void pci_scan_bus(uint8_t bus)
{
    /* 1. Every slot of this bus. */
    if (!pci_bus_mark_seen(bus)) {
        pr_warn("pci: bus %02x: reached twice, not rescanned", bus);
        return;
    }
    size_t first = pci_state.device_count;
    for (unsigned dev = 0; dev < PCI_MAX_DEVICES_PER_BUS; dev++)
        pci_scan_slot(bus, (uint8_t)dev);
    size_t last = pci_state.device_count;

    /* 2. Each bridge found: check its bus numbers, then scan behind it. */
    for (size_t i = first; i < last; i++) {
        struct pci_device *d = &pci_state.devices[i];
        if (d->header_type != PCI_HEADER_BRIDGE)
            continue;
        uint32_t buses = pci_conf_read32(d->bus, d->dev, d->func, PCI_REG_PRIMARY_BUS);
        uint8_t secondary = (uint8_t)(buses >> 8);
        uint8_t subordinate = (uint8_t)(buses >> 16);
        if (secondary <= bus || subordinate < secondary) {
            pr_warn("pci: %02x:%02x.%x: bridge bus numbers invalid, not followed "
                    "(bus %02x, secondary %02x, subordinate %02x)",
                    d->bus, d->dev, d->func, bus, secondary, subordinate);
            continue;
        }
        d->secondary_bus = secondary;
        pci_scan_bus(secondary);
    }
}

/* ---- drivers ---------------------------------------------------------------------------- */

static bool match_field(uint16_t rule, uint16_t value)
{
    return rule == PCI_ANY || rule == value;
}

bool pci_match_device(const struct pci_match *id, const struct pci_device *dev)
{
    return match_field(id->vendor_id, dev->vendor_id) &&
           match_field(id->device_id, dev->device_id) &&
           match_field(id->class_code, dev->class_code) &&
           match_field(id->subclass, dev->subclass) && match_field(id->prog_if, dev->prog_if);
}

static bool match_is_end(const struct pci_match *id)
{
    return id->vendor_id == 0 && id->device_id == 0 && id->class_code == 0 &&
           id->subclass == 0 && id->prog_if == 0;
}

static bool driver_matches(const struct pci_driver *drv, const struct pci_device *dev)
{
    for (size_t i = 0; i < PCI_MAX_MATCHES_PER_DRIVER && !match_is_end(&drv->ids[i]); i++) {
        if (pci_match_device(&drv->ids[i], dev))
            return true;
    }
    return false;
}

/* Offer every unbound matching function to `drv`. */
static void pci_probe_driver_locked(const struct pci_driver *drv)
{
    lock_assert_held(&pci_state.registry_lock);
    for (size_t i = 0; i < pci_state.device_count; i++) {
        struct pci_device *d = &pci_state.devices[i];
        if (d->driver || !driver_matches(drv, d))
            continue;
        int rc = drv->probe(d);
        if (rc == 0) {
            d->driver = drv; /* bound: no other driver will see this function */
            pr_info("pci: %02x:%02x.%x: bound to %s", d->bus, d->dev, d->func, drv->name);
        } else if (rc != ERR_NODEV) {
            pr_warn("pci: %02x:%02x.%x: %s probe failed (%s)", d->bus, d->dev, d->func,
                    drv->name, err_name(rc));
        }
    }
}

int pci_register_driver(const struct pci_driver *drv)
{
    if (!drv || !drv->name || !drv->ids || !drv->probe)
        return ERR_INVAL;
    mutex_lock(&pci_state.registry_lock);
    int rc = 0;
    for (size_t i = 0; i < pci_state.driver_count; i++) {
        if (pci_state.drivers[i] == drv) {
            rc = ERR_EXIST;
            goto out_unlock;
        }
    }
    if (pci_state.driver_count >= PCI_MAX_DRIVERS) {
        pr_err("pci: %s: driver table full (cap %u)", drv->name, PCI_MAX_DRIVERS);
        rc = ERR_NOSPC;
        goto out_unlock;
    }
    pci_state.drivers[pci_state.driver_count++] = drv;
    if (pci_state.initialized)
        pci_probe_driver_locked(drv);
out_unlock:
    mutex_unlock(&pci_state.registry_lock);
    return rc;
}

/* ---- queries ---------------------------------------------------------------------------- */

size_t pci_device_count(void)
{
    return pci_state.device_count;
}

struct pci_device *pci_device_at(size_t index)
{
    return index < pci_state.device_count ? &pci_state.devices[index] : NULL;
}

struct pci_device *pci_find_device(uint16_t vendor_id, uint16_t device_id, unsigned n)
{
    for (size_t i = 0; i < pci_state.device_count; i++) {
        struct pci_device *d = &pci_state.devices[i];
        if (match_field(vendor_id, d->vendor_id) && match_field(device_id, d->device_id) &&
            n-- == 0)
            return d;
    }
    return NULL;
}

static int pci_command_set(struct pci_device *d, uint16_t bits)
{
    uint16_t command = pci_read16(d, PCI_REG_COMMAND);
    if ((command & bits) != bits)
        pci_write16(d, PCI_REG_COMMAND, (uint16_t)(command | bits));
    return 0;
}

int pci_enable_io(struct pci_device *dev)
{
    return pci_command_set(dev, PCI_COMMAND_IO);
}

int pci_enable_mem(struct pci_device *dev)
{
    return pci_command_set(dev, PCI_COMMAND_MEM);
}

int pci_enable_bus_master(struct pci_device *dev)
{
    return pci_command_set(dev, PCI_COMMAND_BUS_MASTER);
}

uint8_t pci_find_capability(struct pci_device *dev, uint8_t cap_id, uint8_t start)
{
    /* 1. The status register says whether there is a list at all. */
    if (!(pci_read16(dev, PCI_REG_STATUS) & PCI_STATUS_CAP_LIST) ||
        dev->header_type > PCI_HEADER_BRIDGE)
        return 0;
    /* 2. Walk from the head (or from `start`'s next pointer), bounded. */
    uint8_t pos = start ? pci_read8(dev, (uint16_t)(start + 1)) : pci_read8(dev, PCI_REG_CAP_PTR);
    for (unsigned n = 0; n < PCI_CAP_MAX_ENTRIES; n++) {
        pos &= 0xFC; /* the low two bits are reserved */
        if (pos == 0)
            return 0;
        if (pos < PCI_CAP_MIN_OFFSET) {
            pr_warn("pci: %02x:%02x.%x: capability pointer out of range (0x%02x)", dev->bus,
                    dev->dev, dev->func, pos);
            return 0;
        }
        uint16_t header = pci_read16(dev, pos);
        if ((header & 0xFF) == cap_id)
            return pos;
        pos = (uint8_t)(header >> 8);
    }
    pr_warn("pci: %02x:%02x.%x: capability list too long or looped (cap %u entries)",
            dev->bus, dev->dev, dev->func, PCI_CAP_MAX_ENTRIES);
    return 0;
}

/* ---- init and shell ---------------------------------------------------------------------- */

void pci_init(void)
{
    spin_init(&pci_state.config_lock, "pci config");
    mutex_init(&pci_state.registry_lock, "pci registry");

    /* 1. A multi-function host bridge at 00:00 means one host controller (and
     *    root bus) per function; otherwise everything hangs off bus 0. */
    uint32_t id = pci_conf_read32(0, 0, 0, PCI_REG_VENDOR_ID);
    uint8_t header = conf_read8(0, 0, 0, PCI_REG_HEADER_TYPE);
    if ((id & 0xFFFF) != PCI_VENDOR_ABSENT && (header & PCI_HEADER_MULTIFUNCTION)) {
        for (unsigned f = 0; f < PCI_MAX_FUNCTIONS; f++) {
            if ((pci_conf_read32(0, 0, (uint8_t)f, PCI_REG_VENDOR_ID) & 0xFFFF) !=
                PCI_VENDOR_ABSENT)
                pci_scan_bus((uint8_t)f);
        }
    } else {
        pci_scan_bus(0);
    }
    pr_info("pci: %zu function(s) found", pci_state.device_count);

    /* 2. Probe the drivers registered so far; later ones probe on registration. */
    mutex_lock(&pci_state.registry_lock);
    pci_state.initialized = true;
    for (size_t i = 0; i < pci_state.driver_count; i++)
        pci_probe_driver_locked(pci_state.drivers[i]);
    mutex_unlock(&pci_state.registry_lock);
}

static void lspci_print_bars(const struct pci_device *d)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        const struct pci_bar *bar = &d->bars[i];
        if (bar->kind == PCI_BAR_NONE)
            continue;
        kprintf("  bar%u %s 0x%llx size %llu%s\n", i, pci_bar_kind_name(bar->kind),
                (unsigned long long)bar->base, (unsigned long long)bar->size_bytes,
                bar->prefetchable ? " prefetch" : "");
    }
}

static int cmd_lspci(int argc, char **argv)
{
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else
            return shell_error("lspci: unknown option (%s)", argv[i]);
    }
    for (size_t i = 0; i < pci_state.device_count; i++) {
        const struct pci_device *d = &pci_state.devices[i];
        char irq_text[8];
        pci_irq_text(d, irq_text, sizeof(irq_text));
        kprintf("%02x:%02x.%x %04x:%04x class %02x.%02x.%02x %s irq %s\n", d->bus, d->dev,
                d->func, d->vendor_id, d->device_id, d->class_code, d->subclass, d->prog_if,
                pci_class_name(d->class_code, d->subclass), irq_text);
        if (verbose)
            lspci_print_bars(d);
    }
    return 0;
}

static const struct shell_cmd pci_cmds[] = {
    { "lspci", "[-v]", "list PCI functions (-v: with BARs)", cmd_lspci },
};

void pci_register_commands(void)
{
    int rc = shell_register(pci_cmds, ARRAY_SIZE(pci_cmds));
    if (rc != 0)
        pr_err("pci: shell: cannot register commands (%s)", err_name(rc));
}
