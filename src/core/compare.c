/* SPDX-License-Identifier: MIT */
/*
 * compare.c — aligns two run logs step by step while reading them once, in
 * step with each other. Owns the steps of each side that have not met their
 * partner yet (at most COMPARE_WINDOW) and the findings; never the logs.
 */
#include <stdlib.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/compare.h"
#include "bondcheck/html.h"
#include "bondcheck/jsontext.h"
#include "bondcheck/logread.h"
#include "bondcheck/report.h"
#include "bondcheck/verdict.h"

enum side_id { BASE, NEW };

struct rec {
	char *key;
	gint64 line;
	char *iter;
	char *name;
	char *central; /* "default" with one central */
	enum log_step_result result;
	char *verdict;
	char *confidence;
	char *message;
	gint64 elapsed;
	JsonNode *evidence; /* only when it did not pass */
	GPtrArray *events;  /* raw lines of the step's events */
	guint dropped;      /* events beyond COMPARE_MAX_STEP_EVENTS */
};

struct timing {
	char *name;
	struct msstats *s[2];
};

struct side {
	struct logread *lr;
	char *path;
	char *scenario;
	char *sha;
	char *label;
	gint64 steps_total;
	bool ended; /* saw run-end: */
	enum log_run_result result;
	char *verdict;
	gint64 end_line;
	char *end_central; /* the failed step's, with several */
	bool done;
	bool complete;
	guint64 steps;
	gint64 last_line; /* the last step it reached */
	char *last_name;
	/* the step being read */
	bool in_step;
	GPtrArray *cur;
	guint cur_dropped;
	/* steps waiting for their partner, oldest first */
	GHashTable *pending; /* key -> rec */
	GQueue order;        /* rec, oldest first */
};

struct divergence {
	guint at;           /* index of the first differing event */
	GPtrArray *context; /* the common events just before */
	GPtrArray *ev[2];   /* from @at on, each side */
	guint len[2];
	bool identical;
};

struct pair {
	struct rec *r[2];
	struct divergence *div;
};

struct onlyset {
	guint64 count;
	GPtrArray *recs; /* the first COMPARE_MAX_LISTED */
};

struct compare {
	struct compare_options opt;
	struct side s[2];
	GPtrArray *regressions; /* struct pair */
	guint64 n_regressions;
	GPtrArray *fixes;
	guint64 n_fixes;
	GPtrArray *changes;
	guint64 n_changes;
	guint64 same_pass, same_fail;
	struct onlyset only[2];   /* steps only in that side */
	struct onlyset notrun[2]; /* steps the other side never reached */
	GHashTable *timing;       /* name -> struct timing */
	GPtrArray *timing_order;  /* names, first seen first */
	unsigned slower;
};

void compare_options_init(struct compare_options *o)
{
	o->threshold = 1.5;
	o->min_delta_ms = 100;
}

/* ---- normalisation ---- */

static bool is_hex(char c)
{
	return g_ascii_isxdigit(c);
}

/* An address "AA:BB:CC:DD:EE:FF" or "AA_BB_CC_DD_EE_FF" at @p? */
static bool addr_at(const char *p, size_t left)
{
	char sep;

	if (left < 17)
		return false;
	sep = p[2];
	if (sep != ':' && sep != '_')
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (p[i] != sep)
				return false;
		} else if (!is_hex(p[i])) {
			return false;
		}
	}
	return left == 17 || !g_ascii_isalnum(p[17]);
}

static const char *addr_name(GHashTable *addrs, const char *p)
{
	char canon[18];
	char *name;

	for (int i = 0; i < 17; i++)
		canon[i] = (char)(i % 3 == 2 ? ':' : g_ascii_toupper(p[i]));
	canon[17] = '\0';
	name = g_hash_table_lookup(addrs, canon);
	if (!name) {
		name = g_strdup_printf("<a%u>", g_hash_table_size(addrs) + 1);
		g_hash_table_insert(addrs, g_strdup(canon), name);
	}
	return name;
}

static bool word_then_hex4(const char *p, size_t left, const char *word)
{
	size_t n = strlen(word);

	if (left < n + 4 || strncmp(p, word, n))
		return false;
	for (size_t i = 0; i < 4; i++)
		if (!is_hex(p[n + i]))
			return false;
	return true;
}

static char *normalise_text(const char *in, GHashTable *addrs)
{
	static const char *const handles[] = { "service", "char", "desc" };
	GString *out = g_string_sized_new(strlen(in));
	size_t len = strlen(in);

	for (size_t i = 0; i < len;) {
		const char *p = in + i;
		bool done = false;

		if ((i == 0 || !g_ascii_isalnum(in[i - 1])) &&
			addr_at(p, len - i)) {
			g_string_append(out, addr_name(addrs, p));
			i += 17;
			continue;
		}
		if (!strncmp(p, "/org/bluez/", 11)) {
			i += 11;
			continue;
		}
		if (!strncmp(p, "hci", 3) && i + 3 < len &&
			g_ascii_isdigit(in[i + 3])) {
			g_string_append(out, "hci*");
			i += 3;
			while (i < len && g_ascii_isdigit(in[i]))
				i++;
			continue;
		}
		for (size_t h = 0; h < G_N_ELEMENTS(handles) && !done; h++) {
			if (i && in[i - 1] == '/' &&
				word_then_hex4(p, len - i, handles[h])) {
				g_string_append(out, handles[h]);
				g_string_append_c(out, '*');
				i += strlen(handles[h]) + 4;
				done = true;
			}
		}
		if (done)
			continue;
		g_string_append_c(out, *p);
		i++;
	}
	return g_string_free(out, FALSE);
}

static void append_value(GString *s, JsonNode *n)
{
	if (JSON_NODE_HOLDS_VALUE(n) &&
		json_node_get_value_type(n) == G_TYPE_STRING) {
		g_string_append(s, json_node_get_string(n));
	} else {
		char *j = jsontext_to_string(n, FALSE);

		g_string_append(s, j);
		g_free(j);
	}
}

static bool volatile_key(const char *k)
{
	/* and the simulator's other times (its trace's adv_t_us,
	 * epoch_t_us: when an advertising event was) */
	return !strcmp(k, LOG_KEY_T) || !strcmp(k, LOG_KEY_T_US) ||
	       !strcmp(k, LOG_KEY_MS) || !strcmp(k, LOG_KEY_TYPE) ||
	       g_str_has_suffix(k, "_t_us");
}

/* "k=v k=v" of every member but @skip and the volatile ones. */
static void append_members(GString *s, JsonObject *o, const char *skip)
{
	GList *names = json_object_get_members(o);

	for (GList *l = names; l; l = l->next) {
		const char *k = l->data;

		if (volatile_key(k) || (skip && !strcmp(k, skip)))
			continue;
		g_string_append_printf(s, " %s=", k);
		if (!strcmp(k, LOG_KEY_PASSKEY))
			g_string_append(s, "*");
		else
			append_value(s, json_object_get_member(o, k));
	}
	g_list_free(names);
}

