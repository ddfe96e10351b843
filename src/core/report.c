/* SPDX-License-Identifier: MIT */
/*
 * report.c — a run's outcome for people and for CI. Owns copies of the
 * run-start and run-end events and of at most REPORT_MAX_FAILURES failing
 * step-ends; never holds the events themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/html.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/junit.h"
#include "bondcheck/logread.h"
#include "bondcheck/report.h"
#include "bondcheck/runplan.h"
#include "bondcheck/scenario.h"
#include "bondcheck/verdict.h"

struct msstats {
	GHashTable *counts; /* ms -> count */
	guint64 n;
	gint64 min, max;
};

struct report {
	JsonNode *start;
	JsonNode *end;
	bool open; /* a step-start without its step-end yet */
	gint64 open_line;
	char open_name[32];
	char open_central[40];
	char open_iter[64];
	GPtrArray *failures;   /* step-end JsonNode copies */
	guint64 more_failures; /* beyond REPORT_MAX_FAILURES */
	GHashTable *verdicts;  /* verdict string -> count */
	guint64 results[LOG_STEP_RESULT_COUNT];
	guint64 steps_ended;
	struct msstats *reconnect;
	struct junit *junit;
	bool junit_own;          /* ...and finish it (else the caller) */
	struct runplan *plan;    /* run-start's plan, if the log has one */
	GHashTable *ordinals;    /* without a plan: line -> ordinal */
	GHashTable *name_counts; /* ...and step name -> lines seen */
	char *classname;
	char *log_path;
	struct logread_view *view; /* for report_event() */
	/* --html: the steps table's rows go to an unlinked file as they
	 * come; the chart keeps at most REPORT_MAX_POINTS points */
	struct html_file *html;
	FILE *rows;
	guint64 rows_listed, rows_unlisted;
	GArray *points; /* struct point */
	guint64 cycles; /* reconnects seen */
	guint64 stride; /* every stride-th cycle is a point */
};

/* a point of the latency chart; its strings are owned */
struct point {
	guint64 cycle;
	gint64 ms;
	bool failed;
	char *label;
	char *verdict;
};

/* ---- msstats ---- */

struct msstats *msstats_new(void)
{
	struct msstats *s = g_new0(struct msstats, 1);

	s->counts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
		g_free);
	return s;
}

void msstats_free(struct msstats *s)
{
	if (!s)
		return;
	g_hash_table_destroy(s->counts);
	g_free(s);
}

void msstats_add(struct msstats *s, gint64 ms)
{
	guint64 *c = g_hash_table_lookup(s->counts, &ms);

	if (!c) {
		gint64 *k = g_new(gint64, 1);

		*k = ms;
		c = g_new0(guint64, 1);
		g_hash_table_insert(s->counts, k, c);
	}
	(*c)++;
	if (!s->n || ms < s->min)
		s->min = ms;
	if (!s->n || ms > s->max)
		s->max = ms;
	s->n++;
}

guint64 msstats_count(const struct msstats *s)
{
	return s->n;
}

gint64 msstats_min(const struct msstats *s)
{
	return s->n ? s->min : 0;
}

gint64 msstats_max(const struct msstats *s)
{
	return s->n ? s->max : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	gint64 x = **(gint64 *const *)a, y = **(gint64 *const *)b;

	return x < y ? -1 : x > y;
}

gint64 msstats_median(const struct msstats *s)
{
	gpointer *keys;
	guint len = 0;
	guint64 want, seen = 0;
	gint64 med = 0;

	if (!s->n)
		return 0;
	keys = g_hash_table_get_keys_as_array(s->counts, &len);
	qsort(keys, len, sizeof(gpointer), cmp_i64);
	want = (s->n - 1) / 2; /* index of the lower median */
	for (guint i = 0; i < len; i++) {
		seen += *(guint64 *)g_hash_table_lookup(s->counts, keys[i]);
		if (seen > want) {
			med = *(gint64 *)keys[i];
			break;
		}
	}
	g_free(keys);
	return med;
}

/* ---- report ---- */

struct report *report_new(void)
{
	struct report *r = g_new0(struct report, 1);

	r->failures =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	r->verdicts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		g_free);
	r->reconnect = msstats_new();
	return r;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	if (r->start)
		json_node_unref(r->start);
	if (r->end)
		json_node_unref(r->end);
	g_ptr_array_free(r->failures, TRUE);
	g_hash_table_destroy(r->verdicts);
	msstats_free(r->reconnect);
	if (r->junit_own)
		junit_free(r->junit);
	runplan_free(r->plan);
	if (r->ordinals)
		g_hash_table_destroy(r->ordinals);
	if (r->name_counts)
		g_hash_table_destroy(r->name_counts);
	g_free(r->classname);
	g_free(r->log_path);
	logread_view_free(r->view);
	html_file_abort(r->html);
	if (r->rows)
		fclose(r->rows);
	if (r->points)
		g_array_free(r->points, TRUE);
	g_free(r);
}

static void point_clear(gpointer p)
{
	struct point *pt = p;

	g_free(pt->label);
	g_free(pt->verdict);
}

bool report_html(struct report *r, const char *path, const char *log_path,
	GError **error)
{
	struct html_file *h = html_file_new(path, error);
	FILE *rows;

	if (!h)
		return false;
	rows = tmpfile();
	if (!rows) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot write the HTML report %s: %s", path,
			g_strerror(errno));
		html_file_abort(h);
		return false;
	}
	html_file_abort(r->html);
	if (r->rows)
		fclose(r->rows);
	r->html = h;
	r->rows = rows;
	if (!r->points) {
		r->points = g_array_new(FALSE, TRUE, sizeof(struct point));
		g_array_set_clear_func(r->points, point_clear);
	}
	r->stride = 1;
	if (log_path && !r->log_path)
		r->log_path = g_strdup(log_path);
	return true;
}

bool report_junit(struct report *r, const char *path, const char *log_path,
	GError **error)
{
	struct junit *j = junit_new(path, error);

	if (!j)
		return false;
	report_junit_into(r, j, log_path);
	r->junit_own = true;
	return true;
}

void report_junit_into(struct report *r, struct junit *junit,
	const char *log_path)
{
	if (r->junit_own)
		junit_free(r->junit);
	r->junit = junit;
	r->junit_own = false;
	g_free(r->log_path);
	r->log_path = g_strdup(log_path);
}

static JsonObject *start_obj(struct report *r)
{
	return r->start ? json_node_get_object(r->start) : NULL;
}

static JsonObject *end_obj(struct report *r)
{
	return r->end ? json_node_get_object(r->end) : NULL;
}

/* Did the run drive several centrals? Then each step says whose it is. */
static bool several_centrals(struct report *r)
{
	JsonArray *c = logread_arr(start_obj(r), LOG_KEY_CENTRALS);

	return c && json_array_get_length(c) > 1;
}

/* @s, or @dflt when it is NULL */
static const char * or (const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static char *ms_text(gint64 ms)
{
	return ms < 1000 ? g_strdup_printf("%" G_GINT64_FORMAT " ms", ms) :
	                   g_strdup_printf("%.1f s", (double)ms / 1000.0);
}

static void print_str_array(FILE *out, JsonObject *ev, const char *key,
	const char *title, const char *indent)
{
	JsonArray *a = logread_arr(ev, key);

	for (guint i = 0; a && i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);

		if (JSON_NODE_HOLDS_VALUE(n) &&
			json_node_get_value_type(n) == G_TYPE_STRING)
			fprintf(out, "%s%-9s %s\n", indent, i ? "" : title,
				json_node_get_string(n));
	}
}

