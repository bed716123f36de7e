// SPDX-License-Identifier: MIT
/* Image-file virtual disks (see vdisk.h): the DISKFUNC driver over an image
 * chain, and the `vdisk` shell command. Each disk is one slot of a fixed
 * table, taken from `vdisk add` until the block layer calls close, so a name
 * is not reused while the old disk may still be in use. A request is clipped
 * to the disk (memclip, DISKFUNC contract) and then done whole by the chain
 * or not at all: the chain has no partial results, so a failed request
 * reports 0 sectors done. */
#include "drivers/vdisk/vdisk.h"
#include "blkdev/disk.h"
#include "drivers/ramdisk/memclip.h"
#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vdisk_file.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/path.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

#define VDISK_NAME_MAX 8
#define VDISK_MIB (1024u * 1024u)
#define VDISK_CREATE_MAX_MB (2u * 1024 * 1024) /* 2 TiB: more than FAT can hold anyway */
#define VDISK_DESCRIBE_BYTES 512

/* One virtual disk. `in_use` and `handle` are written under vdisk_state.lock;
 * chain and path under io_lock; the rest is set before DiskAdd and then
 * constant until close. */
struct vdisk {
    bool in_use;                 /* taken from `vdisk add` until close */
    void *handle;                /* DiskAdd's handle; NULL once `vdisk del` ran */
    struct mutex io_lock;        /* serialises every use of chain */
    struct vd_chain *chain;      /* the image chain; NULL only in a failed snapshot undo */
    char path[VFS_NAME_MAX];     /* the top image (changes at snapshot and commit) */
    uint32_t sector_size;        /* bytes, as the disk presents them */
    uint64_t sectors;
    uint64_t raw_offset;         /* `offset=`, raw images only */
    bool readonly;               /* `ro`, or a read-only chain */
    bool ram;                    /* runs from a RAM copy (vdisk_file_open_ram) */
    char format[16];             /* the `format=` asked for ("auto") */
    char name[VDISK_NAME_MAX];   /* "vdN" */
};

static struct {
    struct mutex lock;           /* protects in_use and handle of every slot */
    struct vdisk disks[VDISK_MAX];
} vdisk_state;

/* ---- DISKFUNC callbacks ----------------------------------------------------------------- */

/* DISK_STATUS_* of a backend error: an image file (or the disk it was on)
 * that is gone reads as no media; the rest as blkdev converts it. */
static int vdisk_err_to_status(int err)
{
    return disk_err_to_status(err == ERR_NOENT ? ERR_NOMEDIA : err);
}

/* Last call for the disk: only now may the chain go. */
static void STDCALL vdisk_close(void *userdata)
{
    struct vdisk *vd = userdata;

    mutex_lock(&vd->io_lock);
    vd_chain_close(vd->chain); /* the block layer is done with every sector */
    vd->chain = NULL;
    mutex_unlock(&vd->io_lock);
    pr_info("vdisk: %s: closed (%s)", vd->name, vd->path);
    mutex_lock(&vdisk_state.lock);
    vd->in_use = false;
    mutex_unlock(&vdisk_state.lock);
}

static int STDCALL vdisk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct vdisk *vd = userdata;

    info->flags = vd->readonly ? DISK_MEDIA_READONLY : 0;
    info->sectorsize = vd->sector_size;
    info->capacity = vd->sectors;
    return DISK_STATUS_OK;
}

/* Read or write the clipped request through the chain, whole or not at all. */
static int vdisk_rw(struct vdisk *vd, void *buf, int64_t start, int *numsectors, bool write)
{
    uint32_t count;
    int status = memclip(vd->sectors, start, *numsectors, &count);
    int rc = 0;

    *numsectors = 0;
    if (count == 0)
        return status;
    uint64_t off = (uint64_t)start * vd->sector_size;
    size_t len = (size_t)count * vd->sector_size;
    mutex_lock(&vd->io_lock);
    if (!vd->chain)
        rc = ERR_NOMEDIA;
    else if (write)
        rc = vd_chain_write(vd->chain, off, buf, len);
    else
        rc = vd_chain_read(vd->chain, off, buf, len);
    mutex_unlock(&vd->io_lock);
    if (rc < 0) {
        pr_err("vdisk: %s: %s failed (lba %llu, %u sectors: %s)", vd->name,
               write ? "write" : "read", (unsigned long long)start, count, err_name(rc));
        return vdisk_err_to_status(rc);
    }
    *numsectors = (int)count;
    return status;
}

