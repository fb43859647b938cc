/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xxHash's XXH3 compiled without vector instructions (see hash.h). */
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_SCALAR
#include <xxhash.h>

#include "hash.h"

uint64_t hash64_scalar(const void *data, size_t len, uint64_t seed)
{
	return XXH3_64bits_withSeed(data, len, seed);
}
