// SPDX-License-Identifier: MIT
/* Unit tests for drivers/usb/lib/usb_desc.c: device, configuration and
 * string descriptors as a QEMU usb-storage stick sends them, and hostile
 * variants: bLength 0 (a walk that would never advance), descriptors
 * running past wTotalLength, wTotalLength past the bytes read, an endpoint
 * before any interface, endpoint 0, too many interfaces. Each rejection is
 * checked for its exact code and its dmesg line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/usb/lib/usb_desc.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"

/* QEMU usb-storage, high speed: device descriptor. */
static const uint8_t qemu_dev[18] = {
    18, 1, 0x00, 0x02, 0, 0, 0, 64, 0xF4, 0x46, 0x01, 0x00, 0x00, 0x00, 1, 2, 3, 1,
};

/* Configuration: one BOT interface, bulk IN 0x81 and bulk OUT 0x02 (512 bytes). */
static uint8_t cfg[64];
static size_t cfg_len;

static void make_storage_config(void)
{
    static const uint8_t c[32] = {
        9, 2, 32, 0, 1, 1, 0, 0xC0, 50,
        9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0,
        7, 5, 0x81, 0x02, 0x00, 0x02, 0,
        7, 5, 0x02, 0x02, 0x00, 0x02, 0,
    };
    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg, c, sizeof(c));
    cfg_len = sizeof(c);
}

static int setup(void **state)
{
    (void)state;
    klog_clear();
    make_storage_config();
    return 0;
}

static void test_usb_desc_device_qemu_stick_parses(void **state)
{
    (void)state;
    struct usb_device_desc d;
    assert_int_equal(usb_desc_parse_device(qemu_dev, sizeof(qemu_dev), &d), 0);
    assert_int_equal(d.vendor_id, 0x46F4);
    assert_int_equal(d.product_id, 0x0001);
    assert_int_equal(d.max_packet0, 64);
    assert_int_equal(d.bcd_usb, 0x0200);
    assert_int_equal(d.i_product, 2);
    assert_int_equal(d.num_configs, 1);
}

static void test_usb_desc_device_short_buffer_is_corrupt(void **state)
{
    (void)state;
    struct usb_device_desc d;
    assert_int_equal(usb_desc_parse_device(qemu_dev, 8, &d), ERR_CORRUPT);
    assert_true(klog_contains("usb: device descriptor: too short (8 bytes, want 18)"));
}

static void test_usb_desc_device_bad_max_packet_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[18];
    struct usb_device_desc d;
    memcpy(b, qemu_dev, sizeof(b));
    b[7] = 7;
    assert_int_equal(usb_desc_parse_device(b, sizeof(b), &d), ERR_CORRUPT);
    assert_true(klog_contains("bad bMaxPacketSize0 (7)"));
}

static void test_usb_desc_device_zero_blength_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[18];
    struct usb_device_desc d;
    memcpy(b, qemu_dev, sizeof(b));
    b[0] = 0;
    assert_int_equal(usb_desc_parse_device(b, sizeof(b), &d), ERR_CORRUPT);
    assert_true(klog_contains("bad header (bLength 0, type 1)"));
}

static void test_usb_desc_device_no_configuration_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[18];
    struct usb_device_desc d;
    memcpy(b, qemu_dev, sizeof(b));
    b[17] = 0;
    assert_int_equal(usb_desc_parse_device(b, sizeof(b), &d), ERR_CORRUPT);
}

static void test_usb_desc_config_storage_interface_and_endpoints(void **state)
{
    (void)state;
    struct usb_config c;
    assert_int_equal(usb_desc_parse_config(cfg, cfg_len, &c), 0);
    assert_int_equal(c.value, 1);
    assert_int_equal(c.total_bytes, 32);
    assert_int_equal(c.num_interfaces, 1);
    const struct usb_interface *f = &c.iface[0];
    assert_int_equal(f->iface_class, 0x08);
    assert_int_equal(f->iface_subclass, 0x06);
    assert_int_equal(f->iface_protocol, 0x50);
    assert_int_equal(f->num_endpoints, 2);
    const struct usb_endpoint *in = usb_desc_find_endpoint(f, USB_EP_BULK, true);
    const struct usb_endpoint *out = usb_desc_find_endpoint(f, USB_EP_BULK, false);
    assert_non_null(in);
    assert_non_null(out);
    assert_int_equal(in->address, 0x81);
    assert_int_equal(out->address, 0x02);
    assert_int_equal(in->max_packet, 512);
    assert_null(usb_desc_find_endpoint(f, USB_EP_INTERRUPT, true));
}

