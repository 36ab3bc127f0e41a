#!/usr/bin/env bash
# PREF64 from Router Advertisements (RFC 8781): the daemon solicits an RA at
# start-up and learns the prefix from it; follows a prefix change without
# breaking established connections; drops a prefix withdrawn with lifetime
# 0 at once and one whose lifetime runs out; ignores malformed options (and
# whole RAs that RFC 4861 says to discard, or that did not come from the
# link) without harm; keeps every PREF64 option of one RA.  The RAs come
# from tests/tools/ra_sender.py on the router; the daemon runs with
# --no-dns64, so RAs are its only source.  Which NAT64 pool the server sees
# a connection come from proves which prefix it used.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/topo.sh
. "$T_LIB_DIR/topo.sh"
. "$T_LIB_DIR/pref64.sh"
need_root
need_cmd tayga curl python3 nsenter

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
RA_SENDER=$T_TOOLS_DIR/ra_sender.py
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

# P0: the default /96; P1: a network-specific /48, each with its TAYGA.
P0=$DEFAULT_PREFIX
P1=2001:db8:248::/48
topo_up "$P0" "$P1" || t_bail "topology"
POOL0=${POOLS[0]}
POOL1=${POOLS[1]}
cg_create ra

WWW=$T_TMP/www
mkdir -p "$WWW"
echo "sock464-ra-marker-$$" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 300 whoami
start_bg ECHO run_in_ns "$NS_S" python3 "$TCPSERV" --port 9006 --timeout 300 echo
for p in 80 9001 9006; do
	wait_port "$NS_S" 0.0.0.0 "$p" || t_bail "server on port $p did not start"
done

# ---------------------------------------------------------------- helpers
RA_CONF=$T_TMP/ra.conf

# ra_start [ARGS...]: the RA sender on the router's client-side link; sets
# RA (its PID) and RA_LOG.  Each one keeps a log of its own (RA1, RA2...),
# so earlier ones can still be read.
RA_N=0
ra_start() {
	local var
	RA_N=$((RA_N + 1))
	var=RA$RA_N
	start_bg "$var" run_in_ns "$NS_R" python3 "$RA_SENDER" --interface "$IF_RC" \
		--config "$RA_CONF" --timeout 120 "$@"
	RA=${!var}
	var=${var}_LOG
	RA_LOG=${!var}
	wait_for 5 grep -q '^READY' "$RA_LOG" || {
		t_log "RA sender did not start: $(cat "$RA_LOG")"
		return 1
	}
}

# log_count TEXT: lines of the daemon's log that contain TEXT.
log_count() { grep -cF -- "$1" "$DAEMON_LOG"; }

# -------------------------------------------------- (a) learned at start-up
printf 'pref64 %s 600\n' "$P0" >"$RA_CONF"
ra_start --interval 600 || t_bail "RA sender"

t_begin "start-up: the Router Solicitation brings the PREF64 within 2 s"
start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" \
	--no-dns64 -v
if wait_for 2 using "$P0 ra"; then
	# The sender sends unsolicited RAs only every 600 s: its one RA must
	# be the answer to the daemon's solicitation.
	assert_eq 1 "$(ra_count)" "RAs sent" &&
		assert_match "$(cat "$RA_LOG")" "RS from fe80::[0-9a-f:]+ answered" &&
		assert_contains "$(grep '^RA ' "$RA_LOG")" "reason=rs" &&
		assert_contains "$(cat "$DAEMON_LOG")" \
			"PREF64 learned $P0: source ra, interface $IF_C, lifetime 600 s" &&
		assert_contains "$(cat "$DAEMON_LOG")" "using PREF64 $P0 (source ra) for new connections"
else
	t_fail "not in use after 2 s: $(in_use 2>&1); RA sender: $(cat "$RA_LOG")"
fi
t_pass

dp_check_log "$DAEMON_LOG"

t_begin "start-up: status shows the prefix, source ra, its interface and lifetime"
assert_eq "$P0 ra $IF_C in_use=True" "$(known)" "known prefixes" &&
	in_range "$(lifetime "$P0")" 595 600 "lifetime"