/* The simulator's own account, trimmed to what explains a verdict. */
static const char *const dut_events[] = { "ltk-request", "booted", "store-lost",
	"cccd-lost", "identity-rotated", "bond-stored", "bond-evicted",
	"bond-refused", "later-bonds-lost", "resolving-list-lost",
	"unsaved-bonds-lost" };

/* bond_history: "bonds:    A, B, C (B and C after A; A's the oldest)" */
static void print_bonds(FILE *out, JsonObject *ev, const char *indent)
{
	JsonObject *h = logread_obj(ev, LOG_KEY_BOND_HISTORY);
	JsonArray *order = logread_arr(h, LOG_KEY_BOND_ORDER);
	JsonArray *after = logread_arr(h, LOG_KEY_BONDED_AFTER);
	GString *s = g_string_new("");

	for (guint i = 0; order && i < json_array_get_length(order); i++) {
		JsonNode *n = json_array_get_element(order, i);

		if (JSON_NODE_HOLDS_VALUE(n) &&
			json_node_get_value_type(n) == G_TYPE_STRING)
			g_string_append_printf(s, "%s%s", s->len ? ", " : "",
				json_node_get_string(n));
	}
	if (s->len)
		fprintf(out,
			"%sbonds:    %s, in the order they bonded (%u "
			"after this central)\n",
			indent, s->str,
			after ? json_array_get_length(after) : 0);
	g_string_free(s, TRUE);
}

void report_print_evidence(FILE *out, JsonObject *ev, const char *indent)
{
	JsonObject *dbus = logread_obj(ev, LOG_KEY_DBUS_ERROR);
	JsonArray *tl = logread_arr(ev, LOG_KEY_TIMELINE);
	JsonArray *trace = logread_arr(ev, LOG_KEY_SIM_TRACE);
	const char *s;

	if (!ev)
		return;
	if (dbus)
		fprintf(out, "%sD-Bus:    %s %s\n", indent,
			or (logread_str(dbus, LOG_KEY_NAME), "?"),
			or (logread_str(dbus, LOG_KEY_MESSAGE), ""));
	if ((s = logread_str(ev, LOG_KEY_CENTRAL_ADDRESS_TYPE)))
		fprintf(out, "%scentral:  %s%s%s%s\n", indent,
			or (logread_str(ev, LOG_KEY_CENTRAL_ADDRESS), ""),
			logread_str(ev, LOG_KEY_CENTRAL_ADDRESS) ? " (" : "", s,
			logread_str(ev, LOG_KEY_CENTRAL_ADDRESS) ? ")" : "");
	if ((s = logread_str(ev, LOG_KEY_PRIVACY_DEPENDENT)))
		fprintf(out, "%sprivacy:  %s\n", indent, s);
	if ((s = logread_str(ev, LOG_KEY_DISCONNECTED_REASON)))
		fprintf(out, "%sreason:   %s\n", indent, s);
	if ((s = logread_str(ev, LOG_KEY_KIND)))
		fprintf(out, "%sreboot:   %s; the link ended: %s\n", indent, s,
			or (logread_str(ev, LOG_KEY_DISCONNECT_REASON),
				   "(it was down)"));
	if ((s = logread_str(ev, LOG_KEY_CCCD)))
		fprintf(out, "%sCCCD:     %s\n", indent, s);
	if ((s = logread_str(ev, LOG_KEY_NEW_ADDRESS)))
		fprintf(out, "%saddress:  %s -> %s\n", indent,
			or (logread_str(ev, LOG_KEY_OLD_ADDRESS), "?"), s);
	print_str_array(out, ev, LOG_KEY_HCI, "HCI:", indent);
	print_bonds(out, ev, indent);
	{
		/* what the simulated DUT said of this central's keys */
		JsonObject *said = logread_obj(ev, LOG_KEY_DUT_TRACE);
		JsonNode *n;
		char *j;

		if (said) {
			n = json_node_alloc();
			json_node_init_object(n, said);
			j = jsontext_to_string(n, FALSE);
			fprintf(out, "%sDUT said: %s\n", indent, j);
			g_free(j);
			json_node_unref(n);
		}
	}
	if (tl && json_array_get_length(tl)) {
		fprintf(out, "%stimeline:\n", indent);
		for (guint i = 0; i < json_array_get_length(tl); i++) {
			JsonNode *n = json_array_get_element(tl, i);

			if (JSON_NODE_HOLDS_VALUE(n) &&
				json_node_get_value_type(n) == G_TYPE_STRING)
				fprintf(out, "%s  %s\n", indent,
					json_node_get_string(n));
		}
	}
	print_str_array(out, ev, LOG_KEY_AGENT, "agent:", indent);
	for (guint i = 0; trace && i < json_array_get_length(trace); i++) {
		JsonNode *n = json_array_get_element(trace, i);
		const char *what;
		bool keep = false;
		char *j;

		if (!JSON_NODE_HOLDS_OBJECT(n))
			continue;
		what = logread_str(json_node_get_object(n), LOG_KEY_EVENT);
		for (size_t k = 0; what && k < G_N_ELEMENTS(dut_events); k++)
			keep = keep || !strcmp(what, dut_events[k]);
		if (!keep)
			continue;
		j = jsontext_to_string(n, FALSE);
		fprintf(out, "%sDUT:      %s\n", indent, j);
		g_free(j);
	}
}

static char *evidence_text(const struct logread_step *st, const char *file)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return g_strdup("");
	if (st->message)
		fprintf(f, "%s\n", st->message);
	fprintf(f, "at %s:%" G_GINT64_FORMAT "\n", or (file, "?"), st->line);
	report_print_evidence(f, st->evidence, "");
	fclose(f);
	return buf;
}

/* Without a plan (a log from before plans): a step's ordinal among the
 * steps of its name, in the order their lines first ran (the file's
 * order, as steps run in it); bounded, then 0. */
#define MAX_ORDINALS 100000u

static unsigned seen_ordinal(struct report *r, const struct logread_step *st)
{
	gint64 line = st->line;
	gpointer o;
	guint c;

	if (r->plan)
		return runplan_ordinal(r->plan, line);
	if (!r->ordinals) {
		r->ordinals = g_hash_table_new_full(g_int64_hash, g_int64_equal,
			g_free, NULL);
		r->name_counts = g_hash_table_new_full(g_str_hash, g_str_equal,
			g_free, NULL);
	}
	if ((o = g_hash_table_lookup(r->ordinals, &line)))
		return GPOINTER_TO_UINT(o);
	if (g_hash_table_size(r->ordinals) >= MAX_ORDINALS)
		return 0;
	c = GPOINTER_TO_UINT(g_hash_table_lookup(r->name_counts, st->name)) + 1;
	g_hash_table_insert(r->name_counts, g_strdup(st->name),
		GUINT_TO_POINTER(c));
	g_hash_table_insert(r->ordinals, g_memdup2(&line, sizeof(line)),
		GUINT_TO_POINTER(c));
	return c;
}

/*
 * A test case's name: the step, the ordinal of its name in the file, its
 * iteration — "reconnect #2 [3]" — and with several centrals the central
 * first, "c2: reconnect #2 [3]". Inserting a line into the scenario does
 * not rename the steps after it (the line is a property of the case).
 */
