/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one-copy transfer's peer queue and its checks, shared by the two virtq
 * fuzzer builds (fuzz_virtq.c: fuzz_virtq_split, fuzz_virtq_packed); each keeps what is
 * specific to its own ring layout.
 *
 * The peer is a queue of the opposite direction, split or packed, with its
 * ring outside guest memory (poisoned around it) and its layout, size,
 * features, offloads, MTU, position and ring contents from the input. Its
 * guest posts well-formed chains (direct or indirect) or hostile ones,
 * rewrites and recycles them, and the ring is set up again. peer_xfer() runs
 * vhacc_virtq_xfer_burst() between the fuzzed queue and the peer and checks
 * its counts, both positions, held chains, the counters and MTUs of both
 * queues and their broken state.
 *
 * What the peer needs of a ring is shared with the fuzzed ring of the same
 * layout: hostile descriptors drawn from the input (write_sdesc(),
 * write_pdesc()), a ring's features and contents from the input
 * (ring_features(), split_ring_draw(), packed_ring_draw()), a packed driver
 * posting chains at its position (struct pdrv), a ring outside guest memory
 * poisoned around its parts (ring_mem_*()), setting a queue up (again) and
 * the broken-state check (queue_setup*(), check_broken()).
 *
 * Static functions only, for one translation unit: included by each fuzzer
 * after its own definitions of CHECK(), FEAT(), ASAN_(UN)POISON_MEMORY_REGION(),
 * struct reader with get8() and get16(), pick_addr() and pick_len() (the
 * hostile descriptor fields), guest memory (region[], mem, R0_GPA, R0_SIZE,
 * FILL_OFF: the fill area of region 0, from which hostile fields are read),
 * MAX_SIZE, MAX_BURST, PEER_VID and log_ring[] (what the dirty-log hooks
 * check a queue's used-ring offsets against: [1] is the peer's).
 */

#ifndef VHACC_FUZZ_PEER_H
#define VHACC_FUZZ_PEER_H

/* A ring outside guest memory (the peer's; the packed fuzzer's too): its parts poisoned around */
#define RING_MEM       0x1000
#define RING_DESC_OFF  0x0   /* split descriptor table / packed descriptor ring */
#define RING_AVAIL_OFF 0x400 /* split avail ring / packed driver event area */
#define RING_USED_OFF  0x800 /* split used ring / packed device event area */

/* is_rx of a ring whose descriptors keep their direction bit as drawn (the fuzzed ring) */
#define DIR_AS_DRAWN (-1)

#define F_AVAIL ((uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL))
#define F_USED  ((uint16_t)(1u << VRING_PACKED_DESC_F_USED))

static uint8_t *peermem; /* RING_MEM bytes: the peer's ring */

/* ------------------------------------------------------------------------ */
/* Hostile descriptors of either layout, their fields drawn from the input. */

/*
 * The direction bit of a peer's descriptor mostly right for its ring (is_rx:
 * device-writable), from one more byte; as drawn for the fuzzed ring
 * (DIR_AS_DRAWN: no byte read).
 */
static uint16_t
peer_dir(struct reader *r, uint16_t flags, int is_rx)
{
	if (is_rx == DIR_AS_DRAWN || (get8(r) & 7) == 0)
		return flags; /* as drawn */
	return (uint16_t)((flags & ~VRING_DESC_F_WRITE) | (is_rx ? VRING_DESC_F_WRITE : 0));
}

/* A split descriptor; is_rx: the peer's direction, or DIR_AS_DRAWN. */
static void
write_sdesc(struct vring_desc *d, struct reader *r, uint16_t size, int is_rx)
{
	uint8_t fl = get8(r);

	d->addr = pick_addr(r);
	d->len = pick_len(r);
	d->next = get8(r) % (size + 2);
	d->flags = peer_dir(
		r, fl & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT), is_rx);
}

/* AVAIL/USED bits: mostly "available in lap wrap", sometimes anything */
static uint16_t
pick_avail_bits(struct reader *r, bool wrap)
{
	uint8_t v = get8(r);

	if ((v & 7) != 0)
		return wrap ? F_AVAIL : F_USED;
	return (v & 8 ? F_AVAIL : 0) | (v & 16 ? F_USED : 0);
}

