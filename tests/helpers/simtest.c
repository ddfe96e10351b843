/* SPDX-License-Identifier: MIT */
/* simtest.c — see simtest.h. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bondcheck/msg.h"
#include "bondcheck/names.h"
#include "bondcheck/service.h"
#include "helpers/simtest.h"

void simtest_start(struct simtest *st, const char *const *args)
{
	char *prog = test_prog("bondcheck-sim");
	GPtrArray *argv = g_ptr_array_new();
	GError *err = NULL;
	const char *env[3];

	memset(st, 0, sizeof(*st));
	ck_assert_msg(testbus_start(&st->tb), "cannot start dbus-daemon");
	st->env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", st->tb.address);
	env[0] = st->env;
	/* every GVariant from malloc, so that LeakSanitizer sees them (GLib
	 * 2.74's slice allocator hides them): simtest_stop_sim() gets a
	 * non-zero status for a leak under ASan */
	env[1] = "G_SLICE=always-malloc";
	env[2] = NULL;
	st->bus = bus_connect(BUS_KIND_ADDRESS, st->tb.address, &err);
	ck_assert_msg(st->bus, "%s", err ? err->message : "");
	st->tl = timeline_new(st->bus);

	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, (gpointer) "--bus");
	g_ptr_array_add(argv, st->tb.address);
	/* fast, but every delay keeps its order; the LE connection timeout
	 * short (the simulator's own clock on both sides). The agent's
	 * timeout is not short: the answer comes from another process (a
	 * test, bondcheck, bluetoothctl driven by a test), and a loaded
	 * machine must not turn a slow answer into a timeout. A test that
	 * wants the timeout passes its own --agent-timeout. */
	g_ptr_array_add(argv, (gpointer) "--time-scale");
	g_ptr_array_add(argv, (gpointer) "0.01");
	g_ptr_array_add(argv, (gpointer) "--agent-timeout");
	g_ptr_array_add(argv, (gpointer) "60s");
	g_ptr_array_add(argv, (gpointer) "--le-conn-timeout");
	g_ptr_array_add(argv, (gpointer) "300ms");
	/* every chance the simulator takes, the same in every run (a test
	 * may give another --seed: the last one counts) */
	g_ptr_array_add(argv, (gpointer) "--seed");
	g_ptr_array_add(argv, (gpointer) "1");
	for (size_t i = 0; args && args[i]; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	st->sim = test_spawn((const char *const *)argv->pdata, env,
		getenv("BC_TEST_SIM_LOG"));
	ck_assert(st->sim > 0);
	ck_assert_msg(test_wait_name(st->bus, BLUEZ_SERVICE, true, 10000),
		"bondcheck-sim did not take org.bluez");
	g_ptr_array_free(argv, TRUE);
	g_free(prog);
}

void simtest_stop(struct simtest *st)
{
	timeline_free(st->tl);
	if (st->bus)
		bus_unref(st->bus);
	test_kill(st->sim);
	testbus_stop(&st->tb);
	g_free(st->env);
	dbus_shutdown();
}

int simtest_stop_sim(struct simtest *st, int sig)
{
	int status = test_signal_wait(st->sim, sig, 10000);

	/* one that did not exit is killed by simtest_stop() */
	if (status >= 0)
		st->sim = 0;
	return status;
}

struct reply_wait {
	GPtrArray *lines;
	guint from;
	const char *prefix;
};

static const char *reply_line(struct reply_wait *w)
{
	for (guint i = w->from; i < w->lines->len; i++) {
		const char *l = g_ptr_array_index(w->lines, i);

		if (g_str_has_prefix(l, w->prefix))
			return l;
	}
	return NULL;
}

static bool has_reply(void *data)
{
	return reply_line(data) != NULL;
}

char *simtest_call(struct simtest *st, const char *path, const char *iface,
	const char *method, GVariant *args)
{
	char *prefix = g_strdup_printf("reply %s: ", method);
	struct reply_wait w = { timeline_lines(st->tl),
		timeline_lines(st->tl)->len, prefix };
	char *result;

	timeline_call(st->tl, path, iface, method, args);
	ck_assert_msg(test_wait(has_reply, &w, 5000), "no reply to %s", method);
	result = g_strdup(reply_line(&w) + strlen(prefix));
	g_free(prefix);
	return result;
}

void simtest_discover(struct simtest *st)
{
	char *r = simtest_call(st, SIM_HCI, BLUEZ_IFACE_ADAPTER,
		"StartDiscovery", NULL);

	ck_assert_str_eq(r, "ok");
	g_free(r);
	ck_assert_msg(timeline_wait(st->tl, "+dev Device1", 5000),
		"the DUT was never discovered");
}

