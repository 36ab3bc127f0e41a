#!/usr/bin/env bash
# The kernel data path (issue 12): AF_INET TCP and UDP of the served cgroup
# translated per packet by the TC programs (bpf/sock464_xlat.bpf.c), one
# connection end to end through TAYGA, no relay; what the daemon changes
# in the namespace is back as it was after it exits, SIGKILL included.
# TC_ATTACH=clsact (or tcx; default auto) runs it all with that attachment
# (`TC_ATTACH=clsact tests/run 14-kernel-path.sh`); on clsact the daemon's
# filters must be gone after it exits and not duplicated after a SIGKILL.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga curl python3 tcpdump ip ethtool ping nft setpriv

topo_up || t_bail "topology"
cg_create kpath
. "$T_LIB_DIR/kpath.sh"

start_daemon() { kpath_daemon "$@"; }
outside() { run_in_ns "$NS_C" "$@"; }
# sock464's clsact filters on lo egress and on the uplink's ingress.
own_filters() {
	run_in_ns "$NS_C" sh -c "tc filter show dev lo egress; tc filter show dev $IF_C ingress" |
		grep -c 'sock464:'
}

WWW=$T_TMP/www
mkdir -p "$WWW"
echo "sock464-kernel-$$" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 600 whoami
start_bg SINK run_in_ns "$NS_S" python3 "$TCPSERV" --port 9002 --timeout 600 sink
start_bg SOURCE run_in_ns "$NS_S" python3 "$TCPSERV" --port 9003 --timeout 600 source 20000000
start_bg UECHO run_in_ns "$NS_S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7001))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"%s %d " % (a[0].encode(), a[1]) + d, a)'
for p in 80 9001 9002 9003; do
	wait_port "$NS_S" 0.0.0.0 "$p" || t_bail "server on port $p did not start"
done

BEFORE=$(ns_state)
start_daemon || t_bail "daemon"

t_begin "the daemon runs the kernel path: rules around main, table via lo"
assert_contains "$(cat "$DAEMON_LOG")" "data path: kernel" &&
	case ${TC_ATTACH:-auto} in
	auto|tcx) assert_contains "$(cat "$DAEMON_LOG")" "data path: kernel (tcx" &&
		assert_eq 0 "$(own_filters)" "clsact filters" ;;
	clsact) assert_contains "$(cat "$DAEMON_LOG")" "data path: kernel (clsact" &&
		assert_eq 2 "$(own_filters)" "clsact filters" ;;
	esac &&
	assert_ok run_in_ns "$NS_C" ip -4 rule &&
	assert_match "$T_OUT" "32900:.*fwmark 0x64640464 lookup 464" &&
	assert_match "$T_OUT" "32700:.*fwmark 0x64640465 lookup 464" &&
	assert_ok run_in_ns "$NS_C" ip -4 route show table 464 &&
	assert_match "$T_OUT" "default dev lo .*src 127.0.0.1" &&
	assert_ok run_in_ns "$NS_C" ip -4 route show table main &&
	assert_eq "" "$T_OUT" "IPv4 routes in the main table"
t_pass

t_begin "curl to an IPv4 literal, no relay"
assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-kernel-$$" &&
	assert_ok ctl status &&
	assert_match "$T_OUT" "xlat_out=[1-9]" &&
	assert_match "$T_OUT" "kernel_tcp=[1-9]" &&
	assert_match "$T_OUT" " relay_tcp=0 "
t_pass

t_begin "getpeername shows the IPv4 peer, getsockname 192.0.0.2"
assert_ok in_cg python3 -c "
import socket
s = socket.create_connection(('$SERVER4', 9001), timeout=10)
print('PEER', *s.getpeername()); print('SOCK', s.getsockname()[0])
print('DATA', s.recv(200).decode().strip())" &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
	assert_contains "$T_OUT" "SOCK 192.0.0.2"
t_pass

t_begin "connect() to a closed port fails at once with ECONNREFUSED"
assert_ok in_cg python3 -c "
import socket, errno
s = socket.socket(); s.settimeout(10)
try:
    s.connect(('$SERVER4', 81)); print('CONNECTED')
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))" &&
	assert_eq "ECONNREFUSED" "$T_OUT"
t_pass

t_begin "ICMPv6 errors become ICMPv4: UDP ECONNREFUSED, TCP EHOSTUNREACH at once"
ip -n "$NS_R" route add unreachable 198.51.100.250/32
assert_ok in_cg python3 -c "
import socket, errno, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.connect(('$SERVER4', 7999)); s.send(b'anyone?')
try:
    s.recv(100); print('UDP GOT')
except OSError as e:
    print('UDP', errno.errorcode.get(e.errno, e))
