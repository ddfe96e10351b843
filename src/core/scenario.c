/* SPDX-License-Identifier: MIT */
/*
 * scenario.c — the scenario parser. Pure; owns the step tree it returns.
 * Never stops at the first error: every error of a file is collected with
 * its line and column, so `bondcheck check` can show them all at once.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/scenario.h"
#include "bondcheck/suggest.h"

struct word {
	char *text;
	int col;
};

struct parser {
	const char *file;
	GPtrArray *errors;
	GHashTable *vars;  /* name -> value, as in effect now */
	GHashTable *fixed; /* names set by --set: `set` cannot change */
	GHashTable *names; /* names the file uses (struct scenario's) */
	const struct scenario_options *opts;
	int line;
	/* limits (scenario.h) */
	size_t line_len;        /* the current line, ${...} expanded so far */
	bool line_over;         /* it went past SCN_MAX_LINE (said once) */
	size_t expanded;        /* bytes every ${...} of the file added */
	bool file_over;         /* past SCN_MAX_EXPANDED (said once) */
	struct scn_error *stop; /* "too many errors": the parse stops */
	/* centrals: declared before the first step */
	GPtrArray *centrals; /* struct scn_central */
	int first_step_line; /* 0: no step yet */
	bool centrals_over;  /* past SCN_MAX_CENTRALS (said once) */
};

/* ---- names -------------------------------------------------------------- */

const char *scn_via_to_str(enum scn_via via)
{
	switch (via) {
	case SCN_VIA_SIM: return "sim";
	case SCN_VIA_COMMAND: return "command";
	case SCN_VIA_SERIAL: return "serial";
	case SCN_VIA_GATT: return "gatt";
	case SCN_VIA_MANUAL: return "manual";
	}
	return "unknown";
}

const char *scn_method_to_str(enum scn_method method)
{
	switch (method) {
	case SCN_METHOD_ANY: return "any";
	case SCN_METHOD_JUST_WORKS: return "just-works";
	case SCN_METHOD_NUMERIC_COMPARISON: return "numeric-comparison";
	case SCN_METHOD_PASSKEY_ENTRY: return "passkey-entry";
	}
	return "unknown";
}

const char *scn_reboot_kind_to_str(enum scn_reboot_kind kind)
{
	switch (kind) {
	case SCN_REBOOT_HARD: return "hard";
	case SCN_REBOOT_GRACEFUL: return "graceful";
	}
	return "unknown";
}

const char *scn_privacy_to_str(enum scn_privacy privacy)
{
	switch (privacy) {
	case SCN_PRIVACY_DEFAULT: return "default";
	case SCN_PRIVACY_ON: return "on";
	case SCN_PRIVACY_OFF: return "off";
	}
	return "unknown";
}

const char *scn_central_label(const struct scn_central *c)
{
	return c && c->name ? c->name : "default";
}

const char *scn_prop_to_str(enum scn_prop p)
{
	switch (p) {
	case SCN_PROP_CONNECTED: return "connected";
	case SCN_PROP_PAIRED: return "paired";
	case SCN_PROP_BONDED: return "bonded";
	case SCN_PROP_TRUSTED: return "trusted";
	case SCN_PROP_SERVICES_RESOLVED: return "services-resolved";
	}
	return "unknown";
}

const char *scn_prop_bluez_name(enum scn_prop p)
{
	switch (p) {
	case SCN_PROP_CONNECTED: return "Connected";
	case SCN_PROP_PAIRED: return "Paired";
	case SCN_PROP_BONDED: return "Bonded";
	case SCN_PROP_TRUSTED: return "Trusted";
	case SCN_PROP_SERVICES_RESOLVED: return "ServicesResolved";
	}
	return "";
}

/* ---- errors ------------------------------------------------------------- */

