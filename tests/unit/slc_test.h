/*
 * Helpers shared by the CUnit tests: a scratch directory under /var/tmp (ext4 on
 * these machines, so O_DIRECT works) and its removal. Header-only, included by
 * relative path ("../slc_test.h").
 */
#ifndef SLC_TEST_H
#define SLC_TEST_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline int
slc_test_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf dir (best effort: a test's leftovers must not fail the next test). */
static inline void
slc_test_rm_rf(const char *dir)
{
	nftw(dir, slc_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The Internet checksum (RFC 1071) written plainly, so that tests check the
 * headers a module builds or accepts against an implementation of their own:
 * add the big-endian 16-bit words of b[0..n) to s (an odd last byte is padded).
 */
static inline uint32_t
slc_test_sum16(const uint8_t *b, uint32_t n, uint32_t s)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

/* Fold a sum of slc_test_sum16 to 16 bits and complement it: the checksum field. */
static inline uint16_t
slc_test_csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

#endif /* SLC_TEST_H */
