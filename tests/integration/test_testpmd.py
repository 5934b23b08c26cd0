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
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))

from vhtest import pcapfile, proc, traffic  # noqa: E402
from vhtest.backends import MEMIF_SOCK, NetVhost, Vhacc, retry_fwd  # noqa: E402
from vhtest.testpmd import Testpmd  # noqa: E402
from vhacc_telemetry import TelemetryError, VhaccTelemetry  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JUMBO_SIZES = (9014, 9014, 9000, 8999, 8193, 6001, 4097, 3000, 2049, 2048, 1515, 9014)
SMALL_RXBUF = 2048  # largest frame in one default testpmd Rx buffer (2176 - 128 headroom)
DEADLINE = 60       # seconds for the whole transfer of one case
STALL = 8           # seconds without progress that end the wait early
SETTLE = 1.0        # seconds between all links up and the start of forwarding
LINGER = 0.5        # seconds to wait after the expected count, to see extras


class Case:
    def __init__(self, topo, mrg, inorder, qsize, jumbo=False, small_bufs=False, packed=False,
                 suspend=0, upgrade=False):
        self.topo, self.mrg, self.inorder, self.qsize, self.jumbo = topo, mrg, inorder, qsize, jumbo
        # suspend: suspend/resume cycles of every port while the traffic runs
        self.suspend = suspend
        # upgrade: vhacc replaced by a new process in the middle of the traffic
        # (suspend, state_save, stop, start frozen, state_load, resume)
        self.upgrade = upgrade
        # packed: virtio_user packed_vq=1 (vhacc offers VIRTIO_F_RING_PACKED);
        # "A": frontend A packed, B split (frames cross between the two layouts)
        self.packed = packed
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
        return "%s%s %s mrg=%d inorder=%d qsize=%d%s" % (
            topo, " jumbo" + (" small-bufs" if self.small_bufs else "") if self.jumbo else "",
            {True: "packed", "A": "packed-split"}.get(self.packed, "split"), self.mrg,
            self.inorder, self.qsize, " suspend=%d" % self.suspend if self.suspend else "") + (
            " hot-upgrade" if self.upgrade else "")


def all_cases():
    cases = [Case("xconnect", m, i, q) for q in (256, 1024) for m in (0, 1) for i in (0, 1)]
    cases += [Case("loopback", m, 1, 256) for m in (0, 1)]
    cases += [Case("ring", m, 1, 256) for m in (0, 1)]
    cases += [Case("memif", m, 1, 256) for m in (0, 1)]
    cases += [Case("xconnect", 1, 1, 256, jumbo=True), Case("xconnect", 0, 0, 1024, jumbo=True),
              Case("xconnect", 0, 1, 256, jumbo=True, small_bufs=True)]
    # packed rings
    cases += [Case("xconnect", m, i, 256, packed=True) for m in (0, 1) for i in (0, 1)]
    cases += [Case("xconnect", 0, 0, 1024, packed=True)]
    cases += [Case("loopback", m, 1, 256, packed=True) for m in (0, 1)]
    cases += [Case("ring", 1, 1, 256, packed=True)]
    cases += [Case("xconnect", m, 1, 256, packed="A") for m in (0, 1)]
    # port modes: suspend/resume cycles under traffic, nothing lost or duplicated
    cases += [Case("xconnect", 1, 0, 256, upgrade=True),
              Case("xconnect", 0, 1, 1024, upgrade=True)]
    cases += [Case("xconnect", 1, 0, 256, suspend=100),
              Case("xconnect", 1, 1, 256, packed=True, suspend=100),
              Case("loopback", 0, 1, 256, suspend=50)]
    cases += [Case("xconnect", 1, 1, 256, jumbo=True, packed=True),
              Case("xconnect", 0, 1, 256, jumbo=True, small_bufs=True, packed=True)]
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


