/* SPDX-License-Identifier: MIT */
/*
 * check_trigger_os.c — the serial reboot trigger on real terminals: the
 * bytes reach a port set to its speed and raw; a port that is not a
 * terminal, or that refuses its settings, is an error, never a write that
 * "succeeds" into the void.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bondcheck/trigger_os.h"
#include "helpers/testutil.h"
#include "suites.h"

struct done {
	bool done;
	int status;
	char *error;
};

static void on_done(int status, const GError *error, void *data)
{
	struct done *d = data;

	d->done = true;
	d->status = status;
	d->error = error ? g_strdup(error->message) : NULL;
}

static bool is_done(void *data)
{
	return ((struct done *)data)->done;
}

/* Write @text to @port at 115200 baud; what the trigger said. */
static void serial(const char *port, const char *text, struct done *d)
{
	struct trigger_os *t = trigger_os_new(NULL);
	GBytes *b = g_bytes_new(text, strlen(text));

	memset(d, 0, sizeof(*d));
	d->status = -1;
	ck_assert_uint_gt(trigger_os_ops.serial(t, port, 115200, b, on_done, d),
		0);
	ck_assert(test_wait(is_done, d, 5000));
	g_bytes_unref(b);
	trigger_os_free(t);
}

START_TEST(the_bytes_reach_a_terminal_set_raw_to_its_speed)
{
	int master, slave;
	char name[128], buf[64];
	struct termios tio;
	struct done d;
	ssize_t n;

	ck_assert_int_eq(openpty(&master, &slave, name, NULL, NULL), 0);
	serial(name, "\x03\x03reset()\r", &d);
	ck_assert_msg(d.status == 0 && !d.error, "%d %s", d.status, d.error);
	n = read(master, buf, sizeof(buf));
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(memcmp(buf, "\x03\x03reset()\r", 10), 0);
	ck_assert_int_eq(tcgetattr(slave, &tio), 0);
	ck_assert_uint_eq(cfgetospeed(&tio), B115200);
	ck_assert_uint_eq(tio.c_lflag & (ICANON | ECHO), 0);
	ck_assert_uint_eq(tio.c_oflag & OPOST, 0);
	close(slave);
	close(master);
}
END_TEST

START_TEST(a_port_that_is_not_a_terminal_is_an_error)
{
	struct done d;

	/* before: "written", status 0, and the run waited for a reboot */
	serial("/dev/null", "\x03\x03reset()\r", &d);
	ck_assert_msg(d.error && strstr(d.error, "/dev/null is not a serial "
						 "port"),
		"%s", d.error);
	g_free(d.error);
}
END_TEST

/*
 * A terminal that refuses tcsetattr: the process is in a background
 * process group of the terminal's session, and that group is orphaned (its
 * parent is outside the session), so the kernel answers EIO; tcgetattr
 * still works. Done in a child with a session of its own.
 */
START_TEST(a_terminal_that_refuses_its_settings_is_an_error)
{
	int master, slave, status;
	char name[128];
	pid_t pid;

	ck_assert_int_eq(openpty(&master, &slave, name, NULL, NULL), 0);
	close(slave);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct done d;
		pid_t fg;
		int ctty;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setsid() < 0)
			_exit(10);
		/* a session leader's first terminal becomes its own */
		ctty = open(name, O_RDWR);
		if (ctty < 0)
			_exit(11);
		fg = fork();
		if (fg == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			setpgid(0, 0);
			pause();
			_exit(0);
		}
		setpgid(fg, fg);
		if (tcsetpgrp(ctty, fg) < 0)
			_exit(12);
		serial(name, "\x03\x03reset()\r", &d);
		kill(fg, SIGKILL);
		if (!d.error)
			_exit(13);
		_exit(strstr(d.error, "cannot set") &&
					strstr(d.error, "115200 baud") ?
				0 :
				14);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"child status %d", status);
	close(master);
}
END_TEST

Suite *trigger_os_suite(void)
{
	Suite *s = suite_create("trigger_os");
	TCase *tc = tcase_create("serial");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, the_bytes_reach_a_terminal_set_raw_to_its_speed);
	tcase_add_test(tc, a_port_that_is_not_a_terminal_is_an_error);
	tcase_add_test(tc, a_terminal_that_refuses_its_settings_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
