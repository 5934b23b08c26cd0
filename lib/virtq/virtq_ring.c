/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split-ring common code: queue setup and state (control lcore, while no
 * worker polls the queue), chain walking and used-ring publication (the
 * owning worker lcore).
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

#include "virtq_priv.h"

static const char *const broken_names[VHACC_BROKEN_REASON_MAX] = {
	[VHACC_BROKEN_NONE] = "none",
	[VHACC_BROKEN_AVAIL_IDX] = "avail_idx",
	[VHACC_BROKEN_DESC_INDEX] = "desc_index",
	[VHACC_BROKEN_CHAIN_LOOP] = "chain_loop",
	[VHACC_BROKEN_BAD_ADDR] = "bad_addr",
	[VHACC_BROKEN_BAD_LEN] = "bad_len",
	[VHACC_BROKEN_INDIRECT] = "indirect",
	[VHACC_BROKEN_DESC_DIR] = "desc_dir",
	[VHACC_BROKEN_SHORT_CHAIN] = "short_chain",
	[VHACC_BROKEN_BUFFER_ID] = "buffer_id",
	[VHACC_BROKEN_WRAP] = "wrap",
};

const char *
vhacc_virtq_broken_reason_str(enum vhacc_virtq_broken_reason r)
{
	if ((unsigned int)r >= VHACC_BROKEN_REASON_MAX)
		return "unknown";
	return broken_names[r];
}

size_t
vhacc_virtq_alloc_size(uint16_t size)
{
	return sizeof(struct vhacc_virtq) + (size_t)size * sizeof(struct vhacc_virtq_used);
}

static inline bool
has_feature(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1;
}

int
vhacc_virtq_setup(struct vhacc_virtq *q, const struct vhacc_virtq_conf *conf)
{
	struct vhacc_virtq_stats stats = q->stats;

	if (conf->packed) {
		int ret = virtq_packed_setup(q, conf);

		if (ret == 0)
			q->features = conf->features;
		return ret;
	}
	if (conf->desc == NULL || conf->avail == NULL || conf->used == NULL || conf->mem == NULL ||
		conf->size == 0 || conf->size > 32768 || !rte_is_power_of_2(conf->size))
		return -EINVAL;

	memset(q, 0, sizeof(*q));
	q->stats = stats;
	q->desc = conf->desc;
	q->avail = conf->avail;
	q->used = conf->used;
	q->size = conf->size;
	q->mask = conf->size - 1;
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
	q->features = conf->features;
	q->last_avail_idx = conf->last_avail_idx;
	q->last_used_idx = conf->last_used_idx;
	q->mem = conf->mem;
	q->callfd = conf->callfd;
	q->vid = conf->vid;
	q->vring_idx = conf->vring_idx;

	/* vhacc polls: without EVENT_IDX, ask the driver not to kick. With
	 * EVENT_IDX the avail event is left where the driver reaches it only
	 * once per 64K buffers, which has the same effect. */
	if (!q->event_idx) {
		__atomic_fetch_or(&q->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
		if (q->log)
			rte_vhost_log_used_vring(q->vid, q->vring_idx,
				offsetof(struct vring_used, flags), sizeof(q->used->flags));
	}
	return 0;
}

void
vhacc_virtq_get_state(const struct vhacc_virtq *q, struct vhacc_virtq_state *st)
{
	st->last_avail_idx = q->last_avail_idx;
	st->last_used_idx = q->last_used_idx;
	st->avail_wrap = q->avail_wrap;
	st->used_wrap = q->used_wrap;
}

int
vhacc_virtq_set_state(struct vhacc_virtq *q, const struct vhacc_virtq_state *st)
{
	if (q->packed && (st->last_avail_idx >= q->size || st->last_used_idx >= q->size))
		return -EINVAL;
	q->last_avail_idx = st->last_avail_idx;
	q->last_used_idx = st->last_used_idx;
	q->avail_wrap = q->packed && st->avail_wrap;
	q->used_wrap = q->packed && st->used_wrap;
	q->signalled_used_valid = false; /* the next notification decision signals */
	q->skip_len = 0;
	return 0;
}

bool
vhacc_virtq_state_matches_ring(const struct vhacc_virtq *q, const struct vhacc_virtq_state *st)
{
	const uint16_t used_bit = 1u << VRING_PACKED_DESC_F_USED;
	uint16_t prev, f_prev, f_at;
	bool prev_wrap;

	if (!q->packed)
		return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == st->last_used_idx;
	if (st->last_used_idx >= q->size)
		return false;
	if (q->size == 1)
		return true; /* one slot: nothing to compare it with */
	prev = st->last_used_idx == 0 ? q->size - 1 : st->last_used_idx - 1;
	prev_wrap = st->last_used_idx == 0 ? !st->used_wrap : st->used_wrap;
	f_prev = __atomic_load_n(&q->desc_packed[prev].flags, __ATOMIC_ACQUIRE);
	f_at = __atomic_load_n(&q->desc_packed[st->last_used_idx].flags, __ATOMIC_ACQUIRE);
	/* USED is what the device writes: the driver sets it to the opposite of
	 * its wrap counter when it makes a descriptor available */
	return !!(f_prev & used_bit) == prev_wrap && !!(f_at & used_bit) != st->used_wrap;
}

uint16_t
vhacc_virtq_held(const struct vhacc_virtq *q, struct vhacc_virtq_held *out, uint16_t max)
{
	/* Chains are taken and returned within one burst: between bursts the
	 * device holds none, and nheld stays 0. */
	RTE_SET_USED(out);
	RTE_SET_USED(max);
	return q->nheld;
}

int
virtq_chain_enter_indirect(struct virtq_chain *c, const struct vring_desc *d)
{
	struct vhacc_virtq *q = c->q;
	uint64_t len;
	void *table;

	if (unlikely(c->indirect || (d->flags & VRING_DESC_F_NEXT) || !q->indirect || d->len == 0 ||
		     d->len % sizeof(struct vring_desc) != 0 ||
		     d->len / sizeof(struct vring_desc) > VIRTQ_MAX_INDIRECT)) {
		virtq_mark_broken(q, VHACC_BROKEN_INDIRECT);
		return -1;
	}
	if (unlikely(d->addr + d->len < d->addr)) {
		virtq_mark_broken(q, VHACC_BROKEN_BAD_LEN);
		return -1;
	}
	len = d->len;
	table = virtq_translate(q, d->addr, &len);
	if (unlikely(table == NULL || len != d->len)) {
		virtq_mark_broken(q, VHACC_BROKEN_BAD_ADDR);
		return -1;
	}
	c->table = table;
	c->tsize = d->len / sizeof(struct vring_desc);
	c->idx = 0;
	c->seen = 0;
	c->indirect = true;
	return 0;
}

/* vring_need_event(): does [old, new) include the driver's event index? */
static inline bool
need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Notify the guest if it asks; after the fence that follows publishing used entries. */
static void
virtq_notify(struct vhacc_virtq *q)
{
	uint16_t old = q->signalled_used, new_idx = q->last_used_idx;
	bool valid = q->signalled_used_valid, need;

	q->signalled_used = new_idx;
	q->signalled_used_valid = true;
	if (q->event_idx)
		need = !valid ||
		       need_event(__atomic_load_n(&q->avail->ring[q->size], __ATOMIC_RELAXED),
			       new_idx, old);
	else
		need = !(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED) &
			 VRING_AVAIL_F_NO_INTERRUPT);

	if (need && q->callfd >= 0) {
		eventfd_write(q->callfd, 1);
		q->stats.notifications++;
	} else {
		q->stats.notify_suppressed++;
	}
}

