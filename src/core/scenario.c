/* SPDX-License-Identifier: MIT */
/*
 * scenario.c — the scenario parser. Pure; owns the step tree it returns.
 * Never stops at the first error: every error of a file is collected with
 * its line and column, so `bondcheck check` can show them all at once.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bondcheck/bluez.h"
#include "bondcheck/duration.h"
#include "bondcheck/scenario.h"

struct word {
	char *text;
	int col;
};

struct parser {
	const char *file;
	GPtrArray *errors;
	GHashTable *vars;         /* name -> value, as in effect now */
	GHashTable *fixed;        /* names set by --set: `set` cannot change */
	const struct scenario_options *opts;
	int line;
};

/* ---- names -------------------------------------------------------------- */

const char *scn_step_type_to_str(enum scn_step_type t)
{
	switch (t) {
	case SCN_STEP_SCAN: return "scan";
	case SCN_STEP_CONNECT: return "connect";
	case SCN_STEP_PAIR: return "pair";
	case SCN_STEP_TRUST: return "trust";
	case SCN_STEP_DISCONNECT: return "disconnect";
	case SCN_STEP_REBOOT: return "reboot";
	case SCN_STEP_RECONNECT: return "reconnect";
	case SCN_STEP_READ: return "read";
	case SCN_STEP_WRITE: return "write";
	case SCN_STEP_SUBSCRIBE: return "subscribe";
	case SCN_STEP_EXPECT_NOTIFY: return "expect-notify";
	case SCN_STEP_EXPECT: return "expect";
	case SCN_STEP_REMOVE_BOND: return "remove-bond";
	case SCN_STEP_SLEEP: return "sleep";
	case SCN_STEP_REPEAT: return "repeat";
	case SCN_STEP_COUNT: break;
	}
	return "unknown";
}

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

int64_t scn_default_timeout(enum scn_step_type t)
{
	switch (t) {
	case SCN_STEP_SCAN: return 15000;
	case SCN_STEP_CONNECT: return 15000;
	case SCN_STEP_PAIR: return 30000;
	case SCN_STEP_TRUST: return 5000;
	case SCN_STEP_DISCONNECT: return 10000;
	case SCN_STEP_REBOOT: return 30000;
	case SCN_STEP_RECONNECT: return 15000;
	case SCN_STEP_READ: return 10000;
	case SCN_STEP_WRITE: return 10000;
	case SCN_STEP_SUBSCRIBE: return 10000;
	case SCN_STEP_EXPECT_NOTIFY: return 10000;
	case SCN_STEP_EXPECT: return 0;
	case SCN_STEP_REMOVE_BOND: return 10000;
	case SCN_STEP_SLEEP: return 0;
	case SCN_STEP_REPEAT: return 0;
	case SCN_STEP_COUNT: break;
	}
	return 10000;
}

/* ---- the step table ----------------------------------------------------- */

static const char *const p_timeout[] = { "timeout", NULL };
static const char *const p_pair[] = { "bond", "io", "passkey", "timeout",
	NULL };
static const char *const p_reboot[] = { "via", "cmd", "port", "baud", "send",
	"char", "value", "timeout", NULL };
static const char *const p_read[] = { "expect", "timeout", NULL };
static const char *const p_write[] = { "type", "timeout", NULL };
static const char *const p_expect[] = { "connected", "paired", "bonded",
	"trusted", "services-resolved", "timeout", NULL };
static const char *const p_none[] = { NULL };

