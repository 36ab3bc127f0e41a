#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2153
# Containers (OCI hook): crun itself calls sock464-oci-hook at createRuntime
# and poststop; the daemon then serves each container in the container's own
# IPv6-only network namespace, with the container's own prefix, and frees
# everything when the container goes.  The daemon down: fail-open starts the
# container untranslated, fail-closed fails it.
#
# crun on this kind of host: the cgroup layout is hybrid (cgroup2 at
# /sys/fs/cgroup/unified), which crun refuses, so every crun call (and the
# daemon, so that the hook's cgroup paths mean the same to it) runs in one
# private mount namespace that has cgroup2 alone at /sys/fs/cgroup, with
# --cgroup-manager=disabled: a container then stays in the cgroup of the
# crun that started it, so crun is started from a subshell already placed
# in the container's test cgroup (the same for crun exec).  No rlimits in
# config.json (RLIMIT_MEMLOCK cannot be raised here).
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
. "$T_LIB_DIR/dns64.sh"
need_root
need_cmd tayga crun busybox python3 nsenter unshare bpftool ss unbound dig

LOAD=$T_ROOT/build/sock464-load
CTL=$T_ROOT/build/sock464ctl
HOOK=$T_ROOT/build/sock464-oci-hook
STATIC=$T_ROOT/build/tests/tcpstatic
[[ -x $LOAD && -x $CTL && -x $HOOK && -x $STATIC ]] ||
	t_bail "build first (make test-build; build/sock464-oci-hook)"

P0=$DEFAULT_PREFIX		# the daemon's own; TAYGA #0, pool ${POOLS[0]}
P1=2001:db8:248::/48		# containers that name it; TAYGA #1, pool ${POOLS[1]}
topo_up "$P0" "$P1" || t_bail "topology"
CG2=$(cg2_root) || t_bail "no cgroup2"

# ------------------------------------------------- the private mount namespace
# A holder process keeps it; crun and the daemon enter it by its PID.
start_bg MNTNS unshare --mount --propagation slave sh -c \
	'mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo ready && exec sleep 3600'
wait_for 5 grep -q ready "$MNTNS_LOG" || t_bail "private mount namespace: $(cat "$MNTNS_LOG")"
# The path of a cgroup (cg_create's host view) as the mount namespace shows it.
cgv() { echo "/sys/fs/cgroup${1#"$CG2"}"; }

CRUN=(crun --root "$T_TMP/crun" --cgroup-manager=disabled)
# crun_in CG ARGS...: crun, bounded, from a subshell placed in cgroup CG.
crun_in() {
	local cg=$1
	shift
	(
		trap - EXIT INT TERM HUP
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
		exec timeout 20 nsenter --mount="/proc/$MNTNS/ns/mnt" "${CRUN[@]}" "$@"
	)
}
# crun_out ARGS...: crun from the test shell's own cgroup (state, delete).
crun_out() { timeout 20 nsenter --mount="/proc/$MNTNS/ns/mnt" "${CRUN[@]}" "$@"; }

# ------------------------------------------------------------ the rootfs
ROOTFS=$T_TMP/rootfs
mkdir -p "$ROOTFS"/{bin,etc,proc,dev,sys,tmp} || t_bail "rootfs"
cp /bin/busybox "$STATIC" "$ROOTFS/bin/" || t_bail "rootfs: busybox, tcpstatic"
for l in sh wget nc sleep cat tftp; do ln -s busybox "$ROOTFS/bin/$l"; done
echo 'root:x:0:0:root:/:/bin/sh' >"$ROOTFS/etc/passwd"
echo 'nameserver 2001:db8:1::1' >"$ROOTFS/etc/resolv.conf"

