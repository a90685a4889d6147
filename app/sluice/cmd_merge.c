/*
 * sluice merge: merge two open shards with adjacent hash-key ranges of a stopped
 * stream (Kinesis MergeShards; docs/stream-meta.md, "Resharding"). Takes the
 * stream's writer lock, recovers both parents' logs to learn their ending
 * counters, saves the new shard table once (slc_stream_merge) and prints it.
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

#define CMD "merge"

void
sluice_usage_merge(FILE *f)
{
	fprintf(f,
		"usage: sluice merge --data-dir DIR --stream NAME --shard ID --adjacent-shard ID2\n"
		"\n"
		"Merge open shards ID and ID2, whose hash-key ranges must be adjacent (one ends\n"
		"right before the other starts), into one child covering both, as Kinesis\n"
		"MergeShards: the child's parent is ID and its adjacent parent ID2. Both parents\n"
		"close at their last stored record and stay readable. Works on a stopped data\n"
		"directory, or live through the running sluiced that writes the stream (found by\n"
		"<data-dir>/sluiced.run); a 'sluice put' must not be writing it. Prints the new\n"
		"shard table.\n"
		"\n"
		"  --data-dir DIR          data directory\n"
		"  --stream NAME           stream\n"
		"  --shard ID              shard to merge (shardId-000000000001 or 1)\n"
		"  --adjacent-shard ID2    the shard next to it\n"
		"  -h, --help              this text\n");
}

/* Print what a running sluiced did, then the shard table it saved. */
static int
live_print(const struct slc_stream *old, const char *data_dir, json_t *ans, const char *ida,
	const char *idb)
{
	json_t *ch = json_object_get(ans, "children");
	char c[SLC_SHARD_ID_LEN + 1];

	slc_shard_id_format((uint32_t)json_integer_value(json_array_get(ch, 0)), c);
	printf("merged %s (ending sequence counter %" PRIu64 ") and %s (ending sequence counter %"
		PRIu64 ") into %s, live (shard map version %" PRIu64 ")\n", ida,
		(uint64_t)json_integer_value(json_object_get(ans, "parent0_ending_seq")), idb,
		(uint64_t)json_integer_value(json_object_get(ans, "parent1_ending_seq")), c,
		(uint64_t)json_integer_value(json_object_get(ans, "map_version")));
	return sluice_shards_print_now(CMD, data_dir, old->name);
}

int
sluice_cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "shard", required_argument, NULL, 'S' },
		{ "adjacent-shard", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL, *shard_arg = NULL, *adj_arg = NULL;
	char ida[SLC_SHARD_ID_LEN + 1], idb[SLC_SHARD_ID_LEN + 1], idc[SLC_SHARD_ID_LEN + 1];
	char sa[SLC_U128_STRLEN], ea[SLC_U128_STRLEN], sb[SLC_U128_STRLEN], eb[SLC_U128_STRLEN];
	const struct slc_shard_meta *ma, *mb, *lo, *hi;
	uint32_t shard, adj, child;
	uint64_t end_a, end_b;
	struct slc_stream *st;
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
		case 'a':
			adj_arg = optarg;
			break;
		case 'h':
			sluice_usage_merge(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name) || sluice_require(CMD, "--shard", shard_arg) ||
			sluice_require(CMD, "--adjacent-shard", adj_arg))
		return SLUICE_EXIT_USAGE;

	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	rc = sluice_reshard_shard_arg(CMD, "--shard", shard_arg, st, &shard);
	if (rc == 0)
		rc = sluice_reshard_shard_arg(CMD, "--adjacent-shard", adj_arg, st, &adj);
	if (rc != 0)
		goto out;
	slc_shard_id_format(shard, ida);
	slc_shard_id_format(adj, idb);
	if (shard == adj) {
		rc = sluice_fail(CMD, "stream %s: --shard and --adjacent-shard are both %s: a shard "
			"cannot be merged with itself; give the shard next to it", st->name, ida);
		goto out;
	}
	ma = &st->shards[shard];
	mb = &st->shards[adj];
	lo = ma->start_hash < mb->start_hash ? ma : mb;
	hi = lo == ma ? mb : ma;
	if (lo->end_hash == SLC_U128_MAX || lo->end_hash + 1 != hi->start_hash) {
		slc_hashkey_format(ma->start_hash, sa);
		slc_hashkey_format(ma->end_hash, ea);
		slc_hashkey_format(mb->start_hash, sb);
		slc_hashkey_format(mb->end_hash, eb);
		rc = sluice_fail(CMD, "stream %s: shards %s [%s, %s] and %s [%s, %s] are not "
			"adjacent: one's range must end right before the other's starts (see "
			"'sluice shards')", st->name, ida, sa, ea, idb, sb, eb);
		goto out;
	}
	snprintf(req, sizeof(req), "/sluice/merge,%s,%u,%u", st->name, shard, adj);
	rc = sluice_reshard_live(CMD, data_dir, st, req, &ans);
	if (rc >= 0) {
		if (rc == 0) {
			rc = live_print(st, data_dir, ans, ida, idb);
			json_decref(ans);
		}
		goto out;
	}
	rc = sluice_reshard_lock(CMD, st, &lock_fd);
	if (rc == 0)
		rc = sluice_reshard_end(CMD, st, shard, &end_a);
	if (rc == 0)
		rc = sluice_reshard_end(CMD, st, adj, &end_b);
	if (rc != 0)
		goto out;
	rc = slc_stream_merge(st, shard, adj, end_a, end_b, &child);
	if (rc != 0) {
		rc = sluice_fail(CMD, "stream %s: merge of shards %s and %s failed: %s (see the "
			"message above); the shard table is unchanged", st->name, ida, idb,
			strerror(-rc));
		goto out;
	}
	slc_shard_id_format(child, idc);
	printf("merged %s (ending sequence counter %" PRIu64 ") and %s (ending sequence counter %"
		PRIu64 ") into %s\n", ida, end_a, idb, end_b, idc);
	rc = sluice_shards_print(CMD, stdout, st);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	slc_stream_close(st);
	return rc;
}
