/*
 * The ingest engine: frames in, records into shard logs, over N data cores.
 *
 * Each data core (struct slc_ingest_core) owns a pkt context, a log writer, the
 * shards whose slot % n_cores is its index, and one incoming SPSC ring from every
 * other core. slc_ingest_core_rx() classifies each frame, decodes its records,
 * hashes each record's key (frame hash key, else the record's explicit hash key,
 * else MD5 of the partition key), looks the hash up in the current shard map and
 * either appends (this core owns the shard) or stages a 64-byte handover element
 * for the owner. Staged elements go onto the rings in bursts at the end of the rx
 * call (or earlier when a stage fills); what does not fit is dropped and counted
 * ring_full on its shard. slc_ingest_core_poll() drains the incoming rings and
 * appends.
 *
 * A handed-over record keeps its bytes in an mbuf, so nothing is copied for the
 * common case: the element holds a reference on the received mbuf (one per
 * record, rte_mbuf_refcnt_update) and offsets of key and data in it; the owner
 * drops the reference after appending. A reassembled datagram's payload lives in
 * the pkt context's scratch, which the next classify overwrites: its records are
 * copied for handover into fresh mbufs from the same pool (a chain when longer
 * than one mbuf), and the owner reads them back with rte_pktmbuf_read (no copy
 * when they fit in one segment). A missing mbuf drops the record as nombuf. In
 * raw mode the key is the sender's address, which the element carries (in the
 * bytes a framed record uses for its hash key) and the owner formats again.
 *
 * The shard map is a read-only table published by the control core through an
 * atomic pointer with a version; a data core loads it at the start of each rx
 * call (its safe point) and never holds it across calls. Versions are kept until
 * the engine is freed.
 *
 * Live resharding (docs/resharding.md, "Live") adds slots after start: the slot
 * table and every per-core per-slot array have room for SLC_INGEST_SPARE_SLOTS
 * more. The control core talks to each data core through a one-request mailbox
 * (op, slot, seq) served in slc_ingest_core_poll() (the core's safe point: its
 * staged elements are on the rings): open a slot on the core's writer, or close
 * one (drain the incoming rings of what is on them now, take the ending counter,
 * sync). At the same point the core acknowledges the newest shard-map version.
 *
 * Counters are plain uint64_t in core-private memory; the telemetry thread reads
 * them without locks (aligned 64-bit loads do not tear on x86-64 and arm64).
 *
 * Latency sampling (benchmarks only, off unless slc_ingest_set_latency() turned it
 * on): the appending core remembers 1 in N records' send stamps per shard and
 * turns them into ingest-to-durable latencies in its durability callback. Off, it
 * costs one predictable branch per append and per watermark move.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_atomic.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "slc_ingest.h"
#include "slc_mem.h"

#include "ingest_priv.h"

RTE_LOG_REGISTER_DEFAULT(slc_ingest_logtype, INFO);

static uint32_t ingest_ids;

static const char *const drop_names[SLC_INGEST_D_MAX] = {
	[SLC_INGEST_D_RING_FULL] = "ring_full",
	[SLC_INGEST_D_LOG_FULL] = "log_full",
	[SLC_INGEST_D_TOO_BIG] = "too_big",
	[SLC_INGEST_D_NOMBUF] = "nombuf",
	[SLC_INGEST_D_LOG_ERROR] = "log_error",
};

const char *
slc_ingest_drop_name(enum slc_ingest_drop d)
{
	return (unsigned)d < SLC_INGEST_D_MAX ? drop_names[d] : "?";
}

void
slc_ingest_cfg_default(struct slc_ingest_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->n_cores = 1;
	cfg->ring_size = SLC_INGEST_RING_SIZE_DEFAULT;
	cfg->socket = SOCKET_ID_ANY;
	slc_log_cfg_default(&cfg->log);
}

/* ---------------------------------------------------------------- set-up */

