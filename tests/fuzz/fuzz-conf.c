/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the configuration file parser, and snapresume's use of it
 * (/etc/snapresume.conf in the initramfs). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), buf[128];
	const char *cursor, *key, *value;
	unsigned line = 0, prev = 0;
	struct resume_opts o;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	resume_opts_init(&o);
	cursor = text;
	while ((r = conf_next(&cursor, buf, sizeof(buf), &key, &value, &line)) != 0) {
		/* Every call consumes at least one line: no endless loop. */
		assert(line > prev);
		prev = line;
		if (r > 0) {
			assert(*key && !strchr(key, '=') && strlen(value) < sizeof(buf));
			resume_opts_apply_conf(&o, key, value);
		}
	}
	/* Whatever the file says, the settings stay in their bounds. */
	assert(strlen(o.keyfile) < sizeof(o.keyfile) && (!o.keyfile[0] || o.keyfile[0] == '/'));
	assert(o.tries >= 1 && o.tries <= 100);
	assert(o.unlock_fail <= UNLOCK_FAIL_POWEROFF);
	assert(!o.resume[0] && !o.noresume);
	free(text);
	return 0;
}
