/*
 * sluice create: make a new stream of N equal shards (slc_stream_create) and
 * print its shard table. The settings are fixed at creation; every shard
 * directory exists afterwards, empty.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "slc_block.h"
#include "slc_hashkey.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "create"

/* Largest data size that still fits one record in one block. */
#define MAX_RECORD_LIMIT (SLC_BLOCK_PAYLOAD_MAX - SLC_REC_HDR_LEN - 16 - SLC_PKEY_MAX)

void
sluice_usage_create(FILE *f)
{
	fprintf(f,
		"usage: sluice create --data-dir DIR --stream NAME --shards N [options]\n"
		"\n"
		"Create stream NAME of N shards (1..%d) splitting the hash-key space evenly,\n"
		"then print its shard table.\n"
		"\n"
		"  --data-dir DIR           data directory (created if missing)\n"
		"  --stream NAME            1..%d characters of A-Z a-z 0-9 _ . -\n"
		"  --shards N               number of shards\n"
		"  --compression none|deflate   block compression (default none)\n"
		"  --durability direct|fsync    when a record counts as stored (default direct)\n"
		"  --max-record BYTES       largest data per record (default %u)\n"
		"  --retention-hours H      1..8760 (default %d)\n"
		"  -h, --help               this text\n",
		SLC_STREAM_SHARDS_MAX, SLC_STREAM_NAME_MAX, SLC_STREAM_MAX_RECORD_DEFAULT,
		SLC_STREAM_RETENTION_HOURS_DEFAULT);
}

int
sluice_cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "shards", required_argument, NULL, 'n' },
		{ "compression", required_argument, NULL, 'c' },
		{ "durability", required_argument, NULL, 'D' },
		{ "max-record", required_argument, NULL, 'm' },
		{ "retention-hours", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct slc_stream_settings set;
	const char *data_dir = NULL, *name = NULL;
	struct slc_stream *st;
	uint64_t nshards = 0, v;
	int c, rc;

	slc_stream_settings_default(&set);
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
		case 'n':
			if (sluice_parse_u64(CMD, "--shards", optarg, 1, SLC_STREAM_SHARDS_MAX, &nshards))
				return SLUICE_EXIT_USAGE;
			break;
		case 'c':
			if (slc_compression_parse(optarg, &set.compression) != 0)
				return sluice_usage_err(CMD, "--compression '%s' is not valid: use none "
					"or deflate", optarg);
			break;
		case 'D':
			if (slc_durability_parse(optarg, &set.durability) != 0)
				return sluice_usage_err(CMD, "--durability '%s' is not valid: use direct "
					"or fsync", optarg);
			break;
		case 'm':
			if (sluice_parse_u64(CMD, "--max-record", optarg, 1, MAX_RECORD_LIMIT, &v))
				return SLUICE_EXIT_USAGE;
			set.max_record = (uint32_t)v;
			break;
		case 'r':
			if (sluice_parse_u64(CMD, "--retention-hours", optarg, 1, 8760, &v))
				return SLUICE_EXIT_USAGE;
			set.retention_hours = (uint32_t)v;
			break;
		case 'h':
			sluice_usage_create(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name))
		return SLUICE_EXIT_USAGE;
	if (nshards == 0)
		return sluice_usage_err(CMD, "--shards is required");
	if (!slc_stream_name_valid(name))
		return sluice_usage_err(CMD, "--stream '%s' is not a valid stream name: use 1 to %d "
			"characters of A-Z a-z 0-9 _ . -", name, SLC_STREAM_NAME_MAX);

	st = slc_stream_create(data_dir, name, (uint32_t)nshards, &set);
	if (st == NULL) {
		if (errno == EEXIST)
			return sluice_fail(CMD, "stream %s already exists in %s (pick another name, or "
				"read it with 'sluice shards')", name, data_dir);
		if (errno == EINVAL)
			return sluice_fail(CMD, "stream %s: the stream library rejected the settings "
				"(see the message above)", name);
		return sluice_fail(CMD, "cannot create stream %s in %s: %s", name, data_dir,
			strerror(errno));
	}
	rc = sluice_shards_print(CMD, stdout, st);
	slc_stream_close(st);
	return rc;
}
