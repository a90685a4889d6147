/*
 * Retention: which whole segments to delete, and deleting them (slc_retention.h,
 * docs/retention.md).
 *
 * Every rule walks shards through a cursor: the shard's segment list (names and
 * sizes, one readdir) and the position of its oldest remaining segment. Only
 * that segment is ever a candidate, so deletions in a shard go oldest first and
 * the trim horizon only moves forward. A candidate is scanned (lib/log reads its
 * first block and its tail) when a rule needs its arrival times. The last
 * segment of a shard that may be written is never a candidate.
 *
 * The age rule is per shard; the size cap and the disk floor pick, among the
 * candidates of several shards (several streams for the floor), the one whose
 * first record arrived first. A segment that cannot be scanned or deleted is
 * logged and counted, and its shard takes no further part in that run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <rte_log.h>

#include "slc_mem.h"
#include "slc_retention.h"

RTE_LOG_REGISTER(slc_retention_logtype, slc.lib.retention, INFO);
#define RET_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_retention_logtype, "slc.lib.retention: " fmt "\n", \
		##__VA_ARGS__)

/* One shard's segments and the oldest one still there. */
struct cursor {
	const struct slc_stream *st;
	uint32_t shard;
	struct slc_log_seg_info *segs;
	bool *scanned;
	uint32_t n;
	uint32_t cur;            /* oldest remaining; n: none left to consider */
	bool keep_last;          /* the last segment may be written: never a candidate */
};

/* Why a deletion happened, for the log line. */
struct why {
	enum slc_retention_cause cause;
	int64_t horizon_ms;      /* age */
	uint64_t total, cap;     /* size: stream bytes and max_bytes; disk: free and floor */
	const char *path;        /* disk: the data directory */
};

static const char *const cause_names[] = {
	[SLC_RETENTION_AGE] = "age",
	[SLC_RETENTION_SIZE] = "size",
	[SLC_RETENTION_DISK] = "disk",
};

const char *
slc_retention_cause_name(enum slc_retention_cause c)
{
	return (unsigned)c <= SLC_RETENTION_DISK ? cause_names[c] : "?";
}

void
slc_retention_policy_from(const struct slc_stream_settings *s, struct slc_retention_policy *p)
{
	if (s->retention_minutes != 0)
		p->max_age_ms = (int64_t)s->retention_minutes * 60 * 1000;
	else
		p->max_age_ms = (int64_t)s->retention_hours * 3600 * 1000;
	p->max_bytes = s->max_bytes;
}

/* ---- cursors ---- */

static void
cursor_fini(struct cursor *c)
{
	slc_log_segments_free(c->segs);
	slc_free(c->scanned);
	memset(c, 0, sizeof(*c));
}

static bool
shard_busy(const struct slc_stream *st, uint32_t shard, const struct slc_retention_hooks *h)
{
	if (st->shards[shard].state == SLC_SHARD_OPEN)
		return true;
	return h != NULL && h->busy != NULL && h->busy(h->arg, st, shard);
}

static int
cursor_init(struct cursor *c, const struct slc_stream *st, uint32_t shard,
	const struct slc_retention_hooks *h)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->st = st;
	c->shard = shard;
	c->keep_last = shard_busy(st, shard, h);
	rc = slc_log_segments(st, shard, &c->segs, &c->n);
	if (rc < 0) {
		RET_LOG(ERR, "stream %s shard %u: cannot list its segments: %s", st->name, shard,
			strerror(-rc));
		return rc;
	}
	if (c->n > 0) {
		c->scanned = slc_calloc(c->n, sizeof(*c->scanned));
		if (c->scanned == NULL) {
			cursor_fini(c);
			return -ENOMEM;
		}
	}
	return 0;
}

static uint64_t
seg_bytes(const struct slc_log_seg_info *s)
{
	return s->log_bytes + s->idx_bytes;
}

