// SPDX-License-Identifier: MIT
/* Kernel export registry (see ksym.h): a short list of static tables searched
 * linearly. A module has tens of undefined symbols and the kernel exports
 * under a hundred, so a hash table would not pay for itself. */
#include "kernel/lib/ksym.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/sync.h"

static struct {
    struct mutex lock;                        /* protects everything below */
    bool ready;                               /* lock initialised */
    const struct ksym *tables[KSYM_MAX_TABLES]; /* registered tables, in order */
    size_t counts[KSYM_MAX_TABLES];           /* entries of each table */
    size_t table_count;
} ksym_state;

static void ksym_ensure_ready(void)
{
    /* The first registration happens in single-threaded init code. */
    if (!ksym_state.ready) {
        mutex_init(&ksym_state.lock, "ksym");
        ksym_state.ready = true;
    }
}

static const struct ksym *ksym_find_locked(const char *name)
{
    lock_assert_held(&ksym_state.lock);
    for (size_t t = 0; t < ksym_state.table_count; t++) {
        for (size_t i = 0; i < ksym_state.counts[t]; i++) {
            if (strcmp(ksym_state.tables[t][i].name, name) == 0)
                return &ksym_state.tables[t][i];
        }
    }
    return NULL;
}

int ksym_register(const struct ksym *table, size_t count)
{
    int rc = 0;

    if (!table || count == 0)
        return ERR_INVAL;
    for (size_t i = 0; i < count; i++) {
        if (!table[i].name || !table[i].name[0] || !table[i].addr)
            return ERR_INVAL;
    }
    ksym_ensure_ready();
    mutex_lock(&ksym_state.lock);
    /* 1. Room for one more table. */
    if (ksym_state.table_count == KSYM_MAX_TABLES) {
        pr_err("ksym: too many export tables (max %u)", KSYM_MAX_TABLES);
        rc = ERR_NOSPC;
        goto out_unlock;
    }
    /* 2. No name twice: against the registered tables and inside this one. */
    for (size_t i = 0; i < count; i++) {
        bool dup = ksym_find_locked(table[i].name) != NULL;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(table[j].name, table[i].name) == 0;
        if (dup) {
            pr_err("ksym: export registered twice (%s)", table[i].name);
            rc = ERR_EXIST;
            goto out_unlock;
        }
    }
    /* 3. Commit. */
    ksym_state.tables[ksym_state.table_count] = table;
    ksym_state.counts[ksym_state.table_count] = count;
    ksym_state.table_count++;
out_unlock:
    mutex_unlock(&ksym_state.lock);
    return rc;
}

int ksym_lookup(const char *name, void **out_addr)
{
    const struct ksym *k;

    ksym_ensure_ready();
    mutex_lock(&ksym_state.lock);
    k = ksym_find_locked(name);
    if (k)
        *out_addr = k->addr;
    mutex_unlock(&ksym_state.lock);
    return k ? 0 : ERR_NOENT;
}

size_t ksym_count(void)
{
    size_t n = 0;

    ksym_ensure_ready();
    mutex_lock(&ksym_state.lock);
    for (size_t t = 0; t < ksym_state.table_count; t++)
        n += ksym_state.counts[t];
    mutex_unlock(&ksym_state.lock);
    return n;
}

void ksym_reset(void)
{
    ksym_ensure_ready();
    mutex_lock(&ksym_state.lock);
    ksym_state.table_count = 0;
    mutex_unlock(&ksym_state.lock);
}
