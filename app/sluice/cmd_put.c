/*
 * sluice put: append records read from stdin to a stream, one record per line,
 * "partition_key<TAB>data" (data is the rest of the line after the first tab,
 * without the newline, and may hold tabs).
 *
 * This is the single writer of the stream for as long as it runs: it takes the
 * stream's writer lock, opens every open shard on one log writer (recovering
 * each shard's tail) and appends from this one thread. Input is read with
 * read(2) into one buffer large enough for the longest valid line, so lines are
 * parsed in place and a line that cannot be valid is skipped without holding it
 * in memory (lines.c, shared with `sluice send`). When no input is ready but
 * records are still waiting to become durable, the loop polls the writer about
 * every millisecond (so a slow producer still sees its records stored within the
 * linger time) instead of blocking in read(2).
 *
 * The tool never drops a valid record: when the writer has no free I/O buffer
 * (-ENOBUFS, the disk is behind) it polls the writer until a buffer comes back
 * and appends again. A bad line is reported with its line number and skipped.
 *
 * --print-seq prints each stored record's shard and sequence number in input
 * order, and only once the record is durable: stored records wait in a FIFO of
 * (shard, counter), and the head is printed while its shard's durability
 * watermark (reported by the writer's callback) has passed its counter.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "put"

#define POLL_EVERY 1024          /* records between writer polls while input flows */
#define IDLE_POLL_MS 1           /* poll(2) timeout while records wait for durability */
#define ENOBUFS_SPINS 2000       /* fruitless polls before falling back to slc_log_sync */

void
sluice_usage_put(FILE *f)
{
	fprintf(f,
		"usage: sluice put --data-dir DIR --stream NAME [options] < lines\n"
		"\n"
		"Append one record per input line \"partition_key<TAB>data\": the key is the text\n"
		"before the first tab (1..256 bytes), the data everything after it up to the\n"
		"newline (at most the stream's max record size). The shard is chosen by the MD5\n"
		"hash of the key. A bad line is reported as \"line N: <problem>\" and skipped;\n"
		"the exit status is then 1, after every valid line has been stored.\n"
		"Only one process may write a stream at a time (streams/NAME/writer.lock).\n"
		"\n"
		"  --data-dir DIR    data directory\n"
		"  --stream NAME     stream\n"
		"  --print-seq       print \"shardId-N<TAB>sequence number\" per stored record, in\n"
		"                    input order, once the record is durable\n"
		"  --linger-us N     a record waits at most N us before its block is written\n"
		"                    (default 1000)\n"
		"  --segment-mb N    roll segment files at N MiB (default 256)\n"
		"  --buffered-io     write through the page cache where O_DIRECT is not supported\n"
		"  -h, --help        this text\n");
}

struct pending {
	uint32_t shard;
	uint64_t counter;
};

struct put_ctx {
	struct slc_stream *st;
	struct slc_log_writer *w;
	struct slc_log_shard **sh;        /* by shard index; NULL for closed shards */
	char (*ids)[SLC_SHARD_ID_LEN + 1];
	uint64_t *durable;                /* by shard index: durability watermark */
	uint64_t appended;                /* records appended */
	uint64_t durable_total;           /* records reported durable */
	bool print_seq;
	/* FIFO of stored, not yet printed records (ring buffer) */
	struct pending *q;
	size_t qcap, qhead, qlen;
	uint64_t bytes;
};

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_durable(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
	struct put_ctx *p = arg;
	uint32_t i = slc_log_shard_index(sh);

	if (next_seq > p->durable[i]) {
		p->durable_total += next_seq - p->durable[i];
		p->durable[i] = next_seq;
	}
}

/* ---- --print-seq FIFO ---- */

static int
fifo_push(struct put_ctx *p, uint32_t shard, uint64_t counter)
{
	if (p->qlen == p->qcap) {
		size_t ncap = p->qcap ? p->qcap * 2 : 65536, i;
		struct pending *nq = slc_malloc(ncap * sizeof(*nq));

		if (nq == NULL)
			return -ENOMEM;
		for (i = 0; i < p->qlen; i++)
			nq[i] = p->q[(p->qhead + i) % p->qcap];
		slc_free(p->q);
		p->q = nq;
		p->qcap = ncap;
		p->qhead = 0;
	}
	p->q[(p->qhead + p->qlen) % p->qcap] = (struct pending){ shard, counter };
	p->qlen++;
	return 0;
}

static void
fifo_print(struct put_ctx *p)
{
	char seq[SLC_SEQ_STRLEN];
	bool any = false;

	while (p->qlen > 0) {
		struct pending *e = &p->q[p->qhead];

		if (p->durable[e->shard] <= e->counter)
			break;
		slc_seq_format(e->shard, e->counter, seq);
		fputs(p->ids[e->shard], stdout);
		fputc('\t', stdout);
		fputs(seq, stdout);
		fputc('\n', stdout);
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		any = true;
	}
	if (any)
		fflush(stdout);
}

/* ---- writer ---- */

