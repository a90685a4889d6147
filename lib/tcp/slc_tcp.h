/*
 * @file
 * slc_tcp: a receive-side TCP endpoint for one data core (docs/tcp.md).
 *
 * What a well-behaved receiver needs and nothing it does not (RFC 9293, 7323,
 * 2018, 5961): passive open on listening ports only; SYN/SYN-ACK with MSS,
 * window scale, SACK-permitted and timestamps; in-order delivery, out-of-order
 * segments kept within the window and reported with SACK blocks; duplicates and
 * retransmissions trimmed; delayed ACKs; a receive window that shrinks as the
 * application leaves bytes unconsumed (backpressure instead of loss) and a
 * window update when it reopens; a small reliable send side for the
 * application's replies (acknowledgement frames), retransmitted on timeout;
 * FIN and RST in both directions; idle timeout and keepalive; a bounded
 * half-open table with SYN cookies once it is full; RFC 5961 checks against
 * blind RST, SYN and data injection; PAWS (RFC 7323).
 *
 * One engine per data core; RSS keeps a connection's segments on one core, so
 * nothing here takes a lock and nothing is shared between engines. Every
 * function is for the owner core only, except slc_tcp_stats(), which any
 * thread may read (counters written by the core only, possibly torn reads of a
 * moment ago). Nothing is logged per segment: every drop is a counter.
 *
 * Memory: received payload is held as references to the received mbufs (no
 * copy on the way in); the application reads it with slc_tcp_rcv_peek() and
 * releases it with slc_tcp_rcv_consume(). Segments sent (ACKs, SYN-ACKs, RSTs,
 * window updates, application data) are built in mbufs from cfg.pool, with
 * checksums computed in software, and queued per DPDK port for the caller to
 * send (slc_tcp_tx_pending / slc_tcp_tx_done), as lib/pkt queues replies.
 *
 * Time: the caller passes a monotonic microsecond clock (now_us) to every call
 * that may act on time; the engine never reads a clock itself, so tests drive
 * time explicitly.
 */
#ifndef SLC_TCP_H
#define SLC_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "slc_pkt.h"

#define SLC_TCP_TXQ_LEN 512         /* segments queued per DPDK port between tx calls */

struct slc_tcp_cfg {
	struct rte_mempool *pool;   /* mbufs for segments sent; required */
	int socket;                 /* NUMA socket for tables; SOCKET_ID_ANY */
	uint32_t max_conns;         /* connections (any state but half-open); default 16384 */
	uint32_t max_half_open;     /* SYN-RECEIVED entries; beyond: SYN cookies; default 1024 */
	uint32_t rcv_buf;           /* per connection: largest window offered, bytes held
	                             * unconsumed + out of order; default 256 KiB; 4 KiB..1 GiB */
	uint64_t rcv_mem;           /* per engine: payload bytes held over all connections;
	                             * windows shrink so that the total stays below it;
	                             * default 64 MiB */
	uint32_t snd_buf;           /* per connection send buffer (replies); default 64 KiB */
	uint16_t mss;               /* MSS we announce (IPv4; IPv6 gets mss - 20); default 1460 */
	uint32_t delack_us;         /* delayed ACK timer; default 20000; an ACK is also sent at
	                             * once for every second full-sized segment, for
	                             * out-of-order or duplicate data, and for a FIN */
	uint32_t rto_min_us;        /* retransmission timeout floor; default 200000 */
	uint32_t rto_max_us;        /* ceiling; default 60000000 */
	uint32_t syn_retries;       /* SYN-ACKs sent before a half-open entry is dropped; 5 */
	uint32_t data_retries;      /* retransmissions of our data/FIN before RST; default 8 */
	uint32_t idle_timeout_s;    /* nothing received for this long: close (FIN, then RST
	                             * after a further 10 s); default 600; 0: never */
	uint32_t keepalive_s;       /* idle this long: keepalive probe; default 60; 0: off */
	uint32_t keepalive_intvl_s; /* between unanswered probes; default 10 */
	uint32_t keepalive_probes;  /* unanswered probes before RST; default 5 */
	uint32_t time_wait_ms;      /* TIME-WAIT after we closed first; default 2000 */
	uint32_t rst_rate;          /* RSTs sent per second at most (segments for no
	                             * connection, bad cookies); default 1000 */
	uint32_t challenge_ack_rate;/* RFC 5961 challenge ACKs per second at most; default 1000 */
	uint64_t secret[2];         /* SYN cookie key; 0,0: random from rte_rand() */
};

