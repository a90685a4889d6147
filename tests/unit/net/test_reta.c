/*
 * Unit tests of RSS steering's device side (drivers/net/reta.c): the planner
 * (folding a learned table of 2048 buckets onto RETAs of 512 and 128 entries,
 * the minimum and the share that hold an entry back, ties, nothing learned),
 * the hand-over estimate, and reading and writing the RETA of a real DPDK
 * virtual device: net_null, which takes RSS and RETA updates (128 entries) in
 * DPDK 22.11, brought up by slc_port_setup() with 2 queues; net_ring, which has
 * no RETA, for the error path. EAL: --no-huge, a file prefix of its own.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "slc_port.h"
#include "../slc_test.h"

#define NC 2                         /* data cores of the folding cases */
#define LEARN 2048

static uint64_t g_delta[LEARN * NC];
static uint16_t g_cur[LEARN], g_next[LEARN];
static struct rte_mempool *g_pool;
static uint16_t g_null = UINT16_MAX, g_ring = UINT16_MAX;

static void
add(uint32_t bucket, uint32_t core, uint64_t n)
{
	g_delta[bucket * NC + core] += n;
}

/* ---- planning ---- */

/*
 * 2048 learned buckets onto a RETA of 512 (round-robin now): entry e collects
 * buckets e, e + 512, e + 1024, e + 1536.
 *   0..127:   bucket e: 100 records for core 1             -> 1
 *   128..255: bucket e: 20 for core 0; the three folded
 *             buckets 20 each for core 1 (60 of 80 = 75 %) -> 1 (only folding sees it)
 *   256..383: bucket e + 1536: 50 for core 0, e + 1024: 50
 *             for core 1 (a tie: 50 %)                     -> stays
 *   384..511: nothing                                      -> stays
 */
static void
test_slc_port_reta_plan_fold_512(void)
{
	uint32_t e;

	memset(g_delta, 0, sizeof(g_delta));
	for (e = 0; e < 512; e++)
		g_cur[e] = (uint16_t)(e % 2);
	for (e = 0; e < 128; e++)
		add(e, 1, 100);
	for (e = 128; e < 256; e++) {
		add(e, 0, 20);
		add(e + 512, 1, 20);
		add(e + 1024, 1, 20);
		add(e + 1536, 1, 20);
	}
	for (e = 256; e < 384; e++) {
		add(e + 1536, 0, 50);
		add(e + 1024, 1, 50);
	}
	CU_ASSERT(slc_port_reta_plan(g_delta, LEARN, NC, g_cur, 512, 16, 60, g_next) == 128);
	for (e = 0; e < 512; e++)
		CU_ASSERT_EQUAL(g_next[e], e < 256 ? 1 : e % 2);
	/* The current table is not touched. */
	for (e = 0; e < 512; e++)
		CU_ASSERT_EQUAL(g_cur[e], e % 2);
}

/*
 * 2048 buckets onto 128: entry e collects the 16 buckets e + 128 j. With
 * m = e % 16, core 0 has one record in each of buckets j = 0..m, core 1 one in
 * j = m+1..15 (16 in all): core 1 has >= 60 % for m <= 5 (10 of 16 = 62.5 %),
 * core 0 for m >= 9; m = 6, 7, 8 (56 %, 50 %, 56 %) stay. Current: entries
 * 0..63 on queue 0, 64..127 on queue 1.
 */
static void
test_slc_port_reta_plan_fold_128(void)
{
	uint32_t e, j, m, moved = 0;
	uint16_t want;

	memset(g_delta, 0, sizeof(g_delta));
	for (e = 0; e < 128; e++) {
		g_cur[e] = e < 64 ? 0 : 1;
		m = e % 16;
		for (j = 0; j < 16; j++)
			add(e + 128 * j, j <= m ? 0 : 1, 1);
	}
	CU_ASSERT(slc_port_reta_plan(g_delta, LEARN, NC, g_cur, 128, 16, 60, g_next) == 52);
	for (e = 0; e < 128; e++) {
		m = e % 16;
		want = m <= 5 ? 1 : m >= 9 ? 0 : g_cur[e];
		CU_ASSERT_EQUAL(g_next[e], want);
		moved += g_next[e] != g_cur[e];
	}
	/* 4 x 6 entries from queue 0 to 1 (m <= 5), 4 x 7 from queue 1 to 0 (m >= 9). */
	CU_ASSERT_EQUAL(moved, 52);
	/* 16 records per entry: a minimum of 17 holds every entry back, 16 does not. */
	CU_ASSERT(slc_port_reta_plan(g_delta, LEARN, NC, g_cur, 128, 17, 60, g_next) == 0);
	for (e = 0; e < 128; e++)
		CU_ASSERT_EQUAL(g_next[e], g_cur[e]);
}

