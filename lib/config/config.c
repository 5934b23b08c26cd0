/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration parsing and validation (doc/configuration.md). Runs before EAL
 * init: plain C, no DPDK calls.
 *
 * Input comes in layers: one configuration text (vhacc_config_parse()), then
 * one --set override at a time (vhacc_config_set()). Within a text, `offer`
 * is applied before `mask` whatever the line order, and [worker] queue lists
 * may name ports defined further down: both are kept aside while the text is
 * read and applied at its end. Worker entries "port:all" stay unexpanded until
 * vhacc_config_validate(), because queue_pairs may still change.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "vhacc_config.h"

/* vhost-user protocol feature negotiation bit (not in the kernel headers). */
#define VHACC_VHOST_USER_F_PROTOCOL_FEATURES 30

#define BIT(b) (1ULL << (b))
#define DIM(a) (sizeof(a) / sizeof((a)[0]))

#define MBUFS_MIN       1024
#define MBUFS_MAX       1048576
#define MBUFS_DEFAULT   16384
#define BURST_MIN       1
#define BURST_MAX       256
#define BURST_DEFAULT   32
#define MTU_MIN         68
#define MTU_MAX         9000
#define MTU_DEFAULT     1500
#define LCORE_MAX       1023
#define FILE_MAX        (1024 * 1024)
#define RUN_DIR_DEFAULT "/run/vhacc"

/* Worker entry "port:all" until validation expands it. */
#define QP_ALL UINT16_MAX

/* Longest user text quoted in a message: keeps every message on one short line. */
#define Q "%.64s"

/* Unix socket paths must fit sockaddr_un.sun_path with its terminating NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

const struct vhacc_feature_name vhacc_feature_names[] = {
	{"version_1", VIRTIO_F_VERSION_1},
	{"mrg_rxbuf", VIRTIO_NET_F_MRG_RXBUF},
	{"indirect_desc", VIRTIO_RING_F_INDIRECT_DESC},
	{"event_idx", VIRTIO_RING_F_EVENT_IDX},
	{"mtu", VIRTIO_NET_F_MTU},
	{"status", VIRTIO_NET_F_STATUS},
	{"mac", VIRTIO_NET_F_MAC},
	{"log_all", VHOST_F_LOG_ALL},
	{"in_order", VIRTIO_F_IN_ORDER},
	{"protocol_features", VHACC_VHOST_USER_F_PROTOCOL_FEATURES},
	{"notify_on_empty", VIRTIO_F_NOTIFY_ON_EMPTY},
	{"any_layout", VIRTIO_F_ANY_LAYOUT},
	{"ctrl_vq", VIRTIO_NET_F_CTRL_VQ},
	{"mq", VIRTIO_NET_F_MQ},
	{"csum", VIRTIO_NET_F_CSUM},
	{"guest_csum", VIRTIO_NET_F_GUEST_CSUM},
	{"host_tso4", VIRTIO_NET_F_HOST_TSO4},
	{"host_tso6", VIRTIO_NET_F_HOST_TSO6},
	{"guest_tso4", VIRTIO_NET_F_GUEST_TSO4},
	{"guest_tso6", VIRTIO_NET_F_GUEST_TSO6},
	{"packed", VIRTIO_F_RING_PACKED},
	{NULL, 0},
};

#define DEFAULT_FEATURES                                                                           \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |                                   \
		BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |                  \
		BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MAC) |         \
		BIT(VHOST_F_LOG_ALL) | BIT(VIRTIO_F_IN_ORDER) |                                    \
		BIT(VHACC_VHOST_USER_F_PROTOCOL_FEATURES) | BIT(VIRTIO_NET_F_CSUM) |               \
		BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |                       \
		BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_GUEST_TSO4) |                       \
		BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_F_RING_PACKED))

/* Known by name, but the datapath cannot serve them yet. */
#define UNSUPPORTED_FEATURES 0ULL

static const char *const global_keys[] = {"run_dir", "mbufs", "burst", NULL};
static const char *const port_keys[] = {"socket", "mode", "queue_pairs", "offer", "mask", "mac",
	"mtu", "attach", "start_mode", NULL};
static const char *const worker_keys[] = {"queues", NULL};

const char *
vhacc_feature_name(unsigned int bit)
{
	const struct vhacc_feature_name *f;

	for (f = vhacc_feature_names; f->name != NULL; f++)
		if (f->bit == bit)
			return f->name;
	return NULL;
}

uint64_t
vhacc_config_default_features(void)
{
	return DEFAULT_FEATURES;
}

/* ---- errors ---------------------------------------------------------------------------- */

/* Where the text being applied comes from: a file line, or a --set override. */
struct src {
	const char *origin; /* NULL for an override: the key is then the dotted key */
	unsigned int line;
	char *err;
	size_t errlen;
};

static void
verr(char *err, size_t errlen, size_t off, const char *fmt, va_list ap)
{
	size_t i;

	if (err == NULL || errlen == 0 || off >= errlen)
		return;
	vsnprintf(err + off, errlen - off, fmt, ap);
	/* One line, whatever the user text held. */
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			err[i] = ' ';
}

