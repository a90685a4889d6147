/*
 * lib/ingest private: the engine's and the data cores' state, shared by
 * ingest.c (frames in, records routed and appended) and ingest_tcp.c (TCP
 * connections, frames and lines from byte streams, acknowledgements).
 */
#ifndef INGEST_PRIV_H
#define INGEST_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_log.h>
#include <rte_ring.h>

#include "slc_ingest.h"
#include "slc_tcp.h"

extern int slc_ingest_logtype;
#define ING_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_ingest_logtype, "slc.lib.ingest: " fmt "\n", ##__VA_ARGS__)

/* A TCP listening port and what its connections carry. */
struct ing_tcp_route {
	uint16_t port;
	uint8_t mode;                            /* enum slc_ingest_tcp_mode */
	uint32_t stream_id;
	char key_field[SLC_INGEST_KEY_FIELD_MAX + 1];  /* lines: "" = sender ip:port */
};

struct ing_tcp_core;

#define STAGE_MAX 256u          /* staged handover elements per destination */
#define DRAIN_BURST 32u
#define DRAIN_BURSTS_PER_POLL 8u

#define HO_F_RAW 0x01u          /* key = sender address in u[], family, src_port */
#define HO_F_HASHKEY 0x02u      /* the record's own explicit hash key in u[] */
#define HO_F_TICKET 0x04u       /* from a TCP frame: tk says whom to tell the outcome */

/*
 * A record routed from a TCP frame carries a ticket: where its outcome (stored
 * with its counter once durable, or failed) must be reported. origin: the data
 * core that owns the connection; conn + gen: the connection's slot in that
 * core's table and its generation (a reused slot has another); frame: the
 * frame's slot in the connection's pending-frame ring; rec: the record's index
 * in the frame.
 */
struct ho_ticket {
	uint32_t conn;
	uint16_t gen;
	uint16_t rec;
	uint8_t frame;
	uint8_t origin;
} __attribute__((packed));
_Static_assert(sizeof(struct ho_ticket) == 10, "a ticket fills the handover element's pad");

/* A record on its way to the owner core. */
struct ho_elem {
	struct rte_mbuf *m;     /* holds key (framed) and data; one reference per element */
	int64_t arrival_ms;
	uint32_t key_off;       /* offsets from the start of m's data */
	uint32_t data_off;
	uint32_t data_len;
	uint32_t slot;
	uint16_t key_len;
	uint16_t src_port;
	uint8_t flags;
	uint8_t family;
	struct ho_ticket tk;    /* HO_F_TICKET */
	uint8_t u[16];          /* hash key, or sender address (raw) */
};
_Static_assert(sizeof(struct ho_elem) == 64, "one handover element per cache line");

enum slot_state {
	SLOT_PENDING = 0,       /* opened on its owner's writer, not in the map */
	SLOT_MAPPED,            /* in the map */
	SLOT_RETIRED,           /* out of the map, still open for what is on the rings */
	SLOT_CLOSED,            /* closed: never appended to again */
};

/* The mailbox from the control core to one data core. */
struct core_req {
	uint64_t seq;           /* control: bumped (release) after op and slot are set */
	uint32_t op;
	uint32_t slot;
	uint64_t done;          /* core: the seq served (release), after result, value */
	int result;
	uint64_t value;
};

struct map_ent {
	slc_u128 start;
	slc_u128 end;
	uint32_t slot;
	uint32_t owner;
	uint32_t shift;         /* histogram bucket = (h - start) >> shift */
};

/* A shard map version: per stream, its open shards sorted by start hash. */
struct shard_map {
	uint64_t version;
	struct shard_map *older;        /* kept until the engine is freed */
	uint32_t first[SLC_INGEST_MAX_STREAMS];
	uint32_t n[SLC_INGEST_MAX_STREAMS];
	struct map_ent ents[];
};

/*
 * Raw-mode partition keys ("ip:port") and their MD5, cached per core by source
 * address and port, direct-mapped. A sender sends many datagrams, and the text
 * and the MD5 of its key cost ~600 of the ~1300 cycles a 64 B raw record took
 * (perf/README.md, data plane); a hit costs a compare and a copy.
 */
#define RAWKEY_CACHE 4096u
struct rawkey {
	uint8_t src[16];
	uint16_t port;
	uint8_t family;                          /* 0: empty */
	uint8_t klen;
	slc_u128 hash;
	char key[44];                            /* "[v6]:port" fits in 48 with NUL */
};

