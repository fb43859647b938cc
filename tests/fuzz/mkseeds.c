/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes the binary seeds of the fuzz corpus (tests/fuzz/corpus/): valid
 * and invalidated headers, and valid chunk payloads in the geometry
 * fuzz-chunks uses.  Run by `make fuzz-seeds`; the output is committed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "locator.h"
#include "format/format.h"
#include "cow.h"
#include "rollback.h"
#include "pipeline.h"

static void put(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "we");
	if (!f || fwrite(buf, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

struct src {
	unsigned left, n;
	unsigned kind;
};

static int next_pages(void *ud, void *buf, uint32_t max)
{
	struct src *s = ud;
	uint32_t k = 0;

	for (; k < max && s->left; k++) {
		unsigned char *page = (unsigned char *)buf + (size_t)k * IMAGE_PAGE_SIZE;

		s->left--;
		s->n++;
		if (s->kind == 0)
			memset(page, 0, IMAGE_PAGE_SIZE);
		else
			for (unsigned i = 0; i < IMAGE_PAGE_SIZE; i++)
				page[i] = (unsigned char)(s->kind == 1 ? i * 7 + s->n : (unsigned)rand());
	}
	return (int)k;
}

int main(int argc, char **argv)
{
	static uint8_t block[IMAGE_HEADER_SIZE];
	struct image_header h = {0};
	const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
	char path[512];

	srand(1);
	h.version = IMAGE_VERSION;
	memset(h.uuid, 0x5a, 16);
	h.created_unix = 1800000000;
	h.page_size = IMAGE_PAGE_SIZE;
	h.chunk_pages = 256;
	h.image_pages = 40000;
	h.chunk_count = (h.image_pages + 255) / 256;
	h.payload_offset = IMAGE_HEADER_SIZE;
	h.payload_bytes = h.chunk_count * 65536;
	h.compression = IMAGE_COMPRESS_LZ4;
	h.checksum = IMAGE_CHECKSUM_XXH3;
	strcpy(h.kernel_release, "6.12.0-test-amd64");
	strcpy(h.kernel_version, "#1 SMP PREEMPT_DYNAMIC Debian 6.12.0-1");
	image_header_encode(&h, block);
	snprintf(path, sizeof(path), "%s/header/valid", dir);
	put(path, block, sizeof(block));
	h.dead_reason = IMAGE_DEAD_RESUMED;
	h.restore_read_ns = 123456789;
	image_header_encode(&h, block);
	snprintf(path, sizeof(path), "%s/header/invalidated", dir);
	put(path, block, sizeof(block));

	/* With the records snapwrite writes: the machine and two guarded
	 * file systems. */
	{
		struct fs_guard g = {.fs_type = IMAGE_FS_EXT4, .mount_count = 3,
				     .mount_time = 1800000000, .write_time = 1800000100,
				     .dev_major = 254, .dev_minor = 0, .mount_point = "/"};
		uint8_t payload[IMAGE_FS_GUARD_LEN], machine[16];

		memset(machine, 0x42, sizeof(machine));
		memset(g.uuid, 0x17, sizeof(g.uuid));
		h.dead_reason = IMAGE_DEAD_NONE;
		h.restore_read_ns = 0;
		image_record_add(&h, IMAGE_REC_MACHINE, machine, sizeof(machine));
		fs_guard_encode(&g, payload);
		image_record_add(&h, IMAGE_REC_FS_GUARD, payload, sizeof(payload));
		strcpy(g.mount_point, "/home");
		g.dev_minor = 1;
		fs_guard_encode(&g, payload);
		image_record_add(&h, IMAGE_REC_FS_GUARD, payload, sizeof(payload));
		image_header_encode(&h, block);
		snprintf(path, sizeof(path), "%s/header/records", dir);
		put(path, block, sizeof(block));
		memset(h.records, 0, sizeof(h.records));
	}

	/* A snapshot: an overlay record and an armed action in the header;
	 * the record alone (mode 0 of fuzz-overlay) and a COW store header
	 * (mode 1). */
	{
		struct overlay_rec rec = {.kind = OVERLAY_PERSISTENT, .chunk_sectors = 8,
					  .origin_major = 254, .cow_major = 254, .cow_minor = 32,
					  .origin_sectors = 1 << 20, .cow_sectors = 1 << 17,
					  .name = "snaproot", .cow_spec = "/dev/vdc"};
		uint8_t payload[1 + IMAGE_OVERLAY_LEN], armed[IMAGE_ROLLBACK_LEN] = {ROLLBACK_RESUME};
		uint8_t cow[1 + COW_HEADER_LEN] = {1};

		overlay_rec_encode(&rec, payload + 1);
		image_record_add(&h, IMAGE_REC_OVERLAY, payload + 1, IMAGE_OVERLAY_LEN);
		image_record_add(&h, IMAGE_REC_ROLLBACK, armed, sizeof(armed));
		image_header_encode(&h, block);
		snprintf(path, sizeof(path), "%s/header/snapshot", dir);
		put(path, block, sizeof(block));
		memset(h.records, 0, sizeof(h.records));
		payload[0] = 0;
		snprintf(path, sizeof(path), "%s/overlay/record", dir);
		put(path, payload, sizeof(payload));
		le32_put(cow + 1, COW_MAGIC);
		le32_put(cow + 5, 1);
		le32_put(cow + 9, 1);
		le32_put(cow + 13, 8);
		snprintf(path, sizeof(path), "%s/overlay/cow-header", dir);
		put(path, cow, sizeof(cow));
	}

	/* Extent maps: a swap area's locator (mode byte 0) with its map in two
	 * pages right after it, and a list of extents to build (mode 1). */
	{
		static uint8_t dev[1 + 3 * EXTMAP_PAGE];
		struct extmap m;
		uint8_t pairs[1 + 16 * 4];

		extmap_init(&m, EXTMAP_SWAP, 0);
		for (uint64_t i = 0; i < 300; i++)
			extmap_add(&m, (100 + 3 * i) * EXTMAP_PAGE, (1 + i % 3) * EXTMAP_PAGE);
		memcpy(m.saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
		m.nmap = extmap_pages_for(m.n);
		for (uint32_t i = 0; i < m.nmap; i++)
			m.map_pages[i] = (uint64_t)(1 + i) * EXTMAP_PAGE;
		dev[0] = 0;
		le32_put(dev + 1 + 1024, 1);
		extmap_locator_encode(&m, dev + 1);
		for (uint32_t i = 0; i < m.nmap; i++)
			extmap_map_page_encode(&m, i, dev + 1 + (size_t)(1 + i) * EXTMAP_PAGE);
		snprintf(path, sizeof(path), "%s/extmap/swap-locator", dir);
		put(path, dev, sizeof(dev));
		extmap_done(&m);

		pairs[0] = 1;
		for (unsigned i = 0; i < 4; i++) {
			le64_put(pairs + 1 + 16 * i, (uint64_t)(10 + 5 * i) * EXTMAP_PAGE);
			le64_put(pairs + 1 + 16 * i + 8, (uint64_t)(1 + i) * EXTMAP_PAGE);
		}
		snprintf(path, sizeof(path), "%s/extmap/pairs", dir);
		put(path, pairs, sizeof(pairs));
	}

	/* Chunk payloads: the first two bytes pick chunk_pages (1 + b0 % 4)
	 * and image_pages (1 + b1 % 12), as fuzz-chunks reads them. */
	for (unsigned kind = 0; kind < 3; kind++) {
		struct pipe *p;
		struct pipe_stats st;
		unsigned cp = 1 + kind, pages = 3 + 4 * kind;
		uint8_t uuid[16];
		struct src s = {.left = pages, .kind = kind};
		int fd = memfd_create("seed", 0);
		memset(uuid, 0x5a, 16);
		if (fd < 0 || pipe_new(&(struct pipe_opts){.workers = 1, .chunk_pages = cp}, &p) < 0)
			return 1;
		if (pipe_write(p, uuid, next_pages, &s, fd, 0, UINT64_MAX, NULL, NULL, &st) < 0)
			return 1;
		size_t len = (size_t)st.disk_bytes;
		uint8_t *buf = malloc(len + 2);
		buf[0] = (uint8_t)(cp - 1);
		buf[1] = (uint8_t)(pages - 1);
		if (pread(fd, buf + 2, len, 0) != (ssize_t)len)
			return 1;
		snprintf(path, sizeof(path), "%s/chunks/kind%u", dir, kind);
		put(path, buf, len + 2);
		free(buf);
		pipe_free(p);
		close(fd);
	}
	return 0;
}
