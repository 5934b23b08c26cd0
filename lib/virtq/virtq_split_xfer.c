/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split ring to split ring, one copy: frames go from one guest's TX chains
 * straight into another guest's (or the same guest's) RX chains, without an
 * mbuf in between. Used for loopback and cross-connected vhost ports.
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
 */

#include <stddef.h>

#include <linux/virtio_net.h>

#include <rte_memcpy.h>
#include <rte_vhost.h>

#include "virtq_priv.h"

#define XFER_SEGS 8

enum xfer_result {
	XFER_OK,
	XFER_NO_BUF, /* destination lacks buffers now: nothing consumed */
	XFER_DROP,   /* frame consumed from the source and dropped (counted) */
	XFER_BROKEN, /* a ring was marked broken; nothing consumed */
};

struct xfer_seg {
	const uint8_t *p;
	uint32_t len;
};

/* The frame of one TX chain, as pass 1 found it. */
struct xfer_frame {
	uint16_t head;
	uint32_t len;   /* frame bytes, without the virtio-net header */
	uint16_t nsegs; /* recorded segments; XFER_SEGS + 1: walk again */
	struct xfer_seg segs[XFER_SEGS];
	struct virtq_chain walk; /* pass 2 re-walk state when nsegs > XFER_SEGS */
	const uint8_t *wp;
	uint32_t wleft;
	uint32_t wskip;
};

/* Pass 1. 0: frame ok; -1: ring broken; 1: frame to drop (stats counted). */
static int
xfer_scan(struct vhacc_virtq *src, uint16_t head, struct xfer_frame *f)
{
	struct virtq_chain c;
	uint32_t skip = src->hdr_len;
	uint64_t gpa, total = 0;
	uint8_t *p, hdr_or = 0;
	int64_t seg;

	f->head = head;
	f->nsegs = 0;
	virtq_chain_start(&c, src, head);
	while ((seg = virtq_chain_next(&c, &p, &gpa)) > 0) {
		uint32_t len = (uint32_t)seg, k = RTE_MIN(skip, len), i;

		/* flags and gso_type, the header's first two bytes: without
		 * CSUM (xfer_possible) both must be 0, as on the mbuf path */
		for (i = 0; i < k && src->hdr_len - skip + i < 2; i++)
			hdr_or |= p[i];
		skip -= k;
		p += k;
		len -= k;
		if (len == 0)
			continue;
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
	if (unlikely(hdr_or != 0)) {
		src->stats.drop_bad_hdr++; /* an offload request without CSUM */
		return 1;
	}
	if (unlikely(src->max_frame != 0 && total > src->max_frame)) {
		src->stats.drop_over_mtu++;
		return 1;
	}
	f->len = (uint32_t)total;
	if (f->nsegs > XFER_SEGS) {
		virtq_chain_start(&f->walk, src, head);
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
		int64_t seg = virtq_chain_next(&f->walk, &wp, &gpa);

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

/* Pass 2: write the frame into dst's RX chains (see virtq_split_rx.c for the rules). */
static enum xfer_result
xfer_write(struct vhacc_virtq *dst, struct xfer_frame *f, uint16_t avail_idx, uint16_t *nused)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = {.num_buffers = 0};
	const uint8_t *hp = (const uint8_t *)&hdr;
	uint16_t start_avail = dst->last_avail_idx, start_used = *nused, nbufs = 0, si = 0;
	uint32_t remaining = dst->hdr_len + f->len, hdr_left = dst->hdr_len, hdr_pos = 0;
	uint8_t *nb[2] = {NULL, NULL};

	while (remaining > 0) {
		struct virtq_chain c;
		uint32_t written = 0;
		uint16_t head;
		uint64_t gpa;
		uint8_t *p;
		int64_t seg;

		if (dst->last_avail_idx == avail_idx || (!dst->mrg_rxbuf && nbufs == 1)) {
			bool too_big = dst->mrg_rxbuf
					       ? (uint16_t)(avail_idx - start_avail) == dst->size
					       : nbufs == 1;

			dst->last_avail_idx = start_avail;
			*nused = start_used;
			if (!too_big)
				return XFER_NO_BUF;
			dst->stats.drop_too_big++;
			return XFER_DROP;
		}
		head = virtq_avail_head(dst, dst->last_avail_idx);
		dst->last_avail_idx++;
		virtq_chain_start(&c, dst, head);
		while (remaining > 0 && (seg = virtq_chain_next(&c, &p, &gpa)) != 0) {
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
					virtq_mark_broken(f->walk.q, VHACC_BROKEN_SHORT_CHAIN);
					goto broken;
				}
				rte_memcpy(p, sp, k);
				p += k;
				room -= k;
			}
		}
		dst->shadow[*nused].id = head;
		dst->shadow[*nused].len = written;
		(*nused)++;
		nbufs++;
	}
	if (nb[0] != NULL)
		*nb[0] = nbufs & 0xff;
	if (nb[1] != NULL)
		*nb[1] = nbufs >> 8;
	return XFER_OK;

broken:
	dst->last_avail_idx = start_avail;
	*nused = start_used;
	return XFER_BROKEN;
}

uint16_t
vhacc_virtq_xfer_burst(
	struct vhacc_virtq *src, struct vhacc_virtq *dst, uint16_t n, uint16_t *consumed)
{
	uint16_t src_idx, dst_idx, nsrc, ndst, i, src_used = 0, dst_used = 0, moved = 0;
	struct xfer_frame f;

	*consumed = 0;
	if (unlikely(src->broken || dst->broken || n == 0))
		return 0;
	nsrc = virtq_avail_count(src, &src_idx);
	if (nsrc == 0)
		return 0;
	ndst = virtq_avail_count(dst, &dst_idx);
	if (unlikely(dst->broken))
		return 0;
	if (ndst == 0) {
		dst->stats.rx_no_buffers++;
		return 0;
	}
	n = RTE_MIN(n, nsrc);
	virtq_prefetch_burst(src, n, false);
	virtq_prefetch_burst(dst, RTE_MIN(n, ndst), true);

	for (i = 0; i < n; i++) {
		uint16_t head = virtq_avail_head(src, src->last_avail_idx);
		enum xfer_result r;
		int s = xfer_scan(src, head, &f);

		if (unlikely(s < 0))
			break;
		if (likely(s == 0)) {
			f.walk.q = src; /* for a re-walk that finds the chain changed */
			r = xfer_write(dst, &f, dst_idx, &dst_used);
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
		/* Consumed: delivered, or dropped and counted. */
		src->last_avail_idx++;
		src->shadow[src_used].id = head;
		src->shadow[src_used].len = 0;
		src_used++;
	}
	/* The receiver first: its frames are complete before the sender learns they left. */
	virtq_flush_used_pair(dst, dst_used, src, src_used);
	*consumed = src_used;
	return moved;
}
