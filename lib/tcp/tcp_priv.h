/*
 * lib/tcp private: the engine, the connection block and the helpers shared by
 * tcp.c (tables, application calls), tcp_input.c (segment processing),
 * tcp_output.c (segment building), tcp_timer.c (the wheel and its handlers)
 * and tcp_cookie.c (ISNs, SYN cookies, the keyed hash).
 *
 * Owner: one data core per engine; nothing here is shared or locked, except
 * that other threads may read the stats block (torn reads accepted).
 */
#ifndef TCP_PRIV_H
#define TCP_PRIV_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "slc_tcp.h"

extern int slc_tcp_logtype;
#define TCP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_tcp_logtype, "slc.lib.tcp: " fmt "\n", ##__VA_ARGS__)

/* Sequence and timestamp arithmetic modulo 2^32 (RFC 9293 3.4, RFC 7323 5.2). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_PSH 0x08
#define TCP_F_ACK 0x10
#define TCP_F_URG 0x20

#define TCP_OOO_MAX 64                  /* out-of-order segments kept per connection, */
#define TCP_OOO_BIG 512u                /* more if at least this big (rcv_buf / 512 at most) */
#define TCP_SACK_MAX 4                  /* blocks remembered (3 sent with timestamps) */
#define TCP_L2_MAX 24                   /* Ethernet + two tags, rounded up */
#define TCP_WHEEL_SLOTS 4096u           /* 1 ms slots: 4.096 s span; later deadlines re-armed */
#define TCP_POLL_BUDGET 8192u           /* timers handled per slc_tcp_poll() call at most */
#define TCP_INIT_RTO_US 1000000u        /* RFC 6298 2.1; also the first SYN-ACK timeout */
#define TCP_CLOSE_LINGER_US 10000000ull /* a close not done after this: RST */
#define TCP_COALESCE_MAX 256u           /* in-order segments this small are copied into
	                                 * the previous one's tailroom (bounds mbufs held) */
#define TCP_MAX_WSCALE 14
#define TCP_PAWS_IDLE_US (24ull * 86400 * 1000000)   /* RFC 7323 5.5 */
#define TCP_COOKIE_PERIOD_US (64ull * 1000000)       /* cookie counter: one per 64 s */
#define TCP_COOKIE_MAX_AGE 2                         /* counters a cookie stays valid */
#define TCP_TS_OPT_LEN 12                            /* NOP, NOP, TS */

enum tcp_state {
	TCP_S_FREE = 0,
	TCP_S_SYN_RCVD,                 /* half-open */
	TCP_S_ESTABLISHED,
	TCP_S_CLOSE_WAIT,               /* the peer's FIN in, ours not queued */
	TCP_S_LAST_ACK,                 /* both FINs, ours not acknowledged */
	TCP_S_FIN_WAIT_1,               /* our FIN queued or sent, not acknowledged */
	TCP_S_FIN_WAIT_2,               /* our FIN acknowledged, the peer's not in yet */
	TCP_S_CLOSING,                  /* both FINs, ours not acknowledged, we closed first */
	TCP_S_TIME_WAIT,                /* closed() delivered; lingers for time_wait_ms */
};

enum tcp_timer_kind {
	TCP_T_DELACK = 0,               /* delayed ACK */
	TCP_T_RTX,                      /* SYN-ACK, data and FIN retransmission; persist */
	TCP_T_SLOW,                     /* keepalive, idle, close linger, TIME-WAIT */
	TCP_T_MAX,
};

/* One timer in the wheel; due is an absolute 1 ms tick (0: not armed). */
struct tcp_timer {
	struct tcp_timer *next;
	struct tcp_timer **pprev;
	uint64_t due;
	uint8_t kind;
};

/* Lookup key: the peer and local end (addresses in network order, ports host order). */
struct tcp_key {
	uint8_t peer[16];
	uint8_t local[16];
	uint16_t peer_port;
	uint16_t local_port;
	uint8_t family;
	uint8_t pad[3];
};

/* Everything needed to build a segment to the peer. */
struct tcp_flow {
	struct tcp_key key;
	uint16_t port;                  /* DPDK port */
	uint8_t l2_len;
	uint8_t l2[TCP_L2_MAX];         /* Ethernet + tags, MACs already swapped */
};

/*
 * Per received mbuf we hold: where its payload is and the link to the next one.
 * Stored in the frame's own header bytes (Ethernet/IP/TCP, at least 54 of them
 * before the payload), which are not needed once the segment is processed: no
 * per-segment allocation and no registered dynfield.
 */
struct tcp_rq {
	struct rte_mbuf *next;
	uint32_t seq;                   /* first byte (out-of-order queue) */
	uint32_t off;                   /* from the start of m's data (the whole chain) */
	uint32_t len;
};

