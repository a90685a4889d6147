/*
 * TCP ingest on a data core: one lib/tcp engine per core, the connections RSS
 * gives it, records from their byte streams, and acknowledgements.
 *
 * Connections. accept() takes a slot in the core's connection table (bounded by
 * the engine's max_conns) and bumps nothing; closed() releases it and bumps the
 * slot's generation, so anything still naming the old connection (a ticket, an
 * entry of the blocked list) is recognised as stale and dropped. A connection's
 * state is freed only outside its own processing (closed() during a pump only
 * marks it gone; the pump frees it on the way out).
 *
 * Framed mode. The 16-byte header is peeked; the frame is taken once `length`
 * bytes are there (longer than rcv_buf or shorter than 20: rejected at once),
 * checked as a whole (slc_frame_check, exact), and its records routed as
 * rx_framed routes a datagram's, each with a ticket {this core, connection slot
 * and generation, frame slot, record index}. A frame takes a slot in the
 * connection's ring of SLC_INGEST_TCP_PENDING pending frames, where the outcome
 * of each record lands: the owner core of its shard reports it once the record
 * is durable (the log writer's durability callback: a per-slot FIFO of
 * (counter, ticket) waiters, popped as the watermark passes) or at once when
 * it failed. Outcomes for another core travel on a completion ring per ordered
 * pair of cores (SPSC; staged and retried when full, never dropped). When the
 * frame at the head of the ring is complete, its ack (slc_ack_encode) is sent,
 * so acks leave in the order the frames arrived. An invalid frame gets a
 * REJECTED ack after the acks of the frames before it, then the connection is
 * closed; its bytes and anything after are discarded.
 *
 * Lines mode. One record per '\n'-terminated line ('\r' before it stripped),
 * partition key from a JSON field or the sender's "ip:port"; a line longer than
 * the stream's max record is skipped to its newline; at EOF an unterminated last
 * line is a record too. No acks.
 *
 * Backpressure, never loss. Before a frame (or a line) is taken, there must be
 * room for it: a free pending-frame slot, send buffer for its ack (worst case
 * one group per record, at most a quarter of the send buffer, reserved), room
 * on every handover ring to another core for all its records, and at least two
 * free I/O buffers in every core's log writer (each core publishes its count).
 * If not, the bytes stay unconsumed (the engine's window shrinks: the sender
 * slows down) and the connection goes on the blocked list, retried every poll. Records handed to another core are copied into fresh mbufs
 * (the engine may trim the mbufs it holds), so a connection never pins mbufs
 * beyond its own window.
 *
 * Owner: the data core; nothing here is shared except the completion rings (one
 * producer, one consumer each) and the published free-buffer counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ingest_priv.h"
#include "slc_mem.h"

#define TCP_PEND SLC_INGEST_TCP_PENDING   /* frame slot: a uint8_t */
#define WAIT_INIT 256u                    /* waiters per slot at first (grows) */
#define DONE_STAGE_INIT 256u              /* staged completions per destination (grows) */
#define DONE_BURST 64u
#define DONE_RING_SIZE 4096u                /* outcomes per ordered pair of cores */
#define RCV_BUF_DEFAULT (256u << 10)
#define SND_BUF_DEFAULT (64u << 10)
#define TXQ_HEADROOM 32u                  /* engine tx queue slots an ack leaves free */

_Static_assert(TCP_PEND == 256, "a frame slot is a uint8_t");

/* One outcome on its way back to the connection's core. */
struct ho_done {
	struct ho_ticket tk;
	uint8_t status;
	uint8_t pad;
	uint32_t shard;
	uint64_t counter;
};
_Static_assert(sizeof(struct ho_done) == 24, "completion ring element");

struct tframe {
	uint32_t frame_id;
	uint32_t reserved;          /* ack bytes reserved in the send buffer */
	uint16_t count;
	uint16_t done;
	uint8_t error;              /* enum slc_frame_err: a REJECTED ack */
	struct ingest_tcp_rec *rec; /* count entries (&one for one record) */
	struct ingest_tcp_rec one;
};

struct tconn {
	struct slc_tcp_conn *conn;  /* NULL once closed() ran */
	const struct ing_tcp_route *rt;
	uint32_t idx;
	uint16_t gen;
	bool in_pump;
	bool gone;                  /* closed() ran during a pump: free on the way out */
	bool blocked;               /* on the blocked list */
	bool stalled;               /* stopped for lack of room (counted once until it moves) */
	bool rejected;              /* a REJECTED ack is queued: close after it */
	bool dead;                  /* an ack cannot be sent: abandon, close */
	bool closing;               /* slc_tcp_close() called */
	bool skipping;              /* lines: skipping a line too long, up to its '\n' */
	uint32_t scan_off;          /* lines: bytes known to hold no '\n' */
	uint8_t *lbuf;              /* lines: the start of a line longer than LINE_SPILL bytes,
	                             * taken out of the connection so that its window reopens */
	uint32_t lbuf_len;
	uint32_t lbuf_cap;
	uint16_t port;              /* DPDK port it came in on (its segments' tx queue) */
	uint32_t reserved;          /* ack bytes reserved for the pending frames */
	uint16_t fr_head;
	uint16_t fr_n;
	struct slc_pkt_udp peer;    /* family, src, src_port: the raw key */
	struct tframe fr[TCP_PEND];
};

struct waiter {
	uint64_t seq;
	struct ho_ticket tk;
};

struct wfifo {
	uint32_t head;              /* free-running; index & (cap - 1) */
	uint32_t tail;
	uint32_t cap;               /* power of two */
	struct waiter *e;
};

struct dstage {
	struct ho_done *e;
	uint32_t n;
	uint32_t cap;
};