t_pass

t_begin "start-up: curl and AF_INET / ::ffff: clients reach the IPv4 literal via $P0"
assert_ok run_in_cg "$CG" "$NS_C" curl -sS --max-time 10 "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-ra-marker-$$" &&
	reach 4 "$POOL0" && reach 6 "$POOL0"
t_pass

# ------------------------------------- (b) prefix change, connections live
# held FAMILY FLAG: an echo connection that exchanges 16 KB round trips
# without pause, until 40 more have been done after FLAG appears.
cat >"$T_TMP/held.py" <<'EOF'
import os, socket, sys, time
fam, dst, port, flag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET)
s.settimeout(10)
s.connect((dst, port))
deadline, rounds, after = time.monotonic() + 60, 0, 0
while time.monotonic() < deadline and after < 40:
    data = os.urandom(16384)
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(len(data) - len(got))
        if not chunk:
            print("FAIL EOF after %d rounds" % rounds, flush=True)
            sys.exit(1)
        got += chunk
    if got != data:
        print("FAIL wrong data in round %d" % rounds, flush=True)
        sys.exit(1)
    rounds += 1
    if rounds == 5:
        print("ESTABLISHED peer=%s" % (s.getpeername(),), flush=True)
    if os.path.exists(flag):
        after += 1
    time.sleep(0.02)
if after < 40:
    print("FAIL only %d rounds after the change" % after, flush=True)
    sys.exit(1)
print("DONE rounds=%d after=%d" % (rounds, after), flush=True)
EOF
FLAG=$T_TMP/changed

t_begin "prefix change /96 -> /48: established AF_INET ($DP path) and ::ffff: connections keep going"
start_bg HELD4 run_in_cg "$CG" "$NS_C" python3 "$T_TMP/held.py" 4 "$SERVER4" 9006 "$FLAG"
start_bg HELD6 run_in_cg "$CG" "$NS_C" python3 "$T_TMP/held.py" 6 "::ffff:$SERVER4" 9006 "$FLAG"
if wait_for 10 grep -q ESTABLISHED "$HELD4_LOG" && wait_for 10 grep -q ESTABLISHED "$HELD6_LOG"; then
	# A renumbering router: the new prefix, with a shorter lifetime than
	# what is left of the old one; the most recently announced wins.
	ra_send "pref64 $P1 300" || t_fail "no RA sent"
	wait_for 3 using "$P1 ra" || t_fail "in use: $(in_use), expected $P1 ra"
	touch "$FLAG"
	# (each done, failed, or dead of an exception: a reset must not wait the 20 s out)
	wait_for "{ grep -q '^DONE\\|^FAIL' '$HELD4_LOG' || ! kill -0 $HELD4; } &&
		{ grep -q '^DONE\\|^FAIL' '$HELD6_LOG' || ! kill -0 $HELD6; }" 20
	assert_contains "$(cat "$HELD4_LOG")" "DONE" "AF_INET connection" &&
		assert_contains "$(cat "$HELD6_LOG")" "DONE" "::ffff: connection" &&
		assert_contains "$(cat "$DAEMON_LOG")" "using PREF64 $P1 (source ra) for new connections"
	# Both stayed on the old prefix's NAT64 to the end (the echo server
	# logs each connection's peer, i.e. the NAT64's IPv4 source).
	wait_for "(( \$(grep -c 'CONN mode=echo .*bytes_in=[1-9]' '$ECHO_LOG') >= 2 ))" 5
	peers=$(sed -n 's/^CONN mode=echo .*peer=\([0-9.]*\):[0-9]* bytes_in=[1-9].*result=ok.*/\1/p' "$ECHO_LOG")
	assert_eq 2 "$(wc -l <<<"$peers")" "finished echo connections: $peers" &&
		for p in $peers; do
			python3 -c 'import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
				"$p" "$POOL0" || t_fail "held connection came from $p, not $POOL0"
		done
else
	t_fail "held connections: $(cat "$HELD4_LOG" "$HELD6_LOG")"
