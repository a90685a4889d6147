/*
 * Unit tests of slc_log_recover() (lib/log/log_recover.c) and the index and
 * block helpers of log_index.c it stands on. Shards are laid out by hand
 * (log_test_shard.h) so these tests do not depend on the writer: torn tails at
 * every byte of the last block, zeroed, truncated or overwritten with garbage;
 * a flipped byte in the last block; bad index entries; an empty segment after a
 * roll; damage outside the tail, which recovery must not read.
 */
#include <stdio.h>

#include <rte_log.h>

#include "log_test_shard.h"

enum cut_mode {
	CUT_ZERO,      /* bytes from the cut on are zero (the write never landed) */
	CUT_TRUNC,     /* the file ends at the cut */
	CUT_GARBAGE,   /* bytes from the cut on are not what was written, and not zero */
};

static uint32_t
idx_entries(const char *path)
{
	uint64_t sz = ts_file_size(path);

	return sz == UINT64_MAX ? 0 : (uint32_t)(sz / sizeof(struct log_idx_entry));
}

static bool
zero_from(const char *path, uint64_t from)
{
	size_t len, i;
	uint8_t *p = ts_slurp(path, &len);
	bool ok = true;

	for (i = from; i < len; i++)
		if (p[i] != 0) {
			ok = false;
			break;
		}
	free(p);
	return ok;
}

/* ---- index entries, segments, blocks ---- */

static void
test_log_idx_entry_encode_crc(void)
{
	struct log_idx_entry e;
	uint8_t raw[32];

	log_idx_entry_encode(&e, 4096, 77, -5);
	CU_ASSERT(log_idx_entry_crc_ok(&e));
	memcpy(raw, &e, sizeof(raw));
	/* little-endian fields at the documented offsets */
	CU_ASSERT(raw[0] == 0x00 && raw[1] == 0x10 && raw[8] == 77 && raw[16] == 0xfb &&
		raw[23] == 0xff && raw[24] == 0 && raw[27] == 0);
	CU_ASSERT_EQUAL(slc_block_crc32c(raw, 28), (uint32_t)raw[28] | (uint32_t)raw[29] << 8 |
		(uint32_t)raw[30] << 16 | (uint32_t)raw[31] << 24);
	raw[9] ^= 1;
	memcpy(&e, raw, sizeof(e));
	CU_ASSERT(!log_idx_entry_crc_ok(&e));
}

static void
test_log_segs_list_order(void)
{
	struct ts *s = ts_create(0, 0);
	struct log_seg *segs;
	char p[256];
	uint32_t n;

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(log_segs_list(s->dir, &segs, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	ts_block(s, 3);
	ts_roll(s);
	ts_block(s, 3);
	ts_roll(s);
	/* names that are not segments are ignored */
	snprintf(p, sizeof(p), "%s/123.log", s->dir);
	ts_spit(p, (const uint8_t *)"x", 1);
	snprintf(p, sizeof(p), "%s/00000000000000000003.log.tmp", s->dir);
	ts_spit(p, (const uint8_t *)"x", 1);
	CU_ASSERT_EQUAL(log_segs_list(s->dir, &segs, &n), 0);
	CU_ASSERT_FATAL(n == 3);
	CU_ASSERT(segs[0].first_seq == 0 && segs[1].first_seq == 3 && segs[2].first_seq == 6);
	CU_ASSERT_EQUAL(segs[0].size, 4096);
	CU_ASSERT_EQUAL(segs[2].size, 0);
	snprintf(p, sizeof(p), "%s/00000000000000000003.idx", s->dir);
	CU_ASSERT_STRING_EQUAL(segs[1].idx_path, p);
	log_segs_free(segs, n);
	CU_ASSERT_EQUAL(log_segs_list("/nonexistent/dir", &segs, &n), -ENOENT);
	ts_free(s);
}

static void
test_log_read_block_classify(void)
{
	struct ts *s = ts_create(0, 0);
	struct log_rbuf rb = { NULL, 0 };
	struct slc_block_info bi;
	const uint8_t *blk;
	uint32_t b0, b1;
	uint8_t junk[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };

	CU_ASSERT_FATAL(s != NULL);
	b0 = ts_block(s, 4);
	/* a block far bigger than the first page read: the buffer must grow */
	b1 = ts_block_dlen(s, 2, 300000, false);
	CU_ASSERT_EQUAL(log_read_block(s->fd, 0, 1 << 20, &rb, &blk, &bi), 1);
	CU_ASSERT_EQUAL(bi.count, 4);
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->blk[b1].off, s->off, &rb, &blk, &bi), 1);
	CU_ASSERT(bi.count == 2 && bi.first_seq == 4 && bi.raw_len > 600000);
	CU_ASSERT(rb.cap >= s->blk[b1].len);
	/* end of data: zero header, end of file */
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->off, s->off + 4096, &rb, &blk, &bi), 0);
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->off, s->off, &rb, &blk, &bi), 0);
	/* fewer than 64 bytes left, all zero: end; not all zero: bad */
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->off, s->off + 40, &rb, &blk, &bi), 0);
	CU_ASSERT(pwrite(s->fd, junk, sizeof(junk), (off_t)s->off) == 8);
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->off, s->off + 8, &rb, &blk, &bi), -EBADMSG);
	/* never reads past fsize: a block cut by the given size is bad */
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->blk[b1].off, s->blk[b1].off + s->blk[b1].len - 1,
		&rb, &blk, &bi), -EBADMSG);
	CU_ASSERT_EQUAL(log_read_block(s->fd, s->blk[b0].off, 63, &rb, &blk, &bi), -EBADMSG);
	/* not a block start */
	CU_ASSERT_EQUAL(log_read_block(s->fd, 8, s->off, &rb, &blk, &bi), -EBADMSG);
	log_rbuf_fini(&rb);
	ts_free(s);
}

