/*
 * The io_uring storage back end behind drivers/store/slc_store.h.
 *
 * One store is one io_uring owned by one writer core. The writer's I/O buffers
 * are registered once at creation so that writes from them take the fixed-buffer
 * path (no page pinning per request); writes from other memory use the ordinary
 * write opcode. If the kernel refuses the registration (RLIMIT_MEMLOCK is the
 * usual reason), the store logs it once and writes every buffer the ordinary way:
 * slower, same results. Requests are queued with slc_store_write()/_fdatasync()
 * and sent in one io_uring_enter() by slc_store_submit(), so a poll loop pays one
 * system call per burst. Completions are reaped in batches from the shared
 * completion ring; the caller's tag travels in user_data.
 *
 * The store counts queued and in-flight requests and refuses new ones (-EBUSY)
 * when either ring would overflow: the completion ring holds twice the queue
 * depth, so at most that many requests are ever outstanding.
 *
 * slc_store_probe_direct() is the start-up check that a data directory takes
 * O_DIRECT writes (tmpfs and overlayfs on some kernels do not).
 *
 * Owner core only; nothing here is shared or locked.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <rte_log.h>

#include "slc_mem.h"
#include "slc_store.h"

#define RTE_LOG_DEFAULT_LOGTYPE slc.drv.store
RTE_LOG_REGISTER_DEFAULT(slc_store_logtype, INFO);
#define STORE_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, slc_store_logtype, "slc.drv.store: " fmt "\n", ##__VA_ARGS__)

#define STORE_DEPTH_MAX 32768u

struct slc_store {
	struct io_uring ring;
	uint32_t depth;
	uint32_t max_outstanding;  /* completion ring entries */
	uint32_t queued;           /* prepared, not yet submitted */
	uint32_t inflight;         /* submitted, not yet reaped */
	bool fixed;                /* buffers registered */
};

struct slc_store *
slc_store_create(uint32_t depth, void *const *bufs, uint32_t nbufs, uint32_t buf_size)
{
	struct slc_store *s;
	struct iovec *iov = NULL;
	uint32_t i;
	int rc;

	if (depth == 0 || depth > STORE_DEPTH_MAX || (nbufs > 0 && (bufs == NULL ||
			buf_size == 0 || buf_size % SLC_PAGE_SIZE != 0))) {
		errno = EINVAL;
		return NULL;
	}
	s = slc_calloc(1, sizeof(*s));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	rc = io_uring_queue_init(depth, &s->ring, 0);
	if (rc < 0) {
		STORE_LOG(ERR, "io_uring_queue_init(%u): %s%s", depth, strerror(-rc),
			rc == -EPERM ? " (io_uring disabled? check sysctl kernel.io_uring_disabled)" : "");
		slc_free(s);
		errno = -rc;
		return NULL;
	}
	s->depth = s->ring.sq.ring_entries;
	s->max_outstanding = s->ring.cq.ring_entries;

	if (nbufs > 0) {
		iov = slc_calloc(nbufs, sizeof(*iov));
		if (iov == NULL) {
			io_uring_queue_exit(&s->ring);
			slc_free(s);
			errno = ENOMEM;
			return NULL;
		}
		for (i = 0; i < nbufs; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = buf_size;
		}
		rc = io_uring_register_buffers(&s->ring, iov, nbufs);
		slc_free(iov);
		if (rc == 0) {
			s->fixed = true;
		} else {
			/* Registration pins nbufs * buf_size bytes against RLIMIT_MEMLOCK. */
			STORE_LOG(NOTICE, "registering %u I/O buffers of %u bytes failed (%s); "
				"writing them without fixed buffers (raise the memlock limit, "
				"ulimit -l, to use them)", nbufs, buf_size, strerror(-rc));
		}
	}
	return s;
}

void
slc_store_free(struct slc_store *s)
{
	if (s == NULL)
		return;
	if (s->fixed)
		io_uring_unregister_buffers(&s->ring);
	io_uring_queue_exit(&s->ring);
	slc_free(s);
}

static struct io_uring_sqe *
store_get_sqe(struct slc_store *s)
{
	if (s->queued + s->inflight >= s->max_outstanding)
		return NULL;
	return io_uring_get_sqe(&s->ring);
}

int
slc_store_write(struct slc_store *s, int fd, int buf_index, const void *p, uint32_t len,
	uint64_t off, uint64_t tag)
{
	struct io_uring_sqe *sqe;

	sqe = store_get_sqe(s);
	if (sqe == NULL)
		return -EBUSY;
	if (buf_index >= 0 && s->fixed)
		io_uring_prep_write_fixed(sqe, fd, p, len, off, buf_index);
	else
		io_uring_prep_write(sqe, fd, p, len, off);
	io_uring_sqe_set_data64(sqe, tag);
	s->queued++;
	return 0;
}

