// SPDX-License-Identifier: MIT
/* IRQ lines and shared handler chains (see irq.h). The chains are changed
 * only under irq_state.lock (interrupts off) and walked only by
 * irq_dispatch (interrupts off too), so on one CPU a walk never sees a
 * half-linked chain and a detached handler is never called afterwards. */
#include "kernel/irq.h"
#include "kernel/arch/pic.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

#define IRQ_MAX_LISTED 4 /* handler names `irqs` prints per line */

struct irq_handler {
    struct irq_handler *next; /* next handler on the same line */
    irq_handler_fn fn;
    void *ctx;
    unsigned irq;             /* line it is attached to */
    uint64_t claimed;         /* interrupts fn said were its device's; IRQ writes */
    char name[IRQ_NAME_MAX];
};

struct irq_line {
    struct irq_handler *handlers; /* attach order; under lock */
    uint64_t count;               /* real interrupts; IRQ writes */
    uint64_t unclaimed;           /* interrupts no handler claimed */
    uint64_t spurious;            /* spurious IRQ 7/15, not acknowledged */
};

static struct {
    struct spinlock lock;         /* protects every handler chain */
    struct irq_line lines[IRQ_LINES];
} irq_state;

int irq_attach(unsigned irq, bool (*handler)(void *ctx), void *ctx, const char *name,
               struct irq_handler **out)
{
    if (irq >= IRQ_LINES || irq == PIC_CASCADE_IRQ || !handler)
        return ERR_INVAL;
    struct irq_handler *h = kmalloc(sizeof(*h));
    if (!h)
        return ERR_NOMEM;
    h->next = NULL;
    h->fn = handler;
    h->ctx = ctx;
    h->irq = irq;
    h->claimed = 0;
    kstrlcpy(h->name, name ? name : "?", sizeof(h->name));

    spin_lock(&irq_state.lock);
    struct irq_handler **pp = &irq_state.lines[irq].handlers;
    while (*pp)
        pp = &(*pp)->next;
    *pp = h;
    pic_unmask(irq);
    spin_unlock(&irq_state.lock);

    if (out)
        *out = h;
    pr_debug("irq: %u: attached %s", irq, h->name);
    return 0;
}

void irq_detach(struct irq_handler *h)
{
    if (!h)
        return;
    spin_lock(&irq_state.lock);
    struct irq_line *line = &irq_state.lines[h->irq];
    for (struct irq_handler **pp = &line->handlers; *pp; pp = &(*pp)->next) {
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    }
    if (!line->handlers)
        pic_mask(h->irq);
    spin_unlock(&irq_state.lock);
    pr_debug("irq: %u: detached %s", h->irq, h->name);
    kfree(h);
}

void irq_dispatch(unsigned irq)
{
    if (irq >= IRQ_LINES)
        return;
    struct irq_line *line = &irq_state.lines[irq];

    /* 1. A spurious IRQ 7/15 has no in-service bit: count it, no EOI. */
    if (pic_is_spurious(irq)) {
        line->spurious++;
        return;
    }
    /* 2. Every handler of a shared line runs; any may own the interrupt. */
    line->count++;
    bool claimed = false;
    for (struct irq_handler *h = line->handlers; h; h = h->next) {
        if (h->fn(h->ctx)) {
            h->claimed++;
            claimed = true;
        }
    }
    if (!claimed)
        line->unclaimed++;
    /* 3. Acknowledge last, so the line cannot re-fire into the handlers. */
    pic_eoi(irq);
}

uint64_t irq_count(unsigned irq)
{
    if (irq >= IRQ_LINES)
        return 0;
    spin_lock(&irq_state.lock);
    uint64_t n = irq_state.lines[irq].count;
    spin_unlock(&irq_state.lock);
    return n;
}

static int irq_cmd_irqs(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("irqs takes no arguments");
    kprintf("IRQ %12s %10s %9s  HANDLERS\n", "COUNT", "UNCLAIMED", "SPURIOUS");
    for (unsigned irq = 0; irq < IRQ_LINES; irq++) {
        /* 1. Copy the line under the lock; print after releasing it. */
        struct irq_line copy;
        char names[IRQ_MAX_LISTED][IRQ_NAME_MAX];
        unsigned listed = 0, more = 0;
        spin_lock(&irq_state.lock);
        copy = irq_state.lines[irq];
        for (struct irq_handler *h = copy.handlers; h; h = h->next) {
            if (listed < IRQ_MAX_LISTED)
                kstrlcpy(names[listed++], h->name, IRQ_NAME_MAX);
            else
                more++;
        }
        spin_unlock(&irq_state.lock);
        /* 2. Lines that never fired and have no handler are noise. */
        if (!listed && !copy.count && !copy.spurious)
            continue;
        kprintf("%3u %12llu %10llu %9llu ", irq, (unsigned long long)copy.count,
                (unsigned long long)copy.unclaimed, (unsigned long long)copy.spurious);
        for (unsigned i = 0; i < listed; i++)
            kprintf(" %s", names[i]);
        if (more)
            kprintf(" (+%u)", more);
        kprintf("%s\n", listed ? "" : " -");
    }
    return 0;
}

static const struct shell_cmd irq_cmds[] = {
    { "irqs", "", "list IRQ lines: count, unclaimed, spurious, handlers", irq_cmd_irqs },
};

void irq_register_commands(void)
{
    int rc = shell_register(irq_cmds, ARRAY_SIZE(irq_cmds));
    if (rc < 0)
        pr_err("irq: cannot register shell commands (%s)", err_name(rc));
}
