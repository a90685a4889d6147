/*
 * unit-ingest-tcp: TCP ingest on the data cores (lib/ingest/ingest_tcp.c) with
 * the real lib/tcp engine, driven in one thread: a scripted peer builds TCP
 * segments in mbufs and hands them to a core's slc_ingest_core_rx(), reads what
 * the core's engine queues for sending (slc_ingest_core_tcp_tx_pending), and
 * acknowledges it. Checked exactly: the acknowledgement frames (order, groups,
 * shards, sequence counters), the records in the logs, the counters, REJECTED
 * acks, lines mode keys; plus the pure helpers (ack grouping, JSON keys).
 */
#include <arpa/inet.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "ingest_fixture.h"
#include "ingest_priv.h"
#include "slc_frame.h"
#include "slc_log.h"

#define OUR_IP 0xc0000201u            /* 192.0.2.1 */
#define PEER_IP 0xc0000207u           /* 192.0.2.7 */
#define P_FRAMED 9000
#define P_LINES_KEY 9001
#define P_LINES 9002
#define MAX_REC 100                   /* the stream's max record (lines too long) */

/* ---------------------------------------------------------------- pure helpers */

static void
test_groups(void)
{
	/* shard, status, counter */
	static const struct ingest_tcp_rec rec[] = {
		{ 10, 1, SLC_ACK_R_STORED, 1 }, { 11, 1, SLC_ACK_R_STORED, 1 },
		{ 12, 1, SLC_ACK_R_STORED, 1 }, { 5, 2, SLC_ACK_R_STORED, 1 },
		{ 14, 1, SLC_ACK_R_STORED, 1 },     /* not consecutive to 12 */
		{ 0, 1, SLC_ACK_R_RETRY, 1 }, { 0, 1, SLC_ACK_R_RETRY, 1 },
		{ 0, 2, SLC_ACK_R_RETRY, 1 }, { 0, 2, SLC_ACK_R_TOO_BIG, 1 },
		{ 6, 2, SLC_ACK_R_STORED, 1 },      /* consecutive to 5, but not adjacent */
	};
	struct slc_ack_group g[16];
	uint32_t n;

	n = ingest_tcp_groups(rec, RTE_DIM(rec), g);
	CU_ASSERT_EQUAL_FATAL(n, 7);
	CU_ASSERT(g[0].first == 0 && g[0].n == 3 && g[0].shard == 1 && g[0].counter == 10 &&
		g[0].status == SLC_ACK_R_STORED);
	CU_ASSERT(g[1].first == 3 && g[1].n == 1 && g[1].shard == 2 && g[1].counter == 5);
	CU_ASSERT(g[2].first == 4 && g[2].n == 1 && g[2].shard == 1 && g[2].counter == 14);
	CU_ASSERT(g[3].first == 5 && g[3].n == 2 && g[3].shard == 1 &&
		g[3].status == SLC_ACK_R_RETRY && g[3].counter == 0);
	CU_ASSERT(g[4].first == 7 && g[4].n == 1 && g[4].shard == 2 &&
		g[4].status == SLC_ACK_R_RETRY);
	CU_ASSERT(g[5].first == 8 && g[5].n == 1 && g[5].status == SLC_ACK_R_TOO_BIG);
	CU_ASSERT(g[6].first == 9 && g[6].n == 1 && g[6].counter == 6 &&
		g[6].status == SLC_ACK_R_STORED);
	CU_ASSERT_EQUAL(ingest_tcp_groups(rec, 1, g), 1);
	CU_ASSERT(g[0].first == 0 && g[0].n == 1 && g[0].counter == 10);
}

static int
lk(const char *line, const char *field, char *key)
{
	return ingest_tcp_line_key((const uint8_t *)line, (uint32_t)strlen(line), field, key);
}

