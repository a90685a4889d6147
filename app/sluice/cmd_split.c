/*
 * sluice split: split an open shard of a stopped stream at a new starting hash
 * key (Kinesis SplitShard; docs/stream-meta.md, "Resharding"). Takes the
 * stream's writer lock, recovers the parent's log to learn its ending counter,
 * saves the new shard table once (slc_stream_split) and prints it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "split"

void
sluice_usage_split(FILE *f)
{
	fprintf(f,
		"usage: sluice split --data-dir DIR --stream NAME --shard ID --new-starting-hash-key K\n"
		"\n"
		"Split open shard ID into two children: [start, K-1] and [K, end] of its hash-key\n"
		"range, as Kinesis SplitShard (K must be above the range's start and at most its\n"
		"end). The parent closes at its last stored record and stays readable; the\n"
		"children get the next shard ids. On a stopped data directory, or live through\n"
		"the running sluiced that writes the stream (found by <data-dir>/sluiced.run);\n"
		"a 'sluice put' must not be writing it. Prints the new shard table.\n"
		"\n"
		"  --data-dir DIR               data directory\n"
		"  --stream NAME                stream\n"
		"  --shard ID                   shard to split (shardId-000000000001 or 1)\n"
		"  --new-starting-hash-key K    decimal hash key, 0..2^128-1\n"
		"  -h, --help                   this text\n");
}

/* Print what a running sluiced did, then the shard table it saved. */
static int
live_print(const struct slc_stream *old, const char *data_dir, json_t *ans, const char *id,
	const char *key)
{
	json_t *ch = json_object_get(ans, "children");
	char a[SLC_SHARD_ID_LEN + 1], b[SLC_SHARD_ID_LEN + 1];

	slc_shard_id_format((uint32_t)json_integer_value(json_array_get(ch, 0)), a);
	slc_shard_id_format((uint32_t)json_integer_value(json_array_get(ch, 1)), b);
	printf("split %s (ending sequence counter %" PRIu64 ") at %s into %s and %s, live "
		"(shard map version %" PRIu64 ")\n", id,
		(uint64_t)json_integer_value(json_object_get(ans, "parent0_ending_seq")), key, a, b,
		(uint64_t)json_integer_value(json_object_get(ans, "map_version")));
	return sluice_shards_print_now(CMD, data_dir, old->name);
}

int
sluice_cmd_split(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "shard", required_argument, NULL, 'S' },
		{ "new-starting-hash-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL, *shard_arg = NULL, *key_arg = NULL;
	char id[SLC_SHARD_ID_LEN + 1], a[SLC_SHARD_ID_LEN + 1], b[SLC_SHARD_ID_LEN + 1];
	char s[SLC_U128_STRLEN], e[SLC_U128_STRLEN];
	uint32_t shard, lo, hi;
	struct slc_stream *st;
	uint64_t end_seq;
	slc_u128 key;
	char req[512];
	json_t *ans = NULL;
	int c, rc, lock_fd = -1;

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
		case 'S':
			shard_arg = optarg;
			break;
		case 'k':
			key_arg = optarg;
			break;
		case 'h':
			sluice_usage_split(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name) || sluice_require(CMD, "--shard", shard_arg) ||
			sluice_require(CMD, "--new-starting-hash-key", key_arg))
		return SLUICE_EXIT_USAGE;
	if (slc_hashkey_parse(key_arg, &key) != 0)
		return sluice_usage_err(CMD, "--new-starting-hash-key '%s' is not a hash key: give a "
			"decimal from 0 to 340282366920938463463374607431768211455", key_arg);

	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	rc = sluice_reshard_shard_arg(CMD, "--shard", shard_arg, st, &shard);
	if (rc != 0)
		goto out;
	slc_shard_id_format(shard, id);
	if (key <= st->shards[shard].start_hash || key > st->shards[shard].end_hash) {
		slc_hashkey_format(st->shards[shard].start_hash, s);
		slc_hashkey_format(st->shards[shard].end_hash, e);
		rc = sluice_fail(CMD, "stream %s: --new-starting-hash-key %s is not inside shard "
			"%s's range [%s, %s]: give a key above %s and at most %s", st->name, key_arg,
			id, s, e, s, e);
		goto out;
	}
	snprintf(req, sizeof(req), "/sluice/split,%s,%u,%s", st->name, shard, key_arg);
	rc = sluice_reshard_live(CMD, data_dir, st, req, &ans);
	if (rc >= 0) {
		if (rc == 0) {
			rc = live_print(st, data_dir, ans, id, key_arg);
			json_decref(ans);
		}
		goto out;
	}
	rc = sluice_reshard_lock(CMD, st, &lock_fd);
	if (rc != 0)
		goto out;
	rc = sluice_reshard_end(CMD, st, shard, &end_seq);
	if (rc != 0)
		goto out;
	rc = slc_stream_split(st, shard, key, end_seq, &lo, &hi);
	if (rc != 0) {
		rc = sluice_fail(CMD, "stream %s: split of shard %s failed: %s (see the message "
			"above); the shard table is unchanged", st->name, id, strerror(-rc));
		goto out;
	}
	slc_shard_id_format(lo, a);
	slc_shard_id_format(hi, b);
	printf("split %s (ending sequence counter %" PRIu64 ") at %s into %s and %s\n", id,
		end_seq, key_arg, a, b);
	rc = sluice_shards_print(CMD, stdout, st);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	slc_stream_close(st);
	return rc;
}
