// SPDX-License-Identifier: MIT
/* The file-layer load generator (contract in fs/stress.h). Each thread owns
 * STRESS_FILES_PER_THREAD file slots; slot s lives on path s % npaths in the
 * thread's folder PATH/tN, or in its sub folder PATH/tN/sub, under the name
 * fS_gG.bin (G grows with each rename). A slot's record is its shadow copy
 * (the exact bytes the file must hold), so overwrites, appends, zero-filled
 * gaps and truncation are modelled by editing the shadow the same way.
 * After any unexpected result the slot's file is deleted and forgotten, so
 * one fault is counted once instead of cascading. */
#include "fs/stress.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define STRESS_PATH_MAX 256          /* bytes of a built path, NUL included */
#define STRESS_ARG_PATH_MAX 200      /* longest PATH argument: leaves room for "/t15/sub/f7_g..." */
#define STRESS_IO_BYTES 16384u       /* largest single read or overwrite */
#define STRESS_SMALL_BYTES 600u      /* "small file" size bound: a quarter of creates */
#define STRESS_LOG_LIMIT 8           /* log lines per thread, so a broken FS cannot flood dmesg */

/* One file slot; touched only by its thread. */
struct stress_file {
    uint8_t *shadow; /* expected contents, size bytes (NULL while size is 0) */
    uint32_t size;   /* expected size in bytes */
    uint32_t gen;    /* name generation: fS_gGEN.bin */
    unsigned path;   /* index into cfg->paths */
    bool exists;     /* the file should exist */
    bool in_sub;     /* it lives in PATH/tN/sub */
};

/* One worker; allocated by stress_run, private to its thread until joined. */
struct stress_thread {
    const struct stress_config *cfg;
    unsigned id;
    uint64_t deadline_ms;
    struct xorshift rng;                          /* decisions and data seeds */
    struct stress_file files[STRESS_FILES_PER_THREAD];
    bool sub_exists[STRESS_MAX_PATHS];            /* PATH/tN/sub exists */
    unsigned logged;                              /* log lines printed so far */
    uint8_t *io;                                  /* STRESS_IO_BYTES */
    char a[STRESS_PATH_MAX], b[STRESS_PATH_MAX];  /* path scratch */
    struct stress_stats st;
    struct thread *handle;
};

/* ---- helpers ------------------------------------------------------------------------------- */

static uint32_t st_rand(struct stress_thread *t)
{
    uint32_t v;
    xorshift_fill(&t->rng, &v, sizeof(v));
    return v;
}

static uint32_t st_below(struct stress_thread *t, uint32_t n)
{
    return n ? st_rand(t) % n : 0;
}

static void st_dir_path(struct stress_thread *t, char *buf, unsigned p, bool sub)
{
    ksnprintf(buf, STRESS_PATH_MAX, "%s/t%u%s", t->cfg->paths[p], t->id, sub ? "/sub" : "");
}

static void st_file_path(struct stress_thread *t, char *buf, unsigned s, uint32_t gen,
                         bool in_sub)
{
    ksnprintf(buf, STRESS_PATH_MAX, "%s/t%u%s/f%u_g%u.bin", t->cfg->paths[t->files[s].path],
              t->id, in_sub ? "/sub" : "", s, (unsigned)gen);
}

static void st_log(struct stress_thread *t, const char *what, const char *path, int rc,
                   uint64_t a, uint64_t b)
{
    if (t->logged++ >= STRESS_LOG_LIMIT)
        return;
    pr_err("stress: t%u: %s %s (%s, %llu, %llu)", t->id, what, path, err_name(rc),
           (unsigned long long)a, (unsigned long long)b);
}

/* Count rc: 0 is fine, ERR_NOSPC is expected, anything else is an error. */
static void st_count(struct stress_thread *t, const char *op, const char *path, int rc)
{
    if (rc == ERR_NOSPC) {
        t->st.nospc++;
    } else if (rc) {
        t->st.errors++;
        st_log(t, op, path, rc, 0, 0);
    }
}

