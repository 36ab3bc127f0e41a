#!/usr/bin/env bash
# Core TCP (issue 2): processes in the served cgroup reach IPv4 literals
# over an IPv6-only network through TAYGA, with real clients; processes
# outside it are untouched; the relay is exact, bounded and fails loudly.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga curl wget busybox python3 nft

LOAD=$T_ROOT/build/sock464-load
STATIC=$T_ROOT/build/tests/tcpstatic
[[ -x $LOAD && -x $STATIC ]] || t_bail "build first (make test-build)"

topo_up || t_bail "topology"
cg_create tcp
DLOG=$T_TMP/daemon.log

# start_daemon [ARGS...]: sock464-load in the client namespace serving $CG.
start_daemon() {
	start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" \
		--control "$T_TMP/control" -v "$@"
	DLOG=$DAEMON_LOG
	wait_for 5 grep -q 'TCP relay on' "$DLOG" || {
		t_log "daemon did not start: $(cat "$DLOG")"
		return 1
	}
	RELAY_PORT=$(sed -n 's/.*TCP relay on 127.46.0.1:\([0-9]*\).*/\1/p' "$DLOG")
}

# in_cg CMD...: run in the served cgroup, in the client namespace.
in_cg() { run_in_cg "$CG" "$NS_C" "$@"; }
# outside CMD...: the client namespace, outside the served cgroup.
outside() { run_in_ns "$NS_C" "$@"; }
client() { python3 "$TCPCLIENT" "$@"; }

# The servers, all in the IPv4-only namespace.
WWW=$T_TMP/www
mkdir -p "$WWW"
echo "sock464-marker-$$" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 600 whoami
start_bg SINK run_in_ns "$NS_S" python3 "$TCPSERV" --port 9002 --timeout 600 sink
start_bg SOURCE run_in_ns "$NS_S" python3 "$TCPSERV" --port 9003 --timeout 600 source 100000000
start_bg HALF run_in_ns "$NS_S" python3 "$TCPSERV" --port 9004 --timeout 600 halfclose
start_bg RST run_in_ns "$NS_S" python3 "$TCPSERV" --port 9005 --timeout 600 rst
start_bg ECHO run_in_ns "$NS_S" python3 "$TCPSERV" --port 9006 --timeout 600 echo
for p in 80 9001 9002 9003 9004 9005 9006; do
	wait_port "$NS_S" 0.0.0.0 "$p" || t_bail "server on port $p did not start"
done

start_daemon --pref64 "$DEFAULT_PREFIX" || t_bail "daemon"
dp_check_log "$DLOG"

# ------------------------------------------------------------- clients
t_begin "curl to an IPv4 literal"
assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-marker-$$"
t_pass

t_begin "wget to an IPv4 literal"
assert_ok in_cg wget -q -T 10 -O - "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-marker-$$"
t_pass

t_begin "busybox wget (static binary)"
assert_ok in_cg timeout 10 busybox wget -q -O - "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-marker-$$"
t_pass

t_begin "static C client: getpeername shows the IPv4 peer"
assert_ok in_cg "$STATIC" "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
	assert_contains "$T_OUT" "local=$SERVER4:9001"
t_pass

t_begin "python AF_INET blocking connect, getpeername"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9001 \
	--expect-local "$SERVER4" whoami
t_pass

t_begin "python AF_INET non-blocking connect"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --nonblocking \
	--connect "$SERVER4_ALT" 9001 --expect-local "$SERVER4_ALT" whoami
t_pass

t_begin "python AF_INET6 to ::ffff:a.b.c.d, getpeername shows ::ffff:"
assert_ok in_cg python3 "$TCPCLIENT" --family 6 --connect "::ffff:$SERVER4" 9001 \
	--expect-local "$SERVER4" whoami
t_pass

t_begin "python AF_INET6 to ::ffff:a.b.c.d, non-blocking"
assert_ok in_cg python3 "$TCPCLIENT" --family 6 --nonblocking \
	--connect "::ffff:$SERVER4" 9001 --expect-local "$SERVER4" whoami
t_pass

t_begin "outside the cgroup: AF_INET still ENETUNREACH"
expect_fail outside python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9001 connect &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
t_pass

t_begin "outside the cgroup: ::ffff: still ENETUNREACH"
expect_fail outside python3 "$TCPCLIENT" --family 6 --connect "::ffff:$SERVER4" 9001 connect &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
t_pass

t_begin "loopback is never translated"
start_bg LOCAL run_in_ns "$NS_C" python3 "$TCPSERV" --bind 127.0.0.1 --port 9100 --timeout 60 whoami
wait_port "$NS_C" 127.0.0.1 9100 &&
	assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect 127.0.0.1 9100 \
		--expect-local 127.0.0.1 whoami
