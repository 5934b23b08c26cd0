/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/devstate: round trips (split, packed, 1 and 16 queue
 * pairs, in-flight entries), the golden stream of doc/device-state.md,
 * every refusal of the decoder (each asserting the error, its location and
 * that the output state was not touched), unknown optional parts, sizes
 * and -ENOSPC, and vhacc_devstate_check().
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vhacc_devstate.h"

#define BIT(b) (1ULL << (b))

/* virtio / vhost feature bits, spelled out */
#define F_CSUM              0
#define F_GUEST_CSUM        1
#define F_MTU               3
#define F_MAC               5
#define F_MRG_RXBUF         15
#define F_STATUS            16
#define F_CTRL_VQ           17
#define F_MQ                22
#define F_LOG_ALL           26
#define F_INDIRECT_DESC     28
#define F_EVENT_IDX         29
#define F_PROTOCOL_FEATURES 30
#define F_VERSION_1         32
#define F_RING_PACKED       34
#define F_IN_ORDER          35

#define DEV_FEATURES                                                                               \
	(BIT(F_CSUM) | BIT(F_GUEST_CSUM) | BIT(F_MTU) | BIT(F_MAC) | BIT(F_MRG_RXBUF) |            \
		BIT(F_STATUS) | BIT(F_CTRL_VQ) | BIT(F_MQ) | BIT(F_LOG_ALL) |                      \
		BIT(F_INDIRECT_DESC) | BIT(F_EVENT_IDX) | BIT(F_PROTOCOL_FEATURES) |               \
		BIT(F_VERSION_1) | BIT(F_RING_PACKED) | BIT(F_IN_ORDER))
#define DRV_SPLIT  (DEV_FEATURES & ~(BIT(F_RING_PACKED) | BIT(F_LOG_ALL) | BIT(F_IN_ORDER)))
#define DRV_PACKED (DRV_SPLIT | BIT(F_RING_PACKED))

#define T_HDR     VHACC_DEV_PART_VHACC_HEADER
#define T_DEVF    VHACC_DEV_PART_DEV_FEATURES
#define T_DRVF    VHACC_DEV_PART_DRV_FEATURES
#define T_STATUS  VHACC_DEV_PART_DEVICE_STATUS
#define T_VQCFG   VHACC_DEV_PART_VQ_CFG
#define T_NET     VHACC_DEV_PART_VHACC_NET_CFG
#define T_VQSTATE VHACC_DEV_PART_VHACC_VQ_STATE
#define T_INFL    VHACC_DEV_PART_VHACC_INFLIGHT
#define T_BUF     VHACC_DEV_PART_VHACC_BUFFERED
#define T_CSUM    VHACC_DEV_PART_VHACC_CHECKSUM
#define OPT       VHACC_DEV_PART_F_OPTIONAL

#define BUF_MAX (VHACC_DEVSTATE_MAX_SIZE + 4096)

static struct vhacc_devstate st, st2, out, untouched;
static uint8_t buf[BUF_MAX], buf2[BUF_MAX];
static size_t blen;
static char err[512];

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));               \
	} while (0)

/* ---- states ---- */

static void
base_state(struct vhacc_devstate *s, bool packed, uint16_t qps)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	uint16_t i;

	memset(s, 0, sizeof(*s));
	s->device_features = DEV_FEATURES;
	s->driver_features = packed ? DRV_PACKED : DRV_SPLIT;
	s->status = 0x0f; /* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK */
	memcpy(s->mac, mac, 6);
	s->mtu = 1500;
	s->net_status = 1;
	s->max_queue_pairs = qps;
	s->nvqs = (uint16_t)(2 * qps);
	for (i = 0; i < s->nvqs; i++) {
		struct vhacc_devstate_vq *vq = &s->vq[i];

		vq->index = i;
		vq->enabled = i < 2 || (i % 3) != 0;
		vq->packed = packed;
		if (packed) {
			vq->size = 1000;
			vq->last_avail_idx = (uint16_t)(37 * i % vq->size);
			vq->last_used_idx = vq->last_avail_idx;
			vq->avail_wrap = i & 1;
			vq->used_wrap = i & 1;
		} else {
			vq->size = 256;
			vq->last_avail_idx = (uint16_t)(65530 + 3 * i); /* wraps past 65535 */
			vq->last_used_idx = vq->last_avail_idx;
		}
	}
}

/* Chains in flight on every other vq (1..5 of them) */
static void
add_inflight(struct vhacc_devstate *s)
{
	uint16_t i, j;

	for (i = 0; i < s->nvqs; i += 2) {
		struct vhacc_devstate_vq *vq = &s->vq[i];

		vq->n_inflight = (uint16_t)(i % 5 + 1);
		for (j = 0; j < vq->n_inflight; j++) {
			vq->inflight[j].id = (uint16_t)(10 * j + i);
			vq->inflight[j].ndesc = (uint16_t)(j % 3 + 1);
			vq->inflight[j].len = vq->index & 1 ? 0 : 1514u * j;
		}
		if (!vq->packed)
			vq->last_avail_idx = (uint16_t)(vq->last_used_idx + vq->n_inflight);
		else
			vq->last_avail_idx =
				(uint16_t)((vq->last_used_idx + 2 * vq->n_inflight) % vq->size);
	}
}

/* ---- stream surgery ---- */