char *report_case_name(const char *name, unsigned ordinal,
	const char *iteration, const char *central)
{
	GString *s = g_string_new("");

	if (central)
		g_string_append_printf(s, "%s: ", central);
	g_string_append(s, name ? name : "step");
	if (ordinal)
		g_string_append_printf(s, " #%u", ordinal);
	if (iteration && *iteration)
		g_string_append_printf(s, " [%s]", iteration);
	return g_string_free(s, FALSE);
}

static char *case_name(struct report *r, const struct logread_step *st)
{
	return report_case_name(st->name, seen_ordinal(r, st), st->iteration,
		several_centrals(r) && st->central ? st->central : NULL);
}

static const char *scenario_file(struct report *r)
{
	return logread_str(logread_obj(start_obj(r), LOG_KEY_SCENARIO),
		LOG_KEY_FILE);
}

static const char *classname(struct report *r)
{
	return or (r->classname, "bondcheck");
}

static void junit_step(struct report *r, const struct logread_step *st)
{
	const char *conf = st->confidence;
	struct junit_case c = { 0 };
	char *name = case_name(r, st);
	char *text = NULL, *msg = NULL;

	c.name = name;
	c.classname = classname(r);
	c.time_ms = st->elapsed_ms;
	c.line = st->line;
	switch (st->result) {
	case LOG_STEP_PASS: c.status = JUNIT_PASSED; break;
	case LOG_STEP_INTERRUPTED:
		c.status = JUNIT_SKIPPED;
		c.message = "interrupted";
		break;
	case LOG_STEP_FAIL:
	case LOG_STEP_ERROR:
	case LOG_STEP_RESULT_COUNT:
		c.status = st->result == LOG_STEP_ERROR ? JUNIT_ERROR :
		                                          JUNIT_FAILURE;
		msg = g_strdup_printf("%s%s%s%s: %s",
			or (st->verdict, "failed"), conf ? " (" : "",
			or (conf, ""), conf ? ")" : "", or (st->message, ""));
		c.message = msg;
		c.type = st->verdict;
		text = evidence_text(st, scenario_file(r));
		c.text = text;
		break;
	}
	junit_add_case(r->junit, &c, NULL); /* errors kept for finish */
	g_free(name);
	g_free(text);
	g_free(msg);
}

char *report_suite_name(JsonObject *run_start)
{
	JsonObject *scn = logread_obj(run_start, LOG_KEY_SCENARIO);
	JsonObject *dev = logread_obj(run_start, LOG_KEY_DEVICE);
	const char *title = or (logread_str(scn, LOG_KEY_NAME),
				       or (logread_str(scn, LOG_KEY_FILE),
						  "bondcheck"));
	const char *which = or
	                    (logread_str(run_start, LOG_KEY_LABEL),
				    or (logread_str(dev, LOG_KEY_ADDRESS),
					       logread_str(dev, LOG_KEY_NAME)));

	return which && *which ? g_strdup_printf("%s (%s)", title, which) :
	                         g_strdup(title);
}

static void on_start(struct report *r, JsonObject *ev)
{
	JsonObject *scn = logread_obj(ev, LOG_KEY_SCENARIO);
	const char *file = logread_str(scn, LOG_KEY_FILE);
	char hostname[256] = "localhost";

	if (r->start)
		return;
	r->start = json_node_alloc();
	json_node_init_object(r->start, ev);
	if (file) {
		char *base = g_path_get_basename(file);
		char *dot = strrchr(base, '.');

		if (dot && dot != base)
			*dot = '\0';
		g_strdelimit(base, ".", '_');
		r->classname = base;
	}
	r->plan = runplan_new(ev);
	if (!r->junit)
		return;
	if (gethostname(hostname, sizeof(hostname) - 1) != 0)
		strcpy(hostname, "localhost");
	hostname[sizeof(hostname) - 1] = '\0';
	{
		/* ISO 8601 without zone or fraction, as the schema wants */
		const char *at = logread_str(ev, LOG_KEY_STARTED_AT);
		char stamp[20] = "1970-01-01T00:00:00";
		JsonObject *dev = logread_obj(ev, LOG_KEY_DEVICE);
		JsonObject *ad = logread_obj(ev, LOG_KEY_ADAPTER);
		JsonObject *sim = logread_obj(ev, LOG_KEY_SIM);
		char *sha = g_strdup(logread_str(scn, LOG_KEY_SHA256));

		if (at && strlen(at) >= 19)
			memcpy(stamp, at, 19);
		char *suite = report_suite_name(ev);

		junit_begin_suite(r->junit, suite, stamp, hostname);
		g_free(suite);
		junit_add_property(r->junit, "label",
			logread_str(ev, LOG_KEY_LABEL));
		junit_add_property(r->junit, "scenario.file", file);
		junit_add_property(r->junit, "scenario.sha256", sha);
		junit_add_property(r->junit, "device.address",
			logread_str(dev, LOG_KEY_ADDRESS));
		junit_add_property(r->junit, "adapter.address",
			logread_str(ad, LOG_KEY_ADDRESS));
		junit_add_property(r->junit, "bluez_version",
			logread_str(ev, LOG_KEY_BLUEZ_VERSION));
		junit_add_property(r->junit, "kernel",
			logread_str(ev, LOG_KEY_KERNEL));
		junit_add_property(r->junit, "bondcheck.version",
			logread_str(ev, LOG_KEY_VERSION));
		if (sim && json_object_get_boolean_member_with_default(sim,
				   LOG_KEY_ENABLED, FALSE)) {
			JsonArray *f = logread_arr(sim, LOG_KEY_FAULTS);
			GString *s = g_string_new("");

			for (guint i = 0; f && i < json_array_get_length(f);
				i++) {
				JsonNode *n = json_array_get_element(f, i);

				if (JSON_NODE_HOLDS_VALUE(n) &&
					json_node_get_value_type(n) ==
						G_TYPE_STRING)
					g_string_append_printf(s, "%s%s",
						s->len ? "," : "",
						json_node_get_string(n));
			}
			junit_add_property(r->junit, "simulator.faults",
				s->str);
			g_string_free(s, TRUE);
		}
		g_free(sha);
	}
}

/* ---- the HTML report's parts that come as the run goes ---- */

/* Rows listed in the steps table; failing steps are listed beyond it. */
#define REPORT_MAX_ROWS 10000
/* Points of the latency chart; past them every other one goes. */
#define REPORT_MAX_POINTS 2000

struct row {
	const char *cls; /* pass, fail, error, skipped, not-run */
	const char *result;
	gint64 line;
	const char *name, *central, *iteration;
	const char *verdict, *confidence, *message;
	gint64 elapsed_ms, latency_ms; /* -1: none */
	guint failure;                 /* its evidence is failure-N; 0: none */
};