stop_bg LOCAL
t_pass

# ------------------------------------------------------- exactness, data
t_begin "500 concurrent AF_INET connections from 5 processes, 50 destinations"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --port 9001 --dests 198.51.100.10-59 \
	--procs 5 --timeout 60 concurrent 500 &&
	assert_contains "$T_OUT" "OK"
t_pass

t_begin "200 concurrent ::ffff: connections from 4 processes"
assert_ok in_cg python3 "$TCPCLIENT" --family 6 --port 9001 --dests 198.51.100.10-59 \
	--procs 4 --timeout 60 concurrent 200
t_pass

t_begin "100 MB application to server, same SHA-256"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --timeout 120 --connect "$SERVER4" 9002 sink 100000000
t_pass

t_begin "100 MB server to application, same SHA-256"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --timeout 120 --connect "$SERVER4" 9003 source 100000000
t_pass

t_begin "half-close: the application's FIN reaches the server, the reply comes back"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9004 halfclose 100000
t_pass

t_begin "half-close while the IPv6 connect is still in progress"
# Drop the first IPv6 SYN to port 9004 in the router (the quota lets the
# retransmitted one through, a second later).  Relay: the application's FIN,
# with no data before it, arrives while the relay's IPv6 socket is still
# connecting, and must wait for the connection rather than abort it
# (shutdown() of a connecting socket).  Kernel path: the application's own
# SYN is the one dropped (its IPv6 form never passes the client's output
# hook, so the router's forward hook is where to drop it), and its connect
# completes with the retransmission.
SYN6=$(python3 "$RFC6052" synth "$DEFAULT_PREFIX" "$SERVER4")
ip netns exec "$NS_R" nft -f - <<NFT || t_fail "nft rule not added"
table inet s464slow {
	chain slow {
		type filter hook forward priority 0;
		ip6 daddr $SYN6 tcp dport 9004 tcp flags & (syn | ack) == syn quota until 100 bytes drop
	}
}
NFT
t0=$(_t_now_us)
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9004 halfclose 0 &&
	{ (($(_t_now_us) - t0 >= 800000)) || t_fail "done in under 0.8 s: the first SYN was not dropped"; }
ip netns exec "$NS_R" nft delete table inet s464slow
t_pass

t_begin "server reset reaches the application as a reset"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9005 rst &&
	assert_contains "$T_OUT" "RESET"
t_pass

t_begin "application reset reaches the server as a reset"
start_bg RSTSEEN run_in_ns "$NS_S" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9007)); s.listen(); s.settimeout(20)
while True:	# skip the readiness probe of wait_port
    c, _ = s.accept(); c.settimeout(20)
    if c.recv(100):
        break
try:
    d = c.recv(100)
    print("EOF" if not d else "DATA")
except ConnectionResetError:
    print("RESET")
'
wait_port "$NS_S" 0.0.0.0 9007
in_cg python3 -c '
import socket, struct, time
s = socket.socket(); s.settimeout(10); s.connect(("'"$SERVER4"'", 9007))
s.sendall(b"x"); time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
'
wait_for 10 "! kill -0 $RSTSEEN 2>/dev/null"
assert_contains "$(cat "$RSTSEEN_LOG")" "RESET"
t_pass

if [[ $DP == relay ]]; then
	t_begin "upstream refuses: the application sees a reset within 2 s"
	start=$SECONDS	# connect() succeeded already, to the relay
	assert_ok in_cg python3 "$TCPCLIENT" --family 4 --timeout 10 --connect "$SERVER4" 9999 rst &&
		assert_contains "$T_OUT" "RESET"
else
	t_begin "upstream refuses: connect() fails with ECONNREFUSED within 2 s"
	start=$SECONDS	# one connection end to end: the RST answers the SYN
	expect_fail_rc 2 in_cg python3 "$TCPCLIENT" --family 4 --timeout 10 \
		--connect "$SERVER4" 9999 connect &&
		assert_eq "ERR ECONNREFUSED" "$T_OUT"
fi
((SECONDS - start <= 2)) || t_fail "took $((SECONDS - start)) s"
t_pass

t_begin "the relay serves only what the hooks sent (no open proxy)"
expect_fail outside python3 "$TCPCLIENT" --family 4 --no-peer-check --timeout 5 \
	--connect 127.46.0.1 "$RELAY_PORT" echo 10
wait_for 5 grep -q 'that the hooks did not send' "$DLOG" ||
	t_fail "no log line for the rejected connection"
t_pass

t_begin "counters are readable from user space while running"
assert_ok "$T_ROOT/build/sock464ctl" --control "$T_TMP/control" status --json &&
	python3 -c '
