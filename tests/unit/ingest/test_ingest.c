/*
 * Unit tests of the ingest engine (lib/ingest/ingest.c): the cross-core logic in
 * one thread. Each case builds an engine of 2 or 3 fake data cores with real log
 * writers on a fresh mkdtemp data dir under /var/tmp, feeds them bursts of UDP
 * frames built by hand in mbufs from a small pool of a --no-huge EAL (all set up
 * by ingest_fixture.h), polls the cores in turn until every ring is empty, syncs,
 * and reads the shards back with slc_log_reader. It checks that every record is
 * stored exactly once, by its shard's owner, in per-key order; that a full ring
 * drops exactly what does not fit, counted ring_full; and that every mbuf is back
 * in the pool afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "slc_frame.h"
#include "slc_ingest.h"
#include "ingest_fixture.h"

#define POOL_SIZE 2047u

/* An engine of n cores on a new stream of nshards; udp 5000 raw, 5001 framed. */
static void
engine_make(uint32_t n_cores, uint32_t nshards, uint32_t ring_size)
{
	struct slc_ingest_cfg cfg;

	ifx_cfg(&cfg, n_cores, ring_size);
	ifx_engine_create(&cfg, "s", nshards, true);
	CU_ASSERT(slc_ingest_add_stream(g_ing, g_st) == -EEXIST);
	CU_ASSERT(slc_ingest_add_route(g_ing, 5001, SLC_PKT_MODE_RAW, 0) == -EEXIST);
	CU_ASSERT(slc_ingest_add_route(g_ing, 5002, SLC_PKT_MODE_RAW, 1) == -EINVAL);
	ifx_engine_start(nshards);
	CU_ASSERT(slc_ingest_map_version(g_ing) == 1);
}

/* Read shard `index` of st back into keys[]/datas[] (NUL-terminated copies). */
static uint32_t
read_shard_of(const struct slc_stream *st, uint32_t index, char (*keys)[64],
	char (*datas)[4096], uint32_t max)
{
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	struct slc_log_reader *r = slc_log_reader_open(st, index, &pos);
	struct slc_record rec;
	uint32_t n = 0;

	CU_ASSERT_FATAL(r != NULL);
	while (slc_log_reader_next(r, &rec) == 1) {
		CU_ASSERT_FATAL(n < max);
		CU_ASSERT_FATAL(rec.key_len < 64 && rec.data_len < 4096);
		memcpy(keys[n], rec.key, rec.key_len);
		keys[n][rec.key_len] = '\0';
		memcpy(datas[n], rec.data, rec.data_len);
		datas[n][rec.data_len] = '\0';
		n++;
	}
	slc_log_reader_close(r);
	return n;
}

static uint32_t
read_shard(uint32_t index, char (*keys)[64], char (*datas)[4096], uint32_t max)
{
	return read_shard_of(g_st, index, keys, datas, max);
}

static char g_keys[2048][64];
static char g_datas[2048][4096];

/* ---- cases ---- */

/*
 * 3 cores, 6 shards, raw: 30 senders x 10 datagrams; sender i arrives on core
 * i % 3 (as RSS would put a flow on one queue). Every record is stored once, in
 * the shard of MD5(key), by that shard's owner, in per-sender order.
 */