static void html_row(struct report *r, const struct row *w)
{
	FILE *f = r->rows;
	bool failing = !strcmp(w->cls, "fail") || !strcmp(w->cls, "error");

	if (!f)
		return;
	if (r->rows_listed >= REPORT_MAX_ROWS && !failing) {
		r->rows_unlisted++;
		return;
	}
	r->rows_listed++;
	fprintf(f,
		"<tr class=\"step %s\" data-line=\"%" G_GINT64_FORMAT
		"\" data-result=\"",
		w->cls, w->line);
	html_put(f, w->result);
	fputs("\" data-verdict=\"", f);
	html_put(f, w->verdict);
	fprintf(f, "\"><td>%" G_GINT64_FORMAT "</td><td>", w->line);
	html_put(f, w->name);
	if (several_centrals(r) && w->central) {
		fputs(" <span class=\"muted\">as ", f);
		html_put(f, w->central);
		fputs("</span>", f);
	}
	fputs("</td><td>", f);
	html_put(f, w->iteration);
	fputs("</td><td>", f);
	html_put(f, w->result);
	fputs("</td><td>", f);
	if (w->verdict && strcmp(w->verdict, "pass")) {
		if (w->failure)
			fprintf(f, "<a href=\"#failure-%u\">", w->failure);
		html_put(f, w->verdict);
		if (w->failure)
			fputs("</a>", f);
		if (w->confidence) {
			fputs(" (", f);
			html_put(f, w->confidence);
			fputs(")", f);
		}
	} else {
		html_put(f, w->verdict);
	}
	fputs("</td><td>", f);
	if (w->elapsed_ms >= 0)
		fprintf(f, "%" G_GINT64_FORMAT " ms", w->elapsed_ms);
	fputs("</td><td>", f);
	if (w->latency_ms >= 0)
		fprintf(f, "%" G_GINT64_FORMAT " ms", w->latency_ms);
	fputs("</td><td>", f);
	html_put(f, w->message);
	fputs("</td></tr>\n", f);
}

static void html_point(struct report *r, const struct logread_step *st)
{
	struct point pt = { 0 };

	r->cycles++;
	if (!r->points || (r->cycles - 1) % r->stride)
		return;
	if (r->points->len >= REPORT_MAX_POINTS) {
		/* keep the odd cycles of what was kept: the same spacing */
		guint k = 0;

		for (guint i = 0; i < r->points->len; i++) {
			struct point *p = &g_array_index(r->points,
				struct point, i);

			if (i % 2) {
				point_clear(p);
				continue;
			}
			g_array_index(r->points, struct point, k++) = *p;
		}
		/* the moved-out tail is cleared already: no clear func */
		g_array_set_clear_func(r->points, NULL);
		g_array_set_size(r->points, k);
		g_array_set_clear_func(r->points, point_clear);
		r->stride *= 2;
		if ((r->cycles - 1) % r->stride)
			return;
	}
	pt.cycle = r->cycles;
	pt.failed = st->result != LOG_STEP_PASS;
	pt.ms = st->latency_ms >= 0 ? st->latency_ms : st->elapsed_ms;
	pt.label = g_strdup_printf("line %" G_GINT64_FORMAT "%s%s%s", st->line,
		*st->iteration ? " [" : "", st->iteration,
		*st->iteration ? "]" : "");
	pt.verdict = g_strdup(st->verdict);
	g_array_append_val(r->points, pt);
}

static const char *row_class(enum log_step_result res)
{
	switch (res) {
	case LOG_STEP_PASS: return "pass";
	case LOG_STEP_FAIL: return "fail";
	case LOG_STEP_ERROR: return "error";
	case LOG_STEP_INTERRUPTED: return "skipped";
	case LOG_STEP_RESULT_COUNT: break;
	}
	return "error";
}

static void count_verdict(struct report *r, const char *verdict)
{
	guint64 *c = g_hash_table_lookup(r->verdicts, verdict);

	if (!c) {
		c = g_new0(guint64, 1);
		g_hash_table_insert(r->verdicts, g_strdup(verdict), c);
	}
	(*c)++;
}

/* A step of the plan the run never took, as a skipped test case. */
static void junit_skip(struct report *r, const struct runplan_step *p,
	const char *why)
{
	char *name = report_case_name(p->name, p->ordinal, p->iteration,
		several_centrals(r) ? p->central : NULL);
	struct junit_case c = { name, classname(r), 0, JUNIT_SKIPPED, why, NULL,
		NULL, p->line };

	junit_add_case(r->junit, &c, NULL);
	g_free(name);
}

/* ...and its row in the HTML report */
static void skip(struct report *r, const struct runplan_step *p,
	const char *why)
{
	struct row w = { "not-run", "not run", p->line, p->name, p->central,
		p->iteration, NULL, NULL, why, -1, -1, 0 };

	if (r->junit)
		junit_skip(r, p, why);
	html_row(r, &w);
}

/*
 * The plan's walk up to @st: the steps before it were not run (the run
 * went on past them, as --keep-going does after a failure).
 */
static void plan_reach(struct report *r, const struct logread_step *st)
{
	struct runplan_step p;

	if (!r->plan || !runplan_ahead(r->plan, st->line, st->iteration))
		return;
	while (runplan_next(r->plan, &p)) {
		if (p.line == st->line && !strcmp(p.iteration, st->iteration))
			return;
		skip(r, &p, "not run: the run went on past this step");
	}
}

static void on_step_start(struct report *r, const struct logread_step *st)
{
	plan_reach(r, st);
	r->open = true;
	r->open_line = st->line;
	g_strlcpy(r->open_name, st->name, sizeof(r->open_name));
	g_strlcpy(r->open_central,
		st->central ? st->central : LOG_CENTRAL_DEFAULT,
		sizeof(r->open_central));
	g_strlcpy(r->open_iter, st->iteration, sizeof(r->open_iter));
}

/* @ev: the whole event, NULL when skimmed (then it passed) */
static void on_step_end(struct report *r, const struct logread_step *st,
	JsonObject *ev)
{
	bool failed = st->result == LOG_STEP_FAIL ||
	              st->result == LOG_STEP_ERROR;
	guint failure = 0;

	plan_reach(r, st);
	r->open = false;
	r->steps_ended++;
	if (st->result < LOG_STEP_RESULT_COUNT)
		r->results[st->result]++;
	if (st->verdict && st->result != LOG_STEP_INTERRUPTED)
		count_verdict(r, st->verdict);
	if (failed && ev) {
		if (r->failures->len < REPORT_MAX_FAILURES) {
			JsonNode *n = json_node_alloc();

			json_node_init_object(n, ev);
			g_ptr_array_add(r->failures, n);
			failure = r->failures->len;
		} else {
			r->more_failures++;
		}
	}
	if (!strcmp(st->name, scn_step_type_to_str(SCN_STEP_RECONNECT))) {
		if (st->result == LOG_STEP_PASS && st->latency_ms >= 0)
			msstats_add(r->reconnect, st->latency_ms);
		if (st->result != LOG_STEP_INTERRUPTED)
			html_point(r, st);
	}
	if (r->junit)
		junit_step(r, st);
	if (r->rows) {
		struct row w = { row_class(st->result),
			st->result < LOG_STEP_RESULT_COUNT ?
				log_step_result_to_str(st->result) :
				"?",
			st->line, st->name, st->central, st->iteration,
			st->verdict, st->confidence,
			st->result == LOG_STEP_PASS ? NULL : st->message,
			st->elapsed_ms, st->latency_ms, failure };

		html_row(r, &w);
	}
}

void report_add(struct report *r, const struct logread_event *ev)
{
	/* the report is made of the structural events only */
	if (!ev || !ev->known)
		return;
	if (ev->event == LOG_EVENT_RUN_START && ev->object) {
		on_start(r, ev->object);
	} else if (ev->event == LOG_EVENT_STEP_START && ev->step) {
		on_step_start(r, ev->step);
	} else if (ev->event == LOG_EVENT_STEP_END && ev->step) {
		on_step_end(r, ev->step, ev->object);
	} else if (ev->event == LOG_EVENT_RUN_END && ev->object && !r->end) {
		r->end = json_node_alloc();
		json_node_init_object(r->end, ev->object);
	}
}

