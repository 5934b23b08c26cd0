/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the device-state decoder (lib/devstate).
 *
 * The first input byte chooses how the rest becomes a stream:
 *   0  raw: the bytes as they are;
 *   1  sealed: the bytes with a correct stream header (magic, version,
 *      device, total length, part count) and checksum part written over
 *      them, so that the parts themselves are explored;
 *   2  structured: a valid state built from the bytes, encoded (which must
 *      succeed and round-trip exactly), then edited by the remaining bytes
 *      (position, value pairs) and sealed again or not.
 * Every stream is then decoded. The decoder must never crash or read out of
 * bounds (ASan), and:
 *   - on failure: a known error code, a one-line message, the output state
 *     untouched;
 *   - on success: the state encodes (size() agrees), decodes again to the
 *     same state, encodes again to the same bytes, and fits a port that
 *     offers its device features and queue pairs (vhacc_devstate_check).
 *
 * Built with VHACC_FUZZ_STANDALONE it has its own main(): a smoke run over
 * pseudo-random inputs (argv[1] iterations, default 20000), or over the
 * files named on the command line.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhacc_devstate.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_devstate: check failed: %s (line %d)\n", #c,         \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define STREAM_MAX (VHACC_DEVSTATE_MAX_SIZE + 8192)
#define POISON     0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vhacc_devstate s1, s2, gen, poisoned;
static uint8_t stream[STREAM_MAX], enc1[VHACC_DEVSTATE_MAX_SIZE], enc2[VHACC_DEVSTATE_MAX_SIZE];
static char err[512];

/* ---- little-endian helpers and sealing ---- */

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

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Write a correct envelope over stream[0..n): header part, checksum part, count, CRC. */
static void
seal(size_t n)
{
	static const uint8_t hdr[32] = {0xf0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 'V',
		'H', 'D', 'S', 1, 0, 1, 0};
	uint8_t *t = stream + n - 20;
	size_t off = 32, end = n - 20;
	uint32_t count = 2;

	if (n < 52)
		return;
	memcpy(stream, hdr, 24);
	put32(stream + 24, (uint32_t)n);
	while (end - off >= 16) {
		uint32_t len = get32(stream + off + 12);

		count++;
		if (len > end - off - 16)
			break;
		off += 16 + len;
	}
	put32(stream + 28, count);
	memset(t, 0, 16);
	put16(t, VHACC_DEV_PART_VHACC_CHECKSUM);
	t[12] = 4;
	put32(t + 16, vhacc_devstate_crc32c(stream, n - 20));
}

/* ---- a valid state from bytes ---- */

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint64_t
take(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		v |= (uint64_t)(r->n > 0 ? *r->p : 0) << (8 * i);
		if (r->n > 0) {
			r->p++;
			r->n--;
		}
	}
	return v;
}

static void
build_state(struct vhacc_devstate *s, struct reader *r)
{
	uint32_t present;
	bool packed;
	uint16_t i, j;

	memset(s, 0, sizeof(*s));
	s->device_features = take(r, 8);
	s->driver_features = take(r, 8) & s->device_features;
	packed = take(r, 1) & 1;
	if (packed) {
		s->device_features |= 1ULL << 34;
		s->driver_features |= 1ULL << 34;
	} else {
		s->driver_features &= ~(1ULL << 34);
	}
	s->status = (uint8_t)take(r, 1);
	for (i = 0; i < 6; i++)
		s->mac[i] = (uint8_t)take(r, 1);
	s->mtu = (uint16_t)take(r, 2);
	s->net_status = (uint16_t)(take(r, 1) & 3);
	s->max_queue_pairs = (uint16_t)(take(r, 1) % VHACC_DEVSTATE_MAX_QPS + 1);
	s->buffered_packets = (uint32_t)take(r, 4);
	present = (uint32_t)take(r, 4);
	for (i = 0; i < 2 * s->max_queue_pairs; i++) {
		struct vhacc_devstate_vq *vq;
		uint16_t n, base, max_n;

		if (!(present & (1u << i)))
			continue;
		vq = &s->vq[s->nvqs++];
		vq->index = i;
		vq->packed = packed;
		vq->enabled = take(r, 1) & 1;
		if (packed) {
			vq->size = (uint16_t)(take(r, 2) % VHACC_DEVSTATE_MAX_VQ_SIZE + 1);
			vq->last_avail_idx = (uint16_t)(take(r, 2) % vq->size);
			vq->last_used_idx = (uint16_t)(take(r, 2) % vq->size);
			vq->avail_wrap = take(r, 1) & 1;
			vq->used_wrap = take(r, 1) & 1;
		} else {
			vq->size = (uint16_t)(1u << (take(r, 1) % 16));
			vq->last_used_idx = (uint16_t)take(r, 2);
			vq->last_avail_idx = (uint16_t)(vq->last_used_idx +
							take(r, 2) % ((uint32_t)vq->size + 1));
		}
		max_n = vq->size < VHACC_DEVSTATE_MAX_INFLIGHT ? vq->size
							       : VHACC_DEVSTATE_MAX_INFLIGHT;
		n = (uint16_t)(take(r, 1) % (max_n + 1u));
		base = (uint16_t)take(r, 2);
		for (j = 0; j < n; j++) {
			struct vhacc_devstate_inflight *f = &vq->inflight[j];

			f->id = (uint16_t)((base + j) % vq->size);
			f->ndesc = (uint16_t)(packed ? take(r, 2) % vq->size + 1
						     : take(r, 2) % ((uint32_t)vq->size + 1));
			f->len = (uint32_t)take(r, 4);
		}
		vq->n_inflight = n;
	}
}

