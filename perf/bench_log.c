/*
 * @file
 * bench_log: log append throughput on one core, against the device's O_DIRECT
 * sequential-write ceiling measured in the same run.
 *
 * One thread creates a stream of K shards under a scratch directory, one log
 * writer with the default configuration, opens every shard on it, and appends N
 * records of S data bytes in a tight loop, the way a data core does: the
 * partition key is hashed (MD5) and looked up in the shard map for every record
 * (unless --prehash), slc_log_poll() runs every --poll-every records with a
 * monotonic clock, and an append refused with -ENOBUFS (disk behind) is retried
 * after polling until it is taken (each retry is counted). The clock runs from
 * the first append to the return of slc_log_sync(), so every record is durable
 * at the stream's durability level when it stops. Keys and data are generated
 * before the clock starts.
 *
 * The ceiling is what the device does with the simplest possible writer: a raw
 * io_uring O_DIRECT sequential writer (registered buffers of the log writer's
 * I/O size, queue depth 8 by default) writing about as many bytes as the log
 * writes, to a fresh file in the same directory, and fio with the same
 * parameters when it is installed. Ceiling and log runs alternate (ceiling, fio,
 * log, ceiling, fio, log, ...) so that drift in the device or the host hits all
 * of them; medians are printed at the end together with the ratios.
 *
 * Single-threaded; a benchmark, not run by meson test. Figures are explained in
 * perf/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <rte_log.h>

#include "perf_util.h"
#include "slc_block.h"
#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_mem.h"
#include "slc_stream.h"

#define BENCH_MAX_RUNS 64
#define BENCH_KEY_POOL_MAX (4u << 20)   /* distinct keys generated, then reused */
#define BENCH_DATA_ARENA (8u << 20)      /* telemetry-like text the data is cut from */

struct bench_opts {
	const char *dir;
	uint64_t records;
	uint32_t size;
	uint32_t shards;
	uint32_t key_len;
	uint32_t runs;
	uint32_t poll_every;
	uint32_t max_record;         /* 0: leave the stream and writer defaults */
	uint32_t ceiling_bs;
	uint32_t ceiling_qd;
	enum slc_compression compression;
	enum slc_durability durability;
	bool ceiling_only;
	bool no_ceiling;
	bool no_fio;
	bool prehash;
	bool verify;
	const char *perf_ctl;        /* perf record --control fifo:CTL,ACK: profile only the loop */
	const char *perf_ack;
};

/* Inputs generated before any clock starts. */
struct bench_data {
	uint8_t *keys;               /* nkeys keys of key_len bytes, distinct */
	uint32_t nkeys;
	uint32_t *shard_of;          /* shard index of each key, for --prehash */
	uint8_t *arena;              /* data is cut from here */
	size_t arena_len;
	double hash_ns;              /* MD5 + shard lookup, ns per key */
};

struct log_result {
	double wall_s;
	double rec_per_s;
	double data_Bps;             /* data bytes of the records */
	double rec_Bps;              /* key + data bytes (slc_log_stats.record_bytes) */
	double disk_Bps;             /* slc_log_stats.write_bytes */
	uint64_t enobufs_records;    /* appends refused at least once */
	uint64_t enobufs_retries;    /* polls spent waiting for a buffer */
	double thr_user_s;
	double thr_sys_s;
	double proc_user_s;
	double proc_sys_s;
	struct slc_log_stats stats;
	uint64_t shard_min;
	uint64_t shard_max;
	uint64_t verified;           /* records found by --verify */
};

struct run_result {
	double raw_Bps;              /* 0 if not measured */
	double fio_Bps;              /* 0 if not measured */
	struct log_result log;
};

