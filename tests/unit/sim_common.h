/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_TEST_SIM_COMMON_H
#define VHACC_TEST_SIM_COMMON_H

/*
 * What the unit tests of the split and packed engines share before their
 * simulated guest driver: headers, feature bits, the dirty-log hooks that
 * record what the engine logs, guest memory regions and buffer segments.
 * Included once per test program (it defines rte_vhost's log functions).
 * After struct sim_guest: sim_mem.h; after the driver's sim_add(): sim_data.h;
 * after the fixture's hooks: sim_cases.h (the cases both engines share).
 */

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <cmocka.h>

#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_vhost.h>

#include "vhacc_virtq.h"

#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif

#ifdef SIM_ASAN
#include <sanitizer/asan_interface.h>
#define SIM_POISON(p, l)   ASAN_POISON_MEMORY_REGION((p), (l))
#define SIM_UNPOISON(p, l) ASAN_UNPOISON_MEMORY_REGION((p), (l))
#else
#define SIM_POISON(p, l)   ((void)(p), (void)(l))
#define SIM_UNPOISON(p, l) ((void)(p), (void)(l))
#endif

#define FEAT(b)    (1ULL << (b))
#define F_V1       FEAT(VIRTIO_F_VERSION_1)
#define F_MRG      FEAT(VIRTIO_NET_F_MRG_RXBUF)
#define F_EVIDX    FEAT(VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT FEAT(VIRTIO_RING_F_INDIRECT_DESC)
#define F_IN_ORDER FEAT(VIRTIO_F_IN_ORDER)
#define F_LOG      FEAT(VHOST_F_LOG_ALL)

#define TEST_VID 7
#define NB_MBUF  1024

/* ------------------------------------------------------------------------ */
/* Dirty-log hooks: these definitions take precedence over librte_vhost's.   */

#define LOG_MAX 16384u

struct log_rec {
	int vid;
	uint16_t vring;
	uint64_t addr;
	uint64_t len;
};

static struct log_rec log_w[LOG_MAX];
static struct log_rec log_u[LOG_MAX];
static unsigned int log_nw;
static unsigned int log_nu;

void
rte_vhost_log_write(int vid, uint64_t addr, uint64_t len)
{
	if (log_nw < LOG_MAX)
		log_w[log_nw] = (struct log_rec){.vid = vid, .addr = addr, .len = len};
	log_nw++;
}

void
rte_vhost_log_used_vring(int vid, uint16_t vring_idx, uint64_t offset, uint64_t len)
{
	if (log_nu < LOG_MAX)
		log_u[log_nu] = (struct log_rec){
			.vid = vid, .vring = vring_idx, .addr = offset, .len = len};
	log_nu++;
}

static void
log_reset(void)
{
	log_nw = 0;
	log_nu = 0;
}

/* Is every byte of [addr, addr + len) inside some record (matching vid / vring)? */
static bool
log_covered(
	const struct log_rec *r, unsigned int n, int vid, int vring, uint64_t addr, uint64_t len)
{
	uint64_t b = addr, end = addr + len;

	if (n > LOG_MAX)
		n = LOG_MAX;
	while (b < end) {
		uint64_t best = b;
		unsigned int i;

		for (i = 0; i < n; i++) {
			if (r[i].vid != vid || (vring >= 0 && r[i].vring != vring))
				continue;
			if (r[i].addr <= b && b < r[i].addr + r[i].len &&
				r[i].addr + r[i].len > best)
				best = r[i].addr + r[i].len;
		}
		if (best == b)
			return false;
		b = best;
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* Guest memory: three regions, 0 and 1 adjacent in guest physical memory    */

#define SIM_NREG        3
#define SIM_R0_GPA      0x100000ULL
#define SIM_R0_SIZE     (4ULL << 20)
#define SIM_R1_GPA      (SIM_R0_GPA + SIM_R0_SIZE) /* adjacent to region 0, other hva */
#define SIM_R1_SIZE     (1ULL << 20)
#define SIM_R2_GPA      0x40000000ULL /* distant */
#define SIM_R2_SIZE     (1ULL << 20)
#define SIM_R0_RESERVED 0x10000ULL /* top of region 0 kept for placed buffers */
#define SIM_MAX_SEGS    72

struct sim_seg {
	uint64_t gpa;
	uint32_t len;
};

struct sim_used {
	uint16_t id;
	uint32_t len;
};

#endif /* VHACC_TEST_SIM_COMMON_H */
