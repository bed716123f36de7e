#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-checks of the QEMU test runner's pure parts: the transcript parser and
matcher, the console output splitter and log-line filter, the PCI id table
helpers and scenario selection. No QEMU is started.

Run directly; prints cmocka-style "[ RUN      ]" / "[       OK ]" /
"[  FAILED  ]" lines so tests/run_all.py counts it like a unit-test binary.
Exit status 0 when every test passes.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pci_ids  # noqa: E402
import qemu  # noqa: E402
import run  # noqa: E402
import transcript  # noqa: E402
from transcript import TranscriptError, match_lines, parse  # noqa: E402


class TestLogLineFilter(unittest.TestCase):
    def test_log_line_with_padded_seconds_is_log(self):
        self.assertTrue(qemu.is_log_line("[    1.234] pci: 9 function(s) found"))

    def test_log_line_with_many_digits_is_log(self):
        self.assertTrue(qemu.is_log_line("[12345.678] x"))

    def test_bracket_text_without_stamp_is_output(self):
        self.assertFalse(qemu.is_log_line("[1.2] not a stamp"))
        self.assertFalse(qemu.is_log_line("[    1.234]no space after"))
        self.assertFalse(qemu.is_log_line(" [    1.234] indented"))
        self.assertFalse(qemu.is_log_line("[abc.def] x"))


class TestSplitOutput(unittest.TestCase):
    def test_echo_is_dropped_and_log_lines_removed(self):
        raw = "echo hi\r\n[    0.500] usb: port 1: connect\r\nhi\r\n"
        self.assertEqual(qemu.split_output(raw, "echo hi"), ["hi"])

    def test_keep_log_lines_keeps_them_in_order(self):
        raw = "dmesg\r\n[    0.000] a\r\n[    0.001] b\r\n"
        self.assertEqual(qemu.split_output(raw, "dmesg", keep_log_lines=True),
                         ["[    0.000] a", "[    0.001] b"])

    def test_log_line_before_echo_is_skipped(self):
        raw = "[    0.100] late boot line\r\necho x\r\nx\r\n"
        self.assertEqual(qemu.split_output(raw, "echo x"), ["x"])

    def test_lf_only_and_stray_cr_are_normalised(self):
        raw = "echo a\nline1\nline2\r\r\n"
        self.assertEqual(qemu.split_output(raw, "echo a"), ["line1", "line2"])

    def test_output_equal_to_command_is_kept_after_echo(self):
        raw = "echo echo\r\necho\r\n"
        self.assertEqual(qemu.split_output(raw, "echo echo"), ["echo"])

    def test_empty_output_gives_no_lines(self):
        self.assertEqual(qemu.split_output("true\r\n", "true"), [])

    def test_empty_lines_inside_output_are_kept(self):
        self.assertEqual(qemu.split_output("c\r\na\r\n\r\nb\r\n", "c"), ["a", "", "b"])


