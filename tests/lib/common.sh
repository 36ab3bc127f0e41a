# shellcheck shell=bash disable=SC2030,SC2031
# tests/lib/common.sh - tiny harness for the sock464 integration tests.
#
# Source it first thing in a test script:
#
#	. "$(dirname "$0")/../lib/common.sh"
#	need_root
#
# Output, one line per case, then a summary the top-level runner sums:
#
#	ok - NAME
#	not ok - NAME: reason
#	ok - NAME # SKIP reason
#	RESULT passed=N failed=M skipped=K
#
# The script exits 0 when nothing failed, 1 otherwise (77 when need_root
# skips the whole script).  Diagnostics go to stderr prefixed with "# ".
#
# Cleanup: every helper that creates something registers its removal with
# on_exit; the stack runs in reverse order on EXIT, INT and TERM, so a
# script interrupted at any point leaves nothing behind.  Helpers that
# register cleanup (cg_create, start_bg, topo_up) set variables instead of
# printing results: never call them inside $(...), whose subshell would
# lose the registration.

[[ -n ${_T_COMMON_LOADED:-} ]] && return 0
_T_COMMON_LOADED=1

T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T_TESTS_DIR=$(dirname "$T_LIB_DIR")
T_TOOLS_DIR=$T_TESTS_DIR/tools
T_ROOT=$(dirname "$T_TESTS_DIR")
T_NAME=$(basename "$0" .sh)
T_MAIN_PID=$$			# the test shell; $BASHPID differs in subshells
export T_LIB_DIR T_TESTS_DIR T_TOOLS_DIR T_ROOT

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_CASE=""			# name of the open case, "" if none
_T_CLEANUP=()			# cleanup stack (command strings, run with eval)
_T_CLEANING=0
_T_BG_PIDS=()			# PIDs started by start_bg (and topo.sh daemons)

# Diagnostics, to stderr so that stdout stays the result stream.
t_log() { printf '# %s\n' "$*" >&2; }

# ---------------------------------------------------------------- cases

# t_begin NAME: open a test case (an unfinished previous case fails).
t_begin() {
	[[ -n $T_CASE ]] && t_fail "not finished (no t_pass before next t_begin)"
	T_CASE=$1
	t_log "--- $T_CASE"
}

# t_pass: close the open case; it passes unless an assertion failed.
t_pass() {
	[[ -z $T_CASE ]] && return 0
	echo "ok - $T_CASE"
	T_PASSED=$((T_PASSED + 1))
	T_CASE=""
}

# t_fail MSG: fail and close the open case.  Returns 1 so that
# "cmd || t_fail ..." chains stop; a failure with no open case (a second
# assertion in an already failed case) is only logged.
t_fail() {
	local msg=${*:-failed}
	msg=${msg//$'\n'/ | }
	if [[ -z $T_CASE ]]; then
		t_log "also: $msg"
		return 1
	fi
	echo "not ok - $T_CASE: $msg"
	T_FAILED=$((T_FAILED + 1))
	T_CASE=""
	return 1
}

# t_skip REASON: close the open case as skipped.
t_skip() {
	[[ -z $T_CASE ]] && return 0
	echo "ok - $T_CASE # SKIP ${*:-}"
	T_SKIPPED=$((T_SKIPPED + 1))
	T_CASE=""
}

# t_case NAME CMD...: a whole case in one line: passes if CMD exits 0.
t_case() {
	local name=$1 out rc
	shift
	t_begin "$name"
	out=$("$@" 2>&1)
	rc=$?
	if ((rc == 0)); then
		t_pass
	else
		t_fail "exit $rc: $(_t_tail "${out:-(no output)}")"
	fi
}

# t_bail MSG: abort the script (counts as one failure); cleanup still runs.
t_bail() {
	if [[ -n $T_CASE ]]; then
		t_fail "$*"
	else
		echo "not ok - $T_NAME: $*"
		T_FAILED=$((T_FAILED + 1))
	fi
	echo "Bail out! $*"
	exit 1
}

# The last 3 lines of $1, joined, for failure messages.
_t_tail() { printf '%s\n' "$1" | tail -n 3 | tr '\n' ' ' | sed 's/ *$//'; }

# ----------------------------------------------------------- assertions
# Each returns 0 on success; on failure it fails the open case (t_fail)
# and returns 1.  Sequence them freely; finish the case with t_pass, which
# is a no-op once the case has failed.

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[[ $1 == "$2" ]] && return 0
	t_fail "${3:-value}: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
	[[ $1 != "$2" ]] && return 0
	t_fail "${3:-value}: got '$2', which it must not be"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	[[ $1 == *"$2"* ]] && return 0
	t_fail "${3:-output}: '$2' not found in '$(_t_tail "$1")'"
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
	[[ $1 != *"$2"* ]] && return 0
	t_fail "${3:-output}: '$2' must not appear in '$(_t_tail "$1")'"
}

