/*
 * Live resharding on the control core (docs/resharding.md, "Live"), its crash
 * journal, and the run file that lets the tools find a running sluiced.
 *
 * A request (split or merge) comes from the telemetry thread through a one-slot
 * mailbox (sluiced_reshard_submit: mutex and condition variable, answered within
 * a timeout); the control core picks it up in sluiced_reshard_tick() and runs it
 * to the end: validate against a fresh read of stream.meta, write the journal
 * streams/<s>/reshard.journal (tmp + fsync + rename), open the children on the
 * least loaded data cores, publish a shard map routing the parents' ranges to
 * the children, wait until every data core acknowledged it, close each parent on
 * its owner (drain, ending counter, sync), save the new table into a fresh
 * handle of stream.meta (atomic), remove the journal.
 *
 * slc_stream_split/merge cannot be used for the last step: they refuse child
 * directories that already hold files, and the children here were written to
 * before the table names them. The new table is built with the same rules and
 * saved with slc_stream_save instead; validation happens before anything moves.
 *
 * At start-up (sluiced_reshard_recover, with the writer lock held) a journal left
 * by a crash is rolled forward: each parent ends at its recovered next counter,
 * the children are the journalled ones (their directories may already hold
 * records written before the crash), and the journal goes.
 *
 * stream.meta is rewritten by read-modify-write, here (the table) and by
 * `sluice retention` (the settings) while sluiced runs. Both hold an flock on
 * the stream's directory from their read to their save (the file itself is
 * replaced by rename, so it cannot carry the lock), so neither loses the
 * other's change.
 *
 * Test hooks (environment variables, read at each reshard) stop sluiced at a
 * known point so that tests can check what recovery does there; they print a
 * line first, on stdout (AFTER_JOURNAL: on stderr) (docs/resharding.md, "Crash"):
 *   SLUICED_TEST_CRASH_AFTER_JOURNAL     abort() right after the journal is written
 *   SLUICED_TEST_CRASH_AFTER_PUBLISH=N   once the data cores took the new map, wait
 *                                        (up to 20 s) until the children hold N
 *                                        durable records, then abort()
 *   SLUICED_TEST_CRASH_BEFORE_SAVE       after the parents closed, abort() before
 *                                        stream.meta is saved
 *   SLUICED_TEST_CRASH_AFTER_SAVE        abort() after the save, before the journal
 *                                        is removed
 *   SLUICED_TEST_PAUSE_AT=publish|save   pause there (after the map is taken; or
 *                                        holding the stream.meta lock right before
 *                                        the save) until the file named by
 *                                        SLUICED_TEST_PAUSE_FILE exists, at most
 *                                        30 s, then go on: a test can kill -9
 *                                        sluiced or race a `sluice retention` there
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "slc_log.h"
#include "slc_mem.h"
#include "sluiced.h"

#define JOURNAL "reshard.journal"
#define JOURNAL_MAGIC "sluice-reshard-journal 1"
#define MAX_VIEWS 256

/* owner: control core */
static struct {
	char *data_dir;
	struct slc_ingest *ing;
	struct slc_ingest_core *self;       /* main lcore is the data core: serve it here */
	struct slc_stream *views[MAX_VIEWS];
	uint32_t n_views;
	char run_path[4096];
} RS;

/* The mailbox from the telemetry thread. */
static pthread_mutex_t mb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mb_cond = PTHREAD_COND_INITIALIZER;
static int mb_state;                    /* 0 idle, 1 posted, 2 running, 3 done */
static bool mb_abandoned;               /* the asker gave up waiting */
static struct sluiced_reshard_req mb_req;
static struct sluiced_reshard_res mb_res;

/* The journalled plan of one reshard. */
struct plan {
	enum sluiced_reshard_op op;
	uint32_t n_par;
	struct slc_shard_meta par[2];       /* the parents as they are (open) */
	uint32_t n_ch;
	struct slc_shard_meta ch[2];        /* the children as they will be */
};

/* ---------------------------------------------------------------- files */

