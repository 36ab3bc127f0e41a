#!/bin/bash
# 15-tc-attach.sh - the TC attachment layer (loader/datapath/tc_attach.c,
# loader/datapath/tc_clsact.c, loader/datapath/probe.c) on its own, through tests/tools/tctool
# and its counting program bpf/tc_probe.bpf.c: the probes' choice; tcx and
# clsact both ways on a veth; clean detach; foreign filters (a cls_bpf
# filter at sock464's own priority and a u32 filter) kept through attach,
# detach, takeover and stale cleanup; a SIGKILLed attacher taken over by a
# new one with every packet counted exactly once (no gap, no duplicate);
# ownership at detach; switching between the modes.
#
# Two namespaces joined by a veth, IPv4 only with static neighbours and
# IPv6 off, so that the only packets on the link are the test's own and the
# counts are exact.  A private bpffs instance holds the pins.  tcx cases
# are skipped on kernels without tcx (the boot test's 6.1).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

need_root
need_cmd python3 tc

TCTOOL=$T_ROOT/build/tests/tctool
PROBE_OBJ=$T_ROOT/build/tc_probe.bpf.o
[[ -x $TCTOOL && -f $PROBE_OBJ ]] || t_bail "build first: make test-build ($TCTOOL, $PROBE_OBJ)"

NS_A=s464-ta-$$
NS_B=s464-tb-$$
IF_A=s4ta-$$
IF_B=s4tb-$$
ADDR_A=192.0.2.1
ADDR_B=192.0.2.2
BPFFS=$T_TMP/bpffs

# ------------------------------------------------------------------ setup

tc_topo_down() {
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	return 0
}