/* A packed descriptor, available in lap wrap (mostly); is_rx as for write_sdesc(). */
static void
write_pdesc(struct vring_packed_desc *d, struct reader *r, uint16_t size, bool wrap, int is_rx)
{
	uint8_t fl = get8(r), id = get8(r);

	d->addr = pick_addr(r);
	d->len = pick_len(r);
	/* ids: mostly valid, sometimes just past the ring or anything */
	d->id = id & 0x80 ? (uint16_t)(id << 8 | id) : id % (size + 2);
	d->flags = (fl & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) |
		   pick_avail_bits(r, wrap);
	d->flags = peer_dir(r, d->flags, is_rx);
}

/* ------------------------------------------------------------------------ */
/* Rings: contents from the input, memory outside guest memory, set up again. */

/* The features bits 0..5 of a byte pick, for a fuzzed queue and the peer alike. */
static uint64_t
ring_features(uint8_t feat)
{
	uint64_t features = 0;

	if (feat & 1)
		features |= FEAT(VIRTIO_NET_F_MRG_RXBUF);
	if (feat & 2)
		features |= FEAT(VIRTIO_F_VERSION_1);
	if (feat & 4)
		features |= FEAT(VIRTIO_RING_F_EVENT_IDX);
	if (!(feat & 8))
		features |= FEAT(VIRTIO_RING_F_INDIRECT_DESC);
	if (feat & 16)
		features |= FEAT(VIRTIO_F_IN_ORDER);
	if (feat & 32)
		features |= FEAT(VHOST_F_LOG_ALL);
	return features;
}

/* A split ring's driver side from the input: descriptors, avail ring and used_event, positions. */
static void
split_ring_draw(struct vring_desc *desc, struct vring_avail *avail, struct vring_used *used,
	uint16_t size, uint16_t start, struct reader *r, int is_rx)
{
	uint16_t i;

	for (i = 0; i < size; i++)
		write_sdesc(&desc[i], r, size, is_rx);
	for (i = 0; i < size; i++)
		avail->ring[i] = get8(r) % (size + 1);
	avail->ring[size] = get16(r); /* used_event */
	avail->flags = get8(r) & VRING_AVAIL_F_NO_INTERRUPT;
	avail->idx = (uint16_t)(start + get8(r) % (size + 2));
	used->idx = start;
}

/* A packed position as rte_vhost gives it: bit 15 the wrap counter. */
static uint16_t
packed_idx(uint16_t idx, bool wrap)
{
	return (uint16_t)(idx | (wrap ? VHACC_VIRTQ_PACKED_WRAP : 0));
}

/* A packed ring as its driver sees it: its next descriptor and wrap counter. */
struct pdrv {
	struct vring_packed_desc *desc;
	uint16_t pos;
	bool wrap;
	uint16_t head; /* the chain being posted: its head and the head's flags */
	uint16_t head_flags;
};

/* The driver puts flags fl on the j-th descriptor of a chain at its position and moves on. */
static void
pdrv_put(struct pdrv *d, uint16_t size, uint16_t j, uint16_t fl)
{
	if (j == 0) {
		d->head = d->pos;
		d->head_flags = fl;
		fl = 0; /* the head is made available last */
	}
	d->desc[d->pos].flags = fl;
	if (++d->pos == size) {
		d->pos = 0;
		d->wrap = !d->wrap;
	}
}

/* The chain's head made available: the whole chain at once. */
static void
pdrv_publish(struct pdrv *d)
{
	__atomic_store_n(&d->desc[d->head].flags, d->head_flags, __ATOMIC_RELEASE);
}

/* The driver posts a hostile chain of 1..size+1 descriptors, their fields read from fr. */
static void
pdrv_post_hostile(struct pdrv *d, uint16_t size, struct reader *r, struct reader *fr, int is_rx)
{
	uint8_t k = 1 + get8(r) % (size + 1), j;

	for (j = 0; j < k; j++) {
		struct vring_packed_desc *e = &d->desc[d->pos];

		write_pdesc(e, fr, size, d->wrap, is_rx);
		pdrv_put(d, size, j,
			(uint16_t)((e->flags & ~VRING_DESC_F_NEXT) |
				   (j + 1 < k ? VRING_DESC_F_NEXT : 0)));
	}
	pdrv_publish(d);
}

/* The driver resynchronises with the device's position. */
static void
pdrv_resync(struct pdrv *d, const struct vhacc_virtq *q)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(q, &st);
	d->pos = st.last_used_idx;
	d->wrap = st.used_wrap;
}

