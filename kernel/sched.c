// SPDX-License-Identifier: MIT
/* The scheduler core (see sched.h and sched_priv.h): picks the next thread
 * with the policy in kernel/lib/runqueue.c, switches with arch_switch, blocks
 * and wakes threads, expires timeouts and ends time slices on each tick, and
 * keeps the list of all threads for `threads`.
 * Everything here runs with interrupts off; that is the only lock on a
 * single CPU. A switch requested from an IRQ handler happens in
 * sched_irq_exit() after the EOI, on the interrupted thread's stack. */
#include "kernel/sched.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/crash.h"
#include "kernel/arch/isr.h"
#include "kernel/assert.h"
#include "kernel/err.h"
#include "kernel/irq.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/sched_priv.h"
#include "kernel/selftest.h"
#include "kernel/shell/shell.h"
#include "kernel/time.h"

#define SCHED_IDLE_STACK_BYTES 8192
#define SCHED_SNAPSHOT_MAX 48 /* threads `threads` lists; more are counted */

static struct {
    struct thread *current;      /* running thread */
    struct thread main;          /* the boot flow, on the boot stack */
    struct thread idle;          /* runs when the runqueue is empty; never queued */
    struct runqueue rq;          /* READY threads except idle */
    struct timeout_list timeouts;/* sleeping and timed waiters, by deadline */
    struct thread *all_head;     /* every thread, creation order */
    struct thread *all_tail;
    uint32_t next_id;            /* id for the next new thread */
    bool running;                /* sched_init done: threads may block */
    bool need_resched;           /* switch at the next opportunity */
    int slice_left;              /* ticks left in the current thread's slice */
} sched_state = {
    .current = &sched_state.main,
    .main = { .name = "main", .prio = THREAD_PRIO_NORMAL, .state = THREAD_RUNNING,
              .detached = true },
};

static uint32_t sched_idle_stack[SCHED_IDLE_STACK_BYTES / 4] __attribute__((aligned(16)));

/* ---- switching ---------------------------------------------------------- */

/* Pick the next thread and switch to it. The caller has set the current
 * thread's state: RUNNING means "still runnable" and puts it back on the
 * queue - at the tail if it yielded or used up its slice, at the head if a
 * higher priority cut its slice short. */
static void sched_switch_locked(bool yielded)
{
    struct thread *prev = sched_state.current;

    thread_check_stack(prev);
    if (prev->state == THREAD_RUNNING && prev != &sched_state.idle) {
        prev->state = THREAD_READY;
        if (yielded || sched_state.slice_left <= 0)
            runqueue_push(&sched_state.rq, &prev->node, prev->prio);
        else
            runqueue_push_head(&sched_state.rq, &prev->node, prev->prio);
    } else if (prev->state == THREAD_RUNNING) {
        prev->state = THREAD_READY; /* idle is never queued */
    }

    struct rq_node *n = runqueue_pop(&sched_state.rq, NULL);
    struct thread *next = n ? container_of(n, struct thread, node) : &sched_state.idle;
    next->state = THREAD_RUNNING;
    sched_state.slice_left = SCHED_SLICE_TICKS;
    sched_state.need_resched = false;
    if (next == prev)
        return;
    sched_state.current = next;
    arch_switch(&prev->saved_esp, next->saved_esp); /* resumes here later */
}

/* Request a switch if t should run before the current thread. */
static void sched_note_ready_locked(const struct thread *t)
{
    const struct thread *cur = sched_state.current;
    if (cur == &sched_state.idle || t->prio > cur->prio)
        sched_state.need_resched = true;
}

/* ---- sched_priv.h ------------------------------------------------------- */

struct thread *sched_current(void)
{
    return sched_state.current;
}

bool sched_is_running(void)
{
    return sched_state.running;
}

bool sched_can_block(uint32_t flags)
{
    return sched_state.running && !isr_in_irq() && (flags & CPU_EFLAGS_IF) != 0;
}

void sched_add_locked(struct thread *t)
{
    t->id = ++sched_state.next_id;
    t->all_next = NULL;
    sched_state.all_tail->all_next = t;
    sched_state.all_tail = t;
    t->state = THREAD_READY;
    runqueue_push(&sched_state.rq, &t->node, t->prio);
    sched_note_ready_locked(t);
}

