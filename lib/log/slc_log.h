/*
 * @file
 * slc_log: per-shard append-only logs on disk (format: docs/log-format.md, v1).
 *
 * Writer. A writer belongs to one core and owns the shards opened on it: only
 * that core appends to them, so nothing here takes a lock. Records are appended
 * into page-aligned I/O buffers as blocks (lib/block). A block is sealed when its
 * payload reaches block_max, when its oldest record has waited linger_us, or on
 * an explicit flush; a buffer is written when it is full or when its oldest
 * sealed, unwritten record has waited linger_us (so size-sealed blocks collect
 * into large writes). A buffer that fills is padded to the next page and written whole; a
 * block sealed by linger ends mid-page, and the next flush rewrites that partly
 * filled page (same bytes plus new ones) rather than padding a page per flush.
 * Writes go through one io_uring per writer (drivers/store) with registered
 * buffers, several in flight. With durability `direct` a record is durable when
 * the O_DIRECT write holding it and all earlier writes of its shard completed;
 * with `fsync` also after an fdatasync that started after those completions
 * (group commit: one fdatasync covers every write completed before it). The
 * writer reports durability per shard as a watermark through a callback.
 *
 * Segments roll at segment_size; each has a sparse index (.idx) written once the
 * blocks it names are durable, used by readers to seek and by recovery to read
 * only the tail. Opening a shard recovers it: the torn or corrupt tail after the
 * last good block is cut, and sequence numbers continue after the last good
 * record.
 *
 * Readers work on files only and may run in another process while the writer
 * appends. Every block's CRC is checked; a bad block is never returned.
 */
#ifndef SLC_LOG_H
#define SLC_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "slc_block.h"
#include "slc_stream.h"

/* ---- writer ---- */

struct slc_log_cfg {
	uint32_t buf_size;        /* I/O buffer bytes, multiple of 4 KiB; default 256 KiB,
	                           * raised to hold the largest record of a stream */
	uint32_t block_max;       /* raw payload bytes that seal a block; default 64 KiB */
	uint32_t linger_us;       /* oldest unflushed record waits at most this; default 1000 */
	uint64_t segment_size;    /* roll segments at this size; default 256 MiB */
	uint32_t nbufs;           /* I/O buffers per writer; default 64 */
	uint32_t queue_depth;     /* io_uring entries; default 128 */
	uint32_t index_interval;  /* at most one index entry per this many bytes; default 64 KiB */
	uint32_t max_record;      /* largest data size of any stream opened; default 1 MiB */
	bool buffered_io;         /* fall back to page-cache writes where O_DIRECT is unsupported */
};

void slc_log_cfg_default(struct slc_log_cfg *cfg);

struct slc_log_writer;
struct slc_log_shard;

/*
 * Durability report: every record of sh with counter < next_seq is durable at the
 * stream's durability level. Called from slc_log_poll()/slc_log_sync() on the
 * owner core, once per shard whose watermark moved.
 */
typedef void (*slc_log_durable_cb)(void *arg, struct slc_log_shard *sh, uint64_t next_seq);

/*
 * Create a writer. Returns NULL with errno set: EINVAL (bad cfg), ENOMEM, or the
 * errno of io_uring set-up.
 */
struct slc_log_writer *slc_log_writer_create(const struct slc_log_cfg *cfg, slc_log_durable_cb cb,
	void *cb_arg);

/* Free a writer after slc_log_sync(); closes every shard still open on it. */
void slc_log_writer_free(struct slc_log_writer *w);

/*
 * Open shard `index` of stream st for appending on writer w, recovering its tail
 * first (see slc_log_recover). The stream handle must outlive the shard. Only one
 * writer in the system may own a shard; the caller ensures that (the tool takes
 * the stream's writer lock). Returns NULL with errno set: EINVAL (no such shard,
 * shard closed), EEXIST (already open on w), EIO or EBADMSG (unrecoverable damage,
 * logged with file and offset), EINVAL if the data directory rejects O_DIRECT and
 * buffered_io is off (the log message says why and how to fix it).
 */
