#!/usr/bin/env bash
# Issue 15: the kernel path on kernels from 5.10, tested here on a new one.
# SOCK464_PROBE_DISABLE makes the probes answer "no" for what came after
# 5.10 and has a fallback (docs/kernels.md): tcx (6.6, clsact instead),
# BPF_FIB_LOOKUP_SRC (6.8: the daemon gives the programs the IPv6 source,
# and follows address changes), bpf_set_retval (5.18: a refused connect
# fails with EPERM, not ENETUNREACH). The daemon says so in its log and status, and AF_INET
# TCP and UDP are translated per packet as on the new kernel.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga curl python3 ip tc bpftool

topo_up || t_bail "topology"
cg_create kfall
. "$T_LIB_DIR/kpath.sh"	# LOAD, CTL, in_cg, ctl

# start_daemon [ENV=VALUE...]: the kernel path in the client namespace,
# 203.0.113.0/24 excluded (refused: there is no IPv4 route to it).
start_daemon() {
	start_bg DAEMON env "$@" "$(command -v nsenter)" --net="/run/netns/$NS_C" "$LOAD" \
		--cgroup "$CG" --control "$KPATH_CONTROL" --data-path kernel \
		--pref64 "$DEFAULT_PREFIX" --exclude 203.0.113.0/24 -v
	wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || {
		t_log "daemon did not start: $(cat "$DAEMON_LOG")"
		return 1
	}
}
own_filters() {
	run_in_ns "$NS_C" sh -c "tc filter show dev lo egress; tc filter show dev $IF_C ingress" |
		grep -c 'sock464:'
}
# An unconnected UDP sendto() to an excluded destination: sendmsg4 refuses it.
refused_errno() {
	in_cg python3 -c "
import socket, errno
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'x', ('$SERVER4_ALT', 7001)); print('SENT')
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))"
}
udp_echo() {
	in_cg python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b'ping', ('$SERVER4', 7001)); print('UDP', s.recvfrom(200)[0].decode())"
}

WWW=$T_TMP/www
mkdir -p "$WWW"
echo "sock464-fallback-$$" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
start_bg UECHO run_in_ns "$NS_S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7001))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"from %s " % a[0].encode() + d, a)'
wait_port "$NS_S" 0.0.0.0 80 || t_bail "web server did not start"

start_daemon SOCK464_PROBE_DISABLE=tcx,fib_lookup_src,bpf_set_retval || t_bail "daemon"

t_begin "the log names the attachment and the fallbacks"
LOG=$(cat "$DAEMON_LOG")
assert_contains "$LOG" "kernel data path: clsact: no tcx links in this kernel (6.6), cls_bpf filters instead; without bpf_set_retval (5.18), fib_lookup_src (6.8): fallbacks" &&
	assert_contains "$LOG" "no bpf_set_retval (Linux 5.18): refused connects and sends fail with EPERM" &&
	assert_contains "$LOG" "kernel path: IPv6 source $CLIENT6, chosen by the daemon" &&
	assert_eq 2 "$(own_filters)" "clsact filters" &&
	assert_ok ctl status &&
	assert_contains "$T_OUT" "data path: kernel (clsact on lo egress and 1 uplinks" &&
	assert_contains "$T_OUT" "fib_lookup_src (6.8): fallbacks"
t_pass

t_begin "TCP and UDP translated per packet, from the daemon's source"
assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-fallback-$$" &&
	assert_ok udp_echo &&
	assert_match "$T_OUT" "^UDP from 192\.0\.2\.[0-9]+ ping$" &&
	assert_ok ctl status &&
	assert_match "$T_OUT" "kernel_tcp=[1-9]" &&
	assert_match "$T_OUT" "kernel_udp=[1-9]" &&
	assert_match "$T_OUT" " relay_tcp=0 " &&
	assert_match "$T_OUT" "xlat_out=[1-9]" &&
	assert_match "$T_OUT" "xlat_out_no_route=0"
