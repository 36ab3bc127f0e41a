#!/usr/bin/env bash
# The Debian package: `make deb` builds it from debian/, lintian finds no
# error and no unexplained warning, dpkg -i installs what `make install`
# installs (with the unit enabled, the example config a conffile), and
# dpkg --purge removes all of it.  Installs on this machine: skipped where
# a sock464 is installed already (it would be replaced).
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd dpkg-buildpackage dh dh_installsystemd fakeroot lintian man

VERSION=$(<"$T_ROOT/VERSION")
DEB=$T_TMP/deb/sock464_${VERSION}_$(dpkg --print-architecture).deb
if dpkg-query -W -f='${Status}' sock464 2>/dev/null | grep -q installed ||
	[[ -e /usr/sbin/sock464-load || -e /etc/sock464 ]]; then
	echo "ok - $T_NAME # SKIP a sock464 is installed on this machine already"
	exit 77
fi

t_begin "make deb builds sock464_${VERSION}_ARCH.deb"
# The unit tests run in the suite already: nocheck.
assert_ok env DEB_BUILD_OPTIONS=nocheck make -s -C "$T_ROOT" deb DEB_DIR="$T_TMP/deb" &&
	assert_ok test -f "$DEB" &&
	assert_eq "$VERSION" "$(dpkg-deb -f "$DEB" Version)" "the package's version" &&
	assert_match "$(dpkg-deb -f "$DEB" Depends)" "libbpf1 .*libc6 .*libmnl0" "Depends (from shlibs)"
t_pass

t_begin "lintian: no error, every warning explained in debian/README.source"
out=$(lintian --allow-root -I -E --pedantic "$T_TMP"/deb/*.changes 2>&1)
t_log "lintian: ${out:-(nothing)}"
assert_not_contains "$out" "E: " "lintian"
for tag in $(sed -n 's/^[WIP]: [^ ]* \([a-z0-9-]*\).*/\1/p' <<<"$out" | sort -u); do
	assert_contains "$(cat "$T_ROOT/debian/README.source")" "$tag" "debian/README.source (tag $tag)"
done
t_pass

# The files `make install PREFIX=/usr` installs (05-install.sh), with the unit in /lib.
FILES="/etc/sock464/sock464.conf.example /lib/systemd/system/sock464.service /usr/libexec/sock464/sock464-oci-hook /usr/sbin/sock464-load /usr/sbin/sock464ctl /usr/share/containers/oci/hooks.d/sock464-create.json /usr/share/containers/oci/hooks.d/sock464-poststop.json /usr/share/man/man5/sock464.conf.5.gz /usr/share/man/man8/sock464-load.8.gz /usr/share/man/man8/sock464ctl.8.gz"
DOCS="/usr/share/doc/sock464/README.md.gz /usr/share/doc/sock464/architecture.md.gz /usr/share/doc/sock464/changelog.gz /usr/share/doc/sock464/containers.md.gz /usr/share/doc/sock464/copyright"
WANTS=/etc/systemd/system/multi-user.target.wants/sock464.service

t_begin "dpkg -i: the files, the conffile, the unit enabled"
on_exit "dpkg --purge sock464 >/dev/null 2>&1"
assert_ok dpkg -i "$DEB" &&
	assert_eq "$(xargs -n1 <<<"$FILES $DOCS" | sort | xargs)" \
		"$(dpkg -L sock464 | while read -r f; do [[ -f $f ]] && echo "$f"; done | sort | xargs)" \
		"installed files" &&
	assert_match "$(dpkg-query -W -f='${Conffiles}' sock464)" " /etc/sock464/sock464.conf.example [0-9a-f]{32}" \
		"conffiles" &&
	assert_ok test -L "$WANTS"
t_pass

t_begin "the installed programs: --version, the unit, the hooks.d files, the man pages"
assert_ok /usr/sbin/sock464-load --version && assert_eq "sock464-load $VERSION" "$T_OUT"
assert_ok /usr/sbin/sock464ctl --version && assert_eq "sock464ctl $VERSION" "$T_OUT"
assert_ok /usr/sbin/sock464-load --check-config --config /etc/sock464/sock464.conf.example \
	--cgroup "$(cg2_root)"
assert_contains "$(cat /lib/systemd/system/sock464.service)" \
	"ExecStart=/usr/sbin/sock464-load --pin /sys/fs/bpf/sock464"
for f in /usr/share/containers/oci/hooks.d/sock464-*.json; do
	hook=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hook"]["path"])' "$f")
	assert_eq /usr/libexec/sock464/sock464-oci-hook "$hook" "hook path in $f" &&
		assert_ok test -x "$hook"
done
for m in /usr/share/man/man*/sock464*; do
	assert_ok man --warnings -l "$m" && assert_eq "" "$T_ERR" "warnings from $m"
done
t_pass

t_begin "dpkg --purge removes every file, the conffile and the unit's enablement"
assert_ok dpkg --purge sock464 &&
	expect_fail dpkg-query -W -f='${Status}' sock464
for f in $FILES $DOCS $WANTS /etc/sock464; do
	[[ -e $f || -L $f ]] && t_fail "$f is left after the purge"
done
t_pass
