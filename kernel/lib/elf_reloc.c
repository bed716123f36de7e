// SPDX-License-Identifier: MIT
/* ELF32 relocatable object linker (see elf_reloc.h). Every field of the file
 * is read with explicit little-endian loads from the byte buffer at offsets
 * that were bounds-checked first; nothing is cast onto the file. Layouts:
 * gABI ch. 4 (Elf32_Ehdr 52 bytes, Elf32_Shdr 40, Elf32_Sym 16, Elf32_Rel 8);
 * formulas: i386 psABI, "Relocation Types" (R_386_32 = S + A,
 * R_386_PC32 = S + A - P, the addend A being the word at the place). */
#include "kernel/lib/elf_reloc.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* Record sizes (gABI ch. 4). */
#define ELF_EHDR_BYTES 52u
#define ELF_SHDR_BYTES 40u
#define ELF_SYM_BYTES 16u
#define ELF_REL_BYTES 8u

/* e_ident bytes and values. */
#define ELF_EI_CLASS 4
#define ELF_EI_DATA 5
#define ELF_EI_VERSION 6
#define ELF_CLASS32 1
#define ELF_DATA2LSB 1
#define ELF_EV_CURRENT 1
#define ELF_ET_REL 1
#define ELF_EM_386 3

/* Elf32_Ehdr field offsets. */
#define ELF_EH_TYPE 16
#define ELF_EH_MACHINE 18
#define ELF_EH_VERSION 20
#define ELF_EH_SHOFF 32
#define ELF_EH_EHSIZE 40
#define ELF_EH_SHENTSIZE 46
#define ELF_EH_SHNUM 48

/* Elf32_Shdr field offsets. */
#define ELF_SH_TYPE 4
#define ELF_SH_FLAGS 8
#define ELF_SH_OFFSET 16
#define ELF_SH_SIZE 20
#define ELF_SH_LINK 24
#define ELF_SH_INFO 28
#define ELF_SH_ADDRALIGN 32
#define ELF_SH_ENTSIZE 36

/* Elf32_Sym field offsets. */
#define ELF_ST_NAME 0
#define ELF_ST_VALUE 4
#define ELF_ST_INFO 12
#define ELF_ST_SHNDX 14

enum elf_section_type {
    ELF_SHT_NULL = 0,
    ELF_SHT_SYMTAB = 2,
    ELF_SHT_STRTAB = 3,
    ELF_SHT_RELA = 4,
    ELF_SHT_NOBITS = 8,
    ELF_SHT_REL = 9,
    ELF_SHT_SYMTAB_SHNDX = 18,
};
#define ELF_SHF_ALLOC 0x2u

/* Special section indexes of a symbol. */
#define ELF_SHN_UNDEF 0u
#define ELF_SHN_LORESERVE 0xff00u
#define ELF_SHN_ABS 0xfff1u
#define ELF_SHN_COMMON 0xfff2u

/* Symbol binding (st_info >> 4). */
#define ELF_STB_GLOBAL 1
#define ELF_STB_WEAK 2

/* i386 relocation types we apply. */
#define ELF_R_386_32 1
#define ELF_R_386_PC32 2

/* A symbol entry, decoded (fields still untrusted until parse checked them). */
struct elf_sym {
    uint32_t name_offset;
    uint32_t value;
    uint8_t binding;
    uint16_t shndx;
};

/* True if [offset, offset + len) lies inside a file of file_bytes. */
static bool elf_range_in_file(size_t file_bytes, uint32_t offset, uint32_t len)
{
    return offset <= file_bytes && len <= file_bytes - offset;
}