/* A message quotes what it found: at most SCN_MAX_MESSAGE bytes of it. */
static char *clip(char *msg)
{
	size_t n = strlen(msg), cut = SCN_MAX_MESSAGE - 3;

	if (n <= SCN_MAX_MESSAGE)
		return msg;
	/* lines are valid UTF-8 (checked first): cut between characters */
	while (cut && ((unsigned char)msg[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(msg + cut, "...", 4);
	return msg;
}

G_GNUC_PRINTF(3, 4)
static void err_at(struct parser *p, int col, const char *fmt, ...)
{
	struct scn_error *e;
	va_list ap;

	if (p->stop)
		return;
	e = g_new0(struct scn_error, 1);
	e->file = g_strdup(p->file);
	e->line = p->line;
	e->col = col;
	if (p->errors->len >= SCN_MAX_ERRORS) {
		/* the rest of the file is not read: what it says is bounded */
		e->message = g_strdup_printf("more than %u errors; stopping "
					     "here",
			SCN_MAX_ERRORS);
		p->stop = e;
		g_ptr_array_add(p->errors, e);
		return;
	}
	va_start(ap, fmt);
	e->message = clip(g_strdup_vprintf(fmt, ap));
	va_end(ap);
	g_ptr_array_add(p->errors, e);
}

void scn_error_free(void *data)
{
	struct scn_error *e = data;

	if (!e)
		return;
	g_free(e->file);
	g_free(e->message);
	g_free(e);
}

char *scn_error_format(const struct scn_error *e)
{
	if (e->line <= 0)
		return g_strdup_printf("%s: %s", e->file, e->message);
	return g_strdup_printf("%s:%d:%d: %s", e->file, e->line, e->col,
		e->message);
}

/* ---- words -------------------------------------------------------------- */

static bool var_name_ok(const char *s, size_t n)
{
	if (n == 0 || !(g_ascii_isalpha(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(g_ascii_isalnum(s[i]) || s[i] == '_'))
			return false;
	return true;
}

bool scenario_var_name_ok(const char *name)
{
	return name && var_name_ok(name, strlen(name));
}

char *scenario_unused_var(struct scenario *const *scns, guint n,
	const char *name)
{
	GPtrArray *all = g_ptr_array_new();
	char *sg, *why;

	for (guint i = 0; i < n; i++) {
		GHashTableIter it;
		gpointer k;

		if (g_hash_table_contains(scns[i]->names, name)) {
			g_ptr_array_free(all, TRUE);
			return NULL;
		}
		g_hash_table_iter_init(&it, scns[i]->names);
		while (g_hash_table_iter_next(&it, &k, NULL))
			g_ptr_array_add(all, k);
	}
	g_ptr_array_add(all, NULL);
	sg = suggest_nearest(name, (const char *const *)all->pdata);
	why = n == 1 ? g_strdup_printf("%s never uses %s%s",
			       scns[0]->file ? scns[0]->file : "the scenario",
			       name, sg) :
	               g_strdup_printf("none of the %u scenarios uses %s%s", n,
			       name, sg);
	g_free(sg);
	g_ptr_array_free(all, TRUE);
	return why;
}

/* ${NAME} at @s (after the '$'); appends the value. Returns bytes used. */
static size_t expand(struct parser *p, const char *s, int col, GString *out,
	bool *ok)
{
	const char *close = strchr(s + 1, '}');
	char *name;
	const char *v;

	if (!close) {
		err_at(p, col, "'${' without a closing '}'");
		*ok = false;
		return strlen(s);
	}
	name = g_strndup(s + 1, close - s - 1);
	if (var_name_ok(name, strlen(name)))
		g_hash_table_add(p->names, g_strdup(name));
	if (!var_name_ok(name, strlen(name))) {
		err_at(p, col, "'%s' is not a variable name", name);
		*ok = false;
	} else if (!(v = g_hash_table_lookup(p->vars, name))) {
		err_at(p, col,
			"undefined variable '%s' (define it with "
			"'set %s=...' or --set %s=...)",
			name, name, name);
		*ok = false;
	} else if (strlen(v) > SCN_MAX_VALUE) {
		/* only --set can give one this long; `set` refuses it */
		err_at(p, col,
			"${%s} is %zu bytes long; a value has at most "
			"%u",
			name, strlen(v), SCN_MAX_VALUE);
		*ok = false;
	} else if (p->line_over || p->file_over) {
		*ok = false; /* said once */
	} else if (p->line_len + strlen(v) > SCN_MAX_LINE) {
		err_at(p, col,
			"the line is longer than %u bytes once ${%s} is "
			"expanded",
			SCN_MAX_LINE, name);
		p->line_over = true;
		*ok = false;
	} else if (p->expanded + strlen(v) > (size_t)SCN_MAX_EXPANDED) {
		err_at(p, col,
			"${...} adds more than %u bytes to the "
			"scenario by here",
			SCN_MAX_EXPANDED);
		p->file_over = true;
		*ok = false;
	} else {
		g_string_append(out, v);
		p->line_len += strlen(v);
		p->expanded += strlen(v);
	}
	g_free(name);
	return (size_t)(close - s) + 1;
}

/* Split a line into words. Returns false (errors added) on bad quoting. */
/*
 * The lines of @text (@len bytes, changed in place: each '\n' becomes NUL)
 * as a NULL-ended array of pointers into it; g_free() the array only. As
 * g_strsplit(), but with memchr(): g_strsplit's strstr() is measured to the
 * end of the text at every line by a sanitizer's interceptor, which made a
 * 256 KiB file take seconds (quadratic) in the ASan build.
 */
static char **split_lines(char *text, size_t len)
{
	GPtrArray *lines = g_ptr_array_new();
	char *at = text, *end = text + len, *nl;

	if (len) {
		while ((nl = memchr(at, '\n', (size_t)(end - at)))) {
			*nl = '\0';
			g_ptr_array_add(lines, at);
			at = nl + 1;
		}
		g_ptr_array_add(lines, at);
	}
	g_ptr_array_add(lines, NULL);
	return (char **)g_ptr_array_free(lines, FALSE);
}

static bool split(struct parser *p, const char *line, GPtrArray *words)
{
	size_t i = 0, n = strlen(line);
	bool ok = true;

	while (i < n) {
		GString *w;
		int start;

		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= n || line[i] == '#')
			break;
		start = (int)i + 1;
		w = g_string_new("");
		while (i < n && line[i] != ' ' && line[i] != '\t') {
			char c = line[i];

			if (c == '\'') {
				const char *close = strchr(line + i + 1, '\'');

				if (!close) {
					err_at(p, (int)i + 1,
						"unterminated "
						"quote (')");
					g_string_free(w, TRUE);
					return false;
				}
				g_string_append_len(w, line + i + 1,
					close - (line + i + 1));
				i = (size_t)(close - line) + 1;
			} else if (c == '"') {
				size_t q = i++;

				while (i < n && line[i] != '"') {
					if (line[i] == '\\' && i + 1 < n &&
						(line[i + 1] == '"' ||
							line[i + 1] == '\\' ||
							line[i + 1] == '$')) {
						g_string_append_c(w,
							line[i + 1]);
						i += 2;
					} else if (line[i] == '$' &&
						   line[i + 1] == '{') {
						i += 1 + expand(p, line + i + 1,
								 (int)i + 1, w,
								 &ok);
					} else {
						g_string_append_c(w, line[i++]);
					}
				}
				if (i >= n) {
					err_at(p, (int)q + 1,
						"unterminated "
						"quote (\")");
					g_string_free(w, TRUE);
					return false;
				}
				i++;
			} else if (c == '\\' && i + 1 < n) {
				g_string_append_c(w, line[i + 1]);
				i += 2;
			} else if (c == '$' && line[i + 1] == '{') {
				i += 1 + expand(p, line + i + 1, (int)i + 1, w,
						 &ok);
			} else {
				g_string_append_c(w, c);
				i++;
			}
		}
		{
			struct word *wd = g_new0(struct word, 1);

			wd->text = g_string_free(w, FALSE);
			wd->col = start;
			g_ptr_array_add(words, wd);
		}
	}
	return ok;
}

static void word_free(void *data)
{
	struct word *w = data;

	g_free(w->text);
	g_free(w);
}

/* ---- values ------------------------------------------------------------- */

static bool parse_bool(const char *s, bool *out)
{
	if (!g_ascii_strcasecmp(s, "yes") || !g_ascii_strcasecmp(s, "true")) {
		*out = true;
		return true;
	}
	if (!g_ascii_strcasecmp(s, "no") || !g_ascii_strcasecmp(s, "false")) {
		*out = false;
		return true;
	}
	return false;
}

static GBytes *parse_hex(const char *s)
{
	size_t n;
	GByteArray *b;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n == 0 || n % 2)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return NULL;
	b = g_byte_array_sized_new((guint)(n / 2));
	for (size_t i = 0; i < n; i += 2) {
		guint8 v = (guint8)(g_ascii_xdigit_value(s[i]) * 16 +
				    g_ascii_xdigit_value(s[i + 1]));

		g_byte_array_append(b, &v, 1);
	}
	return g_byte_array_free_to_bytes(b);
}

/* C-style escapes for serial data: \r \n \t \\ \xNN */
static GBytes *parse_escaped(const char *s)
{
	GByteArray *b = g_byte_array_new();

	for (size_t i = 0; s[i]; i++) {
		guint8 c = (guint8)s[i];

		if (c == '\\' && s[i + 1]) {
			i++;
			switch (s[i]) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (g_ascii_isxdigit(s[i + 1]) &&
					g_ascii_isxdigit(s[i + 2])) {
					c = (guint8)(g_ascii_xdigit_value(
							     s[i + 1]) *
							     16 +
						     g_ascii_xdigit_value(
							     s[i + 2]));
					i += 2;
					break;
				}
				g_byte_array_free(b, TRUE);
				return NULL;
			default: g_byte_array_free(b, TRUE); return NULL;
			}
		}
		g_byte_array_append(b, &c, 1);
	}
	return g_byte_array_free_to_bytes(b);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	if (!*s || !(g_ascii_isdigit(*s) || *s == '-'))
		return false;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* ---- centrals ----------------------------------------------------------- */

static bool central_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SCN_MAX_NAME || !g_ascii_isalpha(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(g_ascii_isalnum(s[i]) || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* "hci0" .. "hci999" */
static bool adapter_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 6 || strncmp(s, "hci", 3) != 0)
		return false;
	for (size_t i = 3; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return false;
	return true;
}

static int find_central(GPtrArray *centrals, const char *name)
{
	for (guint i = 0; i < centrals->len; i++) {
		const struct scn_central *c = g_ptr_array_index(centrals, i);

		if (c->name && !strcmp(c->name, name))
			return (int)i;
	}
	return -1;
}

int scenario_find_central(const struct scenario *scn, const char *name)
{
	if (!scn || !scn->centrals)
		return -1;
	if (!name || !strcmp(name, "default")) {
		/* the unnamed central, or the only one */
		for (guint i = 0; i < scn->centrals->len; i++)
			if (!((struct scn_central *)
					    g_ptr_array_index(scn->centrals, i))
					->name)
				return (int)i;
		if (!name)
			return 0;
	}
	return find_central(scn->centrals, name);
}

static int adapter_number(const char *name)
{
	const char *p = name ? strrchr(name, '/') : NULL;
	guint64 n;

	p = p ? p + 1 : name;
	if (!p || strncmp(p, "hci", 3) || !g_ascii_isdigit(p[3]))
		return -1;
	/* the digits after hci, as atoi read them, but never overflowing */
	n = g_ascii_strtoull(p + 3, NULL, 10);
	return n > G_MAXINT ? -1 : (int)n;
}

const char **scenario_adapter_names(const struct scenario *scn,
	const char *const *given, GError **error)
{
	unsigned n = scn->centrals->len,
		 k = given ? g_strv_length((char **)given) : 0;
	const char **names;

	if (k > n) {
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"%u adapters "
			"for %u central%s",
			k, n, n == 1 ? "" : "s");
		return NULL;
	}
	names = g_new0(const char *, n);
	for (unsigned i = 0; i < n; i++) {
		const struct scn_central *c = g_ptr_array_index(scn->centrals,
			i);

		names[i] = i < k ? given[i] : c->adapter;
		for (unsigned j = 0; names[i] && j < i; j++) {
			if (!names[j] ||
				(adapter_number(names[i]) >= 0 ?
						adapter_number(names[j]) !=
							adapter_number(names[i]) :
						strcmp(names[j], names[i]) !=
							0))
				continue;
			g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
				"centrals %s and %s would both use %s: each "
				"central needs an adapter of its own",
				scn_central_label(
					g_ptr_array_index(scn->centrals, j)),
				scn_central_label(c), names[i]);
			g_free(names);
			return NULL;
		}
	}
	return names;
}

unsigned scenario_adapters_needed(const struct scenario *scn,
	const char *const *names)
{
	unsigned n = scn->centrals->len;

	for (guint i = 0; names && i < scn->centrals->len; i++) {
		int k = adapter_number(names[i]);

		if (k >= 0 && (unsigned)k + 1 > n)
			n = (unsigned)k + 1;
	}
	return n;
}

unsigned scn_step_central(const struct scn_step *s, int each)
{
	if (s->central_given)
		return s->central;
	return each >= 0 ? (unsigned)each : 0;
}

/* A file that declares no central has one, unnamed, chosen at run time. */
static void ensure_central(struct parser *p)
{
	if (p->centrals->len == 0)
		g_ptr_array_add(p->centrals, g_new0(struct scn_central, 1));
}

/* A step or block begins: no central may be declared after it. */
static void stepped(struct parser *p)
{
	if (!p->first_step_line)
		p->first_step_line = p->line;
	ensure_central(p);
}

static void unknown_central(struct parser *p, const char *name, int col)
{
	GPtrArray *names = g_ptr_array_new();
	GString *list = g_string_new("");
	char *sg;

	for (guint i = 0; i < p->centrals->len; i++) {
		const struct scn_central *c = g_ptr_array_index(p->centrals, i);

		if (!c->name)
			continue;
		g_ptr_array_add(names, c->name);
		g_string_append_printf(list, "%s%s", list->len ? ", " : "",
			c->name);
	}
	g_ptr_array_add(names, NULL);
	if (!*name) {
		err_at(p, col, "as= needs the name of a central (declared: %s)",
			list->len ? list->str : "none");
	} else if (!list->len) {
		err_at(p, col,
			"unknown central '%s' (this file declares none: "
			"add a header line 'central %s')",
			name, name);
	} else {
		/* names are short: only a near miss is worth suggesting */
		sg = strlen(name) > 3 ?
		             suggest_nearest(name,
				     (const char *const *)names->pdata) :
		             g_strdup("");
		err_at(p, col, "unknown central '%s'%s (declared: %s)", name,
			sg, list->str);
		g_free(sg);
	}
	g_string_free(list, TRUE);
	g_ptr_array_free(names, TRUE);
}

/* as=NAME on a step */
static void set_as(struct parser *p, struct scn_step *s, const char *val,
	int col)
{
	int i = find_central(p->centrals, val);

	if (i < 0) {
		unknown_central(p, val, col);
		return;
	}
	s->central = (unsigned)i;
	s->central_given = true;
}

static void add_central(struct parser *p, const char *name, int name_col,
	const char *adapter, int adapter_col, enum scn_privacy privacy, int col)
{
	struct scn_central *c;

	if (p->centrals->len >= SCN_MAX_CENTRALS) {
		if (!p->centrals_over)
			err_at(p, name_col ? name_col : col,
				"more than %u "
				"centrals",
				SCN_MAX_CENTRALS);
		p->centrals_over = true;
		return;
	}
	for (guint i = 0; i < p->centrals->len; i++) {
		const struct scn_central *o = g_ptr_array_index(p->centrals, i);

		if (name && o->name && !strcmp(o->name, name)) {
			err_at(p, name_col,
				"central '%s' is declared twice "
				"(first on line %d)",
				name, o->line);
			return;
		}
		if (adapter && o->adapter && !strcmp(o->adapter, adapter)) {
			/* said once; as= may still name it */
			err_at(p, adapter_col,
				"adapter %s is already central "
				"%s's (line %d): each central needs an adapter "
				"of its own",
				adapter, scn_central_label(o), o->line);
			adapter = NULL;
		}
	}
	c = g_new0(struct scn_central, 1);
	c->name = g_strdup(name);
	c->adapter = g_strdup(adapter);
	c->privacy = privacy;
	c->line = p->line;
	c->col = col;
	g_ptr_array_add(p->centrals, c);
}

static const char *const central_keys[] = { "adapter", "privacy", "count",
	NULL };

/* central [NAME] [adapter=hciN] [privacy=on|off] [count=N] */
static void handle_central(struct parser *p, GPtrArray *words)
{
	struct word *w0 = g_ptr_array_index(words, 0);
	const char *name = NULL, *adapter = NULL;
	int name_col = 0, adapter_col = 0, count_col = 0;
	enum scn_privacy privacy = SCN_PRIVACY_DEFAULT;
	unsigned errs = p->errors->len;
	long count = 0;

	if (p->first_step_line) {
		err_at(p, w0->col,
			"central lines come before the first step "
			"(line %d)",
			p->first_step_line);
		return;
	}
	for (guint i = 1; i < words->len; i++) {
		struct word *w = g_ptr_array_index(words, i);
		const char *eq = strchr(w->text, '=');
		const char *val = eq ? eq + 1 : NULL;
		int vcol = eq ? w->col + (int)(eq - w->text) + 1 : w->col;
		size_t klen = eq ? (size_t)(eq - w->text) : 0;

		if (!eq || eq == w->text) {
			if (name)
				err_at(p, w->col,
					"central takes one name "
					"('%s' would be a second)",
					w->text);
			else if (!central_name_ok(w->text))
				err_at(p, w->col,
					"'%s' is not a central name "
					"(up to %u letters, digits, - and _, "
					"starting with a letter)",
					w->text, SCN_MAX_NAME);
			else {
				name = w->text;
				name_col = w->col;
			}
		} else if (klen == 7 && !strncmp(w->text, "adapter", 7)) {
			if (!adapter_name_ok(val))
				err_at(p, vcol,
					"adapter= takes an adapter "
					"name like hci0, not '%s'",
					val);
			adapter = val;
			adapter_col = vcol;
		} else if (klen == 7 && !strncmp(w->text, "privacy", 7)) {
			if (!strcmp(val, "on"))
				privacy = SCN_PRIVACY_ON;
			else if (!strcmp(val, "off"))
				privacy = SCN_PRIVACY_OFF;
			else
				err_at(p, vcol,
					"privacy= takes on or off, not "
					"'%s'",
					val);
		} else if (klen == 5 && !strncmp(w->text, "count", 5)) {
			if (!parse_long(val, 1, SCN_MAX_CENTRALS, &count))
				err_at(p, vcol,
					"count= takes 1 to %u, not '%s'",
					SCN_MAX_CENTRALS, val);
			count_col = vcol;
		} else {
			char *key = g_strndup(w->text, klen);
			char *sg = suggest_nearest(key, central_keys);

			err_at(p, w->col,
				"unknown parameter '%s' for central%s "
				"(it takes a name, adapter=, privacy= and "
				"count=)",
				key, sg);
			g_free(sg);
			g_free(key);
		}
	}
	if (count_col && !name)
		err_at(p, count_col,
			"count= needs a name: 'central NAME "
			"count=N' declares NAME1 to NAMEN");
	else if (count_col && adapter)
		err_at(p, adapter_col,
			"adapter= names one adapter: not with "
			"count= (each of the N centrals gets its own)");
	else if (count && name && strlen(name) + 2 > SCN_MAX_NAME)
		err_at(p, name_col,
			"'%s' is too long to number (at most %u "
			"bytes with its number)",
			name, SCN_MAX_NAME);
	if (p->errors->len != errs)
		return;
	if (!count) {
		add_central(p, name, name_col, adapter, adapter_col, privacy,
			w0->col);
		return;
	}
	for (long k = 1; k <= count; k++) {
		char *nm = g_strdup_printf("%s%ld", name, k);

		add_central(p, nm, name_col, NULL, 0, privacy, w0->col);
		g_free(nm);
	}
}

/* Several centrals: each needs a name (as= picks them by it). */
static void check_centrals(struct parser *p)
{
	int line = p->line;

	if (p->centrals->len < 2)
		return;
	for (guint i = 0; i < p->centrals->len; i++) {
		const struct scn_central *c = g_ptr_array_index(p->centrals, i);

		if (c->name)
			continue;
		p->line = c->line;
		err_at(p, c->col,
			"with several centrals each needs a name "
			"(central NAME ...): this one has none");
	}
	p->line = line;
}

/* ---- steps -------------------------------------------------------------- */

static void step_free(void *data)
{
	struct scn_step *s = data;

	if (!s)
		return;
	g_free(s->text);
	g_free(s->io);
	g_free(s->cmd);
	g_free(s->port);
	g_free(s->uuid);
	g_free(s->expect_error);
	g_free(s->adv_name);
	if (s->adv_uuids)
		g_ptr_array_free(s->adv_uuids, TRUE);
	if (s->adv_mfr)
		g_bytes_unref(s->adv_mfr);
	if (s->send)
		g_bytes_unref(s->send);
	if (s->value)
		g_bytes_unref(s->value);
	if (s->expects)
		g_array_free(s->expects, TRUE);
	if (s->children)
		g_ptr_array_free(s->children, TRUE);
	if (s->each)
		g_array_free(s->each, TRUE);
	g_free(s);
}

static void central_free(void *data)
{
	struct scn_central *c = data;

	if (!c)
		return;
	g_free(c->name);
	g_free(c->adapter);
	g_free(c);
}

/* One key=value parameter: @val at column @col of the line. */
struct param {
	const char *key;
	void (*parse)(struct parser *p, struct scn_step *s,
		const struct param *pm, const char *val, int col);
	int arg; /* for the handler (expect's property) */
};

/* One positional argument. */
typedef void (*arg_fn)(struct parser *p, struct scn_step *s,
	const struct word *w);

static void set_uuid(struct parser *p, struct scn_step *s, const char *text,
	int col)
{
	GError *err = NULL;

	g_free(s->uuid);
	s->uuid = bluez_uuid_normalize(text, &err);
	if (!s->uuid) {
		err_at(p, col, "%s", err->message);
		g_error_free(err);
	}
}

static void set_bytes(GBytes **slot, GBytes *b)
{
	if (*slot)
		g_bytes_unref(*slot);
	*slot = b;
}

static void set_str(char **slot, const char *v)
{
	g_free(*slot);
	*slot = g_strdup(v);
}

/* ---- parameters --------------------------------------------------------- */

/* A duration parameter (timeout=, for=) into *@out: false, with its error
 * at @col, if it is not one. */
static bool duration_param(struct parser *p, const struct param *pm,
	const char *val, int col, int64_t *out)
{
	GError *err = NULL;

	if (!duration_parse(val, out, &err)) {
		err_at(p, col, "%s: %s", pm->key, err->message);
		g_error_free(err);
		return false;
	}
	return true;
}

static void p_timeout(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	int64_t ms;

	if (duration_param(p, pm, val, col, &ms))
		s->timeout_ms = ms;
}

static void p_bond(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	(void)pm;
	if (!parse_bool(val, &s->bond))
		err_at(p, col, "bond= takes yes or no, not '%s'", val);
}

static const char *const io_caps[] = { "DisplayOnly", "DisplayYesNo",
	"KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay", NULL };

static void p_io(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	(void)pm;
	for (size_t i = 0; io_caps[i]; i++) {
		if (!strcmp(io_caps[i], val)) {
			set_str(&s->io, val);
			return;
		}
	}
	{
		char *sg = suggest_nearest(val, io_caps);

		err_at(p, col,
			"io= takes one of DisplayOnly, DisplayYesNo, "
			"KeyboardOnly, NoInputNoOutput, KeyboardDisplay, not "
			"'%s'%s",
			val, sg);
		g_free(sg);
	}
}

static void p_passkey(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	long n;

	(void)pm;
	if (!parse_long(val, 0, 999999, &n))
		err_at(p, col, "passkey= takes 0 to 999999, not '%s'", val);
	else
		s->passkey = n;
}

static const char *const methods[] = { "just-works", "numeric-comparison",
	"passkey-entry", NULL };

static void p_method(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	char *sg;

	(void)pm;
	for (size_t i = 0; methods[i]; i++) {
		if (!strcmp(methods[i], val)) {
			s->method = (enum scn_method)(i + 1);
			return;
		}
	}
	sg = suggest_nearest(val, methods);
	err_at(p, col,
		"method= takes just-works, numeric-comparison or "
		"passkey-entry, not '%s'%s",
		val, sg);
	g_free(sg);
}

static void p_confirm(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	(void)pm;
	if (!strcmp(val, "accept"))
		s->reject = false;
	else if (!strcmp(val, "reject"))
		s->reject = true;
	else
		err_at(p, col, "confirm= takes accept or reject, not '%s'",
			val);
}

static const char *const vias[] = { "sim", "command", "serial", "gatt",
	"manual", NULL };

static void p_via(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	(void)pm;
	for (size_t i = 0; vias[i]; i++) {
		if (!strcmp(vias[i], val)) {
			s->via = (enum scn_via)i;
			s->via_given = true;
			return;
		}
	}
	{
		char *sg = suggest_nearest(val, vias);

		err_at(p, col,
			"via= takes sim, command, serial, gatt or manual, "
			"not '%s'%s",
			val, sg);
		g_free(sg);
	}
}

static const char *const kinds[] = { "hard", "graceful", NULL };

static void p_kind(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	(void)pm;
	for (size_t i = 0; kinds[i]; i++) {
		if (!strcmp(kinds[i], val)) {
			s->kind = (enum scn_reboot_kind)i;
			s->kind_given = true;
			return;
		}
	}
	{
		char *sg = suggest_nearest(val, kinds);

		err_at(p, col, "kind= takes hard or graceful, not '%s'%s", val,
			sg);
		g_free(sg);
	}
}

/* cmd=, port=: text that must not be empty */
static void p_text(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	set_str(!strcmp(pm->key, "cmd") ? &s->cmd : &s->port, val);
	if (!*val)
		err_at(p, col, "%s= is empty", pm->key);
}

static void p_baud(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	long n;

	(void)pm;
	if (!parse_long(val, 50, 4000000, &n))
		err_at(p, col, "baud= takes a rate like 115200, not '%s'", val);
	else
		s->baud = (int)n;
}

static void p_send(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	(void)pm;
	set_bytes(&s->send, parse_escaped(val));
	if (!s->send || !g_bytes_get_size(s->send))
		err_at(p, col,
			"send= needs text; escapes are \\r \\n \\t \\\\ "
			"and \\xNN");
}

static void p_char(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	(void)pm;
	set_uuid(p, s, val, col);
}

/* value= (reboot via=gatt), expect= (read) */
static void p_hex(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	set_bytes(&s->value, parse_hex(val));
	if (!s->value)
		err_at(p, col, "%s= takes hex bytes like 01ff, not '%s'",
			pm->key, val);
}

/* BlueZ's error names (org.bluez.Error.NAME) a read or write can end
 * with, in kebab case; the ATT error itself is att-0xNN */
static const char *const gatt_errors[] = { "failed", "in-progress",
	"not-permitted", "not-authorized", "not-supported", "not-connected",
	"invalid-arguments", "invalid-offset", "invalid-value-length",
	"not-paired", "does-not-exist", "not-available", "not-ready",
	"att-0x80", NULL };

static bool att_error_name(const char *v)
{
	return strlen(v) == 8 && !g_ascii_strncasecmp(v, "att-0x", 6) &&
	       g_ascii_isxdigit(v[6]) && g_ascii_isxdigit(v[7]) &&
	       (v[6] != '0' || v[7] != '0');
}

static void p_error(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	char *sg;

	(void)pm;
	if (att_error_name(val)) {
		/* one spelling: att-0x0e */
		g_free(s->expect_error);
		s->expect_error = g_ascii_strdown(val, -1);
		return;
	}
	for (size_t i = 0; gatt_errors[i]; i++) {
		if (!strcmp(gatt_errors[i], val)) {
			set_str(&s->expect_error, val);
			return;
		}
	}
	sg = suggest_nearest(val, gatt_errors);
	err_at(p, col,
		"expect-error= takes a BlueZ error name (failed, "
		"in-progress, not-permitted, not-authorized, not-supported, "
		"not-connected, invalid-arguments, invalid-offset, "
		"invalid-value-length, not-paired, does-not-exist, "
		"not-available, not-ready) or an ATT error as att-0xNN, not "
		"'%s'%s",
		val, sg);
	g_free(sg);
}

/* expect-adv name=: the name as BlueZ shows it (any text) */
static void p_adv_name(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	(void)pm;
	set_str(&s->adv_name, val);
	if (!*val)
		err_at(p, col, "name= is empty");
}

/* expect-adv uuid=: one UUID, or several separated by commas; repeatable */
static void p_adv_uuid(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	char **parts = g_strsplit(val, ",", -1);
	int at = col;

	(void)pm;
	if (!s->adv_uuids)
		s->adv_uuids = g_ptr_array_new_with_free_func(g_free);
	for (char **u = parts; *u; u++) {
		GError *err = NULL;
		char *n = bluez_uuid_normalize(*u, &err);

		if (n) {
			g_ptr_array_add(s->adv_uuids, n);
		} else {
			err_at(p, at, "%s", err->message);
			g_error_free(err);
		}
		at += (int)strlen(*u) + 1;
	}
	g_strfreev(parts);
}

/* 0 to 65535, decimal or 0x hex (a company ID, an appearance) */
static bool parse_u16(const char *v, guint64 *out)
{
	if (!g_ascii_isdigit(*v))
		return false;
	if (!g_ascii_strncasecmp(v, "0x", 2))
		return g_ascii_string_to_unsigned(v + 2, 16, 0, G_MAXUINT16,
			out, NULL);
	return g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT16, out, NULL);
}

/* expect-adv manufacturer=ID:HEX (a company ID, decimal or 0x hex) */
static void p_adv_mfr(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	const char *colon = strchr(val, ':');
	char *id = colon ? g_strndup(val, (gsize)(colon - val)) : NULL;
	guint64 n = 0;
	bool ok = id && parse_u16(id, &n);

	(void)pm;
	g_free(id);
	set_bytes(&s->adv_mfr, ok ? parse_hex(colon + 1) : NULL);
	if (!ok || !s->adv_mfr) {
		err_at(p, col,
			"manufacturer= takes ID:HEX, a company ID "
			"(0x05f1 or 1521) and hex bytes, not '%s'",
			val);
		return;
	}
	s->adv_mfr_id = (int)n;
}

static void p_adv_appearance(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	guint64 n;

	(void)pm;
	if (!parse_u16(val, &n))
		err_at(p, col,
			"appearance= takes 0 to 65535 (768, or 0x0300), "
			"not '%s'",
			val);
	else
		s->adv_appearance = (int)n;
}

/* expect-no-notify's for=: how long no notification may come */
static void p_for(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	int64_t ms;

	if (!duration_param(p, pm, val, col, &ms))
		return;
	if (ms <= 0)
		err_at(p, col, "for= takes a duration longer than 0, not '%s'",
			val);
	else
		s->sleep_ms = ms;
}

static void p_write_type(struct parser *p, struct scn_step *s,
	const struct param *pm, const char *val, int col)
{
	(void)pm;
	if (!strcmp(val, "request"))
		s->write_command = false;
	else if (!strcmp(val, "command"))
		s->write_command = true;
	else
		err_at(p, col, "type= takes request or command, not '%s'", val);
}

/* expect's PROP=yes|no */
static void p_prop(struct parser *p, struct scn_step *s, const struct param *pm,
	const char *val, int col)
{
	struct scn_expect x = { (enum scn_prop)pm->arg, false };

	if (!parse_bool(val, &x.value)) {
		err_at(p, col, "%s= takes yes or no, not '%s'", pm->key, val);
		return;
	}
	if (!s->expects)
		s->expects = g_array_new(FALSE, FALSE,
			sizeof(struct scn_expect));
	g_array_append_val(s->expects, x);
}

/* ---- positional arguments ----------------------------------------------- */

static void a_uuid(struct parser *p, struct scn_step *s, const struct word *w)
{
	set_uuid(p, s, w->text, w->col);
}

static void a_hex(struct parser *p, struct scn_step *s, const struct word *w)
{
	set_bytes(&s->value, parse_hex(w->text));
	if (!s->value)
		err_at(p, w->col, "'%s' is not hex bytes (write e.g. 01ff)",
			w->text);
}

static void a_duration(struct parser *p, struct scn_step *s,
	const struct word *w)
{
	GError *err = NULL;

	if (!duration_parse(w->text, &s->sleep_ms, &err)) {
		err_at(p, w->col, "%s", err->message);
		g_error_free(err);
	}
}

/* ---- after the last word ------------------------------------------------ */

static void c_reboot(struct parser *p, struct scn_step *s, bool clean)
{
	int col = s->col;

	(void)clean;
	if (s->via_given) { /* else chosen when the run starts */
		if (s->via == SCN_VIA_COMMAND && !s->cmd &&
			!p->opts->have_reboot_cmd)
			err_at(p, col,
				"reboot via=command needs cmd=... (or "
				"run with --reboot-cmd)");
		if (s->via == SCN_VIA_SERIAL && !s->port)
			err_at(p, col,
				"reboot via=serial needs "
				"port=/dev/tty...");
		if (s->cmd && s->via != SCN_VIA_COMMAND)
			err_at(p, col, "cmd= only applies to via=command");
		if ((s->port || s->baud || s->send) && s->via != SCN_VIA_SERIAL)
			err_at(p, col,
				"port=, baud= and send= only apply to "
				"via=serial");
		if ((s->uuid || s->value) && s->via != SCN_VIA_GATT)
			err_at(p, col,
				"char= and value= only apply to "
				"via=gatt");
	}
	if (s->via == SCN_VIA_SERIAL && !s->baud)
		s->baud = 115200;
}

static void c_expect(struct parser *p, struct scn_step *s, bool clean)
{
	if ((!s->expects || s->expects->len == 0) && clean)
		err_at(p, s->col,
			"expect needs at least one PROP=yes|no "
			"(connected, paired, bonded, trusted, "
			"services-resolved)");
}

static void c_read(struct parser *p, struct scn_step *s, bool clean)
{
	if (clean && s->value && s->expect_error)
		err_at(p, s->col,
			"read takes expect= or expect-error=, not "
			"both");
}

static void c_expect_adv(struct parser *p, struct scn_step *s, bool clean)
{
	if (clean && !s->adv_name && !s->adv_uuids && s->adv_mfr_id < 0 &&
		s->adv_appearance < 0)
		err_at(p, s->col,
			"expect-adv needs at least one of name=, "
			"uuid=, manufacturer=, appearance=");
}

static void c_no_notify(struct parser *p, struct scn_step *s, bool clean)
{
	(void)p;
	(void)clean;
	if (!s->sleep_ms)
		s->sleep_ms = SCN_DEFAULT_NO_NOTIFY_MS;
}

/* ---- the step table ----------------------------------------------------- */

#define P_TIMEOUT                       \
	{                               \
		"timeout", p_timeout, 0 \
	}
#define P_END                 \
	{                     \
		NULL, NULL, 0 \
	}

static const struct param timeout_params[] = { P_TIMEOUT, P_END };
static const struct param pair_params[] = { { "bond", p_bond, 0 },
	{ "io", p_io, 0 }, { "passkey", p_passkey, 0 },
	{ "method", p_method, 0 }, { "confirm", p_confirm, 0 }, P_TIMEOUT,
	P_END };
static const struct param reboot_params[] = { { "via", p_via, 0 },
	{ "kind", p_kind, 0 }, { "cmd", p_text, 0 }, { "port", p_text, 0 },
	{ "baud", p_baud, 0 }, { "send", p_send, 0 }, { "char", p_char, 0 },
	{ "value", p_hex, 0 }, P_TIMEOUT, P_END };
static const struct param read_params[] = { { "expect", p_hex, 0 },
	{ "expect-error", p_error, 0 }, P_TIMEOUT, P_END };
static const struct param expect_notify_params[] = { { "expect", p_hex, 0 },
	P_TIMEOUT, P_END };
static const struct param expect_adv_params[] = { { "name", p_adv_name, 0 },
	{ "uuid", p_adv_uuid, 0 }, { "manufacturer", p_adv_mfr, 0 },
	{ "appearance", p_adv_appearance, 0 }, P_TIMEOUT, P_END };
static const struct param no_notify_params[] = { { "for", p_for, 0 }, P_END };
static const struct param write_params[] = { { "type", p_write_type, 0 },
	{ "expect-error", p_error, 0 }, P_TIMEOUT, P_END };
static const struct param expect_params[] = { { "connected", p_prop,
						      SCN_PROP_CONNECTED },
	{ "paired", p_prop, SCN_PROP_PAIRED },
	{ "bonded", p_prop, SCN_PROP_BONDED },
	{ "trusted", p_prop, SCN_PROP_TRUSTED },
	{ "services-resolved", p_prop, SCN_PROP_SERVICES_RESOLVED }, P_TIMEOUT,
	P_END };
static const struct param no_params[] = { P_END };

static const arg_fn no_args[] = { NULL };
static const arg_fn uuid_arg[] = { a_uuid, NULL };
static const arg_fn uuid_hex_args[] = { a_uuid, a_hex, NULL };
static const arg_fn duration_arg[] = { a_duration, NULL };

static const struct spec {
	const char *name;
	int64_t timeout_ms; /* the default timeout= */
	const arg_fn *args; /* the positional arguments, in order */
	const char *what;   /* ...what they are, for messages */
	const struct param *params;
	/* after the last word; @clean: no error in this step so far */
	void (*check)(struct parser *p, struct scn_step *s, bool clean);
} specs[] = {
	[SCN_STEP_SCAN] = { "scan", 15000, no_args, NULL, timeout_params,
		NULL },
	[SCN_STEP_CONNECT] = { "connect", 15000, no_args, NULL, timeout_params,
		NULL },
	[SCN_STEP_PAIR] = { "pair", 30000, no_args, NULL, pair_params, NULL },
	[SCN_STEP_TRUST] = { "trust", 5000, no_args, NULL, timeout_params,
		NULL },
	[SCN_STEP_DISCONNECT] = { "disconnect", 10000, no_args, NULL,
		timeout_params, NULL },
	[SCN_STEP_REBOOT] = { "reboot", 30000, no_args, NULL, reboot_params,
		c_reboot },
	[SCN_STEP_RECONNECT] = { "reconnect", 15000, no_args, NULL,
		timeout_params, NULL },
	[SCN_STEP_READ] = { "read", 10000, uuid_arg, "a characteristic UUID",
		read_params, c_read },
	[SCN_STEP_WRITE] = { "write", 10000, uuid_hex_args,
		"a characteristic UUID and a hex value", write_params, NULL },
	[SCN_STEP_SUBSCRIBE] = { "subscribe", 10000, uuid_arg,
		"a characteristic UUID", timeout_params, NULL },
	/* longer than the 10 s MicroPython's bonding example notifies at */
	[SCN_STEP_EXPECT_NOTIFY] = { "expect-notify", 30000, uuid_arg,
		"a characteristic UUID", expect_notify_params, NULL },
	[SCN_STEP_EXPECT] = { "expect", 0, no_args, NULL, expect_params,
		c_expect },
	[SCN_STEP_REMOVE_BOND] = { "remove-bond", 10000, no_args, NULL,
		timeout_params, NULL },
	[SCN_STEP_SLEEP] = { "sleep", 0, duration_arg, "a duration", no_params,
		NULL },
	/* no timeout: it ends when for= has passed */
	[SCN_STEP_EXPECT_NO_NOTIFY] = { "expect-no-notify", 0, uuid_arg,
		"a characteristic UUID", no_notify_params, c_no_notify },
	/* like expect: now, or within timeout= */
	[SCN_STEP_EXPECT_ADV] = { "expect-adv", 0, no_args, NULL,
		expect_adv_params, c_expect_adv },
	/* a block: `repeat N` ... `end` (scenario_parse) */
	[SCN_STEP_REPEAT] = { "repeat", 0, no_args, NULL, no_params, NULL },
};

G_STATIC_ASSERT(G_N_ELEMENTS(specs) == SCN_STEP_COUNT);

const char *scn_step_type_to_str(enum scn_step_type t)
{
	return (unsigned)t < SCN_STEP_COUNT && specs[t].name ? specs[t].name :
	                                                       "unknown";
}

int64_t scn_default_timeout(enum scn_step_type t)
{
	return (unsigned)t < SCN_STEP_COUNT ? specs[t].timeout_ms : 10000;
}

static const struct spec *find_spec(const char *name, enum scn_step_type *type)
{
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		if (specs[i].name && !strcmp(specs[i].name, name)) {
			*type = (enum scn_step_type)i;
			return &specs[i];
		}
	}
	return NULL;
}

