/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port modes (lib/port/port_mode.c) on the control lcore, without a running
 * worker: a registered worker that never runs receives the poll lists (and,
 * registered with no QSBR thread, is quiescent at once), so the test sees
 * exactly what the workers would be told to poll, and what no worker
 * flushes stays held: the drain timeout path.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vhacc_ctl.h"
#include "vhacc_port.h"

#define WORKER_LCORE 7

static struct vhacc_dp_worker worker;
static struct rte_mempool *pool;
static char msg[256];

static struct vhacc_port *
mkport(const char *name)
{
	struct vhacc_port_conf c;
	struct vhacc_port *p;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.socket, sizeof(c.socket), "/tmp/%s.sock", name);
	c.queue_pairs = 1;
	c.mtu = 1500;
	p = vhacc_port_create(&c, pool);
	assert_non_null(p);
	vhacc_port_set_qp_lcore(p, 0, WORKER_LCORE);
	return p;
}

/* Pretend the frontend set up both vrings (memory never touched: no worker runs). */
static void
fake_running(struct vhacc_port *p)
{
	uint16_t i;

	for (i = 0; i < 2; i++) {
		p->vrings[i].vq = rte_zmalloc(NULL, vhacc_virtq_alloc_size(256), 64);
		assert_non_null(p->vrings[i].vq);
		p->vrings[i].vq->size = 256;
		p->vrings[i].running = true;
		p->vrings[i].enabled = true;
	}
	p->running = true;
	vhacc_port_republish();
}

/* The entry the worker got for p's queue pair 0, or NULL. */
static const struct vhacc_dp_entry *
entry_of(const struct vhacc_port *p)
{
	const struct vhacc_dp_list *l = worker.list;
	uint16_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (l->e[i].qp == &p->qps[0])
			return &l->e[i];
	return NULL;
}

static void
destroy(struct vhacc_port *p)
{
	vhacc_port_destroy(p);
}

static void
test_parse_names(void **state)
{
	enum vhacc_port_mode m;

	(void)state;
	assert_int_equal(vhacc_port_mode_parse("active", &m), 0);
	assert_int_equal(m, VHACC_PORT_MODE_ACTIVE);
	assert_int_equal(vhacc_port_mode_parse("STOP", &m), 0);
	assert_int_equal(m, VHACC_PORT_MODE_STOP);
	assert_int_equal(vhacc_port_mode_parse("frozen", &m), 0);
	assert_int_equal(m, VHACC_PORT_MODE_FREEZE);
	assert_int_equal(vhacc_port_mode_parse("suspended", &m), -EINVAL);
	assert_int_equal(vhacc_port_mode_parse("", &m), -EINVAL);
	assert_int_equal(vhacc_port_mode_parse(NULL, &m), -EINVAL);
	assert_string_equal(vhacc_port_mode_name(VHACC_PORT_MODE_FREEZE), "freeze");
	assert_string_equal(vhacc_port_mode_name((enum vhacc_port_mode)9), "unknown");
}

/* Every transition, the same mode again, an unknown mode; what the workers poll. */
static void
test_transitions(void **state)
{
	struct vhacc_port *a = mkport("a"), *b = mkport("b");

	(void)state;
	vhacc_port_set_peer(a, b);
	vhacc_port_set_peer(b, a);
	fake_running(a);
	fake_running(b);
	assert_non_null(entry_of(a));
	assert_non_null(entry_of(a)->src);
	assert_ptr_equal(entry_of(a)->dst, b->vrings[0].vq);

	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_ACTIVE, 100, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "already"));

	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 100, msg, sizeof(msg)), 0);
	assert_int_equal(a->mode, VHACC_PORT_MODE_STOP);
	assert_false(a->draining);
	/* nothing of a polled; b's frames for a wait in b's ring (not polled either) */
	assert_null(entry_of(a));
	assert_null(entry_of(b));

	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 100, msg, sizeof(msg)), 1);
	assert_int_equal(
		vhacc_port_set_mode(a, (enum vhacc_port_mode)7, 100, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(a->mode, VHACC_PORT_MODE_STOP);

	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_FREEZE, 100, msg, sizeof(msg)), 0);
	assert_int_equal(a->mode, VHACC_PORT_MODE_FREEZE);
	assert_null(entry_of(a));
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 100, msg, sizeof(msg)), 0);
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_FREEZE, 100, msg, sizeof(msg)), 0);

	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_ACTIVE, 100, msg, sizeof(msg)), 0);
	assert_non_null(entry_of(a));
	assert_non_null(entry_of(a)->src);
	assert_non_null(entry_of(b));
	assert_ptr_equal(entry_of(b)->dst, a->vrings[0].vq);

	/* active -> freeze drains too */
	assert_int_equal(vhacc_port_set_mode(b, VHACC_PORT_MODE_FREEZE, 100, msg, sizeof(msg)), 0);
	assert_int_equal(b->mode, VHACC_PORT_MODE_FREEZE);
	assert_null(entry_of(a));
	assert_int_equal(a->mode_changes, 5);
	assert_int_equal(b->mode_changes, 1);
	destroy(a);
	destroy(b);
}

