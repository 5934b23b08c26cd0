"""The vhost-user backends under test.

Both serve vhost-user server sockets vm1.sock (and vm2.sock for xconnect) in
the case's run directory and connect them as the case's topology says:

  xconnect  vm1 <-> vm2
  loopback  vm1 -> vm1
  ring      vm1 -> net_ring0 uplink (its TX ring feeds its RX) -> vm1
  memif     vm1 <-> net_memif0 (server on memif.sock) <-> a memif peer

vhacc is the backend being tested; net_vhost is a dpdk-testpmd with net_vhost
ports in io-retry forwarding, the reference that proves the harness.
"""
import json
import os
import subprocess
import time

from .proc import Proc
from .testpmd import Testpmd

MEMIF_SOCK = "memif.sock"


def retry_fwd(tp, patient=False):
    """io forwarding that waits (up to 0.2 s a burst; patient: 60 s, for a backend
    being replaced) for room instead of dropping."""
    tp.cmd("set fwd io retry")
    tp.cmd("set burst tx delay 1000 retry 60000" if patient else "set burst tx delay 10 retry 20000")


class NetVhost:
    name = "net_vhost"

    def __init__(self, case, run_dir, prefix):
        self.case, self.run_dir, self.prefix = case, run_dir, prefix
        self.procs = []

    def start(self):
        c, d = self.case, self.run_dir
        nq = getattr(c, "qps", 1)  # multiqueue cases: queue pairs per port
        vdevs = ["net_vhost0,iface=%s/vm1.sock,queues=%d,client=0" % (d, nq)]
        topo = "paired"
        if c.topo == "xconnect":
            vdevs.append("net_vhost1,iface=%s/vm2.sock,queues=%d,client=0" % (d, nq))
        elif c.topo == "loopback":
            topo = "loop"
        elif c.topo == "ring":
            vdevs.append("net_ring0")
        elif c.topo == "memif":
            vdevs.append("net_memif0,role=server,socket=%s/%s" % (d, MEMIF_SOCK))
        app = ["--forward-mode=io", "--port-topology=" + topo, "--total-num-mbufs=8192"]
        if nq > 1:
            app += ["--rxq=%d" % nq, "--txq=%d" % nq]
        if c.jumbo:
            app += ["--max-pkt-len=9018"]
        tp = Testpmd("backend(testpmd net_vhost)", os.path.join(d, "backend.log"), self.prefix,
                     vdevs, app, lcores="0,1", main=0)
        self.procs.append(tp)
        tp.ready()
        retry_fwd(tp)
        tp.cmd("start")
        self.tp = tp

    def alive(self):
        return self.tp.alive()

    def diagnostics(self):
        if not self.tp.alive():
            return []
        try:
            st = self.tp.port_stats()
        except Exception as e:  # diagnostics only
            return ["backend stats unavailable: %s" % e]
        return ["backend port %d: rx %s tx %s rx-missed %s" % (p, s["rx"], s["tx"], s["rx_missed"])
                for p, s in sorted(st.items())]

    def check(self, expect):
        """Nothing to cross-check: the reference exports no per-vring counters."""
        return []

    def stop(self):
        """Returns a problem string or None."""
        rc = self.tp.quit()
        return None if rc == 0 else "backend testpmd exited with status %s" % rc


