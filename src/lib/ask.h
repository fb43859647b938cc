/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Asking the person at the machine: a passphrase without echo, or a short
 * answer.  Through a password agent when the initramfs or system has one
 * (plymouth while its daemon runs, systemd-ask-password while systemd
 * runs), otherwise on a terminal (the console in the initramfs).
 *
 * The answer goes into the caller's buffer; the caller wipes it
 * (explicit_bzero) as soon as it has been used.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum ask_via {
	ASK_AUTO,     /* an agent if one runs, else the terminal */
	ASK_TERMINAL, /* the terminal only */
};

/*
 * Ask with prompt; echo shows what is typed (for questions, not secrets).
 * tty: the terminal to use when no agent runs (e.g. "/dev/console" or
 * "/dev/tty").  timeout_s 0 waits forever.  Returns the answer's length
 * (the line without its newline, NUL-terminated in buf), -ETIMEDOUT,
 * -ENODATA when the terminal is closed (end of input), -ENOBUFS when the
 * answer does not fit (it is wiped), or another negative errno.
 */
int ask_line(enum ask_via via, const char *tty, const char *prompt, bool echo,
	     unsigned timeout_s, char *buf, size_t size);

/* Where the password agents are: ask_line() uses ask_default_agents (plymouth
 * in /usr/bin or /bin, used while "plymouth --ping" succeeds;
 * systemd-ask-password, used while /run/systemd/system exists).  The unit
 * tests point them at stand-ins. */
struct ask_agents {
	const char *const *plymouth;     /* NULL-terminated candidate paths */
	const char *const *ask_password; /* systemd-ask-password */
	const char *systemd_running;     /* exists while systemd runs */
};
extern const struct ask_agents ask_default_agents;

int ask_line_agents(const struct ask_agents *ag, enum ask_via via, const char *tty,
		    const char *prompt, bool echo, unsigned timeout_s, char *buf, size_t size);

/* For the tests and the unit tests: read a line from fd the way the
 * terminal path does (a terminal's echo switched off when !echo). */
int ask_fd(int in, int out, const char *prompt, bool echo, unsigned timeout_s, char *buf,
	   size_t size);
