/*
 * @file
 * slc_frame: the framed record format v1 (docs/frame-format.md): decoding with
 * every length checked against the bytes received, and encoding for producers,
 * the generator and tests.
 *
 * Decoding is two-step: slc_frame_check() validates the whole frame (CRC,
 * structure, every record's lengths) and only then does the iterator hand out
 * records, so a bad frame never yields a record. Pure functions on caller
 * memory, no allocation, no global state: any core may call them.
 */
#ifndef SLC_FRAME_H
#define SLC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slc_block.h"
#include "slc_hashkey.h"

#define SLC_FRAME_MAGIC "SLF1"
#define SLC_FRAME_VERSION 1
#define SLC_FRAME_HDR_LEN 16
#define SLC_FRAME_CRC_LEN 4
#define SLC_FRAME_MIN_LEN (SLC_FRAME_HDR_LEN + SLC_FRAME_CRC_LEN)
#define SLC_FRAME_F_HASHKEY 0x01u      /* frame flags: frame hash key follows */
#define SLC_FRAME_REC_HDR_LEN 8
#define SLC_FRAME_REC_F_HASHKEY 0x01u  /* record flags: explicit hash key follows */

/* Why a frame was dropped; the counters are indexed by this. */
enum slc_frame_err {
	SLC_FRAME_OK = 0,
	SLC_FRAME_E_SHORT,
	SLC_FRAME_E_MAGIC,
	SLC_FRAME_E_VERSION,
	SLC_FRAME_E_FLAGS,
	SLC_FRAME_E_LENGTH,
	SLC_FRAME_E_CRC,
	SLC_FRAME_E_COUNT,
	SLC_FRAME_E_KEY_LEN,
	SLC_FRAME_E_RECORD_LEN,
	SLC_FRAME_E_TOO_BIG,
	SLC_FRAME_E_MAX,
};

/* "short", "magic", ... as in docs/frame-format.md; "ok" for SLC_FRAME_OK. */
const char *slc_frame_err_name(enum slc_frame_err e);

struct slc_frame_info {
	uint32_t length;
	uint32_t frame_id;
	uint16_t count;
	bool has_hash_key;
	uint8_t hash_key[16];          /* big-endian, if has_hash_key */
	const uint8_t *records;        /* first record */
	const uint8_t *end;            /* the CRC */
};

/*
 * Validate the frame in p[0..len). exact: the frame must fill len exactly (UDP);
 * otherwise bytes after it are allowed (a stream) and fi->length says where it
 * ends. max_data: the largest data_len accepted. Returns SLC_FRAME_OK with *fi
 * filled, or the first cause that applies (docs/frame-format.md, "Validation").
 */
enum slc_frame_err slc_frame_check(const void *p, size_t len, bool exact, uint32_t max_data,
	struct slc_frame_info *fi);

struct slc_frame_rec {
	const uint8_t *key;
	const uint8_t *data;
	uint32_t data_len;
	uint16_t key_len;
	bool has_hash_key;
	const uint8_t *hash_key;       /* 16 bytes big-endian, if has_hash_key */
};

struct slc_frame_iter {
	const uint8_t *p;
	const uint8_t *end;
	uint16_t left;
};

/* Iterate the records of a frame that slc_frame_check() accepted. */
void slc_frame_iter_init(struct slc_frame_iter *it, const struct slc_frame_info *fi);

/* Next record: 1 with *r filled (pointers into the frame), 0 after the last. */
int slc_frame_iter_next(struct slc_frame_iter *it, struct slc_frame_rec *r);

/*
 * A record of a checked frame as the record to store, and the hash key that
 * routes it (fh: slc_hashkey_from_be(fi->hash_key), computed once per frame, used
 * when fi->has_hash_key). The routing key is stored with the record as its
 * explicit hash key: a frame hash key overrides the records' own, so readers
 * (lineage) place every record where it was routed. sluiced and the kernel-path
 * benchmarks route with this one function.
 */
static inline slc_u128
slc_frame_record(const struct slc_frame_info *fi, slc_u128 fh, const struct slc_frame_rec *fr,
	struct slc_record *r)
{
	r->key = fr->key;
	r->key_len = fr->key_len;
	r->data = fr->data;
	r->data_len = fr->data_len;
	r->has_hash_key = fr->has_hash_key || fi->has_hash_key;
	if (fi->has_hash_key) {
		memcpy(r->hash_key, fi->hash_key, 16);
		return fh;
	}
	if (fr->has_hash_key) {
		memcpy(r->hash_key, fr->hash_key, 16);
		return slc_hashkey_from_be(fr->hash_key);
	}
	return slc_hashkey_md5(fr->key, fr->key_len);
}

/* ---- encoding ---- */

struct slc_frame_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t count;
};

/*
 * Start a frame in buf[0..cap). hash_key (16 bytes big-endian) or NULL. Returns 0
 * or -ENOSPC if cap cannot hold an empty frame.
 */
int slc_frame_begin(struct slc_frame_builder *b, void *buf, size_t cap, uint32_t frame_id,
	const uint8_t *hash_key);

