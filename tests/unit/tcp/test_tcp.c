/*
 * Unit tests of lib/tcp on a real EAL (--no-huge) with a small mempool. The
 * peer is played here segment by segment: frames (Ethernet, optional 802.1Q
 * tag, IPv4 or IPv6, TCP with options) are built byte by byte with this
 * file's own checksum code, handed to slc_tcp_input() as lib/pkt's classifier
 * would, and every segment the engine queues is parsed and checked field by
 * field (flags, sequence numbers, window, options, SACK blocks, payload,
 * checksums). Time is explicit: every call gets now_us from the test.
 * Every test frees its engine and checks that every mbuf came home.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "../slc_test.h"

#include "slc_tcp.h"
#include "tcp_priv.h"                /* invariants of the random test, TCP_INIT_RTO_US */
#include "tcp_test_util.h"

#define POOL_N 4095u
#define OUR4 0xc0000201u             /* 192.0.2.1 */
#define PEER4 0xc0000207u            /* 192.0.2.7 */
#define LPORT 7000
#define SPORT 40000
#define PISN 1000u                   /* the peer's ISN */
#define T0 1000000000ull             /* 1000 s */

static struct rte_mempool *pool;
static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static uint64_t now;

/* ------------------------------------------------------------ the app */

struct app {
	int accepts, readables, sents, closes;
	enum slc_tcp_close_why why;
	struct slc_tcp_conn *last;      /* last accepted */
	struct slc_tcp_conn *closed_conn;
	bool refuse;
	bool consume_all;
	bool close_on_eof;
	bool eof_seen;
	int token;
};

static struct app app;

static void *
app_accept(void *arg, struct slc_tcp_conn *c, uint16_t port)
{
	(void)arg;
	CU_ASSERT_EQUAL(port, LPORT);
	app.accepts++;
	if (app.refuse)
		return NULL;
	app.last = c;
	return &app.token;
}

static void
app_readable(void *arg, struct slc_tcp_conn *c, void *a)
{
	(void)arg;
	CU_ASSERT_PTR_EQUAL(a, &app.token);
	app.readables++;
	if (app.consume_all)
		slc_tcp_rcv_consume(c, slc_tcp_rcv_avail(c));
	if (slc_tcp_rcv_eof(c)) {
		app.eof_seen = true;
		if (app.close_on_eof)
			slc_tcp_close(c);
	}
}

static void
app_sent(void *arg, struct slc_tcp_conn *c, void *a)
{
	(void)arg;
	(void)c;
	(void)a;
	app.sents++;
}

static void
app_closed(void *arg, struct slc_tcp_conn *c, void *a, enum slc_tcp_close_why why)
{
	(void)arg;
	CU_ASSERT_PTR_EQUAL(a, &app.token);
	app.closes++;
	app.why = why;
	app.closed_conn = c;
	if (app.last == c)
		app.last = NULL;
}

static const struct slc_tcp_ops ops = {
	.accept = app_accept,
	.readable = app_readable,
	.sent = app_sent,
	.closed = app_closed,
};

/* ------------------------------------------------------- byte access */

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

/* ------------------------------------------------------- peer segments */

struct in {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	const void *data;
	uint32_t len;
	uint16_t sport;                  /* SPORT */
	uint16_t dport;                  /* LPORT */
	int fam;                         /* 4 (default) or 6 */
	bool vlan;
	bool mss;
	uint16_t mssv;
	bool ws;
	uint8_t wsv;
	bool sackok;
	bool ts;
	uint32_t tsval, tsecr;
	bool bad_opt;
	uint32_t split;                  /* >0: payload bytes in the first mbuf, rest chained */
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static uint8_t peer6[16], our6[16];

/* Build the frame, fill slc_pkt_tcp as lib/pkt would and hand it to the engine. */
static void
send_in(struct slc_tcp *t, const struct in *s)
{
	uint8_t f[4096], opt[40];
	uint32_t n = 0, optn = 0, l3, l4, thl;
	uint16_t sport = s->sport ? s->sport : SPORT, dport = s->dport ? s->dport : LPORT;
	int fam = s->fam ? s->fam : 4;
	struct slc_pkt_tcp p;
	struct rte_mbuf *m;
	uint32_t ps;

	if (s->mss) {
		opt[optn++] = 2;
		opt[optn++] = 4;
		put16(opt + optn, s->mssv);
		optn += 2;
	}
	if (s->sackok) {
		opt[optn++] = 4;
		opt[optn++] = 2;
	}
	if (s->ts) {
		opt[optn++] = 8;
		opt[optn++] = 10;
		put32(opt + optn, s->tsval);
		put32(opt + optn + 4, s->tsecr);
		optn += 8;
	}
	if (s->ws) {
		opt[optn++] = 3;
		opt[optn++] = 3;
		opt[optn++] = s->wsv;
	}
	if (s->bad_opt) {
		opt[optn++] = 2;        /* MSS with length 3 */
		opt[optn++] = 3;
		opt[optn++] = 0;
	}
	while (optn % 4)
		opt[optn++] = 1;
	thl = 20 + optn;

	memcpy(f, our_mac.addr_bytes, 6);
	memcpy(f + 6, peer_mac, 6);
	n = 12;
	if (s->vlan) {
		put16(f + n, 0x8100);
		put16(f + n + 2, 42);
		n += 4;
	}
	put16(f + n, fam == 4 ? 0x0800 : 0x86dd);
	n += 2;
	l3 = n;
	if (fam == 4) {
		memset(f + n, 0, 20);
		f[n] = 0x45;
		put16(f + n + 2, (uint16_t)(20 + thl + s->len));
		f[n + 8] = 64;
		f[n + 9] = 6;
		put32(f + n + 12, PEER4);
		put32(f + n + 16, OUR4);
		put16(f + n + 10, slc_test_csum_fold(slc_test_sum16(f + n, 20, 0)));
		n += 20;
	} else {
		memset(f + n, 0, 40);
		f[n] = 0x60;
		put16(f + n + 4, (uint16_t)(thl + s->len));
		f[n + 6] = 6;
		f[n + 7] = 64;
		memcpy(f + n + 8, peer6, 16);
		memcpy(f + n + 24, our6, 16);
		n += 40;
	}
	l4 = n;
	put16(f + n, sport);
	put16(f + n + 2, dport);
	put32(f + n + 4, s->seq);
	put32(f + n + 8, s->ack);
	f[n + 12] = (uint8_t)((thl / 4) << 4);
	f[n + 13] = s->flags;
	put16(f + n + 14, s->win);
	put16(f + n + 16, 0);
	put16(f + n + 18, 0);
	memcpy(f + n + 20, opt, optn);
	n += thl;
	if (s->len > 0)
		memcpy(f + n, s->data, s->len);
	n += s->len;
	/* TCP checksum over the pseudo header. */
	if (fam == 4) {
		ps = slc_test_sum16(f + l3 + 12, 8, 0);
	} else {
		ps = slc_test_sum16(f + l3 + 8, 32, 0);
	}
	ps += 6 + (n - l4);
	put16(f + l4 + 16, slc_test_csum_fold(slc_test_sum16(f + l4, n - l4, ps)));

	m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_FATAL(m != NULL);
	if (s->split > 0 && s->split < s->len) {
		struct rte_mbuf *m2 = rte_pktmbuf_alloc(pool);
		uint32_t first = l4 + thl + s->split;

		CU_ASSERT_FATAL(m2 != NULL);
		memcpy(rte_pktmbuf_append(m, (uint16_t)first), f, first);
		memcpy(rte_pktmbuf_append(m2, (uint16_t)(n - first)), f + first, n - first);
		CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
	} else {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);

		CU_ASSERT_FATAL(d != NULL);
		memcpy(d, f, n);
	}
	tcp_test_describe(&p, m, l3);
	slc_tcp_input(t, &p, &our_mac, now);
}

/* ------------------------------------------------------ what we sent */

struct out {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint16_t sport, dport;
	int fam;
	bool vlan;
	uint8_t ttl;
	bool df;
	bool csum_ok;
	bool macs_ok;
	bool mss;
	uint16_t mssv;
	bool ws;
	uint8_t wsv;
	bool sackok;
	bool ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	uint32_t optlen;
	uint32_t len;
	uint8_t data[2048];
};

