/*
 * lib/pkt: classification of one received frame on a data core. The frame is
 * peeled layer by layer (Ethernet and up to two tags, IPv4 or IPv6, UDP, or ARP
 * and ICMP) and every check that fails ends the walk with one drop counter and
 * one rte_pktmbuf_free(), so each mbuf has exactly one owner at every step: the
 * context (dropped, queued reply, fragment held by the reassembly table) or the
 * caller (DATAGRAM). IPv4 fragments go to DPDK's ip_frag table, bounded in
 * flows (frag_max_flows) and time (frag_ttl_ms); everything the table lets go
 * of lands on the context's death row, is counted as `frag` per fragment and
 * freed before classify returns, so the death row can never overflow.
 *
 * Order of checks, which decides the cause a frame is counted under:
 *   runt, vlan, not_ours (L2), ethertype;
 *   IPv4: ip4_hdr, ip4_csum, ip4_len, not_ours (L3), l4_proto, not_ours (ICMP
 *         to an address accept_any_dst let in), then fragments (frag), ICMP
 *         (icmp) or UDP;
 *   IPv6: ip6_hdr, not_ours, ip6_ext, l4_proto, then ICMPv6 or UDP;
 *   UDP:  udp_hdr, oversize, udp_port, udp_csum.
 *   TCP (slc_pkt_classify_l4 with a tcp output only; else l4_proto as before):
 *         IPv4 fragments (frag), tcp_hdr, tcp_port, tcp_csum.
 *
 * Counters: rx counts every call. A frame that is not an IPv4 fragment ends as
 * exactly one of: udp (delivered), tcp (delivered), a reply (arp_replies, icmp_replies,
 * nd_replies) or one drop cause. Every IPv4 fragment (to our address, UDP or
 * ICMP) is counted in frags and either completes a datagram (reassembled, and
 * that datagram then counts once as udp or a drop cause), or is counted once in
 * drop[frag] when it is refused or the table lets go of it (bad set, table
 * full, too many fragments, timed out). Fragments of anything but UDP are
 * refused: we do not answer fragmented pings.
 *
 * Limits: extension headers (IPv6 fragments included) are not followed; the
 * reassembly table holds at most RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments per
 * datagram (8 in Debian's DPDK 22.11), so larger datagrams time out or are
 * dropped as frag. Headers must lie in the first segment of a received mbuf;
 * UDP payloads spanning segments (scattered rx, reassembly) are copied to the
 * context's scratch buffer so that the caller always sees contiguous bytes.
 *
 * Owner: one data core per context; nothing here is shared or locked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "pkt_priv.h"
#include "slc_mem.h"

RTE_LOG_REGISTER(slc_pkt_logtype, slc.lib.pkt, INFO);

#define PKT_MAX_DATAGRAM 65527u        /* 65535 - UDP header: the IPv6 maximum */
#define PKT_MAX_FRAG_FLOWS (1u << 20)
#define PKT_MAX_FRAG_TTL_MS 3600000u
/*
 * ip_frag looks a flow up in two buckets of this many entries. With
 * frag_max_flows <= 8 one bucket can hold every flow, so a flow is refused
 * only when the table is full, never by a hash collision (the tests rely on
 * it); larger tables get 2-4 entries per flow, which keeps collisions rare.
 */
#define PKT_FRAG_BUCKET_ENTRIES 8

#define PKT_VLAN_HLEN 4
#define PKT_IP6_HLEN 40

static const char *const drop_names[SLC_PKT_D_MAX] = {
	[SLC_PKT_D_RUNT] = "runt",
	[SLC_PKT_D_OVERSIZE] = "oversize",
	[SLC_PKT_D_ETHERTYPE] = "ethertype",
	[SLC_PKT_D_VLAN] = "vlan",
	[SLC_PKT_D_NOT_OURS] = "not_ours",
	[SLC_PKT_D_IP4_HDR] = "ip4_hdr",
	[SLC_PKT_D_IP4_CSUM] = "ip4_csum",
	[SLC_PKT_D_IP4_LEN] = "ip4_len",
	[SLC_PKT_D_IP6_HDR] = "ip6_hdr",
	[SLC_PKT_D_IP6_EXT] = "ip6_ext",
	[SLC_PKT_D_FRAG] = "frag",
	[SLC_PKT_D_L4_PROTO] = "l4_proto",
	[SLC_PKT_D_UDP_HDR] = "udp_hdr",
	[SLC_PKT_D_UDP_CSUM] = "udp_csum",
	[SLC_PKT_D_UDP_PORT] = "udp_port",
	[SLC_PKT_D_ARP] = "arp",
	[SLC_PKT_D_ICMP] = "icmp",
	[SLC_PKT_D_TX_FULL] = "tx_full",
	[SLC_PKT_D_TCP_HDR] = "tcp_hdr",
	[SLC_PKT_D_TCP_CSUM] = "tcp_csum",
	[SLC_PKT_D_TCP_PORT] = "tcp_port",
};

