/*
 * Unit tests for lib/block: the record and block encoding of docs/log-format.md
 * byte for byte, CRC32C against the RFC 3720 test vectors, the builder's limits,
 * span and padding rules, deflate round trips, and the checker and iterator
 * against every single-byte corruption, every truncation and crafted payloads
 * whose CRC was recomputed (so only the structural checks can catch them).
 *
 * Blocks under attack are copied so that their last readable byte sits right
 * before a PROT_NONE page: any read beyond what the checker or iterator was given
 * ends the test with SIGSEGV instead of passing by luck.
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
#include "slc_mem.h"

#define BUF_LEN (1u << 20)
#define GUARD_AREA (4u << 20)

static uint8_t *guard_base;     /* GUARD_AREA readable bytes, then a PROT_NONE page */

/* Copy len bytes so that they end exactly at the guard page. */
static uint8_t *
guarded(const void *src, size_t len)
{
	uint8_t *p = guard_base + GUARD_AREA - len;

	CU_ASSERT_FATAL(len <= GUARD_AREA);
	memcpy(p, src, len);
	return p;
}

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

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
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

/* Recompute the CRC of a (crafted) block in place, as a forger would. */
static void
fix_crc(uint8_t *blk)
{
	uint32_t stored = rd32(blk + 16);

	wr32(blk + 4, slc_block_crc32c(blk + 8, 56 + stored));
}

static struct slc_record
rec(const char *key, const void *data, uint32_t data_len, uint64_t seq, int64_t t)
{
	struct slc_record r;

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.key_len = (uint16_t)strlen(key);
	r.data = data;
	r.data_len = data_len;
	r.seq = seq;
	r.arrival_ms = t;
	return r;
}

/* Check a block and iterate it to the end; returns the iterator's final code. */
static int
read_all(const uint8_t *blk, size_t avail, struct slc_block_zctx *z, uint32_t *n)
{
	struct slc_block_info bi;
	struct slc_block_iter it;
	struct slc_record r;
	const uint8_t *pl;
	int rc;

	*n = 0;
	rc = slc_block_check(blk, avail, &bi);
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	rc = slc_block_payload(blk, &bi, z, &pl);
	if (rc != 0)
		return rc;
	slc_block_iter_init(&it, pl, &bi);
	while ((rc = slc_block_iter_next(&it, &r)) == 1)
		(*n)++;
	return rc;
}

/* ---- CRC32C ---- */

