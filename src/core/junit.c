/* SPDX-License-Identifier: MIT */
/*
 * junit.c — the JUnit XML writer. Owns a temporary file of finished test
 * cases (the suites' cases one after the other), what each suite is, and
 * the report's final path; never writes the final file until it is
 * complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/junit.h"

struct suite {
	char *name; /* unique in the file */
	char *timestamp;
	char *hostname;
	char *system_out;
	GPtrArray *props; /* name, value, name, value, ... */
	unsigned long tests, failures, errors, skipped;
	int64_t time_ms;
	long from, to; /* its cases in the body */
};

struct junit {
	char *path;
	FILE *body;         /* the <testcase> elements so far */
	GPtrArray *suites;  /* struct suite, in order */
	struct suite *open; /* the last of them, while open */
	unsigned long tests, failures, errors, skipped;
	int64_t time_ms;
	GError *error; /* first write error on the body */
};

const char *junit_status_to_str(enum junit_status s)
{
	switch (s) {
	case JUNIT_PASSED: return "passed";
	case JUNIT_FAILURE: return "failure";
	case JUNIT_ERROR: return "error";
	case JUNIT_SKIPPED: return "skipped";
	}
	return "?";
}

static bool xml_char_ok(gunichar c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

char *junit_escape(const char *s)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(valid) + 16);

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&apos;"); break;
		case '\n':
		case '\t':
		case '\r':
			/* as references, so attributes keep them too */
			g_string_append_printf(out, "&#%u;", c);
			break;
		default:
			if (xml_char_ok(c))
				g_string_append_unichar(out, c);
			else
				g_string_append_unichar(out, 0xFFFD);
			break;
		}
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

static void suite_free(void *data)
{
	struct suite *st = data;

	g_ptr_array_free(st->props, TRUE);
	g_free(st->name);
	g_free(st->timestamp);
	g_free(st->hostname);
	g_free(st->system_out);
	g_free(st);
}

struct junit *junit_new(const char *path, GError **error)
{
	struct junit *j;
	FILE *body = tmpfile();

	if (!body) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot create a temporary file for the JUnit report: "
			"%s",
			g_strerror(errno));
		return NULL;
	}
	j = g_new0(struct junit, 1);
	j->path = g_strdup(path);
	j->body = body;
	j->suites = g_ptr_array_new_with_free_func(suite_free);
	return j;
}

void junit_free(struct junit *j)
{
	if (!j)
		return;
	if (j->body)
		fclose(j->body);
	g_ptr_array_free(j->suites, TRUE);
	g_free(j->path);
	g_clear_error(&j->error);
	g_free(j);
}

static bool name_taken(struct junit *j, const char *name)
{
	for (guint i = 0; i < j->suites->len; i++)
		if (!strcmp(((struct suite *)j->suites->pdata[i])->name, name))
			return true;
	return false;
}

void junit_begin_suite(struct junit *j, const char *name, const char *timestamp,
	const char *hostname)
{
	struct suite *st = g_new0(struct suite, 1);
	char *unique = g_strdup(name && *name ? name : "bondcheck");

	if (j->open)
		junit_end_suite(j, 0);
	for (unsigned n = 2; name_taken(j, unique); n++) {
		g_free(unique);
		unique = g_strdup_printf("%s #%u",
			name && *name ? name : "bondcheck", n);
	}
	st->name = unique;
	st->timestamp = g_strdup(timestamp);
	st->hostname = g_strdup(hostname);
	st->props = g_ptr_array_new_with_free_func(g_free);
	st->from = ftell(j->body);
	st->to = st->from;
	g_ptr_array_add(j->suites, st);
	j->open = st;
}

const char *junit_suite_name(struct junit *j)
{
	return j->open ? j->open->name : NULL;
}

/* The open suite; one is begun for cases that come without. */
static struct suite *open_suite(struct junit *j)
{
	if (!j->open)
		junit_begin_suite(j, NULL, NULL, NULL);
	return j->open;
}

void junit_add_property(struct junit *j, const char *name, const char *value)
{
	struct suite *st = open_suite(j);

	g_ptr_array_add(st->props, g_strdup(name));
	g_ptr_array_add(st->props, g_strdup(value ? value : ""));
}

void junit_set_system_out(struct junit *j, const char *text)
{
	struct suite *st = open_suite(j);

	g_free(st->system_out);
	st->system_out = g_strdup(text);
}

void junit_end_suite(struct junit *j, int64_t total_ms)
{
	struct suite *st = j->open;

	if (!st)
		return;
	st->time_ms = total_ms < 0 ? 0 : total_ms;
	st->to = ftell(j->body);
	j->time_ms += st->time_ms;
	j->open = NULL;
}

static char *seconds(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	return g_strdup_printf("%" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT,
		ms / 1000, ms % 1000);
}

