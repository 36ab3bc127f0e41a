#!/usr/bin/env bash
# Issue 13 (finding 10): least privilege without systemd.  Started by hand
# as root with every capability, the running daemon keeps only CAP_BPF,
# CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE and
# CAP_SETUID (setfsuid for the relays' upstream sockets), with NoNewPrivs and a seccomp filter (read from /proc/PID/status), and
# still translates: its own cgroup, a cgroup attached later, a container
# served later, a SIGHUP.  With --user nobody the same, as uid 65534 with
# those capabilities ambient.  A "server" listens on the address the prefix
# synthesizes for 198.51.100.10, behind a veth of each namespace (peer_up:
# the kernel data path translates on an uplink, so not on their loopback).
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd python3 nsenter

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

PREFIX=2001:db8:64::/96
CT_PREFIX=2001:db8:77::/96
SERVER6=$(python3 "$RFC6052" synth "$PREFIX" 198.51.100.10)
CT_SERVER6=$(python3 "$RFC6052" synth "$CT_PREFIX" 198.51.100.10)
NS=s464-pv-$$		# the daemon's
CT=s464-pc-$$		# a container's
for ns in "$NS" "$CT"; do
	ip netns add "$ns" || t_bail "netns"
	on_exit "ip netns del $ns"
	ip -n "$ns" link set lo up
done
peer_up SRV_NS "$NS" "$SERVER6" || t_bail "the server's namespace"
peer_up CT_SRV_NS "$CT" "$CT_SERVER6" || t_bail "the container's server's namespace"
SERVE='
import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8080)); s.listen()
while True:
    c, a = s.accept(); c.sendall(b"hello " + a[0].encode()); c.close()'
start_bg SERVER run_in_ns "$SRV_NS" python3 -c "$SERVE"
start_bg CT_SERVER run_in_ns "$CT_SRV_NS" python3 -c "$SERVE"
wait_port "$SRV_NS" :: 8080 && wait_port "$CT_SRV_NS" :: 8080 || t_bail "servers"
cg_create pv CG
cg_create later CG_L
cg_create ct CG_CT
# The config file as a real one is: readable by all (--user reads it on SIGHUP).
chmod 0711 "$T_TMP" && echo "cgroup $CG" >"$T_TMP/conf" && chmod 0644 "$T_TMP/conf"

# The set kept: CAP_SETUID 7, CAP_NET_ADMIN 12, CAP_NET_RAW 13,
# CAP_SYS_PTRACE 19, CAP_SYS_ADMIN 21, CAP_PERFMON 38, CAP_BPF 39.
KEPT=$(printf '%016x' $(((1 << 7) | (1 << 12) | (1 << 13) | (1 << 19) | (1 << 21) | (1 << 38) | (1 << 39))))

start_daemon() {
	start_bg DAEMON nsenter_net "$NS" "$LOAD" "${DP_ARGS[@]}" -f "$T_TMP/conf" --control "$T_TMP/control" \
		--pref64 "$PREFIX" --no-ra --no-dns64 "$@"
	wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
}
field() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$DAEMON/status"; }
hello_from() { run_in_cg "$1" "$2" python3 -c '
import socket
s = socket.socket(); s.settimeout(5)
try:
    s.connect(("198.51.100.10", 8080)); print(s.recv(100).decode())
except OSError as e:
    print("ERR", e.strerror)'; }
serve() { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(("serve-container %s %s %s %s\n" % tuple(sys.argv[2:6])).encode())
print(s.recv(1000).decode().strip())' "$T_TMP/control" "$@"; }

# check_daemon UID: the status, then everything the daemon does after start-up.
check_daemon() {
	assert_eq "$1" "$(field Uid)" "Uid" &&
		assert_eq "$KEPT" "$(field CapEff)" "CapEff" &&
		assert_eq "$KEPT" "$(field CapPrm)" "CapPrm" &&
		assert_eq 1 "$(field NoNewPrivs)" "NoNewPrivs" &&
		assert_eq 2 "$(field Seccomp)" "Seccomp (2: a filter)"
	t_log "CapEff $(field CapEff) CapBnd $(field CapBnd) CapAmb $(field CapAmb)"
	assert_contains "$(cat "$DAEMON_LOG")" "data path: $DP" "the data path in the log"
	assert_contains "$(hello_from "$CG" "$NS")" "hello $PEER_LOCAL6" "a connection from the cgroup"
	assert_ok "$CTL" --control "$T_TMP/control" attach "$CG_L" &&
		assert_contains "$(hello_from "$CG_L" "$NS")" "hello $PEER_LOCAL6" "from a cgroup attached later"
	start_bg CTR run_in_cg "$CG_CT" "$CT" sleep 60
	wait_for 5 "[[ \$(readlink /proc/$CTR/ns/net) != \$(readlink /proc/self/ns/net) ]]"
	assert_eq "serving ct" "$(serve ct "$CTR" "$CG_CT" "$CT_PREFIX")" "serve-container" &&
		assert_contains "$(hello_from "$CG_CT" "$CT")" "hello $PEER_LOCAL6" "from a container" &&
		assert_contains "$(cat "$T_TMP/containers")" "ct $CTR " "the file for a restart" &&
		assert_not_contains "$(cat "$DAEMON_LOG")" "for a restart" "the daemon's log"
	kill -HUP "$DAEMON"
	wait_for 5 grep -q 'settings applied' "$DAEMON_LOG" || t_fail "SIGHUP: $(tail -2 "$DAEMON_LOG")"
	assert_contains "$(hello_from "$CG" "$NS")" "hello $PEER_LOCAL6" "a connection after SIGHUP"
	assert_ok "$CTL" --control "$T_TMP/control" detach "$CG_L"
	stop_pid "$CTR"
	stop_pid "$DAEMON"
	assert_contains "$(cat "$DAEMON_LOG")" "detaching and exiting"
	assert_not_contains "$(cat "$DAEMON_LOG")" "error:" "the daemon's log"
}

t_begin "root, every capability: only the kept set, NoNewPrivs, seccomp; all still works"
start_daemon
assert_eq "$KEPT" "$(field CapBnd)" "CapBnd"
check_daemon 0
t_pass

t_begin "--user nobody: uid 65534 with only the kept set, ambient; all still works"
start_daemon --user nobody
assert_eq "$KEPT" "$(field CapAmb)" "CapAmb"
check_daemon 65534
t_pass

t_begin "--user with an unknown user: a clear error, nothing left running"
expect_fail_rc 1 timeout 10 nsenter --net="/run/netns/$NS" "$LOAD" --control "$T_TMP/control2" \
	--pref64 "$PREFIX" --no-ra --no-dns64 --user no-such-user-$$ &&
	assert_contains "$T_ERR" "--user no-such-user-$$: no such user"
t_pass
