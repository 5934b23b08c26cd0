/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs on: the telemetry thread (the *_cb functions, which only post) and
 * the control lcore (the *_ctl functions, which read the state).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_telemetry.h>

#include "vhacc_ctl.h"
#include "vhacc_log.h"
#include "vhacc_net_offload.h"
#include "vhacc_port.h"
#include "tel_priv.h"
#include "vhacc_telemetry.h"

VHACC_LOG_REGISTER(telemetry);

#define ANSWER_TIMEOUT_MS VHACC_TEL_ANSWER_TIMEOUT_MS

struct tel_req {
	const char *params;
	struct rte_tel_data *d;
};

static const char *
attach_str(const struct vhacc_port *p, char *buf, size_t len)
{
	switch (p->conf.attach) {
	case VHACC_ATTACH_LOOPBACK:
		return "loopback";
	case VHACC_ATTACH_XCONNECT:
		snprintf(buf, len, "xconnect:%s", p->conf.xconnect_peer);
		return buf;
	case VHACC_ATTACH_ETHDEV:
		snprintf(buf, len, "ethdev:%s", p->conf.ethdev_devargs);
		return buf;
	}
	return "?";
}

static void
add_hex(struct rte_tel_data *d, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	rte_tel_data_add_dict_string(d, name, buf);
}

/* Feature names as one space-separated string. */
static void
add_feature_names(struct rte_tel_data *d, const char *name, uint64_t features)
{
	char buf[RTE_TEL_MAX_STRING_LEN] = "";
	size_t off = 0;
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		const char *n;

		if (!(features & (1ULL << bit)))
			continue;
		n = vhacc_feature_name(bit);
		off += snprintf(buf + off, sizeof(buf) - RTE_MIN(off, sizeof(buf)), "%s%s",
			off ? " " : "", n ? n : "?");
		if (off >= sizeof(buf))
			break;
	}
	rte_tel_data_add_dict_string(d, name, buf);
}

static struct vhacc_port *
port_param(const char *params, struct rte_tel_data *d)
{
	struct vhacc_port *p = vhacc_port_lookup(params);

	if (p == NULL) {
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_int(d, "ok", 0);
		rte_tel_data_add_dict_int(d, "errno", params && *params ? ENODEV : EINVAL);
		rte_tel_data_add_dict_string(d, "message",
			params && *params ? "no such port" : "usage: <port id or name>");
	}
	return p;
}

static int
ports_ctl(void *arg)
{
	struct tel_req *r = arg;
	uint16_t i;

	rte_tel_data_start_dict(r->d);
	for (i = 0; i < vhacc_port_max_id(); i++) {
		struct vhacc_port *p = vhacc_port_get(i);

		if (p != NULL)
			rte_tel_data_add_dict_int(r->d, p->conf.name, p->id);
	}
	return 0;
}

static int
info_ctl(void *arg)
{
	struct tel_req *r = arg;
	struct vhacc_port *p = port_param(r->params, r->d);
	struct rte_tel_data *d = r->d;
	char buf[VHACC_DEVARGS_MAX + 16];
	uint16_t i, enabled = 0;

	if (p == NULL)
		return 0;
	for (i = 0; i < VHACC_MAX_VRINGS; i++)
		enabled += p->vrings[i].running;

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "id", p->id);
	rte_tel_data_add_dict_string(d, "name", p->conf.name);
	rte_tel_data_add_dict_string(d, "socket", p->conf.socket);
	rte_tel_data_add_dict_string(d, "socket_mode", p->conf.client ? "client" : "server");
	rte_tel_data_add_dict_string(d, "mode", vhacc_port_mode_name(p->mode));
	rte_tel_data_add_dict_u64(d, "mode_changes", p->mode_changes);
	rte_tel_data_add_dict_u64(d, "drain_failures", p->drain_failures);
	rte_tel_data_add_dict_u64(d, "last_drain_us", p->last_drain_us);
	rte_tel_data_add_dict_string(d, "link", p->running ? "up" : "down");
	rte_tel_data_add_dict_int(d, "connected", p->vid >= 0);
	rte_tel_data_add_dict_int(d, "vid", p->vid);
	add_hex(d, "features_offered", p->conf.features);
	add_hex(d, "features_negotiated", p->running ? p->features : 0);
	add_feature_names(d, "negotiated", p->running ? p->features : 0);
	rte_tel_data_add_dict_int(d, "queue_pairs", p->conf.queue_pairs);
	rte_tel_data_add_dict_int(d, "vrings_running", enabled);
	rte_tel_data_add_dict_string(d, "attach", attach_str(p, buf, sizeof(buf)));
	if (p->has_eth)
		rte_tel_data_add_dict_int(d, "ethdev_port", p->eth_port);
	rte_tel_data_add_dict_int(d, "numa_node", p->numa_node);
	rte_tel_data_add_dict_int(d, "mtu", p->conf.mtu);
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", p->conf.mac[0], p->conf.mac[1],
		p->conf.mac[2], p->conf.mac[3], p->conf.mac[4], p->conf.mac[5]);
	rte_tel_data_add_dict_string(d, "mac", buf);
	rte_tel_data_add_dict_u64(d, "connects", p->connects);
	rte_tel_data_add_dict_u64(d, "disconnects", p->disconnects);
	return 0;
}