bool junit_add_case(struct junit *j, const struct junit_case *c, GError **error)
{
	char *name = junit_escape(c->name);
	char *cls = junit_escape(c->classname);
	char *msg = junit_escape(c->message);
	char *type = junit_escape(c->type ? c->type : "");
	char *text = junit_escape(c->text);
	char *t = seconds(c->time_ms);
	const char *el = NULL;
	struct suite *st = open_suite(j);

	st->tests++;
	j->tests++;
	fprintf(j->body,
		"    <testcase name=\"%s\" classname=\"%s\" "
		"time=\"%s\"",
		name, cls, t);
	switch (c->status) {
	case JUNIT_PASSED: break;
	case JUNIT_FAILURE:
		st->failures++;
		j->failures++;
		el = "failure";
		break;
	case JUNIT_ERROR:
		st->errors++;
		j->errors++;
		el = "error";
		break;
	case JUNIT_SKIPPED:
		st->skipped++;
		j->skipped++;
		el = "skipped";
		break;
	}
	if (!el && c->line <= 0) {
		fprintf(j->body, "/>\n");
	} else {
		fprintf(j->body, ">\n");
		/* where the step is, as pytest writes a case's properties */
		if (c->line > 0)
			fprintf(j->body,
				"      <properties>\n        <property "
				"name=\"line\" value=\"%" G_GINT64_FORMAT
				"\"/>\n      </properties>\n",
				c->line);
		if (c->status == JUNIT_SKIPPED)
			fprintf(j->body, "      <skipped message=\"%s\"/>\n",
				msg);
		else if (el)
			fprintf(j->body,
				"      <%s message=\"%s\" type=\"%s\">"
				"%s</%s>\n",
				el, msg, type, text, el);
		fprintf(j->body, "    </testcase>\n");
	}
	if (ferror(j->body) && !j->error)
		g_set_error(&j->error, BCERROR, BCERROR_ENVIRONMENT,
			"writing the JUnit report failed: %s",
			g_strerror(errno));
	g_free(name);
	g_free(cls);
	g_free(msg);
	g_free(type);
	g_free(text);
	g_free(t);
	if (j->error) {
		if (error)
			*error = g_error_copy(j->error);
		return false;
	}
	return true;
}

/* @st's cases: the body's bytes from st->from to st->to */
static bool copy_body(FILE *from, const struct suite *st, FILE *to)
{
	char buf[65536];
	long left = st->to - st->from;

	if (fseek(from, st->from, SEEK_SET) != 0)
		return false;
	while (left > 0) {
		size_t want = left < (long)sizeof(buf) ? (size_t)left :
		                                         sizeof(buf);
		size_t n = fread(buf, 1, want, from);

		if (n == 0 || fwrite(buf, 1, n, to) != n)
			return false;
		left -= (long)n;
	}
	return !ferror(from);
}

static void write_suite(const struct suite *st, guint id, FILE *f)
{
	char *name = junit_escape(st->name);
	char *stamp = junit_escape(st->timestamp ? st->timestamp :
						   "1970-01-01T00:00:00");
	char *host = junit_escape(st->hostname ? st->hostname : "localhost");
	char *t = seconds(st->time_ms);

	fprintf(f,
		"  <testsuite name=\"%s\" package=\"bondcheck\" id=\"%u\" "
		"hostname=\"%s\" timestamp=\"%s\" tests=\"%lu\" "
		"failures=\"%lu\" errors=\"%lu\" skipped=\"%lu\" "
		"time=\"%s\">\n",
		name, id, host, stamp, st->tests, st->failures, st->errors,
		st->skipped, t);
	fprintf(f, "    <properties>\n");
	for (guint i = 0; i + 1 < st->props->len; i += 2) {
		char *n = junit_escape(st->props->pdata[i]);
		char *v = junit_escape(st->props->pdata[i + 1]);

		fprintf(f, "      <property name=\"%s\" value=\"%s\"/>\n", n,
			v);
		g_free(n);
		g_free(v);
	}
	fprintf(f, "    </properties>\n");
	g_free(name);
	g_free(stamp);
	g_free(host);
	g_free(t);
}

static void write_suite_end(const struct suite *st, FILE *f)
{
	char *so = junit_escape(st->system_out);

	fprintf(f,
		"    <system-out>%s</system-out>\n"
		"    <system-err></system-err>\n"
		"  </testsuite>\n",
		so);
	g_free(so);
}

bool junit_finish(struct junit *j, GError **error)
{
	char *tmp = g_strconcat(j->path, ".XXXXXX", NULL);
	char *t;
	bool ok = false;
	FILE *f = NULL;
	int fd;

	junit_end_suite(j, 0);
	if (!j->suites->len) {
		junit_begin_suite(j, NULL, NULL, NULL);
		junit_end_suite(j, 0);
	}
	t = seconds(j->time_ms);
	if (j->error) {
		if (error)
			*error = g_error_copy(j->error);
		goto out;
	}
	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot write the JUnit report %s: %s", j->path,
			g_strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"bondcheck\" tests=\"%lu\" "
		"failures=\"%lu\" errors=\"%lu\" skipped=\"%lu\" "
		"time=\"%s\">\n",
		j->tests, j->failures, j->errors, j->skipped, t);
	if (fflush(j->body) != 0) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"writing the JUnit report %s failed: %s", j->path,
			g_strerror(errno));
		fclose(f);
		g_unlink(tmp);
		goto out;
	}
	for (guint i = 0; i < j->suites->len; i++) {
		const struct suite *st = j->suites->pdata[i];

		write_suite(st, i, f);
		if (!copy_body(j->body, st, f)) {
			g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
				"writing the JUnit report %s failed: %s",
				j->path, g_strerror(errno));
			fclose(f);
			g_unlink(tmp);
			goto out;
		}
		write_suite_end(st, f);
	}
	fprintf(f, "</testsuites>\n");
	if (ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"writing the JUnit report %s failed: %s", j->path,
			g_strerror(errno));
		fclose(f);
		g_unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0 || g_rename(tmp, j->path) != 0) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot write the JUnit report %s: %s", j->path,
			g_strerror(errno));
		g_unlink(tmp);
		goto out;
	}
	ok = true;
out:
	g_free(tmp);
	g_free(t);
	return ok;
}
