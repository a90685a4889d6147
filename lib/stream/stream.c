/*
 * Streams and shards: creating, opening and listing streams in a data
 * directory, the hash-key lookup of a stream's open shards, and the text forms
 * of shard ids and sequence numbers.
 *
 * A new stream is built in a scratch directory streams/<name>~new (`~` cannot
 * occur in a stream name) holding its shard directories and stream.meta, then
 * renamed into place with RENAME_NOREPLACE. A crash during create therefore
 * leaves either no stream or a complete one, and two concurrent creates of the
 * same name cannot both succeed. The stream.meta format and its crash-safe
 * rewrite live in stream_meta.c.
 *
 * Called from the control core or the `sluice` tool; a handle belongs to one
 * thread. Lookup is a linear scan of the shard table: the data path uses the
 * published shard map, not this, and shard tables are small.
 */
#define RTE_LOG_DEFAULT_LOGTYPE slc.lib.stream

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_fs.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "stream_priv.h"

RTE_LOG_REGISTER_DEFAULT(slc_stream_logtype, INFO);

#define STREAMS_DIR "streams"
#define CREATE_SUFFIX "~new"
#define SHARD_ID_PREFIX "shardId-"
#define SHARD_ID_DIGITS 12

#define SEQ_BASE ((slc_u128)1 << 127)

/* ------------------------------------------------------------------ */
/* Names, settings                                                     */
/* ------------------------------------------------------------------ */

char *
stream_path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p;

	p = slc_malloc(la + 1 + lb + 1);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

void
slc_stream_settings_default(struct slc_stream_settings *s)
{
	s->compression = SLC_COMPRESSION_NONE;
	s->durability = SLC_DURABILITY_DIRECT;
	s->max_record = SLC_STREAM_MAX_RECORD_DEFAULT;
	s->retention_hours = SLC_STREAM_RETENTION_HOURS_DEFAULT;
	s->retention_minutes = 0;
	s->max_bytes = 0;
}

bool
stream_settings_valid(const struct slc_stream_settings *s)
{
	return (s->compression == SLC_COMPRESSION_NONE ||
		s->compression == SLC_COMPRESSION_DEFLATE) &&
	       (s->durability == SLC_DURABILITY_DIRECT ||
		s->durability == SLC_DURABILITY_FSYNC) &&
	       s->max_record >= 1 && s->max_record <= STREAM_MAX_RECORD_MAX &&
	       s->retention_hours >= 1 && s->retention_hours <= STREAM_RETENTION_HOURS_MAX &&
	       s->retention_minutes <= SLC_STREAM_RETENTION_MINUTES_MAX;
}

/*
 * [A-Za-z0-9_.-]{1,128} as Kinesis has it, minus "." and "..", which would name
 * the streams directory or its parent.
 */
bool
slc_stream_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i == SLC_STREAM_NAME_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

const char *
slc_compression_name(enum slc_compression c)
{
	switch (c) {
	case SLC_COMPRESSION_NONE:
		return "none";
	case SLC_COMPRESSION_DEFLATE:
		return "deflate";
	}
	return "unknown";
}

int
slc_compression_parse(const char *s, enum slc_compression *c)
{
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "none") == 0)
		*c = SLC_COMPRESSION_NONE;
	else if (strcmp(s, "deflate") == 0)
		*c = SLC_COMPRESSION_DEFLATE;
	else
		return -EINVAL;
	return 0;
}

const char *
slc_durability_name(enum slc_durability d)
{
	switch (d) {
	case SLC_DURABILITY_DIRECT:
		return "direct";
	case SLC_DURABILITY_FSYNC:
		return "fsync";
	}
	return "unknown";
}

int
slc_durability_parse(const char *s, enum slc_durability *d)
{
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "direct") == 0)
		*d = SLC_DURABILITY_DIRECT;
	else if (strcmp(s, "fsync") == 0)
		*d = SLC_DURABILITY_FSYNC;
	else
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Shard ids, sequence numbers                                         */
/* ------------------------------------------------------------------ */

