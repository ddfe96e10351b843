/* SPDX-License-Identifier: MIT */
/*
 * peakrss.c — bc-peakrss: run a command and write its peak RSS to a file.
 *
 * Linux keeps a process's RSS high-water mark across execve, and a child
 * that make bench's Python starts (posix_spawn, vfork) inherits Python's
 * mark: wait4's ru_maxrss would then report Python, not the command. This
 * small program forks the command itself, so the mark starts from its own
 * few hundred KiB.
 *
 * Usage: bc-peakrss OUTFILE COMMAND [ARG...]
 * Writes "<peak RSS KiB>\n" to OUTFILE; exits with COMMAND's status
 * (128 + signal when it was killed, 127 when it could not start).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: bc-peakrss OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("bc-peakrss: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "bc-peakrss: %s: %s\n", argv[2],
			strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("bc-peakrss: wait4");
			return 127;
		}
	}
	out = fopen(argv[1], "w");
	if (!out || fprintf(out, "%ld\n", ru.ru_maxrss) < 0 || fclose(out)) {
		perror("bc-peakrss: writing the result");
		return 127;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
