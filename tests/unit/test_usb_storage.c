// SPDX-License-Identifier: MIT
/* Hosted tests of the USB mass-storage class logic (drivers/usb/lib/
 * usb_msc.c) against a scripted Bulk-Only device behind the transport
 * interface (struct msc_transport_ops): a BOT target with a 1 MiB RAM
 * disk that decodes each CBW, moves the data and answers with a CSW, plus a
 * fault plan: bad CSW signature or tag, phase error, STALLed data stage
 * with a CHECK CONDITION, medium error at one LBA, a device that stops
 * answering (every transfer times out) and an unplugged device. Each test
 * asserts the DISKFUNC status, the honest sector count, the recovery
 * traffic (bulk-only reset + clear halts) and the dmesg line. The unit is
 * registered with the real block layer (DiskAdd with the lib's DISKFUNC
 * callbacks, as usb_storage.c does), so the partition scan reads through
 * it too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/usb/lib/usb_msc.h"

#include "blkdev/disk.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define FK_SECTORS 2048
#define FK_BAD_LBA 100

enum fk_phase { FK_CMD, FK_DATA_IN, FK_DATA_OUT, FK_STATUS };

static struct {
    uint8_t disk[FK_SECTORS * 512];
    enum fk_phase phase;
    uint32_t tag, want, residue;
    uint8_t status;
    uint8_t reply[256];           /* small data-in replies */
    uint8_t *data;                /* READ/WRITE data in disk[] */
    uint8_t sense_key, asc;       /* for the next REQUEST SENSE */
    /* fault plan */
    int bad_sig_csws;             /* next N CSWs have a bad signature */
    int bad_tag_csws;
    int phase_errors;             /* next N commands end in phase error */
    int stall_data;               /* next N data-in stages STALL (+ CHECK CONDITION) */
    bool dead;                    /* every bulk transfer times out */
    bool medium_error;            /* READ touching FK_BAD_LBA fails */
    /* counters */
    int resets, clear_halts, bulk_calls, commands;
    bool gone;                    /* unplugged: every call fails with ERR_NODEV */
    /* the class logic under test, registered as disk usbhd0 */
    struct msc_dev m;
    struct msc_unit unit;
    void *handle;                 /* DiskAdd handle */
    int closes;                   /* DISKFUNC close calls */
} fk;

/* ---- the fake transport ---------------------------------------------------------------- */

static int fk_control(void *ctx, const struct usb_setup *setup, void *data, uint32_t *moved)
{
    (void)ctx;
    if (fk.gone)
        return ERR_NODEV;
    if (moved)
        *moved = 0;
    if (setup->request == BOT_REQ_GET_MAX_LUN) {
        *(uint8_t *)data = 0;
        if (moved)
            *moved = 1;
        return 0;
    }
    if (setup->request == BOT_REQ_RESET) {
        fk.resets++;
        fk.phase = FK_CMD;
        return 0;
    }
    return ERR_IO;
}

static int fk_clear_halt(void *ctx, bool dir_in)
{
    (void)ctx;
    (void)dir_in;
    if (fk.gone)
        return ERR_NODEV;
    fk.clear_halts++;
    return 0;
}

static bool fk_is_gone(void *ctx)
{
    (void)ctx;
    return fk.gone;
}

