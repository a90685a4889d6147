/*
 * Test fixture of the ingest engine's unit tests (test_ingest.c, test_hist.c,
 * test_flows.c): the engine runs in the test's one thread with fake data cores
 * polled in turn, real log writers on a fresh mkdtemp data dir under /var/tmp,
 * and UDP frames built by hand in mbufs from a small pool of a --no-huge EAL.
 *
 * Header-only, as ../slc_test.h: each test program is one .c file that includes
 * it once, so the globals below are that program's. Set up in three steps so a
 * test can check or change things in between: ifx_cfg() (the engine's settings),
 * ifx_engine_create() (data dir, stream, engine, routes, port; not started),
 * ifx_engine_start(). ifx_engine_drain() polls until every ring is empty and
 * syncs; ifx_engine_free() tears down and checks that every mbuf is back.
 * ifx_main() is the programs' main(): EAL, pool, CUnit suite, clean-up.
 */
#ifndef INGEST_FIXTURE_H
#define INGEST_FIXTURE_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "slc_ingest.h"
#include "slc_mem.h"
#include "../slc_test.h"

/* Set by ifx_main(), read-only while the cases run. */
static const char *ifx_name;           /* "ingest": test_ingest, slc-test-ingest-* */
static unsigned ifx_pool_size;
static struct rte_mempool *g_pool;      /* cache size 0: avail_count is exact */

/* The engine of the running case (ifx_engine_create() to ifx_engine_free()). */
static char g_dir[256];
static struct slc_stream *g_st;
static struct slc_ingest *g_ing;
static struct slc_pkt_cfg g_pcfg;

/* Defaults, n_cores, ring_size, and a 100 us linger so a sync finds little pending. */
static inline void
ifx_cfg(struct slc_ingest_cfg *cfg, uint32_t n_cores, uint32_t ring_size)
{
	slc_ingest_cfg_default(cfg);
	cfg->n_cores = n_cores;
	cfg->ring_size = ring_size;
	cfg->log.linger_us = 100;
}

/*
 * g_ing from cfg over a new stream `stream` of nshards in a new g_dir, added as
 * stream 0; udp 5000 raw (if raw) and 5001 framed routed to it; port 0 with the
 * MAC ifx_udp() sends to. Not started: the caller may set more before
 * ifx_engine_start().
 */
static inline void
ifx_engine_create(const struct slc_ingest_cfg *cfg, const char *stream, uint32_t nshards,
	bool raw)
{
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } };

	snprintf(g_dir, sizeof(g_dir), "/var/tmp/slc-test-%s-XXXXXX", ifx_name);
	CU_ASSERT_FATAL(mkdtemp(g_dir) != NULL);
	g_st = slc_stream_create(g_dir, stream, nshards, NULL);
	CU_ASSERT_FATAL(g_st != NULL);
	slc_pkt_cfg_default(&g_pcfg);
	g_pcfg.accept_any_dst = true;
	g_ing = slc_ingest_create(cfg, &g_pcfg);
	CU_ASSERT_FATAL(g_ing != NULL);
	CU_ASSERT_FATAL(slc_ingest_add_stream(g_ing, g_st) == 0);
	if (raw)
		CU_ASSERT_FATAL(slc_ingest_add_route(g_ing, 5000, SLC_PKT_MODE_RAW, 0) == 0);
	CU_ASSERT_FATAL(slc_ingest_add_route(g_ing, 5001, SLC_PKT_MODE_FRAMED, 0) == 0);
	CU_ASSERT_FATAL(slc_ingest_set_port(g_ing, 0, &mac) == 0);
}

/* Start g_ing: it must then map nshards shards. */
static inline void
ifx_engine_start(uint32_t nshards)
{
	CU_ASSERT_FATAL(slc_ingest_start(g_ing) == 0);
	CU_ASSERT_FATAL(slc_ingest_n_shards(g_ing) == nshards);
}

/* Poll every core in turn until nothing moves and every ring is empty, then sync. */
static inline void
ifx_engine_drain(void)
{
	uint32_t n = slc_ingest_n_cores(g_ing), i, work, rounds = 0;
	bool empty;

	do {
		work = 0;
		empty = true;
		for (i = 0; i < n; i++)
			work += slc_ingest_core_poll(slc_ingest_core_get(g_ing, i), rte_rdtsc());
		for (i = 0; i < n; i++)
			empty &= slc_ingest_core_rings_empty(slc_ingest_core_get(g_ing, i));
		rounds++;
	} while ((work != 0 || !empty) && rounds < 100000);
	CU_ASSERT(empty);
	for (i = 0; i < n; i++)
		CU_ASSERT(slc_ingest_core_sync(slc_ingest_core_get(g_ing, i)) == 0);
}

static inline void
ifx_engine_free(void)
{
	slc_ingest_free(g_ing);
	g_ing = NULL;
	slc_stream_close(g_st);
	g_st = NULL;
	slc_test_rm_rf(g_dir);
	/* Pool cache size is 0, so the count is exact: every mbuf must be back. */
	CU_ASSERT(rte_mempool_avail_count(g_pool) == ifx_pool_size);
}

