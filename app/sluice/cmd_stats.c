/*
 * sluice stats: the counters of a running sluiced, read over DPDK's telemetry
 * socket (docs/telemetry.md): per port (rx, missed, errors, no-mbuf), per rx
 * queue (packets, datagrams, records, frames dropped by cause), per data core
 * (classification, drops by cause, handovers, log writer), TCP per data core
 * (when sluiced has TCP ports) and per shard (owner,
 * records, stored, bytes, durable, handovers, drops by cause).
 *
 * The socket is SOCK_SEQPACKET: the server sends an info object on connect,
 * then answers each request packet with one JSON packet. `/sluice/shards` pages
 * at 32 shards; the "next" key gives the parameter of the following page.
 * Tables print only the drop causes that are non-zero; --json prints the two
 * answers as one JSON object per line, for scripts.
 *
 * The tool is a plain process (no EAL); it never writes to the socket other
 * than the documented commands, so it is safe against a production sluiced.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice.h"

#define CMD "stats"
#define STATS_MAX_PAGES 1024         /* 32 shards a page: more than any stream has */
#define STATS_MAX_CORES 256

void
sluice_usage_stats(FILE *f)
{
	fprintf(f,
		"usage: sluice stats [--file-prefix P | --socket PATH] [--json] [--watch MS]\n"
		"\n"
		"Show the counters of the running sluiced started with EAL option --file-prefix P:\n"
		"totals, then per port (rx packets and bytes, missed, errors, no-mbuf), per rx\n"
		"queue (packets, datagrams, records, frames dropped by cause), per data core\n"
		"(classification counters, drops by cause, handovers), TCP per data core\n"
		"(connections, frames, lines, records, acks, backpressure; only with TCP\n"
		"ports), and per shard (owner\n"
		"core, records routed, stored, bytes, durable, handovers in/out, drops by\n"
		"cause). Drop causes are listed only when non-zero. Counters count since\n"
		"sluiced started; docs/telemetry.md defines each one.\n"
		"\n"
		"  --file-prefix P  EAL file prefix of the sluiced to ask (default rte); its\n"
		"                   socket is /var/run/dpdk/P/dpdk_telemetry.v2 (as root, else\n"
		"                   $XDG_RUNTIME_DIR/dpdk/P/...)\n"
		"  --socket PATH    telemetry socket path (instead of --file-prefix)\n"
		"  --json           print {\"/sluice/stats\": ..., \"/sluice/shards\": ...} as one\n"
		"                   line of JSON (all shard pages merged)\n"
		"  --watch MS       repeat every MS milliseconds (10..3600000) until interrupted\n"
		"                   or sluiced exits\n"
		"  -h, --help       this text\n"
		"\n"
		"exit status: 0 success, 1 no sluiced to ask or a bad answer, 2 bad usage.\n");
}

/* All pages of /sluice/shards merged into one object (without "next"). */
static json_t *
ask_shards(struct sluice_tconn *c)
{
	char req[512];
	json_t *all, *page, *v;
	const char *k;
	int pages = 0;

	all = json_object();
	snprintf(req, sizeof(req), "/sluice/shards");
	for (;;) {
		page = sluice_tconn_ask(c, req, "/sluice/shards");
		if (page == NULL) {
			json_decref(all);
			return NULL;
		}
		v = json_object_get(page, "error");
		if (v != NULL) {
			sluice_fail(CMD, "%s: '%s' answered: %s", c->path, req,
				json_is_string(v) ? json_string_value(v) : "an error");
			json_decref(page);
			json_decref(all);
			return NULL;
		}
		json_object_foreach(page, k, v) {
			if (strcmp(k, "next") != 0)
				json_object_set(all, k, v);
		}
		v = json_object_get(page, "next");
		if (v == NULL || !json_is_string(v) || ++pages >= STATS_MAX_PAGES) {
			json_decref(page);
			return all;
		}
		snprintf(req, sizeof(req), "/sluice/shards,%s", json_string_value(v));
		json_decref(page);
	}
}

