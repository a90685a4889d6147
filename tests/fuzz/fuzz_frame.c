/*
 * libFuzzer target for lib/frame's decoder (docs/frame-format.md), built and run
 * by run_fuzz.sh, never by meson's compiler.
 *
 * The first input byte selects patches, the rest is the datagram. Random bytes
 * almost never carry a matching CRC32C, so the patches let the fuzzer reach the
 * checks behind the CRC: bit 0 writes the magic and version, bit 1 sets the
 * length field to the bytes present, bit 2 recomputes the CRC at the place the
 * length field names. The datagram is checked as given and again as patched,
 * each time from a heap copy of exactly its size, so a read past it is an
 * AddressSanitizer report.
 *
 * For every datagram, with exact and not exact and several max_data values:
 *  - slc_frame_check() returns exactly what ref_check(), an independent
 *    transcription of the spec (index arithmetic, table-driven CRC32C), returns;
 *  - max_data only ever changes too_big into ok; exact only adds `length`;
 *  - an accepted frame iterates to exactly count records, every one inside
 *    [records, end) and within the spec's limits, every byte of which is read;
 *  - re-encoding the records with the builder gives the same bytes, and the
 *    re-encoded frame decodes to the same records.
 * Any violation calls __builtin_trap(), which libFuzzer reports as a crash.
 *
 * Built with -DFUZZ_FRAME_SEEDS it is instead a program that writes a seed corpus
 * of valid and slightly broken frames into the directory given as argv[1].
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slc_frame.h"

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_frame: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	__builtin_trap(); } } while (0)

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- reference: the spec, written out plainly ---- */

static uint32_t crc_table[256];

