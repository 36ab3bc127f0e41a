#!/usr/bin/env bash
# Issue 13 (finding 8): a flood of Router Advertisements cannot flood the
# log.  Lines caused by the network are limited per source (at most 10 in
# 10 s), and what was held back is summed up in one line.  The router sends
# RAs as fast as tests/tools/ra_sender.py can for a few seconds, each with
# a PREF64 option the daemon must refuse (link-local) and one it uses.
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd python3 nsenter

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
RA_SENDER=$T_TOOLS_DIR/ra_sender.py
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

NS_H=s464-fh-$$		# the host, where the daemon listens
NS_R=s464-fr-$$		# the router, flooding
IF_H=s4fh-$$
IF_R=s4fr-$$
for ns in "$NS_H" "$NS_R"; do
	ip netns add "$ns" || t_bail "netns"
	on_exit "ip netns del $ns"
	ip -n "$ns" link set lo up
done
ip link add "$IF_H" netns "$NS_H" type veth peer name "$IF_R" netns "$NS_R" || t_bail "veth"
for pair in "$NS_H:$IF_H" "$NS_R:$IF_R"; do
	ns=${pair%%:*} ifc=${pair#*:}
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 "net.ipv6.conf.$ifc.accept_dad=0" \
		"net.ipv6.conf.$ifc.accept_ra=0" || t_bail "sysctl"
	ip -n "$ns" link set "$ifc" up || t_bail "link up"
done
cg_create flood CG

USED=2001:db8:64::/96
printf 'pref64 fe80::/96 600\npref64 %s 600\n' "$USED" >"$T_TMP/ra.conf"

start_bg DAEMON nsenter_net "$NS_H" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" --no-dns64
wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"

t_begin "an RA flood: the daemon logs at most 10 lines per sender, then one summary"
start_bg RA run_in_ns "$NS_R" python3 "$RA_SENDER" --interface "$IF_R" --config "$T_TMP/ra.conf" \
	--no-reply-rs --interval 0.0005 --timeout 4
wait_for 10 "! kill -0 $RA 2>/dev/null" || t_fail "the sender did not stop"
sent=$(grep -c '^RA ' "$RA_LOG")
t_log "RAs sent: $sent"
((sent >= 1000)) || t_fail "only $sent RAs sent: no flood"
ignored=$(grep -c 'PREF64 from ra on .* ignored' "$DAEMON_LOG")
t_log "'ignored' lines logged: $ignored"
((ignored >= 1 && ignored <= 10)) || t_fail "$ignored 'ignored' lines for $sent RAs"
# The summary comes when the sender's 10 s window ends.
wait_for 15 grep -q 'more messages from RAs from fe80::.* suppressed' "$DAEMON_LOG" ||
	t_fail "no summary: $(tail -3 "$DAEMON_LOG")"
n=$(sed -n 's/.* \([0-9]*\) more messages from RAs from fe80::.* suppressed.*/\1/p' "$DAEMON_LOG" |
	awk '{s += $1} END {print s + 0}')
t_log "suppressed: $n"
((n >= sent - 10)) || t_fail "the summary counts $n of $sent"
lines=$(wc -l <"$DAEMON_LOG")
((lines <= 40)) || t_fail "the daemon wrote $lines lines: $(tail -3 "$DAEMON_LOG")"
t_pass

t_begin "and the prefix in those RAs is used"
assert_ok "$CTL" --control "$T_TMP/control" status &&
	assert_contains "$T_OUT" "$USED" "status"
t_pass
