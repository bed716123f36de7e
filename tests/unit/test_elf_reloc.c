// SPDX-License-Identifier: MIT
/* Tests for kernel/lib/elf_reloc.c, the module linker. The objects are made
 * at test time by running `nasm -f elf32` on small sources in a temporary
 * directory (nasm is a build dependency), and bad variants are made by
 * patching named fields of a good one. Under ASan every test also proves that
 * no byte outside the file or the image is touched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/elf_reloc.h"
#include "kernel/lib/kstring.h"

/* Fake load address and export addresses: the linker does 32-bit arithmetic
 * only, so these never have to be real pointers on the 64-bit host. */
#define IMAGE_ADDR 0x00400000u
#define EXT_FUNC_ADDR 0x00c0ffeeu
#define EXT_DATA_ADDR 0x12345678u

/* Section header and relocation field offsets used to patch objects. */
#define EH_SHOFF 32
#define SH_BYTES 40
#define SH_OFFSET 16
#define SH_SIZE 20
#define REL_INFO 4

/* START calls a function, loads a word and takes a local address (.data + 4):
 * PC32 at .text+1, R_386_32 at .text+6 and .text+11. */
static const char GOOD_SRC[] =
    "global START\n"
    "extern ext_func\n"
    "extern ext_data\n"
    "section .text\n"
    "START:\n"
    "    call ext_func\n"
    "    mov eax, [ext_data]\n"
    "    mov eax, local_data\n"
    "    ret 4\n"
    "section .data\n"
    "    dd 0xdeadbeef\n"
    "local_data: dd 0x11223344\n"
    "section .bss\n"
    "buf: resb 100\n";

static const char UNKNOWN_SRC[] =
    "global START\n"
    "extern NoSuchKernelFunction\n"
    "section .text\n"
    "START: call NoSuchKernelFunction\n"
    "    ret 4\n";

static const char LOCAL_START_SRC[] =
    "section .text\n"
    "START: xor eax, eax\n"
    "    ret 4\n";

static const char COMMON_SRC[] =
    "global START\n"
    "common shared_word 4\n"
    "section .text\n"
    "START: mov eax, [shared_word]\n"
    "    ret 4\n";

struct blob {
    uint8_t *bytes;
    size_t len;
};