static int __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, errlen, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "<origin>:<line>: <key>: <reason>" or, for an override, "<dotted key>: <reason>". */
static int __attribute__((format(printf, 3, 4)))
fail(const struct src *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->err == NULL || s->errlen == 0)
		return -EINVAL;
	if (s->origin != NULL)
		n = snprintf(s->err, s->errlen, "%s:%u: " Q ": ", s->origin, s->line, key);
	else
		n = snprintf(s->err, s->errlen, Q ": ", key);
	va_start(ap, fmt);
	verr(s->err, s->errlen, n < 0 ? 0 : (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void
join_names(char *buf, size_t len, const char *const *names)
{
	size_t off = 0;
	int n;

	buf[0] = '\0';
	for (; *names != NULL && off < len; names++) {
		n = snprintf(buf + off, len - off, "%s%s", off == 0 ? "" : ", ", *names);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* ---- small parsers --------------------------------------------------------------------- */

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\f' ||
				e[-1] == '\v' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Decimal digits only. -EINVAL: not a number; -ERANGE: a number outside min..max. */
static int
parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	bool overflow = false;
	const char *p;

	if (*v == '\0')
		return -EINVAL;
	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - 9) / 10)
			overflow = true;
		else
			x = x * 10 + (uint64_t)(*p - '0');
	}
	if (overflow || x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

static int
set_uint(const struct src *s, const char *key, const char *v, uint64_t min, uint64_t max,
	uint64_t *out)
{
	int ret = parse_uint(v, min, max, out);

	if (ret == -EINVAL)
		return fail(
			s, key, "'" Q "' is not a number in %" PRIu64 "..%" PRIu64, v, min, max);
	if (ret != 0)
		return fail(s, key, Q " is out of range %" PRIu64 "..%" PRIu64, v, min, max);
	return 0;
}

static bool
valid_port_name(const char *n)
{
	size_t i;

	for (i = 0; n[i] != '\0'; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
			    (n[i] >= '0' && n[i] <= '9') || n[i] == '_' || n[i] == '-'))
			return false;
	return i >= 1 && i < VHACC_NAME_MAX;
}

static int
bad_port_name(const struct src *s, const char *key, const char *name)
{
	return fail(s, key, "'" Q "' is not a valid port name (1..%d letters, digits, '_' or '-')",
		name, VHACC_NAME_MAX - 1);
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Exactly six ':'-separated pairs of hex digits. */
static int
parse_mac(const char *v, uint8_t mac[6])
{
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hexval(v[0]);
		lo = hi < 0 ? -1 : hexval(v[1]);
		if (lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		v += 2;
		if (i < 5 && *v++ != ':')
			return -EINVAL;
	}
	return *v == '\0' ? 0 : -EINVAL;
}

/* Comma-separated feature names; an empty item or an unknown name is an error. */
static int
parse_features(const struct src *s, const char *key, char *v, uint64_t *out)
{
	char known[512], *item, *next;
	const struct vhacc_feature_name *f;
	uint64_t set = 0;

	for (item = v; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0')
			return fail(s, key, "empty feature name in the list");
		for (f = vhacc_feature_names; f->name != NULL; f++)
			if (strcmp(f->name, item) == 0)
				break;
		if (f->name == NULL) {
			const char *names[64];
			size_t n = 0;

			for (f = vhacc_feature_names; f->name != NULL && n < 63; f++)
				names[n++] = f->name;
			names[n] = NULL;
			join_names(known, sizeof(known), names);
			return fail(s, key, "unknown feature '" Q "' (known: %s)", item, known);
		}
		set |= BIT(f->bit);
	}
	*out = set;
	return 0;
}

static int
check_offer(const struct src *s, const char *key, uint64_t offer)
{
	const struct vhacc_feature_name *f;

	for (f = vhacc_feature_names; f->name != NULL; f++)
		if ((offer & BIT(f->bit)) && (UNSUPPORTED_FEATURES & BIT(f->bit)))
			return fail(
				s, key, "feature '%s' is not supported by this vhacc yet", f->name);
	if (!(offer & BIT(VIRTIO_F_VERSION_1)))
		return fail(s, key, "version_1 must be offered: vhacc requires it");
	return 0;
}

static int
check_mask(const struct src *s, const char *key, uint64_t mask)
{
	if (mask & BIT(VIRTIO_F_VERSION_1))
		return fail(s, key, "version_1 cannot be masked: vhacc requires it");
	return 0;
}

/* ---- objects --------------------------------------------------------------------------- */

void
vhacc_config_init(struct vhacc_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->run_dir, sizeof(c->run_dir), "%s", RUN_DIR_DEFAULT);
	c->mbufs = MBUFS_DEFAULT;
	c->burst = BURST_DEFAULT;
}

static int
find_port(const struct vhacc_config *c, const char *name)
{
	uint16_t i;

	for (i = 0; i < c->nports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return i;
	return -1;
}

/* Returns the index of the new port, or -EINVAL. */
static int
add_port(struct vhacc_config *c, const char *name, const struct src *s, const char *key)
{
	struct vhacc_port_conf *p;
	uint16_t idx = c->nports;

	if (!valid_port_name(name))
		return bad_port_name(s, key, name);
	if (c->nports >= VHACC_MAX_PORTS)
		return fail(s, key, "too many ports (at most %d)", VHACC_MAX_PORTS);
	p = &c->ports[idx];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->socket, sizeof(p->socket), "%s.sock", name);
	p->queue_pairs = 1;
	p->features = DEFAULT_FEATURES;
	p->mac[0] = 0x02;
	p->mac[5] = (uint8_t)(idx + 1);
	p->mtu = MTU_DEFAULT;
	p->attach = VHACC_ATTACH_LOOPBACK;
	c->nports++;
	return idx;
}

static int
find_worker(const struct vhacc_config *c, unsigned int lcore)
{
	uint16_t i;

	for (i = 0; i < c->nworkers; i++)
		if (c->workers[i].lcore == lcore)
			return i;
	return -1;
}

static int
add_worker(struct vhacc_config *c, unsigned int lcore, const struct src *s, const char *key)
{
	struct vhacc_worker_conf *w;

	if (c->nworkers >= VHACC_MAX_WORKERS)
		return fail(s, key, "too many workers (at most %d)", VHACC_MAX_WORKERS);
	w = &c->workers[c->nworkers];
	w->lcore = lcore;
	w->nqps = 0;
	return c->nworkers++;
}

static int
parse_lcore(const struct src *s, const char *key, const char *v, unsigned int *lcore)
{
	uint64_t x;
	int ret = parse_uint(v, 0, LCORE_MAX, &x);

	if (ret == -EINVAL)
		return fail(s, key, "'" Q "' is not an lcore number (0..%d)", v, LCORE_MAX);
	if (ret != 0)
		return fail(s, key, Q " is out of range 0..%d", v, LCORE_MAX);
	*lcore = (unsigned int)x;
	return 0;
}

/* "vm1:0, vm1:2-5, vm2:all": replaces the worker's list. Ports must exist. */
static int
set_worker_queues(
	struct vhacc_config *c, uint16_t widx, char *v, const struct src *s, const char *key)
{
	struct vhacc_worker_conf *w = &c->workers[widx];
	struct vhacc_qp_ref refs[DIM(w->qps)];
	char *item, *next, *colon, *qp, *dash;
	uint16_t n = 0;
	uint64_t x, last;
	int port;

	for (item = v; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0')
			return fail(s, key,
				"empty entry in the list (entries are port:qp or port:all)");
		colon = strchr(item, ':');
		if (colon == NULL)
			return fail(s, key, "'" Q "' is not port:qp or port:all", item);
		*colon = '\0';
		qp = trim(colon + 1);
		item = trim(item);
		port = find_port(c, item);
		if (port < 0) {
			if (!valid_port_name(item))
				return bad_port_name(s, key, item);
			return fail(s, key, "port '" Q "' does not exist", item);
		}
		dash = strchr(qp, '-');
		if (dash != NULL)
			*dash = '\0';
		if (strcmp(qp, "all") == 0 && dash == NULL) {
			x = last = QP_ALL;
		} else if (parse_uint(qp, 0, VHACC_MAX_QUEUE_PAIRS - 1, &x) != 0 ||
			   (dash != NULL && (parse_uint(dash + 1, 0, VHACC_MAX_QUEUE_PAIRS - 1,
						     &last) != 0 ||
						    last < x))) {
			if (dash != NULL)
				*dash = '-';
			return fail(s, key,
				"%s: '" Q
				"' is not a queue pair number (0..%d), a range A-B or all",
				c->ports[port].name, qp, VHACC_MAX_QUEUE_PAIRS - 1);
		} else if (dash == NULL) {
			last = x;
		}
		for (;; x++) {
			if (n == DIM(refs))
				return fail(s, key, "too many entries (at most %zu)", DIM(refs));
			refs[n].port = (uint16_t)port;
			refs[n].qp = (uint16_t)x;
			n++;
			if (x == last)
				break;
		}
	}
	memcpy(w->qps, refs, n * sizeof(refs[0]));
	w->nqps = n;
	return 0;
}

/* ---- keys ------------------------------------------------------------------------------ */

static int
unknown_key(const struct src *s, const char *key, const char *section, const char *const *keys)
{
	char names[256];

	join_names(names, sizeof(names), keys);
	return fail(s, key, "unknown key in [%s] (valid keys: %s)", section, names);
}

static bool
key_known(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, key) == 0)
			return true;
	return false;
}

