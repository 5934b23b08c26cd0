#!/usr/bin/env python3
"""Checksum and TSO offloads through vhacc, with dpdk-testpmd frontends.

Sender A: a testpmd whose net_virtio_user port has the TCP/UDP checksum and
TSO TX offloads enabled (so it negotiates VIRTIO_NET_F_CSUM and HOST_TSO4/6
with vhacc), in the "csum" forwarding engine with "tso set 800": it reads
crafted TCP/IPv4, TCP/IPv6 and UDP frames from a pcap (checksum fields
wrong on purpose) and sends them with NEEDS_CSUM, TCP frames with more than
800 bytes of payload as GSO frames (up to 8000 bytes of payload).

Receiver: a testpmd in io forwarding that writes what its port receives to a
pcap, unchanged. Topologies:

  plain    xconnect to a virtio_user without offloads: vhacc segments in
           software and completes every checksum
  gso      xconnect to a virtio_user with RX checksum and LRO (GUEST_CSUM,
           GUEST_TSO4/6): every frame arrives whole, its checksum field
           holding the pseudo-header sum (NEEDS_CSUM), as negotiated; the
           frames take the one-copy transfer (headers checked, passed on)
  uplink   vm1's uplink is a memif server (no offloads); the receiver is a
           memif client: vhacc's uplink path segments and checksums

Exact outcome checked per frame: the payload bytes, TCP sequence numbers,
flags (FIN/PSH on the last segment only), IPv4 ids, lengths and the
number of segments (ceil(payload / 800)), every IPv4 header checksum and
every TCP/UDP checksum (complete, or for "gso" exactly the pseudo-header
sum); and vhacc's counters (packets per vring, drop_bad_hdr 0, uplink
software counters).

Output: "PASS: <case>" / "FAIL: <case>: <reasons>" lines, then a summary;
exit status 0 iff nothing failed.
"""
import argparse
import os
import re
import shutil
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vhtest import pcapfile, proc  # noqa: E402
from vhtest.backends import MEMIF_SOCK, Vhacc  # noqa: E402
from vhtest.testpmd import Testpmd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MSS = 800
DEADLINE = 60
STALL = 8


class Case:
    def __init__(self, name, topo, guest_offloads):
        self.name, self.guest_offloads = name, guest_offloads
        self.topo = "memif" if topo == "uplink" else "xconnect"
        self.jumbo, self.mrg, self.inorder = False, 1, 1


CASES = [Case("plain", "xconnect", False), Case("gso", "xconnect", True),
         Case("uplink", "uplink", False)]


class Failure(Exception):
    pass


# ---- frames -------------------------------------------------------------------------------

def csum16(data, s=0):
    if len(data) % 2:
        data += b"\0"
    s += sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pattern(k, off, n):
    return bytes(((k * 37 + (off + i) * 7) & 0xFF) for i in range(n))


def phdr(ip, v6, proto, l4len):
    if v6:
        return csum16(ip[8:40] + struct.pack("!IHBB", l4len, 0, 0, proto))
    return csum16(ip[12:20] + struct.pack("!BBH", 0, proto, l4len))


def make_frame(k, v6, proto, payload):
    """Frame k: TCP sequence k << 20 (its offset space), IPv4 id k."""
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]) + (b"\x86\xdd" if v6 else b"\x08\x00")
    data = pattern(k, 0, payload)
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", 40000, 5201, k << 20, 1, 5 << 4, 0x18, 512, 0xdead, 0) + data
    else:
        l4 = struct.pack("!HHHH", 40000 + k, 5201, 8 + len(data), 0xdead) + data
    if v6:
        ip = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + bytes(
            [0xfd] + [0] * 14 + [1]) + bytes([0xfd] + [0] * 14 + [2])
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), k, 0x4000, 64, proto, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return eth + ip + l4


def traffic():
    """[(k, v6, proto, payload)]: TCP below, at and above the MSS, UDP."""
    specs, k = [], 1
    for rep in range(3):
        for v6 in (False, True):
            for n in (10, 700, 800, 801, 1460, 1601, 3000, 5555, 8000):
                specs.append((k, v6, 6, n))
                k += 1
            for n in (1, 500, 1400):
                specs.append((k, v6, 17, n))
                k += 1
    return specs


