/*
 * Retention in the appliance (docs/retention.md): every --retention-interval-s
 * the control core applies each stream's retention policy (lib/retention) and
 * the --disk-floor guard, deleting whole expired segments. Data cores never
 * touch files other than their own segments: the deletions happen here.
 *
 * Settings are read from stream.meta, not from the handles the engine uses:
 * before each pass the file's inode and mtime are compared with the last ones,
 * and a changed file is opened anew (slc_stream_open), so `sluice retention`
 * on a running appliance takes effect at the next pass without a restart. The
 * fresh handle also supplies the shard table retention walks.
 *
 * Protected: the last segment of every shard that is OPEN in stream.meta, and
 * of every shard the engine has a writer for (slc_ingest_shard_info), whatever
 * the file says.
 *
 * With more than one lcore the main lcore (the control core) calls
 * sluiced_retention_tick() from its loop. With a single lcore (-l 0) the main
 * lcore is the one data core, so a plain control thread runs the passes instead.
 * Counters are written by that one thread and read by telemetry with relaxed
 * atomic loads.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "slc_mem.h"
#include "sluiced.h"

struct ret_stream {
	const struct slc_stream *live;   /* the engine's handle (name, directory) */
	struct slc_stream *disk;         /* stream.meta as last read; NULL: use live */
	ino_t ino;
	struct timespec mtime;
	struct slc_retention_policy pol;
};

static struct {
	const char *data_dir;
	uint64_t interval_ms;            /* 0: retention off */
	struct slc_retention_floor floor;
	struct slc_ingest *ing;
	struct ret_stream s[SLUICED_MAX_STREAMS];
	uint32_t n;
	uint64_t last_ms;
	bool ran;
	pthread_t thr;
	bool thr_started;
	volatile int thr_stop;
} R;

static struct sluiced_retention_stats counters;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t
epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
count(uint64_t *c, uint64_t v)
{
	if (v != 0)
		__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

void
sluiced_retention_stats(struct sluiced_retention_stats *out)
{
	out->passes = __atomic_load_n(&counters.passes, __ATOMIC_RELAXED);
	out->segments_deleted = __atomic_load_n(&counters.segments_deleted, __ATOMIC_RELAXED);
	out->bytes_deleted = __atomic_load_n(&counters.bytes_deleted, __ATOMIC_RELAXED);
	out->records_deleted = __atomic_load_n(&counters.records_deleted, __ATOMIC_RELAXED);
	out->disk_alarm = __atomic_load_n(&counters.disk_alarm, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&counters.errors, __ATOMIC_RELAXED);
}

/* The engine writes shard `shard` of st: keep its last segment. */
static bool
engine_writes(void *arg, const struct slc_stream *st, uint32_t shard)
{
	const struct slc_ingest_shard_info *si;
	uint32_t i;

	(void)arg;
	for (i = 0; i < slc_ingest_n_shards(R.ing); i++) {
		si = slc_ingest_shard_info(R.ing, i);
		if (si != NULL && si->index == shard && strcmp(si->stream->name, st->name) == 0)
			return true;
	}
	return false;
}

static void
policy_print(const struct ret_stream *rs, const char *why)
{
	const struct slc_stream_settings *set = &(rs->disk ? rs->disk : rs->live)->settings;

	printf("sluiced: stream %s: retention %" PRId64 " minutes%s, ", rs->live->name,
		rs->pol.max_age_ms / 60000, set->retention_minutes ? "" : " (retention_hours)");
	if (rs->pol.max_bytes)
		printf("max_bytes %" PRIu64, rs->pol.max_bytes);
	else
		printf("no size cap");
	printf(" (%s)\n", why);
	fflush(stdout);
}

/* Re-read stream.meta if it changed since we last read it. */
static void
refresh(struct ret_stream *rs)
{
	struct slc_stream *st;
	struct stat sb;
	char path[4096];

	snprintf(path, sizeof(path), "%s/stream.meta", rs->live->dir);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "sluiced: stream %s: cannot stat %s: %s; keeping the retention "
			"settings\n", rs->live->name, path, strerror(errno));
		return;
	}
	if (sb.st_ino == rs->ino && sb.st_mtim.tv_sec == rs->mtime.tv_sec &&
			sb.st_mtim.tv_nsec == rs->mtime.tv_nsec)
		return;
	st = slc_stream_open(R.data_dir, rs->live->name);
	if (st == NULL) {
		fprintf(stderr, "sluiced: stream %s: cannot re-read %s: %s; keeping the retention "
			"settings\n", rs->live->name, path, strerror(errno));
		return;
	}
	slc_stream_close(rs->disk);
	rs->disk = st;
	rs->ino = sb.st_ino;
	rs->mtime = sb.st_mtim;
	slc_retention_policy_from(&st->settings, &rs->pol);
	policy_print(rs, R.ran ? "stream.meta changed" : "at start");
}

