// SPDX-License-Identifier: MIT
/* kdisk: the kernel's shell, block layer and file systems as a host program.
 *   kdisk [-d NAME=FILE[:SECTORSIZE]]... [-c "cmd; cmd"] [-v]
 *   kdisk convert SRC DST FORMAT
 * Each -d registers an image file as a disk (sector size 512 by default; a
 * vdi, vhd, vmdk or qcow2 file presents its virtual disk, see image_disk.h);
 * then the commands of -c run, or lines are read from standard input. The
 * exit status is 0 if every command succeeded, 1 otherwise, 2 on bad usage.
 * Kernel log lines go to stderr (only warnings and errors unless -v). */
#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "blkdev/disk_cmds.h"
#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/stress.h"
#include "fs/ext/ext.h"
#include "fs/ntfs/ntfs.h"
#include "fs/iso9660/iso9660.h"
#include "fs/vfs.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/shell/shell.h"
#include "tools/kdisk/convert.h"
#include "tools/kdisk/image_disk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kdisk_log_sink(int level, const char *line, size_t len)
{
    (void)level;
    fwrite(line, 1, len, stderr);
}

static void kdisk_usage(void)
{
    fprintf(stderr, "usage: kdisk [-d NAME=FILE[:SECTORSIZE]]... [-c \"cmd; cmd\"] [-v]\n"
                    "       kdisk convert SRC DST raw|vdi|vhd|vmdk|qcow2\n");
}

/* Parse NAME=FILE[:SECTORSIZE]; the suffix counts only if it is all digits. */
static int kdisk_add_arg(char *arg)
{
    char *eq = strchr(arg, '=');
    uint64_t ss = 512;
    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "kdisk: -d wants NAME=FILE[:SECTORSIZE], got '%s'\n", arg);
        return -1;
    }
    *eq = '\0';
    char *file = eq + 1;
    char *colon = strrchr(file, ':');
    if (colon && colon[1] && kparse_u64(colon + 1, &ss) == 0) {
        *colon = '\0';
        if (ss != 512 && ss != 1024 && ss != 2048 && ss != 4096) {
            fprintf(stderr, "kdisk: sector size must be 512, 1024, 2048 or 4096 (%llu)\n",
                    (unsigned long long)ss);
            return -1;
        }
    }
    return image_disk_add(arg, file, (uint32_t)ss) ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *commands = NULL;
    int failed = 0;

    /* 1. The kernel pieces kdisk carries. */
    klog_set_sink(kdisk_log_sink);
    klog_set_console_level(KLOG_WARN);
    blkdev_init();
    fat_register();
    iso9660_register();
    ext_register();
    ntfs_register();
    shell_init();
    disk_register_commands();
    cache_register_commands();
    fs_register_commands();
    stress_register_commands();
    if (argc >= 2 && strcmp(argv[1], "convert") == 0) {
        if (argc != 5) {
            kdisk_usage();
            return 2;
        }
        return kdisk_convert(argv[2], argv[3], argv[4]) ? 1 : 0;
    }
    /* 2. Options: disks are added in order, commands run afterwards. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            if (kdisk_add_arg(argv[++i]))
                return 2;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            commands = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            klog_set_console_level(KLOG_DEBUG);
        } else {
            kdisk_usage();
            return 2;
        }
    }
    /* 3. Run -c, or every line of standard input. */
    if (commands) {
        failed = shell_execute(commands);
    } else {
        char line[SHELL_LINE_MAX];
        while (fgets(line, sizeof(line), stdin)) {
            line[strcspn(line, "\r\n")] = '\0';
            failed += shell_execute(line);
        }
    }
    /* 4. A clean exit is a clean unmount: make every volume durable. */
    if (vfs_sync_all()) {
        fprintf(stderr, "kdisk: sync at exit failed\n");
        failed++;
    }
    /* 4. The cache is write-back: nothing may stay behind in it at exit. */
    if (cache_sync_all()) {
        fprintf(stderr, "kdisk: write-back to an image failed; it is incomplete\n");
        failed++;
    }
    fflush(stdout);
    return failed ? 1 : 0;
}
