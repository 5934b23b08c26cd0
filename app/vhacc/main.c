/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhacc: parse -> configuration -> EAL -> modules -> launch workers ->
 * control loop -> shutdown. The main lcore is the control lcore.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "vhacc_app.h"
#include "vhacc_config.h"
#include "vhacc_ctl.h"
#include "vhacc_dp.h"
#include "vhacc_port.h"
#include "vhacc_telemetry.h"

#define MAX_EAL_ARGS 64
#define MBUF_CACHE   256

static const char *const default_eal_args[] = {
	"-l",
	"0,1",
	"--in-memory",
	"--no-pci",
	"--file-prefix",
	"vhacc",
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: vhacc [options] [-- EAL options]\n"
		"\n"
		"A DPDK poll-mode vhost-user-net backend.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE    configuration file (default: the embedded configuration)\n"
		"  -s, --set KEY=VALUE  override one key, e.g. port.vm1.mtu=9000 (repeatable)\n"
		"      --run-dir DIR    directory for relative socket paths (global.run_dir)\n"
		"      --check          validate the configuration, print it, and exit\n"
		"      --print-default  print the embedded configuration and exit\n"
		"  -h, --help           this help\n"
		"\n"
		"EAL options after '--' replace the default: -l 0,1 --in-memory --no-pci\n"
		"--file-prefix vhacc. The first lcore is the control lcore, the others are\n"
		"workers. Telemetry: dpdk-telemetry.py -f <file-prefix>, commands under /vhacc/.\n"
		"See doc/configuration.md and doc/telemetry.md.\n");
}

struct args {
	const char *config;
	bool check;
	int nsets;
	const char *sets[256];
	int eal_argc;
	char *eal_argv[MAX_EAL_ARGS];
};

/* Returns 0 to go on, 1 to exit successfully, -1 on a usage error. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 's'},
		{"run-dir", required_argument, NULL, 'r'},
		{"check", no_argument, NULL, 'k'},
		{"print-default", no_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static char run_dir_set[VHACC_PATH_MAX + 32];
	int opt, i;

	memset(a, 0, sizeof(*a));
	a->eal_argv[a->eal_argc++] = argv[0];
	while ((opt = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->config = optarg;
			break;
		case 's':
		case 'r':
			if (a->nsets == (int)RTE_DIM(a->sets)) {
				fprintf(stderr, "vhacc: too many --set options\n");
				return -1;
			}
			if (opt == 'r') {
				snprintf(run_dir_set, sizeof(run_dir_set), "global.run_dir=%s",
					optarg);
				a->sets[a->nsets++] = run_dir_set;
			} else {
				a->sets[a->nsets++] = optarg;
			}
			break;
		case 'k':
			a->check = true;
			break;
		case 'p':
			fputs(vhacc_config_default_text, stdout);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		/* getopt_long stops at "--"; everything after it is for EAL. */
		if (strcmp(argv[optind - 1], "--") != 0) {
			fprintf(stderr,
				"vhacc: unexpected argument '%s' (EAL options go after --)\n",
				argv[optind]);
			return -1;
		}
		for (i = optind; i < argc; i++) {
			if (a->eal_argc == MAX_EAL_ARGS - 1) {
				fprintf(stderr, "vhacc: too many EAL options\n");
				return -1;
			}
			a->eal_argv[a->eal_argc++] = argv[i];
		}
	} else {
		for (i = 0; i < (int)RTE_DIM(default_eal_args); i++)
			a->eal_argv[a->eal_argc++] = (char *)(uintptr_t)default_eal_args[i];
	}
	return 0;
}

static int
load_config(const struct args *a, struct vhacc_config *c)
{
	char err[VHACC_ERR_MAX];
	int i, ret;

	vhacc_config_init(c);
	if (a->config != NULL)
		ret = vhacc_config_load(c, a->config, err, sizeof(err));
	else
		ret = vhacc_config_parse(
			c, vhacc_config_default_text, "<embedded>", err, sizeof(err));
	for (i = 0; ret == 0 && i < a->nsets; i++)
		ret = vhacc_config_set(c, a->sets[i], err, sizeof(err));
	if (ret == 0)
		ret = vhacc_config_validate(c, err, sizeof(err));
	if (ret != 0)
		fprintf(stderr, "vhacc: configuration error: %s\n", err);
	return ret;
}

static void
print_config(const struct vhacc_config *c)
{
	uint16_t i;

	printf("run_dir %s, %u mbufs, burst %u\n", c->run_dir, c->mbufs, c->burst);
	for (i = 0; i < c->nports; i++) {
		const struct vhacc_port_conf *p = &c->ports[i];

		printf("port %s: socket %s (%s), %u queue pair(s), mtu %u, features 0x%" PRIx64
		       ", attach %s%s\n",
			p->name, p->socket, p->client ? "client" : "server", p->queue_pairs, p->mtu,
			p->features,
			p->attach == VHACC_ATTACH_LOOPBACK   ? "loopback"
			: p->attach == VHACC_ATTACH_XCONNECT ? "xconnect:"
							     : "ethdev:",
			p->attach == VHACC_ATTACH_XCONNECT ? p->xconnect_peer
			: p->attach == VHACC_ATTACH_ETHDEV ? p->ethdev_devargs
							   : "");
	}
	for (i = 0; i < c->nworkers; i++)
		printf("worker %u: %u queue pair(s)\n", c->workers[i].lcore, c->workers[i].nqps);
}

