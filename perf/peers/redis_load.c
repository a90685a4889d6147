/*
 * redis_load: the client side of perf/peers/redis.sh. It feeds a Redis stream
 * with the records the other benchmarks send (perf/peers/README.md): one
 * "XADD <stream> * k <partition key> d <data>" per record, the partition key
 * "dev-000…k" (--key-len bytes, as sluice-gen and udpsend make them) and S data
 * bytes shaped as theirs: [0,8) the send stamp (CLOCK_REALTIME ns), [8,16) a
 * sequence number per key (counted per connection), [16,20) the key's id,
 * then JSON-like filler.
 *
 * Pipelined: each connection appends --pipeline commands (hiredis
 * redisAppendCommandArgv), then reads their replies, and again; a reply that is
 * not a stream ID counts as an error (the first one is printed). --clients
 * connections run in parallel, one thread each, the keys shared out among them
 * (key k to connection k % C). The clock runs from the first command to the
 * last reply; records_per_s counts acknowledged records only. At the end XLEN
 * gives what the stream holds. Only loopback servers (127.0.0.0/8) are
 * accepted, and a run is bounded by --records and --seconds.
 *
 * Prints human lines, then one machine line starting "RESULT ".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "perf_util.h"

#define RL_MAX_CLIENTS 64u
#define RL_MAX_PIPELINE 65536u
#define RL_MAX_KEY_LEN 256u
#define RL_TIMEOUT_S 60            /* a reply that takes longer fails the run */

struct rl_opts {
	const char *host;
	int port;
	const char *stream;
	uint64_t records;
	uint32_t size;
	uint32_t keys;
	uint32_t key_len;
	uint32_t pipeline;
	uint32_t clients;
	double seconds;
};

struct rl_client {
	const struct rl_opts *o;
	uint32_t idx;
	uint64_t records;              /* to send */
	pthread_t tid;
	/* results */
	uint64_t sent;
	uint64_t acked;
	uint64_t errors;
	uint64_t t0_ns;
	uint64_t t1_ns;
	char err[256];
	bool failed;
};

static const char filler[] = "{\"t\":21.5,\"h\":40,\"p\":1013,\"v\":3.30,\"s\":\"ok\"}";

static void
key_text(uint32_t k, uint32_t key_len, char *buf)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%u", k);
	uint32_t i;

	memcpy(buf, "dev-", 4);
	for (i = 4; i < key_len; i++)
		buf[i] = '0';
	if ((uint32_t)n <= key_len - 4)
		memcpy(buf + key_len - n, num, (size_t)n);
	else
		memcpy(buf + 4, num + (n - (key_len - 4)), key_len - 4);
}

static void
fill_data(uint8_t *d, uint32_t len, uint32_t id, uint64_t stamp, uint64_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)filler[i % (sizeof(filler) - 1)];
	if (len >= 8)
		memcpy(d, &stamp, 8);
	if (len >= 16)
		memcpy(d + 8, &seq, 8);
	if (len >= 20)
		memcpy(d + 16, &id, 4);
}

static redisContext *
connect_one(const struct rl_opts *o, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = RL_TIMEOUT_S, .tv_usec = 0 };
	redisContext *c = redisConnectWithTimeout(o->host, o->port, tv);

	if (c == NULL || c->err) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s", o->host, o->port,
			c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

