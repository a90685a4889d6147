/*
 * What the kernel paths of the benchmarks share (perf/kernel_rx.c over UDP,
 * perf/kernel_tcp_rx.c over TCP): the options about the stream and when to
 * stop, creating the stream and taking its writer lock as sluiced does, a log
 * writer with its shards open, routing records onto the shards as lib/ingest
 * does, counting what is stored by reading it back, and the figures both print.
 * PROG, where asked, is the tool's name that starts its messages.
 */
#ifndef PERF_KERNEL_COMMON_H
#define PERF_KERNEL_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slc_frame.h"
#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_stream.h"

/* ---------------------------------------------------------------- options */

/* The options both take; the tool's own come in its own struct. */
struct krx_opts {
	uint16_t port;                 /* where it listens (0: not given) */
	const char *data_dir;
	const char *stream;
	uint32_t shards;
	enum slc_compression compression;
	enum slc_durability durability;
	uint64_t records;              /* 0: no target */
	double seconds;
	uint32_t idle_ms;              /* 0: off */
	bool quiet;
};

/* getopt_long values of the shared options: above a tool's own (256..). */
enum {
	KRX_OPT_PORT = 1024,
	KRX_OPT_DATA_DIR,
	KRX_OPT_STREAM,
	KRX_OPT_SHARDS,
	KRX_OPT_COMPRESSION,
	KRX_OPT_DURABILITY,
	KRX_OPT_RECORDS,
	KRX_OPT_SECONDS,
	KRX_OPT_IDLE_MS,
	KRX_OPT_QUIET,
};

/* The shared options' entries of a struct option table; --help is 'h', as -h. */
#define KRX_LONG_OPTIONS \
	{ "port", required_argument, NULL, KRX_OPT_PORT }, \
	{ "data-dir", required_argument, NULL, KRX_OPT_DATA_DIR }, \
	{ "stream", required_argument, NULL, KRX_OPT_STREAM }, \
	{ "shards", required_argument, NULL, KRX_OPT_SHARDS }, \
	{ "compression", required_argument, NULL, KRX_OPT_COMPRESSION }, \
	{ "durability", required_argument, NULL, KRX_OPT_DURABILITY }, \
	{ "records", required_argument, NULL, KRX_OPT_RECORDS }, \
	{ "seconds", required_argument, NULL, KRX_OPT_SECONDS }, \
	{ "idle-ms", required_argument, NULL, KRX_OPT_IDLE_MS }, \
	{ "quiet", no_argument, NULL, KRX_OPT_QUIET }, \
	{ "help", no_argument, NULL, 'h' }

/* Defaults: --seconds 300, --compression none, --durability direct, the rest 0. */
void krx_opts_default(struct krx_opts *o);

/*
 * One getopt_long result: 1 if OPT is a shared option (its value taken into o),
 * 0 if it is not, -EINVAL if its value is bad ("PROG: --NAME VALUE: ..." said).
 */
int krx_parse_opt(const char *prog, int opt, const char *arg, struct krx_opts *o);

/*
 * Why the receiver stops now, or NULL to go on: "signal", "error", "records"
 * (durable >= o->records), "seconds" (since start_ns) or "idle-ms" (since
 * last_rx_ns, once something came: last_rx_ns != 0), checked in that order.
 */
const char *krx_stop_reason(const struct krx_opts *o, bool sig, bool err, uint64_t durable,
	uint64_t start_ns, uint64_t now_ns, uint64_t last_rx_ns);

/* ---------------------------------------------------------------- stream and log */

/* Create the stream (it must be new) and take its writer lock as sluiced does. 0/-1. */
int krx_stream_create(const char *prog, const struct krx_opts *o, struct slc_stream **stp,
	int *lock_fd);

/*
 * A log writer (default configuration, durable callback cb(arg)) into *w, and
 * shards first, first + step, ... of st opened on it into sh[] (the others left
 * as they are). 0, or -errno with what failed written to err ("cannot create
 * the log writer: ..." or "cannot open shard I of stream S in D: ..."); *w may
 * be set on failure: the caller frees it.
 */
int krx_log_open(const struct slc_stream *st, const char *data_dir, uint32_t first,
	uint32_t step, slc_log_durable_cb cb, void *arg, struct slc_log_writer **w,
	struct slc_log_shard **sh, char *err, size_t errlen);

/* Count what every shard really holds, reading it back (CRC of every block checked). */
int krx_count_stored(const char *prog, const struct slc_stream *st, uint64_t *total,
	uint64_t *min_sh, uint64_t *max_sh);

/* ---------------------------------------------------------------- routing */

/* Where an open shard's hash range starts. */
struct krx_range {
	slc_u128 start;
	uint32_t index;
};

/* The open shards of st into r[] (st->nshards entries), in table order; returns how many. */
uint32_t krx_ranges(const struct slc_stream *st, struct krx_range *r);

/* The shard of hash h: the open shard whose range holds it (ranges sorted, covering). */
static inline uint32_t
krx_lookup(const struct krx_range *r, uint32_t n, slc_u128 h)
{
	uint32_t lo = 0, hi = n;

	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;

		if (r[mid].start <= h)
			lo = mid;
		else
			hi = mid;
	}
	return r[lo].index;
}

/* ---------------------------------------------------------------- figures */

/* "PROG: N frames WHAT: name=count ..." when n > 0 (drop[] by enum slc_frame_err). */
void krx_print_frame_drops(const char *prog, const char *what, uint64_t n,
	const uint64_t drop[SLC_FRAME_E_MAX]);

/* "PROG: records not stored: too_big=.. log_error=.." when either is not 0. */
void krx_print_not_stored(const char *prog, uint64_t too_big, uint64_t log_errors);

#endif /* PERF_KERNEL_COMMON_H */