# assert_match HAYSTACK ERE [WHAT]
assert_match() {
	[[ $1 =~ $2 ]] && return 0
	t_fail "${3:-output}: /$2/ does not match '$(_t_tail "$1")'"
}

# assert_ok CMD...: CMD must exit 0.  Its stdout is kept in T_OUT (and
# stderr in T_ERR) for further assertions.
assert_ok() {
	local rc errf
	errf=$(mktemp "${T_TMP:-/tmp}/err.XXXXXX")
	T_OUT=$("$@" 2>"$errf")
	rc=$?
	T_ERR=$(<"$errf")
	rm -f "$errf"
	((rc == 0)) && return 0
	t_fail "'$*' exited $rc: $(_t_tail "$T_OUT $T_ERR")"
}

# expect_fail CMD...: CMD must exit non-zero (T_OUT, T_ERR and T_RC are
# set).  expect_fail_rc RC CMD... demands that exact exit code.
expect_fail() {
	local errf
	errf=$(mktemp "${T_TMP:-/tmp}/err.XXXXXX")
	T_OUT=$("$@" 2>"$errf")
	T_RC=$?
	T_ERR=$(<"$errf")
	rm -f "$errf"
	((T_RC != 0)) && return 0
	t_fail "'$*' succeeded but should have failed: $(_t_tail "$T_OUT")"
}

expect_fail_rc() {
	local want=$1
	shift
	expect_fail "$@" || return 1
	((T_RC == want)) && return 0
	t_fail "'$*' exited $T_RC, expected $want: $(_t_tail "$T_OUT $T_ERR")"
}

# ------------------------------------------------------------- cleanup

# on_exit CMD...: push a cleanup command (joined into one string and run
# with eval, so quote accordingly).  Runs in reverse order at exit.
on_exit() { _T_CLEANUP+=("$*"); }

