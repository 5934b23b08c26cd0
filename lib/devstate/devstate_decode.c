/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoder: a stream → a state, refusing anything that is not exactly a
 * valid stream (doc/device-state.md). It checks, in this order: the stream
 * header (magic, version, device, total length against the bytes given),
 * the checksum part at the end and its CRC, then each part in turn (header
 * fields, order, duplicates, missing mandatory parts, value length, value),
 * then the part count. It decodes into a local state and copies it out only
 * on success.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "devstate_priv.h"

/* Parts there is one of; the first four are mandatory. */
enum {
	ONE_DEV_FEATURES,
	ONE_DRV_FEATURES,
	ONE_DEVICE_STATUS,
	ONE_NET_CFG,
	ONE_BUFFERED,
};

static const uint16_t mandatory_one[] = {
	VHACC_DEV_PART_DEV_FEATURES,
	VHACC_DEV_PART_DRV_FEATURES,
	VHACC_DEV_PART_DEVICE_STATUS,
	VHACC_DEV_PART_VHACC_NET_CFG,
};

struct dec {
	const uint8_t *b;
	size_t parts_end; /* offset of the checksum part */
	struct vhacc_devstate st;
	uint32_t seen_one;                      /* 1 << ONE_* */
	uint32_t vq_cfg, vq_state, vq_inflight; /* 1 << vq index */
	uint8_t slot[VHACC_DEVSTATE_MAX_VQS];   /* vq index → position in st.vq */
	size_t cfg_off[VHACC_DEVSTATE_MAX_VQS]; /* offset of each vq's vq_cfg part */
	bool have_prev;
	uint16_t prev_type;
	uint64_t prev_sel;
	uint32_t nparts;
	struct ds_err e;
};

static int
one_bit(uint16_t type)
{
	switch (type) {
	case VHACC_DEV_PART_DEV_FEATURES:
		return ONE_DEV_FEATURES;
	case VHACC_DEV_PART_DRV_FEATURES:
		return ONE_DRV_FEATURES;
	case VHACC_DEV_PART_DEVICE_STATUS:
		return ONE_DEVICE_STATUS;
	case VHACC_DEV_PART_VHACC_NET_CFG:
		return ONE_NET_CFG;
	case VHACC_DEV_PART_VHACC_BUFFERED:
		return ONE_BUFFERED;
	default:
		return -1;
	}
}

static void
locate(struct dec *d, uint16_t type, uint64_t sel, size_t off)
{
	d->e.loc = DS_LOC_PART;
	d->e.type = type;
	d->e.selector = sel;
	d->e.offset = off;
}

static void
locate_stream(struct dec *d, size_t off)
{
	d->e.loc = DS_LOC_STREAM;
	d->e.offset = off;
}

/*
 * Offset of a later part (type, selector) after the part at off, or 0: to
 * tell a part that comes too late from one that is missing.
 */
static size_t
find_later(const struct dec *d, size_t off, uint16_t type, uint64_t sel)
{
	while (d->parts_end - off >= DS_HDR) {
		const uint8_t *h = d->b + off;
		uint32_t len = ds_get32(h + 12);

		if (off != d->e.offset && ds_get16(h) == type && ds_get64(h + 4) == sel)
			return off;
		if (len > d->parts_end - off - DS_HDR)
			break;
		off += DS_HDR + len;
	}
	return 0;
}

static int
missing(struct dec *d, uint16_t type, uint64_t sel, const char *what)
{
	size_t later = find_later(d, d->e.offset, type, sel);

	if (later != 0)
		return ds_fail(&d->e, -EINVAL,
			"out of order: part 0x%03x %s%s, which comes before this one, is at offset "
			"%zu",
			type, vhacc_devstate_part_name(type), what, later);
	return ds_fail(&d->e, -EINVAL, "missing part 0x%03x %s%s, which comes before this one",
		type, vhacc_devstate_part_name(type), what);
}

/* Every mandatory part that sorts before type must have been seen. */
static int
need_before(struct dec *d, uint16_t type)
{
	uint32_t lacking;
	char what[16];
	size_t i;

	for (i = 0; i < sizeof(mandatory_one) / sizeof(mandatory_one[0]); i++) {
		uint16_t m = mandatory_one[i];

		if (m < type && !(d->seen_one & (1u << one_bit(m))))
			return missing(d, m, 0, "");
	}
	lacking = d->vq_cfg & ~d->vq_state;
	if (type > VHACC_DEV_PART_VHACC_VQ_STATE && lacking != 0) {
		unsigned int vq = (unsigned int)__builtin_ctz(lacking);

		snprintf(what, sizeof(what), " for vq %u", vq);
		return missing(d, VHACC_DEV_PART_VHACC_VQ_STATE, vq, what);
	}
	return 0;
}

