/*
 * The file side of the shard log: segment names and listing, sparse index
 * entries, and reading and checking blocks from segment files
 * (docs/log-format.md, v1). Used by recovery (the writer's core, before it
 * appends), by readers and by verify (any thread or process, while a writer may
 * be appending to the same files).
 *
 * Reads use plain buffered pread(): the writer appends with O_DIRECT and the
 * kernel keeps the page cache coherent with direct writes, so a reader sees
 * either the old or the new bytes of a page, and the CRC tells a finished block
 * from one still being written. Nothing here reads past the file size the
 * caller passes, and block bytes are read into a growable buffer owned by the
 * caller (one per reader or recovery pass), so no state is shared.
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

#include <rte_byteorder.h>

#include "slc_fs.h"
#include "slc_mem.h"
#include "log_priv.h"

/* First read of a block: up to the end of the page holding its header. */
#define LOG_READ_FIRST SLC_PAGE_SIZE

/* ---- index entries ---- */

void
log_idx_entry_encode(struct log_idx_entry *e, uint64_t block_off, uint64_t first_seq,
	int64_t first_time_ms)
{
	e->block_off = rte_cpu_to_le_64(block_off);
	e->first_seq = rte_cpu_to_le_64(first_seq);
	e->first_time_ms = (int64_t)rte_cpu_to_le_64((uint64_t)first_time_ms);
	e->reserved = 0;
	e->crc = rte_cpu_to_le_32(slc_block_crc32c(e, offsetof(struct log_idx_entry, crc)));
}

bool
log_idx_entry_crc_ok(const struct log_idx_entry *e)
{
	return rte_le_to_cpu_32(e->crc) ==
		slc_block_crc32c(e, offsetof(struct log_idx_entry, crc));
}

