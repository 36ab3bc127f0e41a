#!/usr/bin/env bash
# Boot test (optional, not part of `make test`): boots a real Debian bookworm
# under qemu/KVM, where systemd as PID 1 starts sock464.service from the
# Debian package (make deb, dpkg -i), and probe.service, with the drop-in `sock464ctl dropin
# probe.service` prints, reaches the IPv4 literal 198.51.100.10:8080 over
# IPv6 (2001:db8:64::c633:640a, on the guest's lo). See docs/boot-test.md.
#
# Run as root from anywhere: tests/boot/run-boot-test.sh
# Environment: SOCK464_BOOT_DIR (cache, default /var/tmp/sock464-boot),
# SOCK464_BOOT_ACCEL (kvm, tcg or auto: kvm unless /dev/kvm is PVM, see
# docs/boot-test.md), SOCK464_BOOT_TIMEOUT (seconds for the boot, default
# 180 with kvm, 600 with tcg),
# SOCK464_BOOT_REBUILD=1 (debootstrap again), SOCK464_BOOT_KERNEL (bookworm:
# Debian 12's 6.1, the default; bullseye: Debian 11's 5.10, fetched with
# apt-get from the same mirror and installed beside it).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${SOCK464_BOOT_DIR:-/var/tmp/sock464-boot}
ACCEL=${SOCK464_BOOT_ACCEL:-auto}
KSUITE=${SOCK464_BOOT_KERNEL:-bookworm}
SUITE=bookworm
PACKAGES=systemd,systemd-sysv,udev,dbus,kmod,initramfs-tools,linux-image-amd64,libbpf1,libelf1,zlib1g,libc-ares2,libmnl0,libjson-c5,iproute2,python3,util-linux,tayga
BASE=$CACHE/base           # debootstrap result, kept between runs
STAGE=$CACHE/stage         # base + this tree + test units, made each run
IMAGE=$CACHE/disk.img
LOG=$CACHE/console.log
T0=$(date +%s)

say() { printf 'boot test: %s\n' "$*" >&2; }
fail() {
	printf 'boot test: failed: %s\n' "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root"
# /dev/kvm from kvm_pvm (Pagetable-based VMs, e.g. in a nested sandbox)
# runs only kernels built as PVM guests: a stock Debian kernel hangs right
# after the boot loader. Emulate the CPU then.
if [ "$ACCEL" = auto ]; then
	if [ -d /sys/module/kvm_pvm ]; then
		ACCEL=tcg
		say "/dev/kvm is kvm_pvm, which cannot boot a stock Debian kernel: using tcg (slower)"
	elif [ -w /dev/kvm ]; then
		ACCEL=kvm
	else
		ACCEL=tcg
		say "no usable /dev/kvm: using tcg (slower)"
	fi
fi
case $KSUITE in
bookworm|bullseye) ;;
*) fail "SOCK464_BOOT_KERNEL must be bookworm or bullseye" ;;
esac
case $ACCEL in
kvm) [ -w /dev/kvm ] || fail "/dev/kvm is not usable"
	QEMU_ACCEL=(-enable-kvm) TIMEOUT=${SOCK464_BOOT_TIMEOUT:-180} ;;
tcg) QEMU_ACCEL=(-accel 'tcg,thread=multi' -cpu max -smp 2) TIMEOUT=${SOCK464_BOOT_TIMEOUT:-600} ;;
*) fail "SOCK464_BOOT_ACCEL must be kvm, tcg or auto" ;;
esac
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -n 9 || fail "another boot test holds $CACHE/lock"

# --- host tools ------------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v chroot >/dev/null || need+=(coreutils)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2 ||
		fail "apt-get install ${need[*]}"
fi