def check_received(specs, got, whole):
    """Problems with the frames `got` against what `specs` sent. whole:
    frames arrive unsegmented with the pseudo-header sum in the checksum
    field (NEEDS_CSUM); else segmented by MSS with complete checksums."""
    problems = []
    by_k = {}
    for idx, fr in enumerate(got):
        try:
            et = struct.unpack_from("!H", fr, 12)[0]
            v6 = et == 0x86DD
            ip = fr[14:54] if v6 else fr[14:34]
            proto = ip[6] if v6 else ip[9]
            l3 = 40 if v6 else 20
            l4len = (struct.unpack_from("!H", ip, 4)[0] if v6
                     else struct.unpack_from("!H", ip, 2)[0] - 20)
            if 14 + l3 + l4len != len(fr):
                problems.append("frame %d: IP length %d, frame %d" % (idx, l4len, len(fr)))
                continue
            l4 = fr[14 + l3:]
            if not v6 and csum16(ip) != 0xFFFF:
                problems.append("frame %d: bad IPv4 header checksum" % idx)
            if proto == 6:
                seq, flags, field = struct.unpack_from("!I", l4, 4)[0], l4[13], struct.unpack_from("!H", l4, 16)[0]
                k, off, data, hl = seq >> 20, seq & 0xFFFFF, l4[20:], 20
            elif proto == 17:
                k, off, data, flags = struct.unpack_from("!H", l4, 0)[0] - 40000, 0, l4[8:], None
                field = struct.unpack_from("!H", l4, 6)[0]
            else:
                problems.append("frame %d: protocol %d" % (idx, proto))
                continue
            if whole:
                want = phdr(ip, v6, proto, l4len)
                if field != want:
                    problems.append("frame %d (k %d): checksum field %04x, pseudo-header sum %04x"
                                    % (idx, k, field, want))
            elif csum16(l4, phdr(ip, v6, proto, l4len)) != 0xFFFF:
                problems.append("frame %d (k %d, offset %d): bad %s checksum" % (
                    idx, k, off, "TCP" if proto == 6 else "UDP"))
            if data != pattern(k, off, len(data)):
                problems.append("frame %d (k %d, offset %d): payload differs" % (idx, k, off))
            ipid = None if v6 else struct.unpack_from("!H", ip, 4)[0]
            by_k.setdefault(k, []).append((off, len(data), flags, ipid, v6, proto))
        except (struct.error, IndexError) as e:
            problems.append("frame %d: unparsable (%s)" % (idx, e))
    for k, v6, proto, n in specs:
        segs = sorted(by_k.pop(k, []))
        if not segs:
            problems.append("k %d (%s %s, %d bytes): nothing received" % (
                k, "IPv6" if v6 else "IPv4", "TCP" if proto == 6 else "UDP", n))
            continue
        nseg = 1 if (whole or proto == 17 or n <= MSS) else (n + MSS - 1) // MSS
        want = [(i * MSS, min(MSS, n - i * MSS)) for i in range(nseg)] if nseg > 1 else [(0, n)]
        if [(o, ln) for o, ln, *_ in segs] != want:
            problems.append("k %d: received (offset, length) %s, expected %s" % (
                k, [(o, ln) for o, ln, *_ in segs][:6], want[:6]))
            continue
        if proto == 6:
            flags = [f for _, _, f, *_ in segs]
            if flags != [0x10] * (nseg - 1) + [0x18]:
                problems.append("k %d: TCP flags %s" % (k, [hex(f) for f in flags]))
            if not v6 and nseg > 1:
                ids = [i for _, _, _, i, *_ in segs]
                if ids != [(k + i) & 0xFFFF for i in range(nseg)]:
                    problems.append("k %d: IPv4 ids %s" % (k, ids))
    for k in sorted(by_k):
        problems.append("k %d: received but never sent" % k)
    return problems


def expected_count(specs, whole):
    return sum(1 if (whole or p == 17 or n <= MSS) else (n + MSS - 1) // MSS
               for _, _, p, n in specs)


# ---- processes ----------------------------------------------------------------------------