#define WAIT_MS 20000u

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Let time pass while waiting for the data cores (serve the main one if it is ours). */
static void
wait_step(void)
{
	struct timespec ts = { 0, 100000 };

	if (RS.self != NULL)
		slc_ingest_core_poll(RS.self, rte_rdtsc());
	else
		nanosleep(&ts, NULL);
}

/*
 * Take the stream.meta lock (flock on the stream directory, shared with `sluice
 * retention`): the fd to close, or -errno (-EBUSY: held for WAIT_MS). Polled,
 * so that a main lcore that is also a data core keeps being served and a holder
 * that never lets go costs this reshard, not the control core.
 */
static int
meta_lock(const struct slc_stream *st)
{
	uint64_t t0 = mono_ms();
	int fd, rc;

	fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = -errno;
			close(fd);
			return rc;
		}
		if (mono_ms() - t0 > WAIT_MS) {
			close(fd);
			return -EBUSY;
		}
		wait_step();
	}
	return fd;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Write text to dir/name atomically: tmp, fsync, rename, fsync dir. */
static int
write_atomic(const char *dir, const char *name, const char *text)
{
	char tmp[4096], path[4096];
	size_t len = strlen(text);
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	return fsync_dir(dir);
}

static int
journal_remove(const struct slc_stream *st)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", st->dir, JOURNAL);
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return fsync_dir(st->dir);
}

static void
meta_line(char *buf, size_t len, const char *what, const struct slc_shard_meta *m)
{
	char s[SLC_U128_STRLEN], e[SLC_U128_STRLEN];

	slc_hashkey_format(m->start_hash, s);
	slc_hashkey_format(m->end_hash, e);
	snprintf(buf, len, "%s %u %s %s %ld %ld\n", what, m->index, s, e,
		m->parent == SLC_SHARD_NONE ? -1L : (long)m->parent,
		m->adjacent_parent == SLC_SHARD_NONE ? -1L : (long)m->adjacent_parent);
}

static int
journal_write(const struct slc_stream *st, const struct plan *p)
{
	char text[2048], line[256];
	uint32_t i;

	snprintf(text, sizeof(text), "%s\nop %s\nstream %s\n", JOURNAL_MAGIC,
		p->op == SLUICED_RESHARD_SPLIT ? "split" : "merge", st->name);
	for (i = 0; i < p->n_par; i++) {
		meta_line(line, sizeof(line), "parent", &p->par[i]);
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	for (i = 0; i < p->n_ch; i++) {
		meta_line(line, sizeof(line), "child", &p->ch[i]);
		strncat(text, line, sizeof(text) - strlen(text) - 1);
	}
	return write_atomic(st->dir, JOURNAL, text);
}

/* Read st's journal: 1 and *p, 0 (none), -EBADMSG (unreadable; message printed). */
static int
journal_read(const struct slc_stream *st, struct plan *p)
{
	char path[4096], line[512], what[16], s[64], e[64], op[16];
	struct slc_shard_meta m;
	long par, adj;
	unsigned idx;
	FILE *f;
	int n = 0;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "%s/%s", st->dir, JOURNAL);
	f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		line[strcspn(line, "\n")] = '\0';
		if (n == 1) {
			if (strcmp(line, JOURNAL_MAGIC) != 0)
				goto bad;
			continue;
		}
		if (sscanf(line, "op %15s", op) == 1) {
			if (!strcmp(op, "split"))
				p->op = SLUICED_RESHARD_SPLIT;
			else if (!strcmp(op, "merge"))
				p->op = SLUICED_RESHARD_MERGE;
			else
				goto bad;
			continue;
		}
		if (!strncmp(line, "stream ", 7))
			continue;
		if (sscanf(line, "%15s %u %63s %63s %ld %ld", what, &idx, s, e, &par, &adj) != 6)
			goto bad;
		memset(&m, 0, sizeof(m));
		m.index = idx;
		m.parent = par < 0 ? SLC_SHARD_NONE : (uint32_t)par;
		m.adjacent_parent = adj < 0 ? SLC_SHARD_NONE : (uint32_t)adj;
		m.state = SLC_SHARD_OPEN;
		m.ending_seq = UINT64_MAX;
		if (slc_hashkey_parse(s, &m.start_hash) != 0 ||
				slc_hashkey_parse(e, &m.end_hash) != 0)
			goto bad;
		if (!strcmp(what, "parent") && p->n_par < 2)
			p->par[p->n_par++] = m;
		else if (!strcmp(what, "child") && p->n_ch < 2)
			p->ch[p->n_ch++] = m;
		else
			goto bad;
	}
	fclose(f);
	if (p->n_par != (p->op == SLUICED_RESHARD_SPLIT ? 1u : 2u) ||
			p->n_ch != (p->op == SLUICED_RESHARD_SPLIT ? 2u : 1u)) {
		fprintf(stderr, "sluiced: %s: incomplete reshard journal\n", path);
		return -EBADMSG;
	}
	return 1;
