// SPDX-License-Identifier: MIT
/* The faulty disk (see faulty.h): a DISKFUNC driver living inside blkdev/
 * because it forwards to another disk's raw driver path (disk_priv.h), so
 * the sectors it passes are cached once, by the faulty disk's own cache.
 * Parse the rule text into a trusted table first (faulty_parse), then every
 * callback counts itself, picks the rule that applies under the lock, and
 * acts with no lock held. The lower disk's media is taken in querymedia and
 * let go in closemedia; the lower disk itself is held from creation to
 * close. */
#include "blkdev/faulty.h"
#include "blkdev/cache.h"
#include "blkdev/disk_priv.h"
#include "blkdev/fsprobe.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"
#include "kernel/time.h"

enum faulty_op {
    FAULTY_OP_READ = 1u << 0,
    FAULTY_OP_WRITE = 1u << 1,
    FAULTY_OP_FLUSH = 1u << 2,
    FAULTY_OP_ANY = FAULTY_OP_READ | FAULTY_OP_WRITE | FAULTY_OP_FLUSH,
};

enum faulty_action {
    FAULTY_FAIL,      /* return `status`, nothing moved */
    FAULTY_SHORT,     /* move `arg` sectors (default half), status OK */
    FAULTY_SHORTFAIL, /* the same, GENERAL_ERROR */
    FAULTY_OVER,      /* move all, report `arg` more */
    FAULTY_DELAY,     /* sleep `arg` ms, then go on */
    FAULTY_BAD,       /* sectors lo..hi fail */
    FAULTY_NOMEDIA,   /* from the nth operation on: NO_MEDIA */
};

/* One validated rule. */
struct faulty_rule {
    unsigned ops;        /* enum faulty_op bits it applies to */
    enum faulty_action action;
    uint64_t nth;        /* 1-based call number (of its kind, or of all for ANY) */
    bool from_nth;       /* the nth and every later call; else the nth only */
    uint64_t arg;        /* sectors or ms, see the actions */
    bool has_arg;        /* arg was given (else the action's default) */
    int status;          /* FAULTY_FAIL: DISK_STATUS_* to return */
    lba_t lo, hi;        /* FAULTY_BAD: inclusive sector range */
};

struct faulty_rules {
    struct faulty_rule r[FAULTY_MAX_RULES];
    unsigned n;
};

/* One faulty disk. Fields marked "lock" are under faulty_state.lock. */
struct faulty {
    struct faulty *next;         /* registry list; lock */
    bool listed;                 /* in the registry (until faulty_destroy); lock */
    char name[DISK_NAME_MAX + 1]; /* constant */
    struct disk *handle;         /* DiskAdd's handle; constant after creation */
    struct disk *lower;          /* a disk reference, dropped in close; constant */
    struct media *lower_media;   /* taken in querymedia, put in closemedia; lock */
    struct faulty_rules rules;   /* lock */
    char rules_text[FAULTY_RULES_MAX]; /* as given, for `faulty list`; lock */
    uint64_t since[3];           /* reads/writes/flushes since the rules were set; lock */
    uint64_t since_ops;          /* all three together; lock */
    struct faulty_counters c;    /* lock */
};

static struct {
    struct mutex lock;     /* the registry, and every faulty's rules and counters */
    bool ready;
    struct faulty *first;  /* faulty disks not yet destroyed */
} faulty_state;

static void faulty_setup(void)
{
    if (faulty_state.ready)
        return;
    blkdev_init();
    mutex_init(&faulty_state.lock, "faulty");
    faulty_state.ready = true;
}

/* ---- rule parser ---------------------------------------------------------------------------- */

static int faulty_why(char *why, size_t len, const char *fmt, const char *tok)
{
    if (len)
        ksnprintf(why, len, fmt, tok);
    return ERR_INVAL;
}

/* Parse a decimal or hex number from [s, end); 0 or ERR_INVAL. */
static int faulty_num(const char *s, const char *end, uint64_t *out)
{
    char buf[24];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof(buf))
        return ERR_INVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return kparse_u64(buf, out);
}

static const struct {
    const char *name;
    int status;
} faulty_statuses[] = {
    { "io", DISK_STATUS_GENERAL_ERROR }, { "nomem", DISK_STATUS_NO_MEMORY },
    { "eom", DISK_STATUS_END_OF_MEDIA }, { "nomedia", DISK_STATUS_NO_MEDIA },
    { "inval", DISK_STATUS_INVALID_CALL },
};

static const struct {
    const char *name;
    enum faulty_action action;
} faulty_actions[] = {
    { "fail", FAULTY_FAIL },   { "shortfail", FAULTY_SHORTFAIL }, { "short", FAULTY_SHORT },
    { "over", FAULTY_OVER },   { "delay", FAULTY_DELAY },         { "bad", FAULTY_BAD },
};

/* Parse one word [tok, end) into *r. 0 or ERR_INVAL with a reason. */
static int faulty_parse_one(const char *tok, const char *end, struct faulty_rule *r, char *why,
                            size_t why_len)
{
    char word[64];
    size_t len = (size_t)(end - tok);
    if (len >= sizeof(word))
        return faulty_why(why, why_len, "rule too long (%.20s...)", tok);
    memcpy(word, tok, len);
    word[len] = '\0';
    memset(r, 0, sizeof(*r));
    r->nth = 1;
    r->from_nth = true;
    r->status = DISK_STATUS_GENERAL_ERROR;

    /* 1. The head: "nomedia", "delay", or OP-ACTION. */
    char *p = word;
    char *stop = word + len;
    char *head_end = p;
    while (head_end < stop && *head_end != '@' && *head_end != '=')
        head_end++;
    size_t head_len = (size_t)(head_end - p);
    if (head_len == 7 && !strncmp(p, "nomedia", 7)) {
        r->ops = FAULTY_OP_ANY;
        r->action = FAULTY_NOMEDIA;
    } else if (head_len == 5 && !strncmp(p, "delay", 5)) {
        r->ops = FAULTY_OP_ANY;
        r->action = FAULTY_DELAY;
    } else {
        char *dash = p;
        while (dash < head_end && *dash != '-')
            dash++;
        size_t op_len = (size_t)(dash - p);
        if (op_len == 4 && !strncmp(p, "read", 4))
            r->ops = FAULTY_OP_READ;
        else if (op_len == 5 && !strncmp(p, "write", 5))
            r->ops = FAULTY_OP_WRITE;
        else if (op_len == 5 && !strncmp(p, "flush", 5))
            r->ops = FAULTY_OP_FLUSH;
        else if (op_len == 3 && !strncmp(p, "any", 3))
            r->ops = FAULTY_OP_ANY;
        else
            return faulty_why(why, why_len, "unknown rule '%s' (want OP-ACTION, nomedia, delay)",
                              word);
        if (dash == head_end)
            return faulty_why(why, why_len, "rule '%s' has no action", word);
        size_t act_len = (size_t)(head_end - dash - 1);
        size_t i;
        for (i = 0; i < ARRAY_SIZE(faulty_actions); i++) {
            if (strlen(faulty_actions[i].name) == act_len &&
                !strncmp(dash + 1, faulty_actions[i].name, act_len))
                break;
        }
        if (i == ARRAY_SIZE(faulty_actions))
            return faulty_why(why, why_len, "unknown action in '%s'", word);
        r->action = faulty_actions[i].action;
    }
    /* 2. "@N" or "@N+". */
    p = head_end;
    if (p < stop && *p == '@') {
        char *q = ++p;
        while (q < stop && *q != '+' && *q != '=')
            q++;
        if (r->action == FAULTY_BAD)
            return faulty_why(why, why_len, "'%s': a sector range takes no @N", word);
        if (faulty_num(p, q, &r->nth) || r->nth == 0)
            return faulty_why(why, why_len, "'%s': @N needs a number >= 1", word);
        r->from_nth = r->action == FAULTY_NOMEDIA;
        if (q < stop && *q == '+') {
            r->from_nth = true;
            q++;
        }
        p = q;
    }
    /* 3. "=ARG", checked per action. */
    bool has_arg = p < stop && *p == '=';
    if (p < stop && !has_arg)
        return faulty_why(why, why_len, "'%s': junk after the rule", word);
    const char *arg = has_arg ? p + 1 : stop;
    bool flush_ok = true;
    switch (r->action) {
    case FAULTY_NOMEDIA:
        if (has_arg)
            return faulty_why(why, why_len, "'%s': nomedia takes no value", word);
        break;
    case FAULTY_FAIL:
        if (!has_arg)
            break;
        for (size_t i = 0; i < ARRAY_SIZE(faulty_statuses); i++) {
            if (!strcmp(arg, faulty_statuses[i].name)) {
                r->status = faulty_statuses[i].status;
                has_arg = false;
                break;
            }
        }
        if (has_arg) {
            uint64_t v;
            if (faulty_num(arg, stop, &v) || v > 255)
                return faulty_why(why, why_len,
                                  "'%s': status is io, nomem, eom, nomedia, inval or 0..255",
                                  word);
            r->status = (int)v;
        }
        if (r->status == DISK_STATUS_OK)
            return faulty_why(why, why_len, "'%s': failing with status 0 is not a failure",
                              word);
        break;
    case FAULTY_SHORT:
    case FAULTY_SHORTFAIL:
    case FAULTY_OVER:
        flush_ok = false;
        if (has_arg && (faulty_num(arg, stop, &r->arg) || r->arg > FAULTY_OVER_MAX))
            return faulty_why(why, why_len, "'%s': sector count must be 0..65536", word);
        r->has_arg = has_arg;
        if (r->action == FAULTY_OVER && !has_arg)
            r->arg = 1;
        break;
    case FAULTY_DELAY:
        if (!has_arg || faulty_num(arg, stop, &r->arg) || r->arg > FAULTY_DELAY_MAX_MS)
            return faulty_why(why, why_len, "'%s': delay needs =MS, at most 60000", word);
        break;
    case FAULTY_BAD: {
        flush_ok = false;
        const char *dash = arg;
        while (dash < stop && *dash != '-')
            dash++;
        if (!has_arg || dash == stop || faulty_num(arg, dash, &r->lo) ||
            faulty_num(dash + 1, stop, &r->hi) || r->lo > r->hi)
            return faulty_why(why, why_len, "'%s': bad needs =FIRST-LAST sectors", word);
        break;
    }
    }
    if (!flush_ok && !(r->ops & (FAULTY_OP_READ | FAULTY_OP_WRITE)))
        return faulty_why(why, why_len, "'%s': a flush moves no sectors", word);
    if (!flush_ok && r->ops == FAULTY_OP_ANY)
        r->ops = FAULTY_OP_READ | FAULTY_OP_WRITE;
    return 0;
}

