/*
 * Automatic scaling of hot shards on the control core (docs/autoscale.md).
 *
 * Once a second sluiced_autoscale_tick() samples every open shard of a stream
 * that has a policy (--autoscale STREAM:...): the traffic histogram the data
 * cores keep for it (slc_ingest_shard_hist) sums to the records and key + data
 * bytes routed to the shard so far. A ring of the last window-s + 1 samples per
 * shard gives its rates over the window; a ring of histogram snapshots (one
 * every sample for windows up to 31 s, sparser above) gives where in the
 * shard's hash range that traffic fell. Then, per stream and at most once per
 * cooldown, one decision: split the hottest shard at the histogram bucket
 * boundary that best halves its traffic over the window, or merge the coldest
 * pair of adjacent cold shards. The reshard itself is sluiced_reshard_run()
 * (reshard.c): synchronous, the same path as a live `sluice split`/`merge`, so
 * its journal and crash rules hold unchanged.
 *
 * Why rates come from the histogram and not the shard counters: they are the
 * same records (the routing core counts both), and one read gives the totals
 * and the distribution at the same instant, so a split key never rests on a
 * different set of records than the rate that triggered it.
 *
 * Every decision (split, merge, and a hot shard held back) is printed as one
 * "sluiced: autoscale:" line and appended as one JSON line to
 * streams/<s>/autoscale.log (O_APPEND, one write per line), which `sluice
 * shards` shows. /sluice/autoscale (the telemetry thread) reads the policies,
 * the counters and the last decisions.
 *
 * Ownership: everything here belongs to the control core (the main lcore, or
 * the single data core with -l 0), except what as.lock guards: the counters,
 * the open-shard figures and the last decisions, which telemetry reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include "slc_mem.h"
#include "sluiced.h"

#define AS_LOG "autoscale.log"
#define HRING 32                    /* histogram snapshots kept per shard */
#define LAST_DECISIONS 8            /* kept for /sluice/autoscale */
#define WINDOW_MAX 3600u
#define COOLDOWN_MAX 86400u
#define RATE_MAX 1000000000000000ull /* 10^15/s: far above any link */
#define NB SLC_INGEST_HIST_BUCKETS

/* One sample of a shard: what was routed to it up to t_ms. */
struct sample {
	uint64_t t_ms;
	uint64_t records;
	uint64_t bytes;
};

/* A histogram snapshot, taken at sample number seq. */
struct hsnap {
	uint64_t seq;
	uint64_t t_ms;
	uint64_t records[NB];
	uint64_t bytes[NB];
};

/* What one open shard of a policy stream did lately (control core). */
struct obs {
	uint64_t seq;                   /* samples taken */
	uint32_t len;                   /* ring entries: window_s + 1 */
	struct sample *ring;            /* sample n at ring[n % len] */
	struct hsnap *hring;            /* snapshot k at hring[k % HRING] */
	uint64_t hn;                    /* snapshots taken */
	bool held;                      /* a hold was logged for this hot spell */
	/* from the latest sample */
	bool full;                      /* observed for a whole window */
	double rps, bps;                /* rates over the window */
	uint64_t span_ms;               /* the window's real length */
};

struct policy {
	struct sluiced_autoscale_spec sp;   /* read-only after start */
	uint32_t sid;                   /* engine stream id */
	const char *name;
	uint32_t hstep;                 /* samples between histogram snapshots */
	uint64_t quiet_until;           /* monotonic ms: no decision before */
	uint64_t defer_since;           /* monotonic ms a non-sibling merge waits since; 0 */
	int log_fd;
	/* guarded by as.lock */
	uint32_t open_shards;
	uint64_t splits, merges, refused, held;
};

/* A decision as telemetry shows it. */
struct decision {
	uint64_t time_ms;
	char stream[SLC_STREAM_NAME_MAX + 1];
	const char *action;
	uint32_t n_shards;
	uint32_t shards[2];
	char key[SLC_U128_STRLEN];
	uint64_t rps[2], bps[2];
	int ok;                         /* 1 done, 0 refused/failed, -1 a hold */
	char error[RTE_TEL_MAX_STRING_LEN];
	uint32_t n_children;
	uint32_t children[2];
	uint64_t map_version;
};

static struct {
	pthread_mutex_t lock;           /* guards the fields marked so */
	struct slc_ingest *ing;
	struct policy pol[SLUICED_MAX_STREAMS];
	uint32_t n_pol;
	int pol_of[SLC_INGEST_MAX_STREAMS]; /* stream id -> policy, or -1 */
	struct obs **obs;               /* per slot; NULL: not observed */
	uint32_t n_obs;                 /* slots seen so far */
	uint64_t next_sample;           /* monotonic ms; 0: before the first tick */
	bool tel_registered;
	/* guarded by lock */
	bool started, stopped;
	struct decision last[LAST_DECISIONS];
	uint64_t n_decisions;
} as = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* One open shard of a stream, as a decision sees it. */
struct cand {
	uint32_t slot;
	struct obs *o;
	const struct slc_shard_meta *m;
	bool hot, cold;
	double ratio;                   /* how far above the split threshold */
};

static int cmd_autoscale(const char *cmd, const char *params, struct rte_tel_data *d);

/* ---------------------------------------------------------------- parsing */

static const char *const keys[] = {
	"split-rps", "split-bps", "merge-rps", "merge-bps", "min-shards", "max-shards",
	"window-s", "cooldown-s",
};