struct slc_ingest *
slc_ingest_create(const struct slc_ingest_cfg *cfg, const struct slc_pkt_cfg *pkt)
{
	struct slc_ingest *ing;

	if (cfg == NULL || pkt == NULL || cfg->n_cores < 1 || cfg->n_cores > SLC_INGEST_MAX_CORES ||
			cfg->ring_size < 2 || (cfg->ring_size & (cfg->ring_size - 1)) != 0 ||
			cfg->reta_size > SLC_INGEST_RETA_MAX ||
			(cfg->reta_size & (cfg->reta_size - 1)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	ing = slc_calloc(1, sizeof(*ing));
	if (ing == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	ing->pkt_cfg = slc_malloc(sizeof(*ing->pkt_cfg));
	if (ing->pkt_cfg == NULL) {
		slc_free(ing);
		rte_errno = ENOMEM;
		return NULL;
	}
	ing->cfg = *cfg;
	*ing->pkt_cfg = *pkt;
	memset(ing->pkt_cfg->udp_mode, SLC_PKT_MODE_NONE, sizeof(ing->pkt_cfg->udp_mode));
	memset(ing->pkt_cfg->tcp_listen, 0, sizeof(ing->pkt_cfg->tcp_listen));
	slc_tcp_cfg_default(&ing->tcp_cfg);
	ing->id = __atomic_fetch_add(&ingest_ids, 1, __ATOMIC_RELAXED);
	return ing;
}

int
slc_ingest_add_stream(struct slc_ingest *ing, const struct slc_stream *st)
{
	uint32_t i, open = 0;

	if (ing->started || ing->n_streams == SLC_INGEST_MAX_STREAMS || st == NULL)
		return -EINVAL;
	for (i = 0; i < ing->n_streams; i++)
		if (ing->streams[i] == st || strcmp(ing->streams[i]->name, st->name) == 0)
			return -EEXIST;
	for (i = 0; i < st->nshards; i++)
		open += st->shards[i].state == SLC_SHARD_OPEN;
	if (open == 0)
		return -ENOSPC;
	ing->streams[ing->n_streams] = st;
	return (int)ing->n_streams++;
}

int
slc_ingest_add_route(struct slc_ingest *ing, uint16_t udp_port, enum slc_pkt_mode mode,
	uint32_t stream_id)
{
	if (ing->started || stream_id >= ing->n_streams ||
			(mode != SLC_PKT_MODE_RAW && mode != SLC_PKT_MODE_FRAMED))
		return -EINVAL;
	if (ing->pkt_cfg->udp_mode[udp_port] != SLC_PKT_MODE_NONE)
		return -EEXIST;
	ing->pkt_cfg->udp_mode[udp_port] = (uint8_t)mode;
	ing->udp_stream[udp_port] = (uint16_t)stream_id;
	return 0;
}

int
slc_ingest_add_tcp_route(struct slc_ingest *ing, uint16_t tcp_port,
	enum slc_ingest_tcp_mode mode, uint32_t stream_id, const char *key_field)
{
	struct ing_tcp_route *rt;

	if (ing->started || stream_id >= ing->n_streams || tcp_port == 0 ||
			(mode != SLC_INGEST_TCP_FRAMED && mode != SLC_INGEST_TCP_LINES) ||
			(key_field != NULL && strlen(key_field) > SLC_INGEST_KEY_FIELD_MAX) ||
			ing->n_tcp_routes == SLC_INGEST_MAX_TCP_ROUTES)
		return -EINVAL;
	if (ing->tcp_route_of[tcp_port] != 0)
		return -EEXIST;
	rt = &ing->tcp_routes[ing->n_tcp_routes];
	memset(rt, 0, sizeof(*rt));
	rt->port = tcp_port;
	rt->mode = (uint8_t)mode;
	rt->stream_id = stream_id;
	if (key_field != NULL)
		strcpy(rt->key_field, key_field);
	ing->n_tcp_routes++;
	ing->tcp_route_of[tcp_port] = (uint8_t)ing->n_tcp_routes;
	ing->pkt_cfg->tcp_listen[tcp_port] = 1;
	return 0;
}

int
slc_ingest_set_tcp(struct slc_ingest *ing, const struct slc_tcp_cfg *cfg)
{
	if (ing->started || cfg == NULL)
		return -EINVAL;
	ing->tcp_cfg = *cfg;
	ing->tcp_cfg_set = true;
	return 0;
}

int
slc_ingest_set_core_pool(struct slc_ingest *ing, uint32_t core, struct rte_mempool *pool)
{
	if (ing->started || core >= SLC_INGEST_MAX_CORES || pool == NULL)
		return -EINVAL;
	ing->core_pool[core] = pool;
	return 0;
}

uint32_t
slc_ingest_n_tcp_routes(const struct slc_ingest *ing)
{
	return ing->n_tcp_routes;
}

int
slc_ingest_set_port(struct slc_ingest *ing, uint16_t port, const struct rte_ether_addr *mac)
{
	if (ing->started || port >= SLC_PKT_MAX_PORTS || mac == NULL)
		return -EINVAL;
	ing->mac[port] = *mac;
	ing->mac_set[port] = true;
	return 0;
}

/* ---------------------------------------------------------------- latency sampling */

#define LAT_MASK (SLC_INGEST_LAT_PENDING - 1u)
#define LAT_MAX_AGE_NS (3600ull * 1000000000ull)    /* older stamps are not stamps */

int
slc_ingest_set_latency(struct slc_ingest *ing, uint32_t every)
{
	if (ing->started || every > (1u << 20))
		return -EINVAL;
	ing->lat_every = every;
	return 0;
}

uint32_t
slc_ingest_latency_bucket(uint64_t ns)
{
	uint32_t k;

	if (ns < (1ull << SLC_INGEST_LAT_MIN_LOG2))
		return 0;
	k = 63u - (uint32_t)__builtin_clzll(ns);
	if (k >= SLC_INGEST_LAT_MAX_LOG2)
		return SLC_INGEST_LAT_BUCKETS - 1;
	return 1 + (k - SLC_INGEST_LAT_MIN_LOG2) * (1u << SLC_INGEST_LAT_SUB_BITS) +
		(uint32_t)((ns >> (k - SLC_INGEST_LAT_SUB_BITS)) &
		((1u << SLC_INGEST_LAT_SUB_BITS) - 1));
}

uint64_t
slc_ingest_latency_bucket_high(uint32_t b)
{
	uint32_t k, s;

	if (b == 0)
		return (1ull << SLC_INGEST_LAT_MIN_LOG2) - 1;
	if (b >= SLC_INGEST_LAT_BUCKETS - 1)
		return UINT64_MAX;
	k = SLC_INGEST_LAT_MIN_LOG2 + (b - 1) / (1u << SLC_INGEST_LAT_SUB_BITS);
	s = (b - 1) % (1u << SLC_INGEST_LAT_SUB_BITS);
	return (1ull << k) + ((uint64_t)(s + 1) << (k - SLC_INGEST_LAT_SUB_BITS)) - 1;
}

uint64_t
slc_ingest_latency_quantile(const struct slc_ingest_latency *l, double q)
{
	uint64_t want, seen = 0, hi;
	uint32_t b;

	if (l->samples == 0 || !(q > 0))
		return 0;
	if (q > 1)
		q = 1;
	want = (uint64_t)((double)l->samples * q);
	if ((double)want < (double)l->samples * q || want == 0)
		want++;
	for (b = 0; b < SLC_INGEST_LAT_BUCKETS; b++) {
		seen += l->bucket[b];
		if (seen >= want) {
			hi = slc_ingest_latency_bucket_high(b);
			return hi < l->max_ns ? hi : l->max_ns;
		}
	}
	return l->max_ns;       /* the buckets were read while a core was adding */
}

static struct lat_core *
lat_create(const struct slc_ingest *ing)
{
	struct lat_core *l = slc_calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->fifo = slc_calloc(ing->cap_slots, sizeof(*l->fifo));
	if (l->fifo == NULL) {
		slc_free(l);
		return NULL;
	}
	l->hist.every = ing->lat_every;
	l->countdown = ing->lat_every;
	l->reset_seen = __atomic_load_n(&ing->lat_reset, __ATOMIC_RELAXED);
	return l;
}

static void
lat_free(struct lat_core *l, uint32_t cap_slots)
{
	uint32_t i;

	if (l == NULL)
		return;
	for (i = 0; i < cap_slots; i++)
		slc_free(l->fifo[i]);
	slc_free(l->fifo);
	slc_free(l);
}

/*
 * A FIFO for a slot this core starts to own. Without memory the slot is not
 * sampled (its samples count as skipped): sampling never stops ingest.
 */
static void
lat_slot_open(struct slc_ingest_core *c, uint32_t slot)
{
	if (c->lat != NULL && c->lat->fifo[slot] == NULL)
		c->lat->fifo[slot] = slc_calloc(1, sizeof(struct lat_fifo));
}

/* After a successful append of r to slot: take 1 in `every` records of >= 8 bytes. */
static inline void
lat_sample(struct slc_ingest_core *c, uint32_t slot, const struct slc_record *r)
{
	struct lat_core *l = c->lat;
	struct lat_fifo *f;
	uint64_t stamp;

	if (r->data_len < 8 || --l->countdown != 0)
		return;
	l->countdown = l->hist.every;
	memcpy(&stamp, r->data, sizeof(stamp));
	stamp = rte_le_to_cpu_64(stamp);
	if (stamp == 0) {
		l->hist.invalid++;
		return;
	}
	f = l->fifo[slot];
	if (unlikely(f == NULL || f->tail - f->head == SLC_INGEST_LAT_PENDING)) {
		l->hist.skipped++;
		return;
	}
	f->e[f->tail & LAT_MASK] = (struct lat_pend){ .seq = r->seq, .stamp_ns = stamp };
	f->tail++;
	l->hist.pending++;
}

static void
lat_record(struct slc_ingest_latency *h, uint64_t ns)
{
	h->bucket[slc_ingest_latency_bucket(ns)]++;
	h->sum_ns += ns;
	if (h->samples == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->samples++;
}

/* slot's watermark moved to next_seq: every sample below it is durable now. */
static void
lat_durable(struct slc_ingest_core *c, uint32_t slot, uint64_t next_seq)
{
	struct lat_core *l = c->lat;
	struct lat_fifo *f = l->fifo[slot];
	const struct lat_pend *p;
	struct timespec ts;
	uint64_t now;

	if (f == NULL || f->head == f->tail || f->e[f->head & LAT_MASK].seq >= next_seq)
		return;
	/* One clock read per watermark move, not per sample. */
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	do {
		p = &f->e[f->head & LAT_MASK];
		if (p->seq >= next_seq)
			break;
		f->head++;
		l->hist.pending--;
		if (p->stamp_ns > now || now - p->stamp_ns > LAT_MAX_AGE_NS)
			l->hist.invalid++;
		else
			lat_record(&l->hist, now - p->stamp_ns);
	} while (f->head != f->tail);
}

/* At the core's safe point: clear the histogram if a reset was asked for. */
static inline void
lat_check_reset(struct slc_ingest_core *c)
{
	struct lat_core *l = c->lat;
	uint64_t r = __atomic_load_n(&c->ing->lat_reset, __ATOMIC_RELAXED);
	uint64_t pending;

	if (likely(r == l->reset_seen))
		return;
	pending = l->hist.pending;
	memset(&l->hist, 0, sizeof(l->hist));
	l->hist.every = c->ing->lat_every;
	l->hist.pending = pending;
	l->reset_seen = r;
}

void
slc_ingest_latency_reset(struct slc_ingest *ing)
{
	if (ing->lat_every != 0)
		__atomic_fetch_add(&ing->lat_reset, 1, __ATOMIC_RELAXED);
}

int
slc_ingest_latency(struct slc_ingest *ing, struct slc_ingest_latency *out)
{
	const struct slc_ingest_latency *h;
	uint64_t mn;
	uint32_t i, b;

	memset(out, 0, sizeof(*out));
	out->every = ing->lat_every;
	if (ing->lat_every == 0 || !ing->started)
		return -ENOTSUP;
	for (i = 0; i < ing->cfg.n_cores; i++) {
		if (ing->cores[i] == NULL || ing->cores[i]->lat == NULL)
			continue;
		h = &ing->cores[i]->lat->hist;
		out->samples += __atomic_load_n(&h->samples, __ATOMIC_RELAXED);
		out->invalid += __atomic_load_n(&h->invalid, __ATOMIC_RELAXED);
		out->skipped += __atomic_load_n(&h->skipped, __ATOMIC_RELAXED);
		out->pending += __atomic_load_n(&h->pending, __ATOMIC_RELAXED);
		out->sum_ns += __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
		mn = __atomic_load_n(&h->min_ns, __ATOMIC_RELAXED);
		if (mn != 0 && (out->min_ns == 0 || mn < out->min_ns))
			out->min_ns = mn;
		out->max_ns = RTE_MAX(out->max_ns, __atomic_load_n(&h->max_ns, __ATOMIC_RELAXED));
		for (b = 0; b < SLC_INGEST_LAT_BUCKETS; b++)
			out->bucket[b] += __atomic_load_n(&h->bucket[b], __ATOMIC_RELAXED);
	}
	return 0;
}

static void
on_durable(void *arg, struct slc_log_shard *sh, uint64_t next_seq)
{
	struct slc_ingest_core *c = arg;
	uint32_t i, slot;

	/* Called when a watermark moves (not per record): a linear search is fine. */
	for (i = 0; i < c->n_owned; i++) {
		slot = c->owned[i];
		if (c->shard[slot] == sh) {
			c->sstats[slot].durable = next_seq - c->start_seq[slot];
			if (unlikely(c->lat != NULL))
				lat_durable(c, slot, next_seq);
			if (c->tcp != NULL)
				ingest_tcp_durable(c, slot, next_seq);
			return;
		}
	}
}

static struct slc_ingest_core *
core_create(struct slc_ingest *ing, uint32_t index)
{
	struct slc_ingest_core *c;
	struct slc_log_cfg lcfg = ing->cfg.log;
	size_t sz = SLC_ALIGN_UP(sizeof(*c), (size_t)RTE_CACHE_LINE_SIZE);
	uint32_t i, p;

	/* Per-core memory is not touched by DMA: jemalloc, cache-aligned. */
	c = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);
	if (c == NULL)
		return NULL;
	memset(c, 0, sz);
	c->ing = ing;
	c->index = index;
	for (i = 0; i < ing->n_streams; i++)
		if (ing->streams[i]->settings.max_record > lcfg.max_record)
			lcfg.max_record = ing->streams[i]->settings.max_record;
	c->scratch = slc_malloc(lcfg.max_record + 1);
	c->rawkeys = slc_calloc(RAWKEY_CACHE, sizeof(*c->rawkeys));
	c->shard = slc_calloc(ing->cap_slots, sizeof(*c->shard));
	c->start_seq = slc_calloc(ing->cap_slots, sizeof(*c->start_seq));
	c->owned = slc_calloc(ing->cap_slots, sizeof(*c->owned));
	c->sstats = aligned_alloc(RTE_CACHE_LINE_SIZE,
		SLC_ALIGN_UP(ing->cap_slots * sizeof(*c->sstats), (size_t)RTE_CACHE_LINE_SIZE));
	c->hist = slc_calloc(ing->cap_slots, sizeof(*c->hist));
	if (ing->cfg.reta_size > 0)
		c->flows = slc_calloc((size_t)ing->cfg.reta_size * ing->cfg.n_cores,
			sizeof(*c->flows));
	c->cur_bucket = UINT32_MAX;
	if (ing->lat_every > 0)
		c->lat = lat_create(ing);
	if (c->scratch == NULL || c->shard == NULL || c->start_seq == NULL || c->owned == NULL ||
			c->sstats == NULL || c->rawkeys == NULL || c->hist == NULL ||
			(ing->cfg.reta_size > 0 && c->flows == NULL) ||
			(ing->lat_every > 0 && c->lat == NULL))
		goto fail;
	memset(c->sstats, 0, ing->cap_slots * sizeof(*c->sstats));
	for (i = 0; i < ing->cfg.n_cores; i++) {
		if (i == index)
			continue;
		c->stage[i] = slc_calloc(STAGE_MAX, sizeof(struct ho_elem));
		if (c->stage[i] == NULL)
			goto fail;
	}
	c->pkt = slc_pkt_ctx_create(ing->pkt_cfg, ing->cfg.socket);
	if (c->pkt == NULL) {
		snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: cannot create the packet "
			"context: %s", index, rte_strerror(rte_errno));
		goto fail;
	}
	for (p = 0; p < SLC_PKT_MAX_PORTS; p++)
		if (ing->mac_set[p])
			slc_pkt_ctx_set_port(c->pkt, (uint16_t)p, &ing->mac[p]);
	c->w = slc_log_writer_create(&lcfg, on_durable, c);
	if (c->w == NULL) {
		snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: cannot create the log "
			"writer: %s", index, strerror(errno));
		goto fail;
	}
	c->log_free = slc_log_free_bufs(c->w);
	c->pool = ing->core_pool[index] != NULL ? ing->core_pool[index] : ing->tcp_cfg.pool;
	if (ing->n_tcp_routes > 0 && ingest_tcp_core_create(c) != 0) {
		if (ing->errmsg[0] == '\0')
			snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: cannot create "
				"the TCP engine: %s", index, rte_strerror(rte_errno));
		slc_log_writer_free(c->w);
		goto fail;
	}
	return c;
fail:
	if (ing->errmsg[0] == '\0')
		snprintf(ing->errmsg, sizeof(ing->errmsg), "data core %u: out of memory", index);
	if (c->pkt != NULL)
		slc_pkt_ctx_free(c->pkt);
	for (i = 0; i < SLC_INGEST_MAX_CORES; i++)
		slc_free(c->stage[i]);
	free(c->sstats);
	slc_free(c->owned);
	slc_free(c->start_seq);
	slc_free(c->shard);
	slc_free(c->scratch);
	slc_free(c->rawkeys);
	slc_free(c->hist);
	slc_free(c->flows);
	lat_free(c->lat, ing->cap_slots);
	free(c);
	return NULL;
}