def sender(run_dir, prefix, sock, frames):
    pin, pout = os.path.join(run_dir, "A_in.pcap"), os.path.join(run_dir, "A_out.pcap")
    pcapfile.write(pin, frames)
    vdev = "net_virtio_user0,path=%s,queues=1,queue_size=256,mrg_rxbuf=1,in_order=1" % sock
    tp = Testpmd("sender A", os.path.join(run_dir, "A.log"), prefix,
                 ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pin, pout), vdev],
                 ["--forward-mode=csum", "--port-topology=paired", "--disable-device-start",
                  "--mbuf-size=10240", "--total-num-mbufs=2048"], lcores="0,1", main=1, mem_mb=512)
    tp.ready()
    return tp, ["port config 1 tx_offload tcp_cksum on", "port config 1 tx_offload udp_cksum on",
                "port config 1 tx_offload tcp_tso on", "port config 1 tx_offload multi_segs on",
                "tso set %d 1" % MSS, "port start all"]


def receiver(run_dir, prefix, port1, offloads):
    pin, pout = os.path.join(run_dir, "B_in.pcap"), os.path.join(run_dir, "B_out.pcap")
    pcapfile.write(pin, [])
    tp = Testpmd("receiver B", os.path.join(run_dir, "B.log"), prefix,
                 ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pin, pout), port1],
                 ["--forward-mode=io", "--port-topology=paired", "--disable-device-start",
                  "--mbuf-size=10240", "--total-num-mbufs=2048"], lcores="0,1", main=1, mem_mb=512)
    tp.ready()
    cmds = []
    if offloads:
        cmds += ["port config 1 rx_offload tcp_cksum on", "port config 1 rx_offload udp_cksum on",
                 "port config 1 rx_offload tcp_lro on"]
    cmds += ["port start all"]
    return tp, cmds, pout


def run_cmds(tp, cmds):
    for c in cmds:
        out = tp.cmd(c, timeout=30)
        if re.search(r"rror|[Ff]ail|[Ii]nvalid|not supported|Please", out):
            raise Failure("%s: %s: %s" % (tp.name, c, " | ".join(out.strip().splitlines()[-4:])))


def negotiated(backend, port):
    return set(str(backend.tel_json("/vhacc/port/info," + port).get("negotiated", "")).split())


