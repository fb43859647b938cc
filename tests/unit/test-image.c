/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the image format (src/lib/format/) against its
 * specification, docs/FORMAT.md.  Layout checks read the encoded bytes at
 * the offsets the specification gives, so that encode and decode cannot
 * agree on a wrong layout and still pass.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "hash.h"
#include "format/format.h"
#include "snapdev.h"
#include "util.h"

/* Offsets from docs/FORMAT.md, "The header" and "Chunks". */
#define OFF_MAGIC 0
#define OFF_VERSION 8
#define OFF_HEADER_SIZE 12
#define OFF_CHECKSUM 16
#define OFF_UUID 24
#define OFF_FLAGS 40
#define OFF_CREATED 48
#define OFF_PAGE_SIZE 56
#define OFF_CHUNK_PAGES 60
#define OFF_IMAGE_PAGES 64
#define OFF_PAYLOAD_OFFSET 72
#define OFF_PAYLOAD_BYTES 80
#define OFF_CHUNK_COUNT 88
#define OFF_COMPRESSION 96
#define OFF_CHECKSUM_ALG 100
#define OFF_MEM_TOTAL 104
#define OFF_SNAPSHOT_NS 112
#define OFF_WRITE_NS 120
#define OFF_KREL 128
#define OFF_KVER 256
#define OFF_DEAD_REASON 384
#define OFF_RESERVED0 388
#define OFF_DEAD_TIME 392
#define OFF_RESTORE_NS 400
#define OFF_RESERVED1 408
#define OFF_RECORDS 512

#define COFF_MAGIC 0
#define COFF_FLAGS 4
#define COFF_SEQ 8
#define COFF_UUID 16
#define COFF_RAW 32
#define COFF_STORED 36
#define COFF_DATA_SUM 40
#define COFF_RESERVED 48
#define COFF_HDR_SUM 56

static uint8_t hdr_buf[IMAGE_HEADER_SIZE];

/*
 * A committed header in which every multi-byte field has distinct non-zero
 * bytes above bit 32, so that a field truncated, swapped or written at the
 * wrong offset shows up.  The geometry is self-consistent: 0x123456789
 * pages in chunks of 256 pages are 0x1234568 chunks.
 */
static void sample_header(struct image_header *h)
{
	memset(h, 0, sizeof(*h));
	h->version = IMAGE_VERSION;
	for (int i = 0; i < 16; i++)
		h->uuid[i] = (uint8_t)(0xa0 + i);
	h->flags = 0;
	h->created_unix = 0x1122334455667788ull;
	h->page_size = IMAGE_PAGE_SIZE;
	h->chunk_pages = 256;
	h->image_pages = 0x123456789ull;
	h->chunk_count = 0x1234568ull;
	h->payload_offset = 0x1234567000ull;
	h->payload_bytes = 0x1234568ull * 8192;
	h->compression = IMAGE_COMPRESS_LZ4;
	h->checksum = IMAGE_CHECKSUM_XXH3;
	h->mem_total_kib = 0x0102030405060708ull;
	h->snapshot_ns = 0x8877665544332211ull;
	h->write_ns = 0xa1b2c3d4e5f60718ull;
	strcpy(h->kernel_release, "6.12.117+deb12-amd64");
	strcpy(h->kernel_version, "#1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1 (2025-01-01)");
}

static void sample_dead_header(struct image_header *h)
{
	sample_header(h);
	h->dead_reason = IMAGE_DEAD_REFUSED;
	h->dead_unix = 0x0000000065656565ull;
	h->restore_read_ns = 0x7172737475767778ull;
}

/* Recompute the header checksum after a test patched the block, so that a
 * check other than the checksum has to catch the patch. */
static void reseal_header(uint8_t *b)
{
	memset(b + OFF_CHECKSUM, 0, 8);
	le64_put(b + OFF_CHECKSUM, XXH3_64bits(b, IMAGE_HEADER_SIZE));
}

static void reseal_chunk_header(uint8_t *b)
{
	le64_put(b + COFF_HDR_SUM, XXH3_64bits(b, COFF_HDR_SUM));
}

static void assert_headers_equal(const struct image_header *a, const struct image_header *b)
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
	assert_memory_equal(a->kernel_release, b->kernel_release, IMAGE_KREL_LEN);
	assert_memory_equal(a->kernel_version, b->kernel_version, IMAGE_KVER_LEN);
	assert_int_equal(a->dead_reason, b->dead_reason);
	assert_int_equal(a->dead_unix, b->dead_unix);
	assert_int_equal(a->restore_read_ns, b->restore_read_ns);
}

static enum image_state decode(const uint8_t *b, struct image_header *out, const char **why)
{
	struct image_header scratch;
	const char *w = NULL;
	enum image_state s = image_header_decode(b, out ? out : &scratch, &w);

	if (why)
		*why = w;
	return s;
}

/* ---- header: encoding ------------------------------------------------- */

static void test_header_round_trip(void **state)
{
	struct image_header h, got;
	const char *why = "unset";

	(void)state;
	sample_header(&h);
	image_header_encode(&h, hdr_buf);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(image_header_decode(hdr_buf, &got, &why), IMAGE_VALID);
	assert_null(why);
	assert_headers_equal(&h, &got);
}

static void test_header_round_trip_dead(void **state)
{
	struct image_header h, got;

	(void)state;
	sample_dead_header(&h);
	image_header_encode(&h, hdr_buf);
	assert_memory_equal(hdr_buf + OFF_MAGIC, IMAGE_MAGIC_DEAD, IMAGE_MAGIC_LEN);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_INVALIDATED);
	/* The reason and the restore data survive, and so does everything
	 * snapwrite status shows about the dead image. */
	assert_int_equal(got.dead_reason, IMAGE_DEAD_REFUSED);
	assert_headers_equal(&h, &got);
}

