/*
 * sluice-gen: a DPDK telemetry generator for benchmarks and tests. It sends UDP
 * datagrams carrying raw records (one datagram = one record) or frames of the
 * framed format v1 (docs/frame-format.md, built with lib/frame's builder) over
 * any PMD port: net_memif towards sluiced or dpdk-testpmd, net_null to measure
 * the generator alone, net_pcap (tx_pcap=FILE) to write a capture for tests.
 *
 * Before the clock starts it builds a ring of packet templates in mbufs: one
 * per flow (distinct source ip:port) and, in framed mode, enough of them that
 * every partition key appears. The send loop walks that ring in bursts of 32
 * and hands packets to rte_eth_tx_burst in one of three ways (--tx):
 *   refcnt  the template mbuf itself, its reference count raised by one; the
 *           PMD's free drops it back. No copy at all. Patching a template
 *           (--seq/--stamp) is done only while nobody else holds it (refcnt 1,
 *           which is always the case with PMDs that copy or free at tx time:
 *           memif in copy mode, null, pcap, ring once consumed); otherwise that
 *           packet falls back to a copy, so a NIC still DMAing it is never
 *           written to (counted as "fallback copies").
 *   copy    a fresh mbuf per packet, the template copied into it.
 *   clone   rte_pktmbuf_clone(): an indirect mbuf per packet (no patching).
 * perf/README.md has the measured difference.
 *
 * IPv4 UDP checksums are 0 ("no checksum", RFC 768) unless --udp-csum: the
 * receiver then skips the check, and the generator saves summing the payload.
 * IPv6 requires them: they are computed per template, and again per packet
 * when a packet is patched.
 *
 * Everything runs on the main lcore (pin it with -l N). Nothing is allocated
 * or printed in the send loop except the once-a-second --verbose line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "slc_block.h"
#include "slc_frame.h"

#define GEN_BURST 32
#define GEN_MAX_TEMPLATES 65536
#define GEN_MAX_KEY_LEN 256
#define GEN_DEF_MTU 1500
#define GEN_MAX_MTU 9000
#define GEN_PORTS_PER_IP 1000          /* flow f: source ip base + f / 1000, port 1024 + f % 1000 */
#define GEN_SRC_PORT_BASE 1024
#define GEN_RX_DESC 512
#define GEN_TX_DESC 1024

/* Record data layout (when big enough): [0,8) stamp, [8,16) sequence, [16,20) flow or key id. */
#define GEN_OFF_STAMP 0
#define GEN_OFF_SEQ 8
#define GEN_OFF_ID 16

enum gen_mode {
	GEN_MODE_RAW,
	GEN_MODE_FRAMED,
};

enum gen_tx {
	GEN_TX_REFCNT,
	GEN_TX_COPY,
	GEN_TX_CLONE,
};

struct gen_opts {
	uint16_t port;
	enum gen_mode mode;
	enum gen_tx tx;
	uint32_t size;                 /* record data bytes */
	uint32_t rpf;                  /* records per frame; 0 = as many as fit */
	uint32_t flows;
	uint32_t keys;
	uint32_t key_len;
	bool frame_hash_key;
	uint32_t shards;               /* for --frame-hash-key */
	uint64_t rate;                 /* packets/s; 0 = flat out */
	uint64_t count;                /* packets; 0 = unbounded (then --seconds) */
	double seconds;                /* 0 = unbounded (then --count) */
	bool ipv6;
	int vlan;                      /* -1: untagged */
	bool stamp;
	bool seq;
	bool udp_csum;
	bool verbose;
	bool retry;
	uint32_t mtu;                  /* largest IP packet */
	uint32_t mbufs;                /* tx pool for copy/clone */
	double link_wait;
	double wait_peer;              /* after sending: wait this long for the peer to go */
	uint16_t dst_port;
	uint8_t dst_ip[16];
	uint8_t src_ip[16];            /* base */
	struct rte_ether_addr dst_mac;
};

/* One pre-built packet. */
struct gen_tmpl {
	struct rte_mbuf *m;
	uint32_t flow;
	uint32_t first_key;            /* framed: key id of record 0 */
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t pl_off;               /* UDP payload */
	uint16_t data_off;             /* raw: = pl_off; framed: data of record 0 */
	uint16_t rec_stride;           /* framed: bytes from one record's data to the next's */
	uint16_t frame_len;            /* framed */
};

struct gen_stats {
	uint64_t pkts;
	uint64_t recs;
	uint64_t bytes;                /* L2 bytes handed to the PMD */
	uint64_t drops;                /* tx_burst took fewer (not retried) */
	uint64_t fallback;             /* refcnt mode: copied because the template was held */
	uint64_t alloc_fail;
};

static volatile sig_atomic_t stop_sig;