static const char *short_iface(const char *iface)
{
	if (iface && g_str_has_prefix(iface, "org.bluez."))
		return iface + strlen("org.bluez.");
	return iface ? iface : "?";
}

static void render_bluez(GString *s, JsonObject *o, enum log_bluez ev)
{
	const char *path = logread_str(o, LOG_KEY_PATH);
	const char *method = logread_str(o, LOG_KEY_METHOD);
	const char *iface = short_iface(logread_str(o, LOG_KEY_IFACE));
	const char *name = logread_str(o, LOG_KEY_NAME);
	JsonNode *value = json_object_get_member(o, LOG_KEY_VALUE);

	if (!path)
		path = "?";
	switch (ev) {
	case LOG_BLUEZ_CALL:
		g_string_append_printf(s, "call %s %s", method, path);
		break;
	case LOG_BLUEZ_REPLY:
		g_string_append_printf(s, "reply %s %s ", method, path);
		if (json_object_get_boolean_member_with_default(o, LOG_KEY_OK,
			    FALSE))
			g_string_append(s, "ok");
		else
			g_string_append_printf(s, "%s: %s",
				logread_str(o, LOG_KEY_ERROR),
				logread_str(o, LOG_KEY_MESSAGE) ?
					logread_str(o, LOG_KEY_MESSAGE) :
					"");
		break;
	case LOG_BLUEZ_PROPERTY:
		g_string_append_printf(s, "%s %s.%s=", path, iface, name);
		if (value)
			append_value(s, value);
		break;
	case LOG_BLUEZ_ADDED:
	case LOG_BLUEZ_REMOVED:
		g_string_append_printf(s, "%s %s %s", log_bluez_to_str(ev),
			path, iface);
		break;
	case LOG_BLUEZ_SIGNAL:
		g_string_append_printf(s, "signal %s %s.%s", path, iface, name);
		if (value) {
			g_string_append_c(s, ' ');
			append_value(s, value);
		}
		break;
	case LOG_BLUEZ_RESET:
	case LOG_BLUEZ_SYNCED:
	case LOG_BLUEZ_COUNT:
		g_string_append(s, log_event_to_str(LOG_EVENT_BLUEZ));
		append_members(s, o, NULL);
		break;
	}
}

char *compare_normalise(JsonObject *o, GHashTable *addrs)
{
	const char *type = logread_str(o, LOG_KEY_TYPE);
	JsonObject *trace = logread_obj(o, LOG_KEY_TRACE);
	GString *s = g_string_new("");
	enum log_event ev;
	enum log_bluez bev;
	bool known = log_event_from_str(type, &ev);
	char *out;

	if (known && ev == LOG_EVENT_BLUEZ &&
		log_bluez_from_str(logread_str(o, LOG_KEY_EVENT), &bev)) {
		render_bluez(s, o, bev);
	} else if (known && ev == LOG_EVENT_SIM && trace) {
		g_string_append_printf(s, "sim %s",
			logread_str(trace, LOG_KEY_EVENT) ?
				logread_str(trace, LOG_KEY_EVENT) :
				"?");
		append_members(s, trace, LOG_KEY_EVENT);
	} else {
		g_string_append(s, type ? type : "?");
		append_members(s, o, NULL);
	}
	out = normalise_text(s->str, addrs);
	g_string_free(s, TRUE);
	return out;
}

/* ---- records ---- */

static void rec_free(struct rec *r)
{
	if (!r)
		return;
	g_free(r->key);
	g_free(r->iter);
	g_free(r->name);
	g_free(r->central);
	g_free(r->verdict);
	g_free(r->confidence);
	g_free(r->message);
	if (r->evidence)
		json_node_unref(r->evidence);
	if (r->events)
		g_ptr_array_free(r->events, TRUE);
	g_free(r);
}

static char *make_key(gint64 line, const char *iter, const char *name)
{
	return g_strdup_printf("%" G_GINT64_FORMAT "|%s|%s", line, iter, name);
}

static struct rec *rec_from_step(const struct logread_step *st,
	GPtrArray *events, guint dropped)
{
	struct rec *r = g_new0(struct rec, 1);

	r->line = st->line;
	r->iter = g_strdup(st->iteration);
	r->name = g_strdup(st->name);
	r->central = g_strdup(st->central ? st->central : LOG_CENTRAL_DEFAULT);
	/* the line and iteration say which central: not part of the key */
	r->key = make_key(r->line, r->iter, r->name);
	r->result = st->result;
	r->verdict = g_strdup(st->verdict);
	r->confidence = g_strdup(st->confidence);
	r->message = g_strdup(st->message);
	r->elapsed = st->elapsed_ms;
	if (st->evidence && st->result != LOG_STEP_PASS) {
		r->evidence = json_node_alloc();
		json_node_init_object(r->evidence, st->evidence);
	}
	r->events = events;
	r->dropped = dropped;
	return r;
}

static bool failed(const struct rec *r)
{
	return r->result == LOG_STEP_FAIL || r->result == LOG_STEP_ERROR;
}

static bool passed(const struct rec *r)
{
	return r->result == LOG_STEP_PASS;
}

/* ---- the reading ---- */

static void timing_add(struct compare *c, enum side_id s, struct rec *r)
{
	struct timing *t;

	if (!passed(r))
		return;
	t = g_hash_table_lookup(c->timing, r->name);
	if (!t) {
		t = g_new0(struct timing, 1);
		t->name = g_strdup(r->name);
		t->s[BASE] = msstats_new();
		t->s[NEW] = msstats_new();
		g_hash_table_insert(c->timing, t->name, t);
		g_ptr_array_add(c->timing_order, t->name);
	}
	msstats_add(t->s[s], r->elapsed);
}

static void timing_free(gpointer p)
{
	struct timing *t = p;

	msstats_free(t->s[BASE]);
	msstats_free(t->s[NEW]);
	g_free(t->name);
	g_free(t);
}

static void side_start(struct side *s, JsonObject *o)
{
	JsonObject *scn = logread_obj(o, LOG_KEY_SCENARIO);

	s->scenario = g_strdup(logread_str(scn, LOG_KEY_NAME));
	s->sha = g_strdup(logread_str(scn, LOG_KEY_SHA256));
	s->label = g_strdup(logread_str(o, LOG_KEY_LABEL));
	s->steps_total = logread_int(scn, LOG_KEY_STEPS, 0);
}

/*
 * Read one side up to its next step-end: 1 and *out, 0 at the end (the side
 * is done), -1 on a bad line.
 */