t = socket.socket(); t.settimeout(20); t0 = time.monotonic()
try:
    t.connect(('198.51.100.250', 80)); print('TCP CONNECTED')
except OSError as e:
    print('TCP', errno.errorcode.get(e.errno, e), 'fast' if time.monotonic() - t0 < 5 else 'slow')" &&
	assert_contains "$T_OUT" "UDP ECONNREFUSED" &&
	assert_contains "$T_OUT" "TCP EHOSTUNREACH fast" &&
	assert_ok ctl status &&
	assert_match "$T_OUT" "xlat_in_error=[2-9]"
t_pass

t_begin "TCP_MAXSEG is that of the real connection"
assert_ok in_cg python3 -c "
import socket
s = socket.create_connection(('$SERVER4', 9001), timeout=10)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))" &&
	assert_match "$T_OUT" "^1[34][0-9][0-9]$" "MSS"
t_pass

t_begin "a 20 MB download arrives whole"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9003 source 20000000
t_pass

t_begin "a 20 MB upload arrives whole (GSO segments translated on lo)"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --connect "$SERVER4" 9002 sink 20000000
t_pass

t_begin "UDP: connected and unconnected datagrams both ways, real source shown"
assert_ok in_cg python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b'one', ('$SERVER4', 7001)); d, a = s.recvfrom(2000)
print('UNCONN', a[0], a[1], d.decode().split()[2])
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(5)
c.connect(('$SERVER4', 7001)); c.send(b'two'); d = c.recv(2000)
print('CONN', c.getpeername()[0], d.decode().split()[2], c.getsockname()[0])
big = b'x' * 1400; c.send(big); d = c.recv(4000); print('BIG', len(d) >= 1400)" &&
	assert_contains "$T_OUT" "UNCONN $SERVER4 7001 one" &&
	assert_contains "$T_OUT" "CONN $SERVER4 two 192.0.0.2" &&
	assert_contains "$T_OUT" "BIG True"
t_pass

t_begin "UDP datagrams of 1400, 3000 and 8000 bytes arrive whole both ways (fragments)"
assert_ok in_cg python3 -c "
import socket, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.connect(('$SERVER4', 7001))
for n in (1400, 3000, 8000):
    p = os.urandom(n); s.send(p); d = s.recv(65535)
    print(n, 'WHOLE' if d.endswith(b' ' + p) else 'BROKEN %d' % len(d))" &&
	assert_contains "$T_OUT" "1400 WHOLE" &&
	assert_contains "$T_OUT" "3000 WHOLE" &&
	assert_contains "$T_OUT" "8000 WHOLE"
t_pass

t_begin "ping: ICMP echo both ways"
assert_ok in_cg ping -c 3 -i 0.2 -W 3 "$SERVER4" &&
	assert_contains "$T_OUT" "3 received" &&
	assert_ok ctl status &&
	assert_match "$T_OUT" "xlat_in=[1-9]"
t_pass

t_begin "ping outside the cgroup: still unreachable"
expect_fail outside ping -c 1 -W 2 "$SERVER4" &&
	assert_contains "$T_OUT $T_ERR" "unreachable"
t_pass

t_begin "processes outside the cgroup still get ENETUNREACH"
expect_fail outside curl -sS --max-time 5 "http://$SERVER4/" &&
	assert_ok outside python3 -c "
import socket, errno
s = socket.socket()
try:
    s.connect(('$SERVER4', 80))
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))" &&
	assert_eq "ENETUNREACH" "$T_OUT"
t_pass

t_begin "packets on the wire are valid IPv6 (tcpdump -vv checksums)"
CAP=$T_TMP/wire.txt
# Checksums are completed on the way out instead of left to the veth
# (CHECKSUM_PARTIAL), so that tcpdump sees the final ones.
run_in_ns "$NS_C" ethtool -K "$IF_C" tx off >/dev/null
start_bg DUMP run_in_ns "$NS_R" tcpdump -l -n -vv -i "$IF_RC" ip6 and '(tcp or udp or icmp6)'
sleep 1
assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_ok in_cg ping -c 1 -W 3 "$SERVER4" &&
	assert_ok in_cg python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b'wire', ('$SERVER4', 7001)); s.recvfrom(2000)"
sleep 1
stop_bg DUMP
cp "$DUMP_LOG" "$CAP"
SYN6=$(synth "$DEFAULT_PREFIX" "$SERVER4")
run_in_ns "$NS_C" ethtool -K "$IF_C" tx on >/dev/null
assert_contains "$(cat "$CAP")" "$CLIENT6." &&
	assert_contains "$(cat "$CAP")" "$SYN6.80" &&
	assert_contains "$(cat "$CAP")" "$SYN6.7001" &&
	assert_contains "$(cat "$CAP")" "cksum" &&
	assert_contains "$(cat "$CAP")" "ICMP6, echo request" &&
	assert_contains "$(cat "$CAP")" "icmp6 sum ok" &&
	assert_not_contains "$(cat "$CAP")" "incorrect" "checksums" &&
	assert_not_contains "$(cat "$CAP")" "bad icmp6" "ICMPv6 checksums"
