/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: worker lcores (translation on the datapath) and the control lcore. */

#include <stdint.h>

#include "vhacc_virtq.h"

void *
vhacc_guest_mem_translate(const struct vhacc_guest_mem *mem, uint64_t gpa, uint64_t *len)
{
	uint32_t i;

	if (*len == 0)
		return NULL;
	for (i = 0; i < mem->nregions && i < VHACC_GUEST_MAX_REGIONS; i++) {
		const struct vhacc_guest_region *r = &mem->regions[i];
		uint64_t off = gpa - r->gpa;

		/* gpa < r->gpa wraps off to a huge value, so one compare covers both ends. */
		if (off >= r->size)
			continue;
		if (*len > r->size - off)
			*len = r->size - off;
		return (void *)(uintptr_t)(r->hva + off);
	}
	return NULL;
}
