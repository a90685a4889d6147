/*
 * kernel_rx: the kernel path of the side-by-side benchmarks (perf/run,
 * perf/peers/README.md): what sluiced does, but receiving through kernel UDP
 * sockets instead of DPDK, into the same log library. Set against sluiced it
 * says what kernel bypass buys.
 *
 * It binds T sockets to 127.0.0.1:P with SO_REUSEPORT (the kernel spreads
 * senders over them by their address hash), one thread each, and a large
 * receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF up to rmem_max). Each thread
 * receives bursts of up to 64 datagrams with recvmmsg (blocking for the first,
 * MSG_WAITFORONE, with a 1 ms receive timeout so that the log writer is polled
 * when the line is quiet) and decodes them as sluiced does (lib/ingest):
 *   raw     one datagram = one record, partition key = the sender as text,
 *           "127.0.0.1:40000", hashed with MD5 once per sender (a small cache,
 *           as sluiced's raw-key cache);
 *   framed  slc_frame_check() on the whole datagram (exact length, the
 *           stream's max record size), then every record; routing hash = the
 *           frame hash key, else the record's explicit hash key, else MD5 of its
 *           partition key; the key that routed it is stored as its explicit
 *           hash key, as sluiced stores it.
 * Routing looks the hash up in a copy of the stream's shard table.
 *
 * Ownership is sluiced's (lib/ingest): every thread has one slc_log writer and
 * owns the shards whose index % T is its number; a record for another thread's
 * shard goes to that thread through a single-producer/single-consumer byte ring
 * (record copied; sluiced hands over an mbuf reference instead). Unlike sluiced
 * nothing is dropped for lack of room: a full ring or a log with no free I/O
 * buffer (-ENOBUFS) makes the thread drain its own incoming rings and poll its
 * writer until there is room (counted as waits); meanwhile the kernel queues
 * datagrams in the socket buffer, and drops what does not fit there (counted by
 * the kernel; reported as kernel_drops). With --threads 1 (the default) there
 * is no ring at all.
 *
 * It stops at --records N durable, at --seconds, after --idle-ms without a
 * datagram once one came, or on SIGINT/SIGTERM: every thread stops receiving,
 * drains what the others handed it, syncs its writer (slc_log_sync), frees it.
 * Then the main thread counts what is really stored by reading every shard back
 * with slc_log readers (every block's CRC checked) and reads the sockets' drop
 * counters (/proc/net/udp, matched by inode) before closing them.
 *
 * Threads: main (set-up, stop decisions, counting) and T receivers. A
 * receiver's state (struct rx_thread) is written only by its thread; main reads
 * the few fields it needs through atomics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "kernel_common.h"
#include "perf_util.h"
#include "slc_frame.h"
#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_stream.h"

#define RX_BURST 64u
#define RX_BUF 65536u                  /* per datagram: the largest UDP payload fits */
#define RX_MAX_THREADS 64u
#define RX_RCVBUF (64 << 20)           /* asked; the kernel doubles it for bookkeeping */
#define RX_RING_SIZE (8u << 20)        /* bytes per hand-over ring, power of two */
#define RX_KEYCACHE 4096u              /* raw-key cache entries, power of two */
#define RX_TIMEOUT_US 1000             /* recv timeout: poll the writer this often when idle */

/* ---------------------------------------------------------------- options */

enum rx_mode {
	RX_MODE_RAW,
	RX_MODE_FRAMED,
};

struct rx_opts {
	enum rx_mode mode;
	uint32_t threads;
	struct krx_opts k;             /* the stream, when to stop */
};

/* ---------------------------------------------------------------- hand-over ring */

/*
 * A single-producer/single-consumer ring of variable-size entries. head and tail
 * are byte counts that only grow; an entry never wraps: when it does not fit
 * before the end, a pad entry fills the end and it starts at offset 0.
 */
struct ho_ring {
	uint64_t head __attribute__((aligned(64)));    /* owner: producer */
	uint64_t tail __attribute__((aligned(64)));    /* owner: consumer */
	uint8_t *buf __attribute__((aligned(64)));     /* read-only after set-up */
};

struct ho_hdr {
	uint32_t len;                  /* whole entry, 8-aligned */
	uint32_t shard;                /* UINT32_MAX: pad */
	uint32_t data_len;
	uint16_t key_len;
	uint8_t has_hash_key;
	uint8_t pad;
	int64_t arrival_ms;
	uint8_t hash_key[16];
};

#define HO_PAD UINT32_MAX

