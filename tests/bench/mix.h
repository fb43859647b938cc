/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The benchmark's memory mix, shared by the guest workload (benchload.c)
 * and the host micro-benchmark (pipebench.c), so both move the same kind
 * of bytes: one third random, one third text-like (lz4 compresses it about
 * 2-3x), one third zero or same-filled pages.
 *
 * Everything is derived from a seed, so a region can be regenerated and
 * compared, and a checksum over it is reproducible.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MIX_PAGE 4096u

/* splitmix64: small, fast, good enough for filling memory. */
static inline uint64_t mix_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Incompressible bytes. */
static inline void mix_fill_random(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed, *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = mix_next(&s);
}

/*
 * Text-like bytes: words of a made-up vocabulary, chosen with a skew so that
 * short common words repeat the way they do in prose, with punctuation,
 * numbers and line breaks, and phrases that come back within the page: lz4 -1
 * makes it about 2.6 times smaller, even with the pages shuffled.
 */
#define MIX_VOCAB 4096u
#define MIX_WORD_MAX 12u
#ifndef MIX_REPEAT
#define MIX_REPEAT 60u /* in 256ths: how often a phrase repeats */
#endif

struct mix_text {
	uint64_t state;
	char words[MIX_VOCAB][MIX_WORD_MAX];
	uint8_t lens[MIX_VOCAB];
};

static inline void mix_text_init(struct mix_text *t, uint64_t seed)
{
	static const char letters[] = "etaoinshrdlcumwfgypbvkjxqz";
	uint64_t s = seed ^ 0x5eedf00dull;

	for (unsigned i = 0; i < MIX_VOCAB; i++) {
		/* Frequent words (small index) are short. */
		unsigned len = 2 + (unsigned)(mix_next(&s) % (i < 64 ? 3 : 9));
		for (unsigned j = 0; j < len; j++) {
			/* Skewed towards the frequent letters. */
			uint64_t r = mix_next(&s);
			unsigned k = (unsigned)((r & 0xff) * ((r >> 8) & 0xff) / 255 * 26 / 256);
			t->words[i][j] = letters[k];
		}
		t->lens[i] = (uint8_t)len;
	}
	t->state = seed;
}

static inline void mix_fill_text(struct mix_text *t, void *buf, size_t len)
{
	char *p = buf, *end = p + len;
	unsigned in_sentence = 0;
	while (p < end) {
		uint64_t r = mix_next(&t->state);

		/* Zipf-like: the product of two uniform numbers favours
		 * small indexes. */
		unsigned a = (unsigned)(r & 0xfff), b = (unsigned)((r >> 12) & 0xfff);
		unsigned idx = (unsigned)((uint64_t)a * b / MIX_VOCAB * ((r >> 40) & 0xfff) / MIX_VOCAB);
		unsigned ev = (unsigned)((r >> 24) & 0xff);

		/* Often a phrase comes back: copy 16-79 bytes from a little
		 * earlier in the same page, as prose, code and logs do.  Within
		 * the page: the snapshot orders pages by physical address, so
		 * their neighbours in the image are unrelated. */
		size_t in_page = (size_t)(p - (char *)buf) % MIX_PAGE;
		size_t back = 16 + (size_t)((r >> 52) & 0x7ff);
		if (ev >= 100 && ev < 100 + MIX_REPEAT && back <= in_page) {
			size_t cl = 16 + (size_t)(b & 63);
			if (cl > (size_t)(end - p))
				cl = (size_t)(end - p);
			memmove(p, p - back, cl);
			p += cl;
			continue;
		}

		const char *w = t->words[idx];
		unsigned wl = t->lens[idx];
		char tmp[32];
		unsigned n = 0;

		if (ev < 6) {
			/* A number now and then. */
			n = (unsigned)(a % 100000);
			int k = 0;
			char d[8];
			do {
				d[k++] = (char)('0' + n % 10);
				n /= 10;
			} while (n);
			n = 0;
			while (k)
				tmp[n++] = d[--k];
		} else {
			memcpy(tmp, w, wl);
			n = wl;
			if (in_sentence == 0)
				tmp[0] = (char)(tmp[0] - 'a' + 'A');
		}
		in_sentence++;
		if (ev >= 240 || in_sentence > 20) {
			tmp[n++] = '.';
			in_sentence = 0;
			tmp[n++] = (ev & 7) == 0 ? '\n' : ' ';
		} else if (ev >= 225) {
			tmp[n++] = ',';
			tmp[n++] = ' ';
		} else {
			tmp[n++] = ' ';
		}
		if (n > (unsigned)(end - p))
			n = (unsigned)(end - p);
		memcpy(p, tmp, n);
		p += n;
	}
}

/* Same-filled pages: every other page is zero, the others repeat one
 * byte value that changes from page to page. */
static inline void mix_fill_same(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;

	for (size_t off = 0; off < len; off += MIX_PAGE) {
		size_t n = len - off < MIX_PAGE ? len - off : MIX_PAGE;
		uint64_t s = seed + off / MIX_PAGE;
		uint8_t v = (off / MIX_PAGE) % 2 == 0 ? 0 : (uint8_t)(mix_next(&s) | 1);
		memset(p + off, v, n);
	}
}

/* A fast 64-bit checksum to check memory after the resume (not for
 * security: an accidental change shows). */
static inline uint64_t mix_sum(const void *buf, size_t len, uint64_t h)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++) {
		h ^= w[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}
