#!/usr/bin/env bash
# Issue 13 (findings 3, 6, 7, 9): canonical cgroups (one cgroup spelt
# several ways is served once; nested ones are refused), the control
# socket under load and bad input, what --control may remove, and config
# files that are not regular files.  The daemon runs in a namespace of its
# own with a static prefix; the "server" listens on the address that prefix
# synthesizes for 198.51.100.10, in a namespace behind a veth (peer_up: no
# NAT64 needed to prove a translated connection, on either data path).
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd python3 bpftool

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

PREFIX=2001:db8:64::/96
SERVER6=$(python3 "$RFC6052" synth "$PREFIX" 198.51.100.10)
NS=s464-hd-$$
ip netns add "$NS" || t_bail "netns"
on_exit "ip netns del $NS"
ip -n "$NS" link set lo up
peer_up SRV_NS "$NS" "$SERVER6" || t_bail "the server's namespace"

# A TCP server telling each client its address, and a UDP echo server
# (bound to $SERVER6: replies must come from the address asked, not from the
# veth's).
start_bg SERVER run_in_ns "$SRV_NS" python3 -c '
import socket, sys, threading
def tcp():
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 8080)); s.listen()
    while True:
        c, a = s.accept(); c.sendall(b"hello " + a[0].encode()); c.close()
threading.Thread(target=tcp, daemon=True).start()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind((sys.argv[1], 8053))
while True:
    d, a = u.recvfrom(2000); u.sendto(b"echo " + d, a)
' "$SERVER6"
wait_port "$SRV_NS" :: 8080 || t_bail "server"

cg_create hd CG
CHILD=$CG/child
mkdir "$CHILD" && on_exit "rmdir $CHILD" || t_bail "child cgroup"
ln -s "$CG" "$T_TMP/cg-link" || t_bail "symlink"
CTLS=$T_TMP/control