static int
set_global(struct vhacc_config *c, const char *name, const char *v, const struct src *s,
	const char *key)
{
	uint64_t x;
	int ret;

	if (strcmp(name, "run_dir") == 0) {
		if (v[0] != '/')
			return fail(s, key, "'" Q "' is not an absolute path", v);
		if (strlen(v) >= sizeof(c->run_dir))
			return fail(s, key, "path too long (at most %zu characters)",
				sizeof(c->run_dir) - 1);
		snprintf(c->run_dir, sizeof(c->run_dir), "%s", v);
		return 0;
	}
	if (strcmp(name, "mbufs") == 0) {
		ret = set_uint(s, key, v, MBUFS_MIN, MBUFS_MAX, &x);
		if (ret == 0)
			c->mbufs = (uint32_t)x;
		return ret;
	}
	if (strcmp(name, "burst") == 0) {
		ret = set_uint(s, key, v, BURST_MIN, BURST_MAX, &x);
		if (ret == 0)
			c->burst = (uint16_t)x;
		return ret;
	}
	return unknown_key(s, key, "global", global_keys);
}

static int
set_attach(struct vhacc_port_conf *p, const char *v, const struct src *s, const char *key)
{
	if (strcmp(v, "loopback") == 0) {
		p->attach = VHACC_ATTACH_LOOPBACK;
		p->xconnect_peer[0] = '\0';
		p->ethdev_devargs[0] = '\0';
		return 0;
	}
	if (strncmp(v, "xconnect:", 9) == 0) {
		if (!valid_port_name(v + 9))
			return bad_port_name(s, key, v + 9);
		p->attach = VHACC_ATTACH_XCONNECT;
		snprintf(p->xconnect_peer, sizeof(p->xconnect_peer), "%s", v + 9);
		p->ethdev_devargs[0] = '\0';
		return 0;
	}
	if (strncmp(v, "ethdev:", 7) == 0) {
		if (v[7] == '\0')
			return fail(s, key, "ethdev: needs devargs, e.g. ethdev:net_ring0");
		if (strlen(v + 7) >= sizeof(p->ethdev_devargs))
			return fail(s, key, "devargs too long (at most %zu characters)",
				sizeof(p->ethdev_devargs) - 1);
		p->attach = VHACC_ATTACH_ETHDEV;
		snprintf(p->ethdev_devargs, sizeof(p->ethdev_devargs), "%s", v + 7);
		p->xconnect_peer[0] = '\0';
		return 0;
	}
	return fail(s, key, "'" Q "' is not loopback, xconnect:<port> or ethdev:<devargs>", v);
}

