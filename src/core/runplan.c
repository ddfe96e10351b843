/* SPDX-License-Identifier: MIT */
/*
 * runplan.c — the run's plan: written from a parsed scenario, read back
 * from a log's run-start and walked in run order the way the engine walks
 * the scenario (engine.c's fetch()). Owns a flat copy of the plan's tree (a
 * node per step or block, in file order) and the walk's frames; never the
 * expanded steps. A plan from a log is outside input: anything that is not
 * what runplan_write() writes makes it NULL, never a crash.
 */
#include <string.h>

#include "bondcheck/logschema.h"
#include "bondcheck/runplan.h"

/* a plan with more nodes than a scenario can have is not one */
#define MAX_NODES (SCN_MAX_SIZE / 2)
#define MAX_NAME  64

/* ---- writing ------------------------------------------------------------ */

static const char *central_name(const struct scenario *scn, unsigned i)
{
	return i < scn->centrals->len ?
	               scn_central_label(g_ptr_array_index(scn->centrals, i)) :
	               LOG_CENTRAL_DEFAULT;
}

/* depth is bounded by SCN_MAX_DEPTH (the parser's limit) */
static void write_steps(JsonBuilder *b, const struct scenario *scn,
	const GPtrArray *steps)
{
	for (guint i = 0; i < steps->len; i++) {
		const struct scn_step *s = g_ptr_array_index(steps, i);

		json_builder_begin_object(b);
		log_add_int(b, LOG_KEY_LINE, s->line);
		if (s->children && s->each) {
			log_begin_array(b, LOG_KEY_EACH);
			for (guint k = 0; k < s->each->len; k++)
				json_builder_add_string_value(b,
					central_name(scn,
						g_array_index(s->each, unsigned,
							k)));
			json_builder_end_array(b);
		} else if (s->children) {
			log_add_int(b, LOG_KEY_REPEAT, s->count);
		} else {
			log_add_str(b, LOG_KEY_STEP,
				scn_step_type_to_str(s->type));
			if (s->central_given)
				log_add_str(b, LOG_KEY_AS,
					central_name(scn, s->central));
		}
		if (s->children) {
			log_begin_array(b, LOG_KEY_STEPS);
			write_steps(b, scn, s->children);
			json_builder_end_array(b);
		}
		json_builder_end_object(b);
	}
}

void runplan_write(JsonBuilder *b, const char *key, const struct scenario *scn)
{
	log_begin_array(b, key);
	if (scn)
		write_steps(b, scn, scn->steps);
	json_builder_end_array(b);
}

/* ---- reading ------------------------------------------------------------ */

struct node {
	gint64 line;
	char *name;     /* a step's; NULL: a block */
	char *as;       /* as=NAME, or NULL */
	unsigned count; /* a block's iterations */
	char **each;    /* each-central: a central per iteration */
	guint end;      /* the index after this node's subtree */
	int parent;     /* -1: top level */
	unsigned ordinal;
	guint64 total; /* steps it runs, repeats expanded */
};

struct frame {
	int block; /* -1: the top level */
	guint pos; /* the next node of this level */
	guint end;
	unsigned iter;
};

struct walk {
	struct frame stack[SCN_MAX_DEPTH + 2];
	int depth;
};

struct runplan {
	GArray *nodes;       /* struct node, in file order */
	GHashTable *by_line; /* line -> index + 1 of its step */
	char *first_central;
	struct walk w;
	char iteration[(SCN_MAX_DEPTH + 1) * 12];
	guint64 total;
};

static void node_clear(void *data)
{
	struct node *n = data;

	g_free(n->name);
	g_free(n->as);
	g_strfreev(n->each);
}

static const char *str_member(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
		json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static bool int_member(JsonObject *o, const char *key, gint64 min, gint64 max,
	gint64 *v)
{
	JsonNode *n = json_object_get_member(o, key);

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
		json_node_get_value_type(n) != G_TYPE_INT64)
		return false;
	*v = json_node_get_int(n);
	return *v >= min && *v <= max;
}

