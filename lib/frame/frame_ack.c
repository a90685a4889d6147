/*
 * Acknowledgement frames v1 (docs/frame-format.md, "Acknowledgements (TCP)"):
 * what sluiced sends back on a framed TCP connection once the records of a
 * frame are durable, and what a producer decodes to learn each record's shard
 * and sequence number.
 *
 * The encoder runs on the data cores, once per acknowledged frame: a header,
 * the groups and one CRC32C, written with byte shifts into the caller's buffer.
 * The decoder runs in producers (`sluice send`) and tests on a byte stream: it
 * returns 0 while the ack is incomplete, and rejects what it can as early as it
 * can (magic, version and a length that does not match n_groups are visible in
 * the header) so a producer reading garbage does not wait for bytes that will
 * never come. Everything a group says is checked before the caller sees it:
 * the groups must tile records 0..count-1, and the ack's status must agree with
 * its groups, so a caller can trust every field without checking again.
 *
 * Pure functions on caller memory, no allocation, no global state: any core or
 * thread may call them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "slc_block.h"
#include "slc_frame.h"
#include "frame_le.h"

/* Header offsets. */
#define ACK_OFF_VERSION 4
#define ACK_OFF_STATUS 5
#define ACK_OFF_COUNT 6
#define ACK_OFF_LENGTH 8
#define ACK_OFF_FRAME_ID 12
#define ACK_OFF_N_GROUPS 16
#define ACK_OFF_ERROR 18
#define ACK_OFF_RESERVED 19

/* Group offsets. */
#define GRP_OFF_FIRST 0
#define GRP_OFF_N 2
#define GRP_OFF_STATUS 4
#define GRP_OFF_RESERVED 5
#define GRP_OFF_SHARD 8
#define GRP_OFF_COUNTER 12

#define ACK_STATUS_MAX SLC_ACK_REJECTED
#define ACK_R_STATUS_MAX SLC_ACK_R_ERROR

/* ---- names ---- */

static const char *const status_names[] = {
	[SLC_ACK_OK] = "ok",
	[SLC_ACK_PARTIAL] = "partial",
	[SLC_ACK_REJECTED] = "rejected",
};

static const char *const rec_status_names[] = {
	[SLC_ACK_R_STORED] = "stored",
	[SLC_ACK_R_RETRY] = "retry",
	[SLC_ACK_R_TOO_BIG] = "too_big",
	[SLC_ACK_R_ERROR] = "error",
};

const char *
slc_ack_status_name(uint8_t status)
{
	if (status > ACK_STATUS_MAX)
		return "unknown";
	return status_names[status];
}

const char *
slc_ack_rec_status_name(uint8_t status)
{
	if (status > ACK_R_STATUS_MAX)
		return "unknown";
	return rec_status_names[status];
}

/* ---- encoding ---- */

size_t
slc_ack_size(uint32_t n_groups)
{
	return SLC_ACK_HDR_LEN + (size_t)n_groups * SLC_ACK_GROUP_LEN + SLC_FRAME_CRC_LEN;
}

size_t
slc_ack_encode(void *buf, size_t cap, uint32_t frame_id, uint16_t count, uint8_t error,
	const struct slc_ack_group *g, uint16_t n_groups)
{
	uint8_t *h = buf, *q;
	uint8_t status = SLC_ACK_OK;
	size_t len;
	uint16_t i;

	/* A rejected frame stored nothing: its ack carries no group. */
	if (error != 0) {
		status = SLC_ACK_REJECTED;
		n_groups = 0;
	}
	len = slc_ack_size(n_groups);
	if (cap < len)
		return 0;
	q = h + SLC_ACK_HDR_LEN;
	for (i = 0; i < n_groups; i++, q += SLC_ACK_GROUP_LEN) {
		if (g[i].status != SLC_ACK_R_STORED)
			status = SLC_ACK_PARTIAL;
		put_le16(q + GRP_OFF_FIRST, g[i].first);
		put_le16(q + GRP_OFF_N, g[i].n);
		q[GRP_OFF_STATUS] = g[i].status;
		memset(q + GRP_OFF_RESERVED, 0, 3);
		put_le32(q + GRP_OFF_SHARD, g[i].shard);
		put_le64(q + GRP_OFF_COUNTER, g[i].counter);
	}
	memcpy(h, SLC_ACK_MAGIC, 4);
	h[ACK_OFF_VERSION] = SLC_ACK_VERSION;
	h[ACK_OFF_STATUS] = status;
	put_le16(h + ACK_OFF_COUNT, count);
	put_le32(h + ACK_OFF_LENGTH, (uint32_t)len);
	put_le32(h + ACK_OFF_FRAME_ID, frame_id);
	put_le16(h + ACK_OFF_N_GROUPS, n_groups);
	h[ACK_OFF_ERROR] = error;
	h[ACK_OFF_RESERVED] = 0;
	put_le32(h + len - SLC_FRAME_CRC_LEN, slc_block_crc32c(h, len - SLC_FRAME_CRC_LEN));
	return len;
}

