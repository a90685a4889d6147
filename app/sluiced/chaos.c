/*
 * Test hook SLUICED_TEST_CHAOS="loss=P,dup=P,reorder=P,seed=N" (docs/dataplane.md,
 * "Test hooks"): a network that loses, duplicates and reorders TCP segments,
 * applied by each data core to the TCP segments it receives (before ingest) and
 * sends (after the engine). It stands in for tc netem, whose sch_netem module
 * the test machines' kernel lacks. Probabilities are 0..1 per segment: a
 * received segment is dropped (loss), delivered twice (dup), or held back and
 * delivered after the next burst (reorder); a sent one is dropped or sent twice.
 * Each core draws from its own generator (seed + core), so a run is repeatable
 * for a given arrival order. UDP and everything else pass untouched.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sluiced.h"

struct chaos_core {
	uint64_t rng;
	struct rte_mbuf *held;      /* a received segment held back */
} __rte_cache_aligned;

static struct {
	bool on;
	double loss, dup, reorder;
	uint64_t seed;
	struct chaos_core core[SLC_INGEST_MAX_CORES];
} chaos;

static double
rnd(struct chaos_core *cc)
{
	/* xorshift64*: enough for a test hook */
	cc->rng ^= cc->rng >> 12;
	cc->rng ^= cc->rng << 25;
	cc->rng ^= cc->rng >> 27;
	return (double)((cc->rng * 0x2545F4914F6CDD1Dull) >> 11) / (double)(1ull << 53);
}

static bool
is_tcp(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), l2 = RTE_ETHER_HDR_LEN;
	uint16_t type;
	int tags = 0;

	if (len < RTE_ETHER_HDR_LEN)
		return false;
	type = (uint16_t)(p[12] << 8 | p[13]);
	while ((type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) && tags < 2) {
		if (l2 + 4 > len)
			return false;
		type = (uint16_t)(p[l2 + 2] << 8 | p[l2 + 3]);
		l2 += 4;
		tags++;
	}
	if (type == RTE_ETHER_TYPE_IPV4)
		return l2 + 20 <= len && p[l2 + 9] == IPPROTO_TCP;
	if (type == RTE_ETHER_TYPE_IPV6)
		return l2 + 40 <= len && p[l2 + 6] == IPPROTO_TCP;
	return false;
}

static int
parse_p(const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end != '\0' || !(d >= 0.0 && d <= 1.0))
		return -1;
	*out = d;
	return 0;
}

int
sluiced_chaos_init(void)
{
	const char *env = getenv("SLUICED_TEST_CHAOS");
	char buf[256], *tok, *save = NULL, *eq;
	uint32_t i;

	memset(&chaos, 0, sizeof(chaos));
	if (env == NULL || env[0] == '\0')
		return 0;
	chaos.seed = 1;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL)
			goto bad;
		*eq++ = '\0';
		if (!strcmp(tok, "loss")) {
			if (parse_p(eq, &chaos.loss) != 0)
				goto bad;
		} else if (!strcmp(tok, "dup")) {
			if (parse_p(eq, &chaos.dup) != 0)
				goto bad;
		} else if (!strcmp(tok, "reorder")) {
			if (parse_p(eq, &chaos.reorder) != 0)
				goto bad;
		} else if (!strcmp(tok, "seed")) {
			char *end;

			chaos.seed = strtoull(eq, &end, 10);
			if (end == eq || *end != '\0')
				goto bad;
		} else {
			goto bad;
		}
	}
	if (chaos.loss + chaos.dup + chaos.reorder > 1.0)
		goto bad;
	for (i = 0; i < SLC_INGEST_MAX_CORES; i++)
		chaos.core[i].rng = (chaos.seed + i) * 0x9E3779B97F4A7C15ull | 1;
	chaos.on = true;
	printf("sluiced: SLUICED_TEST_CHAOS: TCP segments lost %.3f, duplicated %.3f, reordered "
		"%.3f (received), lost %.3f, duplicated %.3f (sent); seed %llu (test hook)\n",
		chaos.loss, chaos.dup, chaos.reorder, chaos.loss, chaos.dup,
		(unsigned long long)chaos.seed);
	return 0;
bad:
	fprintf(stderr, "sluiced: SLUICED_TEST_CHAOS='%s' is not valid: use "
		"loss=P,dup=P,reorder=P,seed=N with probabilities from 0 to 1 summing to at "
		"most 1\n", env);
	return -1;
}

bool
sluiced_chaos_on(void)
{
	return chaos.on;
}

void
sluiced_chaos_rx(uint32_t core, struct rte_mbuf **pkts, uint16_t *n, uint16_t cap,
	struct sluiced_chaos_stats *st)
{
	struct chaos_core *cc = &chaos.core[core];
	struct rte_mbuf *out[2 * SLC_INGEST_BURST + 1], *m, *d, *prev = cc->held;
	uint16_t i, k = 0;
	double r;

	cc->held = NULL;
	for (i = 0; i < *n; i++) {
		m = pkts[i];
		if (!is_tcp(m) || (size_t)k + 2 > RTE_DIM(out) - 1) {
			out[k++] = m;
			continue;
		}
		r = rnd(cc);
		if (r < chaos.loss) {
			rte_pktmbuf_free(m);
			st->dropped++;
		} else if (r < chaos.loss + chaos.dup) {
			out[k++] = m;
			d = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			if (d != NULL) {
				out[k++] = d;
				st->duplicated++;
			}
		} else if (r < chaos.loss + chaos.dup + chaos.reorder && cc->held == NULL) {
			cc->held = m;
			st->reordered++;
		} else {
			out[k++] = m;
		}
	}
	/* The one held back last time goes after this burst. */
	if (prev != NULL)
		out[k++] = prev;
	if (k > cap) {
		for (i = cap; i < k; i++)
			rte_pktmbuf_free(out[i]);
		st->dropped += k - cap;
		k = cap;
	}
	memcpy(pkts, out, k * sizeof(*out));
	*n = k;
}

uint16_t
sluiced_chaos_tx(uint32_t core, struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **out,
	struct sluiced_chaos_stats *st)
{
	struct chaos_core *cc = &chaos.core[core];
	struct rte_mbuf *d;
	uint16_t i, k = 0;
	double r;

	for (i = 0; i < n; i++) {
		r = rnd(cc);
		if (r < chaos.loss) {
			rte_pktmbuf_free(pkts[i]);
			st->dropped++;
			continue;
		}
		out[k++] = pkts[i];
		if (r < chaos.loss + chaos.dup) {
			d = rte_pktmbuf_copy(pkts[i], pkts[i]->pool, 0, UINT32_MAX);
			if (d != NULL) {
				out[k++] = d;
				st->duplicated++;
			}
		}
	}
	return k;
}

void
sluiced_chaos_flush(uint32_t core)
{
	if (chaos.core[core].held != NULL) {
		rte_pktmbuf_free(chaos.core[core].held);
		chaos.core[core].held = NULL;
	}
}
