/*
 * Readers of a shard's log, and slc_log_verify().
 *
 * A reader works on the files alone, so it can run in any thread or process,
 * also while the shard's writer appends. It finds its start without scanning
 * the shard: the segment by binary search over the segment names (or over the
 * first block time of a few segments for AT_TIME), then the block through the
 * segment's sparse index, then it walks blocks forward and skips records up to
 * the target. From there it returns records one by one, checking every block
 * (CRC, then the payload decodes to exactly its records, counters continue the
 * previous block, the shard is ours) before returning any record of it; a bad
 * block is reported and never returned, and the reader stays on it.
 *
 * At the end of the data the reader re-reads the file size and re-lists the
 * segments, so it sees what the writer appended since.
 *
 * Retention (lib/retention) deletes whole segments, oldest first, also while
 * readers read them. Before it returns the first record of a block, and when a
 * segment ends short of the next one, a reader checks whether its segment file
 * was unlinked; if so it moves on to the trim horizon, the first segment still
 * stored, as a reader opened there would. A segment deleted between listing and
 * opening it is listed again. A bad block at the
 * position the writer may be writing right now is re-read a few times before it
 * is reported: the writer's O_DIRECT write of it may still be landing.
 *
 * slc_log_verify() walks every block of every segment; after a bad block it
 * resynchronises on the next 8-byte offset that holds a good block, so one
 * damaged block gives one report and the blocks after it are still checked.
 *
 * A reader belongs to the thread that opened it; readers share nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slc_mem.h"
#include "slc_stream.h"
#include "log_priv.h"

/*
 * A bad block where the writer may be writing: how often it is read, and the
 * first pause between reads (doubled each time: 1 + 2 + ... + 64 ms in all).
 * A buffered read that races an O_DIRECT write can see some of its pages landed
 * and others not; on a loaded two-core machine such a view was seen to last
 * more than 4 ms (a writer and a reader process, 200k records: one or two
 * reports per run with 3 reads 2 ms apart, none with this schedule).
 */
#define READER_TRIES 8
#define READER_RETRY_US 1000
/* Initial inflate scratch; slc_block_payload() grows it for bigger blocks. */
#define READER_ZCTX_RAW (64u << 10)
/* Window that verify scans for the next block header after a bad block. */
#define VERIFY_SCAN_WIN (1u << 20)

#define WHY_LEN 160

struct slc_log_reader {
	char *dir;                  /* shard directory */
	uint32_t shard;
	uint64_t starting_seq;      /* of the shard, for an empty directory */

	/* current segment */
	bool have_seg;
	uint64_t seg_first;         /* its name */
	char *log_path;
	int fd;
	uint64_t fsize;             /* as last seen */
	uint64_t off;               /* the block loaded, or the next one to load */
	uint64_t expect;            /* counter the block at off must start with */

	uint64_t next_seq;          /* counter of the next record to return */
	bool time_filter;           /* AT_TIME: skip records that arrived before time_ms */
	int64_t time_ms;

	/* block loaded at off */
	bool loaded;
	bool trim_check;            /* check for deletion before returning its first record */
	struct slc_block_info bi;
	struct slc_block_iter it;

	struct log_rbuf rb;
	struct slc_block_zctx *z;
	char err[PATH_MAX + 2 * WHY_LEN];
};

static int
segs_of(const char *dir, struct log_seg **segs, uint32_t *n)
{
	return log_segs_list(dir, segs, n);
}

/* "first_seq 120 does not follow 117" */
static void
why_follow(char *why, size_t len, uint64_t first_seq, uint64_t expect)
{
	if (expect == 0)
		snprintf(why, len, "first_seq %" PRIu64 ", expected 0", first_seq);
	else
		snprintf(why, len, "first_seq %" PRIu64 " does not follow %" PRIu64, first_seq,
			expect - 1);
}

