/*
 * @file
 * slc_stream: streams, shards, their metadata on disk, and sequence numbers.
 *
 * A data directory holds streams/<name>/stream.meta (the stream's settings and
 * shard table, format in docs/stream-meta.md) and one directory per shard,
 * streams/<name>/shardId-NNNNNNNNNNNN/, holding that shard's log segments.
 * Metadata is written crash-safely: a temporary file is written and fsync'd, then
 * renamed over the old one, and the directory is fsync'd.
 *
 * Sequence numbers (docs/log-format.md, "Sequence numbers"): inside the log a
 * record's sequence number is a 64-bit counter local to its shard, starting at 0
 * and increasing by one per record. Its public form is the decimal string of the
 * 128-bit value 2^127 + shard_index * 2^64 + counter: always 39 digits, so that
 * numeric and lexicographic order agree, unique across the stream, and shaped
 * like Kinesis' long decimal SequenceNumber.
 *
 * Not thread-safe: a stream handle belongs to one thread (the control core in the
 * appliance). Functions that return int return 0 or -errno.
 */
#ifndef SLC_STREAM_H
#define SLC_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "slc_hashkey.h"

#define SLC_STREAM_NAME_MAX 128     /* [A-Za-z0-9_.-]{1,128}, as Kinesis */
#define SLC_SHARD_ID_LEN 20         /* "shardId-" + 12 digits */
#define SLC_SEQ_STRLEN 40           /* 39 digits + NUL */

#define SLC_STREAM_MAX_RECORD_DEFAULT (1u << 20)  /* 1 MiB data per record */
#define SLC_STREAM_RETENTION_HOURS_DEFAULT 24
#define SLC_STREAM_RETENTION_MINUTES_MAX (8760u * 60)   /* retention_minutes, one year */
#define SLC_STREAM_SHARDS_MAX 4096

enum slc_compression {
	SLC_COMPRESSION_NONE = 0,
	SLC_COMPRESSION_DEFLATE = 1,
};

enum slc_durability {
	SLC_DURABILITY_DIRECT = 0,  /* O_DIRECT write completed */
	SLC_DURABILITY_FSYNC = 1,   /* and fdatasync completed */
};

enum slc_shard_state {
	SLC_SHARD_OPEN = 0,
	SLC_SHARD_CLOSED = 1,
};

#define SLC_SHARD_NONE UINT32_MAX   /* no parent */

struct slc_shard_meta {
	uint32_t index;              /* the N of shardId-N; allocated in order */
	enum slc_shard_state state;
	slc_u128 start_hash;         /* inclusive */
	slc_u128 end_hash;           /* inclusive */
	uint32_t parent;             /* SLC_SHARD_NONE if none */
	uint32_t adjacent_parent;    /* SLC_SHARD_NONE if none */
	uint64_t starting_seq;       /* first counter value of this shard */
	/*
	 * Once CLOSED: the counter after the last record the shard will ever hold
	 * (an exclusive end: the shard holds counters [starting_seq, ending_seq),
	 * so an empty closed shard has ending_seq == starting_seq). UINT64_MAX
	 * while OPEN. docs/stream-meta.md, "Resharding".
	 */
	uint64_t ending_seq;
};

struct slc_stream_settings {
	enum slc_compression compression;
	enum slc_durability durability;
	uint32_t max_record;         /* max data bytes per record */
	uint32_t retention_hours;
	uint32_t retention_minutes;  /* 0: retention_hours applies; else 1..525600 (8760 h),
	                              * taking precedence (lib/retention, docs/retention.md) */
	uint64_t max_bytes;          /* cap on the stream's segment bytes; 0: none */
};

struct slc_stream {
	char name[SLC_STREAM_NAME_MAX + 1];
	char *dir;                   /* <data_dir>/streams/<name> */
	uint64_t created_ms;
	uint32_t meta_version;       /* bumped on every save */
	struct slc_stream_settings settings;
	uint32_t nshards;
	struct slc_shard_meta *shards;  /* indexed by shard index */
};

/* Settings with the documented defaults. */
void slc_stream_settings_default(struct slc_stream_settings *s);

/* Returns true if name is a valid stream name. */
bool slc_stream_name_valid(const char *name);

/*
 * Create a stream of nshards equal shards under data_dir (created if missing),
 * and each shard's directory; settings NULL means the defaults. Returns the new
 * handle, or NULL with errno set: EINVAL (bad name, nshards not in 1..SLC_STREAM_SHARDS_MAX, bad settings), EEXIST
 * (stream exists), or the errno of the failing file operation.
 */
struct slc_stream *slc_stream_create(const char *data_dir, const char *name, uint32_t nshards,
	const struct slc_stream_settings *settings);

/*
 * Open an existing stream. Returns NULL with errno set: EINVAL (bad name),
 * ENOENT (no such stream), EBADMSG (stream.meta is not valid; a message naming
 * the line is logged), or the errno of the failing file operation.
 */
struct slc_stream *slc_stream_open(const char *data_dir, const char *name);

/* Persist the stream's metadata crash-safely. Returns 0 or -errno. */
int slc_stream_save(struct slc_stream *st);

void slc_stream_close(struct slc_stream *st);

/*
 * List stream names under data_dir. *names is an array of *n strings to free with
 * slc_stream_list_free(). Returns 0 (also when there are none), or -errno.
 */
