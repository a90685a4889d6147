/*
 * Resharding of a stream's shard table: split, merge, and the plan that takes
 * the open shards to a uniform count (docs/stream-meta.md, "Resharding").
 *
 * Semantics follow Kinesis SplitShard / MergeShards / UpdateShardCount: parents
 * close with an ending sequence value and stay readable, children are appended
 * with the next free indexes (shard ids only count up) and name their parents.
 * A closed shard's ending_seq is an exclusive end, the counter after its last
 * record, so that an empty parent (even one starting at counter 0) has one.
 *
 * Each reshard is applied to a copy of the table and saved once through
 * slc_stream_save (tmp file, fsync, rename, directory fsync): after a crash the
 * stream opens with the old table or the new one, never a mix. The children's
 * directories are created before the save; a crash before the rename leaves
 * them empty and unnamed by the table, and the next reshard that allocates the
 * same index reuses them. The caller makes sure nothing writes to a parent
 * while it closes (the `sluice` tool holds the stream's writer lock) and passes
 * the parent's final next counter as its ending sequence value.
 *
 * The table operations below work on a plain array so that the scaling plan can
 * simulate its steps (and predict child indexes) without touching the disk.
 * Control core or tool only; not thread-safe.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slc_hashkey.h"
#include "slc_mem.h"
#include "slc_stream.h"
#include "stream_priv.h"

struct table {
	const char *name;            /* stream, for messages */
	struct slc_shard_meta *v;
	uint32_t n;
	uint32_t cap;
	bool quiet;                  /* planning: no log lines */
};

#define TLOG(t, level, fmt, ...) do { \
	if (!(t)->quiet) \
		STREAM_LOG(level, fmt, ##__VA_ARGS__); \
} while (0)

static int
shard_find(const struct table *t, const char *op, uint32_t shard)
{
	if (shard >= t->n) {
		TLOG(t, ERR, "%s stream %s: no shard %" PRIu32 " (shards are 0..%" PRIu32 ")",
			op, t->name, shard, t->n - 1);
		return -ENOENT;
	}
	if (t->v[shard].state != SLC_SHARD_OPEN) {
		TLOG(t, ERR, "%s stream %s: shard %" PRIu32 " is closed; only open shards can "
			"be resharded", op, t->name, shard);
		return -EINVAL;
	}
	return 0;
}

static int
end_seq_check(const struct table *t, const char *op, uint32_t shard, uint64_t end_seq)
{
	const struct slc_shard_meta *sh = &t->v[shard];

	if (end_seq < sh->starting_seq || end_seq == UINT64_MAX) {
		TLOG(t, ERR, "%s stream %s: ending counter %" PRIu64 " of shard %" PRIu32
			" is not in %" PRIu64 "..2^64-2 (its starting counter onwards)", op,
			t->name, end_seq, shard, sh->starting_seq);
		return -EINVAL;
	}
	return 0;
}

static int
room(const struct table *t, const char *op, uint32_t more)
{
	if (t->n + more > SLC_STREAM_SHARDS_MAX || t->n + more > t->cap) {
		TLOG(t, ERR, "%s stream %s: the shard table would hold %" PRIu32 " shards, "
			"more than %u", op, t->name, t->n + more, SLC_STREAM_SHARDS_MAX);
		return -ENOSPC;
	}
	return 0;
}

static void
child_init(struct slc_shard_meta *c, uint32_t index, slc_u128 start, slc_u128 end,
	uint32_t parent, uint32_t adjacent)
{
	memset(c, 0, sizeof(*c));
	c->index = index;
	c->state = SLC_SHARD_OPEN;
	c->start_hash = start;
	c->end_hash = end;
	c->parent = parent;
	c->adjacent_parent = adjacent;
	c->starting_seq = 0;
	c->ending_seq = UINT64_MAX;
}