/* Parts come in ascending (type, selector) order; nothing twice. */
static int
check_order(struct dec *d, uint16_t type, uint64_t sel)
{
	if (d->have_prev && d->prev_type == type && d->prev_sel == sel)
		return ds_fail(&d->e, -EINVAL, "duplicate part");
	if (d->have_prev && (type < d->prev_type || (type == d->prev_type && sel < d->prev_sel)))
		return ds_fail(&d->e, -EINVAL,
			"out of order after part 0x%03x %s (selector %" PRIu64
			"): parts come in ascending (type, selector) order",
			d->prev_type, vhacc_devstate_part_name(d->prev_type), d->prev_sel);
	d->have_prev = true;
	d->prev_type = type;
	d->prev_sel = sel;
	return 0;
}

static bool
is_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* The vq a per-vq part refers to; it needs that vq's vq_cfg part. */
static struct vhacc_devstate_vq *
vq_of(struct dec *d, uint16_t index)
{
	if (!(d->vq_cfg & (1u << index))) {
		ds_fail(&d->e, -EINVAL, "no vq_cfg part (0x%03x) for vq %u", VHACC_DEV_PART_VQ_CFG,
			index);
		return NULL;
	}
	return &d->st.vq[d->slot[index]];
}

static int
dec_vq_cfg(struct dec *d, uint16_t index, const uint8_t *v, size_t off)
{
	struct vhacc_devstate_vq *vq;
	uint16_t size = ds_get16(v), vector = ds_get16(v + 2), enabled = ds_get16(v + 4);
	int rc;

	if (vector != DS_NO_VECTOR)
		return ds_fail(&d->e, -EINVAL, "vector 0x%04x, must be 0xffff (no vector)", vector);
	if (enabled > 1)
		return ds_fail(&d->e, -EINVAL, "enabled %u, must be 0 or 1", enabled);
	if (!is_zero(v + 6, 2))
		return ds_fail(&d->e, -EINVAL, "reserved field is not 0");
	if (!is_zero(v + 8, 24))
		return ds_fail(&d->e, -EINVAL, "queue_desc, queue_driver, queue_device must be 0");
	rc = ds_rule_vq_size(index, size, &d->e);
	if (rc != 0)
		return rc;
	d->slot[index] = (uint8_t)d->st.nvqs;
	d->cfg_off[index] = off;
	d->vq_cfg |= 1u << index;
	vq = &d->st.vq[d->st.nvqs++];
	vq->index = index;
	vq->size = size;
	vq->enabled = enabled;
	return 0;
}

static int
dec_net_cfg(struct dec *d, const uint8_t *v)
{
	uint16_t i;
	int rc;

	memcpy(d->st.mac, v, 6);
	d->st.net_status = ds_get16(v + 6);
	d->st.max_queue_pairs = ds_get16(v + 8);
	d->st.mtu = ds_get16(v + 10);
	rc = ds_rule_net(&d->st, &d->e);
	/* the vq_cfg parts came first: check their indices now, reported at each */
	for (i = 0; rc == 0 && i < d->st.nvqs; i++) {
		uint16_t index = d->st.vq[i].index;

		locate(d, VHACC_DEV_PART_VQ_CFG, index, d->cfg_off[index]);
		rc = ds_rule_vq_index(index, d->st.max_queue_pairs, &d->e);
	}
	return rc;
}

static int
dec_vq_state(struct dec *d, uint16_t index, const uint8_t *v)
{
	struct vhacc_devstate_vq *vq = vq_of(d, index);

	if (vq == NULL)
		return -EINVAL;
	if (v[0] != DS_LAYOUT_SPLIT && v[0] != DS_LAYOUT_PACKED)
		return ds_fail(
			&d->e, -EINVAL, "ring layout %u, must be 0 (split) or 1 (packed)", v[0]);
	if (v[1] & ~(DS_VQ_F_AVAIL_WRAP | DS_VQ_F_USED_WRAP))
		return ds_fail(&d->e, -EINVAL, "flags 0x%02x: bits 2..7 are reserved", v[1]);
	if (!is_zero(v + 6, 2))
		return ds_fail(&d->e, -EINVAL, "reserved field is not 0");
	vq->packed = v[0] == DS_LAYOUT_PACKED;
	vq->avail_wrap = v[1] & DS_VQ_F_AVAIL_WRAP;
	vq->used_wrap = v[1] & DS_VQ_F_USED_WRAP;
	vq->last_avail_idx = ds_get16(v + 2);
	vq->last_used_idx = ds_get16(v + 4);
	d->vq_state |= 1u << index;
	return ds_rule_vq_ring(vq, d->st.driver_features, &d->e);
}

