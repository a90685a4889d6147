/*
 * Internals shared by the files of lib/log. Not a public header.
 *
 *   log_index.c    segment naming and listing, index entries, reading and checking
 *                  blocks from files (used by the writer's recovery and by readers)
 *   log_recover.c  slc_log_recover(): cut a torn tail, continue the counter;
 *                  slc_log_shard_info(), its read-only twin
 *   log_writer.c   the writer (owner core): buffers, blocks, io_uring, durability
 *   log_reader.c   readers, slc_log_verify()
 */
#ifndef LOG_PRIV_H
#define LOG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_log.h>

#include "slc_block.h"
#include "slc_log.h"

extern int slc_log_logtype;
#define LOG_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_log_logtype, "slc.lib.log: " fmt "\n", ##__VA_ARGS__)

#define LOG_SEG_EXT ".log"
#define LOG_IDX_EXT ".idx"
#define LOG_SEG_NAME_DIGITS 20

/* ---- index entries (docs/log-format.md, "Index file") ---- */

struct log_idx_entry {
	uint64_t block_off;
	uint64_t first_seq;
	int64_t first_time_ms;
	uint32_t reserved;
	uint32_t crc;            /* CRC32C of the first 28 bytes */
} __attribute__((packed));

_Static_assert(sizeof(struct log_idx_entry) == 32, "index entry is 32 bytes");

void log_idx_entry_encode(struct log_idx_entry *e, uint64_t block_off, uint64_t first_seq,
	int64_t first_time_ms);
bool log_idx_entry_crc_ok(const struct log_idx_entry *e);

/*
 * Load the entries of an index file up to the first one whose CRC fails or that
 * breaks increasing order. A missing file gives 0 entries. *ents is slc_malloc'ed
 * (NULL when n == 0). Returns 0 or -errno.
 */
int log_idx_load(const char *idx_path, struct log_idx_entry **ents, uint32_t *n);

/* ---- segments ---- */

struct log_seg {
	uint64_t first_seq;      /* from the file name */
	uint64_t size;           /* of the .log file */
	char *log_path;
	char *idx_path;
};

/* "<20 digits><ext>" (a file name, no directory) -> first_seq; false otherwise. */
bool log_seg_name_parse(const char *name, const char *ext, uint64_t *first_seq);

/* "<shard_dir>/<20 digits><ext>" into buf; returns snprintf's result. */
int log_seg_path(char *buf, size_t len, const char *shard_dir, uint64_t first_seq, const char *ext);

/*
 * List the segments of a shard directory in counter order (files that do not match
 * the naming are ignored). Returns 0 (n may be 0) or -errno.
 */
int log_segs_list(const char *shard_dir, struct log_seg **segs, uint32_t *n);
void log_segs_free(struct log_seg *segs, uint32_t n);

/* ---- reading blocks from a file ---- */

/*
 * Growable read buffer for log_read_block(); one per reader / recovery pass.
 */
struct log_rbuf {
	uint8_t *p;
	size_t cap;
};
void log_rbuf_fini(struct log_rbuf *b);

/*
 * Read and check the block at file offset off of fd (file size fsize). Returns 1
 * with *bi filled and *blk pointing at the block in rb, 0 if no block starts there
 * (zero header or end of file), -EBADMSG if the bytes there are not a good block
 * (torn, corrupt, or truncated by the end of file), or -errno of pread. The
 * caller decodes records with slc_block_payload()/slc_block_iter_*().
 */
int log_read_block(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb,
	const uint8_t **blk, struct slc_block_info *bi);

/*
 * Walk the good blocks of a segment from offset `from` (a block start): stops at
 * the first position that is not a good block. Sets *end_off to that position,
 * *next_seq to the counter after the last good record (unchanged if none),
 * *last_time_ms likewise, *nblocks to the good blocks walked. Returns 0 if the walk
 * ended at a zero header or the end of the file, -EBADMSG if it ended at bad bytes
 * (then *end_off is where they start), or -errno.
 */
int log_walk(int fd, uint64_t fsize, uint64_t from, struct log_rbuf *rb, uint64_t *end_off,
	uint64_t *next_seq, int64_t *last_time_ms, uint64_t *nblocks);

/*
 * After log_read_block() returned -EBADMSG at off: why the bytes there are not a
 * good block ("bad magic", "CRC mismatch", "block extends beyond end of file",
 * ...), as a short phrase into why.
 */
/*
 * Does the bad block at off look like a write that has not (fully) landed: a
 * header that passes every check but the CRC, and a block that runs past the end
 * of the file or holds a 512-byte sector (at a file offset multiple of 512) that
 * is all zero? That is what an O_DIRECT write still in progress, or one cut
 * short by a crash, leaves behind; a flipped byte in a written block is not. At
 * the end of a shard's last segment such a block ends the log (recovery cuts
 * it); anywhere else it is damage.
 */
bool log_block_unlanded(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb);

void log_block_why(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb, char *why,
	size_t len);

/*
 * Check the raw payload of a good block as readers must (docs/log-format.md):
 * exactly bi->count records with seq_delta 0, 1, ..., arrival times non-decreasing
 * from first_time_ms to last_time_ms, no bytes after the last record. Returns 0, or
 * -EBADMSG with a reason such as "record 3 length beyond payload" in why.
 */
int log_payload_check(const uint8_t *payload, const struct slc_block_info *bi, char *why,
	size_t len);

/*
 * Of the first n index entries, find the last one (checking from the end back)
 * that points at a good block with the same first_seq. *good is its position + 1,
 * 0 if none. Returns 0 or -errno of pread.
 */
int log_idx_verified(int fd, uint64_t fsize, const struct log_idx_entry *ents, uint32_t n,
	struct log_rbuf *rb, uint32_t *good);

/* ---- the tail of a segment (recovery, shard info, LATEST readers) ---- */

struct log_tail {
	uint32_t idx_loaded;     /* usable entries log_idx_load() found */
	uint32_t idx_good;       /* entries up to the last verified one (0: none) */
	uint64_t from;           /* where the walk started: that entry's block, or 0 */
	uint64_t end_off;        /* first position that is not a good block */
	uint64_t next_seq;       /* counter after the last good record; segment name if none */
	int64_t last_time_ms;    /* arrival of the last good record, -1 if none */
	uint64_t nblocks;        /* good blocks walked */
	bool bad;                /* the walk ended at bad bytes (not zeros or end of file) */
};

/*
 * Find the end of the good blocks of segment seg (open as fd, size fsize) by
 * reading only its tail: start from the last verified index entry (or offset 0,
 * whose block must carry the segment's name as first_seq) and walk spans.
 * Read-only. Returns 0 (t filled) or -errno.
 */
int log_seg_tail(const struct log_seg *seg, int fd, uint64_t fsize, struct log_rbuf *rb,
	struct log_tail *t);

#endif /* LOG_PRIV_H */