static int STDCALL vdisk_read(void *userdata, void *buffer, int64_t startsector,
                              int *numsectors)
{
    return vdisk_rw(userdata, buffer, startsector, numsectors, false);
}

static int STDCALL vdisk_write(void *userdata, const void *buffer, int64_t startsector,
                               int *numsectors)
{
    struct vdisk *vd = userdata;

    if (vd->readonly) {
        *numsectors = 0;
        return DISK_STATUS_GENERAL_ERROR;
    }
    return vdisk_rw(vd, (void *)(uintptr_t)buffer, startsector, numsectors, true);
}

/* The image's metadata, then the host disk's cache (through the vd_file). */
static int STDCALL vdisk_flush(void *userdata)
{
    struct vdisk *vd = userdata;
    int rc;

    mutex_lock(&vd->io_lock);
    rc = vd->chain ? vd_chain_flush(vd->chain) : ERR_NOMEDIA;
    mutex_unlock(&vd->io_lock);
    if (rc < 0)
        pr_err("vdisk: %s: flush failed (%s)", vd->name, err_name(rc));
    return vdisk_err_to_status(rc);
}

/* Cache vdN like any disk (vdisk.h, "Caching"); a RAM copy needs none. */
static unsigned STDCALL vdisk_adjust_cache_size(void *userdata, unsigned suggested_bytes)
{
    struct vdisk *vd = userdata;

    return vd->ram ? 0 : suggested_bytes;
}

/* No closemedia (the media lives as long as the disk) and no LoadTray. */
static DISKFUNC vdisk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = vdisk_close,
    .querymedia = vdisk_querymedia,
    .read = vdisk_read,
    .write = vdisk_write,
    .flush = vdisk_flush,
    .adjust_cache_size = vdisk_adjust_cache_size,
};

/* ---- helpers for the commands ------------------------------------------------------------ */

/* The attached disk called `name` (handle still set), or NULL. */
static struct vdisk *vdisk_find(const char *name)
{
    struct vdisk *found = NULL;

    mutex_lock(&vdisk_state.lock);
    for (unsigned i = 0; i < VDISK_MAX && !found; i++) {
        struct vdisk *vd = &vdisk_state.disks[i];
        if (vd->in_use && vd->handle && kstrcasecmp(vd->name, name) == 0)
            found = vd;
    }
    mutex_unlock(&vdisk_state.lock);
    return found;
}

/* Write back vdN's sector cache into the chain (before the chain changes). */
static int vdisk_sync_cache(struct vdisk *vd)
{
    struct disk *d;
    struct media *m;
    int rc = disk_find(vd->name, &d);

    if (rc < 0)
        return rc;
    rc = disk_get_media(d, &m);
    if (rc == 0) {
        rc = media_flush(m);
        media_put(m);
    }
    disk_put(d);
    return rc;
}

/* Half the free heap: the limit of one RAM copy (as `ramdisk add`). */
static size_t vdisk_ram_limit(void)
{
    struct kmem_stats stats;

    kmem_get_stats(&stats);
    return stats.free_bytes / 2;
}

/* The format a new overlay gets from its file name; without a known
 * extension a VDI diff over a VDI top, else qcow2. */
static const char *vdisk_format_for(const char *path, const char *top_format)
{
    static const char *const known[] = { "vdi", "vhd", "vmdk", "qcow2" };
    const char *dot = strrchr(path_basename(path), '.');

    for (size_t i = 0; dot && i < ARRAY_SIZE(known); i++) {
        if (kstrcasecmp(dot + 1, known[i]) == 0)
            return known[i];
    }
    return kstrcasecmp(top_format, "vdi") == 0 ? "vdi" : "qcow2";
}

/* Open `path` and its chain as `vdisk add` would (file ownership passes);
 * `bases`: candidate parents of VDI diffs (vd_chain_open_bases). */
static int vdisk_open_chain(const char *path, const char *format, bool ro, bool ram,
                            uint64_t raw_offset, const char *const *bases, unsigned nbases,
                            struct vd_chain **out)
{
    struct vd_file *f;
    int rc = ram ? vdisk_file_open_ram(path, vdisk_ram_limit(), &f)
                 : vdisk_file_open(path, ro, &f);

