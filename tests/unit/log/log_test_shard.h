/*
 * Test fixture for the file side of lib/log (test_recover.c, test_reader.c):
 * a stream handle built by hand on a fresh mkdtemp directory, and a tiny
 * synchronous "writer" that lays out segment and index files exactly as
 * docs/log-format.md says, with lib/block's builder and plain pwrite(), so these
 * tests do not depend on the real writer. It remembers every record and block it
 * wrote so tests can compute exact expectations.
 *
 * Record k (counter k) has key "key-<k>", data_len chosen by the test (default
 * 10 + k % 7 * 10 bytes) and data bytes (k * 31 + j) & 0xff.
 */
#ifndef LOG_TEST_SHARD_H
#define LOG_TEST_SHARD_H

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

#include "slc_block.h"
#include "slc_log.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "log_priv.h"
#include "../slc_test.h"

#define TS_MAX_RECS 20000
#define TS_MAX_BLKS 2000
#define TS_NSHARDS 2

struct ts_blk {
	uint64_t seg;            /* segment name */
	uint64_t off;
	uint64_t first_seq;
	uint32_t count;
	uint32_t span;
	uint32_t len;            /* 64 + stored_len */
	bool indexed;
	bool deflated;
};

struct ts {
	char root[64];
	struct slc_stream st;
	struct slc_shard_meta shards[TS_NSHARDS];
	char dir[128];           /* shard directory of the shard written */
	uint32_t shard;

	/* writer state */
	int fd, ifd;
	uint64_t seg;            /* current segment name */
	uint64_t off;            /* next block offset in it */
	uint64_t last_idx_off;
	bool seg_has_idx;
	uint64_t seq;            /* next counter */
	int64_t t;               /* next arrival */
	int64_t t_step;          /* arrival step per record */
	uint32_t idx_interval;   /* 0: index every block */
	bool compress;
	struct slc_block_zctx *z;
	uint8_t *buf;
	uint32_t buf_cap;

	/* what was written */
	uint64_t first_seq;
	uint32_t dlen[TS_MAX_RECS];
	int64_t arrival[TS_MAX_RECS];
	struct ts_blk blk[TS_MAX_BLKS];
	uint32_t nblk;
};

static inline uint32_t
ts_default_dlen(uint64_t k)
{
	return 10 + (uint32_t)(k % 7) * 10;
}

/* A fresh stream of TS_NSHARDS shards under /var/tmp; the writer writes `shard`. */
static struct ts *
ts_create(uint32_t shard, uint64_t starting_seq)
{
	char id[SLC_SHARD_ID_LEN + 1];
	struct ts *s;
	uint32_t i;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	snprintf(s->root, sizeof(s->root), "/var/tmp/slc-log-test-XXXXXX");
	if (mkdtemp(s->root) == NULL) {
		free(s);
		return NULL;
	}
	snprintf(s->st.name, sizeof(s->st.name), "test");
	s->st.dir = s->root;
	s->st.nshards = TS_NSHARDS;
	s->st.shards = s->shards;
	s->st.settings.max_record = SLC_STREAM_MAX_RECORD_DEFAULT;
	for (i = 0; i < TS_NSHARDS; i++) {
		s->shards[i].index = i;
		s->shards[i].parent = SLC_SHARD_NONE;
		s->shards[i].adjacent_parent = SLC_SHARD_NONE;
		s->shards[i].ending_seq = UINT64_MAX;
		s->shards[i].starting_seq = i == shard ? starting_seq : 0;
		slc_shard_id_format(i, id);
		snprintf(s->dir, sizeof(s->dir), "%s/%s", s->root, id);
		if (mkdir(s->dir, 0755) != 0)
			abort();
	}
	slc_shard_id_format(shard, id);
	snprintf(s->dir, sizeof(s->dir), "%s/%s", s->root, id);
	s->shard = shard;
	s->fd = -1;
	s->ifd = -1;
	s->seq = starting_seq;
	s->first_seq = starting_seq;
	s->t = 1700000000000LL;
	s->t_step = 1;
	s->idx_interval = 2048;
	s->buf_cap = 4u << 20;
	s->buf = calloc(1, s->buf_cap);
	return s;
}

static void
ts_close_seg(struct ts *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->ifd >= 0)
		close(s->ifd);
	s->fd = -1;
	s->ifd = -1;
}

static void
ts_free(struct ts *s)
{
	ts_close_seg(s);
	slc_test_rm_rf(s->root);
	slc_block_zctx_free(s->z);
	free(s->buf);
	free(s);
}

static void
ts_path(const struct ts *s, uint64_t seg, const char *ext, char *buf, size_t len)
{
	log_seg_path(buf, len, s->dir, seg, ext);
}

/* Start a new segment named after the next counter (a roll). */
static void
ts_roll(struct ts *s)
{
	char p[256];

	ts_close_seg(s);
	s->seg = s->seq;
	s->off = 0;
	s->seg_has_idx = false;
	ts_path(s, s->seg, LOG_SEG_EXT, p, sizeof(p));
	s->fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ts_path(s, s->seg, LOG_IDX_EXT, p, sizeof(p));
	s->ifd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (s->fd < 0 || s->ifd < 0)
		abort();
}

static void
ts_fill_data(uint8_t *d, uint64_t k, uint32_t len)
{
	uint32_t j;

	for (j = 0; j < len; j++)
		d[j] = (uint8_t)(k * 31 + j);
}

/*
 * Append one block of n records (data_len dlen each, 0 = default rule), padded
 * to the next page if pad. Returns the block's number in s->blk.
 */