static const struct param *find_param(const struct spec *sp, const char *key)
{
	for (const struct param *pm = sp->params; pm->key; pm++)
		if (!strcmp(pm->key, key))
			return pm;
	return NULL;
}

static void unknown_param(struct parser *p, const struct spec *sp,
	const char *key, int col)
{
	GPtrArray *keys = g_ptr_array_new();
	char *sg;

	if (!sp->params[0].key) {
		err_at(p, col, "%s takes no parameters", sp->name);
		g_ptr_array_free(keys, TRUE);
		return;
	}
	for (const struct param *pm = sp->params; pm->key; pm++)
		g_ptr_array_add(keys, (gpointer)pm->key);
	g_ptr_array_add(keys, NULL);
	sg = suggest_nearest(key, (const char *const *)keys->pdata);
	err_at(p, col, "unknown parameter '%s' for %s%s", key, sp->name, sg);
	g_free(sg);
	g_ptr_array_free(keys, TRUE);
}

static void unknown_step(struct parser *p, const struct word *w0)
{
	const char *names[G_N_ELEMENTS(specs) + 6];
	char *sg;
	size_t k = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++)
		names[k++] = specs[i].name;
	names[k++] = "set";
	names[k++] = "scenario";
	names[k++] = "central";
	names[k++] = "each-central";
	names[k++] = "end";
	names[k] = NULL;
	sg = suggest_nearest(w0->text, names);
	err_at(p, w0->col, "unknown step '%s'%s", w0->text, sg);
	g_free(sg);
}

