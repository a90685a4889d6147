/*
 * Unit tests of lib/retention (retention.c) and of what it relies on in lib/log
 * (log_segment.c, readers over deleted segments) and lib/stream (the optional
 * retention_minutes and max_bytes keys of stream.meta).
 *
 * Shards are written with the real writer (slc_log_append, io_uring, O_DIRECT)
 * in 64 KiB segments, record i of a shard arriving at a time the test chooses,
 * so that every expectation is computed from the test's own model: record i of
 * shard s has key "k-<s>-<i>" and arrives at base_s + i * 10 ms. The clock given
 * to retention is the test's, never the machine's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_log.h>

#include "slc_log.h"
#include "slc_mem.h"
#include "slc_retention.h"
#include "slc_store.h"
#include "slc_stream.h"
#include "../slc_test.h"

#define T0 1700000000000LL       /* arrival of record 0 of shard 0 */
#define STEP 10                  /* ms between records of a shard */
#define NREC 3000                /* records per shard: about a dozen segments */
#define MAXSEG 64

static char g_dir[256];

static void
dir_make(void)
{
	strcpy(g_dir, "/var/tmp/slc-test-retention-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(g_dir) != NULL);
}

static void
dir_remove(void)
{
	slc_test_rm_rf(g_dir);
}

static void
quiet(void)
{
	rte_openlog_stream(fopen("/dev/null", "w"));
}

static void
loud(void)
{
	fclose(rte_log_get_stream());
	rte_openlog_stream(stderr);
}

/* ---- writing shards ---- */

struct fx {
	struct slc_stream *st;
	struct slc_log_writer *w;
	struct slc_log_shard *sh[4];
	int64_t base[4];             /* arrival of record 0, per shard */
	/* segments as written: names and the counter after each */
	uint32_t nseg[4];
	uint64_t seg_first[4][MAXSEG];
	uint64_t seg_next[4][MAXSEG];
	uint64_t seg_bytes[4][MAXSEG];
};

static int64_t
arrival(const struct fx *f, uint32_t s, uint64_t i)
{
	return f->base[s] + (int64_t)i * STEP;
}

static void
append_one(struct fx *f, uint32_t s, uint64_t i)
{
	char key[32];
	uint8_t data[200];
	struct slc_record r;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(key, sizeof(key), "k-%u-%" PRIu64, s, i);
	memset(data, (int)(i & 0xff), sizeof(data));
	r.key = key;
	r.key_len = (uint16_t)strlen(key);
	r.data = data;
	r.data_len = sizeof(data);
	while ((rc = slc_log_append(f->sh[s], &r, arrival(f, s, i))) == -ENOBUFS)
		CU_ASSERT(slc_log_poll(f->w, 0) >= 0);
	CU_ASSERT_FATAL(rc == 0);
	CU_ASSERT_FATAL(r.seq == i);
}

/* Record what is on disk now, from the segment list (names, sizes) and a scan. */
static void
fx_note_segments(struct fx *f, uint32_t s)
{
	struct slc_log_seg_info *segs;
	uint32_t n, i;

	CU_ASSERT_FATAL(slc_log_segments(f->st, s, &segs, &n) == 0);
	CU_ASSERT_FATAL(n >= 4 && n <= MAXSEG);
	f->nseg[s] = n;
	for (i = 0; i < n; i++) {
		CU_ASSERT_FATAL(slc_log_segment_scan(f->st, s, &segs[i]) == 0);
		f->seg_first[s][i] = segs[i].first_seq;
		f->seg_next[s][i] = segs[i].next_seq;
		f->seg_bytes[s][i] = segs[i].log_bytes + segs[i].idx_bytes;
		CU_ASSERT(segs[i].idx_bytes > 0);
		/* the scan agrees with the model */
		CU_ASSERT(!segs[i].damaged);
		CU_ASSERT(segs[i].next_seq > segs[i].first_seq);
		CU_ASSERT_EQUAL(segs[i].first_time_ms, arrival(f, s, segs[i].first_seq));
		CU_ASSERT_EQUAL(segs[i].last_time_ms, arrival(f, s, segs[i].next_seq - 1));
		if (i > 0)
			CU_ASSERT_EQUAL(segs[i].first_seq, segs[i - 1].next_seq);
	}
	CU_ASSERT_EQUAL(f->seg_first[s][0], 0);
	CU_ASSERT_EQUAL(f->seg_next[s][n - 1], NREC);
	slc_log_segments_free(segs);
}

/*
 * A stream of nshards shards under g_dir, NREC records written to each (shard s
 * arriving from base[s]), synced; the writer stays open, as in the appliance.
 */
static void
fx_make(struct fx *f, const char *name, uint32_t nshards, const int64_t *base)
{
	struct slc_stream_settings set;
	struct slc_log_cfg cfg;
	uint32_t s;
	uint64_t i;

	memset(f, 0, sizeof(*f));
	slc_stream_settings_default(&set);
	set.max_record = 1000;
	f->st = slc_stream_create(g_dir, name, nshards, &set);
	CU_ASSERT_FATAL(f->st != NULL);
	slc_log_cfg_default(&cfg);
	cfg.buf_size = 16384;
	cfg.block_max = 4096;
	cfg.nbufs = 8;
	cfg.queue_depth = 32;
	cfg.max_record = 1000;
	cfg.segment_size = 64 * 1024;
	cfg.index_interval = 8192;
	f->w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(f->w != NULL);
	for (s = 0; s < nshards; s++) {
		f->base[s] = base[s];
		f->sh[s] = slc_log_shard_open(f->w, f->st, s);
		CU_ASSERT_FATAL(f->sh[s] != NULL);
	}
	for (i = 0; i < NREC; i++)
		for (s = 0; s < nshards; s++)
			append_one(f, s, i);
	CU_ASSERT_FATAL(slc_log_sync(f->w) == 0);
	for (s = 0; s < nshards; s++)
		fx_note_segments(f, s);
}

static void
fx_free(struct fx *f)
{
	if (f->w != NULL)
		slc_log_writer_free(f->w);
	slc_stream_close(f->st);
}

static bool
seg_exists(const struct fx *f, uint32_t s, uint64_t first_seq, const char *ext)
{
	char id[SLC_SHARD_ID_LEN + 1], path[512];

	slc_shard_id_format(s, id);
	snprintf(path, sizeof(path), "%s/%s/%020" PRIu64 "%s", f->st->dir, id, first_seq, ext);
	return access(path, F_OK) == 0;
}

/* Exactly segments [from, nseg) of shard s are on disk (.log and .idx). */
static void
check_remaining(const struct fx *f, uint32_t s, uint32_t from)
{
	struct slc_log_shard_info info;
	uint32_t i;

	for (i = 0; i < f->nseg[s]; i++) {
		CU_ASSERT_EQUAL(seg_exists(f, s, f->seg_first[s][i], ".log"), i >= from);
		CU_ASSERT_EQUAL(seg_exists(f, s, f->seg_first[s][i], ".idx"), i >= from);
	}
	CU_ASSERT(slc_log_shard_info(f->st, s, &info) == 0);
	CU_ASSERT_EQUAL(info.segments, f->nseg[s] - from);
	if (from < f->nseg[s]) {
		CU_ASSERT_EQUAL(info.first_seq, f->seg_first[s][from]);
		CU_ASSERT_EQUAL(info.first_time_ms, arrival(f, s, f->seg_first[s][from]));
	}
	CU_ASSERT_EQUAL(info.next_seq, NREC);
}

/* Deletions seen through the event hook. */
struct evlog {
	uint32_t n;
	uint32_t shard[256];
	uint64_t first[256];
	uint64_t records[256];
	uint64_t horizon[256];
	bool expired[256];
	enum slc_retention_cause cause[256];
};

static void
ev_cb(void *arg, const struct slc_retention_event *ev)
{
	struct evlog *l = arg;

	if (l->n >= 256)
		return;
	l->shard[l->n] = ev->shard;
	l->first[l->n] = ev->seg.first_seq;
	l->records[l->n] = ev->seg.next_seq - ev->seg.first_seq;
	l->horizon[l->n] = ev->horizon_seq;
	l->expired[l->n] = ev->shard_expired;
	l->cause[l->n] = ev->cause;
	l->n++;
}

static int
run_at(struct fx *f, int64_t max_age_ms, uint64_t max_bytes, int64_t now_ms, struct evlog *l,
	struct slc_retention_report *rep)
{
	struct slc_retention_policy p = { .max_age_ms = max_age_ms, .max_bytes = max_bytes };
	struct slc_retention_hooks h = { .event = ev_cb, .arg = l };

	memset(rep, 0, sizeof(*rep));
	return slc_retention_run(f->st, &p, now_ms, &h, rep);
}

/* ---- policy and settings ---- */

static void
test_slc_retention_policy_from_minutes_hours(void)
{
	struct slc_stream_settings s;
	struct slc_retention_policy p;

	slc_stream_settings_default(&s);
	CU_ASSERT_EQUAL(s.retention_minutes, 0);
	CU_ASSERT_EQUAL(s.max_bytes, 0);
	slc_retention_policy_from(&s, &p);
	CU_ASSERT_EQUAL(p.max_age_ms, 24LL * 3600 * 1000);
	CU_ASSERT_EQUAL(p.max_bytes, 0);
	s.retention_hours = 8760;
	slc_retention_policy_from(&s, &p);
	CU_ASSERT_EQUAL(p.max_age_ms, 8760LL * 3600 * 1000);
	s.retention_minutes = 1;
	s.max_bytes = 12345;
	slc_retention_policy_from(&s, &p);
	CU_ASSERT_EQUAL(p.max_age_ms, 60000);
	CU_ASSERT_EQUAL(p.max_bytes, 12345);
}

static char *
read_meta(const struct slc_stream *st)
{
	char path[512];
	static char buf[8192];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/stream.meta", st->dir);
	fp = fopen(path, "r");
	CU_ASSERT_FATAL(fp != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
write_meta(const struct slc_stream *st, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/stream.meta", st->dir);
	fp = fopen(path, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs(text, fp);
	fclose(fp);
}

/* Optional keys: absent by default, written when set, read back, checked. */
static void
test_slc_stream_save_retention_keys(void)
{
	struct slc_stream_settings set;
	struct slc_stream *st, *st2;
	char *text, orig[8192], bad[8192], *p;

	dir_make();
	st = slc_stream_create(g_dir, "keys", 1, NULL);
	CU_ASSERT_FATAL(st != NULL);
	text = read_meta(st);
	CU_ASSERT(strstr(text, "retention_hours 24\nshards 1\n") != NULL);
	CU_ASSERT(strstr(text, "retention_minutes") == NULL);
	CU_ASSERT(strstr(text, "max_bytes") == NULL);

	st->settings.retention_minutes = 5;
	st->settings.retention_hours = 1;
	st->settings.max_bytes = 1048576;
	CU_ASSERT_FATAL(slc_stream_save(st) == 0);
	text = read_meta(st);
	CU_ASSERT(strstr(text, "retention_hours 1\nretention_minutes 5\nmax_bytes 1048576\n"
		"shards 1\n") != NULL);
	snprintf(orig, sizeof(orig), "%s", text);
	st2 = slc_stream_open(g_dir, "keys");
	CU_ASSERT_FATAL(st2 != NULL);
	CU_ASSERT_EQUAL(st2->settings.retention_minutes, 5);
	CU_ASSERT_EQUAL(st2->settings.retention_hours, 1);
	CU_ASSERT_EQUAL(st2->settings.max_bytes, 1048576);
	slc_stream_close(st2);

	/* out of range, duplicate: the file is invalid */
	quiet();
	p = strstr(orig, "retention_minutes 5");
	CU_ASSERT_FATAL(p != NULL);
	snprintf(bad, sizeof(bad), "%.*sretention_minutes 525601%s", (int)(p - orig), orig,
		p + strlen("retention_minutes 5"));
	write_meta(st, bad);
	CU_ASSERT(slc_stream_open(g_dir, "keys") == NULL && errno == EBADMSG);
	snprintf(bad, sizeof(bad), "%.*sretention_minutes 0%s", (int)(p - orig), orig,
		p + strlen("retention_minutes 5"));
	write_meta(st, bad);
	CU_ASSERT(slc_stream_open(g_dir, "keys") == NULL && errno == EBADMSG);
	snprintf(bad, sizeof(bad), "%.*sretention_minutes 5\nretention_minutes 5%s",
		(int)(p - orig), orig, p + strlen("retention_minutes 5"));
	write_meta(st, bad);
	CU_ASSERT(slc_stream_open(g_dir, "keys") == NULL && errno == EBADMSG);
	p = strstr(orig, "max_bytes 1048576");
	snprintf(bad, sizeof(bad), "%.*smax_bytes 0%s", (int)(p - orig), orig,
		p + strlen("max_bytes 1048576"));
	write_meta(st, bad);
	CU_ASSERT(slc_stream_open(g_dir, "keys") == NULL && errno == EBADMSG);
	loud();
	/* the upper bound itself is valid */
	snprintf(bad, sizeof(bad), "%.*smax_bytes 18446744073709551615%s", (int)(p - orig), orig,
		p + strlen("max_bytes 1048576"));
	write_meta(st, bad);
	st2 = slc_stream_open(g_dir, "keys");
	CU_ASSERT_FATAL(st2 != NULL);
	CU_ASSERT_EQUAL(st2->settings.max_bytes, UINT64_MAX);
	slc_stream_close(st2);

	/* a bad value refuses to be saved or created */
	slc_stream_settings_default(&set);
	set.retention_minutes = SLC_STREAM_RETENTION_MINUTES_MAX + 1;
	quiet();
	CU_ASSERT(slc_stream_create(g_dir, "bad", 1, &set) == NULL && errno == EINVAL);
	loud();
	slc_stream_close(st);
	dir_remove();
}

static void
test_slc_retention_floor_parse_forms(void)
{
	struct slc_retention_floor f;

	CU_ASSERT(slc_retention_floor_parse("1000", &f) == 0);
	CU_ASSERT(f.bytes == 1000 && f.pct == 0);
	CU_ASSERT(slc_retention_floor_parse("2G", &f) == 0);
	CU_ASSERT(f.bytes == 2ULL << 30 && f.pct == 0);
	CU_ASSERT(slc_retention_floor_parse("512M", &f) == 0);
	CU_ASSERT(f.bytes == 512ULL << 20);
	CU_ASSERT(slc_retention_floor_parse("5%", &f) == 0);
	CU_ASSERT(f.bytes == 0 && f.pct == 5);
	CU_ASSERT(slc_retention_floor_parse("0%", &f) == -EINVAL);
	CU_ASSERT(slc_retention_floor_parse("100%", &f) == -EINVAL);
	CU_ASSERT(slc_retention_floor_parse("12X", &f) == -EINVAL);
	CU_ASSERT(slc_retention_floor_parse("1GB", &f) == -EINVAL);
	CU_ASSERT(slc_retention_floor_parse("", &f) == -EINVAL);
	CU_ASSERT(slc_retention_floor_parse("-1", &f) == -EINVAL);
	CU_ASSERT(slc_retention_floor_parse("99999999999T", &f) == -EINVAL);
}

/* ---- age ---- */

/*
 * Horizons right at segment boundaries: a segment goes exactly when its last
 * record arrived before the horizon; a record at the horizon keeps it.
 */
static void
test_slc_retention_run_age_exact(void)
{
	static const int64_t base[1] = { T0 };
	struct slc_retention_report rep;
	struct evlog l;
	struct fx f;
	int64_t age = 60000, h;
	uint32_t k, i;

	dir_make();
	fx_make(&f, "age", 1, base);
	k = 3;

	/* horizon = arrival of the last record of segment k - 1: nothing before k - 1 is
	 * newer, segment k - 1 holds a record at the horizon -> segments 0 .. k-2 go */
	h = arrival(&f, 0, f.seg_next[0][k - 1] - 1);
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, age, 0, h + age, &l, &rep) == 0);
	CU_ASSERT_EQUAL(rep.segments_deleted, k - 1);
	CU_ASSERT_EQUAL(l.n, k - 1);
	check_remaining(&f, 0, k - 1);

	/* one ms later segment k - 1 goes too, and only it */
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, age, 0, h + 1 + age, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 1);
	CU_ASSERT_EQUAL(l.first[0], f.seg_first[0][k - 1]);
	CU_ASSERT_EQUAL(l.records[0], f.seg_next[0][k - 1] - f.seg_first[0][k - 1]);
	CU_ASSERT_EQUAL(l.horizon[0], f.seg_first[0][k]);
	CU_ASSERT_EQUAL(l.cause[0], SLC_RETENTION_AGE);
	CU_ASSERT(!l.expired[0]);
	CU_ASSERT_EQUAL(rep.segments_deleted, 1);
	CU_ASSERT_EQUAL(rep.records_deleted, f.seg_next[0][k - 1] - f.seg_first[0][k - 1]);
	CU_ASSERT_EQUAL(rep.bytes_deleted, f.seg_bytes[0][k - 1]);
	check_remaining(&f, 0, k);

	/* horizon in the middle of segment k + 2: k and k + 1 go, in order */
	h = arrival(&f, 0, f.seg_first[0][k + 2] + 7);
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, age, 0, h + age, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 2);
	for (i = 0; i < l.n && i < 2; i++) {
		CU_ASSERT_EQUAL(l.first[i], f.seg_first[0][k + i]);
		CU_ASSERT_EQUAL(l.horizon[i], f.seg_first[0][k + i + 1]);
	}
	check_remaining(&f, 0, k + 2);

	/* no age limit: nothing */
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 0, 0, INT64_MAX / 2, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 0);
	check_remaining(&f, 0, k + 2);
	fx_free(&f);
	dir_remove();
}

