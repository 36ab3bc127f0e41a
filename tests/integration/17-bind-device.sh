#!/usr/bin/env bash
# Sockets bound to a device (issue 12), on both data paths: SO_BINDTODEVICE
# from python (TCP, UDP; and SO_BINDTOIFINDEX), `curl --interface` and `ping -I` (kernel path; the
# relay path has no ICMP) work through a second uplink, and tcpdump on the
# router sees the translated traffic arrive on that uplink only; a device
# without a route to the NAT64 gives ENETUNREACH at once; curl --interface
# no longer hangs on the relay path.  DATA_PATHS="kernel relay" (default)
# chooses the runs; TC_ATTACH=tcx|clsact the kernel path's attachment.
#
#   client --IF_C------ router (TAYGA) -- server     default route
#          --IF_C2----- router                        default, metric 2048
#          --DEAD------ router, no address, no route
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga curl python3 tcpdump ip ping

topo_up || t_bail "topology"
cg_create bind
. "$T_LIB_DIR/kpath.sh"	# LOAD, CTL, kpath_daemon, in_cg, ctl

# The second uplink and the dead one, created inside the namespaces
# (they go with them).
IF_C2=s4c2-$$
IF_RC2=s4rc2-$$
DEAD=s4x-$$
CLIENT6_2=2001:db8:2::2
ROUTER6_2=2001:db8:2::1
ip link add "$IF_C2" netns "$NS_C" type veth peer name "$IF_RC2" netns "$NS_R" &&
	ns_sysctl "$NS_C" "net.ipv6.conf.$IF_C2.accept_dad=0" "net.ipv6.conf.$IF_C2.accept_ra=0" &&
	ns_sysctl "$NS_R" "net.ipv6.conf.$IF_RC2.accept_dad=0" &&
	ip -n "$NS_C" addr add "$CLIENT6_2/64" dev "$IF_C2" nodad &&
	ip -n "$NS_R" addr add "$ROUTER6_2/64" dev "$IF_RC2" nodad &&
	ip -n "$NS_C" link set "$IF_C2" up && ip -n "$NS_R" link set "$IF_RC2" up &&
	ip -n "$NS_C" -6 route add default via "$ROUTER6_2" dev "$IF_C2" metric 2048 &&
	ip link add "$DEAD" netns "$NS_C" type veth peer name "${DEAD}p" netns "$NS_R" &&
	ip -n "$NS_C" link set "$DEAD" up && ip -n "$NS_R" link set "${DEAD}p" up ||
	t_bail "second uplink"
SYN6=$(synth "$DEFAULT_PREFIX" "$SERVER4")

WWW=$T_TMP/www
mkdir -p "$WWW"
echo "sock464-bind-$$" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 900 whoami
start_bg UECHO run_in_ns "$NS_S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7001))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)'
# Closes 0.5 s after the client's FIN: the client's socket is in time-wait
# by then and answers the server's FIN without its full socket.
start_bg LATECLOSE run_in_ns "$NS_S" python3 -c '
import socket, threading, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9004)); l.listen(16)
def serve(c):
    while c.recv(100):
        pass
    time.sleep(0.5); c.close()
while True:
    threading.Thread(target=serve, args=(l.accept()[0],)).start()'
for p in 80 9001 9004; do
	wait_port "$NS_S" 0.0.0.0 "$p" || t_bail "server on port $p did not start"
done

# start_daemon DATA_PATH (a later --data-path wins over kpath_daemon's)
start_daemon() {
	kpath_daemon --data-path "$1" || return 1
	# the links are flagged once the prefix is known
	wait_for 5 grep -q '2 of 3 links route PREF64' "$DAEMON_LOG" || {
		t_log "the daemon did not list the links: $(cat "$DAEMON_LOG")"
		return 1
	}
}

