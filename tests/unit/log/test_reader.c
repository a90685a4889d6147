/*
 * Unit tests of shard log readers, slc_log_verify() and slc_log_shard_info()
 * (lib/log/log_reader.c, log_recover.c). Shards are laid out by hand
 * (log_test_shard.h), independent of the writer: positioning by every iterator
 * type at the boundaries that matter (first and last record, block and segment
 * boundaries, before the trim horizon, past the end), equal arrival times across
 * blocks and segments, compressed blocks, bad blocks that must never be
 * returned, and verify's one-report-per-damaged-block.
 */
#include <stdio.h>

#include <rte_log.h>

#include "log_test_shard.h"

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

/* 3 segments of 6 blocks of 3..8 records each, sparse index. */
static struct ts *
three_segments(uint64_t starting_seq, uint32_t idx_interval)
{
	struct ts *s = ts_create(0, starting_seq);
	uint32_t g, b;

	if (s == NULL)
		return NULL;
	s->idx_interval = idx_interval;
	for (g = 0; g < 3; g++) {
		ts_roll(s);
		for (b = 0; b < 6; b++)
			ts_block_dlen(s, 3 + (g * 6 + b) % 6, 0, b == 3);
	}
	ts_close_seg(s);
	return s;
}

static struct slc_log_reader *
open_at(struct ts *s, enum slc_log_pos_type type, uint64_t seq, int64_t t)
{
	struct slc_log_pos pos = { .type = type, .seq = seq, .time_ms = t };

	return slc_log_reader_open(&s->st, s->shard, &pos);
}

static void
test_slc_log_reader_next_trim_horizon(void)
{
	struct ts *s = three_segments(0, 1024);
	struct slc_log_reader *r;
	struct slc_record rec;
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	r = open_at(s, SLC_LOG_POS_TRIM_HORIZON, 0, 0);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), 0);
	CU_ASSERT_EQUAL(ts_drain(s, r, 0, &rc), s->seq);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), s->seq);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), "");
	slc_log_reader_close(r);
	ts_free(s);
}