/* Everything expired: the active segment of an open shard stays, with its records. */
static void
test_slc_retention_run_active_kept(void)
{
	static const int64_t base[1] = { T0 };
	struct slc_retention_report rep;
	struct slc_log_reader *r;
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	struct slc_record rec;
	struct evlog l;
	struct fx f;
	uint32_t last;
	uint64_t got = 0;

	dir_make();
	fx_make(&f, "active", 1, base);
	last = f.nseg[0] - 1;
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 60000, 0, T0 + 1000LL * 86400 * 365, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, last);
	CU_ASSERT_EQUAL(rep.shards_expired, 0);
	CU_ASSERT_EQUAL(rep.errors, 0);
	check_remaining(&f, 0, last);
	/* the writer goes on appending to it */
	append_one(&f, 0, NREC);
	CU_ASSERT(slc_log_sync(f.w) == 0);
	r = slc_log_reader_open(f.st, 0, &pos);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), f.seg_first[0][last]);
	while (slc_log_reader_next(r, &rec) == 1) {
		CU_ASSERT_EQUAL(rec.seq, f.seg_first[0][last] + got);
		got++;
	}
	CU_ASSERT_EQUAL(got, NREC + 1 - f.seg_first[0][last]);
	slc_log_reader_close(r);

	/* a second run finds nothing more to do */
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 60000, 0, T0 + 1000LL * 86400 * 365, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 0);
	fx_free(&f);
	dir_remove();
}

