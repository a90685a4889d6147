/*
 * The framed record format v1 (docs/frame-format.md): the checker that decides
 * whether a datagram is a good frame, the iterator that hands out its records,
 * and the builder that producers, the generator and tests encode frames with.
 *
 * slc_frame_check() runs on the data cores for every framed datagram, before any
 * record is routed, so it is one pass over the record headers plus one CRC32C
 * (ISA-L, through lib/block) and nothing else: no allocation, no indirect call,
 * no log line. The record walk does not stop at the first bad field: the causes
 * of docs/frame-format.md have a fixed precedence, and a record flag that is bad
 * in the last record must beat a key_len that is bad in the first, so the loop
 * only ORs what it saw into a few accumulators and breaks only when the next
 * record would run past the CRC. Every length is compared against the bytes
 * that remain before it is used, in 64-bit arithmetic, so no sum can wrap and no
 * byte outside p[0..len) is ever read.
 *
 * The iterator trusts the checker: it only decodes what slc_frame_check()
 * accepted. Everything works on the caller's memory; any core may call it.
 * Fields are little-endian and read with byte shifts, not with DPDK's byte-order
 * helpers, because this module has no DPDK dependency.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "slc_block.h"
#include "slc_frame.h"
#include "frame_le.h"

#define FRAME_HASHKEY_LEN 16u
#define FRAME_KEY_MAX 256u

/* ---- names ---- */

static const char *const err_names[SLC_FRAME_E_MAX] = {
	[SLC_FRAME_OK] = "ok",
	[SLC_FRAME_E_SHORT] = "short",
	[SLC_FRAME_E_MAGIC] = "magic",
	[SLC_FRAME_E_VERSION] = "version",
	[SLC_FRAME_E_FLAGS] = "flags",
	[SLC_FRAME_E_LENGTH] = "length",
	[SLC_FRAME_E_CRC] = "crc",
	[SLC_FRAME_E_COUNT] = "count",
	[SLC_FRAME_E_KEY_LEN] = "key_len",
	[SLC_FRAME_E_RECORD_LEN] = "record_len",
	[SLC_FRAME_E_TOO_BIG] = "too_big",
};

const char *
slc_frame_err_name(enum slc_frame_err e)
{
	if ((unsigned int)e >= SLC_FRAME_E_MAX)
		return "unknown";
	return err_names[e];
}

/* ---- checking ---- */

/*
 * The record walk of docs/frame-format.md ("How the causes are found"): records
 * from rec to crc, count of them. Returns the first record-level cause in table
 * order (flags, count, key_len, record_len, too_big) or SLC_FRAME_OK.
 */
static enum slc_frame_err
walk_records(const uint8_t *rec, const uint8_t *crc, uint32_t count, uint32_t max_data)
{
	const uint8_t *q = rec;
	uint32_t n = count;
	uint32_t bad_flags = 0;         /* unknown flag bits | reserved, ORed */
	uint32_t bad_key = 0;           /* some key_len outside 1..256 */
	uint32_t big = 0;               /* some data_len above max_data */
	int past = 0;                   /* a record ran past the CRC */

	while (n > 0) {
		uint64_t left = (uint64_t)(crc - q);
		uint64_t size;
		uint32_t key_len, flags, data_len;

		if (left < SLC_FRAME_REC_HDR_LEN) {
			past = 1;
			break;
		}
		key_len = get_le16(q);
		flags = q[2];
		data_len = get_le32(q + 4);
		bad_flags |= (flags & ~SLC_FRAME_REC_F_HASHKEY) | q[3];
		/* key_len - 1 wraps for 0, so one compare catches 0 and > 256. */
		bad_key |= key_len - 1u >= FRAME_KEY_MAX;
		big |= data_len > max_data;
		size = (uint64_t)SLC_FRAME_REC_HDR_LEN +
			(flags & SLC_FRAME_REC_F_HASHKEY) * FRAME_HASHKEY_LEN +
			key_len + data_len;
		if (size > left) {
			past = 1;
			break;
		}
		q += size;
		n--;
	}
	if (bad_flags != 0)
		return SLC_FRAME_E_FLAGS;
	if (count == 0 || (!past && q != crc))
		return SLC_FRAME_E_COUNT;
	if (bad_key)
		return SLC_FRAME_E_KEY_LEN;
	if (past)
		return SLC_FRAME_E_RECORD_LEN;
	if (big)
		return SLC_FRAME_E_TOO_BIG;
	return SLC_FRAME_OK;
}

enum slc_frame_err
slc_frame_check(const void *p, size_t len, bool exact, uint32_t max_data,
	struct slc_frame_info *fi)
{
	const uint8_t *b = p;
	uint32_t length, count, flags, min;
	enum slc_frame_err rec_err;

	if (len < SLC_FRAME_MIN_LEN)
		return SLC_FRAME_E_SHORT;
	length = get_le32(b + 8);
	if (length > len)
		return SLC_FRAME_E_SHORT;
	if (memcmp(b, SLC_FRAME_MAGIC, 4) != 0)
		return SLC_FRAME_E_MAGIC;
	if (b[4] != SLC_FRAME_VERSION)
		return SLC_FRAME_E_VERSION;
	flags = b[5];
	if ((flags & ~SLC_FRAME_F_HASHKEY) != 0)
		return SLC_FRAME_E_FLAGS;
	count = get_le16(b + 6);
	min = SLC_FRAME_MIN_LEN + (flags & SLC_FRAME_F_HASHKEY) * FRAME_HASHKEY_LEN;