static void
test_line_key(void)
{
	char key[SLC_PKEY_MAX + 1], big[600];

	CU_ASSERT_EQUAL(lk("{\"k\":\"abc\",\"x\":1}", "k", key), 3);
	CU_ASSERT_STRING_EQUAL(key, "abc");
	CU_ASSERT_EQUAL(lk("  {\"x\":{\"k\":\"no\"},\"k\":\"y\\u00e9\"}", "k", key), 3);
	CU_ASSERT_STRING_EQUAL(key, "y\xc3\xa9");
	CU_ASSERT_EQUAL(lk("{\"k\":-42}", "k", key), 3);
	CU_ASSERT_STRING_EQUAL(key, "-42");
	CU_ASSERT_EQUAL(lk("{\"k\":1.5}", "k", key), 3);
	CU_ASSERT_STRING_EQUAL(key, "1.5");
	/* No usable field: 0 (the caller keys by the sender). */
	CU_ASSERT_EQUAL(lk("{\"k\":\"\"}", "k", key), 0);
	CU_ASSERT_EQUAL(lk("{\"k\":true}", "k", key), 0);
	CU_ASSERT_EQUAL(lk("{\"k\":null}", "k", key), 0);
	CU_ASSERT_EQUAL(lk("{\"k\":[1]}", "k", key), 0);
	CU_ASSERT_EQUAL(lk("{\"other\":\"v\"}", "k", key), 0);
	CU_ASSERT_EQUAL(lk("[\"k\"]", "k", key), 0);
	CU_ASSERT_EQUAL(lk("k=v plain text", "k", key), 0);
	CU_ASSERT_EQUAL(lk("{\"k\":\"v\"", "k", key), 0);           /* truncated */
	CU_ASSERT_EQUAL(lk("{\"k\":\"v\"} trailing", "k", key), 0);
	CU_ASSERT_EQUAL(lk("{\"k\":\"v\",\"k\":\"w\"}", "k", key), 0);  /* duplicate */
	CU_ASSERT_EQUAL(lk("{\"k\":\"v\"}", "", key), 0);
	CU_ASSERT_EQUAL(lk("{\"k\":\"v\"}", NULL, key), 0);
	/* 256 bytes is a key, 257 is not. */
	memset(big, 0, sizeof(big));
	strcpy(big, "{\"k\":\"");
	memset(big + 6, 'a', 256);
	strcat(big, "\"}");
	CU_ASSERT_EQUAL(lk(big, "k", key), 256);
	memset(big, 0, sizeof(big));
	strcpy(big, "{\"k\":\"");
	memset(big + 6, 'a', 257);
	strcat(big, "\"}");
	CU_ASSERT_EQUAL(lk(big, "k", key), 0);
}

/* ---------------------------------------------------------------- the scripted peer */

struct peer {
	uint32_t core;               /* the data core its segments go to */
	uint16_t sport;
	uint16_t dport;
	uint32_t snd_nxt;            /* our next sequence number */
	uint32_t rcv_nxt;            /* theirs */
	bool synack;
	bool fin;
	bool rst;
	uint32_t rx_len;
	uint8_t rx[1 << 16];         /* the byte stream sluiced sent us */
};

static struct peer g_peers[4];
static uint32_t g_n_peers;

/* An Ethernet/IPv4/TCP segment from the peer. */
static struct rte_mbuf *
seg(struct peer *p, uint8_t flags, const void *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint32_t optlen = (flags & RTE_TCP_SYN_FLAG) ? 4 : 0;
	uint32_t hl = sizeof(*eh) + sizeof(*ip) + sizeof(*th) + optlen;
	uint8_t *o;

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(rte_pktmbuf_append(m, (uint16_t)(hl + len)) != NULL);
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eh, 0, hl);
	eh->dst_addr.addr_bytes[0] = 0x02;
	eh->dst_addr.addr_bytes[5] = 0x01;
	eh->src_addr.addr_bytes[0] = 0x02;
	eh->src_addr.addr_bytes[5] = 0x02;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - sizeof(*eh) + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(OUR_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (struct rte_tcp_hdr *)(ip + 1);
	th->src_port = rte_cpu_to_be_16(p->sport);
	th->dst_port = rte_cpu_to_be_16(p->dport);
	th->sent_seq = rte_cpu_to_be_32(p->snd_nxt);
	th->recv_ack = rte_cpu_to_be_32(p->rcv_nxt);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	o = (uint8_t *)(th + 1);
	if (optlen) {
		o[0] = 2;
		o[1] = 4;
		o[2] = 1460 >> 8;
		o[3] = 1460 & 0xff;
	}
	if (len > 0)
		memcpy(o + optlen, data, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

static void
feed(struct peer *p, uint8_t flags, const void *data, uint32_t len)
{
	struct rte_mbuf *m = seg(p, flags, data, len);

	slc_ingest_core_rx(slc_ingest_core_get(g_ing, p->core), 0, &m, 1, rte_rdtsc());
	p->snd_nxt += len + ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) ? 1 : 0);
}

