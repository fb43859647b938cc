/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of extent targets (format/extmap.h, locator.h): building maps, I/O
 * through a map (with and without growing), the locator and map pages as
 * on disk and every damage to them, swap headers, /proc/swaps, and an image
 * file's map from FIEMAP.
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
#include <sys/statfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "format/format.h"
#include "locator.h"
#include "util.h"

#define P EXTMAP_PAGE

static char dir[64], file[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/test-extmap.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/dev", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A zeroed "device" file of n pages, open read-write. */
static int make_dev(size_t pages)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(pages * P)), 0);
	return fd;
}

static void test_add_merges_and_checks(void **state)
{
	struct extmap m;
	uint64_t dev, run;
	(void)state;

	extmap_init(&m, EXTMAP_FILE, 0);
	assert_int_equal(extmap_add(&m, 10 * P, 2 * P), 0);
	assert_int_equal(extmap_add(&m, 12 * P, 3 * P), 0); /* adjacent: merged */
	assert_int_equal(extmap_add(&m, 2 * P, P), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.size, 6 * P);
	assert_int_equal(extmap_add(&m, 100, P), -EINVAL);
	assert_int_equal(extmap_add(&m, 20 * P, 0), -EINVAL);
	assert_int_equal(extmap_add(&m, 20 * P, 100), -EINVAL);

	assert_int_equal(extmap_lookup(&m, 0, &dev, &run), 0);
	assert_int_equal(dev, 10 * P);
	assert_int_equal(run, 5 * P);
	assert_int_equal(extmap_lookup(&m, 5 * P + 7, &dev, &run), 0);
	assert_int_equal(dev, 2 * P + 7);
	assert_int_equal(run, P - 7);
	assert_int_equal(extmap_lookup(&m, 6 * P, &dev, &run), -ERANGE);
	extmap_done(&m);
}

/* Logical bytes land where the map says, across extent ends, and read
 * back the same; beyond the end there is no room. */