/* Deferred per-port feature changes of one layer: features = (offer ?: features) & ~mask. */
struct feat_layer {
	uint64_t offer, mask;
	bool has_offer, has_mask;
};

static void
apply_features(struct vhacc_port_conf *p, const struct feat_layer *fl)
{
	if (fl->has_offer) {
		p->features = fl->offer;
		p->masked = 0; /* an offer replaces what earlier masks removed */
	}
	if (fl->has_mask) {
		p->features &= ~fl->mask;
		p->masked |= fl->mask;
	}
}

static int
set_port(struct vhacc_port_conf *p, struct feat_layer *fl, const char *name, char *v,
	const struct src *s, const char *key)
{
	uint64_t x;
	int ret;

	if (strcmp(name, "socket") == 0) {
		if (strlen(v) >= sizeof(p->socket))
			return fail(s, key, "socket path too long (at most %zu characters)",
				sizeof(p->socket) - 1);
		snprintf(p->socket, sizeof(p->socket), "%s", v);
		return 0;
	}
	if (strcmp(name, "mode") == 0) {
		if (strcmp(v, "server") == 0)
			p->client = false;
		else if (strcmp(v, "client") == 0)
			p->client = true;
		else
			return fail(s, key, "'" Q "' is not server or client", v);
		return 0;
	}
	if (strcmp(name, "start_mode") == 0) {
		if (strcmp(v, "active") == 0)
			p->start_frozen = false;
		else if (strcmp(v, "freeze") == 0)
			p->start_frozen = true;
		else
			return fail(s, key, "'" Q "' is not active or freeze", v);
		return 0;
	}
	if (strcmp(name, "queue_pairs") == 0) {
		ret = set_uint(s, key, v, 1, VHACC_MAX_QUEUE_PAIRS, &x);
		if (ret == 0)
			p->queue_pairs = (uint16_t)x;
		return ret;
	}
	if (strcmp(name, "mtu") == 0) {
		ret = set_uint(s, key, v, MTU_MIN, MTU_MAX, &x);
		if (ret == 0)
			p->mtu = (uint16_t)x;
		return ret;
	}
	if (strcmp(name, "mac") == 0) {
		uint8_t mac[6];

		if (parse_mac(v, mac) != 0)
			return fail(s, key, "'" Q "' is not a MAC address (xx:xx:xx:xx:xx:xx)", v);
		if (mac[0] & 1)
			return fail(
				s, key, Q " is a multicast address; a port needs a unicast one", v);
		if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
			return fail(
				s, key, Q " is the zero address; a port needs a unicast one", v);
		memcpy(p->mac, mac, sizeof(mac));
		p->mac_set = true;
		return 0;
	}
	if (strcmp(name, "attach") == 0)
		return set_attach(p, v, s, key);
	if (strcmp(name, "offer") == 0 || strcmp(name, "mask") == 0) {
		bool offer = name[0] == 'o';

		ret = parse_features(s, key, v, &x);
		if (ret == 0)
			ret = offer ? check_offer(s, key, x) : check_mask(s, key, x);
		if (ret != 0)
			return ret;
		if (offer) {
			fl->offer = x;
			fl->has_offer = true;
		} else {
			fl->mask = x;
			fl->has_mask = true;
		}
		return 0;
	}
	return unknown_key(s, key, "port NAME", port_keys);
}

