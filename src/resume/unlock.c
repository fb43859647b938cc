/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An image in a LUKS2 volume: its marker says whether to unlock at all;
 * tokens, the key file, then the passphrase on the console.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libcryptsetup.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "blockdev.h"
#include "fsguard.h"
#include "hash.h"
#include "format/format.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "options.h"
#include "rollback-boot.h"
#include "pipeline.h"
#include "snapdev.h"
#include "sysinfo.h"
#include "target.h"
#include "util.h"


#include "resume.h"

enum unlock_result {
	UNLOCKED,
	UNLOCK_DISCARD,  /* boot without resuming, the image invalidated */
	UNLOCK_POWEROFF, /* power off, the image kept */
};

/* Ask what to do after the passphrase tries ran out.  true: try again. */
static bool ask_try_again(const char *path)
{
	char answer[64];
	int r;

	for (;;) {
		log_msg("the image on %s could not be unlocked.", path);
		r = ask_line(ASK_AUTO, CONSOLE,
			     "Type 'discard' to boot without resuming (the hibernated session "
			     "is lost), or press Enter to try again: ",
			     true, 0, answer, sizeof(answer));
		if (r < 0) {
			log_error("cannot ask on %s: %s", CONSOLE, strerror(-r));
			return false;
		}
		if (strcmp(answer, "discard") == 0)
			return false;
		if (answer[0] == '\0')
			return true;
		log_msg("answer 'discard' or press Enter");
	}
}

/* The volume's tokens first, as systemd-cryptsetup tries them: 0 when one
 * unlocked it.  When none did, one line says why, so that the passphrase
 * prompt that follows is not a surprise: the plugin of a token type is not
 * in the initramfs, its device (the TPM) is missing, or it refused (a TPM2
 * policy whose PCRs no longer match). */
static int unlock_token(struct crypt_device *cd, const char *path)
{
	struct luks_token t[8];
	char types[160] = "", missing[160] = "";
	bool tpm2 = false;
	size_t n = 0;
	int r;

	r = luks_tokens(cd, t, ARRAY_SIZE(t), &n);
	if (r < 0) {
		log_msg("cannot read the tokens of %s: %s", path, strerror(-r));
		n = 0;
	}
	for (size_t i = 0; i < n && i < ARRAY_SIZE(t); i++) {
		size_t l = strlen(types), m = strlen(missing);

		snprintf(types + l, sizeof(types) - l, "%s%d (%s)", l ? ", " : "", t[i].id,
			 t[i].type);
		if (!t[i].builtin && !t[i].plugin)
			snprintf(missing + m, sizeof(missing) - m, "%s" LUKS_TOKEN_PLUGIN,
				 m ? ", " : "", t[i].type);
		if (strcmp(t[i].type, "systemd-tpm2") == 0)
			tpm2 = true;
	}

	r = luks_activate_token(cd, MAPPING_NAME);
	if (r == 0) {
		log_msg("%s unlocked with a LUKS2 token", path);
		return 0;
	}
	if (n == 0 && r == -ENOENT)
		return r; /* no token: nothing to say */
	if (missing[0])
		log_msg("no LUKS2 token unlocked %s: token %s: the initramfs lacks %s (rebuild it "
			"with snapresume's module: dracut -f, update-initramfs -u)",
			path, types, missing);
	else if (r == -EOPNOTSUPP)
		log_msg("no LUKS2 token unlocked %s: token %s: its plugin cannot load the libraries "
			"it needs%s (rebuild the initramfs with snapresume's module: dracut -f, "
			"update-initramfs -u)",
			path, types, tpm2 ? " (tpm2-tss)" : "");
	else if (r == -EAGAIN)
		log_msg("no LUKS2 token unlocked %s: token %s: its device is not there (%s)", path,
			types, tpm2 ? "no TPM: /dev/tpmrm0 missing" : "not plugged in");
	else if (tpm2)
		log_msg("no LUKS2 token unlocked %s: token %s refused (%s): the PCRs it is bound to "
			"changed (firmware, boot loader or Secure Boot update?); re-enroll with "
			"systemd-cryptenroll --wipe-slot=tpm2 --tpm2-device=auto",
			path, types, strerror(-r));
	else
		log_msg("no LUKS2 token unlocked %s: token %s: %s", path, types, strerror(-r));
	return r;
}

