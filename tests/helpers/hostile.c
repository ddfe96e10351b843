/* SPDX-License-Identifier: MIT */
/* hostile.c — see hostile.h. */
#include <string.h>

#include "helpers/hostile.h"

GString *hostile_doubling(const char *use)
{
	GString *t = g_string_new("set V0=0123456789abcdef\n");

	for (int i = 1; i <= 22; i++)
		g_string_append_printf(t, "set V%d=${V%d}${V%d}\n", i, i - 1,
			i - 1);
	g_string_append(t, use);
	return t;
}

GString *hostile_repeats(int levels, int ends)
{
	GString *t = g_string_sized_new((gsize)levels * 9 + (gsize)ends * 4 +
					8);

	for (int i = 0; i < levels; i++)
		g_string_append(t, "repeat 2\n");
	g_string_append(t, "scan\n");
	for (int i = 0; i < ends; i++)
		g_string_append(t, "end\n");
	return t;
}

GString *hostile_expansion(void)
{
	GString *t = g_string_new("set V=");

	for (int i = 0; i < 4000; i++)
		g_string_append_c(t, 'x');
	g_string_append_c(t, '\n');
	for (int i = 0; i < 300; i++)
		g_string_append(t, "reboot via=command cmd=${V}\n");
	return t;
}

GString *hostile_steps(void)
{
	return g_string_new("repeat 1000000\nrepeat 1000000\nscan\nend\nend\n");
}

GString *hostile_nesting(const char *prefix, int levels, const char *suffix)
{
	GString *t = g_string_new(prefix);

	g_string_set_size(t, t->len + (gsize)levels * 2);
	memset(t->str + strlen(prefix), '[', (size_t)levels);
	memset(t->str + strlen(prefix) + levels, ']', (size_t)levels);
	g_string_append(t, suffix);
	return t;
}