static void test_header_layout_matches_spec(void **state)
{
	struct image_header h;
	uint8_t *b = hdr_buf;

	(void)state;
	sample_dead_header(&h);
	h.dead_reason = IMAGE_DEAD_NONE; /* a committed image */
	image_header_encode(&h, b);

	assert_memory_equal(b + OFF_MAGIC, "SNAPIMG\0", 8);
	assert_int_equal(le32_get(b + OFF_VERSION), 1);
	assert_int_equal(le32_get(b + OFF_HEADER_SIZE), 4096);
	assert_memory_equal(b + OFF_UUID, h.uuid, 16);
	assert_int_equal(le64_get(b + OFF_FLAGS), 0);
	assert_int_equal(le64_get(b + OFF_CREATED), h.created_unix);
	assert_int_equal(le32_get(b + OFF_PAGE_SIZE), 4096);
	assert_int_equal(le32_get(b + OFF_CHUNK_PAGES), h.chunk_pages);
	assert_int_equal(le64_get(b + OFF_IMAGE_PAGES), h.image_pages);
	assert_int_equal(le64_get(b + OFF_PAYLOAD_OFFSET), h.payload_offset);
	assert_int_equal(le64_get(b + OFF_PAYLOAD_BYTES), h.payload_bytes);
	assert_int_equal(le64_get(b + OFF_CHUNK_COUNT), h.chunk_count);
	assert_int_equal(le32_get(b + OFF_COMPRESSION), 1);
	assert_int_equal(le32_get(b + OFF_CHECKSUM_ALG), 1);
	assert_int_equal(le64_get(b + OFF_MEM_TOTAL), h.mem_total_kib);
	assert_int_equal(le64_get(b + OFF_SNAPSHOT_NS), h.snapshot_ns);
	assert_int_equal(le64_get(b + OFF_WRITE_NS), h.write_ns);
	assert_string_equal((const char *)b + OFF_KREL, h.kernel_release);
	assert_string_equal((const char *)b + OFF_KVER, h.kernel_version);
	assert_int_equal(le32_get(b + OFF_DEAD_REASON), 0);
	assert_int_equal(le64_get(b + OFF_DEAD_TIME), h.dead_unix);
	assert_int_equal(le64_get(b + OFF_RESTORE_NS), h.restore_read_ns);

	/* Explicit little-endian: the low byte first. */
	assert_int_equal(b[OFF_CREATED], 0x88);
	assert_int_equal(b[OFF_CREATED + 7], 0x11);

	/* Checksum: XXH3-64 of the block with its own 8 bytes as zero. */
	uint8_t copy[IMAGE_HEADER_SIZE];
	memcpy(copy, b, sizeof(copy));
	memset(copy + OFF_CHECKSUM, 0, 8);
	assert_int_equal(le64_get(b + OFF_CHECKSUM), XXH3_64bits(copy, sizeof(copy)));

	/* Reserved bytes, string padding and the (empty) records area are 0. */
	for (size_t i = OFF_RESERVED0; i < OFF_RESERVED0 + 4; i++)
		assert_int_equal(b[i], 0);
	for (size_t i = OFF_RESERVED1; i < IMAGE_HEADER_SIZE; i++)
		assert_int_equal(b[i], 0);
	for (size_t i = OFF_KREL + strlen(h.kernel_release); i < OFF_KVER; i++)
		assert_int_equal(b[i], 0);
	for (size_t i = OFF_KVER + strlen(h.kernel_version); i < OFF_DEAD_REASON; i++)
		assert_int_equal(b[i], 0);
}

static void test_header_encode_clears_buffer(void **state)
{
	struct image_header h, got;

	(void)state;
	sample_header(&h);
	memset(hdr_buf, 0xee, sizeof(hdr_buf));
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_VALID);
}

static void test_header_long_kernel_strings(void **state)
{
	struct image_header h, got;

	(void)state;
	sample_header(&h);
	/* 127 characters fit with their NUL ... */
	memset(h.kernel_release, 'r', IMAGE_KREL_LEN - 1);
	h.kernel_release[IMAGE_KREL_LEN - 1] = '\0';
	memset(h.kernel_version, 'v', IMAGE_KVER_LEN - 1);
	h.kernel_version[IMAGE_KVER_LEN - 1] = '\0';
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_VALID);
	assert_headers_equal(&h, &got);

	/* ... a 128th is cut off rather than written without a terminator. */
	memset(h.kernel_release, 'r', IMAGE_KREL_LEN);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(hdr_buf[OFF_KREL + IMAGE_KREL_LEN - 1], 0);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_VALID);
	assert_int_equal(strnlen(got.kernel_release, IMAGE_KREL_LEN), IMAGE_KREL_LEN - 1);
}

/* ---- header: damage ---------------------------------------------------- */

/* Flip bits of every byte of the block, one byte at a time: no flip may
 * leave an image that decodes as valid (or invalidated).  A flip inside
 * the magic makes it no header of ours; anywhere else the checksum fails. */
static void flip_every_header_byte(const struct image_header *h)
{
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	uint8_t orig[IMAGE_HEADER_SIZE];

	image_header_encode(h, orig);
	for (size_t off = 0; off < IMAGE_HEADER_SIZE; off++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			const char *why = NULL;
			enum image_state s;

			memcpy(hdr_buf, orig, sizeof(orig));
			hdr_buf[off] ^= masks[m];
			s = decode(hdr_buf, NULL, &why);
			if (off < IMAGE_MAGIC_LEN) {
				if (s != IMAGE_NONE)
					fail_msg("flip 0x%02x at magic byte %zu: state %s", masks[m],
						 off, image_state_to_string(s));
			} else if (s != IMAGE_DAMAGED || !why) {
				fail_msg("flip 0x%02x at byte %zu: state %s", masks[m], off,
					 image_state_to_string(s));
			}
		}
	}
}

static void test_header_every_byte_flip_detected(void **state)
{
	struct image_header h;

	(void)state;
	sample_header(&h);
	flip_every_header_byte(&h);
}

