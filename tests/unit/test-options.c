/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the text parsers: the kernel command line and resume
 * options (options.h), configuration files, numbers (util.h) and device
 * specs (blockdev.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "blockdev.h"
#include "options.h"
#include "util.h"

/* ---- cmdline_next ----------------------------------------------------- */

struct word {
	const char *key;
	const char *value; /* NULL: a bare word */
};

/* Split line with a buffer of bufsize bytes and compare with want[]. */
static void expect_words(const char *line, size_t bufsize, const struct word *want, size_t n)
{
	const char *cursor = line, *key, *value;
	char buf[512];
	size_t i = 0;
	int r;

	assert_true(bufsize <= sizeof(buf));
	while ((r = cmdline_next(&cursor, buf, bufsize, &key, &value)) == 1) {
		if (i >= n)
			fail_msg("'%s': extra word '%s'", line, key);
		assert_string_equal(key, want[i].key);
		if (want[i].value) {
			if (!value)
				fail_msg("'%s': word %zu '%s' has no value", line, i, key);
			assert_string_equal(value, want[i].value);
		} else if (value) {
			fail_msg("'%s': bare word %zu '%s' has value '%s'", line, i, key, value);
		}
		i++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(i, n);
	/* The end stays the end. */
	assert_int_equal(cmdline_next(&cursor, buf, bufsize, &key, &value), 0);
}

#define EXPECT_WORDS(line, ...)                                                 \
	do {                                                                    \
		const struct word w_[] = {__VA_ARGS__};                         \
		expect_words(line, 256, w_, sizeof(w_) / sizeof(w_[0]));         \
	} while (0)

static void test_cmdline_words(void **state)
{
	(void)state;
	EXPECT_WORDS("BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet",
		     {"BOOT_IMAGE", "/vmlinuz"}, {"root", "/dev/vda1"}, {"ro", NULL},
		     {"quiet", NULL});
	/* Only the first '=' splits. */
	EXPECT_WORDS("resume=UUID=0a1b-2c3d", {"resume", "UUID=0a1b-2c3d"});
	/* key= is an empty value, not a bare word. */
	EXPECT_WORDS("resumedelay= noresume", {"resumedelay", ""}, {"noresume", NULL});
	/* Tabs and runs of blanks separate too. */
	EXPECT_WORDS("  a=1\t\tb  \tc=3", {"a", "1"}, {"b", NULL}, {"c", "3"});
}

static void test_cmdline_quotes(void **state)
{
	(void)state;
	/* Quotes group blanks into the word and are removed, wherever they are. */
	EXPECT_WORDS("x=\"a b  c\" y", {"x", "a b  c"}, {"y", NULL});
	EXPECT_WORDS("\"x=a b\" y", {"x", "a b"}, {"y", NULL});
	EXPECT_WORDS("rd.snap.keep=\"\" z", {"rd.snap.keep", ""}, {"z", NULL});
	EXPECT_WORDS("resume=\"LABEL=my swap\"", {"resume", "LABEL=my swap"});
	/* An unterminated quote runs to the end of the line. */
	EXPECT_WORDS("a=\"b c", {"a", "b c"});
}

static void test_cmdline_ends(void **state)
{
	const char *cursor, *key, *value;
	char buf[64];

	(void)state;
	/* /proc/cmdline ends with a newline. */
	EXPECT_WORDS("quiet noresume\n", {"quiet", NULL}, {"noresume", NULL});
	EXPECT_WORDS("quiet noresume   \n", {"quiet", NULL}, {"noresume", NULL});
	EXPECT_WORDS("quiet   ", {"quiet", NULL});

	cursor = "";
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 0);
	cursor = " \t\n ";
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 0);
}

static void test_cmdline_too_long(void **state)
{
	const char *cursor, *key, *value;
	char buf[8], line[64];

	(void)state;
	expect_words("", sizeof(buf), NULL, 0);
	/* 7 characters and the NUL fit into 8 bytes, 8 characters do not. */
	expect_words("abcdefg x", sizeof(buf), (const struct word[]){{"abcdefg", NULL}, {"x", NULL}},
		     2);

	snprintf(line, sizeof(line), "a=1 %s b=2\n", "abcdefgh");
	cursor = line;
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 1);
	assert_string_equal(key, "a");
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), -ENAMETOOLONG);
	/* The long word is skipped whole; the next one is parsed normally. */
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 1);
	assert_string_equal(key, "b");
	assert_string_equal(value, "2");
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 0);

	/* A long quoted word with blanks inside is one word. */
	cursor = "x=\"aa bb cc dd\" y";
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), -ENAMETOOLONG);
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 1);
	assert_string_equal(key, "y");
	assert_null(value);

	/* A long last word. */
	cursor = "quiet 0123456789abcdef";
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 1);
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), -ENAMETOOLONG);
	assert_int_equal(cmdline_next(&cursor, buf, sizeof(buf), &key, &value), 0);
}