/*
 * What readers check of a block that passed its CRC: the shard, the counter
 * continuity, and the payload (inflated into z if compressed). Returns 0 with
 * *payload set, or -EBADMSG with why filled, or -ENOMEM.
 */
static int
block_semantics(const uint8_t *blk, const struct slc_block_info *bi, uint32_t shard,
	bool check_seq, uint64_t expect, struct slc_block_zctx **z, const uint8_t **payload,
	char *why, size_t len)
{
	int rc;

	if (bi->shard != shard) {
		snprintf(why, len, "block of shard %u in shard %u", bi->shard, shard);
		return -EBADMSG;
	}
	if (check_seq && bi->first_seq != expect) {
		why_follow(why, len, bi->first_seq, expect);
		return -EBADMSG;
	}
	if ((bi->flags & SLC_BLOCK_F_DEFLATE) && *z == NULL) {
		*z = slc_block_zctx_create(READER_ZCTX_RAW);
		if (*z == NULL)
			return -ENOMEM;
	}
	rc = slc_block_payload(blk, bi, *z, payload);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		snprintf(why, len, "payload does not inflate to raw_len %u", bi->raw_len);
		return -EBADMSG;
	}
	return log_payload_check(*payload, bi, why, len);
}

/* ---- reader: segments ---- */

static void
reader_set_err(struct slc_log_reader *r, const char *why)
{
	snprintf(r->err, sizeof(r->err), "%s offset %" PRIu64 ": %s",
		r->log_path ? r->log_path : r->dir, r->off, why);
}

/* Make seg the current segment, positioned at off where a block starting with expect is. */
static int
reader_seg_open(struct slc_log_reader *r, const struct log_seg *seg, uint64_t off,
	uint64_t expect)
{
	struct stat sb;
	char *path;
	int fd;

	path = slc_strdup(seg->log_path);
	if (path == NULL)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		int rc = -errno;

		if (fd >= 0)
			close(fd);
		slc_free(path);
		return rc;
	}
	if (r->fd >= 0)
		close(r->fd);
	slc_free(r->log_path);
	r->fd = fd;
	r->log_path = path;
	r->fsize = (uint64_t)sb.st_size;
	r->have_seg = true;
	r->seg_first = seg->first_seq;
	r->off = off;
	r->expect = expect;
	r->loaded = false;
	return 0;
}

/* 1 if retention deleted the current segment (its file is unlinked), 0 if not, or -errno. */
static int
reader_trimmed(const struct slc_log_reader *r)
{
	struct stat sb;

	if (!r->have_seg || r->fd < 0)
		return 0;
	if (fstat(r->fd, &sb) < 0)
		return -errno;
	return sb.st_nlink == 0;
}

/*
 * The current segment was deleted by retention: continue at the trim horizon,
 * the first segment named after it (segs, n: the current listing). With none
 * left (a closed shard that expired whole) the reader has no segment and waits.
 * Returns 1 (moved), 0 (no segment left) or -errno (-ENOENT: that one went too).
 */
static int
reader_to_horizon(struct slc_log_reader *r, const struct log_seg *segs, uint32_t n)
{
	uint32_t i;
	int rc;

	for (i = 0; i < n && segs[i].first_seq <= r->seg_first; i++)
		;
	if (i == n) {
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
		r->have_seg = false;
		r->loaded = false;
		return 0;
	}
	rc = reader_seg_open(r, &segs[i], 0, segs[i].first_seq);
	if (rc < 0)
		return rc;
	if (r->next_seq < segs[i].first_seq)
		r->next_seq = segs[i].first_seq;
	return 1;
}

/*
 * At the end of the current segment: move to the next one if it exists and
 * continues our counter. Returns 1 if moved, 0 if there is nothing further yet,
 * -EBADMSG if the next segment does not continue the log, or -errno.
 */