static bool
busy_all(void *arg, const struct slc_stream *st, uint32_t shard)
{
	uint32_t *calls = arg;

	(void)st;
	(void)shard;
	(*calls)++;
	return true;
}

/* A closed shard loses its last segment too once it expires: fully expired. */
static void
test_slc_retention_run_closed_shard_expires(void)
{
	static const int64_t base[2] = { T0, T0 + 1000000 };
	struct slc_retention_policy p = { .max_age_ms = 60000 };
	struct slc_retention_hooks h = { 0 };
	struct slc_retention_report rep;
	struct slc_log_shard_info info;
	struct slc_log_reader *r;
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	struct slc_record rec;
	struct evlog l;
	struct fx f;
	uint32_t calls = 0, n0 = 0;
	int64_t now;

	dir_make();
	fx_make(&f, "closed", 2, base);
	/* nothing writes shard 0 any more; the table says it is closed */
	slc_log_writer_free(f.w);
	f.w = NULL;
	f.st->shards[0].state = SLC_SHARD_CLOSED;
	f.st->shards[0].ending_seq = NREC;

	/* a busy() hook keeps its last segment while it says the shard is written */
	now = arrival(&f, 1, NREC) + 60000;   /* after every record of both shards */
	h.busy = busy_all;
	h.arg = &calls;
	memset(&rep, 0, sizeof(rep));
	CU_ASSERT(slc_retention_run(f.st, &p, now, &h, &rep) == 0);
	CU_ASSERT_EQUAL(calls, 1);            /* asked for the closed shard only */
	CU_ASSERT_EQUAL(rep.segments_deleted, (f.nseg[0] - 1) + (f.nseg[1] - 1));
	check_remaining(&f, 0, f.nseg[0] - 1);

	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 60000, 0, now, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 1);
	CU_ASSERT_EQUAL(l.shard[0], 0);
	CU_ASSERT_EQUAL(l.first[0], f.seg_first[0][f.nseg[0] - 1]);
	CU_ASSERT(l.expired[0]);
	CU_ASSERT_EQUAL(l.horizon[0], NREC);
	CU_ASSERT_EQUAL(rep.shards_expired, 1);
	CU_ASSERT(slc_log_shard_info(f.st, 0, &info) == 0);
	CU_ASSERT_EQUAL(info.segments, 0);
	CU_ASSERT_EQUAL(info.records, 0);
	/* the open shard keeps its last segment */
	check_remaining(&f, 1, f.nseg[1] - 1);
	/* a reader of the expired shard finds nothing */
	r = slc_log_reader_open(f.st, 0, &pos);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	slc_log_reader_close(r);
	(void)n0;
	fx_free(&f);
	dir_remove();
}

