/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_VIRTQ_H
#define VHACC_VIRTQ_H

/*
 * vhacc virtqueue engine: split and packed rings behind one interface.
 *
 * THREADING: the burst functions run on a worker lcore, which owns the queue
 * while it is in that worker's poll list. vhacc_virtq_setup(), _reset(),
 * _get_state() and _held() are called by the control lcore only while no
 * worker polls the queue (after quiescence).
 *
 * The engine is plain C over a guest memory table; it needs no running
 * vhost device, so unit tests and fuzzers drive it with a simulated guest.
 * It calls exactly three rte_vhost functions: rte_vhost_log_write() and
 * rte_vhost_log_used_vring() for dirty-page logging (only while LOG_ALL is
 * negotiated), and nothing else of rte_vhost; guest notifications are an
 * eventfd_write() on the call fd.
 *
 * Hostile guests: every guest address is translated with its length
 * checked against the memory table, every chain and indirect table is
 * bounded (chains by the ring size, indirect tables by the largest ring size, 32768), every index is validated. On a violation the
 * queue is marked broken (q->broken, reason in q->broken_reason,
 * stats.broken incremented once) and every later burst returns 0 until the
 * control lcore sets the queue up again.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

struct rte_mbuf;
struct rte_mempool;

#define VHACC_GUEST_MAX_REGIONS 8

/* One guest memory region: guest physical [gpa, gpa + size) is mapped at host va hva. */
struct vhacc_guest_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t hva;
};

/* Guest memory table, a private copy owned by the port (control lcore). */
struct vhacc_guest_mem {
	uint32_t nregions;
	struct vhacc_guest_region regions[VHACC_GUEST_MAX_REGIONS];
};

/*
 * Translate [gpa, gpa + *len) to a host pointer. On return *len is the number
 * of bytes that are contiguous in one region from gpa (<= the requested
 * length). Returns NULL if gpa is in no region or *len is 0 on entry.
 */
void *vhacc_guest_mem_translate(const struct vhacc_guest_mem *mem, uint64_t gpa, uint64_t *len);

/* Why a queue was marked broken. */
enum vhacc_virtq_broken_reason {
	VHACC_BROKEN_NONE = 0,
	VHACC_BROKEN_AVAIL_IDX,   /* avail->idx moved by more than the ring size */
	VHACC_BROKEN_DESC_INDEX,  /* head or next index >= ring size */
	VHACC_BROKEN_CHAIN_LOOP,  /* chain longer than the ring size (loop) */
	VHACC_BROKEN_BAD_ADDR,    /* buffer or table outside guest memory */
	VHACC_BROKEN_BAD_LEN,     /* zero length or gpa + len overflows */
	VHACC_BROKEN_INDIRECT,    /* nested indirect, INDIRECT|NEXT, bad table size */
	VHACC_BROKEN_DESC_DIR,    /* write-only desc in a TX chain / read-only in RX */
	VHACC_BROKEN_SHORT_CHAIN, /* TX chain without payload after the net header */
	VHACC_BROKEN_BUFFER_ID,   /* packed: buffer id >= ring size */
	VHACC_BROKEN_WRAP,        /* packed: descriptor inside a chain not available (wrap) */
	VHACC_BROKEN_REASON_MAX,
};

/* Stable names for telemetry ("avail_idx", "desc_index", ...). */
const char *vhacc_virtq_broken_reason_str(enum vhacc_virtq_broken_reason r);

/*
 * Per-queue counters. Written only by the owning worker, read (relaxed)
 * by the control lcore. Every dropped packet is counted under one reason.
 */
struct vhacc_virtq_stats {
	uint64_t packets;           /* packets moved through this queue */
	uint64_t bytes;             /* frame bytes (without virtio-net header) */
	uint64_t no_mbuf;           /* TX: mbuf pool empty; chain left in the ring, not a drop */
	uint64_t drop_too_big;      /* RX: larger than the guest's buffers; TX: frame over 64 KiB */
	uint64_t drop_runt;         /* RX: packet of length 0 given to enqueue */
	uint64_t rx_no_buffers;     /* RX: bursts that found no guest buffer (not a drop) */
	uint64_t broken;            /* times the ring was found broken */
	uint64_t notifications;     /* eventfd writes to the guest (calls) */
	uint64_t notify_suppressed; /* calls skipped by EVENT_IDX / NO_INTERRUPT */
	uint64_t drop_over_mtu;     /* frame longer than conf.max_frame, dropped (TX and RX) */
	uint64_t drop_bad_hdr;      /* TX: virtio-net header refused (offload not negotiated or
				     * not matching the frame), frame dropped */
	uint64_t frontend_used;     /* packed: descriptors the frontend completed itself while
				     * vhacc was away, stepped over (vhacc_virtq_skip_frontend_used) */
};

