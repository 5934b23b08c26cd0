/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_DEVSTATE_H
#define VHACC_DEVSTATE_H

/*
 * The device-state codec: a port's device state as a virtio 1.4 device-parts
 * stream (doc/device-state.md specifies it byte by byte).
 *
 * Pure C, no DPDK runtime, no allocation: the control lcore (and the unit
 * tests and the fuzzer) encode a struct into a caller's buffer and decode a
 * buffer into a caller's struct. Decoding checks everything (lengths,
 * order, checksum, every value) and writes *s only when the whole stream is
 * valid; the error names the part (type, selector) and its byte offset.
 *
 * Return values: 0 or -errno.
 *   -EINVAL           malformed stream, or a state that breaks a rule
 *   -EPROTONOSUPPORT  another format version, or an unknown mandatory part
 *   -EBADMSG          checksum mismatch
 *   -E2BIG            more in-flight descriptors in a virtqueue than allowed
 *   -ENOSPC           encode: the buffer is too small (*len says how much is needed)
 *   -ENOTSUP          check: the state does not fit the port
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VHACC_DEVSTATE_VERSION      1
#define VHACC_DEVSTATE_MAX_VQS      32 /* 16 queue pairs */
#define VHACC_DEVSTATE_MAX_QPS      (VHACC_DEVSTATE_MAX_VQS / 2)
#define VHACC_DEVSTATE_MAX_INFLIGHT 64 /* per vq; more: encode -E2BIG */
#define VHACC_DEVSTATE_MAX_VQ_SIZE  32768

/* Part types (struct virtio_dev_part_hdr.part_type) */
#define VHACC_DEV_PART_DEV_FEATURES   0x100 /* virtio common parts */
#define VHACC_DEV_PART_DRV_FEATURES   0x101
#define VHACC_DEV_PART_PCI_COMMON_CFG 0x102 /* not used by vhacc */
#define VHACC_DEV_PART_DEVICE_STATUS  0x103
#define VHACC_DEV_PART_VQ_CFG         0x104
#define VHACC_DEV_PART_VQ_NOTIFY_CFG  0x105 /* not used by vhacc */
#define VHACC_DEV_PART_NET_CVQ_CFG    0x200 /* virtio-net part; not used by vhacc */
#define VHACC_DEV_PART_VHACC_HEADER   0x5f0 /* vhacc's parts: net device-type range */
#define VHACC_DEV_PART_VHACC_NET_CFG  0x5f1
#define VHACC_DEV_PART_VHACC_VQ_STATE 0x5f2
#define VHACC_DEV_PART_VHACC_INFLIGHT 0x5f3
#define VHACC_DEV_PART_VHACC_BUFFERED 0x5f4
#define VHACC_DEV_PART_VHACC_CHECKSUM 0x5ff

#define VHACC_DEV_PART_F_OPTIONAL (1u << 0) /* flags bit 0, VIRTIO_DEV_PART_F_OPTIONAL */
#define VHACC_DEV_PART_HDR_LEN    16

/* Encoded size of the largest state (32 vqs, 64 in-flight entries each). */
#define VHACC_DEVSTATE_MAX_SIZE                                                                    \
	(165 + VHACC_DEVSTATE_MAX_VQS * (72 + 20 + 8 * VHACC_DEVSTATE_MAX_INFLIGHT))

/* A descriptor chain the device took from the avail ring and has not marked used. */
struct vhacc_devstate_inflight {
	uint16_t id;    /* split: head index; packed: buffer id (< size) */
	uint16_t ndesc; /* descriptors of the chain: packed 1..size; split 0 (unknown)..size */
	uint32_t len;   /* bytes written so far (RX), 0 for TX */
};

struct vhacc_devstate_vq {
	uint16_t index; /* virtqueue index: 2i RX, 2i+1 TX of queue pair i */
	uint16_t size;  /* split: power of two; both: 1..32768 */
	bool enabled, packed;
	uint16_t last_avail_idx,
		last_used_idx;      /* split: free-running; packed: ring index 0..size-1 */
	bool avail_wrap, used_wrap; /* packed only (false for split) */
	uint16_t n_inflight;
	struct vhacc_devstate_inflight inflight[VHACC_DEVSTATE_MAX_INFLIGHT];
};

struct vhacc_devstate {
	uint64_t device_features, driver_features; /* virtio feature bits 0..63 */
	uint8_t status;                            /* virtio device status */
	uint8_t mac[6];
	uint16_t mtu, net_status, max_queue_pairs; /* as in struct virtio_net_config */
	uint32_t buffered_packets; /* packets vhacc holds for the port (0 after a drain) */
	uint16_t nvqs;             /* vq[0..nvqs-1], ascending index */
	struct vhacc_devstate_vq vq[VHACC_DEVSTATE_MAX_VQS];
};

/* Encoded bytes of s, or 0 if s cannot be encoded (encode would fail). */
size_t vhacc_devstate_size(const struct vhacc_devstate *s);

/*
 * Encode s into buf[0..cap). On success *len is the size written. If cap is
 * too small: -ENOSPC, nothing written, *len the size needed. An invalid
 * state (one that decode would refuse): -EINVAL or -E2BIG, nothing written.
 * The same state always gives the same bytes.
 */
int vhacc_devstate_encode(const struct vhacc_devstate *s, void *buf, size_t cap, size_t *len);

/*
 * Decode buf[0..len) into *s. On failure *s is untouched and err (if not
 * NULL) holds a message such as
 * "part 0x5f2 vhacc_vq_state (selector 3) at offset 412: vq 3: last_avail_idx 300 >= size 256
 * (packed ring)".
 */
int vhacc_devstate_decode(
	const void *buf, size_t len, struct vhacc_devstate *s, char *err, size_t errlen);

/*
 * Can s be loaded into a port offering device_features with max_qps queue
 * pairs? -ENOTSUP: driver features the port does not offer, more queue
 * pairs than the port has. -EINVAL: s itself breaks a rule the decoder
 * checks (a ring layout that disagrees with VIRTIO_F_RING_PACKED in the
 * driver features, driver features outside the state's device features, ...).
 */
int vhacc_devstate_check(const struct vhacc_devstate *s, uint64_t device_features, uint16_t max_qps,
	char *err, size_t errlen);

/* Name of a part type ("vq_cfg", "vhacc_vq_state", ...), "unknown" if vhacc has none. */
const char *vhacc_devstate_part_name(uint16_t type);

/* CRC-32C (Castagnoli) as the stream's checksum uses it: crc32c("123456789") = 0xe3069283. */
uint32_t vhacc_devstate_crc32c(const void *buf, size_t len);

#endif /* VHACC_DEVSTATE_H */