static int
table_split(struct table *t, uint32_t shard, slc_u128 new_start, uint64_t end_seq)
{
	char a[SLC_U128_STRLEN], b[SLC_U128_STRLEN], k[SLC_U128_STRLEN];
	struct slc_shard_meta *p;
	int rc;

	rc = shard_find(t, "split", shard);
	if (rc != 0)
		return rc;
	p = &t->v[shard];
	if (new_start <= p->start_hash || new_start > p->end_hash) {
		if (!t->quiet) {
			slc_hashkey_format(p->start_hash, a);
			slc_hashkey_format(p->end_hash, b);
			slc_hashkey_format(new_start, k);
			STREAM_LOG(ERR, "split stream %s: new starting hash key %s is not inside "
				"shard %" PRIu32 "'s range [%s, %s]: it must be above the range's "
				"start and at most its end", t->name, k, shard, a, b);
		}
		return -EINVAL;
	}
	rc = end_seq_check(t, "split", shard, end_seq);
	if (rc == 0)
		rc = room(t, "split", 2);
	if (rc != 0)
		return rc;
	child_init(&t->v[t->n], t->n, p->start_hash, new_start - 1, shard, SLC_SHARD_NONE);
	child_init(&t->v[t->n + 1], t->n + 1, new_start, p->end_hash, shard, SLC_SHARD_NONE);
	p->state = SLC_SHARD_CLOSED;
	p->ending_seq = end_seq;
	t->n += 2;
	return 0;
}

static int
table_merge(struct table *t, uint32_t shard, uint32_t adjacent, uint64_t end_a,
	uint64_t end_b)
{
	char ea[SLC_U128_STRLEN], sb[SLC_U128_STRLEN], eb[SLC_U128_STRLEN], sa[SLC_U128_STRLEN];
	const struct slc_shard_meta *a, *b, *lo, *hi;
	int rc;

	if (shard == adjacent) {
		TLOG(t, ERR, "merge stream %s: shard %" PRIu32 " cannot be merged with itself; "
			"give an adjacent shard", t->name, shard);
		return -EINVAL;
	}
	rc = shard_find(t, "merge", shard);
	if (rc == 0)
		rc = shard_find(t, "merge", adjacent);
	if (rc != 0)
		return rc;
	a = &t->v[shard];
	b = &t->v[adjacent];
	lo = a->start_hash < b->start_hash ? a : b;
	hi = lo == a ? b : a;
	if (lo->end_hash == SLC_U128_MAX || lo->end_hash + 1 != hi->start_hash) {
		if (!t->quiet) {
			slc_hashkey_format(a->start_hash, sa);
			slc_hashkey_format(a->end_hash, ea);
			slc_hashkey_format(b->start_hash, sb);
			slc_hashkey_format(b->end_hash, eb);
			STREAM_LOG(ERR, "merge stream %s: shards %" PRIu32 " [%s, %s] and %" PRIu32
				" [%s, %s] are not adjacent: one's range must end right before the "
				"other's starts", t->name, shard, sa, ea, adjacent, sb, eb);
		}
		return -EINVAL;
	}
	rc = end_seq_check(t, "merge", shard, end_a);
	if (rc == 0)
		rc = end_seq_check(t, "merge", adjacent, end_b);
	if (rc == 0)
		rc = room(t, "merge", 1);
	if (rc != 0)
		return rc;
	child_init(&t->v[t->n], t->n, lo->start_hash, hi->end_hash, shard, adjacent);
	t->v[shard].state = SLC_SHARD_CLOSED;
	t->v[shard].ending_seq = end_a;
	t->v[adjacent].state = SLC_SHARD_CLOSED;
	t->v[adjacent].ending_seq = end_b;
	t->n += 1;
	return 0;
}

/* ---- applying to a stream ---- */

static int
table_copy(const struct slc_stream *st, uint32_t more, struct table *t)
{
	t->name = st->name;
	t->n = st->nshards;
	t->cap = st->nshards + more;
	t->quiet = false;
	t->v = slc_malloc((size_t)t->cap * sizeof(*t->v));
	if (t->v == NULL)
		return -ENOMEM;
	memcpy(t->v, st->shards, (size_t)st->nshards * sizeof(*t->v));
	return 0;
}

/*
 * Create the directory of new shard index, or accept an empty one left by a
 * reshard that crashed before its save. Sets *made if this call created it.
 */
static int
child_dir_make(const struct slc_stream *st, uint32_t index, bool *made)
{
	char id[SLC_SHARD_ID_LEN + 1];
	struct dirent *de;
	char *dir;
	DIR *d;
	int rc = 0;

	*made = false;
	slc_shard_id_format(index, id);
	dir = stream_path_join(st->dir, id);
	if (dir == NULL)
		return -ENOMEM;
	if (mkdir(dir, 0755) == 0) {
		*made = true;
		goto out;
	}
	if (errno != EEXIST) {
		rc = -errno;
		STREAM_LOG(ERR, "reshard stream %s: mkdir %s: %s", st->name, dir, strerror(-rc));
		goto out;
	}
	d = opendir(dir);
	if (d == NULL) {
		rc = -errno;
		STREAM_LOG(ERR, "reshard stream %s: %s: %s", st->name, dir, strerror(-rc));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			rc = -EEXIST;
			STREAM_LOG(ERR, "reshard stream %s: new shard %" PRIu32 "'s directory %s "
				"already holds files (%.64s); move them away", st->name, index, dir,
				de->d_name);
			break;
		}
	}
	closedir(d);
