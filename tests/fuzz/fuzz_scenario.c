/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scenario.c — libFuzzer target for the scenario parser. Any input:
 * no crash, no leak, no undefined behaviour; either a scenario or errors,
 * never both, and every error formats.
 */
#include <glib.h>
#include <string.h>

#include "bondcheck/scenario.h"
#include "fuzz/fuzz.h"

int fuzz_scenario(const uint8_t *data, size_t size)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	struct scenario_options o = { vars, size % 2 == 0 };
	GPtrArray *errs = NULL;
	struct scenario *s;

	g_hash_table_insert(vars, (gpointer) "CYCLES", (gpointer) "3");
	g_hash_table_insert(vars, (gpointer) "UUID", (gpointer) "2a6e");
	s = scenario_parse((const char *)data, size, "fuzz.scn", &o, &errs);
	if (s != NULL && errs->len != 0)
		__builtin_trap();
	if (s == NULL && errs->len == 0)
		__builtin_trap();
	for (guint i = 0; i < errs->len; i++) {
		char *m = scn_error_format(g_ptr_array_index(errs, i));

		if (!m || !strstr(m, "fuzz.scn:"))
			__builtin_trap();
		g_free(m);
	}
	scenario_free(s);
	g_ptr_array_free(errs, TRUE);
	g_hash_table_destroy(vars);
	return 0;
}