static void
test_crc32c_vectors(void)
{
	uint8_t b[32];
	int i;

	CU_ASSERT_EQUAL(slc_block_crc32c("123456789", 9), 0xE3069283u);
	CU_ASSERT_EQUAL(slc_block_crc32c("", 0), 0u);
	/* RFC 3720 B.4 */
	memset(b, 0, sizeof(b));
	CU_ASSERT_EQUAL(slc_block_crc32c(b, 32), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	CU_ASSERT_EQUAL(slc_block_crc32c(b, 32), 0x62A8AB43u);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(slc_block_crc32c(b, 32), 0x46DD794Eu);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	CU_ASSERT_EQUAL(slc_block_crc32c(b, 32), 0x113FDB5Cu);
}

/* ---- building and decoding ---- */

static void
test_block_add_round_trip(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	struct slc_block_builder b;
	struct slc_block_info bi;
	struct slc_block_iter it;
	struct slc_record in[5], out;
	char key256[257];
	uint8_t data2[1000];
	const uint8_t *pl, *q;
	uint32_t span, raw = 0;
	int i, rc;

	CU_ASSERT_FATAL(buf != NULL);
	memset(key256, 'k', 256);
	key256[256] = '\0';
	for (i = 0; i < (int)sizeof(data2); i++)
		data2[i] = (uint8_t)(i * 7);

	in[0] = rec("dev-1", "hello", 5, 1000, 1700000000000);
	in[1] = rec("dev-2", "", 0, 1001, 1700000000000);          /* empty data */
	in[1].has_hash_key = true;
	for (i = 0; i < 16; i++)
		in[1].hash_key[i] = (uint8_t)(0xf0 + i);
	in[2] = rec(key256, data2, sizeof(data2), 1002, 1700000000005);  /* 256-byte key */
	in[3] = rec("k", "x", 1, 1003, 1700000000005);
	in[3].has_hash_key = true;
	memset(in[3].hash_key, 0xff, 16);
	in[4] = rec(key256 + 255, "last", 4, 1004, 1700000004096);

	slc_block_begin(&b, buf, BUF_LEN, 7);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(slc_block_add(&b, &in[i]), 0);
		raw += slc_block_record_size(in[i].key_len, in[i].data_len, in[i].has_hash_key);
	}
	CU_ASSERT_EQUAL(b.count, 5);
	CU_ASSERT_EQUAL(b.len, raw);
	CU_ASSERT_EQUAL(b.first_seq, 1000);
	CU_ASSERT_EQUAL(b.first_time_ms, 1700000000000);
	CU_ASSERT_EQUAL(b.last_time_ms, 1700000004096);
	span = slc_block_seal(&b, NULL, 0, false);
	CU_ASSERT_EQUAL(span, SLC_ALIGN_UP(64 + raw, 8u));

	/* The header exactly as docs/log-format.md lays it out. */
	CU_ASSERT(memcmp(buf, "SLCB", 4) == 0);
	CU_ASSERT_EQUAL(rd32(buf + 4), slc_block_crc32c(buf + 8, 56 + raw));
	CU_ASSERT_EQUAL(rd16(buf + 8), 1);
	CU_ASSERT_EQUAL(rd16(buf + 10), 64);
	CU_ASSERT_EQUAL(rd32(buf + 12), 0);
	CU_ASSERT_EQUAL(rd32(buf + 16), raw);
	CU_ASSERT_EQUAL(rd32(buf + 20), raw);
	CU_ASSERT_EQUAL(rd32(buf + 24), 5);
	CU_ASSERT_EQUAL(rd32(buf + 28), 7);
	CU_ASSERT_EQUAL(rd64(buf + 32), 1000);
	CU_ASSERT_EQUAL(rd64(buf + 40), 1700000000000ull);
	CU_ASSERT_EQUAL(rd64(buf + 48), 1700000004096ull);
	CU_ASSERT_EQUAL(rd32(buf + 56), span);
	CU_ASSERT_EQUAL(rd32(buf + 60), 0);

	/* Records: first without, second with a hash key. */
	q = buf + 64;
	CU_ASSERT_EQUAL(rd16(q), 0);
	CU_ASSERT_EQUAL(rd16(q + 2), 5);
	CU_ASSERT_EQUAL(rd32(q + 4), 5);
	CU_ASSERT_EQUAL(rd32(q + 8), 0);
	CU_ASSERT_EQUAL(rd32(q + 12), 0);
	CU_ASSERT(memcmp(q + 16, "dev-1hello", 10) == 0);
	q += 26;
	CU_ASSERT_EQUAL(rd16(q), 1);
	CU_ASSERT_EQUAL(rd16(q + 2), 5);
	CU_ASSERT_EQUAL(rd32(q + 4), 0);
	CU_ASSERT_EQUAL(rd32(q + 8), 1);
	CU_ASSERT_EQUAL(rd32(q + 12), 0);
	CU_ASSERT(memcmp(q + 16, in[1].hash_key, 16) == 0);
	CU_ASSERT(memcmp(q + 32, "dev-2", 5) == 0);
	q += 37;
	CU_ASSERT_EQUAL(rd32(q + 8), 2);
	CU_ASSERT_EQUAL(rd32(q + 12), 5);

	rc = slc_block_check(buf, span, &bi);
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	CU_ASSERT_EQUAL(bi.flags, 0);
	CU_ASSERT_EQUAL(bi.stored_len, raw);
	CU_ASSERT_EQUAL(bi.raw_len, raw);
	CU_ASSERT_EQUAL(bi.count, 5);
	CU_ASSERT_EQUAL(bi.shard, 7);
	CU_ASSERT_EQUAL(bi.span, span);
	CU_ASSERT_EQUAL(bi.first_seq, 1000);
	CU_ASSERT_EQUAL(bi.first_time_ms, 1700000000000);
	CU_ASSERT_EQUAL(bi.last_time_ms, 1700000004096);
	/* Exactly the block is enough: the padding need not be readable. */
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 64 + raw), 64 + raw, &bi), 1);

	CU_ASSERT_EQUAL_FATAL(slc_block_payload(buf, &bi, NULL, &pl), 0);
	CU_ASSERT(pl == buf + 64);
	slc_block_iter_init(&it, pl, &bi);
	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL_FATAL(slc_block_iter_next(&it, &out), 1);
		CU_ASSERT_EQUAL(out.key_len, in[i].key_len);
		CU_ASSERT(memcmp(out.key, in[i].key, in[i].key_len) == 0);
		CU_ASSERT_EQUAL(out.data_len, in[i].data_len);
		CU_ASSERT(in[i].data_len == 0 ||
			memcmp(out.data, in[i].data, in[i].data_len) == 0);
		CU_ASSERT_EQUAL(out.has_hash_key, in[i].has_hash_key);
		if (in[i].has_hash_key)
			CU_ASSERT(memcmp(out.hash_key, in[i].hash_key, 16) == 0);
		CU_ASSERT_EQUAL(out.seq, in[i].seq);
		CU_ASSERT_EQUAL(out.arrival_ms, in[i].arrival_ms);
	}
	CU_ASSERT_EQUAL(slc_block_iter_next(&it, &out), 0);
	CU_ASSERT_EQUAL(slc_block_iter_next(&it, &out), 0);
	slc_mem_io_free(buf);
}

/* Negative and extreme arrival times survive; many small records in one block. */
static void
test_block_add_many_records(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	struct slc_block_builder b;
	struct slc_record r;
	uint8_t data[40];
	char key[16];
	uint32_t n = 0, added = 0;
	uint32_t span;
	int rc;

	CU_ASSERT_FATAL(buf != NULL);
	memset(data, 0x5a, sizeof(data));
	slc_block_begin(&b, buf, BUF_LEN, 0);
	for (;;) {
		snprintf(key, sizeof(key), "k%07u", added);
		r = rec(key, data, sizeof(data), 5000000000ull + added,
			(int64_t)(added / 100) - 1000);
		rc = slc_block_add(&b, &r);
		if (rc != 0)
			break;
		added++;
	}
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	/* 64-byte records: (1 MiB - 64) / 64 of them. */
	CU_ASSERT_EQUAL(added, (BUF_LEN - 64) / 64);
	span = slc_block_seal(&b, NULL, 0, false);
	CU_ASSERT_EQUAL(span, BUF_LEN);
	CU_ASSERT_EQUAL(read_all(buf, span, NULL, &n), 0);
	CU_ASSERT_EQUAL(n, added);
	slc_mem_io_free(buf);
}