static bool short_name(const char *s)
{
	return s && *s && strlen(s) <= MAX_NAME && g_utf8_validate(s, -1, NULL);
}

/* One node from @o; false if it is not a plan's node. */
static bool read_node(JsonObject *o, int parent, struct node *n)
{
	JsonNode *each = json_object_get_member(o, LOG_KEY_EACH);
	gint64 count = 0;

	memset(n, 0, sizeof(*n));
	n->parent = parent;
	if (!int_member(o, LOG_KEY_LINE, 1, G_MAXINT, &n->line))
		return false;
	if (each) {
		JsonArray *a = JSON_NODE_HOLDS_ARRAY(each) ?
		                       json_node_get_array(each) :
		                       NULL;
		guint len = a ? json_array_get_length(a) : 0;

		if (!a || len > SCN_MAX_CENTRALS)
			return false;
		n->each = g_new0(char *, len + 1);
		for (guint i = 0; i < len; i++) {
			JsonNode *e = json_array_get_element(a, i);
			const char *s =
				JSON_NODE_HOLDS_VALUE(e) &&
						json_node_get_value_type(e) ==
							G_TYPE_STRING ?
					json_node_get_string(e) :
					NULL;

			if (!short_name(s))
				return false;
			n->each[i] = g_strdup(s);
		}
		n->count = len;
		return true;
	}
	if (json_object_has_member(o, LOG_KEY_REPEAT)) {
		if (!int_member(o, LOG_KEY_REPEAT, 0, SCN_MAX_REPEAT, &count))
			return false;
		n->count = (unsigned)count;
		return true;
	}
	if (!short_name(str_member(o, LOG_KEY_STEP)))
		return false;
	n->name = g_strdup(str_member(o, LOG_KEY_STEP));
	if (json_object_has_member(o, LOG_KEY_AS)) {
		if (!short_name(str_member(o, LOG_KEY_AS)))
			return false;
		n->as = g_strdup(str_member(o, LOG_KEY_AS));
	}
	return true;
}

/*
 * The tree into p->nodes, in file order (a block before its steps), without
 * recursion: a stack of the arrays being read, as deep as blocks nest.
 */
static bool read_tree(struct runplan *p, JsonArray *top)
{
	struct {
		JsonArray *a;
		guint i;
		int block;
	} st[SCN_MAX_DEPTH + 2];
	int depth = 0;

	st[0].a = top;
	st[0].i = 0;
	st[0].block = -1;
	for (;;) {
		JsonNode *el;
		JsonObject *o;
		JsonNode *kids;
		struct node n;

		if (st[depth].i >= json_array_get_length(st[depth].a)) {
			if (st[depth].block >= 0)
				g_array_index(p->nodes, struct node,
					st[depth].block)
					.end = p->nodes->len;
			if (depth-- == 0)
				return true;
			continue;
		}
		el = json_array_get_element(st[depth].a, st[depth].i++);
		if (!JSON_NODE_HOLDS_OBJECT(el) || p->nodes->len >= MAX_NODES)
			return false;
		o = json_node_get_object(el);
		if (!read_node(o, st[depth].block, &n)) {
			node_clear(&n);
			return false;
		}
		n.end = p->nodes->len + 1;
		g_array_append_val(p->nodes, n);
		kids = json_object_get_member(o, LOG_KEY_STEPS);
		if (n.name) {
			if (kids)
				return false;
			continue;
		}
		if (!kids || !JSON_NODE_HOLDS_ARRAY(kids) ||
			depth + 1 >= (int)G_N_ELEMENTS(st))
			return false;
		depth++;
		st[depth].a = json_node_get_array(kids);
		st[depth].i = 0;
		st[depth].block = (int)p->nodes->len - 1;
	}
}