# capture_start / capture_stop: IPv6 TCP, UDP and ICMPv6 arriving at the
# router on each uplink, in $CAP1 (IF_C's) and $CAP2 (IF_C2's).
capture_start() {
	start_bg DUMP1 run_in_ns "$NS_R" tcpdump -l -n -i "$IF_RC" ip6 and '(tcp or udp or icmp6)'
	start_bg DUMP2 run_in_ns "$NS_R" tcpdump -l -n -i "$IF_RC2" ip6 and '(tcp or udp or icmp6)'
	wait_for 5 "grep -q 'listening on' '$DUMP1_LOG' && grep -q 'listening on' '$DUMP2_LOG'"
}
capture_stop() {
	sleep 0.5
	stop_bg DUMP1 DUMP2
	CAP1=$(cat "$DUMP1_LOG")
	CAP2=$(cat "$DUMP2_LOG")
}

# A python client: SO_BINDTODEVICE DEV, then TCP to whoami and UDP echo
# (connected and unconnected), and TCP after SO_BINDTOIFINDEX; each line
# "WHAT RESULT fast|slow".
BOUND_CLIENT='
import errno, socket, sys, time
dev, host = sys.argv[1].encode(), sys.argv[2]
def bound(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(8)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev)
    return s
def tcp():
    s = bound(socket.SOCK_STREAM); s.connect((host, 9001))
    return s.recv(200).decode().split()[0]
def udp_conn():
    s = bound(socket.SOCK_DGRAM); s.connect((host, 7001)); s.send(b"conn")
    return s.recv(100).decode()
def udp_unconn():
    s = bound(socket.SOCK_DGRAM); s.sendto(b"unconn", (host, 7001))
    return s.recvfrom(100)[0].decode()
def tcp_index():    # SO_BINDTOIFINDEX (62)
    s = socket.socket(); s.settimeout(8)
    s.setsockopt(socket.SOL_SOCKET, 62, socket.if_nametoindex(dev.decode()))
    s.connect((host, 9001))
    return s.recv(200).decode().split()[0]
for name, f in (("TCP", tcp), ("UDPCONN", udp_conn), ("UDP", udp_unconn),
                ("TCPINDEX", tcp_index)):
    t0 = time.monotonic()
    try:
        r = f()
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e))
    print(name, r, "fast" if time.monotonic() - t0 < 2 else "slow")
'

# TCP to whoami at $2, bound to $1 and not: "BOUND peer=..." "UNBOUND peer=...".
BOUND_NATIVE='
import socket, sys
for name, dev in (("BOUND", sys.argv[1].encode()), ("UNBOUND", None)):
    s = socket.socket(); s.settimeout(8)
    if dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev)
    s.connect((sys.argv[2], 9001))
    print(name, s.recv(200).decode().split()[1])
'
# native_routes add|del: IPv4 on both uplinks (192.0.2.128/30 on IF_C2,
# .132/30 on IF_C, outside TAYGA's pool) and 203.0.113.0/24 through both,
# IF_C's first.
native_routes() {
	ip -n "$NS_R" addr "$1" 192.0.2.129/30 dev "$IF_RC2"
	ip -n "$NS_R" addr "$1" 192.0.2.133/30 dev "$IF_RC"
	ip -n "$NS_C" addr "$1" 192.0.2.130/30 dev "$IF_C2"
	ip -n "$NS_C" addr "$1" 192.0.2.134/30 dev "$IF_C"
	if [[ $1 == add ]]; then
		ip -n "$NS_C" route add 203.0.113.0/24 via 192.0.2.133 dev "$IF_C" metric 10
		ip -n "$NS_C" route add 203.0.113.0/24 via 192.0.2.129 dev "$IF_C2" metric 20
		wait_for 5 "ip netns exec $NS_C ping -c 1 -W 1 -I $IF_C2 $SERVER4_ALT"
		# The daemon mirrors IPv4 routes from netlink, a moment later
		# (slower under load): until then the cgroup's sockets are still
		# translated. Wait until an unbound one goes native.
		wait_for 5 native_seen
	fi
}
# native_seen: an unbound socket of the cgroup reaches SERVER4_ALT natively.
native_seen() {
	in_cg python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 9001), timeout=3)
print(s.recv(200).decode().split()[1])' "$SERVER4_ALT" 2>/dev/null | grep -q '^192\.0\.2\.134:'
}

