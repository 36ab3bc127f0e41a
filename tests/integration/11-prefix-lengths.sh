#!/usr/bin/env bash
# A network-specific prefix of every RFC 6052 length (32, 40, 48, 56, 64,
# 96), each served by its own TAYGA: AF_INET (relay) and ::ffff: (connect6)
# connections both reach the IPv4 server, and the server sees the
# connection arrive from the NAT64 pool of that prefix's TAYGA.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga python3

LOAD=$T_ROOT/build/sock464-load
[[ -x $LOAD ]] || t_bail "build first (make test-build)"

# shellcheck disable=SC2086
topo_up $NSP_ALL_LENGTHS || t_bail "topology"
cg_create lengths
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 300 whoami
wait_port "$NS_S" 0.0.0.0 9001 || t_bail "server"

# in_pool OUTPUT POOL: the whoami peer address lies in POOL.
in_pool() {
	local peer
	peer=$(sed -n 's/^WHOAMI .*peer=\([0-9.]*\):.*/\1/p' <<<"$1")
	python3 -c 'import ipaddress, sys
sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
		"$peer" "$2" || t_fail "peer $peer is not in $2, the NAT64 pool of this prefix"
}

i=0
for prefix in $PREFIXES; do
	pool=${POOLS[$i]}
	i=$((i + 1))
	t_begin "PREF64 $prefix (/${prefix#*/}): AF_INET and ::ffff: reach $SERVER4"
	start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" --pref64 "$prefix"
	if ! wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG"; then
		t_fail "daemon: $(cat "$DAEMON_LOG")"
		continue
	fi
	# The server sees the source TAYGA gave from this prefix's pool.
	assert_ok run_in_cg "$CG" "$NS_C" python3 "$TCPCLIENT" --family 4 \
		--connect "$SERVER4" 9001 --expect-local "$SERVER4" whoami &&
		in_pool "$T_OUT" "$pool" &&
		assert_ok run_in_cg "$CG" "$NS_C" python3 "$TCPCLIENT" --family 6 \
			--connect "::ffff:$SERVER4" 9001 --expect-local "$SERVER4" whoami &&
		in_pool "$T_OUT" "$pool"
	stop_pid "$DAEMON"
	t_pass
done
