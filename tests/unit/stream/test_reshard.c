/*
 * Unit tests for lib/stream's resharding (stream_reshard.c): split and merge
 * with Kinesis' validation (exact error codes and a log line naming the shard),
 * the exact tables they produce (indexes, ranges, parents, states, ending
 * counters), the table saved once and reopened equal, a failed save that leaves
 * both the handle and stream.meta as they were, and uniform scaling plans
 * 1 -> 2 -> 4 -> 3 -> 2 -> 1 that end in exactly the ranges of a stream created
 * with the target count.
 *
 * Every test works in a fresh mkdtemp directory under /var/tmp, removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_log.h>

#include "slc_hashkey.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "../slc_test.h"

static char tmpdir[64];
static FILE *log_file;

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

static void
make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/var/tmp/slc-test-reshard-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
}

static void
remove_tmpdir(void)
{
	slc_test_rm_rf(tmpdir);
}

static char *
path_of(const char *rel)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, rel);
	return buf[k];
}

static bool
is_dir(const char *rel)
{
	struct stat sb;

	return stat(path_of(rel), &sb) == 0 && S_ISDIR(sb.st_mode);
}

static char *
read_text(const char *rel)
{
	FILE *f = fopen(path_of(rel), "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
log_reset(void)
{
	fflush(log_file);
	CU_ASSERT_EQUAL(ftruncate(fileno(log_file), 0), 0);
	rewind(log_file);
}

static bool
log_has(const char *s)
{
	char buf[16384];
	size_t n;

	fflush(log_file);
	rewind(log_file);
	n = fread(buf, 1, sizeof(buf) - 1, log_file);
	buf[n] = '\0';
	fseek(log_file, 0, SEEK_END);
	return strstr(buf, s) != NULL;
}

static void
expect_shard(const struct slc_stream *st, uint32_t i, enum slc_shard_state state, slc_u128 start,
	slc_u128 end, uint32_t parent, uint32_t adjacent, uint64_t ending)
{
	const struct slc_shard_meta *sh;

	CU_ASSERT_FATAL(i < st->nshards);
	sh = &st->shards[i];
	CU_ASSERT_EQUAL(sh->index, i);
	CU_ASSERT_EQUAL(sh->state, state);
	CU_ASSERT(sh->start_hash == start);
	CU_ASSERT(sh->end_hash == end);
	CU_ASSERT_EQUAL(sh->parent, parent);
	CU_ASSERT_EQUAL(sh->adjacent_parent, adjacent);
	CU_ASSERT_EQUAL(sh->starting_seq, 0);
	CU_ASSERT_EQUAL(sh->ending_seq, ending);
}

static void
expect_same_table(const struct slc_stream *a, const struct slc_stream *b)
{
	uint32_t i;

	CU_ASSERT_EQUAL_FATAL(a->nshards, b->nshards);
	CU_ASSERT_EQUAL(a->meta_version, b->meta_version);
	for (i = 0; i < a->nshards; i++)
		CU_ASSERT(memcmp(&a->shards[i], &b->shards[i], sizeof(a->shards[i])) == 0);
}

/* Open shards sorted by start must be exactly the ranges of `n` equal shards. */
static void
expect_uniform(const struct slc_stream *st, uint32_t n)
{
	uint32_t i, k, nopen = 0;

	for (i = 0; i < st->nshards; i++)
		nopen += st->shards[i].state == SLC_SHARD_OPEN;
	CU_ASSERT_EQUAL(nopen, n);
	for (k = 0; k < n; k++) {
		const struct slc_shard_meta *sh;
		slc_u128 s, e;

		slc_hashkey_range(n, k, &s, &e);
		sh = slc_stream_lookup(st, s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
		CU_ASSERT(sh->start_hash == s);
		CU_ASSERT(sh->end_hash == e);
		CU_ASSERT(slc_stream_lookup(st, e) == sh);
	}
}

/* Plan and apply a scaling step; child indexes must be the predicted ones. */
static void
scale(struct slc_stream *st, uint32_t target, uint32_t want_splits, uint32_t want_merges)
{
	struct slc_reshard_op *ops;
	uint32_t n, i, splits = 0, merges = 0, c1, c2;

	CU_ASSERT_EQUAL_FATAL(slc_stream_scale_plan(st, target, &ops, &n), 0);
	for (i = 0; i < n; i++) {
		const struct slc_reshard_op *op = &ops[i];

		if (op->type == SLC_RESHARD_SPLIT) {
			splits++;
			CU_ASSERT_EQUAL_FATAL(slc_stream_split(st, op->shard, op->new_start,
				st->shards[op->shard].starting_seq + i, &c1, &c2), 0);
			CU_ASSERT_EQUAL(c1, op->child);
			CU_ASSERT_EQUAL(c2, op->child + 1);
		} else {
			merges++;
			CU_ASSERT_EQUAL_FATAL(slc_stream_merge(st, op->shard, op->adjacent, i, i + 1,
				&c1), 0);
			CU_ASSERT_EQUAL(c1, op->child);
			/* the plan names the lower-range shard first */
			CU_ASSERT(st->shards[op->shard].end_hash + 1 ==
				st->shards[op->adjacent].start_hash);
		}
	}
	slc_free(ops);
	CU_ASSERT_EQUAL(splits, want_splits);
	CU_ASSERT_EQUAL(merges, want_merges);
	expect_uniform(st, target);
	/* already there: nothing to do */
	CU_ASSERT_EQUAL(slc_stream_scale_plan(st, target, &ops, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	slc_free(ops);
}

/* ------------------------------------------------------------------ */
/* split                                                               */
/* ------------------------------------------------------------------ */

static void
test_stream_split_ok(void)
{
	struct slc_stream *st, *st2;
	slc_u128 s0, e0, s1, e1, mid;
	uint32_t lo = 0, hi = 0;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 2, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	slc_hashkey_range(2, 0, &s0, &e0);
	slc_hashkey_range(2, 1, &s1, &e1);
	mid = e0 / 2 + 1;
	CU_ASSERT_EQUAL(slc_stream_split(st, 0, mid, 1234, &lo, &hi), 0);
	CU_ASSERT_EQUAL(lo, 2);
	CU_ASSERT_EQUAL(hi, 3);
	CU_ASSERT_EQUAL(st->nshards, 4);
	CU_ASSERT_EQUAL(st->meta_version, 2);
	expect_shard(st, 0, SLC_SHARD_CLOSED, s0, e0, SLC_SHARD_NONE, SLC_SHARD_NONE, 1234);
	expect_shard(st, 1, SLC_SHARD_OPEN, s1, e1, SLC_SHARD_NONE, SLC_SHARD_NONE, UINT64_MAX);
	expect_shard(st, 2, SLC_SHARD_OPEN, s0, mid - 1, 0, SLC_SHARD_NONE, UINT64_MAX);
	expect_shard(st, 3, SLC_SHARD_OPEN, mid, e0, 0, SLC_SHARD_NONE, UINT64_MAX);
	CU_ASSERT(is_dir("streams/s/shardId-000000000002"));
	CU_ASSERT(is_dir("streams/s/shardId-000000000003"));
	/* lookup routes only to open shards */
	CU_ASSERT_EQUAL(slc_stream_lookup(st, 0)->index, 2);
	CU_ASSERT_EQUAL(slc_stream_lookup(st, mid - 1)->index, 2);
	CU_ASSERT_EQUAL(slc_stream_lookup(st, mid)->index, 3);
	CU_ASSERT_EQUAL(slc_stream_lookup(st, e0)->index, 3);
	CU_ASSERT_EQUAL(slc_stream_lookup(st, s1)->index, 1);

	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	slc_stream_close(st2);

	/* split at the range's last key: the high child holds one key; empty parent (end 0) */
	CU_ASSERT_EQUAL(slc_stream_split(st, 1, e1, 0, &lo, &hi), 0);
	CU_ASSERT_EQUAL(lo, 4);
	CU_ASSERT_EQUAL(hi, 5);
	expect_shard(st, 1, SLC_SHARD_CLOSED, s1, e1, SLC_SHARD_NONE, SLC_SHARD_NONE, 0);
	expect_shard(st, 4, SLC_SHARD_OPEN, s1, e1 - 1, 1, SLC_SHARD_NONE, UINT64_MAX);
	expect_shard(st, 5, SLC_SHARD_OPEN, e1, e1, 1, SLC_SHARD_NONE, UINT64_MAX);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	CU_ASSERT_EQUAL(st2->meta_version, 3);
	slc_stream_close(st2);
	slc_stream_close(st);
	remove_tmpdir();
}

static void
test_stream_split_errors(void)
{
	struct slc_stream *st, *st2;
	slc_u128 s0, e0, s1, e1;
	uint32_t lo = 99, hi = 99;
	char *before, *after;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 2, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	slc_hashkey_range(2, 0, &s0, &e0);
	slc_hashkey_range(2, 1, &s1, &e1);
	CU_ASSERT_EQUAL_FATAL(slc_stream_split(st, 0, e0 / 2, 7, NULL, NULL), 0);
	before = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);

	/* a closed shard */
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_split(st, 0, e0 / 4, 7, &lo, &hi), -EINVAL);
	CU_ASSERT(log_has("shard 0 is closed"));
	/* the key at the range's start: the low child would be empty */
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_split(st, 1, s1, 7, &lo, &hi), -EINVAL);
	CU_ASSERT(log_has("is not inside shard 1's range"));
	/* below the start */
	CU_ASSERT_EQUAL(slc_stream_split(st, 1, s1 - 1, 7, &lo, &hi), -EINVAL);
	/* beyond the end (shard 2 ends at e0/2 - 1) */
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_split(st, 2, e0 / 2, 7, &lo, &hi), -EINVAL);
	CU_ASSERT(log_has("is not inside shard 2's range"));
	/* no such shard */
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_split(st, 4, e0 / 2, 7, &lo, &hi), -ENOENT);
	CU_ASSERT(log_has("no shard 4"));
	CU_ASSERT_EQUAL(slc_stream_split(st, SLC_SHARD_NONE, e0 / 2, 7, &lo, &hi), -ENOENT);
	/* an ending counter that cannot be one */
	CU_ASSERT_EQUAL(slc_stream_split(st, 1, s1 + 1, UINT64_MAX, &lo, &hi), -EINVAL);
	/* a file left in the next shard's directory */
	CU_ASSERT_EQUAL_FATAL(mkdir(path_of("streams/s/shardId-000000000004"), 0755), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(path_of("streams/s/shardId-000000000004/x"), 0755), 0);
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_split(st, 1, s1 + 1, 0, &lo, &hi), -EEXIST);
	CU_ASSERT(log_has("already holds files"));
	CU_ASSERT(!is_dir("streams/s/shardId-000000000005"));

	/* nothing changed: handle, file, outputs */
	CU_ASSERT_EQUAL(lo, 99);
	CU_ASSERT_EQUAL(hi, 99);
	CU_ASSERT_EQUAL(st->nshards, 4);
	CU_ASSERT_EQUAL(st->meta_version, 2);
	CU_ASSERT_EQUAL(st->shards[1].state, SLC_SHARD_OPEN);
	after = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);

	/* an empty directory left by a crashed reshard is reused */
	CU_ASSERT_EQUAL_FATAL(rmdir(path_of("streams/s/shardId-000000000004/x")), 0);
	CU_ASSERT_EQUAL(slc_stream_split(st, 1, s1 + 1, 0, &lo, &hi), 0);
	CU_ASSERT_EQUAL(lo, 4);
	CU_ASSERT_EQUAL(hi, 5);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	slc_stream_close(st2);
	free(before);
	slc_stream_close(st);
	remove_tmpdir();
}

