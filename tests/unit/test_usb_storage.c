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
 * it too. Removable units (RMB=1, and a CD/DVD unit of type 5 with
 * 2048-byte blocks) get a medium that can be taken out, swapped (UNIT
 * ATTENTION 28h) or ejected through START STOP UNIT, answer READ CAPACITY
 * with nonsense or stay "becoming ready" for a while, and the tests drive
 * the media poll (msc_unit_poll + msc_unit_announce) by hand. */
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
#include "tests/host/time_host.h"

#define FK_SECTORS 2048             /* 512-byte sectors of the 1 MiB medium */
#define FK_BAD_LBA 100
#define FK_CD_BLOCKS (FK_SECTORS / 4) /* the same bytes as 2048-byte blocks */

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
    /* the unit and its medium */
    bool removable;               /* INQUIRY RMB */
    bool cd;                      /* peripheral type 5, 2048-byte blocks */
    bool present;                 /* a medium is in (tray closed) */
    uint8_t ua_asc;               /* pending UNIT ATTENTION (0 = none) */
    bool read10_refused;          /* READ (10) is an invalid opcode */
    bool garbage_capacity;        /* READ CAPACITY answers a block size + 1 */
    int not_ready_turs;           /* next N TEST UNIT READYs: NOT READY (04h) */
    /* counters */
    int resets, clear_halts, bulk_calls, commands;
    int tur, start_stops, prevent_allows, read12s;
    uint8_t last_ssu;             /* byte 4 of the last START STOP UNIT */
    bool gone;                    /* unplugged: every call fails with ERR_NODEV */
    /* the class logic under test, registered as disk usbhd0 */
    struct msc_dev m;
    struct msc_unit unit;
    void *handle;                 /* DiskAdd handle */
    int closes;                   /* DISKFUNC close calls */
} fk;

static uint32_t fk_block_bytes(void)
{
    return fk.cd ? 2048 : 512;
}