/*
 * Damage in a segment's last block: its newest arrival is unknown, so it goes
 * only once the next segment's first record is older than the horizon.
 */
static void
test_slc_retention_run_damaged_segment(void)
{
	static const int64_t base[1] = { T0 };
	struct slc_log_seg_info si;
	struct slc_retention_report rep;
	struct evlog l;
	struct fx f;
	char id[SLC_SHARD_ID_LEN + 1], path[512];
	struct stat sb;
	int64_t h;
	FILE *fp;
	int c;

	dir_make();
	fx_make(&f, "damaged", 1, base);
	slc_shard_id_format(0, id);
	snprintf(path, sizeof(path), "%s/%s/%020" PRIu64 ".log", f.st->dir, id, f.seg_first[0][0]);
	CU_ASSERT_FATAL(stat(path, &sb) == 0);
	/* flip a byte in the last page that holds data: the last block's payload */
	memset(&si, 0, sizeof(si));
	si.first_seq = f.seg_first[0][0];
	fp = fopen(path, "r+b");
	CU_ASSERT_FATAL(fp != NULL);
	{
		/* find the last non-zero byte and flip one 100 bytes before it */
		uint8_t *buf = malloc((size_t)sb.st_size);
		long end;

		CU_ASSERT_FATAL(buf != NULL);
		CU_ASSERT_FATAL(fread(buf, 1, (size_t)sb.st_size, fp) == (size_t)sb.st_size);
		for (end = sb.st_size - 1; end > 0 && buf[end] == 0; end--)
			;
		fseek(fp, end - 100, SEEK_SET);
		c = buf[end - 100] ^ 0x5a;
		fputc(c, fp);
		free(buf);
	}
	fclose(fp);
	CU_ASSERT(slc_log_segment_scan(f.st, 0, &si) == 0);
	CU_ASSERT(si.damaged);
	CU_ASSERT(si.next_seq < f.seg_next[0][0]);

	/* every record of segment 0 is older than h, but segment 1 starts at h */
	h = arrival(&f, 0, f.seg_first[0][1]);
	memset(&l, 0, sizeof(l));
	quiet();
	CU_ASSERT(run_at(&f, 60000, 0, h + 60000, &l, &rep) == 0);
	loud();
	CU_ASSERT_EQUAL(l.n, 0);
	check_remaining(&f, 0, 0);
	memset(&l, 0, sizeof(l));
	quiet();
	CU_ASSERT(run_at(&f, 60000, 0, h + 1 + 60000, &l, &rep) == 0);
	loud();
	CU_ASSERT_EQUAL(l.n, 1);
	CU_ASSERT_EQUAL(l.first[0], 0);
	check_remaining(&f, 0, 1);
	fx_free(&f);
	dir_remove();
}