static void
test_block_add_enospc_boundary(void)
{
	uint8_t buf[512];
	struct slc_block_builder b;
	struct slc_record r = rec("abc", "0123456789", 10, 0, 0);
	uint32_t sz = slc_block_record_size(3, 10, false);

	/* Exactly one record fits. */
	slc_block_begin(&b, buf, 64 + sz, 0);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), 0);
	r.seq = 1;
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -ENOSPC);
	CU_ASSERT_EQUAL(b.count, 1);
	CU_ASSERT_EQUAL(b.len, sz);
	CU_ASSERT_EQUAL(b.last_time_ms, 0);

	/* One byte short. */
	r.seq = 0;
	slc_block_begin(&b, buf, 64 + sz - 1, 0);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -ENOSPC);
	CU_ASSERT_EQUAL(b.count, 0);
	CU_ASSERT_EQUAL(b.len, 0);

	/* Two records with a hash key fit exactly, a third does not. */
	r.has_hash_key = true;
	sz = slc_block_record_size(3, 10, true);
	slc_block_begin(&b, buf, 64 + 2 * sz, 0);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), 0);
	r.seq = 1;
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), 0);
	r.seq = 2;
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -ENOSPC);
	CU_ASSERT_EQUAL(b.len, 2 * sz);

	/*
	 * Lengths that would overflow 32 bits, or exceed the payload limit, are
	 * refused before anything is read or written (data is never touched).
	 */
	slc_block_begin(&b, buf, UINT32_MAX, 0);
	r = rec("abc", NULL, 0xfffffff0u, 0, 0);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -ENOSPC);
	r.data_len = SLC_BLOCK_PAYLOAD_MAX - 16 - 3 + 1;
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -ENOSPC);
	CU_ASSERT_EQUAL(b.count, 0);
	/* cap below the header size */
	r = rec("abc", "", 0, 0, 0);
	slc_block_begin(&b, buf, 10, 0);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -ENOSPC);
}

static void
test_block_add_einval(void)
{
	uint8_t buf[4096];
	char key257[258];
	struct slc_block_builder b;
	struct slc_record r;

	memset(key257, 'x', 257);
	key257[257] = '\0';
	slc_block_begin(&b, buf, sizeof(buf), 0);

	r = rec("", "d", 1, 10, 100);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);        /* key_len 0 */
	r = rec(key257, "d", 1, 10, 100);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);        /* key_len 257 */
	/* invalid key length wins over -ENOSPC */
	r = rec(key257, NULL, 0xfffffff0u, 10, 100);
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);
	r = rec(key257 + 1, "d", 1, 10, 100);                    /* 256 is fine */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), 0);

	r = rec("a", "d", 1, 12, 100);                           /* skips 11 */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);
	r.seq = 10;                                              /* repeats 10 */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);
	r.seq = 11;
	r.arrival_ms = 99;                                       /* time goes back */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);
	r.arrival_ms = 100 + (int64_t)UINT32_MAX + 1;            /* delta beyond u32 */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), -EINVAL);
	CU_ASSERT_EQUAL(b.count, 1);
	CU_ASSERT_EQUAL(b.len, slc_block_record_size(256, 1, false));
	CU_ASSERT_EQUAL(b.last_time_ms, 100);

	r.arrival_ms = 100 + (int64_t)UINT32_MAX;                /* largest delta */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), 0);
	r.seq = 12;                                              /* same time is fine */
	CU_ASSERT_EQUAL(slc_block_add(&b, &r), 0);
	CU_ASSERT_EQUAL(b.count, 3);
}

/* ---- seal: spans and padding ---- */

static uint32_t
build_small(uint8_t *base, uint32_t cap, uint32_t data_len, struct slc_block_zctx *z,
	uint64_t file_off, bool pad)
{
	struct slc_block_builder b;
	static uint8_t data[8192];
	struct slc_record r = rec("key-0001", data, data_len, 0, 42);

	memset(data, 'd', sizeof(data));
	slc_block_begin(&b, base, cap, 3);
	CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	return slc_block_seal(&b, z, file_off, pad);
}

static void
test_block_seal_span_align(void)
{
	uint8_t buf[512];
	uint32_t d, span, blen;

	for (d = 0; d < 24; d++) {
		memset(buf, 0xaa, sizeof(buf));
		span = build_small(buf, sizeof(buf), d, NULL, 8 * d, false);
		blen = 64 + 16 + 8 + d;
		CU_ASSERT_EQUAL(span, (blen + 7) / 8 * 8);
		CU_ASSERT_EQUAL(span % 8, 0);
		CU_ASSERT(span - blen < 8);
		/* padding zeroed, nothing written past the span */
		for (uint32_t i = blen; i < span; i++)
			CU_ASSERT_EQUAL(buf[i], 0);
		CU_ASSERT_EQUAL(buf[span], 0xaa);
		CU_ASSERT_EQUAL(rd32(buf + 56), span);
	}
}

static void
test_block_seal_pad_to_page(void)
{
	static const uint64_t offs[] = {
		0, 8, 64, 2048, 4032, 4088, 4096, 8064, 12344, (1ull << 32) + 16,
		(5ull << 30) + 4000,
	};
	uint8_t *buf = slc_mem_io_alloc(4 * 4096);
	struct slc_block_info bi;
	uint32_t span, blen = 64 + 16 + 8 + 40;   /* 128: data_len 40 */
	size_t i, j;

	CU_ASSERT_FATAL(buf != NULL);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint32_t in_page = (uint32_t)(offs[i] % 4096);
		uint8_t *base = buf + in_page;

		memset(buf, 0xaa, 4 * 4096);
		span = build_small(base, 4 * 4096 - in_page, 40, NULL, offs[i], true);
		CU_ASSERT_EQUAL((offs[i] + span) % 4096, 0);
		CU_ASSERT(span >= blen);
		CU_ASSERT(span < blen + 4096);
		CU_ASSERT_EQUAL(span % 8, 0);
		for (j = blen; j < span; j++)
			CU_ASSERT_EQUAL(base[j], 0);
		CU_ASSERT_EQUAL(base[span], 0xaa);
		CU_ASSERT_EQUAL(slc_block_check(base, span, &bi), 1);
		CU_ASSERT_EQUAL(bi.span, span);
	}
	/* A block that ends on the boundary gets no padding page. */
	memset(buf, 0xaa, 4 * 4096);
	span = build_small(buf + 4096 - 128, 4096 + 128, 40, NULL, 8192 - 128, true);
	CU_ASSERT_EQUAL(span, 128);
	CU_ASSERT_EQUAL(buf[4096], 0xaa);
	/* Padding never goes beyond cap. */
	memset(buf, 0xaa, 4 * 4096);
	span = build_small(buf, 200, 40, NULL, 0, true);
	CU_ASSERT_EQUAL(span, 4096);
	for (j = 128; j < 200; j++)
		CU_ASSERT_EQUAL(buf[j], 0);
	CU_ASSERT_EQUAL(buf[200], 0xaa);
	slc_mem_io_free(buf);
}