bad:
	fclose(f);
	fprintf(stderr, "sluiced: %s line %d is not a reshard journal line: %s\n", path, n, line);
	return -EBADMSG;
}

/* ---------------------------------------------------------------- the table */

/*
 * Validate a request against st (the rules of slc_stream_split/merge) and fill
 * the plan. Returns 0 or -errno with err set.
 */
static int
plan_make(const struct slc_stream *st, const struct sluiced_reshard_req *q, struct plan *p,
	char *err, size_t elen)
{
	const struct slc_shard_meta *a, *b;
	char id[SLC_SHARD_ID_LEN + 1];
	uint32_t n = st->nshards;

	memset(p, 0, sizeof(*p));
	p->op = q->op;
	if (q->shard >= n || (q->op == SLUICED_RESHARD_MERGE && q->adjacent >= n)) {
		snprintf(err, elen, "stream %s has no shard %u", st->name,
			q->shard >= n ? q->shard : q->adjacent);
		return -ENOENT;
	}
	if (n + 2 > SLC_STREAM_SHARDS_MAX) {
		snprintf(err, elen, "stream %s has %u shards, the most there can be", st->name, n);
		return -ENOSPC;
	}
	a = &st->shards[q->shard];
	slc_shard_id_format(q->shard, id);
	if (a->state != SLC_SHARD_OPEN) {
		snprintf(err, elen, "shard %s is closed", id);
		return -EINVAL;
	}
	p->par[p->n_par++] = *a;
	if (q->op == SLUICED_RESHARD_SPLIT) {
		if (q->key <= a->start_hash || q->key > a->end_hash) {
			snprintf(err, elen, "the hash key is not inside shard %s's range (above its "
				"start, at most its end)", id);
			return -EINVAL;
		}
		p->ch[0] = (struct slc_shard_meta){ .index = n, .state = SLC_SHARD_OPEN,
			.start_hash = a->start_hash, .end_hash = q->key - 1, .parent = q->shard,
			.adjacent_parent = SLC_SHARD_NONE, .starting_seq = 0,
			.ending_seq = UINT64_MAX };
		p->ch[1] = p->ch[0];
		p->ch[1].index = n + 1;
		p->ch[1].start_hash = q->key;
		p->ch[1].end_hash = a->end_hash;
		p->n_ch = 2;
		return 0;
	}
	b = &st->shards[q->adjacent];
	if (q->adjacent == q->shard) {
		snprintf(err, elen, "cannot merge shard %s with itself", id);
		return -EINVAL;
	}
	if (b->state != SLC_SHARD_OPEN) {
		slc_shard_id_format(q->adjacent, id);
		snprintf(err, elen, "shard %s is closed", id);
		return -EINVAL;
	}
	if (!((a->end_hash != SLC_U128_MAX && a->end_hash + 1 == b->start_hash) ||
			(b->end_hash != SLC_U128_MAX && b->end_hash + 1 == a->start_hash))) {
		snprintf(err, elen, "shards %u and %u do not have adjacent hash-key ranges",
			q->shard, q->adjacent);
		return -EINVAL;
	}
	p->par[p->n_par++] = *b;
	p->ch[0] = (struct slc_shard_meta){ .index = n, .state = SLC_SHARD_OPEN,
		.start_hash = a->start_hash < b->start_hash ? a->start_hash : b->start_hash,
		.end_hash = a->end_hash > b->end_hash ? a->end_hash : b->end_hash,
		.parent = q->shard, .adjacent_parent = q->adjacent, .starting_seq = 0,
		.ending_seq = UINT64_MAX };
	p->n_ch = 1;
	return 0;
}

