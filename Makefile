# snapresume — build, install, test, demo.
#
#   make                 build build/snapwrite and build/snapresume
#   make check           unit tests, then the QEMU end-to-end scenarios
#   make check-unit      unit tests only (no QEMU)
#   make demo            hibernate and resume a QEMU guest, print what survived
#   make install         PREFIX=/usr/local DESTDIR=...
#
# Every target that needs Debian packages installs them first through
# scripts/deps.sh (quiet when they are all there).

VERSION     := 0.1
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
# dracut and initramfs-tools read only these, whatever PREFIX is.
DRACUTDIR   ?= /usr/lib/dracut/modules.d
INITRAMFSTOOLSDIR ?= /usr/share/initramfs-tools
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SLEEPCONFDIR ?= $(PREFIX)/lib/systemd/sleep.conf.d
DOCDIR      ?= $(PREFIX)/share/doc/snapresume
LIBEXECDIR  ?= $(PREFIX)/lib/snapresume
SYSCONFDIR  ?= /etc
DESTDIR     ?=

CC          ?= cc
B           := build
# libxxhash: its header only (src/lib/hash-*.c inline it); the unit tests
# link the library to check against it.
PKGS        := liblz4 libxxhash blkid libcryptsetup devmapper
LINK_PKGS   := liblz4 blkid libcryptsetup devmapper
CFLAGS      ?= -O2 -g
# The project's own flags stay even when CFLAGS is given on the command line.
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fno-strict-aliasing \
               -DVERSION='"$(VERSION)"' -Isrc/lib -MMD -MP \
               -DKCONFIG_CHECK='"$(LIBEXECDIR)/kernel-config-check"'
LDLIBS_PKG   = $(shell pkg-config --libs $(LINK_PKGS)) -lpthread
CFLAGS_PKG   = $(shell pkg-config --cflags $(PKGS))