static struct gen_opts o;
static struct gen_tmpl *tmpl;
static uint32_t n_tmpl;
static uint64_t *flow_seq;         /* raw: per flow; framed: per key */
static struct rte_mempool *tx_pool;
static struct rte_mempool *tmpl_pool;
static struct rte_mempool *rx_pool;
static uint64_t tsc_hz;
static uint64_t tsc0;
static uint64_t ns0;               /* CLOCK_REALTIME ns at tsc0 */

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice-gen [EAL options] -- [options]\n"
		"  --port N                DPDK port to send on (0)\n"
		"  --mode raw|framed       one record per datagram, or frames of records (raw)\n"
		"  --size BYTES            record data size (64)\n"
		"  --records-per-frame N   framed: records per frame (0: as many as fit in --mtu)\n"
		"  --flows N               distinct source ip:port (1024)\n"
		"  --keys N                framed: distinct partition keys (1024)\n"
		"  --key-len L             framed: partition key length, 8..256 (12)\n"
		"  --frame-hash-key        framed: a frame hash key per flow, flows round-robin over shards\n"
		"  --shards N              shards of the target stream, for --frame-hash-key (4)\n"
		"  --rate PPS              packets per second (k/m/g suffixes); default flat out\n"
		"  --count N               stop after N packets sent (k/m/g)\n"
		"  --seconds S             stop after S seconds (10 if neither --count nor --seconds)\n"
		"  --dst-ip A              destination IPv4/IPv6 address (10.0.0.1 / fd00::1)\n"
		"  --src-ip A              first source address (10.1.0.1 / fd00::1:1)\n"
		"  --dst-mac M             destination MAC (ff:ff:ff:ff:ff:ff)\n"
		"  --dst-port P            destination UDP port (7000 raw, 7001 framed)\n"
		"  --ipv6                  send IPv6\n"
		"  --vlan ID               802.1Q tag\n"
		"  --stamp                 write the send time (CLOCK_REALTIME ns, from the TSC) into\n"
		"                          the first 8 bytes of each record's data\n"
		"  --seq                   write a per-flow (raw) / per-key (framed) sequence number\n"
		"                          into data bytes 8..15 of each record\n"
		"  --udp-csum              compute IPv4 UDP checksums (default 0 = none; IPv6 always)\n"
		"  --tx refcnt|copy|clone  how a template becomes a sent packet (refcnt)\n"
		"  --retry                 resend what tx_burst did not take instead of counting a drop\n"
		"  --mtu N                 largest IP packet (1500)\n"
		"  --mbufs N               tx mempool size for copy/clone (8191)\n"
		"  --link-wait S           wait this long for link up (10)\n"
		"  --wait-peer S           after sending (count, seconds or SIGINT), poll nothing and\n"
		"                          wait up to S s for the link to go down before closing the\n"
		"                          port: stop the receiver then (memif peer-disconnect crash)\n"
		"  --verbose               print a line every second\n");
}

/* 10, 10k, 2.5m, 1g: powers of 10. */
static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || d < 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': d *= 1e3; end++; break;
	case 'm': case 'M': d *= 1e6; end++; break;
	case 'g': case 'G': d *= 1e9; end++; break;
	default: break;
	}
	if (*end != '\0' || d > 1.8e19)
		return -EINVAL;
	*v = (uint64_t)llround(d);
	return 0;
}

