#!/usr/bin/env bash
# The relays under attack and load (issue 13, findings 1, 2, 4, 5): only
# the served cgroups' sockets can use the UDP relay; a firewall rule by uid
# blocks relayed traffic as it blocks native traffic; one cgroup flooding
# new UDP destinations cannot starve another; limits are stated, and a
# too small open-file limit is refused.  The relays are the subject, so
# every daemon here takes --data-path relay whatever DATA_PATH says (with
# the kernel path they carry only unconnected ::ffff: UDP), but for the
# firewall rule by uid, checked on both data paths; tests/run runs it once.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga nft setpriv prlimit python3

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"
t_log "the relays are this script's subject: its daemons take --data-path relay (DATA_PATH=$DATA_PATH ignored)"
topo_up || t_bail "topology"
cg_create app CG
cg_create other CG_B
NOBODY=65534

# A UDP echo server: replies "<port> <payload>" to each datagram; and one
# that only prints what it receives (port 7004).
start_bg ECHO run_in_ns "$NS_S" python3 -c '
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in (7001, 7002, 7004, 7007, 7008):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port)); s.setblocking(False); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select(300):
        s = key.fileobj
        d, a = s.recvfrom(65535)
        port = s.getsockname()[1]
        if port == 7004:
            print("GOT", d.decode(errors="replace"), flush=True)
        else:
            s.sendto(b"%d " % port + d, a)
'
start_bg TCP7 run_in_ns "$NS_S" python3 "$TCPSERV" --port 9007 whoami
start_bg TCP8 run_in_ns "$NS_S" python3 "$TCPSERV" --port 9008 whoami
wait_port "$NS_S" "$SERVER4" 9007
wait_port "$NS_S" "$SERVER4" 9008

status() { "$CTL" --control "$T_TMP/control" status "$@"; }
# udp_stat NAME: one figure of the UDP relay from the JSON status
udp_stat() { status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["udp"][sys.argv[1]])' "$1"; }
start_daemon() {
	start_bg DAEMON nsenter_net "$NS_C" "$LOAD" --data-path relay --cgroup "$CG" --cgroup "$CG_B" \
		--control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" "$@"	# a later --data-path wins
	wait_for 5 grep -q 'UDP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
	UDP_PORT=$(status | sed -n 's/^udp: port \([0-9]*\),.*/\1/p')
	[[ -n $UDP_PORT ]] || t_bail "no UDP relay port in the status"
}
in_cg() { run_in_cg "$CG" "$NS_C" "$@"; }
# (the system python: root's PATH may name one that uid 65534 cannot run)
AS_NOBODY=(setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups /usr/bin/python3)

# udp_ask HOST PORT [TIMEOUT]: one datagram, print the reply or TIMEOUT.
UDP_ASK='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(float(sys.argv[3]))
try:
    s.sendto(b"ask", (sys.argv[1], int(sys.argv[2])))
    print("REPLY", s.recvfrom(100)[0].decode())
except socket.timeout:
    print("TIMEOUT")
except OSError as e:
    print("ERR", e.errno)
'

start_daemon --udp-idle-timeout 30

# ------------------------------------------------------------- finding 1
t_begin "a served socket uses the UDP relay (its destination gets the first alias)"
assert_ok in_cg python3 -c "$UDP_ASK" "$SERVER4" 7001 3 &&
	assert_eq "REPLY 7001 ask" "$T_OUT"
t_pass

t_begin "uid 65534 outside the served cgroups sends to that alias: nothing, counted"
# The issue's reproduction: 127.46.1.0 is the first alias a fresh daemon hands out.
assert_ok run_in_ns "$NS_C" "${AS_NOBODY[@]}" -c "$UDP_ASK" 127.46.1.0 "$UDP_PORT" 2 &&
	assert_eq "TIMEOUT" "$T_OUT" "uid 65534 through the relay"
assert_ok run_in_ns "$NS_C" python3 -c "$UDP_ASK" 127.46.1.0 "$UDP_PORT" 2 &&
	assert_eq "TIMEOUT" "$T_OUT" "root outside the cgroups through the relay"
(($(udp_stat foreign) >= 2)) || t_fail "foreign: $(udp_stat foreign)"
t_pass

t_begin "20 more foreign datagrams: counted, one log line a minute"
assert_ok run_in_ns "$NS_C" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"x", ("127.46.1.0", int(sys.argv[1])))
' "$UDP_PORT"
wait_for 3 "(( \$(udp_stat foreign) >= 22 ))" || t_fail "foreign: $(udp_stat foreign)"
assert_eq 1 "$(grep -c 'a socket outside the served cgroups' "$DAEMON_LOG")" "log lines"
t_pass