static void
parse_out(struct rte_mbuf *m, struct out *o)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t n = 12, l3, l4, thl, i, tot;
	uint32_t ps;

	memset(o, 0, sizeof(*o));
	CU_ASSERT_EQUAL_FATAL(m->nb_segs, 1);
	o->macs_ok = memcmp(f, peer_mac, 6) == 0 && memcmp(f + 6, our_mac.addr_bytes, 6) == 0;
	if (get16(f + n) == 0x8100) {
		o->vlan = get16(f + n + 2) == 42;
		n += 4;
	}
	o->fam = get16(f + n) == 0x0800 ? 4 : 6;
	n += 2;
	l3 = n;
	if (o->fam == 4) {
		CU_ASSERT_EQUAL(slc_test_csum_fold(slc_test_sum16(f + l3, 20, 0)), 0);
		o->ttl = f[l3 + 8];
		o->df = (get16(f + l3 + 6) & 0x4000) != 0;
		CU_ASSERT_EQUAL(get32(f + l3 + 12), OUR4);
		CU_ASSERT_EQUAL(get32(f + l3 + 16), PEER4);
		tot = get16(f + l3 + 2) - 20;
		l4 = l3 + 20;
		ps = slc_test_sum16(f + l3 + 12, 8, 0);
	} else {
		o->ttl = f[l3 + 7];
		CU_ASSERT(memcmp(f + l3 + 8, our6, 16) == 0);
		CU_ASSERT(memcmp(f + l3 + 24, peer6, 16) == 0);
		tot = get16(f + l3 + 4);
		l4 = l3 + 40;
		ps = slc_test_sum16(f + l3 + 8, 32, 0);
	}
	CU_ASSERT_EQUAL(m->data_len, l4 + tot);
	ps += 6 + tot;
	o->csum_ok = slc_test_csum_fold(slc_test_sum16(f + l4, tot, ps)) == 0;
	o->sport = get16(f + l4);
	o->dport = get16(f + l4 + 2);
	o->seq = get32(f + l4 + 4);
	o->ack = get32(f + l4 + 8);
	thl = (f[l4 + 12] >> 4) * 4u;
	o->flags = f[l4 + 13];
	o->win = get16(f + l4 + 14);
	o->optlen = thl - 20;
	for (i = 20; i < thl;) {
		uint8_t k = f[l4 + i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		switch (k) {
		case 2:
			o->mss = true;
			o->mssv = get16(f + l4 + i + 2);
			break;
		case 3:
			o->ws = true;
			o->wsv = f[l4 + i + 2];
			break;
		case 4:
			o->sackok = true;
			break;
		case 5:
			o->nsack = (f[l4 + i + 1] - 2) / 8;
			for (int b = 0; b < o->nsack; b++) {
				o->sack[b][0] = get32(f + l4 + i + 2 + 8 * b);
				o->sack[b][1] = get32(f + l4 + i + 6 + 8 * b);
			}
			break;
		case 8:
			o->ts = true;
			o->tsval = get32(f + l4 + i + 2);
			o->tsecr = get32(f + l4 + i + 6);
			break;
		default:
			break;
		}
		i += f[l4 + i + 1];
	}
	o->len = tot - thl;
	memcpy(o->data, f + l4 + thl, o->len);
}

/* Take every queued segment (parsed into o[0..max)), free them; returns the count. */
static int
drain(struct slc_tcp *t, struct out *o, int max)
{
	struct rte_mbuf **pk;
	uint16_t n, i;

	n = slc_tcp_tx_pending(t, 0, &pk);
	for (i = 0; i < n; i++) {
		if ((int)i < max) {
			parse_out(pk[i], &o[i]);
			CU_ASSERT(o[i].csum_ok);
			CU_ASSERT(o[i].macs_ok);
		}
		rte_pktmbuf_free(pk[i]);
	}
	slc_tcp_tx_done(t, 0, n);
	return n;
}

static int
drain1(struct slc_tcp *t, struct out *o)
{
	return drain(t, o, 1);
}

/* ------------------------------------------------------------ fixtures */

struct peer {
	uint32_t snd;                    /* next seq the peer sends */
	uint32_t rcv;                    /* what it acknowledges (our next seq) */
	uint32_t ts;                     /* its TSval clock */
	uint32_t ecr;                    /* TSval of ours to echo */
	bool ts_on;
	uint16_t win;
	uint16_t sport;
};

static struct slc_tcp_cfg
test_cfg(void)
{
	struct slc_tcp_cfg cfg;

	slc_tcp_cfg_default(&cfg);
	cfg.pool = pool;
	cfg.max_conns = 64;
	cfg.max_half_open = 8;
	cfg.rcv_buf = 16384;
	cfg.secret[0] = 1;
	cfg.secret[1] = 2;
	return cfg;
}

static struct slc_tcp *
mk(const struct slc_tcp_cfg *cfg)
{
	struct slc_tcp *t = slc_tcp_create(cfg, &ops, NULL);

	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(slc_tcp_listen(t, LPORT), 0);
	memset(&app, 0, sizeof(app));
	now = T0;
	slc_tcp_poll(t, now);
	return t;
}

static void
done(struct slc_tcp *t)
{
	slc_tcp_free(t);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
}

/* The peer's SYN s: exactly one SYN-ACK (parsed into *o) that acknowledges it; our ISS. */
static uint32_t
syn_synack(struct slc_tcp *t, const struct in *s, struct out *o)
{
	send_in(t, s);
	CU_ASSERT_EQUAL_FATAL(drain1(t, o), 1);
	CU_ASSERT_EQUAL(o->flags, F_SYN | F_ACK);
	CU_ASSERT_EQUAL(o->ack, s->seq + 1);
	return o->seq;
}

/* SYN (MSS 1460, and with opts: SACK-permitted, TS, WS 0) and ACK: an established connection. */
static struct slc_tcp_conn *
open_conn(struct slc_tcp *t, struct peer *pe, bool opts, uint16_t sport)
{
	struct in s = { .flags = F_SYN, .seq = PISN, .win = 65535, .mss = true, .mssv = 1460,
		.sport = sport };
	struct out o;

	memset(pe, 0, sizeof(*pe));
	pe->sport = sport;
	pe->ts_on = opts;
	pe->ts = 5000;
	pe->win = 65535;
	if (opts) {
		s.ws = true;
		s.wsv = 0;
		s.sackok = true;
		s.ts = true;
		s.tsval = pe->ts;
	}
	pe->rcv = syn_synack(t, &s, &o) + 1;
	pe->snd = PISN + 1;
	pe->ecr = o.tsval;
	memset(&s, 0, sizeof(s));
	s.flags = F_ACK;
	s.seq = pe->snd;
	s.ack = pe->rcv;
	s.win = pe->win;
	s.sport = sport;
	s.ts = opts;
	s.tsval = ++pe->ts;
	s.tsecr = pe->ecr;
	app.last = NULL;
	send_in(t, &s);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_FATAL(app.last != NULL);
	return app.last;
}

/* A segment from the peer on an open connection; advances pe->snd by len (+FIN). */
static void
pdata(struct slc_tcp *t, struct peer *pe, uint32_t seq, const void *data, uint32_t len,
	uint8_t flags)
{
	struct in s = { .flags = (uint8_t)(F_ACK | flags), .seq = seq, .ack = pe->rcv,
		.win = pe->win, .data = data, .len = len, .sport = pe->sport, .ts = pe->ts_on,
		.tsval = ++pe->ts, .tsecr = pe->ecr };

	send_in(t, &s);
}

/* The peer sends len bytes (and with F_FIN its FIN) at pe->snd, which moves past them. */
static void
psend(struct slc_tcp *t, struct peer *pe, const void *data, uint32_t len, uint8_t flags)
{
	pdata(t, pe, pe->snd, data, len, flags);
	pe->snd += len + ((flags & F_FIN) ? 1 : 0);
}

/* Exactly one segment queued (parsed into *o), acknowledging ack. */
static void
expect_ack(struct slc_tcp *t, struct out *o, uint32_t ack)
{
	CU_ASSERT_EQUAL_FATAL(drain1(t, o), 1);
	CU_ASSERT_EQUAL(o->ack, ack);
}

/* o carries n SACK blocks: b[0..n), newest first. */
static void
expect_sack(const struct out *o, int n, const uint32_t (*b)[2])
{
	int i;

	CU_ASSERT_EQUAL(o->nsack, n);
	for (i = 0; i < n && i < o->nsack; i++) {
		CU_ASSERT_EQUAL(o->sack[i][0], b[i][0]);
		CU_ASSERT_EQUAL(o->sack[i][1], b[i][1]);
	}
}

#define SACK(...) ((const uint32_t[][2]){ __VA_ARGS__ })

/* o is the segment at seq carrying exactly data[0..len). */
static void
expect_data(const struct out *o, uint32_t seq, const void *data, uint32_t len)
{
	CU_ASSERT_EQUAL(o->seq, seq);
	CU_ASSERT_EQUAL(o->len, len);
	CU_ASSERT(memcmp(o->data, data, len) == 0);
}

/* The clock moves to `to` and the timers run: how many segments they queued (the first in *o). */
static int
at(struct slc_tcp *t, uint64_t to, struct out *o)
{
	now = to;
	slc_tcp_poll(t, now);
	return drain1(t, o);
}

static uint8_t pat[65536];

/* The peer of a test's connection: open_conn() starts it, pdata() and psend() play it. */
static struct peer pe;