/* Append the plan's children to st's table in memory (OPEN), parents untouched. */
static int
table_add_children(struct slc_stream *st, const struct plan *p)
{
	struct slc_shard_meta *v;
	uint32_t i;

	v = slc_realloc(st->shards, (st->nshards + p->n_ch) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	st->shards = v;
	for (i = 0; i < p->n_ch; i++)
		st->shards[st->nshards + i] = p->ch[i];
	st->nshards += p->n_ch;
	return 0;
}

/*
 * Close the parents at ends[] and add the children in st (a fresh handle of
 * stream.meta), then save it atomically. st must not hold the children yet.
 */
static int
table_commit(struct slc_stream *st, const struct plan *p, const uint64_t *ends)
{
	uint32_t i;
	int rc;

	if (st->nshards != p->ch[0].index)
		return -ESTALE;
	for (i = 0; i < p->n_par; i++) {
		const struct slc_shard_meta *m = &st->shards[p->par[i].index];

		if (p->par[i].index >= st->nshards || m->state != SLC_SHARD_OPEN ||
				ends[i] < m->starting_seq)
			return -EINVAL;
	}
	rc = table_add_children(st, p);
	if (rc != 0)
		return rc;
	for (i = 0; i < p->n_par; i++) {
		st->shards[p->par[i].index].state = SLC_SHARD_CLOSED;
		st->shards[p->par[i].index].ending_seq = ends[i];
	}
	return slc_stream_save(st);
}

/* ---------------------------------------------------------------- start-up recovery */

/* A fresh handle of st's stream (st->dir is <data_dir>/streams/<name>), or NULL. */
static struct slc_stream *
stream_reopen(const struct slc_stream *st)
{
	char dd[4096], tail[SLC_STREAM_NAME_MAX + 16];
	size_t n = strlen(st->dir), t;

	t = (size_t)snprintf(tail, sizeof(tail), "/streams/%s", st->name);
	if (n <= t || n - t >= sizeof(dd) || strcmp(st->dir + n - t, tail) != 0) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(dd, st->dir, n - t);
	dd[n - t] = '\0';
	return slc_stream_open(dd, st->name);
}

int
sluiced_reshard_recover(struct slc_stream *st)
{
	struct slc_log_shard_info info;
	char id[SLC_SHARD_ID_LEN + 1];
	uint64_t ends[2] = { 0, 0 };
	struct slc_stream *fresh;
	struct plan p;
	uint32_t i;
	int rc, lock_fd;

	rc = journal_read(st, &p);
	if (rc <= 0)
		return rc;
	if (st->nshards > p.ch[0].index) {
		/* The table was saved before the crash: only the journal is left. */
		for (i = 0; i < p.n_par; i++)
			if (st->shards[p.par[i].index].state != SLC_SHARD_CLOSED)
				break;
		if (i < p.n_par) {
			fprintf(stderr, "sluiced: stream %s: the reshard journal names children from "
				"shard %u, but the table already has them and the parents are open: "
				"inconsistent, left as is\n", st->name, p.ch[0].index);
			return -EBADMSG;
		}
		printf("sluiced: stream %s: the interrupted %s had completed; journal removed\n",
			st->name, p.op == SLUICED_RESHARD_SPLIT ? "split" : "merge");
		return journal_remove(st);
	}
	for (i = 0; i < p.n_par; i++) {
		slc_shard_id_format(p.par[i].index, id);
		rc = slc_log_recover(st, p.par[i].index, &info);
		if (rc != 0) {
			fprintf(stderr, "sluiced: stream %s %s: cannot recover its log to finish the "
				"interrupted reshard: %s\n", st->name, id, strerror(-rc));
			return rc;
		}
		ends[i] = info.next_seq;
	}
	lock_fd = meta_lock(st);
	if (lock_fd < 0) {
		fprintf(stderr, "sluiced: stream %s: cannot lock %s to finish the interrupted "
			"reshard: %s\n", st->name, st->dir, strerror(-lock_fd));
		return lock_fd;
	}
	/* A `sluice retention` may have changed the settings since st was read. */
	fresh = stream_reopen(st);
	if (fresh != NULL) {
		st->settings = fresh->settings;
		st->meta_version = fresh->meta_version;
		slc_stream_close(fresh);
	}
	rc = table_commit(st, &p, ends);
	close(lock_fd);
	if (rc != 0) {
		fprintf(stderr, "sluiced: stream %s: cannot finish the interrupted reshard from "
			"its journal: %s\n", st->name, strerror(-rc));
		return rc;
	}
	for (i = 0; i < p.n_par; i++) {
		slc_shard_id_format(p.par[i].index, id);
		printf("sluiced: stream %s: finished the interrupted %s from its journal: %s closed "
			"at ending sequence counter %" PRIu64 "\n", st->name,
			p.op == SLUICED_RESHARD_SPLIT ? "split" : "merge", id, ends[i]);
	}
	for (i = 0; i < p.n_ch; i++) {
		slc_shard_id_format(p.ch[i].index, id);
		printf("sluiced: stream %s: child %s open\n", st->name, id);
	}
	fflush(stdout);
	return journal_remove(st);
}

/* ---------------------------------------------------------------- live */

static int
core_do(uint32_t core, enum slc_ingest_req op, uint32_t slot, uint64_t *value)
{
	uint64_t t0 = mono_ms();
	int rc, result;

	rc = slc_ingest_request(RS.ing, core, op, slot);
	if (rc != 0)
		return rc;
	while (slc_ingest_request_done(RS.ing, core, &result, value) == 0) {
		if (mono_ms() - t0 > WAIT_MS)
			return -ETIMEDOUT;
		wait_step();
	}
	return result;
}

static void
res_err(struct sluiced_reshard_res *r, const char *fmt, const char *a)
{
	r->ok = 0;
	snprintf(r->error, sizeof(r->error), fmt, a);
}

/* ---------------------------------------------------------------- test hooks */

/* Records of these slots reported durable since start. */
static uint64_t
slots_durable(const uint32_t *slot, uint32_t n)
{
	struct slc_ingest_shard_stats ss;
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		slc_ingest_shard_stats_sum(RS.ing, slot[i], &ss);
		sum += ss.durable;
	}
	return sum;
}

