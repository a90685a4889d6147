/*
 * Unit tests of the ingest engine's flow learning for RSS steering
 * (slc_ingest_flow_counts, docs/dataplane.md "RSS steering"), in one thread: an
 * engine of 2 fake data cores over a stream of 4 shards (owners: shard i on core
 * i % 2), real log writers on a mkdtemp dir under /var/tmp, UDP frames built by
 * hand in mbufs from a --no-huge EAL's pool (ingest_fixture.h). A frame
 * "received by a NIC" carries RTE_MBUF_F_RX_RSS_HASH and hash.rss; each record it
 * yields must be counted once under bucket (hash.rss & (reta_size - 1)) and its
 * shard's owner, summed over the receiving cores; frames without the flag are not
 * counted; a size the engine cannot learn is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "slc_frame.h"
#include "slc_ingest.h"
#include "ingest_fixture.h"

#define POOL_SIZE 2047u
#define NC 2
#define NSHARDS 4

static uint64_t g_out[SLC_INGEST_RETA_MAX * NC];

/* 2 cores, 4 shards; udp 5000 raw, 5001 framed; learning over reta_size buckets. */
static void
engine_make(uint32_t reta_size)
{
	struct slc_ingest_cfg cfg;
	uint32_t i;

	ifx_cfg(&cfg, NC, 1024);
	CU_ASSERT(cfg.reta_size == 0);          /* off unless asked for */
	ifx_engine_create(&cfg, "s", NSHARDS, true);
	/* As main.c does: between create and start, once the ports are up. */
	CU_ASSERT_FATAL(slc_ingest_set_reta_size(g_ing, reta_size) == 0);
	CU_ASSERT(slc_ingest_reta_size(g_ing) == reta_size);
	ifx_engine_start(NSHARDS);
	for (i = 0; i < NSHARDS; i++)
		CU_ASSERT_FATAL(slc_ingest_shard_info(g_ing, i)->owner == i % NC);
}

/*
 * A frame from src:sport to dport carrying pl[0..len); with rss, marked as a
 * NIC marks a hashed frame.
 */
static struct rte_mbuf *
mk_udp(uint32_t src, uint16_t sport, uint16_t dport, const void *pl, uint16_t len, bool rss,
	uint32_t hash)
{
	struct rte_mbuf *m = ifx_udp(src, sport, dport, pl, len, 0);

	/* Set either way: a stale value without the flag means nothing. */
	m->hash.rss = hash;
	if (rss)
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	return m;
}

static void
rx(uint32_t core, struct rte_mbuf **pkts, uint16_t n, uint32_t want_records)
{
	CU_ASSERT(slc_ingest_core_rx(slc_ingest_core_get(g_ing, core), 0, pkts, n,
		rte_rdtsc()) == want_records);
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
		k = slc_ingest_shard_info(g_ing, ifx_shard_of_key(key, NSHARDS))->owner;
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
	ifx_engine_drain();
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
	ifx_engine_free();
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
	ifx_engine_drain();
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
	ifx_engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	sum = 0;
	for (b = 0; b < 128 * NC; b++)
		sum += g_out[b];
	CU_ASSERT_EQUAL(sum, 34);
	CU_ASSERT_EQUAL(g_out[127 * NC + 1], 12);

	/* More hashed traffic: the counters grow by exactly what arrived. */
	m = mk_frame(n, true, 0x7f);
	rx(1, &m, 1, 17);
	ifx_engine_drain();
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
	ifx_engine_free();
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
	ifx_engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	CU_ASSERT_EQUAL(g_out[1023 * NC + 0], 1);
	CU_ASSERT_EQUAL(g_out[1023 * NC + 1], 2);
	CU_ASSERT_EQUAL(g_out[2047 * NC + 1], 0);
	ifx_engine_free();

	engine_make(1);
	m = mk_frame(n, true, 0xfffffbff);
	rx(1, &m, 1, 3);
	ifx_engine_drain();
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == 0);
	CU_ASSERT_EQUAL(g_out[0], 1);
	CU_ASSERT_EQUAL(g_out[1], 2);
	ifx_engine_free();
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
	ifx_engine_drain();
	memset(g_out, 0xab, sizeof(g_out));
	CU_ASSERT(slc_ingest_flow_counts(g_ing, g_out) == -ENOTSUP);
	/* started: too late */
	CU_ASSERT(slc_ingest_set_reta_size(g_ing, 128) == -EINVAL);
	CU_ASSERT(slc_ingest_reta_size(g_ing) == 0);
	ifx_engine_free();

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
main(void)
{
	static const CU_TestInfo cases[] = {
		{ "test_slc_ingest_flow_counts_raw", test_slc_ingest_flow_counts_raw },
		{ "test_slc_ingest_flow_counts_framed", test_slc_ingest_flow_counts_framed },
		{ "test_slc_ingest_flow_counts_sizes", test_slc_ingest_flow_counts_sizes },
		{ "test_slc_ingest_set_reta_size_errors", test_slc_ingest_set_reta_size_errors },
		CU_TEST_INFO_NULL,
	};

	return ifx_main("flows", POOL_SIZE, "flows", cases);
}