static void
on_deleted(void *arg, const struct slc_retention_event *ev)
{
	char id[SLC_SHARD_ID_LEN + 1];

	(void)arg;
	slc_shard_id_format(ev->shard, id);
	printf("sluiced: retention (%s): stream %s %s: deleted segment %020" PRIu64 " (%" PRIu64
		" records, %" PRIu64 " bytes), trim horizon now %" PRIu64 "%s\n",
		slc_retention_cause_name(ev->cause), ev->stream->name, id, ev->seg.first_seq,
		ev->seg.next_seq - ev->seg.first_seq, ev->seg.log_bytes + ev->seg.idx_bytes,
		ev->horizon_seq, ev->shard_expired ? ", closed shard fully expired" : "");
}

/* One pass over every stream, then the disk guard. */
static void
pass(void)
{
	struct slc_retention_hooks h = { .busy = engine_writes, .event = on_deleted };
	const struct slc_stream *sts[SLUICED_MAX_STREAMS];
	struct slc_retention_report rep;
	int64_t now = epoch_ms();
	uint32_t i;
	int rc;

	memset(&rep, 0, sizeof(rep));
	for (i = 0; i < R.n; i++) {
		refresh(&R.s[i]);
		sts[i] = R.s[i].disk != NULL ? R.s[i].disk : R.s[i].live;
		rc = slc_retention_run(sts[i], &R.s[i].pol, now, &h, &rep);
		if (rc < 0) {
			fprintf(stderr, "sluiced: stream %s: retention pass failed: %s\n",
				sts[i]->name, strerror(-rc));
			rep.errors++;
		}
	}
	rc = slc_retention_disk_guard(R.data_dir, sts, R.n, &R.floor, &h, &rep);
	if (rc < 0)
		rep.errors++;
	R.ran = true;
	count(&counters.passes, 1);
	count(&counters.segments_deleted, rep.segments_deleted);
	count(&counters.bytes_deleted, rep.bytes_deleted);
	count(&counters.records_deleted, rep.records_deleted);
	count(&counters.disk_alarm, rep.disk_alarm);
	count(&counters.errors, rep.errors);
	if (rep.segments_deleted > 0)
		fflush(stdout);
}

void
sluiced_retention_tick(uint64_t now_ms)
{
	if (R.interval_ms == 0 || (R.ran && now_ms - R.last_ms < R.interval_ms))
		return;
	R.last_ms = now_ms;
	pass();
}

static void *
control_thread(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&R.thr_stop, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 10000000 };

		sluiced_retention_tick(mono_ms());
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int
sluiced_retention_start(const struct sluiced_cfg *cfg, struct slc_stream *const *streams,
	uint32_t n, struct slc_ingest *ing, bool own_thread)
{
	uint32_t i;
	int rc;

	memset(&R, 0, sizeof(R));
	R.data_dir = cfg->data_dir;
	R.interval_ms = (uint64_t)cfg->retention_interval_s * 1000u;
	R.floor = cfg->disk_floor;
	R.ing = ing;
	R.n = n;
	for (i = 0; i < n; i++) {
		R.s[i].live = streams[i];
		slc_retention_policy_from(&streams[i]->settings, &R.s[i].pol);
	}
	if (R.interval_ms == 0) {
		printf("sluiced: retention off (--retention-interval-s 0)\n");
		return 0;
	}
	printf("sluiced: retention every %" PRIu32 " s", cfg->retention_interval_s);
	if (R.floor.pct)
		printf(", disk floor %" PRIu32 "%%", R.floor.pct);
	else if (R.floor.bytes)
		printf(", disk floor %" PRIu64 " bytes", R.floor.bytes);
	printf("\n");
	if (!own_thread)
		return 0;
	rc = pthread_create(&R.thr, NULL, control_thread, NULL);
	if (rc != 0) {
		fprintf(stderr, "sluiced: cannot start the retention thread: %s\n", strerror(rc));
		return -rc;
	}
	R.thr_started = true;
	return 0;
}

void
sluiced_retention_stop(void)
{
	uint32_t i;

	if (R.thr_started) {
		__atomic_store_n(&R.thr_stop, 1, __ATOMIC_RELEASE);
		pthread_join(R.thr, NULL);
		R.thr_started = false;
	}
	for (i = 0; i < R.n; i++) {
		slc_stream_close(R.s[i].disk);
		R.s[i].disk = NULL;
	}
	R.n = 0;
	R.interval_ms = 0;
}