def virtio_vdev(case, sock, role="A"):
    packed = case.packed is True or (case.packed == "A" and role == "A")
    if getattr(case, "upgrade", False):  # the frontend listens; vhacc connects
        sock = sock.replace(".sock", "-fe.sock") + ",server=1"
    return ("net_virtio_user0,path=%s,queues=1,queue_size=%d,mrg_rxbuf=%d,in_order=%d,packed_vq=%d"
            % (sock, case.qsize, case.mrg, case.inorder, int(packed)))


class SuspendCycles(threading.Thread):
    """Suspend and resume every port of the case, `cycles` times, over one
    telemetry connection, while the frontends send `total` frames each. The
    ports are stopped most of the time (frames pile up in the guests' TX
    rings) and resumed briefly, so the traffic lasts as long as the cycles; a
    cycle counts as under load if vm1 had not sent everything when it
    suspended. Each answer must be ok with the port in the mode asked."""

    def __init__(self, prefix, ports, cycles, total):
        super().__init__(daemon=True)
        self.prefix, self.ports, self.cycles, self.total = prefix, ports, cycles, total
        self.problems, self.under_load, self.drain_us = [], 0, []

    def call(self, t, cmd, port, *args):
        want = "stop" if cmd == "suspend" else "active"
        r = t.call("/vhacc/port/" + cmd, port, *args)
        if not r.get("ok") or r.get("mode") != want:
            self.problems.append("%s %s: %s" % (cmd, port, r))
            return None
        return r

    def run(self):
        try:
            with VhaccTelemetry(prefix=self.prefix) as t:
                for _ in range(self.cycles):
                    sent = t.call("/vhacc/port/stats", "vm1").get("txq0", {}).get("packets", 0)
                    for port in self.ports:
                        r = self.call(t, "suspend", port, 1000)
                        if r is None:
                            return
                        self.drain_us.append(r.get("drain_us", 0))
                    self.under_load += sent < self.total
                    time.sleep(0.002)  # stopped: frames wait in the guests' rings
                    for port in self.ports:
                        if self.call(t, "resume", port) is None:
                            return
        except TelemetryError as e:
            self.problems.append(str(e))