/* -------------------------------------------------------------- tests */

static void
test_slc_tcp_create_einval(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp_ops bad = ops;

	cfg.pool = NULL;
	CU_ASSERT_PTR_NULL(slc_tcp_create(&cfg, &ops, NULL));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	cfg = test_cfg();
	cfg.rcv_buf = 100;
	CU_ASSERT_PTR_NULL(slc_tcp_create(&cfg, &ops, NULL));
	cfg = test_cfg();
	bad.accept = NULL;
	CU_ASSERT_PTR_NULL(slc_tcp_create(&cfg, &bad, NULL));
	CU_ASSERT_EQUAL(slc_tcp_listen(NULL, 80), -EINVAL);
	CU_ASSERT_STRING_EQUAL(slc_tcp_close_name(SLC_TCP_CLOSE_KEEPALIVE), "keepalive");
	CU_ASSERT_STRING_EQUAL(slc_tcp_close_name(SLC_TCP_CLOSE_RST_IN), "rst_in");
}

static void
test_slc_tcp_input_handshake_options(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct slc_tcp_conn_info ci;
	struct out o;
	uint32_t iss;

	cfg.rcv_buf = 256 * 1024;
	t = mk(&cfg);
	iss = syn_synack(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 65535, .mss = true,
		.mssv = 1400, .ws = true, .wsv = 7, .sackok = true, .ts = true, .tsval = 777,
		.vlan = true }, &o);
	CU_ASSERT_EQUAL(o.sport, LPORT);
	CU_ASSERT_EQUAL(o.dport, SPORT);
	CU_ASSERT(o.vlan);
	CU_ASSERT_EQUAL(o.ttl, 64);
	CU_ASSERT(o.df);
	CU_ASSERT(o.mss);
	CU_ASSERT_EQUAL(o.mssv, 1460);
	CU_ASSERT(o.ws);
	CU_ASSERT_EQUAL(o.wsv, 3);              /* 256 KiB needs a shift of 3 */
	CU_ASSERT(o.sackok);
	CU_ASSERT(o.ts);
	CU_ASSERT_EQUAL(o.tsecr, 777);
	CU_ASSERT_EQUAL(o.win, 65535);          /* never scaled in a SYN-ACK */
	CU_ASSERT_EQUAL(o.optlen, 20);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->syn_in, 1);

	send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 1, .ack = iss + 1, .win = 1000,
		.ts = true, .tsval = 778, .tsecr = o.tsval, .vlan = true });
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(app.accepts, 1);
	CU_ASSERT_FATAL(app.last != NULL);
	slc_tcp_conn_info(app.last, &ci);
	CU_ASSERT_EQUAL(ci.family, 4);
	CU_ASSERT_EQUAL(get32(ci.peer), PEER4);
	CU_ASSERT_EQUAL(get32(ci.local), OUR4);
	CU_ASSERT_EQUAL(ci.peer_port, SPORT);
	CU_ASSERT_EQUAL(ci.local_port, LPORT);
	CU_ASSERT_EQUAL(ci.mss, 1400);
	CU_ASSERT_EQUAL(ci.snd_wscale, 7);
	CU_ASSERT_EQUAL(ci.rcv_wscale, 3);
	CU_ASSERT(ci.sack_ok);
	CU_ASSERT(ci.timestamps);
	CU_ASSERT_EQUAL(ci.rcv_wnd, 65535);
	CU_ASSERT_PTR_EQUAL(slc_tcp_conn_app(app.last), &app.token);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->accepted, 1);

	/* The first data segment: the ACK (delayed) carries a scaled window. */
	send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 1, .ack = iss + 1, .win = 1000,
		.ts = true, .tsval = 779, .tsecr = o.tsval, .data = pat, .len = 100, .vlan = true });
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	now += 21000;
	CU_ASSERT_EQUAL(slc_tcp_poll(t, now), 1);
	expect_ack(t, &o, PISN + 101);
	CU_ASSERT_EQUAL(o.flags, F_ACK);
	CU_ASSERT_EQUAL(o.seq, iss + 1);
	CU_ASSERT_EQUAL(o.tsecr, 779);
	CU_ASSERT_EQUAL(o.win, (256 * 1024 - 100) >> 3);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->delayed_acks, 1);
	done(t);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_ABORT);
}

static void
test_slc_tcp_input_handshake_no_options_ipv6(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn_info ci;
	struct out o;
	uint32_t iss;
	int i;

	iss = syn_synack(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 5000, .fam = 6 },
		&o);
	CU_ASSERT_EQUAL(o.fam, 6);
	CU_ASSERT_EQUAL(o.ttl, 64);
	CU_ASSERT_EQUAL(o.optlen, 4);           /* MSS only */
	CU_ASSERT_EQUAL(o.mssv, 1440);
	CU_ASSERT(!o.ws && !o.sackok && !o.ts);
	CU_ASSERT_EQUAL(o.win, 16384);
	send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 1, .ack = iss + 1, .win = 5000,
		.fam = 6 });
	CU_ASSERT_FATAL(app.last != NULL);
	slc_tcp_conn_info(app.last, &ci);
	CU_ASSERT_EQUAL(ci.family, 6);
	CU_ASSERT(memcmp(ci.peer, peer6, 16) == 0);
	CU_ASSERT_EQUAL(ci.mss, 1220);          /* IPv6 default without the option */
	CU_ASSERT_EQUAL(ci.snd_wscale, 0);
	CU_ASSERT_EQUAL(ci.rcv_wscale, 0);
	CU_ASSERT(!ci.sack_ok);
	CU_ASSERT(!ci.timestamps);
	/* Data both ways over IPv6: checksums checked by drain(). */
	send_in(t, &(struct in){ .flags = F_ACK | F_PSH, .seq = PISN + 1, .ack = iss + 1,
		.win = 5000, .fam = 6, .data = "v6 data", .len = 7 });
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(app.last), 7);
	CU_ASSERT_EQUAL(slc_tcp_send(app.last, "reply", 5), 0);
	expect_ack(t, &o, PISN + 8);                    /* the data carries the ACK */
	CU_ASSERT_EQUAL(o.fam, 6);
	expect_data(&o, iss + 1, "reply", 5);
	CU_ASSERT_EQUAL(o.win, 16384 - 7);
	CU_ASSERT_EQUAL(at(t, now + 100000, &o), 0);   /* no delayed ACK owed any more */

	/* SACK without timestamps: 4 blocks fit. */
	iss = syn_synack(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 5000, .sport = 2,
		.sackok = true, .mss = true, .mssv = 1000 }, &o);
	CU_ASSERT(o.sackok && !o.ts && !o.ws);
	CU_ASSERT_EQUAL(o.optlen, 8);
	send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 1, .ack = iss + 1, .win = 5000,
		.sport = 2 });
	for (i = 0; i < 5; i++) {
		send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 11 + 10 * i, .ack = iss + 1,
			.win = 5000, .sport = 2, .data = pat, .len = 5 });
		expect_ack(t, &o, PISN + 1);
	}
	expect_sack(&o, 4, SACK({ PISN + 51, PISN + 56 }, { PISN + 41, PISN + 46 },
		{ PISN + 31, PISN + 36 }, { PISN + 21, PISN + 26 }));
	CU_ASSERT_EQUAL(o.optlen, 36);
	done(t);
}

static void
test_slc_tcp_input_in_order(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct rte_mbuf *m;
	const uint8_t *p;
	char buf[64];

	psend(t, &pe, "hello ", 6, F_PSH);
	psend(t, &pe, "world\n", 6, F_PSH);
	psend(t, &pe, "abc", 3, F_PSH);
	CU_ASSERT_EQUAL(app.readables, 3);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 15);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_in, 15);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 15);
	p = slc_tcp_rcv_peek(c, 0, 15, buf, &m);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(memcmp(p, "hello world\nabc", 15) == 0);
	p = slc_tcp_rcv_peek(c, 6, 5, buf, &m);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(memcmp(p, "world", 5) == 0);
	CU_ASSERT_PTR_NULL(slc_tcp_rcv_peek(c, 10, 6, buf, &m));
	CU_ASSERT_EQUAL(slc_tcp_rcv_find(c, 0, '\n'), 11);
	CU_ASSERT_EQUAL(slc_tcp_rcv_find(c, 12, '\n'), -1);
	CU_ASSERT_EQUAL(slc_tcp_rcv_find(c, 3, 'c'), 14);
	slc_tcp_rcv_consume(c, 12);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 3);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 3);
	p = slc_tcp_rcv_peek(c, 0, 3, buf, NULL);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(memcmp(p, "abc", 3) == 0);
	slc_tcp_rcv_consume(c, 3);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
	CU_ASSERT(!slc_tcp_rcv_eof(c));
	done(t);
}

/* pat[0..n) = i * mul + add: a pattern that shows a byte out of place. */
static void
fill_pat(uint32_t n, uint32_t mul, uint32_t add)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		pat[i] = (uint8_t)(i * mul + add);
}

