/* SPDX-License-Identifier: MIT */
/*
 * trigger_os.c — reboot triggers through the operating system. Owns the
 * child processes and open ports it starts; cancelling kills the command's
 * process group. Never blocks: output, exit and partial writes are main-loop
 * events.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/trigger_os.h"

struct job {
	struct trigger_os *t;
	guint id;
	/* command */
	GPid pid;
	int fd[2];
	guint src[2];
	GString *part[2];
	guint child;
	int status;
	bool exited;
	/* serial */
	int tty;
	GBytes *bytes;
	gsize sent;
	guint wsrc;
	guint idle;
	GError *error;
	trigger_line_fn line;
	trigger_done_fn done;
	void *user_data;
};

struct trigger_os {
	FILE *prompt_to;
	GHashTable *jobs; /* id -> struct job */
	guint next;
};

static void reap_only(GPid pid, gint status, gpointer data)
{
	(void)status;
	(void)data;
	g_spawn_close_pid(pid);
}

static void job_free(void *data)
{
	struct job *j = data;

	for (int i = 0; i < 2; i++) {
		if (j->src[i])
			g_source_remove(j->src[i]);
		if (j->fd[i] >= 0)
			close(j->fd[i]);
		if (j->part[i])
			g_string_free(j->part[i], TRUE);
	}
	if (j->child)
		g_source_remove(j->child);
	if (j->pid > 0 && !j->exited) {
		kill(-j->pid, SIGTERM);
		/* nobody waits for it any more, but it must not stay a zombie */
		g_child_watch_add(j->pid, reap_only, NULL);
	}
	if (j->wsrc)
		g_source_remove(j->wsrc);
	if (j->idle)
		g_source_remove(j->idle);
	if (j->tty >= 0)
		close(j->tty);
	if (j->bytes)
		g_bytes_unref(j->bytes);
	g_clear_error(&j->error);
	g_free(j);
}

static struct job *job_new(struct trigger_os *t, trigger_done_fn done,
	void *user_data)
{
	struct job *j = g_new0(struct job, 1);

	j->t = t;
	j->fd[0] = j->fd[1] = j->tty = -1;
	j->done = done;
	j->user_data = user_data;
	if (++t->next == 0)
		t->next = 1;
	j->id = t->next;
	g_hash_table_insert(t->jobs, GUINT_TO_POINTER(j->id), j);
	return j;
}

static void job_finish(struct job *j)
{
	trigger_done_fn done = j->done;
	void *ud = j->user_data;
	int status = j->status;
	GError *err = j->error;

	j->error = NULL;
	j->exited = true;
	g_hash_table_remove(j->t->jobs, GUINT_TO_POINTER(j->id));
	if (done)
		done(status, err, ud);
	g_clear_error(&err);
}

/* ---- command ------------------------------------------------------------ */

static void maybe_done(struct job *j)
{
	if (j->exited && j->fd[0] < 0 && j->fd[1] < 0)
		job_finish(j);
}

static gboolean readable(gint fd, GIOCondition cond, gpointer data)
{
	struct job *j = data;
	int k = fd == j->fd[0] ? 0 : 1;
	char buf[1024];
	ssize_t n;

	(void)cond;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		if (j->part[k]->len && j->line)
			j->line(k ? "stderr" : "stdout", j->part[k]->str,
				j->user_data);
		g_string_truncate(j->part[k], 0);
		close(j->fd[k]);
		j->fd[k] = -1;
		j->src[k] = 0;
		maybe_done(j);
		return G_SOURCE_REMOVE;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			if (j->part[k]->len && j->line)
				j->line(k ? "stderr" : "stdout",
					j->part[k]->str, j->user_data);
			g_string_truncate(j->part[k], 0);
		} else if (j->part[k]->len < 4096) {
			g_string_append_c(j->part[k], buf[i]);
		}
	}
	return G_SOURCE_CONTINUE;
}

static void exited(GPid pid, gint status, gpointer data)
{
	struct job *j = data;

	g_spawn_close_pid(pid);
	j->child = 0;
	j->pid = 0;
	j->exited = true;
	j->status = WIFEXITED(status)   ? WEXITSTATUS(status) :
	            WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
	                                  -1;
	maybe_done(j);
}

static void own_group(gpointer data)
{
	(void)data;
	setpgid(0, 0);
}

static gboolean fail_idle(gpointer data)
{
	struct job *j = data;

	j->idle = 0;
	job_finish(j);
	return G_SOURCE_REMOVE;
}

static guint t_command(void *data, const char *cmd, const char *const *env,
	trigger_line_fn line, trigger_done_fn done, void *user_data)
{
	struct trigger_os *t = data;
	struct job *j = job_new(t, done, user_data);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char **envp = g_get_environ();
	bool ok;

	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		char *name = eq ? g_strndup(env[i], (gsize)(eq - env[i])) :
		                  NULL;

		if (name)
			envp = g_environ_setenv(envp, name, eq + 1, TRUE);
		g_free(name);
	}
	j->line = line;
	ok = g_spawn_async_with_pipes(NULL, (char **)argv, envp,
		G_SPAWN_DO_NOT_REAP_CHILD, own_group, NULL, &j->pid, NULL,
		&j->fd[0], &j->fd[1], &j->error);
	g_strfreev(envp);
	if (!ok) {
		j->pid = 0;
		if (j->error)
			j->error->code = BCERROR_ENVIRONMENT;
		j->idle = g_idle_add(fail_idle, j);
		return j->id;
	}
	for (int k = 0; k < 2; k++) {
		j->part[k] = g_string_new("");
		g_unix_set_fd_nonblocking(j->fd[k], TRUE, NULL);
		j->src[k] = g_unix_fd_add(j->fd[k],
			G_IO_IN | G_IO_HUP | G_IO_ERR, readable, j);
	}
	j->child = g_child_watch_add(j->pid, exited, j);
	return j->id;
}