ctl() { "$CTL" --control "$CTLS" "$@"; }
# start_daemon ARGS...: the daemon in $NS with its control socket at $CTLS.
start_daemon() {
	start_bg DAEMON nsenter_net "$NS" "$LOAD" "${DP_ARGS[@]}" --control "$CTLS" --pref64 "$PREFIX" \
		--no-ra --no-dns64 "$@"
	wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
}
# tcp_hello: an AF_INET connect from $CG, relayed; prints the server's line.
tcp_hello() { run_in_cg "${1:-$CG}" "$NS" python3 -c '
import socket
s = socket.socket(); s.settimeout(5)
try:
    s.connect(("198.51.100.10", 8080)); print(s.recv(100).decode())
except OSError as e:
    print("ERR", e.strerror)'; }
# udp_peer: a connected AF_INET UDP socket: its getpeername() and the echo.
udp_peer() { run_in_cg "$CG" "$NS" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
try:
    s.connect(("198.51.100.10", 8053)); s.send(b"x")
    print(s.getpeername(), s.recv(100).decode())
except OSError as e:
    print("ERR", e.strerror)'; }
# programs ATTACH_TYPE CGROUP: how many programs of that type (bpftool's
# name, such as cgroup_inet4_connect) are attached there.
programs() { bpftool -j cgroup show "$2" | python3 -c '
import json, sys
t = sys.stdin.read().strip()
print(sum(1 for p in (json.loads(t) if t else []) if p["attach_type"] == sys.argv[1]))' "$1"; }
served_count() { ctl status --json | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["cgroups"]))'; }

# ------------------------------------------------------------ finding 9
t_begin "config: a directory is refused (--check-config exit 1, the daemon exit 2)"
expect_fail_rc 1 timeout 5 "$LOAD" --check-config -f "$T_TMP" &&
	assert_contains "$T_ERR" "$T_TMP: is a directory, not a regular file"
expect_fail_rc 2 timeout 5 "$LOAD" -f "$T_TMP" --control "$T_TMP/nope" &&
	assert_contains "$T_ERR" "is a directory, not a regular file"
t_pass

t_begin "config: a FIFO is refused at once, never a hang; so is a device"
mkfifo "$T_TMP/fifo"
expect_fail_rc 1 timeout 5 "$LOAD" --check-config -f "$T_TMP/fifo" &&
	assert_contains "$T_ERR" "is a FIFO, not a regular file"
expect_fail_rc 2 timeout 5 "$LOAD" -f "$T_TMP/fifo" --control "$T_TMP/nope" &&
	assert_contains "$T_ERR" "is a FIFO, not a regular file"
expect_fail_rc 1 timeout 5 "$LOAD" --check-config -f /dev/null &&
	assert_contains "$T_ERR" "is a character device, not a regular file"
t_pass

t_begin "config: SIGHUP with the file replaced by a FIFO keeps the running settings"
echo "cgroup $CG" >"$T_TMP/conf"
start_daemon -f "$T_TMP/conf"
rm "$T_TMP/conf" && mkfifo "$T_TMP/conf"
kill -HUP "$DAEMON"
wait_for 5 grep -q 'keeping the running ones' "$DAEMON_LOG" ||
	t_fail "no refusal in the log: $(tail -3 "$DAEMON_LOG")"
assert_contains "$(cat "$DAEMON_LOG")" "is a FIFO, not a regular file"
assert_ok timeout 5 "$CTL" --control "$CTLS" status &&
	assert_contains "$T_OUT" "$CG"
assert_contains "$(tcp_hello)" "hello $PEER_LOCAL6" "a connection after the SIGHUP"
stop_pid "$DAEMON"
t_pass

# ------------------------------------------------------------ finding 3
t_begin "cgroups: one cgroup spelt four ways is served once, and translation works"
start_daemon --cgroup "$CG" --cgroup "$CG//" --cgroup "$CHILD/.." --cgroup "$T_TMP/cg-link"
assert_eq 1 "$(programs cgroup_inet4_connect "$CG")" "connect4 programs attached to the cgroup" &&
	assert_eq 1 "$(programs cgroup_udp4_recvmsg "$CG")" "recvmsg4 programs attached to the cgroup" &&
	assert_eq 1 "$(served_count)" "cgroups in the status"
assert_eq 3 "$(grep -c 'served once' "$DAEMON_LOG")" "'served once' warnings"
assert_contains "$(tcp_hello)" "hello $PEER_LOCAL6" "translated TCP"
assert_contains "$(udp_peer)" "('198.51.100.10', 8053) echo x" "translated UDP: getpeername and reply"
t_pass
dp_check_log "$DAEMON_LOG"

t_begin "cgroups: attach of another spelling, of a child and of the parent is refused"
expect_fail_rc 1 ctl attach "$T_TMP/cg-link" &&
	assert_contains "$T_ERR" "served already"
expect_fail_rc 1 ctl attach "$CHILD" &&
	assert_contains "$T_ERR" "$CHILD is below $CG, which is served"
assert_eq 1 "$(programs cgroup_inet4_connect "$CG")" "connect4 programs on the cgroup" &&
	assert_eq 0 "$(programs cgroup_inet4_connect "$CHILD")" "connect4 programs on the child"
assert_ok ctl detach "$CG/"	# another spelling finds it too
assert_ok ctl attach "$CHILD"
expect_fail_rc 1 ctl attach "$CG" &&
	assert_contains "$T_ERR" "$CG is above $CHILD, which is served"
assert_eq 0 "$(programs cgroup_inet4_connect "$CG")" "connect4 programs on the parent"
assert_contains "$(tcp_hello "$CHILD")" "hello $PEER_LOCAL6" "translated TCP from the child"
stop_pid "$DAEMON"
t_pass

t_begin "cgroups: a parent and its child on the command line: refused, also by --check-config"
expect_fail_rc 1 "$LOAD" --check-config --cgroup "$CG" --cgroup "$CHILD" &&
	assert_contains "$T_ERR" "$CHILD is below $CG, which is served"
expect_fail_rc 1 timeout 10 nsenter --net="/run/netns/$NS" "$LOAD" --control "$CTLS" --pref64 "$PREFIX" \
	--no-ra --no-dns64 --cgroup "$CHILD" --cgroup "$CG" &&
	assert_contains "$T_ERR" "$CG is above $CHILD"
assert_eq 0 "$(programs cgroup_inet4_connect "$CG")" "programs left attached"
assert_ok "$LOAD" --check-config --cgroup "$CG" --cgroup "$CG//" &&
	assert_contains "$T_OUT" "(1 cgroups," && assert_contains "$T_ERR" "served once"
t_pass

# ------------------------------------------------------------ finding 7
t_begin "--control: a regular file there is an error, and is left alone"
echo precious >"$T_TMP/file"
expect_fail_rc 1 timeout 10 nsenter --net="/run/netns/$NS" "$LOAD" --control "$T_TMP/file" --pref64 "$PREFIX" \
	--no-ra --no-dns64 &&
	assert_contains "$T_ERR" "--control $T_TMP/file: a regular file is there, not a socket"
assert_eq precious "$(cat "$T_TMP/file")" "the file"
t_pass

t_begin "--control: a live socket there is an error, and is left alone"
start_bg LISTENER python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); print("up", flush=True)
time.sleep(60)' "$T_TMP/live"
wait_for 5 grep -q up "$LISTENER_LOG" || t_fail "listener"
expect_fail_rc 1 timeout 10 nsenter --net="/run/netns/$NS" "$LOAD" --control "$T_TMP/live" --pref64 "$PREFIX" \
	--no-ra --no-dns64 &&
	assert_contains "$T_ERR" "listening there"
assert_ok test -S "$T_TMP/live"
stop_pid "$LISTENER"
t_pass

t_begin "--control: a stale socket (nobody answers) is replaced; at exit only our own is removed"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_TMP/stale"
CTLS=$T_TMP/stale
start_daemon
assert_contains "$(cat "$DAEMON_LOG")" "replacing a stale socket nobody answers on"
assert_ok ctl status
mv "$T_TMP/stale" "$T_TMP/stale.moved" && echo other >"$T_TMP/stale"
stop_pid "$DAEMON"
assert_eq other "$(cat "$T_TMP/stale")" "the file put in its place"
assert_contains "$(cat "$DAEMON_LOG")" "no longer ours there: not removing it"
rm -f "$T_TMP/stale" "$T_TMP/stale.moved"
start_daemon
stop_pid "$DAEMON"
assert_eq "" "$(ls "$T_TMP/stale" 2>/dev/null)" "its own socket, removed at exit"
CTLS=$T_TMP/control
t_pass

# ------------------------------------------------------------ finding 6
# hold N SECONDS: N idle connections to the control socket, held SECONDS;
# prints how many the daemon closed (EOF) and the first answer it gave.
hold() { python3 - "$CTLS" "$@" <<-'EOF'
	import socket, sys, time, select
	path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
	socks = []
	for _ in range(n):
	    s = socket.socket(socket.AF_UNIX); s.connect(path); socks.append(s)
	print("holding", n, flush=True)
	end, closed, said = time.time() + secs, set(), ""
	while time.time() < end and len(closed) < n:
	    r, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.2)
	    for s in r:
	        d = s.recv(1000)
	        if not d:
	            closed.add(s)
	        elif not said:
	            said = d.decode().strip()
	print("closed", len(closed), said, flush=True)
	EOF
}

