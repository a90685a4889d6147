/*
 * Unit tests of lib/pkt (pkt.c, pkt_reply.c) on a real EAL (--no-huge) with a
 * small mempool. Frames are built byte by byte here, with this file's own
 * checksum code, so the tests do not lean on the DPDK helpers the library
 * uses. Every drop cause gets a crafted frame and exactly one counter moves;
 * good UDP over IPv4/IPv6, tagged and untagged, padded and scattered, is
 * delivered byte-exact; ARP, ICMP echo, ICMPv6 echo and NDP replies are
 * checked field by field; IPv4 reassembly is driven in and out of order and
 * with hostile fragment sets, a storm beyond the flow limit and timeouts.
 * Every test ends with the context freed and every mbuf back in the pool.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../slc_test.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "slc_pkt.h"

#define POOL_N 1023u

static struct rte_mempool *pool;
static struct slc_pkt_cfg cfg;       /* 64 KiB: not on the stack */
static uint64_t now = 1000000;

static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x03 };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define OUR4 0xc0000201u             /* 192.0.2.1 */
#define PEER4 0xc0000207u            /* 192.0.2.7 */
#define OTHER4 0xc0000263u           /* 192.0.2.99 */
#define OUR6 "2001:db8::1"
#define PEER6 "2001:db8::7"
#define OTHER6 "2001:db8::99"
#define SPORT 40000
#define RAW_PORT 5000
#define FRAMED_PORT 5001

/* ------------------------------------------------------------ checksums */

/* Checksum over an L4 message with the IPv4 (alen 4) or IPv6 (16) pseudo header. */
static uint16_t
l4sum(const uint8_t *src, const uint8_t *dst, uint32_t alen, uint8_t proto, const uint8_t *l4,
	uint32_t len)
{
	uint32_t s = slc_test_sum16(src, alen, 0);

	s = slc_test_sum16(dst, alen, s);
	s += proto + len;
	return slc_test_csum_fold(slc_test_sum16(l4, len, s));
}

/* ------------------------------------------------------------- builders */

struct pk {
	uint8_t b[4096];
	uint32_t n;
	uint32_t l3, l4;                 /* offsets of the IP (or ARP) and L4 headers */
};

struct fo {                          /* frame options; zero means the default */
	const uint8_t *dmac;             /* our MAC */
	const uint8_t *smac;             /* peer MAC */
	int ntags;
	uint16_t tpid[3];
	uint32_t src4, dst4;             /* PEER4, OUR4 (host order) */
	const char *src6, *dst6;         /* PEER6, OUR6 */
	uint16_t sport, dport;           /* SPORT, RAW_PORT */
	uint8_t hop;                     /* IPv6 hop limit (64) */
};

static void
put8(struct pk *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void
put16(struct pk *p, uint16_t v)
{
	p->b[p->n++] = (uint8_t)(v >> 8);
	p->b[p->n++] = (uint8_t)v;
}

static void
put32(struct pk *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void
putb(struct pk *p, const void *b, uint32_t n)
{
	memcpy(p->b + p->n, b, n);
	p->n += n;
}

static void
set16(struct pk *p, uint32_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
a6(const char *s, uint8_t *out)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET6, s, out) == 1);
}

static void
eth(struct pk *p, const struct fo *o, uint16_t type)
{
	int i;

	p->n = 0;
	putb(p, o->dmac != NULL ? o->dmac : our_mac, 6);
	putb(p, o->smac != NULL ? o->smac : peer_mac, 6);
	for (i = 0; i < o->ntags; i++) {
		put16(p, o->tpid[i]);
		put16(p, (uint16_t)(100 + i));
	}
	put16(p, type);
	p->l3 = p->n;
}

static void
ip4_fix(struct pk *p)
{
	uint32_t ihl = (p->b[p->l3] & 0xf) * 4u;

	set16(p, p->l3 + 10, 0);
	set16(p, p->l3 + 10, slc_test_csum_fold(slc_test_sum16(p->b + p->l3, ihl, 0)));
}

/* IPv4 header (20 bytes) for l4len bytes that follow; frag = flags and offset field. */
static void
ip4(struct pk *p, const struct fo *o, uint8_t proto, uint32_t l4len, uint16_t id, uint16_t frag)
{
	eth(p, o, 0x0800);
	put8(p, 0x45);
	put8(p, 0);
	put16(p, (uint16_t)(20 + l4len));
	put16(p, id);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	put32(p, o->src4 != 0 ? o->src4 : PEER4);
	put32(p, o->dst4 != 0 ? o->dst4 : OUR4);
	ip4_fix(p);
	p->l4 = p->n;
}

static void
ip6(struct pk *p, const struct fo *o, uint8_t nh, uint32_t plen)
{
	uint8_t a[16];

	eth(p, o, 0x86dd);
	put32(p, 0x60000000);
	put16(p, (uint16_t)plen);
	put8(p, nh);
	put8(p, o->hop != 0 ? o->hop : 64);
	a6(o->src6 != NULL ? o->src6 : PEER6, a);
	putb(p, a, 16);
	a6(o->dst6 != NULL ? o->dst6 : OUR6, a);
	putb(p, a, 16);
	p->l4 = p->n;
}

static void
udp4_fix(struct pk *p)
{
	uint32_t ulen = get16(p->b + p->l4 + 4);

	set16(p, p->l4 + 6, 0);
	set16(p, p->l4 + 6, l4sum(p->b + p->l3 + 12, p->b + p->l3 + 16, 4, 17, p->b + p->l4, ulen));
	if (get16(p->b + p->l4 + 6) == 0)
		set16(p, p->l4 + 6, 0xffff);
}

static void
l4_6_fix(struct pk *p, uint8_t proto, uint32_t off)
{
	uint32_t len = get16(p->b + p->l3 + 4);

	set16(p, p->l4 + off, 0);
	set16(p, p->l4 + off, l4sum(p->b + p->l3 + 8, p->b + p->l3 + 24, 16, proto, p->b + p->l4,
		len));
}

static void
udp4(struct pk *p, const struct fo *o, const uint8_t *pl, uint32_t plen)
{
	ip4(p, o, 17, 8 + plen, 0x1234, 0);
	put16(p, o->sport != 0 ? o->sport : SPORT);
	put16(p, o->dport != 0 ? o->dport : RAW_PORT);
	put16(p, (uint16_t)(8 + plen));
	put16(p, 0);
	putb(p, pl, plen);
	udp4_fix(p);
}

static void
udp6(struct pk *p, const struct fo *o, const uint8_t *pl, uint32_t plen)
{
	ip6(p, o, 17, 8 + plen);
	put16(p, o->sport != 0 ? o->sport : SPORT);
	put16(p, o->dport != 0 ? o->dport : RAW_PORT);
	put16(p, (uint16_t)(8 + plen));
	put16(p, 0);
	putb(p, pl, plen);
	l4_6_fix(p, 17, 6);
}

static void
icmp4(struct pk *p, const struct fo *o, uint8_t type, const uint8_t *pl, uint32_t plen)
{
	ip4(p, o, 1, 8 + plen, 0x4321, 0);
	put8(p, type);
	put8(p, 0);
	put16(p, 0);
	put16(p, 0x0abc);           /* identifier */
	put16(p, 7);                /* sequence */
	putb(p, pl, plen);
	set16(p, p->l4 + 2, slc_test_csum_fold(slc_test_sum16(p->b + p->l4, 8 + plen, 0)));
}

static void
icmp6(struct pk *p, const struct fo *o, const uint8_t *msg, uint32_t mlen)
{
	ip6(p, o, 58, mlen);
	putb(p, msg, mlen);
	l4_6_fix(p, 58, 2);
}

/* Neighbour solicitation for target, with a source link-layer address option if slla. */
static void
ns(struct pk *p, const struct fo *o, const char *target, bool slla)
{
	uint8_t m[32] = { 135, 0 };
	uint32_t n = 24;

	a6(target, m + 8);
	if (slla) {
		m[24] = 1;
		m[25] = 1;
		memcpy(m + 26, o->smac != NULL ? o->smac : peer_mac, 6);
		n = 32;
	}
	icmp6(p, o, m, n);
}

static void
arp(struct pk *p, const struct fo *o, uint16_t op, uint32_t tip)
{
	struct fo b = *o;

	if (b.dmac == NULL)
		b.dmac = bcast_mac;
	eth(p, &b, 0x0806);
	put16(p, 1);
	put16(p, 0x0800);
	put8(p, 6);
	put8(p, 4);
	put16(p, op);
	putb(p, b.smac != NULL ? b.smac : peer_mac, 6);
	put32(p, b.src4 != 0 ? b.src4 : PEER4);
	memset(p->b + p->n, 0, 6);
	p->n += 6;
	put32(p, tip);
}

static void
pad(struct pk *p, uint32_t min, uint8_t fill)
{
	while (p->n < min)
		p->b[p->n++] = fill;
}

/* A whole UDP datagram (header and payload) for fragmenting. */
static uint32_t
dgram4(uint8_t *out, uint32_t src, uint32_t dst, uint16_t dport, const uint8_t *pl, uint32_t plen)
{
	uint8_t s[4], d[4];
	uint16_t ck;

	out[0] = SPORT >> 8;
	out[1] = SPORT & 0xff;
	out[2] = (uint8_t)(dport >> 8);
	out[3] = (uint8_t)dport;
	out[4] = (uint8_t)((8 + plen) >> 8);
	out[5] = (uint8_t)(8 + plen);
	out[6] = out[7] = 0;
	memcpy(out + 8, pl, plen);
	src = htonl(src);
	dst = htonl(dst);
	memcpy(s, &src, 4);
	memcpy(d, &dst, 4);
	ck = l4sum(s, d, 4, 17, out, 8 + plen);
	out[6] = (uint8_t)(ck >> 8);
	out[7] = (uint8_t)ck;
	if (ck == 0)
		out[6] = out[7] = 0xff;
	return 8 + plen;
}

/* One IPv4 fragment: bytes [ofs, ofs + len) of data, proto, id. */
static void
frag(struct pk *p, const struct fo *o, uint16_t id, uint8_t proto, uint32_t ofs, bool mf,
	const uint8_t *data, uint32_t len)
{
	ip4(p, o, proto, len, id, (uint16_t)((mf ? 0x2000 : 0) | (ofs / 8)));
	putb(p, data + ofs, len);
}

/* --------------------------------------------------------------- driving */

static struct rte_mbuf *
mk(const struct pk *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d;

	CU_ASSERT_FATAL(m != NULL);
	d = rte_pktmbuf_append(m, (uint16_t)p->n);
	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, p->b, p->n);
	return m;
}

static enum slc_pkt_verdict
cl(struct slc_pkt_ctx *c, const struct pk *p, struct slc_pkt_udp *u)
{
	return slc_pkt_classify(c, 0, mk(p), now, u);
}

static enum slc_pkt_verdict
cl_flags(struct slc_pkt_ctx *c, const struct pk *p, uint64_t ol, struct slc_pkt_udp *u)
{
	struct rte_mbuf *m = mk(p);

	m->ol_flags |= ol;
	return slc_pkt_classify(c, 0, m, now, u);
}

