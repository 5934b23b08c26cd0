/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/config: parsing, overrides, validation, default worker assignment. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhacc_config.h"

#define BIT(b) (1ULL << (b))

/* Bit numbers from the virtio spec and vhost-user, spelled out so the table is checked. */
#define F_CSUM              0
#define F_GUEST_CSUM        1
#define F_MTU               3
#define F_MAC               5
#define F_GUEST_TSO4        7
#define F_GUEST_TSO6        8
#define F_HOST_TSO4         11
#define F_HOST_TSO6         12
#define F_MRG_RXBUF         15
#define F_STATUS            16
#define F_CTRL_VQ           17
#define F_MQ                22
#define F_NOTIFY_ON_EMPTY   24
#define F_LOG_ALL           26
#define F_ANY_LAYOUT        27
#define F_INDIRECT_DESC     28
#define F_EVENT_IDX         29
#define F_PROTOCOL_FEATURES 30
#define F_VERSION_1         32
#define F_RING_PACKED       34
#define F_IN_ORDER          35

#define DEFAULT_FEATURES                                                                           \
	(BIT(F_VERSION_1) | BIT(F_MRG_RXBUF) | BIT(F_INDIRECT_DESC) | BIT(F_EVENT_IDX) |           \
		BIT(F_MTU) | BIT(F_STATUS) | BIT(F_MAC) | BIT(F_LOG_ALL) | BIT(F_IN_ORDER) |       \
		BIT(F_PROTOCOL_FEATURES) | BIT(F_CSUM) | BIT(F_GUEST_CSUM) | BIT(F_HOST_TSO4) |    \
		BIT(F_HOST_TSO6) | BIT(F_GUEST_TSO4) | BIT(F_GUEST_TSO6) | BIT(F_RING_PACKED))

static struct vhacc_config cfg;
static char err[VHACC_ERR_MAX];

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));               \
	} while (0)

#define assert_starts_with(hay, prefix)                                                            \
	do {                                                                                       \
		if (strncmp((hay), (prefix), strlen(prefix)) != 0)                                 \
			fail_msg("\"%s\" does not start with \"%s\"", (hay), (prefix));            \
	} while (0)

static void
assert_one_line(const char *e)
{
	assert_true(e[0] != '\0');
	assert_null(strchr(e, '\n'));
	assert_null(strchr(e, '\r'));
}

/* Fresh configuration with `text` parsed (and validated if asked); the test fails otherwise. */
static void
parse_ok(const char *text, bool validate)
{
	int ret;

	vhacc_config_init(&cfg);
	ret = vhacc_config_parse(&cfg, text, "t.conf", err, sizeof(err));
	if (ret != 0)
		fail_msg("parse failed: %d %s", ret, err);
	if (validate) {
		ret = vhacc_config_validate(&cfg, err, sizeof(err));
		if (ret != 0)
			fail_msg("validate failed: %d %s", ret, err);
	}
}

/* Parsing `text` fails with -EINVAL, err begins with `where` and contains `reason`. */
static void
parse_err(const char *text, const char *where, const char *reason)
{
	int ret;

	vhacc_config_init(&cfg);
	err[0] = '\0';
	ret = vhacc_config_parse(&cfg, text, "t.conf", err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg(
			"parse of <<%s>> returned %d (err '%s'), expected -EINVAL", text, ret, err);
	assert_one_line(err);
	assert_starts_with(err, where);
	assert_contains(err, reason);
}

/* `text` parses but validation fails with -EINVAL and an err containing `a` and `b`. */
static void
validate_err(const char *text, const char *a, const char *b)
{
	parse_ok(text, false);
	err[0] = '\0';
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_one_line(err);
	assert_contains(err, a);
	if (b != NULL)
		assert_contains(err, b);
}

static void
set_ok(const char *assignment)
{
	int ret = vhacc_config_set(&cfg, assignment, err, sizeof(err));

	if (ret != 0)
		fail_msg("set %s failed: %d %s", assignment, ret, err);
}

/* On top of the default text: the override fails, err starts with `key` and contains `reason`. */
static void
set_err(const char *assignment, const char *key, const char *reason)
{
	int ret;

	parse_ok(vhacc_config_default_text, false);
	err[0] = '\0';
	ret = vhacc_config_set(&cfg, assignment, err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg("set %s returned %d (err '%s'), expected -EINVAL", assignment, ret, err);
	assert_one_line(err);
	assert_starts_with(err, key);
	assert_contains(err, reason);
}

static int
port_idx(const char *name)
{
	uint16_t i;

	for (i = 0; i < cfg.nports; i++)
		if (strcmp(cfg.ports[i].name, name) == 0)
			return i;
	fail_msg("no port %s", name);
	return -1;
}

static const struct vhacc_port_conf *
port(const char *name)
{
	return &cfg.ports[port_idx(name)];
}

static void
assert_qp(const struct vhacc_worker_conf *w, uint16_t i, const char *name, uint16_t qp)
{
	assert_true(i < w->nqps);
	assert_string_equal(cfg.ports[w->qps[i].port].name, name);
	assert_int_equal(w->qps[i].qp, qp);
}

/* ---- defaults and the embedded text ---------------------------------------------------- */

static void
test_init_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	vhacc_config_init(&cfg);
	assert_string_equal(cfg.run_dir, "/run/vhacc");
	assert_int_equal(cfg.mbufs, 16384);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.nports, 0);
	assert_int_equal(cfg.nworkers, 0);
}

static void
test_default_text(void **state)
{
	const struct vhacc_port_conf *vm1, *vm2;

	(void)state;
	assert_non_null(strstr(vhacc_config_default_text, "#"));
	assert_null(strstr(vhacc_config_default_text, "\n[worker"));
	parse_ok(vhacc_config_default_text, true);
	assert_string_equal(cfg.run_dir, "/run/vhacc");
	assert_int_equal(cfg.nports, 2);
	assert_int_equal(cfg.nworkers, 0);
	vm1 = &cfg.ports[0];
	vm2 = &cfg.ports[1];
	assert_string_equal(vm1->name, "vm1");
	assert_string_equal(vm2->name, "vm2");
	assert_string_equal(vm1->socket, "/run/vhacc/vm1.sock");
	assert_string_equal(vm2->socket, "/run/vhacc/vm2.sock");
	assert_false(vm1->client);
	assert_false(vm2->client);
	assert_int_equal(vm1->attach, VHACC_ATTACH_XCONNECT);
	assert_int_equal(vm2->attach, VHACC_ATTACH_XCONNECT);
	assert_string_equal(vm1->xconnect_peer, "vm2");
	assert_string_equal(vm2->xconnect_peer, "vm1");
	assert_int_equal(vm1->xconnect_peer_idx, 1);
	assert_int_equal(vm2->xconnect_peer_idx, 0);
	assert_int_equal(vm1->features, DEFAULT_FEATURES);
	assert_int_equal(vm1->queue_pairs, 1);

	/* The app's flow: --run-dir after the text, then validation joins the paths. */
	parse_ok(vhacc_config_default_text, false);
	set_ok("global.run_dir=/tmp/x");
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.ports[0].socket, "/tmp/x/vm1.sock");
}