/* Ports a and b cross-connected and running; holder holds one packet for the other. */
static struct vhacc_dp_pending *
xconnect_holding(struct vhacc_port *a, struct vhacc_port *b, struct vhacc_port *holder)
{
	struct vhacc_dp_pending *pend = &holder->qps[0].to_dst;

	vhacc_port_set_peer(a, b);
	vhacc_port_set_peer(b, a);
	fake_running(a);
	fake_running(b);
	pend->pkts[0] = rte_pktmbuf_alloc(pool);
	assert_non_null(pend->pkts[0]);
	pend->head = 0;
	pend->count = 1;
	return pend;
}

/* Held packets nobody delivers: the drain times out, the port stays active and polled. */
static void
test_drain_timeout(void **state)
{
	struct vhacc_port *a = mkport("a"), *b = mkport("b");
	struct vhacc_dp_pending *pend = xconnect_holding(a, b, a);

	(void)state;

	assert_int_equal(
		vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 20, msg, sizeof(msg)), -ETIMEDOUT);
	assert_non_null(strstr(msg, "stays active"));
	assert_int_equal(a->mode, VHACC_PORT_MODE_ACTIVE);
	assert_false(a->draining);
	assert_int_equal(a->drain_failures, 1);
	assert_non_null(entry_of(a));
	assert_non_null(entry_of(a)->src);
	assert_int_equal(pend->count, 1); /* still held, not lost */

	/* delivered meanwhile (as a worker would): the next suspend succeeds */
	rte_pktmbuf_free(pend->pkts[0]);
	pend->count = 0;
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 20, msg, sizeof(msg)), 0);
	destroy(a);
	destroy(b);
}

/*
 * While a is draining, b's new frames for a stay in b's ring, but what vhacc
 * already took from b for a still goes into a's RX ring; a's held packets
 * still go to b. Once a is stopped, nothing of b's is polled.
 */
static void
test_draining_lists(void **state)
{
	struct vhacc_port *a = mkport("a"), *b = mkport("b");

	(void)state;
	vhacc_port_set_peer(a, b);
	vhacc_port_set_peer(b, a);
	fake_running(a);
	fake_running(b);
	a->draining = true;
	vhacc_port_republish();
	assert_non_null(entry_of(a));
	assert_null(entry_of(a)->src);
	assert_ptr_equal(entry_of(a)->dst, b->vrings[0].vq);
	assert_non_null(entry_of(b));
	assert_null(entry_of(b)->src);
	assert_ptr_equal(entry_of(b)->dst, a->vrings[0].vq);
	a->draining = false;
	vhacc_port_republish();
	destroy(a);
	destroy(b);

	/* loopback: a draining port still delivers what it holds into its own RX ring */
	a = mkport("lo");
	vhacc_port_set_peer(a, a);
	fake_running(a);
	a->draining = true;
	vhacc_port_republish();
	assert_non_null(entry_of(a));
	assert_null(entry_of(a)->src);
	assert_ptr_equal(entry_of(a)->dst, a->vrings[0].vq);
	a->draining = false;
	vhacc_port_republish();
	destroy(a);
}

/*
 * b holds a frame for a: a's suspend waits for it (and times out here,
 * where no worker delivers it); once it is delivered a stops, and b, which
 * then holds nothing, stops at once although its peer is stopped: ports of
 * a cross-connect can be suspended in either order.
 */
static void
test_drain_held_for_port(void **state)
{
	struct vhacc_port *a = mkport("a"), *b = mkport("b");
	struct vhacc_dp_pending *pend = xconnect_holding(a, b, b);

	(void)state;

	assert_int_equal(
		vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 20, msg, sizeof(msg)), -ETIMEDOUT);
	assert_non_null(strstr(msg, "1 from b"));
	assert_int_equal(a->mode, VHACC_PORT_MODE_ACTIVE);
	assert_int_equal(pend->count, 1); /* still held, not lost */

	rte_pktmbuf_free(pend->pkts[0]); /* delivered, as a worker would */
	pend->count = 0;
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 20, msg, sizeof(msg)), 0);
	assert_null(entry_of(b));
	assert_int_equal(vhacc_port_set_mode(b, VHACC_PORT_MODE_STOP, 20, msg, sizeof(msg)), 0);
	assert_int_equal(b->mode, VHACC_PORT_MODE_STOP);
	destroy(a);
	destroy(b);
}

/* A state for port p as vhacc_port_state_get() makes it (p stopped). */
static void
get_state(struct vhacc_port *p, struct vhacc_devstate *s)
{
	assert_int_equal(vhacc_port_state_get(p, s, msg, sizeof(msg)), 0);
}

/*
 * A split TX ring whose frontend completed descriptors itself while the port
 * was away (QEMU discarding the guest's TX): its used index went on from the
 * state's, the ring agrees with the frontend, whose position holds; vhacc
 * counts them in frontend_used. A used index too far ahead for that (a ring
 * set up anew) is taken without counting.
 */
