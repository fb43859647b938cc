/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sleepconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* "2h", "30min 10s", "90" (seconds), "infinity": microseconds. */
int parse_timespan_usec(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{"usec", 1},           {"us", 1},
		{"msec", 1000},        {"ms", 1000},
		{"seconds", 1000000},  {"second", 1000000}, {"sec", 1000000}, {"s", 1000000},
		{"minutes", 60000000}, {"minute", 60000000}, {"min", 60000000}, {"m", 60000000},
		{"hours", 3600000000}, {"hour", 3600000000}, {"hr", 3600000000}, {"h", 3600000000},
		{"days", 86400000000}, {"day", 86400000000}, {"d", 86400000000},
		{"weeks", 604800000000}, {"week", 604800000000}, {"w", 604800000000},
	};
	uint64_t total = 0;
	bool any = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strcmp(s, "infinity") == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	while (*s) {
		char *end;
		unsigned long long v;
		uint64_t mult = 1000000;
		size_t i;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno)
			return -EINVAL;
		s = end;
		while (*s == ' ')
			s++;
		for (i = 0; i < ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].suffix);

			if (strncmp(s, units[i].suffix, n) == 0 &&
			    (s[n] == 0 || s[n] == ' ' || (s[n] >= '0' && s[n] <= '9'))) {
				mult = units[i].usec;
				s += n;
				break;
			}
		}
		if (i == ARRAY_SIZE(units) && *s && !(*s >= '0' && *s <= '9'))
			return -EINVAL;
		if (v > UINT64_MAX / mult || total + v * mult < total)
			return -ERANGE;
		total += v * mult;
		any = true;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	if (!any)
		return -EINVAL;
	*ret = total;
	return 0;
}

static void sleep_conf_apply(struct sleep_conf *c, const char *path)
{
	char text[16384];
	bool in_sleep = false;

	if (read_text_file(path, text, sizeof(text)) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *val;

		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || *line == ';' || !*line)
			continue;
		if (*line == '[') {
			in_sleep = strncmp(line, "[Sleep]", 7) == 0;
			continue;
		}
		eq = strchr(line, '=');
		if (!in_sleep || !eq)
			continue;
		*eq = 0;
		key = line;
		val = eq + 1;
		for (char *e = key + strlen(key); e > key && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = 0;
		while (*val == ' ' || *val == '\t')
			val++;
		for (char *e = val + strlen(val); e > val && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = 0;
		if (strcmp(key, "HibernateDelaySec") == 0) {
			if (parse_timespan_usec(val, &c->hibernate_delay_usec) < 0)
				log_msg("%s: bad HibernateDelaySec '%s', ignoring", path, val);
		} else if (strcmp(key, "SuspendEstimationSec") == 0) {
			if (parse_timespan_usec(val, &c->estimation_usec) < 0)
				log_msg("%s: bad SuspendEstimationSec '%s', ignoring", path, val);
		} else if (strcmp(key, "SuspendState") == 0) {
			snprintf(c->suspend_state, sizeof(c->suspend_state), "%s", val);
		} else if (strcmp(key, "MemorySleepMode") == 0) {
			snprintf(c->mem_sleep_mode, sizeof(c->mem_sleep_mode), "%s", val);
		}
	}
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* systemd's order: the main file, then the drop-ins of every directory
 * sorted by file name as one list, a name in an earlier directory hiding
 * the same name in a later one. */
void sleep_conf_read(const char *root, struct sleep_conf *c)
{
	static const char *const dirs[] = {
		"/etc/systemd/sleep.conf.d",           "/run/systemd/sleep.conf.d",
		"/usr/local/lib/systemd/sleep.conf.d", "/usr/lib/systemd/sleep.conf.d",
		"/lib/systemd/sleep.conf.d",
	};
	char *names[128];
	const char *where[128];
	size_t n = 0;
	char path[512];

	*c = (struct sleep_conf){
		.hibernate_delay_usec = 2 * 3600 * UINT64_C(1000000),
		.estimation_usec = 3600 * UINT64_C(1000000),
		.suspend_state = "mem standby freeze",
	};
	snprintf(path, sizeof(path), "%s/etc/systemd/sleep.conf", root);
	sleep_conf_apply(c, path);
	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		DIR *dir;
		struct dirent *e;

		snprintf(path, sizeof(path), "%s%s", root, dirs[d]);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((e = readdir(dir)) && n < ARRAY_SIZE(names)) {
			size_t len = strlen(e->d_name);
			bool seen = false;

			if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
				continue;
			for (size_t i = 0; i < n; i++)
				seen |= strcmp(names[i], e->d_name) == 0;
			if (seen)
				continue;
			names[n] = strdup(e->d_name);
			if (!names[n])
				break;
			where[n++] = dirs[d];
		}
		closedir(dir);
	}
	/* Sort names, keeping each one's directory with it. */
	for (size_t i = 0; i < n; i++) {
		char *tmp = malloc(strlen(names[i]) + strlen(where[i]) + 2);

		if (!tmp)
			continue;
		sprintf(tmp, "%s/%s", names[i], where[i]);
		free(names[i]);
		names[i] = tmp;
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char *slash = strchr(names[i], '/');

		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s%s/%s", root, slash + 1, names[i]);
			sleep_conf_apply(c, path);
		}
		free(names[i]);
	}
}

