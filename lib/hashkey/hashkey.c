/*
 * The 128-bit hash-key space: MD5 of a partition key read as a big-endian
 * integer, the equal split of the space into N shard ranges, and the decimal
 * text form of a key (the Kinesis API carries hash keys as decimal strings).
 *
 * Everything here is a pure function on caller memory, callable from any core.
 * The only subtle part is the range math: the width of a range is
 * floor(2^128 / N), and 2^128 itself does not fit in 128 bits, so the width is
 * derived from floor((2^128 - 1) / N), which is one less exactly when N divides
 * 2^128 (N a power of two).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

/*
 * MD5() is the low-level one-shot digest: OpenSSL 3 marks it deprecated in
 * favour of EVP, but EVP_Digest() fetches the algorithm, allocates a context
 * and takes locks on every call: 650-1050 ns per 16-byte key against ~200 ns
 * here (perf/README.md). A hash per record is the data plane's hot path.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>

#include "slc_hashkey.h"

slc_u128
slc_hashkey_from_be(const uint8_t be[16])
{
	slc_u128 v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = (v << 8) | be[i];
	return v;
}

void
slc_hashkey_to_be(slc_u128 v, uint8_t be[16])
{
	int i;

	for (i = 15; i >= 0; i--) {
		be[i] = (uint8_t)v;
		v >>= 8;
	}
}

slc_u128
slc_hashkey_md5(const void *key, size_t len)
{
	static const uint8_t empty;
	uint8_t md[MD5_DIGEST_LENGTH];

	if (key == NULL)
		key = &empty;
	MD5(key, len, md);
	return slc_hashkey_from_be(md);
}

int
slc_hashkey_range(uint32_t n, uint32_t i, slc_u128 *start, slc_u128 *end)
{
	slc_u128 width;

	if (n == 0 || i >= n)
		return -EINVAL;
	if (n == 1) {
		/* width would be 2^128: the one range is the whole space */
		*start = 0;
		*end = SLC_U128_MAX;
		return 0;
	}
	/* floor(2^128 / n) == floor((2^128 - 1) / n) + (n divides 2^128 ? 1 : 0) */
	width = SLC_U128_MAX / n;
	if (SLC_U128_MAX % n == n - 1)
		width++;
	*start = width * i;
	*end = (i == n - 1) ? SLC_U128_MAX : width * (i + 1) - 1;
	return 0;
}

int
slc_hashkey_format(slc_u128 v, char buf[SLC_U128_STRLEN])
{
	char tmp[SLC_U128_STRLEN];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

int
slc_hashkey_parse(const char *s, slc_u128 *out)
{
	slc_u128 v = 0;
	size_t i, len;

	if (s == NULL)
		return -EINVAL;
	len = strlen(s);
	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	/* All digits from here: a number, possibly too large for 128 bits. */
	if (len > SLC_U128_STRLEN - 1)
		return -ERANGE;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (SLC_U128_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
