/*
 * Block and record encoding of the shard log (docs/log-format.md, v1): the builder
 * that lays records into a writer's I/O buffer, the checker that decides whether
 * bytes on disk are a good block, and the iterator that decodes a payload.
 *
 * The builder runs on the writer core for every record, so slc_block_add() is a
 * few bounds checks, four little-endian stores and up to three memcpy()s straight
 * into the caller's buffer: no allocation, no call out of this file. Header and
 * CRC are written once per block by slc_block_seal(), which also deflates the
 * payload (block_compress.c) when given a context.
 *
 * The checker and iterator read untrusted bytes (a torn write, a stale page, a
 * crafted file): every length is compared against what is readable before it is
 * used, with 64-bit arithmetic so no sum can wrap, and a good CRC is not taken as
 * proof that the payload is well formed. All state lives in the caller's structs;
 * each is used by one thread at a time.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <isa-l/crc.h>
#include <rte_log.h>

#include "slc_block.h"
#include "slc_mem.h"
#include "block_priv.h"

#define RTE_LOG_DEFAULT_LOGTYPE slc.lib.block
RTE_LOG_REGISTER_DEFAULT(block_logtype, NOTICE);

#define REC_KEY_MAX 256u
#define REC_HASHKEY_LEN 16u

/* ---- little-endian access (plain loads and stores on x86) ---- */

static inline void
put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t
get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t
get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* ---- CRC32C ---- */

/*
 * ISA-L's crc32_iscsi() neither inverts its seed nor its result, so the standard
 * CRC32C (RFC 3720) is ~crc32_iscsi(p, len, ~0). The intermediate value chains,
 * which lets us feed lengths beyond int in pieces.
 */
uint32_t
slc_block_crc32c(const void *p, size_t len)
{
	const unsigned char *q = p;
	uint32_t crc = 0xffffffffu;

	while (len > 0) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;

		/* crc32_iscsi() takes a non-const pointer but only reads. */
		crc = crc32_iscsi((unsigned char *)(uintptr_t)q, n, crc);
		q += n;
		len -= (size_t)n;
	}
	return ~crc;
}

/* ---- building ---- */

void
slc_block_begin(struct slc_block_builder *b, uint8_t *base, uint32_t cap, uint32_t shard)
{
	b->base = base;
	b->cap = cap;
	b->len = 0;
	b->count = 0;
	b->shard = shard;
	b->first_seq = 0;
	b->first_time_ms = 0;
	b->last_time_ms = 0;
	/*
	 * A zero header until seal: a writer may put the page holding this open
	 * block on disk before the block is sealed, and readers must see the end
	 * of the log there, whatever the buffer held before.
	 */
	if (cap >= SLC_BLOCK_HDR_LEN)
		memset(base, 0, SLC_BLOCK_HDR_LEN);
}

int
slc_block_add(struct slc_block_builder *b, const struct slc_record *r)
{
	uint32_t hk_len = r->has_hash_key ? REC_HASHKEY_LEN : 0;
	uint32_t tdelta = 0;
	uint64_t rec_len;
	uint8_t *q;

	if (r->key_len == 0 || r->key_len > REC_KEY_MAX)
		return -EINVAL;
	if (b->count > 0) {
		uint64_t d;

		if (r->seq != b->first_seq + b->count || r->arrival_ms < b->last_time_ms)
			return -EINVAL;
		/* arrival >= last >= first: the unsigned difference is exact. */
		d = (uint64_t)r->arrival_ms - (uint64_t)b->first_time_ms;
		if (d > UINT32_MAX)
			return -EINVAL;
		tdelta = (uint32_t)d;
	}

	rec_len = (uint64_t)SLC_REC_HDR_LEN + hk_len + r->key_len + r->data_len;
	if (SLC_BLOCK_HDR_LEN + (uint64_t)b->len + rec_len > b->cap ||
			(uint64_t)b->len + rec_len > SLC_BLOCK_PAYLOAD_MAX)
		return -ENOSPC;

	q = b->base + SLC_BLOCK_HDR_LEN + b->len;
	put_le16(q, r->has_hash_key ? SLC_REC_F_HASHKEY : 0);
	put_le16(q + 2, r->key_len);
	put_le32(q + 4, r->data_len);
	put_le32(q + 8, b->count);
	put_le32(q + 12, tdelta);
	q += SLC_REC_HDR_LEN;
	if (hk_len != 0) {
		memcpy(q, r->hash_key, REC_HASHKEY_LEN);
		q += REC_HASHKEY_LEN;
	}
	memcpy(q, r->key, r->key_len);
	q += r->key_len;
	if (r->data_len != 0)
		memcpy(q, r->data, r->data_len);

	if (b->count == 0) {
		b->first_seq = r->seq;
		b->first_time_ms = r->arrival_ms;
	}
	b->last_time_ms = r->arrival_ms;
	b->count++;
	b->len += (uint32_t)rec_len;
	return 0;
}

