/*
 * sluice scale: take a stream's open shards to N shards of equal hash-key
 * ranges (Kinesis UpdateShardCount with UNIFORM_SCALING). The plan comes from
 * slc_stream_scale_plan (split at each target boundary inside an open shard,
 * then merge the pieces of each target range), computed from the table as it
 * is. At most double or half the open shard count per run, as Kinesis.
 *
 * On a stopped data directory each step closes its parents at their recovered
 * ends and saves the table once. When a running sluiced writes the stream, each
 * step is one live split or merge request to it (the same as `sluice split` and
 * `sluice merge` send; docs/resharding.md, "Live"), in plan order; each child
 * index the plan predicted is checked against what sluiced made, so a reshard
 * by someone else meanwhile (autoscaling) stops the run. Either way each step
 * is atomic: a failure or crash part-way leaves a consistent table, and running
 * the same command again plans from that table and finishes the job.
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

/*
 * Shards a running sluiced can add before it must be restarted:
 * SLC_INGEST_SPARE_SLOTS in lib/ingest/slc_ingest.h (the tool does not link
 * the data plane's headers).
 */
#define LIVE_SPARE_SLOTS 64

void
sluice_usage_scale(FILE *f)
{
	fprintf(f,
		"usage: sluice scale --data-dir DIR --stream NAME --target-shards N\n"
		"\n"
		"Split and merge open shards until there are N of equal hash-key ranges (the\n"
		"ranges of a stream created with N shards), as Kinesis UpdateShardCount with\n"
		"UNIFORM_SCALING. N must be from half (rounded up) to double the number of open\n"
		"shards. On a stopped data directory, or live through the running sluiced that\n"
		"writes the stream (found by <data-dir>/sluiced.run), one split or merge at a\n"
		"time; a 'sluice put' must not be writing it. A running sluiced can add at most\n"
		"64 shards before it is restarted. Prints each step, then the new shard table.\n"
		"If a step fails, the steps before it stay done: run the command again.\n"
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

/* "split of shardId-... at K" or "merge of shardId-... and shardId-...". */
static void
op_text(const struct slc_reshard_op *op, char *buf, size_t len)
{
	char a[SLC_SHARD_ID_LEN + 1], b[SLC_SHARD_ID_LEN + 1], k[SLC_U128_STRLEN];

	slc_shard_id_format(op->shard, a);
	if (op->type == SLC_RESHARD_SPLIT) {
		slc_hashkey_format(op->new_start, k);
		snprintf(buf, len, "split of %s at %s", a, k);
	} else {
		slc_shard_id_format(op->adjacent, b);
		snprintf(buf, len, "merge of %s and %s", a, b);
	}
}

/* Shards the plan adds: two per split, one per merge. */
static uint32_t
plan_children(const struct slc_reshard_op *ops, uint32_t nops)
{
	uint32_t i, n = 0;

	for (i = 0; i < nops; i++)
		n += ops[i].type == SLC_RESHARD_SPLIT ? 2 : 1;
	return n;
}

/*
 * The target nearest to `target` (from the open count towards it) whose plan
 * adds at most LIVE_SPARE_SLOTS shards, or 0 if none.
 */
static uint32_t
live_step_target(const struct slc_stream *st, uint32_t nopen, uint32_t target)
{
	struct slc_reshard_op *ops;
	uint32_t t, nops, n;

	for (t = target; t != nopen; t = t > nopen ? t - 1 : t + 1) {
		if (slc_stream_scale_plan(st, t, &ops, &nops) != 0)
			continue;
		n = plan_children(ops, nops);
		slc_free(ops);
		if (n <= LIVE_SPARE_SLOTS)
			return t;
	}
	return 0;
}

/* Send step i of n to the running sluiced and print what it did. 0 or 1. */
static int
apply_live(const struct slc_stream *st, const char *data_dir, const struct slc_reshard_op *op,
	uint32_t i, uint32_t n)
{
	char a[SLC_SHARD_ID_LEN + 1], b[SLC_SHARD_ID_LEN + 1], c1[SLC_SHARD_ID_LEN + 1];
	char c2[SLC_SHARD_ID_LEN + 1], k[SLC_U128_STRLEN], what[160], req[512];
	uint32_t child;
	json_t *ans, *ch;
	int rc;

	op_text(op, what, sizeof(what));
	slc_shard_id_format(op->shard, a);
	slc_hashkey_format(op->new_start, k);
	if (op->type == SLC_RESHARD_SPLIT)
		snprintf(req, sizeof(req), "/sluice/split,%s,%u,%s", st->name, op->shard, k);
	else
		snprintf(req, sizeof(req), "/sluice/merge,%s,%u,%u", st->name, op->shard,
			op->adjacent);
	rc = sluice_reshard_live(CMD, data_dir, st, req, &ans);
	if (rc < 0)
		return sluice_fail(CMD, "stream %s: step %u of %u (%s) not sent: no running sluiced "
			"holds the stream any more; the steps before it are done and the shard "
			"table is consistent: start sluiced (it finishes a reshard it had begun) "
			"or leave it stopped, then run 'sluice scale' again to continue from the "
			"table as it is now", st->name, i + 1, n, what);
	if (rc != 0)
		return sluice_fail(CMD, "stream %s: step %u of %u (%s) failed (see above); the "
			"steps before it are done and the shard table is consistent: run 'sluice "
			"scale' again to continue from the table as it is now", st->name, i + 1, n,
			what);
	ch = json_object_get(ans, "children");
	child = (uint32_t)json_integer_value(json_array_get(ch, 0));
	slc_shard_id_format(child, c1);
	if (op->type == SLC_RESHARD_SPLIT) {
		slc_shard_id_format((uint32_t)json_integer_value(json_array_get(ch, 1)), c2);
		printf("split %s (ending sequence counter %" PRIu64 ") at %s into %s and %s, live "
			"(shard map version %" PRIu64 ")\n", a,
			(uint64_t)json_integer_value(json_object_get(ans, "parent0_ending_seq")), k,
			c1, c2, (uint64_t)json_integer_value(json_object_get(ans, "map_version")));
	} else {
		slc_shard_id_format(op->adjacent, b);
		printf("merged %s (ending sequence counter %" PRIu64 ") and %s (ending sequence "
			"counter %" PRIu64 ") into %s, live (shard map version %" PRIu64 ")\n", a,
			(uint64_t)json_integer_value(json_object_get(ans, "parent0_ending_seq")), b,
			(uint64_t)json_integer_value(json_object_get(ans, "parent1_ending_seq")), c1,
			(uint64_t)json_integer_value(json_object_get(ans, "map_version")));
	}
	fflush(stdout);
	json_decref(ans);
	if (child != op->child)
		return sluice_fail(CMD, "stream %s: step %u of %u (%s) made shard %u, the plan "
			"expected %u (another reshard ran meanwhile?); stopping: the shard table is "
			"consistent: run 'sluice scale' again to continue from it", st->name, i + 1,
			n, what, child, op->child);
	return 0;
}

/* The whole plan through the running sluiced, then the table it saved. */
static int
scale_live(const struct slc_stream *st, const char *data_dir, const struct slc_reshard_op *ops,
	uint32_t nops, uint32_t nopen, uint32_t target)
{
	uint32_t i, added = plan_children(ops, nops), t;
	int rc;

	if (added > LIVE_SPARE_SLOTS) {
		/* A restart alone does not help: the same plan needs the same room. */
		t = live_step_target(st, nopen, target);
		if (t != 0)
			return sluice_fail(CMD, "stream %s: scaling from %u to %u open shards adds "
				"%u shards in %u steps, more than the %d a running sluiced can add "
				"before it is restarted: stop sluiced, run this on the stopped data "
				"directory and start sluiced again, or scale in steps with a restart of "
				"sluiced between them (--target-shards %u fits now)", st->name, nopen,
				target, added, nops, LIVE_SPARE_SLOTS, t);
		return sluice_fail(CMD, "stream %s: scaling from %u to %u open shards adds %u "
			"shards in %u steps, more than the %d a running sluiced can add before it "
			"is restarted: stop sluiced, run this on the stopped data directory and "
			"start sluiced again", st->name, nopen, target, added, nops,
			LIVE_SPARE_SLOTS);
	}
	printf("scale stream %s from %u to %u open shards: %u steps, live through the running "
		"sluiced\n", st->name, nopen, target, nops);
	fflush(stdout);
	for (i = 0; i < nops; i++) {
		rc = apply_live(st, data_dir, &ops[i], i, nops);
		if (rc != 0)
			return rc;
	}
	return sluice_shards_print_now(CMD, data_dir, st->name);
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
	json_t *ans = NULL;
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
	rc = slc_stream_scale_plan(st, (uint32_t)target, &ops, &nops);
	if (rc != 0) {
		rc = sluice_fail(CMD, "stream %s: no plan to %" PRIu64 " shards: %s (see the "
			"message above)", st->name, target, strerror(-rc));
		goto out;
	}
	if (sluice_reshard_live(CMD, data_dir, st, NULL, &ans) == 0) {
		rc = scale_live(st, data_dir, ops, nops, nopen, (uint32_t)target);
		goto out;
	}
	rc = sluice_reshard_lock(CMD, st, &lock_fd);
	if (rc != 0)
		goto out;
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
