/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What "snapwrite setup" writes, as text, without touching a file: a
 * kernel command line with resume= and resume_offset= set, GRUB's drop-in,
 * and the state file that lets "setup --undo" put every file back.
 * Nothing here prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Can value go into a command line and a shell-quoted GRUB setting as it
 * is (letters, digits and / = _ . : + - only, not empty)? */
bool setup_value_ok(const char *value);

/*
 * in, a kernel command line (words apart by white space; "a b" quoted
 * words kept whole), with resume=resume and, when with_offset, with
 * resume_offset=offset: the first resume= word is replaced in place (its
 * old value copied to old, "" when there was none), other resume= and
 * resume_offset= words are dropped, missing words appended. Without
 * with_offset every resume_offset= goes. Other words keep their order and
 * spelling; white space between words becomes one space, and out ends
 * with no space or newline. 0, -ENOBUFS when out or old is too small,
 * -EINVAL for a value that is not setup_value_ok().
 */
int cmdline_set_resume(const char *in, const char *resume, uint64_t offset, bool with_offset,
		       char *out, size_t size, char *old, size_t oldsize);

/* text, a configuration file (key=value lines), with target=target: the
 * first target= line replaced, any other removed, or one added at the
 * end; every other line kept as it is (a last line gets its newline).
 * *ret is malloc'd. 0 or -ENOMEM. */
int conf_set_target(const char *text, const char *target, char **ret, size_t *ret_len);

/* The text of /etc/default/grub.d/snapresume.cfg: GRUB_CMDLINE_LINUX
 * extended by resume= (and resume_offset=). 0, -ENOBUFS, -EINVAL. */
int grub_dropin_text(const char *resume, uint64_t offset, bool with_offset, char *out,
		     size_t size);

/*
 * The state file: what setup changed, so that --undo restores it.
 *
 *   snapwrite-setup 1
 *   target SPEC
 *   dir PATH                          a folder setup made
 *   file PATH MODE BEFORE AFTER       a file setup wrote: its mode (octal)
 *   <BEFORE bytes><AFTER bytes>       before, "-" when it did not exist, or
 *                                     the byte count of its content then;
 *                                     AFTER, of what setup left in it
 *
 * Paths have no white space. The bytes follow their line, then a newline.
 */
#define SETUP_STATE_MAX 16

struct setup_file {
	char path[256];
	bool dir;        /* a folder made by setup (no contents) */
	bool existed;    /* file: there before setup */
	mode_t mode;     /* file: its mode before (or the one setup gave it) */
	char *before;    /* existed: its content before */
	size_t before_len;
	char *after;     /* what setup wrote */
	size_t after_len;
};

struct setup_state {
	char target[256];
	size_t n;
	struct setup_file files[SETUP_STATE_MAX];
};

void setup_state_done(struct setup_state *s);
/* The entry of path, or NULL. */
struct setup_file *setup_state_find(struct setup_state *s, const char *path);
/* Record a file (before: NULL when it did not exist) with what setup
 * writes, or a folder (dir). An entry of path already there keeps its
 * before (the state before the first setup) and takes the new after.
 * 0, -ENOMEM, -ENOSPC (SETUP_STATE_MAX), -EINVAL (a path with space). */
int setup_state_add(struct setup_state *s, const char *path, bool dir, mode_t mode,
		    const char *before, size_t before_len, const char *after, size_t after_len);
/* *ret (malloc'd) and *ret_len: the file's bytes. 0 or -ENOMEM. */
int setup_state_encode(const struct setup_state *s, char **ret, size_t *ret_len);
/* 0, -EBADMSG for anything that is not a whole state file, -ENOMEM. */
int setup_state_decode(const char *buf, size_t len, struct setup_state *s);