/* ---- resume_opts ------------------------------------------------------- */

static void test_resume_opts_defaults(void **state)
{
	struct resume_opts o;

	(void)state;
	memset(&o, 0xff, sizeof(o));
	resume_opts_init(&o);
	assert_string_equal(o.resume, "");
	assert_false(o.noresume);
	assert_int_equal(o.resumedelay, 0);
	assert_int_equal(o.timeout, RESUME_DEFAULT_TIMEOUT);
	assert_false(o.keep);
	assert_false(o.debug);
	assert_string_equal(o.keyfile, "");
	assert_int_equal(o.tries, RESUME_DEFAULT_TRIES);
	assert_int_equal(o.ask_timeout, 0);
	assert_int_equal(o.unlock_fail, UNLOCK_FAIL_ASK);
}

/* The options of encrypted targets, on the command line and (without
 * their prefix) in the initramfs configuration. */
static void test_resume_opts_luks(void **state)
{
	struct resume_opts o;
	char longpath[300];

	(void)state;
	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keyfile", "/etc/snap.key"), 1);
	assert_string_equal(o.keyfile, "/etc/snap.key");
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keyfile", "relative.key"), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keyfile", NULL), -EINVAL);
	memset(longpath, 'k', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keyfile", longpath), -ERANGE);
	assert_string_equal(o.keyfile, "/etc/snap.key");

	assert_int_equal(resume_opts_apply(&o, "rd.snap.tries", "5"), 1);
	assert_int_equal(o.tries, 5);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.tries", "0"), -ERANGE);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.tries", "x"), -EINVAL);
	assert_int_equal(o.tries, 5);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.ask_timeout", "30"), 1);
	assert_int_equal(o.ask_timeout, 30);

	for (int f = UNLOCK_FAIL_ASK; f <= UNLOCK_FAIL_POWEROFF; f++) {
		assert_int_equal(resume_opts_apply(&o, "rd.snap.unlock_fail",
						   unlock_fail_to_string((enum unlock_fail)f)),
				 1);
		assert_int_equal(o.unlock_fail, f);
	}
	assert_string_equal(unlock_fail_to_string(UNLOCK_FAIL_DISCARD), "discard");
	assert_int_equal(resume_opts_apply(&o, "rd.snap.unlock_fail", "maybe"), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.unlock_fail", NULL), -EINVAL);
	assert_int_equal(o.unlock_fail, UNLOCK_FAIL_POWEROFF);

	/* The configuration file: same settings, no prefix; the device and
	 * noresume are not its business. */
	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply_conf(&o, "keyfile", "/k"), 1);
	assert_string_equal(o.keyfile, "/k");
	assert_int_equal(resume_opts_apply_conf(&o, "unlock_fail", "discard"), 1);
	assert_int_equal(o.unlock_fail, UNLOCK_FAIL_DISCARD);
	assert_int_equal(resume_opts_apply_conf(&o, "tries", "2"), 1);
	assert_int_equal(resume_opts_apply_conf(&o, "timeout", "7"), 1);
	assert_int_equal(o.timeout, 7);
	assert_int_equal(resume_opts_apply_conf(&o, "readahead", "16"), 1);
	assert_int_equal(o.readahead, 16);
	assert_int_equal(resume_opts_apply_conf(&o, "resume", "/dev/sda"), 0);
	assert_int_equal(resume_opts_apply_conf(&o, "noresume", NULL), 0);
	assert_int_equal(resume_opts_apply_conf(&o, "rd.snap.keyfile", "/x"), 0);
	assert_string_equal(o.resume, "");
	assert_int_equal(resume_opts_apply_conf(&o, "tries", "many"), -EINVAL);
	assert_int_equal(o.tries, 2);
}