const char *
slc_pkt_drop_name(enum slc_pkt_drop d)
{
	if ((unsigned int)d >= SLC_PKT_D_MAX)
		return "unknown";
	return drop_names[d];
}

/* ---------------------------------------------------------------- config */

void
slc_pkt_cfg_default(struct slc_pkt_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_datagram = 65507;
	cfg->frag_max_flows = 4096;
	cfg->frag_ttl_ms = 2000;
}

static bool
ip4_assignable(uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be);

	return a != 0 && a != UINT32_MAX && (a >> 28) != 0xe;
}

static bool
ip6_assignable(const uint8_t *a)
{
	static const uint8_t zero[16];

	return a[0] != 0xff && memcmp(a, zero, 16) != 0;
}

static int
cfg_check(const struct slc_pkt_cfg *cfg)
{
	uint32_t i;

	if (cfg == NULL || cfg->n_ip4 > SLC_PKT_MAX_ADDRS || cfg->n_ip6 > SLC_PKT_MAX_ADDRS)
		return -EINVAL;
	for (i = 0; i < cfg->n_ip4; i++)
		if (cfg->ip4[i].prefix > 32 || !ip4_assignable(cfg->ip4[i].addr))
			return -EINVAL;
	for (i = 0; i < cfg->n_ip6; i++)
		if (cfg->ip6[i].prefix > 128 || !ip6_assignable(cfg->ip6[i].addr))
			return -EINVAL;
	if (cfg->max_datagram == 0 || cfg->max_datagram > PKT_MAX_DATAGRAM)
		return -EINVAL;
	if (cfg->frag_max_flows > PKT_MAX_FRAG_FLOWS)
		return -EINVAL;
	if (cfg->frag_max_flows > 0 &&
	    (cfg->frag_ttl_ms == 0 || cfg->frag_ttl_ms > PKT_MAX_FRAG_TTL_MS))
		return -EINVAL;
	for (i = 0; i < RTE_DIM(cfg->udp_mode); i++)
		if (cfg->udp_mode[i] > SLC_PKT_MODE_FRAMED)
			return -EINVAL;
	return 0;
}

int
slc_pkt_cfg_add_ip(struct slc_pkt_cfg *cfg, const char *s)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash, *p;
	uint8_t a6[16];
	uint32_t a4, i;
	size_t alen;
	int prefix = -1;

	if (cfg == NULL || s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (slash != NULL) {
		p = slash + 1;
		if (*p == '\0' || strlen(p) > 3)
			return -EINVAL;
		for (prefix = 0; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			prefix = prefix * 10 + (*p - '0');
		}
	}

	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (prefix > 32 || !ip4_assignable(a4))
			return -EINVAL;
		for (i = 0; i < cfg->n_ip4; i++)
			if (cfg->ip4[i].addr == a4)
				return 0;
		if (cfg->n_ip4 >= SLC_PKT_MAX_ADDRS)
			return -ENOSPC;
		cfg->ip4[cfg->n_ip4].addr = a4;
		cfg->ip4[cfg->n_ip4].prefix = prefix < 0 ? 32 : (uint8_t)prefix;
		cfg->n_ip4++;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a6) == 1) {
		if (prefix > 128 || !ip6_assignable(a6))
			return -EINVAL;
		for (i = 0; i < cfg->n_ip6; i++)
			if (memcmp(cfg->ip6[i].addr, a6, 16) == 0)
				return 0;
		if (cfg->n_ip6 >= SLC_PKT_MAX_ADDRS)
			return -ENOSPC;
		memcpy(cfg->ip6[cfg->n_ip6].addr, a6, 16);
		cfg->ip6[cfg->n_ip6].prefix = prefix < 0 ? 128 : (uint8_t)prefix;
		cfg->n_ip6++;
		return 0;
	}
	return -EINVAL;
}

/*
 * Raw mode formats a key per datagram: IPv4 and the port are formatted by hand
 * (glibc's inet_ntop goes through sprintf); IPv6 keeps inet_ntop for its
 * RFC 5952 zero compression.
 */
