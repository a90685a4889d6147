/*
 * sluice: the command-line tool. This file only dispatches: each subcommand
 * lives in cmd_<name>.c with its own option parsing and usage text. The tool
 * runs without the DPDK EAL; library log lines go to stderr.
 */
#include <stdio.h>
#include <string.h>

#include "sluice.h"

static const struct sluice_cmd cmds[] = {
	{ "create", "create a stream of N shards", sluice_cmd_create, sluice_usage_create },
	{ "merge", "merge two adjacent open shards", sluice_cmd_merge,
		sluice_usage_merge },
	{ "put", "append records from stdin (partition_key<TAB>data lines)", sluice_cmd_put,
		sluice_usage_put },
	{ "read", "print the records of a shard from an iterator position", sluice_cmd_read,
		sluice_usage_read },
	{ "retention", "set a stream's retention and delete expired segments",
		sluice_cmd_retention, sluice_usage_retention },
	{ "scale", "split/merge to N uniform shards", sluice_cmd_scale,
		sluice_usage_scale },
	{ "send", "send records to sluiced over TCP and wait for their acks", sluice_cmd_send,
		sluice_usage_send },
	{ "shards", "list a stream's shards and what they hold", sluice_cmd_shards,
		sluice_usage_shards },
	{ "split", "split an open shard at a hash key", sluice_cmd_split,
		sluice_usage_split },
	{ "stats", "counters of the running sluiced (ports, queues, cores, shards)",
		sluice_cmd_stats, sluice_usage_stats },
	{ "verify", "check every block of every shard", sluice_cmd_verify, sluice_usage_verify },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct sluice_cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sluice <command> [options]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "this text, or 'sluice help <command>'");
	fprintf(f, "\n'sluice <command> --help' describes a command's options.\n"
		"exit status: 0 success, 1 failure (the message names the stream, shard or file),\n"
		"2 bad usage (the message names the option and value).\n");
}

int
main(int argc, char **argv)
{
	const struct sluice_cmd *c;

	if (argc < 2) {
		usage(stderr);
		return SLUICE_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
			strcmp(argv[1], "-h") == 0) {
		if (argc < 3) {
			usage(stdout);
			return SLUICE_EXIT_OK;
		}
		c = cmd_find(argv[2]);
		if (c == NULL) {
			fprintf(stderr, "sluice: unknown command '%s'; see 'sluice help'\n", argv[2]);
			return SLUICE_EXIT_USAGE;
		}
		c->usage(stdout);
		return SLUICE_EXIT_OK;
	}
	c = cmd_find(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "sluice: unknown command '%s'; see 'sluice help'\n", argv[1]);
		return SLUICE_EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