static struct scn_step *parse_step(struct parser *p, const char *text,
	GPtrArray *words)
{
	struct word *w0 = g_ptr_array_index(words, 0);
	enum scn_step_type type;
	const struct spec *sp = find_spec(w0->text, &type);
	struct scn_step *s;
	guint given = 0, nargs = 0;
	unsigned errs = p->errors->len;

	if (!sp) {
		unknown_step(p, w0);
		return NULL;
	}
	while (sp->args[nargs])
		nargs++;
	s = g_new0(struct scn_step, 1);
	s->type = type;
	s->line = p->line;
	s->col = w0->col;
	s->text = g_strstrip(g_strdup(text));
	{
		char *hash = strchr(s->text, '#');

		/* trailing comments are not part of what is shown */
		if (hash && !strchr(s->text, '"') && !strchr(s->text, '\''))
			*hash = '\0';
		g_strstrip(s->text);
	}
	s->timeout_ms = sp->timeout_ms;
	s->bond = true;
	s->passkey = -1;
	s->adv_mfr_id = -1;
	s->adv_appearance = -1;

	for (guint i = 1; i < words->len; i++) {
		struct word *w = g_ptr_array_index(words, i);
		const char *eq = strchr(w->text, '=');

		if (eq && eq != w->text) {
			char *key = g_strndup(w->text, eq - w->text);
			const struct param *pm = find_param(sp, key);

			if (!strcmp(key, "as"))
				/* every step: the central it acts as */
				set_as(p, s, eq + 1,
					w->col + (int)(eq - w->text) + 1);
			else if (pm)
				pm->parse(p, s, pm, eq + 1,
					w->col + (int)(eq - w->text) + 1);
			else
				unknown_param(p, sp, key, w->col);
			g_free(key);
			continue;
		}
		if (given >= nargs) {
			err_at(p, w->col, "unexpected '%s' (%s takes %s)",
				w->text, sp->name,
				nargs ? sp->what :
					"no positional "
					"arguments, only key=value");
			continue;
		}
		sp->args[given++](p, s, w);
	}
	if (given < nargs)
		err_at(p, w0->col + (int)strlen(w0->text), "%s needs %s",
			sp->name, sp->what);
	if (sp->check)
		sp->check(p, s, p->errors->len == errs);
	return s;
}