void sched_unlist_locked(struct thread *t)
{
    KASSERT(t->state == THREAD_DEAD);
    struct thread *prev = NULL;
    for (struct thread *p = sched_state.all_head; p; prev = p, p = p->all_next) {
        if (p != t)
            continue;
        if (prev)
            prev->all_next = t->all_next;
        else
            sched_state.all_head = t->all_next;
        if (sched_state.all_tail == t)
            sched_state.all_tail = prev;
        t->all_next = NULL;
        return;
    }
}

int sched_block_locked(struct rq_fifo *wq, enum thread_state state, uint64_t deadline_us)
{
    struct thread *t = sched_state.current;

    KASSERT(sched_state.running && t != &sched_state.idle);
    KASSERT(state == THREAD_BLOCKED || state == THREAD_SLEEPING);
    t->state = state;
    t->wait_result = 0;
    if (wq)
        rq_fifo_push(wq, &t->node);
    if (deadline_us != SCHED_NO_DEADLINE)
        timeout_insert(&sched_state.timeouts, &t->timeout, deadline_us);
    sched_switch_locked(false);
    return t->wait_result;
}

void sched_wake_locked(struct thread *t, int result)
{
    if (t->state != THREAD_BLOCKED && t->state != THREAD_SLEEPING)
        return;
    rq_node_unlink(&t->node);
    timeout_remove(&sched_state.timeouts, &t->timeout);
    t->wait_result = result;
    t->state = THREAD_READY;
    runqueue_push(&sched_state.rq, &t->node, t->prio);
    sched_note_ready_locked(t);
}

struct thread *sched_wake_one_locked(struct rq_fifo *wq)
{
    struct rq_node *n = wq->head;
    if (!n)
        return NULL;
    struct thread *t = container_of(n, struct thread, node);
    sched_wake_locked(t, 0);
    return t;
}

void sched_yield_locked(void)
{
    if (sched_state.running)
        sched_switch_locked(true);
}

void sched_exit_locked(void)
{
    struct thread *t = sched_state.current;
    KASSERT(t != &sched_state.idle);
    t->state = THREAD_DEAD;
    sched_switch_locked(false);
    panic("sched: dead thread '%s' was scheduled again", t->name);
}

void sched_preempt_point(void)
{
    if (!sched_state.need_resched || isr_in_irq() || !cpu_irq_enabled())
        return;
    uint32_t flags = cpu_irq_save();
    if (sched_state.need_resched)
        sched_switch_locked(false);
    cpu_irq_restore(flags);
}

void sched_tick(void)
{
    struct thread *cur = sched_state.current;
    struct timeout_entry *e;

    if (!sched_state.running)
        return;
    /* 1. Account the tick to whoever was interrupted. */
    cur->ticks++;
    /* 2. Wake every sleeper and timed waiter whose deadline has passed. */
    uint64_t now = time_us();
    while ((e = timeout_expire(&sched_state.timeouts, now)) != NULL)
        sched_wake_locked(container_of(e, struct thread, timeout), ERR_TIMEOUT);
    /* 3. End the slice; switch only to a peer or better (the same thread
     *    continues with a fresh slice when it is alone at its level). */
    if (cur == &sched_state.idle) {
        if (runqueue_highest(&sched_state.rq) >= 0)
            sched_state.need_resched = true;
    } else if (--sched_state.slice_left <= 0) {
        if (runqueue_highest(&sched_state.rq) >= (int)cur->prio)
            sched_state.need_resched = true;
        else
            sched_state.slice_left = SCHED_SLICE_TICKS;
    }
}

void sched_irq_exit(void)
{
    if (sched_state.running && sched_state.need_resched)
        sched_switch_locked(false);
}

/* ---- boot ----------------------------------------------------------------- */

static int sched_idle_fn(void *arg)
{
    (void)arg;
    for (;;)
        cpu_sti_hlt(); /* a tick or device IRQ preempts us via sched_irq_exit */
    return 0;
}