struct blk {
	uint32_t idx;
	uint16_t gen;
};

struct ing_tcp_core {
	struct slc_tcp *t;
	struct tconn **conns;       /* [max_conns] */
	uint16_t *gens;             /* [max_conns] generation of each slot */
	uint32_t *free_idx;         /* stack of free slots */
	uint32_t n_free;
	uint32_t max_conns;
	struct blk *blocked;        /* connections to retry at the next poll */
	struct blk *blocked2;
	uint32_t n_blocked;
	struct wfifo *wait;         /* [cap_slots] */
	uint32_t cap_slots;
	struct rte_ring *done_in[SLC_INGEST_MAX_CORES];    /* consumer: this core */
	struct rte_ring *done_out[SLC_INGEST_MAX_CORES];   /* producer: this core */
	struct dstage stage[SLC_INGEST_MAX_CORES];
	uint8_t *scratch;           /* a frame (rcv_buf) or a line (max_record + 2) */
	uint32_t scratch_len;
	struct slc_ack_group *groups;   /* 65535 */
	uint8_t *ackbuf;
	uint32_t ackbuf_len;
	uint32_t rcv_buf;
	uint32_t snd_buf;
	uint32_t low_water;         /* free log buffers every core must have */
	bool in_cb;                 /* inside the engine's readable(): touch no other conn */
	uint16_t cur_port;          /* port of the segment being input (for accept) */
	uint64_t now_us;
};

/* ---------------------------------------------------------------- pure helpers */

uint32_t
ingest_tcp_groups(const struct ingest_tcp_rec *rec, uint32_t count, struct slc_ack_group *g)
{
	uint32_t i, n = 0;
	struct slc_ack_group *cur = NULL;

	for (i = 0; i < count; i++) {
		const struct ingest_tcp_rec *r = &rec[i];

		if (cur != NULL && cur->status == r->status && cur->shard == r->shard &&
				(r->status != SLC_ACK_R_STORED ||
				 cur->counter + cur->n == r->counter) && cur->n < UINT16_MAX) {
			cur->n++;
			continue;
		}
		cur = &g[n++];
		cur->first = (uint16_t)i;
		cur->n = 1;
		cur->status = r->status;
		cur->shard = r->shard;
		cur->counter = r->status == SLC_ACK_R_STORED ? r->counter : 0;
	}
	return n;
}

int
ingest_tcp_line_key(const uint8_t *line, uint32_t len, const char *field, char *key)
{
	json_error_t err;
	json_t *root, *v;
	uint32_t i = 0;
	int n = 0;

	if (field == NULL || field[0] == '\0')
		return 0;
	/* Not an object: no parse. */
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '{')
		return 0;
	root = json_loadb((const char *)line, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return 0;
	v = json_object_get(root, field);
	if (json_is_string(v)) {
		size_t sl = json_string_length(v);

		if (sl >= 1 && sl <= SLC_PKEY_MAX) {
			memcpy(key, json_string_value(v), sl);
			key[sl] = '\0';
			n = (int)sl;
		}
	} else if (json_is_integer(v)) {
		n = snprintf(key, SLC_PKEY_MAX + 1, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		n = snprintf(key, SLC_PKEY_MAX + 1, "%.17g", json_real_value(v));
	}
	json_decref(root);
	return n > 0 && n <= SLC_PKEY_MAX ? n : 0;
}

/* ---------------------------------------------------------------- completions */

uint8_t
ingest_tcp_drop_status(enum slc_ingest_drop d)
{
	switch (d) {
	case SLC_INGEST_D_TOO_BIG:
		return SLC_ACK_R_TOO_BIG;
	case SLC_INGEST_D_LOG_ERROR:
		return SLC_ACK_R_ERROR;
	default:
		return SLC_ACK_R_RETRY;    /* ring_full, log_full, nombuf: overload */
	}
}

static void conn_after_done(struct slc_ingest_core *c, struct tconn *st);
static void blocked_add(struct ing_tcp_core *tc, struct tconn *st);

/* An outcome for a connection of this core. */
static void
apply_done(struct slc_ingest_core *c, const struct ho_done *d)
{
	struct ing_tcp_core *tc = c->tcp;
	struct ingest_tcp_rec *r;
	struct tconn *st;
	struct tframe *f;
	uint16_t rel;

	if (d->tk.conn >= tc->max_conns || (st = tc->conns[d->tk.conn]) == NULL ||
			st->gen != d->tk.gen || st->conn == NULL) {
		c->tcp_stats.completions_stale++;
		return;
	}
	rel = (uint16_t)((d->tk.frame - st->fr_head) & (TCP_PEND - 1));
	f = &st->fr[d->tk.frame];
	if (rel >= st->fr_n || d->tk.rec >= f->count || f->rec[d->tk.rec].set) {
		c->tcp_stats.completions_stale++;      /* cannot happen */
		return;
	}
	r = &f->rec[d->tk.rec];
	r->set = 1;
	r->status = d->status;
	r->shard = d->shard;
	r->counter = d->counter;
	f->done++;
	if (f->done == f->count && rel == 0 && !st->in_pump) {
		/* Inside another connection's callback the engine is busy: next poll. */
		if (tc->in_cb)
			blocked_add(tc, st);
		else
			conn_after_done(c, st);
	}
}

void
ingest_tcp_done(struct slc_ingest_core *c, const struct ho_ticket *tk, uint8_t status,
	uint32_t shard, uint64_t counter)
{
	struct ing_tcp_core *tc = c->tcp;
	struct ho_done d;
	struct dstage *s;

	d.tk = *tk;
	d.status = status;
	d.pad = 0;
	d.shard = shard;
	d.counter = counter;
	if (tk->origin == c->index) {
		apply_done(c, &d);
		return;
	}
	if (tc == NULL || tk->origin >= SLC_INGEST_MAX_CORES)
		return;                               /* cannot happen */
	s = &tc->stage[tk->origin];
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : DONE_STAGE_INIT;
		struct ho_done *e = slc_realloc(s->e, (size_t)cap * sizeof(*e));

		if (e == NULL) {
			/* No memory: the connection never gets this ack; it times out. */
			c->tcp_stats.completions_stale++;
			return;
		}
		s->e = e;
		s->cap = cap;
	}
	s->e[s->n++] = d;
}