static void test_resume_opts_resume(void **state)
{
	static const char *const good[] = {
		"/dev/vda2",
		"/dev/disk/by-id/virtio-x-part2",
		"UUID=2f1c3a44-9d1e-4d5c-8c2b-1a2b3c4d5e6f",
		"PARTUUID=0b5c7a21-02",
		"LABEL=snapimage",
		"PARTLABEL=hibernate",
	};
	static const char *const bad[] = {
		"", "vda2", "UUID=", "PARTUUID=", "LABEL=", "PARTLABEL=", "uuid=abc", "ID=abc",
	};
	struct resume_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		resume_opts_init(&o);
		assert_int_equal(resume_opts_apply(&o, "resume", good[i]), 1);
		assert_string_equal(o.resume, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		resume_opts_init(&o);
		strcpy(o.resume, "/dev/before");
		if (resume_opts_apply(&o, "resume", bad[i]) != -EINVAL)
			fail_msg("resume=%s was accepted", bad[i]);
		/* A bad value leaves the earlier one. */
		assert_string_equal(o.resume, "/dev/before");
	}
	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply(&o, "resume", NULL), -EINVAL);
	assert_string_equal(o.resume, "");

	/* The longest spec that fits, and one byte more. */
	char spec[sizeof(o.resume) + 1];
	memset(spec, 'a', sizeof(spec));
	memcpy(spec, "LABEL=", 6);
	spec[sizeof(o.resume) - 1] = '\0';
	assert_int_equal(resume_opts_apply(&o, "resume", spec), 1);
	assert_string_equal(o.resume, spec);
	spec[sizeof(o.resume) - 1] = 'a';
	spec[sizeof(o.resume)] = '\0';
	assert_int_equal(resume_opts_apply(&o, "resume", spec), -ERANGE);
	assert_int_equal(strlen(o.resume), sizeof(o.resume) - 1);
}

static void test_resume_opts_noresume(void **state)
{
	struct resume_opts o;

	(void)state;
	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply(&o, "noresume", NULL), 1);
	assert_true(o.noresume);

	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply(&o, "noresume", "1"), -EINVAL);
	assert_false(o.noresume);
}

static void test_resume_opts_numbers(void **state)
{
	static const char *const keys[] = {"resumedelay", "rd.snap.timeout"};
	struct resume_opts o;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		uint64_t *field;

		resume_opts_init(&o);
		field = k == 0 ? &o.resumedelay : &o.timeout;
		assert_int_equal(resume_opts_apply(&o, keys[k], "0"), 1);
		assert_int_equal(*field, 0);
		assert_int_equal(resume_opts_apply(&o, keys[k], "3600"), 1);
		assert_int_equal(*field, 3600);
		assert_int_equal(resume_opts_apply(&o, keys[k], "25"), 1);
		assert_int_equal(*field, 25);

		/* Out of range or not a number: refused, value unchanged. */
		assert_int_equal(resume_opts_apply(&o, keys[k], "3601"), -ERANGE);
		assert_int_equal(resume_opts_apply(&o, keys[k], "99999999999999999999999"),
				 -ERANGE);
		assert_int_equal(resume_opts_apply(&o, keys[k], "-1"), -EINVAL);
		assert_int_equal(resume_opts_apply(&o, keys[k], "5s"), -EINVAL);
		assert_int_equal(resume_opts_apply(&o, keys[k], ""), -EINVAL);
		assert_int_equal(resume_opts_apply(&o, keys[k], NULL), -EINVAL);
		assert_int_equal(*field, 25);
	}
	/* Each key sets its own field only. */
	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply(&o, "resumedelay", "7"), 1);
	assert_int_equal(o.resumedelay, 7);
	assert_int_equal(o.timeout, RESUME_DEFAULT_TIMEOUT);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.timeout", "9"), 1);
	assert_int_equal(o.resumedelay, 7);
	assert_int_equal(o.timeout, 9);
}

static void test_resume_opts_workers(void **state)
{
	struct resume_opts o;

	(void)state;
	resume_opts_init(&o);
	assert_int_equal(o.workers, 0); /* 0: the pipeline picks */
	assert_int_equal(resume_opts_apply(&o, "rd.snap.workers", "1"), 1);
	assert_int_equal(o.workers, 1);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.workers", "64"), 1);
	assert_int_equal(o.workers, 64);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.workers", "0"), -ERANGE);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.workers", "65"), -ERANGE);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.workers", "two"), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.workers", NULL), -EINVAL);
	assert_int_equal(o.workers, 64);

	/* Read-ahead in MiB: unset is "from free memory", 0 turns it off. */
	assert_int_equal(o.readahead, RESUME_READAHEAD_AUTO);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.readahead", "0"), 1);
	assert_int_equal(o.readahead, 0);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.readahead", "256"), 1);
	assert_int_equal(o.readahead, 256);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.readahead", "4097"), -ERANGE);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.readahead", "lots"), -EINVAL);
	assert_int_equal(o.readahead, 256);
}