static void
test_state_split_frontend_used(void **state)
{
	static struct vhacc_devstate s;
	static struct vring_used used; /* the TX ring's used header in "guest memory" */
	struct vhacc_port *a = mkport("a");
	struct vhacc_virtq *tx;
	unsigned int round;

	(void)state;
	vhacc_port_set_peer(a, a);
	a->conf.features = 1ULL << 32;
	fake_running(a);
	a->features = a->conf.features;
	tx = a->vrings[1].vq;
	tx->used = &used;
	for (round = 0; round < 2; round++) {
		uint16_t ahead = round == 0 ? 10 : 300; /* 300: more than the ring's 256 */

		tx->last_avail_idx = tx->last_used_idx = 100;
		tx->stats.frontend_used = 0;
		assert_int_equal(
			vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 100, msg, sizeof(msg)), 0);
		get_state(a, &s);
		assert_int_equal(
			vhacc_port_set_mode(a, VHACC_PORT_MODE_FREEZE, 100, msg, sizeof(msg)), 0);
		assert_int_equal(vhacc_port_state_load(a, &s, msg, sizeof(msg)), 0);
		/* the frontend reconnects: its position, and its ring, are further on */
		tx->last_avail_idx = tx->last_used_idx = (uint16_t)(100 + ahead);
		used.idx = (uint16_t)(100 + ahead);
		assert_int_equal(
			vhacc_port_set_mode(a, VHACC_PORT_MODE_ACTIVE, 100, msg, sizeof(msg)), 0);
		assert_int_equal(tx->last_used_idx, 100 + ahead);
		assert_int_equal(tx->stats.frontend_used, round == 0 ? 10 : 0);
	}
	tx->used = NULL;
	destroy(a);
}

/* Load only in freeze; what does not fit is refused; apply waits for the vrings. */
static void
test_state_load_apply(void **state)
{
	static struct vhacc_devstate s, s2;
	struct vhacc_port *a = mkport("a");

	(void)state;
	vhacc_port_set_peer(a, a);
	a->conf.features = 1ULL << 32 | 1ULL << 15; /* version_1, mrg_rxbuf */
	fake_running(a);
	a->features = a->conf.features;
	assert_int_equal(vhacc_port_state_get(a, &s, msg, sizeof(msg)), -EBUSY);
	a->vrings[0].vq->last_avail_idx = 4711;
	a->vrings[0].vq->last_used_idx = 4711;
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_STOP, 100, msg, sizeof(msg)), 0);
	get_state(a, &s);
	assert_int_equal(s.nvqs, 2);
	assert_int_equal(s.vq[0].last_used_idx, 4711);
	assert_int_equal(s.driver_features, a->features);

	/* not in freeze */
	assert_int_equal(vhacc_port_state_load(a, &s, msg, sizeof(msg)), -EBUSY);
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_FREEZE, 100, msg, sizeof(msg)), 0);
	/* features the port does not offer; in-flight descriptors */
	s2 = s;
	s2.driver_features |= 1ULL << 0;
	s2.device_features |= 1ULL << 0;
	assert_int_equal(vhacc_port_state_load(a, &s2, msg, sizeof(msg)), -ENOTSUP);
	s2 = s;
	s2.vq[0].n_inflight = 1;
	s2.vq[0].last_avail_idx = 4712;
	assert_true(vhacc_port_state_load(a, &s2, msg, sizeof(msg)) < 0);
	assert_false(a->state_loaded);

	assert_int_equal(vhacc_port_state_load(a, &s, msg, sizeof(msg)), 0);
	assert_true(a->state_loaded);
	/* the frontend has not set vring 1 up: the port cannot leave freeze */
	a->vrings[1].running = false;
	assert_int_equal(
		vhacc_port_set_mode(a, VHACC_PORT_MODE_ACTIVE, 100, msg, sizeof(msg)), -EAGAIN);
	assert_non_null(strstr(msg, "vring 1"));
	assert_int_equal(a->mode, VHACC_PORT_MODE_FREEZE);
	assert_null(entry_of(a));
	/* set up, at the state's position: resumes, the state consumed */
	a->vrings[1].running = true;
	assert_int_equal(vhacc_port_set_mode(a, VHACC_PORT_MODE_ACTIVE, 100, msg, sizeof(msg)), 0);
	assert_false(a->state_loaded);
	assert_int_equal(a->vrings[0].vq->last_used_idx, 4711);
	assert_non_null(entry_of(a));
	destroy(a);
}

int
main(void)
{
	char *argv[] = {(char *)"test_port_mode", (char *)"--no-huge", (char *)"-m", (char *)"64",
		(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
		(char *)"--file-prefix", (char *)"vhacc-test-port-mode", (char *)"--log-level",
		(char *)"error"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_drain_timeout),
		cmocka_unit_test(test_draining_lists),
		cmocka_unit_test(test_drain_held_for_port),
		cmocka_unit_test(test_state_load_apply),
		cmocka_unit_test(test_state_split_frontend_used),
	};

	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_port_mode", 256, 0, 0, 2048, SOCKET_ID_ANY);
	if (pool == NULL || vhacc_ctl_init() != 0)
		return 1;
	vhacc_dp_worker_init(&worker, WORKER_LCORE, 32);
	vhacc_port_init(&worker, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