/* The command ends in CHECK CONDITION with this sense and no data. */
static void fk_fail(uint8_t key, uint8_t asc)
{
    fk.status = BOT_STATUS_FAILED;
    fk.residue = fk.want;
    fk.sense_key = key;
    fk.asc = asc;
}

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
    uint32_t want = le32_at(cbw, 8), bb = fk_block_bytes();
    uint64_t lba = 0;
    uint32_t n = 0;

    fk.commands++;
    fk.tag = le32_at(cbw, 4);
    fk.want = want;
    fk.residue = 0;
    fk.status = BOT_STATUS_PASSED;
    fk.data = fk.reply;
    memset(fk.reply, 0, sizeof(fk.reply));
    fk.phase = want == 0 ? FK_STATUS : ((cbw[12] & 0x80) ? FK_DATA_IN : FK_DATA_OUT);
    /* SPC-4 §5.14: a pending unit attention fails any command but these. */
    if (fk.ua_asc && cdb[0] != SCSI_INQUIRY && cdb[0] != SCSI_REQUEST_SENSE) {
        fk_fail(ATAPI_KEY_UNIT_ATTENTION, fk.ua_asc);
        fk.ua_asc = 0;
        return;
    }
    bool needs_medium = cdb[0] == SCSI_TEST_UNIT_READY || cdb[0] == SCSI_READ_CAPACITY10 ||
                        cdb[0] == SCSI_READ10 || cdb[0] == SCSI_WRITE10 || cdb[0] == 0xA8;
    if (needs_medium && !fk.present) {
        fk_fail(ATAPI_KEY_NOT_READY, 0x3A);
        return;
    }
    switch (cdb[0]) {
    case SCSI_TEST_UNIT_READY:
        fk.tur++;
        if (fk.not_ready_turs > 0) {
            fk.not_ready_turs--;
            fk_fail(ATAPI_KEY_NOT_READY, 0x04);
        }
        break;
    case SCSI_INQUIRY:
        fk.reply[0] = fk.cd ? SCSI_TYPE_CDROM : SCSI_TYPE_DISK;
        fk.reply[1] = fk.removable ? 0x80 : 0;
        memcpy(fk.reply + 8, "FAKE    FAKE STICK      1.00", 28);
        break;
    case SCSI_READ_CAPACITY10: {
        uint32_t last = (uint32_t)(sizeof(fk.disk) / bb) - 1;
        fk.reply[2] = (uint8_t)(last >> 8);
        fk.reply[3] = (uint8_t)last;
        fk.reply[6] = (uint8_t)(bb >> 8);
        fk.reply[7] = fk.garbage_capacity ? 1 : 0;
        break;
    }
    case SCSI_MODE_SENSE6:
        fk.reply[0] = 3;
        break;
    case SCSI_REQUEST_SENSE:
        fk.reply[0] = 0x70;
        fk.reply[2] = fk.sense_key;
        fk.reply[7] = 10;
        fk.reply[12] = fk.asc;
        break;
    case SCSI_START_STOP_UNIT:
        fk.start_stops++;
        fk.last_ssu = cdb[4];
        if (cdb[4] & 0x02) { /* LoEj: the medium goes out, or comes back (new) */
            fk.present = (cdb[4] & 0x01) != 0;
            if (fk.present)
                fk.ua_asc = 0x28;
        }
        break;
    case SCSI_PREVENT_ALLOW:
        fk.prevent_allows++;
        break;
    case 0xA8: /* READ (12) */
        fk.read12s++;
        n = (uint32_t)cdb[6] << 24 | (uint32_t)cdb[7] << 16 | (uint32_t)cdb[8] << 8 | cdb[9];
        fk.data = fk.disk + ((uint32_t)cdb[2] << 24 | (uint32_t)cdb[3] << 16 |
                             (uint32_t)cdb[4] << 8 | cdb[5]) * (size_t)bb;
        break;
    case SCSI_READ10:
    case SCSI_WRITE10:
        if (cdb[0] == SCSI_READ10 && fk.read10_refused) {
            fk_fail(ATAPI_KEY_ILLEGAL_REQUEST, 0x20);
            return;
        }
        lba = (uint32_t)cdb[2] << 24 | (uint32_t)cdb[3] << 16 | (uint32_t)cdb[4] << 8 | cdb[5];
        n = (uint32_t)cdb[7] << 8 | cdb[8];
        fk.data = fk.disk + lba * bb;
        if (cdb[0] == SCSI_READ10 && fk.medium_error && lba <= FK_BAD_LBA &&
            FK_BAD_LBA < lba + n) {
            /* Good data up to the bad sector, then CHECK CONDITION. */
            fk.residue = want - (uint32_t)(FK_BAD_LBA - lba) * bb;
            fk.status = BOT_STATUS_FAILED;
            fk.sense_key = ATAPI_KEY_MEDIUM_ERROR;
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
            fk.sense_key = ATAPI_KEY_UNIT_ATTENTION;
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
    .closemedia = msc_disk_closemedia,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .write = msc_disk_write,
    .flush = msc_disk_flush,
    .LoadTray = msc_disk_loadtray,
};

static struct msc_unit *fk_unit(void)
{
    return &fk.unit;
}

/* Faults the next plug() starts with (a setup sets them, plug clears them). */
static struct {
    bool garbage_capacity;
    int not_ready_turs;
} plug_with;

/* What usb_storage.c does for a claimed interface: GET MAX LUN, identify
 * LUN 0, name it, DiskAdd, announce the medium. */
static void plug(bool removable, bool cd, bool present)
{
    memset(&fk, 0, sizeof(fk));
    for (unsigned i = 0; i < FK_SECTORS; i++)
        memset(fk.disk + i * 512, (int)(i & 0xFF), 512);
    fk.removable = removable;
    fk.cd = cd;
    fk.present = present;
    fk.garbage_capacity = plug_with.garbage_capacity;
    fk.not_ready_turs = plug_with.not_ready_turs;
    memset(&plug_with, 0, sizeof(plug_with));
    fk.ua_asc = 0x29; /* power on: the first command meets a unit attention */
    assert_int_equal(msc_dev_init(&fk.m, &fk_ops, NULL, 0, "fakehc port 1"), 0);
    assert_int_equal(msc_get_max_lun(&fk.m), 0);
    msc_unit_init(&fk.unit, &fk.m, 0, "fakehc.1");
    assert_int_equal(msc_unit_identify(&fk.unit), 0);
    kstrlcpy(fk.unit.name, "usbhd0", sizeof(fk.unit.name));
    fk.handle = DiskAdd(&fk_disk_funcs, fk.unit.name, &fk.unit, 0);
    assert_non_null(fk.handle);
    msc_unit_announce_initial(&fk.unit, fk.handle);
    klog_clear();
    fk.resets = fk.clear_halts = fk.bulk_calls = fk.commands = fk.tur = 0;
}

static int setup(void **state)
{
    (void)state;
    plug(false, false, true);
    assert_int_equal(fk_unit()->blocks, FK_SECTORS);
    return 0;
}

static int setup_removable(void **state)
{
    (void)state;
    plug(true, false, true);
    return 0;
}

static int setup_removable_empty(void **state)
{
    (void)state;
    plug(true, false, false);
    return 0;
}

static int setup_cd(void **state)
{
    (void)state;
    plug(false, true, true);
    return 0;
}

static int setup_removable_garbage(void **state)
{
    (void)state;
    plug_with.garbage_capacity = true;
    plug(true, false, true);
    return 0;
}

/* A CD drive whose disc still spins up after the 20 attempts at plug time
 * (about 2 s; real drives take up to 10 s). The fake clock skips the waits. */
static int setup_cd_spinning_up(void **state)
{
    (void)state;
    time_host_use_fake(true);
    plug_with.not_ready_turs = 30;
    plug(false, true, true);
    time_host_use_fake(false);
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
    /* A fixed unit's unit attention is retried, and not worth an error line. */
    assert_true(klog_contains("usb-storage: usbhd0: retrying read of 1 blocks at lba 9 "
                              "(attempt 2 of 3, ERR_BUSY)"));
    assert_false(klog_contains("command 0x28 failed"));
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
    assert_true(klog_contains("command 0x28 failed: medium error, unrecovered read error "
                              "(sense 3/11/00), ERR_IO"));
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

/* ---- removable media ------------------------------------------------------------------- */

static struct msc_poll_news poll_and_announce(void)
{
    struct msc_poll_news news;
    msc_unit_poll(fk_unit(), &news);
    msc_unit_announce(fk_unit(), fk.handle, &news);
    return news;
}

/* Does the block layer see a medium on usbhd0? */
static bool disk_has_media(void)
{
    struct disk *d = NULL;
    struct media *m = NULL;
    assert_int_equal(disk_find("usbhd0", &d), 0);
    bool has = disk_get_media(d, &m) == 0;
    if (has)
        media_put(m);
    disk_put(d);
    return has;
}

static void test_usb_storage_fixed_unit_poll_sends_no_command(void **state)
{
    (void)state;
    struct msc_poll_news news = poll_and_announce();
    assert_false(news.removed);
    assert_false(news.inserted);
    assert_int_equal(fk.bulk_calls, 0);
    assert_false(fk_unit()->removable);
}

static void test_usb_storage_fixed_unit_has_no_tray(void **state)
{
    (void)state;
    assert_int_equal(msc_disk_loadtray(fk_unit(), DISK_TRAY_EJECT), DISK_STATUS_INVALID_CALL);
    assert_int_equal(fk.bulk_calls, 0);
}

static void test_usb_storage_removable_unchanged_medium_costs_one_tur(void **state)
{
    (void)state;
    assert_true(fk_unit()->removable);
    assert_true(disk_has_media());
    struct msc_poll_news news = poll_and_announce();
    assert_false(news.removed);
    assert_false(news.inserted);
    assert_int_equal(fk.commands, 1);
    assert_int_equal(fk.tur, 1);
}

static void test_usb_storage_removable_medium_pulled_reports_no_media(void **state)
{
    (void)state;
    DISKMEDIAINFO info;
    uint8_t buf[512];
    int n = 1;
    fk.present = false;
    struct msc_poll_news news = poll_and_announce();
    assert_true(news.removed);
    assert_false(news.inserted);
    assert_int_equal(fk.commands, 2); /* TEST UNIT READY + REQUEST SENSE */
    assert_true(klog_contains("usb-storage: usbhd0: medium removed or changed"));
    assert_true(klog_contains("disk: usbhd0: media closed"));
    assert_false(disk_has_media());
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_NO_MEDIA);
    assert_int_equal(rd(buf, 0, &n), DISK_STATUS_NO_MEDIA);
    assert_int_equal(n, 0);
    /* Still empty: no news, no error line. */
    news = poll_and_announce();
    assert_false(news.removed || news.inserted);
    assert_false(klog_contains("failed"));
}

static void test_usb_storage_unit_attention_reannounces_new_medium(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    /* 1. Another card of the same size: only the unit attention tells. */
    memset(fk.disk, 0x5A, 512);
    fk.ua_asc = 0x28;
    struct msc_poll_news news = poll_and_announce();
    assert_true(news.removed);
    assert_false(news.inserted); /* waits for the old medium's closemedia */
    assert_true(klog_contains("disk: usbhd0: media closed"));
    assert_false(disk_has_media());
    /* 2. The next poll announces it; capacity read again. */
    fk.commands = 0;
    news = poll_and_announce();
    assert_false(news.removed);
    assert_true(news.inserted);
    assert_int_equal(news.blocks, FK_SECTORS);
    assert_true(klog_contains("usb-storage: usbhd0: medium present (2048 blocks of 512 bytes)"));
    assert_true(disk_has_media());
    assert_int_equal(rd(buf, 0, &n), DISK_STATUS_OK);
    assert_int_equal(buf[0], 0x5A);
    assert_false(klog_contains("contract"));
}

static void test_usb_storage_reset_unit_attention_also_reannounces(void **state)
{
    (void)state;
    fk.ua_asc = 0x29;
    assert_true(poll_and_announce().removed);
    assert_true(poll_and_announce().inserted);
    assert_true(disk_has_media());
}

static void test_usb_storage_unit_attention_on_read_stops_reads(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    fk.ua_asc = 0x28;
    assert_int_equal(rd(buf, 3, &n), DISK_STATUS_NO_MEDIA);
    assert_int_equal(n, 0);
    assert_int_equal(fk.commands, 2); /* READ + REQUEST SENSE, no retry on the new medium */
    n = 1;
    assert_int_equal(rd(buf, 3, &n), DISK_STATUS_NO_MEDIA);
    /* The poll turns the flag into a removal, then the medium comes back. */
    assert_true(poll_and_announce().removed);
    assert_true(poll_and_announce().inserted);
    n = 1;
    assert_int_equal(rd(buf, 3, &n), DISK_STATUS_OK);
    assert_int_equal(buf[0], 3);
}

static void test_usb_storage_empty_removable_unit_registers_then_inserts(void **state)
{
    (void)state;
    DISKMEDIAINFO info;
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_NO_MEDIA);
    assert_false(disk_has_media());
    fk.present = true;
    fk.ua_asc = 0x28;
    struct msc_poll_news news = poll_and_announce();
    assert_false(news.removed);
    assert_true(news.inserted);
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_OK);
    assert_int_equal(info.capacity, FK_SECTORS);
    assert_true(disk_has_media());
}