static void
test_port_defaults(void **state)
{
	const struct vhacc_port_conf *a, *b;
	static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};

	(void)state;
	parse_ok("[port a]\n[port b]\n", true);
	a = port("a");
	b = port("b");
	assert_string_equal(a->socket, "/run/vhacc/a.sock");
	assert_string_equal(b->socket, "/run/vhacc/b.sock");
	assert_false(a->client);
	assert_int_equal(a->queue_pairs, 1);
	assert_int_equal(a->features, DEFAULT_FEATURES);
	assert_memory_equal(a->mac, mac_a, 6);
	assert_memory_equal(b->mac, mac_b, 6);
	assert_false(a->mac_set);
	assert_int_equal(a->mtu, 1500);
	assert_int_equal(a->attach, VHACC_ATTACH_LOOPBACK);
	assert_int_equal(cfg.nworkers, 0);
}

static void
test_feature_names(void **state)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} want[] = {
		{"version_1", F_VERSION_1},
		{"mrg_rxbuf", F_MRG_RXBUF},
		{"indirect_desc", F_INDIRECT_DESC},
		{"event_idx", F_EVENT_IDX},
		{"mtu", F_MTU},
		{"status", F_STATUS},
		{"mac", F_MAC},
		{"log_all", F_LOG_ALL},
		{"in_order", F_IN_ORDER},
		{"protocol_features", F_PROTOCOL_FEATURES},
		{"ctrl_vq", F_CTRL_VQ},
		{"mq", F_MQ},
		{"csum", F_CSUM},
		{"guest_csum", F_GUEST_CSUM},
		{"host_tso4", F_HOST_TSO4},
		{"host_tso6", F_HOST_TSO6},
		{"guest_tso4", F_GUEST_TSO4},
		{"guest_tso6", F_GUEST_TSO6},
		{"packed", F_RING_PACKED},
		{"notify_on_empty", F_NOTIFY_ON_EMPTY},
		{"any_layout", F_ANY_LAYOUT},
	};
	const struct vhacc_feature_name *f;
	size_t i, n = 0;

	(void)state;
	for (f = vhacc_feature_names; f->name != NULL; f++)
		n++;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		const char *name = vhacc_feature_name(want[i].bit);

		assert_non_null(name);
		assert_string_equal(name, want[i].name);
	}
	assert_null(vhacc_feature_name(63));
	assert_null(vhacc_feature_name(2));
	assert_int_equal(vhacc_config_default_features(), DEFAULT_FEATURES);
}

/* ---- every key ------------------------------------------------------------------------- */

static void
test_every_key(void **state)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xCD, 0xef};
	const struct vhacc_port_conf *a, *b, *e;

	(void)state;
	parse_ok("[global]\n"
		 "run_dir = /var/run/vh\n"
		 "mbufs = 8192\n"
		 "burst = 64\n"
		 "[port a]\n"
		 "socket = /tmp/sockets/a.sock\n"
		 "mode = client\n"
		 "queue_pairs = 4\n"
		 "offer = version_1, mrg_rxbuf, any_layout\n"
		 "mask = mrg_rxbuf\n"
		 "mac = 52:54:00:ab:CD:ef\n"
		 "mtu = 9000\n"
		 "attach = xconnect:b\n"
		 "[port b]\n"
		 "socket = sub/b.sock\n"
		 "mode = server\n"
		 "queue_pairs = 4\n"
		 "attach = xconnect:a\n"
		 "[port e]\n"
		 "attach = ethdev:net_ring0,nodeaction=r1:0:CREATE\n"
		 "[worker 3]\n"
		 "queues = a:all, b:0\n"
		 "[worker 5]\n"
		 "queues = b:1,b:2 ,b:3, e:0\n",
		true);
	assert_string_equal(cfg.run_dir, "/var/run/vh");
	assert_int_equal(cfg.mbufs, 8192);
	assert_int_equal(cfg.burst, 64);
	a = port("a");
	b = port("b");
	e = port("e");
	assert_string_equal(a->socket, "/tmp/sockets/a.sock");
	assert_true(a->client);
	assert_int_equal(a->queue_pairs, 4);
	/* 4 queue pairs: validation adds mq and ctrl_vq. */
	assert_int_equal(
		a->features, BIT(F_VERSION_1) | BIT(F_ANY_LAYOUT) | BIT(F_MQ) | BIT(F_CTRL_VQ));
	assert_memory_equal(a->mac, mac, 6);
	assert_true(a->mac_set);
	assert_int_equal(a->mtu, 9000);
	assert_int_equal(a->attach, VHACC_ATTACH_XCONNECT);
	assert_string_equal(a->xconnect_peer, "b");
	assert_int_equal(a->xconnect_peer_idx, port_idx("b"));
	assert_string_equal(b->socket, "/var/run/vh/sub/b.sock");
	assert_false(b->client);
	assert_int_equal(e->attach, VHACC_ATTACH_ETHDEV);
	assert_string_equal(e->ethdev_devargs, "net_ring0,nodeaction=r1:0:CREATE");
	assert_int_equal(cfg.nworkers, 2);
	assert_int_equal(cfg.workers[0].lcore, 3);
	assert_int_equal(cfg.workers[0].nqps, 5);
	assert_qp(&cfg.workers[0], 0, "a", 0);
	assert_qp(&cfg.workers[0], 3, "a", 3);
	assert_qp(&cfg.workers[0], 4, "b", 0);
	assert_int_equal(cfg.workers[1].lcore, 5);
	assert_int_equal(cfg.workers[1].nqps, 4);
	assert_qp(&cfg.workers[1], 0, "b", 1);
	assert_qp(&cfg.workers[1], 2, "b", 3);
	assert_qp(&cfg.workers[1], 3, "e", 0);

	/* attach switches cleanly from one kind to another. */
	parse_ok("[port a]\nattach = ethdev:net_null0\nattach = loopback\n", true);
	assert_int_equal(port("a")->attach, VHACC_ATTACH_LOOPBACK);
	assert_string_equal(port("a")->ethdev_devargs, "");
}