static int
reader_seg_next_once(struct slc_log_reader *r)
{
	struct log_seg *segs = NULL;
	char why[WHY_LEN];
	uint32_t n = 0, i;
	int rc;

	rc = segs_of(r->dir, &segs, &n);
	if (rc < 0)
		return rc;
	rc = reader_trimmed(r);
	if (rc != 0) {
		if (rc > 0)
			rc = reader_to_horizon(r, segs, n);
		goto out;
	}
	if (!r->have_seg) {
		rc = 0;
		if (n > 0) {
			rc = reader_seg_open(r, &segs[0], 0, segs[0].first_seq);
			rc = rc < 0 ? rc : 1;
		}
		goto out;
	}
	for (i = 0; i < n && segs[i].first_seq <= r->seg_first; i++)
		;
	rc = 0;
	if (i == n)
		goto out;
	if (segs[i].first_seq == r->expect) {
		rc = reader_seg_open(r, &segs[i], 0, segs[i].first_seq);
		rc = rc < 0 ? rc : 1;
	} else if (segs[i].first_seq < r->expect) {
		snprintf(why, sizeof(why), "next segment %s starts at counter %" PRIu64
			", before this one ends (%" PRIu64 ")", segs[i].log_path,
			segs[i].first_seq, r->expect);
		reader_set_err(r, why);
		rc = -EBADMSG;
	} else {
		/*
		 * The next segment starts later than this one ends: the writer may
		 * still be writing our tail after a roll, or the records are lost.
		 */
		snprintf(why, sizeof(why), "log ends at counter %" PRIu64
			" but next segment %s starts at %" PRIu64, r->expect, segs[i].log_path,
			segs[i].first_seq);
		reader_set_err(r, why);
		rc = -EAGAIN;
	}
out:
	log_segs_free(segs, n);
	return rc;
}

/* A segment listed but deleted before we opened it: list again (retention moves on). */
#define READER_LIST_TRIES 8

static int
reader_seg_next(struct slc_log_reader *r)
{
	int rc, tries = 0;

	do
		rc = reader_seg_next_once(r);
	while (rc == -ENOENT && ++tries < READER_LIST_TRIES);
	return rc;
}

/* ---- reader: blocks ---- */

/*
 * Read the block at r->off. Returns 1 (good block at *blk), 2 (moved on to the
 * next segment), 0 (no further block now), -EBADMSG or -errno. Bad bytes, and a
 * segment that ends before the next one starts, are re-read a few times before
 * they are reported: the writer may be writing right there.
 */
static int
reader_read(struct slc_log_reader *r, const uint8_t **blk)
{
	char why[WHY_LEN];
	struct stat sb;
	bool grown;
	int rc, tries;

	for (tries = 1;; tries++) {
		rc = log_read_block(r->fd, r->off, r->fsize, &r->rb, blk, &r->bi);
		if (rc == 1 || (rc < 0 && rc != -EBADMSG))
			return rc;
		/*
		 * A write that has not landed (yet) ends the data for now, exactly
		 * where recovery would cut it; only if a further segment exists is
		 * it a gap, which reader_seg_next() reports.
		 */
		if (rc == -EBADMSG && log_block_unlanded(r->fd, r->off, r->fsize, &r->rb))
			rc = 0;
		/* Zero header, end of file or bad bytes: has the writer moved on? */
		if (fstat(r->fd, &sb) < 0)
			return -errno;
		grown = (uint64_t)sb.st_size != r->fsize;
		r->fsize = (uint64_t)sb.st_size;
		if (grown && tries < READER_TRIES)
			continue;
		if (rc == 0 && !grown) {
			rc = reader_seg_next(r);
			if (rc == 1)
				return 2;
			if (rc != -EAGAIN)
				return rc;
			if (tries >= READER_TRIES)
				return -EBADMSG;    /* error text set by reader_seg_next() */
		} else if (tries >= READER_TRIES) {
			if (rc == 0)
				return 0;
			log_block_why(r->fd, r->off, r->fsize, &r->rb, why, sizeof(why));
			reader_set_err(r, why);
			return -EBADMSG;
		}
		usleep(READER_RETRY_US << (tries - 1));
	}
}

