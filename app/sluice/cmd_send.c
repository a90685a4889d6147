/*
 * sluice send: a TCP producer for a `framed` port of sluiced, on kernel sockets
 * (runs anywhere). Records come from stdin ("partition_key<TAB>data" lines, as
 * `sluice put` reads them) or from a deterministic generator; they are batched
 * into frames (docs/frame-format.md), sent back to back on N connections, and
 * counted as stored only when sluiced's acknowledgement says so
 * (docs/tcp-producer.md describes the protocol this follows).
 *
 * One thread drives everything with poll(2): nonblocking sockets, stdin, and
 * the timers (linger, reconnect backoff, retry backoff, ack timeout, pacing).
 * Each connection owns:
 *   - a builder: the frame being filled (at most --batch records, at most
 *     --max-frame bytes), closed when full, after --linger-ms, or at the end;
 *   - a window: the closed frames not yet acknowledged, in frame_id order, at
 *     most --max-unacked of them; `sent` of them are fully written. Input is
 *     not read while the window of the connection the next record hashes to is
 *     full, so memory and records in flight are bounded;
 *   - a retry queue: records an ack returned as RETRY or ERROR, sent again in a
 *     later frame after a backoff, at most SEND_MAX_TRIES times in all.
 * A record goes to connection hash(partition key) % N, so the records of a key
 * share one connection and its order (a retried record may land after later
 * records of its key, as with Kinesis PutRecords).
 *
 * Acks arrive in frame order, so each must name the oldest frame of the window;
 * anything else is a protocol error and ends the connection. A lost connection
 * (EOF, RST, error, a bad ack, no ack for --timeout / 2 seconds) is reopened
 * with backoff and every frame still in the window is sent again: delivery is
 * at least once, and a frame whose ack was lost with the connection is stored
 * twice. --timeout seconds without an ack while work is outstanding end the
 * run (exit 1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slc_frame.h"
#include "slc_hashkey.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "send"

#define SEND_MAX_TRIES 10                  /* sends of one record, first included */
#define RETRY_BASE_US 10000u               /* retry backoff: 10 ms, doubling ... */
#define RETRY_MAX_US 1280000u              /* ... up to 1.28 s */
#define CONNECT_BASE_US 50000u             /* reconnect backoff: 50 ms, doubling ... */
#define CONNECT_MAX_US 2000000u            /* ... up to 2 s */
#define MAX_ERR_MSGS 20                    /* per kind of record failure; then counted */
#define FRAME_OVERHEAD (SLC_FRAME_MIN_LEN + SLC_FRAME_REC_HDR_LEN)

void
sluice_usage_send(FILE *f)
{
	fprintf(f,
		"usage: sluice send --to HOST:PORT [options] < lines\n"
		"       sluice send --to HOST:PORT --generate N [--size BYTES] [--keys K] [options]\n"
		"\n"
		"Send records to a `framed` TCP port of sluiced and wait until each is\n"
		"acknowledged as durably stored (protocol: docs/tcp-producer.md). Records are\n"
		"read from stdin, one per line \"partition_key<TAB>data\" as for 'sluice put'\n"
		"(key 1..256 bytes; a bad line is reported as \"line N: <problem>\", skipped,\n"
		"and makes the exit status 1), or generated with --generate.\n"
		"\n"
		"Records are batched into frames and spread over the connections by a hash of\n"
		"the partition key, so the records of one key keep their order. A lost\n"
		"connection is reopened and its unacknowledged frames are sent again: delivery\n"
		"is at least once (a record may be stored twice after a reconnect). Records an\n"
		"ack reports as retry or error are sent again (at most %d times in all); too_big\n"
		"records and records of a rejected frame are reported and counted as failed.\n"
		"\n"
		"  --to HOST:PORT      sluiced's framed port: 192.0.2.1:9000, [2001:db8::1]:9000 or\n"
		"                      name:9000 (required)\n"
		"  --connections N     connections to open (default 1, at most 1024)\n"
		"  --generate N        send N generated records instead of reading stdin: record i\n"
		"                      has key \"k<i mod K>\" and data \"<key> <i div K> \" padded\n"
		"                      with '.' to --size bytes (cut to --size if longer), so the\n"
		"                      second word counts each key's records from 0\n"
		"  --size BYTES        data bytes of a generated record (default 100)\n"
		"  --keys K            distinct keys of generated records (default 16)\n"
		"  --batch N           records per frame, at most (default 500, max 65535)\n"
		"  --linger-ms MS      send a partly filled frame after MS ms (default 5)\n"
		"  --max-frame BYTES   bytes per frame, at most (default 262144: sluiced's default\n"
		"                      connection receive buffer; a record must fit in one frame)\n"
		"  --max-unacked N     frames in flight per connection (default 64); input waits\n"
		"                      while the connection of the next record has N in flight\n"
		"  --rate R            send at most R records per second (default: unpaced)\n"
		"  --timeout S         give up (exit 1) when no ack arrived for S seconds while\n"
		"                      records are outstanding (default 30); a connection without\n"
		"                      an ack for S/2 seconds is reopened\n"
		"  --print-acks FILE   write a line per stored record, in ack order per connection:\n"
		"                      partition_key<TAB>shard_id<TAB>sequence_number<TAB>data\n"
		"                      (shard_id as shardId-000000000001, the 39-digit sequence\n"
		"                      number as 'sluice read' prints it); FILE - is stdout, and\n"
		"                      the summary then goes to stderr\n"
		"  --quiet             no summary and no reconnect notices (errors are printed)\n"
		"  -h, --help          this text\n"
		"\n"
		"At the end a summary line goes to stdout:\n"
		"  sent N records in T s: R rec/s, M MB/s; acknowledged A, failed F, frames W\n"
		"  (retransmitted X), reconnects C\n"
		"(MB/s counts partition key and data bytes, 10^6 bytes per MB). The exit status\n"
		"is 0 only if every record was acknowledged as stored.\n",
		SEND_MAX_TRIES);
}