static void
log_used_ring(struct vhacc_virtq *q, uint16_t first, uint16_t n)
{
	uint16_t start = first & q->mask;
	uint16_t part = RTE_MIN(n, (uint16_t)(q->size - start));
	const uint64_t ring = offsetof(struct vring_used, ring);
	const uint64_t elem = sizeof(struct vring_used_elem);

	rte_vhost_log_used_vring(q->vid, q->vring_idx, ring + start * elem, part * elem);
	if (part < n)
		rte_vhost_log_used_vring(q->vid, q->vring_idx, ring, (uint64_t)(n - part) * elem);
	rte_vhost_log_used_vring(
		q->vid, q->vring_idx, offsetof(struct vring_used, idx), sizeof(q->used->idx));
}

/* Write shadow[0..n) to the used ring and publish used->idx (no notification). */
static void
publish_used(struct vhacc_virtq *q, uint16_t n)
{
	uint16_t first = q->last_used_idx;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct vring_used_elem *e = &q->used->ring[(uint16_t)(first + i) & q->mask];

		e->id = q->shadow[i].id;
		e->len = q->shadow[i].len;
	}
	q->last_used_idx = first + n;
	__atomic_store_n(&q->used->idx, q->last_used_idx, __ATOMIC_RELEASE);
	if (q->log)
		log_used_ring(q, first, n);
}

/*
 * The used index stores must be visible before the drivers' event indices
 * or flags are read, or a notification could be lost: one full fence
 * between publishing and deciding, for one queue or two.
 */
void
virtq_flush_used(struct vhacc_virtq *q, uint16_t n)
{
	if (n == 0)
		return;
	publish_used(q, n);
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	virtq_notify(q);
}

void
virtq_flush_used_pair(struct vhacc_virtq *a, uint16_t na, struct vhacc_virtq *b, uint16_t nb)
{
	if (na == 0 && nb == 0)
		return;
	if (na != 0)
		publish_used(a, na);
	if (nb != 0)
		publish_used(b, nb);
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (na != 0)
		virtq_notify(a);
	if (nb != 0)
		virtq_notify(b);
}