static void
encode_ok(const struct vhacc_devstate *s)
{
	int rc = vhacc_devstate_encode(s, buf, sizeof(buf), &blen);

	if (rc != 0)
		fail_msg("encode failed: %d", rc);
	assert_int_equal(blen, vhacc_devstate_size(s));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* Total length := blen, part count += dparts, checksum recomputed */
static void
reseal(int dparts)
{
	put32(buf + 24, (uint32_t)blen);
	put32(buf + 28, (uint32_t)((int)get32(buf + 28) + dparts));
	put32(buf + blen - 4, vhacc_devstate_crc32c(buf, blen - 20));
}

/* Offset of part (type, selector): walks the stream; fails the test if absent */
static size_t
part_at(uint16_t type, uint16_t sel)
{
	size_t off = 0;

	while (off + 16 <= blen) {
		if (get16(buf + off) == type && get16(buf + off + 4) == sel)
			return off;
		off += 16 + get32(buf + off + 12);
	}
	fail_msg("part 0x%x selector %u not found", type, sel);
	return 0;
}

static uint8_t *
val_at(uint16_t type, uint16_t sel)
{
	return buf + part_at(type, sel) + 16;
}

static void
insert_bytes(size_t off, const void *p, size_t n)
{
	assert_true(blen + n <= sizeof(buf));
	memmove(buf + off + n, buf + off, blen - off);
	memcpy(buf + off, p, n);
	blen += n;
}

static void
cut_bytes(size_t off, size_t n)
{
	memmove(buf + off, buf + off + n, blen - off - n);
	blen -= n;
}

/* Insert a part at off (a part boundary) and reseal */
static void
insert_part(size_t off, uint16_t type, uint8_t flags, uint64_t sel, const void *v, uint32_t len)
{
	uint8_t h[16];
	int i;

	put16(h, type);
	h[2] = flags;
	h[3] = 0;
	for (i = 0; i < 8; i++)
		h[4 + i] = (uint8_t)(sel >> (8 * i));
	put32(h + 12, len);
	insert_bytes(off, v, len);
	insert_bytes(off, h, 16);
	reseal(1);
}

static void
remove_part(uint16_t type, uint16_t sel)
{
	size_t off = part_at(type, sel);

	cut_bytes(off, 16 + get32(buf + off + 12));
	reseal(-1);
}

/* Resize a part's value to len (zero-filled or cut at the end) and reseal */
static void
resize_part(uint16_t type, uint16_t sel, uint32_t len)
{
	static const uint8_t zeros[1024];
	size_t off = part_at(type, sel);
	uint32_t old = get32(buf + off + 12);

	assert_true(len <= old || len - old <= sizeof(zeros));
	if (len > old)
		insert_bytes(off + 16 + old, zeros, len - old);
	else
		cut_bytes(off + 16 + len, old - len);
	put32(buf + off + 12, len);
	reseal(0);
}

/* Decoding buf fails with rc, err contains every given string, out untouched. */
static void
refuse_(int rc, const char *a, const char *b)
{
	int got;

	memset(&out, 0x5a, sizeof(out));
	memcpy(&untouched, &out, sizeof(out));
	err[0] = '\0';
	got = vhacc_devstate_decode(buf, blen, &out, err, sizeof(err));
	if (got != rc)
		fail_msg("decode returned %d (%s), expected %d", got, err, rc);
	assert_contains(err, a);
	if (b != NULL)
		assert_contains(err, b);
	assert_null(strchr(err, '\n'));
	assert_memory_equal(&out, &untouched, sizeof(out));
}
#define refuse(rc, a)     refuse_(rc, a, NULL)
#define refuse2(rc, a, b) refuse_(rc, a, b)

static void
decode_ok(struct vhacc_devstate *s)
{
	int rc = vhacc_devstate_decode(buf, blen, s, err, sizeof(err));

	if (rc != 0)
		fail_msg("decode failed: %d %s", rc, err);
}

/* ---- round trips ---- */

static void
round_trip(const struct vhacc_devstate *s)
{
	size_t len2;

	encode_ok(s);
	memset(&out, 0x77, sizeof(out));
	decode_ok(&out);
	assert_memory_equal(&out, s, sizeof(out)); /* states are zero-filled beyond their counts */
	assert_int_equal(vhacc_devstate_encode(&out, buf2, sizeof(buf2), &len2), 0);
	assert_int_equal(len2, blen);
	assert_memory_equal(buf2, buf, blen);
}

static void
test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(vhacc_devstate_crc32c("123456789", 9), 0xe3069283);
	assert_int_equal(vhacc_devstate_crc32c("", 0), 0);
	assert_int_equal(vhacc_devstate_crc32c("a", 1), 0xc1d04330);
}

static void
test_round_trip_split_1qp(void **state)
{
	(void)state;
	base_state(&st, false, 1);
	round_trip(&st);
	assert_int_equal(blen, 165 + 2 * 72);
}

static void
test_round_trip_packed_1qp(void **state)
{
	(void)state;
	base_state(&st, true, 1);
	round_trip(&st);
}

static void
test_round_trip_split_16qp_inflight(void **state)
{
	(void)state;
	base_state(&st, false, 16);
	add_inflight(&st);
	round_trip(&st);
	assert_int_equal(out.vq[4].n_inflight, 5);
	assert_int_equal(out.vq[4].inflight[4].id, 44);
}

static void
test_round_trip_packed_16qp_inflight(void **state)
{
	(void)state;
	base_state(&st, true, 16);
	add_inflight(&st);
	st.buffered_packets = 7;
	st.status |= 0x10;
	round_trip(&st);
}

/* Sparse vqs (a guest that set up only some), extreme values */
static void
test_round_trip_edges(void **state)
{
	(void)state;
	base_state(&st, true, 16);
	st.vq[0] = st.vq[5];
	st.vq[0].index = 3;
	st.vq[1] = st.vq[31];
	st.vq[1].size = 32768;
	st.vq[1].last_avail_idx = 32767;
	st.vq[1].last_used_idx = 0;
	st.vq[1].avail_wrap = true;
	st.vq[1].used_wrap = false;
	st.vq[1].n_inflight = 64;
	for (uint16_t j = 0; j < 64; j++)
		st.vq[1].inflight[j] = (struct vhacc_devstate_inflight){
			.id = (uint16_t)(32767 - j), .ndesc = 32768, .len = 0xffffffff};
	memset(&st.vq[2], 0, sizeof(st.vq) - 2 * sizeof(st.vq[0]));
	st.nvqs = 2;
	st.mtu = 65535;
	st.net_status = 3;
	st.buffered_packets = 0xffffffff;
	st.device_features = ~0ULL;
	st.driver_features = ~0ULL;
	st.status = 0xff;
	round_trip(&st);

	base_state(&st, false, 1); /* no vq set up yet */
	st.nvqs = 0;
	memset(st.vq, 0, sizeof(st.vq));
	st.driver_features = 0;
	st.status = 0;
	round_trip(&st);
	assert_int_equal(blen, 165);
}

static void
test_deterministic(void **state)
{
	size_t len2;

	(void)state;
	base_state(&st, false, 4);
	add_inflight(&st);
	encode_ok(&st);
	/* the same state with garbage beyond its counts encodes the same */
	memcpy(&st2, &st, sizeof(st2));
	memset(&st2.vq[st2.nvqs], 0xee, sizeof(st2.vq) - st2.nvqs * sizeof(st2.vq[0]));
	st2.vq[1].inflight[3].id = 999;
	assert_int_equal(vhacc_devstate_encode(&st2, buf2, sizeof(buf2), &len2), 0);
	assert_int_equal(len2, blen);
	assert_memory_equal(buf2, buf, blen);
}

