/* SPDX-License-Identifier: MIT */
/*
 * check_dlog.c — bondcheckd's log lines and its messages to systemd: the
 * syslog priority of each GLib level, the "<N>" prefix only when stderr is
 * the journal's stream, and readiness/stopping sent to NOTIFY_SOCKET (a test
 * socket standing for systemd's).
 */
#include <check.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "bondcheck/dlog.h"
#include "bondcheck/names.h"
#include "helpers/testutil.h"
#include "suites.h"

static const struct {
	GLogLevelFlags level;
	int priority;
	const char *journal;
	const char *plain;
} levels[] = {
	{ G_LOG_LEVEL_ERROR, LOG_ERR, "<3>m\n", "bondcheckd: error: m\n" },
	{ G_LOG_LEVEL_CRITICAL, LOG_CRIT, "<2>m\n",
		"bondcheckd: critical: m\n" },
	{ G_LOG_LEVEL_WARNING, LOG_WARNING, "<4>m\n",
		"bondcheckd: warning: m\n" },
	{ G_LOG_LEVEL_MESSAGE, LOG_NOTICE, "<5>m\n", "bondcheckd: m\n" },
	{ G_LOG_LEVEL_INFO, LOG_INFO, "<6>m\n", "bondcheckd: m\n" },
	{ G_LOG_LEVEL_DEBUG, LOG_DEBUG, "<7>m\n", "bondcheckd: debug: m\n" },
	{ G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL, LOG_WARNING, "<4>m\n",
		"bondcheckd: warning: m\n" },
};

START_TEST(each_glib_level_has_its_syslog_priority)
{
	char *j = dlog_format(levels[_i].level, "m", true);
	char *p = dlog_format(levels[_i].level, "m", false);

	ck_assert_int_eq(dlog_priority(levels[_i].level), levels[_i].priority);
	ck_assert_str_eq(j, levels[_i].journal);
	ck_assert_str_eq(p, levels[_i].plain);
	g_free(j);
	g_free(p);
}
END_TEST

START_TEST(only_the_stream_journal_stream_names_is_the_journal)
{
	int fds[2];
	struct stat st;
	char *js;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(fstat(fds[1], &st), 0);
	js = g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev,
		(unsigned long long)st.st_ino);
	g_setenv("JOURNAL_STREAM", js, TRUE);
	ck_assert(dlog_fd_is_journal(fds[1]));
	{
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		ck_assert(!dlog_fd_is_journal(null)); /* another file */
		close(null);
	}
	g_setenv("JOURNAL_STREAM", "1:2", TRUE);
	ck_assert(!dlog_fd_is_journal(fds[1]));
	g_setenv("JOURNAL_STREAM", "garbage", TRUE);
	ck_assert(!dlog_fd_is_journal(fds[1]));
	g_setenv("JOURNAL_STREAM", "", TRUE);
	ck_assert(!dlog_fd_is_journal(fds[1]));
	g_unsetenv("JOURNAL_STREAM");
	ck_assert(!dlog_fd_is_journal(fds[1]));
	close(fds[0]);
	close(fds[1]);
	g_free(js);
}
END_TEST

/* ---- bondcheckd under a stand-in systemd -------------------------------- */

struct stand_in {
	struct testbus tb;
	char *dir;
	int notify_fd;  /* our end of NOTIFY_SOCKET */
	int err_fd;     /* read end of the daemon's stderr */
	GString *notes; /* datagrams received, one per line */
	GString *err;   /* what the daemon wrote on stderr */
	GPid pid;
	guint watch[2];
};

