/*
 * @file
 * bench_frame: what decoding a frame (docs/frame-format.md) and routing its
 * records cost per record on one core, to answer issue 3's question: how much
 * does a producer save by sending a frame hash key (one hash key per frame)
 * instead of letting the appliance MD5 every record's partition key?
 *
 * For frames of 1, 10, 20 and 50 records (64 data bytes and a 16..32-byte
 * partition key each, by default) it builds a pool of frames in memory, then
 * times, per record:
 *  - decode: slc_frame_check() (exact, as on UDP) + iterating every record and
 *    reading its header fields, as a data core does before routing;
 *  - md5: slc_hashkey_md5() of the record's partition key alone;
 *  - route by record: decode + slc_hashkey_md5() + slc_stream_lookup() for
 *    every record (frames without a frame hash key);
 *  - route by frame key: decode + one slc_hashkey_from_be() +
 *    slc_stream_lookup() per frame, the result used for every record.
 * The shard map is a real stream of --shards shards created under a fresh
 * mkdtemp in /var/tmp and removed at exit. Each figure is the best of --runs
 * runs of about --records records, timed with the thread's CPU clock
 * (CLOCK_THREAD_CPUTIME_ID) and best-of, because the machine is shared and the
 * question is what the code costs, not how often the neighbours preempt it.
 * Nothing is written to disk during the timing.
 *
 * Single-threaded; a benchmark, not run by meson test.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "slc_frame.h"
#include "slc_hashkey.h"
#include "slc_stream.h"

#define POOL_BYTES (256u << 10)         /* frames of one size: about L2-sized */
#define MAX_RECS 50

static const unsigned int rec_counts[] = { 1, 10, 20, 50 };

struct opts {
	uint32_t data;
	uint32_t shards;
	uint32_t runs;
	uint64_t records;
};

struct pool {
	uint8_t *buf;
	size_t *off;
	size_t *len;
	unsigned int n;                 /* frames */
	unsigned int recs;              /* records per frame */
};

static volatile uint64_t sink;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Frames of recs records each; with_key adds a frame hash key. */
static int
pool_build(struct pool *p, unsigned int recs, uint32_t data_len, bool with_key)
{
	static uint8_t data[65536];
	struct slc_frame_builder b;
	size_t frame_max = SLC_FRAME_MIN_LEN + 16 + (size_t)recs * (8 + 32 + data_len);
	unsigned int i, r, k = 0;
	uint8_t hk[16];
	char key[40];
	size_t at = 0;

	if (data_len > sizeof(data))
		return -EINVAL;
	for (i = 0; i < data_len; i++)
		data[i] = (uint8_t)('0' + i % 10);
	p->recs = recs;
	p->n = (unsigned int)(POOL_BYTES / frame_max);
	if (p->n < 8)
		p->n = 8;
	p->buf = malloc(p->n * frame_max);
	p->off = calloc(p->n, sizeof(*p->off));
	p->len = calloc(p->n, sizeof(*p->len));
	if (p->buf == NULL || p->off == NULL || p->len == NULL)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		slc_hashkey_to_be(slc_hashkey_md5(&i, sizeof(i)), hk);
		if (slc_frame_begin(&b, p->buf + at, frame_max, i, with_key ? hk : NULL) != 0)
			return -ENOSPC;
		for (r = 0; r < recs; r++, k++) {
			/* "sensor-<n>" padded to 16..32 bytes, like device ids. */
			int kl = snprintf(key, sizeof(key), "sensor-%0*u", 9 + (int)(k % 17), k);

			if (slc_frame_add(&b, key, (uint16_t)kl, data, data_len, NULL) != 0)
				return -ENOSPC;
		}
		p->off[i] = at;
		p->len[i] = slc_frame_end(&b);
		at += p->len[i];
	}
	return 0;
}

static void
pool_free(struct pool *p)
{
	free(p->buf);
	free(p->off);
	free(p->len);
}

enum mode {
	M_DECODE,
	M_MD5,
	M_ROUTE_RECORD,
	M_ROUTE_FRAME,
};

/* One pass over the pool; returns records handled. */
static uint64_t
pass(const struct pool *p, enum mode m, const struct slc_stream *st)
{
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec r;
	const struct slc_shard_meta *sh;
	uint64_t acc = 0, n = 0;
	unsigned int i;

	for (i = 0; i < p->n; i++) {
		if (slc_frame_check(p->buf + p->off[i], p->len[i], true, 1u << 20, &fi) !=
				SLC_FRAME_OK)
			abort();        /* a benchmark bug, not input: the pool is ours */
		slc_frame_iter_init(&it, &fi);
		switch (m) {
		case M_DECODE:
			while (slc_frame_iter_next(&it, &r) == 1)
				acc += r.key_len + r.data_len + r.key[0];
			break;
		case M_MD5:
			/* decode + MD5 of every key; minus M_DECODE = MD5's share. */
			while (slc_frame_iter_next(&it, &r) == 1)
				acc += (uint64_t)slc_hashkey_md5(r.key, r.key_len);
			break;
		case M_ROUTE_RECORD:
			while (slc_frame_iter_next(&it, &r) == 1) {
				sh = slc_stream_lookup(st, slc_hashkey_md5(r.key, r.key_len));
				acc += (uintptr_t)sh + r.data_len;
			}
			break;
		case M_ROUTE_FRAME:
			sh = slc_stream_lookup(st, slc_hashkey_from_be(fi.hash_key));
			while (slc_frame_iter_next(&it, &r) == 1)
				acc += (uintptr_t)sh + r.data_len;
			break;
		}
		n += fi.count;
	}
	sink += acc;
	return n;
}

