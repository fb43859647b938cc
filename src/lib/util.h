/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by every module: cleanup attributes, full-length
 * I/O, checked number parsing, clocks.  Nothing here prints.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) ((((x) + (a)-1) / (a)) * (a))
#define NSEC_PER_SEC 1000000000ULL

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

/* Return the value of *p and set *p to NULL: hand ownership to a caller. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_ = (p);    \
		(p) = NULL;                  \
		_tp_;                        \
	})

#define TAKE_FD(fd)                  \
	({                           \
		int _tf_ = (fd);     \
		(fd) = -1;           \
		_tf_;                \
	})

/* Full-length positioned I/O.  0 on success, negative errno on failure;
 * a short transfer that makes no progress is -EIO (pread: end of file). */
int pread_full(int fd, void *buf, size_t len, uint64_t off);
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

/* Parse an unsigned decimal number (no sign, no trailing garbage) within
 * [min, max].  0, -EINVAL or -ERANGE.  *ret is written only on success. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Parse "N", "NK", "NM", "NG" (binary units) within [min, max]. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

uint64_t now_ns(void); /* CLOCK_MONOTONIC */

/* Copy src into dst of size n, always NUL-terminated, rest zero-filled. */
void strncpy_pad(char *dst, const char *src, size_t n);

/* A zeroed buffer of one 4096-byte page, aligned for O_DIRECT; NULL when
 * out of memory.  free() it. */
uint8_t *page_alloc(void);

/* Read a small text file (configuration, /proc/cmdline) into buf, NUL-
 * terminated.  0, -EFBIG when it does not fit in size - 1 bytes, or
 * another negative errno (-ENOENT when it does not exist). */
int read_text_file(const char *path, char *buf, size_t size);

/* Trim leading and trailing white space in place; returns s + skip. */
char *strstrip(char *s);
