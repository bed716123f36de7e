; SPDX-License-Identifier: MIT
; Multiboot (v1) entry: GRUB loads us at 1 MiB in 32-bit protected mode with
; paging off. We load our own flat GDT (GRUB's may live in memory we reuse),
; set up an early 64 KiB stack, and call kernel_main(magic, info).
; Multiboot Specification 0.6.96, section 3.1 (header) and 3.2 (machine state).

MB_MAGIC        equ 0x1BADB002
MB_FLAG_ALIGN   equ 1 << 0          ; page-align modules
MB_FLAG_MEMINFO equ 1 << 1          ; give us mem_* and the memory map
MB_FLAGS        equ MB_FLAG_ALIGN | MB_FLAG_MEMINFO
MB_CHECKSUM     equ -(MB_MAGIC + MB_FLAGS)

KERNEL_CS       equ 0x08
KERNEL_DS       equ 0x10
EARLY_STACK     equ 65536

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd MB_CHECKSUM

section .bss
align 16
early_stack_bottom:
    resb EARLY_STACK
early_stack_top:

section .rodata
align 8
gdt:
    dq 0                            ; null descriptor
    dq 0x00CF9A000000FFFF           ; 0x08 code: base 0, limit 4 GiB, ring 0
    dq 0x00CF92000000FFFF           ; 0x10 data: base 0, limit 4 GiB, ring 0
gdt_end:
gdt_ptr:
    dw gdt_end - gdt - 1
    dd gdt

section .text
global _start
extern kernel_main
_start:
    ; 1. Stack first, so that nothing below can fault into garbage.
    mov esp, early_stack_top
    xor ebp, ebp
    ; 2. Our GDT, then reload every segment register (far jump for CS).
    lgdt [gdt_ptr]
    jmp KERNEL_CS:.reload_cs
.reload_cs:
    mov cx, KERNEL_DS
    mov ds, cx
    mov es, cx
    mov fs, cx
    mov gs, cx
    mov ss, cx
    ; 3. Clear EFLAGS (IF off, DF off) and enter C: kernel_main(eax magic, ebx info).
    push 0
    popfd
    push ebx
    push eax
    call kernel_main
    ; 4. kernel_main never returns; if it does, halt forever.
.hang:
    cli
    hlt
    jmp .hang
