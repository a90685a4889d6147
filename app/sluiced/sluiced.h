/*
 * sluiced internals shared by its files: the configuration (config.c), the
 * telemetry commands (telemetry.c) and the main program (main.c).
 */
#ifndef SLUICED_H
#define SLUICED_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "slc_ingest.h"
#include "slc_pkt.h"
#include "slc_port.h"
#include "slc_retention.h"
#include "slc_stream.h"

#define SLUICED_MAX_STREAMS SLC_INGEST_MAX_STREAMS
#define SLUICED_MAX_UDP 64
#define SLUICED_MAX_PORTS SLC_PKT_MAX_PORTS

struct sluiced_stream_spec {
	char name[SLC_STREAM_NAME_MAX + 1];
	uint32_t shards;
	int compression;            /* enum slc_compression, or -1: the default */
	int durability;             /* enum slc_durability, or -1: the default */
};

struct sluiced_udp_spec {
	uint16_t port;
	enum slc_pkt_mode mode;
	char stream[SLC_STREAM_NAME_MAX + 1];    /* "" = the first stream */
};

#define SLUICED_MAX_TCP SLC_INGEST_MAX_TCP_ROUTES
#define SLUICED_TCP_MBUFS 8192      /* mbufs added to the pool per data core with TCP */

/* --tcp-port PORT:framed|lines[:STREAM][:key=FIELD] */
struct sluiced_tcp_spec {
	uint16_t port;
	enum slc_ingest_tcp_mode mode;
	char stream[SLC_STREAM_NAME_MAX + 1];    /* "" = the first stream */
	char key[SLC_INGEST_KEY_FIELD_MAX + 1];  /* lines: JSON field; "" = sender ip:port */
};

/* --autoscale STREAM:key=value,... (autoscale.c, docs/autoscale.md). */
struct sluiced_autoscale_spec {
	char stream[SLC_STREAM_NAME_MAX + 1];
	uint64_t split_rps;          /* split a shard above this many records/s (0: off) */
	uint64_t split_bps;          /* ... or above this many key+data bytes/s (0: off) */
	uint64_t merge_rps;          /* merge two adjacent shards both below (0: off) */
	uint64_t merge_bps;
	uint32_t min_shards;         /* open shards never fewer / more than these */
	uint32_t max_shards;
	uint32_t window_s;           /* a condition must hold this long before acting */
	uint32_t cooldown_s;         /* no decision on the stream for this long after one */
};

struct sluiced_cfg {
	char *data_dir;
	struct sluiced_stream_spec streams[SLUICED_MAX_STREAMS];
	uint32_t n_streams;
	struct sluiced_udp_spec udp[SLUICED_MAX_UDP];
	uint32_t n_udp;
	struct sluiced_tcp_spec tcp[SLUICED_MAX_TCP];
	uint32_t n_tcp;
	uint32_t tcp_max_conns;      /* --tcp-max-conns, per data core; 0: the engine's default */
	uint32_t tcp_rcvbuf;         /* --tcp-rcvbuf bytes; 0: the engine's default */
	long tcp_idle_timeout_s;     /* --tcp-idle-timeout; -1: the engine's default */
	long tcp_keepalive_s;        /* --tcp-keepalive; -1: the engine's default */
	char *ips[SLC_PKT_MAX_ADDRS * 2];
	uint32_t n_ips;
	enum slc_compression compression;
	enum slc_durability durability;
	long linger_us;             /* -1: the log's default */
	char *rx_lcores;            /* NULL: every worker lcore */
	uint32_t mbufs;             /* 0: computed */
	uint32_t ring_size;
	bool accept_any_dst;
	bool buffered_io;
	uint32_t stats_interval_ms; /* 0: no periodic line */
	uint32_t retention_interval_s;  /* retention pass period; 0: off (default 60) */
	struct slc_retention_floor disk_floor;  /* --disk-floor; zero: no guard */
	struct sluiced_autoscale_spec autoscale[SLUICED_MAX_STREAMS];
	uint32_t n_autoscale;
	uint32_t reta_steer_ms;      /* --reta-steer-ms: RSS steering period; 0: off (default 1000) */
	uint32_t latency_every;      /* --latency-stamps: sample 1 in N send stamps; 0: off */
	char *config_file;
};

/*
 * Parse the options after "--" and the --config file they name (the command
 * line wins over the file). Returns 0, 1 after --help (printed), or -1 after
 * printing one message that names the bad option or config line.
 */
int sluiced_cfg_parse(struct sluiced_cfg *cfg, int argc, char **argv);
void sluiced_cfg_free(struct sluiced_cfg *cfg);

