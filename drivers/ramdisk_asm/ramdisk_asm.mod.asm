; SPDX-License-Identifier: MIT
; ramdisk_asm: an example driver module in assembly, proving the DISKFUNC ABI
; (blkdev/diskfunc.inc) from hand-written stdcall code. GRUB loads it as a
; multiboot module; kernel/module.c links it and calls START(1), which
; allocates a 4 MiB disk, fills it with a known pattern and registers it as
; "asmrd0" (DiskAdd, then DiskMediaChanged(h, 1)). The disk is writable; its
; memory is freed in close, after DiskDel and the block layer's last use.
;
; Pattern (for host-side checks): the disk is an array of 32-bit
; little-endian words and word j holds the value j. So byte i of sector s
; belongs to the word s * 128 + i / 4, and python computes the image as
;   b"".join(struct.pack("<I", j) for j in range(sectors * 128)).
;
; Calling conventions: our callbacks and DiskAdd/DiskMediaChanged/DiskDel are
; stdcall (callee pops: ret 4 * dwords; read/write take 5 dwords because
; startsector is 64-bit); kmalloc/kfree/printk are cdecl (caller pops).
; Every function keeps ebx, esi, edi, ebp and leaves DF clear.

%include "blkdev/diskfunc.inc"

ASMRD_BYTES         equ 4 * 1024 * 1024
ASMRD_SECTOR_BYTES  equ 512
ASMRD_SECTORS       equ ASMRD_BYTES / ASMRD_SECTOR_BYTES
ASMRD_WORDS         equ ASMRD_BYTES / 4
KLOG_INFO           equ 6
KLOG_ERR            equ 3
MODULE_REASON_LOAD  equ 1

extern kmalloc, kfree, printk           ; cdecl
extern DiskAdd, DiskMediaChanged        ; stdcall
global START

section .data
align 4
; The DISKFUNC table; strucsize covers all of it, so the kernel uses our
; entries and its defaults only for the two we leave 0 (closemedia: the
; media lives as long as the disk; LoadTray: there is no tray).
asmrd_funcs:
istruc DISKFUNC
    at DISKFUNC.strucsize,         dd DISKFUNC_size
    at DISKFUNC.close,             dd asmrd_close
    at DISKFUNC.closemedia,        dd 0
    at DISKFUNC.querymedia,        dd asmrd_querymedia
    at DISKFUNC.read,              dd asmrd_read
    at DISKFUNC.write,             dd asmrd_write
    at DISKFUNC.flush,             dd asmrd_flush
    at DISKFUNC.adjust_cache_size, dd asmrd_adjust_cache_size
    at DISKFUNC.LoadTray,          dd 0
iend

asmrd_name      db "asmrd0", 0
msg_added       db "ramdisk_asm: asmrd0: %u sectors, word j = j", 0
msg_nomem       db "ramdisk_asm: asmrd0: out of memory (%u bytes)", 0
msg_noadd       db "ramdisk_asm: asmrd0: DiskAdd refused the disk (name asmrd0)", 0
msg_reason      db "ramdisk_asm: unexpected START reason (%u)", 0

section .text

; int START(unsigned reason), stdcall.
; Returns 0 when asmrd0 is registered, 1 (declined, nothing left behind)
; otherwise.
START:
        push    ebx
        push    edi
        ; [esp+12] = reason
        ; 1. Only the load call is expected.
        mov     eax, [esp + 12]
        cmp     eax, MODULE_REASON_LOAD
        je      .allocate
        push    eax
        push    msg_reason
        push    KLOG_ERR
        call    printk
        add     esp, 12
        jmp     .decline
.allocate:
        ; 2. The disk's memory: ebx = base, owned until close.
        push    ASMRD_BYTES
        call    kmalloc
        add     esp, 4
        test    eax, eax
        jz      .nomem
        mov     ebx, eax
        ; 3. Fill: word j = j.
        mov     edi, ebx
        xor     eax, eax
.fill:
        mov     [edi], eax
        add     edi, 4
        inc     eax
        cmp     eax, ASMRD_WORDS
        jb      .fill
        ; 4. DiskAdd(&asmrd_funcs, "asmrd0", userdata = base, flags 0);
        ;    stdcall, arguments pushed right to left, callee pops.
        push    0
        push    ebx
        push    asmrd_name
        push    asmrd_funcs
        call    DiskAdd
        test    eax, eax
        jz      .noadd
        ; 5. Media present: DiskMediaChanged(handle, 1).
        push    1
        push    eax
        call    DiskMediaChanged
        push    ASMRD_SECTORS
        push    msg_added
        push    KLOG_INFO
        call    printk
        add     esp, 12
        xor     eax, eax
        jmp     .out
