# SPDX-License-Identifier: MIT
"""Checks of a mounted file system against the files the host put on it, for
scenarios that build a volume with a real tool (mkfs.ext4 -d, xorriso,
mkntfs + libntfs-3g) from a dict {path inside the volume: bytes}: `ls` of
each folder must list exactly the names and sizes put in, `hash` of each
file must equal hashlib's sha256, `df` must name the file system, and a
write or a new folder must be refused as read-only (KolibriOS code 10).
Paths may hold spaces and non-ASCII names: commands quote them and output
is read as UTF-8 (ucmd). check_read_only_volume() runs all of these on a
volume whose files come from tree_files().

    check_listings(vm, "/hd0/1", FILES, ("", "sub"), extra_root={"d 0 lost+found"})
    check_hashes(vm, "/hd0/1", FILES)
    check_df(vm, "/hd0/1", "ext4")
    check_write_refused(vm, "/hd0/1")
"""

import hashlib


def ucmd(vm, text, timeout=10):
    """vm.cmd with the output read as UTF-8 (the runner decodes Latin-1) and
    the echo of a non-ASCII command dropped."""
    lines = [ln.encode("latin-1").decode("utf-8", "replace")
             for ln in vm.cmd(text, timeout=timeout)]
    if lines and lines[0].endswith(text):
        lines = lines[1:]
    return lines


def children(files, folder):
    """The lines `ls` prints for `folder` ("" = root) of `files`: "f SIZE NAME"
    for a file, "d 0 NAME" for a folder."""
    out = set()
    depth = 0 if not folder else len(folder.split("/"))
    for rel, data in files.items():
        parts = rel.split("/")
        if folder and parts[:depth] != folder.split("/"):
            continue
        rest = parts[depth:]
        if len(rest) == 1:
            out.add("f %d %s" % (len(data), rest[0]))
        else:
            out.add("d 0 %s" % rest[0])
    return out


def check_listings(vm, root, files, folders, extra_root=(), timeout=10):
    """`ls` of each folder under `root` ("/hd0/1") lists exactly the entries
    of `files` there; `extra_root` adds lines the root also holds (entries
    the tool makes, such as ext's lost+found)."""
    for folder in folders:
        got = ucmd(vm, "ls '%s/%s'" % (root, folder), timeout=timeout)
        want = children(files, folder) | (set(extra_root) if not folder else set())
        assert set(got) == want and len(got) == len(want), \
            "ls %r: got %d %r, want %d %r" % (folder, len(got), sorted(got)[:5], len(want),
                                              sorted(want)[:5])


def check_hashes(vm, root, files, timeout=60):
    """`hash` of every file of `files` under `root` prints its sha256 and size."""
    for rel, data in sorted(files.items()):
        out = ucmd(vm, "hash '%s/%s'" % (root, rel), timeout=timeout)
        want = "%s %d %s/%s" % (hashlib.sha256(data).hexdigest(), len(data), root, rel)
        assert out == [want], "hash %s: got %r, want %r" % (rel, out, want)


def check_df(vm, root, fs_name):
    """`df` lists `root` with file system `fs_name`; returns that line."""
    out = vm.cmd("df")
    lines = [ln for ln in out if ln.startswith("%s %s size=" % (root, fs_name))]
    assert len(lines) == 1, "df: %r" % out
    return lines[0]


def check_write_refused(vm, root):
    """Writing a new file and making a folder under `root` both fail as a
    read-only file system."""
    out = vm.cmd("write %s/new.txt 10 1" % root)
    assert out == ["error: 10 access denied"], "write: %r" % out
    out = vm.cmd("mkdir %s/newdir" % root)
    assert len(out) == 1 and out[0].startswith("error: 10"), "mkdir: %r" % out


# The folders of a tree_files() tree.
TREE_FOLDERS = ("", "Sub Dir", "Sub Dir/nested", "many")


def tree_files(rnd, hello, many):
    """{path: bytes} of a test tree: hello.txt holding `hello`, an empty file,
    a non-ASCII name in nested folders, a 3 MiB file, a 6 MiB sparse-looking
    file (zeros between two random ends) and `many` small files in many/;
    random bytes come from random.Random `rnd`."""
    files = {
        "hello.txt": hello,
        "empty.dat": b"",
        "Sub Dir/nested/Ünïcödé – ✓.txt": rnd.randbytes(4321),
        "Sub Dir/big.bin": rnd.randbytes(3 * 1024 * 1024 + 5),
        "sparse.bin": rnd.randbytes(4096) + bytes(6 * 1024 * 1024) + rnd.randbytes(100),
    }
    for i in range(many):
        files["many/entry %04d.txt" % i] = b"%d\n" % i
    return files


def check_read_only_volume(vm, root, fs_name, files, mount_line, extra_root=()):
    """The whole check of a read-only volume at `root` made from tree_files()
    `files`: exact listings of TREE_FOLDERS, `mount_line` in the kernel log,
    the hash of every file outside many/ and of its first and last entry,
    `df`, and refused writes."""
    check_listings(vm, root, files, TREE_FOLDERS, extra_root=extra_root, timeout=60)
    assert mount_line in vm.log, "no mount line in the log"
    many = sorted(rel for rel in files if rel.startswith("many/"))
    hashed = {rel: data for rel, data in files.items() if not rel.startswith("many/")}
    hashed.update((rel, files[rel]) for rel in many[:1] + many[-1:])
    check_hashes(vm, root, hashed)
    check_df(vm, root, fs_name)
    check_write_refused(vm, root)