/* AT_SEQ and AFTER_SEQ at every counter: every block and segment boundary. */
static void
seq_every(uint32_t idx_interval)
{
	struct ts *s = three_segments(1000, idx_interval);
	struct slc_log_reader *r;
	uint64_t k, n, want, end, bad = 0;
	int type, rc;

	CU_ASSERT_FATAL(s != NULL);
	end = s->seq;
	for (type = SLC_LOG_POS_AT_SEQ; type <= SLC_LOG_POS_AFTER_SEQ; type++) {
		for (k = 990; k < end + 4; k++) {
			want = type == SLC_LOG_POS_AT_SEQ ? k : k + 1;
			if (want < 1000)
				want = 1000;        /* before the trim horizon */
			r = open_at(s, type, k, 0);
			if (r == NULL) {
				bad++;
				continue;
			}
			if (slc_log_reader_position(r) != want)
				bad++;
			n = ts_drain(s, r, want, &rc);
			if (rc != 0 || n != (want < end ? end - want : 0)) {
				if (bad < 5)
					fprintf(stderr, "type %d seq %" PRIu64 ": read %" PRIu64
						" rc %d\n", type, k, n, rc);
				bad++;
			}
			slc_log_reader_close(r);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	ts_free(s);
}

static void
test_slc_log_reader_open_seq_every_sparse(void)
{
	seq_every(1024);
}

static void
test_slc_log_reader_open_seq_every_dense(void)
{
	seq_every(0);
}

static void
test_slc_log_reader_open_seq_boundaries(void)
{
	struct ts *s = three_segments(0, 1024);
	struct slc_log_reader *r;
	struct slc_record rec;
	uint64_t seg1 = s->blk[6].first_seq, blk2 = s->blk[2].first_seq, last = s->seq - 1;

	CU_ASSERT_FATAL(s != NULL);
	/* first record of a segment, last of the one before, across the boundary */
	r = open_at(s, SLC_LOG_POS_AT_SEQ, seg1, 0);
	CU_ASSERT(slc_log_reader_next(r, &rec) == 1 && ts_rec_ok(s, &rec, seg1));
	slc_log_reader_close(r);
	r = open_at(s, SLC_LOG_POS_AT_SEQ, seg1 - 1, 0);
	CU_ASSERT(slc_log_reader_next(r, &rec) == 1 && ts_rec_ok(s, &rec, seg1 - 1));
	CU_ASSERT(slc_log_reader_next(r, &rec) == 1 && ts_rec_ok(s, &rec, seg1));
	slc_log_reader_close(r);
	r = open_at(s, SLC_LOG_POS_AFTER_SEQ, seg1 - 1, 0);
	CU_ASSERT(slc_log_reader_next(r, &rec) == 1 && ts_rec_ok(s, &rec, seg1));
	slc_log_reader_close(r);
	/* block boundary */
	r = open_at(s, SLC_LOG_POS_AFTER_SEQ, blk2 - 1, 0);
	CU_ASSERT(slc_log_reader_next(r, &rec) == 1 && ts_rec_ok(s, &rec, blk2));
	slc_log_reader_close(r);
	/* last record, then nothing */
	r = open_at(s, SLC_LOG_POS_AT_SEQ, last, 0);
	CU_ASSERT(slc_log_reader_next(r, &rec) == 1 && ts_rec_ok(s, &rec, last));
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	slc_log_reader_close(r);
	r = open_at(s, SLC_LOG_POS_AFTER_SEQ, last, 0);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), last + 1);
	slc_log_reader_close(r);
	/* bad arguments */
	errno = 0;
	CU_ASSERT_PTR_NULL(open_at(s, SLC_LOG_POS_AFTER_SEQ, UINT64_MAX, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(open_at(s, (enum slc_log_pos_type)17, 0, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	ts_free(s);
}

/* Records that were trimmed (first segment removed): positions before clamp. */
static void
test_slc_log_reader_open_before_trim_horizon(void)
{
	struct ts *s = three_segments(0, 1024);
	uint64_t horizon = s->blk[6].first_seq;
	char p[256];
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	ts_path(s, 0, LOG_SEG_EXT, p, sizeof(p));
	CU_ASSERT_EQUAL(unlink(p), 0);
	ts_path(s, 0, LOG_IDX_EXT, p, sizeof(p));
	CU_ASSERT_EQUAL(unlink(p), 0);
	{
		struct slc_log_pos pos[] = {
			{ .type = SLC_LOG_POS_TRIM_HORIZON },
			{ .type = SLC_LOG_POS_AT_SEQ, .seq = 0 },
			{ .type = SLC_LOG_POS_AT_SEQ, .seq = horizon - 1 },
			{ .type = SLC_LOG_POS_AFTER_SEQ, .seq = 0 },
			{ .type = SLC_LOG_POS_AT_TIME, .time_ms = 0 },
			{ .type = SLC_LOG_POS_AT_TIME, .time_ms = s->arrival[0] },
		};
		uint32_t i;

		for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
			CU_ASSERT_EQUAL(ts_read_all(s, &pos[i], horizon, &rc), s->seq - horizon);
			CU_ASSERT_EQUAL(rc, 0);
		}
	}
	ts_free(s);
}

static void
test_slc_log_reader_open_latest(void)
{
	struct ts *s = three_segments(0, 1024);
	struct slc_log_reader *r;
	struct slc_record rec;
	uint64_t end = s->seq;
	char lp[256];
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	r = open_at(s, SLC_LOG_POS_LATEST, 0, 0);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), end);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);
	/* append to the last segment (reopened), then after a roll */
	ts_path(s, s->seg, LOG_SEG_EXT, lp, sizeof(lp));
	s->fd = open(lp, O_RDWR);
	ts_path(s, s->seg, LOG_IDX_EXT, lp, sizeof(lp));
	s->ifd = open(lp, O_RDWR | O_APPEND);
	CU_ASSERT_FATAL(s->fd >= 0 && s->ifd >= 0);
	ts_block(s, 4);
	ts_block(s, 2);
	CU_ASSERT_EQUAL(ts_drain(s, r, end, &rc), 6);
	CU_ASSERT_EQUAL(rc, 0);
	ts_roll(s);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), 0);    /* empty new segment */
	ts_block(s, 5);
	CU_ASSERT_EQUAL(ts_drain(s, r, end + 6, &rc), 5);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), end + 11);
	slc_log_reader_close(r);
	ts_free(s);
}