static void
test_block_seal_empty(void)
{
	uint8_t buf[128];
	struct slc_block_builder b;

	memset(buf, 0xaa, sizeof(buf));
	slc_block_begin(&b, buf, sizeof(buf), 0);
	/* begin zeroes the header (an unsealed block reads as the end of the log) */
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(buf[SLC_BLOCK_HDR_LEN - 1], 0);
	CU_ASSERT_EQUAL(buf[SLC_BLOCK_HDR_LEN], 0xaa);
	/* sealing nothing writes nothing */
	CU_ASSERT_EQUAL(slc_block_seal(&b, NULL, 0, false), 0);
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(buf[SLC_BLOCK_HDR_LEN], 0xaa);
}

/* ---- compression ---- */

static uint32_t
build_telemetry(uint8_t *base, uint32_t cap, uint32_t nrec, struct slc_block_zctx *z,
	uint32_t *raw_out)
{
	struct slc_block_builder b;
	struct slc_record r;
	char key[32], json[256];
	uint32_t i;
	int n;

	slc_block_begin(&b, base, cap, 1);
	for (i = 0; i < nrec; i++) {
		snprintf(key, sizeof(key), "sensor-%04u", i % 37);
		n = snprintf(json, sizeof(json),
			"{\"device\":\"sensor-%04u\",\"ts\":%llu,\"temp\":%u.%u,"
			"\"humidity\":%u,\"status\":\"ok\",\"fw\":\"2.4.1\"}",
			i % 37, 1700000000000ull + i * 13, 18 + i % 9, i % 10, 30 + i % 41);
		r = rec(key, json, (uint32_t)n, 77 + i, 1700000000000 + i / 3);
		CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	}
	*raw_out = b.len;
	return slc_block_seal(&b, z, 0, false);
}

