// SPDX-License-Identifier: MIT
/* Thread lifetime (kernel/thread.h): creation with a kmalloc'ed 16 KiB stack,
 * exit, join, yield. A new stack is filled with a known pattern (for the
 * high-water mark `threads` shows) and begins with guard words that the
 * scheduler checks at every switch and at exit: a thread that ran off the
 * low end of its stack panics instead of silently corrupting the heap.
 * A thread's memory cannot be freed while it is still running on its stack,
 * so a detached thread that exits becomes a zombie, and the next
 * thread_create or thread_join (thread context, heap allowed) frees it. */
#include "kernel/thread.h"
#include "kernel/arch/cpu.h"
#include "kernel/assert.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/sched_priv.h"

static struct {
    struct rq_fifo zombies; /* DEAD detached threads; interrupts off */
} thread_state;

static NORETURN void thread_trampoline(void)
{
    struct thread *t = sched_current();
    /* arch_switch left interrupts off; a thread starts with them on. */
    cpu_sti();
    thread_exit(t->fn(t->arg));
}

/* Fill the stack, plant the guard words and build the frame arch_switch
 * pops: EDI ESI EBX EBP, then a return into thread_trampoline, whose own
 * (fake) return address is 0 so that backtraces stop there. */
static void thread_prepare_stack(struct thread *t, void *stack, size_t stack_bytes)
{
    uint32_t *base = stack;
    size_t words = stack_bytes / sizeof(uint32_t);

    for (size_t i = 0; i < words; i++)
        base[i] = i < THREAD_CANARY_WORDS ? THREAD_CANARY : THREAD_STACK_FILL;
    uint32_t *sp = (uint32_t *)ALIGN_DOWN((uintptr_t)(base + words), 16);
    *--sp = 0;                                     /* trampoline's return address */
    *--sp = (uint32_t)(uintptr_t)thread_trampoline; /* arch_switch's ret */
    *--sp = 0;                                     /* EBP: ends the frame chain */
    *--sp = 0;                                     /* EBX */
    *--sp = 0;                                     /* ESI */
    *--sp = 0;                                     /* EDI */
    t->saved_esp = (uint32_t)(uintptr_t)sp;
    t->stack_base = base;
    t->stack_bytes = stack_bytes;
}

void thread_init_static(struct thread *t, const char *name, thread_fn fn, void *arg,
                        enum thread_prio prio, void *stack, size_t stack_bytes)
{
    memset(t, 0, sizeof(*t));
    kstrlcpy(t->name, name, sizeof(t->name));
    t->prio = prio;
    t->fn = fn;
    t->arg = arg;
    rq_node_init(&t->node);
    timeout_entry_init(&t->timeout);
    rq_fifo_init(&t->joiners);
    thread_prepare_stack(t, stack, stack_bytes);
}

void thread_check_stack(const struct thread *t)
{
    if (!t->stack_base)
        return;
    for (unsigned i = 0; i < THREAD_CANARY_WORDS; i++) {
        if (t->stack_base[i] != THREAD_CANARY)
            panic("thread '%s': stack overflow (guard word %u at %p is 0x%08x)", t->name, i,
                  (void *)&t->stack_base[i], (unsigned)t->stack_base[i]);
    }
}

size_t thread_stack_used_bytes(const struct thread *t)
{
    if (!t->stack_base)
        return 0;
    size_t words = t->stack_bytes / sizeof(uint32_t);
    size_t i = THREAD_CANARY_WORDS;
    while (i < words && t->stack_base[i] == THREAD_STACK_FILL)
        i++;
    return (words - i) * sizeof(uint32_t);
}

static void thread_free(struct thread *t)
{
    if (!t->heap_owned)
        return; /* main (boot stack) or a static thread */
    kfree(t->stack_base);
    kfree(t);
}

/* Free every zombie. Context: thread, may take the heap lock. */
static void thread_reap(void)
{
    struct rq_fifo dead;
    struct rq_node *n;

    rq_fifo_init(&dead);
    uint32_t flags = cpu_irq_save();
    while ((n = rq_fifo_pop(&thread_state.zombies)) != NULL) {
        sched_unlist_locked(container_of(n, struct thread, node));
        rq_fifo_push(&dead, n);
    }
    cpu_irq_restore(flags);
    while ((n = rq_fifo_pop(&dead)) != NULL)
        thread_free(container_of(n, struct thread, node));
}

int thread_create(const char *name, thread_fn fn, void *arg, enum thread_prio prio,
                  struct thread **out)
{
    /* 1. Check the request; the scheduler must exist to queue the thread. */
    if (!fn || (unsigned)prio >= THREAD_PRIO_COUNT)
        return ERR_INVAL;
    if (!sched_is_running()) {
        pr_err("thread: %s: created before sched_init", name ? name : "?");
        return ERR_INVAL;
    }
    /* 2. Recycle exited detached threads before allocating new memory. */
    thread_reap();
    /* 3. Record and stack; either failing is ERR_NOMEM with nothing kept. */
    struct thread *t = kmalloc(sizeof(*t));
    if (!t)
        return ERR_NOMEM;
    void *stack = kmalloc(THREAD_STACK_BYTES);
    if (!stack) {
        kfree(t);
        return ERR_NOMEM;
    }
    thread_init_static(t, name ? name : "thread", fn, arg, prio, stack, THREAD_STACK_BYTES);
    t->heap_owned = true;
    t->detached = (out == NULL);
    if (out)
        *out = t;
    /* 4. Make it ready; a higher-priority thread runs before we return. */
    uint32_t flags = cpu_irq_save();
    sched_add_locked(t);
    cpu_irq_restore(flags);
    sched_preempt_point();
    return 0;
}

int thread_join(struct thread *t, int *exit_code)
{
    if (!t || t == sched_current() || t->detached)
        return ERR_INVAL;

    uint32_t flags = cpu_irq_save();
    if (t->state != THREAD_DEAD && !sched_can_block(flags)) {
        cpu_irq_restore(flags);
        return ERR_INVAL;
    }
    while (t->state != THREAD_DEAD)
        sched_block_locked(&t->joiners, THREAD_BLOCKED, SCHED_NO_DEADLINE);
    sched_unlist_locked(t);
    cpu_irq_restore(flags);

    if (exit_code)
        *exit_code = t->exit_code;
    thread_free(t); /* the handle is gone from here on */
    thread_reap();
    return 0;
}

void thread_exit(int code)
{
    struct thread *t = sched_current();

    cpu_irq_save(); /* never restored: this thread does not come back */
    thread_check_stack(t);
    t->exit_code = code;
    if (t->detached)
        rq_fifo_push(&thread_state.zombies, &t->node);
    else
        while (sched_wake_one_locked(&t->joiners))
            ;
    sched_exit_locked();
}

void thread_yield(void)
{
    uint32_t flags = cpu_irq_save();
    sched_yield_locked();
    cpu_irq_restore(flags);
}

const char *thread_name(void)
{
    return sched_current()->name;
}
