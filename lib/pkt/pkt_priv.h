/*
 * lib/pkt private: the per-core context and the reply builders shared by
 * pkt.c (classification) and pkt_reply.c (ARP, ICMP, ICMPv6, NDP answers).
 */
#ifndef PKT_PRIV_H
#define PKT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_log.h>

#include "slc_pkt.h"

extern int slc_pkt_logtype;
#define PKT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_pkt_logtype, "slc.lib.pkt: " fmt "\n", ##__VA_ARGS__)

/* ICMPv6 types and the NDP option we answer with (RFC 4443, RFC 4861). */
#define PKT_ICMP6_ECHO_REQUEST 128
#define PKT_ICMP6_ECHO_REPLY 129
#define PKT_ICMP6_NS 135
#define PKT_ICMP6_NA 136
#define PKT_ND_OPT_SLLA 1
#define PKT_ND_OPT_TLLA 2
#define PKT_ND_NA_F_SOLICITED 0x40
#define PKT_ND_NA_F_OVERRIDE 0x20
#define PKT_ND_NS_LEN 24           /* type, code, cksum, reserved, target */
#define PKT_ND_NA_LEN 32           /* type, code, cksum, flags, target, TLLA option */

/* One port as this core sees it. owner: the context's core. */
struct pkt_port {
	struct rte_ether_addr mac;
	bool mac_set;
	uint16_t txn;                          /* replies queued in txq[0..txn) */
	struct rte_mbuf *txq[SLC_PKT_TXQ_LEN];
};

/* owner: the data core that created it; nothing here is shared. */
struct slc_pkt_ctx {
	struct slc_pkt_stats stats;
	struct rte_ip_frag_tbl *frag_tbl;      /* NULL when frag_max_flows == 0 */
	uint8_t *scratch;                      /* UDP header + max_datagram bytes */
	uint32_t scratch_len;
	struct pkt_port port[SLC_PKT_MAX_PORTS];
	struct rte_ip_frag_death_row dr;
	struct slc_pkt_cfg cfg;                /* read-only after create */
};

/* Queue m for port; false (nothing done) when the queue is full. */
bool pkt_txq_push(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m);

/*
 * Reply builders. Each takes a frame already validated by pkt.c (single segment,
 * headers in place, l2 = bytes of Ethernet header and tags), turns it into the
 * reply in place and queues it. They count the reply (or tx_full) and return
 * the verdict: SLC_PKT_CONSUMED, or SLC_PKT_DROPPED with the mbuf freed.
 */
enum slc_pkt_verdict pkt_reply_arp(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m,
	uint32_t l2);
enum slc_pkt_verdict pkt_reply_echo4(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m,
	uint32_t l2);
enum slc_pkt_verdict pkt_reply_echo6(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m,
	uint32_t l2);
/* unspecified: the solicitation came from :: (duplicate address detection). */
enum slc_pkt_verdict pkt_reply_na(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m,
	uint32_t l2, bool unspecified);

#endif /* PKT_PRIV_H */