static void
test_slc_tcp_input_out_of_order_sack(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct out o;
	uint8_t buf[600];
	uint32_t b;

	fill_pat(600, 7, 3);
	b = pe.snd;
	pdata(t, &pe, b, pat, 100, 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);              /* delayed */
	pdata(t, &pe, b + 200, pat + 200, 100, 0);
	expect_ack(t, &o, b + 100);
	expect_sack(&o, 1, SACK({ b + 200, b + 300 }));
	pdata(t, &pe, b + 400, pat + 400, 100, 0);
	expect_ack(t, &o, b + 100);
	expect_sack(&o, 2, SACK({ b + 400, b + 500 }, { b + 200, b + 300 }));
	pdata(t, &pe, b + 500, pat + 500, 100, 0);      /* extends the newest block */
	expect_ack(t, &o, b + 100);
	expect_sack(&o, 2, SACK({ b + 400, b + 600 }, { b + 200, b + 300 }));
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->ooo_segs, 3);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 100);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 400);
	/* The first gap fills: delivered up to 300, one block left. */
	pdata(t, &pe, b + 100, pat + 100, 100, 0);
	expect_ack(t, &o, b + 300);
	expect_sack(&o, 1, SACK({ b + 400, b + 600 }));
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 300);
	pdata(t, &pe, b + 300, pat + 300, 100, 0);
	expect_ack(t, &o, b + 600);
	expect_sack(&o, 0, NULL);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 600);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_in, 600);
	CU_ASSERT_FATAL(slc_tcp_rcv_peek(c, 0, 600, buf, NULL) != NULL);
	CU_ASSERT(memcmp(slc_tcp_rcv_peek(c, 0, 600, buf, NULL), pat, 600) == 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 0);
	done(t);
}

static void
test_slc_tcp_input_duplicates_trimmed(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct out o;
	uint8_t buf[400];
	uint32_t b;

	fill_pat(400, 13, 1);
	b = pe.snd;
	pdata(t, &pe, b, pat, 100, 0);
	drain1(t, &o);
	pdata(t, &pe, b, pat, 100, 0);                  /* all old */
	expect_ack(t, &o, b + 100);                     /* ACK at once for a duplicate */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_segs, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 100);
	pdata(t, &pe, b + 50, pat + 50, 100, 0);        /* half old */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_segs, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 150);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 150);
	pdata(t, &pe, b + 300, pat + 300, 100, 0);      /* held out of order */
	pdata(t, &pe, b + 250, pat + 250, 100, 0);      /* overlaps it by 50 */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 200);
	pdata(t, &pe, b + 300, pat + 300, 100, 0);      /* wholly held already */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_segs, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 300);
	pdata(t, &pe, b + 140, pat + 140, 120, 0);      /* fills the gap, overlaps both sides */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 320);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 400);
	CU_ASSERT(memcmp(slc_tcp_rcv_peek(c, 0, 400, buf, NULL), pat, 400) == 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_in, 400);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 400);
	drain(t, &o, 0);
	done(t);
}

/* Exactly one ACK queued, of ack with window field win. */
static void
expect_ack_win(struct slc_tcp *t, uint32_t ack, uint16_t win)
{
	struct out o;

	expect_ack(t, &o, ack);
	CU_ASSERT_EQUAL(o.win, win);
}

static void
test_slc_tcp_input_window_backpressure(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct slc_tcp_conn *c;
	struct out o;
	uint32_t b, sent = 0;
	int k = 0;

	cfg.rcv_buf = 16384;
	t = mk(&cfg);
	c = open_conn(t, &pe, false, SPORT);
	b = pe.snd;
	/* 11 full segments of 1460: an ACK after every second, windows shrinking. */
	while (sent + 1460 <= 16384) {
		pdata(t, &pe, b + sent, pat, 1460, 0);
		sent += 1460;
		k++;
		if (k % 2 == 0)
			expect_ack_win(t, b + sent, (uint16_t)(16384 - sent));
		else
			CU_ASSERT_EQUAL(drain1(t, &o), 0);
	}
	CU_ASSERT_EQUAL(sent, 16060);
	/* The last 324 bytes of window; 1000 sent, the rest trimmed. */
	pdata(t, &pe, b + sent, pat, 1000, 0);
	expect_ack_win(t, b + 16384, 0);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 16384);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->window_zero, 1);
	/* Wholly beyond the window. */
	pdata(t, &pe, b + 20000, pat, 100, 0);
	expect_ack_win(t, b + 16384, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->out_of_window, 1);
	/* Zero-window probe: one byte at rcv_nxt, answered, not taken. */
	pdata(t, &pe, b + 16384, pat, 1, 0);
	expect_ack_win(t, b + 16384, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->zero_window_probes, 1);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 16384);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->window_zero, 3);
	/* Consuming less than an MSS: no update (SWS avoidance). */
	slc_tcp_rcv_consume(c, 1000);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	slc_tcp_rcv_consume(c, 1000);
	expect_ack_win(t, b + 16384, 2000);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->window_updates, 1);
	slc_tcp_rcv_consume(c, slc_tcp_rcv_avail(c));
	expect_ack_win(t, b + 16384, 16384);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->window_updates, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
	done(t);
}

static void
test_slc_tcp_poll_delayed_ack(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct out o;
	uint64_t t1;

	open_conn(t, &pe, true, SPORT);
	app.consume_all = true;
	t1 = now;
	psend(t, &pe, pat, 10, 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(at(t, t1 + cfg.delack_us - 1000, &o), 0);
	now = t1 + cfg.delack_us + 1000;
	CU_ASSERT_EQUAL(slc_tcp_poll(t, now), 1);
	expect_ack(t, &o, pe.snd);
	CU_ASSERT_EQUAL(o.len, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->delayed_acks, 1);
	/* Two full-sized segments (1448 with timestamps): the second is ACKed at once. */
	psend(t, &pe, pat, 1448, 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	psend(t, &pe, pat, 1448, 0);
	expect_ack(t, &o, pe.snd);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->delayed_acks, 1);
	CU_ASSERT_EQUAL(at(t, now + 100000, &o), 0);   /* nothing owed any more */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->acks_out, 2);
	done(t);
}

static void
test_slc_tcp_send_rto(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, false, SPORT);      /* MSS 1460, no TS */
	struct out o[4];
	uint64_t t1;
	int i;

	for (i = 0; i < 3000; i++)
		pat[i] = (uint8_t)(i ^ (i >> 8));
	CU_ASSERT_EQUAL(slc_tcp_snd_space(c), cfg.snd_buf);
	CU_ASSERT_EQUAL(slc_tcp_send(c, pat, 3000), 0);
	CU_ASSERT_EQUAL(slc_tcp_snd_unacked(c), 3000);
	CU_ASSERT_EQUAL(slc_tcp_snd_space(c), cfg.snd_buf - 3000);
	CU_ASSERT_EQUAL_FATAL(drain(t, o, 4), 3);
	expect_data(&o[0], pe.rcv, pat, 1460);
	expect_data(&o[1], pe.rcv + 1460, pat + 1460, 1460);
	expect_data(&o[2], pe.rcv + 2920, pat + 2920, 80);
	CU_ASSERT_EQUAL(o[2].flags, F_ACK | F_PSH);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_out, 3000);
	CU_ASSERT_EQUAL(slc_tcp_send(c, pat, cfg.snd_buf), -ENOBUFS);
	/* RTO 1 s (no sample yet): the first segment again, then after 2 s, after 4 s. */
	t1 = now;
	CU_ASSERT_EQUAL(at(t, t1 + 999000, o), 0);
	CU_ASSERT_EQUAL_FATAL(at(t, t1 + 1001000, o), 1);
	expect_data(&o[0], pe.rcv, pat, 1460);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 1);
	t1 = now;
	CU_ASSERT_EQUAL(at(t, t1 + 1990000, o), 0);
	CU_ASSERT_EQUAL_FATAL(at(t, t1 + 2010000, o), 1);
	CU_ASSERT_EQUAL(o[0].seq, pe.rcv);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 2);
	/* The peer acknowledges the first 1460: the next one goes out (cwnd grew). */
	pe.rcv += 1460;
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL_FATAL(drain(t, o, 4), 2);
	CU_ASSERT_EQUAL(o[0].seq, pe.rcv);
	CU_ASSERT_EQUAL(o[0].len, 1460);
	CU_ASSERT_EQUAL(o[1].seq, pe.rcv + 1460);
	CU_ASSERT_EQUAL(o[1].len, 80);
	CU_ASSERT_EQUAL(app.sents, 0);
	pe.rcv += 1540;
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL(drain(t, o, 4), 0);
	CU_ASSERT_EQUAL(app.sents, 1);
	CU_ASSERT_EQUAL(slc_tcp_snd_unacked(c), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_out, 3000);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 4);
	/* Data never acknowledged: data_retries retransmissions, then RST and closed(TIMEOUT). */
	CU_ASSERT_EQUAL(slc_tcp_send(c, "ack!", 4), 0);
	CU_ASSERT_EQUAL(drain(t, o, 4), 1);
	for (i = 0; i < 20 && app.closes == 0; i++)
		at(t, now + 61000000, o);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_TIMEOUT);
	CU_ASSERT_EQUAL(o[0].flags, F_RST | F_ACK);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 4 + cfg.data_retries);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_rst_out, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	done(t);
}