static uint32_t
ts_block_dlen(struct ts *s, uint32_t n, uint32_t dlen, bool pad)
{
	static uint8_t data[1 << 20];
	struct slc_block_builder b;
	struct slc_record r;
	struct log_idx_entry e;
	struct ts_blk *bk;
	char key[32];
	uint32_t i, span, hlen;
	uint64_t end;
	struct slc_block_hdr h;

	if (s->fd < 0)
		ts_roll(s);
	if (s->compress && s->z == NULL)
		s->z = slc_block_zctx_create(1 << 20);
	slc_block_begin(&b, s->buf, s->buf_cap, s->shard);
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(key, sizeof(key), "key-%" PRIu64, s->seq);
		r.key = key;
		r.key_len = (uint16_t)strlen(key);
		r.data_len = dlen ? dlen : ts_default_dlen(s->seq);
		ts_fill_data(data, s->seq, r.data_len);
		r.data = data;
		r.seq = s->seq;
		r.arrival_ms = s->t;
		if (slc_block_add(&b, &r) != 0)
			abort();
		s->dlen[s->seq - s->first_seq] = r.data_len;
		s->arrival[s->seq - s->first_seq] = s->t;
		s->seq++;
		s->t += s->t_step;
	}
	span = slc_block_seal(&b, s->compress ? s->z : NULL, s->off, pad);
	memcpy(&h, s->buf, sizeof(h));
	hlen = SLC_BLOCK_HDR_LEN + h.stored_len;
	if (pwrite(s->fd, s->buf, span, (off_t)s->off) != (ssize_t)span)
		abort();
	bk = &s->blk[s->nblk];
	bk->seg = s->seg;
	bk->off = s->off;
	bk->first_seq = h.first_seq;
	bk->count = n;
	bk->span = span;
	bk->len = hlen;
	bk->deflated = (h.flags & SLC_BLOCK_F_DEFLATE) != 0;
	bk->indexed = !s->seg_has_idx || s->idx_interval == 0 ||
		s->off >= s->last_idx_off + s->idx_interval;
	if (bk->indexed) {
		log_idx_entry_encode(&e, s->off, h.first_seq, h.first_time_ms);
		if (write(s->ifd, &e, sizeof(e)) != (ssize_t)sizeof(e))
			abort();
		s->seg_has_idx = true;
		s->last_idx_off = s->off;
	}
	s->off += span;
	/* The file ends with zeros up to the end of its last page. */
	end = SLC_ALIGN_UP(s->off, (uint64_t)SLC_PAGE_SIZE);
	if (ftruncate(s->fd, (off_t)end) != 0)
		abort();
	return s->nblk++;
}

static uint32_t
ts_block(struct ts *s, uint32_t n)
{
	return ts_block_dlen(s, n, 0, false);
}

/* Check that rec is record k as the fixture wrote it. */
static bool
ts_rec_ok(const struct ts *s, const struct slc_record *rec, uint64_t k)
{
	static uint8_t data[1 << 20];
	char key[32];

	snprintf(key, sizeof(key), "key-%" PRIu64, k);
	if (rec->seq != k || rec->key_len != strlen(key) || memcmp(rec->key, key, rec->key_len))
		return false;
	if (rec->data_len != s->dlen[k - s->first_seq] || rec->arrival_ms != s->arrival[k - s->first_seq])
		return false;
	ts_fill_data(data, k, rec->data_len);
	return memcmp(rec->data, data, rec->data_len) == 0;
}

/*
 * Read from reader r until next() returns <= 0; check each record is the next
 * counter from `from` and intact. Returns the count, *last_rc the final code.
 */
static uint64_t
ts_drain(const struct ts *s, struct slc_log_reader *r, uint64_t from, int *last_rc)
{
	struct slc_record rec;
	uint64_t n = 0;
	int rc;

	while ((rc = slc_log_reader_next(r, &rec)) == 1) {
		if (!ts_rec_ok(s, &rec, from + n)) {
			fprintf(stderr, "record %" PRIu64 " (seq %" PRIu64 ") not as written\n",
				from + n, rec.seq);
			*last_rc = -1000;
			return n;
		}
		n++;
	}
	*last_rc = rc;
	return n;
}

static uint64_t
ts_read_all(const struct ts *s, const struct slc_log_pos *pos, uint64_t from, int *last_rc)
{
	struct slc_log_reader *r;
	uint64_t n;

	r = slc_log_reader_open(&s->st, s->shard, pos);
	if (r == NULL) {
		*last_rc = -errno;
		return 0;
	}
	n = ts_drain(s, r, from, last_rc);
	slc_log_reader_close(r);
	return n;
}

/* Whole file into memory (malloc'ed), size in *len. */
static uint8_t *
ts_slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *p;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		*len = 0;
		return NULL;
	}
	if (fstat(fd, &sb) != 0)
		abort();
	*len = (size_t)sb.st_size;
	p = malloc(*len + 1);
	if (pread(fd, p, *len, 0) != (ssize_t)*len)
		abort();
	close(fd);
	return p;
}

static void
ts_spit(const char *path, const uint8_t *p, size_t len)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (len && pwrite(fd, p, len, 0) != (ssize_t)len))
		abort();
	close(fd);
}

/* XOR one byte of a file. */
static void
ts_flip(const char *path, uint64_t off, uint8_t mask)
{
	uint8_t c;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &c, 1, (off_t)off) != 1)
		abort();
	c ^= mask;
	if (pwrite(fd, &c, 1, (off_t)off) != 1)
		abort();
	close(fd);
}

static inline uint64_t
ts_file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
}

#endif /* LOG_TEST_SHARD_H */
