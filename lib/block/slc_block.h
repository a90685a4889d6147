/*
 * @file
 * slc_block: the log's block and record encoding (docs/log-format.md, v1).
 *
 * A block is a 64-byte header followed by a payload of records, protected by one
 * CRC32C (ISA-L crc32_iscsi) over the header (from byte 8) and the stored payload.
 * The payload is either raw or raw-deflate compressed (ISA-L igzip level 1); a
 * block whose payload would not shrink is stored raw. This module only encodes
 * and decodes memory: it does no I/O and keeps no global state.
 *
 * Builder, checker and iterator are plain structs on the caller's memory; each is
 * used by one thread at a time. The deflate context holds scratch memory and
 * belongs to one thread (one per writer core, one per reader).
 */
#ifndef SLC_BLOCK_H
#define SLC_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLC_BLOCK_MAGIC 0x42434c53u     /* "SLCB" as bytes on disk (little-endian u32) */
#define SLC_BLOCK_VERSION 1
#define SLC_BLOCK_HDR_LEN 64
#define SLC_BLOCK_ALIGN 8               /* blocks start on 8-byte file offsets */
#define SLC_BLOCK_F_DEFLATE 0x1u        /* payload is raw deflate */
#define SLC_BLOCK_PAYLOAD_MAX (64u << 20)

#define SLC_REC_HDR_LEN 16
#define SLC_REC_F_HASHKEY 0x1u          /* 16-byte explicit hash key follows the header */

/* On-disk header, little-endian, exactly as docs/log-format.md lays it out. */
struct slc_block_hdr {
	uint32_t magic;
	uint32_t crc;            /* CRC32C of bytes [8, 64 + stored_len) */
	uint16_t version;
	uint16_t hdr_len;        /* 64 */
	uint32_t flags;
	uint32_t stored_len;     /* payload bytes on disk */
	uint32_t raw_len;        /* payload bytes after inflate */
	uint32_t count;          /* records, >= 1 */
	uint32_t shard;          /* shard index */
	uint64_t first_seq;      /* shard-local counter of the first record */
	int64_t first_time_ms;
	int64_t last_time_ms;
	uint32_t span;           /* bytes from this block's start to the next block's start */
	uint32_t reserved;       /* 0 */
} __attribute__((packed));

_Static_assert(sizeof(struct slc_block_hdr) == SLC_BLOCK_HDR_LEN, "block header is 64 bytes");

/* A record to append, or one decoded (pointers then view the payload). */
struct slc_record {
	const void *key;
	const void *data;
	uint32_t data_len;
	uint16_t key_len;
	bool has_hash_key;
	uint8_t hash_key[16];    /* big-endian, valid if has_hash_key */
	uint64_t seq;            /* shard-local counter */
	int64_t arrival_ms;
};

/* Bytes a record occupies in a raw payload. */
static inline uint32_t
slc_block_record_size(uint16_t key_len, uint32_t data_len, bool has_hash_key)
{
	return SLC_REC_HDR_LEN + (has_hash_key ? 16u : 0u) + key_len + data_len;
}

/* Checked block, host byte order. */
struct slc_block_info {
	uint32_t flags;
	uint32_t stored_len;
	uint32_t raw_len;
	uint32_t count;
	uint32_t shard;
	uint32_t span;
	uint64_t first_seq;
	int64_t first_time_ms;
	int64_t last_time_ms;
};

/* Deflate/inflate scratch for payloads of up to max_raw bytes. */
struct slc_block_zctx;
struct slc_block_zctx *slc_block_zctx_create(uint32_t max_raw);  /* NULL, errno=ENOMEM */
void slc_block_zctx_free(struct slc_block_zctx *z);

/* ---- building ---- */

struct slc_block_builder {
	uint8_t *base;           /* block start: header goes here, payload after it */
	uint32_t cap;            /* bytes usable from base */
	uint32_t len;            /* payload bytes so far */
	uint32_t count;
	uint32_t shard;
	uint64_t first_seq;
	int64_t first_time_ms;
	int64_t last_time_ms;
};

/*
 * Start a block at base with cap bytes of room (header included). Zeroes the
 * 64 header bytes: until it is sealed the block reads as the end of the log.
 */
