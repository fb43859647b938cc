/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sysinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "format/format.h"
#include "util.h"

uint64_t meminfo_kib(const char *key)
{
	char line[256];
	uint64_t v = 0;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

int identity_read(struct identity *ret)
{
	struct utsname u;
	FILE *f;
	char line[256];
	struct identity id = {0};

	if (uname(&u) < 0)
		return -errno;
	strncpy_pad(id.kernel_release, u.release, sizeof(id.kernel_release));
	strncpy_pad(id.kernel_version, u.version, sizeof(id.kernel_version));

	id.mem_total_kib = meminfo_kib("MemTotal");

	/* Firmware without a UUID reports all zeros or all ones: no identity. */
	f = fopen("/sys/class/dmi/id/product_uuid", "re");
	if (f) {
		if (fgets(line, sizeof(line), f) && image_uuid_parse(line, id.machine) == 0) {
			static const uint8_t zeros[16], ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
								    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
								    0xff, 0xff, 0xff, 0xff};
			id.has_machine = memcmp(id.machine, zeros, 16) != 0 &&
					 memcmp(id.machine, ones, 16) != 0;
		}
		fclose(f);
	}
	*ret = id;
	return 0;
}

uint64_t peak_rss_kib(void)
{
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %" SCNu64 " kB", &v) == 1)
			break;
	fclose(f);
	return v;
}