void
slc_shard_id_format(uint32_t index, char *buf)
{
	snprintf(buf, SLC_SHARD_ID_LEN + 1, SHARD_ID_PREFIX "%012" PRIu32, index);
}

/* digits only, 1..maxlen of them, value below UINT32_MAX (SLC_SHARD_NONE). */
static int
parse_index(const char *s, size_t minlen, size_t maxlen, uint32_t *index)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == maxlen || s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v >= SLC_SHARD_NONE)
			return -EINVAL;
	}
	if (i < minlen || i == 0)
		return -EINVAL;
	*index = (uint32_t)v;
	return 0;
}

int
slc_shard_id_parse(const char *s, uint32_t *index)
{
	size_t plen = strlen(SHARD_ID_PREFIX);

	if (s == NULL)
		return -EINVAL;
	if (strncmp(s, SHARD_ID_PREFIX, plen) == 0)
		return parse_index(s + plen, SHARD_ID_DIGITS, SHARD_ID_DIGITS, index);
	return parse_index(s, 1, 10, index);
}

void
slc_seq_format(uint32_t shard_index, uint64_t counter, char buf[SLC_SEQ_STRLEN])
{
	slc_u128 v = SEQ_BASE + ((slc_u128)shard_index << 64) + counter;

	/* 2^127 <= v < 2^127 + 2^96: always 39 digits */
	slc_hashkey_format(v, buf);
}

