/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the image header decoder and its records (the machine identity and
 * the file system guard table): any 4096 bytes, never a crash, a header
 * that decodes as valid re-encodes to the same bytes, and its records walk
 * to an end inside the area. */
#include <assert.h>
#include <string.h>

#include "format/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t block[IMAGE_HEADER_SIZE], again[IMAGE_HEADER_SIZE];
	struct image_header h;
	const char *why;
	enum image_state st;

	memset(block, 0, sizeof(block));
	memcpy(block, data, size < sizeof(block) ? size : sizeof(block));
	st = image_header_decode(block, &h, &why);
	if (st == IMAGE_VALID || st == IMAGE_INVALIDATED) {
		const uint8_t *p;
		uint16_t type, len;
		size_t cursor = 0, n = 0;

		image_header_encode(&h, again);
		assert(memcmp(block, again, sizeof(block)) == 0);
		while (image_record_next(&h, &cursor, &type, &p, &len) == 1) {
			assert(cursor <= IMAGE_RECORDS_SIZE && n++ < IMAGE_RECORDS_SIZE / 8);
			assert(p >= h.records && p + len <= h.records + IMAGE_RECORDS_SIZE);
			if (type == IMAGE_REC_FS_GUARD) {
				struct fs_guard g;
				assert(len == IMAGE_FS_GUARD_LEN);
				fs_guard_decode(p, &g);
				assert(g.fs_type >= IMAGE_FS_EXT4 && g.fs_type <= IMAGE_FS_VFAT &&
				       strlen(g.mount_point) < 48);
			} else if (type == IMAGE_REC_MACHINE) {
				assert(len == 16);
			}
		}
	}
	return 0;
}