/* ---- recovery ---- */

static void
test_slc_log_recover_empty_shard(void)
{
	struct ts *s = ts_create(1, 500);
	struct slc_log_shard_info info;

	CU_ASSERT_FATAL(s != NULL);
	memset(&info, 0xff, sizeof(info));
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 1, &info), 0);
	CU_ASSERT_EQUAL(info.first_seq, 500);
	CU_ASSERT_EQUAL(info.next_seq, 500);
	CU_ASSERT_EQUAL(info.records, 0);
	CU_ASSERT_EQUAL(info.bytes, 0);
	CU_ASSERT_EQUAL(info.segments, 0);
	CU_ASSERT_EQUAL(info.first_time_ms, -1);
	CU_ASSERT_EQUAL(info.last_time_ms, -1);
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 2, &info), -EINVAL);
	CU_ASSERT_EQUAL(slc_log_recover(NULL, 0, &info), -EINVAL);
	ts_free(s);
}

static void
test_slc_log_recover_clean(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_shard_info info;
	char lp[256], ip[256];
	uint8_t *l0, *i0, *l1, *i1;
	size_t ll0, il0, ll1, il1;
	uint32_t i;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < 10; i++)
		ts_block(s, 5);
	ts_path(s, 0, LOG_SEG_EXT, lp, sizeof(lp));
	ts_path(s, 0, LOG_IDX_EXT, ip, sizeof(ip));
	l0 = ts_slurp(lp, &ll0);
	i0 = ts_slurp(ip, &il0);
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	CU_ASSERT_EQUAL(info.first_seq, 0);
	CU_ASSERT_EQUAL(info.next_seq, 50);
	CU_ASSERT_EQUAL(info.records, 50);
	CU_ASSERT_EQUAL(info.bytes, ll0);
	CU_ASSERT_EQUAL(info.segments, 1);
	CU_ASSERT_EQUAL(info.first_time_ms, s->arrival[0]);
	CU_ASSERT_EQUAL(info.last_time_ms, s->arrival[49]);
	/* nothing to cut: the files are untouched */
	l1 = ts_slurp(lp, &ll1);
	i1 = ts_slurp(ip, &il1);
	CU_ASSERT(ll0 == ll1 && memcmp(l0, l1, ll0) == 0);
	CU_ASSERT(il0 == il1 && il0 > 32 && memcmp(i0, i1, il0) == 0);
	free(l0);
	free(i0);
	free(l1);
	free(i1);
	ts_free(s);
}

/*
 * Lay out a shard whose last block is block `last` and tear it at every byte
 * with every mode. layout 0: every block indexed (the entry of the torn block
 * must go); 1: sparse index, last block not indexed; 2: the last block is the
 * only block of a new segment.
 */
