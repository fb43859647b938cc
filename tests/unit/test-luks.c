/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the LUKS2 helpers that need no device-mapper (luks.h): the
 * image marker kept in a real LUKS2 header, formatted by libcryptsetup in
 * a plain file, and the passphrase reader (ask.h) on pipes.  Unlocking
 * needs a kernel of our own: the QEMU scenarios luks-* do that.
 */
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ask.h"
#include "luks.h"
#include "util.h"

#define VOLUME_BYTES (32u << 20)
static const char passphrase[] = "correct horse";

static char dir[64];
static char volume[128]; /* a LUKS2 volume in a file */
static char plain[128];  /* zeros */

static void make_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VOLUME_BYTES), 0);
	close(fd);
}

static int setup(void **state)
{
	struct crypt_device *cd = NULL;
	/* A fast KDF: the test is about metadata, not key stretching. */
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2,
		.hash = "sha256",
		.iterations = 1000,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test-luks.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(volume, sizeof(volume), "%s/volume", dir);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	make_file(volume);
	make_file(plain);
	if (crypt_init(&cd, volume) < 0)
		return -1;
	if (crypt_set_pbkdf_type(cd, &pbkdf) < 0 ||
	    crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL, 64, NULL) < 0 ||
	    crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, passphrase,
					    strlen(passphrase)) < 0) {
		crypt_free(cd);
		return -1;
	}
	crypt_free(cd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(volume);
	unlink(plain);
	rmdir(dir);
	return 0;
}

static void test_open_kinds(void **state)
{
	struct crypt_device *cd = NULL;

	(void)state;
	assert_int_equal(luks_open(volume, &cd), 0);
	assert_non_null(cd);
	luks_freep(&cd);
	assert_null(cd);
	assert_int_equal(luks_open(plain, &cd), -EMEDIUMTYPE);
	assert_null(cd);
	assert_true(luks_open("/nonexistent/volume", &cd) < 0);
}

static void test_marker(void **state)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL, *again = NULL;
	const char *u1 = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
	const char *u2 = "11111111-2222-3333-4444-555555555555";
	char got[37];

	(void)state;
	assert_int_equal(luks_open(volume, &cd), 0);
	assert_int_equal(luks_marker_get(cd, got), 0);
	assert_int_equal(luks_marker_clear(cd), 0); /* nothing to clear */

	assert_int_equal(luks_marker_set(cd, u1), 0);
	assert_int_equal(luks_marker_get(cd, got), 1);
	assert_string_equal(got, u1);
	assert_int_equal(luks_marker_get(cd, NULL), 1);

	/* On disk, for the next reader (the initramfs). */
	assert_int_equal(luks_open(volume, &again), 0);
	assert_int_equal(luks_marker_get(again, got), 1);
	assert_string_equal(got, u1);
	luks_freep(&again);

	/* Setting replaces: one marker, never two. */
	assert_int_equal(luks_marker_set(cd, u2), 0);
	assert_int_equal(luks_marker_get(cd, got), 1);
	assert_string_equal(got, u2);
	assert_int_equal(luks_marker_clear(cd), 0);
	assert_int_equal(luks_marker_get(cd, got), 0);

	assert_int_equal(luks_open(volume, &again), 0);
	assert_int_equal(luks_marker_get(again, NULL), 0);

	/* Only a UUID goes into the plaintext header. */
	assert_int_equal(luks_marker_set(cd, "not-a-uuid"), -EINVAL);
	assert_int_equal(luks_marker_set(cd, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\",\"x\":\""),
			 -EINVAL);
	assert_int_equal(luks_marker_get(cd, NULL), 0);
}

/* luks_tokens lists the unlock tokens, never the marker, and tells a type
 * no plugin here handles from a built-in one. */