/*
 * A data core's polling loop in TSC cycles, counted by that core (main.c) and
 * read by telemetry: an iteration is busy when it received a packet or its
 * engine poll did work (records off a ring, log completions). The VM this was
 * written on exposes no PMU: busy cycles per record is how perf/ tells a data
 * core's cost per record when it is not saturated.
 */
struct sluiced_core_cycles {
	uint64_t busy;               /* cycles of busy iterations */
	uint64_t total;              /* cycles of all iterations */
} __rte_cache_aligned;

/*
 * Test hook SLUICED_TEST_CHAOS="loss=P,dup=P,reorder=P,seed=N" (chaos.c): what
 * it did to TCP segments on one data core (counted by that core).
 */
struct sluiced_chaos_stats {
	uint64_t dropped;            /* received or sent segments dropped */
	uint64_t duplicated;         /* received or sent segments delivered twice */
	uint64_t reordered;          /* received segments held back past the next burst */
} __rte_cache_aligned;

/* What telemetry reads; set up by main before sluiced_telemetry_register(). */
struct sluiced_state {
	struct slc_ingest *ing;
	struct slc_port_info ports[SLUICED_MAX_PORTS];
	uint16_t n_ports;
	uint32_t n_streams;
	uint32_t lcore_of_core[SLC_INGEST_MAX_CORES];
	uint64_t start_ms;
	volatile int draining;
	uint64_t mbuf_leak;
	struct sluiced_core_cycles cycles[SLC_INGEST_MAX_CORES];    /* [core]: that core's */
	bool chaos_on;
	struct sluiced_chaos_stats chaos[SLC_INGEST_MAX_CORES];     /* [core]: that core's */
};

/* Register /sluice/stats and /sluice/shards. Returns 0 or -errno. */
int sluiced_telemetry_register(struct sluiced_state *s);

/*
 * Detach telemetry from the engine (before it is freed): /sluice/stats then
 * answers state "stopped" with the final totals; /sluice/shards answers
 * state "stopped". sluiced_telemetry_final_leak() adds the mbuf_leak figure.
 */
void sluiced_telemetry_detach(void);
void sluiced_telemetry_final_leak(uint64_t leak);

/* Totals over everything, for telemetry and the final line. */
struct sluiced_totals {
	uint64_t rx_packets, rx_bytes, datagrams, records, stored, stored_bytes, durable;
	uint64_t handover, drops, drop[SLC_INGEST_D_MAX], frame_drops, pkt_drops;
	uint64_t imissed, ierrors, rx_nombuf;
	uint64_t segments_deleted, bytes_deleted, disk_alarm;   /* retention.c */
	uint64_t tcp_conns, tcp_frames, tcp_acks, tcp_records;  /* TCP, all cores */
};
void sluiced_totals(struct sluiced_state *s, struct sluiced_totals *t);

/* ---- retention on the control core (retention.c, docs/retention.md) ---- */

struct sluiced_retention_stats {
	uint64_t passes;             /* retention passes run */
	uint64_t segments_deleted;
	uint64_t bytes_deleted;
	uint64_t records_deleted;
	uint64_t disk_alarm;         /* passes that found free space below --disk-floor */
	uint64_t errors;             /* segments that could not be read or deleted */
};

/*
 * Set up retention for the opened streams (handles outlive it) after the engine
 * started. own_thread: run the passes on a thread of their own (single lcore:
 * the main lcore is a data core); else the control loop calls
 * sluiced_retention_tick(). Prints the policy. Returns 0 or -errno.
 */
int sluiced_retention_start(const struct sluiced_cfg *cfg, struct slc_stream *const *streams,
	uint32_t n, struct slc_ingest *ing, bool own_thread);
/* Run a pass if --retention-interval-s elapsed since the last (monotonic ms). */
void sluiced_retention_tick(uint64_t now_ms);
/* Stop the thread if any, free what start made. Before the engine is freed. */
void sluiced_retention_stop(void);
/* The counters, from any thread. */
void sluiced_retention_stats(struct sluiced_retention_stats *out);

/* ---- live resharding on the control core (reshard.c, docs/resharding.md "Live") ---- */

enum sluiced_reshard_op {
	SLUICED_RESHARD_SPLIT = 0,
	SLUICED_RESHARD_MERGE = 1,
};

struct sluiced_reshard_req {
	enum sluiced_reshard_op op;
	char stream[SLC_STREAM_NAME_MAX + 1];
	uint32_t shard;              /* split: the shard; merge: the first one */
	uint32_t adjacent;           /* merge: the adjacent one */
	slc_u128 key;                /* split: the new starting hash key */
};

