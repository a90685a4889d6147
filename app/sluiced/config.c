/*
 * sluiced's configuration: the options after "--" on the command line, and the
 * same options as "key = value" lines in the file named by --config ('#' starts
 * a comment; keys are the long option names, '_' and '-' alike; an option
 * without a value is written "key" or "key = true"). The command line wins: a
 * key given there is ignored in the file, and a repeatable option (--stream,
 * --udp-port, --tcp-port, --ip) given on the command line replaces the file's list.
 * Runs once on the main lcore at start-up; every message names the option or
 * the file line and says what is expected.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slc_mem.h"
#include "sluiced.h"

enum opt_id {
	O_CONFIG = 256,
	O_DATA_DIR,
	O_STREAM,
	O_UDP_PORT,
	O_IP,
	O_DURABILITY,
	O_COMPRESSION,
	O_LINGER_US,
	O_RX_LCORES,
	O_MBUFS,
	O_RING_SIZE,
	O_ACCEPT_ANY_DST,
	O_BUFFERED_IO,
	O_STATS_INTERVAL_MS,
	O_RETENTION_INTERVAL_S,
	O_DISK_FLOOR,
	O_RETA_STEER_MS,
	O_AUTOSCALE,
	O_LATENCY_STAMPS,
	O_TCP_PORT,
	O_TCP_MAX_CONNS,
	O_TCP_RCVBUF,
	O_TCP_IDLE_TIMEOUT,
	O_TCP_KEEPALIVE,
	O_HELP,
	O_MAX,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, O_CONFIG },
	{ "data-dir", required_argument, NULL, O_DATA_DIR },
	{ "stream", required_argument, NULL, O_STREAM },
	{ "udp-port", required_argument, NULL, O_UDP_PORT },
	{ "ip", required_argument, NULL, O_IP },
	{ "durability", required_argument, NULL, O_DURABILITY },
	{ "compression", required_argument, NULL, O_COMPRESSION },
	{ "linger-us", required_argument, NULL, O_LINGER_US },
	{ "rx-lcores", required_argument, NULL, O_RX_LCORES },
	{ "mbufs", required_argument, NULL, O_MBUFS },
	{ "ring-size", required_argument, NULL, O_RING_SIZE },
	{ "accept-any-dst", no_argument, NULL, O_ACCEPT_ANY_DST },
	{ "buffered-io", no_argument, NULL, O_BUFFERED_IO },
	{ "stats-interval-ms", required_argument, NULL, O_STATS_INTERVAL_MS },
	{ "retention-interval-s", required_argument, NULL, O_RETENTION_INTERVAL_S },
	{ "disk-floor", required_argument, NULL, O_DISK_FLOOR },
	{ "reta-steer-ms", required_argument, NULL, O_RETA_STEER_MS },
	{ "autoscale", required_argument, NULL, O_AUTOSCALE },
	{ "latency-stamps", optional_argument, NULL, O_LATENCY_STAMPS },
	{ "tcp-port", required_argument, NULL, O_TCP_PORT },
	{ "tcp-max-conns", required_argument, NULL, O_TCP_MAX_CONNS },
	{ "tcp-rcvbuf", required_argument, NULL, O_TCP_RCVBUF },
	{ "tcp-idle-timeout", required_argument, NULL, O_TCP_IDLE_TIMEOUT },
	{ "tcp-keepalive", required_argument, NULL, O_TCP_KEEPALIVE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: sluiced [EAL options] -- [options]\n"
"  --config FILE              options as 'key = value' lines (command line wins)\n"
"  --data-dir DIR             data directory (required)\n"
"  --stream NAME:SHARDS[:none|deflate[:direct|fsync]]\n"
"                             open stream NAME, creating it with SHARDS shards if\n"
"                             missing (repeatable, at least one)\n"
"  --udp-port PORT:raw|framed[:STREAM]\n"
"                             receive UDP PORT into STREAM (default: the first\n"
"                             stream); raw: one datagram = one record, key = sender\n"
"                             ip:port; framed: docs/frame-format.md (repeatable)\n"
"  --tcp-port PORT:framed|lines[:STREAM][:key=FIELD]\n"
"                             accept TCP connections on PORT into STREAM (default:\n"
"                             the first stream); framed: frames as on UDP, each\n"
"                             acknowledged once durable; lines: one record per\n"
"                             line, key = the JSON string or number field FIELD of\n"
"                             the line, else the sender ip:port (repeatable; RSS\n"
"                             steering is off with TCP; docs/dataplane.md)\n"
"  --tcp-max-conns N          TCP connections per data core (default 16384)\n"
"  --tcp-rcvbuf BYTES         largest receive window per connection, k/m suffixes\n"
"                             (4k to 1g; default 256k)\n"
"  --tcp-idle-timeout SECONDS close a connection idle this long (default 600; 0: never)\n"
"  --tcp-keepalive SECONDS    probe a connection idle this long (default 60; 0: off)\n"
"  --ip ADDR/PREFIX           the appliance's address, IPv4 or IPv6: UDP to it is\n"
"                             received, ARP/ND and ping answered (repeatable)\n"
"  --durability direct|fsync  for streams created here (default direct)\n"
"  --compression none|deflate for streams created here (default none)\n"
"  --linger-us N              a record waits at most N us before its block is written\n"
"  --rx-lcores LIST           data cores, e.g. 1-3 or 1,3 (default: every worker\n"
"                             lcore; with one lcore, the main lcore receives too)\n"
"  --mbufs N                  mbufs per pool (default: enough for the queues, >= 8191)\n"
"  --ring-size N              handover ring elements, power of two (default 4096)\n"
"  --accept-any-dst           accept UDP to any MAC and IP (replaying captures)\n"
"  --buffered-io              page-cache writes where the data dir has no O_DIRECT\n"
"  --stats-interval-ms N      print a counters line every N ms (default: never)\n"
"  --retention-interval-s N   delete expired segments every N s (default 60; 0: never)\n"
"  --disk-floor BYTES|N%%      below this much free space (K/M/G/T suffixes, or percent\n"
"                             of the file system) delete the oldest segments and raise\n"
"                             the disk alarm (default: no floor)\n"
"  --reta-steer-ms N          every N ms, point each RSS redirection-table entry at\n"
"                             the data core owning most of its records (default\n"
"                             1000; 0: keep the round-robin table)\n"
"  --autoscale STREAM:KEY=VALUE,...\n"
"                             split hot and merge cold shards of STREAM by\n"
"                             themselves; keys split-rps, split-bps, merge-rps,\n"
"                             merge-bps, min-shards, max-shards, window-s,\n"
"                             cooldown-s (docs/autoscale.md; repeatable)\n"
"  --latency-stamps[=N]       benchmarks: records carry their send time in data\n"
"                             bytes 0..7 (CLOCK_REALTIME ns, little-endian); sample\n"
"                             1 in N (default 64) and serve ingest-to-durable\n"
"                             latency on /sluice/latency (perf/README.md)\n");
}

static void __attribute__((format(printf, 2, 3)))
msg(const char *where, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sluiced: %s", where != NULL ? where : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (where == NULL)
		fprintf(stderr, "; see 'sluiced -- --help'");
	fprintf(stderr, "\n");
}

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	if (s == NULL || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1") ||
			!strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0") || !strcmp(s, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* NAME:SHARDS[:none|deflate[:direct|fsync]] */