/* Symbol i of the (validated) symbol table. */
static struct elf_sym elf_symbol(const struct elf_obj *obj, uint32_t i)
{
    const struct elf_section *st = &obj->sections[obj->symtab_index];
    const uint8_t *p = obj->file + st->file_offset + (size_t)i * ELF_SYM_BYTES;
    struct elf_sym s = {
        .name_offset = le32_at(p, ELF_ST_NAME),
        .value = le32_at(p, ELF_ST_VALUE),
        .binding = (uint8_t)(p[ELF_ST_INFO] >> 4),
        .shndx = le16_at(p, ELF_ST_SHNDX),
    };
    return s;
}

/* Name of a symbol whose name_offset was validated (the table ends in NUL). */
static const char *elf_symbol_name(const struct elf_obj *obj, const struct elf_sym *s)
{
    return (const char *)obj->file + obj->strtab_offset + s->name_offset;
}

static bool elf_shndx_is_section(uint16_t shndx)
{
    return shndx != ELF_SHN_UNDEF && shndx < ELF_SHN_LORESERVE;
}

/* Step 1 of parse: the ELF header. */
static int elf_parse_header(struct elf_obj *obj, uint32_t *shoff)
{
    const uint8_t *f = obj->file;

    if (obj->file_bytes < ELF_EHDR_BYTES) {
        pr_err("module: %s: truncated ELF header (%zu bytes, need %u)", obj->name,
               obj->file_bytes, ELF_EHDR_BYTES);
        return ERR_CORRUPT;
    }
    if (f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F') {
        pr_err("module: %s: not an ELF file (magic %02x %02x %02x %02x)", obj->name, f[0],
               f[1], f[2], f[3]);
        return ERR_CORRUPT;
    }
    if (f[ELF_EI_CLASS] != ELF_CLASS32) {
        pr_err("module: %s: not a 32-bit ELF file (class %u)", obj->name, f[ELF_EI_CLASS]);
        return ERR_NOTSUP;
    }
    if (f[ELF_EI_DATA] != ELF_DATA2LSB) {
        pr_err("module: %s: not little-endian (data %u)", obj->name, f[ELF_EI_DATA]);
        return ERR_NOTSUP;
    }
    uint32_t version = le32_at(f, ELF_EH_VERSION);
    if (f[ELF_EI_VERSION] != ELF_EV_CURRENT || version != ELF_EV_CURRENT) {
        pr_err("module: %s: bad ELF version (ident %u, header %u)", obj->name,
               f[ELF_EI_VERSION], version);
        return ERR_CORRUPT;
    }
    uint16_t type = le16_at(f, ELF_EH_TYPE);
    if (type != ELF_ET_REL) {
        pr_err("module: %s: not a relocatable object (e_type %u, want %u)", obj->name, type,
               ELF_ET_REL);
        return ERR_NOTSUP;
    }
    uint16_t machine = le16_at(f, ELF_EH_MACHINE);
    if (machine != ELF_EM_386) {
        pr_err("module: %s: not an i386 object (e_machine %u, want %u)", obj->name, machine,
               ELF_EM_386);
        return ERR_NOTSUP;
    }
    uint16_t ehsize = le16_at(f, ELF_EH_EHSIZE);
    uint16_t shentsize = le16_at(f, ELF_EH_SHENTSIZE);
    uint16_t shnum = le16_at(f, ELF_EH_SHNUM);
    *shoff = le32_at(f, ELF_EH_SHOFF);
    if (ehsize < ELF_EHDR_BYTES || shentsize != ELF_SHDR_BYTES) {
        pr_err("module: %s: bad header sizes (e_ehsize %u, e_shentsize %u, want %u and %u)",
               obj->name, ehsize, shentsize, ELF_EHDR_BYTES, ELF_SHDR_BYTES);
        return ERR_CORRUPT;
    }
    /* e_shnum 0 with e_shoff set would mean extended numbering (the count in
     * section 0); a module never needs that many sections. */
    if (shnum == 0) {
        pr_err("module: %s: no section headers (e_shnum 0, e_shoff %u)", obj->name, *shoff);
        return ERR_CORRUPT;
    }
    if (shnum > ELF_RELOC_MAX_SECTIONS) {
        pr_err("module: %s: too many sections (%u, max %u)", obj->name, shnum,
               ELF_RELOC_MAX_SECTIONS);
        return ERR_NOTSUP;
    }
    if (!elf_range_in_file(obj->file_bytes, *shoff, shnum * ELF_SHDR_BYTES)) {
        pr_err("module: %s: section headers outside the file (offset %u, count %u, "
               "file %zu bytes)", obj->name, *shoff, shnum, obj->file_bytes);
        return ERR_CORRUPT;
    }
    obj->section_count = shnum;
    return 0;
}

