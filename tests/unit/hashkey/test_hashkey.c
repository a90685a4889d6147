/*
 * Unit tests for lib/hashkey: MD5 hash keys against the RFC 1321 test vectors
 * (expected values are the digests read as big-endian integers, printed in
 * decimal by an independent implementation: python3 int(hexdigest, 16)), the
 * equal split of the key space into shard ranges, and the decimal text form.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "slc_hashkey.h"

#define P2_64 ((slc_u128)1 << 64)

static void
assert_dec(slc_u128 v, const char *expect)
{
	char buf[SLC_U128_STRLEN];
	int n;

	n = slc_hashkey_format(v, buf);
	CU_ASSERT_STRING_EQUAL(buf, expect);
	CU_ASSERT_EQUAL(n, (int)strlen(expect));
}

static void
test_hashkey_md5_vectors(void)
{
	static const char *digits80 =
		"1234567890123456789012345678901234567890"
		"1234567890123456789012345678901234567890";

	/* d41d8cd98f00b204e9800998ecf8427e */
	assert_dec(slc_hashkey_md5("", 0), "281949768489412648962353822266799178366");
	/* 0cc175b9c0f1b6a831c399e269772661: leading zero byte */
	assert_dec(slc_hashkey_md5("a", 1), "16955237001963240173058271559858726497");
	/* 900150983cd24fb0d6963f7d28e17f72 */
	assert_dec(slc_hashkey_md5("abc", 3), "191415658344158766168031473277922803570");
	/* f96b697d7cb7938d525a2f31aaf161d0 */
	assert_dec(slc_hashkey_md5("message digest", 14),
		"331535486309434048055371704012530344400");
	/* 57edf4a22be3c955ac49da2e2107b67a: more than one MD5 block */
	assert_dec(slc_hashkey_md5(digits80, 80), "116878371745249285768420430739153598074");
	/* the length is honoured, not the NUL */
	CU_ASSERT(slc_hashkey_md5("abcdef", 3) == slc_hashkey_md5("abc", 3));
}

