/* SPDX-License-Identifier: MIT */
/*
 * suggest.h — "did you mean" for a word that is not one of a known set: a
 * step, a parameter, a setting, a variable, an error name. Pure.
 */
#ifndef BONDCHECK_SUGGEST_H
#define BONDCHECK_SUGGEST_H

/* The edit distance (insert, delete, substitute) between @a and @b. */
unsigned suggest_distance(const char *a, const char *b);

/*
 * " (did you mean 'x'?)" for the candidate nearest @word, if it is less
 * than three edits away, else "" (NULL-terminated @candidates; free it).
 */
char *suggest_nearest(const char *word, const char *const *candidates);

#endif