void
ingest_tcp_wait(struct slc_ingest_core *c, uint32_t slot, uint64_t seq,
	const struct ho_ticket *tk)
{
	struct wfifo *f = &c->tcp->wait[slot];

	if (f->tail - f->head == f->cap) {
		uint32_t cap = f->cap ? f->cap * 2 : WAIT_INIT, i;
		struct waiter *e = slc_malloc((size_t)cap * sizeof(*e));

		if (e == NULL) {
			/* Stored, but the outcome is unknown: say retry (at-least-once). */
			ingest_tcp_done(c, tk, SLC_ACK_R_RETRY, c->ing->slots[slot].index, 0);
			return;
		}
		for (i = 0; i < f->tail - f->head; i++)
			e[i] = f->e[(f->head + i) & (f->cap - 1)];
		slc_free(f->e);
		f->tail -= f->head;
		f->head = 0;
		f->e = e;
		f->cap = cap;
	}
	f->e[f->tail & (f->cap - 1)].seq = seq;
	f->e[f->tail & (f->cap - 1)].tk = *tk;
	f->tail++;
}

void
ingest_tcp_durable(struct slc_ingest_core *c, uint32_t slot, uint64_t next_seq)
{
	struct wfifo *f = &c->tcp->wait[slot];
	uint32_t shard = c->ing->slots[slot].index;
	struct ho_ticket tk;
	uint64_t seq;

	while (f->head != f->tail) {
		seq = f->e[f->head & (f->cap - 1)].seq;
		if (seq >= next_seq)
			break;
		tk = f->e[f->head & (f->cap - 1)].tk;
		f->head++;
		ingest_tcp_done(c, &tk, SLC_ACK_R_STORED, shard, seq);
	}
}

/* Put staged completions on the rings; what does not fit waits for the next poll. */
static void
done_flush(struct slc_ingest_core *c)
{
	struct ing_tcp_core *tc = c->tcp;
	uint32_t d, k;

	for (d = 0; d < c->ing->cfg.n_cores; d++) {
		struct dstage *s = &tc->stage[d];

		if (s->n == 0 || tc->done_out[d] == NULL)
			continue;
		k = rte_ring_enqueue_burst_elem(tc->done_out[d], s->e, sizeof(*s->e), s->n, NULL);
		c->tcp_stats.completions_out += k;
		if (k > 0 && k < s->n)
			memmove(s->e, s->e + k, (size_t)(s->n - k) * sizeof(*s->e));
		s->n -= k;
	}
}

static uint32_t
done_drain(struct slc_ingest_core *c)
{
	struct ing_tcp_core *tc = c->tcp;
	struct ho_done e[DONE_BURST];
	uint32_t s, i, k, work = 0;

	for (s = 0; s < c->ing->cfg.n_cores; s++) {
		if (tc->done_in[s] == NULL)
			continue;
		do {
			k = rte_ring_dequeue_burst_elem(tc->done_in[s], e, sizeof(e[0]), DONE_BURST,
				NULL);
			for (i = 0; i < k; i++)
				apply_done(c, &e[i]);
			c->tcp_stats.completions_in += k;
			work += k;
		} while (k == DONE_BURST);
	}
	return work;
}

/* ---------------------------------------------------------------- connections */

static void
blocked_add(struct ing_tcp_core *tc, struct tconn *st)
{
	if (st->blocked)
		return;
	st->blocked = true;
	tc->blocked[tc->n_blocked].idx = st->idx;
	tc->blocked[tc->n_blocked].gen = st->gen;
	tc->n_blocked++;
}

static void
frame_release(struct tframe *f)
{
	if (f->rec != &f->one)
		slc_free(f->rec);
	f->rec = NULL;
}

static void
conn_release(struct slc_ingest_core *c, struct tconn *st)
{
	struct ing_tcp_core *tc = c->tcp;
	uint32_t i;

	for (i = 0; i < st->fr_n; i++)
		frame_release(&st->fr[(st->fr_head + i) & (TCP_PEND - 1)]);
	c->tcp_stats.pending_frames -= st->fr_n;
	slc_free(st->lbuf);
	tc->conns[st->idx] = NULL;
	tc->gens[st->idx]++;
	tc->free_idx[tc->n_free++] = st->idx;
	slc_free(st);
}