/* A save that fails before the rename leaves the old table on disk and in the handle. */
static void
test_stream_split_failed_save(void)
{
	struct slc_stream *st, *st2;
	struct slc_shard_meta copy[2];
	slc_u128 s0, e0;
	char *before, *after;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 2, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	slc_hashkey_range(2, 0, &s0, &e0);
	memcpy(copy, st->shards, sizeof(copy));
	before = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	/* the writer cannot create its temporary file: fails before any rename */
	CU_ASSERT_EQUAL_FATAL(mkdir(path_of("streams/s/stream.meta.tmp"), 0755), 0);
	CU_ASSERT_EQUAL(slc_stream_split(st, 0, e0 / 2, 5, NULL, NULL), -EISDIR);
	CU_ASSERT_EQUAL(slc_stream_merge(st, 0, 1, 5, 6, NULL), -EISDIR);
	CU_ASSERT_EQUAL(st->nshards, 2);
	CU_ASSERT_EQUAL(st->meta_version, 1);
	CU_ASSERT(memcmp(copy, st->shards, sizeof(copy)) == 0);
	CU_ASSERT(!is_dir("streams/s/shardId-000000000002"));
	CU_ASSERT(!is_dir("streams/s/shardId-000000000003"));
	after = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	slc_stream_close(st2);

	/* once the obstacle is gone the same split goes through */
	CU_ASSERT_EQUAL_FATAL(rmdir(path_of("streams/s/stream.meta.tmp")), 0);
	CU_ASSERT_EQUAL(slc_stream_split(st, 0, e0 / 2, 5, NULL, NULL), 0);
	CU_ASSERT_EQUAL(st->nshards, 4);
	CU_ASSERT_EQUAL(st->meta_version, 2);
	free(before);
	slc_stream_close(st);
	remove_tmpdir();
}

