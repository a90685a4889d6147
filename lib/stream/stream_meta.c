/*
 * stream.meta, version 1 (docs/stream-meta.md): the text file that holds a
 * stream's settings and shard table.
 *
 * The writer renders the whole file into one buffer and replaces the old file
 * atomically: stream.meta.tmp is written and fsync'd, renamed over stream.meta,
 * and the directory is fsync'd so that the rename itself survives a crash. A
 * reader therefore sees the old file or the new one, never a mix; a file that is
 * still invalid (torn by something else, edited by hand) is rejected with the
 * line and the problem logged, never half-used.
 *
 * The reader is strict on purpose: single spaces, known keys each exactly once,
 * shard lines in index order, an `end` line and nothing after it. Runs on the
 * control core (or in the `sluice` tool); no shared state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_fs.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "stream_priv.h"

/* ------------------------------------------------------------------ */
/* Shard table check                                                   */
/* ------------------------------------------------------------------ */

static int
cmp_start(const void *a, const void *b, void *arg)
{
	const struct slc_shard_meta *shards = arg;
	slc_u128 x = shards[*(const uint32_t *)a].start_hash;
	slc_u128 y = shards[*(const uint32_t *)b].start_hash;

	return x < y ? -1 : x > y ? 1 : 0;
}

#define CHECK_FAIL(sh, fmt, ...) do { \
	if (first_line != 0) \
		STREAM_LOG(ERR, "%s line %u: shard %" PRIu32 ": " fmt, where, \
			first_line + (sh), (uint32_t)(sh), ##__VA_ARGS__); \
	else \
		STREAM_LOG(ERR, "%s: shard %" PRIu32 ": " fmt, where, \
			(uint32_t)(sh), ##__VA_ARGS__); \
} while (0)

int
stream_meta_check(const struct slc_stream *st, const char *where, unsigned first_line)
{
	char a[SLC_U128_STRLEN], b[SLC_U128_STRLEN];
	uint32_t i, nopen = 0, *open_idx;
	int rc = -EINVAL;

	if (!slc_stream_name_valid(st->name) || st->meta_version == 0 ||
	    !stream_settings_valid(&st->settings)) {
		STREAM_LOG(ERR, "%s: invalid name, meta_version or settings", where);
		return -EINVAL;
	}
	if (st->nshards == 0 || st->nshards > SLC_STREAM_SHARDS_MAX || st->shards == NULL) {
		STREAM_LOG(ERR, "%s: %" PRIu32 " shards, must be 1..%u", where, st->nshards,
			SLC_STREAM_SHARDS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < st->nshards; i++) {
		const struct slc_shard_meta *sh = &st->shards[i];

		if (sh->index != i) {
			CHECK_FAIL(i, "index %" PRIu32 " out of order, expected %" PRIu32,
				sh->index, i);
			return -EINVAL;
		}
		if (sh->state != SLC_SHARD_OPEN && sh->state != SLC_SHARD_CLOSED) {
			CHECK_FAIL(i, "bad state %d", (int)sh->state);
			return -EINVAL;
		}
		if (sh->start_hash > sh->end_hash) {
			slc_hashkey_format(sh->start_hash, a);
			slc_hashkey_format(sh->end_hash, b);
			CHECK_FAIL(i, "start hash %s is above end hash %s", a, b);
			return -EINVAL;
		}
		/* Children are allocated after their parents. */
		if (sh->parent != SLC_SHARD_NONE && sh->parent >= i) {
			CHECK_FAIL(i, "parent %" PRIu32 " is not an earlier shard", sh->parent);
			return -EINVAL;
		}
		if (sh->adjacent_parent != SLC_SHARD_NONE &&
		    (sh->adjacent_parent >= i || sh->parent == SLC_SHARD_NONE ||
		     sh->adjacent_parent == sh->parent)) {
			CHECK_FAIL(i, "adjacent parent %" PRIu32 " is not an earlier shard "
				"other than the parent", sh->adjacent_parent);
			return -EINVAL;
		}
		if (sh->state == SLC_SHARD_OPEN && sh->ending_seq != UINT64_MAX) {
			CHECK_FAIL(i, "open shard has an ending sequence");
			return -EINVAL;
		}
		if (sh->state == SLC_SHARD_CLOSED && sh->ending_seq == UINT64_MAX) {
			CHECK_FAIL(i, "closed shard has no ending sequence");
			return -EINVAL;
		}
		/* ENDING_SEQ is exclusive: an empty closed shard has it equal to STARTING_SEQ */
		if (sh->state == SLC_SHARD_CLOSED && sh->ending_seq < sh->starting_seq) {
			CHECK_FAIL(i, "ending sequence %" PRIu64 " is below the starting sequence %"
				PRIu64, sh->ending_seq, sh->starting_seq);
			return -EINVAL;
		}
		if (sh->state == SLC_SHARD_OPEN)
			nopen++;
	}
	if (nopen == 0) {
		STREAM_LOG(ERR, "%s: no open shard", where);
		return -EINVAL;
	}

	/* Open shards must tile the key space: every key goes to exactly one. */
	open_idx = slc_malloc(nopen * sizeof(*open_idx));
	if (open_idx == NULL)
		return -ENOMEM;
	nopen = 0;
	for (i = 0; i < st->nshards; i++)
		if (st->shards[i].state == SLC_SHARD_OPEN)
			open_idx[nopen++] = i;
	qsort_r(open_idx, nopen, sizeof(*open_idx), cmp_start, st->shards);
	if (st->shards[open_idx[0]].start_hash != 0) {
		CHECK_FAIL(open_idx[0], "open shards leave a gap at hash key 0");
		goto out;
	}
	for (i = 1; i < nopen; i++) {
		const struct slc_shard_meta *p = &st->shards[open_idx[i - 1]];
		const struct slc_shard_meta *c = &st->shards[open_idx[i]];

		if (c->start_hash != p->end_hash + 1) {
			slc_hashkey_format(p->end_hash, a);
			CHECK_FAIL(c->index, "range does not start right after open shard %"
				PRIu32 " (ends at %s): %s", p->index, a,
				c->start_hash <= p->end_hash ? "overlap" : "gap");
			goto out;
		}
	}
	if (st->shards[open_idx[nopen - 1]].end_hash != SLC_U128_MAX) {
		CHECK_FAIL(open_idx[nopen - 1], "open shards leave a gap below 2^128-1");
		goto out;
	}
	rc = 0;
out:
	slc_free(open_idx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

/* Longest shard line: 9 fields, two of them 39-digit hash keys. */
#define SHARD_LINE_MAX 200
#define HEADER_MAX (512 + SLC_STREAM_NAME_MAX)

static int
render(const struct slc_stream *st, char **out, size_t *outlen)
{
	size_t cap = HEADER_MAX + (size_t)st->nshards * SHARD_LINE_MAX, len = 0;
	char *buf;
	char opt[96] = "";          /* the optional keys, written only when set */
	uint32_t i;
	int n;

	if (st->settings.retention_minutes != 0)
		snprintf(opt, sizeof(opt), "retention_minutes %" PRIu32 "\n",
			st->settings.retention_minutes);
	if (st->settings.max_bytes != 0)
		snprintf(opt + strlen(opt), sizeof(opt) - strlen(opt), "max_bytes %" PRIu64 "\n",
			st->settings.max_bytes);
	buf = slc_malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	n = snprintf(buf, cap,
		"%s %d\n"
		"name %s\n"
		"created_ms %" PRIu64 "\n"
		"meta_version %" PRIu32 "\n"
		"compression %s\n"
		"durability %s\n"
		"max_record %" PRIu32 "\n"
		"retention_hours %" PRIu32 "\n"
		"%s"
		"shards %" PRIu32 "\n",
		STREAM_META_MAGIC, STREAM_META_VERSION, st->name, st->created_ms,
		st->meta_version, slc_compression_name(st->settings.compression),
		slc_durability_name(st->settings.durability), st->settings.max_record,
		st->settings.retention_hours, opt, st->nshards);
	if (n < 0 || (size_t)n >= cap)
		goto overflow;
	len = (size_t)n;
	for (i = 0; i < st->nshards; i++) {
		const struct slc_shard_meta *sh = &st->shards[i];
		char start[SLC_U128_STRLEN], end[SLC_U128_STRLEN];
		char parent[16] = "-", adj[16] = "-", ending[24] = "-";

		slc_hashkey_format(sh->start_hash, start);
		slc_hashkey_format(sh->end_hash, end);
		if (sh->parent != SLC_SHARD_NONE)
			snprintf(parent, sizeof(parent), "%" PRIu32, sh->parent);
		if (sh->adjacent_parent != SLC_SHARD_NONE)
			snprintf(adj, sizeof(adj), "%" PRIu32, sh->adjacent_parent);
		if (sh->state == SLC_SHARD_CLOSED)
			snprintf(ending, sizeof(ending), "%" PRIu64, sh->ending_seq);
		n = snprintf(buf + len, cap - len, "shard %" PRIu32 " %s %s %s %s %s %" PRIu64
			" %s\n", sh->index, sh->state == SLC_SHARD_OPEN ? "open" : "closed",
			start, end, parent, adj, sh->starting_seq, ending);
		if (n < 0 || (size_t)n >= cap - len)
			goto overflow;
		len += (size_t)n;
	}
	n = snprintf(buf + len, cap - len, "end\n");
	if (n < 0 || (size_t)n >= cap - len)
		goto overflow;
	len += (size_t)n;
	*out = buf;
	*outlen = len;
	return 0;
overflow:
	/* cannot happen with the bounds above; do not write a cut file */
	slc_free(buf);
	return -EOVERFLOW;
}

int
stream_meta_write(const char *dir, const struct slc_stream *st)
{
	char *tmp = NULL, *path = NULL, *buf = NULL;
	size_t len = 0;
	int fd = -1, rc;

	rc = stream_meta_check(st, dir, 0);
	if (rc != 0)
		return rc;
	tmp = stream_path_join(dir, STREAM_META_TMP_FILE);
	path = stream_path_join(dir, STREAM_META_FILE);
	if (tmp == NULL || path == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = render(st, &buf, &len);
	if (rc != 0)
		goto out;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		STREAM_LOG(ERR, "%s: create: %s", tmp, strerror(-rc));
		goto out;
	}
	rc = slc_fs_write_full(fd, buf, len);
	if (rc != 0) {
		STREAM_LOG(ERR, "%s: write: %s", tmp, strerror(-rc));
		goto out_unlink;
	}
	if (fsync(fd) != 0) {
		rc = -errno;
		STREAM_LOG(ERR, "%s: fsync: %s", tmp, strerror(-rc));
		goto out_unlink;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		STREAM_LOG(ERR, "%s: close: %s", tmp, strerror(-rc));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		STREAM_LOG(ERR, "%s: rename to %s: %s", tmp, path, strerror(-rc));
		goto out_unlink;
	}
	rc = slc_fs_fsync_dir(dir);
	if (rc != 0)
		STREAM_LOG(ERR, "%s: fsync directory: %s", dir, strerror(-rc));
	goto out;

out_unlink:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
out:
	slc_free(buf);
	slc_free(path);
	slc_free(tmp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

#define MAX_TOKENS 10

struct parser {
	const char *path;
	unsigned line;
};

static void __attribute__((format(printf, 2, 3)))
bad(const struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	STREAM_LOG(ERR, "%s line %u: %s", p->path, p->line, msg);
}

/*
 * Split line (NUL-terminated, no newline) at single spaces. Returns the number
 * of fields, or -1 if a field is empty (leading, trailing or double space) or
 * there are more than max.
 */
static int
split(char *line, char **tok, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		char *sp = strchr(s, ' ');

		if (n == max)
			return -1;
		if (sp == s || *s == '\0')
			return -1;
		tok[n++] = s;
		if (sp == NULL)
			return n;
		*sp = '\0';
		s = sp + 1;
	}
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* A shard index or "-" for none. */
static bool
parse_ref(const char *s, uint32_t *out)
{
	if (strcmp(s, "-") == 0) {
		*out = SLC_SHARD_NONE;
		return true;
	}
	return parse_u32(s, out) && *out != SLC_SHARD_NONE;
}

enum meta_key {
	KEY_NAME,
	KEY_CREATED_MS,
	KEY_META_VERSION,
	KEY_COMPRESSION,
	KEY_DURABILITY,
	KEY_MAX_RECORD,
	KEY_RETENTION_HOURS,
	KEY_RETENTION_MINUTES,      /* optional from here on */
	KEY_MAX_BYTES,
	KEY_COUNT,
};
#define KEY_REQUIRED KEY_RETENTION_MINUTES      /* keys below it must appear */

static const char *const key_names[KEY_COUNT] = {
	[KEY_NAME] = "name",
	[KEY_CREATED_MS] = "created_ms",
	[KEY_META_VERSION] = "meta_version",
	[KEY_COMPRESSION] = "compression",
	[KEY_DURABILITY] = "durability",
	[KEY_MAX_RECORD] = "max_record",
	[KEY_RETENTION_HOURS] = "retention_hours",
	[KEY_RETENTION_MINUTES] = "retention_minutes",
	[KEY_MAX_BYTES] = "max_bytes",
};

/* One `key value` line before `shards`. Returns 0 or -1 (logged). */
static int
parse_setting(struct parser *p, struct slc_stream *st, const char *name, char **tok,
	int ntok, bool *seen)
{
	struct slc_stream_settings *s = &st->settings;
	int k;

	for (k = 0; k < KEY_COUNT; k++)
		if (strcmp(tok[0], key_names[k]) == 0)
			break;
	if (k == KEY_COUNT) {
		bad(p, "unknown key '%.64s'", tok[0]);
		return -1;
	}
	if (seen[k]) {
		bad(p, "duplicate key '%s'", key_names[k]);
		return -1;
	}
	seen[k] = true;
	if (ntok != 2) {
		bad(p, "'%s' takes one value, found %d", key_names[k], ntok - 1);
		return -1;
	}
	switch ((enum meta_key)k) {
	case KEY_NAME:
		if (!slc_stream_name_valid(tok[1])) {
			bad(p, "invalid stream name '%.64s'", tok[1]);
			return -1;
		}
		if (strcmp(tok[1], name) != 0) {
			bad(p, "name '%s' does not match the stream directory '%s'", tok[1],
				name);
			return -1;
		}
		snprintf(st->name, sizeof(st->name), "%s", tok[1]);
		break;
	case KEY_CREATED_MS:
		if (!parse_u64(tok[1], &st->created_ms)) {
			bad(p, "created_ms '%.64s' is not a 64-bit decimal", tok[1]);
			return -1;
		}
		break;
	case KEY_META_VERSION:
		if (!parse_u32(tok[1], &st->meta_version) || st->meta_version == 0) {
			bad(p, "meta_version '%.64s' is not a decimal in 1..%" PRIu32, tok[1],
				UINT32_MAX);
			return -1;
		}
		break;
	case KEY_COMPRESSION:
		if (slc_compression_parse(tok[1], &s->compression) != 0) {
			bad(p, "compression '%.64s' is not none or deflate", tok[1]);
			return -1;
		}
		break;
	case KEY_DURABILITY:
		if (slc_durability_parse(tok[1], &s->durability) != 0) {
			bad(p, "durability '%.64s' is not direct or fsync", tok[1]);
			return -1;
		}
		break;
	case KEY_MAX_RECORD:
		if (!parse_u32(tok[1], &s->max_record) || s->max_record == 0 ||
		    s->max_record > STREAM_MAX_RECORD_MAX) {
			bad(p, "max_record '%.64s' is not in 1..%u", tok[1],
				STREAM_MAX_RECORD_MAX);
			return -1;
		}
		break;
	case KEY_RETENTION_HOURS:
		if (!parse_u32(tok[1], &s->retention_hours) || s->retention_hours == 0 ||
		    s->retention_hours > STREAM_RETENTION_HOURS_MAX) {
			bad(p, "retention_hours '%.64s' is not in 1..%u", tok[1],
				STREAM_RETENTION_HOURS_MAX);
			return -1;
		}
		break;
	case KEY_RETENTION_MINUTES:
		if (!parse_u32(tok[1], &s->retention_minutes) || s->retention_minutes == 0 ||
		    s->retention_minutes > SLC_STREAM_RETENTION_MINUTES_MAX) {
			bad(p, "retention_minutes '%.64s' is not in 1..%u", tok[1],
				SLC_STREAM_RETENTION_MINUTES_MAX);
			return -1;
		}
		break;
	case KEY_MAX_BYTES:
		if (!parse_u64(tok[1], &s->max_bytes) || s->max_bytes == 0) {
			bad(p, "max_bytes '%.64s' is not a 64-bit decimal above 0", tok[1]);
			return -1;
		}
		break;
	case KEY_COUNT:
		break;
	}
	return 0;
}

/* `shard INDEX STATE START END PARENT ADJACENT_PARENT STARTING_SEQ ENDING_SEQ` */
static int
parse_shard(struct parser *p, struct slc_shard_meta *sh, uint32_t expect, char **tok,
	int ntok)
{
	uint32_t index;
	int rc;

	if (strcmp(tok[0], "shard") != 0) {
		bad(p, "expected shard line %" PRIu32 ", found '%.64s'", expect, tok[0]);
		return -1;
	}
	if (ntok != 9) {
		bad(p, "shard line has %d fields, expected 8", ntok - 1);
		return -1;
	}
	if (!parse_u32(tok[1], &index) || index != expect) {
		bad(p, "shard index '%.64s' out of order, expected %" PRIu32, tok[1], expect);
		return -1;
	}
	sh->index = index;
	if (strcmp(tok[2], "open") == 0) {
		sh->state = SLC_SHARD_OPEN;
	} else if (strcmp(tok[2], "closed") == 0) {
		sh->state = SLC_SHARD_CLOSED;
	} else {
		bad(p, "shard %" PRIu32 ": state '%.64s' is not open or closed", index, tok[2]);
		return -1;
	}
	rc = slc_hashkey_parse(tok[3], &sh->start_hash);
	if (rc == 0)
		rc = slc_hashkey_parse(tok[4], &sh->end_hash);
	if (rc != 0) {
		bad(p, "shard %" PRIu32 ": hash key range '%.40s %.40s' is not two decimals "
			"in 0..2^128-1", index, tok[3], tok[4]);
		return -1;
	}
	if (!parse_ref(tok[5], &sh->parent)) {
		bad(p, "shard %" PRIu32 ": parent '%.64s' is not a shard index or -", index,
			tok[5]);
		return -1;
	}
	if (!parse_ref(tok[6], &sh->adjacent_parent)) {
		bad(p, "shard %" PRIu32 ": adjacent parent '%.64s' is not a shard index or -",
			index, tok[6]);
		return -1;
	}
	if (!parse_u64(tok[7], &sh->starting_seq)) {
		bad(p, "shard %" PRIu32 ": starting sequence '%.64s' is not a 64-bit decimal",
			index, tok[7]);
		return -1;
	}
	if (sh->state == SLC_SHARD_OPEN) {
		if (strcmp(tok[8], "-") != 0) {
			bad(p, "shard %" PRIu32 ": open shard has ending sequence '%.64s', "
				"expected -", index, tok[8]);
			return -1;
		}
		sh->ending_seq = UINT64_MAX;
	} else if (!parse_u64(tok[8], &sh->ending_seq) || sh->ending_seq == UINT64_MAX) {
		bad(p, "shard %" PRIu32 ": ending sequence '%.64s' of a closed shard is not a "
			"decimal below 2^64-1", index, tok[8]);
		return -1;
	}
	return 0;
}

struct slc_stream *
stream_meta_parse(const char *path, const char *name, const char *text, size_t len)
{
	enum { HEAD, SETTINGS, SHARDS, END } state = HEAD;
	struct parser p = { .path = path, .line = 0 };
	struct slc_stream *st = NULL;
	bool seen[KEY_COUNT] = { false };
	unsigned shards_line = 0;
	uint32_t nshard = 0;
	char *buf = NULL, *line, *nl;
	char *tok[MAX_TOKENS];
	int ntok, k, err = EBADMSG;

	if (memchr(text, '\0', len) != NULL) {
		STREAM_LOG(ERR, "%s: NUL byte at offset %zu", path,
			(size_t)((const char *)memchr(text, '\0', len) - text));
		goto fail;
	}
	buf = slc_malloc(len + 1);
	st = slc_calloc(1, sizeof(*st));
	if (buf == NULL || st == NULL) {
		err = ENOMEM;
		goto fail;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';

	for (line = buf; *line != '\0'; line = nl + 1) {
		p.line++;
		nl = strchr(line, '\n');
		if (nl == NULL) {
			bad(&p, "no newline at the end of the line (file torn?)");
			goto fail;
		}
		*nl = '\0';
		if (state == END) {
			bad(&p, "data after the end line");
			goto fail;
		}
		ntok = split(line, tok, MAX_TOKENS);
		if (ntok < 0) {
			bad(&p, "empty line, empty field or too many fields (fields are "
				"separated by single spaces)");
			goto fail;
		}
		switch (state) {
		case HEAD:
			if (strcmp(tok[0], STREAM_META_MAGIC) != 0 || ntok != 2) {
				bad(&p, "not a stream.meta file (expected '%s %d')",
					STREAM_META_MAGIC, STREAM_META_VERSION);
				goto fail;
			}
			if (strcmp(tok[1], "1") != 0) {
				bad(&p, "unsupported format version '%.16s', this reader knows %d",
					tok[1], STREAM_META_VERSION);
				goto fail;
			}
			state = SETTINGS;
			break;
		case SETTINGS:
			if (strcmp(tok[0], "shards") != 0) {
				if (strcmp(tok[0], "shard") == 0 || strcmp(tok[0], "end") == 0) {
					bad(&p, "'%s' before the shards line", tok[0]);
					goto fail;
				}
				if (parse_setting(&p, st, name, tok, ntok, seen) != 0)
					goto fail;
				break;
			}
			for (k = 0; k < KEY_REQUIRED; k++) {
				if (!seen[k]) {
					bad(&p, "key '%s' missing before the shards line",
						key_names[k]);
					goto fail;
				}
			}
			if (ntok != 2 || !parse_u32(tok[1], &st->nshards) || st->nshards == 0 ||
			    st->nshards > SLC_STREAM_SHARDS_MAX) {
				bad(&p, "shards must be one decimal in 1..%u", SLC_STREAM_SHARDS_MAX);
				goto fail;
			}
			st->shards = slc_calloc(st->nshards, sizeof(*st->shards));
			if (st->shards == NULL) {
				err = ENOMEM;
				goto fail;
			}
			shards_line = p.line;
			state = SHARDS;
			break;
		case SHARDS:
			if (nshard == st->nshards) {
				if (strcmp(tok[0], "end") != 0 || ntok != 1) {
					bad(&p, "expected 'end' after %" PRIu32 " shard lines, found "
						"'%.64s'", st->nshards, tok[0]);
					goto fail;
				}
				state = END;
				break;
			}
			if (parse_shard(&p, &st->shards[nshard], nshard, tok, ntok) != 0)
				goto fail;
			nshard++;
			break;
		case END:
			break;
		}
	}
	if (state != END) {
		p.line++;
		bad(&p, "file ends before the end line (file torn?)");
		goto fail;
	}
	k = stream_meta_check(st, path, shards_line + 1);
	if (k != 0) {
		if (k == -ENOMEM)
			err = ENOMEM;
		goto fail;
	}
	slc_free(buf);
	return st;

fail:
	if (st != NULL)
		slc_free(st->shards);
	slc_free(st);
	slc_free(buf);
	errno = err;
	return NULL;
}