static void *
client_main(void *arg)
{
	struct rl_client *cl = arg;
	const struct rl_opts *o = cl->o;
	uint32_t P = o->pipeline, i, n;
	uint64_t deadline, *seq = NULL;
	const char **argv = NULL;
	size_t *argvlen = NULL;
	uint8_t *data = NULL;
	char *keys = NULL;
	redisContext *c;
	uint64_t j = 0;

	c = connect_one(o, cl->err, sizeof(cl->err));
	if (c == NULL) {
		cl->failed = true;
		return NULL;
	}
	/* Per pipelined command: XADD stream * k KEY d DATA (7 arguments). */
	argv = calloc((size_t)P * 7, sizeof(*argv));
	argvlen = calloc((size_t)P * 7, sizeof(*argvlen));
	data = malloc((size_t)P * (o->size ? o->size : 1));
	keys = malloc((size_t)o->keys * o->key_len);
	seq = calloc(o->keys, sizeof(*seq));
	if (argv == NULL || argvlen == NULL || data == NULL || keys == NULL || seq == NULL) {
		snprintf(cl->err, sizeof(cl->err), "out of memory");
		cl->failed = true;
		goto out;
	}
	for (i = 0; i < o->keys; i++)
		key_text(i, o->key_len, keys + (size_t)i * o->key_len);
	cl->t0_ns = perf_now_ns(CLOCK_MONOTONIC);
	deadline = cl->t0_ns + (uint64_t)(o->seconds * 1e9);
	while (cl->sent < cl->records) {
		uint64_t stamp = perf_now_ns(CLOCK_REALTIME);

		if (perf_now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
		n = cl->records - cl->sent < P ? (uint32_t)(cl->records - cl->sent) : P;
		for (i = 0; i < n; i++, j++) {
			uint32_t k = (uint32_t)((cl->idx + j * o->clients) % o->keys);
			const char **a = argv + (size_t)i * 7;
			size_t *al = argvlen + (size_t)i * 7;
			uint8_t *d = data + (size_t)i * o->size;

			fill_data(d, o->size, k, stamp, seq[k]++);
			a[0] = "XADD";
			al[0] = 4;
			a[1] = o->stream;
			al[1] = strlen(o->stream);
			a[2] = "*";
			al[2] = 1;
			a[3] = "k";
			al[3] = 1;
			a[4] = keys + (size_t)k * o->key_len;
			al[4] = o->key_len;
			a[5] = "d";
			al[5] = 1;
			a[6] = (const char *)d;
			al[6] = o->size;
			if (redisAppendCommandArgv(c, 7, a, al) != REDIS_OK) {
				snprintf(cl->err, sizeof(cl->err), "client %u: append: %s", cl->idx,
					c->errstr);
				cl->failed = true;
				goto out;
			}
		}
		cl->sent += n;
		for (i = 0; i < n; i++) {
			redisReply *r = NULL;

			if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
				snprintf(cl->err, sizeof(cl->err), "client %u: reply %" PRIu64 ": %s",
					cl->idx, cl->acked + cl->errors, c->errstr[0] ? c->errstr :
					"connection lost");
				cl->failed = true;
				goto out;
			}
			if (r->type == REDIS_REPLY_STRING) {
				cl->acked++;
			} else {
				if (cl->errors++ == 0)
					snprintf(cl->err, sizeof(cl->err), "client %u: XADD answered "
						"%s", cl->idx, r->type == REDIS_REPLY_ERROR ? r->str :
						"something that is not a stream ID");
			}
			freeReplyObject(r);
		}
	}
	cl->t1_ns = perf_now_ns(CLOCK_MONOTONIC);
out:
	if (cl->t1_ns == 0)
		cl->t1_ns = perf_now_ns(CLOCK_MONOTONIC);
	free(seq);
	free(keys);
	free(data);
	free(argvlen);
	free(argv);
	redisFree(c);
	return NULL;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: redis_load --port P --records N --size S [options]\n"
		"  --host A          Redis server, 127.0.0.0/8 only (127.0.0.1)\n"
		"  --port P          its port\n"
		"  --stream KEY      stream key (s)\n"
		"  --records N       records (k/m/g = 10^3/10^6/10^9)\n"
		"  --size S          data bytes per record\n"
		"  --keys K          distinct partition keys (1024)\n"
		"  --key-len L       partition key bytes, 8..256 (12)\n"
		"  --pipeline P      commands in flight per connection (64)\n"
		"  --clients C       connections, one thread each, 1..64 (1)\n"
		"  --seconds T       stop sending after T seconds (300)\n"
		"Prints its figures, then: RESULT tool=redis_load records_sent=.. records_acked=..\n"
		"errors=.. seconds=.. records_per_s=.. client_cpu_s=.. xlen=..\n");
}

