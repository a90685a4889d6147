/*
 * The log writer (docs/log-format.md; contract in slc_log.h).
 *
 * A writer is one io_uring (drivers/store) and a pool of page-aligned I/O
 * buffers registered with it, and belongs to one core, which alone touches the
 * writer and its shards: nothing here locks.
 *
 * Each open shard appends into one "current" buffer that maps the file range
 * [buf_file_off, buf_file_off + buf_size) of the shard's current segment
 * (buf_file_off page-aligned). Records go into the open block (lib/block) built
 * in place in the buffer; a sealed block ends at `fill`. Bytes up to
 * `written_upto` are described by write requests already. A request covers whole
 * pages: from the page holding written_upto to fill rounded up, so a block sealed
 * by linger is followed by the zeros of its partly used tail page, and the next
 * request rewrites that page with the same bytes in front plus the next blocks.
 *
 * Requests sit in a per-shard FIFO, in the order their bytes were appended. A
 * request is handed to the ring unless an earlier request of the same segment
 * that is still queued or in flight covers one of its pages: two writes of the
 * same page are never in flight together, so the disk cannot apply an older copy
 * of the tail page after a newer one. Full buffers end page-aligned, so their
 * writes do not overlap and several go in flight at once. The durable watermark
 * of a shard is the sequence number covered by the longest prefix of the FIFO
 * whose writes completed (durability `direct`) or completed and were followed by
 * a completed fdatasync of their segment (`fsync`), so it only advances in append
 * order, whatever order the disk completes in. Group commit: a segment has at
 * most one fdatasync in flight; each completed write waits for the first
 * fdatasync submitted after its completion.
 *
 * A buffer is held by its shard while current and by each request naming it;
 * the last release returns it to the pool. When a buffer fills with its last
 * block still open, that block is sealed with its span padded to the page
 * boundary and the next buffer starts at the next page. If the buffer's last
 * block was already sealed (by block_max or linger) and ends mid-page, its
 * header is already final, so the partial page is carried over instead: the
 * next buffer starts at that page, holding a copy of its bytes, and its first
 * write rewrites it after the previous one completed. The same carry-over
 * continues a segment after recovery.
 *
 * While a write of a tail page is in flight the core keeps appending records to
 * the rest of that page (sealed bytes are never touched; a block's header is
 * written only when it is sealed), so until the rewrite lands the page on disk
 * may hold part of an unsealed block after the last good one: a zero header, or
 * bytes that fail their check, which readers and recovery take as the end of the
 * log. Nothing durable is affected.
 *
 * Index entries are queued when a block is sealed and written (plain pwrite on
 * the buffered .idx file: rare, small, advisory) once the watermark covers the
 * block, so an entry never names data that may be lost.
 *
 * Linger is measured on the caller's poll clock: a block opened between two
 * polls counts as opened at the earlier one (slightly early seal, never late).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slc_log.h"
#include "slc_fs.h"
#include "slc_mem.h"
#include "slc_store.h"
#include "slc_stream.h"
#include "log_priv.h"

#define RTE_LOG_DEFAULT_LOGTYPE slc.lib.log
RTE_LOG_REGISTER_DEFAULT(slc_log_logtype, INFO);

#define LOG_KEY_MAX 256u
#define LOG_REAP_BURST 64u
#define LOG_TAG_FSYNC 0x1u

#define PAGE_DOWN(x) ((x) & ~((__typeof__(x))SLC_PAGE_SIZE - 1))
#define PAGE_UP(x) SLC_ALIGN_UP(x, SLC_PAGE_SIZE)

enum wr_state {
	WR_PENDING = 0,       /* described, not yet handed to the ring */
	WR_INFLIGHT,
	WR_DONE,              /* write completed */
	WR_FAILED,
};

/* One segment file of a shard, alive while anything refers to it. */
struct wseg {
	struct wseg *next;             /* shard's list of live segments */
	struct slc_log_shard *sh;
	char *path;
	int fd;                        /* .log, O_DIRECT unless buffered_io */
	int idx_fd;                    /* .idx, buffered */
	uint64_t first_seq;
	uint32_t refs;                 /* current + requests + index entries + fdatasync */
	uint32_t idx_written;          /* entries in the .idx file */
	bool idx_any;                  /* an entry is written or queued */
	uint64_t idx_last_off;         /* block_off of the last one */
	/* group commit (fsync durability) */
	uint64_t sync_started;
	uint64_t sync_done;
	uint64_t sync_wanted;          /* highest sync number a completed write waits for */
	bool sync_inflight;
};

/* A write request; its address is the completion tag (8-aligned, bit 0 clear). */
struct wreq {
	struct slc_log_shard *sh;
	struct wseg *seg;
	uint64_t file_off;
	uint64_t upto_seq;             /* watermark once this and all earlier are durable */
	uint64_t need_sync;            /* fsync: sync number that makes it durable */
	uint32_t buf;
	uint32_t boff;                 /* page-aligned start inside the buffer */
	uint32_t len;                  /* whole pages */
	uint32_t state;
};

/* An index entry waiting for its block to become durable. */
struct wix {
	struct wseg *seg;
	uint64_t block_off;
	uint64_t first_seq;
	uint64_t end_seq;              /* counter after the block's last record */
	int64_t first_time_ms;
};

struct slc_log_shard {                 /* owner: the writer's core */
	struct slc_log_writer *w;
	const struct slc_stream *st;
	uint32_t index;
	bool fsync_mode;
	bool deflate;
	bool failed;
	char *dir;

	struct wseg *seg;              /* current segment */
	struct wseg *segs;             /* every live segment */

	int buf;                       /* current buffer, -1 if none */
	uint8_t *bp;
	uint64_t buf_file_off;
	uint32_t fill;                 /* end of the last sealed block in the buffer */
	uint32_t written_upto;         /* bytes described by requests */
	bool blk_open;
	struct slc_block_builder bb;
	uint64_t blk_since_us;         /* poll clock when the open block began */
	uint64_t pend_since_us;        /* oldest record sealed but not yet described */
	uint64_t sealed_seq;           /* counter after the last sealed record */