/* Past the end and on an empty shard: nothing now, the right records later. */
static void
test_slc_log_reader_open_past_end(void)
{
	struct ts *s = ts_create(1, 300);
	struct slc_log_reader *r0, *r5, *rt, *rl;
	struct slc_record rec;
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	rt = open_at(s, SLC_LOG_POS_TRIM_HORIZON, 0, 0);
	rl = open_at(s, SLC_LOG_POS_LATEST, 0, 0);
	CU_ASSERT_FATAL(rt != NULL && rl != NULL);
	CU_ASSERT_EQUAL(slc_log_reader_position(rt), 300);
	CU_ASSERT_EQUAL(slc_log_reader_next(rt, &rec), 0);
	CU_ASSERT_EQUAL(slc_log_reader_next(rl, &rec), 0);
	ts_block(s, 4);
	r0 = open_at(s, SLC_LOG_POS_AT_SEQ, 304, 0);
	r5 = open_at(s, SLC_LOG_POS_AT_SEQ, 309, 0);
	CU_ASSERT_FATAL(r0 != NULL && r5 != NULL);
	CU_ASSERT_EQUAL(slc_log_reader_next(r0, &rec), 0);
	CU_ASSERT_EQUAL(slc_log_reader_next(r5, &rec), 0);
	CU_ASSERT_EQUAL(slc_log_reader_position(r5), 309);
	ts_block(s, 10);
	CU_ASSERT_EQUAL(ts_drain(s, r0, 304, &rc), 10);
	CU_ASSERT_EQUAL(ts_drain(s, r5, 309, &rc), 5);
	CU_ASSERT_EQUAL(ts_drain(s, rt, 300, &rc), 14);
	CU_ASSERT_EQUAL(ts_drain(s, rl, 300, &rc), 14);
	CU_ASSERT_EQUAL(rc, 0);
	slc_log_reader_close(r0);
	slc_log_reader_close(r5);
	slc_log_reader_close(rt);
	slc_log_reader_close(rl);
	ts_free(s);
}

/* Arrival times with runs of equal values across blocks and across a segment roll. */
static void
at_time_layout(uint32_t idx_interval)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_reader *r;
	uint64_t k, want, n, bad = 0;
	int64_t t, t0, t1;
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	s->idx_interval = idx_interval;
	t0 = s->t = 100000;
	s->t_step = 0;
	ts_block(s, 4);              /* 100000 x4 */
	ts_block(s, 3);              /* 100000 x3: equal across blocks */
	s->t_step = 1;
	ts_block(s, 3);              /* 100000, 100001, 100002 */
	s->t = 100002;
	s->t_step = 0;
	ts_block(s, 2);              /* 100002 x2 */
	ts_roll(s);
	ts_block(s, 3);              /* 100002 x3: equal across segments */
	s->t = 100010;
	s->t_step = 5;
	ts_block(s, 4);              /* 100010 .. 100025 */
	ts_roll(s);
	s->t_step = 0;
	ts_block(s, 2);              /* 100030 x2 */
	s->t_step = 3;
	ts_block(s, 3);
	ts_close_seg(s);
	t1 = s->arrival[s->seq - 1];
	for (t = t0 - 3; t <= t1 + 3; t++) {
		for (want = 0; want < s->seq && s->arrival[want] < t; want++)
			;
		r = open_at(s, SLC_LOG_POS_AT_TIME, 0, t);
		if (r == NULL) {
			bad++;
			continue;
		}
		k = slc_log_reader_position(r);
		n = ts_drain(s, r, want, &rc);
		if (k != want || rc != 0 || n != s->seq - want) {
			if (bad < 5)
				fprintf(stderr, "AT_TIME %" PRId64 ": position %" PRIu64 " read %"
					PRIu64 " rc %d, want from %" PRIu64 "\n", t, k, n, rc, want);
			bad++;
		}
		slc_log_reader_close(r);
	}
	CU_ASSERT_EQUAL(bad, 0);
	ts_free(s);
}

static void
test_slc_log_reader_open_at_time_dense(void)
{
	at_time_layout(0);
}

static void
test_slc_log_reader_open_at_time_sparse(void)
{
	at_time_layout(200);
}