static char *
fmt_u16(char *p, unsigned int v)
{
	char tmp[5];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

int
slc_pkt_src_key(const struct slc_pkt_udp *u, char buf[64])
{
	char *p = buf;
	int i;

	if (u->family == 4) {
		for (i = 0; i < 4; i++) {
			p = fmt_u16(p, u->src[i]);
			*p++ = i < 3 ? '.' : ':';
		}
	} else if (u->family == 6) {
		*p++ = '[';
		if (inet_ntop(AF_INET6, u->src, p, 64 - 10) == NULL) {
			buf[0] = '\0';
			return 0;
		}
		p += strlen(p);
		*p++ = ']';
		*p++ = ':';
	} else {
		buf[0] = '\0';
		return 0;
	}
	p = fmt_u16(p, u->src_port);
	*p = '\0';
	return (int)(p - buf);
}

/* --------------------------------------------------------------- context */

struct slc_pkt_ctx *
slc_pkt_ctx_create(const struct slc_pkt_cfg *cfg, int socket)
{
	struct slc_pkt_ctx *c;
	uint32_t buckets;
	uint64_t cycles;

	if (cfg_check(cfg) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = slc_calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	memcpy(&c->cfg, cfg, sizeof(*cfg));
	c->scratch_len = cfg->max_datagram + sizeof(struct rte_udp_hdr);
	c->scratch = slc_malloc(c->scratch_len);
	if (c->scratch == NULL)
		goto free_ctx;
	if (cfg->frag_max_flows > 0) {
		buckets = rte_align32pow2((cfg->frag_max_flows + 3) / 4);
		cycles = (uint64_t)cfg->frag_ttl_ms * rte_get_tsc_hz() / 1000;
		c->frag_tbl = rte_ip_frag_table_create(buckets, PKT_FRAG_BUCKET_ENTRIES,
			cfg->frag_max_flows, cycles, socket);
		if (c->frag_tbl == NULL) {
			PKT_LOG(ERR, "socket %d: no memory for a reassembly table of %u flows "
				"(lower frag_max_flows)", socket, cfg->frag_max_flows);
			goto free_scratch;
		}
	}
	return c;

free_scratch:
	slc_free(c->scratch);
free_ctx:
	slc_free(c);
nomem:
	rte_errno = ENOMEM;
	return NULL;
}

void
slc_pkt_ctx_free(struct slc_pkt_ctx *c)
{
	uint32_t p, i;

	if (c == NULL)
		return;
	for (p = 0; p < SLC_PKT_MAX_PORTS; p++) {
		for (i = 0; i < c->port[p].txn; i++)
			rte_pktmbuf_free(c->port[p].txq[i]);
		c->port[p].txn = 0;
	}
	rte_ip_frag_free_death_row(&c->dr, 0);
	if (c->frag_tbl != NULL)
		rte_ip_frag_table_destroy(c->frag_tbl);   /* frees the fragments it holds */
	slc_free(c->scratch);
	slc_free(c);
}

int
slc_pkt_ctx_set_port(struct slc_pkt_ctx *c, uint16_t port, const struct rte_ether_addr *mac)
{
	if (c == NULL || port >= SLC_PKT_MAX_PORTS || mac == NULL ||
	    !rte_is_valid_assigned_ether_addr(mac))
		return -EINVAL;
	c->port[port].mac = *mac;
	c->port[port].mac_set = true;
	return 0;
}

const struct slc_pkt_stats *
slc_pkt_ctx_stats(const struct slc_pkt_ctx *c)
{
	return &c->stats;
}

/* -------------------------------------------------------------- tx queue */

bool
pkt_txq_push(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m)
{
	struct pkt_port *p = &c->port[port];

	if (p->txn >= SLC_PKT_TXQ_LEN)
		return false;
	p->txq[p->txn++] = m;
	return true;
}

uint16_t
slc_pkt_tx_pending(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf ***pkts)
{
	if (port >= SLC_PKT_MAX_PORTS) {
		*pkts = NULL;
		return 0;
	}
	*pkts = c->port[port].txq;
	return c->port[port].txn;
}

void
slc_pkt_tx_done(struct slc_pkt_ctx *c, uint16_t port, uint16_t sent)
{
	struct pkt_port *p;
	uint16_t i;

	if (port >= SLC_PKT_MAX_PORTS)
		return;
	p = &c->port[port];
	if (sent > p->txn)
		sent = p->txn;
	for (i = sent; i < p->txn; i++) {
		rte_pktmbuf_free(p->txq[i]);
		c->stats.drop[SLC_PKT_D_TX_FULL]++;
	}
	p->txn = 0;
}

/* ----------------------------------------------------------- reassembly */

/* Count and free what the table let go of; true if m itself was among it. */
static bool
death_row_flush(struct slc_pkt_ctx *c, const struct rte_mbuf *m)
{
	bool found = false;
	uint32_t i;

	for (i = 0; i < c->dr.cnt; i++)
		if (c->dr.row[i] == m)
			found = true;
	c->stats.drop[SLC_PKT_D_FRAG] += c->dr.cnt;
	rte_ip_frag_free_death_row(&c->dr, 0);
	return found;
}

void
slc_pkt_housekeep(struct slc_pkt_ctx *c, uint64_t now_tsc)
{
	uint32_t n;

	if (c->frag_tbl == NULL)
		return;
	/* del_expired stops when the death row is short of room: empty it and go on. */
	do {
		rte_ip_frag_table_del_expired_entries(c->frag_tbl, &c->dr, now_tsc);
		n = c->dr.cnt;
		death_row_flush(c, NULL);
	} while (n > 0);
}

/* --------------------------------------------------------------- helpers */

static inline enum slc_pkt_verdict
drop(struct slc_pkt_ctx *c, struct rte_mbuf *m, enum slc_pkt_drop d)
{
	c->stats.drop[d]++;
	rte_pktmbuf_free(m);
	return SLC_PKT_DROPPED;
}

static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool
ip4_ours(const struct slc_pkt_ctx *c, uint32_t a)
{
	uint32_t i;

	for (i = 0; i < c->cfg.n_ip4; i++)
		if (c->cfg.ip4[i].addr == a)
			return true;
	return false;
}

/* A unicast destination for accept_any_dst: not broadcast, multicast or a subnet broadcast. */
static bool
ip4_unicast(const struct slc_pkt_ctx *c, uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be), mask, net, i;

	if (!ip4_assignable(a_be) || (a >> 28) == 0xf)
		return false;
	for (i = 0; i < c->cfg.n_ip4; i++) {
		if (c->cfg.ip4[i].prefix == 0 || c->cfg.ip4[i].prefix > 30)
			continue;
		mask = UINT32_MAX << (32 - c->cfg.ip4[i].prefix);
		net = rte_be_to_cpu_32(c->cfg.ip4[i].addr) & mask;
		if (a == (net | ~mask))
			return false;
	}
	return true;
}

static inline bool
ip6_ours(const struct slc_pkt_ctx *c, const uint8_t *a)
{
	uint32_t i;

	for (i = 0; i < c->cfg.n_ip6; i++)
		if (memcmp(c->cfg.ip6[i].addr, a, 16) == 0)
			return true;
	return false;
}

/* ff02::1:ffXX:XXXX for the low 24 bits of one of our addresses. */
static bool
ip6_snmc(const struct slc_pkt_ctx *c, const uint8_t *a)
{
	static const uint8_t pfx[13] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff,
	};
	uint32_t i;

	if (memcmp(a, pfx, sizeof(pfx)) != 0)
		return false;
	for (i = 0; i < c->cfg.n_ip6; i++)
		if (memcmp(c->cfg.ip6[i].addr + 13, a + 13, 3) == 0)
			return true;
	return false;
}