void report_event(struct report *r, JsonObject *ev)
{
	if (!r->view)
		r->view = logread_view_new();
	report_add(r, logread_view_set(r->view, ev));
}

static gint64 steps_total(struct report *r)
{
	return logread_int(logread_obj(start_obj(r), LOG_KEY_SCENARIO),
		LOG_KEY_STEPS, 0);
}

static guint64 not_run(struct report *r)
{
	gint64 total = steps_total(r);
	guint64 ran = r->steps_ended + (r->open ? 1 : 0);

	return total > 0 && (guint64)total > ran ? (guint64)total - ran : 0;
}

static bool run_result(struct report *r, enum log_run_result *rr);

static bool bool_member(JsonObject *o, const char *key, bool dflt)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
		json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return dflt;
	return json_node_get_boolean(n);
}

/* The run's own error, when no step holds it: the run did not start, or
 * it failed or its log ended between steps. */
static void junit_run_error(struct report *r)
{
	JsonObject *e = end_obj(r);
	const char *msg = logread_str(e, LOG_KEY_MESSAGE);
	const char *type = logread_str(e, LOG_KEY_VERDICT);
	enum log_run_result rr = LOG_RUN_ERROR;
	struct junit_case c = { "run", classname(r), 0, JUNIT_ERROR, NULL, NULL,
		NULL, 0 };
	char *text;

	if (r->open || r->results[LOG_STEP_FAIL] || r->results[LOG_STEP_ERROR])
		return;
	if (!e) {
		c.message = "the log ends without run-end (was the run "
			    "killed?)";
		c.type = "incomplete";
		c.text = c.message;
		junit_add_case(r->junit, &c, NULL);
		return;
	}
	if (!run_result(r, &rr) ||
		(rr != LOG_RUN_FAILED && rr != LOG_RUN_ERROR))
		return;
	if (!type)
		type = logread_int(e, LOG_KEY_EXIT_STATUS, 0) == BC_EXIT_USAGE ?
		               "bad-input" :
		               "error";
	c.message = or (msg, "the run failed");
	c.type = type;
	c.line = logread_int(e, LOG_KEY_LINE, 0);
	text = g_strdup_printf("%s%s", c.message,
		bool_member(e, LOG_KEY_STARTED, true) ?
			"" :
			"\nthe run did not start");
	c.text = text;
	junit_add_case(r->junit, &c, NULL);
	g_free(text);
}

static bool finish_junit(struct report *r, GError **error)
{
	guint64 skipped = not_run(r);
	gint64 total_ms;
	struct runplan_step p;
	bool started = bool_member(end_obj(r), LOG_KEY_STARTED, true);

	if (!r->start) {
		struct junit_case c = { "run", "bondcheck", 0, JUNIT_ERROR,
			"the log has no run-start", "bad-input",
			"the log has no run-start", 0 };

		junit_begin_suite(r->junit, or (r->log_path, "bondcheck"), NULL,
			NULL);
		junit_add_case(r->junit, &c, NULL);
	}
	if (r->open) {
		struct logread_step st = { .line = r->open_line,
			.name = r->open_name,
			.iteration = r->open_iter,
			.central = r->open_central };
		char *name = case_name(r, &st);
		struct junit_case c = { name, classname(r), 0, JUNIT_ERROR,
			"the log ends inside this step (was the run killed?)",
			"incomplete", "the log ends inside this step",
			r->open_line };

		junit_add_case(r->junit, &c, NULL);
		g_free(name);
	}
	junit_run_error(r);
	if (r->plan) {
		while (runplan_next(r->plan, &p))
			skip(r, &p,
				started ?
					"not run: the run stopped before this step" :
					"not run: the run did not start");
	} else if (skipped) {
		char *name = g_strdup_printf("%" G_GUINT64_FORMAT
					     " steps not run",
			skipped);
		char *msg = g_strdup_printf("the run stopped before these "
					    "%" G_GUINT64_FORMAT " steps",
			skipped);
		struct junit_case c = { name, classname(r), 0, JUNIT_SKIPPED,
			msg, NULL, NULL, 0 };

		junit_add_case(r->junit, &c, NULL);
		g_free(name);
		g_free(msg);
	}
	{
		/* what the run could not have shown is said, not left out */
		JsonObject *cov = logread_obj(end_obj(r), LOG_KEY_COVERAGE);
		const char *text = logread_str(cov, LOG_KEY_TEXT);
		char *so = g_strdup_printf("%s%s%s%s%s",
			r->log_path ? "log: " : "",
			r->log_path ? r->log_path : "", r->log_path ? "\n" : "",
			text ? "coverage: " : "", text ? text : "");

		if (cov) {
			junit_add_property(r->junit, "coverage.central_address",
				logread_str(cov, LOG_KEY_CENTRAL_ADDRESS));
			junit_add_property(r->junit, "coverage.rpa_bugs",
				logread_str(cov, LOG_KEY_RPA_BUGS));
		}
		if (*so)
			junit_set_system_out(r->junit, so);
		g_free(so);
	}
	total_ms = logread_int(end_obj(r), LOG_KEY_ELAPSED_MS, -1);
	junit_end_suite(r->junit, total_ms < 0 ? 0 : total_ms);
	return r->junit_own ? junit_finish(r->junit, error) : true;
}

static bool finish_html(struct report *r, GError **error);

bool report_finish(struct report *r, GError **error)
{
	struct runplan_step p;
	bool ok = true;

	if (r->open && r->rows) {
		struct row w = { "error", "incomplete", r->open_line,
			r->open_name, r->open_central, r->open_iter,
			"incomplete", NULL,
			"the log ends inside this step (was the run killed?)",
			-1, -1, 0 };

		html_row(r, &w);
	}
	if (r->junit) {
		ok = finish_junit(r, error);
	} else if (r->rows && r->plan) {
		bool started = bool_member(end_obj(r), LOG_KEY_STARTED, true);

		while (runplan_next(r->plan, &p))
			skip(r, &p,
				started ?
					"not run: the run stopped before this step" :
					"not run: the run did not start");
	}
	if (r->html)
		ok = finish_html(r, ok ? error : NULL) && ok;
	return ok;
}

/* The run-end's result; false when there is none (the log ends early). */
static bool run_result(struct report *r, enum log_run_result *rr)
{
	return log_run_result_from_str(logread_str(end_obj(r), LOG_KEY_RESULT),
		rr);
}

int report_exit_status(struct report *r)
{
	enum log_run_result rr;

	return run_result(r, &rr) && rr == LOG_RUN_PASSED ? 0 : 1;
}

static const char *sgr(bool colour, const char *code)
{
	return colour ? code : "";
}

/* "  centrals A (hci0 00:B0:DC:00:00:01), B (hci1 ...)" */
static void print_centrals(struct report *r, FILE *out)
{
	JsonArray *a = logread_arr(start_obj(r), LOG_KEY_CENTRALS);

	if (!several_centrals(r))
		return;
	fprintf(out, "  centrals");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);
		JsonObject *c = JSON_NODE_HOLDS_OBJECT(n) ?
		                        json_node_get_object(n) :
		                        NULL;
		JsonObject *ad = logread_obj(c, LOG_KEY_ADAPTER);
		const char *path = logread_str(ad, LOG_KEY_PATH);
		const char *base = path ? strrchr(path, '/') : NULL;

		fprintf(out, "%s %s (%s %s)", i ? "," : "",
			or (logread_str(c, LOG_KEY_NAME), "?"),
			base ? base + 1 : or (path, "?"),
			or (logread_str(ad, LOG_KEY_ADDRESS), "?"));
	}
	fprintf(out, "\n");
}

