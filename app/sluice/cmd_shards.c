/*
 * sluice shards: a stream's settings and its shard table, with what each shard
 * holds on disk (slc_log_shard_info, read-only: a writer may be active).
 * Also used by `sluice create` to show the stream it made.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
	slc_stream_close(st);
	return rc;
}