/*
 * Pseudo-header sum (RFC 768, RFC 8200 8.1) in the same native-order
 * representation as rte_raw_cksum(): the length is the L4 length (the UDP
 * length field), not the IP payload length, which may differ.
 */
static inline uint32_t
phdr_sum(uint8_t family, const void *iph, uint8_t proto, uint32_t l4len)
{
	uint32_t sum;

	if (family == 4) {
		const struct rte_ipv4_hdr *ip = iph;

		sum = __rte_raw_cksum(&ip->src_addr, 8, 0);
	} else {
		const struct rte_ipv6_hdr *ip6 = iph;

		sum = __rte_raw_cksum(ip6->src_addr, 32, 0);
	}
	sum += rte_cpu_to_be_16(proto);
	sum += rte_cpu_to_be_16((uint16_t)l4len);
	return sum;
}

static inline bool
l4_cksum_ok(uint8_t family, const void *iph, uint8_t proto, const void *l4, uint32_t len)
{
	uint32_t sum = phdr_sum(family, iph, proto, len);

	sum = __rte_raw_cksum(l4, len, sum);
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/*
 * The checksum of the L4 segment at byte off of m (len bytes, pseudo-header of
 * family/iph/proto included): 1 good, 0 bad, -1 the chain holds fewer bytes.
 * offload: m's rx checksum flags describe this segment; when they say good
 * (or verified) or bad, that is the answer, else it is computed over the chain.
 */
static int
l4_cksum_check(const struct rte_mbuf *m, bool offload, uint8_t family, const void *iph,
	uint8_t proto, uint32_t off, uint32_t len)
{
	uint32_t sum;
	uint16_t part = 0;

	switch (offload ? m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK :
		RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE:     /* data verified, field not filled in */
		return 1;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return 0;
	default:
		break;
	}
	sum = phdr_sum(family, iph, proto, len);
	if (m->nb_segs == 1 && off + len <= rte_pktmbuf_data_len(m)) {
		sum = __rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), len, sum);
	} else {
		if (rte_raw_cksum_mbuf(m, off, len, &part) != 0)
			return -1;
		sum += part;
	}
	return __rte_raw_cksum_reduce(sum) == 0xffff;
}

