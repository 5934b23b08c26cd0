/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's device state (doc/device-state.md) out of a stopped port and into
 * a frozen one. Runs on: the control lcore only.
 *
 * Loading keeps the state with the port; it is applied when the port leaves
 * freeze, once the frontend has set up every vring it names: each vring's
 * position then comes from the state, checked against the ring in guest
 * memory (doc/port-modes.md, "Which position wins").
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_config.h>

#include <rte_malloc.h>

#include "vhacc_log.h"
#include "vhacc_port.h"

VHACC_LOG_DECLARE(port_mode);

int
vhacc_port_state_get(const struct vhacc_port *p, struct vhacc_devstate *s, char *msg, size_t len)
{
	uint16_t i;

	if (p->mode == VHACC_PORT_MODE_ACTIVE) {
		snprintf(msg, len, "port %s is active: suspend it first", p->conf.name);
		return -EBUSY;
	}
	memset(s, 0, sizeof(*s));
	s->device_features = p->conf.features;
	s->driver_features = p->running ? p->features : 0;
	s->status = p->running ? VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK
			       : 0;
	memcpy(s->mac, p->conf.mac, sizeof(s->mac));
	s->mtu = p->conf.mtu;
	s->net_status = p->running ? 1 : 0; /* VIRTIO_NET_S_LINK_UP */
	s->max_queue_pairs = p->conf.queue_pairs;
	for (i = 0; i < 2 * p->conf.queue_pairs && i < VHACC_DEVSTATE_MAX_VQS; i++) {
		const struct vhacc_port_vring *vr = &p->vrings[i];
		struct vhacc_devstate_vq *v;
		struct vhacc_virtq_state st;

		if (!vr->running || vr->vq == NULL)
			continue;
		vhacc_virtq_get_state(vr->vq, &st);
		v = &s->vq[s->nvqs++];
		v->index = i;
		v->size = vr->vq->size;
		v->enabled = vr->enabled;
		v->packed = vr->vq->packed;
		v->last_avail_idx = st.last_avail_idx;
		v->last_used_idx = st.last_used_idx;
		v->avail_wrap = v->packed && st.avail_wrap;
		v->used_wrap = v->packed && st.used_wrap;
		v->n_inflight = vhacc_virtq_held(vr->vq, NULL, 0); /* 0: vhacc holds none */
	}
	return 0;
}

int
vhacc_port_state_load(struct vhacc_port *p, const struct vhacc_devstate *s, char *msg, size_t len)
{
	char err[160];
	uint16_t i;
	int ret;

	if (p->mode != VHACC_PORT_MODE_FREEZE) {
		snprintf(msg, len, "port %s is in mode %s: a state loads only in freeze",
			p->conf.name, vhacc_port_mode_name(p->mode));
		return -EBUSY;
	}
	ret = vhacc_devstate_check(s, p->conf.features, p->conf.queue_pairs, err, sizeof(err));
	if (ret != 0) {
		snprintf(msg, len, "port %s: %s", p->conf.name, err);
		return ret;
	}
	if (s->buffered_packets != 0) {
		snprintf(msg, len,
			"port %s: the state carries %" PRIu32 " buffered packets; "
			"vhacc restores none (drain the source)",
			p->conf.name, s->buffered_packets);
		return -ENOTSUP;
	}
	for (i = 0; i < s->nvqs; i++)
		if (s->vq[i].n_inflight != 0) {
			snprintf(msg, len,
				"port %s vring %u: %u in-flight descriptors; vhacc "
				"resumes none (drain the source)",
				p->conf.name, s->vq[i].index, s->vq[i].n_inflight);
			return -ENOTSUP;
		}
	if (p->running && s->driver_features != 0 && s->driver_features != p->features) {
		snprintf(msg, len,
			"port %s: state features 0x%" PRIx64 ", the frontend "
			"negotiated 0x%" PRIx64,
			p->conf.name, s->driver_features, p->features);
		return -ENOTSUP;
	}
	if (p->loaded == NULL) {
		p->loaded = rte_malloc("vhacc_devstate", sizeof(*p->loaded), 0);
		if (p->loaded == NULL) {
			snprintf(msg, len, "port %s: no memory for the state", p->conf.name);
			return -ENOMEM;
		}
	}
	*p->loaded = *s;
	p->state_loaded = true;
	snprintf(msg, len, "port %s: state loaded (%u vrings), applied when it leaves freeze",
		p->conf.name, s->nvqs);
	return 0;
}

