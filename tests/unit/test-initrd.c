/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of what decides whether the next boot's initramfs sees a
 * guarded file system: the device stack read from sysfs (devstack.h, on a
 * sysfs tree made here as the kernel lays it out: LVM on LUKS2 on a
 * partition of a virtio disk) and the rules of dracut and initramfs-tools
 * (initrd.h) on file lists, command lines and crypttabs as they write them.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devstack.h"
#include "initrd.h"

static char root[64];

static void mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

/* ROOT/path with its folders, holding text (NULL: a folder). */
static void put(const char *path, const char *text)
{
	char full[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	if (!text) {
		mkdir_p(full);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", full);
	*strrchr(dir, '/') = 0;
	mkdir_p(dir);
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ROOT/link -> ROOT/target */
static void link_to(const char *target, const char *link)
{
	char t[PATH_MAX], l[PATH_MAX], dir[PATH_MAX];

	snprintf(t, sizeof(t), "%s/%s", root, target);
	snprintf(l, sizeof(l), "%s/%s", root, link);
	snprintf(dir, sizeof(dir), "%s", l);
	*strrchr(dir, '/') = 0;
	mkdir_p(dir);
	assert_int_equal(symlink(t, l), 0);
}

#define PCI "devices/pci0000:00/0000:00:05.0"
#define DISK PCI "/virtio2/block/vdc"

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/test-initrd.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	/* virtio_pci built in (no initstate), virtio_blk a module. */
	put("module/virtio_pci", NULL);
	put("module/virtio_blk/initstate", "live\n");
	link_to("module/virtio_pci", "bus/pci/drivers/virtio-pci/module");
	link_to("module/virtio_blk", "bus/virtio/drivers/virtio_blk/module");
	link_to("bus/pci/drivers/virtio-pci", PCI "/driver");
	link_to("bus/virtio/drivers/virtio_blk", PCI "/virtio2/driver");
	put(DISK "/dev", "252:32\n");
	link_to(PCI "/virtio2", DISK "/device");
	put(DISK "/vdc1/dev", "252:33\n");
	put(DISK "/vdc1/partition", "1\n");
	put("devices/virtual/block/dm-0/dev", "253:0\n");
	put("devices/virtual/block/dm-0/dm/name", "home\n");
	put("devices/virtual/block/dm-0/dm/uuid",
	    "CRYPT-LUKS2-66666666777788889999000000000000-home\n");
	link_to(DISK "/vdc1", "devices/virtual/block/dm-0/slaves/vdc1");
	put("devices/virtual/block/dm-1/dev", "253:1\n");
	put("devices/virtual/block/dm-1/dm/name", "vg0-my--lv\n");
	put("devices/virtual/block/dm-1/dm/uuid", "LVM-0123456789abcdef\n");
	link_to("devices/virtual/block/dm-0", "devices/virtual/block/dm-1/slaves/dm-0");
	put("devices/virtual/block/loop0/dev", "7:0\n");
	put("devices/virtual/block/loop0/loop/backing_file", "/var/lib/disk.img\n");
	link_to(DISK, "dev/block/252:32");
	link_to(DISK "/vdc1", "dev/block/252:33");
	link_to("devices/virtual/block/dm-0", "dev/block/253:0");
	link_to("devices/virtual/block/dm-1", "dev/block/253:1");
	link_to("devices/virtual/block/loop0", "dev/block/7:0");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_stack_lvm_on_luks(void **state)
{
	struct layer l[8];
	size_t n = 0;

	(void)state;
	assert_int_equal(devstack_walk(root, 253, 1, l, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(l[0].kind, LAYER_LVM);
	assert_string_equal(l[0].dm_name, "vg0-my--lv");
	assert_int_equal(l[1].kind, LAYER_CRYPT);
	assert_string_equal(l[1].uuid, "66666666-7777-8888-9999-000000000000");
	assert_string_equal(l[1].dm_name, "home");
	assert_int_equal(l[1].depth, 1);
	assert_int_equal(l[2].kind, LAYER_PART);
	assert_string_equal(l[2].name, "vdc1");
	assert_int_equal(l[3].kind, LAYER_DISK);
	assert_string_equal(l[3].name, "vdc");
	assert_int_equal(l[3].major, 252);
	assert_int_equal(l[3].minor, 32);
	/* virtio_pci is built in: only the module is named. */
	assert_string_equal(l[3].modules, "virtio_blk");

	/* Too small an array: the count says so. */
	assert_int_equal(devstack_walk(root, 253, 1, l, 2, &n), 0);
	assert_int_equal(n, 4);

	assert_int_equal(devstack_walk(root, 7, 0, l, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].kind, LAYER_LOOP);
	assert_string_equal(l[0].backing, "/var/lib/disk.img");

	assert_int_equal(devstack_walk(root, 9, 9, l, 8, &n), -ENOENT);
	assert_int_equal(n, 0);
}

static void test_lvm_names(void **state)
{
	char vg[32], lv[32];

	(void)state;
	assert_int_equal(lvm_split_name("vg0-my--lv", vg, sizeof(vg), lv, sizeof(lv)), 0);
	assert_string_equal(vg, "vg0");
	assert_string_equal(lv, "my-lv");
	assert_int_equal(lvm_split_name("my--vg-root", vg, sizeof(vg), lv, sizeof(lv)), 0);
	assert_string_equal(vg, "my-vg");
	assert_string_equal(lv, "root");
	assert_int_equal(lvm_split_name("vg-lv-real", vg, sizeof(vg), lv, sizeof(lv)), 0);
	assert_string_equal(lv, "lv");
	assert_int_equal(lvm_split_name("novolume", vg, sizeof(vg), lv, sizeof(lv)), -EINVAL);
	assert_int_equal(lvm_split_name("-lv", vg, sizeof(vg), lv, sizeof(lv)), -EINVAL);
}

#define U "66666666-7777-8888-9999-000000000000"

static void view(struct initrd_view *v, const char *files, const char *cmdline,
		 const char *crypttab)
{
	initrd_view_done(v);
	memset(v, 0, sizeof(*v));
	snprintf(v->path, sizeof(v->path), "/boot/initrd.img-test");
	v->files = strdup(files);
	v->listed = true;
	snprintf(v->cmdline, sizeof(v->cmdline), "%s", cmdline);
	snprintf(v->crypttab, sizeof(v->crypttab), "%s", crypttab);
	initrd_view_classify(v);
}

#define DRACUT_SD "\nusr/lib/dracut/hooks\nusr/lib/systemd/systemd\nusr/lib/systemd/systemd-cryptsetup\n" \
	"usr/lib/modules/6.12.0/kernel/drivers/block/virtio_blk.ko.xz\nusr/sbin/lvm\n"
#define DRACUT_SH "\nusr/lib/dracut/hooks\nusr/sbin/cryptsetup\n"
#define ITOOLS "\nconf/initramfs.conf\nscripts/local-top/cryptroot\nusr/sbin/cryptsetup\n" \
	"usr/lib/modules/6.1.0/kernel/drivers/usb/storage/usb-storage.ko\n"

static void test_dracut_luks(void **state)
{
	struct initrd_view v = {0};

	(void)state;
	view(&v, DRACUT_SD, "root=/dev/vda quiet", "");
	assert_int_equal(v.gen, INITRD_DRACUT);
	assert_true(v.systemd);
	assert_false(initrd_unlocks_crypt(&v, "home", U));

	view(&v, DRACUT_SD, "root=/dev/vda rd.luks.uuid=" U, "");
	assert_true(initrd_unlocks_crypt(&v, "home", U));
	view(&v, DRACUT_SD, "rd.luks.uuid=luks-" U " quiet", "");
	assert_true(initrd_unlocks_crypt(&v, "home", U));
	/* rd.luks.name= alone: systemd's generator opens it. */
	view(&v, DRACUT_SD, "rd.luks.name=" U "=home", "");
	assert_true(initrd_unlocks_crypt(&v, "home", U));
	/* ... dracut's shell scripts do not. */
	view(&v, DRACUT_SH, "rd.luks.name=" U "=home", "");
	assert_int_equal(v.gen, INITRD_DRACUT);
	assert_false(v.systemd);
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	/* rd.luks=0 wins. */
	view(&v, DRACUT_SD, "rd.luks.uuid=" U " rd.luks=0", "");
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	/* Another volume's UUID. */
	view(&v, DRACUT_SD, "rd.luks.uuid=11111111-7777-8888-9999-000000000000", "");
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	/* Its own crypttab, unless the command line names volumes. */
	view(&v, DRACUT_SD, "quiet", "home UUID=" U " none luks,force\n");
	assert_true(initrd_unlocks_crypt(&v, "home", U));
	view(&v, DRACUT_SD, "rd.luks.uuid=11111111-7777-8888-9999-000000000000",
	     "home UUID=" U " none luks,force\n");
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	view(&v, DRACUT_SD, "rd.luks.crypttab=no", "home UUID=" U " none luks,force\n");
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	/* No unlocking tool in the image. */
	view(&v, "\nusr/lib/dracut/hooks\n", "rd.luks.uuid=" U, "");
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	initrd_view_done(&v);
}

static void test_initramfs_tools_luks(void **state)
{
	struct initrd_view v = {0};

	(void)state;
	/* rd.luks.* means nothing to initramfs-tools: its crypttab decides. */
	view(&v, ITOOLS, "rd.luks.uuid=" U, "");
	assert_int_equal(v.gen, INITRD_INITRAMFS_TOOLS);
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	view(&v, ITOOLS, "", "# comment\nroot_crypt UUID=1234 none luks\nhome UUID=" U
	     " none luks,initramfs\n");
	assert_true(initrd_unlocks_crypt(&v, "home", U));
	view(&v, ITOOLS, "", "data /dev/disk/by-uuid/" U " none luks\n");
	assert_true(initrd_unlocks_crypt(&v, "home", U));
	view(&v, ITOOLS, "", "root_crypt UUID=1234 none luks\n");
	assert_false(initrd_unlocks_crypt(&v, "home", U));
	initrd_view_done(&v);
}

static void test_lvm_md_modules(void **state)
{
	struct initrd_view v = {0};

	(void)state;
	view(&v, DRACUT_SD, "root=/dev/vg0/root", "");
	assert_false(initrd_activates_lv(&v, "vg0", "home"));
	view(&v, DRACUT_SD, "rd.lvm.lv=vg0/root rd.lvm.lv=vg0/home", "");
	assert_true(initrd_activates_lv(&v, "vg0", "home"));
	assert_false(initrd_activates_lv(&v, "vg1", "home"));
	view(&v, DRACUT_SD, "rd.lvm.vg=vg0", "");
	assert_true(initrd_activates_lv(&v, "vg0", "home"));
	view(&v, DRACUT_SD, "rd.lvm.vg=vg0 rd.lvm=0", "");
	assert_false(initrd_activates_lv(&v, "vg0", "home"));
	view(&v, DRACUT_SH, "rd.lvm.vg=vg0", "");
	assert_false(initrd_activates_lv(&v, "vg0", "home")); /* no lvm in it */
	view(&v, ITOOLS "sbin/lvm\n", "", "");
	assert_true(initrd_activates_lv(&v, "vg0", "home"));
	view(&v, ITOOLS, "", "");
	assert_false(initrd_activates_lv(&v, "vg0", "home"));

	view(&v, DRACUT_SD "usr/sbin/mdadm\n", "", "");
	assert_false(initrd_assembles_md(&v));
	view(&v, DRACUT_SD "usr/sbin/mdadm\n", "rd.md.uuid=abc", "");
	assert_true(initrd_assembles_md(&v));
	view(&v, ITOOLS "sbin/mdadm\n", "", "");
	assert_true(initrd_assembles_md(&v));

	view(&v, DRACUT_SD "usr/lib/x86_64-linux-gnu/cryptsetup/libcryptsetup-token-systemd-tpm2.so\n", "", "");
	assert_true(initrd_has_basename(&v, "libcryptsetup-token-systemd-tpm2.so"));
	assert_true(initrd_has_basename(&v, "lvm"));
	assert_false(initrd_has_basename(&v, "libcryptsetup-token-systemd-fido2.so"));
	assert_false(initrd_has_basename(&v, "systemd-tpm2.so"));
	assert_true(initrd_has_module(&v, "virtio_blk"));
	assert_false(initrd_has_module(&v, "virtio"));
	assert_false(initrd_has_module(&v, "usb_storage"));
	view(&v, ITOOLS, "", "");
	assert_true(initrd_has_module(&v, "usb_storage"));
	assert_true(initrd_has_module(&v, "usb-storage"));
	initrd_view_done(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stack_lvm_on_luks, setup, teardown),
		cmocka_unit_test(test_lvm_names),
		cmocka_unit_test(test_dracut_luks),
		cmocka_unit_test(test_initramfs_tools_luks),
		cmocka_unit_test(test_lvm_md_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
