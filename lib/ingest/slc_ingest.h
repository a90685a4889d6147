/*
 * @file
 * slc_ingest: the data plane's core logic, from received frames to records in
 * shard logs, spread over N data cores (docs/dataplane.md).
 *
 * A data core hands the frames of one rx burst to slc_ingest_core_rx(): each is
 * classified (lib/pkt), its records decoded (raw: one per datagram; framed:
 * lib/frame), each record routed by its hash key through the current shard map
 * to its shard and that shard's owner core. The owner appends at once; any other
 * core puts the record on the bounded single-producer/single-consumer ring to the
 * owner, in bursts at the end of the rx burst. slc_ingest_core_poll() drains the
 * core's incoming rings, appends, and polls the core's log writer. Nothing here
 * calls rte_ethdev: the caller receives and sends (app/sluiced), so the whole
 * engine runs in one thread in tests by polling fake cores in turn.
 *
 * Ownership: the engine (struct slc_ingest) is built by the control core and is
 * read-only once slc_ingest_start() returned, except the shard map, which is
 * published as a new version (data cores pick it up at the start of an rx
 * call), and the slots that live resharding appends (control core only; see
 * "live resharding" below and docs/resharding.md, "Live"). A struct slc_ingest_core and everything it holds (pkt context, log
 * writer, shards it owns, counters) is touched only by the thread that polls
 * that core, with two exceptions: the counters are read (not written) by the
 * telemetry thread, and the rings are shared with exactly one producer each.
 *
 * Overload never blocks: a full ring, a full log buffer, an oversize record or a
 * missing mbuf drops the record and counts it on its shard by cause.
 *
 * TCP (slc_ingest_add_tcp_route): each data core runs one lib/tcp engine for
 * the connections RSS gives it. Records come from the connection's byte stream
 * (framed: frames as on UDP; lines: one record per line) and are routed exactly
 * as UDP records are. TCP never drops for overload: before taking a frame (or a
 * line) off a connection the core checks that there is room for it (handover
 * rings, every core's log buffers, the connection's pending acknowledgements);
 * if not, the bytes stay unconsumed, the connection's receive window closes and
 * the sender waits (backpressure). In framed mode each frame is answered with
 * an acknowledgement frame (docs/frame-format.md) once each of its records is
 * durable or has failed: records carry a ticket to their shard's owner, which
 * reports each outcome back to the connection's core over a completion ring.
 */
#ifndef SLC_INGEST_H
#define SLC_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "slc_frame.h"
#include "slc_hashkey.h"
#include "slc_log.h"
#include "slc_pkt.h"
#include "slc_stream.h"
#include "slc_tcp.h"

#define SLC_INGEST_MAX_CORES 16
#define SLC_INGEST_MAX_STREAMS 64
#define SLC_INGEST_BURST 32
#define SLC_INGEST_RING_SIZE_DEFAULT 4096
#define SLC_INGEST_SPARE_SLOTS 64    /* slots for shards opened by live resharding */
#define SLC_INGEST_HIST_BUCKETS 64   /* hash-range buckets per shard (traffic histogram) */
#define SLC_INGEST_RETA_MAX 2048     /* largest RSS redirection table counted */
#define SLC_INGEST_MAX_TCP_ROUTES 64
#define SLC_INGEST_KEY_FIELD_MAX 127 /* lines mode: longest JSON field name */
#define SLC_INGEST_TCP_PENDING 256   /* frames per connection waiting for their ack */

/* Why a routed record was dropped; per-shard counters are indexed by these. */
enum slc_ingest_drop {
	SLC_INGEST_D_RING_FULL = 0,  /* the ring to the owner core was full */
	SLC_INGEST_D_LOG_FULL,       /* slc_log_append -ENOBUFS: the disk is behind */
	SLC_INGEST_D_TOO_BIG,        /* data longer than the stream's max record */
	SLC_INGEST_D_NOMBUF,         /* no mbuf to copy a record out of a reassembled datagram */
	SLC_INGEST_D_LOG_ERROR,      /* slc_log_append -EIO (earlier write failed) or -EINVAL */
	SLC_INGEST_D_MAX,
};

/* "ring_full", "log_full", "too_big", "nombuf", "log_error". */
const char *slc_ingest_drop_name(enum slc_ingest_drop d);

