/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests to the control lcore (lib/ctl/ctl.c): the test's main thread is
 * the control lcore (vhacc_ctl_init runs there), callers are plain pthreads.
 * Covered: a caller gets fn's result; a request not picked up within its
 * timeout is withdrawn (-ETIMEDOUT) and never runs; a request picked up runs
 * to completion and its caller waits for it past its timeout; many callers
 * at once each get their own answer; a call on the control lcore runs at once.
 */

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "vhacc_ctl.h"

#define CALLERS    8
#define CALLS_EACH 200

struct call {
	pthread_t thread;
	vhacc_ctl_fn fn;
	void *arg;
	unsigned int timeout_ms;
	int ret;
	int done; /* atomic */
};

static int runs;

static int
add_one(void *arg)
{
	runs++;
	return (int)(intptr_t)arg + 1;
}

/* Runs longer than its caller's timeout. */
static int
slow(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	runs++;
	return 42;
}

static void *
caller(void *arg)
{
	struct call *c = arg;

	c->ret = vhacc_ctl_call(c->fn, c->arg, c->timeout_ms);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
start(struct call *c, vhacc_ctl_fn fn, intptr_t arg, unsigned int timeout_ms)
{
	c->fn = fn;
	c->arg = (void *)arg;
	c->timeout_ms = timeout_ms;
	c->done = 0;
	assert_int_equal(pthread_create(&c->thread, NULL, caller, c), 0);
}

/* Serve requests until c has its answer (at most 5 s). */
static void
serve_until_done(struct call *c)
{
	int i;

	for (i = 0; i < 5000 && !__atomic_load_n(&c->done, __ATOMIC_ACQUIRE); i++)
		vhacc_ctl_poll(1);
	assert_true(__atomic_load_n(&c->done, __ATOMIC_ACQUIRE));
	assert_int_equal(pthread_join(c->thread, NULL), 0);
}

static void
test_result(void **state)
{
	struct call c;

	(void)state;
	runs = 0;
	start(&c, add_one, 41, 1000);
	serve_until_done(&c);
	assert_int_equal(c.ret, 42);
	assert_int_equal(runs, 1);
}

static void
test_withdrawn_never_runs(void **state)
{
	struct call c;

	(void)state;
	runs = 0;
	start(&c, add_one, 1, 20);
	/* the control lcore does not poll: the caller gives up */
	assert_int_equal(pthread_join(c.thread, NULL), 0);
	assert_int_equal(c.ret, -ETIMEDOUT);
	/* picked up later, the withdrawn request is dropped, not run */
	assert_int_equal(vhacc_ctl_poll(0), 0);
	assert_int_equal(runs, 0);
}

static void
test_running_outlives_timeout(void **state)
{
	struct call c;

	(void)state;
	runs = 0;
	start(&c, slow, 0, 10); /* runs 50 ms, timeout 10 ms */
	serve_until_done(&c);
	assert_int_equal(c.ret, 42);
	assert_int_equal(runs, 1);
}

static void
test_no_timeout(void **state)
{
	struct call c;

	(void)state;
	runs = 0;
	start(&c, add_one, 6, 0);
	usleep(30 * 1000); /* longer than any timeout above: 0 waits without limit */
	assert_false(__atomic_load_n(&c.done, __ATOMIC_ACQUIRE));
	serve_until_done(&c);
	assert_int_equal(c.ret, 7);
}

struct many {
	pthread_t thread;
	int id;
	int wrong;
};

static void *
many_caller(void *arg)
{
	struct many *m = arg;
	int i;

	for (i = 0; i < CALLS_EACH; i++)
		if (vhacc_ctl_call(add_one, (void *)(intptr_t)(m->id * 1000 + i), 5000) !=
			m->id * 1000 + i + 1)
			m->wrong++;
	return NULL;
}

static void
test_many_callers(void **state)
{
	struct many m[CALLERS];
	int i;

	(void)state;
	runs = 0;
	for (i = 0; i < CALLERS; i++) {
		m[i].id = i;
		m[i].wrong = 0;
		assert_int_equal(pthread_create(&m[i].thread, NULL, many_caller, &m[i]), 0);
	}
	while (runs < CALLERS * CALLS_EACH)
		vhacc_ctl_poll(1);
	for (i = 0; i < CALLERS; i++) {
		assert_int_equal(pthread_join(m[i].thread, NULL), 0);
		assert_int_equal(m[i].wrong, 0);
	}
	assert_int_equal(runs, CALLERS * CALLS_EACH);
}

static void
test_on_control_lcore(void **state)
{
	(void)state;
	runs = 0;
	assert_true(vhacc_ctl_is_control());
	assert_int_equal(vhacc_ctl_call(add_one, (void *)(intptr_t)9, 1), 10);
	assert_int_equal(runs, 1);
}

int
main(void)
{
	char *argv[] = {(char *)"test_ctl", (char *)"--no-huge", (char *)"-m", (char *)"64",
		(char *)"--no-pci", (char *)"--no-shconf", (char *)"--no-telemetry",
		(char *)"--file-prefix", (char *)"vhacc-test-ctl", (char *)"--log-level",
		(char *)"error"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_withdrawn_never_runs),
		cmocka_unit_test(test_running_outlives_timeout),
		cmocka_unit_test(test_no_timeout),
		cmocka_unit_test(test_many_callers),
		cmocka_unit_test(test_on_control_lcore),
	};

	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0 || vhacc_ctl_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
