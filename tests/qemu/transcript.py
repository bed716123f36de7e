# SPDX-License-Identifier: MIT
"""Transcript scenarios: parse a NAME.txt file and compare shell output with it.

Format (one directive or line per line):

    # machine: -M q35 -m 256 -device e1000     QEMU arguments (shell-like quoting)
    # timeout: 60                              whole-scenario limit in seconds
    # debug-exit: no                           leave out isa-debug-exit
    # boot-timeout: 60                         limit for the first prompt
    ## any text                                a comment (anywhere)
    $ lspci                                    a command, typed with CR
    00:00.0 8086:1237 ...                      expected output line, exact
    re:^00:01\\.1 8086:7010                    expected line as a regex (fullmatch)
    ...                                        any number of lines (0 or more)
    \\# literal                                a backslash escapes a leading # $ \\ or "re:"
    # exit: 0 | nonzero                        (after the last command) it ends QEMU
    # log: REGEX                               the raw serial log must match REGEX

Blocks are compared as a whole: every output line must be matched by an
expected line, in order; "..." absorbs any run of lines. A block with only
"..." accepts anything. Trailing empty lines are ignored on both sides.
Other "# key: value" lines before the first command are header directives;
unknown keys are an error so typos do not pass silently.
"""

import re
import shlex

HEADER_KEYS = {"machine", "timeout", "debug-exit", "boot-timeout", "log", "exit",
               "cmd-timeout"}
_DIRECTIVE_RE = re.compile(r"^# ([a-z][a-z-]*):\s*(.*)$")


class TranscriptError(Exception):
    """The transcript file itself is malformed."""


class Block:
    def __init__(self, command, lineno):
        self.command = command   # text typed, without the CR
        self.lineno = lineno     # line of the "$ " in the file (for messages)
        self.expected = []       # list of ("exact"|"re"|"any", text)

    def __repr__(self):
        return "Block(%r, %r)" % (self.command, self.expected)


class Transcript:
    def __init__(self):
        self.machine = []        # QEMU args
        self.timeout = None      # seconds, whole scenario
        self.boot_timeout = None
        self.cmd_timeout = None
        self.debug_exit = True
        self.blocks = []
        self.exit = None         # None, an int, or "nonzero"
        self.log_patterns = []   # regexes the raw log must contain


def _parse_bool(value, lineno):
    v = value.strip().lower()
    if v in ("yes", "on", "true", "1"):
        return True
    if v in ("no", "off", "false", "0"):
        return False
    raise TranscriptError("line %d: expected yes/no, got %r" % (lineno, value))


def _parse_number(value, lineno, key):
    try:
        return float(value)
    except ValueError:
        raise TranscriptError("line %d: %s wants a number, got %r" % (lineno, key, value))


def parse(text):
    """Parse transcript text into a Transcript; raise TranscriptError."""
    t = Transcript()
    block = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if line.startswith("##"):
            continue
        m = _DIRECTIVE_RE.match(line)
        if m:
            key, value = m.group(1), m.group(2).strip()
            if key not in HEADER_KEYS:
                raise TranscriptError("line %d: unknown directive %r" % (lineno, key))
            if key == "exit":
                if not t.blocks:
                    raise TranscriptError("line %d: '# exit:' needs a command before it"
                                          % lineno)
                if value == "nonzero":
                    t.exit = "nonzero"
                else:
                    try:
                        t.exit = int(value, 0)
                    except ValueError:
                        raise TranscriptError("line %d: exit wants N or 'nonzero', got %r"
                                              % (lineno, value))
                continue
            if key == "log":
                try:
                    re.compile(value)
                except re.error as e:
                    raise TranscriptError("line %d: bad log regex: %s" % (lineno, e))
                t.log_patterns.append(value)
                continue
            if t.blocks:
                raise TranscriptError("line %d: header directive %r after the first command"
                                      % (lineno, key))
            if key == "machine":
                t.machine += shlex.split(value)
            elif key == "timeout":
                t.timeout = _parse_number(value, lineno, key)
            elif key == "boot-timeout":
                t.boot_timeout = _parse_number(value, lineno, key)
            elif key == "cmd-timeout":
                t.cmd_timeout = _parse_number(value, lineno, key)
            elif key == "debug-exit":
                t.debug_exit = _parse_bool(value, lineno)
            continue
        if t.exit is not None:
            if line.strip() == "":
                continue
            raise TranscriptError("line %d: nothing may follow '# exit:' except '# log:'"
                                  % lineno)
        if line.startswith("$ ") or line == "$":
            block = Block(line[2:], lineno)
            t.blocks.append(block)
            continue
        if block is None:
            if line.strip() == "" or line.startswith("#"):
                continue   # free text before the first command
            raise TranscriptError("line %d: expected output before any '$ ' command" % lineno)
        if line.startswith("#"):
            raise TranscriptError("line %d: stray '#' line (use '## ' for comments, '\\#' "
                                  "for a literal)" % lineno)
        if line == "...":
            block.expected.append(("any", ""))
        elif line.startswith("re:"):
            try:
                re.compile(line[3:])
            except re.error as e:
                raise TranscriptError("line %d: bad regex: %s" % (lineno, e))
            block.expected.append(("re", line[3:]))
        elif line.startswith("\\"):
            block.expected.append(("exact", line[1:]))
        else:
            block.expected.append(("exact", line))
    for b in t.blocks:
        while b.expected and b.expected[-1] == ("exact", ""):
            b.expected.pop()
    if not t.blocks and t.exit is None:
        raise TranscriptError("no '$ ' commands")
    return t


def _line_matches(exp, line):
    kind, text = exp
    if kind == "exact":
        return line == text
    return re.fullmatch(text, line) is not None


def match_lines(expected, actual):
    """Compare output lines with a block's expectations.

    Returns None on a match, or a short human-readable reason.
    """
    actual = list(actual)
    while actual and actual[-1] == "":
        actual.pop()
    n_e, n_a = len(expected), len(actual)
    # Glob-style matching with backtracking over "any" items; memoised on
    # (i, j) so pathological transcripts stay linear-ish.
    memo = {}

    def ok(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == n_e:
            r = j == n_a
        elif expected[i][0] == "any":
            r = ok(i + 1, j) or (j < n_a and ok(i, j + 1))
        else:
            r = j < n_a and _line_matches(expected[i], actual[j]) and ok(i + 1, j + 1)
        memo[key] = r
        return r

    if ok(0, 0):
        return None
    return _explain(expected, actual)


def _explain(expected, actual):
    """Point at the first line that cannot match (a greedy walk, good enough
    for a message)."""
    j = 0
    for i, exp in enumerate(expected):
        if exp[0] == "any":
            # Skip to the next line that matches the following expectation.
            nxt = expected[i + 1] if i + 1 < len(expected) else None
            if nxt is None:
                return "output did not match (after %d lines)" % j
            while j < len(actual) and not (nxt[0] == "any" or _line_matches(nxt, actual[j])):
                j += 1
            continue
        if j >= len(actual):
            return "missing line %r (output has only %d lines)" % (_show(exp), len(actual))
        if not _line_matches(exp, actual[j]):
            return "line %d: expected %r, got %r" % (j + 1, _show(exp), actual[j])
        j += 1
    if j < len(actual):
        return "unexpected extra line %d: %r" % (j + 1, actual[j])
    return "output did not match"


def _show(exp):
    return ("re:" + exp[1]) if exp[0] == "re" else exp[1]
