/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "hash.h"
#include "overlay.h"
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

/* Byte offsets of the chunk header fields. */
enum {
	C_MAGIC = 0,
	C_FLAGS = 4,
	C_SEQ = 8,
	C_UUID = 16,
	C_RAW = 32,
	C_STORED = 36,
	C_DATA_SUM = 40,
	C_RESERVED = 48,
	C_HDR_SUM = 56,
};

_Static_assert(H_KREL + IMAGE_KREL_LEN == H_KVER, "header layout");
_Static_assert(H_KVER + IMAGE_KVER_LEN == H_DEAD_REASON, "header layout");
_Static_assert(H_RESERVED1 <= IMAGE_RECORDS_OFFSET, "header layout");
_Static_assert(C_HDR_SUM + 8 == CHUNK_HEADER_SIZE, "chunk header layout");
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

bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

bool string_field_ok(const uint8_t *p, size_t n)
{
	/* NUL-terminated within the field, zero-padded after the NUL. */
	size_t l = strnlen((const char *)p, n);
	return l < n && all_zero(p + l, n - l);
}

/* Walk the typed records area.  0, -EBADMSG (malformed) or -EPROTONOSUPPORT
 * (a critical record this version does not know). */
static int records_check(const uint8_t *b)
{
	size_t off = IMAGE_RECORDS_OFFSET;

	while (off + 4 <= IMAGE_HEADER_SIZE) {
		uint16_t type = le16_get(b + off), len = le16_get(b + off + 2);

		if (type == 0)
			return all_zero(b + off, IMAGE_HEADER_SIZE - off) ? 0 : -EBADMSG;
		if (len > IMAGE_HEADER_SIZE - off - 4)
			return -EBADMSG;
		if (type == IMAGE_REC_MACHINE) {
			if (len != 16)
				return -EBADMSG;
		} else if (type == IMAGE_REC_LOAD_PAGES) {
			if (len != 8)
				return -EBADMSG;
		} else if (type == IMAGE_REC_FS_GUARD) {
			if (len != IMAGE_FS_GUARD_LEN)
				return -EBADMSG;
			/* A file system kind this reader cannot check. */
			if (le16_get(b + off + 4) < IMAGE_FS_EXT4 ||
			    le16_get(b + off + 4) > IMAGE_FS_BTRFS)
				return -EPROTONOSUPPORT;
			if (!string_field_ok(b + off + 4 + 48, 48))
				return -EBADMSG;
		} else if (type == IMAGE_REC_OVERLAY) {
			struct overlay_rec rec;

			if (overlay_rec_decode(b + off + 4, len, &rec) < 0)
				return -EBADMSG;
		} else if (type & IMAGE_RECORD_CRITICAL) {
			return -EPROTONOSUPPORT;
		}
		off += ALIGN_UP(4u + len, 8u);
	}
	return 0;
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
	else if ((r = records_check(b)) < 0) {
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
	}
	return "unknown reason";
}

static uint64_t chunk_header_checksum(const uint8_t *b)
{
	return hash64(b, C_HDR_SUM, 0);
}

void chunk_header_encode(const struct chunk_header *c, void *out)
{
	uint8_t *b = out;

	memset(b, 0, CHUNK_HEADER_SIZE);
	memcpy(b + C_MAGIC, CHUNK_MAGIC, 4);
	le32_put(b + C_FLAGS, c->flags);
	le64_put(b + C_SEQ, c->seq);
	memcpy(b + C_UUID, c->uuid, 16);
	le32_put(b + C_RAW, c->raw_bytes);
	le32_put(b + C_STORED, c->stored_bytes);
	le64_put(b + C_DATA_SUM, c->data_checksum);
	le64_put(b + C_HDR_SUM, chunk_header_checksum(b));
}