for DP in ${DATA_PATHS:-kernel relay}; do
	start_daemon "$DP" || t_bail "daemon ($DP)"

	t_begin "[$DP] the daemon lists the links: $IF_C and $IF_C2 route PREF64, $DEAD does not"
	{ [[ $DP == relay ]] || assert_contains "$(cat "$DAEMON_LOG")" "data path: $DP"; } &&
		assert_contains "$(cat "$DAEMON_LOG")" "2 of 3 links route PREF64"
	t_pass

	t_begin "[$DP] curl --interface $IF_C2: through the second uplink, at once"
	capture_start
	T0=$EPOCHREALTIME
	assert_ok in_cg curl -sS --max-time 20 --interface "$IF_C2" "http://$SERVER4/"
	ELAPSED=$(python3 -c "print(int(($EPOCHREALTIME - $T0) * 1000))")
	capture_stop
	assert_contains "$T_OUT" "sock464-bind-$$" &&
		{ ((ELAPSED < 5000)) || t_fail "took $ELAPSED ms"; } &&
		assert_contains "$CAP2" "$CLIENT6_2." "capture on $IF_RC2" &&
		assert_contains "$CAP2" "$SYN6.80:" "capture on $IF_RC2" &&
		assert_not_contains "$CAP1" "$SYN6.80:" "capture on $IF_RC"
	t_pass

	t_begin "[$DP] curl without --interface still takes the default uplink"
	capture_start
	assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/"
	capture_stop
	assert_contains "$T_OUT" "sock464-bind-$$" &&
		assert_contains "$CAP1" "$SYN6.80:" "capture on $IF_RC" &&
		assert_not_contains "$CAP2" "$SYN6.80:" "capture on $IF_RC2"
	t_pass

	t_begin "[$DP] SO_BINDTODEVICE $IF_C2: TCP, connected and unconnected UDP through it; SO_BINDTOIFINDEX too"
	capture_start
	assert_ok in_cg python3 -c "$BOUND_CLIENT" "$IF_C2" "$SERVER4"
	capture_stop
	assert_match "$T_OUT" "TCP local=$SERVER4:9001 fast" &&
		assert_contains "$T_OUT" "UDPCONN conn fast" &&
		assert_contains "$T_OUT" "UDP unconn fast" &&
		assert_match "$T_OUT" "TCPINDEX local=$SERVER4:9001 fast" &&
		assert_contains "$CAP2" "$SYN6.9001:" "TCP on $IF_RC2" &&
		assert_contains "$CAP2" "$SYN6.7001:" "UDP on $IF_RC2" &&
		assert_not_contains "$CAP1" "$SYN6.9001:" "TCP on $IF_RC" &&
		assert_not_contains "$CAP1" "$SYN6.7001:" "UDP on $IF_RC"
	t_pass

	t_begin "[$DP] SO_BINDTODEVICE $DEAD (no route to the NAT64), by name or index: ENETUNREACH at once"
	assert_ok in_cg python3 -c "$BOUND_CLIENT" "$DEAD" "$SERVER4" &&
		assert_contains "$T_OUT" "TCP ENETUNREACH fast" &&
		assert_contains "$T_OUT" "UDPCONN ENETUNREACH fast" &&
		assert_contains "$T_OUT" "UDP ENETUNREACH fast" &&
		assert_contains "$T_OUT" "TCPINDEX ENETUNREACH fast" &&
		assert_ok ctl status &&
		assert_match "$T_OUT" "refuse_device=[1-9]" &&
		assert_match "$T_OUT" "device_uplink=[1-9]"
	t_pass

	t_begin "[$DP] curl --interface $DEAD fails at once"
	T0=$EPOCHREALTIME
	expect_fail in_cg curl -sS --max-time 20 --interface "$DEAD" "http://$SERVER4/"
	ELAPSED=$(python3 -c "print(int(($EPOCHREALTIME - $T0) * 1000))")
	assert_eq 7 "$T_RC" "curl's exit code (could not connect)" &&
		{ ((ELAPSED < 3000)) || t_fail "took $ELAPSED ms"; }
	t_pass

	if [[ $DP == kernel ]]; then
		t_begin "[$DP] ping -I $IF_C2: echo both ways through the second uplink"
		capture_start
		assert_ok in_cg ping -c 2 -i 0.3 -W 3 -I "$IF_C2" "$SERVER4"
		capture_stop
		assert_contains "$T_OUT" "2 received" &&
			assert_contains "$CAP2" "$CLIENT6_2 > $SYN6: ICMP6, echo request" &&
			assert_not_contains "$CAP1" "ICMP6, echo request"
		t_pass
	fi

	# ping's probe socket (UDP, bound the same way) connects first
	t_begin "[$DP] ping -I $DEAD: ENETUNREACH at once, nothing leaves through the uplinks"
	capture_start
	T0=$EPOCHREALTIME
	expect_fail in_cg ping -c 1 -W 5 -I "$DEAD" "$SERVER4"
	ELAPSED=$(python3 -c "print(int(($EPOCHREALTIME - $T0) * 1000))")
	capture_stop
	assert_contains "$T_OUT $T_ERR" "Network is unreachable" &&
		{ ((ELAPSED < 2000)) || t_fail "took $ELAPSED ms"; } &&
		assert_not_contains "$CAP1$CAP2" "echo request"
	t_pass

	t_begin "[$DP] a link that loses its route to the NAT64 refuses at once"
	ip -n "$NS_C" -6 route del default via "$ROUTER6_2" dev "$IF_C2" &&
		wait_for 5 grep -q '1 of 3 links route PREF64' "$DAEMON_LOG" ||
		t_fail "the daemon did not see the route go"
	assert_ok in_cg python3 -c "$BOUND_CLIENT" "$IF_C2" "$SERVER4" &&
		assert_contains "$T_OUT" "TCP ENETUNREACH fast"
	ip -n "$NS_C" -6 route add default via "$ROUTER6_2" dev "$IF_C2" metric 2048
	wait_for 5 "grep -c '2 of 3 links route PREF64' '$DAEMON_LOG' | grep -qv '^1$'" ||
		t_fail "the daemon did not see the route come back"
	t_pass

	t_begin "[$DP] one UDP socket rebound from $IF_C2 to $IF_C: each datagram through its link"
	capture_start
	assert_ok in_cg python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
