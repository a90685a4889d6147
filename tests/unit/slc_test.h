/*
 * Helpers shared by the CUnit tests: a scratch directory under /var/tmp (ext4 on
 * these machines, so O_DIRECT works) and its removal. Header-only, included by
 * relative path ("../slc_test.h").
 */
#ifndef SLC_TEST_H
#define SLC_TEST_H

#include <ftw.h>
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

#endif /* SLC_TEST_H */
