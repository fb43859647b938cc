/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the header I/O on a target (target.h): commit, read back,
 * invalidate, clear, on a regular file standing in for the device.  The
 * payload after the header must never be touched by these steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "blockdev.h"
#include "target.h"

#define TARGET_SIZE (64 * 1024)
#define PAYLOAD_BYTE(i) ((uint8_t)((i)*7 + 3))

struct fixture {
	char path[256];
	int fd;
};

/* A target of TARGET_SIZE bytes: a zero header block, then a payload
 * pattern that no header operation may change. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *dir = getenv("TMPDIR");
	uint8_t payload[TARGET_SIZE - IMAGE_HEADER_SIZE];

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test-target.XXXXXX", dir && *dir ? dir : "/tmp");
	f->fd = mkostemp(f->path, O_CLOEXEC);
	if (f->fd < 0) {
		free(f);
		return -1;
	}
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = PAYLOAD_BYTE(i);
	if (ftruncate(f->fd, TARGET_SIZE) < 0 ||
	    pwrite(f->fd, payload, sizeof(payload), IMAGE_HEADER_SIZE) != (ssize_t)sizeof(payload)) {
		close(f->fd);
		unlink(f->path);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->fd >= 0)
		close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

static void assert_payload_untouched(int fd)
{
	static uint8_t buf[TARGET_SIZE];
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, TARGET_SIZE);
	assert_int_equal(pread(fd, buf, TARGET_SIZE, 0), TARGET_SIZE);
	for (size_t i = 0; i < TARGET_SIZE - IMAGE_HEADER_SIZE; i++)
		if (buf[IMAGE_HEADER_SIZE + i] != PAYLOAD_BYTE(i))
			fail_msg("payload byte %zu changed", i);
}

static void sample_header(struct image_header *h)
{
	memset(h, 0, sizeof(*h));
	h->version = IMAGE_VERSION;
	assert_int_equal(image_uuid_generate(h->uuid), 0);
	h->created_unix = 1732600000;
	h->page_size = IMAGE_PAGE_SIZE;
	h->chunk_pages = 4;
	h->image_pages = 37;
	h->chunk_count = 10;
	h->payload_offset = IMAGE_HEADER_SIZE;
	h->payload_bytes = 12 * 4096;
	h->compression = IMAGE_COMPRESS_LZ4;
	h->checksum = IMAGE_CHECKSUM_XXH3;
	h->mem_total_kib = 2048 * 1024;
	h->snapshot_ns = 123456789;
	h->write_ns = 987654321;
	strcpy(h->kernel_release, "6.1.0-56-amd64");
	strcpy(h->kernel_version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.137-1");
}

/* Everything but the invalidation fields. */
static void assert_same_image(const struct image_header *a, const struct image_header *b)
{
	assert_int_equal(a->version, b->version);
	assert_memory_equal(a->uuid, b->uuid, 16);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->created_unix, b->created_unix);
	assert_int_equal(a->page_size, b->page_size);
	assert_int_equal(a->chunk_pages, b->chunk_pages);
	assert_int_equal(a->image_pages, b->image_pages);
	assert_int_equal(a->payload_offset, b->payload_offset);
	assert_int_equal(a->payload_bytes, b->payload_bytes);
	assert_int_equal(a->chunk_count, b->chunk_count);
	assert_int_equal(a->compression, b->compression);
	assert_int_equal(a->checksum, b->checksum);
	assert_int_equal(a->mem_total_kib, b->mem_total_kib);
	assert_int_equal(a->snapshot_ns, b->snapshot_ns);
	assert_int_equal(a->write_ns, b->write_ns);
	assert_string_equal(a->kernel_release, b->kernel_release);
	assert_string_equal(a->kernel_version, b->kernel_version);
}

