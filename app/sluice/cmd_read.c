/*
 * sluice read: print the records of one shard, in sequence order, from an
 * iterator position (TRIM_HORIZON, LATEST, AT/AFTER a sequence number, AT a
 * timestamp) until the end of what is stored or --limit records.
 *
 * Output formats:
 *   tsv    seq<TAB>partition_key<TAB>data<LF>, bytes as stored. Keys or data
 *          that hold tabs or newlines make such lines ambiguous; use jsonl then.
 *   jsonl  one JSON object per record, shaped like a Kinesis GetRecords entry:
 *          {"SequenceNumber":"…","ApproximateArrivalTimestamp":<ms>,
 *           "PartitionKey":"…","Data":"<base64>","ExplicitHashKey":"<decimal>"}
 *          (ExplicitHashKey only when the record has one). Data is standard
 *          base64 with padding. The partition key is JSON-escaped: '"', '\' and
 *          control characters are escaped, valid UTF-8 is passed through, and
 *          each byte that is not part of a valid UTF-8 sequence becomes U+FFFD
 *          (written as the escape \ufffd), so the output is always valid JSON
 *          but such keys do not round-trip; use tsv for binary keys.
 *
 * With --lineage (docs/stream-meta.md, "Resharding") the records of the keys
 * of shard ID's hash range are printed across reshards: shard ID to its end, then
 * its descendants (shards whose parent or adjacent parent is ID or a descendant)
 * in index order, which puts every shard after all of its parents, so each key's
 * records come out in order. From a merged descendant only the records whose
 * hash key lies in ID's range are printed: the others belong to the lineage of
 * its other parent. Reading the lineage of every root shard (no parent) thus
 * prints each record of the stream exactly once. Each line then names its shard:
 * tsv gets a first column shard_id, jsonl a "ShardId" field.
 *
 * A block that fails its check is never printed: the records before it are,
 * then the reader's error names the file and offset and the exit status is 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "read"

enum out_format {
	FMT_TSV,
	FMT_JSONL,
};

void
sluice_usage_read(FILE *f)
{
	fprintf(f,
		"usage: sluice read --data-dir DIR --stream NAME --shard ID [options]\n"
		"\n"
		"Print the records of shard ID (shardId-000000000001 or 1) in sequence order\n"
		"until the end of what is stored, or --limit records.\n"
		"\n"
		"  --data-dir DIR     data directory\n"
		"  --stream NAME      stream\n"
		"  --shard ID         shard\n"
		"  --from POS         trim_horizon (default): the oldest stored record\n"
		"                     latest: only records appended after now (none, for a one-shot read)\n"
		"                     at:SEQ, after:SEQ: at / after the 39-digit sequence number SEQ\n"
		"                     time:EPOCH_MS: the first record that arrived at or after EPOCH_MS\n"
		"  --limit N          stop after N records (default: no limit)\n"
		"  --format tsv|jsonl tsv (default): seq<TAB>partition_key<TAB>data per line, raw bytes;\n"
		"                     jsonl: one Kinesis-style JSON record per line, Data in base64,\n"
		"                     key bytes that are not valid UTF-8 shown as U+FFFD\n"
		"  --lineage          then follow ID's descendants across splits and merges, each\n"
		"                     after its parents, printing the records of ID's hash keys;\n"
		"                     lines start with the shard id (tsv: shard_id<TAB>seq<TAB>...,\n"
		"                     jsonl: a \"ShardId\" field). --from applies to ID only.\n"
		"  -h, --help         this text\n");
}

/* ---- output helpers ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
put_base64(FILE *f, const uint8_t *p, uint32_t n)
{
	char out[4 * 256];
	uint32_t i = 0, o = 0;

	while (i + 3 <= n) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
		i += 3;
		if (o == sizeof(out)) {
			fwrite(out, 1, o, f);
			o = 0;
		}
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = '=';
	}
	fwrite(out, 1, o, f);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one (RFC 3629). */
