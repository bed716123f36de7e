; SPDX-License-Identifier: MIT
; Test module (KTEST ISO only): calls a function the kernel does not export.
; The loader must reject it before START runs, with
; "module: bad_unknown_symbol: unknown symbol (NoSuchKernelFunction)".
extern NoSuchKernelFunction
global START

section .text
START:
        call    NoSuchKernelFunction
        xor     eax, eax
        ret     4