/* The whole text into *out. 0 or ERR_INVAL with a reason. */
static int faulty_parse(const char *text, struct faulty_rules *out, char *why, size_t why_len)
{
    out->n = 0;
    if (!text)
        return 0;
    if (strnlen(text, FAULTY_RULES_MAX) == FAULTY_RULES_MAX)
        return faulty_why(why, why_len, "rules longer than %s bytes", "255");
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != ',')
            end++;
        if ((size_t)(end - p) == 4 && !strncmp(p, "none", 4)) {
            p = end;
            continue;
        }
        if (out->n == FAULTY_MAX_RULES)
            return faulty_why(why, why_len, "more than %s rules", "16");
        int rc = faulty_parse_one(p, end, &out->r[out->n], why, why_len);
        if (rc)
            return rc;
        out->n++;
        p = end;
    }
}

int faulty_check_rules(const char *rules, char *why, size_t why_len)
{
    struct faulty_rules tmp;
    return faulty_parse(rules, &tmp, why, why_len);
}

/* ---- the decision ------------------------------------------------------------------------- */

/* What one call must do, decided under the lock. */
struct faulty_plan {
    const struct faulty_rule *rule; /* deciding rule copy below, NULL = pass through */
    struct faulty_rule copy;
    uint32_t delay_ms;
};

