// SPDX-License-Identifier: MIT
/* CMOS RTC reading and the kernel wall clock (see rtc.h). A reading is taken
 * between update cycles: wait until UIP (update in progress) is clear, copy
 * the clock registers, and repeat until two copies agree, so a roll-over
 * between two register reads (59:59 -> 00:00) cannot give a mixed time.
 * The wall clock is kernel/lib/wallclock.h's source for the kernel build. */
#include "kernel/rtc.h"
#include "kernel/acpi.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/rtc_decode.h"
#include "kernel/lib/wallclock.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"
#include "kernel/time.h"
#include "kernel/types.h"

/* CMOS access (IBM PC/AT): write the register index to 0x70, then read 0x71.
 * Bit 7 of the index masks NMI; it is left clear (NMI stays enabled). */
#define CMOS_INDEX_PORT 0x70
#define CMOS_DATA_PORT 0x71
/* Clock registers (MC146818A). */
#define CMOS_REG_SECONDS 0x00
#define CMOS_REG_MINUTES 0x02
#define CMOS_REG_HOURS 0x04
#define CMOS_REG_DAY 0x07
#define CMOS_REG_MONTH 0x08
#define CMOS_REG_YEAR 0x09
#define CMOS_REG_STATUS_A 0x0A
#define CMOS_REG_STATUS_B 0x0B
#define CMOS_STATUS_A_UIP 0x80
/* A century register must be battery-backed RAM: after the 14 clock
 * registers (0x00-0x0D) and inside the 128-byte index space. */
#define CMOS_RAM_FIRST 0x0E
#define CMOS_RAM_LAST 0x7F

/* UIP is set at most 244 us before an update that lasts at most 2 ms
 * (MC146818A); 20 ms covers that with room. An absent clock reads 0xFF, so
 * UIP looks stuck set: this timeout is also the "no RTC" detection. */
#define RTC_UIP_TIMEOUT_MS 20
#define RTC_UIP_POLL_US 50
/* Copies taken until two agree: an update happens once a second, so two
 * disagreements in a row already mean the clock is misbehaving. */
#define RTC_READ_ATTEMPTS 4

static struct {
    struct spinlock lock;   /* keeps each index/data port pair together */
    int century_index;      /* CMOS index of the century, -1 if none; rtc_init */
    /* The wall clock: base_unix_s at time_ms() == base_ms. Written once by
     * wallclock_set_unix() at boot before clock_set is raised; read-only after. */
    int64_t base_unix_s;
    uint64_t base_ms;
    volatile bool clock_set;
} rtc_state = { .century_index = -1 };

static uint8_t rtc_cmos_read_locked(uint8_t index)
{
    lock_assert_held(&rtc_state.lock);
    outb(CMOS_INDEX_PORT, index);
    return inb(CMOS_DATA_PORT);
}

/* Wait until no update is in progress. Returns 0 or ERR_TIMEOUT. */
static int rtc_wait_not_updating(void)
{
    uint64_t deadline_ms = time_ms() + RTC_UIP_TIMEOUT_MS;
    for (;;) {
        spin_lock(&rtc_state.lock);
        uint8_t a = rtc_cmos_read_locked(CMOS_REG_STATUS_A);
        spin_unlock(&rtc_state.lock);
        if (!(a & CMOS_STATUS_A_UIP))
            return 0;
        if (time_ms() >= deadline_ms) {
            pr_warn("rtc: cmos: update in progress for over %u ms (status A 0x%02x)",
                    RTC_UIP_TIMEOUT_MS, a);
            return ERR_TIMEOUT;
        }
        udelay(RTC_UIP_POLL_US);
    }
}

/* One copy of the clock registers, taken right after UIP was seen clear
 * (the update then starts no sooner than 244 us later). */
static void rtc_snapshot(struct rtc_regs_raw *r)
{
    memset(r, 0, sizeof(*r));
    spin_lock(&rtc_state.lock);
    r->second = rtc_cmos_read_locked(CMOS_REG_SECONDS);
    r->minute = rtc_cmos_read_locked(CMOS_REG_MINUTES);
    r->hour = rtc_cmos_read_locked(CMOS_REG_HOURS);
    r->day = rtc_cmos_read_locked(CMOS_REG_DAY);
    r->month = rtc_cmos_read_locked(CMOS_REG_MONTH);
    r->year = rtc_cmos_read_locked(CMOS_REG_YEAR);
    r->status_b = rtc_cmos_read_locked(CMOS_REG_STATUS_B);
    if (rtc_state.century_index >= 0) {
        r->century = rtc_cmos_read_locked((uint8_t)rtc_state.century_index);
        r->has_century = true;
    }
    spin_unlock(&rtc_state.lock);
}

