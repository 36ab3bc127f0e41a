#!/usr/bin/env bash
# make install honours PREFIX and DESTDIR and installs exactly the daemon.
. "$(dirname "$0")/../lib/common.sh"

t_begin "make install PREFIX=/usr DESTDIR=..."
dest=$T_TMP/dest
assert_ok make -s -C "$T_ROOT" install PREFIX=/usr DESTDIR="$dest" &&
	assert_eq "/etc/sock464/sock464.conf.example /usr/sbin/sock464-load /usr/sbin/sock464ctl" \
		"$(cd "$dest" && find . -type f | sed 's/^\.//' | sort | xargs)" \
		"installed files" &&
	assert_ok test -x "$dest/usr/sbin/sock464-load" &&
	assert_ok "$dest/usr/sbin/sock464-load" --help &&
	assert_contains "$T_OUT" "--pref64" &&
	assert_ok "$dest/usr/sbin/sock464-load" --check-config \
		--config "$dest/etc/sock464/sock464.conf.example" --cgroup "$(cg2_root)"
t_pass
