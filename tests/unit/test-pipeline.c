/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the chunk pipeline (pipeline.h): synthetic page streams
 * from memory are written by pipe_write to a regular file, a header is
 * built from the totals the way snapwrite does, and pipe_read must give
 * back exactly the same pages, or, for a damaged, misplaced, foreign or
 * missing chunk, fail with -EBADMSG and name that chunk.
 *
 * The page sources and sinks never call cmocka asserts: they run while the
 * pipeline's threads do, and a failed assert would jump out of pipe_read
 * with the threads still running.  They count what went wrong instead, and
 * the test checks the counts after the pipeline returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "blockdev.h"
#include "format/format.h"
#include "pipeline.h"
#include "target.h"
#include "util.h"

#define PAGE IMAGE_PAGE_SIZE
#define NO_CHUNK UINT64_MAX
#define NEVER UINT64_MAX

/* ---- synthetic page streams ------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct stream {
	uint64_t seed;
	uint64_t pages;
	/* 'R' random, 'T' text, 'Z' zero, repeating; NULL: a seeded mix in
	 * runs of a few pages, so that whole chunks of one kind occur. */
	const char *pattern;

	/* Run state and what the source observed. */
	uint64_t next;
	uint64_t calls;       /* get_pages calls */
	uint64_t asked;       /* pages asked for, the failing one included */
	uint64_t after_error; /* calls after an error was returned */
	bool failed;
	uint32_t batch;   /* at most this many pages per call; 0: as asked */
	uint64_t fail_at; /* page index at which get_pages fails, or NEVER */
	int fail_err;
	pthread_t caller;
	uint64_t wrong_thread;

	/* Ring check (when ring_fd >= 0): when the first page of chunk c is
	 * asked for, chunk c - ring_slots must already be on disk. */
	int ring_fd;
	unsigned ring_slots, ring_chunk_pages;
	uint64_t ring_violations;
};

static void stream_init(struct stream *s, uint64_t seed, uint64_t pages, const char *pattern)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->pages = pages;
	s->pattern = pattern;
	s->fail_at = NEVER;
	s->caller = pthread_self();
	s->ring_fd = -1;
}

static char page_kind(const struct stream *s, uint64_t i)
{
	uint64_t x;

	if (s->pattern)
		return s->pattern[i % strlen(s->pattern)];
	x = s->seed ^ ((i / 5) * 0x2545f4914f6cdd1dull);
	switch (splitmix64(&x) % 10) {
	case 0: case 1: case 2: case 3: return 'R';
	case 4: case 5: case 6: case 7: return 'T';
	default: return 'Z';
	}
}

static void make_page(const struct stream *s, uint64_t i, uint8_t *page)
{
	static const char *const words[] = {
		"the", "kernel", "snapshot", "image", "resume", "page", "frame", "number",
		"freeze", "thaw", "device", "mapper", "chunk", "header", "checksum", "boot",
		"initramfs", "swap", "memory", "restore", "atomic", "origin", "overlay", "of",
		"a", "and", "to", "in", "is", "it", "that", "was",
	};
	uint64_t x = s->seed * 0x100000001b3ull + i;
	size_t pos;

	switch (page_kind(s, i)) {
	case 'R':
		for (size_t w = 0; w < PAGE / 8; w++)
			le64_put(page + 8 * w, splitmix64(&x));
		break;
	case 'T':
		pos = (size_t)snprintf((char *)page, PAGE, "page %llu seed %llu:",
				       (unsigned long long)i, (unsigned long long)s->seed);
		while (pos < PAGE) {
			uint64_t r = splitmix64(&x);
			const char *w = words[r % (sizeof(words) / sizeof(words[0]))];
			size_t l = strlen(w);

			page[pos++] = (r >> 32) % 12 == 0 ? '\n' : ' ';
			if (l > PAGE - pos)
				l = PAGE - pos;
			memcpy(page + pos, w, l);
			pos += l;
		}
		break;
	default:
		memset(page, 0, PAGE);
		break;
	}
}

static off_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_size : -1;
}

static int get_pages(void *userdata, void *buf, uint32_t max)
{
	struct stream *s = userdata;
	uint32_t n = 0;

	s->calls++;
	if (!pthread_equal(pthread_self(), s->caller))
		s->wrong_thread++;
	if (s->failed)
		s->after_error++;
	if (max == 0)
		s->wrong_thread++; /* never asked for nothing */
	if (s->batch && max > s->batch)
		max = s->batch;
	while (n < max) {
		uint64_t i = s->next;

		/* Pages before the failing one are handed over first. */
		if (i == s->fail_at && n > 0)
			break;
		s->asked++;
		if (i == s->fail_at) {
			s->failed = true;
			return s->fail_err;
		}
		if (s->ring_fd >= 0 && i % s->ring_chunk_pages == 0) {
			uint64_t c = i / s->ring_chunk_pages;

			if (c >= s->ring_slots) {
				/* Every chunk takes at least one block on disk. */
				uint64_t need = IMAGE_HEADER_SIZE + (c - s->ring_slots + 1) * IMAGE_ALIGN;
				if ((uint64_t)file_size(s->ring_fd) < need)
					s->ring_violations++;
			}
		}
		if (i >= s->pages)
			break;
		make_page(s, i, (uint8_t *)buf + (size_t)n * PAGE);
		s->next++;
		n++;
	}
	return (int)n;
}

struct sink {
	const struct stream *src; /* regenerates the expected pages */
	uint64_t next;            /* pages accepted */
	uint64_t calls;           /* put_pages calls */
	uint64_t asked;           /* pages looked at, the failing one included */
	uint64_t after_error;     /* calls after an error was returned */
	bool failed;
	uint64_t mismatches, first_mismatch;
	uint64_t fail_at; /* page index at which put_pages fails, or NEVER */
	int fail_err;
	pthread_t caller;
	uint64_t wrong_thread;
	uint8_t expect[PAGE];
};

static void sink_init(struct sink *k, const struct stream *src)
{
	memset(k, 0, sizeof(*k));
	k->src = src;
	k->first_mismatch = NEVER;
	k->fail_at = NEVER;
	k->caller = pthread_self();
}

static int put_pages(void *userdata, const void *pages, uint32_t n)
{
	struct sink *k = userdata;

	k->calls++;
	if (!pthread_equal(pthread_self(), k->caller))
		k->wrong_thread++;
	if (k->failed)
		k->after_error++;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *page = (const uint8_t *)pages + (size_t)i * PAGE;

		k->asked++;
		if (k->next == k->fail_at) {
			k->failed = true;
			return k->fail_err;
		}
		if (k->next >= k->src->pages) {
			k->mismatches++;
		} else {
			make_page(k->src, k->next, k->expect);
			if (memcmp(page, k->expect, PAGE) != 0) {
				if (k->first_mismatch == NEVER)
					k->first_mismatch = k->next;
				k->mismatches++;
			}
		}
		k->next++;
	}
	return 0;
}

struct progress_log {
	uint64_t calls;
	uint64_t last_pages;
	uint64_t last_seq;
	uint64_t out_of_order;
};

static void on_progress(void *userdata, const struct pipe_stats *st)
{
	struct progress_log *l = userdata;

	if (st->pages < l->last_pages)
		l->out_of_order++;
	l->last_pages = st->pages;
	l->last_seq = st->last_seq;
	l->calls++;
}

