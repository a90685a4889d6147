/*
 * kernel_tcp_rx: the kernel path of the TCP ingest benchmark (perf/bench_tcp.sh,
 * perf/README.md "TCP ingest"): what sluiced's TCP endpoint does, but on the
 * Linux TCP stack, into the same log library. Set against sluiced it says what
 * kernel bypass buys for TCP.
 *
 * One thread (pinned with --cpu, else wherever the caller's taskset put it)
 * runs an epoll loop over a listening socket and nonblocking connections.
 * Bytes read from a connection are parsed as framed records (lib/frame,
 * docs/frame-format.md): frames back to back on the byte stream, each checked
 * with slc_frame_check(exact = false, the stream's max record size). Every
 * record is routed as sluiced routes it (lib/ingest): hash = the frame hash key,
 * else the record's explicit hash key, else MD5 of its partition key; the key
 * that routed it is stored with it; the shard is looked up in a copy of the
 * stream's shard table; it is appended with one slc_log writer (io_uring,
 * O_DIRECT) that owns every shard. A full log (-ENOBUFS) makes the thread poll
 * the writer until the record is taken (counted as waits): nothing is dropped,
 * the kernel's receive window holds the senders back meanwhile.
 *
 * Acknowledgements as sluiced sends them (slc_frame.h, "acknowledgement
 * frames"): per frame, once every record of it is durable (the writer's
 * per-shard watermarks, its durable callback), an ack with one group per run of
 * records in the same shard with consecutive counters, on the connection the
 * frame came in on, in arrival order. A frame that fails validation gets a
 * REJECTED ack (after the acks of the frames before it) and the connection is
 * closed once that is sent; so does a frame longer than --max-frame.
 *
 * It stops at --records N durable, at --seconds, after --idle-ms without a
 * byte once one came, or on SIGINT/SIGTERM: it stops reading, syncs the writer
 * (slc_log_sync), sends the acks that makes due (up to 2 s), closes, and counts
 * what is really stored by reading every shard back (every block's CRC
 * checked). CPU time is the process's (getrusage: the loop and io_uring's
 * workers; the kernel's receive processing in softirq context is charged to
 * whatever the CPU was running, so perf/bench_tcp.sh also reads the CPU's busy
 * time from /proc/stat).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "kernel_common.h"
#include "perf_util.h"
#include "slc_frame.h"
#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_stream.h"

#define TR_EVENTS 64u
#define TR_READ_BUDGET (256u << 10)    /* bytes read per connection per readiness event */
#define TR_MAX_FRAME_DEF (2u << 20)    /* default --max-frame */
#define TR_ACK_MAX (SLC_ACK_HDR_LEN + 65535u * SLC_ACK_GROUP_LEN + SLC_FRAME_CRC_LEN)
#define TR_IDLE_WAIT_MS 50             /* epoll timeout when nothing is in flight */
#define TR_FLUSH_WAIT_MS 2000          /* at stop: how long unsent acks may take */

/* ---------------------------------------------------------------- options */

struct tr_opts {
	struct in_addr bind;
	int cpu;                       /* -1: do not pin */
	uint32_t max_frame;
	struct krx_opts k;             /* the stream, when to stop */
};

/* ---------------------------------------------------------------- connections */

/* A frame whose ack is owed: its groups are the next n_groups of the connection's. */
struct tr_pend {
	uint32_t frame_id;
	uint16_t count;
	uint16_t n_groups;
	uint8_t error;                 /* enum slc_frame_err: REJECTED ack */
};

struct tr_conn {
	int fd;
	uint32_t id;
	uint8_t *rbuf;                 /* [max_frame]: bytes read, not yet parsed */
	size_t rlen;
	uint8_t *wbuf;                 /* acks encoded, not yet written */
	size_t wlen, woff, wcap;
	struct tr_pend *q;             /* FIFO of frames owed an ack */
	uint32_t qhead, qtail, qcap;
	struct slc_ack_group *g;       /* FIFO of their groups */
	uint32_t ghead, gtail, gcap;
	bool rd_done;                  /* EOF or a rejected frame: read no more */
	bool want_out;                 /* EPOLLOUT registered */
	struct tr_conn *next;          /* list of open connections */
};