_t_run_cleanup() {
	local i
	((_T_CLEANING)) && return 0
	_T_CLEANING=1
	for ((i = ${#_T_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${_T_CLEANUP[i]}" || t_log "cleanup failed: ${_T_CLEANUP[i]}"
	done
	_T_CLEANUP=()
}

_t_on_exit() {
	local rc=$?
	trap - EXIT
	trap '' INT TERM HUP	# let cleanup finish even on a second ^C
	# Only the main shell cleans up, never a subshell that inherited
	# the trap.
	[[ $BASHPID == "$T_MAIN_PID" ]] || exit "$rc"
	if [[ -n $T_CASE ]]; then
		t_fail "aborted (script exited with $rc inside the case)"
	fi
	_t_run_cleanup
	if ((rc != 0 && rc != 77 && T_FAILED == 0)); then
		echo "not ok - $T_NAME: script exited with status $rc"
		T_FAILED=1
	fi
	[[ -n ${T_NO_RESULT:-} ]] || echo "RESULT passed=$T_PASSED failed=$T_FAILED skipped=$T_SKIPPED"
	((T_FAILED)) && exit 1
	((rc == 77)) && exit 77
	exit 0
}

_t_on_signal() {
	t_log "caught SIG$1, cleaning up"
	[[ -n $T_CASE ]] && t_fail "interrupted by SIG$1"
	((T_FAILED == 0)) && { echo "not ok - $T_NAME: interrupted by SIG$1"; T_FAILED=1; }
	exit 1
}

trap _t_on_exit EXIT
trap '_t_on_signal INT' INT
trap '_t_on_signal TERM' TERM
trap '_t_on_signal HUP' HUP

# A private temporary directory, removed last.
T_TMP=$(mktemp -d "/tmp/sock464-${T_NAME}.$$.XXXXXX") || exit 1
export T_TMP
on_exit _t_rm_tmp
_t_rm_tmp() {
	if [[ -n ${SOCK464_KEEP_TMP:-} ]]; then
		t_log "keeping $T_TMP"
	else
		rm -rf -- "$T_TMP"
	fi
}

# ------------------------------------------------------------ processes

# _t_is_ours PID [SINCE]: may we kill PID?  Yes if it descends from the test
# shell, or, given SINCE (boot-time clock ticks, see _t_now_ticks, taken
# when we created a cgroup or namespace), if it started after SINCE: a
# process inside a cgroup or namespace of ours that is younger than it was
# forked there by something we ran (an orphaned grandchild, say).  Older
# ones were moved in by someone else and are left alone.
_t_is_ours() {
	local pid=$1 since=${2:-} ppid n=0 start
	if [[ -n $since ]]; then
		start=$(_t_start_ticks "$pid") && ((start >= since)) && return 0
	fi
	while ((pid > 1 && n++ < 64)); do
		[[ $pid == "$T_MAIN_PID" ]] && return 0
		ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
		[[ -n $ppid ]] || return 1
		pid=$ppid
	done
	return 1
}

# Clock ticks since boot, now / when PID started (same clock as
# /proc/PID/stat field 22).
_t_now_ticks() {
	awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", $1 * hz}' /proc/uptime
}
_t_start_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) && [[ -n $stat ]] || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}"
}

# _t_pid_in_list PID: was PID started by start_bg?
_t_pid_in_list() {
	local p
	for p in "${_T_BG_PIDS[@]}"; do [[ $p == "$1" ]] && return 0; done
	return 1
}

# stop_pid PID [TIMEOUT]: SIGTERM, wait up to TIMEOUT (default 5) seconds,
# then SIGKILL; reaps it if it is our child.  Safe if already gone.
stop_pid() {
	local pid=$1 t=${2:-5} i
	[[ -n $pid ]] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < t * 10; i++)); do
			_t_alive "$pid" || break
			sleep 0.1
		done
		if _t_alive "$pid"; then
			t_log "pid $pid ignored SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# Alive and not a zombie.
_t_alive() {
	local state
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[[ -n $state && $state != Z ]]
}

# start_bg VAR CMD...: run CMD in the background with stdout+stderr in
# $T_TMP/VAR.log; store its PID in VAR and the log path in VAR_LOG;
# register stop_pid.  CMD should be an external command or one of
# run_in_ns / run_in_cg / nsenter_net (which exec, so that VAR is the PID
# of the real program, not of a wrapper shell).
start_bg() {
	local var=$1 pid log
	shift
	log=$T_TMP/$var.log
	: >"$log"	# a reused name must not show the last process's lines
	(
		_T_IN_BG=1
		trap - EXIT INT TERM HUP
		if declare -F "$1" >/dev/null; then
			"$@"
			exit
		fi
		exec "$@"
	) >"$log" 2>&1 </dev/null &
	pid=$!
	_T_BG_PIDS+=("$pid")
	printf -v "$var" '%s' "$pid"
	printf -v "${var}_LOG" '%s' "$log"
	on_exit stop_pid "$pid"
	t_log "started $var=$pid: $*"
}

# stop_bg VAR...: stop processes started with start_bg VAR (by PID).
stop_bg() {
	local var
	for var in "$@"; do stop_pid "${!var:-}"; done
}