/* Decimal, with an optional k, M or G (10^3, 10^6, 10^9). 0 or -1. */
static int
parse_rate(const char *s, uint64_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1000;
	else if (*end == 'M')
		mul = 1000000;
	else if (*end == 'G')
		mul = 1000000000;
	if (mul != 1)
		end++;
	if (*end != '\0' || v > RATE_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
sluiced_autoscale_parse(const char *v, struct sluiced_autoscale_spec *out, char *err,
	size_t errlen)
{
	char buf[512], *p, *next, *eq;
	bool seen[RTE_DIM(keys)] = { false };
	struct sluiced_autoscale_spec s;
	uint32_t k;
	int rc;

	memset(&s, 0, sizeof(s));
	s.window_s = 30;
	s.cooldown_s = 60;
	s.min_shards = 1;
	s.max_shards = 64;
	memset(out, 0, sizeof(*out));
	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "longer than %zu characters", sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	p = strchr(buf, ':');
	if (p == NULL) {
		snprintf(err, errlen, "use STREAM:KEY=VALUE,... (e.g. s:split-rps=5000,"
			"merge-rps=1000)");
		return -1;
	}
	*p++ = '\0';
	if (!slc_stream_name_valid(buf)) {
		snprintf(err, errlen, "'%s' is not a valid stream name", buf);
		return -1;
	}
	snprintf(s.stream, sizeof(s.stream), "%.*s", (int)sizeof(s.stream) - 1, buf);
	if (*p == '\0') {
		snprintf(err, errlen, "no KEY=VALUE after '%s:'", buf);
		return -1;
	}
	for (; p != NULL; p = next) {
		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		eq = strchr(p, '=');
		if (*p == '\0') {
			snprintf(err, errlen, "an empty KEY=VALUE (two commas, or one at the end)");
			return -1;
		}
		if (eq == NULL) {
			snprintf(err, errlen, "'%s' is not KEY=VALUE", p);
			return -1;
		}
		*eq++ = '\0';
		for (k = 0; k < RTE_DIM(keys); k++)
			if (!strcmp(p, keys[k]))
				break;
		if (k == RTE_DIM(keys)) {
			snprintf(err, errlen, "unknown key '%s' (keys: split-rps, split-bps, "
				"merge-rps, merge-bps, min-shards, max-shards, window-s, "
				"cooldown-s)", p);
			return -1;
		}
		if (seen[k]) {
			snprintf(err, errlen, "%s given twice", p);
			return -1;
		}
		seen[k] = true;
		switch (k) {
		case 0: rc = parse_rate(eq, &s.split_rps); break;
		case 1: rc = parse_rate(eq, &s.split_bps); break;
		case 2: rc = parse_rate(eq, &s.merge_rps); break;
		case 3: rc = parse_rate(eq, &s.merge_bps); break;
		case 4: rc = parse_u32(eq, 1, SLC_STREAM_SHARDS_MAX, &s.min_shards); break;
		case 5: rc = parse_u32(eq, 1, SLC_STREAM_SHARDS_MAX, &s.max_shards); break;
		case 6: rc = parse_u32(eq, 1, WINDOW_MAX, &s.window_s); break;
		default: rc = parse_u32(eq, 0, COOLDOWN_MAX, &s.cooldown_s); break;
		}
		if (rc != 0) {
			if (k < 4)
				snprintf(err, errlen, "%s '%s' is not a number: use a decimal "
					"count per second, optionally with k, M or G (10^3, 10^6, "
					"10^9)", p, eq);
			else
				snprintf(err, errlen, "%s '%s' is not valid: use %u..%u", p, eq,
					k == 7 ? 0u : 1u, k == 6 ? WINDOW_MAX : k == 7 ? COOLDOWN_MAX :
					(unsigned)SLC_STREAM_SHARDS_MAX);
			return -1;
		}
	}
	if (s.split_rps == 0 && s.split_bps == 0) {
		snprintf(err, errlen, "no split criterion: give split-rps or split-bps");
		return -1;
	}
	if (s.min_shards > s.max_shards) {
		snprintf(err, errlen, "min-shards %u is above max-shards %u", s.min_shards,
			s.max_shards);
		return -1;
	}
	/* Two merged cold shards must not be hot at once, or the policy would flap. */
	if (s.split_rps != 0 && s.merge_rps != 0 && s.merge_rps * 2 >= s.split_rps) {
		snprintf(err, errlen, "merge-rps %" PRIu64 " must be below half of split-rps %"
			PRIu64 " (hysteresis: two merged cold shards would be hot at once)",
			s.merge_rps, s.split_rps);
		return -1;
	}
	if (s.split_bps != 0 && s.merge_bps != 0 && s.merge_bps * 2 >= s.split_bps) {
		snprintf(err, errlen, "merge-bps %" PRIu64 " must be below half of split-bps %"
			PRIu64 " (hysteresis: two merged cold shards would be hot at once)",
			s.merge_bps, s.split_bps);
		return -1;
	}
	*out = s;
	return 0;
}

/* ---------------------------------------------------------------- helpers */

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* "812 B/s", "52.1 kB/s", "5.1 MB/s": decimal units. */
static void
fmt_bps(double b, char *buf, size_t len)
{
	if (b < 1e3)
		snprintf(buf, len, "%.0f B/s", b);
	else if (b < 1e6)
		snprintf(buf, len, "%.1f kB/s", b / 1e3);
	else if (b < 1e9)
		snprintf(buf, len, "%.1f MB/s", b / 1e6);
	else
		snprintf(buf, len, "%.1f GB/s", b / 1e9);
}

/* s as a JSON string body (no quotes) into out. */
static void
json_esc(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* Append one line to the stream's autoscale.log (one write: O_APPEND keeps it whole). */
static void
log_line(struct policy *p, const char *line)
{
	size_t n = strlen(line);

	if (p->log_fd < 0)
		return;
	if (write(p->log_fd, line, n) != (ssize_t)n)
		fprintf(stderr, "sluiced: autoscale: stream %s: cannot append to %s: %s\n",
			p->name, AS_LOG, strerror(errno));
}

/* ---------------------------------------------------------------- observation */

static void
obs_free(uint32_t slot)
{
	struct obs *o = as.obs[slot];

	if (o == NULL)
		return;
	slc_free(o->ring);
	slc_free(o->hring);
	slc_free(o);
	as.obs[slot] = NULL;
}

static struct obs *
obs_new(const struct policy *p)
{
	struct obs *o = slc_calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->len = p->sp.window_s + 1;
	o->ring = slc_calloc(o->len, sizeof(*o->ring));
	o->hring = slc_calloc(HRING, sizeof(*o->hring));
	if (o->ring == NULL || o->hring == NULL) {
		slc_free(o->ring);
		slc_free(o->hring);
		slc_free(o);
		return NULL;
	}
	return o;
}

/* Take one sample of slot into o and recompute its rates over the window. */
static void
obs_sample(const struct policy *p, struct obs *o, uint32_t slot, uint64_t now)
{
	struct slc_ingest_hist h;
	struct sample *cur, *old;
	uint64_t rec = 0, by = 0;
	uint32_t i, w = p->sp.window_s;

	if (slc_ingest_shard_hist(as.ing, slot, &h) != 0)
		return;
	for (i = 0; i < NB; i++) {
		rec += h.records[i];
		by += h.bytes[i];
	}
	cur = &o->ring[o->seq % o->len];
	*cur = (struct sample){ now, rec, by };
	if (o->seq % p->hstep == 0) {
		struct hsnap *hs = &o->hring[o->hn % HRING];

		hs->seq = o->seq;
		hs->t_ms = now;
		memcpy(hs->records, h.records, sizeof(hs->records));
		memcpy(hs->bytes, h.bytes, sizeof(hs->bytes));
		o->hn++;
	}
	o->seq++;
	o->full = false;
	if (o->seq <= w)
		return;
	old = &o->ring[(o->seq - 1 - w) % o->len];
	if (cur->t_ms <= old->t_ms)
		return;
	o->span_ms = cur->t_ms - old->t_ms;
	o->rps = (double)(cur->records - old->records) * 1000.0 / (double)o->span_ms;
	o->bps = (double)(cur->bytes - old->bytes) * 1000.0 / (double)o->span_ms;
	o->full = true;
}

/* The newest snapshot at least a window old, or NULL. */
static const struct hsnap *
obs_hist_window(const struct policy *p, const struct obs *o)
{
	uint64_t k, latest = o->seq - 1, lim = HRING < o->hn ? HRING : o->hn;

	if (o->seq <= p->sp.window_s)
		return NULL;
	for (k = 0; k < lim; k++) {
		const struct hsnap *hs = &o->hring[(o->hn - 1 - k) % HRING];

		if (hs->seq + p->sp.window_s <= latest)
			return hs;
	}
	return NULL;
}

/* Sample every open shard of every policy stream; track slots that appear and close. */
static void
sample_all(uint64_t now)
{
	uint32_t n = slc_ingest_n_shards(as.ing), slot;

	if (n > as.n_obs) {
		struct obs **v = slc_realloc(as.obs, n * sizeof(*v));

		if (v == NULL)
			return;     /* try again next second */
		memset(v + as.n_obs, 0, (n - as.n_obs) * sizeof(*v));
		as.obs = v;
	}
	for (slot = 0; slot < n; slot++) {
		const struct slc_ingest_shard_info *si = slc_ingest_shard_info(as.ing, slot);
		int pi = si->stream_id < SLC_INGEST_MAX_STREAMS ? as.pol_of[si->stream_id] : -1;
		struct policy *p;
		bool open;

		if (pi < 0)
			continue;
		p = &as.pol[pi];
		/* A slot that appeared since the last sample: its stream was resharded. */
		if (slot >= as.n_obs && p->quiet_until < now + p->sp.window_s * 1000ull)
			p->quiet_until = now + p->sp.window_s * 1000ull;
		open = !slc_ingest_slot_closed(as.ing, slot) &&
			slc_ingest_slot_find(as.ing, p->sid, si->index) == (int)slot;
		if (!open) {
			obs_free(slot);
			continue;
		}
		if (as.obs[slot] == NULL) {
			as.obs[slot] = obs_new(p);
			if (as.obs[slot] == NULL)
				continue;
		}
		obs_sample(p, as.obs[slot], slot, now);
	}
	as.n_obs = n;
}

/* ---------------------------------------------------------------- decisions */

/*
 * The bucket boundary start + (i << shift), 1 <= i < n_buckets, that makes the
 * traffic on its two sides closest to equal; between equally good ones, the one
 * whose busier side is narrowest (so a single hot bucket gets a boundary right
 * next to it and the next split refines inside it). 0, or -ERANGE (no boundary
 * inside the range), -ENODATA (no traffic).
 */
static int
split_key(const struct slc_ingest_hist *h, const struct hsnap *old, bool bytes,
	slc_u128 *key, uint64_t *left, uint64_t *right)
{
	uint64_t d[NB], total = 0, acc = 0, best = UINT64_MAX, diff, l, r;
	uint32_t i, bi = 0, width, best_w = UINT32_MAX;

	if (h->n_buckets < 2)
		return -ERANGE;
	for (i = 0; i < h->n_buckets; i++) {
		d[i] = bytes ? h->bytes[i] - old->bytes[i] : h->records[i] - old->records[i];
		total += d[i];
	}
	if (total == 0)
		return -ENODATA;
	for (i = 1; i < h->n_buckets; i++) {
		acc += d[i - 1];
		l = acc;
		r = total - acc;
		diff = l > r ? l - r : r - l;
		width = l > r ? i : r > l ? h->n_buckets - i : RTE_MAX(i, h->n_buckets - i);
		if (diff < best || (diff == best && width < best_w)) {
			best = diff;
			best_w = width;
			bi = i;
			*left = l;
			*right = r;
		}
	}
	*key = h->start + ((slc_u128)bi << h->shift);
	return 0;
}

/* Record a decision for telemetry and count it. */
static void
note(struct policy *p, const struct decision *dc)
{
	pthread_mutex_lock(&as.lock);
	as.last[as.n_decisions % LAST_DECISIONS] = *dc;
	as.n_decisions++;
	if (dc->ok < 0)
		p->held++;
	else if (dc->ok == 0)
		p->refused++;
	else if (!strcmp(dc->action, "split"))
		p->splits++;
	else
		p->merges++;
	pthread_mutex_unlock(&as.lock);
}

/* Print text and append the JSON line {head..., "text": text}. */
static void
emit(struct policy *p, const char *json_head, const char *text)
{
	char line[4096], esc[2048];

	printf("sluiced: autoscale: stream %s: %s\n", p->name, text);
	fflush(stdout);
	json_esc(text, esc, sizeof(esc));
	snprintf(line, sizeof(line), "%s,\"text\":\"%s\"}\n", json_head, esc);
	log_line(p, line);
}

static void
thresholds_json(const struct policy *p, char *buf, size_t len)
{
	snprintf(buf, len, "\"window_s\":%u,\"split_rps\":%" PRIu64 ",\"split_bps\":%" PRIu64
		",\"merge_rps\":%" PRIu64 ",\"merge_bps\":%" PRIu64 ",\"min_shards\":%u,"
		"\"max_shards\":%u", p->sp.window_s, p->sp.split_rps, p->sp.split_bps,
		p->sp.merge_rps, p->sp.merge_bps, p->sp.min_shards, p->sp.max_shards);
}

/* The part of a split/hold text that says why the shard is hot. */
static void
hot_text(const struct policy *p, const struct cand *c, bool by_bytes, char *buf, size_t len)
{
	char b[32];

	fmt_bps(c->o->bps, b, sizeof(b));
	if (by_bytes) {
		char t[32];

		fmt_bps((double)p->sp.split_bps, t, sizeof(t));
		snprintf(buf, len, "%.1f records/s (%s) over %.1f s > split-bps %" PRIu64
			" (%s)", c->o->rps, b, c->o->span_ms / 1000.0, p->sp.split_bps, t);
	} else {
		snprintf(buf, len, "%.1f records/s (%s) over %.1f s > split-rps %" PRIu64,
			c->o->rps, b, c->o->span_ms / 1000.0, p->sp.split_rps);
	}
}

static bool
by_bytes(const struct policy *p, const struct cand *c)
{
	return !(p->sp.split_rps != 0 && c->o->rps > (double)p->sp.split_rps);
}

/*
 * Log that hot shard c cannot be split now (once per hot spell): code for
 * scripts ("max-shards", "single-key", "no-traffic"), reason for people.
 */
static void
hold(struct policy *p, struct cand *c, uint32_t n_open, const char *code, const char *reason)
{
	char id[SLC_SHARD_ID_LEN + 1], why[256], text[1024], head[1024], thr[512];
	struct decision dc;

	if (c->o->held)
		return;
	c->o->held = true;
	slc_shard_id_format(c->m->index, id);
	hot_text(p, c, by_bytes(p, c), why, sizeof(why));
	snprintf(text, sizeof(text), "hold %s: %s, but %s", id, why, reason);
	thresholds_json(p, thr, sizeof(thr));
	snprintf(head, sizeof(head), "{\"v\":1,\"time_ms\":%" PRIu64 ",\"stream\":\"%s\","
		"\"action\":\"hold\",\"shards\":[%u],\"rps\":[%.1f],\"bps\":[%.1f],"
		"\"span_ms\":%" PRIu64 ",%s,\"open_shards\":%u,\"outcome\":\"held\","
		"\"reason\":\"%s\"", epoch_ms(), p->name, c->m->index, c->o->rps, c->o->bps,
		c->o->span_ms, thr, n_open, code);
	emit(p, head, text);
	memset(&dc, 0, sizeof(dc));
	dc.time_ms = epoch_ms();
	snprintf(dc.stream, sizeof(dc.stream), "%s", p->name);
	dc.action = "hold";
	dc.n_shards = 1;
	dc.shards[0] = c->m->index;
	dc.rps[0] = (uint64_t)c->o->rps;
	dc.bps[0] = (uint64_t)c->o->bps;
	dc.ok = -1;
	snprintf(dc.error, sizeof(dc.error), "%s", reason);
	note(p, &dc);
}

/* After a decision ran (or failed): nothing more on this stream for a while. */
static void
cool(struct policy *p)
{
	uint64_t now = mono_ms(), q = p->sp.cooldown_s > p->sp.window_s ?
		p->sp.cooldown_s : p->sp.window_s;

	p->quiet_until = now + q * 1000ull;
}

static void
result_text(const struct sluiced_reshard_res *r, char *buf, size_t len)
{
	char a[SLC_SHARD_ID_LEN + 1], b[SLC_SHARD_ID_LEN + 1];

	if (!r->ok) {
		snprintf(buf, len, "refused: %s", r->error);
		return;
	}
	slc_shard_id_format(r->children[0], a);
	if (r->n_children == 2) {
		slc_shard_id_format(r->children[1], b);
		snprintf(buf, len, "children %s and %s, shard map version %" PRIu64, a, b,
			r->version);
	} else {
		snprintf(buf, len, "into %s, shard map version %" PRIu64, a, r->version);
	}
}

static void
result_json(const struct sluiced_reshard_res *r, char *buf, size_t len)
{
	char esc[700];

	json_esc(r->ok ? "" : r->error, esc, sizeof(esc));
	if (r->ok && r->n_children == 2)
		snprintf(buf, len, "\"outcome\":\"ok\",\"error\":\"\",\"children\":[%u,%u],"
			"\"map_version\":%" PRIu64, r->children[0], r->children[1], r->version);
	else if (r->ok)
		snprintf(buf, len, "\"outcome\":\"ok\",\"error\":\"\",\"children\":[%u],"
			"\"map_version\":%" PRIu64, r->children[0], r->version);
	else
		snprintf(buf, len, "\"outcome\":\"refused\",\"error\":\"%s\",\"children\":[],"
			"\"map_version\":0", esc);
}

static void
decision_result(struct decision *dc, const struct sluiced_reshard_res *r)
{
	uint32_t i;

	dc->ok = r->ok;
	if (!r->ok) {
		snprintf(dc->error, sizeof(dc->error), "%.*s", (int)sizeof(dc->error) - 1, r->error);
		return;
	}
	dc->n_children = r->n_children;
	for (i = 0; i < r->n_children && i < 2; i++)
		dc->children[i] = r->children[i];
	dc->map_version = r->version;
}

/* Split hot shard c; 1 if a decision was made (done or refused), 0 if held back. */
static int
try_split(struct policy *p, struct cand *c, uint32_t n_open)
{
	char id[SLC_SHARD_ID_LEN + 1], key[SLC_U128_STRLEN], why[256], sides[128], res[400];
	char text[1600], head[2048], thr[512], rj[900], lb[32], rb[32];
	const bool bytes = by_bytes(p, c);
	struct sluiced_reshard_req q;
	struct sluiced_reshard_res r;
	struct slc_ingest_hist h;
	const struct hsnap *old;
	struct decision dc;
	uint64_t left = 0, right = 0, span;
	double sl, sr;
	int rc;

	memset(&q, 0, sizeof(q));
	if (n_open >= p->sp.max_shards) {
		snprintf(why, sizeof(why), "the stream has %u open shards, max-shards %u", n_open,
			p->sp.max_shards);
		hold(p, c, n_open, "max-shards", why);
		return 0;
	}
	old = obs_hist_window(p, c->o);
	if (old == NULL || slc_ingest_shard_hist(as.ing, c->slot, &h) != 0)
		return 0;
	rc = split_key(&h, old, bytes, &q.key, &left, &right);
	if (rc != 0) {
		if (rc == -ERANGE)
			hold(p, c, n_open, "single-key", "its hash-key range has no bucket boundary "
				"inside (a single hash key)");
		else
			hold(p, c, n_open, "no-traffic", "its histogram shows no traffic in the "
				"window");
		return 0;
	}
	span = mono_ms() - old->t_ms;
	if (span == 0)
		span = 1;
	sl = (double)left * 1000.0 / (double)span;
	sr = (double)right * 1000.0 / (double)span;
	q.op = SLUICED_RESHARD_SPLIT;
	snprintf(q.stream, sizeof(q.stream), "%s", p->name);
	q.shard = c->m->index;
	sluiced_reshard_run(&q, &r);
	cool(p);

	slc_shard_id_format(c->m->index, id);
	slc_hashkey_format(q.key, key);
	hot_text(p, c, bytes, why, sizeof(why));
	if (bytes) {
		fmt_bps(sl, lb, sizeof(lb));
		fmt_bps(sr, rb, sizeof(rb));
		snprintf(sides, sizeof(sides), "sides %s and %s", lb, rb);
	} else {
		snprintf(sides, sizeof(sides), "sides %.1f/%.1f records/s", sl, sr);
	}
	result_text(&r, res, sizeof(res));
	snprintf(text, sizeof(text), "split %s at %s: %s; %s; %s", id, key, why, sides, res);
	thresholds_json(p, thr, sizeof(thr));
	result_json(&r, rj, sizeof(rj));
	snprintf(head, sizeof(head), "{\"v\":1,\"time_ms\":%" PRIu64 ",\"stream\":\"%s\","
		"\"action\":\"split\",\"shards\":[%u],\"key\":\"%s\",\"criterion\":\"%s\","
		"\"rps\":[%.1f],\"bps\":[%.1f],\"span_ms\":%" PRIu64 ",%s,\"sides\":[%.1f,%.1f],"
		"\"open_shards\":%u,%s", epoch_ms(), p->name, c->m->index, key,
		bytes ? "bytes" : "records", c->o->rps, c->o->bps, c->o->span_ms, thr, sl, sr,
		n_open, rj);
	emit(p, head, text);

	memset(&dc, 0, sizeof(dc));
	dc.time_ms = epoch_ms();
	snprintf(dc.stream, sizeof(dc.stream), "%s", p->name);
	dc.action = "split";
	dc.n_shards = 1;
	dc.shards[0] = c->m->index;
	snprintf(dc.key, sizeof(dc.key), "%s", key);
	dc.rps[0] = (uint64_t)c->o->rps;
	dc.bps[0] = (uint64_t)c->o->bps;
	decision_result(&dc, &r);
	note(p, &dc);
	return 1;
}

static void
do_merge(struct policy *p, const struct cand *a, const struct cand *b, uint32_t n_open)
{
	char ia[SLC_SHARD_ID_LEN + 1], ib[SLC_SHARD_ID_LEN + 1], ba[32], bb[32], mb[32];
	char why[256];
	char res[400], text[1600], head[2048], thr[512], rj[900];
	struct sluiced_reshard_req q;
	struct sluiced_reshard_res r;
	struct decision dc;

	memset(&q, 0, sizeof(q));
	q.op = SLUICED_RESHARD_MERGE;
	snprintf(q.stream, sizeof(q.stream), "%s", p->name);
	q.shard = a->m->index;      /* the lower range: the child's parent */
	q.adjacent = b->m->index;
	sluiced_reshard_run(&q, &r);
	cool(p);

	slc_shard_id_format(a->m->index, ia);
	slc_shard_id_format(b->m->index, ib);
	fmt_bps(a->o->bps, ba, sizeof(ba));
	fmt_bps(b->o->bps, bb, sizeof(bb));
	fmt_bps((double)p->sp.merge_bps, mb, sizeof(mb));
	if (p->sp.merge_rps != 0 && p->sp.merge_bps != 0)
		snprintf(why, sizeof(why), "< merge-rps %" PRIu64 " and merge-bps %" PRIu64 " (%s)",
			p->sp.merge_rps, p->sp.merge_bps, mb);
	else if (p->sp.merge_rps != 0)
		snprintf(why, sizeof(why), "< merge-rps %" PRIu64, p->sp.merge_rps);
	else
		snprintf(why, sizeof(why), "< merge-bps %" PRIu64 " (%s)", p->sp.merge_bps, mb);
	result_text(&r, res, sizeof(res));
	snprintf(text, sizeof(text), "merge %s and %s: %.1f and %.1f records/s (%s and %s) over "
		"%.1f s %s, %u open shards > min-shards %u; %s", ia, ib, a->o->rps, b->o->rps, ba,
		bb, a->o->span_ms / 1000.0, why, n_open, p->sp.min_shards, res);
	thresholds_json(p, thr, sizeof(thr));
	result_json(&r, rj, sizeof(rj));
	snprintf(head, sizeof(head), "{\"v\":1,\"time_ms\":%" PRIu64 ",\"stream\":\"%s\","
		"\"action\":\"merge\",\"shards\":[%u,%u],\"rps\":[%.1f,%.1f],\"bps\":[%.1f,%.1f],"
		"\"span_ms\":%" PRIu64 ",%s,\"siblings\":%s,\"open_shards\":%u,%s", epoch_ms(),
		p->name, a->m->index, b->m->index, a->o->rps, b->o->rps, a->o->bps, b->o->bps,
		a->o->span_ms, thr, a->m->parent != SLC_SHARD_NONE && a->m->parent == b->m->parent &&
		a->m->adjacent_parent == SLC_SHARD_NONE && b->m->adjacent_parent == SLC_SHARD_NONE ?
		"true" : "false", n_open, rj);
	emit(p, head, text);

	memset(&dc, 0, sizeof(dc));
	dc.time_ms = epoch_ms();
	snprintf(dc.stream, sizeof(dc.stream), "%s", p->name);
	dc.action = "merge";
	dc.n_shards = 2;
	dc.shards[0] = a->m->index;
	dc.shards[1] = b->m->index;
	dc.rps[0] = (uint64_t)a->o->rps;
	dc.rps[1] = (uint64_t)b->o->rps;
	dc.bps[0] = (uint64_t)a->o->bps;
	dc.bps[1] = (uint64_t)b->o->bps;
	decision_result(&dc, &r);
	note(p, &dc);
}

static bool
siblings(const struct slc_shard_meta *a, const struct slc_shard_meta *b)
{
	return a->parent != SLC_SHARD_NONE && a->parent == b->parent &&
		a->adjacent_parent == SLC_SHARD_NONE && b->adjacent_parent == SLC_SHARD_NONE;
}

/* What a merge of a and b would carry, in the unit of the first merge criterion. */
static double
pair_rate(const struct policy *p, const struct cand *a, const struct cand *b)
{
	return p->sp.merge_rps != 0 ? a->o->rps + b->o->rps : a->o->bps + b->o->bps;
}

/*
 * True if c[i] (sorted by start) has an open sibling next to it, other than
 * c[partner], that is neither hot nor cold: it may be cooling down a sample or
 * two later than c[i] after a hot spell ended.
 */
static bool
sibling_cooling(const struct cand *c, uint32_t n, uint32_t i, uint32_t partner)
{
	uint32_t j;

	for (j = i > 0 ? i - 1 : 0; j <= i + 1 && j < n; j++) {
		if (j == i || j == partner || !siblings(c[i].m, c[j].m))
			continue;
		if (!c[j].hot && !c[j].cold)
			return true;
	}
	return false;
}

/* Sort candidates by the start of their range (insertion sort: shards are few). */
static void
sort_by_start(struct cand *c, uint32_t n)
{
	uint32_t i, j;

	for (i = 1; i < n; i++) {
		struct cand t = c[i];

		for (j = i; j > 0 && c[j - 1].m->start_hash > t.m->start_hash; j--)
			c[j] = c[j - 1];
		c[j] = t;
	}
}

static void
decide(struct policy *p, uint64_t now)
{
	uint32_t n = as.n_obs, slot, n_open = 0, i, best;
	struct cand *c;
	bool merging = p->sp.merge_rps != 0 || p->sp.merge_bps != 0;

	c = slc_calloc(n > 0 ? n : 1, sizeof(*c));
	if (c == NULL)
		return;
	for (slot = 0; slot < n; slot++) {
		const struct slc_ingest_shard_info *si;
		struct obs *o = as.obs[slot];

		if (o == NULL)
			continue;
		si = slc_ingest_shard_info(as.ing, slot);
		if (si->stream_id != p->sid)
			continue;
		c[n_open] = (struct cand){ .slot = slot, .o = o,
			.m = &si->stream->shards[si->index] };
		if (o->full) {
			struct cand *x = &c[n_open];
			double rr = p->sp.split_rps ? o->rps / (double)p->sp.split_rps : 0,
				br = p->sp.split_bps ? o->bps / (double)p->sp.split_bps : 0;

			x->hot = (p->sp.split_rps != 0 && o->rps > (double)p->sp.split_rps) ||
				(p->sp.split_bps != 0 && o->bps > (double)p->sp.split_bps);
			x->ratio = rr > br ? rr : br;
			x->cold = !x->hot && merging &&
				(p->sp.merge_rps == 0 || o->rps < (double)p->sp.merge_rps) &&
				(p->sp.merge_bps == 0 || o->bps < (double)p->sp.merge_bps);
		}
		if (!c[n_open].hot)
			o->held = false;
		n_open++;
	}
	pthread_mutex_lock(&as.lock);
	p->open_shards = n_open;
	pthread_mutex_unlock(&as.lock);
	if (now < p->quiet_until)
		goto out;

	/* Splits: the hottest shard first; one that cannot be split gives way to the next. */
	for (;;) {
		best = UINT32_MAX;
		for (i = 0; i < n_open; i++)
			if (c[i].hot && (best == UINT32_MAX || c[i].ratio > c[best].ratio))
				best = i;
		if (best == UINT32_MAX)
			break;
		if (try_split(p, &c[best], n_open))
			goto out;
		c[best].hot = false;
	}

	/* Merges: adjacent cold pairs; siblings, then the least traffic, then the lowest index. */
	if (!merging || n_open <= p->sp.min_shards)
		goto out;
	sort_by_start(c, n_open);
	best = UINT32_MAX;
	for (i = 0; i + 1 < n_open; i++) {
		const struct cand *a = &c[i], *b = &c[i + 1];
		bool sib;

		if (!a->cold || !b->cold || a->m->end_hash == SLC_U128_MAX ||
				a->m->end_hash + 1 != b->m->start_hash)
			continue;
		if (best == UINT32_MAX) {
			best = i;
			continue;
		}
		sib = siblings(a->m, b->m);
		if (sib != siblings(c[best].m, c[best + 1].m)) {
			if (sib)
				best = i;
			continue;
		}
		if (pair_rate(p, a, b) < pair_rate(p, &c[best], &c[best + 1]) ||
				(pair_rate(p, a, b) == pair_rate(p, &c[best], &c[best + 1]) &&
				a->m->index < c[best].m->index))
			best = i;
	}
	if (best == UINT32_MAX) {
		p->defer_since = 0;
		goto out;
	}
	/*
	 * Two halves of a split cool down together when their hot spell ends, but one
	 * may cross merge-rps a sample before the other, and its other neighbour may
	 * be cold already. A pair that is not a split's two halves therefore waits up
	 * to one window while a shard of it has a sibling that is neither hot nor
	 * cold, so that the split is undone instead.
	 */
	if (!siblings(c[best].m, c[best + 1].m) &&
			(sibling_cooling(c, n_open, best, best + 1) ||
			sibling_cooling(c, n_open, best + 1, best))) {
		if (p->defer_since == 0)
			p->defer_since = now;
		if (now < p->defer_since + p->sp.window_s * 1000ull)
			goto out;
	}
	p->defer_since = 0;
	do_merge(p, &c[best], &c[best + 1], n_open);
out:
	slc_free(c);
}

/* ---------------------------------------------------------------- start, tick, stop */

static void
policy_text(const struct policy *p, char *buf, size_t len)
{
	char a[64] = "", b[64] = "", t[32];
	size_t o;

	if (p->sp.split_rps != 0)
		snprintf(a, sizeof(a), "%" PRIu64 " records/s", p->sp.split_rps);
	if (p->sp.split_bps != 0) {
		fmt_bps((double)p->sp.split_bps, t, sizeof(t));
		o = strlen(a);
		snprintf(a + o, sizeof(a) - o, "%s%s", o ? " or " : "", t);
	}
	if (p->sp.merge_rps != 0)
		snprintf(b, sizeof(b), "%" PRIu64 " records/s", p->sp.merge_rps);
	if (p->sp.merge_bps != 0) {
		fmt_bps((double)p->sp.merge_bps, t, sizeof(t));
		o = strlen(b);
		snprintf(b + o, sizeof(b) - o, "%s%s", o ? " and " : "", t);
	}
	snprintf(buf, len, "split a shard above %s, %s%s, %u..%u open shards, window %u s, "
		"cooldown %u s", a, b[0] ? "merge two adjacent shards both below " : "no merging",
		b, p->sp.min_shards, p->sp.max_shards, p->sp.window_s, p->sp.cooldown_s);
}

int
sluiced_autoscale_start(const struct sluiced_cfg *cfg, struct slc_ingest *ing)
{
	char path[4096], text[512], line[1024], thr[512];
	uint32_t i, j;
	int sid, slot, ret;

	as.ing = ing;
	for (i = 0; i < SLC_INGEST_MAX_STREAMS; i++)
		as.pol_of[i] = -1;
	/* Every policy is checked before any log is touched. */
	for (i = 0; i < cfg->n_autoscale; i++) {
		const struct sluiced_autoscale_spec *sp = &cfg->autoscale[i];

		for (j = 0; j < i; j++) {
			if (!strcmp(cfg->autoscale[j].stream, sp->stream)) {
				fprintf(stderr, "sluiced: --autoscale: two policies for stream "
					"%s: give one\n", sp->stream);
				return -EINVAL;
			}
		}
		if (slc_ingest_stream_id(ing, sp->stream) < 0) {
			fprintf(stderr, "sluiced: --autoscale %s:...: sluiced does not ingest stream "
				"%s (add --stream %s:SHARDS)\n", sp->stream, sp->stream, sp->stream);
			return -ENOENT;
		}
	}
	for (i = 0; i < cfg->n_autoscale; i++) {
		const struct sluiced_autoscale_spec *sp = &cfg->autoscale[i];
		struct policy *p = &as.pol[as.n_pol];

		sid = slc_ingest_stream_id(ing, sp->stream);
		slot = slc_ingest_stream_first_slot(ing, (uint32_t)sid);
		if (slot < 0)
			return -EINVAL;
		memset(p, 0, sizeof(*p));
		p->sp = *sp;
		p->sid = (uint32_t)sid;
		slc_ingest_set_hist(ing, p->sid, true);   /* the split key comes from it */
		p->name = p->sp.stream;     /* a copy: telemetry may outlive the stream handles */
		p->hstep = (sp->window_s + HRING - 2) / (HRING - 1);
		if (p->hstep == 0)
			p->hstep = 1;
		snprintf(path, sizeof(path), "%s/%s",
			slc_ingest_shard_info(ing, (uint32_t)slot)->stream->dir, AS_LOG);
		p->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (p->log_fd < 0) {
			ret = -errno;
			fprintf(stderr, "sluiced: autoscale: stream %s: cannot open %s: %s\n",
				sp->stream, path, strerror(-ret));
			return ret;
		}
		as.pol_of[sid] = (int)as.n_pol;
		as.n_pol++;
		policy_text(p, text, sizeof(text));
		printf("sluiced: autoscale: stream %s: %s; decisions in %s\n", p->name, text, path);
		thresholds_json(p, thr, sizeof(thr));
		snprintf(line, sizeof(line), "{\"v\":1,\"time_ms\":%" PRIu64 ",\"policy\":{"
			"\"stream\":\"%s\",%s,\"cooldown_s\":%u},\"pid\":%ld}\n", epoch_ms(),
			p->name, thr, sp->cooldown_s, (long)getpid());
		log_line(p, line);
	}
	fflush(stdout);
	as.next_sample = 0;
	pthread_mutex_lock(&as.lock);
	as.started = true;
	as.stopped = false;
	pthread_mutex_unlock(&as.lock);
	if (!as.tel_registered) {
		ret = rte_telemetry_register_cmd("/sluice/autoscale", cmd_autoscale,
			"automatic scaling: policies, splits, merges, refusals, last decisions "
			"(docs/autoscale.md)");
		if (ret != 0)
			fprintf(stderr, "sluiced: warning: autoscale: cannot register "
				"/sluice/autoscale: %s\n", strerror(-ret));
		else
			as.tel_registered = true;
	}
	return 0;
}

void
sluiced_autoscale_tick(uint64_t now_ms)
{
	uint32_t i;

	if (as.n_pol == 0 || as.ing == NULL)
		return;
	if (as.next_sample == 0) {
		/* The first sample starts every window; no decision before one has passed. */
		as.next_sample = now_ms;
		for (i = 0; i < as.n_pol; i++)
			as.pol[i].quiet_until = now_ms + as.pol[i].sp.window_s * 1000ull;
	}
	if (now_ms < as.next_sample)
		return;
	/*
	 * On time (within 100 ms): keep the one-second grid. Late (a reshard held the
	 * control core): restart the grid from now, so samples stay at least 900 ms
	 * apart and a window of N samples spans at least 0.9 N seconds.
	 */
	as.next_sample = now_ms - as.next_sample < 100 ? as.next_sample + 1000 : now_ms + 1000;
	sample_all(now_ms);
	for (i = 0; i < as.n_pol; i++)
		decide(&as.pol[i], mono_ms());
}

void
sluiced_autoscale_stop(void)
{
	uint32_t i;

	pthread_mutex_lock(&as.lock);
	if (as.started)
		as.stopped = true;
	pthread_mutex_unlock(&as.lock);
	for (i = 0; i < as.n_obs; i++)
		obs_free(i);
	slc_free(as.obs);
	as.obs = NULL;
	as.n_obs = 0;
	for (i = 0; i < as.n_pol; i++) {
		if (as.pol[i].log_fd >= 0)
			close(as.pol[i].log_fd);
		as.pol[i].log_fd = -1;
	}
	/* Telemetry keeps answering from the policies and counters, which stay. */
	as.ing = NULL;
}

/* ---------------------------------------------------------------- telemetry */

static struct rte_tel_data *
policy_dict(const struct policy *p)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "stream", p->name);
	rte_tel_data_add_dict_u64(d, "split_rps", p->sp.split_rps);
	rte_tel_data_add_dict_u64(d, "split_bps", p->sp.split_bps);
	rte_tel_data_add_dict_u64(d, "merge_rps", p->sp.merge_rps);
	rte_tel_data_add_dict_u64(d, "merge_bps", p->sp.merge_bps);
	rte_tel_data_add_dict_u64(d, "min_shards", p->sp.min_shards);
	rte_tel_data_add_dict_u64(d, "max_shards", p->sp.max_shards);
	rte_tel_data_add_dict_u64(d, "window_s", p->sp.window_s);
	rte_tel_data_add_dict_u64(d, "cooldown_s", p->sp.cooldown_s);
	rte_tel_data_add_dict_u64(d, "open_shards", p->open_shards);
	rte_tel_data_add_dict_u64(d, "splits", p->splits);
	rte_tel_data_add_dict_u64(d, "merges", p->merges);
	rte_tel_data_add_dict_u64(d, "refused", p->refused);
	rte_tel_data_add_dict_u64(d, "held", p->held);
	return d;
}

static struct rte_tel_data *
decision_dict(const struct decision *dc)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	uint32_t i;
	char k[32];

	if (d == NULL)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "time_ms", dc->time_ms);
	rte_tel_data_add_dict_string(d, "stream", dc->stream);
	rte_tel_data_add_dict_string(d, "action", dc->action);
	for (i = 0; i < dc->n_shards; i++) {
		snprintf(k, sizeof(k), "shard%u", i);
		rte_tel_data_add_dict_u64(d, k, dc->shards[i]);
		snprintf(k, sizeof(k), "rps%u", i);
		rte_tel_data_add_dict_u64(d, k, dc->rps[i]);
		snprintf(k, sizeof(k), "bps%u", i);
		rte_tel_data_add_dict_u64(d, k, dc->bps[i]);
	}
	if (dc->key[0] != '\0')
		rte_tel_data_add_dict_string(d, "key", dc->key);
	rte_tel_data_add_dict_string(d, "outcome", dc->ok > 0 ? "ok" : dc->ok == 0 ? "refused" :
		"held");
	if (dc->error[0] != '\0')
		rte_tel_data_add_dict_string(d, "reason", dc->error);
	for (i = 0; i < dc->n_children; i++) {
		snprintf(k, sizeof(k), "child%u", i);
		rte_tel_data_add_dict_u64(d, k, dc->children[i]);
	}
	if (dc->ok > 0)
		rte_tel_data_add_dict_u64(d, "map_version", dc->map_version);
	return d;
}