struct slc_ingest_cfg {
	uint32_t n_cores;            /* data cores, 1..SLC_INGEST_MAX_CORES */
	uint32_t ring_size;          /* elements per handover ring (power of two, >= 2;
	                              * usable: ring_size - 1); default 4096 */
	int socket;                  /* NUMA socket for rings and contexts; SOCKET_ID_ANY */
	struct slc_log_cfg log;      /* every core's log writer (max_record is raised to the
	                              * largest stream's) */
	uint32_t reta_size;          /* RSS redirection table entries to learn flows for
	                              * (power of two <= SLC_INGEST_RETA_MAX); 0: off */
};

void slc_ingest_cfg_default(struct slc_ingest_cfg *cfg);

/* Counters of one shard kept by one core (sum over cores for the shard's totals). */
struct slc_ingest_shard_stats {
	uint64_t records_rx;         /* records this core routed to the shard */
	uint64_t stored;             /* appended (owner only) */
	uint64_t bytes;              /* key + data bytes appended (owner only) */
	uint64_t durable;            /* reported durable since start (owner only) */
	uint64_t next_seq;           /* next counter of the shard (owner only) */
	uint64_t handover_out;       /* put on the ring to the owner (non-owners) */
	uint64_t handover_in;        /* taken off a ring (owner only) */
	uint64_t drop[SLC_INGEST_D_MAX];
};

/* Counters of one port's rx queue (the core's queue on that port). */
struct slc_ingest_port_stats {
	uint64_t rx_packets;         /* frames given to slc_ingest_core_rx() */
	uint64_t rx_bytes;
	uint64_t datagrams;          /* UDP datagrams for a listener */
	uint64_t records;            /* records decoded */
	uint64_t frame_drops;        /* framed datagrams dropped whole */
	uint64_t frame_drop[SLC_FRAME_E_MAX];
	uint64_t tx_packets;         /* replies sent (slc_ingest_core_tx_done) */
};

/* What a TCP port carries. */
enum slc_ingest_tcp_mode {
	SLC_INGEST_TCP_FRAMED = 1,   /* frames (docs/frame-format.md), acknowledged */
	SLC_INGEST_TCP_LINES = 2,    /* one record per '\n'-terminated line, no acks */
};

/* TCP counters of one data core (the engine's own: slc_ingest_core_tcp()). */
struct slc_ingest_tcp_stats {
	uint64_t frames;             /* frames taken (valid) */
	uint64_t frame_rejects[SLC_FRAME_E_MAX]; /* frames rejected by cause (then closed) */
	uint64_t frames_too_long;    /* frame length above the connection's rcv_buf (rejected,
	                              * error length, closed) */
	uint64_t lines;              /* lines taken as records */
	uint64_t line_key_fallback;  /* lines keyed by the sender: no usable JSON field */
	uint64_t lines_too_long;     /* lines longer than the stream's max record: skipped */
	uint64_t records;            /* records routed from TCP (frames and lines) */
	uint64_t acks;               /* acknowledgement frames sent */
	uint64_t ack_groups;         /* groups in them */
	uint64_t records_acked;      /* records acknowledged as stored */
	uint64_t records_failed;     /* records acknowledged as not stored (retry, too_big,
	                              * error) */
	uint64_t blocked;            /* a connection stopped consuming for lack of room */
	uint64_t pending_frames;     /* gauge: frames waiting for their acknowledgement */
	uint64_t ack_too_big;        /* an ack larger than the send buffer: connection reset */
	uint64_t completions_out;    /* record outcomes sent to another core */
	uint64_t completions_in;     /* record outcomes received from other cores */
	uint64_t completions_stale;  /* outcomes for connections that are gone (discarded) */
};

struct slc_ingest_core_stats {
	uint64_t handover_out;       /* records put on rings to other cores */
	uint64_t handover_in;        /* records taken off incoming rings */
	uint64_t polls;              /* slc_ingest_core_poll calls */
	struct slc_ingest_port_stats port[SLC_PKT_MAX_PORTS];
};

/* What the engine knows about one open shard ("slot"), read-only after start. */
struct slc_ingest_shard_info {
	const struct slc_stream *stream;
	uint32_t stream_id;          /* order of slc_ingest_add_stream() */
	uint32_t index;              /* shard index in its stream */
	uint32_t owner;              /* data core that appends to it */
};

struct slc_ingest;
struct slc_ingest_core;