static void
torn_layout(int layout)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_shard_info info;
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	char lp[256], ip[256];
	uint8_t *log0, *idx0, *log1, *idx1;
	size_t loglen, idxlen, len;
	uint64_t c, L, end, prev_end, want_next, want_cut, n, k;
	uint32_t i, last, want_idx, failures = 0;
	int mode, rc, lrc;
	bool intact;
	FILE *saved = rte_log_get_stream();

	CU_ASSERT_FATAL(s != NULL);
	s->idx_interval = layout == 0 ? 0 : 1500;
	for (i = 0; i < 7; i++)
		ts_block(s, 6);
	if (layout == 2)
		ts_roll(s);
	/* small last block, so that every cut is affordable */
	last = ts_block_dlen(s, 2, 4, false);
	CU_ASSERT_FATAL(s->blk[last].indexed == (layout != 1));
	CU_ASSERT_FATAL(layout != 1 || s->blk[last - 1].indexed == false);
	L = s->blk[last].off;
	end = L + s->blk[last].len;
	prev_end = s->blk[last].first_seq;
	ts_path(s, s->seg, LOG_SEG_EXT, lp, sizeof(lp));
	ts_path(s, s->seg, LOG_IDX_EXT, ip, sizeof(ip));
	ts_close_seg(s);
	log0 = ts_slurp(lp, &loglen);
	idx0 = ts_slurp(ip, &idxlen);

	/* Warnings are expected by the hundred here: keep them off the console. */
	rte_openlog_stream(fopen("/dev/null", "w"));
	for (mode = CUT_ZERO; mode <= CUT_GARBAGE; mode++) {
		for (c = L; c < end; c++) {
			log1 = malloc(loglen);
			memcpy(log1, log0, loglen);
			len = loglen;
			if (mode == CUT_ZERO)
				memset(log1 + c, 0, loglen - c);
			else if (mode == CUT_TRUNC)
				len = c;
			else
				for (k = c; k < loglen; k++)
					log1[k] = k < end ? log0[k] ^ 0x5a : (uint8_t)(k * 7 + 1) | 1;
			ts_spit(lp, log1, len);
			ts_spit(ip, idx0, idxlen);
			/* zeroing bytes that were zero already leaves the block whole */
			intact = mode == CUT_ZERO && memcmp(log1 + c, log0 + c, end - c) == 0;
			want_next = intact ? s->seq : prev_end;
			want_cut = intact ? L + s->blk[last].span : L;
			want_idx = 0;
			for (i = 0; i < s->nblk; i++)
				if (s->blk[i].seg == s->seg && s->blk[i].indexed &&
						s->blk[i].off < want_cut)
					want_idx++;
			free(log1);

			rc = slc_log_recover(&s->st, 0, &info);
			n = ts_read_all(s, &pos, 0, &lrc);
			if (rc != 0 || lrc != 0 || info.next_seq != want_next || info.records != want_next ||
					n != want_next || ts_file_size(lp) != len ||
					!zero_from(lp, want_cut) || idx_entries(ip) != want_idx ||
					ts_file_size(ip) % 32 != 0) {
				if (failures++ < 5)
					fprintf(stderr, "layout %d mode %d cut %" PRIu64 " (block %"
						PRIu64 "..%" PRIu64 "): rc %d next %" PRIu64
						" want %" PRIu64 ", read %" PRIu64 ", idx %u want %u\n",
						layout, mode, c, L, end, rc, info.next_seq, want_next,
						n, idx_entries(ip), want_idx);
			}
			/* and the bytes before the cut are untouched */
			log1 = ts_slurp(lp, &len);
			if (memcmp(log1, log0, L) != 0 && failures++ < 5)
				fprintf(stderr, "bytes before the cut changed\n");
			free(log1);
			idx1 = ts_slurp(ip, &len);
			if (len && memcmp(idx1, idx0, len) != 0 && failures++ < 5)
				fprintf(stderr, "index entries kept changed\n");
			free(idx1);
		}
	}
	fclose(rte_log_get_stream());
	rte_openlog_stream(saved);
	CU_ASSERT_EQUAL(failures, 0);
	free(log0);
	free(idx0);
	ts_free(s);
}

static void
test_slc_log_recover_torn_every_cut_indexed(void)
{
	torn_layout(0);
}

static void
test_slc_log_recover_torn_every_cut_sparse(void)
{
	torn_layout(1);
}

static void
test_slc_log_recover_torn_every_cut_new_segment(void)
{
	torn_layout(2);
}

