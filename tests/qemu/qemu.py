# SPDX-License-Identifier: MIT
"""One QEMU machine for tests: boot the Spindle ISO, talk to its serial
console and its QMP monitor, and always end the QEMU process.

Use it as a context manager:

    with Machine(["-M", "q35", "-device", "e1000"], name="lspci") as vm:
        vm.wait_prompt(60)
        lines = vm.cmd("lspci")        # output lines, kernel log lines removed
        vm.qmp.execute("device_del", {"id": "usb1"})

Serial and QMP are unix sockets that this process listens on before QEMU
starts; QEMU connects to them as a client, so no byte of early output is lost
and there is no polling for socket files. A reader thread copies every serial
byte into memory and into the log file (log_path) as it arrives; expect() and
cmd() search that stream from a cursor that only moves forward.

Acceleration is TCG unless SPINDLE_KVM=1 and /dev/kvm can be opened.
kill() ends QEMU by its own pid; it runs on context exit, on garbage
collection of a started machine and at interpreter exit (atexit).
This module does not judge results: it raises MachineTimeout or
MachineExited (both AssertionError, so a scenario fails with a clear reason).
"""

import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import weakref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_ISO = os.path.join(REPO, "build", "test", "spindle.iso")
QEMU_BIN = os.environ.get("SPINDLE_QEMU", "qemu-system-i386")
PROMPT = "spindle> "
# A kernel log line on the console: "[    1.234] text" (kernel/klog.h).
LOG_LINE_RE = re.compile(r"^\[\s*\d+\.\d{3}\] ")
_PROMPT_RE = re.compile(r"^" + re.escape(PROMPT), re.M)
DEBUG_EXIT_DEVICE = "isa-debug-exit,iobase=0xf4,iosize=4"


class MachineTimeout(AssertionError):
    """Something expected on the serial console or from QEMU did not come in time."""


class MachineExited(AssertionError):
    """QEMU ended (or closed the serial line) while we still waited for output."""


class QMPError(Exception):
    """QMP answered a command with an error; .klass and .desc say which."""

    def __init__(self, cmd, klass, desc):
        super().__init__("QMP %s failed: %s: %s" % (cmd, klass, desc))
        self.klass = klass
        self.desc = desc


def is_log_line(line):
    """True if `line` is a kernel log line ("[    1.234] ...")."""
    return LOG_LINE_RE.match(line) is not None


_EMBEDDED_LOG_RE = re.compile(r"(?<=[^\n])\[ *\d+\.\d{3}\] [^\n]*\n")


def split_output(text, command=None, keep_log_lines=False):
    """Turn raw console text between a command and the next prompt into lines.

    CRLF / CR line ends are normalised and trailing '\\r' stripped. If
    `command` is given, the first non-log line equal to it (the echo) and
    anything before it is dropped. The empty remainder before the prompt is
    dropped. Kernel log lines are removed unless keep_log_lines.
    """
    # A log line printed while a command's output was being written lands in
    # the middle of an output line: cut it out so the output line is whole.
    text = _EMBEDDED_LOG_RE.sub("", text.replace("\r\n", "\n"))
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if command is not None:
        cmd = command.rstrip("\r\n")
        for i, ln in enumerate(lines):
            if is_log_line(ln) or ln == "":
                continue
            # The echo may carry a redrawn prompt or stray CRs in front.
            if ln == cmd or ln.endswith(cmd):
                lines = lines[i + 1:]
            break
    if not keep_log_lines:
        lines = [ln for ln in lines if not is_log_line(ln)]
    return lines


def kvm_usable():
    """(bool, reason): KVM is used only when asked for and /dev/kvm opens."""
    if os.environ.get("SPINDLE_KVM") != "1":
        return False, "SPINDLE_KVM is not 1 (TCG is the default; /dev/kvm here is slow)"
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
    except OSError as e:
        return False, "/dev/kvm not usable (%s)" % e.strerror
    return True, "SPINDLE_KVM=1 and /dev/kvm opens"


def _has_opt(args, *names):
    return any(a in names for a in args)


def _args_mention(args, text):
    return any(text in a for a in args)