static void test_usb_desc_config_total_reports_wtotallength(void **state)
{
    (void)state;
    uint16_t total = 0;
    assert_int_equal(usb_desc_config_total(cfg, 9, &total), 0);
    assert_int_equal(total, 32);
    put_le16(cfg, 2, 5000);
    assert_int_equal(usb_desc_config_total(cfg, 9, &total), ERR_CORRUPT);
    assert_int_equal(total, 0);
    assert_true(klog_contains("bad wTotalLength (5000"));
}

static void test_usb_desc_config_zero_blength_is_corrupt_not_endless(void **state)
{
    (void)state;
    struct usb_config c;
    cfg[18] = 0; /* the first endpoint descriptor */
    assert_int_equal(usb_desc_parse_config(cfg, cfg_len, &c), ERR_CORRUPT);
    assert_true(klog_contains("bad descriptor length at offset 18 (bLength 0"));
}

static void test_usb_desc_config_descriptor_past_total_is_corrupt(void **state)
{
    (void)state;
    struct usb_config c;
    cfg[25] = 9; /* last endpoint claims 9 bytes, 7 are left */
    assert_int_equal(usb_desc_parse_config(cfg, cfg_len, &c), ERR_CORRUPT);
    assert_true(klog_contains("bad descriptor length at offset 25 (bLength 9, 7 bytes left)"));
}

static void test_usb_desc_config_total_past_data_read_is_corrupt(void **state)
{
    (void)state;
    struct usb_config c;
    put_le16(cfg, 2, 40);
    assert_int_equal(usb_desc_parse_config(cfg, cfg_len, &c), ERR_CORRUPT);
    assert_true(klog_contains("wTotalLength past the data (40 > 32 bytes)"));
}

static void test_usb_desc_config_trailing_single_byte_is_corrupt(void **state)
{
    (void)state;
    struct usb_config c;
    put_le16(cfg, 2, 33); /* one stray byte after the last endpoint */
    assert_int_equal(usb_desc_parse_config(cfg, 33, &c), ERR_CORRUPT);
}

static void test_usb_desc_config_short_total_ignores_rest(void **state)
{
    (void)state;
    struct usb_config c;
    put_le16(cfg, 2, 25); /* the OUT endpoint lies past wTotalLength */
    assert_int_equal(usb_desc_parse_config(cfg, cfg_len, &c), 0);
    assert_int_equal(c.iface[0].num_endpoints, 1);
}

static void test_usb_desc_config_endpoint_before_interface_is_corrupt(void **state)
{
    (void)state;
    struct usb_config c;
    static const uint8_t b[] = { 9, 2, 16, 0, 1, 1, 0, 0x80, 50, 7, 5, 0x81, 2, 0, 2, 0 };
    assert_int_equal(usb_desc_parse_config(b, sizeof(b), &c), ERR_CORRUPT);
    assert_true(klog_contains("endpoint before any interface (offset 9)"));
}

static void test_usb_desc_config_endpoint_zero_is_corrupt(void **state)
{
    (void)state;
    struct usb_config c;
    cfg[20] = 0x80; /* IN endpoint number 0 */
    assert_int_equal(usb_desc_parse_config(cfg, cfg_len, &c), ERR_CORRUPT);
    assert_true(klog_contains("bad endpoint (address 0x80, max packet 512)"));
}

static void test_usb_desc_config_short_interface_is_corrupt(void **state)
{
    (void)state;
    struct usb_config c;
    static const uint8_t b[] = { 9, 2, 17, 0, 1, 1, 0, 0x80, 50, 8, 4, 0, 0, 0, 8, 6, 0x50 };
    assert_int_equal(usb_desc_parse_config(b, sizeof(b), &c), ERR_CORRUPT);
    assert_true(klog_contains("short interface descriptor (bLength 8)"));
}

