/* SPDX-License-Identifier: MIT */
/*
 * check_claim.c — a run's claim on the DUT through an adapter of a bus:
 * a second claim on the same three is refused with who holds it; any
 * other is free; letting go frees it (and removes its file).
 */
#include <check.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/claim.h"
#include "suites.h"

static char *dir;

static void setup(void)
{
	dir = g_dir_make_tmp("bc-claim-XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
	g_setenv("BONDCHECK_LOCK_DIR", dir, TRUE);
}

static void teardown(void)
{
	ck_assert_int_eq(rmdir(dir), 0); /* nothing left behind */
	g_free(dir);
}

static const struct {
	const char *bus, *adapter, *device;
	bool refused;
} second[] = {
	/* the same DUT through the same adapter of the same bus */
	{ "b1", "/org/bluez/hci0", "C0:FF:EE:00:13:42", true },
	{ "b1", "hci0", "c0:ff:ee:00:13:42", true },
	/* another adapter, another bus (a private --sim bus), another DUT */
	{ "b1", "/org/bluez/hci1", "C0:FF:EE:00:13:42", false },
	{ "b2", "/org/bluez/hci0", "C0:FF:EE:00:13:42", false },
	{ "b1", "/org/bluez/hci0", "C0:FF:EE:00:13:43", false },
};

START_TEST(a_second_claim_on_the_same_dut_is_refused)
{
	struct claim *a = claim_take("b1", "/org/bluez/hci0",
		"C0:FF:EE:00:13:42", NULL);
	GError *err = NULL;
	struct claim *b = claim_take(second[_i].bus, second[_i].adapter,
		second[_i].device, &err);

	ck_assert_ptr_nonnull(a);
	ck_assert(g_str_has_prefix(claim_path(a), dir));
	if (!second[_i].refused) {
		ck_assert_msg(b, "%s", err ? err->message : "");
		ck_assert_ptr_nonnull(claim_path(b));
		claim_free(b);
	} else {
		char *who = g_strdup_printf(
			"C0:FF:EE:00:13:42 on hci0 is in use "
			"by another bondcheck run (bondcheck-tests, pid %ld): "
			"wait for it to end, or use another adapter",
			(long)getpid());

		ck_assert_ptr_null(b);
		ck_assert_int_eq(err->code, BCERROR_ENVIRONMENT);
		ck_assert_str_eq(err->message, who);
		g_error_free(err);
		g_free(who);
	}
	claim_free(a);
	/* let go: the next run may */
	b = claim_take(second[_i].bus, second[_i].adapter, second[_i].device,
		NULL);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(claim_path(b));
	claim_free(b);
}
END_TEST

/* A directory where no lock can be made does not stop the run. */
START_TEST(no_usable_directory_is_a_claim_on_nothing_past_it)
{
	struct claim *c;

	g_setenv("BONDCHECK_LOCK_DIR", "/nonexistent-bc-locks", TRUE);
	c = claim_take("b-nolock", "hci0", "C0:FF:EE:00:13:42", NULL);
	ck_assert_ptr_nonnull(c);
	/* the next place in line took it */
	ck_assert_ptr_nonnull(claim_path(c));
	ck_assert(!g_str_has_prefix(claim_path(c), "/nonexistent"));
	claim_free(c);
}
END_TEST

Suite *claim_suite(void)
{
	Suite *s = suite_create("claim");
	TCase *tc = tcase_create("claims");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, a_second_claim_on_the_same_dut_is_refused, 0,
		G_N_ELEMENTS(second));
	tcase_add_test(tc, no_usable_directory_is_a_claim_on_nothing_past_it);
	suite_add_tcase(s, tc);
	return s;
}