.noadd:
        ; DiskAdd failed: close will never be called, so free here.
        push    msg_noadd
        push    KLOG_ERR
        call    printk
        add     esp, 8
        push    ebx
        call    kfree
        add     esp, 4
        jmp     .decline
.nomem:
        push    ASMRD_BYTES
        push    msg_nomem
        push    KLOG_ERR
        call    printk
        add     esp, 12
.decline:
        mov     eax, 1
.out:
        pop     edi
        pop     ebx
        ret     4

; void close(void *userdata): the block layer's last call; free the disk.
asmrd_close:
        push    dword [esp + 4]
        call    kfree
        add     esp, 4
        ret     4

; int querymedia(void *userdata, DISKMEDIAINFO *info)
asmrd_querymedia:
        mov     eax, [esp + 8]
        mov     dword [eax + DISKMEDIAINFO.flags], 0
        mov     dword [eax + DISKMEDIAINFO.sectorsize], ASMRD_SECTOR_BYTES
        mov     dword [eax + DISKMEDIAINFO.capacity], ASMRD_SECTORS
        mov     dword [eax + DISKMEDIAINFO.capacity + 4], 0
        xor     eax, eax
        ret     8

; Shared bounds check of read and write. Called with the callback's frame in
; ebp: [ebp+8] userdata, [ebp+12] buffer, [ebp+16] startsector low,
; [ebp+20] startsector high, [ebp+24] int *numsectors.
; Returns ecx = sectors to move, edx = byte offset of the first one,
; eax = status: OK (all of it), END_OF_MEDIA (the part that fits, maybe 0),
; INVALID_CALL (negative start or count; nothing).
asmrd_clip:
        mov     edx, [ebp + 24]
        mov     ecx, [edx]              ; requested sectors
        test    ecx, ecx
        js      .invalid
        mov     eax, [ebp + 16]
        mov     edx, [ebp + 20]
        test    edx, edx
        js      .invalid                ; negative startsector
        test    ecx, ecx
        jz      .nothing_ok
        test    edx, edx
        jnz     .nothing_eom            ; start >= 2^32 > capacity
        cmp     eax, ASMRD_SECTORS
        jae     .nothing_eom
        mov     edx, ASMRD_SECTORS
        sub     edx, eax                ; edx = sectors left from start
        shl     eax, 9                  ; byte offset (< 4 MiB, no overflow)
        cmp     ecx, edx
        jbe     .fits
        mov     ecx, edx                ; clip at the end of the disk
        mov     edx, eax
        mov     eax, DISK_STATUS_END_OF_MEDIA
        ret
.fits:
        mov     edx, eax
        xor     eax, eax
        ret
.nothing_ok:
        xor     ecx, ecx
        xor     edx, edx
        xor     eax, eax
        ret
.nothing_eom:
        xor     ecx, ecx
        xor     edx, edx
        mov     eax, DISK_STATUS_END_OF_MEDIA
        ret
.invalid:
        xor     ecx, ecx
        xor     edx, edx
        mov     eax, DISK_STATUS_INVALID_CALL
        ret

; int read(void *userdata, void *buffer, int64 startsector, int *numsectors)
; 5 dwords of arguments: ret 20. *numsectors gets the sectors really read.
asmrd_read:
        push    ebp
        mov     ebp, esp
        push    ebx
        push    esi
        push    edi
        call    asmrd_clip
        mov     ebx, ecx                ; sectors done
        mov     esi, [ebp + 8]
        add     esi, edx                ; from the disk
        mov     edi, [ebp + 12]         ; to the caller's buffer
        shl     ecx, 7                  ; 128 dwords per sector
        cld
        rep movsd
        mov     edx, [ebp + 24]
        mov     [edx], ebx
        pop     edi
        pop     esi
        pop     ebx
        pop     ebp
        ret     20

; int write(void *userdata, const void *buffer, int64 startsector, int *numsectors)
asmrd_write:
        push    ebp
        mov     ebp, esp
        push    ebx
        push    esi
        push    edi
        call    asmrd_clip
        mov     ebx, ecx
        mov     esi, [ebp + 12]         ; from the caller's buffer
        mov     edi, [ebp + 8]
        add     edi, edx                ; to the disk
        shl     ecx, 7
        cld
        rep movsd
        mov     edx, [ebp + 24]
        mov     [edx], ebx
        pop     edi
        pop     esi
        pop     ebx
        pop     ebp
        ret     20

; int flush(void *userdata): RAM has no write cache.
asmrd_flush:
        xor     eax, eax
        ret     4

; unsigned adjust_cache_size(void *userdata, unsigned suggested): 0, the data
; already is in RAM.
asmrd_adjust_cache_size:
        xor     eax, eax
        ret     8
