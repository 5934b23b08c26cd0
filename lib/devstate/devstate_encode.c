/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Encoder: a valid state → its stream, always the same bytes for the same
 * state. Order (doc/device-state.md): stream header, device features,
 * driver features, device status, one vq_cfg per vq, net config, one
 * vq_state per vq, one in-flight part per vq that has any, buffered
 * packets, checksum.
 */

#include <errno.h>
#include <string.h>

#include "devstate_priv.h"

static size_t
inflight_parts(const struct vhacc_devstate *s)
{
	size_t n = 0;
	uint16_t i;

	for (i = 0; i < s->nvqs; i++)
		n += s->vq[i].n_inflight > 0;
	return n;
}

/* Size of a state known to be valid */
static size_t
encoded_size(const struct vhacc_devstate *s)
{
	size_t n = DS_PART(DS_LEN_HEADER) + 2 * DS_PART(DS_LEN_FEATURES) + DS_PART(DS_LEN_STATUS) +
		   DS_PART(DS_LEN_NET_CFG) + DS_PART(DS_LEN_BUFFERED) + DS_PART(DS_LEN_CHECKSUM);
	uint16_t i;

	for (i = 0; i < s->nvqs; i++) {
		n += DS_PART(DS_LEN_VQ_CFG) + DS_PART(DS_LEN_VQ_STATE);
		if (s->vq[i].n_inflight > 0)
			n += DS_PART(
				DS_LEN_INFL_HDR + DS_LEN_INFL_ENT * (size_t)s->vq[i].n_inflight);
	}
	return n;
}

size_t
vhacc_devstate_size(const struct vhacc_devstate *s)
{
	if (s == NULL || ds_validate(s, NULL) != 0)
		return 0;
	return encoded_size(s);
}

/* Write a part header; return where its value goes. */
static uint8_t *
put_hdr(uint8_t *p, uint16_t type, uint64_t selector, uint32_t len)
{
	const struct ds_part_desc *d = ds_part_desc(type);

	ds_put16(p, type);
	p[2] = d->flags;
	p[3] = 0;
	ds_put64(p + 4, selector);
	ds_put32(p + 12, len);
	return p + DS_HDR;
}

int
vhacc_devstate_encode(const struct vhacc_devstate *s, void *buf, size_t cap, size_t *len)
{
	uint8_t *start = buf, *p = buf;
	size_t size, nparts;
	uint16_t i, j;
	int rc;

	if (s == NULL || len == NULL || (buf == NULL && cap > 0))
		return -EINVAL;
	rc = ds_validate(s, NULL);
	if (rc != 0)
		return rc;
	size = encoded_size(s);
	*len = size;
	if (cap < size)
		return -ENOSPC;
	nparts = 7 + 2 * (size_t)s->nvqs + inflight_parts(s);

	p = put_hdr(p, VHACC_DEV_PART_VHACC_HEADER, 0, DS_LEN_HEADER);
	p[0] = DS_MAGIC0;
	p[1] = DS_MAGIC1;
	p[2] = DS_MAGIC2;
	p[3] = DS_MAGIC3;
	ds_put16(p + 4, VHACC_DEVSTATE_VERSION);
	ds_put16(p + 6, DS_DEVICE_NET);
	ds_put32(p + 8, (uint32_t)size);
	ds_put32(p + 12, (uint32_t)nparts);
	p += DS_LEN_HEADER;

	p = put_hdr(p, VHACC_DEV_PART_DEV_FEATURES, 0, DS_LEN_FEATURES);
	ds_put64(p, s->device_features);
	p += DS_LEN_FEATURES;
	p = put_hdr(p, VHACC_DEV_PART_DRV_FEATURES, 0, DS_LEN_FEATURES);
	ds_put64(p, s->driver_features);
	p += DS_LEN_FEATURES;
	p = put_hdr(p, VHACC_DEV_PART_DEVICE_STATUS, 0, DS_LEN_STATUS);
	*p++ = s->status;

	for (i = 0; i < s->nvqs; i++) {
		const struct vhacc_devstate_vq *vq = &s->vq[i];

		p = put_hdr(p, VHACC_DEV_PART_VQ_CFG, vq->index, DS_LEN_VQ_CFG);
		memset(p, 0, DS_LEN_VQ_CFG); /* reserved, queue_desc, queue_driver, queue_device */
		ds_put16(p, vq->size);
		ds_put16(p + 2, DS_NO_VECTOR);
		ds_put16(p + 4, vq->enabled);
		p += DS_LEN_VQ_CFG;
	}

	p = put_hdr(p, VHACC_DEV_PART_VHACC_NET_CFG, 0, DS_LEN_NET_CFG);
	memcpy(p, s->mac, 6);
	ds_put16(p + 6, s->net_status);
	ds_put16(p + 8, s->max_queue_pairs);
	ds_put16(p + 10, s->mtu);
	p += DS_LEN_NET_CFG;

	for (i = 0; i < s->nvqs; i++) {
		const struct vhacc_devstate_vq *vq = &s->vq[i];

		p = put_hdr(p, VHACC_DEV_PART_VHACC_VQ_STATE, vq->index, DS_LEN_VQ_STATE);
		p[0] = vq->packed ? DS_LAYOUT_PACKED : DS_LAYOUT_SPLIT;
		p[1] = (uint8_t)((vq->avail_wrap ? DS_VQ_F_AVAIL_WRAP : 0) |
				 (vq->used_wrap ? DS_VQ_F_USED_WRAP : 0));
		ds_put16(p + 2, vq->last_avail_idx);
		ds_put16(p + 4, vq->last_used_idx);
		ds_put16(p + 6, 0);
		p += DS_LEN_VQ_STATE;
	}

	for (i = 0; i < s->nvqs; i++) {
		const struct vhacc_devstate_vq *vq = &s->vq[i];
		uint32_t vlen = DS_LEN_INFL_HDR + DS_LEN_INFL_ENT * (uint32_t)vq->n_inflight;

		if (vq->n_inflight == 0)
			continue;
		p = put_hdr(p, VHACC_DEV_PART_VHACC_INFLIGHT, vq->index, vlen);
		ds_put16(p, vq->n_inflight);
		ds_put16(p + 2, 0);
		p += DS_LEN_INFL_HDR;
		for (j = 0; j < vq->n_inflight; j++) {
			ds_put16(p, vq->inflight[j].id);
			ds_put16(p + 2, vq->inflight[j].ndesc);
			ds_put32(p + 4, vq->inflight[j].len);
			p += DS_LEN_INFL_ENT;
		}
	}

	p = put_hdr(p, VHACC_DEV_PART_VHACC_BUFFERED, 0, DS_LEN_BUFFERED);
	ds_put32(p, s->buffered_packets);
	p += DS_LEN_BUFFERED;

	p = put_hdr(p, VHACC_DEV_PART_VHACC_CHECKSUM, 0, DS_LEN_CHECKSUM);
	ds_put32(p, vhacc_devstate_crc32c(start, (size_t)(p - DS_HDR - start)));
	return 0;
}
