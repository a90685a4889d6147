/*
 * @file
 * slc_retention: expire old data by deleting whole segments (docs/retention.md).
 *
 * Three rules, applied oldest first so that a shard's trim horizon (the first
 * record of its first remaining segment) only ever moves forward:
 *
 *  - age: a segment goes when every record in it arrived before
 *    now_ms - max_age_ms (arrival times as stored in the log; now_ms is the
 *    caller's, so tests control the clock). Its newest arrival is read from its
 *    tail; a damaged segment, whose tail is unknown, goes only once the next
 *    segment's first record is older than the horizon.
 *  - size: while the stream's segment files (.log + .idx, all shards) exceed
 *    max_bytes, the oldest segment by first record arrival goes, across shards.
 *  - disk floor: while the file system's free space is below a floor, the oldest
 *    segment of any stream goes, and the run raises an alarm (log line, report).
 *
 * Never deleted: the last segment of a shard that may be written, i.e. an OPEN
 * shard in the stream's table or one the caller's busy() hook names. That
 * segment is the one a writer appends to (or, for a stopped stream, the one the
 * next writer continues in, whose name carries the shard's next counter). The
 * last segment of a CLOSED shard goes once it expires; when none is left the
 * shard is fully expired and the event says so.
 *
 * Deletion is lib/log's slc_log_segment_delete() (.log, then .idx, then fsync of
 * the directory). Readers of a deleted segment continue at the trim horizon
 * (lib/log). Runs on the control core or in the tool; it blocks on file I/O and
 * never runs on a data core. Not thread-safe; separate streams may be handled by
 * separate threads. Functions returning int return 0 or -errno.
 */
#ifndef SLC_RETENTION_H
#define SLC_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "slc_log.h"
#include "slc_stream.h"

struct slc_retention_policy {
	int64_t max_age_ms;          /* <= 0: no age limit */
	uint64_t max_bytes;          /* 0: no size cap */
};

/*
 * The policy a stream's settings ask for: retention_minutes if set, else
 * retention_hours; max_bytes.
 */
void slc_retention_policy_from(const struct slc_stream_settings *s, struct slc_retention_policy *p);

enum slc_retention_cause {
	SLC_RETENTION_AGE = 0,
	SLC_RETENTION_SIZE,
	SLC_RETENTION_DISK,
};

/* "age", "size", "disk". */
const char *slc_retention_cause_name(enum slc_retention_cause c);

/* One deleted segment. */
struct slc_retention_event {
	const struct slc_stream *stream;
	uint32_t shard;
	enum slc_retention_cause cause;
	struct slc_log_seg_info seg;  /* as scanned before deletion: records are
	                               * seg.next_seq - seg.first_seq, bytes log + idx */
	uint64_t horizon_seq;         /* the shard's trim horizon after the deletion */
	bool shard_expired;           /* it was the last segment of a closed shard */
};

/* True if shard `shard` of st may be written now although st says CLOSED. */
typedef bool (*slc_retention_busy_cb)(void *arg, const struct slc_stream *st, uint32_t shard);
typedef void (*slc_retention_event_cb)(void *arg, const struct slc_retention_event *ev);
/* Free and total bytes of the file system holding path. 0 or -errno. */
typedef int (*slc_retention_space_fn)(const char *path, uint64_t *avail, uint64_t *size);

struct slc_retention_hooks {
	slc_retention_busy_cb busy;   /* NULL: only OPEN shards are protected */
	slc_retention_event_cb event; /* NULL: none; called after each deletion */
	void *arg;                    /* for both */
	slc_retention_space_fn space; /* NULL: slc_retention_free_space() */
};

/* What one or more runs did; the functions below add to it (zero it first). */
struct slc_retention_report {
	uint64_t segments_deleted;
	uint64_t bytes_deleted;       /* .log + .idx */
	uint64_t records_deleted;
	uint32_t shards_expired;      /* closed shards whose last segment went */
	uint32_t errors;              /* segments that could not be scanned or deleted
	                               * (logged with the file); the run goes on */
	bool disk_alarm;              /* free space was below the floor */
	uint64_t disk_avail;          /* free bytes the last disk guard saw */
	uint64_t disk_floor;          /* the floor it compared with, in bytes */
};

/*
 * Apply policy p to stream st at time now_ms: the age rule per shard, then the
 * size cap. h may be NULL. Returns 0 (also when some segments could not be
 * deleted: rep->errors counts them), or -EINVAL (NULL st, p or rep), -ENOMEM, or
 * the -errno of listing a shard directory.
 */
int slc_retention_run(const struct slc_stream *st, const struct slc_retention_policy *p,
	int64_t now_ms, const struct slc_retention_hooks *h, struct slc_retention_report *rep);

/* statvfs(path): bytes available to unprivileged users, and the file system's size. */
int slc_retention_free_space(const char *path, uint64_t *avail, uint64_t *size);

/* A free-space floor: bytes, or a percentage of the file system's size. */
struct slc_retention_floor {
	uint64_t bytes;               /* used when pct == 0 */
	uint32_t pct;                 /* 1..99, or 0 */
};

/*
 * Parse "BYTES" (a decimal, optionally with suffix K, M, G or T: powers of 1024)
 * or "N%" (1..99). Returns 0 or -EINVAL.
 */
int slc_retention_floor_parse(const char *s, struct slc_retention_floor *f);

/*
 * Disk-space guard over the streams of one data directory: if the free space of
 * data_dir's file system (h->space, else statvfs) is below the floor, set
 * rep->disk_alarm, log it, and delete the oldest deletable segments of any
 * stream (by first record arrival) until the free space, counted as what was
 * free plus what was deleted, reaches the floor. Each deletion is logged with
 * the stream, shard, file, and the figures that caused it. A floor of 0 bytes
 * and 0 % does nothing. Returns 0 (also when it could not free enough: that is
 * logged), -EINVAL, or the -errno of the free-space call.
 */
int slc_retention_disk_guard(const char *data_dir, const struct slc_stream *const *streams,
	uint32_t n, const struct slc_retention_floor *floor, const struct slc_retention_hooks *h,
	struct slc_retention_report *rep);

#endif /* SLC_RETENTION_H */