static bool
ring_put(struct ho_ring *r, uint32_t shard, const struct slc_record *rec, int64_t arrival_ms)
{
	uint32_t len = (uint32_t)((sizeof(struct ho_hdr) + rec->key_len + rec->data_len + 7) &
		~(size_t)7);
	uint64_t head = r->head;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	uint64_t off = head & (RX_RING_SIZE - 1);
	uint64_t pad = off + len > RX_RING_SIZE ? RX_RING_SIZE - off : 0;
	struct ho_hdr *h;

	if (head + pad + len - tail > RX_RING_SIZE)
		return false;
	if (pad) {
		h = (struct ho_hdr *)(r->buf + off);
		h->len = (uint32_t)pad;
		h->shard = HO_PAD;
		head += pad;
		off = 0;
	}
	h = (struct ho_hdr *)(r->buf + off);
	h->len = len;
	h->shard = shard;
	h->data_len = rec->data_len;
	h->key_len = rec->key_len;
	h->has_hash_key = rec->has_hash_key;
	h->arrival_ms = arrival_ms;
	if (rec->has_hash_key)
		memcpy(h->hash_key, rec->hash_key, 16);
	memcpy(h + 1, rec->key, rec->key_len);
	memcpy((uint8_t *)(h + 1) + rec->key_len, rec->data, rec->data_len);
	__atomic_store_n(&r->head, head + len, __ATOMIC_RELEASE);
	return true;
}

/* ---------------------------------------------------------------- threads */

struct rawkey {
	uint32_t addr;                 /* network order */
	uint16_t port;                 /* network order */
	uint8_t valid;
	uint8_t klen;
	char key[24];
	slc_u128 hash;
};

struct rx_thread {
	/* read-only after set-up */
	uint32_t idx;
	int fd;
	pthread_t tid;
	struct rx_ctx *ctx;
	struct ho_ring **in;           /* [T]: rings from thread s to this one (NULL: self) */
	struct ho_ring **out;          /* [T]: rings from this one to thread d */

	/* owner: this thread */
	struct slc_log_writer *w;
	struct slc_log_shard **sh;     /* [nshards], NULL where another thread owns it */
	uint64_t *durable_seq;         /* [nshards] */
	struct rawkey *keycache;
	uint8_t *bufs;
	struct mmsghdr msgs[RX_BURST];
	struct iovec iov[RX_BURST];
	struct sockaddr_in src[RX_BURST];
	struct krx_range *ranges;
	uint32_t nranges;
	int64_t now_ms;
	uint64_t datagrams;
	uint64_t bytes;
	uint64_t records;              /* decoded */
	uint64_t stored;               /* appended */
	uint64_t frame_drops;
	uint64_t frame_drop[SLC_FRAME_E_MAX];
	uint64_t too_big;              /* data over the stream's max record */
	uint64_t log_errors;
	uint64_t log_waits;            /* appends refused with -ENOBUFS, retried */
	uint64_t ring_waits;
	uint64_t handed_out;
	uint64_t handed_in;
	uint64_t first_rx_ns;          /* CLOCK_MONOTONIC, 0 = none yet */
	double sync_s;
	int err;                       /* -errno of a failure */
	char errmsg[1024];

	/* written by this thread, read by main */
	uint64_t durable __attribute__((aligned(64)));   /* records durable, its shards */
	uint64_t last_rx_ns;           /* atomically */
	uint64_t last_durable_ns;      /* atomically */
	uint32_t ready;                /* 1 ready, 2 failed */
} __attribute__((aligned(64)));

struct rx_ctx {
	const struct rx_opts *o;
	struct slc_stream *st;
	struct rx_thread *th;
	uint32_t stop;                 /* main sets it */
	uint32_t stopped_rx;           /* threads that stopped receiving */
};

static void
on_durable(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
	struct rx_thread *t = arg;
	uint32_t i = slc_log_shard_index(sh);

	/* A fresh stream: counters start at 0, so next_seq is the shard's durable count. */
	if (next_seq > t->durable_seq[i]) {
		__atomic_store_n(&t->durable, t->durable + next_seq - t->durable_seq[i],
			__ATOMIC_RELEASE);
		t->durable_seq[i] = next_seq;
		__atomic_store_n(&t->last_durable_ns, perf_now_ns(CLOCK_MONOTONIC), __ATOMIC_RELAXED);
	}
}

static void
poll_writer(struct rx_thread *t)
{
	int rc = slc_log_poll(t->w, perf_now_ns(CLOCK_MONOTONIC) / 1000);

	if (rc < 0 && t->err == 0) {
		t->err = rc;
		snprintf(t->errmsg, sizeof(t->errmsg), "thread %u: slc_log_poll: %s", t->idx,
			strerror(-rc));
	}
}