static int
parse_u32_range(const char *name, const char *s, uint64_t lo, uint64_t hi, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, &x) != 0 || x < lo || x > hi) {
		fprintf(stderr, "sluice-gen: --%s %s: expected a number in %" PRIu64 "..%" PRIu64 "\n",
			name, s, lo, hi);
		return -EINVAL;
	}
	*v = (uint32_t)x;
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", required_argument, NULL, 'P'},
		{"mode", required_argument, NULL, 'm'},
		{"size", required_argument, NULL, 's'},
		{"records-per-frame", required_argument, NULL, 'r'},
		{"flows", required_argument, NULL, 'f'},
		{"keys", required_argument, NULL, 'k'},
		{"key-len", required_argument, NULL, 'K'},
		{"frame-hash-key", no_argument, NULL, 'H'},
		{"shards", required_argument, NULL, 'S'},
		{"rate", required_argument, NULL, 'R'},
		{"count", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 't'},
		{"dst-ip", required_argument, NULL, 'd'},
		{"src-ip", required_argument, NULL, 'a'},
		{"dst-mac", required_argument, NULL, 'M'},
		{"dst-port", required_argument, NULL, 'p'},
		{"ipv6", no_argument, NULL, '6'},
		{"vlan", required_argument, NULL, 'V'},
		{"stamp", no_argument, NULL, 'T'},
		{"seq", no_argument, NULL, 'Q'},
		{"udp-csum", no_argument, NULL, 'C'},
		{"tx", required_argument, NULL, 'x'},
		{"retry", no_argument, NULL, 'y'},
		{"mtu", required_argument, NULL, 'u'},
		{"mbufs", required_argument, NULL, 'b'},
		{"link-wait", required_argument, NULL, 'w'},
		{"wait-peer", required_argument, NULL, 'W'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dst_ip = NULL, *src_ip = NULL;
	bool dst_port_set = false;
	uint32_t v;
	int c;

	memset(&o, 0, sizeof(o));
	o.mode = GEN_MODE_RAW;
	o.tx = GEN_TX_REFCNT;
	o.size = 64;
	o.flows = 1024;
	o.keys = 1024;
	o.key_len = 12;
	o.shards = 4;
	o.vlan = -1;
	o.mtu = GEN_DEF_MTU;
	o.mbufs = 8191;
	o.link_wait = 10;
	memset(&o.dst_mac, 0xff, sizeof(o.dst_mac));

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (parse_u32_range("port", optarg, 0, RTE_MAX_ETHPORTS - 1, &v) != 0)
				return -EINVAL;
			o.port = (uint16_t)v;
			break;
		case 'm':
			if (strcmp(optarg, "raw") == 0) {
				o.mode = GEN_MODE_RAW;
			} else if (strcmp(optarg, "framed") == 0) {
				o.mode = GEN_MODE_FRAMED;
			} else {
				fprintf(stderr, "sluice-gen: --mode %s: expected raw or framed\n", optarg);
				return -EINVAL;
			}
			break;
		case 's':
			if (parse_u32_range("size", optarg, 0, GEN_MAX_MTU, &o.size) != 0)
				return -EINVAL;
			break;
		case 'r':
			if (parse_u32_range("records-per-frame", optarg, 0, 65535, &o.rpf) != 0)
				return -EINVAL;
			break;
		case 'f':
			if (parse_u32_range("flows", optarg, 1, GEN_MAX_TEMPLATES, &o.flows) != 0)
				return -EINVAL;
			break;
		case 'k':
			if (parse_u32_range("keys", optarg, 1, 100000000, &o.keys) != 0)
				return -EINVAL;
			break;
		case 'K':
			if (parse_u32_range("key-len", optarg, 8, GEN_MAX_KEY_LEN, &o.key_len) != 0)
				return -EINVAL;
			break;
		case 'H':
			o.frame_hash_key = true;
			break;
		case 'S':
			if (parse_u32_range("shards", optarg, 1, 1u << 20, &o.shards) != 0)
				return -EINVAL;
			break;
		case 'R':
			if (parse_u64(optarg, &o.rate) != 0 || o.rate == 0) {
				fprintf(stderr, "sluice-gen: --rate %s: expected packets/s > 0\n", optarg);
				return -EINVAL;
			}
			break;
		case 'c':
			if (parse_u64(optarg, &o.count) != 0 || o.count == 0) {
				fprintf(stderr, "sluice-gen: --count %s: expected packets > 0\n", optarg);
				return -EINVAL;
			}
			break;
		case 't':
			o.seconds = strtod(optarg, NULL);
			if (!(o.seconds > 0) || o.seconds > 86400) {
				fprintf(stderr, "sluice-gen: --seconds %s: expected 0 < S <= 86400\n", optarg);
				return -EINVAL;
			}
			break;
		case 'd':
			dst_ip = optarg;
			break;
		case 'a':
			src_ip = optarg;
			break;
		case 'M':
			if (rte_ether_unformat_addr(optarg, &o.dst_mac) != 0) {
				fprintf(stderr, "sluice-gen: --dst-mac %s: expected xx:xx:xx:xx:xx:xx\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_u32_range("dst-port", optarg, 1, 65535, &v) != 0)
				return -EINVAL;
			o.dst_port = (uint16_t)v;
			dst_port_set = true;
			break;
		case '6':
			o.ipv6 = true;
			break;
		case 'V':
			if (parse_u32_range("vlan", optarg, 0, 4095, &v) != 0)
				return -EINVAL;
			o.vlan = (int)v;
			break;
		case 'T':
			o.stamp = true;
			break;
		case 'Q':
			o.seq = true;
			break;
		case 'C':
			o.udp_csum = true;
			break;
		case 'x':
			if (strcmp(optarg, "refcnt") == 0) {
				o.tx = GEN_TX_REFCNT;
			} else if (strcmp(optarg, "copy") == 0) {
				o.tx = GEN_TX_COPY;
			} else if (strcmp(optarg, "clone") == 0) {
				o.tx = GEN_TX_CLONE;
			} else {
				fprintf(stderr, "sluice-gen: --tx %s: expected refcnt, copy or clone\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'y':
			o.retry = true;
			break;
		case 'u':
			if (parse_u32_range("mtu", optarg, 128, GEN_MAX_MTU, &o.mtu) != 0)
				return -EINVAL;
			break;
		case 'b':
			if (parse_u32_range("mbufs", optarg, 255, 1u << 22, &o.mbufs) != 0)
				return -EINVAL;
			break;
		case 'w':
			o.link_wait = strtod(optarg, NULL);
			if (!(o.link_wait >= 0) || o.link_wait > 3600) {
				fprintf(stderr, "sluice-gen: --link-wait %s: expected 0..3600 seconds\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'W':
			o.wait_peer = strtod(optarg, NULL);
			if (!(o.wait_peer >= 0) || o.wait_peer > 3600) {
				fprintf(stderr, "sluice-gen: --wait-peer %s: expected 0..3600 seconds\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice-gen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!dst_port_set)
		o.dst_port = o.mode == GEN_MODE_RAW ? 7000 : 7001;
	if (o.count == 0 && o.seconds == 0)
		o.seconds = 10;
	if (dst_ip == NULL)
		dst_ip = o.ipv6 ? "fd00::1" : "10.0.0.1";
	if (src_ip == NULL)
		src_ip = o.ipv6 ? "fd00::1:1" : "10.1.0.1";
	if (inet_pton(o.ipv6 ? AF_INET6 : AF_INET, dst_ip, o.dst_ip) != 1) {
		fprintf(stderr, "sluice-gen: --dst-ip %s: not an %s address\n", dst_ip,
			o.ipv6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	if (inet_pton(o.ipv6 ? AF_INET6 : AF_INET, src_ip, o.src_ip) != 1) {
		fprintf(stderr, "sluice-gen: --src-ip %s: not an %s address\n", src_ip,
			o.ipv6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	if ((o.stamp || o.seq) && o.tx == GEN_TX_CLONE) {
		fprintf(stderr, "sluice-gen: --stamp and --seq write into each packet; "
			"--tx clone shares one copy: use --tx refcnt or copy\n");
		return -EINVAL;
	}
	if (o.mode == GEN_MODE_RAW && (o.frame_hash_key || o.rpf > 1)) {
		fprintf(stderr, "sluice-gen: --frame-hash-key and --records-per-frame need "
			"--mode framed\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- templates ---- */

static uint32_t
l3_len(void)
{
	return o.ipv6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
}

static uint32_t
l2_len(void)
{
	return sizeof(struct rte_ether_hdr) + (o.vlan >= 0 ? sizeof(struct rte_vlan_hdr) : 0);
}

static uint32_t
frame_len_for(uint32_t rpf)
{
	return SLC_FRAME_HDR_LEN + (o.frame_hash_key ? 16 : 0) +
		rpf * (SLC_FRAME_REC_HDR_LEN + o.key_len + o.size) + SLC_FRAME_CRC_LEN;
}

/* UDP payload bytes of every packet. */
static uint32_t
payload_len(void)
{
	return o.mode == GEN_MODE_RAW ? o.size : frame_len_for(o.rpf);
}

static void
flow_addr(uint32_t flow, uint8_t *ip, uint16_t *port)
{
	uint32_t add = flow / GEN_PORTS_PER_IP;

	memcpy(ip, o.src_ip, 16);
	if (o.ipv6) {
		uint32_t lo;

		memcpy(&lo, ip + 12, 4);
		lo = rte_cpu_to_be_32(rte_be_to_cpu_32(lo) + add);
		memcpy(ip + 12, &lo, 4);
	} else {
		uint32_t a;

		memcpy(&a, ip, 4);
		a = rte_cpu_to_be_32(rte_be_to_cpu_32(a) + add);
		memcpy(ip, &a, 4);
	}
	*port = (uint16_t)(GEN_SRC_PORT_BASE + flow % GEN_PORTS_PER_IP);
}

/* The partition key of key id k: "dev-000…k", key_len bytes. */
static void
key_text(uint32_t k, char *buf)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%u", k);
	uint32_t i;

	memcpy(buf, "dev-", 4);
	for (i = 4; i < o.key_len; i++)
		buf[i] = '0';
	if ((uint32_t)n <= o.key_len - 4)
		memcpy(buf + o.key_len - n, num, n);
	else
		memcpy(buf + 4, num + (n - (o.key_len - 4)), o.key_len - 4);
}

/* Record data: stamp 0, sequence 0, id, then printable filler. */
static void
fill_data(uint8_t *d, uint32_t len, uint32_t id)
{
	static const char filler[] = "{\"t\":21.5,\"h\":40,\"p\":1013,\"v\":3.30,\"s\":\"ok\"}";
	uint32_t i;

	for (i = 0; i < len; i++)
		d[i] = (uint8_t)filler[i % (sizeof(filler) - 1)];
	if (len >= GEN_OFF_SEQ)
		memset(d, 0, 8);
	if (len >= GEN_OFF_ID)
		memset(d + GEN_OFF_SEQ, 0, 8);
	if (len >= GEN_OFF_ID + 4)
		memcpy(d + GEN_OFF_ID, &id, 4);
}

/* Frame hash key for a flow: the middle of shard (flow % shards). */
static void
flow_hash_key(uint32_t flow, uint8_t hk[16])
{
	unsigned __int128 w = (~(unsigned __int128)0) / o.shards;
	unsigned __int128 x;
	int i;

	/* floor(2^128 / N) == floor((2^128 - 1) / N) unless N divides 2^128 (N a power of 2) */
	if ((o.shards & (o.shards - 1)) == 0)
		w += 1;
	if (o.shards == 1)
		w = ~(unsigned __int128)0;
	x = w * (flow % o.shards) + w / 2;
	for (i = 15; i >= 0; i--) {
		hk[i] = (uint8_t)x;
		x >>= 8;
	}
}

static void
set_l4_csum(struct rte_mbuf *m, const struct gen_tmpl *t)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(p + t->l4_off);

	udp->dgram_cksum = 0;
	if (o.ipv6)
		udp->dgram_cksum = rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)(p + t->l3_off), udp);
	else if (o.udp_csum)
		udp->dgram_cksum = rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)(p + t->l3_off), udp);
}

static int
build_template(struct gen_tmpl *t, uint32_t idx, const struct rte_ether_addr *src_mac,
	uint8_t *scratch)
{
	uint32_t pl = payload_len();
	uint32_t pkt_len = l2_len() + l3_len() + sizeof(struct rte_udp_hdr) + pl;
	struct rte_ether_hdr *eth;
	struct rte_udp_hdr *udp;
	uint8_t src[16];
	uint16_t sport;
	uint8_t *p;

	t->m = rte_pktmbuf_alloc(tmpl_pool);
	if (t->m == NULL)
		return -ENOMEM;
	p = (uint8_t *)rte_pktmbuf_append(t->m, pkt_len);
	if (p == NULL)
		return -ENOSPC;
	memset(p, 0, pkt_len);
	t->flow = idx % o.flows;
	flow_addr(t->flow, src, &sport);

	eth = (struct rte_ether_hdr *)p;
	rte_ether_addr_copy(&o.dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	if (o.vlan >= 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)o.vlan);
		vh->eth_proto = rte_cpu_to_be_16(o.ipv6 ? RTE_ETHER_TYPE_IPV6 :
			RTE_ETHER_TYPE_IPV4);
	} else {
		eth->ether_type = rte_cpu_to_be_16(o.ipv6 ? RTE_ETHER_TYPE_IPV6 :
			RTE_ETHER_TYPE_IPV4);
	}
	t->l3_off = (uint16_t)l2_len();
	t->l4_off = (uint16_t)(t->l3_off + l3_len());
	t->pl_off = (uint16_t)(t->l4_off + sizeof(struct rte_udp_hdr));

	udp = (struct rte_udp_hdr *)(p + t->l4_off);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(o.dst_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + pl));

	/* payload */
	if (o.mode == GEN_MODE_RAW) {
		t->data_off = t->pl_off;
		fill_data(p + t->pl_off, o.size, t->flow);
	} else {
		struct slc_frame_builder b;
		struct slc_frame_info fi;
		uint8_t hk[16];
		char key[GEN_MAX_KEY_LEN];
		enum slc_frame_err e;
		uint32_t j;
		size_t len;
		int rc;

		flow_hash_key(t->flow, hk);
		t->first_key = (uint32_t)(((uint64_t)idx * o.rpf) % o.keys);
		rc = slc_frame_begin(&b, p + t->pl_off, pl, idx, o.frame_hash_key ? hk : NULL);
		if (rc != 0)
			return rc;
		for (j = 0; j < o.rpf; j++) {
			uint32_t k = (t->first_key + j) % o.keys;

			key_text(k, key);
			fill_data(scratch, o.size, k);
			rc = slc_frame_add(&b, key, (uint16_t)o.key_len, scratch, o.size, NULL);
			if (rc != 0)
				return rc;
		}
		len = slc_frame_end(&b);
		if (len != pl) {
			fprintf(stderr, "sluice-gen: frame builder made %zu bytes, expected %u\n",
				len, pl);
			return -EPROTO;
		}
		/* what the appliance will do with it */
		e = slc_frame_check(p + t->pl_off, pl, true, o.size, &fi);
		if (e != SLC_FRAME_OK || fi.count != o.rpf) {
			fprintf(stderr, "sluice-gen: built frame does not check: %s\n",
				slc_frame_err_name(e));
			return -EPROTO;
		}
		t->frame_len = (uint16_t)pl;
		t->data_off = (uint16_t)(t->pl_off + SLC_FRAME_HDR_LEN +
			(o.frame_hash_key ? 16 : 0) + SLC_FRAME_REC_HDR_LEN + o.key_len);
		t->rec_stride = (uint16_t)(SLC_FRAME_REC_HDR_LEN + o.key_len + o.size);
	}

	/* L3 last: lengths known */
	if (o.ipv6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + t->l3_off);

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + pl));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src, 16);
		memcpy(ip6->dst_addr, o.dst_ip, 16);
	} else {
		struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)(p + t->l3_off);

		ip4->version_ihl = RTE_IPV4_VHL_DEF;
		ip4->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip4) + sizeof(*udp) + pl));
		ip4->packet_id = rte_cpu_to_be_16((uint16_t)idx);
		ip4->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip4->time_to_live = 64;
		ip4->next_proto_id = IPPROTO_UDP;
		memcpy(&ip4->src_addr, src, 4);
		memcpy(&ip4->dst_addr, o.dst_ip, 4);
		ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	}
	set_l4_csum(t->m, t);
	t->m->l2_len = t->l3_off;
	t->m->l3_len = l3_len();
	return 0;
}

