/*
 * lib/tcp: the engine (create, free, listen, tx queues), its connection table
 * and the application's calls on a connection (receive queue, send queue,
 * close, abort).
 *
 * Connections live in one array allocated at create (max_conns +
 * max_half_open blocks) with a free list: nothing is allocated per segment
 * or per connection afterwards. They are found through an open-addressing
 * table (linear probing, backward-shift deletion, at most half full) keyed by
 * the 4-tuple and family; each entry carries the key's 32-bit hash so most
 * probes never touch the connection block. The hash is a CRC seeded from the
 * secret: cheap, and the table stays short because the entries an attacker can
 * create without a handshake are bounded by max_half_open.
 *
 * The receive queue holds the received mbufs themselves, linked through a
 * small record written into each frame's header bytes (struct tcp_rq); the
 * application reads in place (slc_tcp_rcv_peek) or across mbufs (copied into
 * its buffer) and consume() frees what it releases. The send queue is a chain
 * of pool mbufs filled by copying (replies are small).
 *
 * Owner: one data core per engine.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "slc_mem.h"
#include "tcp_priv.h"

RTE_LOG_REGISTER(slc_tcp_logtype, slc.lib.tcp, INFO);

void
slc_tcp_cfg_default(struct slc_tcp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket = SOCKET_ID_ANY;
	cfg->max_conns = 16384;
	cfg->max_half_open = 1024;
	cfg->rcv_buf = 256 * 1024;
	cfg->rcv_mem = 64ull << 20;
	cfg->snd_buf = 64 * 1024;
	cfg->mss = 1460;
	cfg->delack_us = 20000;
	cfg->rto_min_us = 200000;
	cfg->rto_max_us = 60000000;
	cfg->syn_retries = 5;
	cfg->data_retries = 8;
	cfg->idle_timeout_s = 600;
	cfg->keepalive_s = 60;
	cfg->keepalive_intvl_s = 10;
	cfg->keepalive_probes = 5;
	cfg->time_wait_ms = 2000;
	cfg->rst_rate = 1000;
	cfg->challenge_ack_rate = 1000;
}

const char *
slc_tcp_close_name(enum slc_tcp_close_why why)
{
	switch (why) {
	case SLC_TCP_CLOSE_FIN:
		return "fin";
	case SLC_TCP_CLOSE_RST_IN:
		return "rst_in";
	case SLC_TCP_CLOSE_ABORT:
		return "abort";
	case SLC_TCP_CLOSE_TIMEOUT:
		return "timeout";
	case SLC_TCP_CLOSE_IDLE:
		return "idle";
	case SLC_TCP_CLOSE_KEEPALIVE:
		return "keepalive";
	}
	return "unknown";
}

static int
cfg_check(const struct slc_tcp_cfg *cfg, const struct slc_tcp_ops *ops)
{
	if (cfg == NULL || ops == NULL || ops->accept == NULL || ops->readable == NULL ||
	    ops->closed == NULL || cfg->pool == NULL)
		return -EINVAL;
	if (cfg->max_conns == 0 || cfg->max_conns > (1u << 24) || cfg->max_half_open > (1u << 20))
		return -EINVAL;
	if (cfg->rcv_buf < 4096 || cfg->rcv_buf > (1u << 30) || cfg->rcv_mem == 0)
		return -EINVAL;
	if (cfg->snd_buf == 0 || cfg->snd_buf > (1u << 30))
		return -EINVAL;
	if (cfg->mss < 536 || cfg->mss > 9000)
		return -EINVAL;
	if (cfg->delack_us > 500000 || cfg->rto_min_us < 1000 || cfg->rto_max_us < cfg->rto_min_us)
		return -EINVAL;
	if (cfg->syn_retries > 10 || cfg->data_retries > 30 || cfg->keepalive_probes > 100)
		return -EINVAL;
	if (cfg->keepalive_s != 0 && cfg->keepalive_intvl_s == 0)
		return -EINVAL;
	return 0;
}

struct slc_tcp *
slc_tcp_create(const struct slc_tcp_cfg *cfg, const struct slc_tcp_ops *ops, void *arg)
{
	struct slc_tcp *t;
	uint32_t i, cap;

	if (cfg_check(cfg, ops) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = slc_calloc(1, sizeof(*t));
	if (t == NULL)
		goto nomem;
	t->cfg = *cfg;
	t->ops = *ops;
	t->arg = arg;
	if (t->cfg.secret[0] == 0 && t->cfg.secret[1] == 0) {
		t->cfg.secret[0] = rte_rand();
		t->cfg.secret[1] = rte_rand();
	}
	while (t->rcv_ws < TCP_MAX_WSCALE && ((uint64_t)65535 << t->rcv_ws) < cfg->rcv_buf)
		t->rcv_ws++;
	t->n_slots = cfg->max_conns + cfg->max_half_open;
	t->conns = rte_zmalloc_socket("slc_tcp_conns", (size_t)t->n_slots * sizeof(*t->conns),
		RTE_CACHE_LINE_SIZE, cfg->socket);
	if (t->conns == NULL)
		goto free_t;
	cap = rte_align32pow2(t->n_slots * 2);
	t->ht = rte_zmalloc_socket("slc_tcp_ht", (size_t)cap * sizeof(*t->ht),
		RTE_CACHE_LINE_SIZE, cfg->socket);
	if (t->ht == NULL)
		goto free_conns;
	t->ht_mask = cap - 1;
	for (i = t->n_slots; i-- > 0;) {
		struct slc_tcp_conn *c = &t->conns[i];
		uint32_t k;

		c->t = t;
		for (k = 0; k < TCP_T_MAX; k++)
			c->tm[k].kind = (uint8_t)k;
		c->free_next = t->free_list;
		t->free_list = c;
	}
	return t;

free_conns:
	rte_free(t->conns);
free_t:
	slc_free(t);
nomem:
	TCP_LOG(ERR, "no memory for an engine of %u connections", cfg->max_conns);
	rte_errno = ENOMEM;
	return NULL;
}

void
slc_tcp_free(struct slc_tcp *t)
{
	uint32_t i, p;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_slots; i++) {
		struct slc_tcp_conn *c = &t->conns[i];

		if (c->state == TCP_S_FREE)
			continue;
		tcp_conn_closed(c, SLC_TCP_CLOSE_ABORT);
		if (c->state != TCP_S_FREE)
			tcp_conn_free(c);
	}
	for (p = 0; p < SLC_PKT_MAX_PORTS; p++) {
		for (i = 0; i < t->txq[p].n; i++)
			rte_pktmbuf_free(t->txq[p].q[i]);
		t->txq[p].n = 0;
	}
	rte_free(t->ht);
	rte_free(t->conns);
	slc_free(t);
}

int
slc_tcp_listen(struct slc_tcp *t, uint16_t port)
{
	if (t == NULL || port == 0)
		return -EINVAL;
	t->listen[port / 64] |= 1ull << (port % 64);
	return 0;
}

const struct slc_tcp_stats *
slc_tcp_stats(const struct slc_tcp *t)
{
	return &t->stats;
}

uint16_t
slc_tcp_tx_pending(struct slc_tcp *t, uint16_t port, struct rte_mbuf ***pkts)
{
	if (port >= SLC_PKT_MAX_PORTS) {
		*pkts = NULL;
		return 0;
	}
	*pkts = t->txq[port].q;
	return t->txq[port].n;
}

void
slc_tcp_tx_done(struct slc_tcp *t, uint16_t port, uint16_t sent)
{
	struct tcp_txq *q;
	uint16_t i;

	if (port >= SLC_PKT_MAX_PORTS)
		return;
	q = &t->txq[port];
	if (sent > q->n)
		sent = q->n;
	for (i = sent; i < q->n; i++) {
		rte_pktmbuf_free(q->q[i]);
		t->stats.tx_full++;
	}
	q->n = 0;
}

bool
tcp_rate_ok(struct tcp_rate *r, uint32_t rate, uint64_t now_us)
{
	uint64_t sec = now_us / 1000000;

	if (sec != r->sec) {
		r->sec = sec;
		r->n = 0;
	}
	if (r->n >= rate)
		return false;
	r->n++;
	return true;
}

/* ---------------------------------------------------------------- table */

