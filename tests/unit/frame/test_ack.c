/*
 * Unit tests for lib/frame/frame_ack.c: acknowledgement frames v1 of
 * docs/frame-format.md byte for byte, round trips of OK, PARTIAL and REJECTED
 * acks, the encoder's capacity limit, every rule of the decoder (magic,
 * version, length, CRC, status against groups and error, groups tiling
 * 0..count-1), every single-byte corruption and every truncation of valid acks,
 * acks back to back on a stream, and the status names.
 *
 * Crafted acks get their CRC recomputed (fix_crc) so that only the structural
 * checks can catch them. Acks under test are copied so that their last byte
 * sits right before a PROT_NONE page: a read past what the decoder was given
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
#include "slc_frame.h"
#include "guard.h"

#define MAX_GROUPS 65535u

static uint8_t big_buf[SLC_ACK_HDR_LEN + MAX_GROUPS * SLC_ACK_GROUP_LEN + 4 + 64];
static struct slc_ack_group big_groups[MAX_GROUPS];

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Recompute the CRC of an ack whose length field says len. */
static void
fix_crc(uint8_t *f, size_t len)
{
	wr32(f + len - 4, slc_block_crc32c(f, len - 4));
}

/* Decode len bytes placed before the guard page. */
static int
decode(const void *p, size_t len, struct slc_ack *a)
{
	return slc_ack_decode(guarded(p, len), len, a);
}

/* Three groups of a 10-record frame: 4 stored on shard 3, 2 retry, 4 stored on shard 5. */
static const struct slc_ack_group three[] = {
	{ .first = 0, .n = 4, .status = SLC_ACK_R_STORED, .shard = 3, .counter = 1000 },
	{ .first = 4, .n = 2, .status = SLC_ACK_R_RETRY, .shard = 0, .counter = 0 },
	{ .first = 6, .n = 4, .status = SLC_ACK_R_STORED, .shard = 5,
		.counter = 0xfedcba9876543210ull },
};

static size_t
enc_three(uint8_t *buf)
{
	return slc_ack_encode(buf, 256, 77, 10, 0, three, 3);
}

/* ---- names ---- */

static void
test_slc_ack_status_name_all(void)
{
	CU_ASSERT_STRING_EQUAL(slc_ack_status_name(SLC_ACK_OK), "ok");
	CU_ASSERT_STRING_EQUAL(slc_ack_status_name(SLC_ACK_PARTIAL), "partial");
	CU_ASSERT_STRING_EQUAL(slc_ack_status_name(SLC_ACK_REJECTED), "rejected");
	CU_ASSERT_STRING_EQUAL(slc_ack_status_name(3), "unknown");
	CU_ASSERT_STRING_EQUAL(slc_ack_status_name(255), "unknown");
	CU_ASSERT_STRING_EQUAL(slc_ack_rec_status_name(SLC_ACK_R_STORED), "stored");
	CU_ASSERT_STRING_EQUAL(slc_ack_rec_status_name(SLC_ACK_R_RETRY), "retry");
	CU_ASSERT_STRING_EQUAL(slc_ack_rec_status_name(SLC_ACK_R_TOO_BIG), "too_big");
	CU_ASSERT_STRING_EQUAL(slc_ack_rec_status_name(SLC_ACK_R_ERROR), "error");
	CU_ASSERT_STRING_EQUAL(slc_ack_rec_status_name(4), "unknown");
	CU_ASSERT_STRING_EQUAL(slc_ack_rec_status_name(255), "unknown");
}

/* ---- encoding ---- */

static void
test_slc_ack_size_values(void)
{
	CU_ASSERT_EQUAL(slc_ack_size(0), 24);
	CU_ASSERT_EQUAL(slc_ack_size(1), 44);
	CU_ASSERT_EQUAL(slc_ack_size(65535), 20 + 65535 * 20 + 4);
	CU_ASSERT_EQUAL(SLC_ACK_MIN_LEN, 24);
}