static int side_next(struct side *s, struct rec **out, GError **error)
{
	int rc;

	*out = NULL;
	while ((rc = logread_next(s->lr, NULL, error)) > 0) {
		const struct logread_event *ev = logread_event(s->lr);

		if (!ev->known || !log_event_is_structural(ev->event)) {
			/* a step's own events, for the divergence; those
			 * between two steps lead into the next one (a
			 * reconnect's link may begin before its step does,
			 * with the Connect() its reboot step made) */
			if (!s->cur && s->steps > 0) {
				s->cur = g_ptr_array_new_with_free_func(g_free);
				s->cur_dropped = 0;
			}
			if (!s->cur)
				continue;
			if (s->cur->len < COMPARE_MAX_STEP_EVENTS)
				g_ptr_array_add(s->cur, g_strdup(ev->line));
			else
				s->cur_dropped++;
		} else if (ev->event == LOG_EVENT_RUN_START) {
			side_start(s, ev->object);
		} else if (ev->event == LOG_EVENT_STEP_START && ev->step) {
			s->in_step = true;
			if (!s->cur) {
				s->cur = g_ptr_array_new_with_free_func(g_free);
				s->cur_dropped = 0;
			}
			s->last_line = ev->step->line;
			g_free(s->last_name);
			s->last_name = g_strdup(ev->step->name);
		} else if (ev->event == LOG_EVENT_STEP_END && ev->step) {
			if (!s->cur)
				s->cur = g_ptr_array_new_with_free_func(g_free);
			*out = rec_from_step(ev->step, s->cur, s->cur_dropped);
			s->cur = NULL;
			s->in_step = false;
			s->steps++;
			return 1;
		} else if (ev->event == LOG_EVENT_RUN_END) {
			s->ended =
				log_run_result_from_str(logread_str(ev->object,
								LOG_KEY_RESULT),
					&s->result);
			s->verdict = g_strdup(logread_str(ev->object,
				LOG_KEY_VERDICT));
			s->end_line = logread_int(ev->object, LOG_KEY_LINE, 0);
			if (g_strcmp0(logread_str(ev->object, LOG_KEY_CENTRAL),
				    LOG_CENTRAL_DEFAULT))
				s->end_central = g_strdup(logread_str(ev->object,
					LOG_KEY_CENTRAL));
		}
	}
	if (rc < 0)
		return -1;
	s->done = true;
	s->complete = logread_complete(s->lr);
	if (s->cur) {
		g_ptr_array_free(s->cur, TRUE);
		s->cur = NULL;
	}
	return 0;
}

static void onlyset_add(struct onlyset *o, struct rec *r)
{
	o->count++;
	if (o->recs->len < COMPARE_MAX_LISTED) {
		/* keep the summary, not the events */
		if (r->events) {
			g_ptr_array_free(r->events, TRUE);
			r->events = NULL;
		}
		g_ptr_array_add(o->recs, r);
	} else {
		rec_free(r);
	}
}

/* A step side @s has that the other side will never match. */
static void one_side(struct compare *c, enum side_id s, struct rec *r)
{
	const struct side *other = &c->s[!s];
	bool other_stopped = other->done &&
	                     (!other->ended || other->result != LOG_RUN_PASSED);

	if (other_stopped)
		onlyset_add(&c->notrun[!s], r);
	else
		onlyset_add(&c->only[s], r);
}

static GPtrArray *normalised(const struct rec *r, GHashTable *addrs)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	JsonParser *p = json_parser_new_immutable();

	for (guint i = 0; r->events && i < r->events->len; i++) {
		JsonNode *root;

		if (!json_parser_load_from_data(p, r->events->pdata[i], -1,
			    NULL))
			continue; /* logread parsed it once already */
		root = json_parser_get_root(p);
		if (root && JSON_NODE_HOLDS_OBJECT(root))
			g_ptr_array_add(out,
				compare_normalise(json_node_get_object(root),
					addrs));
	}
	g_object_unref(p);
	return out;
}

#define DIV_CONTEXT 3
#define DIV_SHOW    8

static struct divergence *diverge(const struct rec *a, const struct rec *b)
{
	struct divergence *d = g_new0(struct divergence, 1);
	GHashTable *addrs[2];
	GPtrArray *seq[2];
	guint i = 0, n;

	for (int s = 0; s < 2; s++) {
		addrs[s] = g_hash_table_new_full(g_str_hash, g_str_equal,
			g_free, g_free);
		seq[s] = normalised(s ? b : a, addrs[s]);
		d->len[s] = seq[s]->len;
	}
	n = MIN(seq[0]->len, seq[1]->len);
	while (i < n && !strcmp(seq[0]->pdata[i], seq[1]->pdata[i]))
		i++;
	d->at = i;
	d->identical = seq[0]->len == seq[1]->len && i == n;
	d->context = g_ptr_array_new_with_free_func(g_free);
	for (guint k = i > DIV_CONTEXT ? i - DIV_CONTEXT : 0; k < i; k++)
		g_ptr_array_add(d->context, g_strdup(seq[0]->pdata[k]));
	for (int s = 0; s < 2; s++) {
		d->ev[s] = g_ptr_array_new_with_free_func(g_free);
		for (guint k = i; k < seq[s]->len && k < i + DIV_SHOW; k++)
			g_ptr_array_add(d->ev[s], g_strdup(seq[s]->pdata[k]));
		g_ptr_array_free(seq[s], TRUE);
		g_hash_table_destroy(addrs[s]);
	}
	return d;
}

static void divergence_free(struct divergence *d)
{
	if (!d)
		return;
	g_ptr_array_free(d->context, TRUE);
	g_ptr_array_free(d->ev[0], TRUE);
	g_ptr_array_free(d->ev[1], TRUE);
	g_free(d);
}

static void pair_free(gpointer p)
{
	struct pair *pr = p;

	rec_free(pr->r[0]);
	rec_free(pr->r[1]);
	divergence_free(pr->div);
	g_free(pr);
}

static void keep_pair(GPtrArray *list, guint64 *count, struct rec *a,
	struct rec *b, bool with_divergence)
{
	struct pair *p;

	(*count)++;
	if (list->len >= COMPARE_MAX_LISTED) {
		rec_free(a);
		rec_free(b);
		return;
	}
	p = g_new0(struct pair, 1);
	if (with_divergence)
		p->div = diverge(a, b);
	for (int s = 0; s < 2; s++) {
		struct rec *r = s ? b : a;

		if (r->events) {
			g_ptr_array_free(r->events, TRUE);
			r->events = NULL;
		}
		p->r[s] = r;
	}
	g_ptr_array_add(list, p);
}

static void match(struct compare *c, struct rec *a, struct rec *b)
{
	if (passed(a) && failed(b)) {
		keep_pair(c->regressions, &c->n_regressions, a, b, true);
	} else if (failed(a) && passed(b)) {
		keep_pair(c->fixes, &c->n_fixes, a, b, false);
	} else if (a->result != b->result ||
		   g_strcmp0(a->verdict, b->verdict)) {
		keep_pair(c->changes, &c->n_changes, a, b, false);
	} else {
		if (passed(a))
			c->same_pass++;
		else
			c->same_fail++;
		rec_free(a);
		rec_free(b);
	}
}

static void pending_drop(struct side *s, struct rec *r)
{
	g_hash_table_remove(s->pending, r->key);
	g_queue_remove(&s->order, r);
}