/* ------------------------------------------------------------------- UDP */

/*
 * The UDP datagram at byte off of m, in an IP payload of ip_payload bytes.
 * offload: the rx checksum flags describe this datagram (not for reassembled ones).
 */
static enum slc_pkt_verdict
udp_in(struct slc_pkt_ctx *c, struct rte_mbuf *m, uint8_t family, const void *iph,
	uint32_t off, uint32_t ip_payload, bool offload, struct slc_pkt_udp *out)
{
	struct rte_udp_hdr uh_buf;
	const struct rte_udp_hdr *uh;
	const uint8_t *dg;
	uint32_t ulen, plen;
	uint16_t dport;
	uint8_t mode;
	bool ok;

	if (ip_payload < sizeof(*uh))
		return drop(c, m, SLC_PKT_D_UDP_HDR);
	uh = rte_pktmbuf_read(m, off, sizeof(*uh), &uh_buf);
	if (uh == NULL)
		return drop(c, m, SLC_PKT_D_UDP_HDR);
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ulen < sizeof(*uh) || ulen > ip_payload)
		return drop(c, m, SLC_PKT_D_UDP_HDR);
	plen = ulen - sizeof(*uh);
	if (plen > c->cfg.max_datagram)
		return drop(c, m, SLC_PKT_D_OVERSIZE);
	dport = rte_be_to_cpu_16(uh->dst_port);
	mode = c->cfg.udp_mode[dport];
	if (mode == SLC_PKT_MODE_NONE)
		return drop(c, m, SLC_PKT_D_UDP_PORT);

	/* Contiguous bytes: in the mbuf when they are, else copied (ulen <= scratch_len). */
	dg = rte_pktmbuf_read(m, off, ulen, c->scratch);
	if (dg == NULL)
		return drop(c, m, SLC_PKT_D_UDP_HDR);
	uh = (const struct rte_udp_hdr *)dg;

	if (uh->dgram_cksum == 0) {
		/* IPv4: no checksum sent. IPv6: a zero checksum is invalid (RFC 8200 8.1). */
		ok = family == 4;
	} else {
		ok = l4_cksum_check(m, offload, family, iph, IPPROTO_UDP, off, ulen) == 1;
	}
	if (!ok)
		return drop(c, m, SLC_PKT_D_UDP_CSUM);

	out->m = m;
	out->payload = dg + sizeof(*uh);
	out->len = plen;
	out->mode = (enum slc_pkt_mode)mode;
	out->family = family;
	memset(out->src, 0, sizeof(out->src));
	if (family == 4)
		memcpy(out->src, &((const struct rte_ipv4_hdr *)iph)->src_addr, 4);
	else
		memcpy(out->src, ((const struct rte_ipv6_hdr *)iph)->src_addr, 16);
	out->src_port = rte_be_to_cpu_16(uh->src_port);
	out->dst_port = dport;
	c->stats.udp++;
	return SLC_PKT_DATAGRAM;
}

/* ------------------------------------------------------------------- TCP */

/*
 * The TCP segment at byte off of m (IP header at l2), in an IP payload of
 * ip_payload bytes. The header and its options must lie in the first segment
 * (what every PMD and net_tap deliver); the checksum covers the whole chain.
 */
static enum slc_pkt_verdict
tcp_in(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint8_t family,
	const void *iph, uint32_t l2, uint32_t l3, uint32_t ip_payload, struct slc_pkt_tcp *out)
{
	const struct rte_tcp_hdr *th;
	uint32_t off = l2 + l3, thl;
	uint16_t dport;
	int ok;

	if (ip_payload < sizeof(*th) || off + sizeof(*th) > rte_pktmbuf_data_len(m))
		return drop(c, m, SLC_PKT_D_TCP_HDR);
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, off);
	thl = (uint32_t)(th->data_off >> 4) * 4;
	if (thl < sizeof(*th) || thl > ip_payload || off + thl > rte_pktmbuf_data_len(m))
		return drop(c, m, SLC_PKT_D_TCP_HDR);
	dport = rte_be_to_cpu_16(th->dst_port);
	if (!c->cfg.tcp_listen[dport])
		return drop(c, m, SLC_PKT_D_TCP_PORT);
	ok = l4_cksum_check(m, true, family, iph, IPPROTO_TCP, off, ip_payload);
	if (ok < 0)
		return drop(c, m, SLC_PKT_D_TCP_HDR);
	if (ok == 0)
		return drop(c, m, SLC_PKT_D_TCP_CSUM);

	/* Ethernet padding past the IP packet is not TCP payload. */
	out->m = m;
	out->th = th;
	out->l2_len = l2;
	out->l3_len = l3;
	out->th_len = thl;
	out->payload_off = off + thl;
	out->payload_len = ip_payload - thl;
	out->family = family;
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	if (family == 4) {
		memcpy(out->src, &((const struct rte_ipv4_hdr *)iph)->src_addr, 4);
		memcpy(out->dst, &((const struct rte_ipv4_hdr *)iph)->dst_addr, 4);
	} else {
		memcpy(out->src, ((const struct rte_ipv6_hdr *)iph)->src_addr, 16);
		memcpy(out->dst, ((const struct rte_ipv6_hdr *)iph)->dst_addr, 16);
	}
	out->src_port = rte_be_to_cpu_16(th->src_port);
	out->dst_port = dport;
	out->port = port;
	c->stats.tcp++;
	return SLC_PKT_TCP;
}