/* Records of every shard of stream sid (closed ones too) durable since start. */
static uint64_t
stream_durable(uint32_t sid)
{
	uint32_t slot, n = slc_ingest_n_shards(RS.ing);
	uint64_t sum = 0;

	for (slot = 0; slot < n; slot++)
		if (slc_ingest_shard_info(RS.ing, slot)->stream_id == sid)
			sum += slots_durable(&slot, 1);
	return sum;
}

/* SLUICED_TEST_CRASH_<point> is set: print why, with the durable figures, and abort. */
static void
test_crash(const char *point, const char *stream, uint32_t sid, const uint32_t *ch_slot,
	uint32_t n_ch)
{
	printf("sluiced: SLUICED_TEST_CRASH_%s: children durable %" PRIu64 ", stream %s durable %"
		PRIu64 " since start: aborting\n", point, slots_durable(ch_slot, n_ch), stream,
		stream_durable(sid));
	fflush(stdout);
	abort();
}

/*
 * SLUICED_TEST_PAUSE_AT=point: print a line, then pause (serving the main data
 * core if it is ours) until SLUICED_TEST_PAUSE_FILE exists, at most 30 s.
 */
static void
test_pause(const char *point, const char *stream, uint32_t sid, const uint32_t *ch_slot,
	uint32_t n_ch)
{
	const char *at = getenv("SLUICED_TEST_PAUSE_AT"), *file = getenv("SLUICED_TEST_PAUSE_FILE");
	uint64_t t0 = mono_ms();
	struct stat sb;

	if (at == NULL || strcmp(at, point) != 0)
		return;
	printf("sluiced: SLUICED_TEST_PAUSE_AT %s: pausing; children durable %" PRIu64 ", stream "
		"%s durable %" PRIu64 " since start\n", point, slots_durable(ch_slot, n_ch), stream,
		stream_durable(sid));
	fflush(stdout);
	while (mono_ms() - t0 < 30000u && (file == NULL || stat(file, &sb) != 0))
		wait_step();
	printf("sluiced: SLUICED_TEST_PAUSE_AT %s: going on\n", point);
	fflush(stdout);
}

