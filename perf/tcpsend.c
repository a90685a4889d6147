/*
 * tcpsend: the TCP sender of the TCP ingest benchmark (perf/bench_tcp.sh): framed
 * records over N kernel TCP connections, each with a bounded number of frames
 * unacknowledged, counting the acks (docs/frame-format.md). The same stream goes
 * to sluiced and to perf/kernel_tcp_rx; records/s are records acknowledged as
 * durable over the sender's time.
 *
 * Before the clock starts it builds one frame template per batch of keys (keys
 * "dev-00000042", --key-len bytes, cycling over --keys; data bytes printable,
 * neither constant nor random-looking), enough templates that every key
 * appears. Sending patches a template's frame_id and CRC only. One thread, a
 * poll loop over nonblocking sockets: a connection sends while it has fewer
 * than --max-unacked frames unacknowledged and records left, and reads acks:
 * every ack must name the frame the connection sent next in order (acks come
 * in arrival order), with a valid CRC; a record counts as acknowledged when its
 * group's status is "stored". A bad or out-of-order ack ends the run with an
 * error.
 *
 * It stops when every record is acknowledged, or --seconds after the start
 * (then it sends no more and waits up to --drain-s for the acks still owed).
 * Prints "tcpsend: connected" when every connection is up, then its figures and
 * one line: RESULT tool=tcpsend records=.. acked=.. seconds=.. records_per_s=..
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "perf_util.h"
#include "slc_block.h"
#include "slc_frame.h"

#define TS_MAX_CONNS 1024u
#define TS_ACKBUF (1u << 20)

struct ts_opts {
	struct in_addr dst;
	uint16_t port;
	uint32_t conns;
	uint64_t records;              /* total; 0: until --seconds */
	uint32_t size;
	uint32_t keys;
	uint32_t key_len;
	uint32_t batch;
	uint32_t max_unacked;
	double seconds;
	double drain_s;
};

struct ts_tmpl {
	uint8_t *buf;
	uint32_t len;
	uint16_t count;
};

struct ts_conn {
	int fd;
	uint32_t next_tmpl;
	uint32_t next_id;              /* frame_id of the next frame to send */
	uint32_t ack_id;               /* frame_id the next ack must name */
	uint32_t unacked;              /* frames */
	uint64_t left;                 /* records still to send */
	bool cur;                      /* a frame is being written */
	uint8_t *out;                  /* its patched copy */
	uint32_t out_len;
	uint32_t off;
	uint8_t *in;                   /* acks read, not yet decoded */
	uint32_t inlen;
	uint16_t *counts;              /* records of each unacked frame, by frame_id % max_unacked */
};

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t
get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: tcpsend --dst IP --port P [options]\n"
		"  --dst IP             IPv4 address of the receiver\n"
		"  --port P             its TCP port\n"
		"  --connections N      connections (1..1024; 4)\n"
		"  --records N          records in all, split over the connections (1m; k/m/g =\n"
		"                       10^3..); 0: send until --seconds\n"
		"  --size B             record data bytes (64)\n"
		"  --keys K             distinct partition keys (4096)\n"
		"  --key-len L          key bytes, 12..64 (12)\n"
		"  --batch N            records per frame (64)\n"
		"  --max-unacked N      frames unacknowledged per connection (32)\n"
		"  --seconds T          stop sending after T s (300)\n"
		"  --drain-s T          then wait up to T s for the acks owed (10)\n"
		"Prints figures and: RESULT tool=tcpsend records=.. acked=.. seconds=.. ...\n");
}