/* Read progress: one call per chunk, in sequence order. */
static void on_read_progress(void *userdata, const struct pipe_stats *st)
{
	struct progress_log *l = userdata;

	if (st->last_seq != l->calls || st->chunks != l->calls + 1)
		l->out_of_order++;
	on_progress(userdata, st);
}

/* ---- files and images ------------------------------------------------ */

/* A temporary file, already unlinked unless ret_path is given.  The header
 * block is pre-filled with a pattern: pipe_write must not touch it. */
#define HEADER_FILL 0xa5

static int temp_target(char *ret_path, size_t path_size)
{
	const char *dir = getenv("TMPDIR");
	char path[256];
	uint8_t block[IMAGE_HEADER_SIZE];
	int fd;

	snprintf(path, sizeof(path), "%s/test-pipeline.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	assert_true(fd >= 0);
	if (ret_path)
		snprintf(ret_path, path_size, "%s", path);
	else
		unlink(path);
	memset(block, HEADER_FILL, sizeof(block));
	assert_int_equal(pwrite(fd, block, sizeof(block), 0), sizeof(block));
	return fd;
}

static void assert_header_block_untouched(int fd)
{
	uint8_t block[IMAGE_HEADER_SIZE];

	assert_int_equal(pread(fd, block, sizeof(block), 0), sizeof(block));
	for (size_t i = 0; i < sizeof(block); i++)
		if (block[i] != HEADER_FILL)
			fail_msg("pipe_write changed byte %zu of the header block", i);
}

static void make_uuid(uint8_t uuid[16], uint8_t tag)
{
	for (int i = 0; i < 16; i++)
		uuid[i] = (uint8_t)(tag + 11 * i);
}

/* The header snapwrite commits after pipe_write (do_hibernate): the
 * geometry from pipe_header_fill, as there. */
static void header_from_stats(const struct pipe *p, const struct pipe_stats *st,
			      const uint8_t uuid[16], struct image_header *h)
{
	memset(h, 0, sizeof(*h));
	pipe_header_fill(p, st, IMAGE_HEADER_SIZE, h);
	memcpy(h->uuid, uuid, 16);
	h->created_unix = (uint64_t)time(NULL);
	strcpy(h->kernel_release, "unit-test");
	strcpy(h->kernel_version, "#1 unit test");
}

/* Write src as a committed image on fd; the header decoded back from the
 * file goes to *ret_h.  Returns pipe_write's result. */
static int write_image(int fd, struct stream *src, const struct pipe_opts *o,
		       const uint8_t uuid[16], uint64_t limit, struct image_header *ret_h,
		       struct pipe_stats *ret_st)
{
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_stats st;
	struct image_header h;
	enum image_state state;
	int r;

	assert_int_equal(pipe_new(o, &p), 0);
	r = pipe_write(p, uuid, get_pages, src, fd, IMAGE_HEADER_SIZE, limit, NULL, NULL, &st);
	if (r < 0)
		return r;
	header_from_stats(p, &st, uuid, &h);
	assert_int_equal(target_write_header(fd, &h), 0);
	assert_int_equal(target_read_header(fd, &state, ret_h, NULL), 0);
	assert_int_equal(state, IMAGE_VALID);
	if (ret_st)
		*ret_st = st;
	return 0;
}

/* Read the image on fd back into a sink; returns pipe_read's result and,
 * in *ret_err_chunk, pipe_error_chunk(). */
static int read_image(int fd, const struct image_header *h, const struct pipe_opts *o,
		      struct sink *k, uint64_t *ret_err_chunk)
{
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	int r;

	assert_int_equal(pipe_new(o, &p), 0);
	r = pipe_read(p, h, fd, (uint64_t)file_size(fd), k ? put_pages : NULL, k, NULL, NULL, NULL);
	if (ret_err_chunk)
		*ret_err_chunk = r < 0 ? pipe_error_chunk(p) : NO_CHUNK;
	return r;
}

struct chunk_loc {
	uint64_t off;     /* where the chunk header is */
	uint64_t covered; /* header + stored data: what the checksums cover */
	uint64_t disk;    /* padding included */
	uint64_t first_page;
	struct chunk_header c;
};

/* Find the chunks of image h on fd, checking the layout docs/FORMAT.md
 * gives: back to back from payload_offset, seq from 0, the image's uuid,
 * zero padding. */
static size_t walk_chunks(int fd, const struct image_header *h, struct chunk_loc *out,
			  size_t max)
{
	uint64_t off = h->payload_offset, page = 0;
	size_t n = 0;

	assert_true(h->chunk_count <= max);
	for (uint64_t seq = 0; seq < h->chunk_count; seq++) {
		uint8_t b[CHUNK_HEADER_SIZE];
		struct chunk_loc *l = &out[n++];

		assert_int_equal(pread(fd, b, sizeof(b), (off_t)off), sizeof(b));
		assert_int_equal(chunk_header_decode(b, &l->c), 0);
		assert_int_equal(l->c.seq, seq);
		assert_memory_equal(l->c.uuid, h->uuid, 16);
		l->off = off;
		l->covered = CHUNK_HEADER_SIZE + l->c.stored_bytes;
		l->disk = chunk_disk_bytes(l->c.stored_bytes);
		l->first_page = page;
		page += l->c.raw_bytes / PAGE;

		/* Padded with zeros: no stale bytes of an earlier chunk that
		 * used the same buffer reach the disk. */
		uint64_t pad = l->disk - l->covered;
		uint8_t *zeros = malloc(pad);
		assert_non_null(zeros);
		assert_int_equal(pread(fd, zeros, pad, (off_t)(off + l->covered)), (ssize_t)pad);
		for (uint64_t i = 0; i < pad; i++)
			if (zeros[i])
				fail_msg("chunk %llu: padding byte %llu is 0x%02x",
					 (unsigned long long)seq, (unsigned long long)i, zeros[i]);
		free(zeros);
		off += l->disk;
	}
	assert_int_equal(off, h->payload_offset + h->payload_bytes);
	assert_int_equal(page, h->image_pages);
	return n;
}

static void flip(int fd, uint64_t off, uint8_t mask)
{
	uint8_t b;

	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= mask;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
}

static void copy_bytes(int from_fd, uint64_t from, int to_fd, uint64_t to, uint64_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(pread(from_fd, buf, len, (off_t)from), (ssize_t)len);
	assert_int_equal(pwrite(to_fd, buf, len, (off_t)to), (ssize_t)len);
	free(buf);
}

/* ---- round trips ------------------------------------------------------ */

struct rt_case {
	uint64_t pages;
	unsigned chunk_pages, workers, depth;
	unsigned read_workers, read_chunk_pages; /* 0: as written */
	unsigned readahead;                      /* reading */
	int worker_nice;                         /* reading */
	bool expect_mix;                         /* raw and compressed chunks */
};

static void test_round_trip(void **state)
{
	const struct rt_case *tc = *state;
	const struct pipe_opts wo = {tc->workers, tc->depth, tc->chunk_pages, 0, 0};
	const struct pipe_opts ro = {
		tc->read_workers ? tc->read_workers : tc->workers,
		tc->depth,
		tc->read_chunk_pages ? tc->read_chunk_pages : tc->chunk_pages,
		tc->readahead,
		tc->worker_nice,
	};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct progress_log wlog = {0}, rlog = {0};
	struct pipe_stats st, rst;
	struct image_header h;
	enum image_state hs;
	struct stream src;
	struct sink k;
	uint8_t uuid[16];
	uint64_t chunk_pages, chunks, raw = 0, packed = 0, stored = 0, last_disk;
	struct chunk_loc *locs;
	int fd;

	stream_init(&src, tc->pages * 7919 + tc->workers, tc->pages, NULL);
	/* Some sources hand over fewer pages than asked for. */
	src.batch = (uint32_t)(tc->pages % 4);
	make_uuid(uuid, 0x40);
	fd = temp_target(NULL, 0);

	assert_int_equal(pipe_new(&wo, &p), 0);
	chunk_pages = pipe_chunk_pages(p);
	chunks = (tc->pages + chunk_pages - 1) / chunk_pages;
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, UINT64_MAX,
				    on_progress, &wlog, &st),
			 0);
	assert_int_equal(src.wrong_thread, 0);
	/* A whole chunk is asked for at once: one call per chunk and one
	 * more that finds the end. */
	if (!src.batch)
		assert_int_equal(src.calls, chunks + 1);
	assert_int_equal(st.pages, tc->pages);
	assert_int_equal(st.chunks, chunks);
	assert_int_equal(file_size(fd), IMAGE_HEADER_SIZE + st.disk_bytes);
	assert_true(st.stored_bytes <= st.disk_bytes);
	assert_header_block_untouched(fd);
	assert_int_equal(wlog.calls, chunks);
	assert_int_equal(wlog.out_of_order, 0);
	assert_int_equal(wlog.last_pages, tc->pages);

	/* Commit as snapwrite does, and read the header back as snapresume. */
	header_from_stats(p, &st, uuid, &h);
	assert_int_equal(target_write_header(fd, &h), 0);
	assert_int_equal(target_read_header(fd, &hs, &h, NULL), 0);
	assert_int_equal(hs, IMAGE_VALID);

	locs = calloc(chunks, sizeof(*locs));
	assert_non_null(locs);
	walk_chunks(fd, &h, locs, chunks);
	for (uint64_t i = 0; i < chunks; i++) {
		stored += locs[i].c.stored_bytes;
		if (locs[i].c.flags & CHUNK_FLAG_RAW)
			raw++;
		else
			packed++;
	}
	last_disk = locs[chunks - 1].disk;
	free(locs);
	assert_int_equal(stored, st.stored_bytes);
	if (tc->expect_mix) {
		/* Otherwise the stream did not test what it is meant to. */
		assert_true(raw > 0);
		assert_true(packed > 0);
	}

	/* Back through a separate pipeline. */
	pipe_free(p);
	p = NULL;
	assert_int_equal(pipe_new(&ro, &p), 0);
	sink_init(&k, &src);
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages, &k,
				   on_read_progress, &rlog, &rst),
			 0);
	assert_int_equal(k.wrong_thread, 0);
	assert_int_equal(k.calls, chunks); /* a chunk's pages at once */
	if (k.mismatches)
		fail_msg("%llu pages differ, the first is page %llu",
			 (unsigned long long)k.mismatches, (unsigned long long)k.first_mismatch);
	assert_int_equal(k.next, tc->pages);
	assert_int_equal(rst.pages, tc->pages);
	assert_int_equal(rst.chunks, chunks);
	assert_int_equal(rst.disk_bytes, st.disk_bytes);
	assert_int_equal(rst.stored_bytes, st.stored_bytes);
	assert_int_equal(rlog.calls, chunks);
	assert_int_equal(rlog.out_of_order, 0);
	/* One read for the first chunk's header, then one per chunk that
	 * also takes the next chunk's first block along; the last chunk
	 * needs none when that one block was all of it. */
	assert_int_equal(rst.io_requests, chunks + (last_disk > IMAGE_ALIGN ? 1 : 0));
	assert_int_equal(st.io_requests, chunks);

	/* Verify-only mode reads the same image. */
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), NULL, NULL, NULL, NULL,
				   NULL),
			 0);
	close(fd);
}