static void
cfg_base(void)
{
	slc_pkt_cfg_default(&cfg);
	CU_ASSERT_FATAL(slc_pkt_cfg_add_ip(&cfg, "192.0.2.1/24") == 0);
	CU_ASSERT_FATAL(slc_pkt_cfg_add_ip(&cfg, OUR6 "/64") == 0);
	cfg.udp_mode[RAW_PORT] = SLC_PKT_MODE_RAW;
	cfg.udp_mode[FRAMED_PORT] = SLC_PKT_MODE_FRAMED;
}

static struct slc_pkt_ctx *
ctx_from_cfg(void)
{
	struct slc_pkt_ctx *c = slc_pkt_ctx_create(&cfg, SOCKET_ID_ANY);

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_FATAL(slc_pkt_ctx_set_port(c, 0, (const struct rte_ether_addr *)our_mac) == 0);
	return c;
}

static struct slc_pkt_ctx *
ctx_base(void)
{
	cfg_base();
	return ctx_from_cfg();
}

/* Housekeep far in the future, free, and check that every mbuf came home. */
static void
finish(struct slc_pkt_ctx *c)
{
	slc_pkt_housekeep(c, now + 1000 * rte_get_tsc_hz());
	slc_pkt_ctx_free(c);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
}

#define STAT_FIELDS(X) X(rx) X(udp) X(tcp) X(frags) X(reassembled) X(arp_replies) X(icmp_replies) \
	X(nd_replies)

/* The counters moved by exactly d since before; prints what differs. */
static bool
delta_is(const struct slc_pkt_ctx *c, const struct slc_pkt_stats *before,
	const struct slc_pkt_stats *d, const char *what)
{
	const struct slc_pkt_stats *s = slc_pkt_ctx_stats(c);
	bool ok = true;
	int i;

#define CMP(f) \
	if (s->f - before->f != d->f) { \
		fprintf(stderr, "\n%s: " #f " moved by %lu, expected %lu", what, \
			(unsigned long)(s->f - before->f), (unsigned long)d->f); \
		ok = false; \
	}
	STAT_FIELDS(CMP)
#undef CMP
	for (i = 0; i < SLC_PKT_D_MAX; i++)
		if (s->drop[i] - before->drop[i] != d->drop[i]) {
			fprintf(stderr, "\n%s: drop %s moved by %lu, expected %lu", what,
				slc_pkt_drop_name(i), (unsigned long)(s->drop[i] - before->drop[i]),
				(unsigned long)d->drop[i]);
			ok = false;
		}
	return ok;
}

#define DELTA(c, before, what, ...) \
	CU_ASSERT(delta_is((c), (before), &(struct slc_pkt_stats){ __VA_ARGS__ }, (what)))

/* Classify p: dropped with exactly one counter, cause d. */
static void
expect_drop(struct slc_pkt_ctx *c, const struct pk *p, uint64_t ol, enum slc_pkt_drop d,
	const char *what)
{
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c), exp = { .rx = 1 };
	struct slc_pkt_udp u;
	enum slc_pkt_verdict v;

	v = cl_flags(c, p, ol, &u);
	if (v != SLC_PKT_DROPPED)
		fprintf(stderr, "\n%s: verdict %d, expected dropped", what, v);
	CU_ASSERT_EQUAL(v, SLC_PKT_DROPPED);
	exp.drop[d] = 1;
	CU_ASSERT(delta_is(c, &before, &exp, what));
}

static void
fill(uint8_t *b, uint32_t n, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

/* ---------------------------------------------------------------- config */

static void
test_slc_pkt_cfg_add_ip_parse(void)
{
	static const char *const bad[] = {
		"", "/24", "192.0.2.1/", "192.0.2.1/33", "192.0.2.1/2a", "192.0.2.1/0024",
		"192.0.2.1/-1", "192.0.2", "192.0.2.256", "abc", "0.0.0.0", "224.0.0.1",
		"255.255.255.255", "2001:db8::1/129", "::", "ff02::1", "2001:db8::1/", "[2001:db8::1]",
		"2001:db8::1 ", "192.0.2.1/24/1",
	};
	uint8_t want6[16];
	uint32_t i;
	char s[32];

	slc_pkt_cfg_default(&cfg);
	CU_ASSERT_EQUAL(cfg.max_datagram, 65507);
	CU_ASSERT_EQUAL(cfg.frag_max_flows, 4096);
	CU_ASSERT_EQUAL(cfg.frag_ttl_ms, 2000);
	CU_ASSERT_EQUAL(cfg.accept_any_dst, false);
	CU_ASSERT_EQUAL(cfg.udp_mode[0], SLC_PKT_MODE_NONE);
	CU_ASSERT_EQUAL(cfg.udp_mode[65535], SLC_PKT_MODE_NONE);

	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "192.0.2.1/24"), 0);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "198.51.100.9"), 0);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "2001:db8::1/64"), 0);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "fe80::1"), 0);
	CU_ASSERT_EQUAL(cfg.n_ip4, 2);
	CU_ASSERT_EQUAL(cfg.ip4[0].addr, htonl(0xc0000201));
	CU_ASSERT_EQUAL(cfg.ip4[0].prefix, 24);
	CU_ASSERT_EQUAL(cfg.ip4[1].addr, htonl(0xc6336409));
	CU_ASSERT_EQUAL(cfg.ip4[1].prefix, 32);
	CU_ASSERT_EQUAL(cfg.n_ip6, 2);
	a6("2001:db8::1", want6);
	CU_ASSERT(memcmp(cfg.ip6[0].addr, want6, 16) == 0);
	CU_ASSERT_EQUAL(cfg.ip6[0].prefix, 64);
	CU_ASSERT_EQUAL(cfg.ip6[1].prefix, 128);

	/* The same address again: nothing added. */
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "192.0.2.1/24"), 0);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "2001:db8:0::1"), 0);
	CU_ASSERT_EQUAL(cfg.n_ip4, 2);
	CU_ASSERT_EQUAL(cfg.n_ip6, 2);

	for (i = 0; i < RTE_DIM(bad); i++) {
		int rc = slc_pkt_cfg_add_ip(&cfg, bad[i]);

		if (rc != -EINVAL)
			fprintf(stderr, "\n\"%s\": %d", bad[i], rc);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, NULL), -EINVAL);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(NULL, "192.0.2.1"), -EINVAL);
	CU_ASSERT_EQUAL(cfg.n_ip4, 2);
	CU_ASSERT_EQUAL(cfg.n_ip6, 2);

	/* Full lists. */
	for (i = 2; i < SLC_PKT_MAX_ADDRS; i++) {
		snprintf(s, sizeof(s), "10.0.0.%u/8", i);
		CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, s), 0);
		snprintf(s, sizeof(s), "2001:db8::%x", 0x100 + i);
		CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, s), 0);
	}
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "10.0.0.200"), -ENOSPC);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "2001:db8::200"), -ENOSPC);
	CU_ASSERT_EQUAL(slc_pkt_cfg_add_ip(&cfg, "10.0.0.300"), -EINVAL);
	CU_ASSERT_EQUAL(cfg.n_ip4, SLC_PKT_MAX_ADDRS);
	CU_ASSERT_EQUAL(cfg.n_ip6, SLC_PKT_MAX_ADDRS);
}

static void
test_slc_pkt_ctx_create_einval(void)
{
	struct slc_pkt_ctx *c;
	int i;

	for (i = 0; i < 8; i++) {
		cfg_base();
		switch (i) {
		case 0: cfg.n_ip4 = SLC_PKT_MAX_ADDRS + 1; break;
		case 1: cfg.n_ip6 = SLC_PKT_MAX_ADDRS + 1; break;
		case 2: cfg.max_datagram = 0; break;
		case 3: cfg.max_datagram = 65528; break;
		case 4: cfg.udp_mode[7] = 3; break;
		case 5: cfg.frag_ttl_ms = 0; break;
		case 6: cfg.ip4[0].prefix = 33; break;
		case 7: cfg.frag_max_flows = (1u << 20) + 1; break;
		}
		rte_errno = 0;
		c = slc_pkt_ctx_create(&cfg, SOCKET_ID_ANY);
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_EQUAL(rte_errno, EINVAL);
		slc_pkt_ctx_free(c);
	}
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(slc_pkt_ctx_create(NULL, SOCKET_ID_ANY));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);

	/* Reassembly off and the largest datagram are fine. */
	cfg_base();
	cfg.frag_max_flows = 0;
	cfg.frag_ttl_ms = 0;
	cfg.max_datagram = 65527;
	c = slc_pkt_ctx_create(&cfg, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL(c);
	slc_pkt_ctx_free(c);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
}

