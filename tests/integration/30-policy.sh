#!/usr/bin/env bash
# Translation policy (issue 5): which IPv4 destinations sock464 translates.
# Reserved ranges never; exclude rules never, include rules always; those
# with a native IPv4 route (all, with a default route) not; non-global ones
# with the well-known prefix refused (RFC 6052 section 3.1); the rest
# translated.  Settings come from a config file and the command line, and
# SIGHUP applies new ones without touching open connections.
#
# Who decided is read from the server: a whoami peer in TAYGA's pool
# (192.0.2.0/27) means translated, the client's LAN address 192.0.2.242
# means native; and from the counter each decision moves.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga busybox python3

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

topo_up || t_bail "topology"
cg_create policy

# An IPv4 LAN between the client and the router, added in case a.  (The
# TAYGA pools take 192.0.2.0/24 from the bottom.)
LAN=192.0.2.240/28
CLIENT4=192.0.2.242
LAN_ROUTER4=192.0.2.241
TAYGA_POOL=${POOLS[0]}
OTHER4=198.51.100.11		# another destination, never excluded
EXCL_ALL=198.51.100.20		# excluded, every port
EXCL_PORT=198.51.100.21		# excluded on port 9001 only
CONF=$T_TMP/sock464.conf

in_cg() { run_in_cg "$CG" "$NS_C" "$@"; }
ctl() { "$CTL" --control "$T_TMP/control" status "$@"; }

# ------------------------------------------------------------- servers
# whoami on 9001 and 9002 and echo on 9006 in the IPv4-only namespace, a
# whoami on the router (reached on its LAN address 192.0.2.241), and a UDP
# echo on $SERVER4.
start_bg WHOAMI1 run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 600 whoami
start_bg WHOAMI2 run_in_ns "$NS_S" python3 "$TCPSERV" --port 9002 --timeout 600 whoami
start_bg ECHO run_in_ns "$NS_S" python3 "$TCPSERV" --port 9006 --timeout 600 echo
start_bg LANWHO run_in_ns "$NS_R" python3 "$TCPSERV" --port 9101 --timeout 600 whoami
start_bg UDPECHO run_in_ns "$NS_S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("'"$SERVER4"'", 7001)); s.settimeout(600)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"echo " + d, a)
'
for p in 9001 9002 9006; do
	wait_port "$NS_S" 0.0.0.0 "$p" || t_bail "server on port $p did not start"
done
wait_port "$NS_R" 0.0.0.0 9101 || t_bail "router whoami did not start"

# -------------------------------------------------------------- daemon
# start_daemon ARGS...: a new sock464-load in the client namespace (each
# with its own log, $DLOG).  stop_daemon keeps its final counters in
# $T_TMP/counters.N.json for the final check (g).
NDAEMON=0
start_daemon() {
	local v lv
	NDAEMON=$((NDAEMON + 1))
	v=DAEMON$NDAEMON
	lv=${v}_LOG
	start_bg "$v" nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" "$@"
	DAEMON=${!v}
	DLOG=${!lv}
	wait_for 5 grep -q 'TCP relay on' "$DLOG" || {
		t_log "daemon did not start: $(cat "$DLOG")"
		return 1
	}
}
# The usual options, with the cgroup.
start_plain() {
	start_daemon --cgroup "$CG" --control "$T_TMP/control" --no-ra --no-dns64 "$@"
}
stop_daemon() {
	[[ -n ${DAEMON:-} ]] || return 0
	ctl --json >"$T_TMP/counters.$NDAEMON.json" ||
		t_log "no final counters from daemon $NDAEMON"
	stop_pid "$DAEMON"
	DAEMON=
}

# status_get PATH: a value of the JSON status, as JSON ("policy.default_route").
status_get() {
	ctl --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(json.dumps(v))' "$1"
}

