#!/usr/bin/env bash
# PREF64 sources in order of priority: static (--pref64) over Router
# Advertisements (RFC 8781) over DNS64 (RFC 7050), as RFC 9872 and Android
# do.  The RA sender (tests/tools/ra_sender.py) and the DNS64 resolver
# (tests/lib/dns64.sh) give different prefixes, each served by its own
# TAYGA, so the pool the server sees a connection come from tells which
# prefix it used.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/topo.sh
. "$T_LIB_DIR/topo.sh"
. "$T_LIB_DIR/pref64.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/dns64.sh
. "$T_LIB_DIR/dns64.sh"
need_root
need_cmd tayga python3 nsenter unbound unbound-checkconf dig

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
RA_SENDER=$T_TOOLS_DIR/ra_sender.py
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

P_RA=$DEFAULT_PREFIX		# 2001:db8:64::/96, from the RAs
P_DNS=2001:db8:248::/48		# from the DNS64
P_STATIC=2001:db8:100::/40	# given with --pref64
topo_up "$P_RA" "$P_DNS" "$P_STATIC" || t_bail "topology"
POOL_RA=${POOLS[0]}
POOL_DNS=${POOLS[1]}
POOL_STATIC=${POOLS[2]}
cg_create prio

start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 300 whoami
wait_port "$NS_S" 0.0.0.0 9001 || t_bail "server"

# ---------------------------------------------------------------- helpers
RA_CONF=$T_TMP/ra.conf
# rs_count: Router Solicitations the sender has heard (and ignored).
rs_count() { grep -c '^RS from' "$RA_LOG"; }


# expect_known LINE...: exactly these prefixes are known (any order).
expect_known() { assert_eq "$(printf '%s\n' "$@" | sort)" "$(known)" "known prefixes"; }

# ----------------------------------------------------------------- setup
# The DNS64 answers with a long TTL: it is asked again only when the test
# changes an address.  The RA sender ignores solicitations: the RA comes
# when the test sends it, after the DNS64 answer.
dns64_up "$NS_R" "$ROUTER6" "$P_DNS" 300 || t_bail "DNS64 resolver"
: >"$RA_CONF"
start_bg RA run_in_ns "$NS_R" python3 "$RA_SENDER" --interface "$IF_RC" \
	--config "$RA_CONF" --no-reply-rs --timeout 120
wait_for 5 grep -q '^READY' "$RA_LOG" || t_bail "RA sender: $(cat "$RA_LOG")"

t_begin "DNS64 alone: its prefix $P_DNS is used"
start_daemon || t_fail "daemon"
if wait_for 5 using "$P_DNS dns64"; then
	expect_known "$P_DNS dns64 None in_use=True" &&
		reach 4 "$POOL_DNS"
	# RA discovery is on too: the daemon solicited (and heard nothing).
	wait_for 2 grep -q '^RS from' "$RA_LOG" || t_fail "no Router Solicitation heard"
else
	t_fail "in use: $(in_use); log: $(tail -n 3 "$DAEMON_LOG")"
fi
t_pass

t_begin "an RA with another prefix: the RA one ($P_RA) is used, the DNS64 one is kept"
ra_send "pref64 $P_RA 600" || t_fail "no RA sent"
if wait_for 2 using "$P_RA ra"; then
	expect_known "$P_DNS dns64 None in_use=False" "$P_RA ra $IF_C in_use=True" &&
		assert_contains "$(cat "$DAEMON_LOG")" "using PREF64 $P_RA (source ra) for new connections" &&
		reach 4 "$POOL_RA" && reach 6 "$POOL_RA"
else
	t_fail "in use: $(in_use)"
fi
t_pass

t_begin "a newer DNS64 answer does not displace the RA prefix"
a0=$(st 'd["dns64"]["answers"]')
# An address change makes the daemon ask the DNS64 again at once.
ip -n "$NS_C" addr add 2001:db8:1::98/64 dev "$IF_C" nodad || t_fail "ip addr add"
on_exit "ip -n '$NS_C' addr del 2001:db8:1::98/64 dev '$IF_C' 2>/dev/null; true"
if wait_for "(( \$(st 'd[\"dns64\"][\"answers\"]') > $a0 ))" 5; then
	assert_eq "$P_RA ra" "$(in_use)" "in use" &&
		expect_known "$P_DNS dns64 None in_use=False" "$P_RA ra $IF_C in_use=True" &&
		reach 4 "$POOL_RA"
else
	t_fail "no new DNS64 answer: $(st 'd["dns64"]')"
fi
ip -n "$NS_C" addr del 2001:db8:1::98/64 dev "$IF_C"
t_pass

t_begin "the RA withdraws its prefix (lifetime 0): the DNS64 one takes over"
mark=$(wc -l <"$DAEMON_LOG")
ra_send "pref64 $P_RA 0" || t_fail "no RA sent"
if wait_for 2 using "$P_DNS dns64"; then
	expect_known "$P_DNS dns64 None in_use=True" &&
		assert_contains "$(tail -n "+$((mark + 1))" "$DAEMON_LOG")" \
			"PREF64 withdrawn (lifetime 0) $P_RA: source ra, interface $IF_C" &&
		assert_contains "$(tail -n "+$((mark + 1))" "$DAEMON_LOG")" \
			"using PREF64 $P_DNS (source dns64) for new connections" &&
		assert_not_contains "$(tail -n "+$((mark + 1))" "$DAEMON_LOG")" "no PREF64 known any more" \
			"daemon log" &&
		reach 4 "$POOL_DNS" && reach 6 "$POOL_DNS"
else
	t_fail "in use: $(in_use)"
fi
t_pass

t_begin "--pref64 $P_STATIC overrides both, and no discovery traffic is sent"
stop_bg DAEMON
printf 'pref64 %s 600\n' "$P_RA" >"$RA_CONF"
rs0=$(rs_count)
q0=$(queries)
start_daemon --pref64 "$P_STATIC" || t_fail "daemon"
ra_send "pref64 $P_RA 600" || t_fail "no RA sent"
sleep 1.5	# room for a solicitation, a DNS query or the RA to be taken
assert_eq "$P_STATIC static" "$(in_use)" "in use" &&
	expect_known "$P_STATIC static None in_use=True" &&
	assert_eq "static None 0" "$(st 'd["discovery"], d["prefixes"][0]["lifetime_s"], d["ra"]["heard"]' |
		tr -d "()',")" "discovery, lifetime, RAs heard" &&
	assert_eq "$rs0" "$(rs_count)" "Router Solicitations heard by the router" &&
	assert_eq "$q0" "$(queries)" "ipv4only.arpa queries from the client" &&
	assert_not_contains "$(cat "$DAEMON_LOG")" "discovering PREF64" "daemon log" &&
	reach 4 "$POOL_STATIC" && reach 6 "$POOL_STATIC"
t_pass