static void
test_slc_tcp_close_peer_first(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct out o;

	psend(t, &pe, "bye", 3, F_FIN);
	expect_ack(t, &o, pe.snd);
	CU_ASSERT(slc_tcp_rcv_eof(c));
	CU_ASSERT(app.eof_seen);
	CU_ASSERT_EQUAL(app.readables, 1);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 3);
	CU_ASSERT_EQUAL(slc_tcp_send(c, "ok", 2), 0);   /* CLOSE-WAIT may still send */
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.len, 2);
	slc_tcp_close(c);
	CU_ASSERT_EQUAL(slc_tcp_send(c, "x", 1), -ENOTCONN);
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_FIN);
	CU_ASSERT_EQUAL(o.seq, pe.rcv + 2);
	CU_ASSERT_EQUAL(app.closes, 0);
	pe.rcv += 3;
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_FIN);
	CU_ASSERT_EQUAL(app.sents, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_fin, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	/* Anything more for the gone connection: RST. */
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_RST);
	CU_ASSERT_EQUAL(o.seq, pe.rcv);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->no_conn, 1);
	done(t);
}

static void
test_slc_tcp_close_time_wait(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct out o;

	slc_tcp_close(c);
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_FIN);
	CU_ASSERT_EQUAL(o.seq, pe.rcv);
	pe.rcv++;
	psend(t, &pe, "late", 4, 0);                    /* FIN-WAIT-2: still receives */
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 4);
	psend(t, &pe, NULL, 0, F_FIN);
	expect_ack(t, &o, pe.snd);
	CU_ASSERT_EQUAL(o.flags, F_ACK);
	CU_ASSERT(app.eof_seen);                        /* readable() before closed() */
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_FIN);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 1);    /* TIME-WAIT */
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
	/* The FIN again (our ACK lost): ACKed again. */
	pe.ts++;
	send_in(t, &(struct in){ .flags = F_ACK | F_FIN, .seq = pe.snd - 1, .ack = pe.rcv,
		.win = 1000, .ts = true, .tsval = pe.ts, .tsecr = pe.ecr });
	expect_ack(t, &o, pe.snd);
	now += (uint64_t)cfg.time_wait_ms * 1000 + 2000;
	slc_tcp_poll(t, now);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_fin, 1);
	done(t);
	CU_ASSERT_EQUAL(app.closes, 1);
}

/* Exactly one challenge ACK queued: a pure ACK of ack. */
static void
expect_challenge(struct slc_tcp *t, uint32_t ack)
{
	struct out o;

	expect_ack(t, &o, ack);
	CU_ASSERT_EQUAL(o.flags, F_ACK);
}

static void
test_slc_tcp_input_rst(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct out o;

	/* In the window, not exact: challenge ACK, connection kept. */
	pdata(t, &pe, pe.snd + 100, NULL, 0, F_RST);
	expect_challenge(t, pe.snd);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bad_rst, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->challenge_acks, 1);
	/* Outside the window: ignored. */
	pdata(t, &pe, pe.snd + 100000, NULL, 0, F_RST);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->out_of_window_rst, 1);
	CU_ASSERT_EQUAL(app.closes, 0);
	/* SYN on the established connection: challenge ACK. */
	send_in(t, &(struct in){ .flags = F_SYN, .seq = 5, .win = 100, .ts = true,
		.tsval = ++pe.ts });
	expect_challenge(t, pe.snd);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bad_syn, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->challenge_acks, 2);
	/* Data with an ACK of what we never sent: dropped, challenge ACK. */
	pe.rcv += 5000;
	pdata(t, &pe, pe.snd, "evil", 4, 0);
	pe.rcv -= 5000;
	expect_ack(t, &o, pe.snd);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bad_ack, 1);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 0);
	/* PAWS: an old timestamp. */
	pe.ts -= 100;
	pdata(t, &pe, pe.snd, "old!", 4, 0);
	pe.ts += 200;
	expect_ack(t, &o, pe.snd);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->paws, 1);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 0);
	/* No timestamp once negotiated: dropped. */
	send_in(t, &(struct in){ .flags = F_ACK, .seq = pe.snd, .ack = pe.rcv, .win = 100,
		.data = "nots", .len = 4 });
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bad_options, 1);
	/* Malformed options. */
	send_in(t, &(struct in){ .flags = F_ACK, .seq = pe.snd, .ack = pe.rcv, .win = 100,
		.ts = true, .tsval = ++pe.ts, .bad_opt = true });
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bad_options, 2);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	/* The exact RST. */
	pdata(t, &pe, pe.snd, NULL, 0, F_RST);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_RST_IN);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_rst_in, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	done(t);
}

/* Exactly one bare RST queued (parsed into *o), at seq. */
static void
expect_rst(struct slc_tcp *t, struct out *o, uint32_t seq)
{
	CU_ASSERT_EQUAL_FATAL(drain1(t, o), 1);
	CU_ASSERT_EQUAL(o->flags, F_RST);
	CU_ASSERT_EQUAL(o->seq, seq);
}

static void
test_slc_tcp_input_syn_cookies(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct slc_tcp_conn_info ci;
	struct out o;
	uint32_t cookie, tsv;

	cfg.max_half_open = 2;
	cfg.rcv_buf = 256 * 1024;
	t = mk(&cfg);
	send_in(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 100, .sport = 1 });
	send_in(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 100, .sport = 2 });
	CU_ASSERT_EQUAL(drain1(t, &o), 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 2);
	cookie = syn_synack(t, &(struct in){ .flags = F_SYN, .seq = 5555, .win = 100, .sport = 3,
		.mss = true, .mssv = 1400, .ws = true, .wsv = 5, .sackok = true, .ts = true,
		.tsval = 42 }, &o);
	CU_ASSERT_EQUAL(o.ack, 5556);
	CU_ASSERT_EQUAL(o.mssv, 1460);
	CU_ASSERT(o.ws && o.wsv == 3);
	CU_ASSERT(o.sackok);
	CU_ASSERT_EQUAL(o.tsecr, 42);
	CU_ASSERT_EQUAL(o.tsval & 0x3f, 0x10 | 5);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open_full, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->syn_in, 3);
	tsv = o.tsval;
	/* A forged cookie: no connection, RST. */
	now += 1000;
	send_in(t, &(struct in){ .flags = F_ACK, .seq = 5556, .ack = cookie + 2, .win = 100,
		.sport = 3, .ts = true, .tsval = 43, .tsecr = tsv });
	expect_rst(t, &o, cookie + 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->cookies_bad, 1);
	CU_ASSERT_EQUAL(app.accepts, 0);
	/* The right one, with data: established with what the cookie encoded. */
	send_in(t, &(struct in){ .flags = F_ACK, .seq = 5556, .ack = cookie + 1, .win = 100,
		.sport = 3, .ts = true, .tsval = 43, .tsecr = tsv, .data = "abc", .len = 3 });
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->cookies_ok, 1);
	CU_ASSERT_EQUAL(app.accepts, 1);
	CU_ASSERT_FATAL(app.last != NULL);
	slc_tcp_conn_info(app.last, &ci);
	CU_ASSERT_EQUAL(ci.peer_port, 3);
	CU_ASSERT_EQUAL(ci.mss, 1220);          /* the largest cookie MSS <= 1400 */
	CU_ASSERT_EQUAL(ci.snd_wscale, 5);
	CU_ASSERT_EQUAL(ci.rcv_wscale, 3);
	CU_ASSERT(ci.sack_ok);
	CU_ASSERT(ci.timestamps);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(app.last), 3);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->accepted, 1);
	drain1(t, &o);
	/* A cookie too old is refused too. */
	cookie = syn_synack(t, &(struct in){ .flags = F_SYN, .seq = 7000, .win = 100, .sport = 4 },
		&o);
	now += 4 * 64000000ull;
	send_in(t, &(struct in){ .flags = F_ACK, .seq = 7001, .ack = cookie + 1, .win = 100,
		.sport = 4 });
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->cookies_ok, 1);
	done(t);
}

