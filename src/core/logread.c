/* SPDX-License-Identifier: MIT */
/*
 * logread.c — the streaming, checking reader of run logs. Owns one line
 * buffer and one parser; must never hold more than the current line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/logread.h"

#define CHUNK ((size_t)256 * 1024)
/* levels of repeat a skimmed step may have (deeper ones get a tree) */
#define SKIM_MAX_ITER 8

/* What logread_event() describes, and the storage its strings need. */
struct logread_view {
	struct logread_event ev;
	struct logread_step step;
	GString *iteration; /* a tree step's, dotted */
	/* a skimmed step's strings */
	char name[32];
	char central[40];
	char verdict[40];
	char iter[SKIM_MAX_ITER * 20];
};

struct logread {
	FILE *f;
	bool own;
	char *path;
	GString *line;
	/* read in chunks: a line is found with memchr, not char by char */
	char *buf;
	size_t buf_len, buf_pos;
	bool skim;
	char type[32];            /* the current event's type */
	struct logread_view view; /* the current event */
	unsigned long lineno;
	JsonParser *parser;
	JsonNode *start; /* copy of run-start */
	bool ended;      /* saw run-end */
	bool eof;
};

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
	r->buf = g_malloc(CHUNK);
	r->parser = json_parser_new_immutable();
	r->view.iteration = g_string_new("");
	return r;
}

void logread_free(struct logread *r)
{
	if (!r)
		return;
	if (r->own)
		fclose(r->f);
	g_string_free(r->line, TRUE);
	g_free(r->buf);
	g_object_unref(r->parser);
	g_string_free(r->view.iteration, TRUE);
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

void logread_set_skim(struct logread *r, bool skim)
{
	r->skim = skim;
}

const char *logread_type(struct logread *r)
{
	return r->type;
}

const struct logread_event *logread_event(struct logread *r)
{
	return &r->view.ev;
}

const struct logread_step *logread_step(struct logread *r)
{
	return r->view.ev.step;
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

	g_string_truncate(r->line, 0);
	*had_newline = false;
	for (;;) {
		const char *p, *nl;
		size_t n;

		if (r->buf_pos == r->buf_len) {
			r->buf_len = fread(r->buf, 1, CHUNK, r->f);
			r->buf_pos = 0;
			if (!r->buf_len) {
				if (ferror(r->f)) {
					r->lineno++;
					return fail(r, error, 1,
						"read error: %s",
						g_strerror(errno));
				}
				break;
			}
		}
		p = r->buf + r->buf_pos;
		n = r->buf_len - r->buf_pos;
		nl = memchr(p, '\n', n);
		if (nl)
			n = (size_t)(nl - p);
		if (r->line->len + n > LOGREAD_MAX_LINE) {
			r->lineno++;
			return fail(r, error, 1,
				"line longer than %zu bytes; not a run log",
				LOGREAD_MAX_LINE);
		}
		g_string_append_len(r->line, p, (gssize)n);
		r->buf_pos += n;
		if (nl) {
			r->buf_pos++;
			*had_newline = true;
			break;
		}
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

/*
 * ---- skimming ----
 *
 * Most lines of a long log are raw events (bluez, sim, agent, hci) that
 * compare and report only need to know are well-formed JSON objects with a
 * string "type" and an integer "t". A strict RFC 8259 scanner checks that
 * without building a tree; anything it does not fully understand (escapes
 * in the type, a syntax error, deep nesting) goes to json-glib, which then
 * says what is wrong and where.
 */

struct scan {
	const char *p, *end;
	int depth;
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
					*s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/*
 * After a member or an element: skips blanks, then a ',' (1: another
 * follows, blanks after it skipped too) or @close (0: the end); -1 for
 * anything else.
 */
static int next_or_close(struct scan *s, char close)
{
	ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++;
		ws(s);
		return 1;
	}
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	return -1;
}

static bool value(struct scan *s);

/* A string; *plain says it had no escapes (then [*a, *b) is its text). */
static bool string(struct scan *s, const char **a, const char **b, bool *plain)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	*a = s->p;
	*plain = true;
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;

		if (c == '"') {
			*b = s->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			*plain = false;
			if (++s->p >= s->end)
				return false;
			switch (*s->p) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't': s->p++; break;
			case 'u':
				if (s->end - s->p < 5)
					return false;
				for (int i = 1; i <= 4; i++)
					if (!g_ascii_isxdigit(s->p[i]))
						return false;
				/* a UTF-16 surrogate: json-glib has rules of
				 * its own for those; let it decide */
				if (g_ascii_tolower(s->p[1]) == 'd' &&
					g_ascii_xdigit_value(s->p[2]) >= 8)
					return false;
				s->p += 5;
				break;
			default: return false;
			}
			continue;
		}
		s->p++; /* UTF-8 is checked for the whole line at once */
	}
	return false;
}