fi
t_pass

t_begin "prefix change: new connections use the new prefix; the old one is still listed"
reach 4 "$POOL1" && reach 6 "$POOL1" &&
	assert_eq "$(printf '%s\n' "$P0 ra $IF_C in_use=False" "$P1 ra $IF_C in_use=True" | sort)" \
		"$(known)" "known prefixes" &&
	in_range "$(lifetime "$P1")" 290 304 "lifetime of $P1"
t_pass

# ------------------------------------------------------ (c) lifetime 0
t_begin "lifetime 0 withdraws the prefix in use at once; the other one takes over"
ra_send "pref64 $P1 0" || t_fail "no RA sent"
wait_for 2 using "$P0 ra" || t_fail "in use: $(in_use), expected $P0 ra"
assert_contains "$(cat "$DAEMON_LOG")" "PREF64 withdrawn (lifetime 0) $P1: source ra, interface $IF_C" &&
	assert_eq "$P0 ra $IF_C in_use=True" "$(known)" "known prefixes" &&
	reach 4 "$POOL0"
t_pass

t_begin "lifetime 0 for the last prefix: new connects fail with ENETUNREACH at once"
gone_before=$(log_count "no PREF64 known any more")
ra_send "pref64 $P0 0" || t_fail "no RA sent"
wait_for 2 using none || t_fail "in use: $(in_use), expected none"
assert_contains "$(cat "$DAEMON_LOG")" "PREF64 withdrawn (lifetime 0) $P0: source ra" &&
	assert_eq $((gone_before + 1)) "$(log_count "no PREF64 known any more: translated connects fail with ENETUNREACH")" \
		"'no PREF64 known any more' lines" &&
	assert_eq "" "$(known)" "known prefixes" &&
	unreachable
t_pass

# ------------------------------------------------ (d) expiry without RAs
# From here on, a sender that ignores solicitations: nothing but the RAs
# the test asks for (SIGHUP) reaches the daemon.
stop_bg RA
: >"$RA_CONF"
ra_start --no-reply-rs || t_bail "RA sender"

t_begin "lifetime 5 s (sent as 8 s) runs out without further RAs: expired, then ENETUNREACH"
ra_send "pref64 $P0 5" || t_fail "no RA sent"
assert_contains "$(grep '^RA ' "$RA_LOG")" "options=pref64:$P0:8" "the sender's RA"
if wait_for 2 using "$P0 ra"; then
	learned=$EPOCHREALTIME
	assert_contains "$(cat "$DAEMON_LOG")" "PREF64 learned $P0: source ra, interface $IF_C, lifetime 8 s" &&
		in_range "$(lifetime "$P0")" 7 8 "lifetime" &&
		reach 4 "$POOL0"
	if wait_for 10 grep -q "PREF64 expired $P0: source ra, interface $IF_C" "$DAEMON_LOG"; then
		elapsed=$(python3 -c "print(int(($EPOCHREALTIME - $learned) * 1000))")
		# Not early: 8 s after it was learned (less the time to see it).
		in_range "$elapsed" 7000 10000 "ms from learning to expiry"
		assert_eq none "$(in_use)" "in use" &&
			assert_eq "" "$(known)" "known prefixes" &&
			unreachable
	else
		t_fail "no 'expired' line: $(tail -n 3 "$DAEMON_LOG")"
	fi
else
	t_fail "not learned: $(in_use)"
fi
grep -q 'RS from' "$RA_LOG" && t_log "(solicitations heard and ignored: $(grep -c 'RS from' "$RA_LOG"))"
t_pass

# --------------------------------------------------- (e) malformed options
# Hex of PREF64 options that a receiver must ignore (RFC 8781 section 4);
# all name P1 (2001:db8:248::/48, lifetime 600), which must never appear.
P1_BYTES=20010db80248000000000000
BAD_LEN3=2603025b${P1_BYTES}0000000000000000	# length field 3 (24 bytes)
BAD_LEN1=2601025b20010db8			# length field 1 (8 bytes)
BAD_PLC6=2602025e${P1_BYTES}			# PLC 6
BAD_PLC7=2602025f${P1_BYTES}			# PLC 7
# Garbage that makes the whole RA invalid (RFC 4861 section 4.6 and the
# RA's own length): the RA must be discarded.  (Used as ${!hex} below.)
# shellcheck disable=SC2034
{
BAD_ZERO=2600000000000000			# an option with length field 0
BAD_TRUNC=2602025b20010db8			# says 16 bytes, only 8 follow
BAD_STRAY=26					# one stray byte after the options
}