/*
 * Latency sampling (slc_ingest_set_latency): per owned shard, a FIFO of the
 * sampled records not yet durable, in sequence order (a shard's records are
 * appended in order, and its watermark only moves forward), so the durability
 * callback pops from the head while the head's sequence number is below the
 * new watermark: the cost is per sample, never a scan.
 */
struct lat_pend {
	uint64_t seq;
	uint64_t stamp_ns;
};

struct lat_fifo {
	uint32_t head;                           /* free-running; index & (PENDING - 1) */
	uint32_t tail;
	struct lat_pend e[SLC_INGEST_LAT_PENDING];
};

struct lat_core {
	/* owner: this core; hist read by any thread */
	struct slc_ingest_latency hist;
	uint32_t countdown;                      /* records of >= 8 bytes until the next sample */
	uint64_t reset_seen;                     /* the engine's lat_reset last acted on */
	struct lat_fifo **fifo;                  /* [cap_slots], allocated for owned slots */
};

_Static_assert((SLC_INGEST_LAT_PENDING & (SLC_INGEST_LAT_PENDING - 1)) == 0,
	"the FIFO index wraps by mask");

struct slc_ingest_core {
	/* owner: this core; read by telemetry */
	struct slc_ingest_core_stats stats;

	/* owner: this core */
	struct slc_ingest *ing __rte_cache_aligned;
	const struct shard_map *map;
	uint32_t index;
	struct slc_pkt_ctx *pkt;
	struct slc_log_writer *w;
	struct slc_log_shard **shard;            /* [slot], non-NULL where owned */
	uint64_t *start_seq;                     /* [slot] next_seq at open */
	uint32_t *owned;                         /* slots owned */
	uint32_t n_owned;
	struct slc_ingest_shard_stats *sstats;   /* [slot]; read by telemetry */
	struct rte_ring *in[SLC_INGEST_MAX_CORES];   /* consumer: this core */
	struct rte_ring *out[SLC_INGEST_MAX_CORES];  /* producer: this core */
	struct ho_elem *stage[SLC_INGEST_MAX_CORES];
	uint32_t n_stage[SLC_INGEST_MAX_CORES];
	uint8_t *scratch;                        /* max_record bytes */
	uint8_t keybuf[SLC_PKEY_MAX + 64];
	struct rawkey *rawkeys;                  /* [RAWKEY_CACHE] */
	int64_t now_ms;
	uint32_t cur_bucket;                     /* RSS bucket of the frame being routed,
	                                          * UINT32_MAX: none */
	struct lat_core *lat;                    /* latency sampling; NULL: off */
	const struct ho_ticket *cur_tk;          /* ticket of the record being routed (TCP) */
	struct rte_mempool *pool;                /* mbufs for copies when m is NULL (TCP) */
	struct ing_tcp_core *tcp;                /* TCP state (ingest_tcp.c); NULL: no TCP */

	/* owner: this core; read by the control core */
	uint64_t (*hist)[2][SLC_INGEST_HIST_BUCKETS]; /* [slot][records, bytes][bucket] */
	uint64_t *flows;                         /* [bucket * n_cores + owner] */

	/* owner: this core; read by telemetry */
	struct slc_ingest_tcp_stats tcp_stats;

	/* mailbox and acknowledged map version (shared with the control core) */
	struct core_req req __rte_cache_aligned;
	uint64_t acked_version;
	/* written by this core (relaxed), read by the others: its writer's free buffers */
	uint32_t log_free;
} __rte_cache_aligned;

struct slc_ingest {
	/* read-only after start */
	struct slc_ingest_cfg cfg;
	struct slc_pkt_cfg *pkt_cfg;
	const struct slc_stream *streams[SLC_INGEST_MAX_STREAMS];
	uint32_t n_streams;
	uint32_t first_slot[SLC_INGEST_MAX_STREAMS];
	uint16_t udp_stream[65536];
	uint8_t hist_on[SLC_INGEST_MAX_STREAMS];  /* control core writes, data cores read */
	struct rte_ether_addr mac[SLC_PKT_MAX_PORTS];
	bool mac_set[SLC_PKT_MAX_PORTS];
	struct slc_ingest_shard_info *slots;     /* [cap_slots]; appended by the control core */
	uint32_t n_slots;                        /* stored with release after the slot is set */
	uint32_t cap_slots;
	uint8_t *slot_state;                     /* [cap_slots] enum slot_state; control core */
	struct slc_ingest_core *cores[SLC_INGEST_MAX_CORES];
	bool started;
	uint32_t id;
	uint64_t base_tsc;
	uint64_t tsc_per_ms;
	uint64_t tsc_per_us;
	int64_t base_ms;
	uint32_t lat_every;                      /* latency sampling: 1 in N; 0: off */
	char errmsg[512];