static void
test_slc_ack_encode_layout(void)
{
	static const uint8_t want_hdr[20] = {
		'S', 'L', 'A', '1', 1, SLC_ACK_PARTIAL, 10, 0,
		84, 0, 0, 0,                    /* length 20 + 3 * 20 + 4 */
		77, 0, 0, 0,                    /* frame_id */
		3, 0, 0, 0,                     /* n_groups, error, reserved */
	};
	static const uint8_t want_g2[20] = {
		6, 0, 4, 0, SLC_ACK_R_STORED, 0, 0, 0,
		5, 0, 0, 0,
		0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	};
	static const uint8_t want_g0[20] = {
		0, 0, 4, 0, SLC_ACK_R_STORED, 0, 0, 0,
		3, 0, 0, 0,
		0xe8, 0x03, 0, 0, 0, 0, 0, 0,
	};
	uint8_t buf[256];
	size_t len;

	memset(buf, 0xaa, sizeof(buf));
	len = enc_three(buf);
	CU_ASSERT_EQUAL_FATAL(len, 84);
	CU_ASSERT(memcmp(buf, want_hdr, 20) == 0);
	CU_ASSERT(memcmp(buf + 20, want_g0, 20) == 0);
	CU_ASSERT_EQUAL(buf[40], 4);
	CU_ASSERT_EQUAL(buf[42], 2);
	CU_ASSERT_EQUAL(buf[44], SLC_ACK_R_RETRY);
	CU_ASSERT(memcmp(buf + 60, want_g2, 20) == 0);
	CU_ASSERT_EQUAL(buf[80] | buf[81] << 8 | buf[82] << 16 | (uint32_t)buf[83] << 24,
		slc_block_crc32c(buf, 80));
	CU_ASSERT_EQUAL(buf[84], 0xaa);        /* nothing written past the ack */
}

static void
test_slc_ack_encode_status(void)
{
	struct slc_ack_group g = { .first = 0, .n = 7, .status = SLC_ACK_R_STORED, .shard = 1 };
	uint8_t buf[256];
	size_t len;

	len = slc_ack_encode(buf, sizeof(buf), 1, 7, 0, &g, 1);
	CU_ASSERT_EQUAL_FATAL(len, 44);
	CU_ASSERT_EQUAL(buf[5], SLC_ACK_OK);

	g.status = SLC_ACK_R_TOO_BIG;
	len = slc_ack_encode(buf, sizeof(buf), 1, 7, 0, &g, 1);
	CU_ASSERT_EQUAL_FATAL(len, 44);
	CU_ASSERT_EQUAL(buf[5], SLC_ACK_PARTIAL);

	/* An error makes it REJECTED and drops the groups given. */
	len = slc_ack_encode(buf, sizeof(buf), 9, 7, SLC_FRAME_E_CRC, &g, 1);
	CU_ASSERT_EQUAL_FATAL(len, 24);
	CU_ASSERT_EQUAL(buf[5], SLC_ACK_REJECTED);
	CU_ASSERT_EQUAL(buf[16], 0);
	CU_ASSERT_EQUAL(buf[18], SLC_FRAME_E_CRC);
	len = slc_ack_encode(buf, sizeof(buf), 9, 0, SLC_FRAME_E_COUNT, NULL, 0);
	CU_ASSERT_EQUAL(len, 24);
}

static void
test_slc_ack_encode_cap(void)
{
	uint8_t buf[256];

	memset(buf, 0x55, sizeof(buf));
	CU_ASSERT_EQUAL(slc_ack_encode(buf, 83, 77, 10, 0, three, 3), 0);
	CU_ASSERT_EQUAL(buf[0], 0x55);         /* nothing written */
	CU_ASSERT_EQUAL(slc_ack_encode(buf, 84, 77, 10, 0, three, 3), 84);
	CU_ASSERT_EQUAL(slc_ack_encode(buf, 23, 1, 1, SLC_FRAME_E_MAGIC, NULL, 0), 0);
	CU_ASSERT_EQUAL(slc_ack_encode(buf, 24, 1, 1, SLC_FRAME_E_MAGIC, NULL, 0), 24);
	CU_ASSERT_EQUAL(slc_ack_encode(buf, 0, 1, 1, SLC_FRAME_E_MAGIC, NULL, 0), 0);
}