def run_case(case, args, run_dir):
    os.makedirs(run_dir)
    tag = "vho-%d-%s" % (os.getpid(), os.path.basename(run_dir))
    backend = Vhacc(case, run_dir, tag + "-vhacc", args.vhacc)
    specs = traffic()
    frames = [make_frame(*s) for s in specs]
    whole = case.guest_offloads
    want_n = expected_count(specs, whole)
    tps, reasons, got = [], [], []
    try:
        backend.start()
        a, a_cmds = sender(run_dir, tag + "-A", os.path.join(run_dir, "vm1.sock"), frames)
        tps.append(a)
        if case.topo == "xconnect":
            port1 = ("net_virtio_user0,path=%s,queues=1,queue_size=256,mrg_rxbuf=1,in_order=1"
                     % os.path.join(run_dir, "vm2.sock"))
        else:
            port1 = "net_memif0,role=client,socket=%s" % os.path.join(run_dir, MEMIF_SOCK)
        b, b_cmds, b_out = receiver(run_dir, tag + "-B", port1, case.guest_offloads)
        tps.append(b)
        run_cmds(a, a_cmds)
        run_cmds(b, b_cmds)
        for tp in (a, b):
            tp.wait_link(1)
        # what the guests negotiated decides what vhacc must do
        feats = negotiated(backend, "vm1")
        for f in ("csum", "host_tso4", "host_tso6"):
            if f not in feats:
                raise Failure("vm1 did not negotiate %s: %s" % (f, sorted(feats)))
        if case.topo == "xconnect":
            feats = negotiated(backend, "vm2")
            for f in ("guest_csum", "guest_tso4", "guest_tso6"):
                if (f in feats) != case.guest_offloads:
                    raise Failure("vm2 negotiated %s: %s" % (f, sorted(feats)))
        b.cmd("start")
        time.sleep(0.5)
        a.cmd("start")
        t0 = last_change = time.monotonic()
        last = -1
        while True:
            n = pcapfile.count(b_out)
            now = time.monotonic()
            if n >= want_n:
                time.sleep(0.5)
                break
            if n != last:
                last, last_change = n, now
            if now - last_change > STALL or now - t0 > DEADLINE:
                reasons.append("received %d of %d frames" % (n, want_n))
                break
            if not backend.alive():
                reasons.append("vhacc died during traffic")
                break
            time.sleep(0.05)
        # vhacc's view
        st1 = backend.tel_json("/vhacc/port/stats,vm1")
        tx = st1.get("txq0", {})
        if tx.get("packets") != len(frames) or tx.get("drop_bad_hdr"):
            reasons.append("vm1 txq0 packets %s (sent %d), drop_bad_hdr %s" % (
                tx.get("packets"), len(frames), tx.get("drop_bad_hdr")))
        if case.topo == "xconnect":
            rx = backend.tel_json("/vhacc/port/stats,vm2").get("rxq0", {})
            if rx.get("packets") != want_n:
                reasons.append("vm2 rxq0 packets %s, expected %d" % (rx.get("packets"), want_n))
            # a receiver that takes every offload gets the frames in one copy,
            # headers passed on; one that does not, through mbufs (software)
            one_copy = st1.get("qp0", {}).get("one_copy")
            if one_copy != (len(frames) if case.guest_offloads else 0):
                reasons.append("vm1 qp0 one_copy=%s, expected %d" % (
                    one_copy, len(frames) if case.guest_offloads else 0))
        else:
            qp = st1.get("qp0", {})
            n_gso = sum(1 for _, _, p, n in specs if p == 6 and n > MSS)
            n_csum = want_n  # every segment and every other frame: checksummed here
            want = {"eth_tx": len(frames), "eth_tx_sw_gso": n_gso,
                    "eth_tx_gso_segs": want_n - (len(frames) - n_gso),
                    "eth_tx_sw_cksum": n_csum, "eth_tx_drop_gso": 0, "eth_tx_bad_cksum": 0}
            for key, v in want.items():
                if qp.get(key) != v:
                    reasons.append("vm1 qp0 %s=%s, expected %d" % (key, qp.get(key), v))
    except (Failure, RuntimeError, OSError) as e:
        reasons.append(str(e))
    except Exception as e:  # a harness bug: this case's failure
        reasons.append("harness error %s: %s" % (type(e).__name__, e))
    finally:
        # DPDK 22.11's net_memif unmaps the shared memory when its peer goes
        # away, without waiting for a burst in progress on another lcore:
        # forwarding stops everywhere, then vhacc, then the frontends quit
        # (doc/configuration.md, Attachments).
        for tp in tps:
            if tp.alive():
                try:
                    tp.cmd("stop", timeout=10)
                except (RuntimeError, OSError):
                    pass
        if backend.procs:
            problem = backend.stop()
            if problem:
                reasons.append(problem)
        for tp in tps:
            tp.quit()
    out = os.path.join(run_dir, "B_out.pcap")
    if os.path.exists(out):
        got, problems = pcapfile.read(out)
        reasons += problems[:3]
        reasons += check_received(specs, got, whole)[:12]
    elif not reasons:
        reasons.append("no receiver pcap")
    return reasons, backend.procs + tps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", dest="filter", action="append", default=[],
                    help="run only cases whose name contains SUBSTRING")
    ap.add_argument("--keep", action="store_true", help="keep the run directory")
    ap.add_argument("--vhacc", default=os.path.join(ROOT, "build", "app", "vhacc", "vhacc"))
    args = ap.parse_args()
    cases = [c for c in CASES if not args.filter or any(f in c.name for f in args.filter)]
    if shutil.which("dpdk-testpmd") is None:
        print("FAIL: dpdk-testpmd not found")
        return 1
    if not os.access(args.vhacc, os.X_OK):
        print("FAIL: %s not built" % args.vhacc)
        return 1
    top = tempfile.mkdtemp(prefix="vho-%d-" % os.getpid(), dir="/tmp")
    proc.abort_note = "logs kept in %s" % top
    failed = 0
    for idx, case in enumerate(cases):
        t0 = time.monotonic()
        run_dir = os.path.join(top, "c%02d" % idx)
        reasons, procs = run_case(case, args, run_dir)
        if not reasons:
            print("PASS: offload %s (%.1fs)" % (case.name, time.monotonic() - t0), flush=True)
            if not args.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
            continue
        failed += 1
        print("FAIL: offload %s: %s" % (case.name, "; ".join(reasons)))
        print("  logs: %s" % run_dir)
        for p in procs:
            print("  --- %s: %s (last lines)" % (p.name, p.logpath))
            for line in p.tail(15):
                print("  | " + line)
        sys.stdout.flush()
    if failed == 0 and not args.keep:
        shutil.rmtree(top, ignore_errors=True)
    else:
        print("logs kept in %s" % top)
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
