/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_VIRTQ_PACKED_PRIV_H
#define VHACC_VIRTQ_PACKED_PRIV_H

/*
 * Packed-ring internals shared by virtq_packed_tx.c and virtq_packed_rx.c:
 * descriptor availability, the chain walker over ring descriptors and
 * indirect tables, and publication of used descriptors.
 * Runs on: the worker lcore that owns the queue.
 *
 * Ring positions are indices 0..size-1 with a wrap counter beside them; the
 * size need not be a power of two.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include <rte_branch_prediction.h>

#include "virtq_priv.h"

#define VIRTQ_PDESC_AVAIL ((uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL))
#define VIRTQ_PDESC_USED  ((uint16_t)(1u << VRING_PACKED_DESC_F_USED))

/* Is a descriptor with these flags available to the device in the lap of `wrap`? */
static inline bool
virtq_pdesc_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VIRTQ_PDESC_AVAIL) == wrap && !!(flags & VIRTQ_PDESC_USED) != wrap;
}

/* Does the driver offer a descriptor at (pos, wrap)? Acquire: its contents follow. */
static inline bool
virtq_pdesc_ready(const struct vhacc_virtq *q, uint16_t pos, bool wrap)
{
	return virtq_pdesc_avail(
		__atomic_load_n(&q->desc_packed[pos].flags, __ATOMIC_ACQUIRE), wrap);
}

static inline void
virtq_ppos_advance(const struct vhacc_virtq *q, uint16_t *pos, bool *wrap, uint16_t k)
{
	*pos += k;
	if (*pos >= q->size) {
		*pos -= q->size;
		*wrap = !*wrap;
	}
}

/* Out of line: step over what the frontend completed (vhacc_virtq_skip_frontend_used). */
void virtq_packed_skip(struct vhacc_virtq *q);

/* At the start of every burst: at the position where the frontend completed
 * descriptors itself, step over them first. One predictable branch. */
static inline void
virtq_packed_burst_start(struct vhacc_virtq *q)
{
	if (unlikely(q->skip_len != 0) && q->last_avail_idx == q->skip_pos &&
		q->avail_wrap == q->skip_wrap)
		virtq_packed_skip(q);
}

/*
 * Iterator over one packed chain starting at the queue's avail position.
 * Yields host-contiguous segments like virtq_chain (split). Each descriptor
 * is copied out of guest memory once before it is checked.
 */
struct virtq_pchain {
	struct vhacc_virtq *q;
	const struct vring_packed_desc *table; /* indirect table, or NULL */
	uint32_t tsize;                        /* entries in table */
	uint32_t tidx;                         /* next table entry */
	uint16_t pos;                          /* next ring descriptor */
	bool wrap;                             /* the driver's wrap counter at pos */
	bool ring_done;                        /* the chain's last ring descriptor was loaded */
	bool end;                              /* no descriptor left to load */
	uint16_t ndesc;                        /* ring descriptors taken */
	uint16_t id;                           /* buffer id, once ring_done */
	uint64_t gpa;                          /* rest of the current descriptor */
	uint64_t left;
};

static inline void
virtq_pchain_start(struct virtq_pchain *c, struct vhacc_virtq *q, uint16_t pos, bool wrap)
{
	c->q = q;
	c->table = NULL;
	c->tsize = 0;
	c->tidx = 0;
	c->pos = pos;
	c->wrap = wrap;
	c->ring_done = false;
	c->end = false;
	c->ndesc = 0;
	c->id = 0;
	c->left = 0;
}

/* Load the next descriptor into c->gpa/left. 0 or -1 (ring marked broken). */
int virtq_pchain_load(struct virtq_pchain *c);

/*
 * Take the rest of the chain's ring descriptors without reading their
 * buffers (an RX chain longer than the packet): its buffer id and
 * descriptor count are needed for the used descriptor. 0 or -1 (broken).
 */
int virtq_pchain_finish(struct virtq_pchain *c);

/* As virtq_chain_next(): segment length > 0, 0 at the end, -1 broken. */
static inline int64_t
virtq_pchain_next(struct virtq_pchain *c, uint8_t **hva, uint64_t *gpa)
{
	uint64_t len;

	while (c->left == 0) {
		if (c->end)
			return 0;
		if (virtq_pchain_load(c) < 0)
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
 * Before a burst: prefetch the next n ring descriptors and the buffers of
 * those that look available. Only hints: nothing read here is trusted.
 */
static inline void
virtq_packed_prefetch(struct vhacc_virtq *q, uint16_t n, bool write)
{
	uint16_t pos = q->last_avail_idx, i;
	bool wrap = q->avail_wrap;

	n = RTE_MIN(n, q->size);
	for (i = 0; i < n; i += 4) {
		uint16_t p = (uint16_t)(pos + i);

		rte_prefetch0(&q->desc_packed[p >= q->size ? p - q->size : p]);
	}
	for (i = 0; i < n; i++) {
		const struct vring_packed_desc *d = &q->desc_packed[pos];
		uint64_t len = 1;
		void *p;

		if (!virtq_pdesc_avail(d->flags, wrap))
			break;
		if (!(d->flags & VRING_DESC_F_INDIRECT)) {
			p = virtq_translate(q, d->addr, &len);
			if (p != NULL) {
				if (write)
					rte_prefetch0_write(p);
				else
					rte_prefetch0(p);
			}
		}
		virtq_ppos_advance(q, &pos, &wrap, 1);
	}
}

/*
 * Write shadow[0..n) as used descriptors from last_used_idx (first one's
 * flags last), advance the used position by each chain's descriptor count,
 * dirty-log them and notify the driver if its event suppression asks for it.
 */
void virtq_packed_flush_used(struct vhacc_virtq *q, uint16_t n);

#endif /* VHACC_VIRTQ_PACKED_PRIV_H */