static void
test_comments_whitespace(void **state)
{
	(void)state;
	/* '#' not preceded by whitespace is part of the value: the mtu line must fail. */
	parse_err("[port a]\nsocket = a#b.sock\nmtu=1000#x\n", "t.conf:3: mtu: ", "1000#x");
	parse_ok("# full-line comment\n"
		 "   # indented comment\n"
		 "\n"
		 "[global]   # trailing comment on a header\r\n"
		 "\tburst\t=\t16\t# trailing comment\r\n"
		 "[ port  a ]\n"
		 "socket = a#b.sock\n",
		true);
	assert_int_equal(cfg.burst, 16);
	assert_string_equal(port("a")->socket, "/run/vhacc/a#b.sock");
	/* Last line without a newline. */
	parse_ok("[port a]\nmtu = 1400", false);
	assert_int_equal(port("a")->mtu, 1400);
	/* Empty text parses to nothing; validation then wants a port. */
	parse_ok("", false);
	assert_int_equal(cfg.nports, 0);
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "no ports");
}

/* ---- errors ---------------------------------------------------------------------------- */

static void
test_syntax_errors(void **state)
{
	(void)state;
	parse_err("[global]\nburst = 1\n[bogus]\n", "t.conf:3: [bogus]: ", "unknown section");
	parse_err("[port a]\ncolour = red\n", "t.conf:2: colour: ", "unknown key");
	parse_err("[port a]\ncolour = red\n", "t.conf:2: colour: ", "queue_pairs");
	parse_err("[global]\nsocket = x\n", "t.conf:2: socket: ", "run_dir, mbufs, burst");
	parse_err("[worker 1]\nqueue = a:0\n", "t.conf:2: queue: ", "queues");
	parse_err("\nmtu = 1500\n[port a]\n", "t.conf:2: mtu: ", "outside a section");
	parse_err("[port a]\n\nmtu 1500\n", "t.conf:3: mtu 1500: ", "key = value");
	parse_err("[port a]\nmtu =\n", "t.conf:2: mtu: ", "value is empty");
	parse_err("[port a]\nmtu =    # only a comment\n", "t.conf:2: mtu: ", "value is empty");
	parse_err("[port a]\n= 5\n", "t.conf:2: ", "no key");
	parse_err("[port a\n", "t.conf:1: ", "']'");
	parse_err("[global x]\n", "t.conf:1: [global]: ", "no name");
	parse_err("[port]\n", "t.conf:1: [port]: ", "missing port name");
	parse_err("[port a.b]\n", "t.conf:1: [port a.b]: ", "not a valid port name");
	parse_err("[port a b]\n", "t.conf:1: [port a b]: ", "not a valid port name");
	parse_err(
		"[port abcdefghijklmnopqrstuvwxyz789012]\n", "t.conf:1: ", "not a valid port name");
	parse_ok("[port abcdefghijklmnopqrstuvwxyz7_-9A]\n", false); /* 31 characters */
	assert_string_equal(cfg.ports[0].name, "abcdefghijklmnopqrstuvwxyz7_-9A");
	parse_err("[worker]\n", "t.conf:1: [worker]: ", "missing lcore");
	parse_err("[worker one]\n", "t.conf:1: [worker one]: ", "not an lcore number");
	parse_err("[worker 1x]\n", "t.conf:1: [worker 1x]: ", "not an lcore number");
	parse_err("[worker 99999]\n", "t.conf:1: [worker 99999]: ", "out of range");
	parse_err("[port a]\n[port b]\n[port a]\n",
		"t.conf:3: [port a]: ", "duplicate section (first at line 1)");
	parse_err("[global]\n[global]\n", "t.conf:2: [global]: ", "duplicate section");
	parse_err("[port a]\n[worker 1]\nqueues = a:0\n[worker 1]\n",
		"t.conf:4: [worker 1]: ", "duplicate section (first at line 2)");
	parse_err("[global]\nrun_dir = relative/dir\n",
		"t.conf:2: run_dir: ", "not an absolute path");
	parse_err("[port a]\nmode = passive\n",
		"t.conf:2: mode: ", "'passive' is not server or client");
	parse_err("[port a]\nattach = bogus\n", "t.conf:2: attach: ", "'bogus' is not loopback");
	parse_err("[port a]\nattach = xconnect:\n", "t.conf:2: attach: ", "not a valid port name");
	parse_err("[port a]\nattach = xconnect:b/c\n", "t.conf:2: attach: ", "'b/c'");
	parse_err("[port a]\nattach = ethdev:\n", "t.conf:2: attach: ", "needs devargs");
	parse_err("[port a]\nattach = loopback2\n", "t.conf:2: attach: ", "'loopback2'");
}

static void
test_long_values(void **state)
{
	char text[2048], name[VHACC_NAME_MAX + 8];
	int i, n;

	(void)state;
	/* Socket: 255 characters fit the field, 256 do not. */
	n = snprintf(text, sizeof(text), "[port a]\nsocket = /");
	for (i = 0; i < 255; i++)
		text[n++] = 's';
	snprintf(text + n, sizeof(text) - n, "\n");
	parse_err(text, "t.conf:2: socket: ", "too long");
	text[n - 1] = '\n';
	text[n] = '\0';
	parse_ok(text, false);
	/* ...but a unix socket path must stay under 108 bytes. */
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_starts_with(err, "port a: socket: ");
	assert_contains(err, "too long");
	/* A relative socket that becomes too long under run_dir. */
	parse_ok("[global]\nrun_dir = "
		 "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		 "[port a]\nsocket = "
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.sock\n",
		false);
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_starts_with(err, "port a: socket: ");
	assert_contains(err, "too long");

	/* Too many ports: the 33rd section. */
	n = 0;
	for (i = 0; i < VHACC_MAX_PORTS + 1; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		n += snprintf(text + n, sizeof(text) - n, "[port %s]\n", name);
	}
	parse_err(text, "t.conf:33: [port p32]: ", "too many ports (at most 32)");

	/* Too many workers: the 65th section. */
	{
		static char big[8192];

		n = snprintf(big, sizeof(big), "[port a]\nqueue_pairs = 1\n");
		for (i = 0; i < VHACC_MAX_WORKERS + 1; i++)
			n += snprintf(big + n, sizeof(big) - n, "[worker %d]\n", i + 1);
		parse_err(big, "t.conf:67: [worker 65]: ", "too many workers");
	}
}