static void
add_vring_stats(struct rte_tel_data *d, const struct vhacc_port *p, uint16_t idx)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	struct vhacc_virtq_stats st;
	const struct vhacc_virtq *vq = p->vrings[idx].vq;
	char name[16];

	if (c == NULL)
		return;
	vhacc_port_vring_stats(p, idx, &st);
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_int(c, "running", p->running && p->vrings[idx].running);
	rte_tel_data_add_dict_u64(c, "packets", st.packets);
	rte_tel_data_add_dict_u64(c, "bytes", st.bytes);
	rte_tel_data_add_dict_u64(c, "drop_too_big", st.drop_too_big);
	rte_tel_data_add_dict_u64(c, "drop_runt", st.drop_runt);
	rte_tel_data_add_dict_u64(c, "drop_over_mtu", st.drop_over_mtu);
	rte_tel_data_add_dict_u64(c, "drop_bad_hdr", st.drop_bad_hdr);
	rte_tel_data_add_dict_u64(c, "frontend_used", st.frontend_used);
	rte_tel_data_add_dict_u64(c, "no_mbuf", st.no_mbuf);
	rte_tel_data_add_dict_u64(c, "rx_no_buffers", st.rx_no_buffers);
	rte_tel_data_add_dict_u64(c, "broken", st.broken);
	rte_tel_data_add_dict_string(c, "broken_reason",
		vq != NULL && vq->broken ? vhacc_virtq_broken_reason_str(vq->broken_reason)
					 : "none");
	rte_tel_data_add_dict_u64(c, "notifications", st.notifications);
	rte_tel_data_add_dict_u64(c, "notify_suppressed", st.notify_suppressed);
	if (vq != NULL) {
		rte_tel_data_add_dict_int(c, "last_avail_idx", vq->last_avail_idx);
		rte_tel_data_add_dict_int(c, "last_used_idx", vq->last_used_idx);
	}
	snprintf(name, sizeof(name), "%s%u", idx % 2 ? "txq" : "rxq", idx / 2);
	rte_tel_data_add_dict_container(d, name, c, 0);
}

static void
add_qp_stats(struct rte_tel_data *d, const struct vhacc_port *p, uint16_t qp)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	const struct vhacc_dp_stats *st = &p->qps[qp].stats;
	struct vhacc_net_uplink_stats up;
	char name[16];

	if (c == NULL)
		return;
	rte_tel_data_start_dict(c);
	rte_tel_data_add_dict_u64(c, "drop_peer_down", st->drop_peer_down);
	rte_tel_data_add_dict_u64(c, "drop_dest_full", st->drop_dest_full);
	rte_tel_data_add_dict_u64(c, "drop_guest_down", st->drop_guest_down);
	rte_tel_data_add_dict_u64(c, "held", p->qps[qp].to_dst.count + p->qps[qp].to_rx.count);
	rte_tel_data_add_dict_u64(c, "one_copy", st->one_copy);
	if (p->has_eth) {
		rte_tel_data_add_dict_u64(c, "eth_rx", st->eth_rx);
		rte_tel_data_add_dict_u64(c, "eth_tx", st->eth_tx);
		if (vhacc_net_uplink_stats(p->eth_port, qp, &up) == 0) {
			rte_tel_data_add_dict_u64(c, "eth_tx_sw_cksum", up.sw_cksum);
			rte_tel_data_add_dict_u64(c, "eth_tx_sw_gso", up.sw_gso);
			rte_tel_data_add_dict_u64(c, "eth_tx_gso_segs", up.gso_segs);
			rte_tel_data_add_dict_u64(c, "eth_tx_drop_gso", up.drop_gso);
			rte_tel_data_add_dict_u64(c, "eth_tx_bad_cksum", up.bad_cksum);
		}
	}
	snprintf(name, sizeof(name), "qp%u", qp);
	rte_tel_data_add_dict_container(d, name, c, 0);
}

static int
stats_ctl(void *arg)
{
	struct tel_req *r = arg;
	struct vhacc_port *p = port_param(r->params, r->d);
	uint16_t q;

	if (p == NULL)
		return 0;
	rte_tel_data_start_dict(r->d);
	for (q = 0; q < p->conf.queue_pairs; q++) {
		add_vring_stats(r->d, p, vhacc_rx_vring(q));
		add_vring_stats(r->d, p, vhacc_tx_vring(q));
		add_qp_stats(r->d, p, q);
	}
	return 0;
}

/*
 * Append "<port>:<queue pairs>" for the queue pairs of p that `lcore` polls,
 * runs compressed ("vm1:0-3,6"), to buf (space separated). A string that
 * does not fit ends in "..." (the telemetry string limit is 127 characters);
 * *n counts the queue pairs either way. Returns the new length.
 */
