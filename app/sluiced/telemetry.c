/*
 * sluiced's telemetry commands on DPDK's telemetry socket: /sluice/stats,
 * /sluice/shards, /sluice/latency (benchmarks), and the live resharding
 * requests /sluice/split and /sluice/merge, which are handed to the control core (reshard.c) and waited
 * for (docs/telemetry.md is the contract). They run on the telemetry
 * library's own thread and only read: core-private counters (plain aligned
 * uint64_t, written by one core each, so a read never tears), rte_eth_stats of
 * the ports and the log writers' counters. A mutex guards the engine pointer
 * only against the control core freeing it at shutdown.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "sluiced.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sluiced_state *tel_state;     /* guarded by tel_lock */
static struct sluiced_totals tel_final;     /* after detach; guarded by tel_lock */
static uint64_t tel_final_leak;
static bool tel_final_set;

#define SHARDS_PER_ANSWER 32

/* Every slc_tcp_stats field, answered per core as tcp_<field>. */
struct tcp_field {
	const char *name;
	size_t off;
};
#define TCP_F(f) { "tcp_" #f, offsetof(struct slc_tcp_stats, f) }
static const struct tcp_field tcp_fields[] = {
	TCP_F(segs_in),
	TCP_F(segs_out),
	TCP_F(bytes_in),
	TCP_F(bytes_out),
	TCP_F(syn_in),
	TCP_F(half_open),
	TCP_F(half_open_full),
	TCP_F(cookies_ok),
	TCP_F(cookies_bad),
	TCP_F(accepted),
	TCP_F(refused),
	TCP_F(conns),
	TCP_F(closed_fin),
	TCP_F(closed_rst_in),
	TCP_F(closed_rst_out),
	TCP_F(closed_idle),
	TCP_F(closed_keepalive),
	TCP_F(rst_out),
	TCP_F(rst_limited),
	TCP_F(no_conn),
	TCP_F(bad_rst),
	TCP_F(out_of_window_rst),
	TCP_F(bad_syn),
	TCP_F(bad_ack),
	TCP_F(challenge_acks),
	TCP_F(challenge_limited),
	TCP_F(out_of_window),
	TCP_F(paws),
	TCP_F(dup_segs),
	TCP_F(dup_bytes),
	TCP_F(ooo_segs),
	TCP_F(ooo_drops),
	TCP_F(acks_out),
	TCP_F(delayed_acks),
	TCP_F(window_zero),
	TCP_F(window_updates),
	TCP_F(zero_window_probes),
	TCP_F(retransmits),
	TCP_F(keepalives),
	TCP_F(nombuf),
	TCP_F(tx_full),
	TCP_F(bad_options),
	TCP_F(rcv_mem),
};
#undef TCP_F

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
sluiced_totals(struct sluiced_state *s, struct sluiced_totals *t)
{
	struct slc_ingest *ing = s->ing;
	struct slc_ingest_shard_stats ss;
	struct rte_eth_stats es;
	uint32_t i, p, d;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < slc_ingest_n_cores(ing); i++) {
		struct slc_ingest_core *c = slc_ingest_core_get(ing, i);
		const struct slc_ingest_core_stats *cs = slc_ingest_core_stats(c);
		const struct slc_pkt_stats *pk = slc_ingest_core_pkt_stats(c);

		for (p = 0; p < SLC_PKT_MAX_PORTS; p++) {
			t->rx_packets += cs->port[p].rx_packets;
			t->rx_bytes += cs->port[p].rx_bytes;
			t->datagrams += cs->port[p].datagrams;
			t->records += cs->port[p].records;
			t->frame_drops += cs->port[p].frame_drops;
		}
		t->handover += cs->handover_out;
		if (slc_ingest_core_tcp(c) != NULL) {
			const struct slc_ingest_tcp_stats *ts = slc_ingest_core_tcp_stats(c);

			t->tcp_conns += slc_tcp_stats(slc_ingest_core_tcp(c))->conns;
			t->tcp_frames += ts->frames;
			t->tcp_acks += ts->acks;
			t->tcp_records += ts->records;
		}
		for (d = 0; d < SLC_PKT_D_MAX; d++)
			t->pkt_drops += pk->drop[d];
	}
	for (i = 0; i < slc_ingest_n_shards(ing); i++) {
		slc_ingest_shard_stats_sum(ing, i, &ss);
		t->stored += ss.stored;
		t->stored_bytes += ss.bytes;
		t->durable += ss.durable;
		for (d = 0; d < SLC_INGEST_D_MAX; d++) {
			t->drop[d] += ss.drop[d];
			t->drops += ss.drop[d];
		}
	}
	for (p = 0; p < s->n_ports; p++) {
		if (rte_eth_stats_get(s->ports[p].port_id, &es) != 0)
			continue;
		t->imissed += es.imissed;
		t->ierrors += es.ierrors;
		t->rx_nombuf += es.rx_nombuf;
	}
	{
		struct sluiced_retention_stats rs;

		sluiced_retention_stats(&rs);
		t->segments_deleted = rs.segments_deleted;
		t->bytes_deleted = rs.bytes_deleted;
		t->disk_alarm = rs.disk_alarm;
	}
}