uint32_t
tcp_key_hash(const struct tcp_key *k)
{
	uint64_t a = 0, b = 0;

	if (k->family == 4) {
		/* The bytes that can differ: two CRC steps instead of five. */
		memcpy(&a, k->peer, 4);
		a |= (uint64_t)k->peer_port << 32 | (uint64_t)k->local_port << 48;
		memcpy(&b, k->local, 4);
		return rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, 0x9e3779b9));
	}
	return rte_hash_crc(k, sizeof(*k), 0x9e3779b9);
}

static inline bool
key_eq(const struct tcp_key *a, const struct tcp_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct slc_tcp_conn *
tcp_lookup(struct slc_tcp *t, const struct tcp_key *k, uint32_t h)
{
	uint32_t i = h & t->ht_mask;
	uint64_t e;

	while ((e = t->ht[i]) != 0) {
		if ((uint32_t)(e >> 32) == h) {
			struct slc_tcp_conn *c = &t->conns[(uint32_t)e - 1];

			if (key_eq(&c->flow.key, k))
				return c;
		}
		i = (i + 1) & t->ht_mask;
	}
	return NULL;
}

static void
ht_insert(struct slc_tcp *t, uint32_t h, uint32_t idx)
{
	uint32_t i = h & t->ht_mask;

	while (t->ht[i] != 0)
		i = (i + 1) & t->ht_mask;
	t->ht[i] = (uint64_t)h << 32 | (idx + 1);
}

static void
ht_delete(struct slc_tcp *t, uint32_t h, uint32_t idx)
{
	uint64_t want = (uint64_t)h << 32 | (idx + 1);
	uint32_t i = h & t->ht_mask, j, k;

	while (t->ht[i] != want) {
		if (t->ht[i] == 0)
			return;
		i = (i + 1) & t->ht_mask;
	}
	/* Backward shift: keep every later entry of the cluster reachable. */
	j = i;
	for (;;) {
		j = (j + 1) & t->ht_mask;
		if (t->ht[j] == 0)
			break;
		k = (uint32_t)(t->ht[j] >> 32) & t->ht_mask;
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			t->ht[i] = t->ht[j];
			i = j;
		}
	}
	t->ht[i] = 0;
}