static void test_empty_stream(void **state)
{
	const struct pipe_opts o = {2, 2, 4, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_stats st;
	struct stream src;
	uint8_t uuid[16];
	int fd = temp_target(NULL, 0);

	(void)state;
	stream_init(&src, 1, 0, NULL);
	make_uuid(uuid, 1);
	assert_int_equal(pipe_new(&o, &p), 0);
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, UINT64_MAX,
				    NULL, NULL, &st),
			 -ENODATA);
	/* Nothing was written. */
	assert_int_equal(file_size(fd), IMAGE_HEADER_SIZE);
	assert_header_block_untouched(fd);
	close(fd);
}

/* The same file read back through O_DIRECT, as snapresume opens devices:
 * every buffer, length and offset must be block-aligned. */
static void test_round_trip_direct_io(void **state)
{
	const struct pipe_opts o = {2, 3, 3, 0, 0};
	struct image_header h;
	struct stream src;
	struct sink k;
	uint8_t uuid[16];
	char path[256];
	uint64_t size, err;
	int fd, plain;

	(void)state;
	plain = temp_target(path, sizeof(path));
	assert_int_equal(ftruncate(plain, 8 << 20), 0);
	assert_int_equal(blockdev_open(path, O_RDWR, true, &fd, &size), 0);
	unlink(path);
	close(plain);
	if (!(fcntl(fd, F_GETFL) & O_DIRECT)) {
		close(fd);
		skip(); /* the file system of $TMPDIR has no O_DIRECT */
	}
	assert_int_equal(size, 8 << 20);

	stream_init(&src, 99, 301, NULL);
	make_uuid(uuid, 0x77);
	assert_int_equal(write_image(fd, &src, &o, uuid, size, &h, NULL), 0);
	sink_init(&k, &src);
	assert_int_equal(read_image(fd, &h, &o, &k, &err), 0);
	assert_int_equal(k.mismatches, 0);
	assert_int_equal(k.next, 301);
	close(fd);
}

/* ---- bounded memory ---------------------------------------------------- */

static void test_memory_bounded(void **state)
{
	const struct pipe_opts o = {2, 2, 1, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	uint64_t mem, bound;
	struct pipe_stats st;
	struct stream src;
	uint8_t uuid[16];
	int fd;

	(void)state;
	assert_int_equal(pipe_new(&o, &p), 0);
	mem = pipe_memory(p);
	/* Each slot holds two buffers (its pages, and the chunk as on disk),
	 * each sized for the largest chunk as on disk with the next chunk's
	 * first block; one more block for that block. */
	bound = 2 * 2 * (chunk_disk_bytes(PAGE) + IMAGE_ALIGN) + IMAGE_ALIGN;
	assert_true(mem > 0);
	assert_true(mem <= bound);
	make_uuid(uuid, 9);

	/* A short and a long stream through the same pipeline. */
	for (uint64_t pages = 3; pages <= 3000; pages *= 1000) {
		fd = temp_target(NULL, 0);
		stream_init(&src, pages, pages, NULL);
		src.ring_fd = fd;
		src.ring_slots = 2;
		src.ring_chunk_pages = 1;
		assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE,
					    UINT64_MAX, NULL, NULL, &st),
				 0);
		assert_int_equal(st.pages, pages);
		/* The producer never ran more than the ring ahead of the disk:
		 * nothing outside the ring holds chunks. */
		assert_int_equal(src.ring_violations, 0);
		assert_int_equal(pipe_memory(p), mem);
		close(fd);
	}

	/* The defaults are bounded by the defaults, not by anything else. */
	pipe_free(p);
	p = NULL;
	assert_int_equal(pipe_new(&(struct pipe_opts){4, 0, 0, 0, 0}, &p), 0);
	assert_int_equal(pipe_chunk_pages(p), PIPE_DEFAULT_CHUNK_PAGES);
	assert_int_equal(pipe_workers(p), 4);
	bound = (2 * 4 + 2) * 2 *
			(chunk_disk_bytes(PIPE_DEFAULT_CHUNK_PAGES * PAGE) + IMAGE_ALIGN) +
		IMAGE_ALIGN;
	assert_true(pipe_memory(p) <= bound);
}

