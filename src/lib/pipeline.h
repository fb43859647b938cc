/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The chunk pipeline: pages in, chunks on disk out (pipe_write), and back
 * (pipe_read).
 *
 *   write:  caller thread     worker threads          writer thread
 *           get_page() x N -> lz4 + xxh3 per chunk -> pwrite in order
 *   read:   reader thread     worker threads          caller thread
 *           pread in order -> verify + decompress   -> put_page() x N
 *
 * Chunks travel through a fixed ring of slots, so memory is bounded by
 * pipe_memory() whatever the image size.  A chunk's slot is reused only
 * after the chunk left the pipeline, and the edges walk the sequence
 * numbers in order, so chunks can be neither reordered nor skipped.
 *
 * The worker threads are started inside pipe_write()/pipe_read() and have
 * all exited when they return.  snapwrite depends on that: the kernel
 * freezes every thread but the caller at SNAPSHOT_FREEZE, so the workers
 * may only exist between SNAPSHOT_CREATE_IMAGE and SNAPSHOT_UNFREEZE.
 */
#pragma once

#include <stdint.h>

#include "format/format.h"

struct pipe_opts {
	unsigned workers;     /* compression threads; 0: one per online CPU */
	/* Writing, slots in the ring; reading, buffers (see readahead).
	 * 0: 2 * workers + 2. */
	unsigned depth;
	unsigned chunk_pages; /* pages per chunk; 0: PIPE_DEFAULT_CHUNK_PAGES */
	/* Reading only: more buffers; 0 or less than depth: depth.  Reading,
	 * all depth + readahead buffers are alike and free for any use: a
	 * chunk read ahead holds one, as stored until it is decompressed,
	 * then its pages in another (the first goes back); a chunk stored
	 * uncompressed keeps the one it was read into.  The reader leaves
	 * one buffer per worker free for decompressing, so the pipeline
	 * runs up to depth + readahead - workers chunks ahead. */
	unsigned readahead;
	/* Nice value of the worker threads relative to the caller's (0: the
	 * same).  Reading into the kernel, the caller's write() calls are
	 * where the kernel allocates the image's memory and takes its pages;
	 * with more runnable threads than CPUs, workers at a lower priority
	 * leave the caller its CPU and take what is left. */
	int worker_nice;
};

#define PIPE_DEFAULT_CHUNK_PAGES 256u /* 1 MiB of pages */
#define PIPE_MAX_WORKERS 64u

struct pipe;

/* Source of pages for pipe_write: fill up to max (> 0) pages of
 * IMAGE_PAGE_SIZE bytes at buf and return how many (fewer is fine), 0 at
 * the end of the stream, or a negative errno. */
typedef int (*pipe_get_pages_fn)(void *userdata, void *buf, uint32_t max);

/* Sink of pages for pipe_read: consume the n pages at pages (a chunk's;
 * the buffer is the pipeline's, valid only during the call); 0 or a
 * negative errno. */
typedef int (*pipe_put_pages_fn)(void *userdata, const void *pages, uint32_t n);

struct pipe_stats {
	uint64_t pages;        /* pages through the pipeline so far */
	uint64_t chunks;       /* chunks completely written / consumed */
	uint64_t stored_bytes; /* compressed data bytes of those chunks */
	uint64_t disk_bytes;   /* on-disk bytes of those chunks */
	/* The chunk just completed (read side: for listings). */
	uint64_t last_seq;
	uint64_t last_offset;
	uint32_t last_stored;
	/* Where the time went: the I/O thread inside pread/pwrite, and the
	 * workers (summed) compressing or checking and decompressing. */
	uint64_t io_ns;
	uint64_t io_requests; /* pread/pwrite calls */
	uint64_t work_ns;
	/* Reading, the caller's waits for the chunk it needs next: while
	 * that chunk was still to be read, and while it was read but not
	 * yet checked and decompressed. */
	uint64_t wait_read_ns;
	uint64_t wait_work_ns;
};

/* Called on the caller's thread after each chunk it handled. */
typedef void (*pipe_progress_fn)(void *userdata, const struct pipe_stats *st);

/* Reading: size the buffers for running ahead of the caller to about
 * `bytes` (o->depth the default, o->readahead the rest); never less than
 * a default pipeline.  Uses o->workers and o->chunk_pages as pipe_new
 * will. */
void pipe_opts_readahead(struct pipe_opts *o, uint64_t bytes);

/* Allocate a pipeline and all its buffers (no threads yet). */
int pipe_new(const struct pipe_opts *opts, struct pipe **ret);
void pipe_free(struct pipe *p);
static inline void pipe_freep(struct pipe **p)
{
	if (*p)
		pipe_free(*p);
}

/* Bytes of buffers the pipeline holds. */
uint64_t pipe_memory(const struct pipe *p);
unsigned pipe_workers(const struct pipe *p);
unsigned pipe_chunk_pages(const struct pipe *p);

/*
 * Stream pages from get_pages into chunks tagged with uuid, written to fd
 * from byte `offset` on, never at or beyond byte `limit` (-ENOSPC).  All
 * buffers handed to pwrite are IMAGE_ALIGN-aligned in address, length and
 * offset, so fd may be opened with O_DIRECT.  Nothing is synced.
 * On success *ret (optional) holds the totals.
 */
int pipe_write(struct pipe *p, const uint8_t uuid[16], pipe_get_pages_fn get_pages,
	       void *get_userdata, int fd, uint64_t offset, uint64_t limit,
	       pipe_progress_fn progress, void *progress_userdata, struct pipe_stats *ret);

/* The header fields that describe what pipe_write wrote (format, geometry,
 * payload position and size), from its totals st and the offset it was
 * given; the caller's other fields (uuid, times, identity, records) are
 * left alone. */
void pipe_header_fill(const struct pipe *p, const struct pipe_stats *st, uint64_t offset,
		      struct image_header *h);

/*
 * Read the payload that header h describes from fd (device size `limit`),
 * verify every chunk and hand its pages to put_pages in order.  put_pages may
 * be NULL (verify only).  -EBADMSG when any chunk is damaged, misplaced or
 * missing, or the totals disagree with the header; pipe_error_chunk() then
 * names the chunk.  h->chunk_pages must not exceed the pipeline's.
 */
int pipe_read(struct pipe *p, const struct image_header *h, int fd, uint64_t limit,
	      pipe_put_pages_fn put_pages, void *put_userdata, pipe_progress_fn progress,
	      void *progress_userdata, struct pipe_stats *ret);

/* During pipe_read, from any thread: the chunks the reader has read so
 * far (read ahead of the caller, or already handed over). */
uint64_t pipe_fetched(struct pipe *p);
/* ... and the chunks the workers have checked and decompressed. */
uint64_t pipe_worked(struct pipe *p);

/* Image offsets of later pipe_write/pipe_read calls go through m (an
 * extent target, extmap.h) to device offsets on fd; NULL: no translation.
 * limit is then the map's size (or more, for a map that grows). */
struct extmap;
void pipe_set_map(struct pipe *p, struct extmap *m);

/* After a failed pipe_read/pipe_write: the sequence number of the chunk
 * that failed, or UINT64_MAX when the failure was not a chunk's. */
uint64_t pipe_error_chunk(const struct pipe *p);
