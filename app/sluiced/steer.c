/*
 * RSS steering on the control core (docs/dataplane.md, "RSS steering"): every
 * --reta-steer-ms, point each port's RSS redirection-table entry at the data
 * core that owns most of the records arriving under it, so records are appended
 * by the core that received them instead of crossing a handover ring.
 *
 * Why it is learned: RSS picks a queue from a Toeplitz hash of the 5-tuple; a
 * record's shard comes from MD5 of its partition key (raw mode: the sender's
 * "ip:port"), and the shard's owner is whatever core the shard map names (live
 * resharding gives new shards to the least loaded core). No function maps one
 * onto the other, so the data cores count, per low-bits bucket of the RSS hash,
 * which core owns the records they route (lib/ingest, slc_ingest_flow_counts).
 * Each interval this file takes the counters' growth, plans each port's table
 * with hysteresis (drivers/net/reta.c) and writes only the entries that change.
 *
 * Ownership: everything here is the control core's (start, tick, stop), except
 * that the telemetry thread reads the summary and the tables in force for
 * /sluice/steer; `steer.lock` guards those (never taken on a data core). The
 * counter arrays are the control core's alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "slc_mem.h"
#include "sluiced.h"

/* An entry moves only if it saw this many records in the interval ... */
#define STEER_MIN_RECORDS 16
/* ... and the new core owns at least this share of them (percent). */
#define STEER_MIN_SHARE_PCT 60

struct steer_port {
	const struct slc_port_info *pi;
	bool steered;               /* its table was read and is rewritten */
	bool have_table;            /* table[] holds the device's table */
	uint16_t *table;            /* the table in force [reta_size] */
	uint16_t *next;             /* planning scratch [reta_size] */
	uint64_t updates;           /* RETA updates applied */
	uint64_t moved;             /* entries moved, over all updates */
	uint64_t errors;            /* failed updates */
	uint32_t last_moved;        /* entries moved by the last interval's plan */
	uint64_t last_handover;     /* last interval's records the old table handed over */
	uint64_t last_handover_after;   /* ... and those the new table would */
	char last_error[320];
};

static struct {
	pthread_mutex_t lock;       /* guards what telemetry reads (all but the arrays) */
	bool started;               /* start ran; telemetry answers from here */
	bool stopped;
	bool on;
	char reason[160];           /* why it is off */
	uint32_t interval_ms;
	uint32_t learn_size;        /* learned buckets (the largest RETA) */
	uint32_t n_cores;
	struct slc_ingest *ing;
	struct steer_port ports[SLUICED_MAX_PORTS];
	uint16_t n_ports;
	uint64_t last_ms;           /* end of the previous interval (monotonic ms) */
	uint64_t intervals;
	uint64_t last_interval_ms;
	uint64_t last_hashed;       /* records learned in the last interval, all ports */
	/* control core only */
	uint64_t *prev;             /* counters at the end of the previous interval */
	uint64_t *cur;
	uint64_t *delta;
} steer = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool tel_registered;

static int cmd_steer(const char *cmd, const char *params, struct rte_tel_data *d);