/*
 * Add a record (hash_key may be NULL). Returns 0, -ENOSPC if it does not fit (the
 * frame is unchanged), -EINVAL for a key length not in 1..256 or 65535 records.
 */
int slc_frame_add(struct slc_frame_builder *b, const void *key, uint16_t key_len,
	const void *data, uint32_t data_len, const uint8_t *hash_key);

/* Finish: write count, length and CRC. Returns the frame length (0 if no record). */
size_t slc_frame_end(struct slc_frame_builder *b);

/* ---- acknowledgement frames (TCP; docs/frame-format.md, "Acknowledgements") ---- */

/*
 * sluiced -> producer, on the connection the frame came in on, once every record
 * of the frame is durable or has failed, in the order the frames arrived.
 * Little-endian, CRC32C trailer like a frame:
 *
 *   header (20): magic "SLA1", version 1, status, count (u16), length (u32, whole
 *                ack incl. CRC), frame_id (u32), n_groups (u16), error (u8), 0 (u8)
 *   n_groups x group (20): first (u16), n (u16), status (u8), 0 (3 x u8),
 *                shard (u32), counter (u64)
 *   crc32c (4) of every byte before it
 *
 * A group is a run of records of the frame, in frame order, with the same
 * status and shard and (stored) consecutive sequence numbers: record first + i
 * of a stored group has sequence number 2^127 + shard * 2^64 + counter + i.
 * Groups cover records 0..count-1 in order, without gaps or overlap.
 */
#define SLC_ACK_MAGIC "SLA1"
#define SLC_ACK_VERSION 1
#define SLC_ACK_HDR_LEN 20
#define SLC_ACK_GROUP_LEN 20
#define SLC_ACK_MIN_LEN (SLC_ACK_HDR_LEN + SLC_FRAME_CRC_LEN)

/* Whole-frame status. */
enum slc_ack_status {
	SLC_ACK_OK = 0,            /* every record stored and durable */
	SLC_ACK_PARTIAL = 1,       /* some records not stored: see the groups' status */
	SLC_ACK_REJECTED = 2,      /* the frame failed validation: error = enum slc_frame_err,
	                            * no group, nothing stored; the connection is then closed */
};

/* A group's status. */
enum slc_ack_rec_status {
	SLC_ACK_R_STORED = 0,      /* stored and durable */
	SLC_ACK_R_RETRY = 1,       /* not stored: the appliance was overloaded (log or ring
	                            * full); send again */
	SLC_ACK_R_TOO_BIG = 2,     /* not stored: data longer than the stream's max record */
	SLC_ACK_R_ERROR = 3,       /* not stored: the shard's log failed; send again later */
};

struct slc_ack_group {
	uint16_t first;
	uint16_t n;
	uint8_t status;            /* enum slc_ack_rec_status */
	uint32_t shard;            /* shard index (shardId-%012u) */
	uint64_t counter;          /* sequence counter of record `first` (stored groups) */
};

struct slc_ack {
	uint32_t length;
	uint32_t frame_id;
	uint16_t count;            /* records of the frame */
	uint16_t n_groups;
	uint8_t status;            /* enum slc_ack_status */
	uint8_t error;             /* enum slc_frame_err if REJECTED, else 0 */
	const uint8_t *groups;     /* first group (decode) */
};

/* Bytes of an ack with n_groups groups. */
size_t slc_ack_size(uint32_t n_groups);

/*
 * Encode an ack into buf[0..cap). status is computed from the groups unless
 * error != 0 (then REJECTED with no group). Returns the length, or 0 if cap is
 * too small.
 */
size_t slc_ack_encode(void *buf, size_t cap, uint32_t frame_id, uint16_t count, uint8_t error,
	const struct slc_ack_group *g, uint16_t n_groups);

/*
 * Decode the ack at the start of p[0..len) (a stream: bytes may follow). Returns
 * its length (> 0) with *a filled, 0 if more bytes are needed, or -EBADMSG (bad
 * magic, version, length, CRC, or groups that do not cover 0..count-1 in order).
 * In full (docs/frame-format.md, "Decoding an ack"), -EBADMSG also for: length
 * != slc_ack_size(n_groups); an unknown status, group status or a reserved byte
 * not 0; REJECTED with groups or error 0; OK/PARTIAL with error != 0 or no
 * group; OK with a group not stored, PARTIAL with every group stored. A wrong
 * magic or version is reported as soon as those bytes are in (len < 20), a
 * wrong length as soon as the header is.
 */
int slc_ack_decode(const void *p, size_t len, struct slc_ack *a);

/* Group i (< a->n_groups) of a decoded ack. */
void slc_ack_group(const struct slc_ack *a, uint16_t i, struct slc_ack_group *g);

/* "ok", "partial", "rejected"; and "stored", "retry", "too_big", "error". */
const char *slc_ack_status_name(uint8_t status);
const char *slc_ack_rec_status_name(uint8_t status);

#endif /* SLC_FRAME_H */