/*
 * The example of doc/device-state.md, byte for byte: one queue pair, split,
 * one chain in flight on vq 1.
 */
/* part headers (with their offsets), then values */
static const char golden_hex[] = "f0050000000000000000000010000000" /* 0 */
				 "5648445301000100510100000c000000"
				 "00010100000000000000000008000000" /* 32 */
				 "2100000001000000"
				 "01010000000000000000000008000000" /* 56 */
				 "2100000001000000"
				 "03010000000000000000000001000000" /* 80 */
				 "0f"
				 "04010000000000000000000020000000" /* 97 */
				 "0001ffff01000000000000000000000000000000000000000000000000000000"
				 "04010000010000000000000020000000" /* 145 */
				 "0001ffff01000000000000000000000000000000000000000000000000000000"
				 "f105000000000000000000000c000000" /* 193 */
				 "52540012345601000100dc05"
				 "f2050000000000000000000008000000" /* 221 */
				 "0000050005000000"
				 "f2050000010000000000000008000000" /* 245 */
				 "0000120011000000"
				 "f305000001000000000000000c000000" /* 269 */
				 "010000000700010000000000"
				 "f4050100000000000000000004000000" /* 297 */
				 "00000000"
				 "ff050000000000000000000004000000" /* 317 */
				 "f1c81101";

static void
golden_state(struct vhacc_devstate *s)
{
	base_state(s, false, 1);
	s->device_features = BIT(F_CSUM) | BIT(F_MAC) | BIT(F_VERSION_1);
	s->driver_features = s->device_features;
	s->vq[0].size = 256;
	s->vq[0].last_avail_idx = s->vq[0].last_used_idx = 5;
	s->vq[1].size = 256;
	s->vq[1].enabled = true;
	s->vq[1].last_avail_idx = 18;
	s->vq[1].last_used_idx = 17;
	s->vq[1].n_inflight = 1;
	s->vq[1].inflight[0] = (struct vhacc_devstate_inflight){.id = 7, .ndesc = 1, .len = 0};
}

static void
test_golden_stream(void **state)
{
	char hex[2 * 400 + 1];
	size_t i;

	(void)state;
	golden_state(&st);
	encode_ok(&st);
	assert_int_equal(blen, 337);
	for (i = 0; i < blen; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	if (strcmp(hex, golden_hex) != 0)
		fail_msg("stream differs from doc/device-state.md:\n%s\n%s", hex, golden_hex);
	assert_int_equal(get32(buf + blen - 4), 0x0111c8f1);
	decode_ok(&out);
	assert_memory_equal(&out, &st, sizeof(out));
}

/* ---- sizes and encoder refusals ---- */

static void
test_size_and_enospc(void **state)
{
	size_t len = 0, need;

	(void)state;
	base_state(&st, true, 2);
	add_inflight(&st);
	need = vhacc_devstate_size(&st);
	assert_int_equal(need, 165 + 4 * 72 + (20 + 8 * 1) + (20 + 8 * 3));
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vhacc_devstate_encode(&st, buf, need - 1, &len), -ENOSPC);
	assert_int_equal(len, need);
	for (size_t i = 0; i < need; i++)
		assert_int_equal(buf[i], 0xee);
	assert_int_equal(vhacc_devstate_encode(&st, NULL, 0, &len), -ENOSPC);
	assert_int_equal(len, need);
	assert_int_equal(vhacc_devstate_encode(&st, buf, need, &len), 0);
	assert_int_equal(len, need);
	assert_int_equal(buf[need], 0xee);

	/* the largest state is VHACC_DEVSTATE_MAX_SIZE */
	base_state(&st, false, VHACC_DEVSTATE_MAX_QPS);
	for (uint16_t i = 0; i < st.nvqs; i++) {
		st.vq[i].n_inflight = VHACC_DEVSTATE_MAX_INFLIGHT;
		for (uint16_t j = 0; j < VHACC_DEVSTATE_MAX_INFLIGHT; j++)
			st.vq[i].inflight[j].id = j;
		st.vq[i].last_avail_idx = (uint16_t)(st.vq[i].last_used_idx + 64);
	}
	assert_int_equal(vhacc_devstate_size(&st), VHACC_DEVSTATE_MAX_SIZE);
	round_trip(&st);
}

static void
test_encode_refuses_invalid(void **state)
{
	size_t len = 12345;

	(void)state;
	base_state(&st, false, 1);
	st.vq[0].n_inflight = VHACC_DEVSTATE_MAX_INFLIGHT + 1;
	assert_int_equal(vhacc_devstate_encode(&st, buf, sizeof(buf), &len), -E2BIG);
	assert_int_equal(vhacc_devstate_size(&st), 0);
	assert_int_equal(len, 12345);

	base_state(&st, false, 1);
	st.driver_features |= BIT(60);
	assert_int_equal(vhacc_devstate_encode(&st, buf, sizeof(buf), &len), -EINVAL);
	base_state(&st, false, 1);
	st.vq[1].size = 100;
	assert_int_equal(vhacc_devstate_encode(&st, buf, sizeof(buf), &len), -EINVAL);
	base_state(&st, false, 2);
	st.vq[2].index = 1; /* not ascending */
	assert_int_equal(vhacc_devstate_encode(&st, buf, sizeof(buf), &len), -EINVAL);
	base_state(&st, false, 1);
	st.nvqs = VHACC_DEVSTATE_MAX_VQS + 1;
	assert_int_equal(vhacc_devstate_encode(&st, buf, sizeof(buf), &len), -EINVAL);
	assert_int_equal(vhacc_devstate_encode(NULL, buf, sizeof(buf), &len), -EINVAL);
	assert_int_equal(vhacc_devstate_size(NULL), 0);
}