	/* any thread bumps it; each data core clears its histogram when it sees it move */
	uint64_t lat_reset;

	/* owner: control core; loaded by data cores */
	struct shard_map *map;

	/* TCP (read-only after start) */
	struct ing_tcp_route tcp_routes[SLC_INGEST_MAX_TCP_ROUTES];
	uint32_t n_tcp_routes;
	uint8_t tcp_route_of[65536];             /* port -> route index + 1; 0: none */
	struct slc_tcp_cfg tcp_cfg;
	bool tcp_cfg_set;
	struct rte_mempool *core_pool[SLC_INGEST_MAX_CORES];  /* NULL: tcp_cfg.pool */
};


/* ---- ingest.c, for ingest_tcp.c ---- */

/*
 * Route one record r of stream sid (hash h) as rx does, carrying ticket tk
 * (NULL: none). u: the sender for a raw key (the owner formats "ip:port"),
 * else NULL and r->key holds the key. Records handed to another core are
 * copied into mbufs from c->pool. The outcome reaches ingest_tcp_done().
 */
void ingest_route(struct slc_ingest_core *c, uint32_t sid, const struct slc_pkt_udp *u,
	struct slc_record *r, slc_u128 h, const struct ho_ticket *tk);

/* The sender's "ip:port" key into c->keybuf and its hash; returns the key length. */
int ingest_raw_key(struct slc_ingest_core *c, const struct slc_pkt_udp *u, slc_u128 *hash);

/* Put the staged elements for every other core on the rings. */
void ingest_stage_flush_all(struct slc_ingest_core *c);

/* ---- ingest_tcp.c, for ingest.c ---- */

/* Create / free core c's TCP state (start, when TCP routes exist). 0 or -errno. */
int ingest_tcp_core_create(struct slc_ingest_core *c);
void ingest_tcp_core_free(struct slc_ingest_core *c);
/* The completion rings between every ordered pair of cores (start). 0 or -errno. */
int ingest_tcp_rings_create(struct slc_ingest *ing);

/* A segment lib/pkt delivered (takes ownership of seg->m). */
void ingest_tcp_input(struct slc_ingest_core *c, const struct slc_pkt_tcp *seg,
	uint64_t now_tsc);
/* Completions in, timers, blocked connections, staged completions out. Returns work done. */
uint32_t ingest_tcp_poll(struct slc_ingest_core *c, uint64_t now_tsc);

/* The owner appended the ticketed record to slot with counter seq: wait for durability. */
void ingest_tcp_wait(struct slc_ingest_core *c, uint32_t slot, uint64_t seq,
	const struct ho_ticket *tk);
/* slot's watermark moved to next_seq: complete the waiters below it. */
void ingest_tcp_durable(struct slc_ingest_core *c, uint32_t slot, uint64_t next_seq);
/* The ticketed record's outcome (status: enum slc_ack_rec_status) is known. */
void ingest_tcp_done(struct slc_ingest_core *c, const struct ho_ticket *tk, uint8_t status,
	uint32_t shard, uint64_t counter);
/* The status a drop cause gives a ticketed record. */
uint8_t ingest_tcp_drop_status(enum slc_ingest_drop d);

/* ---- pure helpers (unit tests) ---- */

/* What became of one record of a TCP frame. */
struct ingest_tcp_rec {
	uint64_t counter;                        /* stored: its sequence counter */
	uint32_t shard;                          /* shard index it was routed to */
	uint8_t status;                          /* enum slc_ack_rec_status */
	uint8_t set;                             /* the outcome is known */
};

/*
 * The ack groups of a frame's records rec[0..count): runs with the same status
 * and shard, and for stored records consecutive counters. Fills g (room for
 * count groups) and returns how many.
 */
uint32_t ingest_tcp_groups(const struct ingest_tcp_rec *rec, uint32_t count,
	struct slc_ack_group *g);

/*
 * The partition key of a line in lines mode: the JSON field `field` of the line
 * when it is a JSON object with that field as a string (1..256 bytes) or a
 * number (its text), into key (SLC_PKEY_MAX + 1 bytes, NUL-terminated).
 * Returns the key length, or 0 (no such field, not JSON: use the sender).
 */
int ingest_tcp_line_key(const uint8_t *line, uint32_t len, const char *field, char *key);

#endif /* INGEST_PRIV_H */
