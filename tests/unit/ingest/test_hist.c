/*
 * Unit tests of the per-shard traffic histogram (slc_ingest_shard_hist in
 * lib/ingest/ingest.c), the input of automatic scaling (docs/autoscale.md): the
 * engine runs in one thread with fake data cores (ingest_fixture.h), fed
 * framed records whose explicit hash keys are chosen by hand (range ends, both
 * sides of a bucket boundary, the shorter last bucket of a 3-shard stream, a
 * frame hash key, a child shard of a live split). Every case checks the exact
 * range, shift, bucket count, and the records and key + data bytes per bucket,
 * summed over the cores, and that the other buckets and shards stay zero.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "slc_frame.h"
#include "slc_ingest.h"
#include "ingest_fixture.h"

#define POOL_SIZE 1023u
#define P121 ((slc_u128)1 << 121)

/* An engine of n_cores on a new stream of nshards; udp 5001 framed. */
static void
engine_make(uint32_t n_cores, uint32_t nshards)
{
	struct slc_ingest_cfg cfg;

	ifx_cfg(&cfg, n_cores, 256);
	ifx_engine_create(&cfg, "h", nshards, false);
	ifx_engine_start(nshards);
	CU_ASSERT_FATAL(slc_ingest_set_hist(g_ing, 0, true) == 0);
	CU_ASSERT(slc_ingest_set_hist(g_ing, 1, true) == -EINVAL);   /* one stream */
}

/* One record to send: its explicit hash key and its key and data lengths. */
struct rec {
	slc_u128 hk;
	uint16_t key_len;
	uint32_t data_len;
};

/*
 * Send recs as one frame (each record with its own explicit hash key, or all
 * routed by the frame hash key fhk if non-NULL) on core `core`.
 */
static void
send_frame(uint32_t core, const struct rec *recs, uint32_t n, const slc_u128 *fhk)
{
	static uint8_t buf[8192];
	static uint32_t frame_id;
	struct slc_frame_builder b;
	uint8_t hk[16], fk[16];
	char key[300], data[600];
	struct rte_mbuf *m;
	size_t len;
	uint32_t i;

	if (fhk != NULL)
		slc_hashkey_to_be(*fhk, fk);
	CU_ASSERT_FATAL(slc_frame_begin(&b, buf, sizeof(buf), frame_id++,
		fhk != NULL ? fk : NULL) == 0);
	for (i = 0; i < n; i++) {
		CU_ASSERT_FATAL(recs[i].key_len <= sizeof(key) && recs[i].data_len <= sizeof(data));
		memset(key, 'k', recs[i].key_len);
		memset(data, 'd', recs[i].data_len);
		slc_hashkey_to_be(recs[i].hk, hk);
		CU_ASSERT_FATAL(slc_frame_add(&b, key, recs[i].key_len, data, recs[i].data_len,
			fhk != NULL ? NULL : hk) == 0);
	}
	len = slc_frame_end(&b);
	CU_ASSERT_FATAL(len > 0 && len < 1400);
	m = ifx_udp(0x0a000001, 4000, 5001, buf, (uint16_t)len, 0);
	CU_ASSERT(slc_ingest_core_rx(slc_ingest_core_get(g_ing, core), 0, &m, 1, rte_rdtsc()) ==
		n);
}

/* Expected histogram of one slot: counts added bucket by bucket. */
struct want {
	uint64_t records[SLC_INGEST_HIST_BUCKETS];
	uint64_t bytes[SLC_INGEST_HIST_BUCKETS];
};

static void
want_add(struct want *w, uint32_t bucket, const struct rec *r)
{
	w->records[bucket]++;
	w->bytes[bucket] += r->key_len + r->data_len;
}