static void test_resume_opts_flags(void **state)
{
	struct resume_opts o;

	(void)state;
	resume_opts_init(&o);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keep", NULL), 1);
	assert_true(o.keep);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keep", "0"), 1);
	assert_false(o.keep);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keep", "yes"), 1);
	assert_true(o.keep);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keep", "no"), 1);
	assert_false(o.keep);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keep", "1"), 1);
	assert_true(o.keep);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.keep", "maybe"), -EINVAL);
	assert_true(o.keep);
	assert_false(o.debug);

	assert_int_equal(resume_opts_apply(&o, "rd.snap.debug", NULL), 1);
	assert_true(o.debug);
	assert_int_equal(resume_opts_apply(&o, "rd.snap.debug", "0"), 1);
	assert_false(o.debug);
}

static void test_resume_opts_unknown(void **state)
{
	static const char *const keys[] = {
		"root", "quiet", "resume_offsetx", "rd.snap", "rd.snap.keepx", "resumedelayx",
		"Resume", "noresume2", "", "rd.luks.uuid",
	};
	struct resume_opts o, before;

	(void)state;
	resume_opts_init(&o);
	before = o;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_int_equal(resume_opts_apply(&o, keys[i], "1"), 0);
		assert_int_equal(resume_opts_apply(&o, keys[i], NULL), 0);
	}
	assert_memory_equal(&o, &before, sizeof(o));
}

/* resume_offset=: the page of a swap file's or image file's locator, as
 * the kernel counts it (pages of 4096 bytes); the whole command line. */
static void test_resume_offset(void **state)
{
	struct resume_opts o;

	(void)state;
	resume_opts_init(&o);
	assert_int_equal(o.resume_offset, 0);
	assert_int_equal(resume_opts_apply(&o, "resume_offset", "34816"), 1);
	assert_int_equal(o.resume_offset, 34816);
	assert_int_equal(resume_opts_apply(&o, "resume_offset", "12x"), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "resume_offset", NULL), -EINVAL);
	assert_int_equal(resume_opts_apply(&o, "resume_offset", "18446744073709551615"), -ERANGE);
	assert_int_equal(o.resume_offset, 34816);

	resume_opts_init(&o);
	resume_opts_apply_cmdline(&o, "root=/dev/vda resume=UUID=1234-5678 resume_offset=4096 quiet\n",
				  NULL);
	assert_string_equal(o.resume, "UUID=1234-5678");
	assert_int_equal(o.resume_offset, 4096);
}

/* The whole path snapresume takes: command line words into options. */
static void test_resume_opts_from_cmdline(void **state)
{
	const char *cursor = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 resume=\"LABEL=snap img\" "
			     "resumedelay=3 rd.snap.timeout=30 rd.snap.keep quiet noresume\n";
	const char *key, *value;
	char buf[256];
	struct resume_opts o;
	int r, ours = 0;

	(void)state;
	resume_opts_init(&o);
	while ((r = cmdline_next(&cursor, buf, sizeof(buf), &key, &value)) == 1) {
		int a = resume_opts_apply(&o, key, value);
		assert_true(a >= 0);
		ours += a;
	}
	assert_int_equal(r, 0);
	assert_int_equal(ours, 5);
	assert_string_equal(o.resume, "LABEL=snap img");
	assert_int_equal(o.resumedelay, 3);
	assert_int_equal(o.timeout, 30);
	assert_true(o.keep);
	assert_true(o.noresume);
}

/* ---- conf_next --------------------------------------------------------- */

static void test_conf_basic(void **state)
{
	const char *cursor = "# snapwrite.conf\n"
			     "\n"
			     "target=/dev/vg/snap\n"
			     "   workers = 4  \n"
			     "\t# indented comment\n"
			     "   \t  \n"
			     "mode=\"rollback\"\n"
			     "label = \" spaced value \"\n"
			     "empty=\n"
			     "eq=a=b\n"
			     "crlf=yes\r\n"
			     "last=no-newline";
	static const struct {
		const char *key, *value;
		unsigned line;
	} want[] = {
		{"target", "/dev/vg/snap", 3}, {"workers", "4", 4},  {"mode", "rollback", 7},
		{"label", " spaced value ", 8}, {"empty", "", 9},    {"eq", "a=b", 10},
		{"crlf", "yes", 11},            {"last", "no-newline", 12},
	};
	const char *key, *value;
	char buf[128];
	unsigned line = 0;
	size_t i = 0;
	int r;

	(void)state;
	while ((r = conf_next(&cursor, buf, sizeof(buf), &key, &value, &line)) == 1) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_string_equal(key, want[i].key);
		assert_string_equal(value, want[i].value);
		assert_int_equal(line, want[i].line);
		i++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(i, sizeof(want) / sizeof(want[0]));
}