	/*
	 * Below the minimum there are no records to walk (and no room for the
	 * hash key): the frame is a length error, and record flags cannot apply.
	 * Otherwise the walk runs before the CRC because a bad record flag
	 * outranks length and crc in the table; on a good frame the order costs
	 * nothing, both are done either way.
	 */
	if (length < min)
		return SLC_FRAME_E_LENGTH;
	rec_err = walk_records(b + min - SLC_FRAME_CRC_LEN, b + length - SLC_FRAME_CRC_LEN,
		count, max_data);
	if (rec_err == SLC_FRAME_E_FLAGS)
		return SLC_FRAME_E_FLAGS;
	if (exact && length != len)
		return SLC_FRAME_E_LENGTH;
	if (slc_block_crc32c(b, length - SLC_FRAME_CRC_LEN) !=
			get_le32(b + length - SLC_FRAME_CRC_LEN))
		return SLC_FRAME_E_CRC;
	if (rec_err != SLC_FRAME_OK)
		return rec_err;

	fi->length = length;
	fi->frame_id = get_le32(b + 12);
	fi->count = (uint16_t)count;
	fi->has_hash_key = (flags & SLC_FRAME_F_HASHKEY) != 0;
	if (fi->has_hash_key)
		memcpy(fi->hash_key, b + SLC_FRAME_HDR_LEN, FRAME_HASHKEY_LEN);
	else
		memset(fi->hash_key, 0, FRAME_HASHKEY_LEN);
	fi->records = b + min - SLC_FRAME_CRC_LEN;
	fi->end = b + length - SLC_FRAME_CRC_LEN;
	return SLC_FRAME_OK;
}

/* ---- iterating ---- */

void
slc_frame_iter_init(struct slc_frame_iter *it, const struct slc_frame_info *fi)
{
	it->p = fi->records;
	it->end = fi->end;
	it->left = fi->count;
}

int
slc_frame_iter_next(struct slc_frame_iter *it, struct slc_frame_rec *r)
{
	const uint8_t *q = it->p;

	/* The checker proved that count records end exactly at it->end. */
	if (it->left == 0)
		return 0;
	r->key_len = get_le16(q);
	r->has_hash_key = (q[2] & SLC_FRAME_REC_F_HASHKEY) != 0;
	r->data_len = get_le32(q + 4);
	q += SLC_FRAME_REC_HDR_LEN;
	if (r->has_hash_key) {
		r->hash_key = q;
		q += FRAME_HASHKEY_LEN;
	} else {
		r->hash_key = NULL;
	}
	r->key = q;
	q += r->key_len;
	r->data = q;
	q += r->data_len;
	it->p = q;
	it->left--;
	return 1;
}

/* ---- encoding ---- */

int
slc_frame_begin(struct slc_frame_builder *b, void *buf, size_t cap, uint32_t frame_id,
	const uint8_t *hash_key)
{
	uint8_t *h = buf;
	size_t hdr = SLC_FRAME_HDR_LEN + (hash_key != NULL ? FRAME_HASHKEY_LEN : 0);

	if (cap < hdr + SLC_FRAME_CRC_LEN)
		return -ENOSPC;
	/* The length field is 32 bits: no frame may grow beyond what it can say. */
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	memcpy(h, SLC_FRAME_MAGIC, 4);
	h[4] = SLC_FRAME_VERSION;
	h[5] = hash_key != NULL ? SLC_FRAME_F_HASHKEY : 0;
	put_le16(h + 6, 0);
	put_le32(h + 8, 0);
	put_le32(h + 12, frame_id);
	if (hash_key != NULL)
		memcpy(h + SLC_FRAME_HDR_LEN, hash_key, FRAME_HASHKEY_LEN);
	b->buf = h;
	b->cap = cap;
	b->len = hdr;
	b->count = 0;
	return 0;
}

int
slc_frame_add(struct slc_frame_builder *b, const void *key, uint16_t key_len,
	const void *data, uint32_t data_len, const uint8_t *hash_key)
{
	uint8_t *q;
	uint64_t size;

	if (key_len < 1 || key_len > FRAME_KEY_MAX || b->count == UINT16_MAX)
		return -EINVAL;
	size = (uint64_t)SLC_FRAME_REC_HDR_LEN + (hash_key != NULL ? FRAME_HASHKEY_LEN : 0) +
		key_len + data_len;
	/* begin() guarantees cap >= len + CRC, so the subtraction cannot wrap. */
	if (size > b->cap - b->len - SLC_FRAME_CRC_LEN)
		return -ENOSPC;
	q = b->buf + b->len;
	put_le16(q, key_len);
	q[2] = hash_key != NULL ? SLC_FRAME_REC_F_HASHKEY : 0;
	q[3] = 0;
	put_le32(q + 4, data_len);
	q += SLC_FRAME_REC_HDR_LEN;
	if (hash_key != NULL) {
		memcpy(q, hash_key, FRAME_HASHKEY_LEN);
		q += FRAME_HASHKEY_LEN;
	}
	memcpy(q, key, key_len);
	q += key_len;
	if (data_len > 0)
		memcpy(q, data, data_len);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

size_t
slc_frame_end(struct slc_frame_builder *b)
{
	uint32_t length;

	if (b->count == 0)
		return 0;
	length = (uint32_t)(b->len + SLC_FRAME_CRC_LEN);
	put_le16(b->buf + 6, b->count);
	put_le32(b->buf + 8, length);
	put_le32(b->buf + b->len, slc_block_crc32c(b->buf, b->len));
	return length;
}