/* ---- the scripted agent ------------------------------------------------- */

struct testagent {
	struct service *svc;
	struct bus *bus;
	struct timeline *tl;
	enum testagent_mode mode;
	uint32_t passkey;
};

static void answer(struct testagent *a, struct svc_call *call, GVariant *ok)
{
	switch (a->mode) {
	case TESTAGENT_ACCEPT: svc_call_return(call, ok); return;
	case TESTAGENT_REJECT:
		if (ok)
			g_variant_unref(g_variant_ref_sink(ok));
		svc_call_error(call, BLUEZ_ERR_REJECTED, "rejected by test");
		return;
	case TESTAGENT_SILENT:
		/* keep it: service_free answers it when the test ends */
		if (ok)
			g_variant_unref(g_variant_ref_sink(ok));
		return;
	}
}

static void ta_method(struct svc_call *call, GVariant *args, void *data)
{
	struct testagent *a = data;
	const char *m = svc_call_member(call);
	char *p = g_variant_print(args, FALSE);

	timeline_note(a->tl, "agent %s%s", m, p);
	g_free(p);
	if (!strcmp(m, "RequestPasskey"))
		answer(a, call, g_variant_new("(u)", a->passkey));
	else if (!strcmp(m, "RequestPinCode"))
		answer(a, call, g_variant_new("(s)", "0000"));
	else if (!strcmp(m, "Cancel") || !strcmp(m, "Release"))
		svc_call_return(call, NULL);
	else
		answer(a, call, NULL);
}

static const struct svc_method ta_methods[] = {
	{ "Release", "", "", ta_method },
	{ "RequestPinCode", "o", "s", ta_method },
	{ "DisplayPinCode", "os", "", ta_method },
	{ "RequestPasskey", "o", "u", ta_method },
	{ "DisplayPasskey", "ouq", "", ta_method },
	{ "RequestConfirmation", "ou", "", ta_method },
	{ "RequestAuthorization", "o", "", ta_method },
	{ "AuthorizeService", "os", "", ta_method },
	{ "Cancel", "", "", ta_method },
	{ NULL, NULL, NULL, NULL },
};

static const struct svc_interface ta_iface = {
	BLUEZ_IFACE_AGENT,
	ta_methods,
	NULL,
	NULL,
};

struct testagent *testagent_new(struct bus *bus, struct timeline *tl,
	const char *capability, enum testagent_mode mode, uint32_t passkey)
{
	struct testagent *a = g_new0(struct testagent, 1);
	GVariant *r;

	a->bus = bus;
	a->tl = tl;
	a->mode = mode;
	a->passkey = passkey;
	a->svc = service_new(bus);
	service_add_interface(a->svc, "/test/agent", &ta_iface, a);
	r = test_call_ok(bus, BLUEZ_SERVICE, BLUEZ_PATH,
		BLUEZ_IFACE_AGENT_MANAGER, "RegisterAgent",
		g_variant_new("(os)", "/test/agent", capability));
	g_variant_unref(r);
	r = test_call_ok(bus, BLUEZ_SERVICE, BLUEZ_PATH,
		BLUEZ_IFACE_AGENT_MANAGER, "RequestDefaultAgent",
		g_variant_new("(o)", "/test/agent"));
	g_variant_unref(r);
	return a;
}

void testagent_free(struct testagent *a)
{
	if (!a)
		return;
	service_remove_interface(a->svc, "/test/agent", BLUEZ_IFACE_AGENT);
	service_free(a->svc);
	g_free(a);
}

/* ---- expect ------------------------------------------------------------- */

struct expect {
	GPid pid;
	bool exited;
	int status;
	guint watch;
	int in;
	int out;
	guint src;
	int err; /* its stderr, kept for the sim warning */
	guint err_src;
	GString *errbuf;
	GString *buf;
	gsize consumed;
	bool eof;
};

static void pdeath(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Its stderr so far: kept, and passed on to ours for the test's log.
 * False at its end (or when nothing more is there yet: @more). */
static bool err_read(struct expect *e, bool *more)
{
	char chunk[4096];
	ssize_t n = read(e->err, chunk, sizeof(chunk));

	*more = n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
	if (n <= 0)
		return false;
	g_string_append_len(e->errbuf, chunk, n);
	if (write(STDERR_FILENO, chunk, (size_t)n) < 0)
		return true;
	return true;
}

static gboolean err_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct expect *e = data;
	bool more;

	(void)fd;
	(void)cond;
	err_read(e, &more);
	if (more)
		return G_SOURCE_CONTINUE;
	e->err_src = 0;
	return G_SOURCE_REMOVE;
}

