// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/path.c: resolving a stored name against the
 * folder of the file that stores it (absolute and relative bases, "." and
 * ".." folding, ".." above the root), the link name that finds a file again,
 * and the too-small-buffer and empty-name errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/path.h"

struct resolve_case {
    const char *base, *name, *want;
};

static const struct resolve_case resolve_cases[] = {
    { "/hd0/1/img/child.vhd", "base.vhd", "/hd0/1/img/base.vhd" },
    { "/hd0/1/img/child.vhd", "../base/b.vhd", "/hd0/1/base/b.vhd" },
    { "/hd0/1/img/child.vhd", "./x/../y.vdi", "/hd0/1/img/y.vdi" },
    { "/hd0/1/img/child.vhd", "/vd0/1/abs.qcow2", "/vd0/1/abs.qcow2" },
    { "/hd0/1/img/child.vhd", "//vd0//1/./abs", "/vd0/1/abs" },
    { "/a/child", "../../../../x", "/x" },
    { "/child", "x", "/x" },
    { "child.vhd", "base.vhd", "base.vhd" },
    { "img/child.vhd", "../base.vhd", "base.vhd" },
    { "img/child.vhd", "../../base.vhd", "../base.vhd" },
    { "../img/child.vhd", "../../b", "../../b" },
    { "img/child.vhd", "..", "." },
    { NULL, "a/./b/../c", "a/c" },
};

static void test_path_resolve_folds_against_the_base_folder(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
        char out[128];
        const struct resolve_case *c = &resolve_cases[i];
        assert_int_equal(path_resolve(c->base, c->name, out, sizeof(out)), 0);
        assert_string_equal(out, c->want);
    }
}

static void test_path_resolve_small_buffer_is_name_too_long(void **state)
{
    char out[8];
    (void)state;
    assert_int_equal(path_resolve("/hd0/1/f", "longname.vdi", out, sizeof(out)),
                     ERR_NAMETOOLONG);
    assert_int_equal(path_resolve("/hd0/1/f", "a", out, 1), ERR_NAMETOOLONG);
}

static void test_path_resolve_empty_name_is_invalid(void **state)
{
    char out[16];
    (void)state;
    assert_int_equal(path_resolve("/hd0/1/f", "", out, sizeof(out)), ERR_INVAL);
}

static void test_path_link_name_same_folder_is_basename(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(path_link_name("/hd0/1/snap.qcow2", "/hd0/1/./base.vdi", out,
                                    sizeof(out)), 0);
    assert_string_equal(out, "base.vdi");
    assert_int_equal(path_link_name("snap.qcow2", "base.vdi", out, sizeof(out)), 0);
    assert_string_equal(out, "base.vdi");
}

static void test_path_link_name_other_folder_is_full_path(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(path_link_name("/hd0/1/s/snap.qcow2", "/hd0/1/base.vdi", out,
                                    sizeof(out)), 0);
    assert_string_equal(out, "/hd0/1/base.vdi");
    assert_int_equal(path_link_name("/hd0/1/snap", "/hd0/2/snap", out, sizeof(out)), 0);
    assert_string_equal(out, "/hd0/2/snap");
    /* And the name found again leads back to the file. */
    char back[64];
    assert_int_equal(path_resolve("/hd0/1/s/snap.qcow2", "/hd0/1/base.vdi", back,
                                  sizeof(back)), 0);
    assert_string_equal(back, "/hd0/1/base.vdi");
}

static void test_path_basename_takes_the_last_component(void **state)
{
    (void)state;
    assert_string_equal(path_basename("/hd0/1/a.vdi"), "a.vdi");
    assert_string_equal(path_basename("a.vdi"), "a.vdi");
    assert_string_equal(path_basename("/hd0/"), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_resolve_folds_against_the_base_folder),
        cmocka_unit_test(test_path_resolve_small_buffer_is_name_too_long),
        cmocka_unit_test(test_path_resolve_empty_name_is_invalid),
        cmocka_unit_test(test_path_link_name_same_folder_is_basename),
        cmocka_unit_test(test_path_link_name_other_folder_is_full_path),
        cmocka_unit_test(test_path_basename_takes_the_last_component),
    };
    return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
