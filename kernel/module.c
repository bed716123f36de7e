// SPDX-License-Identifier: MIT
/* Driver module loader (see module.h): for each multiboot module, validate
 * and link it with kernel/lib/elf_reloc.c against the ksym export table into
 * one kmalloc_aligned block, call START, and remember the outcome for
 * `modules`. The module file itself stays where GRUB put it (identity-mapped
 * memory reserved by mem_init); only the linked image lives on the heap. */
#include "kernel/module.h"
#include "kernel/boot_info.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/ksyms.h"
#include "kernel/lib/elf_reloc.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

/* One entry per boot module, so no more than GRUB can hand us. */
#define MODULE_MAX BOOT_MAX_MODULES
/* Longest module name kept (first word of GRUB's module string). */
#define MODULE_NAME_MAX 32
/* Smallest image alignment: keeps .text on a cache-line-friendly boundary
 * even when every section asks for 1. */
#define MODULE_MIN_ALIGN 16u

/* The module ABI: stdcall entry point (callee pops `reason`). */
typedef int(__attribute__((stdcall)) *module_start_fn)(unsigned reason);

enum module_status {
    MODULE_LOADED,   /* START returned 0; the image stays */
    MODULE_DECLINED, /* START returned nonzero; image freed */
    MODULE_REJECTED, /* never started: bad file or out of memory */
};

/* One boot module's outcome. Written once by module_load_all (under the
 * lock), read by `modules`. */
struct module {
    char name[MODULE_NAME_MAX];
    enum module_status status;
    int code;             /* REJECTED: ERR_*; DECLINED: START's return value */
    void *image;          /* LOADED: the linked image (kmalloc_aligned); else NULL */
    uint32_t image_bytes; /* linked size (0 if rejected before layout) */
    uint32_t file_bytes;  /* size of the object file GRUB loaded */
};

static struct {
    struct mutex lock;                  /* protects everything below */
    bool ready;                         /* lock initialised */
    bool load_done;                     /* module_load_all ran */
    struct module modules[MODULE_MAX];  /* in boot order */
    unsigned count;
} module_state;

static void module_ensure_ready(void)
{
    /* First called from kernel_main's thread before anything else can run. */
    if (!module_state.ready) {
        mutex_init(&module_state.lock, "module");
        module_state.ready = true;
    }
}

/* The module's name: the first word of GRUB's module string, or "module<N>". */
static void module_name_from_boot(const struct boot_module *bm, unsigned index, char *out,
                                  size_t out_len)
{
    size_t n = 0;

    while (bm->name[n] && bm->name[n] != ' ' && n + 1 < out_len) {
        out[n] = bm->name[n];
        n++;
    }
    out[n] = 0;
    if (n == 0)
        ksnprintf(out, out_len, "module%u", index);
}

/* elf_reloc resolver over the ksym table. */
static int module_resolve(void *ctx, const char *name, uint32_t *out_addr)
{
    void *addr;

    (void)ctx;
    if (ksym_lookup(name, &addr) != 0)
        return ERR_NOENT;
    *out_addr = (uint32_t)(uintptr_t)addr;
    return 0;
}

/* Link one module and run START. Fills m (status, code, image, sizes);
 * every path but success logs one line. */