/* ---- lines and blocks --------------------------------------------------- */

struct block {
	struct scn_step *repeat; /* NULL for the top level */
	GPtrArray *steps;
	guint64 n; /* steps it runs once, repeats expanded */
};

static const char *block_name(const struct block *b)
{
	return b->repeat->each ? "each-central" : "repeat";
}

/* `repeat N` or `each-central [NAME...]`: a block of @count iterations */
static void open_block(struct block *cur, GPtrArray *stack, const char *line,
	int lineno, int col, unsigned count, GArray *each)
{
	struct scn_step *r = g_new0(struct scn_step, 1);
	struct block *b = g_new0(struct block, 1);

	r->type = SCN_STEP_REPEAT;
	r->line = lineno;
	r->col = col;
	r->text = g_strstrip(g_strdup(line));
	r->children = g_ptr_array_new_with_free_func(step_free);
	r->count = count > 0 ? count : 1;
	r->each = each;
	g_ptr_array_add(cur->steps, r);
	b->repeat = r;
	b->steps = r->children;
	g_ptr_array_add(stack, b);
}

/* each-central [NAME...]: the named centrals in order, or every one */
static GArray *each_centrals(struct parser *p, GPtrArray *words)
{
	GArray *each = g_array_new(FALSE, FALSE, sizeof(unsigned));

	for (guint i = 1; i < words->len; i++) {
		struct word *w = g_ptr_array_index(words, i);
		int c = strchr(w->text, '=') ?
		                -2 :
		                find_central(p->centrals, w->text);

		if (c == -2) {
			err_at(p, w->col,
				"each-central takes names of "
				"centrals, not '%s'",
				w->text);
			continue;
		}
		if (c < 0) {
			unknown_central(p, w->text, w->col);
			continue;
		}
		g_array_append_val(each, c);
	}
	if (words->len == 1)
		for (unsigned c = 0; c < p->centrals->len; c++)
			g_array_append_val(each, c);
	return each;
}