/* "64/64": entries per queue of table, into buf. */
static void
queue_counts(const struct steer_port *sp, char *buf, size_t len)
{
	uint32_t cnt[SLC_INGEST_MAX_CORES] = { 0 }, i, q, n = sp->pi->n_queues;
	size_t off = 0;

	if (n > SLC_INGEST_MAX_CORES)
		n = SLC_INGEST_MAX_CORES;
	for (i = 0; i < sp->pi->reta_size; i++)
		if (sp->table[i] < n)
			cnt[sp->table[i]]++;
	buf[0] = '\0';
	for (q = 0; q < n && off < len; q++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u", q ? "/" : "", cnt[q]);
}

static void
free_all(void)
{
	uint16_t i;

	for (i = 0; i < steer.n_ports; i++) {
		slc_free(steer.ports[i].table);
		slc_free(steer.ports[i].next);
		steer.ports[i].table = NULL;
		steer.ports[i].next = NULL;
		steer.ports[i].have_table = false;
	}
	slc_free(steer.prev);
	slc_free(steer.cur);
	slc_free(steer.delta);
	steer.prev = steer.cur = steer.delta = NULL;
}

int
sluiced_steer_start(const struct sluiced_cfg *cfg, struct sluiced_state *s)
{
	char err[320], q[128];
	size_t n;
	uint16_t i;
	bool any_reta = false;
	int ret;

	pthread_mutex_lock(&steer.lock);
	steer.ing = s->ing;
	steer.interval_ms = cfg->reta_steer_ms;
	steer.n_cores = slc_ingest_n_cores(s->ing);
	steer.learn_size = slc_ingest_reta_size(s->ing);
	steer.n_ports = s->n_ports;
	steer.on = false;
	steer.stopped = false;
	for (i = 0; i < s->n_ports; i++) {
		struct steer_port *sp = &steer.ports[i];
		uint16_t r = s->ports[i].reta_size;

		memset(sp, 0, sizeof(*sp));
		sp->pi = &s->ports[i];
		if (r == 0)
			continue;
		any_reta = true;
		sp->table = slc_calloc(r, sizeof(*sp->table));
		sp->next = slc_calloc(r, sizeof(*sp->next));
		if (sp->table == NULL || sp->next == NULL)
			goto nomem;
		/* Start from what the device holds, not what port.c meant to write. */
		ret = slc_port_reta_get(sp->pi->port_id, sp->table, r, err, sizeof(err));
		if (ret != 0) {
			snprintf(sp->last_error, sizeof(sp->last_error), "%s", err);
			printf("sluiced: steer: %s: this port is not steered\n", err);
			continue;
		}
		sp->have_table = true;
		if (steer.learn_size == 0 || (r & (r - 1)) != 0 || r > steer.learn_size) {
			if (steer.learn_size != 0)
				snprintf(sp->last_error, sizeof(sp->last_error), "a RETA of %u entries "
					"is not a power of two: not steered", r);
			continue;
		}
		sp->steered = true;
	}
	if (cfg->n_tcp > 0)
		snprintf(steer.reason, sizeof(steer.reason), "TCP ports are configured: moving RSS "
			"buckets between cores would strand their connections");
	else if (cfg->reta_steer_ms == 0)
		snprintf(steer.reason, sizeof(steer.reason), "--reta-steer-ms 0");
	else if (steer.n_cores < 2)
		snprintf(steer.reason, sizeof(steer.reason), "one data core: nothing to steer");
	else if (!any_reta)
		snprintf(steer.reason, sizeof(steer.reason), "no port has a programmed RSS "
			"redirection table");
	else if (steer.learn_size == 0)
		snprintf(steer.reason, sizeof(steer.reason), "the RETA size is not learned (a "
			"power of two, at most %d)", SLC_INGEST_RETA_MAX);
	else
		steer.on = true;
	if (steer.on) {
		steer.on = false;
		for (i = 0; i < steer.n_ports; i++)
			steer.on |= steer.ports[i].steered;
		if (!steer.on)
			snprintf(steer.reason, sizeof(steer.reason), "no port's RETA could be read");
	}
	if (steer.on) {
		n = (size_t)steer.learn_size * steer.n_cores;
		steer.prev = slc_calloc(n, sizeof(uint64_t));
		steer.cur = slc_calloc(n, sizeof(uint64_t));
		steer.delta = slc_calloc(n, sizeof(uint64_t));
		if (steer.prev == NULL || steer.cur == NULL || steer.delta == NULL)
			goto nomem;
		/* What was counted before now (nothing, normally) is not this interval's. */
		if (slc_ingest_flow_counts(s->ing, steer.prev) != 0) {
			snprintf(steer.reason, sizeof(steer.reason), "the engine counts no flows");
			steer.on = false;
		}
	}
	steer.started = true;
	if (steer.on) {
		printf("sluiced: steer: every %u ms, RSS hashes learned over %u buckets; an entry "
			"moves with at least %d records and %d%% of them for one core\n",
			steer.interval_ms, steer.learn_size, STEER_MIN_RECORDS, STEER_MIN_SHARE_PCT);
		for (i = 0; i < steer.n_ports; i++) {
			struct steer_port *sp = &steer.ports[i];

			if (!sp->have_table)
				continue;
			queue_counts(sp, q, sizeof(q));
			printf("sluiced: steer: port %u (%s): %u RETA entries, per queue %s%s\n",
				sp->pi->port_id, sp->pi->name, sp->pi->reta_size, q,
				sp->steered ? ", steered" : ", not steered");
		}
	} else {
		printf("sluiced: steer: off (%s)\n", steer.reason);
	}
	pthread_mutex_unlock(&steer.lock);
	fflush(stdout);
	steer.last_ms = 0;
	if (!tel_registered) {
		ret = rte_telemetry_register_cmd("/sluice/steer", cmd_steer,
			"RSS steering: per port RETA entries per queue, updates, last interval "
			"(docs/dataplane.md)");
		if (ret != 0) {
			fprintf(stderr, "sluiced: steer: cannot register /sluice/steer: %s\n",
				strerror(-ret));
			return ret;
		}
		tel_registered = true;
	}
	return 0;
nomem:
	steer.on = false;
	snprintf(steer.reason, sizeof(steer.reason), "out of memory");
	free_all();
	steer.started = true;
	pthread_mutex_unlock(&steer.lock);
	fprintf(stderr, "sluiced: steer: out of memory for the RETA tables\n");
	return -ENOMEM;
}

/* Plan and write one port's table from steer.delta. */
static void
steer_port(struct steer_port *sp, uint64_t span_ms)
{
	uint16_t r = sp->pi->reta_size;
	uint64_t total = 0, before, after;
	char err[320], q[128];
	int moved, ret;

	moved = slc_port_reta_plan(steer.delta, steer.learn_size, steer.n_cores, sp->table, r,
		STEER_MIN_RECORDS, STEER_MIN_SHARE_PCT, sp->next);
	if (moved < 0)
		return;     /* sizes were checked at start */
	before = slc_port_reta_handover(steer.delta, steer.learn_size, steer.n_cores, sp->table,
		r, &total);
	after = slc_port_reta_handover(steer.delta, steer.learn_size, steer.n_cores, sp->next, r,
		NULL);
	ret = moved > 0 ? slc_port_reta_set(sp->pi->port_id, sp->table, sp->next, r, err,
		sizeof(err)) : 0;
	pthread_mutex_lock(&steer.lock);
	sp->last_moved = ret >= 0 ? (uint32_t)moved : 0;
	sp->last_handover = before;
	sp->last_handover_after = ret >= 0 ? after : before;
	if (ret > 0) {
		memcpy(sp->table, sp->next, (size_t)r * sizeof(*sp->table));
		sp->updates++;
		sp->moved += (uint64_t)ret;
	} else if (ret < 0) {
		sp->errors++;
		snprintf(sp->last_error, sizeof(sp->last_error), "%s", err);
	}
	pthread_mutex_unlock(&steer.lock);
	if (ret > 0) {
		queue_counts(sp, q, sizeof(q));
		printf("sluiced: steer: port %u (%s): moved %d of %u RETA entries to the cores "
			"owning their records (last %" PRIu64 ".%" PRIu64 " s: %" PRIu64 "%% of %"
			PRIu64 " hashed records were handed over, %" PRIu64 "%% with the new table); "
			"entries per queue now %s\n", sp->pi->port_id, sp->pi->name, ret, r,
			span_ms / 1000, span_ms % 1000 / 100, total ? before * 100 / total : 0, total,
			total ? after * 100 / total : 0, q);
		fflush(stdout);
	} else if (ret < 0) {
		/* The first failure and then one in a hundred: a broken device must not flood. */
		if (sp->errors == 1 || sp->errors % 100 == 0)
			fprintf(stderr, "sluiced: steer: %s (%" PRIu64 " failed update%s)\n", err,
				sp->errors, sp->errors == 1 ? "" : "s");
		if (ret == -ENODEV || ret == -ENOTSUP) {
			pthread_mutex_lock(&steer.lock);
			sp->steered = false;
			pthread_mutex_unlock(&steer.lock);
			fprintf(stderr, "sluiced: steer: port %u: no longer steered\n",
				sp->pi->port_id);
		} else if (slc_port_reta_get(sp->pi->port_id, sp->next, r, err, sizeof(err)) == 0) {
			/* Whatever the device kept is what is in force. */
			pthread_mutex_lock(&steer.lock);
			memcpy(sp->table, sp->next, (size_t)r * sizeof(*sp->table));
			pthread_mutex_unlock(&steer.lock);
		}
	}
}

void
sluiced_steer_tick(uint64_t now_ms)
{
	size_t n, i;
	uint64_t span, hashed = 0;
	uint16_t p;

	if (!steer.on)
		return;
	if (steer.last_ms == 0) {
		steer.last_ms = now_ms;     /* the first interval starts at the first tick */
		return;
	}
	span = now_ms - steer.last_ms;
	if (span < steer.interval_ms)
		return;
	steer.last_ms = now_ms;
	if (slc_ingest_flow_counts(steer.ing, steer.cur) != 0)
		return;
	n = (size_t)steer.learn_size * steer.n_cores;
	for (i = 0; i < n; i++) {
		steer.delta[i] = steer.cur[i] - steer.prev[i];
		hashed += steer.delta[i];
	}
	memcpy(steer.prev, steer.cur, n * sizeof(*steer.prev));
	pthread_mutex_lock(&steer.lock);
	steer.intervals++;
	steer.last_interval_ms = span;
	steer.last_hashed = hashed;
	pthread_mutex_unlock(&steer.lock);
	for (p = 0; p < steer.n_ports; p++)
		if (steer.ports[p].steered)
			steer_port(&steer.ports[p], span);
}

void
sluiced_steer_stop(void)
{
	pthread_mutex_lock(&steer.lock);
	if (steer.started && !steer.stopped) {
		steer.stopped = true;
		steer.on = false;
		free_all();
	}
	pthread_mutex_unlock(&steer.lock);
}

/* ---------------------------------------------------------------- telemetry */

static struct rte_tel_data *
port_dict(const struct steer_port *sp)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	uint32_t cnt[SLC_INGEST_MAX_CORES] = { 0 }, i, q, nq = sp->pi->n_queues;
	char k[32];

	if (d == NULL)
		return NULL;
	if (nq > SLC_INGEST_MAX_CORES)
		nq = SLC_INGEST_MAX_CORES;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", sp->pi->name);
	rte_tel_data_add_dict_string(d, "driver", sp->pi->driver);
	rte_tel_data_add_dict_u64(d, "reta_size", sp->pi->reta_size);
	rte_tel_data_add_dict_u64(d, "steered", steer.on && sp->steered);
	if (sp->have_table) {
		for (i = 0; i < sp->pi->reta_size; i++)
			if (sp->table[i] < nq)
				cnt[sp->table[i]]++;
		for (q = 0; q < nq; q++) {
			snprintf(k, sizeof(k), "q%u_entries", q);
			rte_tel_data_add_dict_u64(d, k, cnt[q]);
		}
	}
	rte_tel_data_add_dict_u64(d, "updates", sp->updates);
	rte_tel_data_add_dict_u64(d, "entries_moved", sp->moved);
	rte_tel_data_add_dict_u64(d, "update_errors", sp->errors);
	rte_tel_data_add_dict_u64(d, "last_moved", sp->last_moved);
	rte_tel_data_add_dict_u64(d, "last_hashed_records", steer.last_hashed);
	rte_tel_data_add_dict_u64(d, "last_handed_over", sp->last_handover);
	rte_tel_data_add_dict_u64(d, "last_handed_over_new_table", sp->last_handover_after);
	if (sp->last_error[0] != '\0')
		rte_tel_data_add_dict_string(d, "last_error", sp->last_error);
	return d;
}

