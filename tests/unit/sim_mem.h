/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TEST_SIM_MEM_H
#define VHACC_TEST_SIM_MEM_H

/*
 * Guest memory of a simulated guest (struct sim_guest, defined by the test
 * before it includes this: hva[], mem, brk): translation, copies that may
 * cross adjacent regions, and allocation in region 0 with a poisoned gap
 * after each buffer (under ASan).
 */

static uint64_t
round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static int
sim_region_of(const struct sim_guest *g, uint64_t gpa)
{
	uint32_t i;

	for (i = 0; i < g->mem.nregions; i++)
		if (gpa >= g->mem.regions[i].gpa &&
			gpa - g->mem.regions[i].gpa < g->mem.regions[i].size)
			return (int)i;
	return -1;
}

/* Does [gpa, gpa + len) lie in one region? */
static bool
in_guest_mem(const struct sim_guest *g, uint64_t gpa, uint64_t len)
{
	int r = sim_region_of(g, gpa);

	return r >= 0 && gpa - g->mem.regions[r].gpa + len <= g->mem.regions[r].size;
}

/* Host pointer of [gpa, gpa + len), which must lie in one region. */
static void *
sim_hva(const struct sim_guest *g, uint64_t gpa, uint64_t len)
{
	int r = sim_region_of(g, gpa);

	assert_true(r >= 0);
	assert_true(gpa - g->mem.regions[r].gpa + len <= g->mem.regions[r].size);
	return g->hva[r] + (gpa - g->mem.regions[r].gpa);
}

/* Unpoison the parts of [gpa, gpa + len) that are guest memory. */
static void
sim_unpoison(const struct sim_guest *g, uint64_t gpa, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < g->mem.nregions; i++) {
		const struct vhacc_guest_region *reg = &g->mem.regions[i];
		uint64_t s = RTE_MAX(gpa, reg->gpa);
		uint64_t e = RTE_MIN(gpa + len, reg->gpa + reg->size);

		if (gpa + len < gpa)
			e = reg->gpa + reg->size;
		if (s < e)
			SIM_UNPOISON(g->hva[i] + (s - reg->gpa), e - s);
	}
}

/* Copy between the test and guest memory; [gpa, gpa + len) may cross adjacent regions. */
static void
sim_copy(const struct sim_guest *g, uint64_t gpa, void *buf, uint64_t len, bool to_guest)
{
	uint8_t *p = buf;

	while (len > 0) {
		int r = sim_region_of(g, gpa);
		uint64_t off, chunk;

		assert_true(r >= 0);
		off = gpa - g->mem.regions[r].gpa;
		chunk = RTE_MIN(len, g->mem.regions[r].size - off);
		if (to_guest)
			memcpy(g->hva[r] + off, p, chunk);
		else
			memcpy(p, g->hva[r] + off, chunk);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
}

static void
sim_write(const struct sim_guest *g, uint64_t gpa, const void *src, uint64_t len)
{
	sim_copy(g, gpa, (void *)(uintptr_t)src, len, true);
}

static void
sim_read(const struct sim_guest *g, uint64_t gpa, void *dst, uint64_t len)
{
	sim_copy(g, gpa, dst, len, false);
}

/* Allocate len bytes of guest memory in region 0 (64-byte aligned, poisoned gap after). */
static uint64_t
sim_alloc(struct sim_guest *g, uint64_t len)
{
	uint64_t gpa = g->brk;

	assert_true(len > 0);
	g->brk = round_up(gpa + len, 64) + 64;
	assert_true(g->brk <= SIM_R0_GPA + SIM_R0_SIZE - SIM_R0_RESERVED);
	sim_unpoison(g, gpa, len);
	return gpa;
}

#endif /* VHACC_TEST_SIM_MEM_H */
