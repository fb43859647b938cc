/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ask.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

static bool executable(const char *const *paths, const char **ret)
{
	for (; paths && *paths; paths++)
		if (access(*paths, X_OK) == 0) {
			*ret = *paths;
			return true;
		}
	return false;
}

/* Run argv, its stdout into buf (the line without the newline).  Returns
 * the length, or -EIO when the program failed (e.g. was cancelled). */
static int run_capture(char *const argv[], char *buf, size_t size)
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status, r;
	size_t len = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		return -r;
	}
	for (;;) {
		ssize_t n = read(pfd[0], buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	if (len == size - 1 && buf[len - 1] != '\n') {
		explicit_bzero(buf, size);
		return -ENOBUFS;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, size);
		return -EIO;
	}
	len = strcspn(buf, "\n");
	buf[len] = '\0';
	return (int)len;
}

/* A program that exits 0: plymouth --ping. */
static bool run_ok(char *const argv[])
{
	int status;
	pid_t pid;
	posix_spawn_file_actions_t fa;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return false;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static const char *const default_plymouth[] = {"/usr/bin/plymouth", "/bin/plymouth", NULL};
static const char *const default_sap[] = {"/usr/bin/systemd-ask-password",
					  "/bin/systemd-ask-password", NULL};

const struct ask_agents ask_default_agents = {
	.plymouth = default_plymouth,
	.ask_password = default_sap,
	.systemd_running = "/run/systemd/system",
};

static int ask_agent(const struct ask_agents *ag, const char *prompt, bool echo,
		     unsigned timeout_s, char *buf, size_t size)
{
	const char *prog;
	char arg_prompt[512], arg_timeout[32];

	if (executable(ag->plymouth, &prog) &&
	    run_ok((char *const[]){(char *)prog, "--ping", NULL})) {
		snprintf(arg_prompt, sizeof(arg_prompt), "--prompt=%s", prompt);
		return run_capture((char *const[]){(char *)prog,
						   echo ? "ask-question" : "ask-for-password",
						   arg_prompt, NULL},
				   buf, size);
	}
	if (executable(ag->ask_password, &prog) && access(ag->systemd_running, F_OK) == 0) {
		snprintf(arg_timeout, sizeof(arg_timeout), "--timeout=%u", timeout_s);
		return run_capture((char *const[]){(char *)prog, arg_timeout,
						   echo ? "--echo=yes" : "--echo=no",
						   "--id=snapresume", (char *)prompt, NULL},
				   buf, size);
	}
	return -ENOENT;
}

int ask_fd(int in, int out, const char *prompt, bool echo, unsigned timeout_s, char *buf,
	   size_t size)
{
	struct termios old, raw;
	bool tty = tcgetattr(in, &old) == 0;
	size_t len = 0;
	int r = 0;
	uint64_t deadline = timeout_s ? now_ns() + timeout_s * NSEC_PER_SEC : 0;

	if (size < 2)
		return -EINVAL;
	if (tty && !echo) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		raw.c_lflag |= ICANON;
		tcsetattr(in, TCSAFLUSH, &raw);
	}
	(void)!write(out, prompt, strlen(prompt));

	for (;;) {
		struct pollfd pfd = {.fd = in, .events = POLLIN};
		int ms = -1;
		char c;
		ssize_t n;

		if (deadline) {
			uint64_t now = now_ns();
			if (now >= deadline) {
				r = -ETIMEDOUT;
				break;
			}
			ms = (int)((deadline - now) / 1000000) + 1;
		}
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			continue;
		/* One byte at a time: nothing after the newline is taken from
		 * the terminal's queue. */
		n = read(in, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			r = len ? 0 : -ENODATA;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (len + 1 >= size) {
			r = -ENOBUFS;
			continue; /* swallow the rest of the line */
		}
		buf[len++] = c;
	}
	if (tty && !echo) {
		tcsetattr(in, TCSAFLUSH, &old);
		(void)!write(out, "\n", 1);
	}
	if (r < 0) {
		explicit_bzero(buf, size);
		return r;
	}
	buf[len] = '\0';
	return (int)len;
}

int ask_line(enum ask_via via, const char *tty, const char *prompt, bool echo,
	     unsigned timeout_s, char *buf, size_t size)
{
	return ask_line_agents(&ask_default_agents, via, tty, prompt, echo, timeout_s, buf, size);
}

int ask_line_agents(const struct ask_agents *ag, enum ask_via via, const char *tty,
		    const char *prompt, bool echo, unsigned timeout_s, char *buf, size_t size)
{
	_cleanup_(closep) int fd = -1;
	int r;

	if (via == ASK_AUTO) {
		r = ask_agent(ag, prompt, echo, timeout_s, buf, size);
		if (r != -ENOENT)
			return r;
	}
	fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return ask_fd(fd, fd, prompt, echo, timeout_s, buf, size);
}