/* ---- decoding ---- */

/*
 * The groups of a CRC-checked ack: at least one, each non-empty, with a known status and zero
 * padding, tiling 0..count-1 in order, and status agreeing with them (OK: all
 * stored; PARTIAL: some not). 0 or -EBADMSG.
 */
static int
check_groups(const uint8_t *q, uint16_t n_groups, uint16_t count, uint8_t status)
{
	uint32_t next = 0;        /* the record the next group must start at */
	bool all_stored = true;
	uint16_t i;

	/* A frame that was not rejected had at least one record. */
	if (n_groups == 0)
		return -EBADMSG;
	for (i = 0; i < n_groups; i++, q += SLC_ACK_GROUP_LEN) {
		uint16_t first = get_le16(q + GRP_OFF_FIRST);
		uint16_t n = get_le16(q + GRP_OFF_N);

		if (first != next || n == 0 || q[GRP_OFF_STATUS] > ACK_R_STATUS_MAX ||
				q[GRP_OFF_RESERVED] != 0 || q[GRP_OFF_RESERVED + 1] != 0 ||
				q[GRP_OFF_RESERVED + 2] != 0)
			return -EBADMSG;
		if (q[GRP_OFF_STATUS] != SLC_ACK_R_STORED)
			all_stored = false;
		next = (uint32_t)first + n;
	}
	if (next != count)
		return -EBADMSG;
	if (all_stored != (status == SLC_ACK_OK))
		return -EBADMSG;
	return 0;
}

int
slc_ack_decode(const void *p, size_t len, struct slc_ack *a)
{
	const uint8_t *b = p;
	uint32_t length;
	uint16_t count, n_groups;
	uint8_t status, error;

	/*
	 * On a stream a wrong magic or version is final whatever follows, so it
	 * is reported as soon as its bytes are here.
	 */
	if (memcmp(b, SLC_ACK_MAGIC, len < 4 ? len : 4) != 0)
		return -EBADMSG;
	if (len > ACK_OFF_VERSION && b[ACK_OFF_VERSION] != SLC_ACK_VERSION)
		return -EBADMSG;
	if (len < SLC_ACK_HDR_LEN)
		return 0;
	status = b[ACK_OFF_STATUS];
	count = get_le16(b + ACK_OFF_COUNT);
	length = get_le32(b + ACK_OFF_LENGTH);
	n_groups = get_le16(b + ACK_OFF_N_GROUPS);
	error = b[ACK_OFF_ERROR];
	/* length must be exactly what n_groups says: this also bounds it (1.25 MiB). */
	if (length < SLC_ACK_MIN_LEN || length != slc_ack_size(n_groups))
		return -EBADMSG;
	if (len < length)
		return 0;
	if (slc_block_crc32c(b, length - SLC_FRAME_CRC_LEN) !=
			get_le32(b + length - SLC_FRAME_CRC_LEN))
		return -EBADMSG;
	if (status > ACK_STATUS_MAX || b[ACK_OFF_RESERVED] != 0)
		return -EBADMSG;
	if (status == SLC_ACK_REJECTED) {
		if (n_groups != 0 || error == 0)
			return -EBADMSG;
	} else {
		if (error != 0 || check_groups(b + SLC_ACK_HDR_LEN, n_groups, count, status) != 0)
			return -EBADMSG;
	}
	a->length = length;
	a->frame_id = get_le32(b + ACK_OFF_FRAME_ID);
	a->count = count;
	a->n_groups = n_groups;
	a->status = status;
	a->error = error;
	a->groups = b + SLC_ACK_HDR_LEN;
	return (int)length;
}

void
slc_ack_group(const struct slc_ack *a, uint16_t i, struct slc_ack_group *g)
{
	const uint8_t *q = a->groups + (size_t)i * SLC_ACK_GROUP_LEN;

	g->first = get_le16(q + GRP_OFF_FIRST);
	g->n = get_le16(q + GRP_OFF_N);
	g->status = q[GRP_OFF_STATUS];
	g->shard = get_le32(q + GRP_OFF_SHARD);
	g->counter = get_le64(q + GRP_OFF_COUNTER);
}
