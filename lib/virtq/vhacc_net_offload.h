/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_NET_OFFLOAD_H
#define VHACC_NET_OFFLOAD_H

/*
 * Software fallbacks for offloads a destination cannot do itself, shared by
 * the virtqueue engine (guest RX) and the ethdev uplink (TX).
 * Runs on: worker lcores. No allocation except mbufs from the given pool,
 * no logging.
 *
 * Convention inside vhacc (the virtio one): an mbuf carrying
 * RTE_MBUF_F_TX_TCP_CKSUM / _UDP_CKSUM or RTE_MBUF_F_TX_TCP_SEG has l2_len,
 * l3_len (and l4_len for TSO) set, RTE_MBUF_F_TX_IPV4 or _IPV6, and the
 * pseudo-header sum including the L4 length (of the whole frame for TSO)
 * in its L4 checksum field. TSO implies the TCP checksum.
 */

#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;

/* Most segments vhacc_net_gso_segment() makes of one frame. */
#define VHACC_NET_GSO_MAX_SEGS 256
/* Longest L2 + L3 + L4 header it segments. */
#define VHACC_NET_GSO_MAX_HDR 256

/*
 * Compute in software what m's TX checksum flags ask for (the IPv4 header
 * checksum with RTE_MBUF_F_TX_IP_CKSUM, the TCP/UDP checksum with
 * RTE_MBUF_F_TX_TCP_CKSUM/_UDP_CKSUM) and clear those flags. The L4
 * checksum is computed from scratch, so a second call is harmless.
 * Multi-segment mbufs are fine. Returns 0, or -EINVAL if the IP header
 * does not describe the frame (flags left as they were). Not for TSO frames.
 */
int vhacc_net_cksum_sw(struct rte_mbuf *m);

/*
 * Software TSO: split the RTE_MBUF_F_TX_TCP_SEG frame m into segments of
 * at most m->tso_segsz payload bytes, in new mbufs from mp (copies; m is
 * not modified and still belongs to the caller). Like a NIC: IPv4 id + k
 * and header checksum per segment, TCP sequence advanced, FIN/PSH on the
 * last segment only, CWR on the first only. Each segment leaves with
 * RTE_MBUF_F_TX_TCP_CKSUM (the pseudo-header sum in its checksum field, see
 * above), so the destination's checksum path finishes it.
 * Returns the number of segments stored in out[], -E2BIG if more than max
 * would be needed, -ENOMEM if mp ran dry (nothing left allocated), -EINVAL
 * for metadata that does not describe a TCP/IP frame.
 */
int vhacc_net_gso_segment(
	const struct rte_mbuf *m, struct rte_mempool *mp, struct rte_mbuf **out, uint16_t max);

#endif /* VHACC_NET_OFFLOAD_H */
