/* SPDX-License-Identifier: MIT */
/*
 * suggest.c — the nearest known word to a mistyped one. Pure.
 */
#include <string.h>

#include <glib.h>

#include "bondcheck/suggest.h"

unsigned suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned *row = g_new(unsigned, lb + 1);
	unsigned r;

	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned prev = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned sub = prev + (a[i - 1] != b[j - 1]);

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
		}
	}
	r = row[lb];
	g_free(row);
	return r;
}

char *suggest_nearest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	unsigned bd = 3;

	for (size_t i = 0; candidates && candidates[i]; i++) {
		unsigned d = suggest_distance(word, candidates[i]);

		if (d < bd) {
			bd = d;
			best = candidates[i];
		}
	}
	return best ? g_strdup_printf(" (did you mean '%s'?)", best) :
	              g_strdup("");
}