static void
test_slc_pkt_ctx_set_port_einval(void)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t zero[6];
	struct slc_pkt_ctx *c = ctx_base();

	CU_ASSERT_EQUAL(slc_pkt_ctx_set_port(c, SLC_PKT_MAX_PORTS,
		(const struct rte_ether_addr *)our_mac), -EINVAL);
	CU_ASSERT_EQUAL(slc_pkt_ctx_set_port(c, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(slc_pkt_ctx_set_port(c, 1, (const struct rte_ether_addr *)mcast), -EINVAL);
	CU_ASSERT_EQUAL(slc_pkt_ctx_set_port(c, 1, (const struct rte_ether_addr *)zero), -EINVAL);
	CU_ASSERT_EQUAL(slc_pkt_ctx_set_port(c, 15, (const struct rte_ether_addr *)other_mac), 0);
	finish(c);
}

static void
test_slc_pkt_drop_name_all(void)
{
	static const char *const want[SLC_PKT_D_MAX] = {
		"runt", "oversize", "ethertype", "vlan", "not_ours", "ip4_hdr", "ip4_csum",
		"ip4_len", "ip6_hdr", "ip6_ext", "frag", "l4_proto", "udp_hdr", "udp_csum",
		"udp_port", "arp", "icmp", "tx_full", "tcp_hdr", "tcp_csum", "tcp_port",
	};
	int i;

	for (i = 0; i < SLC_PKT_D_MAX; i++)
		CU_ASSERT_STRING_EQUAL(slc_pkt_drop_name(i), want[i]);
	CU_ASSERT_STRING_EQUAL(slc_pkt_drop_name(SLC_PKT_D_MAX), "unknown");
}

static void
test_slc_pkt_src_key_formats(void)
{
	static const char *const v6[] = {
		"2001:db8::7", "::1", "::ffff:1.2.3.4", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	static const uint32_t v4[] = { 0xc0000207, 0, 0xffffffff, 0x0a000001, 0x01020304 };
	static const uint16_t ports[] = { 5000, 0, 65535, 9, 10000 };
	struct slc_pkt_udp u;
	char buf[64], want[80], a[64];
	uint32_t i, be;
	int n;

	for (i = 0; i < RTE_DIM(v4); i++) {
		memset(&u, 0, sizeof(u));
		u.family = 4;
		be = htonl(v4[i]);
		memcpy(u.src, &be, 4);
		u.src_port = ports[i];
		inet_ntop(AF_INET, &be, a, sizeof(a));
		snprintf(want, sizeof(want), "%s:%u", a, ports[i]);
		n = slc_pkt_src_key(&u, buf);
		CU_ASSERT_STRING_EQUAL(buf, want);
		CU_ASSERT_EQUAL(n, (int)strlen(want));
	}
	for (i = 0; i < RTE_DIM(v6); i++) {
		memset(&u, 0, sizeof(u));
		u.family = 6;
		a6(v6[i], u.src);
		u.src_port = ports[i % RTE_DIM(ports)];
		snprintf(want, sizeof(want), "[%s]:%u", v6[i], u.src_port);
		n = slc_pkt_src_key(&u, buf);
		CU_ASSERT_STRING_EQUAL(buf, want);
		CU_ASSERT_EQUAL(n, (int)strlen(want));
	}
	memset(&u, 0, sizeof(u));
	u.family = 6;
	memset(u.src, 0xff, 16);
	u.src_port = 65535;
	n = slc_pkt_src_key(&u, buf);
	CU_ASSERT_STRING_EQUAL(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	CU_ASSERT(n < 64);
	u.family = 5;
	CU_ASSERT_EQUAL(slc_pkt_src_key(&u, buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

/* ----------------------------------------------------------- good frames */

static void
check_udp(const struct slc_pkt_udp *u, uint8_t family, enum slc_pkt_mode mode, uint16_t dport,
	const uint8_t *pl, uint32_t plen, const char *key)
{
	char buf[64];

	CU_ASSERT_EQUAL(u->family, family);
	CU_ASSERT_EQUAL(u->mode, mode);
	CU_ASSERT_EQUAL(u->src_port, SPORT);
	CU_ASSERT_EQUAL(u->dst_port, dport);
	CU_ASSERT_EQUAL_FATAL(u->len, plen);
	CU_ASSERT(memcmp(u->payload, pl, plen) == 0);
	slc_pkt_src_key(u, buf);
	CU_ASSERT_STRING_EQUAL(buf, key);
}

static void
test_slc_pkt_classify_udp4(void)
{
	static const uint16_t qinq[2] = { 0x88a8, 0x8100 };
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[1400];
	struct pk p;
	int tags;

	fill(pl, sizeof(pl), 1);
	for (tags = 0; tags <= 2; tags++) {
		o.ntags = tags;
		memcpy(o.tpid, qinq + (tags == 1), sizeof(uint16_t) * (size_t)tags);
		udp4(&p, &o, pl, sizeof(pl));
		before = *slc_pkt_ctx_stats(c);
		CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
		check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, sizeof(pl), "192.0.2.7:40000");
		CU_ASSERT(u.src[0] == 192 && u.src[1] == 0 && u.src[2] == 2 && u.src[3] == 7);
		/* The payload lies in the mbuf. */
		CU_ASSERT_PTR_EQUAL(u.payload, rte_pktmbuf_mtod_offset(u.m, uint8_t *, p.l4 + 8));
		DELTA(c, &before, "udp4", .rx = 1, .udp = 1);
		rte_pktmbuf_free(u.m);
	}
	/* 802.1Q twice (old-style QinQ) is two tags too. */
	o.ntags = 2;
	o.tpid[0] = o.tpid[1] = 0x8100;
	o.dport = FRAMED_PORT;
	udp4(&p, &o, pl, 10);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 4, SLC_PKT_MODE_FRAMED, FRAMED_PORT, pl, 10, "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);

	/* Empty payload. */
	memset(&o, 0, sizeof(o));
	udp4(&p, &o, pl, 0);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	CU_ASSERT_EQUAL(u.len, 0);
	rte_pktmbuf_free(u.m);
	finish(c);
}

static void
test_slc_pkt_classify_udp6(void)
{
	static const uint16_t qinq[2] = { 0x88a8, 0x8100 };
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { .dport = FRAMED_PORT };
	uint8_t pl[1000], want[16];
	struct pk p;
	int tags;

	fill(pl, sizeof(pl), 2);
	a6(PEER6, want);
	for (tags = 0; tags <= 2; tags++) {
		o.ntags = tags;
		memcpy(o.tpid, qinq + (tags == 1), sizeof(uint16_t) * (size_t)tags);
		udp6(&p, &o, pl, sizeof(pl));
		before = *slc_pkt_ctx_stats(c);
		CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
		check_udp(&u, 6, SLC_PKT_MODE_FRAMED, FRAMED_PORT, pl, sizeof(pl),
			"[2001:db8::7]:40000");
		CU_ASSERT(memcmp(u.src, want, 16) == 0);
		DELTA(c, &before, "udp6", .rx = 1, .udp = 1);
		rte_pktmbuf_free(u.m);
	}
	finish(c);
}

static void
test_slc_pkt_classify_udp4_zero_cksum_and_padding(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[3] = { 'a', 'b', 'c' };
	struct pk p;

	/* No checksum on IPv4: accepted. */
	udp4(&p, &o, pl, 3);
	set16(&p, p.l4 + 6, 0);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, 3, "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);

	/* Ethernet padding of garbage is ignored, checksum included. */
	udp4(&p, &o, pl, 3);
	pad(&p, 60, 0xee);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, 3, "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);

	udp6(&p, &o, pl, 3);
	pad(&p, 90, 0xee);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 6, SLC_PKT_MODE_RAW, RAW_PORT, pl, 3, "[2001:db8::7]:40000");
	rte_pktmbuf_free(u.m);

	/* A UDP length shorter than the IP payload: the checksum covers the UDP length. */
	udp4(&p, &o, pl, 3);
	set16(&p, p.l4 + 4, 10);
	udp4_fix(&p);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, 2, "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);

	/* Offload flags are trusted: GOOD over a bad checksum, NONE (verified) too. */
	udp4(&p, &o, pl, 3);
	p.b[p.l4 + 6] ^= 0x5a;
	CU_ASSERT_EQUAL_FATAL(cl_flags(c, &p, RTE_MBUF_F_RX_L4_CKSUM_GOOD, &u), SLC_PKT_DATAGRAM);
	rte_pktmbuf_free(u.m);
	CU_ASSERT_EQUAL_FATAL(cl_flags(c, &p, RTE_MBUF_F_RX_L4_CKSUM_NONE, &u), SLC_PKT_DATAGRAM);
	rte_pktmbuf_free(u.m);
	udp4(&p, &o, pl, 3);
	p.b[p.l3 + 10] ^= 0x5a;
	CU_ASSERT_EQUAL_FATAL(cl_flags(c, &p, RTE_MBUF_F_RX_IP_CKSUM_GOOD, &u), SLC_PKT_DATAGRAM);
	rte_pktmbuf_free(u.m);
	finish(c);
}

/* A datagram whose payload spans two segments (scattered rx) comes out contiguous. */
static void
test_slc_pkt_classify_udp_chained(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct rte_mbuf *m, *m2;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[600];
	struct pk p;
	uint32_t cut;
	int fam;

	fill(pl, sizeof(pl), 3);
	for (fam = 4; fam <= 6; fam += 2) {
		if (fam == 4)
			udp4(&p, &o, pl, sizeof(pl));
		else
			udp6(&p, &o, pl, sizeof(pl));
		cut = p.l4 + 8 + 100;
		m = rte_pktmbuf_alloc(pool);
		m2 = rte_pktmbuf_alloc(pool);
		CU_ASSERT_FATAL(m != NULL && m2 != NULL);
		memcpy(rte_pktmbuf_append(m, (uint16_t)cut), p.b, cut);
		memcpy(rte_pktmbuf_append(m2, (uint16_t)(p.n - cut)), p.b + cut, p.n - cut);
		CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
		CU_ASSERT_EQUAL_FATAL(slc_pkt_classify(c, 0, m, now, &u), SLC_PKT_DATAGRAM);
		check_udp(&u, (uint8_t)fam, SLC_PKT_MODE_RAW, RAW_PORT, pl, sizeof(pl),
			fam == 4 ? "192.0.2.7:40000" : "[2001:db8::7]:40000");
		CU_ASSERT_PTR_EQUAL(u.m, m);
		rte_pktmbuf_free(u.m);
	}
	finish(c);
}

/* ------------------------------------------------------------------- TCP */

#define TCP_PORT 8000
#define TCP_SEQ 0x01020304u
#define TCP_ACK 0x0a0b0c0du

/*
 * A TCP segment to o->dport (TCP_PORT) with a 4-byte MSS option (data offset 6)
 * and pl[0..plen); fam 4 or 6. Checksum correct.
 */
static void
tcp_seg(struct pk *p, const struct fo *o, int fam, const uint8_t *pl, uint32_t plen)
{
	uint32_t tl = 24 + plen;

	if (fam == 4)
		ip4(p, o, 6, tl, 0x1111, 0x4000);     /* DF */
	else
		ip6(p, o, 6, tl);
	put16(p, o->sport != 0 ? o->sport : SPORT);
	put16(p, o->dport != 0 ? o->dport : TCP_PORT);
	put32(p, TCP_SEQ);
	put32(p, TCP_ACK);
	put8(p, 6 << 4);
	put8(p, 0x18);                  /* PSH ACK */
	put16(p, 65535);
	put16(p, 0);                    /* checksum */
	put16(p, 0);                    /* urgent */
	put8(p, 2);                     /* MSS 1460 */
	put8(p, 4);
	put16(p, 1460);
	putb(p, pl, plen);
	if (fam == 4)
		set16(p, p->l4 + 16, l4sum(p->b + p->l3 + 12, p->b + p->l3 + 16, 4, 6,
			p->b + p->l4, tl));
	else
		l4_6_fix(p, 6, 16);
}

static struct slc_pkt_ctx *
ctx_tcp(void)
{
	cfg_base();
	cfg.tcp_listen[TCP_PORT] = 1;
	return ctx_from_cfg();
}

static enum slc_pkt_verdict
cl_l4(struct slc_pkt_ctx *c, struct rte_mbuf *m, uint64_t ol, struct slc_pkt_tcp *t)
{
	struct slc_pkt_udp u;

	m->ol_flags |= ol;
	return slc_pkt_classify_l4(c, 0, m, now, &u, t);
}

/* Every field of a delivered segment of the frame p (payload pl[0..plen)). */
static void
check_tcp(const struct slc_pkt_tcp *t, const struct pk *p, int fam, const uint8_t *pl,
	uint32_t plen)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 }, buf[2048];

	CU_ASSERT_EQUAL(t->l2_len, p->l3);
	CU_ASSERT_EQUAL(t->l3_len, fam == 4 ? 20u : 40u);
	CU_ASSERT_EQUAL(t->th_len, 24u);
	CU_ASSERT_EQUAL(t->payload_off, p->l4 + 24);
	CU_ASSERT_EQUAL(t->payload_len, plen);
	CU_ASSERT_EQUAL(t->family, fam);
	CU_ASSERT_EQUAL(t->src_port, SPORT);
	CU_ASSERT_EQUAL(t->dst_port, TCP_PORT);
	CU_ASSERT_EQUAL(t->port, 0);
	CU_ASSERT_PTR_EQUAL(t->th, rte_pktmbuf_mtod_offset(t->m, void *, p->l4));
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(t->th->sent_seq), TCP_SEQ);
	CU_ASSERT_EQUAL(rte_be_to_cpu_32(t->th->recv_ack), TCP_ACK);
	CU_ASSERT_EQUAL(t->th->tcp_flags, 0x18);
	if (fam == 4) {
		uint32_t s4 = htonl(PEER4), d4 = htonl(OUR4);

		memcpy(a, &s4, 4);
		memcpy(b, &d4, 4);
	} else {
		a6(PEER6, a);
		a6(OUR6, b);
	}
	CU_ASSERT(memcmp(t->src, a, 16) == 0);
	CU_ASSERT(memcmp(t->dst, b, 16) == 0);
	CU_ASSERT_FATAL(plen <= sizeof(buf));
	CU_ASSERT(memcmp(rte_pktmbuf_read(t->m, t->payload_off, plen, buf), pl, plen) == 0);
}

static void
test_slc_pkt_classify_tcp_good(void)
{
	struct slc_pkt_ctx *c = ctx_tcp();
	struct slc_pkt_stats before;
	struct slc_pkt_tcp t;
	struct slc_pkt_udp u;
	struct rte_mbuf *m, *m2;
	struct fo o = { 0 };
	uint8_t pl[1000];
	struct pk p;
	uint32_t cut;
	int fam, tags;

	fill(pl, sizeof(pl), 5);
	for (fam = 4; fam <= 6; fam += 2) {
		for (tags = 0; tags <= 1; tags++) {
			o.ntags = tags;
			o.tpid[0] = 0x8100;
			tcp_seg(&p, &o, fam, pl, sizeof(pl));
			before = *slc_pkt_ctx_stats(c);
			m = mk(&p);
			CU_ASSERT_EQUAL_FATAL(cl_l4(c, m, 0, &t), SLC_PKT_TCP);
			CU_ASSERT_PTR_EQUAL(t.m, m);
			check_tcp(&t, &p, fam, pl, sizeof(pl));
			CU_ASSERT_EQUAL(t.l2_len, 14u + 4u * (uint32_t)tags);
			DELTA(c, &before, "tcp good", .rx = 1, .tcp = 1);
			rte_pktmbuf_free(t.m);
		}
		o.ntags = 0;
		/* A bare ACK: no payload. */
		tcp_seg(&p, &o, fam, pl, 0);
		CU_ASSERT_EQUAL_FATAL(cl_l4(c, mk(&p), 0, &t), SLC_PKT_TCP);
		check_tcp(&t, &p, fam, pl, 0);
		rte_pktmbuf_free(t.m);
		/* Ethernet padding after the IP packet is not payload. */
		tcp_seg(&p, &o, fam, pl, 2);
		pad(&p, 80, 0xee);
		CU_ASSERT_EQUAL_FATAL(cl_l4(c, mk(&p), 0, &t), SLC_PKT_TCP);
		CU_ASSERT_EQUAL(t.payload_len, 2u);
		rte_pktmbuf_free(t.m);
		/* Payload over two segments: the checksum covers the chain. */
		tcp_seg(&p, &o, fam, pl, sizeof(pl));
		cut = p.l4 + 24 + 300;
		m = rte_pktmbuf_alloc(pool);
		m2 = rte_pktmbuf_alloc(pool);
		CU_ASSERT_FATAL(m != NULL && m2 != NULL);
		memcpy(rte_pktmbuf_append(m, (uint16_t)cut), p.b, cut);
		memcpy(rte_pktmbuf_append(m2, (uint16_t)(p.n - cut)), p.b + cut, p.n - cut);
		CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
		CU_ASSERT_EQUAL_FATAL(cl_l4(c, m, 0, &t), SLC_PKT_TCP);
		check_tcp(&t, &p, fam, pl, sizeof(pl));
		rte_pktmbuf_free(t.m);
		/* The offload flag says good: not recomputed (the field is wrong here). */
		tcp_seg(&p, &o, fam, pl, 10);
		p.b[p.l4 + 16] ^= 0x55;
		CU_ASSERT_EQUAL_FATAL(cl_l4(c, mk(&p), RTE_MBUF_F_RX_L4_CKSUM_GOOD, &t),
			SLC_PKT_TCP);
		rte_pktmbuf_free(t.m);
	}
	/* slc_pkt_classify() (no TCP output) still drops TCP as l4_proto. */
	tcp_seg(&p, &o, 4, pl, 10);
	before = *slc_pkt_ctx_stats(c);
	CU_ASSERT_EQUAL(slc_pkt_classify(c, 0, mk(&p), now, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "tcp classify", .rx = 1, .drop[SLC_PKT_D_L4_PROTO] = 1);
	tcp_seg(&p, &o, 6, pl, 10);
	before = *slc_pkt_ctx_stats(c);
	CU_ASSERT_EQUAL(slc_pkt_classify(c, 0, mk(&p), now, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "tcp6 classify", .rx = 1, .drop[SLC_PKT_D_L4_PROTO] = 1);
	finish(c);
}

/* Classify m with a TCP output: dropped with exactly one counter, cause d (and frags). */
static void
expect_tcp_drop(struct slc_pkt_ctx *c, struct rte_mbuf *m, uint64_t ol, enum slc_pkt_drop d,
	const char *what)
{
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c), exp = { .rx = 1 };
	struct slc_pkt_tcp t;
	enum slc_pkt_verdict v;

	v = cl_l4(c, m, ol, &t);
	if (v != SLC_PKT_DROPPED)
		fprintf(stderr, "\n%s: verdict %d, expected dropped", what, v);
	CU_ASSERT_EQUAL(v, SLC_PKT_DROPPED);
	exp.drop[d] = 1;
	if (d == SLC_PKT_D_FRAG)
		exp.frags = 1;
	CU_ASSERT(delta_is(c, &before, &exp, what));
}

static void
test_slc_pkt_classify_tcp_drops(void)
{
	struct slc_pkt_ctx *c = ctx_tcp();
	struct fo o = { 0 };
	uint8_t pl[64];
	struct pk p;
	int fam;

	fill(pl, sizeof(pl), 9);
	for (fam = 4; fam <= 6; fam += 2) {
		/* tcp_csum: one payload bit flipped; the offload flag says bad. */
		tcp_seg(&p, &o, fam, pl, sizeof(pl));
		p.b[p.n - 1] ^= 1;
		expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_TCP_CSUM, "tcp csum");
		tcp_seg(&p, &o, fam, pl, sizeof(pl));
		expect_tcp_drop(c, mk(&p), RTE_MBUF_F_RX_L4_CKSUM_BAD, SLC_PKT_D_TCP_CSUM,
			"tcp csum flag");
		/* tcp_port: nobody listens on 8001. */
		o.dport = TCP_PORT + 1;
		tcp_seg(&p, &o, fam, pl, sizeof(pl));
		expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_TCP_PORT, "tcp port");
		o.dport = 0;
		/* tcp_hdr: data offset 4 (below 5). */
		tcp_seg(&p, &o, fam, pl, sizeof(pl));
		p.b[p.l4 + 12] = 4 << 4;
		expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_TCP_HDR, "tcp data offset 4");
		/* tcp_hdr: data offset 15 (60 bytes) past an 24 + 10 byte segment. */
		tcp_seg(&p, &o, fam, pl, 10);
		p.b[p.l4 + 12] = 15 << 4;
		expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_TCP_HDR, "tcp data offset past the end");
		/* tcp_hdr: an IP payload of 12 bytes, shorter than a TCP header. */
		if (fam == 4) {
			ip4(&p, &o, 6, 12, 1, 0);
		} else {
			ip6(&p, &o, 6, 12);
		}
		memset(p.b + p.n, 0, 12);
		p.n += 12;
		expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_TCP_HDR, "tcp truncated");
		/* not_ours: TCP to an address that is not ours. */
		if (fam == 4)
			o.dst4 = OTHER4;
		else
			o.dst6 = OTHER6;
		tcp_seg(&p, &o, fam, pl, sizeof(pl));
		expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_NOT_OURS, "tcp not ours");
		o.dst4 = 0;
		o.dst6 = NULL;
	}
	/* frag: IPv4 TCP fragments (first with MF, and a later one) are not reassembled. */
	tcp_seg(&p, &o, 4, pl, sizeof(pl));
	set16(&p, p.l3 + 6, 0x2000);
	ip4_fix(&p);
	expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_FRAG, "tcp first fragment");
	tcp_seg(&p, &o, 4, pl, sizeof(pl));
	set16(&p, p.l3 + 6, 0x0010);
	ip4_fix(&p);
	expect_tcp_drop(c, mk(&p), 0, SLC_PKT_D_FRAG, "tcp last fragment");
	finish(c);
}