static void test_header_every_byte_flip_detected_dead(void **state)
{
	struct image_header h;

	(void)state;
	sample_dead_header(&h);
	flip_every_header_byte(&h);
}

static void test_header_not_ours(void **state)
{
	(void)state;
	memset(hdr_buf, 0, sizeof(hdr_buf));
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_NONE);
	/* A swap signature page, say, is not an image. */
	memset(hdr_buf, 0xff, sizeof(hdr_buf));
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_NONE);
}

static void test_header_reserved_nonzero_damaged(void **state)
{
	struct image_header h;
	uint8_t orig[IMAGE_HEADER_SIZE];
	size_t offs[4 + (OFF_RECORDS - OFF_RESERVED1)];
	size_t n = 0;

	(void)state;
	for (size_t i = OFF_RESERVED0; i < OFF_RESERVED0 + 4; i++)
		offs[n++] = i;
	for (size_t i = OFF_RESERVED1; i < OFF_RECORDS; i++)
		offs[n++] = i;

	sample_header(&h);
	image_header_encode(&h, orig);
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;
		enum image_state s;

		memcpy(hdr_buf, orig, sizeof(orig));
		hdr_buf[offs[i]] = 0x01;
		reseal_header(hdr_buf);
		s = decode(hdr_buf, NULL, &why);
		if (s != IMAGE_DAMAGED)
			fail_msg("reserved byte %zu set: state %s", offs[i],
				 image_state_to_string(s));
		assert_non_null(why);
	}
	/* The unpatched block, resealed the same way, is fine: the patch,
	 * not the resealing, is what the reader refused. */
	memcpy(hdr_buf, orig, sizeof(orig));
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_VALID);
}

static void test_header_strings_must_be_terminated(void **state)
{
	struct image_header h;
	uint8_t orig[IMAGE_HEADER_SIZE];

	(void)state;
	sample_header(&h);
	image_header_encode(&h, orig);

	/* No NUL in the field. */
	memcpy(hdr_buf, orig, sizeof(orig));
	memset(hdr_buf + OFF_KREL, 'x', IMAGE_KREL_LEN);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);

	memcpy(hdr_buf, orig, sizeof(orig));
	memset(hdr_buf + OFF_KVER, 'x', IMAGE_KVER_LEN);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);

	/* Garbage after the NUL. */
	memcpy(hdr_buf, orig, sizeof(orig));
	hdr_buf[OFF_KREL + IMAGE_KREL_LEN - 1] = 'x';
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);

	memcpy(hdr_buf, orig, sizeof(orig));
	hdr_buf[OFF_KVER + IMAGE_KVER_LEN - 2] = 'x';
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);
}

static void test_header_size_field(void **state)
{
	struct image_header h;

	(void)state;
	sample_header(&h);
	image_header_encode(&h, hdr_buf);
	le32_put(hdr_buf + OFF_HEADER_SIZE, 8192);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);
}

static void test_header_magic_and_reason_must_agree(void **state)
{
	struct image_header h;

	(void)state;
	/* SNAPIMG with a reason. */
	sample_dead_header(&h);
	image_header_encode(&h, hdr_buf);
	memcpy(hdr_buf, IMAGE_MAGIC, IMAGE_MAGIC_LEN);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);

	/* SNAPDEAD without one. */
	sample_header(&h);
	image_header_encode(&h, hdr_buf);
	memcpy(hdr_buf, IMAGE_MAGIC_DEAD, IMAGE_MAGIC_LEN);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);
}

/* ---- header: versions and features ------------------------------------ */

static void expect_unsupported(const struct image_header *h)
{
	struct image_header got;
	const char *why = NULL;

	image_header_encode(h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, &why), IMAGE_UNSUPPORTED);
	assert_non_null(why);
	/* The fields stay readable, to say what the image is. */
	assert_memory_equal(got.uuid, h->uuid, 16);
	assert_int_equal(got.version, h->version);
}

static void test_header_version2_unsupported(void **state)
{
	struct image_header h;

	(void)state;
	sample_header(&h);
	h.version = 2;
	expect_unsupported(&h);
	/* A future version may change the geometry rules: not damaged. */
	h.chunk_count = 0;
	expect_unsupported(&h);

	sample_header(&h);
	h.version = 0;
	expect_unsupported(&h);
}

static void test_header_unknown_features_unsupported(void **state)
{
	struct image_header h;

	(void)state;
	sample_header(&h);
	h.flags = 1;
	expect_unsupported(&h);

	sample_header(&h);
	h.flags = 1ull << 63;
	expect_unsupported(&h);

	sample_header(&h);
	h.page_size = 16384;
	expect_unsupported(&h);

	sample_header(&h);
	h.compression = 2;
	expect_unsupported(&h);

	sample_header(&h);
	h.checksum = 0;
	expect_unsupported(&h);
}

/* ---- header: records area --------------------------------------------- */

static void put_record(uint8_t *b, size_t off, uint16_t type, uint16_t len, uint8_t fill)
{
	le16_put(b + off, type);
	le16_put(b + off + 2, len);
	memset(b + off + 4, fill, len);
}

static void test_header_critical_record_unsupported(void **state)
{
	struct image_header h, got;
	const char *why = NULL;

	(void)state;
	sample_header(&h);
	image_header_encode(&h, hdr_buf);
	put_record(hdr_buf, OFF_RECORDS, IMAGE_RECORD_CRITICAL | 0x0042, 12, 0x33);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, &why), IMAGE_UNSUPPORTED);
	assert_non_null(why);
	assert_memory_equal(got.uuid, h.uuid, 16);
}

static void test_header_noncritical_record_skipped(void **state)
{
	struct image_header h, got;

	(void)state;
	sample_header(&h);
	image_header_encode(&h, hdr_buf);
	put_record(hdr_buf, OFF_RECORDS, 0x0042, 12, 0x33);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_VALID);
	assert_headers_equal(&h, &got);

	/* One record filling the area to its last byte. */
	image_header_encode(&h, hdr_buf);
	put_record(hdr_buf, OFF_RECORDS, 0x0077, IMAGE_HEADER_SIZE - OFF_RECORDS - 4, 0x44);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_VALID);
}

