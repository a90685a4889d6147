/*
 * Unit tests for lib/stream: stream names, shard ids, public sequence numbers,
 * and streams on disk (create, open, save, list, lookup), including the exact
 * stream.meta text of docs/stream-meta.md and the reader's rejection of invalid
 * files with EBADMSG and a log line that names the line.
 *
 * Every test works in a fresh mkdtemp directory under /var/tmp, removed at the
 * end. Log output of the library is captured in a temporary file so that the
 * tests can check what it names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
	snprintf(tmpdir, sizeof(tmpdir), "/var/tmp/slc-test-stream-XXXXXX");
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
exists(const char *rel)
{
	struct stat sb;

	return stat(path_of(rel), &sb) == 0;
}

static bool
is_dir(const char *rel)
{
	struct stat sb;

	return stat(path_of(rel), &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void
write_text(const char *rel, const char *text)
{
	FILE *f = fopen(path_of(rel), "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* slurp a file; caller frees */
static char *
read_text(const char *rel)
{
	FILE *f = fopen(path_of(rel), "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Forget earlier log output. */
static void
log_reset(void)
{
	fflush(log_file);
	CU_ASSERT(ftruncate(fileno(log_file), 0) == 0);
	rewind(log_file);
}

/* True if the library logged a line containing s since log_reset(). */
static bool
log_has(const char *s)
{
	static char buf[16384];
	size_t n;

	fflush(log_file);
	rewind(log_file);
	n = fread(buf, 1, sizeof(buf) - 1, log_file);
	buf[n] = '\0';
	fseek(log_file, 0, SEEK_END);
	if (strstr(buf, s) == NULL) {
		fprintf(stderr, "\n  log lacks '%s'; log is: %s\n", s, buf);
		return false;
	}
	return true;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
assert_dec(slc_u128 v, const char *expect)
{
	char buf[SLC_U128_STRLEN];

	slc_hashkey_format(v, buf);
	CU_ASSERT_STRING_EQUAL(buf, expect);
}

/* ------------------------------------------------------------------ */
/* names, shard ids, sequence numbers                                  */
/* ------------------------------------------------------------------ */

static void
test_stream_name_valid_cases(void)
{
	char longname[SLC_STREAM_NAME_MAX + 2];

	CU_ASSERT(slc_stream_name_valid("a"));
	CU_ASSERT(slc_stream_name_valid("sensors"));
	CU_ASSERT(slc_stream_name_valid("A-b_c.9"));
	CU_ASSERT(slc_stream_name_valid("..."));
	CU_ASSERT(slc_stream_name_valid(".hidden"));
	memset(longname, 'x', SLC_STREAM_NAME_MAX);
	longname[SLC_STREAM_NAME_MAX] = '\0';
	CU_ASSERT(slc_stream_name_valid(longname));
	longname[SLC_STREAM_NAME_MAX] = 'x';
	longname[SLC_STREAM_NAME_MAX + 1] = '\0';
	CU_ASSERT(!slc_stream_name_valid(longname));

	CU_ASSERT(!slc_stream_name_valid(NULL));
	CU_ASSERT(!slc_stream_name_valid(""));
	CU_ASSERT(!slc_stream_name_valid("."));
	CU_ASSERT(!slc_stream_name_valid(".."));
	CU_ASSERT(!slc_stream_name_valid("a/b"));
	CU_ASSERT(!slc_stream_name_valid("a b"));
	CU_ASSERT(!slc_stream_name_valid("a~new"));
	CU_ASSERT(!slc_stream_name_valid("caf\xc3\xa9"));
	CU_ASSERT(!slc_stream_name_valid("a\n"));
}

static void
test_shard_id_format_cases(void)
{
	char buf[SLC_SHARD_ID_LEN + 1];

	slc_shard_id_format(0, buf);
	CU_ASSERT_STRING_EQUAL(buf, "shardId-000000000000");
	slc_shard_id_format(7, buf);
	CU_ASSERT_STRING_EQUAL(buf, "shardId-000000000007");
	CU_ASSERT_EQUAL(strlen(buf), SLC_SHARD_ID_LEN);
	slc_shard_id_format(4294967294u, buf);
	CU_ASSERT_STRING_EQUAL(buf, "shardId-004294967294");
}

static void
test_shard_id_parse_ok(void)
{
	char buf[SLC_SHARD_ID_LEN + 1];
	uint32_t idx = 99, i;

	CU_ASSERT_EQUAL(slc_shard_id_parse("shardId-000000000007", &idx), 0);
	CU_ASSERT_EQUAL(idx, 7);
	CU_ASSERT_EQUAL(slc_shard_id_parse("shardId-000000000000", &idx), 0);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(slc_shard_id_parse("12", &idx), 0);
	CU_ASSERT_EQUAL(idx, 12);
	CU_ASSERT_EQUAL(slc_shard_id_parse("0", &idx), 0);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(slc_shard_id_parse("007", &idx), 0);
	CU_ASSERT_EQUAL(idx, 7);
	CU_ASSERT_EQUAL(slc_shard_id_parse("4294967294", &idx), 0);
	CU_ASSERT_EQUAL(idx, 4294967294u);
	CU_ASSERT_EQUAL(slc_shard_id_parse("shardId-004294967294", &idx), 0);
	CU_ASSERT_EQUAL(idx, 4294967294u);
	for (i = 0; i < 5000; i += 7) {
		slc_shard_id_format(i, buf);
		CU_ASSERT_EQUAL(slc_shard_id_parse(buf, &idx), 0);
		CU_ASSERT_EQUAL(idx, i);
	}
}

static void
test_shard_id_parse_errors(void)
{
	static const char *bad[] = {
		"", "shardId-", "shardId-7", "shardId-0000000000007", "shardId-00000000000a",
		"shardid-000000000007", "ShardId-000000000007", "shardId-+00000000007",
		"shardId- 00000000007", "shardId-000000000007 ", "-1", "+1", " 7", "7 ",
		"0x7", "7a", "4294967295", "4294967296", "12345678901", "shardId-004294967295",
		"shardId-999999999999",
	};
	uint32_t idx = 1234;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (slc_shard_id_parse(bad[i], &idx) != -EINVAL)
			fprintf(stderr, "\n  accepted '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(slc_shard_id_parse(bad[i], &idx), -EINVAL);
	}
	CU_ASSERT_EQUAL(slc_shard_id_parse(NULL, &idx), -EINVAL);
	CU_ASSERT_EQUAL(idx, 1234);
}

static void
test_seq_format_examples(void)
{
	char buf[SLC_SEQ_STRLEN];

	/* docs/log-format.md examples */
	slc_seq_format(0, 0, buf);
	CU_ASSERT_STRING_EQUAL(buf, "170141183460469231731687303715884105728");
	slc_seq_format(3, 5, buf);
	CU_ASSERT_STRING_EQUAL(buf, "170141183460469231787027535937012760581");
	/* 2^127 + 2^64 - 1 and 2^127 + 2^64: counter carries into the shard */
	slc_seq_format(0, UINT64_MAX, buf);
	CU_ASSERT_STRING_EQUAL(buf, "170141183460469231750134047789593657343");
	slc_seq_format(1, 0, buf);
	CU_ASSERT_STRING_EQUAL(buf, "170141183460469231750134047789593657344");
	/* largest: 2^127 + 2^96 - 1, still 39 digits */
	slc_seq_format(UINT32_MAX, UINT64_MAX, buf);
	CU_ASSERT_STRING_EQUAL(buf, "170141183539697394245951641309428056063");
	CU_ASSERT_EQUAL(strlen(buf), 39);
}

static void
test_seq_parse_round_trip(void)
{
	static const uint32_t shards[] = { 0, 1, 2, 3, 10, 4095, 65536, UINT32_MAX };
	static const uint64_t counters[] = {
		0, 1, 5, 9, 10, 99, 100, 1ull << 32, UINT64_MAX - 1, UINT64_MAX,
	};
	char buf[SLC_SEQ_STRLEN];
	uint32_t sh;
	uint64_t c;
	size_t i, j;

	for (i = 0; i < sizeof(shards) / sizeof(shards[0]); i++) {
		for (j = 0; j < sizeof(counters) / sizeof(counters[0]); j++) {
			slc_seq_format(shards[i], counters[j], buf);
			CU_ASSERT_EQUAL(strlen(buf), 39);
			sh = 0xdead;
			c = 0xbeef;
			CU_ASSERT_EQUAL(slc_seq_parse(buf, &sh, &c), 0);
			CU_ASSERT_EQUAL(sh, shards[i]);
			CU_ASSERT_EQUAL(c, counters[j]);
		}
	}
	CU_ASSERT_EQUAL(slc_seq_parse("170141183460469231787027535937012760581", &sh, &c), 0);
	CU_ASSERT_EQUAL(sh, 3);
	CU_ASSERT_EQUAL(c, 5);
}

/* String order of formatted sequence numbers equals (shard, counter) order. */
static void
test_seq_format_order(void)
{
	static const uint32_t shards[] = { 0, 1, 2, 9, 10, 11, 100, UINT32_MAX };
	static const uint64_t counters[] = {
		0, 1, 9, 10, 99, 100, 999, 1000, 123456789, 1ull << 63, UINT64_MAX,
	};
	enum { NS = sizeof(shards) / sizeof(shards[0]) };
	enum { NC = sizeof(counters) / sizeof(counters[0]) };
	char s[NS * NC][SLC_SEQ_STRLEN];
	size_t a, b;

	/* generated in increasing (shard, counter) order */
	for (a = 0; a < NS; a++)
		for (b = 0; b < NC; b++)
			slc_seq_format(shards[a], counters[b], s[a * NC + b]);
	for (a = 0; a < NS * NC; a++)
		for (b = 0; b < NS * NC; b++) {
			int r = strcmp(s[a], s[b]);

			CU_ASSERT((a < b && r < 0) || (a == b && r == 0) || (a > b && r > 0));
		}
}

static void
test_seq_parse_errors(void)
{
	static const char *bad[] = {
		"",
		"0",
		"17014118346046923173168730371588410572",     /* 38 digits */
		"1701411834604692317316873037158841057280",   /* 40 digits */
		"170141183460469231731687303715884105727",    /* 2^127 - 1 */
		"000000000000000000000000000000000000000",
		"170141183539697394245951641309428056064",    /* shard 2^32 */
		"340282366920938463463374607431768211455",    /* 2^128 - 1 */
		"999999999999999999999999999999999999999",    /* above 2^128 */
		" 70141183460469231731687303715884105728",
		"17014118346046923173168730371588410572 ",
		"+70141183460469231731687303715884105728",
		"17014118346046923173168730371588410572a",
		"-170141183460469231731687303715884105728",
	};
	uint32_t sh = 77;
	uint64_t c = 88;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (slc_seq_parse(bad[i], &sh, &c) != -EINVAL)
			fprintf(stderr, "\n  accepted '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(slc_seq_parse(bad[i], &sh, &c), -EINVAL);
	}
	CU_ASSERT_EQUAL(slc_seq_parse(NULL, &sh, &c), -EINVAL);
	CU_ASSERT_EQUAL(sh, 77);
	CU_ASSERT_EQUAL(c, 88);
}

static void
test_compression_durability_names(void)
{
	enum slc_compression c = SLC_COMPRESSION_DEFLATE;
	enum slc_durability d = SLC_DURABILITY_FSYNC;

	CU_ASSERT_STRING_EQUAL(slc_compression_name(SLC_COMPRESSION_NONE), "none");
	CU_ASSERT_STRING_EQUAL(slc_compression_name(SLC_COMPRESSION_DEFLATE), "deflate");
	CU_ASSERT_STRING_EQUAL(slc_durability_name(SLC_DURABILITY_DIRECT), "direct");
	CU_ASSERT_STRING_EQUAL(slc_durability_name(SLC_DURABILITY_FSYNC), "fsync");
	CU_ASSERT_EQUAL(slc_compression_parse("none", &c), 0);
	CU_ASSERT_EQUAL(c, SLC_COMPRESSION_NONE);
	CU_ASSERT_EQUAL(slc_compression_parse("deflate", &c), 0);
	CU_ASSERT_EQUAL(c, SLC_COMPRESSION_DEFLATE);
	CU_ASSERT_EQUAL(slc_durability_parse("direct", &d), 0);
	CU_ASSERT_EQUAL(d, SLC_DURABILITY_DIRECT);
	CU_ASSERT_EQUAL(slc_durability_parse("fsync", &d), 0);
	CU_ASSERT_EQUAL(d, SLC_DURABILITY_FSYNC);

	CU_ASSERT_EQUAL(slc_compression_parse("", &c), -EINVAL);
	CU_ASSERT_EQUAL(slc_compression_parse("Deflate", &c), -EINVAL);
	CU_ASSERT_EQUAL(slc_compression_parse("gzip", &c), -EINVAL);
	CU_ASSERT_EQUAL(slc_compression_parse("none ", &c), -EINVAL);
	CU_ASSERT_EQUAL(slc_compression_parse(NULL, &c), -EINVAL);
	CU_ASSERT_EQUAL(c, SLC_COMPRESSION_DEFLATE);
	CU_ASSERT_EQUAL(slc_durability_parse("", &d), -EINVAL);
	CU_ASSERT_EQUAL(slc_durability_parse("sync", &d), -EINVAL);
	CU_ASSERT_EQUAL(slc_durability_parse("FSYNC", &d), -EINVAL);
	CU_ASSERT_EQUAL(slc_durability_parse(NULL, &d), -EINVAL);
	CU_ASSERT_EQUAL(d, SLC_DURABILITY_FSYNC);
}

/* ------------------------------------------------------------------ */
/* streams on disk                                                     */
/* ------------------------------------------------------------------ */

static void
test_stream_settings_default_values(void)
{
	struct slc_stream_settings s;

	memset(&s, 0xff, sizeof(s));
	slc_stream_settings_default(&s);
	CU_ASSERT_EQUAL(s.compression, SLC_COMPRESSION_NONE);
	CU_ASSERT_EQUAL(s.durability, SLC_DURABILITY_DIRECT);
	CU_ASSERT_EQUAL(s.max_record, 1u << 20);
	CU_ASSERT_EQUAL(s.retention_hours, 24);
}

static void
assert_same_stream(const struct slc_stream *a, const struct slc_stream *b)
{
	uint32_t i;

	CU_ASSERT_STRING_EQUAL(a->name, b->name);
	CU_ASSERT_STRING_EQUAL(a->dir, b->dir);
	CU_ASSERT_EQUAL(a->created_ms, b->created_ms);
	CU_ASSERT_EQUAL(a->meta_version, b->meta_version);
	CU_ASSERT_EQUAL(a->settings.compression, b->settings.compression);
	CU_ASSERT_EQUAL(a->settings.durability, b->settings.durability);
	CU_ASSERT_EQUAL(a->settings.max_record, b->settings.max_record);
	CU_ASSERT_EQUAL(a->settings.retention_hours, b->settings.retention_hours);
	CU_ASSERT_EQUAL_FATAL(a->nshards, b->nshards);
	for (i = 0; i < a->nshards; i++) {
		const struct slc_shard_meta *x = &a->shards[i], *y = &b->shards[i];

		CU_ASSERT_EQUAL(x->index, y->index);
		CU_ASSERT_EQUAL(x->state, y->state);
		CU_ASSERT(x->start_hash == y->start_hash);
		CU_ASSERT(x->end_hash == y->end_hash);
		CU_ASSERT_EQUAL(x->parent, y->parent);
		CU_ASSERT_EQUAL(x->adjacent_parent, y->adjacent_parent);
		CU_ASSERT_EQUAL(x->starting_seq, y->starting_seq);
		CU_ASSERT_EQUAL(x->ending_seq, y->ending_seq);
	}
}

static void
test_stream_create_open_round_trip(void)
{
	struct slc_stream_settings set = {
		.compression = SLC_COMPRESSION_DEFLATE,
		.durability = SLC_DURABILITY_FSYNC,
		.max_record = 4096,
		.retention_hours = 48,
	};
	struct slc_stream *st, *st2;
	char expect[2048], data[512], dir[600];
	uint64_t t0, t1;
	char *text;
	uint32_t i;

	make_tmpdir();
	/* data dir two levels below the tmp dir: created on the way */
	snprintf(data, sizeof(data), "%s/a/data", tmpdir);
	t0 = now_ms();
	st = slc_stream_create(data, "sensors", 3, &set);
	t1 = now_ms();
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);

	snprintf(dir, sizeof(dir), "%s/streams/sensors", data);
	CU_ASSERT_STRING_EQUAL(st->name, "sensors");
	CU_ASSERT_STRING_EQUAL(st->dir, dir);
	CU_ASSERT(st->created_ms >= t0 && st->created_ms <= t1);
	CU_ASSERT_EQUAL(st->meta_version, 1);
	CU_ASSERT_EQUAL(st->settings.compression, SLC_COMPRESSION_DEFLATE);
	CU_ASSERT_EQUAL(st->settings.durability, SLC_DURABILITY_FSYNC);
	CU_ASSERT_EQUAL(st->settings.max_record, 4096);
	CU_ASSERT_EQUAL(st->settings.retention_hours, 48);
	CU_ASSERT_EQUAL_FATAL(st->nshards, 3);
	for (i = 0; i < 3; i++) {
		slc_u128 s, e;

		slc_hashkey_range(3, i, &s, &e);
		CU_ASSERT_EQUAL(st->shards[i].index, i);
		CU_ASSERT_EQUAL(st->shards[i].state, SLC_SHARD_OPEN);
		CU_ASSERT(st->shards[i].start_hash == s);
		CU_ASSERT(st->shards[i].end_hash == e);
		CU_ASSERT_EQUAL(st->shards[i].parent, SLC_SHARD_NONE);
		CU_ASSERT_EQUAL(st->shards[i].adjacent_parent, SLC_SHARD_NONE);
		CU_ASSERT_EQUAL(st->shards[i].starting_seq, 0);
		CU_ASSERT_EQUAL(st->shards[i].ending_seq, UINT64_MAX);
	}
	CU_ASSERT(is_dir("a/data/streams/sensors/shardId-000000000000"));
	CU_ASSERT(is_dir("a/data/streams/sensors/shardId-000000000001"));
	CU_ASSERT(is_dir("a/data/streams/sensors/shardId-000000000002"));
	CU_ASSERT(!exists("a/data/streams/sensors/shardId-000000000003"));
	CU_ASSERT(!exists("a/data/streams/sensors/stream.meta.tmp"));
	CU_ASSERT(!exists("a/data/streams/sensors~new"));

	/* the file, byte for byte, in the format of docs/stream-meta.md */
	snprintf(expect, sizeof(expect),
		"sluice-stream-meta 1\n"
		"name sensors\n"
		"created_ms %llu\n"
		"meta_version 1\n"
		"compression deflate\n"
		"durability fsync\n"
		"max_record 4096\n"
		"retention_hours 48\n"
		"shards 3\n"
		"shard 0 open 0 113427455640312821154458202477256070484 - - 0 -\n"
		"shard 1 open 113427455640312821154458202477256070485 "
		"226854911280625642308916404954512140969 - - 0 -\n"
		"shard 2 open 226854911280625642308916404954512140970 "
		"340282366920938463463374607431768211455 - - 0 -\n"
		"end\n", (unsigned long long)st->created_ms);
	text = read_text("a/data/streams/sensors/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, expect);
	free(text);

	st2 = slc_stream_open(data, "sensors");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	assert_same_stream(st, st2);
	slc_stream_close(st2);
	slc_stream_close(st);

	/* defaults when settings is NULL; 1 shard covers all */
	st = slc_stream_create(data, "one", 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(st->settings.max_record, SLC_STREAM_MAX_RECORD_DEFAULT);
	CU_ASSERT_EQUAL(st->settings.retention_hours, 24);
	CU_ASSERT(st->shards[0].start_hash == 0);
	CU_ASSERT(st->shards[0].end_hash == SLC_U128_MAX);
	st2 = slc_stream_open(data, "one");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	assert_same_stream(st, st2);
	slc_stream_close(st2);
	slc_stream_close(st);
	remove_tmpdir();
}

static void
test_stream_create_exists(void)
{
	struct slc_stream *st, *st2;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 2, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	errno = 0;
	st2 = slc_stream_create(tmpdir, "s", 5, NULL);
	CU_ASSERT_PTR_NULL(st2);
	CU_ASSERT_EQUAL(errno, EEXIST);
	slc_stream_close(st2);
	/* the first one is untouched */
	slc_stream_close(st);
	st = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(st->nshards, 2);
	CU_ASSERT_EQUAL(st->meta_version, 1);
	CU_ASSERT(!exists("streams/s/shardId-000000000002"));
	CU_ASSERT(!exists("streams/s~new"));
	slc_stream_close(st);

	/* a scratch directory left by a crashed create does not block a create */
	CU_ASSERT_FATAL(mkdir(path_of("streams/t~new"), 0755) == 0);
	CU_ASSERT_FATAL(mkdir(path_of("streams/t~new/shardId-000000000000"), 0755) == 0);
	write_text("streams/t~new/stream.meta.tmp", "sluice-stream-meta 1\nna");
	st = slc_stream_create(tmpdir, "t", 1, NULL);
	CU_ASSERT_PTR_NOT_NULL(st);
	CU_ASSERT(!exists("streams/t~new"));
	CU_ASSERT(is_dir("streams/t/shardId-000000000000"));
	slc_stream_close(st);
	remove_tmpdir();
}

static void
expect_create_einval(const char *name, uint32_t n, const struct slc_stream_settings *s)
{
	struct slc_stream *st;

	errno = 0;
	st = slc_stream_create(tmpdir, name, n, s);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, EINVAL);
	slc_stream_close(st);
}

static void
test_stream_create_errors(void)
{
	struct slc_stream_settings s;
	struct slc_stream *st;
	char **names;
	uint32_t n;

	make_tmpdir();
	slc_stream_settings_default(&s);
	expect_create_einval("", 1, &s);
	expect_create_einval("a/b", 1, &s);
	expect_create_einval("..", 1, &s);
	expect_create_einval(NULL, 1, &s);
	expect_create_einval("x", 0, &s);
	expect_create_einval("x", SLC_STREAM_SHARDS_MAX + 1, &s);
	s.max_record = 0;
	expect_create_einval("x", 1, &s);
	s.max_record = (64u << 20) + 1;
	expect_create_einval("x", 1, &s);
	slc_stream_settings_default(&s);
	s.retention_hours = 0;
	expect_create_einval("x", 1, &s);
	s.retention_hours = 8761;
	expect_create_einval("x", 1, &s);
	slc_stream_settings_default(&s);
	s.compression = (enum slc_compression)7;
	expect_create_einval("x", 1, &s);
	slc_stream_settings_default(&s);
	s.durability = (enum slc_durability)5;
	expect_create_einval("x", 1, &s);

	/* nothing was created */
	CU_ASSERT_EQUAL(slc_stream_list(tmpdir, &names, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	slc_stream_list_free(names, n);
	CU_ASSERT(!exists("streams/x"));

	/* the limits themselves are valid */
	s.durability = SLC_DURABILITY_DIRECT;
	s.max_record = 64u << 20;
	s.retention_hours = 8760;
	st = slc_stream_create(tmpdir, "x", 1, &s);
	CU_ASSERT_PTR_NOT_NULL(st);
	slc_stream_close(st);
	s.max_record = 1;
	s.retention_hours = 1;
	st = slc_stream_create(tmpdir, "y", SLC_STREAM_SHARDS_MAX, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(st->nshards, SLC_STREAM_SHARDS_MAX);
	slc_stream_close(st);
	st = slc_stream_open(tmpdir, "y");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(st->nshards, SLC_STREAM_SHARDS_MAX);
	CU_ASSERT_EQUAL(st->settings.max_record, 1);
	CU_ASSERT_EQUAL(st->settings.retention_hours, 1);
	slc_stream_close(st);

	/* data_dir is a file: the errno of mkdir */
	write_text("file", "x");
	errno = 0;
	st = slc_stream_create(path_of("file"), "z", 1, NULL);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, ENOTDIR);
	remove_tmpdir();
}

static void
test_stream_open_missing(void)
{
	struct slc_stream *st;

	make_tmpdir();
	errno = 0;
	st = slc_stream_open(tmpdir, "nope");
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, ENOENT);
	st = slc_stream_create(tmpdir, "yes", 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	slc_stream_close(st);
	errno = 0;
	st = slc_stream_open(tmpdir, "nope");
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, ENOENT);
	/* a directory without stream.meta is no stream */
	CU_ASSERT_FATAL(mkdir(path_of("streams/half"), 0755) == 0);
	errno = 0;
	st = slc_stream_open(tmpdir, "half");
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, ENOENT);
	errno = 0;
	st = slc_stream_open(path_of("no-such-dir"), "yes");
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, ENOENT);
	errno = 0;
	st = slc_stream_open(tmpdir, "../streams");
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, EINVAL);
	remove_tmpdir();
}

/* The example of docs/stream-meta.md, verbatim. */
static const char doc_example[] =
	"sluice-stream-meta 1\n"
	"name sensors\n"
	"created_ms 1795300000000\n"
	"meta_version 3\n"
	"compression deflate\n"
	"durability direct\n"
	"max_record 1048576\n"
	"retention_hours 24\n"
	"shards 2\n"
	"shard 0 open 0 170141183460469231731687303715884105727 - - 0 -\n"
	"shard 1 open 170141183460469231731687303715884105728 "
	"340282366920938463463374607431768211455 - - 0 -\n"
	"end\n";

static void
test_stream_open_doc_example(void)
{
	struct slc_stream *st;

	make_tmpdir();
	CU_ASSERT_FATAL(mkdir(path_of("streams"), 0755) == 0);
	CU_ASSERT_FATAL(mkdir(path_of("streams/sensors"), 0755) == 0);
	write_text("streams/sensors/stream.meta", doc_example);
	st = slc_stream_open(tmpdir, "sensors");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_STRING_EQUAL(st->name, "sensors");
	CU_ASSERT_STRING_EQUAL(st->dir, path_of("streams/sensors"));
	CU_ASSERT_EQUAL(st->created_ms, 1795300000000ull);
	CU_ASSERT_EQUAL(st->meta_version, 3);
	CU_ASSERT_EQUAL(st->settings.compression, SLC_COMPRESSION_DEFLATE);
	CU_ASSERT_EQUAL(st->settings.durability, SLC_DURABILITY_DIRECT);
	CU_ASSERT_EQUAL(st->settings.max_record, 1048576);
	CU_ASSERT_EQUAL(st->settings.retention_hours, 24);
	CU_ASSERT_EQUAL_FATAL(st->nshards, 2);
	assert_dec(st->shards[0].end_hash, "170141183460469231731687303715884105727");
	assert_dec(st->shards[1].start_hash, "170141183460469231731687303715884105728");
	CU_ASSERT(st->shards[1].end_hash == SLC_U128_MAX);
	CU_ASSERT_EQUAL(st->shards[1].ending_seq, UINT64_MAX);
	slc_stream_close(st);
	remove_tmpdir();
}

/*
 * Replace the first occurrence of from in the doc example by to, write it as
 * stream "sensors", open: must fail with EBADMSG and log "line <line>".
 */
static void
expect_bad_meta(const char *from, const char *to, unsigned line, const char *why)
{
	char text[4096], needle[64];
	const char *at;
	struct slc_stream *st;

	at = strstr(doc_example, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - doc_example), doc_example, to,
		at + strlen(from));
	write_text("streams/sensors/stream.meta", text);
	log_reset();
	errno = 0;
	st = slc_stream_open(tmpdir, "sensors");
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(errno, EBADMSG);
	if (st != NULL || errno != EBADMSG)
		fprintf(stderr, "\n  accepted: %s\n", why);
	slc_stream_close(st);
	snprintf(needle, sizeof(needle), "stream.meta line %u: ", line);
	CU_ASSERT(log_has(needle));
}