static const struct spec {
	enum scn_step_type type;
	const char *name;
	int positional;          /* required positional arguments */
	const char *what;        /* what they are, for messages */
	const char *const *params;
} specs[] = {
	{ SCN_STEP_SCAN, "scan", 0, NULL, p_timeout },
	{ SCN_STEP_CONNECT, "connect", 0, NULL, p_timeout },
	{ SCN_STEP_PAIR, "pair", 0, NULL, p_pair },
	{ SCN_STEP_TRUST, "trust", 0, NULL, p_timeout },
	{ SCN_STEP_DISCONNECT, "disconnect", 0, NULL, p_timeout },
	{ SCN_STEP_REBOOT, "reboot", 0, NULL, p_reboot },
	{ SCN_STEP_RECONNECT, "reconnect", 0, NULL, p_timeout },
	{ SCN_STEP_READ, "read", 1, "a characteristic UUID", p_read },
	{ SCN_STEP_WRITE, "write", 2, "a characteristic UUID and a hex value",
		p_write },
	{ SCN_STEP_SUBSCRIBE, "subscribe", 1, "a characteristic UUID",
		p_timeout },
	{ SCN_STEP_EXPECT_NOTIFY, "expect-notify", 1, "a characteristic UUID",
		p_timeout },
	{ SCN_STEP_EXPECT, "expect", 0, NULL, p_expect },
	{ SCN_STEP_REMOVE_BOND, "remove-bond", 0, NULL, p_timeout },
	{ SCN_STEP_SLEEP, "sleep", 1, "a duration", p_none },
};

/* ---- errors ------------------------------------------------------------- */

G_GNUC_PRINTF(3, 4)
static void err_at(struct parser *p, int col, const char *fmt, ...)
{
	struct scn_error *e = g_new0(struct scn_error, 1);
	va_list ap;

	e->file = g_strdup(p->file);
	e->line = p->line;
	e->col = col;
	va_start(ap, fmt);
	e->message = g_strdup_vprintf(fmt, ap);
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
	return g_strdup_printf("%s:%d:%d: %s", e->file, e->line, e->col,
		e->message);
}

static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned *row = g_new(unsigned, lb + 1);
	unsigned r;

	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned prev = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned sub = prev + (a[i - 1] != b[j - 1]);

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
		}
	}
	r = row[lb];
	g_free(row);
	return r;
}

/* " (did you mean 'x'?)" or "" */
static char *suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	unsigned bd = 3;

	for (size_t i = 0; candidates[i]; i++) {
		unsigned d = distance(word, candidates[i]);

		if (d < bd) {
			bd = d;
			best = candidates[i];
		}
	}
	return best ? g_strdup_printf(" (did you mean '%s'?)", best) :
		      g_strdup("");
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
	if (!var_name_ok(name, strlen(name))) {
		err_at(p, col, "'%s' is not a variable name", name);
		*ok = false;
	} else if (!(v = g_hash_table_lookup(p->vars, name))) {
		err_at(p, col, "undefined variable '%s' (define it with "
			"'set %s=...' or --set %s=...)", name, name, name);
		*ok = false;
	} else {
		g_string_append(out, v);
	}
	g_free(name);
	return (size_t)(close - s) + 1;
}

/* Split a line into words. Returns false (errors added) on bad quoting. */
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
					err_at(p, (int)i + 1, "unterminated "
						"quote (')");
					g_string_free(w, TRUE);
					return false;
				}
				g_string_append_len(w, line + i + 1,
					close - line - i - 1);
				i = (size_t)(close - line) + 1;
			} else if (c == '"') {
				size_t q = i++;

				while (i < n && line[i] != '"') {
					if (line[i] == '\\' && i + 1 < n &&
					    (line[i + 1] == '"' ||
						    line[i + 1] == '\\' ||
						    line[i + 1] == '$')) {
						g_string_append_c(w, line[i + 1]);
						i += 2;
					} else if (line[i] == '$' &&
						   line[i + 1] == '{') {
						i += 1 + expand(p, line + i + 1,
							(int)i + 1, w, &ok);
					} else {
						g_string_append_c(w, line[i++]);
					}
				}
				if (i >= n) {
					err_at(p, (int)q + 1, "unterminated "
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
					c = (guint8)(g_ascii_xdigit_value(s[i + 1]) *
							16 +
						g_ascii_xdigit_value(s[i + 2]));
					i += 2;
					break;
				}
				g_byte_array_free(b, TRUE);
				return NULL;
			default:
				g_byte_array_free(b, TRUE);
				return NULL;
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
	if (s->send)
		g_bytes_unref(s->send);
	if (s->value)
		g_bytes_unref(s->value);
	if (s->expects)
		g_array_free(s->expects, TRUE);
	if (s->children)
		g_ptr_array_free(s->children, TRUE);
	g_free(s);
}

static const struct spec *find_spec(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++)
		if (!strcmp(specs[i].name, name))
			return &specs[i];
	return NULL;
}

