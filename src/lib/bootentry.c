/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bootentry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define GRUB_DEPTH 8

/* The next word of a grub.cfg line: a quoted string ('...' or "..."), or a
 * run of non-blank characters.  Returns the rest of the line. */
static const char *word(const char *p, char *buf, size_t size)
{
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\'' || *p == '"') {
		char q = *p++;
		while (*p && *p != q && *p != '\n') {
			if (n + 1 < size)
				buf[n++] = *p;
			p++;
		}
		if (*p == q)
			p++;
	} else {
		while (*p && !isspace((unsigned char)*p)) {
			if (n + 1 < size)
				buf[n++] = *p;
			p++;
		}
	}
	if (size)
		buf[n] = '\0';
	return p;
}

/* Does the line from p to eol (or the end) end with an opening brace? */
static bool ends_with_brace(const char *p, const char *eol)
{
	const char *end = eol ? eol : p + strlen(p);

	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	return end > p && end[-1] == '{';
}

/* "menuentry 'Title' --class x $menuentry_id_option 'id' {": title and id. */
static void entry_names(const char *line, char *title, size_t tsize, char *id, size_t isize)
{
	char w[512];
	const char *p = word(line, w, sizeof(w)); /* the keyword */

	p = word(p, title, tsize);
	id[0] = '\0';
	while (*p && *p != '\n') {
		p = word(p, w, sizeof(w));
		if (strcmp(w, "$menuentry_id_option") == 0) {
			word(p, id, isize);
			return;
		}
		if (!w[0])
			break;
	}
}

/* Does "linux /boot/vmlinuz-KREL root=... ro quiet" load krel? */
static bool linux_line_boots(const char *line, const char *krel, bool *ret_single)
{
	char path[512], arg[256];
	const char *p = word(line, arg, sizeof(arg)), *base;
	size_t n = strlen(krel);

	p = word(p, path, sizeof(path));
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	*ret_single = false;
	while (*p && *p != '\n') {
		p = word(p, arg, sizeof(arg));
		if (strcmp(arg, "single") == 0)
			*ret_single = true;
		if (!arg[0])
			break;
	}
	return strncmp(base, "vmlinuz-", 8) == 0 && strlen(base + 8) == n &&
	       memcmp(base + 8, krel, n) == 0;
}

int bootentry_grub(const char *cfg, const char *krel, char *buf, size_t size, char *title,
		   size_t title_size)
{
	struct {
		char name[256]; /* id, or title */
		char title[256];
		bool entry;     /* a menuentry (else a submenu or another block) */
	} stack[GRUB_DEPTH] = {0};
	char found[512] = "", found_title[256] = "", fallback[512] = "", fallback_title[256] = "";
	int depth = 0;

	for (const char *line = cfg; line && *line;) {
		const char *eol = strchr(line, '\n'), *p = line;
		char kw[32];

		while (*p == ' ' || *p == '\t')
			p++;
		word(p, kw, sizeof(kw));
		if (strcmp(kw, "menuentry") == 0 || strcmp(kw, "submenu") == 0) {
			char id[256];

			if (depth < GRUB_DEPTH) {
				entry_names(p, stack[depth].title, sizeof(stack[depth].title), id,
					    sizeof(id));
				snprintf(stack[depth].name, sizeof(stack[depth].name), "%s",
					 id[0] ? id : stack[depth].title);
				stack[depth].entry = kw[0] == 'm';
			}
			depth++;
		} else if (kw[0] == '}') {
			if (depth > 0)
				depth--;
		} else if (depth > 0 && depth <= GRUB_DEPTH && stack[depth - 1].entry &&
			   (strcmp(kw, "linux") == 0 || strcmp(kw, "linuxefi") == 0 ||
			    strcmp(kw, "linux16") == 0)) {
			bool single;

			if (linux_line_boots(p, krel, &single)) {
				bool recovery = single || strstr(stack[depth - 1].title, "recovery mode");
				char *dst = recovery ? fallback : found;
				size_t n = 0;

				if (!dst[0]) {
					for (int i = 0; i < depth; i++)
						n += (size_t)snprintf(dst + n, n < 512 ? 512 - n : 0,
								      "%s%s", i ? ">" : "", stack[i].name);
					snprintf(recovery ? fallback_title : found_title, 256, "%s",
						 stack[depth - 1].title);
				}
			}
		} else if (kw[0] != '#' && ends_with_brace(p, eol)) {
			/* Other blocks ("function load_video {"): their closing
			 * brace must not end an entry, and they are none. */
			if (depth < GRUB_DEPTH)
				stack[depth].entry = false;
			depth++;
		}
		line = eol ? eol + 1 : NULL;
	}
	if (!found[0]) {
		memcpy(found, fallback, sizeof(found));
		memcpy(found_title, fallback_title, sizeof(found_title));
	}
	if (!found[0])
		return -ENOENT;
	if (strlen(found) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, found);
	if (title && title_size)
		snprintf(title, title_size, "%s", found_title);
	return 0;
}

bool bootentry_bls_boots(const char *entry, const char *krel)
{
	size_t n = strlen(krel);

	for (const char *line = entry; line && *line;) {
		const char *eol = strchr(line, '\n');
		char key[32], value[512];
		const char *p = word(line, key, sizeof(key));

		word(p, value, sizeof(value));
		if (strcmp(key, "version") == 0 && strcmp(value, krel) == 0)
			return true;
		if (strcmp(key, "linux") == 0) {
			const char *hit = strstr(value, krel);
			/* ".../6.1.0-57-amd64/linux" (kernel-install) or
			 * "/vmlinuz-6.1.0-57-amd64". */
			if (hit && (hit == value || hit[-1] == '/' || hit[-1] == '-') &&
			    (hit[n] == '\0' || hit[n] == '/'))
				return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}
