/*
 * Unit tests for lib/frame: the frame format v1 of docs/frame-format.md byte for
 * byte, round trips through builder, checker and iterator, every drop cause of the
 * table with exactly that cause and the documented precedence between causes,
 * every single-byte corruption and every truncation of a valid frame, trailing
 * bytes on a datagram and on a stream, the max_data boundary and the builder's
 * limits.
 *
 * Crafted frames get their CRC recomputed (fix_crc) so that only the structural
 * checks can catch them. Frames under test are copied so that their last byte
 * sits right before a PROT_NONE page: a read past what the checker or iterator
 * was given ends the test with SIGSEGV instead of passing by luck.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "slc_block.h"
#include "slc_frame.h"
#include "guard.h"

#define BUF_LEN (1u << 20)
#define MAX_DATA (1u << 20)


static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Recompute the CRC of a frame whose length field says len. */
static void
fix_crc(uint8_t *f, size_t len)
{
	wr32(f + len - 4, slc_block_crc32c(f, len - 4));
}

/* Check a copy that ends at the guard page. */
static enum slc_frame_err
check(const uint8_t *f, size_t len, bool exact, uint32_t max_data, struct slc_frame_info *fi)
{
	struct slc_frame_info tmp;

	return slc_frame_check(guarded(f, len), len, exact, max_data, fi != NULL ? fi : &tmp);
}

/* ---- a table of records to encode and compare ---- */

struct trec {
	uint16_t key_len;
	uint32_t data_len;
	bool hk;
	uint8_t key[256];
	uint8_t hash_key[16];
	const uint8_t *data;
};

static uint8_t data_pool[BUF_LEN];

static void
trec_fill(struct trec *r, uint16_t key_len, uint32_t data_len, bool hk)
{
	uint32_t i;

	r->key_len = key_len;
	r->data_len = data_len;
	r->hk = hk;
	for (i = 0; i < key_len; i++)
		r->key[i] = (uint8_t)rng();
	for (i = 0; i < 16; i++)
		r->hash_key[i] = (uint8_t)rng();
	CU_ASSERT_FATAL(data_len <= BUF_LEN);
	r->data = data_pool + rng() % (BUF_LEN - data_len + 1);
}

/* Encode n records; returns the frame length (0 if the builder failed). */
static size_t
encode(uint8_t *buf, size_t cap, uint32_t frame_id, const uint8_t *fhk, const struct trec *r,
	unsigned int n)
{
	struct slc_frame_builder b;
	unsigned int i;

	if (slc_frame_begin(&b, buf, cap, frame_id, fhk) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (slc_frame_add(&b, r[i].key, r[i].key_len, r[i].data, r[i].data_len,
				r[i].hk ? r[i].hash_key : NULL) != 0)
			return 0;
	return slc_frame_end(&b);
}

/* Check, iterate and compare every record against r. */
static void
expect_records(const uint8_t *f, size_t len, uint32_t frame_id, const uint8_t *fhk,
	const struct trec *r, unsigned int n)
{
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec rec;
	const uint8_t *g = guarded(f, len);
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(slc_frame_check(g, len, true, MAX_DATA, &fi), SLC_FRAME_OK);
	CU_ASSERT_EQUAL(fi.length, len);
	CU_ASSERT_EQUAL(fi.frame_id, frame_id);
	CU_ASSERT_EQUAL(fi.count, n);
	CU_ASSERT_EQUAL(fi.has_hash_key, fhk != NULL);
	if (fhk != NULL)
		CU_ASSERT(memcmp(fi.hash_key, fhk, 16) == 0);
	CU_ASSERT(fi.records == g + (fhk != NULL ? 32 : 16));
	CU_ASSERT(fi.end == g + len - 4);
	slc_frame_iter_init(&it, &fi);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(slc_frame_iter_next(&it, &rec), 1);
		CU_ASSERT_EQUAL(rec.key_len, r[i].key_len);
		CU_ASSERT_EQUAL(rec.data_len, r[i].data_len);
		CU_ASSERT_EQUAL(rec.has_hash_key, r[i].hk);
		CU_ASSERT(memcmp(rec.key, r[i].key, r[i].key_len) == 0);
		CU_ASSERT(r[i].data_len == 0 || memcmp(rec.data, r[i].data, r[i].data_len) == 0);
		if (r[i].hk) {
			CU_ASSERT(rec.hash_key != NULL && memcmp(rec.hash_key, r[i].hash_key, 16) == 0);
		} else {
			CU_ASSERT(rec.hash_key == NULL);
		}
		CU_ASSERT(rec.key >= g && rec.data + rec.data_len <= fi.end);
	}
	CU_ASSERT_EQUAL(slc_frame_iter_next(&it, &rec), 0);
	CU_ASSERT_EQUAL(slc_frame_iter_next(&it, &rec), 0);
}

