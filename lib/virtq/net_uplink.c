/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethdev uplink TX with offloads: what the device can do goes to the device
 * (through rte_eth_tx_prepare), the rest is done here in software.
 * vhacc_net_uplink_register() runs on the control lcore; the TX burst on the
 * worker that owns the (port, queue): no locks, no allocation except
 * segment mbufs from the given pool, no logging.
 */

#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "vhacc_net_offload.h"

struct uplink {
	uint64_t tx_offloads;
	struct vhacc_net_uplink_stats stats[VHACC_NET_UPLINK_MAX_QUEUES];
};

/* Kept per port id and never freed, so a late worker write can do no harm. */
static struct uplink uplinks[RTE_MAX_ETHPORTS];

void
vhacc_net_uplink_register(uint16_t port, uint64_t tx_offloads)
{
	if (port >= RTE_MAX_ETHPORTS)
		return;
	memset(uplinks[port].stats, 0, sizeof(uplinks[port].stats));
	uplinks[port].tx_offloads = tx_offloads;
}

uint64_t
vhacc_net_uplink_tx_offloads(uint16_t port)
{
	return port < RTE_MAX_ETHPORTS ? uplinks[port].tx_offloads : 0;
}

int
vhacc_net_uplink_stats(uint16_t port, uint16_t queue, struct vhacc_net_uplink_stats *out)
{
	const struct vhacc_net_uplink_stats *s;

	if (port >= RTE_MAX_ETHPORTS || queue >= VHACC_NET_UPLINK_MAX_QUEUES)
		return -EINVAL;
	s = &uplinks[port].stats[queue];
	out->sw_cksum = __atomic_load_n(&s->sw_cksum, __ATOMIC_RELAXED);
	out->sw_gso = __atomic_load_n(&s->sw_gso, __ATOMIC_RELAXED);
	out->gso_segs = __atomic_load_n(&s->gso_segs, __ATOMIC_RELAXED);
	out->drop_gso = __atomic_load_n(&s->drop_gso, __ATOMIC_RELAXED);
	out->bad_cksum = __atomic_load_n(&s->bad_cksum, __ATOMIC_RELAXED);
	return 0;
}

#define OFFLOAD_FLAGS (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM)

enum fix {
	FIX_PLAIN,  /* nothing left for the device to do */
	FIX_DEVICE, /* the device does the offloads (prepared) */
	FIX_GSO,    /* a TSO frame to segment here */
};

static void
cksum_here(struct rte_mbuf *m, struct vhacc_net_uplink_stats *st)
{
	if (vhacc_net_cksum_sw(m) == 0) {
		st->sw_cksum++;
	} else {
		m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM);
		st->bad_cksum++;
	}
}

/* Make m ready for the device, or say it must be segmented here. */
static enum fix
uplink_fix(uint16_t port, uint16_t queue, struct rte_mbuf *m, uint64_t capa,
	struct vhacc_net_uplink_stats *st)
{
	uint64_t f = m->ol_flags, l4 = f & RTE_MBUF_F_TX_L4_MASK, need = 0;

	if (likely((f & OFFLOAD_FLAGS) == 0))
		return FIX_PLAIN;
	if (f & RTE_MBUF_F_TX_TCP_SEG) {
		if (!(capa & RTE_ETH_TX_OFFLOAD_TCP_TSO))
			return FIX_GSO;
		/* DPDK's TSO: TCP_SEG implies the TCP checksum; the IPv4
		 * header checksum by the device where it can */
		m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
		if ((f & RTE_MBUF_F_TX_IPV4) && (capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		if (rte_eth_tx_prepare(port, queue, &m, 1) == 1)
			return FIX_DEVICE;
		m->ol_flags = f; /* refused by the device's checks */
		return FIX_GSO;
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
		need |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		need |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	else if (l4 != 0)
		need |= UINT64_MAX; /* SCTP: vhacc never asks for it */
	if (f & RTE_MBUF_F_TX_IP_CKSUM)
		need |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if ((capa & need) == need && rte_eth_tx_prepare(port, queue, &m, 1) == 1)
		return FIX_DEVICE;
	cksum_here(m, st);
	return FIX_PLAIN;
}

/*
 * Segment m here and send the segments. 1: m consumed (sent, or dropped and
 * counted); 0: the device took nothing, m stays with the caller.
 */
static int
uplink_gso(uint16_t port, uint16_t queue, struct rte_mbuf *m, struct rte_mempool *mp, uint64_t capa,
	struct vhacc_net_uplink_stats *st)
{
	struct rte_mbuf *segs[VHACC_NET_GSO_MAX_SEGS];
	int n = vhacc_net_gso_segment(m, mp, segs, RTE_DIM(segs)), i;
	uint16_t sent;

	if (unlikely(n < 0)) {
		rte_pktmbuf_free(m);
		st->drop_gso++;
		return 1;
	}
	for (i = 0; i < n; i++)
		uplink_fix(port, queue, segs[i], capa, st);
	sent = rte_eth_tx_burst(port, queue, segs, (uint16_t)n);
	if (sent < n)
		rte_pktmbuf_free_bulk(&segs[sent], (unsigned int)(n - sent));
	if (sent == 0)
		return 0;
	if (sent < n)
		st->drop_gso++;
	st->sw_gso++;
	st->gso_segs += sent;
	rte_pktmbuf_free(m);
	return 1;
}

uint16_t
vhacc_net_uplink_tx_burst(
	uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, struct rte_mempool *mp)
{
	static struct vhacc_net_uplink_stats spare; /* unregistered queue: counted nowhere useful */
	struct vhacc_net_uplink_stats *st = &spare;
	uint64_t capa = 0;
	uint16_t done = 0;

	if (likely(port < RTE_MAX_ETHPORTS)) {
		capa = uplinks[port].tx_offloads;
		if (likely(queue < VHACC_NET_UPLINK_MAX_QUEUES))
			st = &uplinks[port].stats[queue];
	}
	while (done < n) {
		uint16_t end = done, sent;

		/* the frames up to the next one to segment here go as they are */
		while (end < n && uplink_fix(port, queue, pkts[end], capa, st) != FIX_GSO)
			end++;
		if (end > done) {
			sent = rte_eth_tx_burst(port, queue, &pkts[done], end - done);
			done += sent;
			if (done < end)
				return done; /* device full: the rest stays (already prepared, harmless) */
		}
		if (done < n) {
			if (uplink_gso(port, queue, pkts[done], mp, capa, st) == 0)
				return done;
			done++;
		}
	}
	return done;
}
