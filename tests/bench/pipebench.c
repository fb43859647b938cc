/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipebench: the chunk pipeline alone, on the host, no VM.
 *
 * Builds the benchmark's memory mix (mix.h) in memory as a stream of pages
 * in shuffled order (a snapshot lists pages by physical address, so a
 * page's neighbours in the stream are unrelated), then measures:
 *
 *   - pipe_write: the page stream from memory into an image file on tmpfs
 *     (lz4 + xxh3 per chunk, the worker threads, the ordered writer);
 *   - pipe_read: that image back into memory (verify + decompress);
 *   - the same with one worker thread;
 *   - for reference, on a plain file holding the same bytes in the same
 *     order: `lz4 -1` (single-threaded), `lz4 -d`, and `cp`.
 *
 * MB/s is always raw page bytes (10^6 bytes) per second of wall time.  Each
 * measurement runs --reps times and the best is kept.  Prints a markdown
 * table on stdout; progress on stderr.
 *
 * Usage: pipebench [--mib N] [--dir TMPFS_DIR] [--reps N]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format/format.h"
#include "pipeline.h"

#include "mix.h"

#define TMPFS_MAGIC_NUMBER 0x01021994

extern char **environ;

struct stream {
	const uint8_t *src;   /* the pages, in generation order */
	const uint32_t *perm; /* stream position -> page */
	uint8_t *dst;         /* read side: where the pages land */
	size_t pages;
	size_t pos;
};

static int get_pages(void *userdata, void *buf, uint32_t max)
{
	struct stream *s = userdata;
	uint32_t n = 0;

	for (; n < max && s->pos < s->pages; n++)
		memcpy((uint8_t *)buf + (size_t)n * MIX_PAGE,
		       s->src + (size_t)s->perm[s->pos++] * MIX_PAGE, MIX_PAGE);
	return (int)n;
}

static int put_pages(void *userdata, const void *pages, uint32_t n)
{
	struct stream *s = userdata;

	if (n > s->pages - s->pos)
		return -EIO;
	memcpy(s->dst + s->pos * MIX_PAGE, pages, (size_t)n * MIX_PAGE);
	s->pos += n;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "pipebench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Run argv, wait for it; seconds of wall time, or exit on failure. */
static double run_timed(char *const argv[])
{
	pid_t pid;
	int status, r;
	double t0 = now_s();

	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r)
		die(argv[0], r);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pipebench: %s failed\n", argv[0]);
		exit(1);
	}
	return now_s() - t0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		die(path, errno);
	return (uint64_t)st.st_size;
}

struct result {
	const char *what;
	double seconds; /* best */
	uint64_t out_bytes;
};

static double mbps(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes / 1e6 / s : 0.0;
}

/* One pipe_write + pipe_read round trip with `workers` threads. */
static void pipeline_round(unsigned workers, struct stream *s, const char *img, int reps,
			   struct result *w, struct result *r)
{
	struct pipe_opts po = {.workers = workers};
	struct pipe *p = NULL;
	struct pipe_stats st;
	struct image_header h = {0};
	int ret;

	ret = pipe_new(&po, &p);
	if (ret < 0)
		die("pipe_new", -ret);
	for (unsigned i = 0; i < 16; i++)
		h.uuid[i] = (uint8_t)(0x42 + i);

