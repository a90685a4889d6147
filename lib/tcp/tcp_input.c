/*
 * lib/tcp input: one classified segment at a time, in the order of RFC 9293
 * 3.10.7 with the checks of RFC 7323 (PAWS, TS.Recent) and RFC 5961 (blind
 * RST, SYN and data injection) in their places:
 *
 *   no connection: RST is counted and dropped; SYN to a listener opens a
 *     half-open entry (or, the table full, is answered with a cookie); an ACK
 *     to a listener is checked as a cookie if cookies were sent lately; anything
 *     else gets a rate-limited RST (RFC 9293 3.10.7.1).
 *   SYN-RECEIVED: the ACK of our SYN-ACK establishes (accept()).
 *   synchronized: options (timestamps required once negotiated), PAWS, RST
 *     (exact or challenge), SYN (challenge), sequence acceptability, ACK
 *     acceptability (RFC 5961 5), TS.Recent, the send side's ACK and window,
 *     then payload and FIN.
 *
 * Payload is never copied on the way in: the mbuf is linked into the
 * connection's receive queue (in order) or its out-of-order list (bounded by
 * TCP_OOO_MAX, reported with SACK blocks); the record that links it is
 * written over the frame's headers (struct tcp_rq), so every header field is
 * read into locals first. Duplicates are trimmed against what is held.
 *
 * Callbacks (accept, readable, sent, closed) run from here on the owner core;
 * while a connection's segment is processed its output is deferred
 * (t->in_input) so that one segment carries the ACK, the window and any reply
 * the application queued from readable().
 *
 * Owner: the engine's core.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "tcp_priv.h"

/* ------------------------------------------------------------- options */

int
tcp_parse_opts(const struct rte_tcp_hdr *th, uint32_t th_len, struct tcp_opts *o)
{
	const uint8_t *p = (const uint8_t *)(th + 1);
	uint32_t n = th_len > sizeof(*th) ? th_len - (uint32_t)sizeof(*th) : 0, i = 0, len;

	memset(o, 0, sizeof(*o));
	/* What every data segment of a Linux or BSD peer carries: NOP, NOP, TS. */
	if (n == TCP_TS_OPT_LEN && p[0] == 1 && p[1] == 1 && p[2] == 8 && p[3] == 10) {
		uint32_t v[2];

		memcpy(v, p + 4, sizeof(v));
		o->ts_ok = true;
		o->tsval = rte_be_to_cpu_32(v[0]);
		o->tsecr = rte_be_to_cpu_32(v[1]);
		return 0;
	}
	while (i < n) {
		if (p[i] == 0)
			break;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		len = p[i + 1];
		if (len < 2 || i + len > n)
			return -1;
		switch (p[i]) {
		case 2:
			if (len != 4)
				return -1;
			o->mss_ok = true;
			o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
			break;
		case 3:
			if (len != 3)
				return -1;
			o->ws_ok = true;
			o->ws = p[i + 2];
			break;
		case 4:
			if (len != 2)
				return -1;
			o->sack_ok = true;
			break;
		case 5:
			if (len < 10 || (len - 2) % 8 != 0)
				return -1;
			break;          /* the peer's SACK: our send side is too small to use it */
		case 8:
			if (len != 10)
				return -1;
			o->ts_ok = true;
			o->tsval = (uint32_t)p[i + 2] << 24 | (uint32_t)p[i + 3] << 16 |
				(uint32_t)p[i + 4] << 8 | p[i + 5];
			o->tsecr = (uint32_t)p[i + 6] << 24 | (uint32_t)p[i + 7] << 16 |
				(uint32_t)p[i + 8] << 8 | p[i + 9];
			break;
		default:
			break;
		}
		i += len;
	}
	return 0;
}

/* One segment's header fields, read before the headers are overwritten. */
struct seg {
	struct rte_mbuf *m;
	uint32_t seq, ack, off, len;
	uint16_t win;
	uint8_t flags;
	struct tcp_opts o;
};

static inline void
drop(struct seg *s)
{
	if (s->m != NULL) {
		rte_pktmbuf_free(s->m);
		s->m = NULL;
	}
}

static void
flow_from_seg(struct tcp_flow *f, const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac)
{
	const uint8_t *fr = rte_pktmbuf_mtod(p->m, const uint8_t *);

	memset(&f->key, 0, sizeof(f->key));
	f->key.family = p->family;
	memcpy(f->key.peer, p->src, p->family == 4 ? 4 : 16);
	memcpy(f->key.local, p->dst, p->family == 4 ? 4 : 16);
	f->key.peer_port = p->src_port;
	f->key.local_port = p->dst_port;
	f->port = p->port;
	f->l2_len = (uint8_t)p->l2_len;
	memcpy(f->l2, fr, p->l2_len);
	memcpy(f->l2, fr + 6, 6);                   /* to the peer's MAC */
	memcpy(f->l2 + 6, mac, 6);                  /* from ours */
}

static inline bool
listening(const struct slc_tcp *t, uint16_t port)
{
	return (t->listen[port / 64] >> (port % 64)) & 1;
}