/* A number; *integer says it had no fraction or exponent. */
static bool number(struct scan *s, bool *integer)
{
	const char *start = s->p;

	*integer = true;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || !g_ascii_isdigit(*s->p))
		return false;
	if (*s->p == '0')
		s->p++;
	else
		while (s->p < s->end && g_ascii_isdigit(*s->p))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		*integer = false;
		if (++s->p >= s->end || !g_ascii_isdigit(*s->p))
			return false;
		while (s->p < s->end && g_ascii_isdigit(*s->p))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		*integer = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || !g_ascii_isdigit(*s->p))
			return false;
		while (s->p < s->end && g_ascii_isdigit(*s->p))
			s->p++;
	}
	/* json-glib reads integers into 64 bits: longer ones go to it */
	return !*integer || s->p - start <= 18;
}

static bool word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
		return false;
	s->p += n;
	return true;
}

/*
 * An object member's key and its ':' (blanks around skipped): the key's
 * bytes between *@a and *@b, *@plain when it has no escapes.
 */
static bool member_key(struct scan *s, const char **a, const char **b,
	bool *plain)
{
	if (!string(s, a, b, plain))
		return false;
	ws(s);
	if (s->p >= s->end || *s->p++ != ':')
		return false;
	ws(s);
	return true;
}

static bool container(struct scan *s, char close, bool object)
{
	if (++s->depth > 64)
		return false;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			const char *a, *b;
			bool plain;

			if (!member_key(s, &a, &b, &plain))
				return false;
		}
		if (!value(s))
			return false;
		switch (next_or_close(s, close)) {
		case 1: continue;
		case 0: s->depth--; return true;
		default: return false;
		}
	}
}

static bool value(struct scan *s)
{
	const char *a, *b;
	bool flag;

	ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{': return container(s, '}', true);
	case '[': return container(s, ']', false);
	case '"': return string(s, &a, &b, &flag);
	case 't': return word(s, "true");
	case 'f': return word(s, "false");
	case 'n': return word(s, "null");
	default: return number(s, &flag);
	}
}

/*
 * Skim a line: true when it is a JSON object whose top level has a plain
 * string "type" (copied to @type) and an integer "t". False: let json-glib
 * read it (and report it, if it is wrong).
 */