static void
test_slc_log_reader_next_compressed(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_pos pos = { .type = SLC_LOG_POS_AT_SEQ };
	uint32_t i, deflated = 0;
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	s->compress = true;
	for (i = 0; i < 8; i++)
		ts_block_dlen(s, 20, 400, false);
	ts_block_dlen(s, 1, 200000, false);     /* big: buffers must grow */
	ts_block_dlen(s, 3, 0, false);
	ts_close_seg(s);
	for (i = 0; i < s->nblk; i++)
		deflated += s->blk[i].deflated;
	CU_ASSERT(deflated >= 8);
	pos.seq = 0;
	CU_ASSERT_EQUAL(ts_read_all(s, &pos, 0, &rc), s->seq);
	CU_ASSERT_EQUAL(rc, 0);
	pos.seq = 67;
	CU_ASSERT_EQUAL(ts_read_all(s, &pos, 67, &rc), s->seq - 67);
	CU_ASSERT_EQUAL(rc, 0);
	ts_free(s);
}

/* Rewrite a block's CRC after the test changed bytes it covers. */
static void
reseal(const char *path, const struct ts_blk *b)
{
	uint8_t *p;
	uint32_t crc;
	size_t len;

	p = ts_slurp(path, &len);
	crc = slc_block_crc32c(p + b->off + 8, b->len - 8);
	memcpy(p + b->off + 4, &crc, 4);
	ts_spit(path, p, len);
	free(p);
}

static void
test_slc_log_reader_next_bad_block(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_reader *r;
	struct slc_record rec;
	char lp[256], want[512];
	uint8_t *orig;
	size_t len;
	uint32_t i, v = 3, dl;
	int rc;

	CU_ASSERT_FATAL(s != NULL);
	s->idx_interval = 0;
	for (i = 0; i < 6; i++)
		ts_block(s, 5);
	ts_close_seg(s);
	ts_path(s, 0, LOG_SEG_EXT, lp, sizeof(lp));
	orig = ts_slurp(lp, &len);

	/* one flipped payload byte */
	ts_flip(lp, s->blk[v].off + 90, 0x20);
	r = open_at(s, SLC_LOG_POS_TRIM_HORIZON, 0, 0);
	CU_ASSERT_FATAL(r != NULL);
	CU_ASSERT_EQUAL(ts_drain(s, r, 0, &rc), 15);
	CU_ASSERT_EQUAL(rc, -EBADMSG);
	snprintf(want, sizeof(want), "%s offset %" PRIu64 ": CRC mismatch", lp, s->blk[v].off);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), want);
	/* the reader stays there */
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), -EBADMSG);
	CU_ASSERT_EQUAL(slc_log_reader_position(r), 15);
	/* repaired (say, restored from a copy): it goes on */
	ts_spit(lp, orig, len);
	CU_ASSERT_EQUAL(ts_drain(s, r, 15, &rc), 15);
	CU_ASSERT_EQUAL(rc, 0);
	slc_log_reader_close(r);

	/* inside the bad block: not one of its records; past it (indexed): fine */
	ts_flip(lp, s->blk[v].off + 90, 0x20);
	r = open_at(s, SLC_LOG_POS_AT_SEQ, 17, 0);
	CU_ASSERT_EQUAL(slc_log_reader_next(r, &rec), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), want);
	slc_log_reader_close(r);
	r = open_at(s, SLC_LOG_POS_AT_SEQ, 20, 0);
	CU_ASSERT_EQUAL(ts_drain(s, r, 20, &rc), 10);
	CU_ASSERT_EQUAL(rc, 0);
	slc_log_reader_close(r);

	/* bad magic */
	ts_spit(lp, orig, len);
	ts_flip(lp, s->blk[v].off + 1, 0x01);
	r = open_at(s, SLC_LOG_POS_AT_SEQ, 12, 0);
	CU_ASSERT_EQUAL(ts_drain(s, r, 12, &rc), 3);
	CU_ASSERT_EQUAL(rc, -EBADMSG);
	snprintf(want, sizeof(want), "%s offset %" PRIu64 ": bad magic 0x42434d53", lp,
		s->blk[v].off);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), want);
	slc_log_reader_close(r);

	/* a good CRC over a malformed payload: record 1's length runs beyond it */
	ts_spit(lp, orig, len);
	dl = s->dlen[v * 5 + 1] + 1000;
	{
		int fd = open(lp, O_RDWR);
		/* record 0 is 16 header bytes, key "key-15", its data */
		uint64_t roff = s->blk[v].off + 64 + 16 + 6 + s->dlen[v * 5] + 4;

		CU_ASSERT(pwrite(fd, &dl, 4, (off_t)roff) == 4);
		close(fd);
	}
	reseal(lp, &s->blk[v]);
	r = open_at(s, SLC_LOG_POS_TRIM_HORIZON, 0, 0);
	CU_ASSERT_EQUAL(ts_drain(s, r, 0, &rc), 15);
	CU_ASSERT_EQUAL(rc, -EBADMSG);
	snprintf(want, sizeof(want), "%s offset %" PRIu64 ": record 1 length beyond payload", lp,
		s->blk[v].off);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), want);
	slc_log_reader_close(r);

	/* a good block whose counters do not follow: first_seq 15 -> 18 */
	ts_spit(lp, orig, len);
	{
		int fd = open(lp, O_RDWR);
		uint64_t fs = 18;

		CU_ASSERT(pwrite(fd, &fs, 8, (off_t)(s->blk[v].off + 32)) == 8);
		close(fd);
	}
	reseal(lp, &s->blk[v]);
	r = open_at(s, SLC_LOG_POS_TRIM_HORIZON, 0, 0);
	CU_ASSERT_EQUAL(ts_drain(s, r, 0, &rc), 15);
	CU_ASSERT_EQUAL(rc, -EBADMSG);
	snprintf(want, sizeof(want), "%s offset %" PRIu64 ": first_seq 18 does not follow 14", lp,
		s->blk[v].off);
	CU_ASSERT_STRING_EQUAL(slc_log_reader_error(r), want);
	slc_log_reader_close(r);
	free(orig);
	ts_free(s);
}

