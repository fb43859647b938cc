/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What status and check print: "key: value" lines, or JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <blkid.h>
#include <getopt.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "blockdev.h"
#include "fsguard.h"
#include "devprobe.h"
#include "format/format.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "options.h"
#include "pipeline.h"
#include "systemd.h"
#include "snapdev.h"
#include "target.h"
#include "util.h"


#include "snapshot.h"
#include "snapwrite.h"

/* value as a JSON string, quotes included. */
void json_string(const char *value)
{
	putchar('"');
	for (const char *c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

static void out_raw(struct out *o, const char *key, const char *value, bool quote)
{
	if (!o->json) {
		printf("%s: %s\n", key, value);
		return;
	}
	printf("%s\n  \"%s\": ", o->any ? "," : "{", key);
	o->any = true;
	if (quote)
		json_string(value);
	else
		fputs(value, stdout);
}

void out_str(struct out *o, const char *key, const char *value)
{
	out_raw(o, key, value, true);
}

void out_u64(struct out *o, const char *key, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	out_raw(o, key, b, false);
}

void out_secs(struct out *o, const char *key, uint64_t ns)
{
	char b[32];
	snprintf(b, sizeof(b), "%.3f", (double)ns / 1e9);
	out_raw(o, key, b, false);
}

void out_end(struct out *o)
{
	if (o->json)
		printf("%s}\n", o->any ? "\n" : "{");
}