/* Ordinals, the line index and the totals, once the tree is read. */
static void index_tree(struct runplan *p)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < p->nodes->len; i++) {
		struct node *n = &g_array_index(p->nodes, struct node, i);
		guint c;

		if (!n->name)
			continue;
		c = GPOINTER_TO_UINT(g_hash_table_lookup(seen, n->name)) + 1;
		g_hash_table_insert(seen, n->name, GUINT_TO_POINTER(c));
		n->ordinal = c;
		if (!g_hash_table_contains(p->by_line, &n->line))
			g_hash_table_insert(p->by_line, &n->line,
				GUINT_TO_POINTER(i + 1));
	}
	g_hash_table_destroy(seen);
	/* a subtree's nodes follow it: from the last node back, saturating */
	for (guint i = p->nodes->len; i-- > 0;) {
		struct node *n = &g_array_index(p->nodes, struct node, i);
		guint64 sum = 0;

		if (n->name) {
			n->total = 1;
		} else {
			for (guint k = i + 1; k < n->end;
				k = g_array_index(p->nodes, struct node, k).end) {
				guint64 t = g_array_index(p->nodes, struct node,
					k)
				                    .total;

				sum = sum > G_MAXUINT64 - t ? G_MAXUINT64 :
				                              sum + t;
			}
			n->total = n->count && sum > G_MAXUINT64 / n->count ?
			                   G_MAXUINT64 :
			                   sum * n->count;
		}
	}
	for (guint k = 0; k < p->nodes->len;
		k = g_array_index(p->nodes, struct node, k).end) {
		guint64 t = g_array_index(p->nodes, struct node, k).total;

		p->total = p->total > G_MAXUINT64 - t ? G_MAXUINT64 :
		                                        p->total + t;
	}
}

struct runplan *runplan_new(JsonObject *run_start)
{
	JsonNode *scn = run_start ? json_object_get_member(run_start,
					    LOG_KEY_SCENARIO) :
	                            NULL;
	JsonNode *plan =
		scn && JSON_NODE_HOLDS_OBJECT(scn) ?
			json_object_get_member(json_node_get_object(scn),
				LOG_KEY_PLAN) :
			NULL;
	JsonNode *cs = json_object_get_member(run_start, LOG_KEY_CENTRALS);
	struct runplan *p;

	if (!plan || !JSON_NODE_HOLDS_ARRAY(plan))
		return NULL;
	p = g_new0(struct runplan, 1);
	p->nodes = g_array_new(FALSE, TRUE, sizeof(struct node));
	g_array_set_clear_func(p->nodes, node_clear);
	p->by_line = g_hash_table_new(g_int64_hash, g_int64_equal);
	if (!read_tree(p, json_node_get_array(plan))) {
		runplan_free(p);
		return NULL;
	}
	index_tree(p);
	if (cs && JSON_NODE_HOLDS_ARRAY(cs) &&
		json_array_get_length(json_node_get_array(cs)) > 0) {
		JsonNode *c0 = json_array_get_element(json_node_get_array(cs),
			0);
		const char *name = JSON_NODE_HOLDS_OBJECT(c0) ?
		                           str_member(json_node_get_object(c0),
						   LOG_KEY_NAME) :
		                           NULL;

		if (short_name(name))
			p->first_central = g_strdup(name);
	}
	if (!p->first_central)
		p->first_central = g_strdup(LOG_CENTRAL_DEFAULT);
	p->w.stack[0] = (struct frame){ -1, 0, p->nodes->len, 1 };
	p->w.depth = 1;
	return p;
}

void runplan_free(struct runplan *p)
{
	if (!p)
		return;
	g_array_free(p->nodes, TRUE);
	g_hash_table_destroy(p->by_line);
	g_free(p->first_central);
	g_free(p);
}

static const struct node *node_at(const struct runplan *p, guint i)
{
	return &g_array_index(p->nodes, struct node, i);
}

