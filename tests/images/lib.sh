# SPDX-License-Identifier: MIT
# The common start and end of the tests/images/make-*.sh image builders
# (sourced, not run). A builder calls `images_begin "$@"` first: OUTDIR, its
# first argument, becomes the absolute path $out and is created; the builder
# then holds OUTDIR/.lock (fd 9, until it exits), so test binaries that start
# at the same time build the folder once; and if OUTDIR/.stamp says that
# this very version built the folder, the builder exits with status 0 here.
# Next the builder removes its old outputs, may call `images_tmpdir` for a
# scratch folder $tmp (removed on exit), builds, and calls `images_done`
# last, which writes the stamp. The stamp is the sha256 of the builder and of
# this file, so editing either rebuilds the images.

# images_begin OUTDIR: see above. Sets $out and $images_sum.
images_begin() {
    out=${1:?usage: $(basename "$0") OUTDIR}
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
    exec 9>"$out/.lock"
    flock 9
    images_sum=$(cat "$0" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
    if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$images_sum" ]; then
        exit 0
    fi
}

# images_tmpdir: a scratch folder in $tmp, removed when the builder exits.
images_tmpdir() {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
}

# images_done: mark OUTDIR as built by this version (the last step).
images_done() {
    echo "$images_sum" > "$out/.stamp"
}