static void
test_numbers(void **state)
{
	(void)state;
	parse_ok(
		"[global]\nmbufs = 1024\nburst = 1\n[port a]\nqueue_pairs = 16\nmtu = 68\n", false);
	assert_int_equal(cfg.mbufs, 1024);
	assert_int_equal(cfg.burst, 1);
	assert_int_equal(port("a")->queue_pairs, 16);
	assert_int_equal(port("a")->mtu, 68);
	parse_ok("[global]\nmbufs = 1048576\nburst = 256\n[port a]\nmtu = 9000\nqueue_pairs=01\n",
		false);
	assert_int_equal(cfg.mbufs, 1048576);
	assert_int_equal(cfg.burst, 256);
	assert_int_equal(port("a")->mtu, 9000);
	assert_int_equal(port("a")->queue_pairs, 1);

	parse_err("[port a]\nqueue_pairs = zero\n",
		"t.conf:2: queue_pairs: ", "'zero' is not a number in 1..16");
	parse_err("[port a]\nqueue_pairs = 0\n",
		"t.conf:2: queue_pairs: ", "0 is out of range 1..16");
	parse_err("[port a]\nqueue_pairs = 17\n", "t.conf:2: queue_pairs: ", "out of range 1..16");
	parse_err("[port a]\nmtu = 67\n", "t.conf:2: mtu: ", "67 is out of range 68..9000");
	parse_err("[port a]\nmtu = 9001\n", "t.conf:2: mtu: ", "out of range 68..9000");
	parse_err("[port a]\nmtu = 1500abc\n", "t.conf:2: mtu: ", "'1500abc' is not a number");
	parse_err("[port a]\nmtu = 1500 0\n", "t.conf:2: mtu: ", "not a number");
	parse_err("[port a]\nmtu = -1500\n", "t.conf:2: mtu: ", "not a number");
	parse_err("[port a]\nmtu = +1500\n", "t.conf:2: mtu: ", "not a number");
	parse_err("[port a]\nmtu = 0x5dc\n", "t.conf:2: mtu: ", "not a number");
	parse_err("[port a]\nmtu = 1.5\n", "t.conf:2: mtu: ", "not a number");
	/* 2^64 + 1500 and far beyond: out of range, never wrapped into range. */
	parse_err("[port a]\nmtu = 18446744073709553116\n", "t.conf:2: mtu: ", "out of range");
	parse_err("[port a]\nmtu = 99999999999999999999999999999999\n",
		"t.conf:2: mtu: ", "out of range 68..9000");
	parse_err("[global]\nmbufs = 1023\n", "t.conf:2: mbufs: ", "out of range 1024..1048576");
	parse_err("[global]\nmbufs = 1048577\n", "t.conf:2: mbufs: ", "out of range");
	parse_err("[global]\nmbufs = 4294968320\n", "t.conf:2: mbufs: ", "out of range");
	parse_err("[global]\nburst = 0\n", "t.conf:2: burst: ", "out of range 1..256");
	parse_err("[global]\nburst = 257\n", "t.conf:2: burst: ", "out of range 1..256");
	parse_err("[global]\nburst = 65568\n", "t.conf:2: burst: ", "out of range");
}

static void
test_mac(void **state)
{
	static const uint8_t m1[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t m2[6] = {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54};

	(void)state;
	parse_ok("[port a]\nmac = 02:00:00:00:00:01\n[port b]\nmac = FE:dc:BA:98:76:54\n", false);
	assert_memory_equal(port("a")->mac, m1, 6);
	assert_memory_equal(port("b")->mac, m2, 6);
	assert_true(port("b")->mac_set);

	parse_err("[port a]\nmac = 01:00:5e:00:00:01\n", "t.conf:2: mac: ", "multicast");
	parse_err("[port a]\nmac = 03:00:00:00:00:01\n", "t.conf:2: mac: ", "multicast");
	parse_err("[port a]\nmac = ff:ff:ff:ff:ff:ff\n", "t.conf:2: mac: ", "multicast");
	parse_err("[port a]\nmac = 00:00:00:00:00:00\n", "t.conf:2: mac: ", "zero");
	parse_err("[port a]\nmac = 0g:00:00:00:00:01\n", "t.conf:2: mac: ", "not a MAC address");
	parse_err("[port a]\nmac = 02:00:00:00:00\n", "t.conf:2: mac: ", "not a MAC address");
	parse_err("[port a]\nmac = 02:00:00:00:00:01:02\n", "t.conf:2: mac: ", "not a MAC");
	parse_err("[port a]\nmac = 02:00:00:00:00:01:\n", "t.conf:2: mac: ", "not a MAC");
	parse_err("[port a]\nmac = 2:0:0:0:0:1\n", "t.conf:2: mac: ", "not a MAC");
	parse_err("[port a]\nmac = 02-00-00-00-00-01\n", "t.conf:2: mac: ", "not a MAC");
	parse_err("[port a]\nmac = 020:00:00:00:00:1\n", "t.conf:2: mac: ", "not a MAC");
	parse_err("[port a]\nmac = 02:00:00:00:00:0\n", "t.conf:2: mac: ", "not a MAC");
	/* A refused MAC leaves the default in place. */
	vhacc_config_init(&cfg);
	assert_int_equal(vhacc_config_parse(&cfg, "[port a]\n", "t", err, sizeof(err)), 0);
	assert_int_equal(
		vhacc_config_set(&cfg, "port.a.mac=01:00:00:00:00:01", err, sizeof(err)), -EINVAL);
	assert_memory_equal(port("a")->mac, m1, 6);
	assert_false(port("a")->mac_set);
}

static void
test_offer_mask(void **state)
{
	(void)state;
	/* offer replaces the default set. */
	parse_ok("[port a]\noffer = version_1,in_order\n", false);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | BIT(F_IN_ORDER));
	/* mask removes from the default set. */
	parse_ok("[port a]\nmask = mrg_rxbuf, log_all\n", false);
	assert_int_equal(
		port("a")->features, DEFAULT_FEATURES & ~(BIT(F_MRG_RXBUF) | BIT(F_LOG_ALL)));
	/* offer is applied before mask, whatever the line order. */
	parse_ok("[port a]\nmask = in_order\noffer = version_1, in_order, event_idx\n", false);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | BIT(F_EVENT_IDX));
	parse_ok("[port a]\noffer = version_1, in_order, event_idx\nmask = in_order\n", false);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | BIT(F_EVENT_IDX));
	/* Masking a feature that is not offered is harmless (mq); packed is offered. */
	parse_ok("[port a]\nmask = mq, packed\n", false);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES & ~BIT(F_RING_PACKED));
	/* The other ports keep their own sets. */
	parse_ok("[port a]\nmask = mtu\n[port b]\n", false);
	assert_int_equal(port("b")->features, DEFAULT_FEATURES);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES & ~BIT(F_MTU));
	/* Known optional features can be offered. */
	parse_ok("[port a]\noffer = version_1,notify_on_empty,any_layout\n", false);
	assert_int_equal(
		port("a")->features, BIT(F_VERSION_1) | BIT(F_NOTIFY_ON_EMPTY) | BIT(F_ANY_LAYOUT));

	parse_err("[port a]\noffer = version_1, frobnicate\n",
		"t.conf:2: offer: ", "unknown feature 'frobnicate'");
	parse_err("[port a]\nmask = frobnicate\n", "t.conf:2: mask: ", "'frobnicate'");
	/* the packed ring is supported and offered by default (the frontend chooses) */
	parse_ok("[port a]\noffer = version_1,packed\n", false);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | BIT(F_RING_PACKED));
	assert_int_equal(DEFAULT_FEATURES & BIT(F_RING_PACKED), BIT(F_RING_PACKED));
	/* checksum and TSO offloads are served (and offered by default) */
	parse_ok("[port a]\noffer = version_1,guest_csum,guest_tso4\n", false);
	assert_int_equal(
		port("a")->features, BIT(F_VERSION_1) | BIT(F_GUEST_CSUM) | BIT(F_GUEST_TSO4));
	parse_ok("[port a]\nmask = csum,host_tso4,host_tso6\n", false);
	assert_int_equal(port("a")->features,
		DEFAULT_FEATURES & ~(BIT(F_CSUM) | BIT(F_HOST_TSO4) | BIT(F_HOST_TSO6)));
	parse_err("[port a]\nmask = mtu, version_1\n", "t.conf:2: mask: ", "version_1");
	parse_err("[port a]\noffer = mrg_rxbuf\n", "t.conf:2: offer: ", "version_1");
	parse_err("[port a]\noffer = version_1,,mtu\n", "t.conf:2: offer: ", "empty feature");
	parse_err("[port a]\noffer = version_1,\n", "t.conf:2: offer: ", "empty feature");

	/* Overrides: a --set offer replaces the set so far, a --set mask removes from it. */
	parse_ok("[port a]\nmask = mtu\n", false);
	set_ok("port.a.mask=mac");
	assert_int_equal(port("a")->features, DEFAULT_FEATURES & ~(BIT(F_MTU) | BIT(F_MAC)));
	set_ok("port.a.offer=version_1,mtu");
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | BIT(F_MTU));
	set_err("port.vm1.offer=no_such_feature", "port.vm1.offer: ", "no_such_feature");
	set_err("port.vm1.mask=version_1", "port.vm1.mask: ", "version_1");
}