/* ------------------------------------------------------------------ IPv4 */

static enum slc_pkt_verdict
frag4_in(struct slc_pkt_ctx *c, struct rte_mbuf *m, uint32_t l2, struct rte_ipv4_hdr *ip,
	uint32_t ihl, uint32_t tot, uint64_t now, struct slc_pkt_udp *out)
{
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t ofs = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	uint32_t flen = tot - ihl;
	bool mf = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;
	struct rte_mbuf *r;
	bool freed;

	c->stats.frags++;
	/*
	 * Refused before the table sees them: no table; not UDP; empty (ip_frag
	 * would chain an empty last fragment to itself); a non-last fragment that
	 * is not a multiple of 8; a first fragment without a whole UDP header; an
	 * end beyond 64 KiB; fragments in chained mbufs.
	 */
	if (c->frag_tbl == NULL || ip->next_proto_id != IPPROTO_UDP || flen == 0 ||
	    (mf && flen % RTE_IPV4_HDR_OFFSET_UNITS != 0) ||
	    (ofs == 0 && flen < sizeof(struct rte_udp_hdr)) ||
	    ofs + flen + ihl > UINT16_MAX || m->nb_segs != 1)
		return drop(c, m, SLC_PKT_D_FRAG);

	/* ip_frag trims bytes beyond total_length (Ethernet padding) itself. */
	m->l2_len = l2;
	m->l3_len = ihl;
	r = rte_ipv4_frag_reassemble_packet(c->frag_tbl, &c->dr, m, now, ip);
	freed = c->dr.cnt > 0 && death_row_flush(c, m);
	if (r == NULL)
		return freed ? SLC_PKT_DROPPED : SLC_PKT_CONSUMED;

	c->stats.reassembled++;
	ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, r->l2_len);
	ihl = r->l3_len;
	tot = rte_be_to_cpu_16(ip->total_length);
	/* The NIC's L4 flags were about one fragment, not this datagram. */
	return udp_in(c, r, 4, ip, r->l2_len + ihl, tot - ihl, false, out);
}

static enum slc_pkt_verdict
icmp4_in(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2,
	uint32_t ihl, uint32_t tot)
{
	const struct rte_icmp_hdr *ic;
	uint32_t ilen = tot - ihl;

	if (m->nb_segs != 1 || ilen < sizeof(*ic))
		return drop(c, m, SLC_PKT_D_ICMP);
	ic = rte_pktmbuf_mtod_offset(m, const struct rte_icmp_hdr *, l2 + ihl);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0 ||
	    rte_raw_cksum(ic, ilen) != 0xffff)
		return drop(c, m, SLC_PKT_D_ICMP);
	return pkt_reply_echo4(c, port, m, l2);
}

static enum slc_pkt_verdict
ip4_in(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2, uint64_t now,
	struct slc_pkt_udp *out, struct slc_pkt_tcp *tcp)
{
	uint32_t len = rte_pktmbuf_pkt_len(m), ihl, tot;
	struct rte_ipv4_hdr *ip;
	bool ours;