static void test_header_records_are_walked(void **state)
{
	struct image_header h;
	uint8_t orig[IMAGE_HEADER_SIZE];

	(void)state;
	sample_header(&h);
	image_header_encode(&h, orig);

	/* A skipped record of 5 payload bytes takes 4 + 5 -> 16 bytes (8-byte
	 * alignment); the critical record after it must still be seen. */
	memcpy(hdr_buf, orig, sizeof(orig));
	put_record(hdr_buf, OFF_RECORDS, 0x0041, 5, 0x11);
	put_record(hdr_buf, OFF_RECORDS + 16, IMAGE_RECORD_CRITICAL | 0x41, 4, 0x22);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_UNSUPPORTED);

	/* The same two records with a non-critical second one. */
	memcpy(hdr_buf, orig, sizeof(orig));
	put_record(hdr_buf, OFF_RECORDS, 0x0041, 5, 0x11);
	put_record(hdr_buf, OFF_RECORDS + 16, 0x0042, 4, 0x22);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_VALID);

	/* A record longer than the area is malformed. */
	memcpy(hdr_buf, orig, sizeof(orig));
	put_record(hdr_buf, OFF_RECORDS, 0x0041, 0, 0);
	le16_put(hdr_buf + OFF_RECORDS + 2, IMAGE_HEADER_SIZE - OFF_RECORDS - 3);
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);

	/* Bytes after the end record must be zero. */
	memcpy(hdr_buf, orig, sizeof(orig));
	hdr_buf[IMAGE_HEADER_SIZE - 1] = 0x01;
	reseal_header(hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);
}

/* ---- header: geometry --------------------------------------------------- */

struct geometry_case {
	const char *what;
	uint32_t chunk_pages;
	uint64_t image_pages, chunk_count, payload_offset, payload_bytes;
	enum image_state expect;
};