/* ------------------------------------------------------------------ */
/* merge                                                               */
/* ------------------------------------------------------------------ */

static void
test_stream_merge_ok(void)
{
	struct slc_stream *st, *st2;
	slc_u128 s0, e0, s1, e1, mid;
	uint32_t child = 0;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 2, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	slc_hashkey_range(2, 0, &s0, &e0);
	slc_hashkey_range(2, 1, &s1, &e1);
	mid = e0 / 2 + 1;
	CU_ASSERT_EQUAL_FATAL(slc_stream_split(st, 0, mid, 10, NULL, NULL), 0);
	/* the higher-range shard given first: parent = 1, adjacent parent = 3 (Kinesis) */
	CU_ASSERT_EQUAL(slc_stream_merge(st, 1, 3, 20, 0, &child), 0);
	CU_ASSERT_EQUAL(child, 4);
	CU_ASSERT_EQUAL(st->nshards, 5);
	CU_ASSERT_EQUAL(st->meta_version, 3);
	expect_shard(st, 0, SLC_SHARD_CLOSED, s0, e0, SLC_SHARD_NONE, SLC_SHARD_NONE, 10);
	expect_shard(st, 1, SLC_SHARD_CLOSED, s1, e1, SLC_SHARD_NONE, SLC_SHARD_NONE, 20);
	expect_shard(st, 2, SLC_SHARD_OPEN, s0, mid - 1, 0, SLC_SHARD_NONE, UINT64_MAX);
	expect_shard(st, 3, SLC_SHARD_CLOSED, mid, e0, 0, SLC_SHARD_NONE, 0);
	expect_shard(st, 4, SLC_SHARD_OPEN, mid, e1, 1, 3, UINT64_MAX);
	CU_ASSERT(is_dir("streams/s/shardId-000000000004"));
	CU_ASSERT_EQUAL(slc_stream_lookup(st, mid)->index, 4);
	CU_ASSERT_EQUAL(slc_stream_lookup(st, SLC_U128_MAX)->index, 4);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	slc_stream_close(st2);

	/* lower first: the whole space in one shard again */
	CU_ASSERT_EQUAL(slc_stream_merge(st, 2, 4, 3, 4, &child), 0);
	CU_ASSERT_EQUAL(child, 5);
	expect_shard(st, 5, SLC_SHARD_OPEN, 0, SLC_U128_MAX, 2, 4, UINT64_MAX);
	expect_shard(st, 4, SLC_SHARD_CLOSED, mid, e1, 1, 3, 4);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	slc_stream_close(st2);
	slc_stream_close(st);
	remove_tmpdir();
}