# ------------------------------------------------ container network namespaces
# ctr_netns I VAR: an IPv6-only namespace s464-kI-PID linked to the router on
# 2001:db8:2:I::/64 (container ::2, router ::1), default route via the router.
ctr_netns() {
	local i=$1 ns=s464-k$1-$$ ifk=s4k$1-$$ ifr=s4rk$1-$$
	[[ -e /run/netns/$ns ]] && ip netns del "$ns"
	ip netns add "$ns" || return 1
	on_exit "ip netns del $ns 2>/dev/null"
	ip link add "$ifk" netns "$ns" type veth peer name "$ifr" netns "$NS_R" || return 1
	ns_sysctl "$ns" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		"net.ipv6.conf.$ifk.accept_dad=0" "net.ipv6.conf.$ifk.accept_ra=0" || return 1
	ip -n "$ns" link set lo up &&
		ip -n "$ns" addr add "2001:db8:2:$i::2/64" dev "$ifk" nodad &&
		ip -n "$ns" link set "$ifk" up &&
		ip -n "$ns" -6 route add default via "2001:db8:2:$i::1" dev "$ifk" &&
		ip -n "$NS_R" addr add "2001:db8:2:$i::1/64" dev "$ifr" nodad &&
		ip -n "$NS_R" link set "$ifr" up || return 1
	printf -v "$2" '%s' "$ns"
}

# ------------------------------------------------------------ containers
# ctr_config NAME NETNS "HOOK OPTIONS" "KEY=VALUE,...": the bundle
# $T_TMP/b-NAME, whose config.json has crun call the hook (with --control
# $T_TMP/control, then HOOK OPTIONS) at createRuntime and poststop; its
# process (sleep) runs as user and group $CTR_UID (default 0), in the root
# $CTR_ROOTFS (default $ROOTFS).  crun throws
# the hooks' stderr away unless run.oci.hooks.stderr names a file:
# $T_TMP/NAME.hook.log.
ctr_config() {
	mkdir -p "$T_TMP/b-$1" &&
	python3 - "$T_TMP/b-$1/config.json" "${CTR_ROOTFS:-$ROOTFS}" "/run/netns/$2" "$HOOK" \
		"$T_TMP/control" "$3" "run.oci.hooks.stderr=$T_TMP/$1.hook.log,$4" "${CTR_UID:-0}" <<-'EOF'
		import json, shlex, sys
		out, rootfs, netns, hook, control, opts, ann, uid = sys.argv[1:]
		def hook_entry(cmd):
		    return {"path": hook, "timeout": 30,
		            "args": ["sock464-oci-hook", "--control", control] + shlex.split(opts) + [cmd]}
		caps = ["CAP_NET_BIND_SERVICE"]
		cfg = {
		    "ociVersion": "1.0.2",
		    "process": {"terminal": False, "user": {"uid": int(uid), "gid": int(uid)},
		                "args": ["sleep", "300"], "env": ["PATH=/bin"], "cwd": "/",
		                "noNewPrivileges": True,
		                "capabilities": {k: caps for k in ("bounding", "effective", "permitted")}},
		    "root": {"path": rootfs, "readonly": True},
		    "hostname": "ctr",
		    "mounts": [
		        {"destination": "/proc", "type": "proc", "source": "proc"},
		        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		         "options": ["nosuid", "strictatime", "mode=755", "size=1024k"]},
		        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		         "options": ["nosuid", "nodev", "size=1024k"]}],
		    "hooks": {"createRuntime": [hook_entry("create")], "poststop": [hook_entry("delete")]},
		    "annotations": dict(a.split("=", 1) for a in ann.split(",") if a),
		    "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
		                             {"type": "mount"}, {"type": "network", "path": netns}],
		              "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
		              "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]},
		}
		json.dump(cfg, open(out, "w"), indent=1)
	EOF
}

# ctr_run NAME CG NETNS "HOOK OPTIONS" "ANNOTATIONS": crun run -d in cgroup
# CG; crun's (and the hook's) output in $T_TMP/NAME.run.log, crun's exit
# status returned.  Removal is registered first, so a half-started
# container goes too: call it from the test shell, never inside $(...).
ctr_run() {
	local name=$1 cg=$2
	ctr_config "$name" "$3" "$4" "$5" || return 1
	on_exit "crun_out delete -f $name >/dev/null 2>&1"
	crun_in "$cg" run -d --bundle "$T_TMP/b-$name" "$name" >"$T_TMP/$name.run.log" 2>&1
}