/* Assemble `src` with nasm in `format` (elf32, elf64) into a fresh blob. */
static struct blob assemble(const char *src, const char *format)
{
    char dir[] = "/tmp/elfrelocXXXXXX";
    char path[128], obj[128], cmd[512];
    struct blob b = { NULL, 0 };

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/m.asm", dir);
    snprintf(obj, sizeof(obj), "%s/m.o", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(src, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "nasm -f %s %s -o %s", format, path, obj);
    assert_int_equal(system(cmd), 0);
    f = fopen(obj, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    b.len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.bytes = malloc(b.len);
    assert_non_null(b.bytes);
    assert_int_equal(fread(b.bytes, 1, b.len, f), b.len);
    fclose(f);
    unlink(path);
    unlink(obj);
    rmdir(dir);
    return b;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Offset in the file of section i's header field `field`. */
static size_t shdr_field(const struct blob *b, unsigned i, unsigned field)
{
    return rd32(b->bytes + EH_SHOFF) + (size_t)i * SH_BYTES + field;
}

static int test_resolve(void *ctx, const char *name, uint32_t *out)
{
    (void)ctx;
    if (strcmp(name, "ext_func") == 0) {
        *out = EXT_FUNC_ADDR;
        return 0;
    }
    if (strcmp(name, "ext_data") == 0) {
        *out = EXT_DATA_ADDR;
        return 0;
    }
    return ERR_NOENT;
}

/* Index of the first loaded section with these flags set (SHF_EXECINSTR 4,
 * SHF_WRITE 1) and type (PROGBITS 1, NOBITS 8). */
static unsigned find_loaded(const struct elf_obj *obj, uint32_t type, uint32_t flags)
{
    for (unsigned i = 0; i < obj->section_count; i++) {
        const struct elf_section *s = &obj->sections[i];
        if (s->is_loaded && s->type == type && (s->flags & flags) == flags)
            return i;
    }
    fail_msg("no loaded section of type %u flags 0x%x", type, flags);
    return 0;
}

/* Index of the SHT_REL section that relocates .text. */
static unsigned find_rel_text(const struct elf_obj *obj)
{
    unsigned text = find_loaded(obj, 1, 4);
    for (unsigned i = 0; i < obj->section_count; i++) {
        if (obj->sections[i].type == 9 && obj->sections[i].info == text)
            return i;
    }
    fail_msg("no .rel.text");
    return 0;
}

/* Parse a copy of b's first len bytes in a buffer of exactly that size (so
 * ASan sees any read past the end), then load it if the parse passed. */
static int parse_and_load(const struct blob *b, size_t len)
{
    struct elf_obj *obj = malloc(sizeof(*obj));
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(obj);
    assert_non_null(copy);
    memcpy(copy, b->bytes, len);
    int rc = elf_reloc_parse(obj, "t", copy, len);
    if (rc == 0) {
        uint8_t *image = malloc(obj->image_bytes);
        assert_non_null(image);
        rc = elf_reloc_load(obj, image, IMAGE_ADDR, test_resolve, NULL);
        free(image);
    }
    free(copy);
    free(obj);
    return rc;
}

static void test_elf_good_module_resolves_and_relocates(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;
    uint32_t start;

    assert_int_equal(elf_reloc_parse(&obj, "good", b.bytes, b.len), 0);
    unsigned text = find_loaded(&obj, 1, 4);
    unsigned data = find_loaded(&obj, 1, 1);
    unsigned bss = find_loaded(&obj, 8, 1);
    assert_true(obj.sections[bss].image_offset + 100 <= obj.image_bytes);
    uint8_t *image = malloc(obj.image_bytes);
    memset(image, 0xaa, obj.image_bytes);
    assert_int_equal(elf_reloc_load(&obj, image, IMAGE_ADDR, test_resolve, NULL), 0);

    uint32_t text_addr = IMAGE_ADDR + obj.sections[text].image_offset;
    uint32_t data_addr = IMAGE_ADDR + obj.sections[data].image_offset;
    const uint8_t *t = image + obj.sections[text].image_offset;
    /* call rel32: S + A - P with A = -4 is the target minus the next insn. */
    assert_int_equal(t[0], 0xe8);
    assert_int_equal(rd32(t + 1), EXT_FUNC_ADDR - (text_addr + 5));
    /* mov eax, [moffs32]: the export's address. */
    assert_int_equal(t[5], 0xa1);
    assert_int_equal(rd32(t + 6), EXT_DATA_ADDR);
    /* mov eax, imm32: .data + 4, the addend kept. */
    assert_int_equal(t[10], 0xb8);
    assert_int_equal(rd32(t + 11), data_addr + 4);
    /* .data copied, .bss zeroed. */
    assert_int_equal(rd32(image + obj.sections[data].image_offset + 4), 0x11223344u);
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(image[obj.sections[bss].image_offset + i], 0);
    assert_int_equal(elf_reloc_find_symbol(&obj, IMAGE_ADDR, "START", &start), 0);
    assert_int_equal(start, text_addr);
    assert_int_equal(elf_reloc_find_symbol(&obj, IMAGE_ADDR, "buf", &start), ERR_NOENT);
    free(image);
    free(b.bytes);
}

static void test_elf_unknown_symbol_rejected_with_name_logged(void **state)
{
    (void)state;
    struct blob b = assemble(UNKNOWN_SRC, "elf32");
    struct elf_obj obj;

    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "bad_unknown", b.bytes, b.len), 0);
    uint8_t *image = malloc(obj.image_bytes);
    assert_int_equal(elf_reloc_load(&obj, image, IMAGE_ADDR, test_resolve, NULL), ERR_NOENT);
    assert_true(klog_contains("module: bad_unknown: unknown symbol (NoSuchKernelFunction)"));
    free(image);
    free(b.bytes);
}

static void test_elf_every_truncation_rejected_without_crash(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    /* Bytes the object really needs: headers plus every section's contents. */
    assert_int_equal(elf_reloc_parse(&obj, "full", b.bytes, b.len), 0);
    size_t needed = rd32(b.bytes + EH_SHOFF) + (size_t)obj.section_count * SH_BYTES;
    for (unsigned i = 0; i < obj.section_count; i++) {
        const struct elf_section *s = &obj.sections[i];
        if (s->type != 8 && s->type != 0)
            needed = MAX(needed, (size_t)s->file_offset + s->size_bytes);
    }
    assert_true(needed <= b.len);
    for (size_t len = 0; len < needed; len++) {
        int rc = parse_and_load(&b, len);
        if (rc == 0)
            fail_msg("truncated to %zu of %zu bytes but accepted", len, needed);
        assert_int_equal(rc, ERR_CORRUPT);
    }
    for (size_t len = needed; len <= b.len; len++)
        assert_int_equal(parse_and_load(&b, len), 0);
    free(b.bytes);
}

static void test_elf_bad_relocation_type_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "reltype", b.bytes, b.len), 0);
    unsigned rel = find_rel_text(&obj);
    /* R_386_GOTPC (10): valid i386 type, but not one a module may use. */
    b.bytes[obj.sections[rel].file_offset + REL_INFO] = 10;
    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "reltype", b.bytes, b.len), ERR_NOTSUP);
    assert_true(klog_contains("module: reltype: unsupported relocation type (10"));
    free(b.bytes);
}