LIB_SRC     := $(wildcard src/lib/*.c src/lib/format/*.c)
LIB_OBJ     := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
PROGS       := $(B)/snapwrite $(B)/snapresume

all: $(B)/.deps $(PROGS)

# The dependency check runs once per build folder, and again when the
# package list changes.
$(B)/.deps: scripts/deps.sh
	@mkdir -p $(B)
	@sh scripts/deps.sh build
	@touch $@

$(B)/obj/%.o: src/%.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CFLAGS_PKG) -c -o $@ $<

$(B)/libsnap.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# Only snapwrite talks to the running system's systemd; snapresume, in the
# initramfs, does not link it.
SNAPWRITE_OBJ := $(patsubst src/%.c,$(B)/obj/%.o,$(wildcard src/snapwrite/*.c))
$(B)/snapwrite: $(SNAPWRITE_OBJ) \
		$(B)/libsnap.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_PKG) $(shell pkg-config --libs libsystemd)

SNAPRESUME_OBJ := $(patsubst src/%.c,$(B)/obj/%.o,$(wildcard src/resume/*.c))
$(B)/snapresume: $(SNAPRESUME_OBJ) $(B)/libsnap.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_PKG)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- tests -----------------------------------------------------------

UNIT_SRC    := $(wildcard tests/unit/test-*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)

$(B)/unit/%: tests/unit/%.c $(B)/libsnap.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CFLAGS_PKG) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
		$(B)/libsnap.a $(LDLIBS_PKG) -lxxhash $(shell pkg-config --libs cmocka)

check-unit: all $(UNIT_BIN)
	@sh tests/unit/run $(UNIT_BIN)

check-qemu: all
	@sh scripts/deps.sh test
	tests/qemu/run

# The unit tests again under AddressSanitizer and UBSan, in a build folder
# of their own.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -fno-omit-frame-pointer
check-unit-san:
	@$(MAKE) --no-print-directory B=$(B)/san CFLAGS='$(SAN_FLAGS)' \
		LDFLAGS='-fsanitize=address,undefined' check-unit

# The unit tests under valgrind's memcheck: no invalid access, no definite
# leak (the optimised build, as installed).
check-unit-valgrind: all $(UNIT_BIN)
	@UNIT_WRAPPER="valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite -q" \
		sh tests/unit/run $(UNIT_BIN)

# make install and make uninstall into scratch folders.
check-install: all
	@sh tests/install/run

check: check-unit check-unit-san check-unit-valgrind check-install check-qemu

# Everything, the Debian guests on both kernels too (longer than CI's
# budget for "make check").
check-full: check-unit check-unit-san check-unit-valgrind check-install
	@sh scripts/deps.sh test
	SNAPTEST_FULL=1 tests/qemu/run

demo: all
	@sh scripts/deps.sh test
	tests/qemu/demo

# A benchmark, not a test: the kernel's own hibernation (lzo, lz4) against
# snapwrite + snapresume in the same QEMU run, and the pipeline alone on
# the host.  Results in build/bench/.
$(B)/pipebench: tests/bench/pipebench.c tests/bench/mix.h $(B)/libsnap.a
	$(CC) $(CFLAGS) $(CFLAGS_PKG) -o $@ $< $(B)/libsnap.a $(LDLIBS_PKG)

bench: all $(B)/pipebench
	@sh scripts/deps.sh bench
	tests/bench/run

# ---- fuzzing (clang's libFuzzer, with ASan and UBSan) ---------------------

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := header chunks cmdline conf extmap overlay
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc/lib \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(B)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_SRC) | $(B)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CFLAGS_PKG) -o $@ $< $(LIB_SRC) $(LDLIBS_PKG)

# Regenerate the binary seeds of the corpus (committed).
fuzz-seeds: $(B)/libsnap.a
	$(CC) $(CFLAGS) $(CFLAGS_PKG) -o $(B)/mkseeds tests/fuzz/mkseeds.c $(B)/libsnap.a $(LDLIBS_PKG)
	$(B)/mkseeds tests/fuzz/corpus

# Each target runs FUZZ_SECONDS on a copy of its seed corpus.
fuzz: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz-%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf $(B)/fuzz/corpus-$$t; mkdir -p $(B)/fuzz/corpus-$$t; \
		cp tests/fuzz/corpus/$$t/* $(B)/fuzz/corpus-$$t/; \
		echo "fuzz-$$t: $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(B)/fuzz/corpus-$$t > $(B)/fuzz/fuzz-$$t.log 2>&1 || \
			{ tail -40 $(B)/fuzz/fuzz-$$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' $(B)/fuzz/fuzz-$$t.log; \
	done

# ---- install ---------------------------------------------------------

install: all
	install -D -m 0755 $(B)/snapwrite $(DESTDIR)$(SBINDIR)/snapwrite
	install -D -m 0755 $(B)/snapresume $(DESTDIR)$(SBINDIR)/snapresume
	install -D -m 0644 man/snapwrite.8 $(DESTDIR)$(MANDIR)/man8/snapwrite.8
	install -D -m 0644 man/snapresume.8 $(DESTDIR)$(MANDIR)/man8/snapresume.8
	install -D -m 0755 kernel-config/check $(DESTDIR)$(LIBEXECDIR)/kernel-config-check
	install -D -m 0644 kernel-config/snapresume.config $(DESTDIR)$(LIBEXECDIR)/snapresume.config
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/snapwrite-sleep > $(B)/snapwrite-sleep
	install -D -m 0755 $(B)/snapwrite-sleep $(DESTDIR)$(LIBEXECDIR)/snapwrite-sleep
	for f in module-setup.sh snapresume-hook.sh snapresume-cmdline.sh snapresume-run.sh; do \
		install -D -m 0755 dracut-module/90snapresume/$$f $(DESTDIR)$(DRACUTDIR)/90snapresume/$$f; \
	done
	install -D -m 0644 dracut-module/90snapresume/snapresume.service \
		$(DESTDIR)$(DRACUTDIR)/90snapresume/snapresume.service
	install -D -m 0755 initramfs-hooks/initramfs-tools/hooks/snapresume \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/snapresume
	install -D -m 0755 initramfs-hooks/initramfs-tools/scripts/local-top/snapresume \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/local-top/snapresume
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' systemd/systemd-hibernate.service.d/snapresume.conf.in \
		> $(B)/hibernate-snapresume.conf
	install -D -m 0644 $(B)/hibernate-snapresume.conf \
		$(DESTDIR)$(SYSTEMDUNITDIR)/systemd-hibernate.service.d/snapresume.conf
	for v in hybrid-sleep suspend-then-hibernate; do \
		sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' systemd/systemd-$$v.service.d/snapresume.conf.in \
			> $(B)/$$v-snapresume.conf && \
		install -D -m 0644 $(B)/$$v-snapresume.conf \
			$(DESTDIR)$(SYSTEMDUNITDIR)/systemd-$$v.service.d/snapresume.conf || exit 1; \
	done
	install -D -m 0644 systemd/systemd-logind.service.d/snapresume.conf \
		$(DESTDIR)$(SYSTEMDUNITDIR)/systemd-logind.service.d/snapresume.conf
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/snapwrite-allow.service.in > $(B)/snapwrite-allow.service
	install -D -m 0644 $(B)/snapwrite-allow.service $(DESTDIR)$(SYSTEMDUNITDIR)/snapwrite-allow.service
	install -D -m 0644 systemd/snapwrite-allow.path $(DESTDIR)$(SYSTEMDUNITDIR)/snapwrite-allow.path
	install -D -m 0644 systemd/sleep.conf.d/50-snapresume.conf \
		$(DESTDIR)$(SLEEPCONFDIR)/50-snapresume.conf
	install -D -m 0644 etc/snapwrite.conf.example $(DESTDIR)$(DOCDIR)/snapwrite.conf.example

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/snapwrite $(DESTDIR)$(SBINDIR)/snapresume
	rm -f $(DESTDIR)$(MANDIR)/man8/snapwrite.8 $(DESTDIR)$(MANDIR)/man8/snapresume.8
	rm -rf $(DESTDIR)$(DRACUTDIR)/90snapresume
	rm -f $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/snapresume \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/local-top/snapresume
	for d in hibernate hybrid-sleep suspend-then-hibernate logind; do \
		rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/systemd-$$d.service.d/snapresume.conf; \
		rmdir $(DESTDIR)$(SYSTEMDUNITDIR)/systemd-$$d.service.d 2> /dev/null || :; \
	done
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/snapwrite-allow.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/snapwrite-allow.path \
		$(DESTDIR)$(SLEEPCONFDIR)/50-snapresume.conf
	-rmdir $(DESTDIR)$(SLEEPCONFDIR) 2> /dev/null
	@# What snapwrite told logind at run time (only on the running system).
	[ -n "$(DESTDIR)" ] || rm -f /run/systemd/sleep.conf.d/50-snapresume.conf
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf $(B)/obj $(B)/unit $(B)/libsnap.a $(PROGS) $(B)/.deps

.PHONY: all check check-full check-install check-unit check-unit-san check-unit-valgrind check-qemu demo bench fuzz fuzz-seeds install uninstall clean

# ---- Debian package ----------------------------------------------------

# make deb: the Debian package (debian/), built by dpkg-buildpackage from a
# copy of the tree without build/, so that nothing of a developer's build
# goes in; then lintian, which must report no error and no warning that
# debian/ does not justify. The .deb (and its -dbgsym, .buildinfo and
# .changes) end up in $(DEBDIR). DEB_BUILD_OPTIONS=nocheck skips the unit
# tests of the package build.
DEBDIR ?= $(B)/deb
deb:
	@sh scripts/deps.sh deb
	rm -rf $(DEBDIR)
	mkdir -p $(DEBDIR)/src
	tar -c --exclude=./build --exclude=./$(B) --exclude-vcs --exclude-vcs-ignores . | \
		tar -x -C $(DEBDIR)/src
	cd $(DEBDIR)/src && dpkg-buildpackage -us -uc -b > ../dpkg-buildpackage.log 2>&1 || \
		{ tail -n 40 ../dpkg-buildpackage.log; exit 1; }
	lintian --allow-root --fail-on error,warning --info $(DEBDIR)/*.changes
	rm -rf $(DEBDIR)/src
	@ls $(DEBDIR)/*.deb

.PHONY: deb