# ctr_exec NAME CG CMD...: run CMD in the container, from its cgroup
# (crun exec with cgroup-manager disabled leaves CMD in the caller's cgroup).
ctr_exec() {
	local name=$1 cg=$2
	shift 2
	crun_in "$cg" exec "$name" "$@"
}

ctl() { "$CTL" --control "$T_TMP/control" "$@"; }

# served NAME: the daemon lists container NAME (status --json).
served() {
	ctl status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if any(c["name"] == sys.argv[1] for c in s.get("containers", [])) else 1)' "$1"
}

# peer_in_pool OUTPUT POOL: tcpstatic's whoami line shows a peer in POOL.
peer_in_pool() {
	local peer
	peer=$(sed -n 's/.*peer=\([0-9.]*\):.*/\1/p' <<<"$1")
	[[ -n $peer ]] || { t_fail "no peer in '$(_t_tail "$1")'"; return 1; }
	python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
		"$peer" "$2" && return 0
	t_fail "the server saw $peer, not an address of the pool $2"
}

# relay_listens NETNS: the daemon's relays are in NETNS: a TCP socket
# listening on 127.46.0.1, and a UDP socket (nothing else there has one).
relay_listens() {
	[[ -n $(ip netns exec "$1" ss -Htln src 127.46.0.1) && -n $(ip netns exec "$1" ss -Huan) ]]
}
# relay_gone NETNS: neither is left.
relay_gone() {
	[[ -z $(ip netns exec "$1" ss -Htln src 127.46.0.1) && -z $(ip netns exec "$1" ss -Huan) ]]
}

# udp_aliases COOKIE: how many UDP destinations (sock464_udp_dst entries) of
# the daemon's maps belong to the network namespace COOKIE.
udp_aliases() {
	python3 - "$DAEMON" "$1" <<-'EOF'
		import glob, json, subprocess, sys
		pid, cookie = sys.argv[1], int(sys.argv[2])
		ids = set()
		for f in glob.glob("/proc/%s/fdinfo/*" % pid):
		    for line in open(f):
		        if line.startswith("map_id:"):
		            ids.add(int(line.split()[1]))
		maps = json.loads(subprocess.check_output(["bpftool", "-j", "map", "show"]))
		mid = [m["id"] for m in maps if m["id"] in ids and m.get("name") == "sock464_udp_dst"]
		entries = json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump", "id", str(mid[0])]))
		print(sum(1 for e in entries if e["formatted"]["key"]["netns"] == cookie))
	EOF
}

# cookie NAME: the network namespace cookie of served container NAME.
cookie() {
	ctl status --json | python3 -c '
import json, sys
print([c["netns_cookie"] for c in json.load(sys.stdin)["containers"] if c["name"] == sys.argv[1]][0])' "$1"
}

# ------------------------------------------------------------ the servers
WWW=$T_TMP/www
mkdir -p "$WWW"
echo "sock464-marker-$$" >"$WWW/index.html"
start_bg HTTP run_in_ns "$NS_S" python3 -u -m http.server 80 --bind 0.0.0.0 --directory "$WWW"
start_bg WHOAMI run_in_ns "$NS_S" python3 "$TCPSERV" --port 9001 --timeout 600 whoami
for p in 80 9001; do
	wait_port "$NS_S" 0.0.0.0 "$p" || t_bail "server on port $p did not start"
done

# ------------------------------------------------------------ the daemon
# In the client namespace and the private mount namespace; it serves an
# empty cgroup of its own (it needs one) and the containers it is given.
# Only the capabilities docs/containers.md lists for container hosts.
CAPS=-all,+bpf,+perfmon,+net_admin,+net_raw,+sys_admin,+sys_ptrace,+sys_resource
cg_create daemon CG_D
start_daemon() {
	start_bg DAEMON nsenter --mount="/proc/$MNTNS/ns/mnt" --net="/run/netns/$NS_C" \
		setpriv --bounding-set "$CAPS" --inh-caps -all \
		"$LOAD" "${DP_ARGS[@]}" --cgroup "$(cgv "$CG_D")" --control "$T_TMP/control" \
		--pref64 "$P0" -v
	wait_for 5 test -S "$T_TMP/control" && wait_for 5 ctl status
}
start_daemon || t_bail "daemon did not start: $(cat "$DAEMON_LOG")"