static void print_run(struct report *r, FILE *out, bool colour)
{
	JsonObject *s = start_obj(r);
	JsonObject *scn = logread_obj(s, LOG_KEY_SCENARIO);
	JsonObject *dev = logread_obj(s, LOG_KEY_DEVICE);
	JsonObject *ad = logread_obj(s, LOG_KEY_ADAPTER);
	JsonObject *sim = logread_obj(s, LOG_KEY_SIM);

	if (!s)
		return;
	fprintf(out, "%s%s%s  %s  sha256 %.12s\n", sgr(colour, "\033[1m"),
		logread_str(scn, LOG_KEY_NAME), sgr(colour, "\033[0m"),
		or (logread_str(scn, LOG_KEY_FILE), "?"),
		or (logread_str(scn, LOG_KEY_SHA256), "?"));
	fprintf(out, "  label %s, device %s, adapter %s\n",
		or (logread_str(s, LOG_KEY_LABEL), "(none)"),
		or (logread_str(dev, LOG_KEY_ADDRESS),
			   or (logread_str(dev, LOG_KEY_NAME), "?")),
		or (logread_str(ad, LOG_KEY_ADDRESS), "?"));
	print_centrals(r, out);
	fprintf(out, "  BlueZ %s, kernel %s, started %s\n",
		or (logread_str(s, LOG_KEY_BLUEZ_VERSION), "unknown"),
		or (logread_str(s, LOG_KEY_KERNEL), "?"),
		or (logread_str(s, LOG_KEY_STARTED_AT), "?"));
	if (sim && json_object_get_boolean_member_with_default(sim,
			   LOG_KEY_ENABLED, FALSE)) {
		JsonArray *f = logread_arr(sim, LOG_KEY_FAULTS);

		fprintf(out, "  simulator");
		for (guint i = 0; f && i < json_array_get_length(f); i++) {
			JsonNode *n = json_array_get_element(f, i);

			if (JSON_NODE_HOLDS_VALUE(n) &&
				json_node_get_value_type(n) == G_TYPE_STRING)
				fprintf(out, "%s%s", i ? ", " : ", faults: ",
					json_node_get_string(n));
		}
		fprintf(out, "\n");
	}
}

/* A failing step-end kept in r->failures. */
static void print_failure(struct report *r, FILE *out, JsonNode *step,
	bool colour, bool headline)
{
	const struct logread_event *ev;
	const struct logread_step *st;
	const char *conf;
	enum verdict v;

	if (!r->view)
		r->view = logread_view_new();
	ev = logread_view_set(r->view, json_node_get_object(step));
	st = ev ? ev->step : NULL;
	if (!st)
		return;
	conf = st->confidence;
	if (!headline)
		fprintf(out,
			"%sFAILED%s: %s%s%s%s at line %" G_GINT64_FORMAT
			" (%s%s%s%s%s): %s\n",
			sgr(colour, "\033[1;31m"), sgr(colour, "\033[0m"),
			or (st->verdict, "failed"), conf ? " (" : "",
			or (conf, ""), conf ? ")" : "", st->line, st->name,
			several_centrals(r) ? " as " : "",
			several_centrals(r) ? st->central : "",
			*st->iteration ? ", iteration " : "", st->iteration,
			or (st->message, ""));
	if (st->verdict && verdict_from_str(st->verdict, &v))
		fprintf(out, "  %s\n", verdict_explain(v));
	report_print_evidence(out, st->evidence, "  ");
}

static void print_outcome(struct report *r, FILE *out, bool colour)
{
	JsonObject *e = end_obj(r);
	JsonObject *steps = logread_obj(e, LOG_KEY_STEPS);
	enum log_run_result rr = LOG_RUN_FAILED;
	char *el = ms_text(logread_int(e, LOG_KEY_ELAPSED_MS, 0));
	guint first = 0;

	if (e)
		(void)run_result(r, &rr);
	if (!e) {
		fprintf(out,
			"%sINCOMPLETE%s: the log ends without run-end "
			"after %" G_GUINT64_FORMAT " steps (was the run "
			"killed?)\n",
			sgr(colour, "\033[1;33m"), sgr(colour, "\033[0m"),
			r->steps_ended);
		if (r->open)
			fprintf(out,
				"  it ends inside line %" G_GINT64_FORMAT
				" (%s)\n",
				r->open_line, r->open_name);
	} else if (rr == LOG_RUN_PASSED) {
		fprintf(out,
			"%sPASSED%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
			" steps in %s\n",
			sgr(colour, "\033[1;32m"), sgr(colour, "\033[0m"),
			logread_int(steps, LOG_KEY_PASSED, 0),
			logread_int(steps, LOG_KEY_TOTAL, 0), el);
	} else if (rr == LOG_RUN_INTERRUPTED) {
		fprintf(out,
			"%sINTERRUPTED%s after %" G_GINT64_FORMAT
			" steps (%s)\n",
			sgr(colour, "\033[1;33m"), sgr(colour, "\033[0m"),
			logread_int(steps, LOG_KEY_PASSED, 0), el);
	} else {
		const char *verdict = logread_str(e, LOG_KEY_VERDICT);
		enum verdict v;

		fprintf(out, "%s%s%s: %s\n", sgr(colour, "\033[1;31m"),
			rr == LOG_RUN_ERROR ? "ERROR" : "FAILED",
			sgr(colour, "\033[0m"),
			or (logread_str(e, LOG_KEY_MESSAGE), "(no message)"));
		if (r->failures->len) {
			print_failure(r, out, r->failures->pdata[0], colour,
				true);
			first = 1;
		} else if (verdict && verdict_from_str(verdict, &v)) {
			fprintf(out, "  %s\n", verdict_explain(v));
		}
	}
	for (guint i = first; i < r->failures->len; i++)
		print_failure(r, out, r->failures->pdata[i], colour, false);
	if (r->more_failures)
		fprintf(out,
			"  ... and %" G_GUINT64_FORMAT " more failures "
			"(see the log)\n",
			r->more_failures);
	g_free(el);
}

static void print_counts(struct report *r, FILE *out)
{
	bool any = false;
	guint64 nr = not_run(r);

	fprintf(out, "verdicts:");
	for (int v = 0; v < VERDICT_COUNT; v++) {
		guint64 *c = g_hash_table_lookup(r->verdicts,
			verdict_to_str((enum verdict)v));

		if (c) {
			fprintf(out, "%s %s %" G_GUINT64_FORMAT, any ? "," : "",
				verdict_to_str((enum verdict)v), *c);
			any = true;
		}
	}
	{
		/* verdicts a newer bondcheck wrote, sorted for stable output */
		GList *keys = g_list_sort(g_hash_table_get_keys(r->verdicts),
			(GCompareFunc)strcmp);
		enum verdict v;

		for (GList *k = keys; k; k = k->next) {
			if (verdict_from_str(k->data, &v))
				continue;
			fprintf(out, "%s %s %" G_GUINT64_FORMAT, any ? "," : "",
				(char *)k->data,
				*(guint64 *)g_hash_table_lookup(r->verdicts,
					k->data));
			any = true;
		}
		g_list_free(keys);
	}
	if (!any)
		fprintf(out, " none");
	if (r->results[LOG_STEP_INTERRUPTED])
		fprintf(out, "; %" G_GUINT64_FORMAT " interrupted",
			r->results[LOG_STEP_INTERRUPTED]);
	if (nr)
		fprintf(out, "; %" G_GUINT64_FORMAT " steps not run", nr);
	fprintf(out, "\n");
}

