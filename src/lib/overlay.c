/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "overlay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "util.h"

const char *rollback_action_to_string(enum rollback_action a)
{
	switch (a) {
	case ROLLBACK_RESUME: return "resume";
	case ROLLBACK_KEEP: return "keep";
	case ROLLBACK_DISCARD: return "discard";
	case ROLLBACK_UNSET: break;
	}
	return "unset";
}

enum rollback_action rollback_action_from_string(const char *s)
{
	if (!s)
		return ROLLBACK_UNSET;
	if (strcmp(s, "resume") == 0)
		return ROLLBACK_RESUME;
	if (strcmp(s, "keep") == 0)
		return ROLLBACK_KEEP;
	if (strcmp(s, "discard") == 0)
		return ROLLBACK_DISCARD;
	return ROLLBACK_UNSET;
}

enum rollback_action rollback_decide(enum rollback_action cmdline, enum rollback_action armed,
				     bool keep_possible, enum rollback_action fallback,
				     bool *ret_fell_back)
{
	enum rollback_action a = cmdline ? cmdline : armed ? armed : ROLLBACK_KEEP;

	*ret_fell_back = false;
	if (a == ROLLBACK_KEEP && !keep_possible) {
		*ret_fell_back = true;
		a = fallback == ROLLBACK_DISCARD ? ROLLBACK_DISCARD : ROLLBACK_RESUME;
	}
	return a;
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

/* The next comma-separated field of *s into buf; -EINVAL when empty or too
 * long. */
static int field(const char **s, char *buf, size_t size)
{
	const char *end = strchr(*s, ',');
	size_t n = end ? (size_t)(end - *s) : strlen(*s);

	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s += n + (end ? 1 : 0);
	return end ? 1 : 0;
}

int overlay_spec_parse(const char *s, struct overlay_spec *ret)
{
	struct overlay_spec o = {0};
	char cow[OVERLAY_SPEC_LEN];

	if (!s || field(&s, o.name, sizeof(o.name)) != 1 || !overlay_name_valid(o.name) ||
	    field(&s, o.origin, sizeof(o.origin)) != 1 || field(&s, cow, sizeof(cow)) != 0)
		return -EINVAL;
	if (strncmp(cow, "zram:", 5) == 0) {
		/* At least a MiB: a store smaller than that is full at once. */
		if (parse_size(cow + 5, 1 << 20, UINT64_C(1) << 50, &o.zram_bytes) < 0)
			return -EINVAL;
	} else {
		if (strcmp(cow, "zram") == 0)
			return -EINVAL; /* the size is required */
		strcpy(o.cow, cow);
	}
	*ret = o;
	return 0;
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

int cow_header_parse(const void *buf, size_t len, enum cow_state *ret_state,
		     uint32_t *ret_chunk_sectors)
{
	const uint8_t *p = buf;
	uint32_t chunk;

	if (len < COW_HEADER_LEN)
		return -EINVAL;
	*ret_state = COW_NONE;
	*ret_chunk_sectors = 0;
	/* Anything else (zeros, or what was on the device before) is not a
	 * store: the kernel starts a new one over it. */
	if (le32_get(p) != COW_MAGIC)
		return 0;
	if (le32_get(p + 8) != 1)
		return -EPROTONOSUPPORT;
	chunk = le32_get(p + 12);
	if (chunk < 8 || (chunk & (chunk - 1)) || chunk > (1u << 20))
		return -EPROTONOSUPPORT;
	*ret_chunk_sectors = chunk;
	*ret_state = le32_get(p + 4) ? COW_VALID : COW_INVALID;
	return 0;
}

int cow_status_parse(const char *status, struct cow_usage *ret)
{
	struct cow_usage u = {0};
	char tail;

	if (strcmp(status, "Invalid") == 0)
		u.invalid = true;
	else if (strcmp(status, "Overflow") == 0)
		u.overflow = true;
	else if (strcmp(status, "Merge failed") == 0)
		u.failed = true;
	else if (sscanf(status, "%" SCNu64 "/%" SCNu64 " %" SCNu64 " %c", &u.allocated, &u.total,
			&u.metadata, &tail) != 3 ||
		 u.total == 0 || u.allocated > u.total || u.metadata > u.allocated)
		return -EINVAL;
	*ret = u;
	return 0;
}

unsigned cow_usage_percent(const struct cow_usage *u)
{
	if (u->invalid || u->overflow)
		return 100;
	if (!u->total)
		return 0;
	return (unsigned)((u->allocated * 100 + u->total - 1) / u->total);
}
