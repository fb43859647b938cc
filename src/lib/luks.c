/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "luks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "blockdev.h"
#include "util.h"

int luks_open(const char *path, struct crypt_device **ret)
{
	struct crypt_device *cd = NULL;
	int r;

	r = crypt_init(&cd, path);
	if (r < 0)
		return r;
	r = crypt_load(cd, CRYPT_LUKS2, NULL);
	if (r < 0) {
		/* Tell an old LUKS1 volume from no LUKS at all. */
		bool luks1 = crypt_load(cd, CRYPT_LUKS1, NULL) == 0;
		crypt_free(cd);
		return luks1 ? -EPROTONOSUPPORT : -EMEDIUMTYPE;
	}
	*ret = cd;
	return 0;
}

void luks_freep(struct crypt_device **cd)
{
	if (*cd)
		crypt_free(*cd);
	*cd = NULL;
}

/* The id of our marker token, -ENOENT when there is none. */
static int marker_find(struct crypt_device *cd)
{
	int max = crypt_token_max(CRYPT_LUKS2);

	for (int t = 0; t < max; t++) {
		const char *type = NULL;
		crypt_token_info st = crypt_token_status(cd, t, &type);

		if ((st == CRYPT_TOKEN_EXTERNAL || st == CRYPT_TOKEN_EXTERNAL_UNKNOWN) && type &&
		    strcmp(type, LUKS_MARKER_TYPE) == 0)
			return t;
	}
	return -ENOENT;
}

int luks_marker_get(struct crypt_device *cd, char *ret_uuid)
{
	const char *json = NULL, *p;
	int t, r;

	t = marker_find(cd);
	if (t == -ENOENT)
		return 0;
	if (ret_uuid) {
		ret_uuid[0] = '\0';
		r = crypt_token_json_get(cd, t, &json);
		if (r < 0)
			return r;
		/* The marker is written by luks_marker_set() only; a value
		 * that does not look like ours is reported as empty. */
		p = strstr(json, "\"image\":\"");
		if (p) {
			p += strlen("\"image\":\"");
			size_t n = strcspn(p, "\"");
			if (n == 36) {
				memcpy(ret_uuid, p, 36);
				ret_uuid[36] = '\0';
			}
		}
	}
	return 1;
}

int luks_marker_clear(struct crypt_device *cd)
{
	int t, r;

	while ((t = marker_find(cd)) >= 0) {
		r = crypt_token_json_set(cd, t, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

int luks_marker_set(struct crypt_device *cd, const char *uuid_text)
{
	char json[160];
	int r;

	if (strlen(uuid_text) != 36 || strspn(uuid_text, "0123456789abcdef-") != 36)
		return -EINVAL;
	r = luks_marker_clear(cd);
	if (r < 0)
		return r;
	snprintf(json, sizeof(json), "{\"type\":\"" LUKS_MARKER_TYPE "\",\"keyslots\":[],\"image\":\"%s\"}",
		 uuid_text);
	r = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
	return r < 0 ? r : 0;
}

int luks_tokens(struct crypt_device *cd, struct luks_token *tokens, size_t max, size_t *ret_n)
{
	int n_max = crypt_token_max(CRYPT_LUKS2);
	size_t n = 0;

	if (n_max < 0)
		return n_max;
	for (int t = 0; t < n_max; t++) {
		const char *type = NULL;
		crypt_token_info st = crypt_token_status(cd, t, &type);

		if (st == CRYPT_TOKEN_INACTIVE || st == CRYPT_TOKEN_INVALID || !type ||
		    strcmp(type, LUKS_MARKER_TYPE) == 0)
			continue;
		if (n < max) {
			tokens[n].id = t;
			snprintf(tokens[n].type, sizeof(tokens[n].type), "%s", type);
			tokens[n].builtin = st == CRYPT_TOKEN_INTERNAL;
			tokens[n].plugin = st == CRYPT_TOKEN_EXTERNAL;
		}
		n++;
	}
	*ret_n = n;
	return 0;
}

/* libcryptsetup returns the key slot used (>= 0) on success. */
static int activated(int r)
{
	return r < 0 ? r : 0;
}

int luks_activate_token(struct crypt_device *cd, const char *name)
{
	return activated(crypt_activate_by_token(cd, name, CRYPT_ANY_TOKEN, NULL, 0));
}

int luks_activate_keyfile(struct crypt_device *cd, const char *name, const char *keyfile)
{
	if (access(keyfile, R_OK) < 0)
		return -errno;
	return activated(crypt_activate_by_keyfile_device_offset(cd, name, CRYPT_ANY_SLOT, keyfile,
								 0, 0, 0));
}

int luks_activate_passphrase(struct crypt_device *cd, const char *name, const char *pass,
			     size_t len)
{
	return activated(crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, pass, len, 0));
}

int luks_deactivate(const char *name)
{
	return crypt_deactivate(NULL, name);
}

void luks_mapper_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", crypt_get_dir(), name);
}

/* Read a one-line sysfs attribute into buf, without the newline. */
static int sysfs_read(const char *path, char *buf, size_t size)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* dir: a device's sysfs directory.  1 if it or anything under it is a
 * dm-crypt mapping. */
static int sysfs_encrypted(const char *dir, unsigned depth)
{
	char path[512], uuid[256], slaves[8][BLOCKDEV_NAME_MAX];
	size_t n = 0;
	int found = 0;

	if (depth > 8)
		return -ELOOP;
	snprintf(path, sizeof(path), "%s/dm/uuid", dir);
	if (sysfs_read(path, uuid, sizeof(uuid)) == 0 && strncmp(uuid, "CRYPT-", 6) == 0)
		return 1;
	snprintf(path, sizeof(path), "%s/slaves", dir);
	if (blockdev_sysfs_list(path, slaves, ARRAY_SIZE(slaves), &n) < 0)
		return 0;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(slaves) && !found; i++) {
		snprintf(path, sizeof(path), "/sys/class/block/%s", slaves[i]);
		found = sysfs_encrypted(path, depth + 1);
	}
	return found;
}