static void
test_part_names(void **state)
{
	(void)state;
	assert_string_equal(vhacc_devstate_part_name(0x100), "device_features");
	assert_string_equal(vhacc_devstate_part_name(0x101), "driver_features");
	assert_string_equal(vhacc_devstate_part_name(0x102), "pci_common_cfg");
	assert_string_equal(vhacc_devstate_part_name(0x103), "device_status");
	assert_string_equal(vhacc_devstate_part_name(0x104), "vq_cfg");
	assert_string_equal(vhacc_devstate_part_name(0x105), "vq_notify_cfg");
	assert_string_equal(vhacc_devstate_part_name(0x200), "net_cvq_cfg");
	assert_string_equal(vhacc_devstate_part_name(0x5f0), "vhacc_header");
	assert_string_equal(vhacc_devstate_part_name(0x5f1), "vhacc_net_cfg");
	assert_string_equal(vhacc_devstate_part_name(0x5f2), "vhacc_vq_state");
	assert_string_equal(vhacc_devstate_part_name(0x5f3), "vhacc_inflight");
	assert_string_equal(vhacc_devstate_part_name(0x5f4), "vhacc_buffered");
	assert_string_equal(vhacc_devstate_part_name(0x5ff), "vhacc_checksum");
	assert_string_equal(vhacc_devstate_part_name(0x300), "unknown");
}

/* ---- decoder refusals: the stream ---- */

static void
fresh(bool packed, uint16_t qps)
{
	base_state(&st, packed, qps);
	add_inflight(&st);
	encode_ok(&st);
}

static void
test_refuse_truncated(void **state)
{
	(void)state;
	fresh(false, 1);
	blen--;
	refuse2(-EINVAL, "stream at offset 336: truncated", "says 337 bytes, got 336");
	blen = 31;
	refuse(-EINVAL, "truncated: 31 bytes");
	blen = 10;
	refuse(-EINVAL, "stream at offset 0: truncated: 10 bytes");
	blen = 0;
	refuse(-EINVAL, "truncated: 0 bytes");
	assert_int_equal(vhacc_devstate_decode(NULL, 0, &out, err, sizeof(err)), -EINVAL);
}

static void
test_refuse_trailing_bytes(void **state)
{
	(void)state;
	fresh(false, 1);
	buf[blen++] = 0;
	refuse(-EINVAL, "stream at offset 337: 1 trailing bytes after the 337-byte stream");
}

static void
test_refuse_not_a_stream(void **state)
{
	(void)state;
	fresh(false, 1);
	put16(buf, 0x100);
	refuse(-EINVAL,
		"part 0x100 device_features (selector 0) at offset 0: the stream must begin "
		"with part 0x5f0 vhacc_header");
	fresh(false, 1);
	buf[2] = OPT;
	refuse(-EINVAL, "flags, reserved and selector must be 0");
	fresh(false, 1);
	put32(buf + 12, 20);
	refuse(-EINVAL, "value length 20, must be 16");
}

static void
test_refuse_bad_magic(void **state)
{
	(void)state;
	fresh(false, 1);
	buf[16] = 'v';
	refuse(-EINVAL, "at offset 0: bad magic 76 48 44 53");
}

static void
test_refuse_version(void **state)
{
	(void)state;
	fresh(false, 1);
	put16(buf + 20, 2);
	reseal(0);
	refuse(-EPROTONOSUPPORT, "format version 2, this decoder reads version 1");
	fresh(false, 1);
	put16(buf + 22, 2);
	refuse(-EINVAL, "virtio device id 2, must be 1");
}

static void
test_refuse_total_length(void **state)
{
	(void)state;
	fresh(false, 1);
	put32(buf + 24, 51);
	refuse(-EINVAL, "total length 51, the smallest stream has 52");
	fresh(false, 1);
	put32(buf + 24, (uint32_t)blen - 1);
	refuse(-EINVAL, "1 trailing bytes");
}

static void
test_refuse_bad_checksum(void **state)
{
	(void)state;
	fresh(false, 1);
	buf[100] ^= 1;
	refuse2(-EBADMSG, "part 0x5ff vhacc_checksum (selector 0) at offset 317: checksum 0x",
		"over bytes 0..316");
	fresh(false, 1);
	buf[blen - 1] ^= 0x80;
	refuse(-EBADMSG, "checksum");
}

static void
test_refuse_no_checksum_part(void **state)
{
	(void)state;
	fresh(false, 1);
	put16(buf + blen - 20, 0x5fe);
	refuse(-EINVAL, "the stream must end with part 0x5ff vhacc_checksum");
	fresh(false, 1);
	put32(buf + blen - 8, 5);
	refuse(-EINVAL, "must end with part 0x5ff");
	fresh(false, 1);
	buf[blen - 18] = OPT;
	refuse(-EINVAL, "must end with part 0x5ff");
}

static void
test_refuse_part_count(void **state)
{
	(void)state;
	fresh(false, 1);
	put32(buf + 28, get32(buf + 28) + 1);
	reseal(0);
	refuse(-EINVAL, "part 0x5f0 vhacc_header (selector 0) at offset 0: part count 13, the "
			"stream has 12");
}

/* ---- decoder refusals: part headers ---- */

static void
test_refuse_length_mismatch(void **state)
{
	(void)state;
	fresh(false, 1);
	resize_part(T_STATUS, 0, 2);
	refuse(-EINVAL, "part 0x103 device_status (selector 0) at offset 80: value length 2, must "
			"be 1");
	fresh(false, 1);
	resize_part(T_VQCFG, 1, 30);
	refuse(-EINVAL,
		"part 0x104 vq_cfg (selector 1) at offset 145: value length 30, must be 32");
	fresh(false, 1);
	resize_part(T_DEVF, 0, 16);
	refuse(-EINVAL, "value length 16, must be 8");
	fresh(false, 1);
	resize_part(T_NET, 0, 0);
	refuse(-EINVAL, "value length 0, must be 12");
	fresh(false, 1);
	resize_part(T_BUF, 0, 8);
	refuse(-EINVAL, "part 0x5f4 vhacc_buffered (selector 0) at offset 297: value length 8");
}

static void
test_refuse_length_past_end(void **state)
{
	(void)state;
	fresh(false, 1);
	put32(buf + part_at(T_BUF, 0) + 12, 5);
	reseal(0);
	refuse(-EINVAL, "value length 5 runs past the checksum part at offset 317");
	fresh(false, 1);
	put32(buf + part_at(T_DEVF, 0) + 12, 0xffffffff);
	reseal(0);
	refuse(-EINVAL, "at offset 32: value length 4294967295 runs past");
}

static void
test_refuse_truncated_part_header(void **state)
{
	static const uint8_t junk[8];

	(void)state;
	fresh(false, 1);
	insert_bytes(blen - 20, junk, sizeof(junk));
	reseal(0);
	refuse(-EINVAL, "stream at offset 317: truncated part header: 8 bytes before the checksum "
			"part at offset 325");
}

