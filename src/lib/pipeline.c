/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pipeline.h"

#include <errno.h>
#include <lz4.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "locator.h"
#include "util.h"

enum slot_state {
	SLOT_FREE,    /* owned by the producing edge */
	SLOT_FILLED,  /* waiting for a worker */
	SLOT_WORKING, /* a worker has it */
	SLOT_DONE,    /* waiting for the consuming edge */
};

/*
 * Writing, the ring has nslots slots, each with a buffer of pages (raw)
 * and one for the chunk as on disk.
 *
 * Reading, the buffers are not tied to slots: nread disk buffers and
 * nslots raw ones wait in two free lists, and nread + nslots slots (no
 * chunk holds fewer than one buffer) carry the chunks.  The reader takes
 * a disk buffer per chunk.  A worker decompresses into a raw buffer, or a
 * free disk buffer when no raw one is left, and gives the chunk's disk
 * buffer back at once; a stored (uncompressed) chunk keeps its disk buffer
 * and needs no other.  So every chunk read ahead costs one buffer, and the
 * workers can run as far ahead as all the buffers reach, which is what
 * pays while the caller is stuck (the kernel allocating the image's
 * memory).  Chunks are claimed in order, so the chunk the caller waits
 * for never waits for a buffer held by a later one.
 */
struct slot {
	enum slot_state state;
	uint64_t seq;
	uint32_t pages;
	uint32_t disk_len;  /* on-disk bytes: header + data + padding */
	uint32_t stored;    /* data bytes after the chunk header */
	bool stored_raw;    /* read: the chunk's data is its pages (no LZ4) */
	uint64_t offset;    /* read: where the chunk was found */
	uint8_t *raw;       /* pages (write: slots < nslots; read: lent) */
	uint8_t *disk;      /* the chunk as it is on disk (read: lent) */
	const uint8_t *out; /* read: where the verified pages are */
};

/* A stack of free buffers (reading). */
struct buflist {
	uint8_t **b;
	unsigned n;
};

enum pipe_mode { MODE_WRITE, MODE_READ };

struct pipe {
	unsigned workers, nslots, nread, chunk_pages;
	int worker_nice;
	size_t disk_cap;
	struct slot *slots; /* nread + nslots */
	/* nslots and nread, owned.  All of disk_buffer_bytes(): reading,
	 * every buffer can take a chunk as stored or a chunk's pages. */
	uint8_t **raw_bufs, **disk_bufs;
	struct buflist free_bufs; /* reading */

	pthread_mutex_t lock;
	pthread_cond_t cond;

	/* Per run, under lock. */
	enum pipe_mode mode;
	bool abort;
	int err;
	uint64_t err_seq;
	uint64_t next_work; /* next sequence number a worker claims */
	uint64_t consumed;  /* read: chunks the caller is done with */
	uint64_t fetched;   /* read: chunks the reader has read */
	uint64_t worked;    /* read: chunks the workers have checked and decompressed */
	uint64_t total;     /* chunks in the stream; UINT64_MAX: not yet known */
	struct pipe_stats stats;

	/* Per run, read-only while threads run. */
	const uint8_t *uuid;
	const struct image_header *hdr;
	bool peeked;    /* read: peek holds the block at the next chunk's offset */
	uint8_t *peek;  /* IMAGE_ALIGN bytes */
	int fd;
	struct extmap *map; /* NULL: fd's offsets are the image's */
	uint64_t offset, limit;
};