	if (l2 + sizeof(*ip) > rte_pktmbuf_data_len(m))
		return drop(c, m, SLC_PKT_D_IP4_HDR);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    l2 + ihl > rte_pktmbuf_data_len(m))
		return drop(c, m, SLC_PKT_D_IP4_HDR);
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
	case RTE_MBUF_F_RX_IP_CKSUM_NONE:     /* header verified, field not filled in */
		break;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return drop(c, m, SLC_PKT_D_IP4_CSUM);
	default:
		if (rte_raw_cksum(ip, ihl) != 0xffff)
			return drop(c, m, SLC_PKT_D_IP4_CSUM);
		break;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || tot > len - l2)
		return drop(c, m, SLC_PKT_D_IP4_LEN);

	ours = ip4_ours(c, ip->dst_addr);
	if (!ours && !(c->cfg.accept_any_dst && ip4_unicast(c, ip->dst_addr)))
		return drop(c, m, SLC_PKT_D_NOT_OURS);
	if (ip->next_proto_id == IPPROTO_TCP && tcp != NULL) {
		if (!ours)
			return drop(c, m, SLC_PKT_D_NOT_OURS);   /* accept_any_dst: UDP only */
		if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
			/* TCP segments are sized by MSS: fragments are not reassembled. */
			c->stats.frags++;
			return drop(c, m, SLC_PKT_D_FRAG);
		}
		return tcp_in(c, port, m, 4, ip, l2, ihl, tot - ihl, tcp);
	}
	if (ip->next_proto_id != IPPROTO_UDP && ip->next_proto_id != IPPROTO_ICMP)
		return drop(c, m, SLC_PKT_D_L4_PROTO);
	if (!ours && ip->next_proto_id != IPPROTO_UDP)
		return drop(c, m, SLC_PKT_D_NOT_OURS);   /* accept_any_dst is for UDP only */
	if (rte_ipv4_frag_pkt_is_fragmented(ip))
		return frag4_in(c, m, l2, ip, ihl, tot, now, out);
	if (ip->next_proto_id == IPPROTO_ICMP)
		return icmp4_in(c, port, m, l2, ihl, tot);
	return udp_in(c, m, 4, ip, l2 + ihl, tot - ihl, true, out);
}

/* ------------------------------------------------------------------- ARP */

static enum slc_pkt_verdict
arp_in(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2)
{
	const struct rte_arp_hdr *a;

	if (m->nb_segs != 1 || l2 + sizeof(*a) > rte_pktmbuf_data_len(m))
		return drop(c, m, SLC_PKT_D_ARP);
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2);
	if (a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4 ||
	    a->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST) ||
	    !rte_is_unicast_ether_addr(&a->arp_data.arp_sha))
		return drop(c, m, SLC_PKT_D_ARP);
	if (!ip4_ours(c, a->arp_data.arp_tip))
		return drop(c, m, SLC_PKT_D_NOT_OURS);
	return pkt_reply_arp(c, port, m, l2);
}

/* ------------------------------------------------------------------ IPv6 */

static inline bool
ip6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case 135:       /* mobility */
	case 139:       /* HIP */
	case 140:       /* shim6 */
		return true;
	default:
		return false;
	}
}

/* A neighbour solicitation (RFC 4861 7.1.1) for a target of ours, or why not. */
static enum slc_pkt_drop
ns_check(const struct slc_pkt_ctx *c, const struct rte_ipv6_hdr *ip6, const uint8_t *ic,
	uint32_t ilen, bool snmc, bool *unspecified)
{
	static const uint8_t zero[16];
	uint32_t off, olen;

	if (ic[1] != 0 || ip6->hop_limits != 255 || ilen < PKT_ND_NS_LEN || ic[8] == 0xff)
		return SLC_PKT_D_ICMP;
	*unspecified = memcmp(ip6->src_addr, zero, 16) == 0;
	if (*unspecified && !snmc)
		return SLC_PKT_D_ICMP;
	for (off = PKT_ND_NS_LEN; off < ilen; off += olen) {
		if (off + 2 > ilen)
			return SLC_PKT_D_ICMP;
		olen = (uint32_t)ic[off + 1] * 8;
		if (olen == 0 || off + olen > ilen)
			return SLC_PKT_D_ICMP;
		if (ic[off] == PKT_ND_OPT_SLLA && *unspecified)
			return SLC_PKT_D_ICMP;
	}
	if (!ip6_ours(c, ic + 8))
		return SLC_PKT_D_NOT_OURS;
	return SLC_PKT_D_MAX;
}

static enum slc_pkt_verdict
icmp6_in(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2,
	const struct rte_ipv6_hdr *ip6, uint32_t ilen, bool ours, bool snmc)
{
	const uint8_t *ic;
	enum slc_pkt_drop d;
	bool unspecified = false;

	if (m->nb_segs != 1 || ilen < 4)
		return drop(c, m, SLC_PKT_D_ICMP);
	ic = rte_pktmbuf_mtod_offset(m, const uint8_t *, l2 + PKT_IP6_HLEN);
	if (!l4_cksum_ok(6, ip6, IPPROTO_ICMPV6, ic, ilen))
		return drop(c, m, SLC_PKT_D_ICMP);
	switch (ic[0]) {
	case PKT_ICMP6_ECHO_REQUEST:
		if (!ours)
			return drop(c, m, SLC_PKT_D_NOT_OURS);
		if (ic[1] != 0 || ilen < 8)
			return drop(c, m, SLC_PKT_D_ICMP);
		return pkt_reply_echo6(c, port, m, l2);
	case PKT_ICMP6_NS:
		if (!ours && !snmc)
			return drop(c, m, SLC_PKT_D_NOT_OURS);
		d = ns_check(c, ip6, ic, ilen, snmc, &unspecified);
		if (d != SLC_PKT_D_MAX)
			return drop(c, m, d);
		return pkt_reply_na(c, port, m, l2, unspecified);
	default:
		return drop(c, m, SLC_PKT_D_ICMP);
	}
}

