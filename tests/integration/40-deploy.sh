#!/usr/bin/env bash
# Deployments (issue 6): the systemd unit and the per-service drop-in, the
# programs pinned and attached the way systemd's BPFProgram= does, the
# control socket (status, attach, detach, trace), per-cgroup counters and
# the sd_notify protocol of Type=notify.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga bpftool systemd-analyze setpriv python3

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

# bpffs, mounted for the test if the host has none (and unmounted after).
if ! findmnt -t bpf /sys/fs/bpf >/dev/null; then
	mount -t bpf bpf /sys/fs/bpf || t_bail "cannot mount bpffs"
	on_exit "umount /sys/fs/bpf"
fi
PIN=/sys/fs/bpf/sock464-test-$$
on_exit "rm -rf $PIN"

topo_up || t_bail "topology"
cg_create served CG_A
cg_create unit CG_B
cg_create later CG_C
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 300 whoami
wait_port "$NS_S" 0.0.0.0 9001 || t_bail "server"
DST6=$(synth "$DEFAULT_PREFIX" "$SERVER4")

start_daemon() {
	start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG_A" --pin "$PIN" \
		--control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" "$@"
	wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || {
		t_log "daemon: $(cat "$DAEMON_LOG")"
		return 1
	}
}
ctl() { "$CTL" --control "$T_TMP/control" "$@"; }
# whoami CG [tcpclient options]: AF_INET from cgroup CG to the server.
whoami() {
	local cg=$1
	shift
	run_in_cg "$cg" "$NS_C" python3 "$TCPCLIENT" --family 4 --timeout 5 \
		--connect "$SERVER4" 9001 --expect-local "$SERVER4" "$@" whoami
}

# ------------------------------------------------------------------ units
t_begin "sock464.service passes systemd-analyze verify"
sed "s|@SBINDIR@|$T_ROOT/build|g" "$T_ROOT/systemd/sock464.service.in" >"$T_TMP/sock464.service"
assert_ok systemd-analyze verify --man=no "$T_TMP/sock464.service" &&
	assert_eq "" "$T_ERR" "warnings"
assert_contains "$(cat "$T_TMP/sock464.service")" "Type=notify"
t_pass

t_begin "the drop-in from sock464ctl dropin passes systemd-analyze verify"
mkdir -p "$T_TMP/units/app.service.d"
printf '[Unit]\nDescription=app\n[Service]\nExecStart=/bin/sleep 1\n' >"$T_TMP/units/app.service"
cp "$T_TMP/sock464.service" "$T_TMP/units/"
assert_ok "$CTL" dropin app.service --pin "$PIN" &&
	cp /dev/stdin "$T_TMP/units/app.service.d/sock464.conf" <<<"$T_OUT" &&
	assert_ok env SYSTEMD_UNIT_PATH="$T_TMP/units:" systemd-analyze verify --man=no \
		"$T_TMP/units/app.service" &&
	assert_not_contains "$T_ERR" "Unknown BPF attach type" &&
	assert_eq 7 "$(grep -c '^BPFProgram=' "$T_TMP/units/app.service.d/sock464.conf")" "BPFProgram lines"
t_pass

# ------------------------------------------------------------ pinning
start_daemon || t_bail "daemon"
dp_check_log "$DAEMON_LOG"

t_begin "programs pinned under their attach type names, maps by name"
for p in sock_create sock_ops connect4 connect6 sendmsg4 recvmsg4 recvmsg6 \
	getpeername4 getpeername6 sock_release sock464_netns sock464_sk; do
	[[ -e $PIN/$p ]] || t_fail "$PIN/$p missing"
done
t_pass

# Attach what the drop-in's BPFProgram= lines name, as systemd does.
attach_like_systemd() {
	local h
	for h in $(sed -n 's/^BPFProgram=\([a-z_0-9]*\):.*/\1/p' "$T_TMP/units/app.service.d/sock464.conf"); do
		bpftool cgroup attach "$CG_B" "$h" pinned "$PIN/$h" multi || return 1
	done
}

t_begin "a cgroup served the way the drop-in does: BPFProgram= hooks plus the complement"
assert_ok attach_like_systemd &&
	assert_ok run_in_cg "$CG_B" "" "$CTL" --control "$T_TMP/control" attach --self --hooks complement &&
	assert_contains "$T_OUT" "attached $CG_B" &&
	assert_ok whoami "$CG_B"
t_pass

t_begin "daemon restarted: programs attached by others use the new daemon's maps"
stop_pid "$DAEMON"
expect_fail whoami "$CG_B" --no-peer-check &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"	# stopped: refused, not a dead relay
start_daemon || t_fail "restart"
assert_ok whoami "$CG_B" --no-peer-check
t_pass

# ------------------------------------------------------- control socket
t_begin "attach and detach a cgroup at run time"
expect_fail whoami "$CG_C" && assert_contains "$T_OUT" "ERR ENETUNREACH"
assert_ok ctl attach "$CG_C" && assert_ok whoami "$CG_C"
assert_contains "$(ctl status)" "cgroup: $CG_C"
assert_ok ctl detach "$CG_C" &&
	expect_fail whoami "$CG_C" && assert_contains "$T_OUT" "ERR ENETUNREACH"
