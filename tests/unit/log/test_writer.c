/*
 * Unit tests of the log writer (lib/log/log_writer.c) and the io_uring store
 * (drivers/store/store_uring.c), on real files: every test works in a fresh
 * mkdtemp directory under /var/tmp with real O_DIRECT writes through io_uring,
 * and checks what reached the files by decoding them with lib/block directly
 * (following spans from offset 0), not through the log's readers.
 *
 * log_writer.c is included so that one case can feed the completion handler
 * out of order (SPDK's habit); everything else goes through the public API.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../../../lib/log/log_writer.c"
#include "../slc_test.h"

/* ---- fixtures ---- */

static char g_dir[256];

static void
dir_make(void)
{
	strcpy(g_dir, "/var/tmp/slc-test-writer-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(g_dir) != NULL);
}

static void
dir_remove(void)
{
	slc_test_rm_rf(g_dir);
}

static struct slc_stream *
stream_make(const char *name, uint32_t nshards, enum slc_compression comp,
	enum slc_durability dur, uint32_t max_record)
{
	struct slc_stream_settings set;
	struct slc_stream *st;

	slc_stream_settings_default(&set);
	set.compression = comp;
	set.durability = dur;
	set.max_record = max_record;
	st = slc_stream_create(g_dir, name, nshards, &set);
	CU_ASSERT_FATAL(st != NULL);
	return st;
}

static void
cfg_small(struct slc_log_cfg *cfg)
{
	slc_log_cfg_default(cfg);
	cfg->buf_size = 16384;
	cfg->block_max = 4096;
	cfg->nbufs = 8;
	cfg->queue_depth = 32;
	cfg->max_record = 1000;
	cfg->segment_size = 1 << 20;
	cfg->index_interval = 8192;
}

/* Durability callbacks, in the order they came. */
#define CB_MAX 100000
static struct {
	uint32_t shard;
	uint64_t seq;
} g_cb[CB_MAX];
static uint32_t g_ncb;

static void
durable_cb(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
	CU_ASSERT(arg == (void *)g_cb);
	if (g_ncb < CB_MAX) {
		g_cb[g_ncb].shard = slc_log_shard_index(sh);
		g_cb[g_ncb].seq = next_seq;
		g_ncb++;
	}
}

/* A fresh directory, a stream of n shards (no compression, 1000-byte records) and a
 * writer with cfg_small() reporting to durable_cb; the callback log is reset. */
static struct slc_log_writer *
writer_make(const char *name, uint32_t n, enum slc_durability dur, struct slc_stream **st)
{
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;

	dir_make();
	*st = stream_make(name, n, SLC_COMPRESSION_NONE, dur, 1000);
	cfg_small(&cfg);
	g_ncb = 0;
	w = slc_log_writer_create(&cfg, durable_cb, g_cb);
	CU_ASSERT_FATAL(w != NULL);
	return w;
}

/* Deterministic record i of shard s. */
static uint32_t
rec_len(uint32_t s, uint64_t i)
{
	return (uint32_t)((i * 37 + s * 11) % 300);
}

static void
rec_fill(uint32_t s, uint64_t i, char *key, uint8_t *data, struct slc_record *r)
{
	uint32_t j, n = rec_len(s, i);

	memset(r, 0, sizeof(*r));
	snprintf(key, 32, "key-%u-%" PRIu64, s, i);
	for (j = 0; j < n; j++)
		data[j] = (uint8_t)(i * 7 + j + s);
	r->key = key;
	r->key_len = (uint16_t)strlen(key);
	r->data = data;
	r->data_len = n;
	if (i % 5 == 0) {
		r->has_hash_key = true;
		memset(r->hash_key, (int)(i & 0xff), sizeof(r->hash_key));
	}
}

/* Append record i of shard sh; returns slc_log_append's result. */
static int
append_i(struct slc_log_shard *sh, uint64_t i, int64_t now_ms)
{
	char key[32];
	uint8_t data[512];
	struct slc_record r;
	int rc;

	rec_fill(slc_log_shard_index(sh), i, key, data, &r);
	rc = slc_log_append(sh, &r, now_ms);
	if (rc == 0)
		CU_ASSERT(r.seq == i);
	return rc;
}

/* Append, polling while the disk is behind (-ENOBUFS), as a poll loop would. */
static int
append_retry(struct slc_log_writer *w, struct slc_log_shard *sh, uint64_t i, int64_t now_ms,
	uint64_t now_us)
{
	int rc;

	while ((rc = append_i(sh, i, now_ms)) == -ENOBUFS)
		CU_ASSERT(slc_log_poll(w, now_us) >= 0);
	return rc;
}

/* ---- decoding the files ---- */

struct dblock {
	uint64_t off;
	uint32_t span;
	uint32_t stored_len;
	uint32_t flags;
	uint32_t count;
	uint64_t first_seq;
	int64_t first_time_ms;
};

struct decoded {
	uint32_t nsegs;
	uint64_t seg_first[64];
	uint64_t seg_size[64];
	uint64_t seg_end[64];     /* end of the last block */
	struct dblock blocks[4096];
	uint32_t nblocks;
	uint64_t nrecs;
	uint64_t next_seq;
	int64_t last_time;
	bool bad;                 /* something did not decode as expected */
};

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Decode every segment of shard `index` and compare each record with what
 * rec_fill() makes for its counter. Records must run contiguously from `from`.
 */
static void
decode_shard(const struct slc_stream *st, uint32_t index, uint64_t from, struct decoded *d)
{
	struct slc_block_zctx *z = slc_block_zctx_create(1 << 20);
	char *sdir = slc_stream_shard_dir(st, index);
	struct dirent *de;
	uint64_t seq = from;
	DIR *dh;
	uint32_t k;

	memset(d, 0, sizeof(*d));
	d->last_time = INT64_MIN;
	CU_ASSERT_FATAL(z != NULL && sdir != NULL);
	dh = opendir(sdir);
	CU_ASSERT_FATAL(dh != NULL);
	while ((de = readdir(dh)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l == 24 && strcmp(de->d_name + 20, ".log") == 0 && d->nsegs < 64)
			d->seg_first[d->nsegs++] = strtoull(de->d_name, NULL, 10);
	}
	closedir(dh);
	qsort(d->seg_first, d->nsegs, sizeof(uint64_t), u64_cmp);

	for (k = 0; k < d->nsegs; k++) {
		char path[512];
		struct stat sb;
		uint8_t *p;
		uint64_t off = 0, i;
		int fd;

		snprintf(path, sizeof(path), "%s/%020" PRIu64 ".log", sdir, d->seg_first[k]);
		fd = open(path, O_RDONLY);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_FATAL(fstat(fd, &sb) == 0);
		d->seg_size[k] = (uint64_t)sb.st_size;
		p = malloc(sb.st_size + 64);
		CU_ASSERT_FATAL(p != NULL);
		memset(p, 0, sb.st_size + 64);
		CU_ASSERT_FATAL(pread(fd, p, sb.st_size, 0) == sb.st_size);
		close(fd);
		/* A segment's name is the counter of its first record. */
		if (d->seg_first[k] != seq)
			d->bad = true;
		CU_ASSERT(d->seg_first[k] == seq);
		while (off + SLC_BLOCK_HDR_LEN <= (uint64_t)sb.st_size) {
			struct slc_block_info bi;
			struct slc_block_iter it;
			const uint8_t *pl;
			struct slc_record r;
			int rc = slc_block_check(p + off, sb.st_size - off, &bi);

			if (rc == 0)
				break;
			CU_ASSERT_FATAL(rc == 1);
			CU_ASSERT_FATAL(slc_block_payload(p + off, &bi, z, &pl) == 0);
			CU_ASSERT(bi.shard == index);
			CU_ASSERT(bi.first_seq == seq);
			if (d->nblocks < 4096) {
				struct dblock *b = &d->blocks[d->nblocks++];

				b->off = off;
				b->span = bi.span;
				b->stored_len = bi.stored_len;
				b->flags = bi.flags;
				b->count = bi.count;
				b->first_seq = bi.first_seq;
				b->first_time_ms = bi.first_time_ms;
			}
			slc_block_iter_init(&it, pl, &bi);
			while ((rc = slc_block_iter_next(&it, &r)) == 1) {
				char key[32];
				uint8_t data[512];
				struct slc_record want;

				rec_fill(index, seq, key, data, &want);
				if (r.seq != seq || r.key_len != want.key_len ||
						memcmp(r.key, key, r.key_len) != 0 ||
						r.data_len != want.data_len ||
						memcmp(r.data, data, r.data_len) != 0 ||
						r.has_hash_key != want.has_hash_key ||
						(r.has_hash_key && memcmp(r.hash_key, want.hash_key, 16)) ||
						r.arrival_ms < d->last_time)
					d->bad = true;
				d->last_time = r.arrival_ms;
				seq++;
				d->nrecs++;
			}
			CU_ASSERT(rc == 0);
			off += bi.span;
		}
		d->seg_end[k] = off;
		/* Nothing but zeros after the last block. */
		for (i = off; i < (uint64_t)sb.st_size; i++) {
			if (p[i] != 0) {
				d->bad = true;
				break;
			}
		}
		free(p);
	}
	d->next_seq = seq;
	CU_ASSERT(!d->bad);
	slc_free(sdir);
	slc_block_zctx_free(z);
}

static bool
wait_durable(struct slc_log_writer *w, struct slc_log_shard *sh, uint64_t seq, uint64_t now_us)
{
	long i;

	for (i = 0; i < 2000000; i++) {
		if (slc_log_shard_durable_seq(sh) >= seq)
			return true;
		CU_ASSERT(slc_log_poll(w, now_us) >= 0);
		if (i > 1000)
			usleep(10);
	}
	return false;
}

/* ---- tests ---- */

static void
test_slc_log_append_decode_shards(void)
{
	struct slc_log_shard *sh[3];
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint64_t last[3] = { 0 };
	uint32_t s, i;

	w = writer_make("multi", 3, SLC_DURABILITY_DIRECT, &st);
	for (s = 0; s < 3; s++) {
		sh[s] = slc_log_shard_open(w, st, s);
		CU_ASSERT_FATAL(sh[s] != NULL);
		CU_ASSERT(slc_log_shard_next_seq(sh[s]) == 0);
	}
	for (i = 0; i < 3000; i++) {
		s = i % 3;
		CU_ASSERT(append_retry(w, sh[s], i / 3, 1700000000000 + i, i) == 0);
		if (i % 97 == 0)
			CU_ASSERT(slc_log_poll(w, i) >= 0);
	}
	CU_ASSERT(slc_log_sync(w) == 0);
	/* Watermarks per shard only grow, each callback moves one, and end at 1000. */
	for (i = 0; i < g_ncb; i++) {
		CU_ASSERT(g_cb[i].shard < 3);
		CU_ASSERT(g_cb[i].seq > last[g_cb[i].shard]);
		last[g_cb[i].shard] = g_cb[i].seq;
	}
	for (s = 0; s < 3; s++) {
		CU_ASSERT(last[s] == 1000);
		CU_ASSERT(slc_log_shard_durable_seq(sh[s]) == 1000);
		CU_ASSERT(slc_log_shard_next_seq(sh[s]) == 1000);
	}
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.records == 3000);
	slc_log_writer_free(w);
	for (s = 0; s < 3; s++) {
		decode_shard(st, s, 0, d);
		CU_ASSERT(d->nrecs == 1000);
		CU_ASSERT(d->next_seq == 1000);
		CU_ASSERT(d->nsegs == 1);
	}
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_log_poll_callbacks_exact(void)
{
	struct slc_log_shard *a, *b;
	struct slc_log_writer *w;
	struct slc_stream *st;
	uint32_t i;

	w = writer_make("cb", 2, SLC_DURABILITY_DIRECT, &st);
	a = slc_log_shard_open(w, st, 0);
	b = slc_log_shard_open(w, st, 1);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	for (i = 0; i < 10; i++)
		CU_ASSERT(append_i(a, i, 1000) == 0);
	for (i = 0; i < 5; i++)
		CU_ASSERT(append_i(b, i, 1000) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	CU_ASSERT_FATAL(g_ncb == 2);
	CU_ASSERT((g_cb[0].shard == 0 && g_cb[0].seq == 10 && g_cb[1].shard == 1 &&
		g_cb[1].seq == 5) || (g_cb[0].shard == 1 && g_cb[0].seq == 5 &&
		g_cb[1].shard == 0 && g_cb[1].seq == 10));
	for (i = 10; i < 13; i++)
		CU_ASSERT(append_i(a, i, 1000) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	CU_ASSERT_FATAL(g_ncb == 3);
	CU_ASSERT(g_cb[2].shard == 0 && g_cb[2].seq == 13);
	/* Nothing new: no callback. */
	CU_ASSERT(slc_log_sync(w) == 0);
	CU_ASSERT(slc_log_poll(w, 5000) == 0);
	CU_ASSERT(g_ncb == 3);
	slc_log_writer_free(w);
	slc_stream_close(st);
	dir_remove();
}

/* Completions that arrive out of order still move the watermark in append order. */
static void
test_shard_advance_out_of_order(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_store_cqe c;
	struct slc_stream *st;
	struct wreq *e1, *e2;
	uint32_t i;

	w = writer_make("order", 1, SLC_DURABILITY_DIRECT, &st);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	/* Two requests described but never handed to the ring: we play the kernel. */
	for (i = 0; i < 3; i++)
		CU_ASSERT(append_i(sh, i, 1) == 0);
	block_seal(sh, false);
	CU_ASSERT(describe(sh, false) == 0);
	CU_ASSERT_FATAL(sh->fifo_n == 1);
	e1 = fifo_at(sh, 0);
	e1->state = WR_INFLIGHT;
	for (i = 3; i < 7; i++)
		CU_ASSERT(append_i(sh, i, 1) == 0);
	block_seal(sh, false);
	CU_ASSERT(describe(sh, false) == 0);
	CU_ASSERT_FATAL(sh->fifo_n == 2);
	e2 = fifo_at(sh, 1);
	e2->state = WR_INFLIGHT;
	CU_ASSERT(e1->upto_seq == 3 && e2->upto_seq == 7);

	c.tag = (uint64_t)(uintptr_t)e2;
	c.res = (int32_t)e2->len;
	complete_one(w, &c);
	report(w);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 0);
	CU_ASSERT(g_ncb == 0);
	c.tag = (uint64_t)(uintptr_t)e1;
	c.res = (int32_t)e1->len;
	complete_one(w, &c);
	report(w);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 7);
	CU_ASSERT_FATAL(g_ncb == 1);
	CU_ASSERT(g_cb[0].seq == 7);
	CU_ASSERT(sh->fifo_n == 0);
	slc_log_writer_free(w);
	slc_stream_close(st);
	dir_remove();
}

/* A failed write fails its shard: later appends and sync return -EIO. */
static void
test_complete_one_write_error(void)
{
	struct slc_log_shard *sh, *other;
	struct slc_log_writer *w;
	struct slc_store_cqe c;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct wreq *e;
	uint32_t i;

	dir_make();
	st = stream_make("eio", 2, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	other = slc_log_shard_open(w, st, 1);
	CU_ASSERT_FATAL(sh != NULL && other != NULL);
	for (i = 0; i < 3; i++)
		CU_ASSERT(append_i(sh, i, 1) == 0);
	block_seal(sh, false);
	CU_ASSERT(describe(sh, false) == 0);
	e = fifo_at(sh, 0);
	e->state = WR_INFLIGHT;
	c.tag = (uint64_t)(uintptr_t)e;
	c.res = -EIO;
	complete_one(w, &c);
	CU_ASSERT(append_i(sh, 3, 1) == -EIO);
	CU_ASSERT(slc_log_shard_next_seq(sh) == 3);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 0);
	/* The other shard is not affected, but sync reports the failure. */
	CU_ASSERT(append_i(other, 0, 1) == 0);
	CU_ASSERT(slc_log_sync(w) == -EIO);
	CU_ASSERT(slc_log_shard_durable_seq(other) == 1);
	slc_log_writer_free(w);
	slc_stream_close(st);
	dir_remove();
}

/*
 * fsync durability: a completed write is not durable until an fdatasync that
 * started after it completes; one fdatasync covers every write completed before.
 */
static void
test_fsync_pass_group_commit(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_store_cqe c;
	struct slc_stream *st;
	struct wreq *e1, *e2;
	uint32_t i;

	w = writer_make("group", 1, SLC_DURABILITY_FSYNC, &st);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 2; i++)
		CU_ASSERT(append_i(sh, i, 1) == 0);
	block_seal(sh, false);
	CU_ASSERT(describe(sh, false) == 0);
	e1 = fifo_at(sh, 0);
	e1->state = WR_INFLIGHT;
	for (i = 2; i < 5; i++)
		CU_ASSERT(append_i(sh, i, 1) == 0);
	block_seal(sh, false);
	CU_ASSERT(describe(sh, false) == 0);
	e2 = fifo_at(sh, 1);
	e2->state = WR_INFLIGHT;
	c.tag = (uint64_t)(uintptr_t)e1;
	c.res = (int32_t)e1->len;
	complete_one(w, &c);
	c.tag = (uint64_t)(uintptr_t)e2;
	c.res = (int32_t)e2->len;
	complete_one(w, &c);
	report(w);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 0);
	CU_ASSERT(g_ncb == 0);
	/* The poll issues one fdatasync for both; its completion makes both durable. */
	CU_ASSERT(wait_durable(w, sh, 5, 0));
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.fsyncs == 1);
	CU_ASSERT_FATAL(g_ncb == 1);
	CU_ASSERT(g_cb[0].seq == 5);
	slc_log_writer_free(w);
	slc_stream_close(st);
	dir_remove();
}