# ---------------------------------------------------------- the hook alone
t_begin "hook alone: bad input fails with one clear line"
expect_fail_rc 1 "$HOOK" --control "$T_TMP/control" create <<<'{"id": "x", "pid": ' &&
	assert_match "$T_ERR" "^sock464-oci-hook: create: the OCI state on stdin is not valid JSON" &&
	assert_eq 1 "$(wc -l <<<"$T_ERR")" "lines"
expect_fail_rc 1 "$HOOK" --control "$T_TMP/control" create <<<'{"pid": 1}' &&
	assert_contains "$T_ERR" 'no "id"'
expect_fail_rc 1 "$HOOK" --control "$T_TMP/control" create <<<'{"id": "x"}' &&
	assert_contains "$T_ERR" 'no "pid"'
expect_fail_rc 1 "$HOOK" --control "$T_TMP/control" create <<<'{"id": "x", "pid": 2147483646}' &&
	assert_contains "$T_ERR" "/proc/2147483646/cgroup: No such file or directory"
expect_fail_rc 2 "$HOOK" --pref64 2001:db8::/33 create </dev/null &&
	assert_contains "$T_ERR" "RFC 6052"
t_pass

t_begin "hook alone: annotations from BUNDLE/config.json when the state has none"
mkdir -p "$T_TMP/b-optout"
echo '{"annotations": {"io.sock464.enable": "false"}}' >"$T_TMP/b-optout/config.json"
# --fail-closed towards no daemon: exit 0 proves that it asked nobody.
assert_ok "$HOOK" --control "$T_TMP/none" --fail-closed create \
	<<<"{\"id\": \"optout\", \"pid\": $$, \"bundle\": \"$T_TMP/b-optout\"}"
t_pass

t_begin "hook alone: delete with nothing to free succeeds"
assert_ok "$HOOK" --control "$T_TMP/control" --fail-closed delete \
	<<<'{"id": "never-served", "status": "stopped"}' &&
	assert_eq "" "$T_ERR" "stderr (a container the daemon does not serve)"
assert_ok "$HOOK" --control "$T_TMP/none" --fail-closed delete \
	<<<'{"id": "never-served", "status": "stopped"}' &&
	assert_contains "$T_ERR" "nothing to free" "stderr (no daemon)"
t_pass

# ---------------------------------------------------------- one container
cg_create ctr CG_A
ctr_netns 1 NS_A || t_bail "container netns"

t_begin "crun calls the hook at createRuntime: the daemon serves the container"
ctr_run ctr-a-$$ "$CG_A" "$NS_A" "" "" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-a-$$.run.log")"
assert_ok served ctr-a-$$
assert_contains "$(ctl status)" "ctr-a-$$" "status" &&
	assert_contains "$(ctl status)" "$(cgv "$CG_A")" "status"
assert_ok relay_listens "$NS_A"
t_pass

t_begin "wget in the container reaches an IPv4 literal; the server sees TAYGA's pool"
assert_ok ctr_exec ctr-a-$$ "$CG_A" wget -q -O - "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-marker-$$"
wait_for "grep -q 'GET / ' $HTTP_LOG" 2
hit=$(grep 'GET / ' "$HTTP_LOG" | tail -n 1)
assert_ok python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
	"${hit%% *}" "${POOLS[0]}"
t_pass

t_begin "the container's AF_INET socket shows the IPv4 peer; the daemon's prefix"
assert_ok ctr_exec ctr-a-$$ "$CG_A" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
	assert_contains "$T_OUT" "local=$SERVER4:9001" &&
	peer_in_pool "$T_OUT" "${POOLS[0]}"
t_pass

t_begin "processes outside the container's cgroup, in its namespace, are untouched"
expect_fail run_in_ns "$NS_A" "$STATIC" "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
t_pass

# ------------------------------------------------- prefixes of their own
cg_create ctr CG_B
cg_create ctr CG_C
ctr_netns 2 NS_B || t_bail "container netns"
ctr_netns 3 NS_C2 || t_bail "container netns"