static void
test_slc_pkt_classify_accept_any_dst(void)
{
	struct slc_pkt_ctx *c;
	struct slc_pkt_udp u;
	struct fo o = { .dmac = other_mac, .dst4 = 0x0a090807, .dst6 = "2001:db8:5::5" };
	uint8_t pl[5] = { 1, 2, 3, 4, 5 };
	struct pk p;

	cfg_base();
	cfg.accept_any_dst = true;
	c = ctx_from_cfg();
	udp4(&p, &o, pl, 5);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, 5, "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);
	udp6(&p, &o, pl, 5);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	check_udp(&u, 6, SLC_PKT_MODE_RAW, RAW_PORT, pl, 5, "[2001:db8::7]:40000");
	rte_pktmbuf_free(u.m);

	/* Still not ours: broadcast and multicast addresses, our subnet's broadcast,
	 * a multicast MAC, ICMP to someone else's address. */
	o.dst4 = 0xffffffff;
	udp4(&p, &o, pl, 5);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "any: 255.255.255.255");
	o.dst4 = 0xc00002ff;
	udp4(&p, &o, pl, 5);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "any: subnet broadcast");
	o.dst4 = 0xe0000001;
	udp4(&p, &o, pl, 5);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "any: 224.0.0.1");
	o.dst6 = "ff05::1";
	udp6(&p, &o, pl, 5);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "any: ff05::1");
	o.dst4 = 0x0a090807;
	o.dmac = (const uint8_t[6]){ 0x01, 0x00, 0x5e, 0, 0, 1 };
	udp4(&p, &o, pl, 5);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "any: multicast MAC");
	o.dmac = NULL;
	icmp4(&p, &o, 8, pl, 5);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "any: ping to another host");
	finish(c);
}

/* ----------------------------------------------------------- drop causes */

static void
test_slc_pkt_classify_drop_l2(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[8] = { 0 };
	struct pk p;

	udp4(&p, &o, pl, 8);
	p.n = 13;
	expect_drop(c, &p, 0, SLC_PKT_D_RUNT, "runt 13");
	p.n = 0;
	expect_drop(c, &p, 0, SLC_PKT_D_RUNT, "runt 0");

	eth(&p, &o, 0x88cc);
	pad(&p, 60, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_ETHERTYPE, "lldp");
	o.ntags = 1;
	o.tpid[0] = 0x8100;
	eth(&p, &o, 0x8863);
	pad(&p, 60, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_ETHERTYPE, "pppoe in a tag");

	/* Tags: three, 802.1ad inside, truncated. */
	o.ntags = 3;
	o.tpid[0] = 0x88a8;
	o.tpid[1] = o.tpid[2] = 0x8100;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_VLAN, "three tags");
	o.ntags = 2;
	o.tpid[0] = 0x8100;
	o.tpid[1] = 0x88a8;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_VLAN, "802.1ad inner");
	o.ntags = 1;
	udp4(&p, &o, pl, 8);
	p.n = 16;
	expect_drop(c, &p, 0, SLC_PKT_D_VLAN, "truncated tag");
	o.ntags = 2;
	o.tpid[0] = 0x88a8;
	o.tpid[1] = 0x8100;
	udp4(&p, &o, pl, 8);
	p.n = 20;
	expect_drop(c, &p, 0, SLC_PKT_D_VLAN, "truncated inner tag");

	/* Not ours at L2. */
	o.ntags = 0;
	o.dmac = other_mac;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "other MAC");
	o.dmac = bcast_mac;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "IPv4 to broadcast MAC");
	o.dmac = (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 };
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "IPv4 to 33:33");
	o.dmac = NULL;
	udp4(&p, &o, pl, 8);
	before = *slc_pkt_ctx_stats(c);
	CU_ASSERT_EQUAL(slc_pkt_classify(c, 3, mk(&p), now, &u), SLC_PKT_DROPPED);
	CU_ASSERT_EQUAL(slc_pkt_classify(c, SLC_PKT_MAX_PORTS, mk(&p), now, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "unknown ports", .rx = 2, .drop[SLC_PKT_D_NOT_OURS] = 2);
	finish(c);
}

