/* SPDX-License-Identifier: MIT */
/*
 * bridge.c — bondcheck-bridge: a user's own BLE stack as the DUT on a
 * btvirt controller of the QEMU guest (doc/own-firmware.md).
 *
 *   bondcheck-bridge run --controller hci1 --dut-cmd 'CMD ARGS' ...
 *   bondcheck-bridge reboot [hard|graceful] [--ctl PATH]
 *   bondcheck-bridge relay --index N
 *
 * `run` takes the controller's HCI user channel, gives the DUT either an
 * H4 pty (stacks that expect a UART: $BONDCHECK_DUT_TTY, $MICROPYBTUART)
 * or a controller of its own to open as an HCI user channel
 * ($BONDCHECK_DUT_HCI, made with /dev/vhci and left unconfigured so that
 * bluetoothd keeps off it), starts the DUT's command, and passes every
 * packet through hcibridge.c, which covers btvirt's gaps. A `reboot`
 * (from bondcheck's --reboot-cmd) restarts the DUT the way a board
 * restarts: graceful — the bridge disconnects the links (0x13), lets the
 * firmware handle that, stops it, starts it; hard — the process is killed
 * with the links up and the central sees them time out (0x08) after their
 * supervision timeout, as it would when a board loses power.
 *
 * `relay` is a DUT for the bridge's own tests: it opens a user channel
 * and makes a new kernel controller of it (/dev/vhci), so that bluetoothd
 * and bondcheck-vmdut can play the firmware behind the user-channel path.
 *
 * Every step is one line on stderr. The DUT's stdout and stderr go to
 * --dut-log; --trace writes the packets as the DUT saw them (btsnoop,
 * H4), before any shim.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/duration.h"
#include "hcibridge.h"
#include "vmsay.h"

#ifndef AF_BLUETOOTH
#define AF_BLUETOOTH 31
#endif
#define BTPROTO_HCI         1
#define HCI_DEV_NONE        0xffff
#define HCI_CHANNEL_USER    1
#define HCI_CHANNEL_CONTROL 3

struct sockaddr_hci {
	sa_family_t hci_family;
	unsigned short hci_dev;
	unsigned short hci_channel;
};

/* mgmt (the kernel's management interface): commands and events */
#define MGMT_OP_READ_INDEX_LIST        0x0003
#define MGMT_OP_SET_POWERED            0x0005
#define MGMT_OP_READ_UNCONF_INDEX_LIST 0x0036
#define MGMT_EV_CMD_COMPLETE           0x0001
#define MGMT_EV_CMD_STATUS             0x0002
#define MGMT_EV_INDEX_ADDED            0x0004
#define MGMT_EV_DEVICE_FOUND           0x0012
#define MGMT_EV_DISCOVERING            0x0013
#define MGMT_EV_UNCONF_INDEX_ADDED     0x001d

#define OP_RESET                 0x0c03
#define OP_READ_BD_ADDR          0x1009
#define VHCI_CREATE_UNCONFIGURED 0x40

#define DEFAULT_CTL        "/run/bondcheck-bridge.sock"
#define BIND_TRIES         50
#define BIND_AGAIN_MS      100
#define MGMT_STATUS_BUSY   0x0a
#define UNSEEN_MS          300 /* a scanner's first report's chance */
#define DISCONNECT_WAIT_MS 5000
#define TERM_WAIT_MS       3000
#define QUICK_EXIT_US      ((gint64)2 * G_USEC_PER_SEC)
#define QUICK_EXITS_MAX    3

enum transport {
	TRANSPORT_H4_PTY,
	TRANSPORT_USER_CHANNEL,
};

enum kind {
	KIND_HARD,
	KIND_GRACEFUL,
};

enum state {
	STATE_BINDING,   /* waiting for the controller */
	STATE_WAIT_VHCI, /* the DUT's own controller is being set up */
	STATE_RUNNING,
	STATE_DISCONNECTING, /* graceful: the links are being closed */
	STATE_GRACE,         /* graceful: the firmware handles that */
	STATE_STOPPING,      /* SIGTERM or SIGKILL sent */
	STATE_POWER_OFF,     /* no process; the links time out */
	STATE_RESETTING,     /* HCI Reset before the next boot */
	STATE_DEAD,          /* it keeps exiting: no more restarts */
};

struct bridge {
	GMainLoop *loop;
	struct hcib *hcib;
	enum state state;
	int status;
	/* the controller */
	int ctrl_index;
	int ctrl_fd;
	guint ctrl_watch;
	int bind_tries;
	guint bind_timer;
	/* the DUT's side */
	enum transport transport;
	int pty_master;
	int pty_slave;
	char *pty_path;
	guint pty_watch;
	struct h4_reader *h4;
	int vhci_fd;
	int vhci_index;
	guint vhci_watch;
	GArray *unconf; /* unconfigured indexes seen (int) */
	/* the kernel's management interface */
	int mgmt_fd;
	guint mgmt_watch;
	int scanner; /* an index discovering, -1 */
	guint unseen_timer;
	/* the DUT process */
	char *cmd;
	char *dir;
	char *log_path;
	int log_fd;
	GPid pid;
	guint child_watch;
	unsigned boots;
	gint64 started_us;
	unsigned quick_exits;
	/* reboots */
	enum kind default_kind;
	enum kind kind;
	int64_t grace_ms;
	guint timer;
	int client_fd;  /* the reboot request being served */
	GString *story; /* what this reboot did, for the reply */
	gint64 reboot_us;
	/* the control socket */
	char *ctl_path;
	int ctl_fd;
	guint ctl_watch;
	/* results */
	FILE *trace;
	char *ready_fifo;
	bool told_ready;
};

static struct bridge B;

static const char *state_to_str(enum state s)
{
	switch (s) {
	case STATE_BINDING: return "binding";
	case STATE_WAIT_VHCI: return "wait-vhci";
	case STATE_RUNNING: return "running";
	case STATE_DISCONNECTING: return "disconnecting";
	case STATE_GRACE: return "grace";
	case STATE_STOPPING: return "stopping";
	case STATE_POWER_OFF: return "power-off";
	case STATE_RESETTING: return "resetting";
	case STATE_DEAD: return "dead";
	}
	return "?";
}

static const char *transport_to_str(enum transport t)
{
	switch (t) {
	case TRANSPORT_H4_PTY: return "an H4 pty";
	case TRANSPORT_USER_CHANNEL: return "an HCI user channel";
	}
	return "?";
}

static const char *kind_to_str(enum kind k)
{
	switch (k) {
	case KIND_HARD: return "hard";
	case KIND_GRACEFUL: return "graceful";
	}
	return "?";
}