static void
test_block_seal_compress_json(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	struct slc_block_zctx *z = slc_block_zctx_create(BUF_LEN);
	struct slc_block_info bi;
	struct slc_block_iter it;
	struct slc_record r;
	const uint8_t *pl;
	uint32_t raw, span, i;
	char json[256];
	int n;

	CU_ASSERT_FATAL(buf != NULL && z != NULL);
	memset(buf, 0xaa, BUF_LEN);
	span = build_telemetry(buf, BUF_LEN, 2000, z, &raw);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL(bi.flags, SLC_BLOCK_F_DEFLATE);
	CU_ASSERT_EQUAL(bi.raw_len, raw);
	CU_ASSERT(bi.stored_len < raw / 3);
	CU_ASSERT_EQUAL(span, SLC_ALIGN_UP(64 + bi.stored_len, 8u));
	/* Everything after the stored bytes, up to the old raw end, is zero. */
	for (i = 64 + bi.stored_len; i < 64 + raw; i++)
		if (buf[i] != 0)
			break;
	CU_ASSERT_EQUAL(i, 64 + raw);
	CU_ASSERT_EQUAL(buf[64 + raw], 0xaa);

	/* Without a context the compressed payload cannot be read. */
	CU_ASSERT_EQUAL(slc_block_payload(buf, &bi, NULL, &pl), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(slc_block_payload(buf, &bi, z, &pl), 0);
	slc_block_iter_init(&it, pl, &bi);
	for (i = 0; i < 2000; i++) {
		CU_ASSERT_EQUAL_FATAL(slc_block_iter_next(&it, &r), 1);
		n = snprintf(json, sizeof(json),
			"{\"device\":\"sensor-%04u\",\"ts\":%llu,\"temp\":%u.%u,"
			"\"humidity\":%u,\"status\":\"ok\",\"fw\":\"2.4.1\"}",
			i % 37, 1700000000000ull + i * 13, 18 + i % 9, i % 10, 30 + i % 41);
		CU_ASSERT_EQUAL(r.data_len, (uint32_t)n);
		CU_ASSERT(memcmp(r.data, json, (size_t)n) == 0);
		CU_ASSERT_EQUAL(r.seq, 77 + i);
		CU_ASSERT_EQUAL(r.arrival_ms, 1700000000000 + i / 3);
	}
	CU_ASSERT_EQUAL(slc_block_iter_next(&it, &r), 0);
	slc_block_zctx_free(z);
	slc_mem_io_free(buf);
}

static void
fill_random(uint8_t *p, uint32_t len)
{
	uint32_t j;

	for (j = 0; j < len; j += 8) {
		uint64_t x = rng();

		memcpy(p + j, &x, len - j < 8 ? len - j : 8);
	}
}

static void
test_block_seal_compress_random(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	uint8_t *data = slc_malloc(60000);
	struct slc_block_zctx *z = slc_block_zctx_create(BUF_LEN);
	struct slc_block_builder b;
	struct slc_block_info bi;
	struct slc_record r;
	const uint8_t *pl;
	char key[17];
	uint32_t i, span, n;

	CU_ASSERT_FATAL(buf != NULL && data != NULL && z != NULL);

	/* One record of random bytes: deflate cannot win, the block is stored raw. */
	fill_random(data, 60000);
	for (i = 0; i < 16; i++)
		key[i] = (char)('!' + rng() % 90);
	key[16] = '\0';
	r = rec(key, data, 60000, 0, 5);
	r.has_hash_key = true;
	fill_random(r.hash_key, 16);
	memset(buf, 0xaa, BUF_LEN);
	slc_block_begin(&b, buf, BUF_LEN, 2);
	CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	span = slc_block_seal(&b, z, 0, false);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL(bi.flags, 0);
	CU_ASSERT_EQUAL(bi.stored_len, b.len);
	CU_ASSERT_EQUAL(bi.raw_len, b.len);
	CU_ASSERT_EQUAL(span, SLC_ALIGN_UP(64 + b.len, 8u));
	CU_ASSERT_EQUAL(slc_block_payload(buf, &bi, z, &pl), 0);
	CU_ASSERT(pl == buf + 64);
	CU_ASSERT(memcmp(buf + 64 + 16 + 16 + 16, data, 60000) == 0);
	CU_ASSERT_EQUAL(buf[span], 0xaa);
	CU_ASSERT_EQUAL(read_all(buf, span, z, &n), 0);
	CU_ASSERT_EQUAL(n, 1);

	/*
	 * Many random records: their 19-byte headers are compressible, so deflate
	 * may win by a little. Whatever it decides, the block reads back exactly.
	 */
	slc_block_begin(&b, buf, BUF_LEN, 2);
	for (i = 0; i < 50; i++) {
		fill_random(data, 4000);
		r = rec("rnd", data, 4000, i, 5);
		CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	}
	span = slc_block_seal(&b, z, 0, false);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL(bi.raw_len, b.len);
	CU_ASSERT(bi.flags == 0 ? bi.stored_len == b.len : bi.stored_len < b.len);
	CU_ASSERT_EQUAL_FATAL(slc_block_payload(buf, &bi, z, &pl), 0);
	CU_ASSERT(memcmp(pl + b.len - 4000, data, 4000) == 0);
	CU_ASSERT_EQUAL(read_all(buf, span, z, &n), 0);
	CU_ASSERT_EQUAL(n, 50);

	slc_block_zctx_free(z);
	slc_free(data);
	slc_mem_io_free(buf);
}

/* A reader whose context was sized too small still reads a large block. */
static void
test_block_payload_grows_scratch(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	struct slc_block_zctx *zw = slc_block_zctx_create(1024);   /* also grows on seal */
	struct slc_block_zctx *zr = slc_block_zctx_create(16);
	struct slc_block_zctx *z0 = slc_block_zctx_create(0);
	struct slc_block_info bi;
	uint32_t raw, span, n;

	CU_ASSERT_FATAL(buf != NULL && zw != NULL && zr != NULL && z0 != NULL);
	span = build_telemetry(buf, BUF_LEN, 3000, zw, &raw);
	CU_ASSERT(raw > 100000);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL(bi.flags, SLC_BLOCK_F_DEFLATE);
	CU_ASSERT_EQUAL(read_all(buf, span, zr, &n), 0);
	CU_ASSERT_EQUAL(n, 3000);
	CU_ASSERT_EQUAL(read_all(buf, span, z0, &n), 0);
	CU_ASSERT_EQUAL(n, 3000);
	/* and again, with the grown scratch */
	CU_ASSERT_EQUAL(read_all(buf, span, zr, &n), 0);
	CU_ASSERT_EQUAL(n, 3000);
	slc_block_zctx_free(zw);
	slc_block_zctx_free(zr);
	slc_block_zctx_free(z0);
	slc_block_zctx_free(NULL);
	slc_mem_io_free(buf);
}

/* Compressed payloads that lie, with a CRC recomputed over the lie. */
static void
test_block_payload_inflate_errors(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	uint8_t *blk = slc_malloc(BUF_LEN);
	struct slc_block_zctx *z = slc_block_zctx_create(BUF_LEN);
	struct slc_block_info bi;
	const uint8_t *pl;
	uint32_t raw, span, stored, i;

	CU_ASSERT_FATAL(buf != NULL && blk != NULL && z != NULL);
	span = build_telemetry(buf, BUF_LEN, 300, z, &raw);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL_FATAL(bi.flags, SLC_BLOCK_F_DEFLATE);
	stored = bi.stored_len;

	/* raw_len one too big: inflate ends short */
	memcpy(blk, buf, span);
	wr32(blk + 20, raw + 1);
	fix_crc(blk);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(blk, span, &bi), 1);
	CU_ASSERT_EQUAL(slc_block_payload(blk, &bi, z, &pl), -EBADMSG);
	/* raw_len one too small: inflate overflows */
	wr32(blk + 20, raw - 1);
	fix_crc(blk);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(blk, span, &bi), 1);
	CU_ASSERT_EQUAL(slc_block_payload(blk, &bi, z, &pl), -EBADMSG);
	/* stream cut short */
	memcpy(blk, buf, span);
	wr32(blk + 16, stored / 2);
	fix_crc(blk);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(blk, span, &bi), 1);
	CU_ASSERT_EQUAL(slc_block_payload(guarded(blk, 64 + stored / 2), &bi, z, &pl), -EBADMSG);
	/* garbage instead of deflate (reserved block type 3 right away) */
	memcpy(blk, buf, span);
	memset(blk + 64, 0xff, stored);
	fix_crc(blk);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(blk, span, &bi), 1);
	CU_ASSERT_EQUAL(slc_block_payload(blk, &bi, z, &pl), -EBADMSG);
	/* random garbage, several seeds: never accepted as a payload of raw_len bytes
	 * unless it happens to inflate to exactly that many (then the iterator judges) */
	for (i = 0; i < 50; i++) {
		uint32_t j, n;
		int rc;

		memcpy(blk, buf, span);
		for (j = 0; j < stored; j++)
			blk[64 + j] = (uint8_t)rng();
		fix_crc(blk);
		rc = slc_block_payload(blk, &bi, z, &pl);
		CU_ASSERT(rc == -EBADMSG || rc == 0);
		if (rc == 0)
			CU_ASSERT_EQUAL(read_all(blk, span, z, &n), -EBADMSG);
	}
	/* zero stored bytes: nothing inflates to raw_len bytes */
	memcpy(blk, buf, 64);
	wr32(blk + 16, 0);
	wr32(blk + 56, 64);
	fix_crc(blk);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(guarded(blk, 64), 64, &bi), 1);
	CU_ASSERT_EQUAL(slc_block_payload(guarded(blk, 64), &bi, z, &pl), -EBADMSG);

	slc_block_zctx_free(z);
	slc_free(blk);
	slc_mem_io_free(buf);
}