/* ---- round trips ---- */

static void
test_slc_ack_decode_round_trip(void)
{
	struct slc_ack a;
	struct slc_ack_group g;
	uint8_t buf[256];
	size_t len;
	uint16_t i;

	len = enc_three(buf);
	CU_ASSERT_EQUAL_FATAL(decode(buf, len, &a), 84);
	CU_ASSERT_EQUAL(a.length, 84);
	CU_ASSERT_EQUAL(a.frame_id, 77);
	CU_ASSERT_EQUAL(a.count, 10);
	CU_ASSERT_EQUAL(a.n_groups, 3);
	CU_ASSERT_EQUAL(a.status, SLC_ACK_PARTIAL);
	CU_ASSERT_EQUAL(a.error, 0);
	for (i = 0; i < 3; i++) {
		slc_ack_group(&a, i, &g);
		CU_ASSERT_EQUAL(g.first, three[i].first);
		CU_ASSERT_EQUAL(g.n, three[i].n);
		CU_ASSERT_EQUAL(g.status, three[i].status);
		CU_ASSERT_EQUAL(g.shard, three[i].shard);
		CU_ASSERT_EQUAL(g.counter, three[i].counter);
	}

	/* OK, one group covering 65535 records, the largest frame_id. */
	g = (struct slc_ack_group){ .first = 0, .n = 65535, .status = SLC_ACK_R_STORED,
		.shard = UINT32_MAX, .counter = UINT64_MAX - 65535 };
	len = slc_ack_encode(buf, sizeof(buf), UINT32_MAX, 65535, 0, &g, 1);
	CU_ASSERT_EQUAL_FATAL(decode(buf, len, &a), 44);
	CU_ASSERT_EQUAL(a.status, SLC_ACK_OK);
	CU_ASSERT_EQUAL(a.frame_id, UINT32_MAX);
	CU_ASSERT_EQUAL(a.count, 65535);
	slc_ack_group(&a, 0, &g);
	CU_ASSERT_EQUAL(g.shard, UINT32_MAX);
	CU_ASSERT_EQUAL(g.counter, UINT64_MAX - 65535);

	/* REJECTED, each frame cause. */
	for (i = SLC_FRAME_E_SHORT; i < SLC_FRAME_E_MAX; i++) {
		len = slc_ack_encode(buf, sizeof(buf), 1000 + i, 3, (uint8_t)i, NULL, 0);
		CU_ASSERT_EQUAL_FATAL(decode(buf, len, &a), 24);
		CU_ASSERT_EQUAL(a.status, SLC_ACK_REJECTED);
		CU_ASSERT_EQUAL(a.error, i);
		CU_ASSERT_EQUAL(a.n_groups, 0);
		CU_ASSERT_EQUAL(a.frame_id, 1000u + i);
		CU_ASSERT_EQUAL(a.count, 3);
	}
}

/* 65535 groups of one record each, alternating statuses: the largest ack. */
static void
test_slc_ack_decode_max_groups(void)
{
	struct slc_ack a;
	struct slc_ack_group g;
	size_t len;
	uint32_t i;

	for (i = 0; i < MAX_GROUPS; i++)
		big_groups[i] = (struct slc_ack_group){ .first = (uint16_t)i, .n = 1,
			.status = (uint8_t)(i % 4), .shard = i, .counter = (uint64_t)i << 20 };
	len = slc_ack_encode(big_buf, sizeof(big_buf), 5, 65535, 0, big_groups, 65535);
	CU_ASSERT_EQUAL_FATAL(len, slc_ack_size(65535));
	CU_ASSERT_EQUAL_FATAL(decode(big_buf, len, &a), (int)len);
	CU_ASSERT_EQUAL(a.n_groups, 65535);
	CU_ASSERT_EQUAL(a.status, SLC_ACK_PARTIAL);
	slc_ack_group(&a, 65534, &g);
	CU_ASSERT_EQUAL(g.first, 65534);
	CU_ASSERT_EQUAL(g.status, 65534 % 4);
	CU_ASSERT_EQUAL(g.shard, 65534);
	CU_ASSERT_EQUAL(g.counter, (uint64_t)65534 << 20);
	CU_ASSERT_EQUAL(decode(big_buf, len - 1, &a), 0);
}

