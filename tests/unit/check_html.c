/* SPDX-License-Identifier: MIT */
/*
 * check_html.c — the HTML reports' pieces: escaping of whatever a log holds
 * (markup, quotes, invalid UTF-8, control characters), the document's frame
 * (no script; a policy that lets nothing load), the latency chart, and the
 * file that appears whole or not at all.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/html.h"
#include "suites.h"

static const struct {
	const char *in;
	const char *out;
} escapes[] = {
	{ "", "" },
	{ "plain text 1.23", "plain text 1.23" },
	{ "<script>alert(1)</script>",
		"&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "\"><img src=x onerror=alert(1)>",
		"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" },
	{ "it's & that", "it&#39;s &amp; that" },
	{ "&amp;", "&amp;amp;" },
	{ "tab\tnew\nline", "tab\tnew\nline" },
	/* controls and noncharacters: U+FFFD */
	{ "a\x01z", "a\xef\xbf\xbdz" },
	{ "del\x7f", "del\xef\xbf\xbd" },
	{ "c1\xc2\x85", "c1\xef\xbf\xbd" },
	{ "nc\xef\xbf\xbe", "nc\xef\xbf\xbd" },
	/* invalid UTF-8: U+FFFD, never a byte a browser reads its own way */
	{ "bad\xff<", "bad\xef\xbf\xbd&lt;" },
	{ "cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd" },
	{ "C0:FF:EE \xc2\xb5s", "C0:FF:EE \xc2\xb5s" },
};

START_TEST(escaping_leaves_no_markup_and_only_valid_text)
{
	char *e = html_escape(escapes[_i].in);

	ck_assert_msg(!strcmp(e, escapes[_i].out), "%zu: got '%s' want '%s'",
		(size_t)_i, e, escapes[_i].out);
	ck_assert(g_utf8_validate(e, -1, NULL));
	ck_assert_ptr_null(strchr(e, '<'));
	ck_assert_ptr_null(strchr(e, '"'));
	g_free(e);
}
END_TEST

START_TEST(null_escapes_to_nothing)
{
	GString *s = g_string_new("x");
	char *e = html_escape(NULL);

	html_escape_append(s, NULL);
	ck_assert_str_eq(s->str, "x");
	ck_assert_str_eq(e, "");
	g_string_free(s, TRUE);
	g_free(e);
}
END_TEST

static char *drawn(void (*draw)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	draw(f, arg);
	fclose(f);
	return buf;
}

static void draw_page(FILE *f, const void *title)
{
	html_begin(f, title);
	html_end(f);
}

START_TEST(the_page_has_no_script_and_lets_nothing_load)
{
	char *page = drawn(draw_page, "</title><script>x()</script>");

	ck_assert_ptr_nonnull(strstr(page, "<!DOCTYPE html>"));
	ck_assert_ptr_nonnull(strstr(page, "default-src 'none'"));
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_nonnull(strstr(page, "<title>&lt;/title&gt;&lt;script"));
	ck_assert_ptr_nonnull(strstr(page, "</body></html>"));
	free(page);
}
END_TEST

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

struct chart {
	const struct html_point *p;
	size_t n;
};

static void draw_chart(FILE *f, const void *arg)
{
	const struct chart *c = arg;

	html_latency_chart(f, c->p, c->n);
}

START_TEST(the_chart_draws_each_cycle_and_marks_failures)
{
	const struct html_point p[] = {
		{ 1, 80, false, "line 9 [1]", NULL },
		{ 2, 95, false, "line 9 [2]", NULL },
		{ 3, 0, true, "line 9 [3]", "peer-removed-pairing" },
		{ 4, 410, false, "line 9 [4]<b>", NULL },
	};
	struct chart c = { p, G_N_ELEMENTS(p) };
	char *svg = drawn(draw_chart, &c);

	ck_assert_ptr_nonnull(strstr(svg, "<svg id=\"latency-chart\""));
	ck_assert_uint_eq(count(svg, "<circle class=\"point\""), 3);
	ck_assert_uint_eq(count(svg, "<g class=\"point failed\""), 1);
	ck_assert_ptr_nonnull(strstr(svg, "data-verdict=\"peer-removed-pairing"
					  "\""));
	ck_assert_ptr_nonnull(strstr(svg, "data-ms=\"410\""));
	/* the y axis reaches past the worst: a round step above 410 */
	ck_assert_ptr_nonnull(strstr(svg, ">500 ms</text>"));
	ck_assert_ptr_nonnull(strstr(svg, "line 9 [4]&lt;b&gt;"));
	ck_assert_ptr_null(strstr(svg, "<b>"));
	ck_assert_uint_eq(count(svg, "<polyline"), 1);
	free(svg);
}
END_TEST

START_TEST(an_empty_chart_says_so)
{
	struct chart c = { NULL, 0 };
	char *svg = drawn(draw_chart, &c);

	ck_assert_ptr_nonnull(strstr(svg, "no reconnect in this run"));
	ck_assert_uint_eq(count(svg, "<circle"), 0);
	ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
	free(svg);
}
END_TEST

START_TEST(the_file_appears_whole_or_not_at_all)
{
	char *dir = g_dir_make_tmp("bc-html-XXXXXX", NULL);
	char *path = g_build_filename(dir, "r.html", NULL);
	struct html_file *h;
	GError *err = NULL;
	GDir *d;

	h = html_file_new(path, &err);
	ck_assert_ptr_nonnull(h);
	html_begin(html_file_stream(h), "t");
	ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
	html_end(html_file_stream(h));
	ck_assert(html_file_commit(h, &err));
	ck_assert(g_file_test(path, G_FILE_TEST_EXISTS));
	/* an abandoned one leaves nothing, and the old report stands */
	h = html_file_new(path, &err);
	ck_assert_ptr_nonnull(h);
	fputs("half", html_file_stream(h));
	html_file_abort(h);
	d = g_dir_open(dir, 0, NULL);
	ck_assert_str_eq(g_dir_read_name(d), "r.html");
	ck_assert_ptr_null(g_dir_read_name(d));
	g_dir_close(d);
	/* a directory, or a directory that is not there */
	ck_assert_ptr_null(html_file_new(dir, &err));
	ck_assert_ptr_nonnull(strstr(err->message, "is a directory"));
	g_clear_error(&err);
	{
		char *nowhere = g_build_filename(dir, "no", "r.html", NULL);

		ck_assert_ptr_null(html_file_new(nowhere, &err));
		ck_assert_ptr_nonnull(strstr(err->message, nowhere));
		g_clear_error(&err);
		g_free(nowhere);
	}
	unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}
END_TEST

Suite *html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("html");

	tcase_add_loop_test(tc, escaping_leaves_no_markup_and_only_valid_text,
		0, G_N_ELEMENTS(escapes));
	tcase_add_test(tc, null_escapes_to_nothing);
	tcase_add_test(tc, the_page_has_no_script_and_lets_nothing_load);
	tcase_add_test(tc, the_chart_draws_each_cycle_and_marks_failures);
	tcase_add_test(tc, an_empty_chart_says_so);
	tcase_add_test(tc, the_file_appears_whole_or_not_at_all);
	suite_add_tcase(s, tc);
	return s;
}
