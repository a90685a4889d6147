/*
 * The allocator wrapper. jemalloc is linked as the process allocator, so plain
 * malloc() here already is jemalloc; the wrapper exists so that every allocation
 * in sluice goes through one place that can be instrumented or swapped.
 *
 * I/O buffers are page-aligned jemalloc memory for now: the `sluice` tool runs
 * without the EAL. When the data plane lands, buffers of a process that runs the
 * EAL move to hugepage memory here, without changing callers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slc_mem.h"

void *
slc_malloc(size_t size)
{
	return malloc(size);
}

void *
slc_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *
slc_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

void
slc_free(void *p)
{
	free(p);
}

char *
slc_strdup(const char *s)
{
	return strdup(s);
}

void *
slc_mem_io_alloc(size_t size)
{
	void *p;

	size = SLC_ALIGN_UP(size, (size_t)SLC_PAGE_SIZE);
	p = aligned_alloc(SLC_PAGE_SIZE, size);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, size);
	return p;
}

void
slc_mem_io_free(void *p)
{
	free(p);
}
