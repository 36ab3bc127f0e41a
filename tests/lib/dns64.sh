# shellcheck shell=bash
# tests/lib/dns64.sh - a DNS64 resolver (Debian's unbound) for the PREF64
# discovery tests (RFC 7050).  Source after common.sh and topo.sh, then:
#
#	dns64_up "$NS_R" "$ROUTER6" 2001:db8:64::/96 [TTL]   # synthesizes
#	dns64_up "$NS_R" "$ROUTER6" --no-synthesis [TTL]     # plain resolver
#	dns64_restart 2001:db8:248::/48 [TTL]   # same place, another prefix
#	dns64_restart --no-synthesis [TTL]
#	dns64_down                              # optional: also on the cleanup stack
#
# unbound listens on ADDR port 53 (UDP and TCP) in namespace NS and serves
# ipv4only.arpa from an auth-zone of its own (SOA, NS, A 192.0.0.170 and
# 192.0.0.171, every record with TTL seconds, default 300) to its iterator
# (for-upstream: yes, for-downstream: no, fallback-enabled: no), so it never
# needs any other server.  With module-config "dns64 iterator" the dns64
# module synthesizes the AAAA answers from the A records under PREFIX (what a
# NAT64 network's resolver does); with --no-synthesis module-config is
# "iterator" only and an AAAA query gets NOERROR with no answer (NODATA), as
# from a resolver of a network without NAT64.
#
# Answers carry the zone's TTL: serve-original-ttl makes every answer, also
# one from the cache, show the TTL as the zone gave it, not a decremented
# one (so a client re-asking at 90% of it sees TTL again, not 10%); cached
# data expires after that TTL (cache-min-ttl 0, cache-max-ttl = TTL, which
# serve-original-ttl would override anyway).  Queries are logged
# (log-queries) to $DNS64_LOG: "info: CLIENT ipv4only.arpa. AAAA IN".
#
# dns64_up returns only when `dig @ADDR ipv4only.arpa AAAA`, run in NS,
# gives exactly the expected answer: the two WKAs synthesized under PREFIX
# (RFC 6052) with the TTL, or NODATA with --no-synthesis.  It starts unbound
# with start_bg (cleanup registered), so call it from the test shell itself,
# never inside $(...).  Needs unbound and dig (dnsutils).
#
# Set after dns64_up: DNS64_PID DNS64_LOG DNS64_NS DNS64_ADDR DNS64_PREFIX
# ("" with --no-synthesis) DNS64_TTL; DNS64_N counts the instances started.

[[ -n ${_T_DNS64_LOADED:-} ]] && return 0
_T_DNS64_LOADED=1
# shellcheck source-path=SCRIPTDIR source=common.sh
[[ -n ${_T_COMMON_LOADED:-} ]] || . "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DNS64_WKA1=192.0.0.170
DNS64_WKA2=192.0.0.171
DNS64_N=0
DNS64_PID=""