static int
dec_inflight(struct dec *d, uint16_t index, const uint8_t *v, uint32_t len)
{
	struct vhacc_devstate_vq *vq = vq_of(d, index);
	uint16_t count, i;

	if (vq == NULL)
		return -EINVAL;
	if (len < DS_LEN_INFL_HDR)
		return ds_fail(&d->e, -EINVAL, "value length %" PRIu32 ", at least %u", len,
			DS_LEN_INFL_HDR);
	count = ds_get16(v);
	if (len != DS_LEN_INFL_HDR + DS_LEN_INFL_ENT * (uint32_t)count)
		return ds_fail(&d->e, -EINVAL,
			"value length %" PRIu32 ", expected %u for %u entries", len,
			DS_LEN_INFL_HDR + DS_LEN_INFL_ENT * count, count);
	if (!is_zero(v + 2, 2))
		return ds_fail(&d->e, -EINVAL, "reserved field is not 0");
	if (count == 0)
		return ds_fail(
			&d->e, -EINVAL, "no entries (the part is left out when a vq has none)");
	if (count > VHACC_DEVSTATE_MAX_INFLIGHT)
		return ds_fail(&d->e, -E2BIG, "vq %u: %u in-flight descriptors, at most %u", index,
			count, VHACC_DEVSTATE_MAX_INFLIGHT);
	v += DS_LEN_INFL_HDR;
	for (i = 0; i < count; i++, v += DS_LEN_INFL_ENT) {
		vq->inflight[i].id = ds_get16(v);
		vq->inflight[i].ndesc = ds_get16(v + 2);
		vq->inflight[i].len = ds_get32(v + 4);
	}
	vq->n_inflight = count;
	d->vq_inflight |= 1u << index;
	return ds_rule_inflight(vq, &d->e);
}

/* A part of a type vhacc reads and writes */
static int
dec_known(struct dec *d, const struct ds_part_desc *pd, uint8_t flags, uint64_t sel,
	const uint8_t *v, uint32_t len, size_t off)
{
	uint16_t type = pd->type, index = 0;
	int one = one_bit(type), rc;

	if (type == VHACC_DEV_PART_VHACC_HEADER)
		return ds_fail(&d->e, -EINVAL, "a second stream header");
	if (type == VHACC_DEV_PART_VHACC_CHECKSUM)
		return ds_fail(&d->e, -EINVAL,
			"checksum part before the end of the stream (at offset %zu by the total "
			"length)",
			d->parts_end);
	if (flags != pd->flags)
		return ds_fail(&d->e, -EINVAL, "flags 0x%02x, must be 0x%02x", flags, pd->flags);
	if (pd->per_vq) {
		if (sel >> 16)
			return ds_fail(&d->e, -EINVAL,
				"selector 0x%016" PRIx64
				": bytes 2..7 of a vq index selector must be 0",
				sel);
		if (sel >= VHACC_DEVSTATE_MAX_VQS)
			return ds_fail(&d->e, -EINVAL, "vq index %" PRIu64 " out of range 0..%u",
				sel, VHACC_DEVSTATE_MAX_VQS - 1);
		index = (uint16_t)sel;
	} else if (sel != 0) {
		return ds_fail(&d->e, -EINVAL, "selector must be 0");
	}
	if ((one >= 0 && (d->seen_one & (1u << one))) ||
		(type == VHACC_DEV_PART_VQ_CFG && (d->vq_cfg & (1u << index))) ||
		(type == VHACC_DEV_PART_VHACC_VQ_STATE && (d->vq_state & (1u << index))) ||
		(type == VHACC_DEV_PART_VHACC_INFLIGHT && (d->vq_inflight & (1u << index))))
		return ds_fail(&d->e, -EINVAL, "duplicate part");
	rc = check_order(d, type, sel);
	if (rc == 0)
		rc = need_before(d, type);
	if (rc != 0)
		return rc;
	if (pd->len != 0 && len != pd->len)
		return ds_fail(
			&d->e, -EINVAL, "value length %" PRIu32 ", must be %" PRIu32, len, pd->len);
	if (one >= 0)
		d->seen_one |= 1u << one;

	switch (type) {
	case VHACC_DEV_PART_DEV_FEATURES:
		d->st.device_features = ds_get64(v);
		return 0;
	case VHACC_DEV_PART_DRV_FEATURES:
		d->st.driver_features = ds_get64(v);
		return ds_rule_features(d->st.device_features, d->st.driver_features, &d->e);
	case VHACC_DEV_PART_DEVICE_STATUS:
		d->st.status = v[0];
		return 0;
	case VHACC_DEV_PART_VQ_CFG:
		return dec_vq_cfg(d, index, v, off);
	case VHACC_DEV_PART_VHACC_NET_CFG:
		return dec_net_cfg(d, v);
	case VHACC_DEV_PART_VHACC_VQ_STATE:
		return dec_vq_state(d, index, v);
	case VHACC_DEV_PART_VHACC_INFLIGHT:
		return dec_inflight(d, index, v, len);
	case VHACC_DEV_PART_VHACC_BUFFERED:
		d->st.buffered_packets = ds_get32(v);
		return 0;
	default:
		return ds_fail(&d->e, -EINVAL, "internal: no decoder for this part");
	}
}

