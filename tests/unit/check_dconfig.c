/* SPDX-License-Identifier: MIT */
/*
 * check_dconfig.c — bondcheckd's configuration file: what it accepts, and
 * each mistake with its FILE:LINE:COL.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/dconfig.h"
#include "suites.h"

START_TEST(a_full_file_reads)
{
	struct dconfig c;
	GError *err = NULL;

	dconfig_init(&c);
	ck_assert_msg(
		dconfig_parse(&c,
			"# comment\n; also a comment\n\n[daemon]\n  retention = 7\n"
			"max-queued=3\nmax-state-size = 512M\n"
			"[reboot mpremote]\ncommand = mpremote reset\n"
			"[ reboot relay.2 ]\ncommand=relay --port 2 \n",
			"c", &err),
		"%s", err ? err->message : "");
	ck_assert_uint_eq(c.retention, 7);
	ck_assert_uint_eq(c.max_queued, 3);
	ck_assert_uint_eq(c.max_state_size, 512ull << 20);
	ck_assert_str_eq(dconfig_reboot(&c, "mpremote"), "mpremote reset");
	ck_assert_str_eq(dconfig_reboot(&c, "relay.2"), "relay --port 2");
	ck_assert_ptr_null(dconfig_reboot(&c, "other"));
	ck_assert_ptr_null(dconfig_reboot(&c, NULL));
	dconfig_clear(&c);
}
END_TEST

START_TEST(the_shipped_example_reads_and_an_absent_file_is_empty)
{
	char *path = g_build_filename(g_getenv("BONDCHECK_SRCDIR"), "systemd",
		"bondcheckd.conf", NULL);
	struct dconfig c;
	GError *err = NULL;

	dconfig_init(&c);
	ck_assert_msg(dconfig_load(&c, path, true, &err), "%s",
		err ? err->message : "");
	ck_assert_uint_eq(c.retention, 100);
	ck_assert_uint_eq(c.max_state_size, 1ull << 30);
	ck_assert_str_eq(dconfig_reboot(&c, "mpremote"),
		"mpremote connect /dev/ttyACM0 reset");
	ck_assert(dconfig_load(&c, "/nonexistent/b.conf", false, &err));
	ck_assert(!dconfig_load(&c, "/nonexistent/b.conf", true, &err));
	ck_assert_int_eq(err->code, BCERROR_BAD_INPUT);
	g_error_free(err);
	dconfig_clear(&c);
	g_free(path);
}
END_TEST

static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{ "retention = 5\n", "c:1:1: 'retention' outside a section" },
	{ "[daemon]\nretention = five\n", "c:2:13: retention is a number" },
	{ "[daemon]\nretention = 0\n", "c:2:13: retention is a number" },
	{ "[daemon]\n  max-queued = -1\n", "c:2:16: max-queued is a number" },
	{ "[daemon]\ncolour = yes\n", "c:2:1: unknown key 'colour'" },
	{ "[daemon]\nmax-state-size = 1.5G\n", "c:2:18: max-state-size is a "
					       "size from 4K to 1T" },
	{ "[daemon]\nmax-state-size = 1000\n", "c:2:18: max-state-size is a "
					       "size" },
	{ "[daemon]\nmax-state-size = 2P\n", "c:2:18: max-state-size is a "
					     "size" },
	{ "[daemon]\nmax-state-size = 99999999999999999999999K\n",
		"c:2:18: max-state-size is a size" },
	{ "[daemon]\nmax-state-size = 1GB\n", "c:2:18: max-state-size is a "
					      "size" },
	{ "[other]\n", "c:1:1: unknown section [other]" },
	{ "[daemon\n", "c:1:1: a section is" },
	{ "[daemon]\njust words\n", "c:2:1: expected KEY = VALUE" },
	{ "[reboot a b]\n", "c:1:9: a reboot method's name" },
	{ "[reboot a]\n[daemon]\n", "c:1:1: reboot method 'a' has no command" },
	{ "[reboot a]\n", "c:1:1: reboot method 'a' has no command" },
	{ "[reboot a]\ncommand =\n", "c:2:10: an empty command" },
	{ "[reboot a]\ncmd = x\n", "c:2:1: unknown key 'cmd'" },
	{ "[reboot a]\ncommand = x\n[reboot a]\ncommand = y\n",
		"c:3:1: reboot method 'a' is defined twice" },
	{ "[daemon]\nretention = \xff\n", "c:1:1: not UTF-8" },
	/* what GKeyFile would take silently, keeping the last value */
	{ "[daemon]\nretention = 1\n max-queued = 2\n  retention = 2\n",
		"c:4:3: 'retention' is set twice in this section (first on "
		"line 2)" },
	{ "[reboot a]\ncommand = x\ncommand = y\n",
		"c:3:1: 'command' is set twice in this section (first on "
		"line 2)" },
};

START_TEST(each_mistake_is_named_with_its_place)
{
	struct dconfig c;
	GError *err = NULL;

	dconfig_init(&c);
	ck_assert(!dconfig_parse(&c, bad[_i].text, "c", &err));
	ck_assert_int_eq(err->code, BCERROR_BAD_INPUT);
	ck_assert_msg(g_str_has_prefix(err->message, bad[_i].want),
		"case %d: '%s', want '%s'", _i, err->message, bad[_i].want);
	g_error_free(err);
	dconfig_clear(&c);
}
END_TEST

/* The README's daemon examples name methods the shipped file defines, so
 * they work as written on a fresh install. */
START_TEST(the_readme_names_only_shipped_reboot_methods)
{
	char *conf = g_build_filename(g_getenv("BONDCHECK_SRCDIR"), "systemd",
		"bondcheckd.conf", NULL);
	char *readme = g_build_filename(g_getenv("BONDCHECK_SRCDIR"),
		"README.md", NULL);
	GRegex *re = g_regex_new("--daemon[^`]*?--reboot +([A-Za-z0-9._-]+)",
		G_REGEX_DOTALL, 0, NULL);
	GMatchInfo *m = NULL;
	struct dconfig c;
	char *text;
	int n = 0;

	dconfig_init(&c);
	ck_assert(dconfig_load(&c, conf, true, NULL));
	ck_assert(g_file_get_contents(readme, &text, NULL, NULL));
	for (g_regex_match(re, text, 0, &m); g_match_info_matches(m);
		g_match_info_next(m, NULL)) {
		char *name = g_match_info_fetch(m, 1);

		ck_assert_msg(dconfig_reboot(&c, name),
			"README: --reboot %s "
			"is not in systemd/bondcheckd.conf",
			name);
		g_free(name);
		n++;
	}
	ck_assert_int_gt(n, 0);
	g_match_info_free(m);
	g_regex_unref(re);
	g_free(text);
	dconfig_clear(&c);
	g_free(readme);
	g_free(conf);
}
END_TEST

Suite *dconfig_suite(void)
{
	Suite *s = suite_create("dconfig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, a_full_file_reads);
	tcase_add_test(tc,
		the_shipped_example_reads_and_an_absent_file_is_empty);
	tcase_add_test(tc, the_readme_names_only_shipped_reboot_methods);
	tcase_add_loop_test(tc, each_mistake_is_named_with_its_place, 0,
		G_N_ELEMENTS(bad));
	suite_add_tcase(s, tc);
	return s;
}