/* The next step of @w (the engine's fetch()): its index, or -1. */
static int walk_next(const struct runplan *p, struct walk *w)
{
	while (w->depth > 0) {
		struct frame *f = &w->stack[w->depth - 1];

		if (f->pos < f->end) {
			guint i = f->pos;
			const struct node *n = node_at(p, i);

			f->pos = n->end;
			if (n->name)
				return (int)i;
			if (n->count && w->depth < (int)G_N_ELEMENTS(w->stack))
				w->stack[w->depth++] = (struct frame){ (int)i,
					i + 1, n->end, 1 };
			continue;
		}
		if (f->block >= 0 &&
			f->iter < node_at(p, (guint)f->block)->count) {
			f->iter++;
			f->pos = (guint)f->block + 1;
			continue;
		}
		w->depth--;
	}
	return -1;
}

bool runplan_next(struct runplan *p, struct runplan_step *s)
{
	int i = walk_next(p, &p->w);
	const struct node *n;
	const char *central = NULL;

	if (i < 0)
		return false;
	n = node_at(p, (guint)i);
	p->iteration[0] = '\0';
	for (int d = 1; d < p->w.depth; d++) {
		const struct frame *f = &p->w.stack[d];
		const struct node *b = node_at(p, (guint)f->block);
		char part[16];

		g_snprintf(part, sizeof(part), "%s%u", d > 1 ? "." : "",
			f->iter);
		g_strlcat(p->iteration, part, sizeof(p->iteration));
		if (b->each && f->iter >= 1 && f->iter <= b->count)
			central = b->each[f->iter - 1];
	}
	s->line = n->line;
	s->name = n->name;
	s->ordinal = n->ordinal;
	s->iteration = p->iteration;
	s->central = n->as ? n->as : central ? central : p->first_central;
	return true;
}

/* "2.3" into @it; the number of parts, or -1 when it is not one */
static int parse_iteration(const char *s, guint64 *it, int max)
{
	int n = 0;

	if (!*s)
		return 0;
	while (*s) {
		char *end;

		if (n >= max || !g_ascii_isdigit(*s))
			return -1;
		it[n++] = g_ascii_strtoull(s, &end, 10);
		if (*end == '.')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return n;
}

bool runplan_ahead(const struct runplan *p, gint64 line, const char *iteration)
{
	guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(p->by_line, &line));
	guint64 it[SCN_MAX_DEPTH + 2], want[2 * (SCN_MAX_DEPTH + 2) + 1],
		have[2 * (SCN_MAX_DEPTH + 2) + 1];
	int chain[SCN_MAX_DEPTH + 2];
	int n_it, depth = 0, nw = 0, nh = 0, i;
	struct walk w = p->w;

	if (!idx || !iteration)
		return false;
	n_it = parse_iteration(iteration, it, (int)G_N_ELEMENTS(it));
	for (int b = node_at(p, idx - 1)->parent; b >= 0;
		b = node_at(p, (guint)b)->parent) {
		if (depth >= (int)G_N_ELEMENTS(chain))
			return false;
		chain[depth++] = b;
	}
	if (n_it != depth)
		return false;
	/* the target's place: outermost block, its iteration, ..., the step */
	for (int d = 0; d < depth; d++) {
		const struct node *b = node_at(p, (guint)chain[depth - 1 - d]);

		if (it[d] < 1 || it[d] > b->count)
			return false;
		want[nw++] = (guint64)chain[depth - 1 - d];
		want[nw++] = it[d];
	}
	want[nw++] = idx - 1;
	/* the walk's next step, in the same terms */
	i = walk_next(p, &w);
	if (i < 0)
		return false;
	for (int d = 1; d < w.depth; d++) {
		have[nh++] = (guint64)w.stack[d].block;
		have[nh++] = w.stack[d].iter;
	}
	have[nh++] = (guint64)i;
	for (int k = 0; k < nw && k < nh; k++)
		if (want[k] != have[k])
			return want[k] > have[k];
	return nw >= nh;
}

unsigned runplan_ordinal(const struct runplan *p, gint64 line)
{
	guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(p->by_line, &line));

	return idx ? node_at(p, idx - 1)->ordinal : 0;
}

guint64 runplan_total(const struct runplan *p)
{
	return p->total;
}
