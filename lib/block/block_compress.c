/*
 * Payload compression for the shard log: raw deflate (RFC 1951, no wrapper) with
 * ISA-L igzip at level 1, one-shot (stateless) in both directions, because a
 * block's payload is whole in memory when it is sealed and when it is read.
 *
 * A context holds everything the codec needs so that no block allocates: the
 * deflate stream and its level-1 buffer, the inflate state (tens of KiB, hence not
 * on the stack) and one scratch buffer that receives deflate output on the writer
 * and inflate output on a reader. The scratch is sized for max_raw at creation and
 * grows if a block's raw payload is larger: a reader must be able to read every
 * valid block, whatever context size its caller guessed. A context belongs to one
 * thread (one per writer core, one per reader).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

#include "slc_block.h"
#include "slc_mem.h"
#include "block_priv.h"

struct slc_block_zctx {
	struct isal_zstream zs;
	struct inflate_state is;
	uint8_t *level_buf;      /* ISAL_DEF_LVL1_DEFAULT bytes */
	uint8_t *scratch;
	uint32_t scratch_len;
};

struct slc_block_zctx *
slc_block_zctx_create(uint32_t max_raw)
{
	struct slc_block_zctx *z;

	z = slc_calloc(1, sizeof(*z));
	if (z == NULL)
		goto fail;
	z->level_buf = slc_malloc(ISAL_DEF_LVL1_DEFAULT);
	if (z->level_buf == NULL)
		goto fail_z;
	/* At least one byte so that a zero max_raw still yields a usable pointer. */
	z->scratch_len = max_raw > 0 ? max_raw : 1;
	z->scratch = slc_malloc(z->scratch_len);
	if (z->scratch == NULL)
		goto fail_level;
	return z;

fail_level:
	slc_free(z->level_buf);
fail_z:
	slc_free(z);
fail:
	BLOCK_LOG(ERR, "cannot allocate a deflate context for %u-byte payloads", max_raw);
	errno = ENOMEM;
	return NULL;
}

void
slc_block_zctx_free(struct slc_block_zctx *z)
{
	if (z == NULL)
		return;
	slc_free(z->scratch);
	slc_free(z->level_buf);
	slc_free(z);
}

static int
scratch_reserve(struct slc_block_zctx *z, uint32_t len)
{
	uint8_t *p;

	if (len <= z->scratch_len)
		return 0;
	p = slc_realloc(z->scratch, len);
	if (p == NULL) {
		BLOCK_LOG(ERR, "cannot grow deflate scratch from %u to %u bytes",
			z->scratch_len, len);
		return -ENOMEM;
	}
	z->scratch = p;
	z->scratch_len = len;
	return 0;
}

uint32_t
block_deflate(struct slc_block_zctx *z, const uint8_t *in, uint32_t len, const uint8_t **out)
{
	struct isal_zstream *zs = &z->zs;
	int rc;

	if (len < 2 || scratch_reserve(z, len) != 0)
		return 0;
	isal_deflate_stateless_init(zs);
	zs->level = 1;
	zs->level_buf = z->level_buf;
	zs->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	zs->gzip_flag = IGZIP_DEFLATE;
	zs->flush = NO_FLUSH;
	zs->end_of_stream = 1;
	zs->next_in = (uint8_t *)(uintptr_t)in;   /* igzip only reads its input */
	zs->avail_in = len;
	zs->next_out = z->scratch;
	/* Only a strictly smaller result is worth keeping: let anything else overflow. */
	zs->avail_out = len - 1;

	rc = isal_deflate_stateless(zs);
	if (rc == STATELESS_OVERFLOW)
		return 0;
	if (rc != COMP_OK) {
		BLOCK_LOG(WARNING, "igzip deflate failed (%d): block stored raw", rc);
		return 0;
	}
	if (zs->avail_in != 0 || zs->total_out == 0 || zs->total_out >= len)
		return 0;
	*out = z->scratch;
	return zs->total_out;
}

int
block_inflate(struct slc_block_zctx *z, const uint8_t *in, uint32_t stored_len,
	uint32_t raw_len, const uint8_t **out)
{
	struct inflate_state *is = &z->is;
	int rc;

	rc = scratch_reserve(z, raw_len);
	if (rc != 0)
		return rc;
	isal_inflate_init(is);
	is->crc_flag = ISAL_DEFLATE;
	is->next_in = (uint8_t *)(uintptr_t)in;   /* igzip only reads its input */
	is->avail_in = stored_len;
	is->next_out = z->scratch;
	is->avail_out = raw_len;

	rc = isal_inflate_stateless(is);
	if (rc != ISAL_DECOMP_OK || is->total_out != raw_len ||
			is->block_state != ISAL_BLOCK_FINISH) {
		BLOCK_LOG(DEBUG, "payload does not inflate to %u bytes (igzip %d, got %u)",
			raw_len, rc, is->total_out);
		return -EBADMSG;
	}
	*out = z->scratch;
	return 0;
}