static bool allowed(const struct spec *sp, const char *key)
{
	for (size_t i = 0; sp->params[i]; i++)
		if (!strcmp(sp->params[i], key))
			return true;
	return false;
}

static const char *const io_caps[] = { "DisplayOnly", "DisplayYesNo",
	"KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay", NULL };
static const char *const vias[] = { "sim", "command", "serial", "gatt",
	"manual", NULL };

static void set_uuid(struct parser *p, struct scn_step *s, const struct word *w)
{
	GError *err = NULL;

	g_free(s->uuid);
	s->uuid = bluez_uuid_normalize(w->text, &err);
	if (!s->uuid) {
		err_at(p, w->col, "%s", err->message);
		g_error_free(err);
	}
}

static void param(struct parser *p, struct scn_step *s, const char *key,
	const char *val, int vcol)
{
	bool b;
	long n;
	int64_t ms;
	GError *err = NULL;

	if (!strcmp(key, "timeout")) {
		if (!duration_parse(val, &ms, &err)) {
			err_at(p, vcol, "timeout: %s", err->message);
			g_error_free(err);
		} else {
			s->timeout_ms = ms;
		}
	} else if (!strcmp(key, "bond")) {
		if (!parse_bool(val, &s->bond))
			err_at(p, vcol, "bond= takes yes or no, not '%s'", val);
	} else if (!strcmp(key, "io")) {
		bool known = false;

		for (size_t i = 0; io_caps[i]; i++)
			known |= !strcmp(io_caps[i], val);
		if (!known) {
			char *sg = suggest(val, io_caps);

			err_at(p, vcol, "io= takes one of DisplayOnly, "
				"DisplayYesNo, KeyboardOnly, NoInputNoOutput, "
				"KeyboardDisplay, not '%s'%s", val, sg);
			g_free(sg);
		} else {
			g_free(s->io);
			s->io = g_strdup(val);
		}
	} else if (!strcmp(key, "passkey")) {
		if (!parse_long(val, 0, 999999, &n))
			err_at(p, vcol, "passkey= takes 0 to 999999, not '%s'",
				val);
		else
			s->passkey = n;
	} else if (!strcmp(key, "via")) {
		size_t i;

		for (i = 0; vias[i] && strcmp(vias[i], val); i++)
			;
		if (!vias[i]) {
			char *sg = suggest(val, vias);

			err_at(p, vcol, "via= takes sim, command, serial, gatt "
				"or manual, not '%s'%s", val, sg);
			g_free(sg);
		} else {
			s->via = (enum scn_via)i;
			s->via_given = true;
		}
	} else if (!strcmp(key, "cmd")) {
		g_free(s->cmd);
		s->cmd = g_strdup(val);
		if (!*val)
			err_at(p, vcol, "cmd= is empty");
	} else if (!strcmp(key, "port")) {
		g_free(s->port);
		s->port = g_strdup(val);
		if (!*val)
			err_at(p, vcol, "port= is empty");
	} else if (!strcmp(key, "baud")) {
		if (!parse_long(val, 50, 4000000, &n))
			err_at(p, vcol, "baud= takes a rate like 115200, "
				"not '%s'", val);
		else
			s->baud = (int)n;
	} else if (!strcmp(key, "send")) {
		if (s->send)
			g_bytes_unref(s->send);
		s->send = parse_escaped(val);
		if (!s->send || !g_bytes_get_size(s->send))
			err_at(p, vcol, "send= needs text; escapes are \\r \\n "
				"\\t \\\\ and \\xNN");
	} else if (!strcmp(key, "char")) {
		struct word tmp = { (char *)val, vcol };

		set_uuid(p, s, &tmp);
	} else if (!strcmp(key, "value") || !strcmp(key, "expect")) {
		if (s->value)
			g_bytes_unref(s->value);
		s->value = parse_hex(val);
		if (!s->value)
			err_at(p, vcol, "%s= takes hex bytes like 01ff, not "
				"'%s'", key, val);
	} else if (!strcmp(key, "type")) {
		if (!strcmp(val, "request"))
			s->write_command = false;
		else if (!strcmp(val, "command"))
			s->write_command = true;
		else
			err_at(p, vcol, "type= takes request or command, not "
				"'%s'", val);
	} else {
		/* expect's PROP=VALUE */
		struct scn_expect e;
		bool known = false;

		for (int i = SCN_PROP_CONNECTED; i <= SCN_PROP_SERVICES_RESOLVED;
		     i++) {
			if (!strcmp(scn_prop_to_str(i), key)) {
				e.prop = i;
				known = true;
			}
		}
		if (!known || !parse_bool(val, &b)) {
			err_at(p, vcol, "%s= takes yes or no, not '%s'", key,
				val);
			return;
		}
		e.value = b;
		g_array_append_val(s->expects, e);
	}
}