static bool skim_line(const char *line, size_t len, char *type, size_t tsize)
{
	struct scan s = { line, line + len, 0 };
	bool have_type = false, have_t = false;
	int n;

	ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return false;
	s.p++;
	s.depth = 1;
	ws(&s);
	if (s.p < s.end && *s.p == '}')
		return false;
	for (;;) {
		const char *ka, *kb;
		bool plain;

		if (!member_key(&s, &ka, &kb, &plain) || !plain)
			return false;
		if ((size_t)(kb - ka) == strlen(LOG_KEY_TYPE) &&
			!memcmp(ka, LOG_KEY_TYPE, strlen(LOG_KEY_TYPE))) {
			const char *va, *vb;
			bool vplain;

			if (!string(&s, &va, &vb, &vplain) || !vplain ||
				(size_t)(vb - va) >= tsize || have_type)
				return false;
			memcpy(type, va, (size_t)(vb - va));
			type[vb - va] = '\0';
			have_type = true;
		} else if ((size_t)(kb - ka) == strlen(LOG_KEY_T) &&
			   !memcmp(ka, LOG_KEY_T, strlen(LOG_KEY_T))) {
			bool integer;

			if (!number(&s, &integer) || !integer || have_t)
				return false;
			have_t = true;
		} else if (!value(&s)) {
			return false;
		}
		n = next_or_close(&s, '}');
		if (n < 0)
			return false;
		if (n == 0)
			break;
	}
	ws(&s);
	return s.p == s.end && have_type && have_t &&
	       g_utf8_validate(line, (gssize)len, NULL);
}

/* A plain string value into @dst (size @n); false if not one. */
static bool plain_string(struct scan *s, char *dst, size_t n)
{
	const char *a, *b;
	bool plain;

	if (!string(s, &a, &b, &plain) || !plain || (size_t)(b - a) >= n)
		return false;
	memcpy(dst, a, (size_t)(b - a));
	dst[b - a] = '\0';
	return true;
}

static bool int_value(struct scan *s, gint64 *out)
{
	const char *a = s->p;
	bool integer;

	if (!number(s, &integer) || !integer)
		return false;
	*out = g_ascii_strtoll(a, NULL, 10);
	return true;
}

static bool is_null(struct scan *s)
{
	return word(s, "null");
}

/* evidence: an object; only its top-level latency_ms is kept */
static bool evidence(struct scan *s, gint64 *latency)
{
	if (s->p >= s->end || *s->p != '{')
		return false;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		const char *ka, *kb;
		bool plain;

		if (!member_key(s, &ka, &kb, &plain))
			return false;
		if (plain && (size_t)(kb - ka) == strlen(LOG_KEY_LATENCY_MS) &&
			!memcmp(ka, LOG_KEY_LATENCY_MS, (size_t)(kb - ka)) &&
			s->p < s->end && *s->p != 'n') {
			if (!int_value(s, latency))
				return false;
		} else if (!value(s)) {
			return false;
		}
		switch (next_or_close(s, '}')) {
		case 1: continue;
		case 0: return true;
		default: return false;
		}
	}
}

/* An iteration array, plain and at most SKIM_MAX_ITER deep, as "2.3". */
static bool skim_iteration(struct scan *s, char *buf, size_t size)
{
	size_t used = 0;
	int n;

	buf[0] = '\0';
	if (s->p >= s->end || *s->p++ != '[')
		return false;
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (unsigned levels = 0;; levels++) {
		gint64 v;

		if (levels >= SKIM_MAX_ITER || !int_value(s, &v) || v < 1)
			return false;
		used += (size_t)g_snprintf(buf + used, size - used,
			"%s%" G_GINT64_FORMAT, levels ? "." : "", v);
		if (used >= size)
			return false;
		n = next_or_close(s, ']');
		if (n < 0)
			return false;
		if (n == 0)
			return true;
	}
}

/*
 * A step-start, or a step-end that passed, into @v's step: only when every
 * member the schema names is there, of its type and plain. False: let
 * json-glib read it (failures carry evidence compare and report keep).
 */
static bool skim_step(const char *line, size_t len, bool end,
	struct logread_view *v)
{
	struct scan s = { line, line + len, 1 };
	struct logread_step *st = &v->step;
	bool have_index = false, have_line = false, have_iter = false;
	bool have_name = false, have_result = false, have_verdict = false;
	bool have_elapsed = false;
	char result[16];
	int n;