static void test_elf_section_offset_beyond_file_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "shoff", b.bytes, b.len), 0);
    unsigned text = find_loaded(&obj, 1, 4);
    wr32(b.bytes + shdr_field(&b, text, SH_OFFSET), (uint32_t)b.len);
    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "shoff", b.bytes, b.len), ERR_CORRUPT);
    assert_true(klog_contains("module: shoff: section"));
    free(b.bytes);
}

static void test_elf_section_size_wrapping_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "wrap", b.bytes, b.len), 0);
    unsigned text = find_loaded(&obj, 1, 4);
    /* offset + size wraps around 2^32 to a small number. */
    wr32(b.bytes + shdr_field(&b, text, SH_SIZE), 0xfffffff0u);
    assert_int_equal(elf_reloc_parse(&obj, "wrap", b.bytes, b.len), ERR_CORRUPT);
    free(b.bytes);
}

static void test_elf_huge_nobits_rejected_as_range(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "bigbss", b.bytes, b.len), 0);
    unsigned bss = find_loaded(&obj, 8, 1);
    wr32(b.bytes + shdr_field(&b, bss, SH_SIZE), ELF_RELOC_MAX_IMAGE_BYTES);
    assert_int_equal(elf_reloc_parse(&obj, "bigbss", b.bytes, b.len), ERR_RANGE);
    free(b.bytes);
}

static void test_elf_relocation_outside_section_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "reloff", b.bytes, b.len), 0);
    unsigned rel = find_rel_text(&obj);
    uint32_t text_size = obj.sections[obj.sections[rel].info].size_bytes;
    /* The last 4-byte place that fits is size - 4; size - 3 does not. */
    wr32(b.bytes + obj.sections[rel].file_offset, text_size - 3);
    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "reloff", b.bytes, b.len), ERR_CORRUPT);
    assert_true(klog_contains("module: reloff: relocation outside its section"));
    wr32(b.bytes + obj.sections[rel].file_offset, 0xfffffffeu);
    assert_int_equal(elf_reloc_parse(&obj, "reloff", b.bytes, b.len), ERR_CORRUPT);
    free(b.bytes);
}

static void test_elf_relocation_symbol_out_of_range_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "relsym", b.bytes, b.len), 0);
    unsigned rel = find_rel_text(&obj);
    uint8_t *info = b.bytes + obj.sections[rel].file_offset + REL_INFO;
    wr32(info, (obj.symbol_count << 8) | 1);
    assert_int_equal(elf_reloc_parse(&obj, "relsym", b.bytes, b.len), ERR_CORRUPT);
    free(b.bytes);
}

static void test_elf_not_elf_rejected(void **state)
{
    (void)state;
    uint8_t text[200];
    struct elf_obj obj;

    memset(text, 'x', sizeof(text));
    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "notelf", text, sizeof(text)), ERR_CORRUPT);
    assert_true(klog_contains("module: notelf: not an ELF file (magic 78 78 78 78)"));
}

static void test_elf_64bit_object_rejected(void **state)
{
    (void)state;
    struct blob b = assemble("global START\nsection .text\nSTART: ret\n", "elf64");
    struct elf_obj obj;

    assert_int_equal(elf_reloc_parse(&obj, "elf64", b.bytes, b.len), ERR_NOTSUP);
    free(b.bytes);
}