struct slc_tcp_conn *
tcp_conn_alloc(struct slc_tcp *t, const struct tcp_flow *f, uint32_t h, bool half)
{
	struct slc_tcp_conn *c = t->free_list;
	uint32_t k;

	if (c == NULL)
		return NULL;
	t->free_list = c->free_next;
	memset(c, 0, offsetof(struct slc_tcp_conn, flow));
	c->t = t;
	c->flow = *f;
	for (k = 0; k < TCP_T_MAX; k++) {
		c->tm[k].next = NULL;
		c->tm[k].pprev = NULL;
		c->tm[k].due = 0;
		c->tm[k].kind = (uint8_t)k;
	}
	c->free_next = NULL;
	c->cwnd = UINT32_MAX;
	c->rto_us = RTE_MAX(TCP_INIT_RTO_US, t->cfg.rto_min_us);
	c->rto_us = RTE_MIN(c->rto_us, t->cfg.rto_max_us);
	c->ts_off = tcp_ts_off(t, &f->key);
	c->last_rcv_us = t->now_us;
	c->last_data_us = t->now_us;
	c->adv_mss = (uint16_t)(f->key.family == 4 ? t->cfg.mss : t->cfg.mss - 20);
	ht_insert(t, h, (uint32_t)(c - t->conns));
	if (half) {
		c->state = TCP_S_SYN_RCVD;
		t->n_half++;
		t->stats.half_open = t->n_half;
	} else {
		c->state = TCP_S_ESTABLISHED;
		t->n_conns++;
		t->stats.conns = t->n_conns;
	}
	return c;
}

