/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs on: the control lcore. */

#include <errno.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "vhacc_ethdev.h"
#include "vhacc_log.h"
#include "vhacc_net_offload.h"

VHACC_LOG_REGISTER(ethdev);

#define RING_DESC 1024

#define TX_OFFLOADS                                                                                \
	(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |                            \
		RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO)
#define RX_OFFLOADS (RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)

/* The ethdev name is the devargs up to the first ','. */
static int
find_port(const char *devargs, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(devargs, ",");

	if (n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, devargs, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id) == 0 ? 0 : -ENODEV;
}

int
vhacc_ethdev_open(const char *devargs, uint16_t nqueues, uint16_t mtu, struct rte_mempool *mp,
	uint16_t *port_id)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t pid, q, nb_rxd = RING_DESC, nb_txd = RING_DESC;
	int ret;

	ret = rte_dev_probe(devargs);
	if (ret != 0) {
		VHACC_LOG(ethdev, ERR, "ethdev '%s': probe failed: %s", devargs, strerror(-ret));
		return ret;
	}
	ret = find_port(devargs, &pid);
	if (ret != 0) {
		VHACC_LOG(ethdev, ERR, "ethdev '%s': probed but no such port", devargs);
		return ret;
	}
	ret = rte_eth_dev_info_get(pid, &info);
	if (ret != 0)
		goto fail;
	if (nqueues > info.max_rx_queues || nqueues > info.max_tx_queues) {
		VHACC_LOG(ethdev, ERR, "ethdev '%s': %u queue pairs, device has %u rx / %u tx",
			devargs, nqueues, info.max_rx_queues, info.max_tx_queues);
		ret = -EINVAL;
		goto fail;
	}
	memset(&conf, 0, sizeof(conf));
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	/* Checksum and TSO offloads the device has: guests' offloaded frames
	 * use them, vhacc_net_uplink_tx_burst() does the rest in software.
	 * TSO needs multi-segment frames (a 64 KiB frame spans mbufs). RX
	 * checksum results become DATA_VALID for guests with GUEST_CSUM. */
	conf.txmode.offloads |= info.tx_offload_capa & TX_OFFLOADS;
	if (!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ||
		!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM))
		conf.txmode.offloads &= ~RTE_ETH_TX_OFFLOAD_TCP_TSO;
	conf.rxmode.offloads |= info.rx_offload_capa & RX_OFFLOADS;
	/* Multiqueue: queue pair i uses RX and TX queue i; RSS, if the device
	 * has it, spreads received flows over the RX queues. */
	if (nqueues > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	ret = rte_eth_dev_configure(pid, nqueues, nqueues, &conf);
	if (ret != 0)
		goto fail;
	vhacc_net_uplink_register(pid, conf.txmode.offloads & TX_OFFLOADS);
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (ret != 0)
		goto fail;
	if (rte_eth_dev_set_mtu(pid, mtu) != 0)
		VHACC_LOG(ethdev, WARNING, "ethdev '%s': cannot set MTU %u, keeping the default",
			devargs, mtu);
	for (q = 0; q < nqueues && ret == 0; q++) {
		ret = rte_eth_rx_queue_setup(pid, q, nb_rxd, rte_eth_dev_socket_id(pid), NULL, mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(
				pid, q, nb_txd, rte_eth_dev_socket_id(pid), NULL);
	}
	if (ret != 0)
		goto fail;
	ret = rte_eth_dev_start(pid);
	if (ret != 0)
		goto fail;
	rte_eth_promiscuous_enable(pid); /* best effort: a virtual uplink may not support it */
	*port_id = pid;
	VHACC_LOG(ethdev, INFO,
		"ethdev '%s': port %u started, %u queue pairs, TX offloads%s%s%s%s, RX checksum %s",
		devargs, pid, nqueues,
		(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) ? " ipv4_cksum" : "",
		(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) ? " tcp_cksum" : "",
		(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) ? " udp_cksum" : "",
		(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) ? " tcp_tso" : "",
		(conf.rxmode.offloads & RX_OFFLOADS) ? "on" : "off");
	return 0;

fail:
	VHACC_LOG(ethdev, ERR, "ethdev '%s': setup failed: %s", devargs, strerror(-ret));
	vhacc_ethdev_close(pid);
	return ret;
}

void
vhacc_ethdev_close(uint16_t port_id)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	if (dev != NULL)
		rte_dev_remove(dev);
}