/* A run that could not have shown RPA-dependent bugs says so. */
static void print_coverage(struct report *r, FILE *out, bool colour)
{
	JsonObject *cov = logread_obj(end_obj(r), LOG_KEY_COVERAGE);
	const char *bugs = logread_str(cov, LOG_KEY_RPA_BUGS);
	const char *text = logread_str(cov, LOG_KEY_TEXT);

	if (!bugs || !text || !strcmp(bugs, LOG_COVERAGE_COULD_SHOW))
		return;
	fprintf(out, "%scoverage%s: %s\n", sgr(colour, "\033[33m"),
		sgr(colour, "\033[0m"), text);
}

static void print_latency(struct report *r, FILE *out)
{
	if (msstats_count(r->reconnect) < 2)
		return;
	fprintf(out,
		"reconnect latency over %" G_GUINT64_FORMAT
		" cycles: min %" G_GINT64_FORMAT " ms, median %" G_GINT64_FORMAT
		" ms, max %" G_GINT64_FORMAT " ms\n",
		msstats_count(r->reconnect), msstats_min(r->reconnect),
		msstats_median(r->reconnect), msstats_max(r->reconnect));
}

void report_print(struct report *r, FILE *out, bool colour, unsigned parts)
{
	if (parts & REPORT_RUN)
		print_run(r, out, colour);
	if (parts & REPORT_OUTCOME)
		print_outcome(r, out, colour);
	if (parts & REPORT_COUNTS) {
		print_counts(r, out);
		print_coverage(r, out, colour);
	}
	if (parts & REPORT_LATENCY)
		print_latency(r, out);
}

/* ---- the HTML report ---- */

static void html_kv(FILE *f, const char *id, const char *key, const char *value)
{
	fprintf(f, "<tr id=\"run-%s\"><th>", id);
	html_put(f, key);
	fputs("</th><td>", f);
	html_put(f, value ? value : "-");
	fputs("</td></tr>\n", f);
}

/* a JSON array of strings as "a, b, c" */
static char *str_list(JsonArray *a)
{
	GString *s = g_string_new("");

	for (guint i = 0; a && i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);

		if (JSON_NODE_HOLDS_VALUE(n) &&
			json_node_get_value_type(n) == G_TYPE_STRING)
			g_string_append_printf(s, "%s%s", s->len ? ", " : "",
				json_node_get_string(n));
	}
	return g_string_free(s, FALSE);
}

static void html_run(struct report *r, FILE *f)
{
	JsonObject *s = start_obj(r);
	JsonObject *scn = logread_obj(s, LOG_KEY_SCENARIO);
	JsonObject *dev = logread_obj(s, LOG_KEY_DEVICE);
	JsonObject *ad = logread_obj(s, LOG_KEY_ADAPTER);
	JsonObject *sim = logread_obj(s, LOG_KEY_SIM);
	char *el = ms_text(logread_int(end_obj(r), LOG_KEY_ELAPSED_MS, 0));

	fputs("<table id=\"run\">\n", f);
	html_kv(f, "file", "scenario", logread_str(scn, LOG_KEY_FILE));
	html_kv(f, "sha256", "sha256", logread_str(scn, LOG_KEY_SHA256));
	html_kv(f, "label", "label", logread_str(s, LOG_KEY_LABEL));
	html_kv(f, "device", "device",
		or (logread_str(dev, LOG_KEY_ADDRESS),
			   logread_str(dev, LOG_KEY_NAME)));
	html_kv(f, "adapter", "adapter", logread_str(ad, LOG_KEY_ADDRESS));
	if (several_centrals(r)) {
		JsonArray *a = logread_arr(s, LOG_KEY_CENTRALS);
		GString *c = g_string_new("");

		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonNode *n = json_array_get_element(a, i);
			JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ?
			                        json_node_get_object(n) :
			                        NULL;

			g_string_append_printf(c, "%s%s (%s)", i ? ", " : "",
				or (logread_str(o, LOG_KEY_NAME), "?"),
				or (logread_str(logread_obj(o, LOG_KEY_ADAPTER),
					    LOG_KEY_ADDRESS),
					   "?"));
		}
		html_kv(f, "centrals", "centrals", c->str);
		g_string_free(c, TRUE);
	}
	html_kv(f, "bluez", "BlueZ", logread_str(s, LOG_KEY_BLUEZ_VERSION));
	html_kv(f, "kernel", "kernel", logread_str(s, LOG_KEY_KERNEL));
	html_kv(f, "started", "started", logread_str(s, LOG_KEY_STARTED_AT));
	html_kv(f, "elapsed", "elapsed", end_obj(r) ? el : NULL);
	if (sim && bool_member(sim, LOG_KEY_ENABLED, false)) {
		char *faults = str_list(logread_arr(sim, LOG_KEY_FAULTS));

		html_kv(f, "simulator", "simulator faults",
			*faults ? faults : "none");
		g_free(faults);
	}
	html_kv(f, "log", "log", r->log_path);
	fputs("</table>\n", f);
	g_free(el);
}

static void html_status(struct report *r, FILE *f)
{
	JsonObject *e = end_obj(r);
	JsonObject *steps = logread_obj(e, LOG_KEY_STEPS);
	enum log_run_result rr = LOG_RUN_FAILED;
	const char *cls, *word;
	char *text;

	if (!e) {
		cls = "incomplete";
		word = "INCOMPLETE";
		text = g_strdup_printf(
			"the log ends without run-end after %" G_GUINT64_FORMAT
			" steps (was the run killed?)",
			r->steps_ended);
	} else {
		(void)run_result(r, &rr);
		switch (rr) {
		case LOG_RUN_PASSED:
			cls = "passed";
			word = "PASSED";
			text = g_strdup_printf("%" G_GINT64_FORMAT
					       " of %" G_GINT64_FORMAT " steps",
				logread_int(steps, LOG_KEY_PASSED, 0),
				logread_int(steps, LOG_KEY_TOTAL, 0));
			break;
		case LOG_RUN_INTERRUPTED:
			cls = "interrupted";
			word = "INTERRUPTED";
			text = g_strdup_printf("after %" G_GINT64_FORMAT
					       " steps",
				logread_int(steps, LOG_KEY_PASSED, 0));
			break;
		case LOG_RUN_ERROR:
		case LOG_RUN_FAILED:
		case LOG_RUN_RESULT_COUNT:
		default:
			cls = rr == LOG_RUN_ERROR ? "error" : "failed";
			word = rr == LOG_RUN_ERROR ? "ERROR" : "FAILED";
			text = g_strdup(or (logread_str(e, LOG_KEY_MESSAGE),
						   "(no message)"));
			break;
		}
	}
	fprintf(f, "<p><span id=\"status\" class=\"status %s\">%s</span> ", cls,
		word);
	fputs("<span id=\"status-text\">", f);
	html_put(f, text);
	fputs("</span></p>\n", f);
	g_free(text);
}

