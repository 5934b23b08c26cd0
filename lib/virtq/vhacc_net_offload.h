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

#include <rte_common.h>

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

/*
 * Ethdev uplinks: TX through the device's offloads where it has them, in
 * software where it does not.
 */

#define VHACC_NET_UPLINK_MAX_QUEUES 16

/* Per (port, TX queue) counters, written by the worker that owns the queue. */
struct vhacc_net_uplink_stats {
	uint64_t sw_cksum;  /* frames checksummed by vhacc: the device lacks that offload */
	uint64_t sw_gso;    /* TSO frames segmented by vhacc: the device lacks TSO */
	uint64_t gso_segs;  /* segments made by those */
	uint64_t drop_gso;  /* TSO frames dropped (mbufs ran out, more than 256 segments, bad
			     * metadata) or cut short (the device took only some segments) */
	uint64_t bad_cksum; /* checksum flags on a frame whose IP header does not describe it:
			     * sent without the checksum */
} __rte_cache_aligned;

/*
 * Control lcore, before the port is polled: the RTE_ETH_TX_OFFLOAD_* enabled
 * on ethdev `port` (of IPV4_CKSUM, TCP_CKSUM, UDP_CKSUM, TCP_TSO). Counters
 * are kept per port id and reset here.
 */
void vhacc_net_uplink_register(uint16_t port, uint64_t tx_offloads);

/* What vhacc_net_uplink_register() recorded (0 for a port never registered). */
uint64_t vhacc_net_uplink_tx_offloads(uint16_t port);

/* Counters of (port, queue), read relaxed (any lcore). -EINVAL for a bad port or queue. */
int vhacc_net_uplink_stats(uint16_t port, uint16_t queue, struct vhacc_net_uplink_stats *out);

/*
 * Worker: rte_eth_tx_burst() for frames that may carry vhacc's offload
 * flags. Frames whose offloads the device has are prepared for it
 * (rte_eth_tx_prepare(); the IPv4 header checksum of a TSO frame is left to
 * the device when it can); the others are checksummed or segmented here
 * (segments from mp). Returns how many frames from the front of pkts were
 * consumed: sent, or dropped and counted (a TSO frame whose segments the
 * device took only in part counts as consumed). The caller keeps the rest,
 * as with rte_eth_tx_burst().
 */
uint16_t vhacc_net_uplink_tx_burst(
	uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, struct rte_mempool *mp);

#endif /* VHACC_NET_OFFLOAD_H */
