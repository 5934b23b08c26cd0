/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packed-ring common code: queue setup (control lcore, while no worker polls
 * the queue), chain walking, used-descriptor publication and notification
 * (the owning worker lcore).
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <sys/eventfd.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_vhost.h>

#include "virtq_packed_priv.h"

static inline bool
has_feature(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1;
}

/* Guest physical address of host range [hva, hva + len), if it lies in one region. */
static bool
hva_to_gpa(const struct vhacc_guest_mem *mem, const void *hva, uint64_t len, uint64_t *gpa)
{
	uint64_t va = (uint64_t)(uintptr_t)hva;
	uint32_t i;

	for (i = 0; i < mem->nregions && i < VHACC_GUEST_MAX_REGIONS; i++) {
		const struct vhacc_guest_region *r = &mem->regions[i];
		uint64_t off = va - r->hva;

		if (off < r->size && len <= r->size - off) {
			*gpa = r->gpa + off;
			return true;
		}
	}
	return false;
}

int
virtq_packed_setup(struct vhacc_virtq *q, const struct vhacc_virtq_conf *conf)
{
	struct vhacc_virtq_stats stats = q->stats;
	uint16_t avail = conf->last_avail_idx & ~VHACC_VIRTQ_PACKED_WRAP;
	uint16_t used = conf->last_used_idx & ~VHACC_VIRTQ_PACKED_WRAP;
	uint64_t gpa;

	/* A packed ring's size need not be a power of two. */
	if (conf->desc_packed == NULL || conf->driver_event == NULL || conf->device_event == NULL ||
		conf->mem == NULL || conf->size == 0 || conf->size > 32768 || avail >= conf->size ||
		used >= conf->size)
		return -EINVAL;

	memset(q, 0, sizeof(*q));
	q->stats = stats;
	q->packed = true;
	q->desc_packed = conf->desc_packed;
	q->driver_event = conf->driver_event;
	q->device_event = conf->device_event;
	q->size = conf->size;
	q->mask = conf->size - 1; /* unused by the packed paths */
	q->is_rx = conf->is_rx;
	q->event_idx = has_feature(conf->features, VIRTIO_RING_F_EVENT_IDX);
	q->mrg_rxbuf = has_feature(conf->features, VIRTIO_NET_F_MRG_RXBUF);
	q->indirect = has_feature(conf->features, VIRTIO_RING_F_INDIRECT_DESC);
	q->in_order = has_feature(conf->features, VIRTIO_F_IN_ORDER);
	q->log = has_feature(conf->features, VHOST_F_LOG_ALL);
	q->hdr_len = (q->mrg_rxbuf || has_feature(conf->features, VIRTIO_F_VERSION_1))
			     ? sizeof(struct virtio_net_hdr_mrg_rxbuf)
			     : sizeof(struct virtio_net_hdr);
	q->max_frame = conf->max_frame;
	q->last_avail_idx = avail;
	q->avail_wrap = (conf->last_avail_idx & VHACC_VIRTQ_PACKED_WRAP) != 0;
	q->last_used_idx = used;
	q->used_wrap = (conf->last_used_idx & VHACC_VIRTQ_PACKED_WRAP) != 0;
	q->mem = conf->mem;
	q->callfd = conf->callfd;
	q->vid = conf->vid;
	q->vring_idx = conf->vring_idx;

	/* vhacc polls: the driver need not notify ("kick") the device. */
	__atomic_store_n(
		&q->device_event->flags, VRING_PACKED_EVENT_FLAG_DISABLE, __ATOMIC_RELAXED);
	if (q->log && hva_to_gpa(q->mem, q->device_event, sizeof(*q->device_event), &gpa))
		rte_vhost_log_write(q->vid, gpa, sizeof(*q->device_event));
	return 0;
}

/* Distance from (a, a_wrap) forward to (b, b_wrap), both below size; > size: not ahead. */
static uint32_t
ppos_distance(uint16_t size, uint16_t a, bool a_wrap, uint16_t b, bool b_wrap)
{
	if (a_wrap == b_wrap)
		return b >= a ? (uint32_t)(b - a) : UINT32_MAX;
	return b < a ? (uint32_t)(b + size - a) : UINT32_MAX;
}

