/* SPDX-License-Identifier: MIT */
/*
 * simhost.c — start and stop a private bus with the simulator on it.
 * Blocking waits here are bounded and happen before any run starts.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/bus.h"
#include "bondcheck/names.h"
#include "simhost.h"

#define START_TIMEOUT_MS 10000

static const char bus_conf[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
	"Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>system</type>\n"
	"  <listen>unix:dir=%s</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow user=\"*\"/>\n"
	"    <allow own=\"*\"/>\n"
	"    <allow send_type=\"method_call\"/>\n"
	"    <allow send_type=\"signal\"/>\n"
	"    <allow send_type=\"method_return\"/>\n"
	"    <allow send_type=\"error\"/>\n"
	"    <allow receive_type=\"method_call\"/>\n"
	"    <allow receive_type=\"signal\"/>\n"
	"    <allow receive_type=\"method_return\"/>\n"
	"    <allow receive_type=\"error\"/>\n"
	"  </policy>\n"
	"</busconfig>\n";

static void child_setup(gpointer data)
{
	(void)data;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

char *simhost_find_sim(void)
{
	const char *env = g_getenv("BONDCHECK_SIM");
	char *self, *dir, *p;

	if (env && *env)
		return g_strdup(env);
	self = g_file_read_link("/proc/self/exe", NULL);
	if (self) {
		dir = g_path_get_dirname(self);
		p = g_build_filename(dir, "bondcheck-sim", NULL);
		g_free(dir);
		g_free(self);
		if (g_file_test(p, G_FILE_TEST_IS_EXECUTABLE))
			return p;
		g_free(p);
	}
	return g_find_program_in_path("bondcheck-sim");
}

static bool read_address(int fd, char **out, GError **error)
{
	char buf[512];
	size_t n = 0;
	gint64 deadline = g_get_monotonic_time() + START_TIMEOUT_MS * 1000LL;

	while (n < sizeof(buf) - 1 && !memchr(buf, '\n', n)) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)((deadline - g_get_monotonic_time()) / 1000);
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (!strchr(buf, '\n')) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"dbus-daemon did not start (is the dbus-daemon "
			"package installed?)");
		return false;
	}
	*strchr(buf, '\n') = '\0';
	*out = g_strdup(buf);
	return true;
}

static void child_exited(GPid pid, gint status, gpointer data)
{
	struct simchild *c = data;

	(void)pid;
	c->exited = true;
	c->status = status;
	c->watch = 0;
}

static void sim_exited(GPid pid, gint status, gpointer data)
{
	struct simhost *h = data;

	child_exited(pid, status, &h->sim);
	if (h->on_exit)
		h->on_exit(h, h->exit_data);
}

struct name_wait {
	bool owned;
	bool timeout;
};

static void name_cb(const char *name, const char *owner, void *data)
{
	(void)name;
	((struct name_wait *)data)->owned = owner != NULL;
}

static gboolean on_timeout(gpointer data)
{
	((struct name_wait *)data)->timeout = true;
	return G_SOURCE_REMOVE;
}

bool simhost_start(struct simhost *h, const char *const *sim_args,
	GError **error)
{
	char *conf_path, *conf, *confarg, *sim = simhost_find_sim();
	const char *dargv[] = { "dbus-daemon", NULL, "--nofork",
		"--print-address=1", NULL };
	GPtrArray *sargv;
	struct bus *bus;
	struct name_wait w = { false, false };
	guint watch, timer;
	int out = -1;

	memset(h, 0, sizeof(*h));
	if (!sim) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot find bondcheck-sim (set BONDCHECK_SIM or "
			"install it beside bondcheck)");
		return false;
	}
	h->dir = g_dir_make_tmp("bondcheck-sim-XXXXXX", error);
	if (!h->dir) {
		g_free(sim);
		return false;
	}
	conf = g_strdup_printf(bus_conf, h->dir);
	conf_path = g_build_filename(h->dir, "bus.conf", NULL);
	g_file_set_contents(conf_path, conf, -1, NULL);
	confarg = g_strdup_printf("--config-file=%s", conf_path);
	dargv[1] = confarg;
	g_free(conf);
	g_free(conf_path);

	if (!g_spawn_async_with_pipes(NULL, (char **)dargv, NULL,
		    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH |
			    G_SPAWN_STDERR_TO_DEV_NULL,
		    child_setup, NULL, &h->bus.pid, NULL, &out, NULL, error)) {
		g_prefix_error(error, "cannot start dbus-daemon: ");
		if (*error)
			(*error)->code = BCERROR_ENVIRONMENT;
		g_free(confarg);
		g_free(sim);
		g_free(simhost_stop(h));
		return false;
	}
	g_free(confarg);
	h->bus.watch = g_child_watch_add(h->bus.pid, child_exited, &h->bus);
	if (!read_address(out, &h->address, error)) {
		close(out);
		g_free(sim);
		g_free(simhost_stop(h));
		return false;
	}
	close(out);

	sargv = g_ptr_array_new();
	g_ptr_array_add(sargv, sim);
	g_ptr_array_add(sargv, (gpointer) "--bus");
	g_ptr_array_add(sargv, h->address);
	for (size_t i = 0; sim_args && sim_args[i]; i++)
		g_ptr_array_add(sargv, (gpointer)sim_args[i]);
	g_ptr_array_add(sargv, NULL);
	if (!g_spawn_async(NULL, (char **)sargv->pdata, NULL,
		    G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL, &h->sim.pid,
		    error)) {
		g_prefix_error(error, "cannot start %s: ", sim);
		g_ptr_array_free(sargv, TRUE);
		g_free(sim);
		g_free(simhost_stop(h));
		return false;
	}
	g_ptr_array_free(sargv, TRUE);
	g_free(sim);
	h->sim.watch = g_child_watch_add(h->sim.pid, sim_exited, h);

	/* the simulator owns org.bluez once it is complete */
	bus = bus_connect(BUS_KIND_ADDRESS, h->address, error);
	if (!bus) {
		g_free(simhost_stop(h));
		return false;
	}
	watch = bus_watch_name(bus, BLUEZ_SERVICE, name_cb, &w, NULL);
	timer = g_timeout_add(START_TIMEOUT_MS, on_timeout, &w);
	while (!w.owned && !w.timeout && !h->sim.exited)
		g_main_context_iteration(NULL, TRUE);
	if (!w.timeout)
		g_source_remove(timer);
	bus_unwatch_name(bus, watch);
	bus_unref(bus);
	if (!w.owned) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"bondcheck-sim %s",
			h->sim.exited ?
				"exited at start (see its message above)" :
				"did not start in time");
		g_free(simhost_stop(h));
		return false;
	}
	return true;
}