static void arrive(struct compare *c, enum side_id id, struct rec *r)
{
	struct side *me = &c->s[id], *other = &c->s[!id];
	struct rec *partner;

	timing_add(c, id, r);
	partner = g_hash_table_lookup(other->pending, r->key);
	if (partner) {
		pending_drop(other, partner);
		if (id == BASE)
			match(c, r, partner);
		else
			match(c, partner, r);
		return;
	}
	if (other->done || g_hash_table_contains(me->pending, r->key)) {
		/* a repeated key cannot match twice; count it, move on */
		one_side(c, id, r);
		return;
	}
	g_hash_table_insert(me->pending, r->key, r);
	g_queue_push_tail(&me->order, r);
	if (g_queue_get_length(&me->order) > COMPARE_WINDOW) {
		struct rec *old = g_queue_peek_head(&me->order);

		pending_drop(me, old);
		one_side(c, id, old);
	}
}

static void flush_pending(struct compare *c, enum side_id id)
{
	struct side *s = &c->s[id];
	struct rec *r;

	while ((r = g_queue_pop_head(&s->order))) {
		g_hash_table_remove(s->pending, r->key);
		one_side(c, id, r);
	}
}

static void side_clear(struct side *s)
{
	struct rec *r;

	logread_free(s->lr);
	while ((r = g_queue_pop_head(&s->order))) {
		g_hash_table_remove(s->pending, r->key);
		rec_free(r);
	}
	if (s->pending)
		g_hash_table_destroy(s->pending);
	if (s->cur)
		g_ptr_array_free(s->cur, TRUE);
	g_free(s->path);
	g_free(s->scenario);
	g_free(s->sha);
	g_free(s->label);
	g_free(s->verdict);
	g_free(s->end_central);
	g_free(s->last_name);
}

void compare_free(struct compare *c)
{
	if (!c)
		return;
	for (int s = 0; s < 2; s++) {
		side_clear(&c->s[s]);
		g_ptr_array_free(c->only[s].recs, TRUE);
		g_ptr_array_free(c->notrun[s].recs, TRUE);
	}
	g_ptr_array_free(c->regressions, TRUE);
	g_ptr_array_free(c->fixes, TRUE);
	g_ptr_array_free(c->changes, TRUE);
	g_hash_table_destroy(c->timing);
	g_ptr_array_free(c->timing_order, TRUE);
	g_free(c);
}

static bool timing_flag(const struct compare *c, gint64 a, gint64 b)
{
	return a >= 0 && b >= 0 && (double)b >= c->opt.threshold * (double)a &&
	       b - a >= c->opt.min_delta_ms;
}

static void count_slower(struct compare *c)
{
	for (guint i = 0; i < c->timing_order->len; i++) {
		struct timing *t = g_hash_table_lookup(c->timing,
			c->timing_order->pdata[i]);

		if (!msstats_count(t->s[BASE]) || !msstats_count(t->s[NEW]))
			continue;
		if (timing_flag(c, msstats_median(t->s[BASE]),
			    msstats_median(t->s[NEW])) ||
			timing_flag(c, msstats_max(t->s[BASE]),
				msstats_max(t->s[NEW])))
			c->slower++;
	}
}

struct compare *compare_logs(const char *base, const char *new_path,
	const struct compare_options *o, GError **error)
{
	struct compare *c = g_new0(struct compare, 1);
	const char *paths[2] = { base, new_path };

	if (o)
		c->opt = *o;
	else
		compare_options_init(&c->opt);
	c->regressions = g_ptr_array_new_with_free_func(pair_free);
	c->fixes = g_ptr_array_new_with_free_func(pair_free);
	c->changes = g_ptr_array_new_with_free_func(pair_free);
	c->timing = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
		timing_free);
	c->timing_order = g_ptr_array_new();
	for (int s = 0; s < 2; s++) {
		c->only[s].recs =
			g_ptr_array_new_with_free_func((GDestroyNotify)rec_free);
		c->notrun[s].recs =
			g_ptr_array_new_with_free_func((GDestroyNotify)rec_free);
		c->s[s].pending = g_hash_table_new(g_str_hash, g_str_equal);
		g_queue_init(&c->s[s].order);
		c->s[s].path = g_strdup(paths[s]);
	}
	if (!strcmp(base, "-") && !strcmp(new_path, "-")) {
		g_set_error(error, BCERROR, BCERROR_BAD_INPUT,
			"only one of the two logs can be standard input");
		compare_free(c);
		return NULL;
	}
	for (int s = 0; s < 2; s++) {
		c->s[s].lr = logread_open(paths[s], error);
		if (!c->s[s].lr) {
			compare_free(c);
			return NULL;
		}
		logread_set_skim(c->s[s].lr, true);
	}
	/* in step: one step from each side in turn */
	while (!c->s[BASE].done || !c->s[NEW].done) {
		for (int s = 0; s < 2; s++) {
			struct rec *r;
			int rc;

			if (c->s[s].done)
				continue;
			rc = side_next(&c->s[s], &r, error);
			if (rc < 0) {
				compare_free(c);
				return NULL;
			}
			if (rc == 0) {
				/* the other side's waiting steps never meet it */
				flush_pending(c, (enum side_id) !s);
				continue;
			}
			arrive(c, (enum side_id)s, r);
		}
	}
	flush_pending(c, BASE);
	flush_pending(c, NEW);
	count_slower(c);
	return c;
}

bool compare_regressed(const struct compare *c)
{
	return c->n_regressions > 0;
}

unsigned compare_slower(const struct compare *c)
{
	return c->slower;
}

/* ---- output ---- */

static const char *sgr(bool colour, const char *code)
{
	return colour ? code : "";
}

static char *step_label(const struct rec *r)
{
	/* one central's steps read as they always did */
	bool who = strcmp(r->central, LOG_CENTRAL_DEFAULT) != 0;

	return g_strdup_printf("line %-4" G_GINT64_FORMAT " %s%s%s%s%s%s",
		r->line, r->name, who ? " as " : "", who ? r->central : "",
		*r->iter ? " [" : "", r->iter, *r->iter ? "]" : "");
}

static char *outcome(const struct rec *r)
{
	if (passed(r) || r->result == LOG_STEP_INTERRUPTED)
		return g_strdup(log_step_result_to_str(r->result));
	return g_strdup_printf("%s%s%s%s%s",
		r->result == LOG_STEP_ERROR ? "error: " : "",
		r->verdict ? r->verdict : "failed", r->confidence ? " (" : "",
		r->confidence ? r->confidence : "", r->confidence ? ")" : "");
}

