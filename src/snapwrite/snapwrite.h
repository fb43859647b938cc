/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapwrite: what its verbs share.  snapwrite.c has main() and the verb
 * table; each verb has its file (hibernate.c: hibernate and snapshot;
 * snapshot.c: the overlays and rollback; status.c: status, verify and
 * discard; prepare.c; check.c; setup.c); config.c reads the command line and
 * /etc/snapwrite.conf; target.c opens every kind of target; output.c
 * prints "key: value" lines or JSON.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/format.h"
#include "fsguard.h"
#include "rollback.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

#define DEFAULT_CONFIG "/etc/snapwrite.conf"
#define MAPPING_NAME "snapwrite-image"
#define PASSPHRASE_TRIES 3
#define CREATE_IMAGE_RETRIES 2 /* with a smaller preferred image size */

/*
 * Every function of snapwrite returns 0 (or a count, where it says so) or
 * a negative errno, and says what went wrong itself, once, where it knows
 * the names (the device, the mount, the option).  main() turns the
 * verb's result into the documented exit status (snapwrite(8)) in one
 * place, exit_status() in snapwrite.c, by the errno's class:
 *
 *   -EINVAL                          2  bad command line or configuration
 *   -ENODEV -ENXIO -EBUSY -ENOSPC    3  the target: missing, busy, too small,
 *   -EMEDIUMTYPE -EEXIST -ENOTBLK       not what it must be, or failing
 *   -EROFS -EKEYREJECTED -ESTALE
 *   -EIO -EACCES
 *   -EPERM -EOPNOTSUPP -ENOSYS       4  the kernel cannot or will not
 *   -ENOMEM -EDEADLK                    hibernate (not enough memory for the
 *                                       snapshot; tasks that did not freeze)
 *   -ENODATA                         5  no valid image on the target
 *   anything else, e.g. -ECANCELED   1  refused or failed; the system runs on
 *   (a refusal already explained)
 *
 * So a function that passes on an errno from elsewhere picks one of these
 * when the class would otherwise be wrong (an -ENOENT from opening a
 * target is the target's problem: -ENODEV).
 */

/* What the machine does once the image is committed (mode=, --mode). */
enum { POWER_AUTO, POWER_PLATFORM, POWER_SHUTDOWN, POWER_REBOOT };

struct args {
	const char *command;
	char target[256];
	const char *config;
	bool config_given;
	bool list;
	bool quiet;
	uint64_t workers;
	uint64_t image_size; /* SNAPSHOT_PREF_IMAGE_SIZE, 0: kernel default */
	char keyfile[256];   /* opens a LUKS2 target */
	bool ask_password;   /* or: ask for its passphrase on the terminal */
	bool yes;            /* prepare: do not ask */
	bool json;           /* status: JSON */
	uint64_t file_size;  /* prepare: size of an image file to make */
	enum { FS_UNKNOWN_REFUSE, FS_UNKNOWN_ALLOW } fs_guard_unknown;
	enum { FS_VISIBILITY_REFUSE, FS_VISIBILITY_WARN } fs_guard_visibility;
	enum { TEMP_SWAP_AUTO, TEMP_SWAP_NO } temp_swap; /* temp_swap=: tempswap.c */
	enum { ENC_DEFAULT, ENC_REQUIRED, ENC_OPTIONAL } encryption;
	char conf_target[256]; /* target= of the configuration file */
	/* snapshot and rollback */
	bool snapshot;         /* the command is snapshot: run on afterwards */
	bool ignore_inhibitors; /* --ignore-inhibitors: logind's block locks too */
	const char *action;    /* rollback: resume, keep or discard */
	struct overlay_list overlays; /* overlay= lines */
	uint64_t cow_min;      /* cow_min=: the smallest COW store taken */
	uint64_t monitor_interval; /* monitor_interval=: seconds, 0 none */
	bool oneshot_boot;         /* oneshot_boot=yes: the next boot starts this kernel */
	bool golden;               /* --golden, golden=yes: every boot returns to the snapshot */
	bool dry_run;              /* setup: print the plan, change nothing */
	bool undo;                 /* setup --undo */
	int mode;                  /* POWER_*: mode=, --mode, --reboot */
	bool mode_given;           /* --mode */
	bool then_suspend;         /* --then-suspend: hybrid sleep */
	uint64_t delay_usec;       /* suspend-then-hibernate --delay: 0, sleep.conf's */
};

