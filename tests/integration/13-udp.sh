#!/usr/bin/env bash
# AF_INET UDP (issue 4): datagram applications in the served cgroup reach
# IPv4 literals through the UDP relay and TAYGA, and always see the
# original IPv4 address and port as the source of each reply.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga unbound dig iperf3 python3

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"
topo_up || t_bail "topology"
cg_create udp
DNS4=198.51.100.53

# An authoritative DNS server for example.test in the IPv4-only namespace.
mkdir -p "$T_TMP/unbound"
cat >"$T_TMP/unbound/unbound.conf" <<CONF
server:
	interface: $DNS4
	port: 53
	do-ip6: no
	access-control: 0.0.0.0/0 allow
	username: ""
	chroot: ""
	directory: "$T_TMP/unbound"
	pidfile: "$T_TMP/unbound/unbound.pid"
	use-syslog: no
	logfile: ""
	num-threads: 1
	module-config: "iterator"
	max-udp-size: 8192
	edns-buffer-size: 8192
	local-zone: "example.test." static
	local-data: "www.example.test. 300 IN A 203.0.113.80"
	local-data: "big.example.test. 300 IN TXT \"$(printf 'x%.0s' $(seq 1 200))\""
CONF
for i in $(seq 1 20); do
	echo "	local-data: \"big.example.test. 300 IN TXT \\\"record-$i-$(printf 'y%.0s' $(seq 1 200))\\\"\"" \
		>>"$T_TMP/unbound/unbound.conf"
done
start_bg UNBOUND run_in_ns "$NS_S" unbound -d -c "$T_TMP/unbound/unbound.conf"
wait_for 10 run_in_ns "$NS_S" dig +short +time=1 +tries=1 @"$DNS4" www.example.test ||
	t_bail "unbound did not start: $(cat "$UNBOUND_LOG")"

# A UDP echo server on every server address: replies "<addr> <port> <payload>"
# from the address and port the datagram was sent to.
start_bg ECHO run_in_ns "$NS_S" python3 -c '
import selectors, socket, struct
sel = selectors.DefaultSelector()
for port in (7001, 7002):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 8, 1)	# IP_PKTINFO
    s.bind(("0.0.0.0", port)); s.setblocking(False); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select(300):
        s = key.fileobj
        d, anc, _, a = s.recvmsg(65535, socket.CMSG_SPACE(12))
        dst = anc[0][2][8:12]	# in_pktinfo.ipi_addr: where it was sent
        reply = socket.inet_ntoa(dst).encode() + b" %d " % s.getsockname()[1] + d
        # answer from that same address, as a multi-homed UDP server must
        s.sendmsg([reply], [(socket.SOL_IP, 8, struct.pack("i4s4s", 0, dst, bytes(4)))], 0, a)
'
start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" \
	--pref64 "$DEFAULT_PREFIX" --udp-idle-timeout 3 -v
wait_for 5 grep -q 'UDP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
dp_check_log "$DAEMON_LOG"
in_cg() { run_in_cg "$CG" "$NS_C" "$@"; }

t_begin "dig @IPv4-literal (UDP)"
assert_ok in_cg dig +time=3 +tries=1 +short @"$DNS4" www.example.test &&
	assert_eq "203.0.113.80" "$T_OUT" "answer"
t_pass

t_begin "dig +tcp @IPv4-literal"
assert_ok in_cg dig +tcp +time=3 +tries=1 +short @"$DNS4" www.example.test &&
	assert_eq "203.0.113.80" "$T_OUT" "answer"
t_pass

t_begin "dig: a 4 KB answer over UDP (EDNS) is not truncated"
assert_ok in_cg dig +time=3 +tries=1 +bufsize=8192 +ignore @"$DNS4" big.example.test TXT &&
	assert_not_contains "$T_OUT" "flags: qr aa tc" &&
	assert_match "$T_OUT" "ANSWER: 2[01]"
t_pass

t_begin "one socket, 50 destinations: 50 replies, each from its own address"
assert_ok in_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
dests = ["198.51.100.%d" % i for i in range(10, 60)]
for d in dests:
    s.sendto(d.encode(), (d, 7001))