static bool faulty_rule_hits_locked(const struct faulty *f, const struct faulty_rule *r,
                                    unsigned op, uint64_t count, lba_t lba, uint32_t n)
{
    lock_assert_held(&faulty_state.lock);
    if (r->action == FAULTY_NOMEDIA)
        return f->since_ops >= r->nth;
    if (!(r->ops & op))
        return false;
    if (r->action == FAULTY_BAD)
        return n > 0 && r->lo <= lba + n - 1 && r->hi >= lba;
    uint64_t k = r->ops == FAULTY_OP_ANY || (r->ops & (r->ops - 1)) ? f->since_ops : count;
    return r->from_nth ? k >= r->nth : k == r->nth;
}

/* Count the call of kind `op` (index idx) and decide what it does. */
static void faulty_plan_locked(struct faulty *f, unsigned op, unsigned idx, lba_t lba,
                               uint32_t n, struct faulty_plan *plan)
{
    lock_assert_held(&faulty_state.lock);
    uint64_t count = ++f->since[idx];
    f->since_ops++;
    plan->rule = NULL;
    plan->delay_ms = 0;
    for (unsigned i = 0; i < f->rules.n; i++) {
        const struct faulty_rule *r = &f->rules.r[i];
        if (!faulty_rule_hits_locked(f, r, op, count, lba, n))
            continue;
        if (r->action == FAULTY_DELAY) {
            plan->delay_ms = (uint32_t)MIN((uint64_t)plan->delay_ms + r->arg,
                                           (uint64_t)FAULTY_DELAY_MAX_MS);
        } else if (!plan->rule || r->action == FAULTY_NOMEDIA) {
            plan->copy = *r;
            plan->rule = &plan->copy;
        }
    }
    if (plan->rule)
        f->c.injected++;
    f->c.delayed_ms += plan->delay_ms;
}

/* The lower media, with a reference for this call; NULL if there is none. */
static struct media *faulty_lower_get(struct faulty *f)
{
    mutex_lock(&faulty_state.lock);
    struct media *m = f->lower_media;
    bool ok = m && media_tryget(m);
    mutex_unlock(&faulty_state.lock);
    return ok ? m : NULL;
}

/* ---- DISKFUNC callbacks ------------------------------------------------------------------- */

static void STDCALL faulty_close(void *userdata)
{
    struct faulty *f = userdata;
    pr_info("faulty: %s: closed, releasing %s", f->name, disk_name(f->lower));
    disk_put(f->lower); /* the lower disk's close may follow here */
    kfree(f);
}

static void STDCALL faulty_closemedia(void *userdata)
{
    struct faulty *f = userdata;
    mutex_lock(&faulty_state.lock);
    struct media *m = f->lower_media;
    f->lower_media = NULL;
    mutex_unlock(&faulty_state.lock);
    if (!m)
        return;
    /* Lines read through the lower disk meanwhile may be stale: forget them. */
    if (!media_is_removed(m))
        cache_drop(m);
    media_put(m);
}

static int STDCALL faulty_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct faulty *f = userdata;
    struct media *m = NULL;

    /* 1. A nomedia rule that has fired (or fires on the next call) hides it. */
    mutex_lock(&faulty_state.lock);
    f->c.queries++;
    bool hidden = false;
    for (unsigned i = 0; i < f->rules.n; i++) {
        const struct faulty_rule *r = &f->rules.r[i];
        if (r->action == FAULTY_NOMEDIA && f->since_ops + 1 >= r->nth)
            hidden = true;
    }
    struct media *old = f->lower_media;
    f->lower_media = NULL;
    mutex_unlock(&faulty_state.lock);
    if (old)
        media_put(old); /* not expected: closemedia comes first (contract) */
    if (hidden)
        return DISK_STATUS_NO_MEDIA;
    /* 2. The lower disk's current media becomes ours. */
    if (disk_get_media(f->lower, &m))
        return DISK_STATUS_NO_MEDIA;
    info->flags = media_is_readonly(m) ? DISK_MEDIA_READONLY : 0;
    info->sectorsize = media_sector_size(m);
    info->capacity = media_capacity(m);
    mutex_lock(&faulty_state.lock);
    f->lower_media = m;
    mutex_unlock(&faulty_state.lock);
    return DISK_STATUS_OK;
}