static void
append_local(struct rx_thread *t, uint32_t shard, struct slc_record *r, int64_t arrival_ms)
{
	int rc;

	for (;;) {
		rc = slc_log_append(t->sh[shard], r, arrival_ms);
		if (rc != -ENOBUFS)
			break;
		/* The disk is behind: let the writer complete writes, then try again. */
		t->log_waits++;
		poll_writer(t);
		if (t->err != 0)
			break;
	}
	if (rc == 0)
		t->stored++;
	else
		t->log_errors++;
}

static void drain_in(struct rx_thread *t);

static void
route(struct rx_thread *t, struct slc_record *r, slc_u128 h)
{
	const struct rx_opts *o = t->ctx->o;
	uint32_t shard, owner;

	t->records++;
	if (r->data_len > t->ctx->st->settings.max_record) {
		t->too_big++;
		return;
	}
	shard = krx_lookup(t->ranges, t->nranges, h);
	owner = shard % o->threads;
	if (owner == t->idx) {
		append_local(t, shard, r, t->now_ms);
		return;
	}
	while (!ring_put(t->out[owner], shard, r, t->now_ms)) {
		/* The owner is behind: do our own share meanwhile (no deadlock). */
		t->ring_waits++;
		drain_in(t);
		poll_writer(t);
		if (t->err != 0)
			return;
		if (__atomic_load_n(&t->ctx->th[owner].err, __ATOMIC_RELAXED) != 0) {
			t->log_errors++;       /* the owner failed and takes nothing more */
			return;
		}
	}
	t->handed_out++;
}

/* Take what other threads handed us and append it. */
static void
drain_in(struct rx_thread *t)
{
	uint32_t s;

	for (s = 0; s < t->ctx->o->threads; s++) {
		struct ho_ring *r = t->in[s];
		uint64_t tail, head;

		if (r == NULL)
			continue;
		tail = r->tail;
		head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		while (tail != head) {
			const struct ho_hdr *h = (const struct ho_hdr *)(r->buf +
				(tail & (RX_RING_SIZE - 1)));
			struct slc_record rec;

			if (h->shard != HO_PAD) {
				rec.key = h + 1;
				rec.key_len = h->key_len;
				rec.data = (const uint8_t *)(h + 1) + h->key_len;
				rec.data_len = h->data_len;
				rec.has_hash_key = h->has_hash_key != 0;
				if (rec.has_hash_key)
					memcpy(rec.hash_key, h->hash_key, 16);
				t->handed_in++;
				append_local(t, h->shard, &rec, h->arrival_ms);
			}
			tail += h->len;
		}
		__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	}
}

static bool
rings_empty(struct rx_thread *t)
{
	uint32_t s;

	for (s = 0; s < t->ctx->o->threads; s++)
		if (t->in[s] != NULL &&
				__atomic_load_n(&t->in[s]->head, __ATOMIC_ACQUIRE) != t->in[s]->tail)
			return false;
	return true;
}

/* "a.b.c.d:port" as sluiced's slc_pkt_src_key writes it, and its MD5, cached. */
static const struct rawkey *
raw_key(struct rx_thread *t, const struct sockaddr_in *sa)
{
	uint32_t h = (ntohs(sa->sin_port) * 0x9e3779b1u) ^ (sa->sin_addr.s_addr * 0x85ebca6bu);
	struct rawkey *e = &t->keycache[(h >> 16 ^ h) & (RX_KEYCACHE - 1)];
	char ip[INET_ADDRSTRLEN];
	int n;

	if (e->valid && e->addr == sa->sin_addr.s_addr && e->port == sa->sin_port)
		return e;
	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	n = snprintf(e->key, sizeof(e->key), "%s:%u", ip, ntohs(sa->sin_port));
	e->klen = (uint8_t)n;
	e->hash = slc_hashkey_md5(e->key, (size_t)n);
	e->addr = sa->sin_addr.s_addr;
	e->port = sa->sin_port;
	e->valid = 1;
	return e;
}

static void
rx_raw(struct rx_thread *t, const uint8_t *p, uint32_t len, const struct sockaddr_in *sa)
{
	const struct rawkey *k = raw_key(t, sa);
	struct slc_record r;

	r.key = k->key;
	r.key_len = k->klen;
	r.data = p;
	r.data_len = len;
	r.has_hash_key = false;
	route(t, &r, k->hash);
}

static void
rx_framed(struct rx_thread *t, const uint8_t *p, uint32_t len)
{
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec fr;
	struct slc_record r;
	enum slc_frame_err err;
	slc_u128 fh = 0, h;

	err = slc_frame_check(p, len, true, t->ctx->st->settings.max_record, &fi);
	if (err != SLC_FRAME_OK) {
		t->frame_drops++;
		t->frame_drop[(unsigned)err < SLC_FRAME_E_MAX ? err : 0]++;
		return;
	}
	if (fi.has_hash_key)
		fh = slc_hashkey_from_be(fi.hash_key);
	slc_frame_iter_init(&it, &fi);
	while (slc_frame_iter_next(&it, &fr) == 1) {
		h = slc_frame_record(&fi, fh, &fr, &r);
		route(t, &r, h);
	}
}

