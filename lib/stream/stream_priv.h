/*
 * Private to lib/stream: the module's log type, and the stream.meta reader and
 * writer (stream_meta.c) used by stream.c.
 */
#ifndef STREAM_PRIV_H
#define STREAM_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <rte_log.h>

#include "slc_stream.h"

extern int slc_stream_logtype;

#define STREAM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_stream_logtype, \
		"slc.lib.stream: " fmt "\n", ##__VA_ARGS__)

#define STREAM_META_FILE "stream.meta"
#define STREAM_META_TMP_FILE "stream.meta.tmp"
#define STREAM_META_MAGIC "sluice-stream-meta"
#define STREAM_META_VERSION 1
/* Largest stream.meta a reader accepts: SLC_STREAM_SHARDS_MAX lines of < 200 bytes fit. */
#define STREAM_META_MAX_SIZE (4u << 20)

#define STREAM_MAX_RECORD_MAX (64u << 20)      /* 64 MiB */
#define STREAM_RETENTION_HOURS_MAX 8760u        /* one year */

/* "a/b" in slc_malloc'd memory, NULL with errno = ENOMEM. */
char *stream_path_join(const char *a, const char *b);

/* True if every settings field is in its documented range. */
bool stream_settings_valid(const struct slc_stream_settings *s);

/*
 * Check st before it is written or after it is read: name, meta_version and
 * settings are valid, and in the shard table shard i has index i, ranges are ordered
 * (start <= end), parents name earlier shards, open shards have no ending
 * sequence and closed ones have one, and the open shards' ranges are disjoint and
 * cover [0, 2^128-1]. Logs the first problem, prefixed with where and, if
 * first_line is not 0, the file line of the shard (shard i on first_line + i).
 * Returns 0, -EINVAL, or -ENOMEM.
 */
int stream_meta_check(const struct slc_stream *st, const char *where, unsigned first_line);

/*
 * Write st's metadata to dir/stream.meta crash-safely (tmp file, fsync, rename,
 * fsync dir). Returns 0 or -errno; logs the failing file.
 */
int stream_meta_write(const char *dir, const struct slc_stream *st);

/*
 * Parse stream.meta text buf[0..len) read from path; the name in the file must be
 * name. Returns a stream with dir == NULL, or NULL with errno = EBADMSG (the line
 * and problem are logged) or ENOMEM.
 */
struct slc_stream *stream_meta_parse(const char *path, const char *name, const char *buf,
	size_t len);

#endif /* STREAM_PRIV_H */