/* ---------------------------------------------------------------- the reshard */

static void
reshard_run(const struct sluiced_reshard_req *q, struct sluiced_reshard_res *r)
{
	uint32_t par_slot[2], ch_slot[2], i;
	struct slc_stream *view = NULL, *st;
	char id[SLC_SHARD_ID_LEN + 1];
	uint64_t version, t0, ends[2] = { 0, 0 };
	struct plan p;
	int sid, rc, lock_fd;

	memset(r, 0, sizeof(*r));
	sid = slc_ingest_stream_id(RS.ing, q->stream);
	if (sid < 0)
		return res_err(r, "sluiced does not ingest stream %s", q->stream);
	if (RS.n_views == MAX_VIEWS)
		return res_err(r, "%s", "too many live reshards: restart sluiced");
	view = slc_stream_open(RS.data_dir, q->stream);
	if (view == NULL)
		return res_err(r, "cannot read stream.meta: %s", strerror(errno));
	rc = plan_make(view, q, &p, r->error, sizeof(r->error));
	if (rc != 0)
		goto fail_view;
	for (i = 0; i < p.n_par; i++) {
		rc = slc_ingest_slot_find(RS.ing, (uint32_t)sid, p.par[i].index);
		if (rc < 0) {
			snprintf(r->error, sizeof(r->error), "shard %u is not open in sluiced",
				p.par[i].index);
			goto fail_view;
		}
		par_slot[i] = (uint32_t)rc;
	}
	rc = journal_write(view, &p);
	if (rc != 0) {
		snprintf(r->error, sizeof(r->error), "cannot write the reshard journal: %s",
			strerror(-rc));
		goto fail_view;
	}
	if (getenv("SLUICED_TEST_CRASH_AFTER_JOURNAL") != NULL) {
		fprintf(stderr, "sluiced: SLUICED_TEST_CRASH_AFTER_JOURNAL: aborting\n");
		abort();
	}
	/* From here on the journal completes the reshard after a crash. */
	rc = table_add_children(view, &p);
	if (rc != 0)
		goto fail_journal;
	RS.views[RS.n_views++] = view;  /* the children's writers refer to it until exit */
	for (i = 0; i < p.n_ch; i++) {
		uint32_t owner = slc_ingest_pick_owner(RS.ing);

		rc = slc_ingest_slot_add(RS.ing, (uint32_t)sid, view, p.ch[i].index, owner);
		if (rc < 0 && i > 0) {
			snprintf(r->error, sizeof(r->error), "no slot for child %u: %s (restart "
				"sluiced to finish the reshard)", p.ch[i].index, strerror(-rc));
			return;
		}
		if (rc < 0)
			goto fail_journal;
		ch_slot[i] = (uint32_t)rc;
		rc = core_do(owner, SLC_INGEST_REQ_OPEN, ch_slot[i], NULL);
		if (rc != 0) {
			slc_shard_id_format(p.ch[i].index, id);
			snprintf(r->error, sizeof(r->error), "data core %u cannot open %s: %s "
				"(restart sluiced to finish the reshard)", owner, id, strerror(-rc));
			return;
		}
		r->children[i] = p.ch[i].index;
		r->owners[i] = owner;
	}
	r->n_children = p.n_ch;
	rc = slc_ingest_publish(RS.ing, par_slot, p.n_par, ch_slot, p.n_ch, &version);
	if (rc != 0) {
		snprintf(r->error, sizeof(r->error), "cannot publish the shard map: %s (restart "
			"sluiced to finish the reshard)", strerror(-rc));
		return;
	}
	t0 = mono_ms();
	while (!slc_ingest_acked(RS.ing, version)) {
		if (mono_ms() - t0 > WAIT_MS) {
			snprintf(r->error, sizeof(r->error), "the data cores did not take shard map "
				"%" PRIu64 " in time (restart sluiced to finish the reshard)", version);
			return;
		}
		wait_step();
	}
	r->version = version;
	if (getenv("SLUICED_TEST_CRASH_AFTER_PUBLISH") != NULL) {
		uint64_t want = strtoull(getenv("SLUICED_TEST_CRASH_AFTER_PUBLISH"), NULL, 10);

		t0 = mono_ms();
		while (slots_durable(ch_slot, p.n_ch) < want && mono_ms() - t0 < WAIT_MS)
			wait_step();
		test_crash("AFTER_PUBLISH", q->stream, (uint32_t)sid, ch_slot, p.n_ch);
	}
	test_pause("publish", q->stream, (uint32_t)sid, ch_slot, p.n_ch);
	for (i = 0; i < p.n_par; i++) {
		uint32_t owner = slc_ingest_shard_info(RS.ing, par_slot[i])->owner;

		rc = core_do(owner, SLC_INGEST_REQ_CLOSE, par_slot[i], &ends[i]);
		if (rc != 0) {
			snprintf(r->error, sizeof(r->error), "closing shard %u failed: %s (restart "
				"sluiced to finish the reshard)", p.par[i].index, strerror(-rc));
			return;
		}
		r->parents[i] = p.par[i].index;
		r->ending[i] = ends[i];
	}
	r->n_parents = p.n_par;
	if (getenv("SLUICED_TEST_CRASH_BEFORE_SAVE") != NULL) {
		for (i = 0; i < p.n_par; i++) {
			slc_shard_id_format(p.par[i].index, id);
			printf("sluiced: SLUICED_TEST_CRASH_BEFORE_SAVE: %s closed at ending sequence "
				"counter %" PRIu64 "\n", id, ends[i]);
		}
		test_crash("BEFORE_SAVE", q->stream, (uint32_t)sid, ch_slot, p.n_ch);
	}
	/* Read the table and save it under the lock, so a `sluice retention` is kept. */
	lock_fd = meta_lock(view);
	if (lock_fd < 0) {
		snprintf(r->error, sizeof(r->error), "cannot lock the stream directory to save "
			"stream.meta: %s (another process held it for %u s; restart sluiced to finish "
			"the reshard)", strerror(-lock_fd), WAIT_MS / 1000);
		return;
	}
	st = slc_stream_open(RS.data_dir, q->stream);
	test_pause("save", q->stream, (uint32_t)sid, ch_slot, p.n_ch);
	rc = st == NULL ? -errno : table_commit(st, &p, ends);
	close(lock_fd);
	slc_stream_close(st);
	if (rc != 0) {
		snprintf(r->error, sizeof(r->error), "cannot save stream.meta: %s (restart sluiced "
			"to finish the reshard)", strerror(-rc));
		return;
	}
	if (getenv("SLUICED_TEST_CRASH_AFTER_SAVE") != NULL)
		test_crash("AFTER_SAVE", q->stream, (uint32_t)sid, ch_slot, p.n_ch);
	rc = journal_remove(view);
	if (rc != 0)
		fprintf(stderr, "sluiced: stream %s: cannot remove the reshard journal: %s (the "
			"next start removes it)\n", q->stream, strerror(-rc));
	for (i = 0; i < p.n_par; i++) {
		slc_shard_id_format(p.par[i].index, id);
		printf("sluiced: stream %s: %s %s closed at ending sequence counter %" PRIu64
			", shard map version %" PRIu64 "\n", q->stream,
			q->op == SLUICED_RESHARD_SPLIT ? "split" : "merge", id, ends[i], version);
	}
	for (i = 0; i < p.n_ch; i++) {
		slc_shard_id_format(p.ch[i].index, id);
		printf("sluiced: stream %s: %s open, owner core %u\n", q->stream, id, r->owners[i]);
	}
	fflush(stdout);
	r->ok = 1;
	return;
fail_journal:
	journal_remove(view);
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "cannot add the children: %s",
			strerror(-rc));
	if (RS.n_views > 0 && RS.views[RS.n_views - 1] == view)
		return;         /* a slot may refer to it */