static uint8_t fbuf[BUF_LEN];
static uint8_t fbuf2[BUF_LEN];

static const uint8_t fhk_bytes[16] = {
	0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0xff,
};

/*
 * A valid 2-record frame without frame hash key: record 0 "ab" + "xyz",
 * record 1 "k" + 0 bytes. Returns its length (16 + 8+2+3 + 8+1 + 4 = 42).
 */
static size_t
two_records(uint8_t *f)
{
	struct slc_frame_builder b;

	CU_ASSERT_FATAL(slc_frame_begin(&b, f, BUF_LEN, 7, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "ab", 2, "xyz", 3, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "k", 1, NULL, 0, NULL) == 0);
	return slc_frame_end(&b);
}

#define R0 16           /* record 0 of two_records() */
#define R1 (16 + 13)    /* record 1 */

/* ---- names and layout ---- */

static void
test_slc_frame_err_name_all(void)
{
	static const char *const want[] = {
		"ok", "short", "magic", "version", "flags", "length", "crc", "count",
		"key_len", "record_len", "too_big",
	};
	unsigned int i;

	CU_ASSERT_EQUAL(sizeof(want) / sizeof(want[0]), SLC_FRAME_E_MAX);
	for (i = 0; i < SLC_FRAME_E_MAX; i++)
		CU_ASSERT_STRING_EQUAL(slc_frame_err_name((enum slc_frame_err)i), want[i]);
	CU_ASSERT_STRING_EQUAL(slc_frame_err_name(SLC_FRAME_E_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(slc_frame_err_name((enum slc_frame_err)-1), "unknown");
}

static void
test_slc_frame_end_layout(void)
{
	struct slc_frame_builder b;
	uint8_t want[128];
	uint8_t rhk[16];
	size_t n, i;

	for (i = 0; i < 16; i++)
		rhk[i] = (uint8_t)(0xa0 + i);
	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 0x11223344u, fhk_bytes) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "key", 3, "DATA!", 5, rhk) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "z", 1, "", 0, NULL) == 0);
	CU_ASSERT_EQUAL(b.count, 2);
	n = slc_frame_end(&b);
	/* 16 header + 16 frame key + (8 + 16 + 3 + 5) + (8 + 1) + 4 CRC */
	CU_ASSERT_EQUAL_FATAL(n, 16 + 16 + 32 + 9 + 4);

	memset(want, 0, sizeof(want));
	memcpy(want, "SLF1", 4);
	want[4] = 1;
	want[5] = 0x01;
	wr16(want + 6, 2);
	wr32(want + 8, (uint32_t)n);
	wr32(want + 12, 0x11223344u);
	memcpy(want + 16, fhk_bytes, 16);
	wr16(want + 32, 3);
	want[34] = 0x01;
	want[35] = 0;
	wr32(want + 36, 5);
	memcpy(want + 40, rhk, 16);
	memcpy(want + 56, "key", 3);
	memcpy(want + 59, "DATA!", 5);
	wr16(want + 64, 1);
	want[66] = 0;
	want[67] = 0;
	wr32(want + 68, 0);
	want[72] = 'z';
	wr32(want + 73, slc_block_crc32c(want, 73));
	CU_ASSERT(memcmp(fbuf, want, n) == 0);
	/* The frame's CRC is the standard CRC32C the spec points at. */
	CU_ASSERT_EQUAL(slc_block_crc32c("123456789", 9), 0xE3069283u);
	/* end() is idempotent. */
	CU_ASSERT_EQUAL(slc_frame_end(&b), n);
	CU_ASSERT(memcmp(fbuf, want, n) == 0);
}

static void
test_slc_frame_end_empty(void)
{
	struct slc_frame_builder b;

	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 1, NULL) == 0);
	CU_ASSERT_EQUAL(slc_frame_end(&b), 0);
	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 1, fhk_bytes) == 0);
	CU_ASSERT_EQUAL(slc_frame_end(&b), 0);
}

/* ---- round trips ---- */

static void
test_slc_frame_check_round_trip(void)
{
	static struct trec r[64];
	unsigned int fk, i, n;
	size_t len;

	for (fk = 0; fk < 2; fk++) {
		const uint8_t *fhk = fk ? fhk_bytes : NULL;

		/* One record of each shape. */
		trec_fill(&r[0], 1, 0, false);          /* 1-byte key, 0-byte data */
		trec_fill(&r[1], 256, 0, true);         /* 256-byte key, hash key, no data */
		trec_fill(&r[2], 256, 1000, false);
		trec_fill(&r[3], 16, 64, true);
		trec_fill(&r[4], 32, 0, true);
		trec_fill(&r[5], 7, 65536, false);
		for (i = 0; i < 6; i++) {
			len = encode(fbuf, sizeof(fbuf), 100 + i, fhk, &r[i], 1);
			CU_ASSERT_FATAL(len > 0);
			expect_records(fbuf, len, 100 + i, fhk, &r[i], 1);
		}
		/* All of them in one frame, and random mixes. */
		len = encode(fbuf, sizeof(fbuf), 0xffffffffu, fhk, r, 6);
		CU_ASSERT_FATAL(len > 0);
		expect_records(fbuf, len, 0xffffffffu, fhk, r, 6);
		for (n = 1; n <= 64; n += 7) {
			for (i = 0; i < n; i++)
				trec_fill(&r[i], (uint16_t)(1 + rng() % 256), (uint32_t)(rng() % 300),
					rng() & 1);
			len = encode(fbuf, sizeof(fbuf), n, fhk, r, n);
			CU_ASSERT_FATAL(len > 0);
			expect_records(fbuf, len, n, fhk, r, n);
		}
	}
}