static struct rte_tel_data *
totals_dict(const struct sluiced_totals *tp, uint64_t leak)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	struct sluiced_totals t = *tp;
	char k[64];
	uint32_t i;

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", t.rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", t.rx_bytes);
	rte_tel_data_add_dict_u64(d, "datagrams", t.datagrams);
	rte_tel_data_add_dict_u64(d, "records", t.records);
	rte_tel_data_add_dict_u64(d, "stored", t.stored);
	rte_tel_data_add_dict_u64(d, "stored_bytes", t.stored_bytes);
	rte_tel_data_add_dict_u64(d, "durable", t.durable);
	rte_tel_data_add_dict_u64(d, "handover", t.handover);
	rte_tel_data_add_dict_u64(d, "drops", t.drops);
	for (i = 0; i < SLC_INGEST_D_MAX; i++) {
		snprintf(k, sizeof(k), "drop_%s", slc_ingest_drop_name(i));
		rte_tel_data_add_dict_u64(d, k, t.drop[i]);
	}
	rte_tel_data_add_dict_u64(d, "frame_drops", t.frame_drops);
	rte_tel_data_add_dict_u64(d, "pkt_drops", t.pkt_drops);
	rte_tel_data_add_dict_u64(d, "port_imissed", t.imissed);
	rte_tel_data_add_dict_u64(d, "port_ierrors", t.ierrors);
	rte_tel_data_add_dict_u64(d, "port_rx_nombuf", t.rx_nombuf);
	rte_tel_data_add_dict_u64(d, "mbuf_leak", leak);
	rte_tel_data_add_dict_u64(d, "segments_deleted", t.segments_deleted);
	rte_tel_data_add_dict_u64(d, "bytes_deleted", t.bytes_deleted);
	rte_tel_data_add_dict_u64(d, "disk_alarm", t.disk_alarm);
	rte_tel_data_add_dict_u64(d, "tcp_conns", t.tcp_conns);
	rte_tel_data_add_dict_u64(d, "tcp_frames", t.tcp_frames);
	rte_tel_data_add_dict_u64(d, "tcp_acks", t.tcp_acks);
	rte_tel_data_add_dict_u64(d, "tcp_records", t.tcp_records);
	return d;
}