static void
conn_set_opts(struct slc_tcp_conn *c, const struct tcp_opts *o)
{
	uint16_t dflt = c->flow.key.family == 4 ? 536 : 1220;

	c->snd_mss = o->mss_ok ? RTE_MAX(o->mss, (uint16_t)64) : dflt;
	c->ws_ok = o->ws_ok;
	c->snd_ws = o->ws_ok ? RTE_MIN(o->ws, (uint8_t)TCP_MAX_WSCALE) : 0;
	c->rcv_ws = o->ws_ok ? c->t->rcv_ws : 0;
	c->sack_ok = o->sack_ok;
	c->ts_ok = o->ts_ok;
	c->rcv_mss = (uint16_t)(c->adv_mss - (o->ts_ok ? TCP_TS_OPT_LEN : 0));
}

/* ------------------------------------------------------------ no entry */

static void
syn_input(struct slc_tcp *t, const struct tcp_flow *f, uint32_t h, struct seg *s)
{
	struct slc_tcp_conn *c;
	uint16_t mss;
	uint32_t cookie, tsval;

	t->stats.syn_in++;
	if (t->n_half < t->cfg.max_half_open) {
		c = tcp_conn_alloc(t, f, h, true);
		if (c != NULL) {
			conn_set_opts(c, &s->o);
			c->irs = s->seq;
			c->rcv_nxt = s->seq + 1;
			c->rcv_adv = c->rcv_nxt;
			c->iss = tcp_isn(t, &f->key, t->now_us);
			c->snd_una = c->iss;
			c->snd_nxt = c->snd_max = c->snd_end = c->iss + 1;
			c->snd_wnd = s->win;            /* never scaled in a SYN */
			c->max_snd_wnd = s->win;
			c->snd_wl1 = s->seq;
			c->ts_recent = s->o.tsval;
			c->ts_recent_us = t->now_us;
			tcp_send_synack(c);
			tcp_timer_arm(t, &c->tm[TCP_T_RTX], t->now_us + TCP_INIT_RTO_US);
			drop(s);
			return;
		}
	}
	/* Table full: a cookie, no state (the SYN's data, if any, is dropped). */
	t->stats.half_open_full++;
	t->cookie_last_us = t->now_us;
	cookie = tcp_cookie_make(t, &f->key, s->seq, s->o.mss_ok ? s->o.mss : 536, &mss,
		t->now_us);
	tsval = tcp_cookie_tsval((uint32_t)(t->now_us / 1000) + tcp_ts_off(t, &f->key), &s->o);
	tcp_send_cookie_synack(t, f, cookie, s->seq + 1,
		(uint16_t)(f->key.family == 4 ? t->cfg.mss : t->cfg.mss - 20), &s->o, tsval);
	(void)mss;      /* the peer's, encoded in the cookie; the SYN-ACK announces ours */
	drop(s);
}

static void establish_input(struct slc_tcp *t, struct slc_tcp_conn *c, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac);
static void conn_input(struct slc_tcp *t, struct slc_tcp_conn *c, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac, bool fresh);

/* An ACK to a listener with no entry: a cookie, if we sent any lately. */
static void
cookie_input(struct slc_tcp *t, const struct tcp_flow *f, uint32_t h, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac)
{
	struct slc_tcp_conn *c;
	struct tcp_opts o;
	uint16_t mss;
	uint32_t bits;

	mss = tcp_cookie_check(t, &f->key, s->seq - 1, s->ack - 1, t->now_us);
	if (mss == 0) {
		t->stats.cookies_bad++;
		tcp_send_reply_rst(t, f, s->ack, 0, false);
		drop(s);
		return;
	}
	if (t->n_conns >= t->cfg.max_conns) {
		t->stats.refused++;
		tcp_send_reply_rst(t, f, s->ack, 0, false);
		drop(s);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.mss_ok = true;
	o.mss = mss;
	if (s->o.ts_ok) {
		bits = s->o.tsecr & 0x3f;
		o.ts_ok = true;
		o.tsval = s->o.tsval;
		o.ws_ok = (bits & 0xf) != 0xf;
		o.ws = (uint8_t)(bits & 0xf);
		o.sack_ok = (bits & 0x10) != 0;
	}
	c = tcp_conn_alloc(t, f, h, false);
	if (c == NULL) {
		t->stats.refused++;
		drop(s);
		return;
	}
	conn_set_opts(c, &o);
	c->irs = s->seq - 1;
	c->rcv_nxt = s->seq;
	c->rcv_adv = s->seq + RTE_MIN(t->cfg.rcv_buf, 65535u);
	c->last_ack_sent = s->seq;
	c->iss = s->ack - 1;
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_end = s->ack;
	c->snd_wnd = (uint32_t)s->win << c->snd_ws;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->ts_recent = s->o.tsval;
	c->ts_recent_us = t->now_us;
	t->stats.cookies_ok++;
	establish_input(t, c, s, p, mac);
}

/* ----------------------------------------------------- receive queues */

/* Link m (payload at off, len bytes) after the in-order data. */
static void
rq_append(struct slc_tcp_conn *c, struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	struct rte_mbuf *tail = c->rq_tail;
	struct tcp_rq *q, *tq;

	if (tail != NULL && len <= TCP_COALESCE_MAX && m->nb_segs == 1 && tail->nb_segs == 1 &&
	    RTE_MBUF_DIRECT(tail) && rte_mbuf_refcnt_read(tail) == 1) {
		tq = tcp_rq(tail);
		if (tq->off + tq->len == tail->data_len && rte_pktmbuf_tailroom(tail) >= len) {
			/* Small segments share one mbuf: a trickle cannot pin the pool. */
			memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len),
				rte_pktmbuf_mtod_offset(m, uint8_t *, off), len);
			tail->data_len = (uint16_t)(tail->data_len + len);
			tail->pkt_len += len;
			tq->len += len;
			rte_pktmbuf_free(m);
			return;
		}
	}
	q = tcp_rq(m);
	q->next = NULL;
	q->off = off;
	q->len = len;
	if (tail != NULL)
		tcp_rq(tail)->next = m;
	else
		c->rq_head = m;
	c->rq_tail = m;
}

