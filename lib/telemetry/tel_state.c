/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device-state commands: /vhacc/port/state_save, state_load, state_size and
 * state_read (doc/telemetry.md, doc/device-state.md).
 * Runs on: the telemetry thread (the *_cb functions, which only post) and
 * the control lcore (the *_ctl functions: they build, encode, decode and do
 * the file I/O, a few KiB at most).
 *
 * state_size takes a snapshot of the encoded state; state_read returns it in
 * chunks of at most 4 KiB as little-endian 64-bit words (telemetry strings
 * are limited to 128 bytes, arrays to 512 entries), with a generation number
 * so that a reader notices a new snapshot, as the seeds' CTX_READ does.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "tel_priv.h"
#include "vhacc_ctl.h"
#include "vhacc_port.h"

#define CHUNK_BYTES 4096u

struct state_req {
	char port[64];
	char arg[256]; /* path, or offset */
	struct rte_tel_data *d;
};

/* Control-lcore buffers: one request at a time runs there. */
static struct vhacc_devstate st_buf;
static uint8_t enc_buf[VHACC_DEVSTATE_MAX_SIZE + 1];

/* The snapshot for chunked reading (one, of one port). */
static uint8_t *snap;
static size_t snap_len;
static uint16_t snap_port = UINT16_MAX;
static uint64_t snap_gen;

static bool
parse(const char *params, struct state_req *r, bool need_arg, const char *usage)
{
	const char *comma = params != NULL ? strchr(params, ',') : NULL;
	size_t n;

	if (params == NULL || *params == '\0' || (need_arg != (comma != NULL))) {
		vhacc_tel_answer(r->d, EINVAL, usage);
		return false;
	}
	n = comma != NULL ? (size_t)(comma - params) : strlen(params);
	if (comma != NULL && strlen(comma + 1) >= sizeof(r->arg)) {
		vhacc_tel_answer(r->d, ENAMETOOLONG, "path too long: at most 255 bytes");
		return false;
	}
	if (n == 0 || n >= sizeof(r->port) || (comma != NULL && comma[1] == '\0')) {
		vhacc_tel_answer(r->d, EINVAL, usage);
		return false;
	}
	memcpy(r->port, params, n);
	r->port[n] = '\0';
	if (comma != NULL)
		strcpy(r->arg, comma + 1);
	return true;
}

/* Encode port p's state into enc_buf; 0 and *len, or -errno with msg. */
static int
encode_port(const struct vhacc_port *p, size_t *len, char *msg, size_t mlen)
{
	int ret = vhacc_port_state_get(p, &st_buf, msg, mlen);

	if (ret != 0)
		return ret;
	ret = vhacc_devstate_encode(&st_buf, enc_buf, sizeof(enc_buf), len);
	if (ret != 0)
		snprintf(msg, mlen, "port %s: cannot encode its state: %s", p->conf.name,
			strerror(-ret));
	return ret;
}

