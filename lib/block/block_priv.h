/*
 * Private to lib/block: the deflate helpers block.c calls, and the module's log
 * type. Not installed, not for other modules.
 */
#ifndef BLOCK_PRIV_H
#define BLOCK_PRIV_H

#include <stdint.h>

#include <rte_log.h>

#include "slc_block.h"

extern int block_logtype;
#define BLOCK_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, (uint32_t)block_logtype, "slc.lib.block: " fmt "\n", ##__VA_ARGS__)

/*
 * Deflate len bytes at in into z's scratch. Returns the compressed length if it is
 * strictly below len (*out then points at it, valid until z's next use), 0 if
 * compression does not pay or cannot be done (the caller stores raw).
 */
uint32_t block_deflate(struct slc_block_zctx *z, const uint8_t *in, uint32_t len,
	const uint8_t **out);

/*
 * Inflate stored_len bytes at in into z's scratch; *out points at the result.
 * Returns 0, -EBADMSG unless the stream inflates to exactly raw_len bytes,
 * -ENOMEM if the scratch cannot grow to raw_len.
 */
int block_inflate(struct slc_block_zctx *z, const uint8_t *in, uint32_t stored_len,
	uint32_t raw_len, const uint8_t **out);

#endif /* BLOCK_PRIV_H */