static int
writer_poll(struct put_ctx *p)
{
	int n = slc_log_poll(p->w, sluice_mono_us());

	if (n < 0) {
		sluice_fail(CMD, "stream %s: writing failed: %s (see the message above)",
			p->st->name, strerror(-n));
		return n;
	}
	if (p->print_seq)
		fifo_print(p);
	return n;
}

/* Wait until everything appended is durable, then print what remains. 0 or 1. */
static int
writer_sync(struct put_ctx *p)
{
	uint32_t i;
	int err;

	err = slc_log_sync(p->w);
	if (err != 0)
		return sluice_fail(CMD, "stream %s: writing failed: %s (see the message above)",
			p->st->name, strerror(-err));
	for (i = 0; i < p->st->nshards; i++)
		if (p->sh[i] != NULL) {
			uint64_t d = slc_log_shard_durable_seq(p->sh[i]);

			if (d > p->durable[i]) {
				p->durable_total += d - p->durable[i];
				p->durable[i] = d;
			}
		}
	if (p->print_seq)
		fifo_print(p);
	return 0;
}

/* Store one record; retries while the writer has no free buffer. 0 or 1. */
static int
put_record(struct put_ctx *p, const char *key, uint32_t klen, const char *data, uint32_t dlen)
{
	const struct slc_shard_meta *m;
	struct slc_log_shard *sh;
	struct slc_record r;
	unsigned spins = 0;
	int err;

	m = slc_stream_lookup(p->st, slc_hashkey_md5(key, klen));
	if (m == NULL || (sh = p->sh[m->index]) == NULL)
		return sluice_fail(CMD, "stream %s: no open shard for partition key '%.*s' (the "
			"shard map in stream.meta is inconsistent)", p->st->name, (int)klen, key);
	memset(&r, 0, sizeof(r));
	r.key = key;
	r.key_len = (uint16_t)klen;
	r.data = data;
	r.data_len = dlen;
	for (;;) {
		err = slc_log_append(sh, &r, real_ms());
		if (err != -ENOBUFS)
			break;
		/* The disk is behind: reap completions until a buffer is free again. */
		err = writer_poll(p);
		if (err < 0)
			return SLUICE_EXIT_FAIL;
		if (err > 0) {
			spins = 0;
		} else if (++spins < ENOBUFS_SPINS) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		} else {
			if (writer_sync(p) != 0)
				return SLUICE_EXIT_FAIL;
			spins = 0;
		}
	}
	if (err != 0)
		return sluice_fail(CMD, "stream %s shard %s: append failed: %s", p->st->name,
			p->ids[m->index], strerror(-err));
	p->appended++;
	p->bytes += klen + dlen;
	if (p->print_seq && fifo_push(p, m->index, r.seq) != 0)
		return sluice_fail(CMD, "out of memory");
	if (p->appended % POLL_EVERY == 0 && writer_poll(p) < 0)
		return SLUICE_EXIT_FAIL;
	return 0;
}

/* ---- input ---- */

/* Check one line (without its newline) and store it. 0, or 1 on a fatal error. */
static int
put_line(struct put_ctx *p, struct sluice_lines *lb, const char *s, size_t len)
{
	struct sluice_line l;

	if (sluice_line_split(lb, s, len, &l) != 0)
		return 0;
	if (l.dlen > p->st->settings.max_record) {
		sluice_bad_line(lb, "data is %zu bytes, longer than the stream's max record of %u "
			"bytes", l.dlen, p->st->settings.max_record);
		return 0;
	}
	return put_record(p, l.key, (uint32_t)l.klen, l.data, (uint32_t)l.dlen);
}

/*
 * Process every complete line in the buffer. Returns 0 when more input is
 * needed (or at EOF after the last line), 1 on a fatal error.
 */
static int
process_lines(struct put_ctx *p, struct sluice_lines *lb)
{
	const char *s;
	size_t len;

	while (!sluice_interrupted && sluice_lines_next(lb, &s, &len) == 1)
		if (put_line(p, lb, s, len) != 0)
			return 1;
	return 0;
}

/* Read more input into the buffer. 0, or 1 on a read error. */
static int
fill(struct put_ctx *p, struct sluice_lines *lb)
{
	/* Records wait for durability: poll the writer while stdin is quiet. */
	while (p->durable_total < p->appended && !sluice_interrupted) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int r = poll(&pfd, 1, IDLE_POLL_MS);

		if (writer_poll(p) < 0)
			return SLUICE_EXIT_FAIL;
		if (r != 0)
			break;
	}
	if (sluice_interrupted)
		return 0;
	return sluice_lines_fill(lb);
}

/* ---- main ---- */