	memset(st, 0, sizeof(*st));
	st->end = end;
	st->timeout_ms = -1;
	st->latency_ms = -1;
	st->result = LOG_STEP_PASS;
	st->iteration = v->iter;
	st->name = v->name;
	st->central = LOG_CENTRAL_DEFAULT;
	ws(&s);
	if (s.p >= s.end || *s.p++ != '{')
		return false;
	ws(&s);
	for (;;) {
		const char *ka, *kb;
		size_t kl;
		bool plain;

		if (!member_key(&s, &ka, &kb, &plain) || !plain)
			return false;
		kl = (size_t)(kb - ka);
#define KEY(k) (kl == sizeof(k) - 1 && !memcmp(ka, k, kl))
		if (KEY(LOG_KEY_INDEX)) {
			if (!int_value(&s, &st->index))
				return false;
			have_index = true;
		} else if (KEY(LOG_KEY_LINE)) {
			if (!int_value(&s, &st->line))
				return false;
			have_line = true;
		} else if (KEY(LOG_KEY_ITERATION)) {
			if (!skim_iteration(&s, v->iter, sizeof(v->iter)))
				return false;
			have_iter = true;
		} else if (KEY(LOG_KEY_NAME)) {
			if (!plain_string(&s, v->name, sizeof(v->name)))
				return false;
			have_name = true;
		} else if (KEY(LOG_KEY_CENTRAL)) {
			if (!plain_string(&s, v->central, sizeof(v->central)))
				return false;
			st->central = v->central;
		} else if (KEY(LOG_KEY_RESULT)) {
			if (!plain_string(&s, result, sizeof(result)) ||
				strcmp(result,
					log_step_result_to_str(LOG_STEP_PASS)))
				return false;
			have_result = true;
		} else if (KEY(LOG_KEY_VERDICT)) {
			if (!plain_string(&s, v->verdict, sizeof(v->verdict)))
				return false;
			have_verdict = true;
		} else if (KEY(LOG_KEY_ELAPSED_MS)) {
			if (!int_value(&s, &st->elapsed_ms) ||
				st->elapsed_ms < 0)
				return false;
			have_elapsed = true;
		} else if (KEY(LOG_KEY_TIMEOUT_MS)) {
			if (!int_value(&s, &st->timeout_ms))
				return false;
		} else if (KEY(LOG_KEY_CONFIDENCE) || KEY(LOG_KEY_MESSAGE)) {
			/* a passing step has neither */
			if (!is_null(&s))
				return false;
		} else if (KEY(LOG_KEY_EVIDENCE)) {
			if (!evidence(&s, &st->latency_ms))
				return false;
		} else if (KEY(LOG_KEY_TEXT)) {
			/* not kept: it may hold escapes (a tree's has it) */
			const char *a, *b;
			bool p2;

			if (!is_null(&s) && !string(&s, &a, &b, &p2))
				return false;
		} else if (!value(&s)) {
			return false;
		}
#undef KEY
		n = next_or_close(&s, '}');
		if (n < 0)
			return false;
		if (n == 0)
			break;
	}
	ws(&s);
	if (s.p != s.end || !have_index || !have_line || !have_iter ||
		!have_name)
		return false;
	if (end && (!have_result || !have_verdict || !have_elapsed))
		return false;
	st->verdict = have_verdict ? v->verdict : NULL;
	return true;
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

static bool member_ok(JsonNode *n, enum log_kind k)
{
	switch (k) {
	case LOG_KIND_STR:
		return JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_STRING;
	case LOG_KIND_STR_NULL:
		return JSON_NODE_HOLDS_NULL(n) || member_ok(n, LOG_KIND_STR);
	case LOG_KIND_INT:
		return JSON_NODE_HOLDS_VALUE(n) &&
		       json_node_get_value_type(n) == G_TYPE_INT64;
	case LOG_KIND_INT_NULL:
		return JSON_NODE_HOLDS_NULL(n) || member_ok(n, LOG_KIND_INT);
	case LOG_KIND_INT_ARRAY: return int_array(n);
	case LOG_KIND_OBJ: return JSON_NODE_HOLDS_OBJECT(n);
	}
	return false;
}

static int check_members(struct logread *r, JsonObject *o, const char *type,
	enum log_event ev, GError **error)
{
	for (const struct log_member *m = log_event_members(ev); m->key; m++) {
		JsonNode *n = json_object_get_member(o, m->key);

		if (!n) {
			if (m->required)
				return fail(r, error, 1, "%s without \"%s\"",
					type, m->key);
			continue;
		}
		if (!member_ok(n, m->kind))
			return fail(r, error, key_col(r, m->key),
				"%s: \"%s\" must be %s", type, m->key,
				log_kind_to_str(m->kind));
	}
	return 0;
}

static int check_event(struct logread *r, JsonObject *o, const char *type,
	GError **error)
{
	const char *result;
	enum log_step_result sr;
	enum log_run_result rr;
	enum log_event ev;

	if (!log_event_from_str(type, &ev))
		return 0; /* a type a later bondcheck writes: ignored */
	if (check_members(r, o, type, ev, error))
		return -1;
	result = logread_str(o, LOG_KEY_RESULT);
	if (ev == LOG_EVENT_STEP_END && !log_step_result_from_str(result, &sr))
		return fail(r, error, key_col(r, LOG_KEY_RESULT),
			"step-end: unknown result \"%s\"", result);
	if (ev == LOG_EVENT_RUN_END && !log_run_result_from_str(result, &rr))
		return fail(r, error, key_col(r, LOG_KEY_RESULT),
			"run-end: unknown result \"%s\"", result);
	if ((ev == LOG_EVENT_STEP_END || ev == LOG_EVENT_RUN_END) &&
		logread_int(o, LOG_KEY_ELAPSED_MS, 0) < 0)
		return fail(r, error, key_col(r, LOG_KEY_ELAPSED_MS),
			"%s: negative elapsed_ms", type);
	return 0;
}

static int check_start(struct logread *r, JsonObject *o, const char *type,
	GError **error)
{
	JsonObject *scn;
	gint64 schema;

	if (strcmp(type, log_event_to_str(LOG_EVENT_RUN_START)) != 0)
		return fail(r, error, 1,
			"not a bondcheck run log: it starts with a \"%s\" "
			"event, not run-start",
			type);
	if (g_strcmp0(logread_str(o, LOG_KEY_TOOL), LOG_TOOL) != 0)
		return fail(r, error, key_col(r, LOG_KEY_TOOL),
			"not a bondcheck run log (tool is not \"bondcheck\")");
	if (check_members(r, o, type, LOG_EVENT_RUN_START, error))
		return -1;
	schema = logread_int(o, LOG_KEY_SCHEMA, 0);
	if (schema != LOG_SCHEMA)
		return fail(r, error, key_col(r, LOG_KEY_SCHEMA),
			"log schema %" G_GINT64_FORMAT " is not one this "
			"bondcheck reads (it reads schema %d)",
			schema, LOG_SCHEMA);
	scn = logread_obj(o, LOG_KEY_SCENARIO);
	if (!logread_str(scn, LOG_KEY_NAME) ||
		!logread_str(scn, LOG_KEY_SHA256))
		return fail(r, error, key_col(r, LOG_KEY_SCENARIO),
			"run-start: scenario needs string \"name\" and "
			"\"sha256\"");
	return 0;
}

/* ---- the one description of an event readers use ---- */

static void iteration_text(JsonObject *o, GString *out)
{
	JsonArray *a = logread_arr(o, LOG_KEY_ITERATION);

	g_string_truncate(out, 0);
	for (guint i = 0; a && i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);

		if (JSON_NODE_HOLDS_VALUE(n) &&
			json_node_get_value_type(n) == G_TYPE_INT64)
			g_string_append_printf(out, "%s%" G_GINT64_FORMAT,
				out->len ? "." : "", json_node_get_int(n));
	}
}