static void
crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
ref_crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;

	for (i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

static enum slc_frame_err
ref_check(const uint8_t *p, size_t n, bool exact, uint32_t max_data)
{
	size_t length, min, pos, end, size, count, i;
	bool rec_flags = false, key_bad = false, past = false, big = false, cnt;

	if (n < 20)
		return SLC_FRAME_E_SHORT;
	length = rd32(p + 8);
	if (length > n)
		return SLC_FRAME_E_SHORT;
	if (p[0] != 'S' || p[1] != 'L' || p[2] != 'F' || p[3] != '1')
		return SLC_FRAME_E_MAGIC;
	if (p[4] != 1)
		return SLC_FRAME_E_VERSION;
	if (p[5] > 1)
		return SLC_FRAME_E_FLAGS;
	min = p[5] == 1 ? 36 : 20;
	if (length < min)
		return SLC_FRAME_E_LENGTH;
	count = (size_t)p[6] | (size_t)p[7] << 8;
	pos = min - 4;
	end = length - 4;
	for (i = 0; i < count; i++) {
		size_t key_len, data_len;

		if (end - pos < 8) {
			past = true;
			break;
		}
		key_len = (size_t)p[pos] | (size_t)p[pos + 1] << 8;
		data_len = rd32(p + pos + 4);
		if (p[pos + 2] > 1 || p[pos + 3] != 0)
			rec_flags = true;
		if (key_len == 0 || key_len > 256)
			key_bad = true;
		if (data_len > max_data)
			big = true;
		size = 8 + (p[pos + 2] & 1 ? 16 : 0) + key_len + data_len;
		if (size > end - pos) {
			past = true;
			break;
		}
		pos += size;
	}
	cnt = count == 0 || (!past && pos != end);
	if (rec_flags)
		return SLC_FRAME_E_FLAGS;
	if (exact && length != n)
		return SLC_FRAME_E_LENGTH;
	if (ref_crc32c(p, end) != rd32(p + end))
		return SLC_FRAME_E_CRC;
	if (cnt)
		return SLC_FRAME_E_COUNT;
	if (key_bad)
		return SLC_FRAME_E_KEY_LEN;
	if (past)
		return SLC_FRAME_E_RECORD_LEN;
	if (big)
		return SLC_FRAME_E_TOO_BIG;
	return SLC_FRAME_OK;
}

/* ---- properties of an accepted frame ---- */

static volatile uint32_t sink;

static void
accepted(const uint8_t *p, size_t n, bool exact, uint32_t max_data,
	const struct slc_frame_info *fi)
{
	static uint8_t out[65536];
	struct slc_frame_builder b;
	struct slc_frame_iter it, it2;
	struct slc_frame_rec r, r2;
	struct slc_frame_info fi2;
	uint32_t sum = 0, i, got = 0;
	size_t len;

	CHECK(fi->length >= SLC_FRAME_MIN_LEN && fi->length <= n);
	CHECK(!exact || fi->length == n);
	CHECK(fi->count >= 1);
	CHECK(fi->frame_id == rd32(p + 12));
	CHECK(fi->has_hash_key == ((p[5] & 1) != 0));
	CHECK(!fi->has_hash_key || memcmp(fi->hash_key, p + 16, 16) == 0);
	CHECK(fi->records == p + (fi->has_hash_key ? 32 : 16));
	CHECK(fi->end == p + fi->length - 4);

	slc_frame_iter_init(&it, fi);
	while (slc_frame_iter_next(&it, &r) == 1) {
		got++;
		CHECK(got <= fi->count);
		CHECK(r.key_len >= 1 && r.key_len <= 256);
		CHECK(r.data_len <= max_data);
		CHECK(r.key >= fi->records && r.key + r.key_len <= fi->end);
		CHECK(r.data >= r.key + r.key_len && r.data + r.data_len <= fi->end);
		for (i = 0; i < r.key_len; i++)
			sum += r.key[i];
		for (i = 0; i < r.data_len; i++)
			sum += r.data[i];
		if (r.has_hash_key) {
			CHECK(r.hash_key >= fi->records && r.hash_key + 16 <= r.key);
			for (i = 0; i < 16; i++)
				sum += r.hash_key[i];
		} else {
			CHECK(r.hash_key == NULL);
		}
	}
	CHECK(got == fi->count);
	CHECK(it.p == fi->end);
	CHECK(slc_frame_iter_next(&it, &r) == 0);
	sink += sum;

	/* Round trip: the builder makes the same bytes from the decoded records. */
	CHECK(fi->length <= sizeof(out));
	CHECK(slc_frame_begin(&b, out, fi->length, fi->frame_id,
		fi->has_hash_key ? fi->hash_key : NULL) == 0);
	slc_frame_iter_init(&it, fi);
	while (slc_frame_iter_next(&it, &r) == 1)
		CHECK(slc_frame_add(&b, r.key, r.key_len, r.data, r.data_len,
			r.has_hash_key ? r.hash_key : NULL) == 0);
	len = slc_frame_end(&b);
	CHECK(len == fi->length);
	CHECK(memcmp(out, p, len) == 0);
	CHECK(slc_frame_check(out, len, true, max_data, &fi2) == SLC_FRAME_OK);
	CHECK(fi2.count == fi->count && fi2.frame_id == fi->frame_id);
	slc_frame_iter_init(&it, fi);
	slc_frame_iter_init(&it2, &fi2);
	while (slc_frame_iter_next(&it, &r) == 1) {
		CHECK(slc_frame_iter_next(&it2, &r2) == 1);
		CHECK(r.key_len == r2.key_len && r.data_len == r2.data_len);
		CHECK(r.has_hash_key == r2.has_hash_key);
		CHECK(memcmp(r.key, r2.key, r.key_len) == 0);
		CHECK(r.data_len == 0 || memcmp(r.data, r2.data, r.data_len) == 0);
		CHECK(!r.has_hash_key || memcmp(r.hash_key, r2.hash_key, 16) == 0);
	}
	CHECK(slc_frame_iter_next(&it2, &r2) == 0);
}

static const uint32_t max_datas[] = { 0, 1, 64, 4096, UINT32_MAX };
#define N_MAX_DATA (sizeof(max_datas) / sizeof(max_datas[0]))

static void
run(const uint8_t *p, size_t n)
{
	enum slc_frame_err e[2][N_MAX_DATA];
	struct slc_frame_info fi;
	unsigned int x, m;

	for (x = 0; x < 2; x++) {
		for (m = 0; m < N_MAX_DATA; m++) {
			memset(&fi, 0xa5, sizeof(fi));
			e[x][m] = slc_frame_check(p, n, x == 1, max_datas[m], &fi);
			CHECK(e[x][m] < SLC_FRAME_E_MAX);
			if (e[x][m] != ref_check(p, n, x == 1, max_datas[m])) {
				fprintf(stderr, "fuzz_frame: check says %s, the spec says %s (exact %u max_data %u)\n",
					slc_frame_err_name(e[x][m]),
					slc_frame_err_name(ref_check(p, n, x == 1, max_datas[m])),
					x, max_datas[m]);
				__builtin_trap();
			}
			if (e[x][m] == SLC_FRAME_OK)
				accepted(p, n, x == 1, max_datas[m], &fi);
		}
	}
	for (x = 0; x < 2; x++) {
		for (m = 1; m < N_MAX_DATA; m++) {
			/* max_data only decides between too_big and ok, monotonically. */
			if (e[x][m - 1] == SLC_FRAME_E_TOO_BIG)
				CHECK(e[x][m] == SLC_FRAME_E_TOO_BIG || e[x][m] == SLC_FRAME_OK);
			else
				CHECK(e[x][m] == e[x][m - 1]);
		}
	}
	/* A datagram (exact) is a stream frame filling the bytes, or a length error. */
	for (m = 0; m < N_MAX_DATA; m++)
		CHECK(e[1][m] == e[0][m] || e[1][m] == SLC_FRAME_E_LENGTH);
}

#ifndef FUZZ_FRAME_SEEDS

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	uint8_t mode, *p;
	size_t n;

	if (!init) {
		crc_init();
		init = true;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	n = size - 1;
	p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data + 1, n);
	run(p, n);
	if (mode & 7) {
		if ((mode & 1) && n >= 5)
			memcpy(p, "SLF1\x01", 5);
		if ((mode & 2) && n >= 12)
			wr32(p + 8, (uint32_t)n);
		if ((mode & 4) && n >= 12) {
			uint32_t length = rd32(p + 8);

			if (length >= 4 && length <= n)
				wr32(p + length - 4, ref_crc32c(p, length - 4));
		}
		run(p, n);
	}
	free(p);
	return 0;
}