G_GNUC_PRINTF(1, 2)
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vsay("bridge", fmt, ap);
	va_end(ap);
}

G_GNUC_PRINTF(1, 2)
static void story(const char *fmt, ...)
{
	va_list ap;

	if (!B.story)
		return;
	if (B.story->len)
		g_string_append(B.story, "; ");
	va_start(ap, fmt);
	g_string_append_vprintf(B.story, fmt, ap);
	va_end(ap);
}

static void enter_state(enum state s)
{
	if (B.state == s)
		return;
	say("state %s -> %s", state_to_str(B.state), state_to_str(s));
	B.state = s;
}

static void fatal(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void fatal(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	say("FATAL %s", msg);
	g_free(msg);
	B.status = BC_EXIT_ENV;
	g_main_loop_quit(B.loop);
}

static void clear_timer(guint *t)
{
	if (*t)
		g_source_remove(*t);
	*t = 0;
}

/* ---- the btsnoop trace of the DUT's side -------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void trace_open(const char *path)
{
	/* btsnoop version 1, datalink 1002: HCI UART (H4) */
	static const uint8_t head[16] = { 'b', 't', 's', 'n', 'o', 'o', 'p', 0,
		0, 0, 0, 1, 0, 0, 0x03, 0xea };

	B.trace = fopen(path, "we");
	if (!B.trace) {
		say("cannot write %s: %s", path, g_strerror(errno));
		return;
	}
	fwrite(head, 1, sizeof(head), B.trace);
	fflush(B.trace);
}

static void trace(bool to_dut, const uint8_t *pkt, size_t len)
{
	uint8_t rec[24];
	/* microseconds since year 0, as btsnoop counts */
	uint64_t ts = (uint64_t)g_get_real_time() + 0x00dcddb30f2f8000ULL;
	uint32_t flags = to_dut ? 1 : 0;

	if (!B.trace || !len)
		return;
	if (pkt[0] == HCIB_PKT_CMD || pkt[0] == HCIB_PKT_EVT)
		flags |= 2;
	put32(rec, (uint32_t)len);
	put32(rec + 4, (uint32_t)len);
	put32(rec + 8, flags);
	put32(rec + 12, 0);
	put32(rec + 16, (uint32_t)(ts >> 32));
	put32(rec + 20, (uint32_t)ts);
	fwrite(rec, 1, sizeof(rec), B.trace);
	fwrite(pkt, 1, len, B.trace);
	fflush(B.trace);
}

/* ---- hcibridge's callbacks ---------------------------------------------- */

static void write_packet(int fd, const uint8_t *pkt, size_t len,
	const char *what)
{
	ssize_t n = write(fd, pkt, len);

	if (n < 0)
		say("write to %s: %s (packet 0x%02x dropped)", what,
			g_strerror(errno), pkt[0]);
	else if ((size_t)n != len)
		say("write to %s: %zd of %zu bytes", what, n, len);
}

static void br_send(enum hcib_side to, const uint8_t *pkt, size_t len,
	void *data)
{
	(void)data;
	if (to == HCIB_SIDE_CTRL) {
		if (B.ctrl_fd >= 0)
			write_packet(B.ctrl_fd, pkt, len, "the controller");
		return;
	}
	trace(true, pkt, len);
	if (B.transport == TRANSPORT_H4_PTY && B.pty_master >= 0)
		write_packet(B.pty_master, pkt, len, "the DUT's pty");
	else if (B.transport == TRANSPORT_USER_CHANNEL && B.vhci_fd >= 0)
		write_packet(B.vhci_fd, pkt, len, "the DUT's controller");
}

static void br_log(const char *line, void *data)
{
	(void)data;
	say("%s", line);
	if (g_str_has_prefix(line, "shim "))
		story("%s", line);
}

static void terminate(void);

static void tell_ready(const char *address)
{
	int fd;
	char *line;

	if (B.told_ready || !B.ready_fifo)
		return;
	B.told_ready = true;
	/* the guest script blocks reading it until the DUT advertises */
	fd = open(B.ready_fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		say("cannot open %s: %s", B.ready_fifo, g_strerror(errno));
		return;
	}
	line = g_strdup_printf("ready %s\n", address[0] ? address : "?");
	if (write(fd, line, strlen(line)) < 0)
		say("write %s: %s", B.ready_fifo, g_strerror(errno));
	close(fd);
	g_free(line);
}

static void br_advertising(const char *address, void *data)
{
	(void)data;
	tell_ready(address);
	if (B.state == STATE_GRACE) {
		story("the firmware advertised again %" G_GINT64_FORMAT
		      " ms after its disconnect",
			(g_get_monotonic_time() - B.reboot_us) / 1000);
		clear_timer(&B.timer);
		terminate();
	}
}

static void reset_controller(void);
static void enter_grace(void);

static void br_links_down(void *data)
{
	(void)data;
	if (B.state == STATE_DISCONNECTING) {
		clear_timer(&B.timer);
		enter_grace();
	} else if (B.state == STATE_POWER_OFF) {
		clear_timer(&B.timer);
		reset_controller();
	}
}

static const struct hcib_ops br_ops = {
	br_send,
	br_log,
	br_advertising,
	br_links_down,
};

/* ---- the DUT process ---------------------------------------------------- */

static void close_pty(void)
{
	clear_timer(&B.pty_watch);
	if (B.pty_master >= 0)
		close(B.pty_master);
	if (B.pty_slave >= 0)
		close(B.pty_slave);
	B.pty_master = B.pty_slave = -1;
	g_clear_pointer(&B.pty_path, g_free);
}

static gboolean on_pty(gint fd, GIOCondition cond, gpointer data);

static void h4_packet(const uint8_t *pkt, size_t len, void *data)
{
	(void)data;
	trace(false, pkt, len);
	hcib_input(B.hcib, HCIB_SIDE_DUT, pkt, len);
}

static gboolean on_pty(gint fd, GIOCondition cond, gpointer data)
{
	uint8_t buf[4096];
	ssize_t n;

	(void)data;
	(void)cond;
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		size_t skipped = h4_reader_feed(B.h4, buf, (size_t)n, h4_packet,
			NULL);

		if (skipped)
			say("%zu byte(s) from the DUT that start no H4 packet "
			    "skipped",
				skipped);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	/* we hold the slave open, so this is not the DUT closing it */
	say("the DUT's pty: %s", n ? g_strerror(errno) : "end of file");
	B.pty_watch = 0;
	return G_SOURCE_REMOVE;
}