/* A segment sluiced sent: to the peer it belongs to. */
static bool
take(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
		sizeof(struct rte_ether_hdr));
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)((const uint8_t *)ip +
		(ip->version_ihl & 0xf) * 4);
	uint32_t tl = rte_be_to_cpu_16(ip->total_length) - (ip->version_ihl & 0xf) * 4u;
	uint32_t thl = (th->data_off >> 4) * 4u, len = tl - thl, seq;
	struct peer *p = NULL;
	bool acked = false;
	uint32_t i;

	if (ip->next_proto_id != IPPROTO_TCP)
		return false;
	for (i = 0; i < g_n_peers; i++)
		if (g_peers[i].sport == rte_be_to_cpu_16(th->dst_port))
			p = &g_peers[i];
	if (p == NULL)
		return false;
	seq = rte_be_to_cpu_32(th->sent_seq);
	if (th->tcp_flags & RTE_TCP_RST_FLAG) {
		p->rst = true;
		return false;
	}
	if (th->tcp_flags & RTE_TCP_SYN_FLAG) {
		if (!p->synack) {
			p->synack = true;
			p->rcv_nxt = seq + 1;
		}
		return true;
	}
	if (len > 0 && seq == p->rcv_nxt) {
		CU_ASSERT_FATAL(p->rx_len + len <= sizeof(p->rx));
		memcpy(p->rx + p->rx_len, (const uint8_t *)th + thl, len);
		p->rx_len += len;
		p->rcv_nxt += len;
		acked = true;
	} else if (len > 0) {
		acked = true;                    /* a retransmission: acknowledge again */
	}
	if ((th->tcp_flags & RTE_TCP_FIN_FLAG) && seq + len == p->rcv_nxt && !p->fin) {
		p->fin = true;
		p->rcv_nxt++;
		acked = true;
	}
	return acked;
}

/* Mark the peer that segment m is for as owing an ACK. */
static void
ack_owner(const struct rte_mbuf *m, bool *ack)
{
	const struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *,
		sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
	uint32_t q;

	for (q = 0; q < g_n_peers; q++)
		if (g_peers[q].sport == rte_be_to_cpu_16(th->dst_port))
			ack[q] = true;
}

/* Poll every core, collect and acknowledge what they send; `rounds` times. */
static void
run(uint32_t rounds)
{
	uint32_t n = slc_ingest_n_cores(g_ing), i, r, k;
	bool ack[4];
	struct rte_mbuf **tx;
	uint16_t cnt;

	for (r = 0; r < rounds; r++) {
		memset(ack, 0, sizeof(ack));
		for (i = 0; i < n; i++) {
			struct slc_ingest_core *c = slc_ingest_core_get(g_ing, i);

			slc_ingest_core_poll(c, rte_rdtsc());
			cnt = slc_ingest_core_tx_pending(c, 0, &tx);
			slc_ingest_core_tx_done(c, 0, 0);          /* nothing expected: freed */
			cnt = slc_ingest_core_tcp_tx_pending(c, 0, &tx);
			for (k = 0; k < cnt; k++) {
				if (take(tx[k]))
					ack_owner(tx[k], ack);
				rte_pktmbuf_free(tx[k]);
			}
			slc_ingest_core_tcp_tx_done(c, 0, cnt);
		}
		for (i = 0; i < g_n_peers; i++)
			if (ack[i] && !g_peers[i].rst)
				feed(&g_peers[i], RTE_TCP_ACK_FLAG, NULL, 0);
		rte_delay_us_block(50);
	}
}

static struct peer *
connect_peer(uint32_t core, uint16_t sport, uint16_t dport)
{
	struct peer *p = &g_peers[g_n_peers++];

	memset(p, 0, sizeof(*p));
	p->core = core;
	p->sport = sport;
	p->dport = dport;
	p->snd_nxt = 1000000 * sport;
	feed(p, RTE_TCP_SYN_FLAG, NULL, 0);
	run(2);
	CU_ASSERT_FATAL(p->synack);
	feed(p, RTE_TCP_ACK_FLAG, NULL, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(slc_ingest_core_tcp(slc_ingest_core_get(g_ing, core)))->
		accepted, g_n_peers);
	return p;
}