static void test_header_geometry(void **state)
{
	static const struct geometry_case cases[] = {
		{"consistent", 4, 10, 3, 4096, 3 * 4096, IMAGE_VALID},
		{"full chunks at the bound", 4, 8, 2, 4096, 2 * 5 * 4096, IMAGE_VALID},
		{"largest chunks", 1024, 1024, 1, 8192, 1025 * 4096, IMAGE_VALID},
		{"chunk_count one short", 4, 10, 2, 4096, 3 * 4096, IMAGE_DAMAGED},
		{"chunk_count one over", 4, 10, 4, 4096, 4 * 4096, IMAGE_DAMAGED},
		{"no pages", 4, 0, 0, 4096, 4096, IMAGE_DAMAGED},
		{"no pages per chunk", 0, 10, 10, 4096, 10 * 4096, IMAGE_DAMAGED},
		{"chunks too large", 1025, 1025, 1, 4096, 4096, IMAGE_DAMAGED},
		{"payload_offset unaligned", 4, 10, 3, 4097, 3 * 4096, IMAGE_DAMAGED},
		{"payload_offset inside the header", 4, 10, 3, 0, 3 * 4096, IMAGE_DAMAGED},
		{"payload_bytes unaligned", 4, 10, 3, 4096, 3 * 4096 + 512, IMAGE_DAMAGED},
		{"payload_bytes below a block per chunk", 4, 10, 3, 4096, 2 * 4096,
		 IMAGE_DAMAGED},
		{"payload_bytes above full chunks", 4, 8, 2, 4096, 2 * 5 * 4096 + 2 * 4096,
		 IMAGE_DAMAGED},
		{"payload past the end of any device", 1, 1, 1, UINT64_MAX - 4095, 4096,
		 IMAGE_DAMAGED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct geometry_case *c = &cases[i];
		struct image_header h;
		enum image_state s;

		sample_header(&h);
		h.chunk_pages = c->chunk_pages;
		h.image_pages = c->image_pages;
		h.chunk_count = c->chunk_count;
		h.payload_offset = c->payload_offset;
		h.payload_bytes = c->payload_bytes;
		image_header_encode(&h, hdr_buf);
		s = decode(hdr_buf, NULL, NULL);
		if (s != c->expect)
			fail_msg("%s: state %s, expected %s", c->what, image_state_to_string(s),
				 image_state_to_string(c->expect));
	}
}

/* Decode in a child process, so that a crash fails this test and not the
 * whole binary.  Returns the state, or -signal when the child died. */
static int decode_in_child(const uint8_t *b)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct image_header h;

		/* cmocka's handlers would resume the test run in the child. */
		signal(SIGFPE, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		_exit((int)image_header_decode(b, &h, NULL));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * ceil(image_pages / chunk_pages) must not be computed in a way that wraps:
 * with image_pages near 2^64 the sum image_pages + chunk_pages - 1 wraps
 * to a small number, chunk_count 0 then looks consistent, and the later
 * payload_bytes / chunk_count divides by zero.  The header has a good
 * checksum, so any writer of the target can crash the reader with it.
 */
static void test_header_geometry_overflow(void **state)
{
	static const struct {
		uint32_t chunk_pages;
		uint64_t image_pages;
	} cases[] = {
		{2, UINT64_MAX},
		{1024, UINT64_MAX},
		{1024, UINT64_MAX - 1000},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_header h;
		int r;

		sample_header(&h);
		h.chunk_pages = cases[i].chunk_pages;
		h.image_pages = cases[i].image_pages;
		h.chunk_count = 0;
		h.payload_offset = 4096;
		h.payload_bytes = 0;
		image_header_encode(&h, hdr_buf);
		r = decode_in_child(hdr_buf);
		if (r < 0)
			fail_msg("image_pages=%llu chunk_pages=%u chunk_count=0: decode died of "
				 "signal %d (%s)",
				 (unsigned long long)h.image_pages, h.chunk_pages, -r, strsignal(-r));
		assert_int_equal(r, IMAGE_DAMAGED);
	}
}

/* ---- chunk headers ------------------------------------------------------ */

static void sample_chunk(struct chunk_header *c)
{
	memset(c, 0, sizeof(*c));
	c->flags = 0;
	c->seq = 0x0102030405060708ull;
	for (int i = 0; i < 16; i++)
		c->uuid[i] = (uint8_t)(0x30 + 7 * i);
	c->raw_bytes = 256 * IMAGE_PAGE_SIZE;
	c->stored_bytes = 0x00012345;
	c->data_checksum = 0xfedcba9876543210ull;
}

static void test_chunk_round_trip(void **state)
{
	struct chunk_header c, got;
	uint8_t b[CHUNK_HEADER_SIZE];

	(void)state;
	sample_chunk(&c);
	chunk_header_encode(&c, b);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(chunk_header_decode(b, &got), 0);
	assert_int_equal(got.flags, c.flags);
	assert_int_equal(got.seq, c.seq);
	assert_memory_equal(got.uuid, c.uuid, 16);
	assert_int_equal(got.raw_bytes, c.raw_bytes);
	assert_int_equal(got.stored_bytes, c.stored_bytes);
	assert_int_equal(got.data_checksum, c.data_checksum);

	/* A raw chunk. */
	c.flags = CHUNK_FLAG_RAW;
	c.stored_bytes = c.raw_bytes;
	chunk_header_encode(&c, b);
	assert_int_equal(chunk_header_decode(b, &got), 0);
	assert_int_equal(got.flags, CHUNK_FLAG_RAW);
	assert_int_equal(got.stored_bytes, c.raw_bytes);
}

static void test_chunk_layout_matches_spec(void **state)
{
	struct chunk_header c;
	uint8_t b[CHUNK_HEADER_SIZE];

	(void)state;
	sample_chunk(&c);
	c.flags = CHUNK_FLAG_RAW;
	c.stored_bytes = c.raw_bytes;
	memset(b, 0xee, sizeof(b));
	chunk_header_encode(&c, b);
	assert_memory_equal(b + COFF_MAGIC, "SCHK", 4);
	assert_int_equal(le32_get(b + COFF_FLAGS), 1);
	assert_int_equal(le64_get(b + COFF_SEQ), c.seq);
	assert_memory_equal(b + COFF_UUID, c.uuid, 16);
	assert_int_equal(le32_get(b + COFF_RAW), c.raw_bytes);
	assert_int_equal(le32_get(b + COFF_STORED), c.stored_bytes);
	assert_int_equal(le64_get(b + COFF_DATA_SUM), c.data_checksum);
	assert_int_equal(le64_get(b + COFF_RESERVED), 0);
	assert_int_equal(le64_get(b + COFF_HDR_SUM), XXH3_64bits(b, 56));
}

static void test_chunk_every_byte_flip_detected(void **state)
{
	static const uint8_t masks[] = {0x01, 0x10, 0x80, 0xff};
	struct chunk_header c, got;
	uint8_t orig[CHUNK_HEADER_SIZE], b[CHUNK_HEADER_SIZE];

	(void)state;
	sample_chunk(&c);
	chunk_header_encode(&c, orig);
	for (size_t off = 0; off < CHUNK_HEADER_SIZE; off++)
		for (size_t m = 0; m < sizeof(masks); m++) {
			int r;

			memcpy(b, orig, sizeof(b));
			b[off] ^= masks[m];
			r = chunk_header_decode(b, &got);
			if (r != -EBADMSG)
				fail_msg("flip 0x%02x at chunk header byte %zu: %d", masks[m], off, r);
		}
}

static int chunk_patched(const struct chunk_header *c, size_t off, uint8_t value)
{
	uint8_t b[CHUNK_HEADER_SIZE];
	struct chunk_header got;

	chunk_header_encode(c, b);
	b[off] = value;
	reseal_chunk_header(b);
	return chunk_header_decode(b, &got);
}

static int chunk_with(const struct chunk_header *c)
{
	uint8_t b[CHUNK_HEADER_SIZE];
	struct chunk_header got;

	chunk_header_encode(c, b);
	return chunk_header_decode(b, &got);
}

static void test_chunk_field_checks(void **state)
{
	struct chunk_header c;

	(void)state;
	/* Limits that are allowed. */
	sample_chunk(&c);
	c.raw_bytes = CHUNK_MAX_PAGES * IMAGE_PAGE_SIZE;
	c.stored_bytes = c.raw_bytes;
	assert_int_equal(chunk_with(&c), 0);
	c.raw_bytes = IMAGE_PAGE_SIZE;
	c.stored_bytes = 1;
	assert_int_equal(chunk_with(&c), 0);

	/* stored_bytes never exceeds raw_bytes. */
	sample_chunk(&c);
	c.stored_bytes = c.raw_bytes + 1;
	assert_int_equal(chunk_with(&c), -EBADMSG);
	c.raw_bytes = IMAGE_PAGE_SIZE;
	c.stored_bytes = 2 * IMAGE_PAGE_SIZE;
	assert_int_equal(chunk_with(&c), -EBADMSG);

	sample_chunk(&c);
	c.stored_bytes = 0;
	assert_int_equal(chunk_with(&c), -EBADMSG);

	/* A raw chunk stores exactly its pages. */
	sample_chunk(&c);
	c.flags = CHUNK_FLAG_RAW;
	c.stored_bytes = c.raw_bytes - 1;
	assert_int_equal(chunk_with(&c), -EBADMSG);

	/* Unknown flags. */
	sample_chunk(&c);
	c.flags = 0x2;
	assert_int_equal(chunk_with(&c), -EBADMSG);
	c.flags = 0x80000000u;
	assert_int_equal(chunk_with(&c), -EBADMSG);

	/* raw_bytes: whole pages, 1 to CHUNK_MAX_PAGES of them. */
	sample_chunk(&c);
	c.raw_bytes = 0;
	c.stored_bytes = 1;
	assert_int_equal(chunk_with(&c), -EBADMSG);
	c.raw_bytes = IMAGE_PAGE_SIZE + 1;
	assert_int_equal(chunk_with(&c), -EBADMSG);
	c.raw_bytes = (CHUNK_MAX_PAGES + 1) * IMAGE_PAGE_SIZE;
	assert_int_equal(chunk_with(&c), -EBADMSG);

	/* Reserved bytes, even under a good header checksum. */
	sample_chunk(&c);
	for (size_t off = COFF_RESERVED; off < COFF_HDR_SUM; off++)
		assert_int_equal(chunk_patched(&c, off, 0x01), -EBADMSG);
	/* The same resealing without a patch is accepted. */
	assert_int_equal(chunk_patched(&c, COFF_RESERVED, 0x00), 0);
}

static void test_chunk_data_checksum(void **state)
{
	uint8_t data[3000];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);

	/* Bound to the sequence number: a chunk moved elsewhere fails. */
	uint64_t s0 = chunk_data_checksum(data, sizeof(data), 0);
	assert_int_not_equal(s0, chunk_data_checksum(data, sizeof(data), 1));
	assert_int_not_equal(chunk_data_checksum(data, sizeof(data), 7),
			     chunk_data_checksum(data, sizeof(data), 8));
	assert_int_not_equal(chunk_data_checksum(data, sizeof(data), 1ull << 40),
			     chunk_data_checksum(data, sizeof(data), 0));
	/* Deterministic, as the specification says: XXH3-64 seeded with seq. */
	assert_int_equal(s0, chunk_data_checksum(data, sizeof(data), 0));
	assert_int_equal(chunk_data_checksum(data, sizeof(data), 5),
			 XXH3_64bits_withSeed(data, sizeof(data), 5));
	/* And bound to every byte and the length. */
	data[1234] ^= 1;
	assert_int_not_equal(s0, chunk_data_checksum(data, sizeof(data), 0));
	data[1234] ^= 1;
	assert_int_not_equal(s0, chunk_data_checksum(data, sizeof(data) - 1, 0));
}

static void test_chunk_disk_bytes(void **state)
{
	(void)state;
	assert_int_equal(chunk_disk_bytes(1), 4096);
	assert_int_equal(chunk_disk_bytes(4096 - 64), 4096);
	assert_int_equal(chunk_disk_bytes(4096 - 63), 8192);
	assert_int_equal(chunk_disk_bytes(CHUNK_MAX_PAGES * IMAGE_PAGE_SIZE),
			 (CHUNK_MAX_PAGES + 1) * IMAGE_PAGE_SIZE);
	assert_int_equal(chunk_stored_bound(3), 3 * IMAGE_PAGE_SIZE);
}

static void test_uuid(void **state)
{
	uint8_t a[16], b[16];
	char s[37];

	(void)state;
	assert_int_equal(image_uuid_generate(a), 0);
	assert_int_equal(image_uuid_generate(b), 0);
	assert_memory_not_equal(a, b, 16);
	/* RFC 4122 version 4, variant 10. */
	assert_int_equal(a[6] >> 4, 4);
	assert_int_equal(a[8] >> 6, 2);

	for (int i = 0; i < 16; i++)
		a[i] = (uint8_t)(i * 17);
	image_uuid_format(a, s);
	assert_string_equal(s, "00112233-4455-6677-8899-aabbccddeeff");
}

/* The records API: what image_record_add() writes, decode() accepts and
 * image_record_next() walks; the known records' payloads are checked. */
static void test_header_records_api(void **state)
{
	struct image_header h, got;
	struct fs_guard g = {.fs_type = IMAGE_FS_EXT4,
			     .mount_count = 7,
			     .mount_time = 1700000000,
			     .write_time = 1700000123,
			     .dev_major = 254,
			     .dev_minor = 3};
	struct fs_guard back;
	uint8_t payload[IMAGE_FS_GUARD_LEN], machine[16];
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	int n = 0;

	(void)state;
	memset(g.uuid, 0xab, 16);
	memset(machine, 0x5c, 16);
	/* As long as the field holds: 47 characters and the NUL. */
	memset(g.mount_point, 'm', 47);
	g.mount_point[0] = '/';
	sample_header(&h);
	assert_int_equal(image_record_add(&h, IMAGE_REC_MACHINE, machine, 16), 0);
	fs_guard_encode(&g, payload);
	assert_int_equal(image_record_add(&h, IMAGE_REC_FS_GUARD, payload, IMAGE_FS_GUARD_LEN), 0);
	assert_int_equal(image_record_add(&h, 0, payload, 4), -EINVAL);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &got, NULL), IMAGE_VALID);

	while (image_record_next(&got, &cursor, &type, &p, &len) == 1) {
		if (n == 0) {
			assert_int_equal(type, IMAGE_REC_MACHINE);
			assert_int_equal(len, 16);
			assert_memory_equal(p, machine, 16);
		} else {
			assert_int_equal(type, IMAGE_REC_FS_GUARD);
			assert_int_equal(len, IMAGE_FS_GUARD_LEN);
			fs_guard_decode(p, &back);
			assert_int_equal(back.fs_type, IMAGE_FS_EXT4);
			assert_int_equal(back.mount_count, 7);
			assert_memory_equal(back.uuid, g.uuid, 16);
			assert_int_equal(back.mount_time, 1700000000);
			assert_int_equal(back.write_time, 1700000123);
			assert_int_equal(back.dev_major, 254);
			assert_int_equal(back.dev_minor, 3);
			assert_int_equal(strlen(back.mount_point), 47);
			assert_memory_equal(back.mount_point, g.mount_point, 47);
		}
		n++;
	}
	assert_int_equal(n, 2);

	/* Invalidation keeps the records. */
	got.dead_reason = IMAGE_DEAD_RESUMED;
	image_header_encode(&got, hdr_buf);
	assert_int_equal(decode(hdr_buf, &h, NULL), IMAGE_INVALIDATED);
	assert_memory_equal(h.records, got.records, IMAGE_RECORDS_SIZE);

	/* The area fills up: -ENOSPC, nothing half written. */
	sample_header(&h);
	while (image_record_add(&h, IMAGE_REC_FS_GUARD, payload, IMAGE_FS_GUARD_LEN) == 0)
		n++;
	assert_int_equal(image_record_add(&h, IMAGE_REC_FS_GUARD, payload, IMAGE_FS_GUARD_LEN),
			 -ENOSPC);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_VALID);

	/* Known records with the wrong length are malformed; a guard of a
	 * file system kind this reader lacks makes the image unsupported. */
	sample_header(&h);
	assert_int_equal(image_record_add(&h, IMAGE_REC_MACHINE, machine, 8), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_DAMAGED);
	/* Every kind this reader checks decodes, vfat the newest. */
	for (uint16_t k = IMAGE_FS_EXT4; k <= IMAGE_FS_VFAT; k++) {
		sample_header(&h);
		g.fs_type = k;
		fs_guard_encode(&g, payload);
		assert_int_equal(image_record_add(&h, IMAGE_REC_FS_GUARD, payload, IMAGE_FS_GUARD_LEN),
				 0);
		image_header_encode(&h, hdr_buf);
		assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_VALID);
	}
	sample_header(&h);
	g.fs_type = IMAGE_FS_VFAT + 1;
	fs_guard_encode(&g, payload);
	assert_int_equal(image_record_add(&h, IMAGE_REC_FS_GUARD, payload, IMAGE_FS_GUARD_LEN), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, NULL, NULL), IMAGE_UNSUPPORTED);
}