struct tr_ctx {
	const struct tr_opts *o;
	struct slc_stream *st;
	struct slc_log_writer *w;
	struct slc_log_shard **sh;     /* [nshards] */
	uint64_t *durable_seq;         /* [nshards]: the writer's watermarks */
	uint64_t *seq0;                /* [nshards]: next counter when opened */
	struct krx_range *ranges;
	uint32_t nranges;
	int ep;
	int lfd;
	struct tr_conn *conns;
	uint32_t next_id;
	bool durable_moved;
	int64_t now_ms;
	int err;
	char errmsg[1024];

	/* counters */
	uint64_t accepted;
	uint64_t closed;
	uint64_t closed_err;           /* a read or write failed (reset by the peer...) */
	uint64_t bytes;                /* stream bytes read */
	uint64_t frames;               /* frames accepted */
	uint64_t frame_drops;          /* frames rejected */
	uint64_t frame_drop[SLC_FRAME_E_MAX];
	uint64_t records;              /* decoded */
	uint64_t data_bytes;           /* record data bytes decoded */
	uint64_t stored;               /* appended */
	uint64_t too_big;
	uint64_t log_errors;
	uint64_t log_waits;            /* appends refused with -ENOBUFS, retried */
	uint64_t acks;                 /* acks encoded */
	uint64_t ack_groups;
	uint64_t ack_bytes_out;        /* written to sockets */
	uint64_t acks_unsent;          /* owed or encoded but never written (at stop) */
	uint64_t first_rx_ns;          /* CLOCK_MONOTONIC, 0 = none yet */
	uint64_t last_rx_ns;
	uint64_t last_durable_ns;
};

static void
on_durable(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
	struct tr_ctx *c = arg;
	uint32_t i = slc_log_shard_index(sh);

	if (next_seq > c->durable_seq[i]) {
		c->durable_seq[i] = next_seq;
		c->durable_moved = true;
		c->last_durable_ns = perf_now_ns(CLOCK_MONOTONIC);
	}
}

static void
poll_writer(struct tr_ctx *c)
{
	int rc = slc_log_poll(c->w, perf_now_ns(CLOCK_MONOTONIC) / 1000);

	if (rc < 0 && c->err == 0) {
		c->err = rc;
		snprintf(c->errmsg, sizeof(c->errmsg), "slc_log_poll: %s", strerror(-rc));
	}
}

static uint64_t
durable_total(const struct tr_ctx *c)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < c->st->nshards; i++)
		if (c->sh[i] != NULL)
			n += c->durable_seq[i] - c->seq0[i];
	return n;
}

/* Grow a FIFO array so that one more element fits at its tail (compacting first). */
static int
fifo_room(void **arr, uint32_t *head, uint32_t *tail, uint32_t *cap, size_t elem)
{
	void *n;
	uint32_t ncap;

	if (*tail < *cap)
		return 0;
	if (*head > 0) {
		memmove(*arr, (uint8_t *)*arr + (size_t)*head * elem, (size_t)(*tail - *head) * elem);
		*tail -= *head;
		*head = 0;
		if (*tail < *cap)
			return 0;
	}
	ncap = *cap ? *cap * 2 : 64;
	n = realloc(*arr, (size_t)ncap * elem);
	if (n == NULL)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int
conn_events(struct tr_ctx *c, struct tr_conn *k)
{
	struct epoll_event ev = { .data.ptr = k };

	ev.events = (k->rd_done ? 0 : EPOLLIN) | (k->want_out ? EPOLLOUT : 0);
	return epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev);
}

static void
conn_close(struct tr_ctx *c, struct tr_conn *k, bool failed)
{
	struct tr_conn **pp;

	for (pp = &c->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	c->acks_unsent += k->qtail - k->qhead;
	if (k->wlen > k->woff)
		c->acks_unsent++;      /* at least one, partly written */
	epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	c->closed++;
	if (failed)
		c->closed_err++;
	free(k->rbuf);
	free(k->wbuf);
	free(k->q);
	free(k->g);
	free(k);
}

/* Write what is encoded. 0, or -1 if the connection failed (and was closed). */
static int
conn_flush(struct tr_ctx *c, struct tr_conn *k)
{
	while (k->woff < k->wlen) {
		ssize_t n = send(k->fd, k->wbuf + k->woff, k->wlen - k->woff, MSG_NOSIGNAL);

		if (n > 0) {
			k->woff += (size_t)n;
			c->ack_bytes_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!k->want_out) {
				k->want_out = true;
				conn_events(c, k);
			}
			return 0;
		}
		conn_close(c, k, true);
		return -1;
	}
	k->woff = k->wlen = 0;
	if (k->want_out) {
		k->want_out = false;
		conn_events(c, k);
	}
	return 0;
}