t_begin "control: 100 idle clients do not block requests for long; each is dropped"
start_daemon --cgroup "$CG"
start_bg HOLD hold 100 10
wait_for 5 grep -q holding "$HOLD_LOG" || t_fail "holder: $(cat "$HOLD_LOG")"
# The slots are full: a clear error, never exit 0 with nothing.
T0=$(date +%s)
expect_fail_rc 1 timeout 10 "$CTL" --control "$CTLS" status &&
	assert_contains "$T_ERR" "too many control clients"
# Within a few seconds the idle ones are dropped and requests are served.
wait_for 8 timeout 5 "$CTL" --control "$CTLS" status ||
	t_fail "status still not answered after 8 s"
assert_ok timeout 5 "$CTL" --control "$CTLS" status && assert_contains "$T_OUT" "$CG"
(($(date +%s) - T0 <= 7)) || t_fail "took $(($(date +%s) - T0)) s"
wait_for 10 grep -q closed "$HOLD_LOG"
assert_contains "$(cat "$HOLD_LOG")" "closed 100" "idle clients the daemon hung up on"
t_pass

t_begin "control: 20 idle clients leave room for requests at once"
start_bg HOLD2 hold 20 6
wait_for 5 grep -q holding "$HOLD2_LOG" || t_fail "holder"
assert_ok timeout 2 "$CTL" --control "$CTLS" status && assert_contains "$T_OUT" "$CG"
t_pass

t_begin "control: an overlong request line is refused whole, not cut and run"
out=$(python3 - "$CTLS" "$CG" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
	try:
	    s.sendall(("detach " + sys.argv[2] + " " * 1000000 + "x\n").encode())
	except OSError:
	    pass
	print(s.recv(1000).decode().strip())
	EOF
)
assert_contains "$out" "error: request longer than 1022 bytes: refused"
assert_eq 1 "$(served_count)" "cgroups served (the detach must not have run)"
assert_eq 1 "$(programs cgroup_inet4_connect "$CG")" "connect4 programs still attached"
t_pass
stop_pid "$DAEMON"

t_begin "sock464ctl: a daemon that hangs up without an answer is an error, not exit 0"
start_bg MUTE python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); print("up", flush=True)
while True:
    c, _ = s.accept(); c.close()' "$T_TMP/mute"
wait_for 5 grep -q up "$MUTE_LOG" || t_fail "mute server"
expect_fail_rc 3 timeout 10 "$CTL" --control "$T_TMP/mute" status &&
	assert_contains "$T_ERR" "no answer from sock464-load at $T_TMP/mute"
expect_fail_rc 3 timeout 10 "$CTL" --control "$T_TMP/mute" attach /x
stop_pid "$MUTE"
t_pass
