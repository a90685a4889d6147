/*
 * sluiced: the appliance main (docs/dataplane.md). The main lcore is the control
 * core: it parses the configuration, opens the streams (taking each stream's
 * writer lock, as `sluice put` does), brings up every DPDK port with one rx and
 * one tx queue per data core, builds the ingest engine (lib/ingest), launches
 * the data cores, then only watches: signals, the optional stats line,
 * retention passes, live reshard requests (reshard.c), and shutdown. Telemetry runs on DPDK's telemetry thread (telemetry.c).
 *
 * A data core polls queue <its index> of every port: rx burst -> ingest, drain
 * its incoming rings, send replies, poll its log writer. With a single lcore
 * (`-l 0`), the main lcore is the one data core and watches for signals
 * between iterations.
 *
 * Shutdown (SIGTERM/SIGINT): the control core raises `stop`; each data core
 * finishes its iteration, stops receiving and says so, then keeps draining its
 * rings and polling its writer until every core has stopped receiving and its
 * own rings stayed empty for two quiet rounds, then makes its shards durable
 * (slc_log_sync) and returns. The control core prints the final totals, stops
 * and closes the ports, frees the engine and checks that every mbuf is back in
 * its pool (mbuf_leak). A second signal exits at once with status 1.
 *
 * usage: sluiced [EAL options] -- [options]    (sluiced -- --help)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "slc_mem.h"
#include "sluiced.h"

struct opened {
	struct slc_stream *st;
	int lock_fd;
};

/* owner: control core (written), data cores (read) */
static volatile int stop_flag;
/* owner: each data core its own entry; read by all data cores */
static volatile int rx_stopped[SLC_INGEST_MAX_CORES];
static volatile sig_atomic_t n_signals;
static volatile sig_atomic_t stop_sig;

/* read-only after launch */
static struct sluiced_state state;
static int core_rc[SLC_INGEST_MAX_CORES];
static bool main_is_data;
static uint64_t stats_interval_tsc;     /* --stats-interval-ms, for -l 0 */

/*
 * First SIGTERM/SIGINT: drain and stop. A second one exits at once, unless it
 * comes within a second of the first: `timeout` and shells deliver one kill to
 * both the process and its group, which is one request, not two.
 */
static void
on_signal(int sig)
{
	static const char m[] = "sluiced: second signal, exiting at once\n";
	static struct timespec first;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n_signals++ > 0) {
		if (now.tv_sec - first.tv_sec < 1 ||
				(now.tv_sec - first.tv_sec == 1 && now.tv_nsec < first.tv_nsec))
			return;
		if (write(STDERR_FILENO, m, sizeof(m) - 1) < 0) {
			/* nothing to do */
		}
		_exit(1);
	}
	first = now;
	stop_sig = sig;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void print_stats_line(struct sluiced_state *s);

/* ---------------------------------------------------------------- TCP */

/*
 * The TCP engines' settings from the options, on the pool of the first port's
 * socket (or a pool of its own without ports). Received payload is held in
 * mbufs until consumed, so each engine's rcv_mem is capped to what its share of
 * the pool can hold (SLUICED_TCP_MBUFS more per data core were added to it).
 */