/* ---- tables ---- */

/* A counter, 0 if absent (the schema may grow; old fields may be missing). */
static uint64_t
u64(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v))
		return (uint64_t)json_real_value(v);
	return 0;
}

static const char *
str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "-";
}

/* " cause=N" for every key "<prefix><cause>" of o that is non-zero. */
static void
print_causes(const json_t *o, const char *prefix)
{
	size_t pl = strlen(prefix);
	const char *k;
	json_t *v;
	bool any = false;

	json_object_foreach((json_t *)o, k, v) {
		if (strncmp(k, prefix, pl) != 0 || k[pl] == '\0' || !json_is_integer(v) ||
				json_integer_value(v) == 0)
			continue;
		printf("%s%s=%" JSON_INTEGER_FORMAT, any ? " " : "  ", k + pl, json_integer_value(v));
		any = true;
	}
}

/*
 * Keys "<prefix><N>" of o (port0, core1, ...), sorted by N. Returns how many
 * (at most max) in idx[].
 */
static int
numbered_keys(const json_t *o, const char *prefix, long *idx, int max)
{
	size_t pl = strlen(prefix);
	const char *k;
	json_t *v;
	char *end;
	int n = 0, i, j;

	json_object_foreach((json_t *)o, k, v) {
		long x;

		if (strncmp(k, prefix, pl) != 0 || k[pl] < '0' || k[pl] > '9' || !json_is_object(v))
			continue;
		x = strtol(k + pl, &end, 10);
		if (*end != '\0' || n == max)
			continue;
		for (i = 0; i < n && idx[i] < x; i++)
			;
		for (j = n; j > i; j--)
			idx[j] = idx[j - 1];
		idx[i] = x;
		n++;
	}
	return n;
}

static void
print_ports(const json_t *st)
{
	long ports[64], q;
	char key[64], pfx[64];
	int np, i;

	np = numbered_keys(st, "port", ports, 64);
	printf("\n%-5s %-16s %-17s %5s %12s %14s %10s %10s %10s %12s\n", "PORT", "NAME", "MAC",
		"RXQ", "RX_PKTS", "RX_BYTES", "MISSED", "ERRORS", "NOMBUF", "TX_PKTS");
	for (i = 0; i < np; i++) {
		const json_t *p;

		snprintf(key, sizeof(key), "port%ld", ports[i]);
		p = json_object_get(st, key);
		printf("%-5ld %-16s %-17s %5" PRIu64 " %12" PRIu64 " %14" PRIu64 " %10" PRIu64
			" %10" PRIu64 " %10" PRIu64 " %12" PRIu64 "\n", ports[i], str(p, "name"),
			str(p, "mac"), u64(p, "rx_queues"), u64(p, "ipackets"), u64(p, "ibytes"),
			u64(p, "imissed"), u64(p, "ierrors"), u64(p, "rx_nombuf"), u64(p, "opackets"));
	}
	printf("\n%-7s %12s %14s %12s %12s %11s %10s  %s\n", "QUEUE", "RX_PKTS", "RX_BYTES",
		"DATAGRAMS", "RECORDS", "FRAME_DROPS", "TX_PKTS", "FRAME DROPS BY CAUSE");
	for (i = 0; i < np; i++) {
		const json_t *p;

		snprintf(key, sizeof(key), "port%ld", ports[i]);
		p = json_object_get(st, key);
		for (q = 0; q < (long)u64(p, "rx_queues") && q < 1024; q++) {
			char name[16], k2[96];

			snprintf(pfx, sizeof(pfx), "q%ld_", q);
			snprintf(name, sizeof(name), "%ld/%ld", ports[i], q);
#define QV(f) (snprintf(k2, sizeof(k2), "%s%s", pfx, f), u64(p, k2))
			printf("%-7s %12" PRIu64, name, QV("rx_packets"));
			printf(" %14" PRIu64, QV("rx_bytes"));
			printf(" %12" PRIu64, QV("datagrams"));
			printf(" %12" PRIu64, QV("records"));
			printf(" %11" PRIu64, QV("frame_drops"));
			printf(" %10" PRIu64, QV("tx_packets"));
#undef QV
			snprintf(k2, sizeof(k2), "%sframe_drop_", pfx);
			print_causes(p, k2);
			putchar('\n');
		}
	}
}