void
tcp_rq_free_chain(struct slc_tcp *t, struct rte_mbuf *m)
{
	struct rte_mbuf *next;

	while (m != NULL) {
		next = tcp_rq(m)->next;
		t->stats.rcv_mem -= tcp_rq(m)->len;
		rte_pktmbuf_free(m);
		m = next;
	}
}

void
tcp_conn_release_bufs(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;
	struct rte_mbuf *m, *next;

	tcp_rq_free_chain(t, c->rq_head);
	tcp_rq_free_chain(t, c->ooo_head);
	c->rq_head = c->rq_tail = c->ooo_head = NULL;
	c->rcv_avail = 0;
	c->ooo_bytes = 0;
	c->ooo_n = 0;
	c->nsack = 0;
	for (m = c->sq_head; m != NULL; m = next) {
		next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
	}
	c->sq_head = c->sq_tail = NULL;
	c->sq_off = 0;
}

void
tcp_conn_free(struct slc_tcp_conn *c)
{
	struct slc_tcp *t = c->t;
	uint32_t k;

	if (c->state == TCP_S_FREE)
		return;
	for (k = 0; k < TCP_T_MAX; k++)
		tcp_timer_cancel(&c->tm[k]);
	tcp_conn_release_bufs(c);
	ht_delete(t, tcp_key_hash(&c->flow.key), (uint32_t)(c - t->conns));
	if (c->state == TCP_S_SYN_RCVD) {
		t->n_half--;
		t->stats.half_open = t->n_half;
	} else {
		t->n_conns--;
		t->stats.conns = t->n_conns;
	}
	c->state = TCP_S_FREE;
	c->accepted = false;
	c->app = NULL;
	c->free_next = t->free_list;
	t->free_list = c;
}

/* Deliver closed() once, if the application has the connection. */
void
tcp_conn_closed(struct slc_tcp_conn *c, enum slc_tcp_close_why why)
{
	struct slc_tcp *t = c->t;
	void *app = c->app;

	if (!c->accepted)
		return;
	c->accepted = false;
	switch (why) {
	case SLC_TCP_CLOSE_FIN:
		t->stats.closed_fin++;
		break;
	case SLC_TCP_CLOSE_RST_IN:
		t->stats.closed_rst_in++;
		break;
	case SLC_TCP_CLOSE_IDLE:
		t->stats.closed_idle++;
		break;
	case SLC_TCP_CLOSE_KEEPALIVE:
		t->stats.closed_keepalive++;
		break;
	default:
		t->stats.closed_rst_out++;
		break;
	}
	t->ops.closed(t->arg, c, app, why);
	c->app = NULL;
}

/* RST to the peer (synchronized states), closed(why), forget. */
void
tcp_conn_reset(struct slc_tcp_conn *c, enum slc_tcp_close_why why)
{
	if (c->state != TCP_S_FREE && c->state != TCP_S_TIME_WAIT && why != SLC_TCP_CLOSE_RST_IN)
		tcp_send_rst_conn(c);
	tcp_conn_closed(c, why);
	tcp_conn_free(c);
}

/* Queue our FIN after the data (application close or idle timeout). */
void
tcp_close_start(struct slc_tcp_conn *c, enum slc_tcp_close_why why)
{
	if (c->fin_queued)
		return;
	switch (c->state) {
	case TCP_S_ESTABLISHED:
		c->state = TCP_S_FIN_WAIT_1;
		break;
	case TCP_S_CLOSE_WAIT:
		c->state = TCP_S_LAST_ACK;
		break;
	default:
		return;
	}
	c->fin_queued = true;
	c->close_why = (uint8_t)why;
	c->close_deadline_us = c->t->now_us + TCP_CLOSE_LINGER_US;
	tcp_slow_rearm(c);
	tcp_output(c);
}

/* ------------------------------------------------------ the application */

