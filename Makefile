# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bpf/x.bpf.c -> build/x.bpf.o -> build/x.skel.h -> loader objects -> sock464-load
#
#   make            build everything (V=1 shows the commands)
#   make deps       install the Debian packages needed to build and test
#   make test       build and run the whole test suite (root for integration)
#   make demo       the self-contained demonstration
#   make bench      the benchmarks in bench/ (loopback, veth, the translation floor)
#   make install    PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR= (also SBINDIR,
#                   MANDIR, SYSTEMDUNITDIR, LIBEXECDIR, OCIHOOKSDIR)
#   make deb        the Debian package, built from a copy of this tree in
#                   build/deb/ (lands there: build/deb/sock464_VERSION_ARCH.deb)
#   make version    print the version (the one place it is kept: VERSION)

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
LIBEXECDIR ?= $(PREFIX)/libexec
OCIHOOKSDIR ?= $(PREFIX)/share/containers/oci/hooks.d
DESTDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

# The version, kept in one place: the file VERSION (debian/changelog must
# agree; `make deb` checks).  Binaries print it with --version.
VERSION := $(shell cat VERSION)

BUILD := build
# loader/ is grouped by concern (core, discovery, netns, datapath, control);
# objects are flat in $(BUILD), sources found through vpath.
LOADER_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard loader/*/*.c))))
vpath %.c $(LOADER_DIRS)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude $(addprefix -I,$(LOADER_DIRS)) -I$(BUILD) \
	-DSOCK464_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Iinclude $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
LDLIBS := -lbpf -lelf -lz -lcares -lmnl -lcap-ng -lseccomp

# Pure code: no BPF, no sockets of its own; shared with unit tests and fuzzers.
PURE_SRCS := $(wildcard $(addprefix loader/*/,prefix.c pref64_set.c options.c ra.c dns64.c policy.c config.c sw.c flow_quota.c cgroup_id.c))
DAEMON_SRCS := $(filter-out $(PURE_SRCS),$(wildcard loader/*/*.c))
CTL_SRCS := $(wildcard ctl/*.c)
PURE_OBJS := $(addprefix $(BUILD)/,$(notdir $(PURE_SRCS:.c=.o)))
DAEMON_OBJS := $(addprefix $(BUILD)/,$(notdir $(DAEMON_SRCS:.c=.o)))
BPF_OBJS := $(BUILD)/sock464.bpf.o $(BUILD)/sock464_xlat.bpf.o $(BUILD)/netns_cookie_probe.bpf.o
SKELS := $(BPF_OBJS:.bpf.o=.skel.h)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/fuzz_*.c))
TEST_TOOLS := $(BUILD)/tests/tcpstatic $(BUILD)/tcpbench $(BUILD)/tests/tctool
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude $(addprefix -I,$(LOADER_DIRS))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(BUILD)/tc_probe.bpf.o
.PHONY: all clean deps test test-build unit demo bench install deb version

all: $(BUILD)/sock464-load $(BUILD)/sock464ctl $(BUILD)/sock464-oci-hook

$(BUILD):
	$(Q)mkdir -p $(BUILD) $(BUILD)/tests

$(BUILD)/%.bpf.o: bpf/%.bpf.c include/sock464.h include/rfc6052.h include/rfc7915.h include/rfc7915_icmp.h include/xlat_refuse.h include/netns_cookie_probe.h $(wildcard bpf/*.h) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*) > $@

$(BUILD)/%.o: %.c $(wildcard loader/*/*.h) include/sock464.h include/rfc6052.h include/rfc7915.h include/rfc7915_icmp.h include/xlat_refuse.h include/netns_cookie_probe.h $(SKELS) VERSION | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/sock464-load: $(DAEMON_OBJS) $(PURE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The clients share loader/control/client.c (control socket, cgroup paths) with the daemon.
CLIENT_SRCS := loader/control/client.c loader/control/client.h loader/control/protocol.h

$(BUILD)/sock464ctl: $(CTL_SRCS) $(wildcard ctl/*.h) $(CLIENT_SRCS) VERSION | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(filter %.c,$^) -ljson-c -o $@

$(BUILD)/sock464-oci-hook: oci/sock464-oci-hook.c $(CLIENT_SRCS) loader/discovery/prefix.c loader/discovery/prefix.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(filter %.c,$^) -ljson-c -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(PURE_OBJS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(PURE_OBJS) -lcares -lcmocka -o $@

# sock464ctl metrics' formatting, from JSON to the Prometheus text.
$(BUILD)/tests/test_metrics: tests/unit/test_metrics.c ctl/metrics.c ctl/metrics.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Ictl $< ctl/metrics.c -ljson-c -lcmocka -o $@

# A statically linked client: proves the hooks need nothing from libc.
$(BUILD)/tests/tcpstatic: tests/tools/tcpstatic.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -static $< -o $@

# The probe's choice is pure; the probes themselves need libbpf.
$(BUILD)/tests/test_probe: tests/unit/test_probe.c $(BUILD)/probe.o | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(BUILD)/probe.o -lbpf -lcmocka -o $@

# Drives loader/datapath/tc_attach.c with bpf/tc_probe.bpf.c (tests/integration/15-tc-attach.sh).
$(BUILD)/tests/tctool: tests/tools/tctool.c $(BUILD)/tc_probe.skel.h $(BUILD)/tc_attach.o \
		$(BUILD)/tc_clsact.o $(BUILD)/probe.o $(BUILD)/log.o | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(filter %.o,$^) $(LDLIBS) -o $@

# libFuzzer targets: the pure parser sources, built again with sanitizers.
$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c $(PURE_SRCS) | $(BUILD)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(PURE_SRCS) -lcares -o $@

$(BUILD)/tcpbench: bench/tcpbench.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# bench/xlat-floor's translators: build/xlat_floor_ARR_DIR.bpf.o, one program each.
XLAT_FLOOR := $(foreach a,lo uplink nm,$(foreach d,out in,$(BUILD)/xlat_floor_$(a)_$(d).bpf.o))
$(BUILD)/xlat_floor_%.bpf.o: bench/xlat_floor.bpf.c include/rfc7915.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DXF_ARR_$(word 1,$(subst _, ,$*)) -DXF_DIR_$(word 2,$(subst _, ,$*)) -c $< -o $@

unit: $(UNIT_TESTS)
	$(Q)for t in $(UNIT_TESTS); do ./$$t || exit 1; done

# test, demo and bench install what they need first, then build.
deps:
	$(Q)./tests/deps.sh

test-build: all $(UNIT_TESTS) $(FUZZERS) $(TEST_TOOLS)

test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)./tests/run

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./demo/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tcpbench $(BUILD)/tests/tctool $(XLAT_FLOOR)
	$(Q)./bench/run
	$(Q)./bench/run-veth
	$(Q)./bench/xlat-floor

install: all
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 $(BUILD)/sock464-load $(BUILD)/sock464ctl $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(SYSCONFDIR)/sock464 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 etc/sock464.conf $(DESTDIR)$(SYSCONFDIR)/sock464/sock464.conf.example
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/sock464.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/sock464.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/sock464.service
	install -m 0644 man/sock464.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/sock464-load.8 man/sock464ctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(LIBEXECDIR)/sock464 $(DESTDIR)$(OCIHOOKSDIR)
	install -m 0755 $(BUILD)/sock464-oci-hook $(DESTDIR)$(LIBEXECDIR)/sock464/
	for f in oci/hooks.d/*.json; do \
		sed 's|/usr/libexec/sock464|$(LIBEXECDIR)/sock464|g' $$f > $(DESTDIR)$(OCIHOOKSDIR)/$${f##*/}; \
	done

version:
	@echo $(VERSION)

# The Debian package (debian/), built from a copy of this tree so that
# dpkg-buildpackage's clean and its results next to the source stay inside
# build/: the package lands in build/deb/sock464_$(VERSION)_ARCH.deb, with
# its .changes and .buildinfo (DEB_DIR=DIR: there instead).
# DEB_BUILD_OPTIONS=nocheck skips the unit tests.
DEB_DIR ?= $(BUILD)/deb
DEB_SRC = $(DEB_DIR)/sock464-$(VERSION)
deb:
	$(Q)v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "make deb: debian/changelog says '$$v', VERSION says '$(VERSION)'" >&2; exit 1; }
	$(Q)rm -rf $(DEB_SRC) $(DEB_DIR)/sock464_* $(DEB_DIR)/sock464-dbgsym_* && mkdir -p $(DEB_SRC)
	$(Q)tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C $(DEB_SRC)
	$(call msg,DEB,$(DEB_DIR))
	$(Q)cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc $(if $(V),,>../build.log 2>&1) || \
		{ tail -n 40 ../build.log >&2; exit 1; }
	$(Q)rm -rf $(DEB_SRC)
	$(Q)ls $(DEB_DIR)/sock464_$(VERSION)_*.deb

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