uint16_t
vhacc_virtq_skip_frontend_used(struct vhacc_virtq *q, const struct vhacc_virtq_state *frontend)
{
	uint16_t pos = q->last_avail_idx, run, flags;
	bool wrap = q->avail_wrap;
	uint32_t d;

	q->skip_len = 0;
	if (!q->packed || frontend->last_avail_idx >= q->size || pos != q->last_used_idx ||
		wrap != q->used_wrap)
		return 0;
	/* the run of descriptors the driver still offers at the device's position */
	for (run = 0; run < q->size; run++) {
		if (!virtq_pdesc_ready(q, pos, wrap))
			break;
		virtq_ppos_advance(q, &pos, &wrap, 1);
	}
	if (run == q->size)
		return 0;
	/* after it: a descriptor marked used in this lap, which vhacc did not write */
	flags = __atomic_load_n(&q->desc_packed[pos].flags, __ATOMIC_ACQUIRE);
	if (!!(flags & VIRTQ_PDESC_AVAIL) != wrap || !!(flags & VIRTQ_PDESC_USED) != wrap)
		return 0;
	/* ... up to the frontend's position, within the ring's free part */
	d = ppos_distance(q->size, pos, wrap, frontend->last_avail_idx, frontend->avail_wrap);
	if (d == 0 || d > (uint32_t)(q->size - run))
		return 0;
	q->skip_pos = pos;
	q->skip_wrap = wrap;
	q->skip_len = (uint16_t)d;
	return q->skip_len;
}

void
virtq_packed_skip(struct vhacc_virtq *q)
{
	/* Between bursts the device holds nothing: its used position is here too. */
	if (q->last_used_idx == q->last_avail_idx && q->used_wrap == q->avail_wrap) {
		virtq_ppos_advance(q, &q->last_avail_idx, &q->avail_wrap, q->skip_len);
		virtq_ppos_advance(q, &q->last_used_idx, &q->used_wrap, q->skip_len);
		q->stats.frontend_used += q->skip_len;
	}
	q->skip_len = 0;
}

/* Next ring descriptor of the chain, checked for availability and loops. */
static inline int
pchain_ring_load(struct virtq_pchain *c, struct vring_packed_desc *d)
{
	struct vhacc_virtq *q = c->q;

	if (unlikely(c->ndesc >= q->size)) {
		virtq_mark_broken(q, VHACC_BROKEN_CHAIN_LOOP);
		return -1;
	}
	/* One copy out of guest memory. The head's flags were read with
	 * acquire by the caller; the driver makes the rest of a chain
	 * available before its head. */
	memcpy(d, &q->desc_packed[c->pos], sizeof(*d));
	rte_compiler_barrier();
	if (unlikely(!virtq_pdesc_avail(d->flags, c->wrap))) {
		virtq_mark_broken(q, VHACC_BROKEN_WRAP);
		return -1;
	}
	c->ndesc++;
	virtq_ppos_advance(q, &c->pos, &c->wrap, 1);
	if (d->flags & VRING_DESC_F_INDIRECT) {
		if (unlikely(!q->indirect || (d->flags & VRING_DESC_F_NEXT))) {
			virtq_mark_broken(q, VHACC_BROKEN_INDIRECT);
			return -1;
		}
	} else if (d->flags & VRING_DESC_F_NEXT) {
		return 0;
	}
	/* The last ring descriptor of a chain carries its buffer id. */
	if (unlikely(d->id >= q->size)) {
		virtq_mark_broken(q, VHACC_BROKEN_BUFFER_ID);
		return -1;
	}
	c->id = d->id;
	c->ring_done = true;
	return 0;
}

