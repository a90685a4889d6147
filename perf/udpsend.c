/*
 * udpsend: the kernel-socket sender of the side-by-side benchmarks (perf/run,
 * perf/peers/README.md). It sends the same records sluice-gen sends over DPDK,
 * but through ordinary UDP sockets on loopback, to kernel_rx (the kernel path)
 * and to the peers that take UDP (rsyslog).
 *
 * Records are shaped as sluice-gen shapes them (perf/gen/sluice_gen.c): S data
 * bytes of JSON-like filler with [0,8) the send stamp (CLOCK_REALTIME ns, with
 * --stamp, else 0), [8,16) a sequence number per partition key (with --stamp,
 * else 0) and [16,20) the key's id; framed partition keys are "dev-000…k" of
 * --key-len bytes. Raw mode sends one record per datagram and its partition key
 * is the sender's address (docs/frame-format.md, "Raw datagrams"): K keys are K
 * sockets bound to distinct ephemeral ports of 127.0.0.1, used in turn, one
 * sendmmsg burst each. Framed mode sends frames of the framed format v1 built
 * with lib/frame's builder (checked with slc_frame_check before they go) from
 * one socket, the keys taking turns record by record. --syslog makes each raw
 * record a printable syslog line of S bytes instead ("<14>udpsend: k=ID s=SEQ
 * " then filler), for rsyslog.
 *
 * Sockets are connected (the route is looked up once) and blocking; bursts of
 * up to 64 datagrams go through sendmmsg. On loopback a datagram the receiver
 * has no room for is dropped at the receiver (its socket's drop counter, the
 * system's UDP RcvbufErrors), not here: "sent" is what the kernel accepted.
 * --rate paces by the monotonic clock (sleep when ahead). Only 127.0.0.0/8 is
 * accepted as destination, and every run is bounded by --records and --seconds.
 *
 * Single-threaded. Prints human lines, then one machine line starting "RESULT ".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
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
#include "slc_frame.h"

#define US_BURST 64u                   /* datagrams per sendmmsg */
#define US_MAX_KEYS_RAW 1024u          /* one socket each */
#define US_MAX_KEYS_FRAMED (1u << 24)
#define US_MAX_PAYLOAD 65507u          /* largest IPv4 UDP payload */
#define US_FRAME_FILL 1400u            /* default frame size target */
#define US_MAX_KEY_LEN 256u
#define US_REFUSED_MAX 1000u           /* ECONNREFUSED this often: nobody listens */

/* Record data layout, as sluice-gen's: [0,8) stamp, [8,16) sequence, [16,20) key id. */
#define US_OFF_STAMP 0
#define US_OFF_SEQ 8
#define US_OFF_ID 16

enum us_mode {
	US_MODE_RAW,
	US_MODE_FRAMED,
};

struct us_opts {
	struct in_addr dst;
	uint16_t port;
	enum us_mode mode;
	uint32_t size;
	uint64_t records;
	uint32_t keys;
	uint32_t key_len;
	uint32_t rpf;                  /* framed: records per frame */
	uint64_t rate;                 /* records/s, 0 = flat out */
	double seconds;
	bool stamp;
	bool syslog;
	bool quiet;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: udpsend --dst 127.x.y.z --port P --mode raw|framed --size S --records N [options]\n"
		"  --dst A            destination, IPv4 in 127.0.0.0/8 only\n"
		"  --port P           destination UDP port\n"
		"  --mode raw|framed  one record per datagram, or frames of the framed format v1\n"
		"  --size S           data bytes per record (k = KiB)\n"
		"  --records N        records to send (k/m/g = 10^3/10^6/10^9)\n"
		"  --keys K           distinct partition keys: raw = K sockets on distinct source\n"
		"                     ports (1..1024, default 64); framed = K keys \"dev-000..k\"\n"
		"                     taking turns (default 1024)\n"
		"  --key-len L        framed: partition key bytes, 8..256 (12, as sluice-gen)\n"
		"  --frame-records R  framed: records per frame (default: as many as fit in 1400 B)\n"
		"  --rate R           records per second (k/m/g); default flat out\n"
		"  --seconds T        stop after T seconds even if records remain (300)\n"
		"  --stamp            write CLOCK_REALTIME ns into data[0,8) and a per-key\n"
		"                     sequence number into data[8,16) of every record\n"
		"  --syslog           raw: each record is a printable syslog line of S bytes,\n"
		"                     \"<14>udpsend: k=KEY s=SEQ \" + filler (for rsyslog)\n"
		"  --quiet            only the RESULT line\n"
		"Prints what it sent, then one line: RESULT tool=udpsend records=N datagrams=D\n"
		"seconds=T records_per_s=X ...\n");
}