static void
print_cores(const json_t *st)
{
	long cores[STATS_MAX_CORES];
	char key[64];
	int n, i;

	n = numbered_keys(st, "core", cores, STATS_MAX_CORES);
	printf("\n%-5s %5s %5s %12s %12s %8s %8s %6s %6s %6s %10s %12s %12s  %s\n", "CORE",
		"LCORE", "QUEUE", "RX", "UDP", "FRAGS", "REASM", "ARP", "ICMP", "ND", "PKT_DROPS",
		"HANDOVR_OUT", "HANDOVR_IN", "PACKET DROPS BY CAUSE");
	for (i = 0; i < n; i++) {
		const json_t *c;

		snprintf(key, sizeof(key), "core%ld", cores[i]);
		c = json_object_get(st, key);
		printf("%-5ld %5" PRIu64 " %5" PRIu64 " %12" PRIu64 " %12" PRIu64 " %8" PRIu64
			" %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %10" PRIu64 " %12"
			PRIu64 " %12" PRIu64, cores[i], u64(c, "lcore"), u64(c, "queue"), u64(c, "rx"),
			u64(c, "udp"), u64(c, "frags"), u64(c, "reassembled"), u64(c, "arp_replies"),
			u64(c, "icmp_replies"), u64(c, "nd_replies"), u64(c, "pkt_drops"),
			u64(c, "handover_out"), u64(c, "handover_in"));
		print_causes(c, "drop_");
		putchar('\n');
	}
}

/* TCP per data core, when sluiced has TCP ports (the tcp_* counters exist). */
static void
print_tcp(const json_t *st)
{
	long cores[STATS_MAX_CORES];
	char key[64];
	int n, i;

	n = numbered_keys(st, "core", cores, STATS_MAX_CORES);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "core%ld", cores[i]);
		if (json_object_get(json_object_get(st, key), "tcp_conns") != NULL)
			break;
	}
	if (i == n)
		return;
	printf("\n%-5s %8s %10s %10s %12s %12s %10s %8s %8s %8s  %s\n", "TCP", "CONNS",
		"ACCEPTED", "FRAMES", "LINES", "RECORDS", "ACKS", "BLOCKED", "WIN_ZERO", "RETRANS",
		"EVERY NON-ZERO tcp_ COUNTER");
	for (i = 0; i < n; i++) {
		const json_t *c;

		snprintf(key, sizeof(key), "core%ld", cores[i]);
		c = json_object_get(st, key);
		printf("%-5ld %8" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64
			" %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64, cores[i],
			u64(c, "tcp_conns"), u64(c, "tcp_accepted"), u64(c, "tcp_frames"),
			u64(c, "tcp_lines"), u64(c, "tcp_records"), u64(c, "tcp_acks"),
			u64(c, "tcp_blocked"), u64(c, "tcp_window_zero"), u64(c, "tcp_retransmits"));
		print_causes(c, "tcp_");
		putchar('\n');
	}
}

static void
print_shards(json_t *sh)
{
	const char *k;
	json_t *s;

	printf("\n%-24s %-5s %12s %12s %14s %12s %12s %12s %10s  %s\n", "SHARD", "OWNER",
		"RECORDS", "STORED", "BYTES", "DURABLE", "HANDOVR_IN", "HANDOVR_OUT", "DROPS",
		"DROPS BY CAUSE");
	/* jansson keeps insertion order: the server's order, stream then index. */
	json_object_foreach(sh, k, s) {
		char name[160], owner[16];

		if (!json_is_object(s))
			continue;
		snprintf(name, sizeof(name), "%s/%" PRIu64, str(s, "stream"), u64(s, "index"));
		if (json_object_get(s, "owner_core") != NULL)
			snprintf(owner, sizeof(owner), "%" PRIu64, u64(s, "owner_core"));
		else
			strcpy(owner, "-");
		printf("%-24s %-5s %12" PRIu64 " %12" PRIu64 " %14" PRIu64 " %12" PRIu64 " %12"
			PRIu64 " %12" PRIu64 " %10" PRIu64, name, owner, u64(s, "records_rx"),
			u64(s, "stored"), u64(s, "bytes"), u64(s, "durable"), u64(s, "handover_in"),
			u64(s, "handover_out"), u64(s, "drops"));
		print_causes(s, "drop_");
		putchar('\n');
	}
}