/* Workers: every EAL lcore but the main one; check the configuration against them. */
static int
assign_workers(struct vhacc_config *c, unsigned int *lcores, unsigned int *n)
{
	char err[VHACC_ERR_MAX];
	unsigned int lc, i;

	*n = 0;
	RTE_LCORE_FOREACH_WORKER(lc) lcores[(*n)++] = lc;
	if (*n == 0) {
		fprintf(stderr, "vhacc: no worker lcore: give EAL at least two lcores (-l 0,1)\n");
		return -EINVAL;
	}
	for (i = 0; i < c->nworkers; i++)
		if (!rte_lcore_is_enabled(c->workers[i].lcore) ||
			c->workers[i].lcore == rte_get_main_lcore()) {
			fprintf(stderr,
				"vhacc: configuration error: worker %u: not a worker lcore of this "
				"EAL (main lcore %u, -l sets the lcores)\n",
				c->workers[i].lcore, rte_get_main_lcore());
			return -EINVAL;
		}
	if (c->nworkers == 0 && vhacc_config_assign_default(c, lcores, *n, err, sizeof(err)) != 0) {
		fprintf(stderr, "vhacc: configuration error: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	vhacc_ctl_request_stop();
}

static int
create_pools(const struct vhacc_config *c, struct rte_mempool **pools)
{
	unsigned int lc;

	RTE_LCORE_FOREACH(lc)
	{
		unsigned int s = rte_lcore_to_socket_id(lc);
		char name[RTE_MEMPOOL_NAMESIZE];

		if (s >= RTE_MAX_NUMA_NODES || pools[s] != NULL)
			continue;
		snprintf(name, sizeof(name), "vhacc_mbuf_%u", s);
		pools[s] = rte_pktmbuf_pool_create(
			name, c->mbufs, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, s);
		if (pools[s] == NULL) {
			fprintf(stderr,
				"vhacc: cannot create %u mbufs on socket %u: %s (hugepages "
				"reserved? see scripts/setup)\n",
				c->mbufs, s, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct vhacc_config cfg;
	static struct vhacc_dp_worker workers[RTE_MAX_LCORE];
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES] = {NULL};
	unsigned int lcores[RTE_MAX_LCORE], nworkers, i;
	struct args a;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret != 0)
		return ret > 0 ? 0 : 2;
	if (load_config(&a, &cfg) != 0)
		return 1;
	if (a.check) {
		print_config(&cfg);
		return 0;
	}
	if (mkdir(cfg.run_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr,
			"vhacc: configuration error: global.run_dir: cannot create %s: %s\n",
			cfg.run_dir, strerror(errno));
		return 1;
	}

	ret = rte_eal_init(a.eal_argc, a.eal_argv);
	if (ret < 0) {
		fprintf(stderr, "vhacc: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = 1;
	if (assign_workers(&cfg, lcores, &nworkers) != 0)
		goto out_eal;
	if (vhacc_ctl_init() != 0 || create_pools(&cfg, pools) != 0)
		goto out_ctl;

	for (i = 0; i < nworkers; i++)
		vhacc_dp_worker_init(&workers[i], lcores[i], cfg.burst);
	vhacc_port_init(workers, nworkers);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < nworkers; i++)
		rte_eal_remote_launch(vhacc_dp_worker_main, &workers[i], lcores[i]);

	printf("vhacc: run directory %s\n", cfg.run_dir);
	printf("vhacc: control lcore %u, %u worker lcore(s)\n", rte_get_main_lcore(), nworkers);
	if (vhacc_telemetry_init() != 0 || vhacc_app_port_ctl_init(&cfg, pools) != 0)
		fprintf(stderr, "vhacc: warning: telemetry commands not registered\n");
	if (vhacc_app_ports_create(&cfg, pools) == 0) {
		printf("vhacc: ready (Ctrl-C or SIGTERM to stop)\n");
		fflush(stdout);
		ret = 0;
		while (!vhacc_ctl_stop_requested())
			vhacc_ctl_poll(100);
		printf("vhacc: stopping\n");
	}

	vhacc_app_port_ctl_shutdown();
	vhacc_app_ports_destroy();
	for (i = 0; i < nworkers; i++)
		vhacc_dp_stop(&workers[i]);
	rte_eal_mp_wait_lcore();
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++)
		rte_mempool_free(pools[i]);
out_ctl:
	vhacc_ctl_fini();
out_eal:
	rte_eal_cleanup();
	printf("vhacc: stopped\n");
	return ret;
}