/* Best-of-runs ns per record. */
static double
measure(const struct pool *p, enum mode m, const struct slc_stream *st, const struct opts *o)
{
	double best = 1e30;
	uint32_t run;

	pass(p, m, st);         /* warm caches and branch predictors */
	for (run = 0; run < o->runs; run++) {
		uint64_t t0 = now_ns(), n = 0;
		double ns;

		while (n < o->records)
			n += pass(p, m, st);
		ns = (double)(now_ns() - t0) / (double)n;
		if (ns < best)
			best = ns;
	}
	return best;
}

/* slc_hashkey_md5() alone on keys of 16..32 bytes: ns per call. */
static double
measure_md5_alone(const struct opts *o)
{
	static char keys[4096][40];
	static int lens[4096];
	double best = 1e30;
	uint64_t acc = 0;
	uint32_t run, i;

	for (i = 0; i < 4096; i++)
		lens[i] = snprintf(keys[i], sizeof(keys[i]), "sensor-%0*u", 9 + (int)(i % 17), i);
	for (run = 0; run < o->runs; run++) {
		uint64_t t0 = now_ns(), n;
		double ns;

		for (n = 0; n < o->records; n++)
			acc += (uint64_t)slc_hashkey_md5(keys[n & 4095], (size_t)lens[n & 4095]);
		ns = (double)(now_ns() - t0) / (double)o->records;
		if (ns < best)
			best = ns;
	}
	sink += acc;
	return best;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bench_frame [--data BYTES] [--shards K] [--runs R] [--records N]\n"
"  --data BYTES   data bytes per record (64)\n"
"  --shards K     shards of the stream whose map routes the records (4)\n"
"  --runs R       timed runs per figure, the best is printed (5)\n"
"  --records N    records per run (1000000)\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "shards", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "records", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .data = 64, .shards = 4, .runs = 5, .records = 1000000 };
	char root[] = "/var/tmp/bench_frame.XXXXXX";
	struct slc_stream *st;
	unsigned int i;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.data = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': o.shards = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': o.runs = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': o.records = strtoull(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (o.runs == 0 || o.records == 0 || o.shards == 0 || o.data > 65536) {
		usage(stderr);
		return 2;
	}
	if (mkdtemp(root) == NULL) {
		fprintf(stderr, "bench_frame: mkdtemp %s: %s\n", root, strerror(errno));
		return 1;
	}
	st = slc_stream_create(root, "bench-frame", o.shards, NULL);
	if (st == NULL) {
		fprintf(stderr, "bench_frame: slc_stream_create(%s): %s\n", root, strerror(errno));
		goto out_rm;
	}

	printf("bench_frame: %u data bytes and a 16..32-byte partition key per record, "
		"%u shards, best of %u runs of >= %" PRIu64 " records, thread CPU ns per record\n",
		o.data, o.shards, o.runs, o.records);
	printf("| records/frame | decode | md5 | route by record (decode+md5+lookup) "
		"| route by frame key (decode+1 lookup/frame) | saved by frame key |\n");
	printf("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < sizeof(rec_counts) / sizeof(rec_counts[0]); i++) {
		struct pool plain = { 0 }, keyed = { 0 };
		double dec, md5, by_rec, by_frame;

		if (pool_build(&plain, rec_counts[i], o.data, false) != 0 ||
		    pool_build(&keyed, rec_counts[i], o.data, true) != 0) {
			fprintf(stderr, "bench_frame: cannot build frames of %u records\n",
				rec_counts[i]);
			pool_free(&plain);
			pool_free(&keyed);
			goto out_close;
		}
		dec = measure(&plain, M_DECODE, st, &o);
		md5 = measure(&plain, M_MD5, st, &o) - dec;
		by_rec = measure(&plain, M_ROUTE_RECORD, st, &o);
		by_frame = measure(&keyed, M_ROUTE_FRAME, st, &o);
		printf("| %u | %.1f | %.1f | %.1f | %.1f | %.1f (%.0f%%) |\n", rec_counts[i],
			dec, md5, by_rec, by_frame, by_rec - by_frame,
			100.0 * (by_rec - by_frame) / by_rec);
		pool_free(&plain);
		pool_free(&keyed);
	}
	printf("decode = slc_frame_check (exact) + iterating the records; md5 = the same "
		"loop with slc_hashkey_md5 per record, minus decode.\n");
	printf("slc_hashkey_md5 alone on 16..32-byte keys: %.1f ns per call\n",
		measure_md5_alone(&o));
	rc = 0;
out_close:
	slc_stream_close(st);
out_rm:
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
