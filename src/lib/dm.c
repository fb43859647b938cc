/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dm.h"

#include <errno.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static bool udev_sync = true;

/* libdevmapper prints its own messages to stderr; ours say what failed. */
static void quiet_log(int level, const char *file, int line, int dm_errno, const char *f, ...)
{
	(void)level, (void)file, (void)line, (void)dm_errno, (void)f;
}

static void dmx_init(void)
{
	static bool done;

	if (done)
		return;
	dm_log_with_errno_init(quiet_log);
	done = true;
}

void dmx_udev(bool sync)
{
	dmx_init();
	udev_sync = sync;
	dm_udev_set_sync_support(sync);
}

/* Run dmt; with a cookie for the calls that make udev events, so that the
 * nodes exist (made by udev, or by libdevmapper without it) on return. */
static int run(struct dm_task *dmt, bool events)
{
	uint32_t cookie = 0;
	int r = 0;

	if (events && !dm_task_set_cookie(dmt, &cookie, 0))
		return -EIO;
	if (!dm_task_run(dmt))
		r = errno ? -errno : -EIO;
	if (events) {
		if (r == 0 || cookie)
			dm_udev_wait(cookie);
		if (!udev_sync)
			dm_task_update_nodes();
	}
	return r;
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt;

	dmx_init();
	dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

int dmx_exists(const char *name, unsigned *ret_major, unsigned *ret_minor)
{
	struct dm_task *dmt = task(DM_DEVICE_INFO, name);
	struct dm_info info;
	int r;

	if (!dmt)
		return -ENOMEM;
	r = run(dmt, false);
	if (r == 0 && !dm_task_get_info(dmt, &info))
		r = -EIO;
	if (r == 0) {
		r = info.exists ? 1 : 0;
		if (info.exists && ret_major)
			*ret_major = info.major;
		if (info.exists && ret_minor)
			*ret_minor = info.minor;
	}
	dm_task_destroy(dmt);
	return r;
}

int dmx_target(const char *name, bool status, char *type, size_t type_size, uint64_t *ret_len,
	       char *params, size_t params_size)
{
	struct dm_task *dmt = task(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE, name);
	uint64_t start, len;
	char *ttype = NULL, *tparams = NULL;
	struct dm_info info;
	void *next;
	int r;

	if (!dmt)
		return -ENOMEM;
	r = run(dmt, false);
	if (r == 0 && (!dm_task_get_info(dmt, &info) || !info.exists))
		r = -ENXIO;
	if (r == 0) {
		next = dm_get_next_target(dmt, NULL, &start, &len, &ttype, &tparams);
		if (!ttype)
			r = -ENXIO;
		else if (next)
			r = -E2BIG;
	}
	if (r == 0) {
		if (strlen(ttype) >= type_size || strlen(tparams ? tparams : "") >= params_size)
			r = -ENAMETOOLONG;
		else {
			strcpy(type, ttype);
			strcpy(params, tparams ? tparams : "");
			*ret_len = len;
		}
	}
	dm_task_destroy(dmt);
	return r;
}

static int load_ro(int kind, const char *name, uint64_t len, const char *type,
		   const char *params, bool ro)
{
	struct dm_task *dmt = task(kind, name);
	int r;

	if (!dmt)
		return -ENOMEM;
	if ((ro && !dm_task_set_ro(dmt)) || !dm_task_add_target(dmt, 0, len, type, params)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	r = run(dmt, kind == DM_DEVICE_CREATE);
	dm_task_destroy(dmt);
	return r;
}

int dmx_create(const char *name, uint64_t len, const char *type, const char *params)
{
	return load_ro(DM_DEVICE_CREATE, name, len, type, params, false);
}

int dmx_create_ro(const char *name, uint64_t len, const char *type, const char *params)
{
	return load_ro(DM_DEVICE_CREATE, name, len, type, params, true);
}

int dmx_reload(const char *name, uint64_t len, const char *type, const char *params)
{
	return load_ro(DM_DEVICE_RELOAD, name, len, type, params, false);
}

/* A task on NAME alone: suspend (noflush: no flush, no lockfs), resume
 * (events: it makes udev events), clear. */
static int name_task(int type, const char *name, bool noflush, bool events)
{
	struct dm_task *dmt = task(type, name);
	int r;

	if (!dmt)
		return -ENOMEM;
	if (noflush && (!dm_task_no_flush(dmt) || !dm_task_skip_lockfs(dmt))) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	r = run(dmt, events);
	dm_task_destroy(dmt);
	return r;
}

int dmx_suspend(const char *name, bool noflush)
{
	return name_task(DM_DEVICE_SUSPEND, name, noflush, false);
}

int dmx_resume(const char *name)
{
	return name_task(DM_DEVICE_RESUME, name, false, true);
}

int dmx_remove(const char *name)
{
	return name_task(DM_DEVICE_REMOVE, name, false, true);
}

int dmx_clear(const char *name)
{
	return name_task(DM_DEVICE_CLEAR, name, false, false);
}

int dmx_name_of(unsigned major, unsigned minor, char *buf, size_t size)
{
	char path[96];
	int r;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm/name", major, minor);
	r = read_text_file(path, buf, size);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? 1 : 0;
}

void dmx_release(void)
{
	dm_lib_release();
}
