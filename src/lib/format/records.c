/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format/records.h"

#include <errno.h>
#include <string.h>

#include "format/endian.h"
#include "util.h"

/* Walk the typed records area.  0, -EBADMSG (malformed) or -EPROTONOSUPPORT
 * (a critical record this version does not know). */
int image_records_check(const uint8_t *b)
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
		} else if (type == IMAGE_REC_LOAD_PAGES || type == IMAGE_REC_ATTEMPT) {
			if (len != 8)
				return -EBADMSG;
		} else if (type == IMAGE_REC_POWER_MODE) {
			if (len != 4)
				return -EBADMSG;
		} else if (type == IMAGE_REC_MERGE_INTO) {
			if (len != IMAGE_MERGE_INTO_LEN || !string_field_ok(b + off + 4 + 48, 48))
				return -EBADMSG;
		} else if (type == IMAGE_REC_GOLDEN) {
			if (len != IMAGE_GOLDEN_LEN)
				return -EBADMSG;
		} else if (type == IMAGE_REC_FS_DIGEST) {
			if (len != IMAGE_FS_DIGEST_LEN)
				return -EBADMSG;
		} else if (type == IMAGE_REC_FS_GUARD) {
			if (len != IMAGE_FS_GUARD_LEN)
				return -EBADMSG;
			/* A file system kind this reader cannot check. */
			if (le16_get(b + off + 4) < IMAGE_FS_EXT4 ||
			    le16_get(b + off + 4) > IMAGE_FS_VFAT)
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

uint32_t image_power_mode(const struct image_header *h)
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_POWER_MODE && len == 4)
			return le32_get(p);
	return 0;
}

/* Payload of IMAGE_REC_FS_GUARD:
 *   0 fs_type (2)  2 zero (2)  4 mount_count (4)  8 uuid (16)
 *  24 mount_time (8)  32 write_time (8)  40 dev_major (4)  44 dev_minor (4)
 *  48 mount_point (48, NUL-terminated, zero-padded) */
int image_attempt_mark(struct image_header *h, uint64_t when)
{
	uint8_t rec[8];

	le64_put(rec, when);
	return image_record_add(h, IMAGE_REC_ATTEMPT, rec, sizeof(rec));
}

bool image_attempt_begun(const struct image_header *h, uint64_t *ret_when)
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_ATTEMPT && len == 8) {
			if (ret_when)
				*ret_when = le64_get(p);
			return true;
		}
	return false;
}

/* h's records without those of type; 0, or -ENOSPC (cannot happen: they
 * fitted before). */
static int records_drop(struct image_header *h, uint16_t type)
{
	struct image_header out = *h;
	const uint8_t *p;
	uint16_t t, len;
	size_t cursor = 0;
	int r;

	memset(out.records, 0, sizeof(out.records));
	while (image_record_next(h, &cursor, &t, &p, &len) == 1)
		if (t != type && (r = image_record_add(&out, t, p, len)) < 0)
			return r;
	*h = out;
	return 0;
}

void image_attempt_clear(struct image_header *h)
{
	(void)records_drop(h, IMAGE_REC_ATTEMPT);
}

/* Payload of IMAGE_REC_GOLDEN: 0 resumes (8)  8 last_resume (8). */
bool image_golden_info(const struct image_header *h, struct golden_rec *ret)
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_GOLDEN && len == IMAGE_GOLDEN_LEN) {
			if (ret) {
				ret->resumes = le64_get(p);
				ret->last_resume = le64_get(p + 8);
			}
			return true;
		}
	return false;
}

int image_golden_set(struct image_header *h, const struct golden_rec *g)
{
	struct image_header out = *h;
	uint8_t rec[IMAGE_GOLDEN_LEN];
	int r;

	r = records_drop(&out, IMAGE_REC_GOLDEN);
	if (r < 0)
		return r;
	le64_put(rec, g->resumes);
	le64_put(rec + 8, g->last_resume);
	r = image_record_add(&out, IMAGE_REC_GOLDEN, rec, sizeof(rec));
	if (r < 0)
		return r;
	*h = out;
	return 0;
}

/* Payload of IMAGE_REC_FS_DIGEST: 0 uuid (16)  16 digest (8). */
int image_fs_digest_add(struct image_header *h, const struct fs_guard *g)
{
	uint8_t rec[IMAGE_FS_DIGEST_LEN];

	if (!g->digest)
		return 0;
	memcpy(rec, g->uuid, 16);
	le64_put(rec + 16, g->digest);
	return image_record_add(h, IMAGE_REC_FS_DIGEST, rec, sizeof(rec));
}

/* Payload of IMAGE_REC_MERGE_INTO: 0 struct fs_guard as in IMAGE_REC_FS_GUARD
 * (96)  96 digest (8). */
int image_merge_into_add(struct image_header *h, const struct fs_guard *g)
{
	uint8_t rec[IMAGE_MERGE_INTO_LEN];

	fs_guard_encode(g, rec);
	le64_put(rec + IMAGE_FS_GUARD_LEN, g->digest);
	return image_record_add(h, IMAGE_REC_MERGE_INTO, rec, sizeof(rec));
}

