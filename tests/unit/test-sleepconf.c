/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of sleepconf.h: systemd's time spans, and sleep.conf with its
 * drop-ins read in systemd's order (a scratch root stands for "/").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sleepconf.h"

#define SEC UINT64_C(1000000)

static void test_timespan(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_timespan_usec("90", &v), 0);
	assert_true(v == 90 * SEC);
	assert_int_equal(parse_timespan_usec("2h", &v), 0);
	assert_true(v == 7200 * SEC);
	assert_int_equal(parse_timespan_usec("1h 30min", &v), 0);
	assert_true(v == 5400 * SEC);
	assert_int_equal(parse_timespan_usec("1h30min5s", &v), 0);
	assert_true(v == 5405 * SEC);
	assert_int_equal(parse_timespan_usec(" 20s", &v), 0);
	assert_true(v == 20 * SEC);
	assert_int_equal(parse_timespan_usec("500ms", &v), 0);
	assert_true(v == SEC / 2);
	assert_int_equal(parse_timespan_usec("1d", &v), 0);
	assert_true(v == 86400 * SEC);
	assert_int_equal(parse_timespan_usec("infinity", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_timespan_usec("", &v), -EINVAL);
	assert_int_equal(parse_timespan_usec("h", &v), -EINVAL);
	assert_int_equal(parse_timespan_usec("10 parsecs", &v), -EINVAL);
	assert_int_equal(parse_timespan_usec("-5s", &v), -EINVAL);
	assert_int_equal(parse_timespan_usec("99999999999999999999", &v), -EINVAL);
	assert_int_equal(parse_timespan_usec("9999999999999w", &v), -ERANGE);
}

static void put(const char *root, const char *path, const char *text)
{
	char full[512], dir[512];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(dir, sizeof(dir), "%s", full);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(dir, 0755);
		*p = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_defaults(void **state)
{
	char root[] = "/tmp/sleepconf-XXXXXX";
	struct sleep_conf c;

	(void)state;
	assert_non_null(mkdtemp(root));
	sleep_conf_read(root, &c);
	assert_true(c.hibernate_delay_usec == 7200 * SEC);
	assert_true(c.estimation_usec == 3600 * SEC);
	assert_string_equal(c.suspend_state, "mem standby freeze");
	assert_string_equal(c.mem_sleep_mode, "");
	rmdir(root);
}

static void test_order(void **state)
{
	char root[] = "/tmp/sleepconf-XXXXXX", cmd[128];
	struct sleep_conf c;

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "/etc/systemd/sleep.conf",
	    "# the main file\n[Sleep]\nHibernateDelaySec=10min\nSuspendState=freeze\n"
	    "[Other]\nMemorySleepMode=s2idle\n");
	sleep_conf_read(root, &c);
	assert_true(c.hibernate_delay_usec == 600 * SEC);
	assert_string_equal(c.suspend_state, "freeze");
	assert_string_equal(c.mem_sleep_mode, ""); /* not in [Sleep] */

	/* Drop-ins after the main file, by file name across directories. */
	put(root, "/usr/lib/systemd/sleep.conf.d/10-vendor.conf",
	    "[Sleep]\nHibernateDelaySec=1h\nMemorySleepMode=deep\n");
	put(root, "/etc/systemd/sleep.conf.d/20-admin.conf",
	    "[Sleep]\n  HibernateDelaySec = 20s \nSuspendEstimationSec=5min\n");
	sleep_conf_read(root, &c);
	assert_true(c.hibernate_delay_usec == 20 * SEC);
	assert_true(c.estimation_usec == 300 * SEC);
	assert_string_equal(c.mem_sleep_mode, "deep");

	/* The same name in /etc hides the one in /usr/lib; a later name wins. */
	put(root, "/etc/systemd/sleep.conf.d/10-vendor.conf", "[Sleep]\n");
	put(root, "/run/systemd/sleep.conf.d/30-run.conf", "[Sleep]\nSuspendState=mem\n");
	sleep_conf_read(root, &c);
	assert_string_equal(c.mem_sleep_mode, "");
	assert_string_equal(c.suspend_state, "mem");
	assert_true(c.hibernate_delay_usec == 20 * SEC);

	/* A bad value is stepped over; not a .conf file is not read. */
	put(root, "/etc/systemd/sleep.conf.d/40-bad.conf", "[Sleep]\nHibernateDelaySec=soon\n");
	put(root, "/etc/systemd/sleep.conf.d/50-off.conf.disabled",
	    "[Sleep]\nHibernateDelaySec=1s\n");
	sleep_conf_read(root, &c);
	assert_true(c.hibernate_delay_usec == 20 * SEC);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timespan),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