int
slc_seq_parse(const char *s, uint32_t *shard_index, uint64_t *counter)
{
	slc_u128 v;

	if (s == NULL || strlen(s) != SLC_SEQ_STRLEN - 1)
		return -EINVAL;
	/* -ERANGE (above 2^128-1) is just another malformed sequence number */
	if (slc_hashkey_parse(s, &v) != 0 || v < SEQ_BASE)
		return -EINVAL;
	v -= SEQ_BASE;
	if ((v >> 64) > UINT32_MAX)
		return -EINVAL;
	*shard_index = (uint32_t)(v >> 64);
	*counter = (uint64_t)v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */
/* ------------------------------------------------------------------ */

const struct slc_shard_meta *
slc_stream_lookup(const struct slc_stream *st, slc_u128 hash)
{
	uint32_t i;

	for (i = 0; i < st->nshards; i++) {
		const struct slc_shard_meta *sh = &st->shards[i];

		if (sh->state == SLC_SHARD_OPEN && hash >= sh->start_hash &&
		    hash <= sh->end_hash)
			return sh;
	}
	return NULL;
}

char *
slc_stream_shard_dir(const struct slc_stream *st, uint32_t index)
{
	char id[SLC_SHARD_ID_LEN + 1];

	if (st == NULL || st->dir == NULL || index >= st->nshards) {
		errno = EINVAL;
		return NULL;
	}
	slc_shard_id_format(index, id);
	return stream_path_join(st->dir, id);
}

void
slc_stream_close(struct slc_stream *st)
{
	if (st == NULL)
		return;
	slc_free(st->shards);
	slc_free(st->dir);
	slc_free(st);
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Remove a scratch stream directory: its stream.meta files and empty shard
 * directories, all that create puts there. Best effort.
 */
static void
remove_scratch(const char *dir)
{
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno == EISDIR)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	rmdir(dir);
}

struct slc_stream *
slc_stream_create(const char *data_dir, const char *name, uint32_t nshards,
	const struct slc_stream_settings *settings)
{
	struct slc_stream_settings defaults;
	char *streams = NULL, *final = NULL, *scratch = NULL, *sdir = NULL;
	struct slc_stream *st = NULL;
	bool created_streams = false, dummy;
	struct stat sb;
	uint32_t i;
	int rc;

	if (settings == NULL) {
		slc_stream_settings_default(&defaults);
		settings = &defaults;
	}
	if (data_dir == NULL || !slc_stream_name_valid(name)) {
		STREAM_LOG(ERR, "create: invalid stream name '%.140s' (use 1..%d of "
			"A-Z a-z 0-9 _ . -)", name ? name : "(null)", SLC_STREAM_NAME_MAX);
		errno = EINVAL;
		return NULL;
	}
	if (nshards == 0 || nshards > SLC_STREAM_SHARDS_MAX) {
		STREAM_LOG(ERR, "create %s: %" PRIu32 " shards, must be 1..%u", name, nshards,
			SLC_STREAM_SHARDS_MAX);
		errno = EINVAL;
		return NULL;
	}
	if (!stream_settings_valid(settings)) {
		STREAM_LOG(ERR, "create %s: bad settings (compression %d, durability %d, "
			"max_record %" PRIu32 " in 1..%u, retention_hours %" PRIu32 " in 1..%u)",
			name, (int)settings->compression, (int)settings->durability,
			settings->max_record, STREAM_MAX_RECORD_MAX, settings->retention_hours,
			STREAM_RETENTION_HOURS_MAX);
		errno = EINVAL;
		return NULL;
	}

	rc = slc_fs_mkdir_p(data_dir, &dummy);
	if (rc != 0) {
		STREAM_LOG(ERR, "create %s: data directory %s: %s", name, data_dir,
			strerror(-rc));
		goto fail;
	}
	streams = stream_path_join(data_dir, STREAMS_DIR);
	final = streams ? stream_path_join(streams, name) : NULL;
	scratch = final ? slc_malloc(strlen(final) + sizeof(CREATE_SUFFIX)) : NULL;
	st = slc_calloc(1, sizeof(*st));
	if (st != NULL)
		st->shards = slc_calloc(nshards, sizeof(*st->shards));
	if (scratch == NULL || st == NULL || st->shards == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	sprintf(scratch, "%s%s", final, CREATE_SUFFIX);
	rc = slc_fs_mkdir_p(streams, &created_streams);
	if (rc != 0) {
		STREAM_LOG(ERR, "create %s: %s: %s", name, streams, strerror(-rc));
		goto fail;
	}
	if (lstat(final, &sb) == 0) {
		rc = -EEXIST;
		goto fail;
	}

	/* A scratch directory left by a crashed create is garbage. */
	remove_scratch(scratch);
	if (mkdir(scratch, 0755) != 0) {
		rc = -errno;
		STREAM_LOG(ERR, "create %s: mkdir %s: %s", name, scratch, strerror(-rc));
		goto fail;
	}

	snprintf(st->name, sizeof(st->name), "%s", name);
	st->created_ms = wall_ms();
	st->meta_version = 1;
	st->settings = *settings;
	st->nshards = nshards;
	for (i = 0; i < nshards; i++) {
		struct slc_shard_meta *sh = &st->shards[i];
		char id[SLC_SHARD_ID_LEN + 1];

		sh->index = i;
		sh->state = SLC_SHARD_OPEN;
		slc_hashkey_range(nshards, i, &sh->start_hash, &sh->end_hash);
		sh->parent = SLC_SHARD_NONE;
		sh->adjacent_parent = SLC_SHARD_NONE;
		sh->starting_seq = 0;
		sh->ending_seq = UINT64_MAX;

		slc_shard_id_format(i, id);
		sdir = stream_path_join(scratch, id);
		if (sdir == NULL) {
			rc = -ENOMEM;
			goto fail_scratch;
		}
		if (mkdir(sdir, 0755) != 0) {
			rc = -errno;
			STREAM_LOG(ERR, "create %s: mkdir %s: %s", name, sdir, strerror(-rc));
			goto fail_scratch;
		}
		slc_free(sdir);
		sdir = NULL;
	}
	/* also makes the shard directories' entries durable (fsync of scratch) */
	rc = stream_meta_write(scratch, st);
	if (rc != 0)
		goto fail_scratch;

	if (renameat2(AT_FDCWD, scratch, AT_FDCWD, final, RENAME_NOREPLACE) != 0) {
		rc = -errno;
		if (rc != -EEXIST)
			STREAM_LOG(ERR, "create %s: rename %s to %s: %s", name, scratch, final,
				strerror(-rc));
		goto fail_scratch;
	}
	rc = slc_fs_fsync_dir(streams);
	if (rc == 0 && created_streams)
		rc = slc_fs_fsync_dir(data_dir);
	if (rc != 0) {
		/* not known to survive a crash: undo, so that failure means no stream */
		STREAM_LOG(ERR, "create %s: fsync %s: %s", name, streams, strerror(-rc));
		remove_scratch(final);
		goto fail;
	}
	st->dir = final;
	final = NULL;
	STREAM_LOG(INFO, "created stream %s: %" PRIu32 " shards in %s", name, nshards,
		st->dir);
	slc_free(scratch);
	slc_free(streams);
	return st;

fail_scratch:
	slc_free(sdir);
	remove_scratch(scratch);
fail:
	slc_stream_close(st);
	slc_free(scratch);
	slc_free(final);
	slc_free(streams);
	errno = -rc;
	return NULL;
}

static int
read_file(const char *path, char **out, size_t *outlen)
{
	struct stat sb;
	size_t len = 0;
	char *buf;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) != 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > STREAM_META_MAX_SIZE) {
		STREAM_LOG(ERR, "%s: not a regular file of at most %u bytes", path,
			STREAM_META_MAX_SIZE);
		rc = -EBADMSG;
		goto out;
	}
	/* one byte more than expected shows a file that grew meanwhile */
	buf = slc_malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			slc_free(buf);
			goto out;
		}
		if (n == 0 || len + (size_t)n > (size_t)sb.st_size)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