/* Send bytes in pieces of at most `piece` bytes. */
static void
send_bytes(struct peer *p, const void *b, uint32_t len, uint32_t piece)
{
	uint32_t off, n;

	for (off = 0; off < len; off += n) {
		n = RTE_MIN(piece, len - off);
		feed(p, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, (const uint8_t *)b + off, n);
	}
}

/* The acks in p->rx from offset *off on, decoded one at a time. */
static int
next_ack(struct peer *p, uint32_t *off, struct slc_ack *a)
{
	int n = slc_ack_decode(p->rx + *off, p->rx_len - *off, a);

	if (n > 0)
		*off += (uint32_t)n;
	return n;
}

/* ---------------------------------------------------------------- engine set-up */

static void
tcx_create_ring(uint32_t n_cores, uint32_t nshards, uint32_t ring_size)
{
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } };
	struct slc_stream_settings set;
	struct slc_ingest_cfg cfg;
	struct slc_tcp_cfg tcfg;

	ifx_cfg(&cfg, n_cores, ring_size);
	snprintf(g_dir, sizeof(g_dir), "/var/tmp/slc-test-%s-XXXXXX", ifx_name);
	CU_ASSERT_FATAL(mkdtemp(g_dir) != NULL);
	slc_stream_settings_default(&set);
	set.max_record = MAX_REC;
	g_st = slc_stream_create(g_dir, "tcp", nshards, &set);
	CU_ASSERT_FATAL(g_st != NULL);
	slc_pkt_cfg_default(&g_pcfg);
	CU_ASSERT_FATAL(slc_pkt_cfg_add_ip(&g_pcfg, "192.0.2.1/24") == 0);
	g_ing = slc_ingest_create(&cfg, &g_pcfg);
	CU_ASSERT_FATAL(g_ing != NULL);
	CU_ASSERT_FATAL(slc_ingest_add_stream(g_ing, g_st) == 0);
	CU_ASSERT_FATAL(slc_ingest_add_tcp_route(g_ing, P_FRAMED, SLC_INGEST_TCP_FRAMED, 0,
		NULL) == 0);
	CU_ASSERT_FATAL(slc_ingest_add_tcp_route(g_ing, P_LINES_KEY, SLC_INGEST_TCP_LINES, 0,
		"k") == 0);
	CU_ASSERT_FATAL(slc_ingest_add_tcp_route(g_ing, P_LINES, SLC_INGEST_TCP_LINES, 0,
		"") == 0);
	CU_ASSERT_EQUAL(slc_ingest_add_tcp_route(g_ing, P_LINES, SLC_INGEST_TCP_LINES, 0, NULL),
		-EEXIST);
	CU_ASSERT_EQUAL(slc_ingest_add_tcp_route(g_ing, 9999, SLC_INGEST_TCP_LINES, 1, NULL),
		-EINVAL);
	CU_ASSERT_EQUAL(slc_ingest_add_tcp_route(g_ing, 9999, (enum slc_ingest_tcp_mode)0, 0,
		NULL), -EINVAL);
	CU_ASSERT_FATAL(slc_ingest_set_port(g_ing, 0, &mac) == 0);
	slc_tcp_cfg_default(&tcfg);
	tcfg.pool = g_pool;
	tcfg.rcv_buf = 16384;
	tcfg.delack_us = 100;
	CU_ASSERT_FATAL(slc_ingest_set_tcp(g_ing, &tcfg) == 0);
	ifx_engine_start(nshards);
	g_n_peers = 0;
}

static void
tcx_create(uint32_t n_cores, uint32_t nshards)
{
	tcx_create_ring(n_cores, nshards, 1024);
}

static void
tcx_free(void)
{
	uint32_t i;

	ifx_engine_drain();
	for (i = 0; i < slc_ingest_n_cores(g_ing); i++)
		slc_ingest_core_tcp_shutdown(slc_ingest_core_get(g_ing, i), rte_rdtsc());
	run(1);
	ifx_engine_free();
}

