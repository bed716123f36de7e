// SPDX-License-Identifier: MIT
/* Unit tests for drivers/usb/lib/hub.c: the hub descriptor QEMU's usb-hub
 * and a 4-port USB 2 hub send, hostile variants (short, wrong type,
 * bLength past the bytes read, no ports, too many ports), the port status
 * decoding (a short reply is rejected without a line), the per-port plan
 * of the hub poll (attach, detach, replug between two polls, a disabled
 * port, a failed enumeration that waits for a new connection), the speed
 * after reset and the xHCI route string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/usb/defs.h"
#include "drivers/usb/lib/hub.h"
#include "kernel/err.h"
#include "kernel/klog.h"

/* QEMU usb-hub, 8 ports, as QEMU 7.2 sends it: bLength 10, type 0x29, 8
 * ports, wHubCharacteristics 0x000A (no power switching, per-port
 * over-current), 1 (2 ms), 0 mA, DeviceRemovable in two bytes (8 ports +
 * bit 0), PortPwrCtrlMask cut to one byte. */
static const uint8_t qemu_hub[10] = { 10, 0x29, 8, 0x0A, 0x00, 1, 0, 0, 0, 0xFF };

/* A 4-port high-speed hub with per-port power, TT think time 2, 100 ms. */
static const uint8_t hs_hub[9] = { 9, 0x29, 4, 0x49, 0x00, 50, 100, 0, 0xFF };

static int setup(void **state)
{
    (void)state;
    klog_clear();
    return 0;
}

static void test_hub_desc_qemu_hub_parses(void **state)
{
    (void)state;
    struct hub_desc h;
    assert_int_equal(hub_desc_parse(qemu_hub, sizeof(qemu_hub), &h), 0);
    assert_int_equal(h.num_ports, 8);
    assert_int_equal(h.ports_reported, 8);
    assert_int_equal(h.characteristics, 0x000A);
    assert_false(h.per_port_power);
    assert_false(h.compound);
    assert_int_equal(h.power_good_ms, 2);
    assert_false(klog_contains("usb-hub:"));
}

static void test_hub_desc_high_speed_hub_gives_power_and_think_time(void **state)
{
    (void)state;
    struct hub_desc h;
    assert_int_equal(hub_desc_parse(hs_hub, sizeof(hs_hub), &h), 0);
    assert_int_equal(h.num_ports, 4);
    assert_true(h.per_port_power);
    assert_int_equal(h.tt_think_time, 2);
    assert_int_equal(h.power_good_ms, 100);
}

static void test_hub_desc_short_buffer_is_rejected(void **state)
{
    (void)state;
    struct hub_desc h;
    assert_int_equal(hub_desc_parse(qemu_hub, 6, &h), ERR_CORRUPT);
    assert_true(klog_contains("usb-hub: hub descriptor: too short (6 bytes, want 7)"));
    assert_int_equal(h.num_ports, 0);
}

static void test_hub_desc_wrong_type_is_rejected(void **state)
{
    (void)state;
    uint8_t d[sizeof(qemu_hub)];
    struct hub_desc h;
    memcpy(d, qemu_hub, sizeof(d));
    d[1] = 0x2A; /* a USB 3 hub descriptor is another layout */
    assert_int_equal(hub_desc_parse(d, sizeof(d), &h), ERR_CORRUPT);
    assert_true(klog_contains("bad header (bLength 10, type 0x2a"));
}

static void test_hub_desc_length_past_bytes_read_is_rejected(void **state)
{
    (void)state;
    struct hub_desc h;
    assert_int_equal(hub_desc_parse(qemu_hub, 9, &h), ERR_CORRUPT);
    assert_true(klog_contains("bad header (bLength 10, type 0x29, 9 bytes read)"));
}

static void test_hub_desc_zero_ports_is_rejected(void **state)
{
    (void)state;
    uint8_t d[sizeof(qemu_hub)];
    struct hub_desc h;
    memcpy(d, qemu_hub, sizeof(d));
    d[2] = 0;
    assert_int_equal(hub_desc_parse(d, sizeof(d), &h), ERR_CORRUPT);
    assert_true(klog_contains("usb-hub: hub descriptor: no ports (bNbrPorts 0)"));
}