uint32_t
slc_block_seal(struct slc_block_builder *b, struct slc_block_zctx *z, uint64_t file_off,
	bool pad_to_page)
{
	struct slc_block_hdr h;
	uint8_t *payload = b->base + SLC_BLOCK_HDR_LEN;
	uint32_t flags = 0, stored = b->len, blen, span, dirty_end, zero_end;

	if (b->count == 0) {
		BLOCK_LOG(ERR, "shard %u: seal of an empty block (no record added)", b->shard);
		return 0;
	}
	if (z != NULL) {
		const uint8_t *out;
		uint32_t zlen = block_deflate(z, payload, b->len, &out);

		if (zlen != 0) {
			memcpy(payload, out, zlen);
			stored = zlen;
			flags |= SLC_BLOCK_F_DEFLATE;
		}
	}

	blen = SLC_BLOCK_HDR_LEN + stored;
	if (pad_to_page)
		span = (uint32_t)(SLC_ALIGN_UP(file_off + blen, (uint64_t)SLC_PAGE_SIZE) - file_off);
	else
		span = SLC_ALIGN_UP(blen, (uint32_t)SLC_BLOCK_ALIGN);

	/*
	 * Zero what follows the stored bytes: the padding up to span and the raw
	 * bytes that compression left behind. Otherwise a page written after the
	 * last block would carry stale payload where readers expect zeros.
	 */
	dirty_end = SLC_BLOCK_HDR_LEN + b->len;
	zero_end = span > dirty_end ? span : dirty_end;
	if (zero_end > b->cap)
		zero_end = b->cap;
	if (zero_end > blen)
		memset(b->base + blen, 0, zero_end - blen);

	h.magic = htole32(SLC_BLOCK_MAGIC);
	h.crc = 0;
	h.version = htole16(SLC_BLOCK_VERSION);
	h.hdr_len = htole16(SLC_BLOCK_HDR_LEN);
	h.flags = htole32(flags);
	h.stored_len = htole32(stored);
	h.raw_len = htole32(b->len);
	h.count = htole32(b->count);
	h.shard = htole32(b->shard);
	h.first_seq = htole64(b->first_seq);
	h.first_time_ms = (int64_t)htole64((uint64_t)b->first_time_ms);
	h.last_time_ms = (int64_t)htole64((uint64_t)b->last_time_ms);
	h.span = htole32(span);
	h.reserved = 0;
	memcpy(b->base, &h, sizeof(h));
	put_le32(b->base + offsetof(struct slc_block_hdr, crc),
		slc_block_crc32c(b->base + 8, blen - 8));
	return span;
}

/* ---- checking ---- */