enum {
	OPT_DST = 256,
	OPT_PORT,
	OPT_MODE,
	OPT_SIZE,
	OPT_RECORDS,
	OPT_KEYS,
	OPT_KEY_LEN,
	OPT_FRAME_RECORDS,
	OPT_RATE,
	OPT_SECONDS,
	OPT_STAMP,
	OPT_SYSLOG,
	OPT_QUIET,
	OPT_HELP,
};

static int
parse_args(int argc, char **argv, struct us_opts *o)
{
	static const struct option lopts[] = {
		{ "dst", required_argument, NULL, OPT_DST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "records", required_argument, NULL, OPT_RECORDS },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "key-len", required_argument, NULL, OPT_KEY_LEN },
		{ "frame-records", required_argument, NULL, OPT_FRAME_RECORDS },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "stamp", no_argument, NULL, OPT_STAMP },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool have_dst = false, have_port = false, have_mode = false, have_size = false;
	bool have_records = false;
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->key_len = 12;
	o->seconds = 300;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case OPT_DST:
			if (inet_pton(AF_INET, optarg, &o->dst) != 1) {
				fprintf(stderr, "udpsend: --dst %s: not an IPv4 address (only "
					"127.0.0.0/8 is accepted)\n", optarg);
				return -EINVAL;
			}
			if ((ntohl(o->dst.s_addr) >> 24) != 127) {
				fprintf(stderr, "udpsend: --dst %s: refused, only loopback "
					"destinations (127.0.0.0/8) are allowed\n", optarg);
				return -EINVAL;
			}
			have_dst = true;
			break;
		case OPT_PORT:
			if (perf_parse_u32("udpsend", "port", optarg, 1000, 1, 65535, &v) != 0)
				return -EINVAL;
			o->port = (uint16_t)v;
			have_port = true;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "raw")) {
				o->mode = US_MODE_RAW;
			} else if (!strcmp(optarg, "framed")) {
				o->mode = US_MODE_FRAMED;
			} else {
				fprintf(stderr, "udpsend: --mode %s: expected raw or framed\n",
					optarg);
				return -EINVAL;
			}
			have_mode = true;
			break;
		case OPT_SIZE:
			if (perf_parse_u32("udpsend", "size",
					optarg, 1024, 0, US_MAX_PAYLOAD, &o->size) != 0)
				return -EINVAL;
			have_size = true;
			break;
		case OPT_RECORDS:
			if (perf_parse_count("udpsend", "records", optarg, &o->records) != 0)
				return -EINVAL;
			have_records = true;
			break;
		case OPT_KEYS:
			if (perf_parse_u32("udpsend", "keys",
					optarg, 1000, 1, US_MAX_KEYS_FRAMED, &o->keys) != 0)
				return -EINVAL;
			break;
		case OPT_KEY_LEN:
			if (perf_parse_u32("udpsend", "key-len",
					optarg, 1000, 8, US_MAX_KEY_LEN, &o->key_len) != 0)
				return -EINVAL;
			break;
		case OPT_FRAME_RECORDS:
			if (perf_parse_u32("udpsend", "frame-records",
					optarg, 1000, 1, 65535, &o->rpf) != 0)
				return -EINVAL;
			break;
		case OPT_RATE:
			if (perf_parse_num(optarg, 1000, &o->rate) != 0 || o->rate == 0) {
				fprintf(stderr, "udpsend: --rate %s: expected records per second "
					">= 1 (k/m/g suffixes)\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_SECONDS:
			if (perf_parse_seconds("udpsend", "seconds", optarg, &o->seconds) != 0)
				return -EINVAL;
			break;
		case OPT_STAMP:
			o->stamp = true;
			break;
		case OPT_SYSLOG:
			o->syslog = true;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		default:
			return perf_usage(c == 'h' || c == OPT_HELP, usage);
		}
	}
	if (perf_no_operands("udpsend", argc, argv, optind) != 0)
		return -EINVAL;
	if (!have_dst || !have_port || !have_mode || !have_size || !have_records) {
		fprintf(stderr, "udpsend: --dst, --port, --mode, --size and --records are "
			"required (see --help)\n");
		return -EINVAL;
	}
	if (o->keys == 0)
		o->keys = o->mode == US_MODE_RAW ? 64 : 1024;
	if (o->mode == US_MODE_RAW && o->keys > US_MAX_KEYS_RAW) {
		fprintf(stderr, "udpsend: --keys %u: raw mode uses one socket per key, at most "
			"%u\n", o->keys, US_MAX_KEYS_RAW);
		return -EINVAL;
	}
	if (o->stamp && o->size < US_OFF_SEQ + 8) {
		fprintf(stderr, "udpsend: --stamp needs --size >= 16 (stamp in data[0,8), "
			"sequence in [8,16)), got %u\n", o->size);
		return -EINVAL;
	}
	if (o->syslog && o->mode != US_MODE_RAW) {
		fprintf(stderr, "udpsend: --syslog is for --mode raw (one line per datagram)\n");
		return -EINVAL;
	}
	if (o->syslog && o->stamp) {
		fprintf(stderr, "udpsend: --syslog lines carry the sequence as text; --stamp "
			"(binary) cannot be combined with it\n");
		return -EINVAL;
	}
	if (o->syslog && o->size < 48) {
		fprintf(stderr, "udpsend: --syslog needs --size >= 48 (room for \"<14>udpsend: "
			"k=KEY s=SEQ \"), got %u\n", o->size);
		return -EINVAL;
	}
	if (o->rpf != 0 && o->mode != US_MODE_FRAMED) {
		fprintf(stderr, "udpsend: --frame-records is for --mode framed\n");
		return -EINVAL;
	}
	if (o->mode == US_MODE_FRAMED) {
		uint32_t per = SLC_FRAME_REC_HDR_LEN + o->key_len + o->size;
		uint32_t room = US_MAX_PAYLOAD - SLC_FRAME_MIN_LEN;

		if (per > room) {
			fprintf(stderr, "udpsend: a framed record of --size %u with a %u-byte key "
				"needs %u bytes; a UDP datagram holds at most %u\n", o->size,
				o->key_len, per + SLC_FRAME_MIN_LEN, US_MAX_PAYLOAD);
			return -EINVAL;
		}
		if (o->rpf == 0) {
			o->rpf = per + SLC_FRAME_MIN_LEN <= US_FRAME_FILL ?
				(US_FRAME_FILL - SLC_FRAME_MIN_LEN) / per : 1;
			if (o->rpf > 65535)
				o->rpf = 65535;
		} else if ((uint64_t)o->rpf * per > room) {
			fprintf(stderr, "udpsend: --frame-records %u of %u bytes each make a frame "
				"of %" PRIu64 " bytes; a UDP datagram holds at most %u (at most %u "
				"records of this size)\n", o->rpf, per,
				(uint64_t)o->rpf * per + SLC_FRAME_MIN_LEN, US_MAX_PAYLOAD,
				room / per);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- records */

static const char filler[] = "{\"t\":21.5,\"h\":40,\"p\":1013,\"v\":3.30,\"s\":\"ok\"}";

/* Record data as sluice-gen makes it: filler, stamp, sequence, key id. */
static void
fill_data(uint8_t *d, uint32_t len, uint32_t id, uint64_t stamp, uint64_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)filler[i % (sizeof(filler) - 1)];
	if (len >= US_OFF_SEQ)
		memcpy(d + US_OFF_STAMP, &stamp, 8);
	if (len >= US_OFF_ID)
		memcpy(d + US_OFF_SEQ, &seq, 8);
	if (len >= US_OFF_ID + 4)
		memcpy(d + US_OFF_ID, &id, 4);
}

/* A printable syslog line of exactly len bytes (len >= 48). */
static void
fill_syslog(uint8_t *d, uint32_t len, uint32_t id, uint64_t seq)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "<14>udpsend: k=%u s=%" PRIu64 " ", id, seq);
	uint32_t i;

	if (n < 0 || (uint32_t)n > len)
		n = 0;
	memcpy(d, head, (size_t)n);
	for (i = (uint32_t)n; i < len; i++)
		d[i] = (uint8_t)filler[i % (sizeof(filler) - 1)];
}