static enum unlock_result unlock(struct crypt_device *cd, const char *path,
				 const struct resume_opts *o)
{
	char prompt[320];
	static char pass[512]; /* not on the stack: locked and wiped in one place */
	int r;

	r = unlock_token(cd, path);
	if (r == 0)
		return UNLOCKED;
	if (o->keyfile[0]) {
		r = luks_activate_keyfile(cd, MAPPING_NAME, o->keyfile);
		if (r == 0) {
			log_msg("%s unlocked with key file %s", path, o->keyfile);
			return UNLOCKED;
		}
		log_msg("key file %s does not unlock %s: %s", o->keyfile, path,
			r == -EPERM ? "it matches no key slot" : strerror(-r));
	}

	(void)mlock(pass, sizeof(pass));
	snprintf(prompt, sizeof(prompt), "Passphrase for the hibernation image on %s: ", path);
	for (;;) {
		bool ask_more = true;

		for (uint64_t i = 1; i <= o->tries && ask_more; i++) {
			r = ask_line(ASK_AUTO, CONSOLE, prompt, false, (unsigned)o->ask_timeout, pass,
				     sizeof(pass));
			if (r < 0) {
				if (r == -ETIMEDOUT)
					log_msg("no passphrase typed within %" PRIu64 " s",
						o->ask_timeout);
				else
					log_error("cannot ask for the passphrase on %s: %s", CONSOLE,
						  strerror(-r));
				ask_more = false;
				break;
			}
			r = luks_activate_passphrase(cd, MAPPING_NAME, pass, (size_t)r);
			explicit_bzero(pass, sizeof(pass));
			if (r == 0) {
				log_msg("%s unlocked", path);
				return UNLOCKED;
			}
			if (r == -EPERM)
				log_msg("wrong passphrase for %s (try %" PRIu64 " of %" PRIu64 ")", path,
					i, o->tries);
			else
				log_error("failed to unlock %s: %s", path, strerror(-r));
		}
		switch (o->unlock_fail) {
		case UNLOCK_FAIL_DISCARD:
			log_msg("rd.snap.unlock_fail=discard: giving up on the image on %s", path);
			return UNLOCK_DISCARD;
		case UNLOCK_FAIL_POWEROFF:
			return UNLOCK_POWEROFF;
		case UNLOCK_FAIL_ASK:
			if (!ask_try_again(path))
				return UNLOCK_DISCARD;
			break;
		}
	}
}

/* Inside an unlocked LUKS2 volume: the image at its start, or, with
 * resume_offset=, an image file of a file system in it (its locator at
 * that page of the volume). */
static int resume_in_volume(const char *mapped, const struct resume_opts *o,
			    const struct args *a, struct crypt_device *cd)
{
	enum locator_found found;
	struct extmap m;
	const char *why = NULL;
	int ret;

	if (!o->resume_offset)
		return resume_from(mapped, o, a, cd, NULL);
	ret = locator_at(mapped, o, &m, &found, &why);
	if (ret)
		return ret;
	if (found != LOC_OURS || m.kind != EXTMAP_FILE) {
		extmap_done(&m);
		log_msg("no image file in the encrypted volume at page %" PRIu64 "%s%s",
			o->resume_offset, why ? ": " : "", why ? why : "");
		return found == LOC_DAMAGED ? -ECANCELED : 0;
	}
	ret = resume_from(mapped, o, a, cd, &m);
	extmap_done(&m);
	return ret;
}

/* Resume from path, which may be a LUKS2 volume holding the image. */
int resume_path(const char *path, const struct resume_opts *o, const struct args *a)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	char mapped[256], u[37];
	int r, ret;

	r = luks_open(path, &cd);
	if (r == -EMEDIUMTYPE && o->resume_offset) {
		log_msg("no image on %s at page %" PRIu64, path, o->resume_offset);
		return 0;
	}
	if (r == -EMEDIUMTYPE)
		return resume_from(path, o, a, NULL, NULL);
	if (r == -EPROTONOSUPPORT) {
		log_msg("%s is a LUKS1 volume; images are only kept in LUKS2 volumes "
			"(cryptsetup convert --type luks2)",
			path);
		return 0;
	}
	if (r < 0) {
		log_error("Failed to read the LUKS2 header of %s: %s; booting without resuming",
			  path, strerror(-r));
		return r;
	}

	/* The marker says whether there is anything to unlock for. */
	r = luks_marker_get(cd, u);
	if (r < 0) {
		log_error("Failed to read the tokens of %s: %s; booting without resuming", path,
			  strerror(-r));
		return r;
	}
	if (r == 0) {
		log_msg("no image in the encrypted volume %s", path);
		return 0;
	}
	if (o->noresume && !a->dry_run) {
		r = luks_marker_clear(cd);
		if (r < 0) {
			log_error("Failed to invalidate the image in %s: %s", path, strerror(-r));
			return r;
		}
		log_msg("noresume given: image %s in %s invalidated: the file systems will move "
			"on without it",
			u, path);
		return 0;
	}

	log_msg("image %s is in the encrypted volume %s", u, path);
	switch (unlock(cd, path, o)) {
	case UNLOCKED:
		break;
	case UNLOCK_POWEROFF:
		log_msg("rd.snap.unlock_fail=poweroff: image %s in %s kept; powering off", u, path);
		sync();
		reboot(RB_POWER_OFF);
		/* Still running: the boot goes on, so the image must go. */
		log_error("Failed to power off: %s", strerror(errno));
		__attribute__((fallthrough));
	case UNLOCK_DISCARD:
		if (o->keep || a->dry_run) {
			log_msg("image %s in %s kept (%s); booting without resuming", u, path,
				a->dry_run ? "--dry-run" : "rd.snap.keep");
			return -ECANCELED;
		}
		r = luks_marker_clear(cd);
		if (r < 0)
			log_error("Failed to invalidate the image in %s: %s", path, strerror(-r));
		else
			log_msg("image %s in %s invalidated; booting without resuming", u, path);
		return -ECANCELED;
	}

	luks_mapper_path(MAPPING_NAME, mapped, sizeof(mapped));
	ret = resume_in_volume(mapped, o, a, cd);

	/* Still here: nothing was restored.  The image inside is invalid,
	 * refused or absent (or kept, on request): the marker follows it. */
	if (!o->keep && !a->dry_run) {
		r = luks_marker_clear(cd);
		if (r < 0)
			log_error("Failed to remove the image marker of %s: %s", path, strerror(-r));
	}
	r = luks_deactivate(MAPPING_NAME);
	if (r < 0)
		log_error("Failed to close %s: %s", mapped, strerror(-r));
	else
		log_msg("closed %s", mapped);
	return ret;
}
