/*
 * A guard page for the decoder tests (test_frame.c, test_ack.c): guarded() copies
 * the input so that it ends exactly where a PROT_NONE page starts, so a decoder
 * that reads one byte past its input faults instead of passing.
 */
#ifndef SLC_TEST_GUARD_H
#define SLC_TEST_GUARD_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#define GUARD_AREA (2u << 20)

static uint8_t *guard_base;     /* GUARD_AREA readable bytes, then a PROT_NONE page */
static size_t guard_page;

/* Copy len bytes so that they end exactly at the guard page. */
static uint8_t *
guarded(const void *src, size_t len)
{
	uint8_t *p = guard_base + GUARD_AREA - len;

	CU_ASSERT_FATAL(len <= GUARD_AREA);
	if (len > 0)
		memmove(p, src, len);
	return p;
}

/* Map the area and its guard page. 0, or -1 (prog: the message's prefix). */
static int
guard_init(const char *prog)
{
	guard_page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, GUARD_AREA + guard_page, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED ||
	    mprotect(guard_base + GUARD_AREA, guard_page, PROT_NONE) != 0) {
		fprintf(stderr, "%s: guard page: %s\n", prog, strerror(errno));
		return -1;
	}
	return 0;
}

static void
guard_fini(void)
{
	munmap(guard_base, GUARD_AREA + guard_page);
}

#endif /* SLC_TEST_GUARD_H */