t_begin "annotation io.sock464.pref64 wins over the hook's --pref64 (a container of uid 65534)"
CTR_UID=65534 ctr_run ctr-b-$$ "$CG_B" "$NS_B" "--pref64 $P0" "io.sock464.pref64=$P1" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-b-$$.run.log")"
assert_ok ctr_exec ctr-b-$$ "$CG_B" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
	peer_in_pool "$T_OUT" "${POOLS[1]}"
t_pass

t_begin "the hook's --pref64 for a container without the annotation"
ctr_run ctr-c-$$ "$CG_C" "$NS_C2" "--pref64 $P1" "" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-c-$$.run.log")"
assert_ok ctr_exec ctr-c-$$ "$CG_C" tcpstatic "$SERVER4" 9001 &&
	peer_in_pool "$T_OUT" "${POOLS[1]}"
t_pass

t_begin "three containers at once, each with its own prefix"
assert_ok ctl status --json &&
	python3 -c '
import json, sys
s = json.load(sys.stdin)
got = {c["name"]: c["pref64"] for c in s["containers"]}
want = dict(a.split("=") for a in sys.argv[1:])
assert all(got.get(k) == v for k, v in want.items()), (got, want)' \
	"ctr-a-$$=$P0" "ctr-b-$$=$P1" "ctr-c-$$=$P1" <<<"$T_OUT" ||
	t_fail "status --json: $T_OUT"
assert_ok ctr_exec ctr-a-$$ "$CG_A" tcpstatic "$SERVER4" 9001 &&
	peer_in_pool "$T_OUT" "${POOLS[0]}"
assert_ok ctr_exec ctr-b-$$ "$CG_B" tcpstatic "$SERVER4" 9001 &&
	peer_in_pool "$T_OUT" "${POOLS[1]}"
t_pass

# ------------------------------------------------------------ removal
# As with systemd's cgroup manager, the container's cgroup is gone by the
# time poststop runs.
# A UDP destination first: busybox tftp sends from an AF_INET UDP socket
# (nothing answers on port 69; killed after 0.5 s).
if [[ $DP == relay ]]; then
	t_begin "UDP from the container maps its destination in the container's namespace"
else
	t_begin "UDP from the container is translated by the kernel path in its namespace"
fi
ctr_exec ctr-c-$$ "$CG_C" sh -c "tftp -g -r none $SERVER4 & sleep 0.5; kill \$!" >/dev/null 2>&1
COOKIE_C=$(cookie ctr-c-$$)
if [[ $DP == relay ]]; then
	n=$(udp_aliases "$COOKIE_C") && ((n >= 1)) ||
		t_fail "no UDP destination mapped for ctr-c-$$ (netns cookie '${COOKIE_C:-}', count '${n:-}')"
else	# no alias map: the datagram is counted for its cgroup, and no relay saw it
	ctl status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
c = s["cgroup_counters"][sys.argv[1]]
assert c["kernel_udp"] >= 1 and c["relay_udp"] == 0, c
assert s["udp"]["flows"] == 0, s["udp"]' "$(cgv "$CG_C")" ||
		t_fail "ctr-c-$$'s datagram not counted as kernel_udp: $(ctl status | grep -F "$(cgv "$CG_C")")"
fi
assert_match "$(ctl status)" "container ctr-c-$$: .*data path: $DP.* in its namespace"
t_pass

t_begin "crun delete: poststop unserves the container and frees its relay"
assert_ok crun_out kill ctr-c-$$ KILL
wait_for "crun_out state ctr-c-$$ | grep -q stopped" 5 && wait_for "rmdir $CG_C" 5 ||
	t_fail "container not stopped, or its cgroup not removable"
assert_ok crun_out delete ctr-c-$$
wait_for "! served ctr-c-$$" 5 || t_fail "still listed: $(ctl status)"
assert_not_contains "$(ctl status)" "ctr-c-$$" &&
	assert_not_contains "$(ctl status)" "$(cgv "$CG_C")" "status (its cgroup)"
assert_contains "$(cat "$DAEMON_LOG")" "no longer serving container ctr-c-$$"
assert_ok relay_gone "$NS_C2"
t_pass

t_begin "removal frees the container's UDP destinations in the maps"
assert_eq 0 "$(udp_aliases "$COOKIE_C")" "sock464_udp_dst entries of its namespace"
t_pass

