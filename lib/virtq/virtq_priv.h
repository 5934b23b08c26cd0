/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_VIRTQ_PRIV_H
#define VHACC_VIRTQ_PRIV_H

/*
 * Internals shared by the split-ring TX and RX paths: marking a ring
 * broken, walking a descriptor chain one host-contiguous segment at a time,
 * publishing used entries and deciding whether to notify the guest.
 * Runs on: the worker lcore that owns the queue.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "vhacc_virtq.h"

/* Largest frame the TX path accepts from a guest (a 64 KiB GSO frame). */
#define VIRTQ_MAX_FRAME (64u * 1024u)
/* Largest indirect table, in descriptors (the largest ring size). */
#define VIRTQ_MAX_INDIRECT 32768u

static inline void
virtq_mark_broken(struct vhacc_virtq *q, enum vhacc_virtq_broken_reason reason)
{
	if (q->broken)
		return;
	q->broken = true;
	q->broken_reason = reason;
	q->stats.broken++;
}

/*
 * vhacc_guest_mem_translate() with a one-entry cache: a queue's buffers
 * usually all lie in the region of the previous one.
 */
static inline void *
virtq_translate(struct vhacc_virtq *q, uint64_t gpa, uint64_t *len)
{
	const struct vhacc_guest_region *r = &q->mem->regions[q->last_region];
	uint64_t off = gpa - r->gpa;
	uint32_t i;

	if (likely(off < r->size && q->last_region < q->mem->nregions)) {
		if (*len > r->size - off)
			*len = r->size - off;
		return (void *)(uintptr_t)(r->hva + off);
	}
	for (i = 0; i < q->mem->nregions && i < VHACC_GUEST_MAX_REGIONS; i++) {
		r = &q->mem->regions[i];
		off = gpa - r->gpa;
		if (off >= r->size)
			continue;
		q->last_region = i;
		if (*len > r->size - off)
			*len = r->size - off;
		return (void *)(uintptr_t)(r->hva + off);
	}
	return NULL;
}

/*
 * Iterator over one descriptor chain. Yields host-contiguous segments: a
 * descriptor whose buffer spans two adjacent memory regions comes out as
 * two segments. Each descriptor is copied out of guest memory exactly once,
 * so the guest cannot change it between the checks and the use.
 */
struct virtq_chain {
	struct vhacc_virtq *q;
	const struct vring_desc *table; /* ring's table or an indirect one */
	uint32_t tsize;                 /* entries in table */
	uint32_t idx;                   /* next descriptor to load */
	uint32_t seen;                  /* descriptors loaded from table */
	bool indirect;                  /* table is an indirect table */
	bool end;                       /* the last descriptor was loaded */
	uint64_t gpa;                   /* rest of the current descriptor */
	uint64_t left;
};

static inline void
virtq_chain_start(struct virtq_chain *c, struct vhacc_virtq *q, uint16_t head)
{
	c->q = q;
	c->table = q->desc;
	c->tsize = q->size;
	c->idx = head;
	c->seen = 0;
	c->indirect = false;
	c->end = false;
	c->left = 0;
}

/* Switch c to the indirect table that d points to. 0 or -1 (ring marked broken). */
int virtq_chain_enter_indirect(struct virtq_chain *c, const struct vring_desc *d);

/* Load the next descriptor of the chain into c->gpa/left. 0 or -1 (ring marked broken). */
static inline int
virtq_chain_load(struct virtq_chain *c)
{
	struct vhacc_virtq *q = c->q;
	struct vring_desc d;
	bool write;

	for (;;) {
		if (unlikely(c->idx >= c->tsize)) {
			virtq_mark_broken(q, VHACC_BROKEN_DESC_INDEX);
			return -1;
		}
		if (unlikely(++c->seen > c->tsize)) {
			virtq_mark_broken(q, VHACC_BROKEN_CHAIN_LOOP);
			return -1;
		}
		/* One copy out of guest memory; indirect tables may be unaligned. */
		memcpy(&d, &c->table[c->idx], sizeof(d));
		rte_compiler_barrier();
		if (likely(!(d.flags & VRING_DESC_F_INDIRECT)))
			break;
		if (virtq_chain_enter_indirect(c, &d) < 0)
			return -1;
	}

	if (unlikely(d.len == 0 || d.addr + d.len < d.addr)) {
		virtq_mark_broken(q, VHACC_BROKEN_BAD_LEN);
		return -1;
	}
	write = d.flags & VRING_DESC_F_WRITE;
	if (unlikely(write != q->is_rx)) {
		virtq_mark_broken(q, VHACC_BROKEN_DESC_DIR);
		return -1;
	}
	c->gpa = d.addr;
	c->left = d.len;
	if (d.flags & VRING_DESC_F_NEXT)
		c->idx = d.next;
	else
		c->end = true;
	return 0;
}

