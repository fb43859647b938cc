/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rollback.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int overlay_list_add(struct overlay_list *l, const struct overlay_spec *spec)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->spec[i].name, spec->name) == 0) {
			l->spec[i] = *spec;
			return 1;
		}
	if (l->n == OVERLAY_MAX)
		return -ERANGE;
	l->spec[l->n++] = *spec;
	return 1;
}