/* Ethernet + IPv4 + TCP headers are at least 54 bytes: room for it after aligning. */
static_assert(sizeof(struct tcp_rq) + 7 <= 54, "struct tcp_rq must fit in the headers");

static inline struct tcp_rq *
tcp_rq(struct rte_mbuf *m)
{
	return (struct tcp_rq *)RTE_PTR_ALIGN_CEIL(rte_pktmbuf_mtod(m, char *), 8);
}

struct tcp_sack {
	uint32_t s, e;
};

/* owner: the engine's core. */
struct slc_tcp_conn {
	struct slc_tcp *t;
	void *app;
	uint8_t state;                  /* enum tcp_state */
	uint8_t close_why;              /* enum slc_tcp_close_why when we close ourselves */
	bool accepted;                  /* accept() returned non-NULL: closed() is owed */
	bool ws_ok, sack_ok, ts_ok;
	uint8_t snd_ws, rcv_ws;
	bool fin_rcvd;                  /* the peer's FIN is in order (rcv_nxt counts it) */
	bool ooo_fin;                   /* a FIN is known at ooo_fin_seq, bytes missing before */
	bool fin_queued;                /* we close: FIN at snd_end */
	bool ack_now;                   /* an ACK is owed at the end of this input */
	bool ack_delayed;               /* an ACK is owed within delack_us */
	bool wnd_update;                /* the owed ACK is a window update */
	bool readable;                  /* readable() owed at the end of this input */
	bool rtt_timing;                /* Karn: rtt_seq is being timed */
	uint8_t full_segs;              /* full-sized segments since the last ACK */
	uint8_t rtx_count;              /* retransmissions (or SYN-ACKs, persist probes) in a row */
	uint8_t ka_probes;              /* keepalives unanswered */
	uint8_t nsack;
	uint16_t snd_mss;               /* the peer's MSS */
	uint16_t adv_mss;               /* ours */
	uint16_t rcv_mss;               /* largest payload seen (a "full-sized" segment) */
	uint32_t ooo_n;

	/* receive side */
	uint32_t irs;
	uint32_t rcv_nxt;
	uint32_t rcv_adv;               /* right edge announced: never moves left */
	uint32_t last_ack_sent;
	uint32_t rcv_wnd;               /* window last announced, bytes */
	uint32_t rcv_avail;             /* in-order bytes not consumed */
	uint32_t ooo_bytes;
	uint32_t ooo_fin_seq;
	uint32_t ts_recent;
	uint32_t ts_off;                /* our TSval = now_ms + ts_off (RFC 7323 5.4) */
	uint64_t ts_recent_us;
	struct rte_mbuf *rq_head, *rq_tail;   /* in order, linked through tcp_rq */
	struct rte_mbuf *ooo_head;            /* out of order, by sequence */
	struct tcp_sack sack[TCP_SACK_MAX];   /* most recent first */

	/* send side */
	uint32_t iss;
	uint32_t snd_una;
	uint32_t snd_nxt;               /* next to send (rewinds on RTO) */
	uint32_t snd_max;               /* highest sent + 1 */
	uint32_t snd_end;               /* after the last byte queued (the FIN's seq) */
	uint32_t snd_wnd;               /* the peer's window, scaled */
	uint32_t max_snd_wnd;
	uint32_t snd_wl1, snd_wl2;
	uint32_t cwnd;                  /* 1 MSS after an RTO, grows per ACK; else unlimited */
	uint32_t sq_off;                /* snd_una's byte in sq_head */
	struct rte_mbuf *sq_head, *sq_tail;   /* linked through m->next */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;

	uint64_t last_rcv_us;           /* any acceptable segment (keepalive) */
	uint64_t last_data_us;          /* payload or FIN (idle timeout) */
	uint64_t close_deadline_us;     /* 0, or when an unfinished close becomes RST */
	uint64_t tw_deadline_us;

	struct tcp_flow flow;
	struct tcp_timer tm[TCP_T_MAX];
	struct slc_tcp_conn *free_next;
};

struct tcp_txq {
	uint16_t n;
	struct rte_mbuf *q[SLC_TCP_TXQ_LEN];
};

struct tcp_rate {
	uint64_t sec;
	uint32_t n;
};