/* ---- corruption -------------------------------------------------------- */

/* Three chunks of 2 pages: raw (random), compressed text, and a zero page
 * (SMALL_PAGES) or a zero page and a random one (SMALL_PAGES + 1). */
#define SMALL_PATTERN "RRTTZ"
#define SMALL_PAGES 5

struct small_image {
	int fd;
	struct image_header h;
	struct stream src;
	struct chunk_loc locs[3];
};

static void small_image(struct small_image *im, uint8_t tag, uint64_t pages)
{
	const struct pipe_opts o = {2, 2, 2, 0, 0};
	uint8_t uuid[16];

	stream_init(&im->src, tag, pages, SMALL_PATTERN);
	make_uuid(uuid, tag);
	im->fd = temp_target(NULL, 0);
	assert_int_equal(write_image(im->fd, &im->src, &o, uuid, UINT64_MAX, &im->h, NULL), 0);
	assert_int_equal(im->h.chunk_count, 3);
	walk_chunks(im->fd, &im->h, im->locs, 3);
	/* The fixture covers both ways a chunk is stored. */
	assert_true(im->locs[0].c.flags & CHUNK_FLAG_RAW);
	assert_false(im->locs[1].c.flags & CHUNK_FLAG_RAW);
	assert_false(im->locs[2].c.flags & CHUNK_FLAG_RAW);
}

/* Read an image expected to be damaged in chunk `chunk`: -EBADMSG, that
 * chunk named, and no page from it or after it handed out. */
static void expect_damaged(int fd, const struct image_header *h, const struct stream *src,
			   uint64_t chunk, uint64_t first_bad_page, const char *what, uint64_t at)
{
	const struct pipe_opts o = {2, 2, 2, 0, 0};
	struct sink k;
	uint64_t err;
	int r;

	sink_init(&k, src);
	r = read_image(fd, h, &o, &k, &err);
	if (r != -EBADMSG)
		fail_msg("%s at byte %llu: pipe_read gave %d (%s)", what, (unsigned long long)at, r,
			 strerror(-r));
	if (err != chunk)
		fail_msg("%s at byte %llu: error chunk %llu, expected %llu", what,
			 (unsigned long long)at, (unsigned long long)err,
			 (unsigned long long)chunk);
	if (k.mismatches || k.next > first_bad_page)
		fail_msg("%s at byte %llu: %llu pages handed out, %llu of them wrong", what,
			 (unsigned long long)at, (unsigned long long)k.next,
			 (unsigned long long)k.mismatches);
}

static void expect_intact(struct small_image *im)
{
	const struct pipe_opts o = {2, 2, 2, 0, 0};
	struct sink k;

	sink_init(&k, &im->src);
	assert_int_equal(read_image(im->fd, &im->h, &o, &k, NULL), 0);
	assert_int_equal(k.mismatches, 0);
	assert_int_equal(k.next, im->src.pages);
}

/*
 * Flip one bit in every byte a chunk's checksums cover: the 64-byte chunk
 * header and the stored data.  The padding from the end of the stored
 * data to the next 4096-byte boundary is covered by no checksum and never
 * read as data (docs/FORMAT.md, "Chunks"), so a flip there is harmless
 * and is not tried here; test_padding_is_not_used shows it is harmless.
 */
static void test_every_byte_flip_detected(void **state)
{
	struct small_image im;
	uint64_t flips = 0, padding = 0;

	(void)state;
	small_image(&im, 0x10, SMALL_PAGES);
	expect_intact(&im);
	for (size_t c = 0; c < 3; c++) {
		const struct chunk_loc *l = &im.locs[c];

		for (uint64_t i = 0; i < l->covered; i++) {
			uint8_t mask = (uint8_t)(1u << (i % 8));

			flip(im.fd, l->off + i, mask);
			expect_damaged(im.fd, &im.h, &im.src, c, l->first_page,
				       i < CHUNK_HEADER_SIZE ? "chunk header flip" : "data flip",
				       l->off + i);
			flip(im.fd, l->off + i, mask);
			flips++;
		}
		padding += l->disk - l->covered;
	}
	assert_int_equal(flips + padding, im.h.payload_bytes);
	expect_intact(&im);
	close(im.fd);
}

static void test_padding_is_not_used(void **state)
{
	struct small_image im;
	uint8_t junk[IMAGE_ALIGN];

	(void)state;
	small_image(&im, 0x20, SMALL_PAGES);
	memset(junk, 0xff, sizeof(junk));
	for (size_t c = 0; c < 3; c++) {
		const struct chunk_loc *l = &im.locs[c];

		assert_true(l->disk > l->covered);
		assert_int_equal(pwrite(im.fd, junk, l->disk - l->covered,
					(off_t)(l->off + l->covered)),
				 (ssize_t)(l->disk - l->covered));
	}
	expect_intact(&im);
	close(im.fd);
}

/* A larger image with more workers and the reader further ahead: damage
 * at a stride over all covered bytes is still pinned to its chunk. */
static void test_stride_flips_detected(void **state)
{
	const struct pipe_opts o = {4, 3, 2, 0, 0};
	struct chunk_loc locs[40];
	struct image_header h;
	struct stream src;
	uint8_t uuid[16];
	uint64_t flips = 0;
	size_t n;
	int fd;

	(void)state;
	stream_init(&src, 0x30, 80, NULL);
	make_uuid(uuid, 0x30);
	fd = temp_target(NULL, 0);
	assert_int_equal(write_image(fd, &src, &o, uuid, UINT64_MAX, &h, NULL), 0);
	n = walk_chunks(fd, &h, locs, 40);
	for (size_t c = 0; c < n; c++)
		for (uint64_t i = c % 7; i < locs[c].covered; i += 211) {
			flip(fd, locs[c].off + i, 0x40);
			expect_damaged(fd, &h, &src, c, locs[c].first_page, "stride flip",
				       locs[c].off + i);
			flip(fd, locs[c].off + i, 0x40);
			flips++;
		}
	assert_true(flips >= n);
	close(fd);
}

