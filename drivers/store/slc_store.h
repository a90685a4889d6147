/*
 * @file
 * slc_store: the small asynchronous storage interface that lib/log writes through.
 *
 * One store per writer core: a submission/completion queue pair (io_uring in
 * store_uring.c) with a set of registered, page-aligned I/O buffers. Writes from a
 * registered buffer use the fixed-buffer path; writes from other memory (index
 * entries) use the ordinary one. Completions carry the caller's 64-bit tag.
 *
 * Owner core only; not thread-safe. int functions return 0 or -errno.
 */
#ifndef SLC_STORE_H
#define SLC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slc_store;

struct slc_store_cqe {
	uint64_t tag;            /* as given at submission */
	int32_t res;             /* bytes written, 0 for fsync, or -errno */
};

/*
 * Create a store with queue depth `depth`, registering nbufs buffers of buf_size
 * bytes each (bufs[i] page-aligned). Returns NULL with errno set: EINVAL (bad
 * arguments), ENOMEM, or the errno of io_uring set-up (ENOSYS if the kernel has
 * no io_uring, EPERM if it is disabled by sysctl).
 */
struct slc_store *slc_store_create(uint32_t depth, void *const *bufs, uint32_t nbufs,
	uint32_t buf_size);
void slc_store_free(struct slc_store *s);

/*
 * Queue a write of len bytes at p to fd at offset off. buf_index is the index of
 * the registered buffer holding p, or -1 for unregistered memory (then p must
 * stay valid until the completion). Returns 0, or -EBUSY if the queue is full
 * (reap completions, then retry).
 */
int slc_store_write(struct slc_store *s, int fd, int buf_index, const void *p, uint32_t len,
	uint64_t off, uint64_t tag);

/* Queue an fdatasync of fd. Returns 0 or -EBUSY. */
int slc_store_fdatasync(struct slc_store *s, int fd, uint64_t tag);

/* Submit what is queued. Returns how many were submitted (>= 0) or -errno. */
int slc_store_submit(struct slc_store *s);

/* Requests submitted and not yet reaped. */
uint32_t slc_store_inflight(const struct slc_store *s);

/*
 * Reap up to n completions without blocking, or, if wait_min > 0, block until at
 * least wait_min are available (never more than are in flight). Returns how many
 * were written to cqes, or -errno.
 */
int slc_store_reap(struct slc_store *s, struct slc_store_cqe *cqes, uint32_t n, uint32_t wait_min);

/*
 * Check that directory dir supports O_DIRECT writes of 4 KiB at 4 KiB offsets by
 * writing and removing a probe file. Returns 0, or -EINVAL with a message in why
 * (naming the file system type and the fix), or the errno of the failing call.
 */
int slc_store_probe_direct(const char *dir, char *why, size_t why_len);

#endif /* SLC_STORE_H */