static void handle_set(struct parser *p, GPtrArray *words)
{
	for (guint i = 1; i < words->len; i++) {
		struct word *w = g_ptr_array_index(words, i);
		const char *eq = strchr(w->text, '=');

		if (!eq || !var_name_ok(w->text, (size_t)(eq - w->text))) {
			err_at(p, w->col,
				"set takes NAME=VALUE (a name of "
				"letters, digits and _), not '%s'",
				w->text);
			continue;
		}
		if (strlen(eq + 1) > SCN_MAX_VALUE) {
			err_at(p, w->col + (int)(eq - w->text) + 1,
				"the value "
				"of %.*s is %zu bytes long; a value has at most "
				"%u",
				(int)(eq - w->text), w->text, strlen(eq + 1),
				SCN_MAX_VALUE);
			continue;
		}
		{
			char *name = g_strndup(w->text, eq - w->text);

			g_hash_table_add(p->names, g_strdup(name));
			/* --set wins over the file */
			if (!g_hash_table_contains(p->fixed, name))
				g_hash_table_replace(p->vars, name,
					g_strdup(eq + 1));
			else
				g_free(name);
		}
	}
	if (words->len < 2)
		err_at(p, ((struct word *)g_ptr_array_index(words, 0))->col,
			"set needs NAME=VALUE");
}