out:
	close(fd);
	return rc;
}

struct slc_stream *
slc_stream_open(const char *data_dir, const char *name)
{
	char *streams = NULL, *dir = NULL, *path = NULL, *buf = NULL;
	struct slc_stream *st = NULL;
	size_t len = 0;
	int err;

	if (data_dir == NULL || !slc_stream_name_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	streams = stream_path_join(data_dir, STREAMS_DIR);
	dir = streams ? stream_path_join(streams, name) : NULL;
	path = dir ? stream_path_join(dir, STREAM_META_FILE) : NULL;
	if (path == NULL) {
		err = ENOMEM;
		goto out;
	}
	err = -read_file(path, &buf, &len);
	if (err != 0) {
		if (err != ENOENT && err != EBADMSG)
			STREAM_LOG(ERR, "open %s: %s: %s", name, path, strerror(err));
		goto out;
	}
	st = stream_meta_parse(path, name, buf, len);
	if (st == NULL) {
		err = errno;
		goto out;
	}
	st->dir = dir;
	dir = NULL;
out:
	slc_free(buf);
	slc_free(path);
	slc_free(dir);
	slc_free(streams);
	if (st == NULL)
		errno = err;
	return st;
}

int
slc_stream_save(struct slc_stream *st)
{
	int rc;

	if (st == NULL || st->dir == NULL)
		return -EINVAL;
	if (st->meta_version == UINT32_MAX)
		return -EOVERFLOW;
	st->meta_version++;
	rc = stream_meta_write(st->dir, st);
	if (rc != 0)
		st->meta_version--;
	return rc;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
slc_stream_list(const char *data_dir, char ***names, uint32_t *n)
{
	char *streams, **v = NULL, **nv;
	uint32_t cnt = 0, cap = 0;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (data_dir == NULL)
		return -EINVAL;
	if (stat(data_dir, &sb) != 0)
		return -errno;
	streams = stream_path_join(data_dir, STREAMS_DIR);
	if (streams == NULL)
		return -ENOMEM;
	d = opendir(streams);
	slc_free(streams);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		char meta[sizeof(de->d_name) + sizeof("/" STREAM_META_FILE)];

		/* scratch directories of a create (name~new) are not valid names */
		if (!slc_stream_name_valid(de->d_name))
			continue;
		snprintf(meta, sizeof(meta), "%s/%s", de->d_name, STREAM_META_FILE);
		if (fstatat(dirfd(d), meta, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = slc_realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[cnt] = slc_strdup(de->d_name);
		if (v[cnt] == NULL) {
			rc = -ENOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (rc != 0) {
		slc_stream_list_free(v, cnt);
		return rc;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_name);
	*names = v;
	*n = cnt;
	return 0;
}

void
slc_stream_list_free(char **names, uint32_t n)
{
	uint32_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		slc_free(names[i]);
	slc_free(names);
}