void sched_init(void)
{
    KASSERT(runqueue_init(&sched_state.rq, THREAD_PRIO_COUNT) == 0);
    timeout_list_init(&sched_state.timeouts);
    sched_state.all_head = &sched_state.main;
    sched_state.all_tail = &sched_state.main;

    /* The idle thread is never queued: the switch picks it when the queue is
     * empty, so it is not listed through sched_add_locked. */
    thread_init_static(&sched_state.idle, "idle", sched_idle_fn, NULL, THREAD_PRIO_IDLE,
                       sched_idle_stack, sizeof(sched_idle_stack));
    sched_state.idle.id = 0xFFFFFFFFu;
    sched_state.main.all_next = &sched_state.idle;
    sched_state.all_tail = &sched_state.idle;
    sched_state.idle.state = THREAD_READY;

    sched_state.slice_left = SCHED_SLICE_TICKS;
    sched_state.running = true;
    pr_info("sched: main and idle threads ready (%u priorities, %u ms slice)",
            (unsigned)THREAD_PRIO_COUNT, (unsigned)SCHED_SLICE_TICKS);
}

/* ---- introspection and commands ------------------------------------------ */

size_t sched_snapshot(struct thread_info *out, size_t max)
{
    size_t n = 0;
    uint32_t flags = cpu_irq_save();
    for (struct thread *t = sched_state.all_head; t; t = t->all_next, n++) {
        if (n >= max)
            continue;
        struct thread_info *ti = &out[n];
        ti->id = t->id;
        kstrlcpy(ti->name, t->name, sizeof(ti->name));
        ti->prio = t->prio;
        ti->state = t->state;
        ti->ticks = t->ticks;
        ti->stack_used_bytes = thread_stack_used_bytes(t);
        ti->stack_bytes = t->stack_bytes;
    }
    cpu_irq_restore(flags);
    return n;
}

const char *thread_prio_name(enum thread_prio prio)
{
    static const char *const names[THREAD_PRIO_COUNT] = { "idle", "low", "normal", "high" };
    return (unsigned)prio < THREAD_PRIO_COUNT ? names[prio] : "?";
}

const char *thread_state_name(enum thread_state state)
{
    static const char *const names[] = { "running", "ready", "sleeping", "blocked", "dead" };
    return (unsigned)state < ARRAY_SIZE(names) ? names[state] : "?";
}

static int sched_cmd_threads(int argc, char **argv)
{
    static struct thread_info infos[SCHED_SNAPSHOT_MAX]; /* main thread only */
    (void)argv;
    if (argc != 1)
        return shell_error("threads takes no arguments");
    size_t total = sched_snapshot(infos, ARRAY_SIZE(infos));
    size_t shown = MIN(total, ARRAY_SIZE(infos));
    kprintf("%4s %-16s %-6s %-8s %10s %s\n", "ID", "NAME", "PRIO", "STATE", "TICKS",
            "STACK");
    for (size_t i = 0; i < shown; i++) {
        const struct thread_info *ti = &infos[i];
        char id[12];
        if (ti->id == 0xFFFFFFFFu)
            kstrlcpy(id, "-", sizeof(id));
        else
            ksnprintf(id, sizeof(id), "%u", (unsigned)ti->id);
        kprintf("%4s %-16s %-6s %-8s %10llu ", id, ti->name, thread_prio_name(ti->prio),
                thread_state_name(ti->state), (unsigned long long)ti->ticks);
        if (ti->stack_bytes)
            kprintf("%zu/%zu\n", ti->stack_used_bytes, ti->stack_bytes);
        else
            kprintf("boot\n");
    }
    if (total > shown)
        kprintf("(%zu more not shown)\n", total - shown);
    return 0;
}

static const struct shell_cmd sched_cmds[] = {
    { "threads", "", "list threads: id, name, priority, state, ticks, stack use",
      sched_cmd_threads },
};

void sched_register_commands(void)
{
    int rc = shell_register(sched_cmds, ARRAY_SIZE(sched_cmds));
    if (rc < 0)
        pr_err("sched: cannot register shell commands (%s)", err_name(rc));
    irq_register_commands();
    sched_selftest_register();
    selftest_register_commands();
    crash_register_commands();
}