got = {}
for _ in dests:
    data, src = s.recvfrom(65535)
    local, port, payload = data.split(b" ", 2)
    # the server saw it arrive on the right address, and the reply shows it as source
    assert local.decode() == src[0] == payload.decode() and src[1] == 7001, (data, src)
    got[src[0]] = True
assert len(got) == 50, len(got)
print("OK", len(got))
' && assert_contains "$T_OUT" "OK 50"
t_pass

t_begin "20 sockets to one destination: no crossed replies"
assert_ok in_cg python3 -c '
import socket
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(20)]
for i, s in enumerate(socks):
    s.settimeout(5); s.sendto(b"sock-%d" % i, ("198.51.100.10", 7002))
for i, s in enumerate(socks):
    data, src = s.recvfrom(65535)
    assert data.endswith(b" sock-%d" % i) and src == ("198.51.100.10", 7002), (i, data, src)
print("OK")
'
t_pass

t_begin "40 replies queued while the relay is stopped all reach the application"
# The server answers one datagram with 40, a second later; meanwhile the
# daemon is stopped, so the 40 wait in its flow socket and are relayed in
# batches (recvmmsg, sendmmsg) once it runs again.
start_bg BURST run_in_ns "$NS_S" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7003))
print("ready", flush=True)
d, a = s.recvfrom(100)
print("asked", flush=True)
time.sleep(1)
for i in range(40):
    s.sendto(b"reply-%d" % i, a)
'
wait_for 5 grep -q ready "$BURST_LOG" || t_fail "burst server did not start"
start_bg BURSTC run_in_cg "$CG" "$NS_C" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(8)
s.connect(("198.51.100.10", 7003)); s.send(b"burst")
got = set()
try:
    while len(got) < 40:
        got.add(s.recv(100))
except socket.timeout:
    pass
print("GOT", len(got))
'
if wait_for 5 grep -q asked "$BURST_LOG"; then
	kill -STOP "$DAEMON"
	sleep 2
	kill -CONT "$DAEMON"
	wait "$BURSTC"
	assert_contains "$(cat "$BURSTC_LOG")" "GOT 40"
else
	t_fail "the request did not reach the server"
fi
t_pass

t_begin "connected UDP: getpeername, send and recv"
assert_ok in_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.connect(("198.51.100.20", 7001))
assert s.getpeername() == ("198.51.100.20", 7001), s.getpeername()
s.send(b"connected"); d = s.recv(65535)
assert d == b"198.51.100.20 7001 connected", d
print("OK")
'
t_pass

t_begin "datagrams of 0, 1472, 8000 and 65000 bytes arrive unchanged"
assert_ok in_cg python3 -c '
import socket, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
for n in (0, 1472, 8000, 65000):
    p = os.urandom(n)
    s.sendto(p, ("198.51.100.21", 7002))
    d, src = s.recvfrom(65535)
    assert d == b"198.51.100.21 7002 " + p, (n, len(d))
print("OK")
'
t_pass

t_begin "AF_INET6 sendto ::ffff:a.b.c.d: reply source is ::ffff:a.b.c.d"
assert_ok in_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"v6", ("::ffff:198.51.100.22", 7001))
d, src = s.recvfrom(65535)
assert src[:2] == ("::ffff:198.51.100.22", 7001) and d == b"198.51.100.22 7001 v6", (src, d)
print("OK")
'
t_pass

t_begin "connected UDP to a closed port: ECONNREFUSED"
assert_ok in_cg python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.connect(("198.51.100.23", 7999))
s.send(b"anyone?")
try:
    s.recv(100)
    raise SystemExit("no error")
except ConnectionRefusedError:
    print("OK")
'
t_pass

t_begin "iperf3 -u for 3 s: datagrams arrive, loss reported"
start_bg IPERF run_in_ns "$NS_S" iperf3 -s -B 198.51.100.30
wait_port "$NS_S" 198.51.100.30 5201
assert_ok in_cg iperf3 -u -c 198.51.100.30 -b 100M -t 3 -J &&
	python3 -c '
