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
 * Control core only, before the data cores start and after they stopped; the
 * RETA functions at the end (reta.c, RSS steering) also while the data cores
 * poll, and slc_port_reta_plan() anywhere (it touches no device).
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

/* ---- RSS steering: the RETA from learned flows (reta.c; docs/dataplane.md "RSS steering") ---- */

#define SLC_PORT_RETA_MAX 2048       /* largest RETA slc_port_reta_get/set handle */

/*
 * Plan a port's next RETA from the records learned in one interval. Pure: no
 * device is touched, any thread may call it.
 *
 * delta[b * n_cores + k]: records of learned bucket b (b < learn_size: the RSS
 * hash's low bits) whose shard data core k owns, counted in the interval.
 * cur[0..reta_size): the table in force (entry -> queue = data core). A port
 * whose table is smaller than the learned one folds: entry e collects every
 * bucket b with (b & (reta_size - 1)) == e, which is where the NIC sends them.
 *
 * Entry e moves to the core k with the most of its records only if the entry saw
 * at least min_records (and at least one) in the interval and k's share is at
 * least min_share_pct percent of them (hysteresis: a mixed entry stays where it
 * is). Ties: the current queue if it is among the best, else the lowest core.
 * Otherwise next[e] = cur[e]. next may be cur (planned in place).
 *
 * Returns the number of entries whose queue changed (0..reta_size), or -EINVAL:
 * learn_size or reta_size not a power of two, reta_size > learn_size, n_cores 0,
 * min_share_pct > 100, or a NULL array.
 */
int slc_port_reta_plan(const uint64_t *delta, uint32_t learn_size, uint32_t n_cores,
	const uint16_t *cur, uint32_t reta_size, uint64_t min_records, uint32_t min_share_pct,
	uint16_t *next);

/*
 * The records of delta (as for slc_port_reta_plan) that table[0..reta_size)
 * puts on a queue other than their shard's owner, i.e. that the receiving core
 * hands over, had they all arrived on this port. *total (if not NULL): every
 * record of delta. Pure. Returns the count (0 for invalid sizes, as for plan).
 */
uint64_t slc_port_reta_handover(const uint64_t *delta, uint32_t learn_size, uint32_t n_cores,
	const uint16_t *table, uint32_t reta_size, uint64_t *total);

/*
 * Read port_id's RETA into reta[0..reta_size) with rte_eth_dev_rss_reta_query.
 * reta_size must be the device's table size. Control core. Returns 0, or -errno
 * with a message naming the port in err[0..errlen): -ENODEV (no such port),
 * -ENOTSUP (the device has no RETA, or it is larger than SLC_PORT_RETA_MAX),
 * -EINVAL (reta_size is not the device's), or the driver's error.
 */
int slc_port_reta_get(uint16_t port_id, uint16_t *reta, uint16_t reta_size, char *err,
	size_t errlen);

/*
 * Write next[0..reta_size) to port_id's RETA with rte_eth_dev_rss_reta_update,
 * only the entries that differ from cur (every entry if cur is NULL), so the
 * NIC's other entries are never rewritten. Safe while the data cores poll (the
 * drivers update the table under their own lock; the NIC switches each entry
 * atomically). Control core. Returns the number of entries written (0: nothing
 * to do, the device is not called), or -errno with a message naming the port in
 * err: as slc_port_reta_get, and -EINVAL for an entry naming a queue the port
 * does not have.
 */
int slc_port_reta_set(uint16_t port_id, const uint16_t *cur, const uint16_t *next,
	uint16_t reta_size, char *err, size_t errlen);

#endif /* SLC_PORT_H */
