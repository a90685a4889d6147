/*
 * Port bring-up on rte_ethdev for sluiced. Runs on the control core before the
 * data cores are launched (and stop/close after they returned); nothing here is
 * on a fast path. Each data core gets rx queue i and tx queue i of every port.
 * With several queues, RSS spreads flows over them with a symmetric Toeplitz
 * key, so that both directions of a flow (and, for raw mode, every datagram of a
 * sender) land on the same queue; the RETA is programmed round-robin so the
 * spread does not depend on the device's default table. Devices that do not
 * hash (net_pcap, net_null, ...) run without RSS: each queue then gets whatever
 * the device puts on it (net_pcap: one file per rx_pcap= argument).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "slc_port.h"

RTE_LOG_REGISTER_DEFAULT(slc_net_logtype, INFO);
#define NET_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_net_logtype, "slc.drv.net: " fmt "\n", ##__VA_ARGS__)

/* 0x6d5a repeated: Toeplitz with this key is symmetric in (src, dst). */
const uint8_t slc_port_rss_key[SLC_PORT_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

#define RSS_WANT (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP | \
	RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_UDP | \
	RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_FRAG_IPV6)

static int
program_reta(uint16_t port_id, uint16_t reta_size, uint16_t n_queues)
{
	struct rte_eth_rss_reta_entry64 reta[SLC_PORT_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t i;

	if (reta_size > SLC_PORT_RETA_MAX)
		return -ENOTSUP;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % n_queues;
	}
	return rte_eth_dev_rss_reta_update(port_id, reta, reta_size);
}

int
slc_port_setup(uint16_t port_id, uint16_t n_queues, struct rte_mempool *mp,
	struct slc_port_info *out, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info di;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t q, nb_rxd = SLC_PORT_RX_DESC, nb_txd = SLC_PORT_TX_DESC;
	int ret;

	memset(out, 0, sizeof(*out));
	out->port_id = port_id;
	rte_eth_dev_get_name_by_port(port_id, out->name);
	ret = rte_eth_dev_info_get(port_id, &di);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): cannot get device info: %s", port_id, out->name,
			strerror(-ret));
		return ret;
	}
	snprintf(out->driver, sizeof(out->driver), "%s", di.driver_name ? di.driver_name : "?");
	out->socket = rte_eth_dev_socket_id(port_id);
	if (di.max_rx_queues < n_queues) {
		snprintf(err, errlen, "port %u (%s) has %u rx queue%s, but %u rx cores are configured: "
			"use --rx-lcores with at most %u core%s or a device with more queues",
			port_id, out->name, di.max_rx_queues, di.max_rx_queues == 1 ? "" : "s",
			n_queues, di.max_rx_queues, di.max_rx_queues == 1 ? "" : "s");
		return -ENOTSUP;
	}
	if (di.max_tx_queues < n_queues) {
		snprintf(err, errlen, "port %u (%s) has %u tx queues, but %u rx cores are configured "
			"(each core answers ARP/ICMP on its own tx queue): use --rx-lcores with at "
			"most %u cores", port_id, out->name, di.max_tx_queues, n_queues,
			di.max_tx_queues);
		return -ENOTSUP;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	if (n_queues > 1 && (di.flow_type_rss_offloads & RSS_WANT) != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)slc_port_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = SLC_PORT_RSS_KEY_LEN;
		conf.rx_adv_conf.rss_conf.rss_hf = di.flow_type_rss_offloads & RSS_WANT;
		/* A device with a different key size keeps its own key (logged). */
		if (di.hash_key_size != 0 && di.hash_key_size != SLC_PORT_RSS_KEY_LEN) {
			NET_LOG(WARNING, "port %u (%s): RSS key size %u, not %u: keeping the device's "
				"key (not symmetric)", port_id, out->name, di.hash_key_size,
				SLC_PORT_RSS_KEY_LEN);
			conf.rx_adv_conf.rss_conf.rss_key = NULL;
			conf.rx_adv_conf.rss_conf.rss_key_len = 0;
		}
		out->rss = true;
		out->rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
	}
	if ((di.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) ==
			(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
		out->rx_cksum_offload = true;
	}
	ret = rte_eth_dev_configure(port_id, n_queues, n_queues, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): configuring %u queues failed: %s", port_id,
			out->name, n_queues, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): descriptor counts: %s", port_id, out->name,
			strerror(-ret));
		return ret;
	}
	out->nb_rxd = nb_rxd;
	out->nb_txd = nb_txd;
	rxc = di.default_rxconf;
	rxc.offloads = conf.rxmode.offloads;
	txc = di.default_txconf;
	txc.offloads = conf.txmode.offloads;
	for (q = 0; q < n_queues; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, nb_rxd, out->socket, &rxc, mp);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): rx queue %u set-up failed: %s (too few "
				"mbufs? see --mbufs)", port_id, out->name, q, strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(port_id, q, nb_txd, out->socket, &txc);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): tx queue %u set-up failed: %s", port_id,
				out->name, q, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(port_id);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): start failed: %s", port_id, out->name,
			strerror(-ret));
		return ret;
	}
	if (out->rss && di.reta_size > 0) {
		ret = program_reta(port_id, di.reta_size, n_queues);
		if (ret == 0)
			out->reta_size = di.reta_size;
		else
			NET_LOG(WARNING, "port %u (%s): RETA of %u entries not programmed (%s): the "
				"device's default spread applies", port_id, out->name, di.reta_size,
				strerror(-ret));
	}
	ret = rte_eth_promiscuous_enable(port_id);
	if (ret != 0 && ret != -ENOTSUP)
		NET_LOG(WARNING, "port %u (%s): promiscuous mode: %s", port_id, out->name,
			strerror(-ret));
	rte_eth_macaddr_get(port_id, &out->mac);
	out->n_queues = n_queues;
	return 0;
}

void
slc_port_describe(const struct slc_port_info *pi, char *buf, size_t len)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(mac, sizeof(mac), &pi->mac);
	snprintf(buf, len, "port %u (%s, driver %s) mac %s: %u rx/tx queue%s, %u/%u descriptors, "
		"RSS %s, RETA %s%.0u, checksum offload %s", pi->port_id, pi->name, pi->driver, mac,
		pi->n_queues, pi->n_queues == 1 ? "" : "s", pi->nb_rxd, pi->nb_txd,
		pi->rss ? "on (symmetric Toeplitz key 6d5a)" : "off",
		pi->reta_size ? "round-robin over the queues, entries " : "not programmed",
		pi->reta_size, pi->rx_cksum_offload ? "on" : "off");
}

void
slc_port_stop(uint16_t port_id)
{
	int ret = rte_eth_dev_stop(port_id);

	if (ret != 0)
		NET_LOG(WARNING, "port %u: stop: %s", port_id, strerror(-ret));
}

void
slc_port_close(uint16_t port_id)
{
	int ret = rte_eth_dev_close(port_id);

	if (ret != 0)
		NET_LOG(WARNING, "port %u: close: %s", port_id, strerror(-ret));
}