/* The run of contiguous out-of-order data holding seq becomes the first SACK block. */
static void
sack_update(struct slc_tcp_conn *c, uint32_t seq)
{
	struct tcp_sack run = { 0, 0 }, old[TCP_SACK_MAX];
	struct rte_mbuf *m;
	uint32_t i, n = c->nsack, rs = 0, re = 0;
	bool have = false, found = false;

	for (m = c->ooo_head; m != NULL; m = tcp_rq(m)->next) {
		struct tcp_rq *q = tcp_rq(m);

		if (have && q->seq == re) {
			re += q->len;
		} else {
			if (have && SEQ_LEQ(rs, seq) && SEQ_LT(seq, re)) {
				found = true;
				break;
			}
			rs = q->seq;
			re = q->seq + q->len;
			have = true;
		}
	}
	if (!found && have && SEQ_LEQ(rs, seq) && SEQ_LT(seq, re))
		found = true;
	if (!found)
		return;
	run.s = rs;
	run.e = re;
	memcpy(old, c->sack, sizeof(old));
	c->sack[0] = run;
	c->nsack = 1;
	for (i = 0; i < n && c->nsack < TCP_SACK_MAX; i++) {
		if (SEQ_LT(old[i].e, run.s) || SEQ_GT(old[i].s, run.e))
			c->sack[c->nsack++] = old[i];
	}
}

static void
sack_prune(struct slc_tcp_conn *c)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->nsack; i++)
		if (SEQ_GT(c->sack[i].e, c->rcv_nxt))
			c->sack[n++] = c->sack[i];
	c->nsack = (uint8_t)n;
}

static void
ooo_unlink_free(struct slc_tcp_conn *c, struct rte_mbuf **pp)
{
	struct rte_mbuf *m = *pp;
	struct tcp_rq *q = tcp_rq(m);

	*pp = q->next;
	c->ooo_n--;
	c->ooo_bytes -= q->len;
	c->t->stats.rcv_mem -= q->len;
	rte_pktmbuf_free(m);
}

/* Keep [seq, seq + len) of m out of order, trimmed against what is held. */
static void
ooo_insert(struct slc_tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t off, uint32_t len)
{
	struct slc_tcp_stats *st = &c->t->stats;
	struct rte_mbuf **pp = &c->ooo_head, *cur;
	struct tcp_rq *q;
	uint32_t end = seq + len, cend, d;

	while (*pp != NULL && SEQ_LEQ(tcp_rq(*pp)->seq + tcp_rq(*pp)->len, seq))
		pp = &tcp_rq(*pp)->next;
	cur = *pp;
	if (cur != NULL && SEQ_LEQ(tcp_rq(cur)->seq, seq)) {
		cend = tcp_rq(cur)->seq + tcp_rq(cur)->len;
		if (SEQ_GEQ(cend, end)) {
			st->dup_segs++;
			st->dup_bytes += len;
			rte_pktmbuf_free(m);
			sack_update(c, seq);
			return;
		}
		d = cend - seq;
		st->dup_bytes += d;
		seq += d;
		off += d;
		len -= d;
		pp = &tcp_rq(cur)->next;
	}
	/* Held segments inside the new one: the new one replaces them. */
	while ((cur = *pp) != NULL && SEQ_LEQ(tcp_rq(cur)->seq + tcp_rq(cur)->len, end)) {
		st->dup_bytes += tcp_rq(cur)->len;
		ooo_unlink_free(c, pp);
	}
	if (cur != NULL && SEQ_LT(tcp_rq(cur)->seq, end)) {
		d = end - tcp_rq(cur)->seq;
		st->dup_bytes += d;
		len -= d;
	}
	/*
	 * At most TCP_OOO_MAX segments of any size; beyond, only segments of at
	 * least TCP_OOO_BIG bytes, up to one per TCP_OOO_BIG of rcv_buf: a full
	 * window of MSS-sized segments is kept after a loss, while tiny segments
	 * cannot pin more than TCP_OOO_MAX mbufs.
	 */
	if (c->ooo_n >= TCP_OOO_MAX &&
	    (len < TCP_OOO_BIG || c->ooo_n >= c->t->cfg.rcv_buf / TCP_OOO_BIG)) {
		st->ooo_drops++;
		rte_pktmbuf_free(m);
		return;
	}
	q = tcp_rq(m);
	q->seq = seq;
	q->off = off;
	q->len = len;
	q->next = *pp;
	*pp = m;
	c->ooo_n++;
	c->ooo_bytes += len;
	st->rcv_mem += len;
	st->ooo_segs++;
	sack_update(c, seq);
}