/* A frame of records keyed key<first>..key<first+n-1> with data "d<i>". */
static size_t
mkframe(uint8_t *buf, size_t cap, uint32_t frame_id, uint32_t first, uint32_t n)
{
	struct slc_frame_builder b;
	char key[32], data[32];
	uint32_t i;

	CU_ASSERT_FATAL(slc_frame_begin(&b, buf, cap, frame_id, NULL) == 0);
	for (i = first; i < first + n; i++) {
		snprintf(key, sizeof(key), "key%u", i);
		snprintf(data, sizeof(data), "d%u", i);
		CU_ASSERT_FATAL(slc_frame_add(&b, key, (uint16_t)strlen(key), data,
			(uint32_t)strlen(data), NULL) == 0);
	}
	return slc_frame_end(&b);
}

/* ---------------------------------------------------------------- framed */

/*
 * Three frames of 40 records over 4 shards on 2 cores (records hand over to the
 * other core; outcomes come back on the completion ring): three acks in frame
 * order, each group naming the shard of its records' keys with counters that
 * number each shard's records 0, 1, 2, ... in arrival order; the peer's FIN is
 * answered with ours.
 */
static void
test_tcp_framed_acks(void)
{
	uint64_t next[4] = { 0 };
	const struct slc_ingest_tcp_stats *ts;
	struct slc_ack_group g;
	struct slc_ack a;
	uint8_t fb[4096];
	struct peer *p;
	uint32_t off = 0, f, i, rec, acks = 0, r;
	size_t len;

	tcx_create(2, 4);
	p = connect_peer(1, 40001, P_FRAMED);
	for (f = 0; f < 3; f++) {
		len = mkframe(fb, sizeof(fb), 100 + f, f * 40, 40);
		send_bytes(p, fb, (uint32_t)len, 300);
	}
	for (r = 0; r < 2000 && acks < 3; r++) {
		run(1);
		while (next_ack(p, &off, &a) > 0) {
			CU_ASSERT_EQUAL(a.frame_id, 100 + acks);
			CU_ASSERT_EQUAL(a.count, 40);
			CU_ASSERT_EQUAL(a.status, SLC_ACK_OK);
			CU_ASSERT_EQUAL(a.error, 0);
			for (i = 0, rec = 0; i < a.n_groups; i++) {
				uint32_t k;

				slc_ack_group(&a, (uint16_t)i, &g);
				CU_ASSERT_EQUAL(g.first, rec);
				CU_ASSERT_EQUAL(g.status, SLC_ACK_R_STORED);
				for (k = 0; k < g.n; k++) {
					char key[32];
					uint32_t sh;

					snprintf(key, sizeof(key), "key%u", acks * 40 + rec + k);
					sh = ifx_shard_of_key(key, 4);
					CU_ASSERT_EQUAL(g.shard, sh);
					CU_ASSERT_EQUAL(g.counter + k, next[sh]);
					next[sh]++;
				}
				rec += g.n;
			}
			CU_ASSERT_EQUAL(rec, 40);
			acks++;
		}
	}
	CU_ASSERT_EQUAL_FATAL(acks, 3);
	CU_ASSERT_EQUAL(off, p->rx_len);
	CU_ASSERT_EQUAL(next[0] + next[1] + next[2] + next[3], 120);
	ts = slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 1));
	CU_ASSERT_EQUAL(ts->frames, 3);
	CU_ASSERT_EQUAL(ts->records, 120);
	CU_ASSERT_EQUAL(ts->acks, 3);
	CU_ASSERT_EQUAL(ts->records_acked, 120);
	CU_ASSERT_EQUAL(ts->records_failed, 0);
	CU_ASSERT_EQUAL(ts->pending_frames, 0);
	/* Shards 0 and 2 are core 0's: their outcomes came back on the ring. */
	CU_ASSERT_EQUAL(ts->completions_in, next[0] + next[2]);
	CU_ASSERT_EQUAL(slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 0))->
		completions_out, next[0] + next[2]);
	/* The peer closes: sluiced closes too, in order. */
	feed(p, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	run(20);
	CU_ASSERT(p->fin);
	CU_ASSERT(!p->rst);
	tcx_free();
}

/*
 * A frame in 7-byte pieces is taken whole; then a frame with a bad CRC gets a
 * REJECTED ack (crc) after the good one's, and the connection closes. A frame
 * longer than rcv_buf is rejected at once (length).
 */