/* ---- validation ------------------------------------------------------------------------ */

static void
test_multiqueue(void **state)
{
	const uint64_t mq = BIT(F_MQ) | BIT(F_CTRL_VQ);

	(void)state;
	/* One queue pair: mq and ctrl_vq only when asked. */
	parse_ok("[port a]\n", true);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES);
	parse_ok("[port a]\noffer = version_1, mq, ctrl_vq\n", true);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | mq);
	parse_ok("[port a]\noffer = version_1, ctrl_vq\n", true);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | BIT(F_CTRL_VQ));
	/* More than one: both are offered whatever the offer list says. */
	parse_ok("[port a]\nqueue_pairs = 2\n", false);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES);
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES | mq);
	parse_ok("[port a]\nqueue_pairs = 16\noffer = version_1\nmask = log_all\n", true);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | mq);
	/* Validation twice (a runtime port add re-validates the live copy): unchanged. */
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | mq);
	/* Overrides: queue_pairs from --set. */
	parse_ok("[port a]\n", false);
	set_ok("port.a.queue_pairs=4");
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES | mq);
	/* Masking them off a multiqueue port is an error; an offer after the mask clears it. */
	validate_err("[port a]\nqueue_pairs = 4\nmask = mq\n", "port a: mask: mq cannot be masked",
		"4 queue pairs");
	validate_err("[port a]\nqueue_pairs = 2\nmask = ctrl_vq\n", "port a: mask: ctrl_vq", NULL);
	parse_ok("[port a]\nqueue_pairs = 2\nmask = mq\n", false);
	set_ok("port.a.offer=version_1");
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(port("a")->features, BIT(F_VERSION_1) | mq);
	/* Masking them off a one-queue-pair port is harmless. */
	parse_ok("[port a]\nmask = mq, ctrl_vq\n", true);
	assert_int_equal(port("a")->features, DEFAULT_FEATURES);
	/* mq without ctrl_vq is not valid virtio-net. */
	validate_err("[port a]\noffer = version_1, mq\n", "port a: offer: mq needs ctrl_vq", NULL);
	validate_err("[port a]\noffer = version_1, mq, ctrl_vq\nmask = ctrl_vq\n",
		"port a: offer: mq needs ctrl_vq", NULL);
	/* Both sides of an xconnect with 4 queue pairs. */
	parse_ok("[port a]\nattach = xconnect:b\nqueue_pairs = 4\n"
		 "[port b]\nattach = xconnect:a\nqueue_pairs = 4\n",
		true);
	assert_int_equal(port("a")->features & mq, mq);
	assert_int_equal(port("b")->features & mq, mq);
}

static void
test_xconnect(void **state)
{
	(void)state;
	validate_err("[port vm1]\nattach = xconnect:vm3\n[port vm2]\n",
		"port vm1: attach: xconnect peer 'vm3' does not exist", NULL);
	validate_err("[port vm1]\nattach = xconnect:vm1\n", "port vm1: attach: ", "itself");
	validate_err("[port vm1]\nattach = xconnect:vm2\n[port vm2]\n",
		"port vm1: attach: xconnect peer 'vm2'", "loopback");
	validate_err("[port vm1]\nattach = xconnect:vm2\n[port vm2]\nattach = xconnect:vm3\n"
		     "[port vm3]\nattach = xconnect:vm2\n",
		"port vm1: attach: ", "xconnect:vm3, not xconnect:vm1");
	validate_err("[port vm1]\nattach = xconnect:vm2\n[port vm2]\nattach = ethdev:net_null0\n",
		"port vm1: attach: ", "ethdev:net_null0");
	validate_err("[port vm1]\nattach = xconnect:vm2\nqueue_pairs = 2\n"
		     "[port vm2]\nattach = xconnect:vm1\n",
		"port vm1: queue_pairs: ", "vm2");
	/* A peer defined after its partner is fine; indices are filled. */
	parse_ok("[port x]\n[port b]\nattach = xconnect:a\nqueue_pairs = 3\n"
		 "[port a]\nattach = xconnect:b\nqueue_pairs = 3\n",
		true);
	assert_int_equal(port("a")->xconnect_peer_idx, port_idx("b"));
	assert_int_equal(port("b")->xconnect_peer_idx, port_idx("a"));
	/* Overrides that break the pairing are caught. */
	parse_ok(vhacc_config_default_text, false);
	set_ok("port.vm2.attach=loopback");
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), -EINVAL);
	assert_starts_with(err, "port vm1: attach: ");
}