static void
test_stream_merge_errors(void)
{
	struct slc_stream *st;
	uint32_t child = 99;
	char *before, *after;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 4, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL_FATAL(slc_stream_merge(st, 2, 3, 0, 0, NULL), 0);    /* -> 4 */
	before = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);

	log_reset();
	CU_ASSERT_EQUAL(slc_stream_merge(st, 1, 1, 0, 0, &child), -EINVAL);
	CU_ASSERT(log_has("shard 1 cannot be merged with itself"));
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_merge(st, 0, 4, 0, 0, &child), -EINVAL);
	CU_ASSERT(log_has("shards 0 ["));
	CU_ASSERT(log_has("are not adjacent"));
	CU_ASSERT_EQUAL(slc_stream_merge(st, 4, 0, 0, 0, &child), -EINVAL);
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_merge(st, 1, 2, 0, 0, &child), -EINVAL);
	CU_ASSERT(log_has("shard 2 is closed"));
	CU_ASSERT_EQUAL(slc_stream_merge(st, 2, 1, 0, 0, &child), -EINVAL);
	CU_ASSERT_EQUAL(slc_stream_merge(st, 1, 5, 0, 0, &child), -ENOENT);
	CU_ASSERT_EQUAL(slc_stream_merge(st, 1, 4, 0, UINT64_MAX, &child), -EINVAL);
	CU_ASSERT_EQUAL(child, 99);
	CU_ASSERT_EQUAL(st->nshards, 5);
	CU_ASSERT_EQUAL(st->meta_version, 2);
	after = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	free(before);
	/* and the adjacent pair goes through */
	CU_ASSERT_EQUAL(slc_stream_merge(st, 4, 1, 0, 0, &child), 0);
	CU_ASSERT_EQUAL(child, 5);
	slc_stream_close(st);
	remove_tmpdir();
}

