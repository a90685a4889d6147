/*
 * RSS steering's device side (docs/dataplane.md, "RSS steering"): plan a port's
 * RSS redirection table from the flows the data cores learned, and read and
 * write the table on the device.
 *
 * Why learning: RSS puts a flow on queue RETA[hash & (size - 1)], and queue i
 * is data core i's; a record's shard (and so the core that must append it) is
 * chosen by MD5 of its partition key. Nothing links the two but observation:
 * lib/ingest counts, per low-bits bucket of the RSS hash, which core owns the
 * records that arrived under it. Pointing each entry at the core that owns most
 * of its records makes the receiving core the owner, so the record is appended
 * where it lands instead of crossing a ring.
 *
 * The planner is pure (tested without a device); get/set wrap rte_ethdev and
 * run on the control core, also while the data cores poll: drivers update the
 * table under their own lock and the NIC takes each entry as a whole.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "slc_port.h"

#define GROUPS (SLC_PORT_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE)

static bool
pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static bool
sizes_ok(uint32_t learn_size, uint32_t n_cores, uint32_t reta_size)
{
	return pow2(learn_size) && pow2(reta_size) && reta_size <= learn_size && n_cores > 0;
}

int
slc_port_reta_plan(const uint64_t *delta, uint32_t learn_size, uint32_t n_cores,
	const uint16_t *cur, uint32_t reta_size, uint64_t min_records, uint32_t min_share_pct,
	uint16_t *next)
{
	uint32_t e, b, k, best;
	uint64_t total, top, sum;
	uint16_t now;
	int moved = 0;

	if (delta == NULL || cur == NULL || next == NULL || min_share_pct > 100 ||
			!sizes_ok(learn_size, n_cores, reta_size))
		return -EINVAL;
	for (e = 0; e < reta_size; e++) {
		now = cur[e];
		total = 0;
		top = 0;
		best = now;
		/*
		 * The NIC sends hash h to entry h & (reta_size - 1): the learned buckets
		 * e, e + reta_size, e + 2 * reta_size, ... all land on entry e.
		 */
		for (k = 0; k < n_cores; k++) {
			sum = 0;
			for (b = e; b < learn_size; b += reta_size)
				sum += delta[(size_t)b * n_cores + k];
			total += sum;
			/* Only more wins: a tie keeps the current queue, else the lower core. */
			if (sum > top || (sum == top && sum > 0 && k == now)) {
				top = sum;
				best = k;
			}
		}
		/* 128-bit products: counts near 2^64 / 100 must not wrap. */
		if (top > 0 && best != now && total >= min_records &&
				(unsigned __int128)top * 100 >=
				(unsigned __int128)total * min_share_pct) {
			next[e] = (uint16_t)best;
			moved++;
		} else {
			next[e] = now;
		}
	}
	return moved;
}

uint64_t
slc_port_reta_handover(const uint64_t *delta, uint32_t learn_size, uint32_t n_cores,
	const uint16_t *table, uint32_t reta_size, uint64_t *total)
{
	uint64_t out = 0, all = 0, v;
	uint32_t b, k;

	if (total != NULL)
		*total = 0;
	if (delta == NULL || table == NULL || !sizes_ok(learn_size, n_cores, reta_size))
		return 0;
	for (b = 0; b < learn_size; b++) {
		for (k = 0; k < n_cores; k++) {
			v = delta[(size_t)b * n_cores + k];
			all += v;
			if (table[b & (reta_size - 1)] != k)
				out += v;
		}
	}
	if (total != NULL)
		*total = all;
	return out;
}

/* The device's RETA size, checked against the caller's; fills name for messages. */
static int
reta_check(uint16_t port_id, uint16_t reta_size, struct rte_eth_dev_info *di, char *name,
	size_t nlen, char *err, size_t errlen)
{
	int ret;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		snprintf(err, errlen, "port %u: no such DPDK port", port_id);
		return -ENODEV;
	}
	if (rte_eth_dev_get_name_by_port(port_id, name) != 0)
		snprintf(name, nlen, "?");
	ret = rte_eth_dev_info_get(port_id, di);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): cannot get device info: %s", port_id, name,
			strerror(-ret));
		return ret;
	}
	if (di->reta_size == 0) {
		snprintf(err, errlen, "port %u (%s, driver %s) has no RSS redirection table",
			port_id, name, di->driver_name ? di->driver_name : "?");
		return -ENOTSUP;
	}
	if (di->reta_size > SLC_PORT_RETA_MAX) {
		snprintf(err, errlen, "port %u (%s): a RETA of %u entries is larger than the %u "
			"supported", port_id, name, di->reta_size, SLC_PORT_RETA_MAX);
		return -ENOTSUP;
	}
	if (reta_size != di->reta_size) {
		snprintf(err, errlen, "port %u (%s): its RETA has %u entries, not %u", port_id,
			name, di->reta_size, reta_size);
		return -EINVAL;
	}
	return 0;
}

int
slc_port_reta_get(uint16_t port_id, uint16_t *reta, uint16_t reta_size, char *err,
	size_t errlen)
{
	struct rte_eth_rss_reta_entry64 conf[GROUPS];
	struct rte_eth_dev_info di;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint32_t i;
	int ret;

	ret = reta_check(port_id, reta_size, &di, name, sizeof(name), err, errlen);
	if (ret != 0)
		return ret;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < reta_size; i++)
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
	ret = rte_eth_dev_rss_reta_query(port_id, conf, reta_size);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): reading its RETA of %u entries failed: %s",
			port_id, name, reta_size, strerror(-ret));
		return ret;
	}
	for (i = 0; i < reta_size; i++)
		reta[i] = conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return 0;
}

int
slc_port_reta_set(uint16_t port_id, const uint16_t *cur, const uint16_t *next,
	uint16_t reta_size, char *err, size_t errlen)
{
	struct rte_eth_rss_reta_entry64 conf[GROUPS];
	struct rte_eth_dev_info di;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint32_t i, n = 0;
	int ret;

	ret = reta_check(port_id, reta_size, &di, name, sizeof(name), err, errlen);
	if (ret != 0)
		return ret;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < reta_size; i++) {
		if (cur != NULL && cur[i] == next[i])
			continue;
		if (next[i] >= di.nb_rx_queues) {
			snprintf(err, errlen, "port %u (%s): RETA entry %u -> queue %u, but the port "
				"has %u rx queue%s", port_id, name, i, next[i], di.nb_rx_queues,
				di.nb_rx_queues == 1 ? "" : "s");
			return -EINVAL;
		}
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = next[i];
		n++;
	}
	if (n == 0)
		return 0;
	ret = rte_eth_dev_rss_reta_update(port_id, conf, reta_size);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): updating %u of its %u RETA entries failed: %s",
			port_id, name, n, reta_size, strerror(-ret));
		return ret;
	}
	return (int)n;
}
