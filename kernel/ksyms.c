// SPDX-License-Identifier: MIT
/* The kernel export table (see ksyms.h). Add an entry here when a driver
 * module needs a kernel service; the name a module links against is the C
 * name. Functions keep their C calling convention (cdecl), so an assembly
 * module pushes arguments right to left and pops them itself. */
#include "kernel/ksyms.h"
#include "kernel/err.h"
#include "kernel/irq.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/ksym.h"
#include "kernel/lib/kstring.h"
#include "kernel/pci.h"
#include "kernel/sync.h"
#include "kernel/thread.h"
#include "kernel/time.h"

static const struct ksym ksyms_kernel[] = {
    /* log and heap */
    KSYM_ENTRY(printk),
    KSYM_ENTRY(kmalloc),
    KSYM_ENTRY(kzalloc),
    KSYM_ENTRY(krealloc),
    KSYM_ENTRY(kfree),
    KSYM_ENTRY(kmalloc_aligned),
    /* memory and strings */
    KSYM_ENTRY(memcpy),
    KSYM_ENTRY(memset),
    KSYM_ENTRY(memmove),
    KSYM_ENTRY(memcmp),
    KSYM_ENTRY(strlen),
    /* time */
    KSYM_ENTRY(time_ms),
    KSYM_ENTRY(time_us),
    KSYM_ENTRY(sleep_ms),
    KSYM_ENTRY(udelay),
    /* locks and threads */
    KSYM_ENTRY(spin_init),
    KSYM_ENTRY(spin_lock),
    KSYM_ENTRY(spin_unlock),
    KSYM_ENTRY(mutex_init),
    KSYM_ENTRY(mutex_lock),
    KSYM_ENTRY(mutex_unlock),
    KSYM_ENTRY(sem_init),
    KSYM_ENTRY(sem_up),
    KSYM_ENTRY(sem_down),
    KSYM_ENTRY(sem_down_timeout),
    KSYM_ENTRY(thread_create),
    /* interrupts and PCI */
    KSYM_ENTRY(irq_attach),
    KSYM_ENTRY(irq_detach),
    KSYM_ENTRY(pci_register_driver),
    KSYM_ENTRY(pci_find_device),
    KSYM_ENTRY(pci_find_capability),
    KSYM_ENTRY(pci_read8),
    KSYM_ENTRY(pci_read16),
    KSYM_ENTRY(pci_read32),
    KSYM_ENTRY(pci_write8),
    KSYM_ENTRY(pci_write16),
    KSYM_ENTRY(pci_write32),
    KSYM_ENTRY(pci_enable_io),
    KSYM_ENTRY(pci_enable_mem),
    KSYM_ENTRY(pci_enable_bus_master),
};

int ksyms_kernel_init(void)
{
    static bool done;
    int rc;

    if (done)
        return 0;
    rc = ksym_register(ksyms_kernel, ARRAY_SIZE(ksyms_kernel));
    if (rc) {
        pr_err("ksym: kernel exports not registered (%s)", err_name(rc));
        return rc;
    }
    done = true;
    return 0;
}