int luks_device_encrypted(const char *path, char *ret_backing, size_t size)
{
	char dir[128], attr[256], uuid[256], slaves[1][BLOCKDEV_NAME_MAX];
	struct stat st;
	size_t n = 0;
	dev_t dev;

	if (ret_backing && size)
		ret_backing[0] = '\0';
	if (stat(path, &st) < 0)
		return -errno;
	/* A file is as encrypted as the file system's device. */
	dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(dev), minor(dev));

	snprintf(attr, sizeof(attr), "%s/dm/uuid", dir);
	if (ret_backing && S_ISBLK(st.st_mode) && sysfs_read(attr, uuid, sizeof(uuid)) == 0 &&
	    strncmp(uuid, "CRYPT-LUKS2-", 12) == 0) {
		/* A LUKS2 mapping has exactly one device under it. */
		snprintf(attr, sizeof(attr), "%s/slaves", dir);
		if (blockdev_sysfs_list(attr, slaves, 1, &n) == 0 && n == 1)
			snprintf(ret_backing, size, "/dev/%s", slaves[0]);
	}
	return sysfs_encrypted(dir, 0);
}

int luks_active_holder(const char *path, char *buf, size_t size)
{
	char names[16][BLOCKDEV_NAME_MAX], attr[600], uuid[256];
	size_t n = 0;
	int r;

	r = blockdev_holders(path, names, ARRAY_SIZE(names), &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(names); i++) {
		snprintf(attr, sizeof(attr), "/sys/class/block/%s/dm/uuid", names[i]);
		if (sysfs_read(attr, uuid, sizeof(uuid)) == 0 &&
		    strncmp(uuid, "CRYPT-LUKS2-", 12) == 0) {
			snprintf(buf, size, "/dev/%s", names[i]);
			return 1;
		}
	}
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int dmcrypt_active(char *names, size_t size)
{
	_cleanup_(closedirp) DIR *d = opendir("/sys/block");
	struct dirent *e;
	int n = 0;

	if (names && size)
		names[0] = '\0';
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], uuid[160], name[300];

		if (strncmp(e->d_name, "dm-", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/uuid", e->d_name);
		if (read_text_file(path, uuid, sizeof(uuid)) < 0 || strncmp(uuid, "CRYPT-", 6) != 0)
			continue;
		n++;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", e->d_name);
		if (read_text_file(path, name, sizeof(name)) < 0)
			snprintf(name, sizeof(name), "%s", e->d_name);
		name[strcspn(name, "\n")] = '\0';
		if (names && strlen(names) + strlen(name) + 2 < size)
			snprintf(names + strlen(names), size - strlen(names), "%s%s",
				 names[0] ? " " : "", name);
	}
	return n;
}