static void test_conf_errors_continue(void **state)
{
	const char *cursor = "a=1\n"
			     "this line has no equals sign\n"
			     "b=2\n"
			     "= no key\n"
			     "\n"
			     "c=3\n";
	const char *key, *value;
	char buf[128];
	unsigned line = 0;

	(void)state;
	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 1);
	assert_string_equal(key, "a");
	assert_int_equal(line, 1);

	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), -EINVAL);
	assert_int_equal(line, 2);

	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 1);
	assert_string_equal(key, "b");
	assert_string_equal(value, "2");
	assert_int_equal(line, 3);

	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), -EINVAL);
	assert_int_equal(line, 4);

	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 1);
	assert_string_equal(key, "c");
	assert_string_equal(value, "3");
	assert_int_equal(line, 6);

	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 0);
}

static void test_conf_long_line(void **state)
{
	char text[256];
	const char *cursor = text, *key, *value;
	char buf[16];
	unsigned line = 0;

	(void)state;
	snprintf(text, sizeof(text), "a=1\nkey=%s\nb=2\n", "a-value-far-too-long-for-buf");
	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 1);
	/* A line that does not fit is an error of its own line ... */
	assert_true(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line) < 0);
	assert_int_equal(line, 2);
	/* ... and the next line is read normally. */
	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 1);
	assert_string_equal(key, "b");
	assert_int_equal(line, 3);
	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 0);
}

static void test_conf_empty(void **state)
{
	const char *cursor, *key, *value;
	char buf[16];
	unsigned line = 0;

	(void)state;
	cursor = "";
	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 0);
	cursor = "# only\n\n   # comments\n";
	assert_int_equal(conf_next(&cursor, buf, sizeof(buf), &key, &value, &line), 0);
	assert_int_equal(line, 3);
}

/* ---- numbers ----------------------------------------------------------- */

