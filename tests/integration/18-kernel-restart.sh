#!/usr/bin/env bash
# Established kernel-path connections across a restart of the daemon
# (issue 12): with --pin, a paced download keeps going while no daemon
# runs, across SIGTERM + start and SIGKILL + start, and arrives whole
# (SHA-256); the new daemon adopts the pinned tcx links or the clsact
# filters, the rules and the sysctls without duplicates; --purge then
# leaves nothing of sock464.  Without --pin, a restart ends the connection.
# TC_ATTACH=tcx|clsact (default auto) chooses the attachment:
# `TC_ATTACH=clsact tests/run 18-kernel-restart.sh`.
. "$(dirname "$0")/../lib/common.sh"
. "$T_LIB_DIR/topo.sh"
need_root
need_cmd tayga python3 ip tc sysctl

TCTOOL=$T_ROOT/build/tests/tctool
[[ -x $TCTOOL ]] || t_bail "build first (make test-build)"

# bpffs, mounted for the test if the host has none (and unmounted after).
if ! findmnt -t bpf /sys/fs/bpf >/dev/null; then
	mount -t bpf bpf /sys/fs/bpf || t_bail "cannot mount bpffs"
	on_exit "umount /sys/fs/bpf"
fi
PIN=/sys/fs/bpf/sock464-test-restart-$$
on_exit "rm -rf $PIN"
topo_up || t_bail "topology"
cg_create krestart
. "$T_LIB_DIR/kpath.sh"
CONTROL=$KPATH_CONTROL
MODE=${TC_ATTACH:-auto}

start_daemon() { kpath_daemon "$@"; }
# sock464's attachments: "clsact filters + tcx links" on lo egress and the uplink's ingress.
attachments() {
	run_in_ns "$NS_C" sh -c "'$TCTOOL' list lo egress sock464_xlat_;
		'$TCTOOL' list $IF_C ingress sock464_xlat_" |
		awk '/^clsact / {f++} /^tcx [0-9]/ {t += $2} END {print f + 0 " filters, " t + 0 " links"}'
}
rules464() { run_in_ns "$NS_C" ip -4 rule | grep -c 'lookup 464'; }

# The server: a paced source (RATE bytes/s) that keeps sending until
# $T_TMP/finish exists, reads what the client sends meanwhile, and says
# "SENT bytes sha256" or "ERR ..." when it ends.
cat >"$T_TMP/pacer.py" <<'EOF'
import hashlib, os, socket, sys, threading, time
port, rate, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port)); srv.listen(8)
print("LISTENING", flush=True)
def serve(c):
    h, sent, block, t0 = hashlib.sha256(), 0, 16384, time.monotonic()
    def drain():
        try:
            while c.recv(4096): pass
        except OSError: pass
    threading.Thread(target=drain, daemon=True).start()
    try:
        while not os.path.exists(flag) or sent < 4 * rate:
            data = os.urandom(block); c.sendall(data); h.update(data); sent += block
            ahead = sent / rate - (time.monotonic() - t0)
            if ahead > 0: time.sleep(ahead)
        c.shutdown(socket.SHUT_WR)
        print("SENT", sent, h.hexdigest(), flush=True)
    except OSError as e:
        print("ERR", e, flush=True)
    time.sleep(1); c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
# The client (AF_INET, in the served cgroup): reads to EOF, sends a byte
# every 0.2 s (so that a dead connection is noticed), keeps the byte count
# in PROGRESS; "GOT bytes sha256", or "ERR name" when it fails.
cat >"$T_TMP/fetch.py" <<'EOF'
import errno, hashlib, os, socket, sys, time
host, port, progress = sys.argv[1], int(sys.argv[2]), sys.argv[3]
h, got, last = hashlib.sha256(), 0, 0
def note(n):	# never seen half written
    open(progress + ".new", "w").write(str(n)); os.replace(progress + ".new", progress)
try:
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(0.2)
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            d = None
        if d == b"":
            break
        if d:
            h.update(d); got += len(d)
        if time.monotonic() - last > 0.2:
            s.send(b"."); last = time.monotonic()
            note(got)
        if d is None and time.monotonic() - last > 15:
            raise OSError(errno.ETIMEDOUT, "stalled")
    print("GOT", got, h.hexdigest(), flush=True)
except OSError as e:
    note(got)
    print("ERR", errno.errorcode.get(e.errno, e), got, flush=True)
    sys.exit(1)