/* Scan segment i if not done yet. 0, or -errno (-ENOENT: it is gone). */
static int
cursor_scan(struct cursor *c, uint32_t i, struct slc_retention_report *rep)
{
	int rc;

	if (c->scanned[i])
		return 0;
	rc = slc_log_segment_scan(c->st, c->shard, &c->segs[i]);
	if (rc == 0) {
		c->scanned[i] = true;
	} else if (rc != -ENOENT) {
		RET_LOG(ERR, "stream %s shard %u: cannot read segment %020" PRIu64 ": %s",
			c->st->name, c->shard, c->segs[i].first_seq, strerror(-rc));
		rep->errors++;
	}
	return rc;
}

/*
 * The oldest segment of the shard that may be deleted, scanned; NULL if none
 * (nothing left, only the kept last one, or an error that ends the shard's run).
 */
static struct slc_log_seg_info *
cursor_candidate(struct cursor *c, struct slc_retention_report *rep)
{
	int rc;

	while (c->cur < c->n) {
		if (c->cur == c->n - 1 && c->keep_last)
			return NULL;
		rc = cursor_scan(c, c->cur, rep);
		if (rc == 0)
			return &c->segs[c->cur];
		if (rc == -ENOENT) {        /* deleted by someone else meanwhile */
			c->cur++;
			continue;
		}
		c->cur = c->n;
	}
	return NULL;
}

static void
log_deleted(const struct slc_retention_event *ev, const struct why *w)
{
	const struct slc_log_seg_info *s = &ev->seg;
	char id[SLC_SHARD_ID_LEN + 1], reason[160];

	slc_shard_id_format(ev->shard, id);
	switch (w->cause) {
	case SLC_RETENTION_AGE:
		snprintf(reason, sizeof(reason), "every record arrived before the retention "
			"horizon %" PRId64 " ms", w->horizon_ms);
		break;
	case SLC_RETENTION_SIZE:
		snprintf(reason, sizeof(reason), "the stream holds %" PRIu64 " bytes, more than "
			"max_bytes %" PRIu64, w->total, w->cap);
		break;
	case SLC_RETENTION_DISK:
		snprintf(reason, sizeof(reason), "disk alarm: %s has %" PRIu64 " bytes free, below "
			"the floor of %" PRIu64, w->path, w->total, w->cap);
		break;
	}
	RET_LOG(INFO, "stream %s %s: deleted segment %020" PRIu64 ".log (%" PRIu64 " records, "
		"%" PRIu64 " bytes, arrivals %" PRId64 "..%" PRId64 " ms): %s; trim horizon now "
		"%" PRIu64 "%s", ev->stream->name, id, s->first_seq, s->next_seq - s->first_seq,
		seg_bytes(s), s->first_time_ms, s->last_time_ms, reason, ev->horizon_seq,
		ev->shard_expired ? "; the closed shard is fully expired" : "");
}

/*
 * Delete the cursor's candidate. Returns 0 (deleted, or already gone: the cursor
 * moved on either way) or -errno (logged, counted; the shard is done for this run).
 */
static int
cursor_delete(struct cursor *c, const struct why *w, const struct slc_retention_hooks *h,
	struct slc_retention_report *rep)
{
	struct slc_retention_event ev;
	uint32_t i = c->cur;
	int rc;

	rc = slc_log_segment_delete(c->st, c->shard, c->segs[i].first_seq);
	if (rc == -ENOENT) {
		c->cur++;
		return 0;
	}
	if (rc < 0) {
		rep->errors++;
		c->cur = c->n;
		return rc;
	}
	c->cur++;
	memset(&ev, 0, sizeof(ev));
	ev.stream = c->st;
	ev.shard = c->shard;
	ev.cause = w->cause;
	ev.seg = c->segs[i];
	ev.shard_expired = c->cur == c->n;
	ev.horizon_seq = ev.shard_expired ? ev.seg.next_seq : c->segs[c->cur].first_seq;
	rep->segments_deleted++;
	rep->bytes_deleted += seg_bytes(&ev.seg);
	rep->records_deleted += ev.seg.next_seq - ev.seg.first_seq;
	if (ev.shard_expired)
		rep->shards_expired++;
	log_deleted(&ev, w);
	if (h != NULL && h->event != NULL)
		h->event(h->arg, &ev);
	return 0;
}