static void
test_sockets(void **state)
{
	(void)state;
	/* Relative under run_dir (trailing '/' of run_dir not doubled), absolute kept. */
	parse_ok("[global]\nrun_dir = /tmp/r/\n[port a]\n[port b]\nsocket = /abs/b.sock\n"
		 "[port c]\nsocket = d/c.s\n",
		true);
	assert_string_equal(port("a")->socket, "/tmp/r/a.sock");
	assert_string_equal(port("b")->socket, "/abs/b.sock");
	assert_string_equal(port("c")->socket, "/tmp/r/d/c.s");
	parse_ok("[global]\nrun_dir = /\n[port a]\n", true);
	assert_string_equal(port("a")->socket, "/a.sock");
	parse_ok("[global]\nrun_dir = /tmp/r/\n[port a]\n[port b]\nsocket = /abs/b.sock\n", true);
	/* Validation is idempotent. */
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_string_equal(port("a")->socket, "/tmp/r/a.sock");
	/* Duplicates: same relative name, or relative and absolute meeting. */
	validate_err("[port a]\nsocket = s\n[port b]\nsocket = s\n", "port b: socket: ", "port a");
	validate_err("[port a]\nsocket = /run/vhacc/b.sock\n[port b]\n",
		"port b: socket: ", "/run/vhacc/b.sock");
	validate_err("", "no ports", NULL);
}

static void
test_workers(void **state)
{
	(void)state;
	/* Forward references: a [worker] section may name ports defined below it. */
	parse_ok("[worker 2]\nqueues = b:all\n[worker 1]\nqueues = a:1, a:0\n"
		 "[port a]\nqueue_pairs = 2\n[port b]\nqueue_pairs = 3\n",
		true);
	assert_int_equal(cfg.nworkers, 2);
	assert_int_equal(cfg.workers[0].lcore, 2);
	assert_int_equal(cfg.workers[0].nqps, 3);
	assert_qp(&cfg.workers[0], 0, "b", 0);
	assert_qp(&cfg.workers[0], 2, "b", 2);
	assert_int_equal(cfg.workers[1].lcore, 1);
	assert_int_equal(cfg.workers[1].nqps, 2);
	assert_qp(&cfg.workers[1], 0, "a", 1);
	assert_qp(&cfg.workers[1], 1, "a", 0);
	/* A later queues line in the same section replaces the earlier one. */
	parse_ok("[port a]\n[worker 1]\nqueues = a:0\nqueues = a:all\n", true);
	assert_int_equal(cfg.workers[0].nqps, 1);
	/* "all" expands to the queue pair count known at validation. */
	parse_ok("[port a]\n[worker 1]\nqueues = a:all\n", false);
	set_ok("port.a.queue_pairs=4");
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.workers[0].nqps, 4);
	assert_qp(&cfg.workers[0], 3, "a", 3);
	/* A worker with nothing to do is allowed. */
	parse_ok("[port a]\n[worker 1]\nqueues = a:0\n[worker 2]\n", true);
	assert_int_equal(cfg.workers[1].nqps, 0);

	/* Duplicates. */
	validate_err("[port a]\nqueue_pairs = 2\n[worker 1]\nqueues = a:0\n[worker 2]\n"
		     "queues = a:all\n",
		"worker 2: queues: a:0", "already assigned to worker 1");
	validate_err(
		"[port a]\n[worker 1]\nqueues = a:0, a:all\n", "worker 1: queues: a:0", "twice");
	/* Unassigned: the first one is named. */
	validate_err("[port a]\nqueue_pairs = 2\n[port b]\nqueue_pairs = 2\n[worker 1]\n"
		     "queues = a:all, b:0\n",
		"port b: ", "queue pair 1 is not assigned");
	validate_err("[port a]\n[port b]\n[worker 1]\nqueues = b:0\n",
		"port a: ", "queue pair 0 is not assigned");
	/* Out-of-range queue pair, found at validation. */
	validate_err("[port a]\nqueue_pairs = 2\n[worker 1]\nqueues = a:0, a:2\n",
		"worker 1: queues: a:2", "0..1");
	/* Reference errors name the line of the queues key. */
	parse_err("[port a]\n[worker 1]\n\nqueues = a:0, c:0\n",
		"t.conf:4: queues: ", "port 'c' does not exist");
	parse_err("[worker 1]\nqueues = a:0\n[port b]\n", "t.conf:2: queues: ", "'a'");
	parse_err("[port a]\n[worker 1]\nqueues = a\n", "t.conf:3: queues: ", "port:qp");
	/* Ranges. */
	parse_ok("[port a]\nqueue_pairs = 16\n[port b]\nqueue_pairs = 4\n[worker 1]\n"
		 "queues = a:0-7, b:1-2\n[worker 2]\nqueues = a:8-15, b:0, b:3-3\n",
		true);
	assert_int_equal(cfg.workers[0].nqps, 10);
	assert_qp(&cfg.workers[0], 7, "a", 7);
	assert_qp(&cfg.workers[0], 8, "b", 1);
	assert_qp(&cfg.workers[0], 9, "b", 2);
	assert_int_equal(cfg.workers[1].nqps, 10);
	assert_qp(&cfg.workers[1], 0, "a", 8);
	assert_qp(&cfg.workers[1], 7, "a", 15);
	assert_qp(&cfg.workers[1], 9, "b", 3);
	parse_err("[port a]\n[worker 1]\nqueues = a:3-1\n", "t.conf:3: queues: ",
		"a: '3-1' is not a queue pair number (0..15), a range A-B or all");
	parse_err("[port a]\n[worker 1]\nqueues = a:1-16\n", "t.conf:3: queues: ", "range A-B");
	parse_err("[port a]\n[worker 1]\nqueues = a:1-\n", "t.conf:3: queues: ", "range A-B");
	parse_err("[port a]\n[worker 1]\nqueues = a:all-3\n", "t.conf:3: queues: ", "range A-B");
	validate_err("[port a]\nqueue_pairs = 4\n[worker 1]\nqueues = a:0-4\n",
		"worker 1: queues: a:4", "port a has 4 queue pair(s)");
	validate_err("[port a]\nqueue_pairs = 4\n[worker 1]\nqueues = a:0-2, a:2-3\n",
		"worker 1: queues: a:2", "twice");
	parse_err("[port a]\n[worker 1]\nqueues = a:x\n", "t.conf:3: queues: ", "'x'");
	parse_err("[port a]\n[worker 1]\nqueues = a:16\n", "t.conf:3: queues: ", "0..15");
	parse_err("[port a]\n[worker 1]\nqueues = a:1y\n", "t.conf:3: queues: ", "'1y'");
	parse_err("[port a]\n[worker 1]\nqueues = a:0,,a:1\n", "t.conf:3: queues: ", "empty");
	parse_err("[port a]\n[worker 1]\nqueues = :0\n",
		"t.conf:3: queues: ", "not a valid port name");
}