/* What the control lcore hands over when a queue is (re)started. */
struct vhacc_virtq_conf {
	bool packed; /* VIRTIO_F_RING_PACKED negotiated: the packed fields below */
	/* split ring: host pointers, already translated by rte_vhost */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	/* packed ring: descriptor ring and the two event suppression areas */
	struct vring_packed_desc *desc_packed;
	struct vring_packed_desc_event *driver_event; /* written by the driver */
	struct vring_packed_desc_event *device_event; /* written by the device */
	uint16_t size;                                /* power of two, 1..32768 */
	/* From rte_vhost_get_vring_base(). Split: free-running indices. Packed:
	 * bits 0..14 the ring index, bit 15 the wrap counter (rte_vhost's
	 * encoding, VHACC_VIRTQ_PACKED_WRAP). */
	uint16_t last_avail_idx;
	uint16_t last_used_idx;
	uint64_t features; /* negotiated virtio features */
	const struct vhacc_guest_mem *mem;
	uint32_t last_region; /* translation cache: region of the last buffer */
	int callfd;           /* -1: never notify (counted as suppressed) */
	int vid;              /* rte_vhost device id, for dirty logging */
	uint16_t vring_idx;   /* rte_vhost vring index, for dirty logging */
	bool is_rx;           /* true: device writes (guest RX); false: guest TX */
	uint32_t max_frame;   /* longest Ethernet frame allowed (MTU + 18); 0: no limit */
};

#define VHACC_VIRTQ_PACKED_WRAP (1u << 15)

/* A used entry built during a burst, published at its end. */
struct vhacc_virtq_used {
	uint32_t id;    /* split: head index; packed: buffer id */
	uint32_t len;   /* bytes written (RX) or 0 (TX) */
	uint16_t ndesc; /* packed: descriptors the chain took in the ring */
};

/* Descriptor-chain bookkeeping entry while the device holds a chain. */
struct vhacc_virtq_held {
	uint16_t head;
	uint32_t len; /* bytes written (RX) or 0 (TX) */
};

struct vhacc_virtq {
	/* ring, from conf */
	bool packed;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_packed_desc *desc_packed;
	struct vring_packed_desc_event *driver_event;
	struct vring_packed_desc_event *device_event;
	uint16_t size;
	uint16_t mask;
	bool is_rx;

	/* negotiated behaviour */
	bool event_idx;
	bool mrg_rxbuf;
	bool indirect;
	bool in_order;
	bool log;           /* VHOST_F_LOG_ALL negotiated: dirty-log every write */
	uint16_t hdr_len;   /* virtio-net header: 12 (VERSION_1 or MRG_RXBUF) or 10 */
	uint32_t max_frame; /* from conf; 0: no limit */
	uint64_t features;  /* negotiated virtio features (offloads: virtq_net_hdr.c) */

	/* exact state: the next issues export exactly these */
	/* split: free-running avail slot and used->idx; packed: ring index
	 * 0..size-1 of the next descriptor to read / to write as used */
	uint16_t last_avail_idx; /* next avail ring slot the device will read */
	uint16_t last_used_idx;  /* used->idx as last published by the device */
	bool avail_wrap;         /* packed: the driver's wrap counter expected next */
	bool used_wrap;          /* packed: the device's used wrap counter */
	uint16_t signalled_used; /* used idx at the last notification decision */
	bool signalled_used_valid;
	/* packed: descriptors the frontend completed at skip_pos while vhacc was
	 * away; stepped over when the device gets there (0: none) */
	uint16_t skip_len;
	uint16_t skip_pos;
	bool skip_wrap;

	/* chains taken from avail but not yet published in used; 0 between bursts */
	uint16_t nheld;

	const struct vhacc_guest_mem *mem;
	uint32_t last_region; /* translation cache: region of the last buffer */
	int callfd;
	int vid;
	uint16_t vring_idx;

	bool broken;
	enum vhacc_virtq_broken_reason broken_reason;

	struct vhacc_virtq_stats stats;

	/* used entries built during a burst, written to the ring once at its end */
	struct vhacc_virtq_used shadow[]; /* size entries, see vhacc_virtq_alloc_size() */
};

/* Bytes to allocate for a queue of ring size `size` (struct + shadow array). */
size_t vhacc_virtq_alloc_size(uint16_t size);

/*
 * (Re)initialise q from conf: clears broken state and held chains, keeps
 * nothing from before except the stats. q must have room for conf->size
 * (vhacc_virtq_alloc_size). Without EVENT_IDX sets VRING_USED_F_NO_NOTIFY
 * (vhacc polls). Returns 0 or -EINVAL (size not a power of two, NULL ring).
 */
int vhacc_virtq_setup(struct vhacc_virtq *q, const struct vhacc_virtq_conf *conf);

/*
 * Guest TX -> mbufs. Takes up to n available chains, copies each frame
 * (without the virtio-net header) into mbufs from mp (chained for frames
 * larger than one mbuf), marks the chains used (len 0) and notifies the
 * guest if its event index or flags ask for it. Returns the number of mbufs
 * stored in pkts. If mp runs dry, stops early without consuming the chain.
 */
uint16_t vhacc_virtq_dequeue_burst(
	struct vhacc_virtq *q, struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t n);