struct slc_log_shard *slc_log_shard_open(struct slc_log_writer *w, const struct slc_stream *st,
	uint32_t index);

/*
 * Append one record. Sets r->seq (next counter) and r->arrival_ms (now_ms, or the
 * previous record's arrival if the clock went back: arrival times never decrease
 * within a shard). The record is copied; r's memory may be reused on return.
 * Returns 0, or:
 *   -EINVAL  key length not 1..256 or data longer than the stream's max record;
 *   -ENOBUFS no free I/O buffer (the disk is behind): nothing stored, count it;
 *   -EIO     an earlier write of this shard failed; the shard accepts no more.
 */
int slc_log_append(struct slc_log_shard *sh, struct slc_record *r, int64_t now_ms);

/*
 * Poll: seal blocks whose oldest record has waited linger_us at now_us (a
 * monotonic clock in microseconds, the caller's), submit writes, reap
 * completions, issue group fdatasyncs, report durability. Never blocks. Returns
 * the number of completions reaped, or -errno of a failed submission.
 */
int slc_log_poll(struct slc_log_writer *w, uint64_t now_us);

/* Seal and submit everything appended so far, without waiting. 0 or -errno. */
int slc_log_flush(struct slc_log_writer *w);

/*
 * Flush and wait (blocking) until every record appended so far is durable.
 * For tools and shutdown, not for a poll loop. Returns 0, or -EIO if a write or
 * fdatasync failed (the shard and file are logged).
 */
int slc_log_sync(struct slc_log_writer *w);

/*
 * Free I/O buffers of w now (owner core; another thread may read it as a hint,
 * a relaxed load). Below a few, appends soon fail with -ENOBUFS: the data plane
 * stops taking TCP data from its connections then (backpressure).
 */
uint32_t slc_log_free_bufs(const struct slc_log_writer *w);

uint32_t slc_log_shard_index(const struct slc_log_shard *sh);
uint64_t slc_log_shard_next_seq(const struct slc_log_shard *sh);    /* next counter to assign */
uint64_t slc_log_shard_durable_seq(const struct slc_log_shard *sh); /* watermark */

struct slc_log_stats {
	uint64_t records;          /* appended */
	uint64_t record_bytes;     /* key + data bytes appended */
	uint64_t blocks;           /* sealed */
	uint64_t blocks_deflated;  /* stored compressed */
	uint64_t writes;           /* write requests completed */
	uint64_t write_bytes;      /* bytes written, tail-page rewrites included */
	uint64_t fsyncs;
	uint64_t enobufs;          /* appends refused: no free I/O buffer */
	uint64_t segments_rolled;
};
void slc_log_writer_stats(const struct slc_log_writer *w, struct slc_log_stats *out);

/* ---- recovery and inspection (any process) ---- */

struct slc_log_shard_info {
	uint64_t first_seq;        /* trim horizon: first counter still stored */
	uint64_t next_seq;         /* counter after the last good record */
	uint64_t records;          /* next_seq - first_seq */
	uint64_t bytes;            /* bytes of segment files on disk */
	int64_t first_time_ms;     /* -1 if empty */
	int64_t last_time_ms;      /* -1 if empty */
	uint32_t segments;
};

/*
 * Recover a shard's log in place: find the last good block from the last good
 * index entry of the last segment, cut what follows it (torn write or damage),
 * drop index entries past the cut. Reads only the tail. Fills *info if non-NULL.
 * Must not run while a writer has the shard open. Returns 0, or -errno;
 * damage it cannot repair is logged with file and offset.
 */
int slc_log_recover(const struct slc_stream *st, uint32_t index, struct slc_log_shard_info *info);

/*
 * What is stored in a shard, without changing anything (a writer may be active).
 * Returns 0 or -errno.
 */
int slc_log_shard_info(const struct slc_stream *st, uint32_t index, struct slc_log_shard_info *info);

/*
 * Check every block of a shard. bad is called for each bad block with the file
 * path, offset and reason. Returns 0 if all blocks are good, -EBADMSG if any is
 * bad, or -errno if the files cannot be read. *blocks counts good blocks.
 */
