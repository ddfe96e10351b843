/* SPDX-License-Identifier: MIT */
/*
 * html.c — escaping, the document's frame and the latency chart of the HTML
 * reports. Owns the temporary file of a report being written; knows nothing
 * of logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/html.h"

/* Characters HTML's text must not hold (controls but tab, newline and
 * carriage return; noncharacters), in valid UTF-8. */
static bool forbidden(gunichar c)
{
	if (c < 0x20)
		return c != '\t' && c != '\n' && c != '\r';
	if (c >= 0x7f && c <= 0x9f)
		return true;
	if (c >= 0xfdd0 && c <= 0xfdef)
		return true;
	return (c & 0xfffe) == 0xfffe;
}

void html_escape_append(GString *out, const char *s)
{
	char *valid;

	if (!s)
		return;
	valid = g_utf8_make_valid(s, -1);
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			if (forbidden(c))
				g_string_append(out, "\xef\xbf\xbd");
			else
				g_string_append_len(out, p,
					g_utf8_next_char(p) - p);
		}
	}
	g_free(valid);
}

char *html_escape(const char *s)
{
	GString *out = g_string_new("");

	html_escape_append(out, s);
	return g_string_free(out, FALSE);
}

void html_put(FILE *out, const char *s)
{
	char *e;

	if (!s)
		return;
	e = html_escape(s);
	fputs(e, out);
	g_free(e);
}

/* ---- the file ---- */

struct html_file {
	char *path;
	char *tmp;
	FILE *f;
};

struct html_file *html_file_new(const char *path, GError **error)
{
	struct html_file *h;
	int fd;

	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"the HTML report %s is a directory", path);
		return NULL;
	}
	h = g_new0(struct html_file, 1);
	h->path = g_strdup(path);
	h->tmp = g_strconcat(path, ".XXXXXX", NULL);
	fd = g_mkstemp_full(h->tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || !(h->f = fdopen(fd, "w"))) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot write the HTML report %s: %s", path,
			g_strerror(errno));
		if (fd >= 0) {
			close(fd);
			g_unlink(h->tmp);
		}
		g_free(h->tmp);
		g_free(h->path);
		g_free(h);
		return NULL;
	}
	return h;
}

FILE *html_file_stream(struct html_file *h)
{
	return h->f;
}

static void html_file_free(struct html_file *h)
{
	g_free(h->tmp);
	g_free(h->path);
	g_free(h);
}

bool html_file_commit(struct html_file *h, GError **error)
{
	bool ok = !ferror(h->f) && fflush(h->f) == 0 &&
	          fsync(fileno(h->f)) == 0;
	int saved = errno;

	if (fclose(h->f) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && g_rename(h->tmp, h->path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"writing the HTML report %s failed: %s", h->path,
			g_strerror(saved));
		g_unlink(h->tmp);
	}
	html_file_free(h);
	return ok;
}

void html_file_abort(struct html_file *h)
{
	if (!h)
		return;
	fclose(h->f);
	g_unlink(h->tmp);
	html_file_free(h);
}

/* ---- the document ---- */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;"
	"margin:1.4em 0 .4em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:.3em 0}"
	"td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;"
	"vertical-align:top}th{background:#f3f3f3}"
	"pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5em;"
	"white-space:pre-wrap;word-break:break-all;margin:.3em 0}"
	".status{display:inline-block;padding:2px 10px;border-radius:3px;"
	"color:#fff;font-weight:bold}"
	".passed{background:#2e7d32}.failed,.error{background:#c62828}"
	".incomplete,.interrupted{background:#ef6c00}"
	"tr.fail td,tr.error td{background:#fdecea}"
	"tr.skipped td,tr.not-run td{color:#888}"
	"tr.divergence td{background:#fff3cd;font-weight:bold}"
	".sides{display:flex;gap:1.5em}.sides>div{flex:1;min-width:0}"
	".sides td{word-break:break-all}"
	"td.ev{font-family:monospace;white-space:pre-wrap;"
	"word-break:break-all;width:50%}"
	"svg text{font:11px sans-serif;fill:#444}"
	".muted{color:#777}";

void html_begin(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8"
	      "\">\n<meta http-equiv=\"Content-Security-Policy\" content=\""
	      "default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"generator\" content=\"bondcheck\">\n<title>",
		out);
	html_put(out, title);
	fprintf(out, "</title>\n<style>%s</style></head>\n<body>\n", style);
}

void html_end(FILE *out)
{
	fputs("</body></html>\n", out);
}

/* ---- the chart ---- */

#define CHART_W 760
#define CHART_H 260
#define PAD_L   56
#define PAD_R   16
#define PAD_T   16
#define PAD_B   40