import json, os, sys
s = json.load(sys.stdin)
c = s["counters"]
assert c["native6"] >= 200 and c["pass_reserved"] >= 1, c
if os.environ["DP"] == "relay":
    assert c["relay_tcp"] >= 500 and c["kernel_tcp"] == 0, c
    assert c["peer_shown"] >= 700, c	# AF_INET ones too: the relay is their peer
    assert s["data_path"]["kind"] == "relay", s["data_path"]
else:	# an AF_INET socket is connected to a.b.c.d itself: nothing to show
    assert c["kernel_tcp"] >= 500 and c["relay_tcp"] == 0, c
    assert c["peer_shown"] >= 200, c
    x = s["data_path"]["counters"]
    assert s["data_path"]["kind"] == "kernel" and x["xlat_out"] > 0 and x["xlat_in"] > 0, s["data_path"]
' <<<"$T_OUT" || t_fail "counters: $T_OUT"
t_pass

# ------------------------------------------------------------- lifecycle
t_begin "SIGTERM: exit 0, hooks detached, counters logged"
stop_pid "$DAEMON"
wait "$DAEMON" 2>/dev/null
rc=$?
assert_eq 0 "$rc" "exit status" &&
	assert_contains "$(cat "$DLOG")" "relay_tcp=" &&
	expect_fail in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9001 connect &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
t_pass

t_begin "no PREF64: translated connects fail at once with ENETUNREACH"
start_daemon --no-ra --no-dns64 || t_fail "daemon"
assert_contains "$(cat "$DLOG")" "no PREF64 configured and discovery off"
start=$SECONDS
expect_fail in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9001 connect &&
	assert_contains "$T_OUT" "ERR ENETUNREACH" &&
	expect_fail in_cg python3 "$TCPCLIENT" --family 6 --connect "::ffff:$SERVER4" 9001 connect &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
((SECONDS - start <= 2)) || t_fail "took $((SECONDS - start)) s"
stop_pid "$DAEMON"
t_pass

if [[ $DP == relay ]]; then
	t_begin "daemon killed: open connections reset, new connects ENETUNREACH"
else	# one connection end to end: nothing of it lives in the daemon
	t_begin "daemon killed: open connections are not reset, new connects ENETUNREACH"
fi
start_daemon --pref64 "$DEFAULT_PREFIX" || t_fail "daemon"
start_bg HELD run_in_cg "$CG" "$NS_C" python3 -c '
import socket, time
s = socket.socket(); s.settimeout(20); s.connect(("'"$SERVER4"'", 9006))
s.sendall(b"ping"); assert s.recv(4) == b"ping"
print("ESTABLISHED", flush=True)
try:
    d = s.recv(100)
    print("EOF" if not d else "DATA")
except ConnectionResetError:
    print("RESET")
except socket.timeout:
    print("HANG")
'
wait_for 10 grep -q ESTABLISHED "$HELD_LOG" || t_fail "held connection did not start"
kill -KILL "$DAEMON"
if [[ $DP == relay ]]; then
	wait_for 10 "! kill -0 $HELD 2>/dev/null"
	assert_contains "$(cat "$HELD_LOG")" "RESET" "held connection"
else	# unpinned, its programs are gone with the daemon: no reset, no data either
	sleep 2
	assert_ok kill -0 "$HELD" && assert_eq "ESTABLISHED" "$(cat "$HELD_LOG")" "held connection"
	stop_bg HELD
fi
expect_fail in_cg python3 "$TCPCLIENT" --family 4 --timeout 5 --connect "$SERVER4" 9001 connect &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
t_pass

# ------------------------------------------------------ command line errors
t_begin "not a cgroup v2 directory: clear error, exit 1"
expect_fail "$LOAD" --cgroup "$T_TMP" --pref64 "$DEFAULT_PREFIX" &&
	assert_contains "$T_ERR" "not a cgroup v2 directory"
assert_eq 1 "$T_RC" "exit status"
t_pass

t_begin "missing cgroup: clear error"
expect_fail "$LOAD" --cgroup "$T_TMP/none" &&
	assert_contains "$T_ERR" "No such file or directory"
t_pass

t_begin "prefix length not allowed by RFC 6052: clear error, exit 2"
expect_fail "$LOAD" --cgroup "$CG" --pref64 64:ff9b::/80 &&
	assert_contains "$T_ERR" "not allowed by RFC 6052"
assert_eq 2 "$T_RC" "exit status"
t_pass

t_begin "malformed prefix: clear error"
expect_fail "$LOAD" --cgroup "$CG" --pref64 64:zz9b::/96 &&
	assert_contains "$T_ERR" "is not an IPv6 address"
t_pass

t_begin "missing privileges: clear error"
expect_fail setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$LOAD" --cgroup "$CG" --pref64 "$DEFAULT_PREFIX" &&
	assert_contains "$T_ERR" "needs root"
t_pass