/*
 * A packed ring's driver side from the input: the driver at start (bit 15
 * its wrap counter), the descriptors (from its position on in its lap, those
 * before in the next), the driver event area. Returns the device's position.
 */
static uint16_t
packed_ring_draw(struct pdrv *d, struct vring_packed_desc_event *drv, uint16_t size, uint16_t start,
	struct reader *r, int is_rx)
{
	uint16_t i;

	d->pos = start % size;
	d->wrap = (start & 0x8000) != 0;
	for (i = 0; i < size; i++)
		write_pdesc(&d->desc[i], r, size, i >= d->pos ? d->wrap : !d->wrap, is_rx);
	drv->off_wrap = get16(r);
	drv->flags = get8(r) & 3;
	return packed_idx(d->pos, d->wrap);
}

/* A ring's memory outside guest memory, cleared for a new input. */
static void
ring_mem_clear(uint8_t *m)
{
	ASAN_UNPOISON_MEMORY_REGION(m, RING_MEM);
	memset(m, 0, RING_MEM);
}

/* The engine may touch the ring's parts only: poison the rest. */
static void
ring_mem_poison(uint8_t *m, bool packed, uint16_t size)
{
	ASAN_POISON_MEMORY_REGION(
		m + RING_DESC_OFF + 16u * size, RING_AVAIL_OFF - RING_DESC_OFF - 16u * size);
	if (packed) { /* the two event areas */
		ASAN_POISON_MEMORY_REGION(
			m + RING_AVAIL_OFF + 4, RING_USED_OFF - RING_AVAIL_OFF - 4);
		ASAN_POISON_MEMORY_REGION(m + RING_USED_OFF + 4, RING_MEM - RING_USED_OFF - 4);
	} else { /* the avail ring with used_event, the used ring with avail_event */
		ASAN_POISON_MEMORY_REGION(m + RING_AVAIL_OFF + 6 + 2u * size,
			RING_USED_OFF - RING_AVAIL_OFF - 6 - 2u * size);
		ASAN_POISON_MEMORY_REGION(m + RING_USED_OFF + 6 + 8u * size,
			RING_MEM - RING_USED_OFF - 6 - 8u * size);
	}
}

/* A queue set up: a packed one asks the driver for no notifications. */
static void
queue_setup(struct vhacc_virtq *q, const struct vhacc_virtq_conf *conf)
{
	CHECK(vhacc_virtq_setup(q, conf) == 0);
	if (conf->packed)
		CHECK(conf->device_event->flags == VRING_PACKED_EVENT_FLAG_DISABLE);
}

/* The frontend sets the ring up again at the device's position: no longer broken. */
static void
queue_setup_again(struct vhacc_virtq *q, struct vhacc_virtq_conf *conf, bool *was_broken)
{
	struct vhacc_virtq_state st;

	vhacc_virtq_get_state(q, &st); /* split: the wrap counters are false */
	conf->last_avail_idx = packed_idx(st.last_avail_idx, st.avail_wrap);
	conf->last_used_idx = packed_idx(st.last_used_idx, st.used_wrap);
	queue_setup(q, conf);
	CHECK(!q->broken);
	*was_broken = false;
}

/* A broken queue stays broken until set up again; stats.broken counts it once per setup. */
static void
check_broken(const struct vhacc_virtq *q, bool *was_broken, uint64_t *broken_expected)
{
	if (*was_broken)
		CHECK(q->broken);
	if (q->broken) {
		CHECK(q->broken_reason > VHACC_BROKEN_NONE &&
			q->broken_reason < VHACC_BROKEN_REASON_MAX);
		CHECK(vhacc_virtq_broken_reason_str(q->broken_reason) != NULL);
		if (!*was_broken)
			(*broken_expected)++;
		*was_broken = true;
	}
	CHECK(q->stats.broken == *broken_expected);
}

/* ------------------------------------------------------------------------ */
/* The peer queue. */

/* The queue of the opposite direction that the transfer runs with. */
struct peer {
	struct vhacc_virtq *q;
	struct vhacc_virtq_conf conf;
	uint16_t size;
	bool packed;
	struct vring_desc *desc; /* split */
	struct vring_avail *avail;
	struct vring_used *used;
	struct pdrv pd; /* packed */
	struct vring_packed_desc_event *drv;
	struct vring_packed_desc_event *dev;
	uint64_t broken_expected; /* stats.broken if the queue is broken now */
	bool was_broken;
};

