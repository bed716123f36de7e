// SPDX-License-Identifier: MIT
/* Shell commands of the file layer; formats in fs_cmds.h. Every command
 * checks its arguments first, then works through fs/vfs.h in chunks of
 * FS_CMD_CHUNK_BYTES; a failure prints one "error: CODE MESSAGE" line with
 * the KolibriOS code of the first error. */
#include "fs/fs_cmds.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/sha256.h"
#include "kernel/lib/xorshift.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

#define FS_CMD_CHUNK_BYTES (64u * 1024) /* I/O buffer of the copying commands */

static int fs_cmd_fail(int err)
{
    int code = vfs_kolibri_code(err);
    return shell_error("%d %s", code, vfs_kolibri_message(code));
}

static int fs_cmd_parse_size(const char *s, uint64_t *out)
{
    return kparse_u64(s, out) == 0 && *out <= VFS_FILE_MAX ? 0 : ERR_INVAL;
}

/* ---- ls, stat --------------------------------------------------------------------------------- */

static int fs_ls_print(const struct vfs_info *e, void *ctx)
{
    (void)ctx;
    bool dir = e->attr & VFS_ATTR_DIR;
    kprintf("%c %llu %s\n", dir ? 'd' : 'f', dir ? 0ull : (unsigned long long)e->size,
            e->name);
    return 0;
}

static int cmd_ls(int argc, char **argv)
{
    if (argc != 2)
        return shell_error("usage: ls PATH");
    int rc = vfs_list(argv[1], fs_ls_print, NULL);
    return rc ? fs_cmd_fail(rc) : 0;
}

static int cmd_stat(int argc, char **argv)
{
    struct vfs_info *i;
    if (argc != 2)
        return shell_error("usage: stat PATH");
    i = kmalloc(sizeof(*i));
    if (!i)
        return fs_cmd_fail(ERR_NOMEM);
    int rc = vfs_get_info(argv[1], i);
    if (rc == 0) {
        bool dir = i->attr & VFS_ATTR_DIR;
        kprintf("%c %llu attr=0x%02x created=%04u-%02u-%02u %02u:%02u:%02u "
                "modified=%04u-%02u-%02u %02u:%02u:%02u accessed=%04u-%02u-%02u\n",
                dir ? 'd' : 'f', dir ? 0ull : (unsigned long long)i->size, i->attr,
                i->ctime.year, i->ctime.month, i->ctime.day, i->ctime.hour, i->ctime.minute,
                i->ctime.second, i->mtime.year, i->mtime.month, i->mtime.day, i->mtime.hour,
                i->mtime.minute, i->mtime.second, i->atime.year, i->atime.month,
                i->atime.day);
    }
    kfree(i);
    return rc ? fs_cmd_fail(rc) : 0;
}

/* ---- hash, cat -------------------------------------------------------------------------------- */

/* Read a whole file chunk by chunk into fn. Returns 0 or the error. */
static int fs_read_all(const char *path, void (*fn)(const uint8_t *buf, uint32_t n, void *ctx),
                       void *ctx)
{
    uint8_t *buf = kmalloc(FS_CMD_CHUNK_BYTES);
    uint64_t off = 0;
    int rc = 0;
    if (!buf)
        return ERR_NOMEM;
    for (;;) {
        uint32_t done = 0;
        rc = vfs_read_file(path, off, buf, FS_CMD_CHUNK_BYTES, &done);
        if (done)
            fn(buf, done, ctx);
        off += done;
        if (rc == ERR_EOM) {
            rc = 0;
            break;
        }
        if (rc)
            break;
    }
    kfree(buf);
    return rc;
}

struct fs_hash_ctx {
    struct sha256 sha;
    uint64_t size;
};

static void fs_hash_chunk(const uint8_t *buf, uint32_t n, void *ctx)
{
    struct fs_hash_ctx *h = ctx;
    sha256_update(&h->sha, buf, n);
    h->size += n;
}

static int cmd_hash(int argc, char **argv)
{
    struct fs_hash_ctx h;
    uint8_t digest[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS];

    if (argc != 2)
        return shell_error("usage: hash PATH");
    sha256_init(&h.sha);
    h.size = 0;
    int rc = fs_read_all(argv[1], fs_hash_chunk, &h);
    if (rc)
        return fs_cmd_fail(rc);
    sha256_final(&h.sha, digest);
    sha256_hex(digest, hex);
    kprintf("%s %llu %s\n", hex, (unsigned long long)h.size, argv[1]);
    return 0;
}

static void fs_cat_chunk(const uint8_t *buf, uint32_t n, void *ctx)
{
    (void)ctx;
    kwrite((const char *)buf, n);
}

static int cmd_cat(int argc, char **argv)
{
    if (argc != 2)
        return shell_error("usage: cat PATH");
    int rc = fs_read_all(argv[1], fs_cat_chunk, NULL);
    return rc ? fs_cmd_fail(rc) : 0;
}

/* ---- write, verify ---------------------------------------------------------------------------- */