/* Send the acks of the complete frames at the head. false: must wait (blocked). */
static bool
ack_flush(struct slc_ingest_core *c, struct tconn *st)
{
	struct ing_tcp_core *tc = c->tcp;
	struct tframe *f;
	struct rte_mbuf **txq;
	uint32_t ng, i, stored;
	size_t len;
	int rc;

	while (st->fr_n > 0) {
		f = &st->fr[st->fr_head];
		if (f->error == 0 && f->done < f->count)
			return true;
		if (st->dead) {
			ng = 0;
			goto release;
		}
		ng = f->error != 0 ? 0 : ingest_tcp_groups(f->rec, f->count, tc->groups);
		len = slc_ack_size(ng);
		if (len > tc->snd_buf) {
			/* Cannot be sent in one piece: give the connection up (at least once). */
			c->tcp_stats.ack_too_big++;
			st->dead = true;
			goto release;
		}
		if (slc_tcp_snd_space(st->conn) < len)
			return false;
		/*
		 * The engine queues at most SLC_TCP_TXQ_LEN segments per port between two
		 * sends; when a durability report completes many frames at once, the
		 * rest of the acks wait for the next poll rather than overflow it.
		 */
		if (slc_tcp_tx_pending(tc->t, st->port, &txq) + TXQ_HEADROOM > SLC_TCP_TXQ_LEN) {
			blocked_add(tc, st);            /* not backpressure: not counted */
			return true;
		}
		len = slc_ack_encode(tc->ackbuf, tc->ackbuf_len, f->frame_id, f->count, f->error,
			tc->groups, (uint16_t)ng);
		rc = len > 0 ? slc_tcp_send(st->conn, tc->ackbuf, (uint32_t)len) : -EINVAL;
		if (rc == -ENOBUFS)
			return false;
		if (rc != 0) {
			st->dead = true;                /* closing: no one to tell */
			goto release;
		}
		c->tcp_stats.acks++;
		c->tcp_stats.ack_groups += ng;
		stored = 0;
		if (f->error == 0) {
			for (i = 0; i < f->count; i++)
				stored += f->rec[i].status == SLC_ACK_R_STORED;
			c->tcp_stats.records_acked += stored;
			c->tcp_stats.records_failed += f->count - stored;
		}
release:
		st->reserved -= f->reserved;
		frame_release(f);
		st->fr_head = (uint16_t)((st->fr_head + 1) & (TCP_PEND - 1));
		st->fr_n--;
		c->tcp_stats.pending_frames--;
	}
	return true;
}

/* Close when there is nothing left to do on the connection. true: closed. */
static bool
maybe_close(struct tconn *st)
{
	if (st->closing || st->conn == NULL)
		return st->closing;
	if (st->dead || (st->rejected && st->fr_n == 0) ||
			(slc_tcp_rcv_eof(st->conn) && slc_tcp_rcv_avail(st->conn) == 0 &&
			 st->fr_n == 0)) {
		st->closing = true;
		slc_tcp_close(st->conn);
		return true;
	}
	return false;
}

/* A frame at the head completed outside a pump. */
static void
conn_after_done(struct slc_ingest_core *c, struct tconn *st)
{
	st->in_pump = true;
	if (!ack_flush(c, st))
		blocked_add(c->tcp, st);
	if (st->conn != NULL && !st->gone)
		maybe_close(st);
	st->in_pump = false;
	if (st->gone)
		conn_release(c, st);
}

/* Is there room to take nrec records (and an ack of ack_bytes)? */
static bool
room(struct slc_ingest_core *c, struct tconn *st, uint32_t nrec, uint32_t ack_bytes)
{
	struct slc_ingest *ing = c->ing;
	struct ing_tcp_core *tc = c->tcp;
	uint32_t d, need, cap;

	if (ack_bytes > 0) {
		if (st->fr_n >= TCP_PEND)
			return false;
		if (slc_tcp_snd_space(st->conn) < st->reserved + ack_bytes)
			return false;
	}
	for (d = 0; d < ing->cfg.n_cores; d++) {
		if (d != c->index) {
			/*
			 * The records staged for d and all of these must fit; a frame with
			 * more records than the ring holds goes when the ring is empty
			 * (what does not fit then is acknowledged "retry").
			 */
			cap = rte_ring_get_capacity(c->out[d]);
			need = c->n_stage[d] + nrec;
			if (need > cap) {
				if (c->n_stage[d] > 0 || rte_ring_free_count(c->out[d]) < cap)
					return false;
			} else if (rte_ring_free_count(c->out[d]) < need) {
				return false;
			}
		}
		if (__atomic_load_n(&ing->cores[d]->log_free, __ATOMIC_RELAXED) < tc->low_water)
			return false;
	}
	return true;
}

static void
block(struct slc_ingest_core *c, struct tconn *st)
{
	if (!st->stalled)
		c->tcp_stats.blocked++;
	st->stalled = true;
	blocked_add(c->tcp, st);
}

/* Queue a REJECTED ack for the frame starting here; the connection closes after it. */
static void
reject(struct slc_ingest_core *c, struct tconn *st, const uint8_t *hdr, uint8_t err)
{
	struct tframe *f = &st->fr[(st->fr_head + st->fr_n) & (TCP_PEND - 1)];

	memset(f, 0, sizeof(*f));
	f->frame_id = rte_le_to_cpu_32(*(const unaligned_uint32_t *)(hdr + 12));
	f->count = rte_le_to_cpu_16(*(const unaligned_uint16_t *)(hdr + 6));
	f->error = err;
	f->rec = &f->one;
	st->fr_n++;
	c->tcp_stats.pending_frames++;
	st->rejected = true;
}

