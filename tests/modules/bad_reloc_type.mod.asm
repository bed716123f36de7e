; SPDX-License-Identifier: MIT
; Test module (KTEST ISO only): holds a GOT-relative relocation
; (R_386_GOTOFF, type 9), which only position-independent code uses. The
; loader applies R_386_32 and R_386_PC32 only and must reject it with
; "module: bad_reloc_type: unsupported relocation type (9 ...)".
global START

section .text
START:
        xor     eax, eax
        ret     4
got_relative:
        dd      START wrt ..gotoff