static int
thread_setup(struct rx_thread *t)
{
	struct rx_ctx *ctx = t->ctx;
	const struct slc_stream *st = ctx->st;
	char err[900];
	uint32_t i;
	int rc;

	t->sh = calloc(st->nshards, sizeof(*t->sh));
	t->durable_seq = calloc(st->nshards, sizeof(*t->durable_seq));
	t->ranges = calloc(st->nshards, sizeof(*t->ranges));
	t->keycache = calloc(RX_KEYCACHE, sizeof(*t->keycache));
	t->bufs = malloc((size_t)RX_BURST * RX_BUF);
	if (t->sh == NULL || t->durable_seq == NULL || t->ranges == NULL ||
			t->keycache == NULL || t->bufs == NULL) {
		snprintf(t->errmsg, sizeof(t->errmsg), "thread %u: out of memory", t->idx);
		return -ENOMEM;
	}
	t->nranges = krx_ranges(st, t->ranges);
	for (i = 0; i < RX_BURST; i++) {
		t->iov[i].iov_base = t->bufs + (size_t)i * RX_BUF;
		t->iov[i].iov_len = RX_BUF;
		memset(&t->msgs[i], 0, sizeof(t->msgs[i]));
		t->msgs[i].msg_hdr.msg_iov = &t->iov[i];
		t->msgs[i].msg_hdr.msg_iovlen = 1;
		t->msgs[i].msg_hdr.msg_name = &t->src[i];
		t->msgs[i].msg_hdr.msg_namelen = sizeof(t->src[i]);
	}
	rc = krx_log_open(st, ctx->o->k.data_dir, t->idx, ctx->o->threads, on_durable, t, &t->w,
		t->sh, err, sizeof(err));
	if (rc != 0)
		snprintf(t->errmsg, sizeof(t->errmsg), "thread %u: %s", t->idx, err);
	return rc;
}

static void *
thread_main(void *arg)
{
	struct rx_thread *t = arg;
	struct rx_ctx *ctx = t->ctx;
	uint64_t t0;
	int n, i, rc;

	rc = thread_setup(t);
	if (rc != 0) {
		t->err = rc;
		if (t->w != NULL)
			slc_log_writer_free(t->w);
		t->w = NULL;
		/* the others wait for every thread to stop receiving before they sync */
		__atomic_add_fetch(&ctx->stopped_rx, 1, __ATOMIC_ACQ_REL);
		__atomic_store_n(&t->ready, 2, __ATOMIC_RELEASE);
		return NULL;
	}
	__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);

	while (!__atomic_load_n(&ctx->stop, __ATOMIC_ACQUIRE) && t->err == 0) {
		n = recvmmsg(t->fd, t->msgs, RX_BURST, MSG_WAITFORONE, NULL);
		if (n > 0) {
			struct timespec ts;
			uint64_t mono = perf_now_ns(CLOCK_MONOTONIC);

			clock_gettime(CLOCK_REALTIME, &ts);
			t->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			if (t->first_rx_ns == 0)
				t->first_rx_ns = mono;
			for (i = 0; i < n; i++) {
				const uint8_t *p = t->iov[i].iov_base;
				uint32_t len = t->msgs[i].msg_len;

				t->datagrams++;
				t->bytes += len;
				if (ctx->o->mode == RX_MODE_RAW)
					rx_raw(t, p, len, &t->src[i]);
				else
					rx_framed(t, p, len);
				/* recvmmsg wrote the name length back: restore it */
				t->msgs[i].msg_hdr.msg_namelen = sizeof(t->src[i]);
			}
			__atomic_store_n(&t->last_rx_ns, mono, __ATOMIC_RELAXED);
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			t->err = -errno;
			snprintf(t->errmsg, sizeof(t->errmsg), "thread %u: recvmmsg: %s", t->idx,
				strerror(errno));
			break;
		}
		drain_in(t);
		poll_writer(t);
	}
	/* Stop: no more receiving; take what the others still hand over, then sync. */
	__atomic_add_fetch(&ctx->stopped_rx, 1, __ATOMIC_ACQ_REL);
	while (t->err == 0 && (__atomic_load_n(&ctx->stopped_rx, __ATOMIC_ACQUIRE) <
			ctx->o->threads || !rings_empty(t))) {
		drain_in(t);
		poll_writer(t);
	}
	t0 = perf_now_ns(CLOCK_MONOTONIC);
	rc = slc_log_sync(t->w);
	t->sync_s = (double)(perf_now_ns(CLOCK_MONOTONIC) - t0) * 1e-9;
	if (rc != 0 && t->err == 0) {
		t->err = rc;
		snprintf(t->errmsg, sizeof(t->errmsg), "thread %u: slc_log_sync: %s", t->idx,
			strerror(-rc));
	}
	slc_log_writer_free(t->w);
	t->w = NULL;
	free(t->bufs);
	t->bufs = NULL;
	return NULL;
}