/* Decode a CBW: prepare the data stage and the CSW. */
static void fk_command(const uint8_t *cbw)
{
    const uint8_t *cdb = cbw + 15;
    uint32_t want = le32_at(cbw, 8);
    uint64_t lba = 0;
    uint32_t n = 0;

    fk.commands++;
    fk.tag = le32_at(cbw, 4);
    fk.want = want;
    fk.residue = 0;
    fk.status = BOT_STATUS_PASSED;
    fk.data = fk.reply;
    memset(fk.reply, 0, sizeof(fk.reply));
    switch (cdb[0]) {
    case SCSI_INQUIRY:
        memcpy(fk.reply + 8, "FAKE    FAKE STICK      1.00", 28);
        break;
    case SCSI_READ_CAPACITY10:
        fk.reply[2] = (FK_SECTORS - 1) >> 8;
        fk.reply[3] = (FK_SECTORS - 1) & 0xFF;
        fk.reply[6] = 2; /* 512 */
        break;
    case SCSI_MODE_SENSE6:
        fk.reply[0] = 3;
        break;
    case SCSI_REQUEST_SENSE:
        fk.reply[0] = 0x70;
        fk.reply[2] = fk.sense_key;
        fk.reply[7] = 10;
        fk.reply[12] = fk.asc;
        break;
    case SCSI_READ10:
    case SCSI_WRITE10:
        lba = (uint32_t)cdb[2] << 24 | (uint32_t)cdb[3] << 16 | (uint32_t)cdb[4] << 8 | cdb[5];
        n = (uint32_t)cdb[7] << 8 | cdb[8];
        fk.data = fk.disk + lba * 512;
        if (cdb[0] == SCSI_READ10 && fk.medium_error && lba <= FK_BAD_LBA &&
            FK_BAD_LBA < lba + n) {
            /* Good data up to the bad sector, then CHECK CONDITION. */
            fk.residue = want - (uint32_t)(FK_BAD_LBA - lba) * 512;
            fk.status = BOT_STATUS_FAILED;
            fk.sense_key = SCSI_SK_MEDIUM_ERROR;
            fk.asc = 0x11;
        }
        break;
    default:
        break;
    }
    if (fk.phase_errors > 0) {
        fk.phase_errors--;
        fk.status = BOT_STATUS_PHASE_ERROR;
    }
    fk.phase = want == 0 ? FK_STATUS : ((cbw[12] & 0x80) ? FK_DATA_IN : FK_DATA_OUT);
}

static int fk_bulk(void *ctx, bool in, void *data, uint32_t bytes, uint32_t *moved,
                   bool *stalled, uint32_t timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    *moved = 0;
    *stalled = false;
    fk.bulk_calls++;
    if (fk.gone)
        return ERR_NODEV;
    if (fk.dead)
        return ERR_TIMEOUT;
    switch (fk.phase) {
    case FK_CMD:
        if (in || bytes != BOT_CBW_BYTES || le32_at(data, 0) != BOT_CBW_SIGNATURE)
            return ERR_IO;
        fk_command(data);
        *moved = bytes;
        return 0;
    case FK_DATA_IN:
    case FK_DATA_OUT: {
        if (in != (fk.phase == FK_DATA_IN))
            return ERR_IO;
        fk.phase = FK_STATUS;
        if (in && fk.stall_data > 0) {
            fk.stall_data--;
            fk.residue = fk.want;
            fk.status = BOT_STATUS_FAILED;
            fk.sense_key = SCSI_SK_UNIT_ATTENTION;
            fk.asc = 0x28;
            *stalled = true;
            return ERR_IO;
        }
        uint32_t n = MIN(bytes, fk.want - fk.residue);
        if (in)
            memcpy(data, fk.data, n);
        else
            memcpy(fk.data, data, n);
        *moved = n;
        return 0;
    }
    case FK_STATUS: {
        if (!in || bytes != BOT_CSW_BYTES)
            return ERR_IO;
        uint8_t *c = data;
        put_le32(c, 0, BOT_CSW_SIGNATURE);
        put_le32(c, 4, fk.tag);
        put_le32(c, 8, fk.residue);
        c[12] = fk.status;
        if (fk.bad_sig_csws > 0) {
            fk.bad_sig_csws--;
            c[0] ^= 0xFF;
        } else if (fk.bad_tag_csws > 0) {
            fk.bad_tag_csws--;
            put_le32(c, 4, fk.tag + 1);
        }
        fk.phase = FK_CMD;
        *moved = BOT_CSW_BYTES;
        return 0;
    }
    }
    return ERR_IO;
}

/* ---- fixtures -------------------------------------------------------------------------- */

static const struct msc_transport_ops fk_ops = {
    .bulk = fk_bulk,
    .control = fk_control,
    .clear_halt = fk_clear_halt,
    .is_gone = fk_is_gone,
};

static void STDCALL fk_disk_close(void *userdata)
{
    assert_ptr_equal(userdata, &fk.unit);
    fk.closes++;
}

static DISKFUNC fk_disk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = fk_disk_close,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .write = msc_disk_write,
    .flush = msc_disk_flush,
};

