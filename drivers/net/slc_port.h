/*
 * @file
 * slc_port: bringing up DPDK ports for sluiced (docs/dataplane.md, "Ports").
 *
 * One rx queue and one tx queue per data core on every port. With more than one
 * queue and a device that hashes IPv4/IPv6 UDP/TCP, RSS is enabled with the
 * symmetric Toeplitz key (0x6d5a repeated, 40 bytes: both directions of a flow
 * land on one queue) and the RETA is programmed round-robin over the queues.
 * Devices without RSS still work, with everything on queue 0 if they have only
 * one queue. IPv4/UDP checksum offloads are requested when the device has them.
 *
 * Control core only, before the data cores start and after they stopped.
 */
#ifndef SLC_PORT_H
#define SLC_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#define SLC_PORT_RX_DESC 1024
#define SLC_PORT_TX_DESC 1024
#define SLC_PORT_RSS_KEY_LEN 40

/* The symmetric Toeplitz key, 0x6d 0x5a repeated. */
extern const uint8_t slc_port_rss_key[SLC_PORT_RSS_KEY_LEN];

struct slc_port_info {
	uint16_t port_id;
	char name[64];               /* device name, "net_pcap0", "0000:01:00.0" */
	char driver[32];
	struct rte_ether_addr mac;
	uint16_t n_queues;           /* rx queues = tx queues configured */
	uint16_t nb_rxd;
	uint16_t nb_txd;
	bool rss;                    /* RSS enabled */
	uint64_t rss_hf;             /* hash functions enabled */
	uint16_t reta_size;          /* 0 if the RETA was not programmed */
	bool rx_cksum_offload;       /* IPv4 and UDP checksum offloads on */
	int socket;
};

/*
 * Configure port_id with n_queues rx and tx queues fed from mp, start it and
 * put it in promiscuous mode. Returns 0 with *out filled, or -errno with a
 * message naming the port and the fix in err[0..errlen):
 *   -ENOTSUP  the port has fewer rx or tx queues than n_queues;
 *   -EINVAL, -EIO, ... from rte_ethdev.
 */
int slc_port_setup(uint16_t port_id, uint16_t n_queues, struct rte_mempool *mp,
	struct slc_port_info *out, char *err, size_t errlen);

/* One line describing the port: name, MAC, queues, RSS and RETA, offloads. */
void slc_port_describe(const struct slc_port_info *pi, char *buf, size_t len);

/* Stop the port (after the data cores stopped polling it). */
void slc_port_stop(uint16_t port_id);

/* Close it: its queues give back every mbuf they hold. */
void slc_port_close(uint16_t port_id);

#endif /* SLC_PORT_H */