struct sluiced_reshard_res {
	int ok;
	char error[320];
	uint32_t n_parents;
	uint32_t parents[2];
	uint64_t ending[2];          /* each parent's exclusive ending counter */
	uint32_t n_children;
	uint32_t children[2];
	uint32_t owners[2];          /* data core of each child */
	uint64_t version;            /* shard map version published */
};

/*
 * Finish a reshard a crash interrupted (streams/<s>/reshard.journal), on a stream
 * opened with its writer lock held, before the engine opens it. 0 (nothing to do
 * or done, printed), or -errno (message printed).
 */
int sluiced_reshard_recover(struct slc_stream *st);

/* After the engine started. self: the data core the control loop also runs, or NULL. */
int sluiced_reshard_setup(const char *data_dir, struct slc_ingest *ing,
	struct slc_ingest_core *self);
/* Control loop: run a posted request to the end. */
void sluiced_reshard_tick(void);
/* Telemetry thread: post a request, wait for its result. 0, -EBUSY, -ETIMEDOUT. */
int sluiced_reshard_submit(const struct sluiced_reshard_req *q, struct sluiced_reshard_res *r,
	uint32_t timeout_ms);
/* After the engine is freed: close the stream handles the children's writers used. */
void sluiced_reshard_free(void);

/*
 * Run a reshard now on the control core (autoscale.c): what sluiced_reshard_tick()
 * does with a posted request, without the mailbox. Prints the outcome.
 */
void sluiced_reshard_run(const struct sluiced_reshard_req *q, struct sluiced_reshard_res *r);

/* ---- automatic scaling on the control core (autoscale.c, docs/autoscale.md) ---- */

/*
 * Parse one --autoscale value "STREAM:key=value,..." (keys: split-rps, split-bps,
 * merge-rps, merge-bps, min-shards, max-shards, window-s, cooldown-s) with the
 * defaults for keys not given. 0, or -1 with what is wrong in err.
 */
int sluiced_autoscale_parse(const char *v, struct sluiced_autoscale_spec *out, char *err,
	size_t errlen);

/*
 * After sluiced_reshard_setup(). Prints each stream's policy; a policy for a
 * stream sluiced does not ingest is an error (printed). 0 or -errno.
 */
int sluiced_autoscale_start(const struct sluiced_cfg *cfg, struct slc_ingest *ing);
/* Control loop (every ~10 ms): sample rates once a second, decide, act. */
void sluiced_autoscale_tick(uint64_t now_ms);
void sluiced_autoscale_stop(void);

/* ---- RSS steering on the control core (steer.c, docs/dataplane.md "RSS steering") ---- */

/*
 * After the engine started, with every port up (s->ports). Registers /sluice/steer
 * and prints one line; steering is off (the line says why) when --reta-steer-ms
 * is 0, there is one data core, or no port has a programmed RETA. 0 or -errno.
 */
int sluiced_steer_start(const struct sluiced_cfg *cfg, struct sluiced_state *s);
/* Control loop: every --reta-steer-ms, move RETA buckets to the cores owning their records. */
void sluiced_steer_tick(uint64_t now_ms);
void sluiced_steer_stop(void);

/* ---- test hook SLUICED_TEST_CHAOS (chaos.c, docs/dataplane.md "Test hooks") ---- */

/*
 * Read SLUICED_TEST_CHAOS. 0 (unset: off; set: on, one line printed), or -1
 * after printing what is wrong with it.
 */
int sluiced_chaos_init(void);
bool sluiced_chaos_on(void);
/*
 * Data core `core`: apply chaos to the received burst pkts[0..*n) in place
 * (only TCP segments are touched; room for 2 * SLC_INGEST_BURST entries):
 * drop, duplicate, or hold one back and put it after the next burst.
 */
void sluiced_chaos_rx(uint32_t core, struct rte_mbuf **pkts, uint16_t *n, uint16_t cap,
	struct sluiced_chaos_stats *st);
/*
 * Apply chaos to TCP segments about to be sent: pkts[0..n) become out[0..return)
 * (room for 2 * n); dropped mbufs are freed, duplicates are clones.
 */
uint16_t sluiced_chaos_tx(uint32_t core, struct rte_mbuf **pkts, uint16_t n,
	struct rte_mbuf **out, struct sluiced_chaos_stats *st);
/* Free what a core holds back (shutdown). */
void sluiced_chaos_flush(uint32_t core);

/* <data-dir>/sluiced.run: "pid N", "file_prefix P", "socket PATH" lines. */
int sluiced_runfile_write(const char *data_dir);
void sluiced_runfile_remove(void);

#endif /* SLUICED_H */
