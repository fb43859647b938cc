/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the rollback overlays' data (format/records.h, rollback.h, cow.h): the
 * configuration syntax, the image records and their validation through the
 * header, the kernel's COW store header and snapshot status lines, the
 * boot's decision, and COW stores and swap lists on files.
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
#include <unistd.h>

#include <cmocka.h>

#include "cow.h"
#include "format/format.h"
#include "rollback.h"
#include "options.h"
#include "util.h"

static void test_spec_parse(void **state)
{
	struct overlay_spec o;

	(void)state;
	assert_int_equal(overlay_spec_parse("snaproot,/dev/vda,/dev/vdc", &o), 0);
	assert_string_equal(o.name, "snaproot");
	assert_string_equal(o.origin, "/dev/vda");
	assert_string_equal(o.cow, "/dev/vdc");
	assert_int_equal(o.zram_bytes, 0);

	assert_int_equal(overlay_spec_parse("home,UUID=1234-abcd,zram:256M", &o), 0);
	assert_string_equal(o.origin, "UUID=1234-abcd");
	assert_string_equal(o.cow, "");
	assert_int_equal(o.zram_bytes, 256u << 20);

	/* Missing or extra fields, bad names, bad or too small zram sizes. */
	static const char *const bad[] = {
		"",		     "snaproot",	    "snaproot,/dev/vda",
		"snaproot,/dev/vda,", ",/dev/vda,/dev/vdc", "a,b,c,d",
		"a/b,/dev/vda,/dev/vdc", "a b,/dev/vda,/dev/vdc", "..,/dev/vda,/dev/vdc",
		"r,/dev/vda,zram",   "r,/dev/vda,zram:",    "r,/dev/vda,zram:512K",
		"r,/dev/vda,zram:x", "r,,/dev/vdc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(overlay_spec_parse(bad[i], &o), -EINVAL);
	assert_int_equal(overlay_spec_parse(NULL, &o), -EINVAL);

	char longname[100];
	memset(longname, 'n', 70);
	strcpy(longname + 70, ",/dev/vda,/dev/vdc");
	assert_int_equal(overlay_spec_parse(longname, &o), -EINVAL);
}

static void test_cmdline_and_conf(void **state)
{
	struct resume_opts o;

	(void)state;
	resume_opts_init(&o);
	assert_int_equal(o.fallback, ROLLBACK_RESUME);
	assert_int_equal(o.rollback, ROLLBACK_UNSET);
	resume_opts_apply_cmdline(&o,
				  "root=/dev/mapper/r rd.snap.overlay=r,/dev/vda,/dev/vdc "
				  "rd.snap.overlay=h,/dev/vdd,zram:64M rd.snap.rollback=discard "
				  "rd.snap.fallback=discard rd.snap.merge_timeout=30 "
				  "rd.snap.overlay=r,/dev/vda,/dev/vde",
				  NULL);
	assert_int_equal(o.overlays.n, 2);
	/* The same name again replaces the first. */
	assert_string_equal(o.overlays.spec[0].cow, "/dev/vde");
	assert_int_equal(o.overlays.spec[1].zram_bytes, 64u << 20);
	assert_int_equal(o.rollback, ROLLBACK_DISCARD);
	assert_int_equal(o.fallback, ROLLBACK_DISCARD);
	assert_int_equal(o.merge_timeout, 30);

	/* keep is no fallback; bad words are refused and leave the value. */
	assert_int_equal(resume_opts_apply(&o, "rd.snap.fallback", "keep"), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.rollback", "maybe"), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.overlay", "x"), -EINVAL);
	assert_int_equal(o.rollback, ROLLBACK_DISCARD);
	assert_int_equal(resume_opts_apply_conf(&o, "rollback", "keep"), 1);
	assert_int_equal(o.rollback, ROLLBACK_KEEP);
	assert_int_equal(resume_opts_apply_conf(&o, "overlay", "z,/dev/sda1,/dev/sdb1"), 1);
	assert_int_equal(o.overlays.n, 3);

	/* At most OVERLAY_MAX. */
	char spec[64];
	for (int i = 0; i < OVERLAY_MAX; i++) {
		snprintf(spec, sizeof(spec), "o%d,/dev/vda,/dev/vdc", i);
		resume_opts_apply(&o, "rd.snap.overlay", spec);
	}
	assert_int_equal(o.overlays.n, OVERLAY_MAX);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.overlay", "more,/dev/a,/dev/b"), -ERANGE);
}

