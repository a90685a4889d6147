/*
 * @file
 * slc_hashkey: the 128-bit hash-key space of a stream.
 *
 * A record's hash key is the MD5 digest of its partition key's bytes read as a
 * big-endian unsigned 128-bit integer, unless the producer gives an explicit hash
 * key. A stream of N shards splits [0, 2^128-1] into N ranges of width
 * floor(2^128 / N); the last range takes the remainder. Hash keys are printed and
 * parsed as decimal strings, as the Kinesis API does.
 *
 * Pure functions, thread-safe, no allocation.
 */
#ifndef SLC_HASHKEY_H
#define SLC_HASHKEY_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 slc_u128;

#define SLC_U128_MAX (~(slc_u128)0)

/* Longest decimal u128 is 39 digits; plus NUL. */
#define SLC_U128_STRLEN 40

/* Partition-key limits (bytes), as in Kinesis. */
#define SLC_PKEY_MIN 1
#define SLC_PKEY_MAX 256

/* MD5 of key[0..len) as a big-endian 128-bit integer. */
slc_u128 slc_hashkey_md5(const void *key, size_t len);

/* Read 16 bytes as a big-endian integer / write one as 16 big-endian bytes. */
slc_u128 slc_hashkey_from_be(const uint8_t be[16]);
void slc_hashkey_to_be(slc_u128 v, uint8_t be[16]);

/*
 * Range of shard i (0-based) of n equal shards. Returns 0, or -EINVAL if n == 0 or
 * i >= n. start/end are inclusive.
 */
int slc_hashkey_range(uint32_t n, uint32_t i, slc_u128 *start, slc_u128 *end);

/* Write v in decimal (no leading zeros, "0" for zero) into buf of SLC_U128_STRLEN.
 * Returns the number of characters written, excluding the NUL. */
int slc_hashkey_format(slc_u128 v, char buf[SLC_U128_STRLEN]);

/*
 * Parse a decimal string (digits only, 1..39 characters, no sign, no spaces).
 * Returns 0, -EINVAL for anything that is not a decimal number, -ERANGE if it
 * exceeds 2^128-1.
 */
int slc_hashkey_parse(const char *s, slc_u128 *out);

#endif /* SLC_HASHKEY_H */
