/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the kernel command line splitter and the resume options. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), word[64];
	const char *cursor, *key, *value;
	struct resume_opts o;
	int r, words = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	resume_opts_init(&o);
	cursor = text;
	while ((r = cmdline_next(&cursor, word, sizeof(word), &key, &value)) != 0) {
		assert(cursor >= text && cursor <= text + strlen(text));
		assert(++words <= (int)size + 1);
		if (r > 0) {
			assert(strlen(key) < sizeof(word));
			resume_opts_apply(&o, key, value);
		}
	}
	assert(strlen(o.resume) < sizeof(o.resume));
	assert(o.resumedelay <= 3600 && o.timeout <= 3600);
	free(text);
	return 0;
}