static void
test_tcp_framed_reject(void)
{
	const struct slc_ingest_tcp_stats *ts;
	struct slc_ack a;
	uint8_t fb[4096];
	struct peer *p;
	uint32_t off = 0, r, n = 0;
	size_t len;

	tcx_create(1, 1);
	p = connect_peer(0, 40002, P_FRAMED);
	len = mkframe(fb, sizeof(fb), 7, 0, 5);
	send_bytes(p, fb, (uint32_t)len, 7);
	len = mkframe(fb, sizeof(fb), 8, 5, 5);
	fb[len - 1] ^= 0xff;                     /* the CRC */
	send_bytes(p, fb, (uint32_t)len, 1000);
	for (r = 0; r < 2000 && n < 2; r++) {
		run(1);
		while (next_ack(p, &off, &a) > 0) {
			if (n == 0) {
				CU_ASSERT_EQUAL(a.frame_id, 7);
				CU_ASSERT_EQUAL(a.status, SLC_ACK_OK);
				CU_ASSERT_EQUAL(a.n_groups, 1);
			} else {
				CU_ASSERT_EQUAL(a.frame_id, 8);
				CU_ASSERT_EQUAL(a.status, SLC_ACK_REJECTED);
				CU_ASSERT_EQUAL(a.error, SLC_FRAME_E_CRC);
				CU_ASSERT_EQUAL(a.n_groups, 0);
			}
			n++;
		}
	}
	CU_ASSERT_EQUAL_FATAL(n, 2);
	run(10);
	CU_ASSERT(p->fin);                       /* sluiced closed after the reject */
	ts = slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 0));
	CU_ASSERT_EQUAL(ts->frames, 1);
	CU_ASSERT_EQUAL(ts->frame_rejects[SLC_FRAME_E_CRC], 1);
	CU_ASSERT_EQUAL(ts->records, 5);

	/* Longer than rcv_buf (16 KiB): rejected as soon as the header is there. */
	p = connect_peer(0, 40003, P_FRAMED);
	len = mkframe(fb, sizeof(fb), 9, 0, 1);
	fb[8] = 0;
	fb[9] = 0;
	fb[10] = 1;                              /* length 65536 */
	fb[11] = 0;
	send_bytes(p, fb, 16, 16);
	off = 0;
	n = 0;
	for (r = 0; r < 200 && n == 0; r++) {
		run(1);
		if (next_ack(p, &off, &a) > 0) {
			CU_ASSERT_EQUAL(a.frame_id, 9);
			CU_ASSERT_EQUAL(a.status, SLC_ACK_REJECTED);
			CU_ASSERT_EQUAL(a.error, SLC_FRAME_E_LENGTH);
			n++;
		}
	}
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ts->frames_too_long, 1);
	run(10);
	CU_ASSERT(p->fin);

	/* The peer closes inside a frame: REJECTED (short), then sluiced closes. */
	p = connect_peer(0, 40006, P_FRAMED);
	len = mkframe(fb, sizeof(fb), 11, 0, 3);
	send_bytes(p, fb, (uint32_t)len - 5, 1000);
	run(3);
	CU_ASSERT_EQUAL(p->rx_len, 0);           /* waiting for the rest */
	feed(p, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	run(20);
	off = 0;
	CU_ASSERT_FATAL(next_ack(p, &off, &a) > 0);
	CU_ASSERT_EQUAL(a.frame_id, 11);
	CU_ASSERT_EQUAL(a.status, SLC_ACK_REJECTED);
	CU_ASSERT_EQUAL(a.error, SLC_FRAME_E_SHORT);
	CU_ASSERT(p->fin);
	CU_ASSERT_EQUAL(ts->frame_rejects[SLC_FRAME_E_SHORT], 1);
	CU_ASSERT_EQUAL(ts->records, 5);
	CU_ASSERT_EQUAL(ts->pending_frames, 0);
	tcx_free();
}

/*
 * Handover rings of 63 usable elements and 10 frames of 40 records sent at once
 * on core 1 over 4 shards: the core stops taking frames while the ring to core 0
 * is short of room (tcp_blocked) instead of dropping, and every record is
 * stored and acknowledged stored.
 */
