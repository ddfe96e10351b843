/* SPDX-License-Identifier: MIT */
/*
 * jsontext.c — the depth of JSON text before it is parsed, and JSON text
 * written with every control character escaped. Pure; no recursion.
 */
#include <stdbool.h>
#include <string.h>

#include "bondcheck/jsontext.h"

size_t jsontext_too_deep(const char *text, size_t len, unsigned max)
{
	unsigned depth = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++; /* the escaped character */
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"': in_string = true; break;
		case '[':
		case '{':
			if (++depth > max)
				return i + 1;
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			break;
		default: break;
		}
	}
	return 0;
}

/*
 * json-glib escapes every control character but 0x1f (its test is "< 0x1f").
 * A raw 0x1f byte in its output can only be inside a string (the pretty
 * form's newlines are 0x0a): replace it with its escape.
 */
static char *escape_0x1f(char *text, gsize *len)
{
	gsize n = *len, extra = 0, j = 0;
	char *out;

	for (gsize i = 0; i < n; i++)
		extra += text[i] == 0x1f;
	if (!extra)
		return text;
	out = g_malloc(n + extra * 5 + 1);
	for (gsize i = 0; i < n; i++) {
		if (text[i] == 0x1f) {
			memcpy(out + j, "\\u001f", 6);
			j += 6;
		} else {
			out[j++] = text[i];
		}
	}
	out[j] = '\0';
	g_free(text);
	*len = j;
	return out;
}

char *jsontext_generate(JsonGenerator *gen, JsonNode *root, gsize *len)
{
	gsize n = 0;
	char *text;

	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, &n);
	text = escape_0x1f(text, &n);
	if (len)
		*len = n;
	return text;
}

char *jsontext_to_string(JsonNode *root, gboolean pretty)
{
	JsonGenerator *g = json_generator_new();
	char *text;

	json_generator_set_pretty(g, pretty);
	text = jsontext_generate(g, root, NULL);
	g_object_unref(g);
	return text;
}