heard() { st 'd["ra"]["heard"]'; }
ignored() { st 'd["ra"]["ignored"]'; }

t_begin "malformed PREF64 options are ignored; the valid one in the same RA is kept"
mark=$(wc -l <"$DAEMON_LOG")	# the log from here on: log_since "$mark"
h0=$(heard)
ra_send "raw $BAD_LEN3" "raw $BAD_PLC6" "pref64 $P0 600" "raw $BAD_PLC7" "raw $BAD_LEN1" ||
	t_fail "no RA sent"
wait_for "(( \$(heard) > $h0 ))" 3 || t_fail "the RA was not taken ($(st 'd["ra"]'))"
wait_for 2 using "$P0 ra" || t_fail "in use: $(in_use)"
assert_eq "$P0 ra $IF_C in_use=True" "$(known)" "known prefixes" &&
	assert_not_contains "$(log_since "$mark")" "2001:db8:248::" "daemon log" &&
	reach 4 "$POOL0"
t_pass

mark2=$(wc -l <"$DAEMON_LOG")
for bad in ZERO TRUNC STRAY; do
	t_begin "RA with a bad option ($bad) is discarded whole: no withdrawal, nothing learned"
	h0=$(heard)
	i0=$(ignored)
	# If any part of it were taken, P0 would go and P1 would come.
	hex=BAD_$bad
	ra_send "pref64 $P0 0" "pref64 $P1 600" "raw ${!hex}" || t_fail "no RA sent"
	if wait_for "(( \$(ignored) > $i0 ))" 3; then
		assert_eq "$h0" "$(heard)" "RAs taken" &&
			assert_eq "$P0 ra $IF_C in_use=True" "$(known)" "known prefixes"
	else
		t_fail "the RA was not counted as ignored ($(st 'd["ra"]'))"
	fi
	t_pass
done

# RFC 4861 section 6.1.2: an RA counts only with hop limit 255 (it did not
# cross a router) and a link-local source.
printf '%s\n' "pref64 $P0 0" "pref64 $P1 600" >"$T_TMP/ra-far.conf"
n=0
for far in "--hop-limit 64" "--source $ROUTER6"; do
	n=$((n + 1))
	t_begin "RA not from the link ($far) is ignored: no withdrawal, nothing learned"
	# What the daemon's debug line about it must say.
	case $far in
	--hop*) why="hop limit 64" ;;
	*) why="RA from $ROUTER6 on $IF_C ignored" ;;
	esac
	mark3=$(wc -l <"$DAEMON_LOG")
	i0=$(ignored)
	h0=$(heard)
	# shellcheck disable=SC2086
	start_bg "FAR$n" run_in_ns "$NS_R" python3 "$RA_SENDER" --interface "$IF_RC" \
		--config "$T_TMP/ra-far.conf" --no-reply-rs --timeout 30 $far
	far_pid=FAR$n
	far_pid=${!far_pid}
	far_log=$T_TMP/FAR$n.log
	if wait_for 5 grep -q '^READY' "$far_log" && kill -HUP "$far_pid" &&
		wait_for 5 grep -q '^RA n=1' "$far_log"; then
		if wait_for "(( \$(ignored) > $i0 ))" 3; then
			assert_eq "$h0" "$(heard)" "RAs taken" &&
				assert_eq "$P0 ra $IF_C in_use=True" "$(known)" "known prefixes" &&
				assert_contains "$(log_since "$mark3")" "$why" "daemon log"
		else
			t_fail "the RA was not counted as ignored ($(st 'd["ra"]'))"
		fi
	else
		t_fail "RA sender: $(cat "$far_log")"
	fi
	stop_pid "$far_pid"
	t_pass