static void
test_tcp_ring_backpressure(void)
{
	const struct slc_ingest_tcp_stats *ts;
	struct slc_ingest_shard_stats ss;
	uint8_t fb[16384];
	struct slc_ack a;
	struct peer *p;
	uint32_t off = 0, f, r, acks = 0, i;
	uint64_t stored = 0, drops = 0;
	size_t len = 0;

	tcx_create_ring(2, 4, 64);
	p = connect_peer(1, 40007, P_FRAMED);
	for (f = 0; f < 10; f++)
		len += mkframe(fb + len, sizeof(fb) - len, 200 + f, f * 40, 40);
	CU_ASSERT_FATAL(len < 16384);
	send_bytes(p, fb, (uint32_t)len, 1400);
	for (r = 0; r < 4000 && acks < 10; r++) {
		run(1);
		while (next_ack(p, &off, &a) > 0) {
			CU_ASSERT_EQUAL(a.frame_id, 200 + acks);
			CU_ASSERT_EQUAL(a.status, SLC_ACK_OK);
			acks++;
		}
	}
	CU_ASSERT_EQUAL_FATAL(acks, 10);
	ts = slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 1));
	CU_ASSERT_EQUAL(ts->records_acked, 400);
	CU_ASSERT_EQUAL(ts->records_failed, 0);
	CU_ASSERT(ts->blocked > 0);
	ifx_engine_drain();
	for (i = 0; i < 4; i++) {
		slc_ingest_shard_stats_sum(g_ing, i, &ss);
		stored += ss.stored;
		drops += ss.drop[SLC_INGEST_D_RING_FULL] + ss.drop[SLC_INGEST_D_LOG_FULL];
	}
	CU_ASSERT_EQUAL(stored, 400);
	CU_ASSERT_EQUAL(drops, 0);
	tcx_free();
}

/*
 * The peer resets the connection while its frame waits for durability: the
 * records are stored, their outcomes find the connection gone (its slot's
 * generation moved) and are discarded; a new connection in the same slot gets
 * its own acks only.
 */
static void
test_tcp_stale_completions(void)
{
	const struct slc_ingest_tcp_stats *ts;
	struct slc_ingest_shard_stats ss;
	uint8_t fb[4096];
	struct slc_ack a;
	struct peer *p;
	uint32_t off = 0, r, n = 0;
	size_t len;

	tcx_create(1, 1);
	p = connect_peer(0, 40008, P_FRAMED);
	len = mkframe(fb, sizeof(fb), 300, 0, 7);
	send_bytes(p, fb, (uint32_t)len, 2000);
	ts = slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 0));
	CU_ASSERT_EQUAL(ts->frames, 1);
	CU_ASSERT_EQUAL(ts->pending_frames, 1);   /* not durable yet: nothing polled */
	feed(p, RTE_TCP_RST_FLAG, NULL, 0);
	CU_ASSERT_EQUAL(ts->pending_frames, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(slc_ingest_core_tcp(slc_ingest_core_get(g_ing, 0)))->conns,
		0);
	ifx_engine_drain();
	CU_ASSERT_EQUAL(ts->completions_stale, 7);
	CU_ASSERT_EQUAL(ts->acks, 0);
	slc_ingest_shard_stats_sum(g_ing, 0, &ss);
	CU_ASSERT_EQUAL(ss.stored, 7);

	/* The next connection takes the slot again: its frame is acked, counters 7.. */
	p = connect_peer(0, 40009, P_FRAMED);
	len = mkframe(fb, sizeof(fb), 301, 7, 3);
	send_bytes(p, fb, (uint32_t)len, 2000);
	for (r = 0; r < 2000 && n == 0; r++) {
		run(1);
		if (next_ack(p, &off, &a) > 0) {
			struct slc_ack_group g;

			CU_ASSERT_EQUAL(a.frame_id, 301);
			CU_ASSERT_EQUAL(a.status, SLC_ACK_OK);
			CU_ASSERT_EQUAL_FATAL(a.n_groups, 1);
			slc_ack_group(&a, 0, &g);
			CU_ASSERT(g.first == 0 && g.n == 3 && g.counter == 7 && g.shard == 0);
			n++;
		}
	}
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ts->completions_stale, 7);
	tcx_free();
}

/* ---------------------------------------------------------------- lines */

struct want_rec {
	const char *key;
	const char *data;
};

