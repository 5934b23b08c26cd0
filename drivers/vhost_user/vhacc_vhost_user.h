/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VHACC_VHOST_USER_H
#define VHACC_VHOST_USER_H

/*
 * vhost-user glue over rte_vhost in external-backend mode.
 *
 * Runs on: the control lcore (register/unregister) and rte_vhost's socket
 * threads (callbacks). Every callback turns into a request on the control
 * lcore (vhacc_ctl_call) and returns only after it has been handled; a
 * callback that tears rings down (destroy_device, vring disable, the memory
 * table or log base being replaced) returns only after the workers have
 * provably stopped touching them, and after rte_vhost has been given the
 * exact ring indices (rte_vhost_set_vring_base), so GET_VRING_BASE answers
 * with vhacc's positions.
 */

#include <stdint.h>

struct vhacc_port;

/* rte_vhost protocol features vhacc offers. */
#define VHACC_PROTOCOL_FEATURES                                                                    \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD) |          \
		(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                                        \
		(1ULL << VHOST_USER_PROTOCOL_F_NET_MTU))

/* Create the port's socket (server) or start connecting (client). Control lcore. */
int vhacc_vhost_user_register(struct vhacc_port *p);

/*
 * Close the socket and every connection (sockets of server ports are
 * unlinked). Must NOT run on the control lcore: rte_vhost calls
 * destroy_device from the calling thread, and that needs the control lcore
 * to serve it. vhacc calls it from a helper thread while the control lcore
 * keeps polling.
 */
int vhacc_vhost_user_unregister(const char *socket_path);

#endif /* VHACC_VHOST_USER_H */