/* Move `n` sectors through the lower disk's raw path; *moved gets the count. */
static int faulty_move(struct faulty *f, bool write, void *buf, lba_t lba, uint32_t n,
                       uint32_t *moved)
{
    *moved = 0;
    if (n == 0)
        return DISK_STATUS_OK;
    struct media *m = faulty_lower_get(f);
    if (!m)
        return DISK_STATUS_NO_MEDIA;
    int rc = write ? media_driver_write(m, lba, n, buf, moved)
                   : media_driver_read(m, lba, n, buf, moved);
    media_put(m);
    mutex_lock(&faulty_state.lock);
    if (write)
        f->c.write_sectors += *moved;
    else
        f->c.read_sectors += *moved;
    mutex_unlock(&faulty_state.lock);
    return disk_err_to_status(rc);
}

static int faulty_rw(struct faulty *f, bool write, void *buf, int64_t start, int *numsectors)
{
    struct faulty_plan plan;
    uint32_t moved = 0;
    int st;

    /* 1. The kernel's request (trusted, but cheap to check). */
    int want = *numsectors;
    *numsectors = 0;
    if (want <= 0 || start < 0)
        return DISK_STATUS_INVALID_CALL;
    lba_t lba = (lba_t)start;
    uint32_t n = (uint32_t)want;
    /* 2. Count it, pick the rule, wait if told to. */
    mutex_lock(&faulty_state.lock);
    if (write)
        f->c.writes++;
    else
        f->c.reads++;
    faulty_plan_locked(f, write ? FAULTY_OP_WRITE : FAULTY_OP_READ, write ? 1 : 0, lba, n,
                       &plan);
    mutex_unlock(&faulty_state.lock);
    if (plan.delay_ms)
        sleep_ms(plan.delay_ms);
    /* 3. Act. A short count never exceeds n - 1; only `over` lies. */
    const struct faulty_rule *r = plan.rule;
    if (!r) {
        st = faulty_move(f, write, buf, lba, n, &moved);
        *numsectors = (int)moved;
        return st;
    }
    switch (r->action) {
    case FAULTY_NOMEDIA:
        return DISK_STATUS_NO_MEDIA;
    case FAULTY_FAIL:
        return r->status;
    case FAULTY_BAD:
        st = faulty_move(f, write, buf, lba, r->lo > lba ? (uint32_t)(r->lo - lba) : 0, &moved);
        *numsectors = (int)moved;
        return st == DISK_STATUS_OK ? DISK_STATUS_GENERAL_ERROR : st;
    case FAULTY_SHORT:
    case FAULTY_SHORTFAIL: {
        uint32_t k = r->has_arg ? (uint32_t)MIN(r->arg, (uint64_t)n - 1) : n / 2;
        st = faulty_move(f, write, buf, lba, k, &moved);
        *numsectors = (int)moved;
        if (r->action == FAULTY_SHORTFAIL && st == DISK_STATUS_OK)
            st = DISK_STATUS_GENERAL_ERROR;
        return st;
    }
    case FAULTY_OVER:
        st = faulty_move(f, write, buf, lba, n, &moved);
        *numsectors = (int)MIN((uint64_t)moved + r->arg, (uint64_t)INT32_MAX);
        return st;
    case FAULTY_DELAY:
        break; /* never chosen as the deciding rule */
    }
    return DISK_STATUS_GENERAL_ERROR;
}

static int STDCALL faulty_read(void *userdata, void *buffer, int64_t startsector,
                               int *numsectors)
{
    return faulty_rw(userdata, false, buffer, startsector, numsectors);
}

static int STDCALL faulty_write(void *userdata, const void *buffer, int64_t startsector,
                                int *numsectors)
{
    /* The write path never writes into the buffer. */
    return faulty_rw(userdata, true, (void *)(uintptr_t)buffer, startsector, numsectors);
}

static int STDCALL faulty_flush(void *userdata)
{
    struct faulty *f = userdata;
    struct faulty_plan plan;

    mutex_lock(&faulty_state.lock);
    f->c.flushes++;
    faulty_plan_locked(f, FAULTY_OP_FLUSH, 2, 0, 0, &plan);
    mutex_unlock(&faulty_state.lock);
    if (plan.delay_ms)
        sleep_ms(plan.delay_ms);
    if (plan.rule)
        return plan.rule->action == FAULTY_NOMEDIA ? DISK_STATUS_NO_MEDIA : plan.rule->status;
    struct media *m = faulty_lower_get(f);
    if (!m)
        return DISK_STATUS_NO_MEDIA;
    int rc = media_driver_flush(m);
    media_put(m);
    return disk_err_to_status(rc);
}