/* No two requests of a segment that are in flight ever cover the same page. */
static void
check_no_overlap(struct slc_log_writer *w)
{
	uint32_t s, i, j;

	for (s = 0; s < w->nshards; s++) {
		struct slc_log_shard *sh = w->shards[s];

		for (i = 0; i < sh->fifo_n; i++) {
			struct wreq *a = fifo_at(sh, i);

			if (a->state != WR_INFLIGHT)
				continue;
			for (j = i + 1; j < sh->fifo_n; j++) {
				struct wreq *b = fifo_at(sh, j);

				if (b->state == WR_INFLIGHT && a->seg == b->seg)
					CU_ASSERT(a->file_off + a->len <= b->file_off ||
						b->file_off + b->len <= a->file_off);
			}
		}
	}
}

static void
test_shard_submit_no_page_overlap(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint32_t i;

	dir_make();
	st = stream_make("overlap", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.linger_us = 0;
	cfg.segment_size = 64 * 1024;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 3000; i++) {
		CU_ASSERT(append_retry(w, sh, i, 3, i) == 0);
		check_no_overlap(w);
		if (i % 3 == 0) {
			CU_ASSERT(slc_log_poll(w, i) >= 0);
			check_no_overlap(w);
		}
	}
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_stats(w, &stats);
	slc_log_writer_free(w);
	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 3000);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_log_poll_linger(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));

	dir_make();
	st = stream_make("linger", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.linger_us = 1000;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	CU_ASSERT(slc_log_poll(w, 10000) == 0);
	CU_ASSERT(append_i(sh, 0, 5) == 0);
	CU_ASSERT(slc_log_poll(w, 10500) == 0);
	CU_ASSERT(slc_log_poll(w, 10999) == 0);
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.blocks == 0);
	CU_ASSERT(slc_store_inflight(w->store) == 0);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 0);
	/* Linger reached: sealed and written without a flush. */
	CU_ASSERT(slc_log_poll(w, 11000) >= 0);
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.blocks == 1);
	CU_ASSERT(wait_durable(w, sh, 1, 11000));
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.writes == 1);
	CU_ASSERT(stats.write_bytes == 4096);
	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 1);
	slc_log_writer_free(w);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