class TestTranscriptParse(unittest.TestCase):
    def test_header_and_blocks_are_parsed(self):
        t = parse("## comment\n# machine: -M q35 -m 256 -device e1000\n# timeout: 30\n"
                  "$ lspci\n00:00.0 x\nre:^00:1f\\.2 .*\n...\n$ echo a\na\n")
        self.assertEqual(t.machine, ["-M", "q35", "-m", "256", "-device", "e1000"])
        self.assertEqual(t.timeout, 30.0)
        self.assertEqual([b.command for b in t.blocks], ["lspci", "echo a"])
        self.assertEqual(t.blocks[0].expected,
                         [("exact", "00:00.0 x"), ("re", "^00:1f\\.2 .*"), ("any", "")])
        self.assertIsNone(t.exit)
        self.assertTrue(t.debug_exit)

    def test_machine_args_keep_quoted_words(self):
        t = parse("# machine: -drive 'file=a b.img,format=raw'\n$ x\n")
        self.assertEqual(t.machine, ["-drive", "file=a b.img,format=raw"])

    def test_exit_and_log_directives_after_last_command(self):
        t = parse("# debug-exit: no\n$ crash ud\n...\n# exit: nonzero\n# log: PANIC\n"
                  "# log: EIP\n")
        self.assertEqual(t.exit, "nonzero")
        self.assertEqual(t.log_patterns, ["PANIC", "EIP"])
        self.assertFalse(t.debug_exit)

    def test_numeric_exit_is_an_int(self):
        self.assertEqual(parse("$ poweroff\n# exit: 0\n").exit, 0)
        self.assertEqual(parse("$ poweroff\n# exit: 0x3\n").exit, 3)

    def test_command_after_exit_is_rejected(self):
        with self.assertRaises(TranscriptError):
            parse("$ poweroff\n# exit: 0\n$ echo late\n")

    def test_unknown_directive_is_rejected(self):
        with self.assertRaises(TranscriptError):
            parse("# machnie: -M pc\n$ x\n")

    def test_header_directive_after_command_is_rejected(self):
        with self.assertRaises(TranscriptError):
            parse("$ x\n# machine: -M pc\n")

    def test_stray_hash_line_in_block_is_rejected(self):
        with self.assertRaises(TranscriptError):
            parse("$ x\n# just a note\n")

    def test_backslash_escapes_literal_hash_and_dollar(self):
        t = parse("$ x\n\\# not a comment\n\\$ not a command\n\\re:literal\n")
        self.assertEqual(t.blocks[0].expected, [("exact", "# not a comment"),
                                                ("exact", "$ not a command"),
                                                ("exact", "re:literal")])

    def test_bad_regex_is_rejected_with_line(self):
        with self.assertRaisesRegex(TranscriptError, "line 2"):
            parse("$ x\nre:(\n")

    def test_no_commands_is_rejected(self):
        with self.assertRaises(TranscriptError):
            parse("# machine: -M pc\n")

    def test_trailing_empty_expected_lines_are_ignored(self):
        self.assertEqual(parse("$ x\na\n\n\n").blocks[0].expected, [("exact", "a")])

    def test_crlf_file_parses_like_lf(self):
        t = parse("# machine: -M pc\r\n$ echo a\r\na\r\n")
        self.assertEqual(t.blocks[0].command, "echo a")
        self.assertEqual(t.blocks[0].expected, [("exact", "a")])


class TestMatchLines(unittest.TestCase):
    def exp(self, text):
        return parse("$ x\n" + text).blocks[0].expected

    def test_exact_lines_match(self):
        self.assertIsNone(match_lines(self.exp("a\nb\n"), ["a", "b"]))

    def test_extra_output_line_fails(self):
        why = match_lines(self.exp("a\n"), ["a", "b"])
        self.assertIn("extra", why)

    def test_missing_line_fails(self):
        why = match_lines(self.exp("a\nb\n"), ["a"])
        self.assertIn("missing", why)

    def test_wrong_line_names_both(self):
        why = match_lines(self.exp("a\nb\n"), ["a", "c"])
        self.assertIn("'b'", why)
        self.assertIn("'c'", why)

    def test_regex_must_match_the_whole_line(self):
        self.assertIsNone(match_lines(self.exp("re:ab+\n"), ["abbb"]))
        self.assertIsNotNone(match_lines(self.exp("re:ab+\n"), ["abbbc"]))

    def test_dots_alone_accept_anything(self):
        self.assertIsNone(match_lines(self.exp("...\n"), []))
        self.assertIsNone(match_lines(self.exp("...\n"), ["x", "y"]))

    def test_dots_find_a_line_in_the_middle(self):
        e = self.exp("...\nneedle\n...\n")
        self.assertIsNone(match_lines(e, ["a", "needle", "b"]))
        self.assertIsNotNone(match_lines(e, ["a", "b"]))

    def test_dots_then_last_line_needs_backtracking(self):
        e = self.exp("...\nok\n")
        self.assertIsNone(match_lines(e, ["ok", "x", "ok"]))
        self.assertIsNotNone(match_lines(e, ["ok", "x"]))

    def test_trailing_empty_output_lines_are_ignored(self):
        self.assertIsNone(match_lines(self.exp("a\n"), ["a", "", ""]))

    def test_empty_block_expects_no_output(self):
        self.assertIsNone(match_lines(self.exp(""), []))
        self.assertIsNotNone(match_lines(self.exp(""), ["surprise"]))