# Counters: snap remembers them; assert_moved 'KEY==N' 'KEY>=N' ... checks
# how far each moved since.  Every decision the test causes is also
# tallied in EXPECT (tally KEY [N]) for the final check.
declare -A EXPECT=()
tally() { EXPECT[$1]=$((${EXPECT[$1]:-0} + ${2:-1})); }
snap() { ctl --json >"$T_TMP/snap.json" || t_fail "status failed"; }
assert_moved() {
	local now out
	now=$(ctl --json) || { t_fail "status failed"; return 1; }
	out=$(python3 -c '
import json, os, re, sys
old = json.load(open(sys.argv[1]))["counters"]
new = json.loads(sys.argv[2])["counters"]
if os.environ["DP"] == "kernel":	# the same decisions, kernel path
    for c in (old, new):
        c["relay_tcp"], c["relay_udp"] = c["kernel_tcp"], c["kernel_udp"]
bad = []
for cond in sys.argv[3:]:
    k, op, n = re.fullmatch(r"(\w+)(==|>=)(\d+)", cond).groups()
    d = new[k] - old[k]
    if not (d == int(n) if op == "==" else d >= int(n)):
        bad.append("%s moved %d, expected %s%s" % (k, d, op, n))
print("; ".join(bad))
sys.exit(1 if bad else 0)' "$T_TMP/snap.json" "$now" "$@") && return 0
	t_fail "counters: $out"
}

# whoami FAMILY HOST PORT: connect from the served cgroup to a whoami
# server (HOST is an IPv4 address or ::ffff:a.b.c.d); PEER = the source
# address the server saw.
whoami() {
	PEER=
	assert_ok in_cg python3 "$TCPCLIENT" --family "$1" --timeout 5 --connect "$2" "$3" whoami ||
		return 1
	PEER=$(sed -n 's/^WHOAMI .*peer=\([0-9.]*\):[0-9]*$/\1/p' <<<"$T_OUT")
	[[ -n $PEER ]] || t_fail "no peer in '$T_OUT'"
}
in_pool() {
	python3 -c 'import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' "$1" "$TAYGA_POOL"
}
# expect_translated / expect_native FAMILY HOST PORT
expect_translated() {
	whoami "$@" || return 1
	in_pool "$PEER" || t_fail "$2:$3: the server saw $PEER, not an address of TAYGA's pool $TAYGA_POOL"
}
expect_native() {
	whoami "$@" && assert_eq "$CLIENT4" "$PEER" "$2:$3: the source the server saw"
}
# expect_unreach FAMILY HOST PORT: connect() from the served cgroup fails
# at once (within 200 ms, timed around the call alone) with ENETUNREACH.
expect_unreach() {
	assert_ok in_cg python3 -c '
import errno, socket, sys, time
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(5)
t = time.monotonic()
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    r = "CONNECTED"
except OSError as e:
    r = "ERR " + errno.errorcode.get(e.errno, str(e.errno)) if e.errno else "ERR TIMEOUT"
print("%s %d ms" % (r, (time.monotonic() - t) * 1000))' "$@" || return 1
	[[ $T_OUT =~ ^ERR\ ENETUNREACH\ ([0-9]+)\ ms$ ]] ||
		{ t_fail "$2:$3: expected ENETUNREACH at once, got '$T_OUT'"; return 1; }
	((BASH_REMATCH[1] < 200)) || t_fail "$2:$3: ENETUNREACH took ${BASH_REMATCH[1]} ms"
}
# udp_send HOST PORT: one datagram from an AF_INET socket of the served
# cgroup; prints the reply, or ERR <errno>.
udp_send() {
	in_cg python3 -c '
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
try:
    s.sendto(b"hello", (sys.argv[1], int(sys.argv[2])))
    d, a = s.recvfrom(1000)
    print("REPLY %s from %s:%d" % (d.decode(), a[0], a[1]))
except socket.timeout:
    print("ERR TIMEOUT"); sys.exit(2)
except OSError as e:
    print("ERR " + errno.errorcode.get(e.errno, str(e.errno))); sys.exit(2)' "$@"
}

# ========================================== a: a native default route comes and goes
start_plain --pref64 "$DEFAULT_PREFIX" || t_bail "daemon"

t_begin "a: no IPv4 at all: AF_INET and ::ffff: translated"
snap
assert_eq false "$(status_get policy.default_route)" "default_route" &&
	expect_translated 4 "$SERVER4" 9001 &&
	expect_translated 6 "::ffff:$SERVER4" 9001 &&
	assert_moved relay_tcp==1 native6==1 pass_native_route==0
tally relay_tcp
tally native6
t_pass

# A translated connection held across the route changes: it exchanges data
# before, and once after each change (when go.1, then go.2 appear).
start_bg HELD run_in_cg "$CG" "$NS_C" python3 -c '
import os, socket, sys, time
tmp = sys.argv[1]
s = socket.create_connection(("'"$SERVER4"'", 9006), timeout=10)
def exchange(n):
    p = os.urandom(n); s.sendall(p); got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            raise SystemExit("EOF after %d bytes" % len(got))
        got += d
    return got == p
assert exchange(6)
print("ESTABLISHED", flush=True)
for step in (1, 2):
    end = time.monotonic() + 40
    while not os.path.exists("%s/go.%d" % (tmp, step)):
        if time.monotonic() > end:
            raise SystemExit("no go.%d" % step)
        time.sleep(0.05)
    print("EXCHANGE %d %s" % (step, "OK" if exchange(100000) else "MISMATCH"), flush=True)
s.close()
' "$T_TMP"
tally relay_tcp

t_begin "a: default route added: new connections native, status says so"
wait_for 10 grep -q ESTABLISHED "$HELD_LOG" || t_fail "held connection: $(cat "$HELD_LOG")"
if ! { ip -n "$NS_C" addr add "$CLIENT4/${LAN#*/}" dev "$IF_C" &&
	ip -n "$NS_R" addr add "$LAN_ROUTER4/${LAN#*/}" dev "$IF_RC" &&
	ip -n "$NS_C" route add default via "$LAN_ROUTER4" dev "$IF_C"; }; then
	t_fail "could not add the IPv4 LAN $LAN and the default route"
fi
t0=$EPOCHREALTIME
wait_for "[[ \$(status_get policy.default_route) == true ]]" 5 ||
	t_fail "status does not show the default route: $(ctl | grep policy)"
t_log "default route mirrored after $(( (${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000 )) ms"
snap
# As with another CLAT's (NetworkManager's) route: the log and the status name the device.
assert_contains "$(cat "$DLOG")" "native IPv4 default route via $IF_C: nothing translated" &&
	assert_match "$(ctl)" "policy: 0 include/exclude rules, [1-9][0-9]* IPv4 routes mirrored, IPv4 default route yes" &&
	assert_contains "$(ctl)" $'\n'"native IPv4 default route via $IF_C: nothing translated"$'\n' "status" &&
	assert_eq "\"$IF_C\"" "$(status_get policy.default_route_dev)" "default_route_dev" &&
	expect_native 4 "$SERVER4" 9001 &&
	expect_native 6 "::ffff:$SERVER4" 9001 &&
	expect_native 4 "$SERVER4_ALT" 9001 &&
	assert_moved pass_native_route==3 relay_tcp==0 native6==0
tally pass_native_route 3
t_pass

t_begin "a: the connection relayed before the change still exchanges data"
touch "$T_TMP/go.1"
wait_for 10 grep -q 'EXCHANGE 1' "$HELD_LOG"
assert_contains "$(cat "$HELD_LOG")" "EXCHANGE 1 OK" "held connection"
t_pass

t_begin "a: default route removed: translated again, the held connection lives on"
ip -n "$NS_C" route del default via "$LAN_ROUTER4" dev "$IF_C" || t_fail "route del"
wait_for "[[ \$(status_get policy.default_route) == false ]]" 5 ||
	t_fail "status still shows a default route: $(ctl | grep policy)"
snap
assert_contains "$(cat "$DLOG")" "no IPv4 default route: translating destinations without a native route" &&
	assert_not_contains "$(ctl)" "native IPv4 default route via" "status" &&
	assert_eq null "$(status_get policy.default_route_dev)" "default_route_dev" &&
	expect_translated 4 "$SERVER4" 9001 &&
	expect_translated 6 "::ffff:$SERVER4" 9001 &&
	assert_moved relay_tcp==1 native6==1 pass_native_route==0
tally relay_tcp
tally native6
touch "$T_TMP/go.2"
wait_for "! kill -0 $HELD 2>/dev/null" 10
assert_contains "$(cat "$HELD_LOG")" "EXCHANGE 2 OK" "held connection"
# The echo server logs the held connection (6 + 2 x 100000 bytes) when it
# closes: it came from TAYGA's pool, so it was relayed all along.
wait_for 5 grep -q 'bytes_in=200006 ' "$ECHO_LOG"
held_peer=$(sed -n 's/.*peer=\([0-9.]*\):[0-9]* bytes_in=200006 .*/\1/p' "$ECHO_LOG")
in_pool "${held_peer:-none}" || t_fail "held connection came from '$held_peer', not TAYGA's pool"
t_pass

# ========================================== b: a LAN route only
t_begin "b: LAN only: a LAN destination native, an internet one translated"
snap
assert_eq false "$(status_get policy.default_route)" "default_route" &&
	expect_native 4 "$LAN_ROUTER4" 9101 &&
	expect_native 6 "::ffff:$LAN_ROUTER4" 9101 &&
	expect_translated 4 "$SERVER4" 9001 &&
	expect_translated 4 "$SERVER4_ALT" 9001 &&
	assert_moved pass_native_route==2 relay_tcp==2
tally pass_native_route 2
tally relay_tcp 2
t_pass

t_begin "loopback is never translated (pass_reserved)"
snap
expect_fail_rc 2 in_cg python3 "$TCPCLIENT" --family 4 --timeout 5 --connect 127.0.0.1 9 connect &&
	assert_eq "ERR ECONNREFUSED" "$T_OUT" &&
	assert_moved pass_reserved==1 relay_tcp==0
tally pass_reserved
t_pass
stop_daemon

# ==================== a link going down takes its routes out of the mirror
start_plain --pref64 "$DEFAULT_PREFIX" || t_bail "daemon"

t_begin "a link going down: its routes (a default route) leave the mirror"
LD=s4ld$$
ip -n "$NS_C" link add "$LD" type veth peer name "s4lp$$" &&
	on_exit "ip -n $NS_C link del $LD 2>/dev/null"
ip -n "$NS_C" link set "s4lp$$" up && ip -n "$NS_C" link set "$LD" up &&
	ip -n "$NS_C" addr add 192.0.2.226/28 dev "$LD" &&
	ip -n "$NS_C" route add default via 192.0.2.225 dev "$LD" ||
	t_fail "setting up the link"
wait_for "[[ \$(status_get policy.default_route) == true ]]" 5 ||
	t_fail "the default route was not mirrored"
ip -n "$NS_C" link set "$LD" down	# the kernel drops its routes, no RTM_DELROUTE
wait_for "[[ \$(status_get policy.default_route) == false ]]" 5 ||
	t_fail "the default route is still mirrored after its link went down"
snap
expect_translated 4 "$SERVER4" 9001 && assert_moved relay_tcp==1 pass_native_route==0
tally relay_tcp
t_pass
stop_daemon

# ========================================== c: include and exclude rules
start_plain --pref64 "$DEFAULT_PREFIX" --exclude "$EXCL_ALL/32" \
	--exclude "$EXCL_PORT/32 port 9001" --include "$LAN_ROUTER4/32" \
	--exclude 198.51.100.32/28 --exclude "198.51.100.33/32 port 9001" || t_bail "daemon"

t_begin "c: the rules are in the status"
assert_ok ctl --json &&
	assert_contains "$T_OUT" '"rules":["exclude 198.51.100.20/32","exclude 198.51.100.21/32 port 9001","include 192.0.2.241/32","exclude 198.51.100.32/28","exclude 198.51.100.33/32 port 9001"]' &&
	assert_match "$(ctl)" "policy: 5 include/exclude rules, [1-9][0-9]* IPv4 routes mirrored, IPv4 default route no"
t_pass

t_begin "c: exclude CIDR: AF_INET and ::ffff: go native (ENETUNREACH: no route)"
snap
expect_unreach 4 "$EXCL_ALL" 9001 &&
	expect_unreach 6 "::ffff:$EXCL_ALL" 9002 &&
	assert_moved pass_excluded==2 relay_tcp==0 native6==0
tally pass_excluded 2
t_pass

t_begin "c: exclude CIDR port 9001: port 9001 native, 9002 translated"
snap
expect_unreach 4 "$EXCL_PORT" 9001 &&
	assert_moved pass_excluded==1 relay_tcp==0 &&
	snap && expect_translated 4 "$EXCL_PORT" 9002 &&
	assert_moved pass_excluded==0 relay_tcp==1
tally pass_excluded
tally relay_tcp
t_pass

t_begin "c: a port-limited exclude inside an all-port one: every port excluded"
snap
expect_unreach 4 198.51.100.33 9001 &&
	expect_unreach 4 198.51.100.33 9002 &&
	assert_moved pass_excluded==2 relay_tcp==0
tally pass_excluded 2
t_pass

t_begin "c: include CIDR beats the native LAN route"
snap
expect_translated 4 "$LAN_ROUTER4" 9101 &&
	expect_translated 6 "::ffff:$LAN_ROUTER4" 9101 &&
	assert_moved included==2 relay_tcp==1 native6==1 pass_native_route==0
tally included 2
tally relay_tcp
tally native6
t_pass

t_begin "c: UDP: an excluded destination's datagrams are not relayed"
snap
out=$(udp_send "$EXCL_ALL" 7001)
assert_eq "ERR ENETUNREACH" "$out" "UDP to $EXCL_ALL" &&
	assert_moved pass_excluded==1 relay_udp==0 &&
	assert_eq 0 "$(status_get udp.datagrams_out)" "datagrams relayed" &&
	snap && out=$(udp_send "$SERVER4" 7001) &&
	assert_eq "REPLY echo hello from $SERVER4:7001" "$out" "UDP to $SERVER4" &&
	assert_moved relay_udp==1 pass_excluded==0
tally pass_excluded
tally relay_udp
t_pass
stop_daemon

# ========================================== d: the well-known prefix
t_begin "d: 64:ff9b::/96: non-global destinations refused at once (refuse_wkp)"
start_plain --pref64 64:ff9b::/96 || t_fail "daemon"
snap
assert_eq true "$(status_get policy.wkp_strict)" "wkp_strict" &&
	expect_unreach 4 "$SERVER4" 9001 &&
	expect_unreach 6 "::ffff:$SERVER4" 9001 &&
	assert_moved refuse_wkp==2 relay_tcp==0 native6==0
tally refuse_wkp 2
# The LAN route still wins over the WKP rule: native, not refused.
snap
expect_native 4 "$LAN_ROUTER4" 9101 &&
	assert_moved pass_native_route==1 refuse_wkp==0
tally pass_native_route
stop_daemon
t_pass

t_begin "d: --wkp-strict no: sock464 sends them on (TAYGA may still drop them)"
start_plain --pref64 64:ff9b::/96 --wkp-strict no || t_fail "daemon"
snap
assert_eq false "$(status_get policy.wkp_strict)" "wkp_strict" &&
	assert_match "$(ctl)" "wkp-strict no"
# The relay accepts the connect whatever happens upstream (no NAT64 serves
# 64:ff9b::/96 here): only sock464's own decision is asserted.
in_cg python3 "$TCPCLIENT" --family 4 --timeout 3 --connect "$SERVER4" 9001 connect >"$T_TMP/wkp4.out" 2>&1
assert_not_contains "$(cat "$T_TMP/wkp4.out")" "ENETUNREACH" "AF_INET connect"
in_cg python3 "$TCPCLIENT" --family 6 --timeout 3 --connect "::ffff:$SERVER4" 9001 connect >/dev/null 2>&1
assert_moved relay_tcp==1 native6==1 refuse_wkp==0
tally relay_tcp
tally native6
stop_daemon
t_pass

t_begin "d: a network-specific prefix carries them as usual"
start_plain --pref64 "$DEFAULT_PREFIX" || t_fail "daemon"
snap
expect_translated 4 "$SERVER4" 9001 &&
	expect_translated 6 "::ffff:$SERVER4" 9001 &&
	assert_moved relay_tcp==1 native6==1 refuse_wkp==0
tally relay_tcp
tally native6
stop_daemon
t_pass

# ========================================== e: SIGHUP during a transfer
# write_conf LINE...: the config file, one setting a line.
write_conf() { printf '%s\n' "# written by 30-policy.sh" "$@" >"$CONF.new" && mv "$CONF.new" "$CONF"; }
# The file names the cgroup (the command line does not) and a prefix the
# command line overrides; only $DEFAULT_PREFIX reaches the server.
write_conf "cgroup $CG" "pref64 2001:db8:99::/96" "wkp-strict yes"

t_begin "e: config file read, the command line wins"
start_daemon --config "$CONF" --control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" \
	--no-ra --no-dns64 || t_fail "daemon"
snap
assert_eq "\"$DEFAULT_PREFIX\"" "$(status_get pref64.prefix)" "prefix in use" &&
	assert_eq "[\"$CG\"]" "$(status_get cgroups)" "cgroups served" &&
	expect_translated 4 "$SERVER4" 9001 &&
	assert_moved relay_tcp==1
tally relay_tcp
t_pass

# A relayed echo stream that runs until $T_TMP/stop appears, checking every
# byte that comes back; it counts the rounds after $T_TMP/hupped appears.
start_bg STREAM run_in_cg "$CG" "$NS_C" python3 -c '
import hashlib, os, socket, sys, threading, time
tmp = sys.argv[1]
s = socket.create_connection(("'"$SERVER4"'", 9006), timeout=20)
sent, got = hashlib.sha256(), hashlib.sha256()
n_sent = n_got = after = 0
def reader():
    global n_got
    while True:
        d = s.recv(65536)
        if not d:
            return
        got.update(d); n_got += len(d)
t = threading.Thread(target=reader, daemon=True); t.start()
print("STREAMING", flush=True)
end = time.monotonic() + 60
while not os.path.exists(tmp + "/stop") and time.monotonic() < end:
    p = os.urandom(65536); s.sendall(p); sent.update(p); n_sent += len(p)
    if os.path.exists(tmp + "/hupped"):
        after += 1
    time.sleep(0.002)
s.shutdown(socket.SHUT_WR); t.join(30)
ok = n_got == n_sent and got.digest() == sent.digest()
print("%s sent=%d echoed=%d rounds_after_hup=%d" % ("HASH_OK" if ok else "HASH_BAD", n_sent, n_got, after), flush=True)
' "$T_TMP"
tally relay_tcp

t_begin "e: SIGHUP with a new exclude rule: applied at once, the transfer goes on"
wait_for 10 grep -q STREAMING "$STREAM_LOG" || t_fail "stream did not start: $(cat "$STREAM_LOG")"
sleep 0.3
write_conf "cgroup $CG" "pref64 2001:db8:99::/96" "wkp-strict yes" "exclude $SERVER4/32"
kill -HUP "$DAEMON"
wait_for 5 grep -q 'settings applied: 1 include/exclude rules, wkp-strict yes' "$DLOG" ||
	t_fail "no 'settings applied' line: $(tail -n 3 "$DLOG")"
touch "$T_TMP/hupped"
snap
assert_eq "[\"exclude $SERVER4/32\"]" "$(status_get policy.rules)" "rules" &&
	expect_unreach 4 "$SERVER4" 9001 &&
	expect_translated 4 "$OTHER4" 9001 &&
	assert_moved pass_excluded==1 relay_tcp==1 &&
	assert_eq "[\"$CG\"]" "$(status_get cgroups)" "cgroups served"
tally pass_excluded
tally relay_tcp
sleep 0.3
touch "$T_TMP/stop"
wait_for "! kill -0 $STREAM 2>/dev/null" 40
assert_match "$(cat "$STREAM_LOG")" "HASH_OK sent=[0-9]+ echoed=[0-9]+ rounds_after_hup=[1-9]" "stream"
t_log "$(tail -n 1 "$STREAM_LOG")"
t_pass

# ========================================== f: config file errors
# check_bad NAME LINE KEY LINES...: a file whose line LINE (setting KEY) is
# wrong: --check-config exits 1 and says "FILE:LINE: KEY: why".
check_bad() {
	local name=$1 line=$2 key=$3 f=$T_TMP/bad-$1.conf
	shift 3
	printf '%s\n' "$@" >"$f"
	expect_fail_rc 1 "$LOAD" --check-config --config "$f" || return 1
	assert_contains "$T_ERR" "$f:$line: $key: " "$name"
}

t_begin "f: --check-config: each kind of error names the file and the line"
check_bad unknown-key 3 max-conections "# a typo" "cgroup $CG" "max-conections 10" &&
	check_bad max-conns-0 2 max-connections "cgroup $CG" "max-connections 0" &&
	check_bad wkp-maybe 4 wkp-strict "cgroup $CG" "" "   # comment" "wkp-strict maybe" &&
	check_bad host-bits 3 exclude "cgroup $CG" "exclude 203.0.113.0/24" "exclude 198.51.100.1/24" &&
	check_bad bad-address 2 exclude "cgroup $CG" "exclude 300.1.1.1" &&
	check_bad bad-port 5 exclude "cgroup $CG" "pref64 $DEFAULT_PREFIX" "" "" "exclude 198.51.100.0/24 port 70000" &&
	check_bad duplicate 4 exclude "cgroup $CG" "exclude 198.51.100.0/24 port 53" "include 203.0.113.0/24" "exclude 198.51.100.0/24" &&
	check_bad bad-prefix 2 pref64 "cgroup $CG" "pref64 64:ff9b::/80" &&
	check_bad include-port 2 include "cgroup $CG" "include 203.0.113.0/24 port 80"
t_pass

t_begin "f: --check-config: a valid file exits 0; the command line overrides it"
good=$T_TMP/good.conf
printf '%s\n' "# every kind of line" "cgroup $CG" "pref64 $DEFAULT_PREFIX  # static" \
	"exclude 198.51.100.0/24 port 53,8000-8100" "exclude 203.0.113.7" "include 192.0.2.241/32" \
	"wkp-strict no" "max-connections 100" "udp-idle-timeout 30" "no-ra yes" "no-dns64 yes" \
	"control $T_TMP/other.sock" "verbose no" >"$good"
assert_ok "$LOAD" --check-config --config "$good" &&
	assert_contains "$T_OUT" "3 include/exclude rules, PREF64 static" &&
	assert_ok "$LOAD" --check-config --config "$good" --pref64 auto &&
	assert_contains "$T_OUT" "3 include/exclude rules, PREF64 auto" &&
	assert_ok "$LOAD" --check-config --config "$good" --exclude 198.51.100.30/32 &&
	assert_contains "$T_OUT" "2 include/exclude rules" &&	# its include stays
	assert_ok "$LOAD" --check-config --config "$good" --include 198.51.100.31/32 &&
	assert_contains "$T_OUT" "3 include/exclude rules" &&	# its 2 excludes stay
	expect_fail_rc 1 "$LOAD" --check-config --config "$good" --wkp-strict maybe &&
	assert_contains "$T_ERR" "wkp-strict"
t_pass

t_begin "f: SIGHUP with a broken file keeps the running settings"
before=$(status_get policy)
write_conf "cgroup $CG" "exclude $OTHER4/32" "wkp-strict maybe"	# line 4
kill -HUP "$DAEMON"
wait_for 5 grep -q 'the new settings have errors: keeping the running ones' "$DLOG" ||
	t_fail "no 'keeping the running ones' line: $(tail -n 3 "$DLOG")"
snap
assert_contains "$(cat "$DLOG")" "$CONF:4: wkp-strict: " "log" &&
	assert_eq "$before" "$(status_get policy)" "policy after the broken SIGHUP" &&
	expect_unreach 4 "$SERVER4" 9001 &&
	expect_translated 4 "$OTHER4" 9001 &&
	assert_moved pass_excluded==1 relay_tcp==1
tally pass_excluded
tally relay_tcp
t_pass

t_begin "f: a SIGHUP that changes nothing warns of nothing; one that does names it"
# The open-file limit lowers --max-connections at start-up: the same
# settings read again are still no change.  8192 descriptors leave room
# for 672 connections beside the 4096 UDP flows (fewer than 64 is refused).
stop_daemon
write_conf "cgroup $CG" "max-connections 1000000"
soft=$(ulimit -Sn) hard=$(ulimit -Hn)
ulimit -Sn 8192 && ulimit -Hn 8192
start_daemon --config "$CONF" --control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" \
	--no-ra --no-dns64
started=$?
ulimit -Hn "$hard" && ulimit -Sn "$soft"
((started == 0)) || t_fail "daemon"
assert_contains "$(cat "$DLOG")" "max-connections lowered" "start-up log"
kill -HUP "$DAEMON"
wait_for 5 grep -q 'settings applied' "$DLOG" || t_fail "no 'settings applied' line"
assert_not_contains "$(cat "$DLOG")" "after a restart" "log after a SIGHUP that changed nothing"
write_conf "cgroup $CG" "max-connections 1000000" "udp-idle-timeout 30" "dns64-server 2001:db8::53"
kill -HUP "$DAEMON"
wait_for 5 "[[ \$(grep -c 'settings applied' $DLOG) == 2 ]]" || t_fail "no second 'settings applied'"
assert_contains "$(cat "$DLOG")" "changes to dns64-server take effect after a restart" "log"
t_pass

t_begin "f: a SIGHUP that changes data-path or tc-attach says it takes a restart"
# Only the keys the command line leaves to the file (DP_ARGS wins over it).
lines=("cgroup $CG" "max-connections 1000000" "udp-idle-timeout 30" "dns64-server 2001:db8::53")
keys=()
[[ $DATA_PATH == auto ]] && lines+=("data-path relay") && keys+=(data-path)
[[ $TC_ATTACH == auto ]] && lines+=("tc-attach clsact") && keys+=(tc-attach)
if ((${#keys[@]} == 0)); then
	t_skip "DATA_PATH and TC_ATTACH both on the command line, which wins over the file"
else
	kind=$(status_get data_path.kind)
	write_conf "${lines[@]}"
	kill -HUP "$DAEMON"
	wait_for 5 "[[ \$(grep -c 'settings applied' $DLOG) == 3 ]]" ||
		t_fail "no third 'settings applied'"
	warn=$(grep 'take effect after a restart' "$DLOG" | tail -n 1)
	for k in "${keys[@]}"; do assert_contains "$warn" "$k" "restart warning"; done
	assert_eq "$kind" "$(status_get data_path.kind)" "data path after the SIGHUP" &&
		assert_eq "\"$DP\"" "$kind" "data path"
fi
t_pass

# ========================================== g: every decision counted
# sum_counters DIR WANT N: the policy counters summed over the final
# counters of the N daemons (DIR/counters.*.json) must equal WANT
# ("key=n ...", the tally of the decisions this script caused).
sum_counters() {
	python3 -c '
import glob, json, os, sys
keys = ["pass_reserved", "pass_excluded", "included", "pass_native_route",
        "refuse_wkp", "relay_tcp", "relay_udp", "native6"]
want = dict(w.split("=") for w in sys.argv[2].split())
total = dict.fromkeys(keys, 0)
files = glob.glob(sys.argv[1] + "/counters.*.json")
for f in files:
    c = json.load(open(f))["counters"]
    if os.environ["DP"] == "kernel":
        c["relay_tcp"], c["relay_udp"] = c["kernel_tcp"], c["kernel_udp"]
    for k in keys:
        total[k] += c[k]
print(" ".join("%s=%d" % (k, total[k]) for k in keys))
bad = ["%s=%d, expected %s" % (k, total[k], want.get(k, "0"))
       for k in keys if total[k] != int(want.get(k, 0))]
if len(files) != int(sys.argv[3]) or bad:
    print("%d daemons counted; %s" % (len(files), "; ".join(bad)))
    sys.exit(1)' "$@"
}

t_begin "g: every decision is in the counters, exactly as often as it was made"
stop_daemon
want=""
for k in "${!EXPECT[@]}"; do want+="$k=${EXPECT[$k]} "; done
assert_ok sum_counters "$T_TMP" "$want" "$NDAEMON" && t_log "counters: $T_OUT"
t_pass
