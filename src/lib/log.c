/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *prog = "snapresume";
static bool debug, quiet;

void log_init(const char *program)
{
	prog = program;
}

void log_set_debug(bool on)
{
	debug = on;
}

void log_set_quiet(bool on)
{
	quiet = on;
}

static void vlog(const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[1024];

	/* One write per line, so that lines from several processes on one
	 * console do not interleave. */
	int n = snprintf(buf, sizeof(buf), "%s: ", prog);
	errno = saved;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	fprintf(stderr, "%s\n", buf);
	fflush(stderr);
	errno = saved;
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_libcryptsetup(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level == CRYPT_LOG_DEBUG || level == CRYPT_LOG_DEBUG_JSON)
		return;
	log_debug("libcryptsetup: %.*s", (int)strcspn(msg, "\n"), msg);
}