class TestPciIds(unittest.TestCase):
    def test_pc_chipset_plus_added_devices(self):
        ids = pci_ids.expected_pci_ids(["-M", "pc", "-device", "e1000",
                                        "-device", "qemu-xhci,id=x"])
        for vid in ("8086:1237", "8086:7000", "8086:7010", "8086:7113", "8086:100e",
                    "1b36:000d"):
            self.assertIn(vid, ids)

    def test_q35_chipset_is_used_for_versioned_machine(self):
        ids = pci_ids.expected_pci_ids(["-machine", "pc-q35-7.2,accel=tcg"])
        self.assertEqual(set(ids), {"8086:29c0", "8086:2918", "8086:2922", "8086:2930"})

    def test_default_machine_is_pc(self):
        self.assertEqual(pci_ids.machine_type(["-m", "256"]), "pc")

    def test_unknown_device_adds_nothing(self):
        self.assertEqual(pci_ids.expected_pci_ids(["-device", "isa-debug-exit"]),
                         pci_ids.CHIPSET_IDS["pc"])


class TestMachineCommandLine(unittest.TestCase):
    def line(self, args, **kw):
        return qemu.Machine(args, iso="x.iso", kvm=False, **kw).command_line("S", "Q")

    def test_defaults_are_added(self):
        c = self.line([])
        for opt in (["-M", "pc"], ["-m", "256"], ["-display", "none"], ["-accel", "tcg"],
                    ["-nic", "none"]):
            self.assertIn(opt[1], c[c.index(opt[0]) + 1])
        self.assertIn("-no-reboot", c)
        self.assertIn(qemu.DEBUG_EXIT_DEVICE, c)
        self.assertIn("x.iso", c)

    def test_given_machine_and_memory_are_not_doubled(self):
        c = self.line(["-M", "q35", "-m", "512"])
        self.assertEqual(c.count("-M"), 1)
        self.assertEqual(c.count("-m"), 1)

    def test_debug_exit_can_be_left_out(self):
        self.assertNotIn(qemu.DEBUG_EXIT_DEVICE, self.line([], debug_exit=False))

    def test_kvm_needs_env_var(self):
        old = os.environ.pop("SPINDLE_KVM", None)
        try:
            self.assertFalse(qemu.kvm_usable()[0])
        finally:
            if old is not None:
                os.environ["SPINDLE_KVM"] = old


class TestScenarioFiles(unittest.TestCase):
    def test_every_transcript_parses(self):
        for name, path in run.all_scenarios().items():
            if path.endswith(".txt"):
                with open(path, encoding="utf-8") as f:
                    transcript.parse(f.read())

    def test_every_python_scenario_has_run_and_machine(self):
        for name, path in run.all_scenarios().items():
            if path.endswith(".py"):
                mod = run._load_module(path, name)
                self.assertTrue(callable(getattr(mod, "run", None)), name)
                self.assertTrue(hasattr(mod, "MACHINE") or hasattr(mod, "machine_args"), name)

    def test_glob_selects_matching_names(self):
        names = [n for n, _ in run.select(["shell_*"])]
        self.assertTrue(names)
        self.assertTrue(all(n.startswith("shell_") for n in names))


class CmockaStyleResult(unittest.TextTestResult):
    """Prints one cmocka-like line per test so run_all.py can count them."""

    def startTest(self, test):
        unittest.TestResult.startTest(self, test)
        self.stream.write("[ RUN      ] %s\n" % self._name(test))
        self.stream.flush()

    def _name(self, test):
        return "test_runner_%s" % test.id().split(".")[-1][len("test_"):]

    def addSuccess(self, test):
        unittest.TestResult.addSuccess(self, test)
        self.stream.write("[       OK ] %s\n" % self._name(test))

    def _fail(self, test, err, kind):
        self.stream.write("%s\n[  FAILED  ] %s (%s)\n"
                          % (self._exc_info_to_string(err, test).rstrip(), self._name(test), kind))

    def addFailure(self, test, err):
        unittest.TestResult.addFailure(self, test, err)
        self._fail(test, err, "failure")

    def addError(self, test, err):
        unittest.TestResult.addError(self, test, err)
        self._fail(test, err, "error")


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    runner = unittest.TextTestRunner(stream=sys.stdout, resultclass=CmockaStyleResult,
                                     verbosity=0)
    result = runner.run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