/* ------------------------------------------------------------------ */
/* scaling plans                                                       */
/* ------------------------------------------------------------------ */

static void
test_stream_scale_plan_sequence(void)
{
	struct slc_reshard_op *ops;
	struct slc_stream *st, *st2;
	uint32_t n;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	scale(st, 2, 1, 0);
	CU_ASSERT_EQUAL(st->nshards, 3);
	scale(st, 4, 2, 0);
	CU_ASSERT_EQUAL(st->nshards, 7);
	/* 4 -> 3: split at 1/3 and 2/3, then three merges */
	scale(st, 3, 2, 3);
	CU_ASSERT_EQUAL(st->nshards, 14);
	/* more than half at once is refused, as Kinesis does */
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_scale_plan(st, 1, &ops, &n), -EINVAL);
	CU_ASSERT(log_has("give 2..6"));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(ops);
	CU_ASSERT_EQUAL(slc_stream_scale_plan(st, 7, &ops, &n), -EINVAL);
	CU_ASSERT_EQUAL(slc_stream_scale_plan(st, 0, &ops, &n), -EINVAL);
	/* 3 -> 2: split the middle shard at 1/2, merge each half's pair */
	scale(st, 2, 1, 2);
	scale(st, 1, 0, 1);
	expect_shard(st, st->nshards - 1, SLC_SHARD_OPEN, 0, SLC_U128_MAX, st->nshards - 3,
		st->nshards - 2, UINT64_MAX);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	expect_same_table(st, st2);
	slc_stream_close(st2);
	slc_stream_close(st);
	remove_tmpdir();
}

/* An uneven table (after a hand-made split) scales to exact uniform ranges. */
static void
test_stream_scale_plan_uneven(void)
{
	struct slc_stream *st;
	slc_u128 s, e;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 3, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	slc_hashkey_range(3, 1, &s, &e);
	CU_ASSERT_EQUAL_FATAL(slc_stream_split(st, 1, s + 12345, 0, NULL, NULL), 0);
	/* open: [0], [1 lo tiny], [1 hi], [2]: 4 shards to 4 equal ones */
	scale(st, 4, 3, 3);
	scale(st, 5, 4, 3);
	slc_stream_close(st);
	remove_tmpdir();
}

int
main(void)
{
	CU_pSuite s;
	unsigned int fails;

	log_file = tmpfile();
	if (log_file == NULL)
		return 1;
	rte_openlog_stream(log_file);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("reshard", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "stream_split_ok", test_stream_split_ok) == NULL ||
	    CU_add_test(s, "stream_split_errors", test_stream_split_errors) == NULL ||
	    CU_add_test(s, "stream_split_failed_save", test_stream_split_failed_save) == NULL ||
	    CU_add_test(s, "stream_merge_ok", test_stream_merge_ok) == NULL ||
	    CU_add_test(s, "stream_merge_errors", test_stream_merge_errors) == NULL ||
	    CU_add_test(s, "stream_scale_plan_sequence",
		test_stream_scale_plan_sequence) == NULL ||
	    CU_add_test(s, "stream_scale_plan_uneven", test_stream_scale_plan_uneven) == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	rte_openlog_stream(NULL);
	fclose(log_file);
	return fails == 0 ? 0 : 1;
}
