# shellcheck shell=bash
# tests/lib/kpath.sh - what the kernel data path's scripts share: the daemon
# on the kernel path in the client namespace of topo.sh, serving $CG.
# Source after topo.sh and cg_create.
#
#	kpath_daemon [ARGS...]   # start it (DAEMON, DAEMON_LOG); 1 if it did not
#	ctl status               # sock464ctl on its control socket
#	counter xlat_out         # one counter of `sock464ctl status`
#	ns_state                 # what the daemon changes in the namespace
#
# KPATH_CONTROL: the control socket (default $T_TMP/control); TC_ATTACH:
# the attachment (tcx, clsact; default auto).

[[ -n ${_T_KPATH_LOADED:-} ]] && return 0
_T_KPATH_LOADED=1

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"
KPATH_CONTROL=${KPATH_CONTROL:-$T_TMP/control}

kpath_daemon() {
	start_bg DAEMON nsenter_net "$NS_C" "$LOAD" --cgroup "$CG" --control "$KPATH_CONTROL" \
		--data-path kernel --tc-attach "${TC_ATTACH:-auto}" --pref64 "$DEFAULT_PREFIX" -v "$@"
	wait_for 10 grep -q 'TCP relay on' "$DAEMON_LOG" || {
		t_log "daemon did not start: $(cat "$DAEMON_LOG")"
		return 1
	}
}
in_cg() { run_in_cg "$CG" "$NS_C" "$@"; }
ctl() { "$CTL" --control "$KPATH_CONTROL" "$@"; }
# counter NAME: the value of one counter in `sock464ctl status`
counter() { ctl status | grep -o "$1=[0-9]*" | head -n 1 | cut -d= -f2; }
# What the daemon changes in the namespace, in one comparable text: rules,
# routes, its sysctls, IPv4 addresses, every TC filter.
ns_state() {
	run_in_ns "$NS_C" sh -c 'ip -4 rule; ip -4 route show table all | grep -v "^local\|^broadcast";
		for k in net.ipv4.conf.lo.route_localnet net.ipv4.conf.lo.src_valid_mark \
			net.ipv6.conf.lo.forwarding; do sysctl -n $k; done; ip -4 addr
		for d in $(ip -o link show | cut -d: -f2 | cut -d@ -f1); do tc filter show dev $d egress;
			tc filter show dev $d ingress; done'
}