static gboolean wait_expired(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Wait on the main loop for @c's exit, @ms at most. */
static void wait_exit(struct simchild *c, int ms)
{
	bool expired = false;
	guint t = g_timeout_add(ms, wait_expired, &expired);

	while (!c->exited && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(t);
}

/*
 * The simulator's time to exit after SIGTERM: it frees everything (and
 * under AddressSanitizer checks for leaks), which on a loaded machine took
 * more than 5 s; killing it then is a false "simulator bug".
 */
#define SIM_GRACE_MS 20000
#define BUS_GRACE_MS 5000

/*
 * SIGTERM (and SIGCONT: a stopped child acts on it now), @grace_ms for the
 * exit, then SIGKILL and 5 s more. The watch set at its start sees the
 * exit: a child that died on its own is never signalled or waited for
 * again.
 */
static void stop_child(struct simchild *c, int grace_ms, bool *killed)
{
	*killed = false;
	if (c->pid <= 0)
		return;
	if (!c->exited) {
		kill(c->pid, SIGTERM);
		kill(c->pid, SIGCONT);
		wait_exit(c, grace_ms);
	}
	if (!c->exited) {
		*killed = true;
		kill(c->pid, SIGKILL);
		wait_exit(c, 5000);
	}
	if (c->watch)
		g_source_remove(c->watch);
	c->watch = 0;
	g_spawn_close_pid(c->pid);
}

void simhost_hurry(struct simhost *h)
{
	if (h->sim.pid > 0 && !h->sim.exited)
		kill(h->sim.pid, SIGKILL);
}

char *simhost_describe_exit(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) ? g_strdup_printf("exited with "
							     "status %d",
						     WEXITSTATUS(status)) :
		                             NULL;
	if (WIFSIGNALED(status))
		return g_strdup_printf("was killed by signal %d (%s)",
			WTERMSIG(status), g_strsignal(WTERMSIG(status)));
	return g_strdup_printf("ended with wait status %d", status);
}

char *simhost_stop(struct simhost *h)
{
	char *how = NULL;
	bool killed = false, ignored;

	h->on_exit = NULL;
	stop_child(&h->sim, SIM_GRACE_MS, &killed);
	if (killed && !h->sim.exited)
		how = g_strdup_printf("did not stop within %d s of SIGTERM",
			SIM_GRACE_MS / 1000 + 5);
	else if (killed)
		how = g_strdup_printf("did not stop within %d s of SIGTERM "
				      "(killed)",
			SIM_GRACE_MS / 1000);
	else if (h->sim.pid > 0)
		how = simhost_describe_exit(h->sim.status);
	stop_child(&h->bus, BUS_GRACE_MS, &ignored);
	if (h->dir) {
		char *conf = g_build_filename(h->dir, "bus.conf", NULL);

		g_unlink(conf);
		g_free(conf);
		g_rmdir(h->dir);
	}
	g_free(h->dir);
	g_free(h->address);
	memset(h, 0, sizeof(*h));
	return how;
}