	for (int rep = 0; rep < reps; rep++) {
		int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		double t0, t1;

		if (fd < 0)
			die(img, errno);
		s->pos = 0;
		t0 = now_s();
		ret = pipe_write(p, h.uuid, get_pages, s, fd, IMAGE_HEADER_SIZE, UINT64_MAX, NULL, NULL,
				 &st);
		if (ret == 0 && fdatasync(fd) < 0)
			ret = -errno;
		t1 = now_s();
		if (ret < 0)
			die("pipe_write", -ret);
		if (rep == 0 || t1 - t0 < w->seconds)
			w->seconds = t1 - t0;
		w->out_bytes = IMAGE_HEADER_SIZE + st.disk_bytes;

		pipe_header_fill(p, &st, IMAGE_HEADER_SIZE, &h);

		s->pos = 0;
		t0 = now_s();
		ret = pipe_read(p, &h, fd, IMAGE_HEADER_SIZE + st.disk_bytes, put_pages, s, NULL, NULL,
				NULL);
		t1 = now_s();
		if (ret < 0)
			die("pipe_read", -ret);
		if (rep == 0 || t1 - t0 < r->seconds)
			r->seconds = t1 - t0;
		r->out_bytes = (uint64_t)s->pages * MIX_PAGE;
		close(fd);

		/* The round trip must give back every page, in order. */
		for (size_t i = 0; i < s->pages; i++) {
			if (memcmp(s->dst + i * MIX_PAGE, s->src + (size_t)s->perm[i] * MIX_PAGE,
				   MIX_PAGE) != 0) {
				fprintf(stderr, "pipebench: page %zu differs after the round trip\n", i);
				exit(1);
			}
		}
	}
	pipe_free(p);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mib", required_argument, NULL, 'm'},
		{"dir", required_argument, NULL, 'd'},
		{"reps", required_argument, NULL, 'r'},
		{},
	};
	const char *dir = "/dev/shm";
	size_t mib = 192, pages, per_kind;
	int reps = 3, c;
	static struct mix_text text;
	struct stream s = {0};
	uint8_t *src;
	uint32_t *perm;
	char raw[512], img[512], lz[512], back[512], copy[512];
	struct statfs sfs;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'm':
			mib = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: pipebench [--mib N] [--dir DIR] [--reps N]\n");
			return 2;
		}
	}
	if (mib < 3 || reps < 1) {
		fprintf(stderr, "pipebench: --mib must be at least 3, --reps at least 1\n");
		return 2;
	}
	if (statfs(dir, &sfs) < 0)
		die(dir, errno);
	if (sfs.f_type != TMPFS_MAGIC_NUMBER)
		fprintf(stderr, "pipebench: warning: %s is not a tmpfs\n", dir);
	snprintf(raw, sizeof(raw), "%s/pipebench-%d.raw", dir, (int)getpid());
	snprintf(img, sizeof(img), "%s/pipebench-%d.img", dir, (int)getpid());
	snprintf(lz, sizeof(lz), "%s/pipebench-%d.lz4", dir, (int)getpid());
	snprintf(back, sizeof(back), "%s/pipebench-%d.back", dir, (int)getpid());
	snprintf(copy, sizeof(copy), "%s/pipebench-%d.copy", dir, (int)getpid());

	/* The mix: a third each, generated in place, then shuffled. */
	per_kind = mib * 256 / 3;
	pages = per_kind * 3;
	src = aligned_alloc(4096, pages * MIX_PAGE);
	s.dst = aligned_alloc(4096, pages * MIX_PAGE);
	perm = malloc(pages * sizeof(*perm));
	if (!src || !s.dst || !perm)
		die("out of memory", ENOMEM);
	fprintf(stderr, "pipebench: generating %zu MiB of mixed pages\n", pages * MIX_PAGE >> 20);
	mix_fill_random(src, per_kind * MIX_PAGE, 1);
	mix_text_init(&text, 2);
	mix_fill_text(&text, src + per_kind * MIX_PAGE, per_kind * MIX_PAGE);
	mix_fill_same(src + 2 * per_kind * MIX_PAGE, per_kind * MIX_PAGE, 3);
	memset(s.dst, 0, pages * MIX_PAGE);
	{
		uint64_t st = 99;
		for (size_t i = 0; i < pages; i++)
			perm[i] = (uint32_t)i;
		for (size_t i = pages - 1; i > 0; i--) {
			size_t j = (size_t)(mix_next(&st) % (i + 1));
			uint32_t t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
	}
	s.src = src;
	s.perm = perm;
	s.pages = pages;

	/* The same bytes in the same order as a plain file, for lz4 and cp. */
	{
		int fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			die(raw, errno);
		for (size_t i = 0; i < pages; i++) {
			if (write(fd, src + (size_t)perm[i] * MIX_PAGE, MIX_PAGE) != MIX_PAGE)
				die(raw, errno);
		}
		close(fd);
	}

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t bytes = (uint64_t)pages * MIX_PAGE;
	struct result pw = {"pipeline write (lz4 + xxh3), memory to tmpfs", 0, 0};
	struct result pr = {"pipeline read (verify + unlz4), tmpfs to memory", 0, 0};
	struct result pw1 = {"pipeline write, 1 worker", 0, 0};
	struct result pr1 = {"pipeline read, 1 worker", 0, 0};
	struct result lc = {"`lz4 -1` (1 thread), tmpfs to tmpfs", 0, 0};
	struct result ld = {"`lz4 -d`, tmpfs to tmpfs", 0, 0};
	struct result cp = {"`cp`, tmpfs to tmpfs", 0, 0};

	fprintf(stderr, "pipebench: pipeline, %ld workers\n", cpus);
	pipeline_round(0, &s, img, reps, &pw, &pr);
	fprintf(stderr, "pipebench: pipeline, 1 worker\n");
	pipeline_round(1, &s, img, reps, &pw1, &pr1);

	fprintf(stderr, "pipebench: lz4 -1, lz4 -d, cp\n");
	for (int rep = 0; rep < reps; rep++) {
		char *lz4c[] = {"lz4", "-1", "-q", "-f", raw, lz, NULL};
		char *lz4d[] = {"lz4", "-d", "-q", "-f", lz, back, NULL};
		char *cpv[] = {"cp", raw, copy, NULL};
		double t;

		unlink(lz);
		t = run_timed(lz4c);
		if (rep == 0 || t < lc.seconds)
			lc.seconds = t;
		unlink(back);
		t = run_timed(lz4d);
		if (rep == 0 || t < ld.seconds)
			ld.seconds = t;
		unlink(copy);
		t = run_timed(cpv);
		if (rep == 0 || t < cp.seconds)
			cp.seconds = t;
	}
	lc.out_bytes = file_size(lz);
	ld.out_bytes = file_size(back);
	cp.out_bytes = file_size(copy);
	if (ld.out_bytes != bytes || cp.out_bytes != bytes) {
		fprintf(stderr, "pipebench: lz4 -d or cp gave %" PRIu64 "/%" PRIu64
				" bytes, expected %" PRIu64 "\n",
			ld.out_bytes, cp.out_bytes, bytes);
		return 1;
	}
	unlink(raw);
	unlink(img);
	unlink(lz);
	unlink(back);
	unlink(copy);

	printf("Host pipeline micro-benchmark: %" PRIu64 " MiB of pages (a third random, a third "
	       "text-like, a third zero or same-filled, in shuffled order), %s, %ld CPUs, best of "
	       "%d.  MB/s = raw page bytes / wall time.\n\n",
	       bytes >> 20, dir, cpus, reps);
	printf("| what | MB/s | vs `lz4 -1`/`-d` | vs `cp` | output MB |\n");
	printf("|---|---:|---:|---:|---:|\n");
	const struct result *rows[] = {&pw, &pr, &pw1, &pr1, &lc, &ld, &cp};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct result *x = rows[i];
		/* Writers compare with lz4 -1, readers with lz4 -d. */
		const struct result *ref = (x == &pr || x == &pr1 || x == &ld) ? &ld : &lc;
		printf("| %s | %.0f | %.2fx | %.2fx | %.1f |\n", x->what, mbps(bytes, x->seconds),
		       x->seconds > 0 ? ref->seconds / x->seconds : 0.0,
		       x->seconds > 0 ? cp.seconds / x->seconds : 0.0, (double)x->out_bytes / 1e6);
	}
	printf("\npipebench: write %.2f x lz4-1, read %.2f x lz4-d, compressed %.1f MB "
	       "(lz4 -1: %.1f MB)\n",
	       lc.seconds / pw.seconds, ld.seconds / pr.seconds, (double)pw.out_bytes / 1e6,
	       (double)lc.out_bytes / 1e6);
	free(src);
	free(s.dst);
	free(perm);
	return 0;
}