typedef void (*slc_log_bad_cb)(void *arg, const char *path, uint64_t off, const char *why);
int slc_log_verify(const struct slc_stream *st, uint32_t index, slc_log_bad_cb bad, void *arg,
	uint64_t *blocks, uint64_t *records);

/* ---- whole segments, for retention (log_segment.c; any process) ---- */

struct slc_log_seg_info {
	uint64_t first_seq;        /* the segment's name: counter of its first record */
	uint64_t log_bytes;        /* size of the .log file */
	uint64_t idx_bytes;        /* size of the .idx file, 0 if there is none */
	/* filled by slc_log_segment_scan(), else next_seq = first_seq and times -1: */
	uint64_t next_seq;         /* counter after its last good record (first_seq: empty) */
	int64_t first_time_ms;     /* arrival of its first record, -1 if empty */
	int64_t last_time_ms;      /* arrival of its last good record, -1 if empty */
	bool damaged;              /* its blocks end at bad bytes: last_time_ms is a lower
	                            * bound only (the next segment's first time bounds it) */
};

/*
 * A shard's segments in counter order, with their file sizes. *segs is freed
 * with slc_log_segments_free() (NULL when *n is 0). Returns 0 or -errno (EINVAL:
 * no such shard).
 */
int slc_log_segments(const struct slc_stream *st, uint32_t index, struct slc_log_seg_info **segs,
	uint32_t *n);
void slc_log_segments_free(struct slc_log_seg_info *segs);

/*
 * Fill the arrival times and next_seq of segment seg->first_seq, reading its first
 * block and its tail (from the last good index entry), not the whole file.
 * Returns 0, -ENOENT (the segment is gone), or -errno.
 */
int slc_log_segment_scan(const struct slc_stream *st, uint32_t index, struct slc_log_seg_info *seg);

/*
 * Delete segment first_seq of a shard: its .log, then its .idx, then fsync the
 * shard directory (crash-safe order: readers list .log files). The caller makes
 * sure nobody writes the segment and deletes oldest first, so that the trim
 * horizon only moves forward. Returns 0, -ENOENT (no such segment), or -errno.
 */
int slc_log_segment_delete(const struct slc_stream *st, uint32_t index, uint64_t first_seq);

/* ---- reader ---- */

enum slc_log_pos_type {
	SLC_LOG_POS_TRIM_HORIZON,
	SLC_LOG_POS_LATEST,
	SLC_LOG_POS_AT_SEQ,
	SLC_LOG_POS_AFTER_SEQ,
	SLC_LOG_POS_AT_TIME,
};

struct slc_log_pos {
	enum slc_log_pos_type type;
	uint64_t seq;              /* counter, for AT_SEQ / AFTER_SEQ */
	int64_t time_ms;           /* for AT_TIME: first record with arrival >= time_ms */
};

struct slc_log_reader;

/*
 * Open a reader on a shard at pos, found through the segment names and the sparse
 * index (not by scanning from the start). A position before the trim horizon
 * starts at the trim horizon; one past the end waits for records to come. When
 * retention deletes the segment a reader is in, the reader continues at the new
 * trim horizon (it checks once per block, so it may first return the rest of the
 * block it holds; docs/retention.md).
 * Returns NULL with errno set: EINVAL (bad shard or pos), ENOENT, or -errno of
 * the file operations.
 */
struct slc_log_reader *slc_log_reader_open(const struct slc_stream *st, uint32_t index,
	const struct slc_log_pos *pos);

/*
 * Next record, in sequence order. Returns 1 with *rec filled (pointers valid until
 * the next call), 0 if there is no further record now (call again later: a
 * writer may append), -EBADMSG if the next block fails its check (the block is
 * not returned; slc_log_reader_error() names the file, offset and reason; the
 * reader stays at that block), or -errno of a read.
 */
int slc_log_reader_next(struct slc_log_reader *r, struct slc_record *rec);

const char *slc_log_reader_error(const struct slc_log_reader *r);

/* Counter of the next record the reader will return. */
uint64_t slc_log_reader_position(const struct slc_log_reader *r);

void slc_log_reader_close(struct slc_log_reader *r);

#endif /* SLC_LOG_H */
