/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Encrypted targets: LUKS2 volumes through libcryptsetup.  The image lives
 * inside the volume; this module opens and closes the mapping and keeps the
 * image marker, a LUKS2 token of type "snapresume-image" in the volume's
 * plaintext metadata that says "an image may be inside".  The marker holds
 * no secret (the image UUID only).  It lets the initramfs skip the
 * passphrase prompt on every boot that has nothing to resume, and lets a
 * locked image be invalidated without its key (docs/FORMAT.md).
 *
 * Nothing here prints; libcryptsetup's own messages go wherever the program
 * sent them with crypt_set_log_callback().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypt_device;

#define LUKS_MARKER_TYPE "snapresume-image"

/* Open the LUKS2 header on path: 0, -ENOTBLK-style errors from
 * libcryptsetup, or -EMEDIUMTYPE when path holds no LUKS2 header
 * (-EPROTONOSUPPORT for a LUKS1 header). */
int luks_open(const char *path, struct crypt_device **ret);
void luks_freep(struct crypt_device **cd);

/* Is there an image marker?  ret_uuid (optional) gets the image UUID text
 * (37 bytes).  1 yes, 0 no, negative errno. */
int luks_marker_get(struct crypt_device *cd, char *ret_uuid);
/* Replace any marker by one naming image uuid_text. */
int luks_marker_set(struct crypt_device *cd, const char *uuid_text);
/* Remove the marker; 0 also when there was none. */
int luks_marker_clear(struct crypt_device *cd);

/* A token of the volume other than our marker: an unlock method such as
 * systemd-cryptenroll's "systemd-tpm2", "systemd-fido2" or
 * "systemd-pkcs11".  Its handler is built into libcryptsetup (builtin), a
 * plugin libcryptsetup could load here (plugin: LUKS_TOKEN_PLUGIN in its
 * token folder), or neither (no plugin installed for its type). */
struct luks_token {
	int id;
	char type[64];
	bool builtin, plugin;
};
#define LUKS_TOKEN_PLUGIN "libcryptsetup-token-%s.so"

/* The volume's tokens, our marker left out: up to max into tokens, how
 * many there are into *ret_n (may be more than max).  0 or negative errno. */
int luks_tokens(struct crypt_device *cd, struct luks_token *tokens, size_t max, size_t *ret_n);

/* Unlock into /dev/mapper/name.  Each returns 0, -EPERM for a key that
 * opens no key slot, -ENOENT (tokens: none usable; key file: missing), or
 * another negative errno.  Key material is wiped by libcryptsetup or by
 * the caller (passphrase). */
int luks_activate_token(struct crypt_device *cd, const char *name);
int luks_activate_keyfile(struct crypt_device *cd, const char *name, const char *keyfile);
int luks_activate_passphrase(struct crypt_device *cd, const char *name, const char *pass,
			     size_t len);
int luks_deactivate(const char *name);

/* /dev/mapper/name. */
void luks_mapper_path(const char *name, char *buf, size_t size);

/*
 * What a block device is, from sysfs: 1 when it is a dm-crypt mapping or
 * sits on one (any device in its "slaves" tree), 0 when nothing under it
 * encrypts, negative errno.  When it is itself a mapping of a LUKS2
 * volume, ret_backing (optional, size bytes) names the volume's device
 * ("" otherwise).
 */
int luks_device_encrypted(const char *path, char *ret_backing, size_t size);

/* The dm-crypt mappings active on this system (any kind: LUKS, plain,
 * TCRYPT...), their names space-separated into names (may be NULL): how
 * many.  Their keys are in memory, so in any memory image. */
int dmcrypt_active(char *names, size_t size);

/* An open dm-crypt mapping of the LUKS2 volume on path, if any: its node
 * ("/dev/dm-N") in buf.  1 found, 0 none, negative errno. */
int luks_active_holder(const char *path, char *buf, size_t size);
