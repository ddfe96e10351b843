/* SPDX-License-Identifier: MIT */
/*
 * jsontext.h — JSON text where it crosses our borders, both ways.
 *
 * Reading: json-glib's parser recurses once per level of nesting, so text
 * from outside (a log line, a simulator's Trace signal) is measured here
 * first and refused past JSONTEXT_MAX_DEPTH, without recursion and without
 * building anything.
 * Writing: json-glib (1.6, Debian 12) writes the control character 0x1f raw
 * inside a string, which RFC 8259 forbids and strict readers (Python's json)
 * refuse; every JSON writer of ours goes through jsontext_generate() or
 * jsontext_to_string(), which escape it.
 */
#ifndef BONDCHECK_JSONTEXT_H
#define BONDCHECK_JSONTEXT_H

#include <json-glib/json-glib.h>
#include <stddef.h>

/* Deepest nesting of arrays and objects accepted from outside. */
#define JSONTEXT_MAX_DEPTH 64u

/*
 * 0 when @text (@len bytes) nests arrays and objects at most @max deep,
 * else the 1-based byte column of the first bracket that goes deeper.
 * Brackets inside strings do not count. The text need not be valid JSON:
 * this only bounds what a parser would recurse into.
 */
size_t jsontext_too_deep(const char *text, size_t len, unsigned max);

/* The text of @root by @gen (its options kept), with every control
 * character escaped; *@len (if given) is its length. g_free it. */
char *jsontext_generate(JsonGenerator *gen, JsonNode *root, gsize *len);

/* As json_to_string(), every control character escaped. g_free it. */
char *jsontext_to_string(JsonNode *root, gboolean pretty);

#endif