tc_topo_up() {
	on_exit tc_topo_down
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
	ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B" || return 1
	local ns ifc addr peer mac
	for ns in A B; do
		[[ $ns == A ]] && { ifc=$IF_A; addr=$ADDR_A; peer=$ADDR_B; }
		[[ $ns == B ]] && { ifc=$IF_B; addr=$ADDR_B; peer=$ADDR_A; }
		ns=NS_$ns
		# (not sysctl: the boot test's minimal guest has no procps)
		ip netns exec "${!ns}" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$ifc/disable_ipv6" &&
		ip -n "${!ns}" addr add "$addr/24" dev "$ifc" &&
		ip -n "${!ns}" link set "$ifc" up || return 1
	done
	mac=$(ip -n "$NS_B" -o link show "$IF_B" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip -n "$NS_A" neigh replace "$ADDR_B" lladdr "$mac" dev "$IF_A" nud permanent || return 1
	mac=$(ip -n "$NS_A" -o link show "$IF_A" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip -n "$NS_B" neigh replace "$ADDR_A" lladdr "$mac" dev "$IF_B" nud permanent
}

mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || t_bail "cannot mount a bpffs on $BPFFS"
on_exit "umount '$BPFFS'"
tc_topo_up || t_bail "cannot build the two namespaces"

# --------------------------------------------------------------- helpers

tool() { ip netns exec "$NS_A" "$TCTOOL" "$@"; }

# send NS DST N [GAP_MS]: N UDP datagrams to DST:9; prints how many went out.
send() {
	ip netns exec "$1" python3 -c '
import socket, sys, time
dst, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for i in range(n):
    try:
        s.sendto(b"tc-attach test", (dst, 9))
        sent += 1
    except OSError:
        pass
    if gap:
        time.sleep(gap)
print(sent)' "$2" "$3" "${4:-0}"
}

# attach VAR MODE DIR [ARGS...]: tctool attach on $IF_A (or $ATTACH_IF) in
# the background, its counter pinned at $BPFFS/VAR; waits for ATTACHED;
# VAR_PROG = program id.
attach() {
	local var=$1 mode=$2 dir=$3 log
	shift 3
	start_bg "$var" run_in_ns "$NS_A" "$TCTOOL" attach "$mode" "${ATTACH_IF:-$IF_A}" "$dir" \
		--map "$BPFFS/$var" "$@"
	log=${var}_LOG
	wait_for 10 grep -q '^ATTACHED' "${!log}" || { t_log "$(cat "${!log}")"; return 1; }
	printf -v "${var}_PROG" '%s' "$(sed -n 's/^ATTACHED prog=\([0-9]*\).*/\1/p' "${!log}")"
}

count() { "$TCTOOL" count "$BPFFS/$1"; }

# sock464's filters on IF_A DIR as tc shows them ("pref P handle H id I"),
# and every filter line that is not sock464's.
ours() {
	ip netns exec "$NS_A" tc filter show dev "$IF_A" "$1" |
		sed -n 's/.*pref \([0-9]*\) bpf .*handle \(0x[0-9a-f]*\) sock464:.* id \([0-9]*\) .*/pref \1 handle \2 id \3/p'
}
foreign() {
	ip netns exec "$NS_A" tc filter show dev "$IF_A" "$1" | grep '^filter' | grep -v 'sock464:'
}
tcx_links() { tool list "$IF_A" "$1" | sed -n 's/^tcx \([0-9]*\)$/\1/p'; }

# kill9 VAR: SIGKILL the background attacher VAR and reap it.
kill9() { kill -KILL "${!1}" && wait "${!1}" 2>/dev/null; return 0; }

# ----------------------------------------------------------------- cases

t_begin "probe: every feature the kernel path needs, and the choice"
assert_ok "$TCTOOL" probe &&
assert_not_contains "$T_OUT" "sched_cls=no" &&
assert_not_contains "$T_OUT" "bpf_redirect_neigh=no" "features" &&
assert_not_contains "$T_OUT" "sock_create_mark=no" "features"
HAVE_TCX=$(sed -n 's/.* tcx=\(yes\|no\)$/\1/p' <<<"$T_OUT" | head -n 1)
t_log "kernel $(uname -r): $T_OUT"
if [[ $HAVE_TCX == yes ]]; then
	assert_contains "$T_OUT" "mode: tcx" && assert_contains "$T_OUT" "reason: tcx: the kernel has tcx links"
else
	assert_contains "$T_OUT" "mode: clsact" &&
	assert_contains "$T_OUT" "reason: clsact: no tcx links in this kernel (6.6), cls_bpf filters instead"
fi
assert_ok "$TCTOOL" probe clsact && assert_contains "$T_OUT" "mode: clsact"
t_pass

for mode in tcx clsact; do
	if [[ $mode == tcx && $HAVE_TCX != yes ]]; then
		t_begin "tcx: attach, count, detach"
		t_skip "no tcx links in kernel $(uname -r)"
		continue
	fi
	for dir in egress ingress; do
		t_begin "$mode $dir: the program sees every packet, detach leaves nothing"
		if [[ $dir == egress ]]; then src=$NS_A dst=$ADDR_B; else src=$NS_B dst=$ADDR_A; fi
		attach C "$mode" "$dir" || t_fail "attach failed"
		assert_eq 0 "$(count C)" "count before traffic" &&
		assert_eq 200 "$(send "$src" "$dst" 200)" "datagrams sent" &&
		wait_for 5 "[[ \$(count C) -ge 200 ]]"
		assert_eq 200 "$(count C)" "packets counted"
		if [[ $mode == tcx ]]; then
			assert_eq 1 "$(tcx_links "$dir")" "tcx links while attached"
		else
			assert_eq "pref 1124 handle 0x464 id $C_PROG" "$(ours "$dir")" "the filter"
		fi
		stop_bg C
		assert_contains "$(cat "$C_LOG")" "DETACHED" "tctool output"
		assert_eq "" "$(ours "$dir")" "sock464 filters after detach" &&
		assert_eq 0 "$(tcx_links "$dir")" "tcx links after detach"
		before=$(count C)
		send "$src" "$dst" 50 >/dev/null
		assert_eq "$before" "$(count C)" "packets counted after detach"
		t_pass
		rm -f "$BPFFS/C"
	done
done

t_begin "clsact: the qdisc stays (never deleted), tc filter show is clean"
assert_contains "$(ip netns exec "$NS_A" tc qdisc show dev "$IF_A")" "qdisc clsact ffff:" "qdiscs" &&
assert_eq "" "$(ip netns exec "$NS_A" tc filter show dev "$IF_A" egress)" "egress filters" &&
assert_eq "" "$(ip netns exec "$NS_A" tc filter show dev "$IF_A" ingress)" "ingress filters"
t_pass

# Other software's filters on the same hook: a cls_bpf filter at sock464's
# own priority (same kind, another handle, its own name; tc loads another
# instance of the counting program) and a u32 filter after it.
t_begin "clsact: foreign filters added next to sock464's slot"
assert_ok ip netns exec "$NS_A" tc filter add dev "$IF_A" egress pref 1124 handle 0x1 \
	bpf da obj "$PROBE_OBJ" sec tc &&
assert_ok ip netns exec "$NS_A" tc filter add dev "$IF_A" egress pref 49152 protocol ip \
	u32 match u32 0 0 classid 1:1 &&
FOREIGN=$(foreign egress) &&
assert_contains "$FOREIGN" "pref 1124 bpf chain 0 handle 0x1 tc_probe.bpf.o:[tc] direct-action" "foreign filters" &&
assert_contains "$FOREIGN" "pref 49152 u32 chain 0 fh 800::800" "foreign filters"
FOREIGN_PROG=$(sed -n 's/.*handle 0x1 tc_probe.bpf.o:\[tc\] .* id \([0-9]*\) .*/\1/p' <<<"$FOREIGN")
assert_match "$FOREIGN_PROG" '^[0-9]+$' "the foreign program's id"
t_pass
foreign_count() { "$TCTOOL" count "prog:$FOREIGN_PROG"; }

t_begin "clsact: attach and detach next to foreign filters; they keep working"
attach C1 clsact egress || t_fail "attach failed"
f0=$(foreign_count)
assert_eq 100 "$(send "$NS_A" "$ADDR_B" 100)" "datagrams sent"
assert_eq 100 "$(count C1)" "counted by sock464's program" &&
assert_eq $((f0 + 100)) "$(foreign_count)" "counted by the foreign cls_bpf filter"
stop_bg C1
assert_eq "" "$(ours egress)" "sock464 filters after detach" &&
assert_eq "$FOREIGN" "$(foreign egress)" "foreign filters after detach"
f0=$(foreign_count)
send "$NS_A" "$ADDR_B" 10 >/dev/null
assert_eq $((f0 + 10)) "$(foreign_count)" "counted by the foreign filter after detach"
t_pass

# The crash test: the attacher is killed with SIGKILL while datagrams flow
# back to back (tens of thousands a second, so that even a gap of a few
# microseconds loses some), its filter or pinned link keeps running, and a
# new attacher replaces it in place: every datagram is counted by exactly
# one of the two programs.
#
# stream NS DST STOPFILE: datagrams until STOPFILE exists (at most 3
# million); prints "STARTED" at once and the number sent at the end.
stream() {
	ip netns exec "$1" python3 -c '
import os, socket, sys
dst, stop = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("STARTED", flush=True)
sent = 0
while sent < 3000000 and (sent % 256 or not os.path.exists(stop)):
    s.sendto(b"tc-attach test", (dst, 9))
    sent += 1
print(sent)' "$2" "$3"
}
grows() {	# grows COUNTER: it counts more within 5 s
	local c0
	c0=$(count "$1")
	wait_for 5 "[[ \$(count $1) -gt $c0 ]]"
}

crash_takeover() {	# crash_takeover MODE OLD NEW [ARGS...]
	local mode=$1 old=$2 new=$3 sent c1 c2 prog link
	shift 3
	attach "$old" "$mode" egress "$@" || { t_fail "first attach failed"; return 1; }
	rm -f "$T_TMP/stop"
	start_bg SEND stream "$NS_A" "$ADDR_B" "$T_TMP/stop"
	wait_for 10 grep -q STARTED "$SEND_LOG" && grows "$old" ||
		{ t_fail "no datagram counted"; return 1; }
	kill9 "$old"
	grows "$old" || t_fail "the killed attacher's program stopped counting"
	prog=${old}_PROG
	[[ $mode == clsact ]] && assert_eq "pref 1124 handle 0x464 id ${!prog}" "$(ours egress)" \
		"the killed attacher's filter"
	[[ $mode == tcx ]] && assert_eq 1 "$(tcx_links egress)" "the killed attacher's pinned link"
	# What happens to the hook itself: tc's events, the tcx link's id.
	link=$(tool list "$IF_A" egress | sed -n 's/^tcx link //p')
	start_bg MON run_in_ns "$NS_A" tc monitor
	sleep 0.3
	attach "$new" "$mode" egress "$@" || { t_fail "second attach failed"; return 1; }
	grows "$new" || t_fail "the new program does not count"
	stop_bg MON
	touch "$T_TMP/stop"
	wait "$SEND"
	sent=$(tail -n 1 "$SEND_LOG")
	c1=$(count "$old") c2=$(count "$new")
	t_log "$mode takeover: sent $sent, old program $c1, new program $c2"
	assert_eq "$sent" "$((c1 + c2))" "counted by the old + the new program (a gap or a duplicate)"
	prog=${new}_PROG
	if [[ $mode == clsact ]]; then
		assert_eq "pref 1124 handle 0x464 id ${!prog}" "$(ours egress)" "sock464 filters after takeover"
		assert_match "$(cat "$MON_LOG")" "replaced filter dev $IF_A egress .*pref 1124 bpf chain 0 handle 0x464 sock464:tc_probe .* id ${!prog} " "tc monitor" &&
		assert_not_contains "$(cat "$MON_LOG")" "deleted filter" "tc monitor"
	else
		assert_eq 1 "$(tcx_links egress)" "tcx links after takeover" &&
		assert_match "$link" '^[0-9]+$' "the pinned link's id" &&
		assert_eq "$link" "$(tool list "$IF_A" egress | sed -n 's/^tcx link //p')" \
			"the link's id after takeover (updated in place, not replaced)"
	fi
	assert_eq "$FOREIGN" "$(foreign egress)" "foreign filters after takeover"
}

t_begin "clsact: SIGKILL, then a new attacher takes over: no gap, no duplicate"
crash_takeover clsact K1 K2
t_pass

t_begin "clsact: a detach by a process that was taken over leaves the new filter"
# K2 runs; a third attacher takes over, then K2 stops normally.
attach K3 clsact egress || t_fail "attach failed"
stop_bg K2
assert_contains "$(cat "$K2_LOG")" "not ours" "the old attacher's log" &&
assert_eq "pref 1124 handle 0x464 id $K3_PROG" "$(ours egress)" "sock464 filters"
t_pass

t_begin "clsact: stale cleanup after SIGKILL removes only sock464's filter"
kill9 K3
assert_eq "pref 1124 handle 0x464 id $K3_PROG" "$(ours egress)" "left by the killed attacher"
assert_ok tool sweep "$IF_A" egress && assert_eq "removed 1" "$T_OUT"
assert_eq "" "$(ours egress)" "sock464 filters after the sweep" &&
assert_eq "$FOREIGN" "$(foreign egress)" "foreign filters after the sweep" &&
assert_contains "$(ip netns exec "$NS_A" tc qdisc show dev "$IF_A")" "qdisc clsact ffff:" "qdiscs"
assert_ok tool sweep "$IF_A" egress && assert_eq "removed 0" "$T_OUT" "a second sweep"
t_pass

if [[ $HAVE_TCX == yes ]]; then
	PIN=$BPFFS/link-egress
	t_begin "tcx: without a pin the link dies with the process"
	attach T1 tcx egress || t_fail "attach failed"
	assert_eq 1 "$(tcx_links egress)" "links while attached"
	kill9 T1
	wait_for 5 "[[ \$(tcx_links egress) == 0 ]]" || t_fail "tcx link still there after SIGKILL"
	t_pass

	t_begin "tcx: pinned, SIGKILL, then a new attacher takes the link over: no gap, no duplicate"
	crash_takeover tcx P1 P2 --pin "$PIN"
	t_pass

	t_begin "tcx: a detach by a process that was taken over leaves the link"
	attach P3 tcx egress --pin "$PIN" || t_fail "attach failed"
	stop_bg P2
	assert_eq 1 "$(tcx_links egress)" "tcx links" &&
	assert_eq 0 "$(count P3)" "counted by the new program before traffic" &&
	send "$NS_A" "$ADDR_B" 20 >/dev/null &&
	assert_eq 20 "$(count P3)" "counted by the new program"
	[[ -e $PIN ]] || t_fail "the pin is gone"
	t_pass

	t_begin "tcx: a plain stop removes the link and its pin, with --keep both stay"
	stop_bg P3
	assert_contains "$(cat "$P3_LOG")" "DETACHED" "tctool output"
	assert_eq 0 "$(tcx_links egress)" "links after a plain stop"
	[[ -e $PIN ]] && t_fail "the pin is still there after a plain stop"
	attach T2 tcx egress --pin "$PIN" --keep || t_fail "attach failed"
	stop_bg T2
	assert_contains "$(cat "$T2_LOG")" "DETACHED (kept)" "tctool output" &&
	assert_eq 1 "$(tcx_links egress)" "links after a --keep stop"
	send "$NS_A" "$ADDR_B" 30 >/dev/null
	assert_eq 30 "$(count T2)" "counted by the kept link"
	t_pass

	t_begin "mode switch tcx -> clsact: the pinned tcx link goes once the filter is in"
	attach S1 clsact egress --pin "$PIN" || t_fail "attach failed"
	assert_eq 0 "$(tcx_links egress)" "tcx links" &&
	assert_eq "pref 1124 handle 0x464 id $S1_PROG" "$(ours egress)" "sock464 filters"
	[[ -e $PIN ]] && t_fail "the tcx pin is still there"
	kill9 S1
	t_pass

	t_begin "mode switch clsact -> tcx: the killed attacher's filter goes, foreign ones stay"
	attach S2 tcx egress --pin "$PIN" || t_fail "attach failed"
	assert_eq 1 "$(tcx_links egress)" "tcx links" &&
	assert_eq "" "$(ours egress)" "sock464 filters" &&
	assert_eq "$FOREIGN" "$(foreign egress)" "foreign filters"
	stop_bg S2
	assert_eq 0 "$(tcx_links egress)" "tcx links after stop"
	t_pass
fi

t_begin "another qdisc of other software: egress refused with a clear error, ingress used, the qdisc kept"
IF_X=s4tx-$$
assert_ok ip -n "$NS_A" link add "$IF_X" type veth peer name "s4ty-$$" &&
assert_ok ip -n "$NS_A" link set "$IF_X" up &&
assert_ok ip netns exec "$NS_A" tc qdisc add dev "$IF_X" ingress &&
expect_fail tool attach clsact "$IF_X" egress --map "$BPFFS/E1" &&
assert_contains "$T_ERR" "creating the clsact qdisc on $IF_X failed: File exists: an 'ingress' qdisc of other software holds its place" "error message" &&
assert_contains "$(ip netns exec "$NS_A" tc qdisc show dev "$IF_X")" "qdisc ingress ffff:" "the ingress qdisc"
ATTACH_IF=$IF_X attach X1 clsact ingress || t_fail "ingress attach next to the ingress qdisc failed"
assert_contains "$(ip netns exec "$NS_A" tc filter show dev "$IF_X" ingress)" "handle 0x464 sock464:tc_probe direct-action" "ingress filters"
stop_bg X1
assert_eq "" "$(ip netns exec "$NS_A" tc filter show dev "$IF_X" ingress)" "ingress filters after detach" &&
assert_contains "$(ip netns exec "$NS_A" tc qdisc show dev "$IF_X")" "qdisc ingress ffff:" "the ingress qdisc after detach"
expect_fail tool attach clsact no-such-if egress &&
assert_contains "$T_ERR" "no-such-if" "error message"
if [[ $HAVE_TCX != yes ]]; then
	expect_fail tool attach tcx "$IF_A" egress --map "$BPFFS/E2" &&
	assert_contains "$T_ERR" "creating a tcx link on $IF_A egress failed: Invalid argument (no tcx before Linux 6.6: use clsact)" "error message"
fi
t_pass