/*
 * No folding (8 = 8), 3 cores, current {0,0,0,0,0,2,2,0}:
 *   0: core 1 60, core 0 40   -> 1 (exactly 60 %)
 *   1: core 1 59, core 0 41   -> stays at 60 %, 1 at 50 %
 *   2: core 2 15              -> stays (below the minimum of 16)
 *   3: core 2 16              -> 2
 *   4: cores 1 and 2 50 each  -> stays at 60 %; at 50 % a tie: the lower core, 1
 *   5: cores 0 and 2 50 each  -> at 50 % a tie that includes the current queue 2: stays
 *   6: core 2 100, already 2  -> stays, not counted as moved
 *   7: nothing                -> stays
 */
static const uint16_t hyst_cur[8] = { 0, 0, 0, 0, 0, 2, 2, 0 };

static void
hyst_delta(uint64_t *d)
{
	memset(d, 0, 8 * 3 * sizeof(*d));
	d[0 * 3 + 1] = 60;
	d[0 * 3 + 0] = 40;
	d[1 * 3 + 1] = 59;
	d[1 * 3 + 0] = 41;
	d[2 * 3 + 2] = 15;
	d[3 * 3 + 2] = 16;
	d[4 * 3 + 1] = 50;
	d[4 * 3 + 2] = 50;
	d[5 * 3 + 0] = 50;
	d[5 * 3 + 2] = 50;
	d[6 * 3 + 2] = 100;
}

static void
test_slc_port_reta_plan_hysteresis(void)
{
	static const uint16_t want60[8] = { 1, 0, 0, 2, 0, 2, 2, 0 };
	static const uint16_t want50[8] = { 1, 1, 0, 2, 1, 2, 2, 0 };
	uint64_t d[8 * 3];
	uint16_t next[8];

	hyst_delta(d);
	CU_ASSERT(slc_port_reta_plan(d, 8, 3, hyst_cur, 8, 16, 60, next) == 2);
	CU_ASSERT(memcmp(next, want60, sizeof(next)) == 0);
	CU_ASSERT(slc_port_reta_plan(d, 8, 3, hyst_cur, 8, 16, 50, next) == 4);
	CU_ASSERT(memcmp(next, want50, sizeof(next)) == 0);
	/* 100 %: only entries one core owns entirely (3; 6 is there already). */
	CU_ASSERT(slc_port_reta_plan(d, 8, 3, hyst_cur, 8, 16, 100, next) == 1);
	CU_ASSERT(next[3] == 2 && next[0] == 0 && next[6] == 2);
}

/* Ties without a current queue among them go to the lowest core, at any share. */
static void
test_slc_port_reta_plan_ties(void)
{
	uint64_t d[4 * 4];
	uint16_t cur[4] = { 3, 3, 0, 1 }, next[4];
	static const uint16_t want[4] = { 1, 3, 1, 2 };

	memset(d, 0, sizeof(d));
	d[0 * 4 + 1] = 30;      /* entry 0: cores 1, 2 tie, current 3 has 10 -> 1 */
	d[0 * 4 + 2] = 30;
	d[0 * 4 + 3] = 10;
	d[1 * 4 + 0] = 25;      /* entry 1: all four tie, current 3 among them -> 3 */
	d[1 * 4 + 1] = 25;
	d[1 * 4 + 2] = 25;
	d[1 * 4 + 3] = 25;
	d[2 * 4 + 1] = 20;      /* entry 2: cores 1 and 3 tie, current 0 has none -> 1 */
	d[2 * 4 + 3] = 20;
	d[3 * 4 + 2] = 40;      /* entry 3: core 2 alone -> 2 */
	CU_ASSERT(slc_port_reta_plan(d, 4, 4, cur, 4, 1, 0, next) == 3);
	CU_ASSERT(memcmp(next, want, sizeof(next)) == 0);
}

/* Nothing learned: nothing moves, whatever the thresholds; planning in place works. */
static void
test_slc_port_reta_plan_no_counts(void)
{
	uint32_t e;

	memset(g_delta, 0, sizeof(g_delta));
	for (e = 0; e < 512; e++)
		g_cur[e] = (uint16_t)(e % 2);
	CU_ASSERT(slc_port_reta_plan(g_delta, LEARN, NC, g_cur, 512, 0, 0, g_next) == 0);
	for (e = 0; e < 512; e++)
		CU_ASSERT_EQUAL(g_next[e], e % 2);
	/* In place: next is cur. */
	add(3, 0, 100);
	CU_ASSERT(slc_port_reta_plan(g_delta, LEARN, NC, g_cur, 512, 16, 60, g_cur) == 1);
	CU_ASSERT_EQUAL(g_cur[3], 0);
	CU_ASSERT_EQUAL(g_cur[1], 1);
	CU_ASSERT_EQUAL(g_cur[2], 0);
}

