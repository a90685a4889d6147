/*
 * @file
 * slc_pkt: what a data core does with a received frame before any record is
 * decoded. Ethernet (802.1Q and QinQ tags), IPv4 (header checksum checked, or
 * taken from the rx offload flags), IPv6, UDP (checksum checked when present),
 * TCP segments to listening ports (slc_pkt_classify_l4: checksum checked,
 * handed to lib/tcp), IPv4 reassembly with DPDK's ip_frag library (bounded
 * flows and time; not for TCP), and the
 * basics an appliance answers for its configured addresses: ARP requests, ICMP
 * echo, IPv6 neighbour solicitation and ICMPv6 echo. Replies are built in the
 * received mbuf and queued per port for the caller to send on its own tx queue.
 *
 * One context per data core; owner core only, not thread-safe. Nothing is
 * logged per packet: every drop is a counter by cause.
 */
#ifndef SLC_PKT_H
#define SLC_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#define SLC_PKT_MAX_ADDRS 8
#define SLC_PKT_MAX_PORTS 16       /* DPDK port ids 0..15 */
#define SLC_PKT_TXQ_LEN 64

/* What a UDP destination port carries. */
enum slc_pkt_mode {
	SLC_PKT_MODE_NONE = 0,      /* nobody listens: dropped as udp_port */
	SLC_PKT_MODE_RAW = 1,       /* one datagram = one record */
	SLC_PKT_MODE_FRAMED = 2,    /* one datagram = one frame (docs/frame-format.md) */
};

/* Drop causes; counters are indexed by these. Names by slc_pkt_drop_name(). */
enum slc_pkt_drop {
	SLC_PKT_D_RUNT = 0,         /* shorter than an Ethernet header */
	SLC_PKT_D_OVERSIZE,         /* larger than the largest datagram accepted */
	SLC_PKT_D_ETHERTYPE,        /* not IPv4, IPv6 or ARP (after tags) */
	SLC_PKT_D_VLAN,             /* truncated tag, or more than two tags */
	SLC_PKT_D_NOT_OURS,         /* L2 or L3 destination is not ours */
	SLC_PKT_D_IP4_HDR,          /* version, IHL or truncated header */
	SLC_PKT_D_IP4_CSUM,
	SLC_PKT_D_IP4_LEN,          /* total length beyond the frame or below the header */
	SLC_PKT_D_IP6_HDR,          /* truncated, payload length beyond the frame */
	SLC_PKT_D_IP6_EXT,          /* extension headers we do not follow (incl. fragments) */
	SLC_PKT_D_FRAG,             /* bad fragment, reassembly table full, timed out */
	SLC_PKT_D_L4_PROTO,         /* neither UDP nor ICMP/ICMPv6 */
	SLC_PKT_D_UDP_HDR,          /* truncated UDP header, UDP length lies */
	SLC_PKT_D_UDP_CSUM,
	SLC_PKT_D_UDP_PORT,         /* no raw or framed listener on the port */
	SLC_PKT_D_ARP,              /* malformed or not a request for us */
	SLC_PKT_D_ICMP,             /* malformed, bad checksum, or a type we ignore */
	SLC_PKT_D_TX_FULL,          /* a reply could not be queued */
	SLC_PKT_D_TCP_HDR,          /* truncated TCP header, data offset below 5 or past the
	                             * packet */
	SLC_PKT_D_TCP_CSUM,
	SLC_PKT_D_TCP_PORT,         /* no TCP listener on the destination port */
	SLC_PKT_D_MAX,
};

const char *slc_pkt_drop_name(enum slc_pkt_drop d);

struct slc_pkt_stats {
	uint64_t rx;                /* frames classified */
	uint64_t udp;               /* datagrams delivered */
	uint64_t tcp;               /* TCP segments delivered (slc_pkt_classify_l4) */
	uint64_t frags;             /* IPv4 fragments taken in */
	uint64_t reassembled;       /* datagrams completed from fragments */
	uint64_t arp_replies;
	uint64_t icmp_replies;      /* ICMP and ICMPv6 echo replies */
	uint64_t nd_replies;        /* neighbour advertisements */
	uint64_t drop[SLC_PKT_D_MAX];
};

struct slc_pkt_addr4 {
	uint32_t addr;              /* network byte order */
	uint8_t prefix;
};

struct slc_pkt_addr6 {
	uint8_t addr[16];
	uint8_t prefix;
};

struct slc_pkt_cfg {
	struct slc_pkt_addr4 ip4[SLC_PKT_MAX_ADDRS];
	uint32_t n_ip4;
	struct slc_pkt_addr6 ip6[SLC_PKT_MAX_ADDRS];
	uint32_t n_ip6;
	uint8_t udp_mode[65536];    /* enum slc_pkt_mode by UDP destination port (host order) */
	uint8_t tcp_listen[65536];  /* 1: TCP segments to this destination port (host order) are
	                             * delivered as SLC_PKT_TCP; 0: dropped as tcp_port */
	uint32_t max_datagram;      /* largest UDP payload accepted (default 65507) */
	uint32_t frag_max_flows;    /* datagrams being reassembled at once (default 4096) */
	uint32_t frag_ttl_ms;       /* a datagram's fragments must all arrive within (default 2000) */
	bool accept_any_dst;        /* deliver UDP to any destination address (capture replay) */
};

