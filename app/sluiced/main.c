/*
 * sluiced: the appliance main. For now (the data plane comes in a later issue)
 * it brings up the EAL, opens or creates the configured streams, recovers every
 * open shard on one log writer owned by the main lcore, reports what it opened,
 * then polls the writer until SIGTERM or SIGINT, makes everything durable and
 * shuts down. It takes each stream's writer lock, as `sluice put` does, so the
 * two never write the same stream at once.
 *
 * usage: sluiced [EAL options] -- --data-dir DIR --stream NAME:SHARDS [--stream ...]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "slc_log.h"
#include "slc_mem.h"
#include "slc_stream.h"

#define MAX_STREAMS 64

struct opened {
	struct slc_stream *st;
	int lock_fd;
};

static volatile sig_atomic_t stop_sig;

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sluiced [EAL options] -- --data-dir DIR --stream NAME:SHARDS "
		"[--stream NAME:SHARDS ...] [--buffered-io]\n"
		"  --stream NAME:SHARDS   open stream NAME, creating it with SHARDS shards "
		"(compression none) if missing\n");
}

static int __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluiced: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'sluiced -- --help'\n");
	return 2;
}

/* Durability is not acknowledged to anyone yet: the data plane will. */
static void
on_durable(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Open stream "NAME:SHARDS", creating it if missing, and take its writer lock. */
static int
stream_open(const char *data_dir, const char *spec, struct opened *o)
{
	struct slc_stream_settings set;
	char name[SLC_STREAM_NAME_MAX + 1], path[4096];
	const char *colon = strrchr(spec, ':');
	unsigned long n;
	char *end;
	int fd;

	errno = 0;
	n = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (colon == NULL || colon == spec || (size_t)(colon - spec) > SLC_STREAM_NAME_MAX ||
			errno != 0 || *end != '\0' || colon[1] < '0' || colon[1] > '9' ||
			n < 1 || n > SLC_STREAM_SHARDS_MAX) {
		fprintf(stderr, "sluiced: --stream '%s' is not valid: use NAME:SHARDS with SHARDS "
			"from 1 to %d\n", spec, SLC_STREAM_SHARDS_MAX);
		return 2;
	}
	memcpy(name, spec, colon - spec);
	name[colon - spec] = '\0';
	if (!slc_stream_name_valid(name)) {
		fprintf(stderr, "sluiced: --stream '%s': '%s' is not a valid stream name (A-Z a-z "
			"0-9 _ . -)\n", spec, name);
		return 2;
	}
	o->st = slc_stream_open(data_dir, name);
	if (o->st == NULL && errno == ENOENT) {
		slc_stream_settings_default(&set);
		o->st = slc_stream_create(data_dir, name, (uint32_t)n, &set);
		if (o->st != NULL)
			printf("sluiced: created stream %s with %lu shards in %s\n", name, n, data_dir);
	} else if (o->st != NULL && o->st->nshards != n) {
		printf("sluiced: stream %s exists with %u shards; keeping them (--stream asked for "
			"%lu)\n", name, o->st->nshards, n);
	}
	if (o->st == NULL) {
		fprintf(stderr, "sluiced: cannot open or create stream %s in %s: %s\n", name, data_dir,
			strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/writer.lock", o->st->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "sluiced: stream %s: cannot take the writer lock %s: %s\n", name, path,
			errno == EWOULDBLOCK ? "another process writes this stream" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%ld\n", (long)getpid());
	o->lock_fd = fd;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "buffered-io", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char id[SLC_SHARD_ID_LEN + 1], seq[SLC_SEQ_STRLEN];
	struct opened streams[MAX_STREAMS];
	const char *specs[MAX_STREAMS];
	const char *data_dir = NULL;
	struct slc_log_writer *w = NULL;
	struct slc_log_cfg cfg;
	struct sigaction sa;
	uint32_t nspecs = 0, nopen = 0, i, j;
	int c, ret, rc = 1;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "sluiced: EAL initialisation failed: %s (check the EAL options "
			"before '--')\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;

	slc_log_cfg_default(&cfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data_dir = optarg;
			break;
		case 's':
			if (nspecs == MAX_STREAMS) {
				rc = bad_usage("more than 64 --stream options (at '%s')", optarg);
				goto out_eal;
			}
			specs[nspecs++] = optarg;
			break;
		case 'b':
			cfg.buffered_io = true;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out_eal;
		case ':':
			rc = bad_usage("option '%s' needs a value", argv[optind - 1]);
			goto out_eal;
		default:
			rc = bad_usage("unknown option '%s'", argv[optind - 1]);
			goto out_eal;
		}
	}
	if (optind < argc) {
		rc = bad_usage("unexpected argument '%s'", argv[optind]);
		goto out_eal;
	}
	if (data_dir == NULL || data_dir[0] == '\0') {
		rc = bad_usage("--data-dir is required");
		goto out_eal;
	}
	if (nspecs == 0) {
		rc = bad_usage("at least one --stream NAME:SHARDS is required");
		goto out_eal;
	}

	for (i = 0; i < nspecs; i++) {
		rc = stream_open(data_dir, specs[i], &streams[nopen]);
		if (rc != 0)
			goto out_streams;
		nopen++;
		if (streams[nopen - 1].st->settings.max_record > cfg.max_record)
			cfg.max_record = streams[nopen - 1].st->settings.max_record;
	}
	rc = 1;
	w = slc_log_writer_create(&cfg, on_durable, NULL);
	if (w == NULL) {
		fprintf(stderr, "sluiced: cannot create the log writer: %s\n", strerror(errno));
		goto out_streams;
	}
	for (i = 0; i < nopen; i++) {
		struct slc_stream *st = streams[i].st;

		for (j = 0; j < st->nshards; j++) {
			struct slc_log_shard *sh;

			slc_shard_id_format(j, id);
			if (st->shards[j].state != SLC_SHARD_OPEN) {
				printf("sluiced: stream %s %s closed\n", st->name, id);
				continue;
			}
			sh = slc_log_shard_open(w, st, j);
			if (sh == NULL) {
				fprintf(stderr, "sluiced: stream %s %s: cannot open for writing: %s (see "
					"the message above)\n", st->name, id, strerror(errno));
				goto out_writer;
			}
			slc_seq_format(j, slc_log_shard_next_seq(sh), seq);
			printf("sluiced: stream %s %s open, next sequence number %s\n", st->name, id,
				seq);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("sluiced: ready, pid %ld\n", (long)getpid());
	fflush(stdout);

	while (!stop_sig) {
		struct timespec ts = { 0, 1000000 };

		if (slc_log_poll(w, mono_us()) < 0) {
			fprintf(stderr, "sluiced: log writer failed (see the message above)\n");
			goto out_writer;
		}
		nanosleep(&ts, NULL);
	}
	printf("sluiced: signal %d, shutting down\n", (int)stop_sig);
	rc = 0;
out_writer:
	if (slc_log_sync(w) != 0) {
		fprintf(stderr, "sluiced: final sync failed (see the message above)\n");
		rc = 1;
	}
	slc_log_writer_free(w);
out_streams:
	for (i = 0; i < nopen; i++) {
		close(streams[i].lock_fd);
		slc_stream_close(streams[i].st);
	}
out_eal:
	fflush(stdout);
	rte_eal_cleanup();
	return rc;
}