static void
test_slc_port_reta_plan_bad_args(void)
{
	memset(g_delta, 0, sizeof(g_delta));
	memset(g_cur, 0, sizeof(g_cur));
	CU_ASSERT(slc_port_reta_plan(g_delta, 2048, 2, g_cur, 96, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 1000, 2, g_cur, 8, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 128, 2, g_cur, 512, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 128, 0, g_cur, 128, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 128, 2, g_cur, 0, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 128, 2, g_cur, 128, 16, 101, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(NULL, 128, 2, g_cur, 128, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 128, 2, NULL, 128, 16, 60, g_next) == -EINVAL);
	CU_ASSERT(slc_port_reta_plan(g_delta, 128, 2, g_cur, 128, 16, 60, NULL) == -EINVAL);
}

/* The records a table hands over, before and after the hysteresis plan; folding 4 -> 2. */
static void
test_slc_port_reta_handover(void)
{
	static const uint16_t after[8] = { 1, 0, 0, 2, 0, 2, 2, 0 };
	static const uint16_t t2[2] = { 0, 1 };
	uint64_t d[8 * 3], d4[4 * 2], total = 0;

	hyst_delta(d);
	CU_ASSERT(slc_port_reta_handover(d, 8, 3, hyst_cur, 8, &total) == 300);
	CU_ASSERT_EQUAL(total, 531);
	CU_ASSERT(slc_port_reta_handover(d, 8, 3, after, 8, NULL) == 264);
	/* Buckets 0..3 onto 2 entries: 2 -> entry 0 (queue 0), 3 -> entry 1 (queue 1). */
	memset(d4, 0, sizeof(d4));
	d4[0 * 2 + 0] = 5;      /* owner 0 on queue 0 */
	d4[1 * 2 + 1] = 7;      /* owner 1 on queue 1 */
	d4[2 * 2 + 1] = 3;      /* owner 1 on queue 0: handed over */
	d4[3 * 2 + 0] = 2;      /* owner 0 on queue 1: handed over */
	CU_ASSERT(slc_port_reta_handover(d4, 4, 2, t2, 2, &total) == 5);
	CU_ASSERT_EQUAL(total, 17);
	total = 99;
	CU_ASSERT(slc_port_reta_handover(d4, 4, 2, t2, 3, &total) == 0);
	CU_ASSERT_EQUAL(total, 0);
}

/* ---- the device: net_null (RETA of 128) and net_ring (none) ---- */

/* slc_port_setup programmed net_null's table round-robin over its 2 queues. */
static void
test_slc_port_reta_get_round_robin(void)
{
	uint16_t t[128];
	char err[320];
	uint32_t i;

	CU_ASSERT_FATAL(slc_port_reta_get(g_null, t, 128, err, sizeof(err)) == 0);
	for (i = 0; i < 128; i++)
		CU_ASSERT_EQUAL(t[i], i % 2);
}

static void
test_slc_port_reta_set_read_back(void)
{
	uint16_t cur[128], next[128], back[128];
	char err[320];
	uint32_t i;

	CU_ASSERT_FATAL(slc_port_reta_get(g_null, cur, 128, err, sizeof(err)) == 0);
	memcpy(next, cur, sizeof(next));
	for (i = 0; i < 10; i++)
		next[i] = (uint16_t)(1 - cur[i]);
	next[127] = 0;                  /* was 1 */
	next[64] = 0;                   /* unchanged (0): not written */
	CU_ASSERT(slc_port_reta_set(g_null, cur, next, 128, err, sizeof(err)) == 11);
	memset(back, 0xff, sizeof(back));
	CU_ASSERT_FATAL(slc_port_reta_get(g_null, back, 128, err, sizeof(err)) == 0);
	CU_ASSERT(memcmp(back, next, sizeof(back)) == 0);
	/* Nothing differs: nothing written. */
	CU_ASSERT(slc_port_reta_set(g_null, next, next, 128, err, sizeof(err)) == 0);
	/* cur NULL: the whole table (all on queue 1). */
	for (i = 0; i < 128; i++)
		next[i] = 1;
	CU_ASSERT(slc_port_reta_set(g_null, NULL, next, 128, err, sizeof(err)) == 128);
	CU_ASSERT_FATAL(slc_port_reta_get(g_null, back, 128, err, sizeof(err)) == 0);
	CU_ASSERT(memcmp(back, next, sizeof(back)) == 0);
	/* Back to round-robin, only the even entries written. */
	for (i = 0; i < 128; i++)
		cur[i] = (uint16_t)(i % 2);
	CU_ASSERT(slc_port_reta_set(g_null, next, cur, 128, err, sizeof(err)) == 64);
	CU_ASSERT_FATAL(slc_port_reta_get(g_null, back, 128, err, sizeof(err)) == 0);
	CU_ASSERT(memcmp(back, cur, sizeof(back)) == 0);
}

static void
test_slc_port_reta_set_errors(void)
{
	uint16_t cur[128], next[128], back[128];
	char err[320];

	CU_ASSERT_FATAL(slc_port_reta_get(g_null, cur, 128, err, sizeof(err)) == 0);
	memcpy(next, cur, sizeof(next));
	next[4] = 1;
	next[5] = 2;                    /* no queue 2 */
	err[0] = '\0';
	CU_ASSERT(slc_port_reta_set(g_null, cur, next, 128, err, sizeof(err)) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port 0 (net_null0): RETA entry 5 -> queue 2, but the port "
		"has 2 rx queues");
	/* Nothing was written, not even entry 4. */
	CU_ASSERT_FATAL(slc_port_reta_get(g_null, back, 128, err, sizeof(err)) == 0);
	CU_ASSERT(memcmp(back, cur, sizeof(back)) == 0);

	CU_ASSERT(slc_port_reta_get(g_null, back, 64, err, sizeof(err)) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port 0 (net_null0): its RETA has 128 entries, not 64");
	CU_ASSERT(slc_port_reta_set(g_null, NULL, next, 256, err, sizeof(err)) == -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port 0 (net_null0): its RETA has 128 entries, not 256");
	CU_ASSERT(slc_port_reta_get(77, back, 128, err, sizeof(err)) == -ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "port 77: no such DPDK port");
	CU_ASSERT(slc_port_reta_get(g_ring, back, 128, err, sizeof(err)) == -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(err, "port 1 (net_ring0, driver net_ring) has no RSS redirection "
		"table");
	CU_ASSERT(slc_port_reta_set(g_ring, NULL, next, 128, err, sizeof(err)) == -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(err, "port 1 (net_ring0, driver net_ring) has no RSS redirection "
		"table");
}

/* Bring up net_null with 2 queues as sluiced does; find net_ring. 0 or -1. */
static int
ports_up(void)
{
	struct slc_port_info pi;
	char err[512];
	int ret;

	if (rte_eth_dev_get_port_by_name("net_null0", &g_null) != 0 ||
			rte_eth_dev_get_port_by_name("net_ring0", &g_ring) != 0) {
		fprintf(stderr, "test_reta: the vdevs net_null0 and net_ring0 are missing\n");
		return -1;
	}
	ret = slc_port_setup(g_null, 2, g_pool, &pi, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "test_reta: %s\n", err);
		return -1;
	}
	/* What the tests above rely on: RSS on and the table programmed. */
	if (!pi.rss || pi.reta_size != 128 || pi.n_queues != 2) {
		fprintf(stderr, "test_reta: net_null0: rss %d, reta_size %u, queues %u: want 1, "
			"128, 2\n", pi.rss, pi.reta_size, pi.n_queues);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { "test_reta", "--no-huge", "--no-shconf", "-m", "128", "--no-pci",
		"--vdev", "net_null0", "--vdev", "net_ring0", "--file-prefix", prefix, "-l", "0",
		"--log-level", "warning", NULL };
	char rundir[PATH_MAX];
	CU_pSuite s;
	unsigned fails;

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "slc-test-reta-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "test_reta: EAL initialisation failed (--no-huge): %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	g_pool = rte_pktmbuf_pool_create("test_reta", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (g_pool == NULL) {
		fprintf(stderr, "test_reta: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (ports_up() != 0)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("reta", NULL, NULL);
	CU_add_test(s, "test_slc_port_reta_plan_fold_512", test_slc_port_reta_plan_fold_512);
	CU_add_test(s, "test_slc_port_reta_plan_fold_128", test_slc_port_reta_plan_fold_128);
	CU_add_test(s, "test_slc_port_reta_plan_hysteresis", test_slc_port_reta_plan_hysteresis);
	CU_add_test(s, "test_slc_port_reta_plan_ties", test_slc_port_reta_plan_ties);
	CU_add_test(s, "test_slc_port_reta_plan_no_counts", test_slc_port_reta_plan_no_counts);
	CU_add_test(s, "test_slc_port_reta_plan_bad_args", test_slc_port_reta_plan_bad_args);
	CU_add_test(s, "test_slc_port_reta_handover", test_slc_port_reta_handover);
	CU_add_test(s, "test_slc_port_reta_get_round_robin", test_slc_port_reta_get_round_robin);
	CU_add_test(s, "test_slc_port_reta_set_read_back", test_slc_port_reta_set_read_back);
	CU_add_test(s, "test_slc_port_reta_set_errors", test_slc_port_reta_set_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	slc_port_stop(g_null);
	slc_port_close(g_null);
	rte_mempool_free(g_pool);
	/* The EAL leaves its runtime directory (even with --no-shconf): remove ours. */
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	slc_test_rm_rf(rundir);
	return fails == 0 ? 0 : 1;
}