/* ---------------------------------------------------------------- kernel counters */

/* Udp: RcvbufErrors and InErrors of /proc/net/snmp (system-wide). */
static int
snmp_udp(uint64_t *rcvbuf_errors, uint64_t *in_errors)
{
	char names[1024], vals[1024];
	char *sn, *sv, *tn, *tv;
	FILE *f = fopen("/proc/net/snmp", "r");
	int found = -ENOENT;

	if (f == NULL)
		return -errno;
	while (fgets(names, sizeof(names), f) != NULL) {
		if (strncmp(names, "Udp:", 4) != 0)
			continue;
		if (fgets(vals, sizeof(vals), f) == NULL)
			break;
		tn = strtok_r(names, " \n", &sn);
		tv = strtok_r(vals, " \n", &sv);
		while (tn != NULL && tv != NULL) {
			if (!strcmp(tn, "RcvbufErrors")) {
				*rcvbuf_errors = strtoull(tv, NULL, 10);
				found = 0;
			} else if (!strcmp(tn, "InErrors")) {
				*in_errors = strtoull(tv, NULL, 10);
			}
			tn = strtok_r(NULL, " \n", &sn);
			tv = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return found;
}

/*
 * The "drops" column of /proc/net/udp (datagrams the kernel dropped for lack of
 * room in that socket, sk_drops) and the bytes still queued, summed over our
 * sockets (matched by inode).
 */
static int
socket_drops(const ino_t *inodes, uint32_t n, uint64_t *drops, uint64_t *queued)
{
	char line[512];
	FILE *f = fopen("/proc/net/udp", "r");
	uint32_t matched = 0, i;

	if (f == NULL)
		return -errno;
	*drops = 0;
	*queued = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tok[16], *sp;
		int k = 0;

		for (char *x = strtok_r(line, " \n", &sp); x != NULL && k < 16;
				x = strtok_r(NULL, " \n", &sp))
			tok[k++] = x;
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
		if (k < 13 || strcmp(tok[0], "sl") == 0)
			continue;
		for (i = 0; i < n; i++) {
			if ((ino_t)strtoull(tok[9], NULL, 10) != inodes[i])
				continue;
			*drops += strtoull(tok[12], NULL, 10);
			*queued += strtoull(strchr(tok[4], ':') ? strchr(tok[4], ':') + 1 : "0",
				NULL, 16);
			matched++;
		}
	}
	fclose(f);
	return matched == n ? 0 : -ENOENT;
}

/* ---------------------------------------------------------------- set-up */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: kernel_rx --port P --mode raw|framed --data-dir D --stream S --shards K [options]\n"
		"  --port P                 UDP port on 127.0.0.1\n"
		"  --mode raw|framed        one record per datagram (key = sender ip:port), or\n"
		"                           frames of the framed format v1\n"
		"  --data-dir D             data directory (disk-backed: O_DIRECT); the stream\n"
		"                           must not exist yet\n"
		"  --stream S               stream to create, with K shards\n"
		"  --shards K               1..4096\n"
		"  --threads T              SO_REUSEPORT sockets, one thread and log writer each;\n"
		"                           thread t owns the shards whose index %% T is t (1)\n"
		"  --compression none|deflate   (none)\n"
		"  --durability direct|fsync    (direct)\n"
		"  --records N              stop when N records are durable (k/m/g = 10^3..)\n"
		"  --seconds T              stop after T seconds at most (300)\n"
		"  --idle-ms M              stop M ms after the last datagram, once one came\n"
		"  --quiet                  only the RESULT line (and errors)\n"
		"Prints \"kernel_rx: listening on 127.0.0.1:P\" when ready, its figures at the end,\n"
		"then one line: RESULT tool=kernel_rx records_received=.. records_durable=..\n"
		"kernel_drops=.. seconds=.. records_per_s=.. cpu_s=.. ...\n");
}

enum {
	OPT_MODE = 256,
	OPT_THREADS,
};

