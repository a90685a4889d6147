/*
 * Recovery of a shard's log (docs/log-format.md, "Recovery"), and
 * slc_log_shard_info(), which computes the same figures without touching the
 * files.
 *
 * Only the tail of the last segment is read: from the last index entry that
 * points at a good block, spans are followed while blocks are good. The first
 * position that is not a good block ends the log. Recovery then zero-fills the
 * segment from there to its end (the file keeps its size, so the writer can
 * rewrite the partly written page in place) and truncates the index to the
 * entries before the cut, and fsyncs both. Damage earlier in the shard is not
 * looked for: readers and slc_log_verify() report it.
 *
 * slc_log_recover() runs on the core that is about to open the shard for
 * writing, before any writer owns it; slc_log_shard_info() may run in any process
 * while a writer appends (it then sees a consistent prefix of the log).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slc_mem.h"
#include "slc_stream.h"
#include "log_priv.h"

/* Bytes after the cut that recovery reads to tell a clean end from damage. */
#define RECOVER_PROBE (1u << 20)
#define RECOVER_ZERO_CHUNK (64u << 10)

/* ---- zero-filling the cut ---- */

/*
 * Are the bytes [off, fsize) zero, as far as a probe of RECOVER_PROBE bytes
 * sees? *more tells that bytes beyond the probe were not looked at.
 */
static int
tail_is_zero(int fd, uint64_t off, uint64_t fsize, bool *zero, bool *more)
{
	uint8_t *buf;
	uint64_t end, pos;
	size_t len, i;
	ssize_t n;
	int rc = 0;

	*zero = true;
	*more = fsize > off && fsize - off > RECOVER_PROBE;
	end = *more ? off + RECOVER_PROBE : fsize;
	buf = slc_malloc(RECOVER_ZERO_CHUNK);
	if (buf == NULL)
		return -ENOMEM;
	for (pos = off; pos < end && *zero; pos += (uint64_t)n) {
		len = end - pos < RECOVER_ZERO_CHUNK ? (size_t)(end - pos) : RECOVER_ZERO_CHUNK;
		n = pread(fd, buf, len, (off_t)pos);
		if (n < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != 0) {
				*zero = false;
				break;
			}
	}
	slc_free(buf);
	return rc;
}

static int
pwrite_zeros(int fd, uint64_t off, uint64_t end)
{
	uint8_t *zeros;
	size_t len;
	ssize_t n;
	int rc = 0;

	zeros = slc_calloc(1, RECOVER_ZERO_CHUNK);
	if (zeros == NULL)
		return -ENOMEM;
	while (off < end) {
		len = end - off < RECOVER_ZERO_CHUNK ? (size_t)(end - off) : RECOVER_ZERO_CHUNK;
		n = pwrite(fd, zeros, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (uint64_t)n;
	}
	slc_free(zeros);
	return rc;
}

/*
 * Zero [off, fsize) keeping the size: the partial page by writing zeros, whole
 * pages by FALLOC_FL_ZERO_RANGE where the file system has it (cheap also for a
 * large preallocated remainder), by writing zeros where it does not.
 */
static int
zero_fill(int fd, uint64_t off, uint64_t fsize)
{
	uint64_t page = SLC_ALIGN_UP(off, (uint64_t)SLC_PAGE_SIZE);
	int rc;

	if (page > fsize)
		page = fsize;
	rc = pwrite_zeros(fd, off, page);
	if (rc < 0 || page >= fsize)
		return rc;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)page,
			(off_t)(fsize - page)) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)
		return -errno;
	return pwrite_zeros(fd, page, fsize);
}

/* ---- the shard's figures ---- */

