/*
 * logread.c — the streaming, checking reader of run logs. Owns one line
 * buffer and one parser; must never hold more than the current line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/evlog.h"
#include "bondcheck/logread.h"

struct logread {
	FILE *f;
	bool own;
	char *path;
	GString *line;
	unsigned long lineno;
	JsonParser *parser;
	JsonNode *start;          /* copy of run-start */
	bool ended;               /* saw run-end */
	bool eof;
};

enum kind {
	K_STR,
	K_STR_NULL,              /* string or null */
	K_INT,
	K_INT_NULL,              /* integer or null */
	K_INT_ARRAY,
	K_OBJ,
};

struct member_rule {
	const char *key;
	enum kind kind;
	bool required;
};

struct type_rule {
	const char *type;
	const struct member_rule *members;
};

static const struct member_rule start_rules[] = {
	{ "schema", K_INT, true },
	{ "tool", K_STR, true },
	{ "scenario", K_OBJ, true },
	{ "label", K_STR_NULL, false },
	{ "device", K_OBJ, false },
	{ "adapter", K_OBJ, false },
	{ "bluez_version", K_STR_NULL, false },
	{ "started_at", K_STR_NULL, false },
	{ NULL, K_STR, false },
};

static const struct member_rule step_start_rules[] = {
	{ "index", K_INT, true },
	{ "line", K_INT, true },
	{ "iteration", K_INT_ARRAY, true },
	{ "name", K_STR, true },
	{ "text", K_STR_NULL, false },
	{ "timeout_ms", K_INT, false },
	{ NULL, K_STR, false },
};

static const struct member_rule step_end_rules[] = {
	{ "index", K_INT, true },
	{ "line", K_INT, true },
	{ "iteration", K_INT_ARRAY, true },
	{ "name", K_STR, true },
	{ "result", K_STR, true },
	{ "verdict", K_STR_NULL, true },
	{ "confidence", K_STR_NULL, false },
	{ "elapsed_ms", K_INT, true },
	{ "message", K_STR_NULL, false },
	{ "evidence", K_OBJ, false },
	{ NULL, K_STR, false },
};

static const struct member_rule run_end_rules[] = {
	{ "result", K_STR, true },
	{ "verdict", K_STR_NULL, false },
	{ "confidence", K_STR_NULL, false },
	{ "elapsed_ms", K_INT, true },
	{ "message", K_STR_NULL, false },
	{ "line", K_INT_NULL, false },
	{ "exit_status", K_INT, false },
	{ NULL, K_STR, false },
};

static const struct type_rule type_rules[] = {
	{ "run-start", start_rules },
	{ "step-start", step_start_rules },
	{ "step-end", step_end_rules },
	{ "run-end", run_end_rules },
};

static const char *const step_results[] = { "pass", "fail", "error",
	"interrupted" };
static const char *const run_results[] = { "passed", "failed", "error",
	"interrupted" };

struct logread *logread_open(const char *path, GError **error)
{
	struct logread *r;
	FILE *f;

	if (!strcmp(path, "-")) {
		f = stdin;
	} else {
		f = fopen(path, "re");
		if (!f) {
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"%s: cannot read: %s", path, g_strerror(errno));
			return NULL;
		}
	}
	r = g_new0(struct logread, 1);
	r->f = f;
	r->own = f != stdin;
	r->path = g_strdup(path);
	r->line = g_string_sized_new(4096);
	r->parser = json_parser_new_immutable();
	return r;
}

void logread_free(struct logread *r)
{
	if (!r)
		return;
	if (r->own)
		fclose(r->f);
	g_string_free(r->line, TRUE);
	g_object_unref(r->parser);
	if (r->start)
		json_node_unref(r->start);
	g_free(r->path);
	g_free(r);
}

const char *logread_path(struct logread *r)
{
	return r->path;
}

unsigned long logread_lineno(struct logread *r)
{
	return r->lineno;
}

const char *logread_text(struct logread *r)
{
	return r->line->str;
}

JsonObject *logread_run_start(struct logread *r)
{
	return r->start ? json_node_get_object(r->start) : NULL;
}

bool logread_complete(struct logread *r)
{
	return r->ended;
}

G_GNUC_PRINTF(4, 5)
static int fail(struct logread *r, GError **error, unsigned long col,
	const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, BCERROR, BCERROR_BAD_INPUT, "%s:%lu:%lu: %s",
		r->path, r->lineno, col ? col : 1, msg);
	g_free(msg);
	return -1;
}