static int
build_templates(const struct rte_ether_addr *src_mac)
{
	uint8_t *scratch;
	uint32_t i;
	int rc = 0;

	tmpl = calloc(n_tmpl, sizeof(*tmpl));
	flow_seq = calloc(RTE_MAX(o.flows, o.keys), sizeof(*flow_seq));
	scratch = malloc(o.size + 1);
	if (tmpl == NULL || flow_seq == NULL || scratch == NULL) {
		free(scratch);
		return -ENOMEM;
	}
	for (i = 0; i < n_tmpl; i++) {
		rc = build_template(&tmpl[i], i, src_mac, scratch);
		if (rc != 0) {
			fprintf(stderr, "sluice-gen: building packet template %u: %s\n", i,
				strerror(-rc));
			break;
		}
	}
	free(scratch);
	return rc;
}

/* ---- send loop ---- */

static inline uint64_t
now_ns(uint64_t tsc)
{
	return ns0 + (uint64_t)((double)(tsc - tsc0) * 1e9 / (double)tsc_hz);
}

/* Write stamp and sequence numbers into m (a private copy or an unshared template). */
static inline void
patch(struct rte_mbuf *m, const struct gen_tmpl *t, uint64_t stamp)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	if (o.mode == GEN_MODE_RAW) {
		uint8_t *d = p + t->data_off;

		if (o.stamp)
			memcpy(d + GEN_OFF_STAMP, &stamp, 8);
		if (o.seq) {
			uint64_t s = flow_seq[t->flow]++;

			memcpy(d + GEN_OFF_SEQ, &s, 8);
		}
	} else {
		uint8_t *d = p + t->data_off;
		uint32_t j, k = t->first_key;
		uint32_t crc;

		for (j = 0; j < o.rpf; j++, d += t->rec_stride) {
			if (o.stamp)
				memcpy(d + GEN_OFF_STAMP, &stamp, 8);
			if (o.seq) {
				uint64_t s = flow_seq[k]++;

				memcpy(d + GEN_OFF_SEQ, &s, 8);
			}
			if (++k == o.keys)
				k = 0;
		}
		crc = slc_block_crc32c(p + t->pl_off, t->frame_len - SLC_FRAME_CRC_LEN);
		crc = rte_cpu_to_le_32(crc);
		memcpy(p + t->pl_off + t->frame_len - SLC_FRAME_CRC_LEN, &crc, 4);
	}
	if (o.ipv6 || o.udp_csum)
		set_l4_csum(m, t);
}