static void test_fresh_target_has_no_image(void **state)
{
	struct fixture *f = *state;
	struct image_header got;
	enum image_state s = IMAGE_VALID;

	assert_int_equal(target_read_header(f->fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_NONE);
}

static void test_commit_and_read_back(void **state)
{
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s = IMAGE_NONE;
	const char *why = "unset";

	sample_header(&h);
	assert_int_equal(target_write_header(f->fd, &h), 0);
	assert_int_equal(target_read_header(f->fd, &s, &got, &why), 0);
	assert_int_equal(s, IMAGE_VALID);
	assert_null(why);
	assert_same_image(&h, &got);
	assert_int_equal(got.dead_reason, IMAGE_DEAD_NONE);
	assert_payload_untouched(f->fd);

	/* A second commit replaces the first. */
	h.image_pages = 40;
	assert_int_equal(target_write_header(f->fd, &h), 0);
	assert_int_equal(target_read_header(f->fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_VALID);
	assert_int_equal(got.image_pages, 40);
}

static void test_invalidate(void **state)
{
	static const uint32_t reasons[] = {
		IMAGE_DEAD_RESUMED, IMAGE_DEAD_REFUSED,  IMAGE_DEAD_NORESUME,
		IMAGE_DEAD_DISCARDED, IMAGE_DEAD_CANCELLED,
	};
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s;

	sample_header(&h);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		uint64_t before, after;
		uint8_t magic[IMAGE_MAGIC_LEN];

		assert_int_equal(target_write_header(f->fd, &h), 0);
		before = (uint64_t)time(NULL);
		assert_int_equal(target_invalidate(f->fd, &h, reasons[i], 4242000 + i), 0);
		after = (uint64_t)time(NULL);

		assert_int_equal(target_read_header(f->fd, &s, &got, NULL), 0);
		assert_int_equal(s, IMAGE_INVALIDATED);
		/* The image stays identifiable: same uuid and geometry. */
		assert_same_image(&h, &got);
		assert_int_equal(got.dead_reason, reasons[i]);
		assert_in_range(got.dead_unix, before, after);
		assert_int_equal(got.restore_read_ns, 4242000 + i);
		assert_int_equal(pread(f->fd, magic, sizeof(magic), 0), sizeof(magic));
		assert_memory_equal(magic, IMAGE_MAGIC_DEAD, IMAGE_MAGIC_LEN);
		assert_payload_untouched(f->fd);
	}
}

static void test_invalidate_needs_a_reason(void **state)
{
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s;

	sample_header(&h);
	assert_int_equal(target_write_header(f->fd, &h), 0);
	assert_int_equal(target_invalidate(f->fd, &h, IMAGE_DEAD_NONE, 0), -EINVAL);
	/* Refused without writing: the committed image is still there. */
	assert_int_equal(target_read_header(f->fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_VALID);
}

static void test_clear(void **state)
{
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s;
	uint8_t block[IMAGE_HEADER_SIZE];

	sample_header(&h);
	assert_int_equal(target_write_header(f->fd, &h), 0);
	assert_int_equal(target_clear_header(f->fd), 0);
	assert_int_equal(target_read_header(f->fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_NONE);
	assert_int_equal(pread(f->fd, block, sizeof(block), 0), sizeof(block));
	for (size_t i = 0; i < sizeof(block); i++)
		if (block[i])
			fail_msg("header byte %zu not cleared", i);
	assert_payload_untouched(f->fd);

	/* An invalidated image is cleared as well. */
	assert_int_equal(target_write_header(f->fd, &h), 0);
	assert_int_equal(target_invalidate(f->fd, &h, IMAGE_DEAD_DISCARDED, 0), 0);
	assert_int_equal(target_clear_header(f->fd), 0);
	assert_int_equal(target_read_header(f->fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_NONE);
}

static void test_damaged_on_disk(void **state)
{
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s;
	const char *why = NULL;
	uint8_t byte;

	sample_header(&h);
	assert_int_equal(target_write_header(f->fd, &h), 0);
	assert_int_equal(pread(f->fd, &byte, 1, 100), 1);
	byte ^= 0x04;
	assert_int_equal(pwrite(f->fd, &byte, 1, 100), 1);
	assert_int_equal(target_read_header(f->fd, &s, &got, &why), 0);
	assert_int_equal(s, IMAGE_DAMAGED);
	assert_non_null(why);
}

/* The same steps through O_DIRECT, as snapwrite and snapresume open a
 * device: every buffer must be aligned, or the kernel says EINVAL. */
static void test_direct_io(void **state)
{
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s;
	uint64_t size;
	int fd;

	assert_int_equal(blockdev_open(f->path, O_RDWR, true, &fd, &size), 0);
	assert_int_equal(size, TARGET_SIZE);
	if (!(fcntl(fd, F_GETFL) & O_DIRECT)) {
		close(fd);
		skip(); /* the file system of $TMPDIR has no O_DIRECT */
	}
	sample_header(&h);
	assert_int_equal(target_write_header(fd, &h), 0);
	assert_int_equal(target_read_header(fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_VALID);
	assert_int_equal(target_invalidate(fd, &h, IMAGE_DEAD_RESUMED, 1), 0);
	assert_int_equal(target_read_header(fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_INVALIDATED);
	assert_int_equal(target_clear_header(fd), 0);
	assert_int_equal(target_read_header(fd, &s, &got, NULL), 0);
	assert_int_equal(s, IMAGE_NONE);
	close(fd);
	assert_payload_untouched(f->fd);
}

static void test_io_errors_reported(void **state)
{
	struct fixture *f = *state;
	struct image_header h, got;
	enum image_state s;
	int ro;

	sample_header(&h);
	/* Not open for writing. */
	ro = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	assert_int_equal(target_write_header(ro, &h), -EBADF);
	assert_int_equal(target_invalidate(ro, &h, IMAGE_DEAD_REFUSED, 0), -EBADF);
	assert_int_equal(target_clear_header(ro), -EBADF);
	close(ro);
	/* A target shorter than a header block. */
	assert_int_equal(ftruncate(f->fd, 100), 0);
	assert_true(target_read_header(f->fd, &s, &got, NULL) < 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_fresh_target_has_no_image),
		T(test_commit_and_read_back),
		T(test_invalidate),
		T(test_invalidate_needs_a_reason),
		T(test_clear),
		T(test_damaged_on_disk),
		T(test_direct_io),
		T(test_io_errors_reported),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
