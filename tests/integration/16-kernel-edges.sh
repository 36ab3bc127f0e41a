#!/usr/bin/env bash
# The kernel data path at its edges (issue 12): ICMP echo in fragments
# (ping -s 3000/8000) and at the MTU (ping -s 1400), 4-tuple collisions
# with native IPv6 sockets, 5,000 concurrent connections, and path MTU
# discovery across an IPv6 link of MTU 1280 (TCP both ways, UDP 3000).
# Same topology and daemon as 14-kernel-path.sh.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga python3 ip ping

MANY=$T_TOOLS_DIR/manyconn.py
topo_up || t_bail "topology"
cg_create kedges
. "$T_LIB_DIR/kpath.sh"

start_daemon() { kpath_daemon "$@"; }

start_bg ECHO run_in_ns "$NS_S" python3 "$MANY" serve 9100 --timeout 900
start_bg SINK run_in_ns "$NS_S" python3 "$TCPSERV" --port 9002 --timeout 900 sink
start_bg SOURCE run_in_ns "$NS_S" python3 "$TCPSERV" --port 9003 --timeout 900 source 20000000
# UDP echo on 0.0.0.0:7001, and on 198.51.100.11:7002 (its replies come
# from that address, not the server's first one)
UECHO_PY='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)'
U4=${SERVER4%.*}.11
start_bg UECHO run_in_ns "$NS_S" python3 -c "$UECHO_PY" 0.0.0.0 7001
start_bg UECHO2 run_in_ns "$NS_S" python3 -c "$UECHO_PY" "$U4" 7002
for p in 9100 9002 9003; do
	wait_port "$NS_S" 0.0.0.0 "$p" 30 || t_bail "server on port $p did not start"
done
start_daemon || t_bail "daemon"

t_begin "ping -s 1400 (the MTU edge): echo both ways through the NAT64"
assert_ok in_cg ping -c 3 -i 0.2 -W 3 -s 1400 "$SERVER4" &&
	assert_contains "$T_OUT" "3 received"
t_pass

# TAYGA drops fragmented ICMPv4 ("ICMP Fragmented" in its parse_ip4()),
# so even natively ping -6 -s 3000 through it gets nothing back (the
# server's reply is fragmented).  The IPv6 stack of the router answers
# instead: PREF64::198.51.100.99 is one of its own addresses, so the
# request is reassembled and its ICMPv6 checksum verified by Linux, and the
# reply comes back in IPv6 fragments.
ECHO4=198.51.100.99
ip -n "$NS_R" addr add "$(synth "$DEFAULT_PREFIX" "$ECHO4")/128" dev lo nodad ||
	t_bail "responder address"
for size in 3000 8000; do
	t_begin "ping -s $size: ICMP echo in IPv4 fragments <-> ICMPv6 in IPv6 fragments"
	assert_ok in_cg ping -c 3 -i 0.2 -W 3 -s "$size" "$ECHO4" &&
		assert_contains "$T_OUT" "3 received" &&
		assert_contains "$T_OUT" "$((size + 8)) bytes from $ECHO4"
	t_pass
done

t_begin "5,000 concurrent connections, each echoing its own token; daemon fds and RSS flat"
fds() { find "/proc/$DAEMON/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON/status"; }
FD0=$(fds) RSS0=$(rss)
start_bg MANYC run_in_cg "$CG" "$NS_C" python3 "$MANY" connect "$SERVER4" 9100 5000 \
	--timeout 120 --hold 5
wait_for 150 grep -q 'HELD\|FAIL' "$MANYC_LOG"
FD1=$(fds) RSS1=$(rss)
wait_for 20 grep -q 'OK\|FAIL' "$MANYC_LOG"
t_log "daemon fds $FD0 -> $FD1, VmRSS $RSS0 -> $RSS1 kB; $(tr '\n' ' ' <"$MANYC_LOG")"
assert_contains "$(cat "$MANYC_LOG")" "HELD 5000" &&
	assert_contains "$(cat "$MANYC_LOG")" "OK" &&
	assert_eq "$FD0" "$FD1" "daemon fds" &&
	((RSS1 - RSS0 < 1024)) || t_fail "daemon RSS grew $RSS0 -> $RSS1 kB"
t_pass
stop_bg MANYC

# Two processes on one IPv6 4-tuple: CLIENT6:P -> PREF64::server:9100 is
# both the native socket's tuple and the IPv6 form of 127.0.0.1:P ->
# server:9100.  The native process holds its connection and exchanges a
# line whenever $T_TMP/go-N appears.
P=$((20000 + $$ % 1000))	# outside the ephemeral ports (the 5,000 above are in time-wait)
DST6=$(synth "$DEFAULT_PREFIX" "$SERVER4")
NATIVE_PY='
import os, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(5)
try:
    s.connect((sys.argv[3], 9100))
