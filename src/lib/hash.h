/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XXH3-64, the image's checksum (docs/FORMAT.md), from two builds of the
 * same function: xxHash's scalar code and its vector code (SSE2 on
 * x86-64, NEON on arm64).  Both give the same value for the same input;
 * which one is faster depends on the machine.  On real CPUs the vector
 * build wins and either runs at several GB/s, far above the disk.  Under
 * emulation (QEMU's TCG, which hibernation is tested and benchmarked on)
 * the vector instructions are emulated slowly and the scalar build runs
 * about four times as fast.  The first call times both on a small buffer
 * and keeps the faster for the life of the process.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* XXH3_64bits_withSeed(data, len, seed); seed 0 is XXH3_64bits(). */
uint64_t hash64(const void *data, size_t len, uint64_t seed);

/* The build hash64 uses ("scalar" or "vector"); makes the choice if it
 * was not made yet. */
const char *hash64_impl(void);

/* The two builds, for tests and benchmarks. */
uint64_t hash64_scalar(const void *data, size_t len, uint64_t seed);
uint64_t hash64_vector(const void *data, size_t len, uint64_t seed);