struct bad_log {
	uint32_t n;
	uint64_t off[8];
	char why[8][160];
	char path[8][256];
};

static void
log_bad(void *arg, const char *path, uint64_t off, const char *why)
{
	struct bad_log *b = arg;

	if (b->n < 8) {
		b->off[b->n] = off;
		snprintf(b->why[b->n], sizeof(b->why[0]), "%s", why);
		snprintf(b->path[b->n], sizeof(b->path[0]), "%s", path);
	}
	b->n++;
}

static void
test_slc_log_verify_one_report_per_flip(void)
{
	struct ts *s = three_segments(0, 1024);
	struct bad_log bl;
	char lp[256];
	uint8_t *orig;
	size_t len;
	uint64_t blocks, records, off, fails = 0;
	uint32_t v = 8;              /* third block of the second segment */
	const struct ts_blk *b;

	CU_ASSERT_FATAL(s != NULL);
	memset(&bl, 0, sizeof(bl));
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records), 0);
	CU_ASSERT_EQUAL(bl.n, 0);
	CU_ASSERT_EQUAL(blocks, s->nblk);
	CU_ASSERT_EQUAL(records, s->seq);

	b = &s->blk[v];
	ts_path(s, b->seg, LOG_SEG_EXT, lp, sizeof(lp));
	orig = ts_slurp(lp, &len);
	for (off = b->off; off < b->off + b->len; off++) {
		ts_spit(lp, orig, len);
		ts_flip(lp, off, 0x08);
		memset(&bl, 0, sizeof(bl));
		if (slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records) != -EBADMSG ||
				bl.n != 1 || bl.off[0] != b->off || strcmp(bl.path[0], lp) != 0 ||
				blocks != s->nblk - 1 || records != s->seq - b->count) {
			if (fails++ < 5)
				fprintf(stderr, "flip at +%" PRIu64 ": %u reports (first at %" PRIu64
					": %s), blocks %" PRIu64 " records %" PRIu64 "\n",
					off - b->off, bl.n, bl.off[0], bl.why[0], blocks, records);
		}
	}
	CU_ASSERT_EQUAL(fails, 0);
	ts_spit(lp, orig, len);
	ts_flip(lp, b->off + 100, 0x08);
	memset(&bl, 0, sizeof(bl));
	slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records);
	CU_ASSERT_STRING_EQUAL(bl.why[0], "CRC mismatch");
	ts_spit(lp, orig, len);
	free(orig);

	ts_free(s);
}

/*
 * The last block of the last segment, written only in part (a write in progress,
 * or one a crash cut short): readers and verify see the end of the log there,
 * exactly where recovery would cut. A flipped byte in the same block is damage.
 */
