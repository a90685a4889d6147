/*
 * sluice retention: change a stream's retention (age in hours or minutes, an
 * optional size cap) and, when no process writes the stream, delete the
 * segments that have expired (lib/retention), printing each deleted file and
 * the new trim horizon of every shard.
 *
 * The settings go to stream.meta (slc_stream_save). Deleting needs the stream's
 * writer lock, so that no writer can start meanwhile; when a running sluiced (or
 * sluice put) holds it, only the settings change, and the appliance applies them
 * at its next retention pass: it notices that stream.meta changed (docs/retention.md).
 * The settings are read and saved under the stream.meta lock (an flock on the
 * stream directory), which a running sluiced also holds from reading to saving
 * the table of a live reshard: without it one save could undo the other (a lost
 * reshard, or lost settings).
 * --now-ms moves the clock retention measures ages against, for tests.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "slc_log.h"
#include "slc_retention.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "retention"

void
sluice_usage_retention(FILE *f)
{
	fprintf(f,
		"usage: sluice retention --data-dir DIR --stream NAME [options]\n"
		"\n"
		"Set how long stream NAME keeps its records and how many bytes it may hold, then\n"
		"delete the segments that are past it (whole segment files, oldest first; the\n"
		"segment an open shard writes always stays). Prints every deleted file and the\n"
		"new trim horizon of each shard. Without a setting option it applies the\n"
		"current settings.\n"
		"\n"
		"  --data-dir DIR           data directory\n"
		"  --stream NAME            the stream\n"
		"  --hours H                keep records for H hours (1..8760)\n"
		"  --minutes M              keep records for M minutes (1..525600)\n"
		"  --max-bytes N            cap the stream's segment files at N bytes (0: no cap)\n"
		"  --apply-now              delete expired segments now (the default when no\n"
		"                           process writes the stream)\n"
		"  --no-apply               only change the settings\n"
		"  --now-ms T               measure ages against time T (ms since the epoch)\n"
		"                           instead of the clock\n"
		"  -h, --help               this text\n"
		"\n"
		"If a running sluiced writes the stream, only the settings change here and the\n"
		"appliance applies them within its --retention-interval-s.\n");
}

static void
print_policy(const struct slc_stream *st)
{
	const struct slc_stream_settings *s = &st->settings;

	if (s->retention_minutes != 0)
		printf("stream %s: retention %" PRIu32 " minutes", st->name, s->retention_minutes);
	else
		printf("stream %s: retention %" PRIu32 " hours", st->name, s->retention_hours);
	if (s->max_bytes != 0)
		printf(", max_bytes %" PRIu64 "\n", s->max_bytes);
	else
		printf(", no size cap\n");
}

static void
on_deleted(void *arg, const struct slc_retention_event *ev)
{
	char id[SLC_SHARD_ID_LEN + 1];

	(void)arg;
	slc_shard_id_format(ev->shard, id);
	printf("deleted %s/%020" PRIu64 ".log: %" PRIu64 " records, %" PRIu64 " bytes (%s)%s\n",
		id, ev->seg.first_seq, ev->seg.next_seq - ev->seg.first_seq,
		ev->seg.log_bytes + ev->seg.idx_bytes, slc_retention_cause_name(ev->cause),
		ev->shard_expired ? ", closed shard fully expired" : "");
}

static int
print_horizons(const struct slc_stream *st)
{
	struct slc_log_shard_info info;
	char id[SLC_SHARD_ID_LEN + 1], seq[SLC_SEQ_STRLEN];
	uint32_t i;
	int rc;

	for (i = 0; i < st->nshards; i++) {
		slc_shard_id_format(i, id);
		rc = slc_log_shard_info(st, i, &info);
		if (rc < 0)
			return sluice_fail(CMD, "stream %s %s: cannot read what it holds: %s",
				st->name, id, strerror(-rc));
		slc_seq_format(i, info.first_seq, seq);
		printf("%s: trim horizon %s (counter %" PRIu64 "), %" PRIu32 " segments, %" PRIu64
			" records, %" PRIu64 " bytes%s\n", id, seq, info.first_seq, info.segments,
			info.records, info.bytes,
			st->shards[i].state == SLC_SHARD_CLOSED && info.segments == 0 ?
			", fully expired" : "");
	}
	return 0;
}

int
sluice_cmd_retention(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "hours", required_argument, NULL, 'H' },
		{ "minutes", required_argument, NULL, 'M' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "apply-now", no_argument, NULL, 'a' },
		{ "no-apply", no_argument, NULL, 'A' },
		{ "now-ms", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL;
	struct slc_retention_hooks hooks = { .event = on_deleted };
	struct slc_retention_policy pol;
	struct slc_retention_report rep;
	struct slc_stream *st, *fresh;
	uint64_t hours = 0, minutes = 0, max_bytes = 0, now = 0;
	bool set_bytes = false, apply = false, no_apply = false, have_now = false;
	struct timespec ts;
	int c, rc, lock_fd = -1, meta_fd = -1, ret = SLUICE_EXIT_OK;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data_dir = optarg;
			break;
		case 's':
			name = optarg;
			break;
		case 'H':
			if (sluice_parse_u64(CMD, "--hours", optarg, 1, 8760, &hours))
				return SLUICE_EXIT_USAGE;
			break;
		case 'M':
			if (sluice_parse_u64(CMD, "--minutes", optarg, 1,
					SLC_STREAM_RETENTION_MINUTES_MAX, &minutes))
				return SLUICE_EXIT_USAGE;
			break;
		case 'b':
			if (sluice_parse_u64(CMD, "--max-bytes", optarg, 0, UINT64_MAX, &max_bytes))
				return SLUICE_EXIT_USAGE;
			set_bytes = true;
			break;
		case 'a':
			apply = true;
			break;
		case 'A':
			no_apply = true;
			break;
		case 't':
			if (sluice_parse_u64(CMD, "--now-ms", optarg, 0, INT64_MAX, &now))
				return SLUICE_EXIT_USAGE;
			have_now = true;
			break;
		case 'h':
			sluice_usage_retention(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name))
		return SLUICE_EXIT_USAGE;
	if (hours != 0 && minutes != 0)
		return sluice_usage_err(CMD, "give either --hours or --minutes, not both");
	if (apply && no_apply)
		return sluice_usage_err(CMD, "give either --apply-now or --no-apply, not both");

	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	if (hours != 0 || minutes != 0 || set_bytes) {
		/* Read again under the lock: save exactly the table that is on disk. */
		meta_fd = sluice_meta_lock(CMD, st);
		if (meta_fd < 0) {
			ret = SLUICE_EXIT_FAIL;
			goto out;
		}
		fresh = sluice_stream_open(CMD, data_dir, name);
		if (fresh == NULL) {
			ret = SLUICE_EXIT_FAIL;
			goto out;
		}
		slc_stream_close(st);
		st = fresh;
		if (hours != 0) {
			st->settings.retention_hours = (uint32_t)hours;
			st->settings.retention_minutes = 0;
		} else if (minutes != 0) {
			/* retention_hours stays required: the minutes rounded up to hours */
			st->settings.retention_minutes = (uint32_t)minutes;
			st->settings.retention_hours = (uint32_t)((minutes + 59) / 60);
		}
		if (set_bytes)
			st->settings.max_bytes = max_bytes;
		rc = slc_stream_save(st);
		if (rc < 0) {
			ret = sluice_fail(CMD, "stream %s: cannot save %s/stream.meta: %s", name,
				st->dir, strerror(-rc));
			goto out;
		}
		close(meta_fd);
		meta_fd = -1;
		printf("stream %s: settings saved (meta_version %" PRIu32 ")\n", name,
			st->meta_version);
	}
	print_policy(st);
	if (no_apply)
		goto out;

	/* A process that writes the stream holds its writer lock; it applies the settings. */
	if (sluice_writer_lock(CMD, st, &lock_fd) != 0) {
		printf("stream %s: not applied here (the writer lock is held, see above); a "
			"running sluiced applies the retention settings at its next pass "
			"(--retention-interval-s)\n", name);
		goto out;
	}
	if (!have_now) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	slc_retention_policy_from(&st->settings, &pol);
	memset(&rep, 0, sizeof(rep));
	rc = slc_retention_run(st, &pol, (int64_t)now, &hooks, &rep);
	if (rc < 0) {
		ret = sluice_fail(CMD, "stream %s: retention failed: %s", name, strerror(-rc));
		goto out;
	}
	printf("deleted %" PRIu64 " segments, %" PRIu64 " records, %" PRIu64 " bytes\n",
		rep.segments_deleted, rep.records_deleted, rep.bytes_deleted);
	ret = print_horizons(st);
	if (ret == SLUICE_EXIT_OK && rep.errors > 0)
		ret = sluice_fail(CMD, "stream %s: %" PRIu32 " segments could not be read or "
			"deleted (see the messages above)", name, rep.errors);
out:
	if (meta_fd >= 0)
		close(meta_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	slc_stream_close(st);
	return ret;
}