static inline struct rte_mbuf *
copy_of(const struct gen_tmpl *t, struct gen_stats *st)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tx_pool);
	uint32_t len = rte_pktmbuf_pkt_len(t->m);
	void *d;

	if (unlikely(m == NULL)) {
		st->alloc_fail++;
		return NULL;
	}
	d = rte_pktmbuf_append(m, len);
	rte_memcpy(d, rte_pktmbuf_mtod(t->m, void *), len);
	m->l2_len = t->m->l2_len;
	m->l3_len = t->m->l3_len;
	return m;
}

/* Up to n packets for the next templates; returns how many were made. */
static uint16_t
make_burst(struct rte_mbuf **pkts, uint16_t n, uint32_t *next, struct gen_stats *st)
{
	bool patching = o.stamp || o.seq;
	uint64_t stamp = 0;
	uint16_t i;

	if (o.stamp)
		stamp = now_ns(rte_rdtsc());
	for (i = 0; i < n; i++) {
		struct gen_tmpl *t = &tmpl[*next];
		struct rte_mbuf *m;

		switch (o.tx) {
		case GEN_TX_REFCNT:
			if (!patching) {
				m = t->m;
				rte_mbuf_refcnt_update(m, 1);
			} else if (rte_mbuf_refcnt_read(t->m) == 1) {
				m = t->m;
				patch(m, t, stamp);
				rte_mbuf_refcnt_update(m, 1);
			} else {
				st->fallback++;
				m = copy_of(t, st);
				if (m != NULL)
					patch(m, t, stamp);
			}
			break;
		case GEN_TX_COPY:
			m = copy_of(t, st);
			if (m != NULL && patching)
				patch(m, t, stamp);
			break;
		default:
			m = rte_pktmbuf_clone(t->m, tx_pool);
			if (m == NULL)
				st->alloc_fail++;
			break;
		}
		if (unlikely(m == NULL))
			break;
		pkts[i] = m;
		if (++*next == n_tmpl)
			*next = 0;
	}
	return i;
}