/* The LUKS2 volume an image goes into, and what we did to it. */
struct crypt_target {
	struct crypt_device *cd; /* the volume, when there is one */
	char volume[256];        /* its device */
	bool opened;             /* we activated MAPPING_NAME */
	bool marked;             /* we set the image marker */
};

/* An image kept in extents of a device (locator.h): an active swap area,
 * or an image file made by "snapwrite prepare". */
struct xtarget {
	uint32_t kind;         /* 0: none (a device or LUKS2 volume), or EXTMAP_* */
	bool swap_file;
	dev_t devnum;          /* the device holding the extents */
	uint64_t offset_pages; /* resume_offset= */
	struct extmap map;     /* FILE: from its locator; SWAP: grown while writing */
	int snapfd;            /* SWAP: where free swap pages come from */
};

/* status output: "key: value" lines, or one JSON object (--json). */
struct out {
	bool json;
	bool any;
};

/* sleep.c: power modes, suspend to RAM, systemd's sleep.conf, logind */
#define SLEEP_ALLOW_NAME "50-snapresume.conf"
const char *power_mode_name(int mode);
bool platform_s4_offered(void);
bool suspend_offered(void); /* any suspend to RAM ("mem" in /sys/power/state) */
bool s3_offered(void);      /* S3 ("deep"), which hybrid sleep needs */
/* The mode this run uses: auto resolved; -EOPNOTSUPP (said) when
 * mode=platform is asked for and the platform has no S4. */
int power_mode_pick(const struct args *a, int *ret);
int do_suspend_then_hibernate(const struct args *a);
/* Tell logind which hibernating verbs it may offer (check passed or not). */
void sleep_allow_update(bool ok);

/* config.c */
void help(void);
/* A usage error: the message on stderr, then -EINVAL. */
int usage_error(const char *fmt, const char *arg);
/* 0, 1 when --help or --version was answered, or -EINVAL. */
int parse_args(int argc, char **argv, struct args *a);
int load_config(struct args *a);

/* target.c: finding and opening targets */
struct crypt_device;
int ask_user(const char *prompt, bool echo, char *buf, size_t size);
/* 0 when a target is given (--target or target=), else -EINVAL, said. */
int target_required(const struct args *a);
int open_target(const struct args *a, int flags, char **ret_path, int *ret_fd,
		uint64_t *ret_size);
void crypt_target_done(struct crypt_target *ct);
/* Is spec a LUKS2 volume (the image inside it)? */
bool target_is_luks2(const char *spec);
void xtarget_done(struct xtarget *xt);
int guard_in_use(const char *path);
int open_shared(const char *path, int flags, int *ret_fd, uint64_t *ret_size);
void print_resume_hint(const char *dev, uint64_t offset_pages);
int file_target_map(const char *file, int flags, struct xtarget *xt, struct extmap *full,
		    char *dev, size_t devsize);
int file_locator_kind(const char *path);
int open_extent_target(const struct args *a, struct xtarget *xt, bool write,
		       char **ret_path, int *ret_fd, uint64_t *ret_size);
int open_write_target(const struct args *a, struct crypt_target *ct, struct xtarget *xt,
		      bool guard, char **ret_path, int *ret_fd, uint64_t *ret_size);
int open_target_header(const struct args *a, int flags, struct xtarget *xt, char **ret_path,
		       int *ret_fd, uint64_t *ret_size, enum image_state *ret_state,
		       struct image_header *ret_h, const char **ret_why);