static void
pump_frames(struct slc_ingest_core *c, struct tconn *st)
{
	struct ing_tcp_core *tc = c->tcp;
	uint32_t sid = st->rt->stream_id, max = c->ing->streams[sid]->settings.max_record;
	uint8_t hbuf[SLC_FRAME_HDR_LEN];
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec fr;
	struct slc_record r;
	struct ho_ticket tk;
	struct tframe *f;
	enum slc_frame_err err;
	const uint8_t *hdr, *p;
	uint32_t avail, length, ack, i;
	uint16_t count, slot;
	slc_u128 fh = 0, h;

	for (;;) {
		avail = slc_tcp_rcv_avail(st->conn);
		if (avail < SLC_FRAME_HDR_LEN) {
			if (avail > 0 && slc_tcp_rcv_eof(st->conn)) {
				/* The peer closed inside a frame header: nothing to answer to. */
				c->tcp_stats.frame_rejects[SLC_FRAME_E_SHORT]++;
				slc_tcp_rcv_consume(st->conn, avail);
				st->rejected = true;
			}
			return;
		}
		if (st->fr_n >= TCP_PEND) {
			block(c, st);
			return;
		}
		hdr = slc_tcp_rcv_peek(st->conn, 0, SLC_FRAME_HDR_LEN, hbuf, NULL);
		if (hdr == NULL)
			return;
		length = rte_le_to_cpu_32(*(const unaligned_uint32_t *)(hdr + 8));
		count = rte_le_to_cpu_16(*(const unaligned_uint16_t *)(hdr + 6));
		/* What the header alone shows, in the order of docs/frame-format.md. */
		err = SLC_FRAME_OK;
		if (memcmp(hdr, SLC_FRAME_MAGIC, 4) != 0)
			err = SLC_FRAME_E_MAGIC;
		else if (hdr[4] != SLC_FRAME_VERSION)
			err = SLC_FRAME_E_VERSION;
		else if (length < SLC_FRAME_MIN_LEN || length > tc->rcv_buf)
			err = SLC_FRAME_E_LENGTH;
		if (err != SLC_FRAME_OK) {
			if (length > tc->rcv_buf && err == SLC_FRAME_E_LENGTH)
				c->tcp_stats.frames_too_long++;
			else
				c->tcp_stats.frame_rejects[err]++;
			reject(c, st, hdr, err);
			return;
		}
		if (avail < length) {
			if (slc_tcp_rcv_eof(st->conn)) {
				/* The peer closed inside the frame: it can never complete. */
				c->tcp_stats.frame_rejects[SLC_FRAME_E_SHORT]++;
				reject(c, st, hdr, SLC_FRAME_E_SHORT);
			}
			return;
		}
		ack = RTE_MIN((uint32_t)slc_ack_size(count ? count : 1), tc->snd_buf / 4);
		if (!room(c, st, count, ack)) {
			block(c, st);
			return;
		}
		st->stalled = false;
		p = slc_tcp_rcv_peek(st->conn, 0, length, tc->scratch, NULL);
		if (p == NULL)
			return;                          /* cannot happen: avail >= length */
		err = slc_frame_check(p, length, true, max, &fi);
		if (err != SLC_FRAME_OK) {
			c->tcp_stats.frame_rejects[(unsigned)err < SLC_FRAME_E_MAX ? err : 0]++;
			reject(c, st, p, err);
			return;
		}
		/* The frame's entry exists before its records are routed: outcomes may be
		 * reported at once. */
		slot = (uint16_t)((st->fr_head + st->fr_n) & (TCP_PEND - 1));
		f = &st->fr[slot];
		memset(f, 0, sizeof(*f));
		f->frame_id = fi.frame_id;
		f->count = fi.count;
		f->reserved = ack;
		f->rec = fi.count == 1 ? &f->one :
			slc_calloc(fi.count, sizeof(struct ingest_tcp_rec));
		if (f->rec == NULL) {
			f->rec = &f->one;
			block(c, st);                    /* no memory now: try again later */
			return;
		}
		st->fr_n++;
		st->reserved += ack;
		c->tcp_stats.pending_frames++;
		c->tcp_stats.frames++;
		c->tcp_stats.records += fi.count;

		tk.conn = st->idx;
		tk.gen = st->gen;
		tk.frame = (uint8_t)slot;
		tk.origin = (uint8_t)c->index;
		if (fi.has_hash_key)
			fh = slc_hashkey_from_be(fi.hash_key);
		slc_frame_iter_init(&it, &fi);
		for (i = 0; slc_frame_iter_next(&it, &fr) == 1; i++) {
			h = slc_frame_record(&fi, fh, &fr, &r);
			tk.rec = (uint16_t)i;
			ingest_route(c, sid, NULL, &r, h, &tk);
		}
		slc_tcp_rcv_consume(st->conn, length);
		if (st->gone || st->conn == NULL)
			return;
	}
}

/* Route one line (rec_len bytes at p) as a record. */
static void
line_record(struct slc_ingest_core *c, struct tconn *st, const uint8_t *p, uint32_t rec_len)
{
	char key[SLC_PKEY_MAX + 1];
	struct slc_record r;
	slc_u128 h;
	int klen = 0;

	r.data = p;
	r.data_len = rec_len;
	r.has_hash_key = false;
	if (st->rt->key_field[0] != '\0') {
		klen = ingest_tcp_line_key(p, rec_len, st->rt->key_field, key);
		if (klen == 0)
			c->tcp_stats.line_key_fallback++;
	}
	c->tcp_stats.lines++;
	c->tcp_stats.records++;
	if (klen > 0) {
		r.key = (const uint8_t *)key;
		r.key_len = (uint16_t)klen;
		h = slc_hashkey_md5(key, (size_t)klen);
		ingest_route(c, st->rt->stream_id, NULL, &r, h, NULL);
	} else {
		klen = ingest_raw_key(c, &st->peer, &h);
		r.key = c->keybuf;
		r.key_len = (uint16_t)klen;
		ingest_route(c, st->rt->stream_id, &st->peer, &r, h, NULL);
	}
}

/*
 * A line with no '\n' in the first LINE_SPILL bytes queued is moved, as it
 * arrives, into the connection's line buffer (up to the stream's max record),
 * so that a line longer than the receive window cannot close the window for good.
 */
#define LINE_SPILL 4096u