static void *aligned_alloc_zero(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, IMAGE_ALIGN, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static unsigned opts_workers(const struct pipe_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned w = o && o->workers ? o->workers : (cpus > 0 ? (unsigned)cpus : 1);

	return w > PIPE_MAX_WORKERS ? PIPE_MAX_WORKERS : w;
}

/* The ring when o->depth does not say: enough to keep every worker busy. */
static unsigned default_depth(unsigned workers)
{
	return 2 * workers + 2;
}

static unsigned opts_chunk_pages(const struct pipe_opts *o)
{
	return o && o->chunk_pages ? o->chunk_pages : PIPE_DEFAULT_CHUNK_PAGES;
}

/* A disk buffer: the largest chunk, and the next chunk's first block. */
static size_t disk_buffer_bytes(unsigned chunk_pages)
{
	return chunk_disk_bytes(chunk_stored_bound(chunk_pages)) + IMAGE_ALIGN;
}

void pipe_opts_readahead(struct pipe_opts *o, uint64_t bytes)
{
	unsigned chunk_pages = opts_chunk_pages(o);
	uint64_t ring = default_depth(opts_workers(o)), all;

	if (chunk_pages > CHUNK_MAX_PAGES)
		return; /* pipe_new refuses it */
	/* Reading, every buffer is alike: the default ring, and the rest
	 * of the budget beyond it. */
	all = bytes / disk_buffer_bytes(chunk_pages);
	o->depth = 0;
	o->readahead = all > ring ? (unsigned)(all - ring) : 0;
}

static void pipe_free_buffers(struct pipe *p)
{
	if (p->raw_bufs)
		for (unsigned i = 0; i < p->nslots; i++)
			free(p->raw_bufs[i]);
	if (p->disk_bufs)
		for (unsigned i = 0; i < p->nread; i++)
			free(p->disk_bufs[i]);
	free(p->raw_bufs);
	free(p->disk_bufs);
	free(p->free_bufs.b);
	free(p->slots);
	free(p->peek);
}

int pipe_new(const struct pipe_opts *o, struct pipe **ret)
{
	struct pipe *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;

	p->workers = opts_workers(o);
	p->nslots = o && o->depth ? o->depth : default_depth(p->workers);
	if (p->nslots < 2)
		p->nslots = 2;
	p->nread = o && o->readahead > p->nslots ? o->readahead : p->nslots;
	p->worker_nice = o ? o->worker_nice : 0;
	p->chunk_pages = opts_chunk_pages(o);
	if (p->chunk_pages > CHUNK_MAX_PAGES) {
		free(p);
		return -EINVAL;
	}
	p->disk_cap = chunk_disk_bytes(chunk_stored_bound(p->chunk_pages));

	p->slots = calloc((size_t)p->nread + p->nslots, sizeof(*p->slots));
	p->raw_bufs = calloc(p->nslots, sizeof(*p->raw_bufs));
	p->disk_bufs = calloc(p->nread, sizeof(*p->disk_bufs));
	p->free_bufs.b = calloc((size_t)p->nread + p->nslots, sizeof(*p->free_bufs.b));
	p->peek = aligned_alloc_zero(IMAGE_ALIGN);
	if (!p->slots || !p->raw_bufs || !p->disk_bufs || !p->free_bufs.b || !p->peek)
		goto fail;
	/* Not written here: what a run puts into a buffer is all it reads
	 * back (compress_chunk zeroes a chunk's padding).  Left untouched, a
	 * large buffer is memory only once it is used, so under
	 * mlockall(MCL_ONFAULT) the threads that first fill it pay for it. */
	for (unsigned i = 0; i < p->nslots + p->nread; i++) {
		uint8_t **b = i < p->nslots ? &p->raw_bufs[i] : &p->disk_bufs[i - p->nslots];

		if (posix_memalign((void **)b, IMAGE_ALIGN, disk_buffer_bytes(p->chunk_pages)) != 0) {
			*b = NULL;
			goto fail;
		}
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	*ret = p;
	return 0;
fail:
	pipe_free_buffers(p);
	free(p);
	return -ENOMEM;
}

void pipe_free(struct pipe *p)
{
	if (!p)
		return;
	pipe_free_buffers(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

uint64_t pipe_memory(const struct pipe *p)
{
	return ((uint64_t)p->nslots + p->nread) * disk_buffer_bytes(p->chunk_pages) + IMAGE_ALIGN;
}

unsigned pipe_workers(const struct pipe *p)
{
	return p->workers;
}

unsigned pipe_chunk_pages(const struct pipe *p)
{
	return p->chunk_pages;
}

uint64_t pipe_error_chunk(const struct pipe *p)
{
	return p->err_seq;
}

/* Record the first failure and stop everyone.  Called with the lock held. */
static void fail_locked(struct pipe *p, int err, uint64_t seq)
{
	if (!p->abort) {
		p->abort = true;
		p->err = err;
		p->err_seq = seq;
	}
	pthread_cond_broadcast(&p->cond);
}

static void fail(struct pipe *p, int err, uint64_t seq)
{
	pthread_mutex_lock(&p->lock);
	fail_locked(p, err, seq);
	pthread_mutex_unlock(&p->lock);
}

static struct slot *slot_of(struct pipe *p, uint64_t seq)
{
	return &p->slots[seq % (p->mode == MODE_WRITE ? p->nslots : p->nread + p->nslots)];
}

/* Reading, the free lists (lock held). */
static uint8_t *buf_take(struct buflist *l)
{
	return l->n ? l->b[--l->n] : NULL;
}

static void buf_give(struct buflist *l, uint8_t *b)
{
	if (b)
		l->b[l->n++] = b;
}

/* A finished (or failed) chunk's buffers go back. */
static void slot_release_locked(struct pipe *p, struct slot *s)
{
	buf_give(&p->free_bufs, s->raw);
	buf_give(&p->free_bufs, s->disk);
	s->raw = NULL;
	s->disk = NULL;
}

/* Wait, lock held, until slot s is in `state` holding `seq` (any seq when
 * seq == UINT64_MAX) or the run is aborted.  true when the slot is ready. */
static bool wait_slot_locked(struct pipe *p, struct slot *s, enum slot_state state, uint64_t seq)
{
	while (!p->abort && !(s->state == state && (seq == UINT64_MAX || s->seq == seq)))
		pthread_cond_wait(&p->cond, &p->lock);
	return !p->abort;
}

/* ---- the workers ------------------------------------------------------ */

static int compress_chunk(struct pipe *p, struct slot *s)
{
	uint32_t raw_bytes = s->pages * IMAGE_PAGE_SIZE;
	uint8_t *data = s->disk + CHUNK_HEADER_SIZE;
	struct chunk_header c = {0};
	int n;

	/* Keep the compressed form only when it is smaller than the pages. */
	n = LZ4_compress_default((const char *)s->raw, (char *)data, (int)raw_bytes,
				 (int)raw_bytes - 1);
	if (n > 0) {
		c.stored_bytes = (uint32_t)n;
	} else {
		memcpy(data, s->raw, raw_bytes);
		c.stored_bytes = raw_bytes;
		c.flags |= CHUNK_FLAG_RAW;
	}
	c.seq = s->seq;
	memcpy(c.uuid, p->uuid, 16);
	c.raw_bytes = raw_bytes;
	c.data_checksum = chunk_data_checksum(data, c.stored_bytes, s->seq);
	chunk_header_encode(&c, s->disk);

	s->stored = c.stored_bytes;
	s->disk_len = (uint32_t)chunk_disk_bytes(c.stored_bytes);
	/* Zero the padding: stale bytes from an earlier chunk never reach disk. */
	memset(data + c.stored_bytes, 0, s->disk_len - CHUNK_HEADER_SIZE - c.stored_bytes);
	return 0;
}

static int decompress_chunk(struct slot *s)
{
	uint8_t *raw = s->raw;
	struct chunk_header c;
	const uint8_t *data = s->disk + CHUNK_HEADER_SIZE;
	int r, n;

	/* The reader thread validated the header; decode again for the fields. */
	r = chunk_header_decode(s->disk, &c);
	if (r < 0)
		return r;
	if (chunk_data_checksum(data, c.stored_bytes, c.seq) != c.data_checksum)
		return -EBADMSG;
	/* The reader saw the flags in this header; a compressed chunk was
	 * given a buffer to decompress into when it was claimed. */
	if (s->stored_raw) {
		s->out = data;
		return 0;
	}
	n = LZ4_decompress_safe((const char *)data, (char *)raw, (int)c.stored_bytes,
				(int)c.raw_bytes);
	if (n < 0 || (uint32_t)n != c.raw_bytes)
		return -EBADMSG;
	s->out = raw;
	return 0;
}

static void *worker_main(void *arg)
{
	struct pipe *p = arg;

	/* On Linux each thread has its own nice value, inherited from the
	 * thread that created it.  If it cannot be changed, the workers only
	 * compete with the caller as they did before. */
	if (p->worker_nice) {
		int base;

		errno = 0;
		base = getpriority(PRIO_PROCESS, (id_t)gettid());
		if (errno == 0)
			(void)setpriority(PRIO_PROCESS, (id_t)gettid(), base + p->worker_nice);
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct slot *s = NULL;
		int r;

		while (!p->abort) {
			if (p->next_work >= p->total)
				goto out;
			s = slot_of(p, p->next_work);
			/* Reading, a compressed chunk needs a free buffer
			 * to decompress into. */
			if (s->state == SLOT_FILLED && s->seq == p->next_work &&
			    (p->mode == MODE_WRITE || s->stored_raw || p->free_bufs.n))
				break;
			pthread_cond_wait(&p->cond, &p->lock);
		}
		if (p->abort)
			break;
		if (p->mode == MODE_READ && !s->stored_raw) {
			s->raw = buf_take(&p->free_bufs);
		}
		s->state = SLOT_WORKING;
		p->next_work++;
		pthread_mutex_unlock(&p->lock);

		uint64_t t = now_ns();
		r = p->mode == MODE_WRITE ? compress_chunk(p, s) : decompress_chunk(s);
		t = now_ns() - t;

		pthread_mutex_lock(&p->lock);
		p->stats.work_ns += t;
		if (r < 0) {
			fail_locked(p, r, s->seq);
			break;
		}
		if (p->mode == MODE_READ && !s->stored_raw) {
			/* The pages are out: the chunk as read can go. */
			buf_give(&p->free_bufs, s->disk);
			s->disk = NULL;
		}
		s->state = SLOT_DONE;
		p->worked++;
		pthread_cond_broadcast(&p->cond);
	}
out:
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* ---- the I/O edges ---------------------------------------------------- */

/* write mode: put finished chunks on disk in sequence order. */
static void *writer_main(void *arg)
{
	struct pipe *p = arg;
	uint64_t off = p->offset;

	for (uint64_t seq = 0;; seq++) {
		struct slot *s = slot_of(p, seq);
		int r;

		pthread_mutex_lock(&p->lock);
		while (!p->abort && seq < p->total && !(s->state == SLOT_DONE && s->seq == seq))
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->abort || seq >= p->total) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);

		uint64_t t = now_ns();
		if (off + s->disk_len > p->limit || off + s->disk_len < off)
			r = -ENOSPC;
		else
			r = extmap_pwrite(p->map, p->fd, s->disk, s->disk_len, off);
		t = now_ns() - t;

		pthread_mutex_lock(&p->lock);
		p->stats.io_ns += t;
		p->stats.io_requests++;
		if (r < 0) {
			fail_locked(p, r, seq);
			pthread_mutex_unlock(&p->lock);
			break;
		}
		p->stats.chunks++;
		p->stats.stored_bytes += s->stored;
		p->stats.disk_bytes += s->disk_len;
		p->stats.last_seq = seq;
		p->stats.last_offset = off;
		p->stats.last_stored = s->stored;
		off += s->disk_len;
		s->state = SLOT_FREE;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* Read one chunk at off into s and check that it is the one expected here.
 * The header is checked before its sizes are trusted for the second read.
 * That read also takes the block after the chunk, the next one's header,
 * into p->peek: one read per chunk instead of two. */
static int read_chunk(struct pipe *p, struct slot *s, uint64_t seq, uint64_t off, uint64_t end,
		      unsigned *nreads)
{
	const struct image_header *h = p->hdr;
	struct chunk_header c;
	uint64_t expect_pages, len, more;
	int r;

	if (off + IMAGE_ALIGN > end || off + IMAGE_ALIGN > p->limit)
		return -EBADMSG;
	if (p->peeked) {
		memcpy(s->disk, p->peek, IMAGE_ALIGN);
		p->peeked = false;
	} else {
		(*nreads)++;
		r = extmap_pread(p->map, p->fd, s->disk, IMAGE_ALIGN, off);
		if (r < 0)
			return r;
	}
	r = chunk_header_decode(s->disk, &c);
	if (r < 0)
		return r;
	expect_pages = h->image_pages - seq * h->chunk_pages;
	if (expect_pages > h->chunk_pages)
		expect_pages = h->chunk_pages;
	if (c.seq != seq || memcmp(c.uuid, h->uuid, 16) != 0 ||
	    c.raw_bytes != expect_pages * IMAGE_PAGE_SIZE)
		return -EBADMSG;
	len = chunk_disk_bytes(c.stored_bytes);
	if (len > p->disk_cap || off + len > end || off + len > p->limit)
		return -EBADMSG;
	more = len - IMAGE_ALIGN;
	if (off + len + IMAGE_ALIGN <= end && off + len + IMAGE_ALIGN <= p->limit)
		more += IMAGE_ALIGN;
	if (more > 0) {
		(*nreads)++;
		r = extmap_pread(p->map, p->fd, s->disk + IMAGE_ALIGN, more, off + IMAGE_ALIGN);
		if (r < 0)
			return r;
	}
	if (IMAGE_ALIGN + more > len) {
		memcpy(p->peek, s->disk + len, IMAGE_ALIGN);
		p->peeked = true;
	}
	s->pages = (uint32_t)expect_pages;
	s->stored = c.stored_bytes;
	s->stored_raw = (c.flags & CHUNK_FLAG_RAW) != 0;
	s->disk_len = (uint32_t)len;
	s->offset = off;
	return 0;
}

/*
 * Buffers the reader leaves free for the workers to decompress into.
 * Workers claim chunks in order, so the chunk the caller waits for is
 * either claimed or the next to be; if it waits for a buffer, every other
 * buffer holds a chunk read after it, all taken by the reader, which
 * left at least one: never a deadlock.  One per worker lets them all work
 * at once while the reader is held back.
 */
static unsigned reader_reserve(const struct pipe *p)
{
	unsigned all = p->nread + p->nslots;

	return p->workers < all - 1 ? p->workers : all - 1;
}

/* read mode: fetch chunks ahead of the workers, in order. */
static void *reader_main(void *arg)
{
	struct pipe *p = arg;
	uint64_t off = p->hdr->payload_offset;
	uint64_t end = p->hdr->payload_offset + p->hdr->payload_bytes;

	for (uint64_t seq = 0; seq < p->total; seq++) {
		struct slot *s = slot_of(p, seq);
		int r;

		pthread_mutex_lock(&p->lock);
		while (!p->abort && !(s->state == SLOT_FREE && p->free_bufs.n > reader_reserve(p)))
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->abort) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		s->disk = buf_take(&p->free_bufs);
		pthread_mutex_unlock(&p->lock);

		uint64_t t = now_ns();
		unsigned nreads = 0;
		r = read_chunk(p, s, seq, off, end, &nreads);
		t = now_ns() - t;
		if (r < 0) {
			fail(p, r, seq);
			return NULL;
		}
		off += s->disk_len;
		pthread_mutex_lock(&p->lock);
		p->stats.io_ns += t;
		p->stats.io_requests += nreads;
		p->fetched = seq + 1;
		s->seq = seq;
		s->state = SLOT_FILLED;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	/* Every byte the header claims must have been a chunk. */
	if (off != end)
		fail(p, -EBADMSG, UINT64_MAX);
	return NULL;
}

/* ---- running ---------------------------------------------------------- */

struct threads {
	pthread_t t[PIPE_MAX_WORKERS + 1];
	unsigned n;
};

static void run_reset(struct pipe *p, enum pipe_mode mode)
{
	p->mode = mode;
	p->abort = false;
	p->err = 0;
	p->err_seq = UINT64_MAX;
	p->next_work = 0;
	p->consumed = 0;
	p->fetched = 0;
	p->worked = 0;
	p->peeked = false;
	p->total = UINT64_MAX;
	memset(&p->stats, 0, sizeof(p->stats));
	for (unsigned i = 0; i < p->nread + p->nslots; i++) {
		struct slot *s = &p->slots[i];

		s->state = SLOT_FREE;
		s->seq = UINT64_MAX;
		s->raw = mode == MODE_WRITE && i < p->nslots ? p->raw_bufs[i] : NULL;
		s->disk = mode == MODE_WRITE && i < p->nslots ? p->disk_bufs[i] : NULL;
	}
	p->free_bufs.n = 0;
	if (mode == MODE_READ) {
		for (unsigned i = 0; i < p->nslots; i++)
			buf_give(&p->free_bufs, p->raw_bufs[i]);
		for (unsigned i = 0; i < p->nread; i++)
			buf_give(&p->free_bufs, p->disk_bufs[i]);
	}
}

static int start_threads(struct pipe *p, void *(*edge)(void *), struct threads *th)
{
	pthread_attr_t attr;
	int r = 0;

	th->n = 0;
	pthread_attr_init(&attr);
	/* Small stacks: under mlockall(MCL_FUTURE) a stack is resident whole. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (unsigned i = 0; i <= p->workers; i++) {
		r = -pthread_create(&th->t[th->n], &attr, i == 0 ? edge : worker_main, p);
		if (r < 0) {
			fail(p, r, UINT64_MAX);
			break;
		}
		th->n++;
	}
	pthread_attr_destroy(&attr);
	return r;
}

static void join_threads(struct threads *th)
{
	for (unsigned i = 0; i < th->n; i++)
		pthread_join(th->t[i], NULL);
	th->n = 0;
}

static void stats_snapshot(struct pipe *p, uint64_t pages, struct pipe_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	pthread_mutex_unlock(&p->lock);
	out->pages = pages;
}

int pipe_write(struct pipe *p, const uint8_t uuid[16], pipe_get_pages_fn get_pages,
	       void *get_userdata, int fd, uint64_t offset, uint64_t limit,
	       pipe_progress_fn progress, void *progress_userdata, struct pipe_stats *ret)
{
	struct threads th;
	uint64_t seq = 0, pages = 0;
	struct pipe_stats st;
	bool eof = false;

	if (offset % IMAGE_ALIGN)
		return -EINVAL;
	run_reset(p, MODE_WRITE);
	p->uuid = uuid;
	p->fd = fd;
	p->offset = offset;
	p->limit = limit;

	if (start_threads(p, writer_main, &th) < 0)
		goto done;

	while (!eof) {
		struct slot *s = slot_of(p, seq);
		uint32_t n = 0;

		pthread_mutex_lock(&p->lock);
		bool ok = wait_slot_locked(p, s, SLOT_FREE, UINT64_MAX);
		pthread_mutex_unlock(&p->lock);
		if (!ok)
			break;

		while (n < p->chunk_pages) {
			int r = get_pages(get_userdata, s->raw + (size_t)n * IMAGE_PAGE_SIZE,
					  p->chunk_pages - n);
			if (r > 0 && (uint32_t)r > p->chunk_pages - n)
				r = -EIO; /* more than there was room for */
			if (r < 0) {
				fail(p, r, UINT64_MAX);
				goto stop;
			}
			if (r == 0) {
				eof = true;
				break;
			}
			n += (uint32_t)r;
		}
		if (n == 0)
			break;
		pages += n;

		pthread_mutex_lock(&p->lock);
		s->seq = seq++;
		s->pages = n;
		s->state = SLOT_FILLED;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);

		if (progress) {
			stats_snapshot(p, pages, &st);
			progress(progress_userdata, &st);
		}
	}
stop:
	pthread_mutex_lock(&p->lock);
	p->total = seq;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
done:
	join_threads(&th);

	if (p->err == 0 && pages == 0)
		p->err = -ENODATA; /* an empty snapshot is no image */
	if (p->err < 0)
		return p->err;
	stats_snapshot(p, pages, &st);
	if (ret)
		*ret = st;
	return 0;
}

/* A counter the threads update under the lock, read from another thread. */
static uint64_t read_locked(struct pipe *p, const uint64_t *counter)
{
	uint64_t n;

	pthread_mutex_lock(&p->lock);
	n = *counter;
	pthread_mutex_unlock(&p->lock);
	return n;
}

uint64_t pipe_fetched(struct pipe *p)
{
	return read_locked(p, &p->fetched);
}

uint64_t pipe_worked(struct pipe *p)
{
	return read_locked(p, &p->worked);
}

void pipe_set_map(struct pipe *p, struct extmap *m)
{
	p->map = m;
}

int pipe_read(struct pipe *p, const struct image_header *h, int fd, uint64_t limit,
	      pipe_put_pages_fn put_pages, void *put_userdata, pipe_progress_fn progress,
	      void *progress_userdata, struct pipe_stats *ret)
{
	struct threads th;
	uint64_t pages = 0;

	if (h->chunk_pages > p->chunk_pages)
		return -E2BIG;
	run_reset(p, MODE_READ);
	p->hdr = h;
	p->fd = fd;
	p->limit = limit;
	p->total = h->chunk_count;

	if (start_threads(p, reader_main, &th) < 0)
		goto done;

	for (uint64_t seq = 0; seq < h->chunk_count; seq++) {
		struct slot *s = slot_of(p, seq);

		pthread_mutex_lock(&p->lock);
		bool ok = true;
		if (!(s->state == SLOT_DONE && s->seq == seq)) {
			/* What it waits for: the disk first, then a worker. */
			uint64_t t = now_ns();
			bool unread = s->seq != seq || s->state == SLOT_FREE;

			if (unread) {
				while (!p->abort && p->fetched <= seq)
					pthread_cond_wait(&p->cond, &p->lock);
				uint64_t t2 = now_ns();
				p->stats.wait_read_ns += t2 - t;
				t = t2;
			}
			ok = wait_slot_locked(p, s, SLOT_DONE, seq);
			p->stats.wait_work_ns += now_ns() - t;
		}
		pthread_mutex_unlock(&p->lock);
		if (!ok)
			break;

		if (put_pages) {
			int r = put_pages(put_userdata, s->out, s->pages);
			if (r < 0) {
				fail(p, r, UINT64_MAX);
				goto done;
			}
		}
		pages += s->pages;

		pthread_mutex_lock(&p->lock);
		p->stats.chunks++;
		p->stats.stored_bytes += s->stored;
		p->stats.disk_bytes += s->disk_len;
		p->stats.last_seq = seq;
		p->stats.last_offset = s->offset;
		p->stats.last_stored = s->stored;
		slot_release_locked(p, s);
		s->state = SLOT_FREE;
		p->consumed = seq + 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);

		if (progress) {
			struct pipe_stats st;
			stats_snapshot(p, pages, &st);
			progress(progress_userdata, &st);
		}
	}
done:
	join_threads(&th);

	if (p->err == 0 && pages != h->image_pages)
		p->err = -EBADMSG;
	if (p->err < 0)
		return p->err;
	if (ret)
		stats_snapshot(p, pages, ret);
	return 0;
}

void pipe_header_fill(const struct pipe *p, const struct pipe_stats *st, uint64_t offset,
		      struct image_header *h)
{
	h->version = IMAGE_VERSION;
	h->page_size = IMAGE_PAGE_SIZE;
	h->chunk_pages = pipe_chunk_pages(p);
	h->image_pages = st->pages;
	h->payload_offset = offset;
	h->payload_bytes = st->disk_bytes;
	h->chunk_count = st->chunks;
	h->compression = IMAGE_COMPRESS_LZ4;
	h->checksum = IMAGE_CHECKSUM_XXH3;
}
