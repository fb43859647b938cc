/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the rollback overlays' parsers (format/records.h, rollback.h, cow.h).  The first byte picks:
 *   0: an overlay record as in an image header: decodes or is refused, and
 *      one that decodes encodes back to the same bytes;
 *   1: a COW store header (the kernel's, read from a device);
 *   2: a snapshot target status line;
 *   3: an overlay= / rd.snap.overlay= value. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "cow.h"
#include "rollback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512];
	uint8_t back[IMAGE_OVERLAY_LEN];
	struct overlay_rec rec;
	struct overlay_spec spec;
	struct cow_usage u;
	enum cow_state st;
	uint32_t chunk;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (overlay_rec_decode(data + 1, size - 1, &rec) == 0) {
			assert(size - 1 == IMAGE_OVERLAY_LEN);
			assert(overlay_name_valid(rec.name));
			overlay_rec_encode(&rec, back);
			assert(memcmp(back, data + 1, IMAGE_OVERLAY_LEN) == 0);
		}
		break;
	case 1:
		if (cow_header_parse(data + 1, size - 1, &st, &chunk) == 0) {
			assert(st == COW_NONE || st == COW_VALID || st == COW_INVALID);
			assert(st == COW_NONE || (chunk >= 8 && !(chunk & (chunk - 1))));
		}
		break;
	case 2:
	case 3:
		if (size - 1 >= sizeof(text))
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (data[0] % 4 == 2) {
			if (cow_status_parse(text, &u) == 0 && !u.invalid && !u.overflow && !u.failed)
				assert(u.allocated <= u.total && u.metadata <= u.allocated &&
				       cow_usage_percent(&u) <= 100);
		} else if (overlay_spec_parse(text, &spec) == 0) {
			assert(overlay_name_valid(spec.name));
			assert(spec.origin[0] && (spec.cow[0] || spec.zram_bytes));
		}
		break;
	}
	return 0;
}
