#!/usr/bin/env python3
"""scripts/vhacc-ctl against a real vhacc (and against fake telemetry servers).

A vhacc with two cross-connected ports (vm1, vm2) and one dpdk-testpmd with a
net_virtio_user port on each (so that the ports have vrings and traffic),
every DPDK process with its own --file-prefix. Every subcommand is run as an
operator or a migration hook would run it, checking exit status (0 success,
1 failure with one line on stderr, 2 usage error), the human output and the
--json output: idempotent suspend/resume/mode, unknown port, unknown mode
(mode unchanged), queue-state exact after suspend (and not moving while
traffic is offered), port-add/port-del, the lock that serializes vhacc-ctl
runs, --timeout against a socket that never answers, state-save --local in
chunks against a fake server (generation change refused, target untouched).
The state-* commands against vhacc are SKIPped when vhacc does not know them.

Output: "PASS: <name>" / "FAIL: <name>: <reason>" / "SKIP: <name>: <why>"
lines, then "N passed, N failed, N skipped"; exit status 0 iff nothing failed.
"""
import argparse
import concurrent.futures
import fcntl
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vhtest import proc  # noqa: E402
from vhtest.backends import Vhacc  # noqa: E402
from vhtest.testpmd import Testpmd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "scripts", "vhacc-ctl")
COMMANDS = ["ports", "info", "stats", "lcores", "mode", "suspend", "resume", "queue-state",
            "port-add", "port-del", "state-save", "state-load", "state-size"]


class Results:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def ok(self, name):
        print("PASS: " + name, flush=True)
        self.passed += 1

    def ko(self, name, why):
        print("FAIL: %s: %s" % (name, " ".join(str(why).split())), flush=True)
        self.failed += 1

    def skip(self, name, why):
        print("SKIP: %s: %s" % (name, why), flush=True)
        self.skipped += 1


R = Results()


class Ctl:
    """Runs vhacc-ctl with a default --prefix (or none) and a private lock directory."""

    def __init__(self, prefix, lock_dir):
        self.prefix, self.env = prefix, dict(os.environ, VHACC_CTL_LOCK_DIR=lock_dir)

    def run(self, *args, prefix=True, limit=30):
        argv = [sys.executable, CLI] + (["--prefix", self.prefix] if prefix and self.prefix else [])
        t0 = time.monotonic()
        p = subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                           timeout=limit, env=self.env)
        p.elapsed = time.monotonic() - t0
        return p

    def expect(self, name, args, rc=0, out=None, err=None, js=None, prefix=True):
        """Run vhacc-ctl; check the exit status, stdout against regex `out`,
        stderr (exactly one line on failure) against regex `err`, and with
        `js` a function of the parsed stdout that returns a problem or None.
        Returns the process (or None if it could not run)."""
        return self.report(name, args, self.try_run(args, prefix), rc, out, err, js)

    def expect_all(self, cases):
        """expect() for each (name, args, keyword arguments) of cases, the
        processes run at the same time (against one vhacc they take turns on
        the lock); reported in order."""
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            procs = list(ex.map(lambda c: self.try_run(c[1], c[2].get("prefix", True)), cases))
        for (name, args, kw), p in zip(cases, procs):
            kw = {k: v for k, v in kw.items() if k != "prefix"}
            self.report(name, args, p, **kw)

    def try_run(self, args, prefix):
        try:
            return self.run(*args, prefix=prefix)
        except subprocess.TimeoutExpired:
            return None

    @staticmethod
    def report(name, args, p, rc=0, out=None, err=None, js=None):
        if p is None:
            R.ko(name, "vhacc-ctl %s did not exit within 30 s" % " ".join(args))
            return None
        why = problems(p, rc, out, err, js)
        if why:
            R.ko(name, "vhacc-ctl %s: %s (rc %d, stdout %r, stderr %r)" % (
                " ".join(str(a) for a in args), why, p.returncode, p.stdout[-300:], p.stderr[-300:]))
        else:
            R.ok(name)
        return p