# --- the Debian mirror apt uses ----------------------------------------------
# The first URI of a non-security source for $SUITE, in one-line (.list) or
# deb822 (.sources) format.
mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v s="$SUITE" '$1 == "deb" && $3 == s && $2 !~ /security/ { print $2; exit }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$SUITE" '
			function flush() { if (deb && uris != "" && suites ~ ("(^| )" s "( |$)") && uris !~ /security/) { split(uris, u, " "); print u[1]; found = 1; exit } deb = 0; uris = ""; suites = "" }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "types:" { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
			tolower($1) == "uris:" { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
			tolower($1) == "suites:" { $1 = ""; suites = $0; sub(/^ +/, "", suites) }
			END { if (!found) flush() }' "$f"
	done
}

# old_kernel: Debian 11's kernel package (5.10), downloaded once with
# apt-get from the bookworm mirror's bullseye suite (signed by the keys in
# debian-archive-keyring), into $CACHE/kernel-bullseye; prints its path.
old_kernel() {
	local dir=$CACHE/kernel-bullseye apt m pkg
	ls "$dir"/linux-image-*.deb 2>/dev/null | head -n1 | grep . && return 0
	m=$(mirror | head -n1)
	[ -n "$m" ] || return 1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m bullseye main" >"$dir/sources.list"
	apt=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache")
	apt-get "${apt[@]}" update >&2 || return 1
	pkg=$(apt-cache "${apt[@]}" depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -n1)
	[ -n "$pkg" ] || return 1
	(cd "$dir" && apt-get "${apt[@]}" download "$pkg" >&2) || return 1
	ls "$dir"/linux-image-*.deb | head -n1
}

# --- the base system, cached ---------------------------------------------------
stamp="$SUITE $PACKAGES"
if [ "${SOCK464_BOOT_REBUILD:-0}" = 1 ] || [ "$(cat "$CACHE/base.ok" 2>/dev/null)" != "$stamp" ]; then
	MIRROR=$(mirror | head -n1)
	[ -n "$MIRROR" ] || fail "no $SUITE mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/"
	say "debootstrap $SUITE from $MIRROR into $BASE (a few minutes)"
	rm -rf "$BASE" "$CACHE/base.ok"
	if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$BASE" "$MIRROR" \
		>"$CACHE/debootstrap.log" 2>&1; then
		tail -n 20 "$CACHE/debootstrap.log" >&2
		# debootstrap may leave its proc/sys mounts behind on failure.
		for m in "$BASE/proc" "$BASE/sys"; do mountpoint -q "$m" && umount -l "$m"; done
		fail "debootstrap from $MIRROR (log: $CACHE/debootstrap.log); is the mirror reachable?"
	fi
	ls "$BASE"/boot/vmlinuz-* "$BASE"/boot/initrd.img-* >/dev/null 2>&1 ||
		fail "no kernel or initrd in $BASE/boot"
	rm -rf "$BASE"/var/cache/apt/archives/*.deb "$BASE"/var/lib/apt/lists/*_Packages
	echo "$stamp" >"$CACHE/base.ok"
else
	say "reusing $BASE"
fi

# --- this tree's Debian package, installed into a copy of the base ----------------
# dpkg -i in the guest's root: the package's postinst enables sock464.service
# (it cannot start it: no systemd runs in the chroot); checked below.
say "make deb DEB_DIR=$CACHE/deb, then dpkg -i in $STAGE"
DEB_BUILD_OPTIONS=nocheck make -s -C "$ROOT" deb DEB_DIR="$CACHE/deb" >&2 || fail "make deb (log: $CACHE/deb/build.log)"
DEB=$(ls "$CACHE"/deb/sock464_*_amd64.deb)
make -s -C "$ROOT" build/tests/tctool >&2 || fail "make build/tests/tctool"
rm -rf "$STAGE"
cp -a "$BASE" "$STAGE"
cp "$DEB" "$STAGE/tmp/sock464.deb"
chroot "$STAGE" dpkg -i /tmp/sock464.deb >&2 || fail "dpkg -i ${DEB##*/} in the guest"
rm "$STAGE/tmp/sock464.deb"

G=$HERE/guest
install -d "$STAGE/usr/local/lib/sock464-boot"
install -m 0755 "$G/probe.py" "$G/server.py" "$G/report.sh" "$G/nat64.sh" "$G/hold.py" \
	"$G/kpath.sh" "$STAGE/usr/local/lib/sock464-boot/"
install -m 0644 "$G/probe.service" "$G/server.service" "$G/report.service" \
	"$G/nat64.service" "$G/nat64-tayga.service" "$G/hold.service" "$G/kpath.service" \
	"$STAGE/etc/systemd/system/"
# The TC attachment layer (issue 15): tctool and its test script, run by
# tc-attach.service on the guest's own kernel.
TREE=$STAGE/usr/local/lib/sock464-boot/tree
install -d "$TREE/build/tests" "$TREE/tests/lib" "$TREE/tests/integration"
install -m 0755 "$ROOT/build/tests/tctool" "$TREE/build/tests/"
install -m 0644 "$ROOT/build/tc_probe.bpf.o" "$TREE/build/"
install -m 0644 "$ROOT/tests/lib/common.sh" "$TREE/tests/lib/"
install -m 0755 "$ROOT/tests/integration/15-tc-attach.sh" "$TREE/tests/integration/"
install -m 0755 "$G/tc-attach.sh" "$STAGE/usr/local/lib/sock464-boot/"
install -m 0644 "$G/tc-attach.service" "$STAGE/etc/systemd/system/"
cat >"$STAGE/etc/sock464/sock464.conf" <<'EOF'
# sock464 boot test: a static prefix, no discovery, no cgroup (probe.service
# and hold.service get translation from their drop-ins); data-path and
# tc-attach left at auto, which must choose the kernel path (clsact on 6.1,
# which has no tcx).
pref64 2001:db8:64::/96
no-ra yes
no-dns64 yes
EOF
echo sock464-boot >"$STAGE/etc/hostname"
# A machine id, so that this is not a "first boot" (systemd-firstboot would
# prompt on the console).
tr -d - </proc/sys/kernel/random/uuid >"$STAGE/etc/machine-id"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$STAGE/etc/fstab"

