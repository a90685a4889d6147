/*
 * What `sluice split`, `sluice merge` and `sluice scale` share: taking the
 * stream's writer lock with a message that says live resharding is not there
 * yet, and closing a parent: recover its log (cut a torn tail) to learn the
 * counter after its last durable record, which becomes its ending sequence
 * value (docs/stream-meta.md, "Resharding").
 *
 * These tools act on a stopped data directory only. The writer lock is what
 * makes the recovered end final: while we hold it no sluiced or `sluice put`
 * appends, and after the new table is saved no writer opens a closed shard.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "slc_log.h"
#include "sluice.h"

int
sluice_reshard_lock(const char *cmd, const struct slc_stream *st, int *fdp)
{
	char path[4096], buf[32];
	ssize_t n;
	int fd;

	/* Look first, so that a busy stream gets the resharding message. */
	snprintf(path, sizeof(path), "%s/writer.lock", st->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			return sluice_fail(cmd, "stream %s is being written by pid %s: live "
				"resharding through the running sluiced is not available yet; stop "
				"it (or the sluice put) and run this again", st->name,
				buf[0] != '\0' ? buf : "?");
		}
		close(fd);
	}
	return sluice_writer_lock(cmd, st, fdp);
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