static void html_verdicts(struct report *r, FILE *f)
{
	GList *keys = g_list_sort(g_hash_table_get_keys(r->verdicts),
		(GCompareFunc)strcmp);
	guint64 nr = not_run(r);

	fputs("<table id=\"verdicts\"><tr><th>verdict</th><th>steps</th></tr>"
	      "\n",
		f);
	for (GList *k = keys; k; k = k->next) {
		fputs("<tr class=\"verdict\" data-verdict=\"", f);
		html_put(f, k->data);
		fputs("\"><td>", f);
		html_put(f, k->data);
		fprintf(f, "</td><td>%" G_GUINT64_FORMAT "</td></tr>\n",
			*(guint64 *)g_hash_table_lookup(r->verdicts, k->data));
	}
	if (r->results[LOG_STEP_INTERRUPTED])
		fprintf(f,
			"<tr><td>interrupted</td><td>%" G_GUINT64_FORMAT
			"</td></tr>\n",
			r->results[LOG_STEP_INTERRUPTED]);
	if (nr)
		fprintf(f,
			"<tr><td>not run</td><td>%" G_GUINT64_FORMAT
			"</td></tr>\n",
			nr);
	fputs("</table>\n", f);
	g_list_free(keys);
	{
		JsonObject *cov = logread_obj(end_obj(r), LOG_KEY_COVERAGE);
		const char *bugs = logread_str(cov, LOG_KEY_RPA_BUGS);
		const char *text = logread_str(cov, LOG_KEY_TEXT);

		if (bugs && text && strcmp(bugs, LOG_COVERAGE_COULD_SHOW)) {
			fputs("<p id=\"coverage\"><b>coverage:</b> ", f);
			html_put(f, text);
			fputs("</p>\n", f);
		}
	}
}

void report_html_evidence(FILE *f, JsonObject *evidence)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	report_print_evidence(m, evidence, "");
	fclose(m);
	if (len) {
		fputs("<pre class=\"evidence\">", f);
		html_put(f, buf);
		fputs("</pre>\n", f);
	}
	free(buf);
}

static void html_failure(FILE *f, JsonObject *step_end, const char *id)
{
	struct logread_view *view = logread_view_new();
	const struct logread_event *ev = logread_view_set(view, step_end);
	const struct logread_step *st = ev ? ev->step : NULL;
	enum verdict v;

	if (!st) {
		logread_view_free(view);
		return;
	}
	fprintf(f,
		"<section class=\"failure\" id=\"%s\" data-line=\"%" G_GINT64_FORMAT
		"\" data-verdict=\"",
		id, st->line);
	html_put(f, st->verdict);
	fputs("\"><h3>", f);
	html_put(f, or (st->verdict, "failed"));
	if (st->confidence) {
		fputs(" (", f);
		html_put(f, st->confidence);
		fputs(")", f);
	}
	fprintf(f, " at line %" G_GINT64_FORMAT ": ", st->line);
	html_put(f, st->name);
	if (st->central && strcmp(st->central, LOG_CENTRAL_DEFAULT)) {
		fputs(" as ", f);
		html_put(f, st->central);
	}
	if (*st->iteration) {
		fputs(" [", f);
		html_put(f, st->iteration);
		fputs("]", f);
	}
	fputs("</h3>\n<p class=\"message\">", f);
	html_put(f, st->message);
	fputs("</p>\n", f);
	if (st->verdict && verdict_from_str(st->verdict, &v)) {
		fputs("<p class=\"explain\">", f);
		html_put(f, verdict_explain(v));
		fputs("</p>\n", f);
	}
	report_html_evidence(f, st->evidence);
	fputs("</section>\n", f);
	logread_view_free(view);
}

static void html_latency(struct report *r, FILE *f)
{
	struct html_point *pts;
	guint64 failed = 0;

	if (!r->cycles)
		return;
	pts = g_new0(struct html_point, r->points->len + 1);
	for (guint i = 0; i < r->points->len; i++) {
		const struct point *p = &g_array_index(r->points, struct point,
			i);

		pts[i] = (struct html_point){ p->cycle, p->ms, p->failed,
			p->label, p->verdict };
	}
	fputs("<h2 id=\"latency\">Reconnect latency</h2>\n<p id=\"latency-"
	      "summary\">",
		f);
	for (guint i = 0; i < r->points->len; i++)
		failed += pts[i].failed;
	if (msstats_count(r->reconnect))
		fprintf(f,
			"%" G_GUINT64_FORMAT
			" reconnects passed: min %" G_GINT64_FORMAT
			" ms, median %" G_GINT64_FORMAT
			" ms, max %" G_GINT64_FORMAT " ms. ",
			msstats_count(r->reconnect), msstats_min(r->reconnect),
			msstats_median(r->reconnect),
			msstats_max(r->reconnect));
	fprintf(f, "%" G_GUINT64_FORMAT " cycle%s", r->cycles,
		r->cycles == 1 ? "" : "s");
	if (r->stride > 1)
		fprintf(f, ", one in %" G_GUINT64_FORMAT " drawn", r->stride);
	if (failed)
		fprintf(f, "; red marks: reconnects that failed");
	fputs(".</p>\n", f);
	html_latency_chart(f, pts, r->points->len);
	g_free(pts);
}

static bool copy_rows(FILE *from, FILE *to)
{
	char buf[8192];
	size_t n;

	if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
		return false;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return false;
	return !ferror(from);
}

static bool finish_html(struct report *r, GError **error)
{
	struct html_file *h = r->html;
	FILE *f = html_file_stream(h);
	JsonObject *scn = logread_obj(start_obj(r), LOG_KEY_SCENARIO);
	const char *name = or (logread_str(scn, LOG_KEY_NAME), "bondcheck run");
	char *title = start_obj(r) ? report_suite_name(start_obj(r)) :
	                             g_strdup(name);
	char *t = g_strconcat("bondcheck report: ", title, NULL);

	r->html = NULL;
	html_begin(f, t);
	fputs("<h1 id=\"title\">", f);
	html_put(f, title);
	fputs("</h1>\n", f);
	html_status(r, f);
	html_run(r, f);
	html_verdicts(r, f);
	if (r->failures->len) {
		fprintf(f, "<h2 id=\"failures\">Failures</h2>\n");
		for (guint i = 0; i < r->failures->len; i++) {
			char id[32];

			g_snprintf(id, sizeof(id), "failure-%u", i + 1);
			html_failure(f,
				json_node_get_object(r->failures->pdata[i]),
				id);
		}
		if (r->more_failures)
			fprintf(f,
				"<p>... and %" G_GUINT64_FORMAT " more "
				"failures (see the log)</p>\n",
				r->more_failures);
	}
	html_latency(r, f);
	fputs("<h2 id=\"steps-title\">Steps</h2>\n<table id=\"steps\"><tr>"
	      "<th>line</th><th>step</th><th>iteration</th><th>result</th>"
	      "<th>verdict</th><th>time</th><th>latency</th><th>message</th>"
	      "</tr>\n",
		f);
	if (!copy_rows(r->rows, f)) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"writing the HTML report failed: %s",
			g_strerror(errno));
		html_file_abort(h);
		g_free(title);
		g_free(t);
		return false;
	}
	fputs("</table>\n", f);
	if (r->rows_unlisted)
		fprintf(f,
			"<p id=\"unlisted\">... and %" G_GUINT64_FORMAT
			" more steps that did not fail (see the log)</p>\n",
			r->rows_unlisted);
	fputs("<p class=\"muted\">bondcheck report</p>\n", f);
	html_end(f);
	g_free(title);
	g_free(t);
	return html_file_commit(h, error);
}