expect_fail ctl detach "$CG_C" && assert_contains "$T_ERR" "is not served"
expect_fail ctl attach "$T_TMP" && assert_contains "$T_ERR" "attaching to $T_TMP failed"
t_pass

t_begin "a served cgroup that is removed (a finished unit's) leaves the list"
cg_create gone CG_GONE
assert_ok ctl attach "$CG_GONE" && assert_contains "$(ctl status)" "cgroup: $CG_GONE"
rmdir "$CG_GONE"
assert_not_contains "$(ctl status)" "cgroup: $CG_GONE" &&
	assert_contains "$(cat "$DAEMON_LOG")" "cgroup $CG_GONE is gone: no longer serving it"
t_pass

t_begin "trace shows a connection made now: pid, command, cgroup, both addresses"
start_bg TRACE "$CTL" --control "$T_TMP/control" trace --count 1 --timeout 10
start_bg TRACEJ "$CTL" --control "$T_TMP/control" trace --json --count 1 --timeout 10
sleep 0.5
assert_ok whoami "$CG_A"
wait_for 10 "! kill -0 $TRACE 2>/dev/null && ! kill -0 $TRACEJ 2>/dev/null"
assert_match "$(cat "$TRACE_LOG")" \
	"^[0-9:.]+ pid [0-9]+ \(python3\) cgroup $CG_A $SERVER4:9001 -> \[$DST6\]:9001 tcp $DP$"
python3 -c '
import json, os, sys
e = json.loads(open(sys.argv[1]).readline())
assert e["decision"] == os.environ["DP"] + "_tcp" and e["dst"] == sys.argv[2] and e["dst6"] == sys.argv[3], e
assert e["comm"] == "python3" and e["cgroup"] == sys.argv[4] and e["port"] == 9001, e
' "$TRACEJ_LOG" "$SERVER4" "$DST6" "$CG_A" || t_fail "JSON trace: $(cat "$TRACEJ_LOG")"
t_pass

t_begin "status counts per served cgroup"
assert_ok whoami "$CG_B" --no-peer-check
assert_ok ctl status --json &&
	python3 -c '
import json, os, sys
s = json.load(sys.stdin)
a, b = sys.argv[1], sys.argv[2]
per = s["cgroup_counters"]
k = os.environ["DP"] + "_tcp"	# relay_tcp or kernel_tcp
assert per[a][k] >= 1, per
assert s["counters"][k] >= per[a][k] + 1, s["counters"]
' "$CG_A" "$CG_B" <<<"$T_OUT" || t_fail "per-cgroup counters: $T_OUT"
assert_match "$(ctl status)" "counters of $CG_A: .*${DP}_tcp=[1-9]"
t_pass

t_begin "the control socket refuses non-root clients"
expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" --control "$T_TMP/control" status &&
	assert_eq 3 "$T_RC" "exit status" &&
	assert_contains "$T_ERR" "only root may use it"
t_pass

t_begin "a non-root client the daemon refuses prints the daemon's reason and exits 1"
# A socket anyone may reach: the daemon itself refuses by SO_PEERCRED.
chmod 0711 "$T_TMP" && chmod 0666 "$T_TMP/control"
expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" --control "$T_TMP/control" status
rc=$T_RC
chmod 0600 "$T_TMP/control" && chmod 0700 "$T_TMP"
assert_eq 1 "$rc" "exit status (141: died of SIGPIPE)" &&
	assert_contains "$T_ERR" "only root may use the control socket"
t_pass

t_begin "a served cgroup's process in a namespace nobody serves: refused, or native with pass"
# The router namespace has a native IPv4 route to the server, but no relay.
expect_fail run_in_cg "$CG_A" "$NS_R" python3 "$TCPCLIENT" --family 4 --timeout 5 \
	--connect "$SERVER4" 9001 connect && assert_contains "$T_OUT" "ERR ENETUNREACH"
assert_match "$(ctl status)" "refuse_no_relay=[1-9]"
stop_pid "$DAEMON"
start_daemon --unserved-netns pass || t_fail "daemon"
assert_ok run_in_cg "$CG_A" "$NS_R" python3 "$TCPCLIENT" --family 4 --timeout 5 \
	--connect "$SERVER4" 9001 --expect-local "$SERVER4" whoami &&
	assert_contains "$T_OUT" "peer=$ROUTER4:"	# native: from the router's own address
assert_match "$(ctl status)" "pass_unserved=[1-9]"
t_pass

t_begin "Type=notify: READY=1 once serving, STATUS with the prefix, STOPPING=1"
stop_pid "$DAEMON"
start_bg NOTIFY python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
while True:
    m = s.recv(4096).decode(); print(m.replace("\n", "|"), flush=True)
    if "STOPPING=1" in m: break
' "$T_TMP/notify.sock"
wait_for 5 test -S "$T_TMP/notify.sock"
NOTIFY_SOCKET=$T_TMP/notify.sock start_daemon || t_fail "daemon"
wait_for 5 grep -q READY=1 "$NOTIFY_LOG"
assert_contains "$(cat "$NOTIFY_LOG")" "STATUS=PREF64 $DEFAULT_PREFIX"
stop_pid "$DAEMON"
wait_for 5 grep -q STOPPING=1 "$NOTIFY_LOG"
assert_match "$(tr '\n' ' ' <"$NOTIFY_LOG")" "STATUS=PREF64.*READY=1.*STOPPING=1"
t_pass