/*
 * Create an engine. pkt: the packet configuration every core's pkt context gets
 * (its udp_mode table is overwritten by slc_ingest_add_route()). Returns NULL
 * with rte_errno set: EINVAL (bad cfg), ENOMEM.
 */
struct slc_ingest *slc_ingest_create(const struct slc_ingest_cfg *cfg,
	const struct slc_pkt_cfg *pkt);

/*
 * Add a stream (before start). The handle must outlive the engine; the caller
 * holds the stream's writer lock. Returns the stream id (0, 1, ...), or -EINVAL
 * (started, too many streams), -EEXIST (same stream added twice), -ENOSPC (the
 * stream has no open shard).
 */
int slc_ingest_add_stream(struct slc_ingest *ing, const struct slc_stream *st);

/*
 * Deliver UDP port `udp_port` (host order) in `mode` (raw or framed) to stream
 * stream_id (before start). Returns 0, -EINVAL (started, bad mode or stream id),
 * -EEXIST (port already routed).
 */
int slc_ingest_add_route(struct slc_ingest *ing, uint16_t udp_port, enum slc_pkt_mode mode,
	uint32_t stream_id);

/*
 * Accept TCP connections on port `tcp_port` (host order) for stream stream_id
 * (before start). mode: framed or lines. key_field (lines mode): the JSON field
 * of a line that gives its partition key; NULL or "": the sender's "ip:port"
 * (as raw UDP). Returns 0, -EINVAL (started, bad mode or stream id, key_field
 * longer than SLC_INGEST_KEY_FIELD_MAX, more than SLC_INGEST_MAX_TCP_ROUTES),
 * -EEXIST (port already routed).
 */
int slc_ingest_add_tcp_route(struct slc_ingest *ing, uint16_t tcp_port,
	enum slc_ingest_tcp_mode mode, uint32_t stream_id, const char *key_field);

/*
 * The TCP engines' settings (before start; copied). cfg->pool is every data
 * core's mbuf pool for the segments it sends and for copies of records handed
 * to another core. Without this call, slc_tcp_cfg_default() with no pool, and
 * start fails with -EINVAL when TCP routes exist. 0 or -EINVAL.
 */
int slc_ingest_set_tcp(struct slc_ingest *ing, const struct slc_tcp_cfg *cfg);

/*
 * Data core `core`'s own mbuf pool for TCP (before start), e.g. the pool of its
 * NUMA socket; cores without one use the slc_ingest_set_tcp() pool. 0, -EINVAL.
 */
int slc_ingest_set_core_pool(struct slc_ingest *ing, uint32_t core, struct rte_mempool *pool);

/* Number of TCP routes (ports). */
uint32_t slc_ingest_n_tcp_routes(const struct slc_ingest *ing);

/* The MAC address of DPDK port `port` (before start). 0 or -EINVAL. */
int slc_ingest_set_port(struct slc_ingest *ing, uint16_t port, const struct rte_ether_addr *mac);

/*
 * Build the cores: per core a pkt context, a log writer, the handover rings,
 * and every shard opened (recovered) on its owner's writer; then publish shard
 * map version 1. Runs on the control core before the data cores are launched.
 * Returns 0 or -errno: -ENOMEM, -EINVAL (no stream), or the errno of
 * slc_log_shard_open() (EINVAL: the data dir rejects O_DIRECT, the log says
 * why), whose message names the stream and shard (see slc_ingest_errmsg()).
 */
int slc_ingest_start(struct slc_ingest *ing);

/* After a failed start: what failed, for the user ("stream s shardId-... : ..."). */
const char *slc_ingest_errmsg(const struct slc_ingest *ing);

/*
 * Free the engine: closes the writers (call slc_ingest_core_sync on every core
 * first, or unsynced records may be lost), pkt contexts (every mbuf they hold
 * goes back to its pool), rings (they must be empty). Control core, after the
 * data cores stopped.
 */
void slc_ingest_free(struct slc_ingest *ing);

uint32_t slc_ingest_n_cores(const struct slc_ingest *ing);
struct slc_ingest_core *slc_ingest_core_get(struct slc_ingest *ing, uint32_t i);

/* Open shards over all streams, and slot i's identity. */
uint32_t slc_ingest_n_shards(const struct slc_ingest *ing);
const struct slc_ingest_shard_info *slc_ingest_shard_info(const struct slc_ingest *ing,
	uint32_t slot);