static void
test_slc_tcp_poll_synack_retries(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	const struct in syn = { .flags = F_SYN, .seq = PISN, .win = 100 };
	struct out o;
	uint32_t iss;

	cfg.syn_retries = 2;
	t = mk(&cfg);
	iss = syn_synack(t, &syn, &o);
	/* The SYN again before any timeout: the same SYN-ACK. */
	CU_ASSERT_EQUAL(syn_synack(t, &syn, &o), iss);
	CU_ASSERT_EQUAL_FATAL(at(t, now + 1001000, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_SYN | F_ACK);
	CU_ASSERT_EQUAL(o.seq, iss);
	CU_ASSERT_EQUAL(at(t, now + 1990000, &o), 0);
	CU_ASSERT_EQUAL(at(t, now + 20000, &o), 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 1);
	CU_ASSERT_EQUAL(at(t, now + 4010000, &o), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 0);
	CU_ASSERT_EQUAL(app.accepts, 0);
	/* Its ACK now finds nothing (no cookies sent): RST. */
	send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 1, .ack = iss + 1, .win = 100 });
	expect_rst(t, &o, iss + 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->no_conn, 1);
	done(t);
}

static void
test_slc_tcp_poll_keepalive_idle(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct out o;
	uint64_t t1;
	int i;

	cfg.keepalive_s = 5;
	cfg.keepalive_intvl_s = 1;
	cfg.keepalive_probes = 2;
	cfg.idle_timeout_s = 0;
	t = mk(&cfg);
	open_conn(t, &pe, true, SPORT);
	t1 = now;
	CU_ASSERT_EQUAL(at(t, t1 + 4990000, &o), 0);
	CU_ASSERT_EQUAL_FATAL(at(t, t1 + 5001000, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_ACK);
	CU_ASSERT_EQUAL(o.seq, pe.rcv - 1);
	CU_ASSERT_EQUAL(o.len, 0);
	/* Answered: the count starts over. */
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL(at(t, now + 5001000, &o), 1);
	CU_ASSERT_EQUAL(at(t, now + 1000000, &o), 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->keepalives, 3);
	CU_ASSERT_EQUAL(app.closes, 0);
	CU_ASSERT_EQUAL_FATAL(at(t, now + 1000000, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_RST | F_ACK);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_KEEPALIVE);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_keepalive, 1);
	done(t);

	/* Idle: FIN after idle_timeout_s, RST 10 s later when the peer does nothing. */
	cfg = test_cfg();
	cfg.keepalive_s = 0;
	cfg.idle_timeout_s = 3;
	t = mk(&cfg);
	open_conn(t, &pe, true, SPORT);
	CU_ASSERT_EQUAL_FATAL(at(t, now + 3001000, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_FIN);
	for (i = 0; i < 12; i++)
		at(t, now + 1000000, &o);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_IDLE);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_idle, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	done(t);
}

static void
test_slc_tcp_input_no_conn_rst_rate(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	const struct in ack = { .flags = F_ACK, .seq = 10, .ack = 99, .win = 100, .dport = 9 };
	struct out o;

	cfg.rst_rate = 2;
	t = mk(&cfg);
	/* Not listening: RST for an ACK (seq = its ack) and for a SYN (ack = seq + 1). */
	send_in(t, &ack);
	expect_rst(t, &o, 99);
	CU_ASSERT_EQUAL(o.sport, 9);
	send_in(t, &(struct in){ .flags = F_SYN, .seq = 10, .win = 100, .dport = 9 });
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_RST | F_ACK);
	CU_ASSERT_EQUAL(o.seq, 0);
	CU_ASSERT_EQUAL(o.ack, 11);
	send_in(t, &ack);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rst_limited, 1);
	/* RSTs are never answered. */
	send_in(t, &(struct in){ .flags = F_RST, .seq = 10, .win = 100, .dport = 9 });
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->no_conn, 4);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rst_out, 2);
	now += 1000000;
	send_in(t, &ack);
	CU_ASSERT_EQUAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->segs_in, 5);
	done(t);
}

/* A handshake from sport that the engine refuses: SYN-ACK, then RST for the ACK. */
static void
handshake_refused(struct slc_tcp *t, uint16_t sport)
{
	struct out o;
	uint32_t iss;

	iss = syn_synack(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 100,
		.sport = sport }, &o);
	send_in(t, &(struct in){ .flags = F_ACK, .seq = PISN + 1, .ack = iss + 1, .win = 100,
		.sport = sport });
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.flags & F_RST, F_RST);
}

static void
test_slc_tcp_input_refused(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;

	cfg.max_conns = 1;
	t = mk(&cfg);
	app.refuse = true;
	handshake_refused(t, SPORT);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->refused, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->accepted, 0);
	app.refuse = false;
	open_conn(t, &pe, false, 1);
	/* The table is full: the next handshake is refused with RST. */
	handshake_refused(t, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->refused, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 1);
	done(t);
}

#define MANY 2000

static struct peer many[MANY];

static void
test_slc_tcp_many_conns(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct out o;
	int round, i;

	cfg.max_conns = MANY;
	cfg.max_half_open = 64;
	t = mk(&cfg);
	app.close_on_eof = true;
	app.consume_all = true;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < MANY; i++) {
			open_conn(t, &many[i], i % 2 == 0, (uint16_t)(10000 + i));
			psend(t, &many[i], pat, 100, F_FIN);
			CU_ASSERT_EQUAL(drain1(t, &o), 1);      /* ACK and FIN in one */
			CU_ASSERT_EQUAL(o.flags, F_ACK | F_FIN);
			CU_ASSERT_EQUAL(o.ack, many[i].snd);
		}
		CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, MANY);
		CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
		for (i = 0; i < MANY; i++) {
			many[i].rcv++;                          /* our FIN */
			pdata(t, &many[i], many[i].snd, NULL, 0, 0);
		}
		CU_ASSERT_EQUAL(drain1(t, &o), 0);
		CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
		CU_ASSERT_EQUAL(app.closes, MANY * (round + 1));
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
		now += 60000000;                            /* a new ISN for the same 4-tuples */
		slc_tcp_poll(t, now);
	}
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->closed_fin, 2 * MANY);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->accepted, 2 * MANY);
	done(t);
	CU_ASSERT_EQUAL(app.closes, 2 * MANY);
}

static void
test_slc_tcp_free_with_data(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c;
	int i;

	for (i = 0; i < 3; i++) {
		c = open_conn(t, &pe, true, (uint16_t)(20000 + i));
		pdata(t, &pe, pe.snd, pat, 1000, 0);
		pdata(t, &pe, pe.snd + 3000, pat, 1000, 0);
		CU_ASSERT_EQUAL(slc_tcp_send(c, pat, 5000), 0);
		CU_ASSERT_EQUAL(drain(t, NULL, 0), 5);  /* OOO ACK and 4 data segments */
	}
	pdata(t, &pe, pe.snd + 1000, pat, 1000, 0);     /* fills the last one's gap */
	CU_ASSERT_EQUAL(drain(t, NULL, 0), 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 7000);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->nombuf, 0);
	CU_ASSERT(rte_mempool_avail_count(pool) < POOL_N);
	done(t);
	CU_ASSERT_EQUAL(app.closes, 3);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_ABORT);
}

static void
test_slc_tcp_abort(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, false, SPORT);
	struct out o;

	pdata(t, &pe, pe.snd, pat, 500, 0);
	slc_tcp_abort(c);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_ABORT);
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(o.flags, F_RST | F_ACK);
	CU_ASSERT_EQUAL(o.seq, pe.rcv);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rst_out, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
	done(t);
}

static void
test_slc_tcp_input_ooo_limit_and_chains(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct rte_mbuf *m;
	struct out o;
	uint8_t buf[3000];
	uint32_t b, i;

	fill_pat(3000, 31, 5);
	b = pe.snd;
	/* 65 one-byte islands: 64 kept, the 65th dropped; SACK names the newest 3. */
	for (i = 0; i < 65; i++) {
		pdata(t, &pe, b + 2 + 2 * i, pat + 2 + 2 * i, 1, 0);
		expect_ack(t, &o, b);
	}
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->ooo_segs, 64);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->ooo_drops, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 64);
	expect_sack(&o, 3, SACK({ b + 2 + 2 * 63, b + 3 + 2 * 63 },    /* with timestamps: 3 fit */
		{ b + 2 + 2 * 62, b + 3 + 2 * 62 }, { b + 2 + 2 * 61, b + 3 + 2 * 61 }));
	CU_ASSERT_EQUAL(o.optlen, 40);
	/* A chained segment of 1000 bytes (300 in the first mbuf) fills the gaps. */
	send_in(t, &(struct in){ .flags = F_ACK, .seq = b, .ack = pe.rcv, .win = 65535,
		.data = pat, .len = 1000, .split = 300, .ts = true, .tsval = ++pe.ts,
		.tsecr = pe.ecr });
	expect_ack(t, &o, b + 1000);
	expect_sack(&o, 0, NULL);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 1000);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 1000);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->dup_bytes, 64);
	CU_ASSERT(memcmp(slc_tcp_rcv_peek(c, 0, 1000, buf, &m), pat, 1000) == 0);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT(memcmp(slc_tcp_rcv_peek(c, 250, 100, buf, &m), pat + 250, 100) == 0);
	CU_ASSERT_EQUAL(slc_tcp_rcv_find(c, 600, pat[700]), 700);  /* pat repeats every 256 */
	CU_ASSERT_EQUAL(slc_tcp_rcv_find(c, 0, pat[700]), 188);
	slc_tcp_rcv_consume(c, 999);
	CU_ASSERT_EQUAL(*slc_tcp_rcv_peek(c, 0, 1, buf, NULL), pat[999]);
	slc_tcp_rcv_consume(c, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->rcv_mem, 0);
	drain1(t, &o);
	done(t);
}