static void
test_refuse_reserved_and_flags(void **state)
{
	(void)state;
	fresh(false, 1);
	buf[part_at(T_DRVF, 0) + 3] = 1;
	reseal(0);
	refuse(-EINVAL, "part 0x101 driver_features (selector 0) at offset 56: reserved byte 0x01");
	fresh(false, 1);
	buf[part_at(T_DRVF, 0) + 2] = 0x80;
	reseal(0);
	refuse(-EINVAL, "flags 0x80: bits 1..7 are reserved");
	fresh(false, 1);
	buf[part_at(T_DEVF, 0) + 2] = 0; /* the spec flags device features optional */
	reseal(0);
	refuse(-EINVAL, "part 0x100 device_features (selector 0) at offset 32: flags 0x00, must be "
			"0x01");
	fresh(false, 1);
	buf[part_at(T_VQSTATE, 1) + 2] = OPT;
	reseal(0);
	refuse(-EINVAL, "flags 0x01, must be 0x00");
}

static void
test_refuse_selector(void **state)
{
	(void)state;
	fresh(false, 1);
	buf[part_at(T_STATUS, 0) + 4] = 1;
	reseal(0);
	refuse(-EINVAL, "part 0x103 device_status (selector 1) at offset 80: selector must be 0");
	fresh(false, 1);
	buf[part_at(T_VQCFG, 1) + 6] = 1; /* byte 2 of a vq index selector */
	reseal(0);
	refuse(-EINVAL, "bytes 2..7 of a vq index selector must be 0");
}

static void
test_refuse_unknown_mandatory(void **state)
{
	static const uint8_t v[5] = {1, 2, 3, 4, 5};

	(void)state;
	fresh(false, 1);
	insert_part(part_at(T_NET, 0), 0x300, 0, 0, v, sizeof(v));
	refuse(-EPROTONOSUPPORT, "part 0x300 unknown (selector 0) at offset 193: unknown mandatory "
				 "part");
	/* a type the spec defines but vhacc does not use */
	fresh(false, 1);
	insert_part(part_at(T_STATUS, 0), 0x102, 0, 18, v, 2);
	refuse(-EPROTONOSUPPORT, "part 0x102 pci_common_cfg (selector 18) at offset 80: vhacc does "
				 "not support this mandatory part");
	fresh(false, 1);
	insert_part(part_at(T_NET, 0), 0x200, 0, 0x0101, v, 1);
	refuse(-EPROTONOSUPPORT, "part 0x200 net_cvq_cfg (selector 257)");
	/* types past the device-type range are unknown too */
	fresh(false, 1);
	insert_part(blen - 20, 0x600, 0, 0, v, 0);
	refuse(-EPROTONOSUPPORT, "part 0x600 unknown");
}

static void
test_unknown_optional_skipped(void **state)
{
	static const uint8_t v[5] = {1, 2, 3, 4, 5};

	(void)state;
	fresh(true, 2);
	insert_part(part_at(T_NET, 0), 0x105, OPT, 1, v, 4); /* vq_notify_cfg, after the vq_cfgs */
	insert_part(part_at(T_NET, 0), 0x200, OPT, 0x0101, v, 1);
	insert_part(part_at(T_NET, 0), 0x300, OPT, 0xffffffffffffffffULL, v, sizeof(v));
	insert_part(blen - 20, 0x5fe, OPT, 0, v, 0);
	insert_part(blen - 20, 0xffff, OPT, 0, v, 3);
	memset(&out, 0x33, sizeof(out));
	decode_ok(&out);
	assert_memory_equal(&out, &st, sizeof(out));
}

static void
test_buffered_part_optional(void **state)
{
	(void)state;
	fresh(false, 1);
	remove_part(T_BUF, 0);
	st.buffered_packets = 0;
	memset(&out, 0x33, sizeof(out));
	decode_ok(&out);
	assert_memory_equal(&out, &st, sizeof(out));
}

static void
test_refuse_duplicate(void **state)
{
	uint8_t copy[64];
	size_t off;

	(void)state;
	fresh(false, 1);
	off = part_at(T_STATUS, 0);
	memcpy(copy, buf + off, 17);
	insert_bytes(off + 17, copy, 17);
	reseal(1);
	refuse(-EINVAL, "part 0x103 device_status (selector 0) at offset 97: duplicate part");

	fresh(false, 2);
	off = part_at(T_VQCFG, 1);
	memcpy(copy, buf + off, 48);
	insert_bytes(part_at(T_VQCFG, 3) + 48, copy, 48);
	reseal(1);
	refuse(-EINVAL, "part 0x104 vq_cfg (selector 1) at offset 289: duplicate part");

	fresh(false, 1);
	off = part_at(T_DEVF, 0);
	memcpy(copy, buf + off, 24);
	insert_bytes(part_at(T_STATUS, 0), copy, 24);
	reseal(1);
	refuse(-EINVAL, "part 0x100 device_features (selector 0) at offset 80: duplicate part");

	/* an unknown optional part twice */
	fresh(false, 1);
	insert_part(part_at(T_NET, 0), 0x300, OPT, 4, copy, 2);
	insert_part(part_at(T_NET, 0), 0x300, OPT, 4, copy, 2);
	refuse(-EINVAL, "part 0x300 unknown (selector 4) at offset 211: duplicate part");

	fresh(false, 1);
	off = part_at(T_HDR, 0);
	memcpy(copy, buf + off, 32);
	insert_bytes(part_at(T_NET, 0), copy, 32);
	reseal(1);
	refuse(-EINVAL, "a second stream header");

	fresh(false, 1);
	insert_part(part_at(T_NET, 0), T_CSUM, 0, 0, copy, 4);
	refuse(-EINVAL, "checksum part before the end of the stream");
}

