/*
 * What `sluice split`, `sluice merge` and `sluice scale` share: taking the
 * stream's writer lock, closing a parent (recover its log, cut a torn tail, to
 * learn the counter after its last durable record, which becomes its ending
 * sequence value; docs/stream-meta.md, "Resharding"), and sending a request to
 * a running sluiced.
 *
 * On a stopped data directory the writer lock is what makes the recovered end
 * final: while we hold it no sluiced or `sluice put` appends, and after the new
 * table is saved no writer opens a closed shard. With it we also hold the
 * stream.meta lock (an flock on the stream directory, taken by `sluice
 * retention` and by sluiced around their read-modify-writes of stream.meta)
 * until the tool exits, and check that the table we read is still the one on
 * disk. A reshard journal left by a sluiced that stopped during a live reshard
 * must be finished by sluiced first: the tools refuse until then.
 *
 * When a running sluiced holds the lock (it names itself in
 * <data-dir>/sluiced.run), requests are sent to it over its control (telemetry)
 * socket and applied live by its control core (docs/resharding.md, "Live").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "slc_log.h"
#include "sluice.h"

/* The stream.meta lock, held from sluice_reshard_lock() until the tool exits. */
static int meta_lock_fd = -1;

/* A fresh handle of st's stream (st->dir is <data_dir>/streams/<name>), or NULL. */
static struct slc_stream *
reopen(const struct slc_stream *st)
{
	char dd[4096], tail[SLC_STREAM_NAME_MAX + 16];
	size_t n = strlen(st->dir), t;

	t = (size_t)snprintf(tail, sizeof(tail), "/streams/%s", st->name);
	if (n <= t || n - t >= sizeof(dd) || strcmp(st->dir + n - t, tail) != 0)
		return NULL;
	memcpy(dd, st->dir, n - t);
	dd[n - t] = '\0';
	return slc_stream_open(dd, st->name);
}

int
sluice_reshard_lock(const char *cmd, const struct slc_stream *st, int *fdp)
{
	char path[4096], buf[32];
	struct slc_stream *now;
	ssize_t n;
	int fd, rc;

	/* Look first, so that a busy stream gets the resharding message. */
	snprintf(path, sizeof(path), "%s/writer.lock", st->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			return sluice_fail(cmd, "stream %s is being written by pid %s, which is not "
				"a running sluiced this tool can reach (none named in "
				"<data-dir>/sluiced.run): a reshard goes through the sluiced that "
				"writes the stream, or runs on a stopped data directory; stop that "
				"process and run this again", st->name, buf[0] != '\0' ? buf : "?");
		}
		close(fd);
	}
	rc = sluice_writer_lock(cmd, st, fdp);
	if (rc != 0)
		return rc;
	rc = sluice_no_journal(cmd, st);
	if (rc == 0) {
		meta_lock_fd = sluice_meta_lock(cmd, st);
		rc = meta_lock_fd < 0 ? 1 : 0;
	}
	if (rc == 0) {
		/* st was read before the locks: it must still be what stream.meta holds. */
		now = reopen(st);
		if (now == NULL || now->meta_version != st->meta_version)
			rc = sluice_fail(cmd, "stream %s: stream.meta changed while this command "
				"started (a reshard or a retention change ran meanwhile); run it "
				"again", st->name);
		slc_stream_close(now);
	}
	if (rc != 0) {
		close(*fdp);
		*fdp = -1;
	}
	return rc;
}

int
sluice_reshard_end(const char *cmd, const struct slc_stream *st, uint32_t index,
	uint64_t *end_seq)
{
	char id[SLC_SHARD_ID_LEN + 1];
	struct slc_log_shard_info info;
	int rc;

	slc_shard_id_format(index, id);
	rc = slc_log_recover(st, index, &info);
	if (rc != 0)
		return sluice_fail(cmd, "stream %s shard %s: cannot recover its log to close it: "
			"%s (see the message above; 'sluice verify' shows the damage)", st->name, id,
			strerror(-rc));
	*end_seq = info.next_seq;
	return 0;
}

int
sluice_reshard_shard_arg(const char *cmd, const char *opt, const char *val,
	const struct slc_stream *st, uint32_t *index)
{
	char id[SLC_SHARD_ID_LEN + 1];

	if (slc_shard_id_parse(val, index) != 0)
		return sluice_usage_err(cmd, "%s '%s' is not a shard id: use shardId-000000000001 "
			"or 1", opt, val);
	slc_shard_id_format(*index, id);
	if (*index >= st->nshards)
		return sluice_fail(cmd, "stream %s has no shard %s (its shards are 0 to %u; see "
			"'sluice shards')", st->name, id, st->nshards - 1);
	if (st->shards[*index].state != SLC_SHARD_OPEN)
		return sluice_fail(cmd, "stream %s shard %s is closed (already split or merged); "
			"reshard one of its open descendants instead (see 'sluice shards')",
			st->name, id);
	return 0;
}

/* The pid holding st's writer lock, 0 if none (or unknown). */
static long
lock_holder(const struct slc_stream *st)
{
	char path[4096], buf[32];
	long pid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/writer.lock", st->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, NULL, 10);
		if (pid <= 0)
			pid = -1;
	}
	close(fd);
	return pid;
}

/*
 * As sluice.h says; in addition req NULL only finds out: 0 (*ans NULL) if a
 * running sluiced holds st's writer lock, else -1. Nothing printed.
 */
int
sluice_reshard_live(const char *cmd, const char *data_dir, const struct slc_stream *st,
	const char *req, json_t **ans)
{
	char path[4096], line[4200], sock[4096] = "", key[64];
	long pid, run_pid = 0;
	json_t *v, *err;
	FILE *f;

	*ans = NULL;
	pid = lock_holder(st);
	if (pid == 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sluiced.run", data_dir);
	f = fopen(path, "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (!strncmp(line, "pid ", 4))
				run_pid = strtol(line + 4, NULL, 10);
			else if (!strncmp(line, "socket ", 7))
				snprintf(sock, sizeof(sock), "%.4000s", line + 7);
		}
		fclose(f);
	}
	if (pid < 0 || run_pid != pid || sock[0] == '\0' || kill((pid_t)pid, 0) != 0)
		return -1;      /* not a sluiced: sluice_reshard_lock names the holder */
	if (req == NULL)
		return 0;       /* only asked whether a sluiced runs the stream */
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(req, ","), req);
	v = sluice_telemetry_ask(cmd, sock, req, key);
	if (v == NULL)
		return sluice_fail(cmd, "stream %s: no answer from the running sluiced (pid %ld); "
			"if it stopped, start it again: a reshard it had begun is finished from "
			"its journal at start; then see 'sluice shards' for the table", st->name,
			pid);
	if (json_integer_value(json_object_get(v, "ok")) != 1) {
		err = json_object_get(v, "error");
		sluice_fail(cmd, "stream %s: the running sluiced (pid %ld) refused or failed: %s",
			st->name, pid, json_is_string(err) ? json_string_value(err) : "no reason given");
		json_decref(v);
		return SLUICE_EXIT_FAIL;
	}
	*ans = v;
	return 0;
}
