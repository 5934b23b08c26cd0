"""Minimal pcap (libpcap classic format) writer and reader.

The reader accepts microsecond and nanosecond magics in either byte order
(DPDK's net_pcap writes nanosecond files) and stops quietly at a truncated
trailing record, so a file still being written can be polled.
"""
import struct

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


def write(path, frames, t0=1_700_000_000):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_US, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", t0 + i // 1_000_000, i % 1_000_000, len(fr), len(fr)))
            f.write(fr)


def read(path):
    """Return (frames, problems): frames as bytes; problems lists anomalies
    such as a record whose captured length differs from its wire length."""
    with open(path, "rb") as f:
        data = f.read()
    frames, problems = [], []
    if len(data) < 24:
        return frames, problems
    for endian in ("<", ">"):
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise ValueError("%s: not a pcap file (magic %s)" % (path, data[:4].hex()))
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != LINKTYPE_ETHERNET:
        problems.append("linktype %d" % linktype)
    off = 24
    rec = struct.Struct(endian + "IIII")
    while off + 16 <= len(data):
        _, _, incl, orig = rec.unpack_from(data, off)
        if off + 16 + incl > len(data):
            break
        fr = data[off + 16:off + 16 + incl]
        if incl != orig:
            problems.append("record %d truncated: %d of %d bytes captured" % (len(frames), incl, orig))
        frames.append(fr)
        off += 16 + incl
    return frames, problems


def count(path):
    """Number of complete records in a (possibly growing) pcap file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0
    if len(data) < 24:
        return 0
    endian = "<" if struct.unpack("<I", data[:4])[0] in (MAGIC_US, MAGIC_NS) else ">"
    rec = struct.Struct(endian + "IIII")
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = rec.unpack_from(data, off)[2]
        if off + 16 + incl > len(data):
            break
        n += 1
        off += 16 + incl
    return n
