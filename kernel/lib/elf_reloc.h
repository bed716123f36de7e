/* SPDX-License-Identifier: MIT */
/* Linking one ELF32 relocatable object (a driver module, `nasm -f elf32` or
 * `gcc -m32 -c` output) into memory, without touching hardware. Use:
 * elf_reloc_parse() validates the file into a trusted struct elf_obj and lays
 * out the loaded sections; the caller allocates obj.image_bytes aligned to
 * obj.image_align; elf_reloc_load() copies and zeroes the sections, resolves
 * undefined symbols through the caller's callback and applies relocations;
 * elf_reloc_find_symbol() then gives the address of the entry point.
 *
 * Policy: reject, never clamp. The file is hostile input: every header field,
 * offset, size, index and string is checked (overflow-safe) before use, and a
 * defect rejects the whole object with one log line
 * "module: <name>: <what> (<values>)", <name> being the caller's name.
 * Supported: ET_REL, EM_386, little-endian, one SHT_SYMTAB, SHT_REL sections
 * with R_386_32 and R_386_PC32 (System V i386 ABI, ch. 4 "Relocation").
 * Not supported (rejected): RELA, COMMON symbols, extended section numbering,
 * other relocation types. Relocation sections for sections that are not
 * loaded (debug info) are ignored, as those sections are never in memory.
 * Spec: System V ABI gABI ch. 4 (ELF header, sections, symbols, relocation),
 * i386 psABI (R_386_* values and formulas S + A and S + A - P).
 *
 * Addresses are uint32_t "load addresses" separate from the host pointer that
 * receives the bytes, so the same code runs in the kernel (address == pointer)
 * and in 64-bit hosted unit tests (any fake address).
 * Locking: none; an elf_obj belongs to one caller. Context: thread or early
 * boot; nothing here sleeps, and only elf_reloc_load's callback may. */
#ifndef KERNEL_LIB_ELF_RELOC_H
#define KERNEL_LIB_ELF_RELOC_H

#include "kernel/types.h"

/* Section headers accepted. nasm objects have under 10, gcc -g objects about
 * 25 (text, data, bss, rodata, eight debug sections and their .rel, notes,
 * tables); 64 leaves room for -ffunction-sections in a small driver. */
#define ELF_RELOC_MAX_SECTIONS 64
/* Largest loaded image: a driver is code plus tables; bigger buffers (a RAM
 * disk's storage) are allocated at run time, not in .bss. */
#define ELF_RELOC_MAX_IMAGE_BYTES (16u * 1024 * 1024)
/* Largest sh_addralign of a loaded section: one page. */
#define ELF_RELOC_MAX_ALIGN 4096u
/* Symbol table entries accepted (a driver has a few hundred). */
#define ELF_RELOC_MAX_SYMBOLS 65536u

/* One section after validation. Written by elf_reloc_parse only. */
struct elf_section {
    uint32_t type;         /* SHT_* */
    uint32_t flags;        /* SHF_* */
    uint32_t file_offset;  /* bytes; offset + size lie inside the file unless NOBITS */
    uint32_t size_bytes;
    uint32_t link;         /* sh_link (symbol table of a REL section) */
    uint32_t info;         /* sh_info (target section of a REL section) */
    uint32_t image_offset; /* loaded sections: offset of the first byte in the image */
    bool is_loaded;        /* SHF_ALLOC: occupies image bytes */
};

/* A validated object. All fields are written by elf_reloc_parse and only read
 * afterwards; `file` must stay valid and unchanged while the obj is used. */
struct elf_obj {
    const char *name;         /* for log lines; not copied */
    const uint8_t *file;      /* the object file bytes */
    size_t file_bytes;
    unsigned section_count;
    struct elf_section sections[ELF_RELOC_MAX_SECTIONS];
    unsigned symtab_index;    /* section index of the one SHT_SYMTAB */
    uint32_t symbol_count;    /* entries in it, including entry 0 */
    uint32_t strtab_offset;   /* file offset of its string table */
    uint32_t strtab_bytes;    /* size; the last byte is NUL */
    uint32_t image_bytes;     /* bytes to allocate for the loaded sections (>= 1) */
    uint32_t image_align;     /* alignment the image needs (power of two, <= page) */
};

/* Resolve an undefined symbol: store its address in *out_addr and return 0,
 * or return nonzero if it is unknown. `name` is NUL-terminated and points
 * into the file. */
typedef int (*elf_resolve_fn)(void *ctx, const char *name, uint32_t *out_addr);

/* Validate `file` (file_bytes long) and lay out its loaded sections.
 * obj: filled on success (undefined on failure). name: used in log lines and
 *   kept in obj->name (caller keeps it alive).
 * Checks: ELF header fields (magic, 32-bit, little-endian, version, ET_REL,
 *   EM_386, header and section-entry sizes); the section header table and
 *   every non-NOBITS section inside the file; alignments; the image size cap;
 *   the symbol table, its string table and every symbol's name, section and
 *   value; every relocation of a loaded section: type, symbol index, target
 *   range (4 bytes inside the section) and the section of its symbol.
 * Returns 0; ERR_CORRUPT (not ELF, truncated, out-of-range field);
 *   ERR_NOTSUP (well-formed but not loadable here: 64-bit, big-endian, not
 *   ET_REL, not EM_386, RELA, COMMON, unknown relocation type, too many
 *   sections); ERR_RANGE (image larger than ELF_RELOC_MAX_IMAGE_BYTES or an
 *   alignment above ELF_RELOC_MAX_ALIGN). Each failure logs one line. */
int elf_reloc_parse(struct elf_obj *obj, const char *name, const void *file, size_t file_bytes);

/* Build the image: zero image_bytes at `image`, copy every loaded non-NOBITS
 * section, check that every undefined symbol resolves (all of them, even
 * unused ones, so a missing export is reported at load and not at a call),
 * then apply each relocation. A weak undefined symbol that does not resolve
 * is 0.
 * image: host memory of obj->image_bytes bytes, written here.
 * image_addr: the address the image will run at (kernel: (uint32_t)image).
 * Returns 0; ERR_NOENT (an undefined symbol is unknown; logged with its
 *   name). The image content is unspecified after a failure. */
int elf_reloc_load(const struct elf_obj *obj, void *image, uint32_t image_addr,
                   elf_resolve_fn resolve, void *ctx);

/* Address of the global (or weak) symbol `name` defined in a loaded section,
 * for an image loaded at image_addr. Returns 0 and fills *out_addr, or
 * ERR_NOENT (no such symbol, or it is local, undefined or absolute). Does
 * not log. */
int elf_reloc_find_symbol(const struct elf_obj *obj, uint32_t image_addr, const char *name,
                          uint32_t *out_addr);

#endif