for dev in (b'$IF_C2', b'$IF_C'):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev)
    s.sendto(dev, ('$SERVER4', 7001)); print(s.recvfrom(100)[0].decode())"
	capture_stop
	assert_contains "$T_OUT" "$IF_C" &&
		assert_contains "$CAP2" "$SYN6.7001:" "on $IF_RC2" &&
		assert_contains "$CAP1" "$SYN6.7001:" "on $IF_RC"
	t_pass

	t_begin "[$DP] closed by the client first: its time-wait ACK leaves through $IF_C2 too"
	capture_start
	assert_ok in_cg python3 -c "
import socket
s = socket.socket(); s.settimeout(8)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'$IF_C2')
s.connect(('$SERVER4', 9004)); s.close()"
	sleep 1.5
	capture_stop
	assert_match "$CAP2" "$SYN6.9004 > $CLIENT6_2.[0-9]+: Flags \\[F" "the server's FIN on $IF_RC2" &&
		assert_not_contains "$CAP1" "$SYN6.9004" "on $IF_RC" &&
		assert_eq "" "$(run_in_ns "$NS_S" ss -Htn state last-ack '( sport = :9004 )')" \
			"the server's sockets waiting for the last ACK"
	t_pass

	# Native IPv4 to 203.0.113.0/24 through both uplinks, IF_C's preferred:
	# a socket bound to IF_C2 must leave through IF_C2 natively (its
	# binding, taken off by the hooks, comes back at connect).
	t_begin "[$DP] SO_BINDTODEVICE $IF_C2 to a native IPv4 destination: native, through $IF_C2"
	native_routes add
	assert_ok in_cg python3 -c "$BOUND_NATIVE" "$IF_C2" "$SERVER4_ALT" &&
		assert_contains "$T_OUT" "BOUND peer=192.0.2.130:" &&
		assert_contains "$T_OUT" "UNBOUND peer=192.0.2.134:"
	native_routes del
	t_pass

	stop_bg DAEMON
done
