/*
 * Unit tests of the ingest engine's flow learning for RSS steering
 * (slc_ingest_flow_counts, docs/dataplane.md "RSS steering"), in one thread: an
 * engine of 2 fake data cores over a stream of 4 shards (owners: shard i on core
 * i % 2), real log writers on a mkdtemp dir under /var/tmp, UDP frames built by
 * hand in mbufs from a --no-huge EAL's pool. A frame "received by a NIC" carries
 * RTE_MBUF_F_RX_RSS_HASH and hash.rss; each record it yields must be counted
 * once under bucket (hash.rss & (reta_size - 1)) and its shard's owner, summed
 * over the receiving cores; frames without the flag are not counted; a size the
 * engine cannot learn is refused.
 */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "slc_frame.h"
#include "slc_ingest.h"
#include "slc_mem.h"
#include "../slc_test.h"

#define POOL_SIZE 2047u
#define NC 2
#define NSHARDS 4

static char g_dir[256];
static struct rte_mempool *g_pool;
static struct slc_stream *g_st;
static struct slc_ingest *g_ing;
static struct slc_pkt_cfg g_pcfg;
static uint64_t g_out[SLC_INGEST_RETA_MAX * NC];

/* 2 cores, 4 shards; udp 5000 raw, 5001 framed; learning over reta_size buckets. */
static void
engine_make(uint32_t reta_size)
{
	struct slc_ingest_cfg cfg;
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } };
	uint32_t i;

	strcpy(g_dir, "/var/tmp/slc-test-flows-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(g_dir) != NULL);
	g_st = slc_stream_create(g_dir, "s", NSHARDS, NULL);
	CU_ASSERT_FATAL(g_st != NULL);
	slc_pkt_cfg_default(&g_pcfg);
	g_pcfg.accept_any_dst = true;
	slc_ingest_cfg_default(&cfg);
	CU_ASSERT(cfg.reta_size == 0);          /* off unless asked for */
	cfg.n_cores = NC;
	cfg.ring_size = 1024;
	cfg.log.linger_us = 100;
	g_ing = slc_ingest_create(&cfg, &g_pcfg);
	CU_ASSERT_FATAL(g_ing != NULL);
	CU_ASSERT_FATAL(slc_ingest_add_stream(g_ing, g_st) == 0);
	CU_ASSERT_FATAL(slc_ingest_add_route(g_ing, 5000, SLC_PKT_MODE_RAW, 0) == 0);
	CU_ASSERT_FATAL(slc_ingest_add_route(g_ing, 5001, SLC_PKT_MODE_FRAMED, 0) == 0);
	CU_ASSERT_FATAL(slc_ingest_set_port(g_ing, 0, &mac) == 0);
	/* As main.c does: between create and start, once the ports are up. */
	CU_ASSERT_FATAL(slc_ingest_set_reta_size(g_ing, reta_size) == 0);
	CU_ASSERT(slc_ingest_reta_size(g_ing) == reta_size);
	CU_ASSERT_FATAL(slc_ingest_start(g_ing) == 0);
	CU_ASSERT_FATAL(slc_ingest_n_shards(g_ing) == NSHARDS);
	for (i = 0; i < NSHARDS; i++)
		CU_ASSERT_FATAL(slc_ingest_shard_info(g_ing, i)->owner == i % NC);
}

static void
engine_drain(void)
{
	uint32_t i, work, rounds = 0;
	bool empty;

	do {
		work = 0;
		empty = true;
		for (i = 0; i < NC; i++)
			work += slc_ingest_core_poll(slc_ingest_core_get(g_ing, i), rte_rdtsc());
		for (i = 0; i < NC; i++)
			empty &= slc_ingest_core_rings_empty(slc_ingest_core_get(g_ing, i));
		rounds++;
	} while ((work != 0 || !empty) && rounds < 100000);
	CU_ASSERT(empty);
	for (i = 0; i < NC; i++)
		CU_ASSERT(slc_ingest_core_sync(slc_ingest_core_get(g_ing, i)) == 0);
}

static void
engine_free(void)
{
	slc_ingest_free(g_ing);
	g_ing = NULL;
	slc_stream_close(g_st);
	g_st = NULL;
	slc_test_rm_rf(g_dir);
	CU_ASSERT(rte_mempool_avail_count(g_pool) == POOL_SIZE);
}