static void
test_slc_pkt_classify_drop_ip4(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct fo o = { 0 };
	uint8_t pl[32] = { 0 };
	struct pk p;

	udp4(&p, &o, pl, 8);
	p.n = p.l3 + 19;
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_HDR, "truncated header");
	udp4(&p, &o, pl, 8);
	p.b[p.l3] = 0x55;
	ip4_fix(&p);
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_HDR, "version 5");
	udp4(&p, &o, pl, 8);
	p.b[p.l3] = 0x44;
	ip4_fix(&p);
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_HDR, "IHL 4");
	udp4(&p, &o, pl, 8);
	p.b[p.l3] = 0x4f;
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_HDR, "IHL 15 beyond the frame");

	udp4(&p, &o, pl, 8);
	p.b[p.l3 + 10] ^= 0x01;
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_CSUM, "header checksum");
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, RTE_MBUF_F_RX_IP_CKSUM_BAD, SLC_PKT_D_IP4_CSUM, "offload BAD");

	udp4(&p, &o, pl, 8);
	set16(&p, p.l3 + 2, (uint16_t)(p.n - p.l3 + 1));
	ip4_fix(&p);
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_LEN, "total length beyond the frame");
	udp4(&p, &o, pl, 8);
	set16(&p, p.l3 + 2, 19);
	ip4_fix(&p);
	expect_drop(c, &p, 0, SLC_PKT_D_IP4_LEN, "total length below the header");

	o.dst4 = OTHER4;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "other address");
	o.dst4 = 0xffffffff;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "broadcast address");
	o.dst4 = 0;

	ip4(&p, &o, 6, 20, 1, 0);
	pad(&p, p.n + 20, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_L4_PROTO, "tcp");
	ip4(&p, &o, 17, 4, 1, 0);
	pad(&p, p.n + 4, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_HDR, "4 bytes of UDP");

	udp4(&p, &o, pl, 8);
	set16(&p, p.l4 + 4, 7);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_HDR, "UDP length 7");
	udp4(&p, &o, pl, 8);
	set16(&p, p.l4 + 4, 17);
	pad(&p, 60, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_HDR, "UDP length beyond IP (into padding)");

	udp4(&p, &o, pl, 8);
	p.b[p.l4 + 8] ^= 0x80;
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_CSUM, "UDP checksum");
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, RTE_MBUF_F_RX_L4_CKSUM_BAD, SLC_PKT_D_UDP_CSUM, "offload L4 BAD");

	o.dport = 9999;
	udp4(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_PORT, "no listener");
	finish(c);
}

static void
test_slc_pkt_classify_drop_oversize(void)
{
	struct slc_pkt_ctx *c;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[201] = { 0 };
	struct pk p;

	cfg_base();
	cfg.max_datagram = 200;
	c = ctx_from_cfg();
	udp4(&p, &o, pl, 200);
	CU_ASSERT_EQUAL_FATAL(cl(c, &p, &u), SLC_PKT_DATAGRAM);
	rte_pktmbuf_free(u.m);
	udp4(&p, &o, pl, 201);
	expect_drop(c, &p, 0, SLC_PKT_D_OVERSIZE, "v4 201 > 200");
	udp6(&p, &o, pl, 201);
	expect_drop(c, &p, 0, SLC_PKT_D_OVERSIZE, "v6 201 > 200");
	finish(c);
}

static void
test_slc_pkt_classify_drop_ip6(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct fo o = { 0 };
	uint8_t pl[16] = { 0 };
	struct pk p;

	udp6(&p, &o, pl, 8);
	p.n = p.l3 + 39;
	expect_drop(c, &p, 0, SLC_PKT_D_IP6_HDR, "truncated header");
	udp6(&p, &o, pl, 8);
	p.b[p.l3] = 0x40;
	expect_drop(c, &p, 0, SLC_PKT_D_IP6_HDR, "version 4");
	udp6(&p, &o, pl, 8);
	set16(&p, p.l3 + 4, 17);
	expect_drop(c, &p, 0, SLC_PKT_D_IP6_HDR, "payload length beyond the frame");

	o.dst6 = OTHER6;
	udp6(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "other address");
	o.dst6 = "ff02::1:ff00:1";     /* our solicited-node group: only for NS */
	udp6(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "UDP to the solicited-node group");
	o.dst6 = NULL;

	ip6(&p, &o, 0, 16);
	pad(&p, p.n + 16, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_IP6_EXT, "hop-by-hop");
	ip6(&p, &o, 44, 16);
	pad(&p, p.n + 16, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_IP6_EXT, "fragment header");
	ip6(&p, &o, 60, 16);
	pad(&p, p.n + 16, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_IP6_EXT, "destination options");
	ip6(&p, &o, 6, 20);
	pad(&p, p.n + 20, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_L4_PROTO, "tcp");

	ip6(&p, &o, 17, 6);
	pad(&p, p.n + 6, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_HDR, "6 bytes of UDP");
	udp6(&p, &o, pl, 8);
	set16(&p, p.l4 + 4, 17);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_HDR, "UDP length beyond the payload");
	udp6(&p, &o, pl, 8);
	set16(&p, p.l4 + 6, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_CSUM, "zero checksum on IPv6");
	udp6(&p, &o, pl, 8);
	p.b[p.l4 + 9] ^= 1;
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_CSUM, "bad checksum");
	o.dport = 9;
	udp6(&p, &o, pl, 8);
	expect_drop(c, &p, 0, SLC_PKT_D_UDP_PORT, "no listener");
	finish(c);
}

static void
test_slc_pkt_classify_drop_arp_icmp(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	uint8_t pl[16] = { 0 }, ra[16] = { 134, 0 };
	struct fo o = { 0 };
	struct pk p;

	arp(&p, &o, 2, OUR4);
	pad(&p, 60, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_ARP, "ARP reply");
	arp(&p, &o, 1, OUR4);
	p.b[p.l3 + 4] = 5;
	expect_drop(c, &p, 0, SLC_PKT_D_ARP, "hlen 5");
	arp(&p, &o, 1, OUR4);
	set16(&p, p.l3 + 2, 0x86dd);
	expect_drop(c, &p, 0, SLC_PKT_D_ARP, "protocol IPv6");
	arp(&p, &o, 1, OUR4);
	p.n -= 1;
	expect_drop(c, &p, 0, SLC_PKT_D_ARP, "truncated");
	arp(&p, &o, 1, OTHER4);
	pad(&p, 60, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "request for another address");
	o.dmac = other_mac;
	arp(&p, &o, 1, OUR4);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "request to another MAC");
	o.dmac = NULL;

	icmp4(&p, &o, 13, pl, 12);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "timestamp request");
	icmp4(&p, &o, 0, pl, 12);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "echo reply");
	icmp4(&p, &o, 8, pl, 12);
	p.b[p.l4 + 9] ^= 4;
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "echo checksum");
	ip4(&p, &o, 1, 4, 1, 0);
	pad(&p, p.n + 4, 0);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "4 bytes of ICMP");
	o.dst4 = OTHER4;
	icmp4(&p, &o, 8, pl, 12);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "ping to another address");
	o.dst4 = 0;

	icmp6(&p, &o, ra, sizeof(ra));
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "router advertisement");
	ra[0] = 128;
	icmp6(&p, &o, ra, sizeof(ra));
	p.b[p.l4 + 10] ^= 1;
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "ICMPv6 echo checksum");
	o.dst6 = OTHER6;
	icmp6(&p, &o, ra, sizeof(ra));
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "ICMPv6 echo to another address");
	o.dst6 = NULL;
	o.hop = 64;
	ns(&p, &o, OUR6, true);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "NS with hop limit 64");
	o.hop = 255;
	ns(&p, &o, OTHER6, true);
	expect_drop(c, &p, 0, SLC_PKT_D_NOT_OURS, "NS for another target");
	ns(&p, &o, OUR6, true);
	p.b[p.l4 + 25] = 0;           /* option length 0 */
	l4_6_fix(&p, 58, 2);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "NS option of length 0");
	ns(&p, &o, OUR6, true);
	p.b[p.l4 + 25] = 2;           /* option beyond the message */
	l4_6_fix(&p, 58, 2);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "NS option beyond the message");
	o.src6 = "::";
	ns(&p, &o, OUR6, false);
	expect_drop(c, &p, 0, SLC_PKT_D_ICMP, "DAD NS not to the solicited-node group");
	finish(c);
}

/* --------------------------------------------------------------- replies */

static struct rte_mbuf *
one_pending(struct slc_pkt_ctx *c)
{
	struct rte_mbuf **tx;

	CU_ASSERT_EQUAL_FATAL(slc_pkt_tx_pending(c, 0, &tx), 1);
	return tx[0];
}

static void
test_slc_pkt_classify_arp_reply(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before;
	uint8_t want[64];
	struct rte_mbuf *r;
	struct pk p, w;
	struct fo o = { 0 };
	int tags;

	for (tags = 0; tags <= 1; tags++) {
		o.ntags = tags;
		o.tpid[0] = 0x8100;
		arp(&p, &o, 1, OUR4);
		pad(&p, 60, 0);
		before = *slc_pkt_ctx_stats(c);
		CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
		DELTA(c, &before, "arp", .rx = 1, .arp_replies = 1);

		/* The exact reply, tag kept. */
		w.n = 0;
		putb(&w, peer_mac, 6);
		putb(&w, our_mac, 6);
		if (tags) {
			put16(&w, 0x8100);
			put16(&w, 100);
		}
		put16(&w, 0x0806);
		put16(&w, 1);
		put16(&w, 0x0800);
		put8(&w, 6);
		put8(&w, 4);
		put16(&w, 2);
		putb(&w, our_mac, 6);
		put32(&w, OUR4);
		putb(&w, peer_mac, 6);
		put32(&w, PEER4);
		pad(&w, 60, 0);
		memcpy(want, w.b, w.n);
		r = one_pending(c);
		CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(r), 60);
		CU_ASSERT(memcmp(rte_pktmbuf_mtod(r, uint8_t *), want, 60) == 0);
		slc_pkt_tx_done(c, 0, 0);     /* unsent: freed and counted */
		DELTA(c, &before, "arp unsent", .rx = 1, .arp_replies = 1,
			.drop[SLC_PKT_D_TX_FULL] = 1);
	}
	finish(c);
}

