/*
 * sluice verify: check every block of every shard of one stream, or of every
 * stream in the data directory (slc_log_verify: CRC, header sanity, record
 * decoding, counter continuity). Each bad block is printed as
 * "BAD <path> offset <off>: <why>", then one summary line per stream. Exit 0
 * only if every block of every shard checked is good. Read-only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "slc_log.h"
#include "slc_stream.h"
#include "sluice.h"

#define CMD "verify"

void
sluice_usage_verify(FILE *f)
{
	fprintf(f,
		"usage: sluice verify --data-dir DIR [--stream NAME]\n"
		"\n"
		"Check every block of every shard of stream NAME, or of all streams in DIR.\n"
		"Prints \"BAD <file> offset <offset>: <reason>\" for each bad block and a summary\n"
		"line per stream. Exit status 0 if all blocks are good, 1 otherwise.\n"
		"\n"
		"  --data-dir DIR   data directory\n"
		"  --stream NAME    only this stream\n"
		"  -h, --help       this text\n");
}

struct verify_ctx {
	uint64_t bad;
};

static void
verify_bad(void *arg, const char *path, uint64_t off, const char *why)
{
	struct verify_ctx *v = arg;

	v->bad++;
	printf("BAD %s offset %" PRIu64 ": %s\n", path, off, why);
	fflush(stdout);
}

/* Verify one stream. Returns 0 if all good, else 1. */
static int
verify_stream(const char *data_dir, const char *name)
{
	char id[SLC_SHARD_ID_LEN + 1];
	uint64_t blocks = 0, records = 0, b, r;
	struct verify_ctx v = { 0 };
	struct slc_stream *st;
	uint32_t i, unreadable = 0;
	int err;

	st = sluice_stream_open(CMD, data_dir, name);
	if (st == NULL)
		return 1;
	for (i = 0; i < st->nshards; i++) {
		b = 0;
		r = 0;
		err = slc_log_verify(st, i, verify_bad, &v, &b, &r);
		blocks += b;
		records += r;
		if (err != 0 && err != -EBADMSG) {
			slc_shard_id_format(i, id);
			sluice_fail(CMD, "stream %s shard %s: cannot read its log: %s", st->name, id,
				strerror(-err));
			unreadable++;
		}
	}
	printf("stream %s: %u shards, %" PRIu64 " blocks, %" PRIu64 " records, %" PRIu64
		" bad blocks%s: %s\n", st->name, st->nshards, blocks, records, v.bad,
		unreadable ? ", some shards unreadable" : "",
		v.bad == 0 && unreadable == 0 ? "OK" : "BAD");
	fflush(stdout);
	slc_stream_close(st);
	return v.bad == 0 && unreadable == 0 ? 0 : 1;
}

int
sluice_cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "stream", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_dir = NULL, *name = NULL;
	char **names;
	uint32_t n, i;
	int c, err, rc = SLUICE_EXIT_OK;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data_dir = optarg;
			break;
		case 's':
			name = optarg;
			if (name[0] == '\0')
				return sluice_usage_err(CMD, "--stream must not be empty");
			break;
		case 'h':
			sluice_usage_verify(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, c, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv) || sluice_require(CMD, "--data-dir", data_dir))
		return SLUICE_EXIT_USAGE;
	if (name != NULL)
		return verify_stream(data_dir, name) ? SLUICE_EXIT_FAIL : SLUICE_EXIT_OK;

	err = slc_stream_list(data_dir, &names, &n);
	if (err != 0)
		return sluice_fail(CMD, "cannot list the streams in %s: %s", data_dir,
			strerror(-err));
	if (n == 0)
		printf("no streams in %s\n", data_dir);
	for (i = 0; i < n; i++)
		if (verify_stream(data_dir, names[i]) != 0)
			rc = SLUICE_EXIT_FAIL;
	slc_stream_list_free(names, n);
	return rc;
}
