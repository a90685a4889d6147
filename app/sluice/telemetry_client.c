/*
 * The client side of DPDK's telemetry socket (SOCK_SEQPACKET, docs/telemetry.md):
 * connect, read the server's greeting, send a request, read its one answer and
 * return the JSON value under the command's key. `sluice stats` keeps one
 * connection for --watch; the live resharding commands ask once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "sluice.h"

void
sluice_tconn_path(const char *prefix, char *out, size_t len)
{
	const char *dir = "/var/run";

	/* As eal_create_runtime_dir() does: root uses /var/run, others XDG or /tmp. */
	if (geteuid() != 0) {
		dir = getenv("XDG_RUNTIME_DIR");
		if (dir == NULL)
			dir = "/tmp";
	}
	snprintf(out, len, "%s/dpdk/%s/dpdk_telemetry.v2", dir, prefix);
}

static int
no_sluiced(const struct sluice_tconn *c, const char *why)
{
	if (c->prefix != NULL)
		return sluice_fail(c->cmd, "no running sluiced with file prefix %s (%s at %s): start "
			"sluiced or pass --file-prefix", c->prefix, why, c->path);
	return sluice_fail(c->cmd, "no running sluiced at %s (%s): start sluiced or pass the "
		"socket of a running one", c->path, why);
}

/* Receive one packet into c->buf (NUL-terminated). Returns its length or -1 (errno). */
static ssize_t
tconn_recv(struct sluice_tconn *c)
{
	ssize_t n;

	do {
		n = recv(c->fd, c->buf, SLUICE_TCONN_BUF_LEN - 1, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		errno = ECONNRESET;
		return -1;
	}
	if (n >= SLUICE_TCONN_BUF_LEN - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	c->buf[n] = '\0';
	return n;
}

/* Connect and read the server's info packet. 0 or 1 (message printed). */
int
sluice_tconn_open(struct sluice_tconn *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_error_t jerr;
	json_t *info;

	if (strlen(c->path) >= sizeof(sun.sun_path))
		return sluice_fail(c->cmd, "socket path %s is longer than %zu bytes", c->path,
			sizeof(sun.sun_path) - 1);
	strcpy(sun.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return sluice_fail(c->cmd, "cannot create a unix socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int err = errno;

		close(c->fd);
		c->fd = -1;
		if (err == ENOENT)
			return no_sluiced(c, "no socket");
		if (err == ECONNREFUSED)
			return no_sluiced(c, "the socket refuses connections: the process that "
				"made it has exited");
		if (err == EPROTOTYPE)
			return sluice_fail(c->cmd, "%s is not a DPDK telemetry v2 socket (not "
				"SOCK_SEQPACKET)", c->path);
		return sluice_fail(c->cmd, "cannot connect to %s: %s", c->path, strerror(err));
	}
	if (tconn_recv(c) < 0)
		return sluice_fail(c->cmd, "%s: no greeting from the telemetry server: %s", c->path,
			strerror(errno));
	info = json_loads(c->buf, 0, &jerr);
	if (info == NULL || !json_is_object(info)) {
		json_decref(info);
		return sluice_fail(c->cmd, "%s: the greeting is not a JSON object (is this a DPDK "
			"telemetry socket?)", c->path);
	}
	json_decref(info);
	return SLUICE_EXIT_OK;
}

void
sluice_tconn_close(struct sluice_tconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * Send one request and return the value under its command key (a new
 * reference), or NULL with a message printed. A "null" value (command unknown
 * to the server) is reported as a process that is not sluiced.
 */
json_t *
sluice_tconn_ask(struct sluice_tconn *c, const char *req, const char *key)
{
	json_error_t jerr;
	json_t *root, *v;
	ssize_t n;

	do {
		n = send(c->fd, req, strlen(req), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		c->gone = errno == EPIPE || errno == ECONNRESET;
		if (!(c->gone && c->quiet_gone))
			sluice_fail(c->cmd, "%s: cannot send '%s': %s", c->path, req, strerror(errno));
		return NULL;
	}
	if (tconn_recv(c) < 0) {
		c->gone = errno == ECONNRESET;
		if (c->gone && c->quiet_gone)
			return NULL;
		sluice_fail(c->cmd, "%s: no answer to '%s': %s", c->path, req,
			errno == ECONNRESET ? "sluiced closed the connection" : strerror(errno));
		return NULL;
	}
	root = json_loads(c->buf, 0, &jerr);
	if (root == NULL) {
		sluice_fail(c->cmd, "%s: the answer to '%s' is not JSON (%s at byte %d)", c->path, req,
			jerr.text, jerr.position);
		return NULL;
	}
	v = json_object_get(root, key);
	if (v == NULL || json_is_null(v)) {
		json_decref(root);
		sluice_fail(c->cmd, "%s: the process does not answer '%s': it is a DPDK process but "
			"not sluiced", c->path, key);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(root);
		sluice_fail(c->cmd, "%s: the answer to '%s' is not a JSON object", c->path, req);
		return NULL;
	}
	json_incref(v);
	json_decref(root);
	return v;
}

json_t *
sluice_telemetry_ask(const char *cmd, const char *path, const char *req, const char *key)
{
	struct sluice_tconn c = { .cmd = cmd, .fd = -1, .path = path };
	json_t *v = NULL;

	c.buf = malloc(SLUICE_TCONN_BUF_LEN);
	if (c.buf == NULL) {
		sluice_fail(cmd, "out of memory");
		return NULL;
	}
	if (sluice_tconn_open(&c) == SLUICE_EXIT_OK)
		v = sluice_tconn_ask(&c, req, key);
	sluice_tconn_close(&c);
	free(c.buf);
	return v;
}
