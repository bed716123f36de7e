// SPDX-License-Identifier: MIT
/* Copies what kernel_main needs out of the multiboot information (see
 * boot_info.h). Strings from GRUB are bounded before they are copied. */
#include "kernel/boot_info.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

struct boot_info boot_info;

void boot_info_parse(const struct multiboot_info *mbi)
{
    boot_info.mbi = mbi;
    /* 1. Kernel command line. */
    if ((mbi->flags & MB_INFO_CMDLINE) && mbi->cmdline)
        kstrlcpy(boot_info.cmdline, (const char *)(uintptr_t)mbi->cmdline,
                 sizeof(boot_info.cmdline));
    /* 2. Modules: keep at most BOOT_MAX_MODULES, skip inverted ranges. */
    if (!(mbi->flags & MB_INFO_MODS))
        return;
    const struct multiboot_module *mods = (const void *)(uintptr_t)mbi->mods_addr;
    for (uint32_t i = 0; i < mbi->mods_count; i++) {
        if (boot_info.module_count == BOOT_MAX_MODULES) {
            pr_warn("boot: too many modules (%u), ignoring the rest", mbi->mods_count);
            break;
        }
        if (mods[i].mod_end < mods[i].mod_start) {
            pr_warn("boot: module %u has an inverted range, skipped", i);
            continue;
        }
        struct boot_module *m = &boot_info.modules[boot_info.module_count++];
        m->start_phys = mods[i].mod_start;
        m->end_phys = mods[i].mod_end;
        const char *s = mods[i].string ? (const char *)(uintptr_t)mods[i].string : "";
        kstrlcpy(m->name, s, sizeof(m->name));
    }
}

bool boot_cmdline_get(const char *key, char *out, size_t out_len)
{
    size_t klen = strlen(key);
    const char *p = boot_info.cmdline;

    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - word);
        if (wlen >= klen && strncmp(word, key, klen) == 0 &&
            (wlen == klen || word[klen] == '=')) {
            const char *val = wlen == klen ? word + klen : word + klen + 1;
            size_t vlen = (size_t)(p - val);
            if (out_len) {
                size_t n = MIN(vlen, out_len - 1);
                memcpy(out, val, n);
                out[n] = '\0';
            }
            return true;
        }
    }
    return false;
}

const char *boot_module_word(const struct boot_module *m, const char *prefix)
{
    size_t plen = strlen(prefix);
    const char *p = m->name;

    while (*p) {
        while (*p == ' ')
            p++;
        if (strncmp(p, prefix, plen) == 0)
            return p;
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}