/* A step event's members from its tree. False: not one we can describe. */
static bool step_from_tree(struct logread_view *v, JsonObject *o, bool end)
{
	struct logread_step *st = &v->step;

	memset(st, 0, sizeof(*st));
	st->end = end;
	st->index = logread_int(o, LOG_KEY_INDEX, 0);
	st->line = logread_int(o, LOG_KEY_LINE, 0);
	iteration_text(o, v->iteration);
	st->iteration = v->iteration->str;
	st->name = logread_str(o, LOG_KEY_NAME);
	if (!st->name)
		st->name = "?";
	st->central = logread_str(o, LOG_KEY_CENTRAL);
	if (!st->central)
		st->central = LOG_CENTRAL_DEFAULT;
	st->text = logread_str(o, LOG_KEY_TEXT);
	st->timeout_ms = logread_int(o, LOG_KEY_TIMEOUT_MS, -1);
	st->latency_ms = -1;
	if (!end)
		return true;
	if (!log_step_result_from_str(logread_str(o, LOG_KEY_RESULT),
		    &st->result))
		return false;
	st->verdict = logread_str(o, LOG_KEY_VERDICT);
	st->confidence = logread_str(o, LOG_KEY_CONFIDENCE);
	st->message = logread_str(o, LOG_KEY_MESSAGE);
	st->elapsed_ms = logread_int(o, LOG_KEY_ELAPSED_MS, 0);
	st->evidence = logread_obj(o, LOG_KEY_EVIDENCE);
	st->latency_ms = logread_int(st->evidence, LOG_KEY_LATENCY_MS, -1);
	return true;
}