except OSError as e:
    print("NATIVE CONNECT", type(e).__name__, e, flush=True); sys.exit(0)
for n in range(1, 4):
    s.sendall(b"native-%d\n" % n)
    print("NATIVE", n, s.recv(100).decode().strip(), flush=True)
    while not os.path.exists("%s/go-%d" % (sys.argv[4], n)):
        time.sleep(0.05)
'
SERVED_PY='
import errno, socket, sys, time
s = socket.socket(); s.settimeout(10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2]))); t0 = time.monotonic()
try:
    s.connect((sys.argv[1], 9100))
    s.sendall(b"served\n"); print("SERVED", s.recv(100).decode().strip())
except OSError as e:
    print("SERVED", errno.errorcode.get(e.errno, e),
          "fast" if time.monotonic() - t0 < 2 else "slow")
'
t_begin "4-tuple collision, native first: the translated connect fails at once, native unharmed"
C0=$(counter xlat_out_collision)
start_bg NATIVE run_in_ns "$NS_C" python3 -c "$NATIVE_PY" "$CLIENT6" "$P" "$DST6" "$T_TMP"
wait_for 10 grep -q 'NATIVE 1' "$NATIVE_LOG"
assert_contains "$(cat "$NATIVE_LOG")" "NATIVE 1 native-1" &&
	assert_ok in_cg python3 -c "$SERVED_PY" "$SERVER4" "$P" &&
	assert_match "$T_OUT" "SERVED (ECONNREFUSED|EADDRINUSE) fast" &&
	touch "$T_TMP/go-1" && wait_for 10 grep -q 'NATIVE 2' "$NATIVE_LOG" &&
	assert_contains "$(cat "$NATIVE_LOG")" "NATIVE 2 native-2" &&
	assert_eq "$((${C0:-0} + 1))" "$(counter xlat_out_collision)" "xlat_out_collision"
t_pass
touch "$T_TMP/go-2" "$T_TMP/go-3"
stop_bg NATIVE

# Port P is in TIME_WAIT now (the native side closed first), which counts
# as owned too: the next case takes another port.
t_begin "4-tuple collision, translated first: it keeps its packets, the native connect gets none"
rm -f "$T_TMP"/go-*
P=$((P + 1))
HOLD_PY='
import socket, sys, time
s = socket.socket(); s.settimeout(10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2]))); s.connect((sys.argv[1], 9100))
for n in range(1, 3):
    s.sendall(b"served-%d\n" % n); print("SERVED", n, s.recv(100).decode().strip(), flush=True)
    time.sleep(6 if n == 1 else 0)
'
start_bg HOLDER run_in_cg "$CG" "$NS_C" python3 -c "$HOLD_PY" "$SERVER4" "$P"
wait_for 10 grep -q 'SERVED 1' "$HOLDER_LOG"
assert_contains "$(cat "$HOLDER_LOG")" "SERVED 1 served-1" "the translated connection" &&
	assert_ok run_in_ns "$NS_C" timeout 10 python3 -c "$NATIVE_PY" "$CLIENT6" "$P" "$DST6" "$T_TMP" &&
	assert_contains "$T_OUT" "NATIVE CONNECT" "native connect" &&
	wait_for 10 grep -q 'SERVED 2' "$HOLDER_LOG" &&
	assert_contains "$(cat "$HOLDER_LOG")" "SERVED 2 served-2"
t_pass
stop_bg HOLDER

t_begin "4-tuple collision, UDP: a native connected socket keeps its tuple and its datagrams"
rm -f "$T_TMP"/go-*
P=$((P + 1))
NATIVE_UDP_PY='
import os, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
s.bind((sys.argv[1], int(sys.argv[2]))); s.connect((sys.argv[3], 7001))
for n in range(1, 3):
    s.send(b"native-%d" % n)
    print("NATIVE", n, s.recv(100).decode(), flush=True)
    while not os.path.exists("%s/go-%d" % (sys.argv[4], n)):
        time.sleep(0.05)
    s.setblocking(False)
    try:
        print("STRAY", s.recv(100).decode(), flush=True)
    except BlockingIOError:
        pass
    s.settimeout(3)
