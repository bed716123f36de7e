# SPDX-License-Identifier: MIT
"""`help` lists every generic command on a line of its own (any order), and
`help NAME` shows one command."""

MACHINE = ["-M", "pc", "-m", "256"]
GENERIC = ["help", "echo", "dmesg", "uptime"]


def run(vm, ctx):
    lines = vm.cmd("help")
    names = {ln.split()[0] for ln in lines if ln.strip()}
    missing = [c for c in GENERIC if c not in names]
    assert not missing, "help lacks %s: %r" % (missing, lines)
    one = vm.cmd("help echo")
    assert len(one) >= 1 and one[0].split()[0] == "echo", "help echo: %r" % one