/* A flipped byte anywhere in the last block cuts it, and the warning says so. */
static void
test_slc_log_recover_corrupt_last_block(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_shard_info info;
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	char lp[256], ip[256], want[512];
	uint8_t *log0, *idx0;
	size_t loglen, idxlen, mlen;
	uint64_t off, L, n;
	uint32_t last, failures = 0;
	char *msg = NULL;
	FILE *saved = rte_log_get_stream(), *mf;
	int rc, lrc;

	CU_ASSERT_FATAL(s != NULL);
	s->idx_interval = 0;
	ts_block(s, 5);
	ts_block(s, 5);
	last = ts_block(s, 5);
	L = s->blk[last].off;
	ts_path(s, 0, LOG_SEG_EXT, lp, sizeof(lp));
	ts_path(s, 0, LOG_IDX_EXT, ip, sizeof(ip));
	ts_close_seg(s);
	log0 = ts_slurp(lp, &loglen);
	idx0 = ts_slurp(ip, &idxlen);
	rte_openlog_stream(fopen("/dev/null", "w"));
	for (off = L; off < L + s->blk[last].len; off++) {
		ts_spit(lp, log0, loglen);
		ts_spit(ip, idx0, idxlen);
		ts_flip(lp, off, 0x10);
		rc = slc_log_recover(&s->st, 0, &info);
		n = ts_read_all(s, &pos, 0, &lrc);
		if ((rc != 0 || info.next_seq != 10 || n != 10 || lrc != 0 ||
				!zero_from(lp, L) || idx_entries(ip) != 2 ||
				ts_file_size(lp) != loglen) && failures++ < 5)
			fprintf(stderr, "flip at %" PRIu64 ": rc %d next %" PRIu64 " read %" PRIu64
				"\n", off, rc, info.next_seq, n);
	}
	fclose(rte_log_get_stream());
	CU_ASSERT_EQUAL(failures, 0);

	/* the warning names the file, the cut and the bytes discarded */
	ts_spit(lp, log0, loglen);
	ts_spit(ip, idx0, idxlen);
	ts_flip(lp, L + 70, 0x01);
	mf = open_memstream(&msg, &mlen);
	rte_openlog_stream(mf);
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	fflush(mf);
	rte_openlog_stream(saved);
	fclose(mf);
	snprintf(want, sizeof(want), "%s: torn or corrupt tail cut at offset %" PRIu64
		", discarding %" PRIu64 " bytes", lp, L, (uint64_t)loglen - L);
	CU_ASSERT_PTR_NOT_NULL(msg != NULL ? strstr(msg, want) : NULL);
	if (msg == NULL || strstr(msg, want) == NULL)
		fprintf(stderr, "log was: %s\nwanted: %s\n", msg ? msg : "", want);
	free(msg);
	free(log0);
	free(idx0);
	ts_free(s);
}

/* Bad entries at the end of the index: recovery falls back and cuts the index. */
static void
test_slc_log_recover_bad_index_tail(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_shard_info info;
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	struct log_idx_entry e;
	char lp[256], ip[256];
	uint8_t *log0, *idx0;
	size_t loglen, idxlen;
	uint32_t i;
	int fd, lrc, variant;

	CU_ASSERT_FATAL(s != NULL);
	s->idx_interval = 0;
	for (i = 0; i < 6; i++)
		ts_block(s, 4);
	ts_path(s, 0, LOG_SEG_EXT, lp, sizeof(lp));
	ts_path(s, 0, LOG_IDX_EXT, ip, sizeof(ip));
	ts_close_seg(s);
	log0 = ts_slurp(lp, &loglen);
	idx0 = ts_slurp(ip, &idxlen);
	CU_ASSERT_FATAL(idxlen == 6 * 32);
	rte_openlog_stream(fopen("/dev/null", "w"));
	for (variant = 0; variant < 5; variant++) {
		ts_spit(lp, log0, loglen);
		ts_spit(ip, idx0, idxlen);
		fd = open(ip, O_RDWR);
		CU_ASSERT_FATAL(fd >= 0);
		switch (variant) {
		case 0:     /* last entry's CRC fails */
			ts_flip(ip, 5 * 32 + 3, 0x80);
			break;
		case 1:     /* a torn partial entry after the last */
			CU_ASSERT(pwrite(fd, "0123456789", 10, 6 * 32) == 10);
			break;
		case 2:     /* a good-CRC entry pointing past the end of the log */
			log_idx_entry_encode(&e, 1 << 20, 24, s->arrival[23]);
			CU_ASSERT(pwrite(fd, &e, 32, 6 * 32) == 32);
			break;
		case 3:     /* a good-CRC entry naming the wrong first_seq */
			log_idx_entry_encode(&e, s->blk[5].off, 21, s->arrival[20]);
			CU_ASSERT(ftruncate(fd, 5 * 32) == 0);
			CU_ASSERT(pwrite(fd, &e, 32, 5 * 32) == 32);
			break;
		case 4:     /* a zero page after the entries (an index written in pages) */
			CU_ASSERT(ftruncate(fd, 4096) == 0);
			break;
		}
		close(fd);
		CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
		CU_ASSERT_EQUAL(info.next_seq, 24);
		CU_ASSERT_EQUAL(ts_read_all(s, &pos, 0, &lrc), 24);
		CU_ASSERT_EQUAL(lrc, 0);
		CU_ASSERT_EQUAL(ts_file_size(ip), (variant == 0 || variant == 3 ? 5 : 6) * 32);
		CU_ASSERT_EQUAL(ts_file_size(lp), loglen);
	}
	fclose(rte_log_get_stream());
	rte_openlog_stream(stderr);
	free(log0);
	free(idx0);
	ts_free(s);
}