/* slot's histogram is exactly range [start, end], shift, n_buckets and w. */
static void
check_hist(uint32_t slot, slc_u128 start, slc_u128 end, uint32_t shift, uint32_t n_buckets,
	const struct want *w)
{
	struct slc_ingest_hist h;
	struct slc_ingest_shard_stats ss;
	uint64_t recs = 0;
	uint32_t i;

	memset(&h, 0xa5, sizeof(h));
	CU_ASSERT_FATAL(slc_ingest_shard_hist(g_ing, slot, &h) == 0);
	CU_ASSERT(h.start == start);
	CU_ASSERT(h.end == end);
	CU_ASSERT(h.shift == shift);
	CU_ASSERT(h.n_buckets == n_buckets);
	for (i = 0; i < SLC_INGEST_HIST_BUCKETS; i++) {
		if (h.records[i] != w->records[i] || h.bytes[i] != w->bytes[i])
			fprintf(stderr, "slot %u bucket %u: %" PRIu64 " records %" PRIu64
				" bytes, want %" PRIu64 " and %" PRIu64 "\n", slot, i, h.records[i],
				h.bytes[i], w->records[i], w->bytes[i]);
		CU_ASSERT(h.records[i] == w->records[i]);
		CU_ASSERT(h.bytes[i] == w->bytes[i]);
		recs += h.records[i];
	}
	/* The histogram counts what records_rx counts. */
	slc_ingest_shard_stats_sum(g_ing, slot, &ss);
	CU_ASSERT(ss.records_rx == recs);
}

/* ---- cases ---- */

/*
 * 2 shards of [0, 2^128-1], 2 cores: each shard has 64 buckets of 2^121 keys.
 * Records at the range ends and on both sides of a bucket boundary, sent half on
 * each core, land in exactly their buckets, summed over the cores; a frame hash
 * key routes all its records into its bucket; counters only grow.
 */
/* Off (the default, and after turning it off), routing counts no bucket. */
static void
test_slc_ingest_shard_hist_off(void)
{
	const struct rec r[] = { { 0, 1, 0 }, { (slc_u128)1 << 126, 3, 10 } };
	struct slc_ingest_shard_stats ss;
	struct slc_ingest_hist h;
	uint32_t i;

	engine_make(1, 2);
	CU_ASSERT(slc_ingest_set_hist(g_ing, 0, false) == 0);
	send_frame(0, r, 2, NULL);
	ifx_engine_drain();
	CU_ASSERT_FATAL(slc_ingest_shard_hist(g_ing, 0, &h) == 0);
	for (i = 0; i < SLC_INGEST_HIST_BUCKETS; i++)
		CU_ASSERT(h.records[i] == 0 && h.bytes[i] == 0);
	slc_ingest_shard_stats_sum(g_ing, 0, &ss);
	CU_ASSERT(ss.records_rx == 2 && ss.stored == 2);
	ifx_engine_free();
}

static void
test_slc_ingest_shard_hist_two_shards(void)
{
	const slc_u128 half = (slc_u128)1 << 127;
	const struct rec r0[] = {
		{ 0, 1, 0 },                        /* shard 0, bucket 0: its start */
		{ 5 * P121 - 1, 3, 10 },            /* bucket 4: last key before a boundary */
		{ 5 * P121, 7, 100 },               /* bucket 5: the boundary itself */
		{ 5 * P121 + 1, 2, 1 },             /* bucket 5 */
		{ half - 1, 256, 500 },             /* bucket 63: the shard's end */
	};
	const struct rec r1[] = {
		{ half, 4, 4 },                     /* shard 1, bucket 0: its start */
		{ half + 17 * P121 + 12345, 9, 0 }, /* bucket 17 */
		{ SLC_U128_MAX, 1, 333 },           /* bucket 63: the end of the key space */
	};
	const struct rec fr[] = { { 0, 5, 6 }, { 0, 6, 7 }, { 0, 7, 8 } };
	const slc_u128 fhk = half + 40 * P121 + 1;  /* shard 1, bucket 40 */
	struct want w0, w1;
	struct slc_ingest_hist h;
	uint32_t i;

	memset(&w0, 0, sizeof(w0));
	memset(&w1, 0, sizeof(w1));
	engine_make(2, 2);
	check_hist(0, 0, half - 1, 121, 64, &w0);
	check_hist(1, half, SLC_U128_MAX, 121, 64, &w1);
	CU_ASSERT(slc_ingest_shard_hist(g_ing, 2, &h) == -EINVAL);

	send_frame(0, r0, 3, NULL);
	send_frame(1, r0 + 3, 2, NULL);
	send_frame(1, r1, 3, NULL);
	send_frame(0, fr, 3, &fhk);
	send_frame(1, fr, 3, &fhk);
	ifx_engine_drain();
	want_add(&w0, 0, &r0[0]);
	want_add(&w0, 4, &r0[1]);
	want_add(&w0, 5, &r0[2]);
	want_add(&w0, 5, &r0[3]);
	want_add(&w0, 63, &r0[4]);
	want_add(&w1, 0, &r1[0]);
	want_add(&w1, 17, &r1[1]);
	want_add(&w1, 63, &r1[2]);
	for (i = 0; i < 3; i++) {
		want_add(&w1, 40, &fr[i]);
		want_add(&w1, 40, &fr[i]);
	}
	check_hist(0, 0, half - 1, 121, 64, &w0);
	check_hist(1, half, SLC_U128_MAX, 121, 64, &w1);
	CU_ASSERT(w0.records[5] == 2 && w0.bytes[5] == 110);
	CU_ASSERT(w1.records[40] == 6 && w1.bytes[40] == 2 * (11 + 13 + 15));

	/* Counters only grow: the same records again double every bucket. */
	send_frame(1, r0, 5, NULL);
	ifx_engine_drain();
	for (i = 0; i < 5; i++)
		want_add(&w0, i == 0 ? 0 : i == 1 ? 4 : i < 4 ? 5 : 63, &r0[i]);
	check_hist(0, 0, half - 1, 121, 64, &w0);
	check_hist(1, half, SLC_U128_MAX, 121, 64, &w1);
	ifx_engine_free();
}