static void test_io_through_map(void **state)
{
	int fd = make_dev(16);
	struct extmap m;
	uint8_t buf[3 * P], back[3 * P], raw[P];
	(void)state;

	extmap_init(&m, EXTMAP_FILE, 0);
	assert_int_equal(extmap_add(&m, 9 * P, P), 0);
	assert_int_equal(extmap_add(&m, 3 * P, 2 * P), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(extmap_pwrite(&m, fd, buf, sizeof(buf), 0), 0);
	assert_int_equal(pread_full(fd, raw, P, 9 * P), 0);
	assert_memory_equal(raw, buf, P);
	assert_int_equal(pread_full(fd, raw, P, 4 * P), 0);
	assert_memory_equal(raw, buf + 2 * P, P);
	assert_int_equal(extmap_pread(&m, fd, back, sizeof(back), 0), 0);
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(extmap_pread(&m, fd, back, 100, P - 50), 0);
	assert_memory_equal(back, buf + P - 50, 100);
	assert_int_equal(extmap_pwrite(&m, fd, buf, P, 3 * P), -ENOSPC);
	assert_int_equal(extmap_pread(&m, fd, back, P, 3 * P), -EIO);
	extmap_done(&m);
	close(fd);
}

struct pool {
	uint64_t next; /* hands out pages downwards from here */
	unsigned left;
};

static int pool_grow(void *userdata, uint64_t *ret)
{
	struct pool *p = userdata;
	if (!p->left)
		return -ENOSPC;
	p->left--;
	*ret = p->next;
	p->next -= P;
	return 0;
}

/* A swap area's map grows a page at a time as the writer asks. */
static void test_grow(void **state)
{
	int fd = make_dev(16);
	struct pool pool = {.next = 15 * P, .left = 4};
	struct extmap m;
	uint8_t buf[2 * P], raw[P];
	(void)state;

	extmap_init(&m, EXTMAP_SWAP, 0);
	m.grow = pool_grow;
	m.grow_userdata = &pool;
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(extmap_pwrite(&m, fd, buf, sizeof(buf), P), 0);
	assert_int_equal(m.size, 3 * P);
	assert_int_equal(m.n, 3); /* descending pages never merge */
	assert_int_equal(m.ext[1].offset, 14 * P);
	assert_int_equal(pread_full(fd, raw, P, 13 * P), 0);
	assert_memory_equal(raw, buf, P);
	assert_int_equal(extmap_pwrite(&m, fd, buf, sizeof(buf), 3 * P), -ENOSPC);
	extmap_done(&m);
	close(fd);
}

/* A locator over a swap header, with its map in three pages. */
static void build_swap_map(struct extmap *m, uint64_t base)
{
	extmap_init(m, EXTMAP_SWAP, base);
	for (uint64_t i = 0; i < 600; i++)
		assert_int_equal(extmap_add(m, (1000 + 2 * i) * P, P), 0);
	memcpy(m->saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
	m->nmap = extmap_pages_for(m->n);
	assert_int_equal(m->nmap, 3);
	for (uint32_t i = 0; i < m->nmap; i++)
		m->map_pages[i] = (uint64_t)(10 + i) * P;
}

static void swap_header(uint8_t *page)
{
	memset(page, 0, P);
	le32_put(page + 1024, 1);      /* version */
	le32_put(page + 1028, 4095);   /* last page */
	memset(page + 1036, 0x5a, 16); /* uuid */
	memcpy(page + EXTMAP_SIG_OFFSET, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
}

static void test_locator_round_trip_and_damage(void **state)
{
	int fd = make_dev(32);
	struct extmap m, got;
	enum locator_found found;
	const char *why = NULL;
	uint8_t page[P], orig[P];
	(void)state;

	swap_header(orig);
	assert_true(extmap_swap_header_ok(orig, &why));
	assert_int_equal(pwrite_full(fd, orig, P, 0), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_SWAP);

	build_swap_map(&m, 0);
	assert_int_equal(locator_write(fd, &m), 0);
	assert_int_equal(pread_full(fd, page, P, 0), 0);
	assert_memory_equal(page, orig, 1536); /* the swap header's own fields kept */
	assert_true(extmap_is_locator(page));
	assert_int_equal(extmap_locator_kind(page), EXTMAP_SWAP);
	assert_false(extmap_swap_header_ok(page, &why));

	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_OURS);
	assert_true(extmap_same(&m, &got));
	assert_int_equal(got.kind, EXTMAP_SWAP);
	assert_int_equal(got.nmap, 3);
	assert_memory_equal(got.saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
	extmap_done(&got);

	/* A byte of the locator. */
	page[2000] ^= 1;
	assert_int_equal(pwrite_full(fd, page, P, 0), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_DAMAGED);
	assert_string_equal(why, "locator checksum mismatch");
	page[2000] ^= 1;
	assert_int_equal(pwrite_full(fd, page, P, 0), 0);

	/* The same locator read at another place (a copied file). */
	assert_int_equal(pwrite_full(fd, page, P, 20 * P), 0);
	assert_int_equal(locator_read(fd, 20 * P, &got, &found, &why), 0);
	assert_int_equal(found, LOC_DAMAGED);

	/* A byte of the second map page. */
	assert_int_equal(pread_full(fd, page, P, 11 * P), 0);
	page[100] ^= 0x80;
	assert_int_equal(pwrite_full(fd, page, P, 11 * P), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_DAMAGED);
	assert_string_equal(why, "map page checksum mismatch");
	assert_int_equal(got.n, 0);

	/* Map pages swapped around: each is bound to its index. */
	extmap_map_page_encode(&m, 1, page);
	assert_int_equal(pwrite_full(fd, page, P, 12 * P), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_DAMAGED);

	/* Putting the signature back gives the swap header as mkswap made it. */
	assert_int_equal(locator_restore_swap(fd, &m), 0);
	assert_int_equal(pread_full(fd, page, P, 0), 0);
	assert_memory_equal(page, orig, P);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_SWAP);

	/* A damaged locator over a swap header is repaired; other pages not. */
	page[EXTMAP_SIG_OFFSET] = 'X';
	memcpy(page + EXTMAP_SIG_OFFSET, EXTMAP_SIG, EXTMAP_SIG_LEN);
	assert_int_equal(pwrite_full(fd, page, P, 0), 0);
	assert_int_equal(locator_repair_swap(fd, 0), 1);
	assert_int_equal(pread_full(fd, page, P, 0), 0);
	assert_memory_equal(page, orig, P);
	assert_int_equal(locator_repair_swap(fd, 5 * P), 0);
	extmap_done(&m);
	close(fd);
}

/* A map page that cannot be read is no damage: locator_read fails with the
 * I/O error, so that nobody "repairs" an intact image away. */
static void test_locator_read_error_is_not_damage(void **state)
{
	int fd = make_dev(32);
	struct extmap m, got;
	enum locator_found found = LOC_NONE;
	const char *why = NULL;
	uint8_t orig[P];
	(void)state;

	swap_header(orig);
	assert_int_equal(pwrite_full(fd, orig, P, 0), 0);
	build_swap_map(&m, 0);
	assert_int_equal(locator_write(fd, &m), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_OURS);
	extmap_done(&got);
	/* The device ends before the map pages (pages 10-12): a short read. */
	assert_int_equal(ftruncate(fd, 10 * P), 0);
	assert_true(locator_read(fd, 0, &got, &found, &why) < 0);
	extmap_done(&got);
	extmap_done(&m);
	close(fd);
}

static void test_kernel_signature_and_swap_checks(void **state)
{
	int fd = make_dev(4);
	struct extmap got;
	enum locator_found found;
	const char *why = NULL;
	uint8_t page[P];
	(void)state;

	swap_header(page);
	memcpy(page + EXTMAP_SIG_OFFSET, "S1SUSPEND\0", 10);
	assert_int_equal(pwrite_full(fd, page, P, 0), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_KERNEL);
	assert_false(extmap_swap_header_ok(page, &why));

	swap_header(page);
	le32_put(page + 1032, 3); /* bad pages listed */
	assert_false(extmap_swap_header_ok(page, &why));
	assert_string_equal(why, "the swap area lists bad pages");
	swap_header(page);
	le32_put(page + 1024, 2);
	assert_false(extmap_swap_header_ok(page, &why));
	assert_int_equal(locator_repair_swap(fd, P), 0); /* zeros: no swap header */

	memset(page, 0, P);
	assert_int_equal(pwrite_full(fd, page, P, 0), 0);
	assert_int_equal(locator_read(fd, 0, &got, &found, &why), 0);
	assert_int_equal(found, LOC_NONE);
	close(fd);
}

static void test_swaps_file(void **state)
{
	char swaps[160], spaced[160], text[512];
	bool is_file = false;
	int fd;
	FILE *f;
	(void)state;

	snprintf(spaced, sizeof(spaced), "%s/swap file", dir);
	fd = open(spaced, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(swaps, sizeof(swaps), "%s/swaps", dir);
	f = fopen(swaps, "w");
	assert_non_null(f);
	snprintf(text, sizeof(text),
		 "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		 "/dev/does-not-exist                     partition\t1024\t0\t-2\n"
		 "%s/swap\\040file file\t\t262140\t\t0\t\t-3\n",
		 dir);
	fputs(text, f);
	fclose(f);
	assert_int_equal(swap_active(swaps, spaced, &is_file), 1);
	assert_true(is_file);
	assert_int_equal(swap_active(swaps, swaps, &is_file), 0);
	assert_int_equal(swap_active("/nonexistent/swaps", spaced, &is_file), 0);
}

/* An image file's map: from FIEMAP where the file system has it (ext4,
 * xfs); elsewhere (tmpfs) the failure is the documented one. */
/* Image files are root's alone: the file and its directory. */
static void test_file_owner_check(void **state)
{
	char d[96], f[128];
	const char *why = NULL;
	int fd;

	(void)state;
	snprintf(d, sizeof(d), "%s/test-owner.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(d));
	assert_int_equal(chmod(d, 0755), 0);
	snprintf(f, sizeof(f), "%s/image", d);
	fd = open(f, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	if (geteuid() == 0) {
		assert_int_equal(file_owner_check(f, &why), 0);
		assert_int_equal(chmod(f, 0620), 0);
		assert_int_equal(file_owner_check(f, &why), -EACCES);
		assert_string_equal(why, "its group or others can write to it");
		assert_int_equal(chmod(f, 0600), 0);
		assert_int_equal(chown(f, 1000, 0), 0);
		assert_int_equal(file_owner_check(f, &why), -EACCES);
		assert_string_equal(why, "it is not owned by root");
		assert_int_equal(chown(f, 0, 0), 0);
		assert_int_equal(chmod(d, 0777), 0);
		assert_int_equal(file_owner_check(f, &why), -EACCES);
		assert_non_null(strstr(why, "directory"));
	} else {
		/* Not root: the file is not root's. */
		assert_int_equal(file_owner_check(f, &why), -EACCES);
	}
	assert_int_equal(file_owner_check("/nonexistent/image", &why), -ENOENT);
	unlink(f);
	rmdir(d);
}

static void test_file_image_map(void **state)
{
	char path[160];
	struct extmap full, img;
	struct statfs sf;
	uint8_t buf[64 * 1024];
	int fd, r;
	(void)state;

	snprintf(path, sizeof(path), "%s/image", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(buf, 0x11, sizeof(buf));
	for (int i = 0; i < 32; i++)
		assert_int_equal(pwrite_full(fd, buf, sizeof(buf), (uint64_t)i * sizeof(buf)), 0);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(fstatfs(fd, &sf), 0);
	r = file_image_map(fd, &full, &img);
	if (sf.f_type == 0x01021994 /* tmpfs */) {
		assert_int_equal(r, -EOPNOTSUPP);
		print_message("file_image_map on tmpfs: -EOPNOTSUPP as documented\n");
		extmap_done(&full);
		close(fd);
		return;
	}
	assert_int_equal(r, 0);
	assert_int_equal(full.size, 32 * sizeof(buf));
	/* The locator page and one map page come off the front. */
	assert_int_equal(img.size, full.size - 2 * P);
	assert_int_equal(img.base, full.ext[0].offset);
	assert_int_equal(img.nmap, 1);
	assert_int_equal(img.kind, EXTMAP_FILE);
	extmap_done(&full);
	extmap_done(&img);

	/* A hole makes it unusable. */
	assert_int_equal(ftruncate(fd, 4 * 1024 * 1024), 0);
	assert_int_equal(file_image_map(fd, &full, &img), -EMEDIUMTYPE);
	extmap_done(&full);
	extmap_done(&img);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merges_and_checks),
		cmocka_unit_test(test_io_through_map),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_locator_round_trip_and_damage),
		cmocka_unit_test(test_locator_read_error_is_not_damage),
		cmocka_unit_test(test_kernel_signature_and_swap_checks),
		cmocka_unit_test(test_swaps_file),
		cmocka_unit_test(test_file_owner_check),
		cmocka_unit_test(test_file_image_map),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
