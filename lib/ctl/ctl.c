/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: the control lcore (poll, quiesce) and any thread (call, request_stop). */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
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

/*
 * One request. The caller sleeps on done until the control lcore has run it
 * (a wake-up straight from the control lcore: polling with short sleeps cost
 * the caller a timer tick and a scheduler round each time, most of a suspend's
 * latency). Two references, the caller's and the ring's; whoever drops the
 * last frees it, so a caller that withdraws returns at once.
 */
struct ctl_req {
	vhacc_ctl_fn fn;
	void *arg;
	int result;
	uint32_t state; /* enum req_state, written under lock */
	uint32_t refs;  /* atomic */
	pthread_mutex_t lock;
	pthread_cond_t done;
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

static void
req_put(struct ctl_req *req)
{
	if (__atomic_sub_fetch(&req->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_cond_destroy(&req->done);
	pthread_mutex_destroy(&req->lock);
	free(req);
}

static struct ctl_req *
req_new(vhacc_ctl_fn fn, void *arg)
{
	pthread_condattr_t ca;
	struct ctl_req *req;

	/* Heap, not stack: a withdrawn request outlives its caller. */
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return NULL;
	if (pthread_condattr_init(&ca) != 0) {
		free(req);
		return NULL;
	}
	/* the deadline is CLOCK_MONOTONIC: a clock step must not stretch it */
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
		pthread_cond_init(&req->done, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(req);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&req->lock, NULL) != 0) {
		pthread_cond_destroy(&req->done);
		free(req);
		return NULL;
	}
	req->fn = fn;
	req->arg = arg;
	req->state = REQ_PENDING;
	req->refs = 2;
	return req;
}

int
vhacc_ctl_call(vhacc_ctl_fn fn, void *arg, unsigned int timeout_ms)
{
	struct timespec deadline;
	struct ctl_req *req;
	int ret;

	if (vhacc_ctl_is_control())
		return fn(arg);
	if (req_ring == NULL)
		return -ENODEV;

	req = req_new(fn, arg);
	if (req == NULL)
		return -ENOMEM;
	if (rte_ring_mp_enqueue(req_ring, req) != 0) {
		req->refs = 1;
		req_put(req);
		return -EBUSY;
	}
	wake();

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&req->lock);
	while (req->state != REQ_DONE) {
		/* picked up: it runs to completion, however long it takes */
		if (req->state == REQ_RUNNING || timeout_ms == 0) {
			pthread_cond_wait(&req->done, &req->lock);
			continue;
		}
		if (pthread_cond_timedwait(&req->done, &req->lock, &deadline) == ETIMEDOUT &&
			req->state == REQ_PENDING) {
			req->state = REQ_WITHDRAWN; /* the control lcore drops it */
			pthread_mutex_unlock(&req->lock);
			req_put(req);
			return -ETIMEDOUT;
		}
	}
	ret = req->result;
	pthread_mutex_unlock(&req->lock);
	req_put(req);
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
		bool withdrawn;

		pthread_mutex_lock(&req->lock);
		withdrawn = req->state == REQ_WITHDRAWN; /* its caller gave up */
		if (!withdrawn)
			req->state = REQ_RUNNING; /* its caller waits for it from now on */
		pthread_mutex_unlock(&req->lock);
		if (!withdrawn) {
			int result = req->fn(req->arg);

			pthread_mutex_lock(&req->lock);
			req->result = result;
			req->state = REQ_DONE;
			pthread_cond_signal(&req->done);
			pthread_mutex_unlock(&req->lock);
			n++;
		}
		req_put(req);
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
