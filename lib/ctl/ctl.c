/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: the control lcore (poll, quiesce) and any thread (call, request_stop). */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "vhacc_ctl.h"
#include "vhacc_log.h"

VHACC_LOG_REGISTER(ctl);

#define CTL_RING_SIZE 1024

enum req_state {
	REQ_PENDING = 0,
	REQ_RUNNING,
	REQ_DONE,
	REQ_WITHDRAWN,
};

struct ctl_req {
	vhacc_ctl_fn fn;
	void *arg;
	int result;
	uint32_t state; /* enum req_state, accessed atomically */
};

static struct rte_ring *req_ring;
static int wake_fd = -1;
static volatile int stop_requested;
static pthread_t control_thread;
static struct rte_rcu_qsbr *qsbr;

int
vhacc_ctl_init(void)
{
	size_t sz;

	control_thread = pthread_self();
	req_ring = rte_ring_create("vhacc_ctl", CTL_RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (req_ring == NULL) {
		VHACC_LOG(ctl, ERR, "cannot create request ring: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake_fd < 0) {
		int err = errno;

		rte_ring_free(req_ring);
		req_ring = NULL;
		return -err;
	}
	sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qsbr = rte_zmalloc("vhacc_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, RTE_MAX_LCORE) != 0) {
		vhacc_ctl_fini();
		return -ENOMEM;
	}
	return 0;
}

void
vhacc_ctl_fini(void)
{
	rte_ring_free(req_ring);
	req_ring = NULL;
	if (wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
	rte_free(qsbr);
	qsbr = NULL;
}

bool
vhacc_ctl_is_control(void)
{
	return pthread_equal(pthread_self(), control_thread);
}

static void
wake(void)
{
	uint64_t one = 1;

	/* write(2) is async-signal-safe; a full counter still wakes the loop. */
	if (write(wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the loop is already due to wake. */
	}
}

int
vhacc_ctl_call(vhacc_ctl_fn fn, void *arg, unsigned int timeout_ms)
{
	struct ctl_req *req;
	uint64_t deadline;
	uint32_t expected;
	int ret;

	if (vhacc_ctl_is_control())
		return fn(arg);
	if (req_ring == NULL)
		return -ENODEV;

	/* Heap, not stack: a withdrawn request is freed by the control lcore. */
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return -ENOMEM;
	req->fn = fn;
	req->arg = arg;
	__atomic_store_n(&req->state, REQ_PENDING, __ATOMIC_RELAXED);
	if (rte_ring_mp_enqueue(req_ring, req) != 0) {
		free(req);
		return -EBUSY;
	}
	wake();

	deadline = timeout_ms ? rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * timeout_ms : 0;
	for (;;) {
		uint32_t st = __atomic_load_n(&req->state, __ATOMIC_ACQUIRE);

		if (st == REQ_DONE)
			break;
		if (st == REQ_PENDING && deadline != 0 && rte_get_timer_cycles() > deadline) {
			expected = REQ_PENDING;
			if (__atomic_compare_exchange_n(&req->state, &expected, REQ_WITHDRAWN,
				    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return -ETIMEDOUT; /* control lcore frees it */
			continue;
		}
		usleep(50);
	}
	ret = req->result;
	free(req);
	return ret;
}

int
vhacc_ctl_poll(int timeout_ms)
{
	struct pollfd pfd = {.fd = wake_fd, .events = POLLIN};
	struct ctl_req *req;
	uint64_t val;
	int n = 0;

	if (rte_ring_empty(req_ring) && !stop_requested)
		(void)poll(&pfd, 1, timeout_ms);
	if (read(wake_fd, &val, sizeof(val)) < 0) {
		/* EAGAIN: nothing to clear */
	}

	while (rte_ring_sc_dequeue(req_ring, (void **)&req) == 0) {
		uint32_t expected = REQ_PENDING;

		if (!__atomic_compare_exchange_n(&req->state, &expected, REQ_RUNNING, false,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			free(req); /* withdrawn by a waiter that gave up */
			continue;
		}
		req->result = req->fn(req->arg);
		__atomic_store_n(&req->state, REQ_DONE, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

void
vhacc_ctl_request_stop(void)
{
	stop_requested = 1;
	if (wake_fd >= 0)
		wake();
}

bool
vhacc_ctl_stop_requested(void)
{
	return stop_requested != 0;
}

struct rte_rcu_qsbr *
vhacc_ctl_qsbr(void)
{
	return qsbr;
}

void
vhacc_ctl_quiesce(void)
{
	uint64_t token = rte_rcu_qsbr_start(qsbr);
	uint64_t hz = rte_get_timer_hz();
	uint64_t start = rte_get_timer_cycles();
	uint64_t next_warn = start + hz / 10;

	while (rte_rcu_qsbr_check(qsbr, token, false) == 0) {
		uint64_t now = rte_get_timer_cycles();

		if (now > next_warn) {
			VHACC_LOG(ctl, WARNING, "workers not quiescent after %" PRIu64 " ms",
				(now - start) * 1000 / hz);
			next_warn = now + hz;
		}
		rte_pause();
	}
}