static void
core_free(struct slc_ingest_core *c)
{
	uint32_t i;

	if (c == NULL)
		return;
	/* Connections first: aborting them releases the mbufs they hold. */
	ingest_tcp_core_free(c);
	if (c->w != NULL)
		slc_log_writer_free(c->w);
	if (c->pkt != NULL)
		slc_pkt_ctx_free(c->pkt);
	for (i = 0; i < SLC_INGEST_MAX_CORES; i++) {
		slc_free(c->stage[i]);
		/* Each ring is freed once, by its consumer. */
		if (c->in[i] != NULL)
			rte_ring_free(c->in[i]);
	}
	free(c->sstats);
	slc_free(c->owned);
	slc_free(c->start_seq);
	slc_free(c->shard);
	slc_free(c->scratch);
	slc_free(c->rawkeys);
	slc_free(c->hist);
	slc_free(c->flows);
	lat_free(c->lat, c->ing->cap_slots);
	free(c);
}

/* Smallest shift that puts (end - start) >> shift below SLC_INGEST_HIST_BUCKETS. */
static uint32_t
hist_shift(slc_u128 start, slc_u128 end)
{
	slc_u128 w = end - start;
	uint32_t bits = 0;

	while (w != 0) {
		w >>= 1;
		bits++;
	}
	return bits > 6 ? bits - 6 : 0;
}

