#!/usr/bin/env python3
"""Packets through a vhost-user backend, with real dpdk-testpmd frontends.

Each case starts the backend (vhacc, or the net_vhost reference), then one or
two testpmd frontends, each with a net_virtio_user port on a backend socket and
a net_pcap port: io forwarding sends the frames of the pcap's rx file into the
virtio port and writes what the virtio port receives to the pcap's tx file.
When every receiver has written what it expects (or a deadline passes), the
frontends quit, the backend stops, and each received file is checked: every
sequence number exactly once, byte-identical to what was sent, in order,
nothing else.

Topologies: xconnect (frontends A and B on vm1 and vm2, traffic both ways),
loopback (A receives its own frames), ring (vm1's uplink is net_ring0, whose
TX feeds its RX: A receives its own frames), memif (vm1's uplink is a memif
server; a testpmd memif client with a pcap port is the other end, traffic both
ways). With --backend net_vhost, ring and memif are emulated by a testpmd that
io-forwards between a net_vhost port and net_ring0 / net_memif0.

Output: one "PASS: <case>" / "FAIL: <case>: <reasons>" / "SKIP: <case>: <why>"
line per case (FAIL lines are followed by indented log excerpts), then
"N passed, N failed, N skipped"; exit status 0 iff nothing failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vhtest import pcapfile, proc, traffic  # noqa: E402
from vhtest.backends import MEMIF_SOCK, NetVhost, Vhacc, retry_fwd  # noqa: E402
from vhtest.testpmd import Testpmd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JUMBO_SIZES = (9014, 9014, 9000, 8999, 8193, 6001, 4097, 3000, 2049, 2048, 1515, 9014)
SMALL_RXBUF = 2048  # largest frame in one default testpmd Rx buffer (2176 - 128 headroom)
DEADLINE = 60       # seconds for the whole transfer of one case
STALL = 8           # seconds without progress that end the wait early
SETTLE = 1.0        # seconds between all links up and the start of forwarding
LINGER = 0.5        # seconds to wait after the expected count, to see extras


class Case:
    def __init__(self, topo, mrg, inorder, qsize, jumbo=False, small_bufs=False):
        self.topo, self.mrg, self.inorder, self.qsize, self.jumbo = topo, mrg, inorder, qsize, jumbo
        # small_bufs: mrg_rxbuf=0 receivers keep 2 KB buffers: larger frames
        # must be dropped (and counted) without disturbing the others
        self.small_bufs = small_bufs

    def skip(self, backend):
        """Why this case does not run on `backend`, or None."""
        if self.small_bufs and backend == "net_vhost":
            return ("no reference behaviour: rte_vhost refuses a frame larger than the "
                    "non-mergeable buffer, testpmd's io retry then stalls and drops whole bursts")
        return None

    @property
    def name(self):
        topo = {"ring": "ethdev:net_ring", "memif": "ethdev:net_memif"}.get(self.topo, self.topo)
        return "%s%s split mrg=%d inorder=%d qsize=%d" % (
            topo, " jumbo" + (" small-bufs" if self.small_bufs else "") if self.jumbo else "",
            self.mrg, self.inorder, self.qsize)


def all_cases():
    cases = [Case("xconnect", m, i, q) for q in (256, 1024) for m in (0, 1) for i in (0, 1)]
    cases += [Case("loopback", m, 1, 256) for m in (0, 1)]
    cases += [Case("ring", m, 1, 256) for m in (0, 1)]
    cases += [Case("memif", m, 1, 256) for m in (0, 1)]
    cases += [Case("xconnect", 1, 1, 256, jumbo=True), Case("xconnect", 0, 0, 1024, jumbo=True),
              Case("xconnect", 0, 1, 256, jumbo=True, small_bufs=True)]
    return cases


QUICK = ("xconnect split mrg=0 inorder=0 qsize=1024", "loopback split mrg=1 inorder=1 qsize=256",
         "xconnect jumbo split mrg=1 inorder=1 qsize=256")


class Failure(Exception):
    pass


class Endpoint:
    """A testpmd with a pcap port 0 and a port 1 on the backend (virtio_user or memif).
    Sends the frames `sent` and expects to receive the frames `expect` of flow
    `recv_flow`, except those whose indexes are in `absent` (too big)."""

    def __init__(self, role, case, run_dir, prefix, port1, sent, recv_flow, expect, absent=()):
        self.role, self.run_dir = role, run_dir
        self.in_pcap = os.path.join(run_dir, role + "_in.pcap")
        self.out_pcap = os.path.join(run_dir, role + "_out.pcap")
        pcapfile.write(self.in_pcap, sent)
        self.recv_flow, self.expect, self.absent = recv_flow, expect, set(absent)
        app = ["--forward-mode=io", "--port-topology=paired", "--rxd=%d" % case.qsize,
               "--txd=%d" % case.qsize]
        self.jumbo, self.mrg = case.jumbo and not case.small_bufs, case.mrg
        app += ["--disable-device-start"]  # configured below, started by start_ports()
        if self.jumbo and not case.mrg:
            app += ["--mbuf-size=10240"]  # a 9014 B frame in one receive buffer
        app += ["--total-num-mbufs=%d" % (4096 if self.jumbo and not case.mrg else 8192)]
        vdevs = ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (self.in_pcap, self.out_pcap), port1]
        self.tp = Testpmd("frontend " + role, os.path.join(run_dir, role + ".log"), prefix,
                          vdevs, app, lcores="0,1", main=1)

    def start_ports(self):
        cmds = []
        if self.jumbo:
            # virtio_user wants Rx scatter for frames larger than its Rx
            # buffers even with mergeable buffers; the pcap port does not
            # offer it, so it is enabled on port 1 only
            if self.mrg:
                cmds.append("port config 1 rx_offload scatter on")
            cmds.append("port config mtu 1 9000")
        cmds.append("port start all")
        for c in cmds:
            out = self.tp.cmd(c, timeout=30)
            if re.search(r"rror|[Ff]ail|[Ii]nvalid", out):
                raise Failure("%s: %s: %s" % (self.role, c, " | ".join(out.strip().splitlines()[-4:])))

    def received(self):
        return pcapfile.count(self.out_pcap)


def virtio_vdev(case, sock):
    return ("net_virtio_user0,path=%s,queues=1,queue_size=%d,mrg_rxbuf=%d,in_order=%d,packed_vq=0"
            % (sock, case.qsize, case.mrg, case.inorder))


def run_case(case, args, run_dir):
    """Returns (status, reasons, info): status "PASS" or "FAIL"; info has
    "elapsed" (transfer seconds) and "procs" (the processes, for their logs)."""
    os.makedirs(run_dir)
    tag = "vht-%d-%s" % (os.getpid(), os.path.basename(run_dir))
    if args.backend == "vhacc":
        backend = Vhacc(case, run_dir, tag + "-vhacc", args.vhacc)
    else:
        backend = NetVhost(case, run_dir, tag + "-be")
    n = args.count
    lengths = traffic.sizes(n, extra=JUMBO_SIZES if case.jumbo else ())
    flow0 = traffic.flow_frames(0, lengths)
    flow1 = traffic.flow_frames(1, lengths[::-1])
    big0 = big1 = ()
    if case.small_bufs:
        big0 = [i for i, f in enumerate(flow0) if len(f) > SMALL_RXBUF]
        big1 = [i for i, f in enumerate(flow1) if len(f) > SMALL_RXBUF]
    sock = lambda name: os.path.join(run_dir, name)  # noqa: E731

    eps, reasons = [], []
    try:
        backend.start()
        if case.topo == "xconnect":
            eps.append(Endpoint("A", case, run_dir, tag + "-A", virtio_vdev(case, sock("vm1.sock")),
                                flow0, 1, flow1, big1))
            eps.append(Endpoint("B", case, run_dir, tag + "-B", virtio_vdev(case, sock("vm2.sock")),
                                flow1, 0, flow0, big0))
        elif case.topo in ("loopback", "ring"):
            eps.append(Endpoint("A", case, run_dir, tag + "-A", virtio_vdev(case, sock("vm1.sock")),
                                flow0, 0, flow0))
        elif case.topo == "memif":
            eps.append(Endpoint("A", case, run_dir, tag + "-A", virtio_vdev(case, sock("vm1.sock")),
                                flow0, 1, flow1))
            eps.append(Endpoint("P", case, run_dir, tag + "-P",
                                "net_memif0,role=client,socket=%s" % sock(MEMIF_SOCK), flow1, 0, flow0))
        for ep in eps:
            ep.tp.ready()
            ep.start_ports()
        for ep in eps:
            ep.tp.wait_link(1)
            retry_fwd(ep.tp)
        time.sleep(SETTLE)
        if not backend.alive():
            raise Failure("backend exited before traffic")
        # start every frontend at (nearly) the same time
        for ep in eps:
            ep.start_at = ep.tp.size()
            ep.tp.send("start")
        for ep in eps:
            ep.tp.wait_for(r"testpmd> ", 15, start=ep.start_at)

        t0 = time.monotonic()
        last, last_change = None, t0
        while True:
            counts = [ep.received() for ep in eps]
            now = time.monotonic()
            if all(c >= len(ep.expect) - len(ep.absent) for c, ep in zip(counts, eps)):
                time.sleep(LINGER)
                break
            if counts != last:
                last, last_change = counts, now
            if now - last_change > STALL or now - t0 > DEADLINE:
                reasons.append("transfer stalled after %.1fs" % (now - t0))
                break
            if not backend.alive():
                reasons.append("backend died during traffic")
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - t0

        if not reasons:
            if case.topo == "xconnect":
                expect = {"vm1": (flow0, flow1, big1), "vm2": (flow1, flow0, big0)}
            elif case.topo == "memif":
                expect = {"vm1": (flow0, flow1, ())}
            else:
                expect = {"vm1": (flow0, flow0, ())}
            reasons += ["%s: %s" % (backend.name, p) for p in backend.check(expect)]
        else:
            for ep in eps:
                try:
                    st = ep.tp.port_stats()
                    reasons.append("%s: pcap rx %s, port1 tx %s (err %s), port1 rx %s, pcap tx %s" % (
                        ep.role, st[0]["rx"], st[1]["tx"], st[1]["tx_errors"], st[1]["rx"], st[0]["tx"]))
                except Exception as e:  # diagnostics only
                    reasons.append("%s: no stats (%s)" % (ep.role, e))
            reasons += backend.diagnostics()
    except (Failure, RuntimeError, OSError) as e:
        reasons.append(str(e))
        elapsed = None
    except Exception as e:  # a harness bug: report it as this case's failure
        reasons.append("harness error %s: %s" % (type(e).__name__, e))
        elapsed = None
    finally:
        for ep in eps:
            rc = ep.tp.quit()
            if rc != 0 and not reasons:
                reasons.append("%s exited with status %s" % (ep.tp.name, rc))
        if backend.procs:
            try:
                problem = backend.stop()
            except Exception as e:
                problem = "stopping backend: %s" % e
            if problem:
                reasons.append(problem)

    for ep in eps if elapsed is not None else ():
        if not os.path.exists(ep.out_pcap):
            reasons.append("%s: no output pcap" % ep.role)
            continue
        got, problems = pcapfile.read(ep.out_pcap)
        for pr in problems[:3]:
            reasons.append("%s: pcap: %s" % (ep.role, pr))
        for pr in traffic.verify(ep.expect, got, ep.recv_flow, ordered=True, absent=ep.absent):
            reasons.append("%s received flow %d: %s" % (ep.role, ep.recv_flow, pr))
    # keep unique reasons, in order
    seen, uniq = set(), []
    for r in reasons:
        if r not in seen:
            seen.add(r)
            uniq.append(r)
    info = {"elapsed": elapsed, "procs": backend.procs + [ep.tp for ep in eps]}
    return ("FAIL" if uniq else "PASS"), uniq, info


def ensure_vhacc(path):
    if os.access(path, os.X_OK):
        return None
    build = os.path.join(ROOT, "build")
    if not os.path.isdir(build):
        r = subprocess.run(["meson", "setup", build], cwd=ROOT, capture_output=True, text=True)
        if r.returncode:
            return "meson setup failed: " + (r.stdout + r.stderr).strip().splitlines()[-1:][0]
    r = subprocess.run(["ninja", "-C", build], capture_output=True, text=True)
    if r.returncode or not os.access(path, os.X_OK):
        tail = [l for l in (r.stdout + r.stderr).splitlines() if "error" in l.lower()][:3]
        return "ninja -C build failed: " + " | ".join(tail or ["%s not built" % path])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=("vhacc", "net_vhost"), default="vhacc")
    ap.add_argument("--quick", action="store_true", help="only %d representative cases" % len(QUICK))
    ap.add_argument("-k", dest="filter", action="append", default=[],
                    help="run only cases whose name contains SUBSTRING (repeatable: any)")
    ap.add_argument("--keep", action="store_true", help="keep the run directory with all logs")
    ap.add_argument("--count", type=int, default=2000, help="frames per direction (default 2000)")
    ap.add_argument("--vhacc", default=os.path.join(ROOT, "build", "app", "vhacc", "vhacc"))
    ap.add_argument("--list", action="store_true", help="list the case names and exit")
    args = ap.parse_args()

    cases = all_cases()
    if args.quick:
        cases = [c for c in cases if c.name in QUICK]
    if args.filter:
        cases = [c for c in cases if any(f in c.name for f in args.filter)]
    if args.list:
        for c in cases:
            print(c.name)
        return 0
    if not cases:
        print("FAIL: no case matches the filter")
        return 1
    if shutil.which("dpdk-testpmd") is None:
        print("FAIL: dpdk-testpmd not found (install the dpdk package)")
        return 1
    if args.backend == "vhacc":
        err = ensure_vhacc(args.vhacc)
        if err:
            print("FAIL: build vhacc: %s" % err)
            return 1

    top = tempfile.mkdtemp(prefix="vht-%d-" % os.getpid(), dir="/tmp")
    proc.abort_note = "logs kept in %s" % top
    passed = failed = skipped = 0
    t_start = time.monotonic()
    for idx, case in enumerate(cases):
        why = case.skip(args.backend)
        if why:
            skipped += 1
            print("SKIP: %s: %s" % (case.name, why), flush=True)
            continue
        run_dir = os.path.join(top, "c%02d" % idx)
        t0 = time.monotonic()
        status, reasons, info = run_case(case, args, run_dir)
        dt = time.monotonic() - t0
        if status == "PASS":
            passed += 1
            print("PASS: %s (%.1fs)" % (case.name, dt), flush=True)
            if not args.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
            continue
        failed += 1
        print("FAIL: %s: %s" % (case.name, "; ".join(reasons)))
        print("  logs: %s" % run_dir)
        for p in info["procs"]:
            print("  --- %s: %s (last lines)" % (p.name, p.logpath))
            for line in p.tail(25):
                print("  | " + line)
        sys.stdout.flush()
    if failed == 0 and not args.keep:
        shutil.rmtree(top, ignore_errors=True)
    else:
        print("logs kept in %s" % top)
    print("%d passed, %d failed, %d skipped (%.0fs, backend %s)" % (
        passed, failed, skipped, time.monotonic() - t_start, args.backend))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