#else /* FUZZ_FRAME_SEEDS */

static int
seed(const char *dir, unsigned int i, uint8_t mode, const uint8_t *f, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/seed-%03u", dir, i);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(&mode, 1, 1, fp) != 1 || fwrite(f, 1, len, fp) != len ||
	    fclose(fp) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint8_t hk[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static uint8_t key[256], data[600];
	struct slc_frame_builder b;
	uint8_t f[4096];
	unsigned int i, r, n = 0;
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	crc_init();
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	/* Shapes: records 1, 2, 5, 20 of varying sizes, with and without keys. */
	for (i = 0; i < 16; i++) {
		unsigned int recs = (unsigned int[]){ 1, 2, 5, 20 }[i % 4];

		if (slc_frame_begin(&b, f, sizeof(f), i, (i & 4) ? hk : NULL) != 0)
			return 1;
		for (r = 0; r < recs; r++) {
			uint16_t kl = (uint16_t)(i == 3 && r == 0 ? 256 : 1 + (r * 5 + i) % 32);
			uint32_t dl = (i & 8) ? 0 : (r * 13 + i) % 100;

			if (slc_frame_add(&b, key, kl, data, dl, ((r + i) & 1) ? hk : NULL) != 0)
				return 1;
		}
		len = slc_frame_end(&b);
		run(f, len);    /* the properties hold for the seeds themselves */
		if (seed(argv[1], n++, 0, f, len) != 0 ||
		    seed(argv[1], n++, 7, f, len) != 0)
			return 1;
		/* The same frame with a record length field broken, patched CRC. */
		f[(i & 4 ? 32 : 16) + 4] ^= 0x01;
		if (seed(argv[1], n++, 4, f, len) != 0)
			return 1;
	}
	/* One large record near max_len. */
	if (slc_frame_begin(&b, f, sizeof(f), 99, NULL) != 0 ||
	    slc_frame_add(&b, key, 200, data, 600, NULL) != 0)
		return 1;
	len = slc_frame_end(&b);
	if (seed(argv[1], n++, 0, f, len) != 0)
		return 1;
	printf("fuzz_frame: wrote %u seeds to %s\n", n, argv[1]);
	return 0;
}

#endif /* FUZZ_FRAME_SEEDS */