void slc_pkt_cfg_default(struct slc_pkt_cfg *cfg);

struct slc_pkt_ctx;

/*
 * Create a context on NUMA socket `socket` (SOCKET_ID_ANY is fine). cfg is copied.
 * Returns NULL with rte_errno set: EINVAL (bad cfg), ENOMEM.
 */
struct slc_pkt_ctx *slc_pkt_ctx_create(const struct slc_pkt_cfg *cfg, int socket);

/* Frees what reassembly still holds; every mbuf goes back to its pool. */
void slc_pkt_ctx_free(struct slc_pkt_ctx *c);

/* The MAC address of a port, for L2 filtering and replies. 0 or -EINVAL. */
int slc_pkt_ctx_set_port(struct slc_pkt_ctx *c, uint16_t port, const struct rte_ether_addr *mac);

/* A datagram for a listener. */
struct slc_pkt_udp {
	struct rte_mbuf *m;         /* holds the datagram; the caller frees it after use */
	const uint8_t *payload;     /* contiguous (copied to the context's scratch if the mbuf
	                             * is a chain); valid until the next classify call */
	uint32_t len;
	enum slc_pkt_mode mode;
	uint8_t family;             /* 4 or 6 */
	uint8_t src[16];            /* IPv4 in the first 4 bytes, network order */
	uint16_t src_port;          /* host order */
	uint16_t dst_port;          /* host order */
};

/*
 * A TCP segment for one of our addresses and a listening port: IP header valid,
 * TCP checksum verified (software, or the rx offload flag), header length valid.
 * IPv4 fragments are not reassembled for TCP (dropped as frag): TCP segments
 * are sized by MSS. The L2 header of the frame (Ethernet and up to two tags)
 * is described so that replies can reuse it with source and destination swapped.
 */
struct slc_pkt_tcp {
	struct rte_mbuf *m;         /* the whole frame; the caller owns it */
	const struct rte_tcp_hdr *th;   /* in m's first segment (header and options contiguous) */
	uint32_t l2_len;            /* Ethernet + tags: bytes before the IP header */
	uint32_t l3_len;            /* IP header (IPv6: 40) */
	uint32_t th_len;            /* TCP header with options: (data_off >> 4) * 4 */
	uint32_t payload_off;       /* offset of the TCP payload from the start of m's data */
	uint32_t payload_len;       /* TCP payload bytes (may continue into chained segments) */
	uint8_t family;             /* 4 or 6 */
	uint8_t src[16];            /* peer address; IPv4 in the first 4 bytes, network order */
	uint8_t dst[16];            /* our address */
	uint16_t src_port;          /* host order */
	uint16_t dst_port;          /* host order */
	uint16_t port;              /* DPDK port it came in on */
};

enum slc_pkt_verdict {
	SLC_PKT_DROPPED = 0,        /* counted and freed */
	SLC_PKT_CONSUMED,           /* a fragment kept, or a reply queued: nothing to do */
	SLC_PKT_DATAGRAM,           /* *out filled */
	SLC_PKT_TCP,                /* a TCP segment: slc_pkt_classify_l4() filled *tcp */
};

/*
 * Classify one received frame from port. now_tsc (rte_rdtsc()) ages fragments.
 * Returns the verdict; the mbuf is owned by the context unless DATAGRAM.
 */
enum slc_pkt_verdict slc_pkt_classify(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m,
	uint64_t now_tsc, struct slc_pkt_udp *out);

/*
 * The same, also delivering TCP segments for listening ports (cfg.tcp_listen):
 * SLC_PKT_TCP with *tcp filled, the mbuf owned by the caller. slc_pkt_classify()
 * is this with tcp == NULL (TCP is then dropped as l4_proto, as before).
 */
enum slc_pkt_verdict slc_pkt_classify_l4(struct slc_pkt_ctx *c, uint16_t port,
	struct rte_mbuf *m, uint64_t now_tsc, struct slc_pkt_udp *out, struct slc_pkt_tcp *tcp);

/*
 * Replies queued for port: the caller sends pkts[0..n) and then calls
 * slc_pkt_tx_done(c, port, sent); the unsent ones are freed and counted as tx_full.
 */
uint16_t slc_pkt_tx_pending(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf ***pkts);
void slc_pkt_tx_done(struct slc_pkt_ctx *c, uint16_t port, uint16_t sent);

/* Free expired fragments (call once per poll loop). */
void slc_pkt_housekeep(struct slc_pkt_ctx *c, uint64_t now_tsc);

const struct slc_pkt_stats *slc_pkt_ctx_stats(const struct slc_pkt_ctx *c);

/*
 * Parse "192.0.2.1/24" or "2001:db8::1/64" into cfg's address lists. Returns 0,
 * -EINVAL (not an address/prefix), -ENOSPC (more than SLC_PKT_MAX_ADDRS).
 */
int slc_pkt_cfg_add_ip(struct slc_pkt_cfg *cfg, const char *s);

/* Raw-mode partition key "192.0.2.7:5000" / "[2001:db8::7]:5000". Returns its length. */
int slc_pkt_src_key(const struct slc_pkt_udp *u, char buf[64]);

#endif /* SLC_PKT_H */