static int fs_parse_size_seed(char **argv, uint64_t *size, uint32_t *seed)
{
    uint64_t s;
    if (fs_cmd_parse_size(argv[2], size))
        return shell_error("bad SIZE (%s)", argv[2]);
    if (kparse_u64(argv[3], &s) || s > UINT32_MAX)
        return shell_error("bad SEED (%s)", argv[3]);
    *seed = (uint32_t)s;
    return 0;
}

static int cmd_write(int argc, char **argv)
{
    uint64_t size, off = 0;
    uint32_t seed;
    struct xorshift x;

    if (argc != 4)
        return shell_error("usage: write PATH SIZE SEED");
    if (fs_parse_size_seed(argv, &size, &seed))
        return 1;
    uint8_t *buf = kmalloc(FS_CMD_CHUNK_BYTES);
    if (!buf)
        return fs_cmd_fail(ERR_NOMEM);
    xorshift_init(&x, seed);
    int rc = 0;
    /* The first chunk creates (or truncates) the file, the rest appends. */
    do {
        uint32_t n = (uint32_t)MIN(size - off, (uint64_t)FS_CMD_CHUNK_BYTES), done = 0;
        xorshift_fill(&x, buf, n);
        rc = off == 0 ? vfs_create_file(argv[1], buf, n, &done)
                      : vfs_write_file(argv[1], off, buf, n, &done);
        off += done;
    } while (rc == 0 && off < size);
    kfree(buf);
    return rc ? fs_cmd_fail(rc) : 0;
}

static int cmd_verify(int argc, char **argv)
{
    uint64_t size, off = 0;
    uint32_t seed;
    struct xorshift x;
    int rc = 0;

    if (argc != 4)
        return shell_error("usage: verify PATH SIZE SEED");
    if (fs_parse_size_seed(argv, &size, &seed))
        return 1;
    uint8_t *buf = kmalloc(FS_CMD_CHUNK_BYTES * 2);
    if (!buf)
        return fs_cmd_fail(ERR_NOMEM);
    uint8_t *want = buf + FS_CMD_CHUNK_BYTES;
    xorshift_init(&x, seed);
    /* 1. Compare chunk by chunk; a short file mismatches where it ends. */
    while (off < size) {
        uint32_t n = (uint32_t)MIN(size - off, (uint64_t)FS_CMD_CHUNK_BYTES), done = 0;
        rc = vfs_read_file(argv[1], off, buf, n, &done);
        if (rc && rc != ERR_EOM)
            goto out_free;
        xorshift_fill(&x, want, n);
        for (uint32_t i = 0; i < done; i++) {
            if (buf[i] != want[i]) {
                kprintf("mismatch at %llu\n", (unsigned long long)(off + i));
                rc = 0;
                goto out_free;
            }
        }
        if (done < n) {
            kprintf("mismatch at %llu\n", (unsigned long long)(off + done));
            rc = 0;
            goto out_free;
        }
        off += n;
    }
    /* 2. A longer file mismatches at SIZE. */
    uint32_t extra = 0;
    rc = vfs_read_file(argv[1], size, buf, 1, &extra);
    if (rc && rc != ERR_EOM)
        goto out_free;
    rc = 0;
    if (extra)
        kprintf("mismatch at %llu\n", (unsigned long long)size);
    else
        kprintf("ok\n");
out_free:
    kfree(buf);
    return rc ? fs_cmd_fail(rc) : 0;
}

/* ---- cp, mv, rm, mkdir, rmdir, truncate ------------------------------------------------------- */

static int fs_copy(const char *src, const char *dst)
{
    uint8_t *buf = kmalloc(FS_CMD_CHUNK_BYTES);
    uint64_t off = 0;
    int rc;
    if (!buf)
        return ERR_NOMEM;
    for (;;) {
        uint32_t got = 0, done = 0;
        rc = vfs_read_file(src, off, buf, FS_CMD_CHUNK_BYTES, &got);
        bool end = rc == ERR_EOM;
        if (rc && !end)
            break;
        if (off == 0)
            rc = vfs_create_file(dst, buf, got, &done);
        else
            rc = got ? vfs_write_file(dst, off, buf, got, &done) : 0;
        off += done;
        if (rc || end)
            break;
    }
    kfree(buf);
    return rc;
}

static int cmd_cp(int argc, char **argv)
{
    if (argc != 3)
        return shell_error("usage: cp SRC DST");
    int rc = fs_copy(argv[1], argv[2]);
    return rc ? fs_cmd_fail(rc) : 0;
}

static int cmd_mv(int argc, char **argv)
{
    struct vfs_info *i;
    if (argc != 3)
        return shell_error("usage: mv SRC DST");
    int rc = vfs_rename(argv[1], argv[2]);
    if (rc == ERR_NOTSUP) {
        /* Another partition: files are copied, then the source goes. */
        i = kmalloc(sizeof(*i));
        rc = i ? vfs_get_info(argv[1], i) : ERR_NOMEM;
        if (rc == 0 && (i->attr & VFS_ATTR_DIR))
            rc = ERR_NOTSUP;
        if (rc == 0 && vfs_get_info(argv[2], i) == 0)
            rc = ERR_EXIST;
        kfree(i);
        if (rc == 0)
            rc = fs_copy(argv[1], argv[2]);
        if (rc == 0)
            rc = vfs_delete(argv[1]);
    }
    return rc ? fs_cmd_fail(rc) : 0;
}

