/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format/header.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "format/chunk.h"
#include "format/endian.h"
#include "format/records.h"
#include "hash.h"
#include "util.h"

/* Byte offsets of the header fields (docs/FORMAT.md, "The header"). */
enum {
	H_MAGIC = 0,
	H_VERSION = 8,
	H_HEADER_SIZE = 12,
	H_CHECKSUM = 16,
	H_UUID = 24,
	H_FLAGS = 40,
	H_CREATED = 48,
	H_PAGE_SIZE = 56,
	H_CHUNK_PAGES = 60,
	H_IMAGE_PAGES = 64,
	H_PAYLOAD_OFFSET = 72,
	H_PAYLOAD_BYTES = 80,
	H_CHUNK_COUNT = 88,
	H_COMPRESSION = 96,
	H_CHECKSUM_ALG = 100,
	H_MEM_TOTAL = 104,
	H_SNAPSHOT_NS = 112,
	H_WRITE_NS = 120,
	H_KREL = 128,
	H_KVER = 256,
	H_DEAD_REASON = 384,
	H_RESERVED0 = 388,
	H_DEAD_UNIX = 392,
	H_RESTORE_NS = 400,
	H_RESERVED1 = 408, /* up to IMAGE_RECORDS_OFFSET */
};

_Static_assert(H_KREL + IMAGE_KREL_LEN == H_KVER, "header layout");
_Static_assert(H_KVER + IMAGE_KVER_LEN == H_DEAD_REASON, "header layout");
_Static_assert(H_RESERVED1 <= IMAGE_RECORDS_OFFSET, "header layout");
_Static_assert(IMAGE_HEADER_SIZE % IMAGE_ALIGN == 0, "header alignment");

static uint64_t header_checksum(const uint8_t *buf)
{
	uint8_t tmp[IMAGE_HEADER_SIZE];

	/* The checksum covers the whole block with its own field as zero. */
	memcpy(tmp, buf, IMAGE_HEADER_SIZE);
	memset(tmp + H_CHECKSUM, 0, 8);
	return hash64(tmp, IMAGE_HEADER_SIZE, 0);
}

void image_header_encode(const struct image_header *h, void *out)
{
	uint8_t *b = out;

	memset(b, 0, IMAGE_HEADER_SIZE);
	memcpy(b + H_MAGIC, h->dead_reason ? IMAGE_MAGIC_DEAD : IMAGE_MAGIC, IMAGE_MAGIC_LEN);
	le32_put(b + H_VERSION, h->version);
	le32_put(b + H_HEADER_SIZE, IMAGE_HEADER_SIZE);
	memcpy(b + H_UUID, h->uuid, 16);
	le64_put(b + H_FLAGS, h->flags);
	le64_put(b + H_CREATED, h->created_unix);
	le32_put(b + H_PAGE_SIZE, h->page_size);
	le32_put(b + H_CHUNK_PAGES, h->chunk_pages);
	le64_put(b + H_IMAGE_PAGES, h->image_pages);
	le64_put(b + H_PAYLOAD_OFFSET, h->payload_offset);
	le64_put(b + H_PAYLOAD_BYTES, h->payload_bytes);
	le64_put(b + H_CHUNK_COUNT, h->chunk_count);
	le32_put(b + H_COMPRESSION, h->compression);
	le32_put(b + H_CHECKSUM_ALG, h->checksum);
	le64_put(b + H_MEM_TOTAL, h->mem_total_kib);
	le64_put(b + H_SNAPSHOT_NS, h->snapshot_ns);
	le64_put(b + H_WRITE_NS, h->write_ns);
	strncpy_pad((char *)b + H_KREL, h->kernel_release, IMAGE_KREL_LEN);
	strncpy_pad((char *)b + H_KVER, h->kernel_version, IMAGE_KVER_LEN);
	le32_put(b + H_DEAD_REASON, h->dead_reason);
	le64_put(b + H_DEAD_UNIX, h->dead_unix);
	le64_put(b + H_RESTORE_NS, h->restore_read_ns);
	memcpy(b + IMAGE_RECORDS_OFFSET, h->records, IMAGE_RECORDS_SIZE);
	le64_put(b + H_CHECKSUM, header_checksum(b));
}