static void
print_line(const char *what, const struct gen_stats *st, double secs)
{
	double mpps = secs > 0 ? st->pkts / secs / 1e6 : 0;
	double gbps = secs > 0 ? st->bytes * 8.0 / secs / 1e9 : 0;
	double mrps = secs > 0 ? st->recs / secs / 1e6 : 0;

	printf("sluice-gen: %s packets %" PRIu64 " records %" PRIu64 " bytes %" PRIu64
		" tx_drops %" PRIu64 " seconds %.3f mpps %.3f mrecs %.3f gbps %.3f"
		" fallback_copies %" PRIu64 " alloc_fail %" PRIu64 "\n",
		what, st->pkts, st->recs, st->bytes, st->drops, secs, mpps, mrps, gbps,
		st->fallback, st->alloc_fail);
	fflush(stdout);
}

static bool
link_up(void)
{
	struct rte_eth_link l;

	memset(&l, 0, sizeof(l));
	if (rte_eth_link_get_nowait(o.port, &l) != 0)
		return false;
	return l.link_status == RTE_ETH_LINK_UP;
}

static void
drain_rx(void)
{
	struct rte_mbuf *rx[GEN_BURST];
	uint16_t n;

	n = rte_eth_rx_burst(o.port, 0, rx, GEN_BURST);
	if (n > 0)
		rte_pktmbuf_free_bulk(rx, n);
}

static void
send_loop(struct gen_stats *st)
{
	struct rte_mbuf *pkts[GEN_BURST];
	uint16_t pending = 0;
	uint32_t next = 0;
	uint32_t pkt_len = rte_pktmbuf_pkt_len(tmpl[0].m);
	uint32_t rpf = o.mode == GEN_MODE_RAW ? 1 : o.rpf;
	uint64_t end_tsc = o.seconds > 0 ? (uint64_t)(o.seconds * tsc_hz) : UINT64_MAX;
	uint64_t next_tick = tsc_hz;
	double tokens = 0, tok_cap = 2 * GEN_BURST;
	uint64_t last = rte_rdtsc();
	struct gen_stats prev = *st;
	uint64_t loops = 0;

	tsc0 = last;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ns0 = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	while (stop_sig == 0) {
		uint64_t now = rte_rdtsc();
		uint64_t el = now - tsc0;
		uint16_t want = GEN_BURST - pending, sent, made;

		if (el >= end_tsc)
			break;
		if (unlikely(el >= next_tick)) {
			if (o.verbose) {
				struct gen_stats d = *st;

				d.pkts -= prev.pkts;
				d.recs -= prev.recs;
				d.bytes -= prev.bytes;
				d.drops -= prev.drops;
				d.fallback -= prev.fallback;
				d.alloc_fail -= prev.alloc_fail;
				print_line("second", &d, 1.0);
				prev = *st;
			}
			/* memif: stop while the peer is going, rather than poll a dead link */
			if (!link_up()) {
				printf("sluice-gen: port %u link went down, stopping\n", o.port);
				break;
			}
			drain_rx();
			next_tick += tsc_hz;
		}
		if (o.count > 0) {
			uint64_t left = o.count - st->pkts - pending;

			if (st->pkts >= o.count)
				break;
			if (left < want)
				want = (uint16_t)left;
		}
		if (o.rate > 0) {
			tokens += (double)(now - last) * (double)o.rate / (double)tsc_hz;
			last = now;
			if (tokens > tok_cap)
				tokens = tok_cap;
			if (tokens < want)
				want = (uint16_t)tokens;
		}
		made = want > 0 ? make_burst(pkts + pending, want, &next, st) : 0;
		if (o.rate > 0)
			tokens -= made;
		pending += made;
		if (pending == 0)
			continue;
		sent = rte_eth_tx_burst(o.port, 0, pkts, pending);
		st->pkts += sent;
		st->recs += (uint64_t)sent * rpf;
		st->bytes += (uint64_t)sent * pkt_len;
		if (sent < pending) {
			if (o.retry) {
				memmove(pkts, pkts + sent, (pending - sent) * sizeof(pkts[0]));
				pending -= sent;
			} else {
				st->drops += pending - sent;
				rte_pktmbuf_free_bulk(pkts + sent, pending - sent);
				pending = 0;
			}
		} else {
			pending = 0;
		}
		loops++;
	}
	if (pending > 0)
		rte_pktmbuf_free_bulk(pkts, pending);
}