/* Move what the out-of-order list holds at rcv_nxt to the in-order queue. */
static void
ooo_drain(struct slc_tcp_conn *c)
{
	struct slc_tcp_stats *st = &c->t->stats;
	struct rte_mbuf *m;
	struct tcp_rq *q;
	uint32_t d;

	while ((m = c->ooo_head) != NULL && SEQ_LEQ(tcp_rq(m)->seq, c->rcv_nxt)) {
		q = tcp_rq(m);
		if (SEQ_LEQ(q->seq + q->len, c->rcv_nxt)) {
			st->dup_bytes += q->len;
			ooo_unlink_free(c, &c->ooo_head);
			continue;
		}
		c->ooo_head = q->next;
		c->ooo_n--;
		c->ooo_bytes -= q->len;
		d = c->rcv_nxt - q->seq;
		q->off += d;
		q->len -= d;
		st->rcv_mem -= d;
		st->dup_bytes += d;
		c->rcv_nxt += q->len;
		c->rcv_avail += q->len;
		st->bytes_in += q->len;
		rq_append(c, m, q->off, q->len);
	}
	sack_prune(c);
}

/* ------------------------------------------------------------ states */

static void
enter_time_wait(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;

	c->state = TCP_S_TIME_WAIT;
	tcp_conn_closed(c, (enum slc_tcp_close_why)c->close_why);
	tcp_conn_release_bufs(c);
	tcp_timer_cancel(&c->tm[TCP_T_RTX]);
	c->close_deadline_us = 0;
	c->tw_deadline_us = t->now_us + (uint64_t)t->cfg.time_wait_ms * 1000;
	tcp_slow_rearm(c);
}

/* The last FIN of an orderly close is acknowledged: closed(), forget. */
static void
close_done(struct slc_tcp_conn *c)
{
	tcp_conn_closed(c, (enum slc_tcp_close_why)c->close_why);
	tcp_conn_free(c);
}

static void
fin_in(struct slc_tcp_conn *c)
{
	c->fin_rcvd = true;
	c->ooo_fin = false;
	c->rcv_nxt++;
	c->ack_now = true;
	c->readable = true;
	switch (c->state) {
	case TCP_S_ESTABLISHED:
		c->state = TCP_S_CLOSE_WAIT;
		break;
	case TCP_S_FIN_WAIT_1:
		c->state = TCP_S_CLOSING;
		break;
	case TCP_S_FIN_WAIT_2:
		/* The last bytes and the EOF reach the application before closed(). */
		if (c->accepted) {
			c->readable = false;
			c->t->ops.readable(c->t->arg, c, c->app);
			if (c->state == TCP_S_FREE)
				return;
		}
		enter_time_wait(c);
		break;
	default:
		break;
	}
}

/*
 * The handshake completed with segment s (SYN-RECEIVED, or a valid cookie):
 * offer the connection to the application, then process s on it. If the
 * application refuses it, RST and forget it, and s goes.
 */
static void
establish_input(struct slc_tcp *t, struct slc_tcp_conn *c, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac)
{
	void *app;

	tcp_timer_cancel(&c->tm[TCP_T_RTX]);
	c->rtx_count = 0;
	c->last_rcv_us = t->now_us;
	c->last_data_us = t->now_us;
	t->in_input = c;
	app = t->ops.accept(t->arg, c, c->flow.key.local_port);
	if (c->state == TCP_S_FREE || app == NULL) {
		if (c->state != TCP_S_FREE) {
			t->stats.refused++;
			tcp_send_rst_conn(c);
			tcp_conn_free(c);
		}
		t->in_input = NULL;
		drop(s);
		return;
	}
	c->app = app;
	c->accepted = true;
	t->stats.accepted++;
	tcp_slow_rearm(c);
	conn_input(t, c, s, p, mac, true);
}