void slc_tcp_cfg_default(struct slc_tcp_cfg *cfg);

/* Counters of one engine. */
struct slc_tcp_stats {
	uint64_t segs_in;           /* segments given to slc_tcp_input() */
	uint64_t segs_out;          /* segments queued for tx */
	uint64_t bytes_in;          /* new in-order payload bytes accepted */
	uint64_t bytes_out;         /* application bytes sent (first transmissions) */
	uint64_t syn_in;            /* SYNs to a listening port */
	uint64_t half_open;         /* gauge: SYN-RECEIVED entries */
	uint64_t half_open_full;    /* SYNs answered with a cookie: the table was full */
	uint64_t cookies_ok;        /* connections opened from a valid cookie */
	uint64_t cookies_bad;       /* ACKs to a listener with no entry and a bad cookie */
	uint64_t accepted;          /* connections established */
	uint64_t refused;           /* the application's accept returned NULL, or table full */
	uint64_t conns;             /* gauge: connections (established or closing) */
	uint64_t closed_fin;        /* closed in order (FIN both ways) */
	uint64_t closed_rst_in;     /* closed by a valid RST from the peer */
	uint64_t closed_rst_out;    /* aborted by us (application, retries, keepalive) */
	uint64_t closed_idle;       /* idle timeout */
	uint64_t closed_keepalive;  /* keepalive probes unanswered */
	uint64_t rst_out;           /* RSTs sent (all causes) */
	uint64_t rst_limited;       /* RSTs not sent: rate limit */
	uint64_t no_conn;           /* segments for no connection and no listener's SYN/cookie */
	uint64_t bad_rst;           /* RSTs in window but not exact: challenge ACK (RFC 5961 3) */
	uint64_t out_of_window_rst; /* RSTs outside the window: ignored */
	uint64_t bad_syn;           /* SYNs on a synchronized connection: challenge ACK (5961 4) */
	uint64_t bad_ack;           /* ACK outside [snd_una - max_wnd, snd_nxt]: dropped (5961 5) */
	uint64_t challenge_acks;    /* challenge ACKs sent */
	uint64_t challenge_limited; /* not sent: rate limit */
	uint64_t out_of_window;     /* data segments wholly outside the receive window */
	uint64_t paws;              /* dropped by PAWS (RFC 7323 5) */
	uint64_t dup_segs;          /* segments with no new byte (retransmissions, duplicates) */
	uint64_t dup_bytes;         /* payload bytes already received */
	uint64_t ooo_segs;          /* segments kept out of order */
	uint64_t ooo_drops;         /* out-of-order segments not kept (queue limit) */
	uint64_t acks_out;          /* pure ACKs sent (delayed, immediate, window updates) */
	uint64_t delayed_acks;      /* ACKs sent by the delayed ACK timer */
	uint64_t window_zero;       /* ACKs that announced a zero window */
	uint64_t window_updates;    /* ACKs sent because the window reopened */
	uint64_t zero_window_probes;/* probes received while our window was zero */
	uint64_t retransmits;       /* our segments sent again (RTO) */
	uint64_t keepalives;        /* keepalive probes sent */
	uint64_t nombuf;            /* a segment could not be built: no mbuf */
	uint64_t tx_full;           /* a segment could not be queued: tx queue full */
	uint64_t bad_options;       /* malformed TCP options (segment dropped) */
	uint64_t rcv_mem;           /* gauge: payload bytes held (in order + out of order) */
};