/* Both builds of XXH3 (hash.h) are xxHash's XXH3-64: every length class
 * of the algorithm (0, 1-3, 4-8, 9-16, 17-128, 129-240, long, with and
 * without a partial last stripe and block), several seeds. */
static void test_hash_builds_agree(void **state)
{
	static uint8_t buf[3 * 1024 * 1024 + 77];
	static const size_t lens[] = {0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1023, 1024,
				      1025, 4096, 65536 + 13, sizeof(buf) - 32};
	static const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
			/* Odd offsets, and every other length one short. */
			size_t len = lens[l] - (lens[l] ? l % 2 : 0);
			uint64_t want = XXH3_64bits_withSeed(buf + l, len, seeds[k]);

			assert_int_equal(hash64_scalar(buf + l, len, seeds[k]), want);
			assert_int_equal(hash64_vector(buf + l, len, seeds[k]), want);
			assert_int_equal(hash64(buf + l, len, seeds[k]), want);
		}
	assert_int_equal(hash64(buf, 100, 0), XXH3_64bits(buf, 100));
	assert_true(strcmp(hash64_impl(), "scalar") == 0 || strcmp(hash64_impl(), "vector") == 0);
}

#define PAGE IMAGE_PAGE_SIZE

/* ---- the kernel's stream: what loading it takes ---------------------- */