static int
wbuf_room(struct tr_conn *k, size_t need)
{
	uint8_t *n;
	size_t cap;

	if (k->woff > 0 && k->woff == k->wlen)
		k->woff = k->wlen = 0;
	if (k->wcap - k->wlen >= need)
		return 0;
	if (k->woff > 0) {
		memmove(k->wbuf, k->wbuf + k->woff, k->wlen - k->woff);
		k->wlen -= k->woff;
		k->woff = 0;
		if (k->wcap - k->wlen >= need)
			return 0;
	}
	cap = k->wcap ? k->wcap : 16384;
	while (cap - k->wlen < need)
		cap *= 2;
	n = realloc(k->wbuf, cap);
	if (n == NULL)
		return -ENOMEM;
	k->wbuf = n;
	k->wcap = cap;
	return 0;
}

/*
 * Encode the acks now due on k, in arrival order: an ack is due when every
 * stored group of its frame is under its shard's durable watermark.
 */
static void
conn_acks(struct tr_ctx *c, struct tr_conn *k)
{
	while (k->qhead < k->qtail) {
		struct tr_pend *p = &k->q[k->qhead];
		const struct slc_ack_group *g = &k->g[k->ghead];
		size_t len;
		uint16_t i;

		for (i = 0; i < p->n_groups; i++)
			if (g[i].status == SLC_ACK_R_STORED &&
					c->durable_seq[g[i].shard] < g[i].counter + g[i].n)
				return;
		if (wbuf_room(k, slc_ack_size(p->n_groups)) != 0) {
			c->err = -ENOMEM;
			snprintf(c->errmsg, sizeof(c->errmsg), "out of memory for acks");
			return;
		}
		len = slc_ack_encode(k->wbuf + k->wlen, k->wcap - k->wlen, p->frame_id, p->count,
			p->error, g, p->n_groups);
		if (len == 0) {
			c->err = -EINVAL;
			snprintf(c->errmsg, sizeof(c->errmsg), "slc_ack_encode refused frame %u "
				"(%u records, %u groups)", p->frame_id, p->count, p->n_groups);
			return;
		}
		k->wlen += len;
		c->acks++;
		c->ack_groups += p->n_groups;
		k->ghead += p->n_groups;
		k->qhead++;
	}
	k->qhead = k->qtail = 0;
	k->ghead = k->gtail = 0;
}

/* Encode and write the acks due on k; close it if it is done (read no more, owes nothing). */
static void
conn_service(struct tr_ctx *c, struct tr_conn *k)
{
	conn_acks(c, k);
	if (k->wlen > k->woff && conn_flush(c, k) != 0)
		return;
	if (k->rd_done && k->qhead == k->qtail && k->wlen == k->woff)
		conn_close(c, k, false);
}

static void
all_acks(struct tr_ctx *c)
{
	struct tr_conn *k, *nx;

	for (k = c->conns; k != NULL; k = nx) {
		nx = k->next;
		conn_service(c, k);
	}
}

/* ---------------------------------------------------------------- records */

/* Append one record; returns its group status, *shard and *seq set when stored. */
static uint8_t
append(struct tr_ctx *c, struct slc_record *r, slc_u128 h, uint32_t *shard)
{
	int rc;

	*shard = krx_lookup(c->ranges, c->nranges, h);
	for (;;) {
		rc = slc_log_append(c->sh[*shard], r, c->now_ms);
		if (rc != -ENOBUFS)
			break;
		/* The disk is behind: let the writer complete writes, then try again. */
		c->log_waits++;
		poll_writer(c);
		if (c->err != 0)
			break;
	}
	if (rc == 0) {
		c->stored++;
		return SLC_ACK_R_STORED;
	}
	if (rc == -EINVAL) {
		c->too_big++;
		return SLC_ACK_R_TOO_BIG;
	}
	c->log_errors++;
	return SLC_ACK_R_ERROR;
}