static void
test_slc_ingest_core_rx_raw_three_cores(void)
{
	struct rte_mbuf *burst[3][SLC_INGEST_BURST];
	uint32_t nb[3] = { 0 }, seen[30] = { 0 }, total = 0, i, j, s, c, n;
	uint64_t stored = 0, hout = 0, hin = 0;
	char pl[64];

	engine_make(3, 6, 64);
	for (j = 0; j < 10; j++) {
		for (i = 0; i < 30; i++) {
			c = i % 3;
			n = (uint32_t)snprintf(pl, sizeof(pl), "s%u-%u", i, j);
			burst[c][nb[c]++] = ifx_udp(0x0a000001 + i, (uint16_t)(1000 + i), 5000, pl,
				(uint16_t)n, 0);
			if (nb[c] == SLC_INGEST_BURST) {
				slc_ingest_core_rx(slc_ingest_core_get(g_ing, c), 0, burst[c], nb[c],
					rte_rdtsc());
				nb[c] = 0;
			}
		}
		/* Interleave polls with rx, as the loop does. */
		for (c = 0; c < 3; c++)
			slc_ingest_core_poll(slc_ingest_core_get(g_ing, c), rte_rdtsc());
	}
	for (c = 0; c < 3; c++)
		if (nb[c] > 0)
			slc_ingest_core_rx(slc_ingest_core_get(g_ing, c), 0, burst[c], nb[c],
				rte_rdtsc());
	ifx_engine_drain();

	for (s = 0; s < 6; s++) {
		n = read_shard(s, g_keys, g_datas, 2048);
		for (i = 0; i < n; i++) {
			unsigned a, b, sender, port;

			CU_ASSERT_FATAL(sscanf(g_datas[i], "s%u-%u", &a, &b) == 2);
			CU_ASSERT_FATAL(a < 30);
			sender = a;
			CU_ASSERT(sscanf(g_keys[i], "10.0.0.%*u:%u", &port) == 1 && port == 1000 + a);
			CU_ASSERT(ifx_shard_of_key(g_keys[i], 6) == s);
			/* per-sender order, and each exactly once */
			CU_ASSERT(b == seen[sender]);
			seen[sender] = b + 1;
			total++;
		}
	}
	CU_ASSERT(total == 300);
	for (i = 0; i < 30; i++)
		CU_ASSERT(seen[i] == 10);
	for (s = 0; s < 6; s++) {
		struct slc_ingest_shard_stats ss;
		const struct slc_ingest_shard_info *si = slc_ingest_shard_info(g_ing, s);

		CU_ASSERT(si->owner == s % 3);
		slc_ingest_shard_stats_sum(g_ing, s, &ss);
		CU_ASSERT(ss.records_rx == ss.stored);
		CU_ASSERT(ss.handover_out == ss.handover_in);
		CU_ASSERT(ss.durable == ss.stored);
		/* Only the owner stores. */
		for (c = 0; c < 3; c++)
			if (c != si->owner)
				CU_ASSERT(slc_ingest_core_shard_stats(slc_ingest_core_get(g_ing, c),
					s)->stored == 0);
		stored += ss.stored;
		hout += ss.handover_out;
		hin += ss.handover_in;
	}
	CU_ASSERT(stored == 300);
	CU_ASSERT(hout == hin);
	CU_ASSERT(hout > 0);
	ifx_engine_free();
}

/* A frame routed by a frame hash key to core 1's shard. */
static struct rte_mbuf *
mk_frame_to_high_half(uint32_t nrec, const char *keyfmt, uint16_t split, uint32_t data_len)
{
	static uint8_t buf[16384];
	static char data[4096];
	struct slc_frame_builder b;
	uint8_t hk[16];
	char key[32];
	size_t len;
	uint32_t i;

	memset(hk, 0, sizeof(hk));
	hk[0] = 0x80;    /* 2^127: shard 1 of 2, owned by core 1 */
	hk[15] = 1;
	CU_ASSERT_FATAL(slc_frame_begin(&b, buf, sizeof(buf), 7, hk) == 0);
	for (i = 0; i < nrec; i++) {
		snprintf(key, sizeof(key), keyfmt, i);
		memset(data, 'a' + (i % 26), data_len);
		snprintf(data, sizeof(data), "r%u", i);
		data[strlen(data)] = data_len > strlen(data) ? '-' : '\0';
		CU_ASSERT_FATAL(slc_frame_add(&b, key, (uint16_t)strlen(key), data, data_len,
			NULL) == 0);
	}
	len = slc_frame_end(&b);
	CU_ASSERT_FATAL(len > 0);
	return ifx_udp(0x0a000101, 4000, 5001, buf, (uint16_t)len, split);
}

/*
 * Ring of 4 elements (3 usable) from core 0 to core 1: one datagram of 10
 * records for core 1's shard arriving on core 0 hands over exactly 3 and drops
 * exactly 7 as ring_full; the 3 are stored once.
 */