int
virtq_pchain_load(struct virtq_pchain *c)
{
	struct vhacc_virtq *q = c->q;
	struct vring_packed_desc d;
	uint64_t len;
	void *table;
	bool write;

	if (c->table != NULL) {
		/* Indirect table: all len / 16 entries, in order; NEXT and id unused. */
		memcpy(&d, &c->table[c->tidx], sizeof(d));
		rte_compiler_barrier();
		c->tidx++;
		if (unlikely(d.flags & VRING_DESC_F_INDIRECT)) {
			virtq_mark_broken(q, VHACC_BROKEN_INDIRECT);
			return -1;
		}
		c->end = c->tidx == c->tsize;
	} else {
		if (pchain_ring_load(c, &d) < 0)
			return -1;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (unlikely(d.len == 0 || d.len % sizeof(struct vring_packed_desc) != 0 ||
				     d.len / sizeof(struct vring_packed_desc) >
					     VIRTQ_MAX_INDIRECT)) {
				virtq_mark_broken(q, VHACC_BROKEN_INDIRECT);
				return -1;
			}
			if (unlikely(d.addr + d.len < d.addr)) {
				virtq_mark_broken(q, VHACC_BROKEN_BAD_LEN);
				return -1;
			}
			len = d.len;
			table = virtq_translate(q, d.addr, &len);
			if (unlikely(table == NULL || len != d.len)) {
				virtq_mark_broken(q, VHACC_BROKEN_BAD_ADDR);
				return -1;
			}
			c->table = table;
			c->tsize = d.len / sizeof(struct vring_packed_desc);
			c->tidx = 1;
			memcpy(&d, &c->table[0], sizeof(d));
			rte_compiler_barrier();
			if (unlikely(d.flags & VRING_DESC_F_INDIRECT)) {
				virtq_mark_broken(q, VHACC_BROKEN_INDIRECT);
				return -1;
			}
			c->end = c->tsize == 1;
		} else {
			c->end = c->ring_done;
		}
	}

	if (unlikely(d.len == 0 || d.addr + d.len < d.addr)) {
		virtq_mark_broken(q, VHACC_BROKEN_BAD_LEN);
		return -1;
	}
	/* DPDK's virtio driver (22.11 and later) leaves VRING_DESC_F_WRITE set
	 * on the header entry of its packed indirect TX tables
	 * (vring_desc_init_indirect_packed). The device only reads a TX buffer,
	 * so the flag is ignored there; a read-only buffer in an RX chain, which
	 * the device would write, is still refused. */
	write = (d.flags & VRING_DESC_F_WRITE) && (q->is_rx || c->table == NULL);
	if (unlikely(write != q->is_rx)) {
		virtq_mark_broken(q, VHACC_BROKEN_DESC_DIR);
		return -1;
	}
	c->gpa = d.addr;
	c->left = d.len;
	return 0;
}

int
virtq_pchain_finish(struct virtq_pchain *c)
{
	struct vring_packed_desc d;

	while (!c->ring_done)
		if (pchain_ring_load(c, &d) < 0)
			return -1;
	return 0;
}

/* Has the device, moving its used position from old to new_idx (wrap new_wrap), passed off_wrap? */
static inline bool
need_event_packed(uint16_t size, uint16_t off_wrap, uint16_t new_idx, bool new_wrap, uint16_t old)
{
	uint16_t off = off_wrap & ~VHACC_VIRTQ_PACKED_WRAP;

	/* Put the three positions on one line: old and the event may lie in
	 * the previous lap. At most `size` descriptors were published. */
	if (new_idx <= old)
		old = (uint16_t)(old - size);
	if (new_wrap != !!(off_wrap & VHACC_VIRTQ_PACKED_WRAP))
		off = (uint16_t)(off - size);
	return (uint16_t)(new_idx - off - 1) < (uint16_t)(new_idx - old);
}