/*
 * 3 shards: ranges of floor(2^128 / 3) = w keys, the last one w + 1. Each range
 * is cut into 43 buckets of 2^121 keys (((w - 1) >> 121) + 1 = 43; the last
 * shard's end - start = w, also 43), the 43rd one shorter.
 */
static void
test_slc_ingest_shard_hist_three_shards(void)
{
	slc_u128 s[3], e[3];
	struct want w[3];
	uint32_t i;

	for (i = 0; i < 3; i++)
		CU_ASSERT_FATAL(slc_hashkey_range(3, i, &s[i], &e[i]) == 0);
	CU_ASSERT_FATAL(e[2] == SLC_U128_MAX && e[2] - s[2] == s[1]);
	memset(w, 0, sizeof(w));
	engine_make(1, 3);
	{
		const struct rec r[] = {
			{ s[0], 1, 1 },                 /* shard 0 bucket 0 */
			{ e[0], 2, 2 },                 /* shard 0 bucket 42, the short last one */
			{ s[0] + 42 * P121, 3, 3 },     /* shard 0 bucket 42: where it starts */
			{ s[0] + 42 * P121 - 1, 4, 4 }, /* shard 0 bucket 41 */
			{ s[1], 5, 5 },                 /* shard 1 bucket 0 */
			{ s[1] + 7 * P121 - 1, 6, 6 },  /* shard 1 bucket 6 */
			{ s[1] + 7 * P121, 7, 7 },      /* shard 1 bucket 7 */
			{ e[1], 8, 8 },                 /* shard 1 bucket 42 */
			{ s[2], 9, 9 },                 /* shard 2 bucket 0 */
			{ s[2] + 21 * P121, 10, 10 },   /* shard 2 bucket 21 */
			{ e[2], 11, 11 },               /* shard 2 bucket 42 */
			{ e[2] - 1, 12, 12 },           /* shard 2 bucket 42 */
		};
		const uint32_t shard[] = { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 };
		const uint32_t bucket[] = { 0, 42, 42, 41, 0, 6, 7, 42, 0, 21, 42, 42 };

		send_frame(0, r, RTE_DIM(r), NULL);
		ifx_engine_drain();
		for (i = 0; i < RTE_DIM(r); i++)
			want_add(&w[shard[i]], bucket[i], &r[i]);
	}
	for (i = 0; i < 3; i++)
		check_hist(i, s[i], e[i], 121, 43, &w[i]);
	CU_ASSERT(w[0].records[42] == 2 && w[0].bytes[42] == 10);
	CU_ASSERT(w[2].records[42] == 2 && w[2].bytes[42] == 46);
	ifx_engine_free();
}

/*
 * A live split of shard 0 of 2 at K = 3 * 2^100: child 2, [0, K - 1], has finer
 * buckets (shift 96, 48 buckets), child 3, [K, 2^127 - 1], shift 121 and 64.
 * Records after the switch count in the children only; the closed parent keeps
 * what it had.
 */