/* Column of a member's key in the raw line, for the error message. */
static unsigned long key_col(struct logread *r, const char *key)
{
	char *pat = g_strdup_printf("\"%s\"", key);
	const char *p = strstr(r->line->str, pat);

	g_free(pat);
	return p ? (unsigned long)(p - r->line->str) + 1 : 1;
}

/* Read one line into r->line. 1 line, 0 EOF, -1 error. */
static int read_line(struct logread *r, bool *had_newline, GError **error)
{
	const char *nul;
	int c;

	g_string_truncate(r->line, 0);
	*had_newline = false;
	while ((c = getc_unlocked(r->f)) != EOF) {
		if (c == '\n') {
			*had_newline = true;
			break;
		}
		if (r->line->len >= LOGREAD_MAX_LINE) {
			r->lineno++;
			return fail(r, error, 1,
				"line longer than %u bytes; not a run log",
				LOGREAD_MAX_LINE);
		}
		g_string_append_c(r->line, (char)c);
	}
	if (c == EOF && ferror(r->f)) {
		r->lineno++;
		return fail(r, error, 1, "read error: %s", g_strerror(errno));
	}
	if (!r->line->len && !*had_newline)
		return 0;
	r->lineno++;
	if (r->line->len && r->line->str[r->line->len - 1] == '\r')
		g_string_truncate(r->line, r->line->len - 1);
	nul = memchr(r->line->str, '\0', r->line->len);
	if (nul)
		return fail(r, error, (unsigned long)(nul - r->line->str) + 1,
			"NUL byte in the line; not a run log");
	return 1;
}

static bool int_array(JsonNode *n)
{
	JsonArray *a;

	if (!JSON_NODE_HOLDS_ARRAY(n))
		return false;
	a = json_node_get_array(n);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_VALUE(e) ||
		    json_node_get_value_type(e) != G_TYPE_INT64 ||
		    json_node_get_int(e) < 1)
			return false;
	}
	return true;
}

static bool member_ok(JsonNode *n, enum kind k)
{
	switch (k) {
	case K_STR:
		return JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_STRING;
	case K_STR_NULL:
		return JSON_NODE_HOLDS_NULL(n) || member_ok(n, K_STR);
	case K_INT:
		return JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_INT64;
	case K_INT_NULL:
		return JSON_NODE_HOLDS_NULL(n) || member_ok(n, K_INT);
	case K_INT_ARRAY:
		return int_array(n);
	case K_OBJ:
		return JSON_NODE_HOLDS_OBJECT(n);
	}
	return false;
}

static const char *kind_text(enum kind k)
{
	switch (k) {
	case K_STR:
		return "a string";
	case K_STR_NULL:
		return "a string or null";
	case K_INT:
		return "an integer";
	case K_INT_NULL:
		return "an integer or null";
	case K_INT_ARRAY:
		return "an array of positive integers";
	case K_OBJ:
		return "an object";
	}
	return "?";
}

static bool one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, set[i]))
			return true;
	return false;
}

static int check_members(struct logread *r, JsonObject *o, const char *type,
	const struct member_rule *rules, GError **error)
{
	for (const struct member_rule *m = rules; m->key; m++) {
		JsonNode *n = json_object_get_member(o, m->key);

		if (!n) {
			if (m->required)
				return fail(r, error, 1,
					"%s without \"%s\"", type, m->key);
			continue;
		}
		if (!member_ok(n, m->kind))
			return fail(r, error, key_col(r, m->key),
				"%s: \"%s\" must be %s", type, m->key,
				kind_text(m->kind));
	}
	return 0;
}

static int check_event(struct logread *r, JsonObject *o, const char *type,
	GError **error)
{
	for (size_t i = 0; i < G_N_ELEMENTS(type_rules); i++) {
		if (strcmp(type, type_rules[i].type))
			continue;
		if (check_members(r, o, type, type_rules[i].members, error))
			return -1;
	}
	if (!strcmp(type, "step-end") &&
	    !one_of(logread_str(o, "result"), step_results,
		    G_N_ELEMENTS(step_results)))
		return fail(r, error, key_col(r, "result"),
			"step-end: unknown result \"%s\"",
			logread_str(o, "result"));
	if (!strcmp(type, "run-end") &&
	    !one_of(logread_str(o, "result"), run_results,
		    G_N_ELEMENTS(run_results)))
		return fail(r, error, key_col(r, "result"),
			"run-end: unknown result \"%s\"",
			logread_str(o, "result"));
	if ((!strcmp(type, "step-end") || !strcmp(type, "run-end")) &&
	    logread_int(o, "elapsed_ms", 0) < 0)
		return fail(r, error, key_col(r, "elapsed_ms"),
			"%s: negative elapsed_ms", type);
	return 0;
}