struct slc_tcp;
struct slc_tcp_conn;

/* Why a connection ended (the application's closed callback). */
enum slc_tcp_close_why {
	SLC_TCP_CLOSE_FIN = 0,      /* closed in order: both FINs acknowledged */
	SLC_TCP_CLOSE_RST_IN,       /* reset by the peer */
	SLC_TCP_CLOSE_ABORT,        /* slc_tcp_abort(), or slc_tcp_free() */
	SLC_TCP_CLOSE_TIMEOUT,      /* retransmissions unanswered */
	SLC_TCP_CLOSE_IDLE,         /* idle timeout */
	SLC_TCP_CLOSE_KEEPALIVE,    /* keepalive probes unanswered */
};

const char *slc_tcp_close_name(enum slc_tcp_close_why why);

/*
 * The application's side. Callbacks run on the owner core from inside
 * slc_tcp_input(), slc_tcp_poll() or slc_tcp_free(); from readable() the
 * application may call slc_tcp_rcv_*, slc_tcp_send, slc_tcp_close and
 * slc_tcp_abort on that connection (abort runs closed() before it returns).
 */
struct slc_tcp_ops {
	/*
	 * A connection to listening port local_port reached ESTABLISHED (the third
	 * segment of the handshake, or a valid cookie). Return the application's
	 * state for it (non-NULL), or NULL to refuse: the engine sends RST and
	 * forgets the connection.
	 */
	void *(*accept)(void *arg, struct slc_tcp_conn *c, uint16_t local_port);
	/*
	 * New in-order bytes are queued, or the peer's FIN arrived (slc_tcp_rcv_eof).
	 * Called at most once per slc_tcp_input() call for a connection.
	 */
	void (*readable)(void *arg, struct slc_tcp_conn *c, void *app);
	/*
	 * Every byte queued with slc_tcp_send() so far was acknowledged by the peer
	 * (optional, may be NULL).
	 */
	void (*sent)(void *arg, struct slc_tcp_conn *c, void *app);
	/* The connection is gone; c and its queued data are invalid after return. */
	void (*closed)(void *arg, struct slc_tcp_conn *c, void *app, enum slc_tcp_close_why why);
};

/* Create an engine. NULL with rte_errno: EINVAL (bad cfg), ENOMEM. */
struct slc_tcp *slc_tcp_create(const struct slc_tcp_cfg *cfg, const struct slc_tcp_ops *ops,
	void *arg);

/* Abort every connection (closed() runs for each), free every mbuf held and queued. */
void slc_tcp_free(struct slc_tcp *t);

/* Accept connections to local TCP port (host order). 0, -EINVAL (port 0). */
int slc_tcp_listen(struct slc_tcp *t, uint16_t port);

/*
 * Process one segment that lib/pkt classified (SLC_PKT_TCP). Takes ownership of
 * seg->m (held for its payload, or freed). our_mac: the MAC of the port it came
 * in on (the source of what we send back; the segment's source MAC is the
 * destination, and its VLAN tags are kept).
 */
void slc_tcp_input(struct slc_tcp *t, const struct slc_pkt_tcp *seg,
	const struct rte_ether_addr *our_mac, uint64_t now_us);

/*
 * Timers: delayed ACKs, retransmissions (SYN-ACK, data, FIN), keepalive, idle
 * timeout, TIME-WAIT and half-open expiry. Call once per poll loop; the work
 * done is bounded per call (a timer wheel of 1 ms ticks), not a scan of every
 * connection. Returns the number of timers that fired.
 */
uint32_t slc_tcp_poll(struct slc_tcp *t, uint64_t now_us);

/* Segments queued for DPDK port `port`: send pkts[0..n), then slc_tcp_tx_done(sent);
 * the unsent ones are freed and counted as tx_full (TCP recovers them). */
