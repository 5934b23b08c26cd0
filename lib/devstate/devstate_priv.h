/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_DEVSTATE_PRIV_H
#define VHACC_DEVSTATE_PRIV_H

/* What the encoder, the decoder and the checker share: layout constants, byte order, rules. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhacc_devstate.h"

/* Stream header value (part 0x5f0) */
#define DS_MAGIC0     'V'
#define DS_MAGIC1     'H'
#define DS_MAGIC2     'D'
#define DS_MAGIC3     'S'
#define DS_DEVICE_NET 1 /* virtio device id of a network device */

/* Value lengths of the fixed-size parts */
#define DS_LEN_HEADER   16
#define DS_LEN_FEATURES 8
#define DS_LEN_STATUS   1
#define DS_LEN_VQ_CFG   32
#define DS_LEN_NET_CFG  12
#define DS_LEN_VQ_STATE 8
#define DS_LEN_INFL_HDR 4 /* + 8 per entry */
#define DS_LEN_INFL_ENT 8
#define DS_LEN_BUFFERED 4
#define DS_LEN_CHECKSUM 4

#define DS_HDR      VHACC_DEV_PART_HDR_LEN
#define DS_PART(v)  (DS_HDR + (v))
#define DS_MIN_SIZE (DS_PART(DS_LEN_HEADER) + DS_PART(DS_LEN_CHECKSUM))

#define DS_NO_VECTOR 0xffff /* VIRTIO_MSI_NO_VECTOR: vhost-user has no MSI-X vectors */

#define DS_LAYOUT_SPLIT    0
#define DS_LAYOUT_PACKED   1
#define DS_VQ_F_AVAIL_WRAP (1u << 0)
#define DS_VQ_F_USED_WRAP  (1u << 1)

#define DS_NET_S_LINK_UP  1 /* VIRTIO_NET_S_LINK_UP */
#define DS_NET_S_ANNOUNCE 2 /* VIRTIO_NET_S_ANNOUNCE */

#define DS_F_RING_PACKED 34 /* VIRTIO_F_RING_PACKED */

/*
 * What vhacc knows of a part type. supported: vhacc reads and writes it
 * (the others only have a name, for messages). len: the value length, 0 if
 * it varies (in-flight). per_vq: the selector is a virtqueue index.
 */
struct ds_part_desc {
	uint16_t type;
	const char *name;
	bool supported;
	uint8_t flags;
	uint32_t len;
	bool per_vq;
};

/* The descriptor of a type, or NULL if vhacc does not know it. */
const struct ds_part_desc *ds_part_desc(uint16_t type);

/* Little-endian access, byte by byte (no alignment assumed). */
static inline uint16_t
ds_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
ds_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t
ds_get64(const uint8_t *p)
{
	return (uint64_t)ds_get32(p) | ((uint64_t)ds_get32(p + 4) << 32);
}

static inline void
ds_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
ds_put32(uint8_t *p, uint32_t v)
{
	ds_put16(p, (uint16_t)v);
	ds_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void
ds_put64(uint8_t *p, uint64_t v)
{
	ds_put32(p, (uint32_t)v);
	ds_put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Where an error is reported. The decoder prefixes its messages with the
 * part (type, name, selector) and the part's offset, or with the offset in
 * the stream for what belongs to no part; the encoder and the checker give
 * no location. buf may be NULL (the encoder).
 */
enum ds_loc {
	DS_LOC_NONE,
	DS_LOC_STREAM, /* "stream at offset N: " */
	DS_LOC_PART,   /* "part 0xT name (selector S) at offset N: " */
};

struct ds_err {
	char *buf;
	size_t len;
	enum ds_loc loc;
	uint16_t type;
	uint64_t selector;
	size_t offset;
};

/* Write the message (with the location prefix) and return rc. */
int ds_fail(struct ds_err *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The rules, each for what one part carries once the parts before it are
 * known. The encoder and the checker run them all (ds_validate); the
 * decoder runs each where it reads the part.
 */
int ds_rule_features(uint64_t device_features, uint64_t driver_features, struct ds_err *e);
int ds_rule_vq_size(uint16_t index, uint16_t size, struct ds_err *e); /* either layout */
int ds_rule_net(const struct vhacc_devstate *s, struct ds_err *e);
int ds_rule_vq_index(uint16_t index, uint16_t max_queue_pairs, struct ds_err *e);
int ds_rule_vq_ring(const struct vhacc_devstate_vq *vq, uint64_t driver_features, struct ds_err *e);
int ds_rule_inflight(const struct vhacc_devstate_vq *vq, struct ds_err *e);
int ds_validate(const struct vhacc_devstate *s, struct ds_err *e);

#endif /* VHACC_DEVSTATE_PRIV_H */