/* ---- the properties ---- */

static void
decode_and_check(const uint8_t *in, size_t n)
{
	size_t len1 = 0, len2 = 0;
	int rc;

	if (poisoned.nvqs == 0)
		memset(&poisoned, POISON, sizeof(poisoned));
	memcpy(&s1, &poisoned, sizeof(s1));
	memset(err, 'x', sizeof(err));
	rc = vhacc_devstate_decode(in, n, &s1, err, sizeof(err));
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc != 0) {
		CHECK(rc == -EINVAL || rc == -EPROTONOSUPPORT || rc == -EBADMSG || rc == -E2BIG);
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		CHECK(memcmp(&s1, &poisoned, sizeof(s1)) == 0);
		return;
	}
	CHECK(err[0] == '\0');
	CHECK(vhacc_devstate_size(&s1) > 0);
	CHECK(vhacc_devstate_encode(&s1, enc1, sizeof(enc1), &len1) == 0);
	CHECK(len1 == vhacc_devstate_size(&s1));
	CHECK(len1 <= n + 20); /* only a missing buffered part (20 bytes) is added */
	memset(&s2, 0x5a, sizeof(s2));
	CHECK(vhacc_devstate_decode(enc1, len1, &s2, err, sizeof(err)) == 0);
	CHECK(memcmp(&s1, &s2, sizeof(s1)) == 0);
	CHECK(vhacc_devstate_encode(&s2, enc2, sizeof(enc2), &len2) == 0);
	CHECK(len2 == len1 && memcmp(enc1, enc2, len1) == 0);
	CHECK(vhacc_devstate_check(&s1, s1.device_features, s1.max_queue_pairs, NULL, 0) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r;
	size_t n;
	uint8_t mode;

	if (size == 0)
		return 0;
	mode = data[0] % 3;
	data++;
	size--;
	if (mode == 0) {
		decode_and_check(data, size);
		return 0;
	}
	if (mode == 1) {
		n = size < STREAM_MAX ? size : STREAM_MAX;
		memcpy(stream, data, n);
		seal(n);
		decode_and_check(stream, n);
		return 0;
	}

	/* structured: a valid state, its exact round trip, then edits */
	r.p = data;
	r.n = size;
	build_state(&gen, &r);
	CHECK(vhacc_devstate_encode(&gen, stream, sizeof(stream), &n) == 0);
	memset(&s1, 0, sizeof(s1));
	CHECK(vhacc_devstate_decode(stream, n, &s1, err, sizeof(err)) == 0);
	CHECK(memcmp(&s1, &gen, sizeof(gen)) == 0);
	if (r.n == 0)
		return 0;
	{
		bool reseal = take(&r, 1) & 1;

		while (r.n >= 3) {
			uint16_t pos = (uint16_t)take(&r, 2);

			stream[pos % n] = (uint8_t)take(&r, 1);
		}
		if (reseal)
			seal(n);
	}
	decode_and_check(stream, n);
	return 0;
}

#ifdef VHACC_FUZZ_STANDALONE
#include "fuzz_main.h"

/* each mode of the first byte in turn */
static void
shape(uint8_t *buf, size_t n, long it)
{
	(void)n;
	buf[0] = (uint8_t)(it % 3);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[STREAM_MAX];
	const struct fuzz_main m = {"fuzz_devstate", buf, sizeof(buf), 1, 1024, shape};

	return fuzz_main(argc, argv, &m);
}
#endif