static void test_tokens(void **state)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	struct luks_token t[4];
	size_t n = 99;
	int id;

	(void)state;
	assert_int_equal(luks_open(volume, &cd), 0);
	assert_int_equal(luks_tokens(cd, t, ARRAY_SIZE(t), &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(luks_marker_set(cd, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), 0);
	id = crypt_token_json_set(cd, CRYPT_ANY_TOKEN,
				  "{\"type\":\"snaptest-noplugin\",\"keyslots\":[\"0\"]}");
	assert_true(id >= 0);
	assert_int_equal(luks_tokens(cd, t, ARRAY_SIZE(t), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].id, id);
	assert_string_equal(t[0].type, "snaptest-noplugin");
	assert_false(t[0].builtin);
	assert_false(t[0].plugin);

	/* More than fit: counted all the same. */
	assert_int_equal(luks_tokens(cd, t, 0, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(crypt_token_json_set(cd, id, NULL), id);
	assert_int_equal(luks_marker_clear(cd), 0);
	assert_int_equal(luks_tokens(cd, t, ARRAY_SIZE(t), &n), 0);
	assert_int_equal(n, 0);
}

/* The marker holds no key slot: the passphrase still opens the volume's
 * slot 0 (checked without activation), and token activation finds no
 * usable token. */
static void test_marker_is_not_a_key(void **state)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;

	(void)state;
	assert_int_equal(luks_open(volume, &cd), 0);
	assert_int_equal(luks_marker_set(cd, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), 0);
	assert_true(crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, passphrase,
						 strlen(passphrase), 0) >= 0);
	assert_int_equal(crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, "wrong", 5, 0),
			 -EPERM);
	assert_true(crypt_activate_by_token(cd, NULL, CRYPT_ANY_TOKEN, NULL, 0) < 0);
	assert_int_equal(luks_marker_clear(cd), 0);
}

static void test_device_encrypted_plain(void **state)
{
	char backing[64] = "x";

	(void)state;
	/* A file on the test's file system: not on dm-crypt here. */
	assert_int_equal(luks_device_encrypted(plain, backing, sizeof(backing)), 0);
	assert_string_equal(backing, "");
	assert_int_equal(luks_device_encrypted("/nonexistent", NULL, 0), -ENOENT);
}

/* ---- ask_fd ------------------------------------------------------------ */

/* Feed input through a pipe; returns what ask_fd returned. */
static int ask_with(const char *input, bool close_after, unsigned timeout_s, char *buf,
		    size_t size)
{
	int in[2], out[2], r;
	char prompt[64];

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
	if (close_after)
		close(in[1]);
	r = ask_fd(in[0], out[1], "Passphrase: ", false, timeout_s, buf, size);
	/* The prompt was written. */
	close(out[1]);
	assert_int_equal(read(out[0], prompt, sizeof(prompt)), 12);
	close(out[0]);
	close(in[0]);
	if (!close_after)
		close(in[1]);
	return r;
}