out:
	slc_free(dir);
	return rc;
}

static void
child_dir_remove(const struct slc_stream *st, uint32_t index)
{
	char id[SLC_SHARD_ID_LEN + 1];
	char *dir;

	slc_shard_id_format(index, id);
	dir = stream_path_join(st->dir, id);
	if (dir != NULL)
		rmdir(dir);
	slc_free(dir);
}

/*
 * Make the directories of the new shards t->v[st->nshards..t->n), then save t
 * as st's table. On failure st is unchanged and the directories made are gone.
 */
static int
commit(struct slc_stream *st, struct table *t)
{
	struct slc_shard_meta *old = st->shards;
	uint32_t oldn = st->nshards, i, nmade = 0;
	bool made[2] = { false, false };
	int rc = 0;

	for (i = oldn; i < t->n && rc == 0; i++, nmade++)
		rc = child_dir_make(st, i, &made[i - oldn]);
	if (rc == 0) {
		st->shards = t->v;
		st->nshards = t->n;
		rc = slc_stream_save(st);
	}
	if (rc != 0) {
		st->shards = old;
		st->nshards = oldn;
		for (i = 0; i < nmade; i++)
			if (made[i])
				child_dir_remove(st, oldn + i);
		slc_free(t->v);
		return rc;
	}
	slc_free(old);
	return 0;
}

int
slc_stream_split(struct slc_stream *st, uint32_t shard, slc_u128 new_start,
	uint64_t parent_end_seq, uint32_t *child_lo, uint32_t *child_hi)
{
	char a[SLC_U128_STRLEN];
	struct table t;
	int rc;

	if (st == NULL || st->dir == NULL)
		return -EINVAL;
	rc = table_copy(st, 2, &t);
	if (rc != 0)
		return rc;
	rc = table_split(&t, shard, new_start, parent_end_seq);
	if (rc != 0) {
		slc_free(t.v);
		return rc;
	}
	rc = commit(st, &t);
	if (rc != 0)
		return rc;
	if (child_lo != NULL)
		*child_lo = st->nshards - 2;
	if (child_hi != NULL)
		*child_hi = st->nshards - 1;
	slc_hashkey_format(new_start, a);
	STREAM_LOG(INFO, "stream %s: split shard %" PRIu32 " (ending counter %" PRIu64
		") at %s into shards %" PRIu32 " and %" PRIu32 " (meta_version %" PRIu32 ")",
		st->name, shard, parent_end_seq, a, st->nshards - 2, st->nshards - 1,
		st->meta_version);
	return 0;
}

int
slc_stream_merge(struct slc_stream *st, uint32_t shard, uint32_t adjacent,
	uint64_t end_seq_a, uint64_t end_seq_b, uint32_t *child)
{
	struct table t;
	int rc;

	if (st == NULL || st->dir == NULL)
		return -EINVAL;
	rc = table_copy(st, 1, &t);
	if (rc != 0)
		return rc;
	rc = table_merge(&t, shard, adjacent, end_seq_a, end_seq_b);
	if (rc != 0) {
		slc_free(t.v);
		return rc;
	}
	rc = commit(st, &t);
	if (rc != 0)
		return rc;
	if (child != NULL)
		*child = st->nshards - 1;
	STREAM_LOG(INFO, "stream %s: merged shards %" PRIu32 " (ending counter %" PRIu64
		") and %" PRIu32 " (ending counter %" PRIu64 ") into shard %" PRIu32
		" (meta_version %" PRIu32 ")", st->name, shard, end_seq_a, adjacent, end_seq_b,
		st->nshards - 1, st->meta_version);
	return 0;
}

/* ---- uniform scaling plan ---- */

/* Index of the open shard of t that holds hash (the open shards tile the space). */
static uint32_t
open_at(const struct table *t, slc_u128 hash)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].state == SLC_SHARD_OPEN && hash >= t->v[i].start_hash &&
		    hash <= t->v[i].end_hash)
			return i;
	return SLC_SHARD_NONE;
}

