/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC-32C (Castagnoli), the stream's checksum: reflected polynomial
 * 0x82f63b78 (0x1edc6f41 normal form), initial value 0xffffffff, final xor
 * 0xffffffff; crc32c("123456789") = 0xe3069283. Four bits at a time from a
 * 16-entry table: a stream is at most a few tens of KiB, read once per
 * save or load.
 */

#include <stddef.h>
#include <stdint.h>

#include "vhacc_devstate.h"

static const uint32_t crc32c_nibble[16] = {
	0x00000000,
	0x105ec76f,
	0x20bd8ede,
	0x30e349b1,
	0x417b1dbc,
	0x5125dad3,
	0x61c69362,
	0x7198540d,
	0x82f63b78,
	0x92a8fc17,
	0xa24bb5a6,
	0xb21572c9,
	0xc38d26c4,
	0xd3d3e1ab,
	0xe330a81a,
	0xf36e6f75,
};

uint32_t
vhacc_devstate_crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffff;
	size_t i;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 0xf];
	}
	return crc ^ 0xffffffff;
}
