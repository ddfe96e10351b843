/* SPDX-License-Identifier: MIT */
/*
 * evlog.c — the JSON Lines writer. Owns the file. Never loses what it has
 * written: each line and its newline go to the file in one write(2), so a
 * process killed at any point leaves only whole lines behind. The first
 * write error (ENOSPC, EIO, EFBIG) is kept, stops the writes to the file
 * (the sinks still get every line) and is told to the owner once, who ends
 * the run: a run whose log is lost has not shown anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/evlog.h"
#include "bondcheck/jsontext.h"

struct sink {
	evlog_sink_fn fn;
	void *user_data;
};

struct evlog {
	int fd;
	char *path;
	gint64 start_us;
	evlog_clock_fn clock;
	void *clock_data;
	GArray *sinks;
	uint64_t count;
	GError *error;
	evlog_error_fn on_error;
	void *error_data;
	bool error_told;
	JsonGenerator *gen;
	JsonBuilder *spare; /* the last builder, reset, for the next event */
};

static int64_t default_clock(void *data)
{
	(void)data;
	return g_get_monotonic_time();
}

/*
 * Why a log cannot be opened, as our code: a path that cannot be a log
 * file is the caller's mistake (exit 2); no permission, a read-only or
 * full file system is the machine's (exit 3).
 */
static int open_error_code(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case ENAMETOOLONG:
	case ELOOP:
	case ENXIO:
	case EINVAL: return BCERROR_BAD_INPUT;
	case EACCES:
	case EPERM:
	case EROFS:
	case ETXTBSY: return BCERROR_ACCESS_DENIED;
	default: return BCERROR_ENVIRONMENT;
	}
}

struct evlog *evlog_new(const char *path, GError **error)
{
	struct evlog *l = g_new0(struct evlog, 1);

	l->fd = -1;
	if (path) {
		l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
		if (l->fd < 0) {
			int err = errno;

			g_set_error(error, BCERROR, open_error_code(err),
				"cannot write the log %s: %s%s", path,
				g_strerror(err),
				err == ENOENT ? " (its directory must exist)" :
						"");
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
	if (l->fd >= 0)
		close(l->fd);
	g_array_free(l->sinks, TRUE);
	g_object_unref(l->gen);
	if (l->spare)
		g_object_unref(l->spare);
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

void evlog_set_error_fn(struct evlog *l, evlog_error_fn fn, void *user_data)
{
	l->on_error = fn;
	l->error_data = user_data;
}

JsonBuilder *evlog_begin_event(struct evlog *l, enum log_event type)
{
	JsonBuilder *b = l->spare ? l->spare : json_builder_new_immutable();

	l->spare = NULL;
	json_builder_begin_object(b);
	log_add_str(b, LOG_KEY_TYPE, log_event_to_str(type));
	log_add_int(b, LOG_KEY_T, l->clock(l->clock_data) - l->start_us);
	return b;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = EIO;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

void evlog_end(struct evlog *l, JsonBuilder *b)
{
	JsonNode *root;
	char *line;
	gsize len;
	bool failed = true;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	line = jsontext_generate(l->gen, root, &len);
	if (!g_utf8_validate(line, (gssize)len, NULL)) {
		/* a command's output can be any bytes; a log line is UTF-8 */
		char *valid = g_utf8_make_valid(line, (gssize)len);

		g_free(line);
		line = valid;
		len = strlen(line);
	}
	if (l->fd >= 0 && !l->error) {
		/* the generator's buffer has room for its NUL: use it */
		line[len] = '\n';
		if (!write_all(l->fd, line, len + 1))
			g_set_error(&l->error, BCERROR, BCERROR_ENVIRONMENT,
				"writing the log %s failed: %s", l->path,
				g_strerror(errno));
		else
			failed = false;
		line[len] = '\0';
	}
	l->count++;
	for (guint i = 0; i < l->sinks->len; i++) {
		struct sink *s = &g_array_index(l->sinks, struct sink, i);

		s->fn(line, root, s->user_data);
	}
	g_free(line);
	json_node_unref(root);
	/* once, after the sinks have the line the file did not get */
	if (failed && l->error && !l->error_told) {
		l->error_told = true;
		if (l->on_error)
			l->on_error(l->error, l->error_data);
	}
	if (!l->spare) {
		json_builder_reset(b);
		l->spare = b;
	} else {
		g_object_unref(b);
	}
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