static void check_reboot(struct parser *p, struct scn_step *s)
{
	int col = s->col;

	if (!s->via_given)
		return;  /* chosen when the run starts (doc/scenario-language) */
	if (s->via == SCN_VIA_COMMAND && !s->cmd && !p->opts->have_reboot_cmd)
		err_at(p, col, "reboot via=command needs cmd=... (or run with "
			"--reboot-cmd)");
	if (s->via == SCN_VIA_SERIAL && !s->port)
		err_at(p, col, "reboot via=serial needs port=/dev/tty...");
	if (s->cmd && s->via != SCN_VIA_COMMAND)
		err_at(p, col, "cmd= only applies to via=command");
	if ((s->port || s->baud || s->send) && s->via != SCN_VIA_SERIAL)
		err_at(p, col, "port=, baud= and send= only apply to "
			"via=serial");
	if ((s->uuid || s->value) && s->via != SCN_VIA_GATT)
		err_at(p, col, "char= and value= only apply to via=gatt");
}

static struct scn_step *parse_step(struct parser *p, const char *text,
	GPtrArray *words)
{
	struct word *w0 = g_ptr_array_index(words, 0);
	const struct spec *sp = find_spec(w0->text);
	struct scn_step *s;
	int given = 0;
	unsigned errs = p->errors->len;

	if (!sp) {
		const char *names[G_N_ELEMENTS(specs) + 4];
		char *sg;
		size_t k = 0;

		for (; k < G_N_ELEMENTS(specs); k++)
			names[k] = specs[k].name;
		names[k++] = "repeat";
		names[k++] = "set";
		names[k++] = "scenario";
		names[k] = NULL;
		sg = suggest(w0->text, names);
		err_at(p, w0->col, "unknown step '%s'%s", w0->text, sg);
		g_free(sg);
		return NULL;
	}
	s = g_new0(struct scn_step, 1);
	s->type = sp->type;
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
	s->timeout_ms = scn_default_timeout(sp->type);
	s->bond = true;
	s->passkey = -1;
	s->baud = 0;
	if (sp->type == SCN_STEP_EXPECT)
		s->expects = g_array_new(FALSE, FALSE, sizeof(struct scn_expect));

	for (guint i = 1; i < words->len; i++) {
		struct word *w = g_ptr_array_index(words, i);
		const char *eq = strchr(w->text, '=');

		if (eq && eq != w->text) {
			char *key = g_strndup(w->text, eq - w->text);

			if (!allowed(sp, key)) {
				char *sg = suggest(key, sp->params);

				if (sp->params[0])
					err_at(p, w->col, "unknown parameter "
						"'%s' for %s%s", key, sp->name,
						sg);
				else
					err_at(p, w->col, "%s takes no "
						"parameters", sp->name);
				g_free(sg);
			} else {
				param(p, s, key, eq + 1,
					w->col + (int)(eq - w->text) + 1);
			}
			g_free(key);
			continue;
		}
		/* positional */
		if (given >= sp->positional) {
			err_at(p, w->col, "unexpected '%s' (%s takes %s)",
				w->text, sp->name,
				sp->positional ? sp->what : "no positional "
					"arguments, only key=value");
			continue;
		}
		if (sp->type == SCN_STEP_SLEEP) {
			GError *err = NULL;

			if (!duration_parse(w->text, &s->sleep_ms, &err)) {
				err_at(p, w->col, "%s", err->message);
				g_error_free(err);
			}
		} else if (given == 0) {
			set_uuid(p, s, w);
		} else {
			s->value = parse_hex(w->text);
			if (!s->value)
				err_at(p, w->col, "'%s' is not hex bytes (write "
					"e.g. 01ff)", w->text);
		}
		given++;
	}
	if (given < sp->positional)
		err_at(p, w0->col + (int)strlen(w0->text), "%s needs %s",
			sp->name, sp->what);
	if (sp->type == SCN_STEP_EXPECT && s->expects->len == 0 &&
	    p->errors->len == errs)
		err_at(p, w0->col, "expect needs at least one PROP=yes|no "
			"(connected, paired, bonded, trusted, "
			"services-resolved)");
	if (sp->type == SCN_STEP_REBOOT)
		check_reboot(p, s);
	if (sp->type == SCN_STEP_REBOOT && s->via == SCN_VIA_SERIAL &&
	    !s->baud)
		s->baud = 115200;
	return s;
}