    if (rc < 0)
        return rc;
    return vd_chain_open_bases(f, format, ro ? VD_OPEN_READONLY : 0, raw_offset, bases, nbases,
                               out);
}

/* The absolute path of every image of vd's chain, top first, into
 * paths[VD_CHAIN_MAX] (kmalloc'd block in *block, freed by the caller):
 * the candidates that find the same parents again when the chain is
 * reopened (snapshot). Each parent is its child's info.parent resolved
 * against the child. Locking: vd->io_lock held. */
static int vdisk_chain_paths(struct vdisk *vd, const char **paths, unsigned *count,
                             char **block)
{
    unsigned depth = vd_chain_depth(vd->chain);
    char *b = kmalloc((size_t)depth * VFS_NAME_MAX);

    *block = b;
    *count = 0;
    if (!b)
        return ERR_NOMEM;
    kstrlcpy(b, vd->path, VFS_NAME_MAX);
    paths[0] = b;
    for (unsigned i = 1; i < depth; i++) {
        char *p = b + (size_t)i * VFS_NAME_MAX;
        int rc = path_resolve(paths[i - 1], vd_chain_info(vd->chain, i - 1)->parent, p,
                              VFS_NAME_MAX);
        if (rc < 0)
            return rc;
        paths[i] = p;
    }
    *count = depth;
    return 0;
}

/* ---- vdisk add ---------------------------------------------------------------------------- */

struct vdisk_add_opts {
    bool ro, ram;
    uint64_t ss;                 /* 0 = the chain's */
    uint64_t offset;
    const char *format;
    const char *bases[VD_CHAIN_BASES_MAX]; /* `base=`: parent candidates of VDI diffs */
    unsigned nbases;
};

static int vdisk_parse_add_opts(int argc, char **argv, struct vdisk_add_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = "auto";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "ro") == 0) {
            o->ro = true;
        } else if (strcmp(a, "ram") == 0) {
            o->ram = true;
        } else if (strncmp(a, "ss=", 3) == 0) {
            if (kparse_u64(a + 3, &o->ss) != 0 ||
                (o->ss != 512 && o->ss != 1024 && o->ss != 2048 && o->ss != 4096))
                return shell_error("bad sector size (%s; want 512, 1024, 2048 or 4096)", a + 3);
        } else if (strncmp(a, "offset=", 7) == 0) {
            if (kparse_u64(a + 7, &o->offset) != 0 || o->offset % 512)
                return shell_error("bad offset (%s; want a multiple of 512)", a + 7);
        } else if (strncmp(a, "format=", 7) == 0) {
            o->format = a + 7;
            if (kstrcasecmp(o->format, "auto") != 0 && !vd_backend_by_name(o->format))
                return shell_error("unknown format (%s)", o->format);
        } else if (strncmp(a, "base=", 5) == 0 && a[5]) {
            if (o->nbases == VD_CHAIN_BASES_MAX)
                return shell_error("too many base= options (at most %u)", VD_CHAIN_BASES_MAX);
            o->bases[o->nbases++] = a + 5;
        } else {
            return shell_error("unknown option (%s)", a);
        }
    }
    return 0;
}

/* 1. Parse the options. 2. Reserve a free slot.
 * 3. Open the image and its chain (RAM copy with `ram`).
 * 4. Work out the sector size and capacity; a partial last sector is dropped.
 * 5. Register with DiskAdd, then announce the media (partitions get scanned). */
