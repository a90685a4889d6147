/*
 * lib/tcp output: every segment we send is built here in a fresh mbuf from
 * cfg.pool: the connection's L2 header (the received frame's, MACs swapped,
 * tags kept), IPv4 (TTL 64, DF, incrementing id) or IPv6 (hop limit 64), TCP
 * with options, checksums in software, and queued for the DPDK port the
 * connection came in on.
 *
 * The window announced in each segment is computed here (announce_window):
 * what the application has not consumed is subtracted from rcv_buf, the
 * engine's free rcv_mem caps it, the right edge never moves left (RFC 9293
 * 3.8.6.2.1: we shrink only by not growing) and small increases are held back
 * (receiver SWS avoidance, 3.8.6.2.2).
 *
 * Owner: the engine's core.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tcp_priv.h"

#define TCP_OPT_MAX 40

/* Payload bytes a data segment of ours may carry. */
uint16_t
tcp_seg_mss(const struct slc_tcp_conn *c)
{
	uint32_t mss = c->snd_mss - (c->ts_ok ? TCP_TS_OPT_LEN : 0);
	uint32_t room = rte_pktmbuf_data_room_size(c->t->cfg.pool) - RTE_PKTMBUF_HEADROOM;
	uint32_t hdr = c->flow.l2_len + (c->flow.key.family == 4 ? 20u : 40u) + 20 + TCP_OPT_MAX;

	if (room > hdr && mss > room - hdr)
		mss = room - hdr;
	return (uint16_t)RTE_MAX(mss, 1u);
}

static bool
txq_push(struct slc_tcp *t, uint16_t port, struct rte_mbuf *m)
{
	struct tcp_txq *q;

	if (port >= SLC_PKT_MAX_PORTS || t->txq[port].n >= SLC_TCP_TXQ_LEN) {
		t->stats.tx_full++;
		rte_pktmbuf_free(m);
		return false;
	}
	q = &t->txq[port];
	q->q[q->n++] = m;
	t->stats.segs_out++;
	return true;
}

/* Copy len bytes at rel bytes past snd_una from the send queue. */
static void
sq_copy(const struct slc_tcp_conn *c, uint32_t rel, uint8_t *dst, uint32_t len)
{
	const struct rte_mbuf *m = c->sq_head;
	uint32_t off = c->sq_off + rel, n;

	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (len > 0 && m != NULL) {
		n = RTE_MIN(len, (uint32_t)m->data_len - off);
		memcpy(dst, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
		m = m->next;
	}
}

/*
 * Build and queue one segment. payc != NULL: paylen bytes from its send queue,
 * pay_rel bytes past snd_una. False if it could not be built or queued.
 */
static bool
xmit(struct slc_tcp *t, const struct tcp_flow *f, uint32_t seq, uint32_t ack, uint8_t flags,
	uint16_t win, const uint8_t *opt, uint32_t optlen, const struct slc_tcp_conn *payc,
	uint32_t pay_rel, uint32_t paylen)
{
	uint32_t l3 = f->key.family == 4 ? sizeof(struct rte_ipv4_hdr) :
		sizeof(struct rte_ipv6_hdr);
	uint32_t thl = sizeof(struct rte_tcp_hdr) + optlen;
	uint32_t len = f->l2_len + l3 + thl + paylen;
	struct rte_mbuf *m;
	uint8_t *p;
	struct rte_tcp_hdr *th;

	m = rte_pktmbuf_alloc(t->cfg.pool);
	if (m == NULL) {
		t->stats.nombuf++;
		return false;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		t->stats.nombuf++;
		return false;
	}
	memcpy(p, f->l2, f->l2_len);
	th = (struct rte_tcp_hdr *)(p + f->l2_len + l3);
	th->src_port = rte_cpu_to_be_16(f->key.local_port);
	th->dst_port = rte_cpu_to_be_16(f->key.peer_port);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->cksum = 0;
	th->tcp_urp = 0;
	if (optlen > 0)
		memcpy(th + 1, opt, optlen);
	if (paylen > 0)
		sq_copy(payc, pay_rel, (uint8_t *)th + thl, paylen);
	if (f->key.family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + f->l2_len);

		ip->version_ihl = 0x45;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + thl + paylen));
		ip->packet_id = rte_cpu_to_be_16(t->ip_id++);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, f->key.local, 4);
		memcpy(&ip->dst_addr, f->key.peer, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + f->l2_len);

		ip->vtc_flow = rte_cpu_to_be_32(0x60000000);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(thl + paylen));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, f->key.local, 16);
		memcpy(ip->dst_addr, f->key.peer, 16);
		th->cksum = rte_ipv6_udptcp_cksum(ip, th);
		m->ol_flags |= RTE_MBUF_F_TX_IPV6;
	}
	m->l2_len = f->l2_len;
	m->l3_len = l3;
	m->l4_len = thl;
	return txq_push(t, f->port, m);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