static int
parse_args(int argc, char **argv, struct rx_opts *o)
{
	static const struct option lopts[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "threads", required_argument, NULL, OPT_THREADS },
		KRX_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	bool have_mode = false;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->threads = 1;
	krx_opts_default(&o->k);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		rc = krx_parse_opt("kernel_rx", c, optarg, &o->k);
		if (rc < 0)
			return rc;
		if (rc > 0)
			continue;
		switch (c) {
		case OPT_MODE:
			if (!strcmp(optarg, "raw")) {
				o->mode = RX_MODE_RAW;
			} else if (!strcmp(optarg, "framed")) {
				o->mode = RX_MODE_FRAMED;
			} else {
				fprintf(stderr, "kernel_rx: --mode %s: expected raw or framed\n",
					optarg);
				return -EINVAL;
			}
			have_mode = true;
			break;
		case OPT_THREADS:
			if (perf_parse_u32("kernel_rx", "threads",
					optarg, 1000, 1, RX_MAX_THREADS, &o->threads) != 0)
				return -EINVAL;
			break;
		default:
			return perf_usage(c == 'h', usage);
		}
	}
	if (perf_no_operands("kernel_rx", argc, argv, optind) != 0)
		return -EINVAL;
	if (o->k.port == 0 || !have_mode || o->k.data_dir == NULL || o->k.stream == NULL ||
			o->k.shards == 0) {
		fprintf(stderr, "kernel_rx: --port, --mode, --data-dir, --stream and --shards "
			"are required (see --help)\n");
		return -EINVAL;
	}
	return 0;
}