static int check_start(struct logread *r, JsonObject *o, const char *type,
	GError **error)
{
	JsonObject *scn;
	gint64 schema;

	if (strcmp(type, "run-start"))
		return fail(r, error, 1,
			"not a bondcheck run log: it starts with a \"%s\" "
			"event, not run-start", type);
	if (g_strcmp0(logread_str(o, "tool"), "bondcheck"))
		return fail(r, error, key_col(r, "tool"),
			"not a bondcheck run log (tool is not \"bondcheck\")");
	if (check_members(r, o, type, start_rules, error))
		return -1;
	schema = logread_int(o, "schema", 0);
	if (schema != EVLOG_SCHEMA)
		return fail(r, error, key_col(r, "schema"),
			"log schema %" G_GINT64_FORMAT " is not one this "
			"bondcheck reads (it reads schema %d)",
			schema, EVLOG_SCHEMA);
	scn = logread_obj(o, "scenario");
	if (!logread_str(scn, "name") || !logread_str(scn, "sha256"))
		return fail(r, error, key_col(r, "scenario"),
			"run-start: scenario needs string \"name\" and "
			"\"sha256\"");
	return 0;
}

int logread_next(struct logread *r, JsonObject **event, GError **error)
{
	GError *perr = NULL;
	JsonNode *root;
	JsonObject *o;
	const char *type;
	bool nl;
	int rc;

	*event = NULL;
	if (r->eof)
		return 0;
	rc = read_line(r, &nl, error);
	if (rc <= 0) {
		if (rc == 0) {
			r->eof = true;
			if (!r->lineno) {
				g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
					"%s:1:1: empty file; not a bondcheck "
					"run log", r->path);
				return -1;
			}
		}
		return rc;
	}
	if (!json_parser_load_from_data(r->parser, r->line->str,
		    (gssize)r->line->len, &perr)) {
		unsigned int ln = 0, col = 0;
		int used = 0;
		const char *m = perr->message;

		if (sscanf(m, "<data>:%u:%u: %n", &ln, &col, &used) >= 2 &&
		    used)
			m += used;
		else
			col = 1;
		if (!nl)
			rc = fail(r, error, col,
				"the line is cut short (%s); the log was "
				"truncated", m);
		else
			rc = fail(r, error, col, "%s", m);
		g_error_free(perr);
		if (r->lineno == 1 && rc < 0 && error && *error) {
			char *s = g_strconcat((*error)->message,
				" (not a bondcheck run log?)", NULL);

			g_free((*error)->message);
			(*error)->message = s;
		}
		return -1;
	}
	root = json_parser_get_root(r->parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return fail(r, error, 1, "%s",
			r->lineno == 1 ? "not a bondcheck run log (the line "
					 "is not a JSON object)" :
					 "the line is not a JSON object");
	o = json_node_get_object(root);
	type = logread_str(o, "type");
	if (!type)
		return fail(r, error, json_object_has_member(o, "type") ?
					     key_col(r, "type") : 1,
			r->lineno == 1 ? "not a bondcheck run log (no string "
					 "\"type\")" :
					 "no string \"type\"");
	if (!json_object_get_member(o, "t") ||
	    !member_ok(json_object_get_member(o, "t"), K_INT)) {
		return fail(r, error, key_col(r, "t"),
			"%s: \"t\" must be an integer (microseconds)", type);
	}
	if (r->lineno == 1) {
		if (check_start(r, o, type, error))
			return -1;
		r->start = json_node_copy(root);
	} else if (!strcmp(type, "run-start")) {
		return fail(r, error, 1,
			"a second run-start (two logs joined together?)");
	} else if (r->ended) {
		return fail(r, error, 1, "%s event after run-end", type);
	} else if (check_event(r, o, type, error)) {
		return -1;
	}
	if (!strcmp(type, "run-end"))
		r->ended = true;
	*event = o;
	return 1;
}

const char *logread_str(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_STRING ?
		json_node_get_string(n) : NULL;
}

gint64 logread_int(JsonObject *o, const char *key, gint64 dflt)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_INT64 ?
		json_node_get_int(n) : dflt;
}

JsonObject *logread_obj(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *logread_arr(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

char *logread_iteration(JsonObject *step)
{
	JsonArray *a = logread_arr(step, "iteration");
	GString *s = g_string_new("");

	for (guint i = 0; a && i < json_array_get_length(a); i++)
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "." : "",
			json_array_get_int_element(a, i));
	return g_string_free(s, FALSE);
}