/* One part at off (its header is inside the parts area) */
static int
dec_part(struct dec *d, size_t off, uint32_t *len)
{
	const uint8_t *h = d->b + off;
	uint16_t type = ds_get16(h);
	uint8_t flags = h[2];
	uint64_t sel = ds_get64(h + 4);
	const struct ds_part_desc *pd;
	int rc;

	*len = ds_get32(h + 12);
	locate(d, type, sel, off);
	if (*len > d->parts_end - off - DS_HDR)
		return ds_fail(&d->e, -EINVAL,
			"value length %" PRIu32 " runs past the checksum part at offset %zu", *len,
			d->parts_end);
	if (h[3] != 0)
		return ds_fail(&d->e, -EINVAL, "reserved byte 0x%02x, must be 0", h[3]);
	if (flags & ~VHACC_DEV_PART_F_OPTIONAL)
		return ds_fail(&d->e, -EINVAL, "flags 0x%02x: bits 1..7 are reserved", flags);
	pd = ds_part_desc(type);
	if (pd != NULL && pd->supported)
		return dec_known(d, pd, flags, sel, h + DS_HDR, *len, off);

	/* unknown to vhacc, or known but not used by it: skipped if optional */
	rc = check_order(d, type, sel);
	if (rc == 0)
		rc = need_before(d, type);
	if (rc != 0)
		return rc;
	if (!(flags & VHACC_DEV_PART_F_OPTIONAL))
		return ds_fail(&d->e, -EPROTONOSUPPORT, "%s mandatory part",
			pd != NULL ? "vhacc does not support this" : "unknown");
	return 0;
}