static bool open_pty(void)
{
	struct termios t;
	char name[64];

	B.pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (B.pty_master < 0 || grantpt(B.pty_master) < 0 ||
		unlockpt(B.pty_master) < 0 ||
		ptsname_r(B.pty_master, name, sizeof(name))) {
		say("cannot make a pty: %s", g_strerror(errno));
		close_pty();
		return false;
	}
	/*
	 * The bridge keeps the slave open too: a DUT that closes and reopens
	 * its tty does not hang the master up. Raw, whatever the DUT sets.
	 */
	B.pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (B.pty_slave < 0 || tcgetattr(B.pty_slave, &t) < 0) {
		say("cannot open %s: %s", name, g_strerror(errno));
		close_pty();
		return false;
	}
	cfmakeraw(&t);
	if (tcsetattr(B.pty_slave, TCSANOW, &t) < 0)
		say("tcsetattr %s: %s", name, g_strerror(errno));
	g_unix_set_fd_nonblocking(B.pty_master, TRUE, NULL);
	B.pty_path = g_strdup(name);
	h4_reader_reset(B.h4);
	B.pty_watch = g_unix_fd_add(B.pty_master, G_IO_IN | G_IO_HUP | G_IO_ERR,
		on_pty, NULL);
	return true;
}

/* One formatted write to @fd (the DUT's log, a control client). */
static void fd_line(int fd, const char *what, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static void fd_line(int fd, const char *what, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (write(fd, line, strlen(line)) < 0)
		say("write to %s: %s", what, g_strerror(errno));
	g_free(line);
}

#define dut_log_line(...) fd_line(B.log_fd, "the DUT's log", __VA_ARGS__)

static void power_loss(void);

static void on_child(GPid pid, gint status, gpointer data)
{
	char *how;
	gint64 ran = g_get_monotonic_time() - B.started_us;

	(void)data;
	B.child_watch = 0;
	g_spawn_close_pid(pid);
	B.pid = 0;
	clear_timer(&B.timer);
	/*
	 * Whatever else of its process group is left goes with it, and the
	 * next boot waits until all of it is gone (the bridge is their
	 * subreaper): a stack whose pieces outlive it would still hold the
	 * tty or the user channel the next boot needs. SIGKILL: it is quick.
	 */
	kill(-pid, SIGKILL);
	for (;;) {
		pid_t r = waitpid(-pid, NULL, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
	}
	how = WIFSIGNALED(status) ?
	              g_strdup_printf("killed by signal %d", WTERMSIG(status)) :
	              g_strdup_printf("exit status %d", WEXITSTATUS(status));
	say("the DUT (boot %u, pid %d) ended: %s after %" G_GINT64_FORMAT " ms",
		B.boots, (int)pid, how, ran / 1000);
	dut_log_line("=== bondcheck-bridge: the DUT ended: %s ===\n", how);
	hcib_set_dut_present(B.hcib, false);
	if (B.transport == TRANSPORT_H4_PTY)
		close_pty();
	if (B.state == STATE_RUNNING) {
		/* it stopped by itself: a firmware that resets or crashes */
		say("the DUT stopped by itself: a reset, as a watchdog would "
		    "do it");
		B.quick_exits = ran < QUICK_EXIT_US ? B.quick_exits + 1 : 0;
		if (B.quick_exits >= QUICK_EXITS_MAX) {
			say("it ended within %d s of its start %u times in a "
			    "row: not restarting it",
				(int)(QUICK_EXIT_US / G_USEC_PER_SEC),
				B.quick_exits);
			hcib_radio_off(B.hcib);
			hcib_disconnect_all(B.hcib, HCIB_REASON_TIMEOUT, false);
			enter_state(STATE_DEAD);
			g_free(how);
			return;
		}
		B.reboot_us = g_get_monotonic_time();
	} else {
		story("the firmware %s", how);
	}
	g_free(how);
	power_loss();
}

static void child_setup(gpointer data)
{
	(void)data;
	/* its own process group: a reboot takes the shell and its children */
	setsid();
	signal(SIGPIPE, SIG_DFL);
}

static bool start_dut(void)
{
	char **env = g_get_environ();
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", B.cmd, NULL };
	char *boot = g_strdup_printf("%u", B.boots + 1);
	GError *err = NULL;
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = B.log_fd >= 0 ? B.log_fd : STDERR_FILENO;
	GPid pid;
	bool ok;

	if (B.transport == TRANSPORT_H4_PTY && !open_pty()) {
		g_strfreev(env);
		g_free(boot);
		if (null_fd >= 0)
			close(null_fd);
		return false;
	}
	env = g_environ_setenv(env, "BONDCHECK_DUT_BOOT", boot, TRUE);
	/* the controller's: what a DUT advertising its public address is */
	env = g_environ_setenv(env, "BONDCHECK_DUT_ADDRESS",
		hcib_public_address(B.hcib), TRUE);
	if (B.transport == TRANSPORT_H4_PTY) {
		env = g_environ_setenv(env, "BONDCHECK_DUT_TTY", B.pty_path,
			TRUE);
		/* MicroPython's unix port takes its HCI UART from here */
		env = g_environ_setenv(env, "MICROPYBTUART", B.pty_path, TRUE);
	} else {
		char *hci = g_strdup_printf("hci%d", B.vhci_index);
		char *idx = g_strdup_printf("%d", B.vhci_index);

		env = g_environ_setenv(env, "BONDCHECK_DUT_HCI", hci, TRUE);
		env = g_environ_setenv(env, "BONDCHECK_DUT_HCI_INDEX", idx,
			TRUE);
		g_free(hci);
		g_free(idx);
	}
	dut_log_line("=== bondcheck-bridge: boot %u: %s (%s %s) ===\n",
		B.boots + 1, B.cmd,
		B.transport == TRANSPORT_H4_PTY ? "H4 on" :
						  "HCI user channel on",
		B.transport == TRANSPORT_H4_PTY ? B.pty_path : "hciN");
	ok = g_spawn_async_with_pipes_and_fds(B.dir, (const char *const *)argv,
		(const char *const *)env, G_SPAWN_DO_NOT_REAP_CHILD,
		child_setup, NULL, null_fd, out, out, NULL, NULL, 0, &pid, NULL,
		NULL, NULL, &err);
	g_strfreev(env);
	g_free(boot);
	if (null_fd >= 0)
		close(null_fd);
	if (!ok) {
		say("cannot start the DUT: %s", err->message);
		g_error_free(err);
		if (B.transport == TRANSPORT_H4_PTY)
			close_pty();
		return false;
	}
	B.pid = pid;
	B.boots++;
	B.started_us = g_get_monotonic_time();
	B.child_watch = g_child_watch_add(pid, on_child, NULL);
	hcib_set_dut_present(B.hcib, true);
	say("boot %u: pid %d, %s", B.boots, (int)pid,
		B.transport == TRANSPORT_H4_PTY ? B.pty_path : "user channel");
	enter_state(STATE_RUNNING);
	return true;
}

/* ---- reboots ------------------------------------------------------------ */

/* The answer to the reboot request being served: one line, then EOF. */
static void reply(const char *line)
{
	if (B.client_fd < 0)
		return;
	fd_line(B.client_fd, "the reboot client", "%s\n", line);
	close(B.client_fd);
	B.client_fd = -1;
}

static void reset_done(int status, void *data)
{
	(void)data;
	if (B.state != STATE_RESETTING)
		return;
	if (status)
		say("HCI Reset: status 0x%02x", status);
	if (!start_dut()) {
		enter_state(STATE_DEAD);
		reply("error the DUT did not start again (see the bridge's "
		      "log)");
		return;
	}
	story("boot %u started", B.boots);
	if (B.story) {
		say("reboot done: %s", B.story->str);
		g_string_prepend(B.story, "ok ");
		reply(B.story->str);
		g_string_free(B.story, TRUE);
		B.story = NULL;
	}
}

static void reset_controller(void)
{
	enter_state(STATE_RESETTING);
	/* a clean controller for the next boot, as after power-on */
	hcib_command(B.hcib, OP_RESET, NULL, 0, reset_done, NULL);
}

static gboolean supervision_over(gpointer data)
{
	(void)data;
	B.timer = 0;
	story("after %" G_GINT64_FORMAT " ms without the DUT the links timed "
	      "out (0x08)",
		(g_get_monotonic_time() - B.reboot_us) / 1000);
	if (!hcib_disconnect_all(B.hcib, HCIB_REASON_TIMEOUT, false))
		reset_controller();
	return G_SOURCE_REMOVE;
}

/*
 * The DUT's process is gone, as a board without power: the radio goes
 * quiet at once, the links stay up on the central's side until their
 * supervision timeout runs out (btvirt has none of its own), then the
 * controller is reset for the next boot.
 */
static void power_loss(void)
{
	unsigned ms;
	gint64 gone;

	enter_state(STATE_POWER_OFF);
	hcib_radio_off(B.hcib);
	if (!hcib_links(B.hcib)) {
		reset_controller();
		return;
	}
	/* the silence began when the DUT died, not when we noticed */
	gone = (g_get_monotonic_time() - B.reboot_us) / 1000;
	ms = hcib_supervision_ms(B.hcib);
	ms = gone < ms ? ms - (unsigned)gone : 0;
	say("%u link(s) up: the central times them out in %u ms",
		hcib_links(B.hcib), ms);
	B.timer = g_timeout_add(ms, supervision_over, NULL);
}

static gboolean kill_now(gpointer data)
{
	(void)data;
	B.timer = 0;
	say("the DUT did not stop on SIGTERM within %d ms: SIGKILL",
		TERM_WAIT_MS);
	story("it ignored SIGTERM: killed");
	if (B.pid)
		kill(-B.pid, SIGKILL);
	return G_SOURCE_REMOVE;
}

static void terminate(void)
{
	enter_state(STATE_STOPPING);
	if (!B.pid)
		return;
	kill(-B.pid, SIGTERM);
	B.timer = g_timeout_add(TERM_WAIT_MS, kill_now, NULL);
}

static gboolean grace_over(gpointer data)
{
	(void)data;
	B.timer = 0;
	story("the firmware did not advertise again within %" G_GINT64_FORMAT
	      " ms of its disconnect: stopped anyway",
		B.grace_ms);
	terminate();
	return G_SOURCE_REMOVE;
}

/*
 * Graceful: the links are closed and the firmware has seen it. It usually
 * saves its keys and advertises again; that is the sign it is done (or
 * --grace runs out). Then it is stopped (SIGTERM) and started again.
 */
static void enter_grace(void)
{
	enter_state(STATE_GRACE);
	B.timer = g_timeout_add((guint)B.grace_ms, grace_over, NULL);
}

static gboolean disconnect_over(gpointer data)
{
	(void)data;
	B.timer = 0;
	story("%u link(s) did not close within %d ms", hcib_links(B.hcib),
		DISCONNECT_WAIT_MS);
	enter_grace();
	return G_SOURCE_REMOVE;
}

static void reboot(enum kind kind)
{
	B.kind = kind;
	B.reboot_us = g_get_monotonic_time();
	B.story = g_string_new(NULL);
	story("reboot %s of boot %u", kind_to_str(kind), B.boots);
	if (kind == KIND_HARD) {
		/* power loss: no disconnect, no chance to save anything */
		story("killed with %u link(s) up", hcib_links(B.hcib));
		enter_state(STATE_STOPPING);
		kill(-B.pid, SIGKILL);
		return;
	}
	enter_state(STATE_DISCONNECTING);
	if (hcib_disconnect_all(B.hcib, HCIB_REASON_REMOTE_USER, true)) {
		story("disconnected %u link(s) (0x13)", hcib_links(B.hcib));
		B.timer = g_timeout_add(DISCONNECT_WAIT_MS, disconnect_over,
			NULL);
		return;
	}
	/* no link: nothing for the firmware to handle first */
	story("no link to close");
	terminate();
}

/* ---- the control socket ------------------------------------------------- */

static void handle_request(int fd, char *line)
{
	char **w = g_strsplit_set(g_strstrip(line), " \t", -1);
	const char *verb = w[0] ? w[0] : "";

	if (!strcmp(verb, "status")) {
		char *s = g_strdup_printf("ok state=%s boots=%u links=%u "
					  "advertising=%s address=%s\n",
			state_to_str(B.state), B.boots, hcib_links(B.hcib),
			hcib_advertising(B.hcib) ? "yes" : "no",
			hcib_address(B.hcib)[0] ? hcib_address(B.hcib) : "-");

		if (write(fd, s, strlen(s)) < 0)
			say("status reply: %s", g_strerror(errno));
		g_free(s);
		close(fd);
	} else if (!strcmp(verb, "reboot")) {
		const char *k = w[1] ? w[1] : "";
		enum kind kind = B.default_kind;

		if (!strcmp(k, "hard"))
			kind = KIND_HARD;
		else if (!strcmp(k, "graceful"))
			kind = KIND_GRACEFUL;
		else if (*k) {
			dprintf(fd,
				"error reboot kind '%s': hard or "
				"graceful\n",
				k);
			close(fd);
			goto out;
		}
		if (B.state != STATE_RUNNING || B.client_fd >= 0) {
			dprintf(fd, "error the DUT is %s, not running\n",
				state_to_str(B.state));
			close(fd);
			goto out;
		}
		say("reboot %s requested", kind_to_str(kind));
		B.client_fd = fd;
		reboot(kind);
	} else {
		dprintf(fd,
			"error unknown request '%s': reboot [hard|graceful] "
			"or status\n",
			verb);
		close(fd);
	}
out:
	g_strfreev(w);
}

static gboolean on_ctl(gint fd, GIOCondition cond, gpointer data)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	char line[128];
	size_t have = 0;
	struct pollfd p;

	(void)cond;
	(void)data;
	if (c < 0)
		return G_SOURCE_CONTINUE;
	/* one short line, sent at once by our own client */
	p.fd = c;
	p.events = POLLIN;
	while (have < sizeof(line) - 1 && poll(&p, 1, 2000) == 1) {
		ssize_t n = read(c, line + have, sizeof(line) - 1 - have);

		if (n <= 0)
			break;
		have += (size_t)n;
		if (memchr(line, '\n', have))
			break;
	}
	line[have] = '\0';
	if (!memchr(line, '\n', have)) {
		dprintf(c, "error one line, ending in a newline\n");
		close(c);
		return G_SOURCE_CONTINUE;
	}
	*strchr(line, '\n') = '\0';
	handle_request(c, line);
	return G_SOURCE_CONTINUE;
}

static bool open_ctl(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(B.ctl_path) >= sizeof(a.sun_path)) {
		say("--ctl %s: path too long", B.ctl_path);
		return false;
	}
	g_strlcpy(a.sun_path, B.ctl_path, sizeof(a.sun_path));
	unlink(B.ctl_path);
	B.ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (B.ctl_fd < 0 ||
		bind(B.ctl_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		listen(B.ctl_fd, 4) < 0) {
		say("control socket %s: %s", B.ctl_path, g_strerror(errno));
		return false;
	}
	B.ctl_watch = g_unix_fd_add(B.ctl_fd, G_IO_IN, on_ctl, NULL);
	return true;
}

/* ---- the kernel's management interface ---------------------------------- */

static void mgmt_send(uint16_t op, uint16_t index, const uint8_t *p,
	uint16_t len)
{
	uint8_t buf[6 + 16];

	buf[0] = (uint8_t)op;
	buf[1] = (uint8_t)(op >> 8);
	buf[2] = (uint8_t)index;
	buf[3] = (uint8_t)(index >> 8);
	buf[4] = (uint8_t)len;
	buf[5] = (uint8_t)(len >> 8);
	if (len)
		memcpy(buf + 6, p, len);
	if (write(B.mgmt_fd, buf, 6u + len) < 0)
		say("mgmt 0x%04x: %s", op, g_strerror(errno));
}

static void bind_controller(void);
static void vhci_ready(void);

static gboolean bind_again(gpointer data)
{
	(void)data;
	B.bind_timer = 0;
	bind_controller();
	return G_SOURCE_REMOVE;
}

static gboolean power_off_again(gpointer data)
{
	static const uint8_t off = 0x00;

	(void)data;
	B.bind_timer = 0;
	mgmt_send(MGMT_OP_SET_POWERED, (uint16_t)B.ctrl_index, &off, 1);
	return G_SOURCE_REMOVE;
}

static gboolean unseen(gpointer data)
{
	char *why;

	(void)data;
	B.unseen_timer = 0;
	why = g_strdup_printf("hci%d discovers and has not seen the DUT "
			      "within %d ms",
		B.scanner, UNSEEN_MS);
	hcib_readvertise(B.hcib, why);
	g_free(why);
	return G_SOURCE_REMOVE;
}

static bool is_ours(int index)
{
	return index == B.ctrl_index ||
	       (B.transport == TRANSPORT_USER_CHANNEL && index == B.vhci_index);
}

static void mgmt_event(uint16_t ev, uint16_t index, const uint8_t *p, size_t n)
{
	switch (ev) {
	case MGMT_EV_CMD_COMPLETE:
	case MGMT_EV_CMD_STATUS:
		if (n < 3 || (p[0] | p[1] << 8) != MGMT_OP_SET_POWERED ||
			index != B.ctrl_index || B.state != STATE_BINDING ||
			B.bind_timer)
			break;
		if (!p[2]) {
			say("hci%d powered off", B.ctrl_index);
			bind_controller();
			break;
		}
		/*
		 * Busy: it is between states (bluetoothd powering it on as it
		 * comes back from a user channel). No event of the kernel's
		 * tells this socket when that is over: try again shortly.
		 */
		if (B.bind_tries == 1 || p[2] != MGMT_STATUS_BUSY)
			say("hci%d: mgmt Set Powered says 0x%02x; again every "
			    "%d ms",
				B.ctrl_index, p[2], BIND_AGAIN_MS);
		B.bind_timer = g_timeout_add(BIND_AGAIN_MS, bind_again, NULL);
		break;
	case MGMT_EV_INDEX_ADDED:
		if (index == B.ctrl_index && B.state == STATE_BINDING &&
			B.ctrl_fd < 0)
			bind_controller();
		break;
	case MGMT_EV_UNCONF_INDEX_ADDED:
		g_array_append_val(B.unconf, (int){ index });
		if (B.state == STATE_WAIT_VHCI && index == B.vhci_index)
			vhci_ready();
		break;
	case MGMT_EV_DISCOVERING:
		if (n < 2 || is_ours(index))
			break;
		clear_timer(&B.unseen_timer);
		if (p[1] && hcib_advertising(B.hcib)) {
			say("hci%d discovers: the DUT must be seen within %d ms",
				index, UNSEEN_MS);
			B.scanner = index;
			B.unseen_timer = g_timeout_add(UNSEEN_MS, unseen, NULL);
		}
		break;
	case MGMT_EV_DEVICE_FOUND:
		if (n >= 7 && B.unseen_timer && index == B.scanner) {
			char a[18];

			snprintf(a, sizeof(a), "%02X:%02X:%02X:%02X:%02X:%02X",
				p[5], p[4], p[3], p[2], p[1], p[0]);
			if (!strcmp(a, hcib_address(B.hcib))) {
				say("hci%d has seen the DUT", index);
				clear_timer(&B.unseen_timer);
			}
		}
		break;
	default: break;
	}
}

static gboolean on_mgmt(gint fd, GIOCondition cond, gpointer data)
{
	uint8_t buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	(void)data;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n < 6) {
		say("mgmt: %s", n < 0 ? g_strerror(errno) : "short read");
		B.mgmt_watch = 0;
		return G_SOURCE_REMOVE;
	}
	if ((size_t)n >= 6u + (buf[4] | buf[5] << 8))
		mgmt_event((uint16_t)(buf[0] | buf[1] << 8),
			(uint16_t)(buf[2] | buf[3] << 8), buf + 6,
			(size_t)(buf[4] | buf[5] << 8));
	return G_SOURCE_CONTINUE;
}