void
slc_tcp_conn_info(const struct slc_tcp_conn *c, struct slc_tcp_conn_info *out)
{
	memset(out, 0, sizeof(*out));
	out->family = c->flow.key.family;
	memcpy(out->peer, c->flow.key.peer, 16);
	memcpy(out->local, c->flow.key.local, 16);
	out->peer_port = c->flow.key.peer_port;
	out->local_port = c->flow.key.local_port;
	out->mss = c->snd_mss;
	out->snd_wscale = c->snd_ws;
	out->rcv_wscale = c->rcv_ws;
	out->sack_ok = c->sack_ok;
	out->timestamps = c->ts_ok;
	out->rcv_wnd = c->rcv_wnd;
}

void *
slc_tcp_conn_app(const struct slc_tcp_conn *c)
{
	return c->app;
}

uint32_t
slc_tcp_rcv_avail(const struct slc_tcp_conn *c)
{
	return c->rcv_avail;
}

bool
slc_tcp_rcv_eof(const struct slc_tcp_conn *c)
{
	return c->fin_rcvd;
}

/* The segment of chain m holding byte off (from m's data start); *segoff set. */
static struct rte_mbuf *
chain_seg(struct rte_mbuf *m, uint32_t off, uint32_t *segoff)
{
	while (m != NULL && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	*segoff = off;
	return m;
}

/* The queued mbuf holding unconsumed byte off; *eoff: off within its entry. */
static struct rte_mbuf *
rq_find(const struct slc_tcp_conn *c, uint32_t off, uint32_t *eoff)
{
	struct rte_mbuf *m = c->rq_head;

	while (m != NULL && off >= tcp_rq(m)->len) {
		off -= tcp_rq(m)->len;
		m = tcp_rq(m)->next;
	}
	*eoff = off;
	return m;
}

const uint8_t *
slc_tcp_rcv_peek(struct slc_tcp_conn *c, uint32_t off, uint32_t len, void *buf,
	struct rte_mbuf **mp)
{
	struct rte_mbuf *m, *s;
	uint32_t eoff, soff, n;
	uint8_t *dst = buf;

	if (mp != NULL)
		*mp = NULL;
	if ((uint64_t)off + len > c->rcv_avail)
		return NULL;
	m = rq_find(c, off, &eoff);
	if (m == NULL)
		return len == 0 ? buf : NULL;
	if (m->nb_segs == 1 && eoff + len <= tcp_rq(m)->len) {
		if (mp != NULL)
			*mp = m;
		return rte_pktmbuf_mtod_offset(m, const uint8_t *, tcp_rq(m)->off + eoff);
	}
	while (len > 0 && m != NULL) {
		s = chain_seg(m, tcp_rq(m)->off + eoff, &soff);
		n = RTE_MIN(len, tcp_rq(m)->len - eoff);
		eoff += n;
		len -= n;
		while (n > 0 && s != NULL) {
			uint32_t k = RTE_MIN(n, (uint32_t)s->data_len - soff);

			memcpy(dst, rte_pktmbuf_mtod_offset(s, const uint8_t *, soff), k);
			dst += k;
			n -= k;
			soff = 0;
			s = s->next;
		}
		if (eoff == tcp_rq(m)->len) {
			m = tcp_rq(m)->next;
			eoff = 0;
		}
	}
	return buf;
}

int64_t
slc_tcp_rcv_find(struct slc_tcp_conn *c, uint32_t off, uint8_t ch)
{
	struct rte_mbuf *m, *s;
	uint32_t eoff, soff, n, k;
	int64_t pos = off;
	const uint8_t *p, *hit;

	if (off >= c->rcv_avail)
		return -1;
	m = rq_find(c, off, &eoff);
	while (m != NULL) {
		s = chain_seg(m, tcp_rq(m)->off + eoff, &soff);
		n = tcp_rq(m)->len - eoff;
		while (n > 0 && s != NULL) {
			k = RTE_MIN(n, (uint32_t)s->data_len - soff);
			p = rte_pktmbuf_mtod_offset(s, const uint8_t *, soff);
			hit = memchr(p, ch, k);
			if (hit != NULL)
				return pos + (hit - p);
			pos += k;
			n -= k;
			soff = 0;
			s = s->next;
		}
		m = tcp_rq(m)->next;
		eoff = 0;
	}
	return -1;
}

void
slc_tcp_rcv_consume(struct slc_tcp_conn *c, uint32_t len)
{
	struct slc_tcp *t = c->t;
	struct rte_mbuf *m;
	struct tcp_rq *q;
	uint32_t cur, win;

	if (len > c->rcv_avail)
		len = c->rcv_avail;
	c->rcv_avail -= len;
	t->stats.rcv_mem -= len;
	while (len > 0 && (m = c->rq_head) != NULL) {
		q = tcp_rq(m);
		if (len < q->len) {
			q->off += len;
			q->len -= len;
			break;
		}
		len -= q->len;
		c->rq_head = q->next;
		if (c->rq_head == NULL)
			c->rq_tail = NULL;
		rte_pktmbuf_free(m);
	}
	if (c->state != TCP_S_ESTABLISHED && c->state != TCP_S_FIN_WAIT_1 &&
	    c->state != TCP_S_FIN_WAIT_2)
		return;
	cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	win = tcp_rcv_window(c);
	if (win <= cur || win - cur < RTE_MIN(t->cfg.rcv_buf / 2, (uint32_t)c->adv_mss))
		return;         /* SWS avoidance: not worth announcing yet */
	/*
	 * A window update of its own only when the peer is short of window (what
	 * it may still send is less than half of what it could): reopening from
	 * zero always is. Otherwise the next ACK, at the latest the delayed one,
	 * carries the larger window (as Linux's "at least twice" rule).
	 */
	if (win / 2 >= cur)
		c->wnd_update = true;
	else
		c->ack_delayed = true;
	tcp_output(c);
}

uint32_t
slc_tcp_snd_space(const struct slc_tcp_conn *c)
{
	uint32_t queued = c->snd_end - c->snd_una;

	return queued < c->t->cfg.snd_buf ? c->t->cfg.snd_buf - queued : 0;
}

uint32_t
slc_tcp_snd_unacked(const struct slc_tcp_conn *c)
{
	return c->snd_end - c->snd_una;
}

int
slc_tcp_send(struct slc_tcp_conn *c, const void *data, uint32_t len)
{
	struct slc_tcp *t = c->t;
	struct rte_mbuf *tail = c->sq_tail, *m, *first_new = NULL, *last = tail;
	uint16_t tail_len = tail != NULL ? tail->data_len : 0;
	const uint8_t *src = data;
	uint32_t left = len, n;

	if ((c->state != TCP_S_ESTABLISHED && c->state != TCP_S_CLOSE_WAIT) || c->fin_queued)
		return -ENOTCONN;
	if (len > slc_tcp_snd_space(c))
		return -ENOBUFS;
	if (len == 0)
		return 0;
	if (tail != NULL) {
		n = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(tail));
		memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len), src, n);
		tail->data_len = (uint16_t)(tail->data_len + n);
		src += n;
		left -= n;
	}
	while (left > 0) {
		m = rte_pktmbuf_alloc(t->cfg.pool);
		if (m == NULL)
			goto nomem;
		n = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), src, n);
		m->data_len = (uint16_t)n;
		m->pkt_len = n;
		if (first_new == NULL)
			first_new = m;
		if (last != NULL)
			last->next = m;
		last = m;
		src += n;
		left -= n;
	}
	if (c->sq_head == NULL)
		c->sq_head = first_new;
	c->sq_tail = last;
	c->snd_end += len;
	tcp_output(c);
	return 0;

nomem:
	t->stats.nombuf++;
	if (tail != NULL) {
		tail->data_len = tail_len;
		tail->next = NULL;
	}
	while (first_new != NULL) {
		m = first_new->next;
		first_new->next = NULL;
		rte_pktmbuf_free_seg(first_new);
		first_new = m;
	}
	return -ENOBUFS;
}

void
slc_tcp_close(struct slc_tcp_conn *c)
{
	tcp_close_start(c, SLC_TCP_CLOSE_FIN);
}

void
slc_tcp_abort(struct slc_tcp_conn *c)
{
	if (c->state == TCP_S_FREE)
		return;
	tcp_conn_reset(c, SLC_TCP_CLOSE_ABORT);
}
