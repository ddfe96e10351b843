/* SPDX-License-Identifier: MIT */
/*
 * check_testutil.c — the test helpers themselves: every wait ends. A
 * dbus-daemon that never says where it listens fails the setup in time
 * instead of hanging the suite.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers/testutil.h"
#include "suites.h"

/* what the fake dbus-daemon does before it hangs */
static const char *const hangs[] = {
	"",                            /* says nothing */
	"printf 'unix:path=/tmp/x'\n", /* half a line */
};

START_TEST(a_bus_that_never_answers_fails_the_setup_in_time)
{
	char *dir = g_dir_make_tmp("bc-testutil-XXXXXX", NULL);
	char *fake = g_build_filename(dir, "dbus-daemon", NULL);
	char *script = g_strdup_printf("#!/bin/sh\n%sexec sleep 600\n",
		hangs[_i]);
	char *path = g_strdup_printf("%s:%s", dir, g_getenv("PATH"));
	struct testbus tb;

	ck_assert(g_file_set_contents(fake, script, -1, NULL));
	ck_assert_int_eq(g_chmod(fake, 0755), 0);
	/* this test runs in a process of its own (Check forks it) */
	g_setenv("PATH", path, TRUE);
	ck_assert(!testbus_start_within(&tb, "/dev/null", 300));
	ck_assert_ptr_null(tb.address);
	unlink(fake);
	rmdir(dir);
	g_free(path);
	g_free(script);
	g_free(fake);
	g_free(dir);
}
END_TEST

Suite *testutil_suite(void)
{
	Suite *s = suite_create("testutil");
	TCase *tc = tcase_create("waits");

	/* with the old blocking read, the case hung until this killed it */
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc,
		a_bus_that_never_answers_fails_the_setup_in_time, 0,
		G_N_ELEMENTS(hangs));
	suite_add_tcase(s, tc);
	return s;
}