/* Step 2 of parse: every section header; lay out the loaded ones. */
static int elf_parse_sections(struct elf_obj *obj, uint32_t shoff)
{
    uint64_t image_bytes = 0;
    bool have_symtab = false;

    obj->image_align = 1;
    for (unsigned i = 0; i < obj->section_count; i++) {
        const uint8_t *h = obj->file + shoff + i * ELF_SHDR_BYTES;
        struct elf_section *s = &obj->sections[i];
        uint32_t align = le32_at(h, ELF_SH_ADDRALIGN);

        s->type = le32_at(h, ELF_SH_TYPE);
        s->flags = le32_at(h, ELF_SH_FLAGS);
        s->file_offset = le32_at(h, ELF_SH_OFFSET);
        s->size_bytes = le32_at(h, ELF_SH_SIZE);
        s->link = le32_at(h, ELF_SH_LINK);
        s->info = le32_at(h, ELF_SH_INFO);
        s->image_offset = 0;
        s->is_loaded = false;

        /* 2a. File contents must be inside the file (NOBITS has none). */
        if (s->type != ELF_SHT_NOBITS && s->type != ELF_SHT_NULL &&
            !elf_range_in_file(obj->file_bytes, s->file_offset, s->size_bytes)) {
            pr_err("module: %s: section %u outside the file (offset %u, size %u, "
                   "file %zu bytes)", obj->name, i, s->file_offset, s->size_bytes,
                   obj->file_bytes);
            return ERR_CORRUPT;
        }
        /* 2b. Kinds we refuse, and the one symbol table. */
        if (s->type == ELF_SHT_RELA || s->type == ELF_SHT_SYMTAB_SHNDX) {
            pr_err("module: %s: unsupported section type (%u in section %u)", obj->name,
                   s->type, i);
            return ERR_NOTSUP;
        }
        if (s->type == ELF_SHT_SYMTAB) {
            if (have_symtab) {
                pr_err("module: %s: more than one symbol table (sections %u and %u)",
                       obj->name, obj->symtab_index, i);
                return ERR_CORRUPT;
            }
            have_symtab = true;
            obj->symtab_index = i;
        }
        if (!(s->flags & ELF_SHF_ALLOC))
            continue;
        /* 2c. Place a loaded section at its alignment, under the image cap. */
        if (align == 0)
            align = 1;
        if (!IS_POW2(align)) {
            pr_err("module: %s: section %u alignment not a power of two (%u)", obj->name, i,
                   align);
            return ERR_CORRUPT;
        }
        if (align > ELF_RELOC_MAX_ALIGN) {
            pr_err("module: %s: section %u alignment too large (%u, max %u)", obj->name, i,
                   align, ELF_RELOC_MAX_ALIGN);
            return ERR_RANGE;
        }
        image_bytes = ALIGN_UP(image_bytes, (uint64_t)align);
        if (s->size_bytes > ELF_RELOC_MAX_IMAGE_BYTES - image_bytes) {
            pr_err("module: %s: image too large (section %u: %u bytes at %llu, max %u)",
                   obj->name, i, s->size_bytes, (unsigned long long)image_bytes,
                   ELF_RELOC_MAX_IMAGE_BYTES);
            return ERR_RANGE;
        }
        s->image_offset = (uint32_t)image_bytes;
        s->is_loaded = true;
        image_bytes += s->size_bytes;
        obj->image_align = MAX(obj->image_align, align);
    }
    if (!have_symtab) {
        pr_err("module: %s: no symbol table (%u sections)", obj->name, obj->section_count);
        return ERR_CORRUPT;
    }
    obj->image_bytes = image_bytes ? (uint32_t)image_bytes : 1;
    return 0;
}