/* ---- serial ------------------------------------------------------------- */

static bool baud_constant(int baud, speed_t *out)
{
	static const struct {
		int baud;
		speed_t c;
	} rates[] = {
		{ 9600, B9600 },
		{ 19200, B19200 },
		{ 38400, B38400 },
		{ 57600, B57600 },
		{ 115200, B115200 },
		{ 230400, B230400 },
		{ 460800, B460800 },
		{ 921600, B921600 },
		{ 1000000, B1000000 },
		{ 2000000, B2000000 },
		{ 4800, B4800 },
		{ 2400, B2400 },
		{ 1200, B1200 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rates); i++)
		if (rates[i].baud == baud) {
			*out = rates[i].c;
			return true;
		}
	return false;
}

static gboolean writable(gint fd, GIOCondition cond, gpointer data)
{
	struct job *j = data;
	gsize n;
	const char *d = g_bytes_get_data(j->bytes, &n);
	ssize_t w;

	(void)cond;
	w = write(fd, d + j->sent, n - j->sent);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (w < 0) {
		g_set_error(&j->error, BCERROR, BCERROR_IO, "writing %s: %s",
			"the serial port", g_strerror(errno));
		j->wsrc = 0;
		job_finish(j);
		return G_SOURCE_REMOVE;
	}
	j->sent += (gsize)w;
	if (j->sent < n)
		return G_SOURCE_CONTINUE;
	j->wsrc = 0;
	j->status = 0;
	job_finish(j);
	return G_SOURCE_REMOVE;
}

static guint t_serial(void *data, const char *port, int baud, GBytes *bytes,
	trigger_done_fn done, void *user_data)
{
	struct trigger_os *t = data;
	struct job *j = job_new(t, done, user_data);
	struct termios tio, got;
	speed_t speed;

	j->bytes = g_bytes_ref(bytes);
	if (!baud_constant(baud, &speed)) {
		g_set_error(&j->error, BCERROR, BCERROR_BAD_INPUT,
			"unsupported baud rate %d", baud);
		goto fail;
	}
	j->tty = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (j->tty < 0) {
		g_set_error(&j->error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot open %s: %s", port, g_strerror(errno));
		goto fail;
	}
	/* bytes at the wrong speed, or cooked by a line discipline, reach a
	 * REPL as noise and the reboot never happens: a port that does not
	 * take its settings is an error, not a write into the void */
	if (tcgetattr(j->tty, &tio) != 0) {
		g_set_error(&j->error, BCERROR, BCERROR_ENVIRONMENT,
			"%s is not a serial port: %s", port, g_strerror(errno));
		goto fail;
	}
	cfmakeraw(&tio);
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	tio.c_cflag |= CLOCAL | CREAD;
	if (tcsetattr(j->tty, TCSANOW, &tio) != 0) {
		g_set_error(&j->error, BCERROR, BCERROR_ENVIRONMENT,
			"cannot set %s to %d baud, raw: %s", port, baud,
			g_strerror(errno));
		goto fail;
	}
	/* tcsetattr succeeds when it could make any of the changes */
	if (tcgetattr(j->tty, &got) != 0 || cfgetospeed(&got) != speed ||
		(got.c_lflag & (ICANON | ECHO)) || (got.c_oflag & OPOST)) {
		g_set_error(&j->error, BCERROR, BCERROR_ENVIRONMENT,
			"%s did not take %d baud, raw", port, baud);
		goto fail;
	}
	j->wsrc = g_unix_fd_add(j->tty, G_IO_OUT, writable, j);
	return j->id;
fail:
	j->idle = g_idle_add(fail_idle, j);
	return j->id;
}

static void t_prompt(void *data, const char *text)
{
	struct trigger_os *t = data;

	if (t->prompt_to) {
		fprintf(t->prompt_to, "\n>>> %s\n", text);
		fflush(t->prompt_to);
	}
}

static void t_cancel(void *data, guint id)
{
	struct trigger_os *t = data;

	g_hash_table_remove(t->jobs, GUINT_TO_POINTER(id));
}

const struct trigger_ops trigger_os_ops = {
	.command = t_command,
	.serial = t_serial,
	.prompt = t_prompt,
	.cancel = t_cancel,
};

struct trigger_os *trigger_os_new(FILE *prompt_to)
{
	struct trigger_os *t = g_new0(struct trigger_os, 1);

	t->prompt_to = prompt_to;
	t->jobs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
		job_free);
	return t;
}

void trigger_os_free(struct trigger_os *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->jobs);
	g_free(t);
}