static uint32_t
utf8_len(const uint8_t *p, uint32_t n)
{
	uint32_t len, i, cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	cp = p[0] & (0x3f >> (len - 1));
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
put_json_string(FILE *f, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, l;

	fputc('"', f);
	while (i < n) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20) {
			switch (c) {
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			i++;
		} else if ((l = utf8_len(p + i, n - i)) > 0) {
			fwrite(p + i, 1, l, f);
			i += l;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	fputc('"', f);
}

static void
put_record(FILE *f, enum out_format fmt, uint32_t shard, const struct slc_record *rec,
	bool with_shard)
{
	char seq[SLC_SEQ_STRLEN], hk[SLC_U128_STRLEN], id[SLC_SHARD_ID_LEN + 1];

	slc_seq_format(shard, rec->seq, seq);
	slc_shard_id_format(shard, id);
	if (fmt == FMT_TSV) {
		if (with_shard) {
			fputs(id, f);
			fputc('\t', f);
		}
		fputs(seq, f);
		fputc('\t', f);
		fwrite(rec->key, 1, rec->key_len, f);
		fputc('\t', f);
		fwrite(rec->data, 1, rec->data_len, f);
		fputc('\n', f);
		return;
	}
	if (with_shard)
		fprintf(f, "{\"ShardId\":\"%s\",", id);
	else
		fputc('{', f);
	fprintf(f, "\"SequenceNumber\":\"%s\",\"ApproximateArrivalTimestamp\":%" PRId64
		",\"PartitionKey\":", seq, rec->arrival_ms);
	put_json_string(f, rec->key, rec->key_len);
	fputs(",\"Data\":\"", f);
	put_base64(f, rec->data, rec->data_len);
	fputc('"', f);
	if (rec->has_hash_key) {
		slc_hashkey_format(slc_hashkey_from_be(rec->hash_key), hk);
		fprintf(f, ",\"ExplicitHashKey\":\"%s\"", hk);
	}
	fputs("}\n", f);
}

/* ---- options ---- */

static int
parse_seq_pos(const char *arg, const char *s, uint32_t shard, struct slc_log_pos *pos)
{
	char want[SLC_SHARD_ID_LEN + 1], got[SLC_SHARD_ID_LEN + 1];
	uint32_t idx;

	if (slc_seq_parse(s, &idx, &pos->seq) != 0)
		return sluice_usage_err(CMD, "--from '%s': '%s' is not a sequence number (39 "
			"digits, as printed by 'sluice put --print-seq' or 'sluice read')", arg, s);
	if (idx != shard) {
		slc_shard_id_format(idx, got);
		slc_shard_id_format(shard, want);
		return sluice_usage_err(CMD, "--from '%s': sequence number %s belongs to %s, not %s",
			arg, s, got, want);
	}
	return 0;
}

static int
parse_from(const char *arg, uint32_t shard, struct slc_log_pos *pos)
{
	uint64_t ms;

	memset(pos, 0, sizeof(*pos));
	if (strcasecmp(arg, "trim_horizon") == 0) {
		pos->type = SLC_LOG_POS_TRIM_HORIZON;
		return 0;
	}
	if (strcasecmp(arg, "latest") == 0) {
		pos->type = SLC_LOG_POS_LATEST;
		return 0;
	}
	if (strncasecmp(arg, "at:", 3) == 0) {
		pos->type = SLC_LOG_POS_AT_SEQ;
		return parse_seq_pos(arg, arg + 3, shard, pos);
	}
	if (strncasecmp(arg, "after:", 6) == 0) {
		pos->type = SLC_LOG_POS_AFTER_SEQ;
		return parse_seq_pos(arg, arg + 6, shard, pos);
	}
	if (strncasecmp(arg, "time:", 5) == 0) {
		pos->type = SLC_LOG_POS_AT_TIME;
		if (sluice_parse_u64(CMD, "--from time:", arg + 5, 0, INT64_MAX, &ms))
			return SLUICE_EXIT_USAGE;
		pos->time_ms = (int64_t)ms;
		return 0;
	}
	return sluice_usage_err(CMD, "--from '%s' is not a position: use trim_horizon, latest, "
		"at:SEQ, after:SEQ or time:EPOCH_MS", arg);
}

/* ---- reading ---- */

/* The hash range a lineage read prints, or NULL for every record. */
struct key_range {
	slc_u128 start;
	slc_u128 end;
};

/*
 * Print shard's records from pos to the end of what is stored, at most
 * limit - *n of them, only those whose hash key lies in kr (if not NULL; shard
 * ids are printed then). Returns 0 or 1 (message printed).
 */
static int
read_shard(const struct slc_stream *st, uint32_t shard, const struct slc_log_pos *pos,
	enum out_format fmt, const struct key_range *kr, uint64_t limit, uint64_t *n)
{
	char id[SLC_SHARD_ID_LEN + 1];
	struct slc_log_reader *r;
	struct slc_record rec;
	int rc = SLUICE_EXIT_OK, err;
	slc_u128 h;

	slc_shard_id_format(shard, id);
	r = slc_log_reader_open(st, shard, pos);
	if (r == NULL)
		return sluice_fail(CMD, "stream %s shard %s: cannot open a reader: %s", st->name, id,
			strerror(errno));
	while (*n < limit) {
		err = slc_log_reader_next(r, &rec);
		if (err == 0)
			break;
		if (err == -EBADMSG) {
			fflush(stdout);
			fprintf(stderr, "sluice read: stream %s shard %s: bad block: %s\n", st->name, id,
				slc_log_reader_error(r));
			rc = SLUICE_EXIT_FAIL;
			break;
		}
		if (err < 0) {
			fflush(stdout);
			rc = sluice_fail(CMD, "stream %s shard %s: read failed at sequence counter %"
				PRIu64 ": %s", st->name, id, slc_log_reader_position(r),
				strerror(-err));
			break;
		}
		if (kr != NULL) {
			h = rec.has_hash_key ? slc_hashkey_from_be(rec.hash_key) :
				slc_hashkey_md5(rec.key, rec.key_len);
			if (h < kr->start || h > kr->end)
				continue;
		}
		put_record(stdout, fmt, shard, &rec, kr != NULL);
		(*n)++;
	}
	slc_log_reader_close(r);
	return rc;
}

/*
 * Shard root from pos, then every descendant in index order (children always
 * have higher indexes than their parents), records of root's hash range only.
 */
static int
read_lineage(const struct slc_stream *st, uint32_t root, const struct slc_log_pos *pos,
	enum out_format fmt, uint64_t limit, uint64_t *n)
{
	const struct slc_log_pos start = { .type = SLC_LOG_POS_TRIM_HORIZON };
	struct key_range kr = {
		.start = st->shards[root].start_hash,
		.end = st->shards[root].end_hash,
	};
	bool *in;
	uint32_t i;
	int rc = SLUICE_EXIT_OK;

	in = calloc(st->nshards, sizeof(*in));
	if (in == NULL)
		return sluice_fail(CMD, "out of memory");
	in[root] = true;
	for (i = root + 1; i < st->nshards; i++) {
		uint32_t p = st->shards[i].parent, a = st->shards[i].adjacent_parent;

		in[i] = (p != SLC_SHARD_NONE && in[p]) || (a != SLC_SHARD_NONE && in[a]);
	}
	for (i = root; i < st->nshards && rc == SLUICE_EXIT_OK && *n < limit; i++)
		if (in[i])
			rc = read_shard(st, i, i == root ? pos : &start, fmt, &kr, limit, n);
	free(in);
	return rc;
}

int
sluice_cmd_read(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "shard", required_argument, NULL, 'S' },
		{ "from", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' },
		{ "lineage", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL, *shard_arg = NULL, *from = "trim_horizon";
	char id[SLC_SHARD_ID_LEN + 1];
	enum out_format fmt = FMT_TSV;
	uint64_t limit = UINT64_MAX, n = 0;
	struct slc_stream *st;
	struct slc_log_pos pos;
	static char obuf[1 << 20];
	bool lineage = false;
	uint32_t shard;
	int c, rc = SLUICE_EXIT_OK;

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
		case 'f':
			from = optarg;
			break;
		case 'l':
			if (sluice_parse_u64(CMD, "--limit", optarg, 1, UINT64_MAX, &limit))
				return SLUICE_EXIT_USAGE;
			break;
		case 'F':
			if (strcmp(optarg, "tsv") == 0)
				fmt = FMT_TSV;
			else if (strcmp(optarg, "jsonl") == 0)
				fmt = FMT_JSONL;
			else
				return sluice_usage_err(CMD, "--format '%s' is not valid: use tsv or jsonl",
					optarg);
			break;
		case 'L':
			lineage = true;
			break;
		case 'h':
			sluice_usage_read(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir) ||
			sluice_require(CMD, "--stream", name) || sluice_require(CMD, "--shard", shard_arg))
		return SLUICE_EXIT_USAGE;
	if (slc_shard_id_parse(shard_arg, &shard) != 0)
		return sluice_usage_err(CMD, "--shard '%s' is not a shard id: use shardId-000000000001 "
			"or 1", shard_arg);
	if (parse_from(from, shard, &pos) != 0)
		return SLUICE_EXIT_USAGE;

	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	slc_shard_id_format(shard, id);
	if (shard >= st->nshards) {
		rc = sluice_fail(CMD, "stream %s has no shard %s (its shards are 0 to %u; see "
			"'sluice shards')", st->name, id, st->nshards - 1);
		goto out;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (!lineage) {
		rc = read_shard(st, shard, &pos, fmt, NULL, limit, &n);
		goto out;
	}
	rc = read_lineage(st, shard, &pos, fmt, limit, &n);
out:
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = sluice_fail(CMD, "cannot write output: %s", strerror(errno));
	slc_stream_close(st);
	return rc;
}
