/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest TX to guest RX in one copy: frames go from one guest's TX chains
 * straight into another guest's (or the same guest's) RX chains, without an
 * mbuf in between. Used for loopback and cross-connected vhost ports, with
 * split or packed rings on either side.
 * Runs on: the worker lcore that owns the source queue; the destination RX
 * queue is written only by that same worker (doc/architecture.md).
 *
 * Per frame: pass 1 walks the TX chain once, collecting its virtio-net
 * header, the host segments of the frame (up to XFER_SEGS of them) and its
 * length, with every check of the TX path. Pass 2 writes the frame into RX
 * chains, as the RX path does (mergeable or not), from the recorded segments
 * (or, for longer chains, by walking the TX chain again with every check
 * repeated). Nothing is published until a frame is complete: when the
 * destination lacks buffers its chains are given back and the TX chain
 * stays in the source ring (back-pressure without holding packets).
 *
 * The two ring layouts differ only in how a chain is found, walked and
 * marked used; the xring_* helpers below hide that behind a test of
 * q->packed (the same for a whole burst, so well predicted).
 */

#include <stddef.h>

#include <linux/virtio_net.h>

#include <rte_memcpy.h>
#include <rte_vhost.h>

#include "virtq_net_hdr.h"
#include "virtq_packed_priv.h"
#include "virtq_priv.h"

#define XFER_SEGS 8
/* Frame bytes copied aside to check an offload request (headers only) */
#define XFER_HEAD 256

enum xfer_result {
	XFER_OK,
	XFER_NO_BUF, /* destination lacks buffers now: nothing consumed */
	XFER_DROP,   /* frame consumed from the source and dropped (counted) */
	XFER_BROKEN, /* a ring was marked broken; nothing consumed */
};

/* A chain of either ring layout, walked from the queue's avail position. */
struct xring_chain {
	bool packed;
	uint16_t head; /* split: the chain's head descriptor */
	union {
		struct virtq_chain s;
		struct virtq_pchain p;
	};
};

/* Start walking the chain at q's avail position (which must be available). */
static inline void
xring_chain_start(struct xring_chain *c, struct vhacc_virtq *q)
{
	c->packed = q->packed;
	if (q->packed) {
		virtq_pchain_start(&c->p, q, q->last_avail_idx, q->avail_wrap);
	} else {
		c->head = virtq_avail_head(q, q->last_avail_idx);
		virtq_chain_start(&c->s, q, c->head);
	}
}

static inline int64_t
xring_chain_next(struct xring_chain *c, uint8_t **hva, uint64_t *gpa)
{
	return c->packed ? virtq_pchain_next(&c->p, hva, gpa) : virtq_chain_next(&c->s, hva, gpa);
}

/*
 * The walked chain is taken: move q's avail position past it and record
 * its used entry at shadow[slot]. A packed chain's unread rest is loaded
 * first (its id and descriptor count are needed). 0 or -1 (broken).
 */
static inline int
xring_chain_take(struct vhacc_virtq *q, struct xring_chain *c, uint16_t slot, uint32_t len)
{
	if (!c->packed) {
		q->last_avail_idx++;
		q->shadow[slot].id = c->head;
		q->shadow[slot].len = len;
		return 0;
	}
	if (unlikely(virtq_pchain_finish(&c->p) < 0))
		return -1;
	q->last_avail_idx = c->p.pos;
	q->avail_wrap = c->p.wrap;
	q->shadow[slot].id = c->p.id;
	q->shadow[slot].len = len;
	q->shadow[slot].ndesc = c->p.ndesc;
	return 0;
}

/* Descriptors a taken chain occupies in the ring (the split avail ring: one slot). */
static inline uint16_t
xring_chain_slots(const struct xring_chain *c)
{
	return c->packed ? c->p.ndesc : 1;
}

/*
 * Is a chain available at q's avail position? split_idx: the avail index
 * read at the start of the burst (split only).
 */
static inline bool
xring_ready(const struct vhacc_virtq *q, uint16_t split_idx)
{
	if (q->packed)
		return virtq_pdesc_ready(q, q->last_avail_idx, q->avail_wrap);
	return q->last_avail_idx != split_idx;
}