/*
 * Steps are counted as blocks close, never by walking the tree: @n more for
 * @b, saturating past SCN_MAX_STEPS (said once, where it is passed).
 */
static void count(struct parser *p, struct block *b, guint64 n, int col,
	bool *said)
{
	b->n = MIN(b->n + n, (guint64)SCN_MAX_STEPS + 1);
	if (b->n > SCN_MAX_STEPS && !*said) {
		err_at(p, col,
			"the scenario runs more than %u steps (repeats "
			"expanded)",
			SCN_MAX_STEPS);
		*said = true;
	}
}

static gint by_place(gconstpointer a, gconstpointer b)
{
	const struct scn_error *x = *(struct scn_error *const *)a;
	const struct scn_error *y = *(struct scn_error *const *)b;

	return x->line != y->line ? x->line - y->line : x->col - y->col;
}

struct scenario *scenario_parse(const char *text, gsize len, const char *file,
	const struct scenario_options *opts, GPtrArray **errors)
{
	static const struct scenario_options no_opts = { NULL, false };
	struct parser p = { 0 };
	struct scenario *scn = g_new0(struct scenario, 1);
	GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
	struct block *top = g_new0(struct block, 1);
	char *copy;
	char **lines;
	char *title = NULL;
	int title_line = 0;
	unsigned deep = 0; /* repeats past SCN_MAX_DEPTH, not nested */
	bool too_many = false;
	bool ok;

	p.file = file ? file : "<scenario>";
	p.errors = g_ptr_array_new_with_free_func(scn_error_free);
	p.vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.fixed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.centrals = g_ptr_array_new_with_free_func(central_free);
	p.opts = opts ? opts : &no_opts;
	if (p.opts->vars) {
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, p.opts->vars);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			g_hash_table_replace(p.vars, g_strdup(k), g_strdup(v));
			g_hash_table_add(p.fixed, g_strdup(k));
		}
	}
	scn->file = g_strdup(file);
	scn->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
		(const guchar *)text, len);
	top->steps = g_ptr_array_new_with_free_func(step_free);
	g_ptr_array_add(stack, top);

	if (len > (size_t)SCN_MAX_SIZE) {
		/* said where the limit falls; nothing past it is read */
		const char *nl = text;
		const char *limit = text + (size_t)SCN_MAX_SIZE;

		p.line = 1;
		for (const char *q;
			(q = memchr(nl, '\n', (size_t)(limit - nl)));
			nl = q + 1)
			p.line++;
		err_at(&p, (int)(limit - nl) + 1,
			"the scenario "
			"is longer than %u bytes (256 KiB); it goes on past here",
			SCN_MAX_SIZE);
		len = 0;
	} else if (memchr(text, '\0', len)) {
		p.line = 1;
		err_at(&p, 1,
			"this is not a text file (it contains NUL bytes)");
	}
	copy = g_strndup(text, len);
	lines = split_lines(copy, strlen(copy));
	for (int i = 0; lines[i] && !p.stop; i++) {
		GPtrArray *words = g_ptr_array_new_with_free_func(word_free);
		struct block *cur = g_ptr_array_index(stack, stack->len - 1);
		size_t l = strlen(lines[i]);
		struct word *w0;

		p.line = i + 1;
		if (l && lines[i][l - 1] == '\r')
			lines[i][--l] = '\0';
		if (l > SCN_MAX_LINE) {
			err_at(&p, SCN_MAX_LINE + 1,
				"the line is longer than %u "
				"bytes",
				SCN_MAX_LINE);
			g_ptr_array_free(words, TRUE);
			continue;
		}
		if (!g_utf8_validate(lines[i], -1, NULL)) {
			err_at(&p, 1, "this line is not valid UTF-8");
			g_ptr_array_free(words, TRUE);
			continue;
		}
		p.line_len = l;
		p.line_over = false;
		if (!split(&p, lines[i], words) || words->len == 0) {
			g_ptr_array_free(words, TRUE);
			continue;
		}
		w0 = g_ptr_array_index(words, 0);
		if (!strcmp(w0->text, "scenario")) {
			if (words->len != 2)
				err_at(&p, w0->col,
					"scenario takes one title "
					"(quote it: scenario \"My title\")");
			else if (title)
				err_at(&p, w0->col,
					"a second scenario title "
					"(the first is on line %d)",
					title_line);
			else {
				title = g_strdup(
					((struct word *)g_ptr_array_index(words,
						 1))
						->text);
				title_line = p.line;
			}
		} else if (!strcmp(w0->text, "set")) {
			handle_set(&p, words);
		} else if (!strcmp(w0->text, "central")) {
			handle_central(&p, words);
		} else if (!strcmp(w0->text, "repeat") ||
			   !strcmp(w0->text, "each-central")) {
			GArray *each = NULL;
			long n = 0;

			stepped(&p);
			if (w0->text[0] == 'e')
				each = each_centrals(&p, words);
			else if (words->len != 2 ||
				 !parse_long(((struct word *)g_ptr_array_index(
						      words, 1))
						     ->text,
					 1, SCN_MAX_REPEAT, &n))
				err_at(&p,
					words->len > 1 ?
						((struct word *)g_ptr_array_index(
							 words, 1))
							->col :
						w0->col,
					"repeat takes a count from 1 to %u",
					SCN_MAX_REPEAT);
			if (deep || stack->len > SCN_MAX_DEPTH) {
				/* not nested: the tree stays SCN_MAX_DEPTH
				 * deep, whatever the file says; its end
				 * only closes this */
				if (!deep)
					err_at(&p, w0->col,
						"%s blocks "
						"nest at most %d deep",
						each ? "repeat and each-central" :
						       "repeat",
						SCN_MAX_DEPTH);
				deep++;
				if (each)
					g_array_free(each, TRUE);
				g_ptr_array_free(words, TRUE);
				continue;
			}
			open_block(cur, stack, lines[i], p.line, w0->col,
				each ? each->len : (unsigned)n, each);
		} else if (!strcmp(w0->text, "end")) {
			if (words->len > 1)
				err_at(&p,
					((struct word *)g_ptr_array_index(words,
						 1))
						->col,
					"end takes nothing");
			if (deep) {
				deep--;
			} else if (stack->len == 1) {
				err_at(&p, w0->col,
					"end without repeat or "
					"each-central");
			} else {
				struct block *b = g_ptr_array_index(stack,
					stack->len - 1);

				if (b->steps->len == 0)
					err_at(&p, w0->col,
						"empty %s block "
						"(line %d)",
						block_name(b), b->repeat->line);
				count(&p,
					g_ptr_array_index(stack,
						stack->len - 2),
					b->n * b->repeat->count, w0->col,
					&too_many);
				g_ptr_array_remove_index(stack, stack->len - 1);
			}
		} else {
			struct scn_step *s;

			stepped(&p);
			s = parse_step(&p, lines[i], words);

			if (s) {
				g_ptr_array_add(cur->steps, s);
				count(&p, cur, 1, s->col, &too_many);
			}
		}
		g_ptr_array_free(words, TRUE);
	}
	for (guint i = stack->len; i-- > 1 && !p.stop;) {
		struct block *b = g_ptr_array_index(stack, i);

		p.line = b->repeat->line;
		err_at(&p, b->repeat->col, "%s without end", block_name(b));
	}
	ensure_central(&p);
	check_centrals(&p);
	if (top->steps->len == 0 && p.errors->len == 0) {
		p.line = 1;
		err_at(&p, 1,
			"no steps (a scenario needs at least one, e.g. "
			"scan)");
	}
	g_free(lines);
	g_free(copy);

	ok = p.errors->len == 0;
	scn->steps = top->steps;
	scn->total_steps = (unsigned)MIN(top->n, (guint64)SCN_MAX_STEPS);
	g_ptr_array_free(stack, TRUE);
	if (title) {
		scn->name = title;
	} else {
		char *base = g_path_get_basename(file ? file : "scenario");
		char *dot = strrchr(base, '.');

		if (dot && dot != base)
			*dot = '\0';
		scn->name = base;
	}
	scn->vars = p.vars;
	scn->names = p.names;
	scn->centrals = p.centrals;
	g_hash_table_destroy(p.fixed);
	/* errors in file order (a block's missing end is found last); where
	 * it stopped stays last */
	if (p.stop)
		g_ptr_array_steal_index(p.errors, p.errors->len - 1);
	g_ptr_array_sort(p.errors, by_place);
	if (p.stop)
		g_ptr_array_add(p.errors, p.stop);
	if (errors)
		*errors = p.errors;
	else
		g_ptr_array_free(p.errors, TRUE);
	if (!ok) {
		scenario_free(scn);
		return NULL;
	}
	return scn;
}

