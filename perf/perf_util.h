/*
 * Small helpers the perf/ tools share: clocks and numbers with k/m/g suffixes.
 * Header-only; each tool is one C file.
 */
#ifndef PERF_UTIL_H
#define PERF_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t
perf_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A whole number with an optional k/m/g suffix (x unit_k, unit_k^2, unit_k^3). 0/-EINVAL. */
static inline int
perf_parse_num(const char *s, uint64_t unit_k, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (s[0] == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		mul = unit_k;
		break;
	case 'm': case 'M':
		mul = unit_k * unit_k;
		break;
	case 'g': case 'G':
		mul = unit_k * unit_k * unit_k;
		break;
	}
	if (mul != 1)
		end++;
	if (*end != '\0')
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/* perf_parse_num into lo..hi; else "PROG: --NAME S: expected ..." and -EINVAL. */
static inline int
perf_parse_u32(const char *prog, const char *name, const char *s, uint64_t unit_k, uint32_t lo,
	uint32_t hi, uint32_t *out)
{
	uint64_t v;

	if (perf_parse_num(s, unit_k, &v) != 0 || v < lo || v > hi) {
		fprintf(stderr, "%s: --%s %s: expected a whole number in %u..%u\n", prog, name, s,
			lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

#endif /* PERF_UTIL_H */