static void st_mismatch(struct stress_thread *t, const char *what, const char *path,
                        uint64_t expected, uint64_t got)
{
    t->st.mismatches++;
    st_log(t, what, path, 0, expected, got);
}

/* Resize a slot's shadow, zero-filling growth. Returns 0 or ERR_NOMEM. */
static int st_resize(struct stress_file *f, uint32_t size)
{
    if (size == 0) {
        kfree(f->shadow);
        f->shadow = NULL;
        f->size = 0;
        return 0;
    }
    uint8_t *n = krealloc(f->shadow, size);
    if (!n)
        return ERR_NOMEM;
    if (size > f->size)
        memset(n + f->size, 0, size - f->size);
    f->shadow = n;
    f->size = size;
    return 0;
}

/* Delete the slot's file (whatever state it is in) and forget it. */
static void st_forget(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    st_file_path(t, t->a, s, f->gen, f->in_sub);
    int rc = vfs_delete(t->a);
    if (rc && rc != ERR_NOENT)
        st_count(t, "delete", t->a, rc);
    f->exists = false;
    st_resize(f, 0);
}

/* After ERR_NOSPC: drop the file that hit it and two more of ours. */
static void st_make_room(struct stress_thread *t, unsigned s)
{
    st_forget(t, s);
    for (int i = 0; i < 2; i++) {
        unsigned v = st_below(t, STRESS_FILES_PER_THREAD);
        if (t->files[v].exists)
            st_forget(t, v);
    }
}

/* ---- operations ------------------------------------------------------------------------------ */

static void st_op_create(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    uint32_t size = st_below(t, 4) == 0 ? st_below(t, STRESS_SMALL_BYTES)
                                        : st_below(t, STRESS_FILE_MAX_BYTES + 1);
    struct xorshift data;
    uint32_t done = 0;

    f->size = 0; /* the old contents go away whatever happens */
    if (st_resize(f, size)) {
        t->st.errors++;
        st_forget(t, s);
        return;
    }
    xorshift_init(&data, st_rand(t));
    xorshift_fill(&data, f->shadow, size);
    st_file_path(t, t->a, s, f->gen, f->in_sub);
    int rc = vfs_create_file(t->a, f->shadow, size, &done);
    t->st.bytes_written += done;
    if (rc == 0 && done == size) {
        f->exists = true;
        return;
    }
    if (rc == 0)
        st_mismatch(t, "create short", t->a, size, done);
    st_count(t, "create", t->a, rc);
    if (rc == ERR_NOSPC)
        st_make_room(t, s);
    else
        st_forget(t, s);
}

/* Read the whole file back in random pieces and compare with the shadow; a
 * missing file must be reported missing. */
