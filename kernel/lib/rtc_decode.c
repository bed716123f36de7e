// SPDX-License-Identifier: MIT
/* CMOS clock register decoding (see rtc_decode.h). */
#include "kernel/lib/rtc_decode.h"
#include "kernel/err.h"
#include "kernel/klog.h"

/* One register value in the clock's number format. Returns 0, or ERR_CORRUPT
 * for a BCD byte with a digit above 9. */
static int rtc_decode_number(uint8_t v, bool binary, unsigned *out)
{
    if (binary) {
        *out = v;
        return 0;
    }
    if ((v & 0x0F) > 9 || (v >> 4) > 9)
        return ERR_CORRUPT;
    *out = (unsigned)(v >> 4) * 10u + (v & 0x0Fu);
    return 0;
}

/* The hour in 0..23, or ERR_CORRUPT. In 12-hour mode 12 AM is 0 and 12 PM is 12. */
static int rtc_decode_hour(uint8_t v, uint8_t status_b, unsigned *out)
{
    bool binary = status_b & RTC_STATUS_B_BINARY;
    if (status_b & RTC_STATUS_B_24H)
        return rtc_decode_number(v, binary, out) == 0 && *out < 24 ? 0 : ERR_CORRUPT;
    unsigned h;
    bool pm = v & RTC_HOUR_PM;
    if (rtc_decode_number((uint8_t)(v & ~RTC_HOUR_PM), binary, &h) != 0 || h < 1 || h > 12)
        return ERR_CORRUPT;
    *out = h % 12u + (pm ? 12u : 0u);
    return 0;
}

int rtc_decode(const struct rtc_regs_raw *raw, struct wall_time *out)
{
    bool binary = raw->status_b & RTC_STATUS_B_BINARY;
    unsigned sec, min, hour, day, mon, yy, century = RTC_CENTURY_DEFAULT;

    /* 1. Each field in the clock's format; a bad BCD digit rejects the reading. */
    if (rtc_decode_number(raw->second, binary, &sec) != 0 ||
        rtc_decode_number(raw->minute, binary, &min) != 0 ||
        rtc_decode_hour(raw->hour, raw->status_b, &hour) != 0 ||
        rtc_decode_number(raw->day, binary, &day) != 0 ||
        rtc_decode_number(raw->month, binary, &mon) != 0 ||
        rtc_decode_number(raw->year, binary, &yy) != 0 || yy > 99)
        goto err_corrupt;

    /* 2. The century: trusted only when present, well-formed and plausible. */
    if (raw->has_century) {
        unsigned c;
        if (rtc_decode_number(raw->century, binary, &c) == 0 && c >= RTC_CENTURY_MIN &&
            c <= RTC_CENTURY_MAX)
            century = c;
        else
            pr_warn("rtc: cmos: century register ignored (0x%02x), assuming %u00",
                    raw->century, RTC_CENTURY_DEFAULT);
    }

    /* 3. Ranges, day against the month and leap year, via the calendar check. */
    struct wall_time t = {
        .year = (uint16_t)(century * 100u + yy),
        .month = (uint8_t)(mon <= 12 ? mon : 0),
        .day = (uint8_t)(day <= 31 ? day : 0),
        .hour = (uint8_t)hour,
        .minute = (uint8_t)(min < 60 ? min : 60),
        .second = (uint8_t)(sec < 60 ? sec : 60),
    };
    if (!civil_is_valid(&t))
        goto err_corrupt;
    *out = t;
    return 0;

err_corrupt:
    pr_warn("rtc: cmos: invalid clock reading (sec 0x%02x min 0x%02x hour 0x%02x day 0x%02x "
            "month 0x%02x year 0x%02x status B 0x%02x)",
            raw->second, raw->minute, raw->hour, raw->day, raw->month, raw->year,
            raw->status_b);
    return ERR_CORRUPT;
}