static void test_chunks_swapped(void **state)
{
	const struct pipe_opts o = {2, 2, 1, 0, 0};
	struct chunk_loc locs[6];
	struct image_header h;
	struct stream src;
	uint8_t uuid[16];
	int fd, orig;

	(void)state;
	/* Random pages, one per chunk: all chunks stored raw, the same size. */
	stream_init(&src, 0x41, 6, "R");
	make_uuid(uuid, 0x41);
	orig = temp_target(NULL, 0);
	assert_int_equal(write_image(orig, &src, &o, uuid, UINT64_MAX, &h, NULL), 0);
	walk_chunks(orig, &h, locs, 6);
	assert_int_equal(locs[1].disk, locs[2].disk);

	/* Chunks 1 and 2 trade places. */
	fd = temp_target(NULL, 0);
	copy_bytes(orig, 0, fd, 0, (uint64_t)file_size(orig));
	copy_bytes(orig, locs[1].off, fd, locs[2].off, locs[1].disk);
	copy_bytes(orig, locs[2].off, fd, locs[1].off, locs[2].disk);
	expect_damaged(fd, &h, &src, 1, locs[1].first_page, "chunks 1 and 2 swapped",
		       locs[1].off);
	close(fd);

	/* Chunk 1 again where chunk 2 belongs (a replayed write). */
	fd = temp_target(NULL, 0);
	copy_bytes(orig, 0, fd, 0, (uint64_t)file_size(orig));
	copy_bytes(orig, locs[1].off, fd, locs[2].off, locs[1].disk);
	expect_damaged(fd, &h, &src, 2, locs[2].first_page, "chunk 1 repeated", locs[2].off);
	close(fd);

	/* Chunk 1's data under a forged header that claims seq 2 with a good
	 * header checksum: only the data checksum, seeded with seq, can tell. */
	{
		uint8_t b[CHUNK_HEADER_SIZE];
		struct chunk_header c = locs[1].c;

		fd = temp_target(NULL, 0);
		copy_bytes(orig, 0, fd, 0, (uint64_t)file_size(orig));
		copy_bytes(orig, locs[1].off, fd, locs[2].off, locs[1].disk);
		c.seq = 2;
		chunk_header_encode(&c, b);
		assert_int_equal(pwrite(fd, b, sizeof(b), (off_t)locs[2].off), sizeof(b));
		expect_damaged(fd, &h, &src, 2, locs[2].first_page, "chunk 1 data as seq 2",
			       locs[2].off);
		close(fd);
	}
	close(orig);
}

static void test_chunk_from_other_image(void **state)
{
	const struct pipe_opts o = {2, 2, 2, 0, 0};
	struct chunk_loc la[3], lb[3];
	struct image_header ha, hb;
	struct stream src;
	uint8_t ua[16], ub[16];
	int a, b;

	(void)state;
	/* The same pages, written twice: only the uuids differ. */
	stream_init(&src, 0x50, SMALL_PAGES, SMALL_PATTERN);
	make_uuid(ua, 0x50);
	make_uuid(ub, 0x51);
	a = temp_target(NULL, 0);
	b = temp_target(NULL, 0);
	assert_int_equal(write_image(a, &src, &o, ua, UINT64_MAX, &ha, NULL), 0);
	stream_init(&src, 0x50, SMALL_PAGES, SMALL_PATTERN);
	assert_int_equal(write_image(b, &src, &o, ub, UINT64_MAX, &hb, NULL), 0);
	walk_chunks(a, &ha, la, 3);
	walk_chunks(b, &hb, lb, 3);
	for (int c = 0; c < 3; c++) {
		assert_int_equal(la[c].off, lb[c].off);
		assert_int_equal(la[c].disk, lb[c].disk);
		/* Same data, same seq: the data checksum cannot tell them apart. */
		assert_int_equal(la[c].c.data_checksum, lb[c].c.data_checksum);
	}

	for (int c = 0; c < 3; c++) {
		int fd = temp_target(NULL, 0);

		copy_bytes(a, 0, fd, 0, (uint64_t)file_size(a));
		copy_bytes(b, lb[c].off, fd, la[c].off, lb[c].disk);
		expect_damaged(fd, &ha, &src, (uint64_t)c, la[c].first_page,
			       "chunk from another image", la[c].off);
		close(fd);
	}
	close(a);
	close(b);
}

static void test_truncated(void **state)
{
	struct small_image im;
	struct image_header h;
	uint64_t end;

	(void)state;
	small_image(&im, 0x60, SMALL_PAGES + 1);
	end = im.h.payload_offset + im.h.payload_bytes;

	/* The header claims a fourth chunk that was never written: the file
	 * ends where the third (full) chunk ended ... */
	h = im.h;
	h.image_pages += 2;
	h.chunk_count += 1;
	h.payload_bytes += IMAGE_ALIGN;
	assert_int_equal(file_size(im.fd), end);
	expect_damaged(im.fd, &h, &im.src, 3, SMALL_PAGES + 1, "missing chunk", end);

	/* ... or goes on with zeros. */
	assert_int_equal(ftruncate(im.fd, (off_t)end + 64 * 1024), 0);
	expect_damaged(im.fd, &h, &im.src, 3, SMALL_PAGES + 1, "zeros for a chunk", end);

	/* The payload cut short inside the last chunk. */
	assert_int_equal(ftruncate(im.fd, (off_t)(im.locs[2].off + 32)), 0);
	expect_damaged(im.fd, &im.h, &im.src, 2, im.locs[2].first_page, "cut short",
		       im.locs[2].off);
	close(im.fd);
}

static void test_totals_disagree(void **state)
{
	const struct pipe_opts o = {2, 2, 2, 0, 0};
	struct small_image im, full;
	struct image_header h;
	struct sink k;
	uint64_t err;

	(void)state;
	small_image(&im, 0x70, SMALL_PAGES);
	/* Room after the chunks, so that only the header is wrong. */
	assert_int_equal(ftruncate(im.fd, file_size(im.fd) + 64 * 1024), 0);

	/* payload_bytes runs past the last chunk: no chunk is wrong, the
	 * image is. */
	h = im.h;
	h.payload_bytes += IMAGE_ALIGN;
	sink_init(&k, &im.src);
	assert_int_equal(read_image(im.fd, &h, &o, &k, &err), -EBADMSG);
	assert_int_equal(err, NO_CHUNK);

	/* chunk_count one short, the rest unchanged: the last chunk is left
	 * over in the payload. */
	h = im.h;
	h.chunk_count -= 1;
	h.image_pages -= 1;
	sink_init(&k, &im.src);
	assert_int_equal(read_image(im.fd, &h, &o, &k, &err), -EBADMSG);
	assert_int_equal(err, NO_CHUNK);

	/* chunk_count one short and payload_bytes to match: every chunk read
	 * is right, but the pages fall short of image_pages. */
	h = im.h;
	h.chunk_count -= 1;
	h.payload_bytes = im.locs[2].off - h.payload_offset;
	sink_init(&k, &im.src);
	assert_int_equal(read_image(im.fd, &h, &o, &k, &err), -EBADMSG);
	assert_int_equal(err, NO_CHUNK);

	/* payload_bytes stops short of the last chunk. */
	h = im.h;
	h.payload_bytes -= IMAGE_ALIGN;
	expect_damaged(im.fd, &h, &im.src, 2, im.locs[2].first_page, "payload_bytes short",
		       0);

	/* image_pages one more, the same chunk count: the last chunk holds
	 * one page, the header wants two there. */
	h = im.h;
	h.image_pages += 1;
	expect_damaged(im.fd, &h, &im.src, 2, im.locs[2].first_page, "image_pages over", 0);
	close(im.fd);

	/* image_pages one less, the same chunk count: the last chunk holds
	 * two pages, the header wants one there. */
	small_image(&full, 0x71, SMALL_PAGES + 1);
	h = full.h;
	h.image_pages -= 1;
	expect_damaged(full.fd, &h, &full.src, 2, full.locs[2].first_page, "image_pages under",
		       0);
	close(full.fd);
}