/*
 * An Ethernet/IPv4/UDP frame from src:sport to dport carrying pl[0..len); with
 * rss, marked as a NIC marks a hashed frame.
 */
static struct rte_mbuf *
mk_udp(uint32_t src, uint16_t sport, uint16_t dport, const void *pl, uint16_t len, bool rss,
	uint32_t hash)
{
	const uint16_t hl = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		sizeof(struct rte_udp_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;
	uint8_t *p;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(rte_pktmbuf_tailroom(m) >= hl + len);
	m->data_len = hl + len;
	m->pkt_len = hl + len;
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
	memcpy(uh + 1, pl, len);
	if (rss) {
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		m->hash.rss = hash;
	} else {
		m->hash.rss = hash;     /* a stale value without the flag means nothing */
	}
	return m;
}

static void
rx(uint32_t core, struct rte_mbuf **pkts, uint16_t n, uint32_t want_records)
{
	CU_ASSERT(slc_ingest_core_rx(slc_ingest_core_get(g_ing, core), 0, pkts, n,
		rte_rdtsc()) == want_records);
}

/* The shard of a raw record's key "a.b.c.d:port" (MD5 over the equal ranges). */
static uint32_t
shard_of_key(const char *key)
{
	slc_u128 h = slc_hashkey_md5(key, strlen(key)), s, e;
	uint32_t i;

	for (i = 0; i < NSHARDS; i++) {
		slc_hashkey_range(NSHARDS, i, &s, &e);
		if (h >= s && h <= e)
			return i;
	}
	return UINT32_MAX;
}

/* A framed datagram: n[i] records with explicit hash keys in shard i (top two bits i). */
static struct rte_mbuf *
mk_frame(const uint32_t n[NSHARDS], bool rss, uint32_t hash)
{
	static uint8_t buf[8192];
	struct slc_frame_builder b;
	uint8_t hk[16];
	char key[32];
	uint32_t i, j;
	size_t len;

	CU_ASSERT_FATAL(slc_frame_begin(&b, buf, sizeof(buf), 9, NULL) == 0);
	for (i = 0; i < NSHARDS; i++) {
		for (j = 0; j < n[i]; j++) {
			memset(hk, 0, sizeof(hk));
			hk[0] = (uint8_t)(i << 6);
			hk[15] = (uint8_t)j;
			snprintf(key, sizeof(key), "k%u-%u", i, j);
			CU_ASSERT_FATAL(slc_frame_add(&b, key, (uint16_t)strlen(key), "d", 1, hk) == 0);
		}
	}
	len = slc_frame_end(&b);
	CU_ASSERT_FATAL(len > 0);
	return mk_udp(0x0a000101, 4000, 5001, buf, (uint16_t)len, rss, hash);
}

/* ---- cases ---- */

/*
 * Raw: 16 senders 10.0.0.(1+i):(2000+i), sender i sends (i % 3) + 1 datagrams on
 * core i % 2 with RSS hash (i % 5) | (i << 20): buckets 0..4 of 128 (the high
 * bits are not the bucket's), several senders per bucket. Each record counts
 * under its bucket and the owner of MD5("10.0.0.x:port")'s shard.
 */
static void
test_slc_ingest_flow_counts_raw(void)
{
	uint64_t want[128 * NC], sum = 0;
	struct rte_mbuf *m[32];
	uint32_t i, j, k, cnt, b;
	char key[32];
	bool owners_seen[NC] = { false };

	engine_make(128);
	memset(want, 0, sizeof(want));
	for (i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "10.0.0.%u:%u", 1 + i, 2000 + i);
		k = slc_ingest_shard_info(g_ing, shard_of_key(key))->owner;
		owners_seen[k] = true;
		cnt = i % 3 + 1;
		for (j = 0; j < cnt; j++) {
			m[j] = mk_udp(0x0a000001 + i, (uint16_t)(2000 + i), 5000, "x", 1, true,
				(i % 5) | (i << 20));
			want[(i % 5) * NC + k]++;
		}
		rx(i % 2, m, (uint16_t)cnt, cnt);
	}
	/* The senders' keys fall on shards of both cores (else the test proves little). */
	CU_ASSERT_FATAL(owners_seen[0] && owners_seen[1]);
	engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	for (b = 0; b < 128; b++)
		for (k = 0; k < NC; k++) {
			CU_ASSERT_EQUAL(g_out[b * NC + k], want[b * NC + k]);
			sum += g_out[b * NC + k];
		}
	/* sum over i of (i % 3) + 1 for i = 0..15: 6 x 1 + 5 x 2 + 5 x 3 = 31 */
	CU_ASSERT_EQUAL(sum, 31);
	for (b = 5; b < 128; b++)
		CU_ASSERT(g_out[b * NC] == 0 && g_out[b * NC + 1] == 0);
	engine_free();
}

