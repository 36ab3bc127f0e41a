#!/usr/bin/env bash
# sock464ctl metrics: every figure of `status --json` in the Prometheus text
# format, read back with the reference parser (python3-prometheus-client's
# text_string_to_metric_families, tests/tools/promparse.py); values move
# when traffic flows, per served cgroup too; --output replaces a file
# atomically for node_exporter's textfile collector.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga python3
# Debian's python3 (a python3 earlier in PATH may not see Debian's modules).
DPY=/usr/bin/python3
$DPY -c 'import prometheus_client' 2>/dev/null || need_cmd python3-prometheus-client

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
PARSE=$T_TOOLS_DIR/promparse.py
[[ -x $LOAD && -x $CTL ]] || t_bail "build first (make test-build)"

topo_up || t_bail "topology"
cg_create busy CG_A
cg_create idle CG_B
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 300 whoami
start_bg ECHO run_in_ns "$NS_S" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7001)); s.settimeout(300)
while True:
    d, a = s.recvfrom(65535); s.sendto(d, a)
'
wait_port "$NS_S" 0.0.0.0 9001 || t_bail "server"
start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG_A" --cgroup "$CG_B" \
	--control "$T_TMP/control" --pref64 "$DEFAULT_PREFIX" --exclude 203.0.113.0/24
wait_for 5 grep -q 'UDP relay on' "$DAEMON_LOG" || t_bail "daemon: $(cat "$DAEMON_LOG")"
ctl() { "$CTL" --control "$T_TMP/control" "$@"; }

# metrics: the parsed samples, one per line: NAME{k="v",...} VALUE.
metrics() { ctl metrics | $DPY "$PARSE"; }
# value SAMPLES 'NAME{labels}': the value, as an integer (inf stays inf).
value() {
	local v
	v=$(grep -F -- "$2 " <<<"$1" | head -n 1)
	v=${v##* }
	echo "${v%.0}"
}

t_begin "the output parses with prometheus_client, every family typed"
assert_ok metrics &&
	assert_not_contains "$T_OUT" "PARSE ERROR" &&
	for fam in "decisions counter" "cgroup_decisions counter" "relay_tcp_connections counter" \
		"relay_tcp_connections_open gauge" "relay_tcp_drops counter" "relay_udp_flows counter" \
		"relay_udp_datagrams counter" "relay_udp_drops counter" "pref64_info gauge" \
		"pref64_age_seconds gauge" "pref64_lifetime_seconds gauge" "ipv4_default_route gauge" \
		"ra_heard counter" "dns64_answers counter" "build_info gauge"; do
		assert_contains "$T_OUT" "# family sock464_$fam" || break
	done
BEFORE=$T_OUT
t_pass

t_begin "every counter of status --json is a sample with its value, in total and per cgroup"
# status --json, then the samples, each expected there as promparse prints it.
cat >"$T_TMP/status_check.py" <<'EOF'
import json, sys
st, samples = json.load(open(sys.argv[1])), set(open(sys.argv[2]).read().splitlines())
want = ['sock464_decisions_total{reason="%s"} %r' % (k, float(v)) for k, v in st["counters"].items()]
for cg, cnt in st["cgroup_counters"].items():
    want += ['sock464_cgroup_decisions_total{cgroup="%s",reason="%s"} %r' % (cg, k, float(v))
             for k, v in cnt.items()]
want.append('sock464_relay_tcp_connections_total{netns="%d"} %r'
            % (st["relay"]["netns_cookie"], float(st["relay"]["accepted"])))
missing = [w for w in want if w not in samples]
print("missing:", missing[:3], "...") if missing else print("OK", len(want))
sys.exit(1 if missing or len(want) < 20 else 0)
EOF
printf '%s\n' "$BEFORE" >"$T_TMP/samples"
assert_ok ctl status --json && printf '%s\n' "$T_OUT" >"$T_TMP/status.json" &&
	assert_ok python3 "$T_TMP/status_check.py" "$T_TMP/status.json" "$T_TMP/samples"
t_pass

t_begin "the prefix in use as an info metric; a static prefix lives forever"
assert_eq 1 "$(value "$BEFORE" "sock464_pref64_info{prefix=\"$DEFAULT_PREFIX\",source=\"static\"}")" &&
	assert_match "$BEFORE" "sock464_pref64_lifetime_seconds\{interface=\"\",prefix=\"$DEFAULT_PREFIX\",source=\"static\"\} inf" &&
	assert_match "$BEFORE" "sock464_pref64_age_seconds\{interface=\"\",prefix=\"$DEFAULT_PREFIX\",source=\"static\"\} [0-9]" &&
	assert_eq 0 "$(value "$BEFORE" 'sock464_ipv4_default_route{}')" "default route" &&
	assert_eq 1 "$(value "$BEFORE" 'sock464_policy_rules{}')" "rules"
t_pass

t_begin "values move with traffic: a translated TCP connection, a UDP exchange, an excluded connect ($DP path)"
assert_ok run_in_cg "$CG_A" "$NS_C" python3 "$TCPCLIENT" --family 4 --timeout 5 \
	--connect "$SERVER4" 9001 --expect-local "$SERVER4" whoami
assert_ok run_in_cg "$CG_A" "$NS_C" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"ping", ("'"$SERVER4"'", 7001)); print(s.recvfrom(100)[0].decode())' &&
	assert_eq ping "$T_OUT"