static struct rte_tel_data *
port_dict(struct sluiced_state *s, const struct slc_port_info *pi)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	char k[64], mac[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_eth_stats es;
	uint32_t q, e;

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_ether_format_addr(mac, sizeof(mac), &pi->mac);
	rte_tel_data_add_dict_string(d, "name", pi->name);
	rte_tel_data_add_dict_string(d, "mac", mac);
	rte_tel_data_add_dict_u64(d, "rx_queues", pi->n_queues);
	rte_tel_data_add_dict_u64(d, "rss", pi->rss);
	rte_tel_data_add_dict_u64(d, "reta_size", pi->reta_size);
	memset(&es, 0, sizeof(es));
	rte_eth_stats_get(pi->port_id, &es);
	rte_tel_data_add_dict_u64(d, "ipackets", es.ipackets);
	rte_tel_data_add_dict_u64(d, "ibytes", es.ibytes);
	rte_tel_data_add_dict_u64(d, "imissed", es.imissed);
	rte_tel_data_add_dict_u64(d, "ierrors", es.ierrors);
	rte_tel_data_add_dict_u64(d, "rx_nombuf", es.rx_nombuf);
	rte_tel_data_add_dict_u64(d, "opackets", es.opackets);
	rte_tel_data_add_dict_u64(d, "obytes", es.obytes);
	rte_tel_data_add_dict_u64(d, "oerrors", es.oerrors);
	for (q = 0; q < slc_ingest_n_cores(s->ing); q++) {
		const struct slc_ingest_port_stats *ps =
			&slc_ingest_core_stats(slc_ingest_core_get(s->ing, q))->port[pi->port_id];

#define QKEY(name) (snprintf(k, sizeof(k), "q%u_%s", q, name), k)
		rte_tel_data_add_dict_u64(d, QKEY("rx_packets"), ps->rx_packets);
		rte_tel_data_add_dict_u64(d, QKEY("rx_bytes"), ps->rx_bytes);
		rte_tel_data_add_dict_u64(d, QKEY("datagrams"), ps->datagrams);
		rte_tel_data_add_dict_u64(d, QKEY("records"), ps->records);
		rte_tel_data_add_dict_u64(d, QKEY("frame_drops"), ps->frame_drops);
		for (e = 1; e < SLC_FRAME_E_MAX; e++) {
			snprintf(k, sizeof(k), "q%u_frame_drop_%s", q, slc_frame_err_name(e));
			rte_tel_data_add_dict_u64(d, k, ps->frame_drop[e]);
		}
		rte_tel_data_add_dict_u64(d, QKEY("tx_packets"), ps->tx_packets);
#undef QKEY
	}
	return d;
}

/* Core i's TCP counters: the engine's and the ingest's, tcp_<field>; the chaos hook's. */
static void
core_tcp(struct rte_tel_data *d, struct sluiced_state *s, uint32_t i)
{
	struct slc_ingest_core *c = slc_ingest_core_get(s->ing, i);
	const struct slc_ingest_tcp_stats *ts = slc_ingest_core_tcp_stats(c);
	struct slc_tcp *t = slc_ingest_core_tcp(c);
	const struct slc_tcp_stats *es;
	char k[64];
	size_t f;
	uint32_t e;

	if (t == NULL)
		return;
	es = slc_tcp_stats(t);
	for (f = 0; f < RTE_DIM(tcp_fields); f++) {
		const uint64_t *v = (const uint64_t *)((const char *)es + tcp_fields[f].off);

		rte_tel_data_add_dict_u64(d, tcp_fields[f].name, __atomic_load_n(v,
			__ATOMIC_RELAXED));
	}
	rte_tel_data_add_dict_u64(d, "tcp_frames", ts->frames);
	for (e = 1; e < SLC_FRAME_E_MAX; e++) {
		snprintf(k, sizeof(k), "tcp_frame_reject_%s", slc_frame_err_name(e));
		rte_tel_data_add_dict_u64(d, k, ts->frame_rejects[e]);
	}
	rte_tel_data_add_dict_u64(d, "tcp_frames_too_long", ts->frames_too_long);
	rte_tel_data_add_dict_u64(d, "tcp_lines", ts->lines);
	rte_tel_data_add_dict_u64(d, "tcp_line_key_fallback", ts->line_key_fallback);
	rte_tel_data_add_dict_u64(d, "tcp_lines_too_long", ts->lines_too_long);
	rte_tel_data_add_dict_u64(d, "tcp_records", ts->records);
	rte_tel_data_add_dict_u64(d, "tcp_acks", ts->acks);
	rte_tel_data_add_dict_u64(d, "tcp_ack_groups", ts->ack_groups);
	rte_tel_data_add_dict_u64(d, "tcp_records_acked", ts->records_acked);
	rte_tel_data_add_dict_u64(d, "tcp_records_failed", ts->records_failed);
	rte_tel_data_add_dict_u64(d, "tcp_blocked", ts->blocked);
	rte_tel_data_add_dict_u64(d, "tcp_pending_frames", ts->pending_frames);
	rte_tel_data_add_dict_u64(d, "tcp_ack_too_big", ts->ack_too_big);
	rte_tel_data_add_dict_u64(d, "tcp_completions_out", ts->completions_out);
	rte_tel_data_add_dict_u64(d, "tcp_completions_in", ts->completions_in);
	rte_tel_data_add_dict_u64(d, "tcp_completions_stale", ts->completions_stale);
	if (s->chaos_on) {
		rte_tel_data_add_dict_u64(d, "chaos_dropped", s->chaos[i].dropped);
		rte_tel_data_add_dict_u64(d, "chaos_duplicated", s->chaos[i].duplicated);
		rte_tel_data_add_dict_u64(d, "chaos_reordered", s->chaos[i].reordered);
	}
}

