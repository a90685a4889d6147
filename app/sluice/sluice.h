/*
 * @file
 * Helpers shared by the subcommands of the `sluice` command-line tool.
 *
 * Exit codes are the tool's contract with scripts: 0 success, 1 a failure
 * reported by the library or the file system (the message names the stream,
 * shard or file), 2 a usage error (the message names the option, the value and
 * the fix). Every message goes to stderr and starts with "sluice <cmd>: ".
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "slc_stream.h"

#define SLUICE_EXIT_OK 0
#define SLUICE_EXIT_FAIL 1
#define SLUICE_EXIT_USAGE 2

/* One subcommand: run() gets argv with argv[0] = the command name. */
struct sluice_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *f);
};

int sluice_cmd_create(int argc, char **argv);
int sluice_cmd_put(int argc, char **argv);
int sluice_cmd_read(int argc, char **argv);
int sluice_cmd_shards(int argc, char **argv);
int sluice_cmd_stats(int argc, char **argv);
int sluice_cmd_verify(int argc, char **argv);
void sluice_usage_create(FILE *f);
void sluice_usage_put(FILE *f);
void sluice_usage_read(FILE *f);
void sluice_usage_shards(FILE *f);
void sluice_usage_stats(FILE *f);
void sluice_usage_verify(FILE *f);
int sluice_cmd_retention(int argc, char **argv);
void sluice_usage_retention(FILE *f);
int sluice_cmd_send(int argc, char **argv);
void sluice_usage_send(FILE *f);

/* The signal (SIGINT or SIGTERM) that asked the command to stop; 0 until one came. */
extern volatile sig_atomic_t sluice_interrupted;

/*
 * Catch SIGINT and SIGTERM into sluice_interrupted, without SA_RESTART: a
 * blocked read(2) or poll(2) returns EINTR, and the command winds down itself.
 */
void sluice_catch_signals(void);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t sluice_mono_us(void);

/* "sluice <cmd>: <msg>; see 'sluice <cmd> --help'" on stderr. Returns 2. */
int sluice_usage_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "sluice <cmd>: <msg>" on stderr. Returns 1. */
int sluice_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Turn getopt_long's '?' (unknown option) or ':' (missing value) into a
 * message naming the offending argument. Returns 2. Option strings must start
 * with ':' so that getopt reports a missing value as ':' and prints nothing.
 */
int sluice_getopt_err(const char *cmd, int c, char **argv);

/* Reject positional arguments left after the options. Returns 0 or 2. */
int sluice_no_operands(const char *cmd, int argc, char **argv);

/* Parse a decimal integer in [min, max] given for option opt. Returns 0 or 2. */
int sluice_parse_u64(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max,
	uint64_t *out);

/* Check that a required option was given. Returns 0 or 2. */
int sluice_require(const char *cmd, const char *opt, const char *val);

/*
 * Open stream name under data_dir, reporting failures ("stream S not found in
 * D", ...). Returns the handle or NULL (message printed).
 */
struct slc_stream *sluice_stream_open(const char *cmd, const char *data_dir, const char *name);

/* Print the stream's settings line and its shard table (slc_log_shard_info). 0 or 1. */
int sluice_shards_print(const char *cmd, FILE *f, const struct slc_stream *st);

/* Read stream name of data_dir afresh (after a live reshard) and print its table to stdout. */
int sluice_shards_print_now(const char *cmd, const char *data_dir, const char *name);

/*
 * Take the stream's writer lock (flock on <stream dir>/writer.lock) and write
 * our pid into it. Returns 0 with *fd set, or 1 with a message naming the
 * process holding it.
 */
int sluice_writer_lock(const char *cmd, const struct slc_stream *st, int *fd);

/*
 * Take st's stream.meta lock (an flock on the stream directory, shared with
 * app/sluiced/reshard.c), waiting up to 30 s with a "waiting" line on stderr.
 * Returns the fd to close to release it, or -1 (message printed).
 */
int sluice_meta_lock(const char *cmd, const struct slc_stream *st);

/*
 * 0 if st has no reshard.journal; else 1 after saying that a sluiced must finish
 * the interrupted reshard first (appending or resharding now would go to a
 * parent the journal closes).
 */
int sluice_no_journal(const char *cmd, const struct slc_stream *st);

/* ---- records on stdin, "partition_key<TAB>data" lines (lines.c): put and send ---- */

/*
 * A line reader over stdin with one buffer that holds the longest line that can
 * be a record (max_line bytes, newline excluded): lines are parsed in place. A
 * longer line is reported as bad (from its first bytes: no tab, an empty or too
 * long key, else the too_long text given to sluice_lines_init) and dropped up to
 * its newline without being held. The last line may lack its newline. Bad lines
 * are reported as "sluice <cmd>: line N: <problem>" and counted in `bad`.
 */
struct sluice_lines {
	const char *cmd;           /* names the subcommand in messages */
	char *buf;
	size_t cap, start, end;
	size_t max_line;           /* longest line that can be a record, newline excluded */
	size_t consume;            /* bytes the line last returned took, newline included */
	uint64_t lineno;           /* lines consumed: the number of the line last returned */
	uint64_t bad;              /* bad lines reported */
	bool eof;                  /* stdin has ended (what is in buf is still to be read) */
	bool skipping;             /* inside an over-long line, dropping bytes to its newline */
	char too_long[128];        /* why an over-long line with a valid key is bad */
};