/* A roll just before a crash leaves an empty last segment: its name is next_seq. */
static void
test_slc_log_recover_empty_segment_after_roll(void)
{
	struct ts *s = ts_create(0, 100);
	struct slc_log_shard_info info;
	char lp0[256], lp1[256];
	uint32_t i;
	int fd;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < 4; i++)
		ts_block(s, 3);
	ts_roll(s);              /* segment 112, nothing written */
	ts_path(s, 100, LOG_SEG_EXT, lp0, sizeof(lp0));
	ts_path(s, 112, LOG_SEG_EXT, lp1, sizeof(lp1));
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	CU_ASSERT_EQUAL(info.first_seq, 100);
	CU_ASSERT_EQUAL(info.next_seq, 112);
	CU_ASSERT_EQUAL(info.records, 12);
	CU_ASSERT_EQUAL(info.segments, 2);
	CU_ASSERT_EQUAL(info.bytes, ts_file_size(lp0));
	CU_ASSERT_EQUAL(info.first_time_ms, s->arrival[0]);
	CU_ASSERT_EQUAL(info.last_time_ms, s->arrival[11]);

	/* the same with a zero page in the new segment, and with a torn first block */
	fd = open(lp1, O_RDWR);
	CU_ASSERT(ftruncate(fd, 4096) == 0);
	close(fd);
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	CU_ASSERT_EQUAL(info.next_seq, 112);
	CU_ASSERT_EQUAL(info.bytes, ts_file_size(lp0) + 4096);
	ts_block(s, 3);
	ts_close_seg(s);
	ts_flip(lp1, 100, 0xff);
	rte_openlog_stream(fopen("/dev/null", "w"));
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	fclose(rte_log_get_stream());
	rte_openlog_stream(stderr);
	CU_ASSERT_EQUAL(info.next_seq, 112);
	CU_ASSERT_EQUAL(info.last_time_ms, s->arrival[11]);
	CU_ASSERT(zero_from(lp1, 0));
	CU_ASSERT_EQUAL(ts_file_size(lp1), 4096);
	ts_free(s);
}

static void
count_bad(void *arg, const char *path, uint64_t off, const char *why)
{
	uint64_t *v = arg;

	v[0]++;
	v[1] = off;
}

/* Recovery reads only the tail: damage in an earlier segment is verify's business. */
static void
test_slc_log_recover_reads_only_tail(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_shard_info info;
	char lp0[256], lp2[256];
	uint8_t *before, *after;
	size_t lb, la;
	uint64_t bad[2] = { 0, 0 }, blocks, records;
	uint32_t i, victim;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < 5; i++)
		ts_block(s, 4);
	victim = 2;
	ts_roll(s);
	for (i = 0; i < 5; i++)
		ts_block(s, 4);
	ts_roll(s);
	for (i = 0; i < 5; i++)
		ts_block(s, 4);
	ts_close_seg(s);
	ts_path(s, 0, LOG_SEG_EXT, lp0, sizeof(lp0));
	ts_path(s, 40, LOG_SEG_EXT, lp2, sizeof(lp2));
	ts_flip(lp0, s->blk[victim].off + 100, 0x04);
	before = ts_slurp(lp0, &lb);
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	CU_ASSERT_EQUAL(info.next_seq, 60);
	CU_ASSERT_EQUAL(info.first_seq, 0);
	CU_ASSERT_EQUAL(info.segments, 3);
	after = ts_slurp(lp0, &la);
	CU_ASSERT(lb == la && memcmp(before, after, lb) == 0);
	free(before);
	free(after);
	rte_openlog_stream(fopen("/dev/null", "w"));
	CU_ASSERT_EQUAL(slc_log_verify(&s->st, 0, count_bad, bad, &blocks, &records), -EBADMSG);
	fclose(rte_log_get_stream());
	rte_openlog_stream(stderr);
	CU_ASSERT_EQUAL(bad[0], 1);
	CU_ASSERT_EQUAL(bad[1], s->blk[victim].off);
	CU_ASSERT_EQUAL(blocks, 14);
	CU_ASSERT_EQUAL(records, 56);
	ts_free(s);
}