/*
 * Next segment of the chain: returns its length (> 0) with *hva and *gpa
 * set, 0 at the end of the chain, -1 if the ring is broken (marked).
 */
static inline int64_t
virtq_chain_next(struct virtq_chain *c, uint8_t **hva, uint64_t *gpa)
{
	uint64_t len;

	while (c->left == 0) {
		if (c->end)
			return 0;
		if (virtq_chain_load(c) < 0)
			return -1;
	}
	len = c->left;
	*hva = virtq_translate(c->q, c->gpa, &len);
	if (unlikely(*hva == NULL)) {
		virtq_mark_broken(c->q, VHACC_BROKEN_BAD_ADDR);
		return -1;
	}
	*gpa = c->gpa;
	c->gpa += len;
	c->left -= len;
	return (int64_t)len;
}

/*
 * Number of chains the guest has made available, read with acquire
 * semantics. Marks the ring broken and returns 0 if the index moved by
 * more than the ring size.
 */
static inline uint16_t
virtq_avail_count(struct vhacc_virtq *q, uint16_t *avail_idx)
{
	uint16_t idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(idx - q->last_avail_idx);

	if (unlikely(n > q->size)) {
		virtq_mark_broken(q, VHACC_BROKEN_AVAIL_IDX);
		return 0;
	}
	*avail_idx = idx;
	return n;
}

/* Head of the chain in avail slot `slot` (a free-running index). */
static inline uint16_t
virtq_avail_head(const struct vhacc_virtq *q, uint16_t slot)
{
	return q->avail->ring[slot & q->mask];
}

/*
 * Before a burst: read the heads of the next n avail slots (independent
 * loads, so their cache misses overlap), prefetch their descriptors, then
 * the buffers of those descriptors, so that the per-chain walk finds them
 * in cache. Only hints: nothing read here is trusted or kept.
 */
static inline void
virtq_prefetch_burst(struct vhacc_virtq *q, uint16_t n, bool write)
{
	uint16_t i, heads[64];
	uint64_t len;
	void *p;

	n = RTE_MIN(n, (uint16_t)RTE_DIM(heads));
	for (i = 0; i < n; i++) {
		heads[i] = virtq_avail_head(q, q->last_avail_idx + i) & q->mask;
		rte_prefetch0(&q->desc[heads[i]]);
	}
	for (i = 0; i < n; i++) {
		const struct vring_desc *d = &q->desc[heads[i]];

		len = 1;
		p = virtq_translate(q, d->addr, &len);
		if (p == NULL)
			continue;
		if (write)
			rte_prefetch0_write(p);
		else
			rte_prefetch0(p);
	}
}

/* Packed ring (virtq_packed_*.c); the public functions dispatch on q->packed. */
int virtq_packed_setup(struct vhacc_virtq *q, const struct vhacc_virtq_conf *conf);
uint16_t virtq_packed_dequeue_burst(
	struct vhacc_virtq *q, struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n);
uint16_t virtq_packed_enqueue_burst(struct vhacc_virtq *q, struct rte_mbuf **pkts, uint16_t n);

/* Write shadow[0..n) to the used ring, publish used->idx, log and notify. */
void virtq_flush_used(struct vhacc_virtq *q, uint16_t n);
/* The same for two queues (a first), with one fence for both. */
void virtq_flush_used_pair(struct vhacc_virtq *a, uint16_t na, struct vhacc_virtq *b, uint16_t nb);

#endif /* VHACC_VIRTQ_PRIV_H */