/* hibernate.c: the file systems whose state goes into the image */
#define FS_GUARD_MAX 32
struct fs_plan {
	size_t n;
	struct fs_mount mounts[FS_GUARD_MAX];
	char devs[FS_GUARD_MAX][80];
};
/* Every mount of every namespace accounted for: guarded, accepted, or
 * said and refused.  0, or -ECANCELED when refused (said). */
int fs_guard_plan(const struct args *a, struct fs_plan *plan);

/* visibility.c: will the initramfs of the next boot make the device of
 * each guarded file system visible?  fn is called for each, with why it
 * will not (NULL: it will) and the initramfs looked at (NULL: none found).
 * 0, -ECANCELED when one will not, or -errno. */
typedef void (*guard_visibility_fn)(void *userdata, const struct fs_mount *m,
				    const char *initramfs, const char *why);
struct initrd_view;
/* view: the initramfs, listed already (check); NULL: listed here, and only
 * when a device outside those of / and the target needs it. */
int guard_visibility(const struct args *a, const struct fs_plan *plan, struct initrd_view *view,
		     guard_visibility_fn fn, void *userdata);

/* tempswap.c: a dedicated target as swap while memory is pushed out for
 * the snapshot (more than about half of memory in use) */
#define TEMPSWAP_LABEL "snapwrite-tmp"
/* Is more memory in use than the snapshot can copy, with no swap to take
 * the rest (and temp_swap= not no)? */
bool tempswap_wanted(const struct args *a);
/* Make the target at path (open as *fd, size bytes) a swap area and swap
 * on to it; *fd is reopened shared and xt describes it as an active swap
 * partition.  0 or -errno (nothing left active). */
int tempswap_on(const char *path, int *fd, uint64_t size, struct xtarget *xt);
/* Swap off (bringing its pages back) and clear our swap signature. */
int tempswap_off(const char *path);
/* Clear the swap signature at path if it is our temporary one. */
int tempswap_clear(const char *path);

/* output.c */
void json_string(const char *value);
void out_str(struct out *o, const char *key, const char *value);
void out_u64(struct out *o, const char *key, uint64_t v);
void out_secs(struct out *o, const char *key, uint64_t ns);
void out_end(struct out *o);

/* snapshot.c: the overlays of the configuration and of the command line */
size_t overlay_specs(const struct args *a, struct overlay_spec *specs);

/* bootloader.c: the next boot's one-shot entry (oneshot_boot=) */
struct boot_oneshot {
	char loader[16];  /* "GRUB" or "systemd-boot" */
	char config[320]; /* grub.cfg, or the entries folder */
	char env[256];    /* GRUB: its environment block */
	char tool[256];   /* grub-editenv, grub2-editenv or bootctl */
	char entry[512];  /* what the one-shot choice is set to */
	char title[256];
};
/* The boot loader and the entry of kernel release krel: 0; -ENOENT no boot
 * loader known, -ESRCH no entry for krel, -ENOEXEC no tool to set it
 * (ret is filled as far as it got). */
int bootloader_find(const char *krel, struct boot_oneshot *ret);
int bootloader_set_oneshot(const struct boot_oneshot *b);
int bootloader_clear_oneshot(const struct boot_oneshot *b);
/* bootloader_find()'s error, in words. */
const char *bootloader_problem(int r);

/* The verbs. */
int do_hibernate(const struct args *a); /* hibernate, and snapshot (a->snapshot) */
int do_rollback(const struct args *a);
int do_status(const struct args *a);
int do_verify(const struct args *a);
int do_discard(const struct args *a);
int do_prepare(const struct args *a);
int do_check(const struct args *a);
int do_setup(const struct args *a);

/* check.c: what check checks before setup, except what setup sets (the
 * kernel command line, the initramfs).  0, or -ECANCELED when a check
 * failed (said). */
int check_for_setup(const struct args *a);
