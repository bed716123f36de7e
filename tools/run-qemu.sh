#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make run` / `make debug`: boots an ISO (default build/spindle.iso) in QEMU on
# this terminal. The serial console is on stdio, multiplexed with the QEMU
# monitor (Ctrl-A X quits, Ctrl-A C toggles the monitor). Machine: -M pc,
# 256 MiB, isa-debug-exit, no reboot, and the default disk set from
# tools/mkdisks.sh (build/disks: hd0 on IDE, sd0 on AHCI, usb0 behind a hub
# on xHCI), attached with the arguments listed in tools/default-disks.args.
# Environment:
#   GUI=1          open a window (VGA) as well; serial stays on stdio
#   SPINDLE_KVM=1  use KVM if /dev/kvm opens (default TCG: KVM here is slow)
#   DEBUG=1        start paused with a gdb stub on tcp::1234 (make debug)
#   QEMU_EXTRA     more QEMU arguments, word-split, e.g. "-device e1000"
# Extra arguments after the ISO go to QEMU unchanged.
set -euo pipefail

iso=${1:-build/spindle.iso}
shift || true
build=$(dirname "$iso")
[[ -f $iso ]] || { echo "run-qemu: $iso not found (run make iso)" >&2; exit 1; }

disks=build/disks
tools/mkdisks.sh "$disks"

# shellcheck disable=SC2054  # the commas are QEMU option syntax
args=(-M pc -m 256 -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=4
      -cdrom "$iso" -boot d
      -serial mon:stdio)
# The disk devices: one argument per line, @DISKS@ -> the image folder.
while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    args+=("${line//@DISKS@/$disks}")
done < tools/default-disks.args

if [[ ${GUI:-0} == 1 ]]; then
    args+=(-vga std)
else
    args+=(-display none)
fi

if [[ ${SPINDLE_KVM:-0} == 1 ]] && { exec 3<>/dev/kvm; } 2>/dev/null; then
    exec 3>&-
    args+=(-accel kvm)
    accel=KVM
else
    args+=(-accel tcg)
    accel=TCG
fi

if [[ ${DEBUG:-0} == 1 ]]; then
    args+=(-S -gdb tcp::1234)
    echo "run-qemu: paused, gdb stub on :1234. In another terminal:"
    echo "    gdb $build/kernel.elf -ex 'target remote :1234'"
fi

# shellcheck disable=SC2206  # QEMU_EXTRA is meant to be word-split
extra=(${QEMU_EXTRA:-})
echo "run-qemu: $iso, $accel, serial on this terminal (Ctrl-A X quits, Ctrl-A H help)"
exec qemu-system-i386 "${args[@]}" "${extra[@]}" "$@"