static int
parse_stream(const char *where, const char *v, struct sluiced_stream_spec *sp)
{
	char buf[512], *f[5], *save = NULL, *t;
	enum slc_compression c;
	enum slc_durability d;
	int n = 0;

	memset(sp, 0, sizeof(*sp));
	sp->compression = -1;
	sp->durability = -1;
	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	for (t = strtok_r(buf, ":", &save); t != NULL && n < 5; t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	if (n < 2 || n > 4 || strchr(v, ':') == v ||
			parse_u32(f[1], 1, SLC_STREAM_SHARDS_MAX, &sp->shards) != 0)
		goto bad;
	if (!slc_stream_name_valid(f[0])) {
		msg(where, "--stream '%s': '%s' is not a valid stream name (A-Z a-z 0-9 _ . -, at "
			"most %d)", v, f[0], SLC_STREAM_NAME_MAX);
		return -1;
	}
	strcpy(sp->name, f[0]);
	if (n >= 3) {
		if (slc_compression_parse(f[2], &c) != 0)
			goto bad;
		sp->compression = (int)c;
	}
	if (n == 4) {
		if (slc_durability_parse(f[3], &d) != 0)
			goto bad;
		sp->durability = (int)d;
	}
	return 0;
bad:
	msg(where, "--stream '%s' is not valid: use NAME:SHARDS[:none|deflate[:direct|fsync]] "
		"with SHARDS from 1 to %d", v, SLC_STREAM_SHARDS_MAX);
	return -1;
}

/* PORT:raw|framed[:STREAM] */
static int
parse_udp(const char *where, const char *v, struct sluiced_udp_spec *u)
{
	char buf[512], *p1, *p2;
	uint32_t port;

	memset(u, 0, sizeof(*u));
	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	p1 = strchr(buf, ':');
	if (p1 == NULL)
		goto bad;
	*p1++ = '\0';
	p2 = strchr(p1, ':');
	if (p2 != NULL)
		*p2++ = '\0';
	if (parse_u32(buf, 1, 65535, &port) != 0)
		goto bad;
	u->port = (uint16_t)port;
	if (!strcmp(p1, "raw"))
		u->mode = SLC_PKT_MODE_RAW;
	else if (!strcmp(p1, "framed"))
		u->mode = SLC_PKT_MODE_FRAMED;
	else
		goto bad;
	if (p2 != NULL) {
		if (!slc_stream_name_valid(p2))
			goto bad;
		strcpy(u->stream, p2);
	}
	return 0;
bad:
	msg(where, "--udp-port '%s' is not valid: use PORT:raw|framed[:STREAM] with PORT from 1 "
		"to 65535", v);
	return -1;
}

/* PORT:framed|lines[:STREAM][:key=FIELD] */
static int
parse_tcp(const char *where, const char *v, struct sluiced_tcp_spec *t)
{
	char buf[512], *f[4], *save = NULL, *p;
	uint32_t port;
	int n = 0, i;

	memset(t, 0, sizeof(*t));
	if (strlen(v) >= sizeof(buf) || v[0] == ':' || strstr(v, "::") != NULL ||
			v[strlen(v) - 1] == ':')
		goto bad;
	strcpy(buf, v);
	for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
		if (n == 4)
			goto bad;
		f[n++] = p;
	}
	if (n < 2 || parse_u32(f[0], 1, 65535, &port) != 0) {
		if (n >= 1 && parse_u32(f[0], 1, 65535, &port) != 0) {
			msg(where, "--tcp-port '%s': port '%s' is not valid: use 1 to 65535", v,
				f[0]);
			return -1;
		}
		goto bad;
	}
	t->port = (uint16_t)port;
	if (!strcmp(f[1], "framed")) {
		t->mode = SLC_INGEST_TCP_FRAMED;
	} else if (!strcmp(f[1], "lines")) {
		t->mode = SLC_INGEST_TCP_LINES;
	} else {
		msg(where, "--tcp-port '%s': mode '%s' is not valid: use framed or lines", v, f[1]);
		return -1;
	}
	for (i = 2; i < n; i++) {
		if (!strncmp(f[i], "key=", 4)) {
			if (i != n - 1 || f[i][4] == '\0' ||
					strlen(f[i] + 4) > SLC_INGEST_KEY_FIELD_MAX) {
				msg(where, "--tcp-port '%s': '%s' is not valid: key=FIELD comes "
					"last, with a field name of 1 to %d bytes", v, f[i],
					SLC_INGEST_KEY_FIELD_MAX);
				return -1;
			}
			if (t->mode != SLC_INGEST_TCP_LINES) {
				msg(where, "--tcp-port '%s': key=%s applies to lines mode only (a "
					"frame's records carry their own keys)", v, f[i] + 4);
				return -1;
			}
			strcpy(t->key, f[i] + 4);
		} else if (i == 2) {
			if (!slc_stream_name_valid(f[i])) {
				msg(where, "--tcp-port '%s': '%s' is not a valid stream name", v,
					f[i]);
				return -1;
			}
			strcpy(t->stream, f[i]);
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	msg(where, "--tcp-port '%s' is not valid: use PORT:framed|lines[:STREAM][:key=FIELD] "
		"with PORT from 1 to 65535", v);
	return -1;
}

/* BYTES with an optional k/m/g suffix (powers of 1024). */
static int
parse_size(const char *s, uint64_t lo, uint64_t hi, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
set_str(char **dst, const char *v)
{
	slc_free(*dst);
	*dst = slc_strdup(v);
	return *dst != NULL ? 0 : -1;
}

/* Apply one option. where: NULL for the command line, "config line N: " for the file. */
static int
apply(struct sluiced_cfg *cfg, int id, const char *name, const char *v, const char *where)
{
	struct slc_pkt_cfg tmp;
	bool b;
	int ret;

	if (id != O_ACCEPT_ANY_DST && id != O_BUFFERED_IO && id != O_HELP &&
			id != O_LATENCY_STAMPS && (v == NULL || v[0] == '\0')) {
		msg(where, "option '--%s' needs a value", name);
		return -1;
	}
	switch (id) {
	case O_CONFIG:
		return set_str(&cfg->config_file, v);
	case O_DATA_DIR:
		return set_str(&cfg->data_dir, v);
	case O_STREAM:
		if (cfg->n_streams == SLUICED_MAX_STREAMS) {
			msg(where, "more than %d --stream options (at '%s')", SLUICED_MAX_STREAMS, v);
			return -1;
		}
		if (parse_stream(where, v, &cfg->streams[cfg->n_streams]) != 0)
			return -1;
		cfg->n_streams++;
		return 0;
	case O_UDP_PORT:
		if (cfg->n_udp == SLUICED_MAX_UDP) {
			msg(where, "more than %d --udp-port options (at '%s')", SLUICED_MAX_UDP, v);
			return -1;
		}
		if (parse_udp(where, v, &cfg->udp[cfg->n_udp]) != 0)
			return -1;
		cfg->n_udp++;
		return 0;
	case O_TCP_PORT:
		if (cfg->n_tcp == SLUICED_MAX_TCP) {
			msg(where, "more than %d --tcp-port options (at '%s')", SLUICED_MAX_TCP, v);
			return -1;
		}
		if (parse_tcp(where, v, &cfg->tcp[cfg->n_tcp]) != 0)
			return -1;
		cfg->n_tcp++;
		return 0;
	case O_TCP_MAX_CONNS:
		if (parse_u32(v, 1, 1u << 20, &cfg->tcp_max_conns) != 0) {
			msg(where, "--tcp-max-conns '%s' is not valid: use 1 to 1048576", v);
			return -1;
		}
		return 0;
	case O_TCP_RCVBUF:
		if (parse_size(v, 4096, 1ull << 30, &cfg->tcp_rcvbuf) != 0) {
			msg(where, "--tcp-rcvbuf '%s' is not valid: use 4k to 1g (bytes, or k, m, "
				"g suffixes)", v);
			return -1;
		}
		return 0;
	case O_TCP_IDLE_TIMEOUT:
	case O_TCP_KEEPALIVE: {
		uint32_t x;

		if (parse_u32(v, 0, 86400 * 7, &x) != 0) {
			msg(where, "--%s '%s' is not valid: use 0 to 604800 seconds", name, v);
			return -1;
		}
		if (id == O_TCP_IDLE_TIMEOUT)
			cfg->tcp_idle_timeout_s = x;
		else
			cfg->tcp_keepalive_s = x;
		return 0;
	}
	case O_IP:
		slc_pkt_cfg_default(&tmp);
		ret = slc_pkt_cfg_add_ip(&tmp, v);
		if (ret != 0 || cfg->n_ips == RTE_DIM(cfg->ips)) {
			msg(where, "--ip '%s' is not valid: use ADDR/PREFIX, e.g. 192.0.2.1/24 or "
				"2001:db8::1/64 (at most %d of each family)", v, SLC_PKT_MAX_ADDRS);
			return -1;
		}
		cfg->ips[cfg->n_ips] = slc_strdup(v);
		if (cfg->ips[cfg->n_ips] == NULL)
			return -1;
		cfg->n_ips++;
		return 0;
	case O_DURABILITY:
		if (slc_durability_parse(v, &cfg->durability) != 0) {
			msg(where, "--durability '%s' is not valid: use direct or fsync", v);
			return -1;
		}
		return 0;
	case O_COMPRESSION:
		if (slc_compression_parse(v, &cfg->compression) != 0) {
			msg(where, "--compression '%s' is not valid: use none or deflate", v);
			return -1;
		}
		return 0;
	case O_LINGER_US: {
		uint32_t x;

		if (parse_u32(v, 1, 10000000, &x) != 0) {
			msg(where, "--linger-us '%s' is not valid: use 1 to 10000000", v);
			return -1;
		}
		cfg->linger_us = x;
		return 0;
	}
	case O_RX_LCORES:
		return set_str(&cfg->rx_lcores, v);
	case O_MBUFS:
		if (parse_u32(v, 1023, 1u << 24, &cfg->mbufs) != 0) {
			msg(where, "--mbufs '%s' is not valid: use 1023 to 16777216", v);
			return -1;
		}
		return 0;
	case O_RING_SIZE:
		if (parse_u32(v, 2, 1u << 20, &cfg->ring_size) != 0 ||
				(cfg->ring_size & (cfg->ring_size - 1)) != 0) {
			msg(where, "--ring-size '%s' is not valid: use a power of two from 2 to "
				"1048576", v);
			return -1;
		}
		return 0;
	case O_ACCEPT_ANY_DST:
	case O_BUFFERED_IO:
		if (parse_bool(v, &b) != 0) {
			msg(where, "'%s' takes true or false, not '%s'", name, v);
			return -1;
		}
		if (id == O_ACCEPT_ANY_DST)
			cfg->accept_any_dst = b;
		else
			cfg->buffered_io = b;
		return 0;
	case O_STATS_INTERVAL_MS:
		if (parse_u32(v, 0, 3600000, &cfg->stats_interval_ms) != 0) {
			msg(where, "--stats-interval-ms '%s' is not valid: use 0 to 3600000", v);
			return -1;
		}
		return 0;
	case O_RETENTION_INTERVAL_S:
		if (parse_u32(v, 0, 86400, &cfg->retention_interval_s) != 0) {
			msg(where, "--retention-interval-s '%s' is not valid: use 0 to 86400", v);
			return -1;
		}
		return 0;
	case O_RETA_STEER_MS:
		if (parse_u32(v, 0, 3600000, &cfg->reta_steer_ms) != 0) {
			msg(where, "--reta-steer-ms '%s' is not valid: use 0 (off) to 3600000", v);
			return -1;
		}
		return 0;
	case O_AUTOSCALE: {
		char e[400];

		if (cfg->n_autoscale == SLUICED_MAX_STREAMS) {
			msg(where, "more than %d --autoscale options (at '%s')", SLUICED_MAX_STREAMS,
				v);
			return -1;
		}
		if (sluiced_autoscale_parse(v, &cfg->autoscale[cfg->n_autoscale], e,
				sizeof(e)) != 0) {
			msg(where, "--autoscale '%s' is not valid: %s", v, e);
			return -1;
		}
		cfg->n_autoscale++;
		return 0;
	}
	case O_LATENCY_STAMPS:
		/* No value (or true): the default rate; false/0: off; N: 1 in N. */
		if (v == NULL || v[0] == '\0') {
			cfg->latency_every = SLC_INGEST_LAT_EVERY_DEFAULT;
			return 0;
		}
		if (parse_bool(v, &b) == 0 && strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
			cfg->latency_every = b ? SLC_INGEST_LAT_EVERY_DEFAULT : 0;
			return 0;
		}
		if (parse_u32(v, 0, 1u << 20, &cfg->latency_every) != 0) {
			msg(where, "--latency-stamps '%s' is not valid: use no value (1 in %d "
				"records), a number N from 1 to 1048576 (1 in N; 0: off), true or "
				"false", v, SLC_INGEST_LAT_EVERY_DEFAULT);
			return -1;
		}
		return 0;
	case O_DISK_FLOOR:
		if (slc_retention_floor_parse(v, &cfg->disk_floor) != 0) {
			msg(where, "--disk-floor '%s' is not valid: use bytes (e.g. 2G, 512M, "
				"1000000) or a percentage of the file system from 1%% to 99%%", v);
			return -1;
		}
		return 0;
	}
	return -1;
}

static void
cfg_init(struct sluiced_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->compression = SLC_COMPRESSION_NONE;
	cfg->durability = SLC_DURABILITY_DIRECT;
	cfg->linger_us = -1;
	cfg->ring_size = SLC_INGEST_RING_SIZE_DEFAULT;
	cfg->retention_interval_s = 60;
	cfg->reta_steer_ms = 1000;
	cfg->tcp_idle_timeout_s = -1;
	cfg->tcp_keepalive_s = -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Read the config file; keys in cli_set were given on the command line and are skipped. */
static int
parse_file(struct sluiced_cfg *cfg, const char *path, const bool *cli_set)
{
	char line[4096], where[600], *k, *v, *eq, *hash, *p;
	unsigned lineno = 0;
	const struct option *o;
	FILE *f;
	int ret = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "sluiced: --config %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "%s: config line %u: ", path, lineno);
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		k = trim(line);
		if (*k == '\0')
			continue;
		eq = strchr(k, '=');
		v = NULL;
		if (eq != NULL) {
			*eq = '\0';
			v = trim(eq + 1);
			k = trim(k);
		}
		for (p = k; *p; p++)
			if (*p == '_')
				*p = '-';
		if (k[0] == '-' && k[1] == '-')
			k += 2;
		for (o = longopts; o->name != NULL; o++)
			if (!strcmp(o->name, k))
				break;
		if (o->name == NULL || o->val == O_CONFIG || o->val == O_HELP) {
			fprintf(stderr, "sluiced: %sunknown key '%s'\n", where, k);
			ret = -1;
			break;
		}
		if (cli_set[o->val])
			continue;
		if (apply(cfg, o->val, o->name, v, where) != 0) {
			ret = -1;
			break;
		}
	}
	fclose(f);
	return ret;
}

int
sluiced_cfg_parse(struct sluiced_cfg *cfg, int argc, char **argv)
{
	bool cli_set[O_MAX] = { false };
	int c, idx;

	cfg_init(cfg);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
		switch (c) {
		case O_HELP:
			usage(stdout);
			return 1;
		case ':':
			msg(NULL, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		case '?':
			msg(NULL, "unknown option '%s'", argv[optind - 1]);
			return -1;
		default:
			if (c < O_CONFIG || c >= O_MAX) {
				msg(NULL, "unknown option '%s'", argv[optind - 1]);
				return -1;
			}
			cli_set[c] = true;
			if (apply(cfg, c, longopts[c - O_CONFIG].name, optarg, NULL) != 0)
				return -1;
		}
	}
	if (optind < argc) {
		msg(NULL, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (cfg->config_file != NULL && parse_file(cfg, cfg->config_file, cli_set) != 0)
		return -1;
	if (cfg->data_dir == NULL || cfg->data_dir[0] == '\0') {
		msg(NULL, "--data-dir is required");
		return -1;
	}
	if (cfg->n_streams == 0) {
		msg(NULL, "at least one --stream NAME:SHARDS is required");
		return -1;
	}
	return 0;
}

void
sluiced_cfg_free(struct sluiced_cfg *cfg)
{
	uint32_t i;

	slc_free(cfg->data_dir);
	slc_free(cfg->rx_lcores);
	slc_free(cfg->config_file);
	for (i = 0; i < cfg->n_ips; i++)
		slc_free(cfg->ips[i]);
	memset(cfg, 0, sizeof(*cfg));
}