static struct msc_unit *fk_unit(void)
{
    return &fk.unit;
}

/* What usb_storage.c does for a claimed interface: GET MAX LUN, identify
 * LUN 0, name it, DiskAdd, media present. */
static int setup(void **state)
{
    (void)state;
    memset(&fk, 0, sizeof(fk));
    for (unsigned i = 0; i < FK_SECTORS; i++)
        memset(fk.disk + i * 512, (int)(i & 0xFF), 512);
    assert_int_equal(msc_dev_init(&fk.m, &fk_ops, NULL, 0, "fakehc port 1"), 0);
    assert_int_equal(msc_get_max_lun(&fk.m), 0);
    msc_unit_init(&fk.unit, &fk.m, 0, "fakehc.1");
    assert_int_equal(msc_unit_identify(&fk.unit), 0);
    kstrlcpy(fk.unit.name, "usbhd0", sizeof(fk.unit.name));
    assert_int_equal(fk_unit()->blocks, FK_SECTORS);
    fk.handle = DiskAdd(&fk_disk_funcs, fk.unit.name, &fk.unit, 0);
    assert_non_null(fk.handle);
    DiskMediaChanged(fk.handle, 1);
    klog_clear();
    fk.resets = fk.clear_halts = fk.bulk_calls = fk.commands = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fk.dead = false;
    fk.bad_sig_csws = fk.bad_tag_csws = fk.phase_errors = fk.stall_data = 0;
    fk.gone = true;
    DiskDel(fk.handle);
    assert_int_equal(fk.closes, 1); /* the block layer let go of the unit */
    msc_dev_fini(&fk.m);
    return 0;
}

static int rd(uint8_t *buf, int64_t lba, int *n)
{
    return msc_disk_read(fk_unit(), buf, lba, n);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_usb_storage_identify_registers_disk_with_capacity(void **state)
{
    (void)state;
    DISKMEDIAINFO info;
    struct disk *d = NULL;
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_OK);
    assert_int_equal(info.capacity, FK_SECTORS);
    assert_int_equal(info.sectorsize, 512);
    assert_int_equal(info.flags, 0);
    assert_int_equal(disk_find("usbhd0", &d), 0);
    disk_put(d);
}

static void test_usb_storage_read_returns_device_bytes(void **state)
{
    (void)state;
    static uint8_t buf[600 * 512];
    int n = 600;
    assert_int_equal(rd(buf, 1000, &n), DISK_STATUS_OK);
    assert_int_equal(n, 600);
    assert_int_equal(buf[0], 1000 & 0xFF);
    assert_int_equal(buf[599 * 512 + 7], 1599 & 0xFF);
    /* 600 sectors = 300 KiB: two commands of at most 256 KiB */
    assert_int_equal(fk.commands, 2);
}

static void test_usb_storage_write_reaches_device(void **state)
{
    (void)state;
    uint8_t buf[2 * 512];
    int n = 2;
    memset(buf, 0xA5, sizeof(buf));
    assert_int_equal(msc_disk_write(fk_unit(), buf, 7, &n), DISK_STATUS_OK);
    assert_int_equal(n, 2);
    assert_int_equal(fk.disk[7 * 512], 0xA5);
    assert_int_equal(fk.disk[9 * 512], 9);
}

static void test_usb_storage_read_past_end_clips_with_end_of_media(void **state)
{
    (void)state;
    uint8_t buf[8 * 512];
    int n = 8;
    assert_int_equal(rd(buf, FK_SECTORS - 3, &n), DISK_STATUS_END_OF_MEDIA);
    assert_int_equal(n, 3);
    n = 1;
    assert_int_equal(rd(buf, FK_SECTORS, &n), DISK_STATUS_END_OF_MEDIA);
    assert_int_equal(n, 0);
}

static void test_usb_storage_bad_csw_signature_resets_and_retries(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    fk.bad_sig_csws = 1;
    assert_int_equal(rd(buf, 5, &n), DISK_STATUS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 5);
    assert_int_equal(fk.resets, 1);
    assert_int_equal(fk.clear_halts, 2);
    assert_true(klog_contains("usb-storage: fakehc port 1: reset recovery (no valid CSW)"));
    assert_true(klog_contains("usb-storage: usbhd0: retrying read of 1 blocks at lba 5 "
                              "(attempt 2 of 3, ERR_IO)"));
}