static void test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551614", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX - 1);

	/* Overflow by one, by a digit, and far beyond. */
	v = 42;
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("18446744073709551620", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("184467440737095516150", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);

	/* Range. */
	assert_int_equal(parse_u64("9", 10, 20, &v), -ERANGE);
	assert_int_equal(parse_u64("21", 10, 20, &v), -ERANGE);
	assert_int_equal(parse_u64("10", 10, 20, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_u64("20", 10, 20, &v), 0);
	assert_int_equal(v, 20);

	/* Not a plain decimal number. */
	v = 42;
	assert_int_equal(parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("1e3", 0, 10000, &v), -EINVAL);
	assert_int_equal(parse_u64("1.5", 0, 10, &v), -EINVAL);
	/* Written only on success. */
	assert_int_equal(v, 42);
}

static void test_parse_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size("4096", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("4K", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("4k", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("3M", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 3ull << 20);
	assert_int_equal(parse_size("3m", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 3ull << 20);
	assert_int_equal(parse_size("5G", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 5ull << 30);
	assert_int_equal(parse_size("5g", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 5ull << 30);
	assert_int_equal(parse_size("0G", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);

	/* The largest multiples that fit, and one unit more. */
	assert_int_equal(parse_size("18014398509481983K", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX - 1023);
	assert_int_equal(parse_size("18014398509481984K", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_size("17179869183G", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 17179869183ull << 30);
	assert_int_equal(parse_size("17179869184G", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);

	/* The range applies to the value in bytes. */
	assert_int_equal(parse_size("1K", 0, 1023, &v), -ERANGE);
	assert_int_equal(parse_size("1K", 1025, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_size("1K", 1024, 1024, &v), 0);

	v = 42;
	assert_int_equal(parse_size("", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size(NULL, 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("K", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("-1K", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("+1K", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("1KB", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("1KK", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("1T", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("1 K", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_size("K1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 42);
}

/* ---- device specs ------------------------------------------------------ */

static void test_blockdev_spec_check(void **state)
{
	static const char *const good[] = {
		"/dev/sda2", "/dev/mapper/vg-snap", "UUID=1234-ABCD", "PARTUUID=0b5c7a21-02",
		"LABEL=x", "PARTLABEL=swap space",
	};
	static const char *const bad[] = {
		"", "sda2", "dev/sda2", "UUID=", "PARTUUID=", "LABEL=", "PARTLABEL=", "UUID",
		"uuid=1234", "Label=x", "ID=1", "=x", " /dev/sda", "8:2",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (blockdev_spec_check(good[i]) != 0)
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (blockdev_spec_check(bad[i]) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(blockdev_spec_check(NULL), -EINVAL);
}

/* ---- string helpers ---------------------------------------------------- */

/* read_text_file: whole small files, never a silent cut. */
static void test_read_text_file(void **state)
{
	char path[] = "/tmp/test-parse-read.XXXXXX", buf[8];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(read_text_file(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(write(fd, "a=1\nb=2", 7), 7); /* exactly size - 1 */
	assert_int_equal(read_text_file(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a=1\nb=2");
	assert_int_equal(write(fd, "3", 1), 1);
	assert_int_equal(read_text_file(path, buf, sizeof(buf)), -EFBIG);
	close(fd);
	unlink(path);
	assert_int_equal(read_text_file(path, buf, sizeof(buf)), -ENOENT);
}

static void test_strings(void **state)
{
	char s[32], pad[8];

	(void)state;
	strcpy(s, " \t value with  spaces \r\n");
	assert_string_equal(strstrip(s), "value with  spaces");
	strcpy(s, "   ");
	assert_string_equal(strstrip(s), "");

	memset(pad, 'x', sizeof(pad));
	strncpy_pad(pad, "ab", sizeof(pad));
	assert_memory_equal(pad, "ab\0\0\0\0\0\0", 8);
	strncpy_pad(pad, "0123456789", sizeof(pad));
	assert_memory_equal(pad, "0123456\0", 8);
}

/* Read-ahead memory: what the kernel will take, then three quarters of
 * the rest of free memory; without knowing it, the old bound. */
static void test_readahead_spare(void **state)
{
	const uint64_t gib = 1024 * 1024; /* KiB */

	(void)state;
	/* 1 GiB, 900000 KiB free, the kernel takes 120000 pages: 480000
	 * KiB, 3750 for its lists, a reserve of 32 MiB. */
	assert_int_equal(resume_readahead_spare(gib, 900000, 950000, 120000),
			 (900000 - 480000 - 3750 - 32768) / 4 * 3 * 1024);
	/* Nothing left, or just nothing. */
	assert_int_equal(resume_readahead_spare(gib, 500000, 950000, 120000), 0);
	assert_int_equal(resume_readahead_spare(gib, 516518, 950000, 120000), 0);
	/* A larger machine keeps MemTotal / 32 back. */
	assert_int_equal(resume_readahead_spare(16 * gib, 15 * gib, 15 * gib, 1000000),
			 (15 * gib - 4000000 - 31250 - gib / 2) / 4 * 3 * 1024);
	/* Unknown: half of what MemAvailable has beyond half the RAM. */
	assert_int_equal(resume_readahead_spare(gib, 900000, 800000, 0),
			 (800000 - gib / 2) / 2 * 1024);
	assert_int_equal(resume_readahead_spare(gib, 900000, gib / 2, 0), 0);
	/* Nonsense from a damaged record does not wrap around. */
	assert_int_equal(resume_readahead_spare(gib, 900000, 950000, UINT64_MAX / 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_words),
		cmocka_unit_test(test_cmdline_quotes),
		cmocka_unit_test(test_cmdline_ends),
		cmocka_unit_test(test_cmdline_too_long),
		cmocka_unit_test(test_resume_opts_defaults),
		cmocka_unit_test(test_resume_opts_resume),
		cmocka_unit_test(test_resume_opts_noresume),
		cmocka_unit_test(test_resume_opts_numbers),
		cmocka_unit_test(test_resume_opts_workers),
		cmocka_unit_test(test_resume_opts_flags),
		cmocka_unit_test(test_resume_opts_unknown),
		cmocka_unit_test(test_resume_offset),
		cmocka_unit_test(test_resume_opts_from_cmdline),
		cmocka_unit_test(test_conf_basic),
		cmocka_unit_test(test_conf_errors_continue),
		cmocka_unit_test(test_conf_long_line),
		cmocka_unit_test(test_conf_empty),
		cmocka_unit_test(test_resume_opts_luks),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_blockdev_spec_check),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_read_text_file),
		cmocka_unit_test(test_readahead_spare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