/*
 * An Ethernet/IPv4/UDP frame from src:sport to 192.0.2.1:dport carrying
 * pl[0..len). split > 0: a chain, the first holding the headers and split
 * payload bytes, the rest in segments of up to 1500 bytes (as a reassembled or
 * scattered datagram would be).
 */
static inline struct rte_mbuf *
ifx_udp(uint32_t src, uint16_t sport, uint16_t dport, const void *pl, uint16_t len,
	uint16_t split)
{
	const uint16_t hl = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		sizeof(struct rte_udp_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool), *m2;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;
	uint16_t first = split > 0 ? split : len;
	uint8_t *p;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(rte_pktmbuf_tailroom(m) >= hl + first);
	m->data_len = hl + first;
	m->pkt_len = hl + first;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, hl);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr.addr_bytes[0] = 0x02;
	eh->dst_addr.addr_bytes[5] = 0x01;
	eh->src_addr.addr_bytes[0] = 0x02;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*uh) + len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(0xc0000201);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh = (struct rte_udp_hdr *)(ip + 1);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16(sizeof(*uh) + len);
	uh->dgram_cksum = 0;
	memcpy(uh + 1, pl, first);
	while (first < len) {
		uint16_t take = RTE_MIN((uint16_t)(len - first), (uint16_t)1500);

		m2 = rte_pktmbuf_alloc(g_pool);
		CU_ASSERT_FATAL(m2 != NULL);
		p = (uint8_t *)rte_pktmbuf_append(m2, take);
		CU_ASSERT_FATAL(p != NULL);
		memcpy(p, (const uint8_t *)pl + first, take);
		CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
		first += take;
	}
	return m;
}

/* The shard of key (MD5 over nshards equal ranges), or UINT32_MAX. */
static inline uint32_t
ifx_shard_of_key(const char *key, uint32_t nshards)
{
	slc_u128 h = slc_hashkey_md5(key, strlen(key)), s, e;
	uint32_t i;

	for (i = 0; i < nshards; i++) {
		slc_hashkey_range(nshards, i, &s, &e);
		if (h >= s && h <= e)
			return i;
	}
	return UINT32_MAX;
}

/* Serve core's pending request by polling it; returns its result. */
static inline int
ifx_serve(uint32_t core, uint64_t *value)
{
	int result = -1000;

	slc_ingest_core_poll(slc_ingest_core_get(g_ing, core), rte_rdtsc());
	CU_ASSERT_FATAL(slc_ingest_request_done(g_ing, core, &result, value) == 1);
	return result;
}

/*
 * A new handle on g_st's stream in which shard 0 has the open children 2,
 * [start of 0, at - 1], and 3, [at, end of 0], as sluiced builds one for a live
 * split. The caller closes it.
 */
static inline struct slc_stream *
ifx_split_view(slc_u128 at)
{
	struct slc_stream *view = slc_stream_open(g_dir, g_st->name);
	struct slc_shard_meta *v;

	CU_ASSERT_FATAL(view != NULL);
	v = slc_realloc(view->shards, 4 * sizeof(*v));
	CU_ASSERT_FATAL(v != NULL);
	view->shards = v;
	v[2] = v[0];
	v[2].index = 2;
	v[2].end_hash = at - 1;
	v[2].parent = 0;
	v[3] = v[2];
	v[3].index = 3;
	v[3].start_hash = at;
	v[3].end_hash = v[0].end_hash;
	view->nshards = 4;
	return view;
}

/*
 * main() of test_<name>: a --no-huge EAL with file prefix slc-test-<name>-<pid>,
 * an mbuf pool of pool_size, the CUnit suite `suite` of cases (ended by
 * CU_TEST_INFO_NULL) run verbosely. Returns 0 if every assertion held, else 1.
 */
static inline int
ifx_main(const char *name, unsigned pool_size, const char *suite, const CU_TestInfo *cases)
{
	char prog[64], prefix[64], rundir[PATH_MAX];
	char *eal[] = { prog, "--no-huge", "--no-shconf", "-m", "128", "--no-pci",
		"--file-prefix", prefix, "-l", "0", "--log-level", "warning", NULL };
	unsigned fails = 1;
	CU_pSuite s;

	ifx_name = name;
	ifx_pool_size = pool_size;
	snprintf(prog, sizeof(prog), "test_%s", name);
	snprintf(prefix, sizeof(prefix), "slc-test-%s-%d", name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed (--no-huge): %s\n", prog,
			rte_strerror(rte_errno));
		return 1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	g_pool = rte_pktmbuf_pool_create(prog, pool_size, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (g_pool == NULL) {
		fprintf(stderr, "%s: mbuf pool: %s\n", prog, rte_strerror(rte_errno));
		goto out_eal;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		goto out_pool;
	s = CU_add_suite(suite, NULL, NULL);
	for (; cases->pName != NULL; cases++)
		CU_add_test(s, cases->pName, cases->pTestFunc);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
out_pool:
	rte_mempool_free(g_pool);
out_eal:
	rte_eal_cleanup();
	/* The EAL leaves its runtime directory behind (even with --no-shconf). */
	slc_test_rm_rf(rundir);
	return fails == 0 ? 0 : 1;
}

#endif /* INGEST_FIXTURE_H */