/* Many small linger flushes pack their blocks; the tail page is rewritten. */
static void
test_slc_log_flush_tail_rewrite(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint64_t expect_end = 0, i;
	const uint64_t n = 200;

	dir_make();
	st = stream_make("tail", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.linger_us = 100;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < n; i++) {
		uint32_t rs = slc_block_record_size((uint16_t)snprintf(NULL, 0, "key-0-%" PRIu64, i),
			rec_len(0, i), i % 5 == 0);

		CU_ASSERT(slc_log_poll(w, i * 1000) >= 0);
		CU_ASSERT(append_i(sh, i, 1000 + (int64_t)i) == 0);
		CU_ASSERT(slc_log_poll(w, i * 1000 + 100) >= 0);
		CU_ASSERT(wait_durable(w, sh, i + 1, i * 1000 + 100));
		expect_end += SLC_ALIGN_UP(SLC_BLOCK_HDR_LEN + rs, 8u);
	}
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.blocks == n);
	CU_ASSERT(stats.writes == n);
	slc_log_writer_free(w);

	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == n);
	CU_ASSERT(d->nblocks == n);
	/* Packed: one block per flush, each right after the previous one. */
	CU_ASSERT(d->seg_end[0] == expect_end);
	CU_ASSERT(d->seg_size[0] == SLC_ALIGN_UP(expect_end, 4096u));
	CU_ASSERT(d->seg_size[0] < n * 4096 / 4);
	for (i = 1; i < d->nblocks; i++)
		CU_ASSERT(d->blocks[i].off == d->blocks[i - 1].off + d->blocks[i - 1].span);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