static int
parse_args(int argc, char **argv, struct ts_opts *o)
{
	static const struct option lopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "connections", required_argument, NULL, 'c' },
		{ "records", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "key-len", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-unacked", required_argument, NULL, 'u' },
		{ "seconds", required_argument, NULL, 't' },
		{ "drain-s", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_dst = false;
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->conns = 4;
	o->records = 1000000;
	o->size = 64;
	o->keys = 4096;
	o->key_len = 12;
	o->batch = 64;
	o->max_unacked = 32;
	o->seconds = 300;
	o->drain_s = 10;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &o->dst) != 1) {
				fprintf(stderr, "tcpsend: --dst %s: expected an IPv4 address\n", optarg);
				return -EINVAL;
			}
			have_dst = true;
			break;
		case 'p':
			if (perf_parse_u32("tcpsend", "port", optarg, 1000, 1, 65535, &v) != 0)
				return -EINVAL;
			o->port = (uint16_t)v;
			break;
		case 'c':
			if (perf_parse_u32("tcpsend", "connections", optarg, 1000, 1, TS_MAX_CONNS,
					&o->conns) != 0)
				return -EINVAL;
			break;
		case 'n':
			if (perf_parse_num(optarg, 1000, &o->records) != 0) {
				fprintf(stderr, "tcpsend: --records %s: expected a count (k/m/g)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 's':
			if (perf_parse_u32("tcpsend", "size", optarg, 1024, 0, 1u << 20, &o->size) != 0)
				return -EINVAL;
			break;
		case 'k':
			if (perf_parse_u32("tcpsend", "keys", optarg, 1000, 1, 100000000, &o->keys) != 0)
				return -EINVAL;
			break;
		case 'l':
			if (perf_parse_u32("tcpsend", "key-len", optarg, 1000, 12, 64, &o->key_len) != 0)
				return -EINVAL;
			break;
		case 'b':
			if (perf_parse_u32("tcpsend", "batch", optarg, 1000, 1, 65535, &o->batch) != 0)
				return -EINVAL;
			break;
		case 'u':
			if (perf_parse_u32("tcpsend", "max-unacked", optarg, 1000, 1, 65536,
					&o->max_unacked) != 0)
				return -EINVAL;
			break;
		case 't':
			if (perf_parse_seconds("tcpsend", "seconds", optarg, &o->seconds) != 0)
				return -EINVAL;
			break;
		case 'D':
			if (perf_parse_seconds("tcpsend", "drain-s", optarg, &o->drain_s) != 0)
				return -EINVAL;
			break;
		default:
			return perf_usage(c == 'h', usage);
		}
	}
	if (perf_no_operands("tcpsend", argc, argv, optind) != 0)
		return -EINVAL;
	if (!have_dst || o->port == 0) {
		fprintf(stderr, "tcpsend: --dst and --port are required (see --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* Frame templates: batch records each, keys cycling, every key at least once. */
static struct ts_tmpl *
make_templates(const struct ts_opts *o, uint32_t *n_out)
{
	uint32_t n = (o->keys + o->batch - 1) / o->batch, i, j, key = 0;
	size_t cap = SLC_FRAME_MIN_LEN + (size_t)o->batch * (SLC_FRAME_REC_HDR_LEN + o->key_len +
		o->size);
	struct ts_tmpl *t = calloc(n, sizeof(*t));
	uint8_t *data = malloc(o->size + 1);
	char kb[80];

	if (t == NULL || data == NULL || cap > UINT32_MAX) {
		free(t);
		free(data);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct slc_frame_builder b;

		t[i].buf = malloc(cap);
		if (t[i].buf == NULL)
			return NULL;
		slc_frame_begin(&b, t[i].buf, cap, 0, NULL);
		for (j = 0; j < o->batch; j++, key = (key + 1) % o->keys) {
			uint32_t x;

			snprintf(kb, sizeof(kb), "dev-%0*u", (int)o->key_len - 4, key);
			/* telemetry-ish text: a field or two that changes with the record */
			for (x = 0; x < o->size; x++)
				data[x] = (uint8_t)("{\"t\":21.5,\"id\":"[x % 15] + ((x / 15 + j + key) % 7 == 0));
			if (slc_frame_add(&b, kb, (uint16_t)o->key_len, data, o->size, NULL) != 0)
				return NULL;
		}
		t[i].len = (uint32_t)slc_frame_end(&b);
		t[i].count = b.count;
	}
	free(data);
	*n_out = n;
	return t;
}

int
main(int argc, char **argv)
{
	struct ts_opts o;
	struct ts_tmpl *tmpl;
	struct ts_conn *cs;
	struct pollfd *pf;
	struct sockaddr_in a;
	uint32_t ntmpl, i, open_conns;
	uint64_t t0, t_stop, t_last = 0, sent = 0, acked = 0, frames = 0, acks = 0, not_stored = 0;
	uint64_t wire = 0, per, extra;
	bool sending = true;
	int rc = 0;
	char err[256] = "";

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	perf_catch_stop();
	signal(SIGPIPE, SIG_IGN);
	tmpl = make_templates(&o, &ntmpl);
	cs = calloc(o.conns, sizeof(*cs));
	pf = calloc(o.conns, sizeof(*pf));
	if (tmpl == NULL || cs == NULL || pf == NULL) {
		fprintf(stderr, "tcpsend: out of memory (or a frame over 4 GiB)\n");
		return 1;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(o.port);
	a.sin_addr = o.dst;
	per = o.records / o.conns;
	extra = o.records % o.conns;
	for (i = 0; i < o.conns; i++) {
		struct ts_conn *k = &cs[i];
		int one = 1;

		k->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (k->fd < 0 || connect(k->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			fprintf(stderr, "tcpsend: connect %s:%u (connection %u): %s\n",
				inet_ntoa(o.dst), o.port, i, strerror(errno));
			return 1;
		}
		setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) | O_NONBLOCK) != 0) {
			fprintf(stderr, "tcpsend: fcntl(O_NONBLOCK): %s\n", strerror(errno));
			return 1;
		}
		k->left = o.records ? per + (i < extra) : UINT64_MAX;
		k->next_tmpl = i % ntmpl;
		k->out = malloc(tmpl[0].len);
		k->in = malloc(TS_ACKBUF);
		k->counts = calloc(o.max_unacked, sizeof(*k->counts));
		if (k->out == NULL || k->in == NULL || k->counts == NULL) {
			fprintf(stderr, "tcpsend: out of memory\n");
			return 1;
		}
		pf[i].fd = k->fd;
	}
	printf("tcpsend: connected: %u connections to %s:%u, %u records of %u B per frame "
		"(%u B), %u frames unacknowledged at most per connection\n", o.conns,
		inet_ntoa(o.dst), o.port, tmpl[0].count, o.size, tmpl[0].len, o.max_unacked);
	fflush(stdout);
	t0 = perf_now_ns(CLOCK_MONOTONIC);
	t_stop = t0 + (uint64_t)(o.seconds * 1e9);
	open_conns = o.conns;
	while (open_conns > 0 && err[0] == '\0') {
		uint64_t now = perf_now_ns(CLOCK_MONOTONIC);
		bool owed = false;

		if (sending && (now >= t_stop || perf_stop_sig))
			sending = false;
		if (!sending && now >= t_stop + (uint64_t)(o.drain_s * 1e9))
			break;
		for (i = 0; i < o.conns; i++) {
			struct ts_conn *k = &cs[i];

			pf[i].events = 0;
			if (k->fd < 0)
				continue;
			pf[i].events = POLLIN;
			if (k->cur || (sending && k->left > 0 && k->unacked < o.max_unacked))
				pf[i].events |= POLLOUT;
			owed |= k->unacked > 0 || (sending && k->left > 0);
		}
		if (!owed)
			break;
		if (poll(pf, o.conns, 100) < 0 && errno != EINTR) {
			snprintf(err, sizeof(err), "poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < o.conns && err[0] == '\0'; i++) {
			struct ts_conn *k = &cs[i];

			if (k->fd < 0)
				continue;
			if (pf[i].revents & POLLOUT) {
				for (;;) {
					ssize_t n;

					if (!k->cur) {
						const struct ts_tmpl *t;
						uint32_t len;

						if (!sending || k->left == 0 || k->unacked >= o.max_unacked)
							break;
						t = &tmpl[k->next_tmpl];
						k->next_tmpl = (k->next_tmpl + 1) % ntmpl;
						memcpy(k->out, t->buf, t->len);
						len = t->len;
						if (k->left < t->count) {
							/* the last frame: fewer records, rebuilt */
							struct slc_frame_iter it;
							struct slc_frame_info fi;
							struct slc_frame_builder b;
							struct slc_frame_rec fr;
							uint64_t m = k->left;

							slc_frame_check(t->buf, t->len, true, UINT32_MAX, &fi);
							slc_frame_iter_init(&it, &fi);
							slc_frame_begin(&b, k->out, t->len, 0, NULL);
							while (m-- > 0 && slc_frame_iter_next(&it, &fr) == 1)
								slc_frame_add(&b, fr.key, fr.key_len, fr.data,
									fr.data_len, NULL);
							len = (uint32_t)slc_frame_end(&b);
						}
						put_le32(k->out + 12, k->next_id);
						put_le32(k->out + len - 4,
							slc_block_crc32c(k->out, len - 4));
						k->counts[k->next_id % o.max_unacked] = get_le16(k->out + 6);
						k->left -= get_le16(k->out + 6);
						sent += get_le16(k->out + 6);
						k->next_id++;
						k->unacked++;
						frames++;
						k->cur = true;
						k->out_len = len;
						k->off = 0;
					}
					n = send(k->fd, k->out + k->off, k->out_len - k->off, MSG_NOSIGNAL);
					if (n > 0) {
						wire += (uint64_t)n;
						k->off += (uint32_t)n;
						if (k->off == k->out_len)
							k->cur = false;
						continue;
					}
					if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
						break;
					if (n < 0 && errno == EINTR)
						continue;
					snprintf(err, sizeof(err), "connection %u: send: %s", i,
						strerror(errno));
					break;
				}
			}
			if (pf[i].revents & (POLLIN | POLLERR | POLLHUP)) {
				ssize_t n = recv(k->fd, k->in + k->inlen, TS_ACKBUF - k->inlen, 0);

				if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
					if (k->unacked > 0)
						snprintf(err, sizeof(err), "connection %u: closed by the "
							"receiver with %u frames unacknowledged%s%s", i,
							k->unacked, n < 0 ? ": " : "",
							n < 0 ? strerror(errno) : "");
					close(k->fd);
					k->fd = -1;
					open_conns--;
					continue;
				}
				if (n > 0)
					k->inlen += (uint32_t)n;
				/* decode every complete ack */
				for (;;) {
					const uint8_t *p = k->in;
					uint32_t len, fid, ng, g;
					uint16_t cnt;

					if (k->inlen < SLC_ACK_MIN_LEN)
						break;
					len = get_le32(p + 8);
					if (memcmp(p, SLC_ACK_MAGIC, 4) != 0 || p[4] != SLC_ACK_VERSION ||
							len < SLC_ACK_MIN_LEN || len > TS_ACKBUF) {
						snprintf(err, sizeof(err), "connection %u: bad ack header",
							i);
						break;
					}
					if (k->inlen < len)
						break;
					if (slc_block_crc32c(p, len - 4) != get_le32(p + len - 4)) {
						snprintf(err, sizeof(err), "connection %u: ack CRC", i);
						break;
					}
					fid = get_le32(p + 12);
					cnt = get_le16(p + 6);
					ng = get_le16(p + 16);
					if (fid != k->ack_id || k->unacked == 0 ||
							cnt != k->counts[fid % o.max_unacked]) {
						snprintf(err, sizeof(err), "connection %u: ack for frame "
							"%u (%u records), expected frame %u (%u records)", i,
							fid, cnt, k->ack_id,
							k->counts[k->ack_id % o.max_unacked]);
						break;
					}
					if (p[5] == SLC_ACK_REJECTED) {
						snprintf(err, sizeof(err), "connection %u: frame %u "
							"rejected: %s", i, fid, slc_frame_err_name(p[18]));
						break;
					}
					for (g = 0; g < ng && SLC_ACK_HDR_LEN + (g + 1) * SLC_ACK_GROUP_LEN
							<= len - 4; g++) {
						const uint8_t *q = p + SLC_ACK_HDR_LEN + g * SLC_ACK_GROUP_LEN;

						if (q[4] == SLC_ACK_R_STORED)
							acked += get_le16(q + 2);
						else
							not_stored += get_le16(q + 2);
					}
					acks++;
					k->ack_id++;
					k->unacked--;
					t_last = perf_now_ns(CLOCK_MONOTONIC);
					memmove(k->in, k->in + len, k->inlen - len);
					k->inlen -= len;
				}
			}
		}
	}
	{
		double secs = (double)((t_last ? t_last : perf_now_ns(CLOCK_MONOTONIC)) - t0) * 1e-9;

		if (err[0] != '\0') {
			fprintf(stderr, "tcpsend: %s\n", err);
			rc = 1;
		}
		printf("tcpsend: sent %" PRIu64 " records in %" PRIu64 " frames (%" PRIu64 " B on the "
			"wire), %" PRIu64 " acks: %" PRIu64 " records acknowledged as stored, %" PRIu64
			" not stored; %.3f s from the first frame to the last ack: %.0f records/s, "
			"%.1f MB/s of record data\n", sent, frames, wire, acks, acked, not_stored,
			secs, secs > 0 ? (double)acked / secs : 0,
			secs > 0 ? (double)acked * o.size / secs / 1e6 : 0);
		printf("RESULT tool=tcpsend records=%" PRIu64 " acked=%" PRIu64 " not_stored=%" PRIu64
			" frames=%" PRIu64 " acks=%" PRIu64 " seconds=%.6f records_per_s=%.0f"
			" data_MBps=%.2f wire_bytes=%" PRIu64 " connections=%u size=%u batch=%u"
			" max_unacked=%u cpu_s=%.3f\n", sent, acked, not_stored, frames, acks, secs,
			secs > 0 ? (double)acked / secs : 0,
			secs > 0 ? (double)acked * o.size / secs / 1e6 : 0, wire, o.conns, o.size,
			o.batch, o.max_unacked, perf_cpu_s());
		if (acked != sent && rc == 0) {
			fprintf(stderr, "tcpsend: %" PRIu64 " of %" PRIu64 " records not acknowledged "
				"as stored\n", sent - acked, sent);
			rc = 1;
		}
	}
	for (i = 0; i < o.conns; i++)
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	return rc;
}