static struct overlay_rec sample_rec(void)
{
	struct overlay_rec r = {
		.kind = OVERLAY_PERSISTENT,
		.chunk_sectors = 8,
		.origin_major = 254,
		.origin_minor = 0,
		.cow_major = 254,
		.cow_minor = 32,
		.origin_sectors = 1 << 20,
		.cow_sectors = 1 << 17,
	};
	strcpy(r.name, "snaproot");
	strcpy(r.cow_spec, "/dev/vdc");
	return r;
}

static void test_record_roundtrip(void **state)
{
	struct overlay_rec r = sample_rec(), back;
	uint8_t buf[IMAGE_OVERLAY_LEN];

	(void)state;
	overlay_rec_encode(&r, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));

	/* Every field that makes a record one snapwrite could not write. */
	struct overlay_rec bad;
	bad = r, bad.kind = 3;
	overlay_rec_encode(&bad, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	bad = r, bad.chunk_sectors = 12;
	overlay_rec_encode(&bad, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	bad = r, bad.chunk_sectors = 4;
	overlay_rec_encode(&bad, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	bad = r, bad.origin_sectors = 0;
	overlay_rec_encode(&bad, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	bad = r, bad.kind = OVERLAY_VOLATILE; /* with a COW device number */
	overlay_rec_encode(&bad, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	bad = r, strcpy(bad.name, "a/b");
	overlay_rec_encode(&bad, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);

	overlay_rec_encode(&r, buf);
	buf[21] = 1; /* reserved */
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	overlay_rec_encode(&r, buf);
	memset(buf + 40, 'x', OVERLAY_NAME_LEN); /* no NUL */
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf), &back), -EBADMSG);
	overlay_rec_encode(&r, buf);
	assert_int_equal(overlay_rec_decode(buf, sizeof(buf) - 1, &back), -EBADMSG);
}

/* The header decoder knows the overlay record (critical) and checks it. */
static void test_record_in_header(void **state)
{
	struct image_header h = {0}, back;
	struct overlay_rec r = sample_rec();
	uint8_t rec[IMAGE_OVERLAY_LEN], armed[IMAGE_ROLLBACK_LEN] = {ROLLBACK_DISCARD};
	static uint8_t buf[IMAGE_HEADER_SIZE];
	const char *why = NULL;

	(void)state;
	h.version = IMAGE_VERSION;
	h.page_size = IMAGE_PAGE_SIZE;
	h.chunk_pages = 256;
	/* The geometry of tests/unit/test-image.c's sample header. */
	h.image_pages = 0x123456789ull;
	h.chunk_count = 0x1234568ull;
	h.payload_offset = 0x1234567000ull;
	h.payload_bytes = 0x1234568ull * 8192;
	h.compression = IMAGE_COMPRESS_LZ4;
	h.checksum = IMAGE_CHECKSUM_XXH3;
	overlay_rec_encode(&r, rec);
	assert_int_equal(image_record_add(&h, IMAGE_REC_OVERLAY, rec, sizeof(rec)), 0);
	assert_int_equal(image_record_add(&h, IMAGE_REC_ROLLBACK, armed, sizeof(armed)), 0);
	image_header_encode(&h, buf);
	assert_int_equal(image_header_decode(buf, &back, &why), IMAGE_VALID);
	assert_null(why);

	/* A bad overlay record makes the header damaged, never ignored. */
	rec[0] = 9;
	memset(h.records, 0, sizeof(h.records));
	assert_int_equal(image_record_add(&h, IMAGE_REC_OVERLAY, rec, sizeof(rec)), 0);
	image_header_encode(&h, buf);
	assert_int_equal(image_header_decode(buf, &back, &why), IMAGE_DAMAGED);
}

/* Arming replaces the one armed record and keeps every other record. */
static void test_arm(void **state)
{
	struct image_header h = {0};
	struct overlay_rec r = sample_rec();
	uint8_t rec[IMAGE_OVERLAY_LEN], machine[16] = {1}, bad[IMAGE_ROLLBACK_LEN] = {9};
	enum rollback_action armed;
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0, n_armed = 0, n_other = 0;

	(void)state;
	assert_int_equal(image_record_add(&h, IMAGE_REC_MACHINE, machine, sizeof(machine)), 0);
	assert_false(image_snapshot_info(&h, &armed));
	assert_int_equal(armed, ROLLBACK_UNSET);
	overlay_rec_encode(&r, rec);
	assert_int_equal(image_record_add(&h, IMAGE_REC_OVERLAY, rec, sizeof(rec)), 0);
	assert_true(image_snapshot_info(&h, &armed));
	assert_int_equal(armed, ROLLBACK_UNSET);

	assert_int_equal(image_snapshot_arm(&h, ROLLBACK_RESUME), 0);
	assert_true(image_snapshot_info(&h, &armed));
	assert_int_equal(armed, ROLLBACK_RESUME);
	assert_int_equal(image_snapshot_arm(&h, ROLLBACK_DISCARD), 0);
	assert_true(image_snapshot_info(&h, &armed));
	assert_int_equal(armed, ROLLBACK_DISCARD);
	while (image_record_next(&h, &cursor, &type, &p, &len) == 1)
		*(type == IMAGE_REC_ROLLBACK ? &n_armed : &n_other) += 1;
	assert_int_equal(n_armed, 1);
	assert_int_equal(n_other, 2);
	assert_int_equal(image_snapshot_arm(&h, ROLLBACK_UNSET), -EINVAL);
	assert_int_equal(image_snapshot_arm(&h, (enum rollback_action)7), -EINVAL);

	/* A value this code does not know arms nothing. */
	memset(h.records, 0, sizeof(h.records));
	assert_int_equal(image_record_add(&h, IMAGE_REC_OVERLAY, rec, sizeof(rec)), 0);
	assert_int_equal(image_record_add(&h, IMAGE_REC_ROLLBACK, bad, sizeof(bad)), 0);
	assert_true(image_snapshot_info(&h, &armed));
	assert_int_equal(armed, ROLLBACK_UNSET);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
	p[3] = (uint8_t)(v >> 24);
}

static void test_cow_header(void **state)
{
	uint8_t b[16] = {0};
	enum cow_state st;
	uint32_t chunk;

	(void)state;
	assert_int_equal(cow_header_parse(b, sizeof(b), &st, &chunk), 0);
	assert_int_equal(st, COW_NONE);
	put_le32(b, COW_MAGIC), put_le32(b + 4, 1), put_le32(b + 8, 1), put_le32(b + 12, 8);
	assert_int_equal(cow_header_parse(b, sizeof(b), &st, &chunk), 0);
	assert_int_equal(st, COW_VALID);
	assert_int_equal(chunk, 8);
	put_le32(b + 4, 0);
	assert_int_equal(cow_header_parse(b, sizeof(b), &st, &chunk), 0);
	assert_int_equal(st, COW_INVALID);
	put_le32(b + 8, 2);
	assert_int_equal(cow_header_parse(b, sizeof(b), &st, &chunk), -EPROTONOSUPPORT);
	put_le32(b + 8, 1), put_le32(b + 12, 12);
	assert_int_equal(cow_header_parse(b, sizeof(b), &st, &chunk), -EPROTONOSUPPORT);
	assert_int_equal(cow_header_parse(b, 8, &st, &chunk), -EINVAL);
	/* Someone else's data is no store. */
	memcpy(b, "EXT4", 4);
	assert_int_equal(cow_header_parse(b, sizeof(b), &st, &chunk), 0);
	assert_int_equal(st, COW_NONE);
}

static void test_cow_status(void **state)
{
	struct cow_usage u;

	(void)state;
	assert_int_equal(cow_status_parse("2048/131072 16", &u), 0);
	assert_int_equal(u.allocated, 2048);
	assert_int_equal(u.total, 131072);
	assert_int_equal(u.metadata, 16);
	assert_int_equal(cow_usage_percent(&u), 2);
	assert_int_equal(cow_status_parse("16/49152 16", &u), 0);
	assert_int_equal(cow_usage_percent(&u), 1);
	assert_int_equal(cow_status_parse("40960/49152 96", &u), 0);
	assert_int_equal(cow_usage_percent(&u), 84);
	assert_int_equal(cow_status_parse("Invalid", &u), 0);
	assert_true(u.invalid);
	assert_int_equal(cow_usage_percent(&u), 100);
	assert_int_equal(cow_status_parse("Overflow", &u), 0);
	assert_true(u.overflow);
	assert_int_equal(cow_status_parse("Merge failed", &u), 0);
	assert_true(u.failed);
	static const char *const bad[] = {"", "Unknown", "1/0 0", "5/4 1", "4/8 5", "1/2", "1/2 0 x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cow_status_parse(bad[i], &u), -EINVAL);
}

static void test_decide(void **state)
{
	bool fb;

	(void)state;
	/* Nothing chosen: keep. */
	assert_int_equal(rollback_decide(0, 0, true, ROLLBACK_RESUME, &fb), ROLLBACK_KEEP);
	assert_false(fb);
	/* Armed, and the command line over the armed action. */
	assert_int_equal(rollback_decide(0, ROLLBACK_RESUME, true, ROLLBACK_RESUME, &fb),
			 ROLLBACK_RESUME);
	assert_int_equal(rollback_decide(ROLLBACK_DISCARD, ROLLBACK_RESUME, true, ROLLBACK_RESUME,
					 &fb),
			 ROLLBACK_DISCARD);
	/* Keep impossible: the fallback. */
	assert_int_equal(rollback_decide(0, 0, false, ROLLBACK_RESUME, &fb), ROLLBACK_RESUME);
	assert_true(fb);
	assert_int_equal(rollback_decide(ROLLBACK_KEEP, 0, false, ROLLBACK_DISCARD, &fb),
			 ROLLBACK_DISCARD);
	assert_true(fb);
	/* Resume and discard never need the changes. */
	assert_int_equal(rollback_decide(0, ROLLBACK_DISCARD, false, ROLLBACK_RESUME, &fb),
			 ROLLBACK_DISCARD);
	assert_false(fb);
	assert_int_equal(rollback_action_from_string("keep"), ROLLBACK_KEEP);
	assert_int_equal(rollback_action_from_string("Keep"), ROLLBACK_UNSET);
	assert_string_equal(rollback_action_to_string(ROLLBACK_DISCARD), "discard");
}

/* cow_read and cow_drop on a file that stands for the device. */
static void test_cow_file(void **state)
{
	char path[] = "/tmp/test-overlay.XXXXXX";
	uint8_t page[4096] = {0};
	enum cow_state st;
	uint32_t chunk;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	put_le32(page, COW_MAGIC), put_le32(page + 4, 1), put_le32(page + 8, 1),
		put_le32(page + 12, 8);
	assert_int_equal(pwrite(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
	memset(page, 0xab, sizeof(page)); /* an exception area with entries */
	assert_int_equal(pwrite(fd, page, sizeof(page), 4096), (ssize_t)sizeof(page));
	assert_int_equal(pwrite(fd, page, sizeof(page), 8192), (ssize_t)sizeof(page));
	close(fd);

	int r = cow_read(path, &st, &chunk);
	if (r == -EINVAL) {
		/* No O_DIRECT on this TMPDIR (tmpfs): nothing to test here. */
		unlink(path);
		skip();
	}
	assert_int_equal(r, 0);
	assert_int_equal(st, COW_VALID);

	/* Changes: area 0 (chunk 1) with 256 entries, all used (0xab...),
	 * then area 1 at chunk 258 with 3 entries and the end. */
	uint64_t n = 0;
	uint8_t area[4096] = {0};
	for (int i = 0; i < 3; i++)
		area[i * 16 + 8] = (uint8_t)(10 + i);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, area, sizeof(area), 258 * 4096), (ssize_t)sizeof(area));
	close(fd);
	assert_int_equal(cow_count_changes(path, 8, &n), 0);
	assert_int_equal(n, 256 + 3);
	assert_int_equal(cow_count_changes(path, 12, &n), -EINVAL);
	assert_int_equal(cow_drop(path), 0);
	assert_int_equal(cow_read(path, &st, &chunk), 0);
	assert_int_equal(st, COW_NONE);
	/* Header and metadata area 0 zeroed; what follows untouched. */
	fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, page, sizeof(page), 4096), (ssize_t)sizeof(page));
	for (size_t i = 0; i < sizeof(page); i++)
		assert_int_equal(page[i], 0);
	assert_int_equal(pread(fd, page, sizeof(page), 8192), (ssize_t)sizeof(page));
	assert_int_equal(page[0], 0xab);
	close(fd);
	unlink(path);
}

static void test_swap_on_disk(void **state)
{
	char path[] = "/tmp/test-overlay-swaps.XXXXXX", buf[256];
	int fd;
	FILE *f;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	      "/dev/zram0                              partition\t65532\t\t0\t\t100\n",
	      f);
	fflush(f);
	assert_int_equal(swap_on_disk(path, buf, sizeof(buf)), 0);
	fputs("/dev/vdc                                partition\t65532\t\t0\t\t-2\n"
	      "/swapfile                               file\t\t65532\t\t0\t\t-3\n",
	      f);
	fclose(f);
	assert_int_equal(swap_on_disk(path, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "/dev/vdc /swapfile");
	unlink(path);
	assert_int_equal(swap_on_disk("/nonexistent/swaps", buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),	 cmocka_unit_test(test_cmdline_and_conf),
		cmocka_unit_test(test_record_roundtrip), cmocka_unit_test(test_record_in_header),
		cmocka_unit_test(test_cow_header),	 cmocka_unit_test(test_cow_status),
		cmocka_unit_test(test_decide),		 cmocka_unit_test(test_cow_file),
		cmocka_unit_test(test_swap_on_disk),	 cmocka_unit_test(test_arm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
