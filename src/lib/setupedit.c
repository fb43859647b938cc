/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "setupedit.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

bool setup_value_ok(const char *value)
{
	if (!value || !value[0])
		return false;
	for (const char *p = value; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/=_.:+-", *p))
			return false;
	return true;
}

/* out[*len...]: append n bytes of s, keeping room for the NUL. */
static int put(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > size)
		return -ENOBUFS;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = 0;
	return 0;
}

/* A word (with a space before it unless it is the first). */
static int put_word(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	int r = 0;

	if (*len)
		r = put(out, size, len, " ", 1);
	return r ? r : put(out, size, len, s, n);
}

/* Does the word w (n bytes) have the key key (key=...)? */
static bool word_key(const char *w, size_t n, const char *key)
{
	size_t k = strlen(key);

	return n > k && strncmp(w, key, k) == 0 && w[k] == '=';
}

int cmdline_set_resume(const char *in, const char *resume, uint64_t offset, bool with_offset,
		       char *out, size_t size, char *old, size_t oldsize)
{
	char word[300];
	size_t len = 0, oldlen;
	bool put_resume = false, put_offset = false;
	const char *p = in, *w;
	int r;

	if (!setup_value_ok(resume))
		return -EINVAL;
	if (size == 0 || oldsize == 0)
		return -ENOBUFS;
	out[0] = 0;
	old[0] = 0;
	for (;;) {
		bool quoted = false;
		size_t n;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		n = (size_t)(p - w);
		if (word_key(w, n, "resume")) {
			if (put_resume)
				continue;
			oldlen = n - 7;
			if (oldlen + 1 > oldsize)
				return -ENOBUFS;
			memcpy(old, w + 7, oldlen);
			old[oldlen] = 0;
			snprintf(word, sizeof(word), "resume=%s", resume);
			r = put_word(out, size, &len, word, strlen(word));
			if (r)
				return r;
			put_resume = true;
		} else if (word_key(w, n, "resume_offset")) {
			if (put_offset || !with_offset)
				continue;
			snprintf(word, sizeof(word), "resume_offset=%" PRIu64, offset);
			r = put_word(out, size, &len, word, strlen(word));
			if (r)
				return r;
			put_offset = true;
		} else {
			r = put_word(out, size, &len, w, n);
			if (r)
				return r;
		}
	}
	if (!put_resume) {
		snprintf(word, sizeof(word), "resume=%s", resume);
		r = put_word(out, size, &len, word, strlen(word));
		if (r)
			return r;
	}
	if (with_offset && !put_offset) {
		snprintf(word, sizeof(word), "resume_offset=%" PRIu64, offset);
		r = put_word(out, size, &len, word, strlen(word));
		if (r)
			return r;
	}
	return 0;
}

/* Is line (n bytes) a target= line: blanks, "target", blanks, "="? */
static bool target_line(const char *l, size_t n)
{
	size_t i = strspn(l, " \t");

	if (i + 6 > n || strncmp(l + i, "target", 6) != 0)
		return false;
	i += 6;
	i += strspn(l + i, " \t");
	return i < n && l[i] == '=';
}

int conf_set_target(const char *text, const char *target, char **ret, size_t *ret_len)
{
	size_t len = strlen(text), olen = 0;
	bool done = false;
	char *out = malloc(len + strlen(target) + 16);

	if (!out)
		return -ENOMEM;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);

		if (target_line(l, n)) {
			if (!done)
				olen += (size_t)sprintf(out + olen, "target=%s\n", target);
			done = true;
		} else {
			memcpy(out + olen, l, n);
			olen += n;
			if (!nl)
				out[olen++] = '\n';
		}
		l += n;
	}
	if (!done)
		olen += (size_t)sprintf(out + olen, "target=%s\n", target);
	out[olen] = 0;
	*ret = out;
	*ret_len = olen;
	return 0;
}

int grub_dropin_text(const char *resume, uint64_t offset, bool with_offset, char *out,
		     size_t size)
{
	char off[48] = "";
	int n;

	if (!setup_value_ok(resume))
		return -EINVAL;
	if (with_offset)
		snprintf(off, sizeof(off), " resume_offset=%" PRIu64, offset);
	/* The last resume= of the command line is the one the kernel and
	 * snapresume take: after whatever /etc/default/grub has. */
	n = snprintf(out, size,
		     "# Written by \"snapwrite setup\"; \"snapwrite setup --undo\" removes it.\n"
		     "# Where snapresume finds the hibernation image, on every entry\n"
		     "# (recovery ones too: a boot that does not resume must not mount\n"
		     "# the file systems the image holds).\n"
		     "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX resume=%s%s\"\n",
		     resume, off);
	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

/* ---- the state file --------------------------------------------------- */

void setup_state_done(struct setup_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].before);
		free(s->files[i].after);
	}
	memset(s, 0, sizeof(*s));
}

struct setup_file *setup_state_find(struct setup_state *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->files[i].path, path) == 0)
			return &s->files[i];
	return NULL;
}