t_begin "the other containers keep working"
assert_ok ctr_exec ctr-b-$$ "$CG_B" tcpstatic "$SERVER4" 9001 &&
	peer_in_pool "$T_OUT" "${POOLS[1]}"
assert_ok ctr_exec ctr-a-$$ "$CG_A" wget -q -O - "http://$SERVER4/" &&
	assert_contains "$T_OUT" "sock464-marker-$$"
t_pass

# ------------------------------------------------- its own DNS64 (issue 13)
# The container's resolv.conf names a DNS64 in its own namespace that
# synthesizes with P1; the host's /etc/resolv.conf names another resolver.
# At createRuntime /proc/PID/root is still the host's root, so the hook
# reads the container's resolv.conf from the bundle and passes it on.
cg_create ctr CG_N
ctr_netns 10 NS_N || t_bail "container netns"
dns64_up "$NS_N" ::1 "$P1" 300 || t_bail "DNS64 in the container's namespace"
ROOTFS_N=$T_TMP/rootfs-n
cp -a "$ROOTFS" "$ROOTFS_N" && echo 'nameserver ::1' >"$ROOTFS_N/etc/resolv.conf" ||
	t_bail "rootfs"
# container_prefix NAME: "PREFIX own" or "PREFIX fallback" from the status.
container_prefix() {
	ctl status --json | python3 -c '
import json, sys
c = [c for c in json.load(sys.stdin)["containers"] if c["name"] == sys.argv[1]][0]
print(c["pref64"], "own" if c["own_prefix"] else "fallback")' "$1"
}

t_begin "a container's prefix comes from the DNS64 its own resolv.conf names"
CTR_ROOTFS=$ROOTFS_N ctr_run ctr-n-$$ "$CG_N" "$NS_N" "" "" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-n-$$.run.log")"
wait_for "[[ \$(container_prefix ctr-n-$$) == '$P1 own' ]]" 10 ||
	t_fail "prefix: $(container_prefix ctr-n-$$); daemon: $(grep -i "ctr-n-$$" "$DAEMON_LOG" | tail -3)"
assert_contains "$(cat "$DAEMON_LOG")" "container ctr-n-$$: asking ::1 for ipv4only.arpa"
assert_ok ctr_exec ctr-n-$$ "$CG_N" tcpstatic "$SERVER4" 9001 &&
	peer_in_pool "$T_OUT" "${POOLS[1]}"
t_pass

# ------------------------------------------------------------ podman
# The hooks.d files themselves, as podman reads them (path and --control
# changed only); podman's state (storage, runroot) under $T_TMP.  crun runs
# the createRuntime hook, podman runs poststop itself at podman rm.  No
# image: --rootfs, the busybox root above.  No systemd: cgroupfs, no events.
# podman is installed by tests/deps.sh: missing, it is a failure, not a skip.
t_begin "podman with oci/hooks.d: an annotated container is served and freed at rm; an unannotated one is not served"
if ! command -v podman >/dev/null; then
	t_fail "podman not installed (tests/deps.sh installs Debian's podman)"