static void
test_slc_pkt_tx_done_full_queue(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c);
	struct rte_mbuf **tx;
	struct fo o = { 0 };
	struct pk p;
	uint16_t n, i;

	arp(&p, &o, 1, OUR4);
	pad(&p, 60, 0);
	for (i = 0; i < SLC_PKT_TXQ_LEN; i++)
		CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_DROPPED);
	DELTA(c, &before, "full", .rx = SLC_PKT_TXQ_LEN + 1, .arp_replies = SLC_PKT_TXQ_LEN,
		.drop[SLC_PKT_D_TX_FULL] = 1);
	n = slc_pkt_tx_pending(c, 0, &tx);
	CU_ASSERT_EQUAL(n, SLC_PKT_TXQ_LEN);
	/* "Send" the first 10 (the PMD would free them), the rest are freed as tx_full. */
	for (i = 0; i < 10; i++)
		rte_pktmbuf_free(tx[i]);
	slc_pkt_tx_done(c, 0, 10);
	DELTA(c, &before, "sent 10", .rx = SLC_PKT_TXQ_LEN + 1, .arp_replies = SLC_PKT_TXQ_LEN,
		.drop[SLC_PKT_D_TX_FULL] = 1 + SLC_PKT_TXQ_LEN - 10);
	CU_ASSERT_EQUAL(slc_pkt_tx_pending(c, 0, &tx), 0);
	CU_ASSERT_EQUAL(slc_pkt_tx_pending(c, SLC_PKT_MAX_PORTS, &tx), 0);
	slc_pkt_tx_done(c, SLC_PKT_MAX_PORTS, 0);

	/* Queued replies still held at free time go back too. */
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	finish(c);
}

static void
test_slc_pkt_classify_echo4_reply(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c);
	struct rte_mbuf *r;
	struct fo o = { .ntags = 1, .tpid = { 0x8100 } };
	uint8_t pl[56];
	const uint8_t *b;
	struct pk p;
	uint32_t l3 = 18, l4 = 38;

	fill(pl, sizeof(pl), 4);
	icmp4(&p, &o, 8, pl, sizeof(pl));
	pad(&p, p.n + 6, 0xee);            /* trailing garbage beyond the IP datagram */
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	DELTA(c, &before, "echo", .rx = 1, .icmp_replies = 1);
	r = one_pending(c);
	b = rte_pktmbuf_mtod(r, const uint8_t *);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(r), l4 + 8 + sizeof(pl));
	CU_ASSERT(memcmp(b, peer_mac, 6) == 0);
	CU_ASSERT(memcmp(b + 6, our_mac, 6) == 0);
	CU_ASSERT(get16(b + 12) == 0x8100 && get16(b + 14) == 100 && get16(b + 16) == 0x0800);
	CU_ASSERT_EQUAL(slc_test_csum_fold(slc_test_sum16(b + l3, 20, 0)), 0);                 /* header checksum */
	CU_ASSERT_EQUAL(get16(b + l3 + 2), 20 + 8 + sizeof(pl));
	CU_ASSERT(b[l3 + 12] == 192 && b[l3 + 15] == 1);                 /* from us */
	CU_ASSERT(b[l3 + 16] == 192 && b[l3 + 19] == 7);                 /* to the peer */
	CU_ASSERT_EQUAL(b[l4], 0);                                       /* echo reply */
	CU_ASSERT_EQUAL(b[l4 + 1], 0);
	CU_ASSERT_EQUAL(slc_test_csum_fold(slc_test_sum16(b + l4, 8 + sizeof(pl), 0)), 0);     /* ICMP checksum */
	CU_ASSERT_EQUAL(get16(b + l4 + 4), 0x0abc);
	CU_ASSERT_EQUAL(get16(b + l4 + 6), 7);
	CU_ASSERT(memcmp(b + l4 + 8, pl, sizeof(pl)) == 0);
	rte_pktmbuf_free(r);
	slc_pkt_tx_done(c, 0, 1);
	DELTA(c, &before, "echo sent", .rx = 1, .icmp_replies = 1);
	finish(c);
}

static void
test_slc_pkt_classify_echo6_reply(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c);
	struct rte_mbuf *r;
	struct fo o = { 0 };
	uint8_t msg[8 + 40], our[16], peer[16];
	const uint8_t *b;
	struct pk p;

	memset(msg, 0, 8);
	msg[0] = 128;
	msg[5] = 0x42;
	fill(msg + 8, 40, 5);
	icmp6(&p, &o, msg, sizeof(msg));
	pad(&p, p.n + 3, 0xee);
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	DELTA(c, &before, "echo6", .rx = 1, .icmp_replies = 1);
	r = one_pending(c);
	b = rte_pktmbuf_mtod(r, const uint8_t *);
	a6(OUR6, our);
	a6(PEER6, peer);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(r), 14 + 40 + sizeof(msg));
	CU_ASSERT(memcmp(b, peer_mac, 6) == 0 && memcmp(b + 6, our_mac, 6) == 0);
	CU_ASSERT(memcmp(b + 14 + 8, our, 16) == 0 && memcmp(b + 14 + 24, peer, 16) == 0);
	CU_ASSERT_EQUAL(get16(b + 14 + 4), sizeof(msg));
	CU_ASSERT_EQUAL(b[54], 129);
	CU_ASSERT_EQUAL(l4sum(b + 22, b + 38, 16, 58, b + 54, sizeof(msg)), 0);
	CU_ASSERT(memcmp(b + 54 + 4, msg + 4, sizeof(msg) - 4) == 0);
	slc_pkt_tx_done(c, 0, 0);
	finish(c);
}

static void
check_na(struct slc_pkt_ctx *c, const uint8_t *dmac, const char *dst, uint8_t flags)
{
	struct rte_mbuf *r = one_pending(c);
	const uint8_t *b = rte_pktmbuf_mtod(r, const uint8_t *);
	uint8_t our[16], d[16];

	a6(OUR6, our);
	a6(dst, d);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(r), 14 + 40 + 32);
	CU_ASSERT(memcmp(b, dmac, 6) == 0 && memcmp(b + 6, our_mac, 6) == 0);
	CU_ASSERT_EQUAL(get16(b + 12), 0x86dd);
	CU_ASSERT(b[14] == 0x60 && b[15] == 0 && b[16] == 0 && b[17] == 0);
	CU_ASSERT_EQUAL(get16(b + 18), 32);
	CU_ASSERT_EQUAL(b[20], 58);
	CU_ASSERT_EQUAL(b[21], 255);
	CU_ASSERT(memcmp(b + 22, our, 16) == 0);
	CU_ASSERT(memcmp(b + 38, d, 16) == 0);
	CU_ASSERT_EQUAL(b[54], 136);
	CU_ASSERT_EQUAL(b[55], 0);
	CU_ASSERT_EQUAL(l4sum(b + 22, b + 38, 16, 58, b + 54, 32), 0);
	CU_ASSERT_EQUAL(b[58], flags);
	CU_ASSERT(b[59] == 0 && b[60] == 0 && b[61] == 0);
	CU_ASSERT(memcmp(b + 62, our, 16) == 0);
	CU_ASSERT(b[78] == 2 && b[79] == 1);
	CU_ASSERT(memcmp(b + 80, our_mac, 6) == 0);
	slc_pkt_tx_done(c, 0, 0);
}

static void
test_slc_pkt_classify_ns_to_na(void)
{
	static const uint8_t snmc_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c);
	struct fo o = { .hop = 255 };
	struct pk p;

	/* Unicast NS (reachability) without options. */
	ns(&p, &o, OUR6, false);
	pad(&p, 80, 0xee);
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	check_na(c, peer_mac, PEER6, 0x60);

	/* Address resolution: to our solicited-node group, with SLLA. */
	o.dmac = snmc_mac;
	o.dst6 = "ff02::1:ff00:1";
	ns(&p, &o, OUR6, true);
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	check_na(c, peer_mac, PEER6, 0x60);

	/* Duplicate address detection from ::: to all-nodes, Solicited clear. */
	o.src6 = "::";
	ns(&p, &o, OUR6, false);
	CU_ASSERT_EQUAL(cl(c, &p, NULL), SLC_PKT_CONSUMED);
	check_na(c, all_nodes_mac, "ff02::1", 0x20);
	DELTA(c, &before, "ns", .rx = 3, .nd_replies = 3, .drop[SLC_PKT_D_TX_FULL] = 3);
	finish(c);
}

/* ------------------------------------------------------------ reassembly */

static uint64_t
ttl_cycles(void)
{
	return (uint64_t)cfg.frag_ttl_ms * rte_get_tsc_hz() / 1000;
}

/* Three fragments of a 3000-byte payload: [0,1480) [1480,2960) [2960,3008). */
static const uint32_t f3_ofs[3] = { 0, 1480, 2960 };
static const uint32_t f3_len[3] = { 1480, 1480, 48 };

static void
send_frag3(struct slc_pkt_ctx *c, const struct fo *o, uint16_t id, const uint8_t *dg, int i,
	uint32_t trailer, enum slc_pkt_verdict want, struct slc_pkt_udp *u)
{
	struct pk p;

	frag(&p, o, id, 17, f3_ofs[i], i < 2, dg, f3_len[i]);
	pad(&p, p.n + trailer, 0xee);        /* bytes beyond the IP datagram */
	CU_ASSERT_EQUAL(cl(c, &p, u), want);
}

static void
test_slc_pkt_classify_reassembly_orders(void)
{
	static const int orders[][3] = {
		{ 0, 1, 2 }, { 2, 0, 1 }, { 1, 2, 0 }, { 2, 1, 0 },
	};
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[3000], dg[3008];
	uint32_t k;
	int i;

	fill(pl, sizeof(pl), 6);
	CU_ASSERT_EQUAL_FATAL(dgram4(dg, PEER4, OUR4, RAW_PORT, pl, sizeof(pl)), 3008);
	for (k = 0; k < RTE_DIM(orders); k++) {
		/* With a tag and 12 bytes of trailing garbage after each fragment, on odd runs. */
		o.ntags = (int)(k & 1);
		o.tpid[0] = 0x8100;
		before = *slc_pkt_ctx_stats(c);
		for (i = 0; i < 3; i++)
			send_frag3(c, &o, (uint16_t)(100 + k), dg, orders[k][i], k & 1 ? 12 : 0,
				i < 2 ? SLC_PKT_CONSUMED : SLC_PKT_DATAGRAM, &u);
		DELTA(c, &before, "3 fragments", .rx = 3, .frags = 3, .reassembled = 1, .udp = 1);
		check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, sizeof(pl), "192.0.2.7:40000");
		CU_ASSERT_EQUAL(u.m->nb_segs, 3);
		rte_pktmbuf_free(u.m);
	}
	finish(c);
}