def problems(p, rc, out=None, err=None, js=None):
    if p.returncode != rc:
        return "exit status %d, expected %d" % (p.returncode, rc)
    if rc == 1 and (len(p.stderr.splitlines()) != 1 or not p.stderr.startswith("vhacc-ctl: ")):
        return "stderr is not one 'vhacc-ctl: ' line"
    if rc == 0 and p.stderr:
        return "stderr not empty"
    if out is not None and not re.search(out, p.stdout):
        return "stdout does not match %r" % out
    if err is not None and not re.search(err, p.stderr):
        return "stderr does not match %r" % err
    if js is not None:
        try:
            d = json.loads(p.stdout)
        except ValueError as e:
            return "stdout is not JSON: %s" % e
        return js(d)
    return None


def jcheck(cond, what):
    """A js check: cond(d) must hold."""
    def f(d):
        try:
            return None if cond(d) else "%s: got %s" % (what, json.dumps(d)[:400])
        except (KeyError, TypeError, AttributeError, IndexError) as e:
            return "%s: %s in %s" % (what, e, json.dumps(d)[:400])
    return f


# ---- fake telemetry servers ---------------------------------------------------------------

class FakeTelemetry(threading.Thread):
    """A SEQPACKET listener at path. silent: never accepts, never answers.
    Otherwise a DPDK-like telemetry server: greeting, then answers
    {cmd: handler(params)} (handler None or missing: null, as DPDK does for
    an unknown command)."""

    def __init__(self, path, handlers=None, silent=False):
        super().__init__(daemon=True)
        self.path, self.handlers, self.silent = path, handlers or {}, silent
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(4)
        self.conns, self.requests = [], []
        if not silent:
            self.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            c.send(json.dumps({"version": "fake", "pid": os.getpid(), "max_output_len": 16384}).encode())
            while True:
                raw = c.recv(1024)
                if not raw:
                    return
                line = raw.decode()
                self.requests.append(line)
                cmd, _, params = line.partition(",")
                if cmd == "/":
                    val = ["/"] + sorted(self.handlers)
                else:
                    h = self.handlers.get(cmd)
                    val = h(params) if h else None
                c.send(json.dumps({cmd: val}).encode())
        except OSError:
            return

    def close(self):
        for c in [self.sock] + self.conns:
            try:
                c.close()
            except OSError:
                pass
        try:
            os.unlink(self.path)
        except OSError:
            pass


