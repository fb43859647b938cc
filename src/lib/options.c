/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "options.h"

#include <ctype.h>
#include <stddef.h>
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

/* ---- the value types ---------------------------------------------------- */

#define FIELD(base, opt) ((char *)(base) + (opt)->offset)

int opt_bool(const struct opt *opt, void *base, const char *value)
{
	bool *dst = (bool *)FIELD(base, opt);

	if (!value || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0)
		*dst = true;
	else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0)
		*dst = false;
	else
		return -EINVAL;
	return 1;
}

int opt_flag(const struct opt *opt, void *base, const char *value)
{
	if (value)
		return -EINVAL;
	*(bool *)FIELD(base, opt) = true;
	return 1;
}

int opt_u64(const struct opt *opt, void *base, const char *value)
{
	int r = parse_u64(value, opt->min, opt->max, (uint64_t *)FIELD(base, opt));
	return r < 0 ? r : 1;
}

int opt_size(const struct opt *opt, void *base, const char *value)
{
	int r = parse_size(value, opt->min, opt->max, (uint64_t *)FIELD(base, opt));
	return r < 0 ? r : 1;
}

int opt_string(const struct opt *opt, void *base, const char *value)
{
	if (!value || !*value)
		return -EINVAL;
	if (strlen(value) >= opt->size)
		return -ERANGE;
	strcpy(FIELD(base, opt), value);
	return 1;
}

int opt_path(const struct opt *opt, void *base, const char *value)
{
	if (!value || value[0] != '/')
		return -EINVAL;
	return opt_string(opt, base, value);
}

int opt_device(const struct opt *opt, void *base, const char *value)
{
	if (!value || blockdev_spec_check(value) < 0)
		return -EINVAL;
	return opt_string(opt, base, value);
}

int opt_enum(const struct opt *opt, void *base, const char *value)
{
	for (int i = 0; value && opt->names[i]; i++)
		if (opt->names[i][0] && strcmp(value, opt->names[i]) == 0) {
			*(int *)FIELD(base, opt) = i;
			return 1;
		}
	return -EINVAL;
}

int opt_overlay(const struct opt *opt, void *base, const char *value)
{
	struct overlay_spec spec;

	if (overlay_spec_parse(value, &spec) < 0)
		return -EINVAL;
	return overlay_list_add((struct overlay_list *)FIELD(base, opt), &spec);
}

/* rd.snap.rollback= and rd.snap.fallback=: keep is what is impossible
 * when a fallback is needed, so it is none (opt->min: 1 for a fallback). */
static int opt_rollback(const struct opt *opt, void *base, const char *value)
{
	enum rollback_action act = rollback_action_from_string(value);

	if (act == ROLLBACK_UNSET || (opt->min && act == ROLLBACK_KEEP))
		return -EINVAL;
	*(enum rollback_action *)FIELD(base, opt) = act;
	return 1;
}

int opt_apply(const struct opt *table, size_t n, void *base, const char *key, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, table[i].key) == 0)
			return table[i].apply(&table[i], base, value);
	return 0;
}

