/*
 * sluice shards: a stream's settings and its shard table, with what each shard
 * holds on disk (slc_log_shard_info, read-only: a writer may be active).
 * Also used by `sluice create` to show the stream it made.
 *
 * After the table, if sluiced ran an autoscale policy on the stream, the policy
 * and its last decisions from streams/<s>/autoscale.log (one JSON object a line,
 * docs/autoscale.md). The file is only read, so this works on a running or a
 * stopped data directory alike.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "shards"

void
sluice_usage_shards(FILE *f)
{
	fprintf(f,
		"usage: sluice shards --data-dir DIR --stream NAME\n"
		"\n"
		"Print the stream's settings and one line per shard: id, state (open/closed),\n"
		"start and end of its hash-key range (decimal, inclusive), parent and adjacent\n"
		"parent (or -), first and last stored sequence number (or - if empty), number\n"
		"of records, bytes of segment files, and for a closed shard its ending sequence\n"
		"number: that of the last record it will ever hold (none if it never held one).\n"
		"If sluiced scaled the stream by itself (--autoscale, docs/autoscale.md), the\n"
		"policy and its last 10 decisions follow the table.\n"
		"\n"
		"  --data-dir DIR   data directory\n"
		"  --stream NAME    stream\n"
		"  -h, --help       this text\n");
}

static void
parent_format(uint32_t p, char *buf)
{
	if (p == SLC_SHARD_NONE)
		strcpy(buf, "-");
	else
		slc_shard_id_format(p, buf);
}

int
sluice_shards_print(const char *cmd, FILE *f, const struct slc_stream *st)
{
	char id[SLC_SHARD_ID_LEN + 1], par[SLC_SHARD_ID_LEN + 1], adj[SLC_SHARD_ID_LEN + 1];
	char sh[SLC_U128_STRLEN], eh[SLC_U128_STRLEN];
	char fs[SLC_SEQ_STRLEN], ls[SLC_SEQ_STRLEN], es[SLC_SEQ_STRLEN];
	struct slc_log_shard_info info;
	int rc = SLUICE_EXIT_OK, err;
	uint32_t i;

	fprintf(f, "stream %s: %u shards, compression %s, durability %s, max record %u bytes, "
		"retention %u h\n", st->name, st->nshards,
		slc_compression_name(st->settings.compression),
		slc_durability_name(st->settings.durability), st->settings.max_record,
		st->settings.retention_hours);
	fprintf(f, "%-20s %-6s %-39s %-39s %-20s %-20s %-39s %-39s %12s %14s %s\n",
		"SHARD", "STATE", "START_HASH", "END_HASH", "PARENT", "ADJACENT_PARENT",
		"FIRST_SEQ", "LAST_SEQ", "RECORDS", "BYTES", "ENDING_SEQ");
	for (i = 0; i < st->nshards; i++) {
		const struct slc_shard_meta *m = &st->shards[i];

		slc_shard_id_format(m->index, id);
		slc_hashkey_format(m->start_hash, sh);
		slc_hashkey_format(m->end_hash, eh);
		parent_format(m->parent, par);
		parent_format(m->adjacent_parent, adj);
		/* ending_seq is exclusive (docs/stream-meta.md): show the last record's number */
		if (m->state == SLC_SHARD_OPEN)
			strcpy(es, "-");
		else if (m->ending_seq > m->starting_seq)
			slc_seq_format(m->index, m->ending_seq - 1, es);
		else
			strcpy(es, "none");
		err = slc_log_shard_info(st, m->index, &info);
		if (err != 0) {
			fprintf(f, "%-20s %-6s %-39s %-39s %-20s %-20s %-39s %-39s %12s %14s %s\n",
				id, m->state == SLC_SHARD_OPEN ? "open" : "closed", sh, eh, par, adj,
				"?", "?", "?", "?", es);
			sluice_fail(cmd, "stream %s shard %s: cannot read its log: %s", st->name, id,
				strerror(-err));
			rc = SLUICE_EXIT_FAIL;
			continue;
		}
		if (info.records > 0) {
			slc_seq_format(m->index, info.first_seq, fs);
			slc_seq_format(m->index, info.next_seq - 1, ls);
		} else {
			strcpy(fs, "-");
			strcpy(ls, "-");
		}
		fprintf(f, "%-20s %-6s %-39s %-39s %-20s %-20s %-39s %-39s %12" PRIu64 " %14" PRIu64
			" %s\n", id, m->state == SLC_SHARD_OPEN ? "open" : "closed", sh, eh, par, adj,
			fs, ls, info.records, info.bytes, es);
	}
	if (fflush(f) != 0)
		return sluice_fail(cmd, "cannot write output: %s", strerror(errno));
	return rc;
}

int
sluice_shards_print_now(const char *cmd, const char *data_dir, const char *name)
{
	struct slc_stream *st = sluice_stream_open(cmd, data_dir, name);
	int rc;

	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	rc = sluice_shards_print(cmd, stdout, st);
	slc_stream_close(st);
	return rc;
}

/* ---------------------------------------------------------------- autoscale */

#define AS_LAST 10