static int
tcp_setup(const struct sluiced_cfg *cfg, struct rte_mempool **pools, const uint32_t *lcores,
	uint32_t n_lcores)
{
	struct slc_tcp_cfg tcfg;
	struct rte_mempool *mp = NULL;
	uint64_t cap;
	uint32_t i;

	for (i = 0; i < RTE_MAX_NUMA_NODES && mp == NULL; i++)
		mp = pools[i];
	if (mp == NULL) {
		pools[0] = rte_pktmbuf_pool_create("slc_mbuf_tcp", 8191, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		mp = pools[0];
		if (mp == NULL) {
			fprintf(stderr, "sluiced: cannot create a pool of mbufs for TCP: %s\n",
				rte_strerror(rte_errno));
			return -1;
		}
	}
	slc_tcp_cfg_default(&tcfg);
	tcfg.pool = mp;
	tcfg.socket = (int)rte_socket_id();
	if (cfg->tcp_max_conns > 0)
		tcfg.max_conns = cfg->tcp_max_conns;
	if (cfg->tcp_rcvbuf > 0)
		tcfg.rcv_buf = cfg->tcp_rcvbuf;
	if (cfg->tcp_idle_timeout_s >= 0)
		tcfg.idle_timeout_s = (uint32_t)cfg->tcp_idle_timeout_s;
	if (cfg->tcp_keepalive_s >= 0)
		tcfg.keepalive_s = (uint32_t)cfg->tcp_keepalive_s;
	/* A quarter of the pool per engine's held payload, at ~1 KiB per mbuf held. */
	cap = (uint64_t)mp->size / 4 / n_lcores * 1024;
	if (tcfg.rcv_mem == 0 || tcfg.rcv_mem > cap)
		tcfg.rcv_mem = cap;
	if (tcfg.rcv_buf > tcfg.rcv_mem)
		tcfg.rcv_buf = (uint32_t)tcfg.rcv_mem;
	if (slc_ingest_set_tcp(state.ing, &tcfg) != 0) {
		fprintf(stderr, "sluiced: cannot configure TCP\n");
		return -1;
	}
	/* A data core on a socket with a pool of its own uses that one. */
	for (i = 0; i < n_lcores; i++) {
		unsigned int sock = rte_lcore_to_socket_id(lcores[i]);

		if (sock < RTE_MAX_NUMA_NODES && pools[sock] != NULL)
			slc_ingest_set_core_pool(state.ing, i, pools[sock]);
	}
	printf("sluiced: tcp: up to %u connections per data core, receive window up to %u "
		"bytes, %" PRIu64 " bytes held per core at most, idle timeout %u s, keepalive "
		"%u s\n", tcfg.max_conns, tcfg.rcv_buf, tcfg.rcv_mem, tcfg.idle_timeout_s,
		tcfg.keepalive_s);
	return 0;
}

/* ---------------------------------------------------------------- data cores */

/* Replies (lib/pkt), then TCP segments (lib/tcp, through the chaos hook if on). */
static void
send_replies(struct slc_ingest_core *c, uint16_t q)
{
	struct rte_mbuf **tx, *out[2 * SLC_TCP_TXQ_LEN];
	uint16_t p, n, k, sent;

	for (p = 0; p < state.n_ports; p++) {
		uint16_t port = state.ports[p].port_id;

		n = slc_ingest_core_tx_pending(c, port, &tx);
		if (n > 0) {
			sent = rte_eth_tx_burst(port, q, tx, n);
			slc_ingest_core_tx_done(c, port, sent);
		}
		n = slc_ingest_core_tcp_tx_pending(c, port, &tx);
		if (n == 0)
			continue;
		if (!state.chaos_on) {
			/* A few tries: a segment lost here costs the sender a retransmission. */
			sent = 0;
			for (k = 0; k < 4 && sent < n; k++)
				sent += rte_eth_tx_burst(port, q, tx + sent, n - sent);
			slc_ingest_core_tcp_tx_done(c, port, sent);
			continue;
		}
		/* The hook takes the segments over: the engine counts them sent. */
		if (n > SLC_TCP_TXQ_LEN)
			n = SLC_TCP_TXQ_LEN;
		k = sluiced_chaos_tx(q, tx, n, out, &state.chaos[q]);
		slc_ingest_core_tcp_tx_done(c, port, n);
		sent = k > 0 ? rte_eth_tx_burst(port, q, out, k) : 0;
		if (sent < k)
			rte_pktmbuf_free_bulk(out + sent, k - sent);
	}
}

static bool
all_rx_stopped(uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!__atomic_load_n(&rx_stopped[i], __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static int
data_core_main(void *arg)
{
	struct slc_ingest_core *c = arg;
	uint32_t idx = slc_ingest_core_index(c), n_cores = slc_ingest_n_cores(state.ing);
	uint16_t q = (uint16_t)idx, p, n;
	struct rte_mbuf *pkts[2 * SLC_INGEST_BURST + 1];
	struct sluiced_core_cycles *cyc = &state.cycles[idx];
	uint64_t now, last_stats = rte_rdtsc(), prev = last_stats;
	uint32_t work;
	bool busy = false;
	int quiet = 0;

	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE)) {
		now = rte_rdtsc();
		/* The previous iteration ran from prev to now (no extra TSC read). */
		cyc->total += now - prev;
		if (busy)
			cyc->busy += now - prev;
		prev = now;
		work = 0;
		for (p = 0; p < state.n_ports; p++) {
			n = rte_eth_rx_burst(state.ports[p].port_id, q, pkts, SLC_INGEST_BURST);
			if (unlikely(state.chaos_on))
				sluiced_chaos_rx(idx, pkts, &n, RTE_DIM(pkts), &state.chaos[idx]);
			if (n > 0)
				slc_ingest_core_rx(c, state.ports[p].port_id, pkts, n, now);
			work += n;
		}
		work += slc_ingest_core_poll(c, now);
		busy = work != 0;
		send_replies(c, q);
		if (main_is_data) {
			/* Single lcore: this is also the control core. */
			if (stop_sig) {
				state.draining = 1;
				__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
			}
			sluiced_reshard_tick();
			sluiced_autoscale_tick(mono_ms());
			if (stats_interval_tsc != 0 && now - last_stats >= stats_interval_tsc) {
				last_stats = now;
				print_stats_line(&state);
			}
		}
	}
	/* Every record this core staged is on a ring or counted by now. */
	__atomic_store_n(&rx_stopped[idx], 1, __ATOMIC_RELEASE);
	while (quiet < 2) {
		work = slc_ingest_core_poll(c, rte_rdtsc());
		send_replies(c, q);
		if (all_rx_stopped(n_cores) && work == 0 && slc_ingest_core_rings_empty(c))
			quiet++;
		else
			quiet = 0;
	}
	core_rc[idx] = slc_ingest_core_sync(c);
	/* Every record durable: send the acks that are due, reset every connection. */
	slc_ingest_core_tcp_shutdown(c, rte_rdtsc());
	send_replies(c, q);
	if (state.chaos_on)
		sluiced_chaos_flush(idx);
	return 0;
}

/* ---------------------------------------------------------------- start-up */

static bool
hugepages_free(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return true;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	fclose(f);
	return v != 0;
}

static bool
has_arg(int argc, char **argv, const char *a)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (!strcmp(argv[i], a))
			return true;
	return false;
}

