/*
 * lib/tcp: initial sequence numbers, timestamp offsets and SYN cookies, all
 * derived from one keyed hash (SipHash-2-4 under cfg.secret) of the 4-tuple.
 *
 * ISN (RFC 6528): hash(4-tuple) + a 4 us clock, so a reused 4-tuple starts
 * beyond the old connection's sequence space.
 *
 * SYN cookie (the ISN of a SYN-ACK sent without a half-open entry):
 *   bits 31..24  coarse counter (now / 64 s), low 8 bits
 *   bits 23..2   22 bits of hash(4-tuple, peer ISN, full counter, MSS index)
 *   bits  1..0   MSS index into tcp_cookie_mss[]
 * A cookie is valid for TCP_COOKIE_MAX_AGE counters after the one it was made
 * in (2..3 minutes). Window scale and SACK-permitted cannot fit there: as
 * Linux does, they travel in the low 6 bits of our TSval (echoed in the ACK's
 * TSecr) when the peer sent timestamps; without timestamps the connection gets
 * neither.
 *
 * Owner: the engine's core (pure functions of the engine's read-only config).
 */
#include <string.h>

#include "tcp_priv.h"

static const uint16_t tcp_cookie_mss[4] = { 536, 1220, 1440, 1460 };

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

uint64_t
tcp_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct cookie_in {
	struct tcp_key k;
	uint32_t peer_isn;
	uint32_t count;
	uint32_t mssind;
	uint32_t what;
};

uint32_t
tcp_isn(const struct slc_tcp *t, const struct tcp_key *k, uint64_t now_us)
{
	struct cookie_in in;

	memset(&in, 0, sizeof(in));
	in.k = *k;
	in.what = 1;
	return (uint32_t)tcp_siphash(t->cfg.secret, &in, sizeof(in)) + (uint32_t)(now_us / 4);
}

uint32_t
tcp_ts_off(const struct slc_tcp *t, const struct tcp_key *k)
{
	struct cookie_in in;

	memset(&in, 0, sizeof(in));
	in.k = *k;
	in.what = 2;
	return (uint32_t)tcp_siphash(t->cfg.secret, &in, sizeof(in));
}

static uint32_t
cookie_mac(const struct slc_tcp *t, const struct tcp_key *k, uint32_t peer_isn, uint32_t count,
	uint32_t mssind)
{
	struct cookie_in in;

	memset(&in, 0, sizeof(in));
	in.k = *k;
	in.peer_isn = peer_isn;
	in.count = count;
	in.mssind = mssind;
	in.what = 3;
	return (uint32_t)tcp_siphash(t->cfg.secret, &in, sizeof(in)) & 0x3fffff;
}

uint32_t
tcp_cookie_make(const struct slc_tcp *t, const struct tcp_key *k, uint32_t peer_isn,
	uint16_t peer_mss, uint16_t *mss, uint64_t now_us)
{
	uint32_t count = (uint32_t)(now_us / TCP_COOKIE_PERIOD_US);
	uint32_t i = 3;

	while (i > 0 && tcp_cookie_mss[i] > peer_mss)
		i--;
	*mss = tcp_cookie_mss[i];
	return (count & 0xff) << 24 | cookie_mac(t, k, peer_isn, count, i) << 2 | i;
}

uint16_t
tcp_cookie_check(const struct slc_tcp *t, const struct tcp_key *k, uint32_t peer_isn,
	uint32_t cookie, uint64_t now_us)
{
	uint32_t now_count = (uint32_t)(now_us / TCP_COOKIE_PERIOD_US);
	uint32_t age = (now_count - (cookie >> 24)) & 0xff;
	uint32_t count = now_count - age;
	uint32_t i = cookie & 3;

	if (age > TCP_COOKIE_MAX_AGE)
		return 0;
	if (((cookie >> 2) & 0x3fffff) != cookie_mac(t, k, peer_isn, count, i))
		return 0;
	return tcp_cookie_mss[i];
}

uint32_t
tcp_cookie_tsval(uint32_t ts_now, const struct tcp_opts *o)
{
	uint32_t bits = (o->ws_ok ? RTE_MIN(o->ws, TCP_MAX_WSCALE) : 0xf) | (o->sack_ok ? 0x10 : 0);

	/* Rounded down so that the connection's later TSvals never go backwards. */
	return ((ts_now - 64) & ~0x3fu) | bits;
}