EOF
RATE=6000000	# 6 MB/s, at least 24 MB (4 s): a restart cycle is a few s of it
start_bg PACER run_in_ns "$NS_S" python3 "$T_TMP/pacer.py" 9005 "$RATE" "$T_TMP/finish"
wait_port "$NS_S" 0.0.0.0 9005 || t_bail "server"
progress() { cat "$T_TMP/progress" 2>/dev/null || echo 0; }
# moving: the download's byte count grows within 3 s (counted from 0.5 s
# on, so that what arrived before is not taken for progress).
moving() {
	local a b
	sleep 0.5
	a=$(progress)
	wait_for 3 "[ \"\$(cat $T_TMP/progress)\" -gt $a ]" || return 1
	b=$(progress)
	t_log "download at $b bytes (was $a)"
}
# start_fetch: a download from the served cgroup, in the background.
start_fetch() {
	rm -f "$T_TMP/finish" "$T_TMP/progress"
	start_bg FETCH run_in_cg "$CG" "$NS_C" python3 "$T_TMP/fetch.py" "$SERVER4" 9005 \
		"$T_TMP/progress"
	wait_for 10 "[ -s $T_TMP/progress ]" && moving
}
# finish_fetch: let the server end; the client's and the server's lines.
finish_fetch() {
	touch "$T_TMP/finish"
	wait_for 30 "! kill -0 $FETCH 2>/dev/null"
	wait "$FETCH" 2>/dev/null
	t_log "client: $(cat "$FETCH_LOG"); server: $(grep -v LISTENING "$PACER_LOG" | tail -n 1)"
}
# A new connect while no daemon runs (the hooks went with it): ENETUNREACH.
refused_meanwhile() {
	assert_ok run_in_cg "$CG" "$NS_C" python3 -c "
import socket, errno
try:
    socket.create_connection(('$SERVER4', 9005), timeout=5); print('CONNECTED')
except OSError as e:
    print(errno.errorcode.get(e.errno, e))" && assert_eq "ENETUNREACH" "$T_OUT" "new connect"
}

BEFORE=$(ns_state)
start_daemon --pin "$PIN" || t_bail "daemon"

t_begin "with --pin: the tcx links are pinned (tcx) or the filters added (clsact)"
assert_contains "$(cat "$DAEMON_LOG")" "data path: kernel" &&
	case $MODE in
	clsact) assert_eq "2 filters, 0 links" "$(attachments)" "attachments" ;;
	*) assert_eq "0 filters, 2 links" "$(attachments)" "attachments" &&
		compgen -G "$PIN/xlat/link_*_lo_egress" >/dev/null ||
			t_fail "no $PIN/xlat/link_COOKIE_lo_egress: $(ls "$PIN/xlat")" ;;
	esac
for m in xlat_counters xlat_echo xlat_frags; do
	[[ -e $PIN/xlat/$m ]] || t_fail "no $PIN/xlat/$m"
done
t_pass

t_begin "a download keeps going while no daemon runs (SIGTERM), and after a start"
start_fetch || t_fail "the download did not start: $(cat "$FETCH_LOG")"
# Nothing is removed and added again across the restart: no gap.
start_bg MONR run_in_ns "$NS_C" ip monitor rule route
start_bg MONT run_in_ns "$NS_C" tc monitor
sleep 0.5
stop_bg DAEMON
assert_contains "$(cat "$DAEMON_LOG")" "left running for the established flows" &&
	moving || t_fail "the download stopped with the daemon"
assert_eq 2 "$(rules464)" "rules while stopped" &&
	assert_eq 1 "$(run_in_ns "$NS_C" sysctl -n net.ipv4.conf.lo.route_localnet)" "route_localnet"
refused_meanwhile
start_daemon --pin "$PIN" || t_fail "restart"
moving || t_fail "the download stopped at the restart"
case $MODE in
clsact) assert_eq "2 filters, 0 links" "$(attachments)" "attachments after the restart" ;;
*) assert_eq "0 filters, 2 links" "$(attachments)" "attachments after the restart" &&
	assert_match "$(cat "$DAEMON_LOG")" "took over the tcx link pinned at $PIN/xlat/link_[0-9]+_lo_egress" ;;
esac
assert_eq 2 "$(rules464)" "rules after the restart (no duplicates)"
stop_bg MONR MONT
assert_not_contains "$(cat "$MONR_LOG")" "Deleted" "rule or route deleted across the restart"
# clsact: only "replaced filter" (a filter deleted first shows its chain "added" again)
assert_not_contains "$(cat "$MONT_LOG")" "deleted" "TC deletions across the restart"
assert_not_contains "$(cat "$MONT_LOG")" "added" "TC additions across the restart"
t_pass

t_begin "sock464ctl status right after an adopted start"
assert_ok ctl status &&
	assert_match "$T_OUT" "data path: kernel \((tcx|clsact) on lo egress and 1 uplinks, route mtu [0-9]+, kept at stop \(--pin\)" &&
	assert_match "$T_OUT" "xlat_in=[1-9]" &&
	assert_ok ctl status --json &&
	assert_contains "$T_OUT" '"kept_at_stop":true'
t_pass