/*
 * Framed: one datagram of 3 + 5 + 2 + 7 records for shards 0..3 (owners 0, 1,
 * 0, 1) with RSS hash 0xdeadbeff (bucket 127 of 128) on core 0: 5 records for
 * core 0, 12 for core 1 under bucket 127. The same datagram again on core 1 with
 * hash 0x100 (bucket 0): counts add per core, summed. Without the flag: nothing.
 * Counters only grow.
 */
static void
test_slc_ingest_flow_counts_framed(void)
{
	static const uint32_t n[NSHARDS] = { 3, 5, 2, 7 };
	struct rte_mbuf *m;
	uint32_t b;
	uint64_t sum = 0;

	engine_make(128);
	m = mk_frame(n, true, 0xdeadbeff);
	rx(0, &m, 1, 17);
	m = mk_frame(n, true, 0x100);
	rx(1, &m, 1, 17);
	engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	CU_ASSERT_EQUAL(g_out[127 * NC + 0], 5);
	CU_ASSERT_EQUAL(g_out[127 * NC + 1], 12);
	CU_ASSERT_EQUAL(g_out[0 * NC + 0], 5);
	CU_ASSERT_EQUAL(g_out[0 * NC + 1], 12);
	for (b = 0; b < 128 * NC; b++)
		sum += g_out[b];
	CU_ASSERT_EQUAL(sum, 34);

	/* Frames without RTE_MBUF_F_RX_RSS_HASH: routed and stored, not counted. */
	m = mk_frame(n, false, 0xdeadbeff);
	rx(0, &m, 1, 17);
	m = mk_udp(0x0a000001, 2000, 5000, "y", 1, false, 5);
	rx(1, &m, 1, 1);
	engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	sum = 0;
	for (b = 0; b < 128 * NC; b++)
		sum += g_out[b];
	CU_ASSERT_EQUAL(sum, 34);
	CU_ASSERT_EQUAL(g_out[127 * NC + 1], 12);

	/* More hashed traffic: the counters grow by exactly what arrived. */
	m = mk_frame(n, true, 0x7f);
	rx(1, &m, 1, 17);
	engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	CU_ASSERT_EQUAL(g_out[127 * NC + 0], 10);
	CU_ASSERT_EQUAL(g_out[127 * NC + 1], 24);
	CU_ASSERT_EQUAL(g_out[0 * NC + 0], 5);
	{
		struct slc_ingest_shard_stats ss;
		uint64_t stored = 0;
		uint32_t i;

		for (i = 0; i < NSHARDS; i++) {
			slc_ingest_shard_stats_sum(g_ing, i, &ss);
			stored += ss.stored;
		}
		CU_ASSERT_EQUAL(stored, 4 * 17 + 1);
	}
	engine_free();
}

/* A table of 2048 (the largest) and of 1 (everything in bucket 0) learn as well. */
static void
test_slc_ingest_flow_counts_sizes(void)
{
	static const uint32_t n[NSHARDS] = { 1, 0, 0, 2 };
	struct rte_mbuf *m;

	engine_make(2048);
	m = mk_frame(n, true, 0xfffffbff);      /* low 11 bits: 0x3ff, bucket 1023 */
	rx(0, &m, 1, 3);
	engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	CU_ASSERT_EQUAL(g_out[1023 * NC + 0], 1);
	CU_ASSERT_EQUAL(g_out[1023 * NC + 1], 2);
	CU_ASSERT_EQUAL(g_out[2047 * NC + 1], 0);
	engine_free();

	engine_make(1);
	m = mk_frame(n, true, 0xfffffbff);
	rx(1, &m, 1, 3);
	engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	CU_ASSERT_EQUAL(g_out[0], 1);
	CU_ASSERT_EQUAL(g_out[1], 2);
	engine_free();
}