static enum slc_pkt_verdict
ip6_in(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2,
	struct slc_pkt_udp *out, struct slc_pkt_tcp *tcp)
{
	const struct rte_ipv6_hdr *ip6;
	uint32_t plen;
	bool ours, snmc;

	if (l2 + PKT_IP6_HLEN > rte_pktmbuf_data_len(m))
		return drop(c, m, SLC_PKT_D_IP6_HDR);
	ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, l2);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6 ||
	    plen > rte_pktmbuf_pkt_len(m) - l2 - PKT_IP6_HLEN)
		return drop(c, m, SLC_PKT_D_IP6_HDR);

	ours = ip6_ours(c, ip6->dst_addr);
	snmc = !ours && ip6_snmc(c, ip6->dst_addr);
	if (!ours && !snmc && !(c->cfg.accept_any_dst && ip6->dst_addr[0] != 0xff))
		return drop(c, m, SLC_PKT_D_NOT_OURS);
	if (ip6_is_ext(ip6->proto))
		return drop(c, m, SLC_PKT_D_IP6_EXT);
	if (ip6->proto == IPPROTO_ICMPV6)
		return icmp6_in(c, port, m, l2, ip6, plen, ours, snmc);
	if (ip6->proto == IPPROTO_TCP && tcp != NULL) {
		if (!ours)
			return drop(c, m, SLC_PKT_D_NOT_OURS);
		return tcp_in(c, port, m, 6, ip6, l2, PKT_IP6_HLEN, plen, tcp);
	}
	if (ip6->proto != IPPROTO_UDP)
		return drop(c, m, SLC_PKT_D_L4_PROTO);
	if (snmc)
		return drop(c, m, SLC_PKT_D_NOT_OURS);
	return udp_in(c, m, 6, ip6, l2 + PKT_IP6_HLEN, plen, true, out);
}

/* -------------------------------------------------------------- Ethernet */

static inline bool
l2_ours(const struct slc_pkt_ctx *c, uint16_t port, const struct rte_ether_addr *dst,
	uint16_t type_be)
{
	const struct pkt_port *p;

	if (port >= SLC_PKT_MAX_PORTS || !c->port[port].mac_set)
		return false;
	p = &c->port[port];
	if (rte_is_unicast_ether_addr(dst))
		return rte_is_same_ether_addr(dst, &p->mac) || c->cfg.accept_any_dst;
	if (rte_is_broadcast_ether_addr(dst))
		return type_be == RTE_BE16(RTE_ETHER_TYPE_ARP);
	if (dst->addr_bytes[0] == 0x33 && dst->addr_bytes[1] == 0x33)
		return type_be == RTE_BE16(RTE_ETHER_TYPE_IPV6);
	return false;
}

enum slc_pkt_verdict
slc_pkt_classify(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint64_t now_tsc,
	struct slc_pkt_udp *out)
{
	return slc_pkt_classify_l4(c, port, m, now_tsc, out, NULL);
}

enum slc_pkt_verdict
slc_pkt_classify_l4(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m,
	uint64_t now_tsc, struct slc_pkt_udp *out, struct slc_pkt_tcp *tcp)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t seg = rte_pktmbuf_data_len(m), l2 = RTE_ETHER_HDR_LEN, tags = 0;
	uint16_t type;

	c->stats.rx++;
	if (rte_pktmbuf_pkt_len(m) < RTE_ETHER_HDR_LEN || seg < RTE_ETHER_HDR_LEN)
		return drop(c, m, SLC_PKT_D_RUNT);
	/* Tags: 802.1Q, or an 802.1ad (or 802.1Q) outer tag and an 802.1Q inner one. */
	type = rd16(p + 12);
	while (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		if (tags == 2 || (tags == 1 && type != RTE_BE16(RTE_ETHER_TYPE_VLAN)) ||
		    l2 + PKT_VLAN_HLEN > seg)
			return drop(c, m, SLC_PKT_D_VLAN);
		type = rd16(p + l2 + 2);
		l2 += PKT_VLAN_HLEN;
		tags++;
	}
	if (!l2_ours(c, port, (const struct rte_ether_addr *)p, type))
		return drop(c, m, SLC_PKT_D_NOT_OURS);
	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return ip4_in(c, port, m, l2, now_tsc, out, tcp);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return ip6_in(c, port, m, l2, out, tcp);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return arp_in(c, port, m, l2);
	default:
		return drop(c, m, SLC_PKT_D_ETHERTYPE);
	}
}