/* ---- readers across deletions ---- */

static struct slc_log_reader *
reader_at(struct fx *f, enum slc_log_pos_type type, uint64_t seq)
{
	struct slc_log_pos pos = { .type = type, .seq = seq };
	struct slc_log_reader *r = slc_log_reader_open(f->st, 0, &pos);

	CU_ASSERT_FATAL(r != NULL);
	return r;
}

/* Read n records, which must be counters from, from + 1, ... */
static void
read_exact(struct slc_log_reader *r, uint64_t from, uint64_t n)
{
	struct slc_record rec;
	char key[32];
	uint64_t i;

	for (i = 0; i < n; i++) {
		CU_ASSERT_FATAL(slc_log_reader_next(r, &rec) == 1);
		CU_ASSERT_EQUAL_FATAL(rec.seq, from + i);
		snprintf(key, sizeof(key), "k-0-%" PRIu64, from + i);
		CU_ASSERT(rec.key_len == strlen(key) && memcmp(rec.key, key, rec.key_len) == 0);
	}
}

/* The rest of the shard, from `from` to NREC, then nothing. */
static void
read_rest(struct slc_log_reader *r, uint64_t from)
{
	struct slc_record rec;

	read_exact(r, from, NREC - from);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), "");
}

static void
test_slc_log_reader_next_after_trim(void)
{
	static const int64_t base[1] = { T0 };
	struct slc_log_reader *th, *at, *done0, *mid, *ahead, *late, *late_seq;
	struct slc_retention_report rep;
	struct slc_record rec;
	struct evlog l;
	struct fx f;
	uint64_t hz, s, prev;
	int64_t h;
	int rc;

	dir_make();
	fx_make(&f, "readers", 1, base);
	/* opened before: at the trim horizon, at an old counter, at the end of
	 * segment 0 (read all of it), in the middle of segment 1, and past the cut */
	th = reader_at(&f, SLC_LOG_POS_TRIM_HORIZON, 0);
	at = reader_at(&f, SLC_LOG_POS_AT_SEQ, 17);
	done0 = reader_at(&f, SLC_LOG_POS_TRIM_HORIZON, 0);
	read_exact(done0, 0, f.seg_next[0][0]);
	mid = reader_at(&f, SLC_LOG_POS_AT_SEQ, f.seg_first[0][1] + 5);
	read_exact(mid, f.seg_first[0][1] + 5, 3);
	ahead = reader_at(&f, SLC_LOG_POS_AT_SEQ, f.seg_first[0][3] + 2);
	CU_ASSERT_EQUAL(slc_log_reader_position(th), 0);
	CU_ASSERT_EQUAL(slc_log_reader_position(at), 17);

	/* segments 0, 1 and 2 expire */
	h = arrival(&f, 0, f.seg_first[0][3]);
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 60000, 0, h + 60000, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 3);
	check_remaining(&f, 0, 3);
	hz = f.seg_first[0][3];

	/* opened after: the trim horizon, and an old counter, start at it */
	late = reader_at(&f, SLC_LOG_POS_TRIM_HORIZON, 0);
	late_seq = reader_at(&f, SLC_LOG_POS_AT_SEQ, 5);
	CU_ASSERT_EQUAL(slc_log_reader_position(late), hz);
	CU_ASSERT_EQUAL(slc_log_reader_position(late_seq), hz);
	read_rest(late, hz);
	read_rest(late_seq, hz);

	/* opened before, nothing returned yet, or at a segment end: exactly the trim horizon */
	read_rest(th, hz);
	read_rest(at, hz);
	read_rest(done0, hz);
	/* past the cut: unaffected */
	read_rest(ahead, f.seg_first[0][3] + 2);
	/*
	 * In the middle of a deleted segment: the rest of the block it holds (it
	 * checks once per block), then the trim horizon, then every record.
	 */
	prev = f.seg_first[0][1] + 7;
	for (;;) {
		rc = slc_log_reader_next(mid, &rec);
		CU_ASSERT_FATAL(rc == 1);
		s = rec.seq;
		if (s != prev + 1)
			break;
		CU_ASSERT_FATAL(s < f.seg_first[0][2]);
		prev = s;
	}
	CU_ASSERT_EQUAL(s, hz);
	read_rest(mid, hz + 1);

	slc_log_reader_close(th);
	slc_log_reader_close(at);
	slc_log_reader_close(done0);
	slc_log_reader_close(mid);
	slc_log_reader_close(ahead);
	slc_log_reader_close(late);
	slc_log_reader_close(late_seq);
	fx_free(&f);
	dir_remove();
}

