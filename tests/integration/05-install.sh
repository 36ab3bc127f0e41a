#!/usr/bin/env bash
# make install honours PREFIX and DESTDIR and installs exactly the daemon.
. "$(dirname "$0")/../lib/common.sh"

t_begin "make install PREFIX=/usr DESTDIR=..."
dest=$T_TMP/dest
assert_ok make -s -C "$T_ROOT" install PREFIX=/usr DESTDIR="$dest" &&
	assert_eq "/etc/sock464/sock464.conf.example /usr/lib/systemd/system/sock464.service /usr/libexec/sock464/sock464-oci-hook /usr/sbin/sock464-load /usr/sbin/sock464ctl /usr/share/containers/oci/hooks.d/sock464-create.json /usr/share/containers/oci/hooks.d/sock464-poststop.json /usr/share/man/man5/sock464.conf.5 /usr/share/man/man8/sock464-load.8 /usr/share/man/man8/sock464ctl.8" \
		"$(cd "$dest" && find . -type f | sed 's/^\.//' | sort | xargs)" \
		"installed files" &&
	assert_ok test -x "$dest/usr/sbin/sock464-load" &&
	assert_ok "$dest/usr/sbin/sock464-load" --help &&
	assert_contains "$T_OUT" "--pref64" &&
	assert_ok "$dest/usr/sbin/sock464-load" --check-config \
		--config "$dest/etc/sock464/sock464.conf.example" --cgroup "$(cg2_root)"
t_pass

t_begin "the installed unit runs the installed daemon, with --pin"
assert_contains "$(cat "$dest/usr/lib/systemd/system/sock464.service")" \
	"ExecStart=/usr/sbin/sock464-load --pin /sys/fs/bpf/sock464"
t_pass

t_begin "the man pages render without warnings"
for m in "$dest"/usr/share/man/man*/*; do
	assert_ok man --warnings -l "$m" && assert_eq "" "$T_ERR" "warnings from $m"
done
t_pass