/* Timestamps and SACK blocks of a synchronized connection's segment. */
static uint32_t
conn_opts(struct slc_tcp_conn *c, uint8_t *o, bool sack)
{
	uint32_t n = 0, i, nb;

	if (c->ts_ok) {
		o[0] = 1;
		o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		put32(o + 4, tcp_ts_now(c, c->t->now_us));
		put32(o + 8, c->ts_recent);
		n = TCP_TS_OPT_LEN;
	}
	if (sack && c->sack_ok && c->nsack > 0) {
		nb = RTE_MIN((uint32_t)c->nsack, c->ts_ok ? 3u : 4u);
		o[n] = 1;
		o[n + 1] = 1;
		o[n + 2] = 5;
		o[n + 3] = (uint8_t)(2 + 8 * nb);
		n += 4;
		for (i = 0; i < nb; i++) {
			put32(o + n, c->sack[i].s);
			put32(o + n + 4, c->sack[i].e);
			n += 8;
		}
	}
	return n;
}

uint32_t
tcp_rcv_window(const struct slc_tcp_conn *c)
{
	const struct slc_tcp *t = c->t;
	uint32_t space = c->rcv_avail < t->cfg.rcv_buf ? t->cfg.rcv_buf - c->rcv_avail : 0;
	uint64_t mem_free = t->cfg.rcv_mem > t->stats.rcv_mem ? t->cfg.rcv_mem - t->stats.rcv_mem : 0;
	uint32_t max = (uint32_t)65535 << c->rcv_ws;

	if (space > mem_free)
		space = (uint32_t)mem_free;
	return RTE_MIN(space, max);
}