static void
rtt_sample(struct slc_tcp_conn *c, uint64_t r)
{
	const struct slc_tcp_cfg *cfg = &c->t->cfg;
	uint64_t rto, d;

	if (r > 60000000)
		return;
	if (c->srtt_us == 0) {
		c->srtt_us = (uint32_t)RTE_MAX(r, 1u);
		c->rttvar_us = (uint32_t)(r / 2);
	} else {
		d = r > c->srtt_us ? r - c->srtt_us : c->srtt_us - r;
		c->rttvar_us = (uint32_t)((3ull * c->rttvar_us + d) / 4);
		c->srtt_us = (uint32_t)((7ull * c->srtt_us + r) / 8);
	}
	rto = c->srtt_us + RTE_MAX(1000ull, 4ull * c->rttvar_us);
	rto = RTE_MAX(rto, (uint64_t)cfg->rto_min_us);
	rto = RTE_MIN(rto, (uint64_t)cfg->rto_max_us);
	c->rto_us = (uint32_t)rto;
}

/* The ACK field and window of an acceptable segment. false: c is gone. */
static bool
ack_input(struct slc_tcp_conn *c, struct seg *s, bool *sent_cb)
{
	struct slc_tcp *t = c->t;
	uint32_t acked, data, n;
	struct rte_mbuf *m;

	if (SEQ_LT(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, s->ack))) {
		c->snd_wnd = (uint32_t)s->win << c->snd_ws;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (c->snd_wnd > c->max_snd_wnd)
			c->max_snd_wnd = c->snd_wnd;
	}
	if (!SEQ_GT(s->ack, c->snd_una))
		return true;
	acked = s->ack - c->snd_una;
	data = SEQ_GT(c->snd_end, c->snd_una) ? RTE_MIN(acked, c->snd_end - c->snd_una) : 0;
	while (data > 0 && (m = c->sq_head) != NULL) {
		n = m->data_len - c->sq_off;
		if (data < n) {
			c->sq_off += data;
			break;
		}
		data -= n;
		c->sq_head = m->next;
		if (c->sq_head == NULL)
			c->sq_tail = NULL;
		m->next = NULL;
		rte_pktmbuf_free_seg(m);
		c->sq_off = 0;
	}
	if (c->ts_ok && s->o.ts_ok && s->o.tsecr != 0 && c->rtx_count == 0)
		rtt_sample(c, (uint64_t)(uint32_t)(tcp_ts_now(c, t->now_us) - s->o.tsecr) * 1000);
	else if (c->rtt_timing && SEQ_GT(s->ack, c->rtt_seq))
		rtt_sample(c, t->now_us - c->rtt_start_us);
	if (c->rtt_timing && SEQ_GT(s->ack, c->rtt_seq))
		c->rtt_timing = false;
	c->snd_una = s->ack;
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->rtx_count = 0;
	if (c->cwnd != UINT32_MAX) {
		c->cwnd += acked;
		if (c->cwnd >= c->max_snd_wnd)
			c->cwnd = UINT32_MAX;
	}
	if (c->snd_una == c->snd_max)
		tcp_timer_cancel(&c->tm[TCP_T_RTX]);
	else
		tcp_rto_arm(c);
	if (SEQ_GEQ(c->snd_una, c->snd_end) && SEQ_GT(c->snd_end, c->snd_una - acked))
		*sent_cb = true;
	if (c->fin_queued && SEQ_GT(c->snd_una, c->snd_end)) {
		switch (c->state) {
		case TCP_S_FIN_WAIT_1:
			c->state = TCP_S_FIN_WAIT_2;
			break;
		case TCP_S_CLOSING:
			enter_time_wait(c);
			break;
		case TCP_S_LAST_ACK:
			/* sent() before closed(): the application sees every byte acknowledged. */
			if (*sent_cb && c->accepted && t->ops.sent != NULL) {
				*sent_cb = false;
				t->ops.sent(t->arg, c, c->app);
				if (c->state == TCP_S_FREE)
					return false;
			}
			close_done(c);
			return false;
		default:
			break;
		}
	}
	return true;
}

/* Payload and FIN of an acceptable segment (trimmed to the window). */
static void
data_input(struct slc_tcp_conn *c, struct seg *s)
{
	struct slc_tcp *t = c->t;
	uint32_t seq = s->seq, off = s->off, len = s->len, d, wend;
	bool fin = (s->flags & TCP_F_FIN) != 0;

	if (SEQ_LT(seq, c->rcv_nxt)) {
		d = RTE_MIN(c->rcv_nxt - seq, len);
		t->stats.dup_bytes += d;
		seq += d;
		off += d;
		len -= d;
		if (len == 0 && !(fin && seq == c->rcv_nxt))
			fin = false;
	}
	wend = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv : c->rcv_nxt;
	if (SEQ_GT(seq + len, wend)) {
		len = SEQ_GT(wend, seq) ? wend - seq : 0;
		fin = false;
		c->ack_now = true;
	}
	if (c->state != TCP_S_ESTABLISHED && c->state != TCP_S_FIN_WAIT_1 &&
	    c->state != TCP_S_FIN_WAIT_2) {
		len = 0;        /* after the peer's FIN: nothing more can come */
		fin = false;
	}
	if (len == 0 && !fin) {
		drop(s);
		return;
	}
	c->last_data_us = t->now_us;
	if (seq != c->rcv_nxt) {
		if (fin) {
			c->ooo_fin = true;
			c->ooo_fin_seq = seq + len;
		}
		if (len > 0) {
			ooo_insert(c, s->m, seq, off, len);
			s->m = NULL;
		}
		drop(s);
		c->ack_now = true;
		return;
	}
	if (len > 0) {
		rq_append(c, s->m, off, len);
		s->m = NULL;
		c->rcv_nxt += len;
		c->rcv_avail += len;
		t->stats.rcv_mem += len;
		t->stats.bytes_in += len;
		c->readable = true;
		if (len > c->rcv_mss)
			c->rcv_mss = (uint16_t)RTE_MIN(len, (uint32_t)c->adv_mss);
		if (len >= c->rcv_mss && ++c->full_segs >= 2)
			c->ack_now = true;
		c->ack_delayed = true;
		if (c->ooo_head != NULL) {
			ooo_drain(c);
			c->ack_now = true;      /* a gap filled (RFC 5681 4.2) */
		}
	}
	drop(s);
	if (fin || (c->ooo_fin && c->ooo_fin_seq == c->rcv_nxt))
		fin_in(c);
}