/* A round step for about @ticks divisions of @max: 1, 2 or 5 x 10^k. */
static int64_t nice_step(int64_t max, int ticks)
{
	int64_t raw = max / ticks, step = 1;

	if (raw < 1)
		return 1;
	while (step * 10 <= raw)
		step *= 10;
	if (step * 5 <= raw)
		return step * 5;
	if (step * 2 <= raw)
		return step * 2;
	return step;
}

void html_latency_chart(FILE *out, const struct html_point *p, size_t n)
{
	const double w = CHART_W - PAD_L - PAD_R, h = CHART_H - PAD_T - PAD_B;
	uint64_t first = n ? p[0].cycle : 0, last = n ? p[n - 1].cycle : 0;
	int64_t max = 0, step;
	bool any = false;

	for (size_t i = 0; i < n; i++)
		if (!p[i].failed && p[i].ms > max)
			max = p[i].ms;
	step = nice_step(max > 0 ? max : 1, 4);
	max = (max / step + 1) * step;
	fprintf(out,
		"<svg id=\"latency-chart\" xmlns=\"http://www.w3.org/2000/"
		"svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" aria-label=\"reconnect latency over cycles"
		"\">\n",
		CHART_W, CHART_H, CHART_W, CHART_H);
	fprintf(out,
		"<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
		"fill=\"#fcfcfc\" stroke=\"#bbb\"/>\n",
		PAD_L, PAD_T, w, h);
	for (int64_t v = 0; v <= max; v += step) {
		double y = PAD_T + h - h * (double)v / (double)max;

		fprintf(out,
			"<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f"
			"\" stroke=\"#e5e5e5\"/><text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%" G_GINT64_FORMAT " ms</text>\n",
			PAD_L, PAD_L + w, y, y, PAD_L - 4, y + 4, v);
	}
	fprintf(out,
		"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">cycle"
		"</text>\n",
		PAD_L + w / 2, CHART_H - 6);
	if (!n) {
		fprintf(out,
			"<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" "
			"text-anchor=\"middle\">no reconnect in this run"
			"</text>\n</svg>\n",
			PAD_L + w / 2, PAD_T + h / 2);
		return;
	}
	{
		/* x ticks: the first and last cycle, and one in the middle */
		uint64_t ticks[3] = { first, first + (last - first) / 2, last };

		for (int i = 0; i < 3; i++) {
			double x =
				PAD_L +
				(last > first ? w * (double)(ticks[i] - first) /
							(double)(last - first) :
						w / 2);

			if (i && ticks[i] == ticks[i - 1])
				continue;
			fprintf(out,
				"<text x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"middle\">%" G_GUINT64_FORMAT
				"</text>\n",
				x, PAD_T + h + 16, ticks[i]);
		}
	}
#define X(c)                                                      \
	(PAD_L + (last > first ? w * (double)((c)-first) /        \
					 (double)(last - first) : \
				 w / 2))
#define Y(ms) (PAD_T + h - h * (double)(ms) / (double)max)
	fputs("<polyline class=\"latency\" fill=\"none\" stroke=\"#1565c0\" "
	      "stroke-width=\"1.5\" points=\"",
		out);
	for (size_t i = 0; i < n; i++) {
		if (p[i].failed)
			continue;
		fprintf(out, "%s%.1f,%.1f", any ? " " : "", X(p[i].cycle),
			Y(p[i].ms));
		any = true;
	}
	fputs("\"/>\n", out);
	for (size_t i = 0; i < n; i++) {
		if (p[i].failed) {
			fprintf(out,
				"<g class=\"point failed\" data-cycle=\"%" G_GUINT64_FORMAT
				"\" data-verdict=\"",
				p[i].cycle);
			html_put(out, p[i].verdict);
			fprintf(out,
				"\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
				"y2=\"%.1f\" stroke=\"#c62828\" "
				"stroke-dasharray=\"3,2\"/><title>cycle %" G_GUINT64_FORMAT
				" ",
				X(p[i].cycle), X(p[i].cycle), PAD_T, PAD_T + h,
				p[i].cycle);
			html_put(out, p[i].label);
			fputs(": ", out);
			html_put(out, p[i].verdict ? p[i].verdict : "failed");
			fputs("</title></g>\n", out);
			continue;
		}
		fprintf(out,
			"<circle class=\"point\" data-cycle=\"%" G_GUINT64_FORMAT
			"\" data-ms=\"%" G_GINT64_FORMAT
			"\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"#1565c0"
			"\"><title>cycle %" G_GUINT64_FORMAT " ",
			p[i].cycle, p[i].ms, X(p[i].cycle), Y(p[i].ms),
			n > 200 ? "1.5" : "3", p[i].cycle);
		html_put(out, p[i].label);
		fprintf(out, ": %" G_GINT64_FORMAT " ms</title></circle>\n",
			p[i].ms);
	}
#undef X
#undef Y
	fputs("</svg>\n", out);
}