else
	mkdir -p "$T_TMP/hooks.d" "$T_TMP/pm" && cp -a "$ROOTFS" "$T_TMP/pm/rootfs" &&
		for f in "$T_ROOT"/oci/hooks.d/*.json; do
			python3 - "$f" "$T_TMP/hooks.d/${f##*/}" "$HOOK" "$T_TMP/control" <<-'EOF'
				import json, sys
				src, dst, hook, control = sys.argv[1:]
				h = json.load(open(src))
				h["hook"]["path"] = hook
				h["hook"]["args"][1:1] = ["--control", control]
				json.dump(h, open(dst, "w"))
			EOF
		done || t_fail "hooks.d copies"
	# No rlimits at all (the host refuses crun's setrlimit): no defaults
	# and --ulimit host.
	printf '[containers]\ndefault_ulimits = []\n' >"$T_TMP/pm/containers.conf"
	cg_create pm CG_M
	ctr_netns 9 NS_M || t_bail "container netns"
	PODMAN=(podman --root "$T_TMP/pm/root" --runroot "$T_TMP/pm/run" --tmpdir "$T_TMP/pm/tmp"
		--cgroup-manager=cgroupfs --events-backend=none --storage-driver=vfs
		--hooks-dir "$T_TMP/hooks.d")
	# pm_in CG ARGS...: podman from a subshell in cgroup CG (--cgroups=disabled
	# leaves conmon and the container there).
	pm_in() {
		local cg=$1
		shift
		(
			trap - EXIT INT TERM HUP
			echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
			CONTAINERS_CONF=$T_TMP/pm/containers.conf \
				exec timeout 30 nsenter --mount="/proc/$MNTNS/ns/mnt" "${PODMAN[@]}" "$@"
		)
	}
	on_exit "pm_in $CG_M rm -f -i -t 0 pm-on-$$ pm-off-$$ >/dev/null 2>&1"
	PM_RUN=(run -d --cgroups=disabled --ulimit host --network "ns:/run/netns/$NS_M")
	assert_ok pm_in "$CG_M" "${PM_RUN[@]}" --name pm-on-$$ --annotation io.sock464.enable=true \
		--rootfs "$T_TMP/pm/rootfs" sleep 300 &&
		PM_ID=$T_OUT &&
		assert_ok served "$PM_ID" &&
		assert_ok pm_in "$CG_M" exec pm-on-$$ tcpstatic "$SERVER4" 9001 &&
		assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
		peer_in_pool "$T_OUT" "${POOLS[0]}" &&
		assert_ok pm_in "$CG_M" rm -f -t 0 pm-on-$$ &&
		assert_ok wait_for "! served $PM_ID" 5 &&
		assert_ok relay_gone "$NS_M"
	# No annotation: podman does not call the hook at all, and the IPv4
	# literal is unreachable from the IPv6-only namespace.
	assert_ok pm_in "$CG_M" "${PM_RUN[@]}" --name pm-off-$$ --rootfs "$T_TMP/pm/rootfs" sleep 300 &&
		PM_ID=$T_OUT &&
		expect_fail served "$PM_ID" &&
		assert_ok relay_gone "$NS_M" &&
		expect_fail pm_in "$CG_M" exec pm-off-$$ tcpstatic "$SERVER4" 9001 &&
		assert_contains "$T_OUT" "ERR ENETUNREACH"
	t_pass
fi

# ------------------------------------------------------------ a pod
# Two containers in one network namespace (a pod: Kubernetes' pause
# container and the app, a podman pod), each in its own cgroup.
cg_create pod CG_P1
cg_create pod CG_P2
ctr_netns 4 NS_P || t_bail "pod netns"

t_begin "a pod: two containers in one network namespace, one removed"
ctr_run pod1-$$ "$CG_P1" "$NS_P" "" "" ||
	t_fail "crun run: $(cat "$T_TMP/pod1-$$.run.log")"
ctr_run pod2-$$ "$CG_P2" "$NS_P" "" "" ||
	t_fail "crun run: $(cat "$T_TMP/pod2-$$.run.log")"
assert_ok ctr_exec pod1-$$ "$CG_P1" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001"
assert_ok ctr_exec pod2-$$ "$CG_P2" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001"
assert_ok crun_out delete -f pod1-$$
wait_for "! served pod1-$$" 5 || t_fail "pod1 still listed"
assert_ok ctr_exec pod2-$$ "$CG_P2" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001"
t_pass

# --------------------------------------------------------- host network
cg_create ctr CG_H

t_begin "a container in the daemon's own network namespace (host network)"
ctr_run ctr-h-$$ "$CG_H" "$NS_C" "" "" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-h-$$.run.log" "$T_TMP/ctr-h-$$.hook.log")"
assert_ok ctr_exec ctr-h-$$ "$CG_H" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
	peer_in_pool "$T_OUT" "${POOLS[0]}"
t_pass

# ------------------------------------------------- opt-out, errors, no daemon
cg_create ctr CG_D1
cg_create ctr CG_E
cg_create ctr CG_F
cg_create ctr CG_G
ctr_netns 5 NS_D1 || t_bail "container netns"
ctr_netns 6 NS_E || t_bail "container netns"
ctr_netns 7 NS_F || t_bail "container netns"
ctr_netns 8 NS_G || t_bail "container netns"

