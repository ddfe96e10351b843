/*
 * evlog.c — the JSON Lines writer. Owns the file. Never loses what it has
 * written: each line is complete before it is flushed, and a write error is
 * kept and reported, not fatal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/evlog.h"

struct sink {
	evlog_sink_fn fn;
	void *user_data;
};

struct evlog {
	FILE *f;
	char *path;
	gint64 start_us;
	evlog_clock_fn clock;
	void *clock_data;
	GArray *sinks;
	uint64_t count;
	GError *error;
	JsonGenerator *gen;
};

static int64_t default_clock(void *data)
{
	(void)data;
	return g_get_monotonic_time();
}

struct evlog *evlog_new(const char *path, GError **error)
{
	struct evlog *l = g_new0(struct evlog, 1);

	if (path) {
		l->f = fopen(path, "we");
		if (!l->f) {
			g_set_error(error, BCERROR, BCERROR_IO,
				"cannot write the log %s: %s", path,
				g_strerror(errno));
			g_free(l);
			return NULL;
		}
		l->path = g_strdup(path);
	}
	l->clock = default_clock;
	l->start_us = default_clock(NULL);
	l->sinks = g_array_new(FALSE, FALSE, sizeof(struct sink));
	l->gen = json_generator_new();
	return l;
}

void evlog_free(struct evlog *l)
{
	if (!l)
		return;
	if (l->f)
		fclose(l->f);
	g_array_free(l->sinks, TRUE);
	g_object_unref(l->gen);
	g_clear_error(&l->error);
	g_free(l->path);
	g_free(l);
}

void evlog_set_clock(struct evlog *l, evlog_clock_fn fn, void *user_data)
{
	l->clock = fn;
	l->clock_data = user_data;
	l->start_us = fn(user_data);
}

void evlog_add_sink(struct evlog *l, evlog_sink_fn fn, void *user_data)
{
	struct sink s = { fn, user_data };

	g_array_append_val(l->sinks, s);
}

const char *evlog_path(struct evlog *l)
{
	return l->path;
}

uint64_t evlog_count(struct evlog *l)
{
	return l->count;
}

const GError *evlog_error(struct evlog *l)
{
	return l->error;
}

JsonBuilder *evlog_begin(struct evlog *l, const char *type)
{
	JsonBuilder *b = json_builder_new_immutable();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, type);
	json_builder_set_member_name(b, "t");
	json_builder_add_int_value(b, l->clock(l->clock_data) - l->start_us);
	return b;
}

void evlog_end(struct evlog *l, JsonBuilder *b)
{
	JsonNode *root;
	char *line;
	gsize len;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(l->gen, root);
	line = json_generator_to_data(l->gen, &len);
	if (l->f && !l->error) {
		if (fwrite(line, 1, len, l->f) != len || fputc('\n', l->f) == EOF ||
		    fflush(l->f) != 0)
			g_set_error(&l->error, BCERROR, BCERROR_IO,
				"writing the log %s failed: %s", l->path,
				g_strerror(errno));
	}
	l->count++;
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);

		s->fn(line, root, s->user_data);
	}
	g_free(line);
	json_node_unref(root);
	g_object_unref(b);
}

char *evlog_hex(const guint8 *data, gsize len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = g_malloc(len * 2 + 1);

	for (gsize i = 0; i < len; i++) {
		s[2 * i] = digits[data[i] >> 4];
		s[2 * i + 1] = digits[data[i] & 15];
	}
	s[len * 2] = '\0';
	return s;
}

JsonNode *evlog_variant(GVariant *v)
{
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_BYTESTRING)) {
		gsize n = 0;
		const guint8 *d = g_variant_get_fixed_array(v, &n, 1);
		char *hex = evlog_hex(d, n);
		JsonNode *node = json_node_new(JSON_NODE_VALUE);

		json_node_set_string(node, hex);
		g_free(hex);
		return node;
	}
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
		GVariant *inner = g_variant_get_variant(v);
		JsonNode *n = evlog_variant(inner);

		g_variant_unref(inner);
		return n;
	}
	return json_gvariant_serialize(v);
}