static DISKFUNC faulty_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = faulty_close,
    .closemedia = faulty_closemedia,
    .querymedia = faulty_querymedia,
    .read = faulty_read,
    .write = faulty_write,
    .flush = faulty_flush,
};

/* ---- public API --------------------------------------------------------------------------- */

/* Refuse a lower disk whose file systems are mounted (a second writer), then
 * write back and forget its cached sectors. 0, ERR_BUSY or the sync error. */
static int faulty_claim_lower(struct disk *lower)
{
    struct media *m;
    if (disk_get_media(lower, &m))
        return 0; /* no media now: nothing cached, nothing mounted */
    int rc = 0;
    for (unsigned n = 1; n <= media_part_count(m) && !rc; n++) {
        const struct fsprobe *probe;
        void *fs;
        if (fsprobe_if_mounted(m, n, &probe, &fs) == 0)
            rc = ERR_BUSY;
    }
    if (!rc)
        rc = cache_drop(m);
    media_put(m);
    return rc;
}

int faulty_create(const char *lower, const char *name, const char *rules,
                  struct faulty **out)
{
    char why[96];
    struct faulty *f;
    struct disk *ld;
    int rc;

    faulty_setup();
    /* 1. Rules and the lower disk. */
    if (!name || !lower)
        return ERR_INVAL;
    f = kzalloc(sizeof(*f));
    if (!f)
        return ERR_NOMEM;
    rc = faulty_parse(rules, &f->rules, why, sizeof(why));
    if (rc) {
        pr_err("faulty: %s: %s", name, why);
        goto err_free;
    }
    kstrlcpy(f->rules_text, rules ? rules : "", sizeof(f->rules_text));
    kstrlcpy(f->name, name, sizeof(f->name));
    rc = disk_find(lower, &ld);
    if (rc) {
        pr_err("faulty: %s: no disk '%s' to wrap", name, lower);
        goto err_free;
    }
    f->lower = ld;
    /* 2. Take the lower disk over: nothing mounted, nothing cached. */
    rc = faulty_claim_lower(ld);
    if (rc) {
        pr_err("faulty: %s: cannot take over %s (%s)", name, disk_name(ld), err_name(rc));
        goto err_put;
    }
    /* 3. Register; the media is polled on first use. */
    rc = disk_add(&faulty_funcs, name, f, DISK_NO_INSERT_NOTIFICATION, &f->handle);
    if (rc)
        goto err_put;
    mutex_lock(&faulty_state.lock);
    f->next = faulty_state.first;
    faulty_state.first = f;
    f->listed = true;
    mutex_unlock(&faulty_state.lock);
    pr_info("faulty: %s: wraps %s (rules '%s')", name, disk_name(ld), f->rules_text);
    *out = f;
    return 0;
err_put:
    disk_put(ld);
err_free:
    kfree(f);
    return rc;
}

int faulty_set_rules(struct faulty *f, const char *rules)
{
    struct faulty_rules tmp;
    char why[96];
    int rc = faulty_parse(rules, &tmp, why, sizeof(why));
    if (rc) {
        pr_err("faulty: %s: %s", f->name, why);
        return rc;
    }
    mutex_lock(&faulty_state.lock);
    f->rules = tmp;
    kstrlcpy(f->rules_text, rules ? rules : "", sizeof(f->rules_text));
    f->since[0] = f->since[1] = f->since[2] = 0;
    f->since_ops = 0;
    mutex_unlock(&faulty_state.lock);
    return 0;
}

void faulty_destroy(struct faulty *f)
{
    mutex_lock(&faulty_state.lock);
    for (struct faulty **p = &faulty_state.first; *p; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            break;
        }
    }
    f->listed = false;
    mutex_unlock(&faulty_state.lock);
    disk_del(f->handle); /* close (and kfree) may run inside */
}