static void print_side_head(const struct compare *c, FILE *out, enum side_id id,
	bool colour)
{
	const struct side *s = &c->s[id];

	fprintf(out, "  %s %s%s%s  label %s  \"%s\" sha256 %.12s  ",
		id == BASE ? "BASE" : "NEW ", sgr(colour, "\033[1m"), s->path,
		sgr(colour, "\033[0m"), s->label ? s->label : "(none)",
		s->scenario ? s->scenario : "?", s->sha ? s->sha : "?");
	if (!s->ended)
		fprintf(out,
			"INCOMPLETE after %" G_GUINT64_FORMAT
			" steps (no run-end)\n",
			s->steps);
	else if (s->result == LOG_RUN_PASSED)
		fprintf(out,
			"passed %" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT "\n",
			s->steps, s->steps_total);
	else
		fprintf(out, "%s at line %" G_GINT64_FORMAT "%s%s: %s\n",
			log_run_result_to_str(s->result), s->end_line,
			s->end_central ? " as " : "",
			s->end_central ? s->end_central : "",
			s->verdict ? s->verdict : "-");
}

/* Wrap @text into lines of at most @w characters, at a space if one is near. */
static GPtrArray *wrap(const char *text, unsigned w)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const char *p = text;

	if (w < 8)
		w = 8;
	do {
		const char *end = p, *space = NULL;
		unsigned n = 0;

		while (*end && n < w) {
			if (*end == ' ' && n >= w / 2)
				space = end;
			end = g_utf8_next_char(end);
			n++;
		}
		if (*end && *end != ' ' && space)
			end = space;
		g_ptr_array_add(lines, g_strndup(p, (gsize)(end - p)));
		p = end;
		if (*p == ' ')
			p++;
	} while (*p);
	return lines;
}

static void print_cols(FILE *out, const char *mark, const char *l,
	const char *r, unsigned colw)
{
	GPtrArray *a = wrap(l ? l : "", colw);
	GPtrArray *b = wrap(r ? r : "", colw);
	guint n = MAX(a->len, b->len);

	for (guint i = 0; i < n; i++) {
		const char *x = i < a->len ? a->pdata[i] : "";
		glong pad = (glong)colw - g_utf8_strlen(x, -1);

		fprintf(out, "      %s %s%*s | %s\n", i ? " " : mark, x,
			(int)(pad > 0 ? pad : 0), "",
			i < b->len ? (const char *)b->pdata[i] : "");
	}
	g_ptr_array_free(a, TRUE);
	g_ptr_array_free(b, TRUE);
}

/* The divergence's @i-th event of @side from its first difference on:
 * "(end of step)" just past its last, "" beyond. */
static const char *div_event(const struct divergence *d, enum side_id side,
	guint i)
{
	if (i < d->ev[side]->len)
		return d->ev[side]->pdata[i];
	return i == d->ev[side]->len && d->at + i == d->len[side] ?
	               "(end of step)" :
	               "";
}

static void print_divergence(const struct divergence *d, FILE *out,
	unsigned width, bool colour)
{
	unsigned colw = width > 20 ? (width - 12) / 2 : 40;
	guint n = MAX(d->ev[0]->len, d->ev[1]->len);

	if (d->identical) {
		fprintf(out,
			"    the step's %u events are the same in both "
			"runs (normalised); only the outcome differs\n",
			d->len[0]);
		return;
	}
	fprintf(out,
		"    first divergence at event %u of the step "
		"(BASE has %u, NEW %u):\n",
		d->at + 1, d->len[0], d->len[1]);
	print_cols(out, " ", "BASE", "NEW", colw);
	for (guint i = 0; i < d->context->len; i++)
		print_cols(out, " ", d->context->pdata[i], d->context->pdata[i],
			colw);
	for (guint i = 0; i < n; i++) {
		const char *a = div_event(d, BASE, i);
		const char *b = div_event(d, NEW, i);

		if (i == 0)
			fputs(sgr(colour, "\033[1m"), out);
		print_cols(out, i == 0 ? ">" : " ", a, b, colw);
		if (i == 0)
			fputs(sgr(colour, "\033[0m"), out);
	}
}

static void print_section(FILE *out, bool colour, const char *title, guint64 n)
{
	fprintf(out, "\n%s%s (%" G_GUINT64_FORMAT ")%s\n",
		sgr(colour, "\033[1m"), title, n, sgr(colour, "\033[0m"));
}

static void print_pairs(FILE *out, const GPtrArray *list, guint64 n,
	const char *verb, bool colour, unsigned width, bool details)
{
	for (guint i = 0; i < list->len; i++) {
		const struct pair *p = list->pdata[i];
		char *l = step_label(p->r[0]);
		char *a = outcome(p->r[0]), *b = outcome(p->r[1]);

		fprintf(out,
			"  %-28s %s%s -> %s%s   %" G_GINT64_FORMAT
			" ms -> %" G_GINT64_FORMAT " ms\n",
			l, a, sgr(colour && details, "\033[1;31m"), b,
			sgr(colour && details, "\033[0m"), p->r[0]->elapsed,
			p->r[1]->elapsed);
		if (details) {
			const struct rec *nr = p->r[1];
			enum verdict v;

			if (nr->message)
				fprintf(out, "    %s\n", nr->message);
			if (nr->verdict && verdict_from_str(nr->verdict, &v))
				fprintf(out, "    %s\n", verdict_explain(v));
			if (nr->evidence)
				report_print_evidence(out,
					json_node_get_object(nr->evidence),
					"    ");
			if (p->div)
				print_divergence(p->div, out, width, colour);
		}
		g_free(l);
		g_free(a);
		g_free(b);
	}
	if (n > list->len)
		fprintf(out, "  ... and %" G_GUINT64_FORMAT " more %s\n",
			n - list->len, verb);
}

static void print_onlyset(FILE *out, const struct onlyset *o, const char *what)
{
	if (!o->count)
		return;
	fprintf(out, "  %" G_GUINT64_FORMAT " %s\n", o->count, what);
	for (guint i = 0; i < o->recs->len && i < 10; i++) {
		char *l = step_label(o->recs->pdata[i]);
		char *r = outcome(o->recs->pdata[i]);

		fprintf(out, "    %-28s %s\n", l, r);
		g_free(l);
		g_free(r);
	}
	if (o->count > MIN(o->recs->len, 10u))
		fprintf(out, "    ...\n");
}

static void print_timing(const struct compare *c, FILE *out, bool colour)
{
	fprintf(out, "  %-16s %18s %18s\n", "step", "BASE median/worst",
		"NEW median/worst");
	for (guint i = 0; i < c->timing_order->len; i++) {
		struct timing *t = g_hash_table_lookup(c->timing,
			c->timing_order->pdata[i]);
		struct msstats *a = t->s[BASE], *b = t->s[NEW];
		char ba[40], nb[40];
		bool med, worst;

		if (!msstats_count(a) || !msstats_count(b))
			continue;
		med = timing_flag(c, msstats_median(a), msstats_median(b));
		worst = timing_flag(c, msstats_max(a), msstats_max(b));
		g_snprintf(ba, sizeof(ba),
			"%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " ms",
			msstats_median(a), msstats_max(a));
		g_snprintf(nb, sizeof(nb),
			"%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " ms",
			msstats_median(b), msstats_max(b));
		fprintf(out, "  %-16s %18s %18s", t->name, ba, nb);
		if (med || worst)
			fprintf(out, "   %sSLOWER%s (%s x%.1f)",
				sgr(colour, "\033[1;33m"),
				sgr(colour, "\033[0m"),
				med ? "median" : "worst",
				med ? (double)msstats_median(b) /
						MAX(1, msstats_median(a)) :
				      (double)msstats_max(b) /
						MAX(1, msstats_max(a)));
		fprintf(out, "\n");
	}
}