static void test_hub_desc_too_many_ports_are_clamped(void **state)
{
    (void)state;
    uint8_t d[16] = { 13, 0x29, 20, 0x01, 0x00, 10, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF };
    struct hub_desc h;
    assert_int_equal(hub_desc_parse(d, sizeof(d), &h), 0);
    assert_int_equal(h.num_ports, HUB_MAX_PORTS);
    assert_int_equal(h.ports_reported, 20);
    assert_true(klog_contains("usb-hub: hub descriptor: 20 ports, using the first 15"));
}

static void test_hub_desc_missing_bitmaps_are_tolerated(void **state)
{
    (void)state;
    uint8_t d[8] = { 7, 0x29, 9, 0x00, 0x00, 5, 0, 0 }; /* 9 ports: 2 bytes of bits */
    struct hub_desc h;
    assert_int_equal(hub_desc_parse(d, sizeof(d), &h), 0);
    assert_int_equal(h.num_ports, 9);
    assert_int_equal(h.power_good_ms, 10);
    assert_true(klog_contains("short port bitmaps (bLength 7, 9 ports), ignored"));
}

static void test_hub_port_status_decodes_little_endian(void **state)
{
    (void)state;
    const uint8_t b[4] = { 0x03, 0x01, 0x11, 0x00 };
    struct hub_port_status st;
    assert_int_equal(hub_port_status_parse(b, sizeof(b), &st), 0);
    assert_int_equal(st.status, USB_PORT_STAT_CONNECTION | USB_PORT_STAT_ENABLE |
                                    USB_PORT_STAT_POWER);
    assert_int_equal(st.change, USB_PORT_C_CONNECTION | USB_PORT_C_RESET);
}

/* The poll reads every port every 500 ms: a hub that keeps answering
 * short must not add a line each time (the poll logs the port once). */
static void test_hub_port_status_short_reply_is_rejected_quietly(void **state)
{
    (void)state;
    const uint8_t b[4] = { 0x01, 0x01, 0x01, 0x00 };
    struct hub_port_status st;
    assert_int_equal(hub_port_status_parse(b, 2, &st), ERR_CORRUPT);
    assert_int_equal(hub_port_status_parse(b, 5, &st), ERR_CORRUPT);
    assert_int_equal(st.status, 0);
    assert_int_equal(st.change, 0);
    assert_false(klog_contains("usb-hub"));
}

static void test_hub_plan_new_connection_attaches(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_CONNECTION | USB_PORT_STAT_POWER,
                                  USB_PORT_C_CONNECTION };
    struct hub_port_plan p;
    hub_port_plan(&st, false, false, &p);
    assert_true(p.attach);
    assert_false(p.detach);
    assert_true(p.retry);
    assert_int_equal(p.clear, USB_PORT_C_CONNECTION);
}

static void test_hub_plan_unplug_detaches_only(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_POWER, USB_PORT_C_CONNECTION | USB_PORT_C_ENABLE };
    struct hub_port_plan p;
    hub_port_plan(&st, true, false, &p);
    assert_true(p.detach);
    assert_false(p.attach);
    assert_int_equal(p.clear, USB_PORT_C_CONNECTION | USB_PORT_C_ENABLE);
}

static void test_hub_plan_replug_between_polls_detaches_then_attaches(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_CONNECTION | USB_PORT_STAT_POWER,
                                  USB_PORT_C_CONNECTION };
    struct hub_port_plan p;
    hub_port_plan(&st, true, false, &p);
    assert_true(p.detach);
    assert_true(p.attach);
}

static void test_hub_plan_enabled_child_without_change_is_left_alone(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_CONNECTION | USB_PORT_STAT_ENABLE |
                                      USB_PORT_STAT_POWER, 0 };
    struct hub_port_plan p;
    hub_port_plan(&st, true, false, &p);
    assert_false(p.detach);
    assert_false(p.attach);
    assert_int_equal(p.clear, 0);
}

static void test_hub_plan_port_disabled_by_hub_detaches_and_reenumerates(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_CONNECTION | USB_PORT_STAT_POWER,
                                  USB_PORT_C_ENABLE };
    struct hub_port_plan p;
    hub_port_plan(&st, true, false, &p);
    assert_true(p.detach);
    assert_true(p.attach);
    assert_false(p.retry);
}

static void test_hub_plan_failed_port_waits_for_a_new_connection(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_CONNECTION | USB_PORT_STAT_POWER, 0 };
    struct hub_port_plan p;
    hub_port_plan(&st, false, true, &p);
    assert_false(p.attach);
    st.change = USB_PORT_C_CONNECTION;
    hub_port_plan(&st, false, true, &p);
    assert_true(p.attach);
    assert_true(p.retry);
}