/* A stream as /dev/snapshot hands it out: the kernel's header (64-bit
 * struct swsusp_info), `listed` page numbers in the list pages (ended by
 * ~0 when they do not fill the last one), then `data` pages. */
static uint8_t *kernel_stream(uint64_t listed, uint64_t data, uint64_t *ret_pages)
{
	uint64_t list_pages = (listed * 8 + PAGE - 1) / PAGE;
	uint64_t pages = 1 + list_pages + data, v;
	uint8_t *s = calloc(pages, PAGE);

	assert_non_null(s);
	memcpy(s + 130, "6.12.0-test", 11); /* uts.release */
	memcpy(s + 416, &data, 8);
	memcpy(s + 424, &pages, 8);
	v = pages * PAGE;
	memcpy(s + 432, &v, 8);
	for (uint64_t i = 0; i < list_pages * (PAGE / 8); i++) {
		v = i < listed ? 0x1000 + i : UINT64_MAX;
		memcpy(s + PAGE + 8 * i, &v, 8);
	}
	memset(s + (1 + list_pages) * PAGE, 0xff, data * PAGE); /* data looks like ends */
	*ret_pages = pages;
	return s;
}

static uint64_t load_pages_of(const uint8_t *s, uint64_t pages, uint32_t step)
{
	struct snapdev_stream st = {0};

	for (uint64_t i = 0; i < pages; i += step)
		snapdev_stream_feed(&st, s + i * PAGE,
				    (uint32_t)(pages - i < step ? pages - i : step));
	return snapdev_stream_load_pages(&st, pages);
}

static void test_stream_load_pages(void **state)
{
	/* listed (data and zero pages), data pages */
	const uint64_t cases[][2] = {{1000, 700}, {1024, 1024}, {513, 1}, {3, 3}, {512 * 5, 100}};
	uint64_t pages;
	uint8_t *s;

	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		s = kernel_stream(cases[c][0], cases[c][1], &pages);
		/* Whichever way the pages come in. */
		assert_int_equal(load_pages_of(s, pages, 1), cases[c][0]);
		assert_int_equal(load_pages_of(s, pages, 7), cases[c][0]);
		assert_int_equal(load_pages_of(s, pages, 256), cases[c][0]);
		/* A stream cut short, or longer than its header says. */
		assert_int_equal(load_pages_of(s, pages - 1, 256), 0);
		{
			struct snapdev_stream st = {0};

			snapdev_stream_feed(&st, s, (uint32_t)pages);
			assert_int_equal(snapdev_stream_load_pages(&st, pages + 1), 0);
		}
		free(s);
	}

	/* The list ends a page early: not the kernel's stream. */
	s = kernel_stream(1000, 10, &pages);
	memset(s + PAGE, 0xff, 8);
	assert_int_equal(load_pages_of(s, pages, 3), 0);
	free(s);

	/* Fewer pages listed than there are data pages. */
	s = kernel_stream(600, 800, &pages);
	assert_int_equal(load_pages_of(s, pages, 256), 0);
	free(s);

	/* The header's size disagrees with its page count. */
	s = kernel_stream(1000, 10, &pages);
	s[432] ^= 1;
	assert_int_equal(load_pages_of(s, pages, 256), 0);
	free(s);

	/* No list page at all. */
	s = kernel_stream(0, 10, &pages);
	assert_int_equal(load_pages_of(s, pages, 256), 0);
	free(s);
}