/* ---- port ---- */

static int
port_start(struct rte_ether_addr *mac)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx = GEN_RX_DESC, ntx = GEN_TX_DESC;
	int rc;

	if (!rte_eth_dev_is_valid_port(o.port)) {
		fprintf(stderr, "sluice-gen: no DPDK port %u (%u ports): add a device, e.g. "
			"--vdev net_memif0,role=client,socket=/tmp/memif.sock or "
			"--vdev net_pcap0,tx_pcap=out.pcap\n", o.port, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(o.port, &info);
	if (rc != 0)
		return rc;
	memset(&conf, 0, sizeof(conf));
	if (o.mtu + l2_len() > RTE_ETHER_MAX_LEN && info.max_rx_pktlen >= o.mtu + l2_len())
		conf.rxmode.mtu = o.mtu;
	rc = rte_eth_dev_configure(o.port, 1, 1, &conf);
	if (rc != 0) {
		fprintf(stderr, "sluice-gen: port %u: configure: %s\n", o.port, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(o.port, &nrx, &ntx);
	if (rc != 0)
		return rc;
	rc = rte_eth_rx_queue_setup(o.port, 0, nrx, rte_eth_dev_socket_id(o.port), NULL,
		rx_pool);
	if (rc != 0) {
		fprintf(stderr, "sluice-gen: port %u: rx queue: %s\n", o.port, strerror(-rc));
		return rc;
	}
	rc = rte_eth_tx_queue_setup(o.port, 0, ntx, rte_eth_dev_socket_id(o.port), NULL);
	if (rc != 0) {
		fprintf(stderr, "sluice-gen: port %u: tx queue: %s\n", o.port, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_start(o.port);
	if (rc != 0) {
		fprintf(stderr, "sluice-gen: port %u: start: %s\n", o.port, strerror(-rc));
		return rc;
	}
	return rte_eth_macaddr_get(o.port, mac);
}

static int
pools_create(void)
{
	uint32_t pkt_len = l2_len() + l3_len() + sizeof(struct rte_udp_hdr) + payload_len();
	uint16_t room = (uint16_t)RTE_MAX(pkt_len + RTE_PKTMBUF_HEADROOM,
		(uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE);
	int socket = rte_socket_id();

	rx_pool = rte_pktmbuf_pool_create("gen_rx", 1023, 32, 0,
		(uint16_t)RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE,
			o.mtu + l2_len() + RTE_PKTMBUF_HEADROOM), socket);
	tmpl_pool = rte_pktmbuf_pool_create("gen_tmpl", n_tmpl + 1, 0, 0, room, socket);
	if (o.tx == GEN_TX_COPY || o.tx == GEN_TX_REFCNT)
		tx_pool = rte_pktmbuf_pool_create("gen_tx", o.mbufs, 256, 0, room, socket);
	else
		tx_pool = rte_pktmbuf_pool_create("gen_clone", o.mbufs, 256, 0, 0, socket);
	if (rx_pool == NULL || tmpl_pool == NULL || tx_pool == NULL) {
		fprintf(stderr, "sluice-gen: mempool: %s (with --no-huge give -m 512 and keep "
			"--mbufs and --flows/--keys small)\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rte_ether_addr mac;
	struct rte_eth_dev_info info;
	struct gen_stats st;
	uint32_t pkt_len, max_rpf;
	uint64_t t_start, t_end;
	double secs;
	int n, rc;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "sluice-gen: EAL init failed: %s (without hugepages: "
			"--no-huge --no-shconf -m 512)\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	if (parse_args(argc, argv) != 0)
		goto fail_eal;

	if (o.mode == GEN_MODE_FRAMED) {
		uint32_t room = o.mtu - l3_len() - sizeof(struct rte_udp_hdr);
		uint32_t fixed = frame_len_for(0);
		uint32_t per = SLC_FRAME_REC_HDR_LEN + o.key_len + o.size;

		max_rpf = room > fixed ? (room - fixed) / per : 0;
		if (max_rpf == 0) {
			fprintf(stderr, "sluice-gen: a %u B record does not fit a frame in a %u B "
				"packet: raise --mtu or lower --size\n", o.size, o.mtu);
			goto fail_eal;
		}
		if (o.rpf == 0)
			o.rpf = RTE_MIN(max_rpf, 65535u);
		if (o.rpf > max_rpf) {
			fprintf(stderr, "sluice-gen: %u records of %u B do not fit a %u B packet "
				"(at most %u): lower --records-per-frame or raise --mtu\n", o.rpf,
				o.size, o.mtu, max_rpf);
			goto fail_eal;
		}
	} else {
		o.rpf = 1;
		if (l3_len() + sizeof(struct rte_udp_hdr) + o.size > o.mtu) {
			fprintf(stderr, "sluice-gen: a %u B record does not fit a %u B packet: "
				"raise --mtu or lower --size\n", o.size, o.mtu);
			goto fail_eal;
		}
	}
	if ((o.stamp && o.size < 8) || (o.seq && o.size < 16)) {
		fprintf(stderr, "sluice-gen: --stamp needs --size >= 8, --seq >= 16\n");
		goto fail_eal;
	}
	/* raw: one template per flow. framed: enough that every key appears, a multiple of
	 * the flows so that each flow sends the same share */
	if (o.mode == GEN_MODE_RAW) {
		n_tmpl = o.flows;
	} else {
		uint64_t nt = RTE_MAX((uint64_t)o.flows, ((uint64_t)o.keys + o.rpf - 1) / o.rpf);

		nt = (nt + o.flows - 1) / o.flows * o.flows;
		if (nt > GEN_MAX_TEMPLATES) {
			fprintf(stderr, "sluice-gen: --keys %u at %u records per frame over %u flows "
				"needs %" PRIu64 " packet templates, at most %u: raise "
				"--records-per-frame or lower --keys\n", o.keys, o.rpf, o.flows, nt,
				GEN_MAX_TEMPLATES);
			goto fail_eal;
		}
		n_tmpl = (uint32_t)nt;
	}
	if (pools_create() != 0)
		goto fail_eal;
	if (port_start(&mac) != 0)
		goto fail_eal;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (build_templates(&mac) != 0)
		goto fail_port;
	pkt_len = rte_pktmbuf_pkt_len(tmpl[0].m);
	tsc_hz = rte_get_tsc_hz();

	rte_eth_dev_info_get(o.port, &info);
	printf("sluice-gen: port %u (%s), mode %s, %u B records, %u per frame, %u flows, "
		"%u keys, %u B packets (L2), %u templates, tx %s, %s%s%s, rate %s, "
		"tsc %" PRIu64 " Hz\n",
		o.port, info.driver_name, o.mode == GEN_MODE_RAW ? "raw" : "framed", o.size,
		o.rpf, o.flows, o.mode == GEN_MODE_RAW ? o.flows : o.keys, pkt_len, n_tmpl,
		o.tx == GEN_TX_REFCNT ? "refcnt" : o.tx == GEN_TX_COPY ? "copy" : "clone",
		o.ipv6 ? "IPv6" : "IPv4", o.vlan >= 0 ? " VLAN" : "",
		o.frame_hash_key ? " frame-hash-key" : "",
		o.rate > 0 ? "limited" : "flat out", tsc_hz);
	fflush(stdout);

	/* wait for the peer (memif) */
	{
		uint64_t deadline = rte_rdtsc() + (uint64_t)(o.link_wait * tsc_hz);

		while (!link_up() && stop_sig == 0) {
			if (rte_rdtsc() >= deadline) {
				fprintf(stderr, "sluice-gen: port %u: link still down after %.0f s: "
					"is the peer running (memif: one side role=server)?\n",
					o.port, o.link_wait);
				goto fail_port;
			}
			rte_delay_ms(10);
		}
	}

	printf("sluice-gen: port %u link up, sending\n", o.port);
	fflush(stdout);
	memset(&st, 0, sizeof(st));
	t_start = rte_rdtsc();
	send_loop(&st);
	t_end = rte_rdtsc();
	secs = (double)(t_end - t_start) / (double)tsc_hz;
	print_line("total", &st, secs);

	/*
	 * memif in DPDK 22.11: the side still polling when its peer disconnects may
	 * crash (MACHINE-NOTES). So stop polling first, then let the receiver go.
	 * Link status is a flag the PMD's interrupt thread updates: reading it is safe.
	 */
	if (o.wait_peer > 0) {
		uint64_t deadline = rte_rdtsc() + (uint64_t)(o.wait_peer * tsc_hz);

		printf("sluice-gen: stopped sending; waiting up to %.0f s for the peer to go\n",
			o.wait_peer);
		fflush(stdout);
		stop_sig = 0;
		while (link_up() && stop_sig == 0 && rte_rdtsc() < deadline)
			rte_delay_us_sleep(10000);
		printf("sluice-gen: %s\n", link_up() ? "peer still there, closing" : "peer gone");
	}

	rc = 0;
	goto out;
fail_port:
	rc = 1;
out:
	rte_eth_dev_stop(o.port);
	rte_eth_dev_close(o.port);
	if (tmpl != NULL) {
		uint32_t i;

		for (i = 0; i < n_tmpl; i++)
			if (tmpl[i].m != NULL)
				rte_pktmbuf_free(tmpl[i].m);
	}
	free(tmpl);
	free(flow_seq);
	rte_eal_cleanup();
	return rc;
fail_eal:
	rte_eal_cleanup();
	return 1;
}