static int
write_file(const char *path, const void *buf, size_t len, char *msg, size_t mlen)
{
	char tmp[sizeof(((struct state_req *)0)->arg) + 16];
	ssize_t w;
	int fd;

	if (path[0] != '/') {
		snprintf(msg, mlen, "the path must be absolute");
		return -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(msg, mlen, "cannot create %.80s: %s", tmp, strerror(errno));
		return -errno;
	}
	w = write(fd, buf, len);
	if (w != (ssize_t)len || fsync(fd) != 0) {
		int e = w < 0 ? errno : EIO;

		close(fd);
		unlink(tmp);
		snprintf(msg, mlen, "cannot write %.80s: %s", tmp, strerror(e));
		return -e;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		snprintf(msg, mlen, "cannot rename to %.80s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

static int
save_ctl(void *arg)
{
	struct state_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->port);
	char msg[RTE_TEL_MAX_STRING_LEN];
	size_t len = 0;
	int ret;

	if (p == NULL) {
		vhacc_tel_answer(r->d, ENODEV, "no such port");
		return 0;
	}
	ret = encode_port(p, &len, msg, sizeof(msg));
	if (ret == 0)
		ret = write_file(r->arg, enc_buf, len, msg, sizeof(msg));
	if (ret == 0)
		snprintf(msg, sizeof(msg), "port %s: %zu bytes, %u vrings saved", p->conf.name, len,
			st_buf.nvqs);
	vhacc_tel_answer(r->d, -ret, msg);
	if (ret == 0) {
		rte_tel_data_add_dict_u64(r->d, "bytes", len);
		rte_tel_data_add_dict_int(r->d, "vrings", st_buf.nvqs);
	}
	return 0;
}

static int
load_ctl(void *arg)
{
	struct state_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->port);
	char msg[RTE_TEL_MAX_STRING_LEN], err[200];
	ssize_t n;
	int fd, ret;

	if (p == NULL) {
		vhacc_tel_answer(r->d, ENODEV, "no such port");
		return 0;
	}
	if (p->mode != VHACC_PORT_MODE_FREEZE) {
		snprintf(msg, sizeof(msg), "port %s is in mode %s: a state loads only in freeze",
			p->conf.name, vhacc_port_mode_name(p->mode));
		vhacc_tel_answer(r->d, EBUSY, msg);
		return 0;
	}
	fd = open(r->arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(msg, sizeof(msg), "cannot open %.80s: %s", r->arg, strerror(e));
		vhacc_tel_answer(r->d, e, msg);
		return 0;
	}
	n = read(fd, enc_buf, sizeof(enc_buf));
	if (n < 0) {
		int e = errno;

		close(fd);
		snprintf(msg, sizeof(msg), "cannot read %.80s: %s", r->arg, strerror(e));
		vhacc_tel_answer(r->d, e, msg);
		return 0;
	}
	close(fd);
	if ((size_t)n == sizeof(enc_buf)) {
		snprintf(msg, sizeof(msg), "%.80s: larger than any vhacc device state", r->arg);
		vhacc_tel_answer(r->d, EINVAL, msg);
		return 0;
	}
	ret = vhacc_devstate_decode(enc_buf, (size_t)n, &st_buf, err, sizeof(err));
	if (ret != 0) {
		snprintf(msg, sizeof(msg), "%.120s", err);
		vhacc_tel_answer(r->d, -ret, msg);
		return 0;
	}
	ret = vhacc_port_state_load(p, &st_buf, msg, sizeof(msg));
	vhacc_tel_answer(r->d, ret < 0 ? -ret : 0, msg);
	return 0;
}

static int
size_ctl(void *arg)
{
	struct state_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->port);
	char msg[RTE_TEL_MAX_STRING_LEN];
	size_t len = 0;
	int ret;

	if (p == NULL) {
		vhacc_tel_answer(r->d, ENODEV, "no such port");
		return 0;
	}
	ret = encode_port(p, &len, msg, sizeof(msg));
	if (ret == 0 && snap == NULL) {
		snap = rte_malloc("vhacc_state_snap", sizeof(enc_buf), 0);
		if (snap == NULL) {
			snprintf(msg, sizeof(msg), "no memory for the snapshot");
			ret = -ENOMEM;
		}
	}
	if (ret != 0) {
		vhacc_tel_answer(r->d, -ret, msg);
		return 0;
	}
	memcpy(snap, enc_buf, len);
	snap_len = len;
	snap_port = p->id;
	snap_gen++;
	snprintf(msg, sizeof(msg), "port %s: %zu bytes, read them with state_read", p->conf.name,
		len);
	vhacc_tel_answer(r->d, 0, msg);
	rte_tel_data_add_dict_u64(r->d, "size", len);
	rte_tel_data_add_dict_u64(r->d, "generation", snap_gen);
	return 0;
}