/* Step 3 of parse: the symbol table, its strings and every symbol. */
static int elf_parse_symbols(struct elf_obj *obj, uint32_t shoff)
{
    const struct elf_section *st = &obj->sections[obj->symtab_index];
    uint32_t entsize =
        le32_at(obj->file, shoff + obj->symtab_index * ELF_SHDR_BYTES + ELF_SH_ENTSIZE);

    /* 3a. Table shape. */
    if (entsize != ELF_SYM_BYTES || st->size_bytes % ELF_SYM_BYTES != 0 ||
        st->size_bytes == 0) {
        pr_err("module: %s: bad symbol table shape (entsize %u, size %u)", obj->name,
               entsize, st->size_bytes);
        return ERR_CORRUPT;
    }
    obj->symbol_count = st->size_bytes / ELF_SYM_BYTES;
    if (obj->symbol_count > ELF_RELOC_MAX_SYMBOLS) {
        pr_err("module: %s: too many symbols (%u, max %u)", obj->name, obj->symbol_count,
               ELF_RELOC_MAX_SYMBOLS);
        return ERR_NOTSUP;
    }
    /* 3b. String table: a STRTAB inside the file that ends in NUL, so every
     * name that starts inside it is terminated inside it. */
    if (st->link >= obj->section_count || obj->sections[st->link].type != ELF_SHT_STRTAB) {
        pr_err("module: %s: symbol table has no string table (link %u, %u sections)",
               obj->name, st->link, obj->section_count);
        return ERR_CORRUPT;
    }
    const struct elf_section *str = &obj->sections[st->link];
    if (str->size_bytes == 0 || obj->file[str->file_offset + str->size_bytes - 1] != 0) {
        pr_err("module: %s: string table not NUL-terminated (size %u)", obj->name,
               str->size_bytes);
        return ERR_CORRUPT;
    }
    obj->strtab_offset = str->file_offset;
    obj->strtab_bytes = str->size_bytes;
    /* 3c. Each symbol: name inside the strings, a known section, a value
     * inside that section. */
    for (uint32_t i = 0; i < obj->symbol_count; i++) {
        struct elf_sym s = elf_symbol(obj, i);
        if (s.name_offset >= obj->strtab_bytes) {
            pr_err("module: %s: symbol %u name outside the string table (offset %u, "
                   "size %u)", obj->name, i, s.name_offset, obj->strtab_bytes);
            return ERR_CORRUPT;
        }
        if (s.shndx == ELF_SHN_UNDEF || s.shndx == ELF_SHN_ABS)
            continue;
        if (s.shndx == ELF_SHN_COMMON) {
            pr_err("module: %s: COMMON symbol not supported (%.64s)", obj->name,
                   elf_symbol_name(obj, &s));
            return ERR_NOTSUP;
        }
        if (s.shndx >= obj->section_count) {
            pr_err("module: %s: symbol %.64s in a missing section (index %u, %u sections)",
                   obj->name, elf_symbol_name(obj, &s), s.shndx, obj->section_count);
            return ERR_CORRUPT;
        }
        if (s.value > obj->sections[s.shndx].size_bytes) {
            pr_err("module: %s: symbol %.64s beyond its section (value %u, size %u)",
                   obj->name, elf_symbol_name(obj, &s), s.value,
                   obj->sections[s.shndx].size_bytes);
            return ERR_CORRUPT;
        }
    }
    return 0;
}

