/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the image header decoder: any 4096 bytes, never a crash, and a
 * header that decodes as valid re-encodes to the same bytes. */
#include <assert.h>
#include <string.h>

#include "image.h"

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
		/* Version 1 writes no records, so only a header without records
		 * round-trips byte for byte. */
		image_header_encode(&h, again);
		bool no_records = true;
		for (size_t i = IMAGE_RECORDS_OFFSET; i < IMAGE_HEADER_SIZE; i++)
			no_records &= block[i] == 0;
		if (no_records)
			assert(memcmp(block, again, sizeof(block)) == 0);
	}
	return 0;
}