/* rm deletes files only, rmdir folders only. */
static int fs_remove(const char *path, bool want_dir)
{
    struct vfs_info *i = kmalloc(sizeof(*i));
    if (!i)
        return ERR_NOMEM;
    int rc = vfs_get_info(path, i);
    if (rc == 0 && ((i->attr & VFS_ATTR_DIR) != 0) != want_dir)
        rc = want_dir ? ERR_NOTDIR : ERR_ISDIR;
    kfree(i);
    return rc ? rc : vfs_delete(path);
}

static int cmd_rm(int argc, char **argv)
{
    if (argc != 2)
        return shell_error("usage: rm PATH");
    int rc = fs_remove(argv[1], false);
    return rc ? fs_cmd_fail(rc) : 0;
}

static int cmd_rmdir(int argc, char **argv)
{
    if (argc != 2)
        return shell_error("usage: rmdir PATH");
    int rc = fs_remove(argv[1], true);
    return rc ? fs_cmd_fail(rc) : 0;
}

static int cmd_mkdir(int argc, char **argv)
{
    if (argc != 2)
        return shell_error("usage: mkdir PATH");
    int rc = vfs_mkdir(argv[1]);
    return rc ? fs_cmd_fail(rc) : 0;
}

static int cmd_truncate(int argc, char **argv)
{
    uint64_t size;
    if (argc != 3)
        return shell_error("usage: truncate PATH SIZE");
    if (fs_cmd_parse_size(argv[2], &size))
        return shell_error("bad SIZE (%s)", argv[2]);
    int rc = vfs_set_end(argv[1], size);
    return rc ? fs_cmd_fail(rc) : 0;
}

/* ---- df --------------------------------------------------------------------------------- */

static int fs_df_one(const char *path, void *ctx)
{
    struct vfs_statfs st;
    int *first_err = ctx;
    int rc = vfs_statfs(path, &st);
    if (rc) {
        if (!*first_err)
            *first_err = rc;
        return 0;
    }
    kprintf("%s %s size=%llu free=%llu\n", path, st.fs_name,
            (unsigned long long)st.total_bytes, (unsigned long long)st.free_bytes);
    return 0;
}

static int cmd_df(int argc, char **argv)
{
    int first_err = 0;
    (void)argv;
    if (argc != 1)
        return shell_error("usage: df");
    int rc = vfs_for_each_mounted(fs_df_one, &first_err);
    rc = first_err ? first_err : rc;
    return rc ? fs_cmd_fail(rc) : 0;
}

/* ---- label ------------------------------------------------------------------------------ */

static int cmd_label(int argc, char **argv)
{
    if (argc != 2 && argc != 3)
        return shell_error("usage: label /DISK/PART [NEW]");
    if (argc == 3) {
        int rc = vfs_set_label(argv[1], argv[2]);
        if (rc == ERR_INVAL || rc == ERR_NAMETOOLONG)
            return shell_error("bad label '%s' (up to 11 ASCII characters, none of \"*+,./:;<=>?[\\]|)",
                               argv[2]);
        return rc ? fs_cmd_fail(rc) : 0;
    }
    struct vfs_statfs st;
    int rc = vfs_statfs(argv[1], &st);
    if (rc)
        return fs_cmd_fail(rc);
    kprintf("%s\n", st.label);
    return 0;
}

static const struct shell_cmd fs_cmds[] = {
    { "ls", "PATH", "list a folder: d|f SIZE NAME", cmd_ls },
    { "stat", "PATH", "type, size, attributes and times of a file or folder", cmd_stat },
    { "hash", "PATH", "sha256 and size of a file", cmd_hash },
    { "cat", "PATH", "print a file", cmd_cat },
    { "write", "PATH SIZE SEED", "create a file of SIZE xorshift32 bytes", cmd_write },
    { "verify", "PATH SIZE SEED", "compare a file with the xorshift32 stream", cmd_verify },
    { "cp", "SRC DST", "copy a file (any disks)", cmd_cp },
    { "mv", "SRC DST", "rename or move a file or folder", cmd_mv },
    { "rm", "PATH", "delete a file", cmd_rm },
    { "label", "/DISK/PART [NEW]", "show or set a volume label (\"\" removes it)", cmd_label },
    { "mkdir", "PATH", "create a folder", cmd_mkdir },
    { "rmdir", "PATH", "delete an empty folder", cmd_rmdir },
    { "truncate", "PATH SIZE", "cut or extend (with zeros) a file", cmd_truncate },
    { "df", "", "size and free space of every mounted partition", cmd_df },
};

void fs_register_commands(void)
{
    shell_register(fs_cmds, ARRAY_SIZE(fs_cmds));
}