static void
test_hashkey_from_be_order(void)
{
	uint8_t be[16], back[16];
	slc_u128 v;
	int i;

	for (i = 0; i < 16; i++)
		be[i] = (uint8_t)(i + 1);
	v = slc_hashkey_from_be(be);
	/* 0x0102030405060708090a0b0c0d0e0f10 */
	CU_ASSERT((uint64_t)(v >> 64) == 0x0102030405060708ull);
	CU_ASSERT((uint64_t)v == 0x090a0b0c0d0e0f10ull);
	slc_hashkey_to_be(v, back);
	CU_ASSERT(memcmp(be, back, 16) == 0);

	slc_hashkey_to_be(SLC_U128_MAX, back);
	for (i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(back[i], 0xff);
	slc_hashkey_to_be(1, back);
	CU_ASSERT_EQUAL(back[15], 1);
	CU_ASSERT_EQUAL(back[0], 0);
}

static void
test_hashkey_range_three(void)
{
	slc_u128 s, e;

	CU_ASSERT_EQUAL(slc_hashkey_range(3, 0, &s, &e), 0);
	assert_dec(s, "0");
	assert_dec(e, "113427455640312821154458202477256070484");
	CU_ASSERT_EQUAL(slc_hashkey_range(3, 1, &s, &e), 0);
	assert_dec(s, "113427455640312821154458202477256070485");
	assert_dec(e, "226854911280625642308916404954512140969");
	CU_ASSERT_EQUAL(slc_hashkey_range(3, 2, &s, &e), 0);
	assert_dec(s, "226854911280625642308916404954512140970");
	assert_dec(e, "340282366920938463463374607431768211455");
}

static void
test_hashkey_range_one_and_powers_of_two(void)
{
	slc_u128 s, e;

	CU_ASSERT_EQUAL(slc_hashkey_range(1, 0, &s, &e), 0);
	CU_ASSERT(s == 0);
	CU_ASSERT(e == SLC_U128_MAX);

	/* 2 shards: width is exactly 2^127 (floor((2^128-1)/2) would be one less) */
	CU_ASSERT_EQUAL(slc_hashkey_range(2, 0, &s, &e), 0);
	assert_dec(e, "170141183460469231731687303715884105727");
	CU_ASSERT_EQUAL(slc_hashkey_range(2, 1, &s, &e), 0);
	assert_dec(s, "170141183460469231731687303715884105728");
	CU_ASSERT(e == SLC_U128_MAX);

	CU_ASSERT_EQUAL(slc_hashkey_range(4, 3, &s, &e), 0);
	assert_dec(s, "255211775190703847597530955573826158592");
	CU_ASSERT(e == SLC_U128_MAX);
	CU_ASSERT_EQUAL(slc_hashkey_range(4096, 1, &s, &e), 0);
	assert_dec(s, "83076749736557242056487941267521536");
}

static void
test_hashkey_range_errors(void)
{
	slc_u128 s = 7, e = 9;

	CU_ASSERT_EQUAL(slc_hashkey_range(0, 0, &s, &e), -EINVAL);
	CU_ASSERT_EQUAL(slc_hashkey_range(3, 3, &s, &e), -EINVAL);
	CU_ASSERT_EQUAL(slc_hashkey_range(1, 1, &s, &e), -EINVAL);
	CU_ASSERT_EQUAL(slc_hashkey_range(5, UINT32_MAX, &s, &e), -EINVAL);
	/* outputs untouched on error */
	CU_ASSERT(s == 7 && e == 9);
}

/*
 * For each n: ranges start at 0, follow each other with no gap or overlap, end at
 * 2^128-1; every range but the last has width w, and the last has w plus a
 * remainder r with 0 <= r < n. That pins w = floor(2^128 / n), since
 * 2^128 = n*w + r.
 */
static void
check_split(uint32_t n)
{
	slc_u128 s, e, prev_end = 0, w = 0, last;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (slc_hashkey_range(n, i, &s, &e) != 0) {
			CU_FAIL("range failed");
			return;
		}
		if (i == 0) {
			CU_ASSERT(s == 0);
			w = e + 1;   /* wraps to 0 for n == 1 */
		} else {
			CU_ASSERT(s == prev_end + 1);
		}
		CU_ASSERT(s <= e);
		if (i + 1 < n)
			CU_ASSERT(e - s + 1 == w);
		prev_end = e;
	}
	CU_ASSERT(prev_end == SLC_U128_MAX);
	if (n > 1) {
		slc_hashkey_range(n, n - 1, &s, &e);
		last = e - s + 1;
		CU_ASSERT(last >= w);
		CU_ASSERT(last - w < n);
	}
}

static void
test_hashkey_range_contiguous(void)
{
	static const uint32_t big[] = { 100, 1000, 4095, 4096, 4097, 65536, 99991 };
	uint32_t n;
	size_t k;

	for (n = 1; n <= 64; n++)
		check_split(n);
	for (k = 0; k < sizeof(big) / sizeof(big[0]); k++)
		check_split(big[k]);
}

static void
test_hashkey_range_huge_n(void)
{
	slc_u128 s, e;
	uint32_t n = UINT32_MAX;

	/* floor(2^128 / (2^32-1)) = 79228162532711081671548469249 */
	CU_ASSERT_EQUAL(slc_hashkey_range(n, 0, &s, &e), 0);
	assert_dec(e, "79228162532711081671548469248");
	CU_ASSERT_EQUAL(slc_hashkey_range(n, n - 1, &s, &e), 0);
	assert_dec(s, "340282366841710300930663525760219742206");
	CU_ASSERT(e == SLC_U128_MAX);
}

/* Every key lands in exactly one range. */
static void
test_hashkey_range_every_key_one_shard(void)
{
	static const uint32_t ns[] = { 1, 2, 3, 5, 7, 16, 33, 64 };
	slc_u128 keys[64 + 8];
	size_t nk = 0, k, j;
	char pk[16];
	int i;

	for (i = 0; i < 64; i++) {
		int len = snprintf(pk, sizeof(pk), "sensor-%d", i);

		keys[nk++] = slc_hashkey_md5(pk, (size_t)len);
	}
	keys[nk++] = 0;
	keys[nk++] = 1;
	keys[nk++] = SLC_U128_MAX;
	keys[nk++] = SLC_U128_MAX - 1;
	keys[nk++] = (slc_u128)1 << 127;
	keys[nk++] = ((slc_u128)1 << 127) - 1;
	keys[nk++] = P2_64;
	keys[nk++] = SLC_U128_MAX / 3 + 1;

	for (j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
		for (k = 0; k < nk; k++) {
			uint32_t i2, hits = 0;
			slc_u128 s, e;

			for (i2 = 0; i2 < ns[j]; i2++) {
				slc_hashkey_range(ns[j], i2, &s, &e);
				if (keys[k] >= s && keys[k] <= e)
					hits++;
			}
			CU_ASSERT_EQUAL(hits, 1);
		}
	}
}

