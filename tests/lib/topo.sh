# shellcheck shell=bash disable=SC2015
# tests/lib/topo.sh - the three-namespace NAT64 topology (see docs/testing.md).
#
#   client (IPv6-only) --veth-- router (TAYGA x N) --veth-- server (IPv4-only)
#
# Source after common.sh, then:
#
#	topo_up                          # one NAT64, prefix $DEFAULT_PREFIX
#	topo_up 2001:db8:64::/96 $NSP_ALL_LENGTHS   # one TAYGA per prefix
#	dst6=$(synth "$DEFAULT_PREFIX" "$SERVER4")
#	run_in_ns "$NS_C" curl "http://[$dst6]:8080/"
#	topo_down                        # optional: also on the cleanup stack
#
# Exported after topo_up:
#   NS_C NS_R NS_S        namespace names (unique per run: suffix $$)
#   IF_C IF_RC IF_RS IF_S veth names (client, router->client,
#                         router->server, server)
#   CLIENT6=2001:db8:1::2 ROUTER6=2001:db8:1::1
#   ROUTER4=198.51.100.1  SERVER4=198.51.100.10  SERVER4_ALT=203.0.113.10
#   SERVER4_ALL           the server's 50 addresses 198.51.100.10..59
#   PREFIXES              the NAT64 prefixes, space separated, in order
#   TUNS                  their TAYGA tun devices (array, same order)
#   POOLS                 their dynamic pools (array, same order)
#   TAYGA_PIDS            the TAYGA daemons (array, same order)

[[ -n ${_T_TOPO_LOADED:-} ]] && return 0
_T_TOPO_LOADED=1
# shellcheck source-path=SCRIPTDIR source=common.sh
[[ -n ${_T_COMMON_LOADED:-} ]] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEFAULT_PREFIX=${SOCK464_TEST_PREFIX:-2001:db8:64::/96}
CLIENT6=2001:db8:1::2
ROUTER6=2001:db8:1::1
ROUTER4=198.51.100.1
SERVER4=198.51.100.10
SERVER4_ALT=203.0.113.10
SERVER4_ALL=$(for i in $(seq 10 59); do printf '198.51.100.%d ' "$i"; done)
SERVER4_ALL=${SERVER4_ALL% }
# One network-specific prefix of each RFC 6052 length, disjoint, none
# containing the client.  2001:db8::/32 is the only /32 of 2001:db8::/32 and
# would contain the client, so the /32 comes from 3fff::/20 (RFC 9637, also
# reserved for documentation).
NSP_ALL_LENGTHS="3fff:64::/32 2001:db8:100::/40 2001:db8:248::/48 2001:db8:256:5600::/56 2001:db8:264:6400::/64 2001:db8:296:9600::/96"
export NSP_ALL_LENGTHS
export CLIENT6 ROUTER6 ROUTER4 SERVER4 SERVER4_ALT SERVER4_ALL DEFAULT_PREFIX

_T_TOPO_UP=0
_T_TOPO_ID=$$

# synth PREFIX/LEN IPV4: print the RFC 6052 address (all six lengths).
synth() { python3 "$T_TOOLS_DIR/rfc6052.py" synth "$1" "$2"; }

# extract PREFIX/LEN IPV6: print the embedded IPv4 address.
extract() { python3 "$T_TOOLS_DIR/rfc6052.py" extract "$1" "$2"; }

# ns_sysctl NS KEY=VALUE...: set sysctls inside a namespace, quietly.
ns_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

# _topo_pool I N: the dynamic pool of TAYGA instance I (0-based) of N,
# carved out of 192.0.2.0/24 (/27 each for up to 8, /28 for up to 16).
_topo_pool() {
	local i=$1 n=$2 len=27 size=32
	if ((n > 8)); then len=28; size=16; fi
	echo "192.0.2.$((i * size))/$len"
}