enum image_state image_header_decode(const void *in, struct image_header *ret,
				     const char **ret_why)
{
	const uint8_t *b = in;
	struct image_header h = {0};
	const char *why = NULL;
	bool dead;
	int r;

#define FAIL(state, msg)                   \
	do {                               \
		if (ret_why)               \
			*ret_why = (msg);  \
		return (state);            \
	} while (0)

	if (memcmp(b, IMAGE_MAGIC, IMAGE_MAGIC_LEN) == 0)
		dead = false;
	else if (memcmp(b, IMAGE_MAGIC_DEAD, IMAGE_MAGIC_LEN) == 0)
		dead = true;
	else
		FAIL(IMAGE_NONE, "no image header");

	if (le64_get(b + H_CHECKSUM) != header_checksum(b))
		FAIL(IMAGE_DAMAGED, "header checksum mismatch");
	if (le32_get(b + H_HEADER_SIZE) != IMAGE_HEADER_SIZE)
		FAIL(IMAGE_DAMAGED, "header size field is wrong");

	h.version = le32_get(b + H_VERSION);
	memcpy(h.uuid, b + H_UUID, 16);
	h.flags = le64_get(b + H_FLAGS);
	h.created_unix = le64_get(b + H_CREATED);
	h.page_size = le32_get(b + H_PAGE_SIZE);
	h.chunk_pages = le32_get(b + H_CHUNK_PAGES);
	h.image_pages = le64_get(b + H_IMAGE_PAGES);
	h.payload_offset = le64_get(b + H_PAYLOAD_OFFSET);
	h.payload_bytes = le64_get(b + H_PAYLOAD_BYTES);
	h.chunk_count = le64_get(b + H_CHUNK_COUNT);
	h.compression = le32_get(b + H_COMPRESSION);
	h.checksum = le32_get(b + H_CHECKSUM_ALG);
	h.mem_total_kib = le64_get(b + H_MEM_TOTAL);
	h.snapshot_ns = le64_get(b + H_SNAPSHOT_NS);
	h.write_ns = le64_get(b + H_WRITE_NS);
	h.dead_reason = le32_get(b + H_DEAD_REASON);
	h.dead_unix = le64_get(b + H_DEAD_UNIX);
	h.restore_read_ns = le64_get(b + H_RESTORE_NS);

	if (h.version != IMAGE_VERSION)
		why = "unsupported format version";
	else if (!string_field_ok(b + H_KREL, IMAGE_KREL_LEN) ||
		 !string_field_ok(b + H_KVER, IMAGE_KVER_LEN))
		FAIL(IMAGE_DAMAGED, "kernel strings are not terminated");
	else if (!all_zero(b + H_RESERVED0, 4) ||
		 !all_zero(b + H_RESERVED1, IMAGE_RECORDS_OFFSET - H_RESERVED1))
		FAIL(IMAGE_DAMAGED, "reserved header bytes are not zero");
	else if (dead != (h.dead_reason != IMAGE_DEAD_NONE))
		FAIL(IMAGE_DAMAGED, "invalidation fields disagree with the magic");
	else if (h.flags != 0)
		why = "unknown header flags";
	else if (h.page_size != IMAGE_PAGE_SIZE)
		why = "unsupported page size";
	else if (h.compression != IMAGE_COMPRESS_LZ4)
		why = "unsupported compression";
	else if (h.checksum != IMAGE_CHECKSUM_XXH3)
		why = "unsupported checksum algorithm";
	else if ((r = image_records_check(b)) < 0) {
		if (r == -EPROTONOSUPPORT)
			why = "unknown critical header record";
		else
			FAIL(IMAGE_DAMAGED, "malformed header records");
	}

	if (!why) {
		/* The geometry must be self-consistent before anyone trusts it. */
		if (h.chunk_pages == 0 || h.chunk_pages > CHUNK_MAX_PAGES)
			FAIL(IMAGE_DAMAGED, "chunk size out of range");
		/* Ceiling division written so that it cannot wrap around. */
		if (h.image_pages == 0 ||
		    h.chunk_count != h.image_pages / h.chunk_pages +
					     (h.image_pages % h.chunk_pages != 0))
			FAIL(IMAGE_DAMAGED, "page and chunk counts disagree");
		if (h.payload_offset < IMAGE_HEADER_SIZE || h.payload_offset % IMAGE_ALIGN ||
		    h.payload_bytes % IMAGE_ALIGN)
			FAIL(IMAGE_DAMAGED, "payload position is not aligned");
		if (h.payload_bytes / IMAGE_ALIGN < h.chunk_count ||
		    h.payload_bytes / h.chunk_count > chunk_disk_bytes(h.chunk_pages * IMAGE_PAGE_SIZE))
			FAIL(IMAGE_DAMAGED, "payload size and chunk count disagree");
		if (UINT64_MAX - h.payload_offset < h.payload_bytes)
			FAIL(IMAGE_DAMAGED, "payload extends past the end of any device");
	}

	memcpy(h.kernel_release, b + H_KREL, IMAGE_KREL_LEN);
	memcpy(h.kernel_version, b + H_KVER, IMAGE_KVER_LEN);
	memcpy(h.records, b + IMAGE_RECORDS_OFFSET, IMAGE_RECORDS_SIZE);
	*ret = h;
	if (why) {
		if (ret_why)
			*ret_why = why;
		return IMAGE_UNSUPPORTED;
	}
	if (ret_why)
		*ret_why = NULL;
	return dead ? IMAGE_INVALIDATED : IMAGE_VALID;
#undef FAIL
}

const char *image_state_to_string(enum image_state s)
{
	switch (s) {
	case IMAGE_NONE: return "none";
	case IMAGE_VALID: return "valid";
	case IMAGE_INVALIDATED: return "invalidated";
	case IMAGE_DAMAGED: return "damaged";
	case IMAGE_UNSUPPORTED: return "unsupported";
	}
	return "unknown";
}

const char *image_dead_reason_to_string(uint32_t r)
{
	switch (r) {
	case IMAGE_DEAD_NONE: return "not invalidated";
	case IMAGE_DEAD_RESUMED: return "resumed";
	case IMAGE_DEAD_REFUSED: return "refused at resume";
	case IMAGE_DEAD_NORESUME: return "booted with noresume";
	case IMAGE_DEAD_DISCARDED: return "discarded";
	case IMAGE_DEAD_CANCELLED: return "cancelled by the writer";
	case IMAGE_DEAD_KEPT: return "not resumed: the changes since the snapshot were kept";
	case IMAGE_DEAD_WOKEN: return "woken from suspend to RAM (hybrid sleep): the system ran on";
	}
	return "unknown reason";
}

int image_uuid_generate(uint8_t uuid[16])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(uuid + got, 16 - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	return 0;
}

void image_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

int image_uuid_parse(const char *s, uint8_t uuid[16])
{
	size_t j = 0;

	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		int v;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -EINVAL;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (j % 2 == 0)
			uuid[j / 2] = (uint8_t)(v << 4);
		else
			uuid[j / 2] |= (uint8_t)v;
		j++;
	}
	for (const char *p = s + 36; *p; p++)
		if (*p != '\n' && *p != ' ' && *p != '\t' && *p != '\r')
			return -EINVAL;
	return 0;
}