static char *memdup0(const char *p, size_t n)
{
	char *m = malloc(n + 1);

	if (m) {
		if (n)
			memcpy(m, p, n);
		m[n] = 0;
	}
	return m;
}

int setup_state_add(struct setup_state *s, const char *path, bool dir, mode_t mode,
		    const char *before, size_t before_len, const char *after, size_t after_len)
{
	struct setup_file *f = setup_state_find(s, path);
	char *a = NULL;

	if (!path[0] || strlen(path) >= sizeof(f->path) || strpbrk(path, " \t\n"))
		return -EINVAL;
	if (!dir && !(a = memdup0(after ? after : "", after ? after_len : 0)))
		return -ENOMEM;
	if (f) {
		/* Already ours: what was there before the first setup stays. */
		free(f->after);
		f->after = a;
		f->after_len = dir ? 0 : after_len;
		return 0;
	}
	if (s->n >= SETUP_STATE_MAX) {
		free(a);
		return -ENOSPC;
	}
	f = &s->files[s->n];
	memset(f, 0, sizeof(*f));
	strcpy(f->path, path);
	f->dir = dir;
	f->mode = mode & 07777;
	if (!dir && before) {
		f->before = memdup0(before, before_len);
		if (!f->before) {
			free(a);
			return -ENOMEM;
		}
		f->existed = true;
		f->before_len = before_len;
	}
	f->after = a;
	f->after_len = dir ? 0 : after_len;
	s->n++;
	return 0;
}

int setup_state_encode(const struct setup_state *s, char **ret, size_t *ret_len)
{
	size_t cap = 256, len;
	char *buf;
	int n;

	for (size_t i = 0; i < s->n; i++)
		cap += 320 + s->files[i].before_len + s->files[i].after_len;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	n = snprintf(buf, cap, "snapwrite-setup 1\ntarget %s\n", s->target);
	len = (size_t)n;
	for (size_t i = 0; i < s->n; i++) {
		const struct setup_file *f = &s->files[i];
		char before[32] = "-";

		if (f->dir) {
			len += (size_t)snprintf(buf + len, cap - len, "dir %s\n", f->path);
			continue;
		}
		if (f->existed)
			snprintf(before, sizeof(before), "%zu", f->before_len);
		len += (size_t)snprintf(buf + len, cap - len, "file %s %04o %s %zu\n", f->path,
					(unsigned)f->mode, before, f->after_len);
		if (f->existed) {
			memcpy(buf + len, f->before, f->before_len);
			len += f->before_len;
		}
		memcpy(buf + len, f->after, f->after_len);
		len += f->after_len;
		buf[len++] = '\n';
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The line at *p (up to end) in line; *p after its newline. */
static int next_line(const char **p, const char *end, char *line, size_t size)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (!nl)
		return -EBADMSG;
	n = (size_t)(nl - *p);
	if (n >= size)
		return -EBADMSG;
	memcpy(line, *p, n);
	line[n] = 0;
	*p = nl + 1;
	return 0;
}

int setup_state_decode(const char *buf, size_t len, struct setup_state *s)
{
	const char *p = buf, *end = buf + len;
	char line[600], path[300], before[32], after[32];
	unsigned mode;
	int r;

	memset(s, 0, sizeof(*s));
	if (next_line(&p, end, line, sizeof(line)) < 0 || strcmp(line, "snapwrite-setup 1") != 0)
		return -EBADMSG;
	if (next_line(&p, end, line, sizeof(line)) < 0 || strncmp(line, "target ", 7) != 0 ||
	    strlen(line + 7) >= sizeof(s->target))
		return -EBADMSG;
	strcpy(s->target, line + 7);
	while (p < end) {
		uint64_t blen = 0, alen;
		bool existed;
		char extra;

		r = next_line(&p, end, line, sizeof(line));
		if (r < 0)
			goto fail;
		if (sscanf(line, "dir %299s %c", path, &extra) == 1) {
			r = setup_state_add(s, path, true, 0755, NULL, 0, NULL, 0);
			if (r < 0)
				goto fail;
			continue;
		}
		if (sscanf(line, "file %299s %o %31s %31s %c", path, &mode, before, after,
			   &extra) != 4 ||
		    mode > 07777 || parse_u64(after, 0, 1U << 30, &alen) < 0) {
			r = -EBADMSG;
			goto fail;
		}
		existed = strcmp(before, "-") != 0;
		if ((existed && parse_u64(before, 0, 1U << 30, &blen) < 0) ||
		    blen + alen + 1 > (uint64_t)(end - p) || p[blen + alen] != '\n' ||
		    setup_state_find(s, path)) {
			r = -EBADMSG;
			goto fail;
		}
		r = setup_state_add(s, path, false, mode, existed ? p : NULL, blen, p + blen,
				    alen);
		if (r < 0)
			goto fail;
		p += blen + alen + 1;
	}
	return 0;
fail:
	setup_state_done(s);
	return r == -ENOMEM ? r : -EBADMSG;
}