# Every started machine, so atexit can end the ones a crashed test left behind.
_live = weakref.WeakSet()


@atexit.register
def kill_all():
    """Kill every machine still running (also runs at interpreter exit)."""
    for m in list(_live):
        m.kill()


class _Match:
    """A regex match on the serial stream: start()/end() are offsets into
    Machine.log; group()/groups()/groupdict() as in re.Match."""

    def __init__(self, m, base):
        self._m = m
        self._base = base
        self.re = m.re

    def start(self, g=0):
        return self._m.start(g) + self._base

    def end(self, g=0):
        return self._m.end(g) + self._base

    def span(self, g=0):
        return self.start(g), self.end(g)

    def group(self, *g):
        return self._m.group(*g)

    def groups(self, default=None):
        return self._m.groups(default)

    def groupdict(self, default=None):
        return self._m.groupdict(default)

    def __getitem__(self, g):
        return self._m[g]


class QMP:
    """A QMP client on an accepted socket: handshake, commands, events.

    Commands are synchronous; events that arrive meanwhile are queued and
    returned by events() / wait_event(). Not thread-safe across callers other
    than through its own lock.
    """

    def __init__(self, sock):
        self._sock = sock
        self._buf = b""
        self._events = []
        self._lock = threading.Lock()
        self._next_id = 1
        self.greeting = None

    def _read_msg(self, deadline):
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise MachineTimeout("QMP: no reply in time")
            self._sock.settimeout(left)
            try:
                data = self._sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                raise MachineExited("QMP: connection lost (%s)" % e)
            if not data:
                raise MachineExited("QMP: connection closed by QEMU")
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        line = line.strip()
        if not line:
            return self._read_msg(deadline)
        return json.loads(line.decode("utf-8", "replace"))

    def handshake(self, timeout=10):
        deadline = time.monotonic() + timeout
        with self._lock:
            self.greeting = self._read_msg(deadline)
            if "QMP" not in self.greeting:
                raise QMPError("greeting", "Protocol", repr(self.greeting))
        self.execute("qmp_capabilities", timeout=timeout)

    def execute(self, cmd, args=None, timeout=10):
        """Run one QMP command; return its "return" value or raise QMPError."""
        deadline = time.monotonic() + timeout
        with self._lock:
            msg_id = self._next_id
            self._next_id += 1
            msg = {"execute": cmd, "id": msg_id}
            if args:
                msg["arguments"] = args
            try:
                self._sock.sendall(json.dumps(msg).encode() + b"\n")
            except OSError as e:
                raise MachineExited("QMP: send failed (%s)" % e)
            while True:
                reply = self._read_msg(deadline)
                if "event" in reply:
                    self._events.append(reply)
                    continue
                if reply.get("id") != msg_id:
                    continue
                if "error" in reply:
                    err = reply["error"]
                    raise QMPError(cmd, err.get("class", "?"), err.get("desc", "?"))
                return reply.get("return")

    def events(self, timeout=0.0):
        """Return and forget queued events, reading for up to `timeout` s first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                try:
                    self._events.append(self._read_msg(max(deadline, time.monotonic() + 0.01)))
                except MachineTimeout:
                    break
            out, self._events = self._events, []
        return out

    def wait_event(self, name, timeout=10):
        """Wait for an event called `name`; return it (others stay queued)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for i, ev in enumerate(self._events):
                    if ev.get("event") == name:
                        return self._events.pop(i)
                self._events.append(self._read_msg(deadline))

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass


class Machine:
    """One QEMU process running the Spindle ISO.

    args: extra QEMU arguments (list of strings), e.g. ["-M", "q35", "-device", "e1000"].
      Defaults added when absent: -M pc, -m 256, -nic none.
    iso: ISO to boot from the CD-ROM (None = no CD-ROM); default build/test/spindle.iso.
    name: used for the log file name.
    log_path: serial log file (default build/test-logs/<name>.log); QEMU's
      stdout/stderr go to <log_path minus .log>.stderr.
    debug_exit: add the isa-debug-exit device (port 0xf4) so the kernel can end QEMU.
    qmp: open a QMP monitor (self.qmp).
    """

    def __init__(self, args=(), iso=DEFAULT_ISO, name="vm", log_path=None,
                 debug_exit=True, qmp=True, kvm=None):
        self.args = list(args)
        self.iso = iso
        self.name = name
        if log_path is None:
            log_path = os.path.join(REPO, "build", "test-logs", name + ".log")
        self.log_path = log_path
        base = log_path[:-4] if log_path.endswith(".log") else log_path
        self.stderr_path = base + ".stderr"
        self.debug_exit = debug_exit
        self.want_qmp = qmp
        if kvm is None:
            kvm = kvm_usable()[0]
        self.kvm = kvm
        self.qmp = None
        self.proc = None
        self.exit_status = None
        self.start_time = None
        self._buf = bytearray() # every serial byte so far (appends are amortised O(1))
        self._pos = 0           # consume cursor: byte offset into _buf
        self._cond = threading.Condition()
        self._eof = False
        self._ser = None
        self._reader = None
        self._tmpdir = None
        self._logf = None
        self._killed = False

    # ---- life cycle -------------------------------------------------------------------

    def command_line(self, serial_path, qmp_path):
        a = self.args
        cmd = [QEMU_BIN]
        if not _has_opt(a, "-M", "-machine"):
            cmd += ["-M", "pc"]
        if not _has_opt(a, "-m"):
            cmd += ["-m", "256"]
        if not _has_opt(a, "-nic", "-net", "-netdev"):
            cmd += ["-nic", "none"]
        if not _has_opt(a, "-display", "-nographic"):
            cmd += ["-display", "none"]
        cmd += ["-accel", "kvm" if self.kvm else "tcg"]
        cmd += ["-no-reboot"]
        if self.debug_exit and not _args_mention(a, "isa-debug-exit"):
            cmd += ["-device", DEBUG_EXIT_DEVICE]
        if self.iso:
            cmd += ["-cdrom", self.iso, "-boot", "d"]
        cmd += ["-chardev", "socket,id=ser0,path=%s" % serial_path,
                "-serial", "chardev:ser0"]
        if self.want_qmp:
            cmd += ["-chardev", "socket,id=qmp0,path=%s" % qmp_path,
                    "-mon", "chardev=qmp0,mode=control"]
        return cmd + a

    def start(self, timeout=15):
        """Start QEMU and connect serial (and QMP). Returns self. Only once."""
        if self.proc is not None:
            raise RuntimeError("machine %s already started" % self.name)
        # 1. Listen on the two sockets (short /tmp path: sun_path is ~108 bytes).
        if self.iso and not os.path.exists(self.iso):
            raise FileNotFoundError("ISO not found: %s (build it: make BUILD=build/test "
                                    "KTEST=1 iso)" % self.iso)
        self._tmpdir = tempfile.mkdtemp(prefix="spq-")
        ser_path = os.path.join(self._tmpdir, "serial")
        qmp_path = os.path.join(self._tmpdir, "qmp")
        ser_l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ser_l.bind(ser_path)
        ser_l.listen(1)
        qmp_l = None
        if self.want_qmp:
            qmp_l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            qmp_l.bind(qmp_path)
            qmp_l.listen(1)
        # 2. Start QEMU in its own session (a terminal Ctrl-C reaches only us;
        #    we then kill it), stdout and stderr to the .stderr file.
        os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
        self._logf = open(self.log_path, "wb")
        errf = open(self.stderr_path, "wb")
        self.cmdline = self.command_line(ser_path, qmp_path)
        errf.write(("# " + " ".join(self.cmdline) + "\n").encode())
        errf.flush()
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(self.cmdline, stdin=subprocess.DEVNULL, stdout=errf,
                                     stderr=errf, start_new_session=True)
        errf.close()
        _live.add(self)
        # 3. Accept QEMU's connections; give up if QEMU dies first.
        try:
            self._ser = self._accept(ser_l, timeout)
            if qmp_l is not None:
                qmp_sock = self._accept(qmp_l, timeout)
                self.qmp = QMP(qmp_sock)
        finally:
            ser_l.close()
            if qmp_l is not None:
                qmp_l.close()
        # 4. Start the serial reader, then the QMP handshake.
        self._reader = threading.Thread(target=self._read_serial, name="serial-" + self.name,
                                        daemon=True)
        self._reader.start()
        if self.qmp is not None:
            try:
                self.qmp.handshake(timeout)
            except MachineExited:
                if self.proc.wait(5) is not None:
                    raise MachineExited("QEMU exited with status %d at start: %s"
                                        % (self.proc.returncode, self.stderr_tail()))
                raise
        return self

    def stderr_tail(self, n=400):
        """The end of QEMU's stderr file (its error messages), one line."""
        try:
            with open(self.stderr_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        text = " | ".join(ln for ln in lines if not ln.startswith("# "))
        return text[-n:]

    def _accept(self, lsock, timeout):
        deadline = time.monotonic() + timeout
        lsock.settimeout(0.2)
        while True:
            try:
                conn, _ = lsock.accept()
                conn.settimeout(None)
                return conn
            except socket.timeout:
                pass
            if self.proc.poll() is not None:
                raise MachineExited("QEMU exited with status %d before connecting: %s"
                                    % (self.proc.returncode, self.stderr_tail()))
            if time.monotonic() > deadline:
                self.kill()
                raise MachineTimeout("QEMU did not connect its sockets in %ss" % timeout)

    def _read_serial(self):
        while True:
            try:
                data = self._ser.recv(65536)
            except OSError:
                data = b""
            if data:
                try:
                    self._logf.write(data)
                    self._logf.flush()
                except (ValueError, OSError):
                    pass
            with self._cond:
                if data:
                    self._buf += data
                else:
                    self._eof = True
                self._cond.notify_all()
            if not data:
                return

    def kill(self):
        """End QEMU (SIGKILL to its pid) if it still runs; close everything. Idempotent."""
        if self._killed:
            return
        self._killed = True
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None and self.exit_status is None:
            self.exit_status = self.proc.returncode
        if self._reader is not None:
            self._reader.join(2)
        for s in (self._ser, self.qmp):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if self._logf is not None:
            try:
                self._logf.close()
            except OSError:
                pass
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        _live.discard(self)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def __del__(self):
        try:
            self.kill()
        except Exception:
            pass

    # ---- serial -----------------------------------------------------------------------

    # Serial bytes are decoded as Latin-1: one character per byte, so string
    # offsets equal byte offsets (the kernel writes ASCII).
    def _text(self, start, end=None):
        with self._cond:
            return bytes(self._buf[start:end]).decode("latin-1")

    @property
    def log(self):
        """Everything QEMU wrote to the serial port so far."""
        return self._text(0)

    def elapsed(self):
        """Seconds since QEMU was started."""
        return time.monotonic() - self.start_time

    def send(self, data):
        """Write raw bytes (or a str, UTF-8) to the serial port, unchanged."""
        if isinstance(data, str):
            data = data.encode()
        try:
            self._ser.sendall(data)
        except OSError as e:
            raise MachineExited("serial: send failed, QEMU gone? (%s)" % e)

    def _tail(self, n=300):
        t = self._text(max(self._pos, len(self._buf) - n))
        return t.replace("\r", "")[-n:]

    def expect(self, regex, timeout=10, flags=re.M):
        """Wait until `regex` matches the serial stream after the cursor; move
        the cursor past the match and return the match object."""
        pat = re.compile(regex, flags) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                # Search a window from one byte before the cursor so that "^"
                # still means "at a line start" (re looks at the previous char).
                base = max(0, self._pos - 1)
                window = bytes(self._buf[base:]).decode("latin-1")
                m = pat.search(window, self._pos - base)
                if m:
                    self._pos = base + m.end()
                    return _Match(m, base)
                if self._eof:
                    status = self.proc.poll() if self.proc else None
                    raise MachineExited("QEMU ended (status %s) while waiting for %r; "
                                        "last output: %r" % (status, pat.pattern, self._tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MachineTimeout("no %r within %.0fs; last output: %r"
                                         % (pat.pattern, timeout, self._tail()))
                self._cond.wait(min(left, 0.5))

    def wait_prompt(self, timeout=60):
        """Wait for the next "spindle> " at the start of a line."""
        return self.expect(_PROMPT_RE, timeout)

    def wait_log_quiet(self, rounds=4, tries=40, pause=0.5):
        """Wait until `rounds` echo commands in a row come back without a
        kernel log line (drivers that probe after the prompt, e.g. the IDE
        driver scanning the boot CD, have finished talking)."""
        quiet = 0
        for _ in range(tries):
            quiet = quiet + 1 if self.cmd("echo quiet", keep_log_lines=True) == ["quiet"] else 0
            if quiet == rounds:
                return
            time.sleep(pause)

    def resync(self, timeout=60):
        """Get back in step with the shell after typing commands whose prompts
        may or may not have come yet (a command cut short by a device pulled
        mid-way): echo a fresh token, skip everything up to its output line
        and the prompt after it. cmd() may be used again afterwards."""
        self._resyncs = getattr(self, "_resyncs", 0) + 1
        token = "resync-%d-%d" % (os.getpid(), self._resyncs)
        self.send("echo %s\r" % token)
        self.expect(r"^%s\r?$" % re.escape(token), timeout)
        self.wait_prompt(timeout)

    def cmd(self, text, timeout=10, keep_log_lines=False):
        """Type `text` + CR, wait for the next prompt, return the output lines
        between the echoed command and the prompt (log lines removed unless
        keep_log_lines). Assumes the shell is at a prompt."""
        with self._cond:
            start = self._pos
        self.send(text + "\r")
        m = self.wait_prompt(timeout)
        return split_output(self._text(start, m.start()), text, keep_log_lines)

    def wait_disk(self, name, pattern, timeout=20):
        """Poll `disks` until disk `name`'s line matches `pattern` (re.match);
        return that line. For media that come and go (CD trays, card readers,
        hot-plug)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [l for l in self.cmd("disks") if l.startswith(name + " ")]
            if lines and re.match(pattern, lines[0]):
                return lines[0]
            assert time.monotonic() < deadline, \
                "%s never matched %r: %r" % (name, pattern, lines)
            time.sleep(0.5)

    def output_until_exit(self, start, command=None, timeout=30, keep_log_lines=False,
                          prompt_grace=3.0):
        """After typing a command that should end the machine: wait for QEMU to
        exit and return (exit status, output lines since position `start`).
        If the shell prints a new prompt instead, fail after `prompt_grace` s
        (a command that returns to the prompt did not end the machine)."""
        deadline = time.monotonic() + timeout
        prompt_seen = None
        while True:
            try:
                status = self.wait_exit(0.2)
                break
            except MachineTimeout:
                pass
            now = time.monotonic()
            text = self._text(start)
            if prompt_seen is None and _PROMPT_RE.search(text):
                prompt_seen = now
            if prompt_seen is not None and now - prompt_seen > prompt_grace:
                lines = split_output(text[:_PROMPT_RE.search(text).start()], command,
                                     keep_log_lines)
                raise MachineTimeout("the shell returned to its prompt and QEMU kept "
                                     "running; output: %r" % lines[-5:])
            if now > deadline:
                raise MachineTimeout("QEMU still running after %.0fs; last output: %r"
                                     % (timeout, self._tail()))
        with self._cond:
            text = self._text(start)
            self._pos = len(self._buf)
        return status, split_output(text, command, keep_log_lines)

    def position(self):
        """The cursor (an index into .log) - pass to output_until_exit."""
        with self._cond:
            return self._pos

    # ---- exit -------------------------------------------------------------------------

    def wait_exit(self, timeout=30):
        """Wait for QEMU to end by itself; return its exit status (isa-debug-exit
        value v gives (v << 1) | 1, ACPI power off gives 0)."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise MachineTimeout("QEMU still running after %.0fs; last output: %r"
                                 % (timeout, self._tail()))
        self.exit_status = status
        # Let the reader drain the last bytes before anyone reads .log.
        if self._reader is not None:
            self._reader.join(2)
        return status

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None