# The drop-in, as the guest's own sock464ctl prints it (its ExecStartPre then
# names /usr/sbin/sock464ctl, read from /proc/self/exe).
mount -t proc proc "$STAGE/proc"
trap 'mountpoint -q "$STAGE/proc" && umount "$STAGE/proc"' EXIT
for unit in probe.service hold.service; do
	install -d "$STAGE/etc/systemd/system/$unit.d"
	chroot "$STAGE" /usr/sbin/sock464ctl dropin $unit >"$STAGE/etc/systemd/system/$unit.d/sock464.conf" ||
		fail "sock464ctl dropin $unit in the guest"
done
chroot "$STAGE" systemctl enable nat64.service server.service probe.service tc-attach.service \
	kpath.service report.service >/dev/null 2>&1 || fail "systemctl enable in the guest"
# Debian's tayga starts one from /etc/tayga.conf at boot: ours runs in nat64.
chroot "$STAGE" systemctl mask tayga.service >/dev/null 2>&1 || true
chroot "$STAGE" systemctl mask serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1 || true
umount "$STAGE/proc"
trap - EXIT
grep -q '^ExecStartPre=-+/usr/sbin/sock464ctl attach --self --hooks complement$' \
	"$STAGE/etc/systemd/system/probe.service.d/sock464.conf" ||
	fail "the drop-in does not run /usr/sbin/sock464ctl"
[ -L "$STAGE/etc/systemd/system/multi-user.target.wants/sock464.service" ] ||
	fail "sock464.service not enabled by the package"

KERNEL=$(ls "$STAGE"/boot/vmlinuz-* | sort -V | tail -n1)
if [ "$KSUITE" = bullseye ]; then
	KDEB=$(old_kernel) || fail "downloading Debian 11's kernel (bullseye) from the mirror"
	say "installing ${KDEB##*/} in $STAGE"
	cp "$KDEB" "$STAGE/tmp/kernel.deb"
	mount -t proc proc "$STAGE/proc"
	chroot "$STAGE" dpkg -i /tmp/kernel.deb >&2 || { umount "$STAGE/proc"; fail "dpkg -i ${KDEB##*/} in the guest"; }
	umount "$STAGE/proc"
	rm "$STAGE/tmp/kernel.deb"
	KERNEL=$(ls "$STAGE"/boot/vmlinuz-5.10.* | sort -V | tail -n1)