/* Describe the event @type, @o (NULL when skimmed) in @v. */
static bool describe(struct logread_view *v, const char *type, JsonObject *o,
	const char *line)
{
	struct logread_event *ev = &v->ev;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->known = log_event_from_str(type, &ev->event);
	ev->object = o;
	ev->line = line;
	if (!ev->known || !o ||
		(ev->event != LOG_EVENT_STEP_START &&
			ev->event != LOG_EVENT_STEP_END))
		return true;
	if (!step_from_tree(v, o, ev->event == LOG_EVENT_STEP_END))
		return false;
	ev->step = &v->step;
	return true;
}

struct logread_view *logread_view_new(void)
{
	struct logread_view *v = g_new0(struct logread_view, 1);

	v->iteration = g_string_new("");
	return v;
}

void logread_view_free(struct logread_view *v)
{
	if (!v)
		return;
	g_string_free(v->iteration, TRUE);
	g_free(v);
}

const struct logread_event *logread_view_set(struct logread_view *v,
	JsonObject *event)
{
	const char *type = logread_str(event, LOG_KEY_TYPE);

	if (!type || !describe(v, type, event, NULL))
		return NULL;
	return &v->ev;
}

/*
 * json-glib's parse errors read "<data>:LINE:COL: what": the column and
 * the what; anything else is column 1 and the whole message.
 */
static const char *parser_position(const char *m, unsigned long *col)
{
	const char *p;
	char *end;
	guint64 c;

	*col = 1;
	if (!g_str_has_prefix(m, "<data>:"))
		return m;
	p = m + strlen("<data>:");
	if (!g_ascii_isdigit(*p))
		return m;
	(void)g_ascii_strtoull(p, &end, 10);
	if (*end != ':' || !g_ascii_isdigit(end[1]))
		return m;
	c = g_ascii_strtoull(end + 1, &end, 10);
	if (*end != ':')
		return m;
	*col = (unsigned long)c;
	for (p = end + 1; g_ascii_isspace(*p); p++)
		;
	return p;
}

/* ---- reading ---- */