bool image_merge_into(const struct image_header *h, const uint8_t uuid[16], struct fs_guard *ret)
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		if (type != IMAGE_REC_MERGE_INTO || len != IMAGE_MERGE_INTO_LEN)
			continue;
		fs_guard_decode(p, ret);
		if (memcmp(ret->uuid, uuid, 16) != 0)
			continue;
		ret->digest = le64_get(p + IMAGE_FS_GUARD_LEN);
		return true;
	}
	return false;
}

uint64_t image_fs_digest(const struct image_header *h, const uint8_t uuid[16])
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_FS_DIGEST && len == IMAGE_FS_DIGEST_LEN &&
		    memcmp(p, uuid, 16) == 0)
			return le64_get(p + 16);
	return 0;
}

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

/* What libdevmapper and udev accept in a name, more strictly: no '/', no
 * white space, nothing that needs quoting in a table or a rule. */
bool overlay_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= OVERLAY_NAME_LEN || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '+'))
			return false;
	}
	return true;
}

bool image_snapshot_info(const struct image_header *h, enum rollback_action *ret_armed)
{
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	bool snapshot = false;

	if (ret_armed)
		*ret_armed = ROLLBACK_UNSET;
	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		if (type == IMAGE_REC_OVERLAY) {
			snapshot = true;
		} else if (type == IMAGE_REC_ROLLBACK && len == IMAGE_ROLLBACK_LEN && ret_armed) {
			uint32_t v = le32_get(p);

			*ret_armed = v <= ROLLBACK_DISCARD ? (enum rollback_action)v : ROLLBACK_UNSET;
		}
	}
	return snapshot;
}

int image_snapshot_arm(struct image_header *h, enum rollback_action act)
{
	struct image_header armed = *h;
	uint8_t payload[IMAGE_ROLLBACK_LEN];
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	int r;

	if (act == ROLLBACK_UNSET || act > ROLLBACK_DISCARD)
		return -EINVAL;
	memset(armed.records, 0, sizeof(armed.records));
	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type != IMAGE_REC_ROLLBACK && (r = image_record_add(&armed, type, p, len)) < 0)
			return r;
	le32_put(payload, (uint32_t)act);
	r = image_record_add(&armed, IMAGE_REC_ROLLBACK, payload, sizeof(payload));
	if (r < 0)
		return r;
	*h = armed;
	return 0;
}

/* Record layout (little endian):
 *   0 u16 kind, 2 u16 chunk_sectors, 4 u32 origin major, 8 u32 origin minor,
 *  12 u32 cow major, 16 u32 cow minor, 20 u32 reserved (0),
 *  24 u64 origin_sectors, 32 u64 cow_sectors, 40 name[64], 104 cow_spec[64],
 * 168 u64 reserved (0). */
void overlay_rec_encode(const struct overlay_rec *o, uint8_t out[IMAGE_OVERLAY_LEN])
{
	memset(out, 0, IMAGE_OVERLAY_LEN);
	le16_put(out, o->kind);
	le16_put(out + 2, o->chunk_sectors);
	le32_put(out + 4, o->origin_major);
	le32_put(out + 8, o->origin_minor);
	le32_put(out + 12, o->cow_major);
	le32_put(out + 16, o->cow_minor);
	le64_put(out + 24, o->origin_sectors);
	le64_put(out + 32, o->cow_sectors);
	strncpy_pad((char *)out + 40, o->name, OVERLAY_NAME_LEN);
	strncpy_pad((char *)out + 104, o->cow_spec, sizeof(o->cow_spec));
}

int overlay_rec_decode(const uint8_t *in, size_t len, struct overlay_rec *ret)
{
	struct overlay_rec o = {0};

	if (len != IMAGE_OVERLAY_LEN || !all_zero(in + 20, 4) || !all_zero(in + 168, 8))
		return -EBADMSG;
	o.kind = le16_get(in);
	o.chunk_sectors = le16_get(in + 2);
	o.origin_major = le32_get(in + 4);
	o.origin_minor = le32_get(in + 8);
	o.cow_major = le32_get(in + 12);
	o.cow_minor = le32_get(in + 16);
	o.origin_sectors = le64_get(in + 24);
	o.cow_sectors = le64_get(in + 32);
	/* Both strings NUL-terminated inside their fields, zeros after. */
	if (!string_field_ok(in + 40, OVERLAY_NAME_LEN) ||
	    !string_field_ok(in + 104, sizeof(o.cow_spec)))
		return -EBADMSG;
	memcpy(o.name, in + 40, OVERLAY_NAME_LEN);
	memcpy(o.cow_spec, in + 104, sizeof(o.cow_spec));
	if (!overlay_name_valid(o.name))
		return -EBADMSG;
	if (o.kind != OVERLAY_PERSISTENT && o.kind != OVERLAY_VOLATILE)
		return -EBADMSG;
	/* dm-snapshot: a power of two, at least one 4 KiB page. */
	if (o.chunk_sectors < 8 || (o.chunk_sectors & (o.chunk_sectors - 1)))
		return -EBADMSG;
	if (o.origin_sectors == 0 || o.cow_sectors == 0)
		return -EBADMSG;
	if (o.kind == OVERLAY_VOLATILE && (o.cow_major || o.cow_minor))
		return -EBADMSG;
	*ret = o;
	return 0;
}