/* "2026-01-02T03:04:05.678Z" for ms since the epoch. */
static void
time_format(json_int_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* True if <data_dir>/sluiced.run names pid and that process is alive. */
static bool
sluiced_running(const char *data_dir, long pid)
{
	char path[4096], line[256];
	long p = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sluiced.run", data_dir);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "pid %ld", &p) == 1)
			break;
	fclose(f);
	return p == pid && p > 0 && (kill((pid_t)p, 0) == 0 || errno == EPERM);
}

static void
rate_key(FILE *f, const json_t *pol, const char *field, const char *name, bool *first)
{
	json_int_t v = json_integer_value(json_object_get(pol, field));

	fprintf(f, "%s%s ", *first ? "" : ", ", name);
	if (v == 0)
		fprintf(f, "off");
	else
		fprintf(f, "%" JSON_INTEGER_FORMAT, v);
	*first = false;
}

/* The policy line and the last decisions of streams/<s>/autoscale.log, if any. */
static int
autoscale_print(const char *cmd, FILE *f, const char *data_dir, const struct slc_stream *st)
{
	json_t *pol = NULL, *last[AS_LAST] = { NULL }, *o;
	char path[4200], when[64], *line = NULL;
	uint64_t n_dec = 0, bad = 0, k, n;
	size_t cap = 0;
	json_error_t je;
	FILE *in;
	bool first = true;

	snprintf(path, sizeof(path), "%s/autoscale.log", st->dir);
	in = fopen(path, "r");
	if (in == NULL) {
		if (errno == ENOENT)
			return SLUICE_EXIT_OK;
		return sluice_fail(cmd, "cannot read %s: %s", path, strerror(errno));
	}
	while (getline(&line, &cap, in) > 0) {
		o = json_loads(line, 0, &je);
		if (o == NULL || !json_is_object(o)) {
			json_decref(o);
			bad++;
			continue;
		}
		if (json_is_object(json_object_get(o, "policy"))) {
			json_decref(pol);
			pol = o;
		} else if (json_is_string(json_object_get(o, "action"))) {
			json_decref(last[n_dec % AS_LAST]);
			last[n_dec % AS_LAST] = o;
			n_dec++;
		} else {
			json_decref(o);
			bad++;
		}
	}
	free(line);
	fclose(in);

	fprintf(f, "\n");
	if (pol != NULL) {
		const json_t *p = json_object_get(pol, "policy");
		json_int_t pid = json_integer_value(json_object_get(pol, "pid"));

		time_format(json_integer_value(json_object_get(pol, "time_ms")), when, sizeof(when));
		fprintf(f, "autoscale: policy of sluiced pid %" JSON_INTEGER_FORMAT
			" (started %s, %s): ", pid, when,
			sluiced_running(data_dir, (long)pid) ? "running" : "not running");
		rate_key(f, p, "split_rps", "split-rps", &first);
		rate_key(f, p, "split_bps", "split-bps", &first);
		rate_key(f, p, "merge_rps", "merge-rps", &first);
		rate_key(f, p, "merge_bps", "merge-bps", &first);
		fprintf(f, ", min-shards %" JSON_INTEGER_FORMAT ", max-shards %" JSON_INTEGER_FORMAT
			", window-s %" JSON_INTEGER_FORMAT ", cooldown-s %" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(p, "min_shards")),
			json_integer_value(json_object_get(p, "max_shards")),
			json_integer_value(json_object_get(p, "window_s")),
			json_integer_value(json_object_get(p, "cooldown_s")));
	} else {
		fprintf(f, "autoscale: no policy line in %s\n", path);
	}
	n = n_dec < AS_LAST ? n_dec : AS_LAST;
	if (n_dec == 0)
		fprintf(f, "autoscale: no decision yet\n");
	else
		fprintf(f, "autoscale: %" PRIu64 " decision%s, the last %" PRIu64 ":\n", n_dec,
			n_dec == 1 ? "" : "s", n);
	for (k = n_dec - n; k < n_dec; k++) {
		const json_t *d = last[k % AS_LAST];
		const char *text = json_string_value(json_object_get(d, "text"));

		time_format(json_integer_value(json_object_get(d, "time_ms")), when, sizeof(when));
		fprintf(f, "  %s %s\n", when, text != NULL ? text :
			json_string_value(json_object_get(d, "action")));
	}
	if (bad > 0)
		fprintf(f, "autoscale: %" PRIu64 " line%s of %s could not be read (skipped)\n", bad,
			bad == 1 ? "" : "s", path);
	json_decref(pol);
	for (k = 0; k < AS_LAST; k++)
		json_decref(last[k]);
	return SLUICE_EXIT_OK;
}

int
sluice_cmd_shards(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL;
	struct slc_stream *st;
	int c, rc;

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
		case 'h':
			sluice_usage_shards(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name))
		return SLUICE_EXIT_USAGE;
	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	rc = sluice_shards_print(CMD, stdout, st);
	if (autoscale_print(CMD, stdout, data_dir, st) != SLUICE_EXIT_OK)
		rc = SLUICE_EXIT_FAIL;
	if (fflush(stdout) != 0)
		rc = sluice_fail(CMD, "cannot write output: %s", strerror(errno));
	slc_stream_close(st);
	return rc;
}