static void
test_slc_tcp_input_challenge_rate_and_mem(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct slc_tcp_conn *c;
	struct out o;

	cfg.challenge_ack_rate = 1;
	cfg.rcv_mem = 5000;
	t = mk(&cfg);
	c = open_conn(t, &pe, false, SPORT);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 0);
	pdata(t, &pe, pe.snd + 10, NULL, 0, F_RST);
	pdata(t, &pe, pe.snd + 20, NULL, 0, F_RST);
	CU_ASSERT_EQUAL(drain1(t, &o), 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bad_rst, 2);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->challenge_acks, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->challenge_limited, 1);
	/* 3000 bytes held: a new connection is offered what rcv_mem has left. */
	pdata(t, &pe, pe.snd, pat, 1460, 0);
	pdata(t, &pe, pe.snd + 1460, pat, 1460, 0);
	pdata(t, &pe, pe.snd + 2920, pat, 80, 0);
	CU_ASSERT_EQUAL(slc_tcp_rcv_avail(c), 3000);
	drain1(t, &o);
	syn_synack(t, &(struct in){ .flags = F_SYN, .seq = PISN, .win = 100, .sport = 2 }, &o);
	CU_ASSERT_EQUAL(o.win, 2000);
	/* A half-open entry reset exactly goes away. */
	send_in(t, &(struct in){ .flags = F_RST, .seq = PISN + 1, .sport = 2 });
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->half_open, 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	done(t);
}

static void
test_slc_tcp_send_persist(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c = open_conn(t, &pe, true, SPORT);
	struct out o;

	pe.win = 0;
	pdata(t, &pe, pe.snd, NULL, 0, 0);              /* the peer's window closes */
	CU_ASSERT_EQUAL(slc_tcp_send(c, "frame", 5), 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL_FATAL(at(t, now + 1001000, &o), 1);    /* a window probe */
	CU_ASSERT_EQUAL(o.seq, pe.rcv - 1);
	CU_ASSERT_EQUAL(o.len, 0);
	pe.win = 1000;
	pdata(t, &pe, pe.snd, NULL, 0, 0);              /* its answer opens the window */
	CU_ASSERT_EQUAL_FATAL(drain1(t, &o), 1);
	expect_data(&o, pe.rcv, "frame", 5);
	CU_ASSERT(o.ts);
	pe.rcv += 5;
	pe.ecr = o.tsval;
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL(app.sents, 1);
	CU_ASSERT_EQUAL(slc_tcp_snd_unacked(c), 0);
	done(t);
}

/*
 * Fill port 0's tx queue: SLC_TCP_TXQ_LEN ACKs of the peer p's duplicates (one
 * old byte each), queued and not yet taken.
 */
static void
fill_txq(struct slc_tcp *t, struct peer *p)
{
	struct rte_mbuf **pk;
	struct out o;
	uint32_t i;

	CU_ASSERT_EQUAL_FATAL(slc_tcp_tx_pending(t, 0, &pk), 0);
	for (i = 0; i < SLC_TCP_TXQ_LEN; i++)
		pdata(t, p, p->snd - 1, "d", 1, 0);
	CU_ASSERT_EQUAL_FATAL(slc_tcp_tx_pending(t, 0, &pk), SLC_TCP_TXQ_LEN);
	parse_out(pk[SLC_TCP_TXQ_LEN - 1], &o);
	CU_ASSERT_EQUAL(o.flags, F_ACK);
	CU_ASSERT_EQUAL(o.ack, p->snd);
	CU_ASSERT_EQUAL(o.len, 0);
}

/* Nothing goes out until rto_us from now; then exactly one segment (parsed into *o). */
static void
expect_rto_seg(struct slc_tcp *t, uint32_t rto_us, struct out *o)
{
	uint64_t t1 = now;

	CU_ASSERT_EQUAL(at(t, t1 + rto_us - 1000, o), 0);
	CU_ASSERT_EQUAL_FATAL(at(t, t1 + rto_us + 1000, o), 1);
}

/*
 * Data and a FIN that could not be queued because the tx queue was full, or
 * that slc_tcp_tx_done() dropped, with nothing else in flight and the peer's
 * window open: the retransmission timer sends them at the RTO (not a window
 * probe, not a wait for the peer or a keepalive).
 */
static void
test_slc_tcp_send_tx_full_rto(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t = mk(&cfg);
	struct slc_tcp_conn *c, *c2;
	struct peer pe2;
	struct out o;

	c = open_conn(t, &pe, false, SPORT);            /* no RTT sample: RTO 1 s */
	c2 = open_conn(t, &pe2, true, SPORT + 1);       /* the handshake's TS echo: RTO min */
	/* Data: counted tx_full, nothing of it queued; the queue taken whole. */
	fill_txq(t, &pe);
	CU_ASSERT_EQUAL(slc_tcp_send(c, "queued later", 12), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->tx_full, 1);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_out, 0);
	CU_ASSERT_EQUAL(drain(t, NULL, 0), SLC_TCP_TXQ_LEN);
	expect_rto_seg(t, TCP_INIT_RTO_US, &o);
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_PSH);
	CU_ASSERT_EQUAL(o.ack, pe.snd);
	expect_data(&o, pe.rcv, "queued later", 12);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->bytes_out, 12);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 0);
	pe.rcv += 12;
	pdata(t, &pe, pe.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL(app.sents, 1);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);

	/* Data and FIN: neither queued; the queue dropped whole (tx_done(0)). */
	fill_txq(t, &pe);
	CU_ASSERT_EQUAL(slc_tcp_send(c, "last", 4), 0);
	slc_tcp_close(c);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->tx_full, 3);
	slc_tcp_tx_done(t, 0, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->tx_full, 3 + SLC_TCP_TXQ_LEN);
	expect_rto_seg(t, cfg.rto_min_us, &o);         /* RTT sampled above: RTO min */
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_PSH | F_FIN);
	expect_data(&o, pe.rcv, "last", 4);
	pe.rcv += 5;
	psend(t, &pe, NULL, 0, F_FIN);
	expect_ack(t, &o, pe.snd);
	CU_ASSERT_EQUAL(app.closes, 1);
	CU_ASSERT_EQUAL(app.why, SLC_TCP_CLOSE_FIN);

	/* A FIN queued, then dropped by tx_done(0): sent again at the RTO. */
	slc_tcp_close(c2);
	slc_tcp_tx_done(t, 0, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->tx_full, 4 + SLC_TCP_TXQ_LEN);
	expect_rto_seg(t, cfg.rto_min_us, &o);
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_FIN);
	CU_ASSERT_EQUAL(o.seq, pe2.rcv);
	CU_ASSERT_EQUAL(o.len, 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->retransmits, 1);
	pe2.rcv++;
	pdata(t, &pe2, pe2.snd, NULL, 0, 0);
	CU_ASSERT_EQUAL(drain1(t, &o), 0);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->conns, 2);    /* TIME-WAIT and FIN-WAIT-2 */

	/* The FIN alone, not queued (tx queue full), all data acknowledged. */
	c = open_conn(t, &pe, false, SPORT + 2);
	fill_txq(t, &pe);
	slc_tcp_close(c);
	CU_ASSERT_EQUAL(slc_tcp_stats(t)->tx_full, 5 + SLC_TCP_TXQ_LEN);
	CU_ASSERT_EQUAL(drain(t, NULL, 0), SLC_TCP_TXQ_LEN);
	expect_rto_seg(t, TCP_INIT_RTO_US, &o);
	CU_ASSERT_EQUAL(o.flags, F_ACK | F_FIN);
	CU_ASSERT_EQUAL(o.seq, pe.rcv);
	CU_ASSERT_EQUAL(o.len, 0);
	done(t);
}