t_pass

t_begin "nft 'meta skuid 65534 tcp/udp dport P drop' in inet output blocks uid 65534 on the kernel path"
ip netns exec "$NS_C" nft -f - <<'NFT' || t_fail "nft"
table inet s464kfw {
	chain out {
		type filter hook output priority 0; policy accept;
		meta skuid 65534 tcp dport 9001 counter drop
		meta skuid 65534 udp dport 7001 counter drop
	}
}
NFT
# fw_hits PROTO: packets the uid rule for PROTO dropped so far
fw_hits() {
	ip netns exec "$NS_C" nft list chain inet s464kfw out |
		sed -n "s/.*$1 dport [0-9]* counter packets \([0-9]*\) .*/\1/p"
}
AS_NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3)
UDP_ASK='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
try:
    s.sendto(b"ask", (sys.argv[1], 7001)); s.recvfrom(100); print("REPLY")
except OSError as e:
    print("BLOCKED", e)
'
expect_fail in_cg "${AS_NOBODY[@]}" "$TCPCLIENT" --family 4 --timeout 3 \
	--connect "$SERVER4" 9001 whoami &&
	(($(fw_hits tcp) > 0)) || t_fail "tcp: the rule matched nothing (hits $(fw_hits tcp))"
assert_ok in_cg "${AS_NOBODY[@]}" -c "$UDP_ASK" "$SERVER4" &&
	assert_contains "$T_OUT" "BLOCKED" "uid 65534, UDP" &&
	(($(fw_hits udp) > 0)) || t_fail "udp: the rule matched nothing (hits $(fw_hits udp))"
assert_ok in_cg python3 "$TCPCLIENT" --family 4 --timeout 5 --connect "$SERVER4" 9001 whoami &&
	assert_ok in_cg python3 -c "$UDP_ASK" "$SERVER4" && assert_eq "REPLY" "$T_OUT" "root, UDP"
ip netns exec "$NS_C" nft delete table inet s464kfw
t_pass

# The translator keeps each destination's route and source 50 ms
# (bpf/xlat_route.h): a new source on the route must reach the packets of a
# flow that is already going; TAYGA gives each IPv6 source its own IPv4.
t_begin "a new IPv6 source on the route reaches a going UDP flow (route cache: 50 ms)"
NEW6=2001:db8:1::77
# deprecated: the source only where the route names it
ip -n "$NS_C" addr add "$NEW6/64" dev "$IF_C" nodad preferred_lft 0 || t_bail "address $NEW6"
assert_ok in_cg python3 -c "
import socket, subprocess, time
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(5)
c.connect(('$SERVER4', 7001))
def seen(d):
    c.send(d); return c.recv(2000).decode().split()[0]
before = [seen(b'a') for _ in range(3)]
subprocess.run(['ip', '-6', 'route', 'change', 'default', 'via', '$ROUTER6', 'dev', '$IF_C',
                'src', '$NEW6'], check=True)
time.sleep(0.3)
after = seen(b'b')
print('BEFORE', before[0], 'SAME', len(set(before)) == 1, 'AFTER', after)" &&
	assert_match "$T_OUT" "SAME True" "one source while the route stays" &&
	assert_not_contains "$T_OUT" "AFTER $(awk '{print $2}' <<<"$T_OUT")" "the new source"
ip -n "$NS_C" -6 route change default via "$ROUTER6" dev "$IF_C"
ip -n "$NS_C" addr del "$NEW6/64" dev "$IF_C"
t_pass

t_begin "SIGTERM: rule, route and sysctls as they were"
stop_bg DAEMON
assert_eq "$BEFORE" "$(ns_state)" "namespace state"
t_pass

t_begin "SIGKILL, then a new daemon cleans up and restores at its exit"
start_daemon || t_fail "daemon"
kill -KILL "$DAEMON"
wait_for 5 "! kill -0 $DAEMON 2>/dev/null"
assert_ne "$BEFORE" "$(ns_state)" "state right after SIGKILL" &&
	start_daemon &&
	assert_ok in_cg curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_eq 2 "$(run_in_ns "$NS_C" ip -4 rule | grep -c 'lookup 464')" "rules" &&
	if [[ ${TC_ATTACH:-auto} == clsact ]]; then
		assert_eq 2 "$(own_filters)" "clsact filters (no duplicates)"
	fi &&
	stop_bg DAEMON &&
	assert_eq "$BEFORE" "$(ns_state)" "namespace state"
t_pass