/* Bytes after the end that look like data (a stale page) are zeroed too. */
static void
test_slc_log_recover_stale_after_end(void)
{
	struct ts *s = ts_create(0, 0);
	struct slc_log_shard_info info;
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	char lp[256];
	uint8_t *copy;
	size_t len;
	uint32_t b;
	int lrc;

	CU_ASSERT_FATAL(s != NULL);
	ts_block_dlen(s, 3, 0, true);       /* ends at 4096 */
	b = ts_block(s, 3);                 /* at 4096 */
	ts_path(s, 0, LOG_SEG_EXT, lp, sizeof(lp));
	ts_close_seg(s);
	copy = ts_slurp(lp, &len);
	CU_ASSERT_FATAL(s->blk[b].off == 4096 && len == 8192);
	/* the second page holds an old block, the page before a zero end: keep
	 * 4096..8191 as garbage by removing the first block's span-chain link */
	memset(copy + 4096, 0, 64);
	ts_spit(lp, copy, len);
	rte_openlog_stream(fopen("/dev/null", "w"));
	CU_ASSERT_EQUAL(slc_log_recover(&s->st, 0, &info), 0);
	fclose(rte_log_get_stream());
	rte_openlog_stream(stderr);
	CU_ASSERT_EQUAL(info.next_seq, 3);
	CU_ASSERT(zero_from(lp, 4096));
	CU_ASSERT_EQUAL(ts_file_size(lp), 8192);
	CU_ASSERT_EQUAL(ts_read_all(s, &pos, 0, &lrc), 3);
	free(copy);
	ts_free(s);
}

int
main(void)
{
	CU_pSuite suite;
	unsigned int fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("log_recover", NULL, NULL);
	if (suite == NULL)
		goto fail;
	if (CU_add_test(suite, "log_idx_entry_encode_crc", test_log_idx_entry_encode_crc) == NULL ||
		CU_add_test(suite, "log_segs_list_order", test_log_segs_list_order) == NULL ||
		CU_add_test(suite, "log_read_block_classify", test_log_read_block_classify) == NULL ||
		CU_add_test(suite, "slc_log_recover_empty_shard",
			test_slc_log_recover_empty_shard) == NULL ||
		CU_add_test(suite, "slc_log_recover_clean", test_slc_log_recover_clean) == NULL ||
		CU_add_test(suite, "slc_log_recover_torn_every_cut_indexed",
			test_slc_log_recover_torn_every_cut_indexed) == NULL ||
		CU_add_test(suite, "slc_log_recover_torn_every_cut_sparse",
			test_slc_log_recover_torn_every_cut_sparse) == NULL ||
		CU_add_test(suite, "slc_log_recover_torn_every_cut_new_segment",
			test_slc_log_recover_torn_every_cut_new_segment) == NULL ||
		CU_add_test(suite, "slc_log_recover_corrupt_last_block",
			test_slc_log_recover_corrupt_last_block) == NULL ||
		CU_add_test(suite, "slc_log_recover_bad_index_tail",
			test_slc_log_recover_bad_index_tail) == NULL ||
		CU_add_test(suite, "slc_log_recover_empty_segment_after_roll",
			test_slc_log_recover_empty_segment_after_roll) == NULL ||
		CU_add_test(suite, "slc_log_recover_reads_only_tail",
			test_slc_log_recover_reads_only_tail) == NULL ||
		CU_add_test(suite, "slc_log_recover_stale_after_end",
			test_slc_log_recover_stale_after_end) == NULL)
		goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails == 0 ? 0 : 1;
fail:
	CU_cleanup_registry();
	return 1;
}