/* First slot of stream_id, or -EINVAL. Slots of a stream are consecutive by index order. */
int slc_ingest_stream_first_slot(const struct slc_ingest *ing, uint32_t stream_id);

/* Version of the shard map in force (control core). */
uint64_t slc_ingest_map_version(const struct slc_ingest *ing);

/* ---- data core (owner thread only) ---- */

/*
 * Process an rx burst from `port`: takes ownership of pkts[0..n) (every mbuf is
 * freed, queued as a reply, kept for reassembly, or referenced by a record on a
 * ring). now_tsc = rte_rdtsc(): ages fragments and stamps arrival times.
 * Returns the number of records routed (stored, handed over or dropped).
 */
uint32_t slc_ingest_core_rx(struct slc_ingest_core *c, uint16_t port, struct rte_mbuf **pkts,
	uint16_t n, uint64_t now_tsc);

/*
 * Drain the incoming rings in bursts and append, expire fragments, poll the log
 * writer. Call once per loop iteration. Returns the number of records taken off
 * rings plus log completions reaped (0: nothing happened).
 */
uint32_t slc_ingest_core_poll(struct slc_ingest_core *c, uint64_t now_tsc);

/* Replies queued for port (slc_pkt_tx_pending / slc_pkt_tx_done). */
uint16_t slc_ingest_core_tx_pending(struct slc_ingest_core *c, uint16_t port,
	struct rte_mbuf ***pkts);
void slc_ingest_core_tx_done(struct slc_ingest_core *c, uint16_t port, uint16_t sent);

/*
 * TCP segments queued for port by the core's engine (after the replies of
 * slc_ingest_core_tx_pending): send pkts[0..n), then slc_ingest_core_tcp_tx_done
 * (the unsent ones are freed; TCP retransmits). 0 without TCP.
 */
uint16_t slc_ingest_core_tcp_tx_pending(struct slc_ingest_core *c, uint16_t port,
	struct rte_mbuf ***pkts);
void slc_ingest_core_tcp_tx_done(struct slc_ingest_core *c, uint16_t port, uint16_t sent);

/*
 * Shutdown, after slc_ingest_core_sync(): report every outcome known, send the
 * acknowledgements that are complete, then abort every connection (RST). The
 * segments are queued for slc_ingest_core_tcp_tx_pending(). No-op without TCP.
 */
void slc_ingest_core_tcp_shutdown(struct slc_ingest_core *c, uint64_t now_tsc);

/* True if every ring into this core is empty. */
bool slc_ingest_core_rings_empty(const struct slc_ingest_core *c);

/* Make everything appended so far durable (blocking; shutdown). 0 or -EIO. */
int slc_ingest_core_sync(struct slc_ingest_core *c);

/* ---- counters (any thread may read; only the core writes) ---- */

uint32_t slc_ingest_core_index(const struct slc_ingest_core *c);
const struct slc_ingest_core_stats *slc_ingest_core_stats(const struct slc_ingest_core *c);
const struct slc_ingest_shard_stats *slc_ingest_core_shard_stats(const struct slc_ingest_core *c,
	uint32_t slot);
const struct slc_pkt_stats *slc_ingest_core_pkt_stats(const struct slc_ingest_core *c);
/* The core's TCP counters; its engine (NULL without TCP) for slc_tcp_stats(). */
const struct slc_ingest_tcp_stats *slc_ingest_core_tcp_stats(const struct slc_ingest_core *c);
struct slc_tcp *slc_ingest_core_tcp(const struct slc_ingest_core *c);

/* The core's log writer counters (a copy read without locking). */
void slc_ingest_core_log_stats(const struct slc_ingest_core *c, struct slc_log_stats *out);

/* Sum of slot's counters over every core into *out. */
void slc_ingest_shard_stats_sum(struct slc_ingest *ing, uint32_t slot,
	struct slc_ingest_shard_stats *out);

/* ---- live resharding (control core; docs/resharding.md, "Live") ---- */

/* Requests to one data core, served at its safe point (end of slc_ingest_core_poll). */
enum slc_ingest_req {
	SLC_INGEST_REQ_OPEN = 1,     /* open the slot on the core's writer */
	SLC_INGEST_REQ_CLOSE = 2,    /* drain the rings, take the ending counter, sync, close */
};