/* Owe k an ack for a frame; groups follow with add_group. */
static struct tr_pend *
owe(struct tr_ctx *c, struct tr_conn *k, uint32_t frame_id, uint16_t count, uint8_t error)
{
	struct tr_pend *p;

	if (fifo_room((void **)&k->q, &k->qhead, &k->qtail, &k->qcap, sizeof(*k->q)) != 0) {
		c->err = -ENOMEM;
		snprintf(c->errmsg, sizeof(c->errmsg), "out of memory for pending acks");
		return NULL;
	}
	p = &k->q[k->qtail++];
	p->frame_id = frame_id;
	p->count = count;
	p->n_groups = 0;
	p->error = error;
	return p;
}

static int
add_group(struct tr_ctx *c, struct tr_conn *k, struct tr_pend *p, uint16_t idx, uint8_t status,
	uint32_t shard, uint64_t seq)
{
	struct slc_ack_group *g;

	if (p->n_groups > 0) {
		g = &k->g[k->gtail - 1];
		if (g->status == status && (status != SLC_ACK_R_STORED ||
				(g->shard == shard && g->counter + g->n == seq))) {
			g->n++;
			return 0;
		}
	}
	/* growing the group FIFO moves k->g only: p (in k->q) stays valid */
	if (fifo_room((void **)&k->g, &k->ghead, &k->gtail, &k->gcap, sizeof(*k->g)) != 0) {
		c->err = -ENOMEM;
		snprintf(c->errmsg, sizeof(c->errmsg), "out of memory for ack groups");
		return -ENOMEM;
	}
	g = &k->g[k->gtail++];
	memset(g, 0, sizeof(*g));
	g->first = idx;
	g->n = 1;
	g->status = status;
	if (status == SLC_ACK_R_STORED) {
		g->shard = shard;
		g->counter = seq;
	}
	p->n_groups++;
	return 0;
}

static void
frame_in(struct tr_ctx *c, struct tr_conn *k, const struct slc_frame_info *fi)
{
	struct slc_frame_iter it;
	struct slc_frame_rec fr;
	struct slc_record r;
	struct tr_pend *p;
	slc_u128 fh = 0, h;
	uint32_t shard = 0;
	uint16_t idx = 0;
	uint8_t status;

	c->frames++;
	p = owe(c, k, fi->frame_id, fi->count, 0);
	if (p == NULL)
		return;
	if (fi->has_hash_key)
		fh = slc_hashkey_from_be(fi->hash_key);
	slc_frame_iter_init(&it, fi);
	while (slc_frame_iter_next(&it, &fr) == 1) {
		h = slc_frame_record(fi, fh, &fr, &r);
		c->records++;
		c->data_bytes += fr.data_len;
		status = append(c, &r, h, &shard);
		if (add_group(c, k, p, idx, status, shard, r.seq) != 0)
			return;
		idx++;
	}
}

/* A frame failed: owe a REJECTED ack, read no more from k. */
static void
reject(struct tr_ctx *c, struct tr_conn *k, const uint8_t *p, size_t avail, enum slc_frame_err e)
{
	c->frame_drops++;
	c->frame_drop[(unsigned)e < SLC_FRAME_E_MAX ? e : 0]++;
	owe(c, k, avail >= SLC_FRAME_HDR_LEN ? (uint32_t)p[12] | (uint32_t)p[13] << 8 |
		(uint32_t)p[14] << 16 | (uint32_t)p[15] << 24 : 0,
		avail >= 8 ? (uint16_t)(p[6] | p[7] << 8) : 0, (uint8_t)e);
	k->rd_done = true;
	conn_events(c, k);
}