static gboolean on_notify(int fd, GIOCondition cond, gpointer data)
{
	struct stand_in *s = data;
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	(void)cond;
	if (n > 0) {
		buf[n] = '\0';
		g_string_append_printf(s->notes, "%s\n", buf);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_err(int fd, GIOCondition cond, gpointer data)
{
	struct stand_in *s = data;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	if (n > 0) {
		g_string_append_len(s->err, buf, n);
		return G_SOURCE_CONTINUE;
	}
	s->watch[1] = 0;
	return G_SOURCE_REMOVE; /* EOF: the daemon is gone */
}

static void die_with_test(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Start bondcheckd with NOTIFY_SOCKET and, when @journal, JOURNAL_STREAM
 * naming its stderr pipe — what systemd gives a service. */
static void stand_in_start(struct stand_in *s, bool journal)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *prog = test_prog("bondcheckd");
	char *sock, *conf;
	char **env;
	int pipefd[2];
	struct stat st;
	GError *err = NULL;

	memset(s, 0, sizeof(*s));
	ck_assert(testbus_start(&s->tb));
	s->dir = g_dir_make_tmp("bc-dlog-XXXXXX", NULL);
	sock = g_build_filename(s->dir, "notify", NULL);
	ck_assert(strlen(sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock));
	s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->notify_fd, 0);
	ck_assert_int_eq(bind(s->notify_fd, (struct sockaddr *)&sa, sizeof(sa)),
		0);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	ck_assert_int_eq(fstat(pipefd[1], &st), 0);
	s->err_fd = pipefd[0];
	s->notes = g_string_new("");
	s->err = g_string_new("");
	conf = g_build_filename(s->dir, "none.conf", NULL);

	env = g_get_environ();
	env = g_environ_setenv(env, "NOTIFY_SOCKET", sock, TRUE);
	env = g_environ_unsetenv(env, "G_MESSAGES_DEBUG");
	if (journal) {
		char *js = g_strdup_printf("%llu:%llu",
			(unsigned long long)st.st_dev,
			(unsigned long long)st.st_ino);

		env = g_environ_setenv(env, "JOURNAL_STREAM", js, TRUE);
		g_free(js);
	} else {
		env = g_environ_unsetenv(env, "JOURNAL_STREAM");
	}
	{
		const char *argv[] = { prog, "--bus", s->tb.address,
			"--state-dir", s->dir, NULL };

		ck_assert_msg(g_spawn_async_with_pipes_and_fds(NULL, argv,
				      (const char *const *)env,
				      G_SPAWN_DO_NOT_REAP_CHILD, die_with_test,
				      NULL, -1, -1, pipefd[1], NULL, NULL, 0,
				      &s->pid, NULL, NULL, NULL, &err),
			"%s", err ? err->message : "");
	}
	close(pipefd[1]);
	s->watch[0] = g_unix_fd_add(s->notify_fd, G_IO_IN, on_notify, s);
	s->watch[1] = g_unix_fd_add(s->err_fd, G_IO_IN | G_IO_HUP, on_err, s);
	g_strfreev(env);
	g_free(conf);
	g_free(sock);
	g_free(prog);
}

static void stand_in_stop(struct stand_in *s)
{
	char *sock = g_build_filename(s->dir, "notify", NULL);
	char *none = g_build_filename(s->dir, "none.conf", NULL);

	if (s->pid > 0)
		test_kill(s->pid);
	for (int i = 0; i < 2; i++)
		if (s->watch[i])
			g_source_remove(s->watch[i]);
	close(s->notify_fd);
	close(s->err_fd);
	testbus_stop(&s->tb);
	unlink(sock);
	unlink(none);
	rmdir(s->dir);
	g_string_free(s->notes, TRUE);
	g_string_free(s->err, TRUE);
	g_free(s->dir);
	g_free(sock);
	g_free(none);
}

struct has {
	GString *in;
	const char *what;
};

static bool contains(void *data)
{
	struct has *h = data;

	return strstr(h->in->str, h->what) != NULL;
}

static bool wait_for(GString *in, const char *what)
{
	struct has h = { in, what };

	return test_wait(contains, &h, 10000);
}

/* Started, and it told "systemd" it is ready. */
static void stand_in_ready(struct stand_in *s, bool journal)
{
	stand_in_start(s, journal);
	ck_assert_msg(wait_for(s->notes, "READY=1\n"), "notes: %s\nstderr: %s",
		s->notes->str, s->err->str);
}

static bool err_closed(void *data)
{
	return ((struct stand_in *)data)->watch[1] == 0;
}

START_TEST(the_daemon_says_ready_and_stopping_to_systemd_with_priorities)
{
	struct stand_in s;

	stand_in_ready(&s, true);
	ck_assert_msg(wait_for(s.err,
			      "<5>bondcheckd " BONDCHECK_VERSION " ready on "),
		"%s", s.err->str);
	ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
	ck_assert_msg(wait_for(s.notes, "STOPPING=1\n"), "%s", s.notes->str);
	ck_assert_msg(wait_for(s.err, "<5>stopping: cancelling runs\n"), "%s",
		s.err->str);
	ck_assert_int_eq(test_signal_wait(s.pid, 0, 10000), 0);
	s.pid = 0;
	/* all of it (its stderr closed), every line with a priority: GLib's
	 * "** Message:" is gone */
	ck_assert(test_wait(err_closed, &s, 10000));
	ck_assert_msg(g_regex_match_simple("^(<[0-7]>[^\n]*\n)+$", s.err->str,
			      0, 0),
		"a line without a priority:\n%s", s.err->str);
	stand_in_stop(&s);
}
END_TEST

START_TEST(losing_the_bus_is_a_warning_and_exit_3)
{
	struct stand_in s;

	stand_in_ready(&s, true);
	testbus_stop(&s.tb);
	ck_assert_msg(wait_for(s.err, "<4>lost the bus connection\n"), "%s",
		s.err->str);
	ck_assert_int_eq(test_signal_wait(s.pid, 0, 10000), 3);
	s.pid = 0;
	stand_in_stop(&s);
}
END_TEST

START_TEST(off_the_journal_lines_are_for_people)
{
	struct stand_in s;

	stand_in_ready(&s, false);
	ck_assert_msg(wait_for(s.err,
			      "bondcheckd: bondcheckd " BONDCHECK_VERSION
			      " ready on "),
		"%s", s.err->str);
	ck_assert_ptr_null(strchr(s.err->str, '<'));
	stand_in_stop(&s);
}
END_TEST

Suite *dlog_suite(void)
{
	Suite *s = suite_create("dlog");
	TCase *tc = tcase_create("format");
	TCase *sd = tcase_create("systemd");

	tcase_add_loop_test(tc, each_glib_level_has_its_syslog_priority, 0,
		G_N_ELEMENTS(levels));
	tcase_add_test(tc, only_the_stream_journal_stream_names_is_the_journal);
	suite_add_tcase(s, tc);

	tcase_set_timeout(sd, 60);
	tcase_add_test(sd,
		the_daemon_says_ready_and_stopping_to_systemd_with_priorities);
	tcase_add_test(sd, losing_the_bus_is_a_warning_and_exit_3);
	tcase_add_test(sd, off_the_journal_lines_are_for_people);
	suite_add_tcase(s, sd);
	return s;
}