t_begin "io.sock464.enable=false: the hook leaves the container alone"
ctr_run ctr-d-$$ "$CG_D1" "$NS_D1" "" "io.sock464.enable=false" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-d-$$.run.log")"
expect_fail served ctr-d-$$
expect_fail ctr_exec ctr-d-$$ "$CG_D1" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
t_pass

# The hook checks a prefix with the daemon's own parser (pref64_parse), so
# it refuses before asking.
t_begin "a prefix with bits past its length: crun fails, with the hook's message"
! ctr_run ctr-g-$$ "$CG_G" "$NS_G" "" "io.sock464.pref64=2001:db8:64::1/96" ||
	t_fail "crun run succeeded"
assert_contains "$(cat "$T_TMP/ctr-g-$$.run.log")" "error executing hook" &&
	assert_contains "$(cat "$T_TMP/ctr-g-$$.hook.log")" \
		"sock464-oci-hook: create ctr-g-$$: annotation io.sock464.pref64 '2001:db8:64::1/96': 2001:db8:64::1/96 is not an RFC 6052 prefix"
expect_fail served ctr-g-$$
t_pass

t_begin "daemon not running, --fail-open (the default): the container starts, with a warning"
ctr_run ctr-e-$$ "$CG_E" "$NS_E" "--control $T_TMP/none" "" ||
	t_fail "crun run: $(cat "$T_TMP/ctr-e-$$.run.log")"
assert_contains "$(cat "$T_TMP/ctr-e-$$.hook.log")" \
	"warning: create ctr-e-$$: cannot reach sock464-load at $T_TMP/none"
assert_match "$(crun_out state ctr-e-$$ 2>&1)" '"status": "running"'
t_pass

t_begin "daemon not running, --fail-closed: crun fails the container"
! ctr_run ctr-f-$$ "$CG_F" "$NS_F" "--control $T_TMP/none --fail-closed" "" ||
	t_fail "crun run succeeded"
assert_contains "$(cat "$T_TMP/ctr-f-$$.hook.log")" \
	"create ctr-f-$$: cannot reach sock464-load at $T_TMP/none"
[[ $(crun_out state ctr-f-$$ 2>&1) != *'"running"'* ]] ||
	t_fail "the container runs: $(crun_out state ctr-f-$$ 2>&1)"
[[ -z $(cat "$CG_F/cgroup.procs") ]] || t_fail "processes left in its cgroup"
t_pass

t_begin "a daemon restart serves the running containers again; one removed meanwhile is not"
stop_bg DAEMON
assert_contains "$(cat "$T_TMP/containers")" "ctr-b-$$ " "the file the daemon left"
# removed while no daemon runs: its poststop hook reaches nobody (fail-open)
assert_ok crun_out delete -f ctr-b-$$
start_daemon || t_fail "daemon did not start again: $(cat "$DAEMON_LOG")"
assert_ok served ctr-a-$$ &&
	assert_ok served pod2-$$ &&
	assert_ok served ctr-h-$$ &&
	expect_fail served ctr-b-$$ &&
	assert_contains "$(cat "$DAEMON_LOG")" "container ctr-b-$$: not served again" &&
	assert_not_contains "$(cat "$T_TMP/containers")" "ctr-b-$$ " "the file now"
assert_ok ctr_exec ctr-a-$$ "$CG_A" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001" &&
	peer_in_pool "$T_OUT" "${POOLS[0]}"
assert_ok ctr_exec ctr-h-$$ "$CG_H" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "PEER $SERVER4 9001"
t_pass

t_begin "the daemon stopped: served containers' connects fail, none is left half-served"
stop_bg DAEMON
expect_fail ctr_exec ctr-a-$$ "$CG_A" tcpstatic "$SERVER4" 9001 &&
	assert_contains "$T_OUT" "ERR ENETUNREACH"
[[ -z $(bpftool cgroup show "$CG_A" 2>&1) ]] ||
	t_fail "programs still attached to $CG_A"
assert_ok relay_gone "$NS_A"
t_pass
