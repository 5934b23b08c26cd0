/* SPDX-License-Identifier: BSD-3-Clause */
/* Packed ring: not implemented yet; vhacc does not offer VIRTIO_F_RING_PACKED. */

#include <errno.h>

#include <rte_common.h>

#include "virtq_priv.h"

int
virtq_packed_setup(struct vhacc_virtq *q, const struct vhacc_virtq_conf *conf)
{
	RTE_SET_USED(q);
	RTE_SET_USED(conf);
	return -ENOTSUP;
}

uint16_t
virtq_packed_dequeue_burst(struct vhacc_virtq *q, struct rte_mempool *mp, struct rte_mbuf **pkts,
	uint16_t n)
{
	RTE_SET_USED(q);
	RTE_SET_USED(mp);
	RTE_SET_USED(pkts);
	RTE_SET_USED(n);
	return 0;
}

uint16_t
virtq_packed_enqueue_burst(struct vhacc_virtq *q, struct rte_mbuf **pkts, uint16_t n)
{
	RTE_SET_USED(q);
	RTE_SET_USED(pkts);
	RTE_SET_USED(n);
	return 0;
}