/* ---- configuration text ---------------------------------------------------------------- */

enum section { SEC_NONE, SEC_GLOBAL, SEC_PORT, SEC_WORKER };

/* What one text sets aside until its end, and which sections it has seen. */
struct parse_state {
	struct vhacc_config *c;
	struct src s;
	enum section sec;
	int idx; /* port or worker index of the current section */
	unsigned int global_line;
	unsigned int port_line[VHACC_MAX_PORTS];
	struct feat_layer feat[VHACC_MAX_PORTS];
	unsigned int worker_line[VHACC_MAX_WORKERS];
	char *queues[VHACC_MAX_WORKERS];
	unsigned int queues_line[VHACC_MAX_WORKERS];
};

static int
parse_section(struct parse_state *st, char *line)
{
	struct vhacc_config *c = st->c;
	char *end = line + strlen(line) - 1, *kind, *arg;
	unsigned int lcore = 0, *first;
	int idx;

	if (*end != ']')
		return fail(&st->s, line, "section header without closing ']'");
	*end = '\0';
	kind = trim(line + 1);
	arg = kind + strcspn(kind, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg = trim(arg);

	if (strcmp(kind, "global") == 0) {
		if (*arg != '\0')
			return fail(&st->s, "[global]", "[global] takes no name");
		if (st->global_line != 0)
			return fail(&st->s, "[global]", "duplicate section (first at line %u)",
				st->global_line);
		st->global_line = st->s.line;
		st->sec = SEC_GLOBAL;
		return 0;
	}
	if (strcmp(kind, "port") == 0) {
		char key[VHACC_NAME_MAX + 80];

		snprintf(key, sizeof(key), "[port%s%.*s]", *arg ? " " : "", VHACC_NAME_MAX + 64,
			arg);
		if (*arg == '\0')
			return fail(&st->s, key, "missing port name: [port NAME]");
		idx = find_port(c, arg);
		if (idx < 0)
			idx = add_port(c, arg, &st->s, key);
		if (idx < 0)
			return idx;
		first = &st->port_line[idx];
	} else if (strcmp(kind, "worker") == 0) {
		char key[80];
		int ret;

		snprintf(key, sizeof(key), "[worker%s%.64s]", *arg ? " " : "", arg);
		if (*arg == '\0')
			return fail(&st->s, key, "missing lcore number: [worker LCORE]");
		ret = parse_lcore(&st->s, key, arg, &lcore);
		if (ret != 0)
			return ret;
		idx = find_worker(c, lcore);
		if (idx < 0)
			idx = add_worker(c, lcore, &st->s, key);
		if (idx < 0)
			return idx;
		first = &st->worker_line[idx];
	} else {
		char key[160];

		snprintf(key, sizeof(key), "[%.64s%s%.64s]", kind, *arg ? " " : "", arg);
		return fail(&st->s, key,
			"unknown section (valid: [global], [port NAME], [worker LCORE])");
	}
	if (*first != 0) {
		char key[VHACC_NAME_MAX + 16];

		if (kind[0] == 'p')
			snprintf(key, sizeof(key), "[port %s]", c->ports[idx].name);
		else
			snprintf(key, sizeof(key), "[worker %u]", lcore);
		return fail(&st->s, key, "duplicate section (first at line %u)", *first);
	}
	*first = st->s.line;
	st->sec = kind[0] == 'p' ? SEC_PORT : SEC_WORKER;
	st->idx = idx;
	return 0;
}

static int
parse_key_value(struct parse_state *st, char *line)
{
	char *eq = strchr(line, '='), *key, *v;

	if (eq == NULL)
		return fail(&st->s, line, "not a section header or a key = value line");
	*eq = '\0';
	key = trim(line);
	v = trim(eq + 1);
	if (*key == '\0')
		return fail(&st->s, "=", "no key before '='");
	if (*v == '\0')
		return fail(&st->s, key, "value is empty");
	switch (st->sec) {
	case SEC_GLOBAL:
		return set_global(st->c, key, v, &st->s, key);
	case SEC_PORT:
		return set_port(&st->c->ports[st->idx], &st->feat[st->idx], key, v, &st->s, key);
	case SEC_WORKER:
		if (strcmp(key, "queues") != 0)
			return unknown_key(&st->s, key, "worker LCORE", worker_keys);
		/* Applied at the end of the text: ports may be defined further down. */
		st->queues[st->idx] = v;
		st->queues_line[st->idx] = st->s.line;
		return 0;
	case SEC_NONE:
	default:
		return fail(&st->s, key,
			"key outside a section (start with [global], [port NAME] or "
			"[worker LCORE])");
	}
}

/* Drop a comment: '#' at the start of the line or after whitespace. */
static void
strip_comment(char *line)
{
	char *p;

	for (p = line; *p != '\0'; p++)
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

static int
parse_text(struct parse_state *st, char *text)
{
	char *line, *next;
	uint16_t i;
	int ret;

	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		st->s.line++;
		strip_comment(line);
		line = trim(line);
		if (*line == '\0')
			continue;
		ret = line[0] == '[' ? parse_section(st, line) : parse_key_value(st, line);
		if (ret != 0)
			return ret;
	}
	for (i = 0; i < st->c->nports; i++)
		apply_features(&st->c->ports[i], &st->feat[i]);
	for (i = 0; i < st->c->nworkers; i++) {
		if (st->queues[i] == NULL)
			continue;
		st->s.line = st->queues_line[i];
		ret = set_worker_queues(st->c, i, st->queues[i], &st->s, "queues");
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
vhacc_config_parse(
	struct vhacc_config *c, const char *text, const char *origin, char *err, size_t errlen)
{
	struct parse_state *st;
	char *copy;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (origin == NULL)
		origin = "<config>";
	st = calloc(1, sizeof(*st));
	copy = strdup(text);
	if (st == NULL || copy == NULL) {
		free(st);
		free(copy);
		set_err(err, errlen, "%s: out of memory", origin);
		return -ENOMEM;
	}
	st->c = c;
	st->s.origin = origin;
	st->s.err = err;
	st->s.errlen = errlen;
	ret = parse_text(st, copy);
	free(copy);
	free(st);
	return ret;
}

int
vhacc_config_load(struct vhacc_config *c, const char *path, char *err, size_t errlen)
{
	const char *origin = strrchr(path, '/');
	struct stat sb;
	char *buf;
	ssize_t n = 0;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (S_ISDIR(sb.st_mode)) {
		close(fd);
		set_err(err, errlen, "%s: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	buf = malloc(FILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		set_err(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* Read one byte more than allowed to notice a file that is too large. */
	while (len <= FILE_MAX) {
		n = read(fd, buf + len, FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret != 0) {
		set_err(err, errlen, "%s: %s", path, strerror(-ret));
	} else if (len > FILE_MAX) {
		set_err(err, errlen, "%s: file too large (at most %d bytes)", path, FILE_MAX);
		ret = -EFBIG;
	} else if (memchr(buf, '\0', len) != NULL) {
		set_err(err, errlen, "%s: not a text file (contains a NUL byte)", path);
		ret = -EINVAL;
	} else {
		buf[len] = '\0';
		ret = vhacc_config_parse(c, buf, origin != NULL ? origin + 1 : path, err, errlen);
	}
	free(buf);
	return ret;
}

/* ---- overrides ------------------------------------------------------------------------- */

int
vhacc_config_set(struct vhacc_config *c, const char *assignment, char *err, size_t errlen)
{
	char buf[VHACC_DEVARGS_MAX + VHACC_PATH_MAX + 64];
	struct src s = {.origin = NULL, .err = err, .errlen = errlen};
	char *eq, *key, *v, *name, *dot;
	int idx, ret;

	size_t len = strlen(assignment);

	/* Copy first: callers may hand the same buffer as assignment and err. */
	snprintf(buf, sizeof(buf), "%s", assignment);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len >= sizeof(buf))
		return set_err(err, errlen,
			"'" Q "...': override too long (at most %zu characters)", buf,
			sizeof(buf) - 1);
	eq = strchr(buf, '=');
	if (eq == NULL)
		return set_err(err, errlen,
			"'" Q "': expected <section>.<key>=<value>, e.g. port.vm1.mtu=9000", buf);
	*eq = '\0';
	key = trim(buf);
	v = trim(eq + 1);
	if (*key == '\0')
		return set_err(err, errlen, "'=" Q "': no key before '='", v);
	if (*v == '\0')
		return fail(&s, key, "value is empty");

	if (strncmp(key, "global.", 7) == 0)
		return set_global(c, key + 7, v, &s, key);

	if (strncmp(key, "port.", 5) == 0 || strncmp(key, "worker.", 7) == 0) {
		bool port = key[0] == 'p';
		char sub[VHACC_NAME_MAX + 64];

		name = key + (port ? 5 : 7);
		dot = strchr(name, '.');
		if (dot == NULL)
			return fail(&s, key, "expected %s",
				port ? "port.NAME.KEY" : "worker.LCORE.KEY");
		snprintf(sub, sizeof(sub), "%.*s", (int)(dot - name), name);
		if (port) {
			struct feat_layer fl = {0};

			if (!key_known(dot + 1, port_keys))
				return unknown_key(&s, key, "port NAME", port_keys);
			idx = find_port(c, sub);
			if (idx < 0)
				idx = add_port(c, sub, &s, key);
			if (idx < 0)
				return idx;
			ret = set_port(&c->ports[idx], &fl, dot + 1, v, &s, key);
			if (ret == 0)
				apply_features(&c->ports[idx], &fl);
			return ret;
		}
		{
			unsigned int lcore;

			if (!key_known(dot + 1, worker_keys))
				return unknown_key(&s, key, "worker LCORE", worker_keys);
			ret = parse_lcore(&s, key, sub, &lcore);
			if (ret != 0)
				return ret;
			idx = find_worker(c, lcore);
			if (idx < 0)
				idx = add_worker(c, lcore, &s, key);
			if (idx < 0)
				return idx;
			return set_worker_queues(c, (uint16_t)idx, v, &s, key);
		}
	}
	return fail(&s, key, "unknown section (use global.KEY, port.NAME.KEY or worker.LCORE.KEY)");
}

/* ---- validation ------------------------------------------------------------------------ */

static const char *
attach_text(const struct vhacc_port_conf *p, char *buf, size_t len)
{
	if (p->attach == VHACC_ATTACH_XCONNECT)
		snprintf(buf, len, "xconnect:%s", p->xconnect_peer);
	else if (p->attach == VHACC_ATTACH_ETHDEV)
		snprintf(buf, len, "ethdev:%.64s", p->ethdev_devargs);
	else
		snprintf(buf, len, "loopback");
	return buf;
}

/*
 * Multiqueue: virtio-net negotiates more than one queue pair only with mq,
 * and mq requires ctrl_vq (the frontend, not vhacc, serves the control
 * queue: it tells vhacc which vrings to use with SET_VRING_ENABLE). A port
 * with queue_pairs > 1 offers both whatever its offer list says; a mask
 * that removes either from such a port is an error. A one-queue-pair port
 * offers them only when asked.
 */
#define MQ_FEATURES (BIT(VIRTIO_NET_F_MQ) | BIT(VIRTIO_NET_F_CTRL_VQ))

static int
validate_mq(struct vhacc_port_conf *p, char *err, size_t errlen)
{
	if (p->queue_pairs > 1) {
		if (p->masked & MQ_FEATURES)
			return set_err(err, errlen,
				"port %s: mask: %s cannot be masked on a port with %u queue "
				"pairs (multiqueue needs mq and ctrl_vq)",
				p->name, (p->masked & BIT(VIRTIO_NET_F_MQ)) ? "mq" : "ctrl_vq",
				p->queue_pairs);
		p->features |= MQ_FEATURES;
	}
	if ((p->features & BIT(VIRTIO_NET_F_MQ)) && !(p->features & BIT(VIRTIO_NET_F_CTRL_VQ)))
		return set_err(err, errlen,
			"port %s: offer: mq needs ctrl_vq (virtio-net requires the control "
			"queue for multiqueue)",
			p->name);
	return 0;
}

static int
validate_ports(struct vhacc_config *c, char *err, size_t errlen)
{
	char buf[VHACC_PATH_MAX * 2];
	uint16_t i, j;
	size_t dl;
	int peer;

	for (i = 0; i < c->nports; i++) {
		struct vhacc_port_conf *p = &c->ports[i];

		if (validate_mq(p, err, errlen) != 0)
			return -EINVAL;
		if (p->socket[0] == '\0')
			return set_err(err, errlen, "port %s: socket: the path is empty", p->name);
		if (p->socket[0] != '/') {
			dl = strlen(c->run_dir);
			while (dl > 0 && c->run_dir[dl - 1] == '/')
				dl--;
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)dl, c->run_dir, p->socket);
			if (strlen(buf) >= sizeof(p->socket))
				return set_err(err, errlen,
					"port %s: socket: path too long under run_dir %s (%zu "
					"characters, at most %zu)",
					p->name, c->run_dir, strlen(buf), SOCKET_PATH_MAX);
			memcpy(p->socket, buf, strlen(buf) + 1);
		}
		if (strlen(p->socket) > SOCKET_PATH_MAX)
			return set_err(err, errlen,
				"port %s: socket: path too long for a unix socket (%zu characters, "
				"at most %zu)",
				p->name, strlen(p->socket), SOCKET_PATH_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(c->ports[j].socket, p->socket) == 0)
				return set_err(err, errlen,
					"port %s: socket: %s is already the socket of port %s",
					p->name, p->socket, c->ports[j].name);
	}

	for (i = 0; i < c->nports; i++) {
		struct vhacc_port_conf *p = &c->ports[i], *q;

		if (p->attach != VHACC_ATTACH_XCONNECT)
			continue;
		if (strcmp(p->xconnect_peer, p->name) == 0)
			return set_err(err, errlen,
				"port %s: attach: cannot xconnect a port to itself (use loopback)",
				p->name);
		peer = find_port(c, p->xconnect_peer);
		if (peer < 0)
			return set_err(err, errlen,
				"port %s: attach: xconnect peer '%s' does not exist", p->name,
				p->xconnect_peer);
		q = &c->ports[peer];
		if (q->attach != VHACC_ATTACH_XCONNECT || strcmp(q->xconnect_peer, p->name) != 0)
			return set_err(err, errlen,
				"port %s: attach: xconnect peer '%s' is attached to %s, not "
				"xconnect:%s",
				p->name, q->name, attach_text(q, buf, sizeof(buf)), p->name);
		if (p->queue_pairs != q->queue_pairs)
			return set_err(err, errlen,
				"port %s: queue_pairs: %u, but xconnect peer '%s' has %u", p->name,
				p->queue_pairs, q->name, q->queue_pairs);
		p->xconnect_peer_idx = (uint16_t)peer;
	}
	return 0;
}

static int
validate_workers(struct vhacc_config *c, char *err, size_t errlen)
{
	/* owner[port][qp]: 1 + index of the worker that polls it, 0 for none. */
	uint8_t owner[VHACC_MAX_PORTS][VHACC_MAX_QUEUE_PAIRS];
	struct vhacc_qp_ref refs[VHACC_MAX_PORTS * VHACC_MAX_QUEUE_PAIRS];
	uint16_t w, i, n, q, first, last;

	memset(owner, 0, sizeof(owner));
	for (w = 0; w < c->nworkers; w++) {
		struct vhacc_worker_conf *wc = &c->workers[w];

		n = 0;
		for (i = 0; i < wc->nqps; i++) {
			const struct vhacc_qp_ref *r = &wc->qps[i];
			const struct vhacc_port_conf *p;

			if (r->port >= c->nports)
				return set_err(err, errlen,
					"worker %u: queues: port #%u does not exist", wc->lcore,
					r->port);
			p = &c->ports[r->port];
			if (r->qp == QP_ALL) {
				first = 0;
				last = p->queue_pairs - 1;
			} else if (r->qp >= p->queue_pairs) {
				return set_err(err, errlen,
					"worker %u: queues: %s:%u: port %s has %u queue pair(s) "
					"(0..%u)",
					wc->lcore, p->name, r->qp, p->name, p->queue_pairs,
					p->queue_pairs - 1);
			} else {
				first = last = r->qp;
			}
			for (q = first; q <= last; q++) {
				uint8_t o = owner[r->port][q];

				if (o == w + 1)
					return set_err(err, errlen,
						"worker %u: queues: %s:%u is listed twice",
						wc->lcore, p->name, q);
				if (o != 0)
					return set_err(err, errlen,
						"worker %u: queues: %s:%u is already assigned to "
						"worker %u",
						wc->lcore, p->name, q, c->workers[o - 1].lcore);
				owner[r->port][q] = (uint8_t)(w + 1);
				refs[n].port = r->port;
				refs[n].qp = q;
				n++;
			}
		}
		memcpy(wc->qps, refs, n * sizeof(refs[0]));
		wc->nqps = n;
	}
	if (c->nworkers == 0)
		return 0;
	for (i = 0; i < c->nports; i++)
		for (q = 0; q < c->ports[i].queue_pairs; q++)
			if (owner[i][q] == 0)
				return set_err(err, errlen,
					"port %s: queues: queue pair %u is not assigned to any "
					"worker "
					"(with [worker] sections, every queue pair needs one)",
					c->ports[i].name, q);
	return 0;
}

int
vhacc_config_validate(struct vhacc_config *c, char *err, size_t errlen)
{
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (c->nports == 0)
		return set_err(err, errlen,
			"no ports: the configuration needs at least one [port NAME] section");
	ret = validate_ports(c, err, errlen);
	if (ret == 0)
		ret = validate_workers(c, err, errlen);
	return ret;
}

int
vhacc_config_assign_default(struct vhacc_config *c, const unsigned int *lcores, unsigned int n,
	char *err, size_t errlen)
{
	unsigned int k = 0, i, j;
	uint16_t p, q, nw = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (c->nworkers != 0)
		return set_err(err, errlen,
			"workers: queue pairs are already assigned by [worker] sections");
	if (n == 0 || lcores == NULL)
		return set_err(err, errlen, "workers: no worker lcore to assign queue pairs to");
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (lcores[i] == lcores[j])
				return set_err(err, errlen, "workers: lcore %u is listed twice",
					lcores[i]);
	/* Only lcores that receive a queue pair get a worker entry. */
	for (p = 0; p < c->nports; p++)
		for (q = 0; q < c->ports[p].queue_pairs; q++, k++)
			if (k < n)
				nw++;
	if (nw > VHACC_MAX_WORKERS)
		return set_err(err, errlen, "workers: too many worker lcores (at most %d)",
			VHACC_MAX_WORKERS);
	for (i = 0; i < nw; i++) {
		c->workers[i].lcore = lcores[i];
		c->workers[i].nqps = 0;
	}
	c->nworkers = nw;
	k = 0;
	for (p = 0; p < c->nports; p++)
		for (q = 0; q < c->ports[p].queue_pairs; q++, k++) {
			struct vhacc_worker_conf *w = &c->workers[k % n];

			w->qps[w->nqps].port = p;
			w->qps[w->nqps].qp = q;
			w->nqps++;
		}
	return 0;
}