/* ---- size cap ---- */

/*
 * Shard 1's records are older than shard 0's: the cap deletes shard 1's oldest
 * segments first, then, when only its active segment is left, shard 0's.
 */
static void
test_slc_retention_run_size_oldest_first(void)
{
	static const int64_t base[2] = { T0 + 10000000, T0 };
	struct slc_retention_report rep;
	struct evlog l;
	struct fx f;
	uint64_t total = 0, cap, remain;
	uint32_t s, i, n1;

	dir_make();
	fx_make(&f, "size", 2, base);
	for (s = 0; s < 2; s++)
		for (i = 0; i < f.nseg[s]; i++)
			total += f.seg_bytes[s][i];
	/* one byte more than total - two oldest: three segments of shard 1 go */
	cap = total - f.seg_bytes[1][0] - f.seg_bytes[1][1] - 1;
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 0, cap, T0, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 3);
	for (i = 0; i < l.n && i < 3; i++) {
		CU_ASSERT_EQUAL(l.shard[i], 1);
		CU_ASSERT_EQUAL(l.first[i], f.seg_first[1][i]);
		CU_ASSERT_EQUAL(l.cause[i], SLC_RETENTION_SIZE);
	}
	CU_ASSERT_EQUAL(rep.bytes_deleted, f.seg_bytes[1][0] + f.seg_bytes[1][1] +
		f.seg_bytes[1][2]);
	check_remaining(&f, 1, 3);
	check_remaining(&f, 0, 0);

	/* a cap just above shard 0's whole size plus shard 1's last segment:
	 * all of shard 1 but its active segment goes, then nothing of shard 0 */
	n1 = f.nseg[1];
	remain = f.seg_bytes[1][n1 - 1];
	for (i = 0; i < f.nseg[0]; i++)
		remain += f.seg_bytes[0][i];
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 0, remain, T0, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, n1 - 1 - 3);
	check_remaining(&f, 1, n1 - 1);
	check_remaining(&f, 0, 0);

	/* one byte less: shard 0's oldest segment goes next */
	memset(&l, 0, sizeof(l));
	CU_ASSERT(run_at(&f, 0, remain - 1, T0, &l, &rep) == 0);
	CU_ASSERT_EQUAL(l.n, 1);
	CU_ASSERT(l.shard[0] == 0 && l.first[0] == 0);
	check_remaining(&f, 0, 1);

	/* a cap below what must stay: everything but the active segments, and a warning */
	memset(&l, 0, sizeof(l));
	quiet();
	CU_ASSERT(run_at(&f, 0, 1, T0, &l, &rep) == 0);
	loud();
	CU_ASSERT_EQUAL(l.n, f.nseg[0] - 2);
	check_remaining(&f, 0, f.nseg[0] - 1);
	check_remaining(&f, 1, n1 - 1);
	fx_free(&f);
	dir_remove();
}

