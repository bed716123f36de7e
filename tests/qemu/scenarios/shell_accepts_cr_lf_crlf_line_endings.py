# SPDX-License-Identifier: MIT
"""A command line ends at CR (terminals), LF (pipes, scripts) or CRLF; CRLF
counts as one line end, not an extra empty command. Raw bytes are sent."""

import time

MACHINE = ["-M", "pc", "-m", "256"]


def _out(vm, raw, word):
    start = vm.position()
    vm.send(raw)
    m = vm.expect(r"^%s\r?$" % word, 10)
    vm.wait_prompt(10)
    return vm.log[start:m.start()]


def run(vm, ctx):
    _out(vm, b"echo cr-ok\r", "cr-ok")
    _out(vm, b"echo lf-ok\n", "lf-ok")
    _out(vm, b"echo crlf-ok\r\n", "crlf-ok")
    # If the LF of the CRLF had been taken as a second, empty line, a second
    # prompt would be printed before the next command's echo.
    time.sleep(0.3)
    start = vm.position()
    lines = vm.cmd("echo next")
    assert lines == ["next"], "after CRLF: %r" % lines
    between = vm.log[start:]
    assert between.count("spindle> ") == 1, "extra prompt after CRLF: %r" % between