void compare_print(const struct compare *c, FILE *out, bool colour,
	unsigned width)
{
	const struct side *a = &c->s[BASE], *b = &c->s[NEW];

	if (!width)
		width = 160;
	fprintf(out, "%sbondcheck compare%s\n", sgr(colour, "\033[1m"),
		sgr(colour, "\033[0m"));
	print_side_head(c, out, BASE, colour);
	print_side_head(c, out, NEW, colour);
	if (g_strcmp0(a->sha, b->sha))
		fprintf(out,
			"  %sthe scenario changed%s between the runs "
			"(sha256 differs): steps align by scenario line, "
			"so moved lines show as steps in one run only\n",
			sgr(colour, "\033[1;33m"), sgr(colour, "\033[0m"));

	print_section(out, colour, "REGRESSIONS: passed in BASE, failed in NEW",
		c->n_regressions);
	print_pairs(out, c->regressions, c->n_regressions, "regressions",
		colour, width, true);
	print_section(out, colour, "FIXES: failed in BASE, passed in NEW",
		c->n_fixes);
	print_pairs(out, c->fixes, c->n_fixes, "fixes", colour, width, false);
	print_section(out, colour, "VERDICT CHANGES", c->n_changes);
	print_pairs(out, c->changes, c->n_changes, "changes", colour, width,
		false);
	print_section(out, colour, "STEPS IN ONE RUN ONLY",
		c->only[BASE].count + c->only[NEW].count +
			c->notrun[BASE].count + c->notrun[NEW].count);
	print_onlyset(out, &c->only[BASE], "only in BASE");
	print_onlyset(out, &c->only[NEW], "only in NEW");
	if (c->notrun[NEW].count)
		fprintf(out,
			"  %" G_GUINT64_FORMAT " not run in NEW (it "
			"stopped at line %" G_GINT64_FORMAT ")\n",
			c->notrun[NEW].count, b->last_line);
	if (c->notrun[BASE].count)
		fprintf(out,
			"  %" G_GUINT64_FORMAT " not run in BASE (it "
			"stopped at line %" G_GINT64_FORMAT ")\n",
			c->notrun[BASE].count, a->last_line);
	print_section(out, colour, "TIMING of passing steps",
		(guint64)c->slower);
	print_timing(c, out, colour);

	fprintf(out,
		"\n%s%s%s: %" G_GUINT64_FORMAT
		" regression%s, %" G_GUINT64_FORMAT " fix%s, %" G_GUINT64_FORMAT
		" verdict change%s, %u slower step%s; %" G_GUINT64_FORMAT
		" steps passed in both\n",
		sgr(colour, c->n_regressions ? "\033[1;31m" : "\033[1;32m"),
		c->n_regressions ? "REGRESSED" : "NO REGRESSION",
		sgr(colour, "\033[0m"), c->n_regressions,
		c->n_regressions == 1 ? "" : "s", c->n_fixes,
		c->n_fixes == 1 ? "" : "es", c->n_changes,
		c->n_changes == 1 ? "" : "s", c->slower,
		c->slower == 1 ? "" : "s", c->same_pass);
}

/* ---- HTML ---- */

static void html_side(FILE *f, const struct compare *c, enum side_id id)
{
	const struct side *s = &c->s[id];
	const char *name = id == BASE ? "BASE" : "NEW";
	char *result;

	if (!s->ended)
		result = g_strdup_printf("INCOMPLETE after %" G_GUINT64_FORMAT
					 " steps (no run-end)",
			s->steps);
	else if (s->result == LOG_RUN_PASSED)
		result = g_strdup_printf("passed %" G_GUINT64_FORMAT
					 "/%" G_GINT64_FORMAT,
			s->steps, s->steps_total);
	else
		result = g_strdup_printf("%s at line %" G_GINT64_FORMAT "%s%s: "
					 "%s",
			log_run_result_to_str(s->result), s->end_line,
			s->end_central ? " as " : "",
			s->end_central ? s->end_central : "",
			s->verdict ? s->verdict : "-");
	fprintf(f, "<div id=\"side-%s\"><h2>%s</h2><table>\n",
		id == BASE ? "base" : "new", name);
	fputs("<tr><th>log</th><td class=\"file\">", f);
	html_put(f, s->path);
	fputs("</td></tr>\n<tr><th>label</th><td class=\"label\">", f);
	html_put(f, s->label ? s->label : "(none)");
	fputs("</td></tr>\n<tr><th>scenario</th><td>", f);
	html_put(f, s->scenario ? s->scenario : "?");
	fputs("</td></tr>\n<tr><th>sha256</th><td>", f);
	html_put(f, s->sha ? s->sha : "?");
	fputs("</td></tr>\n<tr><th>result</th><td class=\"result\">", f);
	html_put(f, result);
	fputs("</td></tr>\n</table></div>\n", f);
	g_free(result);
}

static void html_step_cell(FILE *f, const struct rec *r)
{
	char *l = step_label(r);

	html_put(f, l);
	g_free(l);
}

static void html_div_row(FILE *f, const char *cls, const char *mark,
	const char *a, const char *b)
{
	fprintf(f, "<tr%s%s%s><td>%s</td><td class=\"ev\">",
		cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "", mark);
	html_put(f, a);
	fputs("</td><td class=\"ev\">", f);
	html_put(f, b);
	fputs("</td></tr>\n", f);
}

static void html_divergence(FILE *f, const struct divergence *d)
{
	guint n = MAX(d->ev[0]->len, d->ev[1]->len);

	if (d->identical) {
		fprintf(f,
			"<p class=\"divergence-none\">the step's %u events "
			"are the same in both runs (normalised); only the "
			"outcome differs</p>\n",
			d->len[0]);
		return;
	}
	fprintf(f,
		"<p>first divergence at event <b class=\"divergence-at\">"
		"%u</b> of the step (BASE has %u, NEW %u):</p>\n"
		"<table class=\"divergence\"><tr><th></th><th>BASE</th>"
		"<th>NEW</th></tr>\n",
		d->at + 1, d->len[0], d->len[1]);
	for (guint i = 0; i < d->context->len; i++)
		html_div_row(f, "context", "", d->context->pdata[i],
			d->context->pdata[i]);
	for (guint i = 0; i < n; i++) {
		const char *a = div_event(d, BASE, i);
		const char *b = div_event(d, NEW, i);

		html_div_row(f, i == 0 ? "divergence" : "after",
			i == 0 ? "&gt;" : "", a, b);
	}
	fputs("</table>\n", f);
}

