"""Test traffic: Ethernet/IPv4/UDP frames, each with a flow id, a sequence
number, its own length and a CRC32 of a per-sequence byte pattern; and the
check of what a receiver captured against what was sent."""
import struct
import zlib

HDR_LEN = 14 + 20 + 8           # Ethernet + IPv4 + UDP
TAG = struct.Struct("!2sBBIHI")  # magic, flow, version, seq, frame length, crc32
MAGIC = b"VH"
MIN_FRAME = HDR_LEN + TAG.size


def mac(n):
    return bytes([0x02, 0, 0, 0, 0, n])


def _ip_csum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(flow, seq, length):
    """One frame of `length` bytes (no FCS) of flow `flow` (0..255)."""
    assert length >= MIN_FRAME, length
    eth = mac(2 + flow % 2) + mac(1 + flow % 2) + b"\x08\x00"
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, length - 14, seq & 0xFFFF, 0x4000,
                               64, 17, 0, bytes([10, 0, flow, 1]), bytes([10, 0, flow, 2])))
    struct.pack_into("!H", ip, 10, _ip_csum(bytes(ip)))
    udp = struct.pack("!HHHH", 10000 + flow, 20000, length - 34, 0)
    plen = length - HDR_LEN - TAG.size
    start = (seq * 131 + flow * 17) & 0xFF
    pattern = bytes((start + i) & 0xFF for i in range(256)) * (plen // 256 + 1)
    pattern = pattern[:plen]
    tag = TAG.pack(MAGIC, flow, 1, seq, length, zlib.crc32(pattern))
    return eth + bytes(ip) + udp + tag + pattern


def sizes(n, lo=60, hi=1514, extra=()):
    """n frame lengths covering lo..hi (every length once n >= hi-lo+1; the
    stride 7 is coprime to the span for the default bounds), then `extra`
    lengths (e.g. jumbo) spread evenly over the sequence."""
    span = hi - lo + 1
    out = [lo + (i * 7) % span for i in range(n)]
    if extra:
        step = max(1, n // (len(extra) + 1))
        for k, e in enumerate(extra):
            out[min(n - 1, (k + 1) * step)] = e
    return out


def flow_frames(flow, lengths):
    return [frame(flow, seq, ln) for seq, ln in enumerate(lengths)]


def decode(fr):
    """(flow, seq, length, crc_ok) of one of our frames, or None."""
    if len(fr) < MIN_FRAME:
        return None
    try:
        magic, flow, ver, seq, length, crc = TAG.unpack_from(fr, HDR_LEN)
    except struct.error:
        return None
    if magic != MAGIC or ver != 1:
        return None
    return flow, seq, length, zlib.crc32(fr[HDR_LEN + TAG.size:]) == crc


def verify(sent, received, flow, ordered=True, max_examples=3, absent=()):
    """Compare frames `received` against the list `sent` of flow `flow`.
    Returns a list of problems (empty: every frame arrived exactly once,
    byte-identical, nothing extra, and in order if `ordered`), where the
    frames whose indexes are in `absent` must not arrive at all."""
    problems = []
    seen = {}
    extra, corrupt, dups, reorder, leaked = [], [], [], [], []
    last = -1
    for idx, fr in enumerate(received):
        d = decode(fr)
        if d is None or d[0] != flow or d[1] >= len(sent):
            extra.append("#%d len %d %s" % (idx, len(fr), "flow %d seq %d" % d[:2] if d else fr[:16].hex()))
            continue
        _, seq, _, _ = d
        if seq in absent:
            leaked.append("seq %d len %d, received %d" % (seq, len(sent[seq]), len(fr)))
            continue
        if seq in seen:
            dups.append(seq)
            continue
        seen[seq] = idx
        want = sent[seq]
        if fr != want:
            if len(fr) != len(want):
                corrupt.append("seq %d: length %d, sent %d" % (seq, len(fr), len(want)))
            else:
                off = next(i for i in range(len(fr)) if fr[i] != want[i])
                corrupt.append("seq %d (len %d): first difference at byte %d" % (seq, len(fr), off))
        if ordered and seq < last:
            reorder.append("seq %d after %d" % (seq, last))
        last = max(last, seq)
    missing = [s for s in range(len(sent)) if s not in seen and s not in absent]

    def ex(lst):
        return ", ".join(str(x) for x in lst[:max_examples]) + (", ..." if len(lst) > max_examples else "")

    if missing:
        ml = [len(sent[s]) for s in missing]
        problems.append("%d of %d missing (seq %s; lengths %d..%d)" % (
            len(missing), len(sent), ex(missing), min(ml), max(ml)))
    if dups:
        problems.append("%d duplicates (seq %s)" % (len(dups), ex(dups)))
    if corrupt:
        problems.append("%d corrupted (%s)" % (len(corrupt), ex(corrupt)))
    if extra:
        problems.append("%d unexpected frames (%s)" % (len(extra), ex(extra)))
    if leaked:
        problems.append("%d frames that should have been dropped arrived (%s)" % (len(leaked), ex(leaked)))
    if reorder:
        problems.append("%d out of order (%s)" % (len(reorder), ex(reorder)))
    return problems
