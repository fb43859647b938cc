/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the configuration file parser. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), buf[128];
	const char *cursor, *key, *value;
	unsigned line = 0, prev = 0;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cursor = text;
	while ((r = conf_next(&cursor, buf, sizeof(buf), &key, &value, &line)) != 0) {
		/* Every call consumes at least one line: no endless loop. */
		assert(line > prev);
		prev = line;
		if (r > 0)
			assert(*key && !strchr(key, '=') && strlen(value) < sizeof(buf));
	}
	free(text);
	return 0;
}