static void test_usb_storage_eject_and_load_move_the_medium(void **state)
{
    (void)state;
    uint8_t buf[512];
    int n = 1;
    /* 1. Eject: allow removal, START STOP UNIT LoEj; reads stop at once. */
    assert_int_equal(msc_disk_loadtray(fk_unit(), DISK_TRAY_EJECT), DISK_STATUS_OK);
    assert_int_equal(fk.prevent_allows, 1);
    assert_int_equal(fk.start_stops, 1);
    assert_int_equal(fk.last_ssu, 0x02);
    assert_false(fk.present);
    assert_int_equal(rd(buf, 0, &n), DISK_STATUS_NO_MEDIA);
    assert_true(poll_and_announce().removed);
    assert_false(disk_has_media());
    /* 2. Load: LoEj + Start; the unit attention brings the medium back. */
    assert_int_equal(msc_disk_loadtray(fk_unit(), DISK_TRAY_LOAD), DISK_STATUS_OK);
    assert_int_equal(fk.last_ssu, 0x03);
    assert_int_equal(fk.prevent_allows, 1);
    assert_true(poll_and_announce().inserted);
    assert_true(disk_has_media());
}

static void test_usb_storage_cd_unit_is_read_only_2048(void **state)
{
    (void)state;
    DISKMEDIAINFO info;
    uint8_t buf[3 * 2048];
    int n = 3;
    assert_true(fk_unit()->is_cd);
    assert_true(fk_unit()->removable); /* a CD is, whatever RMB says */
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_OK);
    assert_int_equal(info.sectorsize, 2048);
    assert_int_equal(info.capacity, FK_CD_BLOCKS);
    assert_int_equal(info.flags, DISK_MEDIA_READONLY);
    assert_int_equal(rd(buf, 10, &n), DISK_STATUS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(buf[0], 40);            /* 512-byte sector 40 */
    assert_int_equal(buf[2 * 2048 + 512], 49);
    n = 1;
    assert_int_equal(msc_disk_write(fk_unit(), buf, 10, &n), DISK_STATUS_GENERAL_ERROR);
    assert_int_equal(n, 0);
    assert_int_equal(fk.disk[40 * 512], 40);
    assert_int_equal(msc_disk_flush(fk_unit()), DISK_STATUS_OK);
}