static void
test_slc_ingest_core_rx_ring_full(void)
{
	struct slc_ingest_shard_stats ss;
	struct rte_mbuf *m;
	uint32_t n, i;

	engine_make(2, 2, 4);
	m = mk_frame_to_high_half(10, "k%u", 0, 8);
	CU_ASSERT(slc_ingest_core_rx(slc_ingest_core_get(g_ing, 0), 0, &m, 1, rte_rdtsc()) == 10);
	slc_ingest_shard_stats_sum(g_ing, 1, &ss);
	CU_ASSERT(ss.records_rx == 10);
	CU_ASSERT(ss.handover_out == 3);
	CU_ASSERT(ss.drop[SLC_INGEST_D_RING_FULL] == 7);
	ifx_engine_drain();
	slc_ingest_shard_stats_sum(g_ing, 1, &ss);
	CU_ASSERT(ss.stored == 3);
	CU_ASSERT(ss.handover_in == 3);
	CU_ASSERT(slc_ingest_core_stats(slc_ingest_core_get(g_ing, 1))->handover_in == 3);
	n = read_shard(1, g_keys, g_datas, 2048);
	CU_ASSERT(n == 3);
	for (i = 0; i < n; i++) {
		char want[16];

		snprintf(want, sizeof(want), "k%u", i);
		CU_ASSERT(strcmp(g_keys[i], want) == 0);
	}
	CU_ASSERT(read_shard(0, g_keys, g_datas, 2048) == 0);
	ifx_engine_free();
}

/*
 * A datagram in a two-segment chain: the pkt context copies it to its scratch,
 * so records handed over are copied into fresh mbufs (2 KiB records: a chain
 * of two each). All stored with the right bytes; nothing leaks.
 */
static void
test_slc_ingest_core_rx_chain_handover(void)
{
	struct rte_mbuf *m;
	uint32_t n, i;

	engine_make(2, 2, 64);
	m = mk_frame_to_high_half(4, "chain%u", 300, 2100);
	CU_ASSERT(slc_ingest_core_rx(slc_ingest_core_get(g_ing, 0), 0, &m, 1, rte_rdtsc()) == 4);
	/* Copies hold mbufs from the pool until the owner appends them. */
	CU_ASSERT(rte_mempool_avail_count(g_pool) < POOL_SIZE);
	ifx_engine_drain();
	n = read_shard(1, g_keys, g_datas, 2048);
	CU_ASSERT(n == 4);
	for (i = 0; i < n; i++) {
		char want[16];

		snprintf(want, sizeof(want), "chain%u", i);
		CU_ASSERT(strcmp(g_keys[i], want) == 0);
		CU_ASSERT(strlen(g_datas[i]) == 2100);
		CU_ASSERT(g_datas[i][2099] == 'a' + (char)(i % 26));
		snprintf(want, sizeof(want), "r%u-", i);
		CU_ASSERT(strncmp(g_datas[i], want, strlen(want)) == 0);
	}
	ifx_engine_free();
}

/* A frame with a bad CRC is dropped whole and counted by cause; no record. */
static void
test_slc_ingest_core_rx_bad_frame(void)
{
	const struct slc_ingest_port_stats *ps;
	struct rte_mbuf *m;
	uint8_t *p;

	engine_make(2, 2, 64);
	m = mk_frame_to_high_half(3, "bad%u", 0, 8);
	p = rte_pktmbuf_mtod_offset(m, uint8_t *, m->data_len - 1);
	*p ^= 0xff;
	CU_ASSERT(slc_ingest_core_rx(slc_ingest_core_get(g_ing, 0), 0, &m, 1, rte_rdtsc()) == 0);
	ps = &slc_ingest_core_stats(slc_ingest_core_get(g_ing, 0))->port[0];
	CU_ASSERT(ps->rx_packets == 1);
	CU_ASSERT(ps->datagrams == 1);
	CU_ASSERT(ps->frame_drops == 1);
	CU_ASSERT(ps->frame_drop[SLC_FRAME_E_CRC] == 1);
	CU_ASSERT(ps->records == 0);
	ifx_engine_drain();
	CU_ASSERT(read_shard(0, g_keys, g_datas, 2048) == 0);
	CU_ASSERT(read_shard(1, g_keys, g_datas, 2048) == 0);
	ifx_engine_free();
}

