/*
 * @file
 * slc_mem: the one allocator wrapper of sluice.
 *
 * Everything that is not touched by NIC or disk DMA is allocated here, through
 * jemalloc (linked as the process allocator). I/O buffers that the disk reads or
 * writes by DMA come from slc_mem_io_alloc(): page-aligned, zeroed, and from
 * DPDK hugepage memory when the EAL is initialised, from jemalloc otherwise (the
 * `sluice` tool runs without the EAL).
 *
 * Thread-safe. Memory must be freed by the core that allocated it (house rule,
 * not an allocator limit).
 */
#ifndef SLC_MEM_H
#define SLC_MEM_H

#include <stddef.h>

#define SLC_PAGE_SIZE 4096u

/* Round x up to a multiple of a (a power of two). */
#define SLC_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

/* malloc/calloc/realloc/free through jemalloc. NULL with errno = ENOMEM on failure. */
void *slc_malloc(size_t size);
void *slc_calloc(size_t n, size_t size);
void *slc_realloc(void *p, size_t size);
void slc_free(void *p);
char *slc_strdup(const char *s);

/*
 * Zeroed, SLC_PAGE_SIZE-aligned buffer for disk DMA; size is rounded up to a page.
 * Returns NULL with errno = ENOMEM on failure. Free with slc_mem_io_free().
 */
void *slc_mem_io_alloc(size_t size);
void slc_mem_io_free(void *p);

#endif /* SLC_MEM_H */