static int vdisk_cmd_add(const char *path, int argc, char **argv)
{
    struct vdisk_add_opts o;
    struct vdisk *vd = NULL;
    struct vd_chain *chain;
    int rc;

    /* 1. */
    if (vdisk_parse_add_opts(argc, argv, &o))
        return 1;
    /* 2. */
    mutex_lock(&vdisk_state.lock);
    for (unsigned i = 0; i < VDISK_MAX && !vd; i++) {
        if (!vdisk_state.disks[i].in_use) {
            vd = &vdisk_state.disks[i];
            vd->in_use = true;
            vd->handle = NULL;
            ksnprintf(vd->name, sizeof(vd->name), "vd%u", i);
        }
    }
    mutex_unlock(&vdisk_state.lock);
    if (!vd)
        return shell_error("no free vdisk name (all %d in use)", VDISK_MAX);
    /* 3. base= paths are made absolute: the chain resolves them against the diff. */
    char *bases = o.nbases ? kmalloc((size_t)o.nbases * VFS_NAME_MAX) : NULL;
    const char *base_paths[VD_CHAIN_BASES_MAX];
    rc = o.nbases && !bases ? ERR_NOMEM : 0;
    for (unsigned i = 0; i < o.nbases && rc == 0; i++) {
        base_paths[i] = bases + (size_t)i * VFS_NAME_MAX;
        rc = path_resolve(NULL, o.bases[i], bases + (size_t)i * VFS_NAME_MAX, VFS_NAME_MAX);
    }
    if (rc == 0)
        rc = vdisk_open_chain(path, o.format, o.ro, o.ram, o.offset, base_paths, o.nbases,
                              &chain);
    kfree(bases);
    if (rc < 0) {
        shell_error("cannot open %s (%s)", path, err_name(rc));
        goto err_release_slot;
    }
    /* 4. */
    uint32_t chain_ss = vd_chain_sector_size(chain);
    uint64_t bytes = vd_chain_size(chain);
    uint32_t ss = o.ss ? (uint32_t)o.ss : chain_ss;
    if (ss % chain_ss) {
        shell_error("sector size %u is not a multiple of the image's (%u)", ss, chain_ss);
        goto err_close_chain;
    }
    if (bytes / ss == 0) {
        shell_error("image smaller than one sector (%llu bytes)", (unsigned long long)bytes);
        goto err_close_chain;
    }
    if (bytes % ss)
        pr_warn("vdisk: %s: ignoring a partial last sector (%llu bytes)", vd->name,
                (unsigned long long)(bytes % ss));
    vd->chain = chain;
    vd->sector_size = ss;
    vd->sectors = bytes / ss;
    vd->raw_offset = o.offset;
    vd->readonly = o.ro || vd_chain_readonly(chain);
    vd->ram = o.ram;
    kstrlcpy(vd->format, o.format, sizeof(vd->format));
    if (path_resolve(NULL, path, vd->path, sizeof(vd->path)) < 0)
        kstrlcpy(vd->path, path, sizeof(vd->path));
    /* 5. */
    void *handle = DiskAdd(&vdisk_funcs, vd->name, vd, 0);
    if (!handle) {
        shell_error("cannot register %s (see dmesg)", vd->name);
        goto err_close_chain;
    }
    mutex_lock(&vdisk_state.lock);
    vd->handle = handle;
    mutex_unlock(&vdisk_state.lock);
    DiskMediaChanged(handle, 1);
    pr_info("vdisk: %s: added %s (%llu sectors of %u bytes%s%s)", vd->name, vd->path,
            (unsigned long long)vd->sectors, ss, vd->readonly ? ", read-only" : "",
            vd->ram ? ", RAM copy" : "");
    kprintf("%s\n", vd->name);
    return 0;

err_close_chain:
    vd_chain_close(chain);
    vd->chain = NULL;
err_release_slot:
    mutex_lock(&vdisk_state.lock);
    vd->in_use = false;
    mutex_unlock(&vdisk_state.lock);
    return 1;
}

/* ---- vdisk del / list / stats -------------------------------------------------------------- */

/* Does `text` name a file on disk `name` ("/vd0/..." at its start or after
 * " <- " in a chain description)? */
static bool vdisk_text_uses_disk(const char *text, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = text; *p; p++) {
        if ((p == text || (p - text >= 4 && strncmp(p - 4, " <- ", 4) == 0)) && p[0] == '/' &&
            strncmp(p + 1, name, n) == 0 && (p[1 + n] == '/' || p[1 + n] == '\0'))
            return true;
    }
    return false;
}

