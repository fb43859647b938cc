/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of what "snapwrite setup" writes (setupedit.h): resume= and
 * resume_offset= set in a kernel command line, GRUB's drop-in, and the
 * state file that "setup --undo" restores from.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "setupedit.h"

static void expect_cmdline(const char *in, const char *resume, uint64_t off, bool with_off,
			   const char *want, const char *want_old)
{
	char out[256], old[64];

	assert_int_equal(cmdline_set_resume(in, resume, off, with_off, out, sizeof(out), old,
					    sizeof(old)),
			 0);
	assert_string_equal(out, want);
	assert_string_equal(old, want_old);
}

static void test_cmdline_add(void **state)
{
	(void)state;
	expect_cmdline("", "PARTUUID=1-2", 0, false, "resume=PARTUUID=1-2", "");
	expect_cmdline("root=/dev/vda ro quiet\n", "/dev/vdb", 0, false,
		       "root=/dev/vda ro quiet resume=/dev/vdb", "");
	expect_cmdline("  root=/dev/vda\t ro  ", "UUID=ab", 8448, true,
		       "root=/dev/vda ro resume=UUID=ab resume_offset=8448", "");
	/* A key that only starts like resume= is another word. */
	expect_cmdline("resumedelay=3 noresume_x", "/dev/vdb", 0, false,
		       "resumedelay=3 noresume_x resume=/dev/vdb", "");
}

static void test_cmdline_replace(void **state)
{
	(void)state;
	/* In place, the old value said; duplicates go. */
	expect_cmdline("root=/dev/vda resume=/dev/vda2 ro resume=/dev/sdb", "PARTUUID=x", 0, false,
		       "root=/dev/vda resume=PARTUUID=x ro", "/dev/vda2");
	expect_cmdline("resume=UUID=a resume_offset=1 quiet resume_offset=2", "UUID=b", 77, true,
		       "resume=UUID=b resume_offset=77 quiet", "UUID=a");
	/* A device target has no offset: an old one must not stay. */
	expect_cmdline("resume=UUID=a resume_offset=1 quiet", "/dev/vdb", 0, false,
		       "resume=/dev/vdb quiet", "UUID=a");
	/* Quoted words stay whole. */
	expect_cmdline("a=\"x resume=y\" b", "/dev/vdb", 0, false,
		       "a=\"x resume=y\" b resume=/dev/vdb", "");
	/* Setting what is there changes nothing. */
	expect_cmdline("ro resume=UUID=b resume_offset=77", "UUID=b", 77, true,
		       "ro resume=UUID=b resume_offset=77", "UUID=b");
}

static void test_cmdline_refused(void **state)
{
	char out[32], old[8];

	(void)state;
	assert_int_equal(cmdline_set_resume("ro", "a b", 0, false, out, sizeof(out), old, 8),
			 -EINVAL);
	assert_int_equal(cmdline_set_resume("ro", "", 0, false, out, sizeof(out), old, 8), -EINVAL);
	assert_int_equal(cmdline_set_resume("ro", "$(reboot)", 0, false, out, sizeof(out), old, 8),
			 -EINVAL);
	assert_int_equal(cmdline_set_resume("root=/dev/vda ro quiet splash", "/dev/vdb", 0, false,
					    out, sizeof(out), old, 8),
			 -ENOBUFS);
	assert_int_equal(cmdline_set_resume("resume=/dev/much-too-long", "/dev/vdb", 0, false, out,
					    sizeof(out), old, 8),
			 -ENOBUFS);
}