static struct rte_tel_data *
core_dict(struct sluiced_state *s, uint32_t i)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	struct slc_ingest_core *c = slc_ingest_core_get(s->ing, i);
	const struct slc_ingest_core_stats *cs = slc_ingest_core_stats(c);
	const struct slc_pkt_stats *pk = slc_ingest_core_pkt_stats(c);
	struct slc_log_stats ls;
	uint64_t drops = 0;
	char k[64];
	uint32_t e;

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", s->lcore_of_core[i]);
	rte_tel_data_add_dict_u64(d, "queue", i);
	rte_tel_data_add_dict_u64(d, "rx", pk->rx);
	rte_tel_data_add_dict_u64(d, "udp", pk->udp);
	rte_tel_data_add_dict_u64(d, "tcp", pk->tcp);
	rte_tel_data_add_dict_u64(d, "frags", pk->frags);
	rte_tel_data_add_dict_u64(d, "reassembled", pk->reassembled);
	rte_tel_data_add_dict_u64(d, "arp_replies", pk->arp_replies);
	rte_tel_data_add_dict_u64(d, "icmp_replies", pk->icmp_replies);
	rte_tel_data_add_dict_u64(d, "nd_replies", pk->nd_replies);
	for (e = 0; e < SLC_PKT_D_MAX; e++)
		drops += pk->drop[e];
	rte_tel_data_add_dict_u64(d, "pkt_drops", drops);
	for (e = 0; e < SLC_PKT_D_MAX; e++) {
		snprintf(k, sizeof(k), "drop_%s", slc_pkt_drop_name(e));
		rte_tel_data_add_dict_u64(d, k, pk->drop[e]);
	}
	rte_tel_data_add_dict_u64(d, "handover_out", cs->handover_out);
	rte_tel_data_add_dict_u64(d, "handover_in", cs->handover_in);
	slc_ingest_core_log_stats(c, &ls);
	rte_tel_data_add_dict_u64(d, "log_appends", ls.records);
	rte_tel_data_add_dict_u64(d, "log_blocks", ls.blocks);
	rte_tel_data_add_dict_u64(d, "log_writes", ls.writes);
	rte_tel_data_add_dict_u64(d, "log_write_bytes", ls.write_bytes);
	rte_tel_data_add_dict_u64(d, "log_fsyncs", ls.fsyncs);
	rte_tel_data_add_dict_u64(d, "log_enobufs", ls.enobufs);
	core_tcp(d, s, i);
	rte_tel_data_add_dict_u64(d, "busy_cycles",
		__atomic_load_n(&s->cycles[i].busy, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "poll_cycles",
		__atomic_load_n(&s->cycles[i].total, __ATOMIC_RELAXED));
	return d;
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sluiced_state *s;
	struct sluiced_totals t;
	struct rte_tel_data *sub;
	char k[32];
	uint32_t i;

	pthread_mutex_lock(&tel_lock);
	s = tel_state;
	rte_tel_data_start_dict(d);
	if (s == NULL) {
		/* Between the end of the data cores and the exit: the final totals. */
		rte_tel_data_add_dict_u64(d, "version", 1);
		rte_tel_data_add_dict_u64(d, "pid", (uint64_t)getpid());
		rte_tel_data_add_dict_string(d, "state", "stopped");
		if (tel_final_set) {
			sub = totals_dict(&tel_final, tel_final_leak);
			if (sub != NULL)
				rte_tel_data_add_dict_container(d, "totals", sub, 0);
		}
		pthread_mutex_unlock(&tel_lock);
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "version", 1);
	rte_tel_data_add_dict_u64(d, "pid", (uint64_t)getpid());
	rte_tel_data_add_dict_u64(d, "uptime_ms", now_ms() - s->start_ms);
	rte_tel_data_add_dict_string(d, "state", s->draining ? "draining" : "running");
	rte_tel_data_add_dict_u64(d, "data_cores", slc_ingest_n_cores(s->ing));
	rte_tel_data_add_dict_u64(d, "streams", s->n_streams);
	rte_tel_data_add_dict_u64(d, "shards", slc_ingest_n_shards(s->ing));
	sluiced_totals(s, &t);
	sub = totals_dict(&t, s->mbuf_leak);
	if (sub != NULL)
		rte_tel_data_add_dict_container(d, "totals", sub, 0);
	for (i = 0; i < s->n_ports; i++) {
		sub = port_dict(s, &s->ports[i]);
		snprintf(k, sizeof(k), "port%u", s->ports[i].port_id);
		if (sub != NULL)
			rte_tel_data_add_dict_container(d, k, sub, 0);
	}
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

/*
 * One data core's counters. They are not part of /sluice/stats: an answer holds
 * at most 16 KiB and a dictionary 256 entries (DPDK telemetry), and a core has
 * about 110 counters with TCP, so 16 cores cannot fit in one answer. `sluice
 * stats` asks for every core and merges them into "core<N>" of /sluice/stats.
 */
static int
cmd_core(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sluiced_state *s;
	struct rte_tel_data *sub;
	unsigned long i;
	char *end;

	(void)cmd;
	pthread_mutex_lock(&tel_lock);
	s = tel_state;
	rte_tel_data_start_dict(d);
	if (s == NULL) {
		rte_tel_data_add_dict_string(d, "state", "stopped");
		pthread_mutex_unlock(&tel_lock);
		return 0;
	}
	if (params == NULL || *params < '0' || *params > '9' ||
	    (i = strtoul(params, &end, 10), *end != '\0') || i >= slc_ingest_n_cores(s->ing)) {
		pthread_mutex_unlock(&tel_lock);
		return -EINVAL;
	}
	sub = core_dict(s, (uint32_t)i);
	rte_tel_data_add_dict_u64(d, "core", i);
	if (sub != NULL)
		rte_tel_data_add_dict_container(d, "counters", sub, 0);
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

static struct rte_tel_data *
shard_dict(struct sluiced_state *s, uint32_t slot)
{
	const struct slc_ingest_shard_info *si = slc_ingest_shard_info(s->ing, slot);
	struct rte_tel_data *d = rte_tel_data_alloc();
	struct slc_ingest_shard_stats ss;
	char id[SLC_SHARD_ID_LEN + 1], k[64];
	uint64_t drops = 0;
	uint32_t e;

	if (d == NULL)
		return NULL;
	slc_ingest_shard_stats_sum(s->ing, slot, &ss);
	slc_shard_id_format(si->index, id);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "stream", si->stream->name);
	rte_tel_data_add_dict_string(d, "shard", id);
	rte_tel_data_add_dict_u64(d, "index", si->index);
	rte_tel_data_add_dict_string(d, "state", slc_ingest_slot_closed(s->ing, slot) ?
		"closed" : "open");
	rte_tel_data_add_dict_u64(d, "owner_core", si->owner);
	rte_tel_data_add_dict_u64(d, "owner_lcore", s->lcore_of_core[si->owner]);
	rte_tel_data_add_dict_u64(d, "records_rx", ss.records_rx);
	rte_tel_data_add_dict_u64(d, "stored", ss.stored);
	rte_tel_data_add_dict_u64(d, "bytes", ss.bytes);
	rte_tel_data_add_dict_u64(d, "durable", ss.durable);
	rte_tel_data_add_dict_u64(d, "next_seq", ss.next_seq);
	rte_tel_data_add_dict_u64(d, "handover_out", ss.handover_out);
	rte_tel_data_add_dict_u64(d, "handover_in", ss.handover_in);
	for (e = 0; e < SLC_INGEST_D_MAX; e++)
		drops += ss.drop[e];
	rte_tel_data_add_dict_u64(d, "drops", drops);
	for (e = 0; e < SLC_INGEST_D_MAX; e++) {
		snprintf(k, sizeof(k), "drop_%s", slc_ingest_drop_name(e));
		rte_tel_data_add_dict_u64(d, k, ss.drop[e]);
	}
	return d;
}

/*
 * params: "" (all shards), "STREAM" (one stream), "STREAM,FIRST" (from index
 * FIRST), "*,SLOT" (all streams, from slot SLOT). "next" is the params string
 * of the following page, in the same form as the request.
 */
static int
cmd_shards(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char stream[SLC_STREAM_NAME_MAX + 1] = "", k[SLC_STREAM_NAME_MAX + 32], err[200];
	struct sluiced_state *s;
	struct rte_tel_data *sub;
	const struct slc_ingest_shard_info *si;
	unsigned long first = 0;
	uint32_t slot, n = 0, nslots;
	const char *comma;
	bool all;

	if (params != NULL && params[0] != '\0') {
		comma = strchr(params, ',');
		snprintf(stream, sizeof(stream), "%.*s",
			(int)(comma != NULL ? (size_t)(comma - params) : strlen(params)), params);
		if (comma != NULL)
			first = strtoul(comma + 1, NULL, 10);
	}
	all = stream[0] == '\0' || strcmp(stream, "*") == 0;
	pthread_mutex_lock(&tel_lock);
	s = tel_state;
	rte_tel_data_start_dict(d);
	if (s == NULL) {
		rte_tel_data_add_dict_string(d, "state", "stopped");
		goto out;
	}
	nslots = slc_ingest_n_shards(s->ing);
	for (slot = 0; slot < nslots; slot++) {
		si = slc_ingest_shard_info(s->ing, slot);
		if (!all && strcmp(si->stream->name, stream) != 0)
			continue;
		if ((all ? slot : si->index) < first)
			continue;
		if (n == SHARDS_PER_ANSWER) {
			if (all)
				snprintf(k, sizeof(k), "*,%u", slot);
			else
				snprintf(k, sizeof(k), "%s,%u", si->stream->name, si->index);
			rte_tel_data_add_dict_string(d, "next", k);
			goto out;
		}
		sub = shard_dict(s, slot);
		/* Telemetry keys allow only [A-Za-z0-9_/]: stream names may not fit. */
		snprintf(k, sizeof(k), "shard%u", slot);
		if (sub != NULL)
			rte_tel_data_add_dict_container(d, k, sub, 0);
		n++;
	}
	if (n == 0 && !all) {
		for (slot = 0; slot < nslots; slot++)
			if (!strcmp(slc_ingest_shard_info(s->ing, slot)->stream->name, stream))
				break;
		if (slot == nslots) {
			snprintf(err, sizeof(err), "no stream '%s'", stream);
			rte_tel_data_add_dict_string(d, "error", err);
		}
	}
out:
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

/*
 * /sluice/split,STREAM,SHARD,KEY and /sluice/merge,STREAM,SHARD,ADJACENT: hand the
 * request to the control core (reshard.c) and wait for its outcome.
 */
static int
cmd_reshard(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sluiced_reshard_req q;
	struct sluiced_reshard_res r;
	struct rte_tel_data *a;
	char buf[512], *tok[3], *save = NULL, *p;
	char key[SLC_U128_STRLEN];
	uint32_t n = 0, i;
	int rc;

	memset(&q, 0, sizeof(q));
	q.op = strstr(cmd, "merge") != NULL ? SLUICED_RESHARD_MERGE : SLUICED_RESHARD_SPLIT;
	rte_tel_data_start_dict(d);
	snprintf(buf, sizeof(buf), "%s", params != NULL ? params : "");
	for (p = strtok_r(buf, ",", &save); p != NULL && n < 3; p = strtok_r(NULL, ",", &save))
		tok[n++] = p;
	if (n != 3 || p != NULL || strlen(tok[0]) > SLC_STREAM_NAME_MAX ||
			slc_shard_id_parse(tok[1], &q.shard) != 0 ||
			(q.op == SLUICED_RESHARD_SPLIT ? slc_hashkey_parse(tok[2], &q.key) :
			slc_shard_id_parse(tok[2], &q.adjacent)) != 0) {
		rte_tel_data_add_dict_int(d, "ok", 0);
		rte_tel_data_add_dict_string(d, "error", q.op == SLUICED_RESHARD_SPLIT ?
			"params: STREAM,SHARD,NEW_STARTING_HASH_KEY (decimal)" :
			"params: STREAM,SHARD,ADJACENT_SHARD");
		return 0;
	}
	snprintf(q.stream, sizeof(q.stream), "%s", tok[0]);
	rc = sluiced_reshard_submit(&q, &r, 60000);
	if (rc != 0) {
		rte_tel_data_add_dict_int(d, "ok", 0);
		rte_tel_data_add_dict_string(d, "error", rc == -EBUSY ?
			"another reshard is running; try again" :
			"no answer from the control core in 60 s (the reshard may still complete)");
		return 0;
	}
	rte_tel_data_add_dict_int(d, "ok", r.ok);
	if (!r.ok) {
		rte_tel_data_add_dict_string(d, "error", r.error);
		return 0;
	}
	rte_tel_data_add_dict_string(d, "op", q.op == SLUICED_RESHARD_SPLIT ? "split" : "merge");
	rte_tel_data_add_dict_string(d, "stream", q.stream);
	rte_tel_data_add_dict_u64(d, "map_version", r.version);
	for (i = 0; i < r.n_parents; i++) {
		snprintf(buf, sizeof(buf), "parent%u", i);
		rte_tel_data_add_dict_u64(d, buf, r.parents[i]);
		snprintf(buf, sizeof(buf), "parent%u_ending_seq", i);
		rte_tel_data_add_dict_u64(d, buf, r.ending[i]);
	}
	a = rte_tel_data_alloc();
	if (a != NULL) {
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		for (i = 0; i < r.n_children; i++)
			rte_tel_data_add_array_u64(a, r.children[i]);
		rte_tel_data_add_dict_container(d, "children", a, 0);
	}
	for (i = 0; i < r.n_children; i++) {
		snprintf(buf, sizeof(buf), "child%u_owner_core", i);
		rte_tel_data_add_dict_u64(d, buf, r.owners[i]);
	}
	if (q.op == SLUICED_RESHARD_SPLIT) {
		slc_hashkey_format(q.key, key);
		rte_tel_data_add_dict_string(d, "new_starting_hash_key", key);
	}
	return 0;
}

/*
 * /sluice/latency[,reset]: ingest-to-durable latency of the sampled records
 * (sluiced --latency-stamps; lib/ingest, slc_ingest_latency), summed over the
 * data cores, in nanoseconds. "reset" answers the figures so far, then has each
 * data core clear its histogram at its next safe point (a benchmark drops its
 * warm-up that way).
 */
static int
cmd_latency(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct slc_ingest_latency l;
	struct sluiced_state *s;
	bool reset = false;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (params != NULL && params[0] != '\0') {
		if (strcmp(params, "reset") != 0) {
			rte_tel_data_add_dict_string(d, "error", "params: none, or 'reset'");
			return 0;
		}
		reset = true;
	}
	pthread_mutex_lock(&tel_lock);
	s = tel_state;
	if (s == NULL) {
		rte_tel_data_add_dict_string(d, "state", "stopped");
		pthread_mutex_unlock(&tel_lock);
		return 0;
	}
	if (slc_ingest_latency(s->ing, &l) != 0) {
		rte_tel_data_add_dict_u64(d, "every", 0);
		rte_tel_data_add_dict_string(d, "error", "latency sampling is off: start sluiced "
			"with --latency-stamps");
		pthread_mutex_unlock(&tel_lock);
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "every", l.every);
	rte_tel_data_add_dict_u64(d, "samples", l.samples);
	rte_tel_data_add_dict_u64(d, "invalid", l.invalid);
	rte_tel_data_add_dict_u64(d, "skipped", l.skipped);
	rte_tel_data_add_dict_u64(d, "pending", l.pending);
	rte_tel_data_add_dict_u64(d, "min_ns", l.min_ns);
	rte_tel_data_add_dict_u64(d, "mean_ns", l.samples ? l.sum_ns / l.samples : 0);
	rte_tel_data_add_dict_u64(d, "p50_ns", slc_ingest_latency_quantile(&l, 0.50));
	rte_tel_data_add_dict_u64(d, "p90_ns", slc_ingest_latency_quantile(&l, 0.90));
	rte_tel_data_add_dict_u64(d, "p99_ns", slc_ingest_latency_quantile(&l, 0.99));
	rte_tel_data_add_dict_u64(d, "p999_ns", slc_ingest_latency_quantile(&l, 0.999));
	rte_tel_data_add_dict_u64(d, "max_ns", l.max_ns);
	if (reset) {
		slc_ingest_latency_reset(s->ing);
		rte_tel_data_add_dict_u64(d, "reset", 1);
	}
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

int
sluiced_telemetry_register(struct sluiced_state *s)
{
	int ret;

	pthread_mutex_lock(&tel_lock);
	tel_state = s;
	pthread_mutex_unlock(&tel_lock);
	ret = rte_telemetry_register_cmd("/sluice/stats", cmd_stats,
		"sluiced counters: totals, ports and queues, cores (docs/telemetry.md)");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/sluice/core", cmd_core,
			"one data core's counters; params: CORE (0..data_cores-1; docs/telemetry.md)");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/sluice/shards", cmd_shards,
			"per-shard counters; params: [STREAM[,FIRST]] (docs/telemetry.md)");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/sluice/split", cmd_reshard,
			"split a shard live; params: STREAM,SHARD,NEW_STARTING_HASH_KEY");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/sluice/merge", cmd_reshard,
			"merge two adjacent shards live; params: STREAM,SHARD,ADJACENT_SHARD");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/sluice/latency", cmd_latency,
			"ingest-to-durable latency of sampled records (--latency-stamps); "
			"params: [reset]");
	return ret;
}

void
sluiced_telemetry_detach(void)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_state != NULL && tel_state->ing != NULL &&
			slc_ingest_core_get(tel_state->ing, 0) != NULL) {
		sluiced_totals(tel_state, &tel_final);
		tel_final_set = true;
	}
	tel_state = NULL;
	pthread_mutex_unlock(&tel_lock);
}

void
sluiced_telemetry_final_leak(uint64_t leak)
{
	pthread_mutex_lock(&tel_lock);
	tel_final_leak = leak;
	pthread_mutex_unlock(&tel_lock);
}
