/*
 * sluice scale: take a stopped stream's open shards to N shards of equal
 * hash-key ranges (Kinesis UpdateShardCount with UNIFORM_SCALING). The plan
 * comes from slc_stream_scale_plan (split at each target boundary inside an open
 * shard, then merge the pieces of each target range); each step closes its
 * parents at their recovered ends and saves the table once, so a crash part-way
 * leaves a consistent table, and running the same command again finishes the
 * job. At most double or half the open shard count per run, as Kinesis.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "scale"

void
sluice_usage_scale(FILE *f)
{
	fprintf(f,
		"usage: sluice scale --data-dir DIR --stream NAME --target-shards N\n"
		"\n"
		"Split and merge open shards until there are N of equal hash-key ranges (the\n"
		"ranges of a stream created with N shards), as Kinesis UpdateShardCount with\n"
		"UNIFORM_SCALING. N must be from half (rounded up) to double the number of open\n"
		"shards. Works on a stopped data directory: no sluiced or 'sluice put' may be\n"
		"writing the stream. Prints each step, then the new shard table.\n"
		"\n"
		"  --data-dir DIR        data directory\n"
		"  --stream NAME         stream\n"
		"  --target-shards N     number of open shards wanted\n"
		"  -h, --help            this text\n");
}

static int
apply(struct slc_stream *st, const struct slc_reshard_op *op)
{
	char a[SLC_SHARD_ID_LEN + 1], b[SLC_SHARD_ID_LEN + 1], c1[SLC_SHARD_ID_LEN + 1];
	char c2[SLC_SHARD_ID_LEN + 1], k[SLC_U128_STRLEN];
	uint64_t end_a, end_b;
	uint32_t lo, hi;
	int rc;

	slc_shard_id_format(op->shard, a);
	if (op->type == SLC_RESHARD_SPLIT) {
		rc = sluice_reshard_end(CMD, st, op->shard, &end_a);
		if (rc != 0)
			return rc;
		rc = slc_stream_split(st, op->shard, op->new_start, end_a, &lo, &hi);
		if (rc != 0)
			return sluice_fail(CMD, "stream %s: split of %s failed: %s (see the message "
				"above)", st->name, a, strerror(-rc));
		slc_hashkey_format(op->new_start, k);
		slc_shard_id_format(lo, c1);
		slc_shard_id_format(hi, c2);
		printf("split %s (ending sequence counter %" PRIu64 ") at %s into %s and %s\n", a,
			end_a, k, c1, c2);
	} else {
		slc_shard_id_format(op->adjacent, b);
		rc = sluice_reshard_end(CMD, st, op->shard, &end_a);
		if (rc == 0)
			rc = sluice_reshard_end(CMD, st, op->adjacent, &end_b);
		if (rc != 0)
			return rc;
		rc = slc_stream_merge(st, op->shard, op->adjacent, end_a, end_b, &lo);
		if (rc != 0)
			return sluice_fail(CMD, "stream %s: merge of %s and %s failed: %s (see the "
				"message above)", st->name, a, b, strerror(-rc));
		hi = lo;
		slc_shard_id_format(lo, c1);
		printf("merged %s (ending sequence counter %" PRIu64 ") and %s (ending sequence "
			"counter %" PRIu64 ") into %s\n", a, end_a, b, end_b, c1);
	}
	if (lo != op->child)
		return sluice_fail(CMD, "stream %s: the step made shard %u, the plan expected %u; "
			"stopping (the table is consistent: run 'sluice scale' again)", st->name, lo,
			op->child);
	(void)hi;
	return 0;
}

int
sluice_cmd_scale(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "target-shards", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL;
	struct slc_reshard_op *ops = NULL;
	uint32_t nops = 0, i, nopen = 0;
	struct slc_stream *st;
	uint64_t target = 0;
	bool have_target = false;
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
		case 't':
			if (sluice_parse_u64(CMD, "--target-shards", optarg, 1, SLC_STREAM_SHARDS_MAX,
					&target))
				return SLUICE_EXIT_USAGE;
			have_target = true;
			break;
		case 'h':
			sluice_usage_scale(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name))
		return SLUICE_EXIT_USAGE;
	if (!have_target)
		return sluice_usage_err(CMD, "--target-shards is required");

	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	for (i = 0; i < st->nshards; i++)
		nopen += st->shards[i].state == SLC_SHARD_OPEN;
	if (target > 2 * (uint64_t)nopen || target < (nopen + 1) / 2) {
		rc = sluice_fail(CMD, "stream %s has %u open shards: --target-shards %" PRIu64
			" is more than double or less than half of that; give %u to %u, and scale "
			"again for more", st->name, nopen, target, (nopen + 1) / 2, 2 * nopen);
		goto out;
	}
	rc = sluice_reshard_lock(CMD, st, &lock_fd);
	if (rc != 0)
		goto out;
	rc = slc_stream_scale_plan(st, (uint32_t)target, &ops, &nops);
	if (rc != 0) {
		rc = sluice_fail(CMD, "stream %s: no plan to %" PRIu64 " shards: %s (see the "
			"message above)", st->name, target, strerror(-rc));
		goto out;
	}
	printf("scale stream %s from %u to %" PRIu64 " open shards: %u steps\n", st->name, nopen,
		target, nops);
	for (i = 0; i < nops; i++) {
		rc = apply(st, &ops[i]);
		if (rc != 0)
			goto out;
	}
	rc = sluice_shards_print(CMD, stdout, st);
out:
	slc_free(ops);
	if (lock_fd >= 0)
		close(lock_fd);
	slc_stream_close(st);
	return rc;
}