def state_handlers(data, gen_change_at=None, bad_offset=False):
    """state_size / state_read over `data`, as specified for vhacc; the
    generation moves on at the read of offset gen_change_at."""
    st = {"gen": 7}

    def size(params):
        return {"ok": 1, "errno": 0, "message": "snapshot", "size": len(data), "generation": st["gen"]}

    def read(params):
        port, off = params.split(",")
        off = int(off)
        if gen_change_at is not None and off >= gen_change_at:
            st["gen"] = 8
        chunk = data[off:off + 4096]
        padded = chunk + b"\0" * (-len(chunk) % 8)
        words = list(struct.unpack("<%dQ" % (len(padded) // 8), padded))
        return {"ok": 1, "errno": 0, "message": "", "generation": st["gen"],
                "offset": off + (8 if bad_offset and off else 0), "len": len(chunk),
                "remaining": len(data) - off - len(chunk), "words": words}

    return {"/vhacc/port/state_size": size, "/vhacc/port/state_read": read}


# ---- the cases ----------------------------------------------------------------------------

def usage_cases(ctl):
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        helps = list(ex.map(lambda a: ctl.run(*a, prefix=False),
                            [["--help"]] + [[c, "--help"] for c in COMMANDS]))
    p = helps[0]
    missing = [c for c in COMMANDS if c not in p.stdout]
    if p.returncode == 0 and not missing and not p.stderr:
        R.ok("--help exits 0 and lists every command")
    else:
        R.ko("--help", "rc %d, commands missing from the help: %s" % (p.returncode, missing))
    bad = []
    for c, p in zip(COMMANDS, helps[1:]):
        if p.returncode != 0 or "usage: vhacc-ctl " + c not in p.stdout or "--timeout" not in p.stdout:
            bad.append("%s (rc %d)" % (c, p.returncode))
    if bad:
        R.ko("COMMAND --help exits 0 with the command's usage", ", ".join(bad))
    else:
        R.ok("COMMAND --help exits 0 with the command's usage, for all %d commands" % len(COMMANDS))
    cases = []
    for name, args in (("no command", []), ("unknown command", ["bogus"]),
                       ("info without PORT", ["info"]),
                       ("suspend --drain-timeout not a number", ["suspend", "vm1", "--drain-timeout", "x"]),
                       ("suspend --drain-timeout 0", ["suspend", "vm1", "--drain-timeout", "0"]),
                       ("suspend --drain-timeout 60001", ["suspend", "vm1", "--drain-timeout", "60001"]),
                       ("drain timeout longer than --timeout", ["--timeout", "1", "suspend", "vm1",
                                                                "--drain-timeout", "5000"]),
                       ("--timeout 0", ["--timeout", "0", "ports"]),
                       ("port-add setting without =", ["port-add", "vm3", "loopback"]),
                       ("port-add value with a comma", ["port-add", "vm3", "mac=a,b"]),
                       ("port-add with two ethdev attachments", ["port-add", "vm3",
                                                                 "attach=ethdev:a,b=c",
                                                                 "attach=ethdev:d"]),
                       ("PORT with a comma", ["resume", "vm1,2"]),
                       ("state-save FILE with a comma", ["state-save", "vm1", "/tmp/a,b"]),
                       ("state-load FILE longer than vhacc takes", ["state-load", "vm1", "/" + "x" * 300]),
                       ("resume --wait 0", ["resume", "vm1", "--wait", "0"]),
                       ("resume --wait longer than --timeout", ["--timeout", "3", "resume", "vm1",
                                                                "--wait", "5"]),
                       ("too many arguments", ["resume", "vm1", "vm2"])):
        cases.append(("usage error exits 2: " + name, args, dict(rc=2, err=r"usage: vhacc-ctl")))
    ctl.expect_all(cases)


def connection_cases(ctl, tmp):
    ctl.expect("no vhacc with that --prefix: exit 1", ["--prefix", "vhcli-nobody-%d" % os.getpid(),
                                                       "ports"],
               rc=1, err=r"no telemetry socket for file prefix", prefix=False)
    ctl.expect("--socket that does not exist: exit 1", ["--socket", os.path.join(tmp, "none.sock"),
                                                        "ports"], rc=1, err=r"no such socket")
    # a listening SEQPACKET socket that never accepts and never answers
    path = os.path.join(tmp, "silent.sock")
    fake = FakeTelemetry(path, silent=True)
    try:
        p = ctl.expect("--timeout 1 against a socket that never answers: exit 1", [
            "--socket", path, "--timeout", "1", "suspend", "vm1"], rc=1, err=r"within 1s")
        # the elapsed time includes the interpreter's start (a second on a loaded machine)
        if p is not None:
            if 0.95 <= p.elapsed <= 4:
                R.ok("--timeout 1 gives up after 1 s, not the default 10 (%.2f s with "
                     "python's start)" % p.elapsed)
            else:
                R.ko("--timeout 1 gives up after 1 s", "took %.2f s" % p.elapsed)
    finally:
        fake.close()
    # a socket file nobody listens on
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    path = os.path.join(tmp, "dead.sock")
    s.bind(path)
    s.close()
    ctl.expect("socket without a listener: exit 1", ["--socket", path, "ports"], rc=1,
               err=r"cannot connect to .*refused")


def fake_state_cases(ctl, tmp):
    data = bytes((i * 7 + 3) & 0xFF for i in range(10001))  # 3 chunks, the last one padded
    path = os.path.join(tmp, "fake.sock")
    out = os.path.join(tmp, "out", "state.bin")
    os.makedirs(os.path.dirname(out))
    fake = FakeTelemetry(path, state_handlers(data))
    try:
        p = ctl.expect("state-save --local: chunked read of 10001 bytes (fake vhacc)", [
            "--socket", path, "state-save", "vm1", out, "--local"], rc=0,
            out=r"vm1: device state saved to .*10001 bytes, generation 7, 3 chunks")
        if p is not None and p.returncode == 0:
            with open(out, "rb") as f:
                got = f.read()
            reads = [r for r in fake.requests if r.startswith("/vhacc/port/state_read")]
            if got == data and reads == ["/vhacc/port/state_read,vm1,%d" % o for o in (0, 4096, 8192)]:
                R.ok("state-save --local: the file is the state, byte for byte, read at offsets 0, 4096, 8192")
            else:
                R.ko("state-save --local: file content", "%d bytes written (equal: %s), reads %s" % (
                    len(got), got == data, reads))
        ctl.expect("state-save --local --json", ["--socket", path, "--json", "state-save", "vm1", out,
                                                 "--local"],
                   js=jcheck(lambda d: d["ok"] == 1 and d["bytes"] == 10001 and d["generation"] == 7
                             and d["path"] == out, "ok, bytes 10001, generation 7, path"))
    finally:
        fake.close()
    for name, handlers, want in (
            ("generation changes between chunks", state_handlers(data, gen_change_at=4096),
             r"changed while it was read.*nothing written"),
            ("inconsistent offset", state_handlers(data, bad_offset=True), r"bad state_read answer"),
            ("vhacc without state commands", {}, r"does not know the command /vhacc/port/state_size")):
        with open(out, "wb") as f:
            f.write(b"old")
        fake = FakeTelemetry(path, handlers)
        try:
            p = ctl.expect("state-save --local refused: %s (fake vhacc)" % name, [
                "--socket", path, "state-save", "vm1", out, "--local"], rc=1, err=want)
        finally:
            fake.close()
        with open(out, "rb") as f:
            left = f.read()
        extra = [n for n in os.listdir(os.path.dirname(out)) if n != "state.bin"]
        if left == b"old" and not extra:
            R.ok("state-save --local refused (%s): the old file untouched, no temporary file left" % name)
        else:
            R.ko("state-save --local refused (%s): target untouched" % name,
                 "file now %d bytes, other files %s" % (len(left), extra))


def lock_case(ctl, lock_dir, prefix):
    """A vhacc-ctl waits for the lock of the same vhacc; gives up at --timeout."""
    os.makedirs(lock_dir, exist_ok=True)
    fd = os.open(os.path.join(lock_dir, prefix + ".ctl.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        p = ctl.expect("lock held by another client: exit 1 at --timeout", ["--timeout", "1", "ports"],
                       rc=1, err=r"another vhacc-ctl .*lock .*\.ctl\.lock")
        # released while a second vhacc-ctl waits: it goes on
        threading.Timer(0.5, fcntl.flock, (fd, fcntl.LOCK_UN)).start()
        p = ctl.expect("lock released while waiting: the command runs", ["--timeout", "5", "ports"],
                       rc=0, out=r"vm1")
        if p is not None and p.returncode == 0 and p.elapsed < 0.45:
            R.ko("the waiting command waited for the lock", "ran after %.2f s" % p.elapsed)
        ctl.expect("--no-lock ignores the lock", ["--no-lock", "--json", "ports"], rc=0,
                   js=jcheck(lambda d: "vm1" in d, "vm1 listed"))
    finally:
        os.close(fd)


def vhacc_cases(ctl, tp, prefix, tmp):
    ctl.expect("ports: a table with vm1 and vm2", ["ports"], out=r"(?s)ID\s+NAME.*\n0\s+vm1\s+active.*\n1\s+vm2")
    ctl.expect("ports --json", ["--json", "ports"], js=jcheck(lambda d: d == {"vm1": 0, "vm2": 1},
                                                              "{vm1: 0, vm2: 1}"))
    ctl.expect("info vm1", ["info", "vm1"], out=r"(?m)^name\s+vm1$")
    ctl.expect("info by id, --json after the command", ["info", "1", "--json"],
               js=jcheck(lambda d: d["name"] == "vm2" and d["link"] == "up", "vm2, link up"))
    ctl.expect("stats vm1", ["stats", "vm1"], out=r"(?s)VRING.*rxq0.*txq0.*qp0")
    ctl.expect("stats --json", ["--json", "stats", "vm2"],
               js=jcheck(lambda d: {"rxq0", "txq0", "qp0"} <= set(d), "rxq0, txq0, qp0"))
    ctl.expect("lcores", ["lcores"], out=r"(?s)control lcore 0.*WORKER.*\n1\s.*vm1:0 vm2:0")
    ctl.expect("lcores --json", ["--json", "lcores"],
               js=jcheck(lambda d: d["worker1"]["queues"] == "vm1:0 vm2:0", "worker1 polls vm1:0 vm2:0"))

    # eight vhacc-ctl at once: they take turns on the lock, each gets its answer
    ctl.expect_all([("unknown port: %s exits 1 with vhacc's message" % " ".join(args),
                     ["--timeout", "25"] + args, dict(rc=1, err=r"nope.*no such port \(ENODEV\)"))
                    for args in (["info", "nope"], ["stats", "nope"], ["suspend", "nope"],
                                 ["resume", "nope"], ["mode", "nope"], ["queue-state", "nope"],
                                 ["port-del", "nope"], ["mode", "nope", "stop"])])
    ctl.expect("unknown port with --json: the error object on stdout", ["--json", "info", "nope"], rc=1,
               js=jcheck(lambda d: d["ok"] == 0 and d["errno"] == 19, "ok 0, errno 19"))

    ctl.expect("mode vm1: active", ["mode", "vm1"], out=r"^vm1: active$")
    ctl.expect("unknown mode: exit 1", ["mode", "vm1", "bogus"], rc=1,
               err=r"unknown mode 'bogus'.*mode unchanged \(EINVAL\)")
    ctl.expect("unknown mode: the mode is unchanged", ["--json", "mode", "vm1"],
               js=jcheck(lambda d: d["mode"] == "active", "mode active"))

    # traffic between the two frontends while the ports are suspended and resumed
    tp.cmd("start tx_first")
    time.sleep(0.5)
    ctl.expect("suspend vm1 under traffic", ["suspend", "vm1", "--drain-timeout", "500"],
               out=r"^vm1: stop \(was active, drained in \d+ us\)$")
    ctl.expect("suspend vm2 --json", ["--json", "suspend", "vm2", "--drain-timeout", "500"],
               js=jcheck(lambda d: d["ok"] == 1 and d["mode"] == "stop" and d["changed"] == 1
                         and "drain_us" in d, "ok 1, mode stop, changed 1, drain_us"))
    ctl.expect("suspend again: exit 0, says so", ["suspend", "vm1"],
               out=r"^vm1: already in mode stop, nothing changed$")
    ctl.expect("suspend again --json: changed 0", ["--json", "suspend", "vm1"],
               js=jcheck(lambda d: d["ok"] == 1 and d["changed"] == 0 and d["mode"] == "stop",
                         "ok 1, changed 0"))

    def exact(d):
        qs = {k: v for k, v in d.items() if re.match(r"[rt]xq\d+$", k)}
        return (d["mode"] == "stop" and {"rxq0", "txq0"} <= set(qs)
                and all(v["exact"] == 1 and v["held"] == 0 for v in qs.values()))
    p1 = ctl.expect("queue-state after suspend: exact 1, nothing held", ["--json", "queue-state", "vm1"],
                    js=jcheck(exact, "every vring exact 1, held 0"))
    time.sleep(0.3)
    p2 = ctl.run("--json", "queue-state", "vm1")
    if p1 is not None and p1.returncode == 0 and p2.returncode == 0:
        if p1.stdout == p2.stdout:
            R.ok("queue-state of a stopped port does not move while the frontend sends")
        else:
            R.ko("queue-state of a stopped port does not move", "%s then %s" % (p1.stdout, p2.stdout))
    ctl.expect("queue-state human output", ["queue-state", "vm1"],
               out=r"(?s)^vm1: mode stop, positions exact\nVRING.*EXACT\nrxq0\s+split\s+\d+.*\s1\ntxq0")

    ctl.expect("mode vm1 freeze", ["mode", "vm1", "freeze"], out=r"^vm1: freeze \(was stop\)$")
    ctl.expect("mode vm1 freeze again: exit 0, says so", ["mode", "vm1", "freeze"],
               out=r"^vm1: already in mode freeze, nothing changed$")
    ctl.expect("mode vm1 reads freeze", ["mode", "vm1"], out=r"^vm1: freeze$")
    attempt = state_cases(ctl, tmp)
    ctl.expect("resume vm1 from freeze", ["resume", "vm1"], out=r"^vm1: active \(was freeze\)$")
    ctl.expect("resume again: exit 0, says so", ["resume", "vm1"],
               out=r"^vm1: already in mode active, nothing changed$")
    ctl.expect("resume vm2 --json", ["--json", "resume", "vm2"],
               js=jcheck(lambda d: d["ok"] == 1 and d["mode"] == "active" and d["changed"] == 1,
                         "ok 1, mode active, changed 1"))
    ctl.expect("queue-state while active: exact 0", ["--json", "queue-state", "vm1"],
               js=jcheck(lambda d: d["mode"] == "active" and d["rxq0"]["exact"] == 0, "exact 0"))
    state_active_case(attempt)
    ctl.expect("mode vm1 stop, then active, through --socket",
               ["--socket", "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix, "mode", "vm1", "stop"],
               out=r"^vm1: stop \(was active, drained in \d+ us\)$", prefix=False)
    ctl.expect("mode vm1 active", ["mode", "vm1", "active"], out=r"^vm1: active \(was stop\)$")
    time.sleep(0.3)
    tp.cmd("stop")
    ctl.expect("traffic went through both ports", ["--json", "stats", "vm1"],
               js=jcheck(lambda d: d["txq0"]["packets"] > 0 and d["rxq0"]["packets"] > 0
                         and d["txq0"]["broken"] == 0, "txq0 and rxq0 packets > 0, not broken"))

    ctl.expect("port-add vm3", ["port-add", "vm3", "attach=loopback", "mtu=9000"],
               out=r"port vm3 added, id 2")
    ctl.expect("port-add: the port is there", ["--json", "info", "vm3"],
               js=jcheck(lambda d: d["mtu"] == 9000 and d["attach"] == "loopback", "mtu 9000, loopback"))
    ctl.expect("port-add of an existing name: exit 1", ["port-add", "vm3"], rc=1,
               err=r"already exists \(EEXIST\)")
    ctl.expect("port-add with a bad value: exit 1 with the configuration error",
               ["port-add", "vm4", "mtu=5"], rc=1, err=r"port\.vm4\.mtu: 5 is out of range")
    ctl.expect("port-add --json", ["--json", "port-add", "vm5"],
               js=jcheck(lambda d: d["ok"] == 1, "ok 1"))
    # an ethdev's devargs have commas: vhacc takes the rest of the request, vhacc-ctl sends it last
    msock = os.path.join(tmp, "m6.sock")
    devargs = "net_memif6,role=server,socket=%s,socket-abstract=no,id=3" % msock
    ctl.expect("port-add with ethdev devargs holding commas, given first",
               ["port-add", "vm6", "attach=ethdev:" + devargs, "mtu=2000"], out=r"port vm6 added")
    ctl.expect("port-add: the devargs whole, the setting after them applied", ["--json", "info", "vm6"],
               js=jcheck(lambda d: d["attach"] == "ethdev:" + devargs and d["mtu"] == 2000
                         and os.path.exists(msock),
                         "attach ethdev:%s, mtu 2000, memif socket created" % devargs))
    ctl.expect("port-del vm6", ["port-del", "vm6"], out=r"port vm6 removed")
    ctl.expect("port-del vm3", ["port-del", "vm3"], out=r"port vm3 removed")
    ctl.expect("port-del vm5 --json", ["--json", "port-del", "vm5"], js=jcheck(lambda d: d["ok"] == 1, "ok 1"))
    ctl.expect("port-del again: exit 1", ["port-del", "vm3"], rc=1, err=r"no such port")
    ctl.expect("ports after port-del", ["--json", "ports"],
               js=jcheck(lambda d: d == {"vm1": 0, "vm2": 1}, "vm1 and vm2 only"))


def state_cases(ctl, tmp):
    """state-size, state-save (by vhacc and --local), state-load of the frozen
    vm1; SKIP where vhacc does not know the command."""
    unknown = r"does not know the command (/vhacc/port/state_\w+)"

    def attempt(name, args, **kw):
        p = ctl.run(*args)
        m = re.search(unknown, p.stderr)
        if p.returncode == 1 and m:
            R.skip(name, "this vhacc has no %s yet" % m.group(1))
            return None
        why = problems(p, **kw)
        if why:
            R.ko(name, "vhacc-ctl %s: %s (rc %d, stdout %r, stderr %r)" % (
                " ".join(args), why, p.returncode, p.stdout[-300:], p.stderr[-300:]))
            return None
        R.ok(name)
        return p

    size = attempt("state-size of the frozen vm1", ["--json", "state-size", "vm1"], rc=0,
                   js=jcheck(lambda d: d["ok"] == 1 and d["size"] > 0 and "generation" in d,
                             "ok 1, size > 0, generation"))
    attempt("state-size of an unknown port: exit 1", ["state-size", "nope"], rc=1, err=r"nope")
    remote, local = os.path.join(tmp, "vm1.remote.state"), os.path.join(tmp, "vm1.local.state")
    saved = attempt("state-save vm1 FILE (written by vhacc)", ["--json", "state-save", "vm1", remote],
                    rc=0, js=jcheck(lambda d: d["ok"] == 1 and d["bytes"] > 0, "ok 1, bytes > 0"))
    if saved is not None:
        n = json.loads(saved.stdout)["bytes"]
        if os.path.exists(remote) and os.path.getsize(remote) == n:
            R.ok("state-save: the file has the bytes vhacc reported (%d)" % n)
        else:
            R.ko("state-save: the file has the bytes vhacc reported", "%s: %s, reported %d" % (
                remote, os.path.getsize(remote) if os.path.exists(remote) else "missing", n))
    got = attempt("state-save vm1 FILE --local (read over telemetry)",
                  ["state-save", "vm1", local, "--local"], rc=0, out=r"vm1: device state saved to")
    if got is not None and size is not None:
        want = json.loads(size.stdout)["size"]
        have = os.path.getsize(local) if os.path.exists(local) else -1
        if have != want:
            R.ko("state-save --local: the file has the snapshot's size", "%d bytes, state_size %d" % (have, want))
        elif saved is not None and open(local, "rb").read() != open(remote, "rb").read():
            R.ko("state-save --local and by vhacc write the same bytes", "the two files differ")
        else:
            R.ok("state-save --local: the file has the snapshot's size%s" % (
                ", the same bytes as vhacc's own file" if saved is not None else ""))
    if saved is not None:
        attempt("state-load vm1 FILE", ["state-load", "vm1", remote], rc=0,
                out=r"vm1: device state loaded from")
    else:
        attempt("state-load vm1 FILE", ["state-load", "vm1", os.path.join(tmp, "missing.state")],
                rc=1, err=r"state-load vm1")
    if saved is not None:
        # a frozen port whose loaded state waits for a frontend that does not come
        attempt("port-add vm7 start_mode=freeze (no frontend)", ["port-add", "vm7",
                                                                  "start_mode=freeze"],
                rc=0, out=r"port vm7 added")
        attempt("state-load vm7 FILE (vm1's state)", ["state-load", "vm7", remote], rc=0,
                out=r"vm7: device state loaded from")
        attempt("resume vm7 without a frontend: exit 1, EAGAIN, still frozen", ["resume", "vm7"],
                rc=1, err=r"resume vm7: .*stays frozen \(EAGAIN\)")
        t0 = time.monotonic()
        if attempt("resume vm7 --wait 2: asks again, then exit 1 with EAGAIN",
                   ["resume", "vm7", "--wait", "2"], rc=1, err=r"stays frozen \(EAGAIN\)"):
            took = time.monotonic() - t0
            if 2 <= took < 8:
                R.ok("resume --wait 2 kept asking for 2 s (%.1f s)" % took)
            else:
                R.ko("resume --wait 2 kept asking for 2 s", "returned after %.1f s" % took)
        attempt("vm7 still frozen", ["--json", "info", "vm7"], rc=0,
                js=jcheck(lambda d: d["mode"] == "freeze", "mode freeze"))
        attempt("port-del vm7", ["port-del", "vm7"], rc=0, out=r"port vm7 removed")
    attempt("state-load of a missing file: exit 1", ["state-load", "vm1",
                                                     os.path.join(tmp, "missing.state")], rc=1,
            err=r"state-load vm1: cannot open .*missing\.state")
    attempt("state-load into a port in mode stop (not freeze): exit 1", ["state-load", "vm2", remote],
            rc=1, err=r"state-load vm2: .*only in freeze \(EBUSY\)")
    return attempt


def state_active_case(attempt):
    attempt("state-size of an active port: exit 1", ["state-size", "vm1"], rc=1,
            err=r"state-size vm1: .*active.*\(EBUSY\)")


# ---- main ---------------------------------------------------------------------------------

class Topo:
    """What vhtest.backends.Vhacc needs of a case: two cross-connected ports."""
    name, topo, jumbo = "cli", "xconnect", False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    ap.add_argument("--vhacc", default=os.path.join(ROOT, "build", "app", "vhacc", "vhacc"))
    args = ap.parse_args()
    if not os.access(CLI, os.X_OK):
        print("FAIL: %s is not executable" % CLI)
        return 1
    tmp = tempfile.mkdtemp(prefix="vhcli-%d-" % os.getpid(), dir="/tmp")
    proc.abort_note = "logs kept in %s" % tmp
    lock_dir = os.path.join(tmp, "lock")
    prefix = "vhcli-%d" % os.getpid()
    ctl = Ctl(prefix, lock_dir)
    t0 = time.monotonic()
    backend, tp = None, None
    try:
        usage_cases(ctl)
        connection_cases(ctl, tmp)
        fake_state_cases(ctl, tmp)
        if shutil.which("dpdk-testpmd") is None:
            R.ko("vhacc cases", "dpdk-testpmd not found")
        elif not os.access(args.vhacc, os.X_OK):
            R.ko("vhacc cases", "%s not built" % args.vhacc)
        else:
            run = os.path.join(tmp, "run")
            os.makedirs(run)
            backend = Vhacc(Topo(), run, prefix, args.vhacc)
            backend.start()
            vdevs = ["net_virtio_user%d,path=%s,queue_size=256" % (i, os.path.join(run, s))
                     for i, s in enumerate(("vm1.sock", "vm2.sock"))]
            tp = Testpmd("frontends", os.path.join(tmp, "testpmd.log"), prefix + "-tp", vdevs,
                         ["--forward-mode=io", "--port-topology=paired", "--total-num-mbufs=4096"])
            tp.ready()
            tp.wait_link(0)
            tp.wait_link(1)
            lock_case(ctl, lock_dir, prefix)
            vhacc_cases(ctl, tp, prefix, tmp)
            if not backend.alive():
                R.ko("vhacc still running after every command", "it exited")
    except Exception as e:  # the harness or a process failed: this run's failure
        R.ko("harness", "%s: %s" % (type(e).__name__, e))
    finally:
        if tp is not None:
            tp.quit()
        if backend is not None and backend.procs:
            problem = backend.stop()
            if problem:
                R.ko("vhacc stops cleanly", problem)
        for p in (prefix, prefix + "-tp"):
            try:
                os.rmdir("/var/run/dpdk/" + p)  # DPDK leaves its empty runtime directory
            except OSError:
                pass
    if R.failed:
        for p in [backend.p if backend and backend.procs else None, tp]:
            if p is not None:
                print("  --- %s: %s (last lines)" % (p.name, p.logpath))
                for line in p.tail(15):
                    print("  | " + line)
        print("logs kept in %s" % tmp)
    elif args.keep:
        print("run directory kept: %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed, %d skipped (%.1f s)" % (R.passed, R.failed, R.skipped,
                                                        time.monotonic() - t0))
    return 0 if R.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