/* The first other vdisk with an image on disk `name`, or NULL. */
static struct vdisk *vdisk_user_of(const struct vdisk *self, char *desc, size_t size)
{
    for (unsigned i = 0; i < VDISK_MAX; i++) {
        struct vdisk *vd = &vdisk_state.disks[i];
        bool used;
        if (vd == self || !vd->in_use || !vd->handle)
            continue;
        mutex_lock(&vd->io_lock);
        desc[0] = '\0';
        if (vd->chain)
            vd_chain_describe(vd->chain, desc, size);
        used = vdisk_text_uses_disk(vd->path, self->name) ||
               vdisk_text_uses_disk(desc, self->name);
        mutex_unlock(&vd->io_lock);
        if (used)
            return vd;
    }
    return NULL;
}

static int vdisk_cmd_del(const char *name, bool force)
{
    struct vdisk *vd = vdisk_find(name);
    void *handle;
    char *desc;

    if (!vd)
        return shell_error("no such vdisk (%s)", name);
    /* 1. Nested vdisks are the users that keep a disk busy (vdisk.h). */
    desc = kmalloc(VDISK_DESCRIBE_BYTES);
    if (!desc)
        return shell_error("out of memory");
    struct vdisk *user = vdisk_user_of(vd, desc, VDISK_DESCRIBE_BYTES);
    kfree(desc);
    if (user && !force)
        return shell_error("%s is in use by %s (%s); `vdisk del %s force` to delete anyway",
                           vd->name, user->name, user->path, vd->name);
    if (user)
        pr_warn("vdisk: %s: deleted while %s uses it (forced)", vd->name, user->name);
    /* 2. Make every file system durable while the disk still works. */
    int rc = vfs_sync_all();
    if (rc < 0)
        pr_warn("vdisk: %s: sync before delete failed (%s)", vd->name, err_name(rc));
    /* 3. Unlist it; close frees the chain after the last user. */
    mutex_lock(&vdisk_state.lock);
    handle = vd->handle;
    vd->handle = NULL; /* a second del finds nothing */
    mutex_unlock(&vdisk_state.lock);
    if (!handle)
        return shell_error("no such vdisk (%s)", name);
    DiskDel(handle); /* may run close right here: no lock of ours is held */
    return 0;
}

static int vdisk_cmd_list(void)
{
    char *desc = kmalloc(VDISK_DESCRIBE_BYTES);
    unsigned n = 0;

    if (!desc)
        return shell_error("out of memory");
    for (unsigned i = 0; i < VDISK_MAX; i++) {
        struct vdisk *vd = &vdisk_state.disks[i];
        const struct vd_info *top;
        if (!vd->in_use || !vd->handle)
            continue;
        mutex_lock(&vd->io_lock);
        if (vd->chain) {
            top = vd_chain_info(vd->chain, 0);
            vd_chain_describe(vd->chain, desc, VDISK_DESCRIBE_BYTES);
            kprintf("%-5s %-6s %8llu KiB %s%s  %s\n", vd->name, top->format,
                    (unsigned long long)(vd->sectors * vd->sector_size / 1024),
                    vd->readonly ? "ro" : "rw", vd->ram ? " ram" : "", desc);
        }
        mutex_unlock(&vd->io_lock);
        n++;
    }
    kfree(desc);
    if (n == 0)
        kprintf("no virtual disks\n");
    return 0;
}

/* File API traffic of the image files: the cost of walking the path per call. */
static int vdisk_cmd_stats(void)
{
    struct vdisk_file_stats s;

    vdisk_file_get_stats(&s);
    kprintf("reads %llu (%llu KiB, %llu us/call)\n", (unsigned long long)s.reads,
            (unsigned long long)(s.read_bytes / 1024),
            (unsigned long long)(s.reads ? s.read_us / s.reads : 0));
    kprintf("writes %llu (%llu KiB, %llu us/call)\n", (unsigned long long)s.writes,
            (unsigned long long)(s.write_bytes / 1024),
            (unsigned long long)(s.writes ? s.write_us / s.writes : 0));
    kprintf("flushes %llu\n", (unsigned long long)s.flushes);
    return 0;
}

/* ---- vdisk create / info ------------------------------------------------------------------- */

/* 1. Check the arguments; refuse an existing PATH (nothing is overwritten).
 * 2. With base=: open the base for its size and identity; link it by a name
 *    relative to the new file. 3. Create the file and the image in it; on
 *    failure remove the file again. */