import json, sys
r = json.load(sys.stdin)["end"]["sum"]	# the client sees the server side losses here
assert r["packets"] > 1000 and r["lost_percent"] < 20, r
print("packets", r["packets"], "lost", r["lost_percent"])
' <<<"$T_OUT" >&2 || t_fail "iperf3 result"
t_pass

t_begin "outside the cgroup AF_INET UDP still fails"
expect_fail run_in_ns "$NS_C" dig +time=1 +tries=1 @"$DNS4" www.example.test &&
	assert_match "$T_OUT$T_ERR" "unreachable|timed out|no servers"
t_pass

t_begin "idle flows expire and their aliases are freed"
wait_for "$CTL --control $T_TMP/control status | grep -q 'udp: port [0-9]*, 0 flows open, 0 destinations'" 12 ||
	t_fail "flows or aliases did not expire: $($CTL --control "$T_TMP/control" status | grep udp)"
assert_match "$($CTL --control "$T_TMP/control" status)" "[1-9][0-9]* expired"
t_pass

t_begin "every UDP decision counted"
assert_ok "$CTL" --control "$T_TMP/control" status --json &&
	python3 -c '
import json, os, sys
s = json.load(sys.stdin)
c, u = s["counters"], s["udp"]
if os.environ["DP"] == "relay":
    assert c["relay_udp"] >= 75 and c["peer_shown"] >= 75, c
    assert u["errors"] >= 1 and u["datagrams_out"] >= 75 and u["datagrams_in"] >= 75, u
else:	# only the unconnected ::ffff: socket takes the relay beside the kernel path
    assert c["kernel_udp"] >= 75 and c["relay_udp"] == 1, c
    x = s["data_path"]["counters"]
    assert x["xlat_out"] >= 75 and x["xlat_in"] >= 75, x
    assert u["datagrams_out"] == 1 and u["datagrams_in"] == 1, u
' <<<"$T_OUT" || t_fail "counters: $T_OUT"
t_pass

t_begin "--max-udp-flows: past the bound new flows are dropped, logged once, counted"
stop_pid "$DAEMON"
start_bg DAEMON2 nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" \
	--pref64 "$DEFAULT_PREFIX" --max-udp-flows 2
wait_for 5 grep -q 'UDP relay on' "$DAEMON2_LOG" || t_fail "daemon: $(cat "$DAEMON2_LOG")"
# The kernel path keeps no flows; the relay beside it, which carries the
# unconnected ::ffff: sockets (AF_INET6 sendto ::ffff:a.b.c.d), does.
[[ $DP == relay ]] && fam=AF_INET v4=""
[[ $DP == kernel ]] && fam=AF_INET6 v4="::ffff:"
assert_ok in_cg python3 -c '
import socket, sys
s = socket.socket(socket.'"$fam"', socket.SOCK_DGRAM); s.settimeout(2)
for d in ("198.51.100.40", "198.51.100.41", "198.51.100.42", "198.51.100.43"):
    s.sendto(b"x", ("'"$v4"'" + d, 7001))
got = []
try:
    while True:
        got.append(s.recvfrom(100)[1][0])
except socket.timeout:
    pass
print("REPLIES", " ".join(sorted(got)))
' &&
	assert_contains "$T_OUT" "REPLIES ${v4}198.51.100.40 ${v4}198.51.100.41" &&
	assert_not_contains "$T_OUT" "198.51.100.42"
assert_match "$("$CTL" --control "$T_TMP/control" status)" "2 flows open, .* 2 over limit"
assert_eq 1 "$(grep -c 'UDP flows open (--max-udp-flows)' "$DAEMON2_LOG")" "log lines"
if [[ $DP == kernel ]]; then	# AF_INET is not bounded by it
	assert_ok in_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for i in range(40, 44):
    s.sendto(b"x", ("198.51.100.%d" % i, 7001))
print("REPLIES", len([s.recvfrom(100) for i in range(4)]))
' && assert_eq "REPLIES 4" "$T_OUT" "AF_INET replies past --max-udp-flows"
fi
t_pass