fi
INITRD=$STAGE/boot/initrd.img-${KERNEL##*/vmlinuz-}
cp "$KERNEL" "$CACHE/vmlinuz"
cp "$INITRD" "$CACHE/initrd.img"
size_mb=$(($(du -sm "$STAGE" | cut -f1) + 512))
rm -f "$IMAGE"
truncate -s "${size_mb}M" "$IMAGE"
mkfs.ext4 -q -F -L sock464-boot -d "$STAGE" "$IMAGE" || fail "mkfs.ext4 -d"
rm -rf "$STAGE"

# --- boot ------------------------------------------------------------------------
say "booting ${KERNEL##*/} with $ACCEL (timeout ${TIMEOUT}s), console in $LOG"
T1=$(date +%s)
rc=0
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 "${QEMU_ACCEL[@]}" -m 1024 \
	-nographic -no-reboot -nic none \
	-kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img" \
	-append 'root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=true' \
	-drive file="$IMAGE",format=raw,if=virtio \
	</dev/null >"$LOG" 2>&1 || rc=$?
T2=$(date +%s)
tr -d '\r' <"$LOG" >"$LOG.txt" && mv "$LOG.txt" "$LOG"
say "qemu exited with $rc after $((T2 - T1))s (total $((T2 - T0))s)"

# --- verdict ---------------------------------------------------------------------
grep '^BOOT-REPORT\|^probe:\|^server:\|^tc-attach:\|^hold:\|^nat64:' "$LOG" >&2 || true
problems=()
# What the guest's kernel lacks that has a fallback, as its probes found
# (tctool's features line): the log must name it, and without
# fib_lookup_src the daemon must have chosen the source. (Debian 12's
# 6.1.176 has BPF_FIB_LOOKUP_SRC: measured.)
feature() { grep -a -m1 '^tc-attach: features:' "$LOG" | grep -o " $1=[a-z]*" | cut -d= -f2; }
FALLBACKS=
[ "$(feature bpf_set_retval)" = no ] && FALLBACKS='bpf_set_retval \(5\.18\)'
[ "$(feature fib_lookup_src)" = no ] && FALLBACKS="${FALLBACKS:+$FALLBACKS, }fib_lookup_src \\(6\\.8\\)"
[ "$(feature bpf_check_mtu)" = no ] && FALLBACKS="${FALLBACKS:+$FALLBACKS, }bpf_check_mtu \\(5\\.12\\)"
FALLBACKS=${FALLBACKS:+; without $FALLBACKS: fallbacks}
has() { grep -qE "$1" "$LOG" || problems+=("$2"); }
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	problems+=("timeout after ${TIMEOUT}s")
	grep -q 'Linux version' "$LOG" ||
		problems+=("the kernel printed nothing (a kvm_pvm /dev/kvm? try SOCK464_BOOT_ACCEL=tcg)")
elif [ "$rc" != 0 ]; then
	problems+=("qemu exited with status $rc: $(grep -m1 '^qemu-system' "$LOG" || true)")
fi
if ! grep -q '^BOOT-REPORT begin$' "$LOG"; then
	problems+=("no report from the guest")
else
	has '^BOOT-REPORT end$' "report incomplete"
	has '^BOOT-REPORT is-active sock464: active$' "sock464.service not active"
	has '^BOOT-REPORT StatusText=.*2001:db8:64::/96' "sock464 status line does not name the PREF64 (readiness)"
	has '^BOOT-REPORT bpffs: bpf +/sys/fs/bpf$' "bpffs not mounted on /sys/fs/bpf"
	has '^BOOT-REPORT pins: .*connect4' "no programs pinned in /sys/fs/bpf/sock464"
	has '^BOOT-REPORT probe: Result=success ExecMainStatus=0$' "probe.service failed"
	has 'probe: getpeername 198\.51\.100\.10:8080' "probe did not see the IPv4 peer 198.51.100.10:8080"
	has 'probe: reply pong \[192\.0\.2\.[0-9]+\]' "probe got no TCP reply through the NAT64"
	has 'probe: udp reply upong \[192\.0\.2\.[0-9]+\]:[0-9]+ from 198\.51\.100\.10:8080' "probe got no UDP reply through the NAT64"
	has '^BOOT-REPORT kpath status: data path: kernel \(clsact on lo egress and 1 uplinks' "sock464ctl status does not show the kernel path on clsact"
	has '^BOOT-REPORT kpath counters: +xlat_out=[1-9][0-9]* xlat_in=[1-9][0-9]* +xlat_out_no_route=0$' "the translator counted no packets (or unroutable ones)"
	has '^BOOT-REPORT kpath filters before: 2$' "not one sock464 filter on lo egress and one on uplink0 ingress"
	has '^BOOT-REPORT kpath restart: sock464 active' "sock464 not active after systemctl restart"
	has '^BOOT-REPORT kpath restart: survived' "the established connection did not survive systemctl restart sock464"
	has '^BOOT-REPORT kpath filters after: 2$' "leftover or duplicate sock464 filters after the restart"
	has '^BOOT-REPORT kpath status after: data path: kernel \(clsact' "no kernel path after the restart"
	has "^BOOT-REPORT kpath log: kernel data path: clsact: no tcx links in this kernel \\(6\\.6\\), cls_bpf filters instead$FALLBACKS\$" "the log does not name clsact and the fallbacks the probes call for"
	if [ "$(feature fib_lookup_src)" = no ]; then
		has '^BOOT-REPORT kpath source: kernel path: IPv6 source 2001:db8:1::2, chosen by the daemon' "the daemon did not choose the IPv6 source (no BPF_FIB_LOOKUP_SRC)"
	else
		has '^BOOT-REPORT kpath source: from bpf_fib_lookup$' "the daemon chose a source although bpf_fib_lookup has BPF_FIB_LOOKUP_SRC"
	fi
	has '^BOOT-REPORT tc-probe mode: clsact$' "the probes did not choose clsact on the guest's kernel"
	has '^BOOT-REPORT tc-attach: RESULT passed=[1-9][0-9]* failed=0 .* exit=0$' "the TC attachment tests failed in the guest"
	has '^BOOT-REPORT failed units: *$' "failed units in the guest"
fi
if [ ${#problems[@]} -gt 0 ]; then
	echo "----- $LOG (last 60 lines)" >&2
	tail -n 60 "$LOG" >&2
	msg=${problems[0]}
	for p in "${problems[@]:1}"; do msg+="; $p"; done
	fail "$msg (console: $LOG)"
fi
echo "boot test: passed ($((T2 - T0))s, boot $((T2 - T1))s; console: $LOG)"