static void
test_slc_pkt_classify_reassembly_bad_datagram(void)
{
	struct slc_pkt_ctx *c;
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[3000], dg[3008];
	int i;

	cfg_base();
	cfg.max_datagram = 2999;
	c = ctx_from_cfg();
	fill(pl, sizeof(pl), 7);
	dgram4(dg, PEER4, OUR4, RAW_PORT, pl, sizeof(pl));

	/* Reassembled, then too large. */
	before = *slc_pkt_ctx_stats(c);
	for (i = 0; i < 3; i++)
		send_frag3(c, &o, 1, dg, i, 0, i < 2 ? SLC_PKT_CONSUMED : SLC_PKT_DROPPED, &u);
	DELTA(c, &before, "oversize", .rx = 3, .frags = 3, .reassembled = 1,
		.drop[SLC_PKT_D_OVERSIZE] = 1);

	/* Reassembled, bad checksum (the NIC's GOOD flag on a fragment is not believed). */
	dgram4(dg, PEER4, OUR4, RAW_PORT, pl, 2000);
	dg[1500] ^= 0x10;
	before = *slc_pkt_ctx_stats(c);
	for (i = 0; i < 2; i++) {
		struct pk p;

		frag(&p, &o, 2, 17, i * 1480, i == 0, dg, i == 0 ? 1480 : 528);
		CU_ASSERT_EQUAL(cl_flags(c, &p, RTE_MBUF_F_RX_L4_CKSUM_GOOD, &u),
			i == 0 ? SLC_PKT_CONSUMED : SLC_PKT_DROPPED);
	}
	DELTA(c, &before, "checksum", .rx = 2, .frags = 2, .reassembled = 1,
		.drop[SLC_PKT_D_UDP_CSUM] = 1);

	/* Reassembled, nobody listens. */
	dgram4(dg, PEER4, OUR4, 7777, pl, 2000);
	before = *slc_pkt_ctx_stats(c);
	for (i = 0; i < 2; i++) {
		struct pk p;

		frag(&p, &o, 3, 17, i * 1480, i == 0, dg, i == 0 ? 1480 : 528);
		CU_ASSERT_EQUAL(cl(c, &p, &u), i == 0 ? SLC_PKT_CONSUMED : SLC_PKT_DROPPED);
	}
	DELTA(c, &before, "port", .rx = 2, .frags = 2, .reassembled = 1,
		.drop[SLC_PKT_D_UDP_PORT] = 1);
	finish(c);
}

static void
test_slc_pkt_classify_reassembly_hostile(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t dg[70000];
	struct pk p;
	int i;

	fill(dg, sizeof(dg), 8);

	/* Overlap: [0,16) [8,24) and last [24,32): more bytes than the datagram. */
	before = *slc_pkt_ctx_stats(c);
	frag(&p, &o, 10, 17, 0, true, dg, 16);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	frag(&p, &o, 10, 17, 8, true, dg, 16);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	frag(&p, &o, 10, 17, 24, false, dg, 8);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "overlap", .rx = 3, .frags = 3, .drop[SLC_PKT_D_FRAG] = 3);

	/* Overlap and hole with the right byte count: [0,16) [8,16) last [24,32). */
	before = *slc_pkt_ctx_stats(c);
	frag(&p, &o, 11, 17, 0, true, dg, 16);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	frag(&p, &o, 11, 17, 8, true, dg, 8);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	frag(&p, &o, 11, 17, 24, false, dg, 8);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "hole", .rx = 3, .frags = 3, .drop[SLC_PKT_D_FRAG] = 3);

	/* Duplicate first fragment. */
	before = *slc_pkt_ctx_stats(c);
	frag(&p, &o, 12, 17, 0, true, dg, 16);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "duplicate", .rx = 2, .frags = 2, .drop[SLC_PKT_D_FRAG] = 2);

	/* Too many fragments: the first, then middles until the table gives up. */
	before = *slc_pkt_ctx_stats(c);
	frag(&p, &o, 13, 17, 0, true, dg, 8);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	for (i = 1; i < RTE_LIBRTE_IP_FRAG_MAX_FRAG - 1; i++) {
		frag(&p, &o, 13, 17, (uint32_t)i * 8, true, dg, 8);
		CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	}
	frag(&p, &o, 13, 17, (uint32_t)i * 8, true, dg, 8);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "too many", .rx = RTE_LIBRTE_IP_FRAG_MAX_FRAG,
		.frags = RTE_LIBRTE_IP_FRAG_MAX_FRAG,
		.drop[SLC_PKT_D_FRAG] = RTE_LIBRTE_IP_FRAG_MAX_FRAG);

	/* Refused on sight, one by one. */
	before = *slc_pkt_ctx_stats(c);
	frag(&p, &o, 14, 17, 65528, false, dg, 16);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);                /* beyond 64 KiB */
	frag(&p, &o, 14, 17, 65512, false, dg, 4);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);                /* ends at 65536 */
	frag(&p, &o, 15, 17, 8, true, dg, 0);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);                /* empty */
	frag(&p, &o, 15, 17, 16, false, dg, 0);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);                /* empty last */
	frag(&p, &o, 16, 17, 8, true, dg, 13);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);                /* not a multiple of 8 */
	frag(&p, &o, 17, 1, 0, true, dg, 64);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);                /* a fragmented ping */
	DELTA(c, &before, "refused", .rx = 6, .frags = 6, .drop[SLC_PKT_D_FRAG] = 6);

	/* Not counted as fragments: not ours, not UDP or ICMP. */
	before = *slc_pkt_ctx_stats(c);
	o.dst4 = OTHER4;
	frag(&p, &o, 18, 17, 0, true, dg, 64);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	o.dst4 = 0;
	frag(&p, &o, 18, 6, 0, true, dg, 64);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "not fragments", .rx = 2, .drop[SLC_PKT_D_NOT_OURS] = 1,
		.drop[SLC_PKT_D_L4_PROTO] = 1);

	/* Many datagrams left half-done, then freed with the context. */
	for (i = 0; i < 50; i++) {
		frag(&p, &o, (uint16_t)(1000 + i), 17, 0, true, dg, 64);
		CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_CONSUMED);
	}
	CU_ASSERT(rte_mempool_avail_count(pool) == POOL_N - 50);
	slc_pkt_ctx_free(c);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
}

static void
test_slc_pkt_classify_reassembly_storm(void)
{
	struct slc_pkt_ctx *c;
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[3000], dg[3008];
	uint32_t i, max = 8;

	cfg_base();
	cfg.frag_max_flows = max;
	c = ctx_from_cfg();
	fill(pl, sizeof(pl), 9);
	dgram4(dg, PEER4, OUR4, RAW_PORT, pl, sizeof(pl));

	/* max + 4 datagrams start: the table holds max of them. */
	before = *slc_pkt_ctx_stats(c);
	for (i = 0; i < max + 4; i++)
		send_frag3(c, &o, (uint16_t)(200 + i), dg, 0, 0,
			i < max ? SLC_PKT_CONSUMED : SLC_PKT_DROPPED, &u);
	DELTA(c, &before, "storm", .rx = max + 4, .frags = max + 4, .drop[SLC_PKT_D_FRAG] = 4);

	/* One that got in completes, which makes room for another. */
	send_frag3(c, &o, 200, dg, 1, 0, SLC_PKT_CONSUMED, &u);
	send_frag3(c, &o, 200, dg, 2, 0, SLC_PKT_DATAGRAM, &u);
	check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, sizeof(pl), "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);
	send_frag3(c, &o, 300, dg, 0, 0, SLC_PKT_CONSUMED, &u);
	send_frag3(c, &o, 301, dg, 0, 0, SLC_PKT_DROPPED, &u);

	/* Time passes: the max held datagrams (one fragment each) expire. */
	before = *slc_pkt_ctx_stats(c);
	slc_pkt_housekeep(c, now + ttl_cycles());
	DELTA(c, &before, "not yet");
	slc_pkt_housekeep(c, now + ttl_cycles() + 1);
	DELTA(c, &before, "expired", .drop[SLC_PKT_D_FRAG] = max);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);

	/* And the table takes max new ones again. */
	now += ttl_cycles() + 2;
	for (i = 0; i < max; i++)
		send_frag3(c, &o, (uint16_t)(400 + i), dg, 0, 0, SLC_PKT_CONSUMED, &u);
	finish(c);
}

static void
test_slc_pkt_classify_reassembly_timeout(void)
{
	struct slc_pkt_ctx *c = ctx_base();
	struct slc_pkt_stats before = *slc_pkt_ctx_stats(c);
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t pl[3000], dg[3008];
	uint64_t t0 = now;

	fill(pl, sizeof(pl), 10);
	dgram4(dg, PEER4, OUR4, RAW_PORT, pl, sizeof(pl));

	/* Two of three fragments, then the third too late: the stale two are dropped
	 * when the third arrives and it starts a new datagram of its own. */
	send_frag3(c, &o, 500, dg, 0, 0, SLC_PKT_CONSUMED, &u);
	send_frag3(c, &o, 500, dg, 1, 0, SLC_PKT_CONSUMED, &u);
	now = t0 + ttl_cycles() + 1;
	send_frag3(c, &o, 500, dg, 2, 0, SLC_PKT_CONSUMED, &u);
	DELTA(c, &before, "late", .rx = 3, .frags = 3, .drop[SLC_PKT_D_FRAG] = 2);

	/* The missing two arrive in time for the new one: complete. */
	send_frag3(c, &o, 500, dg, 0, 0, SLC_PKT_CONSUMED, &u);
	send_frag3(c, &o, 500, dg, 1, 0, SLC_PKT_DATAGRAM, &u);
	check_udp(&u, 4, SLC_PKT_MODE_RAW, RAW_PORT, pl, sizeof(pl), "192.0.2.7:40000");
	rte_pktmbuf_free(u.m);

	/* Housekeeping expires what is left. */
	before = *slc_pkt_ctx_stats(c);
	send_frag3(c, &o, 501, dg, 2, 0, SLC_PKT_CONSUMED, &u);
	send_frag3(c, &o, 501, dg, 1, 0, SLC_PKT_CONSUMED, &u);
	slc_pkt_housekeep(c, now + ttl_cycles() + 1);
	DELTA(c, &before, "housekeep", .rx = 2, .frags = 2, .drop[SLC_PKT_D_FRAG] = 2);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
	now = t0;
	finish(c);
}

static void
test_slc_pkt_classify_reassembly_off(void)
{
	struct slc_pkt_ctx *c;
	struct slc_pkt_stats before;
	struct slc_pkt_udp u;
	struct fo o = { 0 };
	uint8_t dg[64] = { 0 };
	struct pk p;

	cfg_base();
	cfg.frag_max_flows = 0;
	c = ctx_from_cfg();
	before = *slc_pkt_ctx_stats(c);
	frag(&p, &o, 1, 17, 0, true, dg, 32);
	CU_ASSERT_EQUAL(cl(c, &p, &u), SLC_PKT_DROPPED);
	DELTA(c, &before, "off", .rx = 1, .frags = 1, .drop[SLC_PKT_D_FRAG] = 1);
	finish(c);
}

/* ---------------------------------------------------------------- chaos */

static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/*
 * Valid frames of every kind, damaged at random (bytes flipped, cut short,
 * grown), with time passing: nothing crashes, every frame is accounted for
 * exactly once, and every mbuf comes back.
 */