static void
expect_records(const struct want_rec *w, uint32_t n)
{
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	struct slc_log_reader *r = slc_log_reader_open(g_st, 0, &pos);
	struct slc_record rec;
	uint32_t i;

	CU_ASSERT_FATAL(r != NULL);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(slc_log_reader_next(r, &rec), 1);
		CU_ASSERT_EQUAL(rec.seq, i);
		CU_ASSERT_EQUAL(rec.key_len, strlen(w[i].key));
		CU_ASSERT(memcmp(rec.key, w[i].key, rec.key_len) == 0);
		CU_ASSERT_EQUAL(rec.data_len, strlen(w[i].data));
		CU_ASSERT(memcmp(rec.data, w[i].data, rec.data_len) == 0);
		if (rec.key_len != strlen(w[i].key) || rec.data_len != strlen(w[i].data))
			fprintf(stderr, "\nrecord %u: key '%.*s' data '%.*s'", i, (int)rec.key_len,
				(const char *)rec.key, (int)rec.data_len, (const char *)rec.data);
	}
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	slc_log_reader_close(r);
}

/*
 * Lines with a JSON key field: string and number fields key their line, the
 * others fall back to the sender; '\r' is stripped; a line longer than the max
 * record (100) is skipped whole, even in pieces; the unterminated last line is
 * stored at EOF; sluiced closes after the peer.
 */
static void
test_tcp_lines(void)
{
	static const struct want_rec want[] = {
		{ "a", "{\"k\":\"a\",\"v\":1}" },
		{ "5", "{\"k\":5}" },
		{ "192.0.2.7:40004", "plain" },
		{ "192.0.2.7:40004", "" },
		{ "192.0.2.7:40004", "{\"v\":2}" },
		{ "b", "{\"k\":\"b\"}" },
		{ "192.0.2.7:40004", "tail" },
	};
	const struct slc_ingest_tcp_stats *ts;
	char longline[300];
	struct peer *p;

	tcx_create(1, 1);
	p = connect_peer(0, 40004, P_LINES_KEY);
	send_bytes(p, "{\"k\":\"a\",\"v\":1}\n{\"k\":5}\r\npla", 28, 10);
	send_bytes(p, "in\n\n{\"v\":2}\n", 12, 100);
	memset(longline, 'x', sizeof(longline));
	longline[sizeof(longline) - 1] = '\n';
	send_bytes(p, longline, sizeof(longline), 64);
	send_bytes(p, "{\"k\":\"b\"}\ntail", 14, 100);
	run(5);
	feed(p, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, NULL, 0);
	run(20);
	CU_ASSERT(p->fin);
	CU_ASSERT_EQUAL(p->rx_len, 0);           /* no acks in lines mode */
	ts = slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 0));
	CU_ASSERT_EQUAL(ts->lines, 7);
	CU_ASSERT_EQUAL(ts->records, 7);
	CU_ASSERT_EQUAL(ts->line_key_fallback, 4);
	CU_ASSERT_EQUAL(ts->lines_too_long, 1);
	ifx_engine_drain();
	expect_records(want, RTE_DIM(want));
	tcx_free();
}

/* Lines without a key field: every line keyed by the sender, no fallback counted. */
static void
test_tcp_lines_sender_key(void)
{
	static const struct want_rec want[] = {
		{ "192.0.2.7:40005", "one" },
		{ "192.0.2.7:40005", "{\"k\":\"x\"}" },
	};
	const struct slc_ingest_tcp_stats *ts;
	struct peer *p;

	tcx_create(1, 1);
	p = connect_peer(0, 40005, P_LINES);
	send_bytes(p, "one\n{\"k\":\"x\"}\n", 14, 100);
	run(5);
	ts = slc_ingest_core_tcp_stats(slc_ingest_core_get(g_ing, 0));
	CU_ASSERT_EQUAL(ts->lines, 2);
	CU_ASSERT_EQUAL(ts->line_key_fallback, 0);
	ifx_engine_drain();
	expect_records(want, RTE_DIM(want));
	tcx_free();
}

static const CU_TestInfo cases[] = {
	{ "test_groups", test_groups },
	{ "test_line_key", test_line_key },
	{ "test_tcp_framed_acks", test_tcp_framed_acks },
	{ "test_tcp_framed_reject", test_tcp_framed_reject },
	{ "test_tcp_ring_backpressure", test_tcp_ring_backpressure },
	{ "test_tcp_stale_completions", test_tcp_stale_completions },
	{ "test_tcp_lines", test_tcp_lines },
	{ "test_tcp_lines_sender_key", test_tcp_lines_sender_key },
	CU_TEST_INFO_NULL,
};

int
main(void)
{
	return ifx_main("ingest-tcp", 8191, "ingest_tcp", cases);
}