static int
parse_args(int argc, char **argv, struct rl_opts *o)
{
	static const struct option lopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "stream", required_argument, NULL, 's' },
		{ "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'S' },
		{ "keys", required_argument, NULL, 'k' },
		{ "key-len", required_argument, NULL, 'L' },
		{ "pipeline", required_argument, NULL, 'P' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct in_addr a;
	bool have_size = false;
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->stream = "s";
	o->keys = 1024;
	o->key_len = 12;
	o->pipeline = 64;
	o->clients = 1;
	o->seconds = 300;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (inet_pton(AF_INET, optarg, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
				fprintf(stderr, "redis_load: --host %s: refused, only loopback "
					"addresses (127.0.0.0/8) are allowed\n", optarg);
				return -EINVAL;
			}
			o->host = optarg;
			break;
		case 'p':
			if (perf_parse_u32("redis_load", "port", optarg, 1000, 1, 65535, &v) != 0)
				return -EINVAL;
			o->port = (int)v;
			break;
		case 's':
			if (optarg[0] == '\0') {
				fprintf(stderr, "redis_load: --stream: empty key\n");
				return -EINVAL;
			}
			o->stream = optarg;
			break;
		case 'n':
			if (perf_parse_count("redis_load", "records", optarg, &o->records) != 0)
				return -EINVAL;
			break;
		case 'S':
			if (perf_parse_u32("redis_load", "size",
					optarg, 1000, 0, 512u << 20, &o->size) != 0)
				return -EINVAL;
			have_size = true;
			break;
		case 'k':
			if (perf_parse_u32("redis_load", "keys",
					optarg, 1000, 1, 1u << 24, &o->keys) != 0)
				return -EINVAL;
			break;
		case 'L':
			if (perf_parse_u32("redis_load", "key-len",
					optarg, 1000, 8, RL_MAX_KEY_LEN, &o->key_len) != 0)
				return -EINVAL;
			break;
		case 'P':
			if (perf_parse_u32("redis_load", "pipeline",
					optarg, 1000, 1, RL_MAX_PIPELINE, &o->pipeline) != 0)
				return -EINVAL;
			break;
		case 'c':
			if (perf_parse_u32("redis_load", "clients",
					optarg, 1000, 1, RL_MAX_CLIENTS, &o->clients) != 0)
				return -EINVAL;
			break;
		case 't':
			if (perf_parse_seconds("redis_load", "seconds", optarg, &o->seconds) != 0)
				return -EINVAL;
			break;
		default:
			return perf_usage(c == 'h', usage);
		}
	}
	if (perf_no_operands("redis_load", argc, argv, optind) != 0)
		return -EINVAL;
	if (o->port == 0 || o->records == 0 || !have_size) {
		fprintf(stderr, "redis_load: --port, --records and --size are required (see "
			"--help)\n");
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rl_client cl[RL_MAX_CLIENTS];
	uint64_t sent = 0, acked = 0, errors = 0, t0 = UINT64_MAX, t1 = 0;
	long long xlen = -1;
	struct rl_opts o;
	double secs, cpu;
	redisContext *c;
	redisReply *r;
	char err[256];
	uint32_t i, started = 0;
	int rc = 0;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	memset(cl, 0, sizeof(cl));
	for (i = 0; i < o.clients; i++) {
		cl[i].o = &o;
		cl[i].idx = i;
		cl[i].records = o.records / o.clients + (i < o.records % o.clients ? 1 : 0);
		if (pthread_create(&cl[i].tid, NULL, client_main, &cl[i]) != 0) {
			fprintf(stderr, "redis_load: cannot start client thread %u\n", i);
			rc = 1;
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(cl[i].tid, NULL);
	for (i = 0; i < started; i++) {
		if (cl[i].failed) {
			fprintf(stderr, "redis_load: %s\n", cl[i].err);
			rc = 1;
		} else if (cl[i].errors) {
			fprintf(stderr, "redis_load: %" PRIu64 " errors; first: %s\n", cl[i].errors,
				cl[i].err);
		}
		sent += cl[i].sent;
		acked += cl[i].acked;
		errors += cl[i].errors;
		if (cl[i].t0_ns != 0 && cl[i].t0_ns < t0)
			t0 = cl[i].t0_ns;
		if (cl[i].t1_ns > t1)
			t1 = cl[i].t1_ns;
	}
	cpu = perf_cpu_s();
	secs = t0 != UINT64_MAX && t1 > t0 ? (double)(t1 - t0) * 1e-9 : 0;

	/* What the stream holds now: after the last reply, every acknowledged XADD is in. */
	c = connect_one(&o, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "redis_load: XLEN: %s\n", err);
		rc = 1;
	} else {
		r = redisCommand(c, "XLEN %s", o.stream);
		if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
			xlen = r->integer;
		} else {
			fprintf(stderr, "redis_load: XLEN %s: %s\n", o.stream, r == NULL ?
				c->errstr : r->type == REDIS_REPLY_ERROR ? r->str :
				"not an integer");
			rc = 1;
		}
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
	}
	printf("redis_load: %" PRIu64 " of %" PRIu64 " XADDs sent to %s:%d (stream %s, %u B data, "
		"%u keys, pipeline %u, %u client%s), %" PRIu64 " acknowledged, %" PRIu64
		" errors\n", sent, o.records, o.host, o.port, o.stream, o.size, o.keys, o.pipeline,
		o.clients, o.clients > 1 ? "s" : "", acked, errors);
	printf("redis_load: %.3f s from the first command to the last reply: %.0f records/s; "
		"client CPU %.3f s; XLEN %lld\n", secs, secs > 0 ? (double)acked / secs : 0, cpu,
		xlen);
	printf("RESULT tool=redis_load records_sent=%" PRIu64 " records_acked=%" PRIu64
		" errors=%" PRIu64 " seconds=%.6f records_per_s=%.0f client_cpu_s=%.3f xlen=%lld\n",
		sent, acked, errors, secs, secs > 0 ? (double)acked / secs : 0, cpu, xlen);
	fflush(stdout);
	if (sent < o.records && rc == 0)
		fprintf(stderr, "redis_load: stopped by --seconds after %" PRIu64 " records\n",
			sent);
	return rc;
}