/*
 * Load the next block that holds a record to return. Returns 1 (loaded), 0 (no
 * further block now), -EBADMSG or -errno.
 */
static int
reader_load(struct slc_log_reader *r)
{
	const uint8_t *blk, *payload;
	char why[WHY_LEN];
	int rc;

	for (;;) {
		if (!r->have_seg) {
			rc = reader_seg_next(r);
			if (rc <= 0)
				return rc == -EAGAIN ? 0 : rc;
			continue;
		}
		rc = reader_read(r, &blk);
		if (rc == 2)
			continue;
		if (rc <= 0)
			return rc;
		/* Whole blocks before the target are skipped without decoding them. */
		if (r->bi.shard == r->shard && r->bi.first_seq == r->expect &&
				(r->bi.first_seq + r->bi.count <= r->next_seq ||
				(r->time_filter && r->bi.last_time_ms < r->time_ms))) {
			r->expect = r->bi.first_seq + r->bi.count;
			if (r->next_seq < r->expect)
				r->next_seq = r->expect;
			r->off += r->bi.span;
			continue;
		}
		rc = block_semantics(blk, &r->bi, r->shard, true, r->expect, &r->z, &payload,
			why, sizeof(why));
		if (rc == -EBADMSG)
			reader_set_err(r, why);
		if (rc < 0)
			return rc;
		slc_block_iter_init(&r->it, payload, &r->bi);
		r->loaded = true;
		r->trim_check = true;
		return 1;
	}
}

/*
 * Step to the next record to return. With peek the record is found but not
 * consumed (the next call returns it again).
 */
static int
reader_advance(struct slc_log_reader *r, struct slc_record *rec, bool peek)
{
	struct slc_block_iter save;
	int rc;

	for (;;) {
		if (!r->loaded) {
			rc = reader_load(r);
			if (rc <= 0)
				return rc;
		}
		save = r->it;
		rc = slc_block_iter_next(&r->it, rec);
		if (rc == 1) {
			if (rec->seq < r->next_seq)
				continue;
			if (r->time_filter && rec->arrival_ms < r->time_ms) {
				r->next_seq = rec->seq + 1;
				continue;
			}
			if (peek) {
				r->it = save;
				r->next_seq = rec->seq;
				return 1;
			}
			if (r->trim_check) {
				/* Once per block: was the segment deleted meanwhile? */
				r->trim_check = false;
				rc = reader_trimmed(r);
				if (rc < 0)
					return rc;
				if (rc > 0) {
					r->it = save;
					r->loaded = false;
					rc = reader_seg_next(r);
					if (rc < 0)
						return rc;
					continue;
				}
			}
			r->time_filter = false;
			r->next_seq = rec->seq + 1;
			return 1;
		}
		r->loaded = false;
		if (rc < 0) {
			/* log_payload_check() passed, so the iterator should too. */
			reader_set_err(r, "payload does not decode");
			return -EBADMSG;
		}
		r->expect = r->bi.first_seq + r->bi.count;
		r->off += r->bi.span;
	}
}

int
slc_log_reader_next(struct slc_log_reader *r, struct slc_record *rec)
{
	return reader_advance(r, rec, false);
}

const char *
slc_log_reader_error(const struct slc_log_reader *r)
{
	return r->err;
}

uint64_t
slc_log_reader_position(const struct slc_log_reader *r)
{
	return r->next_seq;
}

void
slc_log_reader_close(struct slc_log_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	slc_block_zctx_free(r->z);
	log_rbuf_fini(&r->rb);
	slc_free(r->log_path);
	slc_free(r->dir);
	slc_free(r);
}

/* ---- reader: positioning ---- */

