/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * benchload: the workload and the small tools of the hibernation benchmark
 * (tests/bench/run).  Built with gcc -static: it runs in the guest, and the
 * "nonzero" command on the host.
 *
 *   benchload hold MIB SEED DIR
 *       Fill MIB MiB with the benchmark mix (mix.h): a third random, a third
 *       text-like, a third zero or same-filled pages; two thirds of each in
 *       this process's anonymous memory, one third in files under DIR (a
 *       tmpfs).  Then wait.  When the system comes back from a hibernation
 *       (the boot clock jumped ahead of the monotonic one: the kernel added
 *       the time it was off) or on SIGUSR1, write "benchload: running again"
 *       to /dev/kmsg at once, then check every byte and report.
 *   benchload rawio DEV MIB
 *       Write MIB MiB to DEV with O_DIRECT in 1 MiB requests, fdatasync,
 *       then read them back the same way; marks in /dev/kmsg around each.
 *   benchload snapread
 *       Diagnostic: take a snapshot through /dev/snapshot, read every page
 *       of it (one read() per page, as the interface allows) and throw it
 *       away, then cancel: how fast pages come out of the kernel at best.
 *   benchload floorsave DEV
 *       Diagnostic, with floorload: take a snapshot as snapread does, and
 *       keep its header page and page list (the pages before the first
 *       data page); write them to DEV with the stream's page count, then
 *       cancel.
 *   benchload floorload DEV
 *       In the next boot (same kernel, same memory), from the initramfs:
 *       hand the kernel, through /dev/snapshot, the saved header and page
 *       list and then as many data pages as the snapshot had, all from one
 *       buffer, 256 pages per writev() as snapresume does; then close
 *       without restoring.  Its time is the kernel's own part of loading
 *       that image (checking the page list, allocating memory for the whole
 *       image, taking the pages), which no loader can avoid.  Diagnostics
 *       from the environment: FLOOR_SPAN_MIB=N (the data pages from N MiB
 *       of buffer in turn), FLOOR_BURN=1 (a thread keeps the other CPU
 *       busy), FLOOR_READ=DEV (a thread reads DEV meanwhile).
 *   benchload nonzero FILE
 *       Count the 4 KiB blocks of FILE that are not all zero (image bytes of
 *       the kernel's hibernation on its swap disk).
 *
 * Lines for the host start with "benchload: ".  The marks go to /dev/kmsg
 * so that the kernel's printk clock stamps them, like its own lines.
 */
#define _GNU_SOURCE /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/suspend_ioctls.h>

#include "../mix.h"

#define MIB (1024u * 1024u)

static int kmsg_fd = -1;

/* One line to stdout and, when /dev/kmsg is open, to the kernel log. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "benchload: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (kmsg_fd >= 0)
		(void)!write(kmsg_fd, buf, (size_t)n);
	(void)!write(STDOUT_FILENO, buf, (size_t)n);
}

static void die(const char *what)
{
	fprintf(stderr, "benchload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, "benchload: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* ---- hold ------------------------------------------------------------- */

enum kind { RANDOM, TEXT, SAME, KINDS };
static const char *const kind_name[KINDS] = {"random", "text", "same"};

struct region {
	enum kind kind;
	uint8_t *mem;  /* anonymous memory, or NULL for a file */
	char path[256]; /* the tmpfs file otherwise */
	size_t len;
	uint64_t sum;
};

static struct mix_text text_gen;

/* Fill buf with the next len bytes of a region of kind k. */
static void fill(enum kind k, uint8_t *buf, size_t len, uint64_t seed, size_t done)
{
	switch (k) {
	case RANDOM:
		mix_fill_random(buf, len, seed + done);
		break;
	case TEXT:
		mix_fill_text(&text_gen, buf, len);
		break;
	case SAME:
		mix_fill_same(buf, len, seed + done / MIX_PAGE);
		break;
	default:
		break;
	}
}

static void make_anon(struct region *r, uint64_t seed)
{
	r->mem = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->mem == MAP_FAILED)
		die("mmap");
	/* Base pages, as most long-lived process memory is; it also keeps
	 * the kernel from backing a zero region with one huge page. */
	(void)madvise(r->mem, r->len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < r->len; off += MIB) {
		size_t n = r->len - off < MIB ? r->len - off : MIB;
		fill(r->kind, r->mem + off, n, seed, off);
	}
	r->sum = mix_sum(r->mem, r->len, 1);
}