static void
test_slc_ingest_shard_hist_children(void)
{
	const slc_u128 half = (slc_u128)1 << 127, k = (slc_u128)3 << 100;
	const struct rec before[] = { { 1, 1, 1 }, { k, 2, 2 } };
	const struct rec after[] = {
		{ 0, 3, 3 },                        /* child 2 bucket 0 */
		{ (slc_u128)1 << 96, 4, 4 },        /* child 2 bucket 1 */
		{ k - 1, 5, 5 },                    /* child 2 bucket 47: its end */
		{ k, 6, 6 },                        /* child 3 bucket 0: its start */
		{ half - 1, 7, 7 },                 /* child 3 bucket 63 */
		{ half, 8, 8 },                     /* shard 1, untouched by the split */
	};
	struct want wp, w2, w3, w1;
	struct slc_stream *view;
	uint32_t retire = 0, add[2], i;
	uint64_t version, end = 0;
	int slot;

	memset(&wp, 0, sizeof(wp));
	memset(&w2, 0, sizeof(w2));
	memset(&w3, 0, sizeof(w3));
	memset(&w1, 0, sizeof(w1));
	engine_make(1, 2);
	send_frame(0, before, 2, NULL);
	ifx_engine_drain();
	want_add(&wp, 0, &before[0]);
	want_add(&wp, 0, &before[1]);

	/* A handle in which children 2 and 3 of shard 0 are open, as sluiced builds. */
	view = ifx_split_view(k);
	for (i = 0; i < 2; i++) {
		slot = slc_ingest_slot_add(g_ing, 0, view, 2 + i, 0);
		CU_ASSERT_FATAL(slot == (int)(2 + i));
		add[i] = (uint32_t)slot;
		CU_ASSERT_FATAL(slc_ingest_request(g_ing, 0, SLC_INGEST_REQ_OPEN, add[i]) == 0);
		CU_ASSERT_FATAL(ifx_serve(0, NULL) == 0);
	}
	/* Opened, not yet routed to: empty histograms with the children's ranges. */
	check_hist(2, 0, k - 1, 96, 48, &w2);
	check_hist(3, k, half - 1, 121, 64, &w3);
	CU_ASSERT_FATAL(slc_ingest_publish(g_ing, &retire, 1, add, 2, &version) == 0);
	slc_ingest_core_poll(slc_ingest_core_get(g_ing, 0), rte_rdtsc());
	CU_ASSERT_FATAL(slc_ingest_acked(g_ing, version));
	CU_ASSERT_FATAL(slc_ingest_request(g_ing, 0, SLC_INGEST_REQ_CLOSE, 0) == 0);
	CU_ASSERT_FATAL(ifx_serve(0, &end) == 0);
	CU_ASSERT(end == 2);

	send_frame(0, after, RTE_DIM(after), NULL);
	ifx_engine_drain();
	want_add(&w2, 0, &after[0]);
	want_add(&w2, 1, &after[1]);
	want_add(&w2, 47, &after[2]);
	want_add(&w3, 0, &after[3]);
	want_add(&w3, 63, &after[4]);
	want_add(&w1, 0, &after[5]);
	check_hist(0, 0, half - 1, 121, 64, &wp);
	check_hist(1, half, SLC_U128_MAX, 121, 64, &w1);
	check_hist(2, 0, k - 1, 96, 48, &w2);
	check_hist(3, k, half - 1, 121, 64, &w3);
	ifx_engine_free();
	slc_stream_close(view);
}

int
main(void)
{
	static const CU_TestInfo cases[] = {
		{ "test_slc_ingest_shard_hist_off", test_slc_ingest_shard_hist_off },
		{ "test_slc_ingest_shard_hist_two_shards", test_slc_ingest_shard_hist_two_shards },
		{ "test_slc_ingest_shard_hist_three_shards",
			test_slc_ingest_shard_hist_three_shards },
		{ "test_slc_ingest_shard_hist_children", test_slc_ingest_shard_hist_children },
		CU_TEST_INFO_NULL,
	};

	return ifx_main("hist", POOL_SIZE, "ingest_hist", cases);
}