static bool rtc_snapshots_equal(const struct rtc_regs_raw *a, const struct rtc_regs_raw *b)
{
    return a->second == b->second && a->minute == b->minute && a->hour == b->hour &&
           a->day == b->day && a->month == b->month && a->year == b->year &&
           a->century == b->century && a->status_b == b->status_b;
}

/* Read a stable, decoded time from the RTC.
 * Returns 0, ERR_TIMEOUT (UIP never cleared, or the copies never agreed) or
 * ERR_CORRUPT (invalid values); each failure is logged. */
static int rtc_read(struct wall_time *out, struct rtc_regs_raw *raw)
{
    struct rtc_regs_raw prev;

    /* 1. First copy, taken between updates. */
    int rc = rtc_wait_not_updating();
    if (rc)
        return rc;
    rtc_snapshot(&prev);

    /* 2. Further copies until two in a row agree; on agreement go to step 3. */
    for (unsigned attempt = 1; attempt < RTC_READ_ATTEMPTS; attempt++) {
        rc = rtc_wait_not_updating();
        if (rc)
            return rc;
        rtc_snapshot(raw);
        if (rtc_snapshots_equal(raw, &prev))
            return rtc_decode(raw, out); /* 3. Decode and range-check. */
        prev = *raw;
    }
    pr_warn("rtc: cmos: clock registers keep changing (%u readings disagree)",
            RTC_READ_ATTEMPTS);
    return ERR_TIMEOUT;
}

/* The CMOS index of the century byte from the FADT, or -1. */
static int rtc_century_index(void)
{
    struct acpi_power_info info;
    if (acpi_get_power_info(&info) != 0 || info.fadt.century_index == 0)
        return -1;
    uint8_t index = info.fadt.century_index;
    if (index < CMOS_RAM_FIRST || index > CMOS_RAM_LAST) {
        pr_warn("rtc: cmos: FADT century index out of range (0x%02x, want 0x%02x..0x%02x)",
                index, CMOS_RAM_FIRST, CMOS_RAM_LAST);
        return -1;
    }
    return index;
}

/* ---- wall clock source (kernel/lib/wallclock.h) ---------------------------------------------- */

int wallclock_now_unix(int64_t *unix_s)
{
    if (!rtc_state.clock_set) {
        *unix_s = WALLCLOCK_FALLBACK_UNIX + (int64_t)(time_ms() / 1000u);
        return ERR_NOENT;
    }
    *unix_s = rtc_state.base_unix_s + (int64_t)((time_ms() - rtc_state.base_ms) / 1000u);
    return 0;
}

void wallclock_set_unix(int64_t unix_s)
{
    rtc_state.clock_set = false;
    io_barrier();
    rtc_state.base_unix_s = unix_s;
    rtc_state.base_ms = time_ms();
    io_barrier();
    rtc_state.clock_set = true; /* readers use the base from here on */
}

/* ---- shell ----------------------------------------------------------------------------------- */

static int rtc_cmd_date(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("usage: date");
    struct wall_time t;
    wallclock_now(&t); /* always filled; the boot log says if it is the fallback */
    kprintf("%04u-%02u-%02u %02u:%02u:%02u UTC\n", t.year, t.month, t.day, t.hour, t.minute,
            t.second);
    return 0;
}

static const struct shell_cmd rtc_cmds[] = {
    { "date", "", "current date and time (UTC, from the CMOS clock at boot)", rtc_cmd_date },
};

void rtc_init(void)
{
    struct wall_time t;
    struct rtc_regs_raw raw;
    int64_t unix_s;

    /* 1. Where the century lives, if the firmware says. */
    spin_init(&rtc_state.lock, "rtc");
    rtc_state.century_index = rtc_century_index();

    /* 2. Read the clock; any failure (already logged) means the fixed epoch. */
    int rc = rtc_read(&t, &raw);
    if (rc == 0)
        rc = civil_to_unix(&t, &unix_s);
    if (rc != 0) {
        pr_warn("rtc: cmos: no usable time (%s), wall clock starts at 2024-01-01 00:00:00 UTC",
                err_name(rc));
        wallclock_set_unix(WALLCLOCK_FALLBACK_UNIX);
    } else {
        wallclock_set_unix(unix_s);
        pr_info("rtc: cmos: %04u-%02u-%02u %02u:%02u:%02u UTC (%s, %s, century %s)", t.year,
                t.month, t.day, t.hour, t.minute, t.second,
                (raw.status_b & RTC_STATUS_B_BINARY) ? "binary" : "BCD",
                (raw.status_b & RTC_STATUS_B_24H) ? "24-hour" : "12-hour",
                raw.has_century ? "from FADT register" : "assumed 20xx");
    }

    /* 3. The shell command. */
    rc = shell_register(rtc_cmds, ARRAY_SIZE(rtc_cmds));
    if (rc != 0)
        pr_err("rtc: shell: cannot register commands (%s)", err_name(rc));
}