static uint64_t
mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int64_t
real_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static double
tv_sec(const struct timeval *t)
{
	return (double)t->tv_sec + (double)t->tv_usec * 1e-6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, uint32_t n)
{
	double s[BENCH_MAX_RUNS];

	if (n == 0)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (remove(path) != 0)
		fprintf(stderr, "bench_log: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* TSC ticks per ns, to turn CPU time into approximate cycles (no PMU in VMs). */
static double
tsc_ghz(void)
{
	uint64_t t0 = mono_ns(), c0 = __builtin_ia32_rdtsc();

	while (mono_ns() - t0 < 20000000)
		;
	return (double)(__builtin_ia32_rdtsc() - c0) / (double)(mono_ns() - t0);
}

/*
 * `perf record -D -1 --control fifo:CTL,ACK` starts with its events disabled;
 * we enable them for the timed part of each log run only, so that generating
 * the inputs, hashing the key pool and the ceiling runs do not show up in the
 * profile.
 */
static int perf_ctl_fd = -1, perf_ack_fd = -1;

static void
perf_ctl_open(const struct bench_opts *o)
{
	if (o->perf_ctl == NULL)
		return;
	perf_ctl_fd = open(o->perf_ctl, O_WRONLY);
	if (o->perf_ack != NULL)
		perf_ack_fd = open(o->perf_ack, O_RDONLY);
	if (perf_ctl_fd < 0)
		fprintf(stderr, "bench_log: cannot open perf control fifo %s: %s\n", o->perf_ctl,
			strerror(errno));
}

static void
perf_ctl(const char *cmd)
{
	char ack[8];

	if (perf_ctl_fd < 0)
		return;
	if (write(perf_ctl_fd, cmd, strlen(cmd)) < 0)
		return;
	if (perf_ack_fd >= 0 && read(perf_ack_fd, ack, sizeof(ack)) < 0)
		return;
}

/* ---- inputs ---- */

static int
data_generate(struct bench_data *bd, const struct bench_opts *o)
{
	static const char *const names[] = { "temp", "hum", "pres", "co2", "volt" };
	size_t len = BENCH_DATA_ARENA, off = 0;
	uint64_t x = 88172645463325252ull;
	uint32_t i;

	if (len < 2 * (size_t)o->size + 4096)
		len = 2 * (size_t)o->size + 4096;
	bd->arena = slc_malloc(len);
	if (bd->arena == NULL)
		return -ENOMEM;
	bd->arena_len = len;
	/*
	 * Telemetry-like JSON lines: compressible as real sensor data is (deflate
	 * gets about 3:1 on it), not constant (which would flatter deflate) nor
	 * random (which deflate cannot shrink at all).
	 */
	while (off < len) {
		char line[160];
		int n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = snprintf(line, sizeof(line),
			"{\"dev\":\"gw-%04u\",\"ts\":%" PRIu64 ",\"%s\":%u.%02u,\"seq\":%u}\n",
			(unsigned)(x % 5000), (uint64_t)1795300000000 + (x >> 40) % 100000,
			names[(x >> 8) % 5], (unsigned)((x >> 16) % 100), (unsigned)((x >> 24) % 100),
			(unsigned)(x >> 44));
		if ((size_t)n > len - off)
			n = (int)(len - off);
		memcpy(bd->arena + off, line, (size_t)n);
		off += (size_t)n;
	}

	bd->nkeys = o->records < BENCH_KEY_POOL_MAX ? (uint32_t)o->records : BENCH_KEY_POOL_MAX;
	if (bd->nkeys == 0)
		bd->nkeys = 1;
	bd->keys = slc_malloc((size_t)bd->nkeys * o->key_len);
	bd->shard_of = slc_malloc((size_t)bd->nkeys * sizeof(uint32_t));
	if (bd->keys == NULL || bd->shard_of == NULL)
		return -ENOMEM;
	for (i = 0; i < bd->nkeys; i++) {
		uint8_t *k = bd->keys + (size_t)i * o->key_len;
		uint32_t v = i, j;

		/* "dev-" prefix then the key number in decimal, right-aligned, '0'-filled */
		memset(k, '0', o->key_len);
		memcpy(k, "dev-", o->key_len < 4 ? o->key_len : 4);
		for (j = o->key_len; j > (o->key_len > 4 ? 4u : 0u) && v != 0; v /= 10)
			k[--j] = (uint8_t)('0' + v % 10);
	}
	return 0;
}

static void
data_free(struct bench_data *bd)
{
	slc_free(bd->keys);
	slc_free(bd->shard_of);
	slc_free(bd->arena);
}

/*
 * Time MD5 + shard lookup alone over the key pool, and remember each key's
 * shard for --prehash. Uses a throw-away stream of the same shard count.
 */
static int
hash_measure(struct bench_data *bd, const struct bench_opts *o, const char *root)
{
	struct slc_stream_settings set;
	struct slc_stream *st;
	uint64_t t0, t1, sink = 0;
	uint32_t i;
	char *sdir;

	slc_stream_settings_default(&set);
	st = slc_stream_create(root, "bench-hash", o->shards, &set);
	if (st == NULL) {
		int rc = -errno;

		fprintf(stderr, "bench_log: slc_stream_create(%s): %s\n", root, strerror(-rc));
		return rc;
	}
	t0 = mono_ns();
	for (i = 0; i < bd->nkeys; i++) {
		const struct slc_shard_meta *sm;

		sm = slc_stream_lookup(st, slc_hashkey_md5(bd->keys + (size_t)i * o->key_len,
			o->key_len));
		if (sm == NULL) {
			fprintf(stderr, "bench_log: no shard for key %u\n", i);
			slc_stream_close(st);
			return -EINVAL;
		}
		bd->shard_of[i] = sm->index;
		sink += sm->index;
	}
	t1 = mono_ns();
	bd->hash_ns = (double)(t1 - t0) / bd->nkeys;
	sdir = slc_strdup(st->dir);
	slc_stream_close(st);
	if (sdir != NULL) {
		rm_tree(sdir);
		slc_free(sdir);
	}
	return sink == UINT64_MAX ? -EINVAL : 0;   /* keep the loop from being optimised out */
}

/* ---- ceiling: raw io_uring O_DIRECT sequential writer ---- */

static int
ceiling_raw(const char *dir, uint64_t bytes, uint32_t bs, uint32_t qd, bool do_fsync, double *Bps)
{
	struct io_uring ring;
	struct iovec *iov = NULL;
	uint32_t *free_bufs = NULL, nfree, i;
	uint64_t nblk = (bytes + bs - 1) / bs, submitted = 0, done = 0;
	uint64_t t0, t1;
	char path[PATH_MAX];
	int fd, rc;

	if (snprintf(path, sizeof(path), "%s/ceiling.dat", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "bench_log: open %s O_DIRECT: %s\n", path, strerror(errno));
		return rc;
	}
	rc = io_uring_queue_init(qd, &ring, 0);
	if (rc < 0) {
		fprintf(stderr, "bench_log: io_uring_queue_init: %s\n", strerror(-rc));
		goto out_close;
	}
	iov = calloc(qd, sizeof(*iov));
	free_bufs = calloc(qd, sizeof(*free_bufs));
	if (iov == NULL || free_bufs == NULL) {
		rc = -ENOMEM;
		goto out_ring;
	}
	for (i = 0; i < qd; i++) {
		iov[i].iov_base = slc_mem_io_alloc(bs);
		iov[i].iov_len = bs;
		if (iov[i].iov_base == NULL) {
			rc = -ENOMEM;
			goto out_bufs;
		}
		memset(iov[i].iov_base, 0x5a + i, bs);
		free_bufs[i] = i;
	}
	nfree = qd;
	rc = io_uring_register_buffers(&ring, iov, qd);
	if (rc < 0) {
		fprintf(stderr, "bench_log: io_uring_register_buffers: %s\n", strerror(-rc));
		goto out_bufs;
	}

	t0 = mono_ns();
	while (done < nblk) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		while (nfree > 0 && submitted < nblk) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			uint32_t b = free_bufs[--nfree];

			if (sqe == NULL) {
				nfree++;
				break;
			}
			io_uring_prep_write_fixed(sqe, fd, iov[b].iov_base, bs, submitted * bs, b);
			io_uring_sqe_set_data64(sqe, b);
			submitted++;
		}
		rc = io_uring_submit_and_wait(&ring, 1);
		if (rc < 0) {
			fprintf(stderr, "bench_log: io_uring_submit_and_wait: %s\n", strerror(-rc));
			goto out_bufs;
		}
		io_uring_for_each_cqe(&ring, head, cqe) {
			if (cqe->res != (int)bs) {
				rc = cqe->res < 0 ? cqe->res : -EIO;
				fprintf(stderr, "bench_log: ceiling write: %s\n",
					cqe->res < 0 ? strerror(-cqe->res) : "short write");
				goto out_bufs;
			}
			free_bufs[nfree++] = (uint32_t)cqe->user_data;
			n++;
		}
		io_uring_cq_advance(&ring, n);
		done += n;
	}
	if (do_fsync && fdatasync(fd) != 0) {
		rc = -errno;
		goto out_bufs;
	}
	t1 = mono_ns();
	*Bps = (double)(nblk * bs) / ((double)(t1 - t0) * 1e-9);
	rc = 0;
out_bufs:
	for (i = 0; i < qd; i++)
		slc_mem_io_free(iov[i].iov_base);
out_ring:
	io_uring_queue_exit(&ring);
	free(iov);
	free(free_bufs);
out_close:
	close(fd);
	unlink(path);
	return rc;
}