/* Parse the frames read so far; keep a partial one at the start of rbuf. */
static void
conn_parse(struct tr_ctx *c, struct tr_conn *k)
{
	uint32_t max_data = c->st->settings.max_record;
	size_t off = 0;

	while (!k->rd_done && k->rlen - off >= SLC_FRAME_MIN_LEN) {
		const uint8_t *p = k->rbuf + off;
		size_t avail = k->rlen - off;
		struct slc_frame_info fi;
		enum slc_frame_err e;

		e = slc_frame_check(p, avail, false, max_data, &fi);
		if (e == SLC_FRAME_E_SHORT) {
			uint32_t length = (uint32_t)p[8] | (uint32_t)p[9] << 8 |
				(uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;

			/* not all there yet: only a frame that can never fit is an error */
			if (memcmp(p, SLC_FRAME_MAGIC, 4) != 0)
				reject(c, k, p, avail, SLC_FRAME_E_MAGIC);
			else if (length > c->o->max_frame)
				reject(c, k, p, avail, SLC_FRAME_E_LENGTH);
			break;
		}
		if (e != SLC_FRAME_OK) {
			reject(c, k, p, avail, e);
			break;
		}
		frame_in(c, k, &fi);
		off += fi.length;
		if (c->err != 0)
			return;
	}
	if (off > 0) {
		memmove(k->rbuf, k->rbuf + off, k->rlen - off);
		k->rlen -= off;
	}
}

static void
conn_read(struct tr_ctx *c, struct tr_conn *k)
{
	size_t budget = TR_READ_BUDGET;

	while (!k->rd_done && budget > 0) {
		size_t room = c->o->max_frame - k->rlen;
		ssize_t n;

		if (room == 0) {
			/* a whole buffer and no complete frame: conn_parse rejects it */
			reject(c, k, k->rbuf, k->rlen, SLC_FRAME_E_LENGTH);
			break;
		}
		n = recv(k->fd, k->rbuf + k->rlen, room < budget ? room : budget, 0);
		if (n > 0) {
			uint64_t mono = perf_now_ns(CLOCK_MONOTONIC);
			struct timespec ts;

			if (c->first_rx_ns == 0)
				c->first_rx_ns = mono;
			c->last_rx_ns = mono;
			clock_gettime(CLOCK_REALTIME, &ts);
			c->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			c->bytes += (uint64_t)n;
			k->rlen += (size_t)n;
			budget -= (size_t)n < budget ? (size_t)n : budget;
			conn_parse(c, k);
			if (c->err != 0)
				return;
			continue;
		}
		if (n == 0) {
			/* the peer's FIN: what is owed is still sent, then we close */
			k->rd_done = true;
			conn_events(c, k);
			conn_service(c, k);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_close(c, k, true);
		return;
	}
}

static void
do_accept(struct tr_ctx *c)
{
	for (;;) {
		struct epoll_event ev;
		struct tr_conn *k;
		int one = 1;
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
					errno != ECONNABORTED)
				fprintf(stderr, "kernel_tcp_rx: accept: %s\n", strerror(errno));
			return;
		}
		k = calloc(1, sizeof(*k));
		if (k != NULL)
			k->rbuf = malloc(c->o->max_frame);
		if (k == NULL || k->rbuf == NULL) {
			fprintf(stderr, "kernel_tcp_rx: out of memory for a connection: closed\n");
			free(k);
			close(fd);
			continue;
		}
		/* acks are small and awaited: do not let Nagle hold them */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		k->fd = fd;
		k->id = c->next_id++;
		ev.events = EPOLLIN;
		ev.data.ptr = k;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			fprintf(stderr, "kernel_tcp_rx: epoll_ctl: %s\n", strerror(errno));
			free(k->rbuf);
			free(k);
			close(fd);
			continue;
		}
		k->next = c->conns;
		c->conns = k;
		c->accepted++;
	}
}

/* ---------------------------------------------------------------- set-up */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: kernel_tcp_rx --port P --data-dir D --stream S --shards K [options]\n"
		"  --port P                 TCP port to listen on\n"
		"  --bind ADDR              IPv4 address to listen on (127.0.0.1; 0.0.0.0: any)\n"
		"  --data-dir D             data directory (disk-backed: O_DIRECT); the stream\n"
		"                           must not exist yet\n"
		"  --stream S               stream to create, with K shards\n"
		"  --shards K               1..4096\n"
		"  --cpu N                  pin the thread to CPU N (default: not pinned)\n"
		"  --max-frame B            longest frame accepted, bytes (2m; k/m = 2^10, 2^20);\n"
		"                           also the receive buffer of each connection\n"
		"  --compression none|deflate   (none)\n"
		"  --durability direct|fsync    (direct)\n"
		"  --records N              stop when N records are durable (k/m/g = 10^3..)\n"
		"  --seconds T              stop after T seconds at most (300)\n"
		"  --idle-ms M              stop M ms after the last byte, once one came\n"
		"  --quiet                  only the RESULT line (and errors)\n"
		"Frames (docs/frame-format.md) back to back on each connection; an ack per frame\n"
		"once its records are durable. Prints \"kernel_tcp_rx: listening on ADDR:P\" when\n"
		"ready, its figures at the end (or on SIGINT/SIGTERM), then one line:\n"
		"RESULT tool=kernel_tcp_rx records_received=.. records_durable=.. seconds=..\n"
		"records_per_s=.. data_MBps=.. cpu_s=.. records_per_cpu_s=.. ...\n");
}