/* ---- check: corruption and truncation ---- */

static void
corrupt_every_byte(uint8_t *buf, uint32_t span, uint32_t blen)
{
	static const uint8_t xors[] = { 0x01, 0x80, 0xff };
	struct slc_block_info bi;
	uint32_t off, x, accepted = 0, bad = 0, nodata = 0;
	uint8_t *g;
	int rc;

	g = guarded(buf, span);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(g, span, &bi), 1);
	for (off = 0; off < blen; off++) {
		for (x = 0; x < sizeof(xors); x++) {
			g[off] ^= xors[x];
			rc = slc_block_check(g, span, &bi);
			g[off] ^= xors[x];
			if (rc == 1)
				accepted++;
			else if (rc == -EBADMSG)
				bad++;
			else if (rc == -ENODATA)
				nodata++;    /* a stored_len made larger than span */
		}
	}
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_EQUAL(bad + nodata, blen * 3);
	CU_ASSERT(bad > nodata);
	/* Padding is not covered: changing it changes nothing. */
	for (off = blen; off < span; off++) {
		g[off] ^= 0xff;
		CU_ASSERT_EQUAL(slc_block_check(g, span, &bi), 1);
		g[off] ^= 0xff;
	}
	CU_ASSERT_EQUAL(slc_block_check(g, span, &bi), 1);
}

static void
test_block_check_corrupt_raw(void)
{
	uint8_t *buf = slc_mem_io_alloc(8192);
	struct slc_block_info bi;
	uint32_t raw, span;

	CU_ASSERT_FATAL(buf != NULL);
	span = build_telemetry(buf, 8192, 20, NULL, &raw);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL(bi.flags, 0);
	corrupt_every_byte(buf, span, 64 + raw);
	/* with page padding: corruptions of the padding do not matter either */
	span = build_small(buf, 8192, 100, NULL, 64, true);
	CU_ASSERT_EQUAL(span, 4096 - 64);
	corrupt_every_byte(buf, span, 64 + 16 + 8 + 100);
	slc_mem_io_free(buf);
}

static void
test_block_check_corrupt_compressed(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	struct slc_block_zctx *z = slc_block_zctx_create(BUF_LEN);
	struct slc_block_info bi;
	uint32_t raw, span;

	CU_ASSERT_FATAL(buf != NULL && z != NULL);
	span = build_telemetry(buf, BUF_LEN, 40, z, &raw);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL_FATAL(bi.flags, SLC_BLOCK_F_DEFLATE);
	CU_ASSERT(bi.stored_len < raw);
	corrupt_every_byte(buf, span, 64 + bi.stored_len);
	slc_block_zctx_free(z);
	slc_mem_io_free(buf);
}

static void
truncate_all(const uint8_t *buf, uint32_t blen)
{
	struct slc_block_info bi;
	uint32_t avail;
	int rc;

	for (avail = 0; avail < blen; avail++) {
		rc = slc_block_check(guarded(buf, avail), avail, &bi);
		CU_ASSERT_EQUAL(rc, -ENODATA);
	}
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, blen), blen, &bi), 1);
}

static void
test_block_check_truncated(void)
{
	uint8_t *buf = slc_mem_io_alloc(BUF_LEN);
	struct slc_block_zctx *z = slc_block_zctx_create(BUF_LEN);
	struct slc_block_info bi;
	uint32_t raw, span;

	CU_ASSERT_FATAL(buf != NULL && z != NULL);
	span = build_telemetry(buf, BUF_LEN, 30, NULL, &raw);
	truncate_all(buf, 64 + raw);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, span), span, &bi), 1);
	span = build_telemetry(buf, BUF_LEN, 30, z, &raw);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(buf, span, &bi), 1);
	CU_ASSERT_EQUAL(bi.flags, SLC_BLOCK_F_DEFLATE);
	truncate_all(buf, 64 + bi.stored_len);
	slc_block_zctx_free(z);
	slc_mem_io_free(buf);
}

static void
test_block_check_zero_and_short(void)
{
	uint8_t buf[128];
	struct slc_block_info bi;
	uint32_t avail;

	memset(buf, 0, sizeof(buf));
	memset(&bi, 0x11, sizeof(bi));
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 64), 64, &bi), 0);
	CU_ASSERT_EQUAL(slc_block_check(buf, sizeof(buf), &bi), 0);
	CU_ASSERT_EQUAL(bi.count, 0x11111111u);    /* untouched */
	/* a short all-zero tail: no block can start here */
	for (avail = 1; avail < 64; avail++)
		CU_ASSERT_EQUAL(slc_block_check(guarded(buf, avail), avail, &bi), 0);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 0), 0, &bi), -ENODATA);
	/* zero header but a non-zero byte later in it: not a block */
	buf[63] = 1;
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 64), 64, &bi), -EBADMSG);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 63), 63, &bi), 0);
	buf[63] = 0;
	buf[40] = 1;
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 41), 41, &bi), -EBADMSG);
	/* a short magic prefix: read more; anything else: not a block */
	memcpy(buf, "SLCB", 4);
	for (avail = 1; avail < 64; avail++)
		CU_ASSERT_EQUAL(slc_block_check(guarded(buf, avail), avail, &bi), -ENODATA);
	memcpy(buf, "SLXB", 4);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 2), 2, &bi), -ENODATA);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 3), 3, &bi), -EBADMSG);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 30), 30, &bi), -EBADMSG);
	CU_ASSERT_EQUAL(slc_block_check(guarded(buf, 64), 64, &bi), -EBADMSG);
}

/* Header fields that break the rules are refused even under a good CRC. */
static void
test_block_check_bad_fields(void)
{
	uint8_t good[512], blk[512];
	struct slc_block_info bi;
	uint32_t span, blen = 64 + 16 + 8 + 100;

	span = build_small(good, sizeof(good), 100, NULL, 0, false);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(good, span, &bi), 1);