static int vdisk_cmd_create(const char *path, const char *format, const char *size_arg,
                            int argc, char **argv)
{
    struct vd_create_opts opts = { 0 };
    struct vd_info base_info;
    struct vfs_info finfo;
    struct vd_file *f;
    char *link = NULL;
    uint64_t size_mb;
    int rc;

    /* 1. */
    if (kparse_u64(size_arg, &size_mb) != 0 || size_mb > VDISK_CREATE_MAX_MB)
        return shell_error("bad size (%s; want MiB, at most %u)", size_arg,
                           VDISK_CREATE_MAX_MB);
    const struct vd_backend *b = vd_backend_by_name(format);
    if (!b || !b->create)
        return shell_error("cannot create images of format %s", format);
    if (vfs_get_info(path, &finfo) == 0)
        return shell_error("file exists (%s)", path);
    opts.disk_bytes = size_mb * VDISK_MIB;
    const char *base = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "base=", 5) == 0 && argv[i][5])
            base = argv[i] + 5;
        else if (strncmp(argv[i], "variant=", 8) == 0 && argv[i][8])
            opts.variant = argv[i] + 8;
        else
            return shell_error("unknown option (%s)", argv[i]);
    }
    /* 2. */
    if (base) {
        struct vd_chain *bc;
        rc = vdisk_file_open(base, true, &f);
        if (rc == 0)
            rc = vd_chain_open(f, "auto", VD_OPEN_READONLY | VD_OPEN_INFO, 0, &bc);
        if (rc < 0)
            return shell_error("cannot open base %s (%s)", base, err_name(rc));
        base_info = *vd_chain_info(bc, 0);
        vd_chain_close(bc);
        link = kmalloc(VFS_NAME_MAX);
        if (!link)
            return shell_error("out of memory");
        rc = path_link_name(path, base, link, VFS_NAME_MAX);
        if (rc < 0) {
            kfree(link);
            return shell_error("bad base path (%s: %s)", base, err_name(rc));
        }
        opts.parent = link;
        opts.parent_info = &base_info;
        if (size_mb == 0)
            opts.disk_bytes = base_info.disk_bytes;
    }
    if (opts.disk_bytes == 0) {
        kfree(link);
        return shell_error("size must be at least 1 MiB (0)");
    }
    /* 3. */
    rc = vdisk_file_create(path, &f);
    if (rc == 0)
        rc = vd_create(f, format, &opts);
    kfree(link);
    if (rc < 0) {
        vfs_delete(path);
        return shell_error("cannot create %s (%s)", path, err_name(rc));
    }
    kprintf("created %s (%s, %llu MiB%s%s)\n", path, format,
            (unsigned long long)(opts.disk_bytes / VDISK_MIB), base ? ", base " : "",
            base ? base : "");
    return 0;
}

static int vdisk_cmd_info(const char *path)
{
    struct vd_chain *c;
    struct vd_file *f;
    int rc = vdisk_file_open(path, true, &f);

    if (rc == 0)
        rc = vd_chain_open(f, "auto", VD_OPEN_READONLY | VD_OPEN_INFO, 0, &c);
    if (rc < 0)
        return shell_error("cannot open %s (%s)", path, err_name(rc));
    for (unsigned i = 0; i < vd_chain_depth(c); i++) {
        const struct vd_info *in = vd_chain_info(c, i);
        kprintf("%u: %s %s, %llu bytes, sector %u, block %u%s%s\n", i, in->format,
                in->variant[0] ? in->variant : "-", (unsigned long long)in->disk_bytes,
                in->sector_size, in->block_bytes, in->parent[0] ? ", parent " : "",
                in->parent);
    }
    char *desc = kmalloc(VDISK_DESCRIBE_BYTES);
    if (desc) {
        /* The walk stops early only at a parent it could not open. */
        const struct vd_info *last = vd_chain_info(c, vd_chain_depth(c) - 1);
        bool cut = last->parent[0] != '\0' || last->parent_by_uuid;
        kprintf("chain: %s%s\n", vd_chain_describe(c, desc, VDISK_DESCRIBE_BYTES),
                cut ? " (incomplete: a backing file is missing)" : "");
        kfree(desc);
    }
    vd_chain_close(c);
    return 0;
}

/* ---- vdisk snapshot / commit --------------------------------------------------------------- */

