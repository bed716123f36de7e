; SPDX-License-Identifier: MIT
; Interrupt entry stubs for vectors 0-47 (see isr.h). Each stub makes the
; stack look the same - an error code (the CPU's, or a pushed 0) and the
; vector number - so that one common path can save the rest of the
; registers as a struct isr_frame and call isr_dispatch(frame).
; Exceptions that push an error code: SDM Vol. 3A, Table 6-1.
; The scheduler may switch threads inside isr_dispatch: the frame then stays
; on the old thread's stack until it is resumed and returns through here.

KERNEL_DS equ 0x10

section .text
extern isr_dispatch

%macro STUB_NOERR 1
isr_stub_%1:
    push dword 0
    push dword %1
    jmp isr_common
%endmacro

%macro STUB_ERR 1
isr_stub_%1:
    push dword %1
    jmp isr_common
%endmacro

; 1. Exceptions 0-31; 8, 10-14, 17, 21, 29 and 30 come with an error code.
%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
    STUB_ERR v
%else
    STUB_NOERR v
%endif
%assign v v + 1
%endrep

; 2. Hardware IRQs 0-15 at vectors 32-47 (pic.c remaps them there).
%rep 16
    STUB_NOERR v
%assign v v + 1
%endrep

; 3. Common path: save everything, flat kernel data segments, direction flag
;    clear (the C ABI expects it), call isr_dispatch(frame), restore, iret.
isr_common:
    pushad
    push ds
    push es
    push fs
    push gs
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    cld
    push esp
    call isr_dispatch
    add esp, 4
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8              ; vector and error code
    iretd

; 4. Table of stub addresses for idt.c.
section .rodata
align 4
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 48
    dd isr_stub_ %+ v
%assign v v + 1
%endrep