static void
test_refuse_out_of_order(void **state)
{
	uint8_t copy[64];
	size_t a, b;

	(void)state;
	/* vq_cfg 1 before vq_cfg 0 */
	fresh(false, 1);
	a = part_at(T_VQCFG, 0);
	b = part_at(T_VQCFG, 1);
	memcpy(copy, buf + a, 48);
	memmove(buf + a, buf + b, 48);
	memcpy(buf + b, copy, 48);
	reseal(0);
	refuse(-EINVAL, "part 0x104 vq_cfg (selector 0) at offset 145: out of order after part "
			"0x104 vq_cfg (selector 1)");

	/* device status before driver features */
	fresh(false, 1);
	a = part_at(T_DRVF, 0);
	memcpy(copy, buf + a, 24);
	cut_bytes(a, 24);
	insert_bytes(part_at(T_STATUS, 0) + 17, copy, 24);
	reseal(0);
	refuse(-EINVAL, "part 0x103 device_status (selector 0) at offset 56: out of order: part "
			"0x101 driver_features, which comes before this one, is at offset 73");

	/* a vq's run state after the in-flight parts */
	fresh(false, 1);
	a = part_at(T_VQSTATE, 0);
	memcpy(copy, buf + a, 24);
	cut_bytes(a, 24);
	insert_bytes(part_at(T_BUF, 0), copy, 24);
	reseal(0);
	refuse(-EINVAL,
		"part 0x5f3 vhacc_inflight (selector 0) at offset 245: out of order: part "
		"0x5f2 vhacc_vq_state for vq 0, which comes before this one, is at offset 273");

	/* the buffered part before the net config */
	fresh(false, 1);
	a = part_at(T_BUF, 0);
	memcpy(copy, buf + a, 20);
	cut_bytes(a, 20);
	insert_bytes(part_at(T_NET, 0), copy, 20);
	reseal(0);
	refuse(-EINVAL, "part 0x5f4 vhacc_buffered (selector 0) at offset 193: out of order: part "
			"0x5f1 vhacc_net_cfg, which comes before this one, is at offset 213");
}

static void
test_refuse_missing(void **state)
{
	(void)state;
	fresh(false, 1);
	remove_part(T_DEVF, 0);
	refuse(-EINVAL, "part 0x101 driver_features (selector 0) at offset 32: missing part 0x100 "
			"device_features");
	fresh(false, 1);
	remove_part(T_DRVF, 0);
	refuse(-EINVAL, "missing part 0x101 driver_features");
	fresh(false, 1);
	remove_part(T_STATUS, 0);
	refuse(-EINVAL, "part 0x104 vq_cfg (selector 0) at offset 80: missing part 0x103 "
			"device_status, which comes before this one");
	fresh(false, 1);
	remove_part(T_NET, 0);
	refuse(-EINVAL, "missing part 0x5f1 vhacc_net_cfg");
	fresh(false, 1);
	remove_part(T_VQSTATE, 1);
	refuse(-EINVAL, "part 0x5f3 vhacc_inflight (selector 0) at offset 245: missing part 0x5f2 "
			"vhacc_vq_state for vq 1");
	/* at the end: nothing after the run states */
	fresh(false, 1);
	st.vq[0].n_inflight = 0;
	st.vq[0].last_avail_idx = st.vq[0].last_used_idx;
	encode_ok(&st);
	remove_part(T_BUF, 0);
	remove_part(T_VQSTATE, 1);
	refuse(-EINVAL, "part 0x5ff vhacc_checksum (selector 0) at offset 245: missing part 0x5f2 "
			"vhacc_vq_state for vq 1");
	/* a run state with no vq_cfg */
	fresh(false, 1);
	remove_part(T_VQCFG, 1);
	refuse(-EINVAL, "part 0x5f2 vhacc_vq_state (selector 1) at offset 197: no vq_cfg part "
			"(0x104) for vq 1");
	fresh(false, 1);
	remove_part(T_VQCFG, 0);
	remove_part(T_VQSTATE, 0);
	refuse(-EINVAL, "part 0x5f3 vhacc_inflight (selector 0) at offset 197: no vq_cfg part");
	/* only the header and the checksum */
	fresh(false, 1);
	cut_bytes(32, blen - 52);
	reseal(-10);
	refuse(-EINVAL, "at offset 32: missing part 0x100 device_features");
}

/* ---- decoder refusals: values ---- */

static void
test_refuse_features_not_subset(void **state)
{
	(void)state;
	fresh(false, 1);
	val_at(T_DRVF, 0)[7] |= 0x10; /* bit 60 */
	reseal(0);
	refuse2(-EINVAL, "part 0x101 driver_features (selector 0) at offset 56: driver features",
		"not a subset of device features 0xd7443802b (bits 60 not offered)");
}

static void
test_refuse_vq_index(void **state)
{
	(void)state;
	fresh(false, 1);
	buf[part_at(T_VQCFG, 1) + 4] = 40;
	reseal(0);
	refuse(-EINVAL, "part 0x104 vq_cfg (selector 40) at offset 145: vq index 40 out of range "
			"0..31");
	/* a vq beyond the net config's queue pairs: reported at its vq_cfg part */
	fresh(false, 2);
	put16(val_at(T_NET, 0) + 8, 1);
	reseal(0);
	refuse(-EINVAL, "part 0x104 vq_cfg (selector 2) at offset 193: vq 2 out of range: "
			"max_virtqueue_pairs 1 allows vqs 0..1");
	fresh(false, 1);
	buf[part_at(T_VQSTATE, 1) + 4] = 2;
	reseal(0);
	refuse(-EINVAL,
		"part 0x5f2 vhacc_vq_state (selector 2) at offset 245: no vq_cfg part (0x104) "
		"for vq 2");
}

static void
test_refuse_vq_size(void **state)
{
	(void)state;
	fresh(false, 1);
	put16(val_at(T_VQCFG, 1), 0);
	reseal(0);
	refuse(-EINVAL, "part 0x104 vq_cfg (selector 1) at offset 145: vq 1: size 0");
	fresh(true, 1);
	put16(val_at(T_VQCFG, 1), 40000);
	reseal(0);
	refuse(-EINVAL, "vq 1: size 40000 > 32768");
	fresh(false, 1);
	put16(val_at(T_VQCFG, 1), 100);
	reseal(0);
	refuse(-EINVAL, "part 0x5f2 vhacc_vq_state (selector 1) at offset 245: vq 1: size 100 of a "
			"split ring is not a power of two");
	/* packed rings take any size */
	fresh(true, 1);
	put16(val_at(T_VQCFG, 1), 999);
	reseal(0);
	decode_ok(&out);
	assert_int_equal(out.vq[1].size, 999);
}

