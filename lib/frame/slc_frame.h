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

#endif /* SLC_FRAME_H */