int
vhacc_port_state_apply(struct vhacc_port *p, char *msg, size_t len)
{
	const struct vhacc_devstate *s = p->loaded;
	struct vhacc_virtq_state want[VHACC_DEVSTATE_MAX_VQS];
	uint16_t i;

	if (!p->state_loaded)
		return 0;
	if (s->driver_features != 0 && (!p->running || s->driver_features != p->features)) {
		snprintf(msg, len,
			"port %s: the frontend %s (state features 0x%" PRIx64 "); stays frozen",
			p->conf.name,
			p->running ? "negotiated other features" : "has not started the device",
			s->driver_features);
		return -EAGAIN;
	}
	/* Check every vring first: nothing moves unless all agree. */
	for (i = 0; i < s->nvqs; i++) {
		const struct vhacc_devstate_vq *v = &s->vq[i];
		const struct vhacc_port_vring *vr = &p->vrings[v->index];
		struct vhacc_virtq_state cur;

		if (!vr->running || vr->vq == NULL || vr->vq->size != v->size ||
			vr->vq->packed != v->packed) {
			snprintf(msg, len, "port %s vring %u: %s; stays frozen", p->conf.name,
				v->index,
				!vr->running ? "not set up by the frontend yet"
					     : "the frontend's ring differs from the state's");
			return -EAGAIN;
		}
		want[i] = (struct vhacc_virtq_state){.last_avail_idx = v->last_avail_idx,
			.last_used_idx = v->last_used_idx,
			.avail_wrap = v->avail_wrap,
			.used_wrap = v->used_wrap};
		vhacc_virtq_get_state(vr->vq, &cur);
		if (memcmp(&cur, &want[i], sizeof(cur)) == 0)
			continue;
		/* The frontend said otherwise: the ring decides. */
		if (vhacc_virtq_state_matches_ring(vr->vq, &want[i]))
			continue;
		if (vhacc_virtq_state_matches_ring(vr->vq, &cur)) {
			/* the frontend set its ring up anew: its position holds */
			want[i] = cur;
			continue;
		}
		snprintf(msg, len,
			"port %s vring %u: the ring agrees with neither the state "
			"(used %u) nor the frontend (used %u); stays frozen",
			p->conf.name, v->index, v->last_used_idx, cur.last_used_idx);
		return -ESTALE;
	}
	for (i = 0; i < s->nvqs; i++) {
		const struct vhacc_devstate_vq *v = &s->vq[i];
		struct vhacc_virtq *vq = p->vrings[v->index].vq;
		struct vhacc_virtq_state cur;
		uint16_t skip;

		vhacc_virtq_get_state(vq, &cur);
		if (memcmp(&cur, &want[i], sizeof(cur)) != 0)
			VHACC_LOG(port_mode, INFO,
				"port %s vring %u: position from the state (avail %u, used %u), "
				"not the frontend's (avail %u, used %u): the ring agrees with it",
				p->conf.name, v->index, v->last_avail_idx, v->last_used_idx,
				cur.last_avail_idx, cur.last_used_idx);
		else if (!vq->packed &&
			 (skip = (uint16_t)(cur.last_used_idx - v->last_used_idx)) != 0 &&
			 skip <= vq->size) {
			/* its used index went on from the state's: it completed those itself */
			vq->stats.frontend_used += skip;
			VHACC_LOG(port_mode, WARNING,
				"port %s vring %u: the frontend completed %u descriptor(s) itself "
				"while vhacc was away (QEMU discards a split ring's TX while its "
				"backend is gone): its position holds (used %u, the state's %u) "
				"(frontend_used)",
				p->conf.name, v->index, skip, cur.last_used_idx, v->last_used_idx);
		} else if (v->last_used_idx != cur.last_used_idx || v->used_wrap != cur.used_wrap)
			VHACC_LOG(port_mode, WARNING,
				"port %s vring %u: the frontend set its ring up anew (used %u): "
				"its position holds, not the state's (used %u)",
				p->conf.name, v->index, cur.last_used_idx, v->last_used_idx);
		vhacc_virtq_set_state(vq, &want[i]);
		if (memcmp(&cur, &want[i], sizeof(cur)) == 0)
			continue;
		skip = vhacc_virtq_skip_frontend_used(vq, &cur);
		if (skip != 0)
			VHACC_LOG(port_mode, WARNING,
				"port %s vring %u: the frontend completed %u descriptor(s) itself "
				"while vhacc was away, from position %u (QEMU discards a packed "
				"ring's TX while its backend is gone): vhacc steps over them there "
				"(frontend_used)",
				p->conf.name, v->index, skip, vq->skip_pos);
	}
	p->state_loaded = false;
	return 0;
}