/* Step 4 of parse: every relocation that applies to a loaded section. */
static int elf_parse_relocations(struct elf_obj *obj, uint32_t shoff)
{
    for (unsigned i = 0; i < obj->section_count; i++) {
        const struct elf_section *rs = &obj->sections[i];
        if (rs->type != ELF_SHT_REL)
            continue;
        /* 4a. The section itself: our symbol table, a real target. */
        if (rs->info >= obj->section_count || rs->link != obj->symtab_index) {
            pr_err("module: %s: relocation section %u has bad links (target %u, symbols "
                   "%u, want %u)", obj->name, i, rs->info, rs->link, obj->symtab_index);
            return ERR_CORRUPT;
        }
        const struct elf_section *target = &obj->sections[rs->info];
        if (!target->is_loaded)
            continue; /* debug info and the like: never in memory */
        uint32_t entsize = le32_at(obj->file, shoff + i * ELF_SHDR_BYTES + ELF_SH_ENTSIZE);
        if (entsize != ELF_REL_BYTES || rs->size_bytes % ELF_REL_BYTES != 0 ||
            target->type == ELF_SHT_NOBITS) {
            pr_err("module: %s: bad relocation section %u (entsize %u, size %u, target "
                   "type %u)", obj->name, i, entsize, rs->size_bytes, target->type);
            return ERR_CORRUPT;
        }
        /* 4b. Each entry: type, symbol, 4 bytes inside the target. */
        for (uint32_t off = 0; off < rs->size_bytes; off += ELF_REL_BYTES) {
            const uint8_t *r = obj->file + rs->file_offset + off;
            uint32_t where = le32_at(r, 0);
            uint32_t info = le32_at(r, 4);
            uint32_t type = info & 0xffu;
            uint32_t sym = info >> 8;
            if (type != ELF_R_386_32 && type != ELF_R_386_PC32) {
                pr_err("module: %s: unsupported relocation type (%u in section %u at "
                       "offset 0x%x)", obj->name, type, rs->info, where);
                return ERR_NOTSUP;
            }
            if (sym >= obj->symbol_count) {
                pr_err("module: %s: relocation symbol out of range (index %u, %u symbols)",
                       obj->name, sym, obj->symbol_count);
                return ERR_CORRUPT;
            }
            if (target->size_bytes < 4 || where > target->size_bytes - 4) {
                pr_err("module: %s: relocation outside its section (offset 0x%x, section "
                       "%u size %u)", obj->name, where, rs->info, target->size_bytes);
                return ERR_CORRUPT;
            }
            struct elf_sym s = elf_symbol(obj, sym);
            if (elf_shndx_is_section(s.shndx) && !obj->sections[s.shndx].is_loaded) {
                pr_err("module: %s: relocation against a section that is not loaded "
                       "(symbol %.64s, section %u)", obj->name, elf_symbol_name(obj, &s),
                       s.shndx);
                return ERR_CORRUPT;
            }
        }
    }
    return 0;
}

int elf_reloc_parse(struct elf_obj *obj, const char *name, const void *file, size_t file_bytes)
{
    uint32_t shoff = 0;
    int rc;

    memset(obj, 0, sizeof(*obj));
    obj->name = name;
    obj->file = file;
    obj->file_bytes = file_bytes;
    /* 1. ELF header: identity, type, machine, where the section table is. */
    rc = elf_parse_header(obj, &shoff);
    if (rc)
        return rc;
    /* 2. Section headers: bounds, kinds, image layout. */
    rc = elf_parse_sections(obj, shoff);
    if (rc)
        return rc;
    /* 3. Symbols and their names. */
    rc = elf_parse_symbols(obj, shoff);
    if (rc)
        return rc;
    /* 4. Relocations of loaded sections. */
    return elf_parse_relocations(obj, shoff);
}

/* Value S of symbol i for relocation: 0 for the null symbol, the resolver's
 * answer for an undefined one, the value for an absolute one, else its image
 * address. Returns 0 or ERR_NOENT. */