/*
 * Chains available at the start of a burst, at most n: exact for a split
 * ring (and *split_idx set), 0 or 1 for a packed one, whose chains are
 * checked one at a time (xring_ready). Prefetches what the burst will read.
 */
static inline uint16_t
xring_burst_start(struct vhacc_virtq *q, uint16_t n, bool write, uint16_t *split_idx)
{
	uint16_t avail;

	*split_idx = 0;
	if (q->packed) {
		virtq_packed_burst_start(q);
		if (!virtq_pdesc_ready(q, q->last_avail_idx, q->avail_wrap))
			return 0;
		virtq_packed_prefetch(q, n, write);
		return 1;
	}
	avail = virtq_avail_count(q, split_idx);
	if (avail != 0)
		virtq_prefetch_burst(q, RTE_MIN(n, avail), write);
	return avail;
}

/* Publish shadow[0..n) of each queue, the receiver first, and notify. */
static inline void
xring_flush(struct vhacc_virtq *dst, uint16_t nd, struct vhacc_virtq *src, uint16_t ns)
{
	if (!dst->packed && !src->packed) {
		virtq_flush_used_pair(dst, nd, src, ns); /* one fence for both */
		return;
	}
	if (dst->packed)
		virtq_packed_flush_used(dst, nd);
	else
		virtq_flush_used(dst, nd);
	if (src->packed)
		virtq_packed_flush_used(src, ns);
	else
		virtq_flush_used(src, ns);
}

struct xfer_seg {
	const uint8_t *p;
	uint32_t len;
};

/* The frame of one TX chain, as pass 1 found it. */
struct xfer_frame {
	struct vhacc_virtq *src;
	uint32_t len;              /* frame bytes, without the virtio-net header */
	uint32_t wire_len;         /* longest frame on the wire: a GSO frame's segments */
	struct virtio_net_hdr hdr; /* for the receiver (zero without an offload) */
	uint16_t nsegs;            /* recorded segments; XFER_SEGS + 1: walk again */
	struct xfer_seg segs[XFER_SEGS];
	struct xring_chain walk; /* pass 2 re-walk state when nsegs > XFER_SEGS */
	const uint8_t *wp;
	uint32_t wleft;
	uint32_t wskip;
};

/*
 * Pass 1 over the chain at src's avail position, walked with c (left at
 * the chain's end for xring_chain_take). 0: frame ok; -1: ring broken;
 * 1: frame to drop (stats counted).
 */
static int
xfer_scan(struct vhacc_virtq *src, struct xring_chain *c, struct xfer_frame *f)
{
	union {
		uint8_t b[sizeof(struct virtio_net_hdr_mrg_rxbuf)];
		struct virtio_net_hdr h;
	} hdr;
	uint8_t head[XFER_HEAD];
	uint32_t skip = src->hdr_len, head_len = 0;
	uint64_t gpa, total = 0;
	bool offload = false;
	uint8_t *p;
	int64_t seg;

	f->src = src;
	f->nsegs = 0;
	xring_chain_start(c, src);
	while ((seg = xring_chain_next(c, &p, &gpa)) > 0) {
		uint32_t len = (uint32_t)seg, k = RTE_MIN(skip, len);

		if (k > 0) {
			if (likely(k == src->hdr_len)) {
				/* the whole header here: flags and gso_type, its first
				 * two bytes, say whether it asks for an offload */
				offload = (p[0] | p[1]) != 0;
				if (unlikely(offload))
					memcpy(hdr.b, p, sizeof(hdr.h));
			} else {
				/* a header spread over descriptors: gather it */
				memcpy(hdr.b + src->hdr_len - skip, p, k);
				offload = skip == k &&
					  (hdr.h.flags != 0 ||
						  hdr.h.gso_type != VIRTIO_NET_HDR_GSO_NONE);
			}
			skip -= k;
			p += k;
			len -= k;
		}
		if (len == 0)
			continue;
		if (unlikely(offload) && head_len < XFER_HEAD) {
			k = RTE_MIN(len, XFER_HEAD - head_len);
			memcpy(head + head_len, p, k);
			head_len += k;
		}
		total += len;
		if (f->nsegs < XFER_SEGS)
			f->segs[f->nsegs] = (struct xfer_seg){p, len};
		if (f->nsegs <= XFER_SEGS)
			f->nsegs++;
	}
	if (unlikely(seg < 0))
		return -1;
	if (unlikely(skip > 0 || total == 0)) {
		virtq_mark_broken(src, VHACC_BROKEN_SHORT_CHAIN);
		return -1;
	}
	if (unlikely(total > VIRTQ_MAX_FRAME)) {
		src->stats.drop_too_big++;
		return 1;
	}
	memset(&f->hdr, 0, sizeof(f->hdr));
	f->wire_len = (uint32_t)total;
	/* the mbuf path's checks (virtq_net_hdr_to_mbuf), on the copied headers */
	if (unlikely(offload) && virtq_net_hdr_pass(src, &hdr.h, head, head_len, (uint32_t)total,
					 &f->hdr, &f->wire_len) < 0) {
		src->stats.drop_bad_hdr++;
		return 1;
	}
	if (unlikely(src->max_frame != 0 && f->wire_len > src->max_frame)) {
		src->stats.drop_over_mtu++;
		return 1;
	}
	f->len = (uint32_t)total;
	if (f->nsegs > XFER_SEGS) {
		xring_chain_start(&f->walk, src);
		f->wleft = 0;
		f->wskip = src->hdr_len;
	}
	return 0;
}