static void test_ask_fd(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(ask_with("secret\nrest", false, 0, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "secret");
	assert_int_equal(ask_with("cr\r", false, 0, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "cr");
	assert_int_equal(ask_with("\n", false, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* End of input: a last line without newline counts, nothing is
	 * -ENODATA. */
	assert_int_equal(ask_with("last", true, 0, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "last");
	assert_int_equal(ask_with("", true, 0, buf, sizeof(buf)), -ENODATA);
	/* Too long for the buffer: refused and wiped, not truncated. */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ask_with("0123456789abcdefghij\n", false, 0, buf, sizeof(buf)), -ENOBUFS);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	/* Nobody types: the timeout ends it. */
	assert_int_equal(ask_with("", false, 1, buf, sizeof(buf)), -ETIMEDOUT);
}

/* ---- password agents --------------------------------------------------- */

/* Stand-ins for plymouth and systemd-ask-password: they log their
 * arguments next to themselves and answer as the real ones do (the answer
 * on stdout, exit 0; a cancelled question exits 1). */
static const char fake_plymouth[] =
	"#!/bin/sh\n"
	"d=$(dirname \"$0\")\n"
	"echo \"$*\" >> \"$d/plymouth.args\"\n"
	"case $1 in\n"
	"--ping) [ -e \"$d/plymouth.running\" ] ;;\n"
	"ask-for-password) echo plymouth-secret ;;\n"
	"ask-question) echo plymouth-answer ;;\n"
	"*) exit 2 ;;\n"
	"esac\n";
static const char fake_sap[] =
	"#!/bin/sh\n"
	"d=$(dirname \"$0\")\n"
	"echo \"$*\" >> \"$d/sap.args\"\n"
	"[ -e \"$d/sap.cancel\" ] && exit 1\n"
	"echo sap-secret\n";

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static void agent_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void test_ask_agents(void **state)
{
	char plymouth[160], sap[160], running[160], systemd[160], tty[160], args[512], buf[64];
	const char *const plymouth_list[] = {"/nonexistent/plymouth", plymouth, NULL};
	const char *const sap_list[] = {sap, NULL};
	const struct ask_agents ag = {plymouth_list, sap_list, systemd};
	int fd;

	(void)state;
	agent_path(plymouth, sizeof(plymouth), "plymouth");
	agent_path(sap, sizeof(sap), "systemd-ask-password");
	agent_path(running, sizeof(running), "plymouth.running");
	agent_path(systemd, sizeof(systemd), "systemd-running");
	agent_path(tty, sizeof(tty), "tty");
	write_file(plymouth, fake_plymouth, 0755);
	write_file(sap, fake_sap, 0755);

	/* plymouth first, while its daemon answers --ping. */
	write_file(running, "", 0644);
	assert_int_equal(ask_line_agents(&ag, ASK_AUTO, "/nonexistent/tty", "Key: ", false, 0, buf,
					 sizeof(buf)),
			 15);
	assert_string_equal(buf, "plymouth-secret");
	assert_int_equal(ask_line_agents(&ag, ASK_AUTO, "/nonexistent/tty", "Go on? ", true, 0, buf,
					 sizeof(buf)),
			 15);
	assert_string_equal(buf, "plymouth-answer");
	agent_path(args, sizeof(args), "plymouth.args");
	read_text(args, args, sizeof(args));
	assert_string_equal(args, "--ping\nask-for-password --prompt=Key: \n--ping\n"
				  "ask-question --prompt=Go on? \n");

	/* Without plymouth running: systemd-ask-password, while systemd runs. */
	unlink(running);
	mkdir(systemd, 0755);
	assert_int_equal(ask_line_agents(&ag, ASK_AUTO, "/nonexistent/tty", "Key: ", false, 7, buf,
					 sizeof(buf)),
			 10);
	assert_string_equal(buf, "sap-secret");
	agent_path(args, sizeof(args), "sap.args");
	read_text(args, args, sizeof(args));
	assert_string_equal(args, "--timeout=7 --echo=no --id=snapresume Key: \n");

	/* A cancelled agent is an error, and leaves nothing in the buffer. */
	agent_path(args, sizeof(args), "sap.cancel");
	write_file(args, "", 0644);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ask_line_agents(&ag, ASK_AUTO, "/nonexistent/tty", "Key: ", false, 0, buf,
					 sizeof(buf)),
			 -EIO);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);

	/* Terminal only: the agents are not asked even while they run. */
	assert_int_equal(mkfifo(tty, 0600), 0);
	fd = open(tty, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "typed\n", 6), 6);
	assert_int_equal(ask_line_agents(&ag, ASK_TERMINAL, tty, "Key: ", false, 0, buf,
					 sizeof(buf)),
			 5);
	assert_string_equal(buf, "typed");
	/* The prompt went to the same FIFO: take it out. */
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	/* No agent running at all: the terminal too. */
	unlink(args);
	rmdir(systemd);
	assert_int_equal(write(fd, "plain\n", 6), 6);
	assert_int_equal(ask_line_agents(&ag, ASK_AUTO, tty, "Key: ", false, 0, buf, sizeof(buf)),
			 5);
	assert_string_equal(buf, "plain");
	close(fd);
	assert_int_equal(ask_line_agents(&ag, ASK_AUTO, "/nonexistent/tty", "Key: ", false, 0, buf,
					 sizeof(buf)),
			 -ENOENT);

	unlink(tty);
	unlink(plymouth);
	unlink(sap);
	agent_path(args, sizeof(args), "plymouth.args");
	unlink(args);
	agent_path(args, sizeof(args), "sap.args");
	unlink(args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_kinds),
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_marker_is_not_a_key),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_device_encrypted_plain),
		cmocka_unit_test(test_ask_fd),
		cmocka_unit_test(test_ask_agents),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
