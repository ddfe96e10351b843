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

static void sim_exited(GPid pid, gint status, gpointer data)
{
	struct simhost *h = data;

	(void)pid;
	h->sim_exited = true;
	h->sim_status = status;
	h->sim_watch = 0;
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
		    child_setup, NULL, &h->bus_pid, NULL, &out, NULL, error)) {
		g_prefix_error(error, "cannot start dbus-daemon: ");
		if (*error)
			(*error)->code = BCERROR_ENVIRONMENT;
		g_free(confarg);
		g_free(sim);
		simhost_stop(h);
		return false;
	}
	g_free(confarg);
	if (!read_address(out, &h->address, error)) {
		close(out);
		g_free(sim);
		simhost_stop(h);
		return false;
	}
	close(out);

	sargv = g_ptr_array_new();
	g_ptr_array_add(sargv, sim);
	g_ptr_array_add(sargv, (gpointer)"--bus");
	g_ptr_array_add(sargv, h->address);
	for (size_t i = 0; sim_args && sim_args[i]; i++)
		g_ptr_array_add(sargv, (gpointer)sim_args[i]);
	g_ptr_array_add(sargv, NULL);
	if (!g_spawn_async(NULL, (char **)sargv->pdata, NULL,
		    G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL, &h->sim_pid,
		    error)) {
		g_prefix_error(error, "cannot start %s: ", sim);
		g_ptr_array_free(sargv, TRUE);
		g_free(sim);
		simhost_stop(h);
		return false;
	}
	g_ptr_array_free(sargv, TRUE);
	g_free(sim);
	h->sim_watch = g_child_watch_add(h->sim_pid, sim_exited, h);

	/* the simulator owns org.bluez once it is complete */
	bus = bus_connect(BUS_KIND_ADDRESS, h->address, error);
	if (!bus) {
		simhost_stop(h);
		return false;
	}
	watch = bus_watch_name(bus, BLUEZ_SERVICE, name_cb, &w, NULL);
	timer = g_timeout_add(START_TIMEOUT_MS, on_timeout, &w);
	while (!w.owned && !w.timeout && !h->sim_exited)
		g_main_context_iteration(NULL, TRUE);
	if (!w.timeout)
		g_source_remove(timer);
	bus_unwatch_name(bus, watch);
	bus_unref(bus);
	if (!w.owned) {
		g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
			"bondcheck-sim %s", h->sim_exited ?
				"exited at start (see its message above)" :
				"did not start in time");
		simhost_stop(h);
		return false;
	}
	return true;
}

struct reap {
	bool done;
	bool timeout;
};

static void reaped(GPid pid, gint status, gpointer data)
{
	(void)pid;
	(void)status;
	((struct reap *)data)->done = true;
}

static gboolean reap_timeout(gpointer data)
{
	((struct reap *)data)->timeout = true;
	return G_SOURCE_REMOVE;
}

/* SIGTERM, wait for the exit on the main loop (5 s at most), then SIGKILL. */
static void stop_child(GPid pid)
{
	struct reap r = { false, false };
	guint timer;

	if (pid <= 0)
		return;
	g_child_watch_add(pid, reaped, &r);
	kill(pid, SIGTERM);
	timer = g_timeout_add(5000, reap_timeout, &r);
	while (!r.done && !r.timeout)
		g_main_context_iteration(NULL, TRUE);
	if (!r.done) {
		kill(pid, SIGKILL);
		while (!r.done)
			g_main_context_iteration(NULL, TRUE);
	} else {
		g_source_remove(timer);
	}
	g_spawn_close_pid(pid);
}

void simhost_stop(struct simhost *h)
{
	if (h->sim_watch)
		g_source_remove(h->sim_watch);
	h->sim_watch = 0;
	if (!h->sim_exited)
		stop_child(h->sim_pid);
	stop_child(h->bus_pid);
	if (h->dir) {
		char *conf = g_build_filename(h->dir, "bus.conf", NULL);

		g_unlink(conf);
		g_free(conf);
		g_rmdir(h->dir);
	}
	g_free(h->dir);
	g_free(h->address);
	memset(h, 0, sizeof(*h));
}
