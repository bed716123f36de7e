; SPDX-License-Identifier: MIT
; Test module (KTEST ISO only): links fine and START declines by returning 7;
; the loader must log "module: bad_declines: START declined (returned 7)"
; and free the image. Also checks that the loader honours stdcall: START
; pops its argument (ret 4).
global START

section .text
START:
        mov     eax, 7
        ret     4