static int elf_symbol_value(const struct elf_obj *obj, uint32_t i, uint32_t image_addr,
                            elf_resolve_fn resolve, void *ctx, uint32_t *out)
{
    struct elf_sym s = elf_symbol(obj, i);

    if (i == 0) {
        *out = 0;
        return 0;
    }
    if (s.shndx == ELF_SHN_UNDEF) {
        if (resolve(ctx, elf_symbol_name(obj, &s), out) == 0)
            return 0;
        if (s.binding == ELF_STB_WEAK) {
            *out = 0;
            return 0;
        }
        return ERR_NOENT;
    }
    if (s.shndx == ELF_SHN_ABS) {
        *out = s.value;
        return 0;
    }
    *out = image_addr + obj->sections[s.shndx].image_offset + s.value;
    return 0;
}

int elf_reloc_load(const struct elf_obj *obj, void *image, uint32_t image_addr,
                   elf_resolve_fn resolve, void *ctx)
{
    uint8_t *img = image;
    uint32_t value;

    /* 1. Zero the image (NOBITS and padding), copy the loaded contents. */
    memset(img, 0, obj->image_bytes);
    for (unsigned i = 0; i < obj->section_count; i++) {
        const struct elf_section *s = &obj->sections[i];
        if (s->is_loaded && s->type != ELF_SHT_NOBITS)
            memcpy(img + s->image_offset, obj->file + s->file_offset, s->size_bytes);
    }
    /* 2. Every undefined symbol must resolve, referenced or not. */
    for (uint32_t i = 1; i < obj->symbol_count; i++) {
        struct elf_sym s = elf_symbol(obj, i);
        if (s.shndx != ELF_SHN_UNDEF)
            continue;
        if (elf_symbol_value(obj, i, image_addr, resolve, ctx, &value) != 0) {
            pr_err("module: %s: unknown symbol (%.64s)", obj->name, elf_symbol_name(obj, &s));
            return ERR_NOENT;
        }
    }
    /* 3. Patch each place: R_386_32 = S + A, R_386_PC32 = S + A - P. Types,
     * indexes and offsets were checked by elf_reloc_parse. */
    for (unsigned i = 0; i < obj->section_count; i++) {
        const struct elf_section *rs = &obj->sections[i];
        if (rs->type != ELF_SHT_REL || !obj->sections[rs->info].is_loaded)
            continue;
        uint32_t target_offset = obj->sections[rs->info].image_offset;
        for (uint32_t off = 0; off < rs->size_bytes; off += ELF_REL_BYTES) {
            const uint8_t *r = obj->file + rs->file_offset + off;
            uint32_t where = le32_at(r, 0);
            uint32_t info = le32_at(r, 4);
            uint8_t *place = img + target_offset + where;
            uint32_t addend = le32_at(place, 0);
            if (elf_symbol_value(obj, info >> 8, image_addr, resolve, ctx, &value) != 0) {
                pr_err("module: %s: unknown symbol (index %u)", obj->name, info >> 8);
                return ERR_NOENT;
            }
            if ((info & 0xffu) == ELF_R_386_PC32)
                value -= image_addr + target_offset + where;
            put_le32(place, 0, value + addend);
        }
    }
    return 0;
}

int elf_reloc_find_symbol(const struct elf_obj *obj, uint32_t image_addr, const char *name,
                          uint32_t *out_addr)
{
    for (uint32_t i = 1; i < obj->symbol_count; i++) {
        struct elf_sym s = elf_symbol(obj, i);
        if (s.binding != ELF_STB_GLOBAL && s.binding != ELF_STB_WEAK)
            continue;
        if (!elf_shndx_is_section(s.shndx) || !obj->sections[s.shndx].is_loaded)
            continue;
        if (strcmp(elf_symbol_name(obj, &s), name) != 0)
            continue;
        *out_addr = image_addr + obj->sections[s.shndx].image_offset + s.value;
        return 0;
    }
    return ERR_NOENT;
}