fail_view:
	slc_stream_close(view);
	r->ok = 0;
}

void
sluiced_reshard_run(const struct sluiced_reshard_req *q, struct sluiced_reshard_res *r)
{
	if (RS.ing == NULL) {
		memset(r, 0, sizeof(*r));
		res_err(r, "%s", "live resharding is not set up");
	} else {
		reshard_run(q, r);
	}
	if (!r->ok)
		fprintf(stderr, "sluiced: stream %s: %s refused or failed: %s\n", q->stream,
			q->op == SLUICED_RESHARD_SPLIT ? "split" : "merge", r->error);
}

int
sluiced_reshard_setup(const char *data_dir, struct slc_ingest *ing, struct slc_ingest_core *self)
{
	RS.data_dir = strdup(data_dir);
	if (RS.data_dir == NULL)
		return -ENOMEM;
	RS.ing = ing;
	RS.self = self;
	return 0;
}

void
sluiced_reshard_tick(void)
{
	struct sluiced_reshard_req q;
	struct sluiced_reshard_res r;

	if (__atomic_load_n(&mb_state, __ATOMIC_ACQUIRE) != 1 || RS.ing == NULL)
		return;
	pthread_mutex_lock(&mb_lock);
	q = mb_req;
	mb_state = 2;
	pthread_mutex_unlock(&mb_lock);
	sluiced_reshard_run(&q, &r);
	pthread_mutex_lock(&mb_lock);
	mb_res = r;
	if (mb_abandoned) {
		mb_abandoned = false;
		__atomic_store_n(&mb_state, 0, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&mb_state, 3, __ATOMIC_RELEASE);
	}
	pthread_cond_broadcast(&mb_cond);
	pthread_mutex_unlock(&mb_lock);
}