int conf_read(const char *text, const struct opt *table, size_t n, void *base,
	      int (*report)(void *userdata, unsigned line, const char *key, const char *value,
			    const struct opt *opt, int r),
	      void *userdata)
{
	const char *cursor = text, *key, *value;
	char buf[512];
	unsigned line = 0;
	int r;

	while ((r = conf_next(&cursor, buf, sizeof(buf), &key, &value, &line)) != 0) {
		const struct opt *opt = NULL;

		if (r > 0) {
			for (size_t i = 0; i < n && !opt; i++)
				if (strcmp(key, table[i].key) == 0)
					opt = &table[i];
			r = opt ? opt->apply(opt, base, value) : 0;
		} else {
			key = value = NULL;
		}
		/* r: 1 applied, 0 an unknown key, < 0 a bad line or value. */
		if (r != 1) {
			r = report(userdata, line, key, value, opt, r);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- snapresume's options ---------------------------------------------- */

#define RO(field) offsetof(struct resume_opts, field)
#define RO_SIZE(field) sizeof(((struct resume_opts *)0)->field)

static const char *const unlock_fail_names[] = {
	[UNLOCK_FAIL_ASK] = "ask",
	[UNLOCK_FAIL_DISCARD] = "discard",
	[UNLOCK_FAIL_POWEROFF] = "poweroff",
	NULL,
};

const char *unlock_fail_to_string(enum unlock_fail f)
{
	return (unsigned)f < ARRAY_SIZE(unlock_fail_names) - 1 ? unlock_fail_names[f] : "?";
}

static const char *const kernel_mismatch_names[] = {
	[KERNEL_MISMATCH_ASK] = "ask",
	[KERNEL_MISMATCH_BOOT] = "boot",
	[KERNEL_MISMATCH_POWEROFF] = "poweroff",
	[KERNEL_MISMATCH_REBOOT] = "reboot",
	NULL,
};

static const char *const load_fail_names[] = {
	[LOAD_FAIL_ASK] = "ask",
	[LOAD_FAIL_DISCARD] = "discard",
	[LOAD_FAIL_POWEROFF] = "poweroff",
	NULL,
};

/* The kernel's own words, on the command line only. */
static const struct opt kernel_opts[] = {
	{.key = "resume", .apply = opt_device, .offset = RO(resume), .size = RO_SIZE(resume)},
	{.key = "noresume", .apply = opt_flag, .offset = RO(noresume)},
	{.key = "resumedelay", .apply = opt_u64, .offset = RO(resumedelay), .max = 3600},
	{.key = "resume_offset", .apply = opt_u64, .offset = RO(resume_offset),
	 .max = UINT64_MAX / EXTMAP_PAGE},
};

/* The initramfs configuration (/etc/snapresume.conf): these keys, which
 * are also rd.snap.KEY on the command line. */
const struct opt resume_conf_opts[] = {
	{.key = "timeout", .apply = opt_u64, .offset = RO(timeout), .max = 3600},
	{.key = "workers", .apply = opt_u64, .offset = RO(workers), .min = 1, .max = 64},
	{.key = "readahead", .apply = opt_u64, .offset = RO(readahead), .max = RESUME_READAHEAD_MAX},
	{.key = "keyfile", .apply = opt_path, .offset = RO(keyfile), .size = RO_SIZE(keyfile)},
	{.key = "tries", .apply = opt_u64, .offset = RO(tries), .min = 1, .max = 100},
	{.key = "ask_timeout", .apply = opt_u64, .offset = RO(ask_timeout), .max = 86400},
	{.key = "unlock_fail", .apply = opt_enum, .offset = RO(unlock_fail),
	 .names = unlock_fail_names},
	{.key = "kernel_mismatch", .apply = opt_enum, .offset = RO(kernel_mismatch),
	 .names = kernel_mismatch_names},
	{.key = "load_fail", .apply = opt_enum, .offset = RO(load_fail), .names = load_fail_names},
	{.key = "question_timeout", .apply = opt_u64, .offset = RO(question_timeout), .max = 86400},
	{.key = "overlay", .apply = opt_overlay, .offset = RO(overlays)},
	{.key = "rollback", .apply = opt_rollback, .offset = RO(rollback)},
	{.key = "fallback", .apply = opt_rollback, .offset = RO(fallback), .min = 1},
	{.key = "merge_timeout", .apply = opt_u64, .offset = RO(merge_timeout), .min = 1,
	 .max = 86400},
};
const size_t resume_conf_opts_n = ARRAY_SIZE(resume_conf_opts);

/* rd.snap.KEY on the command line only. */
static const struct opt cmdline_only_opts[] = {
	{.key = "keep", .apply = opt_bool, .offset = RO(keep)},
	{.key = "debug", .apply = opt_bool, .offset = RO(debug)},
};

void resume_opts_init(struct resume_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = RESUME_DEFAULT_TIMEOUT;
	o->tries = RESUME_DEFAULT_TRIES;
	o->fallback = ROLLBACK_RESUME;
	o->merge_timeout = RESUME_DEFAULT_MERGE_TIMEOUT;
	o->readahead = RESUME_READAHEAD_AUTO;
	o->question_timeout = RESUME_DEFAULT_QUESTION_TIMEOUT;
}

int resume_opts_apply(struct resume_opts *o, const char *key, const char *value)
{
	int r;

	if (strncmp(key, "rd.snap.", 8) != 0)
		return opt_apply(kernel_opts, ARRAY_SIZE(kernel_opts), o, key, value);
	r = opt_apply(resume_conf_opts, resume_conf_opts_n, o, key + 8, value);
	if (r == 0)
		r = opt_apply(cmdline_only_opts, ARRAY_SIZE(cmdline_only_opts), o, key + 8, value);
	return r;
}

int resume_opts_apply_conf(struct resume_opts *o, const char *key, const char *value)
{
	return opt_apply(resume_conf_opts, resume_conf_opts_n, o, key, value);
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