static void
test_stream_open_bad_meta(void)
{
	make_tmpdir();
	CU_ASSERT_FATAL(mkdir(path_of("streams"), 0755) == 0);
	CU_ASSERT_FATAL(mkdir(path_of("streams/sensors"), 0755) == 0);

	/* torn files */
	expect_bad_meta("end\n", "", 12, "no end line");
	expect_bad_meta("end\n", "en", 12, "cut end line");
	expect_bad_meta("end\n", "end", 12, "end without newline");
	expect_bad_meta("shard 1 open", "", 11, "shard line cut");
	expect_bad_meta(doc_example, "", 1, "empty file");

	/* bad lines */
	expect_bad_meta("sluice-stream-meta 1", "sluice-stream-meta 2", 1, "version 2");
	expect_bad_meta("sluice-stream-meta 1", "sluice-stream-metadata 1", 1, "magic");
	expect_bad_meta("meta_version 3", "meta_version 3 4", 4, "extra field");
	expect_bad_meta("meta_version 3", "meta_version  3", 4, "double space");
	expect_bad_meta("meta_version 3", "meta_version 3 ", 4, "trailing space");
	expect_bad_meta("meta_version 3", "meta_version 0", 4, "meta_version 0");
	expect_bad_meta("meta_version 3\n", "meta_version 3\r\n", 4, "CRLF");
	expect_bad_meta("compression deflate", "compression gzip", 5, "compression");
	expect_bad_meta("durability direct", "durability sync", 6, "durability");
	expect_bad_meta("max_record 1048576", "max_record 0", 7, "max_record 0");
	expect_bad_meta("max_record 1048576", "max_record 67108865", 7, "max_record big");
	expect_bad_meta("retention_hours 24", "retention_hours 8761", 8, "retention");
	expect_bad_meta("retention_hours 24", "retention_hours -1", 8, "negative");
	expect_bad_meta("created_ms 1795300000000", "created_ms 18446744073709551616", 3,
		"created_ms above 2^64-1");
	expect_bad_meta("name sensors", "name other", 2, "name mismatch");
	expect_bad_meta("name sensors", "name sensors/x", 2, "bad name");
	expect_bad_meta("durability direct\n", "durability direct\ncolour blue\n", 7,
		"unknown key");
	expect_bad_meta("durability direct\n", "durability direct\ndurability fsync\n", 7,
		"duplicate key");
	expect_bad_meta("durability direct\n", "durability direct\n\n", 7, "empty line");
	expect_bad_meta("durability direct\n", "", 8, "missing key (at shards line)");
	expect_bad_meta("shards 2", "shards 0", 9, "zero shards");
	expect_bad_meta("shards 2", "shards 4097", 9, "too many shards");
	expect_bad_meta("shards 2", "shards 3", 12, "end where shard 2 expected");
	expect_bad_meta("shards 2", "shards 1", 11, "shard line where end expected");
	expect_bad_meta("end\n", "end\nend\n", 13, "data after end");

	/* shard lines */
	expect_bad_meta("shard 1 open", "shard 2 open", 11, "index out of order");
	expect_bad_meta("shard 0 open", "shard 1 open", 10, "first index 1");
	expect_bad_meta("shard 1 open", "shard 01x open", 11, "index not a number");
	expect_bad_meta("shard 1 open", "shard 1 opened", 11, "bad state");
	expect_bad_meta("shard 0 open 0 ", "shard 0 open -1 ", 10, "negative hash");
	expect_bad_meta("340282366920938463463374607431768211455",
		"340282366920938463463374607431768211456", 11, "hash 2^128");
	expect_bad_meta("- - 0 -\nshard 1", "- - 0\nshard 1", 10, "missing field");
	expect_bad_meta("- - 0 -\nshard 1", "- - 0 - -\nshard 1", 10, "extra field");
	expect_bad_meta("- - 0 -\nshard 1", "- - 0 5\nshard 1", 10, "open with ending");
	expect_bad_meta("shard 0 open", "shard 0 closed", 10, "closed without ending");
	expect_bad_meta("- - 0 -\nshard 1", "- - x -\nshard 1", 10, "bad starting seq");
	expect_bad_meta("- - 0 -\nshard 1", "0 - 0 -\nshard 1", 10, "parent is itself");
	expect_bad_meta("- - 0 -\nend", "1 - 0 -\nend", 11, "parent is itself (1)");
	expect_bad_meta("- - 0 -\nend", "- 0 0 -\nend", 11, "adjacent parent, no parent");
	expect_bad_meta("shard 0 open 0 ", "shard 0 open 1 ", 10, "gap at 0");
	expect_bad_meta("shard 1 open 170141183460469231731687303715884105728 ",
		"shard 1 open 170141183460469231731687303715884105729 ", 11, "gap");
	expect_bad_meta("shard 1 open 170141183460469231731687303715884105728 ",
		"shard 1 open 170141183460469231731687303715884105727 ", 11, "overlap");
	expect_bad_meta("340282366920938463463374607431768211455 -",
		"340282366920938463463374607431768211454 -", 11, "gap at top");
	expect_bad_meta("shard 1 open 170141183460469231731687303715884105728 "
		"340282366920938463463374607431768211455",
		"shard 1 open 340282366920938463463374607431768211455 "
		"170141183460469231731687303715884105728", 11, "start above end");

	/* and the unmodified example still opens after all that */
	write_text("streams/sensors/stream.meta", doc_example);
	{
		struct slc_stream *st = slc_stream_open(tmpdir, "sensors");

		CU_ASSERT_PTR_NOT_NULL(st);
		slc_stream_close(st);
	}
	remove_tmpdir();
}