t_pass

t_begin "without bpf_set_retval a refused sendto fails with EPERM"
assert_ok refused_errno && assert_eq "EPERM" "$T_OUT"
t_pass

t_begin "the source follows an address change"
ip -n "$NS_C" addr add 2001:db8:1::3/64 dev "$IF_C" nodad &&
	ip -n "$NS_C" addr del "$CLIENT6/64" dev "$IF_C" &&
	wait_for 5 grep -q "IPv6 source 2001:db8:1::3, chosen" "$DAEMON_LOG"
assert_eq 0 $? "the daemon logged the new source" &&
	assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-fallback-$$" &&
	assert_ok ctl status &&
	assert_match "$T_OUT" "xlat_out_no_route=0"
ip -n "$NS_C" addr add "$CLIENT6/64" dev "$IF_C" nodad
ip -n "$NS_C" addr del 2001:db8:1::3/64 dev "$IF_C"
t_pass

# Debian 11's 5.10 has none of SO_NETNS_COOKIE (5.14), bpf_set_retval,
# BPF_FIB_LOOKUP_SRC, bpf_check_mtu (5.12), tcx: the netns cookie comes from a cgroup/connect4
# program attached for a moment to the daemon's own cgroup
# (loader/core/netns_cookie.c); the daemon runs in a cgroup of this run's.
t_begin "without SO_NETNS_COOKIE: the cookie through cgroup/connect4, the same"
stop_bg DAEMON
cg_create kfalld CGD || t_bail "cgroup"
start_bg DAEMON run_in_cg "$CGD" "" env SOCK464_PROBE_DISABLE=so_netns_cookie,tcx,fib_lookup_src,bpf_set_retval,bpf_check_mtu \
	"$(command -v nsenter)" --net="/run/netns/$NS_C" "$LOAD" \
	--cgroup "$CG" --control "$KPATH_CONTROL" --data-path kernel \
	--pref64 "$DEFAULT_PREFIX" --exclude 203.0.113.0/24 -v
wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
LOG=$(cat "$DAEMON_LOG")
WANT=$(run_in_ns "$NS_C" python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print(struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0])')
assert_match "$WANT" "^[1-9][0-9]*$" "SO_NETNS_COOKIE in the client namespace" &&
	assert_contains "$LOG" "network namespace cookies: no SO_NETNS_COOKIE (Linux 5.14): disabled by SOCK464_PROBE_DISABLE, read by a cgroup/connect4 program (bpf_get_netns_cookie) instead (the first: $WANT)" &&
	assert_not_contains "$LOG" "from SO_NETNS_COOKIE" &&
	assert_contains "$LOG" "bpf_check_mtu (5.12): fallbacks" &&
	assert_eq "$CGD" "$(cg2_root)$(cg_of "$DAEMON")" "the daemon's cgroup" &&
	assert_eq "" "$(bpftool cgroup show "$CGD")" "programs left on the daemon's cgroup" &&
	assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-fallback-$$" &&
	assert_ok udp_echo &&
	assert_ok refused_errno && assert_eq "EPERM" "$T_OUT" &&
	assert_ok ctl status &&
	assert_match "$T_OUT" "kernel_tcp=[1-9]" &&
	assert_match "$T_OUT" "kernel_udp=[1-9]" &&
	assert_match "$T_OUT" " relay_tcp=0 "
t_pass

t_begin "with every probe passing: bpf_fib_lookup's source, the precise errno"
stop_bg DAEMON
start_daemon SOCK464_PROBE_DISABLE= || t_bail "daemon"
LOG=$(cat "$DAEMON_LOG")
assert_not_contains "$LOG" "fallbacks" &&
	assert_not_contains "$LOG" "chosen by the daemon" &&
	assert_contains "$LOG" "network namespace cookies: from SO_NETNS_COOKIE" &&
	assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_ok refused_errno && assert_eq "ENETUNREACH" "$T_OUT"
t_pass