static void
test_slc_pkt_classify_random_damage(void)
{
	struct slc_pkt_ctx *c;
	const struct slc_pkt_stats *st;
	struct slc_pkt_udp u;
	struct rte_mbuf **tx;
	uint8_t pl[1200], dg[1300];
	uint64_t calls = 0, unsent = 0, t0 = now, classify_drops;
	struct fo o;
	struct pk p;
	uint32_t i, k, n, dlen;
	int d;

	cfg_base();
	cfg.frag_max_flows = 64;
	cfg.max_datagram = 1000;
	c = ctx_from_cfg();
	fill(pl, sizeof(pl), 11);
	dlen = dgram4(dg, PEER4, OUR4, RAW_PORT, pl, 1000);
	for (i = 0; i < 30000; i++) {
		memset(&o, 0, sizeof(o));
		o.ntags = (int)rnd(3);
		o.tpid[0] = o.ntags == 2 ? 0x88a8 : 0x8100;
		o.tpid[1] = 0x8100;
		o.hop = 255;
		switch (rnd(9)) {
		case 0: udp4(&p, &o, pl, rnd(1100)); break;
		case 1: udp6(&p, &o, pl, rnd(1100)); break;
		case 2: arp(&p, &o, 1, OUR4); break;
		case 3: icmp4(&p, &o, 8, pl, rnd(100)); break;
		case 4: ns(&p, &o, OUR6, rnd(2)); break;
		case 5: memset(pl + 1100, 0, 8); pl[1100] = 128; icmp6(&p, &o, pl + 1100, 8); break;
		default:
			k = rnd(3);
			frag(&p, &o, (uint16_t)rnd(8), 17, (uint32_t)k * 400, k < 2, dg,
				k < 2 ? 400 : dlen - 800);
			break;
		}
		n = rnd(4);
		for (k = 0; k < n; k++)
			p.b[rnd(p.n)] ^= (uint8_t)(1u << rnd(8));
		switch (rnd(6)) {
		case 0: p.n = rnd(p.n + 1); break;
		case 1: pad(&p, p.n + rnd(40), (uint8_t)rnd(256)); break;
		default: break;
		}
		d = slc_pkt_classify(c, (uint16_t)rnd(2), mk(&p), now, &u);
		calls++;
		if (d == SLC_PKT_DATAGRAM) {
			CU_ASSERT(u.len <= 1000);
			rte_pktmbuf_free(u.m);
		}
		if (rnd(8) == 0) {
			unsent += slc_pkt_tx_pending(c, 0, &tx);
			slc_pkt_tx_done(c, 0, 0);
		}
		now += rnd(4) == 0 ? rte_get_tsc_hz() / 10 : 1000;
		if (rnd(16) == 0)
			slc_pkt_housekeep(c, now);
	}
	unsent += slc_pkt_tx_pending(c, 0, &tx);
	slc_pkt_tx_done(c, 0, 0);
	slc_pkt_housekeep(c, now + 1000 * rte_get_tsc_hz());

	/* Every frame: one outcome, fragments counted in frags (see pkt.c). */
	st = slc_pkt_ctx_stats(c);
	classify_drops = 0;
	for (d = 0; d < SLC_PKT_D_MAX; d++)
		if (d != SLC_PKT_D_FRAG)
			classify_drops += st->drop[d];
	classify_drops -= unsent;
	CU_ASSERT_EQUAL(st->rx, calls);
	CU_ASSERT_EQUAL(st->rx + st->reassembled, st->udp + st->arp_replies + st->icmp_replies +
		st->nd_replies + classify_drops + st->frags);
	CU_ASSERT(st->drop[SLC_PKT_D_FRAG] <= st->frags);
	/* The mix reached every outcome (the generator is deterministic). */
	CU_ASSERT(st->udp > 300 && st->reassembled > 10 && st->arp_replies > 100 &&
		st->nd_replies > 100 && st->icmp_replies > 100);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N);
	now = t0;
	finish(c);
}

/* Damaged TCP segments (and some UDP) through slc_pkt_classify_l4: one outcome each. */
static void
test_slc_pkt_classify_tcp_random_damage(void)
{
	struct slc_pkt_ctx *c;
	const struct slc_pkt_stats *st;
	struct slc_pkt_udp u;
	struct slc_pkt_tcp t;
	struct rte_mbuf *m, **tx;
	uint8_t pl[1200];
	uint64_t calls = 0, unsent, classify_drops;
	struct fo o;
	struct pk p;
	uint32_t i, k, n;
	int d;

	cfg_base();
	cfg.tcp_listen[TCP_PORT] = 1;
	cfg.frag_max_flows = 64;
	c = ctx_from_cfg();
	fill(pl, sizeof(pl), 13);
	for (i = 0; i < 20000; i++) {
		memset(&o, 0, sizeof(o));
		o.ntags = (int)rnd(2);
		o.tpid[0] = 0x8100;
		switch (rnd(5)) {
		case 0: udp4(&p, &o, pl, rnd(1100)); break;
		case 1: case 2: tcp_seg(&p, &o, 4, pl, rnd(1200)); break;
		default: tcp_seg(&p, &o, 6, pl, rnd(1200)); break;
		}
		n = rnd(4);
		for (k = 0; k < n; k++)
			p.b[rnd(p.n)] ^= (uint8_t)(1u << rnd(8));
		switch (rnd(6)) {
		case 0: p.n = rnd(p.n + 1); break;
		case 1: pad(&p, p.n + rnd(40), (uint8_t)rnd(256)); break;
		default: break;
		}
		m = mk(&p);
		d = slc_pkt_classify_l4(c, 0, m, now, &u, &t);
		calls++;
		if (d == SLC_PKT_DATAGRAM) {
			rte_pktmbuf_free(u.m);
		} else if (d == SLC_PKT_TCP) {
			CU_ASSERT_PTR_EQUAL(t.m, m);
			CU_ASSERT(t.th_len >= 20 && t.payload_off == t.l2_len + t.l3_len + t.th_len);
			CU_ASSERT(t.payload_off + t.payload_len <= rte_pktmbuf_pkt_len(m));
			CU_ASSERT(t.l2_len + t.l3_len + t.th_len <= rte_pktmbuf_data_len(m));
			CU_ASSERT_EQUAL(t.dst_port, TCP_PORT);
			rte_pktmbuf_free(t.m);
		}
		now += 1000;
	}
	unsent = slc_pkt_tx_pending(c, 0, &tx);
	slc_pkt_tx_done(c, 0, 0);
	slc_pkt_housekeep(c, now + 1000 * rte_get_tsc_hz());
	st = slc_pkt_ctx_stats(c);
	classify_drops = 0;
	for (d = 0; d < SLC_PKT_D_MAX; d++)
		if (d != SLC_PKT_D_FRAG)
			classify_drops += st->drop[d];
	classify_drops -= unsent;
	CU_ASSERT_EQUAL(st->rx, calls);
	CU_ASSERT_EQUAL(st->rx + st->reassembled, st->udp + st->tcp + st->arp_replies +
		st->icmp_replies + st->nd_replies + classify_drops + st->frags);
	/* The mix reached every TCP outcome (the generator is deterministic). */
	CU_ASSERT(st->tcp > 2000 && st->drop[SLC_PKT_D_TCP_CSUM] > 5000 &&
		st->drop[SLC_PKT_D_TCP_HDR] > 0 && st->drop[SLC_PKT_D_TCP_PORT] > 20 &&
		st->udp > 100);
	finish(c);
}

/* ------------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {
		argv[0], "--no-huge", "--no-shconf", "-m", "128", "--no-pci", "-l", "0",
		"--log-level=*:error", "--no-telemetry", prefix,
	};
	CU_pSuite s;
	unsigned int fails;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=pkt-test-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "test_pkt: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	pool = rte_pktmbuf_pool_create("pkt_test", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "test_pkt: mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("pkt", NULL, NULL);
	CU_add_test(s, "test_slc_pkt_cfg_add_ip_parse", test_slc_pkt_cfg_add_ip_parse);
	CU_add_test(s, "test_slc_pkt_ctx_create_einval", test_slc_pkt_ctx_create_einval);
	CU_add_test(s, "test_slc_pkt_ctx_set_port_einval", test_slc_pkt_ctx_set_port_einval);
	CU_add_test(s, "test_slc_pkt_drop_name_all", test_slc_pkt_drop_name_all);
	CU_add_test(s, "test_slc_pkt_src_key_formats", test_slc_pkt_src_key_formats);
	CU_add_test(s, "test_slc_pkt_classify_udp4", test_slc_pkt_classify_udp4);
	CU_add_test(s, "test_slc_pkt_classify_udp6", test_slc_pkt_classify_udp6);
	CU_add_test(s, "test_slc_pkt_classify_udp4_zero_cksum_and_padding",
		test_slc_pkt_classify_udp4_zero_cksum_and_padding);
	CU_add_test(s, "test_slc_pkt_classify_udp_chained", test_slc_pkt_classify_udp_chained);
	CU_add_test(s, "test_slc_pkt_classify_tcp_good", test_slc_pkt_classify_tcp_good);
	CU_add_test(s, "test_slc_pkt_classify_tcp_drops", test_slc_pkt_classify_tcp_drops);
	CU_add_test(s, "test_slc_pkt_classify_accept_any_dst",
		test_slc_pkt_classify_accept_any_dst);
	CU_add_test(s, "test_slc_pkt_classify_drop_l2", test_slc_pkt_classify_drop_l2);
	CU_add_test(s, "test_slc_pkt_classify_drop_ip4", test_slc_pkt_classify_drop_ip4);
	CU_add_test(s, "test_slc_pkt_classify_drop_oversize", test_slc_pkt_classify_drop_oversize);
	CU_add_test(s, "test_slc_pkt_classify_drop_ip6", test_slc_pkt_classify_drop_ip6);
	CU_add_test(s, "test_slc_pkt_classify_drop_arp_icmp", test_slc_pkt_classify_drop_arp_icmp);
	CU_add_test(s, "test_slc_pkt_classify_arp_reply", test_slc_pkt_classify_arp_reply);
	CU_add_test(s, "test_slc_pkt_tx_done_full_queue", test_slc_pkt_tx_done_full_queue);
	CU_add_test(s, "test_slc_pkt_classify_echo4_reply", test_slc_pkt_classify_echo4_reply);
	CU_add_test(s, "test_slc_pkt_classify_echo6_reply", test_slc_pkt_classify_echo6_reply);
	CU_add_test(s, "test_slc_pkt_classify_ns_to_na", test_slc_pkt_classify_ns_to_na);
	CU_add_test(s, "test_slc_pkt_classify_reassembly_orders",
		test_slc_pkt_classify_reassembly_orders);
	CU_add_test(s, "test_slc_pkt_classify_reassembly_bad_datagram",
		test_slc_pkt_classify_reassembly_bad_datagram);
	CU_add_test(s, "test_slc_pkt_classify_reassembly_hostile",
		test_slc_pkt_classify_reassembly_hostile);
	CU_add_test(s, "test_slc_pkt_classify_reassembly_storm",
		test_slc_pkt_classify_reassembly_storm);
	CU_add_test(s, "test_slc_pkt_classify_reassembly_timeout",
		test_slc_pkt_classify_reassembly_timeout);
	CU_add_test(s, "test_slc_pkt_classify_reassembly_off", test_slc_pkt_classify_reassembly_off);
	CU_add_test(s, "test_slc_pkt_classify_random_damage", test_slc_pkt_classify_random_damage);
	CU_add_test(s, "test_slc_pkt_classify_tcp_random_damage",
		test_slc_pkt_classify_tcp_random_damage);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	rte_mempool_free(pool);
	snprintf(prefix, sizeof(prefix), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(prefix);          /* DPDK leaves its (empty with --no-shconf) runtime dir */
	return fails == 0 ? 0 : 1;
}
