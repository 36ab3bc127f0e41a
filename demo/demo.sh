#!/usr/bin/env bash
# sock464 demonstration, self-contained and self-cleaning:
#
#   client namespace (IPv6 only) --- router (TAYGA NAT64) --- server (IPv4 only)
#
# An IPv4-literal client (curl, then a Python AF_INET program) fails on the
# IPv6-only client, then works once sock464-load serves its cgroup: on the
# kernel data path (the default where the kernel runs it: translated per
# packet, no relay), or `DATA_PATH=relay make demo` for the relays.
# Run as root after `make` (or just `make demo`).
set -uo pipefail
cd "$(dirname "$0")/.."
T_NO_RESULT=1	# a demonstration, not a test
. tests/lib/common.sh
. tests/lib/topo.sh
need_root
LOAD=$T_ROOT/build/sock464-load
[[ -x $LOAD ]] || { echo "build first: make" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# in_client WHERE CMD...: show and run CMD in the client namespace, in
# the served cgroup (WHERE=cgroup) or outside it (WHERE=outside).
in_client() {
	local where=$1 rc
	shift
	local shown="$*"
	[[ $1 == python3 ]] && shown="python3 -c '<an AF_INET client: connect, GET /, getsockname, getpeername>'"
	printf '$ %s    \033[2m(%s)\033[0m\n' "$shown" \
		"$([[ $where == cgroup ]] && echo "in the served cgroup" || echo "outside the cgroup")"
	if [[ $where == cgroup ]]; then
		run_in_cg "$CG" "$NS_C" "$@" 2>&1
	else
		run_in_ns "$NS_C" "$@" 2>&1
	fi
	rc=$?
	printf '\033[2m(exit %d)\033[0m\n' "$rc"
}

say "Building an IPv6-only client, a TAYGA NAT64 ($DEFAULT_PREFIX) and an IPv4-only server"
topo_up || exit 1
cg_create demo
echo "client namespace:  $NS_C   (addresses: $(ip -n "$NS_C" -br addr show | awk '{$2=""; print}' | tr -s ' ' | tr '\n' ';'))"
echo "IPv4 routes there: $(ip -n "$NS_C" -4 route show | wc -l)"
echo "IPv4 server:       $SERVER4 in $NS_S"
echo "served cgroup:     $CG"
WWW=$T_TMP/www
mkdir -p "$WWW"
echo "Hello from the IPv4-only server $SERVER4" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
wait_port "$NS_S" 0.0.0.0 80 || exit 1

PY='import socket
s = socket.socket(socket.AF_INET)
s.settimeout(5)
s.connect(("'"$SERVER4"'", 80))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
reply = b"".join(iter(lambda: s.recv(4096), b""))
print("AF_INET socket; getsockname() =", s.getsockname()[0], "getpeername() =", s.getpeername(), ";", reply.split(b"\r\n\r\n")[1].decode().strip())'

say "Without sock464: IPv4 literals fail on the IPv6-only client"
in_client cgroup curl -sS --max-time 5 "http://$SERVER4/"
in_client cgroup python3 -c "$PY"

say "Starting: sock464-load ${DP_ARGS[*]}${DP_ARGS[*]:+ }--cgroup $CG --pref64 $DEFAULT_PREFIX"
start_bg DAEMON nsenter_net "$NS_C" "$LOAD" "${DP_ARGS[@]}" --cgroup "$CG" --control "$T_TMP/control" \
	--pref64 "$DEFAULT_PREFIX"
wait_for 5 grep -q 'TCP relay on' "$DAEMON_LOG" || { cat "$DAEMON_LOG"; exit 1; }
sed 's/^/  sock464-load: /' "$DAEMON_LOG"

say "With sock464: the same commands work, carried over IPv6 to $(synth "$DEFAULT_PREFIX" "$SERVER4")"
in_client cgroup curl -sS --max-time 5 "http://$SERVER4/"
in_client cgroup python3 -c "$PY"

say "A process outside the cgroup is untouched"
in_client outside curl -sS --max-time 5 "http://$SERVER4/"

say "sock464ctl status: the data path of the namespace, and its counters"
"$T_ROOT/build/sock464ctl" --control "$T_TMP/control" status |
	grep -E '^(data path|xlat counters|counters):' | sed 's/^/  /'

say "Stopping sock464-load (SIGTERM): hooks detached, counters"
stop_pid "$DAEMON"
grep -E '^(counters|relay|udp|xlat counters):' "$DAEMON_LOG" | sed 's/^/  sock464-load: /'
say "Cleaning up (namespaces, TAYGA, cgroup)"