static void test_usb_storage_cd_refusing_read10_switches_to_read12(void **state)
{
    (void)state;
    uint8_t buf[2048];
    int n = 1;
    fk.read10_refused = true;
    assert_int_equal(rd(buf, 7, &n), DISK_STATUS_OK);
    assert_int_equal(buf[0], 28);
    assert_int_equal(fk.read12s, 1);
    assert_true(klog_contains("usb-storage: usbhd0: READ(10) refused, using READ(12)"));
    n = 1;
    assert_int_equal(rd(buf, 8, &n), DISK_STATUS_OK);
    assert_int_equal(fk.read12s, 2);
}

static void test_usb_storage_cd_disc_swap_is_seen(void **state)
{
    (void)state;
    assert_true(disk_has_media());
    fk.present = false;
    assert_true(poll_and_announce().removed);
    fk.present = true;
    fk.ua_asc = 0x28;
    struct msc_poll_news news = poll_and_announce();
    assert_true(news.inserted);
    assert_int_equal(news.block_bytes, 2048);
    assert_true(disk_has_media());
}

/* A swapped-in medium that answers READ CAPACITY with nonsense: the old
 * one is announced gone, the new one is logged once and not asked again
 * (no line, no READ CAPACITY every second) until the next change. */
static void test_usb_storage_garbage_capacity_after_swap_removes_and_logs_once(void **state)
{
    (void)state;
    fk.garbage_capacity = true;
    fk.ua_asc = 0x28;
    struct msc_poll_news news = poll_and_announce();
    assert_true(news.removed);
    assert_false(news.inserted);
    assert_true(klog_contains("usb-storage: usbhd0: medium not usable (bad capacity), ignored "
                              "until it is changed"));
    assert_false(disk_has_media());
    klog_clear();
    fk.commands = 0;
    for (int i = 0; i < 3; i++) {
        news = poll_and_announce();
        assert_false(news.removed || news.inserted);
    }
    assert_int_equal(fk.commands, 3); /* one TEST UNIT READY per poll, nothing else */
    assert_false(klog_contains("usb-storage"));
    /* A good medium comes in: seen at once. */
    fk.garbage_capacity = false;
    fk.ua_asc = 0x28;
    assert_true(poll_and_announce().inserted);
    assert_true(disk_has_media());
}

