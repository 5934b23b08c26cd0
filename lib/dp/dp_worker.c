/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: worker lcores (vhacc_dp_worker_main); the control lcore only publishes lists. */

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "vhacc_ctl.h"
#include "vhacc_dp.h"

#define HOLD_US 100000 /* packets wait at most 100 ms for room at their destination */

void
vhacc_dp_worker_init(struct vhacc_dp_worker *w, unsigned int lcore, uint16_t burst)
{
	w->lcore = lcore;
	w->burst = RTE_MIN(burst, VHACC_DP_BURST_MAX);
	w->hold_cycles = rte_get_tsc_hz() / 1000000 * HOLD_US;
	w->list = NULL;
	w->stop = false;
}

struct vhacc_dp_list *
vhacc_dp_publish(struct vhacc_dp_worker *w, struct vhacc_dp_list *list)
{
	return __atomic_exchange_n(&w->list, list, __ATOMIC_ACQ_REL);
}

void
vhacc_dp_stop(struct vhacc_dp_worker *w)
{
	w->stop = true;
}

int
vhacc_dp_worker_main(void *arg)
{
	struct vhacc_dp_worker *w = arg;
	struct rte_rcu_qsbr *qsbr = vhacc_ctl_qsbr();
	unsigned int id = rte_lcore_id();
	uint64_t prev = rte_rdtsc();

	rte_rcu_qsbr_thread_register(qsbr, id);
	rte_rcu_qsbr_thread_online(qsbr, id);

	while (!w->stop) {
		const struct vhacc_dp_list *l = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
		unsigned int moved = 0;
		uint64_t now = rte_rdtsc();
		uint16_t i;

		if (l != NULL)
			for (i = 0; i < l->n; i++)
				moved += vhacc_dp_poll_entry(
					&l->e[i], w->burst, now, w->hold_cycles);

		/* Nothing named by a list older than `l` is referenced past this point. */
		rte_rcu_qsbr_quiescent(qsbr, id);

		now = rte_rdtsc();
		if (moved)
			w->stats.busy_cycles += now - prev;
		else
			w->stats.idle_cycles += now - prev;
		w->stats.loops++;
		prev = now;
	}

	rte_rcu_qsbr_thread_offline(qsbr, id);
	rte_rcu_qsbr_thread_unregister(qsbr, id);
	return 0;
}
