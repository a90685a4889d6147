/*
 * What perf/kernel_rx.c and perf/kernel_tcp_rx.c share (perf/kernel_common.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "kernel_common.h"
#include "perf_util.h"

void
krx_opts_default(struct krx_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seconds = 300;
	o->compression = SLC_COMPRESSION_NONE;
	o->durability = SLC_DURABILITY_DIRECT;
}

int
krx_parse_opt(const char *prog, int opt, const char *arg, struct krx_opts *o)
{
	uint32_t v;

	switch (opt) {
	case KRX_OPT_PORT:
		if (perf_parse_u32(prog, "port", arg, 1000, 1, 65535, &v) != 0)
			return -EINVAL;
		o->port = (uint16_t)v;
		return 1;
	case KRX_OPT_DATA_DIR:
		o->data_dir = arg;
		return 1;
	case KRX_OPT_STREAM:
		if (!slc_stream_name_valid(arg)) {
			fprintf(stderr, "%s: --stream %s: a stream name is 1..128 of "
				"[A-Za-z0-9_.-]\n", prog, arg);
			return -EINVAL;
		}
		o->stream = arg;
		return 1;
	case KRX_OPT_SHARDS:
		if (perf_parse_u32(prog, "shards", arg, 1000, 1, SLC_STREAM_SHARDS_MAX,
				&o->shards) != 0)
			return -EINVAL;
		return 1;
	case KRX_OPT_COMPRESSION:
		if (slc_compression_parse(arg, &o->compression) != 0) {
			fprintf(stderr, "%s: --compression %s: expected none or deflate\n", prog,
				arg);
			return -EINVAL;
		}
		return 1;
	case KRX_OPT_DURABILITY:
		if (slc_durability_parse(arg, &o->durability) != 0) {
			fprintf(stderr, "%s: --durability %s: expected direct or fsync\n", prog,
				arg);
			return -EINVAL;
		}
		return 1;
	case KRX_OPT_RECORDS:
		return perf_parse_count(prog, "records", arg, &o->records) != 0 ? -EINVAL : 1;
	case KRX_OPT_SECONDS:
		return perf_parse_seconds(prog, "seconds", arg, &o->seconds) != 0 ? -EINVAL : 1;
	case KRX_OPT_IDLE_MS:
		if (perf_parse_u32(prog, "idle-ms", arg, 1000, 1, 3600000, &o->idle_ms) != 0)
			return -EINVAL;
		return 1;
	case KRX_OPT_QUIET:
		o->quiet = true;
		return 1;
	}
	return 0;
}

const char *
krx_stop_reason(const struct krx_opts *o, bool sig, bool err, uint64_t durable,
	uint64_t start_ns, uint64_t now_ns, uint64_t last_rx_ns)
{
	if (sig)
		return "signal";
	if (err)
		return "error";
	if (o->records != 0 && durable >= o->records)
		return "records";
	if ((double)(now_ns - start_ns) * 1e-9 >= o->seconds)
		return "seconds";
	if (o->idle_ms != 0 && last_rx_ns != 0 && now_ns > last_rx_ns &&
			now_ns - last_rx_ns >= (uint64_t)o->idle_ms * 1000000)
		return "idle-ms";
	return NULL;
}

int
krx_stream_create(const char *prog, const struct krx_opts *o, struct slc_stream **stp,
	int *lock_fd)
{
	struct slc_stream_settings set;
	struct slc_stream *st;
	char path[4096], buf[32];
	int fd, n;

	slc_stream_settings_default(&set);
	set.compression = o->compression;
	set.durability = o->durability;
	st = slc_stream_create(o->data_dir, o->stream, o->shards, &set);
	if (st == NULL) {
		if (errno == EEXIST)
			fprintf(stderr, "%s: stream %s already exists in %s: give a fresh "
				"--data-dir (what was stored is counted by reading the stream "
				"back)\n", prog, o->stream, o->data_dir);
		else
			fprintf(stderr, "%s: cannot create stream %s in %s: %s\n", prog,
				o->stream, o->data_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/writer.lock", st->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "%s: stream %s: cannot take the writer lock %s: %s\n", prog,
			o->stream, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		slc_stream_close(st);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		fprintf(stderr, "%s: warning: cannot write the pid to %s\n", prog, path);
	*stp = st;
	*lock_fd = fd;
	return 0;
}

int
krx_log_open(const struct slc_stream *st, const char *data_dir, uint32_t first,
	uint32_t step, slc_log_durable_cb cb, void *arg, struct slc_log_writer **w,
	struct slc_log_shard **sh, char *err, size_t errlen)
{
	struct slc_log_cfg cfg;
	uint32_t i;

	slc_log_cfg_default(&cfg);
	*w = slc_log_writer_create(&cfg, cb, arg);
	if (*w == NULL) {
		int e = errno;

		snprintf(err, errlen, "cannot create the log writer: %s", strerror(e));
		return -e;
	}
	for (i = first; i < st->nshards; i += step) {
		sh[i] = slc_log_shard_open(*w, st, i);
		if (sh[i] == NULL) {
			int e = errno;

			snprintf(err, errlen, "cannot open shard %u of stream %s in %s: %s%s", i,
				st->name, data_dir, strerror(e), e == EINVAL ? " (does the file "
				"system take O_DIRECT? tmpfs does not: use a disk-backed "
				"--data-dir)" : "");
			return -e;
		}
	}
	return 0;
}

int
krx_count_stored(const char *prog, const struct slc_stream *st, uint64_t *total,
	uint64_t *min_sh, uint64_t *max_sh)
{
	struct slc_log_pos pos = { .type = SLC_LOG_POS_TRIM_HORIZON };
	uint32_t i;

	*total = 0;
	*min_sh = UINT64_MAX;
	*max_sh = 0;
	for (i = 0; i < st->nshards; i++) {
		struct slc_log_reader *r = slc_log_reader_open(st, i, &pos);
		struct slc_record rec;
		uint64_t n = 0;
		int rc;

		if (r == NULL) {
			fprintf(stderr, "%s: cannot read shard %u back: %s\n", prog, i,
				strerror(errno));
			return -1;
		}
		while ((rc = slc_log_reader_next(r, &rec)) == 1)
			n++;
		if (rc < 0) {
			fprintf(stderr, "%s: reading shard %u back: %s (%s)\n", prog, i,
				strerror(-rc), slc_log_reader_error(r) ? slc_log_reader_error(r) :
				"");
			slc_log_reader_close(r);
			return -1;
		}
		slc_log_reader_close(r);
		*total += n;
		if (n < *min_sh)
			*min_sh = n;
		if (n > *max_sh)
			*max_sh = n;
	}
	return 0;
}

uint32_t
krx_ranges(const struct slc_stream *st, struct krx_range *r)
{
	uint32_t i, n = 0;

	for (i = 0; i < st->nshards; i++)
		if (st->shards[i].state == SLC_SHARD_OPEN)
			r[n++] = (struct krx_range){ st->shards[i].start_hash,
				st->shards[i].index };
	return n;
}

void
krx_print_frame_drops(const char *prog, const char *what, uint64_t n,
	const uint64_t drop[SLC_FRAME_E_MAX])
{
	unsigned s;

	if (n == 0)
		return;
	printf("%s: %" PRIu64 " frames %s:", prog, n, what);
	for (s = 1; s < SLC_FRAME_E_MAX; s++)
		if (drop[s])
			printf(" %s=%" PRIu64, slc_frame_err_name(s), drop[s]);
	printf("\n");
}

void
krx_print_not_stored(const char *prog, uint64_t too_big, uint64_t log_errors)
{
	if (too_big || log_errors)
		printf("%s: records not stored: too_big=%" PRIu64 " log_error=%" PRIu64 "\n", prog,
			too_big, log_errors);
}