static void html_pairs(FILE *f, const GPtrArray *list, guint64 n,
	const char *id, const char *title, bool details)
{
	fprintf(f, "<h2 id=\"%s\">%s (%" G_GUINT64_FORMAT ")</h2>\n", id, title,
		n);
	if (!list->len)
		return;
	fprintf(f,
		"<table class=\"pairs\" id=\"%s-table\"><tr><th>step</th>"
		"<th>BASE</th><th>NEW</th></tr>\n",
		id);
	for (guint i = 0; i < list->len; i++) {
		const struct pair *p = list->pdata[i];
		char *a = outcome(p->r[0]), *b = outcome(p->r[1]);

		fprintf(f,
			"<tr class=\"pair\" data-line=\"%" G_GINT64_FORMAT
			"\"><td>",
			p->r[0]->line);
		html_step_cell(f, p->r[0]);
		fputs("</td><td class=\"base\">", f);
		html_put(f, a);
		fprintf(f,
			" <span class=\"muted\">%" G_GINT64_FORMAT " ms"
			"</span></td><td class=\"new\">",
			p->r[0]->elapsed);
		html_put(f, b);
		fprintf(f,
			" <span class=\"muted\">%" G_GINT64_FORMAT " ms"
			"</span></td></tr>\n",
			p->r[1]->elapsed);
		g_free(a);
		g_free(b);
	}
	fputs("</table>\n", f);
	for (guint i = 0; details && i < list->len; i++) {
		const struct pair *p = list->pdata[i];
		const struct rec *nr = p->r[1];
		enum verdict v;

		fprintf(f,
			"<section class=\"regression\" id=\"%s-%u\" "
			"data-line=\"%" G_GINT64_FORMAT "\"><h3>",
			id, i + 1, nr->line);
		html_step_cell(f, nr);
		fputs(": ", f);
		{
			char *o = outcome(nr);

			html_put(f, o);
			g_free(o);
		}
		fputs("</h3>\n", f);
		if (nr->message) {
			fputs("<p class=\"message\">", f);
			html_put(f, nr->message);
			fputs("</p>\n", f);
		}
		if (nr->verdict && verdict_from_str(nr->verdict, &v)) {
			fputs("<p class=\"explain\">", f);
			html_put(f, verdict_explain(v));
			fputs("</p>\n", f);
		}
		if (nr->evidence)
			report_html_evidence(f,
				json_node_get_object(nr->evidence));
		if (p->div)
			html_divergence(f, p->div);
		fputs("</section>\n", f);
	}
	if (n > list->len)
		fprintf(f, "<p>... and %" G_GUINT64_FORMAT " more</p>\n",
			n - list->len);
}

static void html_onlyset(FILE *f, const struct onlyset *o, const char *id,
	const char *what)
{
	if (!o->count)
		return;
	fprintf(f, "<p id=\"%s\">%" G_GUINT64_FORMAT " %s</p>\n<ul>\n", id,
		o->count, what);
	for (guint i = 0; i < o->recs->len; i++) {
		char *r = outcome(o->recs->pdata[i]);

		fputs("<li>", f);
		html_step_cell(f, o->recs->pdata[i]);
		fputs(": ", f);
		html_put(f, r);
		fputs("</li>\n", f);
		g_free(r);
	}
	if (o->count > o->recs->len)
		fputs("<li>...</li>\n", f);
	fputs("</ul>\n", f);
}

static void html_timing(FILE *f, const struct compare *c)
{
	fprintf(f,
		"<h2 id=\"timing\">Timing of passing steps (%u slower)"
		"</h2>\n<table id=\"timing-table\"><tr><th>step</th>"
		"<th>BASE median/worst</th><th>NEW median/worst</th>"
		"<th></th></tr>\n",
		c->slower);
	for (guint i = 0; i < c->timing_order->len; i++) {
		struct timing *t = g_hash_table_lookup(c->timing,
			c->timing_order->pdata[i]);
		struct msstats *a = t->s[BASE], *b = t->s[NEW];
		bool slow;

		if (!msstats_count(a) || !msstats_count(b))
			continue;
		slow = timing_flag(c, msstats_median(a), msstats_median(b)) ||
		       timing_flag(c, msstats_max(a), msstats_max(b));
		fprintf(f, "<tr%s><td>", slow ? " class=\"slower\"" : "");
		html_put(f, t->name);
		fprintf(f,
			"</td><td>%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
			" ms</td><td>%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
			" ms</td><td>%s</td></tr>\n",
			msstats_median(a), msstats_max(a), msstats_median(b),
			msstats_max(b), slow ? "SLOWER" : "");
	}
	fputs("</table>\n", f);
}

bool compare_html(const struct compare *c, const char *path, GError **error)
{
	struct html_file *h = html_file_new(path, error);
	const struct side *a = &c->s[BASE], *b = &c->s[NEW];
	FILE *f;
	char *title;

	if (!h)
		return false;
	f = html_file_stream(h);
	title = g_strdup_printf("bondcheck compare: %s vs %s",
		a->label ? a->label : a->path, b->label ? b->label : b->path);
	html_begin(f, title);
	fputs("<h1 id=\"title\">", f);
	html_put(f, title);
	fprintf(f,
		"</h1>\n<p><span id=\"status\" class=\"status %s\">%s"
		"</span> <span id=\"status-text\">%" G_GUINT64_FORMAT
		" regression%s, %" G_GUINT64_FORMAT " fix%s, %" G_GUINT64_FORMAT
		" verdict change%s, %u slower step%s; %" G_GUINT64_FORMAT
		" steps passed in both</span></p>\n",
		c->n_regressions ? "failed" : "passed",
		c->n_regressions ? "REGRESSED" : "NO REGRESSION",
		c->n_regressions, c->n_regressions == 1 ? "" : "s", c->n_fixes,
		c->n_fixes == 1 ? "" : "es", c->n_changes,
		c->n_changes == 1 ? "" : "s", c->slower,
		c->slower == 1 ? "" : "s", c->same_pass);
	fputs("<div class=\"sides\" id=\"sides\">\n", f);
	html_side(f, c, BASE);
	html_side(f, c, NEW);
	fputs("</div>\n", f);
	if (g_strcmp0(a->sha, b->sha))
		fputs("<p id=\"scenario-changed\"><b>the scenario changed</b> "
		      "between the runs (sha256 differs): steps align by "
		      "scenario line, so moved lines show as steps in one run "
		      "only</p>\n",
			f);
	html_pairs(f, c->regressions, c->n_regressions, "regressions",
		"Regressions: passed in BASE, failed in NEW", true);
	html_pairs(f, c->fixes, c->n_fixes, "fixes",
		"Fixes: failed in BASE, passed in NEW", false);
	html_pairs(f, c->changes, c->n_changes, "verdict-changes",
		"Verdict changes", false);
	fprintf(f,
		"<h2 id=\"one-run-only\">Steps in one run only (%" G_GUINT64_FORMAT
		")</h2>\n",
		c->only[BASE].count + c->only[NEW].count +
			c->notrun[BASE].count + c->notrun[NEW].count);
	html_onlyset(f, &c->only[BASE], "only-in-base", "only in BASE");
	html_onlyset(f, &c->only[NEW], "only-in-new", "only in NEW");
	if (c->notrun[NEW].count)
		fprintf(f,
			"<p id=\"not-run-in-new\">%" G_GUINT64_FORMAT
			" not run in NEW (it stopped at line %" G_GINT64_FORMAT
			")</p>\n",
			c->notrun[NEW].count, b->last_line);
	if (c->notrun[BASE].count)
		fprintf(f,
			"<p id=\"not-run-in-base\">%" G_GUINT64_FORMAT
			" not run in BASE (it stopped at line %" G_GINT64_FORMAT
			")</p>\n",
			c->notrun[BASE].count, a->last_line);
	html_timing(f, c);
	fputs("<p class=\"muted\">bondcheck compare</p>\n", f);
	html_end(f);
	g_free(title);
	return html_file_commit(h, error);
}

