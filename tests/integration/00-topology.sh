#!/bin/bash
# 00-topology.sh - the test topology works WITHOUT sock464: a native IPv6
# client reaches the IPv4-only server through TAYGA for the default prefix
# and for one network-specific prefix of each RFC 6052 length (seven TAYGA
# instances at once); IPv4 from the IPv6-only client fails; and everything
# is gone afterwards.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/topo.sh
. "$T_LIB_DIR/topo.sh"

need_root
need_cmd tayga curl busybox python3

T0=$SECONDS
PORT_HTTP=8080
PORT_SINK=9000
PORT_WHO=9001
PORT_RST=9002
PORT_HALF=9003
BIG=$((10 * 1000 * 1000))

t_begin "topology up: default prefix + six RFC 6052 lengths"
# shellcheck disable=SC2086
if topo_up "$DEFAULT_PREFIX" $NSP_ALL_LENGTHS; then
	t_pass
else
	t_bail "topo_up failed"
fi
t_log "topo_up took $((SECONDS - T0)) s"

t_begin "client is IPv6-only (no IPv4 address but loopback, no IPv4 route)"
assert_eq "" "$(ip -n "$NS_C" -4 route show table main)" "IPv4 routes" &&
assert_eq "127.0.0.1/8" "$(ip -n "$NS_C" -4 -o addr show | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')" "IPv4 addresses" &&
assert_contains "$(ip -n "$NS_C" -6 -o addr show dev "$IF_C")" "$CLIENT6/64" "client address"
assert_not_contains "$(ip -n "$NS_C" -6 -o addr show)" "tentative" "DAD state"
t_pass

t_begin "server is IPv4-only with 50 addresses"
assert_eq "" "$(ip -n "$NS_S" -6 -o addr show)" "IPv6 addresses" &&
assert_eq 50 "$(ip -n "$NS_S" -4 -o addr show dev "$IF_S" | grep -c ' 198\.51\.100\.')" "198.51.100.x addresses"
t_pass

# Servers in the server namespace: an HTTP server with a token file, and
# tcpserv.py in four modes.
mkdir -p "$T_TMP/www"
TOKEN=token-$$-$RANDOM$RANDOM
echo "$TOKEN" >"$T_TMP/www/token.txt"
start_bg HTTP run_in_ns "$NS_S" timeout 120 python3 -m http.server "$PORT_HTTP" --bind 0.0.0.0 --directory "$T_TMP/www"
start_bg SINK run_in_ns "$NS_S" python3 "$TCPSERV" --port "$PORT_SINK" --timeout 120 sink
start_bg WHO run_in_ns "$NS_S" python3 "$TCPSERV" --port "$PORT_WHO" --timeout 120 whoami
start_bg RST run_in_ns "$NS_S" python3 "$TCPSERV" --port "$PORT_RST" --timeout 120 rst
start_bg HALF run_in_ns "$NS_S" python3 "$TCPSERV" --port "$PORT_HALF" --timeout 120 halfclose
for port in "$PORT_HTTP" "$PORT_SINK" "$PORT_WHO" "$PORT_RST" "$PORT_HALF"; do
	wait_port "$NS_S" "$SERVER4" "$port" 10 || t_bail "server on port $port did not start"
done

# Through each NAT64 prefix, to a different server address each time so
# that the whoami check proves the right IPv4 address was extracted.
i=0
for prefix in $PREFIXES; do
	v4=198.51.100.$((10 + i * 7))
	dst=$(synth "$prefix" "$v4")
	i=$((i + 1))

	t_begin "curl via $prefix ($dst)"
	assert_ok run_in_ns "$NS_C" curl -g -sS --max-time 10 "http://[$dst]:$PORT_HTTP/token.txt" &&
	assert_eq "$TOKEN" "$T_OUT" "HTTP body"
	t_pass

	t_begin "10 MB sink via $prefix, sha256 matches"
	assert_ok run_in_ns "$NS_C" python3 "$TCPCLIENT" --family 6 --timeout 20 --connect "$dst" "$PORT_SINK" sink "$BIG" &&
	assert_contains "$T_OUT" "SHA256 " &&
	assert_contains "$T_OUT" " $BIG"$'\n'"OK"
	t_pass

	t_begin "whoami via $prefix reaches $v4, from the NAT64 pool"
	assert_ok run_in_ns "$NS_C" python3 "$TCPCLIENT" --connect "$dst" "$PORT_WHO" --prefix "$prefix" whoami &&
	assert_contains "$T_OUT" "WHOAMI local=$v4:$PORT_WHO peer=192.0.2."
	t_pass