static int
open_socket(const struct rx_opts *o, int *rcvbuf_out, ino_t *ino)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o->k.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = RX_TIMEOUT_US };
	int one = 1, rb = RX_RCVBUF;
	socklen_t sl = sizeof(*rcvbuf_out);
	struct stat sb;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "kernel_rx: socket: %s\n", strerror(errno));
		return -1;
	}
	/* SO_RCVBUFFORCE passes rmem_max (root); plain SO_RCVBUF is capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf_out, &sl);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		fprintf(stderr, "kernel_rx: setsockopt: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "kernel_rx: bind 127.0.0.1:%u: %s%s\n", o->k.port, strerror(errno),
			errno == EADDRINUSE ? " (another program has the port: pick another "
			"--port)" : "");
		close(fd);
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		fprintf(stderr, "kernel_rx: fstat(socket): %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	*ino = sb.st_ino;
	return fd;
}

int
main(int argc, char **argv)
{
	struct rx_opts o;
	struct rx_ctx ctx;
	struct rx_thread *th = NULL;
	struct ho_ring *rings = NULL;
	struct slc_stream *st = NULL;
	ino_t inodes[RX_MAX_THREADS];
	uint64_t snmp_rb0 = 0, snmp_in0 = 0, snmp_rb1 = 0, snmp_in1 = 0;
	uint64_t drops = 0, queued = 0, durable_rd = 0, min_sh = 0, max_sh = 0;
	uint64_t start_ns, first_ns = 0, last_durable = 0, last_rx = 0, durable = 0;
	uint64_t datagrams = 0, bytes = 0, recs = 0, stored = 0, fdrops = 0, too_big = 0;
	uint64_t log_err = 0, log_waits = 0, ring_waits = 0, hand = 0;
	uint64_t fdrop[SLC_FRAME_E_MAX] = { 0 };
	double cpu0, cpu1, secs, max_sync = 0;
	const char *why = "?";
	int lock_fd = -1, rcvbuf = 0, snmp_ok, drops_ok, rc = 1;
	uint32_t i, s, started = 0;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	rte_log_set_global_level(RTE_LOG_WARNING);
	perf_catch_stop();
	memset(&ctx, 0, sizeof(ctx));
	ctx.o = &o;

	/*
	 * SO_REUSEPORT would let our sockets join a group another process of this user
	 * already has on the port (and split its traffic): bind once without it first.
	 */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o.k.port),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) != 0) {
			fprintf(stderr, "kernel_rx: bind 127.0.0.1:%u: %s%s\n", o.k.port,
				strerror(errno), errno == EADDRINUSE ? " (another program has the "
				"port: pick another --port)" : "");
			if (probe >= 0)
				close(probe);
			goto out;
		}
		close(probe);
	}
	if (krx_stream_create("kernel_rx", &o.k, &st, &lock_fd) != 0)
		goto out;
	ctx.st = st;
	th = aligned_alloc(64, sizeof(*th) * o.threads);
	if (th == NULL) {
		fprintf(stderr, "kernel_rx: out of memory\n");
		goto out;
	}
	memset(th, 0, sizeof(*th) * o.threads);
	ctx.th = th;
	for (i = 0; i < o.threads; i++)
		th[i].fd = -1;
	/* Every socket is bound before any thread runs: the reuseport group is complete. */
	for (i = 0; i < o.threads; i++) {
		th[i].idx = i;
		th[i].ctx = &ctx;
		th[i].fd = open_socket(&o, &rcvbuf, &inodes[i]);
		if (th[i].fd < 0)
			goto out;
		th[i].in = calloc(o.threads, sizeof(*th[i].in));
		th[i].out = calloc(o.threads, sizeof(*th[i].out));
		if (th[i].in == NULL || th[i].out == NULL) {
			fprintf(stderr, "kernel_rx: out of memory\n");
			goto out;
		}
	}
	if (o.threads > 1) {
		rings = aligned_alloc(64, sizeof(*rings) * o.threads * o.threads);
		if (rings == NULL) {
			fprintf(stderr, "kernel_rx: out of memory\n");
			goto out;
		}
		memset(rings, 0, sizeof(*rings) * o.threads * o.threads);
		for (s = 0; s < o.threads; s++) {
			for (i = 0; i < o.threads; i++) {
				struct ho_ring *r = &rings[s * o.threads + i];

				if (s == i)
					continue;
				r->buf = aligned_alloc(64, RX_RING_SIZE);
				if (r->buf == NULL) {
					fprintf(stderr, "kernel_rx: out of memory for the "
						"hand-over rings\n");
					goto out;
				}
				th[s].out[i] = r;
				th[i].in[s] = r;
			}
		}
	}
	snmp_ok = snmp_udp(&snmp_rb0, &snmp_in0);
	for (i = 0; i < o.threads; i++) {
		if (pthread_create(&th[i].tid, NULL, thread_main, &th[i]) != 0) {
			fprintf(stderr, "kernel_rx: cannot start thread %u\n", i);
			__atomic_store_n(&ctx.stop, 1, __ATOMIC_RELEASE);
			break;
		}
		started++;
	}
	/* threads that never started count as stopped, or the others would wait for them */
	__atomic_add_fetch(&ctx.stopped_rx, o.threads - started, __ATOMIC_ACQ_REL);
	for (i = 0; i < started; i++) {
		uint32_t r;

		while ((r = __atomic_load_n(&th[i].ready, __ATOMIC_ACQUIRE)) == 0)
			usleep(1000);
		if (r == 2) {
			fprintf(stderr, "kernel_rx: %s\n", th[i].errmsg);
			__atomic_store_n(&ctx.stop, 1, __ATOMIC_RELEASE);
		}
	}
	if (started < o.threads || __atomic_load_n(&ctx.stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < started; i++)
			pthread_join(th[i].tid, NULL);
		goto out;
	}
	cpu0 = perf_cpu_s();
	start_ns = perf_now_ns(CLOCK_MONOTONIC);
	printf("kernel_rx: listening on 127.0.0.1:%u (%s, %u thread%s, SO_RCVBUF %d B), "
		"stream %s: %u shards in %s (compression %s, durability %s)\n", o.k.port,
		o.mode == RX_MODE_RAW ? "raw" : "framed", o.threads, o.threads > 1 ? "s" : "",
		rcvbuf, o.k.stream, o.k.shards, o.k.data_dir, slc_compression_name(o.k.compression),
		slc_durability_name(o.k.durability));
	fflush(stdout);

	/* Decide when to stop; the threads do the work. */
	for (;;) {
		uint64_t now = perf_now_ns(CLOCK_MONOTONIC);
		bool any_err = false;

		durable = 0;
		last_rx = 0;
		for (i = 0; i < o.threads; i++) {
			uint64_t l = __atomic_load_n(&th[i].last_rx_ns, __ATOMIC_RELAXED);

			durable += __atomic_load_n(&th[i].durable, __ATOMIC_ACQUIRE);
			if (l > last_rx)
				last_rx = l;
			if (__atomic_load_n(&th[i].err, __ATOMIC_RELAXED) != 0)
				any_err = true;
		}
		why = krx_stop_reason(&o.k, perf_stop_sig, any_err, durable, start_ns, now,
			last_rx);
		if (why != NULL)
			break;
		usleep(2000);
	}
	__atomic_store_n(&ctx.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < o.threads; i++)
		pthread_join(th[i].tid, NULL);
	cpu1 = perf_cpu_s();
	drops_ok = socket_drops(inodes, o.threads, &drops, &queued);
	if (snmp_ok == 0)
		snmp_ok = snmp_udp(&snmp_rb1, &snmp_in1);

	rc = 0;
	durable = 0;
	for (i = 0; i < o.threads; i++) {
		struct rx_thread *t = &th[i];

		if (t->err != 0) {
			fprintf(stderr, "kernel_rx: %s\n", t->errmsg);
			rc = 1;
		}
		datagrams += t->datagrams;
		bytes += t->bytes;
		recs += t->records;
		stored += t->stored;
		fdrops += t->frame_drops;
		for (s = 0; s < SLC_FRAME_E_MAX; s++)
			fdrop[s] += t->frame_drop[s];
		too_big += t->too_big;
		log_err += t->log_errors;
		log_waits += t->log_waits;
		ring_waits += t->ring_waits;
		hand += t->handed_out;
		durable += t->durable;
		if (t->first_rx_ns != 0 && (first_ns == 0 || t->first_rx_ns < first_ns))
			first_ns = t->first_rx_ns;
		if (t->last_durable_ns > last_durable)
			last_durable = t->last_durable_ns;
		if (t->sync_s > max_sync)
			max_sync = t->sync_s;
	}
	for (i = 0; i < o.threads; i++) {
		close(th[i].fd);
		th[i].fd = -1;
	}
	if (krx_count_stored("kernel_rx", st, &durable_rd, &min_sh, &max_sh) != 0)
		rc = 1;
	secs = first_ns != 0 && last_durable > first_ns ? (double)(last_durable - first_ns) * 1e-9 :
		0;
	if (!o.k.quiet) {
		printf("kernel_rx: stopped (%s)\n", why);
		printf("kernel_rx: %" PRIu64 " datagrams (%" PRIu64 " B), %" PRIu64 " records "
			"decoded, %" PRIu64 " appended, %" PRIu64 " durable by the writers, %" PRIu64
			" read back from the logs (per shard %" PRIu64 "..%" PRIu64 ")\n", datagrams,
			bytes, recs, stored, durable, durable_rd, min_sh, max_sh);
		krx_print_frame_drops("kernel_rx", "dropped", fdrops, fdrop);
		krx_print_not_stored("kernel_rx", too_big, log_err);
		printf("kernel_rx: waits: log buffers full %" PRIu64 ", hand-over ring full %"
			PRIu64 "; %" PRIu64 " records handed to another thread\n", log_waits,
			ring_waits, hand);
		if (drops_ok == 0)
			printf("kernel_rx: kernel drops on our sockets (/proc/net/udp): %" PRIu64
				"; %" PRIu64 " B were still queued at stop\n", drops, queued);
		else
			printf("kernel_rx: could not read our sockets' drop counters from "
				"/proc/net/udp\n");
		if (snmp_ok == 0)
			printf("kernel_rx: system-wide UDP RcvbufErrors +%" PRIu64 ", InErrors +%"
				PRIu64 " (other programs' sockets included)\n", snmp_rb1 - snmp_rb0,
				snmp_in1 - snmp_in0);
		printf("kernel_rx: %.3f s from the first datagram to the last record durable "
			"(final sync %.3f s): %.0f records/s; CPU %.3f s (%.0f records per CPU "
			"second)\n", secs, max_sync, secs > 0 ? (double)durable_rd / secs : 0,
			cpu1 - cpu0, cpu1 - cpu0 > 0 ? (double)durable_rd / (cpu1 - cpu0) : 0);
	}
	printf("RESULT tool=kernel_rx records_received=%" PRIu64 " records_durable=%" PRIu64
		" kernel_drops=%" PRIu64 " seconds=%.6f records_per_s=%.0f cpu_s=%.3f"
		" datagrams=%" PRIu64 " records_stored=%" PRIu64 " frame_drops=%" PRIu64
		" system_rcvbuf_errors=%" PRIu64 " records_per_cpu_s=%.0f threads=%u shards=%u"
		" mode=%s durability=%s compression=%s stop=%s\n", recs, durable_rd,
		drops_ok == 0 ? drops : UINT64_MAX, secs,
		secs > 0 ? (double)durable_rd / secs : 0, cpu1 - cpu0, datagrams, stored, fdrops,
		snmp_ok == 0 ? snmp_rb1 - snmp_rb0 : 0,
		cpu1 - cpu0 > 0 ? (double)durable_rd / (cpu1 - cpu0) : 0, o.threads, o.k.shards,
		o.mode == RX_MODE_RAW ? "raw" : "framed", slc_durability_name(o.k.durability),
		slc_compression_name(o.k.compression), why);
	fflush(stdout);
	if (drops_ok != 0)
		rc = 1;
out:
	if (th != NULL) {
		for (i = 0; i < o.threads; i++) {
			if (th[i].fd >= 0)
				close(th[i].fd);
			free(th[i].sh);
			free(th[i].durable_seq);
			free(th[i].ranges);
			free(th[i].keycache);
			free(th[i].bufs);
			free(th[i].in);
			free(th[i].out);
		}
		free(th);
	}
	if (rings != NULL) {
		for (i = 0; i < o.threads * o.threads; i++)
			free(rings[i].buf);
		free(rings);
	}
	if (lock_fd >= 0)
		close(lock_fd);
	if (st != NULL)
		slc_stream_close(st);
	return rc;
}
