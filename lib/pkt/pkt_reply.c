/*
 * lib/pkt replies: ARP replies, ICMP and ICMPv6 echo replies and neighbour
 * advertisements for the appliance's own addresses. Each is built in the mbuf
 * of the request (no allocation on the data core's path): addresses swapped,
 * the port's MAC as source, checksums recomputed, Ethernet padding trimmed,
 * VLAN tags kept so the answer goes back on the same VLAN. The reply is queued
 * on the context's per-port array, which the data core sends on its own tx
 * queue (slc_pkt_tx_pending / slc_pkt_tx_done); a full array drops the reply as
 * tx_full. pkt.c has validated every header read here.
 *
 * Owner: the context's data core.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "pkt_priv.h"

static enum slc_pkt_verdict
reply_queue(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint64_t *counter)
{
	/* Rx flags (checksum status, RSS, VLAN) mean nothing to the tx path. */
	m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
	if (!pkt_txq_push(c, port, m)) {
		c->stats.drop[SLC_PKT_D_TX_FULL]++;
		rte_pktmbuf_free(m);
		return SLC_PKT_DROPPED;
	}
	(*counter)++;
	return SLC_PKT_CONSUMED;
}

/* Reply to the frame's sender from the port's MAC. */
static inline void
eth_turn(struct slc_pkt_ctx *c, uint16_t port, struct rte_ether_hdr *eth)
{
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&c->port[port].mac, &eth->src_addr);
}

/* Make the frame exactly len bytes (single segment): drops Ethernet padding. */
static inline void
set_len(struct rte_mbuf *m, uint32_t len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

enum slc_pkt_verdict
pkt_reply_arp(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l2);
	struct rte_arp_ipv4 *d = &a->arp_data;
	uint32_t tip = d->arp_tip;

	/* RFC 826: the answer goes to the sender hardware address. */
	rte_ether_addr_copy(&d->arp_sha, &eth->dst_addr);
	rte_ether_addr_copy(&c->port[port].mac, &eth->src_addr);
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&d->arp_sha, &d->arp_tha);
	d->arp_tip = d->arp_sip;
	rte_ether_addr_copy(&c->port[port].mac, &d->arp_sha);
	d->arp_sip = tip;
	return reply_queue(c, port, m, &c->stats.arp_replies);
}

enum slc_pkt_verdict
pkt_reply_echo4(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	uint32_t ihl = rte_ipv4_hdr_len(ip), tot = rte_be_to_cpu_16(ip->total_length);
	struct rte_icmp_hdr *ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, l2 + ihl);
	uint32_t a;

	eth_turn(c, port, eth);
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_code = 0;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, tot - ihl);
	set_len(m, l2 + tot);
	return reply_queue(c, port, m, &c->stats.icmp_replies);
}

enum slc_pkt_verdict
pkt_reply_echo6(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l2);
	uint8_t *ic = (uint8_t *)(ip6 + 1), a[16];
	uint16_t ck;

	eth_turn(c, port, eth);
	memcpy(a, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, a, 16);
	ip6->hop_limits = 64;
	ic[0] = PKT_ICMP6_ECHO_REPLY;
	ic[1] = 0;
	memset(ic + 2, 0, 2);
	ck = rte_ipv6_udptcp_cksum(ip6, ic);
	memcpy(ic + 2, &ck, 2);
	set_len(m, l2 + sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len));
	return reply_queue(c, port, m, &c->stats.icmp_replies);
}

/*
 * RFC 4861 7.2.4: to the solicitation's source with Solicited and Override
 * set; a solicitation from :: (duplicate address detection) is answered to
 * all-nodes with Solicited clear. The answer carries our link-layer address.
 */
enum slc_pkt_verdict
pkt_reply_na(struct slc_pkt_ctx *c, uint16_t port, struct rte_mbuf *m, uint32_t l2,
	bool unspecified)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
	static const struct rte_ether_addr all_nodes_mac = {
		.addr_bytes = { 0x33, 0x33, 0, 0, 0, 0x01 },
	};
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, l2);
	uint8_t *ic = (uint8_t *)(ip6 + 1), target[16];
	uint32_t need = l2 + sizeof(*ip6) + PKT_ND_NA_LEN;
	uint16_t ck;

	/* The advertisement may be 8 bytes longer than the solicitation. */
	if (need > (uint32_t)m->buf_len - m->data_off) {
		c->stats.drop[SLC_PKT_D_ICMP]++;
		rte_pktmbuf_free(m);
		return SLC_PKT_DROPPED;
	}
	memcpy(target, ic + 8, 16);
	if (unspecified)
		rte_ether_addr_copy(&all_nodes_mac, &eth->dst_addr);
	else
		rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&c->port[port].mac, &eth->src_addr);

	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = RTE_BE16(PKT_ND_NA_LEN);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->dst_addr, unspecified ? all_nodes : ip6->src_addr, 16);
	memcpy(ip6->src_addr, target, 16);

	memset(ic, 0, PKT_ND_NA_LEN);
	ic[0] = PKT_ICMP6_NA;
	ic[4] = PKT_ND_NA_F_OVERRIDE | (unspecified ? 0 : PKT_ND_NA_F_SOLICITED);
	memcpy(ic + 8, target, 16);
	ic[24] = PKT_ND_OPT_TLLA;
	ic[25] = 1;                                    /* in units of 8 bytes */
	memcpy(ic + 26, &c->port[port].mac, RTE_ETHER_ADDR_LEN);
	ck = rte_ipv6_udptcp_cksum(ip6, ic);
	memcpy(ic + 2, &ck, 2);
	set_len(m, need);
	return reply_queue(c, port, m, &c->stats.nd_replies);
}