static void
test_slc_log_reader_next_unlanded_tail(void)
{
	struct ts *s = ts_create(0, 0);
	struct bad_log bl;
	const struct ts_blk *b;
	uint8_t zero[512] = { 0 };
	uint64_t blocks, records, sec, before;
	char lp[256];
	uint8_t *orig;
	size_t len;
	uint32_t i;
	int fd, rc;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < 5; i++)
		ts_block_dlen(s, 40, 100, false);        /* ~5.4 KB blocks */
	ts_close_seg(s);
	b = &s->blk[s->nblk - 1];
	before = s->seq - b->count;
	ts_path(s, b->seg, LOG_SEG_EXT, lp, sizeof(lp));
	orig = ts_slurp(lp, &len);

	/* (1) cut by the end of the file */
	CU_ASSERT_EQUAL(truncate(lp, (off_t)(b->off + b->len / 2)), 0);
	memset(&bl, 0, sizeof(bl));
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records), 0);
	CU_ASSERT_EQUAL(bl.n, 0);
	CU_ASSERT_EQUAL(blocks, s->nblk - 1);
	CU_ASSERT_EQUAL(records, before);
	CU_ASSERT_EQUAL(ts_read_all(s, &(struct slc_log_pos){ .type = SLC_LOG_POS_TRIM_HORIZON },
		0, &rc), before);
	CU_ASSERT_EQUAL(rc, 0);

	/* (2) a 512-byte sector inside the block not written yet */
	ts_spit(lp, orig, len);
	sec = SLC_ALIGN_UP(b->off + SLC_BLOCK_HDR_LEN, 512) + 512;
	CU_ASSERT_FATAL(sec + 512 <= b->off + b->len);
	fd = open(lp, O_WRONLY);
	CU_ASSERT(pwrite(fd, zero, sizeof(zero), (off_t)sec) == (ssize_t)sizeof(zero));
	close(fd);
	memset(&bl, 0, sizeof(bl));
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records), 0);
	CU_ASSERT_EQUAL(bl.n, 0);
	CU_ASSERT_EQUAL(records, before);
	{
		struct slc_log_reader *r = open_at(s, SLC_LOG_POS_TRIM_HORIZON, 0, 0);

		CU_ASSERT_FATAL(r != NULL);
		CU_ASSERT_EQUAL(ts_drain(s, r, 0, &rc), before);
		CU_ASSERT_EQUAL(rc, 0);
		/* the write lands: the same reader goes on with it */
		ts_spit(lp, orig, len);
		CU_ASSERT_EQUAL(ts_drain(s, r, before, &rc), b->count);
		CU_ASSERT_EQUAL(rc, 0);
		slc_log_reader_close(r);
	}

	/* (3) the same block fully written with one flipped byte: damage */
	ts_flip(lp, b->off + b->len - 100, 0x04);
	memset(&bl, 0, sizeof(bl));
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records), -EBADMSG);
	CU_ASSERT_EQUAL(bl.n, 1);
	CU_ASSERT_EQUAL(bl.off[0], b->off);
	CU_ASSERT_STRING_EQUAL(bl.why[0], "CRC mismatch");
	CU_ASSERT_EQUAL(ts_read_all(s, &(struct slc_log_pos){ .type = SLC_LOG_POS_TRIM_HORIZON },
		0, &rc), before);
	CU_ASSERT_EQUAL(rc, -EBADMSG);

	free(orig);
	ts_free(s);
}

static void
test_slc_log_verify_gap(void)
{
	struct ts *s = ts_create(0, 0);
	struct bad_log bl;
	uint64_t blocks, records;

	CU_ASSERT_FATAL(s != NULL);
	ts_block(s, 4);
	ts_block(s, 4);
	s->seq += 3;                 /* counters 8..10 never written */
	ts_block(s, 4);
	ts_block(s, 4);
	ts_close_seg(s);
	memset(&bl, 0, sizeof(bl));
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 0, log_bad, &bl, &blocks, &records), -EBADMSG);
	CU_ASSERT_EQUAL(bl.n, 1);
	CU_ASSERT_EQUAL(bl.off[0], s->blk[2].off);
	CU_ASSERT_STRING_EQUAL(bl.why[0], "first_seq 11 does not follow 7");
	CU_ASSERT_EQUAL(blocks, 3);
	CU_ASSERT_EQUAL(records, 12);
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 5, log_bad, &bl, &blocks, &records), -EINVAL);
	ts_free(s);
}