static void st_op_verify(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    struct vfs_info *info = (struct vfs_info *)t->io; /* io is larger than vfs_info */
    _Static_assert(sizeof(struct vfs_info) <= STRESS_IO_BYTES, "io too small for vfs_info");

    /* 1. Size (or absence) as get-info reports it. */
    st_file_path(t, t->a, s, f->gen, f->in_sub);
    int rc = vfs_get_info(t->a, info);
    if (!f->exists) {
        if (rc != ERR_NOENT) {
            st_mismatch(t, "deleted file still there", t->a, ERR_NOENT, (uint64_t)-rc);
            vfs_delete(t->a);
        }
        return;
    }
    if (rc) {
        st_count(t, "stat", t->a, rc);
        st_forget(t, s);
        return;
    }
    if (info->size != f->size) {
        st_mismatch(t, "size", t->a, f->size, info->size);
        st_forget(t, s);
        return;
    }

    /* 2. Contents, in pieces of 1..STRESS_IO_BYTES; the last piece sometimes
     *    asks for more than is left and must get ERR_EOM with the rest. */
    uint32_t off = 0;
    while (off < f->size || off == 0) {
        uint32_t left = f->size - off;
        uint32_t want = 1 + st_below(t, STRESS_IO_BYTES);
        bool past_end = want > left;
        uint32_t done = 0;
        if (past_end && st_below(t, 4) != 0)
            want = left, past_end = false;
        if (want == 0)
            break; /* empty file: step 1 checked everything */
        rc = vfs_read_file(t->a, off, t->io, want, &done);
        int want_rc = past_end ? ERR_EOM : 0;
        uint32_t want_done = past_end ? left : want;
        if (rc != want_rc || done != want_done) {
            if (rc != want_rc && rc != 0 && rc != ERR_EOM)
                st_count(t, "read", t->a, rc);
            else
                st_mismatch(t, "read length", t->a, want_done, done);
            st_forget(t, s);
            return;
        }
        if (done && memcmp(t->io, f->shadow + off, done) != 0) {
            uint32_t i = 0;
            while (t->io[i] == f->shadow[off + i])
                i++;
            st_mismatch(t, "contents at offset", t->a, off + i, t->io[i]);
            st_forget(t, s);
            return;
        }
        t->st.bytes_verified += done;
        off += done;
    }
}

/* Write a fresh piece at `off` (past the end leaves a zero-filled gap). */
static void st_write_at(struct stress_thread *t, unsigned s, uint32_t off)
{
    struct stress_file *f = &t->files[s];
    if (off >= STRESS_FILE_MAX_BYTES)
        return;
    uint32_t len = 1 + st_below(t, MIN(STRESS_IO_BYTES, STRESS_FILE_MAX_BYTES - off));
    struct xorshift data;
    uint32_t done = 0;

    xorshift_init(&data, st_rand(t));
    xorshift_fill(&data, t->io, len);
    st_file_path(t, t->a, s, f->gen, f->in_sub);
    int rc = vfs_write_file(t->a, off, t->io, len, &done);
    t->st.bytes_written += done;
    if (rc || done != len) {
        if (rc == 0)
            st_mismatch(t, "write short", t->a, len, done);
        st_count(t, "write", t->a, rc);
        if (rc == ERR_NOSPC)
            st_make_room(t, s);
        else
            st_forget(t, s);
        return;
    }
    /* Commit point of the model: the file system accepted all len bytes. */
    if (off + len > f->size && st_resize(f, off + len)) {
        t->st.errors++;
        st_forget(t, s);
        return;
    }
    memcpy(f->shadow + off, t->io, len);
}

static void st_op_overwrite(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    uint32_t off = st_below(t, f->size + 1);
    if (st_below(t, 8) == 0)
        off = f->size + st_below(t, 4096); /* a gap after the end */
    st_write_at(t, s, off);
}

static void st_op_truncate(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    uint32_t size = st_below(t, 2) ? st_below(t, f->size + 1)
                                   : st_below(t, STRESS_FILE_MAX_BYTES + 1);
    st_file_path(t, t->a, s, f->gen, f->in_sub);
    int rc = vfs_set_end(t->a, size);
    if (rc) {
        st_count(t, "set_end", t->a, rc);
        if (rc == ERR_NOSPC)
            st_make_room(t, s);
        else
            st_forget(t, s);
        return;
    }
    if (st_resize(f, size)) {
        t->st.errors++;
        st_forget(t, s);
    }
}

/* New generation of the name; moves between PATH/tN and its sub folder. */
static void st_op_rename(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    bool to_sub = f->in_sub ? st_below(t, 2) != 0
                            : t->sub_exists[f->path] && st_below(t, 4) == 0;

    st_file_path(t, t->a, s, f->gen, f->in_sub);
    st_file_path(t, t->b, s, f->gen + 1, to_sub);
    int rc = vfs_rename(t->a, t->b);
    if (rc) {
        st_count(t, "rename", t->a, rc);
        st_forget(t, s);
        return;
    }
    f->gen++;
    f->in_sub = to_sub;
    /* The old name must be gone. */
    rc = vfs_get_info(t->a, (struct vfs_info *)t->io);
    if (rc != ERR_NOENT)
        st_mismatch(t, "renamed file still at", t->a, ERR_NOENT, (uint64_t)-rc);
}