/*
 * Of the cursors' candidates, the one whose first record arrived first (an empty
 * segment counts as oldest; ties go to the earlier cursor). NULL if none.
 */
static struct cursor *
oldest_candidate(struct cursor *cs, uint32_t n, struct slc_retention_report *rep)
{
	struct slc_log_seg_info *s, *best_s = NULL;
	struct cursor *best = NULL;
	uint32_t i;

	for (i = 0; i < n; i++) {
		s = cursor_candidate(&cs[i], rep);
		if (s == NULL)
			continue;
		if (best == NULL || s->first_time_ms < best_s->first_time_ms) {
			best = &cs[i];
			best_s = s;
		}
	}
	return best;
}

/* ---- age ---- */

/* Is the candidate expired: every record arrived before horizon_ms? */
static bool
expired(struct cursor *c, const struct slc_log_seg_info *s, int64_t horizon_ms,
	struct slc_retention_report *rep)
{
	const struct slc_log_seg_info *next;

	if (!s->damaged)
		return s->next_seq == s->first_seq || s->last_time_ms < horizon_ms;
	/*
	 * Its tail is unknown past the damage; the next segment's first record
	 * arrived no earlier than anything in it.
	 */
	if (c->cur + 1 >= c->n || cursor_scan(c, c->cur + 1, rep) != 0)
		return false;
	next = &c->segs[c->cur + 1];
	return next->first_time_ms >= 0 && next->first_time_ms < horizon_ms;
}

static int
run_age(const struct slc_stream *st, uint32_t shard, int64_t horizon_ms,
	const struct slc_retention_hooks *h, struct slc_retention_report *rep)
{
	struct why w = { .cause = SLC_RETENTION_AGE, .horizon_ms = horizon_ms };
	struct slc_log_seg_info *s;
	struct cursor c;
	int rc;

	rc = cursor_init(&c, st, shard, h);
	if (rc < 0)
		return rc;
	while ((s = cursor_candidate(&c, rep)) != NULL && expired(&c, s, horizon_ms, rep))
		cursor_delete(&c, &w, h, rep);
	cursor_fini(&c);
	return 0;
}

/* ---- size ---- */

static int
run_size(const struct slc_stream *st, uint64_t max_bytes, const struct slc_retention_hooks *h,
	struct slc_retention_report *rep)
{
	struct why w = { .cause = SLC_RETENTION_SIZE, .cap = max_bytes };
	struct cursor *cs, *c;
	uint64_t total = 0, b;
	uint32_t i, j;
	int rc = 0;

	cs = slc_calloc(st->nshards, sizeof(*cs));
	if (cs == NULL)
		return -ENOMEM;
	for (i = 0; i < st->nshards; i++) {
		rc = cursor_init(&cs[i], st, i, h);
		if (rc < 0)
			goto out;
		for (j = 0; j < cs[i].n; j++)
			total += seg_bytes(&cs[i].segs[j]);
	}
	while (total > max_bytes) {
		c = oldest_candidate(cs, st->nshards, rep);
		if (c == NULL) {
			RET_LOG(WARNING, "stream %s holds %" PRIu64 " bytes, more than max_bytes %"
				PRIu64 ", but only segments being written are left", st->name, total,
				max_bytes);
			break;
		}
		b = seg_bytes(&c->segs[c->cur]);
		w.total = total;
		if (cursor_delete(c, &w, h, rep) == 0)
			total -= b;
	}
out:
	for (i = 0; i < st->nshards; i++)
		cursor_fini(&cs[i]);
	slc_free(cs);
	return rc;
}