/* A bound HCI socket, or -errno. */
static int hci_socket(int index, int channel)
{
	struct sockaddr_hci a = { AF_BLUETOOTH, (unsigned short)index,
		(unsigned short)channel };
	int fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
	int e;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	e = errno;
	close(fd);
	return -e;
}

/* ---- the controller ----------------------------------------------------- */

static gboolean on_ctrl(gint fd, GIOCondition cond, gpointer data)
{
	uint8_t buf[4 + 65535];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	(void)data;
	if (n > 0) {
		hcib_input(B.hcib, HCIB_SIDE_CTRL, buf, (size_t)n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	B.ctrl_watch = 0;
	fatal("the controller hci%d: %s", B.ctrl_index,
		n ? g_strerror(errno) : "gone");
	return G_SOURCE_REMOVE;
}

static gboolean on_vhci(gint fd, GIOCondition cond, gpointer data)
{
	uint8_t buf[4 + 65535];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	(void)data;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		B.vhci_watch = 0;
		fatal("/dev/vhci: %s", n ? g_strerror(errno) : "closed");
		return G_SOURCE_REMOVE;
	}
	if (buf[0] == 0xff) {
		/* the vendor packet that names the new controller */
		if (n >= 4 && B.vhci_index < 0) {
			B.vhci_index = buf[2] | buf[3] << 8;
			say("the DUT's controller is hci%d (unconfigured: "
			    "bluetoothd leaves it alone)",
				B.vhci_index);
			for (guint i = 0; i < B.unconf->len; i++)
				if (g_array_index(B.unconf, int, i) ==
					B.vhci_index)
					vhci_ready();
		}
		return G_SOURCE_CONTINUE;
	}
	trace(false, buf, (size_t)n);
	hcib_input(B.hcib, HCIB_SIDE_DUT, buf, (size_t)n);
	return G_SOURCE_CONTINUE;
}

static void vhci_ready(void)
{
	if (B.state != STATE_WAIT_VHCI)
		return;
	say("hci%d is ready for the DUT's user channel", B.vhci_index);
	if (!start_dut())
		fatal("the DUT did not start");
}

static void bd_addr_done(int status, void *data)
{
	static const uint8_t create = VHCI_CREATE_UNCONFIGURED;
	uint8_t pkt[2] = { 0xff, create };

	(void)data;
	say("hci%d: public address %s (status 0x%02x)", B.ctrl_index,
		hcib_public_address(B.hcib), status > 0 ? status : 0);
	if (B.transport == TRANSPORT_H4_PTY) {
		if (!start_dut())
			fatal("the DUT did not start");
		return;
	}
	enter_state(STATE_WAIT_VHCI);
	B.vhci_fd = open("/dev/vhci", O_RDWR | O_CLOEXEC);
	if (B.vhci_fd < 0) {
		fatal("/dev/vhci: %s (is hci_vhci loaded?)", g_strerror(errno));
		return;
	}
	B.vhci_watch = g_unix_fd_add(B.vhci_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
		on_vhci, NULL);
	/* the kernel sets the new controller up through us */
	hcib_set_dut_present(B.hcib, true);
	if (write(B.vhci_fd, pkt, sizeof(pkt)) != sizeof(pkt))
		fatal("/dev/vhci: %s", g_strerror(errno));
}

static void first_reset_done(int status, void *data)
{
	(void)data;
	if (status)
		say("HCI Reset: status 0x%02x", status);
	hcib_command(B.hcib, OP_READ_BD_ADDR, NULL, 0, bd_addr_done, NULL);
}

/*
 * The controller's user channel. bluetoothd may have powered it: then the
 * kernel says busy, and mgmt Set Powered off frees it (bluetoothd sees
 * the index go when the bind succeeds).
 */
static void bind_controller(void)
{
	static const uint8_t off = 0x00;
	int fd = hci_socket(B.ctrl_index, HCI_CHANNEL_USER);

	if (fd >= 0) {
		B.ctrl_fd = fd;
		say("hci%d: HCI user channel open", B.ctrl_index);
		B.ctrl_watch = g_unix_fd_add(B.ctrl_fd,
			G_IO_IN | G_IO_HUP | G_IO_ERR, on_ctrl, NULL);
		hcib_command(B.hcib, OP_RESET, NULL, 0, first_reset_done, NULL);
		return;
	}
	if (fd == -EBUSY && ++B.bind_tries <= BIND_TRIES) {
		if (B.bind_tries == 1) {
			say("hci%d is busy: powering it off through mgmt",
				B.ctrl_index);
			mgmt_send(MGMT_OP_SET_POWERED, (uint16_t)B.ctrl_index,
				&off, 1);
		} else {
			/* powered on again meanwhile (bluetoothd): shortly */
			B.bind_timer = g_timeout_add(BIND_AGAIN_MS,
				power_off_again, NULL);
		}
	} else if (fd == -ENODEV && B.bind_tries <= BIND_TRIES) {
		say("hci%d is not there yet: waiting for it", B.ctrl_index);
	} else {
		fatal("hci%d: cannot open its HCI user channel: %s",
			B.ctrl_index, g_strerror(-fd));
	}
}

/* ---- run ---------------------------------------------------------------- */

static gboolean on_signal(gpointer data)
{
	(void)data;
	say("stopping");
	g_main_loop_quit(B.loop);
	return G_SOURCE_CONTINUE;
}

static int parse_hci(const char *s)
{
	char *end;
	long v;

	if (g_str_has_prefix(s, "hci"))
		s += 3;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 0xfffe)
		return -1;
	return (int)v;
}