/* Acks back to back on a stream: each decode returns its own length. */
static void
test_slc_ack_decode_stream(void)
{
	uint8_t buf[512];
	struct slc_ack a;
	size_t n1, n2, n3, off;
	int r;

	n1 = enc_three(buf);
	n2 = slc_ack_encode(buf + n1, sizeof(buf) - n1, 78, 2, SLC_FRAME_E_KEY_LEN, NULL, 0);
	n3 = slc_ack_encode(buf + n1 + n2, sizeof(buf) - n1 - n2, 79, 4, 0, three, 1);
	CU_ASSERT_FATAL(n1 > 0 && n2 > 0 && n3 > 0);
	/* three[0] alone covers records 0..3 of a 4-record frame */
	off = 0;
	r = decode(buf, n1 + n2 + n3, &a);
	CU_ASSERT_EQUAL_FATAL(r, (int)n1);
	CU_ASSERT_EQUAL(a.frame_id, 77);
	off += (size_t)r;
	r = decode(buf + off, n1 + n2 + n3 - off, &a);
	CU_ASSERT_EQUAL_FATAL(r, (int)n2);
	CU_ASSERT_EQUAL(a.frame_id, 78);
	CU_ASSERT_EQUAL(a.error, SLC_FRAME_E_KEY_LEN);
	off += (size_t)r;
	r = decode(buf + off, n3 - 1, &a);
	CU_ASSERT_EQUAL(r, 0);
	r = decode(buf + off, n3, &a);
	CU_ASSERT_EQUAL_FATAL(r, (int)n3);
	CU_ASSERT_EQUAL(a.frame_id, 79);
	CU_ASSERT_EQUAL(a.status, SLC_ACK_OK);
}

/* ---- corruption and truncation ---- */

static void
corrupt_every_byte(const uint8_t *ack, size_t len)
{
	uint8_t buf[256];
	struct slc_ack a;
	size_t i;
	unsigned int bit;

	CU_ASSERT_FATAL(len <= sizeof(buf));
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(buf, ack, len);
			buf[i] ^= (uint8_t)(1u << bit);
			CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
		}
		/* and a whole-byte change */
		memcpy(buf, ack, len);
		buf[i] = (uint8_t)~buf[i];
		CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	}
}

static void
test_slc_ack_decode_corrupt_every_byte(void)
{
	uint8_t buf[256];
	size_t len;

	len = enc_three(buf);
	corrupt_every_byte(buf, len);
	len = slc_ack_encode(buf, sizeof(buf), 3, 1, SLC_FRAME_E_CRC, NULL, 0);
	corrupt_every_byte(buf, len);
}

static void
test_slc_ack_decode_truncated(void)
{
	uint8_t buf[256];
	struct slc_ack a;
	size_t len, i;

	len = enc_three(buf);
	for (i = 0; i < len; i++)
		CU_ASSERT_EQUAL(decode(buf, i, &a), 0);
	len = slc_ack_encode(buf, sizeof(buf), 3, 1, SLC_FRAME_E_CRC, NULL, 0);
	for (i = 0; i < len; i++)
		CU_ASSERT_EQUAL(decode(buf, i, &a), 0);
}

/* ---- the decoder's rules ---- */

