/*
 * What the two lib/tcp unit tests (test_tcp.c, test_tcp_linux.c) share: the
 * EAL and mbuf pool they run on, and the description of a received frame that
 * lib/pkt's classifier would give slc_tcp_input().
 */
#ifndef SLC_TCP_TEST_UTIL_H
#define SLC_TCP_TEST_UTIL_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "slc_tcp.h"

/*
 * An EAL without hugepages, PCI, shared config or telemetry (file prefix
 * <who>-<pid>) on core 0, and a pool of n mbufs named who. NULL, the reason on
 * stderr, if either fails.
 */
static inline struct rte_mempool *
tcp_test_eal_start(char *argv0, const char *who, unsigned int n)
{
	static char prefix[64];
	char *eal[] = {
		argv0, "--no-huge", "--no-shconf", "-m", "128", "--no-pci", "-l", "0",
		"--log-level=*:error", "--no-telemetry", prefix,
	};
	struct rte_mempool *mp;

	snprintf(prefix, sizeof(prefix), "--file-prefix=%s-%d", who, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed: %s\n", who, rte_strerror(rte_errno));
		return NULL;
	}
	mp = rte_pktmbuf_pool_create(who, n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		fprintf(stderr, "%s: mempool: %s\n", who, rte_strerror(rte_errno));
	return mp;
}

/* Free the pool, clean the EAL up and remove its runtime directory. */
static inline void
tcp_test_eal_stop(struct rte_mempool *mp)
{
	char dir[PATH_MAX];

	rte_mempool_free(mp);
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(dir);
}

/*
 * Describe the TCP segment in m (l2_len bytes of link header, then IPv4 without
 * options or IPv6 without extension headers, the headers in the first mbuf) as
 * lib/pkt would for DPDK port 0.
 */
static inline void
tcp_test_describe(struct slc_pkt_tcp *p, struct rte_mbuf *m, uint32_t l2_len)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = d + l2_len, *th;
	uint32_t l3, ip_payload;

	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)(ip[0] >> 4);
	if (p->family == 4) {
		l3 = (ip[0] & 0xfu) * 4u;
		ip_payload = ((uint32_t)ip[2] << 8 | ip[3]) - l3;
		memcpy(p->src, ip + 12, 4);
		memcpy(p->dst, ip + 16, 4);
	} else {
		l3 = 40;
		ip_payload = (uint32_t)ip[4] << 8 | ip[5];
		memcpy(p->src, ip + 8, 16);
		memcpy(p->dst, ip + 24, 16);
	}
	th = ip + l3;
	p->m = m;
	p->th = (const struct rte_tcp_hdr *)th;
	p->l2_len = l2_len;
	p->l3_len = l3;
	p->th_len = (th[12] >> 4) * 4u;
	p->payload_off = l2_len + l3 + p->th_len;
	p->payload_len = ip_payload - p->th_len;
	p->src_port = (uint16_t)(th[0] << 8 | th[1]);
	p->dst_port = (uint16_t)(th[2] << 8 | th[3]);
	p->port = 0;
}

#endif /* SLC_TCP_TEST_UTIL_H */