enum {
	OPT_BIND = 256,
	OPT_CPU,
	OPT_MAX_FRAME,
};

static int
parse_args(int argc, char **argv, struct tr_opts *o)
{
	static const struct option lopts[] = {
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
		KRX_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->bind.s_addr = htonl(INADDR_LOOPBACK);
	o->cpu = -1;
	o->max_frame = TR_MAX_FRAME_DEF;
	krx_opts_default(&o->k);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		rc = krx_parse_opt("kernel_tcp_rx", c, optarg, &o->k);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		switch (c) {
		case OPT_BIND:
			if (inet_pton(AF_INET, optarg, &o->bind) != 1) {
				fprintf(stderr, "kernel_tcp_rx: --bind %s: expected an IPv4 address\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_CPU:
			if (perf_parse_u32("kernel_tcp_rx", "cpu", optarg, 1000, 0, CPU_SETSIZE - 1,
					&v) != 0)
				return -EINVAL;
			o->cpu = (int)v;
			break;
		case OPT_MAX_FRAME:
			if (perf_parse_u32("kernel_tcp_rx", "max-frame", optarg, 1024, 4096,
					1u << 30, &o->max_frame) != 0)
				return -EINVAL;
			break;
		default:
			return perf_usage(c == 'h', usage);
		}
	}
	if (perf_no_operands("kernel_tcp_rx", argc, argv, optind) != 0)
		return -EINVAL;
	if (o->k.port == 0 || o->k.data_dir == NULL || o->k.stream == NULL || o->k.shards == 0) {
		fprintf(stderr, "kernel_tcp_rx: --port, --data-dir, --stream and --shards are "
			"required (see --help)\n");
		return -EINVAL;
	}
	return 0;
}

static int
log_setup(struct tr_ctx *c)
{
	const struct slc_stream *st = c->st;
	char err[900];
	uint32_t i;
	int rc;

	c->sh = calloc(st->nshards, sizeof(*c->sh));
	c->durable_seq = calloc(st->nshards, sizeof(*c->durable_seq));
	c->seq0 = calloc(st->nshards, sizeof(*c->seq0));
	c->ranges = calloc(st->nshards, sizeof(*c->ranges));
	if (c->sh == NULL || c->durable_seq == NULL || c->seq0 == NULL || c->ranges == NULL) {
		fprintf(stderr, "kernel_tcp_rx: out of memory\n");
		return -ENOMEM;
	}
	c->nranges = krx_ranges(st, c->ranges);
	rc = krx_log_open(st, c->o->k.data_dir, 0, 1, on_durable, c, &c->w, c->sh, err,
		sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "kernel_tcp_rx: %s\n", err);
		return rc;
	}
	for (i = 0; i < st->nshards; i++) {
		c->seq0[i] = slc_log_shard_next_seq(c->sh[i]);
		c->durable_seq[i] = slc_log_shard_durable_seq(c->sh[i]);
	}
	return 0;
}

static int
open_listener(const struct tr_opts *o)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->k.port),
		.sin_addr = o->bind };
	char ip[INET_ADDRSTRLEN];
	int one = 1;
	int fd;

	inet_ntop(AF_INET, &o->bind, ip, sizeof(ip));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "kernel_tcp_rx: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1024) != 0) {
		fprintf(stderr, "kernel_tcp_rx: listen on %s:%u: %s%s\n", ip, o->k.port,
			strerror(errno), errno == EADDRINUSE ? " (another program has the port: "
			"pick another --port)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/* At stop: everything is durable; send the acks owed for up to TR_FLUSH_WAIT_MS. */
static void
final_acks(struct tr_ctx *c)
{
	uint64_t t0 = perf_now_ns(CLOCK_MONOTONIC);
	struct epoll_event evs[TR_EVENTS];
	struct tr_conn *k;

	for (k = c->conns; k != NULL; k = k->next) {
		if (!k->rd_done) {
			k->rd_done = true;
			conn_events(c, k);
		}
	}
	all_acks(c);
	while (c->conns != NULL && c->err == 0 &&
			perf_now_ns(CLOCK_MONOTONIC) - t0 < TR_FLUSH_WAIT_MS * 1000000ull) {
		int n = epoll_wait(c->ep, evs, TR_EVENTS, 10);
		int i;

		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				continue;
			k = evs[i].data.ptr;
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				conn_close(c, k, true);
				continue;
			}
			conn_flush(c, k);
		}
		all_acks(c);
	}
	while (c->conns != NULL)
		conn_close(c, c->conns, false);
}