int
sluice_cmd_put(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "print-seq", no_argument, NULL, 'p' },
		{ "linger-us", required_argument, NULL, 'l' },
		{ "segment-mb", required_argument, NULL, 'g' },
		{ "buffered-io", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL;
	struct put_ctx p = { 0 };
	struct sluice_lines lb = { 0 };
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	static char obuf[1 << 16];
	uint64_t v, t0;
	double secs;
	uint32_t i, nopen = 0;
	int c, rc = SLUICE_EXIT_FAIL, lock_fd = -1;

	slc_log_cfg_default(&cfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data_dir = optarg;
			break;
		case 's':
			name = optarg;
			break;
		case 'p':
			p.print_seq = true;
			break;
		case 'l':
			if (sluice_parse_u64(CMD, "--linger-us", optarg, 0, 1000000, &v))
				return SLUICE_EXIT_USAGE;
			cfg.linger_us = (uint32_t)v;
			break;
		case 'g':
			if (sluice_parse_u64(CMD, "--segment-mb", optarg, 1, 1u << 20, &v))
				return SLUICE_EXIT_USAGE;
			cfg.segment_size = v << 20;
			break;
		case 'b':
			cfg.buffered_io = true;
			break;
		case 'h':
			sluice_usage_put(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name))
		return SLUICE_EXIT_USAGE;

	t0 = sluice_mono_us();
	p.st = sluice_stream_open(CMD, data_dir, name);
	if (p.st == NULL)
		return SLUICE_EXIT_FAIL;
	if (sluice_writer_lock(CMD, p.st, &lock_fd) != 0)
		goto out_stream;
	if (sluice_no_journal(CMD, p.st) != 0) {
		close(lock_fd);
		goto out_stream;
	}

	p.sh = slc_calloc(p.st->nshards, sizeof(*p.sh));
	p.ids = slc_calloc(p.st->nshards, sizeof(*p.ids));
	p.durable = slc_calloc(p.st->nshards, sizeof(*p.durable));
	if (p.sh == NULL || p.ids == NULL || p.durable == NULL ||
			sluice_lines_init(&lb, CMD,
				(size_t)SLC_PKEY_MAX + 1 + p.st->settings.max_record,
				"data is longer than the stream's max record of %u bytes",
				p.st->settings.max_record) != 0) {
		sluice_fail(CMD, "out of memory");
		goto out_mem;
	}

	cfg.max_record = p.st->settings.max_record;
	p.w = slc_log_writer_create(&cfg, on_durable, &p);
	if (p.w == NULL) {
		int err = errno;

		sluice_fail(CMD, "stream %s: cannot create a log writer: %s%s", name, strerror(err),
			err == EINVAL && cfg.segment_size < 2 * (uint64_t)cfg.max_record ?
			" (--segment-mb is too small: a segment must hold an I/O buffer, which holds "
			"the stream's largest record)" : "");
		goto out_mem;
	}
	for (i = 0; i < p.st->nshards; i++) {
		slc_shard_id_format(i, p.ids[i]);
		if (p.st->shards[i].state != SLC_SHARD_OPEN)
			continue;
		p.sh[i] = slc_log_shard_open(p.w, p.st, i);
		if (p.sh[i] == NULL) {
			int err = errno;

			sluice_fail(CMD, "stream %s shard %s: cannot open for writing: %s (see the "
				"message above)%s", name, p.ids[i], strerror(err),
				err == EINVAL && !cfg.buffered_io ?
				"; if the data directory does not support O_DIRECT, use --buffered-io" : "");
			goto out_writer;
		}
		p.durable[i] = slc_log_shard_durable_seq(p.sh[i]);
		nopen++;
	}
	if (nopen == 0) {
		sluice_fail(CMD, "stream %s has no open shard", name);
		goto out_writer;
	}

	sluice_catch_signals();    /* a blocked read(2) or poll(2) returns EINTR */
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));

	for (;;) {
		if (process_lines(&p, &lb) != 0)
			goto out_sync;
		if (lb.eof || sluice_interrupted)
			break;
		if (fill(&p, &lb) != 0)
			goto out_sync;
	}
	if (writer_sync(&p) != 0)
		goto out_writer;
	if (sluice_interrupted) {
		sluice_fail(CMD, "stream %s: interrupted by signal %d after line %" PRIu64
			"; every record stored so far is durable", name, (int)sluice_interrupted,
			lb.lineno);
	} else if (p.qlen != 0) {
		sluice_fail(CMD, "stream %s: %zu stored records were never reported durable",
			name, p.qlen);
	} else {
		rc = lb.bad ? SLUICE_EXIT_FAIL : SLUICE_EXIT_OK;
	}
	secs = (sluice_mono_us() - t0) / 1e6;
	slc_log_writer_stats(p.w, &stats);
	fprintf(stderr, "sluice put: stream %s: %" PRIu64 " records stored (%" PRIu64 " bytes), %"
		PRIu64 " bad lines, %.3f s (%.0f records/s); %" PRIu64 " blocks, %" PRIu64
		" writes, %" PRIu64 " times the disk was behind\n", name, p.appended, p.bytes, lb.bad,
		secs, secs > 0 ? p.appended / secs : 0.0, stats.blocks, stats.writes, stats.enobufs);
	goto out_writer;

out_sync:
	/* A fatal error: still make what was stored durable before leaving. */
	writer_sync(&p);
out_writer:
	slc_log_writer_free(p.w);
out_mem:
	sluice_lines_fini(&lb);
	slc_free(p.q);
	slc_free(p.durable);
	slc_free(p.ids);
	slc_free(p.sh);
	if (lock_fd >= 0)
		close(lock_fd);
out_stream:
	slc_stream_close(p.st);
	return rc;
}