/* Grow st's line buffer to hold n bytes. false: no memory. */
static bool
lbuf_reserve(struct tconn *st, uint32_t n)
{
	uint8_t *b;
	uint32_t cap;

	if (n <= st->lbuf_cap)
		return true;
	cap = RTE_MAX(n, st->lbuf_cap * 2);
	b = slc_realloc(st->lbuf, cap);
	if (b == NULL)
		return false;
	st->lbuf = b;
	st->lbuf_cap = cap;
	return true;
}

/* Copy len queued bytes at off into dst (peek may answer with a pointer into an mbuf). */
static void
rcv_copy(struct slc_tcp_conn *conn, uint32_t off, uint32_t len, uint8_t *dst)
{
	const uint8_t *p = slc_tcp_rcv_peek(conn, off, len, dst, NULL);

	if (p != NULL && p != dst)
		memcpy(dst, p, len);
}

/* Drop the line being collected; skip to its '\n'. */
static void
line_too_long(struct slc_ingest_core *c, struct tconn *st)
{
	c->tcp_stats.lines_too_long++;
	st->skipping = true;
	st->lbuf_len = 0;
}

static void
pump_lines(struct slc_ingest_core *c, struct tconn *st)
{
	struct ing_tcp_core *tc = c->tcp;
	uint32_t max = c->ing->streams[st->rt->stream_id]->settings.max_record;
	uint32_t avail, len, raw_len, total, rec_len;
	const uint8_t *p;
	uint8_t last;
	int64_t nl;
	bool eof;

	for (;;) {
		avail = slc_tcp_rcv_avail(st->conn);
		eof = slc_tcp_rcv_eof(st->conn);
		if (avail == 0 && !(eof && st->lbuf_len > 0))
			return;
		nl = st->scan_off < avail ? slc_tcp_rcv_find(st->conn, st->scan_off, '\n') : -1;
		if (st->skipping) {
			/* The rest of a line too long: dropped up to and with its '\n'. */
			len = nl >= 0 ? (uint32_t)nl + 1 : avail;
			slc_tcp_rcv_consume(st->conn, len);
			st->scan_off = 0;
			if (nl >= 0)
				st->skipping = false;
			if (avail == 0)
				return;
			continue;
		}
		if (nl < 0) {
			st->scan_off = avail;
			if (!eof) {
				if (avail < LINE_SPILL)
					return;
				/* A long line: take what came so far out of the window. */
				if ((uint64_t)st->lbuf_len + avail > (uint64_t)max + 1) {
					line_too_long(c, st);
					continue;
				}
				if (!lbuf_reserve(st, st->lbuf_len + avail)) {
					block(c, st);
					return;
				}
				rcv_copy(st->conn, 0, avail, st->lbuf + st->lbuf_len);
				st->lbuf_len += avail;
				slc_tcp_rcv_consume(st->conn, avail);
				st->scan_off = 0;
				continue;
			}
			len = avail;                 /* the unterminated last line */
			raw_len = avail;
		} else {
			len = (uint32_t)nl + 1;
			raw_len = (uint32_t)nl;
		}
		total = st->lbuf_len + raw_len;
		rec_len = total;
		if (nl >= 0 && total > 0) {
			/* A '\r' before the '\n' is not part of the record. */
			if (raw_len > 0)
				last = *slc_tcp_rcv_peek(st->conn, raw_len - 1, 1, &last, NULL);
			else
				last = st->lbuf[st->lbuf_len - 1];
			if (last == '\r')
				rec_len--;
		}
		if (rec_len > max) {
			c->tcp_stats.lines_too_long++;
			st->lbuf_len = 0;
			slc_tcp_rcv_consume(st->conn, len);
			st->scan_off = 0;
			continue;
		}
		if (!room(c, st, 1, 0)) {
			block(c, st);
			return;
		}
		if (st->lbuf_len > 0) {
			if (!lbuf_reserve(st, total)) {
				block(c, st);
				return;
			}
			if (raw_len > 0)
				rcv_copy(st->conn, 0, raw_len, st->lbuf + st->lbuf_len);
			p = st->lbuf;
		} else {
			p = rec_len > 0 ? slc_tcp_rcv_peek(st->conn, 0, rec_len, tc->scratch, NULL) :
				tc->scratch;
		}
		st->stalled = false;
		if (p == NULL)
			return;                          /* cannot happen */
		line_record(c, st, p, rec_len);
		st->lbuf_len = 0;
		slc_tcp_rcv_consume(st->conn, len);
		st->scan_off = 0;
		if (st->gone || st->conn == NULL)
			return;
	}
}

/* Take what the connection has for us, send what acks are due, close when done. */
static void
conn_pump(struct slc_ingest_core *c, struct tconn *st)
{
	uint32_t avail;

	if (st->conn == NULL)
		return;
	st->in_pump = true;
	if (!st->closing) {
		if (!ack_flush(c, st))
			block(c, st);
		if (st->rejected || st->dead) {
			/* Nothing after a rejected frame is taken: discard it. */
			avail = slc_tcp_rcv_avail(st->conn);
			if (avail > 0)
				slc_tcp_rcv_consume(st->conn, avail);
		} else if (st->rt->mode == SLC_INGEST_TCP_FRAMED) {
			pump_frames(c, st);
		} else {
			pump_lines(c, st);
		}
		if (!st->gone && st->conn != NULL) {
			if (!ack_flush(c, st))
				block(c, st);
			if (!st->gone && st->conn != NULL)
				maybe_close(st);
		}
	} else {
		avail = slc_tcp_rcv_avail(st->conn);
		if (avail > 0)
			slc_tcp_rcv_consume(st->conn, avail);
	}
	st->in_pump = false;
	if (st->gone)
		conn_release(c, st);
}

/* ---------------------------------------------------------------- engine callbacks */