/* ---- ceiling: fio, same parameters ---- */

static bool
fio_available(void)
{
	return system("command -v fio >/dev/null 2>&1") == 0;
}

static int
ceiling_fio(const char *dir, uint64_t bytes, uint32_t bs, uint32_t qd, bool do_fsync, double *Bps)
{
	char cmd[PATH_MAX + 512], path[PATH_MAX];
	char *out = NULL, *p;
	size_t cap = 0, len = 0;
	FILE *f;
	int st;

	bytes = (bytes + bs - 1) / bs * bs;
	if (snprintf(path, sizeof(path), "%s/ceiling-fio.dat", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/*
	 * --fallocate=none: the log writer extends its segment files as it writes,
	 * so the ceiling does too (fio would otherwise preallocate the file).
	 */
	snprintf(cmd, sizeof(cmd),
		"fio --name=ceiling --filename=%s --rw=write --bs=%u --iodepth=%u "
		"--ioengine=io_uring --fixedbufs --direct=1 --size=%" PRIu64 " --fallocate=none "
		"%s --output-format=json",
		path, bs, qd, bytes, do_fsync ? "--end_fsync=1" : "");
	f = popen(cmd, "r");
	if (f == NULL)
		return -errno;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *q = realloc(out, cap + 65536);

			if (q == NULL)
				break;
			out = q;
			cap += 65536;
		}
		n = fread(out + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	st = pclose(f);
	unlink(path);
	if (out == NULL)
		return -ENOMEM;
	out[len] = '\0';
	p = strstr(out, "\"write\" : {");
	if (p != NULL)
		p = strstr(p, "\"bw_bytes\" : ");
	if (st != 0 || p == NULL) {
		fprintf(stderr, "bench_log: fio failed (status %d): %s\n", st, cmd);
		free(out);
		return -EIO;
	}
	*Bps = strtod(p + strlen("\"bw_bytes\" : "), NULL);
	free(out);
	return 0;
}

/* ---- the log run ---- */

struct durable_count {
	uint64_t calls;
};

static void
durable_cb(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
	((struct durable_count *)arg)->calls++;
}

static void
bad_cb(void *arg, const char *path, uint64_t off, const char *why)
{
	fprintf(stderr, "bench_log: verify: %s offset %" PRIu64 ": %s\n", path, off, why);
}

/*
 * The timed loop: what a data core does per record. Not inlined, so that
 * valgrind --toggle-collect=append_loop counts exactly this.
 */
static __attribute__((noinline, noclone)) int
append_loop(const struct bench_opts *o, const struct bench_data *bd, const struct slc_stream *st,
	struct slc_log_writer *w, struct slc_log_shard **shards, uint64_t *refused,
	uint64_t *retries)
{
	struct slc_record rec;
	size_t doff = 0, dlimit = bd->arena_len - o->size, dstride = o->size + 24;
	uint32_t j = 0, since_poll = 0;
	int64_t now_ms = real_ms();
	uint64_t i, now;
	int rc;

	memset(&rec, 0, sizeof(rec));
	rec.key_len = (uint16_t)o->key_len;
	rec.data_len = o->size;
	for (i = 0; i < o->records; i++) {
		const uint8_t *key = bd->keys + (size_t)j * o->key_len;
		uint32_t idx;

		if (o->prehash) {
			idx = bd->shard_of[j];
		} else {
			const struct slc_shard_meta *sm;

			sm = slc_stream_lookup(st, slc_hashkey_md5(key, o->key_len));
			if (sm == NULL) {
				rc = -EINVAL;
				fprintf(stderr, "bench_log: no shard for key %u\n", j);
				return rc;
			}
			idx = sm->index;
		}
		rec.key = key;
		rec.data = bd->arena + doff;
		rec.has_hash_key = false;
		rc = slc_log_append(shards[idx], &rec, now_ms);
		if (rc == -ENOBUFS) {
			(*refused)++;
			do {
				(*retries)++;
				rc = slc_log_poll(w, mono_ns() / 1000);
				if (rc < 0)
					break;
				rc = slc_log_append(shards[idx], &rec, now_ms);
			} while (rc == -ENOBUFS);
		}
		if (rc < 0) {
			fprintf(stderr, "bench_log: record %" PRIu64 " (shard %u): %s\n", i, idx,
				strerror(-rc));
			return rc;
		}
		if (++j == bd->nkeys)
			j = 0;
		doff += dstride;
		if (doff > dlimit)
			doff -= dlimit;
		if (++since_poll == o->poll_every) {
			since_poll = 0;
			now = mono_ns();
			now_ms = real_ms();
			rc = slc_log_poll(w, now / 1000);
			if (rc < 0) {
				fprintf(stderr, "bench_log: slc_log_poll: %s\n", strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

static int
log_run(const struct bench_opts *o, const char *root, uint32_t run, const struct bench_data *bd,
	struct log_result *res)
{
	struct slc_stream_settings set;
	struct slc_log_shard **shards = NULL;
	struct slc_log_writer *w = NULL;
	struct slc_stream *st;
	struct slc_log_cfg cfg;
	struct durable_count dc = { 0 };
	struct rusage rt0, rt1, rp0, rp1;
	uint64_t t0, t1, retries = 0, refused = 0;
	uint32_t s;
	char name[32];
	char *sdir;
	int rc = 0;

	slc_stream_settings_default(&set);
	set.compression = o->compression;
	set.durability = o->durability;
	if (o->max_record != 0)
		set.max_record = o->max_record;
	snprintf(name, sizeof(name), "bench-%u", run);
	st = slc_stream_create(root, name, o->shards, &set);
	if (st == NULL) {
		rc = -errno;
		fprintf(stderr, "bench_log: slc_stream_create(%s/%s): %s\n", root, name,
			strerror(errno));
		return rc;
	}
	sdir = slc_strdup(st->dir);

	slc_log_cfg_default(&cfg);
	if (o->max_record != 0)
		cfg.max_record = o->max_record;
	w = slc_log_writer_create(&cfg, durable_cb, &dc);
	if (w == NULL) {
		rc = -errno;
		fprintf(stderr, "bench_log: slc_log_writer_create: %s\n", strerror(errno));
		goto out;
	}
	shards = calloc(o->shards, sizeof(*shards));
	if (shards == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (s = 0; s < o->shards; s++) {
		shards[s] = slc_log_shard_open(w, st, s);
		if (shards[s] == NULL) {
			rc = -errno;
			fprintf(stderr, "bench_log: slc_log_shard_open(shard %u): %s\n", s,
				strerror(errno));
			goto out;
		}
	}

	perf_ctl("enable\n");
	getrusage(RUSAGE_THREAD, &rt0);
	getrusage(RUSAGE_SELF, &rp0);
	t0 = mono_ns();
	rc = append_loop(o, bd, st, w, shards, &refused, &retries);
	if (rc == 0)
		rc = slc_log_sync(w);
	t1 = mono_ns();
	getrusage(RUSAGE_THREAD, &rt1);
	getrusage(RUSAGE_SELF, &rp1);
	perf_ctl("disable\n");
	if (rc < 0) {
		fprintf(stderr, "bench_log: slc_log_sync: %s\n", strerror(-rc));
		goto out;
	}

	memset(res, 0, sizeof(*res));
	slc_log_writer_stats(w, &res->stats);
	res->wall_s = (double)(t1 - t0) * 1e-9;
	res->rec_per_s = (double)o->records / res->wall_s;
	res->data_Bps = (double)o->records * o->size / res->wall_s;
	res->rec_Bps = (double)res->stats.record_bytes / res->wall_s;
	res->disk_Bps = (double)res->stats.write_bytes / res->wall_s;
	res->enobufs_records = refused;
	res->enobufs_retries = retries;
	res->thr_user_s = tv_sec(&rt1.ru_utime) - tv_sec(&rt0.ru_utime);
	res->thr_sys_s = tv_sec(&rt1.ru_stime) - tv_sec(&rt0.ru_stime);
	res->proc_user_s = tv_sec(&rp1.ru_utime) - tv_sec(&rp0.ru_utime);
	res->proc_sys_s = tv_sec(&rp1.ru_stime) - tv_sec(&rp0.ru_stime);
	res->shard_min = UINT64_MAX;
	for (s = 0; s < o->shards; s++) {
		uint64_t n = slc_log_shard_next_seq(shards[s]);

		if (slc_log_shard_durable_seq(shards[s]) != n) {
			fprintf(stderr, "bench_log: shard %u durable %" PRIu64 " != next %" PRIu64
				" after sync\n", s, slc_log_shard_durable_seq(shards[s]), n);
			rc = -EIO;
		}
		if (n < res->shard_min)
			res->shard_min = n;
		if (n > res->shard_max)
			res->shard_max = n;
	}
	if (res->stats.records != o->records) {
		fprintf(stderr, "bench_log: writer counted %" PRIu64 " records, appended %" PRIu64
			"\n", res->stats.records, o->records);
		rc = -EIO;
	}
out:
	if (w != NULL)
		slc_log_writer_free(w);
	free(shards);
	if (rc == 0 && o->verify) {
		uint64_t total = 0;

		for (s = 0; s < o->shards && rc == 0; s++) {
			uint64_t blocks = 0, recs = 0;

			rc = slc_log_verify(st, s, bad_cb, NULL, &blocks, &recs);
			if (rc < 0)
				fprintf(stderr, "bench_log: verify shard %u: %s\n", s, strerror(-rc));
			total += recs;
		}
		if (rc == 0 && total != o->records) {
			fprintf(stderr, "bench_log: verify found %" PRIu64 " records, appended %"
				PRIu64 "\n", total, o->records);
			rc = -EIO;
		}
		res->verified = total;
	}
	slc_stream_close(st);
	if (sdir != NULL) {
		rm_tree(sdir);
		slc_free(sdir);
	}
	return rc;
}

/* ---- driver ---- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bench_log [options]\n"
"  --dir D             scratch directory (a fresh mkdtemp inside it is used and removed;\n"
"                      default /var/tmp)\n"
"  --records N         records to append per run (k/m/g = 10^3/10^6/10^9; default 1m)\n"
"  --size S            data bytes per record (k = KiB; default 1024)\n"
"  --shards K          shards of the stream, all on the one writer (default 4)\n"
"  --key-len L         partition key bytes, 1..256 (default 16)\n"
"  --compression C     none | deflate (default none)\n"
"  --durability D      direct | fsync (default direct)\n"
"  --runs R            repeat R times, alternating ceiling and log; medians printed (default 3)\n"
"  --poll-every P      call slc_log_poll every P records (default 256)\n"
"  --prehash           hash keys before the clock starts (measures the log alone)\n"
"  --max-record M      stream max_record and writer max_record (default: their defaults)\n"
"  --ceiling-bs B      ceiling I/O size (k = KiB; default 256k, the writer's buf_size)\n"
"  --ceiling-qd Q      ceiling queue depth (default 8)\n"
"  --ceiling-only      measure only the ceiling\n"
"  --no-ceiling        measure only the log\n"
"  --no-fio            do not run fio even if installed\n"
"  --verify            after each run, check every block (slc_log_verify) and the count\n"
"  --perf-ctl CTL,ACK  fifos of `perf record -D -1 --control fifo:CTL,ACK`: profile\n"
"                      only the timed loop of each log run\n");
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	enum {
		O_DIR = 256, O_RECORDS, O_SIZE, O_SHARDS, O_KEYLEN, O_COMP, O_DUR, O_RUNS,
		O_POLL, O_PREHASH, O_MAXREC, O_CBS, O_CQD, O_CONLY, O_NOCEIL, O_NOFIO, O_VERIFY,
		O_PERFCTL, O_HELP,
	};
	static const struct option lo[] = {
		{ "dir", required_argument, NULL, O_DIR },
		{ "records", required_argument, NULL, O_RECORDS },
		{ "size", required_argument, NULL, O_SIZE },
		{ "shards", required_argument, NULL, O_SHARDS },
		{ "key-len", required_argument, NULL, O_KEYLEN },
		{ "compression", required_argument, NULL, O_COMP },
		{ "durability", required_argument, NULL, O_DUR },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "poll-every", required_argument, NULL, O_POLL },
		{ "prehash", no_argument, NULL, O_PREHASH },
		{ "max-record", required_argument, NULL, O_MAXREC },
		{ "ceiling-bs", required_argument, NULL, O_CBS },
		{ "ceiling-qd", required_argument, NULL, O_CQD },
		{ "ceiling-only", no_argument, NULL, O_CONLY },
		{ "no-ceiling", no_argument, NULL, O_NOCEIL },
		{ "no-fio", no_argument, NULL, O_NOFIO },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "perf-ctl", required_argument, NULL, O_PERFCTL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*o = (struct bench_opts){
		.dir = "/var/tmp",
		.records = 1000000,
		.size = 1024,
		.shards = 4,
		.key_len = 16,
		.runs = 3,
		.poll_every = 256,
		.ceiling_bs = 256 * 1024,
		.ceiling_qd = 8,
		.compression = SLC_COMPRESSION_NONE,
		.durability = SLC_DURABILITY_DIRECT,
	};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_DIR:
			o->dir = optarg;
			break;
		case O_RECORDS:
			if (perf_parse_num(optarg, 1000, &o->records) != 0 || o->records == 0)
				goto bad;
			break;
		case O_SIZE:
			if (perf_parse_num(optarg, 1024, &v) != 0 || v > SLC_BLOCK_PAYLOAD_MAX)
				goto bad;
			o->size = (uint32_t)v;
			break;
		case O_SHARDS:
			if (perf_parse_num(optarg, 1000, &v) != 0 || v == 0 || v > SLC_STREAM_SHARDS_MAX)
				goto bad;
			o->shards = (uint32_t)v;
			break;
		case O_KEYLEN:
			if (perf_parse_num(optarg, 1000, &v) != 0 || v < SLC_PKEY_MIN || v > SLC_PKEY_MAX)
				goto bad;
			o->key_len = (uint32_t)v;
			break;
		case O_COMP:
			if (strcmp(optarg, "none") == 0)
				o->compression = SLC_COMPRESSION_NONE;
			else if (strcmp(optarg, "deflate") == 0)
				o->compression = SLC_COMPRESSION_DEFLATE;
			else
				goto bad;
			break;
		case O_DUR:
			if (strcmp(optarg, "direct") == 0)
				o->durability = SLC_DURABILITY_DIRECT;
			else if (strcmp(optarg, "fsync") == 0)
				o->durability = SLC_DURABILITY_FSYNC;
			else
				goto bad;
			break;
		case O_RUNS:
			if (perf_parse_num(optarg, 1000, &v) != 0 || v == 0 || v > BENCH_MAX_RUNS)
				goto bad;
			o->runs = (uint32_t)v;
			break;
		case O_POLL:
			if (perf_parse_num(optarg, 1000, &v) != 0 || v == 0 || v > UINT32_MAX)
				goto bad;
			o->poll_every = (uint32_t)v;
			break;
		case O_PREHASH:
			o->prehash = true;
			break;
		case O_MAXREC:
			if (perf_parse_num(optarg, 1024, &v) != 0 || v == 0 || v > UINT32_MAX)
				goto bad;
			o->max_record = (uint32_t)v;
			break;
		case O_CBS:
			if (perf_parse_num(optarg, 1024, &v) != 0 || v == 0 || v % 4096 != 0 ||
					v > (64u << 20))
				goto bad;
			o->ceiling_bs = (uint32_t)v;
			break;
		case O_CQD:
			if (perf_parse_num(optarg, 1000, &v) != 0 || v == 0 || v > 4096)
				goto bad;
			o->ceiling_qd = (uint32_t)v;
			break;
		case O_CONLY:
			o->ceiling_only = true;
			break;
		case O_NOCEIL:
			o->no_ceiling = true;
			break;
		case O_NOFIO:
			o->no_fio = true;
			break;
		case O_VERIFY:
			o->verify = true;
			break;
		case O_PERFCTL: {
			char *comma;

			o->perf_ctl = optarg;
			comma = strchr(optarg, ',');
			if (comma != NULL) {
				*comma = '\0';
				o->perf_ack = comma + 1;
			}
			break;
		}
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bench_log: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->ceiling_only && o->no_ceiling) {
		fprintf(stderr, "bench_log: --ceiling-only and --no-ceiling exclude each other\n");
		return -EINVAL;
	}
	if (o->max_record != 0 && o->size > o->max_record) {
		fprintf(stderr, "bench_log: --size %u exceeds --max-record %u\n", o->size,
			o->max_record);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "bench_log: bad value '%s' for --%s\n", optarg, lo[c - O_DIR].name);
	return -EINVAL;
}

static void
print_cmdline(int argc, char **argv)
{
	int i;

	printf("command:");
	for (i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

#define MBS(x) ((x) / 1e6)

int
main(int argc, char **argv)
{
	static struct run_result rr[BENCH_MAX_RUNS];
	double v_raw[BENCH_MAX_RUNS], v_fio[BENCH_MAX_RUNS], v_rec[BENCH_MAX_RUNS];
	double v_data[BENCH_MAX_RUNS], v_recb[BENCH_MAX_RUNS], v_disk[BENCH_MAX_RUNS];
	double v_cpu[BENCH_MAX_RUNS], v_pcpu[BENCH_MAX_RUNS], v_wall[BENCH_MAX_RUNS];
	double v_enob[BENCH_MAX_RUNS];
	struct bench_data bd = { 0 };
	struct bench_opts o;
	char root[PATH_MAX];
	uint64_t ceil_bytes;
	double ghz, m_raw, m_fio, m_disk;
	bool use_fio;
	uint32_t r;
	int rc;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	/* The libraries log through rte_log; keep their notices out of the figures. */
	rte_log_set_global_level(RTE_LOG_WARNING);
	print_cmdline(argc, argv);
	perf_ctl_open(&o);
	if (snprintf(root, sizeof(root), "%s/bench_log.XXXXXX", o.dir) >= (int)sizeof(root) ||
			mkdtemp(root) == NULL) {
		fprintf(stderr, "bench_log: mkdtemp %s: %s\n", root, strerror(errno));
		return 1;
	}
	use_fio = !o.no_ceiling && !o.no_fio && fio_available();

	/*
	 * The ceiling writes about what the log writes: every record's bytes plus
	 * one block header per default block_max (64 KiB) of payload.
	 */
	ceil_bytes = o.records * slc_block_record_size((uint16_t)o.key_len, o.size, false);
	ceil_bytes += ceil_bytes / 65536 * SLC_BLOCK_HDR_LEN;
	ceil_bytes = (ceil_bytes + o.ceiling_bs - 1) / o.ceiling_bs * o.ceiling_bs;

	printf("setup: %" PRIu64 " records x %u B data, key %u B, %u shards, compression %s, "
		"durability %s, %s, poll every %u, %u run(s)\n",
		o.records, o.size, o.key_len, o.shards, slc_compression_name(o.compression),
		slc_durability_name(o.durability),
		o.prehash ? "keys hashed before the clock (--prehash)" :
		"MD5 + shard lookup per record in the loop", o.poll_every, o.runs);
	printf("scratch: %s (removed at exit)\n", root);
	if (!o.no_ceiling)
		printf("ceiling: %" PRIu64 " bytes per run, %u KiB writes, queue depth %u, raw "
			"io_uring O_DIRECT%s\n", ceil_bytes, o.ceiling_bs / 1024, o.ceiling_qd,
			use_fio ? " and fio (io_uring, --direct=1, --fixedbufs)" : "");

	rc = 0;
	if (!o.ceiling_only) {
		rc = data_generate(&bd, &o);
		if (rc == 0)
			rc = hash_measure(&bd, &o, root);
		if (rc != 0)
			goto out;
		printf("hash: MD5 + shard lookup alone %.1f ns/key = %.2f M keys/s "
			"(%u distinct keys, reused cyclically)\n", bd.hash_ns, 1e3 / bd.hash_ns,
			bd.nkeys);
	}
	ghz = tsc_ghz();

	for (r = 0; r < o.runs; r++) {
		struct run_result *x = &rr[r];
		struct log_result *l = &x->log;

		if (!o.no_ceiling) {
			rc = ceiling_raw(root, ceil_bytes, o.ceiling_bs, o.ceiling_qd,
				o.durability == SLC_DURABILITY_FSYNC, &x->raw_Bps);
			if (rc != 0)
				goto out;
			if (use_fio && ceiling_fio(root, ceil_bytes, o.ceiling_bs, o.ceiling_qd,
					o.durability == SLC_DURABILITY_FSYNC, &x->fio_Bps) != 0)
				use_fio = false;
			printf("run %u ceiling: raw io_uring %.0f MB/s", r + 1, MBS(x->raw_Bps));
			if (use_fio)
				printf(", fio %.0f MB/s", MBS(x->fio_Bps));
			printf("\n");
		}
		if (o.ceiling_only)
			continue;
		rc = log_run(&o, root, r, &bd, l);
		if (rc != 0)
			goto out;
		printf("run %u log: %.3f s, %.3f M rec/s, data %.0f MB/s, key+data %.0f MB/s, "
			"disk %.0f MB/s",
			r + 1, l->wall_s, l->rec_per_s / 1e6, MBS(l->data_Bps), MBS(l->rec_Bps),
			MBS(l->disk_Bps));
		if (!o.no_ceiling)
			printf(", disk/ceiling %.3f", l->disk_Bps / x->raw_Bps);
		printf("\n");
		printf("  cpu: thread %.3f s (user %.3f, sys %.3f), process %.3f s, wall %.3f s; "
			"%.0f ns = ~%.0f TSC cycles of thread CPU per record\n",
			l->thr_user_s + l->thr_sys_s, l->thr_user_s, l->thr_sys_s,
			l->proc_user_s + l->proc_sys_s, l->wall_s,
			(l->thr_user_s + l->thr_sys_s) * 1e9 / o.records,
			(l->thr_user_s + l->thr_sys_s) * 1e9 * ghz / o.records);
		printf("  writer: %" PRIu64 " blocks (%" PRIu64 " deflated), %" PRIu64 " writes of "
			"%.1f KiB avg, %" PRIu64 " fsyncs, %" PRIu64 " segments rolled; ENOBUFS: %"
			PRIu64 " appends refused, %" PRIu64 " poll retries (writer counted %" PRIu64
			"); records per shard %" PRIu64 "..%" PRIu64 "\n",
			l->stats.blocks, l->stats.blocks_deflated, l->stats.writes,
			l->stats.writes ? (double)l->stats.write_bytes / l->stats.writes / 1024 : 0.0,
			l->stats.fsyncs, l->stats.segments_rolled, l->enobufs_records,
			l->enobufs_retries, l->stats.enobufs, l->shard_min, l->shard_max);
		if (o.verify)
			printf("  verify: %" PRIu64 " records read back from %u shards, every block's "
				"CRC good\n", l->verified, o.shards);
		fflush(stdout);
	}

	for (r = 0; r < o.runs; r++) {
		const struct log_result *l = &rr[r].log;

		v_raw[r] = rr[r].raw_Bps;
		v_fio[r] = rr[r].fio_Bps;
		v_rec[r] = l->rec_per_s;
		v_data[r] = l->data_Bps;
		v_recb[r] = l->rec_Bps;
		v_disk[r] = l->disk_Bps;
		v_cpu[r] = (l->thr_user_s + l->thr_sys_s) * 1e9 / o.records;
		v_pcpu[r] = l->wall_s > 0 ? (l->proc_user_s + l->proc_sys_s) / l->wall_s : 0;
		v_wall[r] = l->wall_s;
		v_enob[r] = (double)l->enobufs_records;
	}
	m_raw = median(v_raw, o.runs);
	m_fio = use_fio ? median(v_fio, o.runs) : 0;
	m_disk = median(v_disk, o.runs);
	printf("median of %u:", o.runs);
	if (!o.no_ceiling) {
		printf(" ceiling raw %.0f MB/s", MBS(m_raw));
		if (use_fio)
			printf(", fio %.0f MB/s", MBS(m_fio));
		printf(";");
	}
	if (!o.ceiling_only) {
		printf(" log %.3f M rec/s, data %.0f MB/s, key+data %.0f MB/s, disk %.0f MB/s, "
			"%.0f ns CPU/record, process CPU/wall %.2f, wall %.3f s",
			median(v_rec, o.runs) / 1e6, MBS(median(v_data, o.runs)),
			MBS(median(v_recb, o.runs)), MBS(m_disk), median(v_cpu, o.runs),
			median(v_pcpu, o.runs), median(v_wall, o.runs));
		if (!o.no_ceiling) {
			printf("; disk/ceiling raw %.3f", m_disk / m_raw);
			if (use_fio)
				printf(", fio %.3f", m_disk / m_fio);
		}
	}
	printf("\n");
	/* One machine-readable line for perf/bench_log.sh (MB = 10^6 bytes). */
	printf("RESULT rec_per_s=%.0f data_MBps=%.1f rec_MBps=%.1f disk_MBps=%.1f "
		"ceiling_raw_MBps=%.1f ceiling_fio_MBps=%.1f ratio_raw=%.3f ratio_fio=%.3f "
		"cpu_ns_per_rec=%.1f hash_ns=%.1f enobufs=%.0f\n",
		median(v_rec, o.runs), MBS(median(v_data, o.runs)), MBS(median(v_recb, o.runs)),
		MBS(m_disk), MBS(m_raw), MBS(m_fio), m_raw > 0 ? m_disk / m_raw : 0,
		m_fio > 0 ? m_disk / m_fio : 0, median(v_cpu, o.runs), bd.hash_ns,
		median(v_enob, o.runs));
out:
	data_free(&bd);
	rm_tree(root);
	return rc == 0 ? 0 : 1;
}