/* owner: the data core that created it. */
struct slc_tcp {
	struct slc_tcp_stats stats;     /* read by others */
	struct slc_tcp_cfg cfg;         /* read-only after create */
	struct slc_tcp_ops ops;
	void *arg;
	uint64_t now_us;                /* of the latest input or poll */
	uint64_t tick;                  /* last wheel tick handled */
	bool tick_set;
	uint8_t rcv_ws;                 /* our window shift, from rcv_buf */
	uint16_t ip_id;
	uint32_t n_conns, n_half;
	uint32_t n_slots;               /* max_conns + max_half_open */
	struct slc_tcp_conn *conns;
	struct slc_tcp_conn *free_list;
	uint64_t *ht;                   /* hash << 32 | (index + 1); 0: empty */
	uint32_t ht_mask;
	uint64_t cookie_last_us;        /* last SYN answered with a cookie (0: never) */
	struct slc_tcp_conn *in_input;  /* connection being processed: output deferred */
	struct tcp_rate rst_rate, chal_rate;
	uint64_t listen[65536 / 64];
	struct tcp_timer *wheel[TCP_WHEEL_SLOTS];
	struct tcp_txq txq[SLC_PKT_MAX_PORTS];
};

/* Options of a received segment. */
struct tcp_opts {
	bool mss_ok, ws_ok, sack_ok, ts_ok;
	uint8_t ws;
	uint16_t mss;
	uint32_t tsval, tsecr;
};

/* tcp.c */
struct slc_tcp_conn *tcp_lookup(struct slc_tcp *t, const struct tcp_key *k, uint32_t h);
uint32_t tcp_key_hash(const struct tcp_key *k);
struct slc_tcp_conn *tcp_conn_alloc(struct slc_tcp *t, const struct tcp_flow *f, uint32_t h,
	bool half);
void tcp_conn_free(struct slc_tcp_conn *c);
void tcp_conn_closed(struct slc_tcp_conn *c, enum slc_tcp_close_why why);
void tcp_conn_reset(struct slc_tcp_conn *c, enum slc_tcp_close_why why);
void tcp_conn_release_bufs(struct slc_tcp_conn *c);
void tcp_close_start(struct slc_tcp_conn *c, enum slc_tcp_close_why why);
uint32_t tcp_rcv_window(const struct slc_tcp_conn *c);
bool tcp_rate_ok(struct tcp_rate *r, uint32_t rate, uint64_t now_us);
void tcp_rq_free_chain(struct slc_tcp *t, struct rte_mbuf *m);

/* tcp_output.c */
void tcp_output(struct slc_tcp_conn *c);
void tcp_send_ack(struct slc_tcp_conn *c);
void tcp_send_challenge_ack(struct slc_tcp_conn *c);
void tcp_send_synack(struct slc_tcp_conn *c);
void tcp_send_rst_conn(struct slc_tcp_conn *c);
void tcp_send_probe(struct slc_tcp_conn *c);
bool tcp_send_reply_rst(struct slc_tcp *t, const struct tcp_flow *f, uint32_t seq, uint32_t ack,
	bool with_ack);
void tcp_send_cookie_synack(struct slc_tcp *t, const struct tcp_flow *f, uint32_t iss,
	uint32_t ack, uint16_t mss, const struct tcp_opts *o, uint32_t tsval);
uint16_t tcp_seg_mss(const struct slc_tcp_conn *c);

/* tcp_timer.c */
void tcp_timer_arm(struct slc_tcp *t, struct tcp_timer *tm, uint64_t due_us);
void tcp_timer_cancel(struct tcp_timer *tm);
void tcp_slow_rearm(struct slc_tcp_conn *c);
void tcp_rto_arm(struct slc_tcp_conn *c);

static inline bool
tcp_timer_armed(const struct tcp_timer *tm)
{
	return tm->pprev != NULL;
}

/* tcp_cookie.c */
uint64_t tcp_siphash(const uint64_t key[2], const void *data, size_t len);
uint32_t tcp_isn(const struct slc_tcp *t, const struct tcp_key *k, uint64_t now_us);
uint32_t tcp_ts_off(const struct slc_tcp *t, const struct tcp_key *k);
uint32_t tcp_cookie_make(const struct slc_tcp *t, const struct tcp_key *k, uint32_t peer_isn,
	uint16_t peer_mss, uint16_t *mss, uint64_t now_us);
/* The MSS encoded in a valid cookie, or 0. */
uint16_t tcp_cookie_check(const struct slc_tcp *t, const struct tcp_key *k, uint32_t peer_isn,
	uint32_t cookie, uint64_t now_us);
/* Our TSval for a cookie SYN-ACK: low 6 bits carry wscale (0xf: none) and SACK-permitted. */
uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_opts *o);

static inline uint32_t
tcp_ts_now(const struct slc_tcp_conn *c, uint64_t now_us)
{
	return (uint32_t)(now_us / 1000) + c->ts_off;
}

/* tcp_input.c */
int tcp_parse_opts(const struct rte_tcp_hdr *th, uint32_t th_len, struct tcp_opts *o);

#endif /* TCP_PRIV_H */