/* Stream id of the stream named name, or -ENOENT. */
int slc_ingest_stream_id(const struct slc_ingest *ing, const char *name);

/* The slot of open (mapped) shard index of stream_id, or -ENOENT. */
int slc_ingest_slot_find(const struct slc_ingest *ing, uint32_t stream_id, uint32_t index);

/* The data core with the fewest open shards (ties: the lowest index). */
uint32_t slc_ingest_pick_owner(const struct slc_ingest *ing);

/*
 * Add a slot for shard `index` of st (a handle of the same stream in which that
 * shard is OPEN; it must outlive the engine), owned by core `owner`, not yet in
 * the map: ask the owner to open it (SLC_INGEST_REQ_OPEN), then publish it.
 * Returns the slot, -EINVAL, -ENOSPC (SLC_INGEST_SPARE_SLOTS used up).
 */
int slc_ingest_slot_add(struct slc_ingest *ing, uint32_t stream_id, const struct slc_stream *st,
	uint32_t index, uint32_t owner);

/*
 * Publish a new shard-map version without the `retire` slots and with the `add`
 * slots (opened). *version: the new version; wait for slc_ingest_acked(). 0,
 * -EINVAL (a slot not mapped / not pending), -ENOMEM.
 */
int slc_ingest_publish(struct slc_ingest *ing, const uint32_t *retire, uint32_t n_retire,
	const uint32_t *add, uint32_t n_add, uint64_t *version);

/* True once every data core has acknowledged `version` (its staged elements flushed). */
bool slc_ingest_acked(const struct slc_ingest *ing, uint64_t version);

/* Post a request to core; -EBUSY if its previous one is not served yet. */
int slc_ingest_request(struct slc_ingest *ing, uint32_t core, enum slc_ingest_req op,
	uint32_t slot);

/*
 * 1 when core served its last request (*result: 0 or -errno; *value: a closed
 * slot's ending counter), else 0.
 */
int slc_ingest_request_done(struct slc_ingest *ing, uint32_t core, int *result, uint64_t *value);

/* True if slot was closed by SLC_INGEST_REQ_CLOSE. */
bool slc_ingest_slot_closed(const struct slc_ingest *ing, uint32_t slot);

/* ---- traffic observation (control core reads; data cores count) ---- */

/*
 * Where in its hash range a shard's records fall: the range [start, end] is cut
 * into buckets of 2^shift hash keys (bucket i starts at start + i * 2^shift; the
 * last one may be shorter), at most SLC_INGEST_HIST_BUCKETS of them. The routing
 * core counts every record it routes to the shard (records_rx) and its key + data
 * bytes, while slc_ingest_set_hist() is on for the stream (autoscaling turns it
 * on), so the control core can find the hash key that halves a shard's traffic.
 * Counters only grow; take differences between two reads.
 */
struct slc_ingest_hist {
	slc_u128 start;
	slc_u128 end;                /* inclusive */
	uint32_t shift;
	uint32_t n_buckets;          /* buckets in use: ((end - start) >> shift) + 1 */
	uint64_t records[SLC_INGEST_HIST_BUCKETS];
	uint64_t bytes[SLC_INGEST_HIST_BUCKETS];
};

/*
 * Count the histogram of stream_id's shards (on) or not (off, the default: the
 * per-record cost is then one branch). Any time, from the control core; data
 * cores see it at their next record. 0 or -EINVAL.
 */
int slc_ingest_set_hist(struct slc_ingest *ing, uint32_t stream_id, bool on);

/* Sum slot's histogram over every core. 0 or -EINVAL (no such slot). */
int slc_ingest_shard_hist(struct slc_ingest *ing, uint32_t slot, struct slc_ingest_hist *out);

/*
 * Flow learning for RSS steering (cfg.reta_size > 0). For every received frame
 * that carries the NIC's RSS hash (RTE_MBUF_F_RX_RSS_HASH), the receiving core
 * counts each record it routes under bucket (hash.rss & (reta_size - 1)) and the
 * data core that owns the record's shard. out[bucket * n_cores + owner] gets the
 * sum over every core, for every bucket (reta_size * n_cores counters). A bucket
 * whose records mostly belong to core k should be steered to queue k (queue i is
 * data core i's). Counters only grow. 0 or -ENOTSUP (reta_size is 0).
 */