static void test_usb_storage_csw_tag_mismatch_resets(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    fk.bad_tag_csws = 1;
    assert_int_equal(rd(buf, 5, &n), DISK_STATUS_OK);
    assert_int_equal(fk.resets, 1);
    assert_true(klog_contains("CSW: tag mismatch"));
}

static void test_usb_storage_phase_error_resets_and_retries(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    fk.phase_errors = 1;
    assert_int_equal(rd(buf, 6, &n), DISK_STATUS_OK);
    assert_int_equal(buf[0], 6);
    assert_int_equal(fk.resets, 1);
    assert_true(klog_contains("reset recovery (phase error)"));
}

static void test_usb_storage_stalled_data_clears_halt_and_retries(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    fk.stall_data = 1;
    assert_int_equal(rd(buf, 9, &n), DISK_STATUS_OK);
    assert_int_equal(buf[0], 9);
    assert_int_equal(fk.resets, 0);
    assert_int_equal(fk.clear_halts, 1);
    assert_true(klog_contains("usb-storage: usbhd0: command 0x28 failed: UNIT ATTENTION "
                              "(asc 0x28/0x00, ERR_BUSY)"));
}

static void test_usb_storage_medium_error_reports_good_prefix(void **state)
{
    (void)state;
    static uint8_t buf[64 * 512];
    int n = 64;
    fk.medium_error = true;
    assert_int_equal(rd(buf, 90, &n), DISK_STATUS_GENERAL_ERROR);
    assert_int_equal(n, FK_BAD_LBA - 90); /* the sectors before the bad one */
    assert_int_equal(buf[9 * 512], 99);
    assert_true(klog_contains("command 0x28 failed: MEDIUM ERROR (asc 0x11/0x00, ERR_IO)"));
    assert_int_equal(fk.commands, 2 * MSC_MAX_ATTEMPTS); /* READ + REQUEST SENSE, 3 tries */
}

static void test_usb_storage_dead_device_times_out_bounded(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    fk.dead = true;
    assert_int_equal(rd(buf, 1, &n), DISK_STATUS_GENERAL_ERROR);
    assert_int_equal(n, 0);
    /* per attempt: the CBW times out, then reset recovery */
    assert_int_equal(fk.bulk_calls, MSC_MAX_ATTEMPTS);
    assert_int_equal(fk.resets, MSC_MAX_ATTEMPTS);
    assert_true(klog_contains("retrying read of 1 blocks at lba 1 (attempt 3 of 3, "
                              "ERR_TIMEOUT)"));
    assert_int_equal(msc_disk_flush(fk_unit()), DISK_STATUS_GENERAL_ERROR);
}

static void test_usb_storage_unplugged_device_is_no_media(void **state)
{
    (void)state;
    uint8_t buf[512];
    DISKMEDIAINFO info;
    int n = 1;
    fk.gone = true;
    assert_int_equal(rd(buf, 1, &n), DISK_STATUS_NO_MEDIA);
    assert_int_equal(n, 0);
    assert_int_equal(fk.bulk_calls, 1); /* no retries, no recovery */
    assert_int_equal(fk.resets, 0);
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_NO_MEDIA);
}

static void test_usb_storage_flush_sends_synchronize_cache(void **state)
{
    (void)state;
    assert_int_equal(msc_disk_flush(fk_unit()), DISK_STATUS_OK);
    assert_int_equal(fk.commands, 1);
}

static int group_setup(void **state)
{
    (void)state;
    blkdev_init();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usb_storage_identify_registers_disk_with_capacity,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_read_returns_device_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_write_reaches_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_read_past_end_clips_with_end_of_media,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_bad_csw_signature_resets_and_retries,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_csw_tag_mismatch_resets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_phase_error_resets_and_retries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_stalled_data_clears_halt_and_retries,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_medium_error_reports_good_prefix,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_dead_device_times_out_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_unplugged_device_is_no_media, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_flush_sends_synchronize_cache, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("usb_storage", tests, group_setup, NULL);
}