/*
 * Every proper prefix of a valid file is rejected, naming the line where it
 * was cut (a line without its newline, or the line where `end` is missing).
 */
static void
test_stream_open_torn_prefixes(void)
{
	char needle[64], *text;
	size_t len, i;
	unsigned line;
	struct slc_stream *st;

	make_tmpdir();
	CU_ASSERT_FATAL(mkdir(path_of("streams"), 0755) == 0);
	CU_ASSERT_FATAL(mkdir(path_of("streams/sensors"), 0755) == 0);
	text = strdup(doc_example);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (len = 0; len < strlen(doc_example); len++) {
		text[len] = '\0';
		write_text("streams/sensors/stream.meta", text);
		text[len] = doc_example[len];
		line = 1;
		for (i = 0; i < len; i++)
			line += doc_example[i] == '\n';
		log_reset();
		errno = 0;
		st = slc_stream_open(tmpdir, "sensors");
		CU_ASSERT_PTR_NULL(st);
		CU_ASSERT_EQUAL(errno, EBADMSG);
		slc_stream_close(st);
		snprintf(needle, sizeof(needle), "stream.meta line %u: ", line);
		CU_ASSERT(log_has(needle));
	}
	free(text);
	remove_tmpdir();
}

/* Reshard by hand: split shard 1 of 2 into 2 and 3, close it; save; reopen. */
static void
test_stream_save_increments_version(void)
{
	struct slc_stream *st, *st2;
	struct slc_shard_meta *sh;
	slc_u128 mid;
	char *before, *after;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 2, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(st->meta_version, 1);
	st->settings.retention_hours = 72;
	CU_ASSERT_EQUAL(slc_stream_save(st), 0);
	CU_ASSERT_EQUAL(st->meta_version, 2);
	CU_ASSERT(!exists("streams/s/stream.meta.tmp"));
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	CU_ASSERT_EQUAL(st2->meta_version, 2);
	CU_ASSERT_EQUAL(st2->settings.retention_hours, 72);
	slc_stream_close(st2);

	sh = slc_realloc(st->shards, 4 * sizeof(*sh));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	st->shards = sh;
	mid = sh[1].start_hash + (sh[1].end_hash - sh[1].start_hash) / 2;
	sh[2] = sh[1];
	sh[2].index = 2;
	sh[2].end_hash = mid;
	sh[2].parent = 1;
	sh[2].starting_seq = 0;
	sh[3] = sh[1];
	sh[3].index = 3;
	sh[3].start_hash = mid + 1;
	sh[3].parent = 1;
	sh[1].state = SLC_SHARD_CLOSED;
	sh[1].ending_seq = 41;
	st->nshards = 4;
	CU_ASSERT_EQUAL(slc_stream_save(st), 0);
	CU_ASSERT_EQUAL(st->meta_version, 3);
	st2 = slc_stream_open(tmpdir, "s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(st2);
	assert_same_stream(st, st2);
	CU_ASSERT_EQUAL(st2->shards[1].state, SLC_SHARD_CLOSED);
	CU_ASSERT_EQUAL(st2->shards[1].ending_seq, 41);
	CU_ASSERT_EQUAL(st2->shards[3].parent, 1);
	CU_ASSERT_PTR_NOT_NULL(slc_stream_lookup(st2, SLC_U128_MAX));
	CU_ASSERT_EQUAL(slc_stream_lookup(st2, SLC_U128_MAX)->index, 3);
	CU_ASSERT_EQUAL(slc_stream_lookup(st2, mid)->index, 2);
	CU_ASSERT_EQUAL(slc_stream_lookup(st2, mid + 1)->index, 3);
	CU_ASSERT_EQUAL(slc_stream_lookup(st2, sh[1].start_hash)->index, 2);
	CU_ASSERT_EQUAL(slc_stream_lookup(st2, 0)->index, 0);
	slc_stream_close(st2);

	/* an invalid table is not saved: version and file unchanged */
	before = read_text("streams/s/stream.meta");
	st->shards[3].state = SLC_SHARD_CLOSED;   /* leaves a gap, no ending seq */
	log_reset();
	CU_ASSERT_EQUAL(slc_stream_save(st), -EINVAL);
	CU_ASSERT(log_has("shard 3"));
	CU_ASSERT_EQUAL(st->meta_version, 3);
	after = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	st->shards[3].state = SLC_SHARD_OPEN;
	st->settings.retention_hours = 9000;
	CU_ASSERT_EQUAL(slc_stream_save(st), -EINVAL);
	CU_ASSERT_EQUAL(st->meta_version, 3);
	after = read_text("streams/s/stream.meta");
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	slc_stream_close(st);
	remove_tmpdir();
}

static void
test_stream_list_sorted(void)
{
	static const char *create[] = { "b", "a", "C", "a.b", "_x", "a-", "zz" };
	static const char *expect[] = { "C", "_x", "a", "a-", "a.b", "b", "zz" };
	char **names = NULL;
	uint32_t n = 99, i;
	struct slc_stream *st;

	make_tmpdir();
	CU_ASSERT_EQUAL(slc_stream_list(tmpdir, &names, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	slc_stream_list_free(names, n);
	for (i = 0; i < sizeof(create) / sizeof(create[0]); i++) {
		st = slc_stream_create(tmpdir, create[i], 1 + i % 3, NULL);
		CU_ASSERT_PTR_NOT_NULL(st);
		slc_stream_close(st);
	}
	/* neither a half-made directory nor a create's scratch directory is listed */
	CU_ASSERT(mkdir(path_of("streams/half"), 0755) == 0);
	CU_ASSERT(mkdir(path_of("streams/q~new"), 0755) == 0);
	write_text("streams/q~new/stream.meta", doc_example);
	write_text("streams/stray-file", "x");

	CU_ASSERT_EQUAL(slc_stream_list(tmpdir, &names, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, sizeof(expect) / sizeof(expect[0]));
	for (i = 0; i < n; i++)
		CU_ASSERT_STRING_EQUAL(names[i], expect[i]);
	slc_stream_list_free(names, n);

	CU_ASSERT_EQUAL(slc_stream_list(path_of("missing"), &names, &n), -ENOENT);
	CU_ASSERT_EQUAL(n, 0);
	remove_tmpdir();
}

static void
test_stream_lookup_boundaries(void)
{
	static const uint32_t ns[] = { 1, 2, 3, 7, 64 };
	struct slc_stream *st;
	const struct slc_shard_meta *sh;
	slc_u128 k0 = 0;
	char name[16];
	size_t k;
	uint32_t i;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "three", 3, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	sh = slc_stream_lookup(st, 0);
	CU_ASSERT(sh != NULL && sh->index == 0);
	CU_ASSERT_EQUAL(slc_hashkey_parse("113427455640312821154458202477256070484", &k0), 0);
	sh = slc_stream_lookup(st, k0);
	CU_ASSERT(sh != NULL && sh->index == 0);
	sh = slc_stream_lookup(st, k0 + 1);
	CU_ASSERT(sh != NULL && sh->index == 1);
	sh = slc_stream_lookup(st, st->shards[1].end_hash);
	CU_ASSERT(sh != NULL && sh->index == 1);
	sh = slc_stream_lookup(st, st->shards[2].start_hash);
	CU_ASSERT(sh != NULL && sh->index == 2);
	sh = slc_stream_lookup(st, SLC_U128_MAX);
	CU_ASSERT(sh != NULL && sh->index == 2);
	/* MD5("abc") = 191415658344158766168031473277922803570, in shard 1 */
	sh = slc_stream_lookup(st, slc_hashkey_md5("abc", 3));
	CU_ASSERT(sh != NULL && sh->index == 1);
	slc_stream_close(st);

	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		snprintf(name, sizeof(name), "n%u", ns[k]);
		st = slc_stream_create(tmpdir, name, ns[k], NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(st);
		for (i = 0; i < ns[k]; i++) {
			slc_u128 s, e;

			slc_hashkey_range(ns[k], i, &s, &e);
			sh = slc_stream_lookup(st, s);
			CU_ASSERT(sh != NULL && sh->index == i);
			sh = slc_stream_lookup(st, e);
			CU_ASSERT(sh != NULL && sh->index == i);
		}
		slc_stream_close(st);
	}
	remove_tmpdir();
}

static void
test_stream_shard_dir_path(void)
{
	struct slc_stream *st;
	char *p;

	make_tmpdir();
	st = slc_stream_create(tmpdir, "s", 3, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	p = slc_stream_shard_dir(st, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p, path_of("streams/s/shardId-000000000002"));
	slc_free(p);
	errno = 0;
	p = slc_stream_shard_dir(st, 3);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_EQUAL(errno, EINVAL);
	slc_free(p);
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
	s = CU_add_suite("stream", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "stream_name_valid_cases", test_stream_name_valid_cases) == NULL ||
	    CU_add_test(s, "shard_id_format_cases", test_shard_id_format_cases) == NULL ||
	    CU_add_test(s, "shard_id_parse_ok", test_shard_id_parse_ok) == NULL ||
	    CU_add_test(s, "shard_id_parse_errors", test_shard_id_parse_errors) == NULL ||
	    CU_add_test(s, "seq_format_examples", test_seq_format_examples) == NULL ||
	    CU_add_test(s, "seq_parse_round_trip", test_seq_parse_round_trip) == NULL ||
	    CU_add_test(s, "seq_format_order", test_seq_format_order) == NULL ||
	    CU_add_test(s, "seq_parse_errors", test_seq_parse_errors) == NULL ||
	    CU_add_test(s, "compression_durability_names",
		test_compression_durability_names) == NULL ||
	    CU_add_test(s, "stream_settings_default_values",
		test_stream_settings_default_values) == NULL ||
	    CU_add_test(s, "stream_create_open_round_trip",
		test_stream_create_open_round_trip) == NULL ||
	    CU_add_test(s, "stream_create_exists", test_stream_create_exists) == NULL ||
	    CU_add_test(s, "stream_create_errors", test_stream_create_errors) == NULL ||
	    CU_add_test(s, "stream_open_missing", test_stream_open_missing) == NULL ||
	    CU_add_test(s, "stream_open_doc_example", test_stream_open_doc_example) == NULL ||
	    CU_add_test(s, "stream_open_bad_meta", test_stream_open_bad_meta) == NULL ||
	    CU_add_test(s, "stream_open_torn_prefixes", test_stream_open_torn_prefixes) == NULL ||
	    CU_add_test(s, "stream_save_increments_version",
		test_stream_save_increments_version) == NULL ||
	    CU_add_test(s, "stream_list_sorted", test_stream_list_sorted) == NULL ||
	    CU_add_test(s, "stream_lookup_boundaries", test_stream_lookup_boundaries) == NULL ||
	    CU_add_test(s, "stream_shard_dir_path", test_stream_shard_dir_path) == NULL) {
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