uint16_t slc_tcp_tx_pending(struct slc_tcp *t, uint16_t port, struct rte_mbuf ***pkts);
void slc_tcp_tx_done(struct slc_tcp *t, uint16_t port, uint16_t sent);

const struct slc_tcp_stats *slc_tcp_stats(const struct slc_tcp *t);

/* ---- one connection (owner core; valid from accept() until closed() returns) ---- */

struct slc_tcp_conn_info {
	uint8_t family;             /* 4 or 6 */
	uint8_t peer[16];           /* IPv4 in the first 4 bytes, network order */
	uint8_t local[16];
	uint16_t peer_port;         /* host order */
	uint16_t local_port;
	uint16_t mss;               /* the peer's MSS (what we may send) */
	uint8_t snd_wscale;         /* the peer's window shift (0 if not negotiated) */
	uint8_t rcv_wscale;         /* ours */
	bool sack_ok;
	bool timestamps;
	uint32_t rcv_wnd;           /* window last announced, bytes */
};

void slc_tcp_conn_info(const struct slc_tcp_conn *c, struct slc_tcp_conn_info *out);
void *slc_tcp_conn_app(const struct slc_tcp_conn *c);

/* In-order bytes received and not consumed yet. */
uint32_t slc_tcp_rcv_avail(const struct slc_tcp_conn *c);

/*
 * The len bytes at offset off of the unconsumed data. If they lie in one mbuf,
 * returns a pointer into it and sets *m to that mbuf (valid until they are
 * consumed; the caller may take a reference with rte_mbuf_refcnt_update). Else
 * copies them into buf (len bytes) and sets *m to NULL. NULL if fewer than
 * off + len bytes are available. m may be NULL if the caller does not need it.
 */
const uint8_t *slc_tcp_rcv_peek(struct slc_tcp_conn *c, uint32_t off, uint32_t len, void *buf,
	struct rte_mbuf **m);

/* Offset (from the first unconsumed byte) of the first byte equal to ch at or
 * after off, or -1 if none is available yet. */
int64_t slc_tcp_rcv_find(struct slc_tcp_conn *c, uint32_t off, uint8_t ch);

/*
 * Release the first len unconsumed bytes (len <= slc_tcp_rcv_avail). The
 * window grows by as much; when it has grown by at least min(one MSS, half of
 * rcv_buf) since last announced (RFC 9293 3.8.6.2.2, receiver SWS avoidance),
 * it is announced: at once by a window update when the peer is short of window
 * (it reopens from zero, or what the peer may still send is less than half of
 * the new window), else by the next ACK (within delack_us).
 */
void slc_tcp_rcv_consume(struct slc_tcp_conn *c, uint32_t len);

/* The peer sent FIN and every byte before it is queued (it may not all be consumed). */
bool slc_tcp_rcv_eof(const struct slc_tcp_conn *c);

/*
 * Queue len bytes for the peer, sent in order and retransmitted until
 * acknowledged, within the peer's window. Returns 0, -ENOBUFS (less than len
 * bytes of send buffer free: nothing queued), -ENOTCONN (FIN already queued, or
 * the connection is closing).
 */
int slc_tcp_send(struct slc_tcp_conn *c, const void *data, uint32_t len);

/* Free bytes in the send buffer. */
uint32_t slc_tcp_snd_space(const struct slc_tcp_conn *c);

/* Bytes queued with slc_tcp_send() not yet acknowledged by the peer. */
uint32_t slc_tcp_snd_unacked(const struct slc_tcp_conn *c);

/* Send FIN after the queued data; closed() runs when the close completes. */
void slc_tcp_close(struct slc_tcp_conn *c);

/* Send RST now and forget the connection; closed(SLC_TCP_CLOSE_ABORT) runs before return. */
void slc_tcp_abort(struct slc_tcp_conn *c);

#endif /* SLC_TCP_H */
