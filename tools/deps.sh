#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages Spindle needs, and only those that are missing.
# No-op when everything is present; runs `apt-get update` only when it must
# install; works as root or through sudo (non-interactive in CI).
set -euo pipefail

packages=(
    nasm gcc-multilib make python3
    qemu-system-x86 qemu-utils
    grub-pc-bin grub-common xorriso mtools
    dosfstools fdisk gdisk e2fsprogs ntfs-3g
    libcmocka-dev
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing missing packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo -n)
    if ! sudo -n true 2>/dev/null; then
        echo "deps: need root to install: ${missing[*]}" >&2
        echo "deps: run 'sudo tools/deps.sh' once, or install them yourself" >&2
        exit 1
    fi
else
    echo "deps: not root and no sudo; please install: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