# dns64_up NS ADDR PREFIX/LEN|--no-synthesis [TTL]
dns64_up() {
	local ns=$1 addr=$2 prefix=$3 ttl=${4:-300} dir conf modules var
	if (($# < 3)); then
		t_log "usage: dns64_up NS ADDR PREFIX/LEN|--no-synthesis [TTL]"
		return 1
	fi
	if [[ -n $DNS64_PID ]] && _t_alive "$DNS64_PID"; then
		t_log "dns64_up: a resolver runs already (pid $DNS64_PID): use dns64_restart"
		return 1
	fi
	[[ $ttl =~ ^[0-9]+$ ]] || { t_log "dns64_up: bad TTL '$ttl'"; return 1; }
	if [[ $prefix == --no-synthesis ]]; then
		prefix=""
		modules="iterator"
	else
		python3 "$T_TOOLS_DIR/rfc6052.py" check "$prefix" ||
			{ t_log "dns64_up: $prefix is not an RFC 6052 prefix"; return 1; }
		modules="dns64 iterator"
	fi
	DNS64_N=$((DNS64_N + 1))
	dir=$T_TMP/dns64-$DNS64_N
	conf=$dir/unbound.conf
	mkdir -p "$dir" || return 1
	cat >"$dir/ipv4only.arpa.zone" <<-EOF
		\$ORIGIN ipv4only.arpa.
		\$TTL $ttl
		@	IN SOA	ns.ipv4only.arpa. hostmaster.ipv4only.arpa. 1 3600 600 86400 $ttl
		@	IN NS	ns.ipv4only.arpa.
		@	IN A	$DNS64_WKA1
		@	IN A	$DNS64_WKA2
	EOF
	cat >"$conf" <<-EOF
		server:
		    interface: $addr
		    port: 53
		    do-ip4: yes
		    do-ip6: yes
		    do-udp: yes
		    do-tcp: yes
		    access-control: ::/0 allow
		    access-control: 0.0.0.0/0 allow
		    chroot: ""
		    username: ""
		    directory: "$dir"
		    pidfile: "$dir/unbound.pid"
		    use-syslog: no
		    logfile: ""
		    verbosity: 1
		    log-queries: yes
		    num-threads: 1
		    so-reuseport: no
		    do-daemonize: no
		    module-config: "$modules"
		    ${prefix:+dns64-prefix: $prefix}
		    serve-original-ttl: yes
		    cache-max-ttl: $ttl
		    cache-min-ttl: 0
		    cache-max-negative-ttl: $ttl
		    prefetch: no
		    qname-minimisation: no
		    harden-glue: yes
		auth-zone:
		    name: "ipv4only.arpa."
		    zonefile: "$dir/ipv4only.arpa.zone"
		    for-upstream: yes
		    for-downstream: no
		    fallback-enabled: no
	EOF
	unbound-checkconf "$conf" >"$dir/checkconf.log" 2>&1 ||
		{ t_log "dns64_up: unbound-checkconf: $(cat "$dir/checkconf.log")"; return 1; }
	var=DNS64_UNBOUND_$DNS64_N
	start_bg "$var" run_in_ns "$ns" unbound -d -c "$conf"
	DNS64_PID=${!var}
	var=${var}_LOG
	DNS64_LOG=${!var}
	DNS64_NS=$ns
	DNS64_ADDR=$addr
	DNS64_PREFIX=$prefix
	DNS64_TTL=$ttl
	if ! wait_for 10 dns64_check; then
		t_log "dns64_up: unbound at $addr does not give the expected answer:" \
			"$(dns64_dig AAAA 2>&1 | tr '\n' ' ')" "log: $(tail -n 5 "$DNS64_LOG" | tr '\n' ' ')"
		return 1
	fi
	t_log "dns64_up: unbound pid $DNS64_PID on [$addr]:53 in $ns," \
		"${prefix:-no synthesis}, TTL $ttl"
}

# dns64_down: stop the resolver (safe if none runs).
dns64_down() {
	[[ -n $DNS64_PID ]] && stop_pid "$DNS64_PID"
	DNS64_PID=""
}

# dns64_restart PREFIX/LEN|--no-synthesis [TTL]: the resolver again, at the
# same place, with another prefix (a fresh cache).  Call it from the test
# shell itself.
dns64_restart() {
	if [[ -z ${DNS64_NS:-} ]]; then
		t_log "dns64_restart: no dns64_up before"
		return 1
	fi
	dns64_down
	dns64_up "$DNS64_NS" "$DNS64_ADDR" "$@"
}

# dns64_dig [QTYPE]: ask the resolver (from its own namespace) for
# ipv4only.arpa QTYPE (default AAAA); dig's short answer with TTLs.
dns64_dig() {
	ip netns exec "$DNS64_NS" dig +time=1 +tries=2 +noall +answer +comments \
		@"$DNS64_ADDR" ipv4only.arpa "${1:-AAAA}"
}

# dns64_expected: the AAAA answer lines expected from the resolver now,
# "TTL ADDRESS" sorted; nothing with --no-synthesis.
dns64_expected() {
	[[ -n $DNS64_PREFIX ]] || return 0
	local a
	for a in "$DNS64_WKA1" "$DNS64_WKA2"; do
		echo "$DNS64_TTL $(python3 "$T_TOOLS_DIR/rfc6052.py" synth "$DNS64_PREFIX" "$a")"
	done | sort
}

# dns64_check: the resolver answers ipv4only.arpa AAAA exactly as it should
# (status NOERROR; the synthesized WKAs with the zone's TTL, or no answer).
dns64_check() {
	local out got
	out=$(dns64_dig AAAA) || return 1
	[[ $out == *"status: NOERROR"* ]] || return 1
	got=$(awk '$1 == "ipv4only.arpa." && $4 == "AAAA" {print $2, $5}' <<<"$out" | sort)
	[[ $got == "$(dns64_expected)" ]]
}
