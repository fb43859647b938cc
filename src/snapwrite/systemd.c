/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "systemd.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "log.h"

int sleep_inhibitors(char *buf, size_t size)
{
	sd_bus *bus = NULL;
	sd_bus_message *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *what, *who, *why, *mode;
	uint32_t uid, pid;
	size_t used = 0;
	int r, n = 0;

	if (size)
		buf[0] = '\0';
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		log_debug("no system bus (%s): no inhibitor locks to honour", strerror(-r));
		return 0;
	}
	r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
			       "org.freedesktop.login1.Manager", "ListInhibitors", &error, &reply,
			       "");
	if (r < 0) {
		log_debug("no logind (%s): no inhibitor locks to honour",
			  error.message ? error.message : strerror(-r));
		goto out;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(ssssuu)");
	while (r > 0 &&
	       (r = sd_bus_message_read(reply, "(ssssuu)", &what, &who, &why, &mode, &uid, &pid)) >
		       0) {
		char list[256];
		bool sleep = false;

		if (strcmp(mode, "block") != 0)
			continue;
		snprintf(list, sizeof(list), "%s", what);
		for (char *save = NULL, *w = strtok_r(list, ":", &save); w;
		     w = strtok_r(NULL, ":", &save))
			sleep |= strcmp(w, "sleep") == 0;
		if (!sleep)
			continue;
		n++;
		if (used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s (%s, pid %" PRIu32 ")",
						 used ? "; " : "", who, why, pid);
	}
	if (r < 0)
		log_debug("reading logind's inhibitor list failed: %s", strerror(-r));
out:
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return n;
}

/* Found in the journal with: journalctl MESSAGE_ID=<this>. */
#define RESUMED_MESSAGE_ID "MESSAGE_ID=4d2c6f1e0a8b4b7e9f3a51c2d8e6b701"

void journal_resumed(const char *uuid, uint64_t mem_bytes, uint64_t disk_bytes,
		     uint64_t snapshot_ns, uint64_t write_ns, uint64_t restore_ns)
{
	int r = sd_journal_send(
		"MESSAGE=Resumed from snapresume image %s: %" PRIu64 " MiB of memory, "
		"snapshot %.2f s, written in %.2f s, restored in %.2f s",
		uuid, mem_bytes >> 20, (double)snapshot_ns / 1e9, (double)write_ns / 1e9,
		(double)restore_ns / 1e9,
		RESUMED_MESSAGE_ID, "PRIORITY=5", "SYSLOG_IDENTIFIER=snapwrite",
		"SNAPRESUME_IMAGE=%s", uuid, "SNAPRESUME_MEMORY_BYTES=%" PRIu64, mem_bytes,
		"SNAPRESUME_DISK_BYTES=%" PRIu64, disk_bytes,
		"SNAPRESUME_SNAPSHOT_USEC=%" PRIu64, snapshot_ns / 1000,
		"SNAPRESUME_WRITE_USEC=%" PRIu64, write_ns / 1000,
		"SNAPRESUME_RESTORE_USEC=%" PRIu64, restore_ns / 1000, NULL);

	if (r < 0)
		log_debug("no journal entry for the resume: %s", strerror(-r));
}

int unit_exec_start(const char *unit, char *buf, size_t size)
{
	sd_bus *bus = NULL;
	sd_bus_message *reply = NULL, *prop = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *obj, *path;
	int r;

	if (size)
		buf[0] = '\0';
	r = sd_bus_open_system(&bus);
	if (r < 0)
		return r;
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "LoadUnit", &error, &reply, "s",
			       unit);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &obj);
	if (r >= 0)
		r = sd_bus_get_property(bus, "org.freedesktop.systemd1", obj,
					"org.freedesktop.systemd1.Service", "ExecStart", &error,
					&prop, "a(sasbttttuii)");
	if (r >= 0)
		r = sd_bus_message_enter_container(prop, 'a', "(sasbttttuii)");
	if (r >= 0)
		r = sd_bus_message_enter_container(prop, 'r', "sasbttttuii");
	if (r > 0) {
		r = sd_bus_message_read(prop, "s", &path);
		if (r >= 0)
			snprintf(buf, size, "%s", path);
	}
	if (r < 0)
		log_debug("ExecStart of %s: %s", unit, error.message ? error.message : strerror(-r));
	sd_bus_error_free(&error);
	sd_bus_message_unref(prop);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? r : 0;
}