t_begin "a served socket's port taken by another user after it closed: nothing"
assert_ok in_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("0.0.0.0", 40464)); s.sendto(b"x", ("'"$SERVER4"'", 7002)); s.recvfrom(100)
'
sleep 2.5	# past the grace for datagrams sent before a close
assert_ok run_in_ns "$NS_C" "${AS_NOBODY[@]}" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.bind(("127.0.0.1", 40464))
for a in range(0, 4):
    s.sendto(b"x", ("127.46.1.%d" % a, int(sys.argv[1])))
try:
    print("REPLY", s.recvfrom(100))
except socket.timeout:
    print("TIMEOUT")
' "$UDP_PORT" && assert_eq "TIMEOUT" "$T_OUT"
t_pass

t_begin "served sockets that send and close at once: every datagram arrives"
assert_ok in_cg python3 -c '
import socket
for i in range(10):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"sent-%d" % i, ("'"$SERVER4"'", 7004)); s.close()
for i in range(10, 20):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("'"$SERVER4"'", 7004)); s.send(b"sent-%d" % i); s.close()
'
wait_for 5 "[[ \$(grep -c '^GOT sent-' '$ECHO_LOG') == 20 ]]" ||
	t_fail "arrived: $(grep -c '^GOT sent-' "$ECHO_LOG") of 20"
t_pass

# ------------------------------------------------------------- finding 2
# A firewall rule by uid, on the relays, then on the kernel path (whose
# IPv4 packets pass the output hook as the application's own, before lo
# turns them into IPv6): it must block uid 65534 on both.
ip netns exec "$NS_C" nft -f - <<'NFT' || t_bail "nft"
table inet s464fw {
	chain out {
		type filter hook output priority 0; policy accept;
		meta skuid 65534 tcp dport 9007 counter drop
		meta skuid 65534 udp dport 7007 counter drop
	}
}
NFT
# nft_hits PROTO: packets the uid rule for PROTO dropped so far
nft_hits() {
	ip netns exec "$NS_C" nft list chain inet s464fw out |
		sed -n "s/.*$1 dport [0-9]* counter packets \([0-9]*\) .*/\1/p"
}
SERVER6=$(synth "$DEFAULT_PREFIX" "$SERVER4")

t_begin "nft 'meta skuid 65534 tcp dport 9007 drop' blocks uid 65534 natively"
expect_fail in_cg "${AS_NOBODY[@]}" "$TCPCLIENT" --family 6 --timeout 3 --no-peer-check \
	--connect "$SERVER6" 9007 whoami && assert_contains "$T_OUT" "ERR TIMEOUT"
t_pass

# firewall_cases PATH: the rule against the daemon now running on PATH.
firewall_cases() {
	local dp=$1 via=${1/relay/the TCP relay}
	via=${via/kernel/the kernel path}
	t_begin "the same rule blocks uid 65534 through ${via}"
	before=$(nft_hits tcp)
	# (through the NAT64, from its pool: wait_port's own came from the server's address)
	seen=$(grep -c 'peer=192\.0\.2\.' "$TCP7_LOG")
	expect_fail in_cg "${AS_NOBODY[@]}" "$TCPCLIENT" --family 4 --timeout 3 \
		--connect "$SERVER4" 9007 whoami
	assert_eq "$seen" "$(grep -c 'peer=192\.0\.2\.' "$TCP7_LOG")" "connections the server saw"
	(($(nft_hits tcp) > before)) || t_fail "the rule matched nothing through ${via}"
	t_pass

	t_begin "through ${via} uid 65534 still reaches other ports, root that port"
	assert_ok in_cg "${AS_NOBODY[@]}" "$TCPCLIENT" --family 4 --timeout 5 \
		--connect "$SERVER4" 9008 whoami
	assert_ok in_cg python3 "$TCPCLIENT" --family 4 --timeout 5 --connect "$SERVER4" 9007 whoami
	t_pass

	t_begin "nft 'meta skuid 65534 udp dport 7007 drop' blocks uid 65534 natively and on the $dp path"
	assert_ok in_cg "${AS_NOBODY[@]}" -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(2)
try:
    s.sendto(b"x", (sys.argv[1], 7007)); s.recvfrom(100); print("REPLY")
except OSError as e:
    print("BLOCKED", e)
' "$SERVER6" && assert_contains "$T_OUT" "BLOCKED" "native"
	before=$(nft_hits udp)
	assert_ok in_cg "${AS_NOBODY[@]}" -c "$UDP_ASK" "$SERVER4" 7007 2
	if [[ $dp == relay ]]; then	# the relay's send fails, the application waits
		assert_eq "TIMEOUT" "$T_OUT" "relayed" &&
			{ (($(udp_stat send_failed) >= 1)) || t_fail "send_failed: $(udp_stat send_failed)"; }
	else	# the application's own send is dropped: EPERM, as natively over IPv4
		assert_eq "ERR 1" "$T_OUT" "kernel path"
	fi
	(($(nft_hits udp) > before)) || t_fail "the rule matched nothing on the $dp path"
	assert_ok in_cg "${AS_NOBODY[@]}" -c "$UDP_ASK" "$SERVER4" 7008 3 &&
		assert_eq "REPLY 7008 ask" "$T_OUT" "uid 65534, another port"
	assert_ok in_cg python3 -c "$UDP_ASK" "$SERVER4" 7007 3 &&
		assert_eq "REPLY 7007 ask" "$T_OUT" "root, that port"
	t_pass
}
firewall_cases relay
stop_pid "$DAEMON"
start_daemon --udp-idle-timeout 30 --data-path kernel --tc-attach "$TC_ATTACH"
firewall_cases kernel
ip netns exec "$NS_C" nft delete table inet s464fw