class HotUpgrade(threading.Thread):
    """Replace vhacc in the middle of the traffic: once vm1 has sent a third of
    its frames, suspend every port and save its device state, stop vhacc,
    start a new one with the ports frozen, wait for the frontends to be
    reconnected, load the states and resume. Problems are collected."""

    def __init__(self, backend, ports, total):
        super().__init__(daemon=True)
        self.backend, self.ports, self.total = backend, ports, total
        self.problems, self.sent_at_suspend, self.timings = [], None, {}

    def expect(self, r, what, **want):
        if not r.get("ok") or any(r.get(k) != v for k, v in want.items()):
            raise RuntimeError("%s: %s" % (what, r))
        return r

    def run(self):
        b, d = self.backend, self.backend.run_dir
        try:
            with VhaccTelemetry(prefix=b.prefix) as t:
                deadline = time.monotonic() + DEADLINE
                while t.call("/vhacc/port/stats", "vm1")["txq0"]["packets"] < self.total // 3:
                    if time.monotonic() > deadline:
                        raise RuntimeError("traffic never reached a third of its frames")
                    time.sleep(0.005)
                t0 = time.monotonic()
                for p in self.ports:
                    self.expect(t.call("/vhacc/port/suspend", p, 1000), "suspend " + p,
                                mode="stop")
                self.sent_at_suspend = t.call("/vhacc/port/stats", "vm1")["txq0"]["packets"]
                for p in self.ports:
                    self.expect(t.call("/vhacc/port/state_save", p, "%s/%s.state" % (d, p)),
                                "state_save " + p)
            self.timings["suspend+save"] = time.monotonic() - t0
            problem = b.replace()
            if problem:
                self.problems.append(problem)
            with VhaccTelemetry(prefix=b.prefix) as t:
                deadline = time.monotonic() + DEADLINE
                for p in self.ports:
                    info = t.call("/vhacc/port/info", p)
                    if info.get("mode") != "freeze":
                        raise RuntimeError("new vhacc: %s starts in mode %s" % (p, info))
                    while t.call("/vhacc/port/info", p).get("vrings_running") != 2:
                        if time.monotonic() > deadline:
                            raise RuntimeError("%s: the frontend did not reconnect" % p)
                        time.sleep(0.05)
                for p in self.ports:
                    self.expect(t.call("/vhacc/port/state_load", p, "%s/%s.state" % (d, p)),
                                "state_load " + p)
                for p in self.ports:
                    self.expect(t.call("/vhacc/port/resume", p), "resume " + p, mode="active")
            self.timings["total"] = time.monotonic() - t0
        except (RuntimeError, TelemetryError, KeyError) as e:
            self.problems.append(str(e))


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
    if case.upgrade:
        lengths = traffic.sizes(n * 20, lo=60, hi=600)  # traffic that outlasts the upgrade
    if case.suspend:
        # many small frames (60..200 bytes), so that the cycles fit in the traffic
        lengths = traffic.sizes(n * 50, lo=60, hi=120)
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
            eps.append(Endpoint("B", case, run_dir, tag + "-B",
                                virtio_vdev(case, sock("vm2.sock"), "B"), flow1, 0, flow0, big0))
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
            retry_fwd(ep.tp, patient=case.upgrade)
        time.sleep(SETTLE)
        if not backend.alive():
            raise Failure("backend exited before traffic")
        cycler = upgrader = None
        if case.upgrade:
            upgrader = HotUpgrade(backend, ["vm1", "vm2"], len(flow0))
        if case.suspend:
            ports = ["vm1", "vm2"] if case.topo == "xconnect" else ["vm1"]
            cycler = SuspendCycles(backend.prefix, ports, case.suspend, len(flow0))
        # start every frontend at (nearly) the same time
        for ep in eps:
            ep.start_at = ep.tp.size()
            ep.tp.send("start")
        if cycler is not None:
            cycler.start()
        if upgrader is not None:
            upgrader.start()
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
            if not backend.alive() and not (upgrader is not None and upgrader.is_alive()):
                reasons.append("backend died during traffic")
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        if upgrader is not None:
            upgrader.join(DEADLINE)
            reasons += ["hot upgrade: %s" % p for p in upgrader.problems[:3]]
            if upgrader.is_alive():
                reasons.append("hot upgrade did not finish")
            elif not upgrader.problems and upgrader.sent_at_suspend >= len(flow0):
                reasons.append("hot upgrade came after the traffic (%d frames)" % len(flow0))
            elif not upgrader.problems:
                print("    upgraded after %s of %d frames: suspend+save %.0f ms, in all %.2f s" % (
                    upgrader.sent_at_suspend, len(flow0),
                    upgrader.timings.get("suspend+save", 0) * 1000,
                    upgrader.timings.get("total", 0)))
        if cycler is not None:
            cycler.join(DEADLINE)
            reasons += ["suspend/resume: %s" % p for p in cycler.problems[:3]]
            if cycler.is_alive():
                reasons.append("suspend/resume cycles did not finish")
            elif not cycler.problems and cycler.under_load < case.suspend:
                reasons.append("only %d of %d suspend/resume cycles ran under traffic" % (
                    cycler.under_load, case.suspend))
            if cycler.drain_us:
                d = sorted(cycler.drain_us)
                print("    %d cycles, %d under traffic; drain p50 %d us, p99 %d us" % (
                    case.suspend, cycler.under_load, d[len(d) // 2], d[len(d) * 99 // 100]))

        if not reasons:
            if case.topo == "xconnect":
                expect = {"vm1": (flow0, flow1, big1), "vm2": (flow1, flow0, big0)}
            elif case.topo == "memif":
                expect = {"vm1": (flow0, flow1, ())}
            else:
                expect = {"vm1": (flow0, flow0, ())}
            if case.upgrade:
                # the new vhacc counted only what it moved: no drop, no broken ring
                expect = {}
                for port in ("vm1", "vm2"):
                    st = backend.tel_json("/vhacc/port/stats," + port)
                    for q in ("txq0", "rxq0", "qp0"):
                        bad = {k: v for k, v in st.get(q, {}).items()
                               if (k.startswith("drop") or k == "broken") and v}
                        if bad:
                            reasons.append("new vhacc %s %s: %s" % (port, q, bad))
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
        # DPDK 22.11's net_memif unmaps the shared memory when its peer goes
        # away, without waiting for a burst in progress on another lcore
        # (memif_disconnect): the memif peer's forwarding stops, then vhacc,
        # then the peer quits (doc/configuration.md, ethdev attachments).
        last = [ep for ep in eps if ep.role == "P"]

        def quit_all(endpoints):
            for ep in endpoints:
                rc = ep.tp.quit()
                if rc != 0 and not reasons:
                    reasons.append("%s exited with status %s" % (ep.tp.name, rc))

        for ep in last:
            try:
                ep.tp.cmd("stop", timeout=10)
            except (RuntimeError, OSError):
                pass
        quit_all([ep for ep in eps if ep not in last])
        if backend.procs:
            try:
                problem = backend.stop()
            except Exception as e:
                problem = "stopping backend: %s" % e
            if problem:
                reasons.append(problem)
        quit_all(last)

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


# ---- multiqueue (VIRTIO_NET_F_MQ) ---------------------------------------------------------
#
# Every queue carries its own sequence-checked flow: net_pcap makes one queue
# of each rx_pcap/tx_pcap file, and io forwarding moves pcap queue i <->
# virtio queue i, so frontend A's queue i feeds vhacc's queue pair i, which
# delivers to queue pair i of the peer (xconnect), of the port itself
# (loopback) or of the uplink (net_ring0: its TX queue i feeds its RX queue i).

MQ_FLOW_B = 16  # B's queue i sends flow 16 + i; A's sends flow i


class MqCase:
    """Ports with `qps` queue pairs. Frontend X (A, and B for xconnect) is a
    virtio_user with queues=`queues[X]` of which testpmd uses `used[X]`
    (--rxq/--txq). `workers`: [worker N] queue lists; `eal_lcores`: vhacc's
    EAL lcore option (several workers mapped onto the machine's CPUs)."""

    mq = True
    mrg, inorder, qsize, jumbo, small_bufs = 1, 1, 256, False, False

    def __init__(self, topo, qps, queues_a, used_a=None, queues_b=None, used_b=None,
                 workers=None, eal_lcores=None, packed=False):
        self.topo, self.qps, self.packed = topo, qps, packed
        self.queues = {"A": queues_a, "B": queues_b or queues_a}
        self.used = {"A": used_a or queues_a, "B": used_b or queues_b or used_a or queues_a}
        if workers:
            self.workers = workers
        if eal_lcores:
            self.eal_lcores = eal_lcores

    def roles(self):
        return ["A", "B"] if self.topo == "xconnect" else ["A"]

    def skip(self, backend):
        if backend == "net_vhost" and (hasattr(self, "workers") or self.partial()):
            return "vhacc-specific (worker assignment, queues the frontend leaves unused)"
        return None

    def partial(self):
        return any(self.used[r] != self.qps or self.queues[r] != self.qps for r in self.roles())

    @property
    def name(self):
        topo = {"ring": "ethdev:net_ring"}.get(self.topo, self.topo)
        fe = " ".join("%s=%d/%d" % (r, self.used[r], self.queues[r]) for r in self.roles())
        return "mq %s%s qps=%d frontends %s%s" % (
            topo, " packed" if self.packed else "", self.qps, fe,
            " workers=%d" % len(self.workers) if hasattr(self, "workers") else "")


def mq_cases():
    split = {1: "vm1:0, vm1:2, vm2:1, vm2:3", 2: "vm1:1, vm1:3, vm2:0, vm2:2"}
    return [
        MqCase("xconnect", 4, 4),
        MqCase("loopback", 4, 4),
        MqCase("ring", 4, 4),
        MqCase("xconnect", 8, 8),  # virtio_user's maximum
        # queue pairs of one port on two workers, each worker serving both ports
        # (two worker lcores on CPU 1)
        MqCase("xconnect", 4, 4, workers=split, eal_lcores=["--lcores", "0@0,1@1,2@1"]),
        # the frontends set up 2 of the 4 queue pairs
        MqCase("xconnect", 4, 2),
        # they set up 4 and enable 2 (rte_vhost never calls new_device then)
        MqCase("loopback", 4, 4, used_a=2),
        # 16 queue pairs, the frontends use virtio_user's 8
        MqCase("xconnect", 16, 8),
        # B uses 2 queues: A's queues 2 and 3 have no peer queue (drop_peer_down)
        MqCase("xconnect", 4, 4, queues_b=2),
        # packed rings on every queue (vhacc offers packed)
        MqCase("xconnect", 4, 4, packed=True),
        MqCase("loopback", 4, 4, used_a=2, packed=True),
    ]


def mq_vdev(case, role, sock):
    return ("net_virtio_user0,path=%s,queues=%d,cq=1,queue_size=%d,mrg_rxbuf=1,in_order=1,packed_vq=%d"
            % (sock, case.queues[role], case.qsize, int(case.packed)))


class MqEndpoint:
    """A testpmd: port 0 a net_pcap with `nq` queues (one file each), port 1 on the backend."""

    def __init__(self, role, case, run_dir, prefix, port1, sent):
        self.role, self.nq = role, case.used[role]
        self.sent = sent  # frames per queue
        self.expect = [[] for _ in range(self.nq)]  # frames per queue, filled by the caller
        self.flows = [None] * self.nq
        ins = [os.path.join(run_dir, "%s_in%d.pcap" % (role, q)) for q in range(self.nq)]
        self.outs = [os.path.join(run_dir, "%s_out%d.pcap" % (role, q)) for q in range(self.nq)]
        for path, frames in zip(ins, sent):
            pcapfile.write(path, frames)
        pcap = "net_pcap0," + ",".join(["rx_pcap=" + p for p in ins] + ["tx_pcap=" + p for p in self.outs])
        app = ["--forward-mode=io", "--port-topology=paired", "--rxd=%d" % case.qsize,
               "--txd=%d" % case.qsize, "--rxq=%d" % self.nq, "--txq=%d" % self.nq,
               "--disable-device-start", "--total-num-mbufs=16384"]
        self.tp = Testpmd("frontend " + role, os.path.join(run_dir, role + ".log"), prefix,
                          [pcap, port1], app, lcores="0,1", main=1)

    def start_ports(self):
        out = self.tp.cmd("port start all", timeout=30)
        if re.search(r"rror|[Ff]ail|[Ii]nvalid", out):
            raise Failure("%s: port start all: %s" % (self.role, " | ".join(out.strip().splitlines()[-4:])))

    def received(self):
        return [pcapfile.count(p) for p in self.outs]

    def done(self):
        return all(c >= len(e) for c, e in zip(self.received(), self.expect))

    def queue_xstats(self):
        """{("rx"|"tx", queue): packets} of the virtio port, from its xstats."""
        out = self.tp.cmd("show port xstats 1")
        return {(d, int(q)): int(n) for d, q, n in re.findall(r"(rx|tx)_q(\d+)_good_packets:\s+(\d+)", out)}


def mq_expectations(case, eps):
    """Fill each endpoint's per-queue expectations; return what vhacc must
    count: {port: {"tx": [per qp], "rx": [per qp], "peer_down": [per qp]}}."""
    qps = case.qps
    port_of = {"A": "vm1", "B": "vm2"}
    want = {port_of[r]: {"tx": [0] * qps, "rx": [0] * qps, "peer_down": [0] * qps}
            for r in case.roles()}
    for ep in eps.values():
        for q in range(ep.nq):
            want[port_of[ep.role]]["tx"][q] = len(ep.sent[q])
    for src in eps.values():
        dst = eps["B" if src.role == "A" else "A"] if case.topo == "xconnect" else src
        for q in range(src.nq):
            if q < dst.nq:
                dst.expect[q] = src.sent[q]
                dst.flows[q] = (MQ_FLOW_B if src.role == "B" else 0) + q
                want[port_of[dst.role]]["rx"][q] = len(src.sent[q])
            else:
                want[port_of[src.role]]["peer_down"][q] = len(src.sent[q])
    return want


def mq_check_vhacc(backend, case, want, eps):
    """vhacc's per-queue counters against what the frontends sent and received."""
    problems = []
    for port, w in sorted(want.items()):
        try:
            info = backend.tel_json("/vhacc/port/info," + port)
            st = backend.tel_json("/vhacc/port/stats," + port)
        except RuntimeError as e:
            problems.append(str(e))
            continue
        names = str(info.get("negotiated", "")).split()
        for feat in ("mq", "packed") if case.packed else ("mq",):
            if feat not in names:
                problems.append("%s: %s not negotiated (%s)" % (port, feat, info.get("negotiated")))
        if info.get("queue_pairs") != case.qps:
            problems.append("%s: queue_pairs %s, configured %d" % (port, info.get("queue_pairs"), case.qps))
        ep = eps["A" if port == "vm1" else "B"]
        for q in range(case.qps):
            used = q < ep.nq
            for kind, key in (("tx", "txq%d" % q), ("rx", "rxq%d" % q)):
                v = st.get(key, {})
                if v.get("packets") != w[kind][q]:
                    problems.append("%s %s packets %s, frontends: %d" % (port, key, v.get("packets"), w[kind][q]))
                if used and kind == "tx" and not v.get("packets"):
                    problems.append("%s %s carried no traffic" % (port, key))
                if bool(v.get("running")) != used:
                    problems.append("%s %s running=%s, the frontend %s it" % (
                        port, key, v.get("running"), "uses" if used else "does not use"))
                for k in ("drop_too_big", "drop_runt", "drop_over_mtu", "broken"):
                    if v.get(k):
                        problems.append("%s %s %s=%s (%s)" % (port, key, k, v.get(k), v.get("broken_reason")))
            qp = st.get("qp%d" % q, {})
            if qp.get("drop_peer_down") != w["peer_down"][q]:
                problems.append("%s qp%d drop_peer_down=%s, expected %d" % (
                    port, q, qp.get("drop_peer_down"), w["peer_down"][q]))
            for k in ("drop_dest_full", "drop_guest_down", "held"):
                if qp.get(k):
                    problems.append("%s qp%d %s=%s" % (port, q, k, qp.get(k)))
            if case.topo == "ring" and (qp.get("eth_tx"), qp.get("eth_rx")) != (w["tx"][q], w["rx"][q]):
                problems.append("%s qp%d eth_tx/eth_rx %s/%s, expected %d/%d" % (
                    port, q, qp.get("eth_tx"), qp.get("eth_rx"), w["tx"][q], w["rx"][q]))
    if hasattr(case, "workers"):
        try:
            lc = backend.tel_json("/vhacc/lcores")
        except RuntimeError as e:
            return problems + [str(e)]
        for lcore, queues in case.workers.items():
            got = lc.get("worker%d" % lcore, {})
            n = len(queues.split(","))
            if got.get("queue_pairs") != n or got.get("loops", 0) == 0:
                problems.append("/vhacc/lcores worker%d: %s, configured %s" % (lcore, got, queues))
    return problems


def run_mq_case(case, args, run_dir):
    """As run_case, for an MqCase."""
    os.makedirs(run_dir)
    tag = "vht-%d-%s" % (os.getpid(), os.path.basename(run_dir))
    if args.backend == "vhacc":
        backend = Vhacc(case, run_dir, tag + "-vhacc", args.vhacc)
    else:
        backend = NetVhost(case, run_dir, tag + "-be")
    n = max(100, args.count // 2)
    sock = lambda name: os.path.join(run_dir, name)  # noqa: E731
    eps, reasons, elapsed = {}, [], None
    try:
        backend.start()
        for role in case.roles():
            base = MQ_FLOW_B if role == "B" else 0
            sent = [traffic.flow_frames(base + q, traffic.sizes(n)[q:] + traffic.sizes(n)[:q])
                    for q in range(case.used[role])]
            vdev = mq_vdev(case, role, sock("vm1.sock" if role == "A" else "vm2.sock"))
            eps[role] = MqEndpoint(role, case, run_dir, "%s-%s" % (tag, role), vdev, sent)
        want = mq_expectations(case, eps)
        for ep in eps.values():
            ep.tp.ready()
            ep.start_ports()
        for ep in eps.values():
            ep.tp.wait_link(1)
            retry_fwd(ep.tp)
        time.sleep(SETTLE)
        if not backend.alive():
            raise Failure("backend exited before traffic")
        for ep in eps.values():
            ep.start_at = ep.tp.size()
            ep.tp.send("start")
        for ep in eps.values():
            ep.tp.wait_for(r"testpmd> ", 15, start=ep.start_at)
        t0 = time.monotonic()
        last, last_change = None, t0
        while True:
            counts = [ep.received() for ep in eps.values()]
            now = time.monotonic()
            if all(ep.done() for ep in eps.values()):
                time.sleep(LINGER)
                break
            if counts != last:
                last, last_change = counts, now
            if now - last_change > STALL or now - t0 > DEADLINE:
                reasons.append("transfer stalled after %.1fs (received per queue: %s)" % (
                    now - t0, ", ".join("%s %s" % (r, c) for r, c in zip(eps, counts))))
                break
            if not backend.alive():
                reasons.append("backend died during traffic")
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
        # testpmd's own per-queue counts of its virtio port
        for ep in eps.values():
            xs = ep.tp_xstats = ep.queue_xstats()
            for q in range(ep.nq):
                got = (xs.get(("tx", q)), xs.get(("rx", q)))
                if got != (len(ep.sent[q]), len(ep.expect[q])):
                    reasons.append("%s: testpmd virtio queue %d tx/rx %s/%s, expected %d/%d" % (
                        ep.role, q, got[0], got[1], len(ep.sent[q]), len(ep.expect[q])))
        if not reasons and args.backend == "vhacc":
            reasons += ["vhacc: " + p for p in mq_check_vhacc(backend, case, want, eps)]
        if reasons:
            reasons += backend.diagnostics()
    except (Failure, RuntimeError, OSError) as e:
        reasons.append(str(e))
    except Exception as e:  # a harness bug: report it as this case's failure
        reasons.append("harness error %s: %s" % (type(e).__name__, e))
    finally:
        for ep in eps.values():
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
    for ep in eps.values() if elapsed is not None else ():
        for q, path in enumerate(ep.outs):
            if not os.path.exists(path):
                reasons.append("%s: no output pcap for queue %d" % (ep.role, q))
                continue
            got, problems = pcapfile.read(path)
            for pr in problems[:3]:
                reasons.append("%s queue %d: pcap: %s" % (ep.role, q, pr))
            if ep.flows[q] is None:
                if got:
                    reasons.append("%s queue %d: %d frames, expected none" % (ep.role, q, len(got)))
                continue
            for pr in traffic.verify(ep.expect[q], got, ep.flows[q], ordered=True):
                reasons.append("%s queue %d received flow %d: %s" % (ep.role, q, ep.flows[q], pr))
    seen, uniq = set(), []
    for r in reasons:
        if r not in seen:
            seen.add(r)
            uniq.append(r)
    info = {"elapsed": elapsed, "procs": backend.procs + [ep.tp for ep in eps.values()]}
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

    cases = all_cases() + mq_cases()
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
        run = run_mq_case if getattr(case, "mq", False) else run_case
        status, reasons, info = run(case, args, run_dir)
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