/* A command's options; false (said on stderr) when they are wrong. */
static bool parse_options(const char *summary, GOptionEntry *entries, int *argc,
	char ***argv)
{
	GOptionContext *ctx = g_option_context_new(summary);
	GError *err = NULL;
	bool ok;

	g_option_context_add_main_entries(ctx, entries, NULL);
	ok = g_option_context_parse(ctx, argc, argv, &err);
	if (!ok) {
		fprintf(stderr, "bondcheck-bridge: %s\n", err->message);
		g_error_free(err);
	}
	g_option_context_free(ctx);
	return ok;
}

static int cmd_run(int argc, char **argv)
{
	char *ctrl = NULL, *transport = NULL, *kind = NULL, *grace = NULL;
	char *trace_path = NULL;
	GOptionEntry entries[] = {
		{ "controller", 'c', 0, G_OPTION_ARG_STRING, &ctrl,
			"btvirt's controller the DUT gets (default hci1)",
			"hciN" },
		{ "dut-cmd", 0, 0, G_OPTION_ARG_STRING, &B.cmd,
			"the DUT: a shell command", "'CMD ARGS'" },
		{ "dut-dir", 0, 0, G_OPTION_ARG_FILENAME, &B.dir,
			"its working directory", "DIR" },
		{ "transport", 't', 0, G_OPTION_ARG_STRING, &transport,
			"h4-pty (default) or user-channel", "T" },
		{ "reboot-kind", 0, 0, G_OPTION_ARG_STRING, &kind,
			"what a reboot without a kind is (default hard)",
			"hard|graceful" },
		{ "grace", 0, 0, G_OPTION_ARG_STRING, &grace,
			"graceful: how long the firmware has after its "
			"disconnect (default 2s)",
			"D" },
		{ "ctl", 0, 0, G_OPTION_ARG_FILENAME, &B.ctl_path,
			"control socket (default " DEFAULT_CTL ")", "PATH" },
		{ "dut-log", 0, 0, G_OPTION_ARG_FILENAME, &B.log_path,
			"the DUT's stdout and stderr", "FILE" },
		{ "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace_path,
			"btsnoop of the packets as the DUT saw them", "FILE" },
		{ "ready-fifo", 0, 0, G_OPTION_ARG_FILENAME, &B.ready_fifo,
			"write 'ready ADDRESS' here when the DUT first "
			"advertises",
			"PATH" },
		{ NULL },
	};
	GError *err = NULL;
	guint sig[2];
	int status;

	B.grace_ms = 2000;
	B.ctrl_fd = B.pty_master = B.pty_slave = B.vhci_fd = B.mgmt_fd = -1;
	B.ctl_fd = B.client_fd = B.log_fd = -1;
	B.vhci_index = B.scanner = -1;
	if (!parse_options("- run a BLE stack as the DUT on a btvirt controller",
		    entries, &argc, &argv))
		return BC_EXIT_USAGE;
	if (grace && !duration_parse(grace, &B.grace_ms, &err)) {
		fprintf(stderr, "bondcheck-bridge: --grace: %s\n",
			err->message);
		g_error_free(err);
		return BC_EXIT_USAGE;
	}
	B.ctrl_index = parse_hci(ctrl ? ctrl : "hci1");
	if (B.ctrl_index < 0 || !B.cmd || !*B.cmd ||
		(transport && strcmp(transport, "h4-pty") &&
			strcmp(transport, "user-channel")) ||
		(kind && strcmp(kind, "hard") && strcmp(kind, "graceful"))) {
		fprintf(stderr,
			"bondcheck-bridge run: needs --dut-cmd; "
			"--controller hciN, --transport h4-pty|user-channel, "
			"--reboot-kind hard|graceful\n");
		return BC_EXIT_USAGE;
	}
	B.transport = transport && !strcmp(transport, "user-channel") ?
	                      TRANSPORT_USER_CHANNEL :
	                      TRANSPORT_H4_PTY;
	B.default_kind = kind && !strcmp(kind, "graceful") ? KIND_GRACEFUL :
	                                                     KIND_HARD;
	if (!B.ctl_path)
		B.ctl_path = g_strdup(DEFAULT_CTL);
	if (B.log_path) {
		B.log_fd = open(B.log_path,
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (B.log_fd < 0) {
			fprintf(stderr, "bondcheck-bridge: %s: %s\n",
				B.log_path, g_strerror(errno));
			return BC_EXIT_ENV;
		}
	}
	if (trace_path)
		trace_open(trace_path);
	B.loop = g_main_loop_new(NULL, FALSE);
	B.hcib = hcib_new(&br_ops, NULL);
	hcib_set_dut_present(B.hcib, false);
	B.h4 = h4_reader_new();
	B.unconf = g_array_new(FALSE, FALSE, sizeof(int));
	signal(SIGPIPE, SIG_IGN);
	/* the DUT's orphans are ours to reap: a boot ends when all are gone */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		say("PR_SET_CHILD_SUBREAPER: %s", g_strerror(errno));
	if (!open_ctl())
		return BC_EXIT_ENV;
	B.mgmt_fd = hci_socket(HCI_DEV_NONE, HCI_CHANNEL_CONTROL);
	if (B.mgmt_fd < 0) {
		fprintf(stderr,
			"bondcheck-bridge: the kernel's Bluetooth "
			"management socket: %s\n",
			g_strerror(-B.mgmt_fd));
		close(B.ctl_fd);
		unlink(B.ctl_path);
		return BC_EXIT_ENV;
	}
	B.mgmt_watch = g_unix_fd_add(B.mgmt_fd, G_IO_IN, on_mgmt, NULL);
	/* index events come only to a socket that has asked for the lists */
	mgmt_send(MGMT_OP_READ_INDEX_LIST, HCI_DEV_NONE, NULL, 0);
	mgmt_send(MGMT_OP_READ_UNCONF_INDEX_LIST, HCI_DEV_NONE, NULL, 0);
	sig[0] = g_unix_signal_add(SIGTERM, on_signal, NULL);
	sig[1] = g_unix_signal_add(SIGINT, on_signal, NULL);
	say("hci%d for %s over %s; reboots %s by default", B.ctrl_index, B.cmd,
		transport_to_str(B.transport), kind_to_str(B.default_kind));
	enter_state(STATE_BINDING);
	bind_controller();
	g_main_loop_run(B.loop);

	if (B.pid) {
		kill(-B.pid, SIGKILL);
		while (waitpid(-B.pid, NULL, 0) > 0 || errno == EINTR)
			;
		dut_log_line("=== bondcheck-bridge: stopped with the bridge "
			     "===\n");
	}
	for (int s = 0; s < HCIB_SHIM_COUNT; s++)
		say("shim %s used %u time(s)",
			hcib_shim_to_str((enum hcib_shim)s),
			hcib_shim_count(B.hcib, (enum hcib_shim)s));
	status = B.status;
	g_source_remove(sig[0]);
	g_source_remove(sig[1]);
	clear_timer(&B.timer);
	clear_timer(&B.unseen_timer);
	clear_timer(&B.bind_timer);
	clear_timer(&B.ctl_watch);
	clear_timer(&B.mgmt_watch);
	clear_timer(&B.ctrl_watch);
	clear_timer(&B.vhci_watch);
	clear_timer(&B.child_watch);
	close_pty();
	if (B.client_fd >= 0)
		reply("error the bridge stopped");
	if (B.ctl_fd >= 0) {
		close(B.ctl_fd);
		unlink(B.ctl_path);
	}
	if (B.ctrl_fd >= 0)
		close(B.ctrl_fd);
	if (B.vhci_fd >= 0)
		close(B.vhci_fd);
	if (B.mgmt_fd >= 0)
		close(B.mgmt_fd);
	if (B.log_fd >= 0)
		close(B.log_fd);
	if (B.trace)
		fclose(B.trace);
	if (B.story)
		g_string_free(B.story, TRUE);
	hcib_free(B.hcib);
	h4_reader_free(B.h4);
	g_array_free(B.unconf, TRUE);
	g_main_loop_unref(B.loop);
	g_free(ctrl);
	g_free(transport);
	g_free(kind);
	g_free(grace);
	g_free(trace_path);
	g_free(B.cmd);
	g_free(B.dir);
	g_free(B.ctl_path);
	g_free(B.log_path);
	g_free(B.ready_fifo);
	return status;
}

/* ---- reboot (the client) ------------------------------------------------ */

static int cmd_reboot(int argc, char **argv)
{
	char *ctl = NULL;
	int timeout = 120;
	GOptionEntry entries[] = {
		{ "ctl", 0, 0, G_OPTION_ARG_FILENAME, &ctl,
			"the bridge's control socket (default " DEFAULT_CTL ")",
			"PATH" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
			"seconds to wait for the DUT to start again (120)",
			"S" },
		{ NULL },
	};
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[1024];
	size_t have = 0;
	int fd, status = BC_EXIT_ENV;
	const char *kind;
	struct pollfd p;
	gint64 deadline;

	if (!parse_options("[hard|graceful] - reboot the DUT of a running "
			   "bridge",
		    entries, &argc, &argv))
		return BC_EXIT_USAGE;
	/* the scenario's kind (bondcheck exports it), else the bridge's */
	kind = argc > 1 ? argv[1] : g_getenv("BONDCHECK_REBOOT_KIND");
	if (argc > 2 ||
		(kind && *kind && strcmp(kind, "hard") &&
			strcmp(kind, "graceful")) ||
		timeout <= 0) {
		fprintf(stderr, "bondcheck-bridge reboot [hard|graceful] "
				"[--ctl PATH] [--timeout S]\n");
		g_free(ctl);
		return BC_EXIT_USAGE;
	}
	if (strlen(ctl ? ctl : DEFAULT_CTL) >= sizeof(a.sun_path)) {
		fprintf(stderr, "bondcheck-bridge: --ctl: path too long\n");
		g_free(ctl);
		return BC_EXIT_USAGE;
	}
	g_strlcpy(a.sun_path, ctl ? ctl : DEFAULT_CTL, sizeof(a.sun_path));
	g_free(ctl);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr,
			"bondcheck-bridge: %s: %s (is the bridge "
			"running?)\n",
			a.sun_path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return BC_EXIT_ENV;
	}
	dprintf(fd, "reboot %s\n", kind ? kind : "");
	p.fd = fd;
	p.events = POLLIN;
	deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
	while (have < sizeof(buf) - 1) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) != 1) {
			fprintf(stderr,
				"bondcheck-bridge: no answer within "
				"%d s\n",
				timeout);
			close(fd);
			return BC_EXIT_ENV;
		}
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	printf("%s", buf);
	if (g_str_has_prefix(buf, "ok "))
		status = 0;
	return status;
}