static void module_load_one(struct module *m, const struct boot_module *bm)
{
    const void *file = (const void *)(uintptr_t)bm->start_phys;
    size_t file_bytes = bm->end_phys - bm->start_phys; /* boot_info: end >= start */
    struct elf_obj *obj;
    uint32_t start_addr;
    void *image;
    int rc;

    m->file_bytes = (uint32_t)file_bytes;
    m->status = MODULE_REJECTED;
    /* 1. Validate the file and lay out its sections (logs its own lines). */
    obj = kzalloc(sizeof(*obj));
    if (!obj) {
        pr_err("module: %s: out of memory (%zu bytes for the parser)", m->name, sizeof(*obj));
        m->code = ERR_NOMEM;
        return;
    }
    rc = elf_reloc_parse(obj, m->name, file, file_bytes);
    if (rc)
        goto err_free_obj;
    m->image_bytes = obj->image_bytes;
    /* 2. One block for all loaded sections, at the strictest alignment. */
    image = kmalloc_aligned(obj->image_bytes, MAX(obj->image_align, MODULE_MIN_ALIGN));
    if (!image) {
        pr_err("module: %s: out of memory (%u bytes, align %u)", m->name, obj->image_bytes,
               obj->image_align);
        rc = ERR_NOMEM;
        goto err_free_obj;
    }
    /* 3. Copy, resolve against the exports, relocate (logs its own lines). */
    rc = elf_reloc_load(obj, image, (uint32_t)(uintptr_t)image, module_resolve, NULL);
    if (rc)
        goto err_free_image;
    /* 4. The entry point. */
    rc = elf_reloc_find_symbol(obj, (uint32_t)(uintptr_t)image, "START", &start_addr);
    if (rc) {
        pr_err("module: %s: missing entry point (no global START among %u symbols)", m->name,
               obj->symbol_count);
        goto err_free_image;
    }
    kfree(obj);
    /* 5. Run it. From here on the module's own code runs: a nonzero return
     * means it declined and has undone its work, so the image can go. */
    int ret = ((module_start_fn)(uintptr_t)start_addr)(MODULE_REASON_LOAD);
    if (ret != 0) {
        pr_err("module: %s: START declined (returned %d)", m->name, ret);
        kfree(image);
        m->status = MODULE_DECLINED;
        m->code = ret;
        return;
    }
    m->status = MODULE_LOADED;
    m->image = image;
    m->code = 0;
    pr_info("module: %s: loaded (%u bytes at 0x%08x, START at 0x%08x)", m->name,
            m->image_bytes, (uint32_t)(uintptr_t)image, start_addr);
    return;

err_free_image:
    kfree(image);
err_free_obj:
    kfree(obj);
    m->code = rc;
}

void module_load_all(void)
{
    module_ensure_ready();
    mutex_lock(&module_state.lock);
    if (module_state.load_done) {
        mutex_unlock(&module_state.lock);
        pr_warn("module: module_load_all called twice (ignored)");
        return;
    }
    module_state.load_done = true;
    mutex_unlock(&module_state.lock);

    /* 1. The kernel's own exports; blkdev registered its table in its init. */
    if (ksyms_kernel_init() != 0)
        pr_err("module: loading without kernel exports (%u modules)",
               boot_info.module_count);
    /* 2. Each module in GRUB's order; START runs without our lock held, and
     * the outcome is published afterwards. */
    for (unsigned i = 0; i < boot_info.module_count && i < MODULE_MAX; i++) {
        struct module m = { .image = NULL };
        /* Disk images ("disk:NAME") are data for drivers/ramdisk/bootdisk.c. */
        if (boot_module_word(&boot_info.modules[i], "disk:"))
            continue;
        module_name_from_boot(&boot_info.modules[i], i, m.name, sizeof(m.name));
        module_load_one(&m, &boot_info.modules[i]);
        mutex_lock(&module_state.lock);
        module_state.modules[module_state.count++] = m;
        mutex_unlock(&module_state.lock);
    }
    pr_info("module: %u module(s) processed", boot_info.module_count);
}

static const char *module_status_name(enum module_status s)
{
    switch (s) {
    case MODULE_LOADED:
        return "loaded";
    case MODULE_DECLINED:
        return "declined";
    case MODULE_REJECTED:
        return "rejected";
    }
    return "?";
}

/* `modules`: one line per boot module:
 *   NAME size=BYTES status=loaded|declined (START returned N)|rejected (ERR_X) */
static int module_cmd_modules(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("modules takes no arguments (%d given)", argc - 1);
    module_ensure_ready();
    mutex_lock(&module_state.lock);
    if (module_state.count == 0)
        kprintf("no modules\n");
    for (unsigned i = 0; i < module_state.count; i++) {
        const struct module *m = &module_state.modules[i];
        kprintf("%s size=%u status=%s", m->name, m->image_bytes,
                module_status_name(m->status));
        if (m->status == MODULE_DECLINED)
            kprintf(" (START returned %d)", m->code);
        else if (m->status == MODULE_REJECTED)
            kprintf(" (%s)", err_name(m->code));
        kprintf("\n");
    }
    mutex_unlock(&module_state.lock);
    return 0;
}

static const struct shell_cmd module_cmds[] = {
    { "modules", "", "list driver modules: name, linked size, status", module_cmd_modules },
};

void module_register_commands(void)
{
    module_ensure_ready();
    shell_register(module_cmds, ARRAY_SIZE(module_cmds));
}
