/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The few device-mapper calls the overlays need, on libdevmapper.  Every
 * device handled here has one target.  With udev synchronisation off
 * (dmx_udev(false): the system is frozen, or no udev runs) libdevmapper
 * makes the /dev/mapper nodes itself.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void dmx_udev(bool sync);

/* Does NAME exist?  1 yes (its device number in *ret_major/minor when not
 * NULL), 0 no, negative errno. */
int dmx_exists(const char *name, unsigned *ret_major, unsigned *ret_minor);

/* The single target of NAME: its type ("linear", "snapshot"...), length in
 * sectors and parameters (the table), or its status line when status is
 * true.  -ENXIO when NAME does not exist or has no table, -E2BIG with
 * more than one target. */
int dmx_target(const char *name, bool status, char *type, size_t type_size, uint64_t *ret_len,
	       char *params, size_t params_size);

/* Create NAME with one target. */
int dmx_create(const char *name, uint64_t len, const char *type, const char *params);

/* Create NAME read-only (nothing can write through it). */
int dmx_create_ro(const char *name, uint64_t len, const char *type, const char *params);

/* Remove NAME. */
int dmx_remove(const char *name);

/* Load a new table into NAME's inactive slot (takes effect at resume). */
int dmx_reload(const char *name, uint64_t len, const char *type, const char *params);

/* Suspend NAME.  noflush: neither flush queued I/O nor freeze the file
 * system on it (the system is frozen already; the origin must stay as it
 * is). */
int dmx_suspend(const char *name, bool noflush);

int dmx_resume(const char *name);

/* Drop a loaded, not yet active table. */
int dmx_clear(const char *name);

/* The device-mapper name of major:minor, from sysfs: 1 with the name, 0
 * when it is not a device-mapper device, negative errno. */
int dmx_name_of(unsigned major, unsigned minor, char *buf, size_t size);

/* Close libdevmapper's control file descriptor (reopened on the next call):
 * before a forked child closes the descriptors it inherited. */
void dmx_release(void);