static void test_usb_desc_config_alternate_settings_skipped(void **state)
{
    (void)state;
    struct usb_config c;
    uint8_t b[64];
    memcpy(b, cfg, 32);
    /* alternate setting 1 of interface 0 with one more endpoint */
    static const uint8_t alt[] = { 9, 4, 0, 1, 1, 0x08, 0x06, 0x62, 0, 7, 5, 0x83, 2, 0, 2, 0 };
    memcpy(b + 32, alt, sizeof(alt));
    put_le16(b, 2, 32 + sizeof(alt));
    assert_int_equal(usb_desc_parse_config(b, 32 + sizeof(alt), &c), 0);
    assert_int_equal(c.num_interfaces, 1);
    assert_int_equal(c.iface[0].num_endpoints, 2);
}

static void test_usb_desc_config_too_many_interfaces_dropped_with_warning(void **state)
{
    (void)state;
    uint8_t b[9 + 9 * (USB_MAX_INTERFACES + 2)];
    struct usb_config c;
    memset(b, 0, sizeof(b));
    b[0] = 9;
    b[1] = USB_DT_CONFIG;
    put_le16(b, 2, sizeof(b));
    b[4] = USB_MAX_INTERFACES + 2;
    for (unsigned i = 0; i < USB_MAX_INTERFACES + 2; i++) {
        uint8_t *p = b + 9 + 9 * i;
        p[0] = 9;
        p[1] = USB_DT_INTERFACE;
        p[2] = (uint8_t)i;
        p[5] = 0xFF;
    }
    assert_int_equal(usb_desc_parse_config(b, sizeof(b), &c), 0);
    assert_int_equal(c.num_interfaces, USB_MAX_INTERFACES);
    assert_true(klog_contains("dropped 2 interfaces and 0 endpoints"));
}

static void test_usb_desc_string_ascii_and_replacement(void **state)
{
    (void)state;
    static const uint8_t s[] = { 10, 3, 'Q', 0, 'E', 0, 0xE9, 0x00, 'U', 0 };
    char out[16];
    assert_int_equal(usb_desc_parse_string(s, sizeof(s), out, sizeof(out)), 0);
    assert_string_equal(out, "QE?U");
    assert_int_equal(usb_desc_parse_string(s, sizeof(s), out, 3), 0);
    assert_string_equal(out, "QE");
}

static void test_usb_desc_string_odd_or_long_length_is_corrupt(void **state)
{
    (void)state;
    uint8_t s[] = { 9, 3, 'Q', 0, 'E', 0, 'M', 0, 'U' };
    char out[16] = "x";
    assert_int_equal(usb_desc_parse_string(s, sizeof(s), out, sizeof(out)), ERR_CORRUPT);
    assert_string_equal(out, "");
    s[0] = 12; /* past the 9 bytes read */
    assert_int_equal(usb_desc_parse_string(s, sizeof(s), out, sizeof(out)), ERR_CORRUPT);
    assert_int_equal(usb_desc_parse_string(s, sizeof(s), out, 0), ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_usb_desc_device_qemu_stick_parses, setup),
        cmocka_unit_test_setup(test_usb_desc_device_short_buffer_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_device_bad_max_packet_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_device_zero_blength_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_device_no_configuration_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_storage_interface_and_endpoints, setup),
        cmocka_unit_test_setup(test_usb_desc_config_total_reports_wtotallength, setup),
        cmocka_unit_test_setup(test_usb_desc_config_zero_blength_is_corrupt_not_endless, setup),
        cmocka_unit_test_setup(test_usb_desc_config_descriptor_past_total_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_total_past_data_read_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_trailing_single_byte_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_short_total_ignores_rest, setup),
        cmocka_unit_test_setup(test_usb_desc_config_endpoint_before_interface_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_endpoint_zero_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_short_interface_is_corrupt, setup),
        cmocka_unit_test_setup(test_usb_desc_config_alternate_settings_skipped, setup),
        cmocka_unit_test_setup(test_usb_desc_config_too_many_interfaces_dropped_with_warning,
                               setup),
        cmocka_unit_test_setup(test_usb_desc_string_ascii_and_replacement, setup),
        cmocka_unit_test_setup(test_usb_desc_string_odd_or_long_length_is_corrupt, setup),
    };
    return cmocka_run_group_tests_name("usb_desc", tests, NULL, NULL);
}