'
C0=$(counter xlat_out_collision)
start_bg NATIVEU run_in_ns "$NS_C" python3 -c "$NATIVE_UDP_PY" "$CLIENT6" "$P" "$DST6" "$T_TMP"
wait_for 10 grep -q 'NATIVE 1' "$NATIVEU_LOG"
assert_contains "$(cat "$NATIVEU_LOG")" "NATIVE 1 native-1" &&
	assert_ok in_cg python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $P)); s.sendto(b'served', ('$SERVER4', 7001))
try:
    print('SERVED GOT', s.recv(100))
except OSError as e:
    print('SERVED', type(e).__name__)" &&
	assert_eq "SERVED TimeoutError" "$T_OUT" "the translated socket" &&
	touch "$T_TMP/go-1" && wait_for 10 grep -q 'NATIVE 2' "$NATIVEU_LOG" &&
	assert_contains "$(cat "$NATIVEU_LOG")" "NATIVE 2 native-2" &&
	assert_not_contains "$(cat "$NATIVEU_LOG")" "STRAY" "the native socket" &&
	(($(counter xlat_out_collision) > ${C0:-0})) || t_fail "xlat_out_collision did not move"
t_pass
touch "$T_TMP/go-2"
stop_bg NATIVEU

# The way out looks a UDP socket's tuple up once per 50 ms, not for every
# datagram (native_udp_out() in bpf/xlat_collide.h): a native socket that
# takes the tuple later gets it once that answer is older.
t_begin "4-tuple collision, UDP: a native socket that takes the tuple later gets it within 50 ms"
P=$((P + 1))
C0=$(counter xlat_out_collision)
assert_ok in_cg python3 -c "
import socket, time
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); t.settimeout(3)
t.bind(('0.0.0.0', $P)); t.connect(('$SERVER4', 7001))
t.send(b'before'); print('BEFORE', t.recv(100).decode())
n = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); n.settimeout(3)
n.bind(('$CLIENT6', $P)); n.connect(('$DST6', 7001))
time.sleep(0.2)
t.settimeout(1)
for i in range(3):
    t.send(b'after')
try:
    print('AFTER GOT', t.recv(100).decode())
except OSError as e:
    print('AFTER', type(e).__name__)
n.send(b'native'); print('NATIVE', n.recv(100).decode())" &&
	assert_contains "$T_OUT" "BEFORE before" "the translated socket's first datagram" &&
	assert_contains "$T_OUT" "AFTER TimeoutError" "the translated socket after the native connect" &&
	assert_contains "$T_OUT" "NATIVE native" "the native socket" &&
	assert_eq "$((${C0:-0} + 3))" "$(counter xlat_out_collision)" "xlat_out_collision"
t_pass

# The NAT64's tun is the IPv6 link of MTU 1280: the router answers the
# client's larger packets with Packet Too Big, which must become ICMPv4
# "fragmentation needed" and lower the IPv4 path MTU of the socket.
ip -n "$NS_R" link set "${TUNS[0]}" mtu 1280 || t_bail "tun mtu"
t_begin "PMTU across an IPv6 link of MTU 1280: 20 MB up, 20 MB down, no black hole"
E0=$(counter xlat_in_error)
assert_ok in_cg timeout 120 python3 "$TCPCLIENT" --family 4 --timeout 100 \
	--connect "$SERVER4" 9002 sink 20000000 &&
	assert_ok in_cg timeout 120 python3 "$TCPCLIENT" --family 4 --timeout 100 \
		--connect "$SERVER4" 9003 source 20000000 &&
	(($(counter xlat_in_error) > ${E0:-0})) || t_fail "no Packet Too Big translated"
t_pass

# Another destination than the TCP case's, whose path MTU is still 1472:
# the first datagram's first fragment meets the 1280 link, and the Packet
# Too Big about that fragment must lower the IPv4 path MTU (the datagram
# itself is lost, as natively: send() or recv() fails with EMSGSIZE, and
# the application sends it again).
t_begin "PMTU: a UDP datagram of 3000 bytes arrives whole across the 1280 link"
assert_ok in_cg python3 -c "
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.connect(('$U4', 7002)); p = os.urandom(3000)
for n in range(1, 6):
    s.send(p)
    try:
        d = s.recv(65535)
    except OSError:
        continue
    print('WHOLE' if d == p else 'BROKEN', 'try', n); break
else:
    print('LOST')" &&
	assert_contains "$T_OUT" "WHOLE try" &&
	assert_ok run_in_ns "$NS_C" ip -4 route get "$U4" mark "$(printf '%d' 0x64640465)" &&
	assert_contains "$T_OUT" "mtu 1252" "the IPv4 path MTU"
t_pass