static struct shard_map *
map_build(struct slc_ingest *ing, uint64_t version)
{
	struct shard_map *m;
	uint32_t s, i, k;

	m = slc_calloc(1, sizeof(*m) + ing->n_slots * sizeof(struct map_ent));
	if (m == NULL)
		return NULL;
	m->version = version;
	/* Entries grouped by stream: count, then place. */
	for (i = 0; i < ing->n_slots; i++)
		if (ing->slot_state[i] == SLOT_MAPPED)
			m->first[ing->slots[i].stream_id]++;
	for (s = 0, k = 0; s < ing->n_streams; s++) {
		uint32_t cnt = m->first[s];

		m->first[s] = k;
		m->n[s] = 0;
		k += cnt;
	}
	for (i = 0; i < ing->n_slots; i++) {
		const struct slc_ingest_shard_info *si = &ing->slots[i];
		const struct slc_shard_meta *sm = &si->stream->shards[si->index];
		struct map_ent e = { sm->start_hash, sm->end_hash, i, si->owner,
			hist_shift(sm->start_hash, sm->end_hash) };

		if (ing->slot_state[i] != SLOT_MAPPED)
			continue;
		/* Insertion sort by start within the stream: shards are few. */
		k = m->first[si->stream_id] + m->n[si->stream_id]++;
		while (k > m->first[si->stream_id] && m->ents[k - 1].start > e.start) {
			m->ents[k] = m->ents[k - 1];
			k--;
		}
		m->ents[k] = e;
	}
	return m;
}

int
slc_ingest_start(struct slc_ingest *ing)
{
	char name[64], id[SLC_SHARD_ID_LEN + 1];
	struct timespec ts;
	uint32_t s, i, j, n = 0;
	int err;

	if (ing->started || ing->n_streams == 0) {
		snprintf(ing->errmsg, sizeof(ing->errmsg), "no stream to ingest into");
		return -EINVAL;
	}
	for (s = 0; s < ing->n_streams; s++)
		for (i = 0; i < ing->streams[s]->nshards; i++)
			n += ing->streams[s]->shards[i].state == SLC_SHARD_OPEN;
	ing->cap_slots = n + SLC_INGEST_SPARE_SLOTS;
	ing->slots = slc_calloc(ing->cap_slots, sizeof(*ing->slots));
	ing->slot_state = slc_calloc(ing->cap_slots, sizeof(*ing->slot_state));
	if (ing->slots == NULL || ing->slot_state == NULL)
		return -ENOMEM;
	for (s = 0; s < ing->n_streams; s++) {
		const struct slc_stream *st = ing->streams[s];

		ing->first_slot[s] = ing->n_slots;
		for (i = 0; i < st->nshards; i++) {
			if (st->shards[i].state != SLC_SHARD_OPEN)
				continue;
			ing->slots[ing->n_slots] = (struct slc_ingest_shard_info){
				.stream = st,
				.stream_id = s,
				.index = i,
				.owner = ing->n_slots % ing->cfg.n_cores,
			};
			ing->slot_state[ing->n_slots] = SLOT_MAPPED;
			ing->n_slots++;
		}
	}
	if (ing->n_tcp_routes > 0 && ing->tcp_cfg.pool == NULL) {
		snprintf(ing->errmsg, sizeof(ing->errmsg), "TCP routes but no mbuf pool for the "
			"TCP engines (slc_ingest_set_tcp)");
		return -EINVAL;
	}
	for (i = 0; i < ing->cfg.n_cores; i++) {
		ing->cores[i] = core_create(ing, i);
		if (ing->cores[i] == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < ing->cfg.n_cores; i++) {
		for (j = 0; j < ing->cfg.n_cores; j++) {
			struct rte_ring *r;

			if (i == j)
				continue;
			snprintf(name, sizeof(name), "slcho%u_%u_%u", ing->id % 100000u, i, j);
			r = rte_ring_create_elem(name, sizeof(struct ho_elem), ing->cfg.ring_size,
				ing->cfg.socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL) {
				snprintf(ing->errmsg, sizeof(ing->errmsg), "handover ring core %u -> "
					"core %u (%u elements): %s", i, j, ing->cfg.ring_size,
					rte_strerror(rte_errno));
				return -rte_errno;
			}
			ing->cores[i]->out[j] = r;
			ing->cores[j]->in[i] = r;
		}
	}
	if (ing->n_tcp_routes > 0) {
		err = ingest_tcp_rings_create(ing);
		if (err != 0)
			return err;
	}
	for (i = 0; i < ing->n_slots; i++) {
		struct slc_ingest_shard_info *si = &ing->slots[i];
		struct slc_ingest_core *c = ing->cores[si->owner];
		struct slc_log_shard *sh;

		sh = slc_log_shard_open(c->w, si->stream, si->index);
		if (sh == NULL) {
			err = errno;
			slc_shard_id_format(si->index, id);
			snprintf(ing->errmsg, sizeof(ing->errmsg), "stream %s %s: cannot open for "
				"writing: %s", si->stream->name, id, strerror(err));
			return -err;
		}
		c->shard[i] = sh;
		c->start_seq[i] = slc_log_shard_next_seq(sh);
		c->sstats[i].next_seq = c->start_seq[i];
		c->owned[c->n_owned++] = i;
		lat_slot_open(c, i);
	}
	ing->map = map_build(ing, 1);
	if (ing->map == NULL)
		return -ENOMEM;
	ing->tsc_per_ms = rte_get_tsc_hz() / 1000u;
	ing->tsc_per_us = rte_get_tsc_hz() / 1000000u;
	if (ing->tsc_per_ms == 0)
		ing->tsc_per_ms = 1;
	if (ing->tsc_per_us == 0)
		ing->tsc_per_us = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ing->base_tsc = rte_rdtsc();
	ing->base_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (i = 0; i < ing->cfg.n_cores; i++) {
		ing->cores[i]->map = ing->map;
		ing->cores[i]->acked_version = ing->map->version;
	}
	ing->started = true;
	/* Publish: data cores launched after this see everything above. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

const char *
slc_ingest_errmsg(const struct slc_ingest *ing)
{
	return ing->errmsg;
}

void
slc_ingest_free(struct slc_ingest *ing)
{
	struct shard_map *m, *o;
	uint32_t i;

	if (ing == NULL)
		return;
	for (i = 0; i < SLC_INGEST_MAX_CORES; i++)
		core_free(ing->cores[i]);
	for (m = ing->map; m != NULL; m = o) {
		o = m->older;
		slc_free(m);
	}
	slc_free(ing->slots);
	slc_free(ing->slot_state);
	slc_free(ing->pkt_cfg);
	slc_free(ing);
}

uint32_t
slc_ingest_n_cores(const struct slc_ingest *ing)
{
	return ing->cfg.n_cores;
}

struct slc_ingest_core *
slc_ingest_core_get(struct slc_ingest *ing, uint32_t i)
{
	return i < SLC_INGEST_MAX_CORES ? ing->cores[i] : NULL;
}

uint32_t
slc_ingest_n_shards(const struct slc_ingest *ing)
{
	return __atomic_load_n(&ing->n_slots, __ATOMIC_ACQUIRE);
}

const struct slc_ingest_shard_info *
slc_ingest_shard_info(const struct slc_ingest *ing, uint32_t slot)
{
	return slot < slc_ingest_n_shards(ing) ? &ing->slots[slot] : NULL;
}

int
slc_ingest_stream_first_slot(const struct slc_ingest *ing, uint32_t stream_id)
{
	return stream_id < ing->n_streams ? (int)ing->first_slot[stream_id] : -EINVAL;
}

uint64_t
slc_ingest_map_version(const struct slc_ingest *ing)
{
	const struct shard_map *m = __atomic_load_n(&ing->map, __ATOMIC_ACQUIRE);

	return m != NULL ? m->version : 0;
}

/* ---------------------------------------------------------------- fast path */

static inline const struct map_ent *
map_lookup(const struct shard_map *m, uint32_t stream_id, slc_u128 h)
{
	uint32_t lo = m->first[stream_id], hi = lo + m->n[stream_id] - 1, mid;

	/* Last entry with start <= h (ranges cover the key space in order). */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (m->ents[mid].start <= h)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &m->ents[lo];
}

/* A ticketed record (TCP) of slot was dropped for d: tell its connection. */
static inline void
ticket_drop(struct slc_ingest_core *c, const struct ho_ticket *tk, uint32_t slot,
	enum slc_ingest_drop d)
{
	if (tk != NULL)
		ingest_tcp_done(c, tk, ingest_tcp_drop_status(d), c->ing->slots[slot].index, 0);
}

static inline void
append_local(struct slc_ingest_core *c, uint32_t slot, struct slc_record *r, int64_t arrival_ms,
	const struct ho_ticket *tk)
{
	struct slc_ingest_shard_stats *ss = &c->sstats[slot];
	int ret;

	ret = slc_log_append(c->shard[slot], r, arrival_ms);
	if (likely(ret == 0)) {
		ss->stored++;
		ss->bytes += r->key_len + r->data_len;
		ss->next_seq = r->seq + 1;
		if (unlikely(c->lat != NULL))
			lat_sample(c, slot, r);
		if (unlikely(tk != NULL))
			ingest_tcp_wait(c, slot, r->seq, tk);
	} else if (ret == -ENOBUFS) {
		ss->drop[SLC_INGEST_D_LOG_FULL]++;
		ticket_drop(c, tk, slot, SLC_INGEST_D_LOG_FULL);
	} else {
		ss->drop[SLC_INGEST_D_LOG_ERROR]++;
		ticket_drop(c, tk, slot, SLC_INGEST_D_LOG_ERROR);
	}
}

static void
stage_flush(struct slc_ingest_core *c, uint32_t dst)
{
	struct ho_elem *st = c->stage[dst];
	uint32_t n = c->n_stage[dst], k, i;

	if (n == 0)
		return;
	k = rte_ring_enqueue_burst_elem(c->out[dst], st, sizeof(*st), n, NULL);
	for (i = 0; i < k; i++)
		c->sstats[st[i].slot].handover_out++;
	c->stats.handover_out += k;
	for (; i < n; i++) {
		c->sstats[st[i].slot].drop[SLC_INGEST_D_RING_FULL]++;
		if (unlikely(st[i].flags & HO_F_TICKET)) {
			struct ho_ticket tk = st[i].tk;

			ticket_drop(c, &tk, st[i].slot, SLC_INGEST_D_RING_FULL);
		}
		rte_pktmbuf_free(st[i].m);
	}
	c->n_stage[dst] = 0;
}

void
ingest_stage_flush_all(struct slc_ingest_core *c)
{
	uint32_t d;

	for (d = 0; d < c->ing->cfg.n_cores; d++)
		stage_flush(c, d);
}

/* Copy a and b (either may be empty) into new mbufs from mp, chained as needed. */
static struct rte_mbuf *
copy_out(struct rte_mempool *mp, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	struct rte_mbuf *head = NULL, *last = NULL, *m;
	uint32_t room, take;

	do {
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		room = rte_pktmbuf_tailroom(m);
		take = RTE_MIN(room, alen);
		if (take > 0)
			memcpy(rte_pktmbuf_mtod(m, uint8_t *), a, take);
		a += take;
		alen -= take;
		room -= take;
		if (alen == 0) {
			uint32_t t2 = RTE_MIN(room, blen);

			if (t2 > 0)
				memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, take), b, t2);
			b += t2;
			blen -= t2;
			take += t2;
		}
		m->data_len = (uint16_t)take;
		if (head == NULL) {
			head = m;
			head->pkt_len = take;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += take;
		}
		last = m;
	} while (alen + blen > 0);
	return head;
}