static void st_op_delete(struct stress_thread *t, unsigned s)
{
    struct stress_file *f = &t->files[s];
    st_file_path(t, t->a, s, f->gen, f->in_sub);
    int rc = vfs_delete(t->a);
    if (rc)
        st_count(t, "delete", t->a, rc);
    f->exists = false;
    st_resize(f, 0);
}

/* mkdir PATH/tN/sub, or rmdir it: that must fail with ERR_NOTEMPTY exactly
 * when one of our files is inside. */
static void st_op_dir(struct stress_thread *t)
{
    unsigned p = st_below(t, t->cfg->npaths), inside = 0;
    st_dir_path(t, t->a, p, true);
    if (!t->sub_exists[p]) {
        int rc = vfs_mkdir(t->a);
        st_count(t, "mkdir", t->a, rc);
        t->sub_exists[p] = rc == 0;
        return;
    }
    for (unsigned s = 0; s < STRESS_FILES_PER_THREAD; s++)
        inside += t->files[s].exists && t->files[s].in_sub && t->files[s].path == p;
    int rc = vfs_delete(t->a);
    if (inside && rc != ERR_NOTEMPTY) {
        st_mismatch(t, "rmdir of a non-empty folder", t->a, ERR_NOTEMPTY, (uint64_t)-rc);
    } else if (!inside) {
        st_count(t, "rmdir", t->a, rc);
        t->sub_exists[p] = rc != 0;
    }
    if (!t->sub_exists[p]) {
        for (unsigned s = 0; s < STRESS_FILES_PER_THREAD; s++) {
            if (t->files[s].path == p)
                t->files[s].in_sub = false; /* only slots that do not exist can be here */
        }
    }
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void st_one_op(struct stress_thread *t)
{
    unsigned s = st_below(t, STRESS_FILES_PER_THREAD);
    uint32_t pick = st_below(t, 100);
    struct stress_file *f = &t->files[s];

    t->st.ops++;
    if (pick >= 40 && pick < 90 && !f->exists)
        pick = 0; /* nothing to modify, rename or delete: create it */
    if (pick < 18)
        st_op_create(t, s);
    else if (pick < 40)
        st_op_verify(t, s);
    else if (pick < 55)
        st_op_overwrite(t, s);
    else if (pick < 65)
        st_write_at(t, s, f->size); /* append */
    else if (pick < 73)
        st_op_truncate(t, s);
    else if (pick < 82)
        st_op_rename(t, s);
    else if (pick < 90)
        st_op_delete(t, s);
    else if (pick < 99)
        st_op_dir(t);
    else
        st_count(t, "sync", "all", vfs_sync_all());
}

static int st_thread_main(void *arg)
{
    struct stress_thread *t = arg;
    unsigned n = t->cfg->npaths;

    /* 1. Own folders; a leftover one means the last run did not clean up,
     *    and its files would break the model, so that path is an error. */
    for (unsigned p = 0; p < n; p++) {
        st_dir_path(t, t->a, p, false);
        int rc = vfs_mkdir(t->a);
        if (rc) {
            st_count(t, "mkdir (remove leftovers first)", t->a, rc);
            return rc;
        }
    }
    for (unsigned s = 0; s < STRESS_FILES_PER_THREAD; s++)
        t->files[s].path = s % n;

    /* 2. The random mix, until the deadline. */
    while (time_ms() < t->deadline_ms)
        st_one_op(t);

    /* 3. Verify and delete every file, then the folders. */
    for (unsigned s = 0; s < STRESS_FILES_PER_THREAD; s++) {
        st_op_verify(t, s);
        if (t->files[s].exists)
            st_op_delete(t, s);
    }
    for (unsigned p = 0; p < n; p++) {
        if (t->sub_exists[p]) {
            st_dir_path(t, t->a, p, true);
            st_count(t, "rmdir", t->a, vfs_delete(t->a));
        }
        st_dir_path(t, t->a, p, false);
        st_count(t, "rmdir", t->a, vfs_delete(t->a));
    }
    return 0;
}

/* ---- the run --------------------------------------------------------------------------------- */

/* mkdir every component of `path` below /DISK/PART; existing ones are fine. */
static int st_make_folders(const char *path)
{
    char buf[STRESS_PATH_MAX];
    size_t len = kstrlcpy(buf, path, sizeof(buf)), slashes = 0;
    if (len >= sizeof(buf))
        return ERR_NAMETOOLONG;
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (++slashes < 3)
            continue; /* "/DISK" and "/DISK/PART" are not ours to make */
        char keep = buf[i];
        buf[i] = '\0';
        int rc = vfs_mkdir(buf);
        buf[i] = keep;
        if (rc && rc != ERR_EXIST)
            return rc;
    }
    return 0;
}