/*
 * mbufs -> guest RX. Writes up to n packets into available guest buffers
 * (a zeroed virtio-net header, num_buffers set; with MRG_RXBUF a packet may
 * span several chains), marks them used, dirty-logs every write while
 * LOG_ALL is negotiated, and notifies the guest if asked. Returns how many
 * packets from the front of pkts were consumed (written, or dropped and
 * counted because they can never fit); the caller still owns and frees all
 * mbufs. Stops early when the guest has no buffers: the rest stay with the
 * caller for a later call.
 */
uint16_t vhacc_virtq_enqueue_burst(struct vhacc_virtq *q, struct rte_mbuf **pkts, uint16_t n);

/*
 * Guest TX -> guest RX in one copy (loopback and cross-connect), split or
 * packed rings on either side, when vhacc_virtq_xfer_possible(). Moves up
 * to n frames from src's available chains into dst's, with the rules of
 * the two bursts above (checks, mergeable buffers, drops counted, dirty
 * logging, notifications). When dst has no room the frames stay in src's
 * ring. Returns the frames delivered; *consumed is the number of src chains
 * used (delivered or dropped), so the caller sees progress even when
 * everything was dropped.
 */
uint16_t vhacc_virtq_xfer_burst(
	struct vhacc_virtq *src, struct vhacc_virtq *dst, uint16_t n, uint16_t *consumed);

/*
 * Can vhacc_virtq_xfer_burst() move frames from src to dst? When dst can
 * take every offload src may ask for: GUEST_CSUM if src has CSUM, and
 * GUEST_TSO4/6 for its HOST_TSO4/6. Such requests are checked as on the
 * mbuf path and passed on in dst's header; otherwise frames go through
 * mbufs, where virtq_net_hdr.c computes in software what dst cannot take.
 */
static inline bool
vhacc_virtq_xfer_possible(const struct vhacc_virtq *src, const struct vhacc_virtq *dst)
{
	uint64_t need = 0;

	if (src->features & (1ULL << VIRTIO_NET_F_CSUM))
		need |= 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	if (src->features & (1ULL << VIRTIO_NET_F_HOST_TSO4))
		need |= 1ULL << VIRTIO_NET_F_GUEST_TSO4;
	if (src->features & (1ULL << VIRTIO_NET_F_HOST_TSO6))
		need |= 1ULL << VIRTIO_NET_F_GUEST_TSO6;
	return (dst->features & need) == need;
}

/* Has the guest made a chain available that the device has not taken? A hint (relaxed). */
static inline bool
vhacc_virtq_pending(const struct vhacc_virtq *q)
{
	if (q->packed) {
		uint16_t f =
			__atomic_load_n(&q->desc_packed[q->last_avail_idx].flags, __ATOMIC_RELAXED);
		bool avail = f & (1u << VRING_PACKED_DESC_F_AVAIL);
		bool used = f & (1u << VRING_PACKED_DESC_F_USED);

		return avail == q->avail_wrap && used != q->avail_wrap;
	}
	return __atomic_load_n(&q->avail->idx, __ATOMIC_RELAXED) != q->last_avail_idx;
}

/* Exact ring position, for queue-state export and rte_vhost_set_vring_base(). */
struct vhacc_virtq_state {
	uint16_t last_avail_idx; /* packed: ring index 0..size-1 */
	uint16_t last_used_idx;
	bool avail_wrap; /* packed only */
	bool used_wrap;
};

void vhacc_virtq_get_state(const struct vhacc_virtq *q, struct vhacc_virtq_state *st);

/*
 * Control lcore, queue not polled: move the queue to position st (a loaded
 * device state). -EINVAL for a packed index not below the ring size.
 */
int vhacc_virtq_set_state(struct vhacc_virtq *q, const struct vhacc_virtq_state *st);

/*
 * Does position st agree with what the ring in guest memory shows the
 * device did? Split: used->idx equals st's used index. Packed: the
 * descriptor before st's used position was marked used in its lap and the
 * one at it was not (yet) in st's lap. Control lcore, queue not polled.
 */
bool vhacc_virtq_state_matches_ring(
	const struct vhacc_virtq *q, const struct vhacc_virtq_state *st);

/*
 * Control lcore, queue not polled, right after vhacc_virtq_set_state() put a
 * packed queue at a loaded state's position although the frontend said
 * `frontend`: did the frontend complete descriptors itself meanwhile?
 * QEMU does, when its vhost-user backend goes away: with the link down it
 * pops a packed TX ring from the position it last gave a backend, not the
 * real one, and marks what it finds used (discarded). Those descriptors
 * follow the run the driver still offers from the state's position; the
 * first of them reads as used in the device's current lap, and the
 * frontend's position is where they end. If so, the device steps over them
 * when it gets there (counted in frontend_used) and this returns their
 * number; otherwise 0 and nothing changes. Split queues: 0 (QEMU reads a
 * split ring's position back, and the frontend's position wins).
 */
uint16_t vhacc_virtq_skip_frontend_used(
	struct vhacc_virtq *q, const struct vhacc_virtq_state *frontend);

/* Chains the device currently holds (taken from avail, not yet used); returns the count. */
uint16_t vhacc_virtq_held(const struct vhacc_virtq *q, struct vhacc_virtq_held *out, uint16_t max);

#endif /* VHACC_VIRTQ_H */