int
slc_retention_run(const struct slc_stream *st, const struct slc_retention_policy *p,
	int64_t now_ms, const struct slc_retention_hooks *h, struct slc_retention_report *rep)
{
	uint32_t i;
	int rc;

	if (st == NULL || p == NULL || rep == NULL)
		return -EINVAL;
	if (p->max_age_ms > 0) {
		for (i = 0; i < st->nshards; i++) {
			rc = run_age(st, i, now_ms - p->max_age_ms, h, rep);
			if (rc < 0)
				return rc;
		}
	}
	if (p->max_bytes > 0)
		return run_size(st, p->max_bytes, h, rep);
	return 0;
}

/* ---- disk floor ---- */

int
slc_retention_free_space(const char *path, uint64_t *avail, uint64_t *size)
{
	struct statvfs sv;

	if (statvfs(path, &sv) != 0)
		return -errno;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	*size = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}

int
slc_retention_floor_parse(const char *s, struct slc_retention_floor *f)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (s == NULL || f == NULL || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (strcmp(end, "%") == 0) {
		if (v < 1 || v > 99)
			return -EINVAL;
		f->bytes = 0;
		f->pct = (uint32_t)v;
		return 0;
	}
	switch (*end) {
	case '\0': shift = 0; break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return -EINVAL;
	}
	if (*end != '\0' && end[1] != '\0')
		return -EINVAL;
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return -EINVAL;
	f->bytes = (uint64_t)v << shift;
	f->pct = 0;
	return 0;
}

int
slc_retention_disk_guard(const char *data_dir, const struct slc_stream *const *streams,
	uint32_t n, const struct slc_retention_floor *floor, const struct slc_retention_hooks *h,
	struct slc_retention_report *rep)
{
	struct why w = { .cause = SLC_RETENTION_DISK, .path = data_dir };
	slc_retention_space_fn space;
	uint64_t avail, size, want, freed = 0, b;
	struct cursor *cs = NULL, *c;
	uint32_t i, j, nc = 0, total_shards = 0;
	int rc;

	if (data_dir == NULL || floor == NULL || rep == NULL || (n > 0 && streams == NULL))
		return -EINVAL;
	if (floor->bytes == 0 && floor->pct == 0)
		return 0;
	space = h != NULL && h->space != NULL ? h->space : slc_retention_free_space;
	rc = space(data_dir, &avail, &size);
	if (rc < 0) {
		RET_LOG(ERR, "disk guard: cannot read the free space of %s: %s", data_dir,
			strerror(-rc));
		return rc;
	}
	want = floor->pct ? size / 100 * floor->pct : floor->bytes;
	rep->disk_avail = avail;
	rep->disk_floor = want;
	if (avail >= want)
		return 0;
	rep->disk_alarm = true;
	RET_LOG(WARNING, "disk alarm: %s has %" PRIu64 " bytes free, below the floor of %" PRIu64
		" bytes: deleting the oldest segments", data_dir, avail, want);
	for (i = 0; i < n; i++)
		total_shards += streams[i]->nshards;
	if (total_shards > 0) {
		cs = slc_calloc(total_shards, sizeof(*cs));
		if (cs == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < streams[i]->nshards; j++) {
			/* a shard that cannot be listed just takes no part */
			if (cursor_init(&cs[nc], streams[i], j, h) == 0)
				nc++;
			else
				rep->errors++;
		}
	}
	while (avail + freed < want) {
		c = oldest_candidate(cs, nc, rep);
		if (c == NULL) {
			RET_LOG(ERR, "disk alarm: %s still has only %" PRIu64 " bytes free (floor %"
				PRIu64 ") and only segments being written are left to delete; writes "
				"may fail", data_dir, avail + freed, want);
			break;
		}
		b = seg_bytes(&c->segs[c->cur]);
		w.total = avail + freed;
		w.cap = want;
		if (cursor_delete(c, &w, h, rep) == 0)
			freed += b;
	}
	for (i = 0; i < nc; i++)
		cursor_fini(&cs[i]);
	slc_free(cs);
	return 0;
}