/*
 * Route one record. key/data point into the datagram (in m if direct, else in
 * the pkt context's scratch). u is set for raw records (the key is the sender).
 */
static inline void
route(struct slc_ingest_core *c, uint32_t sid, struct rte_mbuf *m, bool direct,
	const struct slc_pkt_udp *u, struct slc_record *r, slc_u128 h)
{
	const struct map_ent *e = map_lookup(c->map, sid, h);
	struct slc_ingest_shard_stats *ss = &c->sstats[e->slot];
	struct ho_elem *he;
	const uint8_t *base;
	bool raw = u != NULL;

	ss->records_rx++;
	if (__atomic_load_n(&c->ing->hist_on[sid], __ATOMIC_RELAXED)) {
		uint64_t (*hb)[SLC_INGEST_HIST_BUCKETS] = c->hist[e->slot];
		uint32_t b = (uint32_t)((h - e->start) >> e->shift);

		hb[0][b]++;
		hb[1][b] += r->key_len + r->data_len;
	}
	if (c->cur_bucket != UINT32_MAX)
		c->flows[c->cur_bucket * c->ing->cfg.n_cores + e->owner]++;
	if (unlikely(r->data_len > c->ing->streams[sid]->settings.max_record)) {
		ss->drop[SLC_INGEST_D_TOO_BIG]++;
		ticket_drop(c, c->cur_tk, e->slot, SLC_INGEST_D_TOO_BIG);
		return;
	}
	if (e->owner == c->index) {
		append_local(c, e->slot, r, c->now_ms, c->cur_tk);
		return;
	}
	if (c->n_stage[e->owner] == STAGE_MAX)
		stage_flush(c, e->owner);
	he = &c->stage[e->owner][c->n_stage[e->owner]];
	he->arrival_ms = c->now_ms;
	he->slot = e->slot;
	he->data_len = r->data_len;
	he->key_len = r->key_len;
	he->flags = 0;
	if (raw) {
		he->flags = HO_F_RAW;
		he->family = u->family;
		he->src_port = u->src_port;
		memcpy(he->u, u->src, 16);
	} else if (r->has_hash_key) {
		he->flags = HO_F_HASHKEY;
		memcpy(he->u, r->hash_key, 16);
	}
	if (unlikely(c->cur_tk != NULL)) {
		he->flags |= HO_F_TICKET;
		he->tk = *c->cur_tk;
	}
	if (direct) {
		base = rte_pktmbuf_mtod(m, const uint8_t *);
		he->m = m;
		he->key_off = raw ? 0 : (uint32_t)((const uint8_t *)r->key - base);
		he->data_off = (uint32_t)((const uint8_t *)r->data - base);
		rte_mbuf_refcnt_update(m, 1);
	} else {
		he->m = copy_out(m != NULL ? m->pool : c->pool, raw ? NULL : r->key,
			raw ? 0 : r->key_len, r->data, r->data_len);
		if (he->m == NULL) {
			ss->drop[SLC_INGEST_D_NOMBUF]++;
			ticket_drop(c, c->cur_tk, e->slot, SLC_INGEST_D_NOMBUF);
			return;
		}
		he->key_off = 0;
		he->data_off = raw ? 0 : r->key_len;
	}
	c->n_stage[e->owner]++;
}