/* A line split at its first tab. */
struct sluice_line {
	const char *key;
	const char *data;
	size_t klen, dlen;
};

/*
 * Set lb up for command cmd (a static string) and lines of at most max_line
 * bytes; too_long (printf format) says why an over-long line whose key is valid
 * cannot be a record. 0, or -ENOMEM (lb can still be given to sluice_lines_fini).
 */
int sluice_lines_init(struct sluice_lines *lb, const char *cmd, size_t max_line,
	const char *too_long, ...) __attribute__((format(printf, 4, 5)));
void sluice_lines_fini(struct sluice_lines *lb);

/*
 * Read more of stdin into lb (once; sets lb->eof at its end). 0 (also on EINTR
 * and EAGAIN), or 1 on a read error (message printed).
 */
int sluice_lines_fill(struct sluice_lines *lb);

/*
 * The next complete line in lb, consumed (lb->lineno is its number): 1 with *s,
 * *len set (newline excluded; valid until the next sluice_lines_fill), or 0 when
 * more input is needed or, with lb->eof, the input has ended. Over-long lines
 * on the way are reported and skipped.
 */
int sluice_lines_next(struct sluice_lines *lb, const char **s, size_t *len);

/* Give back the line sluice_lines_next just returned: the next call returns it again. */
void sluice_lines_unget(struct sluice_lines *lb);

/*
 * Split the line sluice_lines_next returned at its first tab into *l. 0, or 1
 * after reporting it as bad: no tab, an empty partition key or one longer than
 * SLC_PKEY_MAX bytes. The caller checks the sizes its records allow.
 */
int sluice_line_split(struct sluice_lines *lb, const char *s, size_t len, struct sluice_line *l);

/* Report the line sluice_lines_next returned as bad: "sluice <cmd>: line N: <msg>". */
void sluice_bad_line(struct sluice_lines *lb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- resharding, on a stopped data directory or through a running sluiced (reshard.c) ---- */
int sluice_cmd_split(int argc, char **argv);
int sluice_cmd_merge(int argc, char **argv);
int sluice_cmd_scale(int argc, char **argv);
void sluice_usage_split(FILE *f);
void sluice_usage_merge(FILE *f);
void sluice_usage_scale(FILE *f);

/*
 * For a reshard of a stopped directory: sluice_writer_lock, naming a holder that
 * is not a reachable sluiced; refuses while a reshard.journal is left over from a
 * crash; takes the stream.meta lock until the tool exits and refuses if
 * stream.meta changed since st was read. 0 with *fd set, or 1 (message printed).
 */
int sluice_reshard_lock(const char *cmd, const struct slc_stream *st, int *fd);

/* Recover shard index's log; *end_seq = the counter after its last record. 0 or 1. */
int sluice_reshard_end(const char *cmd, const struct slc_stream *st, uint32_t index,
	uint64_t *end_seq);

/*
 * Parse the shard id val of option opt and check that st has it and it is open.
 * Returns 0, 2 (not a shard id) or 1 (no such shard, closed), message printed.
 */
int sluice_reshard_shard_arg(const char *cmd, const char *opt, const char *val,
	const struct slc_stream *st, uint32_t *index);

/*
 * Live resharding: if a running sluiced holds st's writer lock (the pid in
 * writer.lock is alive and is the pid of <data_dir>/sluiced.run), send req
 * ("/sluice/split,..." or "/sluice/merge,...") over its control socket (the
 * socket named in sluiced.run). Returns 0 with *ans the answer (a new
 * reference; "ok" is 1), 1 after printing why it failed (the answer's error), or
 * -1 if no sluiced holds the lock (go on offline; nothing printed). With req
 * NULL nothing is sent: 0 if a running sluiced holds the lock, else -1.
 */
int sluice_reshard_live(const char *cmd, const char *data_dir, const struct slc_stream *st,
	const char *req, json_t **ans);

/* A connection to a DPDK telemetry socket (app/sluice/telemetry_client.c). */
#define SLUICE_TCONN_BUF_LEN (256 * 1024)   /* DPDK caps an answer at 16 KiB */
struct sluice_tconn {
	const char *cmd;         /* names the subcommand in messages */
	int fd;                  /* -1 until open */
	const char *path;
	const char *prefix;      /* EAL file prefix, NULL if a socket path was given */
	char *buf;               /* SLUICE_TCONN_BUF_LEN bytes, the caller's */
	bool quiet_gone;         /* watching: a closed connection ends quietly */
	bool gone;               /* the server closed the connection */
};

/* The telemetry socket of the DPDK process with this file prefix. */
void sluice_tconn_path(const char *prefix, char *out, size_t len);
/* Connect and read the greeting. 0 or 1 (message printed). */
int sluice_tconn_open(struct sluice_tconn *c);
void sluice_tconn_close(struct sluice_tconn *c);
/* One request; the value under key (a new reference) or NULL (message printed). */
json_t *sluice_tconn_ask(struct sluice_tconn *c, const char *req, const char *key);

/* Connect, ask once, close: the value under key, or NULL (message printed). */
json_t *sluice_telemetry_ask(const char *cmd, const char *path, const char *req, const char *key);

#endif /* SLUICE_H */