/* The partition key of key id k: "dev-000…k", key_len bytes (as sluice-gen). */
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

/* ---------------------------------------------------------------- sending */

struct us_state {
	const struct us_opts *o;
	int *socks;
	uint32_t n_socks;
	uint64_t *seq;                 /* per key */
	uint8_t *bufs;                 /* US_BURST payloads */
	uint32_t buf_cap;
	uint8_t *rec;                  /* framed: one record's data */
	char *keys;                    /* framed: every key's text, key_len apart */
	struct mmsghdr msgs[US_BURST];
	struct iovec iov[US_BURST];
	uint64_t records;
	uint64_t datagrams;
	uint64_t refused;
	uint64_t next_key;             /* raw: next socket; framed: next key */
	uint64_t frame_id;
};

/* Build payload i of the burst; returns the records it holds. */
static uint32_t
build_one(struct us_state *s, uint32_t i, uint32_t key, uint32_t nrec, uint64_t stamp)
{
	const struct us_opts *o = s->o;
	uint8_t *p = s->bufs + (size_t)i * s->buf_cap;
	struct slc_frame_builder b;
	struct slc_frame_info fi;
	enum slc_frame_err e;
	uint32_t j;
	size_t len;

	if (o->mode == US_MODE_RAW) {
		if (o->syslog)
			fill_syslog(p, o->size, key, s->seq[key]++);
		else if (o->stamp)
			fill_data(p, o->size, key, stamp, s->seq[key]++);
		else
			fill_data(p, o->size, key, 0, 0);
		s->iov[i].iov_base = p;
		s->iov[i].iov_len = o->size;
		return 1;
	}
	if (slc_frame_begin(&b, p, s->buf_cap, (uint32_t)s->frame_id++, NULL) != 0)
		return 0;
	for (j = 0; j < nrec; j++) {
		uint32_t k = (uint32_t)(s->next_key % o->keys);

		s->next_key++;
		if (o->stamp)
			fill_data(s->rec, o->size, k, stamp, s->seq[k]++);
		else
			fill_data(s->rec, o->size, k, 0, 0);
		if (slc_frame_add(&b, s->keys + (size_t)k * o->key_len, (uint16_t)o->key_len,
				s->rec, o->size, NULL) != 0)
			return 0;
	}
	len = slc_frame_end(&b);
	e = slc_frame_check(p, len, true, o->size, &fi);
	if (e != SLC_FRAME_OK || fi.count != nrec)
		return 0;
	s->iov[i].iov_base = p;
	s->iov[i].iov_len = len;
	return nrec;
}

