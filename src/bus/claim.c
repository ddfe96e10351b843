/* SPDX-License-Identifier: MIT */
/*
 * claim.c — see claim.h. Owns its lock file: created, flock(2)ed, its
 * holder (pid and program) written in it for the message a second run
 * gives, removed when let go. Never waits for a lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bondcheck/bcerror.h"
#include "bondcheck/claim.h"

struct claim {
	int fd;
	char *path;
};

#define SAFE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

static char *file_name(const char *bus_id, const char *adapter,
	const char *device)
{
	const char *slash = strrchr(adapter, '/');
	char *bus = g_strndup(bus_id ? bus_id : "bus", 64);
	char *ad = g_strndup(slash ? slash + 1 : adapter, 32);
	char *dev = g_ascii_strup(device, 32);
	char *name;

	g_strcanon(bus, SAFE, '_');
	g_strcanon(ad, SAFE, '_');
	g_strcanon(dev, SAFE, '_');
	name = g_strdup_printf("bondcheck-%s-%s-%s.lock", bus, ad, dev);
	g_free(bus);
	g_free(ad);
	g_free(dev);
	return name;
}

/* "bondcheckd, pid 812" from what the holder wrote, or NULL. */
static char *read_holder(int fd)
{
	char buf[96];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *comm, *out;
	long pid;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	pid = strtol(buf, &comm, 10);
	if (pid <= 0 || *comm != ' ')
		return NULL;
	g_strchomp(++comm);
	g_strcanon(comm, SAFE ".", '?');
	out = g_strdup_printf("%s, pid %ld", *comm ? comm : "?", pid);
	return out;
}

/* Ours, for the next run's message: "PID PROGRAM". */
static void write_holder(int fd)
{
	char *comm = NULL, *line;

	if (g_file_get_contents("/proc/self/comm", &comm, NULL, NULL))
		g_strchomp(comm);
	line = g_strdup_printf("%ld %s\n", (long)getpid(),
		comm && *comm ? comm : "bondcheck");
	if (ftruncate(fd, 0) == 0 &&
		pwrite(fd, line, strlen(line), 0) != (ssize_t)strlen(line))
		g_debug("claim: cannot write its holder");
	g_free(line);
	g_free(comm);
}

/*
 * Take @path: 0, -EBUSY (another holds it; @holder says who) or -errno
 * (no claim can be made there). The last holder removes the file as it
 * lets go: a lock taken on a file that is no longer the path's is taken
 * again on the new one.
 */
static int take(const char *path, int *out, char **holder)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct stat held, now;
		bool rw = true;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			0644);

		/* another user's file (sticky /run/lock): a lock needs no
		 * write access */
		if (fd < 0 && (errno == EACCES || errno == EPERM)) {
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			rw = false;
		}
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			if (err == EWOULDBLOCK)
				*holder = read_holder(fd);
			close(fd);
			return err == EWOULDBLOCK ? -EBUSY : -err;
		}
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
			held.st_dev == now.st_dev &&
			held.st_ino == now.st_ino) {
			if (rw)
				write_holder(fd);
			*out = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

struct claim *claim_take(const char *bus_id, const char *adapter,
	const char *device, GError **error)
{
	const char *env = g_getenv("BONDCHECK_LOCK_DIR");
	const char *dirs[] = { env && *env ? env : NULL, "/run/lock",
		g_get_tmp_dir() };
	struct claim *c = g_new0(struct claim, 1);
	char *name = file_name(bus_id, adapter, device);

	c->fd = -1;
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		char *path, *holder = NULL;
		int r;

		if (!dirs[i])
			continue;
		path = g_build_filename(dirs[i], name, NULL);
		r = take(path, &c->fd, &holder);
		if (r == 0) {
			c->path = path;
			break;
		}
		g_free(path);
		if (r == -EBUSY) {
			const char *slash = strrchr(adapter, '/');
			char *up = g_ascii_strup(device, -1);

			g_set_error(error, BCERROR, BCERROR_ENVIRONMENT,
				"%s on %s is in use by another bondcheck run"
				"%s%s%s: wait for it to end, or use another "
				"adapter",
				up, slash ? slash + 1 : adapter,
				holder ? " (" : "", holder ? holder : "",
				holder ? ")" : "");
			g_free(up);
			g_free(holder);
			g_free(name);
			g_free(c);
			return NULL;
		}
		g_debug("claim: not in %s: %s", dirs[i], g_strerror(-r));
	}
	g_free(name);
	return c;
}

void claim_free(struct claim *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		/* before the lock goes: a newcomer makes a new file */
		if (unlink(c->path) < 0)
			g_debug("claim: %s stays: %s", c->path,
				g_strerror(errno));
		close(c->fd);
	}
	g_free(c->path);
	g_free(c);
}

const char *claim_path(const struct claim *c)
{
	return c ? c->path : NULL;
}