/* An error about the file as a whole (line 0: "FILE: message"). */
G_GNUC_PRINTF(3, 4)
static void load_error(GPtrArray **errors, const char *path, const char *fmt,
	...)
{
	struct scn_error *e = g_new0(struct scn_error, 1);
	va_list ap;

	e->file = g_strdup(path);
	va_start(ap, fmt);
	e->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (errors) {
		*errors = g_ptr_array_new_with_free_func(scn_error_free);
		g_ptr_array_add(*errors, e);
	} else {
		scn_error_free(e);
	}
}

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file"; /* what else there may be */
}

struct scenario *scenario_load(const char *path,
	const struct scenario_options *opts, GPtrArray **errors)
{
	/* one byte more than the limit: the parser says where it is passed */
	char *text = NULL;
	size_t len = 0;
	struct scenario *s;
	struct stat st;
	int fd;

	/* a device is not even opened (opening some has effects); the
	 * check is made again on what was opened, in case the path changed,
	 * and O_NONBLOCK keeps a FIFO put there meanwhile from blocking */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		load_error(errors, path, "this is %s, not a scenario file",
			file_kind(st.st_mode));
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		load_error(errors, path, "cannot open the scenario: %s",
			g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		load_error(errors, path, "cannot read the scenario: %s",
			g_strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		load_error(errors, path, "this is %s, not a scenario file",
			file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	text = g_malloc(SCN_MAX_SIZE + 1);
	while (len < SCN_MAX_SIZE + 1) {
		ssize_t r = read(fd, text + len, SCN_MAX_SIZE + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			load_error(errors, path, "cannot read the scenario: %s",
				g_strerror(errno));
			close(fd);
			g_free(text);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	s = scenario_parse(text, len, path, opts, errors);
	g_free(text);
	return s;
}

void scenario_free(struct scenario *scn)
{
	if (!scn)
		return;
	g_free(scn->name);
	g_free(scn->file);
	g_free(scn->sha256);
	if (scn->steps)
		g_ptr_array_free(scn->steps, TRUE);
	if (scn->vars)
		g_hash_table_destroy(scn->vars);
	if (scn->names)
		g_hash_table_destroy(scn->names);
	if (scn->centrals)
		g_ptr_array_free(scn->centrals, TRUE);
	g_free(scn);
}