/* Open or create a stream and take its writer lock (as `sluice put` does). */
static int
stream_open(const struct sluiced_cfg *cfg, const struct sluiced_stream_spec *sp,
	struct opened *o)
{
	struct slc_stream_settings set;
	char path[4096], buf[32];
	ssize_t n;
	int fd;

	o->st = slc_stream_open(cfg->data_dir, sp->name);
	if (o->st == NULL && errno == ENOENT) {
		slc_stream_settings_default(&set);
		set.compression = sp->compression >= 0 ? (enum slc_compression)sp->compression :
			cfg->compression;
		set.durability = sp->durability >= 0 ? (enum slc_durability)sp->durability :
			cfg->durability;
		o->st = slc_stream_create(cfg->data_dir, sp->name, sp->shards, &set);
		if (o->st != NULL)
			printf("sluiced: created stream %s with %u shards in %s (compression %s, "
				"durability %s)\n", sp->name, sp->shards, cfg->data_dir,
				slc_compression_name(set.compression),
				slc_durability_name(set.durability));
	}
	if (o->st == NULL) {
		fprintf(stderr, "sluiced: cannot open or create stream %s in %s: %s\n", sp->name,
			cfg->data_dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/writer.lock", o->st->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;

		buf[0] = '\0';
		if (fd >= 0) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			close(fd);
		}
		if (err == EWOULDBLOCK)
			fprintf(stderr, "sluiced: stream %s is being written by another process "
				"(pid %s holds %s)\n", sp->name, buf[0] ? buf : "?", path);
		else
			fprintf(stderr, "sluiced: stream %s: cannot take the writer lock %s: %s\n",
				sp->name, path, strerror(err));
		slc_stream_close(o->st);
		o->st = NULL;
		return 1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, n, 0) != n)
		fprintf(stderr, "sluiced: warning: cannot write pid to %s\n", path);
	o->lock_fd = fd;
	/* A reshard a crash interrupted is finished before anything opens the shards. */
	if (sluiced_reshard_recover(o->st) != 0) {
		fprintf(stderr, "sluiced: stream %s: cannot finish the interrupted reshard (see "
			"above)\n", sp->name);
		close(fd);
		slc_stream_close(o->st);
		o->st = NULL;
		return 1;
	}
	/*
	 * SHARDS applies when the stream is created: afterwards resharding (the sluice
	 * tool, autoscaling) decides the count, so a differing SHARDS is only noted.
	 */
	{
		uint32_t i, open = 0;

		for (i = 0; i < o->st->nshards; i++)
			open += o->st->shards[i].state == SLC_SHARD_OPEN;
		if (open != sp->shards)
			printf("sluiced: stream %s has %u open shards (%u in its table with the "
				"closed ones); --stream %s:%u applies only when it is created\n",
				sp->name, open, o->st->nshards, sp->name, sp->shards);
	}
	return 0;
}