static int
op_add(struct slc_reshard_op **ops, uint32_t *n, uint32_t *cap,
	const struct slc_reshard_op *op)
{
	struct slc_reshard_op *v;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		v = slc_realloc(*ops, (size_t)*cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		*ops = v;
	}
	(*ops)[(*n)++] = *op;
	return 0;
}

/*
 * Why exact uniform ranges instead of "split the widest / merge the narrowest
 * pair": the result is the table a stream created with `target` shards has, so
 * that repeated scaling never drifts into uneven ranges, and every final shard
 * descends only from the shards that held its keys (lineage stays meaningful).
 * The cost is at most target - 1 splits and (open + splits - target) merges.
 */
int
slc_stream_scale_plan(const struct slc_stream *st, uint32_t target,
	struct slc_reshard_op **ops, uint32_t *n)
{
	struct slc_reshard_op op, *v = NULL;
	uint32_t nopen = 0, i, k, cnt = 0, cap = 0;
	struct table t;
	int rc;

	*ops = NULL;
	*n = 0;
	if (st == NULL)
		return -EINVAL;
	for (i = 0; i < st->nshards; i++)
		nopen += st->shards[i].state == SLC_SHARD_OPEN;
	if (target == 0 || target > SLC_STREAM_SHARDS_MAX || target > 2 * (uint64_t)nopen ||
	    target < (nopen + 1) / 2) {
		STREAM_LOG(ERR, "scale stream %s: target %" PRIu32 " shards is not possible "
			"from %" PRIu32 " open shards: give %" PRIu32 "..%" PRIu32 " (at most "
			"double or half in one step, as Kinesis UpdateShardCount; at most %u)",
			st->name, target, nopen, (nopen + 1) / 2,
			2 * nopen < SLC_STREAM_SHARDS_MAX ? 2 * nopen : SLC_STREAM_SHARDS_MAX,
			SLC_STREAM_SHARDS_MAX);
		return -EINVAL;
	}
	/* splits add 2 each (at most target - 1), merges 1 each (at most nopen + target) */
	rc = table_copy(st, 3 * target + nopen, &t);
	if (rc != 0)
		return rc;
	t.quiet = true;

	/* 1. split at every target boundary that falls strictly inside an open shard */
	for (k = 1; k < target; k++) {
		slc_u128 b, e;
		uint32_t s;

		slc_hashkey_range(target, k, &b, &e);
		s = open_at(&t, b);
		if (s == SLC_SHARD_NONE || t.v[s].start_hash == b)
			continue;
		op = (struct slc_reshard_op){ .type = SLC_RESHARD_SPLIT, .shard = s,
			.adjacent = SLC_SHARD_NONE, .new_start = b, .child = t.n };
		rc = table_split(&t, s, b, t.v[s].starting_seq);
		if (rc == 0)
			rc = op_add(&v, &cnt, &cap, &op);
		if (rc != 0)
			goto fail;
	}
	/* 2. in each target range, merge its pieces from the lowest up */
	for (k = 0; k < target; k++) {
		slc_u128 b, e;
		uint32_t lo, hi;

		slc_hashkey_range(target, k, &b, &e);
		lo = open_at(&t, b);
		while (lo != SLC_SHARD_NONE && t.v[lo].end_hash < e) {
			hi = open_at(&t, t.v[lo].end_hash + 1);
			if (hi == SLC_SHARD_NONE) {
				rc = -EINVAL;
				goto fail;
			}
			op = (struct slc_reshard_op){ .type = SLC_RESHARD_MERGE, .shard = lo,
				.adjacent = hi, .child = t.n };
			rc = table_merge(&t, lo, hi, t.v[lo].starting_seq, t.v[hi].starting_seq);
			if (rc == 0)
				rc = op_add(&v, &cnt, &cap, &op);
			if (rc != 0)
				goto fail;
			lo = t.n - 1;
		}
	}
	slc_free(t.v);
	*ops = v;
	*n = cnt;
	return 0;
fail:
	if (rc == -ENOSPC)
		STREAM_LOG(ERR, "scale stream %s: scaling to %" PRIu32 " shards would take the "
			"shard table over %u shards", st->name, target, SLC_STREAM_SHARDS_MAX);
	slc_free(t.v);
	slc_free(v);
	return rc;
}
