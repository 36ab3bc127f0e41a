#!/usr/bin/env bash
# Issue 7: a container's PREF64 is discovered in its own network namespace,
# through the resolver of its own /etc/resolv.conf (its DNS64), with the
# daemon's prefix as a fallback that --container-fallback no turns off.
# The "containers" are network namespaces with a process in a cgroup of
# their own; the daemon serves them through serve-container, as
# sock464-oci-hook asks it to (50-containers.sh runs real ones).
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/dns64.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd unbound python3

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

HOST_PREFIX=2001:db8:64::/96	# the daemon's own (static) prefix
CT_PREFIX=2001:db8:77::/96	# what the container's DNS64 synthesizes with
HNS=s464-h-$$
CT=s464-ct-$$
CT2=s464-cu-$$
for ns in "$HNS" "$CT" "$CT2"; do
	ip netns add "$ns" || t_bail "netns"
	on_exit "ip netns del $ns"
	ip -n "$ns" link set lo up
done
# The containers see their own resolv.conf (ip netns exec mounts it there).
for ns in "$CT" "$CT2"; do
	mkdir -p "/etc/netns/$ns" && echo "nameserver ::1" >"/etc/netns/$ns/resolv.conf"
	on_exit "rm -rf /etc/netns/$ns"
done
cg_create host CG_H
cg_create ct CG_CT
cg_create ct2 CG_CT2

# In the container: its DNS64 on ::1; the server on the address its prefix
# synthesizes for 198.51.100.10, behind a veth of the container's namespace
# (peer_up: no NAT64 needed to prove the prefix, on either data path).
dns64_up "$CT" ::1 "$CT_PREFIX" 300 || t_bail "DNS64 in the container"
peer_up SRV_NS "$CT" "$(python3 "$RFC6052" synth "$CT_PREFIX" 198.51.100.10)" ||
	t_bail "the server's namespace"
start_bg SERVER run_in_ns "$SRV_NS" python3 -c '
import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8080)); s.listen(); s.settimeout(120)
while True:
    c, a = s.accept(); c.sendall(b"hello " + a[0].encode()); c.close()
'
wait_port "$SRV_NS" :: 8080 || t_bail "server"

start_daemon() {
	start_bg DAEMON nsenter_net "$HNS" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG_H" --control "$T_TMP/control" \
		--pref64 "$HOST_PREFIX" --no-ra "$@"
	wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
}
# container NAME NS CG: a process in NS and CG; its PID in $CPID
container() {
	start_bg "C_$1" run_in_cg "$3" "$2" sleep 120
	local v=C_$1
	CPID=${!v}
	wait_for 5 "grep -q '^0::' /proc/$CPID/cgroup && [[ \$(readlink /proc/$CPID/ns/net) != \$(readlink /proc/self/ns/net) ]]"
}
serve() { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(("serve-container %s %s %s\n" % tuple(sys.argv[2:5])).encode())
print(s.recv(1000).decode().strip())' "$T_TMP/control" "$@"; }
pref_of() { "$CTL" --control "$T_TMP/control" status --json | python3 -c '
import json, sys
c = [c for c in json.load(sys.stdin)["containers"] if c["name"] == sys.argv[1]][0]
print(c["pref64"], "own" if c["own_prefix"] else "fallback")' "$1"; }
connect_from() { run_in_cg "$1" "$2" python3 -c '
import socket
s = socket.socket(); s.settimeout(5)
try:
    s.connect(("198.51.100.10", 8080)); print(s.recv(100).decode())
except OSError as e:
    print("ERR", e.strerror)'; }

start_daemon

t_begin "a container's prefix comes from the DNS64 of its own resolv.conf"
container ct "$CT" "$CG_CT"
assert_eq "serving ct" "$(serve ct "$CPID" "$CG_CT")" "answer" &&
	wait_for "[[ \"\$(pref_of ct)\" == '$CT_PREFIX own' ]]" 5 ||
	t_fail "prefix: $(pref_of ct); daemon: $(grep -i 'container ct' "$DAEMON_LOG" | tail -3)"
assert_contains "$(cat "$DAEMON_LOG")" "container ct: asking ::1 for ipv4only.arpa"
t_pass

t_begin "and its connections use it (the host's prefix would lead nowhere)"
out=$(connect_from "$CG_CT" "$CT")
assert_contains "$out" "hello $PEER_LOCAL6"	# only its prefix's address is there
t_pass

t_begin "a container whose network gives no prefix falls back to the daemon's"
container ct2 "$CT2" "$CG_CT2"
assert_eq "serving ct2" "$(serve ct2 "$CPID" "$CG_CT2")" "answer" &&
	assert_eq "$HOST_PREFIX fallback" "$(pref_of ct2)" "prefix"
t_pass

t_begin "--container-fallback no: no prefix there, translated connects refused"
stop_pid "$DAEMON"
start_daemon --container-fallback no
# the restart serves both containers again (their processes still run),
# with the new setting
assert_contains "$(cat "$DAEMON_LOG")" "containers of the last daemon: 2 of 2 served again" &&
	assert_eq "none fallback" "$(pref_of ct2)" "prefix" &&
	assert_contains "$(connect_from "$CG_CT2" "$CT2")" "ERR Network is unreachable"
t_pass
