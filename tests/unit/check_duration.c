/* SPDX-License-Identifier: MIT */
/*
 * check_duration.c — durations as written in scenarios and options: what
 * is a duration, what is refused (hex, exponents, signs, bare numbers), and
 * the shortest spelling of one.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/duration.h"
#include "suites.h"

/* text -> milliseconds, or -1: refused */
static const struct {
	const char *text;
	int64_t ms;
} parses[] = {
	{ "500ms", 500 },
	{ "15s", 15000 },
	{ "2m", 120000 },
	{ "2min", 120000 },
	{ "1h", 3600000 },
	{ "1.5s", 1500 },
	{ ".5s", 500 },
	{ "0s", 0 },
	{ "1.0004s", 1000 },
	{ "24h", 86400000 },
	{ "0x10s", -1 }, /* hex: strtod would read 16 */
	{ "0X1Fms", -1 },
	{ "1e3ms", -1 }, /* an exponent */
	{ "1E2s", -1 },
	{ "inf", -1 },
	{ "infs", -1 },
	{ "nans", -1 },
	{ "-1s", -1 },
	{ "+1s", -1 },
	{ " 1s", -1 },
	{ "1 s", -1 },
	{ "1s ", -1 },
	{ "1.s", 1000 },
	{ ".s", -1 },
	{ "1..5s", -1 },
	{ "5", -1 }, /* a unit is required */
	{ "s", -1 },
	{ "", -1 },
	{ "10d", -1 },
	{ "25h", -1 }, /* over 24 h */
	{ "1000000000000000000000000s", -1 },
};

/* a bare number: the message says how to write it */
START_TEST(a_bare_number_is_told_its_unit)
{
	GError *err = NULL;
	int64_t ms;

	ck_assert(!duration_parse("15", &ms, &err));
	ck_assert_str_eq(err->message,
		"'15' has no unit: write 15s (or "
		"15ms; a duration is a number and ms, s, m or h)");
	g_clear_error(&err);
	ck_assert(!duration_parse("1.5", &ms, &err));
	ck_assert_ptr_nonnull(strstr(err->message, "write 1.5s"));
	g_clear_error(&err);
	ck_assert(!duration_parse("15x", &ms, &err));
	ck_assert_ptr_nonnull(strstr(err->message, "is not a duration"));
	g_clear_error(&err);
}
END_TEST

START_TEST(durations_parse_or_are_refused)
{
	int64_t ms = -7;
	GError *err = NULL;
	bool ok = duration_parse(parses[_i].text, &ms, &err);

	if (parses[_i].ms < 0) {
		ck_assert_msg(!ok, "'%s' accepted as %" G_GINT64_FORMAT " ms",
			parses[_i].text, ms);
		ck_assert(g_error_matches(err, BCERROR, BCERROR_BAD_INPUT));
		ck_assert_ptr_nonnull(strstr(err->message, parses[_i].text));
		g_error_free(err);
	} else {
		ck_assert_msg(ok, "'%s': %s", parses[_i].text,
			err ? err->message : "");
		ck_assert_int_eq(ms, parses[_i].ms);
	}
}
END_TEST

static const struct {
	int64_t ms;
	const char *text;
} formats[] = {
	{ 0, "0ms" },
	{ 250, "250ms" },
	{ 1000, "1s" },
	{ 1500, "1.5s" },
	{ 1550, "1550ms" },
	{ 120000, "2m" },
	{ 90000, "90s" },
};

START_TEST(a_duration_prints_in_its_shortest_spelling)
{
	char *s = duration_format(formats[_i].ms);
	int64_t back = -1;

	ck_assert_str_eq(s, formats[_i].text);
	/* and reads back as itself */
	ck_assert(duration_parse(s, &back, NULL));
	ck_assert_int_eq(back, formats[_i].ms);
	g_free(s);
}
END_TEST

Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("duration");

	tcase_add_loop_test(tc, durations_parse_or_are_refused, 0,
		G_N_ELEMENTS(parses));
	tcase_add_loop_test(tc, a_duration_prints_in_its_shortest_spelling, 0,
		G_N_ELEMENTS(formats));
	tcase_add_test(tc, a_bare_number_is_told_its_unit);
	suite_add_tcase(s, tc);
	return s;
}