/* ---- relay: a user channel made a kernel controller again --------------- */

static int cmd_relay(int argc, char **argv)
{
	char *index = NULL;
	GOptionEntry entries[] = {
		{ "index", 0, 0, G_OPTION_ARG_STRING, &index,
			"the controller to open (default "
			"$BONDCHECK_DUT_HCI_INDEX)",
			"N" },
		{ NULL },
	};
	uint8_t buf[4 + 65535];
	struct pollfd p[2];
	int idx, uc, vhci;
	const uint8_t create[2] = { 0xff, 0x00 };

	if (!parse_options("- a DUT for tests: a user channel as a new kernel "
			   "controller",
		    entries, &argc, &argv))
		return BC_EXIT_USAGE;
	idx = parse_hci(index ? index :
			g_getenv("BONDCHECK_DUT_HCI_INDEX") ?
				g_getenv("BONDCHECK_DUT_HCI_INDEX") :
				"");
	g_free(index);
	if (idx < 0) {
		fprintf(stderr, "bondcheck-bridge relay --index N\n");
		return BC_EXIT_USAGE;
	}
	uc = hci_socket(idx, HCI_CHANNEL_USER);
	if (uc < 0) {
		fprintf(stderr, "relay: hci%d user channel: %s\n", idx,
			g_strerror(-uc));
		return BC_EXIT_ENV;
	}
	vhci = open("/dev/vhci", O_RDWR | O_CLOEXEC);
	if (vhci < 0 || write(vhci, create, 2) != 2) {
		fprintf(stderr, "relay: /dev/vhci: %s\n", g_strerror(errno));
		return BC_EXIT_ENV;
	}
	fprintf(stderr, "relay: hci%d's user channel <-> a new controller\n",
		idx);
	p[0].fd = uc;
	p[1].fd = vhci;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				fprintf(stderr, "relay: %s: %s\n",
					i ? "vhci" : "user channel",
					n ? g_strerror(errno) : "closed");
				return BC_EXIT_ENV;
			}
			if (i == 1 && buf[0] == 0xff) {
				if (n >= 4)
					fprintf(stderr,
						"relay: the new "
						"controller is hci%d\n",
						buf[2] | buf[3] << 8);
				continue;
			}
			if (write(p[!i].fd, buf, (size_t)n) != n)
				fprintf(stderr, "relay: write: %s\n",
					g_strerror(errno));
		}
	}
	return BC_EXIT_ENV;
}

int main(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";

	if (!strcmp(verb, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(verb, "reboot"))
		return cmd_reboot(argc - 1, argv + 1);
	if (!strcmp(verb, "relay"))
		return cmd_relay(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: bondcheck-bridge run --dut-cmd 'CMD' [options]\n"
		"       bondcheck-bridge reboot [hard|graceful] [--ctl PATH]\n"
		"       bondcheck-bridge relay --index N\n"
		"(bondcheck-bridge COMMAND --help for its options)\n");
	return BC_EXIT_USAGE;
}
