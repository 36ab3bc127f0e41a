# shellcheck shell=bash
# tests/lib/pref64.sh - helpers of the PREF64 discovery tests (20, 21, 22):
# the daemon's status read through sock464ctl, and connections that prove
# which NAT64 (which prefix) carried them.  Uses $CTL, $CG, $NS_C,
# $SERVER4, $DAEMON_LOG, $RA_CONF, $RA, $RA_LOG, $DNS64_LOG and $CLIENT6 as
# the calling script sets them.

status_json() { "$CTL" --control "$T_TMP/control" status --json; }

# st EXPR: evaluate a python expression over the status JSON (as d).
st() {
	status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if not isinstance(r, list) else "\n".join(map(str, r)))' "$1"
}

# in_use: "PREFIX SOURCE" of the prefix in use, or "none".
in_use() { st '"none" if d["pref64"] is None else d["pref64"]["prefix"] + " " + d["pref64"]["source"]'; }

using() { [[ $(in_use) == "$1" ]]; }

# known: every known prefix, one per line, sorted:
# "PREFIX SOURCE INTERFACE in_use=BOOL"
known() {
	st 'sorted("%s %s %s in_use=%s" % (e["prefix"], e["source"], e["interface"], e["in_use"]) for e in d["prefixes"])'
}

# lifetime PREFIX: its remaining lifetime in seconds, as status shows it.
lifetime() { st '[e["lifetime_s"] for e in d["prefixes"] if e["prefix"] == "'"$1"'"][0]'; }

# in_range VALUE MIN MAX WHAT
in_range() {
	[[ $1 =~ ^[0-9]+$ ]] && (($1 >= $2 && $1 <= $3)) && return 0
	t_fail "$4: '$1' not in [$2, $3]"
}

# in_pool OUTPUT POOL: the whoami peer address (the NAT64's IPv4 source)
# lies in POOL, i.e. the connection went through that prefix's TAYGA.
in_pool() {
	local peer
	peer=$(sed -n 's/^WHOAMI .*peer=\([0-9.]*\):.*/\1/p' <<<"$1")
	python3 -c 'import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
		"$peer" "$2" 2>/dev/null || t_fail "peer '$peer' is not in $2"
}

# reach FAMILY POOL: from the served cgroup, AF_INET to $SERVER4 (4) or
# AF_INET6 to ::ffff:$SERVER4 (6) reaches the server through POOL's NAT64.
reach() {
	local dst=$SERVER4
	[[ $1 == 6 ]] && dst=::ffff:$SERVER4
	assert_ok run_in_cg "$CG" "$NS_C" python3 "$TCPCLIENT" --family "$1" --timeout 10 \
		--connect "$dst" 9001 --expect-local "$SERVER4" whoami &&
		in_pool "$T_OUT" "$2"
}

# unreachable: both kinds of translated connect fail with ENETUNREACH.
unreachable() {
	expect_fail_rc 2 run_in_cg "$CG" "$NS_C" python3 "$TCPCLIENT" --family 4 \
		--timeout 5 --connect "$SERVER4" 9001 connect &&
		assert_eq "ERR ENETUNREACH" "$T_OUT" "AF_INET connect" &&
		expect_fail_rc 2 run_in_cg "$CG" "$NS_C" python3 "$TCPCLIENT" --family 6 \
			--timeout 5 --connect "::ffff:$SERVER4" 9001 connect &&
		assert_eq "ERR ENETUNREACH" "$T_OUT" "::ffff: connect"
}

# log_since N: the daemon's log after its first N lines.
log_since() { tail -n "+$(($1 + 1))" "$DAEMON_LOG"; }

# ra_send LINE...: write the sender's configuration, SIGHUP it, wait until
# it has sent the RA.
ra_send() {
	local before
	printf '%s\n' "$@" >"$RA_CONF"
	before=$(ra_count)
	kill -HUP "$RA" || return 1
	wait_for "(( \$(ra_count) > $before ))" 5
}

# ra_count: RAs sent so far by the current sender.
ra_count() { grep -c '^RA ' "$RA_LOG"; }

# queries: the ipv4only.arpa AAAA queries the current resolver has logged.
# (from the client: dns64_up's own checks come from the router itself).
queries() { grep -c "info: $CLIENT6 ipv4only.arpa. AAAA IN" "$DNS64_LOG"; }

# start_daemon [ARGS...]: sock464-load in the client namespace, serving $CG,
# asking the router's DNS64 ($ROUTER6), with ARGS added.  Each daemon keeps
# a log of its own (DAEMON1, DAEMON2...), so earlier ones can still be read.
# Sets DAEMON and DAEMON_LOG.
DAEMON_N=0
start_daemon() {
	local var
	DAEMON_N=$((DAEMON_N + 1))
	var=DAEMON$DAEMON_N
	start_bg "$var" nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" \
		--dns64-server "$ROUTER6" -v "$@"
	# shellcheck disable=SC2034	# stop_bg DAEMON reads it
	DAEMON=${!var}
	var=${var}_LOG
	DAEMON_LOG=${!var}
	wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || {
		t_log "daemon did not start: $(cat "$DAEMON_LOG")"
		return 1
	}
}