/* ---- overrides ------------------------------------------------------------------------- */

static void
test_overrides(void **state)
{
	static const uint8_t mac3[6] = {2, 0, 0, 0, 0, 3};
	const struct vhacc_port_conf *p;

	(void)state;
	parse_ok(vhacc_config_default_text, false);
	set_ok("global.mbufs=8192");
	set_ok("global.burst=8");
	set_ok("global.run_dir=/tmp/vh");
	set_ok("port.vm1.mtu=9000");
	set_ok(" port.vm1.mode = client ");
	/* A new port, as if [port vm3] existed, with the defaults of the third port. */
	set_ok("port.vm3.attach=ethdev:net_tap0,iface=tap9");
	assert_int_equal(cfg.mbufs, 8192);
	assert_int_equal(cfg.burst, 8);
	assert_int_equal(port("vm1")->mtu, 9000);
	assert_true(port("vm1")->client);
	assert_int_equal(cfg.nports, 3);
	p = port("vm3");
	assert_int_equal(p->attach, VHACC_ATTACH_ETHDEV);
	assert_string_equal(p->ethdev_devargs, "net_tap0,iface=tap9");
	assert_int_equal(p->mtu, 1500);
	assert_memory_equal(p->mac, mac3, 6);
	assert_int_equal(p->features, DEFAULT_FEATURES);
	/* Workers: worker.N.queues creates or replaces that worker's list. */
	set_ok("worker.1.queues=vm1:0,vm2:0");
	set_ok("worker.2.queues=vm3:all");
	set_ok("worker.1.queues=vm1:0, vm2:all");
	assert_int_equal(cfg.nworkers, 2);
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.workers[0].nqps, 2);
	assert_int_equal(cfg.workers[1].nqps, 1);
	assert_string_equal(port("vm3")->socket, "/tmp/vh/vm3.sock");

	/* Errors carry the dotted key. */
	set_err("port.vm1.mtu=99999", "port.vm1.mtu: ", "99999 is out of range 68..9000");
	set_err("port.vm1.attach=bogus", "port.vm1.attach: ", "bogus");
	set_err("port.vm1.queue_pairs=2x", "port.vm1.queue_pairs: ", "'2x' is not a number");
	set_err("port.vm1.mac=01:02:03:04:05:06", "port.vm1.mac: ", "multicast");
	set_err("port.vm1.mode=x", "port.vm1.mode: ", "server or client");
	set_err("port.vm1.colour=red", "port.vm1.colour: ", "unknown key");
	set_err("port.vm1.mtu=", "port.vm1.mtu: ", "value is empty");
	set_err("global.run_dir=rel", "global.run_dir: ", "absolute");
	set_err("global.mbufs=10", "global.mbufs: ", "out of range");
	set_err("global.colour=red", "global.colour: ", "run_dir");
	set_err("worker.x.queues=vm1:0", "worker.x.queues: ", "'x'");
	set_err("worker.1.queues=vm9:0", "worker.1.queues: ", "port 'vm9' does not exist");
	set_err("worker.1.cpu=3", "worker.1.cpu: ", "queues");
	set_err("colour.x=1", "colour.x: ", "unknown section");
	set_err("port.vm1=1", "port.vm1: ", "port.NAME.KEY");
	set_err("port.a.b.mtu=1", "port.a.b.mtu: ", "unknown key");
	set_err("port.bad/name.mtu=1000", "port.bad/name.mtu: ", "not a valid port name");
	set_err("port.vm1.mtu", "'port.vm1.mtu'", "expected <section>.<key>=<value>");
	set_err("=5", "", "no key");
	/* An override with an unknown key does not create the port. */
	set_err("port.vm7.colour=red", "port.vm7.colour: ", "unknown key");
	assert_int_equal(cfg.nports, 2);
	/* One line even when the value holds a newline. */
	set_err("port.vm1.mode=a\nb", "port.vm1.mode: ", "a b");

	/* The same buffer as assignment and err (app/vhacc/port_ctl.c does this). */
	parse_ok(vhacc_config_default_text, false);
	snprintf(err, sizeof(err), "port.vm5.attach=loopback");
	assert_int_equal(vhacc_config_set(&cfg, err, err, sizeof(err)), 0);
	assert_int_equal(port("vm5")->attach, VHACC_ATTACH_LOOPBACK);
	snprintf(err, sizeof(err), "port.vm5.mtu=5");
	assert_int_equal(vhacc_config_set(&cfg, err, err, sizeof(err)), -EINVAL);
	assert_starts_with(err, "port.vm5.mtu: 5 is out of range");
	/* Far too long. */
	{
		static char huge[4096];

		memset(huge, 'a', sizeof(huge) - 1);
		memcpy(huge, "port.vm1.attach=ethdev:", 23);
		assert_int_equal(vhacc_config_set(&cfg, huge, err, sizeof(err)), -EINVAL);
		assert_contains(err, "too long");
		assert_one_line(err);
	}

	/* Too many ports through overrides. */
	{
		char a[64];
		int i;

		vhacc_config_init(&cfg);
		for (i = 0; i < VHACC_MAX_PORTS; i++) {
			snprintf(a, sizeof(a), "port.p%d.mtu=1000", i);
			set_ok(a);
		}
		assert_int_equal(
			vhacc_config_set(&cfg, "port.p99.mtu=1000", err, sizeof(err)), -EINVAL);
		assert_starts_with(err, "port.p99.mtu: ");
		assert_contains(err, "too many ports");
	}
}

