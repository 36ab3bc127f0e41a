# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bpf/x.bpf.c -> build/x.bpf.o -> build/x.skel.h -> loader objects -> sock464-load
#
#   make            build everything (V=1 shows the commands)
#   make deps       install the Debian packages needed to build and test
#   make test       build and run the whole test suite (root for integration)
#   make demo       the self-contained demonstration
#   make bench      the benchmarks in bench/
#   make install    PREFIX=/usr/local SYSCONFDIR=/etc DESTDIR= (also SBINDIR,
#                   MANDIR, SYSTEMDUNITDIR, LIBEXECDIR, OCIHOOKSDIR)

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

BUILD := build
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iloader -I$(BUILD)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
	-Iinclude $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
LDLIBS := -lbpf -lelf -lz -lcares -lmnl

# Pure code: no BPF, no sockets of its own; shared with unit tests and fuzzers.
PURE_SRCS := $(wildcard loader/prefix.c loader/pref64_set.c loader/options.c loader/ra.c loader/dns64.c)
DAEMON_SRCS := $(filter-out $(PURE_SRCS),$(wildcard loader/*.c))
PURE_OBJS := $(PURE_SRCS:loader/%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:loader/%.c=$(BUILD)/%.o)
BPF_OBJS := $(BUILD)/sock464.bpf.o $(BUILD)/sock464_xlat.bpf.o
SKELS := $(BPF_OBJS:.bpf.o=.skel.h)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(wildcard tests/fuzz/fuzz_*.c))
TEST_TOOLS := $(BUILD)/tests/tcpstatic $(BUILD)/tcpbench
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Iloader

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS)
.PHONY: all clean deps test test-build unit demo bench install

all: $(BUILD)/sock464-load $(BUILD)/sock464ctl $(BUILD)/sock464-oci-hook

$(BUILD):
	$(Q)mkdir -p $(BUILD) $(BUILD)/tests

$(BUILD)/%.bpf.o: bpf/%.bpf.c include/sock464.h include/rfc6052.h include/rfc7915.h include/rfc7915_icmp.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*) > $@

$(BUILD)/%.o: loader/%.c $(wildcard loader/*.h) include/sock464.h include/rfc6052.h include/rfc7915.h include/rfc7915_icmp.h $(SKELS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/sock464-load: $(DAEMON_OBJS) $(PURE_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/sock464ctl: ctl/sock464ctl.c loader/control.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(BUILD)/sock464-oci-hook: oci/sock464-oci-hook.c loader/control.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -ljson-c -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(PURE_OBJS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(PURE_OBJS) -lcares -lcmocka -o $@

# A statically linked client: proves the hooks need nothing from libc.
$(BUILD)/tests/tcpstatic: tests/tools/tcpstatic.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -static $< -o $@

# libFuzzer targets: the pure parser sources, built again with sanitizers.
$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c $(PURE_SRCS) | $(BUILD)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(PURE_SRCS) -lcares -o $@

$(BUILD)/tcpbench: bench/tcpbench.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

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
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/tcpbench
	$(Q)./bench/run

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

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