/* Send msgs[0..n) on fd, all of them. 0, or -errno (message printed). */
static int
send_all(struct us_state *s, int fd, uint32_t n)
{
	uint32_t done = 0;
	int r;

	while (done < n) {
		r = sendmmsg(fd, s->msgs + done, n - done, 0);
		if (r > 0) {
			done += (uint32_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNREFUSED) {
			/*
			 * An ICMP port unreachable for an earlier datagram: nobody was
			 * listening then. The message in hand was not sent; try it again,
			 * but give up when nobody ever listens.
			 */
			if (++s->refused >= US_REFUSED_MAX) {
				fprintf(stderr, "udpsend: 127.0.0.1 port %u refused %" PRIu64
					" datagrams (ICMP port unreachable): is the receiver "
					"listening?\n", s->o->port, s->refused);
				return -ECONNREFUSED;
			}
			continue;
		}
		fprintf(stderr, "udpsend: sendmmsg: %s\n", r < 0 ? strerror(errno) :
			"sent nothing");
		return r < 0 ? -errno : -EIO;
	}
	return 0;
}

static int
open_sockets(struct us_state *s)
{
	const struct us_opts *o = s->o;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(o->port),
		.sin_addr = o->dst };
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = 0,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct rlimit rl;
	uint32_t i;
	int sb = 4 << 20;

	s->n_socks = o->mode == US_MODE_RAW ? o->keys : 1;
	/* Up to 1024 sockets plus stdio: lift the soft descriptor limit to the hard one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
			rl.rlim_cur < s->n_socks + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	s->socks = calloc(s->n_socks, sizeof(*s->socks));
	if (s->socks == NULL)
		return -ENOMEM;
	for (i = 0; i < s->n_socks; i++)
		s->socks[i] = -1;
	for (i = 0; i < s->n_socks; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, "udpsend: socket %u of %u: %s\n", i + 1, s->n_socks,
				strerror(errno));
			return -errno;
		}
		s->socks[i] = fd;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
		/* A source in 127.0.0.0/8 whatever the destination: the key is 127.0.0.1:port. */
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
				connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
			fprintf(stderr, "udpsend: socket %u: bind/connect to %s:%u: %s\n", i + 1,
				inet_ntoa(o->dst), o->port, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void
close_sockets(struct us_state *s)
{
	uint32_t i;

	if (s->socks == NULL)
		return;
	for (i = 0; i < s->n_socks; i++)
		if (s->socks[i] >= 0)
			close(s->socks[i]);
	free(s->socks);
	s->socks = NULL;
}

/* The send loop. 0 or -errno. */
static int
run(struct us_state *s, uint64_t *t0_ns, uint64_t *t1_ns)
{
	const struct us_opts *o = s->o;
	uint64_t deadline, t0, now, stamp = 0;
	uint32_t per_dgram = o->mode == US_MODE_RAW ? 1 : o->rpf;
	int rc = 0;

	t0 = perf_now_ns(CLOCK_MONOTONIC);
	deadline = t0 + (uint64_t)(o->seconds * 1e9);
	now = t0;
	*t0_ns = t0;
	while (s->records < o->records && !perf_stop_sig) {
		uint64_t left = o->records - s->records;
		uint64_t allow = left;
		uint32_t n, i, key = 0;
		int fd;

		now = perf_now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			break;
		if (o->rate != 0) {
			/* records allowed by now, with one burst of slack */
			uint64_t due = (uint64_t)((double)(now - t0) * 1e-9 * (double)o->rate) +
				(uint64_t)US_BURST * per_dgram;

			if (due <= s->records) {
				uint64_t ahead = s->records - due + 1;
				uint64_t ns = (uint64_t)((double)ahead * 1e9 / (double)o->rate);
				struct timespec ts;

				if (ns < 20000)
					ns = 20000;
				if (ns > 10000000)
					ns = 10000000;
				ts.tv_sec = 0;
				ts.tv_nsec = (long)ns;
				nanosleep(&ts, NULL);
				continue;
			}
			if (due - s->records < allow)
				allow = due - s->records;
		}
		n = (uint32_t)((allow + per_dgram - 1) / per_dgram);
		if (n > US_BURST)
			n = US_BURST;
		if (o->stamp)
			stamp = perf_now_ns(CLOCK_REALTIME);
		if (o->mode == US_MODE_RAW) {
			key = (uint32_t)(s->next_key++ % s->n_socks);
			fd = s->socks[key];
		} else {
			fd = s->socks[0];
		}
		for (i = 0; i < n; i++) {
			uint64_t rem = o->records - s->records;
			uint32_t nrec = rem < per_dgram ? (uint32_t)rem : per_dgram;

			if (build_one(s, i, key, nrec, stamp) != nrec) {
				fprintf(stderr, "udpsend: could not build datagram %" PRIu64
					" (frame builder or check refused it)\n", s->datagrams + i);
				rc = -EPROTO;
				goto out;
			}
			s->records += nrec;
		}
		rc = send_all(s, fd, n);
		if (rc != 0)
			goto out;
		s->datagrams += n;
	}
out:
	*t1_ns = perf_now_ns(CLOCK_MONOTONIC);
	return rc;
}

int
main(int argc, char **argv)
{
	struct us_opts o;
	struct us_state s;
	uint64_t t0 = 0, t1 = 0;
	double secs, rps, cpu;
	uint32_t i;
	int rc;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	memset(&s, 0, sizeof(s));
	s.o = &o;
	perf_catch_stop();
	signal(SIGPIPE, SIG_IGN);

	s.buf_cap = o.mode == US_MODE_RAW ? (o.size ? o.size : 1) :
		SLC_FRAME_MIN_LEN + o.rpf * (SLC_FRAME_REC_HDR_LEN + o.key_len + o.size);
	s.bufs = malloc((size_t)US_BURST * s.buf_cap);
	s.seq = calloc(o.keys, sizeof(*s.seq));
	s.rec = malloc(o.size ? o.size : 1);
	if (o.mode == US_MODE_FRAMED)
		s.keys = malloc((size_t)o.keys * o.key_len);
	if (s.bufs == NULL || s.seq == NULL || s.rec == NULL ||
			(o.mode == US_MODE_FRAMED && s.keys == NULL)) {
		fprintf(stderr, "udpsend: out of memory\n");
		return 1;
	}
	if (o.mode == US_MODE_FRAMED)
		for (i = 0; i < o.keys; i++)
			key_text(i, o.key_len, s.keys + (size_t)i * o.key_len);
	for (i = 0; i < US_BURST; i++) {
		memset(&s.msgs[i], 0, sizeof(s.msgs[i]));
		s.msgs[i].msg_hdr.msg_iov = &s.iov[i];
		s.msgs[i].msg_hdr.msg_iovlen = 1;
	}
	rc = open_sockets(&s);
	if (rc == 0)
		rc = run(&s, &t0, &t1);
	close_sockets(&s);

	secs = (double)(t1 - t0) * 1e-9;
	rps = secs > 0 ? (double)s.records / secs : 0;
	if (!o.quiet) {
		printf("udpsend: %s %u B records to %s:%u, %u keys%s\n",
			o.mode == US_MODE_RAW ? "raw" : "framed", o.size, inet_ntoa(o.dst), o.port,
			o.keys, o.mode == US_MODE_RAW ? " (one source port each)" : "");
		if (o.mode == US_MODE_FRAMED)
			printf("udpsend: %u records per frame (%u B frames)\n", o.rpf,
				SLC_FRAME_MIN_LEN + o.rpf * (SLC_FRAME_REC_HDR_LEN + o.key_len +
				o.size));
		printf("udpsend: sent %" PRIu64 " of %" PRIu64 " records in %" PRIu64
			" datagrams in %.3f s: %.0f records/s, %.0f datagrams/s%s%s\n", s.records,
			o.records, s.datagrams, secs, rps, secs > 0 ? (double)s.datagrams / secs : 0,
			o.rate ? " (paced)" : " (flat out)",
			s.records < o.records ? (perf_stop_sig ? ", stopped by a signal" :
			(rc == 0 ? ", stopped by --seconds" : ", stopped by an error")) : "");
		if (s.refused)
			printf("udpsend: %" PRIu64 " sends refused (ICMP port unreachable: a datagram "
				"before each found no receiver)\n", s.refused);
	}
	cpu = perf_cpu_s();
	if (!o.quiet)
		printf("udpsend: CPU %.3f s (on loopback this includes the kernel's receive "
			"path up to the receiver's socket queue)\n", cpu);
	printf("RESULT tool=udpsend records=%" PRIu64 " datagrams=%" PRIu64 " seconds=%.6f "
		"records_per_s=%.0f cpu_s=%.3f mode=%s size=%u keys=%u records_per_datagram=%u "
		"refused=%" PRIu64 "\n", s.records, s.datagrams, secs, rps, cpu,
		o.mode == US_MODE_RAW ? "raw" : "framed", o.size, o.keys,
		o.mode == US_MODE_RAW ? 1 : o.rpf, s.refused);
	fflush(stdout);
	free(s.keys);
	free(s.rec);
	free(s.seq);
	free(s.bufs);
	return rc == 0 ? 0 : 1;
}