int
slc_store_fdatasync(struct slc_store *s, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe;

	sqe = store_get_sqe(s);
	if (sqe == NULL)
		return -EBUSY;
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, tag);
	s->queued++;
	return 0;
}

int
slc_store_submit(struct slc_store *s)
{
	int rc;

	if (s->queued == 0)
		return 0;
	do {
		rc = io_uring_submit(&s->ring);
	} while (rc == -EINTR);
	if (rc < 0)
		return rc;
	s->queued -= (uint32_t)rc < s->queued ? (uint32_t)rc : s->queued;
	s->inflight += rc;
	return rc;
}

uint32_t
slc_store_inflight(const struct slc_store *s)
{
	return s->inflight;
}

int
slc_store_reap(struct slc_store *s, struct slc_store_cqe *cqes, uint32_t n, uint32_t wait_min)
{
	struct io_uring_cqe *batch[64];
	struct io_uring_cqe *cqe;
	uint32_t got = 0, k, i;
	int rc;

	if (wait_min > s->inflight)
		wait_min = s->inflight;
	if (wait_min > n)
		wait_min = n;
	if (wait_min > 0) {
		do {
			rc = io_uring_wait_cqe_nr(&s->ring, &cqe, wait_min);
		} while (rc == -EINTR);
		if (rc < 0)
			return rc;
	}
	while (got < n) {
		k = n - got < 64 ? n - got : 64;
		k = io_uring_peek_batch_cqe(&s->ring, batch, k);
		if (k == 0)
			break;
		for (i = 0; i < k; i++) {
			cqes[got + i].tag = io_uring_cqe_get_data64(batch[i]);
			cqes[got + i].res = batch[i]->res;
		}
		io_uring_cq_advance(&s->ring, k);
		got += k;
	}
	s->inflight -= got < s->inflight ? got : s->inflight;
	return (int)got;
}

/* ---- O_DIRECT probe ---- */

static const char *
fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0xEF53: return "ext2/3/4";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	case 0x858458f6: return "ramfs";
	case 0x794c7630: return "overlayfs";
	case 0x65735546: return "fuse";
	case 0x6969: return "nfs";
	case 0x01021997: return "9p";
	case 0x2fc12fc1: return "zfs";
	case 0x73717368: return "squashfs";
	case 0x786f4256: return "vboxsf";
	case 0xFF534D42: return "cifs";
	case 0xF2F52010: return "f2fs";
	default: return NULL;
	}
}

static void
probe_why(const char *dir, const char *what, char *why, size_t why_len)
{
	struct statfs sf;
	const char *name = NULL;
	char tbuf[32];

	if (statfs(dir, &sf) == 0) {
		name = fs_name(sf.f_type);
		if (name == NULL) {
			snprintf(tbuf, sizeof(tbuf), "type 0x%lx", (unsigned long)sf.f_type);
			name = tbuf;
		}
	} else {
		name = "unknown";
	}
	snprintf(why, why_len, "%s: %s fails with EINVAL: the file system (%s) does not support "
		"O_DIRECT; put the data directory on ext4 or xfs, or use --buffered-io",
		dir, what, name);
}

int
slc_store_probe_direct(const char *dir, char *why, size_t why_len)
{
	static unsigned int probe_seq;
	char path[4096];
	void *buf;
	ssize_t n;
	int fd, rc = 0;

	if (why != NULL && why_len > 0)
		why[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/.slc-direct-probe-%d-%u", dir, (int)getpid(),
			probe_seq++) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EINVAL) {
			if (why != NULL)
				probe_why(dir, "open(O_DIRECT)", why, why_len);
		} else if (why != NULL) {
			snprintf(why, why_len, "%s: cannot create probe file: %s", dir,
				strerror(-rc));
		}
		return rc;
	}
	buf = slc_mem_io_alloc(SLC_PAGE_SIZE);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = pwrite(fd, buf, SLC_PAGE_SIZE, 0);
	if (n < 0) {
		rc = -errno;
		if (rc == -EINVAL) {
			if (why != NULL)
				probe_why(dir, "a 4 KiB aligned O_DIRECT write", why, why_len);
		} else if (why != NULL) {
			snprintf(why, why_len, "%s: probe write failed: %s", dir, strerror(-rc));
		}
	} else if (n != SLC_PAGE_SIZE) {
		rc = -EIO;
		if (why != NULL)
			snprintf(why, why_len, "%s: probe write was short (%zd of %u bytes)", dir,
				n, SLC_PAGE_SIZE);
	}
	slc_mem_io_free(buf);
out:
	close(fd);
	unlink(path);
	return rc;
}