static void
virtq_packed_notify(struct vhacc_virtq *q)
{
	uint16_t old = q->signalled_used, flags;
	bool valid = q->signalled_used_valid, need;

	/* The used descriptors must be visible before the driver's event
	 * suppression area is read, or a notification could be lost. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = q->last_used_idx;
	q->signalled_used_valid = true;
	flags = __atomic_load_n(&q->driver_event->flags, __ATOMIC_RELAXED) & 0x3;
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		need = false;
	else if (flags != VRING_PACKED_EVENT_FLAG_DESC || !q->event_idx || !valid)
		need = true;
	else
		need = need_event_packed(q->size,
			__atomic_load_n(&q->driver_event->off_wrap, __ATOMIC_RELAXED),
			q->last_used_idx, q->used_wrap, old);

	if (need && q->callfd >= 0) {
		eventfd_write(q->callfd, 1);
		q->stats.notifications++;
	} else {
		q->stats.notify_suppressed++;
	}
}

static inline uint16_t
used_flags(const struct vhacc_virtq *q, uint32_t len)
{
	uint16_t f = q->used_wrap ? (VIRTQ_PDESC_AVAIL | VIRTQ_PDESC_USED) : 0;

	/* len is meaningful (the device wrote) only with WRITE set */
	return len > 0 ? f | VRING_DESC_F_WRITE : f;
}

/*
 * Dirty-log the used descriptors just written (shadow[0..n) from ring
 * position first). By guest physical address: rte_vhost_log_used_vring()
 * adds its offset to the ring's log_guest_addr, which QEMU sets to the used
 * area's address, for a packed ring the device event area, not the
 * descriptor ring (DPDK's own packed path assumes the descriptor ring). If
 * the ring is not in the memory table, fall back to offsets from it.
 */
static void
log_used(struct vhacc_virtq *q, uint16_t first, uint16_t n)
{
	const uint64_t dsz = sizeof(struct vring_packed_desc);
	uint16_t pos = first, i;
	bool wrap = false, by_gpa;
	uint64_t gpa = 0;

	by_gpa = hva_to_gpa(q->mem, q->desc_packed, dsz * q->size, &gpa);
	for (i = 0; i < n; i++) {
		if (by_gpa)
			rte_vhost_log_write(q->vid, gpa + pos * dsz, dsz);
		else
			rte_vhost_log_used_vring(q->vid, q->vring_idx, pos * dsz, dsz);
		virtq_ppos_advance(q, &pos, &wrap, q->shadow[i].ndesc);
	}
}

void
virtq_packed_flush_used(struct vhacc_virtq *q, uint16_t n)
{
	uint16_t first = q->last_used_idx, first_flags, i;
	struct vring_packed_desc *d;

	if (n == 0)
		return;
	if (q->in_order && !q->is_rx && n > 1) {
		/* In order, a batch of TX buffers may be marked used by one
		 * descriptor carrying the last buffer's id, the driver
		 * skipping the batch's slots (virtio spec, packed virtqueue,
		 * "In-order use of descriptors"; DPDK's virtio driver and
		 * vhost library do so). TX lengths are all 0: nothing lost. */
		uint32_t ndesc = 0;

		for (i = 0; i < n; i++)
			ndesc += q->shadow[i].ndesc;
		q->shadow[0].id = q->shadow[n - 1].id;
		q->shadow[0].ndesc = (uint16_t)ndesc; /* at most the ring size */
		n = 1;
	}
	first_flags = used_flags(q, q->shadow[0].len);
	d = &q->desc_packed[first];
	d->id = (uint16_t)q->shadow[0].id;
	d->len = q->shadow[0].len;
	virtq_ppos_advance(q, &q->last_used_idx, &q->used_wrap, q->shadow[0].ndesc);
	/* All but the first descriptor become visible in any order; the
	 * first one's flags go last so that the driver sees the batch at once. */
	for (i = 1; i < n; i++) {
		d = &q->desc_packed[q->last_used_idx];
		d->id = (uint16_t)q->shadow[i].id;
		d->len = q->shadow[i].len;
		__atomic_store_n(&d->flags, used_flags(q, q->shadow[i].len), __ATOMIC_RELEASE);
		virtq_ppos_advance(q, &q->last_used_idx, &q->used_wrap, q->shadow[i].ndesc);
	}
	__atomic_store_n(&q->desc_packed[first].flags, first_flags, __ATOMIC_RELEASE);

	if (q->log)
		log_used(q, first, n);
	virtq_packed_notify(q);
}