static size_t
add_worker_queues(
	char *buf, size_t len, size_t off, const struct vhacc_port *p, unsigned int lcore, int *n)
{
	char part[VHACC_NAME_MAX + 8 * VHACC_MAX_QUEUE_PAIRS] = "";
	size_t pl = 0;
	uint16_t q, end;

	for (q = 0; q < p->conf.queue_pairs; q = end + 1) {
		end = q;
		if (p->qp_lcore[q] != lcore)
			continue;
		while (end + 1 < p->conf.queue_pairs && p->qp_lcore[end + 1] == lcore)
			end++;
		*n += end - q + 1;
		if (pl == 0)
			pl += snprintf(part, sizeof(part), "%s:%u", p->conf.name, q);
		else
			pl += snprintf(part + pl, sizeof(part) - pl, ",%u", q);
		if (end > q)
			pl += snprintf(part + pl, sizeof(part) - pl, "-%u", end);
		pl = RTE_MIN(pl, sizeof(part) - 1);
	}
	if (pl == 0 || off >= len - 1)
		return off; /* nothing polled here, or already truncated */
	if (off + (off ? 1 : 0) + pl + 1 > len) {
		snprintf(buf + RTE_MIN(off, len - 4), 4, "...");
		return len - 1;
	}
	return off + snprintf(buf + off, len - off, "%s%s", off ? " " : "", part);
}

static int
lcores_ctl(void *arg)
{
	struct tel_req *r = arg;
	unsigned int w;

	rte_tel_data_start_dict(r->d);
	rte_tel_data_add_dict_int(r->d, "control", rte_get_main_lcore());
	for (w = 0; w < vhacc_port_nworkers(); w++) {
		struct vhacc_dp_worker *wk = vhacc_port_worker_at(w);
		struct rte_tel_data *c = rte_tel_data_alloc();
		char queues[RTE_TEL_MAX_STRING_LEN] = "";
		size_t off = 0;
		int nqueues = 0;
		uint64_t busy = wk->stats.busy_cycles, idle = wk->stats.idle_cycles;
		char name[24];
		uint16_t i;

		if (c == NULL)
			break;
		for (i = 0; i < vhacc_port_max_id(); i++) {
			struct vhacc_port *p = vhacc_port_get(i);

			if (p != NULL)
				off = add_worker_queues(
					queues, sizeof(queues), off, p, wk->lcore, &nqueues);
		}
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "queues", queues);
		rte_tel_data_add_dict_int(c, "queue_pairs", nqueues);
		rte_tel_data_add_dict_u64(c, "loops", wk->stats.loops);
		rte_tel_data_add_dict_u64(c, "busy_cycles", busy);
		rte_tel_data_add_dict_u64(c, "idle_cycles", idle);
		rte_tel_data_add_dict_int(
			c, "busy_percent", busy + idle ? (int)(busy * 100 / (busy + idle)) : 0);
		snprintf(name, sizeof(name), "worker%u", wk->lcore);
		rte_tel_data_add_dict_container(r->d, name, c, 0);
	}
	return 0;
}

void
vhacc_tel_answer(struct rte_tel_data *d, int err, const char *msg)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "ok", err == 0);
	rte_tel_data_add_dict_int(d, "errno", err);
	rte_tel_data_add_dict_string(d, "message", msg);
}

int
vhacc_tel_post(vhacc_ctl_fn fn, void *arg, struct rte_tel_data *d)
{
	int ret = vhacc_ctl_call(fn, arg, ANSWER_TIMEOUT_MS);

	if (ret == -ETIMEDOUT) {
		vhacc_tel_answer(d, ETIMEDOUT, "control lcore did not answer in time");
		return 0;
	}
	return ret;
}

static int
answer(vhacc_ctl_fn fn, const char *params, struct rte_tel_data *d)
{
	struct tel_req r = {.params = params, .d = d};

	return vhacc_tel_post(fn, &r, d);
}

#define TEL_CB(name)                                                                               \
	static int name##_cb(const char *cmd, const char *params, struct rte_tel_data *d)          \
	{                                                                                          \
		RTE_SET_USED(cmd);                                                                 \
		return answer(name##_ctl, params, d);                                              \
	}

TEL_CB(ports)
TEL_CB(info)
TEL_CB(stats)
TEL_CB(lcores)

int
vhacc_telemetry_init(void)
{
	int ret = 0;

	ret |= rte_telemetry_register_cmd(
		"/vhacc/ports", ports_cb, "Ports by name and id. No parameters");
	ret |= rte_telemetry_register_cmd("/vhacc/port/info", info_cb,
		"Port configuration and connection. Parameters: port id or name");
	ret |= rte_telemetry_register_cmd(
		"/vhacc/port/stats", stats_cb, "Per-queue counters. Parameters: port id or name");
	ret |= rte_telemetry_register_cmd("/vhacc/lcores", lcores_cb,
		"Worker lcores: queue pairs they poll, busy/idle. No parameters");
	ret |= vhacc_telemetry_mode_init();
	ret |= vhacc_telemetry_state_init();
	return ret == 0 ? 0 : -EINVAL;
}