static void
test_slc_log_shard_info_exact(void)
{
	struct ts *s = three_segments(1000, 1024);
	struct slc_log_shard_info info;
	struct log_seg *segs;
	uint64_t bytes = 0;
	uint32_t n, i;
	char lp[256];
	uint8_t *before, *after;
	size_t lb, la;

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(log_segs_list(s->dir, &segs, &n), 0);
	for (i = 0; i < n; i++)
		bytes += segs[i].size;
	log_segs_free(segs, n);
	CU_ASSERT_EQUAL(slc_log_shard_info(&s->st, 0, &info), 0);
	CU_ASSERT_EQUAL(info.first_seq, 1000);
	CU_ASSERT_EQUAL(info.next_seq, s->seq);
	CU_ASSERT_EQUAL(info.records, s->seq - 1000);
	CU_ASSERT_EQUAL(info.bytes, bytes);
	CU_ASSERT_EQUAL(info.segments, 3);
	CU_ASSERT_EQUAL(info.first_time_ms, s->arrival[0]);
	CU_ASSERT_EQUAL(info.last_time_ms, s->arrival[s->seq - 1 - 1000]);

	/* a torn tail: reported as the recovery would see it, files untouched */
	ts_path(s, s->seg, LOG_SEG_EXT, lp, sizeof(lp));
	ts_flip(lp, s->blk[s->nblk - 1].off + 70, 0x01);
	before = ts_slurp(lp, &lb);
	CU_ASSERT_EQUAL(slc_log_shard_info(&s->st, 0, &info), 0);
	after = ts_slurp(lp, &la);
	CU_ASSERT(lb == la && memcmp(before, after, lb) == 0);
	CU_ASSERT_EQUAL(info.next_seq, s->blk[s->nblk - 1].first_seq);
	CU_ASSERT_EQUAL(info.last_time_ms, s->arrival[s->blk[s->nblk - 1].first_seq - 1 - 1000]);
	free(before);
	free(after);

	/* the empty other shard */
	CU_ASSERT_EQUAL(slc_log_shard_info(&s->st, 1, &info), 0);
	CU_ASSERT(info.first_seq == 0 && info.next_seq == 0 && info.records == 0 &&
		info.segments == 0 && info.first_time_ms == -1 && info.last_time_ms == -1);
	CU_ASSERT_EQUAL(slc_log_shard_info(&s->st, 2, &info), -EINVAL);
	ts_free(s);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("log_reader", NULL, NULL);
	if (suite == NULL)
		goto fail;
	if (CU_add_test(suite, "slc_log_reader_next_trim_horizon",
			test_slc_log_reader_next_trim_horizon) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_seq_every_sparse",
			test_slc_log_reader_open_seq_every_sparse) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_seq_every_dense",
			test_slc_log_reader_open_seq_every_dense) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_seq_boundaries",
			test_slc_log_reader_open_seq_boundaries) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_before_trim_horizon",
			test_slc_log_reader_open_before_trim_horizon) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_latest",
			test_slc_log_reader_open_latest) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_past_end",
			test_slc_log_reader_open_past_end) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_at_time_dense",
			test_slc_log_reader_open_at_time_dense) == NULL ||
		CU_add_test(suite, "slc_log_reader_open_at_time_sparse",
			test_slc_log_reader_open_at_time_sparse) == NULL ||
		CU_add_test(suite, "slc_log_reader_next_compressed",
			test_slc_log_reader_next_compressed) == NULL ||
		CU_add_test(suite, "slc_log_reader_next_bad_block",
			test_slc_log_reader_next_bad_block) == NULL ||
		CU_add_test(suite, "slc_log_verify_one_report_per_flip",
			test_slc_log_verify_one_report_per_flip) == NULL ||
		CU_add_test(suite, "slc_log_verify_gap", test_slc_log_verify_gap) == NULL ||
		CU_add_test(suite, "slc_log_reader_next_unlanded_tail",
			test_slc_log_reader_next_unlanded_tail) == NULL ||
		CU_add_test(suite, "slc_log_shard_info_exact",
			test_slc_log_shard_info_exact) == NULL)
		goto fail;
	quiet();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	loud();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails == 0 ? 0 : 1;
fail:
	CU_cleanup_registry();
	return 1;
}