/* ---- limits and errors ------------------------------------------------- */

static void test_limit(void **state)
{
	const struct pipe_opts o = {2, 2, 4, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct chunk_loc locs[64];
	struct image_header h;
	struct pipe_stats st;
	struct stream src;
	uint8_t uuid[16];
	uint64_t need, mid;
	size_t n, first_out = 0;
	int fd;

	(void)state;
	make_uuid(uuid, 0x80);
	stream_init(&src, 0x80, 100, NULL);
	fd = temp_target(NULL, 0);
	assert_int_equal(write_image(fd, &src, &o, uuid, UINT64_MAX, &h, &st), 0);
	n = walk_chunks(fd, &h, locs, 64);
	close(fd);
	need = IMAGE_HEADER_SIZE + st.disk_bytes;

	assert_int_equal(pipe_new(&o, &p), 0);

	/* Exactly enough room: the last byte written is limit - 1. */
	fd = temp_target(NULL, 0);
	stream_init(&src, 0x80, 100, NULL);
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, need, NULL,
				    NULL, &st),
			 0);
	assert_int_equal(file_size(fd), need);
	close(fd);

	/* One byte less. */
	fd = temp_target(NULL, 0);
	stream_init(&src, 0x80, 100, NULL);
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, need - 1,
				    NULL, NULL, &st),
			 -ENOSPC);
	assert_int_equal(pipe_error_chunk(p), n - 1);
	assert_true(file_size(fd) <= (off_t)need - 1);
	close(fd);

	/* Half the room: the first chunk that does not fit is named, and
	 * nothing is written at or beyond the limit. */
	mid = IMAGE_HEADER_SIZE + st.disk_bytes / 2;
	while (locs[first_out].off + locs[first_out].disk <= mid)
		first_out++;
	fd = temp_target(NULL, 0);
	stream_init(&src, 0x80, 100, NULL);
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, mid, NULL,
				    NULL, &st),
			 -ENOSPC);
	assert_int_equal(pipe_error_chunk(p), first_out);
	assert_true(file_size(fd) <= (off_t)mid);
	close(fd);

	/* No room at all. */
	fd = temp_target(NULL, 0);
	stream_init(&src, 0x80, 100, NULL);
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE,
				    IMAGE_HEADER_SIZE, NULL, NULL, &st),
			 -ENOSPC);
	assert_int_equal(pipe_error_chunk(p), 0);
	assert_int_equal(file_size(fd), IMAGE_HEADER_SIZE);
	close(fd);
}

static void test_get_pages_error(void **state)
{
	const struct pipe_opts o = {2, 2, 4, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_stats st;
	struct stream src;
	uint8_t uuid[16];
	int fd = temp_target(NULL, 0);

	(void)state;
	make_uuid(uuid, 0x90);
	assert_int_equal(pipe_new(&o, &p), 0);
	stream_init(&src, 0x90, 100, NULL);
	src.fail_at = 10;
	src.fail_err = -EIO;
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, UINT64_MAX,
				    NULL, NULL, &st),
			 -EIO);
	assert_int_equal(pipe_error_chunk(p), NO_CHUNK);
	/* Pages 0-9 were taken, page 10 failed, nothing was asked after. */
	assert_int_equal(src.asked, 11);
	assert_int_equal(src.after_error, 0);

	/* The pipeline is usable again. */
	stream_init(&src, 0x90, 100, NULL);
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE, UINT64_MAX,
				    NULL, NULL, &st),
			 0);
	assert_int_equal(st.pages, 100);
	close(fd);
}

static int get_too_many(void *userdata, void *buf, uint32_t max)
{
	(void)userdata;
	memset(buf, 0x11, (size_t)max * PAGE);
	return (int)max + 1; /* claims a page it had no room for */
}

static void test_get_pages_overrun(void **state)
{
	const struct pipe_opts o = {2, 2, 4, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_stats st;
	uint8_t uuid[16];
	int fd = temp_target(NULL, 0);

	(void)state;
	make_uuid(uuid, 0x91);
	assert_int_equal(pipe_new(&o, &p), 0);
	assert_int_equal(pipe_write(p, uuid, get_too_many, NULL, fd, IMAGE_HEADER_SIZE,
				    UINT64_MAX, NULL, NULL, &st),
			 -EIO);
	close(fd);
}

static void test_put_pages_error(void **state)
{
	const struct pipe_opts o = {2, 2, 4, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct image_header h;
	struct stream src;
	struct sink k;
	uint8_t uuid[16];
	int fd = temp_target(NULL, 0);

	(void)state;
	make_uuid(uuid, 0xa0);
	stream_init(&src, 0xa0, 50, NULL);
	assert_int_equal(write_image(fd, &src, &o, uuid, UINT64_MAX, &h, NULL), 0);
	assert_int_equal(pipe_new(&o, &p), 0);

	sink_init(&k, &src);
	k.fail_at = 5;
	k.fail_err = -EPIPE;
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages, &k, NULL, NULL,
				   NULL),
			 -EPIPE);
	assert_int_equal(pipe_error_chunk(p), NO_CHUNK);
	assert_int_equal(k.asked, 6);
	assert_int_equal(k.after_error, 0);
	assert_int_equal(k.mismatches, 0);

	/* The same failure on the last page of the image. */
	sink_init(&k, &src);
	k.fail_at = 49;
	k.fail_err = -ENOMEM;
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages, &k, NULL, NULL,
				   NULL),
			 -ENOMEM);
	assert_int_equal(k.asked, 50);
	assert_int_equal(k.after_error, 0);

	/* The pipeline is usable again. */
	sink_init(&k, &src);
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages, &k, NULL, NULL,
				   NULL),
			 0);
	assert_int_equal(k.next, 50);
	assert_int_equal(k.mismatches, 0);
	close(fd);
}

static void test_bad_arguments(void **state)
{
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe *q = NULL;
	struct image_header h;
	struct pipe_stats st;
	struct stream src;
	uint8_t uuid[16];
	int fd = temp_target(NULL, 0);

	(void)state;
	assert_int_equal(pipe_new(&(struct pipe_opts){1, 2, CHUNK_MAX_PAGES + 1, 0, 0}, &q), -EINVAL);
	assert_null(q);
	assert_int_equal(pipe_new(&(struct pipe_opts){1000, 0, 1, 0, 0}, &q), 0);
	assert_int_equal(pipe_workers(q), PIPE_MAX_WORKERS);
	pipe_free(q);

	make_uuid(uuid, 0xb0);
	assert_int_equal(pipe_new(&(struct pipe_opts){2, 2, 4, 0, 0}, &p), 0);
	stream_init(&src, 0xb0, 10, NULL);
	/* The payload offset must be block-aligned. */
	assert_int_equal(pipe_write(p, uuid, get_pages, &src, fd, IMAGE_HEADER_SIZE + 512,
				    UINT64_MAX, NULL, NULL, &st),
			 -EINVAL);
	assert_int_equal(src.calls, 0);

	/* An image with larger chunks than the pipeline holds. */
	assert_int_equal(write_image(fd, &src, &(struct pipe_opts){2, 2, 8, 0, 0}, uuid, UINT64_MAX, &h,
				     NULL),
			 0);
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), NULL, NULL, NULL, NULL,
				   NULL),
			 -E2BIG);
	close(fd);
}

/* ---- reading ahead ---------------------------------------------------- */