static int
read_ctl(void *arg)
{
	struct state_req *r = arg;
	struct vhacc_port *p = vhacc_port_lookup(r->port);
	char msg[RTE_TEL_MAX_STRING_LEN], *end;
	struct rte_tel_data *words;
	unsigned long off;
	size_t n, i;

	if (p == NULL) {
		vhacc_tel_answer(r->d, ENODEV, "no such port");
		return 0;
	}
	errno = 0;
	off = strtoul(r->arg, &end, 10);
	if (errno != 0 || *end != '\0' || r->arg[0] < '0' || r->arg[0] > '9') {
		vhacc_tel_answer(r->d, EINVAL, "usage: <port id or name>,<offset>");
		return 0;
	}
	if (snap_port != p->id || snap == NULL) {
		snprintf(msg, sizeof(msg), "no snapshot of port %s: call state_size first",
			p->conf.name);
		vhacc_tel_answer(r->d, ENOENT, msg);
		return 0;
	}
	if (off > snap_len) {
		snprintf(msg, sizeof(msg), "offset %lu beyond the snapshot's %zu bytes", off,
			snap_len);
		vhacc_tel_answer(r->d, EINVAL, msg);
		return 0;
	}
	words = rte_tel_data_alloc();
	if (words == NULL) {
		vhacc_tel_answer(r->d, ENOMEM, "no memory");
		return 0;
	}
	n = RTE_MIN(snap_len - off, (size_t)CHUNK_BYTES);
	rte_tel_data_start_array(words, RTE_TEL_U64_VAL);
	for (i = 0; i < n; i += 8) {
		uint64_t w = 0;
		size_t k;

		for (k = 0; k < 8 && i + k < n; k++)
			w |= (uint64_t)snap[off + i + k] << (8 * k);
		rte_tel_data_add_array_u64(words, w);
	}
	snprintf(msg, sizeof(msg), "port %s: %zu bytes from %lu", p->conf.name, n, off);
	vhacc_tel_answer(r->d, 0, msg);
	rte_tel_data_add_dict_u64(r->d, "generation", snap_gen);
	rte_tel_data_add_dict_u64(r->d, "offset", off);
	rte_tel_data_add_dict_u64(r->d, "len", n);
	rte_tel_data_add_dict_u64(r->d, "remaining", snap_len - off - n);
	rte_tel_data_add_dict_container(r->d, "words", words, 0);
	return 0;
}

#define STATE_CB(name, need_arg, usage)                                                            \
	static int name##_cb(const char *cmd, const char *params, struct rte_tel_data *d)          \
	{                                                                                          \
		struct state_req r = {.d = d};                                                     \
                                                                                                   \
		RTE_SET_USED(cmd);                                                                 \
		if (!parse(params, &r, need_arg, usage))                                           \
			return 0;                                                                  \
		return vhacc_tel_post(name##_ctl, &r, d);                                          \
	}

STATE_CB(save, true, "usage: <port id or name>,<absolute path>")
STATE_CB(load, true, "usage: <port id or name>,<path>")
STATE_CB(size, false, "usage: <port id or name>")
STATE_CB(read, true, "usage: <port id or name>,<offset>")

int
vhacc_telemetry_state_init(void)
{
	int ret = 0;

	ret |= rte_telemetry_register_cmd("/vhacc/port/state_save", save_cb,
		"Write a stopped port's device state to a file. Parameters: port,path");
	ret |= rte_telemetry_register_cmd("/vhacc/port/state_load", load_cb,
		"Load a device state into a frozen port. Parameters: port,path");
	ret |= rte_telemetry_register_cmd("/vhacc/port/state_size", size_cb,
		"Snapshot a stopped port's device state for state_read. Parameters: port");
	ret |= rte_telemetry_register_cmd("/vhacc/port/state_read", read_cb,
		"Read the snapshot: 4 KiB as u64 words. Parameters: port,offset");
	return ret;
}
