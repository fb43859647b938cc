/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hash.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

typedef uint64_t (*hash_fn)(const void *, size_t, uint64_t);

static hash_fn chosen;
static const char *chosen_name;
static pthread_once_t choose_once = PTHREAD_ONCE_INIT;

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Best of a few timings of fn over buf: the least disturbed one. */
static uint64_t time_hash(hash_fn fn, const uint8_t *buf, size_t len)
{
	uint64_t best = UINT64_MAX;
	volatile uint64_t sink = 0;

	for (unsigned i = 0; i < 3; i++) {
		uint64_t t = clock_ns();
		sink += fn(buf, len, i);
		t = clock_ns() - t;
		if (t < best)
			best = t;
	}
	(void)sink;
	return best;
}

static void choose(void)
{
	/* 64 KiB: long enough for the bulk loop to dominate, short enough
	 * to cost well under a millisecond on real hardware. */
	static uint8_t buf[64 * 1024];
	uint64_t scalar, vector;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 9));
	vector = time_hash(hash64_vector, buf, sizeof(buf));
	scalar = time_hash(hash64_scalar, buf, sizeof(buf));
	if (scalar < vector) {
		chosen = hash64_scalar;
		chosen_name = "scalar";
	} else {
		chosen = hash64_vector;
		chosen_name = "vector";
	}
}

uint64_t hash64(const void *data, size_t len, uint64_t seed)
{
	pthread_once(&choose_once, choose);
	return chosen(data, len, seed);
}

const char *hash64_impl(void)
{
	pthread_once(&choose_once, choose);
	return chosen_name;
}