struct slow_sink {
	struct sink k;
	struct pipe *p;
	uint64_t want;    /* chunks the reader can read ahead */
	uint64_t depth;   /* chunks the workers surely get done meanwhile */
	uint64_t fetched; /* chunks read while the first one was held */
	uint64_t worked;  /* chunks decompressed meanwhile */
};

/* Holds the first chunk until the reader has read what it can ahead and
 * the workers have done what they surely can (or 5 s passed), and notes
 * how much that was. */
static int put_pages_slowly(void *userdata, const void *pages, uint32_t n)
{
	struct slow_sink *w = userdata;

	if (w->k.calls == 0) {
		for (unsigned i = 0;
		     i < 500 && (pipe_fetched(w->p) < w->want || pipe_worked(w->p) < w->depth); i++)
			usleep(10000);
		usleep(50000); /* and a little longer: more must not come */
		w->fetched = pipe_fetched(w->p);
		w->worked = pipe_worked(w->p);
	}
	return put_pages(&w->k, pages, n);
}

/*
 * While the caller holds the first chunk (the kernel allocating the
 * image's memory), the pipeline runs ahead as far as its buffers reach,
 * every chunk costing one buffer, whether it was stored compressed (its
 * pages) or raw (the chunk as read), and all of it checked and
 * decompressed: the reader leaves one buffer per worker for that.
 */
static void test_readahead(void **state)
{
	const struct pipe_opts wo = {2, 2, 4, 0, 0};
	const struct {
		unsigned depth, ahead;
		const char *pattern; /* T: compresses, R: stored raw */
	} cases[] = {{3, 3, "T"}, {3, 30, "T"}, {12, 30, "T"}, {3, 30, "R"}, {12, 30, "R"}};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct image_header h;
	struct stream src;
	struct slow_sink w;
	uint8_t uuid[16];

	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		unsigned depth = cases[c].depth, ahead = cases[c].ahead;
		bool raw = cases[c].pattern[0] == 'R';
		int fd = temp_target(NULL, 0);

		make_uuid(uuid, 0xb0);
		stream_init(&src, 0xb0, 400, cases[c].pattern);
		assert_int_equal(write_image(fd, &src, &wo, uuid, UINT64_MAX, &h, NULL), 0);
		/* Every chunk is of the kind the case wants. */
		assert_int_equal(h.payload_bytes < 100 * 4 * (uint64_t)PAGE, !raw);

		/* The buffers, less the two the reader leaves the workers. */
		unsigned held = depth + ahead - 2;

		assert_int_equal(pipe_new(&(struct pipe_opts){2, depth, 4, ahead, 0}, &p), 0);
		assert_int_equal(pipe_memory(p),
				 (depth + ahead) * (chunk_disk_bytes(4 * PAGE) + IMAGE_ALIGN) +
					 IMAGE_ALIGN);
		sink_init(&w.k, &src);
		w.p = p;
		w.want = held;
		w.depth = held;
		assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages_slowly, &w,
					   NULL, NULL, NULL),
				 0);
		assert_int_equal(w.k.next, 400);
		assert_int_equal(w.k.mismatches, 0);
		/* A chunk in every buffer the reader may take, not one
		 * more, and every one of them done.  A decompressed chunk
		 * gave back the buffer it was read into for one more. */
		assert_int_equal(w.fetched, held);
		assert_int_equal(w.worked, held);
		assert_int_equal(pipe_fetched(p), 100);
		assert_int_equal(pipe_worked(p), 100);
		pipe_free(p);
		p = NULL;
		close(fd);
	}
}

struct timed_sink {
	struct slow_sink w;
	uint64_t start_ns, first_ns; /* pipe_read called; first chunk handed over */
};

static int put_pages_timed(void *userdata, const void *pages, uint32_t n)
{
	struct timed_sink *t = userdata;

	if (t->w.k.calls == 0)
		t->first_ns = now_ns();
	return put_pages_slowly(&t->w, pages, n);
}

/*
 * The caller's waits for chunks count only the time it waited: holding
 * the first chunk until every other one is done, it waits for none after
 * it, so all of its waiting came before the first chunk was handed over;
 * and in a run of a caller that takes every chunk at once, the waits are
 * part of the run.
 */
static void test_wait_split(void **state)
{
	const struct pipe_opts wo = {2, 2, 4, 0, 0};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct image_header h;
	struct stream src;
	struct timed_sink t;
	struct pipe_stats st;
	uint8_t uuid[16];
	int fd = temp_target(NULL, 0);

	(void)state;
	make_uuid(uuid, 0xb4);
	stream_init(&src, 0xb4, 80, "T");
	assert_int_equal(write_image(fd, &src, &wo, uuid, UINT64_MAX, &h, NULL), 0);

	/* 20 chunks, 24 buffers: all of them fit behind the first. */
	assert_int_equal(pipe_new(&(struct pipe_opts){2, 4, 4, 20, 0}, &p), 0);
	sink_init(&t.w.k, &src);
	t.w.p = p;
	t.w.want = 20;
	t.w.depth = 20;
	t.start_ns = now_ns();
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages_timed, &t, NULL,
				   NULL, &st),
			 0);
	assert_int_equal(t.w.k.next, 80);
	assert_int_equal(t.w.worked, 20);
	assert_true(st.wait_read_ns + st.wait_work_ns <= t.first_ns - t.start_ns);

	/* A caller that takes every chunk at once. */
	sink_init(&t.w.k, &src);
	t.w.want = 0;
	t.w.depth = 0;
	uint64_t t0 = now_ns();
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages, &t.w.k, NULL,
				   NULL, &st),
			 0);
	assert_int_equal(t.w.k.next, 80);
	assert_true(st.wait_read_ns + st.wait_work_ns <= now_ns() - t0);
	close(fd);
}

/* A memory budget becomes the default ring and as many more buffers
 * as fit in the rest. */
static void test_readahead_budget(void **state)
{
	const uint64_t mib = 1 << 20;
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_opts o = {2, 0, 0, 0, 0};
	uint64_t base;

	(void)state;
	assert_int_equal(pipe_new(&o, &p), 0);
	base = pipe_memory(p); /* the default ring: 6 slots */
	pipe_free(p);
	p = NULL;

	pipe_opts_readahead(&o, 0);
	assert_int_equal(o.depth, 0);
	assert_int_equal(o.readahead, 0);

	for (uint64_t m = 16; m <= 256; m *= 4) {
		pipe_opts_readahead(&o, m * mib);
		assert_int_equal(o.depth, 0);
		assert_true(o.readahead > 0);
		assert_int_equal(pipe_new(&o, &p), 0);
		/* Within a buffer (1 MiB and a little) of the budget. */
		assert_true(pipe_memory(p) <= m * mib + 64 * 1024);
		assert_true(pipe_memory(p) >= m * mib - 1100 * 1024);
		pipe_free(p);
		p = NULL;
	}

	/* Less than the default ring: the default pipeline. */
	pipe_opts_readahead(&o, 3 * mib);
	assert_int_equal(o.depth, 0);
	assert_int_equal(o.readahead, 0);
	assert_int_equal(pipe_new(&o, &p), 0);
	assert_int_equal(pipe_memory(p), base);
}

/* ---- the workers' priority ------------------------------------------- */