static void
print_tables(const json_t *st, json_t *sh)
{
	const json_t *t = json_object_get(st, "totals");

	printf("sluiced pid %" PRIu64 ", up %.1f s, %s, %" PRIu64 " data cores, %" PRIu64
		" streams, %" PRIu64 " shards\n", u64(st, "pid"), u64(st, "uptime_ms") / 1000.0,
		str(st, "state"), u64(st, "data_cores"), u64(st, "streams"), u64(st, "shards"));
	if (t != NULL) {
		printf("totals: rx %" PRIu64 " packets (%" PRIu64 " bytes), %" PRIu64 " datagrams, %"
			PRIu64 " records, %" PRIu64 " stored (%" PRIu64 " bytes), %" PRIu64
			" durable, %" PRIu64 " handed over\n", u64(t, "rx_packets"),
			u64(t, "rx_bytes"), u64(t, "datagrams"), u64(t, "records"), u64(t, "stored"),
			u64(t, "stored_bytes"), u64(t, "durable"), u64(t, "handover"));
		printf("dropped: %" PRIu64 " records, %" PRIu64 " frames, %" PRIu64 " packets; "
			"port missed %" PRIu64 ", errors %" PRIu64 ", no mbuf %" PRIu64
			"; mbuf leak %" PRIu64 "\n", u64(t, "drops"), u64(t, "frame_drops"),
			u64(t, "pkt_drops"), u64(t, "port_imissed"), u64(t, "port_ierrors"),
			u64(t, "port_rx_nombuf"), u64(t, "mbuf_leak"));
		if (u64(t, "drops") != 0) {
			printf("record drops by cause:");
			print_causes(t, "drop_");
			putchar('\n');
		}
	}
	print_ports(st);
	print_cores(st);
	print_tcp(st);
	if (sh != NULL)
		print_shards(sh);
}

/*
 * Every data core's counters (/sluice/core,N: one answer per core, as one
 * answer cannot hold them all) merged into st as "core<N>". 0 or -1.
 */
static int
ask_cores(struct sluice_tconn *c, json_t *st)
{
	uint64_t i, n = u64(st, "data_cores");
	char req[64], k[32];
	json_t *a, *v;

	for (i = 0; i < n && i < STATS_MAX_CORES; i++) {
		snprintf(req, sizeof(req), "/sluice/core,%" PRIu64, i);
		a = sluice_tconn_ask(c, req, "/sluice/core");
		if (a == NULL)
			return -1;
		v = json_object_get(a, "counters");
		snprintf(k, sizeof(k), "core%" PRIu64, i);
		if (json_is_object(v))
			json_object_set(st, k, v);
		json_decref(a);
	}
	return 0;
}