static void
test_slc_ack_decode_magic_version(void)
{
	uint8_t buf[256];
	struct slc_ack a;
	size_t len;

	len = enc_three(buf);
	buf[3] = '2';
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* A wrong magic is final as soon as its bytes are here. */
	CU_ASSERT_EQUAL(decode(buf, 4, &a), -EBADMSG);
	CU_ASSERT_EQUAL(decode(buf, 3, &a), 0);
	CU_ASSERT_EQUAL(decode("SLF1", 1, &a), 0);
	CU_ASSERT_EQUAL(decode("SLF1", 3, &a), -EBADMSG);
	CU_ASSERT_EQUAL(decode("X", 1, &a), -EBADMSG);
	/* a frame where an ack is expected */
	CU_ASSERT_EQUAL(decode("SLF1\x01\x00\x01\x00", 8, &a), -EBADMSG);

	len = enc_three(buf);
	buf[4] = 2;
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	CU_ASSERT_EQUAL(decode(buf, 5, &a), -EBADMSG);
	buf[4] = 0;
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
}

static void
test_slc_ack_decode_length(void)
{
	uint8_t buf[256];
	struct slc_ack a;
	size_t len;

	/* below the minimum, with no group */
	len = slc_ack_encode(buf, sizeof(buf), 3, 1, SLC_FRAME_E_CRC, NULL, 0);
	wr32(buf + 8, 20);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	wr32(buf + 8, 0);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* seen from the header alone: no need to wait for the rest */
	CU_ASSERT_EQUAL(decode(buf, 20, &a), -EBADMSG);

	/* length that disagrees with n_groups, either way */
	len = enc_three(buf);
	wr32(buf + 8, 64);
	fix_crc(buf, 64);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	len = enc_three(buf);
	wr32(buf + 8, 104);
	CU_ASSERT_EQUAL(decode(buf, 20, &a), -EBADMSG);
	len = enc_three(buf);
	wr16(buf + 16, 2);
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	len = enc_three(buf);
	wr32(buf + 8, UINT32_MAX);
	CU_ASSERT_EQUAL(decode(buf, 20, &a), -EBADMSG);
}

static void
test_slc_ack_decode_crc(void)
{
	uint8_t buf[256];
	struct slc_ack a;
	size_t len;

	len = enc_three(buf);
	buf[len - 1] ^= 0x80;
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	len = enc_three(buf);
	wr32(buf + len - 4, 0);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
}

/* Encode groups g (statuses as given) with the header status forced, CRC fixed. */
static size_t
craft(uint8_t *buf, uint16_t count, const struct slc_ack_group *g, uint16_t n, int status,
	int error)
{
	size_t len = slc_ack_encode(buf, 256, 42, count, 0, g, n);

	CU_ASSERT_FATAL(len > 0);
	if (status >= 0)
		buf[5] = (uint8_t)status;
	if (error >= 0)
		buf[18] = (uint8_t)error;
	fix_crc(buf, len);
	return len;
}

