/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blockdev.h"
#include "locator.h"
#include "format/format.h"
#include "util.h"

/* Copy one word from *cursor into buf, removing double quotes.  The word
 * ends at white space outside quotes (or at '\n' when stop_at_newline). */
static int take_word(const char **cursor, char *buf, size_t bufsize, bool whole_line)
{
	const char *p = *cursor;
	size_t n = 0;
	bool quoted = false, fits = true;

	for (; *p; p++) {
		if (*p == '\n')
			break;
		if (!whole_line && !quoted && isspace((unsigned char)*p))
			break;
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 < bufsize)
			buf[n++] = *p;
		else
			fits = false;
	}
	if (bufsize)
		buf[n < bufsize ? n : bufsize - 1] = '\0';
	*cursor = p;
	return fits ? 0 : -ENAMETOOLONG;
}

static void split_key_value(char *buf, const char **ret_key, const char **ret_value)
{
	char *eq = strchr(buf, '=');

	*ret_key = buf;
	*ret_value = NULL;
	if (eq) {
		*eq = '\0';
		*ret_value = eq + 1;
	}
}

int cmdline_next(const char **cursor, char *buf, size_t bufsize, const char **ret_key,
		 const char **ret_value)
{
	for (;;) {
		int r;

		while (**cursor && isspace((unsigned char)**cursor))
			(*cursor)++;
		if (!**cursor)
			return 0;
		r = take_word(cursor, buf, bufsize, false);
		if (**cursor == '\n')
			(*cursor)++;
		if (r < 0)
			return r;
		split_key_value(buf, ret_key, ret_value);
		return 1;
	}
}

int conf_next(const char **cursor, char *buf, size_t bufsize, const char **ret_key,
	      const char **ret_value, unsigned *ret_line)
{
	static unsigned line_dummy;
	unsigned *line = ret_line ? ret_line : &line_dummy;

	while (**cursor) {
		const char *start = *cursor;
		const char *eol = strchr(start, '\n');
		size_t len = eol ? (size_t)(eol - start) : strlen(start);
		char *key, *value, *eq;

		(*line)++;
		*cursor = eol ? eol + 1 : start + len;
		if (len + 1 > bufsize)
			return -ENAMETOOLONG;
		memcpy(buf, start, len);
		buf[len] = '\0';
		key = strstrip(buf);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		value = strstrip(eq + 1);
		key = strstrip(key);
		if (*key == '\0')
			return -EINVAL;
		/* One pair of double quotes around the whole value is removed. */
		size_t vl = strlen(value);
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
		*ret_key = key;
		*ret_value = value;
		return 1;
	}
	return 0;
}

void resume_opts_init(struct resume_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = RESUME_DEFAULT_TIMEOUT;
	o->tries = RESUME_DEFAULT_TRIES;
	o->fallback = ROLLBACK_RESUME;
	o->merge_timeout = RESUME_DEFAULT_MERGE_TIMEOUT;
	o->readahead = RESUME_READAHEAD_AUTO;
}

static const char *const unlock_fail_names[] = {
	[UNLOCK_FAIL_ASK] = "ask",
	[UNLOCK_FAIL_DISCARD] = "discard",
	[UNLOCK_FAIL_POWEROFF] = "poweroff",
};

const char *unlock_fail_to_string(enum unlock_fail f)
{
	return (unsigned)f < ARRAY_SIZE(unlock_fail_names) ? unlock_fail_names[f] : "?";
}

static int apply_bool(bool *dst, const char *value)
{
	if (!value || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0)
		*dst = true;
	else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0)
		*dst = false;
	else
		return -EINVAL;
	return 1;
}

static int apply_u64(uint64_t *dst, const char *value, uint64_t min, uint64_t max)
{
	int r = parse_u64(value, min, max, dst);
	return r < 0 ? r : 1;
}

static int apply_string(char *dst, size_t size, const char *value)
{
	if (!value || !*value)
		return -EINVAL;
	if (strlen(value) >= size)
		return -ERANGE;
	strcpy(dst, value);
	return 1;
}

