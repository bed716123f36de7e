#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the bootable ISO: kernel + driver modules + GRUB menu.
# Usage: tools/mkiso.sh BUILD_DIR ISO_PATH [MODULE.o ...]
# Each module is loaded by GRUB as `module /boot/modules/NAME.o NAME`.
# SPINDLE_CMDLINE (environment) is appended to the kernel command line.
set -euo pipefail
build=$1; iso=$2; shift 2

root="$build/isoroot"
rm -rf "$root"
mkdir -p "$root/boot/grub" "$root/boot/modules"
cp "$build/kernel.elf" "$root/boot/kernel.elf"

mods=""
for m in "$@"; do
    name=$(basename "$m" .o)
    cp "$m" "$root/boot/modules/$name.o"
    mods+="    module /boot/modules/$name.o $name"$'\n'
done

cmdline="${SPINDLE_CMDLINE:-}"
python3 - "$root/boot/grub/grub.cfg" "$cmdline" "$mods" <<'PY'
import sys
out, cmdline, mods = sys.argv[1:4]
text = open("boot/grub.cfg.in").read()
text = text.replace("@CMDLINE@", cmdline).replace("@MODULES@", mods.rstrip("\n"))
open(out, "w").write(text)
PY
grub-mkrescue -o "$iso" "$root" >"$build/grub-mkrescue.log" 2>&1 || {
    cat "$build/grub-mkrescue.log" >&2
    exit 1
}