int
sluiced_reshard_submit(const struct sluiced_reshard_req *q, struct sluiced_reshard_res *r,
	uint32_t timeout_ms)
{
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mb_lock);
	if (mb_state != 0) {
		pthread_mutex_unlock(&mb_lock);
		return -EBUSY;
	}
	mb_req = *q;
	__atomic_store_n(&mb_state, 1, __ATOMIC_RELEASE);
	while (mb_state != 3 && rc == 0)
		rc = pthread_cond_timedwait(&mb_cond, &mb_lock, &dl);
	if (mb_state == 3) {
		*r = mb_res;
		mb_state = 0;
		rc = 0;
	} else if (mb_state == 1) {
		mb_state = 0;           /* not started: withdraw it */
		rc = -ETIMEDOUT;
	} else {
		mb_abandoned = true;
		rc = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&mb_lock);
	return rc;
}

void
sluiced_reshard_free(void)
{
	uint32_t i;

	for (i = 0; i < RS.n_views; i++)
		slc_stream_close(RS.views[i]);
	RS.n_views = 0;
	RS.ing = NULL;
	free(RS.data_dir);
	RS.data_dir = NULL;
}

/* ---------------------------------------------------------------- run file */

int
sluiced_runfile_write(const char *data_dir)
{
	char text[4200], sock[4096];
	int rc;

	snprintf(sock, sizeof(sock), "%s/dpdk_telemetry.v2", rte_eal_get_runtime_dir());
	snprintf(text, sizeof(text), "pid %ld\nfile_prefix %s\nsocket %s\n", (long)getpid(),
		strrchr(rte_eal_get_runtime_dir(), '/') ? strrchr(rte_eal_get_runtime_dir(), '/') + 1 :
		rte_eal_get_runtime_dir(), sock);
	rc = write_atomic(data_dir, "sluiced.run", text);
	if (rc == 0)
		snprintf(RS.run_path, sizeof(RS.run_path), "%s/sluiced.run", data_dir);
	return rc;
}

void
sluiced_runfile_remove(void)
{
	if (RS.run_path[0] != '\0')
		unlink(RS.run_path);
	RS.run_path[0] = '\0';
}