#define OFFLOADS_GUEST                                                                             \
	(FEAT(VIRTIO_NET_F_GUEST_CSUM) | FEAT(VIRTIO_NET_F_GUEST_TSO4) |                           \
		FEAT(VIRTIO_NET_F_GUEST_TSO6))
#define OFFLOADS_ALL                                                                               \
	(OFFLOADS_GUEST | FEAT(VIRTIO_NET_F_CSUM) | FEAT(VIRTIO_NET_F_HOST_TSO4) |                 \
		FEAT(VIRTIO_NET_F_HOST_TSO6))

/*
 * The peer's offloads: mostly the receive ones only, so that as a source it
 * asks for none and as a destination it can take any request (the transfer
 * is possible); sometimes all of them, sometimes any subset, for
 * vhacc_virtq_xfer_possible() to decide.
 */
static uint64_t
peer_offloads(uint8_t v)
{
	static const uint8_t bit[6] = {VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_TSO4,
		VIRTIO_NET_F_GUEST_TSO6};
	uint64_t f = 0;
	unsigned int i;

	switch (v & 3) {
	case 0:
	case 1:
		return OFFLOADS_GUEST;
	case 2:
		return OFFLOADS_ALL;
	default:
		for (i = 0; i < RTE_DIM(bit); i++)
			if (v & (4u << i))
				f |= FEAT(bit[i]);
		return f;
	}
}

/*
 * Set up the peer, of direction is_rx, from the input: layout (the fuzzed
 * queue's, q_packed, or the other one), size, features, ring.
 */
static void
peer_init(struct peer *p, struct reader *r, bool is_rx, bool q_packed, int efd)
{
	static const uint32_t max_frame[4] = {0, 1514, 9018, 64};
	uint8_t cfg = get8(r), feat = get8(r), off = get8(r);
	uint16_t start = get16(r), pos;
	uint64_t features = peer_offloads(off) | ring_features(feat);

	memset(p, 0, sizeof(*p));
	ring_mem_clear(peermem);
	p->packed = ((cfg & 0x10) != 0) != q_packed; /* the bit set: the other layout */
	p->size = p->packed ? (uint16_t)(1 + (cfg & 15)) : (uint16_t)(1u << ((cfg & 15) % 5));

	if (p->packed) {
		features |= FEAT(VIRTIO_F_RING_PACKED);
		p->pd.desc = (struct vring_packed_desc *)(void *)(peermem + RING_DESC_OFF);
		p->drv = (struct vring_packed_desc_event *)(void *)(peermem + RING_AVAIL_OFF);
		p->dev = (struct vring_packed_desc_event *)(void *)(peermem + RING_USED_OFF);
		pos = packed_ring_draw(&p->pd, p->drv, p->size, start, r, is_rx);
	} else {
		p->desc = (struct vring_desc *)(void *)(peermem + RING_DESC_OFF);
		p->avail = (struct vring_avail *)(void *)(peermem + RING_AVAIL_OFF);
		p->used = (struct vring_used *)(void *)(peermem + RING_USED_OFF);
		split_ring_draw(p->desc, p->avail, p->used, p->size, start, r, is_rx);
		pos = start;
	}
	ring_mem_poison(peermem, p->packed, p->size);

	p->conf = (struct vhacc_virtq_conf){
		.packed = p->packed,
		.desc = p->desc,
		.avail = p->avail,
		.used = p->used,
		.desc_packed = p->pd.desc,
		.driver_event = p->drv,
		.device_event = p->dev,
		.size = p->size,
		.last_avail_idx = pos,
		.last_used_idx = pos,
		.features = features,
		.mem = &mem,
		.callfd = (cfg & 0x20) ? -1 : efd,
		.vid = PEER_VID,
		.vring_idx = is_rx ? 0 : 1,
		.is_rx = is_rx,
		.max_frame = max_frame[feat >> 6],
	};
	log_ring[1] = (struct log_ring){p->size, p->packed, p->conf.vring_idx};
	p->q = calloc(1, vhacc_virtq_alloc_size(p->size));
	CHECK(p->q != NULL);
	queue_setup(p->q, &p->conf);
}

/*
 * A buffer address for a well-formed chain: in region 0, sometimes below the
 * fill area, where the split fuzzer's rings are (a guest may point its
 * buffers at them: a transfer may then rewrite the source's chain between
 * its passes).
 */