class Vhacc:
    name = "vhacc"

    def __init__(self, case, run_dir, prefix, binary):
        self.case, self.run_dir, self.prefix, self.binary = case, run_dir, prefix, binary
        self.procs = []
        self.frozen, self.generation, self.base_prefix = False, 1, prefix

    def config(self):
        c, d = self.case, self.run_dir
        mtu = "mtu = 9000\n" if c.jumbo else ""
        attach = {"xconnect": "xconnect:vm2", "loopback": "loopback", "ring": "ethdev:net_ring0",
                  "memif": "ethdev:net_memif0,role=server,socket=%s/%s" % (d, MEMIF_SOCK)}[c.topo]
        # multiqueue cases: queue pairs per port, [worker] sections
        qps = "queue_pairs = %d\n" % c.qps if getattr(c, "qps", 1) > 1 else ""
        # packed-ring cases need nothing here: vhacc offers packed by default and the
        # frontend (virtio_user packed_vq=1) chooses it
        # upgrade cases: vhacc is the vhost-user client of server-mode frontends (it
        # reconnects when it is replaced); the new process starts frozen
        if getattr(c, "upgrade", False):
            sock = "socket = %s-fe.sock\nmode = client\n"
            qps += "start_mode = freeze\n" if self.frozen else ""
        else:
            sock = "socket = %s.sock\nmode = server\n"
        text = ("[global]\nrun_dir = %s\nmbufs = 16384\n\n[port vm1]\n%s%s%sattach = %s\n" % (
            d, sock % "vm1", mtu, qps, attach))
        if c.topo == "xconnect":
            text += "\n[port vm2]\n%s%s%sattach = xconnect:vm1\n" % (sock % "vm2", mtu, qps)
        for lcore, queues in sorted(getattr(c, "workers", {}).items()):
            text += "\n[worker %d]\nqueues = %s\n" % (lcore, queues)
        return text

    def start(self):
        g = "" if self.generation == 1 else str(self.generation)
        conf = os.path.join(self.run_dir, "vhacc%s.conf" % g)
        with open(conf, "w") as f:
            f.write(self.config())
        # a case may map several worker lcores onto the machine's CPUs (--lcores)
        lcores = getattr(self.case, "eal_lcores", ["-l", "0,1"])
        argv = [self.binary, "-c", conf, "--"] + list(lcores) + ["--in-memory", "--no-pci",
                                                                  "--file-prefix", self.prefix]
        self.p = Proc("vhacc" + g, argv, os.path.join(self.run_dir, "vhacc%s.log" % g))
        self.procs.append(self.p)
        self.p.wait_for(r"vhacc: ready", 60)

    def replace(self):
        """Stop this vhacc (SIGTERM) and start a new one whose ports start frozen,
        with another file prefix. Returns a problem string or None."""
        problem = self.stop()
        self.generation += 1
        self.prefix = "%s-%d" % (self.base_prefix, self.generation)
        self.frozen = True
        self.start()
        return problem

    def alive(self):
        return self.p.alive()

    def telemetry(self, command):
        try:
            out = subprocess.run(["dpdk-telemetry.py", "-f", self.prefix], input=command + "\n",
                                 capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            return "(telemetry failed: %s)" % e
        lines = [l for l in out.splitlines() if l.startswith("{")]
        return lines[-1] if lines else "(no telemetry answer)"

    def tel_json(self, command):
        out = self.telemetry(command)
        try:
            return next(iter(json.loads(out).values()))
        except (ValueError, StopIteration, AttributeError):
            raise RuntimeError("telemetry %s: %s" % (command, out))

    def check(self, expect):
        """Cross-check vhacc's own view after the traffic: negotiated
        features as the case asked, per-vring counters equal to what the
        frontends sent and received, no drop, no broken ring, nothing held.
        expect: {port: (frames the guest sent, frames sent to the guest,
        indexes of those too big for its buffers)}."""
        problems = []
        c = self.case
        for port, (tx, rx, big) in sorted(expect.items()):
            rx = [f for i, f in enumerate(rx) if i not in set(big)]
            try:
                info = self.tel_json("/vhacc/port/info," + port)
                st = self.tel_json("/vhacc/port/stats," + port)
            except RuntimeError as e:
                problems.append(str(e))
                continue
            names = set(str(info.get("negotiated", "")).split())
            packed = c.packed is True or (c.packed == "A" and port == "vm1")
            for feat, want in (("mrg_rxbuf", c.mrg), ("in_order", c.inorder),
                               ("packed", packed)):
                if (feat in names) != bool(want):
                    problems.append("%s negotiated %r: %s expected %s" % (
                        port, info.get("negotiated"), feat, "on" if want else "off"))
            if c.jumbo and info.get("mtu") != 9000:
                problems.append("%s mtu %s, configured 9000" % (port, info.get("mtu")))
            txq, rxq, qp = st.get("txq0", {}), st.get("rxq0", {}), st.get("qp0", {})
            for name, q, frames in (("txq0", txq, tx), ("rxq0", rxq, rx)):
                got = (q.get("packets"), q.get("bytes"))
                want = (len(frames), sum(len(f) for f in frames))
                if got != want:
                    problems.append("%s %s packets/bytes %s/%s, frontends saw %d/%d" % (
                        port, name, got[0], got[1], want[0], want[1]))
                if name == "rxq0" and q.get("drop_too_big") != len(big):
                    problems.append("%s rxq0 drop_too_big=%s, expected %d" % (
                        port, q.get("drop_too_big"), len(big)))
                for k in ("drop_too_big", "drop_runt", "broken"):
                    if k == "drop_too_big" and name == "rxq0":
                        continue
                    if q.get(k):
                        problems.append("%s %s %s=%s (%s)" % (port, name, k, q.get(k),
                                                               q.get("broken_reason")))
            for k in ("drop_peer_down", "drop_dest_full", "drop_guest_down", "held"):
                if qp.get(k):
                    problems.append("%s qp0 %s=%s" % (port, k, qp.get(k)))
            # testpmd's virtio driver does not negotiate CSUM: guest to guest
            # frames all take the one-copy transfer
            if c.topo in ("xconnect", "loopback") and qp.get("one_copy") != len(tx):
                problems.append("%s qp0 one_copy=%s, the guest sent %d" % (
                    port, qp.get("one_copy"), len(tx)))
            if c.topo in ("ring", "memif"):
                if (qp.get("eth_tx"), qp.get("eth_rx")) != (len(tx), len(rx)):
                    problems.append("%s qp0 eth_tx/eth_rx %s/%s, frontends saw %d/%d" % (
                        port, qp.get("eth_tx"), qp.get("eth_rx"), len(tx), len(rx)))
        return problems

    def diagnostics(self):
        if not self.p.alive():
            return ["vhacc is not running (status %s)" % self.p.p.returncode]
        ports = ["vm1", "vm2"] if self.case.topo == "xconnect" else ["vm1"]
        return ["vhacc %s" % self.telemetry("/vhacc/port/stats," + p) for p in ports]

    def stop(self):
        if not self.p.alive():
            rc = self.p.stop()
            return "vhacc died during the case (status %s)" % rc
        t0 = time.monotonic()
        rc = self.p.stop(timeout=10)
        if rc != 0:
            return "vhacc exited with status %s on SIGTERM (after %.1fs)" % (rc, time.monotonic() - t0)
        return None