/* Arrival of the first record still stored: first block of the first segment that has one. */
static int
first_time(const struct log_seg *segs, uint32_t n, struct log_rbuf *rb, int64_t *t)
{
	struct slc_block_info bi;
	const uint8_t *blk;
	uint32_t i;
	int fd, rc;

	*t = -1;
	for (i = 0; i < n; i++) {
		fd = open(segs[i].log_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		rc = log_read_block(fd, 0, segs[i].size, rb, &blk, &bi);
		close(fd);
		if (rc < 0 && rc != -EBADMSG)
			return rc;
		if (rc == 1) {
			*t = bi.first_time_ms;
			return 0;
		}
	}
	return 0;
}

/* Tail of segment seg, read-only, opened here. */
static int
seg_tail_ro(const struct log_seg *seg, struct log_rbuf *rb, struct log_tail *t)
{
	struct stat sb;
	int fd, rc;

	fd = open(seg->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	rc = log_seg_tail(seg, fd, (uint64_t)sb.st_size, rb, t);
out:
	close(fd);
	return rc;
}

/*
 * Fill info from the segment list and the tail t of the last segment. An empty
 * last segment gets its last arrival time from the tail of the one before.
 */
static int
fill_info(const struct slc_stream *st, uint32_t index, struct log_seg *segs, uint32_t n,
	const struct log_tail *t, struct log_rbuf *rb, struct slc_log_shard_info *info)
{
	struct log_tail prev;
	uint32_t i;
	int rc;

	memset(info, 0, sizeof(*info));
	info->first_time_ms = -1;
	info->last_time_ms = -1;
	if (n == 0) {
		info->first_seq = st->shards[index].starting_seq;
		info->next_seq = info->first_seq;
		return 0;
	}
	info->segments = n;
	for (i = 0; i < n; i++)
		info->bytes += segs[i].size;
	info->first_seq = segs[0].first_seq;
	info->next_seq = t->next_seq;
	info->last_time_ms = t->last_time_ms;
	if (info->next_seq <= info->first_seq) {
		info->next_seq = info->first_seq;
		info->last_time_ms = -1;
		return 0;
	}
	info->records = info->next_seq - info->first_seq;
	if (info->last_time_ms < 0 && n > 1) {
		rc = seg_tail_ro(&segs[n - 2], rb, &prev);
		if (rc < 0)
			return rc;
		info->last_time_ms = prev.last_time_ms;
	}
	return first_time(segs, n, rb, &info->first_time_ms);
}

static int
shard_segs(const struct slc_stream *st, uint32_t index, char **dir, struct log_seg **segs,
	uint32_t *n)
{
	int rc;

	*segs = NULL;
	*n = 0;
	if (st == NULL || index >= st->nshards)
		return -EINVAL;
	*dir = slc_stream_shard_dir(st, index);
	if (*dir == NULL)
		return errno ? -errno : -ENOMEM;
	rc = log_segs_list(*dir, segs, n);
	if (rc < 0) {
		LOG_LOG(ERR, "stream %s shard %u: cannot list %s: %s", st->name, index, *dir,
			strerror(-rc));
		slc_free(*dir);
		*dir = NULL;
	}
	return rc;
}

/* ---- recovery ---- */

/* Cut the last segment at t->end_off and its index at t->idx_good entries. */
static int
repair(const struct slc_stream *st, uint32_t index, const struct log_seg *seg, int fd,
	uint64_t fsize, const struct log_tail *t)
{
	uint64_t cut = t->end_off, keep = (uint64_t)t->idx_good * sizeof(struct log_idx_entry);
	bool zero = true, more = false;
	struct stat sb;
	int ifd, rc;

	if (cut < fsize) {
		rc = tail_is_zero(fd, cut, fsize, &zero, &more);
		if (rc < 0)
			goto fail_log;
	}
	if (t->bad || !zero)
		LOG_LOG(WARNING, "stream %s shard %u: %s: %s tail cut at offset %" PRIu64
			", discarding %" PRIu64 " bytes; the log continues at counter %" PRIu64,
			st->name, index, seg->log_path, t->bad ? "torn or corrupt" : "stale",
			cut, fsize - cut, t->next_seq);
	if (t->bad || !zero || more) {
		rc = zero_fill(fd, cut, fsize);
		if (rc < 0)
			goto fail_log;
		if (fsync(fd) < 0) {
			rc = -errno;
			goto fail_log;
		}
	}

	ifd = open(seg->idx_path, O_RDWR | O_CLOEXEC);
	if (ifd < 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		goto fail_idx;
	}
	if (fstat(ifd, &sb) < 0) {
		rc = -errno;
		goto fail_idx_fd;
	}
	if ((uint64_t)sb.st_size != keep) {
		if ((uint64_t)sb.st_size > keep)
			LOG_LOG(WARNING, "stream %s shard %u: %s: index cut to %u entries "
				"(%u usable, %" PRIu64 " bytes before)", st->name, index,
				seg->idx_path, t->idx_good, t->idx_loaded, (uint64_t)sb.st_size);
		if (ftruncate(ifd, (off_t)keep) < 0 || fsync(ifd) < 0) {
			rc = -errno;
			goto fail_idx_fd;
		}
	}
	close(ifd);
	return 0;

fail_idx_fd:
	close(ifd);
fail_idx:
	LOG_LOG(ERR, "stream %s shard %u: %s: cannot cut the index: %s", st->name, index,
		seg->idx_path, strerror(-rc));
	return rc;
fail_log:
	LOG_LOG(ERR, "stream %s shard %u: %s: cannot cut at offset %" PRIu64 ": %s", st->name,
		index, seg->log_path, cut, strerror(-rc));
	return rc;
}

int
slc_log_recover(const struct slc_stream *st, uint32_t index, struct slc_log_shard_info *info)
{
	struct slc_log_shard_info tmp;
	struct log_rbuf rb = { NULL, 0 };
	struct log_seg *segs = NULL, *last;
	struct log_tail t;
	char *dir = NULL;
	struct stat sb;
	uint32_t n = 0;
	int fd = -1, rc;

	rc = shard_segs(st, index, &dir, &segs, &n);
	if (rc < 0)
		return rc;
	memset(&t, 0, sizeof(t));
	if (n > 0) {
		last = &segs[n - 1];
		fd = open(last->log_path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			rc = -errno;
			LOG_LOG(ERR, "stream %s shard %u: cannot open %s: %s", st->name, index,
				last->log_path, strerror(-rc));
			goto out;
		}
		last->size = (uint64_t)sb.st_size;
		rc = log_seg_tail(last, fd, last->size, &rb, &t);
		if (rc < 0) {
			LOG_LOG(ERR, "stream %s shard %u: cannot read %s: %s", st->name, index,
				last->log_path, strerror(-rc));
			goto out;
		}
		rc = repair(st, index, last, fd, last->size, &t);
		if (rc < 0)
			goto out;
	}
	rc = fill_info(st, index, segs, n, &t, &rb, info != NULL ? info : &tmp);
out:
	if (fd >= 0)
		close(fd);
	log_rbuf_fini(&rb);
	log_segs_free(segs, n);
	slc_free(dir);
	return rc;
}

int
slc_log_shard_info(const struct slc_stream *st, uint32_t index, struct slc_log_shard_info *info)
{
	struct log_rbuf rb = { NULL, 0 };
	struct log_seg *segs = NULL;
	struct log_tail t;
	char *dir = NULL;
	uint32_t n = 0;
	int rc;

	rc = shard_segs(st, index, &dir, &segs, &n);
	if (rc < 0)
		return rc;
	memset(&t, 0, sizeof(t));
	if (n > 0) {
		rc = seg_tail_ro(&segs[n - 1], &rb, &t);
		if (rc < 0)
			goto out;
	}
	rc = fill_info(st, index, segs, n, &t, &rb, info);
out:
	log_rbuf_fini(&rb);
	log_segs_free(segs, n);
	slc_free(dir);
	return rc;
}