int
log_idx_load(const char *idx_path, struct log_idx_entry **ents, uint32_t *n)
{
	struct log_idx_entry *e = NULL;
	struct stat sb;
	uint32_t cnt, i;
	size_t got;
	int fd, rc;

	*ents = NULL;
	*n = 0;
	fd = open(idx_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	/* A segment of at most 4 GiB of blocks has far fewer entries than this. */
	if ((uint64_t)sb.st_size / sizeof(*e) > UINT32_MAX) {
		rc = -EFBIG;
		goto out;
	}
	cnt = (uint32_t)((uint64_t)sb.st_size / sizeof(*e));
	rc = 0;
	if (cnt == 0)
		goto out;
	e = slc_malloc((size_t)cnt * sizeof(*e));
	if (e == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = slc_fs_pread_full(fd, e, (size_t)cnt * sizeof(*e), 0, &got);
	if (rc < 0)
		goto out;
	cnt = (uint32_t)(got / sizeof(*e));
	/* The usable index ends at the first bad CRC or out-of-order entry. */
	for (i = 0; i < cnt; i++) {
		if (!log_idx_entry_crc_ok(&e[i]))
			break;
		e[i].block_off = rte_le_to_cpu_64(e[i].block_off);
		e[i].first_seq = rte_le_to_cpu_64(e[i].first_seq);
		e[i].first_time_ms = (int64_t)rte_le_to_cpu_64((uint64_t)e[i].first_time_ms);
		if (e[i].block_off % SLC_BLOCK_ALIGN != 0)
			break;
		if (i > 0 && (e[i].block_off <= e[i - 1].block_off ||
				e[i].first_seq <= e[i - 1].first_seq ||
				e[i].first_time_ms < e[i - 1].first_time_ms))
			break;
	}
	if (i > 0) {
		*ents = e;
		*n = i;
		e = NULL;
	}
out:
	slc_free(e);
	close(fd);
	return rc;
}

/* ---- segments ---- */

int
log_seg_path(char *buf, size_t len, const char *shard_dir, uint64_t first_seq, const char *ext)
{
	return snprintf(buf, len, "%s/%0*" PRIu64 "%s", shard_dir, LOG_SEG_NAME_DIGITS, first_seq,
		ext);
}

bool
log_seg_name_parse(const char *name, const char *ext, uint64_t *first_seq)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < LOG_SEG_NAME_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(name[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (strcmp(name + LOG_SEG_NAME_DIGITS, ext) != 0)
		return false;
	*first_seq = v;
	return true;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct log_seg *x = a, *y = b;

	return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

static char *
path_dup(const char *dir, uint64_t first_seq, const char *ext)
{
	char *p;
	int len;

	len = log_seg_path(NULL, 0, dir, first_seq, ext);
	p = slc_malloc((size_t)len + 1);
	if (p != NULL)
		log_seg_path(p, (size_t)len + 1, dir, first_seq, ext);
	return p;
}

int
log_segs_list(const char *shard_dir, struct log_seg **segs, uint32_t *n)
{
	struct log_seg *v = NULL, *nv;
	uint32_t cnt = 0, cap = 0;
	struct dirent *de;
	struct stat sb;
	uint64_t fs;
	DIR *d;
	int rc = 0;

	*segs = NULL;
	*n = 0;
	d = opendir(shard_dir);
	if (d == NULL)
		return -errno;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			rc = -errno;
			break;
		}
		if (!log_seg_name_parse(de->d_name, LOG_SEG_EXT, &fs))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, 0) < 0) {
			if (errno == ENOENT)      /* removed by retention meanwhile */
				continue;
			rc = -errno;
			break;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = slc_realloc(v, (size_t)cap * sizeof(*v));
			if (nv == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[cnt].first_seq = fs;
		v[cnt].size = (uint64_t)sb.st_size;
		v[cnt].log_path = path_dup(shard_dir, fs, LOG_SEG_EXT);
		v[cnt].idx_path = path_dup(shard_dir, fs, LOG_IDX_EXT);
		cnt++;
		if (v[cnt - 1].log_path == NULL || v[cnt - 1].idx_path == NULL) {
			rc = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (rc < 0) {
		log_segs_free(v, cnt);
		return rc;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), seg_cmp);
	*segs = v;
	*n = cnt;
	return 0;
}

void
log_segs_free(struct log_seg *segs, uint32_t n)
{
	uint32_t i;

	if (segs == NULL)
		return;
	for (i = 0; i < n; i++) {
		slc_free(segs[i].log_path);
		slc_free(segs[i].idx_path);
	}
	slc_free(segs);
}

/* ---- reading blocks from a file ---- */

void
log_rbuf_fini(struct log_rbuf *b)
{
	slc_free(b->p);
	b->p = NULL;
	b->cap = 0;
}

static int
rbuf_reserve(struct log_rbuf *b, size_t need)
{
	size_t cap;
	uint8_t *p;

	if (b->cap >= need)
		return 0;
	cap = b->cap ? b->cap : 2 * LOG_READ_FIRST;
	while (cap < need)
		cap *= 2;
	/* Contents need not survive: callers re-read after growing. */
	p = slc_malloc(cap);
	if (p == NULL)
		return -ENOMEM;
	slc_free(b->p);
	b->p = p;
	b->cap = cap;
	return 0;
}

static bool
all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int
log_read_block(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb,
	const uint8_t **blk, struct slc_block_info *bi)
{
	const struct slc_block_hdr *h;
	uint64_t avail, first, need;
	size_t got;
	int rc;

	if (off >= fsize)
		return 0;
	avail = fsize - off;
	/* Up to the end of the page of the header: one read for most small blocks. */
	first = SLC_ALIGN_UP(off + SLC_BLOCK_HDR_LEN, (uint64_t)LOG_READ_FIRST) - off;
	if (first > avail)
		first = avail;
	rc = rbuf_reserve(rb, (size_t)first);
	if (rc < 0)
		return rc;
	rc = slc_fs_pread_full(fd, rb->p, (size_t)first, off, &got);
	if (rc < 0)
		return rc;
	if (got < first) {
		/* The file shrank under us: judge what is there. */
		first = got;
		avail = got;
	}
	if (first < SLC_BLOCK_HDR_LEN)
		return all_zero(rb->p, (size_t)first) ? 0 : -EBADMSG;
	rc = slc_block_check(rb->p, (size_t)first, bi);
	if (rc != -ENODATA)
		goto done;
	/* A sane header whose payload goes on past the first read. */
	h = (const struct slc_block_hdr *)rb->p;
	need = SLC_BLOCK_HDR_LEN + (uint64_t)rte_le_to_cpu_32(h->stored_len);
	if (need > avail)
		return -EBADMSG;          /* cut by the end of the file */
	rc = rbuf_reserve(rb, (size_t)need);
	if (rc < 0)
		return rc;
	rc = slc_fs_pread_full(fd, rb->p, (size_t)need, off, &got);
	if (rc < 0)
		return rc;
	if (got < need)
		return -EBADMSG;
	rc = slc_block_check(rb->p, (size_t)need, bi);
	if (rc == -ENODATA)
		rc = -EBADMSG;
done:
	if (rc == 1)
		*blk = rb->p;
	return rc;
}

void
log_block_why(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb, char *why, size_t len)
{
	struct slc_block_hdr h;
	uint64_t avail = off < fsize ? fsize - off : 0;
	uint32_t stored, raw, span, flags;
	size_t got = 0;

	if (avail < SLC_BLOCK_HDR_LEN) {
		snprintf(why, len, "truncated header: %" PRIu64 " bytes before end of file", avail);
		return;
	}
	if (slc_fs_pread_full(fd, &h, sizeof(h), off, &got) < 0 || got < sizeof(h)) {
		snprintf(why, len, "header cannot be read");
		return;
	}
	stored = rte_le_to_cpu_32(h.stored_len);
	raw = rte_le_to_cpu_32(h.raw_len);
	span = rte_le_to_cpu_32(h.span);
	flags = rte_le_to_cpu_32(h.flags);
	if (rte_le_to_cpu_32(h.magic) != SLC_BLOCK_MAGIC)
		snprintf(why, len, "bad magic 0x%08x", rte_le_to_cpu_32(h.magic));
	else if (rte_le_to_cpu_16(h.version) != SLC_BLOCK_VERSION)
		snprintf(why, len, "unknown version %u", rte_le_to_cpu_16(h.version));
	else if (rte_le_to_cpu_16(h.hdr_len) != SLC_BLOCK_HDR_LEN)
		snprintf(why, len, "bad header length %u", rte_le_to_cpu_16(h.hdr_len));
	else if ((flags & ~SLC_BLOCK_F_DEFLATE) != 0)
		snprintf(why, len, "unknown flags 0x%x", flags);
	else if (rte_le_to_cpu_32(h.count) == 0)
		snprintf(why, len, "record count 0");
	else if (raw > SLC_BLOCK_PAYLOAD_MAX)
		snprintf(why, len, "raw_len %u above 64 MiB", raw);
	else if ((flags & SLC_BLOCK_F_DEFLATE) ? stored > raw : stored != raw)
		snprintf(why, len, "stored_len %u does not fit raw_len %u", stored, raw);
	else if (span % SLC_BLOCK_ALIGN != 0 || (uint64_t)span < SLC_BLOCK_HDR_LEN + (uint64_t)stored)
		snprintf(why, len, "bad span %u for stored_len %u", span, stored);
	else if (SLC_BLOCK_HDR_LEN + (uint64_t)stored > avail)
		snprintf(why, len, "block of %" PRIu64 " bytes extends beyond end of file (%" PRIu64
			" bytes left)", SLC_BLOCK_HDR_LEN + (uint64_t)stored, avail);
	else
		snprintf(why, len, "CRC mismatch");
}

/* Little-endian field readers for the record headers of a raw payload. */
static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int
log_payload_check(const uint8_t *payload, const struct slc_block_info *bi, char *why, size_t len)
{
	const uint8_t *p = payload, *end = payload + bi->raw_len;
	uint32_t i, key_len, data_len, seq_delta, time_delta, prev_delta = 0;
	uint16_t flags;
	uint64_t size;

	for (i = 0; i < bi->count; i++) {
		if ((size_t)(end - p) < SLC_REC_HDR_LEN) {
			snprintf(why, len, "record %u header beyond payload", i);
			return -EBADMSG;
		}
		flags = rd16(p);
		key_len = rd16(p + 2);
		data_len = rd32(p + 4);
		seq_delta = rd32(p + 8);
		time_delta = rd32(p + 12);
		if ((flags & ~SLC_REC_F_HASHKEY) != 0) {
			snprintf(why, len, "record %u unknown flags 0x%x", i, flags);
			return -EBADMSG;
		}
		if (key_len < 1 || key_len > 256) {
			snprintf(why, len, "record %u key length %u not 1..256", i, key_len);
			return -EBADMSG;
		}
		size = (uint64_t)SLC_REC_HDR_LEN + ((flags & SLC_REC_F_HASHKEY) ? 16u : 0u) +
			key_len + data_len;
		if (size > (uint64_t)(end - p)) {
			snprintf(why, len, "record %u length beyond payload", i);
			return -EBADMSG;
		}
		if (i == 0 && time_delta != 0) {
			snprintf(why, len, "record 0 time_delta %u, not 0", time_delta);
			return -EBADMSG;
		}
		if (seq_delta != i) {
			snprintf(why, len, "record %u has seq_delta %u", i, seq_delta);
			return -EBADMSG;
		}
		/* time_delta is unsigned on disk: >= 0 by construction. */
		if (i > 0 && time_delta < prev_delta) {
			snprintf(why, len, "record %u arrival goes back", i);
			return -EBADMSG;
		}
		prev_delta = time_delta;
		p += size;
	}
	if (p != end) {
		snprintf(why, len, "%zu bytes after record %u", (size_t)(end - p), bi->count - 1);
		return -EBADMSG;
	}
	if (bi->first_time_ms + (int64_t)prev_delta != bi->last_time_ms) {
		snprintf(why, len, "last record arrives at %" PRId64 ", header says %" PRId64,
			bi->first_time_ms + (int64_t)prev_delta, bi->last_time_ms);
		return -EBADMSG;
	}
	return 0;
}

int
log_idx_verified(int fd, uint64_t fsize, const struct log_idx_entry *ents, uint32_t n,
	struct log_rbuf *rb, uint32_t *good)
{
	struct slc_block_info bi;
	const uint8_t *blk;
	uint32_t k;
	int rc;

	*good = 0;
	for (k = n; k > 0; k--) {
		rc = log_read_block(fd, ents[k - 1].block_off, fsize, rb, &blk, &bi);
		if (rc < 0 && rc != -EBADMSG)
			return rc;
		if (rc == 1 && bi.first_seq == ents[k - 1].first_seq &&
				bi.first_time_ms == ents[k - 1].first_time_ms) {
			*good = k;
			return 0;
		}
	}
	return 0;
}

int
log_walk(int fd, uint64_t fsize, uint64_t from, struct log_rbuf *rb, uint64_t *end_off,
	uint64_t *next_seq, int64_t *last_time_ms, uint64_t *nblocks)
{
	struct slc_block_info bi;
	const uint8_t *blk;
	uint64_t off = from, expect = 0;
	bool first = true;
	int rc;

	*nblocks = 0;
	for (;;) {
		rc = log_read_block(fd, off, fsize, rb, &blk, &bi);
		if (rc != 1)
			break;
		/* Blocks of a segment continue each other's counters. */
		if (!first && bi.first_seq != expect) {
			rc = -EBADMSG;
			break;
		}
		first = false;
		expect = bi.first_seq + bi.count;
		*next_seq = expect;
		*last_time_ms = bi.last_time_ms;
		(*nblocks)++;
		off += bi.span;
	}
	*end_off = off;
	return rc;
}

/* ---- the tail of a segment ---- */

int
log_seg_tail(const struct log_seg *seg, int fd, uint64_t fsize, struct log_rbuf *rb,
	struct log_tail *t)
{
	struct log_idx_entry *ents = NULL;
	struct slc_block_info bi;
	const uint8_t *blk;
	uint32_t n = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	t->next_seq = seg->first_seq;
	t->last_time_ms = -1;
	rc = log_idx_load(seg->idx_path, &ents, &n);
	if (rc < 0)
		return rc;
	t->idx_loaded = n;
	rc = log_idx_verified(fd, fsize, ents, n, rb, &t->idx_good);
	if (rc < 0)
		goto out;
	if (t->idx_good > 0) {
		t->from = ents[t->idx_good - 1].block_off;
	} else {
		/* No usable entry: the first block must carry the segment's name. */
		rc = log_read_block(fd, 0, fsize, rb, &blk, &bi);
		if (rc < 0 && rc != -EBADMSG)
			goto out;
		if (rc == 0 || rc == -EBADMSG || bi.first_seq != seg->first_seq) {
			t->end_off = 0;
			t->bad = rc != 0;
			rc = 0;
			goto out;
		}
	}
	rc = log_walk(fd, fsize, t->from, rb, &t->end_off, &t->next_seq, &t->last_time_ms,
		&t->nblocks);
	if (rc == -EBADMSG)
		t->bad = true;
	if (rc == -EBADMSG || rc == 0)
		rc = 0;
out:
	slc_free(ents);
	return rc;
}

#define SECTOR 512u

bool
log_block_unlanded(int fd, uint64_t off, uint64_t fsize, struct log_rbuf *rb)
{
	struct slc_block_info bi;
	uint8_t hdr[SLC_BLOCK_HDR_LEN];
	uint64_t end, s;
	size_t got = 0;

	if (slc_fs_pread_full(fd, hdr, sizeof(hdr), off, &got) < 0 || got < sizeof(hdr))
		return false;
	/* With 64 bytes, a sane header always reports -ENODATA (count >= 1). */
	if (slc_block_check(hdr, sizeof(hdr), &bi) != -ENODATA)
		return false;
	end = off + SLC_BLOCK_HDR_LEN + rte_le_to_cpu_32(((struct slc_block_hdr *)hdr)->stored_len);
	if (end > fsize)
		return true;
	if (rbuf_reserve(rb, (size_t)(end - off)) < 0 ||
			slc_fs_pread_full(fd, rb->p, (size_t)(end - off), off, &got) < 0 || got < end - off)
		return false;
	for (s = SLC_ALIGN_UP(off + SLC_BLOCK_HDR_LEN, (uint64_t)SECTOR); s < end; s += SECTOR) {
		uint64_t e = s + SECTOR < end ? s + SECTOR : end;

		/* a short last piece counts only if it could not be a record's tail */
		if (e - s < SLC_REC_HDR_LEN)
			break;
		if (all_zero(rb->p + (s - off), (size_t)(e - s)))
			return true;
	}
	return false;
}