static void
test_assign_default(void **state)
{
	static const unsigned int lcores[] = {4, 6, 7};
	static const unsigned int dup[] = {4, 4};

	(void)state;
	/* Port-major, round robin: a0->4, a1->6, b0->7, b1->4. */
	parse_ok("[port a]\nqueue_pairs = 2\n[port b]\nqueue_pairs = 2\n", true);
	assert_int_equal(vhacc_config_assign_default(&cfg, lcores, 3, err, sizeof(err)), 0);
	assert_int_equal(cfg.nworkers, 3);
	assert_int_equal(cfg.workers[0].lcore, 4);
	assert_int_equal(cfg.workers[1].lcore, 6);
	assert_int_equal(cfg.workers[2].lcore, 7);
	assert_int_equal(cfg.workers[0].nqps, 2);
	assert_qp(&cfg.workers[0], 0, "a", 0);
	assert_qp(&cfg.workers[0], 1, "b", 1);
	assert_int_equal(cfg.workers[1].nqps, 1);
	assert_qp(&cfg.workers[1], 0, "a", 1);
	assert_int_equal(cfg.workers[2].nqps, 1);
	assert_qp(&cfg.workers[2], 0, "b", 0);
	/* The result satisfies validation. */
	assert_int_equal(vhacc_config_validate(&cfg, err, sizeof(err)), 0);

	/* One lcore takes everything. */
	parse_ok(vhacc_config_default_text, true);
	assert_int_equal(vhacc_config_assign_default(&cfg, lcores, 1, err, sizeof(err)), 0);
	assert_int_equal(cfg.nworkers, 1);
	assert_int_equal(cfg.workers[0].nqps, 2);
	assert_qp(&cfg.workers[0], 0, "vm1", 0);
	assert_qp(&cfg.workers[0], 1, "vm2", 0);

	/* More lcores than queue pairs: only the lcores that get one are workers. */
	parse_ok("[port a]\n", true);
	assert_int_equal(vhacc_config_assign_default(&cfg, lcores, 3, err, sizeof(err)), 0);
	assert_int_equal(cfg.nworkers, 1);
	assert_int_equal(cfg.workers[0].lcore, 4);

	/* Errors. */
	parse_ok("[port a]\n", true);
	assert_int_equal(vhacc_config_assign_default(&cfg, lcores, 0, err, sizeof(err)), -EINVAL);
	assert_contains(err, "no worker lcore");
	assert_int_equal(vhacc_config_assign_default(&cfg, dup, 2, err, sizeof(err)), -EINVAL);
	assert_contains(err, "lcore 4");
	parse_ok("[port a]\n[worker 1]\nqueues = a:0\n", true);
	assert_int_equal(vhacc_config_assign_default(&cfg, lcores, 3, err, sizeof(err)), -EINVAL);
	assert_int_equal(cfg.workers[0].lcore, 1);
}

/* ---- files ----------------------------------------------------------------------------- */

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	static const char bad[] = "[global]\nrun_dir = /tmp\n[port a]\nsocket = a.sock\n"
				  "queue_pairs = zero\n";
	char dir[] = "/tmp/vhacc-test-config-XXXXXX", path[128];
	char *big;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/good.conf", dir);
	write_file(path, vhacc_config_default_text, strlen(vhacc_config_default_text));
	vhacc_config_init(&cfg);
	assert_int_equal(vhacc_config_load(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(cfg.nports, 2);

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	write_file(path, bad, strlen(bad));
	vhacc_config_init(&cfg);
	assert_int_equal(vhacc_config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad.conf:5: queue_pairs: 'zero' is not a number in 1..16");
	assert_int_equal(unlink(path), 0);

	snprintf(path, sizeof(path), "%s/nonexistent.conf", dir);
	assert_int_equal(vhacc_config_load(&cfg, path, err, sizeof(err)), -ENOENT);
	assert_contains(err, path);
	assert_contains(err, "No such file or directory");
	assert_one_line(err);

	assert_true(vhacc_config_load(&cfg, dir, err, sizeof(err)) < 0);
	assert_contains(err, dir);

	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	write_file(path, "[port a]\n\0x", 11);
	assert_int_equal(vhacc_config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	assert_contains(err, "NUL");
	assert_int_equal(unlink(path), 0);

	/* Larger than 1 MiB: refused; exactly 1 MiB of comments: fine. */
	n = 1024 * 1024;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n + 1);
	big[0] = '\n';
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, big, n + 1);
	assert_int_equal(vhacc_config_load(&cfg, path, err, sizeof(err)), -EFBIG);
	assert_contains(err, path);
	write_file(path, big, n);
	vhacc_config_init(&cfg);
	assert_int_equal(vhacc_config_load(&cfg, path, err, sizeof(err)), 0);
	free(big);
	assert_int_equal(unlink(path), 0);

	snprintf(path, sizeof(path), "%s/good.conf", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* config/vhacc.conf, found from this source file's path (relative to the build root). */
static void
test_example_file(void **state)
{
	char path[1024];
	const char *tail = "tests/unit/test_config.c";
	const char *file = __FILE__;
	size_t n = strlen(file);

	(void)state;
	assert_true(n >= strlen(tail) && strcmp(file + n - strlen(tail), tail) == 0);
	snprintf(path, sizeof(path), "%.*sconfig/vhacc.conf", (int)(n - strlen(tail)), file);
	if (access(path, R_OK) != 0) {
		print_message("%s not readable from the current directory: skipped\n", path);
		skip();
	}
	vhacc_config_init(&cfg);
	if (vhacc_config_load(&cfg, path, err, sizeof(err)) != 0 ||
		vhacc_config_validate(&cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(cfg.nports >= 3);
	assert_int_equal(port("vm1")->attach, VHACC_ATTACH_XCONNECT);
	assert_int_equal(port("vm2")->attach, VHACC_ATTACH_XCONNECT);
	assert_true(cfg.nworkers >= 1);
}

static void
test_small_err_buffer(void **state)
{
	char small[12];

	(void)state;
	memset(small, 'x', sizeof(small));
	vhacc_config_init(&cfg);
	assert_int_equal(vhacc_config_set(&cfg, "port.vm1.mtu=1", small, sizeof(small)), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(vhacc_config_set(&cfg, "port.vm1.mtu=1", NULL, 0), -EINVAL);
	assert_int_equal(vhacc_config_parse(&cfg, "mtu = 1\n", "t", NULL, 0), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_default_text),
		cmocka_unit_test(test_port_defaults),
		cmocka_unit_test(test_feature_names),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_comments_whitespace),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_offer_mask),
		cmocka_unit_test(test_multiqueue),
		cmocka_unit_test(test_xconnect),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_assign_default),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_small_err_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
