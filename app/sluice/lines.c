/*
 * Records on stdin, one per line "partition_key<TAB>data", for `sluice put` and
 * `sluice send`: reading them, checking them, and reporting bad lines.
 *
 * Input is read with read(2) into one buffer large enough for the longest line
 * that can be a record, so lines are parsed in place. A longer line cannot be
 * a record: it is reported from its first bytes (which say what is wrong with
 * its key, when they can) and dropped up to its newline without being held in
 * memory. The last line may lack its newline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_mem.h"
#include "sluice.h"

#define READ_CHUNK (256u << 10)   /* room kept for read(2) beyond the longest line */

int
sluice_lines_init(struct sluice_lines *lb, const char *cmd, size_t max_line,
	const char *too_long, ...)
{
	va_list ap;

	memset(lb, 0, sizeof(*lb));
	lb->cmd = cmd;
	lb->max_line = max_line;
	va_start(ap, too_long);
	vsnprintf(lb->too_long, sizeof(lb->too_long), too_long, ap);
	va_end(ap);
	lb->cap = max_line + 1 + 2 * READ_CHUNK;
	lb->buf = slc_malloc(lb->cap);
	return lb->buf == NULL ? -ENOMEM : 0;
}

void
sluice_lines_fini(struct sluice_lines *lb)
{
	slc_free(lb->buf);
	lb->buf = NULL;
}

void
sluice_bad_line(struct sluice_lines *lb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice %s: line %" PRIu64 ": ", lb->cmd, lb->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	lb->bad++;
}

/* The key s[0..tab) of the current line: 0, or 1 after reporting it as bad. */
static int
key_check(struct sluice_lines *lb, const char *s, const char *tab)
{
	if (tab == s) {
		sluice_bad_line(lb, "empty partition key (it must be 1 to %d bytes)", SLC_PKEY_MAX);
		return 1;
	}
	if (tab - s > SLC_PKEY_MAX) {
		sluice_bad_line(lb, "partition key is %zu bytes, longer than %d", (size_t)(tab - s),
			SLC_PKEY_MAX);
		return 1;
	}
	return 0;
}

/* The current line is over-long: report it from its first `have` bytes at s. */
static void
long_line(struct sluice_lines *lb, const char *s, size_t have)
{
	const char *tab = memchr(s, '\t', have);

	if (tab == NULL)
		sluice_bad_line(lb, "no tab in the first %zu bytes: the partition key is longer "
			"than %d bytes, or the line has no tab", have, SLC_PKEY_MAX);
	else if (key_check(lb, s, tab) == 0)
		sluice_bad_line(lb, "%s", lb->too_long);
}

int
sluice_lines_next(struct sluice_lines *lb, const char **s, size_t *len)
{
	for (;;) {
		char *p = lb->buf + lb->start;
		size_t have = lb->end - lb->start;
		char *nl = memchr(p, '\n', have);

		if (lb->skipping) {
			if (nl == NULL) {
				lb->start = lb->end;
				return 0;
			}
			lb->skipping = false;
			lb->start += (size_t)(nl - p) + 1;
			continue;
		}
		if (nl == NULL) {
			if (have > lb->max_line) {
				lb->lineno++;
				long_line(lb, p, have);
				lb->skipping = true;
				lb->start = lb->end;
				return 0;
			}
			if (!lb->eof || have == 0)
				return 0;
			*len = have;    /* the last line, without a newline */
			lb->consume = have;
		} else {
			*len = (size_t)(nl - p);
			lb->consume = *len + 1;
		}
		lb->start += lb->consume;
		lb->lineno++;
		if (*len > lb->max_line) {
			long_line(lb, p, *len);
			continue;
		}
		*s = p;
		return 1;
	}
}

void
sluice_lines_unget(struct sluice_lines *lb)
{
	lb->start -= lb->consume;
	lb->consume = 0;
	lb->lineno--;
}

int
sluice_lines_fill(struct sluice_lines *lb)
{
	ssize_t n;

	if (lb->start == lb->end) {
		lb->start = 0;
		lb->end = 0;
	} else if (lb->cap - lb->end < READ_CHUNK) {
		memmove(lb->buf, lb->buf + lb->start, lb->end - lb->start);
		lb->end -= lb->start;
		lb->start = 0;
	}
	n = read(STDIN_FILENO, lb->buf + lb->end, lb->cap - lb->end);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		return sluice_fail(lb->cmd, "cannot read stdin: %s", strerror(errno));
	}
	if (n == 0)
		lb->eof = true;
	lb->end += (size_t)n;
	return 0;
}

int
sluice_line_split(struct sluice_lines *lb, const char *s, size_t len, struct sluice_line *l)
{
	const char *tab = memchr(s, '\t', len);

	if (tab == NULL) {
		sluice_bad_line(lb, "no tab: expected partition_key<TAB>data");
		return 1;
	}
	if (key_check(lb, s, tab) != 0)
		return 1;
	l->key = s;
	l->klen = (size_t)(tab - s);
	l->data = tab + 1;
	l->dlen = len - l->klen - 1;
	return 0;
}