/* Learning off (0), sizes that are not a power of two or too large, too late. */
static void
test_slc_ingest_set_reta_size_errors(void)
{
	struct slc_ingest_cfg cfg;
	struct slc_ingest *ing;
	static const uint32_t n[NSHARDS] = { 1, 1, 1, 1 };
	struct rte_mbuf *m;

	engine_make(0);
	CU_ASSERT(slc_ingest_reta_size(g_ing) == 0);
	m = mk_frame(n, true, 3);
	rx(0, &m, 1, 4);
	engine_drain();
	memset(g_out, 0xab, sizeof(g_out));
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == -ENOTSUP);
	/* started: too late */
	CU_ASSERT(slc_ingest_set_reta_size(g_ing, 128) == -EINVAL);
	CU_ASSERT(slc_ingest_reta_size(g_ing) == 0);
	engine_free();

	slc_pkt_cfg_default(&g_pcfg);
	slc_ingest_cfg_default(&cfg);
	cfg.n_cores = NC;
	ing = slc_ingest_create(&cfg, &g_pcfg);
	CU_ASSERT_FATAL(ing != NULL);
	CU_ASSERT(slc_ingest_set_reta_size(ing, 3) == -EINVAL);
	CU_ASSERT(slc_ingest_set_reta_size(ing, 100) == -EINVAL);
	CU_ASSERT(slc_ingest_set_reta_size(ing, 4096) == -EINVAL);
	CU_ASSERT(slc_ingest_set_reta_size(ing, SLC_INGEST_RETA_MAX + 1) == -EINVAL);
	CU_ASSERT(slc_ingest_reta_size(ing) == 0);
	CU_ASSERT(slc_ingest_set_reta_size(ing, 512) == 0);
	CU_ASSERT(slc_ingest_reta_size(ing) == 512);
	CU_ASSERT(slc_ingest_set_reta_size(ing, 0) == 0);
	CU_ASSERT(slc_ingest_reta_size(ing) == 0);
	slc_ingest_free(ing);

	/* The same sizes through the configuration: create refuses them. */
	cfg.reta_size = 96;
	rte_errno = 0;
	CU_ASSERT(slc_ingest_create(&cfg, &g_pcfg) == NULL);
	CU_ASSERT(rte_errno == EINVAL);
	cfg.reta_size = 4096;
	rte_errno = 0;
	CU_ASSERT(slc_ingest_create(&cfg, &g_pcfg) == NULL);
	CU_ASSERT(rte_errno == EINVAL);
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { "test_flows", "--no-huge", "--no-shconf", "-m", "128", "--no-pci",
		"--file-prefix", prefix, "-l", "0", "--log-level", "warning", NULL };
	char rundir[PATH_MAX];
	CU_pSuite s;
	unsigned fails;

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "slc-test-flows-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_flows: EAL initialisation failed (--no-huge): %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	g_pool = rte_pktmbuf_pool_create("test_flows", POOL_SIZE, 0, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (g_pool == NULL) {
		fprintf(stderr, "test_flows: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("flows", NULL, NULL);
	CU_add_test(s, "test_slc_ingest_flow_counts_raw", test_slc_ingest_flow_counts_raw);
	CU_add_test(s, "test_slc_ingest_flow_counts_framed", test_slc_ingest_flow_counts_framed);
	CU_add_test(s, "test_slc_ingest_flow_counts_sizes", test_slc_ingest_flow_counts_sizes);
	CU_add_test(s, "test_slc_ingest_set_reta_size_errors",
		test_slc_ingest_set_reta_size_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	rte_mempool_free(g_pool);
	/* The EAL leaves its runtime directory (even with --no-shconf): remove ours. */
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	slc_test_rm_rf(rundir);
	return fails == 0 ? 0 : 1;
}