#define CRAFT(stmt, expect) do { \
		memcpy(blk, good, sizeof(good)); \
		stmt; \
		fix_crc(blk); \
		CU_ASSERT_EQUAL(slc_block_check(guarded(blk, span), span, &bi), expect); \
	} while (0)
#define CRAFT_NOCRC(stmt, expect) do { \
		memcpy(blk, good, sizeof(good)); \
		stmt; \
		CU_ASSERT_EQUAL(slc_block_check(guarded(blk, span), span, &bi), expect); \
	} while (0)

	CRAFT((void)0, 1);
	CRAFT(blk[0] = 's', -EBADMSG);                       /* magic */
	CRAFT(wr16(blk + 8, 0), -EBADMSG);                   /* version */
	CRAFT(wr16(blk + 8, 2), -EBADMSG);
	CRAFT(wr16(blk + 10, 32), -EBADMSG);                 /* hdr_len */
	CRAFT(wr16(blk + 10, 128), -EBADMSG);
	CRAFT(wr32(blk + 12, 2), -EBADMSG);                  /* unknown flag */
	CRAFT(wr32(blk + 12, 0x80000001u), -EBADMSG);
	CRAFT(wr32(blk + 24, 0), -EBADMSG);                  /* count 0 */
	CRAFT(wr32(blk + 20, blen - 64 + 1), -EBADMSG);      /* raw != stored, raw */
	CRAFT(wr32(blk + 20, blen - 64 - 1), -EBADMSG);
	CRAFT((wr32(blk + 12, 1), wr32(blk + 20, blen - 64 - 1)), -EBADMSG);  /* stored > raw */
	CRAFT((wr32(blk + 12, 1), wr32(blk + 20, SLC_BLOCK_PAYLOAD_MAX + 1)), -EBADMSG);
	/* raw_len above 64 MiB (no CRC can be forged over bytes we do not have) */
	CRAFT_NOCRC((wr32(blk + 16, SLC_BLOCK_PAYLOAD_MAX + 1),
		wr32(blk + 20, SLC_BLOCK_PAYLOAD_MAX + 1)), -EBADMSG);
	CRAFT_NOCRC((wr32(blk + 16, 0xffffffffu), wr32(blk + 20, 0xffffffffu)), -EBADMSG);
	CRAFT(wr32(blk + 56, blen - 4), -EBADMSG);           /* span below block */
	CRAFT(wr32(blk + 56, span + 4), -EBADMSG);           /* span % 8 */
	CRAFT(wr32(blk + 56, 0), -EBADMSG);
	CRAFT(wr32(blk + 56, span + 8), 1);                  /* longer span is fine */
	/* sane header, stored bytes beyond avail: read more */
	CRAFT((wr32(blk + 16, 400), wr32(blk + 20, 400), wr32(blk + 56, 464)), -ENODATA);
	/* compressed with stored == raw is allowed by the format */
	CRAFT(wr32(blk + 12, 1), 1);
#undef CRAFT
#undef CRAFT_NOCRC
	/* CRC itself wrong */
	memcpy(blk, good, sizeof(good));
	blk[4] ^= 1;
	CU_ASSERT_EQUAL(slc_block_check(blk, span, &bi), -EBADMSG);
}

/* ---- iterator: crafted payloads under a valid CRC ---- */

/* Three records built by build_three(): their offsets in the block. */
#define R0 64u
#define R0_LEN (16u + 4u + 6u)
#define R1 (R0 + R0_LEN)
#define R1_LEN (16u + 16u + 4u + 0u)
#define R2 (R1 + R1_LEN)
#define R2_LEN (16u + 4u + 9u)
#define THREE_LEN (R2 + R2_LEN)

static uint32_t
build_three(uint8_t *buf, uint32_t cap)
{
	struct slc_block_builder b;
	struct slc_record r;

	slc_block_begin(&b, buf, cap, 9);
	r = rec("key0", "data-0", 6, 500, 100);
	CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	r = rec("key1", "", 0, 501, 105);
	r.has_hash_key = true;
	memset(r.hash_key, 0x42, 16);
	CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	r = rec("key2", "data-two!", 9, 502, 110);
	CU_ASSERT_EQUAL_FATAL(slc_block_add(&b, &r), 0);
	CU_ASSERT_EQUAL_FATAL(64 + b.len, THREE_LEN);
	return slc_block_seal(&b, NULL, 0, false);
}

/* Run the iterator over a crafted block; return the final code and count. */
static int
iter_crafted(uint8_t *blk, uint32_t *n)
{
	uint32_t stored = rd32(blk + 16);
	uint8_t *g;
	int rc;

	fix_crc(blk);
	g = guarded(blk, 64 + stored);
	rc = read_all(g, 64 + stored, NULL, n);
	return rc;
}