/* First block time of a segment, or INT64_MAX if it has no good first block. */
static int
seg_first_time(struct slc_log_reader *r, const struct log_seg *seg, int64_t *t)
{
	struct slc_block_info bi;
	const uint8_t *blk;
	int fd, rc;

	*t = INT64_MAX;
	fd = open(seg->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = log_read_block(fd, 0, seg->size, &r->rb, &blk, &bi);
	close(fd);
	if (rc == 1)
		*t = bi.first_time_ms;
	return rc < 0 && rc != -EBADMSG ? rc : 0;
}

/*
 * Position r in seg at the last indexed block that starts before the target
 * (first_seq <= seq, or first_time_ms < time_ms when by_time), or at offset 0.
 */
static int
reader_seek_seg(struct slc_log_reader *r, const struct log_seg *seg, bool by_time,
	uint64_t seq, int64_t time_ms)
{
	struct log_idx_entry *ents = NULL;
	uint32_t n = 0, lo, hi, mid, good = 0;
	uint64_t off = 0, expect = seg->first_seq;
	int rc;

	rc = log_idx_load(seg->idx_path, &ents, &n);
	if (rc < 0)
		return rc;
	/* lo = number of entries before the target */
	lo = 0;
	hi = n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (by_time ? ents[mid].first_time_ms < time_ms : ents[mid].first_seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	rc = reader_seg_open(r, seg, 0, seg->first_seq);
	if (rc < 0)
		goto out;
	rc = log_idx_verified(r->fd, r->fsize, ents, lo, &r->rb, &good);
	if (rc < 0)
		goto out;
	if (good > 0) {
		off = ents[good - 1].block_off;
		expect = ents[good - 1].first_seq;
	}
	r->off = off;
	r->expect = expect;
out:
	slc_free(ents);
	return rc;
}

static int
reader_position(struct slc_log_reader *r, const struct log_seg *segs, uint32_t n,
	const struct slc_log_pos *pos)
{
	uint32_t lo, hi, mid;
	struct log_tail t;
	uint64_t target;
	int64_t ft;
	int rc;

	switch (pos->type) {
	case SLC_LOG_POS_TRIM_HORIZON:
		r->next_seq = segs[0].first_seq;
		return reader_seg_open(r, &segs[0], 0, segs[0].first_seq);
	case SLC_LOG_POS_LATEST:
		rc = reader_seg_open(r, &segs[n - 1], 0, segs[n - 1].first_seq);
		if (rc < 0)
			return rc;
		rc = log_seg_tail(&segs[n - 1], r->fd, r->fsize, &r->rb, &t);
		if (rc < 0)
			return rc;
		r->off = t.end_off;
		r->expect = t.next_seq;
		r->next_seq = t.next_seq;
		return 0;
	case SLC_LOG_POS_AT_SEQ:
	case SLC_LOG_POS_AFTER_SEQ:
		target = pos->seq;
		if (pos->type == SLC_LOG_POS_AFTER_SEQ)
			target++;
		if (target < segs[0].first_seq)
			target = segs[0].first_seq;
		r->next_seq = target;
		/* last segment named <= target */
		lo = 0;
		hi = n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (segs[mid].first_seq <= target)
				lo = mid + 1;
			else
				hi = mid;
		}
		return reader_seek_seg(r, &segs[lo - 1], false, target, 0);
	case SLC_LOG_POS_AT_TIME:
		/* last segment whose first block arrived before time_ms (else the first) */
		lo = 0;
		hi = n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			rc = seg_first_time(r, &segs[mid], &ft);
			if (rc < 0)
				return rc;
			if (ft < pos->time_ms)
				lo = mid + 1;
			else
				hi = mid;
		}
		r->time_filter = true;
		r->time_ms = pos->time_ms;
		rc = reader_seek_seg(r, &segs[lo > 0 ? lo - 1 : 0], true, 0, pos->time_ms);
		r->next_seq = r->expect;
		return rc;
	}
	return -EINVAL;
}

