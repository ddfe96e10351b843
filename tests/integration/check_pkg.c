/* SPDX-License-Identifier: MIT */
/*
 * check_pkg.c — what users meet outside the programs, checked against this
 * build on every landing: the README's sample output is what a run prints
 * today, bash completion offers what the programs accept, and the CI
 * templates lint and their commands work. Each is a script in tests/pkg/
 * (so `make check-pkg` and a shell can run it alone); this suite runs them
 * with the build under test. tests/pkg/install, build-flags and deb run in
 * make check-pkg only: they build and install.
 */
#include <check.h>
#include <string.h>

#include "helpers/testutil.h"
#include "suites.h"

static const struct {
	const char *interpreter;
	const char *script;
} scripts[] = {
	{ "/usr/bin/python3", "tests/pkg/readme" },
	{ "/bin/bash", "tests/pkg/completion" },
	{ "/bin/sh", "tests/pkg/ci" },
};

START_TEST(readme_completion_and_ci_templates_match_the_programs)
{
	char *script = test_path(scripts[_i].script);
	const char *argv[] = { scripts[_i].interpreter, script, test_builddir(),
		NULL };
	struct proc_result r;

	test_run(argv, NULL, 100000, &r);
	ck_assert_msg(r.status == 0, "%s: exit %d\n%s%s", scripts[_i].script,
		r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, ": ok ("), "%s: %s", scripts[_i].script,
		r.out);
	test_result_clear(&r);
	g_free(script);
}
END_TEST

Suite *pkg_suite(void)
{
	Suite *s = suite_create("pkg");
	TCase *tc = tcase_create("scripts");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc,
		readme_completion_and_ci_templates_match_the_programs, 0,
		G_N_ELEMENTS(scripts));
	suite_add_tcase(s, tc);
	return s;
}