done

t_begin "server saw the 10 MB transfers from TAYGA pool addresses"
n=$(grep -c "mode=sink .*peer=192\.0\.2\.[0-9]*:[0-9]* bytes_in=$BIG .*result=ok" "$SINK_LOG")
assert_eq "$(wc -w <<<"$PREFIXES")" "$n" "sink connections seen by the server"
t_pass

dst=$(synth "$DEFAULT_PREFIX" "$SERVER4")
t_case "RST propagates through the NAT64" \
	run_in_ns "$NS_C" python3 "$TCPCLIENT" --connect "$dst" "$PORT_RST" rst
t_case "half-close propagates through the NAT64" \
	run_in_ns "$NS_C" python3 "$TCPCLIENT" --connect "$dst" "$PORT_HALF" halfclose 100000
t_case "200 concurrent connections over 4 processes to 50 destinations" \
	run_in_ns "$NS_C" python3 "$TCPCLIENT" --family 6 --port "$PORT_WHO" \
	--dests 198.51.100.10-59 --map "$DEFAULT_PREFIX" --procs 4 concurrent 200

t_begin "AF_INET client to $SERVER4 fails with ENETUNREACH"
expect_fail_rc 2 run_in_ns "$NS_C" python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" "$PORT_SINK" connect &&
assert_eq "ERR ENETUNREACH" "$T_OUT"
t_pass

t_begin "AF_INET client, non-blocking connect: ENETUNREACH"
expect_fail_rc 2 run_in_ns "$NS_C" python3 "$TCPCLIENT" --family 4 --nonblocking --connect "$SERVER4" "$PORT_SINK" connect &&
assert_eq "ERR ENETUNREACH" "$T_OUT"
t_pass

t_begin "AF_INET6 client to ::ffff:$SERVER4 fails with ENETUNREACH (no sock464)"
expect_fail_rc 2 run_in_ns "$NS_C" python3 "$TCPCLIENT" --family 6 --connect "::ffff:$SERVER4" "$PORT_SINK" connect &&
assert_eq "ERR ENETUNREACH" "$T_OUT"
t_pass

t_begin "run_in_cg puts the command in the cgroup and the netns; run_in_ns does not"
cg_create topo CG
cgpath=${CG#"$(cg2_root)"}
assert_ok run_in_cg "$CG" "$NS_C" sh -c 'cat /proc/self/cgroup; ip -6 -o addr show scope global' &&
assert_contains "$T_OUT" "0::$cgpath" "cgroup of run_in_cg" &&
assert_contains "$T_OUT" "$CLIENT6" "netns of run_in_cg" &&
assert_ok run_in_ns "$NS_C" cat /proc/self/cgroup &&
assert_not_contains "$T_OUT" "$cgpath" "cgroup of run_in_ns" &&
assert_eq "" "$(cat "$CG/cgroup.procs")" "processes left in the cgroup"
t_pass

t_begin "start_bg + run_in_cg: the PID is the program itself, in the cgroup"
start_bg CGSLEEP run_in_cg "$CG" "$NS_C" sleep 60
# ip netns exec execs the program: wait for that, then check where it is.
wait_for "[[ \$(cat /proc/$CGSLEEP/comm) == sleep ]]" 5 ||
	t_fail "PID $CGSLEEP is $(cat "/proc/$CGSLEEP/comm" 2>&1), not sleep"
assert_contains "$(cat "$CG/cgroup.procs")" "$CGSLEEP" "cgroup.procs" &&
assert_eq "$(readlink "/proc/$CGSLEEP/ns/net")" "$(ip netns exec "$NS_C" readlink /proc/self/ns/net)" "netns of the PID"
t_pass
# The sleep stays in the cgroup on purpose: cg_remove below must kill it.

t_begin "teardown leaves nothing behind"
T1=$SECONDS
stop_bg HTTP SINK WHO RST HALF
pids="${_T_BG_PIDS[*]}"
cg_remove "$CG"
topo_down
left=$(topo_leftovers "$$")
for pid in $pids; do
	_t_alive "$pid" && left+=" process $pid"
done
compgen -G "$(cg2_root)/sock464-test-*-$$-*" >/dev/null && left+=" cgroup"
ip -o link show | grep -q -- "-$$[@:]" && left+=" host-link"
assert_eq "" "$left" "leftovers"
t_pass
t_log "teardown took $((SECONDS - T1)) s, whole script $((SECONDS - T0)) s"