/*
 * /sluice/autoscale: "state", "policies", totals "splits", "merges", "refused",
 * "held", per policy "policy<I>" (its figures and counters), and the last
 * decisions, newest first, as "decision0", "decision1", ...
 */
static int
cmd_autoscale(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t splits = 0, merges = 0, refused = 0, held = 0, k, n;
	struct rte_tel_data *sub;
	char key[32];
	uint32_t i;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&as.lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state", !as.started ? "starting" : as.stopped ?
		"stopped" : "running");
	rte_tel_data_add_dict_u64(d, "policies", as.n_pol);
	for (i = 0; i < as.n_pol; i++) {
		splits += as.pol[i].splits;
		merges += as.pol[i].merges;
		refused += as.pol[i].refused;
		held += as.pol[i].held;
	}
	rte_tel_data_add_dict_u64(d, "splits", splits);
	rte_tel_data_add_dict_u64(d, "merges", merges);
	rte_tel_data_add_dict_u64(d, "refused", refused);
	rte_tel_data_add_dict_u64(d, "held", held);
	rte_tel_data_add_dict_u64(d, "decisions", as.n_decisions);
	for (i = 0; i < as.n_pol; i++) {
		sub = policy_dict(&as.pol[i]);
		snprintf(key, sizeof(key), "policy%u", i);
		if (sub != NULL)
			rte_tel_data_add_dict_container(d, key, sub, 0);
	}
	n = as.n_decisions < LAST_DECISIONS ? as.n_decisions : LAST_DECISIONS;
	for (k = 0; k < n; k++) {
		sub = decision_dict(&as.last[(as.n_decisions - 1 - k) % LAST_DECISIONS]);
		snprintf(key, sizeof(key), "decision%" PRIu64, k);
		if (sub != NULL)
			rte_tel_data_add_dict_container(d, key, sub, 0);
	}
	pthread_mutex_unlock(&as.lock);
	return 0;
}