int
ingest_raw_key(struct slc_ingest_core *c, const struct slc_pkt_udp *u, slc_u128 *hash)
{
	uint32_t h = u->src_port * 0x9e3779b1u;
	struct rawkey *e;
	int klen;

	h ^= rte_hash_crc(u->src, u->family == 4 ? 4 : 16, u->family);
	e = &c->rawkeys[h & (RAWKEY_CACHE - 1)];
	if (e->family == u->family && e->port == u->src_port &&
			memcmp(e->src, u->src, u->family == 4 ? 4 : 16) == 0) {
		memcpy(c->keybuf, e->key, e->klen);
		*hash = e->hash;
		return e->klen;
	}
	klen = slc_pkt_src_key(u, (char *)c->keybuf);
	*hash = slc_hashkey_md5(c->keybuf, (size_t)klen);
	if (klen > 0 && (size_t)klen < sizeof(e->key)) {
		memcpy(e->src, u->src, 16);
		e->port = u->src_port;
		e->family = u->family;
		e->klen = (uint8_t)klen;
		e->hash = *hash;
		memcpy(e->key, c->keybuf, (size_t)klen);
	}
	return klen;
}

void
ingest_route(struct slc_ingest_core *c, uint32_t sid, const struct slc_pkt_udp *u,
	struct slc_record *r, slc_u128 h, const struct ho_ticket *tk)
{
	c->cur_tk = tk;
	route(c, sid, NULL, false, u, r, h);
	c->cur_tk = NULL;
}

static void
rx_raw(struct slc_ingest_core *c, uint32_t sid, struct rte_mbuf *m, bool direct,
	const struct slc_pkt_udp *u, struct slc_ingest_port_stats *ps)
{
	struct slc_record r;
	int klen;

	slc_u128 h;

	klen = ingest_raw_key(c, u, &h);
	r.key = c->keybuf;
	r.key_len = (uint16_t)klen;
	r.data = u->payload;
	r.data_len = u->len;
	r.has_hash_key = false;
	ps->records++;
	route(c, sid, m, direct, u, &r, h);
}

static void
rx_framed(struct slc_ingest_core *c, uint32_t sid, struct rte_mbuf *m, bool direct,
	const struct slc_pkt_udp *u, struct slc_ingest_port_stats *ps)
{
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec fr;
	struct slc_record r;
	enum slc_frame_err err;
	slc_u128 fh = 0, h;

	err = slc_frame_check(u->payload, u->len, true, c->ing->streams[sid]->settings.max_record,
		&fi);
	if (err != SLC_FRAME_OK) {
		ps->frame_drops++;
		ps->frame_drop[(unsigned)err < SLC_FRAME_E_MAX ? err : 0]++;
		return;
	}
	if (fi.has_hash_key)
		fh = slc_hashkey_from_be(fi.hash_key);
	slc_frame_iter_init(&it, &fi);
	while (slc_frame_iter_next(&it, &fr) == 1) {
		h = slc_frame_record(&fi, fh, &fr, &r);
		ps->records++;
		route(c, sid, m, direct, NULL, &r, h);
	}
}

uint32_t
slc_ingest_core_rx(struct slc_ingest_core *c, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now_tsc)
{
	struct slc_ingest *ing = c->ing;
	struct slc_ingest_port_stats *ps;
	struct slc_pkt_udp u;
	uint64_t before;
	uint32_t i, d, sid;
	bool direct;

	if (unlikely(port >= SLC_PKT_MAX_PORTS)) {
		rte_pktmbuf_free_bulk(pkts, n);
		return 0;
	}
	/* Safe point: pick up the shard map in force. */
	c->map = __atomic_load_n(&ing->map, __ATOMIC_ACQUIRE);
	/* A caller's TSC read before start (or on a core slightly behind) counts as start. */
	if (unlikely(now_tsc < ing->base_tsc))
		now_tsc = ing->base_tsc;
	c->now_ms = ing->base_ms + (int64_t)((now_tsc - ing->base_tsc) / ing->tsc_per_ms);
	ps = &c->stats.port[port];
	before = ps->records;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *base;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		ps->rx_packets++;
		ps->rx_bytes += m->pkt_len;
		c->cur_bucket = c->flows != NULL && (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ?
			(m->hash.rss & (ing->cfg.reta_size - 1)) : UINT32_MAX;
		if (c->tcp != NULL) {
			struct slc_pkt_tcp seg;
			enum slc_pkt_verdict v;

			v = slc_pkt_classify_l4(c->pkt, port, m, now_tsc, &u, &seg);
			if (v == SLC_PKT_TCP) {
				ingest_tcp_input(c, &seg, now_tsc);
				continue;
			}
			if (v != SLC_PKT_DATAGRAM)
				continue;
		} else if (slc_pkt_classify(c->pkt, port, m, now_tsc, &u) != SLC_PKT_DATAGRAM) {
			continue;
		}
		ps->datagrams++;
		m = u.m;
		sid = ing->udp_stream[u.dst_port];
		base = rte_pktmbuf_mtod(m, const uint8_t *);
		direct = m->nb_segs == 1 && u.payload >= base &&
			u.payload + u.len <= base + m->data_len;
		if (u.mode == SLC_PKT_MODE_FRAMED)
			rx_framed(c, sid, m, direct, &u, ps);
		else
			rx_raw(c, sid, m, direct, &u, ps);
		rte_pktmbuf_free(m);
	}
	for (d = 0; d < ing->cfg.n_cores; d++)
		stage_flush(c, d);
	return (uint32_t)(ps->records - before);
}

static void
drain_one(struct slc_ingest_core *c, struct ho_elem *e)
{
	const struct ho_ticket *tkp = NULL;
	struct ho_ticket tk;
	struct slc_record r;
	struct slc_pkt_udp u;
	slc_u128 hk;
	int klen;

	if (e->flags & HO_F_RAW) {
		u.family = e->family;
		u.src_port = e->src_port;
		memcpy(u.src, e->u, 16);
		klen = ingest_raw_key(c, &u, &hk);
		r.key = c->keybuf;
		r.key_len = (uint16_t)klen;
	} else {
		r.key = rte_pktmbuf_read(e->m, e->key_off, e->key_len, c->keybuf);
		r.key_len = e->key_len;
	}
	r.data = rte_pktmbuf_read(e->m, e->data_off, e->data_len, c->scratch);
	r.data_len = e->data_len;
	r.has_hash_key = (e->flags & HO_F_HASHKEY) != 0;
	if (r.has_hash_key)
		memcpy(r.hash_key, e->u, 16);
	c->sstats[e->slot].handover_in++;
	if (e->flags & HO_F_TICKET) {
		tk = e->tk;
		tkp = &tk;
	}
	if (unlikely(c->shard[e->slot] == NULL || r.key == NULL || r.data == NULL)) {
		/* A closed slot, an unreadable element: cannot happen. */
		c->sstats[e->slot].drop[SLC_INGEST_D_LOG_ERROR]++;
		ticket_drop(c, tkp, e->slot, SLC_INGEST_D_LOG_ERROR);
	} else {
		append_local(c, e->slot, &r, e->arrival_ms, tkp);
	}
	rte_pktmbuf_free(e->m);
}

static void core_safe_point(struct slc_ingest_core *c);