struct slc_log_reader *
slc_log_reader_open(const struct slc_stream *st, uint32_t index, const struct slc_log_pos *pos)
{
	struct slc_log_reader *r;
	struct log_seg *segs = NULL;
	struct slc_record rec;
	uint32_t n = 0;
	int rc, tries;

	if (st == NULL || pos == NULL || index >= st->nshards ||
			(pos->type == SLC_LOG_POS_AFTER_SEQ && pos->seq == UINT64_MAX) ||
			(unsigned)pos->type > SLC_LOG_POS_AT_TIME) {
		errno = EINVAL;
		return NULL;
	}
	r = slc_calloc(1, sizeof(*r));
	if (r == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	r->fd = -1;
	r->shard = index;
	r->starting_seq = st->shards[index].starting_seq;
	r->dir = slc_stream_shard_dir(st, index);
	if (r->dir == NULL) {
		rc = errno ? -errno : -ENOMEM;
		goto fail;
	}
	for (tries = 0;; tries++) {
		rc = segs_of(r->dir, &segs, &n);
		if (rc < 0)
			goto fail;
		if (n == 0)
			break;
		rc = reader_position(r, segs, n, pos);
		if (rc != -ENOENT || tries + 1 >= READER_LIST_TRIES)
			break;
		/* Retention deleted the segment meanwhile: list again. */
		log_segs_free(segs, n);
		segs = NULL;
		n = 0;
	}
	if (n > 0 && rc < 0)
		goto fail;
	if (n == 0) {
		/* Nothing stored yet: wait at the shard's start (or the target). */
		r->next_seq = r->starting_seq;
		if ((pos->type == SLC_LOG_POS_AT_SEQ || pos->type == SLC_LOG_POS_AFTER_SEQ) &&
				pos->seq + (pos->type == SLC_LOG_POS_AFTER_SEQ) > r->next_seq)
			r->next_seq = pos->seq + (pos->type == SLC_LOG_POS_AFTER_SEQ);
		if (pos->type == SLC_LOG_POS_AT_TIME) {
			r->time_filter = true;
			r->time_ms = pos->time_ms;
		}
	}
	log_segs_free(segs, n);
	segs = NULL;
	/* Settle on the first record to return, so that position() is exact; a bad
	 * block found here is reported again by next(). */
	rc = reader_advance(r, &rec, true);
	if (rc < 0 && rc != -EBADMSG)
		goto fail;
	return r;
fail:
	log_segs_free(segs, n);
	slc_log_reader_close(r);
	errno = -rc;
	return NULL;
}

/* ---- verify ---- */

/*
 * After a bad block at off: the next 8-byte aligned offset that holds a good
 * block, or fsize if none.
 */
static int
verify_resync(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb, uint8_t *win,
	uint64_t *next)
{
	static const uint8_t magic[4] = { 'S', 'L', 'C', 'B' };
	struct slc_block_info bi;
	const uint8_t *blk;
	uint64_t pos, wend;
	size_t i, got;
	ssize_t n;
	int rc;

	for (pos = off + SLC_BLOCK_ALIGN; pos < fsize; pos = wend) {
		wend = fsize - pos > VERIFY_SCAN_WIN ? pos + VERIFY_SCAN_WIN : fsize;
		got = 0;
		while (got < wend - pos) {
			n = pread(fd, win + got, (size_t)(wend - pos) - got, (off_t)(pos + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				break;
			got += (size_t)n;
		}
		/* A good block starts with the magic: try only those offsets. */
		for (i = 0; i + sizeof(magic) <= got; i += SLC_BLOCK_ALIGN) {
			if (memcmp(win + i, magic, sizeof(magic)) != 0)
				continue;
			rc = log_read_block(fd, pos + i, fsize, rb, &blk, &bi);
			if (rc == 1) {
				*next = pos + i;
				return 0;
			}
			if (rc < 0 && rc != -EBADMSG)
				return rc;
		}
		if (got < wend - pos)
			break;
	}
	*next = fsize;
	return 0;
}

int
slc_log_verify(const struct slc_stream *st, uint32_t index, slc_log_bad_cb bad, void *arg,
	uint64_t *blocks, uint64_t *records)
{
	struct slc_block_zctx *z = NULL;
	struct log_rbuf rb = { NULL, 0 };
	struct log_seg *segs = NULL;
	const uint8_t *blk, *payload;
	struct slc_block_info bi;
	uint64_t nblk = 0, nrec = 0, off, expect = 0;
	bool known = false, anybad = false;
	char why[WHY_LEN];
	uint8_t *win = NULL;
	const char *cur;
	char *dir = NULL;
	struct stat sb;
	uint32_t n = 0, i;
	int fd = -1, rc;

	if (st == NULL || index >= st->nshards)
		return -EINVAL;
	dir = slc_stream_shard_dir(st, index);
	if (dir == NULL)
		return errno ? -errno : -ENOMEM;
	cur = dir;
	rc = segs_of(dir, &segs, &n);
	if (rc < 0)
		goto out;
	win = slc_malloc(VERIFY_SCAN_WIN);
	if (win == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		cur = segs[i].log_path;
		fd = open(segs[i].log_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			rc = -errno;
			goto out;
		}
		if (known && expect != segs[i].first_seq) {
			snprintf(why, sizeof(why), "segment named %" PRIu64 " does not follow "
				"counter %" PRIu64, segs[i].first_seq, expect - 1);
			if (bad != NULL)
				bad(arg, segs[i].log_path, 0, why);
			anybad = true;
		}
		/* The segment's name is the first_seq its first block must carry. */
		expect = segs[i].first_seq;
		known = true;
		off = 0;
		for (;;) {
			rc = log_read_block(fd, off, (uint64_t)sb.st_size, &rb, &blk, &bi);
			if (rc == 0)
				break;
			if (rc < 0 && rc != -EBADMSG)
				goto out;
			if (rc == 1) {
				rc = block_semantics(blk, &bi, index, known, expect, &z, &payload,
					why, sizeof(why));
				if (rc < 0 && rc != -EBADMSG)
					goto out;
				if (rc == 0) {
					nblk++;
					nrec += bi.count;
				} else {
					if (bad != NULL)
						bad(arg, segs[i].log_path, off, why);
					anybad = true;
				}
				/* The block's frame is sound: carry on after it. */
				expect = bi.first_seq + bi.count;
				known = true;
				off += bi.span;
				continue;
			}
			if (i == n - 1 && log_block_unlanded(fd, off, (uint64_t)sb.st_size, &rb)) {
				/* The log's end: what a writer at work or a crash leaves. */
				LOG_LOG(NOTICE, "stream %s shard %u: unfinished write at %s offset %"
					PRIu64 " ends the log (a write in progress, or cut short by a "
					"crash: the next writer to open the shard cuts it)", st->name,
					index, cur, off);
				break;
			}
			log_block_why(fd, off, (uint64_t)sb.st_size, &rb, why, sizeof(why));
			if (bad != NULL)
				bad(arg, segs[i].log_path, off, why);
			anybad = true;
			known = false;
			rc = verify_resync(fd, off, (uint64_t)sb.st_size, &rb, win, &off);
			if (rc < 0)
				goto out;
			if (off >= (uint64_t)sb.st_size)
				break;
		}
		close(fd);
		fd = -1;
	}
	rc = anybad ? -EBADMSG : 0;
out:
	if (rc < 0 && rc != -EBADMSG)
		LOG_LOG(ERR, "stream %s shard %u: verify cannot read %s: %s", st->name, index,
			cur, strerror(-rc));
	if (fd >= 0)
		close(fd);
	if (blocks != NULL)
		*blocks = nblk;
	if (records != NULL)
		*records = nrec;
	slc_free(win);
	slc_block_zctx_free(z);
	log_rbuf_fini(&rb);
	log_segs_free(segs, n);
	slc_free(dir);
	return rc;
}
