#!/usr/bin/env bash
# Connected AF_INET6 UDP to ::ffff:a.b.c.d goes native through connect6
# (no relay); replies show ::ffff:a.b.c.d as their source (recvmsg6) and
# getpeername agrees (getpeername6).
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga python3

LOAD=$T_ROOT/build/sock464-load
[[ -x $LOAD ]] || t_bail "build first (make test-build)"
topo_up || t_bail "topology"
cg_create udp

start_bg ECHO run_in_ns "$NS_S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9053)); s.settimeout(120)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"from %s:" % a[0].encode() + d, a)
'
start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX"
wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"

UDP6='import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(("::ffff:'"$SERVER4"'", 9053))
print("PEER", s.getpeername()[0])
for size in (0, 1, 1400, 8000):
    s.send(b"x" * size)
    d, a = s.recvfrom(65535)
    print("SRC", a[0], a[1], "LEN", len(d) - len(d.split(b":")[0]) - 1)
'

t_begin "connected AF_INET6 UDP to ::ffff: reaches the IPv4 server"
assert_ok run_in_cg "$CG" "$NS_C" python3 -c "$UDP6" &&
	assert_contains "$T_OUT" "PEER ::ffff:$SERVER4" &&
	assert_contains "$T_OUT" "SRC ::ffff:$SERVER4 9053 LEN 0" &&
	assert_contains "$T_OUT" "SRC ::ffff:$SERVER4 9053 LEN 1400" &&
	assert_contains "$T_OUT" "SRC ::ffff:$SERVER4 9053 LEN 8000"
t_pass

# The same socket connected again to the synthesized address itself: plain
# IPv6 now, shown as it is (the ::ffff: state is forgotten).
RECONNECT='import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(("::ffff:'"$SERVER4"'", 9053))
print("PEER1", s.getpeername()[0])
s.connect((sys.argv[1], 9053))
print("PEER2", s.getpeername()[0])
s.send(b"again")
d, a = s.recvfrom(65535)
print("SRC2", a[0])
'
t_begin "reconnected from ::ffff: to a plain IPv6 address: shown as IPv6"
SYNTH6=$(python3 "$RFC6052" synth "$DEFAULT_PREFIX" "$SERVER4")
assert_ok run_in_cg "$CG" "$NS_C" python3 -c "$RECONNECT" "$SYNTH6" &&
	assert_contains "$T_OUT" "PEER1 ::ffff:$SERVER4" &&
	assert_contains "$T_OUT" "PEER2 $SYNTH6" &&
	assert_contains "$T_OUT" "SRC2 $SYNTH6"
t_pass

t_begin "outside the cgroup the same program fails"
expect_fail run_in_ns "$NS_C" python3 -c "$UDP6" &&
	assert_contains "$T_ERR" "Network is unreachable"
t_pass

t_begin "the connected ::ffff: socket used no relay"
assert_match "$("$T_ROOT/build/sock464ctl" --control "$T_TMP/control" status)" \
	"native6=[1-9].*relay_udp=0"
t_pass