/* The data lcores: --rx-lcores LIST, or every worker, or the main lcore alone. */
static int
pick_lcores(const char *list, uint32_t *lc, uint32_t *n)
{
	unsigned main_lc = rte_get_main_lcore(), i, a, b;
	const char *p = list;
	char *end;

	*n = 0;
	if (list == NULL) {
		RTE_LCORE_FOREACH_WORKER(i) {
			if (*n == SLC_INGEST_MAX_CORES)
				break;
			lc[(*n)++] = i;
		}
		if (*n == 0)
			lc[(*n)++] = main_lc;
		return 0;
	}
	while (*p != '\0') {
		a = (unsigned)strtoul(p, &end, 10);
		if (end == p)
			goto bad;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = (unsigned)strtoul(p, &end, 10);
			if (end == p || b < a)
				goto bad;
		}
		for (i = a; i <= b; i++) {
			if (i >= RTE_MAX_LCORE || !rte_lcore_is_enabled(i)) {
				fprintf(stderr, "sluiced: --rx-lcores %s: lcore %u is not enabled: give "
					"it to the EAL with -l\n", list, i);
				return -1;
			}
			if (*n == SLC_INGEST_MAX_CORES) {
				fprintf(stderr, "sluiced: --rx-lcores %s: at most %d data cores\n",
					list, SLC_INGEST_MAX_CORES);
				return -1;
			}
			lc[(*n)++] = i;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0')
			goto bad;
		p = end;
	}
	if (*n == 0)
		goto bad;
	for (i = 0; i < *n; i++) {
		if (lc[i] == main_lc && *n > 1) {
			fprintf(stderr, "sluiced: --rx-lcores %s: lcore %u is the main (control) "
				"lcore: list only worker lcores, or run a single lcore\n", list, main_lc);
			return -1;
		}
	}
	return 0;
bad:
	fprintf(stderr, "sluiced: --rx-lcores '%s' is not valid: use a list like 1-3 or 1,3\n",
		list ? list : "");
	return -1;
}

static void
print_final(struct sluiced_state *s)
{
	struct sluiced_totals t;
	uint32_t i;

	sluiced_totals(s, &t);
	fprintf(stderr, "sluiced: final: received %" PRIu64 " packets, %" PRIu64 " datagrams, %"
		PRIu64 " records; stored %" PRIu64 " (%" PRIu64 " bytes), durable %" PRIu64
		", handed over %" PRIu64 "\n", t.rx_packets, t.datagrams, t.records, t.stored,
		t.stored_bytes, t.durable, t.handover);
	fprintf(stderr, "sluiced: final: dropped %" PRIu64 " records (", t.drops);
	for (i = 0; i < SLC_INGEST_D_MAX; i++)
		fprintf(stderr, "%s%s %" PRIu64, i ? ", " : "", slc_ingest_drop_name(i), t.drop[i]);
	fprintf(stderr, "), %" PRIu64 " bad frames, %" PRIu64 " packets by classification; "
		"ports: imissed %" PRIu64 ", ierrors %" PRIu64 ", rx_nombuf %" PRIu64 "\n",
		t.frame_drops, t.pkt_drops, t.imissed, t.ierrors, t.rx_nombuf);
	if (slc_ingest_n_tcp_routes(s->ing) > 0)
		fprintf(stderr, "sluiced: final: tcp: %" PRIu64 " records (%" PRIu64 " frames, %"
			PRIu64 " acks sent)\n", t.tcp_records, t.tcp_frames, t.tcp_acks);
}

static void
print_stats_line(struct sluiced_state *s)
{
	struct sluiced_totals t;

	sluiced_totals(s, &t);
	printf("sluiced: stats: rx %" PRIu64 " records %" PRIu64 " stored %" PRIu64 " durable %"
		PRIu64 " handover %" PRIu64 " drops %" PRIu64 " frame_drops %" PRIu64
		" pkt_drops %" PRIu64 "\n", t.rx_packets, t.records, t.stored, t.durable,
		t.handover, t.drops, t.frame_drops, t.pkt_drops);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char id[SLC_SHARD_ID_LEN + 1], seq[SLC_SEQ_STRLEN], err[512], line[512];
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES] = { NULL };
	struct opened streams[SLUICED_MAX_STREAMS];
	uint32_t lcores[SLC_INGEST_MAX_CORES], n_lcores = 0, nopen = 0, i, j;
	struct slc_ingest_cfg icfg;
	struct slc_pkt_cfg *pcfg = NULL;
	struct sluiced_cfg cfg;
	struct sigaction sa;
	bool started = false, launched = false, ports_up = false;
	uint16_t pid;
	int ret, rc = 1;

	memset(&cfg, 0, sizeof(cfg));
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		if (!has_arg(argc, argv, "--no-huge") && !hugepages_free())
			fprintf(stderr, "sluiced: EAL initialisation failed: no free hugepages: "
				"reserve some (echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/"
				"nr_hugepages) or run with --no-huge --no-shconf -m 512\n");
		else
			fprintf(stderr, "sluiced: EAL initialisation failed: %s (check the EAL "
				"options before '--')\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"sluiced";

	ret = sluiced_cfg_parse(&cfg, argc, argv);
	if (ret != 0) {
		rc = ret > 0 ? 0 : 1;
		goto out_eal;
	}
	if (pick_lcores(cfg.rx_lcores, lcores, &n_lcores) != 0)
		goto out_eal;
	if (sluiced_chaos_init() != 0)
		goto out_eal;
	state.chaos_on = sluiced_chaos_on();
	main_is_data = n_lcores == 1 && lcores[0] == rte_get_main_lcore();

	/* Streams first: a stream problem is reported before any port is touched. */
	for (i = 0; i < cfg.n_streams; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(cfg.streams[i].name, cfg.streams[j].name))
				break;
		if (j < i) {
			fprintf(stderr, "sluiced: --stream %s given twice\n", cfg.streams[i].name);
			goto out_streams;
		}
		if (stream_open(&cfg, &cfg.streams[i], &streams[nopen]) != 0)
			goto out_streams;
		nopen++;
	}

	/* The packet configuration every data core gets. */
	pcfg = slc_malloc(sizeof(*pcfg));
	if (pcfg == NULL)
		goto out_streams;
	slc_pkt_cfg_default(pcfg);
	for (i = 0; i < cfg.n_ips; i++)
		slc_pkt_cfg_add_ip(pcfg, cfg.ips[i]);
	pcfg->accept_any_dst = cfg.accept_any_dst;

	slc_ingest_cfg_default(&icfg);
	icfg.n_cores = n_lcores;
	icfg.ring_size = cfg.ring_size;
	icfg.socket = (int)rte_socket_id();
	icfg.log.buffered_io = cfg.buffered_io;
	if (cfg.linger_us > 0)
		icfg.log.linger_us = (uint32_t)cfg.linger_us;
	{
		/* Test hook (docs/dataplane.md, "Test hooks"): fewer log I/O buffers. */
		const char *nb = getenv("SLUICED_TEST_LOG_BUFS");

		if (nb != NULL && nb[0] != '\0') {
			icfg.log.nbufs = (uint32_t)strtoul(nb, NULL, 10);
			if (icfg.log.nbufs < 4 || icfg.log.nbufs > 4096) {
				fprintf(stderr, "sluiced: SLUICED_TEST_LOG_BUFS='%s' is not valid: use "
					"4 to 4096\n", nb);
				goto out_streams;
			}
			printf("sluiced: SLUICED_TEST_LOG_BUFS: %u log I/O buffers per data core "
				"(test hook)\n", icfg.log.nbufs);
		}
	}
	state.ing = slc_ingest_create(&icfg, pcfg);
	if (state.ing == NULL) {
		fprintf(stderr, "sluiced: cannot create the ingest engine: %s\n",
			rte_strerror(rte_errno));
		goto out_streams;
	}
	if (cfg.latency_every > 0) {
		/* Benchmarks: the sender stamps records (perf/README.md, "Latency"). */
		slc_ingest_set_latency(state.ing, cfg.latency_every);
		printf("sluiced: latency sampling: 1 in %u records of >= 8 bytes per data core, "
			"send time from data bytes 0..7 (CLOCK_REALTIME ns); /sluice/latency\n",
			cfg.latency_every);
	}
	for (i = 0; i < nopen; i++) {
		ret = slc_ingest_add_stream(state.ing, streams[i].st);
		if (ret < 0) {
			fprintf(stderr, "sluiced: stream %s: %s\n", streams[i].st->name,
				ret == -ENOSPC ? "no open shard" : strerror(-ret));
			goto out_ingest;
		}
	}
	state.n_streams = nopen;
	for (i = 0; i < cfg.n_udp; i++) {
		const struct sluiced_udp_spec *u = &cfg.udp[i];
		uint32_t sid = 0;

		if (u->stream[0] != '\0') {
			for (sid = 0; sid < nopen; sid++)
				if (!strcmp(streams[sid].st->name, u->stream))
					break;
			if (sid == nopen) {
				fprintf(stderr, "sluiced: --udp-port %u: no --stream named '%s'\n",
					u->port, u->stream);
				goto out_ingest;
			}
		}
		ret = slc_ingest_add_route(state.ing, u->port, u->mode, sid);
		if (ret != 0) {
			fprintf(stderr, "sluiced: --udp-port %u given twice\n", u->port);
			goto out_ingest;
		}
	}

	for (i = 0; i < cfg.n_tcp; i++) {
		const struct sluiced_tcp_spec *t = &cfg.tcp[i];
		uint32_t sid = 0;

		if (t->stream[0] != '\0') {
			for (sid = 0; sid < nopen; sid++)
				if (!strcmp(streams[sid].st->name, t->stream))
					break;
			if (sid == nopen) {
				fprintf(stderr, "sluiced: --tcp-port %u: no --stream named '%s'\n",
					t->port, t->stream);
				goto out_ingest;
			}
		}
		ret = slc_ingest_add_tcp_route(state.ing, t->port, t->mode, sid, t->key);
		if (ret != 0) {
			fprintf(stderr, "sluiced: --tcp-port %u given twice\n", t->port);
			goto out_ingest;
		}
	}

	/* Ports: every DPDK port, one rx and one tx queue per data core. */
	RTE_ETH_FOREACH_DEV(pid) {
		int sock;
		uint32_t nb;
		char pname[RTE_MEMPOOL_NAMESIZE];

		if (state.n_ports == SLUICED_MAX_PORTS || pid >= SLC_PKT_MAX_PORTS) {
			fprintf(stderr, "sluiced: port %u: at most %d ports (ids 0..%d) are "
				"supported\n", pid, SLUICED_MAX_PORTS, SLC_PKT_MAX_PORTS - 1);
			goto out_ports;
		}
		sock = rte_eth_dev_socket_id(pid);
		if (sock < 0 || sock >= RTE_MAX_NUMA_NODES)
			sock = 0;
		if (pools[sock] == NULL) {
			/* Descriptors of every queue, plus bursts, caches, rings and reassembly. */
			nb = cfg.mbufs;
			if (nb == 0) {
				nb = rte_eth_dev_count_avail() * n_lcores *
					(SLC_PORT_RX_DESC + SLC_PORT_TX_DESC) +
					n_lcores * (2 * SLC_INGEST_BURST + 256) + 1024;
				if (nb < 8191)
					nb = 8191;
				/* TCP holds received segments until consumed (rcv_mem, below). */
				if (cfg.n_tcp > 0)
					nb += n_lcores * SLUICED_TCP_MBUFS;
			}
			snprintf(pname, sizeof(pname), "slc_mbuf_s%d", sock);
			pools[sock] = rte_pktmbuf_pool_create(pname, nb, 256, 0,
				RTE_MBUF_DEFAULT_BUF_SIZE, sock);
			if (pools[sock] == NULL) {
				fprintf(stderr, "sluiced: cannot create a pool of %u mbufs on socket %d: "
					"%s (give the EAL more memory with -m, or fewer with --mbufs)\n",
					nb, sock, rte_strerror(rte_errno));
				goto out_ports;
			}
		}
		ret = slc_port_setup(pid, (uint16_t)n_lcores, pools[sock],
			&state.ports[state.n_ports], err, sizeof(err));
		if (ret != 0) {
			fprintf(stderr, "sluiced: %s\n", err);
			goto out_ports;
		}
		ports_up = true;
		slc_ingest_set_port(state.ing, pid, &state.ports[state.n_ports].mac);
		state.n_ports++;
	}

	if (cfg.n_tcp > 0 && tcp_setup(&cfg, pools, lcores, n_lcores) != 0)
		goto out_ports;
	/* RSS steering learns flows over the largest RETA (smaller ones fold onto it). */
	if (cfg.reta_steer_ms > 0 && n_lcores > 1 && cfg.n_tcp == 0) {
		uint32_t reta = 0;

		for (i = 0; i < state.n_ports; i++)
			if (state.ports[i].reta_size > reta)
				reta = state.ports[i].reta_size;
		if (reta > SLC_INGEST_RETA_MAX || (reta & (reta - 1)) != 0) {
			fprintf(stderr, "sluiced: warning: a RETA of %u entries is not steered "
				"(at most %d, a power of two)\n", reta, SLC_INGEST_RETA_MAX);
			reta = 0;
		}
		slc_ingest_set_reta_size(state.ing, reta);
	}
	ret = slc_ingest_start(state.ing);
	if (ret != 0) {
		fprintf(stderr, "sluiced: %s%s\n", slc_ingest_errmsg(state.ing),
			ret == -EINVAL && !cfg.buffered_io ?
			" (if the data directory does not support O_DIRECT, run with --buffered-io)" :
			"");
		goto out_ports;
	}
	started = true;

	for (i = 0; i < state.n_ports; i++) {
		slc_port_describe(&state.ports[i], line, sizeof(line));
		printf("sluiced: %s\n", line);
	}
	if (state.n_ports == 0)
		printf("sluiced: no DPDK ports (add one with -a PCI or --vdev): streams open, "
			"nothing to receive\n");
	for (i = 0; i < n_lcores; i++) {
		state.lcore_of_core[i] = lcores[i];
		printf("sluiced: data core %u on lcore %u%s: rx/tx queue %u of every port\n", i,
			lcores[i], lcores[i] == rte_get_main_lcore() ? " (the main lcore)" : "", i);
	}
	for (i = 0; i < cfg.n_udp; i++)
		printf("sluiced: udp port %u %s -> stream %s\n", cfg.udp[i].port,
			cfg.udp[i].mode == SLC_PKT_MODE_RAW ? "raw" : "framed",
			cfg.udp[i].stream[0] ? cfg.udp[i].stream : streams[0].st->name);
	for (i = 0; i < cfg.n_tcp; i++)
		printf("sluiced: tcp port %u %s%s%s -> stream %s\n", cfg.tcp[i].port,
			cfg.tcp[i].mode == SLC_INGEST_TCP_FRAMED ? "framed" : "lines",
			cfg.tcp[i].key[0] ? ", key from JSON field " : "", cfg.tcp[i].key,
			cfg.tcp[i].stream[0] ? cfg.tcp[i].stream : streams[0].st->name);
	for (i = 0; i < slc_ingest_n_shards(state.ing); i++) {
		const struct slc_ingest_shard_info *si = slc_ingest_shard_info(state.ing, i);
		const struct slc_ingest_shard_stats *ss = slc_ingest_core_shard_stats(
			slc_ingest_core_get(state.ing, si->owner), i);

		slc_shard_id_format(si->index, id);
		slc_seq_format(si->index, ss->next_seq, seq);
		printf("sluiced: stream %s %s open, next sequence number %s, owner core %u "
			"(lcore %u)\n", si->stream->name, id, seq, si->owner,
			lcores[si->owner]);
	}
	state.start_ms = mono_ms();
	if (sluiced_telemetry_register(&state) != 0)
		fprintf(stderr, "sluiced: warning: cannot register the telemetry commands\n");

	{
		/* Retention (retention.c): the control core deletes expired segments. */
		struct slc_stream *rst[SLUICED_MAX_STREAMS];

		for (i = 0; i < nopen; i++)
			rst[i] = streams[i].st;
		if (sluiced_retention_start(&cfg, rst, nopen, state.ing, main_is_data) != 0)
			fprintf(stderr, "sluiced: warning: retention does not run (see above)\n");
	}
	if (sluiced_reshard_setup(cfg.data_dir, state.ing,
			main_is_data ? slc_ingest_core_get(state.ing, 0) : NULL) != 0 ||
			sluiced_runfile_write(cfg.data_dir) != 0)
		fprintf(stderr, "sluiced: warning: cannot write %s/sluiced.run: live resharding "
			"from the tools is not available\n", cfg.data_dir);
	if (sluiced_autoscale_start(&cfg, state.ing) != 0)
		goto out_ports;
	if (sluiced_steer_start(&cfg, &state) != 0)
		fprintf(stderr, "sluiced: warning: RSS steering does not run (see above)\n");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("sluiced: ready, pid %ld\n", (long)getpid());
	fflush(stdout);

	launched = true;
	stats_interval_tsc = rte_get_tsc_hz() / 1000u * cfg.stats_interval_ms;
	if (main_is_data) {
		data_core_main(slc_ingest_core_get(state.ing, 0));
	} else {
		uint64_t last = mono_ms();

		for (i = 0; i < n_lcores; i++)
			rte_eal_remote_launch(data_core_main, slc_ingest_core_get(state.ing, i),
				lcores[i]);
		while (!stop_sig) {
			struct timespec ts = { 0, 10000000 };

			nanosleep(&ts, NULL);
			sluiced_retention_tick(mono_ms());
			sluiced_reshard_tick();
			sluiced_autoscale_tick(mono_ms());
			sluiced_steer_tick(mono_ms());
			if (cfg.stats_interval_ms > 0 && mono_ms() - last >= cfg.stats_interval_ms) {
				last = mono_ms();
				print_stats_line(&state);
			}
		}
		state.draining = 1;
		__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
		rte_eal_mp_wait_lcore();
	}
	sluiced_retention_stop();
	printf("sluiced: signal %d, stopped receiving, every received record durable\n",
		(int)stop_sig);
	fflush(stdout);
	rc = 0;
	for (i = 0; i < n_lcores; i++) {
		if (core_rc[i] != 0) {
			fprintf(stderr, "sluiced: data core %u: final sync failed (see the message "
				"above)\n", i);
			rc = 1;
		}
	}
	print_final(&state);

out_ports:
	for (i = 0; i < state.n_ports; i++)
		slc_port_stop(state.ports[i].port_id);
	(void)ports_up;
out_ingest:
	sluiced_retention_stop();
	sluiced_steer_stop();
	sluiced_autoscale_stop();
	sluiced_telemetry_detach();
	slc_ingest_free(state.ing);
	for (i = 0; i < state.n_ports; i++)
		slc_port_close(state.ports[i].port_id);
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++) {
		if (pools[i] == NULL)
			continue;
		state.mbuf_leak += pools[i]->size - rte_mempool_avail_count(pools[i]);
	}
	sluiced_telemetry_final_leak(state.mbuf_leak);
	sluiced_runfile_remove();
	sluiced_reshard_free();
	if (started && launched) {
		fprintf(stderr, "sluiced: final: mbuf_leak %" PRIu64 "%s\n", state.mbuf_leak,
			state.mbuf_leak ? " (mbufs not back in their pool)" : "");
	}
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++)
		rte_mempool_free(pools[i]);
out_streams:
	for (i = 0; i < nopen; i++) {
		close(streams[i].lock_fd);
		slc_stream_close(streams[i].st);
	}
	slc_free(pcfg);
out_eal:
	sluiced_cfg_free(&cfg);
	fflush(stdout);
	rte_eal_cleanup();
	return rc;
}