/* ---- JSON ---- */

static void rec_json(JsonBuilder *b, const struct rec *r, bool full)
{
	json_builder_begin_object(b);
	log_add_str(b, LOG_KEY_RESULT, log_step_result_to_str(r->result));
	log_add_str(b, LOG_KEY_VERDICT, r->verdict);
	log_add_str(b, LOG_KEY_CONFIDENCE, r->confidence);
	log_add_int(b, LOG_KEY_ELAPSED_MS, r->elapsed);
	if (full) {
		log_add_str(b, LOG_KEY_MESSAGE, r->message);
		json_builder_set_member_name(b, LOG_KEY_EVIDENCE);
		if (r->evidence)
			json_builder_add_value(b, json_node_copy(r->evidence));
		else
			json_builder_add_null_value(b);
	}
	json_builder_end_object(b);
}

static void step_key_json(JsonBuilder *b, const struct rec *r)
{
	log_add_step_place(b, r->line, r->iter, r->name);
	log_add_str(b, LOG_KEY_CENTRAL, r->central);
}

static void pairs_json(JsonBuilder *b, const char *k, const GPtrArray *list,
	guint64 n)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		const struct pair *p = list->pdata[i];

		json_builder_begin_object(b);
		step_key_json(b, p->r[0]);
		json_builder_set_member_name(b, "base");
		rec_json(b, p->r[0], false);
		json_builder_set_member_name(b, "new");
		rec_json(b, p->r[1], true);
		if (p->div) {
			json_builder_set_member_name(b, "divergence");
			json_builder_begin_object(b);
			log_add_int(b, "at", p->div->at);
			json_builder_set_member_name(b, "identical");
			json_builder_add_boolean_value(b, p->div->identical);
			log_add_int(b, "base_events", p->div->len[0]);
			log_add_int(b, "new_events", p->div->len[1]);
			log_add_strv(b, "context", p->div->context);
			log_add_strv(b, "base", p->div->ev[0]);
			log_add_strv(b, "new", p->div->ev[1]);
			json_builder_end_object(b);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	{
		char *ck = g_strconcat(k, "_count", NULL);

		log_add_int(b, ck, (gint64)n);
		g_free(ck);
	}
}

static void onlyset_json(JsonBuilder *b, const char *k, const struct onlyset *o)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_object(b);
	log_add_int(b, "count", (gint64)o->count);
	json_builder_set_member_name(b, "steps");
	json_builder_begin_array(b);
	for (guint i = 0; i < o->recs->len; i++) {
		const struct rec *r = o->recs->pdata[i];

		json_builder_begin_object(b);
		step_key_json(b, r);
		log_add_str(b, LOG_KEY_RESULT,
			log_step_result_to_str(r->result));
		log_add_str(b, LOG_KEY_VERDICT, r->verdict);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void side_json(JsonBuilder *b, const char *k, const struct side *s)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_object(b);
	log_add_str(b, "file", s->path);
	log_add_str(b, "label", s->label);
	log_add_str(b, "scenario", s->scenario);
	log_add_str(b, "sha256", s->sha);
	log_add_str(b, LOG_KEY_RESULT,
		s->ended ? log_run_result_to_str(s->result) : NULL);
	log_add_str(b, "verdict", s->verdict);
	log_add_int(b, "steps", (gint64)s->steps);
	log_add_int(b, "steps_total", s->steps_total);
	json_builder_end_object(b);
}

static void stats_json(JsonBuilder *b, const char *k, struct msstats *s)
{
	json_builder_set_member_name(b, k);
	json_builder_begin_object(b);
	log_add_int(b, "n", (gint64)msstats_count(s));
	log_add_int(b, "median_ms", msstats_median(s));
	log_add_int(b, "worst_ms", msstats_max(s));
	json_builder_end_object(b);
}

JsonNode *compare_to_json(const struct compare *c)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;

	json_builder_begin_object(b);
	log_add_int(b, "schema", 1);
	side_json(b, "base", &c->s[BASE]);
	side_json(b, "new", &c->s[NEW]);
	json_builder_set_member_name(b, "scenario_changed");
	json_builder_add_boolean_value(b,
		g_strcmp0(c->s[BASE].sha, c->s[NEW].sha) != 0);
	pairs_json(b, "regressions", c->regressions, c->n_regressions);
	pairs_json(b, "fixes", c->fixes, c->n_fixes);
	pairs_json(b, "verdict_changes", c->changes, c->n_changes);
	onlyset_json(b, "only_in_base", &c->only[BASE]);
	onlyset_json(b, "only_in_new", &c->only[NEW]);
	onlyset_json(b, "not_run_in_base", &c->notrun[BASE]);
	onlyset_json(b, "not_run_in_new", &c->notrun[NEW]);
	log_add_int(b, "passed_in_both", (gint64)c->same_pass);
	log_add_int(b, "failed_alike", (gint64)c->same_fail);
	json_builder_set_member_name(b, "timing");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "threshold");
	json_builder_add_double_value(b, c->opt.threshold);
	log_add_int(b, "min_delta_ms", c->opt.min_delta_ms);
	json_builder_set_member_name(b, "steps");
	json_builder_begin_array(b);
	for (guint i = 0; i < c->timing_order->len; i++) {
		struct timing *t = g_hash_table_lookup(c->timing,
			c->timing_order->pdata[i]);
		bool med = timing_flag(c, msstats_median(t->s[BASE]),
			msstats_median(t->s[NEW]));
		bool worst = timing_flag(c, msstats_max(t->s[BASE]),
			msstats_max(t->s[NEW]));

		json_builder_begin_object(b);
		log_add_str(b, "name", t->name);
		stats_json(b, "base", t->s[BASE]);
		stats_json(b, "new", t->s[NEW]);
		json_builder_set_member_name(b, "slower");
		json_builder_add_boolean_value(b,
			msstats_count(t->s[BASE]) && msstats_count(t->s[NEW]) &&
				(med || worst));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "regressed");
	json_builder_add_boolean_value(b, compare_regressed(c));
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	return root;
}
