/*
 * Whole segments, for retention (lib/retention): list a shard's segments with
 * their sizes, find what arrival times a segment holds by reading only its first
 * block and its tail, and delete a segment.
 *
 * Deleting is crash-safe in this order: the .log first, then the .idx, then an
 * fsync of the shard directory. Readers and recovery find segments by their
 * .log files, so once the .log name is gone the segment is gone for everyone;
 * an .idx left behind by a crash between the two unlinks names no segment and
 * is removed by the next deletion in that shard (any .idx named below the
 * segment being deleted whose .log is gone). The other order would leave a
 * segment without index for a moment, which is legal (readers scan from offset
 * 0) but slow, and a crash there would make it permanent.
 *
 * A reader that has the deleted .log open keeps reading the unlinked file until
 * it checks (once per block, log_reader.c) and moves on to the trim horizon.
 * The writer never has an old segment's name open for writing again after a
 * roll; its file descriptors of the segment it writes stay valid regardless,
 * but retention never deletes that segment (the caller protects it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slc_fs.h"
#include "slc_mem.h"
#include "log_priv.h"

int
slc_log_segments(const struct slc_stream *st, uint32_t index, struct slc_log_seg_info **out,
	uint32_t *nout)
{
	struct slc_log_seg_info *v = NULL;
	struct log_seg *segs = NULL;
	struct stat sb;
	uint32_t n = 0, i;
	char *dir;
	int rc;

	*out = NULL;
	*nout = 0;
	if (st == NULL || index >= st->nshards)
		return -EINVAL;
	dir = slc_stream_shard_dir(st, index);
	if (dir == NULL)
		return errno ? -errno : -ENOMEM;
	rc = log_segs_list(dir, &segs, &n);
	if (rc < 0)
		goto out;
	if (n > 0) {
		v = slc_calloc(n, sizeof(*v));
		if (v == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		v[i].first_seq = segs[i].first_seq;
		v[i].log_bytes = segs[i].size;
		if (stat(segs[i].idx_path, &sb) == 0)
			v[i].idx_bytes = (uint64_t)sb.st_size;
		v[i].next_seq = segs[i].first_seq;
		v[i].first_time_ms = -1;
		v[i].last_time_ms = -1;
	}
	*out = v;
	*nout = n;
out:
	log_segs_free(segs, n);
	slc_free(dir);
	return rc;
}

void
slc_log_segments_free(struct slc_log_seg_info *segs)
{
	slc_free(segs);
}

int
slc_log_segment_scan(const struct slc_stream *st, uint32_t index, struct slc_log_seg_info *si)
{
	struct log_rbuf rb = { NULL, 0 };
	struct slc_block_info bi;
	struct log_seg seg;
	struct log_tail t;
	const uint8_t *blk;
	struct stat sb;
	char *dir;
	int fd = -1, rc;

	if (st == NULL || index >= st->nshards || si == NULL)
		return -EINVAL;
	dir = slc_stream_shard_dir(st, index);
	if (dir == NULL)
		return errno ? -errno : -ENOMEM;
	memset(&seg, 0, sizeof(seg));
	seg.first_seq = si->first_seq;
	rc = -ENOMEM;
	seg.log_path = slc_malloc(PATH_MAX);
	seg.idx_path = slc_malloc(PATH_MAX);
	if (seg.log_path == NULL || seg.idx_path == NULL)
		goto out;
	log_seg_path(seg.log_path, PATH_MAX, dir, si->first_seq, LOG_SEG_EXT);
	log_seg_path(seg.idx_path, PATH_MAX, dir, si->first_seq, LOG_IDX_EXT);
	fd = open(seg.log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	seg.size = (uint64_t)sb.st_size;
	si->log_bytes = seg.size;
	si->next_seq = si->first_seq;
	si->first_time_ms = -1;
	si->last_time_ms = -1;
	si->damaged = false;
	rc = log_read_block(fd, 0, seg.size, &rb, &blk, &bi);
	if (rc < 0 && rc != -EBADMSG)
		goto out;
	if (rc == 1 && bi.first_seq == si->first_seq)
		si->first_time_ms = bi.first_time_ms;
	rc = log_seg_tail(&seg, fd, seg.size, &rb, &t);
	if (rc < 0)
		goto out;
	si->damaged = t.bad;
	if (t.next_seq > si->first_seq) {
		si->next_seq = t.next_seq;
		si->last_time_ms = t.last_time_ms;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	log_rbuf_fini(&rb);
	slc_free(seg.log_path);
	slc_free(seg.idx_path);
	slc_free(dir);
	return rc;
}

/* Remove .idx files named below `below` whose .log is gone (left by a crash). */
static void
idx_orphans_remove(const char *dir, uint64_t below)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t fs;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!log_seg_name_parse(de->d_name, LOG_IDX_EXT, &fs) || fs >= below)
			continue;
		log_seg_path(path, sizeof(path), dir, fs, LOG_SEG_EXT);
		if (access(path, F_OK) == 0 || errno != ENOENT)
			continue;
		log_seg_path(path, sizeof(path), dir, fs, LOG_IDX_EXT);
		if (unlink(path) == 0)
			LOG_LOG(INFO, "removed %s, the index of a segment deleted before", path);
	}
	closedir(d);
}

int
slc_log_segment_delete(const struct slc_stream *st, uint32_t index, uint64_t first_seq)
{
	char path[PATH_MAX];
	char *dir;
	int rc = 0;

	if (st == NULL || index >= st->nshards)
		return -EINVAL;
	dir = slc_stream_shard_dir(st, index);
	if (dir == NULL)
		return errno ? -errno : -ENOMEM;
	log_seg_path(path, sizeof(path), dir, first_seq, LOG_SEG_EXT);
	if (unlink(path) != 0) {
		rc = -errno;
		if (rc != -ENOENT)
			LOG_LOG(ERR, "stream %s shard %u: cannot delete %s: %s", st->name, index, path,
				strerror(-rc));
		goto out;
	}
	log_seg_path(path, sizeof(path), dir, first_seq, LOG_IDX_EXT);
	if (unlink(path) != 0 && errno != ENOENT)
		LOG_LOG(WARNING, "stream %s shard %u: cannot delete %s: %s (it names no segment "
			"any more; the next deletion retries)", st->name, index, path,
			strerror(errno));
	idx_orphans_remove(dir, first_seq);
	rc = slc_fs_fsync_dir(dir);
	if (rc < 0)
		LOG_LOG(ERR, "stream %s shard %u: fsync of directory %s: %s", st->name, index, dir,
			strerror(-rc));
out:
	slc_free(dir);
	return rc;
}