int logread_next(struct logread *r, JsonObject **event, GError **error)
{
	GError *perr = NULL;
	JsonNode *root;
	JsonObject *o;
	const char *type;
	enum log_event ev;
	size_t deep;
	bool nl;
	int rc;

	if (event)
		*event = NULL;
	memset(&r->view.ev, 0, sizeof(r->view.ev));
	r->view.ev.type = "";
	if (r->eof)
		return 0;
	rc = read_line(r, &nl, error);
	if (rc <= 0) {
		if (rc == 0) {
			r->eof = true;
			if (!r->lineno) {
				g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
					"%s:1:1: empty file; not a bondcheck "
					"run log",
					r->path);
				return -1;
			}
		}
		return rc;
	}
	r->type[0] = '\0';
	if (r->skim && r->lineno > 1 && !r->ended &&
		skim_line(r->line->str, r->line->len, r->type,
			sizeof(r->type))) {
		bool known = log_event_from_str(r->type, &ev);

		if (!known || !log_event_is_structural(ev)) {
			/* a raw event, well formed: no tree */
			describe(&r->view, r->type, NULL, r->line->str);
			return 1;
		}
		if ((ev == LOG_EVENT_STEP_START || ev == LOG_EVENT_STEP_END) &&
			skim_step(r->line->str, r->line->len,
				ev == LOG_EVENT_STEP_END, &r->view)) {
			/* a plain step: its members, no tree */
			describe(&r->view, r->type, NULL, r->line->str);
			r->view.ev.step = &r->view.step;
			return 1;
		}
	}
	r->type[0] = '\0';
	/* json-glib recurses per level: measure before it sees the line */
	deep = jsontext_too_deep(r->line->str, r->line->len, LOGREAD_MAX_DEPTH);
	if (deep)
		return fail(r, error, deep, "nested deeper than %u levels",
			LOGREAD_MAX_DEPTH);
	if (!json_parser_load_from_data(r->parser, r->line->str,
		    (gssize)r->line->len, &perr)) {
		unsigned long col;
		const char *m = parser_position(perr->message, &col);

		if (!nl)
			rc = fail(r, error, col,
				"the line is cut short (%s); the log was "
				"truncated",
				m);
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
	type = logread_str(o, LOG_KEY_TYPE);
	if (!type)
		return fail(r, error,
			json_object_has_member(o, LOG_KEY_TYPE) ?
				key_col(r, LOG_KEY_TYPE) :
				1,
			r->lineno == 1 ? "not a bondcheck run log (no string "
					 "\"type\")" :
					 "no string \"type\"");
	if (!json_object_get_member(o, LOG_KEY_T) ||
		!member_ok(json_object_get_member(o, LOG_KEY_T),
			LOG_KIND_INT)) {
		return fail(r, error, key_col(r, LOG_KEY_T),
			"%s: \"t\" must be an integer (microseconds)", type);
	}
	if (r->lineno == 1) {
		if (check_start(r, o, type, error))
			return -1;
		r->start = json_node_copy(root);
	} else if (log_event_from_str(type, &ev) && ev == LOG_EVENT_RUN_START) {
		return fail(r, error, 1,
			"a second run-start (two logs joined together?)");
	} else if (r->ended) {
		return fail(r, error, 1, "%s event after run-end", type);
	} else if (check_event(r, o, type, error)) {
		return -1;
	}
	if (log_event_from_str(type, &ev) && ev == LOG_EVENT_RUN_END)
		r->ended = true;
	g_strlcpy(r->type, type, sizeof(r->type));
	/* checked above: a step's result is one the schema knows */
	describe(&r->view, type, o, r->line->str);
	if (event)
		*event = o;
	return 1;
}

const char *logread_str(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	                       json_node_get_value_type(n) == G_TYPE_STRING ?
	               json_node_get_string(n) :
	               NULL;
}

gint64 logread_int(JsonObject *o, const char *key, gint64 dflt)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	                       json_node_get_value_type(n) == G_TYPE_INT64 ?
	               json_node_get_int(n) :
	               dflt;
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
	GString *s = g_string_new("");

	iteration_text(step, s);
	return g_string_free(s, FALSE);
}
