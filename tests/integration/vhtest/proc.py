"""Child processes with a log file each, killed on every exit path.

Every child runs in its own session (process group); stop() signals that
group, and an atexit hook plus SIGTERM/SIGINT/SIGHUP handlers stop whatever
is still running, so an aborted run leaves no DPDK process behind.
"""
import atexit
import os
import re
import signal
import subprocess
import sys
import time

_live = []
abort_note = ""  # printed when a signal aborts the run


def _stop_all():
    for p in list(_live):
        p.stop(timeout=3)


def _on_signal(signum, frame):
    _stop_all()
    sys.stderr.write("test_testpmd: killed by signal %d; %s\n" % (signum, abort_note))
    os._exit(128 + signum)


atexit.register(_stop_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class Proc:
    def __init__(self, name, argv, logpath, stdin=False, env=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self._log = open(logpath, "wb")
        self._log.write(("$ " + " ".join(argv) + "\n").encode())
        self._log.flush()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=self._log, stderr=subprocess.STDOUT,
                                  start_new_session=True, env=env)
        self.pid = self.p.pid
        _live.append(self)

    def alive(self):
        return self.p.poll() is None

    def text(self, start=0):
        with open(self.logpath, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    def size(self):
        return os.path.getsize(self.logpath)

    def wait_for(self, pattern, timeout, start=0):
        """Wait until regex `pattern` appears in the log after byte `start`.
        Returns the match, or raises RuntimeError on timeout or exit."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(start))
            if m:
                return m
            if not self.alive():
                raise RuntimeError("%s exited (status %s) before printing %r" % (
                    self.name, self.p.returncode, pattern))
            if time.monotonic() > end:
                raise RuntimeError("%s: no %r within %ds" % (self.name, pattern, timeout))
            time.sleep(0.05)

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the child's process group; SIGKILL after `timeout` seconds.
        Returns the exit status (negative: killed by that signal)."""
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(5)
        if self.p.stdin:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if self in _live:
            _live.remove(self)
        self._log.close()
        return self.p.returncode

    def tail(self, n=20):
        try:
            lines = self.text().splitlines()
        except OSError as e:
            return ["(log unreadable: %s)" % e]
        return lines[-n:]