static uint64_t
good_addr(struct reader *r, uint32_t len)
{
	uint16_t v = get16(r);
	uint64_t lo = (v & 0x8000) ? 0 : FILL_OFF;

	return R0_GPA + lo + (uint64_t)(v & 0x7fff) * 2 % (R0_SIZE - lo - len + 1);
}

static uint32_t
good_len(struct reader *r)
{
	uint16_t v = get16(r);

	return 1u + ((v & 0x8000) ? v & 15u : v % 2048u);
}

/*
 * The peer's guest posts a well-formed chain of k buffers, direct or through
 * an indirect table it writes in guest memory, a TX chain starting with a
 * zero virtio-net header (mostly): so that transfers get deep (long chains,
 * mergeable buffers, a chain re-walked) while the fuzzed queue stays hostile.
 */
static void
peer_post_good(struct peer *p, struct reader *r)
{
	uint8_t b = get8(r);
	bool ind =
		(b & 1) && ((p->conf.features & FEAT(VIRTIO_RING_F_INDIRECT_DESC)) || (b & 0x40));
	uint16_t k = (uint16_t)(1 + (b >> 1) % (ind ? 16 : p->size)), j, nd = ind ? 1 : k;
	uint16_t dir = p->conf.is_rx ? VRING_DESC_F_WRITE : 0, id = get8(r) % p->size;
	uint64_t addr[16], tgpa = 0;
	uint32_t len[16], hdr = 12;

	for (j = 0; j < k; j++) {
		len[j] = good_len(r);
		addr[j] = good_addr(r, len[j]);
	}
	/* the guest's virtio-net header: no offload request (the buffers hold input bytes) */
	for (j = 0; j < k && hdr > 0 && !p->conf.is_rx && !(b & 0x80); j++) {
		uint32_t z = RTE_MIN(hdr, len[j]);

		memset(region[0] + (addr[j] - R0_GPA), 0, z);
		hdr -= z;
	}
	if (ind) {
		uint8_t *t;

		tgpa = R0_GPA + FILL_OFF + get16(r) % (R0_SIZE - FILL_OFF - 16u * 16u);
		t = region[0] + (tgpa - R0_GPA);
		for (j = 0; j < k; j++) {
			if (p->packed) {
				struct vring_packed_desc e = {addr[j], len[j], 0, dir};

				memcpy(t + 16u * j, &e, sizeof(e));
			} else {
				struct vring_desc e = {addr[j], len[j],
					(uint16_t)(dir | (j + 1 < k ? VRING_DESC_F_NEXT : 0)),
					(uint16_t)(j + 1)};

				memcpy(t + 16u * j, &e, sizeof(e));
			}
		}
	}
	if (!p->packed) {
		uint16_t h = get8(r) % p->size, d;

		for (j = 0; j < nd; j++) {
			uint16_t fl = (uint16_t)(dir | (j + 1 < nd ? VRING_DESC_F_NEXT : 0));

			d = (uint16_t)((h + j) % p->size);
			if (ind)
				p->desc[d] = (struct vring_desc){
					tgpa, 16u * k, VRING_DESC_F_INDIRECT, 0};
			else
				p->desc[d] = (struct vring_desc){
					addr[j], len[j], fl, (uint16_t)((d + 1) % p->size)};
		}
		p->avail->ring[p->avail->idx & (p->size - 1)] = h;
		p->avail->idx++;
	} else {
		for (j = 0; j < nd; j++) {
			struct vring_packed_desc *d = &p->pd.desc[p->pd.pos];
			uint16_t fl = ind ? VRING_DESC_F_INDIRECT
					  : (uint16_t)(dir | (j + 1 < nd ? VRING_DESC_F_NEXT : 0));

			d->addr = ind ? tgpa : addr[j];
			d->len = ind ? 16u * k : len[j];
			d->id = id;
			pdrv_put(&p->pd, p->size, j, fl | (p->pd.wrap ? F_AVAIL : F_USED));
		}
		pdrv_publish(&p->pd);
	}
}

