/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Options, wherever they come from: the kernel command line (/proc/cmdline)
 * and key=value configuration files (/etc/snapwrite.conf in the running
 * system, /etc/snapresume.conf in the initramfs).  Every option is a row of
 * a table (struct opt): its key, where its value goes, and a value type
 * shared by both programs, so that a key both know (keyfile=, overlay=,
 * workers=) takes the same values in both.  Pure functions on strings; the
 * fuzz targets and unit tests drive them directly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rollback.h"

/*
 * Split a kernel command line into words the way the kernel does: words are
 * separated by white space, double quotes group white space into a word and
 * are removed.  Each call yields the next word's key and value (value is
 * NULL for a bare word such as "noresume"; "" for "key=").  The words are
 * written into buf (at most bufsize bytes, including NULs).
 * Returns 1 for a word, 0 at the end, -ENAMETOOLONG when a word does not
 * fit into buf (that word is skipped).
 */
int cmdline_next(const char **cursor, char *buf, size_t bufsize, const char **ret_key,
		 const char **ret_value);

/*
 * Configuration files: one key=value per line, '#' starts a comment line,
 * white space around key and value is ignored, a value may be quoted with
 * double quotes.  Each call yields the next assignment; *ret_line is its
 * line number.  Returns 1, 0 at the end, -EINVAL for a line that is not
 * an assignment, or -ENAMETOOLONG for a line longer than buf (*ret_line
 * says which; the caller may go on with the next line).
 */
int conf_next(const char **cursor, char *buf, size_t bufsize, const char **ret_key,
	      const char **ret_value, unsigned *ret_line);

/*
 * One option: its key, the function that checks and stores a value, and
 * where (offset into the options structure it is applied to).  An apply
 * function returns 1 when it stored the value, -EINVAL for a value it
 * refuses or -ERANGE for one out of range (the field is then unchanged).
 */
struct opt;
typedef int (*opt_apply_fn)(const struct opt *opt, void *base, const char *value);
struct opt {
	const char *key;
	opt_apply_fn apply;
	size_t offset;
	size_t size;              /* strings: the field's size */
	uint64_t min, max;        /* numbers and sizes */
	const char *const *names; /* enums: value i is names[i], NULL-terminated */
	const char *want;         /* for messages: what a value must be */
};

/* The value types.  bool: 1/yes/0/no, or bare; flag: bare only; u64 and
 * size: a number within [min, max] (size: K, M, G suffixes); string; path:
 * an absolute one; device: a device spec (blockdev.h); enum: one of names,
 * stored as an int; overlay: NAME,ORIGIN,COW appended to (or replacing the
 * same NAME in) a struct overlay_list. */
int opt_bool(const struct opt *opt, void *base, const char *value);
int opt_flag(const struct opt *opt, void *base, const char *value);
int opt_u64(const struct opt *opt, void *base, const char *value);
int opt_size(const struct opt *opt, void *base, const char *value);
int opt_string(const struct opt *opt, void *base, const char *value);
int opt_path(const struct opt *opt, void *base, const char *value);
int opt_device(const struct opt *opt, void *base, const char *value);
int opt_enum(const struct opt *opt, void *base, const char *value);
int opt_overlay(const struct opt *opt, void *base, const char *value);

/* Apply key=value (value NULL for a bare word) through table: 1, 0 for a
 * key the table does not have, or the apply function's error. */
int opt_apply(const struct opt *table, size_t n, void *base, const char *key, const char *value);

/*
 * Read a configuration file's text through table into base.  Every line
 * that is not applied goes to report: r is 0 for an unknown key (opt
 * NULL), the apply function's error for a bad value, or conf_next()'s for
 * a line that is no assignment (key NULL).  report returns 0 to go on or a
 * negative errno to stop, which conf_read returns.
 */
int conf_read(const char *text, const struct opt *table, size_t n, void *base,
	      int (*report)(void *userdata, unsigned line, const char *key, const char *value,
			    const struct opt *opt, int r),
	      void *userdata);

