/*
 * Small helpers the perf/ tools share: clocks, CPU time, and the option values
 * they all parse (numbers with k/m/g suffixes, counts, seconds), with the same
 * error messages. Header-only.
 */
#ifndef PERF_UTIL_H
#define PERF_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* Set once SIGINT or SIGTERM came, after perf_catch_stop(): the tool winds down. */
static volatile sig_atomic_t perf_stop_sig;

static inline void
perf_on_stop(int sig)
{
	(void)sig;
	perf_stop_sig = 1;
}

/* SIGINT and SIGTERM set perf_stop_sig: the tool stops and still prints its figures. */
static inline void
perf_catch_stop(void)
{
	signal(SIGINT, perf_on_stop);
	signal(SIGTERM, perf_on_stop);
}

static inline uint64_t
perf_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of the whole process so far, user + system, in seconds (getrusage). */
static inline double
perf_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
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

/* A count >= 1 with k/m/g = 10^3.. suffixes; else "PROG: --NAME S: expected a count >= 1". */
static inline int
perf_parse_count(const char *prog, const char *name, const char *s, uint64_t *out)
{
	if (perf_parse_num(s, 1000, out) != 0 || *out == 0) {
		fprintf(stderr, "%s: --%s %s: expected a count >= 1 (k/m/g suffixes)\n", prog, name,
			s);
		return -EINVAL;
	}
	return 0;
}

/* Seconds in (0, 86400]; else "PROG: --NAME S: expected a number of seconds ..." and -EINVAL. */
static inline int
perf_parse_seconds(const char *prog, const char *name, const char *s, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(d > 0) || d > 86400) {
		fprintf(stderr, "%s: --%s %s: expected a number of seconds in (0, 86400]\n", prog,
			name, s);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

/*
 * What no case of a tool's getopt_long switch took: --help (help true) prints the
 * usage on stdout and exits 0; a bad option (getopt_long said which) prints it on
 * stderr: -EINVAL.
 */
static inline int
perf_usage(bool help, void (*usage)(FILE *))
{
	if (help) {
		usage(stdout);
		exit(0);
	}
	usage(stderr);
	return -EINVAL;
}

/* After getopt_long: 0, or "PROG: unexpected argument 'X' (see --help)" and -EINVAL. */
static inline int
perf_no_operands(const char *prog, int argc, char **argv, int optind_)
{
	if (optind_ < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind_]);
		return -EINVAL;
	}
	return 0;
}

#endif /* PERF_UTIL_H */