/* The next source bytes of the frame (at most max). 0 if the guest changed the chain. */
static inline uint32_t
xfer_src_next(struct xfer_frame *f, uint16_t *i, const uint8_t **p, uint32_t max)
{
	uint32_t k;

	if (f->nsegs <= XFER_SEGS) {
		struct xfer_seg *s = &f->segs[*i];

		k = RTE_MIN(max, s->len);
		*p = s->p;
		s->p += k;
		s->len -= k;
		if (s->len == 0)
			(*i)++;
		return k;
	}
	/* A chain longer than XFER_SEGS segments: walk it again, checking again. */
	while (f->wleft == 0) {
		uint8_t *wp;
		uint64_t gpa;
		int64_t seg = xring_chain_next(&f->walk, &wp, &gpa);

		if (seg <= 0)
			return 0;
		k = RTE_MIN(f->wskip, (uint32_t)seg);
		f->wskip -= k;
		f->wp = wp + k;
		f->wleft = (uint32_t)seg - k;
	}
	k = RTE_MIN(max, f->wleft);
	*p = f->wp;
	f->wp += k;
	f->wleft -= k;
	return k;
}

/*
 * Pass 2: write the frame into dst's RX chains (see virtq_split_rx.c and
 * virtq_packed_rx.c for the rules), recording them in dst->shadow from
 * *nused. On anything but XFER_OK, dst's avail position is as it was.
 */