/* One sample: ask the commands and print. 0 or 1. */
static int
sample(struct sluice_tconn *c, bool json)
{
	json_t *st, *sh, *both;
	int rc = SLUICE_EXIT_OK;

	st = sluice_tconn_ask(c, "/sluice/stats", "/sluice/stats");
	if (st == NULL)
		return SLUICE_EXIT_FAIL;
	/* Between the end of ingest and exit, sluiced answers only {"state": "stopped"}. */
	if (json_object_get(st, "totals") == NULL &&
			strcmp(str(st, "state"), "stopped") == 0) {
		json_decref(st);
		c->gone = true;
		if (!c->quiet_gone)
			sluice_fail(CMD, "sluiced at %s is shutting down: no counters any more (its "
				"final totals go to its stderr)", c->path);
		return SLUICE_EXIT_FAIL;
	}
	if (ask_cores(c, st) != 0) {
		json_decref(st);
		return SLUICE_EXIT_FAIL;
	}
	sh = ask_shards(c);
	if (sh == NULL) {
		json_decref(st);
		return SLUICE_EXIT_FAIL;
	}
	if (json_object_size(sh) != u64(st, "shards"))
		fprintf(stderr, "sluice %s: warning: sluiced has %" PRIu64 " shards but its "
			"/sluice/shards pages listed %zu\n", CMD, u64(st, "shards"),
			json_object_size(sh));
	if (json) {
		char *s;

		both = json_object();
		json_object_set(both, "/sluice/stats", st);
		json_object_set(both, "/sluice/shards", sh);
		s = json_dumps(both, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (s == NULL)
			rc = sluice_fail(CMD, "cannot format JSON");
		else
			printf("%s\n", s);
		free(s);
		json_decref(both);
	} else {
		print_tables(st, sh);
	}
	json_decref(st);
	json_decref(sh);
	if (fflush(stdout) != 0)
		rc = sluice_fail(CMD, "cannot write output: %s", strerror(errno));
	return rc;
}

int
sluice_cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file-prefix", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = NULL, *sock = NULL, *watch_s = NULL;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 256];
	struct sluice_tconn c = { .cmd = CMD, .fd = -1 };
	uint64_t watch = 0;
	bool json = false;
	int ch, rc, n = 0;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			prefix = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'w':
			watch_s = optarg;
			break;
		case 'h':
			sluice_usage_stats(stdout);
			return SLUICE_EXIT_OK;
		default:
			return sluice_getopt_err(CMD, ch, argv);
		}
	}
	if (sluice_no_operands(CMD, argc, argv))
		return SLUICE_EXIT_USAGE;
	if (prefix != NULL && sock != NULL)
		return sluice_usage_err(CMD, "give --file-prefix or --socket, not both");
	if (prefix != NULL && (prefix[0] == '\0' || strchr(prefix, '/') != NULL))
		return sluice_usage_err(CMD, "--file-prefix '%s' is not valid: give the EAL "
			"--file-prefix of sluiced (no '/')", prefix);
	if (sock != NULL && sock[0] == '\0')
		return sluice_usage_err(CMD, "--socket must not be empty");
	if (watch_s != NULL && sluice_parse_u64(CMD, "--watch", watch_s, 10, 3600000, &watch))
		return SLUICE_EXIT_USAGE;
	if (sock == NULL) {
		if (prefix == NULL)
			prefix = "rte";
		sluice_tconn_path(prefix, path, sizeof(path));
		c.prefix = prefix;
	} else {
		snprintf(path, sizeof(path), "%s", sock);
	}
	c.path = path;
	c.buf = malloc(SLUICE_TCONN_BUF_LEN);
	if (c.buf == NULL)
		return sluice_fail(CMD, "out of memory");
	rc = sluice_tconn_open(&c);
	if (rc != 0)
		goto out;
	for (;;) {
		if (watch != 0 && !json && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		else if (watch != 0 && !json && n > 0)
			printf("\n");
		rc = sample(&c, json);
		if (rc != 0 && c.gone && n > 0) {
			/* A sluiced that stops while watched ends the watch, not an error. */
			fprintf(stderr, "sluice %s: sluiced at %s has stopped\n", CMD, path);
			rc = SLUICE_EXIT_OK;
			break;
		}
		n++;
		c.quiet_gone = true;
		if (rc != 0 || watch == 0)
			break;
		{
			struct timespec ts = { .tv_sec = watch / 1000,
				.tv_nsec = (long)(watch % 1000) * 1000000 };

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
	}
out:
	sluice_tconn_close(&c);
	free(c.buf);
	return rc;
}