/* The stream header (offset 0) and the checksum part (the last 20 bytes of the total length) */
static int
dec_envelope(struct dec *d, size_t len, uint32_t *nparts)
{
	const uint8_t *b = d->b, *v, *t;
	uint32_t total, crc, want;

	locate_stream(d, 0);
	if (len < DS_HDR)
		return ds_fail(&d->e, -EINVAL,
			"truncated: %zu bytes, the stream begins with a %u-byte part header", len,
			DS_HDR);
	locate(d, ds_get16(b), ds_get64(b + 4), 0);
	if (ds_get16(b) != VHACC_DEV_PART_VHACC_HEADER)
		return ds_fail(&d->e, -EINVAL, "the stream must begin with part 0x%03x %s",
			VHACC_DEV_PART_VHACC_HEADER,
			vhacc_devstate_part_name(VHACC_DEV_PART_VHACC_HEADER));
	if (b[2] != 0 || b[3] != 0 || ds_get64(b + 4) != 0)
		return ds_fail(&d->e, -EINVAL, "flags, reserved and selector must be 0");
	if (ds_get32(b + 12) != DS_LEN_HEADER)
		return ds_fail(&d->e, -EINVAL, "value length %" PRIu32 ", must be %u",
			ds_get32(b + 12), DS_LEN_HEADER);
	if (len < DS_PART(DS_LEN_HEADER))
		return ds_fail(&d->e, -EINVAL,
			"truncated: %zu bytes, the stream header part has %u", len,
			DS_PART(DS_LEN_HEADER));
	v = b + DS_HDR;
	if (v[0] != DS_MAGIC0 || v[1] != DS_MAGIC1 || v[2] != DS_MAGIC2 || v[3] != DS_MAGIC3)
		return ds_fail(&d->e, -EINVAL, "bad magic %02x %02x %02x %02x, must be \"VHDS\"",
			v[0], v[1], v[2], v[3]);
	if (ds_get16(v + 4) != VHACC_DEVSTATE_VERSION)
		return ds_fail(&d->e, -EPROTONOSUPPORT,
			"format version %u, this decoder reads version %u", ds_get16(v + 4),
			VHACC_DEVSTATE_VERSION);
	if (ds_get16(v + 6) != DS_DEVICE_NET)
		return ds_fail(&d->e, -EINVAL, "virtio device id %u, must be %u (network device)",
			ds_get16(v + 6), DS_DEVICE_NET);
	total = ds_get32(v + 8);
	*nparts = ds_get32(v + 12);
	if (total < DS_MIN_SIZE)
		return ds_fail(&d->e, -EINVAL,
			"total length %" PRIu32 ", the smallest stream has %u", total, DS_MIN_SIZE);
	if (len < total) {
		locate_stream(d, len);
		return ds_fail(&d->e, -EINVAL,
			"truncated: the stream header says %" PRIu32 " bytes, got %zu", total, len);
	}
	if (len > total) {
		locate_stream(d, total);
		return ds_fail(&d->e, -EINVAL,
			"%zu trailing bytes after the %" PRIu32 "-byte stream", len - total, total);
	}

	d->parts_end = total - DS_PART(DS_LEN_CHECKSUM);
	t = b + d->parts_end;
	locate(d, ds_get16(t), ds_get64(t + 4), d->parts_end);
	if (ds_get16(t) != VHACC_DEV_PART_VHACC_CHECKSUM || t[2] != 0 || t[3] != 0 ||
		ds_get64(t + 4) != 0 || ds_get32(t + 12) != DS_LEN_CHECKSUM)
		return ds_fail(&d->e, -EINVAL,
			"the stream must end with part 0x%03x %s (flags, selector 0, length %u)",
			VHACC_DEV_PART_VHACC_CHECKSUM,
			vhacc_devstate_part_name(VHACC_DEV_PART_VHACC_CHECKSUM), DS_LEN_CHECKSUM);
	crc = ds_get32(t + DS_HDR);
	want = vhacc_devstate_crc32c(b, d->parts_end);
	if (crc != want)
		return ds_fail(&d->e, -EBADMSG,
			"checksum 0x%08" PRIx32 ", computed 0x%08" PRIx32 " over bytes 0..%zu", crc,
			want, d->parts_end - 1);
	return 0;
}

int
vhacc_devstate_decode(
	const void *buf, size_t len, struct vhacc_devstate *s, char *err, size_t errlen)
{
	struct dec d;
	uint32_t nparts = 0, vlen;
	size_t off;
	int rc;

	memset(&d, 0, sizeof(d));
	d.b = buf;
	d.e.buf = err;
	d.e.len = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (s == NULL || buf == NULL)
		return ds_fail(&d.e, -EINVAL, "no buffer or no state");

	rc = dec_envelope(&d, len, &nparts);
	if (rc != 0)
		return rc;
	d.nparts = 2;
	for (off = DS_PART(DS_LEN_HEADER); off < d.parts_end; off += DS_HDR + vlen) {
		if (d.parts_end - off < DS_HDR) {
			locate_stream(&d, off);
			return ds_fail(&d.e, -EINVAL,
				"truncated part header: %zu bytes before the checksum part at "
				"offset %zu",
				d.parts_end - off, d.parts_end);
		}
		rc = dec_part(&d, off, &vlen);
		if (rc != 0)
			return rc;
		d.nparts++;
	}

	locate(&d, VHACC_DEV_PART_VHACC_CHECKSUM, 0, d.parts_end);
	rc = need_before(&d, VHACC_DEV_PART_VHACC_CHECKSUM);
	if (rc != 0)
		return rc;
	if (nparts != d.nparts) {
		locate(&d, VHACC_DEV_PART_VHACC_HEADER, 0, 0);
		return ds_fail(&d.e, -EINVAL, "part count %" PRIu32 ", the stream has %" PRIu32,
			nparts, d.nparts);
	}
	memcpy(s, &d.st, sizeof(*s));
	return 0;
}
