/* SPDX-License-Identifier: MIT */
/*
 * trace.c — the JSON of one Trace event, bounded. Pure (json-glib only):
 * server.c puts the result on the bus as org.bondcheck.Sim1.Trace.
 *
 * An event is one flat object: "event", "t_us", then its details, each a
 * scalar or an array of scalars (so at most two levels deep). The whole
 * line is at most SIM_TRACE_MAX_BYTES; an event that would be longer or
 * deeper is sent as {"event", "t_us", "truncated": true, "bytes": N}, N
 * what it would have taken (0 if it was too deep), so a reader always
 * gets the event and its time in bounded memory.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "bondcheck/jsontext.h"
#include "bondcheck/sim.h"

/* A scalar, or a container of scalars. */
static bool flat(GVariant *v)
{
	GVariantIter it;
	GVariant *c;
	bool ok = true;

	if (!g_variant_is_container(v))
		return true;
	g_variant_iter_init(&it, v);
	while (ok && (c = g_variant_iter_next_value(&it))) {
		ok = !g_variant_is_container(c);
		g_variant_unref(c);
	}
	return ok;
}

static bool details_flat(GVariant *details)
{
	GVariantIter it;
	const char *k;
	GVariant *v;
	bool ok = true;

	if (!details)
		return true;
	if (!g_variant_is_of_type(details, G_VARIANT_TYPE_VARDICT))
		return false;
	g_variant_iter_init(&it, details);
	while (ok && g_variant_iter_next(&it, "{&sv}", &k, &v)) {
		ok = flat(v);
		g_variant_unref(v);
	}
	return ok;
}

static char *to_json(JsonBuilder *b)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	char *line;

	/* 0x1f and the other control characters escaped (jsontext.h) */
	line = jsontext_generate(g, root, NULL);
	json_node_unref(root);
	g_object_unref(g);
	return line;
}

static void begin(JsonBuilder *b, const char *event, int64_t t_us)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, event);
	json_builder_set_member_name(b, "t_us");
	json_builder_add_int_value(b, t_us);
}

static char *truncated(const char *event, int64_t t_us, size_t bytes)
{
	JsonBuilder *b = json_builder_new();
	char *line;

	begin(b, event, t_us);
	json_builder_set_member_name(b, "truncated");
	json_builder_add_boolean_value(b, TRUE);
	json_builder_set_member_name(b, "bytes");
	json_builder_add_int_value(b, (gint64)bytes);
	json_builder_end_object(b);
	line = to_json(b);
	g_object_unref(b);
	return line;
}

char *sim_trace_json(const char *event, int64_t t_us, GVariant *details)
{
	JsonBuilder *b;
	GVariantIter it;
	const char *k;
	GVariant *v;
	char *line;
	size_t n;

	/* our own names: never long, but a truncated line must fit too */
	if (strlen(event) > SIM_TRACE_MAX_BYTES / 4)
		event = "event-name-too-long";
	if (!details_flat(details))
		return truncated(event, t_us, 0);
	b = json_builder_new();
	begin(b, event, t_us);
	if (details) {
		g_variant_iter_init(&it, details);
		while (g_variant_iter_next(&it, "{&sv}", &k, &v)) {
			json_builder_set_member_name(b, k);
			json_builder_add_value(b, json_gvariant_serialize(v));
			g_variant_unref(v);
		}
	}
	json_builder_end_object(b);
	line = to_json(b);
	g_object_unref(b);
	n = strlen(line);
	if (n <= SIM_TRACE_MAX_BYTES)
		return line;
	g_free(line);
	return truncated(event, t_us, n);
}