static void
test_slc_frame_iter_next_count(void)
{
	static struct trec r[1000];
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec rec;
	unsigned int i, got;
	size_t len;

	for (i = 0; i < 1000; i++)
		trec_fill(&r[i], (uint16_t)(1 + i % 40), i % 3 == 0 ? 0 : i % 100, i % 5 == 0);
	len = encode(fbuf, sizeof(fbuf), 9, NULL, r, 1000);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL_FATAL(check(fbuf, len, true, MAX_DATA, &fi), SLC_FRAME_OK);
	CU_ASSERT_EQUAL(fi.count, 1000);
	slc_frame_iter_init(&it, &fi);
	got = 0;
	while (slc_frame_iter_next(&it, &rec) == 1) {
		CU_ASSERT_EQUAL(rec.key_len, r[got].key_len);
		CU_ASSERT_EQUAL(rec.data_len, r[got].data_len);
		got++;
		CU_ASSERT_FATAL(got <= 1000);
	}
	CU_ASSERT_EQUAL(got, 1000);
	CU_ASSERT(it.p == fi.end);
	CU_ASSERT_EQUAL(it.left, 0);
}

/* ---- every cause ---- */

static void
test_slc_frame_check_short(void)
{
	uint8_t f[64];
	size_t len = two_records(f);
	size_t i;

	/* Fewer than 20 bytes, whatever they are. */
	for (i = 0; i < SLC_FRAME_MIN_LEN; i++) {
		CU_ASSERT_EQUAL(check(f, i, true, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
		CU_ASSERT_EQUAL(check(f, i, false, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
	}
	/* length one above the bytes received. */
	wr32(f + 8, (uint32_t)len + 1);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
	CU_ASSERT_EQUAL(check(f, len, false, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
	wr32(f + 8, 0xffffffffu);
	CU_ASSERT_EQUAL(check(f, len, false, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
}

static void
test_slc_frame_check_magic_version(void)
{
	uint8_t f[64];
	size_t len = two_records(f);

	f[3] = '2';
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_MAGIC);
	f[3] = '1';
	f[0] = 's';
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_MAGIC);
	f[0] = 'S';
	f[4] = 2;
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_VERSION);
	f[4] = 0;
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_VERSION);
	f[4] = 1;
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_OK);
}

static void
test_slc_frame_check_flags(void)
{
	uint8_t g[64], f[64];
	size_t len = two_records(g);
	unsigned int bit;

	for (bit = 1; bit < 8; bit++) {
		/* Frame flags: an unknown bit, alone or with the hash-key bit. */
		memcpy(f, g, len);
		f[5] = (uint8_t)(1u << bit);
		fix_crc(f, len);
		CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
		f[5] |= SLC_FRAME_F_HASHKEY;
		fix_crc(f, len);
		CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
		/* Record flags of the first and of the last record. */
		memcpy(f, g, len);
		f[R0 + 2] = (uint8_t)(1u << bit);
		fix_crc(f, len);
		CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
		memcpy(f, g, len);
		f[R1 + 2] = (uint8_t)(1u << bit);
		fix_crc(f, len);
		CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
		/* Reserved byte. */
		memcpy(f, g, len);
		f[R1 + 3] = (uint8_t)(1u << bit);
		fix_crc(f, len);
		CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
	}
	memcpy(f, g, len);
	f[R0 + 3] = 1;
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
}

static void
test_slc_frame_check_length(void)
{
	uint8_t f[128];
	size_t len = two_records(f);
	struct slc_frame_info fi;
	struct slc_frame_builder b;

	/* Trailing bytes on a datagram. */
	f[len] = 0;
	CU_ASSERT_EQUAL(check(f, len + 1, true, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	CU_ASSERT_EQUAL(check(f, len + 1, false, MAX_DATA, &fi), SLC_FRAME_OK);
	CU_ASSERT_EQUAL(fi.length, len);
	/* length below the minimum of 20 (the bytes are there). */
	wr32(f + 8, 19);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	CU_ASSERT_EQUAL(check(f, len, false, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	wr32(f + 8, 0);
	CU_ASSERT_EQUAL(check(f, len, false, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	/* With a frame hash key the minimum is 36. */
	CU_ASSERT_FATAL(slc_frame_begin(&b, f, sizeof(f), 1, fhk_bytes) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "k", 1, "d", 1, NULL) == 0);
	len = slc_frame_end(&b);
	CU_ASSERT_EQUAL_FATAL(len, 16 + 16 + 10 + 4);
	wr32(f + 8, 35);
	fix_crc(f, 35);
	CU_ASSERT_EQUAL(check(f, len, false, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	/* ... and exactly 36 is not a length error (no room for a record: count). */
	wr16(f + 6, 0);
	wr32(f + 8, 36);
	fix_crc(f, 36);
	CU_ASSERT_EQUAL(check(f, 36, true, MAX_DATA, NULL), SLC_FRAME_E_COUNT);
	/* 20 bytes, no key: no length error either. */
	memcpy(f, "SLF1\x01\x00\x00\x00", 8);
	wr32(f + 8, 20);
	wr32(f + 12, 0);
	fix_crc(f, 20);
	CU_ASSERT_EQUAL(check(f, 20, true, MAX_DATA, NULL), SLC_FRAME_E_COUNT);
}

static void
test_slc_frame_check_crc(void)
{
	uint8_t f[64];
	size_t len = two_records(f);
	struct slc_frame_info fi;

	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, &fi), SLC_FRAME_OK);
	f[len - 1] ^= 0x80;
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	f[len - 1] ^= 0x80;
	f[R0 + 8] ^= 1;         /* a key byte */
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	f[R0 + 8] ^= 1;
	f[12] ^= 1;             /* frame_id is covered too */
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
}

static void
test_slc_frame_check_count(void)
{
	uint8_t g[64], f[64];
	size_t len = two_records(g);

	/* count 0 */
	memcpy(f, g, len);
	wr16(f + 6, 0);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_COUNT);
	/* count 1 of 2: the records stop short of the CRC. */
	memcpy(f, g, len);
	wr16(f + 6, 1);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_COUNT);
	/* One stray byte between the last record and the CRC. */
	memcpy(f, g, len - 4);
	f[len - 4] = 0;
	wr32(f + 8, (uint32_t)len + 1);
	fix_crc(f, len + 1);
	CU_ASSERT_EQUAL(check(f, len + 1, true, MAX_DATA, NULL), SLC_FRAME_E_COUNT);
}

static void
test_slc_frame_check_key_len(void)
{
	uint8_t f[512];
	struct slc_frame_builder b;
	uint8_t key[256];
	size_t len;

	memset(key, 'k', sizeof(key));
	/* key_len 0: same bytes, the key byte counted as data. */
	len = two_records(f);
	wr16(f + R1, 0);
	wr32(f + R1 + 4, 1);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_KEY_LEN);
	/* key_len 257: a 256-byte key + 1 data byte re-read as a 257-byte key. */
	CU_ASSERT_FATAL(slc_frame_begin(&b, f, sizeof(f), 1, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, key, 256, "d", 1, NULL) == 0);
	len = slc_frame_end(&b);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_OK);
	wr16(f + 16, 257);
	wr32(f + 20, 0);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_KEY_LEN);
	/* key_len 65535 that does fit before the CRC is still key_len. */
	CU_ASSERT_FATAL(sizeof(fbuf) > 70000);
	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 1, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, key, 1, data_pool, 65534, NULL) == 0);
	len = slc_frame_end(&b);
	wr16(fbuf + 16, 65535);
	wr32(fbuf + 20, 0);
	fix_crc(fbuf, len);
	CU_ASSERT_EQUAL(check(fbuf, len, true, MAX_DATA, NULL), SLC_FRAME_E_KEY_LEN);
}

static void
test_slc_frame_check_record_len(void)
{
	uint8_t g[64], f[64];
	size_t len = two_records(g);

	/* The last record's data one byte past the CRC. */
	memcpy(f, g, len);
	wr32(f + R1 + 4, 1);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_RECORD_LEN);
	/* data_len 0xffffffff: no wrap-around. */
	memcpy(f, g, len);
	wr32(f + R0 + 4, 0xffffffffu);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, 0xffffffffu, NULL), SLC_FRAME_E_RECORD_LEN);
	/* The record's hash key flag makes it 16 bytes longer than what is there. */
	memcpy(f, g, len);
	f[R1 + 2] = SLC_FRAME_REC_F_HASHKEY;
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_RECORD_LEN);
	/* count 3 of 2: the third header would start at the CRC. */
	memcpy(f, g, len);
	wr16(f + 6, 3);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_RECORD_LEN);
	wr16(f + 6, 65535);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_RECORD_LEN);
	/* count 2, but only 7 bytes (less than a header) after record 0. */
	memcpy(f, g, len);
	wr32(f + 8, R1 + 7 + 4);
	fix_crc(f, R1 + 7 + 4);
	CU_ASSERT_EQUAL(check(f, R1 + 7 + 4, true, MAX_DATA, NULL), SLC_FRAME_E_RECORD_LEN);
}