static void
test_hashkey_format_values(void)
{
	char buf[SLC_U128_STRLEN];

	assert_dec(0, "0");
	assert_dec(9, "9");
	assert_dec(10, "10");
	assert_dec(P2_64 - 1, "18446744073709551615");
	assert_dec(P2_64, "18446744073709551616");
	assert_dec(SLC_U128_MAX, "340282366920938463463374607431768211455");
	CU_ASSERT_EQUAL(slc_hashkey_format(SLC_U128_MAX, buf), 39);
	CU_ASSERT_EQUAL(buf[39], '\0');
}

static void
check_round_trip(slc_u128 v)
{
	char buf[SLC_U128_STRLEN];
	slc_u128 back = ~v;

	slc_hashkey_format(v, buf);
	CU_ASSERT_EQUAL(slc_hashkey_parse(buf, &back), 0);
	CU_ASSERT(back == v);
}

static void
test_hashkey_parse_round_trip(void)
{
	slc_u128 v;
	int i;

	check_round_trip(0);
	check_round_trip(1);
	check_round_trip(P2_64);
	check_round_trip(P2_64 - 1);
	check_round_trip(SLC_U128_MAX);
	check_round_trip(SLC_U128_MAX - 1);
	check_round_trip((slc_u128)1 << 127);
	for (i = 0; i < 100; i++)
		check_round_trip(slc_hashkey_md5(&i, sizeof(i)));

	/* leading zeros are digits too */
	CU_ASSERT_EQUAL(slc_hashkey_parse("007", &v), 0);
	CU_ASSERT(v == 7);
	CU_ASSERT_EQUAL(slc_hashkey_parse("340282366920938463463374607431768211455", &v), 0);
	CU_ASSERT(v == SLC_U128_MAX);
}

static void
test_hashkey_parse_errors(void)
{
	static const char *bad[] = {
		"", "-1", "12a", " 1", "+1", "1 ", "0x10", "1.0", "١", "1\n",
	};
	slc_u128 v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(slc_hashkey_parse(bad[i], &v), -EINVAL);
	CU_ASSERT_EQUAL(slc_hashkey_parse(NULL, &v), -EINVAL);
	/* 2^128 */
	CU_ASSERT_EQUAL(slc_hashkey_parse("340282366920938463463374607431768211456", &v),
		-ERANGE);
	/* 39 digits, far above */
	CU_ASSERT_EQUAL(slc_hashkey_parse("999999999999999999999999999999999999999", &v),
		-ERANGE);
	/* 40 digits */
	CU_ASSERT_EQUAL(slc_hashkey_parse("3402823669209384634633746074317682114550", &v),
		-ERANGE);
	CU_ASSERT(v == 42);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("hashkey", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "md5_vectors", test_hashkey_md5_vectors) == NULL ||
	    CU_add_test(s, "from_be_order", test_hashkey_from_be_order) == NULL ||
	    CU_add_test(s, "range_three", test_hashkey_range_three) == NULL ||
	    CU_add_test(s, "range_one_and_powers_of_two",
		test_hashkey_range_one_and_powers_of_two) == NULL ||
	    CU_add_test(s, "range_errors", test_hashkey_range_errors) == NULL ||
	    CU_add_test(s, "range_contiguous", test_hashkey_range_contiguous) == NULL ||
	    CU_add_test(s, "range_huge_n", test_hashkey_range_huge_n) == NULL ||
	    CU_add_test(s, "range_every_key_one_shard",
		test_hashkey_range_every_key_one_shard) == NULL ||
	    CU_add_test(s, "format_values", test_hashkey_format_values) == NULL ||
	    CU_add_test(s, "parse_round_trip", test_hashkey_parse_round_trip) == NULL ||
	    CU_add_test(s, "parse_errors", test_hashkey_parse_errors) == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails == 0 ? 0 : 1;
}