int slc_ingest_flow_counts(struct slc_ingest *ing, uint64_t *out);
/* Set cfg.reta_size after create, before start (the ports are set up between). 0/-EINVAL. */
int slc_ingest_set_reta_size(struct slc_ingest *ing, uint32_t reta_size);
uint32_t slc_ingest_reta_size(const struct slc_ingest *ing);

/* ---- ingest-to-durable latency sampling (benchmarks; off by default) ---- */

/*
 * For benchmarks whose sender stamps its send time into every record: data bytes
 * [0, 8) hold CLOCK_REALTIME in nanoseconds, little-endian (perf/gen's --stamp).
 * With sampling on, each data core takes 1 in `every` of the records of at least
 * 8 data bytes it appends, and remembers (shard, sequence number, stamp) in a
 * bounded per-shard FIFO (SLC_INGEST_LAT_PENDING entries). When the shard's
 * durable watermark passes that sequence number (the log writer's durability
 * callback, at the stream's durability level), CLOCK_REALTIME now minus the
 * stamp goes into the core's histogram. So a latency covers the sender's queue,
 * the link, the receive path, the wait for the block to be written (linger) and
 * the write (and fdatasync with `fsync`); it is only as exact as the two clocks
 * agree (one machine: the same clock).
 *
 * The histogram is log-linear: bucket 0 holds everything below 2^10 ns (~1 us);
 * then each power of two from 2^10 to 2^34 ns (~17 s) is cut into 2^5 = 32
 * equal buckets (each at most 1/32 = 3.1 % wide relative to its values); the
 * last bucket holds 2^34 ns and above. Per-core, written by the core only,
 * read without locks by any thread (like the other counters).
 */
#define SLC_INGEST_LAT_SUB_BITS 5
#define SLC_INGEST_LAT_MIN_LOG2 10
#define SLC_INGEST_LAT_MAX_LOG2 34
#define SLC_INGEST_LAT_BUCKETS \
	(2 + (SLC_INGEST_LAT_MAX_LOG2 - SLC_INGEST_LAT_MIN_LOG2) * (1 << SLC_INGEST_LAT_SUB_BITS))
#define SLC_INGEST_LAT_PENDING 1024  /* sampled records per shard waiting for durability */
#define SLC_INGEST_LAT_EVERY_DEFAULT 64

struct slc_ingest_latency {
	uint32_t every;              /* 1 record in `every` sampled per core; 0: off */
	uint64_t samples;            /* latencies in the histogram */
	uint64_t invalid;            /* sampled records without a usable stamp: 0, later than
	                              * the time it became durable, or more than an hour old */
	uint64_t skipped;            /* sampled records not tracked: the shard's FIFO was full */
	uint64_t pending;            /* tracked, not durable yet */
	uint64_t sum_ns;             /* of the samples: the mean is sum_ns / samples */
	uint64_t min_ns;             /* 0 when there is no sample */
	uint64_t max_ns;
	uint64_t bucket[SLC_INGEST_LAT_BUCKETS];
};

/*
 * Turn sampling on (every >= 1) or off (0) before slc_ingest_start(). Returns 0,
 * or -EINVAL (started, or every above 1048576).
 */
int slc_ingest_set_latency(struct slc_ingest *ing, uint32_t every);

/*
 * The histograms of every core summed into *out (a copy read while the cores
 * run). Returns 0 or -ENOTSUP (sampling is off: out->every is 0).
 */
int slc_ingest_latency(struct slc_ingest *ing, struct slc_ingest_latency *out);

/*
 * Clear every core's histogram and counters (not the records still waiting for
 * durability): each core clears its own at its next safe point, so a benchmark
 * can drop its warm-up. Any thread. No-op when sampling is off.
 */
void slc_ingest_latency_reset(struct slc_ingest *ing);

/* The bucket a latency of ns nanoseconds falls into. */
uint32_t slc_ingest_latency_bucket(uint64_t ns);

/* The largest latency (ns) bucket b holds (UINT64_MAX for the last bucket). */
uint64_t slc_ingest_latency_bucket_high(uint32_t b);

/*
 * The q-quantile (0 < q <= 1) of l in ns: the largest value of the bucket holding
 * the ceil(q * samples)-th smallest sample, capped by max_ns (so at most 3.1 %
 * above the true value, never below it). 0 when l has no sample.
 */
uint64_t slc_ingest_latency_quantile(const struct slc_ingest_latency *l, double q);

#endif /* SLC_INGEST_H */
