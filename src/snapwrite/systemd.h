/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running system's systemd: logind's inhibitor locks, and the journal.
 * Without systemd (no system bus, no logind) there is nothing to honour,
 * and messages go to stderr only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Block-mode inhibitor locks on "sleep": how many (each described in buf,
 * "WHO (WHY, pid P)" separated by "; "), 0 when none or no logind. */
int sleep_inhibitors(char *buf, size_t size);

/* A structured journal entry after a resume: the image and the timings of
 * both sides (nanoseconds).  Nothing happens without a journal. */
void journal_resumed(const char *uuid, uint64_t mem_bytes, uint64_t disk_bytes,
		     uint64_t snapshot_ns, uint64_t write_ns, uint64_t restore_ns);

/* The program the unit's first ExecStart= runs (systemd's view, drop-ins
 * applied), in buf; 0, or -errno when there is no systemd to ask. */
int unit_exec_start(const char *unit, char *buf, size_t size);