uint32_t
slc_ingest_core_poll(struct slc_ingest_core *c, uint64_t now_tsc)
{
	struct slc_ingest *ing = c->ing;
	struct ho_elem elems[DRAIN_BURST];
	uint32_t s, i, k, b, work = 0;
	int ret;

	c->stats.polls++;
	for (s = 0; s < ing->cfg.n_cores; s++) {
		if (c->in[s] == NULL)
			continue;
		for (b = 0; b < DRAIN_BURSTS_PER_POLL; b++) {
			k = rte_ring_dequeue_burst_elem(c->in[s], elems, sizeof(elems[0]),
				DRAIN_BURST, NULL);
			for (i = 0; i < k; i++)
				drain_one(c, &elems[i]);
			c->stats.handover_in += k;
			work += k;
			if (k < DRAIN_BURST)
				break;
		}
	}
	slc_pkt_housekeep(c->pkt, now_tsc);
	if (unlikely(now_tsc < ing->base_tsc))
		now_tsc = ing->base_tsc;
	ret = slc_log_poll(c->w, (now_tsc - ing->base_tsc) / ing->tsc_per_us + 1);
	if (ret > 0)
		work += (uint32_t)ret;
	if (c->tcp != NULL) {
		__atomic_store_n(&c->log_free, slc_log_free_bufs(c->w), __ATOMIC_RELAXED);
		c->now_ms = ing->base_ms + (int64_t)((now_tsc - ing->base_tsc) / ing->tsc_per_ms);
		work += ingest_tcp_poll(c, now_tsc);
		ingest_stage_flush_all(c);
	}
	core_safe_point(c);
	return work;
}

/* ---------------------------------------------------------------- live resharding */

/* Open slot on this core's writer (the slot's owner). */
static int
core_open_slot(struct slc_ingest_core *c, uint32_t slot)
{
	const struct slc_ingest_shard_info *si = &c->ing->slots[slot];
	struct slc_log_shard *sh;

	sh = slc_log_shard_open(c->w, si->stream, si->index);
	if (sh == NULL)
		return -errno;
	c->start_seq[slot] = slc_log_shard_next_seq(sh);
	c->sstats[slot].next_seq = c->start_seq[slot];
	lat_slot_open(c, slot);
	c->owned[c->n_owned++] = slot;
	c->shard[slot] = sh;
	return 0;
}

/*
 * Close slot: every core acknowledged a map without it, so whatever was routed to
 * it is appended here or sits on an incoming ring now. Drain exactly what is on
 * each ring (newer elements belong to other slots), take the next counter as the
 * exclusive end, and make everything durable (a blocking sync: a short pause of
 * this core, once per reshard).
 */
static int
core_close_slot(struct slc_ingest_core *c, uint32_t slot, uint64_t *end)
{
	struct ho_elem elems[DRAIN_BURST];
	uint32_t s, i, k, left;
	int rc;

	if (c->shard[slot] == NULL)
		return -EINVAL;
	for (s = 0; s < c->ing->cfg.n_cores; s++) {
		if (c->in[s] == NULL)
			continue;
		left = rte_ring_count(c->in[s]);
		while (left > 0) {
			k = rte_ring_dequeue_burst_elem(c->in[s], elems, sizeof(elems[0]),
				RTE_MIN(left, DRAIN_BURST), NULL);
			for (i = 0; i < k; i++)
				drain_one(c, &elems[i]);
			c->stats.handover_in += k;
			left -= k;
		}
	}
	*end = slc_log_shard_next_seq(c->shard[slot]);
	rc = slc_log_sync(c->w);
	c->sstats[slot].durable = *end - c->start_seq[slot];
	c->shard[slot] = NULL;          /* stays open on the writer, never appended to */
	return rc;
}

/* The data core's safe point (end of slc_ingest_core_poll): ack the map, serve a request. */
static void
core_safe_point(struct slc_ingest_core *c)
{
	const struct shard_map *m = __atomic_load_n(&c->ing->map, __ATOMIC_ACQUIRE);
	uint64_t seq;
	int rc = -EINVAL;

	c->map = m;
	if (unlikely(c->acked_version != m->version))
		__atomic_store_n(&c->acked_version, m->version, __ATOMIC_RELEASE);
	if (unlikely(c->lat != NULL))
		lat_check_reset(c);
	seq = __atomic_load_n(&c->req.seq, __ATOMIC_ACQUIRE);
	if (likely(seq == c->req.done))
		return;
	c->req.value = 0;
	if (c->req.slot < slc_ingest_n_shards(c->ing)) {
		if (c->req.op == SLC_INGEST_REQ_OPEN)
			rc = core_open_slot(c, c->req.slot);
		else if (c->req.op == SLC_INGEST_REQ_CLOSE)
			rc = core_close_slot(c, c->req.slot, &c->req.value);
	}
	c->req.result = rc;
	__atomic_store_n(&c->req.done, seq, __ATOMIC_RELEASE);
}

int
slc_ingest_stream_id(const struct slc_ingest *ing, const char *name)
{
	uint32_t s;

	for (s = 0; s < ing->n_streams; s++)
		if (strcmp(ing->streams[s]->name, name) == 0)
			return (int)s;
	return -ENOENT;
}

int
slc_ingest_slot_find(const struct slc_ingest *ing, uint32_t stream_id, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < ing->n_slots; i++)
		if (ing->slots[i].stream_id == stream_id && ing->slots[i].index == index &&
				ing->slot_state[i] == SLOT_MAPPED)
			return (int)i;
	return -ENOENT;
}

uint32_t
slc_ingest_pick_owner(const struct slc_ingest *ing)
{
	uint32_t cnt[SLC_INGEST_MAX_CORES] = { 0 }, i, best = 0;

	for (i = 0; i < ing->n_slots; i++)
		if (ing->slot_state[i] == SLOT_MAPPED || ing->slot_state[i] == SLOT_PENDING)
			cnt[ing->slots[i].owner]++;
	for (i = 1; i < ing->cfg.n_cores; i++)
		if (cnt[i] < cnt[best])
			best = i;
	return best;
}

int
slc_ingest_slot_add(struct slc_ingest *ing, uint32_t stream_id, const struct slc_stream *st,
	uint32_t index, uint32_t owner)
{
	uint32_t slot = ing->n_slots;

	if (!ing->started || stream_id >= ing->n_streams || owner >= ing->cfg.n_cores ||
			st == NULL || index >= st->nshards ||
			strcmp(st->name, ing->streams[stream_id]->name) != 0)
		return -EINVAL;
	if (slot == ing->cap_slots)
		return -ENOSPC;
	ing->slots[slot] = (struct slc_ingest_shard_info){
		.stream = st,
		.stream_id = stream_id,
		.index = index,
		.owner = owner,
	};
	ing->slot_state[slot] = SLOT_PENDING;
	memset(&ing->cores[owner]->sstats[slot], 0, sizeof(ing->cores[owner]->sstats[slot]));
	__atomic_store_n(&ing->n_slots, slot + 1, __ATOMIC_RELEASE);
	return (int)slot;
}

int
slc_ingest_publish(struct slc_ingest *ing, const uint32_t *retire, uint32_t n_retire,
	const uint32_t *add, uint32_t n_add, uint64_t *version)
{
	struct shard_map *m;
	uint32_t i;

	for (i = 0; i < n_retire; i++)
		if (retire[i] >= ing->n_slots || ing->slot_state[retire[i]] != SLOT_MAPPED)
			return -EINVAL;
	for (i = 0; i < n_add; i++)
		if (add[i] >= ing->n_slots || ing->slot_state[add[i]] != SLOT_PENDING)
			return -EINVAL;
	for (i = 0; i < n_retire; i++)
		ing->slot_state[retire[i]] = SLOT_RETIRED;
	for (i = 0; i < n_add; i++)
		ing->slot_state[add[i]] = SLOT_MAPPED;
	m = map_build(ing, ing->map->version + 1);
	if (m == NULL) {
		for (i = 0; i < n_retire; i++)
			ing->slot_state[retire[i]] = SLOT_MAPPED;
		for (i = 0; i < n_add; i++)
			ing->slot_state[add[i]] = SLOT_PENDING;
		return -ENOMEM;
	}
	m->older = ing->map;
	__atomic_store_n(&ing->map, m, __ATOMIC_RELEASE);
	*version = m->version;
	return 0;
}