int resume_opts_apply(struct resume_opts *o, const char *key, const char *value)
{
	if (strcmp(key, "resume") == 0) {
		if (!value || blockdev_spec_check(value) < 0)
			return -EINVAL;
		return apply_string(o->resume, sizeof(o->resume), value);
	}
	if (strcmp(key, "noresume") == 0) {
		if (value)
			return -EINVAL;
		o->noresume = true;
		return 1;
	}
	if (strcmp(key, "resumedelay") == 0)
		return apply_u64(&o->resumedelay, value, 0, 3600);
	if (strcmp(key, "resume_offset") == 0)
		return apply_u64(&o->resume_offset, value, 0, UINT64_MAX / EXTMAP_PAGE);
	if (strncmp(key, "rd.snap.", 8) != 0)
		return 0;
	key += 8;
	if (strcmp(key, "timeout") == 0)
		return apply_u64(&o->timeout, value, 0, 3600);
	if (strcmp(key, "workers") == 0)
		return apply_u64(&o->workers, value, 1, 64);
	if (strcmp(key, "readahead") == 0)
		return apply_u64(&o->readahead, value, 0, RESUME_READAHEAD_MAX);
	if (strcmp(key, "keep") == 0)
		return apply_bool(&o->keep, value);
	if (strcmp(key, "debug") == 0)
		return apply_bool(&o->debug, value);
	if (strcmp(key, "keyfile") == 0) {
		if (!value || value[0] != '/')
			return -EINVAL;
		return apply_string(o->keyfile, sizeof(o->keyfile), value);
	}
	if (strcmp(key, "tries") == 0)
		return apply_u64(&o->tries, value, 1, 100);
	if (strcmp(key, "ask_timeout") == 0)
		return apply_u64(&o->ask_timeout, value, 0, 86400);
	if (strcmp(key, "unlock_fail") == 0) {
		for (size_t i = 0; value && i < ARRAY_SIZE(unlock_fail_names); i++)
			if (strcmp(value, unlock_fail_names[i]) == 0) {
				o->unlock_fail = (enum unlock_fail)i;
				return 1;
			}
		return -EINVAL;
	}
	if (strcmp(key, "overlay") == 0) {
		struct overlay_spec spec;

		if (overlay_spec_parse(value, &spec) < 0)
			return -EINVAL;
		/* A second one of the same name replaces the first. */
		for (size_t i = 0; i < o->n_overlays; i++)
			if (strcmp(o->overlays[i].name, spec.name) == 0) {
				o->overlays[i] = spec;
				return 1;
			}
		if (o->n_overlays == OVERLAY_MAX)
			return -ERANGE;
		o->overlays[o->n_overlays++] = spec;
		return 1;
	}
	if (strcmp(key, "rollback") == 0 || strcmp(key, "fallback") == 0) {
		enum rollback_action act = rollback_action_from_string(value);

		/* Keep is what is impossible when a fallback is needed. */
		if (act == ROLLBACK_UNSET || (key[0] == 'f' && act == ROLLBACK_KEEP))
			return -EINVAL;
		*(key[0] == 'f' ? &o->fallback : &o->rollback) = act;
		return 1;
	}
	if (strcmp(key, "merge_timeout") == 0)
		return apply_u64(&o->merge_timeout, value, 1, 86400);
	return 0;
}

int resume_opts_apply_conf(struct resume_opts *o, const char *key, const char *value)
{
	static const char *const allowed[] = {"keyfile", "tries",    "ask_timeout",
					      "unlock_fail", "timeout",  "workers", "readahead",
					      "overlay", "rollback", "fallback",
					      "merge_timeout"};
	char full[64];

	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (strcmp(key, allowed[i]) == 0) {
			snprintf(full, sizeof(full), "rd.snap.%s", key);
			return resume_opts_apply(o, full, value);
		}
	return 0;
}

void resume_opts_apply_cmdline(struct resume_opts *o, const char *cmdline,
			       void (*bad)(const char *key))
{
	const char *cursor = cmdline, *key, *value;
	char word[512];
	int r;

	while ((r = cmdline_next(&cursor, word, sizeof(word), &key, &value)) != 0) {
		if (r < 0)
			continue;
		if (resume_opts_apply(o, key, value) < 0 && bad)
			bad(key);
	}
}

uint64_t resume_readahead_spare(uint64_t total_kib, uint64_t free_kib, uint64_t avail_kib,
				uint64_t load_pages)
{
	const uint64_t page_kib = IMAGE_PAGE_SIZE / 1024;
	uint64_t need, reserve = total_kib / 32 > 32 * 1024 ? total_kib / 32 : 32 * 1024;

	if (!load_pages)
		return avail_kib > total_kib / 2 ? (avail_kib - total_kib / 2) * 1024 / 2 : 0;
	if (load_pages > UINT64_MAX / 2 / IMAGE_PAGE_SIZE)
		return 0;
	need = load_pages * page_kib + load_pages * page_kib / 128 + reserve;
	return free_kib > need ? (free_kib - need) / 4 * 3 * 1024 : 0;
}
