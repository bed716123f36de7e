; SPDX-License-Identifier: MIT
; arch_switch(uint32_t *save_esp, uint32_t next_esp): the context switch.
; Only the callee-saved registers of the i386 SysV ABI (EBX, ESI, EDI, EBP)
; need saving: the caller already treats EAX/ECX/EDX as clobbered, and EFLAGS
; stays on each thread's stack in its caller's cpu_irq_save() value. A new
; thread's stack is prepared by thread.c to look like a switch that returns
; into its trampoline. Called with interrupts off.

section .text
global arch_switch
arch_switch:
    ; 1. Arguments, before the stack moves.
    mov eax, [esp + 4]          ; save_esp
    mov edx, [esp + 8]          ; next_esp
    ; 2. Save the old thread: registers on its stack, ESP into its record.
    push ebp
    push ebx
    push esi
    push edi
    mov [eax], esp
    ; 3. Load the new thread and return on its stack.
    mov esp, edx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret
