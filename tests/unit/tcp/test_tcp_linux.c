/*
 * lib/tcp against the Linux TCP stack. The test moves into a network namespace
 * of its own (unshare), creates a TAP device there and plays the wire: frames
 * Linux sends to 192.0.2.1 are read from the TAP, described as lib/pkt would
 * (struct slc_pkt_tcp) and given to the engine; what the engine queues is
 * written back to the TAP. A kernel socket in the same namespace connects,
 * sends a patterned stream and reads the replies the application sends back
 * (one 8-byte counter per 64 KiB consumed), then half-closes. The application
 * consumes slowly, outside the callbacks, so the window closes and reopens.
 * Run on a clean wire and on one that loses, duplicates and reorders frames
 * both ways (in this program, seeded: netem is not on every machine): the
 * stream and the replies must arrive exact and in order every time, and every
 * mbuf must come home. Needs root (unshare, TAP): skipped (77) without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "slc_tcp.h"
#include "tcp_test_util.h"

#define POOL_N 8191u
#define LPORT 7000
#define CHUNK 65536u

static struct rte_mempool *pool;
static const struct rte_ether_addr our_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static int tapfd = -1;

struct app {
	struct slc_tcp_conn *c;
	uint64_t got;                   /* bytes consumed and checked */
	uint64_t bad;                   /* bytes not matching the pattern */
	uint64_t replies;
	bool eof_closed;
	int closes;
	enum slc_tcp_close_why why;
};

static struct app app;

static uint8_t
pat_at(uint64_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void *
on_accept(void *arg, struct slc_tcp_conn *c, uint16_t port)
{
	(void)arg;
	(void)port;
	app.c = c;
	return &app;
}

static void
on_readable(void *arg, struct slc_tcp_conn *c, void *a)
{
	(void)arg;
	(void)c;
	(void)a;                        /* consumed in the main loop, slowly */
}

static void
on_closed(void *arg, struct slc_tcp_conn *c, void *a, enum slc_tcp_close_why why)
{
	(void)arg;
	(void)a;
	if (app.c == c)
		app.c = NULL;
	app.closes++;
	app.why = why;
}

static const struct slc_tcp_ops ops = {
	.accept = on_accept,
	.readable = on_readable,
	.closed = on_closed,
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "test_tcp_linux: '%s' failed (%d)\n", cmd, rc);
	return rc;
}

/* Into a namespace of our own with a TAP device "slctap0" at 192.0.2.7/24. */
static int
setup_net(void)
{
	struct ifreq ifr;

	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "test_tcp_linux: unshare(CLONE_NEWNET): %s: skipped\n",
			strerror(errno));
		return 77;
	}
	tapfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (tapfd < 0) {
		fprintf(stderr, "test_tcp_linux: /dev/net/tun: %s: skipped\n", strerror(errno));
		return 77;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "slctap0");
	if (ioctl(tapfd, TUNSETIFF, &ifr) != 0) {
		fprintf(stderr, "test_tcp_linux: TUNSETIFF: %s: skipped\n", strerror(errno));
		return 77;
	}
	if (sh("ip link set lo up") != 0 ||
	    sh("ip link set slctap0 address 02:00:00:00:00:02 mtu 1500 up") != 0 ||
	    sh("ip addr add 192.0.2.7/24 dev slctap0") != 0 ||
	    sh("ip neigh replace 192.0.2.1 lladdr 02:00:00:00:00:01 dev slctap0 nud permanent"))
		return 77;
	return 0;
}

/* One frame from the TAP to the engine (IPv4 TCP to port LPORT only). */
static void
frame_in(struct slc_tcp *t, const uint8_t *f, uint32_t n, uint64_t now)
{
	struct slc_pkt_tcp p;
	struct rte_mbuf *m;
	uint32_t ihl, tot, thl;

	if (n < 54 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 || f[23] != 6)
		return;
	ihl = (f[14] & 0xf) * 4u;
	tot = (uint32_t)f[16] << 8 | f[17];
	if (tot + 14 > n || ihl < 20 || 14 + ihl + 20 > n)
		return;
	thl = (f[14 + ihl + 12] >> 4) * 4u;
	if (thl < 20 || ihl + thl > tot)
		return;
	if (((uint32_t)f[14 + ihl + 2] << 8 | f[14 + ihl + 3]) != LPORT)
		return;
	m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return;
	memcpy(rte_pktmbuf_append(m, (uint16_t)(14 + tot)), f, 14 + tot);
	tcp_test_describe(&p, m, 14);
	slc_tcp_input(t, &p, &our_mac, now);
}

/*
 * The wire's impairments, per mille, from a seeded generator so that a failure
 * repeats: loss, duplication and reordering (a frame held back until the next
 * one passed) of what Linux sends, loss of what the engine sends.
 */
struct impair {
	uint32_t loss_in, dup_in, reorder_in, loss_out;
};

static struct impair imp;
static uint32_t rnd_state = 12345;
static uint8_t held[2048];
static uint32_t held_n;

static uint32_t
rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % 1000;
}

static void
wire_in(struct slc_tcp *t, const uint8_t *f, uint32_t n, uint64_t now)
{
	if (rnd() < imp.loss_in)
		return;
	if (held_n == 0 && rnd() < imp.reorder_in) {
		memcpy(held, f, n);
		held_n = n;
		return;
	}
	frame_in(t, f, n, now);
	if (rnd() < imp.dup_in)
		frame_in(t, f, n, now);
	if (held_n != 0) {
		frame_in(t, held, held_n, now);
		held_n = 0;
	}
}

static void
tx_out(struct slc_tcp *t)
{
	struct rte_mbuf **pk;
	uint16_t n, i;

	n = slc_tcp_tx_pending(t, 0, &pk);
	for (i = 0; i < n; i++) {
		if (rnd() < imp.loss_out) {
			rte_pktmbuf_free(pk[i]);
			continue;
		}
		if (write(tapfd, rte_pktmbuf_mtod(pk[i], void *), pk[i]->data_len) < 0)
			fprintf(stderr, "test_tcp_linux: tap write: %s\n", strerror(errno));
		rte_pktmbuf_free(pk[i]);
	}
	slc_tcp_tx_done(t, 0, n);
}

/* The application's slow consumer: at most `budget` bytes, checked, replies every CHUNK. */
static void
consume(uint32_t budget)
{
	uint8_t buf[4096];
	uint32_t n, i;
	const uint8_t *p;
	uint64_t before;

	while (app.c != NULL && budget > 0 && slc_tcp_rcv_avail(app.c) > 0) {
		n = RTE_MIN(RTE_MIN(budget, slc_tcp_rcv_avail(app.c)), (uint32_t)sizeof(buf));
		p = slc_tcp_rcv_peek(app.c, 0, n, buf, NULL);
		if (p == NULL)
			break;
		for (i = 0; i < n; i++)
			if (p[i] != pat_at(app.got + i))
				app.bad++;
		before = app.got;
		app.got += n;
		budget -= n;
		slc_tcp_rcv_consume(app.c, n);
		if (app.c != NULL && app.got / CHUNK != before / CHUNK) {
			uint64_t v = app.got / CHUNK;

			if (slc_tcp_send(app.c, &v, sizeof(v)) == 0)
				app.replies++;
		}
	}
	if (app.c != NULL && !app.eof_closed && slc_tcp_rcv_eof(app.c) &&
	    slc_tcp_rcv_avail(app.c) == 0) {
		app.eof_closed = true;
		slc_tcp_close(app.c);
	}
}

/* One connection: send total bytes, read the replies, half-close. 0 or -1. */
static int
run(const char *label, uint64_t total, uint32_t budget, uint32_t rcv_buf)
{
	struct slc_tcp_cfg cfg;
	struct slc_tcp *t;
	struct sockaddr_in sa;
	uint8_t frame[2048], out[65536], rbuf[4096];
	uint64_t sent = 0, rcvd = 0, start = now_us(), now;
	uint64_t expect_replies = total / CHUNK, v;
	bool shut = false, eof = false;
	ssize_t k;
	int s, one = 1, rc = 0;
	uint32_t i;
	const struct slc_tcp_stats *st;

	slc_tcp_cfg_default(&cfg);
	cfg.pool = pool;
	cfg.max_conns = 16;
	cfg.rcv_buf = rcv_buf;
	t = slc_tcp_create(&cfg, &ops, NULL);
	if (t == NULL)
		return -1;
	slc_tcp_listen(t, LPORT);
	memset(&app, 0, sizeof(app));
	slc_tcp_poll(t, now_us());

	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(LPORT);
	inet_pton(AF_INET, "192.0.2.1", &sa.sin_addr);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
		fprintf(stderr, "%s: connect: %s\n", label, strerror(errno));
		close(s);
		slc_tcp_free(t);
		return -1;
	}
	for (;;) {
		now = now_us();
		if (now - start > 60000000) {
			fprintf(stderr, "%s: not done after 60 s: sent %lu got %lu rcvd %lu\n",
				label, (unsigned long)sent, (unsigned long)app.got,
				(unsigned long)rcvd);
			rc = -1;
			break;
		}
		while ((k = read(tapfd, frame, sizeof(frame))) > 0)
			wire_in(t, frame, (uint32_t)k, now);
		if (held_n != 0 && rnd() < 100) {       /* nothing came after it */
			frame_in(t, held, held_n, now);
			held_n = 0;
		}
		slc_tcp_poll(t, now);
		consume(budget);
		tx_out(t);
		/* The kernel side. */
		while (sent < total) {
			uint32_t n = (uint32_t)RTE_MIN((uint64_t)sizeof(out), total - sent);

			for (i = 0; i < n; i++)
				out[i] = pat_at(sent + i);
			k = send(s, out, n, MSG_NOSIGNAL);
			if (k <= 0)
				break;
			sent += (uint64_t)k;
		}
		if (sent == total && !shut) {
			shutdown(s, SHUT_WR);
			shut = true;
		}
		while ((k = recv(s, rbuf, sizeof(rbuf), 0)) > 0) {
			for (i = 0; i + 8 <= (uint32_t)k; i += 8) {
				memcpy(&v, rbuf + i, 8);
				if (v != rcvd / 8 + 1 + i / 8)
					app.bad++;
			}
			rcvd += (uint64_t)k;
		}
		if (k == 0)
			eof = true;
		if (eof && app.closes == 1)
			break;
		usleep(200);
	}
	close(s);
	for (i = 0; i < 100; i++) {     /* let the last ACKs through */
		while ((k = read(tapfd, frame, sizeof(frame))) > 0)
			wire_in(t, frame, (uint32_t)k, now_us());
		slc_tcp_poll(t, now_us());
		tx_out(t);
		usleep(1000);
	}
	st = slc_tcp_stats(t);
	printf("%s: %lu bytes in %.2f s; replies %lu; segs_in %lu segs_out %lu acks %lu "
		"delayed %lu win0 %lu wupd %lu dup_segs %lu dup_bytes %lu ooo %lu "
		"zwp %lu rtx %lu ooo_drops %lu closed_fin %lu\n", label, (unsigned long)app.got,
		(double)(now_us() - start) / 1e6, (unsigned long)app.replies,
		(unsigned long)st->segs_in, (unsigned long)st->segs_out,
		(unsigned long)st->acks_out, (unsigned long)st->delayed_acks,
		(unsigned long)st->window_zero, (unsigned long)st->window_updates,
		(unsigned long)st->dup_segs, (unsigned long)st->dup_bytes,
		(unsigned long)st->ooo_segs, (unsigned long)st->zero_window_probes,
		(unsigned long)st->retransmits, (unsigned long)st->ooo_drops,
		(unsigned long)st->closed_fin);
	if (rc == 0 && (app.got != total || app.bad != 0 || rcvd != expect_replies * 8 ||
	    app.closes != 1 || app.why != SLC_TCP_CLOSE_FIN || st->conns != 0 ||
	    st->rcv_mem != 0)) {
		fprintf(stderr, "%s: got %lu of %lu, %lu bad, replies %lu bytes (want %lu), "
			"closes %d why %s conns %lu rcv_mem %lu\n", label, (unsigned long)app.got,
			(unsigned long)total, (unsigned long)app.bad, (unsigned long)rcvd,
			(unsigned long)expect_replies * 8, app.closes, slc_tcp_close_name(app.why),
			(unsigned long)st->conns, (unsigned long)st->rcv_mem);
		rc = -1;
	}
	slc_tcp_free(t);
	if (rte_mempool_avail_count(pool) != POOL_N) {
		fprintf(stderr, "%s: %u mbufs not back in the pool\n", label,
			POOL_N - rte_mempool_avail_count(pool));
		rc = -1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	int rc, fails = 0;

	(void)argc;
	rc = setup_net();
	if (rc != 0)
		return rc;
	pool = tcp_test_eal_start(argv[0], "test_tcp_linux", POOL_N);
	if (pool == NULL)
		return 1;
	if (run("clean", 8u << 20, 256 * 1024, 256 * 1024) != 0)
		fails++;
	if (run("slow reader", 1u << 20, 500, 32 * 1024) != 0)
		fails++;
	imp = (struct impair){ .loss_in = 30, .dup_in = 20, .reorder_in = 100, .loss_out = 20 };
	if (run("lossy wire", 4u << 20, 64 * 1024, 256 * 1024) != 0)
		fails++;
	imp = (struct impair){ .loss_in = 50, .dup_in = 50, .reorder_in = 200, .loss_out = 50 };
	if (run("lossy wire, slow reader", 1u << 20, 700, 16 * 1024) != 0)
		fails++;
	close(tapfd);
	tcp_test_eal_stop(pool);
	printf("test_tcp_linux: %s\n", fails == 0 ? "ok" : "FAILED");
	return fails == 0 ? 0 : 1;
}