bool
slc_ingest_acked(const struct slc_ingest *ing, uint64_t version)
{
	uint32_t i;

	for (i = 0; i < ing->cfg.n_cores; i++)
		if (__atomic_load_n(&ing->cores[i]->acked_version, __ATOMIC_ACQUIRE) < version)
			return false;
	return true;
}

int
slc_ingest_request(struct slc_ingest *ing, uint32_t core, enum slc_ingest_req op, uint32_t slot)
{
	struct slc_ingest_core *c;

	if (core >= ing->cfg.n_cores)
		return -EINVAL;
	c = ing->cores[core];
	if (__atomic_load_n(&c->req.done, __ATOMIC_ACQUIRE) != c->req.seq)
		return -EBUSY;
	c->req.op = op;
	c->req.slot = slot;
	__atomic_store_n(&c->req.seq, c->req.seq + 1, __ATOMIC_RELEASE);
	return 0;
}

int
slc_ingest_request_done(struct slc_ingest *ing, uint32_t core, int *result, uint64_t *value)
{
	struct slc_ingest_core *c = ing->cores[core];

	if (__atomic_load_n(&c->req.done, __ATOMIC_ACQUIRE) != c->req.seq)
		return 0;
	*result = c->req.result;
	if (value != NULL)
		*value = c->req.value;
	if (*result == 0 && c->req.op == SLC_INGEST_REQ_CLOSE)
		ing->slot_state[c->req.slot] = SLOT_CLOSED;
	return 1;
}

bool
slc_ingest_slot_closed(const struct slc_ingest *ing, uint32_t slot)
{
	return slot < ing->n_slots && ing->slot_state[slot] == SLOT_CLOSED;
}

uint16_t
slc_ingest_core_tx_pending(struct slc_ingest_core *c, uint16_t port, struct rte_mbuf ***pkts)
{
	if (port >= SLC_PKT_MAX_PORTS)
		return 0;
	return slc_pkt_tx_pending(c->pkt, port, pkts);
}

void
slc_ingest_core_tx_done(struct slc_ingest_core *c, uint16_t port, uint16_t sent)
{
	if (port >= SLC_PKT_MAX_PORTS)
		return;
	c->stats.port[port].tx_packets += sent;
	slc_pkt_tx_done(c->pkt, port, sent);
}

const struct slc_ingest_tcp_stats *
slc_ingest_core_tcp_stats(const struct slc_ingest_core *c)
{
	return &c->tcp_stats;
}

bool
slc_ingest_core_rings_empty(const struct slc_ingest_core *c)
{
	uint32_t s;

	for (s = 0; s < SLC_INGEST_MAX_CORES; s++)
		if (c->in[s] != NULL && !rte_ring_empty(c->in[s]))
			return false;
	return true;
}

int
slc_ingest_core_sync(struct slc_ingest_core *c)
{
	return slc_log_sync(c->w);
}

/* ---------------------------------------------------------------- counters */

uint32_t
slc_ingest_core_index(const struct slc_ingest_core *c)
{
	return c->index;
}

const struct slc_ingest_core_stats *
slc_ingest_core_stats(const struct slc_ingest_core *c)
{
	return &c->stats;
}

const struct slc_ingest_shard_stats *
slc_ingest_core_shard_stats(const struct slc_ingest_core *c, uint32_t slot)
{
	return slot < slc_ingest_n_shards(c->ing) ? &c->sstats[slot] : NULL;
}

const struct slc_pkt_stats *
slc_ingest_core_pkt_stats(const struct slc_ingest_core *c)
{
	return slc_pkt_ctx_stats(c->pkt);
}

void
slc_ingest_core_log_stats(const struct slc_ingest_core *c, struct slc_log_stats *out)
{
	slc_log_writer_stats(c->w, out);
}

void
slc_ingest_shard_stats_sum(struct slc_ingest *ing, uint32_t slot,
	struct slc_ingest_shard_stats *out)
{
	const struct slc_ingest_shard_stats *s;
	uint32_t i, d;

	memset(out, 0, sizeof(*out));
	if (slot >= slc_ingest_n_shards(ing))
		return;
	for (i = 0; i < ing->cfg.n_cores; i++) {
		s = &ing->cores[i]->sstats[slot];
		out->records_rx += s->records_rx;
		out->stored += s->stored;
		out->bytes += s->bytes;
		out->durable += s->durable;
		out->handover_out += s->handover_out;
		out->handover_in += s->handover_in;
		for (d = 0; d < SLC_INGEST_D_MAX; d++)
			out->drop[d] += s->drop[d];
	}
	out->next_seq = ing->cores[ing->slots[slot].owner]->sstats[slot].next_seq;
}

/* ---------------------------------------------------------------- observation */

int
slc_ingest_set_hist(struct slc_ingest *ing, uint32_t stream_id, bool on)
{
	if (stream_id >= ing->n_streams)
		return -EINVAL;
	__atomic_store_n(&ing->hist_on[stream_id], on ? 1 : 0, __ATOMIC_RELAXED);
	return 0;
}

int
slc_ingest_shard_hist(struct slc_ingest *ing, uint32_t slot, struct slc_ingest_hist *out)
{
	const struct slc_ingest_shard_info *si;
	const struct slc_shard_meta *sm;
	uint32_t c, b;

	if (slot >= __atomic_load_n(&ing->n_slots, __ATOMIC_ACQUIRE))
		return -EINVAL;
	si = &ing->slots[slot];
	sm = &si->stream->shards[si->index];
	memset(out, 0, sizeof(*out));
	out->start = sm->start_hash;
	out->end = sm->end_hash;
	out->shift = hist_shift(sm->start_hash, sm->end_hash);
	out->n_buckets = (uint32_t)((sm->end_hash - sm->start_hash) >> out->shift) + 1;
	for (c = 0; c < ing->cfg.n_cores; c++) {
		const uint64_t (*hb)[SLC_INGEST_HIST_BUCKETS] =
			(const uint64_t (*)[SLC_INGEST_HIST_BUCKETS])ing->cores[c]->hist[slot];

		for (b = 0; b < SLC_INGEST_HIST_BUCKETS; b++) {
			out->records[b] += __atomic_load_n(&hb[0][b], __ATOMIC_RELAXED);
			out->bytes[b] += __atomic_load_n(&hb[1][b], __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int
slc_ingest_set_reta_size(struct slc_ingest *ing, uint32_t reta_size)
{
	if (ing->started || reta_size > SLC_INGEST_RETA_MAX || (reta_size & (reta_size - 1)) != 0)
		return -EINVAL;
	ing->cfg.reta_size = reta_size;
	return 0;
}

uint32_t
slc_ingest_reta_size(const struct slc_ingest *ing)
{
	return ing->cfg.reta_size;
}

int
slc_ingest_flow_counts(struct slc_ingest *ing, uint64_t *out)
{
	size_t n = (size_t)ing->cfg.reta_size * ing->cfg.n_cores, i;
	uint32_t c;

	if (ing->cfg.reta_size == 0)
		return -ENOTSUP;
	memset(out, 0, n * sizeof(*out));
	for (c = 0; c < ing->cfg.n_cores; c++)
		for (i = 0; i < n; i++)
			out[i] += __atomic_load_n(&ing->cores[c]->flows[i], __ATOMIC_RELAXED);
	return 0;
}
