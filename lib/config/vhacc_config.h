/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_CONFIG_H
#define VHACC_CONFIG_H

/*
 * vhacc configuration: parsing and validation. Runs on the main thread
 * before EAL init; needs no DPDK runtime (pure C, usable from unit tests).
 *
 * Format (doc/configuration.md): INI-like sections with key = value lines,
 * '#' comments. Sections: [global], [port <name>], [worker <lcore>].
 * Command-line overrides name the same keys with dots: --set port.vm1.mtu=9000,
 * --set global.run_dir=/tmp/x, --set worker.1.queues=vm1:0 (vhacc_config_set()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VHACC_MAX_PORTS       32
#define VHACC_MAX_QUEUE_PAIRS 16
#define VHACC_MAX_WORKERS     64
#define VHACC_NAME_MAX        32
#define VHACC_PATH_MAX        256
#define VHACC_DEVARGS_MAX     512
#define VHACC_ERR_MAX         512

/* Feature bits vhacc knows by name (virtio and vhost bit numbers). */
struct vhacc_feature_name {
	const char *name; /* "mrg_rxbuf", "in_order", ... */
	unsigned int bit;
};
extern const struct vhacc_feature_name vhacc_feature_names[];
/* Name of a feature bit, or NULL if vhacc has no name for it. */
const char *vhacc_feature_name(unsigned int bit);

/* Features offered by default (VERSION_1, MRG_RXBUF, INDIRECT_DESC, EVENT_IDX,
 * MTU, STATUS, MAC, LOG_ALL, IN_ORDER, plus VHOST_USER_F_PROTOCOL_FEATURES). */
uint64_t vhacc_config_default_features(void);

enum vhacc_attach_kind {
	VHACC_ATTACH_LOOPBACK = 0, /* "loopback" */
	VHACC_ATTACH_XCONNECT,     /* "xconnect:<port name>" */
	VHACC_ATTACH_ETHDEV,       /* "ethdev:<devargs>" */
};

struct vhacc_port_conf {
	char name[VHACC_NAME_MAX]; /* section name; letters, digits, '_' , '-' */
	char socket
		[VHACC_PATH_MAX]; /* absolute after validation (relative ones are under run_dir) */
	bool client;              /* mode = client: vhacc connects and reconnects */
	bool start_frozen;        /* start_mode = freeze: not polled until state_load + resume */
	uint16_t queue_pairs;     /* 1..VHACC_MAX_QUEUE_PAIRS, default 1 */
	uint64_t features; /* offered features after offer/mask (+ mq, ctrl_vq: validation) */
	uint64_t masked;   /* features removed by a mask since the last offer */
	uint8_t mac[6];
	bool mac_set; /* default: 02:00:00:00:00:<port index+1> */
	uint16_t mtu; /* 68..9000, default 1500 */
	enum vhacc_attach_kind attach;
	char xconnect_peer[VHACC_NAME_MAX];
	uint16_t xconnect_peer_idx; /* filled by validation */
	char ethdev_devargs[VHACC_DEVARGS_MAX];
};

/* One queue pair assigned to a worker. */
struct vhacc_qp_ref {
	uint16_t port; /* index into vhacc_config.ports */
	uint16_t qp;
};

struct vhacc_worker_conf {
	unsigned int lcore;
	uint16_t nqps;
	struct vhacc_qp_ref qps[VHACC_MAX_PORTS * VHACC_MAX_QUEUE_PAIRS];
};

struct vhacc_config {
	char run_dir[VHACC_PATH_MAX]; /* default /run/vhacc */
	uint32_t mbufs;               /* mbuf pool size, default 16384 */
	uint16_t burst;               /* packets per burst, 1..256, default 32 */
	uint16_t nports;
	struct vhacc_port_conf ports[VHACC_MAX_PORTS];
	/* Workers: from [worker N] sections; if there are none, validation
	 * leaves nworkers 0 and the app spreads queue pairs over its worker
	 * lcores round-robin (vhacc_config_assign_default()). */
	uint16_t nworkers;
	struct vhacc_worker_conf workers[VHACC_MAX_WORKERS];
};

/* Fill c with defaults and no ports. */
void vhacc_config_init(struct vhacc_config *c);

/*
 * Parse configuration text (file contents) into c, on top of what c holds.
 * `origin` names the source in errors ("vhacc.conf", "<embedded>").
 * Returns 0, or -EINVAL with one line in err: "<origin>:<line>: <key>: <reason>".
 */
int vhacc_config_parse(
	struct vhacc_config *c, const char *text, const char *origin, char *err, size_t errlen);

/* Read a file and parse it. -errno and a message on error (missing file included). */
int vhacc_config_load(struct vhacc_config *c, const char *path, char *err, size_t errlen);

/*
 * One command-line override "<section>.<key>=<value>", e.g. "global.mbufs=8192",
 * "port.vm1.mtu=9000" (creates port vm1 if absent), "worker.1.queues=vm1:0".
 */
int vhacc_config_set(struct vhacc_config *c, const char *assignment, char *err, size_t errlen);

/*
 * Cross-checks after all input: socket paths made absolute under run_dir and
 * unique, xconnect peers exist, are not the port itself and point back,
 * both sides of an xconnect have the same queue pair count, every queue
 * pair is assigned to at most one worker and, if any [worker] section
 * exists, to exactly one. Returns 0 or -EINVAL with the message in err.
 */
int vhacc_config_validate(struct vhacc_config *c, char *err, size_t errlen);

/* With no [worker] sections: spread every queue pair over lcores[0..n) round-robin. */
int vhacc_config_assign_default(struct vhacc_config *c, const unsigned int *lcores, unsigned int n,
	char *err, size_t errlen);

/* The embedded default configuration text (two server ports cross-connected, one worker). */
extern const char vhacc_config_default_text[];

#endif /* VHACC_CONFIG_H */
