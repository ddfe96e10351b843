/* SPDX-License-Identifier: MIT */
/*
 * check_jsontext.c — JSON text at our borders: its depth measured before a
 * parser recurses into it, and what we write with no raw control character.
 */
#include <check.h>
#include <string.h>

#include "bondcheck/jsontext.h"
#include "helpers/hostile.h"
#include "suites.h"

/* text (or a generated one) -> the column of the bracket past @max, or 0 */
static const struct {
	const char *text;
	unsigned max;
	size_t col;
} depths[] = {
	{ "", 2, 0 }, { "{}", 1, 0 }, { "{\"a\":[1,2]}", 2, 0 },
	{ "{\"a\":[1,[2]]}", 2, 9 }, { "[[[]]]", 2, 3 },
	{ "[][][][]", 1, 0 },                      /* siblings, not nesting */
	{ "{\"a\":\"[[[[[[\"}", 1, 0 },            /* brackets in a string */
	{ "{\"a\":\"\\\"[[[\"}", 1, 0 },           /* after an escaped quote */
	{ "{\"a\":\"\\\\\",\"b\":[[1]]}", 2, 16 }, /* an escaped backslash */
	{ "]]]][[", 1, 6 },                        /* not JSON: still bounded */
	{ "\"unterminated [[[[", 1, 0 }, { NULL, 64, 65 }, /* 100,000 levels */
};

START_TEST(depth_is_measured_before_parsing)
{
	GString *big = depths[_i].text ? NULL : hostile_nesting("", 100000, "");
	const char *t = big ? big->str : depths[_i].text;

	ck_assert_uint_eq(jsontext_too_deep(t, strlen(t), depths[_i].max),
		depths[_i].col);
	if (big)
		g_string_free(big, TRUE);
}
END_TEST

START_TEST(what_we_write_has_no_raw_control_character)
{
	char s[33];
	JsonNode *n = json_node_new(JSON_NODE_VALUE);
	JsonParser *p = json_parser_new();
	char *text;

	for (int i = 1; i < 32; i++)
		s[i - 1] = (char)i;
	s[31] = ' ';
	s[32] = '\0';
	json_node_set_string(n, s);
	for (int pretty = 0; pretty < 2; pretty++) {
		text = jsontext_to_string(n, pretty);
		for (const char *c = text; *c; c++)
			ck_assert_msg((unsigned char)*c >= 0x20,
				"raw 0x%02x in %s", *c, text);
		ck_assert_ptr_nonnull(strstr(text, "\\u001f"));
		/* and it reads back as what was written */
		ck_assert(json_parser_load_from_data(p, text, -1, NULL));
		ck_assert_str_eq(json_node_get_string(json_parser_get_root(p)),
			s);
		g_free(text);
	}
	g_object_unref(p);
	json_node_unref(n);
}
END_TEST

START_TEST(a_generator_keeps_its_options)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *n = json_from_string("{\"a\":\"x\\u001fy\",\"b\":[1]}", NULL);
	gsize len = 0;
	char *text;

	json_generator_set_pretty(g, TRUE);
	text = jsontext_generate(g, n, &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_ptr_nonnull(strchr(text, '\n')); /* pretty */
	ck_assert_ptr_nonnull(strstr(text, "\"x\\u001fy\""));
	g_free(text);
	json_generator_set_pretty(g, FALSE);
	text = jsontext_generate(g, n, &len);
	ck_assert_str_eq(text, "{\"a\":\"x\\u001fy\",\"b\":[1]}");
	ck_assert_uint_eq(len, strlen(text));
	g_free(text);
	json_node_unref(n);
	g_object_unref(g);
}
END_TEST

Suite *jsontext_suite(void)
{
	Suite *s = suite_create("jsontext");
	TCase *tc = tcase_create("jsontext");

	tcase_add_loop_test(tc, depth_is_measured_before_parsing, 0,
		G_N_ELEMENTS(depths));
	tcase_add_test(tc, what_we_write_has_no_raw_control_character);
	tcase_add_test(tc, a_generator_keeps_its_options);
	suite_add_tcase(s, tc);
	return s;
}