/* The load_pages record: read back, and of exactly its length. */
static void test_load_pages_record(void **state)
{
	struct image_header h, back;
	uint8_t rec[8];

	(void)state;
	sample_header(&h);
	assert_int_equal(image_load_pages(&h), 0);
	le64_put(rec, 123456);
	assert_int_equal(image_record_add(&h, IMAGE_REC_LOAD_PAGES, rec, sizeof(rec)), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &back, NULL), IMAGE_VALID);
	assert_int_equal(image_load_pages(&back), 123456);

	sample_header(&h);
	assert_int_equal(image_record_add(&h, IMAGE_REC_LOAD_PAGES, rec, 4), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &back, NULL), IMAGE_DAMAGED);
}

/* The attempt record: added once, read back with its time, of exactly
 * its length. */
static void test_attempt_record(void **state)
{
	struct image_header h, back;
	uint64_t when = 0;
	uint8_t rec[8] = {0};

	(void)state;
	sample_header(&h);
	assert_false(image_attempt_begun(&h, &when));
	assert_int_equal(image_attempt_mark(&h, 1796000000), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &back, NULL), IMAGE_VALID);
	assert_true(image_attempt_begun(&back, &when));
	assert_int_equal(when, 1796000000);
	assert_true(image_attempt_begun(&back, NULL));

	sample_header(&h);
	assert_int_equal(image_record_add(&h, IMAGE_REC_ATTEMPT, rec, 7), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &back, NULL), IMAGE_DAMAGED);
}

/* The golden record: critical and known, counted in place, of exactly
 * its length; taking an attempt back leaves every other record. */
static void test_golden_record(void **state)
{
	struct image_header h, back;
	struct golden_rec g = {0};
	uint64_t when = 0;
	uint8_t rec[IMAGE_GOLDEN_LEN] = {0};

	(void)state;
	assert_true(IMAGE_REC_GOLDEN & IMAGE_RECORD_CRITICAL);
	sample_header(&h);
	le64_put(rec, 4242);
	assert_int_equal(image_record_add(&h, IMAGE_REC_LOAD_PAGES, rec, 8), 0);
	memset(rec, 0, sizeof(rec));
	assert_false(image_golden_info(&h, &g));
	assert_int_equal(image_golden_set(&h, &(struct golden_rec){0, 0}), 0);
	assert_int_equal(image_attempt_mark(&h, 1796000000), 0);
	/* Counted in place: one record, whatever the number of resumes. */
	assert_int_equal(image_golden_set(&h, &(struct golden_rec){3, 1796000123}), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &back, NULL), IMAGE_VALID);
	assert_true(image_golden_info(&back, &g));
	assert_int_equal(g.resumes, 3);
	assert_int_equal(g.last_resume, 1796000123);
	assert_true(image_attempt_begun(&back, &when));
	assert_int_equal(when, 1796000000);
	image_attempt_clear(&back);
	assert_false(image_attempt_begun(&back, NULL));
	assert_true(image_golden_info(&back, &g));
	assert_int_equal(g.resumes, 3);
	assert_int_equal(image_load_pages(&back), 4242);
	{
		size_t cursor = 0, n = 0;
		const uint8_t *p;
		uint16_t type, len;

		while (image_record_next(&back, &cursor, &type, &p, &len) == 1)
			n += type == IMAGE_REC_GOLDEN;
		assert_int_equal(n, 1);
	}

	sample_header(&h);
	assert_int_equal(image_record_add(&h, IMAGE_REC_GOLDEN, rec, 8), 0);
	image_header_encode(&h, hdr_buf);
	assert_int_equal(decode(hdr_buf, &back, NULL), IMAGE_DAMAGED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_header_round_trip_dead),
		cmocka_unit_test(test_header_layout_matches_spec),
		cmocka_unit_test(test_header_encode_clears_buffer),
		cmocka_unit_test(test_header_long_kernel_strings),
		cmocka_unit_test(test_header_every_byte_flip_detected),
		cmocka_unit_test(test_header_every_byte_flip_detected_dead),
		cmocka_unit_test(test_header_not_ours),
		cmocka_unit_test(test_header_reserved_nonzero_damaged),
		cmocka_unit_test(test_header_strings_must_be_terminated),
		cmocka_unit_test(test_header_size_field),
		cmocka_unit_test(test_header_magic_and_reason_must_agree),
		cmocka_unit_test(test_header_version2_unsupported),
		cmocka_unit_test(test_header_unknown_features_unsupported),
		cmocka_unit_test(test_header_critical_record_unsupported),
		cmocka_unit_test(test_header_noncritical_record_skipped),
		cmocka_unit_test(test_header_records_are_walked),
		cmocka_unit_test(test_header_records_api),
		cmocka_unit_test(test_header_geometry),
		cmocka_unit_test(test_header_geometry_overflow),
		cmocka_unit_test(test_chunk_round_trip),
		cmocka_unit_test(test_chunk_layout_matches_spec),
		cmocka_unit_test(test_chunk_every_byte_flip_detected),
		cmocka_unit_test(test_chunk_field_checks),
		cmocka_unit_test(test_chunk_data_checksum),
		cmocka_unit_test(test_chunk_disk_bytes),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_hash_builds_agree),
		cmocka_unit_test(test_stream_load_pages),
		cmocka_unit_test(test_load_pages_record),
		cmocka_unit_test(test_attempt_record),
		cmocka_unit_test(test_golden_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