void slc_block_begin(struct slc_block_builder *b, uint8_t *base, uint32_t cap, uint32_t shard);

/*
 * Append r. r->seq must be first_seq + count (the first record sets first_seq) and
 * r->arrival_ms must not be below the previous record's (nor more than UINT32_MAX
 * ms after the block's first record). Returns 0, -ENOSPC if it does not fit in cap
 * (64 + payload + record size > cap, or the payload would exceed
 * SLC_BLOCK_PAYLOAD_MAX), -EINVAL if r breaks the rules above or its key length is
 * not 1..256 (checked before -ENOSPC). On error the builder is unchanged.
 */
int slc_block_add(struct slc_block_builder *b, const struct slc_record *r);

/*
 * Seal the block: compress the payload with z if z is non-NULL and that shrinks
 * it, fill the header, compute the CRC. The span is the block length rounded up to
 * SLC_BLOCK_ALIGN, or, if pad_to_page, up to the next 4 KiB boundary of the file
 * given that the block starts at file offset file_off (a multiple of 8). The
 * padding, and the tail of the raw payload that compression freed, are zeroed as
 * far as they lie within cap, so no stale bytes follow the block. Returns the
 * span, or 0 (and writes nothing) if the builder holds no record.
 */
uint32_t slc_block_seal(struct slc_block_builder *b, struct slc_block_zctx *z, uint64_t file_off,
	bool pad_to_page);

/* ---- checking and reading ---- */

/*
 * Check the block at p, of which avail bytes are readable. Never reads p[avail] or
 * beyond. Returns:
 *   1        a good block; *bi filled;
 *   0        no block: the 64 header bytes are all zero (end of written data);
 *   -ENODATA the header is sane but the block extends beyond avail (read more);
 *   -EBADMSG not a valid block: bad magic, version, hdr_len, flags, count, lengths,
 *            span, or CRC mismatch.
 * With fewer than 64 bytes available (a short tail): 0 if avail >= 1 and those
 * bytes are all zero (no block can start here); -EBADMSG if they are not zero and
 * do not begin like the magic; otherwise (avail == 0, or a magic prefix) -ENODATA.
 * *bi is written only when 1 is returned.
 */
int slc_block_check(const void *p, size_t avail, struct slc_block_info *bi);

/*
 * The raw payload of a checked block: a pointer into the block, or, if it is
 * compressed, into z's scratch after inflating (valid until z's next use; the
 * scratch grows if raw_len exceeds the size z was created for). Returns 0,
 * -EBADMSG if the payload does not inflate to exactly raw_len bytes, -EINVAL if
 * compressed and z is NULL, -ENOMEM if z's scratch cannot grow.
 */
int slc_block_payload(const void *p, const struct slc_block_info *bi, struct slc_block_zctx *z,
	const uint8_t **payload);

struct slc_block_iter {
	const uint8_t *p;        /* next record; NULL after an error (sticky -EBADMSG) */
	const uint8_t *end;
	uint64_t first_seq;
	int64_t first_time_ms;
	int64_t last_time_ms;
	uint32_t left;
	uint32_t i;
	uint32_t prev_time_delta;
};

void slc_block_iter_init(struct slc_block_iter *it, const uint8_t *payload,
	const struct slc_block_info *bi);

/*
 * Next record of the payload. Returns 1 with *r filled (pointers into the
 * payload), 0 after the last one, -EBADMSG if the payload is malformed: lengths
 * beyond the payload, key_len not 1..256, unknown record flags, not exactly count
 * records filling raw_len, seq_delta != the record's index, time deltas not
 * starting at 0, decreasing, or not ending at last_time_ms. The error is reported
 * when the iterator reaches the bad record (or the last one, for a count or
 * last-time mismatch) and stays: every later call returns -EBADMSG too.
 */
int slc_block_iter_next(struct slc_block_iter *it, struct slc_record *r);

/* CRC32C as used by the format (RFC 3720 CRC32C; check value of "123456789" is
 * 0xE3069283). */
uint32_t slc_block_crc32c(const void *p, size_t len);

#endif /* SLC_BLOCK_H */