/* Serve core's pending request, not done before its core polls; returns its result. */
static int
serve(uint32_t core, uint64_t *value)
{
	int result = -1000;

	CU_ASSERT(slc_ingest_request_done(g_ing, core, &result, value) == 0);
	return ifx_serve(core, value);
}

/* rx round j: sender i (0..19) sends "s<i>-<j>" to the raw port, arriving on core i % 2. */
static void
rx_round(uint32_t j)
{
	struct rte_mbuf *burst[2][SLC_INGEST_BURST];
	uint32_t nb[2] = { 0, 0 }, i, c, n;
	char pl[64];

	for (i = 0; i < 20; i++) {
		c = i % 2;
		n = (uint32_t)snprintf(pl, sizeof(pl), "s%u-%u", i, j);
		burst[c][nb[c]++] = ifx_udp(0x0a000001 + i, (uint16_t)(1000 + i), 5000, pl,
			(uint16_t)n, 0);
	}
	for (c = 0; c < 2; c++)
		slc_ingest_core_rx(slc_ingest_core_get(g_ing, c), 0, burst[c], nb[c], rte_rdtsc());
}

/*
 * Live split of shard 0 (owner core 0) of a 2-core, 2-shard engine while records
 * of shard 0 arriving on core 1 sit on the ring to core 0: children opened on the
 * least loaded cores (0 then 1), map version 2 acknowledged only once both cores
 * polled, the parent closed after draining, at exactly the records it holds;
 * records before the switch are in the parent, after it in the children, each
 * once and in per-sender order; nothing is appended to the closed parent.
 */
