/* SPDX-License-Identifier: MIT */
/*
 * html.h — the pieces of bondcheck's HTML reports (report --html, compare
 * --html): one self-contained file each, no script, no external asset (a
 * Content-Security-Policy that allows inline styles only says so to the
 * browser), every string from a log escaped, and a reconnect latency chart
 * drawn as inline SVG.
 *
 * The file is written to FILE.XXXXXX and renamed over FILE by
 * html_file_commit(), so a reader never sees half a report.
 */
#ifndef BONDCHECK_HTML_H
#define BONDCHECK_HTML_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Append @s to @out as HTML text or a double-quoted attribute value: made
 * valid UTF-8, characters HTML forbids (controls but tab and newline,
 * noncharacters) replaced by U+FFFD, & < > " ' as entities. NULL appends
 * nothing.
 */
void html_escape_append(GString *out, const char *s);
/* ...as a new string, the caller's to free. */
char *html_escape(const char *s);

/* Write @s to @out escaped as above. */
void html_put(FILE *out, const char *s);

struct html_file;

/* A report being written to @path; NULL and a BCERROR_ENV error (or
 * BCERROR_BAD_INPUT for a path that is a directory) if it cannot be. */
struct html_file *html_file_new(const char *path, GError **error);
FILE *html_file_stream(struct html_file *h);
/* Write the document's end and rename it over the path; frees @h. */
bool html_file_commit(struct html_file *h, GError **error);
/* Drop it (the temporary file goes); NULL is fine. */
void html_file_abort(struct html_file *h);

/* <!DOCTYPE html> ... <body>: the head with the style sheet and policy. */
void html_begin(FILE *out, const char *title);
/* </body></html> */
void html_end(FILE *out);

/* A point of the latency chart: a cycle, and its latency or its failure. */
struct html_point {
	uint64_t cycle; /* 1, 2, ... in the run's order */
	int64_t ms;     /* latency; ignored when failed */
	bool failed;
	const char *label;   /* "line 30 [3]"; may be NULL */
	const char *verdict; /* the failure's verdict; may be NULL */
};

/*
 * The chart: an <svg> of @n points, latency in ms over cycles, a line
 * through the passing ones and a red mark at each failed one (drawn at the
 * top: it has no latency). An empty chart says there is nothing to draw.
 */
void html_latency_chart(FILE *out, const struct html_point *p, size_t n);

#endif