static void
test_slc_ack_decode_status_error(void)
{
	struct slc_ack_group g = { .first = 0, .n = 5, .status = SLC_ACK_R_STORED, .shard = 2 };
	uint8_t buf[256];
	struct slc_ack a;
	size_t len;

	/* the crafted baseline is good */
	len = craft(buf, 5, &g, 1, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), 44);
	/* REJECTED with a group */
	len = craft(buf, 5, &g, 1, SLC_ACK_REJECTED, SLC_FRAME_E_CRC);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* REJECTED with error 0 */
	len = slc_ack_encode(buf, sizeof(buf), 3, 1, SLC_FRAME_E_CRC, NULL, 0);
	buf[18] = 0;
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* OK or PARTIAL with an error */
	len = craft(buf, 5, &g, 1, -1, SLC_FRAME_E_CRC);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	g.status = SLC_ACK_R_RETRY;
	len = craft(buf, 5, &g, 1, -1, 1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* PARTIAL although every group is stored, OK although one is not */
	g.status = SLC_ACK_R_STORED;
	len = craft(buf, 5, &g, 1, SLC_ACK_PARTIAL, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	g.status = SLC_ACK_R_ERROR;
	len = craft(buf, 5, &g, 1, SLC_ACK_OK, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* unknown statuses */
	g.status = SLC_ACK_R_STORED;
	len = craft(buf, 5, &g, 1, 3, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	g.status = 4;
	len = craft(buf, 5, &g, 1, SLC_ACK_PARTIAL, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* reserved bytes */
	g.status = SLC_ACK_R_STORED;
	len = craft(buf, 5, &g, 1, -1, -1);
	buf[19] = 1;
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	len = craft(buf, 5, &g, 1, -1, -1);
	buf[27] = 1;
	fix_crc(buf, len);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* OK without a group (a frame of 0 records is never accepted) */
	len = slc_ack_encode(buf, sizeof(buf), 3, 0, 0, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(len, 24);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
}

static void
test_slc_ack_decode_groups(void)
{
	struct slc_ack_group g[3] = {
		{ .first = 0, .n = 3, .status = SLC_ACK_R_STORED, .shard = 1, .counter = 10 },
		{ .first = 3, .n = 2, .status = SLC_ACK_R_TOO_BIG },
		{ .first = 5, .n = 1, .status = SLC_ACK_R_STORED, .shard = 1, .counter = 13 },
	};
	uint8_t buf[256];
	struct slc_ack a;
	size_t len;

	len = craft(buf, 6, g, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), (int)len);
	/* fewer or more records than count */
	len = craft(buf, 7, g, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	len = craft(buf, 5, g, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* a gap */
	g[2].first = 6;
	len = craft(buf, 7, g, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* an overlap */
	g[2].first = 4;
	g[2].n = 2;
	len = craft(buf, 6, g, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* out of order */
	g[2].first = 5;
	g[2].n = 1;
	len = craft(buf, 6, (const struct slc_ack_group[]){ g[1], g[0], g[2] }, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* not starting at 0 */
	len = craft(buf, 6, g + 1, 2, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* an empty group, even where it leaves no gap */
	g[1].n = 0;
	g[2].first = 3;
	g[2].n = 3;
	len = craft(buf, 6, g, 3, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
	/* count wrapping: 65535 + 1 records in a frame of 0 */
	g[0] = (struct slc_ack_group){ .first = 0, .n = 65535, .status = SLC_ACK_R_RETRY };
	g[1] = (struct slc_ack_group){ .first = 65535, .n = 1, .status = SLC_ACK_R_RETRY };
	len = craft(buf, 0, g, 2, -1, -1);
	CU_ASSERT_EQUAL(decode(buf, len, &a), -EBADMSG);
}

int
main(void)
{
	CU_pSuite s;
	unsigned int fails;

	if (guard_init("test_ack") != 0)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ack", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "status_name_all", test_slc_ack_status_name_all) == NULL ||
	    CU_add_test(s, "size_values", test_slc_ack_size_values) == NULL ||
	    CU_add_test(s, "encode_layout", test_slc_ack_encode_layout) == NULL ||
	    CU_add_test(s, "encode_status", test_slc_ack_encode_status) == NULL ||
	    CU_add_test(s, "encode_cap", test_slc_ack_encode_cap) == NULL ||
	    CU_add_test(s, "decode_round_trip", test_slc_ack_decode_round_trip) == NULL ||
	    CU_add_test(s, "decode_max_groups", test_slc_ack_decode_max_groups) == NULL ||
	    CU_add_test(s, "decode_stream", test_slc_ack_decode_stream) == NULL ||
	    CU_add_test(s, "decode_corrupt_every_byte",
		test_slc_ack_decode_corrupt_every_byte) == NULL ||
	    CU_add_test(s, "decode_truncated", test_slc_ack_decode_truncated) == NULL ||
	    CU_add_test(s, "decode_magic_version", test_slc_ack_decode_magic_version) == NULL ||
	    CU_add_test(s, "decode_length", test_slc_ack_decode_length) == NULL ||
	    CU_add_test(s, "decode_crc", test_slc_ack_decode_crc) == NULL ||
	    CU_add_test(s, "decode_status_error", test_slc_ack_decode_status_error) == NULL ||
	    CU_add_test(s, "decode_groups", test_slc_ack_decode_groups) == NULL) {
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