static void st_add(struct stress_stats *sum, const struct stress_stats *x)
{
    sum->ops += x->ops;
    sum->bytes_written += x->bytes_written;
    sum->bytes_verified += x->bytes_verified;
    sum->mismatches += x->mismatches;
    sum->errors += x->errors;
    sum->nospc += x->nospc;
}

static void st_free(struct stress_thread *t)
{
    for (unsigned s = 0; s < STRESS_FILES_PER_THREAD; s++)
        kfree(t->files[s].shadow);
    kfree(t->io);
}

int stress_run(const struct stress_config *cfg, struct stress_stats *total,
               struct stress_stats *per_thread)
{
    struct stress_thread *ts;
    int rc = 0;

    /* 1. Check the config and make the folders. */
    if (!cfg || !total || cfg->seconds < 1 || cfg->seconds > STRESS_MAX_SECONDS ||
        cfg->threads < 1 || cfg->threads > STRESS_MAX_THREADS || cfg->npaths < 1 ||
        cfg->npaths > STRESS_MAX_PATHS || !cfg->paths)
        return ERR_INVAL;
    for (unsigned p = 0; p < cfg->npaths; p++) {
        if (!cfg->paths[p] || strlen(cfg->paths[p]) > STRESS_ARG_PATH_MAX)
            return ERR_INVAL;
        rc = st_make_folders(cfg->paths[p]);
        if (rc)
            return rc;
    }
    memset(total, 0, sizeof(*total));

    /* 2. Allocate every worker before starting any. */
    ts = kzalloc(sizeof(*ts) * cfg->threads);
    if (!ts)
        return ERR_NOMEM;
    uint64_t deadline = time_ms() + (uint64_t)cfg->seconds * 1000;
    for (unsigned i = 0; i < cfg->threads; i++) {
        struct stress_thread *t = &ts[i];
        t->cfg = cfg;
        t->id = i;
        t->deadline_ms = deadline;
        xorshift_init(&t->rng, cfg->seed + i);
        t->io = kmalloc(STRESS_IO_BYTES);
        if (!t->io) {
            rc = ERR_NOMEM;
            goto out_free;
        }
    }

    /* 3. Start them; a thread that cannot start counts as one error. */
    for (unsigned i = 0; i < cfg->threads; i++) {
        char name[16];
        ksnprintf(name, sizeof(name), "stress%u", i);
        if (thread_create(name, st_thread_main, &ts[i], THREAD_PRIO_NORMAL, &ts[i].handle)) {
            ts[i].handle = NULL;
            ts[i].st.errors++;
        }
    }

