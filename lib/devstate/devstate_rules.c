/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules a device state obeys, shared by the encoder (which refuses to
 * write a state the decoder would refuse), the decoder (which applies each
 * rule where it reads the part that carries it) and the checker.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devstate_priv.h"

int
ds_fail(struct ds_err *e, int rc, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	int w = 0;

	if (e == NULL || e->buf == NULL || e->len == 0)
		return rc;
	if (e->loc == DS_LOC_PART)
		w = snprintf(e->buf, e->len,
			"part 0x%03x %s (selector %" PRIu64 ") at offset %zu: ", e->type,
			vhacc_devstate_part_name(e->type), e->selector, e->offset);
	else if (e->loc == DS_LOC_STREAM)
		w = snprintf(e->buf, e->len, "stream at offset %zu: ", e->offset);
	if (w > 0)
		n = (size_t)w;
	if (n < e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf + n, e->len - n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* "3, 34" for bits 3 and 34 */
static const char *
bit_list(uint64_t bits, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int b;

	buf[0] = '\0';
	for (b = 0; b < 64 && n < len; b++) {
		if (!(bits & (1ULL << b)))
			continue;
		int w = snprintf(buf + n, len - n, "%s%u", n ? ", " : "", b);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

int
ds_rule_features(uint64_t device_features, uint64_t driver_features, struct ds_err *e)
{
	uint64_t extra = driver_features & ~device_features;
	char bits[256];

	if (extra != 0)
		return ds_fail(e, -EINVAL,
			"driver features 0x%" PRIx64
			" are not a subset of device features 0x%" PRIx64 " (bits %s not offered)",
			driver_features, device_features, bit_list(extra, bits, sizeof(bits)));
	return 0;
}

int
ds_rule_vq_size(uint16_t index, uint16_t size, struct ds_err *e)
{
	if (size == 0)
		return ds_fail(e, -EINVAL, "vq %u: size 0", index);
	if (size > VHACC_DEVSTATE_MAX_VQ_SIZE)
		return ds_fail(
			e, -EINVAL, "vq %u: size %u > %u", index, size, VHACC_DEVSTATE_MAX_VQ_SIZE);
	return 0;
}

int
ds_rule_net(const struct vhacc_devstate *s, struct ds_err *e)
{
	if (s->max_queue_pairs == 0 || s->max_queue_pairs > VHACC_DEVSTATE_MAX_QPS)
		return ds_fail(e, -EINVAL, "max_virtqueue_pairs %u out of range 1..%u",
			s->max_queue_pairs, VHACC_DEVSTATE_MAX_QPS);
	if (s->net_status & ~(DS_NET_S_LINK_UP | DS_NET_S_ANNOUNCE))
		return ds_fail(e, -EINVAL,
			"net status 0x%x has bits other than LINK_UP (1) and ANNOUNCE (2)",
			s->net_status);
	return 0;
}

int
ds_rule_vq_index(uint16_t index, uint16_t max_queue_pairs, struct ds_err *e)
{
	if (index >= 2u * max_queue_pairs)
		return ds_fail(e, -EINVAL,
			"vq %u out of range: max_virtqueue_pairs %u allows vqs 0..%u", index,
			max_queue_pairs, 2u * max_queue_pairs - 1);
	return 0;
}

int
ds_rule_vq_ring(const struct vhacc_devstate_vq *vq, uint64_t driver_features, struct ds_err *e)
{
	bool feat_packed = (driver_features >> DS_F_RING_PACKED) & 1;
	int rc;

	if (vq->packed != feat_packed)
		return ds_fail(e, -EINVAL, "vq %u: %s ring, but the driver features %s RING_PACKED",
			vq->index, vq->packed ? "packed" : "split", feat_packed ? "have" : "lack");
	rc = ds_rule_vq_size(vq->index, vq->size, e);
	if (rc != 0)
		return rc;
	if (!vq->packed) {
		uint16_t ahead = (uint16_t)(vq->last_avail_idx - vq->last_used_idx);

		if (vq->size & (vq->size - 1))
			return ds_fail(e, -EINVAL,
				"vq %u: size %u of a split ring is not a power of two", vq->index,
				vq->size);
		if (vq->avail_wrap || vq->used_wrap)
			return ds_fail(
				e, -EINVAL, "vq %u: wrap counters set on a split ring", vq->index);
		if (ahead > vq->size)
			return ds_fail(e, -EINVAL,
				"vq %u: last_avail_idx %u is %u ahead of last_used_idx %u, more "
				"than "
				"the size %u",
				vq->index, vq->last_avail_idx, ahead, vq->last_used_idx, vq->size);
		return 0;
	}
	if (vq->last_avail_idx >= vq->size)
		return ds_fail(e, -EINVAL, "vq %u: last_avail_idx %u >= size %u (packed ring)",
			vq->index, vq->last_avail_idx, vq->size);
	if (vq->last_used_idx >= vq->size)
		return ds_fail(e, -EINVAL, "vq %u: last_used_idx %u >= size %u (packed ring)",
			vq->index, vq->last_used_idx, vq->size);
	return 0;
}

int
ds_rule_inflight(const struct vhacc_devstate_vq *vq, struct ds_err *e)
{
	uint64_t seen[VHACC_DEVSTATE_MAX_VQ_SIZE / 64]; /* ids met so far */
	uint16_t i, j;

	if (vq->n_inflight > VHACC_DEVSTATE_MAX_INFLIGHT)
		return ds_fail(e, -E2BIG, "vq %u: %u in-flight descriptors, at most %u", vq->index,
			vq->n_inflight, VHACC_DEVSTATE_MAX_INFLIGHT);
	if (vq->n_inflight > vq->size)
		return ds_fail(e, -EINVAL, "vq %u: %u in-flight descriptors in a ring of %u",
			vq->index, vq->n_inflight, vq->size);
	if (vq->n_inflight == 0)
		return 0;
	memset(seen, 0, ((vq->size + 63u) / 64) * sizeof(seen[0]));
	for (i = 0; i < vq->n_inflight; i++) {
		const struct vhacc_devstate_inflight *f = &vq->inflight[i];

		if (f->id >= vq->size)
			return ds_fail(e, -EINVAL, "vq %u: in-flight entry %u: id %u >= size %u",
				vq->index, i, f->id, vq->size);
		if (f->ndesc > vq->size || (vq->packed && f->ndesc == 0))
			return ds_fail(e, -EINVAL,
				"vq %u: in-flight entry %u: ndesc %u out of range %u..%u",
				vq->index, i, f->ndesc, vq->packed ? 1 : 0, vq->size);
		if (seen[f->id / 64] & (1ULL << (f->id % 64))) {
			for (j = 0; vq->inflight[j].id != f->id; j++)
				;
			return ds_fail(e, -EINVAL,
				"vq %u: in-flight entries %u and %u have the same id %u", vq->index,
				j, i, f->id);
		}
		seen[f->id / 64] |= 1ULL << (f->id % 64);
	}
	return 0;
}

int
ds_validate(const struct vhacc_devstate *s, struct ds_err *e)
{
	uint16_t i;
	int rc;

	if (s->nvqs > VHACC_DEVSTATE_MAX_VQS)
		return ds_fail(
			e, -EINVAL, "%u virtqueues, at most %u", s->nvqs, VHACC_DEVSTATE_MAX_VQS);
	rc = ds_rule_features(s->device_features, s->driver_features, e);
	if (rc == 0)
		rc = ds_rule_net(s, e);
	for (i = 0; rc == 0 && i < s->nvqs; i++) {
		const struct vhacc_devstate_vq *vq = &s->vq[i];

		if (i > 0 && vq->index <= s->vq[i - 1].index)
			return ds_fail(e, -EINVAL, "vq[%u] has index %u, not above vq[%u]'s %u", i,
				vq->index, i - 1, s->vq[i - 1].index);
		rc = ds_rule_vq_index(vq->index, s->max_queue_pairs, e);
		if (rc == 0)
			rc = ds_rule_vq_ring(vq, s->driver_features, e);
		if (rc == 0)
			rc = ds_rule_inflight(vq, e);
	}
	return rc;
}
