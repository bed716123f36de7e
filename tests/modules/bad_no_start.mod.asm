; SPDX-License-Identifier: MIT
; Test module (KTEST ISO only): well-formed, but its START is local, so there
; is no entry point: "module: bad_no_start: missing entry point (...)".
section .text
START:
        xor     eax, eax
        ret     4