int
main(int argc, char **argv)
{
	struct tr_opts o;
	struct tr_ctx ctx;
	struct tr_ctx *c = &ctx;
	struct slc_stream *st = NULL;
	struct epoll_event evs[TR_EVENTS];
	uint64_t start_ns, durable_rd = 0, min_sh = 0, max_sh = 0, durable = 0;
	double cpu0, cpu1, secs, sync_s = 0;
	const char *why = "?";
	char ip[INET_ADDRSTRLEN];
	int lock_fd = -1, rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	rte_log_set_global_level(RTE_LOG_WARNING);
	perf_catch_stop();
	signal(SIGPIPE, SIG_IGN);
	memset(c, 0, sizeof(*c));
	c->o = &o;
	c->ep = -1;
	c->lfd = -1;
	inet_ntop(AF_INET, &o.bind, ip, sizeof(ip));

	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, "kernel_tcp_rx: --cpu %d: sched_setaffinity: %s\n", o.cpu,
				strerror(errno));
			return 1;
		}
	}
	c->lfd = open_listener(&o);
	if (c->lfd < 0)
		goto out;
	if (krx_stream_create("kernel_tcp_rx", &o.k, &st, &lock_fd) != 0)
		goto out;
	c->st = st;
	if (log_setup(c) != 0)
		goto out;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0) {
		fprintf(stderr, "kernel_tcp_rx: epoll_create1: %s\n", strerror(errno));
		goto out;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->lfd, &ev) != 0) {
			fprintf(stderr, "kernel_tcp_rx: epoll_ctl: %s\n", strerror(errno));
			goto out;
		}
	}
	cpu0 = perf_cpu_s();
	start_ns = perf_now_ns(CLOCK_MONOTONIC);
	printf("kernel_tcp_rx: listening on %s:%u (framed, one thread%s), stream %s: %u shards "
		"in %s (compression %s, durability %s)\n", ip, o.k.port,
		o.cpu >= 0 ? ", pinned" : "", o.k.stream, o.k.shards, o.k.data_dir,
		slc_compression_name(o.k.compression), slc_durability_name(o.k.durability));
	fflush(stdout);

	for (;;) {
		uint64_t now;
		bool busy = c->stored > durable_total(c);
		int n, i;

		for (struct tr_conn *k = c->conns; k != NULL && !busy; k = k->next)
			busy = k->qhead < k->qtail;
		n = epoll_wait(c->ep, evs, TR_EVENTS, busy ? 1 : TR_IDLE_WAIT_MS);
		if (n < 0 && errno != EINTR) {
			c->err = -errno;
			snprintf(c->errmsg, sizeof(c->errmsg), "epoll_wait: %s", strerror(errno));
		}
		for (i = 0; i < n && c->err == 0; i++) {
			struct tr_conn *k = evs[i].data.ptr;

			if (k == NULL) {
				do_accept(c);
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				if (conn_flush(c, k) != 0)
					continue;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
				if (!k->rd_done)
					conn_read(c, k);
				else if (evs[i].events & (EPOLLERR | EPOLLHUP))
					conn_close(c, k, true);
			}
			/* k may be closed: the remaining events of this batch name other fds */
		}
		poll_writer(c);
		if (c->durable_moved || c->frame_drops) {
			c->durable_moved = false;
			all_acks(c);
		}
		now = perf_now_ns(CLOCK_MONOTONIC);
		why = krx_stop_reason(&o.k, perf_stop_sig, c->err != 0,
			o.k.records != 0 ? durable_total(c) : 0, start_ns, now, c->last_rx_ns);
		if (why != NULL)
			break;
	}
	/* Stop: no more accepting or reading; everything appended becomes durable. */
	epoll_ctl(c->ep, EPOLL_CTL_DEL, c->lfd, NULL);
	close(c->lfd);
	c->lfd = -1;
	{
		uint64_t t0 = perf_now_ns(CLOCK_MONOTONIC);
		int src = slc_log_sync(c->w);

		sync_s = (double)(perf_now_ns(CLOCK_MONOTONIC) - t0) * 1e-9;
		if (src != 0 && c->err == 0) {
			c->err = src;
			snprintf(c->errmsg, sizeof(c->errmsg), "slc_log_sync: %s", strerror(-src));
		}
	}
	if (c->err == 0)
		final_acks(c);
	while (c->conns != NULL)
		conn_close(c, c->conns, false);
	durable = durable_total(c);
	cpu1 = perf_cpu_s();
	slc_log_writer_free(c->w);
	c->w = NULL;

	rc = 0;
	if (c->err != 0) {
		fprintf(stderr, "kernel_tcp_rx: %s\n", c->errmsg);
		rc = 1;
	}
	if (krx_count_stored("kernel_tcp_rx", st, &durable_rd, &min_sh, &max_sh) != 0)
		rc = 1;
	secs = c->first_rx_ns != 0 && c->last_durable_ns > c->first_rx_ns ?
		(double)(c->last_durable_ns - c->first_rx_ns) * 1e-9 : 0;
	if (!o.k.quiet) {
		printf("kernel_tcp_rx: stopped (%s)\n", why);
		printf("kernel_tcp_rx: %" PRIu64 " connections (%" PRIu64 " closed on an error), %"
			PRIu64 " B read, %" PRIu64 " frames, %" PRIu64 " records decoded (%" PRIu64
			" B of data), %" PRIu64 " appended, %" PRIu64 " durable by the writer, %"
			PRIu64 " read back from the logs (per shard %" PRIu64 "..%" PRIu64 ")\n",
			c->accepted, c->closed_err, c->bytes, c->frames, c->records, c->data_bytes,
			c->stored, durable, durable_rd, min_sh, max_sh);
		printf("kernel_tcp_rx: acks: %" PRIu64 " (%" PRIu64 " groups, %" PRIu64 " B written)"
			", %" PRIu64 " owed but not sent (connection gone)\n", c->acks,
			c->ack_groups, c->ack_bytes_out, c->acks_unsent);
		krx_print_frame_drops("kernel_tcp_rx", "rejected", c->frame_drops, c->frame_drop);
		krx_print_not_stored("kernel_tcp_rx", c->too_big, c->log_errors);
		printf("kernel_tcp_rx: waits: log buffers full %" PRIu64 "\n", c->log_waits);
		printf("kernel_tcp_rx: %.3f s from the first byte to the last record durable "
			"(final sync %.3f s): %.0f records/s, %.1f MB/s of record data; CPU %.3f s "
			"(%.0f records per CPU second)\n", secs, sync_s,
			secs > 0 ? (double)durable_rd / secs : 0,
			secs > 0 ? (double)c->data_bytes / secs / 1e6 : 0, cpu1 - cpu0,
			cpu1 - cpu0 > 0 ? (double)durable_rd / (cpu1 - cpu0) : 0);
	}
	printf("RESULT tool=kernel_tcp_rx records_received=%" PRIu64 " records_durable=%" PRIu64
		" seconds=%.6f records_per_s=%.0f data_bytes=%" PRIu64 " data_MBps=%.2f"
		" stream_bytes=%" PRIu64 " cpu_s=%.3f records_per_cpu_s=%.0f connections=%" PRIu64
		" conn_errors=%" PRIu64 " frames=%" PRIu64 " frame_drops=%" PRIu64 " acks=%" PRIu64
		" acks_unsent=%" PRIu64 " records_stored=%" PRIu64 " log_waits=%" PRIu64
		" shards=%u durability=%s compression=%s stop=%s\n", c->records, durable_rd, secs,
		secs > 0 ? (double)durable_rd / secs : 0, c->data_bytes,
		secs > 0 ? (double)c->data_bytes / secs / 1e6 : 0, c->bytes, cpu1 - cpu0,
		cpu1 - cpu0 > 0 ? (double)durable_rd / (cpu1 - cpu0) : 0, c->accepted,
		c->closed_err, c->frames, c->frame_drops, c->acks, c->acks_unsent, c->stored,
		c->log_waits, o.k.shards, slc_durability_name(o.k.durability),
		slc_compression_name(o.k.compression), why);
	fflush(stdout);
out:
	if (c->w != NULL) {
		slc_log_sync(c->w);
		slc_log_writer_free(c->w);
	}
	while (c->conns != NULL)
		conn_close(c, c->conns, false);
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->ep >= 0)
		close(c->ep);
	free(c->sh);
	free(c->durable_seq);
	free(c->seq0);
	free(c->ranges);
	if (lock_fd >= 0)
		close(lock_fd);
	if (st != NULL)
		slc_stream_close(st);
	return rc;
}