static void *
on_accept(void *arg, struct slc_tcp_conn *conn, uint16_t local_port)
{
	struct slc_ingest_core *c = arg;
	struct ing_tcp_core *tc = c->tcp;
	struct slc_tcp_conn_info info;
	uint8_t ri = c->ing->tcp_route_of[local_port];
	struct tconn *st;
	uint32_t idx;

	if (ri == 0 || tc->n_free == 0)
		return NULL;
	st = slc_malloc(sizeof(*st));
	if (st == NULL)
		return NULL;
	memset(st, 0, offsetof(struct tconn, fr));
	idx = tc->free_idx[--tc->n_free];
	st->conn = conn;
	st->rt = &c->ing->tcp_routes[ri - 1];
	st->idx = idx;
	st->gen = tc->gens[idx];
	st->port = tc->cur_port;
	slc_tcp_conn_info(conn, &info);
	st->peer.family = info.family;
	memcpy(st->peer.src, info.peer, sizeof(st->peer.src));
	st->peer.src_port = info.peer_port;
	st->peer.dst_port = info.local_port;
	tc->conns[idx] = st;
	return st;
}

static void
on_readable(void *arg, struct slc_tcp_conn *conn, void *app)
{
	struct slc_ingest_core *c = arg;
	struct tconn *st = app;

	(void)conn;
	if (st->in_pump)
		return;
	c->tcp->in_cb = true;
	conn_pump(c, st);
	c->tcp->in_cb = false;
}

static void
on_closed(void *arg, struct slc_tcp_conn *conn, void *app, enum slc_tcp_close_why why)
{
	struct slc_ingest_core *c = arg;
	struct tconn *st = app;

	(void)conn;
	(void)why;
	st->conn = NULL;
	if (st->in_pump) {
		st->gone = true;
		return;
	}
	conn_release(c, st);
}

static const struct slc_tcp_ops tcp_ops = {
	.accept = on_accept,
	.readable = on_readable,
	.sent = NULL,
	.closed = on_closed,
};

/* ---------------------------------------------------------------- per core */

static uint64_t
now_us_of(const struct slc_ingest_core *c, uint64_t now_tsc)
{
	const struct slc_ingest *ing = c->ing;

	if (now_tsc < ing->base_tsc)
		now_tsc = ing->base_tsc;
	return (now_tsc - ing->base_tsc) / ing->tsc_per_us + 1;
}

int
ingest_tcp_core_create(struct slc_ingest_core *c)
{
	struct slc_ingest *ing = c->ing;
	struct slc_tcp_cfg cfg = ing->tcp_cfg;
	struct ing_tcp_core *tc;
	uint32_t i, max_rec = 0;

	tc = slc_calloc(1, sizeof(*tc));
	if (tc == NULL)
		goto nomem;
	c->tcp = tc;
	cfg.pool = c->pool;
	if (cfg.rcv_buf == 0)
		cfg.rcv_buf = RCV_BUF_DEFAULT;
	if (cfg.snd_buf == 0)
		cfg.snd_buf = SND_BUF_DEFAULT;
	if (cfg.max_conns == 0)
		cfg.max_conns = 16384;
	tc->rcv_buf = cfg.rcv_buf;
	tc->snd_buf = cfg.snd_buf;
	tc->max_conns = cfg.max_conns;
	/*
	 * Two free buffers: a frame (at most rcv_buf, at most one buffer) fits, and a
	 * core owning many shards (each holds a partly filled buffer) is not held
	 * below the mark for ever. An append that still finds none fails as log_full
	 * and its record is acknowledged "retry": never lost silently.
	 */
	tc->low_water = RTE_MIN(2u, ing->cfg.log.nbufs);
	for (i = 0; i < ing->n_streams; i++)
		max_rec = RTE_MAX(max_rec, ing->streams[i]->settings.max_record);
	tc->scratch_len = RTE_MAX(tc->rcv_buf, max_rec + 2);
	tc->scratch = slc_malloc(tc->scratch_len);
	tc->groups = slc_calloc(UINT16_MAX, sizeof(*tc->groups));
	tc->ackbuf_len = (uint32_t)slc_ack_size(UINT16_MAX);
	tc->ackbuf = slc_malloc(tc->ackbuf_len);
	tc->conns = slc_calloc(tc->max_conns, sizeof(*tc->conns));
	tc->gens = slc_calloc(tc->max_conns, sizeof(*tc->gens));
	tc->free_idx = slc_calloc(tc->max_conns, sizeof(*tc->free_idx));
	tc->blocked = slc_calloc(tc->max_conns, sizeof(*tc->blocked));
	tc->blocked2 = slc_calloc(tc->max_conns, sizeof(*tc->blocked2));
	tc->cap_slots = ing->cap_slots;
	tc->wait = slc_calloc(tc->cap_slots, sizeof(*tc->wait));
	if (tc->scratch == NULL || tc->groups == NULL || tc->ackbuf == NULL ||
			tc->conns == NULL || tc->gens == NULL || tc->free_idx == NULL ||
			tc->blocked == NULL || tc->blocked2 == NULL || tc->wait == NULL)
		goto nomem;
	for (i = 0; i < tc->max_conns; i++)
		tc->free_idx[i] = tc->max_conns - 1 - i;
	tc->n_free = tc->max_conns;
	tc->t = slc_tcp_create(&cfg, &tcp_ops, c);
	if (tc->t == NULL) {
		snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: cannot create the TCP "
			"engine: %s", c->index, rte_strerror(rte_errno));
		ingest_tcp_core_free(c);
		return -EINVAL;
	}
	for (i = 0; i < ing->n_tcp_routes; i++) {
		if (slc_tcp_listen(tc->t, ing->tcp_routes[i].port) != 0) {
			snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: cannot listen on "
				"TCP port %u", c->index, ing->tcp_routes[i].port);
			ingest_tcp_core_free(c);
			return -EINVAL;
		}
	}
	return 0;