/* The peer's guest: posts, rewrites or recycles chains, or its ring is set up again. */
static void
peer_guest(struct peer *p, struct reader *r)
{
	uint8_t sub = get8(r);
	/* descriptor fields come from the fill area, as for the fuzzed ring */
	struct reader fr = {region[0] + FILL_OFF + (sub >> 3) * 11u, 128};
	uint16_t d;
	uint8_t k, b;

	switch (sub & 7) {
	case 0:
	case 1:
	case 2: /* well-formed chains made available */
		k = 1 + get8(r) % 4;
		while (k-- > 0)
			peer_post_good(p, r);
		break;
	case 3: /* hostile chains made available */
		if (p->packed) {
			pdrv_post_hostile(&p->pd, p->size, r, &fr, p->conf.is_rx);
			break;
		}
		k = get8(r) % (p->size + 2);
		while (k-- > 0) {
			p->avail->ring[p->avail->idx & (p->size - 1)] = get8(r) % (p->size + 1);
			p->avail->idx++;
		}
		break;
	case 4: /* a descriptor rewritten */
		d = get8(r) % p->size;
		if (p->packed) {
			b = get8(r);
			write_pdesc(&p->pd.desc[d], &fr, p->size, b & 1, p->conf.is_rx);
		} else {
			write_sdesc(&p->desc[d], &fr, p->size, p->conf.is_rx);
		}
		break;
	case 5: /* what was used made available again, the event index or flags changed */
		if (p->packed) {
			pdrv_resync(&p->pd, p->q);
			p->drv->off_wrap = (uint16_t)(get16(r) & 0x800f);
			p->drv->flags = get8(r) & 3;
			pdrv_post_hostile(&p->pd, p->size, r, &fr, p->conf.is_rx);
			break;
		}
		p->avail->idx = (uint16_t)(p->avail->idx + get8(r) % (p->size + 1));
		p->avail->ring[p->size] = (uint16_t)(p->used->idx + get8(r) % 4);
		if (sub & 0x80)
			p->avail->flags ^= VRING_AVAIL_F_NO_INTERRUPT;
		break;
	case 6:
		queue_setup_again(p->q, &p->conf, &p->was_broken);
		break;
	default: /* the guest posts, then the ring is set up again */
		peer_post_good(p, r);
		queue_setup_again(p->q, &p->conf, &p->was_broken);
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* The one-copy transfer and its checks. */

static bool
same_state(const struct vhacc_virtq_state *a, const struct vhacc_virtq_state *b)
{
	return a->last_avail_idx == b->last_avail_idx && a->last_used_idx == b->last_used_idx &&
	       a->avail_wrap == b->avail_wrap && a->used_wrap == b->used_wrap;
}

/* Between bursts: nothing held, the avail and used positions (and wrap counters) equal. */
static void
check_idle(const struct vhacc_virtq *q, struct vhacc_virtq_state *st)
{
	struct vhacc_virtq_held h[MAX_SIZE];

	vhacc_virtq_get_state(q, st);
	CHECK(st->last_avail_idx == st->last_used_idx);
	if (q->packed)
		CHECK(st->avail_wrap == st->used_wrap && st->last_used_idx < q->size);
	CHECK(vhacc_virtq_held(q, h, MAX_SIZE) == 0);
}

/* How far the used position moved: used entries (split), descriptors (packed). */
static uint32_t
used_moved(const struct vhacc_virtq *q, const struct vhacc_virtq_state *a,
	const struct vhacc_virtq_state *b)
{
	uint32_t la, lb;

	if (!q->packed)
		return (uint16_t)(b->last_used_idx - a->last_used_idx);
	la = a->last_used_idx + (a->used_wrap ? q->size : 0u);
	lb = b->last_used_idx + (b->used_wrap ? q->size : 0u);
	return (lb + 2u * q->size - la) % (2u * q->size);
}

#define DELTA(q, before, field) ((q)->stats.field - (before).field)

/*
 * One-copy transfer between the fuzzed queue q (broken state tracked in
 * *was_broken and *broken_expected) and the peer, from guest TX to guest RX:
 * q is the source if it is a TX queue (the peer an RX one), else the
 * destination.
 */
static void
peer_xfer(struct peer *p, struct vhacc_virtq *q, bool *was_broken, uint64_t *broken_expected,
	struct reader *r)
{
	struct vhacc_virtq *src = p->conf.is_rx ? q : p->q;
	struct vhacc_virtq *dst = p->conf.is_rx ? p->q : q;
	struct vhacc_virtq_stats ss = src->stats, ds = dst->stats;
	struct vhacc_virtq_state sb, db, sa, da;
	bool src_broken = src->broken, dst_broken = dst->broken;
	uint8_t v = get8(r);
	/* mostly a usual burst (0 too), sometimes far more than the ring holds */
	uint16_t n = v >= 0xf8 ? (uint16_t)(UINT16_MAX - (v & 7)) : v % (MAX_BURST + 1);
	uint16_t got, consumed = UINT16_MAX;
	uint64_t sent, gso, src_skip, dst_skip;
	uint32_t moved;

	if (!vhacc_virtq_xfer_possible(src, dst))
		return;
	check_idle(src, &sb);
	check_idle(dst, &db);
	got = vhacc_virtq_xfer_burst(src, dst, n, &consumed);

	CHECK(got <= n && consumed <= n && got <= consumed);
	CHECK(consumed <= src->size);
	check_idle(src, &sa);
	check_idle(dst, &da);
	if (src_broken || dst_broken || n == 0) {
		/* a broken queue does nothing, nor does its peer through it */
		CHECK(consumed == 0);
		CHECK(memcmp(&src->stats, &ss, sizeof(ss)) == 0);
		CHECK(memcmp(&dst->stats, &ds, sizeof(ds)) == 0);
	}
	/* descriptors a packed queue stepped over at its burst's start, which the
	 * frontend had completed itself (vhacc_virtq_skip_frontend_used) */
	src_skip = DELTA(src, ss, frontend_used);
	dst_skip = DELTA(dst, ds, frontend_used);
	CHECK(src_skip <= src->size && dst_skip <= dst->size);
	CHECK((src_skip == 0 || src->packed) && (dst_skip == 0 || dst->packed));
	/* nothing taken, nothing marked used; a frame not delivered leaves dst as it was */
	if (consumed == 0 && src_skip == 0)
		CHECK(same_state(&sb, &sa));
	if (got == 0 && dst_skip == 0)
		CHECK(same_state(&db, &da));
	/* a chain is one used entry (split) or at least one descriptor (packed); at most a lap */
	moved = (used_moved(src, &sb, &sa) + 2u * src->size - (uint32_t)src_skip) %
		(2u * src->size);
	CHECK(src->packed ? moved >= consumed && moved <= src->size : moved == consumed);
	moved = (used_moved(dst, &db, &da) + 2u * dst->size - (uint32_t)dst_skip) %
		(2u * dst->size);
	CHECK(moved >= got && moved <= dst->size);
	if (!dst->packed && !dst->mrg_rxbuf)
		CHECK(moved == got);

	/* every chain consumed is delivered or dropped under one counter */
	sent = DELTA(src, ss, packets);
	CHECK(DELTA(dst, ds, packets) == got);
	CHECK(sent + DELTA(src, ss, drop_too_big) + DELTA(src, ss, drop_bad_hdr) +
			DELTA(src, ss, drop_over_mtu) ==
		consumed);
	CHECK(sent == got + DELTA(dst, ds, drop_too_big) + DELTA(dst, ds, drop_over_mtu));
	CHECK(DELTA(dst, ds, bytes) >= got && DELTA(src, ss, bytes) >= DELTA(dst, ds, bytes));
	CHECK(DELTA(src, ss, bytes) <= sent * 65536);
	/* counters the transfer has no business with */
	CHECK(DELTA(src, ss, no_mbuf) == 0 && DELTA(dst, ds, no_mbuf) == 0);
	CHECK(DELTA(src, ss, drop_runt) == 0 && DELTA(dst, ds, drop_runt) == 0);
	CHECK(DELTA(src, ss, rx_no_buffers) == 0 && DELTA(dst, ds, drop_bad_hdr) == 0);
	/* the MTU of both ports, for frames that are not segmented (GSO) */
	gso = src->features & (FEAT(VIRTIO_NET_F_HOST_TSO4) | FEAT(VIRTIO_NET_F_HOST_TSO6));
	if (gso == 0 && src->max_frame != 0)
		CHECK(DELTA(src, ss, bytes) <= sent * src->max_frame);
	if (gso == 0 && dst->max_frame != 0)
		CHECK(DELTA(dst, ds, bytes) <= (uint64_t)got * dst->max_frame);

	/* a burst stops at the first violation: one queue at most newly broken */
	CHECK(!(src->broken && !src_broken && dst->broken && !dst_broken));
	check_broken(q, was_broken, broken_expected);
	check_broken(p->q, &p->was_broken, &p->broken_expected);
}

#endif /* VHACC_FUZZ_PEER_H */