/* Checks shared by snapshot and commit: a writable, file-backed disk. */
static struct vdisk *vdisk_find_changeable(const char *name)
{
    struct vdisk *vd = vdisk_find(name);

    if (!vd) {
        shell_error("no such vdisk (%s)", name);
        return NULL;
    }
    if (vd->readonly || vd->ram || vd->raw_offset) {
        shell_error("%s cannot change its chain (%s)", vd->name,
                    vd->readonly ? "read-only" : vd->ram ? "RAM copy" : "raw with offset");
        return NULL;
    }
    return vd;
}

/* 1. Write vdN's cache back and flush the chain: the top image is complete.
 * 2. Create the overlay at PATH with the top as its backing file.
 * 3. Open the new chain (overlay on top, the old top now read-only below).
 * 4. Swap the chains; the old one is closed. Sizes stay, so the block layer
 *    sees the same media and keeps its cache. */
static int vdisk_cmd_snapshot(const char *name, const char *path)
{
    struct vd_create_opts opts = { 0 };
    struct vd_chain *fresh = NULL;
    struct vfs_info finfo;
    struct vd_file *f;
    struct vdisk *vd;
    const char *fmt;
    const char *cands[VD_CHAIN_MAX];
    unsigned ncands = 0;
    char *folded, *link, *cand_block = NULL;
    int rc;

    vd = vdisk_find_changeable(name);
    if (!vd)
        return 1;
    if (vfs_get_info(path, &finfo) == 0)
        return shell_error("file exists (%s)", path);
    folded = kmalloc(2 * VFS_NAME_MAX);
    if (!folded)
        return shell_error("out of memory");
    link = folded + VFS_NAME_MAX;
    rc = path_resolve(NULL, path, folded, VFS_NAME_MAX);
    if (rc < 0 || folded[0] != '/') {
        kfree(folded);
        return shell_error("bad path (%s)", path);
    }
    /* 1. */
    rc = vdisk_sync_cache(vd);
    if (rc < 0) {
        kfree(folded);
        return shell_error("%s: cannot write back its cache (%s)", vd->name, err_name(rc));
    }
    mutex_lock(&vd->io_lock);
    rc = vd->chain ? vd_chain_flush(vd->chain) : ERR_NOMEDIA;
    /* 2. The current images are the candidates that find VDI parents again. */
    const struct vd_info *top = rc == 0 ? vd_chain_info(vd->chain, 0) : NULL;
    fmt = vdisk_format_for(path, top ? top->format : "");
    if (rc == 0)
        rc = vdisk_chain_paths(vd, cands, &ncands, &cand_block);
    if (rc == 0)
        rc = path_link_name(folded, vd->path, link, VFS_NAME_MAX);
    if (rc == 0) {
        opts.disk_bytes = top->disk_bytes;
        opts.parent = link;
        opts.parent_info = top;
        rc = vdisk_file_create(folded, &f);
        if (rc == 0)
            rc = vd_create(f, fmt, &opts);
        /* 3. */
        if (rc == 0)
            rc = vdisk_open_chain(folded, fmt, false, false, 0, cands, ncands, &fresh);
        if (rc == 0 && (vd_chain_size(fresh) != vd_chain_size(vd->chain) ||
                        vd_chain_depth(fresh) != vd_chain_depth(vd->chain) + 1)) {
            pr_err("vdisk: %s: new chain does not match (%llu bytes, depth %u)", vd->name,
                   (unsigned long long)vd_chain_size(fresh), vd_chain_depth(fresh));
            vd_chain_close(fresh);
            rc = ERR_CORRUPT;
        }
        if (rc < 0)
            vfs_delete(folded);
    }
    /* 4. */
    if (rc == 0) {
        vd_chain_close(vd->chain); /* the old top is now the read-only base */
        vd->chain = fresh;
        kstrlcpy(vd->path, folded, sizeof(vd->path));
    }
    mutex_unlock(&vd->io_lock);
    kfree(cand_block);
    if (rc < 0) {
        kfree(folded);
        return shell_error("%s: snapshot to %s failed (%s)", vd->name, path, err_name(rc));
    }
    pr_info("vdisk: %s: snapshot %s (%s) on top of %s", vd->name, folded, fmt, link);
    kprintf("%s: %s on top of %s\n", vd->name, folded, link);
    kfree(folded);
    return 0;
}

