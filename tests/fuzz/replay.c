/* SPDX-License-Identifier: MIT */
/*
 * replay.c — every input the fuzzers were seeded with, or once found, is
 * replayed by `make check` (so under ASan and UBSan too): each file of
 * tests/fuzz/corpus/TARGET/ through its target, and prefixes of it (a
 * truncated input is an input too).
 */
#include <check.h>
#include <glib.h>

#include "fuzz/fuzz.h"
#include "suites.h"

static const struct {
	const char *name;
	int (*fn)(const uint8_t *data, size_t size);
	int at_least; /* files in its corpus */
} targets[] = {
	{ "scenario", fuzz_scenario, 12 },
	{ "logread", fuzz_logread, 8 },
	{ "dbus", fuzz_dbus, 8 },
};

START_TEST(the_corpus_replays_cleanly)
{
	char *dir = g_build_filename(g_getenv("BONDCHECK_SRCDIR") ?
					     g_getenv("BONDCHECK_SRCDIR") :
					     ".",
		"tests", "fuzz", "corpus", targets[_i].name, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	ck_assert_msg(d, "no corpus %s", dir);
	while ((name = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, name, NULL);
		char *data = NULL;
		gsize len = 0;

		ck_assert(g_file_get_contents(path, &data, &len, NULL));
		targets[_i].fn((const uint8_t *)data, len);
		/* prefixes: every 7th of a small file, 128 of a larger one */
		for (gsize k = 0; len <= (gsize)64 * 1024 && k < len;
			k += MAX(7, len / 128))
			targets[_i].fn((const uint8_t *)data, k);
		g_free(data);
		g_free(path);
		n++;
	}
	ck_assert_int_ge(n, targets[_i].at_least);
	g_dir_close(d);
	g_free(dir);
}
END_TEST

Suite *fuzz_replay_suite(void)
{
	Suite *s = suite_create("fuzz-replay");
	TCase *tc = tcase_create("corpus");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, the_corpus_replays_cleanly, 0,
		G_N_ELEMENTS(targets));
	suite_add_tcase(s, tc);
	return s;
}