/* ---- disk floor ---- */

static uint64_t g_avail, g_size;
static uint32_t g_space_calls;

static int
fake_space(const char *path, uint64_t *avail, uint64_t *size)
{
	CU_ASSERT_STRING_EQUAL(path, g_dir);
	g_space_calls++;
	*avail = g_avail;
	*size = g_size;
	return 0;
}

/*
 * Two streams; stream b's records are the oldest. Below the floor the guard
 * deletes the oldest segments of any stream until what was free plus what it
 * deleted reaches the floor, and raises the alarm.
 */
static void
test_slc_retention_disk_guard_floor(void)
{
	static const int64_t base_a[1] = { T0 + 5000000 }, base_b[1] = { T0 };
	struct slc_retention_hooks h = { .event = ev_cb, .space = fake_space };
	struct slc_retention_floor floor;
	struct slc_retention_report rep;
	const struct slc_stream *sts[2];
	struct evlog l;
	struct fx a, b;

	dir_make();
	fx_make(&a, "a", 1, base_a);
	fx_make(&b, "b", 1, base_b);
	sts[0] = a.st;
	sts[1] = b.st;
	h.arg = &l;
	g_size = 100ULL << 30;
	g_avail = 1ULL << 30;

	/* above the floor: nothing, no alarm */
	floor.bytes = 1ULL << 30;
	floor.pct = 0;
	memset(&l, 0, sizeof(l));
	memset(&rep, 0, sizeof(rep));
	CU_ASSERT(slc_retention_disk_guard(g_dir, sts, 2, &floor, &h, &rep) == 0);
	CU_ASSERT(!rep.disk_alarm);
	CU_ASSERT_EQUAL(rep.disk_avail, 1ULL << 30);
	CU_ASSERT_EQUAL(rep.disk_floor, 1ULL << 30);
	CU_ASSERT_EQUAL(l.n, 0);
	/* 1 % of 100 GiB is 1 GiB: no alarm either */
	floor.bytes = 0;
	floor.pct = 1;
	CU_ASSERT(slc_retention_disk_guard(g_dir, sts, 2, &floor, &h, &rep) == 0);
	CU_ASSERT(!rep.disk_alarm);

	/* short by b's first two segments plus one byte: three of b's segments go */
	floor.pct = 0;
	floor.bytes = g_avail + b.seg_bytes[0][0] + b.seg_bytes[0][1] + 1;
	memset(&l, 0, sizeof(l));
	memset(&rep, 0, sizeof(rep));
	quiet();
	CU_ASSERT(slc_retention_disk_guard(g_dir, sts, 2, &floor, &h, &rep) == 0);
	loud();
	CU_ASSERT(rep.disk_alarm);
	CU_ASSERT_EQUAL(rep.disk_avail, g_avail);
	CU_ASSERT_EQUAL(rep.disk_floor, floor.bytes);
	CU_ASSERT_EQUAL(l.n, 3);
	CU_ASSERT_EQUAL(rep.segments_deleted, 3);
	CU_ASSERT(l.cause[0] == SLC_RETENTION_DISK);
	check_remaining(&b, 0, 3);
	check_remaining(&a, 0, 0);

	/* far below: everything but the active segments of both, b's first */
	floor.bytes = 1ULL << 40;
	memset(&l, 0, sizeof(l));
	memset(&rep, 0, sizeof(rep));
	quiet();
	CU_ASSERT(slc_retention_disk_guard(g_dir, sts, 2, &floor, &h, &rep) == 0);
	loud();
	CU_ASSERT(rep.disk_alarm);
	CU_ASSERT_EQUAL(l.n, (b.nseg[0] - 1 - 3) + (a.nseg[0] - 1));
	CU_ASSERT_EQUAL(l.first[0], b.seg_first[0][3]);
	CU_ASSERT_EQUAL(l.first[b.nseg[0] - 1 - 3], 0);    /* then a's oldest */
	check_remaining(&b, 0, b.nseg[0] - 1);
	check_remaining(&a, 0, a.nseg[0] - 1);

	/* the real statvfs answers for the test directory */
	CU_ASSERT(slc_retention_free_space(g_dir, &g_avail, &g_size) == 0);
	CU_ASSERT(g_size > 0 && g_avail <= g_size);
	fx_free(&a);
	fx_free(&b);
	dir_remove();
}