/* ---- state ---- */

/* A closed frame in a connection's window. */
struct sframe {
	uint8_t *buf;              /* the encoded frame, then `count` try counters */
	uint8_t *tries;            /* by record: sends so far, this one included */
	uint32_t len;
	uint32_t id;
	uint16_t count;
};

/* A record an ack sent back to be sent again. */
struct rrec {
	struct rrec *next;
	uint64_t not_before_us;
	uint32_t dlen;
	uint16_t klen;
	uint8_t tries;             /* sends so far */
	uint8_t kd[];              /* key, then data */
};

enum conn_state {
	C_DOWN,                    /* waiting for retry_at_us to connect */
	C_CONNECTING,
	C_UP,
};

struct conn {
	unsigned int idx;
	int fd;
	enum conn_state state;
	bool ever_up;
	bool failing;              /* a connect failure was reported; quiet until it works */
	uint64_t retry_at_us;
	uint64_t backoff_us;
	/* window: win[(head + i) % max_unacked], i < n; the first `sent` fully written */
	struct sframe *win;
	uint32_t head, n, sent;
	size_t off;                /* bytes written of frame `sent` */
	uint32_t next_id;
	/* builder */
	uint8_t *bbuf;
	uint8_t *btries;
	struct slc_frame_builder b;
	bool bopen;
	uint64_t bopen_us;
	/* retry queue */
	struct rrec *rq_head, *rq_tail;
	/* acks */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	uint64_t last_ack_us;      /* last ack, connect or frame written: the ack timeout */
	uint64_t progress_us;      /* last ack, or when work began: --timeout */
	char last_err[160];
};

struct send_ctx {
	/* options */
	const char *to;
	unsigned int nconns;
	uint64_t generate;         /* records to generate, if gen */
	bool gen;
	uint64_t size, keys;
	uint32_t batch;
	uint64_t linger_us;
	uint32_t max_frame;
	uint32_t max_unacked;
	uint64_t rate;             /* records/s, 0 = unpaced */
	uint64_t timeout_us;
	const char *acks_path;
	bool quiet;
	/* peer */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	/* run */
	struct conn *conns;
	FILE *acks;
	FILE *summary;
	struct sluice_lines lb;    /* stdin, unless gen */
	char *gbuf;                /* a generated record's key and data */
	uint64_t t0_us;
	bool input_done;
	bool fatal;
	/* counters */
	uint64_t sent, sent_bytes, acked, failed;
	uint64_t frames, retransmitted, reconnects, retried;
	unsigned int msgs_too_big, msgs_retry, msgs_rejected;
};