static void
test_slc_ingest_publish_split_live(void)
{
	uint32_t seen[20] = { 0 }, ch_slot[2], retire = 0, owner[2], i, j, k, n, total = 0;
	struct slc_stream *view;
	uint64_t version = 0, end = 0;
	int slot;

	engine_make(2, 2, 1024);
	/* A handle in which the children 2 and 3 of shard 0 are open, as sluiced builds. */
	view = ifx_split_view(g_st->shards[0].end_hash / 2);

	for (j = 0; j < 10; j++) {
		rx_round(j);
		/* only core 1 polls: core 1's records for shard 0 wait on the ring */
		slc_ingest_core_poll(slc_ingest_core_get(g_ing, 1), rte_rdtsc());
	}
	CU_ASSERT(!slc_ingest_core_rings_empty(slc_ingest_core_get(g_ing, 0)));

	CU_ASSERT(slc_ingest_stream_id(g_ing, "s") == 0);
	CU_ASSERT(slc_ingest_stream_id(g_ing, "t") == -ENOENT);
	CU_ASSERT(slc_ingest_slot_find(g_ing, 0, 0) == 0);
	for (k = 0; k < 2; k++) {
		owner[k] = slc_ingest_pick_owner(g_ing);
		slot = slc_ingest_slot_add(g_ing, 0, view, 2 + k, owner[k]);
		CU_ASSERT_FATAL(slot == (int)(2 + k));
		ch_slot[k] = (uint32_t)slot;
		CU_ASSERT(slc_ingest_request(g_ing, owner[k], SLC_INGEST_REQ_OPEN, ch_slot[k]) == 0);
		CU_ASSERT(slc_ingest_request(g_ing, owner[k], SLC_INGEST_REQ_OPEN, ch_slot[k]) ==
			-EBUSY);
		CU_ASSERT(serve(owner[k], NULL) == 0);
	}
	CU_ASSERT(owner[0] == 0 && owner[1] == 1);
	CU_ASSERT(slc_ingest_n_shards(g_ing) == 4);
	/* a slot not mapped cannot be retired, a mapped one not added */
	CU_ASSERT(slc_ingest_publish(g_ing, &ch_slot[0], 1, NULL, 0, &version) == -EINVAL);
	CU_ASSERT(slc_ingest_publish(g_ing, NULL, 0, &retire, 1, &version) == -EINVAL);
	CU_ASSERT(slc_ingest_publish(g_ing, &retire, 1, ch_slot, 2, &version) == 0);
	CU_ASSERT(version == 2);
	CU_ASSERT(slc_ingest_map_version(g_ing) == 2);
	CU_ASSERT(!slc_ingest_acked(g_ing, 2));
	slc_ingest_core_poll(slc_ingest_core_get(g_ing, 1), rte_rdtsc());
	CU_ASSERT(!slc_ingest_acked(g_ing, 2));
	for (j = 10; j < 20; j++) {
		rx_round(j);
		slc_ingest_core_poll(slc_ingest_core_get(g_ing, 1), rte_rdtsc());
	}
	/* core 0 acknowledges at its poll; then the parent closes */
	slc_ingest_core_poll(slc_ingest_core_get(g_ing, 0), rte_rdtsc());
	CU_ASSERT(slc_ingest_acked(g_ing, 2));
	CU_ASSERT(slc_ingest_request(g_ing, 0, SLC_INGEST_REQ_CLOSE, 0) == 0);
	CU_ASSERT(serve(0, &end) == 0);
	CU_ASSERT(slc_ingest_slot_closed(g_ing, 0));
	CU_ASSERT(slc_ingest_slot_find(g_ing, 0, 0) == -ENOENT);
	CU_ASSERT(slc_ingest_slot_find(g_ing, 0, 3) == 3);
	CU_ASSERT(slc_ingest_request(g_ing, 0, SLC_INGEST_REQ_CLOSE, 0) == 0);
	CU_ASSERT(serve(0, NULL) == -EINVAL);       /* already closed */
	for (j = 20; j < 25; j++)
		rx_round(j);
	ifx_engine_drain();

	/* the parent: exactly `end` records, all from rounds before the switch */
	n = read_shard(0, g_keys, g_datas, 2048);
	CU_ASSERT(n == end);
	CU_ASSERT(n > 0);
	for (i = 0; i < n; i++) {
		unsigned a, b;

		CU_ASSERT_FATAL(sscanf(g_datas[i], "s%u-%u", &a, &b) == 2 && a < 20);
		CU_ASSERT(b < 10);
		CU_ASSERT(b == seen[a]);
		seen[a] = b + 1;
		total++;
	}
	/* the children: the rest of those senders, in order, after the parent's */
	for (k = 2; k < 4; k++) {
		n = read_shard_of(view, k, g_keys, g_datas, 2048);
		for (i = 0; i < n; i++) {
			unsigned a, b;

			CU_ASSERT_FATAL(sscanf(g_datas[i], "s%u-%u", &a, &b) == 2 && a < 20);
			CU_ASSERT(b == seen[a]);
			CU_ASSERT(b >= 10);
			seen[a] = b + 1;
			total++;
		}
	}
	n = read_shard(1, g_keys, g_datas, 2048);
	for (i = 0; i < n; i++) {
		unsigned a, b;

		CU_ASSERT_FATAL(sscanf(g_datas[i], "s%u-%u", &a, &b) == 2 && a < 20);
		CU_ASSERT(b == seen[a]);
		seen[a] = b + 1;
		total++;
	}
	CU_ASSERT(total == 20 * 25);
	for (i = 0; i < 20; i++)
		CU_ASSERT(seen[i] == 25);
	CU_ASSERT(slc_ingest_core_shard_stats(slc_ingest_core_get(g_ing, 0), 0)->next_seq == end);
	ifx_engine_free();
	slc_stream_close(view);
}

int
main(void)
{
	static const CU_TestInfo cases[] = {
		{ "test_slc_ingest_core_rx_raw_three_cores",
			test_slc_ingest_core_rx_raw_three_cores },
		{ "test_slc_ingest_core_rx_ring_full", test_slc_ingest_core_rx_ring_full },
		{ "test_slc_ingest_core_rx_chain_handover",
			test_slc_ingest_core_rx_chain_handover },
		{ "test_slc_ingest_core_rx_bad_frame", test_slc_ingest_core_rx_bad_frame },
		{ "test_slc_ingest_publish_split_live", test_slc_ingest_publish_split_live },
		CU_TEST_INFO_NULL,
	};

	return ifx_main("ingest", POOL_SIZE, "ingest", cases);
}