/* ---- lines and blocks --------------------------------------------------- */

struct block {
	struct scn_step *repeat;   /* NULL for the top level */
	GPtrArray *steps;
};

static void handle_set(struct parser *p, GPtrArray *words)
{
	for (guint i = 1; i < words->len; i++) {
		struct word *w = g_ptr_array_index(words, i);
		const char *eq = strchr(w->text, '=');

		if (!eq || !var_name_ok(w->text, (size_t)(eq - w->text))) {
			err_at(p, w->col, "set takes NAME=VALUE (a name of "
				"letters, digits and _), not '%s'", w->text);
			continue;
		}
		{
			char *name = g_strndup(w->text, eq - w->text);

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

static unsigned count_steps(GPtrArray *steps)
{
	guint64 n = 0;

	for (guint i = 0; i < steps->len; i++) {
		struct scn_step *s = g_ptr_array_index(steps, i);

		if (s->type == SCN_STEP_REPEAT)
			n += (guint64)s->count * count_steps(s->children);
		else
			n++;
		if (n > G_MAXUINT)
			return G_MAXUINT;
	}
	return (unsigned)n;
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
	char *copy = g_strndup(text, len);
	char **lines;
	char *title = NULL;
	int title_line = 0;
	bool ok;

	p.file = file ? file : "<scenario>";
	p.errors = g_ptr_array_new_with_free_func(scn_error_free);
	p.vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.fixed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
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

	if (memchr(text, '\0', len)) {
		p.line = 1;
		err_at(&p, 1, "this is not a text file (it contains NUL bytes)");
	}
	lines = g_strsplit(copy, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		GPtrArray *words = g_ptr_array_new_with_free_func(word_free);
		struct block *cur = g_ptr_array_index(stack, stack->len - 1);
		size_t l = strlen(lines[i]);
		struct word *w0;

		p.line = i + 1;
		if (l && lines[i][l - 1] == '\r')
			lines[i][l - 1] = '\0';
		if (!g_utf8_validate(lines[i], -1, NULL)) {
			err_at(&p, 1, "this line is not valid UTF-8");
			g_ptr_array_free(words, TRUE);
			continue;
		}
		if (!split(&p, lines[i], words) || words->len == 0) {
			g_ptr_array_free(words, TRUE);
			continue;
		}
		w0 = g_ptr_array_index(words, 0);
		if (!strcmp(w0->text, "scenario")) {
			if (words->len != 2)
				err_at(&p, w0->col, "scenario takes one title "
					"(quote it: scenario \"My title\")");
			else if (title)
				err_at(&p, w0->col, "a second scenario title "
					"(the first is on line %d)", title_line);
			else {
				title = g_strdup(((struct word *)
					g_ptr_array_index(words, 1))->text);
				title_line = p.line;
			}
		} else if (!strcmp(w0->text, "set")) {
			handle_set(&p, words);
		} else if (!strcmp(w0->text, "repeat")) {
			struct scn_step *r = g_new0(struct scn_step, 1);
			struct block *b = g_new0(struct block, 1);
			long n = 0;

			r->type = SCN_STEP_REPEAT;
			r->line = p.line;
			r->col = w0->col;
			r->text = g_strstrip(g_strdup(lines[i]));
			r->children = g_ptr_array_new_with_free_func(step_free);
			if (words->len != 2 ||
			    !parse_long(((struct word *)
					    g_ptr_array_index(words, 1))->text,
				    1, SCN_MAX_REPEAT, &n))
				err_at(&p, words->len > 1 ?
					((struct word *)g_ptr_array_index(words,
						1))->col : w0->col,
					"repeat takes a count from 1 to %u",
					SCN_MAX_REPEAT);
			r->count = (unsigned)(n > 0 ? n : 1);
			g_ptr_array_add(cur->steps, r);
			if (stack->len > SCN_MAX_DEPTH) {
				err_at(&p, w0->col, "repeat blocks nest at most "
					"%d deep", SCN_MAX_DEPTH);
			}
			b->repeat = r;
			b->steps = r->children;
			g_ptr_array_add(stack, b);
		} else if (!strcmp(w0->text, "end")) {
			if (words->len > 1)
				err_at(&p, ((struct word *)
					g_ptr_array_index(words, 1))->col,
					"end takes nothing");
			if (stack->len == 1) {
				err_at(&p, w0->col, "end without repeat");
			} else {
				struct block *b = g_ptr_array_index(stack,
					stack->len - 1);

				if (b->steps->len == 0)
					err_at(&p, w0->col, "empty repeat block "
						"(line %d)", b->repeat->line);
				g_ptr_array_remove_index(stack, stack->len - 1);
			}
		} else {
			struct scn_step *s = parse_step(&p, lines[i], words);

			if (s)
				g_ptr_array_add(cur->steps, s);
		}
		g_ptr_array_free(words, TRUE);
	}
	for (guint i = stack->len; i-- > 1;) {
		struct block *b = g_ptr_array_index(stack, i);

		p.line = b->repeat->line;
		err_at(&p, b->repeat->col, "repeat without end");
	}
	if (top->steps->len == 0 && p.errors->len == 0) {
		p.line = 1;
		err_at(&p, 1, "no steps (a scenario needs at least one, e.g. "
			"scan)");
	}
	g_strfreev(lines);
	g_free(copy);

	ok = p.errors->len == 0;
	scn->steps = top->steps;
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
	scn->total_steps = count_steps(scn->steps);
	g_hash_table_destroy(p.fixed);
	/* errors in file order (a block's missing end is found last) */
	g_ptr_array_sort(p.errors, by_place);
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

struct scenario *scenario_load(const char *path,
	const struct scenario_options *opts, GPtrArray **errors)
{
	char *text = NULL;
	gsize len = 0;
	GError *err = NULL;
	struct scenario *s;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		struct scn_error *e = g_new0(struct scn_error, 1);

		e->file = g_strdup(path);
		e->line = 0;
		e->col = 0;
		e->message = g_strdup(err->message);
		if (errors) {
			*errors = g_ptr_array_new_with_free_func(scn_error_free);
			g_ptr_array_add(*errors, e);
		} else {
			scn_error_free(e);
		}
		g_error_free(err);
		return NULL;
	}
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
	g_free(scn);
}