int
main(void)
{
	struct slc_store *probe;
	CU_pSuite s;
	unsigned int fails;

	probe = slc_store_create(4, NULL, 0, 0);
	if (probe == NULL) {
		fprintf(stderr, "test_retention: io_uring is not available on this machine (%s); "
			"skipped\n", strerror(errno));
		return 77;
	}
	slc_store_free(probe);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("retention", NULL, NULL);
	CU_add_test(s, "test_slc_retention_policy_from_minutes_hours",
		test_slc_retention_policy_from_minutes_hours);
	CU_add_test(s, "test_slc_stream_save_retention_keys", test_slc_stream_save_retention_keys);
	CU_add_test(s, "test_slc_retention_floor_parse_forms", test_slc_retention_floor_parse_forms);
	CU_add_test(s, "test_slc_retention_run_age_exact", test_slc_retention_run_age_exact);
	CU_add_test(s, "test_slc_retention_run_active_kept", test_slc_retention_run_active_kept);
	CU_add_test(s, "test_slc_retention_run_closed_shard_expires",
		test_slc_retention_run_closed_shard_expires);
	CU_add_test(s, "test_slc_retention_run_damaged_segment",
		test_slc_retention_run_damaged_segment);
	CU_add_test(s, "test_slc_log_reader_next_after_trim", test_slc_log_reader_next_after_trim);
	CU_add_test(s, "test_slc_retention_run_size_oldest_first",
		test_slc_retention_run_size_oldest_first);
	CU_add_test(s, "test_slc_retention_disk_guard_floor", test_slc_retention_disk_guard_floor);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails == 0 ? 0 : 1;
}