int chunk_header_decode(const void *in, struct chunk_header *ret)
{
	const uint8_t *b = in;
	struct chunk_header c;

	if (memcmp(b + C_MAGIC, CHUNK_MAGIC, 4) != 0)
		return -EBADMSG;
	if (le64_get(b + C_HDR_SUM) != chunk_header_checksum(b))
		return -EBADMSG;
	if (!all_zero(b + C_RESERVED, 8))
		return -EBADMSG;

	c.flags = le32_get(b + C_FLAGS);
	c.seq = le64_get(b + C_SEQ);
	memcpy(c.uuid, b + C_UUID, 16);
	c.raw_bytes = le32_get(b + C_RAW);
	c.stored_bytes = le32_get(b + C_STORED);
	c.data_checksum = le64_get(b + C_DATA_SUM);

	if (c.flags & ~CHUNK_FLAGS_KNOWN)
		return -EBADMSG;
	if (c.raw_bytes == 0 || c.raw_bytes % IMAGE_PAGE_SIZE ||
	    c.raw_bytes / IMAGE_PAGE_SIZE > CHUNK_MAX_PAGES)
		return -EBADMSG;
	if (c.stored_bytes == 0 || c.stored_bytes > chunk_stored_bound(c.raw_bytes / IMAGE_PAGE_SIZE))
		return -EBADMSG;
	if ((c.flags & CHUNK_FLAG_RAW) && c.stored_bytes != c.raw_bytes)
		return -EBADMSG;

	*ret = c;
	return 0;
}

uint64_t chunk_data_checksum(const void *data, size_t len, uint64_t seq)
{
	return hash64(data, len, seq);
}

uint32_t chunk_stored_bound(uint32_t pages)
{
	/* A chunk that lz4 cannot shrink is stored raw: never more than raw. */
	return pages * IMAGE_PAGE_SIZE;
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

/* Offset (in h->records) of the end record. */
static size_t records_end(const struct image_header *h)
{
	size_t off = 0;

	while (off + 4 <= IMAGE_RECORDS_SIZE && le16_get(h->records + off) != 0)
		off += ALIGN_UP(4u + le16_get(h->records + off + 2), 8u);
	return off;
}

int image_record_add(struct image_header *h, uint16_t type, const void *payload, uint16_t len)
{
	size_t off = records_end(h), need = ALIGN_UP(4u + (size_t)len, 8u);

	if (type == 0)
		return -EINVAL;
	/* Room for the record; the end record is the zeros after it (or the
	 * end of the area). */
	if (off > IMAGE_RECORDS_SIZE || need > IMAGE_RECORDS_SIZE - off)
		return -ENOSPC;
	memset(h->records + off, 0, need);
	le16_put(h->records + off, type);
	le16_put(h->records + off + 2, len);
	memcpy(h->records + off + 4, payload, len);
	return 0;
}

int image_record_next(const struct image_header *h, size_t *cursor, uint16_t *ret_type,
		      const uint8_t **ret_payload, uint16_t *ret_len)
{
	size_t off = *cursor;
	uint16_t type, len;

	if (off + 4 > IMAGE_RECORDS_SIZE)
		return 0;
	type = le16_get(h->records + off);
	len = le16_get(h->records + off + 2);
	if (type == 0 || len > IMAGE_RECORDS_SIZE - off - 4)
		return 0;
	*ret_type = type;
	*ret_payload = h->records + off + 4;
	*ret_len = len;
	*cursor = off + ALIGN_UP(4u + len, 8u);
	return 1;
}

uint64_t image_load_pages(const struct image_header *h)
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_LOAD_PAGES && len == 8)
			return le64_get(p);
	return 0;
}

/* Payload of IMAGE_REC_FS_GUARD:
 *   0 fs_type (2)  2 zero (2)  4 mount_count (4)  8 uuid (16)
 *  24 mount_time (8)  32 write_time (8)  40 dev_major (4)  44 dev_minor (4)
 *  48 mount_point (48, NUL-terminated, zero-padded) */
void fs_guard_encode(const struct fs_guard *g, uint8_t out[IMAGE_FS_GUARD_LEN])
{
	memset(out, 0, IMAGE_FS_GUARD_LEN);
	le16_put(out, g->fs_type);
	le32_put(out + 4, g->mount_count);
	memcpy(out + 8, g->uuid, 16);
	le64_put(out + 24, g->mount_time);
	le64_put(out + 32, g->write_time);
	le32_put(out + 40, g->dev_major);
	le32_put(out + 44, g->dev_minor);
	strncpy_pad((char *)out + 48, g->mount_point, 48);
}

void fs_guard_decode(const uint8_t in[IMAGE_FS_GUARD_LEN], struct fs_guard *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->fs_type = le16_get(in);
	ret->mount_count = le32_get(in + 4);
	memcpy(ret->uuid, in + 8, 16);
	ret->mount_time = le64_get(in + 24);
	ret->write_time = le64_get(in + 32);
	ret->dev_major = le32_get(in + 40);
	ret->dev_minor = le32_get(in + 44);
	memcpy(ret->mount_point, in + 48, 47);
	ret->mount_point[47] = '\0';
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
