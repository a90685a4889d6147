/*
 * A one-shot client of DPDK's telemetry socket (SOCK_SEQPACKET, docs/telemetry.md):
 * connect, read the server's greeting, send one request, read the one answer and
 * return the JSON value under the command's key. The live resharding commands
 * (sluice split / merge on a running sluiced) use it; `sluice stats` keeps its own
 * connection for --watch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sluice.h"

#define TC_BUF_LEN (64 * 1024)  /* DPDK caps an answer at 16 KiB */

static ssize_t
tc_recv(int fd, char *buf)
{
	ssize_t n;

	do {
		n = recv(fd, buf, TC_BUF_LEN - 1, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		errno = ECONNRESET;
		return -1;
	}
	if (n >= TC_BUF_LEN - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n > 0)
		buf[n] = '\0';
	return n;
}

json_t *
sluice_telemetry_ask(const char *cmd, const char *path, const char *req, const char *key)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_t *root = NULL, *v = NULL;
	json_error_t jerr;
	char *buf = NULL;
	ssize_t n;
	int fd = -1;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		sluice_fail(cmd, "socket path %s is too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	buf = malloc(TC_BUF_LEN);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (buf == NULL || fd < 0) {
		sluice_fail(cmd, "cannot create a unix socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		sluice_fail(cmd, "cannot connect to the sluiced control socket %s: %s", path,
			strerror(errno));
		goto out;
	}
	if (tc_recv(fd, buf) < 0) {
		sluice_fail(cmd, "%s: no greeting from the telemetry server: %s", path,
			strerror(errno));
		goto out;
	}
	do {
		n = send(fd, req, strlen(req), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || tc_recv(fd, buf) < 0) {
		sluice_fail(cmd, "%s: no answer to '%s': %s", path, req, strerror(errno));
		goto out;
	}
	root = json_loads(buf, 0, &jerr);
	if (root == NULL) {
		sluice_fail(cmd, "%s: the answer to '%s' is not JSON (%s)", path, req, jerr.text);
		goto out;
	}
	v = json_object_get(root, key);
	if (v == NULL || !json_is_object(v)) {
		sluice_fail(cmd, "%s: the process does not answer '%s': it is not a sluiced with "
			"live resharding", path, key);
		v = NULL;
		goto out;
	}
	json_incref(v);
out:
	json_decref(root);
	if (fd >= 0)
		close(fd);
	free(buf);
	return v;
}