	uint64_t next_buf_off;         /* file offset of the next buffer */
	uint8_t *carry;                /* partial page the next buffer starts with */
	uint32_t carry_len;

	uint64_t next_seq;
	int64_t last_arrival;
	bool have_arrival;
	uint64_t durable_seq;
	uint64_t reported_seq;

	struct wreq *fifo;             /* ring of requests, oldest first */
	uint32_t fifo_cap;
	uint32_t fifo_head;
	uint32_t fifo_n;

	struct wix *ix;                /* ring of queued index entries */
	uint32_t ix_cap;
	uint32_t ix_head;
	uint32_t ix_n;
};

struct slc_log_writer {                /* owner: one core */
	struct slc_log_cfg cfg;        /* read-only after create */
	slc_log_durable_cb cb;
	void *cb_arg;
	struct slc_store *store;
	struct slc_block_zctx *z;
	uint8_t **bufs;
	uint32_t *buf_refs;
	uint32_t *free_bufs;           /* stack of free buffer indexes */
	uint32_t nfree;
	struct slc_log_shard **shards;
	uint32_t nshards;
	char **probed;                 /* stream directories that passed the O_DIRECT probe */
	uint32_t nprobed;
	uint64_t now_us;               /* last poll clock */
	struct slc_log_stats stats;
	/*
	 * Test hook SLUICED_TEST_WRITE_BPS=N (docs/dataplane.md, "Test hooks"): a
	 * deliberately slowed writer submits at most N bytes per second, so its
	 * buffers fill up and the data plane's backpressure can be tested. A token
	 * bucket refilled by slc_log_poll's clock, at most 1/10 s of tokens; a
	 * write goes out while the bucket is positive and takes its length from it
	 * (it may go negative). slc_log_sync (shutdown) ignores it.
	 */
	uint64_t throttle_bps;         /* 0: off */
	int64_t tokens;
	uint64_t tokens_us;            /* clock of the last refill */
	bool unthrottled;              /* inside slc_log_sync */
};

/* ---- configuration ---- */

void
slc_log_cfg_default(struct slc_log_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->buf_size = 256u << 10;
	cfg->block_max = 64u << 10;
	cfg->linger_us = 1000;
	cfg->segment_size = 256ull << 20;
	cfg->nbufs = 64;
	cfg->queue_depth = 128;
	cfg->index_interval = 64u << 10;
	cfg->max_record = SLC_STREAM_MAX_RECORD_DEFAULT;
	cfg->buffered_io = false;
}

/*
 * Smallest buffer that takes the largest record in a block of its own even when
 * the buffer starts with a carried-over partial page (up to 4 KiB - 8).
 */
static uint32_t
buf_size_min(uint32_t max_record)
{
	uint64_t blk = SLC_BLOCK_HDR_LEN + (uint64_t)slc_block_record_size(LOG_KEY_MAX,
		max_record, true);

	return (uint32_t)(PAGE_UP(blk) + SLC_PAGE_SIZE);
}

/* ---- buffers and segments ---- */

static void
buf_unref(struct slc_log_writer *w, uint32_t i)
{
	if (--w->buf_refs[i] == 0)
		w->free_bufs[w->nfree++] = i;
}

static void
seg_close(struct wseg *g)
{
	if (g->fd >= 0)
		close(g->fd);
	if (g->idx_fd >= 0)
		close(g->idx_fd);
	slc_free(g->path);
	slc_free(g);
}