int faulty_find(const char *name, struct faulty **out)
{
    faulty_setup();
    mutex_lock(&faulty_state.lock);
    struct faulty *f = faulty_state.first;
    while (f && kstrcasecmp(f->name, name))
        f = f->next;
    mutex_unlock(&faulty_state.lock);
    if (!f)
        return ERR_NOENT;
    *out = f;
    return 0;
}

struct disk *faulty_disk(const struct faulty *f)
{
    return f->handle;
}

void faulty_get_counters(struct faulty *f, struct faulty_counters *out)
{
    mutex_lock(&faulty_state.lock);
    *out = f->c;
    mutex_unlock(&faulty_state.lock);
}

/* ---- shell -------------------------------------------------------------------------------- */

/* argv[from..argc) joined with blanks into buf. false if it does not fit. */
static bool faulty_join(int argc, char **argv, int from, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = from; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (used + n + 2 > len)
            return false;
        if (used)
            buf[used++] = ' ';
        memcpy(buf + used, argv[i], n + 1);
        used += n;
    }
    return true;
}

static int faulty_cmd_list(void)
{
    mutex_lock(&faulty_state.lock);
    for (struct faulty *f = faulty_state.first; f; f = f->next) {
        kprintf("%s of %s reads=%llu writes=%llu flushes=%llu injected=%llu rules='%s'\n",
                f->name, disk_name(f->lower), (unsigned long long)f->c.reads,
                (unsigned long long)f->c.writes, (unsigned long long)f->c.flushes,
                (unsigned long long)f->c.injected, f->rules_text);
    }
    mutex_unlock(&faulty_state.lock);
    return 0;
}

static int faulty_cmd(int argc, char **argv)
{
    char rules[FAULTY_RULES_MAX], why[96];
    struct faulty *f;

    faulty_setup();
    if (argc == 1 || (argc == 2 && !strcmp(argv[1], "list")))
        return faulty_cmd_list();
    if (!strcmp(argv[1], "add")) {
        if (argc < 5 || strcmp(argv[3], "of"))
            return shell_error("usage: faulty add NAME of DISK [RULES...]");
        if (!faulty_join(argc, argv, 5, rules, sizeof(rules)))
            return shell_error("rules too long (max %u bytes)", FAULTY_RULES_MAX - 1);
        if (faulty_check_rules(rules, why, sizeof(why)))
            return shell_error("%s", why);
        int rc = faulty_create(argv[4], argv[2], rules, &f);
        if (rc == ERR_NOENT)
            return shell_error("no such disk '%s'", argv[4]);
        if (rc == ERR_BUSY)
            return shell_error("a file system of '%s' is mounted", argv[4]);
        if (rc)
            return shell_error("cannot add '%s' (%s)", argv[2], err_name(rc));
        kprintf("%s wraps %s\n", argv[2], argv[4]);
        return 0;
    }
    if (!strcmp(argv[1], "set")) {
        if (argc < 3)
            return shell_error("usage: faulty set NAME [RULES...]");
        if (!faulty_join(argc, argv, 3, rules, sizeof(rules)))
            return shell_error("rules too long (max %u bytes)", FAULTY_RULES_MAX - 1);
        if (faulty_check_rules(rules, why, sizeof(why)))
            return shell_error("%s", why);
        if (faulty_find(argv[2], &f))
            return shell_error("no faulty disk '%s'", argv[2]);
        return faulty_set_rules(f, rules) ? shell_error("bad rules") : 0;
    }
    if (!strcmp(argv[1], "del")) {
        if (argc != 3)
            return shell_error("usage: faulty del NAME");
        if (faulty_find(argv[2], &f))
            return shell_error("no faulty disk '%s'", argv[2]);
        faulty_destroy(f);
        return 0;
    }
    return shell_error("unknown subcommand '%s' (add, set, del, list)", argv[1]);
}

static const struct shell_cmd faulty_cmds[] = {
    { "faulty", "[add NAME of DISK RULES | set NAME RULES | del NAME | list]",
      "fault-injecting wrapper disks (rules: see blkdev/faulty.h)", faulty_cmd },
};

void faulty_init(void)
{
    faulty_setup();
    if (shell_register(faulty_cmds, ARRAY_SIZE(faulty_cmds)))
        pr_err("faulty: cannot register the faulty command");
}
