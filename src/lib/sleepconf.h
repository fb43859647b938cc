/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd's sleep.conf (sleep.conf(5)): what suspend-then-hibernate needs
 * of it, read the way systemd-sleep reads it.
 */
#pragma once

#include <stdint.h>

struct sleep_conf {
	uint64_t hibernate_delay_usec; /* HibernateDelaySec=, default 2 h */
	uint64_t estimation_usec;      /* SuspendEstimationSec=, default 1 h */
	char suspend_state[64];        /* SuspendState=, default "mem standby freeze" */
	char mem_sleep_mode[64];       /* MemorySleepMode=, default: the kernel's */
};

/* A systemd time span ("2h", "30min 10s", "90" in seconds, "infinity" as
 * UINT64_MAX) in microseconds: 0, or -EINVAL / -ERANGE. */
int parse_timespan_usec(const char *s, uint64_t *ret);

/* /etc/systemd/sleep.conf, then the drop-ins of /etc, /run, /usr/local/lib,
 * /usr/lib and /lib (systemd/sleep.conf.d/ *.conf) in the order of their
 * file names, a name in an earlier directory hiding the same name in a
 * later one; every path under root ("" for the running system). */
void sleep_conf_read(const char *root, struct sleep_conf *c);