# ------------------------------------------------------------- finding 4
stop_pid "$DAEMON"
start_daemon --max-udp-flows 100 --max-udp-flows-per-cgroup 50 --udp-idle-timeout 60

t_begin "one cgroup floods new UDP destinations: another's requests are answered (>= 95%)"
# 500 new destinations (50 addresses x 10 ports) a round, from a new socket
# each round, for as long as the other cgroup asks.
start_bg FLOOD run_in_cg "$CG" "$NS_C" python3 -c '
import socket, time
dests = [("198.51.100.%d" % a, p) for a in range(10, 60) for p in range(7101, 7111)]
end = time.time() + 40
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for d in dests:
        try:
            s.sendto(b"flood", d)
        except OSError:
            pass
    s.close()
    time.sleep(0.1)
'
sleep 2	# the flood has filled its share
assert_ok run_in_cg "$CG_B" "$NS_C" python3 -c '
import socket, time
answered = 0
for i in range(100):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
    s.sendto(b"q%d" % i, ("'"$SERVER4"'", 7001))
    try:
        if s.recvfrom(100)[0] == b"7001 q%d" % i:
            answered += 1
    except socket.timeout:
        pass
    s.close()
    time.sleep(0.05)
print("ANSWERED", answered)
' && [[ $T_OUT =~ ANSWERED\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 95)) ||
	t_fail "$T_OUT"
t_log "$T_OUT; $(status | grep '^udp:')"
(($(udp_stat over_cgroup_limit) + $(udp_stat evicted) > 0)) ||
	t_fail "the flood was never bounded: $(status | grep '^udp:')"
assert_eq 1 "$(grep -c 'UDP flows open (--max-udp-flows-per-cgroup)' "$DAEMON_LOG")" \
	"log lines for the flood"
t_pass
stop_pid "$FLOOD"

t_begin "a full table evicts the least recently used quiet flow before refusing"
stop_pid "$DAEMON"
start_daemon --max-udp-flows 2
assert_ok in_cg python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
def ask(port):	# each port a destination of its own
    s.sendto(b"x", ("'"$SERVER4"'", port))
    try:
        return s.recvfrom(100)[1][1]
    except socket.timeout:
        return "none"
print(ask(7001), ask(7002), end=" ")
time.sleep(0.5); print(ask(7002), end=" ")	# 7002 used again
time.sleep(1); print(ask(7008))			# 7001 quiet for 1.5 s: evicted
' && assert_eq "7001 7002 7002 7008" "$T_OUT"
assert_eq 1 "$(udp_stat evicted)" "evicted"
t_pass

# ------------------------------------------------------------- finding 5
t_begin "start-up states the limits and the open-file limit"
assert_match "$(cat "$DAEMON_LOG")" "open-file limit (raised from [0-9]+ to [0-9]+|[0-9]+) \(hard limit [0-9]+\)"
assert_match "$(cat "$DAEMON_LOG")" "limits: [0-9]+ relayed TCP connections, 2 UDP flows, 1024 UDP flows per cgroup"
t_pass
stop_pid "$DAEMON"

t_begin "an open-file limit of 1024 with 100 UDP flows: 143 connections, said so"
start_bg SMALL prlimit --nofile=1024:1024 nsenter --net="/run/netns/$NS_C" "$LOAD" --data-path relay \
	--cgroup "$CG" --control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" --max-udp-flows 100
wait_for 5 grep -q 'UDP relay on' "$SMALL_LOG" || t_fail "daemon: $(cat "$SMALL_LOG")"
assert_contains "$(cat "$SMALL_LOG")" "limits: 143 relayed TCP connections, 100 UDP flows"
stop_pid "$SMALL"
t_pass

t_begin "prlimit --nofile=256: refused with an error naming the limit"
expect_fail_rc 1 prlimit --nofile=256:256 timeout 5 nsenter --net="/run/netns/$NS_C" "$LOAD" --data-path relay \
	--cgroup "$CG" --control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" &&
	assert_contains "$T_ERR" "the open-file limit (RLIMIT_NOFILE) is 256" &&
	assert_contains "$T_ERR" "fewer than the 64 needed"
t_pass