nomem:
	snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: no memory for TCP state",
		c->index);
	ingest_tcp_core_free(c);
	rte_errno = ENOMEM;
	return -ENOMEM;
}

void
ingest_tcp_core_free(struct slc_ingest_core *c)
{
	struct ing_tcp_core *tc = c->tcp;
	uint32_t i;

	if (tc == NULL)
		return;
	/* closed() runs for every connection and releases its state. */
	if (tc->t != NULL)
		slc_tcp_free(tc->t);
	for (i = 0; tc->conns != NULL && i < tc->max_conns; i++)
		if (tc->conns[i] != NULL)
			conn_release(c, tc->conns[i]);
	for (i = 0; tc->wait != NULL && i < tc->cap_slots; i++)
		slc_free(tc->wait[i].e);
	for (i = 0; i < SLC_INGEST_MAX_CORES; i++) {
		slc_free(tc->stage[i].e);
		if (tc->done_in[i] != NULL)
			rte_ring_free(tc->done_in[i]);   /* each ring freed once, by its consumer */
	}
	slc_free(tc->wait);
	slc_free(tc->blocked2);
	slc_free(tc->blocked);
	slc_free(tc->free_idx);
	slc_free(tc->gens);
	slc_free(tc->conns);
	slc_free(tc->ackbuf);
	slc_free(tc->groups);
	slc_free(tc->scratch);
	slc_free(tc);
	c->tcp = NULL;
}

int
ingest_tcp_rings_create(struct slc_ingest *ing)
{
	char name[64];
	struct rte_ring *r;
	uint32_t i, j;

	for (i = 0; i < ing->cfg.n_cores; i++) {
		for (j = 0; j < ing->cfg.n_cores; j++) {
			if (i == j)
				continue;
			snprintf(name, sizeof(name), "slcdn%u_%u_%u", ing->id % 100000u, i, j);
			r = rte_ring_create_elem(name, sizeof(struct ho_done), DONE_RING_SIZE,
				ing->cfg.socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL) {
				snprintf(ing->errmsg, sizeof(ing->errmsg), "completion ring core %u "
					"-> core %u: %s", i, j, rte_strerror(rte_errno));
				return -rte_errno;
			}
			ing->cores[i]->tcp->done_out[j] = r;
			ing->cores[j]->tcp->done_in[i] = r;
		}
	}
	return 0;
}

void
ingest_tcp_input(struct slc_ingest_core *c, const struct slc_pkt_tcp *seg, uint64_t now_tsc)
{
	struct ing_tcp_core *tc = c->tcp;

	tc->now_us = now_us_of(c, now_tsc);
	tc->cur_port = seg->port < SLC_PKT_MAX_PORTS ? seg->port : 0;
	slc_tcp_input(tc->t, seg, &c->ing->mac[seg->port < SLC_PKT_MAX_PORTS ? seg->port : 0],
		tc->now_us);
}

uint32_t
ingest_tcp_poll(struct slc_ingest_core *c, uint64_t now_tsc)
{
	struct ing_tcp_core *tc = c->tcp;
	struct blk *list;
	struct tconn *st;
	uint32_t work, n, i;

	tc->now_us = now_us_of(c, now_tsc);
	work = done_drain(c);
	work += slc_tcp_poll(tc->t, tc->now_us);
	/* Blocked connections: try again (they put themselves back if still blocked). */
	n = tc->n_blocked;
	if (n > 0) {
		list = tc->blocked;
		tc->blocked = tc->blocked2;
		tc->blocked2 = list;
		tc->n_blocked = 0;
		for (i = 0; i < n; i++) {
			st = tc->conns[list[i].idx];
			if (st == NULL || st->gen != list[i].gen)
				continue;
			st->blocked = false;
			conn_pump(c, st);
		}
	}
	done_flush(c);
	return work;
}

void
slc_ingest_core_tcp_shutdown(struct slc_ingest_core *c, uint64_t now_tsc)
{
	struct ing_tcp_core *tc = c->tcp;
	struct tconn *st;
	uint32_t i;

	if (tc == NULL)
		return;
	tc->now_us = now_us_of(c, now_tsc);
	done_drain(c);
	for (i = 0; i < tc->max_conns; i++) {
		st = tc->conns[i];
		if (st == NULL || st->conn == NULL)
			continue;
		st->in_pump = true;
		ack_flush(c, st);
		st->in_pump = false;
		if (st->conn != NULL)
			slc_tcp_abort(st->conn);         /* closed() releases st */
		else if (st->gone)
			conn_release(c, st);
	}
	done_flush(c);
}

uint16_t
slc_ingest_core_tcp_tx_pending(struct slc_ingest_core *c, uint16_t port, struct rte_mbuf ***pkts)
{
	if (c->tcp == NULL || port >= SLC_PKT_MAX_PORTS) {
		*pkts = NULL;
		return 0;
	}
	return slc_tcp_tx_pending(c->tcp->t, port, pkts);
}

void
slc_ingest_core_tcp_tx_done(struct slc_ingest_core *c, uint16_t port, uint16_t sent)
{
	if (c->tcp == NULL || port >= SLC_PKT_MAX_PORTS)
		return;
	c->stats.port[port].tx_packets += sent;
	slc_tcp_tx_done(c->tcp->t, port, sent);
}

struct slc_tcp *
slc_ingest_core_tcp(const struct slc_ingest_core *c)
{
	return c->tcp != NULL ? c->tcp->t : NULL;
}
