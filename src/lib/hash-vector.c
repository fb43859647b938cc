/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xxHash's XXH3 with the vector code the compiler targets by default
 * (SSE2 on x86-64, NEON on arm64; scalar where there is none). */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hash.h"

uint64_t hash64_vector(const void *data, size_t len, uint64_t seed)
{
	return XXH3_64bits_withSeed(data, len, seed);
}