/* Acceptability of [seq, seq + seglen) against the window announced (RFC 9293 3.10.7.4). */
static bool
seq_acceptable(const struct slc_tcp_conn *c, uint32_t seq, uint32_t seglen, bool fin_only)
{
	uint32_t wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t last = seq + seglen - 1;

	if (seglen == 0 || (wnd == 0 && fin_only)) {
		if (wnd == 0)
			return seq == c->rcv_nxt;
		return SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (SEQ_LEQ(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_nxt + wnd)) ||
		(SEQ_LEQ(c->rcv_nxt, last) && SEQ_LT(last, c->rcv_nxt + wnd));
}

/* An ACK for a segment we could not take: rate limited like challenge ACKs. */
static void
ack_limited(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;

	if (!tcp_rate_ok(&t->chal_rate, t->cfg.challenge_ack_rate, t->now_us)) {
		t->stats.challenge_limited++;
		return;
	}
	tcp_send_ack(c);
}

/*
 * Header prediction (Van Jacobson's, as in BSD): the next in-order data of an
 * established connection, acknowledging nothing new, no flag but ACK/PSH, in
 * the window, timestamp not older than TS.Recent. Everything the general path
 * would check is known to pass, so it only queues the payload and owes the
 * ACK. Returns false (nothing done) when the segment needs the general path.
 */
static inline bool
fast_data(struct slc_tcp *t, struct slc_tcp_conn *c, struct seg *s)
{
	uint32_t len = s->len;

	if (c->state != TCP_S_ESTABLISHED || (s->flags & ~TCP_F_PSH) != TCP_F_ACK ||
	    s->seq != c->rcv_nxt || s->ack != c->snd_una || c->ooo_head != NULL || len == 0 ||
	    ((uint32_t)s->win << c->snd_ws) != c->snd_wnd ||
	    !SEQ_LEQ(s->seq + len, c->rcv_adv))
		return false;
	if (c->ts_ok) {
		if (!s->o.ts_ok || SEQ_LT(s->o.tsval, c->ts_recent))
			return false;
		if (SEQ_LEQ(s->seq, c->last_ack_sent)) {
			c->ts_recent = s->o.tsval;
			c->ts_recent_us = t->now_us;
		}
	}
	c->last_rcv_us = t->now_us;
	c->last_data_us = t->now_us;
	c->ka_probes = 0;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	rq_append(c, s->m, s->off, len);
	s->m = NULL;
	c->rcv_nxt += len;
	c->rcv_avail += len;
	t->stats.rcv_mem += len;
	t->stats.bytes_in += len;
	c->readable = true;
	if (len > c->rcv_mss)
		c->rcv_mss = (uint16_t)RTE_MIN(len, (uint32_t)c->adv_mss);
	if (len >= c->rcv_mss && ++c->full_segs >= 2)
		c->ack_now = true;
	c->ack_delayed = true;
	return true;
}

/* A segment for a synchronized connection (or one just established: fresh). */
static void
conn_input(struct slc_tcp *t, struct slc_tcp_conn *c, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac, bool fresh)
{
	uint32_t seglen = s->len + ((s->flags & TCP_F_FIN) ? 1 : 0), wnd;
	bool sent_cb = false;
	void *app;

	t->in_input = c;
	if (fast_data(t, c, s))
		goto out;
	if (c->ts_ok && !s->o.ts_ok && !(s->flags & TCP_F_RST)) {
		t->stats.bad_options++;         /* RFC 7323 3.2: timestamps in every segment */
		goto out;
	}
	if (c->ts_ok && s->o.ts_ok && !(s->flags & TCP_F_RST) &&
	    SEQ_LT(s->o.tsval, c->ts_recent) &&
	    t->now_us - c->ts_recent_us <= TCP_PAWS_IDLE_US) {
		t->stats.paws++;
		ack_limited(c);
		goto out;
	}
	wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (s->flags & TCP_F_RST) {
		if (s->seq == c->rcv_nxt) {
			drop(s);
			t->in_input = NULL;
			if (c->state == TCP_S_TIME_WAIT)
				tcp_conn_free(c);
			else
				tcp_conn_reset(c, SLC_TCP_CLOSE_RST_IN);
			return;
		}
		if (SEQ_LEQ(c->rcv_nxt, s->seq) && SEQ_LT(s->seq, c->rcv_nxt + RTE_MAX(wnd, 1u))) {
			t->stats.bad_rst++;
			tcp_send_challenge_ack(c);
		} else {
			t->stats.out_of_window_rst++;
		}
		goto out;
	}
	if (c->state == TCP_S_TIME_WAIT) {
		if ((s->flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN && SEQ_GT(s->seq, c->rcv_nxt) &&
		    listening(t, c->flow.key.local_port)) {
			/* A new incarnation of the 4-tuple (RFC 9293 3.10.7.4 TIME-WAIT note). */
			struct tcp_flow f;
			uint32_t h;

			t->in_input = NULL;
			tcp_conn_free(c);
			flow_from_seg(&f, p, mac);
			h = tcp_key_hash(&f.key);
			syn_input(t, &f, h, s);
			return;
		}
		if (seglen > 0) {
			c->tw_deadline_us = t->now_us + (uint64_t)t->cfg.time_wait_ms * 1000;
			tcp_slow_rearm(c);
			c->ack_now = true;
		}
		goto out;
	}
	if (s->flags & TCP_F_SYN) {
		t->stats.bad_syn++;
		tcp_send_challenge_ack(c);
		goto out;
	}
	if (!fresh && !seq_acceptable(c, s->seq, seglen, s->len == 0 && seglen == 1)) {
		if (s->len > 0 && SEQ_LEQ(s->seq + s->len, c->rcv_nxt)) {
			t->stats.dup_segs++;
			t->stats.dup_bytes += s->len;
			if (wnd == 0 && s->seq + s->len == c->rcv_nxt)
				t->stats.zero_window_probes++;
			c->ack_now = true;
		} else if (wnd == 0 && s->seq == c->rcv_nxt && s->len > 0) {
			t->stats.zero_window_probes++;
			if ((s->flags & TCP_F_ACK) && !SEQ_GT(s->ack, c->snd_max) &&
			    !SEQ_LT(s->ack, c->snd_una - c->max_snd_wnd)) {
				if (!ack_input(c, s, &sent_cb))
					goto gone;
			}
			c->ack_now = true;
		} else if (s->len == 0 && SEQ_LT(s->seq, c->rcv_nxt)) {
			if (wnd == 0)
				t->stats.zero_window_probes++;
			c->ack_now = true;      /* keepalive or window probe */
		} else {
			if (s->len > 0)
				t->stats.out_of_window++;
			ack_limited(c);
		}
		goto out;
	}
	if (!(s->flags & TCP_F_ACK))
		goto out;
	if (SEQ_GT(s->ack, c->snd_max) || SEQ_LT(s->ack, c->snd_una - c->max_snd_wnd)) {
		t->stats.bad_ack++;             /* RFC 5961 5.2 */
		tcp_send_challenge_ack(c);
		goto out;
	}
	c->last_rcv_us = t->now_us;
	c->ka_probes = 0;
	if (c->ts_ok && SEQ_LEQ(s->seq, c->last_ack_sent) && SEQ_GEQ(s->o.tsval, c->ts_recent)) {
		c->ts_recent = s->o.tsval;
		c->ts_recent_us = t->now_us;
	}
	if (!ack_input(c, s, &sent_cb))
		goto gone;
	if (seglen > 0)
		data_input(c, s);
out:
	drop(s);
	if (c->state == TCP_S_FREE)
		goto gone;
	if (c->readable && c->accepted) {
		c->readable = false;
		app = c->app;
		t->ops.readable(t->arg, c, app);
		if (c->state == TCP_S_FREE)
			goto gone;
	}
	c->readable = false;
	if (sent_cb && c->accepted && t->ops.sent != NULL) {
		t->ops.sent(t->arg, c, c->app);
		if (c->state == TCP_S_FREE)
			goto gone;
	}
	t->in_input = NULL;
	tcp_output(c);
	return;
gone:
	drop(s);
	t->in_input = NULL;
}

/* SYN-RECEIVED: our SYN-ACK is out; the ACK of it establishes the connection. */
static void
half_open_input(struct slc_tcp *t, struct slc_tcp_conn *c, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac)
{
	uint32_t wnd = c->rcv_adv - c->rcv_nxt;

	if (s->flags & TCP_F_RST) {
		if (s->seq == c->rcv_nxt) {
			tcp_conn_free(c);
		} else if (SEQ_LEQ(c->rcv_nxt, s->seq) && SEQ_LT(s->seq, c->rcv_nxt + RTE_MAX(wnd, 1u))) {
			t->stats.bad_rst++;
			tcp_send_challenge_ack(c);
		} else {
			t->stats.out_of_window_rst++;
		}
		drop(s);
		return;
	}
	if (s->flags & TCP_F_SYN) {
		if (s->seq == c->irs && !(s->flags & TCP_F_ACK))
			tcp_send_synack(c);     /* our SYN-ACK was lost */
		else {
			t->stats.bad_syn++;
			tcp_send_challenge_ack(c);
		}
		drop(s);
		return;
	}
	if (!(s->flags & TCP_F_ACK) || (c->ts_ok && !s->o.ts_ok)) {
		drop(s);
		return;
	}
	if (s->ack != c->iss + 1) {
		tcp_send_reply_rst(t, &c->flow, s->ack, 0, false);
		drop(s);
		return;
	}
	if (!seq_acceptable(c, s->seq, s->len + ((s->flags & TCP_F_FIN) ? 1 : 0),
	    s->len == 0 && (s->flags & TCP_F_FIN))) {
		drop(s);
		return;
	}
	if (t->n_conns >= t->cfg.max_conns) {
		t->stats.refused++;
		tcp_send_rst_conn(c);
		tcp_conn_free(c);
		drop(s);
		return;
	}
	t->n_half--;
	t->stats.half_open = t->n_half;
	t->n_conns++;
	t->stats.conns = t->n_conns;
	c->state = TCP_S_ESTABLISHED;
	c->snd_una = s->ack;
	c->snd_wnd = (uint32_t)s->win << c->snd_ws;
	c->max_snd_wnd = RTE_MAX(c->max_snd_wnd, c->snd_wnd);
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	if (s->o.ts_ok && SEQ_GEQ(s->o.tsval, c->ts_recent)) {
		c->ts_recent = s->o.tsval;
		c->ts_recent_us = t->now_us;
	}
	if (c->ts_ok && s->o.tsecr != 0 && c->rtx_count == 0)
		rtt_sample(c, (uint64_t)(uint32_t)(tcp_ts_now(c, t->now_us) - s->o.tsecr) * 1000);
	establish_input(t, c, s, p, mac);
}

/* Nothing matches the 4-tuple. */
static void
no_conn_input(struct slc_tcp *t, const struct tcp_key *k, uint32_t h, struct seg *s,
	const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac)
{
	struct tcp_flow f;
	bool lis = listening(t, k->local_port);
	uint32_t seglen;

	if (s->flags & TCP_F_RST) {
		t->stats.no_conn++;
		drop(s);
		return;
	}
	flow_from_seg(&f, p, mac);
	if (lis && (s->flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN) {
		syn_input(t, &f, h, s);
		return;
	}
	if (lis && (s->flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_ACK && t->cookie_last_us != 0 &&
	    t->now_us - t->cookie_last_us <= (TCP_COOKIE_MAX_AGE + 1) * TCP_COOKIE_PERIOD_US) {
		cookie_input(t, &f, h, s, p, mac);
		return;
	}
	t->stats.no_conn++;
	if (s->flags & TCP_F_ACK) {
		tcp_send_reply_rst(t, &f, s->ack, 0, false);
	} else if (!lis) {
		seglen = s->len + ((s->flags & TCP_F_SYN) ? 1 : 0) + ((s->flags & TCP_F_FIN) ? 1 : 0);
		tcp_send_reply_rst(t, &f, 0, s->seq + seglen, true);
	}
	drop(s);
}

void
slc_tcp_input(struct slc_tcp *t, const struct slc_pkt_tcp *p, const struct rte_ether_addr *mac,
	uint64_t now_us)
{
	const struct rte_tcp_hdr *th = p->th;
	struct slc_tcp_conn *c;
	struct tcp_key k;
	struct seg s;
	uint32_t h;

	t->stats.segs_in++;
	if (now_us > t->now_us)
		t->now_us = now_us;
	s.m = p->m;
	if (tcp_parse_opts(th, p->th_len, &s.o) != 0 ||
	    p->payload_off < p->l2_len + p->l3_len + p->th_len || p->l2_len > TCP_L2_MAX ||
	    p->l2_len + p->l3_len + p->th_len < 54) {
		/* 54: the headers hold struct tcp_rq once the segment is queued. */
		t->stats.bad_options++;
		drop(&s);
		return;
	}
	s.seq = rte_be_to_cpu_32(th->sent_seq);
	s.ack = rte_be_to_cpu_32(th->recv_ack);
	s.win = rte_be_to_cpu_16(th->rx_win);
	s.flags = th->tcp_flags & 0x3f;
	s.off = p->payload_off;
	s.len = p->payload_len;

	memset(&k, 0, sizeof(k));
	k.family = p->family;
	memcpy(k.peer, p->src, p->family == 4 ? 4 : 16);
	memcpy(k.local, p->dst, p->family == 4 ? 4 : 16);
	k.peer_port = p->src_port;
	k.local_port = p->dst_port;
	h = tcp_key_hash(&k);
	c = tcp_lookup(t, &k, h);
	if (c == NULL)
		no_conn_input(t, &k, h, &s, p, mac);
	else if (c->state == TCP_S_SYN_RCVD)
		half_open_input(t, c, &s, p, mac);
	else
		conn_input(t, c, &s, p, mac, false);
}