static void make_file(struct region *r, uint64_t seed, uint8_t *buf)
{
	uint64_t h = 1;
	int fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		die(r->path);
	for (size_t off = 0; off < r->len; off += MIB) {
		size_t n = r->len - off < MIB ? r->len - off : MIB;
		fill(r->kind, buf, n, seed, off);
		h = mix_sum(buf, n, h);
		if (write(fd, buf, n) != (ssize_t)n)
			die(r->path);
	}
	close(fd);
	r->sum = h;
}

static int check_region(const struct region *r, uint8_t *buf)
{
	uint64_t h = 1;

	if (r->mem) {
		h = mix_sum(r->mem, r->len, 1);
	} else {
		int fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		for (size_t off = 0; off < r->len; off += MIB) {
			size_t n = r->len - off < MIB ? r->len - off : MIB;
			if (read(fd, buf, n) != (ssize_t)n) {
				close(fd);
				return -1;
			}
			h = mix_sum(buf, n, h);
		}
		close(fd);
	}
	return h == r->sum ? 0 : -1;
}

static volatile sig_atomic_t told;

static void on_usr1(int sig)
{
	(void)sig;
	told = 1;
}

static void __attribute__((noreturn)) cmd_hold(uint64_t mib, uint64_t seed, const char *dir)
{
	struct region reg[2 * KINDS];
	size_t nreg = 0, anon = 0, files = 0;
	uint8_t *buf;
	double t0, t1;

	buf = malloc(MIB);
	if (!buf)
		die("malloc");
	mix_text_init(&text_gen, seed);
	signal(SIGUSR1, on_usr1);

	/* Per kind: a third of the total, two thirds of that in this
	 * process, the rest in a tmpfs file. */
	t0 = clock_s(CLOCK_MONOTONIC);
	for (int k = 0; k < KINDS; k++) {
		size_t kind_pages = (size_t)(mib * MIB / MIX_PAGE) / KINDS;
		size_t anon_len = kind_pages * 2 / 3 * MIX_PAGE;
		size_t file_len = kind_pages * MIX_PAGE - anon_len;
		struct region *a = &reg[nreg++], *f = &reg[nreg++];

		*a = (struct region){.kind = (enum kind)k, .len = anon_len};
		make_anon(a, seed * 1000 + (uint64_t)k);
		anon += anon_len;
		*f = (struct region){.kind = (enum kind)k, .len = file_len};
		snprintf(f->path, sizeof(f->path), "%s/%s.dat", dir, kind_name[k]);
		make_file(f, seed * 1000 + 100 + (uint64_t)k, buf);
		files += file_len;
	}
	t1 = clock_s(CLOCK_MONOTONIC);

	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	say("ready pid=%d anon_mib=%zu tmpfs_mib=%zu fill_s=%.2f", (int)getpid(), anon >> 20,
	    files >> 20, t1 - t0);

	/* The boot clock counts the time the machine was off, the monotonic
	 * clock does not; the wall clock jumps too.  Poll both offsets. */
	double boot_off = clock_s(CLOCK_BOOTTIME) - clock_s(CLOCK_MONOTONIC);
	double wall_off = clock_s(CLOCK_REALTIME) - clock_s(CLOCK_MONOTONIC);
	for (;;) {
		struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
		nanosleep(&tick, NULL);
		double mono = clock_s(CLOCK_MONOTONIC);
		double b = clock_s(CLOCK_BOOTTIME) - mono;
		double w = clock_s(CLOCK_REALTIME) - mono;
		if (b - boot_off > 1.0 || w - wall_off > 1.0 || told)
			break;
	}
	say("running again pid=%d (%s; boot clock +%.1f s, wall clock +%.1f s)", (int)getpid(),
	    told ? "signalled" : "clock jump",
	    clock_s(CLOCK_BOOTTIME) - clock_s(CLOCK_MONOTONIC) - boot_off,
	    clock_s(CLOCK_REALTIME) - clock_s(CLOCK_MONOTONIC) - wall_off);

	/* Now every byte, in memory and in tmpfs. */
	t0 = clock_s(CLOCK_MONOTONIC);
	int bad = 0;
	for (size_t i = 0; i < nreg; i++) {
		if (check_region(&reg[i], buf) < 0) {
			say("region %zu (%s, %s) differs", i, kind_name[reg[i].kind],
			    reg[i].mem ? "memory" : reg[i].path);
			bad++;
		}
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	say("verify %s pid=%d regions=%zu mib=%zu took=%.2f", bad ? "BAD" : "ok", (int)getpid(), nreg,
	    (anon + files) >> 20, t1 - t0);
	for (;;)
		pause();
}

/* ---- rawio ------------------------------------------------------------ */

static int cmd_rawio(const char *dev, uint64_t mib)
{
	uint8_t *buf;
	double t0, t1, tw, tr;
	int fd;

	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (posix_memalign((void **)&buf, 4096, MIB))
		die("posix_memalign");
	mix_fill_random(buf, MIB, 42);
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die(dev);

	say("raw write start dev=%s bytes=%" PRIu64, dev, mib * MIB);
	t0 = clock_s(CLOCK_MONOTONIC);
	for (uint64_t i = 0; i < mib; i++) {
		buf[0] = (uint8_t)i; /* no two blocks alike */
		if (pwrite(fd, buf, MIB, (off_t)(i * MIB)) != (ssize_t)MIB)
			die("pwrite");
	}
	if (fdatasync(fd) < 0)
		die("fdatasync");
	t1 = clock_s(CLOCK_MONOTONIC);
	tw = t1 - t0;
	say("raw write done bytes=%" PRIu64 " seconds=%.3f", mib * MIB, tw);

	say("raw read start dev=%s bytes=%" PRIu64, dev, mib * MIB);
	t0 = clock_s(CLOCK_MONOTONIC);
	for (uint64_t i = 0; i < mib; i++) {
		if (pread(fd, buf, MIB, (off_t)(i * MIB)) != (ssize_t)MIB)
			die("pread");
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	tr = t1 - t0;
	say("raw read done bytes=%" PRIu64 " seconds=%.3f", mib * MIB, tr);
	say("raw result write_mbps=%.1f read_mbps=%.1f", (double)(mib * MIB) / 1e6 / tw,
	    (double)(mib * MIB) / 1e6 / tr);
	close(fd);
	return 0;
}

/* ---- snapread ---------------------------------------------------------- */

/* Open /dev/snapshot, lock our memory, freeze and take a snapshot: the
 * descriptor, frozen, the snapshot ready to be read. */
static int snapshot_take(void)
{
	int fd, in_suspend = 0, err;

	fd = open("/dev/snapshot", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("/dev/snapshot");
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		die("mlockall");
	if (ioctl(fd, SNAPSHOT_FREEZE, 0) < 0)
		die("SNAPSHOT_FREEZE");
	if (ioctl(fd, SNAPSHOT_CREATE_IMAGE, &in_suspend) < 0) {
		err = errno;
		ioctl(fd, SNAPSHOT_UNFREEZE, 0);
		errno = err;
		die("SNAPSHOT_CREATE_IMAGE");
	}
	return fd;
}

static int cmd_snapread(void)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint64_t pages = 0;
	int fd, err = 0;
	double t0, t1;

	fd = snapshot_take();
	/* Frozen from here: no output until the thaw. */
	t0 = clock_s(CLOCK_MONOTONIC);
	for (;;) {
		ssize_t n = read(fd, page, sizeof(page));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		pages++;
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	ioctl(fd, SNAPSHOT_FREE, 0);
	ioctl(fd, SNAPSHOT_UNFREEZE, 0);
	munlockall();
	close(fd);
	if (err) {
		errno = err;
		die("read /dev/snapshot");
	}
	printf("benchload: snapread pages=%" PRIu64 " seconds=%.3f mbps=%.1f\n", pages, t1 - t0,
	       (double)(pages * 4096) / 1e6 / (t1 - t0));
	return 0;
}

/* ---- floorsave, floorload -------------------------------------------- */

/* struct swsusp_info (kernel/power/power.h), the stream's first page:
 * struct new_utsname (6 x 65 bytes), u32 version_code, unsigned long
 * num_physpages, int cpus, unsigned long image_pages (data pages),
 * unsigned long pages (the whole stream: header, page list, data). */
#define INFO_IMAGE_PAGES 416
#define INFO_PAGES 424
#define FLOOR_MAX_SAVED 4096u /* 16 MiB of header and page list */

static int cmd_floorsave(const char *dev)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint8_t *saved = NULL;
	uint64_t pages = 0, info_pages = 0, info_data = 0, keep = 1;
	int fd, out, err = 0;

	if (posix_memalign((void **)&saved, 4096, (size_t)FLOOR_MAX_SAVED * 4096) != 0)
		die("posix_memalign");
	out = open(dev, O_WRONLY | O_CLOEXEC);
	if (out < 0)
		die(dev);
	fd = snapshot_take();
	/* Frozen from here: no output until the thaw. */
	for (;;) {
		uint8_t *buf = pages < keep ? saved + pages * 4096 : page;
		ssize_t n = read(fd, buf, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		if (pages == 0) {
			memcpy(&info_data, saved + INFO_IMAGE_PAGES, 8);
			memcpy(&info_pages, saved + INFO_PAGES, 8);
			if (info_data < info_pages && info_pages - info_data <= FLOOR_MAX_SAVED)
				keep = info_pages - info_data;
			else
				err = EPROTO;
		}
		pages++;
	}
	ioctl(fd, SNAPSHOT_FREE, 0);
	ioctl(fd, SNAPSHOT_UNFREEZE, 0);
	munlockall();
	close(fd);
	if (!err && pages != info_pages)
		err = EPROTO;
	if (err) {
		say("floorsave failed pages=%" PRIu64 " info_pages=%" PRIu64 " info_image_pages=%" PRIu64,
		    pages, info_pages, info_data);
		errno = err;
		die("read /dev/snapshot");
	}
	memset(page, 0, sizeof(page));
	snprintf((char *)page, sizeof(page), "snapfloor pages=%" PRIu64 " saved=%" PRIu64 "\n",
		 pages, keep);
	if (pwrite(out, page, 4096, 0) != 4096 ||
	    pwrite(out, saved, (size_t)keep * 4096, 4096) != (ssize_t)(keep * 4096) || fsync(out) < 0)
		die(dev);
	close(out);
	say("floorsave pages=%" PRIu64 " saved=%" PRIu64, pages, keep);
	return 0;
}

/* writev() all of iov (n elements), resuming after short writes. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Diagnostics of floorload, chosen by the environment: a second thread
 * runs while the kernel takes the pages, until floor_extra is cleared. */
static volatile int floor_extra;

/* FLOOR_BURN: the thread, at nice 10, keeps the other CPU busy. */
static void *floor_burn(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	(void)setpriority(PRIO_PROCESS, 0, 10);
	while (floor_extra)
		x++;
	return NULL;
}

/* FLOOR_READ=DEV: the thread reads DEV with O_DIRECT, 512 KiB every
 * 1.7 ms (about 300 MB/s, snapresume's pace after the allocation), from
 * the start again at its end. */
static const char *floor_read_dev;

static void *floor_read(void *arg)
{
	void *b;
	int fd = open(floor_read_dev, O_RDONLY | O_DIRECT);
	off_t off = 0;
	double next = clock_s(CLOCK_MONOTONIC);

	(void)arg;
	if (fd < 0 || posix_memalign(&b, 4096, 512 << 10))
		return NULL;
	while (floor_extra) {
		if (pread(fd, b, 512 << 10, off) == 512 << 10)
			off += 512 << 10;
		else
			off = 0;
		next += 0.0017;
		double now = clock_s(CLOCK_MONOTONIC);
		if (next > now) {
			struct timespec ts = {0, (long)((next - now) * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	return NULL;
}

static int cmd_floorload(const char *dev)
{
	static uint8_t head[4096] __attribute__((aligned(4096)));
	/* FLOOR_SPAN_MIB=N: the data pages come from N MiB of buffer in
	 * turn (default 1). */
	const char *span_env = getenv("FLOOR_SPAN_MIB"), *burn_env = getenv("FLOOR_BURN");
	bool burn = burn_env && *burn_env, extra;
	size_t span = (span_env && *span_env ? strtoul(span_env, NULL, 10) : 1) << 20;
	uint8_t *data = NULL;
	size_t at = 0;
	pthread_t burner;
	struct iovec iov[256];
	unsigned long long pages = 0, keep = 0;
	uint64_t done = 0;
	uint8_t *saved = NULL;
	double t0, t1, t, longest = 0;
	int in, fd;

	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	in = open(dev, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		die(dev);
	if (pread(in, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    sscanf((const char *)head, "snapfloor pages=%llu saved=%llu", &pages, &keep) != 2 ||
	    keep == 0 || keep > FLOOR_MAX_SAVED || keep >= pages) {
		say("floorload: no saved snapshot on %s", dev);
		return 1;
	}
	if (posix_memalign((void **)&saved, 4096, (size_t)keep * 4096) != 0)
		die("posix_memalign");
	if (pread(in, saved, (size_t)keep * 4096, 4096) != (ssize_t)(keep * 4096))
		die(dev);
	close(in);
	if (span < 256 * 4096 || posix_memalign((void **)&data, 4096, span) != 0)
		die("data buffer");
	memset(data, 0x5a, span);
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		die("mlockall");
	fd = open("/dev/snapshot", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("/dev/snapshot");

	floor_read_dev = getenv("FLOOR_READ");
	if (floor_read_dev && !*floor_read_dev)
		floor_read_dev = NULL;
	extra = burn || floor_read_dev;
	if (extra) {
		floor_extra = 1;
		if (pthread_create(&burner, NULL, burn ? floor_burn : floor_read, NULL) != 0)
			die("pthread_create");
	}
	t0 = clock_s(CLOCK_MONOTONIC);
	while (done < pages) {
		int n = 0;

		for (; n < 256 && done + (uint64_t)n < pages; n++) {
			uint64_t i = done + (uint64_t)n;
			iov[n].iov_base = i < keep ? saved + i * 4096 : data + at;
			iov[n].iov_len = 4096;
			if (i >= keep)
				at = (at + 4096) % span;
		}
		t = clock_s(CLOCK_MONOTONIC);
		if (writev_all(fd, iov, n) < 0)
			die("write /dev/snapshot");
		t = clock_s(CLOCK_MONOTONIC) - t;
		if (t > longest)
			longest = t;
		done += (uint64_t)n;
	}
	/* The write after the last page, as snapresume makes it: the kernel
	 * fills in the zero pages left out of the stream and calls the image
	 * loaded (0). */
	for (;;) {
		ssize_t w = write(fd, data, 4096);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write /dev/snapshot (end)");
		if (w == 0)
			break;
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	if (extra) {
		floor_extra = 0;
		pthread_join(burner, NULL);
	}
	/* Closing without SNAPSHOT_ATOMIC_RESTORE: the kernel drops it all. */
	close(fd);
	munlockall();
	say("loadfloor pages=%llu data_pages=%llu seconds=%.3f longest=%.3f", pages, pages - keep,
	    t1 - t0, longest);
	return 0;
}

/* ---- nonzero ---------------------------------------------------------- */

static int cmd_nonzero(const char *path)
{
	static uint64_t blk[4096 / 8];
	uint64_t count = 0;
	FILE *f = fopen(path, "rbe");

	if (!f)
		die(path);
	while (fread(blk, sizeof(blk), 1, f) == 1) {
		for (size_t i = 0; i < 4096 / 8; i++) {
			if (blk[i]) {
				count++;
				break;
			}
		}
	}
	fclose(f);
	printf("%" PRIu64 "\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "hold") == 0)
		cmd_hold(parse_num(argv[2], "MiB"), parse_num(argv[3], "seed"), argv[4]);
	if (argc == 4 && strcmp(argv[1], "rawio") == 0)
		return cmd_rawio(argv[2], parse_num(argv[3], "MiB"));
	if (argc == 2 && strcmp(argv[1], "snapread") == 0)
		return cmd_snapread();
	if (argc == 3 && strcmp(argv[1], "floorsave") == 0)
		return cmd_floorsave(argv[2]);
	if (argc == 3 && strcmp(argv[1], "floorload") == 0)
		return cmd_floorload(argv[2]);
	if (argc == 3 && strcmp(argv[1], "nonzero") == 0)
		return cmd_nonzero(argv[2]);
	fprintf(stderr, "usage: benchload hold MIB SEED DIR | rawio DEV MIB | snapread | "
			"floorsave DEV | floorload DEV | nonzero FILE\n");
	return 2;
}