static void
seg_unref(struct wseg *g)
{
	struct wseg **pp;

	if (--g->refs > 0)
		return;
	for (pp = &g->sh->segs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	seg_close(g);
}

static struct wseg *
seg_new(struct slc_log_shard *sh, uint64_t first_seq)
{
	char path[4096];
	struct wseg *g;

	if (log_seg_path(path, sizeof(path), sh->dir, first_seq, LOG_SEG_EXT) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	g = slc_calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->path = slc_strdup(path);
	if (g->path == NULL) {
		slc_free(g);
		errno = ENOMEM;
		return NULL;
	}
	g->sh = sh;
	g->fd = -1;
	g->idx_fd = -1;
	g->first_seq = first_seq;
	g->refs = 1;                   /* current */
	return g;
}

static void
seg_link(struct slc_log_shard *sh, struct wseg *g)
{
	g->next = sh->segs;
	sh->segs = g;
	sh->seg = g;
}

static int
idx_open(struct slc_log_shard *sh, struct wseg *g, bool trunc)
{
	char path[4096];
	int rc;

	log_seg_path(path, sizeof(path), sh->dir, g->first_seq, LOG_IDX_EXT);
	g->idx_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0644);
	if (g->idx_fd < 0) {
		rc = -errno;
		LOG_LOG(ERR, "shard %u: cannot open %s: %s", sh->index, path, strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * Create the segment whose first record is first_seq and make it current. In
 * fsync mode the directory is fsync'd right here, so the new name survives a
 * crash; a blocking call, but once per segment.
 */
static int
seg_create(struct slc_log_shard *sh, uint64_t first_seq)
{
	struct wseg *g;
	int rc;

	g = seg_new(sh, first_seq);
	if (g == NULL)
		return -errno;
	g->fd = open(g->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		(sh->w->cfg.buffered_io ? 0 : O_DIRECT), 0644);
	if (g->fd < 0) {
		rc = -errno;
		LOG_LOG(ERR, "shard %u: cannot create segment %s: %s", sh->index, g->path,
			strerror(-rc));
		seg_close(g);
		return rc;
	}
	rc = idx_open(sh, g, true);
	if (rc < 0) {
		unlink(g->path);
		seg_close(g);
		return rc;
	}
	if (sh->fsync_mode) {
		rc = slc_fs_fsync_dir(sh->dir);
		if (rc < 0) {
			LOG_LOG(ERR, "shard %u: fsync of directory %s: %s", sh->index, sh->dir,
				strerror(-rc));
			unlink(g->path);
			seg_close(g);
			return rc;
		}
	}
	seg_link(sh, g);
	return 0;
}

/* ---- request FIFO ---- */

static inline struct wreq *
fifo_at(struct slc_log_shard *sh, uint32_t i)
{
	return &sh->fifo[(sh->fifo_head + i) % sh->fifo_cap];
}

static void
shard_fail(struct slc_log_shard *sh)
{
	sh->failed = true;
}

/*
 * Describe the sealed bytes [written_upto, fill) of the current buffer as a
 * write of whole pages. A request still waiting for the ring that ends where
 * this one starts is extended instead. `must` is set when the buffer is being
 * given up: that request always has room (each held buffer has at most one such
 * request, and other requests leave nbufs + 1 slots free). Returns 0, or -EAGAIN
 * if the FIFO is too full for an optional request (try again after reaping).
 */
static int
describe(struct slc_log_shard *sh, bool must)
{
	struct slc_log_writer *w = sh->w;
	uint32_t start, end, live;
	struct wreq *e;

	if (sh->buf < 0 || sh->fill == sh->written_upto)
		return 0;
	start = PAGE_DOWN(sh->written_upto);
	end = PAGE_UP(sh->fill);
	/*
	 * The page is written whole: what follows the sealed blocks (and the open
	 * block's records so far, whose header is still zero) must read as zero on
	 * disk. Zeroing here, not the whole buffer when it is taken, saved 19% of
	 * the instructions per 1 KiB record (perf/README.md).
	 */
	live = sh->blk_open ? sh->fill + SLC_BLOCK_HDR_LEN + sh->bb.len : sh->fill;
	if (live < end)
		memset(sh->bp + live, 0, end - live);
	if (sh->fifo_n > 0) {
		e = fifo_at(sh, sh->fifo_n - 1);
		if (e->state == WR_PENDING && e->buf == (uint32_t)sh->buf &&
				e->boff + e->len >= start) {
			e->len = end - e->boff;
			e->upto_seq = sh->sealed_seq;
			sh->written_upto = sh->fill;
			return 0;
		}
	}
	if (!must && sh->fifo_n + w->cfg.nbufs + 1 >= sh->fifo_cap)
		return -EAGAIN;
	if (sh->fifo_n == sh->fifo_cap) {
		/* Cannot happen (see above); fail loudly rather than lose data. */
		LOG_LOG(ERR, "shard %u: write queue overflow", sh->index);
		shard_fail(sh);
		return -EIO;
	}
	e = fifo_at(sh, sh->fifo_n);
	sh->fifo_n++;
	e->sh = sh;
	e->seg = sh->seg;
	e->seg->refs++;
	e->buf = (uint32_t)sh->buf;
	w->buf_refs[sh->buf]++;
	e->boff = start;
	e->len = end - start;
	e->file_off = sh->buf_file_off + start;
	e->upto_seq = sh->sealed_seq;
	e->need_sync = 0;
	e->state = WR_PENDING;
	sh->written_upto = sh->fill;
	return 0;
}

/* Hand the shard's submittable requests to the ring. Returns 0 or -EBUSY. */
static int
shard_submit(struct slc_log_shard *sh)
{
	struct slc_log_writer *w = sh->w;
	struct wreq *e, *p;
	uint32_t i, j;
	bool blocked;
	int rc;

	if (sh->failed)
		return 0;
	for (i = 0; i < sh->fifo_n; i++) {
		e = fifo_at(sh, i);
		if (e->state != WR_PENDING)
			continue;
		blocked = false;
		for (j = 0; j < i && !blocked; j++) {
			p = fifo_at(sh, j);
			blocked = (p->state == WR_PENDING || p->state == WR_INFLIGHT) &&
				p->seg == e->seg && p->file_off < e->file_off + e->len &&
				e->file_off < p->file_off + p->len;
		}
		if (blocked)
			continue;
		if (w->throttle_bps != 0 && !w->unthrottled) {
			if (w->tokens <= 0)
				return 0;
			w->tokens -= (int64_t)e->len;
		}
		rc = slc_store_write(w->store, e->seg->fd, (int)e->buf, w->bufs[e->buf] + e->boff,
			e->len, e->file_off, (uint64_t)(uintptr_t)e);
		if (rc < 0)
			return rc;
		e->state = WR_INFLIGHT;
	}
	return 0;
}

/* ---- index entries ---- */

static int
ix_push(struct slc_log_shard *sh, const struct wix *x)
{
	struct wix *n;
	uint32_t i, cap;

	if (sh->ix_n == sh->ix_cap) {
		/* Rare: only when far more entries wait than the pool's bytes suggest. */
		cap = sh->ix_cap * 2;
		n = slc_calloc(cap, sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		for (i = 0; i < sh->ix_n; i++)
			n[i] = sh->ix[(sh->ix_head + i) % sh->ix_cap];
		slc_free(sh->ix);
		sh->ix = n;
		sh->ix_cap = cap;
		sh->ix_head = 0;
	}
	sh->ix[(sh->ix_head + sh->ix_n) % sh->ix_cap] = *x;
	sh->ix_n++;
	x->seg->refs++;
	return 0;
}

/* Write the queued entries whose blocks the watermark now covers. */
static void
ix_write_durable(struct slc_log_shard *sh)
{
	struct log_idx_entry ent;
	struct wix *x;
	ssize_t n;

	while (sh->ix_n > 0) {
		x = &sh->ix[sh->ix_head];
		if (x->end_seq > sh->durable_seq)
			break;
		log_idx_entry_encode(&ent, x->block_off, x->first_seq, x->first_time_ms);
		/*
		 * A synchronous pwrite to the page cache: one per index_interval bytes.
		 * A failure costs only a seek shortcut (the index is advisory): log it,
		 * and the next entry takes the slot.
		 */
		n = pwrite(x->seg->idx_fd, &ent, sizeof(ent),
			(off_t)x->seg->idx_written * sizeof(ent));
		if (n == (ssize_t)sizeof(ent))
			x->seg->idx_written++;
		else
			LOG_LOG(WARNING, "shard %u: index entry for %s offset %" PRIu64
				" not written: %s", sh->index, x->seg->path, x->block_off,
				n < 0 ? strerror(errno) : "short write");
		seg_unref(x->seg);
		sh->ix_head = (sh->ix_head + 1) % sh->ix_cap;
		sh->ix_n--;
	}
}

/* ---- blocks and buffers ---- */

static void
block_seal(struct slc_log_shard *sh, bool pad)
{
	struct slc_log_writer *w = sh->w;
	struct slc_block_builder *b = &sh->bb;
	const struct slc_block_hdr *h = (const struct slc_block_hdr *)b->base;
	uint64_t off = sh->buf_file_off + sh->fill;
	struct wseg *g = sh->seg;
	struct wix x;
	uint32_t span;

	x.seg = g;
	x.block_off = off;
	x.first_seq = b->first_seq;
	x.end_seq = b->first_seq + b->count;
	x.first_time_ms = b->first_time_ms;
	if (sh->fill == sh->written_upto)
		sh->pend_since_us = sh->blk_since_us;
	span = slc_block_seal(b, sh->deflate ? w->z : NULL, off, pad);
	sh->fill += span;
	sh->sealed_seq = x.end_seq;
	sh->blk_open = false;
	w->stats.blocks++;
	if (h->flags & SLC_BLOCK_F_DEFLATE)
		w->stats.blocks_deflated++;
	if (!g->idx_any || off >= g->idx_last_off + w->cfg.index_interval) {
		if (ix_push(sh, &x) == 0) {
			g->idx_any = true;
			g->idx_last_off = off;
		} else {
			LOG_LOG(WARNING, "shard %u: %s: no memory to queue the index entry for "
				"offset %" PRIu64, sh->index, g->path, off);
		}
	}
}

/*
 * Give up the current buffer: seal its open block padded to the page, describe
 * what is not written yet, and remember where the next buffer starts (and the
 * partial page it must carry if the last block was sealed earlier).
 */
static void
buffer_finish(struct slc_log_shard *sh)
{
	if (sh->blk_open)
		block_seal(sh, true);
	sh->carry_len = sh->fill % SLC_PAGE_SIZE;
	if (sh->carry_len > 0)
		memcpy(sh->carry, sh->bp + PAGE_DOWN(sh->fill), sh->carry_len);
	sh->next_buf_off = sh->buf_file_off + PAGE_DOWN(sh->fill);
	describe(sh, true);
	buf_unref(sh->w, (uint32_t)sh->buf);
	sh->buf = -1;
	sh->bp = NULL;
}

/* Take a buffer for the shard, rolling the segment first if it would overflow. */
static int
buffer_take(struct slc_log_shard *sh)
{
	struct slc_log_writer *w = sh->w;
	struct wseg *old;
	uint32_t i;
	int rc;

	if (w->nfree == 0) {
		w->stats.enobufs++;
		return -ENOBUFS;
	}
	if (sh->next_buf_off > 0 && sh->next_buf_off + w->cfg.buf_size > w->cfg.segment_size) {
		old = sh->seg;
		rc = seg_create(sh, sh->next_seq);
		if (rc < 0)
			return rc;
		seg_unref(old);        /* closes once its requests and entries are done */
		sh->next_buf_off = 0;
		sh->carry_len = 0;
		w->stats.segments_rolled++;
	}
	i = w->free_bufs[--w->nfree];
	w->buf_refs[i] = 1;
	sh->buf = (int)i;
	sh->bp = w->bufs[i];
	if (sh->carry_len > 0)
		memcpy(sh->bp, sh->carry, sh->carry_len);
	sh->buf_file_off = sh->next_buf_off;
	sh->fill = sh->carry_len;
	sh->written_upto = sh->carry_len;   /* already on disk (or in an earlier request) */
	return 0;
}

/* ---- append ---- */

int
slc_log_append(struct slc_log_shard *sh, struct slc_record *r, int64_t now_ms)
{
	struct slc_log_writer *w = sh->w;
	struct slc_record rec;
	uint32_t rsz, room;
	int rc;

	if (sh->failed)
		return -EIO;
	if (r->key_len < 1 || r->key_len > LOG_KEY_MAX || r->key == NULL ||
			r->data_len > sh->st->settings.max_record ||
			(r->data == NULL && r->data_len > 0))
		return -EINVAL;
	rec = *r;
	rec.seq = sh->next_seq;
	rec.arrival_ms = now_ms;
	if (sh->have_arrival && rec.arrival_ms < sh->last_arrival)
		rec.arrival_ms = sh->last_arrival;
	rsz = slc_block_record_size(rec.key_len, rec.data_len, rec.has_hash_key);

	if (sh->blk_open) {
		rc = slc_block_add(&sh->bb, &rec);
		if (rc == 0)
			goto added;
		if (rc != -ENOSPC)
			return rc;
		/* The open block spans the rest of the buffer: the buffer is full. */
		buffer_finish(sh);
	} else if (sh->buf >= 0 && w->cfg.buf_size - sh->fill < SLC_BLOCK_HDR_LEN + rsz) {
		buffer_finish(sh);
	}
	if (sh->buf < 0) {
		rc = buffer_take(sh);
		if (rc < 0)
			return rc;
	}
	room = w->cfg.buf_size - sh->fill;
	slc_block_begin(&sh->bb, sh->bp + sh->fill, room, sh->index);
	rc = slc_block_add(&sh->bb, &rec);
	if (rc < 0) {
		/* Cannot happen: buffers are sized for the largest record. */
		LOG_LOG(ERR, "shard %u: record of %u bytes does not fit an empty block of %u",
			sh->index, rsz, room);
		return rc;
	}
	sh->blk_open = true;
	sh->blk_since_us = w->now_us;
added:
	sh->next_seq++;
	sh->last_arrival = rec.arrival_ms;
	sh->have_arrival = true;
	r->seq = rec.seq;
	r->arrival_ms = rec.arrival_ms;
	w->stats.records++;
	w->stats.record_bytes += rec.key_len + rec.data_len;
	if (sh->bb.len >= w->cfg.block_max) {
		/*
		 * Pad to the page if not even the smallest record would fit after
		 * this block: the buffer is then done and its write is page-aligned.
		 */
		uint64_t end = (uint64_t)sh->fill + SLC_BLOCK_HDR_LEN + sh->bb.len + SLC_BLOCK_ALIGN;
		bool pad = end + SLC_BLOCK_HDR_LEN + SLC_REC_HDR_LEN + 1 > w->cfg.buf_size;

		block_seal(sh, pad);
		if (pad)
			buffer_finish(sh);
	}
	return 0;
}

/* ---- completions and durability ---- */

/* Advance the watermark over the durable prefix of the FIFO. */
static void
shard_advance(struct slc_log_shard *sh)
{
	struct slc_log_writer *w = sh->w;
	struct wreq *e;
	struct wseg *g;

	while (sh->fifo_n > 0) {
		e = fifo_at(sh, 0);
		if (e->state != WR_DONE)
			break;
		if (sh->fsync_mode && e->seg->sync_done < e->need_sync)
			break;
		if (e->upto_seq > sh->durable_seq)
			sh->durable_seq = e->upto_seq;
		g = e->seg;
		buf_unref(w, e->buf);
		e->seg = NULL;
		e->state = WR_PENDING;
		sh->fifo_head = (sh->fifo_head + 1) % sh->fifo_cap;
		sh->fifo_n--;
		ix_write_durable(sh);
		seg_unref(g);
	}
	ix_write_durable(sh);
}

static void
complete_one(struct slc_log_writer *w, const struct slc_store_cqe *c)
{
	struct slc_log_shard *sh;
	struct wreq *e;
	struct wseg *g;

	if (c->tag & LOG_TAG_FSYNC) {
		g = (struct wseg *)(uintptr_t)(c->tag & ~(uint64_t)LOG_TAG_FSYNC);
		sh = g->sh;
		g->sync_inflight = false;
		if (c->res < 0) {
			LOG_LOG(ERR, "shard %u: fdatasync of %s failed: %s", sh->index, g->path,
				strerror(-c->res));
			shard_fail(sh);
		} else {
			g->sync_done++;
			w->stats.fsyncs++;
		}
		seg_unref(g);
		shard_advance(sh);
		return;
	}
	e = (struct wreq *)(uintptr_t)c->tag;
	sh = e->sh;
	g = e->seg;
	if (c->res != (int32_t)e->len) {
		if (c->res < 0)
			LOG_LOG(ERR, "shard %u: write of %u bytes at offset %" PRIu64 " of %s "
				"failed: %s", sh->index, e->len, e->file_off, g->path,
				strerror(-c->res));
		else
			LOG_LOG(ERR, "shard %u: short write at offset %" PRIu64 " of %s: %d of "
				"%u bytes", sh->index, e->file_off, g->path, c->res, e->len);
		e->state = WR_FAILED;
		shard_fail(sh);
		return;
	}
	e->state = WR_DONE;
	w->stats.writes++;
	w->stats.write_bytes += e->len;
	if (sh->fsync_mode) {
		/* Durable after the first fdatasync that starts after this completion. */
		e->need_sync = g->sync_started + 1;
		if (g->sync_wanted < e->need_sync)
			g->sync_wanted = e->need_sync;
	}
	shard_advance(sh);
}

/* Reap completions; wait_min > 0 blocks for at least that many. */
static int
reap(struct slc_log_writer *w, uint32_t wait_min)
{
	struct slc_store_cqe cqes[LOG_REAP_BURST];
	int n, i, total = 0;

	for (;;) {
		n = slc_store_reap(w->store, cqes, LOG_REAP_BURST, wait_min);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++)
			complete_one(w, &cqes[i]);
		total += n;
		wait_min = 0;
		if (n < (int)LOG_REAP_BURST)
			break;
	}
	return total;
}

/* Queue one fdatasync per segment that has completed writes waiting for one. */
static int
fsync_pass(struct slc_log_writer *w)
{
	struct slc_log_shard *sh;
	struct wseg *g;
	uint32_t i;
	int rc;

	for (i = 0; i < w->nshards; i++) {
		sh = w->shards[i];
		if (!sh->fsync_mode || sh->failed)
			continue;
		for (g = sh->segs; g != NULL; g = g->next) {
			if (g->sync_inflight || g->sync_wanted <= g->sync_started)
				continue;
			rc = slc_store_fdatasync(w->store, g->fd,
				(uint64_t)(uintptr_t)g | LOG_TAG_FSYNC);
			if (rc < 0)
				return rc;
			g->sync_started++;
			g->sync_inflight = true;
			g->refs++;
		}
	}
	return 0;
}

/* Hand everything submittable to the kernel. Returns 0 or -errno of the submission. */
static int
submit_all(struct slc_log_writer *w)
{
	uint32_t i;
	int rc;

	for (i = 0; i < w->nshards; i++) {
		if (shard_submit(w->shards[i]) == -EBUSY)
			break;
	}
	fsync_pass(w);
	rc = slc_store_submit(w->store);
	if (rc == -EAGAIN || rc == -EBUSY)
		rc = 0;        /* the kernel is short of resources: retried at the next poll */
	return rc < 0 ? rc : 0;
}

static void
report(struct slc_log_writer *w)
{
	struct slc_log_shard *sh;
	uint32_t i;

	for (i = 0; i < w->nshards; i++) {
		sh = w->shards[i];
		if (sh->durable_seq == sh->reported_seq)
			continue;
		sh->reported_seq = sh->durable_seq;
		if (w->cb != NULL)
			w->cb(w->cb_arg, sh, sh->durable_seq);
	}
}

/* ---- poll, flush, sync ---- */

int
slc_log_poll(struct slc_log_writer *w, uint64_t now_us)
{
	struct slc_log_shard *sh;
	uint32_t i;
	int n, rc;

	if (w->throttle_bps != 0 && now_us > w->tokens_us) {
		int64_t cap = (int64_t)(w->throttle_bps / 10 + 1);

		w->tokens += (int64_t)((now_us - w->tokens_us) * w->throttle_bps / 1000000u);
		if (w->tokens > cap)
			w->tokens = cap;
		w->tokens_us = now_us;
	}
	w->now_us = now_us;
	n = reap(w, 0);
	if (n < 0)
		return n;
	for (i = 0; i < w->nshards; i++) {
		sh = w->shards[i];
		if (sh->failed)
			continue;
		if (sh->blk_open && now_us >= sh->blk_since_us &&
				now_us - sh->blk_since_us >= w->cfg.linger_us)
			block_seal(sh, false);
		/*
		 * Sealed blocks wait in the buffer until it is full (buffer_finish
		 * describes it) or their oldest record has waited linger_us: writing
		 * each 64 KiB block as it sealed made small writes that share a page
		 * with the next one, so a shard's writes went one at a time and the
		 * data plane ran out of buffers at a fraction of the disk's speed.
		 */
		if (sh->fill != sh->written_upto && now_us >= sh->pend_since_us &&
				now_us - sh->pend_since_us >= w->cfg.linger_us)
			describe(sh, false);
	}
	rc = submit_all(w);
	report(w);
	return rc < 0 ? rc : n;
}

static void
flush_shards(struct slc_log_writer *w)
{
	struct slc_log_shard *sh;
	uint32_t i;

	for (i = 0; i < w->nshards; i++) {
		sh = w->shards[i];
		if (sh->failed)
			continue;
		if (sh->blk_open)
			block_seal(sh, false);
		describe(sh, false);
	}
}

int
slc_log_flush(struct slc_log_writer *w)
{
	flush_shards(w);
	return submit_all(w);
}

static int log_sync(struct slc_log_writer *w);

static bool
outstanding(const struct slc_log_writer *w)
{
	const struct slc_log_shard *sh;
	uint32_t i;

	for (i = 0; i < w->nshards; i++) {
		sh = w->shards[i];
		if (sh->failed)
			continue;
		if (sh->fifo_n > 0 || sh->blk_open || (sh->buf >= 0 && sh->fill > sh->written_upto))
			return true;
	}
	return false;
}

int
slc_log_sync(struct slc_log_writer *w)
{
	int rc;

	w->unthrottled = true;
	rc = log_sync(w);
	w->unthrottled = false;
	return rc;
}

uint32_t
slc_log_free_bufs(const struct slc_log_writer *w)
{
	return __atomic_load_n(&w->nfree, __ATOMIC_RELAXED);
}

static int
log_sync(struct slc_log_writer *w)
{
	uint32_t i;
	int rc;

	for (;;) {
		flush_shards(w);
		rc = submit_all(w);
		if (rc < 0)
			return rc;
		if (!outstanding(w))
			break;
		if (slc_store_inflight(w->store) == 0) {
			LOG_LOG(ERR, "sync: writes outstanding but none in flight");
			return -EIO;
		}
		rc = reap(w, 1);
		if (rc < 0)
			return rc;
		report(w);
	}
	report(w);
	for (i = 0; i < w->nshards; i++) {
		if (w->shards[i]->failed)
			return -EIO;
	}
	return 0;
}

/* ---- writer ---- */

struct slc_log_writer *
slc_log_writer_create(const struct slc_log_cfg *cfg, slc_log_durable_cb cb, void *cb_arg)
{
	struct slc_log_writer *w;
	uint32_t i, min;
	int err;

	if (cfg == NULL || cfg->buf_size == 0 || cfg->buf_size % SLC_PAGE_SIZE != 0 ||
			cfg->block_max == 0 || cfg->nbufs == 0 || cfg->queue_depth == 0 ||
			cfg->index_interval == 0 ||
			cfg->max_record > SLC_BLOCK_PAYLOAD_MAX - (64u << 10)) {
		errno = EINVAL;
		return NULL;
	}
	w = slc_calloc(1, sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->cfg = *cfg;
	min = buf_size_min(cfg->max_record);
	if (w->cfg.buf_size < min)
		w->cfg.buf_size = min;
	if (w->cfg.segment_size < w->cfg.buf_size) {
		LOG_LOG(ERR, "segment_size %" PRIu64 " is smaller than the I/O buffer (%u bytes)",
			w->cfg.segment_size, w->cfg.buf_size);
		slc_free(w);
		errno = EINVAL;
		return NULL;
	}
	w->cb = cb;
	w->cb_arg = cb_arg;
	w->bufs = slc_calloc(cfg->nbufs, sizeof(*w->bufs));
	w->buf_refs = slc_calloc(cfg->nbufs, sizeof(*w->buf_refs));
	w->free_bufs = slc_calloc(cfg->nbufs, sizeof(*w->free_bufs));
	if (w->bufs == NULL || w->buf_refs == NULL || w->free_bufs == NULL)
		goto nomem;
	for (i = 0; i < cfg->nbufs; i++) {
		w->bufs[i] = slc_mem_io_alloc(w->cfg.buf_size);
		if (w->bufs[i] == NULL)
			goto nomem;
		w->free_bufs[cfg->nbufs - 1 - i] = i;
	}
	w->nfree = cfg->nbufs;
	{
		const char *bps = getenv("SLUICED_TEST_WRITE_BPS");

		if (bps != NULL && bps[0] != '\0') {
			w->throttle_bps = strtoull(bps, NULL, 10);
			w->tokens = (int64_t)(w->throttle_bps / 10 + 1);
			if (w->throttle_bps != 0)
				LOG_LOG(WARNING, "SLUICED_TEST_WRITE_BPS: writes limited to %" PRIu64
					" bytes/s (test hook)", w->throttle_bps);
		}
	}
	w->z = slc_block_zctx_create(w->cfg.buf_size);
	if (w->z == NULL)
		goto nomem;
	w->store = slc_store_create(cfg->queue_depth, (void *const *)w->bufs, cfg->nbufs,
		w->cfg.buf_size);
	if (w->store == NULL) {
		err = errno;
		LOG_LOG(ERR, "cannot set up io_uring (depth %u): %s", cfg->queue_depth,
			strerror(err));
		slc_log_writer_free(w);
		errno = err;
		return NULL;
	}
	return w;
nomem:
	slc_log_writer_free(w);
	errno = ENOMEM;
	return NULL;
}

static void
shard_free(struct slc_log_shard *sh)
{
	struct wseg *g, *next;

	for (g = sh->segs; g != NULL; g = next) {
		next = g->next;
		seg_close(g);
	}
	slc_free(sh->fifo);
	slc_free(sh->ix);
	slc_free(sh->carry);
	slc_free(sh->dir);
	slc_free(sh);
}

void
slc_log_writer_free(struct slc_log_writer *w)
{
	uint32_t i;

	if (w == NULL)
		return;
	if (w->store != NULL) {
		/* Completions carry pointers into shard state: drain them first. */
		while (slc_store_inflight(w->store) > 0) {
			if (reap(w, 1) < 0)
				break;
		}
		slc_store_free(w->store);
	}
	for (i = 0; i < w->nshards; i++)
		shard_free(w->shards[i]);
	slc_free(w->shards);
	for (i = 0; i < w->nprobed; i++)
		slc_free(w->probed[i]);
	slc_free(w->probed);
	if (w->bufs != NULL) {
		for (i = 0; i < w->cfg.nbufs; i++)
			slc_mem_io_free(w->bufs[i]);
	}
	slc_free(w->bufs);
	slc_free(w->buf_refs);
	slc_free(w->free_bufs);
	if (w->z != NULL)
		slc_block_zctx_free(w->z);
	slc_free(w);
}

/* ---- shard open ---- */

static int
probe_dir(struct slc_log_writer *w, const char *dir)
{
	char why[512];
	char **p;
	uint32_t i;
	int rc;

	if (w->cfg.buffered_io)
		return 0;
	for (i = 0; i < w->nprobed; i++) {
		if (strcmp(w->probed[i], dir) == 0)
			return 0;
	}
	rc = slc_store_probe_direct(dir, why, sizeof(why));
	if (rc < 0) {
		LOG_LOG(ERR, "%s", why[0] != '\0' ? why : strerror(-rc));
		return rc;
	}
	p = slc_realloc(w->probed, (w->nprobed + 1) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	w->probed = p;
	p[w->nprobed] = slc_strdup(dir);
	if (p[w->nprobed] == NULL)
		return -ENOMEM;
	w->nprobed++;
	return 0;
}

/*
 * Continue the last segment after recovery: find where its good data ends
 * (log_seg_tail: from its last verified index entry, as recovery does), open it
 * for writing, and load the partial last page so the first write keeps those
 * bytes.
 */
static int
seg_continue(struct slc_log_shard *sh, const struct log_seg *ls, int64_t *last_time)
{
	struct log_rbuf rb = { 0 };
	struct log_tail t;
	struct stat sb;
	struct wseg *g;
	uint64_t end;
	ssize_t n;
	int rfd, rc;

	g = seg_new(sh, ls->first_seq);
	if (g == NULL)
		return -errno;
	rfd = open(ls->log_path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0) {
		rc = -errno;
		LOG_LOG(ERR, "shard %u: cannot open %s: %s", sh->index, ls->log_path, strerror(-rc));
		goto fail;
	}
	if (fstat(rfd, &sb) != 0) {
		rc = -errno;
		goto fail_rfd;
	}
	rc = log_seg_tail(ls, rfd, (uint64_t)sb.st_size, &rb, &t);
	log_rbuf_fini(&rb);
	if (rc < 0) {
		LOG_LOG(ERR, "shard %u: cannot read the tail of %s: %s", sh->index, ls->log_path,
			strerror(-rc));
		goto fail_rfd;
	}
	end = t.end_off;
	if (t.bad || end % SLC_BLOCK_ALIGN != 0) {
		/* Recovery just cut the tail here; finding bad bytes means it could not. */
		rc = -EBADMSG;
		LOG_LOG(ERR, "shard %u: %s: bad bytes at offset %" PRIu64 " after recovery",
			sh->index, ls->log_path, end);
		goto fail_rfd;
	}
	if (t.idx_good > 0) {
		g->idx_any = true;
		g->idx_last_off = t.from;
	}
	g->idx_written = t.idx_good;
	sh->carry_len = end % SLC_PAGE_SIZE;
	if (sh->carry_len > 0) {
		n = pread(rfd, sh->carry, sh->carry_len, (off_t)PAGE_DOWN(end));
		if (n != (ssize_t)sh->carry_len) {
			rc = n < 0 ? -errno : -EIO;
			LOG_LOG(ERR, "shard %u: cannot read %s at offset %" PRIu64 ": %s", sh->index,
				ls->log_path, PAGE_DOWN(end), strerror(-rc));
			goto fail_rfd;
		}
	}
	close(rfd);
	rfd = -1;
	sh->next_buf_off = PAGE_DOWN(end);
	sh->next_seq = t.next_seq;
	*last_time = t.last_time_ms;

	g->fd = open(ls->log_path, O_WRONLY | O_CLOEXEC | (sh->w->cfg.buffered_io ? 0 : O_DIRECT));
	if (g->fd < 0) {
		rc = -errno;
		LOG_LOG(ERR, "shard %u: cannot open %s for writing: %s", sh->index, ls->log_path,
			strerror(-rc));
		goto fail;
	}
	rc = idx_open(sh, g, false);
	if (rc < 0)
		goto fail;
	/* Drop anything past the good entries, so later appends extend a clean index. */
	if (ftruncate(g->idx_fd, (off_t)g->idx_written * sizeof(struct log_idx_entry)) != 0) {
		rc = -errno;
		LOG_LOG(ERR, "shard %u: cannot truncate %s index: %s", sh->index, ls->idx_path,
			strerror(-rc));
		goto fail;
	}
	seg_link(sh, g);
	return 0;
fail_rfd:
	close(rfd);
fail:
	seg_close(g);
	return rc;
}

struct slc_log_shard *
slc_log_shard_open(struct slc_log_writer *w, const struct slc_stream *st, uint32_t index)
{
	struct slc_log_shard_info info;
	struct slc_log_shard *sh = NULL, **shards;
	struct log_seg *segs = NULL;
	int64_t last_time = -1;
	uint32_t i, nsegs = 0;
	int rc;

	if (w == NULL || st == NULL || index >= st->nshards) {
		errno = EINVAL;
		return NULL;
	}
	if (st->shards[index].state != SLC_SHARD_OPEN) {
		LOG_LOG(ERR, "stream %s shard %u is closed: no appends", st->name, index);
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < w->nshards; i++) {
		if (w->shards[i]->index == index && (w->shards[i]->st == st ||
				strcmp(w->shards[i]->st->dir, st->dir) == 0)) {
			errno = EEXIST;
			return NULL;
		}
	}
	if (st->settings.max_record > w->cfg.max_record) {
		LOG_LOG(ERR, "stream %s: max_record %u exceeds the writer's max_record %u",
			st->name, st->settings.max_record, w->cfg.max_record);
		errno = EINVAL;
		return NULL;
	}
	rc = probe_dir(w, st->dir);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}

	sh = slc_calloc(1, sizeof(*sh));
	if (sh == NULL)
		goto nomem;
	sh->w = w;
	sh->st = st;
	sh->index = index;
	sh->buf = -1;
	sh->fsync_mode = st->settings.durability == SLC_DURABILITY_FSYNC;
	sh->deflate = st->settings.compression == SLC_COMPRESSION_DEFLATE;
	sh->fifo_cap = 2 * w->cfg.nbufs + 8;
	sh->fifo = slc_calloc(sh->fifo_cap, sizeof(*sh->fifo));
	sh->ix_cap = 64;
	sh->ix = slc_calloc(sh->ix_cap, sizeof(*sh->ix));
	sh->carry = slc_malloc(SLC_PAGE_SIZE);
	sh->dir = slc_stream_shard_dir(st, index);
	if (sh->fifo == NULL || sh->ix == NULL || sh->carry == NULL || sh->dir == NULL)
		goto nomem;
	if (mkdir(sh->dir, 0755) != 0 && errno != EEXIST) {
		rc = -errno;
		LOG_LOG(ERR, "shard %u: cannot create %s: %s", index, sh->dir, strerror(-rc));
		goto fail;
	}

	rc = slc_log_recover(st, index, &info);
	if (rc < 0) {
		LOG_LOG(ERR, "stream %s shard %u: recovery failed: %s", st->name, index,
			strerror(-rc));
		goto fail;
	}
	rc = log_segs_list(sh->dir, &segs, &nsegs);
	if (rc < 0) {
		LOG_LOG(ERR, "shard %u: cannot list %s: %s", index, sh->dir, strerror(-rc));
		goto fail;
	}
	if (nsegs == 0) {
		sh->next_seq = st->shards[index].starting_seq;
		rc = seg_create(sh, sh->next_seq);
	} else {
		rc = seg_continue(sh, &segs[nsegs - 1], &last_time);
	}
	log_segs_free(segs, nsegs);
	if (rc < 0)
		goto fail;
	if (sh->next_seq != info.next_seq)
		LOG_LOG(WARNING, "shard %u: recovery reports next counter %" PRIu64 ", the last "
			"segment ends before %" PRIu64 "; continuing at the latter", index,
			info.next_seq, sh->next_seq);
	if (last_time < 0)
		last_time = info.last_time_ms;
	if (last_time >= 0) {
		sh->last_arrival = last_time;
		sh->have_arrival = true;
	}
	sh->sealed_seq = sh->next_seq;
	sh->durable_seq = sh->next_seq;
	sh->reported_seq = sh->next_seq;

	shards = slc_realloc(w->shards, (w->nshards + 1) * sizeof(*shards));
	if (shards == NULL)
		goto nomem;
	w->shards = shards;
	w->shards[w->nshards++] = sh;
	return sh;
nomem:
	rc = -ENOMEM;
fail:
	if (sh != NULL)
		shard_free(sh);
	errno = -rc;
	return NULL;
}

/* ---- accessors ---- */

uint32_t
slc_log_shard_index(const struct slc_log_shard *sh)
{
	return sh->index;
}

uint64_t
slc_log_shard_next_seq(const struct slc_log_shard *sh)
{
	return sh->next_seq;
}

uint64_t
slc_log_shard_durable_seq(const struct slc_log_shard *sh)
{
	return sh->durable_seq;
}

void
slc_log_writer_stats(const struct slc_log_writer *w, struct slc_log_stats *out)
{
	*out = w->stats;
}