static void
test_slc_frame_check_too_big(void)
{
	struct slc_frame_builder b;
	struct slc_frame_info fi;
	size_t len;

	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 1, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "a", 1, data_pool, 10, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "b", 1, data_pool, 1000, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "c", 1, NULL, 0, NULL) == 0);
	len = slc_frame_end(&b);
	CU_ASSERT_EQUAL(check(fbuf, len, true, 1000, &fi), SLC_FRAME_OK);
	CU_ASSERT_EQUAL(check(fbuf, len, true, 999, NULL), SLC_FRAME_E_TOO_BIG);
	CU_ASSERT_EQUAL(check(fbuf, len, true, 10, NULL), SLC_FRAME_E_TOO_BIG);
	CU_ASSERT_EQUAL(check(fbuf, len, false, 0, NULL), SLC_FRAME_E_TOO_BIG);
	/* 0-byte data passes max_data 0. */
	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 1, NULL) == 0);
	CU_ASSERT_FATAL(slc_frame_add(&b, "c", 1, NULL, 0, NULL) == 0);
	len = slc_frame_end(&b);
	CU_ASSERT_EQUAL(check(fbuf, len, true, 0, NULL), SLC_FRAME_OK);
}

/* Cause precedence: for each pair, the earlier cause of the table wins. */
static void
test_slc_frame_check_precedence(void)
{
	uint8_t g[64], f[64];
	size_t len = two_records(g);

	/* short beats magic: too few bytes, and too few for the length field. */
	memcpy(f, g, len);
	f[0] = 'X';
	CU_ASSERT_EQUAL(check(f, 19, true, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
	CU_ASSERT_EQUAL(check(f, len - 1, true, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
	/* magic beats version, flags, crc */
	f[4] = 9;
	f[5] = 0xfe;
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_MAGIC);
	/* version beats flags */
	f[0] = 'S';
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_VERSION);
	/* frame flags beat length (trailing) and crc */
	f[4] = 1;
	f[len] = 0;
	CU_ASSERT_EQUAL(check(f, len + 1, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
	/* a record's flags beat length, crc, and a key_len error in an earlier record */
	memcpy(f, g, len);
	f[R1 + 2] = 0x40;
	wr16(f + R0, 0);
	wr32(f + R0 + 4, 5);
	f[len] = 0;
	CU_ASSERT_EQUAL(check(f, len + 1, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_FLAGS);
	/* ... but the walk stops where a record runs past: flags after that are unseen */
	memcpy(f, g, len);
	wr32(f + R0 + 4, 100);
	f[R1 + 2] = 0x40;
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_RECORD_LEN);
	/* length (trailing) beats crc */
	memcpy(f, g, len);
	f[len - 1] ^= 1;
	f[len] = 0;
	CU_ASSERT_EQUAL(check(f, len + 1, true, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	CU_ASSERT_EQUAL(check(f, len + 1, false, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	/* length below the minimum beats a bad record flag where the records would be */
	memcpy(f, g, len);
	f[R0 + 2] = 0x40;
	wr32(f + 8, 19);
	CU_ASSERT_EQUAL(check(f, len, false, MAX_DATA, NULL), SLC_FRAME_E_LENGTH);
	/* crc beats count, key_len, record_len, too_big */
	memcpy(f, g, len);
	wr16(f + 6, 0);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	memcpy(f, g, len);
	wr16(f + R1, 0);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	memcpy(f, g, len);
	wr16(f + 6, 3);
	CU_ASSERT_EQUAL(check(f, len, true, MAX_DATA, NULL), SLC_FRAME_E_CRC);
	memcpy(f, g, len);
	CU_ASSERT_EQUAL(check(f, len, true, 0, NULL), SLC_FRAME_E_TOO_BIG);
	f[R0 + 9] ^= 1;
	CU_ASSERT_EQUAL(check(f, len, true, 0, NULL), SLC_FRAME_E_CRC);
	/* count beats key_len and too_big: count 1 of 2 records, record 0 key_len 0 */
	memcpy(f, g, len);
	wr16(f + 6, 1);
	wr16(f + R0, 0);
	wr32(f + R0 + 4, 5);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, 0, NULL), SLC_FRAME_E_COUNT);
	/* key_len beats record_len (a later record) and too_big */
	memcpy(f, g, len);
	wr16(f + R0, 0);
	wr32(f + R0 + 4, 5);
	wr32(f + R1 + 4, 1);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, 0, NULL), SLC_FRAME_E_KEY_LEN);
	/* key_len beats too_big, even in an earlier record */
	memcpy(f, g, len);
	wr16(f + R1, 0);
	wr32(f + R1 + 4, 1);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, 2, NULL), SLC_FRAME_E_KEY_LEN);
	/* record_len beats too_big */
	memcpy(f, g, len);
	wr32(f + R1 + 4, 1);
	fix_crc(f, len);
	CU_ASSERT_EQUAL(check(f, len, true, 0, NULL), SLC_FRAME_E_RECORD_LEN);
}

/* ---- corruption and truncation ---- */

static size_t
sample_frame(uint8_t *f, bool fhk)
{
	static struct trec r[4];

	rng_state = 0x1234567;
	trec_fill(&r[0], 3, 5, true);
	trec_fill(&r[1], 1, 0, false);
	trec_fill(&r[2], 20, 17, false);
	trec_fill(&r[3], 2, 1, true);
	return encode(f, BUF_LEN, 0xabcdef, fhk ? fhk_bytes : NULL, r, 4);
}

static void
test_slc_frame_check_corrupt_every_byte(void)
{
	size_t len, i;
	unsigned int x, fk, bad_ok = 0;
	enum slc_frame_err e;

	for (fk = 0; fk < 2; fk++) {
		len = sample_frame(fbuf, fk);
		CU_ASSERT_FATAL(len > 0);
		for (i = 0; i < len; i++) {
			for (x = 1; x < 256; x++) {
				memcpy(fbuf2, fbuf, len);
				fbuf2[i] ^= (uint8_t)x;
				e = check(fbuf2, len, true, MAX_DATA, NULL);
				CU_ASSERT(e > SLC_FRAME_OK && e < SLC_FRAME_E_MAX);
				bad_ok += e == SLC_FRAME_OK;
				e = check(fbuf2, len, false, MAX_DATA, NULL);
				CU_ASSERT(e > SLC_FRAME_OK && e < SLC_FRAME_E_MAX);
				bad_ok += e == SLC_FRAME_OK;
			}
		}
	}
	CU_ASSERT_EQUAL(bad_ok, 0);
}

static void
test_slc_frame_check_truncated(void)
{
	size_t len, i;
	unsigned int fk;

	for (fk = 0; fk < 2; fk++) {
		len = sample_frame(fbuf, fk);
		CU_ASSERT_FATAL(len > 0);
		for (i = 0; i < len; i++) {
			CU_ASSERT_EQUAL(check(fbuf, i, true, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
			CU_ASSERT_EQUAL(check(fbuf, i, false, MAX_DATA, NULL), SLC_FRAME_E_SHORT);
		}
		CU_ASSERT_EQUAL(check(fbuf, len, true, MAX_DATA, NULL), SLC_FRAME_OK);
	}
}

static void
test_slc_frame_check_stream(void)
{
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec rec;
	const uint8_t *g, *q;
	size_t a, b, left, i;
	unsigned int frames = 0;

	/* Two frames back to back plus 3 bytes of the start of a third. */
	a = sample_frame(fbuf, false);
	b = sample_frame(fbuf + a, true);
	memcpy(fbuf + a + b, "SLF", 3);
	left = a + b + 3;
	g = guarded(fbuf, left);
	q = g;
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(slc_frame_check(q, left, false, MAX_DATA, &fi), SLC_FRAME_OK);
		CU_ASSERT_EQUAL(fi.length, i == 0 ? a : b);
		CU_ASSERT_EQUAL(fi.has_hash_key, i == 1);
		CU_ASSERT(fi.end == q + fi.length - 4);
		slc_frame_iter_init(&it, &fi);
		while (slc_frame_iter_next(&it, &rec) == 1)
			CU_ASSERT(rec.data + rec.data_len <= fi.end);
		CU_ASSERT(it.p == fi.end);
		CU_ASSERT_EQUAL(slc_frame_check(q, left, true, MAX_DATA, &fi), SLC_FRAME_E_LENGTH);
		q += i == 0 ? a : b;
		left -= i == 0 ? a : b;
		frames++;
	}
	CU_ASSERT_EQUAL(frames, 2);
	CU_ASSERT_EQUAL(slc_frame_check(q, left, false, MAX_DATA, &fi), SLC_FRAME_E_SHORT);
}

/* Random mutations of valid frames: never a read out of bounds, and when one is
 * accepted, its records stay inside it. */
static void
test_slc_frame_check_random(void)
{
	static struct trec r[8];
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec rec;
	unsigned int round, i, n, hist[SLC_FRAME_E_MAX] = {0};
	enum slc_frame_err e;
	size_t len;
	uint8_t *g;

	for (round = 0; round < 20000; round++) {
		n = 1 + rng() % 8;
		for (i = 0; i < n; i++)
			trec_fill(&r[i], (uint16_t)(1 + rng() % 20), (uint32_t)(rng() % 40), rng() & 1);
		len = encode(fbuf, sizeof(fbuf), round, (rng() & 1) ? fhk_bytes : NULL, r, n);
		CU_ASSERT_FATAL(len > 0);
		/* Mutate a header or record length field, then maybe make the CRC good. */
		i = rng() % 4;
		while (i-- > 0)
			fbuf[rng() % len] = (uint8_t)rng();
		if (rng() & 1)
			fix_crc(fbuf, len);
		g = guarded(fbuf, len);
		e = slc_frame_check(g, len, rng() & 1, (uint32_t)(rng() % 64), &fi);
		CU_ASSERT_FATAL(e < SLC_FRAME_E_MAX);
		hist[e]++;
		if (e != SLC_FRAME_OK)
			continue;
		slc_frame_iter_init(&it, &fi);
		i = 0;
		while (slc_frame_iter_next(&it, &rec) == 1) {
			CU_ASSERT_FATAL(rec.key >= fi.records && rec.data + rec.data_len <= fi.end);
			CU_ASSERT(rec.key_len >= 1 && rec.key_len <= 256);
			i++;
		}
		CU_ASSERT_EQUAL(i, fi.count);
	}
	/* The mutations reach the structural causes, not only crc. */
	CU_ASSERT(hist[SLC_FRAME_OK] > 0);
	CU_ASSERT(hist[SLC_FRAME_E_CRC] > 0);
	CU_ASSERT(hist[SLC_FRAME_E_RECORD_LEN] > 0);
	CU_ASSERT(hist[SLC_FRAME_E_FLAGS] > 0);
	CU_ASSERT(hist[SLC_FRAME_E_TOO_BIG] > 0);
}

/* ---- builder limits ---- */

static void
test_slc_frame_begin_enospc(void)
{
	struct slc_frame_builder b;

	CU_ASSERT_EQUAL(slc_frame_begin(&b, fbuf, 19, 1, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(slc_frame_begin(&b, fbuf, 0, 1, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(slc_frame_begin(&b, fbuf, 20, 1, NULL), 0);
	CU_ASSERT_EQUAL(slc_frame_add(&b, "k", 1, NULL, 0, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(slc_frame_end(&b), 0);
	CU_ASSERT_EQUAL(slc_frame_begin(&b, fbuf, 35, 1, fhk_bytes), -ENOSPC);
	CU_ASSERT_EQUAL(slc_frame_begin(&b, fbuf, 36, 1, fhk_bytes), 0);
	CU_ASSERT_EQUAL(slc_frame_add(&b, "k", 1, NULL, 0, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(slc_frame_begin(&b, fbuf, 36 + 9, 1, fhk_bytes), 0);
	CU_ASSERT_EQUAL(slc_frame_add(&b, "k", 1, NULL, 0, NULL), 0);
	CU_ASSERT_EQUAL(slc_frame_end(&b), 45);
}

static void
test_slc_frame_add_enospc_boundary(void)
{
	static struct trec r[5];
	struct slc_frame_builder b;
	size_t full, cap, blen;
	unsigned int i, fk;
	int rc;

	for (fk = 0; fk < 2; fk++) {
		const uint8_t *fhk = fk ? fhk_bytes : NULL;

		trec_fill(&r[0], 10, 100, true);
		trec_fill(&r[1], 256, 0, false);
		trec_fill(&r[2], 1, 1, true);
		trec_fill(&r[3], 5, 7, false);
		trec_fill(&r[4], 33, 0, true);
		full = encode(fbuf, sizeof(fbuf), 3, fhk, r, 5);
		CU_ASSERT_FATAL(full > 0);
		/* cap == the frame's length: every add fits. */
		memset(fbuf2, 0xee, sizeof(fbuf2));
		CU_ASSERT_EQUAL(encode(fbuf2, full, 3, fhk, r, 5), full);
		CU_ASSERT(memcmp(fbuf, fbuf2, full) == 0);
		CU_ASSERT_EQUAL(fbuf2[full], 0xee);
		/* One byte less: the last add fails with the frame unchanged. */
		for (cap = full - 1; cap + 16 >= full; cap--) {
			memset(fbuf2, 0xee, sizeof(fbuf2));
			CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf2, cap, 3, fhk) == 0);
			for (i = 0; i < 4; i++)
				CU_ASSERT_FATAL(slc_frame_add(&b, r[i].key, r[i].key_len, r[i].data,
					r[i].data_len, r[i].hk ? r[i].hash_key : NULL) == 0);
			blen = b.len;
			memcpy(fbuf, fbuf2, sizeof(fbuf));
			rc = slc_frame_add(&b, r[4].key, r[4].key_len, r[4].data, r[4].data_len,
				r[4].hash_key);
			CU_ASSERT_EQUAL(rc, -ENOSPC);
			CU_ASSERT_EQUAL(b.len, blen);
			CU_ASSERT_EQUAL(b.count, 4);
			CU_ASSERT(memcmp(fbuf, fbuf2, sizeof(fbuf)) == 0);
			/* The frame of the first four is still good. */
			CU_ASSERT_EQUAL(slc_frame_end(&b), blen + 4);
			expect_records(fbuf2, blen + 4, 3, fhk, r, 4);
		}
	}
}

static void
test_slc_frame_add_einval(void)
{
	struct slc_frame_builder b;
	struct slc_frame_info fi;
	struct slc_frame_iter it;
	struct slc_frame_rec rec;
	uint8_t key[300];
	size_t blen, len;
	unsigned int i;
	static uint8_t big[65535 * 9 + 64];

	memset(key, 'k', sizeof(key));
	CU_ASSERT_FATAL(slc_frame_begin(&b, fbuf, sizeof(fbuf), 1, NULL) == 0);
	blen = b.len;
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 0, "d", 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 257, "d", 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 65535, "d", 1, NULL), -EINVAL);
	/* EINVAL wins over ENOSPC. */
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 0, data_pool, 0xffffffffu, NULL), -EINVAL);
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 1, data_pool, 0xffffffffu, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(b.len, blen);
	CU_ASSERT_EQUAL(b.count, 0);
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 256, "d", 1, NULL), 0);
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 1, "d", 1, NULL), 0);

	/* 65535 records fit the count field; the 65536th is refused. */
	CU_ASSERT_FATAL(slc_frame_begin(&b, big, sizeof(big), 1, NULL) == 0);
	for (i = 0; i < 65535; i++) {
		key[0] = (uint8_t)i;
		CU_ASSERT_FATAL(slc_frame_add(&b, key, 1, NULL, 0, NULL) == 0);
	}
	CU_ASSERT_EQUAL(slc_frame_add(&b, key, 1, NULL, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(b.count, 65535);
	len = slc_frame_end(&b);
	CU_ASSERT_EQUAL_FATAL(len, 16 + 65535 * 9 + 4);
	CU_ASSERT_EQUAL_FATAL(slc_frame_check(big, len, true, 0, &fi), SLC_FRAME_OK);
	CU_ASSERT_EQUAL(fi.count, 65535);
	slc_frame_iter_init(&it, &fi);
	i = 0;
	while (slc_frame_iter_next(&it, &rec) == 1) {
		CU_ASSERT(rec.key[0] == (uint8_t)i);
		i++;
	}
	CU_ASSERT_EQUAL(i, 65535);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int fails;
	size_t i;

	if (guard_init("test_frame") != 0)
		return 1;
	for (i = 0; i < sizeof(data_pool); i++)
		data_pool[i] = (uint8_t)rng();

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("frame", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "err_name_all", test_slc_frame_err_name_all) == NULL ||
	    CU_add_test(s, "end_layout", test_slc_frame_end_layout) == NULL ||
	    CU_add_test(s, "end_empty", test_slc_frame_end_empty) == NULL ||
	    CU_add_test(s, "check_round_trip", test_slc_frame_check_round_trip) == NULL ||
	    CU_add_test(s, "iter_next_count", test_slc_frame_iter_next_count) == NULL ||
	    CU_add_test(s, "check_short", test_slc_frame_check_short) == NULL ||
	    CU_add_test(s, "check_magic_version", test_slc_frame_check_magic_version) == NULL ||
	    CU_add_test(s, "check_flags", test_slc_frame_check_flags) == NULL ||
	    CU_add_test(s, "check_length", test_slc_frame_check_length) == NULL ||
	    CU_add_test(s, "check_crc", test_slc_frame_check_crc) == NULL ||
	    CU_add_test(s, "check_count", test_slc_frame_check_count) == NULL ||
	    CU_add_test(s, "check_key_len", test_slc_frame_check_key_len) == NULL ||
	    CU_add_test(s, "check_record_len", test_slc_frame_check_record_len) == NULL ||
	    CU_add_test(s, "check_too_big", test_slc_frame_check_too_big) == NULL ||
	    CU_add_test(s, "check_precedence", test_slc_frame_check_precedence) == NULL ||
	    CU_add_test(s, "check_corrupt_every_byte",
		test_slc_frame_check_corrupt_every_byte) == NULL ||
	    CU_add_test(s, "check_truncated", test_slc_frame_check_truncated) == NULL ||
	    CU_add_test(s, "check_stream", test_slc_frame_check_stream) == NULL ||
	    CU_add_test(s, "check_random", test_slc_frame_check_random) == NULL ||
	    CU_add_test(s, "begin_enospc", test_slc_frame_begin_enospc) == NULL ||
	    CU_add_test(s, "add_enospc_boundary", test_slc_frame_add_enospc_boundary) == NULL ||
	    CU_add_test(s, "add_einval", test_slc_frame_add_einval) == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	guard_fini();
	return fails == 0 ? 0 : 1;
}
