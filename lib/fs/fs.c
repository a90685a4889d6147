/*
 * File-system helpers shared by lib/stream (metadata), lib/log (segments and
 * recovery) and the tools. Plain blocking calls, retried on EINTR and short
 * transfers, so that callers never mistake a partial transfer for an error or
 * for the end of a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slc_fs.h"
#include "slc_mem.h"

int
slc_fs_pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

int
slc_fs_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
slc_fs_mkdir_p(const char *path, bool *created)
{
	size_t i, len = strlen(path);
	bool made = false;
	struct stat sb;
	int rc = 0;
	char *p;

	if (len == 0)
		return -ENOENT;
	p = slc_strdup(path);
	if (p == NULL)
		return -ENOMEM;
	for (i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) == 0) {
			made = true;
		} else if (errno == EEXIST) {
			made = false;
		} else {
			rc = -errno;
			break;
		}
		if (i < len)
			p[i] = '/';
	}
	if (rc == 0 && (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		rc = -ENOTDIR;
	slc_free(p);
	if (created != NULL)
		*created = rc == 0 && made;
	return rc;
}

int
slc_fs_fsync_dir(const char *dir)
{
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}