static void test_elf_wrong_machine_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;

    b.bytes[18] = 40; /* EM_ARM */
    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "arm", b.bytes, b.len), ERR_NOTSUP);
    assert_true(klog_contains("module: arm: not an i386 object (e_machine 40, want 3)"));
    free(b.bytes);
}

static void test_elf_local_start_not_found(void **state)
{
    (void)state;
    struct blob b = assemble(LOCAL_START_SRC, "elf32");
    struct elf_obj obj;
    uint32_t addr;

    assert_int_equal(elf_reloc_parse(&obj, "local", b.bytes, b.len), 0);
    uint8_t *image = malloc(obj.image_bytes);
    assert_int_equal(elf_reloc_load(&obj, image, IMAGE_ADDR, test_resolve, NULL), 0);
    assert_int_equal(elf_reloc_find_symbol(&obj, IMAGE_ADDR, "START", &addr), ERR_NOENT);
    free(image);
    free(b.bytes);
}

static void test_elf_common_symbol_rejected(void **state)
{
    (void)state;
    struct blob b = assemble(COMMON_SRC, "elf32");
    struct elf_obj obj;

    klog_clear();
    assert_int_equal(elf_reloc_parse(&obj, "common", b.bytes, b.len), ERR_NOTSUP);
    assert_true(klog_contains("module: common: COMMON symbol not supported (shared_word)"));
    free(b.bytes);
}

/* Every byte of the section headers, symbol table and relocations set to a
 * few hostile values in turn: parse and load must never read or write out
 * of bounds (ASan aborts the test if they do). */
static void test_elf_byte_corruption_never_crashes(void **state)
{
    (void)state;
    static const uint8_t values[] = { 0x00, 0x7f, 0x80, 0xff };
    struct blob b = assemble(GOOD_SRC, "elf32");
    struct elf_obj obj;
    unsigned rejected = 0, runs = 0;

    assert_int_equal(elf_reloc_parse(&obj, "fuzz", b.bytes, b.len), 0);
    size_t shoff = rd32(b.bytes + EH_SHOFF);
    size_t ranges[3][2] = {
        { shoff, shoff + (size_t)obj.section_count * SH_BYTES },
        { obj.sections[obj.symtab_index].file_offset,
          obj.sections[obj.symtab_index].file_offset +
              obj.sections[obj.symtab_index].size_bytes },
        { obj.sections[find_rel_text(&obj)].file_offset,
          obj.sections[find_rel_text(&obj)].file_offset +
              obj.sections[find_rel_text(&obj)].size_bytes },
    };
    for (unsigned r = 0; r < 3; r++) {
        for (size_t off = ranges[r][0]; off < ranges[r][1]; off++) {
            uint8_t saved = b.bytes[off];
            for (unsigned v = 0; v < ARRAY_SIZE(values); v++) {
                b.bytes[off] = values[v];
                rejected += parse_and_load(&b, b.len) != 0;
                runs++;
            }
            b.bytes[off] = saved;
        }
    }
    /* Sanity: the corruption really hit checked fields. */
    assert_true(rejected > 0 && rejected < runs);
    free(b.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_good_module_resolves_and_relocates),
        cmocka_unit_test(test_elf_unknown_symbol_rejected_with_name_logged),
        cmocka_unit_test(test_elf_every_truncation_rejected_without_crash),
        cmocka_unit_test(test_elf_bad_relocation_type_rejected),
        cmocka_unit_test(test_elf_section_offset_beyond_file_rejected),
        cmocka_unit_test(test_elf_section_size_wrapping_rejected),
        cmocka_unit_test(test_elf_huge_nobits_rejected_as_range),
        cmocka_unit_test(test_elf_relocation_outside_section_rejected),
        cmocka_unit_test(test_elf_relocation_symbol_out_of_range_rejected),
        cmocka_unit_test(test_elf_not_elf_rejected),
        cmocka_unit_test(test_elf_64bit_object_rejected),
        cmocka_unit_test(test_elf_wrong_machine_rejected),
        cmocka_unit_test(test_elf_local_start_not_found),
        cmocka_unit_test(test_elf_common_symbol_rejected),
        cmocka_unit_test(test_elf_byte_corruption_never_crashes),
    };
    return cmocka_run_group_tests_name("elf_reloc", tests, NULL, NULL);
}