# topo_up [PREFIX/LEN ...]: build the namespaces and start one TAYGA per
# prefix (default $DEFAULT_PREFIX, 2001:db8:64::/96).  Returns 1 on any
# error; the partial state is still removed by topo_down (registered on the
# cleanup stack before anything is created).  Call it from the test shell
# itself, never inside $(...).
topo_up() {
	local prefixes=("$@") p i n id=$_T_TOPO_ID
	((${#prefixes[@]})) || prefixes=("$DEFAULT_PREFIX")
	n=${#prefixes[@]}
	if ((_T_TOPO_UP)); then
		t_log "topo_up: topology already up"
		return 1
	fi
	if ((n > 16)); then
		t_log "topo_up: at most 16 NAT64 prefixes"
		return 1
	fi
	local pings
	pings=$(_topo_check_prefixes "${prefixes[@]}") || return 1

	NS_C=s464-c-$id
	NS_R=s464-r-$id
	NS_S=s464-s-$id
	IF_C=s4c-$id
	IF_RC=s4rc-$id
	IF_RS=s4rs-$id
	IF_S=s4s-$id
	PREFIXES="${prefixes[*]}"
	TUNS=()
	POOLS=()
	TAYGA_PIDS=()
	_T_TOPO_DIR=$T_TMP/topo
	export NS_C NS_R NS_S IF_C IF_RC IF_RS IF_S PREFIXES
	_T_TOPO_UP=1
	_T_TOPO_BORN=$(_t_now_ticks)
	on_exit topo_down
	mkdir -p "$_T_TOPO_DIR" || return 1

	t_log "topo_up: $NS_C | $NS_R | $NS_S, prefixes: $PREFIXES"
	# Same names exist only if an earlier run with our PID was SIGKILLed.
	for p in "$NS_C" "$NS_R" "$NS_S"; do
		if [[ -e /run/netns/$p ]]; then
			t_log "topo_up: removing stale netns $p of a dead run"
			ip netns del "$p"
		fi
	done
	ip netns add "$NS_C" && ip netns add "$NS_R" && ip netns add "$NS_S" ||
		{ t_log "topo_up: ip netns add failed"; return 1; }

	# Both ends of each veth are created directly inside the namespaces,
	# so nothing ever appears in the host's namespace.
	ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_RC" netns "$NS_R" &&
	ip link add "$IF_S" netns "$NS_S" type veth peer name "$IF_RS" netns "$NS_R" ||
		{ t_log "topo_up: veth creation failed"; return 1; }

	# Client: IPv6 only, static routes.  DAD off before the link comes up,
	# so that the link-local and global addresses are usable at once.
	# accept_ra=0: a test that sends RAs and wants the kernel to process
	# them (RTM_NEWNDUSEROPT for PREF64) sets accept_ra=1 on $IF_C itself.
	ns_sysctl "$NS_C" net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		"net.ipv6.conf.$IF_C.accept_dad=0" \
		"net.ipv6.conf.$IF_C.accept_ra=0" || return 1
	ip -n "$NS_C" link set lo up &&
	ip -n "$NS_C" addr add "$CLIENT6/64" dev "$IF_C" nodad &&
	ip -n "$NS_C" link set "$IF_C" up &&
	ip -n "$NS_C" -6 route add default via "$ROUTER6" dev "$IF_C" ||
		{ t_log "topo_up: client setup failed"; return 1; }

	# Router: forwarding both ways.
	ns_sysctl "$NS_R" net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		"net.ipv6.conf.$IF_RC.accept_dad=0" \
		net.ipv6.conf.all.forwarding=1 \
		net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_R" link set lo up &&
	ip -n "$NS_R" addr add "$ROUTER6/64" dev "$IF_RC" nodad &&
	ip -n "$NS_R" addr add "$ROUTER4/24" dev "$IF_RS" &&
	ip -n "$NS_R" link set "$IF_RC" up &&
	ip -n "$NS_R" link set "$IF_RS" up &&
	ip -n "$NS_R" route add "${SERVER4_ALT%.*}.0/24" via "$SERVER4" ||
		{ t_log "topo_up: router setup failed"; return 1; }

	# Server: IPv4 only, 198.51.100.10-59 and 203.0.113.10.
	ns_sysctl "$NS_S" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1
	{
		echo "link set lo up"
		for p in $SERVER4_ALL; do echo "addr add $p/24 dev $IF_S"; done
		echo "addr add $SERVER4_ALT/24 dev $IF_S"
		echo "link set $IF_S up"
		echo "route add default via $ROUTER4"
	} | ip -n "$NS_S" -batch - ||
		{ t_log "topo_up: server setup failed"; return 1; }

	for ((i = 0; i < n; i++)); do
		_topo_tayga "$i" "$n" "${prefixes[i]}" || return 1
	done

	# Ready when every NAT64 answers a ping to the server through it (the
	# first one takes about a second: link-watch activates new links late).
	for p in $pings; do
		if ! wait_for 10 ip netns exec "$NS_C" busybox ping -6 -c 1 -W 2 "$p"; then
			t_log "topo_up: no ping reply from $p"
			return 1
		fi
	done
	t_log "topo_up: ready"
}

# _topo_check_prefixes PREFIX/LEN...: check that each is a valid RFC 6052
# prefix TAYGA 0.9.2 can serve in this topology; print, one per line, the
# address of $SERVER4 through each (for the readiness pings).
_topo_check_prefixes() {
	python3 - "$T_TOOLS_DIR" "$CLIENT6" "$SERVER4" "$@" <<-'EOF'
		import ipaddress, sys
		sys.dont_write_bytecode = True
		sys.path.insert(0, sys.argv[1])
		import rfc6052
		client, server = ipaddress.IPv6Address(sys.argv[2]), sys.argv[3]
		for p in sys.argv[4:]:
		    try:
		        rfc6052.parse_prefix(p)
		    except ValueError as e:
		        sys.exit("topo_up: %s" % e)
		    net = ipaddress.IPv6Network(p)
		    if net.network_address.packed[0] == 0:
		        sys.exit("topo_up: %s: TAYGA 0.9.2 rejects IPv6 addresses whose"
		                 " first byte is 0 (the WKP 64:ff9b::/96 works only with"
		                 " global IPv4, 64:ff9b:1::/48 never); use a prefix in"
		                 " 2001:db8::/32" % p)
		    if client in net:
		        sys.exit("topo_up: %s contains the client %s: TAYGA would take the"
		                 " client's source as IPv4-embedded and drop it" % (p, client))
		    print(rfc6052.synth(p, server))
	EOF
}

# _topo_tayga I N PREFIX: configure and start TAYGA instance I of N.
_topo_tayga() {
	local i=$1 n=$2 prefix=$3 dir tun pool v4 conf pid log
	dir=$_T_TOPO_DIR/tayga-$i
	tun=s4t$i-$_T_TOPO_ID
	pool=$(_topo_pool "$i" "$n")
	v4=${pool%/*}
	v4=${v4%.*}.$((${v4##*.} + 1))	# first usable address of the pool
	conf=$dir/tayga.conf
	mkdir -p "$dir" || return 1
	cat >"$conf" <<-EOF
		tun-device $tun
		ipv4-addr $v4
		prefix $prefix
		dynamic-pool $pool
		data-dir $dir
	EOF
	TUNS+=("$tun")
	POOLS+=("$pool")
	ip netns exec "$NS_R" tayga --mktun -c "$conf" >"$dir/mktun.log" 2>&1 ||
		{ t_log "tayga --mktun failed: $(cat "$dir/mktun.log")"; return 1; }
	ip -n "$NS_R" link set "$tun" up &&
	ip -n "$NS_R" -6 route add "$prefix" dev "$tun" &&
	ip -n "$NS_R" route add "$pool" dev "$tun" ||
		{ t_log "topo_up: $tun setup failed"; return 1; }
	start_bg "_TAYGA_$i" ip netns exec "$NS_R" tayga --config "$conf" --nodetach
	pid=_TAYGA_$i
	log=_TAYGA_${i}_LOG
	TAYGA_PIDS+=("${!pid}")
	# A persistent tun has no carrier until the daemon attaches to it.
	if ! wait_for 5 _topo_carrier "$tun"; then
		t_log "tayga $i did not attach to $tun: $(cat "${!log}" 2>/dev/null)"
		return 1
	fi
}

_topo_carrier() {
	[[ $(ip netns exec "$NS_R" cat "/sys/class/net/$1/carrier" 2>/dev/null) == 1 ]]
}

# topo_down: stop the TAYGA daemons and any process we started that still
# lives in our namespaces (a descendant of the test shell, or younger than
# the topology), then delete tun devices and namespaces.  Idempotent.
topo_down() {
	local pid ns tun
	((_T_TOPO_UP)) || return 0
	_T_TOPO_UP=0
	for pid in "${TAYGA_PIDS[@]}"; do stop_pid "$pid"; done
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		[[ -e /run/netns/$ns ]] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			if _t_is_ours "$pid" "$_T_TOPO_BORN" || _t_pid_in_list "$pid"; then
				t_log "topo_down: stopping pid $pid left in $ns"
				stop_pid "$pid"
			else
				t_log "topo_down: foreign pid $pid in $ns, not touched"
			fi
		done
	done
	for tun in "${TUNS[@]}"; do
		ip -n "$NS_R" link del "$tun" 2>/dev/null
	done
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		[[ -e /run/netns/$ns ]] && ip netns del "$ns"
	done
	t_log "topo_down: done"
	return 0
}

# topo_leftovers [ID]: print anything of the topology of run ID (default:
# this one, $$) still present (namespaces, interfaces, TAYGA processes);
# empty output means clean.
topo_leftovers() {
	local id=${1:-$_T_TOPO_ID}
	ip netns list | awk -v id="$id" '$1 ~ ("^s464-[crs]-" id "$") {print "netns " $1}'
	ip -o link show | awk -F': ' -v id="$id" '$2 ~ ("-" id "(@|$)") {print "link " $2}'
	pgrep -a -x tayga | awk -v id="$id" 'index($0, "." id ".") {print "process " $0}'
	return 0
}

# topo_sweep: remove what runs killed with SIGKILL left behind: s464-*
# namespaces and empty sock464-test-* cgroups whose run (the PID in the
# name) is gone.  Processes are never killed, only reported.
topo_sweep() {
	local ns id cg root pid
	for ns in $(ip netns list | awk '$1 ~ /^s464-[crs]-[0-9]+$/ {print $1}'); do
		id=${ns##*-}
		kill -0 "$id" 2>/dev/null && continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			t_log "topo_sweep: pid $pid still runs in $ns (not killed)"
		done
		t_log "topo_sweep: deleting netns $ns"
		ip netns del "$ns"
	done
	root=$(cg2_root) || return 0
	for cg in "$root"/sock464-test-*-[0-9]*-[0-9]*; do
		[[ -d $cg ]] || continue
		id=${cg%-*}
		id=${id##*-}
		kill -0 "$id" 2>/dev/null && continue
		if [[ -s $cg/cgroup.procs ]]; then
			t_log "topo_sweep: $cg still has processes: $(tr '\n' ' ' <"$cg/cgroup.procs")"
		else
			t_log "topo_sweep: removing $cg"
			rmdir "$cg"
		fi
	done
	return 0
}

# peer_up VAR NS ADDR6...: a namespace of its own (its name put in $VAR,
# s464-pN-PID; removed at exit) joined to namespace NS by a veth pair
# (s4pN-PID in NS with $PEER_LOCAL6/64, s4qN-PID there with $PEER_GW6/64),
# holding ADDR6.../128 on its loopback, and NS's default IPv6 route via it.
# For a "server" on the addresses a prefix synthesizes without a NAT64: on
# NS's own lo the kernel data path cannot reach them (it translates on an
# uplink, and a local destination has none), through this link both data
# paths do.  Returns when NS reaches $PEER_GW6.
PEER_LOCAL6=2001:db8:fe::1
PEER_GW6=2001:db8:fe::2
peer_up() {
	local var=$1 ns=$2 n peer a i
	shift 2
	_T_NPEER=$((${_T_NPEER:-0} + 1))
	n=$_T_NPEER
	peer=s464-p$n-$$
	ip netns add "$peer" || return 1
	on_exit "ip netns del $peer"
	printf -v "$var" '%s' "$peer"
	for i in "$ns" "$peer"; do
		ns_sysctl "$i" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 || return 1
	done
	ip -n "$ns" link add "s4p$n-$$" type veth peer name "s4q$n-$$" netns "$peer" &&
		ip -n "$ns" addr add "$PEER_LOCAL6/64" dev "s4p$n-$$" nodad &&
		ip -n "$peer" addr add "$PEER_GW6/64" dev "s4q$n-$$" nodad &&
		ip -n "$ns" link set "s4p$n-$$" up && ip -n "$peer" link set "s4q$n-$$" up &&
		ip -n "$peer" link set lo up &&
		ip -n "$ns" -6 route add default via "$PEER_GW6" || return 1
	for a; do
		ip -n "$peer" addr add "$a/128" dev lo nodad || return 1
	done
	wait_for 10 ip netns exec "$ns" ping -6 -c 1 -W 1 "$PEER_GW6" >/dev/null ||
		{ t_log "peer_up: $ns does not reach $PEER_GW6"; return 1; }
}