/* What snapresume takes from the kernel command line. */
struct resume_opts {
	char resume[256];      /* resume=: the device spec, "" when unset */
	uint64_t resume_offset; /* resume_offset=: page of the image's locator */
	bool noresume;         /* noresume */
	uint64_t resumedelay;  /* resumedelay=: seconds to wait before looking */
	uint64_t timeout;      /* rd.snap.timeout=: seconds to wait for the device */
	bool keep;             /* rd.snap.keep: never invalidate a refused image */
	bool debug;            /* rd.snap.debug */
	uint64_t workers;      /* rd.snap.workers=: 0 picks a default */
	uint64_t readahead;    /* rd.snap.readahead=: MiB read ahead; RESUME_READAHEAD_AUTO */
	/* Encrypted targets (LUKS2). */
	char keyfile[256];     /* rd.snap.keyfile=: a key file in the initramfs */
	uint64_t tries;        /* rd.snap.tries=: passphrase tries before asking */
	uint64_t ask_timeout;  /* rd.snap.ask_timeout=: seconds per prompt, 0 none */
	enum unlock_fail {
		UNLOCK_FAIL_ASK,      /* ask: boot without resuming, or try again */
		UNLOCK_FAIL_DISCARD,  /* boot without resuming, image invalidated */
		UNLOCK_FAIL_POWEROFF, /* power off, image kept for a later try */
	} unlock_fail;         /* rd.snap.unlock_fail= */
	/* The running kernel cannot take the image (another build, or its
	 * loader refused it): what to do before anything is mounted. */
	enum kernel_mismatch {
		KERNEL_MISMATCH_ASK,      /* ask on the console; boot on after a while */
		KERNEL_MISMATCH_BOOT,     /* boot on: the image is invalidated */
		KERNEL_MISMATCH_POWEROFF, /* power off, the image kept for its kernel */
		KERNEL_MISMATCH_REBOOT,   /* reboot, the image kept for its kernel */
	} kernel_mismatch;     /* rd.snap.kernel_mismatch= */
	/* Loading failed for a reason that is not damage (memory, I/O), also
	 * after retrying: what to do. */
	enum load_fail {
		LOAD_FAIL_ASK,      /* ask on the console; boot on after a while */
		LOAD_FAIL_DISCARD,  /* boot on: the image is invalidated */
		LOAD_FAIL_POWEROFF, /* power off, the image kept for a later boot */
	} load_fail;           /* rd.snap.load_fail= */
	/* rd.snap.question_timeout=: seconds a question with a default answer
	 * waits (kernel_mismatch, load_fail) */
	uint64_t question_timeout;
	/* Rollback overlays. */
	struct overlay_list overlays;  /* rd.snap.overlay=, repeatable */
	enum rollback_action rollback; /* rd.snap.rollback=: this boot's choice */
	enum rollback_action fallback; /* rd.snap.fallback=: when keep is impossible */
	uint64_t merge_timeout;        /* rd.snap.merge_timeout=: seconds */
};

#define RESUME_DEFAULT_TIMEOUT 10
#define RESUME_DEFAULT_TRIES 3
#define RESUME_DEFAULT_MERGE_TIMEOUT 600
#define RESUME_DEFAULT_QUESTION_TIMEOUT 30
/* rd.snap.readahead= unset: sized from free memory, at most this many MiB. */
#define RESUME_READAHEAD_AUTO UINT64_MAX
#define RESUME_READAHEAD_AUTO_MAX 64
#define RESUME_READAHEAD_MAX 4096

/* The name rd.snap.unlock_fail= takes for each policy. */
const char *unlock_fail_to_string(enum unlock_fail f);

void resume_opts_init(struct resume_opts *o);

/* Apply one word; 1 if it was ours, 0 if not, -EINVAL / -ERANGE for an
 * option of ours with a bad value (which is then left unchanged). */
int resume_opts_apply(struct resume_opts *o, const char *key, const char *value);

/* Apply every word of a kernel command line; bad (optional) is told of
 * each option of ours with a bad value, which is ignored. */
void resume_opts_apply_cmdline(struct resume_opts *o, const char *cmdline,
			       void (*bad)(const char *key));

/* The keys of the initramfs configuration, for conf_read(). */
extern const struct opt resume_conf_opts[];
extern const size_t resume_conf_opts_n;

/* Apply one line of the initramfs configuration (/etc/snapresume.conf):
 * the rd.snap.* options without their prefix (keyfile=, tries=, overlay=,
 * rollback=, ...). */
int resume_opts_apply_conf(struct resume_opts *o, const char *key, const char *value);

/*
 * Bytes snapresume may read ahead with, from /proc/meminfo (KiB) before
 * the load and the image's load_pages record (0: none).  The kernel takes
 * memory for the whole image in one go and cannot wait for any to be
 * freed, so only free memory counts.  Knowing what the kernel will take
 * (the pages, 1/128 more for its lists of them, and a reserve of
 * MemTotal / 32 but at least 32 MiB for the rest of the system), three
 * quarters of what is left; not knowing it, half of what MemAvailable
 * has beyond MemTotal / 2 (a snapshot holds at most about half the RAM:
 * every saved page needed a free page to be copied into).
 */
uint64_t resume_readahead_spare(uint64_t total_kib, uint64_t free_kib, uint64_t avail_kib,
				uint64_t load_pages);