# wait_for SECONDS CMD...   or   wait_for "SHELL CODE" [SECONDS]
# (also wait_for SECONDS "SHELL CODE": two arguments, the second with spaces)
# Poll every 0.1 s until the command succeeds; return 1 on timeout
# (default 10 s; fractions allowed).
wait_for() {
	local t cmd=() sec frac end
	if (($# == 2)) && [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ && $2 == *[[:space:]]* ]]; then
		t=$1			# wait_for SECONDS "SHELL CODE"
		cmd=(eval "$2")
	elif (($# >= 2)) && [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		t=$1
		shift
		cmd=("$@")
	else
		t=${2:-10}
		cmd=(eval "$1")
	fi
	sec=${t%%.*}
	frac=${t#"$sec"}
	frac=${frac#.}000000
	end=$(( $(_t_now_us) + 10#${sec:-0} * 1000000 + 10#${frac:0:6} ))
	while :; do
		"${cmd[@]}" >/dev/null 2>&1 && return 0
		(($(_t_now_us) > end)) && break
		sleep 0.1
	done
	t_log "wait_for timed out after ${t}s: ${cmd[*]}"
	return 1
}

# Microseconds since the epoch.
_t_now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# wait_port NS IP PORT [SECONDS]: wait until something listens there.
wait_port() {
	local ns=$1 ip=$2 port=$3 t=${4:-10}
	wait_for "$t" ip netns exec "$ns" python3 -c '
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.settimeout(1)
s.connect((a, int(sys.argv[2])))' "$ip" "$port"
}

# --------------------------------------------------- root, netns, cgroups

# need_root: skip the whole script unless root.
need_root() {
	if ((EUID != 0)); then
		echo "ok - $T_NAME # SKIP needs root"
		T_SKIPPED=$((T_SKIPPED + 1))
		exit 77
	fi
}

# need_cmd CMD...: skip the script when a program is missing.
need_cmd() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			echo "ok - $T_NAME # SKIP $c not installed"
			T_SKIPPED=$((T_SKIPPED + 1))
			exit 77
		fi
	done
}

# cg2_root: print the cgroup2 mount point (first one found).
cg2_root() {
	local root
	root=$(findmnt -t cgroup2 -n -o TARGET 2>/dev/null | head -n 1)
	[[ -z $root ]] && root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
	[[ -n $root ]] || { t_log "no cgroup2 mount found"; return 1; }
	echo "$root"
}

# The cgroup (path under cg2_root) that PID (default: this shell) is in.
cg_of() { awk -F: '$1 == "0" {print $3}' "/proc/${1:-$BASHPID}/cgroup"; }

_T_CG_N=0
declare -A _T_CG_BORN		# cgroup path -> creation time (boot ticks)
# cg_create NAME [VAR]: create a uniquely named child cgroup of the
# cgroup2 root (sock464-test-NAME-$$-N), store its absolute path in VAR
# (default CG) and register its removal.
cg_create() {
	local name=$1 var=${2:-CG} root path
	root=$(cg2_root) || return 1
	while :; do
		_T_CG_N=$((_T_CG_N + 1))
		path=$root/sock464-test-$name-$$-$_T_CG_N
		_T_CG_BORN[$path]=$(_t_now_ticks)
		mkdir "$path" 2>/dev/null && break
		# A stale one of a SIGKILLed run with our PID: take the next.
		if [[ ! -d $path ]] || ((_T_CG_N > 100)); then
			t_log "cannot create cgroup $path"
			return 1
		fi
	done
	on_exit cg_remove "$path"
	printf -v "$var" '%s' "$path"
	t_log "cgroup $var=$path"
}

# cg_remove PATH: empty the cgroup and rmdir it.  Processes we started
# (descendants of the test shell, or younger than the cgroup) are killed;
# any other is moved back to the test shell's cgroup.
cg_remove() {
	local path=$1 pid i home since=${_T_CG_BORN[$1]:-}
	[[ -d $path ]] || return 0
	home=$(cg2_root)$(cg_of "$T_MAIN_PID")
	for ((i = 0; i < 50; i++)); do
		while read -r pid; do
			[[ -n $pid ]] || continue
			if _t_is_ours "$pid" "$since" || _t_pid_in_list "$pid"; then
				kill -TERM "$pid" 2>/dev/null
			else
				t_log "moving foreign pid $pid out of $path"
				echo "$pid" >"$home/cgroup.procs" 2>/dev/null
			fi
		done <"$path/cgroup.procs"
		rmdir "$path" 2>/dev/null && return 0
		((i == 30)) && while read -r pid; do
			_t_is_ours "$pid" "$since" && kill -KILL "$pid" 2>/dev/null
		done <"$path/cgroup.procs"
		sleep 0.1
	done
	t_log "cannot remove cgroup $path: $(tr '\n' ' ' <"$path/cgroup.procs")"
	return 1
}

# run_in_cg CG NS CMD...: run CMD inside cgroup CG (a path from cg_create)
# and network namespace NS ("" for the current one).  A subshell moves
# itself into the cgroup, then execs, so only CMD and its children are in
# CG; the test shell stays where it is.
run_in_cg() {
	local cg=$1 ns=$2
	shift 2
	if [[ -n ${_T_IN_BG:-} ]]; then	# already a throw-away subshell
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
		[[ -n $ns ]] && exec ip netns exec "$ns" "$@"
		exec "$@"
	fi
	(
		trap - EXIT INT TERM HUP
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
		[[ -n $ns ]] && exec ip netns exec "$ns" "$@"
		exec "$@"
	)
}

# run_in_ns NS CMD...: run CMD in netns NS, in the test shell's cgroup
# (never the served one).  ip netns exec remounts /sys, so CMD cannot see
# the cgroup tree; use nsenter_net for that.
run_in_ns() {
	local ns=$1
	shift
	if [[ -n ${_T_IN_BG:-} ]]; then
		exec ip netns exec "$ns" "$@"
	fi
	ip netns exec "$ns" "$@"
}

# nsenter_net NS CMD...: run CMD in netns NS keeping this mount namespace
# (so /sys/fs/cgroup and bpffs stay visible): for daemons such as
# sock464-load that attach to a cgroup but must see the namespace's links.
nsenter_net() {
	local ns=$1
	shift
	if [[ -n ${_T_IN_BG:-} ]]; then
		exec nsenter --net="/run/netns/$ns" "$@"
	fi
	nsenter --net="/run/netns/$ns" "$@"
}

# The data path of the daemons the suites start (tests/run runs the main
# suites twice: the default, then DATA_PATH=relay):
#   DATA_PATH=auto|kernel|relay   default auto: no --data-path, the daemon's
#                                 own default (the kernel path wherever the
#                                 kernel can run it, as here)
#   TC_ATTACH=auto|tcx|clsact     default auto: no --tc-attach (tcx on 6.6+)
# A suite passes "${DP_ARGS[@]}" to every sock464-load it starts, and
# branches on $DP (relay or kernel: the path those daemons take) where the
# two paths differ; `dp_check_log LOG` once a daemon is up.
# `DATA_PATH=relay tests/run 10-tcp.sh`.
DATA_PATH=${DATA_PATH:-auto}
TC_ATTACH=${TC_ATTACH:-auto}
DP_ARGS=()
[[ $DATA_PATH != auto ]] && DP_ARGS+=(--data-path "$DATA_PATH")
[[ $TC_ATTACH != auto ]] && DP_ARGS+=(--tc-attach "$TC_ATTACH")
DP=kernel
[[ $DATA_PATH == relay ]] && DP=relay
export DATA_PATH TC_ATTACH DP

# dp_check_log LOG: the daemon whose log is LOG took $DP, as its log says
# ("data path: kernel (tcx ...)" or "data path: relay; ..."), attached as
# TC_ATTACH says (unless auto); a case of its own.
dp_check_log() {
	local want="data path: $DP"
	[[ $DP == kernel && $TC_ATTACH != auto ]] && want+=" ($TC_ATTACH "
	t_begin "the daemon's log names the data path ($DP, DATA_PATH=$DATA_PATH TC_ATTACH=$TC_ATTACH)"
	wait_for 5 grep -qF "$want" "$1" ||
		t_fail "no '$want' in the log: $(grep -i 'data path' "$1" | tr '\n' ' ')"
	t_pass
}

# The test tools, for "run_in_ns $NS_C python3 $TCPCLIENT ...".
TCPSERV=$T_TOOLS_DIR/tcpserv.py
TCPCLIENT=$T_TOOLS_DIR/tcpclient.py
RFC6052=$T_TOOLS_DIR/rfc6052.py
export TCPSERV TCPCLIENT RFC6052