done

t_begin "after the malformed RAs: the daemon runs and the valid prefix still serves"
kill -0 "$DAEMON" 2>/dev/null || t_fail "the daemon died: $(tail -n 5 "$DAEMON_LOG")"
reach 4 "$POOL0" && reach 6 "$POOL0" &&
	assert_not_contains "$(log_since "$mark2")" "PREF64 withdrawn" "daemon log" &&
	assert_not_contains "$(log_since "$mark2")" "PREF64 learned" "daemon log" &&
	assert_not_contains "$(log_since "$mark")" "2001:db8:248::" "daemon log"
t_pass

# ------------------------------------------- (f) several options in one RA
t_begin "two PREF64 options in one RA: both kept, the longer lifetime in use"
ra_send "pref64 $P0 0" || t_fail "no RA sent"	# start from nothing
wait_for 2 using none || t_fail "in use: $(in_use), expected none"
mark=$(wc -l <"$DAEMON_LOG")
ra_send "pref64 $P0 600" "pref64 $P1 1200" || t_fail "no RA sent"
wait_for 2 using "$P1 ra" || t_fail "in use: $(in_use), expected $P1 ra"
assert_eq "$(printf '%s\n' "$P0 ra $IF_C in_use=False" "$P1 ra $IF_C in_use=True" | sort)" \
	"$(known)" "known prefixes" &&
	assert_contains "$(log_since "$mark")" "PREF64 learned $P0: source ra, interface $IF_C, lifetime 600 s" &&
	assert_contains "$(log_since "$mark")" "PREF64 learned $P1: source ra, interface $IF_C, lifetime 1200 s" &&
	in_range "$(lifetime "$P0")" 595 600 "lifetime of $P0" &&
	in_range "$(lifetime "$P1")" 1195 1200 "lifetime of $P1" &&
	reach 4 "$POOL1"
t_pass

t_begin "the same RA again (a periodic refresh) changes nothing: no switch back and forth"
mark=$(wc -l <"$DAEMON_LOG")
h0=$(heard)
ra_send "pref64 $P0 600" "pref64 $P1 1200" || t_fail "no RA sent"
if wait_for "(( \$(heard) > $h0 ))" 3; then
	switches=$(log_since "$mark" | grep -o 'using PREF64 .*')
	assert_eq "$P1 ra" "$(in_use)" "in use" &&
		assert_eq "$(printf '%s\n' "$P0 ra $IF_C in_use=False" "$P1 ra $IF_C in_use=True" | sort)" \
			"$(known)" "known prefixes"
	# One RA is taken at once: the prefix in use must not flip while
	# its options are learned (it did, before discovery_learn_many()).
	[[ -n $T_CASE && -n $switches ]] && t_fail "the prefix in use switched: $switches"
else
	t_fail "the RA was not taken ($(st 'd["ra"]'))"
fi
t_pass

# ------------------------------- (g) the kernel's copy: RTM_NEWNDUSEROPT
t_begin "with the kernel processing RAs, its RTM_NEWNDUSEROPT copy is used too"
ns_sysctl "$NS_C" "net.ipv6.conf.$IF_C.accept_ra=1"
mark=$(wc -l <"$DAEMON_LOG")
ra_send "pref64 $P0 600" "pref64 $P1 1200" || t_fail "no RA sent"
# The kernel forwards the two options as two messages.
wait_for "(( \$(log_since $mark | grep -c 'from the kernel (RTM_NEWNDUSEROPT): 1 PREF64 option') >= 2 ))" 5 ||
	t_fail "the kernel's RTM_NEWNDUSEROPT were not handled: $(log_since "$mark" | tail -n 5)"
assert_eq "$P1 ra" "$(in_use)" "in use" &&
	assert_eq "" "$(log_since "$mark" | grep -o 'using PREF64 .*')" "switches of the prefix in use"
ns_sysctl "$NS_C" "net.ipv6.conf.$IF_C.accept_ra=0"
t_pass