static int
cmd_steer(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *sub;
	char k[32];
	uint16_t i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&steer.lock);
	rte_tel_data_start_dict(d);
	if (!steer.started || steer.stopped) {
		rte_tel_data_add_dict_string(d, "state", steer.stopped ? "stopped" : "starting");
		pthread_mutex_unlock(&steer.lock);
		return 0;
	}
	rte_tel_data_add_dict_string(d, "state", steer.on ? "on" : "off");
	if (!steer.on)
		rte_tel_data_add_dict_string(d, "reason", steer.reason);
	rte_tel_data_add_dict_u64(d, "interval_ms", steer.interval_ms);
	rte_tel_data_add_dict_u64(d, "data_cores", steer.n_cores);
	rte_tel_data_add_dict_u64(d, "learn_buckets", steer.learn_size);
	rte_tel_data_add_dict_u64(d, "min_records", STEER_MIN_RECORDS);
	rte_tel_data_add_dict_u64(d, "min_share_pct", STEER_MIN_SHARE_PCT);
	rte_tel_data_add_dict_u64(d, "intervals", steer.intervals);
	rte_tel_data_add_dict_u64(d, "last_interval_ms", steer.last_interval_ms);
	rte_tel_data_add_dict_u64(d, "last_hashed_records", steer.last_hashed);
	for (i = 0; i < steer.n_ports; i++) {
		sub = port_dict(&steer.ports[i]);
		snprintf(k, sizeof(k), "port%u", steer.ports[i].pi->port_id);
		if (sub != NULL)
			rte_tel_data_add_dict_container(d, k, sub, 0);
	}
	pthread_mutex_unlock(&steer.lock);
	return 0;
}