# The next daemon publishes its namespace's entry before discovery has
# chosen a prefix; the prefix the stopped one left counts as the previous
# one meanwhile.  Here discovery finds none at all (RAs only, and no RA).
t_begin "a start whose discovery has found no prefix yet keeps the flows going"
stop_bg DAEMON
moving || t_fail "the download stopped with the daemon"
start_daemon --pin "$PIN" --pref64 auto --no-dns64 || t_fail "restart without a prefix"
moving || t_fail "the download stopped while no prefix was known"
assert_ok ctl status && assert_not_contains "$T_OUT" "$DEFAULT_PREFIX" "status: a prefix"
stop_bg DAEMON
start_daemon --pin "$PIN" || t_fail "restart"
moving || t_fail "the download stopped at the restart"
t_pass

t_begin "the download keeps going across SIGKILL and a start, and arrives whole"
# A link that goes while no daemon runs: its tcx link's pin goes at the next start.
DUMMY=s4dm-$$
ip -n "$NS_C" link add "$DUMMY" type veth peer name "s4dn-$$" &&
	ip -n "$NS_C" link set "$DUMMY" up && ip -n "$NS_C" link set "s4dn-$$" up ||
	t_fail "cannot add the link $DUMMY"
DUMMY_PIN=$PIN/xlat/link_*_$(ip netns exec "$NS_C" cat "/sys/class/net/$DUMMY/ifindex")_ingress
[[ $MODE == clsact ]] || wait_for 5 "compgen -G '$DUMMY_PIN'" || t_fail "no pin for $DUMMY"
kill -KILL "$DAEMON"
wait_for 5 "! kill -0 $DAEMON 2>/dev/null"
ip -n "$NS_C" link del "$DUMMY"
moving || t_fail "the download stopped with the killed daemon"
start_daemon --pin "$PIN" || t_fail "restart"
moving || t_fail "the download stopped at the restart"
! compgen -G "$DUMMY_PIN" >/dev/null || t_fail "the pin of the gone $DUMMY is left: $DUMMY_PIN"
assert_eq 2 "$(rules464)" "rules (no duplicates)"
case $MODE in
clsact) assert_eq "2 filters, 0 links" "$(attachments)" "attachments (no duplicates)" ;;
*) assert_eq "0 filters, 2 links" "$(attachments)" "attachments (no duplicates)" ;;
esac
finish_fetch
SENT=$(grep '^SENT' "$PACER_LOG" | tail -n 1 | cut -d' ' -f2-)
assert_match "$(cat "$FETCH_LOG")" "^GOT [0-9]+ [0-9a-f]{64}$" "client" &&
	assert_eq "GOT $SENT" "$(cat "$FETCH_LOG")" "bytes and SHA-256 at both ends"
t_pass

purge() { nsenter_net "$NS_C" "$LOAD" --purge --pin "$PIN" --control "$CONTROL"; }

t_begin "--purge refuses while a daemon runs"
expect_fail purge && assert_contains "$T_ERR" "a daemon answers on $CONTROL" &&
	assert_eq 2 "$(rules464)" "rules"
t_pass

t_begin "stopped with --pin, then --purge: nothing of sock464 is left"
stop_bg DAEMON
# the file of served containers a daemon leaves beside its control socket
echo "ctr-x 1 1 1 /sys/fs/cgroup/x - -" >"${CONTROL%/*}/containers"
assert_ne "$BEFORE" "$(ns_state)" "state kept by the stop" &&
	assert_ok purge &&
	assert_eq "$BEFORE" "$(ns_state)" "namespace state after --purge" &&
	assert_eq "0 filters, 0 links" "$(attachments)" "attachments after --purge" &&
	assert_eq "" "$(ls "$T_TMP"/xlat.*.state 2>/dev/null)" "state file" &&
	assert_eq "" "$(ls "${CONTROL%/*}/containers" 2>/dev/null)" "the containers' file"
[[ ! -e $PIN ]] || t_fail "$PIN is still there: $(ls -R "$PIN")"
t_pass

t_begin "without --pin, a stop cleans up and the connection ends"
start_daemon || t_fail "daemon"
start_fetch || t_fail "the download did not start: $(cat "$FETCH_LOG")"
stop_bg DAEMON
assert_eq "$BEFORE" "$(ns_state)" "namespace state after the stop" &&
	assert_eq "0 filters, 0 links" "$(attachments)" "attachments after the stop"
start_daemon || t_fail "restart"
wait_for 30 "! kill -0 $FETCH 2>/dev/null" || t_fail "the download survived the restart"
wait "$FETCH" 2>/dev/null
t_log "client: $(cat "$FETCH_LOG"); server: $(grep -v LISTENING "$PACER_LOG" | tail -n 1)"
assert_match "$(cat "$FETCH_LOG")" "^ERR " "client"
stop_bg DAEMON
assert_eq "$BEFORE" "$(ns_state)" "namespace state at the end"
t_pass