/* A buffer that fills pads its last block to the page; the next buffer starts there. */
static void
test_slc_log_append_full_buffer_pads(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint32_t i;

	dir_make();
	st = stream_make("pad", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.block_max = 1 << 20;      /* blocks end only when a buffer is full */
	cfg.nbufs = 16;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT(w->cfg.buf_size == 16384);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 500; i++)
		CU_ASSERT(append_i(sh, i, 7) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_free(w);

	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 500);
	CU_ASSERT_FATAL(d->nblocks >= 5);
	for (i = 0; i < d->nblocks; i++) {
		CU_ASSERT(d->blocks[i].off == (uint64_t)i * 16384);
		if (i + 1 < d->nblocks) {
			CU_ASSERT(d->blocks[i].span == 16384);
			/* Padded: no further record would have fit in the page-aligned rest. */
			CU_ASSERT(d->blocks[i].span > SLC_ALIGN_UP(64 + d->blocks[i].stored_len, 8u));
		} else {
			CU_ASSERT(d->blocks[i].span == SLC_ALIGN_UP(64 + d->blocks[i].stored_len, 8u));
		}
	}
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_log_append_segment_roll(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint32_t i, k;

	dir_make();
	st = stream_make("roll", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.segment_size = 48 * 1024;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 2000; i++) {
		CU_ASSERT(append_retry(w, sh, i, 7, i * 10000) == 0);
		if (i % 50 == 0)
			CU_ASSERT(slc_log_poll(w, i * 10000) >= 0);
	}
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_stats(w, &stats);
	slc_log_writer_free(w);

	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 2000);
	CU_ASSERT(d->nsegs >= 4);
	CU_ASSERT(stats.segments_rolled == d->nsegs - 1);
	for (k = 0; k < d->nsegs; k++)
		CU_ASSERT(d->seg_size[k] <= 48 * 1024);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_log_append_deflate(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint32_t i;

	dir_make();
	st = stream_make("zip", 1, SLC_COMPRESSION_DEFLATE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 600; i++)
		CU_ASSERT(append_retry(w, sh, i, 7, 0) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_stats(w, &stats);
	slc_log_writer_free(w);

	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 600);
	CU_ASSERT(stats.blocks == d->nblocks);
	CU_ASSERT(stats.blocks_deflated == d->nblocks);
	for (i = 0; i < d->nblocks; i++)
		CU_ASSERT(d->blocks[i].flags & SLC_BLOCK_F_DEFLATE);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_log_sync_fsync_mode(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint32_t i;

	w = writer_make("fs", 1, SLC_DURABILITY_FSYNC, &st);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 300; i++)
		CU_ASSERT(append_retry(w, sh, i, 7, 0) == 0);
	/* Through poll: durable only once an fdatasync completed. */
	CU_ASSERT(slc_log_flush(w) == 0);
	CU_ASSERT(wait_durable(w, sh, 300, 0));
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.fsyncs >= 1);
	CU_ASSERT(stats.writes >= 1);
	for (i = 300; i < 400; i++)
		CU_ASSERT(append_retry(w, sh, i, 7, 0) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 400);
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.fsyncs >= 2);
	CU_ASSERT_FATAL(g_ncb >= 2);
	CU_ASSERT(g_cb[g_ncb - 1].seq == 400);
	slc_log_writer_free(w);
	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 400);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_log_append_einval(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;
	struct slc_stream *st, *big;
	struct slc_record r;
	char key[300];
	static uint8_t data[2000];
	struct decoded *d = malloc(sizeof(*d));

	dir_make();
	st = stream_make("inval", 2, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	big = stream_make("big", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 5000);
	cfg_small(&cfg);
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	/* Stream allows bigger records than the writer was sized for. */
	CU_ASSERT(slc_log_shard_open(w, big, 0) == NULL && errno == EINVAL);
	CU_ASSERT(slc_log_shard_open(w, st, 2) == NULL && errno == EINVAL);
	st->shards[1].state = SLC_SHARD_CLOSED;
	CU_ASSERT(slc_log_shard_open(w, st, 1) == NULL && errno == EINVAL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	CU_ASSERT(slc_log_shard_open(w, st, 0) == NULL && errno == EEXIST);

	memset(key, 'k', sizeof(key));
	memset(&r, 0, sizeof(r));
	r.key = key;
	r.data = data;
	r.key_len = 0;
	CU_ASSERT(slc_log_append(sh, &r, 1) == -EINVAL);
	r.key_len = 257;
	CU_ASSERT(slc_log_append(sh, &r, 1) == -EINVAL);
	r.key_len = 256;
	r.data_len = 1001;
	CU_ASSERT(slc_log_append(sh, &r, 1) == -EINVAL);
	CU_ASSERT(slc_log_shard_next_seq(sh) == 0);
	/* Limits themselves are fine. */
	r.data_len = 1000;
	CU_ASSERT(slc_log_append(sh, &r, 1) == 0);
	CU_ASSERT(r.seq == 0);
	CU_ASSERT(append_i(sh, 1, 1) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == 2);
	slc_log_writer_free(w);
	slc_stream_close(st);
	slc_stream_close(big);
	dir_remove();
	free(d);
}

/* Clock going back: arrival times never decrease. */
static void
test_slc_log_append_arrival_monotonic(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct slc_record r;
	uint8_t data[4] = { 1, 2, 3, 4 };

	dir_make();
	st = stream_make("clock", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	memset(&r, 0, sizeof(r));
	r.key = "a";
	r.key_len = 1;
	r.data = data;
	r.data_len = 4;
	CU_ASSERT(slc_log_append(sh, &r, 5000) == 0);
	CU_ASSERT(r.arrival_ms == 5000);
	CU_ASSERT(slc_log_append(sh, &r, 4000) == 0);
	CU_ASSERT(r.arrival_ms == 5000 && r.seq == 1);
	CU_ASSERT(slc_log_append(sh, &r, 6000) == 0);
	CU_ASSERT(r.arrival_ms == 6000 && r.seq == 2);
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_free(w);
	slc_stream_close(st);
	dir_remove();
}

static void
test_slc_log_append_enobufs(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_stats stats;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint64_t i, accepted;
	int rc = 0;

	dir_make();
	st = stream_make("nobufs", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.nbufs = 2;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 100000; i++) {
		rc = append_i(sh, i, 9);
		if (rc != 0)
			break;
	}
	CU_ASSERT(rc == -ENOBUFS);
	accepted = i;
	CU_ASSERT(accepted > 10 && accepted < 250);
	CU_ASSERT(slc_log_shard_next_seq(sh) == accepted);
	/* Still refused without polling; nothing stored. */
	CU_ASSERT(append_i(sh, accepted, 9) == -ENOBUFS);
	slc_log_writer_stats(w, &stats);
	CU_ASSERT(stats.enobufs == 2);
	CU_ASSERT(stats.records == accepted);
	CU_ASSERT(slc_log_sync(w) == 0);
	CU_ASSERT(slc_log_shard_durable_seq(sh) == accepted);
	/* The disk caught up: appends work again and continue the counter. */
	for (i = accepted; i < accepted + 20; i++)
		CU_ASSERT(append_i(sh, i, 9) == 0);
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_free(w);
	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == accepted + 20);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

/* Index entries: first block of each segment, then one per index_interval bytes. */
static void
test_slc_log_append_index_entries(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	struct log_idx_entry *ents = NULL;
	uint32_t i, n = 0, k = 0, b;
	uint64_t last_off = 0;
	char *sdir, path[512];

	dir_make();
	st = stream_make("idx", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.index_interval = 10000;
	w = slc_log_writer_create(&cfg, NULL, NULL);
	CU_ASSERT_FATAL(w != NULL);
	sh = slc_log_shard_open(w, st, 0);
	CU_ASSERT_FATAL(sh != NULL);
	for (i = 0; i < 1500; i++) {
		CU_ASSERT(append_retry(w, sh, i, 100 + i / 10, i * 10000) == 0);
		if (i % 40 == 0)
			CU_ASSERT(slc_log_poll(w, i * 10000) >= 0);
	}
	CU_ASSERT(slc_log_sync(w) == 0);
	slc_log_writer_free(w);
	decode_shard(st, 0, 0, d);
	CU_ASSERT_FATAL(d->nsegs == 1);
	sdir = slc_stream_shard_dir(st, 0);
	snprintf(path, sizeof(path), "%s/%020u.idx", sdir, 0);
	CU_ASSERT_FATAL(log_idx_load(path, &ents, &n) == 0);
	for (b = 0; b < d->nblocks; b++) {
		if (b > 0 && d->blocks[b].off < last_off + 10000)
			continue;
		CU_ASSERT_FATAL(k < n);
		CU_ASSERT(ents[k].block_off == d->blocks[b].off);
		CU_ASSERT(ents[k].first_seq == d->blocks[b].first_seq);
		CU_ASSERT(ents[k].first_time_ms == d->blocks[b].first_time_ms);
		CU_ASSERT(log_idx_entry_crc_ok(&ents[k]));
		last_off = d->blocks[b].off;
		k++;
	}
	CU_ASSERT(k == n);
	CU_ASSERT(n >= 5);
	slc_free(ents);
	slc_free(sdir);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

/* Closing and reopening continues the counter and the partly written page. */
static void
test_slc_log_shard_open_reopen(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct slc_record r;
	struct decoded *d = malloc(sizeof(*d));
	char key[32];
	uint8_t data[512];
	uint32_t i, round;

	dir_make();
	st = stream_make("reopen", 1, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	cfg_small(&cfg);
	cfg.segment_size = 64 * 1024;
	for (round = 0; round < 4; round++) {
		w = slc_log_writer_create(&cfg, NULL, NULL);
		CU_ASSERT_FATAL(w != NULL);
		sh = slc_log_shard_open(w, st, 0);
		CU_ASSERT_FATAL(sh != NULL);
		CU_ASSERT(slc_log_shard_next_seq(sh) == round * 137);
		CU_ASSERT(slc_log_shard_durable_seq(sh) == round * 137);
		/* The clock went back over the restart: arrival stays monotonic. */
		rec_fill(0, round * 137, key, data, &r);
		CU_ASSERT(slc_log_append(sh, &r, round == 0 ? 950 : 1000 + (round - 1) * 100) == 0);
		CU_ASSERT(r.seq == round * 137);
		if (round > 0)
			CU_ASSERT(r.arrival_ms == 1000 + (round - 1) * 100 + 136 / 10);
		for (i = 1; i < 137; i++) {
			CU_ASSERT(append_i(sh, round * 137 + i, 1000 + round * 100 + i / 10) == 0);
			if (i % 30 == 0)
				CU_ASSERT(slc_log_flush(w) == 0);
		}
		CU_ASSERT(slc_log_sync(w) == 0);
		slc_log_writer_free(w);
		if (round == 1) {
			/* A torn write after the last good block: recovery cuts it. */
			char *sdir = slc_stream_shard_dir(st, 0), path[512];
			uint8_t junk[100];
			int fd;

			decode_shard(st, 0, 0, d);
			CU_ASSERT_FATAL(d->nsegs > 0);
			snprintf(path, sizeof(path), "%s/%020" PRIu64 ".log", sdir,
				d->seg_first[d->nsegs - 1]);
			memset(junk, 0xa5, sizeof(junk));
			fd = open(path, O_WRONLY);
			CU_ASSERT_FATAL(fd >= 0);
			CU_ASSERT(pwrite(fd, junk, sizeof(junk), d->seg_end[d->nsegs - 1]) == 100);
			close(fd);
			slc_free(sdir);
		}
	}
	decode_shard(st, 0, 0, d);
	CU_ASSERT(d->nrecs == 4 * 137);
	CU_ASSERT(d->nsegs >= 2);
	CU_ASSERT(d->next_seq == 4 * 137);
	slc_stream_close(st);
	dir_remove();
	free(d);
}

/* Page-cache writes (buffered_io) and buffers too large to register still work. */
static void
test_slc_log_sync_buffered_and_unregistered(void)
{
	struct slc_log_shard *sh;
	struct slc_log_writer *w;
	struct slc_log_cfg cfg;
	struct slc_stream *st;
	struct decoded *d = malloc(sizeof(*d));
	uint32_t i, round;

	dir_make();
	st = stream_make("modes", 2, SLC_COMPRESSION_NONE, SLC_DURABILITY_DIRECT, 1000);
	for (round = 0; round < 2; round++) {
		cfg_small(&cfg);
		if (round == 0) {
			cfg.buffered_io = true;
		} else {
			/* 16 MiB: beyond an unprivileged 8 MiB memlock limit (then unregistered). */
			cfg.nbufs = 4;
			cfg.buf_size = 4 << 20;
			cfg.segment_size = 64 << 20;
		}
		w = slc_log_writer_create(&cfg, NULL, NULL);
		CU_ASSERT_FATAL(w != NULL);
		sh = slc_log_shard_open(w, st, round);
		CU_ASSERT_FATAL(sh != NULL);
		for (i = 0; i < 500; i++)
			CU_ASSERT(append_retry(w, sh, i, 3, i) == 0);
		CU_ASSERT(slc_log_sync(w) == 0);
		slc_log_writer_free(w);
		decode_shard(st, round, 0, d);
		CU_ASSERT(d->nrecs == 500);
	}
	slc_stream_close(st);
	dir_remove();
	free(d);
}

static void
test_slc_store_probe_direct_ok(void)
{
	char why[256];

	dir_make();
	CU_ASSERT(slc_store_probe_direct(g_dir, why, sizeof(why)) == 0);
	CU_ASSERT(slc_store_probe_direct("/nonexistent-slc-dir", why, sizeof(why)) == -ENOENT);
	CU_ASSERT(strstr(why, "/nonexistent-slc-dir") != NULL);
	dir_remove();
}

static void
test_slc_log_writer_create_einval(void)
{
	struct slc_log_cfg cfg;

	cfg_small(&cfg);
	cfg.buf_size = 5000;
	CU_ASSERT(slc_log_writer_create(&cfg, NULL, NULL) == NULL && errno == EINVAL);
	cfg_small(&cfg);
	cfg.nbufs = 0;
	CU_ASSERT(slc_log_writer_create(&cfg, NULL, NULL) == NULL && errno == EINVAL);
	cfg_small(&cfg);
	cfg.segment_size = 8192;
	CU_ASSERT(slc_log_writer_create(&cfg, NULL, NULL) == NULL && errno == EINVAL);
	/* buf_size is raised to fit the largest record. */
	{
		struct slc_log_writer *w;

		cfg_small(&cfg);
		cfg.max_record = 100000;
		w = slc_log_writer_create(&cfg, NULL, NULL);
		CU_ASSERT_FATAL(w != NULL);
		CU_ASSERT(w->cfg.buf_size >= 100000 + 64 + 16 + 16 + 256 + 4096);
		CU_ASSERT(w->cfg.buf_size % 4096 == 0);
		slc_log_writer_free(w);
	}
}

int
main(void)
{
	CU_pSuite s;
	unsigned int fails;
	struct slc_store *probe;

	/* A kernel without io_uring (or with it disabled) cannot run these tests. */
	probe = slc_store_create(4, NULL, 0, 0);
	if (probe == NULL) {
		fprintf(stderr, "test_writer: io_uring is not available on this machine (%s); "
			"skipped\n", strerror(errno));
		return 77;
	}
	slc_store_free(probe);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("log_writer", NULL, NULL);
	CU_add_test(s, "test_slc_log_writer_create_einval", test_slc_log_writer_create_einval);
	CU_add_test(s, "test_slc_store_probe_direct_ok", test_slc_store_probe_direct_ok);
	CU_add_test(s, "test_slc_log_append_decode_shards", test_slc_log_append_decode_shards);
	CU_add_test(s, "test_slc_log_poll_callbacks_exact", test_slc_log_poll_callbacks_exact);
	CU_add_test(s, "test_shard_advance_out_of_order", test_shard_advance_out_of_order);
	CU_add_test(s, "test_complete_one_write_error", test_complete_one_write_error);
	CU_add_test(s, "test_fsync_pass_group_commit", test_fsync_pass_group_commit);
	CU_add_test(s, "test_shard_submit_no_page_overlap", test_shard_submit_no_page_overlap);
	CU_add_test(s, "test_slc_log_poll_linger", test_slc_log_poll_linger);
	CU_add_test(s, "test_slc_log_flush_tail_rewrite", test_slc_log_flush_tail_rewrite);
	CU_add_test(s, "test_slc_log_append_full_buffer_pads", test_slc_log_append_full_buffer_pads);
	CU_add_test(s, "test_slc_log_append_segment_roll", test_slc_log_append_segment_roll);
	CU_add_test(s, "test_slc_log_append_deflate", test_slc_log_append_deflate);
	CU_add_test(s, "test_slc_log_sync_fsync_mode", test_slc_log_sync_fsync_mode);
	CU_add_test(s, "test_slc_log_append_einval", test_slc_log_append_einval);
	CU_add_test(s, "test_slc_log_append_arrival_monotonic", test_slc_log_append_arrival_monotonic);
	CU_add_test(s, "test_slc_log_append_enobufs", test_slc_log_append_enobufs);
	CU_add_test(s, "test_slc_log_append_index_entries", test_slc_log_append_index_entries);
	CU_add_test(s, "test_slc_log_shard_open_reopen", test_slc_log_shard_open_reopen);
	CU_add_test(s, "test_slc_log_sync_buffered_and_unregistered",
		test_slc_log_sync_buffered_and_unregistered);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails == 0 ? 0 : 1;
}
