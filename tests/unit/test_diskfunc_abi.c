// SPDX-License-Identifier: MIT
/* The NASM twin of the driver ABI (blkdev/diskfunc.inc) must agree with the C
 * header. The test assembles a probe that %includes the .inc file and emits
 * every offset and constant as a dword (nasm -f bin), then compares them with
 * the C values: the constants directly, the offsets with the i386 layout that
 * diskfunc.h pins with _Static_assert (this host is 64-bit, so offsetof()
 * here would give the 64-bit layout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "blkdev/diskfunc.h"

#define PROBE_DIR "build/host/abi-probe"

static const char probe_src[] =
    "%include \"blkdev/diskfunc.inc\"\n"
    "dd DISKFUNC.strucsize, DISKFUNC.close, DISKFUNC.closemedia, DISKFUNC.querymedia\n"
    "dd DISKFUNC.read, DISKFUNC.write, DISKFUNC.flush, DISKFUNC.adjust_cache_size\n"
    "dd DISKFUNC.LoadTray, DISKFUNC_size\n"
    "dd DISKMEDIAINFO.flags, DISKMEDIAINFO.sectorsize, DISKMEDIAINFO.capacity, DISKMEDIAINFO_size\n"
    "dd DISK_STATUS_OK, DISK_STATUS_GENERAL_ERROR, DISK_STATUS_INVALID_CALL\n"
    "dd DISK_STATUS_NO_MEDIA, DISK_STATUS_END_OF_MEDIA, DISK_STATUS_NO_MEMORY\n"
    "dd DISK_NO_INSERT_NOTIFICATION, DISK_MEDIA_READONLY, DISK_TRAY_LOAD, DISK_TRAY_EJECT\n";

static void test_diskfunc_inc_matches_c_header(void **state)
{
    (void)state;
    /* i386 offsets of diskfunc.h (pinned there), then sizes, then constants. */
    const int32_t expected[] = {
        0, 4, 8, 12, 16, 20, 24, 28, 32, 36,
        0, 4, 8, 16,
        DISK_STATUS_OK, DISK_STATUS_GENERAL_ERROR, DISK_STATUS_INVALID_CALL,
        DISK_STATUS_NO_MEDIA, DISK_STATUS_END_OF_MEDIA, DISK_STATUS_NO_MEMORY,
        DISK_NO_INSERT_NOTIFICATION, DISK_MEDIA_READONLY, DISK_TRAY_LOAD, DISK_TRAY_EJECT,
    };
    int32_t got[sizeof(expected) / sizeof(expected[0]) + 1];

    assert_int_equal(system("mkdir -p " PROBE_DIR), 0);
    FILE *f = fopen(PROBE_DIR "/probe.asm", "w");
    assert_non_null(f);
    fputs(probe_src, f);
    fclose(f);
    assert_int_equal(system("nasm -f bin -I. " PROBE_DIR "/probe.asm -o " PROBE_DIR "/probe.bin"),
                     0);
    f = fopen(PROBE_DIR "/probe.bin", "rb");
    assert_non_null(f);
    size_t n = fread(got, sizeof(int32_t), sizeof(got) / sizeof(got[0]), f);
    fclose(f);
    assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], expected[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diskfunc_inc_matches_c_header),
    };
    return cmocka_run_group_tests_name("diskfunc_abi", tests, NULL, NULL);
}