static gboolean readable(gint fd, GIOCondition cond, gpointer data)
{
	struct expect *e = data;
	char chunk[4096];
	ssize_t n;

	(void)cond;
	n = read(fd, chunk, sizeof(chunk));
	if (n <= 0) {
		e->eof = true;
		e->src = 0;
		return G_SOURCE_REMOVE;
	}
	/* drop ANSI escapes and CRs: match on the words people read */
	for (ssize_t i = 0; i < n; i++) {
		static bool esc;

		if (chunk[i] == '\033') {
			esc = true;
			continue;
		}
		if (esc) {
			if ((chunk[i] >= 'A' && chunk[i] <= 'Z') ||
				(chunk[i] >= 'a' && chunk[i] <= 'z'))
				esc = false;
			continue;
		}
		if (chunk[i] != '\r')
			g_string_append_c(e->buf, chunk[i]);
	}
	return G_SOURCE_CONTINUE;
}

struct expect *expect_spawn(const char *const *argv, const char *const *env)
{
	struct expect *e = g_new0(struct expect, 1);
	char **envp = g_get_environ();
	GError *err = NULL;

	for (size_t i = 0; env && env[i]; i++) {
		char *name = g_strndup(env[i], strchr(env[i], '=') - env[i]);

		envp = g_environ_setenv(envp, name, strchr(env[i], '=') + 1,
			TRUE);
		g_free(name);
	}
	e->buf = g_string_new("");
	e->errbuf = g_string_new("");
	envp = g_environ_setenv(envp, "G_SLICE", "always-malloc", FALSE);
	if (!g_spawn_async_with_pipes(NULL, (char **)argv, envp,
		    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, pdeath,
		    NULL, &e->pid, &e->in, &e->out, &e->err, &err)) {
		ck_abort_msg("spawn %s: %s", argv[0], err->message);
	}
	g_strfreev(envp);
	g_unix_set_fd_nonblocking(e->out, TRUE, NULL);
	g_unix_set_fd_nonblocking(e->err, TRUE, NULL);
	e->src = g_unix_fd_add(e->out, G_IO_IN | G_IO_HUP | G_IO_ERR, readable,
		e);
	e->err_src = g_unix_fd_add(e->err, G_IO_IN | G_IO_HUP | G_IO_ERR,
		err_readable, e);
	return e;
}

void expect_send(struct expect *e, const char *line)
{
	size_t n = strlen(line);

	ck_assert(write(e->in, line, n) == (ssize_t)n);
	ck_assert(write(e->in, "\n", 1) == 1);
}

struct ewait {
	struct expect *e;
	const char *needle;
};

static bool seen_needle(void *data)
{
	struct ewait *w = data;

	return strstr(w->e->buf->str + w->e->consumed, w->needle) || w->e->eof;
}

bool expect_wait(struct expect *e, const char *needle, int timeout_ms)
{
	struct ewait w = { e, needle };
	const char *at;

	test_wait(seen_needle, &w, timeout_ms);
	at = strstr(e->buf->str + e->consumed, needle);
	if (!at)
		return false;
	e->consumed = (gsize)(at - e->buf->str) + strlen(needle);
	return true;
}

const char *expect_output(struct expect *e)
{
	return e->buf->str;
}

GPid expect_pid(struct expect *e)
{
	return e->pid;
}

static void exited(GPid pid, gint status, gpointer data)
{
	struct expect *e = data;

	(void)pid;
	e->exited = true;
	e->watch = 0;
	e->status = WIFEXITED(status)   ? WEXITSTATUS(status) :
	            WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
	                                  -1;
}

static bool has_exited(void *data)
{
	return ((struct expect *)data)->exited;
}

int expect_exit(struct expect *e, int timeout_ms)
{
	if (!e->exited && !e->watch)
		e->watch = g_child_watch_add(e->pid, exited, e);
	if (!test_wait(has_exited, e, timeout_ms))
		return -1;
	/* what it said last on stderr is in the pipe by now */
	for (bool more = true; e->err_src && more;)
		if (!err_read(e, &more))
			break;
	test_check_sim_warning(e->errbuf->str);
	return e->status;
}

const char *expect_errors(struct expect *e)
{
	return e->errbuf->str;
}

void expect_free(struct expect *e)
{
	if (!e)
		return;
	close(e->in);
	if (e->src)
		g_source_remove(e->src);
	close(e->out);
	if (e->err_src)
		g_source_remove(e->err_src);
	close(e->err);
	g_string_free(e->errbuf, TRUE);
	if (e->watch)
		g_source_remove(e->watch);
	if (!e->exited)
		test_kill(e->pid);
	else
		g_spawn_close_pid(e->pid);
	g_string_free(e->buf, TRUE);
	g_free(e);
}
