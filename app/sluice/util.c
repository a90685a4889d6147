/*
 * Helpers shared by the `sluice` subcommands: stopping on SIGINT/SIGTERM, the
 * monotonic clock, error messages with the tool's exit codes, option parsing,
 * opening a stream with a message that names what is missing, and the stream's
 * writer lock.
 *
 * The writer lock is an flock(2) on streams/<S>/writer.lock (docs/log-format.md).
 * flock cannot tell who holds it, so the holder writes its pid into the file
 * after taking the lock; a process that fails to take it reads that pid back for
 * its message. The lock goes away with the holder, also after kill -9.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "slc_mem.h"
#include "sluice.h"

volatile sig_atomic_t sluice_interrupted;

static void
on_signal(int sig)
{
	sluice_interrupted = sig;
}

void
sluice_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t
sluice_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
sluice_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'sluice %s --help'\n", cmd);
	return SLUICE_EXIT_USAGE;
}

int
sluice_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluice %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SLUICE_EXIT_FAIL;
}

int
sluice_getopt_err(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return sluice_usage_err(cmd, "option '%s' needs a value", arg);
	if (optopt != 0 && (arg[0] != '-' || arg[1] != '-'))
		return sluice_usage_err(cmd, "unknown option '-%c'", optopt);
	return sluice_usage_err(cmd, "unknown option '%s'", arg);
}

int
sluice_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return sluice_usage_err(cmd, "unexpected argument '%s' (every value is given with an "
			"option)", argv[optind]);
	return 0;
}

int
sluice_parse_u64(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max,
	uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (val[0] < '0' || val[0] > '9')
		goto bad;
	v = strtoull(val, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return sluice_usage_err(cmd, "%s '%s' is not valid: give a whole number from %" PRIu64
		" to %" PRIu64, opt, val, min, max);
}

int
sluice_require(const char *cmd, const char *opt, const char *val)
{
	if (val == NULL)
		return sluice_usage_err(cmd, "%s is required", opt);
	if (val[0] == '\0')
		return sluice_usage_err(cmd, "%s must not be empty", opt);
	return 0;
}

struct slc_stream *
sluice_stream_open(const char *cmd, const char *data_dir, const char *name)
{
	struct slc_stream *st;

	if (!slc_stream_name_valid(name)) {
		sluice_fail(cmd, "'%s' is not a valid stream name (1 to %d characters of "
			"A-Z a-z 0-9 _ . -)", name, SLC_STREAM_NAME_MAX);
		return NULL;
	}
	st = slc_stream_open(data_dir, name);
	if (st != NULL)
		return st;
	if (errno == ENOENT)
		sluice_fail(cmd, "stream %s not found in %s (create it with 'sluice create')", name,
			data_dir);
	else if (errno == EBADMSG)
		sluice_fail(cmd, "stream %s in %s: %s/streams/%s/stream.meta is not valid (see the "
			"message above)", name, data_dir, data_dir, name);
	else
		sluice_fail(cmd, "cannot open stream %s in %s: %s", name, data_dir, strerror(errno));
	return NULL;
}

int
sluice_writer_lock(const char *cmd, const struct slc_stream *st, int *fdp)
{
	char path[4096], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/writer.lock", st->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return sluice_fail(cmd, "stream %s: cannot open %s: %s", st->name, path,
			strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;

		if (err != EWOULDBLOCK) {
			close(fd);
			return sluice_fail(cmd, "stream %s: cannot lock %s: %s", st->name, path,
				strerror(err));
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] != '\0')
			return sluice_fail(cmd, "stream %s is being written by another process "
				"(pid %s holds %s)", st->name, buf, path);
		return sluice_fail(cmd, "stream %s is being written by another process (it holds %s)",
			st->name, path);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, n, 0) != n) {
		/* The pid is only for messages; the lock itself is held. */
		fprintf(stderr, "sluice %s: warning: cannot write pid to %s: %s\n", cmd, path,
			strerror(errno));
	}
	*fdp = fd;
	return 0;
}

#define META_LOCK_WAIT_MS 30000

int
sluice_meta_lock(const char *cmd, const struct slc_stream *st)
{
	struct timespec ts = { 0, 10000000 };
	int fd, waited = 0, err;

	fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		sluice_fail(cmd, "stream %s: cannot open %s: %s", st->name, st->dir,
			strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err = errno;
			close(fd);
			sluice_fail(cmd, "stream %s: cannot lock %s: %s", st->name, st->dir,
				strerror(err));
			return -1;
		}
		if (waited == 0)
			fprintf(stderr, "sluice %s: stream %s: waiting for stream.meta: another "
				"process (a reshard) is changing it\n", cmd, st->name);
		if (waited >= META_LOCK_WAIT_MS) {
			close(fd);
			sluice_fail(cmd, "stream %s: another process has been changing stream.meta "
				"for %d s (it holds the lock on %s); nothing changed, try again",
				st->name, META_LOCK_WAIT_MS / 1000, st->dir);
			return -1;
		}
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return fd;
}

int
sluice_no_journal(const char *cmd, const struct slc_stream *st)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/reshard.journal", st->dir);
	if (access(path, F_OK) != 0)
		return 0;
	return sluice_fail(cmd, "stream %s has an unfinished live reshard (%s, left by a "
		"sluiced that stopped during it): start sluiced on this data directory once "
		"to finish it, then run this again", st->name, path);
}
