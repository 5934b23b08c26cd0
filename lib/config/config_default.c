/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration vhacc runs without -c (vhacc --print-default shows it). */

#include "vhacc_config.h"

const char vhacc_config_default_text[] =
	"# vhacc embedded default configuration (vhacc --print-default).\n"
	"#\n"
	"# Two vhost-user ports, vm1 and vm2, cross-connected: what the guest on vm1\n"
	"# transmits, the guest on vm2 receives, and back. vhacc is the server: it\n"
	"# creates the sockets and the frontends (QEMU, virtio-user) connect to them.\n"
	"# There is no [worker] section: vhacc spreads the queue pairs over its\n"
	"# worker lcores (EAL -l; the first lcore is the control lcore).\n"
	"# Keys and defaults: doc/configuration.md. Override any key with --set,\n"
	"# e.g. --set port.vm1.mtu=9000 or --run-dir /tmp/vhacc.\n"
	"\n"
	"[global]\n"
	"# Relative socket paths are created here.\n"
	"run_dir = /run/vhacc\n"
	"\n"
	"[port vm1]\n"
	"socket = vm1.sock\n"
	"mode = server\n"
	"attach = xconnect:vm2\n"
	"\n"
	"[port vm2]\n"
	"socket = vm2.sock\n"
	"mode = server\n"
	"attach = xconnect:vm1\n";