/* 1. Write vdN's cache back into the chain. 2. Merge the top overlay into
 *    its base (vd_chain_commit; the base becomes the writable top).
 * 3. Delete the merged overlay file: its content now lives in the base. */
static int vdisk_cmd_commit(const char *name)
{
    struct vdisk *vd = vdisk_find_changeable(name);
    char *old_top;
    int rc;

    if (!vd)
        return 1;
    old_top = kmalloc(VFS_NAME_MAX);
    if (!old_top)
        return shell_error("out of memory");
    /* 1. */
    rc = vdisk_sync_cache(vd);
    /* 2. */
    mutex_lock(&vd->io_lock);
    kstrlcpy(old_top, vd->path, VFS_NAME_MAX);
    if (rc == 0 && !vd->chain)
        rc = ERR_NOMEDIA;
    if (rc == 0 && vd_chain_depth(vd->chain) < 2)
        rc = ERR_INVAL;
    if (rc == 0) {
        const char *parent = vd_chain_info(vd->chain, 0)->parent;
        char *base = kmalloc(VFS_NAME_MAX);
        if (!base)
            rc = ERR_NOMEM;
        else if (path_resolve(old_top, parent, base, VFS_NAME_MAX) < 0)
            kstrlcpy(base, parent, VFS_NAME_MAX);
        if (rc == 0)
            rc = vd_chain_commit(vd->chain);
        if (rc == 0)
            kstrlcpy(vd->path, base, sizeof(vd->path));
        kfree(base);
    }
    mutex_unlock(&vd->io_lock);
    if (rc < 0) {
        kfree(old_top);
        return shell_error("%s: commit failed (%s)", vd->name,
                           rc == ERR_INVAL ? "no overlay to commit" : err_name(rc));
    }
    /* 3. */
    rc = vfs_delete(old_top);
    if (rc < 0)
        pr_warn("vdisk: %s: merged overlay %s not deleted (%s)", vd->name, old_top,
                err_name(rc));
    kprintf("%s: committed %s into %s\n", vd->name, old_top, vd->path);
    kfree(old_top);
    return 0;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int vdisk_cmd(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";

    if (strcmp(sub, "add") == 0 && argc >= 3)
        return vdisk_cmd_add(argv[2], argc - 3, argv + 3);
    if (strcmp(sub, "del") == 0 && (argc == 3 || (argc == 4 && strcmp(argv[3], "force") == 0)))
        return vdisk_cmd_del(argv[2], argc == 4);
    if (strcmp(sub, "list") == 0 && argc == 2)
        return vdisk_cmd_list();
    if (strcmp(sub, "stats") == 0 && argc == 2)
        return vdisk_cmd_stats();
    if (strcmp(sub, "create") == 0 && argc >= 5)
        return vdisk_cmd_create(argv[2], argv[3], argv[4], argc - 5, argv + 5);
    if (strcmp(sub, "info") == 0 && argc == 3)
        return vdisk_cmd_info(argv[2]);
    if (strcmp(sub, "snapshot") == 0 && argc == 4)
        return vdisk_cmd_snapshot(argv[2], argv[3]);
    if (strcmp(sub, "commit") == 0 && argc == 3)
        return vdisk_cmd_commit(argv[2]);
    return shell_error("usage: vdisk add PATH [ro] [ss=N] [offset=N] [format=F] [ram] "
                       "[base=PATH]... | del NAME [force] | list | stats | create PATH FORMAT "
                       "SIZE_MB [base=PATH] | info PATH | snapshot NAME PATH | commit NAME");
}

static const struct shell_cmd vdisk_cmds[] = {
    { "vdisk",
      "add PATH [opts] | del NAME [force] | list | stats | create PATH FMT MB [base=P] | "
      "info PATH | snapshot NAME PATH | commit NAME",
      "attach image files (raw, iso, vdi, vhd, vmdk, qcow2) as disks vdN", vdisk_cmd },
};

void vdisk_init(void)
{
    mutex_init(&vdisk_state.lock, "vdisk");
    for (unsigned i = 0; i < VDISK_MAX; i++)
        mutex_init(&vdisk_state.disks[i].io_lock, "vdisk-io");
    shell_register(vdisk_cmds, ARRAY_SIZE(vdisk_cmds));
}
