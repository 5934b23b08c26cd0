/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIRTQ_NET_HDR_H
#define VIRTQ_NET_HDR_H

/*
 * virtio-net header <-> mbuf offload metadata (VIRTIO_NET_F_CSUM,
 * GUEST_CSUM, HOST_TSO4/6, GUEST_TSO4/6), for the split and packed engines.
 * Runs on: the worker lcore that owns the queue. No allocation, no logging.
 * The negotiated features are q->features.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_net.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "vhacc_virtq.h"

/*
 * Guest TX: apply the header h the guest wrote before the frame now in m
 * (complete, m->pkt_len set). NEEDS_CSUM on TCP/UDP over IPv4/IPv6 at the
 * parsed L4 header becomes RTE_MBUF_F_TX_TCP_CKSUM/_UDP_CKSUM (+ _IPV4/_IPV6,
 * l2_len, l3_len); NEEDS_CSUM anywhere else is computed in software now.
 * GSO_TCPV4/6 becomes RTE_MBUF_F_TX_TCP_SEG with tso_segsz and l4_len (a GSO
 * frame with no more than one segment of payload is sent as a checksum
 * offload only). Returns 0, or -1 to drop the frame: a flag or gso_type
 * whose feature was not negotiated, DATA_VALID or unknown flags, csum_start
 * below 14 or csum_start + csum_offset + 2 beyond the frame, a GSO frame
 * that is not TCP over the IP version of its gso_type, lacks NEEDS_CSUM at
 * the TCP checksum, has gso_size 0, segments longer than 64 KiB, hdr_len
 * beyond the frame or an IP length that disagrees with the frame.
 * Only flags and gso_type decide: other fields are ignored while both are 0.
 */
int virtq_net_hdr_to_mbuf(
	const struct vhacc_virtq *q, const struct virtio_net_hdr *h, struct rte_mbuf *m);

/*
 * Guest TX to guest RX without an mbuf (the one-copy transfer): check the
 * header h a guest wrote before its frame of len bytes, whose first
 * head_len bytes (all of them, or at least the headers) are copied at head,
 * with the rules of virtq_net_hdr_to_mbuf(), and give the header for a
 * receiver that has GUEST_CSUM and the GUEST_TSO4/6 of the frame:
 * NEEDS_CSUM at the same place, and for a frame of more than one segment
 * GSO_TCPV4/6 with gso_size and the parsed header length. *wire_len is the
 * longest frame on the wire (a segment for GSO). 0, or -1 to drop.
 */
int virtq_net_hdr_pass(const struct vhacc_virtq *q, const struct virtio_net_hdr *h,
	const uint8_t *head, uint32_t head_len, uint32_t len, struct virtio_net_hdr *out,
	uint32_t *wire_len);

/*
 * Guest RX: the header to write before m. TX checksum flags become
 * NEEDS_CSUM with GUEST_CSUM, else the checksum is computed in software into
 * m's data (m itself is not changed; vhacc owns the data, and a second call
 * computes the same bytes). A TSO frame becomes GSO_TCPV4/6 with GUEST_TSO4/6
 * (and GUEST_CSUM); the engine must have asked virtq_net_hdr_rx_needs_gso()
 * first. RTE_MBUF_F_RX_L4_CKSUM_GOOD becomes DATA_VALID with GUEST_CSUM;
 * RTE_MBUF_F_RX_L4_CKSUM_NONE (checksum not in the data) on TCP/UDP is
 * handled like a TX checksum flag. num_buffers is not touched.
 */
void virtq_net_hdr_from_mbuf(
	const struct vhacc_virtq *q, const struct rte_mbuf *m, struct virtio_net_hdr *h);

/* mbuf flags that make virtq_net_hdr_from_mbuf() write something other than zeros. */
#define VIRTQ_NET_HDR_MBUF_FLAGS                                                                   \
	(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM |                  \
		RTE_MBUF_F_RX_L4_CKSUM_MASK)

/* Guest TX fast path: a header without flags and gso_type needs nothing. */
static inline int
virtq_net_hdr_apply(const struct vhacc_virtq *q, const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	if (likely(h->flags == 0 && h->gso_type == VIRTIO_NET_HDR_GSO_NONE))
		return 0;
	return virtq_net_hdr_to_mbuf(q, h, m);
}

/* Guest RX fast path: zeros unless m carries offload flags. */
static inline void
virtq_net_hdr_fill(const struct vhacc_virtq *q, const struct rte_mbuf *m, struct virtio_net_hdr *h)
{
	if (likely((m->ol_flags & VIRTQ_NET_HDR_MBUF_FLAGS) == 0)) {
		memset(h, 0, sizeof(*h));
		return;
	}
	virtq_net_hdr_from_mbuf(q, m, h);
}

/* Can this guest take m's TSO as a GSO frame? (GUEST_CSUM and GUEST_TSO4/6 for its IP version) */
static inline bool
virtq_net_hdr_guest_gso(const struct vhacc_virtq *q, const struct rte_mbuf *m)
{
	uint64_t need = (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
			((m->ol_flags & RTE_MBUF_F_TX_IPV6) ? (1ULL << VIRTIO_NET_F_GUEST_TSO6)
							    : (1ULL << VIRTIO_NET_F_GUEST_TSO4));

	return (q->features & need) == need;
}

/*
 * Guest RX: must m be segmented in software (vhacc_net_gso_segment) before
 * it goes to this guest? A TSO frame the guest cannot take as GSO.
 */
static inline bool
virtq_net_hdr_rx_needs_gso(const struct vhacc_virtq *q, const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) && !virtq_net_hdr_guest_gso(q, m);
}

/* Longest frame on the wire m stands for: a TSO frame's segments, else itself. */
static inline uint32_t
virtq_net_wire_len(const struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		return (uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz;
	return m->pkt_len;
}

#endif /* VIRTQ_NET_HDR_H */