int slc_stream_list(const char *data_dir, char ***names, uint32_t *n);
void slc_stream_list_free(char **names, uint32_t n);

/* The open shard whose range holds hash, or NULL if none (never, for a sane map). */
const struct slc_shard_meta *slc_stream_lookup(const struct slc_stream *st, slc_u128 hash);

/* "shardId-000000000007" for index 7 into buf (>= SLC_SHARD_ID_LEN + 1). */
void slc_shard_id_format(uint32_t index, char *buf);

/* Parse "shardId-000000000007" (or the bare index "7"). Returns 0 or -EINVAL. */
int slc_shard_id_parse(const char *s, uint32_t *index);

/* Shard directory path, caller frees with slc_free(). NULL with errno on failure. */
char *slc_stream_shard_dir(const struct slc_stream *st, uint32_t index);

/* Public 39-digit form of (shard index, counter) into buf. */
void slc_seq_format(uint32_t shard_index, uint64_t counter, char buf[SLC_SEQ_STRLEN]);

/*
 * Parse a public sequence number. Returns 0, -EINVAL if s is not a sequence
 * number of this format.
 */
int slc_seq_parse(const char *s, uint32_t *shard_index, uint64_t *counter);

/* ---- resharding (stream_reshard.c; docs/stream-meta.md, "Resharding") ---- */

/*
 * Split open shard `shard` at hash key new_start, as Kinesis SplitShard: the
 * parent must be OPEN and start_hash < new_start <= end_hash. The parent becomes
 * CLOSED with ending_seq = parent_end_seq, the counter after its last record
 * (slc_log_shard_info's next_seq once nothing writes to it any more; at least
 * its starting_seq). Two children are appended with the next free indexes:
 * *child_lo = [start_hash, new_start - 1] and *child_hi = [new_start, end_hash],
 * both OPEN, parent = shard, starting_seq 0; their directories are created. The
 * new table is saved once, atomically (slc_stream_save): on any error st and
 * stream.meta are unchanged. Returns 0, -ENOENT (no such shard), -EINVAL (shard
 * closed, new_start outside the range, parent_end_seq below starting_seq; logged
 * with the shard and its range), -ENOSPC (SLC_STREAM_SHARDS_MAX reached), or the
 * -errno of the save.
 */
int slc_stream_split(struct slc_stream *st, uint32_t shard, slc_u128 new_start,
	uint64_t parent_end_seq, uint32_t *child_lo, uint32_t *child_hi);

/*
 * Merge two open shards with adjacent ranges (one's end_hash + 1 is the other's
 * start_hash), as Kinesis MergeShards: both are CLOSED with their ending_seq
 * (end_seq_a for shard, end_seq_b for adjacent, exclusive ends as in split), and
 * one child is appended: range the union, parent = shard, adjacent_parent =
 * adjacent (Kinesis' ParentShardId / AdjacentParentShardId), OPEN, starting_seq 0.
 * Saved once, atomically. Returns 0, -ENOENT (no such shard), -EINVAL (the same
 * shard twice, a closed shard, ranges not adjacent, an ending seq below its
 * shard's starting_seq; logged), -ENOSPC, or the -errno of the save.
 */
int slc_stream_merge(struct slc_stream *st, uint32_t shard, uint32_t adjacent,
	uint64_t end_seq_a, uint64_t end_seq_b, uint32_t *child);

enum slc_reshard_op_type {
	SLC_RESHARD_SPLIT = 0,
	SLC_RESHARD_MERGE = 1,
};

/* One step of a scaling plan; shard indexes include the children of earlier steps. */
struct slc_reshard_op {
	enum slc_reshard_op_type type;
	uint32_t shard;              /* split: the shard; merge: the lower-range shard */
	uint32_t adjacent;           /* merge: the higher-range shard; split: SLC_SHARD_NONE */
	slc_u128 new_start;          /* split: the new starting hash key */
	uint32_t child;              /* index the (first) child will get */
};

/*
 * The splits and merges that take the open shards to `target` shards of equal
 * ranges, those of a stream created with `target` shards (Kinesis
 * UpdateShardCount, UNIFORM_SCALING): first split every open shard at each target
 * boundary strictly inside it, then merge, from low to high hash keys, the pieces
 * that lie in one target range. Applying the ops in order with slc_stream_split
 * and slc_stream_merge on the unchanged st gives the predicted child indexes.
 * As in Kinesis, target must be between half and double the open shard count
 * (rounded up for half). *ops (free with slc_free) holds *n ops, none if the
 * open shards are already the target ranges. Returns 0, -EINVAL (target 0, over
 * SLC_STREAM_SHARDS_MAX, or outside the half/double limit; logged), -ENOSPC (the
 * table would outgrow SLC_STREAM_SHARDS_MAX), -ENOMEM.
 */
int slc_stream_scale_plan(const struct slc_stream *st, uint32_t target,
	struct slc_reshard_op **ops, uint32_t *n);

const char *slc_compression_name(enum slc_compression c);
int slc_compression_parse(const char *s, enum slc_compression *c);   /* 0 or -EINVAL */
const char *slc_durability_name(enum slc_durability d);
int slc_durability_parse(const char *s, enum slc_durability *d);     /* 0 or -EINVAL */

#endif /* SLC_STREAM_H */