struct nice_sink {
	struct sink k;
	int want;           /* the workers' nice value */
	unsigned at_want;   /* threads with it, seen during the first call */
	unsigned threads;   /* threads seen */
	unsigned workers;   /* how many there are */
};

/* The nice value of thread tid, from /proc (field 19 of stat). */
static int thread_nice(const char *tid, bool *ok)
{
	char path[64], buf[512];
	const char *p;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	*ok = false;
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL) {
		/* After the name: state, then fields 4..19. */
		unsigned field = 2;
		for (; *p && field < 19; p++)
			if (*p == ' ')
				field++;
		*ok = sscanf(p, "%d", &n) == 1;
	}
	fclose(f);
	return n;
}

static int put_pages_seeing_nice(void *userdata, const void *pages, uint32_t n)
{
	struct nice_sink *w = userdata;

	/* A worker sets its own value when it starts, which may be after
	 * the others decompressed the first chunk: look again for up to 5 s
	 * until all of them have.  None can exit meanwhile: the chunks are
	 * more than the buffers hold while this one is held. */
	for (unsigned i = 0; w->k.calls == 0 && i < 500 && w->at_want < w->workers; i++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;

		if (i)
			usleep(10000);
		w->threads = 0;
		w->at_want = 0;
		while (d && (e = readdir(d)) != NULL) {
			bool ok;
			int v;

			if (e->d_name[0] == '.')
				continue;
			v = thread_nice(e->d_name, &ok);
			if (!ok)
				continue;
			w->threads++;
			if (v == w->want)
				w->at_want++;
		}
		if (d)
			closedir(d);
	}
	return put_pages(&w->k, pages, n);
}

/* pipe_opts.worker_nice: every worker, and only the workers, run at the
 * caller's nice value plus worker_nice. */
static void test_worker_nice(void **state)
{
	const struct pipe_opts o = {3, 2, 4, 0, 5};
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct image_header h;
	struct stream src;
	struct nice_sink w = {0};
	uint8_t uuid[16];
	int base, fd;

	(void)state;
	errno = 0;
	base = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	if (base + 5 > 19)
		skip(); /* already niced so far that the workers cannot differ */
	fd = temp_target(NULL, 0);
	make_uuid(uuid, 0xc0);
	stream_init(&src, 0xc0, 40, NULL);
	assert_int_equal(write_image(fd, &src, &o, uuid, UINT64_MAX, &h, NULL), 0);
	assert_int_equal(pipe_new(&o, &p), 0);
	sink_init(&w.k, &src);
	w.want = base + 5;
	w.workers = 3;
	assert_int_equal(pipe_read(p, &h, fd, (uint64_t)file_size(fd), put_pages_seeing_nice, &w,
				   NULL, NULL, NULL),
			 0);
	assert_int_equal(w.k.next, 40);
	assert_int_equal(w.k.mismatches, 0);
	/* This thread, the reader and three workers at least (a sanitizer
	 * may add threads of its own, at the base value). */
	assert_true(w.threads >= 5);
	assert_int_equal(w.at_want, 3);
	assert_int_equal(getpriority(PRIO_PROCESS, 0), base);
	close(fd);
}

/* ---- the test list ----------------------------------------------------- */

#define ROUND_TRIP(label, ...)                                                     \
	{                                                                          \
		.name = "round trip: " label, .test_func = test_round_trip,         \
		.initial_state = &(struct rt_case){__VA_ARGS__},                   \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_stream),
		ROUND_TRIP("1 page, 1 worker", .pages = 1, .chunk_pages = 4, .workers = 1,
			   .depth = 2),
		ROUND_TRIP("1 page, 2 workers", .pages = 1, .chunk_pages = 4, .workers = 2,
			   .depth = 2),
		ROUND_TRIP("1 page, 4 workers", .pages = 1, .chunk_pages = 4, .workers = 4,
			   .depth = 2),
		ROUND_TRIP("one chunk, 1 worker", .pages = 4, .chunk_pages = 4, .workers = 1,
			   .depth = 2),
		ROUND_TRIP("one chunk, 2 workers", .pages = 4, .chunk_pages = 4, .workers = 2,
			   .depth = 2),
		ROUND_TRIP("one chunk, 4 workers", .pages = 4, .chunk_pages = 4, .workers = 4,
			   .depth = 2),
		ROUND_TRIP("chunk+1, 1 worker", .pages = 5, .chunk_pages = 4, .workers = 1,
			   .depth = 2),
		ROUND_TRIP("chunk+1, 2 workers", .pages = 5, .chunk_pages = 4, .workers = 2,
			   .depth = 2),
		ROUND_TRIP("chunk+1, 4 workers", .pages = 5, .chunk_pages = 4, .workers = 4,
			   .depth = 2),
		ROUND_TRIP("301 chunks, 1 worker", .pages = 1203, .chunk_pages = 4, .workers = 1,
			   .depth = 2, .read_workers = 4, .expect_mix = true),
		ROUND_TRIP("301 chunks, 2 workers", .pages = 1203, .chunk_pages = 4, .workers = 2,
			   .depth = 2, .expect_mix = true),
		ROUND_TRIP("301 chunks, 4 workers", .pages = 1203, .chunk_pages = 4, .workers = 4,
			   .depth = 2, .read_workers = 1, .expect_mix = true),
		ROUND_TRIP("500 one-page chunks, deep ring, read with larger chunks", .pages = 500,
			   .chunk_pages = 1, .workers = 3, .depth = 7, .read_workers = 2,
			   .read_chunk_pages = 8, .expect_mix = true),
		ROUND_TRIP("301 chunks, read ahead 40 chunks, decompress 2", .pages = 1203,
			   .chunk_pages = 4, .workers = 2, .depth = 2, .readahead = 40,
			   .expect_mix = true),
		ROUND_TRIP("301 chunks, read ahead 7 of 3, 4 workers", .pages = 1203,
			   .chunk_pages = 4, .workers = 4, .depth = 3, .readahead = 7,
			   .read_workers = 4, .expect_mix = true),
		/* More workers than the reader can leave buffers for. */
		ROUND_TRIP("301 chunks, 4 workers and 4 buffers", .pages = 1203,
			   .chunk_pages = 4, .workers = 2, .depth = 2, .readahead = 2,
			   .read_workers = 4, .expect_mix = true),
		ROUND_TRIP("301 chunks, workers at a lower priority", .pages = 1203,
			   .chunk_pages = 4, .workers = 2, .worker_nice = 10, .expect_mix = true),
		ROUND_TRIP("largest chunks", .pages = CHUNK_MAX_PAGES + 1,
			   .chunk_pages = CHUNK_MAX_PAGES, .workers = 2, .depth = 2),
		ROUND_TRIP("defaults", .pages = 2 * PIPE_DEFAULT_CHUNK_PAGES + 17),
		cmocka_unit_test(test_round_trip_direct_io),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_every_byte_flip_detected),
		cmocka_unit_test(test_padding_is_not_used),
		cmocka_unit_test(test_stride_flips_detected),
		cmocka_unit_test(test_chunks_swapped),
		cmocka_unit_test(test_chunk_from_other_image),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_totals_disagree),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_get_pages_error),
		cmocka_unit_test(test_get_pages_overrun),
		cmocka_unit_test(test_put_pages_error),
		cmocka_unit_test(test_readahead),
		cmocka_unit_test(test_wait_split),
		cmocka_unit_test(test_readahead_budget),
		cmocka_unit_test(test_worker_nice),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
