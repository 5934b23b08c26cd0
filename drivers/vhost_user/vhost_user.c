/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs on: rte_vhost's threads (the callbacks, which only post requests)
 * and the control lcore (the *_ctl functions, which do the work while the
 * rte_vhost thread waits for them, so rte_vhost's device state is stable).
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_ether.h>
#include <rte_vhost.h>

#include "vhacc_ctl.h"
#include "vhacc_log.h"
#include "vhacc_port.h"
#include "vhacc_vhost_user.h"

VHACC_LOG_REGISTER(vhost);

/* vhost-user requests vhacc intercepts (QEMU docs/interop/vhost-user.rst). */
#define VHOST_USER_SET_FEATURES   2
#define VHOST_USER_RESET_OWNER    4
#define VHOST_USER_SET_MEM_TABLE  5
#define VHOST_USER_SET_LOG_BASE   6
#define VHOST_USER_GET_VRING_BASE 11
#define VHOST_USER_GET_QUEUE_NUM  17

/* A vhost-user message as rte_vhost passes it to extern handlers (its VhostUserMsg, packed). */
struct vhost_user_msg_head {
	uint32_t request;
	uint32_t flags;
	uint32_t size;     /* of the payload */
	uint8_t payload[]; /* u64, or struct vhost_vring_state {u32 index; u32 num;} */
} __rte_packed;

/*
 * Ports whose socket is being unregistered: their device must not start again.
 * rte_vhost_driver_unregister() frees a connection's memory without calling
 * destroy_device when rte_vhost itself never declared the device running
 * (see vring_state_ctl), so vhacc stops the device first and keeps it stopped.
 * Indexed by port id; control lcore only.
 */
static bool closing[VHACC_MAX_PORTS];

struct vu_req {
	int vid;
	char path[PATH_MAX];
	uint16_t vring;
	int enable;
	uint32_t msg;
};

static struct vhacc_port *
port_of(const struct vu_req *r)
{
	struct vhacc_port *p = vhacc_port_find_socket(r->path);

	if (p == NULL || p->vid != r->vid)
		return NULL;
	return p;
}

/* ---- control lcore side ------------------------------------------------ */

static int
vring_start_ctl(struct vhacc_port *p, uint16_t idx)
{
	struct rte_vhost_vring vr;
	struct vhacc_virtq_conf c;
	uint16_t last_avail, last_used;
	int ret;

	ret = rte_vhost_get_vhost_vring(p->vid, idx, &vr);
	if (ret == 0)
		ret = rte_vhost_get_vring_base(p->vid, idx, &last_avail, &last_used);
	/* The three unions of rte_vhost_vring hold the packed ring's pointers too. */
	if (ret != 0 || vr.desc == NULL || vr.avail == NULL || vr.used == NULL) {
		VHACC_LOG(vhost, ERR, "port %s vring %u: cannot read ring from rte_vhost",
			p->conf.name, idx);
		return -EIO;
	}
	memset(&c, 0, sizeof(c));
	c.packed = (p->features >> VIRTIO_F_RING_PACKED) & 1;
	if (c.packed) {
		c.desc_packed = vr.desc_packed;
		c.driver_event = vr.driver_event;
		c.device_event = vr.device_event;
	} else {
		c.desc = vr.desc;
		c.avail = vr.avail;
		c.used = vr.used;
	}
	c.size = vr.size;
	c.last_avail_idx = last_avail;
	c.last_used_idx = last_used;
	c.features = p->features;
	c.mem = &p->mem;
	c.callfd = vr.callfd;
	c.vid = p->vid;
	c.vring_idx = idx;
	c.is_rx = (idx % 2) == 0;
	/* The port's MTU bounds frames both ways (an Ethernet header and one VLAN tag on top). */
	c.max_frame = p->conf.mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	ret = vhacc_port_vring_setup(p, idx, &c);
	if (ret != 0) {
		VHACC_LOG(vhost, ERR, "port %s vring %u: setup failed: %s", p->conf.name, idx,
			strerror(-ret));
		return ret;
	}
	VHACC_LOG(vhost, INFO, "port %s vring %u: started, size %u, avail %u, used %u",
		p->conf.name, idx, c.size, last_avail, last_used);
	return 0;
}

/* Stop polling vring idx and give rte_vhost its exact indices. */
static void
vring_stop_ctl(struct vhacc_port *p, uint16_t idx)
{
	struct vhacc_virtq_state st;

	if (!p->vrings[idx].running)
		return;
	vhacc_port_vring_stop(p, idx, &st);
	if ((p->features >> VIRTIO_F_RING_PACKED) & 1) {
		/* rte_vhost's encoding: wrap counter in bit 15 */
		st.last_avail_idx |= st.avail_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0;
		st.last_used_idx |= st.used_wrap ? VHACC_VIRTQ_PACKED_WRAP : 0;
	}
	rte_vhost_set_vring_base(p->vid, idx, st.last_avail_idx, st.last_used_idx);
	VHACC_LOG(vhost, INFO, "port %s vring %u: stopped at avail %u, used %u", p->conf.name, idx,
		st.last_avail_idx, st.last_used_idx);
}

static int
read_mem_table(struct vhacc_port *p)
{
	struct rte_vhost_memory *m = NULL;
	uint32_t i;

	if (rte_vhost_get_mem_table(p->vid, &m) != 0)
		return -EIO;
	if (m->nregions > VHACC_GUEST_MAX_REGIONS) {
		VHACC_LOG(vhost, ERR, "port %s: %u memory regions, vhacc handles %u", p->conf.name,
			m->nregions, VHACC_GUEST_MAX_REGIONS);
		free(m);
		return -E2BIG;
	}
	memset(&p->mem, 0, sizeof(p->mem));
	p->mem.nregions = m->nregions;
	for (i = 0; i < m->nregions; i++) {
		p->mem.regions[i].gpa = m->regions[i].guest_phys_addr;
		p->mem.regions[i].size = m->regions[i].size;
		p->mem.regions[i].hva = m->regions[i].host_user_addr;
	}
	free(m);
	return 0;
}

/* Start the device: memory table, negotiated features, every enabled vring. */
static int
device_start_ctl(struct vhacc_port *p)
{
	uint16_t i, n, mtu;
	int ret;

	if (closing[p->id])
		return -ESHUTDOWN;
	if (rte_vhost_get_negotiated_features(p->vid, &p->features) != 0)
		return -EIO;
	ret = read_mem_table(p);
	if (ret != 0)
		return ret;
	if (rte_vhost_get_mtu(p->vid, &mtu) == 0 && mtu > p->conf.mtu)
		VHACC_LOG(vhost, WARNING,
			"port %s: the frontend's MTU %u is larger than the port's mtu %u: "
			"longer frames will be dropped (drop_over_mtu)",
			p->conf.name, mtu, p->conf.mtu);
	n = rte_vhost_get_vring_num(p->vid);
	p->nr_vrings = RTE_MIN(n, 2 * p->conf.queue_pairs);
	for (i = 0; i < p->nr_vrings; i++)
		if (p->vrings[i].enabled && vring_start_ctl(p, i) != 0)
			p->vrings[i].enabled = false;
	vhacc_port_start(p);
	return 0;
}

/* Stop the device: after return no worker touches its rings or memory. */
static void
device_stop_ctl(struct vhacc_port *p)
{
	uint16_t i;

	if (!p->running)
		return;
	vhacc_port_stop(p); /* one quiescence for all vrings */
	for (i = 0; i < p->nr_vrings; i++)
		vring_stop_ctl(p, i);
}

static int
new_connection_ctl(void *arg)
{
	struct vu_req *r = arg;
	struct vhacc_port *p = vhacc_port_find_socket(r->path);
	uint16_t i;

	if (p == NULL) {
		VHACC_LOG(vhost, ERR, "connection on unknown socket %s", r->path);
		return -ENOENT;
	}
	if (p->vid >= 0) {
		VHACC_LOG(vhost, ERR, "port %s: second frontend refused (one is connected)",
			p->conf.name);
		return -EBUSY;
	}
	p->vid = r->vid;
	p->connects++;
	for (i = 0; i < VHACC_MAX_VRINGS; i++)
		p->vrings[i].enabled = false;
	VHACC_LOG(vhost, INFO, "port %s: frontend connected (vid %d)", p->conf.name, r->vid);
	return 0;
}

static int
destroy_connection_ctl(void *arg)
{
	struct vhacc_port *p = port_of(arg);

	if (p == NULL)
		return 0;
	device_stop_ctl(p);
	p->vid = -1;
	p->disconnects++;
	VHACC_LOG(vhost, INFO, "port %s: frontend disconnected", p->conf.name);
	return 0;
}

static int
new_device_ctl(void *arg)
{
	struct vhacc_port *p = port_of(arg);
	int ret;

	if (p == NULL)
		return -ENOENT;
	if (p->running) {
		/* Started when its first queue pair became ready (vring_state_ctl). */
		VHACC_LOG(vhost, INFO, "port %s: every vring ready, device already running",
			p->conf.name);
		return 0;
	}
	ret = device_start_ctl(p);
	if (ret != 0) {
		VHACC_LOG(vhost, ERR, "port %s: cannot start device: %s", p->conf.name,
			strerror(-ret));
		return ret;
	}
	VHACC_LOG(vhost, INFO, "port %s: device started, features 0x%" PRIx64 ", %u vrings",
		p->conf.name, p->features, p->nr_vrings);
	return 0;
}

static int
destroy_device_ctl(void *arg)
{
	struct vhacc_port *p = port_of(arg);

	if (p == NULL)
		return 0;
	device_stop_ctl(p);
	VHACC_LOG(vhost, INFO, "port %s: device stopped", p->conf.name);
	return 0;
}

/*
 * A vring became ready (set up and enabled by the frontend) or stopped being so.
 *
 * rte_vhost 22.11 calls new_device for an external backend only once every
 * vring the frontend has touched is ready. A multiqueue frontend often sets up
 * more queue pairs than it enables (QEMU with a guest that has fewer vCPUs
 * than queues, virtio-user with queues=4 and two testpmd queues): new_device
 * would never come. So vhacc starts the device itself as soon as queue pair 0
 * is ready, as rte_vhost does for its built-in net backend, and picks the
 * other vrings up one by one as they are enabled, without pausing the rest.
 * Every path on which rte_vhost would have called destroy_device is hooked
 * (GET_VRING_BASE, RESET_OWNER, disconnect, unregister), so the device is
 * stopped before rte_vhost reads ring positions or unmaps memory.
 */
static int
vring_state_ctl(void *arg)
{
	struct vu_req *r = arg;
	struct vhacc_port *p = port_of(r);
	int ret;

	if (p == NULL)
		return 0;
	if (r->vring >= 2 * p->conf.queue_pairs) {
		VHACC_LOG(vhost, WARNING,
			"port %s: vring %u %s by the frontend ignored: the port has %u queue "
			"pair(s), vrings 0..%u",
			p->conf.name, r->vring, r->enable ? "enabled" : "disabled",
			p->conf.queue_pairs, 2 * p->conf.queue_pairs - 1);
		return 0;
	}
	p->vrings[r->vring].enabled = r->enable != 0;
	VHACC_LOG(vhost, INFO, "port %s: vring %u %s by the frontend", p->conf.name, r->vring,
		r->enable ? "enabled" : "disabled");
	if (!p->running) {
		if (!r->enable || closing[p->id] || !p->vrings[0].enabled || !p->vrings[1].enabled)
			return 0; /* picked up when the device starts */
		ret = device_start_ctl(p);
		if (ret != 0)
			VHACC_LOG(vhost, ERR, "port %s: cannot start device: %s", p->conf.name,
				strerror(-ret));
		else
			VHACC_LOG(vhost, INFO,
				"port %s: device started (queue pair 0 ready), features 0x%" PRIx64
				", %u vrings",
				p->conf.name, p->features, p->nr_vrings);
		return 0;
	}
	if (r->enable) {
		if (p->vrings[r->vring].running)
			vring_stop_ctl(p, r->vring); /* re-read a ring the frontend changed */
		if (r->vring >= p->nr_vrings)
			p->nr_vrings = r->vring + 1;
		if (vring_start_ctl(p, r->vring) == 0)
			vhacc_port_republish();
	} else {
		vring_stop_ctl(p, r->vring);
	}
	return 0;
}

/* Features changed on a running device (LOG_ALL on or off): restart with them. */
static int
features_changed_ctl(void *arg)
{
	struct vhacc_port *p = port_of(arg);
	uint64_t f;

	if (p == NULL || !p->running)
		return 0;
	if (rte_vhost_get_negotiated_features(p->vid, &f) == 0 && f == p->features)
		return 0; /* the same features again (QEMU sends them once per queue pair) */
	device_stop_ctl(p);
	return device_start_ctl(p);
}

/* GET_VRING_BASE: the frontend stops a vring and wants its position: stop polling it first. */
static int
vring_base_ctl(void *arg)
{
	struct vu_req *r = arg;
	struct vhacc_port *p = port_of(r);

	if (p == NULL || !p->running || r->vring >= 2 * p->conf.queue_pairs)
		return 0;
	vring_stop_ctl(p, r->vring);
	return 0;
}

/* GET_QUEUE_NUM: the port's queue pairs (rte_vhost 22.11 would answer 128). */
static int
queue_num_ctl(void *arg)
{
	struct vhacc_port *p = port_of(arg);

	if (p == NULL)
		return 0;
	VHACC_LOG(vhost, INFO, "port %s: frontend asked for the queue count: %u queue pair(s)",
		p->conf.name, p->conf.queue_pairs);
	return p->conf.queue_pairs;
}

/* Before the socket is unregistered: stop the device for good. */
static int
closing_ctl(void *arg)
{
	struct vu_req *r = arg;
	struct vhacc_port *p = vhacc_port_find_socket(r->path);

	if (p == NULL)
		return 0;
	closing[p->id] = true;
	device_stop_ctl(p);
	return 0;
}

/* Before the memory table or log area is replaced: stop touching them. */
static int
pre_msg_ctl(void *arg)
{
	struct vu_req *r = arg;
	struct vhacc_port *p = port_of(r);

	if (p == NULL || !p->running)
		return 0;
	VHACC_LOG(vhost, INFO, "port %s: pausing for vhost-user request %u", p->conf.name, r->msg);
	device_stop_ctl(p);
	return 1; /* paused: resume after the message */
}

static int
post_msg_ctl(void *arg)
{
	struct vhacc_port *p = port_of(arg);

	if (p == NULL)
		return 0;
	return device_start_ctl(p);
}

/* ---- rte_vhost thread side --------------------------------------------- */

static int
post(vhacc_ctl_fn fn, struct vu_req *r)
{
	/* No timeout: a callback must not return before the control lcore acted. */
	return vhacc_ctl_call(fn, r, 0);
}

static void
req_init(struct vu_req *r, int vid)
{
	memset(r, 0, sizeof(*r));
	r->vid = vid;
	if (rte_vhost_get_ifname(vid, r->path, sizeof(r->path)) != 0)
		r->path[0] = '\0';
}

/* Paused ports, by vid, between the pre and post message handlers (socket thread only). */
static bool paused[RTE_MAX_VHOST_DEVICE];

static enum rte_vhost_msg_result
pre_msg_handle(int vid, void *msg)
{
	struct vhost_user_msg_head *h = msg;
	struct vu_req r;
	uint64_t u64;
	uint32_t idx;
	int n;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	paused[vid] = false;
	req_init(&r, vid);
	r.msg = h->request;
	switch (h->request) {
	case VHOST_USER_SET_MEM_TABLE:
	case VHOST_USER_SET_LOG_BASE:
		paused[vid] = post(pre_msg_ctl, &r) == 1;
		break;
	case VHOST_USER_GET_VRING_BASE:
		memcpy(&idx, h->payload, sizeof(idx)); /* vhost_vring_state.index */
		if (idx < VHACC_MAX_VRINGS) {
			r.vring = (uint16_t)idx;
			post(vring_base_ctl, &r);
		}
		break;
	case VHOST_USER_RESET_OWNER:
		post(destroy_device_ctl, &r);
		break;
	case VHOST_USER_GET_QUEUE_NUM:
		n = post(queue_num_ctl, &r);
		if (n <= 0)
			break;
		u64 = (uint64_t)n;
		memcpy(h->payload, &u64, sizeof(u64));
		h->size = sizeof(u64);
		return RTE_VHOST_MSG_RESULT_REPLY; /* rte_vhost sends it */
	default:
		break;
	}
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED; /* rte_vhost handles the message itself */
}

static enum rte_vhost_msg_result
post_msg_handle(int vid, void *msg)
{
	const struct vhost_user_msg_head *h = msg;
	struct vu_req r;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	req_init(&r, vid);
	if (h->request == VHOST_USER_SET_FEATURES) {
		/* rte_vhost calls features_changed only for a device it started itself. */
		post(features_changed_ctl, &r);
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	}
	if (!paused[vid])
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	paused[vid] = false;
	post(post_msg_ctl, &r);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops extern_ops = {
	.pre_msg_handle = pre_msg_handle,
	.post_msg_handle = post_msg_handle,
};

static int
on_new_connection(int vid)
{
	struct vu_req r;
	int ret;

	req_init(&r, vid);
	ret = post(new_connection_ctl, &r);
	if (ret != 0)
		return -1; /* rte_vhost closes the connection */
	if (rte_vhost_extern_callback_register(vid, &extern_ops, NULL) != 0)
		VHACC_LOG(vhost, ERR, "vid %d: cannot register message hooks", vid);
	return 0;
}

static void
on_destroy_connection(int vid)
{
	struct vu_req r;

	req_init(&r, vid);
	post(destroy_connection_ctl, &r);
}

static int
on_new_device(int vid)
{
	struct vu_req r;

	req_init(&r, vid);
	return post(new_device_ctl, &r) == 0 ? 0 : -1;
}

static void
on_destroy_device(int vid)
{
	struct vu_req r;

	req_init(&r, vid);
	post(destroy_device_ctl, &r);
}

static int
on_vring_state_changed(int vid, uint16_t queue_id, int enable)
{
	struct vu_req r;

	req_init(&r, vid);
	r.vring = queue_id;
	r.enable = enable;
	post(vring_state_ctl, &r);
	return 0;
}

static int
on_features_changed(int vid, uint64_t features)
{
	struct vu_req r;

	RTE_SET_USED(features);
	req_init(&r, vid);
	return post(features_changed_ctl, &r) == 0 ? 0 : -1;
}

static const struct rte_vhost_device_ops device_ops = {
	.new_device = on_new_device,
	.destroy_device = on_destroy_device,
	.vring_state_changed = on_vring_state_changed,
	.features_changed = on_features_changed,
	.new_connection = on_new_connection,
	.destroy_connection = on_destroy_connection,
};

/* ---- registration (control lcore) --------------------------------------- */

int
vhacc_vhost_user_register(struct vhacc_port *p)
{
	const char *path = p->conf.socket;
	uint64_t flags = 0;
	int ret;

	closing[p->id] = false;
	if (p->conf.client)
		flags |= RTE_VHOST_USER_CLIENT; /* rte_vhost reconnects unless NO_RECONNECT */
	else
		unlink(path); /* a stale socket from a killed vhacc */

	ret = rte_vhost_driver_register(path, flags);
	if (ret != 0) {
		VHACC_LOG(vhost, ERR, "port %s: cannot register socket %s", p->conf.name, path);
		return -EIO;
	}
	/* Setting the feature set switches rte_vhost's built-in net datapath off. */
	if (rte_vhost_driver_set_features(path, p->conf.features) != 0 ||
		rte_vhost_driver_set_protocol_features(path, VHACC_PROTOCOL_FEATURES) != 0 ||
		rte_vhost_driver_callback_register(path, &device_ops) != 0) {
		VHACC_LOG(vhost, ERR, "port %s: cannot configure socket %s", p->conf.name, path);
		rte_vhost_driver_unregister(path);
		return -EIO;
	}
	ret = rte_vhost_driver_start(path);
	if (ret != 0) {
		VHACC_LOG(vhost, ERR, "port %s: cannot start socket %s", p->conf.name, path);
		rte_vhost_driver_unregister(path);
		return -EIO;
	}
	VHACC_LOG(vhost, INFO, "port %s: %s socket %s", p->conf.name,
		p->conf.client ? "connecting to" : "listening on", path);
	return 0;
}

int
vhacc_vhost_user_unregister(const char *socket_path)
{
	struct vu_req r;

	memset(&r, 0, sizeof(r));
	snprintf(r.path, sizeof(r.path), "%s", socket_path);
	post(closing_ctl, &r);
	return rte_vhost_driver_unregister(socket_path) == 0 ? 0 : -EIO;
}