/* The window field of the next segment; moves rcv_adv. */
static uint16_t
announce_window(struct slc_tcp_conn *c)
{
	uint32_t win = tcp_rcv_window(c);
	uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	uint32_t unit = 1u << c->rcv_ws;
	uint32_t sws = RTE_MIN(c->t->cfg.rcv_buf / 2, (uint32_t)c->adv_mss);
	uint32_t field;

	if (win <= cur || win - cur < sws)
		win = cur;      /* never shrink; grow only by a useful amount */
	field = win >> c->rcv_ws;
	if ((uint64_t)field * unit < cur)
		field = (cur + unit - 1) >> c->rcv_ws;
	if (field > 65535)
		field = 65535;
	win = field << c->rcv_ws;
	if (SEQ_GT(c->rcv_nxt + win, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + win;
	c->rcv_wnd = win;
	c->last_ack_sent = c->rcv_nxt;
	if (field == 0)
		c->t->stats.window_zero++;
	return (uint16_t)field;
}

/* Whatever this segment acknowledges settles the owed ACK. */
static void
ack_sent(struct slc_tcp_conn *c)
{
	c->ack_now = false;
	c->ack_delayed = false;
	c->wnd_update = false;
	c->full_segs = 0;
	tcp_timer_cancel(&c->tm[TCP_T_DELACK]);
}

void
tcp_send_ack(struct slc_tcp_conn *c)
{
	uint8_t o[TCP_OPT_MAX];
	uint32_t n = conn_opts(c, o, true);
	uint16_t win = announce_window(c);

	if (c->wnd_update)
		c->t->stats.window_updates++;
	ack_sent(c);
	c->t->stats.acks_out++;
	/* snd_max: after an RTO rewound snd_nxt, the peer may hold more than snd_nxt. */
	xmit(c->t, &c->flow, c->snd_max, c->rcv_nxt, TCP_F_ACK, win, o, n, NULL, 0, 0);
}

void
tcp_send_challenge_ack(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;

	if (!tcp_rate_ok(&t->chal_rate, t->cfg.challenge_ack_rate, t->now_us)) {
		t->stats.challenge_limited++;
		return;
	}
	t->stats.challenge_acks++;
	tcp_send_ack(c);
}

/* Keepalive and persist probe: one byte behind what the peer expects, no data. */
void
tcp_send_probe(struct slc_tcp_conn *c)
{
	uint8_t o[TCP_OPT_MAX];
	uint32_t n = conn_opts(c, o, false);
	uint16_t win = announce_window(c);

	xmit(c->t, &c->flow, c->snd_una - 1, c->rcv_nxt, TCP_F_ACK, win, o, n, NULL, 0, 0);
}

void
tcp_send_rst_conn(struct slc_tcp_conn *c)
{
	c->t->stats.rst_out++;
	/* snd_max: a peer checking RSTs exactly (RFC 5961 3) expects the highest we sent. */
	xmit(c->t, &c->flow, c->snd_max, c->rcv_nxt, TCP_F_RST | TCP_F_ACK, 0, NULL, 0, NULL, 0, 0);
}

bool
tcp_send_reply_rst(struct slc_tcp *t, const struct tcp_flow *f, uint32_t seq, uint32_t ack,
	bool with_ack)
{
	if (!tcp_rate_ok(&t->rst_rate, t->cfg.rst_rate, t->now_us)) {
		t->stats.rst_limited++;
		return false;
	}
	t->stats.rst_out++;
	return xmit(t, f, seq, ack, TCP_F_RST | (with_ack ? TCP_F_ACK : 0), 0, NULL, 0, NULL, 0, 0);
}

/* MSS, SACK-permitted + timestamps, window scale: the order Linux uses. */
static uint32_t
syn_opts(uint8_t *o, uint16_t mss, bool ws_ok, uint8_t ws, bool sack_ok, bool ts_ok,
	uint32_t tsval, uint32_t tsecr)
{
	uint32_t n = 0;

	o[n++] = 2;
	o[n++] = 4;
	o[n++] = (uint8_t)(mss >> 8);
	o[n++] = (uint8_t)mss;
	if (ts_ok) {
		o[n++] = sack_ok ? 4 : 1;
		o[n++] = sack_ok ? 2 : 1;
		o[n++] = 8;
		o[n++] = 10;
		put32(o + n, tsval);
		put32(o + n + 4, tsecr);
		n += 8;
	} else if (sack_ok) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (ws_ok) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = ws;
	}
	return n;
}

void
tcp_send_synack(struct slc_tcp_conn *c)
{
	uint8_t o[TCP_OPT_MAX];
	uint32_t win = RTE_MIN(tcp_rcv_window(c), 65535u), n;

	n = syn_opts(o, c->adv_mss, c->ws_ok, c->rcv_ws, c->sack_ok, c->ts_ok,
		tcp_ts_now(c, c->t->now_us), c->ts_recent);
	if (SEQ_GT(c->rcv_nxt + win, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + win;
	c->rcv_wnd = win;
	c->last_ack_sent = c->rcv_nxt;
	xmit(c->t, &c->flow, c->iss, c->rcv_nxt, TCP_F_SYN | TCP_F_ACK, (uint16_t)win, o, n,
		NULL, 0, 0);
}

void
tcp_send_cookie_synack(struct slc_tcp *t, const struct tcp_flow *f, uint32_t iss, uint32_t ack,
	uint16_t mss, const struct tcp_opts *po, uint32_t tsval)
{
	uint8_t o[TCP_OPT_MAX];
	uint32_t n, win = RTE_MIN(t->cfg.rcv_buf, 65535u);

	n = syn_opts(o, mss, po->ws_ok, t->rcv_ws, po->sack_ok, po->ts_ok, tsval, po->tsval);
	xmit(t, f, iss, ack, TCP_F_SYN | TCP_F_ACK, (uint16_t)win, o, n, NULL, 0, 0);
}

/*
 * Send what the peer's window (and after an RTO, cwnd) allows from snd_nxt, the
 * FIN once every byte before it is out, and the owed ACK if no segment carried
 * it. Inside slc_tcp_input() for this connection it runs once, at the end.
 */
void
tcp_output(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;
	uint8_t o[TCP_OPT_MAX];
	uint32_t mss, avail, wnd, room, n, optlen;
	uint8_t flags;
	uint16_t win;

	if (t->in_input == c)
		return;
	switch (c->state) {
	case TCP_S_ESTABLISHED:
	case TCP_S_CLOSE_WAIT:
	case TCP_S_FIN_WAIT_1:
	case TCP_S_LAST_ACK:
	case TCP_S_CLOSING:
		break;
	default:
		goto ack;
	}
	mss = tcp_seg_mss(c);
	for (;;) {
		avail = SEQ_LT(c->snd_nxt, c->snd_end) ? c->snd_end - c->snd_nxt : 0;
		if (avail == 0 && !(c->fin_queued && c->snd_nxt == c->snd_end))
			break;
		wnd = RTE_MIN(c->snd_wnd, c->cwnd);
		room = SEQ_GT(c->snd_una + wnd, c->snd_nxt) ? c->snd_una + wnd - c->snd_nxt : 0;
		n = RTE_MIN(RTE_MIN(avail, mss), room);
		if (n == 0 && avail > 0)
			break;          /* window closed: the persist timer probes */
		flags = TCP_F_ACK;
		if (n > 0 && n == avail)
			flags |= TCP_F_PSH;
		if (c->fin_queued && c->snd_nxt + n == c->snd_end)
			flags |= TCP_F_FIN;
		optlen = conn_opts(c, o, true);
		win = announce_window(c);
		if (!xmit(t, &c->flow, c->snd_nxt, c->rcv_nxt, flags, win, o, optlen, c,
		    c->snd_nxt - c->snd_una, n))
			break;          /* no mbuf or queue full: the RTO sends it again */
		ack_sent(c);
		if (SEQ_LT(c->snd_nxt, c->snd_max)) {
			t->stats.retransmits++;
			if (SEQ_GT(c->snd_nxt + n, c->snd_max))
				t->stats.bytes_out += c->snd_nxt + n - c->snd_max;
		} else {
			t->stats.bytes_out += n;
			if (!c->rtt_timing && n > 0) {
				c->rtt_timing = true;
				c->rtt_seq = c->snd_nxt;
				c->rtt_start_us = t->now_us;
			}
		}
		c->snd_nxt += n + ((flags & TCP_F_FIN) ? 1 : 0);
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		if (!tcp_timer_armed(&c->tm[TCP_T_RTX]))
			tcp_rto_arm(c);
		if (flags & TCP_F_FIN)
			break;
	}
	/*
	 * Data or our FIN not sent (the peer's window closed, no mbuf, tx queue full)
	 * and nothing in flight: the RTO timer probes or tries again (rtx_fire).
	 */
	if ((c->snd_end != c->snd_nxt || (c->fin_queued && c->snd_max == c->snd_end)) &&
	    c->snd_una == c->snd_max && !tcp_timer_armed(&c->tm[TCP_T_RTX]))
		tcp_rto_arm(c);
ack:
	if (c->ack_now || c->wnd_update)
		tcp_send_ack(c);
	else if (c->ack_delayed && !tcp_timer_armed(&c->tm[TCP_T_DELACK]))
		tcp_timer_arm(t, &c->tm[TCP_T_DELACK], t->now_us + t->cfg.delack_us);
}