expect_fail run_in_cg "$CG_A" "$NS_C" python3 "$TCPCLIENT" --family 4 --timeout 2 \
	--connect "$SERVER4_ALT" 9001 connect
NETNS=$(ctl status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["relay"]["netns_cookie"])')
# The relay counts a connection when it ends: wait for that.  The kernel
# path's connections and datagrams pass no relay: those counters stay.
[[ $DP == relay ]] && r=1 && wait_for 5 \
	"[[ \$(value \"\$(metrics)\" 'sock464_relay_tcp_completed_total{netns=\"$NETNS\"}') != 0 ]]"
[[ $DP == kernel ]] && r=0
assert_ok metrics
AFTER=$T_OUT
for s in "sock464_decisions_total{reason=\"${DP}_tcp\"} 1" "sock464_decisions_total{reason=\"${DP}_udp\"} 1" \
	'sock464_decisions_total{reason="pass_excluded"} 1' \
	"sock464_cgroup_decisions_total{cgroup=\"$CG_A\",reason=\"${DP}_tcp\"} 1" \
	"sock464_cgroup_decisions_total{cgroup=\"$CG_A\",reason=\"pass_excluded\"} 1" \
	"sock464_cgroup_decisions_total{cgroup=\"$CG_B\",reason=\"${DP}_tcp\"} 0" \
	"sock464_relay_tcp_connections_total{netns=\"$NETNS\"} $r" \
	"sock464_relay_tcp_completed_total{netns=\"$NETNS\"} $r" \
	"sock464_relay_udp_flows_total{netns=\"$NETNS\"} $r" \
	"sock464_relay_udp_datagrams_total{direction=\"out\",netns=\"$NETNS\"} $r" \
	"sock464_relay_udp_datagrams_total{direction=\"in\",netns=\"$NETNS\"} $r"; do
	name=${s% *} want=${s##* }
	b=$(value "$BEFORE" "$name") a=$(value "$AFTER" "$name")
	[[ -n $a && -n $b ]] && (( a - b == want )) ||
		t_fail "$name: before ${b:-none}, after ${a:-none}, expected +$want"
done
t_pass

t_begin "--output FILE: replaced atomically (a new inode), mode 0644, nothing else left"
PROM=$T_TMP/textfile/sock464.prom
mkdir -p "${PROM%/*}" && echo 'old 1' >"$PROM"
ino=$(stat -c %i "$PROM")
assert_ok ctl metrics --output "$PROM" &&
	assert_eq "" "$T_OUT" "stdout" &&
	assert_ne "$ino" "$(stat -c %i "$PROM")" "inode (written in place, not renamed over)" &&
	assert_eq 644 "$(stat -c %a "$PROM")" "mode" &&
	assert_eq sock464.prom "$(ls -A "${PROM%/*}" | xargs)" "files in the directory" &&
	assert_ok $DPY "$PARSE" <"$PROM" &&
	assert_contains "$T_OUT" 'sock464_decisions_total{reason="relay_tcp"}'
t_pass

t_begin "--output with the daemon unreachable: exit 3, the file untouched"
cp "$PROM" "$T_TMP/prom.before"
expect_fail_rc 3 "$CTL" --control "$T_TMP/none" metrics --output "$PROM" &&
	assert_contains "$T_ERR" "cannot reach sock464-load at $T_TMP/none" &&
	assert_ok cmp "$PROM" "$T_TMP/prom.before" &&
	assert_eq sock464.prom "$(ls -A "${PROM%/*}" | xargs)" "files in the directory"
expect_fail_rc 1 ctl metrics --output "$T_TMP/no/such/dir/x.prom" &&
	assert_contains "$T_ERR" "creating a temporary file $T_TMP/no/such/dir/.x.prom."
expect_fail_rc 2 ctl metrics extra
expect_fail_rc 2 ctl status --output "$PROM"
t_pass
