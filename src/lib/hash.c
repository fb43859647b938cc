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

/* One timing of fn over buf. */
static uint64_t time_hash(hash_fn fn, const uint8_t *buf, size_t len, uint64_t seed)
{
	volatile uint64_t sink;
	uint64_t t = clock_ns();

	sink = fn(buf, len, seed);
	(void)sink;
	return clock_ns() - t;
}

static void choose(void)
{
	/* 64 KiB: long enough for the bulk loop to dominate, short enough
	 * to cost well under a millisecond on real hardware. */
	static uint8_t buf[64 * 1024];
	uint64_t scalar = UINT64_MAX, vector = UINT64_MAX;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 9));
	/* The best of several timings of each, taken in turns: a stretch
	 * where this thread lost its CPU (under emulation, a virtual CPU its
	 * host core) disturbs both builds alike instead of deciding. */
	for (unsigned i = 0; i < 7; i++) {
		uint64_t v = time_hash(hash64_vector, buf, sizeof(buf), i);
		uint64_t c = time_hash(hash64_scalar, buf, sizeof(buf), i);

		if (v < vector)
			vector = v;
		if (c < scalar)
			scalar = c;
	}
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