static void
test_refuse_vq_cfg_fields(void **state)
{
	(void)state;
	fresh(false, 1);
	put16(val_at(T_VQCFG, 0) + 2, 3);
	reseal(0);
	refuse(-EINVAL,
		"part 0x104 vq_cfg (selector 0) at offset 97: vector 0x0003, must be 0xffff");
	fresh(false, 1);
	put16(val_at(T_VQCFG, 0) + 4, 2);
	reseal(0);
	refuse(-EINVAL, "enabled 2, must be 0 or 1");
	fresh(false, 1);
	val_at(T_VQCFG, 0)[7] = 1;
	reseal(0);
	refuse(-EINVAL, "reserved field is not 0");
	fresh(false, 1);
	val_at(T_VQCFG, 0)[20] = 1;
	reseal(0);
	refuse(-EINVAL, "queue_desc, queue_driver, queue_device must be 0");
}

static void
test_refuse_vq_state_fields(void **state)
{
	(void)state;
	fresh(false, 1);
	val_at(T_VQSTATE, 1)[0] = 2;
	reseal(0);
	refuse(-EINVAL,
		"part 0x5f2 vhacc_vq_state (selector 1) at offset 245: ring layout 2, must be "
		"0 (split) or 1 (packed)");
	fresh(true, 1);
	val_at(T_VQSTATE, 1)[1] = 4;
	reseal(0);
	refuse(-EINVAL, "flags 0x04: bits 2..7 are reserved");
	fresh(true, 1);
	val_at(T_VQSTATE, 1)[6] = 1;
	reseal(0);
	refuse(-EINVAL, "reserved field is not 0");
}

static void
test_refuse_layout_features(void **state)
{
	(void)state;
	fresh(false, 1);
	val_at(T_VQSTATE, 1)[0] = 1; /* packed, driver features without RING_PACKED */
	reseal(0);
	refuse(-EINVAL, "vq 1: packed ring, but the driver features lack RING_PACKED");
	fresh(true, 1);
	val_at(T_VQSTATE, 0)[0] = 0;
	val_at(T_VQSTATE, 0)[1] = 0;
	reseal(0);
	refuse(-EINVAL, "vq 0: split ring, but the driver features have RING_PACKED");
}

static void
test_refuse_packed_indices(void **state)
{
	(void)state;
	fresh(true, 1);
	put16(val_at(T_VQSTATE, 1) + 2, 1000);
	reseal(0);
	refuse(-EINVAL, "vq 1: last_avail_idx 1000 >= size 1000 (packed ring)");
	fresh(true, 1);
	put16(val_at(T_VQSTATE, 1) + 4, 0x8000 | 5); /* rte_vhost's wrap bit is not ours */
	reseal(0);
	refuse(-EINVAL, "vq 1: last_used_idx 32773 >= size 1000 (packed ring)");
}

static void
test_refuse_split_indices(void **state)
{
	(void)state;
	fresh(false, 1);
	val_at(T_VQSTATE, 1)[1] = 1;
	reseal(0);
	refuse(-EINVAL, "vq 1: wrap counters set on a split ring");
	fresh(false, 1);
	put16(val_at(T_VQSTATE, 1) + 2, (uint16_t)(st.vq[1].last_used_idx + 257));
	reseal(0);
	refuse(-EINVAL, "vq 1: last_avail_idx 254 is 257 ahead of last_used_idx 65533, more than "
			"the size 256");
}

static void
test_refuse_inflight(void **state)
{
	uint8_t *v;

	(void)state;
	/* more than VHACC_DEVSTATE_MAX_INFLIGHT */
	fresh(false, 1);
	resize_part(T_INFL, 0, 4 + 8 * 65);
	put16(val_at(T_INFL, 0), 65);
	reseal(0);
	refuse(-E2BIG, "part 0x5f3 vhacc_inflight (selector 0) at offset 269: vq 0: 65 in-flight "
		       "descriptors, at most 64");
	/* the count disagrees with the length */
	fresh(false, 1);
	put16(val_at(T_INFL, 0), 2);
	reseal(0);
	refuse(-EINVAL, "value length 12, expected 20 for 2 entries");
	fresh(false, 1);
	resize_part(T_INFL, 0, 2);
	refuse(-EINVAL, "value length 2, at least 4");
	fresh(false, 1);
	resize_part(T_INFL, 0, 4);
	put16(val_at(T_INFL, 0), 0);
	reseal(0);
	refuse(-EINVAL, "no entries (the part is left out when a vq has none)");
	fresh(false, 1);
	val_at(T_INFL, 0)[3] = 1;
	reseal(0);
	refuse(-EINVAL, "reserved field is not 0");
	/* entries */
	fresh(false, 2);
	v = val_at(T_INFL, 2) + 4;
	put16(v + 8, 256);
	reseal(0);
	refuse(-EINVAL, "vq 2: in-flight entry 1: id 256 >= size 256");
	fresh(false, 2);
	v = val_at(T_INFL, 2) + 4;
	put16(v + 16, get16(v));
	reseal(0);
	refuse(-EINVAL, "vq 2: in-flight entries 0 and 2 have the same id 2");
	fresh(true, 2);
	v = val_at(T_INFL, 2) + 4;
	put16(v + 2, 0);
	reseal(0);
	refuse(-EINVAL, "vq 2: in-flight entry 0: ndesc 0 out of range 1..1000");
	fresh(false, 2);
	v = val_at(T_INFL, 2) + 4;
	put16(v + 2, 257);
	reseal(0);
	refuse(-EINVAL, "vq 2: in-flight entry 0: ndesc 257 out of range 0..256");
	fresh(false, 2);
	v = val_at(T_INFL, 2) + 4;
	put16(v + 2, 0); /* split: 0 means not known */
	reseal(0);
	decode_ok(&out);
	/* more entries than the ring has */
	base_state(&st, true, 1);
	st.vq[0].size = 4;
	st.vq[0].n_inflight = 4;
	for (uint16_t j = 0; j < 4; j++)
		st.vq[0].inflight[j] = (struct vhacc_devstate_inflight){.id = j, .ndesc = 1};
	encode_ok(&st);
	resize_part(T_INFL, 0, 4 + 8 * 5);
	put16(val_at(T_INFL, 0), 5);
	put16(val_at(T_INFL, 0) + 4 + 32, 3);
	put16(val_at(T_INFL, 0) + 4 + 34, 1);
	reseal(0);
	refuse(-EINVAL, "vq 0: 5 in-flight descriptors in a ring of 4");
	/* a duplicate in-flight part */
	fresh(false, 1);
	{
		size_t off = part_at(T_INFL, 0);
		uint8_t copy[32];

		memcpy(copy, buf + off, 28);
		insert_bytes(off + 28, copy, 28);
		reseal(1);
	}
	refuse(-EINVAL, "part 0x5f3 vhacc_inflight (selector 0) at offset 297: duplicate part");
}