static void test_hub_plan_over_current_is_flagged_and_cleared(void **state)
{
    (void)state;
    struct hub_port_status st = { USB_PORT_STAT_OVER_CURRENT, USB_PORT_C_OVER_CURRENT | 0x40 };
    struct hub_port_plan p;
    hub_port_plan(&st, false, false, &p);
    assert_true(p.over_current);
    assert_false(p.attach);
    assert_int_equal(p.clear, USB_PORT_C_OVER_CURRENT); /* reserved bit 6 is not ours */
}

static void test_hub_speed_from_status_bits(void **state)
{
    (void)state;
    assert_int_equal(hub_port_speed(USB_PORT_STAT_LOW_SPEED, false), HUB_SPEED_LOW);
    assert_int_equal(hub_port_speed(0, false), HUB_SPEED_FULL);
    assert_int_equal(hub_port_speed(USB_PORT_STAT_HIGH_SPEED, true), HUB_SPEED_HIGH);
    /* A USB 1.1 hub has no high-speed bit: whatever it sends, full speed. */
    assert_int_equal(hub_port_speed(USB_PORT_STAT_HIGH_SPEED, false), HUB_SPEED_FULL);
}

static void test_hub_route_adds_one_nibble_per_tier(void **state)
{
    (void)state;
    uint32_t r;
    assert_int_equal(hub_route_string(0, 0, 3, &r), 0);
    assert_int_equal(r, 0x3);
    assert_int_equal(hub_route_string(0x3, 1, 2, &r), 0);
    assert_int_equal(r, 0x23);
    assert_int_equal(hub_route_string(0x4523, 4, 1, &r), 0);
    assert_int_equal(r, 0x14523);
    assert_int_equal(hub_route_string(0, 0, 20, &r), 0);
    assert_int_equal(r, 0xF); /* ports above 15 are named 15 */
}

static void test_hub_route_past_five_hubs_is_refused(void **state)
{
    (void)state;
    uint32_t r = 0x1234;
    assert_int_equal(hub_route_string(0x11111, 5, 1, &r), ERR_RANGE);
    assert_int_equal(r, 0);
    assert_int_equal(hub_route_string(0, 0, 0, &r), ERR_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hub_desc_qemu_hub_parses, setup),
        cmocka_unit_test_setup(test_hub_desc_high_speed_hub_gives_power_and_think_time, setup),
        cmocka_unit_test_setup(test_hub_desc_short_buffer_is_rejected, setup),
        cmocka_unit_test_setup(test_hub_desc_wrong_type_is_rejected, setup),
        cmocka_unit_test_setup(test_hub_desc_length_past_bytes_read_is_rejected, setup),
        cmocka_unit_test_setup(test_hub_desc_zero_ports_is_rejected, setup),
        cmocka_unit_test_setup(test_hub_desc_too_many_ports_are_clamped, setup),
        cmocka_unit_test_setup(test_hub_desc_missing_bitmaps_are_tolerated, setup),
        cmocka_unit_test_setup(test_hub_port_status_decodes_little_endian, setup),
        cmocka_unit_test_setup(test_hub_port_status_short_reply_is_rejected_quietly, setup),
        cmocka_unit_test_setup(test_hub_plan_new_connection_attaches, setup),
        cmocka_unit_test_setup(test_hub_plan_unplug_detaches_only, setup),
        cmocka_unit_test_setup(test_hub_plan_replug_between_polls_detaches_then_attaches, setup),
        cmocka_unit_test_setup(test_hub_plan_enabled_child_without_change_is_left_alone, setup),
        cmocka_unit_test_setup(test_hub_plan_port_disabled_by_hub_detaches_and_reenumerates,
                               setup),
        cmocka_unit_test_setup(test_hub_plan_failed_port_waits_for_a_new_connection, setup),
        cmocka_unit_test_setup(test_hub_plan_over_current_is_flagged_and_cleared, setup),
        cmocka_unit_test_setup(test_hub_speed_from_status_bits, setup),
        cmocka_unit_test_setup(test_hub_route_adds_one_nibble_per_tier, setup),
        cmocka_unit_test_setup(test_hub_route_past_five_hubs_is_refused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