static void
note(struct send_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An informational line on stderr, unless --quiet. */
static void
note(struct send_ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->quiet)
		return;
	fprintf(stderr, "sluice send: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- options ---- */

/* Parse --to into x->addr. 0 or 2 (message printed). */
static int
parse_to(struct send_ctx *x, const char *val)
{
	char host[256];
	const char *port, *h;
	size_t hlen;
	struct addrinfo hints, *res;
	unsigned long long p;
	char *end = NULL;
	int err;

	if (val[0] == '[') {
		const char *rb = strchr(val, ']');

		if (rb == NULL || rb[1] != ':')
			return sluice_usage_err(CMD, "--to '%s' is not valid: write an IPv6 "
				"address as [ADDRESS]:PORT", val);
		h = val + 1;
		hlen = (size_t)(rb - h);
		port = rb + 2;
	} else {
		const char *colon = strrchr(val, ':');

		if (colon == NULL)
			return sluice_usage_err(CMD, "--to '%s' has no port: write HOST:PORT", val);
		h = val;
		hlen = (size_t)(colon - val);
		port = colon + 1;
		if (memchr(h, ':', hlen) != NULL)
			return sluice_usage_err(CMD, "--to '%s' is not valid: write an IPv6 "
				"address as [ADDRESS]:PORT", val);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return sluice_usage_err(CMD, "--to '%s' has no valid host: write HOST:PORT", val);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	p = port[0] >= '0' && port[0] <= '9' ? strtoull(port, &end, 10) : 0;
	if (p < 1 || p > 65535 || errno != 0 || *end != '\0')
		return sluice_usage_err(CMD, "--to '%s': port '%s' is not a number from 1 to 65535",
			val, port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (val[0] == '[')
		hints.ai_flags |= AI_NUMERICHOST;
	err = getaddrinfo(host, port, &hints, &res);
	if (err != 0)
		return sluice_usage_err(CMD, "--to '%s': cannot resolve '%s': %s", val, host,
			gai_strerror(err));
	memcpy(&x->addr, res->ai_addr, res->ai_addrlen);
	x->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	x->to = val;
	return 0;
}

/* ---- frames and the window ---- */

static struct sframe *
win_at(struct send_ctx *x, struct conn *c, uint32_t i)
{
	return &c->win[(c->head + i) % x->max_unacked];
}

/* Anything not yet acknowledged on c: frames, an open frame, records to retry. */
static bool
conn_busy(const struct conn *c)
{
	return c->n > 0 || (c->bopen && c->b.count > 0) || c->rq_head != NULL;
}

/* Close c's open frame into its window; the caller checked there is room. 0 or -ENOMEM. */
static int
frame_close(struct send_ctx *x, struct conn *c)
{
	struct sframe *f = win_at(x, c, c->n);
	size_t len = slc_frame_end(&c->b);

	f->buf = slc_malloc(len + c->b.count);
	if (f->buf == NULL)
		return -ENOMEM;
	memcpy(f->buf, c->bbuf, len);
	f->tries = f->buf + len;
	memcpy(f->tries, c->btries, c->b.count);
	f->len = (uint32_t)len;
	f->id = c->next_id - 1;
	f->count = c->b.count;
	if (c->n == 0)
		c->progress_us = sluice_mono_us();
	c->n++;
	c->bopen = false;
	x->frames++;
	return 0;
}

/*
 * Add a record to c's open frame, closing a full one first. 0, -EAGAIN when
 * the window is full (nothing changed), or -ENOMEM.
 */
static int
conn_take(struct send_ctx *x, struct conn *c, const void *key, uint16_t klen, const void *data,
	uint32_t dlen, uint8_t tries, uint64_t now)
{
	uint64_t need = (uint64_t)SLC_FRAME_REC_HDR_LEN + klen + dlen;

	if (c->bopen && (c->b.count >= x->batch ||
			need > c->b.cap - c->b.len - SLC_FRAME_CRC_LEN)) {
		if (c->n == x->max_unacked)
			return -EAGAIN;
		if (frame_close(x, c) != 0)
			return -ENOMEM;
	}
	if (!c->bopen) {
		if (c->n == x->max_unacked)
			return -EAGAIN;
		slc_frame_begin(&c->b, c->bbuf, x->max_frame, c->next_id++, NULL);
		c->bopen = true;
		c->bopen_us = now;
		if (!conn_busy(c))
			c->progress_us = now;
	}
	/* The caller checked that the record fits an empty frame. */
	if (slc_frame_add(&c->b, key, klen, data, dlen, NULL) != 0)
		return -ENOMEM;
	c->btries[c->b.count - 1] = tries;
	if (c->b.count == x->batch && c->n < x->max_unacked)
		return frame_close(x, c);
	return 0;
}

/* ---- connections ---- */

static void
conn_close_fd(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * c failed or was lost: close it, rewind its window so that every frame in it
 * is sent again on the next connection, and schedule the reconnect.
 */
static void
conn_lost(struct send_ctx *x, struct conn *c, uint64_t now, const char *why)
{
	uint32_t resend = c->sent + (c->off > 0);

	snprintf(c->last_err, sizeof(c->last_err), "%s", why);
	if (c->state == C_UP) {
		x->reconnects++;
		x->retransmitted += resend;
		note(x, "connection %u to %s lost: %s; reconnecting, %u frames unacknowledged",
			c->idx, x->to, why, c->n);
	} else if (!c->failing) {
		note(x, "connection %u: cannot connect to %s: %s; retrying", c->idx, x->to, why);
		c->failing = true;
	}
	conn_close_fd(c);
	c->state = C_DOWN;
	c->sent = 0;
	c->off = 0;
	c->rx_len = 0;
	c->retry_at_us = now + c->backoff_us;
	c->backoff_us = c->backoff_us * 2 > CONNECT_MAX_US ? CONNECT_MAX_US : c->backoff_us * 2;
}

static void
conn_up(struct send_ctx *x, struct conn *c, uint64_t now)
{
	if (c->failing && c->ever_up)
		note(x, "connection %u to %s is back", c->idx, x->to);
	c->state = C_UP;
	c->ever_up = true;
	c->failing = false;
	c->last_ack_us = now;
}

static void
conn_connect(struct send_ctx *x, struct conn *c, uint64_t now)
{
	int one = 1;

	c->fd = socket(x->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		conn_lost(x, c, now, strerror(errno));
		return;
	}
	/* Frames are whole messages: do not hold a frame's tail back for Nagle. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&x->addr, x->addr_len) == 0) {
		conn_up(x, c, now);
	} else if (errno == EINPROGRESS) {
		c->state = C_CONNECTING;
	} else {
		conn_lost(x, c, now, strerror(errno));
	}
}

/* Write what c's window holds unsent. */
static void
conn_send(struct send_ctx *x, struct conn *c, uint64_t now)
{
	while (c->state == C_UP && c->sent < c->n) {
		struct sframe *f = win_at(x, c, c->sent);
		ssize_t r = send(c->fd, f->buf + c->off, f->len - c->off,
			MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_lost(x, c, now, strerror(errno));
			return;
		}
		c->off += (size_t)r;
		if (c->off == f->len) {
			c->off = 0;
			c->sent++;
			c->last_ack_us = now;
		}
	}
}

/* ---- acks ---- */

static void
print_ack(struct send_ctx *x, const struct slc_frame_rec *r, uint32_t shard, uint64_t counter)
{
	char seq[SLC_SEQ_STRLEN], id[SLC_SHARD_ID_LEN + 1];

	slc_seq_format(shard, counter, seq);
	slc_shard_id_format(shard, id);
	fwrite(r->key, 1, r->key_len, x->acks);
	fputc('\t', x->acks);
	fputs(id, x->acks);
	fputc('\t', x->acks);
	fputs(seq, x->acks);
	fputc('\t', x->acks);
	fwrite(r->data, 1, r->data_len, x->acks);
	fputc('\n', x->acks);
}

/* Queue record r (sent `tries` times) to be sent again after a backoff. 0 or -ENOMEM. */
static int
retry_push(struct conn *c, const struct slc_frame_rec *r, uint8_t tries, uint64_t now)
{
	struct rrec *q = slc_malloc(sizeof(*q) + r->key_len + r->data_len);
	uint64_t delay = (uint64_t)RETRY_BASE_US << (tries > 8 ? 7 : tries - 1);

	if (q == NULL)
		return -ENOMEM;
	q->next = NULL;
	q->not_before_us = now + (delay > RETRY_MAX_US ? RETRY_MAX_US : delay);
	q->klen = r->key_len;
	q->dlen = r->data_len;
	q->tries = tries;
	memcpy(q->kd, r->key, r->key_len);
	memcpy(q->kd + r->key_len, r->data, r->data_len);
	if (c->rq_tail != NULL)
		c->rq_tail->next = q;
	else
		c->rq_head = q;
	c->rq_tail = q;
	return 0;
}

/* The records of group g of frame f, whose ack came on c. */
static void
ack_group(struct send_ctx *x, struct conn *c, const struct sframe *f,
	const struct slc_ack_group *g, struct slc_frame_iter *it, uint64_t now)
{
	struct slc_frame_rec r;
	uint16_t i;
	uint64_t lost = 0;

	for (i = 0; i < g->n; i++) {
		if (slc_frame_iter_next(it, &r) != 1)
			return;       /* the ack's count was checked against the frame's */
		switch (g->status) {
		case SLC_ACK_R_STORED:
			x->acked++;
			if (x->acks != NULL)
				print_ack(x, &r, g->shard, g->counter + i);
			break;
		case SLC_ACK_R_RETRY:
		case SLC_ACK_R_ERROR:
			if (f->tries[g->first + i] >= SEND_MAX_TRIES) {
				x->failed++;
				lost++;
			} else if (retry_push(c, &r, f->tries[g->first + i], now) != 0) {
				sluice_fail(CMD, "out of memory");
				x->fatal = true;
				return;
			} else {
				x->retried++;
			}
			break;
		default:        /* too_big */
			x->failed++;
			if (x->msgs_too_big++ < MAX_ERR_MSGS)
				sluice_fail(CMD, "connection %u frame %u record %u (partition key "
					"'%.*s', %u bytes of data): not stored: too_big (longer than the "
					"stream's max record size)", c->idx, f->id,
					(unsigned int)(g->first + i), (int)r.key_len,
					(const char *)r.key, r.data_len);
			break;
		}
	}
	if (lost > 0 && x->msgs_retry++ < MAX_ERR_MSGS)
		sluice_fail(CMD, "connection %u frame %u: %" PRIu64 " records not stored after %d "
			"tries (last status: %s)", c->idx, f->id, lost, SEND_MAX_TRIES,
			slc_ack_rec_status_name(g->status));
}

/* Handle ack a, which must be for the oldest frame of c's window. 0, or -1: protocol error. */
static int
ack_handle(struct send_ctx *x, struct conn *c, const struct slc_ack *a, uint64_t now)
{
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_ack_group g;
	struct sframe *f;
	uint16_t i;

	if (c->sent == 0) {
		snprintf(c->last_err, sizeof(c->last_err), "protocol error: ack for frame %u, "
			"but no frame was sent", a->frame_id);
		return -1;
	}
	f = win_at(x, c, 0);
	if (a->frame_id != f->id || a->count != f->count) {
		snprintf(c->last_err, sizeof(c->last_err), "protocol error: ack for frame %u (%u "
			"records), expected frame %u (%u records)", a->frame_id, a->count, f->id,
			f->count);
		return -1;
	}
	if (a->status == SLC_ACK_REJECTED) {
		x->failed += f->count;
		if (x->msgs_rejected++ < MAX_ERR_MSGS)
			sluice_fail(CMD, "connection %u frame %u (%u records) rejected by sluiced: "
				"%s; its records are not sent again", c->idx, f->id, f->count,
				slc_frame_err_name(a->error));
	} else {
		/* Our own frame: the check cannot fail, it only sets up the iterator. */
		if (slc_frame_check(f->buf, f->len, true, UINT32_MAX, &fi) != SLC_FRAME_OK) {
			snprintf(c->last_err, sizeof(c->last_err), "frame %u: internal error",
				f->id);
			return -1;
		}
		slc_frame_iter_init(&it, &fi);
		for (i = 0; i < a->n_groups && !x->fatal; i++) {
			slc_ack_group(a, i, &g);
			ack_group(x, c, f, &g, &it, now);
		}
	}
	slc_free(f->buf);
	f->buf = NULL;
	c->head = (c->head + 1) % x->max_unacked;
	c->n--;
	c->sent--;
	c->last_ack_us = now;
	c->progress_us = now;
	c->backoff_us = CONNECT_BASE_US;    /* the connection works */
	return 0;
}

/* Read and handle what acks c has received. */
static void
conn_recv(struct send_ctx *x, struct conn *c, uint64_t now)
{
	struct slc_ack a;
	size_t off = 0;
	ssize_t r;
	int d;

	r = recv(c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len, MSG_DONTWAIT);
	if (r == 0) {
		conn_lost(x, c, now, "closed by sluiced");
		return;
	}
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_lost(x, c, now, strerror(errno));
		return;
	}
	c->rx_len += (size_t)r;
	for (;;) {
		d = slc_ack_decode(c->rx + off, c->rx_len - off, &a);
		if (d < 0) {
			conn_lost(x, c, now, "protocol error: a bad acknowledgement frame");
			return;
		}
		if (d == 0)
			break;
		if (ack_handle(x, c, &a, now) != 0) {
			char why[sizeof(c->last_err)];

			memcpy(why, c->last_err, sizeof(why));
			conn_lost(x, c, now, why);
			return;
		}
		if (x->fatal)
			return;
		off += (size_t)d;
	}
	if (off == 0 && c->rx_len == c->rx_cap) {
		conn_lost(x, c, now, "protocol error: an acknowledgement longer than any frame "
			"of ours can get");
		return;
	}
	memmove(c->rx, c->rx + off, c->rx_len - off);
	c->rx_len -= off;
}

/*
 * Timers of c: connect after the backoff, reopen a connection without acks,
 * give up after --timeout, flush a lingering frame, queue ready retries.
 */
static void
conn_service(struct send_ctx *x, struct conn *c, uint64_t now)
{
	if (!conn_busy(c))
		c->progress_us = now;
	if (c->state == C_DOWN && now >= c->retry_at_us)
		conn_connect(x, c, now);
	if (c->state == C_UP && c->sent > 0 && now - c->last_ack_us >= x->timeout_us / 2) {
		char why[64];

		snprintf(why, sizeof(why), "no acknowledgement for %" PRIu64 " s",
			x->timeout_us / 2000000);
		conn_lost(x, c, now, why);
	}
	if (conn_busy(c) && now - c->progress_us >= x->timeout_us) {
		sluice_fail(CMD, "connection %u to %s: no progress for %" PRIu64 " s (%u frames "
			"unacknowledged; last problem: %s); giving up", c->idx, x->to,
			x->timeout_us / 1000000, c->n, c->last_err[0] ? c->last_err : "none");
		x->fatal = true;
		return;
	}
	while (c->rq_head != NULL && c->rq_head->not_before_us <= now) {
		struct rrec *q = c->rq_head;

		if (conn_take(x, c, q->kd, q->klen, q->kd + q->klen, q->dlen, q->tries + 1,
				now) != 0)
			break;
		c->rq_head = q->next;
		if (c->rq_head == NULL)
			c->rq_tail = NULL;
		slc_free(q);
	}
	if (c->bopen && c->b.count > 0 && c->n < x->max_unacked &&
			(x->input_done || now - c->bopen_us >= x->linger_us) &&
			frame_close(x, c) != 0) {
		sluice_fail(CMD, "out of memory");
		x->fatal = true;
		return;
	}
	conn_send(x, c, now);
}

/* The earliest timer of c, in us (UINT64_MAX if none). */
static uint64_t
conn_deadline(const struct send_ctx *x, const struct conn *c)
{
	uint64_t t = UINT64_MAX;

#define AT(v) do { uint64_t v_ = (v); if (v_ < t) t = v_; } while (0)
	if (c->state == C_DOWN)
		AT(c->retry_at_us);
	if (c->bopen && c->b.count > 0)
		AT(c->bopen_us + x->linger_us);
	if (c->rq_head != NULL)
		AT(c->rq_head->not_before_us);
	if (c->state == C_UP && c->sent > 0)
		AT(c->last_ack_us + x->timeout_us / 2);
	if (conn_busy(c))
		AT(c->progress_us + x->timeout_us);
#undef AT
	return t;
}

/* ---- input ---- */

/* Record i of --generate into x->gbuf: key "k<i mod K>", data "<key> <i div K> " + dots. */
static void
gen_record(struct send_ctx *x, uint64_t i, uint16_t *klen, const char **data)
{
	char *k = x->gbuf;
	char *d;
	int kl, pl;

	kl = snprintf(k, 32, "k%" PRIu64, i % x->keys);
	d = k + kl;
	pl = snprintf(d, 64, "k%" PRIu64 " %" PRIu64 " ", i % x->keys, i / x->keys);
	if ((uint64_t)pl < x->size)
		memset(d + pl, '.', x->size - (uint64_t)pl);
	*klen = (uint16_t)kl;
	*data = d;
}

/* FNV-1a: which connection a partition key goes to. */
static unsigned int
key_conn(const struct send_ctx *x, const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return (unsigned int)(h % x->nconns);
}

enum pump_result {
	PUMP_READ,        /* stdin must be read */
	PUMP_WAIT,        /* a window is full or pacing: wait for the timers or a socket */
	PUMP_DONE,        /* the input has ended */
	PUMP_FATAL,
};

/* The time the next record may be sent under --rate. */
static uint64_t
rate_next_us(const struct send_ctx *x)
{
	return x->t0_us + (uint64_t)((double)x->sent * 1e6 / (double)x->rate);
}

/* Hand input records to their connections until input blocks. */
static enum pump_result
input_pump(struct send_ctx *x, uint64_t now)
{
	for (;;) {
		const char *key, *data, *s;
		struct sluice_line l;
		uint16_t klen;
		uint32_t dlen;
		size_t len;
		struct conn *c;
		int err;

		if (x->input_done)
			return PUMP_DONE;
		if (x->rate != 0 && rate_next_us(x) > now)
			return PUMP_WAIT;
		if (x->gen) {
			if (x->sent == x->generate) {
				x->input_done = true;
				return PUMP_DONE;
			}
			gen_record(x, x->sent, &klen, &data);
			key = x->gbuf;
			dlen = (uint32_t)x->size;
		} else {
			if (sluice_lines_next(&x->lb, &s, &len) == 0) {
				if (x->lb.eof && x->lb.start == x->lb.end) {
					x->input_done = true;
					return PUMP_DONE;
				}
				return PUMP_READ;
			}
			if (sluice_line_split(&x->lb, s, len, &l) != 0)
				continue;
			if (FRAME_OVERHEAD + len - 1 > x->max_frame) {
				sluice_bad_line(&x->lb, "the record (%zu bytes of key and data) does "
					"not fit in a frame of --max-frame %u bytes", len - 1,
					x->max_frame);
				continue;
			}
			key = l.key;
			klen = (uint16_t)l.klen;
			data = l.data;
			dlen = (uint32_t)l.dlen;
		}
		c = &x->conns[key_conn(x, key, klen)];
		err = conn_take(x, c, key, klen, data, dlen, 1, now);
		if (err == -EAGAIN) {
			if (!x->gen)
				sluice_lines_unget(&x->lb);    /* taken again when there is room */
			return PUMP_WAIT;
		}
		if (err != 0) {
			sluice_fail(CMD, "out of memory");
			return PUMP_FATAL;
		}
		x->sent++;
		x->sent_bytes += klen + dlen;
	}
}

/* ---- main ---- */

static int
parse_opts(struct send_ctx *x, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "connections", required_argument, NULL, 'c' },
		{ "generate", required_argument, NULL, 'g' },
		{ "size", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "max-frame", required_argument, NULL, 'F' },
		{ "max-unacked", required_argument, NULL, 'u' },
		{ "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "print-acks", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL;
	bool size_set = false, keys_set = false;
	uint64_t v;
	int c;

	x->nconns = 1;
	x->size = 100;
	x->keys = 16;
	x->batch = 500;
	x->linger_us = 5000;
	x->max_frame = 256u << 10;
	x->max_unacked = 64;
	x->timeout_us = 30000000;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'c':
			if (sluice_parse_u64(CMD, "--connections", optarg, 1, 1024, &v))
				return SLUICE_EXIT_USAGE;
			x->nconns = (unsigned int)v;
			break;
		case 'g':
			if (sluice_parse_u64(CMD, "--generate", optarg, 0, UINT64_MAX >> 1,
					&x->generate))
				return SLUICE_EXIT_USAGE;
			x->gen = true;
			break;
		case 's':
			if (sluice_parse_u64(CMD, "--size", optarg, 0, 64u << 20, &x->size))
				return SLUICE_EXIT_USAGE;
			size_set = true;
			break;
		case 'k':
			if (sluice_parse_u64(CMD, "--keys", optarg, 1, 1000000000, &x->keys))
				return SLUICE_EXIT_USAGE;
			keys_set = true;
			break;
		case 'b':
			if (sluice_parse_u64(CMD, "--batch", optarg, 1, 65535, &v))
				return SLUICE_EXIT_USAGE;
			x->batch = (uint32_t)v;
			break;
		case 'l':
			if (sluice_parse_u64(CMD, "--linger-ms", optarg, 0, 60000, &v))
				return SLUICE_EXIT_USAGE;
			x->linger_us = v * 1000;
			break;
		case 'F':
			if (sluice_parse_u64(CMD, "--max-frame", optarg, 1024, 64u << 20, &v))
				return SLUICE_EXIT_USAGE;
			x->max_frame = (uint32_t)v;
			break;
		case 'u':
			if (sluice_parse_u64(CMD, "--max-unacked", optarg, 1, 65536, &v))
				return SLUICE_EXIT_USAGE;
			x->max_unacked = (uint32_t)v;
			break;
		case 'r':
			if (sluice_parse_u64(CMD, "--rate", optarg, 1, 1000000000, &x->rate))
				return SLUICE_EXIT_USAGE;
			break;
		case 'T':
			if (sluice_parse_u64(CMD, "--timeout", optarg, 1, 86400, &v))
				return SLUICE_EXIT_USAGE;
			x->timeout_us = v * 1000000;
			break;
		case 'a':
			if (optarg[0] == '\0')
				return sluice_usage_err(CMD, "--print-acks must not be empty "
					"(give a file, or - for stdout)");
			x->acks_path = optarg;
			break;
		case 'q':
			x->quiet = true;
			break;
		case 'h':
			sluice_usage_send(stdout);
			return -1;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--to", to))
		return SLUICE_EXIT_USAGE;
	if (!x->gen && size_set)
		return sluice_usage_err(CMD, "--size applies to generated records: add "
			"--generate N");
	if (!x->gen && keys_set)
		return sluice_usage_err(CMD, "--keys applies to generated records: add "
			"--generate N");
	if (x->gen && FRAME_OVERHEAD + 1 + 20 + x->size > x->max_frame)
		return sluice_usage_err(CMD, "--size %" PRIu64 ": a generated record does not fit "
			"in a frame of --max-frame %u bytes", x->size, x->max_frame);
	return parse_to(x, to);
}

static void
ctx_free(struct send_ctx *x)
{
	unsigned int i;
	uint32_t j;

	if (x->conns != NULL) {
		for (i = 0; i < x->nconns; i++) {
			struct conn *c = &x->conns[i];

			conn_close_fd(c);
			if (c->win != NULL)
				for (j = 0; j < c->n; j++)
					slc_free(win_at(x, c, j)->buf);
			while (c->rq_head != NULL) {
				struct rrec *q = c->rq_head;

				c->rq_head = q->next;
				slc_free(q);
			}
			slc_free(c->win);
			slc_free(c->bbuf);
			slc_free(c->btries);
			slc_free(c->rx);
		}
		slc_free(x->conns);
	}
	sluice_lines_fini(&x->lb);
	slc_free(x->gbuf);
}

static int
ctx_alloc(struct send_ctx *x)
{
	unsigned int i;

	x->conns = slc_calloc(x->nconns, sizeof(*x->conns));
	if (x->conns == NULL)
		return -ENOMEM;
	for (i = 0; i < x->nconns; i++) {
		struct conn *c = &x->conns[i];

		c->idx = i;
		c->fd = -1;
		c->backoff_us = CONNECT_BASE_US;
		c->win = slc_calloc(x->max_unacked, sizeof(*c->win));
		c->bbuf = slc_malloc(x->max_frame);
		c->btries = slc_malloc(x->batch);
		/* an ack of ours has at most one group per record of the frame */
		c->rx_cap = slc_ack_size(x->batch) + 4096;
		c->rx = slc_malloc(c->rx_cap);
		if (c->win == NULL || c->bbuf == NULL || c->btries == NULL || c->rx == NULL)
			return -ENOMEM;
	}
	if (x->gen) {
		x->gbuf = slc_malloc(32 + 64 + x->size);
		if (x->gbuf == NULL)
			return -ENOMEM;
	} else {
		if (sluice_lines_init(&x->lb, CMD, (size_t)SLC_PKEY_MAX + 1 + x->max_frame,
				"the record does not fit in a frame of --max-frame %u bytes",
				x->max_frame) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* One round: timers, input, then poll(2) until a socket, stdin or a timer is ready. */
static int
run_once(struct send_ctx *x, struct pollfd *pfd)
{
	enum pump_result pr = PUMP_DONE;
	uint64_t now = sluice_mono_us(), dl = UINT64_MAX, t;
	unsigned int i, nfd;
	int timeout_ms, r;

	for (i = 0; i < x->nconns && !x->fatal; i++)
		conn_service(x, &x->conns[i], now);
	if (x->fatal)
		return -1;
	pr = input_pump(x, now);
	if (pr == PUMP_FATAL)
		return -1;
	/* Records just taken may have filled a frame: send it now. */
	for (i = 0; i < x->nconns; i++) {
		conn_send(x, &x->conns[i], now);
		t = conn_deadline(x, &x->conns[i]);
		if (t < dl)
			dl = t;
	}
	if (x->input_done) {
		for (i = 0; i < x->nconns; i++)
			if (conn_busy(&x->conns[i]))
				break;
		if (i == x->nconns)
			return 1;
	}
	if (pr == PUMP_WAIT && x->rate != 0 && rate_next_us(x) < dl)
		dl = rate_next_us(x);

	nfd = 0;
	for (i = 0; i < x->nconns; i++) {
		struct conn *c = &x->conns[i];

		pfd[i].fd = c->fd;
		pfd[i].events = 0;
		pfd[i].revents = 0;
		if (c->state == C_CONNECTING)
			pfd[i].events = POLLOUT;
		else if (c->state == C_UP)
			pfd[i].events = POLLIN | (c->sent < c->n ? POLLOUT : 0);
		if (c->fd < 0)
			pfd[i].fd = -1;
	}
	nfd = x->nconns;
	pfd[nfd].fd = pr == PUMP_READ ? STDIN_FILENO : -1;
	pfd[nfd].events = POLLIN;
	pfd[nfd].revents = 0;
	nfd++;

	now = sluice_mono_us();
	if (dl == UINT64_MAX)
		timeout_ms = 1000;
	else if (dl <= now)
		timeout_ms = 0;
	else
		timeout_ms = (int)((dl - now + 999) / 1000 > 1000 ? 1000 : (dl - now + 999) / 1000);
	r = poll(pfd, nfd, timeout_ms);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		sluice_fail(CMD, "poll: %s", strerror(errno));
		return -1;
	}
	now = sluice_mono_us();
	for (i = 0; i < x->nconns; i++) {
		struct conn *c = &x->conns[i];
		short ev = pfd[i].revents;

		if (ev == 0 || pfd[i].fd < 0)
			continue;
		if (c->state == C_CONNECTING) {
			int err = 0;
			socklen_t el = sizeof(err);

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
				err = errno;
			if (err != 0)
				conn_lost(x, c, now, strerror(err));
			else
				conn_up(x, c, now);
			continue;
		}
		if (ev & (POLLIN | POLLHUP | POLLERR)) {
			conn_recv(x, c, now);
			if (x->fatal)
				return -1;
		}
		if (c->state == C_UP && (ev & POLLOUT))
			conn_send(x, c, now);
	}
	if (pfd[x->nconns].revents != 0 && sluice_lines_fill(&x->lb) != 0)
		return -1;
	return 0;
}

int
sluice_cmd_send(int argc, char **argv)
{
	struct send_ctx x = { 0 };
	struct pollfd *pfd = NULL;
	static char obuf[1 << 16];
	double secs;
	int r, rc = SLUICE_EXIT_FAIL;

	r = parse_opts(&x, argc, argv);
	if (r < 0)
		return SLUICE_EXIT_OK;      /* --help */
	if (r != 0)
		return SLUICE_EXIT_USAGE;
	x.summary = stdout;
	if (x.acks_path != NULL) {
		if (strcmp(x.acks_path, "-") == 0) {
			x.acks = stdout;
			x.summary = stderr;
			setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		} else {
			x.acks = fopen(x.acks_path, "w");
			if (x.acks == NULL)
				return sluice_fail(CMD, "--print-acks %s: cannot create: %s",
					x.acks_path, strerror(errno));
		}
	}
	pfd = slc_calloc(x.nconns + 1, sizeof(*pfd));
	if (pfd == NULL || ctx_alloc(&x) != 0) {
		sluice_fail(CMD, "out of memory");
		goto out;
	}
	sluice_catch_signals();

	x.t0_us = sluice_mono_us();
	do {
		r = run_once(&x, pfd);
	} while (r == 0 && !sluice_interrupted);
	secs = (sluice_mono_us() - x.t0_us) / 1e6;

	if (sluice_interrupted)
		sluice_fail(CMD, "interrupted by signal %d", (int)sluice_interrupted);
	if (x.acks != NULL && fflush(x.acks) != 0)
		sluice_fail(CMD, "--print-acks %s: write failed: %s", x.acks_path, strerror(errno));
	else if (r == 1 && !sluice_interrupted && x.acked == x.sent && x.failed == 0 &&
			x.lb.bad == 0)
		rc = SLUICE_EXIT_OK;
	if (rc != SLUICE_EXIT_OK && r == 1 && !sluice_interrupted && x.acked != x.sent)
		sluice_fail(CMD, "%" PRIu64 " of %" PRIu64 " records not acknowledged as stored "
			"(%" PRIu64 " failed)", x.sent - x.acked, x.sent, x.failed);
	if (x.lb.bad > 0)
		sluice_fail(CMD, "%" PRIu64 " bad input lines were skipped", x.lb.bad);
	if (x.msgs_too_big > MAX_ERR_MSGS || x.msgs_retry > MAX_ERR_MSGS ||
			x.msgs_rejected > MAX_ERR_MSGS)
		sluice_fail(CMD, "more failures than the first %d of each kind were not shown",
			MAX_ERR_MSGS);
	if (!x.quiet) {
		fprintf(x.summary, "sent %" PRIu64 " records in %.2f s: %.0f rec/s, %.1f MB/s; "
			"acknowledged %" PRIu64 ", failed %" PRIu64 ", frames %" PRIu64
			" (retransmitted %" PRIu64 "), reconnects %" PRIu64 "\n", x.sent, secs,
			secs > 0 ? x.sent / secs : 0.0, secs > 0 ? x.sent_bytes / secs / 1e6 : 0.0,
			x.acked, x.failed, x.frames, x.retransmitted, x.reconnects);
		fflush(x.summary);
	}
out:
	ctx_free(&x);
	slc_free(pfd);
	if (x.acks != NULL && x.acks != stdout)
		fclose(x.acks);
	return rc;
}