static void
test_block_iter_crafted(void)
{
	uint8_t good[256], blk[256];
	struct slc_block_info bi;
	struct slc_block_iter it;
	struct slc_record r;
	uint32_t span, n;

	span = build_three(good, sizeof(good));
	CU_ASSERT_EQUAL_FATAL(slc_block_check(good, span, &bi), 1);

#define CRAFT(stmt, expect_n) do { \
		memcpy(blk, good, sizeof(good)); \
		stmt; \
		CU_ASSERT_EQUAL(iter_crafted(blk, &n), -EBADMSG); \
		CU_ASSERT_EQUAL(n, expect_n); \
	} while (0)

	/* sanity: unmodified is fine */
	memcpy(blk, good, sizeof(good));
	CU_ASSERT_EQUAL(iter_crafted(blk, &n), 0);
	CU_ASSERT_EQUAL(n, 3);

	CRAFT(wr32(blk + R0 + 4, 0xffffffffu), 0);          /* data_len beyond end */
	CRAFT(wr32(blk + R0 + 4, 0xffffffe0u), 0);          /* ... and would wrap 32 bits */
	CRAFT(wr32(blk + R2 + 4, 10), 2);                   /* last data_len one too long */
	CRAFT(wr32(blk + R2 + 4, 8), 2);                    /* one short: trailing byte */
	CRAFT(wr16(blk + R0 + 2, 0), 0);                    /* key_len 0 */
	CRAFT(wr16(blk + R0 + 2, 257), 0);                  /* key_len 257 */
	CRAFT(wr16(blk + R2 + 2, 0xffff), 2);
	CRAFT(wr16(blk + R0, 2), 0);                        /* unknown record flag */
	CRAFT(wr16(blk + R0, 1), 1);                        /* claims a hash key it lacks */
	CRAFT(wr16(blk + R1, 0), 2);                        /* hides its hash key */
	CRAFT(wr32(blk + R1 + 8, 2), 1);                    /* seq_delta skips */
	CRAFT(wr32(blk + R1 + 8, 0), 1);                    /* seq_delta repeats */
	CRAFT(wr32(blk + R0 + 8, 1), 0);
	CRAFT(wr32(blk + R0 + 12, 1), 0);                   /* first time_delta not 0 */
	CRAFT(wr32(blk + R2 + 12, 4), 2);                   /* time goes back */
	CRAFT(wr32(blk + R1 + 12, 11), 2);                  /* ... to a correct last time */
	CRAFT(wr32(blk + R2 + 12, 11), 2);                  /* last time != last_time_ms */
	CRAFT(wr32(blk + 48, 111), 2);                      /* header last_time_ms lies */
	CRAFT(wr32(blk + 24, 2), 1);                        /* count too small */
	CRAFT(wr32(blk + 24, 4), 3);                        /* count too large */
	CRAFT(wr32(blk + 24, 0xffffffffu), 3);
	/* payload shortened by the header: last record cut */
	CRAFT((wr32(blk + 16, THREE_LEN - 64 - 1), wr32(blk + 20, THREE_LEN - 64 - 1)), 2);
	/* payload cut inside a record header */
	CRAFT((wr32(blk + 16, R2 - 64 + 10), wr32(blk + 20, R2 - 64 + 10)), 2);
	/* one record's worth of payload, count 3 */
	CRAFT((wr32(blk + 16, R0_LEN), wr32(blk + 20, R0_LEN)), 1);
#undef CRAFT

	/* The error sticks. */
	memcpy(blk, good, sizeof(good));
	wr32(blk + R1 + 8, 7);
	fix_crc(blk);
	CU_ASSERT_EQUAL_FATAL(slc_block_check(blk, span, &bi), 1);
	slc_block_iter_init(&it, blk + 64, &bi);
	CU_ASSERT_EQUAL(slc_block_iter_next(&it, &r), 1);
	CU_ASSERT_EQUAL(slc_block_iter_next(&it, &r), -EBADMSG);
	CU_ASSERT_EQUAL(slc_block_iter_next(&it, &r), -EBADMSG);
}

/* Random garbage payloads with valid CRCs never crash the iterator. */
static void
test_block_iter_fuzz(void)
{
	uint8_t good[256], blk[256];
	uint32_t i, k, n, stored = THREE_LEN - 64;
	int rc;

	build_three(good, sizeof(good));
	for (i = 0; i < 20000; i++) {
		memcpy(blk, good, sizeof(good));
		for (k = 0; k < 1 + i % 4; k++) {
			uint64_t x = rng();

			blk[64 + x % stored] ^= (uint8_t)(x >> 32 | 1);
		}
		rc = iter_crafted(blk, &n);
		CU_ASSERT(rc == 0 || rc == -EBADMSG);
		if (rc == 0)
			CU_ASSERT_EQUAL(n, 3);
	}
}

int
main(void)
{
	CU_pSuite s;
	unsigned int fails;

	guard_base = mmap(NULL, GUARD_AREA + 4096, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED ||
			mprotect(guard_base + GUARD_AREA, 4096, PROT_NONE) != 0) {
		perror("test_block: mmap guard area");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("block", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "crc32c_vectors", test_crc32c_vectors) == NULL ||
	    CU_add_test(s, "add_round_trip", test_block_add_round_trip) == NULL ||
	    CU_add_test(s, "add_many_records", test_block_add_many_records) == NULL ||
	    CU_add_test(s, "add_enospc_boundary", test_block_add_enospc_boundary) == NULL ||
	    CU_add_test(s, "add_einval", test_block_add_einval) == NULL ||
	    CU_add_test(s, "seal_span_align", test_block_seal_span_align) == NULL ||
	    CU_add_test(s, "seal_pad_to_page", test_block_seal_pad_to_page) == NULL ||
	    CU_add_test(s, "seal_empty", test_block_seal_empty) == NULL ||
	    CU_add_test(s, "seal_compress_json", test_block_seal_compress_json) == NULL ||
	    CU_add_test(s, "seal_compress_random", test_block_seal_compress_random) == NULL ||
	    CU_add_test(s, "payload_grows_scratch", test_block_payload_grows_scratch) == NULL ||
	    CU_add_test(s, "payload_inflate_errors",
		test_block_payload_inflate_errors) == NULL ||
	    CU_add_test(s, "check_corrupt_raw", test_block_check_corrupt_raw) == NULL ||
	    CU_add_test(s, "check_corrupt_compressed",
		test_block_check_corrupt_compressed) == NULL ||
	    CU_add_test(s, "check_truncated", test_block_check_truncated) == NULL ||
	    CU_add_test(s, "check_zero_and_short", test_block_check_zero_and_short) == NULL ||
	    CU_add_test(s, "check_bad_fields", test_block_check_bad_fields) == NULL ||
	    CU_add_test(s, "iter_crafted", test_block_iter_crafted) == NULL ||
	    CU_add_test(s, "iter_fuzz", test_block_iter_fuzz) == NULL) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	munmap(guard_base, GUARD_AREA + 4096);
	return fails == 0 ? 0 : 1;
}