    /* 4. Join and add up. */
    for (unsigned i = 0; i < cfg->threads; i++) {
        int code = 0;
        if (ts[i].handle)
            thread_join(ts[i].handle, &code);
        st_add(total, &ts[i].st);
        if (per_thread)
            per_thread[i] = ts[i].st;
    }
out_free:
    for (unsigned i = 0; i < cfg->threads; i++)
        st_free(&ts[i]);
    kfree(ts);
    return rc;
}

/* ---- the shell command ----------------------------------------------------------------------- */

static void stress_print(const char *who, const struct stress_stats *s)
{
    kprintf("stress:%s ops=%llu bytes_written=%llu bytes_verified=%llu mismatches=%llu "
            "errors=%llu", who, (unsigned long long)s->ops,
            (unsigned long long)s->bytes_written, (unsigned long long)s->bytes_verified,
            (unsigned long long)s->mismatches, (unsigned long long)s->errors);
}

static int stress_cmd(int argc, char **argv)
{
    struct stress_config cfg = { 0 };
    struct stress_stats total, *per;
    uint64_t secs, threads;

    /* 1. Arguments. */
    if (argc < 4)
        return shell_error("usage: stress SECONDS THREADS PATH [PATH...]");
    if (kparse_u64(argv[1], &secs) || secs < 1 || secs > STRESS_MAX_SECONDS)
        return shell_error("bad SECONDS '%s' (1..%u)", argv[1], STRESS_MAX_SECONDS);
    if (kparse_u64(argv[2], &threads) || threads < 1 || threads > STRESS_MAX_THREADS)
        return shell_error("bad THREADS '%s' (1..%u)", argv[2], STRESS_MAX_THREADS);
    if (argc - 3 > STRESS_MAX_PATHS)
        return shell_error("too many paths (%d, at most %u)", argc - 3, STRESS_MAX_PATHS);
    for (int i = 3; i < argc; i++) {
        if (argv[i][0] != '/' || strlen(argv[i]) > STRESS_ARG_PATH_MAX)
            return shell_error("bad PATH '%s' (want /DISK/PART/folder)", argv[i]);
    }
    cfg.seconds = (uint32_t)secs;
    cfg.threads = (unsigned)threads;
    cfg.paths = (const char *const *)&argv[3];
    cfg.npaths = (unsigned)(argc - 3);
    cfg.seed = (uint32_t)time_us() ^ 0x5EED5EEDu;

    /* 2. Run; print each thread, then the total. */
    per = kzalloc(sizeof(*per) * cfg.threads);
    if (!per)
        return shell_error("out of memory (%zu bytes)", sizeof(*per) * cfg.threads);
    kprintf("stress: seed=0x%08x threads=%u paths=%u seconds=%u\n", (unsigned)cfg.seed,
            cfg.threads, cfg.npaths, (unsigned)cfg.seconds);
    int rc = stress_run(&cfg, &total, per);
    if (rc) {
        kfree(per);
        return shell_error("stress could not start (%s)", err_name(rc));
    }
    for (unsigned i = 0; i < cfg.threads; i++) {
        char who[16];
        ksnprintf(who, sizeof(who), " t%u", i);
        stress_print(who, &per[i]);
        kprintf(" nospc=%llu\n", (unsigned long long)per[i].nospc);
    }
    kfree(per);
    stress_print("", &total);
    kprintf("\n");

    /* 3. Verdict. */
    if (total.mismatches || total.errors)
        return shell_error("stress failed (%llu mismatches, %llu errors; see dmesg)",
                           (unsigned long long)total.mismatches,
                           (unsigned long long)total.errors);
    return 0;
}

static const struct shell_cmd stress_cmds[] = {
    { "stress", "SECONDS THREADS PATH [PATH...]",
      "threads of verified random file operations over the folders for SECONDS", stress_cmd },
};

void stress_register_commands(void)
{
    shell_register(stress_cmds, ARRAY_SIZE(stress_cmds));
}