static int
check_bad(const char *why)
{
	BLOCK_LOG(DEBUG, "not a block: %s", why);
	return -EBADMSG;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Fewer than 64 bytes readable: see the rules in slc_block.h. */
static int
check_short(const uint8_t *p, size_t avail)
{
	static const uint8_t magic[4] = { 'S', 'L', 'C', 'B' };
	size_t n = avail < sizeof(magic) ? avail : sizeof(magic);

	if (avail > 0 && all_zero(p, avail))
		return 0;
	if (memcmp(p, magic, n) != 0)
		return check_bad("bad magic");
	return -ENODATA;
}

int
slc_block_check(const void *p, size_t avail, struct slc_block_info *bi)
{
	const uint8_t *b = p;
	struct slc_block_hdr h;
	uint32_t flags, stored, raw, count, span;
	uint64_t blen;

	if (avail < SLC_BLOCK_HDR_LEN)
		return check_short(b, avail);
	memcpy(&h, b, sizeof(h));

	if (le32toh(h.magic) != SLC_BLOCK_MAGIC) {
		if (h.magic == 0 && all_zero(b, SLC_BLOCK_HDR_LEN))
			return 0;
		return check_bad("bad magic");
	}
	if (le16toh(h.version) != SLC_BLOCK_VERSION)
		return check_bad("version is not 1");
	if (le16toh(h.hdr_len) != SLC_BLOCK_HDR_LEN)
		return check_bad("hdr_len is not 64");
	flags = le32toh(h.flags);
	if (flags & ~SLC_BLOCK_F_DEFLATE)
		return check_bad("unknown flags");
	count = le32toh(h.count);
	if (count == 0)
		return check_bad("count is 0");
	stored = le32toh(h.stored_len);
	raw = le32toh(h.raw_len);
	if (raw > SLC_BLOCK_PAYLOAD_MAX)
		return check_bad("raw_len above 64 MiB");
	if ((flags & SLC_BLOCK_F_DEFLATE) ? stored > raw : stored != raw)
		return check_bad("stored_len does not match raw_len");
	span = le32toh(h.span);
	blen = (uint64_t)SLC_BLOCK_HDR_LEN + stored;
	if (span < blen || span % SLC_BLOCK_ALIGN != 0)
		return check_bad("bad span");
	if (blen > avail)
		return -ENODATA;
	if (slc_block_crc32c(b + 8, blen - 8) != le32toh(h.crc))
		return check_bad("CRC mismatch");

	bi->flags = flags;
	bi->stored_len = stored;
	bi->raw_len = raw;
	bi->count = count;
	bi->shard = le32toh(h.shard);
	bi->span = span;
	bi->first_seq = le64toh(h.first_seq);
	bi->first_time_ms = (int64_t)le64toh((uint64_t)h.first_time_ms);
	bi->last_time_ms = (int64_t)le64toh((uint64_t)h.last_time_ms);
	return 1;
}

/* ---- reading ---- */

int
slc_block_payload(const void *p, const struct slc_block_info *bi, struct slc_block_zctx *z,
	const uint8_t **payload)
{
	const uint8_t *stored = (const uint8_t *)p + SLC_BLOCK_HDR_LEN;

	if (!(bi->flags & SLC_BLOCK_F_DEFLATE)) {
		*payload = stored;
		return 0;
	}
	if (z == NULL)
		return -EINVAL;
	return block_inflate(z, stored, bi->stored_len, bi->raw_len, payload);
}

void
slc_block_iter_init(struct slc_block_iter *it, const uint8_t *payload,
	const struct slc_block_info *bi)
{
	it->p = payload;
	it->end = payload + bi->raw_len;
	it->first_seq = bi->first_seq;
	it->first_time_ms = bi->first_time_ms;
	it->last_time_ms = bi->last_time_ms;
	it->left = bi->count;
	it->i = 0;
	it->prev_time_delta = 0;
}

int
slc_block_iter_next(struct slc_block_iter *it, struct slc_record *r)
{
	const uint8_t *q = it->p;
	uint16_t flags, key_len;
	uint32_t data_len, seq_delta, tdelta, hk_len;
	uint64_t rec_len;
	int64_t t;
	size_t room;

	if (q == NULL)
		return -EBADMSG;
	if (it->left == 0)
		return 0;
	room = (size_t)(it->end - q);
	if (room < SLC_REC_HDR_LEN)
		goto bad;
	flags = get_le16(q);
	key_len = get_le16(q + 2);
	data_len = get_le32(q + 4);
	seq_delta = get_le32(q + 8);
	tdelta = get_le32(q + 12);
	if (flags & ~SLC_REC_F_HASHKEY)
		goto bad;
	if (key_len == 0 || key_len > REC_KEY_MAX)
		goto bad;
	if (seq_delta != it->i)
		goto bad;
	if (it->i == 0 ? tdelta != 0 : tdelta < it->prev_time_delta)
		goto bad;
	hk_len = (flags & SLC_REC_F_HASHKEY) ? REC_HASHKEY_LEN : 0;
	rec_len = (uint64_t)SLC_REC_HDR_LEN + hk_len + key_len + data_len;
	if (rec_len > room)
		goto bad;
	t = (int64_t)((uint64_t)it->first_time_ms + tdelta);
	/* The last record must end the payload and carry the header's last time. */
	if (it->left == 1 && (rec_len != room || t != it->last_time_ms))
		goto bad;

	q += SLC_REC_HDR_LEN;
	r->has_hash_key = hk_len != 0;
	if (hk_len != 0) {
		memcpy(r->hash_key, q, REC_HASHKEY_LEN);
		q += REC_HASHKEY_LEN;
	} else {
		memset(r->hash_key, 0, sizeof(r->hash_key));
	}
	r->key = q;
	r->key_len = key_len;
	r->data = q + key_len;
	r->data_len = data_len;
	r->seq = it->first_seq + it->i;
	r->arrival_ms = t;

	it->p += rec_len;
	it->left--;
	it->i++;
	it->prev_time_delta = tdelta;
	return 1;
bad:
	BLOCK_LOG(DEBUG, "malformed payload at record %u", it->i);
	it->p = NULL;
	return -EBADMSG;
}