/* The same medium in the reader at plug time: the reader still becomes a
 * disk (without a medium), so a good card can be put in later. */
static void test_usb_storage_garbage_capacity_at_plug_registers_empty_unit(void **state)
{
    (void)state;
    DISKMEDIAINFO info;
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_NO_MEDIA);
    assert_false(disk_has_media());
    struct msc_poll_news news = poll_and_announce();
    assert_false(news.removed || news.inserted);
    assert_int_equal(fk.commands, 1);
    assert_false(klog_contains("usb-storage"));
    fk.garbage_capacity = false;
    fk.ua_asc = 0x28;
    assert_true(poll_and_announce().inserted);
    assert_true(disk_has_media());
}

/* A disc still becoming ready when the drive is plugged in: the drive is a
 * disk without a medium, and the poll announces the disc once it is ready. */
static void test_usb_storage_cd_spinning_up_at_plug_registers_then_inserts(void **state)
{
    (void)state;
    DISKMEDIAINFO info;
    assert_true(fk_unit()->is_cd);
    assert_int_equal(msc_disk_querymedia(fk_unit(), &info), DISK_STATUS_NO_MEDIA);
    assert_false(disk_has_media());
    struct msc_poll_news news = poll_and_announce();
    assert_false(news.removed || news.inserted); /* still spinning up: no news */
    fk.not_ready_turs = 0;
    news = poll_and_announce();
    assert_true(news.inserted);
    assert_int_equal(news.block_bytes, 2048);
    assert_true(disk_has_media());
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
        cmocka_unit_test_setup_teardown(test_usb_storage_fixed_unit_poll_sends_no_command, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_fixed_unit_has_no_tray, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_removable_unchanged_medium_costs_one_tur,
                                        setup_removable, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_removable_medium_pulled_reports_no_media,
                                        setup_removable, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_unit_attention_reannounces_new_medium,
                                        setup_removable, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_reset_unit_attention_also_reannounces,
                                        setup_removable, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_unit_attention_on_read_stops_reads,
                                        setup_removable, teardown),
        cmocka_unit_test_setup_teardown(
            test_usb_storage_empty_removable_unit_registers_then_inserts, setup_removable_empty,
            teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_eject_and_load_move_the_medium,
                                        setup_removable, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_cd_unit_is_read_only_2048, setup_cd,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_cd_refusing_read10_switches_to_read12,
                                        setup_cd, teardown),
        cmocka_unit_test_setup_teardown(test_usb_storage_cd_disc_swap_is_seen, setup_cd,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_usb_storage_garbage_capacity_after_swap_removes_and_logs_once, setup_removable,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_usb_storage_garbage_capacity_at_plug_registers_empty_unit,
            setup_removable_garbage, teardown),
        cmocka_unit_test_setup_teardown(
            test_usb_storage_cd_spinning_up_at_plug_registers_then_inserts, setup_cd_spinning_up,
            teardown),
    };
    return cmocka_run_group_tests_name("usb_storage", tests, group_setup, NULL);
}