static enum xfer_result
xfer_write(struct vhacc_virtq *dst, struct xfer_frame *f, uint16_t split_idx, uint16_t *nused)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = {.hdr = f->hdr, .num_buffers = 0};
	const uint8_t *hp = (const uint8_t *)&hdr;
	uint16_t start_avail = dst->last_avail_idx, start_used = *nused, nbufs = 0, si = 0;
	uint32_t remaining = dst->hdr_len + f->len, hdr_left = dst->hdr_len, hdr_pos = 0;
	uint32_t slots = 0; /* ring slots taken for this frame */
	bool start_wrap = dst->avail_wrap;
	uint8_t *nb[2] = {NULL, NULL};

	while (remaining > 0) {
		struct xring_chain c;
		uint32_t written = 0;
		uint64_t gpa;
		uint8_t *p;
		int64_t seg;

		if ((!dst->mrg_rxbuf && nbufs == 1) || *nused == dst->size ||
			!xring_ready(dst, split_idx)) {
			/* Out of chains, or, without mergeable buffers, the
			 * one chain was too small. The frame can never fit if
			 * a non-mergeable chain was too small or if it went
			 * through the whole ring. */
			bool too_big = dst->mrg_rxbuf ? slots >= dst->size : nbufs == 1;

			dst->last_avail_idx = start_avail;
			dst->avail_wrap = start_wrap;
			*nused = start_used;
			if (!too_big)
				return XFER_NO_BUF;
			dst->stats.drop_too_big++;
			return XFER_DROP;
		}
		xring_chain_start(&c, dst);
		while (remaining > 0 && (seg = xring_chain_next(&c, &p, &gpa)) != 0) {
			uint32_t room;

			if (seg < 0)
				goto broken;
			room = (uint32_t)RTE_MIN((uint64_t)seg, (uint64_t)remaining);
			if (dst->log)
				rte_vhost_log_write(dst->vid, gpa, room);
			written += room;
			remaining -= room;
			if (hdr_pos == 0 && hdr_left == sizeof(hdr) && room >= sizeof(hdr)) {
				/* usual case: the whole header in the first buffer */
				memcpy(p, &hdr, sizeof(hdr));
				nb[0] = p + offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers);
				nb[1] = nb[0] + 1;
				p += sizeof(hdr);
				room -= sizeof(hdr);
				hdr_pos = hdr_left;
				hdr_left = 0;
			}
			while (room > 0 && hdr_left > 0) {
				if (hdr_pos ==
					offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers))
					nb[0] = p;
				else if (hdr_pos ==
					 offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers) + 1)
					nb[1] = p;
				*p++ = *hp++;
				hdr_pos++;
				hdr_left--;
				room--;
			}
			while (room > 0) {
				const uint8_t *sp;
				uint32_t k = xfer_src_next(f, &si, &sp, room);

				if (unlikely(k == 0)) {
					/* the guest changed its TX chain between the passes */
					virtq_mark_broken(f->src, VHACC_BROKEN_SHORT_CHAIN);
					goto broken;
				}
				rte_memcpy(p, sp, k);
				p += k;
				room -= k;
			}
		}
		if (unlikely(xring_chain_take(dst, &c, *nused, written) < 0))
			goto broken;
		slots += xring_chain_slots(&c);
		(*nused)++;
		nbufs++;
	}
	/* num_buffers exists in the 12-byte header only; little endian. */
	if (nb[0] != NULL)
		*nb[0] = nbufs & 0xff;
	if (nb[1] != NULL)
		*nb[1] = nbufs >> 8;
	return XFER_OK;

broken:
	dst->last_avail_idx = start_avail;
	dst->avail_wrap = start_wrap;
	*nused = start_used;
	return XFER_BROKEN;
}

uint16_t
vhacc_virtq_xfer_burst(
	struct vhacc_virtq *src, struct vhacc_virtq *dst, uint16_t n, uint16_t *consumed)
{
	uint16_t src_idx, dst_idx, nsrc, i, src_used = 0, dst_used = 0, moved = 0;
	struct xfer_frame f;

	*consumed = 0;
	if (unlikely(src->broken || dst->broken || n == 0))
		return 0;
	n = RTE_MIN(n, src->size); /* src->shadow holds one entry per chain taken */
	nsrc = xring_burst_start(src, n, false, &src_idx);
	if (nsrc == 0)
		return 0;
	if (!src->packed)
		n = RTE_MIN(n, nsrc);
	if (xring_burst_start(dst, n, true, &dst_idx) == 0) {
		if (!dst->broken)
			dst->stats.rx_no_buffers++;
		return 0;
	}

	for (i = 0; i < n; i++) {
		struct xring_chain c;
		enum xfer_result r;
		int s;

		if (src->packed && !xring_ready(src, 0))
			break;
		s = xfer_scan(src, &c, &f);
		if (unlikely(s < 0))
			break;
		if (likely(s == 0)) {
			if (unlikely(dst->max_frame != 0 && f.wire_len > dst->max_frame)) {
				dst->stats.drop_over_mtu++; /* as on the mbuf path */
				r = XFER_DROP;
			} else {
				r = xfer_write(dst, &f, dst_idx, &dst_used);
			}
			if (r == XFER_NO_BUF) {
				dst->stats.rx_no_buffers++;
				break;
			}
			if (unlikely(r == XFER_BROKEN))
				break;
			/* the source sent it, as with the mbuf path, even if dst dropped it */
			src->stats.packets++;
			src->stats.bytes += f.len;
			if (r == XFER_OK) {
				dst->stats.packets++;
				dst->stats.bytes += f.len;
				moved++;
			}
		}
		/* Consumed: delivered, or dropped and counted. The walk reached
		 * the chain's end, so taking it cannot fail. */
		xring_chain_take(src, &c, src_used, 0);
		src_used++;
	}
	/* The receiver first: its frames are complete before the sender learns they left. */
	xring_flush(dst, dst_used, src, src_used);
	*consumed = src_used;
	return moved;
}