/* Engine invariants: gauges match the connection blocks, queues match their counts. */
static void
check_invariants(const struct slc_tcp *t)
{
	uint64_t mem = 0, conns = 0, half = 0;
	uint32_t i, n, bytes;
	struct rte_mbuf *m;

	for (i = 0; i < t->n_slots; i++) {
		const struct slc_tcp_conn *c = &t->conns[i];

		if (c->state == TCP_S_FREE)
			continue;
		if (c->state == TCP_S_SYN_RCVD)
			half++;
		else
			conns++;
		bytes = 0;
		for (m = c->rq_head; m != NULL; m = tcp_rq(m)->next)
			bytes += tcp_rq(m)->len;
		CU_ASSERT_EQUAL(bytes, c->rcv_avail);
		n = 0;
		bytes = 0;
		for (m = c->ooo_head; m != NULL; m = tcp_rq(m)->next) {
			n++;
			bytes += tcp_rq(m)->len;
			if (tcp_rq(m)->next != NULL)
				CU_ASSERT(SEQ_LEQ(tcp_rq(m)->seq + tcp_rq(m)->len,
					tcp_rq(tcp_rq(m)->next)->seq));
			CU_ASSERT(SEQ_GT(tcp_rq(m)->seq, c->rcv_nxt));
		}
		CU_ASSERT_EQUAL(n, c->ooo_n);
		CU_ASSERT_EQUAL(bytes, c->ooo_bytes);
		mem += c->rcv_avail + c->ooo_bytes;
		CU_ASSERT(SEQ_LEQ(c->snd_una, c->snd_nxt));
		CU_ASSERT(SEQ_LEQ(c->snd_nxt, c->snd_max));
	}
	CU_ASSERT_EQUAL(mem, t->stats.rcv_mem);
	CU_ASSERT_EQUAL(conns, t->stats.conns);
	CU_ASSERT_EQUAL(half, t->stats.half_open);
}

static uint32_t
rnd_next(uint32_t *r)
{
	*r = *r * 1103515245u + 12345u;
	return *r >> 8;
}

/* Hostile and random segments around live connections: counted, never a crash or a leak. */
static void
test_slc_tcp_input_random(void)
{
	struct slc_tcp_cfg cfg = test_cfg();
	struct slc_tcp *t;
	struct peer pr[4];
	uint32_t r = 4242, i, k;
	int step;

#define RND() rnd_next(&r)
	cfg.max_conns = 8;
	cfg.max_half_open = 2;
	cfg.rcv_buf = 8192;
	t = mk(&cfg);
	for (i = 0; i < 65536; i++)
		pat[i] = (uint8_t)i;
	for (k = 0; k < 4; k++)
		open_conn(t, &pr[k], k % 2 == 0, (uint16_t)(100 + k));
	for (step = 0; step < 30000; step++) {
		struct peer *p = &pr[RND() % 4];
		struct in s;
		uint32_t what = RND() % 16;

		memset(&s, 0, sizeof(s));
		s.sport = RND() % 8 == 0 ? (uint16_t)(100 + RND() % 12) : p->sport;
		s.flags = (uint8_t)(RND() % 4 == 0 ? RND() & 0x3f : F_ACK | (RND() % 8 == 0 ? F_FIN : 0));
		s.seq = what < 10 ? p->snd + (RND() % 20000) - 2000 : RND() * 2654435761u;
		s.ack = what < 12 ? p->rcv + (RND() % 8) - 4 : RND() << 8;
		s.win = (uint16_t)RND();
		s.len = RND() % 3 == 0 ? 0 : RND() % 1500;
		s.data = pat + RND() % 60000;
		s.ts = p->ts_on ? RND() % 16 != 0 : RND() % 16 == 0;
		s.tsval = RND() % 8 == 0 ? RND() << 8 : ++p->ts;
		s.tsecr = p->ecr;
		s.sackok = RND() % 8 == 0;
		s.mss = RND() % 8 == 0;
		s.mssv = (uint16_t)RND();
		s.ws = RND() % 8 == 0;
		s.wsv = (uint8_t)(RND() % 20);
		s.bad_opt = RND() % 64 == 0;
		s.split = RND() % 8 == 0 ? RND() % 1500 : 0;
		s.fam = RND() % 32 == 0 ? 6 : 4;
		send_in(t, &s);
		if (RND() % 4 == 0 && app.last != NULL) {
			uint32_t av = slc_tcp_rcv_avail(app.last);

			if (av > 0)
				slc_tcp_rcv_consume(app.last, RND() % (av + 1));
			if (RND() % 16 == 0)
				slc_tcp_send(app.last, pat, RND() % 3000);
			if (RND() % 512 == 0)
				slc_tcp_close(app.last);
		}
		if (RND() % 8 == 0) {
			now += RND() % 3000000;
			slc_tcp_poll(t, now);
		}
		drain(t, NULL, 0);
		if (step % 1000 == 0)
			check_invariants(t);
		/* Keep connections coming: a fresh one when one closed. */
		if (slc_tcp_stats(t)->conns < 2) {
			k = RND() % 4;
			open_conn(t, &pr[k], k % 2 == 0, (uint16_t)(200 + RND() % 1000));
		}
	}
	check_invariants(t);
	CU_ASSERT(slc_tcp_stats(t)->segs_in >= 30000);
	/* The mix reached the paths it is meant to (seeded: these hold every run). */
	CU_ASSERT(slc_tcp_stats(t)->ooo_segs > 0 && slc_tcp_stats(t)->paws > 0);
	CU_ASSERT(slc_tcp_stats(t)->bad_rst > 0 && slc_tcp_stats(t)->bad_syn > 0);
	CU_ASSERT(slc_tcp_stats(t)->bad_ack > 0 && slc_tcp_stats(t)->out_of_window > 0);
	CU_ASSERT(slc_tcp_stats(t)->bad_options > 0 && slc_tcp_stats(t)->retransmits > 0);
	done(t);
#undef RND
}

/* ------------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned int fails;

	(void)argc;
	pool = tcp_test_eal_start(argv[0], "test_tcp", POOL_N);
	if (pool == NULL)
		return 1;
	inet_pton(AF_INET6, "2001:db8::7", peer6);
	inet_pton(AF_INET6, "2001:db8::1", our6);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("tcp", NULL, NULL);
	CU_add_test(s, "test_slc_tcp_create_einval", test_slc_tcp_create_einval);
	CU_add_test(s, "test_slc_tcp_input_handshake_options", test_slc_tcp_input_handshake_options);
	CU_add_test(s, "test_slc_tcp_input_handshake_no_options_ipv6",
		test_slc_tcp_input_handshake_no_options_ipv6);
	CU_add_test(s, "test_slc_tcp_input_in_order", test_slc_tcp_input_in_order);
	CU_add_test(s, "test_slc_tcp_input_out_of_order_sack",
		test_slc_tcp_input_out_of_order_sack);
	CU_add_test(s, "test_slc_tcp_input_duplicates_trimmed",
		test_slc_tcp_input_duplicates_trimmed);
	CU_add_test(s, "test_slc_tcp_input_window_backpressure",
		test_slc_tcp_input_window_backpressure);
	CU_add_test(s, "test_slc_tcp_poll_delayed_ack", test_slc_tcp_poll_delayed_ack);
	CU_add_test(s, "test_slc_tcp_send_rto", test_slc_tcp_send_rto);
	CU_add_test(s, "test_slc_tcp_close_peer_first", test_slc_tcp_close_peer_first);
	CU_add_test(s, "test_slc_tcp_close_time_wait", test_slc_tcp_close_time_wait);
	CU_add_test(s, "test_slc_tcp_input_rst", test_slc_tcp_input_rst);
	CU_add_test(s, "test_slc_tcp_input_syn_cookies", test_slc_tcp_input_syn_cookies);
	CU_add_test(s, "test_slc_tcp_poll_synack_retries", test_slc_tcp_poll_synack_retries);
	CU_add_test(s, "test_slc_tcp_poll_keepalive_idle", test_slc_tcp_poll_keepalive_idle);
	CU_add_test(s, "test_slc_tcp_input_no_conn_rst_rate", test_slc_tcp_input_no_conn_rst_rate);
	CU_add_test(s, "test_slc_tcp_input_refused", test_slc_tcp_input_refused);
	CU_add_test(s, "test_slc_tcp_many_conns", test_slc_tcp_many_conns);
	CU_add_test(s, "test_slc_tcp_free_with_data", test_slc_tcp_free_with_data);
	CU_add_test(s, "test_slc_tcp_abort", test_slc_tcp_abort);
	CU_add_test(s, "test_slc_tcp_input_ooo_limit_and_chains",
		test_slc_tcp_input_ooo_limit_and_chains);
	CU_add_test(s, "test_slc_tcp_input_challenge_rate_and_mem",
		test_slc_tcp_input_challenge_rate_and_mem);
	CU_add_test(s, "test_slc_tcp_send_persist", test_slc_tcp_send_persist);
	CU_add_test(s, "test_slc_tcp_send_tx_full_rto", test_slc_tcp_send_tx_full_rto);
	CU_add_test(s, "test_slc_tcp_input_random", test_slc_tcp_input_random);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	tcp_test_eal_stop(pool);
	return fails == 0 ? 0 : 1;
}