static void expect_conf(const char *in, const char *want)
{
	char *out;
	size_t len;

	assert_int_equal(conf_set_target(in, "PARTUUID=ab", &out, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(out, want);
	free(out);
}

static void test_conf_target(void **state)
{
	(void)state;
	expect_conf("", "target=PARTUUID=ab\n");
	expect_conf("# mine\nworkers=2", "# mine\nworkers=2\ntarget=PARTUUID=ab\n");
	expect_conf("a=1\n  target = /dev/vdb\nb=2\ntarget=/dev/vdc\n",
		    "a=1\ntarget=PARTUUID=ab\nb=2\n");
	/* Comments and other keys that start with target stay. */
	expect_conf("# target=/dev/old\ntargets=x\n", "# target=/dev/old\ntargets=x\ntarget=PARTUUID=ab\n");
	expect_conf("target=PARTUUID=ab\n", "target=PARTUUID=ab\n");
}

static void test_grub_dropin(void **state)
{
	char out[1024], small[40];

	(void)state;
	assert_int_equal(grub_dropin_text("PARTUUID=ab-01", 0, false, out, sizeof(out)), 0);
	assert_non_null(
		strstr(out, "\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX resume=PARTUUID=ab-01\"\n"));
	assert_int_equal(grub_dropin_text("UUID=x", 34816, true, out, sizeof(out)), 0);
	assert_non_null(strstr(
		out, "\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX resume=UUID=x resume_offset=34816\"\n"));
	assert_int_equal(grub_dropin_text("\"; rm -rf /", 0, false, out, sizeof(out)), -EINVAL);
	assert_int_equal(grub_dropin_text("UUID=x", 0, false, small, sizeof(small)), -ENOBUFS);
}

static void test_state_roundtrip(void **state)
{
	struct setup_state s = {0}, d;
	char *buf;
	size_t len;

	(void)state;
	strcpy(s.target, "PARTUUID=1234-02");
	assert_int_equal(setup_state_add(&s, "/etc/default/grub.d", true, 0755, NULL, 0, NULL, 0),
			 0);
	assert_int_equal(setup_state_add(&s, "/etc/snapwrite.conf", false, 0640, "target=/dev/vdb\n",
					 16, "target=PARTUUID=1234-02\n", 24),
			 0);
	/* No newline at the end, and a byte 0: content is bytes. */
	assert_int_equal(setup_state_add(&s, "/etc/kernel/cmdline", false, 0644, "ro\0x", 4,
					 "ro resume=/dev/vdb", 18),
			 0);
	assert_int_equal(setup_state_add(&s, "/etc/default/grub.d/snapresume.cfg", false, 0644,
					 NULL, 0, "G=1\n", 4),
			 0);
	assert_int_equal(setup_state_encode(&s, &buf, &len), 0);
	assert_int_equal(setup_state_decode(buf, len, &d), 0);
	assert_string_equal(d.target, "PARTUUID=1234-02");
	assert_int_equal(d.n, 4);
	assert_true(d.files[0].dir);
	assert_string_equal(d.files[0].path, "/etc/default/grub.d");
	assert_false(d.files[1].dir);
	assert_true(d.files[1].existed);
	assert_int_equal(d.files[1].mode, 0640);
	assert_int_equal(d.files[1].before_len, 16);
	assert_memory_equal(d.files[1].before, "target=/dev/vdb\n", 16);
	assert_int_equal(d.files[1].after_len, 24);
	assert_memory_equal(d.files[2].before, "ro\0x", 4);
	assert_memory_equal(d.files[2].after, "ro resume=/dev/vdb", 18);
	assert_false(d.files[3].existed);
	assert_null(d.files[3].before);
	assert_memory_equal(d.files[3].after, "G=1\n", 4);

	/* Truncated anywhere, or one byte changed in a count: refused. */
	for (size_t cut = 0; cut < len; cut++) {
		struct setup_state t;
		int r = setup_state_decode(buf, cut, &t);

		if (r == 0) {
			/* Only a cut right after a whole entry may parse. */
			assert_true(cut > 0 && buf[cut - 1] == '\n');
			assert_true(t.n < 4);
			setup_state_done(&t);
		} else {
			assert_int_equal(r, -EBADMSG);
		}
	}
	free(buf);
	setup_state_done(&d);
	setup_state_done(&s);
}

static void test_state_keeps_first_before(void **state)
{
	struct setup_state s = {0};

	(void)state;
	assert_int_equal(setup_state_add(&s, "/etc/x", false, 0644, NULL, 0, "one", 3), 0);
	/* A second setup (another target): before stays "did not exist". */
	assert_int_equal(setup_state_add(&s, "/etc/x", false, 0644, "one", 3, "two", 3), 0);
	assert_int_equal(s.n, 1);
	assert_false(s.files[0].existed);
	assert_memory_equal(s.files[0].after, "two", 3);
	assert_int_equal(setup_state_add(&s, "/etc/with space", false, 0644, NULL, 0, "", 0),
			 -EINVAL);
	assert_non_null(setup_state_find(&s, "/etc/x"));
	assert_null(setup_state_find(&s, "/etc/y"));
	setup_state_done(&s);
}

static void test_state_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"snapwrite-setup 2\ntarget x\n",
		"snapwrite-setup 1\n",
		"snapwrite-setup 1\ntarget x\nfile /a 0644 - 5\nabc\n",
		"snapwrite-setup 1\ntarget x\nfile /a 0644 - 3\nabcX",
		"snapwrite-setup 1\ntarget x\nfile /a 0644 -1 3\nabc\n",
		"snapwrite-setup 1\ntarget x\nfile /a 99999 - 3\nabc\n",
		"snapwrite-setup 1\ntarget x\nfile /a 0644 - 1\na\nfile /a 0644 - 1\nb\n",
		"snapwrite-setup 1\ntarget x\nwhat /a\n",
	};
	struct setup_state s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (setup_state_decode(bad[i], strlen(bad[i]), &s) != -EBADMSG)
			fail_msg("state file %zu was taken", i);
	assert_int_equal(setup_state_decode("snapwrite-setup 1\ntarget x\n", 27, &s), 0);
	assert_int_equal(s.n, 0);
	setup_state_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_add),
		cmocka_unit_test(test_cmdline_replace),
		cmocka_unit_test(test_cmdline_refused),
		cmocka_unit_test(test_conf_target),
		cmocka_unit_test(test_grub_dropin),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_state_keeps_first_before),
		cmocka_unit_test(test_state_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
