/*
 * @file
 * slc_fs: the few file-system helpers that several modules need: whole reads and
 * writes that survive short transfers and EINTR, mkdir -p, and fsync of a
 * directory (what makes a create or rename durable).
 *
 * Blocking system calls: for tools, start-up and the control core, never for a
 * data core's poll loop. Thread-safe. int functions return 0 or -errno.
 */
#ifndef SLC_FS_H
#define SLC_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pread until len bytes or end of file; *got says how many were read. */
int slc_fs_pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got);

/* write all len bytes at the file position. */
int slc_fs_write_full(int fd, const void *buf, size_t len);

/*
 * mkdir -p path (mode 0755). *created (may be NULL) tells whether the last
 * component was made by this call. -ENOTDIR if path exists and is not a directory.
 */
int slc_fs_mkdir_p(const char *path, bool *created);

/* fsync the directory itself, so that entries created or renamed in it last. */
int slc_fs_fsync_dir(const char *dir);

#endif /* SLC_FS_H */