static void
test_refuse_net_cfg(void **state)
{
	(void)state;
	fresh(false, 1);
	put16(val_at(T_NET, 0) + 8, 0);
	reseal(0);
	refuse(-EINVAL,
		"part 0x5f1 vhacc_net_cfg (selector 0) at offset 193: max_virtqueue_pairs 0 "
		"out of range 1..16");
	fresh(false, 1);
	put16(val_at(T_NET, 0) + 8, 17);
	reseal(0);
	refuse(-EINVAL, "max_virtqueue_pairs 17 out of range 1..16");
	fresh(false, 1);
	put16(val_at(T_NET, 0) + 6, 4);
	reseal(0);
	refuse(-EINVAL, "net status 0x4 has bits other than LINK_UP (1) and ANNOUNCE (2)");
}

static void
test_err_buffers(void **state)
{
	char small[8];

	(void)state;
	fresh(false, 1);
	buf[100] ^= 1;
	assert_int_equal(vhacc_devstate_decode(buf, blen, &out, NULL, 0), -EBADMSG);
	memset(small, 'x', sizeof(small));
	assert_int_equal(vhacc_devstate_decode(buf, blen, &out, small, sizeof(small)), -EBADMSG);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(vhacc_devstate_decode(buf, blen, NULL, err, sizeof(err)), -EINVAL);
	/* success clears err */
	buf[100] ^= 1;
	strcpy(err, "old");
	decode_ok(&out);
	assert_string_equal(err, "");
}

/* ---- check ---- */

static void
check_err(int rc, uint64_t features, uint16_t qps, const char *msg)
{
	err[0] = '\0';
	assert_int_equal(vhacc_devstate_check(&st, features, qps, err, sizeof(err)), rc);
	assert_contains(err, msg);
}

static void
test_check(void **state)
{
	(void)state;
	base_state(&st, true, 4);
	assert_int_equal(vhacc_devstate_check(&st, DEV_FEATURES, 4, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* a port with more queue pairs, or offering more, takes it */
	assert_int_equal(vhacc_devstate_check(&st, DEV_FEATURES | BIT(40), 16, NULL, 0), 0);
	assert_int_equal(vhacc_devstate_check(&st, DRV_PACKED, 4, NULL, 0), 0);

	/* a port that does not offer what the driver negotiated */
	check_err(-ENOTSUP, DEV_FEATURES & ~BIT(F_MRG_RXBUF), 4,
		"driver features 0x57043802b not offered by the port (0xd7443002b): bits 0x8000");
	/* packed rings, a port without RING_PACKED */
	check_err(-ENOTSUP, DEV_FEATURES & ~BIT(F_RING_PACKED), 4, "bits 0x400000000");
	/* too many queue pairs */
	check_err(-ENOTSUP, DEV_FEATURES, 3, "4 queue pairs, the port has 3");

	/* a layout that disagrees with the driver features */
	base_state(&st, true, 1);
	st.vq[1].packed = false;
	check_err(-EINVAL, DEV_FEATURES, 1,
		"vq 1: split ring, but the driver features have "
		"RING_PACKED");
	base_state(&st, false, 1);
	st.vq[0].packed = true;
	check_err(-EINVAL, DEV_FEATURES, 1,
		"vq 0: packed ring, but the driver features lack "
		"RING_PACKED");
	/* other invalid states */
	base_state(&st, false, 1);
	st.driver_features |= BIT(63);
	check_err(-EINVAL, ~0ULL, 1, "not a subset of device features");
	base_state(&st, false, 1);
	st.vq[1].index = 5;
	check_err(-EINVAL, DEV_FEATURES, 16, "vq 5 out of range");
	assert_int_equal(vhacc_devstate_check(NULL, 0, 1, err, sizeof(err)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_round_trip_split_1qp),
		cmocka_unit_test(test_round_trip_packed_1qp),
		cmocka_unit_test(test_round_trip_split_16qp_inflight),
		cmocka_unit_test(test_round_trip_packed_16qp_inflight),
		cmocka_unit_test(test_round_trip_edges),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_golden_stream),
		cmocka_unit_test(test_size_and_enospc),
		cmocka_unit_test(test_encode_refuses_invalid),
		cmocka_unit_test(test_part_names),
		cmocka_unit_test(test_refuse_truncated),
		cmocka_unit_test(test_refuse_trailing_bytes),
		cmocka_unit_test(test_refuse_not_a_stream),
		cmocka_unit_test(test_refuse_bad_magic),
		cmocka_unit_test(test_refuse_version),
		cmocka_unit_test(test_refuse_total_length),
		cmocka_unit_test(test_refuse_bad_checksum),
		cmocka_unit_test(test_refuse_no_checksum_part),
		cmocka_unit_test(test_refuse_part_count),
		cmocka_unit_test(test_refuse_length_mismatch),
		cmocka_unit_test(test_refuse_length_past_end),
		cmocka_unit_test(test_refuse_truncated_part_header),
		cmocka_unit_test(test_refuse_reserved_and_flags),
		cmocka_unit_test(test_refuse_selector),
		cmocka_unit_test(test_refuse_unknown_mandatory),
		cmocka_unit_test(test_unknown_optional_skipped),
		cmocka_unit_test(test_buffered_part_optional),
		cmocka_unit_test(test_refuse_duplicate),
		cmocka_unit_test(test_refuse_out_of_order),
		cmocka_unit_test(test_refuse_missing),
		cmocka_unit_test(test_refuse_features_not_subset),
		cmocka_unit_test(test_refuse_vq_index),
		cmocka_unit_test(test_refuse_vq_size),
		cmocka_unit_test(test_refuse_vq_cfg_fields),
		cmocka_unit_test(test_refuse_vq_state_fields),
		cmocka_unit_test(test_refuse_layout_features),
		cmocka_unit_test(test_refuse_packed_indices),
		cmocka_unit_test(test_refuse_split_indices),
		cmocka_unit_test(test_refuse_inflight),
		cmocka_unit_test(test_refuse_net_cfg),
		cmocka_unit_test(test_err_buffers),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
