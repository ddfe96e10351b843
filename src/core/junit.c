/* SPDX-License-Identifier: MIT */
/*
 * junit.c — the JUnit XML writer. Owns a temporary file of finished test
 * cases and the report's final path; never writes the final file until it is
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

struct junit {
	char *path;
	FILE *body;               /* the <testcase> elements so far */
	char *suite;
	char *timestamp;
	char *hostname;
	char *system_out;
	GPtrArray *props;         /* name, value, name, value, ... */
	unsigned long tests, failures, errors, skipped;
	GError *error;            /* first write error on the body */
};

const char *junit_status_to_str(enum junit_status s)
{
	switch (s) {
	case JUNIT_PASSED:
		return "passed";
	case JUNIT_FAILURE:
		return "failure";
	case JUNIT_ERROR:
		return "error";
	case JUNIT_SKIPPED:
		return "skipped";
	}
	return "?";
}

static bool xml_char_ok(gunichar c)
{
	return c == 0x9 || c == 0xA || c == 0xD ||
	       (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	       (c >= 0x10000 && c <= 0x10FFFF);
}

char *junit_escape(const char *s)
{
	char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(strlen(valid) + 16);

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&apos;");
			break;
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

struct junit *junit_new(const char *path, GError **error)
{
	struct junit *j;
	FILE *body = tmpfile();

	if (!body) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot create a temporary file for the JUnit report: "
			"%s", g_strerror(errno));
		return NULL;
	}
	j = g_new0(struct junit, 1);
	j->path = g_strdup(path);
	j->body = body;
	j->props = g_ptr_array_new_with_free_func(g_free);
	j->suite = g_strdup("bondcheck");
	return j;
}

void junit_free(struct junit *j)
{
	if (!j)
		return;
	if (j->body)
		fclose(j->body);
	g_ptr_array_free(j->props, TRUE);
	g_free(j->path);
	g_free(j->suite);
	g_free(j->timestamp);
	g_free(j->hostname);
	g_free(j->system_out);
	g_clear_error(&j->error);
	g_free(j);
}

void junit_set_suite(struct junit *j, const char *name, const char *timestamp,
	const char *hostname)
{
	g_free(j->suite);
	g_free(j->timestamp);
	g_free(j->hostname);
	j->suite = g_strdup(name ? name : "bondcheck");
	j->timestamp = g_strdup(timestamp);
	j->hostname = g_strdup(hostname);
}

void junit_add_property(struct junit *j, const char *name, const char *value)
{
	g_ptr_array_add(j->props, g_strdup(name));
	g_ptr_array_add(j->props, g_strdup(value ? value : ""));
}

void junit_set_system_out(struct junit *j, const char *text)
{
	g_free(j->system_out);
	j->system_out = g_strdup(text);
}

static char *seconds(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	return g_strdup_printf("%" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT,
		ms / 1000, ms % 1000);
}

bool junit_add_case(struct junit *j, const struct junit_case *c,
	GError **error)
{
	char *name = junit_escape(c->name);
	char *cls = junit_escape(c->classname);
	char *msg = junit_escape(c->message);
	char *type = junit_escape(c->type ? c->type : "");
	char *text = junit_escape(c->text);
	char *t = seconds(c->time_ms);
	const char *el = NULL;

	j->tests++;
	fprintf(j->body, "    <testcase name=\"%s\" classname=\"%s\" "
			 "time=\"%s\"", name, cls, t);
	switch (c->status) {
	case JUNIT_PASSED:
		break;
	case JUNIT_FAILURE:
		j->failures++;
		el = "failure";
		break;
	case JUNIT_ERROR:
		j->errors++;
		el = "error";
		break;
	case JUNIT_SKIPPED:
		j->skipped++;
		el = "skipped";
		break;
	}
	if (!el)
		fprintf(j->body, "/>\n");
	else if (c->status == JUNIT_SKIPPED)
		fprintf(j->body, ">\n      <skipped message=\"%s\"/>\n"
				 "    </testcase>\n", msg);
	else
		fprintf(j->body, ">\n      <%s message=\"%s\" type=\"%s\">%s"
				 "</%s>\n    </testcase>\n",
			el, msg, type, text, el);
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

static bool copy_body(FILE *from, FILE *to)
{
	char buf[65536];
	size_t n;

	if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
		return false;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return false;
	return !ferror(from);
}

bool junit_finish(struct junit *j, int64_t total_ms, GError **error)
{
	char *tmp = g_strconcat(j->path, ".XXXXXX", NULL);
	char *suite = junit_escape(j->suite);
	char *stamp = junit_escape(j->timestamp ? j->timestamp :
						  "1970-01-01T00:00:00");
	char *host = junit_escape(j->hostname ? j->hostname : "localhost");
	char *t = seconds(total_ms);
	bool ok = false;
	FILE *f = NULL;
	int fd;

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
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"bondcheck\" tests=\"%lu\" "
		   "failures=\"%lu\" errors=\"%lu\" skipped=\"%lu\" "
		   "time=\"%s\">\n",
		j->tests, j->failures, j->errors, j->skipped, t);
	fprintf(f, "  <testsuite name=\"%s\" package=\"bondcheck\" id=\"0\" "
		   "hostname=\"%s\" timestamp=\"%s\" tests=\"%lu\" "
		   "failures=\"%lu\" errors=\"%lu\" skipped=\"%lu\" "
		   "time=\"%s\">\n",
		suite, host, stamp, j->tests, j->failures, j->errors,
		j->skipped, t);
	fprintf(f, "    <properties>\n");
	for (guint i = 0; i + 1 < j->props->len; i += 2) {
		char *n = junit_escape(j->props->pdata[i]);
		char *v = junit_escape(j->props->pdata[i + 1]);

		fprintf(f, "      <property name=\"%s\" value=\"%s\"/>\n", n, v);
		g_free(n);
		g_free(v);
	}
	fprintf(f, "    </properties>\n");
	if (!copy_body(j->body, f)) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"writing the JUnit report %s failed: %s", j->path,
			g_strerror(errno));
		fclose(f);
		g_unlink(tmp);
		goto out;
	}
	{
		char *so = junit_escape(j->system_out);

		fprintf(f, "    <system-out>%s</system-out>\n"
			   "    <system-err></system-err>\n"
			   "  </testsuite>\n</testsuites>\n", so);
		g_free(so);
	}
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
	g_free(suite);
	g_free(stamp);
	g_free(host);
	g_free(t);
	return ok;
}
