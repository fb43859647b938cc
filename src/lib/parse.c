/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "blockdev.h"
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

int resume_opts_apply(struct resume_opts *o, const char *key, const char *value)
{
	uint64_t v;
	int r;

	if (strcmp(key, "resume") == 0) {
		if (!value || blockdev_spec_check(value) < 0)
			return -EINVAL;
		if (strlen(value) >= sizeof(o->resume))
			return -ERANGE;
		strcpy(o->resume, value);
		return 1;
	}
	if (strcmp(key, "noresume") == 0) {
		if (value)
			return -EINVAL;
		o->noresume = true;
		return 1;
	}
	if (strcmp(key, "resumedelay") == 0 || strcmp(key, "rd.snap.timeout") == 0) {
		r = parse_u64(value, 0, 3600, &v);
		if (r < 0)
			return r;
		*(key[0] == 'r' && key[1] == 'e' ? &o->resumedelay : &o->timeout) = v;
		return 1;
	}
	if (strcmp(key, "rd.snap.workers") == 0) {
		r = parse_u64(value, 1, 64, &v);
		if (r < 0)
			return r;
		o->workers = v;
		return 1;
	}
	if (strcmp(key, "rd.snap.keep") == 0)
		return apply_bool(&o->keep, value);
	if (strcmp(key, "rd.snap.debug") == 0)
		return apply_bool(&o->debug, value);
	return 0;
}
