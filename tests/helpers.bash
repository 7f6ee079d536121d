# helpers.bash - shared by the bats integration suites.
#
# Each test gets its own directory ($T) holding the bundle, the log, the
# pid files, the exit and persist directories, the socket directory and the
# FIFOs that stand in for Podman's sync/start/attach pipes. Runtime state
# is isolated too: conmon is given `--runtime-arg --root=$T/state`, and the
# rt helper passes the same root, so no test sees another's containers.
#
# Environment:
#   CONMON   binary under test (default: ./conmon of this repository)
#   RUNTIME  runc | crun (default runc); crun goes through lib/crun-wrapper
# When CONMON is a wrapper that runs conmon under a checker or an emulator
# (lib/sanitizer-run, lib/cross-suite):
#   CONMON_EXE  the executable its processes show in /proc/PID/exe
#   CONMON_BIN  the conmon binary the wrapper runs, for checks of its bytes
#   CONMON_EMULATOR  set when that is an emulator (qemu-user): conmon's own
#               memory cannot be told from the emulator's there

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$TESTS_DIR")
LIB_DIR=$TESTS_DIR/lib
ROOTFS=$TESTS_DIR/.cache/rootfs
CONMON=${CONMON:-$REPO_DIR/conmon}
CONMON_BIN=${CONMON_BIN:-$CONMON}
RUNTIME=${RUNTIME:-runc}
FAKE_RUNTIME=$LIB_DIR/fake-runtime

case $RUNTIME in
runc) RUNTIME_PATH=$(command -v runc || echo /usr/sbin/runc) ;;
crun) RUNTIME_PATH=$LIB_DIR/crun-wrapper ;;
*) echo "helpers.bash: RUNTIME must be runc or crun, not '$RUNTIME'" >&2; return 1 ;;
esac

# Seconds to wait for anything that should happen "at once". Generous,
# because two cores shared with a runtime are slow at times; waits poll and
# return as soon as the condition holds.
WAIT=${WAIT:-10}

# ---------------------------------------------------------------- set-up

# common_setup: per-test names and directories. Call from setup().
common_setup() {
	[ -x "$CONMON" ] || {
		echo "no conmon binary at $CONMON (run make, or set CONMON)" >&2
		return 1
	}
	"$LIB_DIR/make-rootfs" "$ROOTFS"

	T=$BATS_TEST_TMPDIR
	# Longer than 12 characters (journald refuses shorter ids), unique per
	# test and run; also used as the container UUID.
	CID=conmon-test-$(date +%s)-$$-$RANDOM$RANDOM
	CUUID=$CID
	BUNDLE=$T/bundle
	CTR_LOG=$T/ctr.log
	CTR_PIDFILE=$T/ctr.pid
	CONMON_PIDFILE=$T/conmon.pid
	EXIT_DIR=$T/exits
	PERSIST_DIR=$T/persist
	SOCKET_DIR=$T/sock
	RT_ROOT=$T/state
	mkdir -p "$BUNDLE" "$EXIT_DIR" "$PERSIST_DIR" "$SOCKET_DIR" "$RT_ROOT"

	MONITOR_PID= CTR_PID= LAUNCHER_PID= LAUNCHER_STATUS=
	SYNC_FD= START_FD= ATTACH_FD= SYSLOG_PID= SYSLOG_LOCK_FD=
	# Pipes given to conmon (see conmon_launch); tests may change these.
	USE_START_PIPE=1 USE_SYNC_PIPE=1 USE_ATTACH_PIPE=0
	RUNTIME_UNDER_TEST=$RUNTIME_PATH
	open_pipes
}

# common_teardown: leave nothing running. Call from teardown().
common_teardown() {
	local pid
	# A test that failed early may not have read the pidfile yet.
	if [ -z "$MONITOR_PID" ] && [ -s "${CONMON_PIDFILE:-}" ]; then
		MONITOR_PID=$(cat "$CONMON_PIDFILE")
	fi
	for pid in "$MONITOR_PID" "$LAUNCHER_PID"; do
		if [ -n "$pid" ] && pid_of_test "$pid"; then
			# Its children first (an exit command, say), or they would
			# outlive the test.
			kill -KILL $(children_named "$pid") "$pid" 2>/dev/null || true
		fi
	done
	if [ -n "${CID:-}" ] && [ -d "${RT_ROOT:-}/$CID" ]; then
		rt delete --force "$CID" >/dev/null 2>&1 || true
	fi
	# The fake runtime's "container", or a real one whose runtime state is
	# gone: kill it by pid, but only if it is still the process conmon
	# reported (same start time), never a recycled pid.
	if [ -n "$CTR_PID" ] && [ -n "${CTR_START:-}" ] &&
		[ "$(pid_starttime "$CTR_PID")" = "$CTR_START" ]; then
		kill -KILL "$CTR_PID" 2>/dev/null || true
	fi
	close_pipes
	syslog_stop
	# bats sets BATS_TEST_COMPLETED only for a test that passed.
	[ -n "${BATS_TEST_COMPLETED:-}" ] || dump_state >&2
}

# open_pipes: FIFOs for the three _OCI_* pipes. The test shell opens each
# read-write, so neither side's open blocks and no EOF is seen when conmon
# closes its end; conmon gets a dup on the upstream tests' fd numbers
# (attach 4, start 5, sync 6).
open_pipes() {
	local p
	for p in sync start attach; do
		mkfifo "$T/$p.fifo"
	done
	exec {SYNC_FD}<>"$T/sync.fifo" {START_FD}<>"$T/start.fifo" {ATTACH_FD}<>"$T/attach.fifo"
}

close_pipes() {
	local fd
	for fd in "$SYNC_FD" "$START_FD" "$ATTACH_FD"; do
		[ -n "$fd" ] && eval "exec $fd>&-"
	done
	SYNC_FD= START_FD= ATTACH_FD=
}

# ---------------------------------------------------------------- bundle

# bundle_cmd [make-bundle OPTIONS] -- COMMAND...: config.json in $BUNDLE.
bundle_cmd() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	"$LIB_DIR/make-bundle" --rootfs "$ROOTFS" ${opts[@]+"${opts[@]}"} "$BUNDLE" -- "$@"
}

# bundle_sh SCRIPT [make-bundle OPTIONS]: a bundle running `sh -c SCRIPT`.
bundle_sh() {
	local script=$1
	shift
	"$LIB_DIR/make-bundle" --rootfs "$ROOTFS" "$@" "$BUNDLE" sh -c "$script"
}

# ---------------------------------------------------------------- runtime

# rt ARGS...: the runtime under test with this test's state root.
rt() {
	"$RUNTIME_PATH" --root="$RT_ROOT" "$@"
}

rt_status() {
	rt state "$CID" 2>/dev/null | jq -r .status
}

# rt_status_is STATUS: for wait_until.
rt_status_is() {
	[ "$(rt_status)" = "$1" ]
}

# ---------------------------------------------------------------- conmon

# conmon_default_args: the options every container test passes, like the
# upstream suite's "default" invocation, plus the files this suite checks.
conmon_default_args() {
	CONMON_ARGS=(
		--cid "$CID" --cuuid "$CUUID"
		--runtime "$RUNTIME_UNDER_TEST"
		--bundle "$BUNDLE"
		--socket-dir-path "$SOCKET_DIR"
		--log-path "k8s-file:$CTR_LOG"
		--container-pidfile "$CTR_PIDFILE"
		--conmon-pidfile "$CONMON_PIDFILE"
		--exit-dir "$EXIT_DIR"
		--persist-dir "$PERSIST_DIR"
		--log-level debug
	)
	# Real runtimes keep their state under this test's root.
	[ "$RUNTIME_UNDER_TEST" = "$FAKE_RUNTIME" ] ||
		CONMON_ARGS+=(--runtime-arg "--root=$RT_ROOT")
}

# conmon_launch ARGS...: run the launcher with exactly ARGS, as Podman
# does: only fds 0-2 and the _OCI_* pipes open, cwd $T, stdout and stderr
# to $T/launcher.out and $T/launcher.err, the start byte written at once.
# Waits for the launcher (at most $WAIT s) and sets LAUNCHER_STATUS and
# LAUNCHER_MS, and MONITOR_PID from the conmon pidfile.
#   CONMON_ENV=(NAME=VALUE...)  added to conmon's environment
#   CONMON_BACKGROUND=1         return at once, leaving LAUNCHER_PID running
#                               (--sync, or a test that writes the start
#                               byte itself with NO_START_BYTE=1)
conmon_launch() {
	local t0 t1
	t0=$(date +%s%N)
	conmon_exec_clean "$@" 4>&"$ATTACH_FD" 5<&"$START_FD" 6>&"$SYNC_FD" \
		</dev/null >"$T/launcher.out" 2>"$T/launcher.err" &
	LAUNCHER_PID=$!
	# Podman writes one 0x00 byte after moving conmon into its cgroup.
	if [ "$USE_START_PIPE" = 1 ] && [ "${NO_START_BYTE:-0}" != 1 ]; then
		printf '\0' >&"$START_FD"
	fi
	[ "${CONMON_BACKGROUND:-0}" = 1 ] && return 0
	LAUNCHER_STATUS=0
	wait "$LAUNCHER_PID" || LAUNCHER_STATUS=$?
	# Reaped: forget the pid so teardown cannot hit a recycled one.
	LAUNCHED_PID=$LAUNCHER_PID LAUNCHER_PID=
	t1=$(date +%s%N)
	LAUNCHER_MS=$(((t1 - t0) / 1000000))
	if [ -s "$CONMON_PIDFILE" ]; then
		MONITOR_PID=$(cat "$CONMON_PIDFILE")
	fi
	return 0
}

# conmon_exec_clean ARGS...: exec conmon with the _OCI_* variables the test
# enabled and CONMON_ENV, cwd $T, and no fd open but 0-2, the enabled pipes
# (attach 4, start 5, sync 6) and KEEP_FDS. It replaces the calling shell:
# call it only where bash forks anyway (`&`, a pipeline, `run`, `$(...)`),
# so that $! is conmon's own pid. In the foreground (not CONMON_BACKGROUND)
# a timeout bounds it: a launcher that hangs fails the test, not the suite.
conmon_exec_clean() {
	local env=() keep=(0 1 2)
	[ "$USE_ATTACH_PIPE" = 1 ] && env+=(_OCI_ATTACHPIPE=4) keep+=(4)
	[ "$USE_START_PIPE" = 1 ] && env+=(_OCI_STARTPIPE=5) keep+=(5)
	[ "$USE_SYNC_PIPE" = 1 ] && env+=(_OCI_SYNCPIPE=6) keep+=(6)
	env+=(${CONMON_ENV[@]+"${CONMON_ENV[@]}"})
	cd "$T" || exit 1
	close_fds_except "${keep[@]}" ${KEEP_FDS:-}
	if [ "${CONMON_BACKGROUND:-0}" = 1 ]; then
		exec env ${env[@]+"${env[@]}"} "$CONMON" "$@"
	fi
	exec timeout -k 1 "$WAIT" env ${env[@]+"${env[@]}"} "$CONMON" "$@"
}

# close_fds_except FD...: close every other fd of this (sub)shell, so the
# monitor does not hold bats' output pipe (bats would wait for it) or the
# test's own FIFO descriptors.
close_fds_except() {
	local f fd keep
	for f in /proc/$BASHPID/fd/*; do
		fd=${f##*/}
		for keep in "$@"; do
			[ "$fd" = "$keep" ] && continue 2
		done
		eval "exec $fd>&-" 2>/dev/null || true
	done
}

# conmon_create [EXTRA ARGS...]: launch conmon with the default arguments
# plus EXTRA, expect the launcher to succeed and the sync pipe to report the
# container pid. Sets MONITOR_PID, CTR_PID (and CTR_START).
conmon_create() {
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}" "$@"
	if [ "$LAUNCHER_STATUS" != 0 ]; then
		echo "launcher exited $LAUNCHER_STATUS; stderr:" >&2
		cat "$T/launcher.err" >&2
		return 1
	fi
	sync_read || return 1
	local key=pid
	case " $* " in *" --api-version "*) key=data ;; esac
	CTR_PID=$(jq -er ".$key" <<<"$SYNC_LINE") || {
		echo "sync message has no \"$key\": $SYNC_LINE" >&2
		return 1
	}
	if [ "$CTR_PID" -le 0 ]; then
		echo "container creation failed: $SYNC_LINE" >&2
		return 1
	fi
	CTR_START=$(pid_starttime "$CTR_PID")
}

# sync_read [TIMEOUT]: read one line from the sync pipe into SYNC_LINE.
sync_read() {
	SYNC_LINE=
	if ! IFS= read -r -t "${1:-$WAIT}" -u "$SYNC_FD" SYNC_LINE; then
		echo "no sync message within ${1:-$WAIT}s (got '$SYNC_LINE')" >&2
		return 1
	fi
}

# attach_read [TIMEOUT]: read one line from the attach pipe into ATTACH_LINE.
attach_read() {
	ATTACH_LINE=
	if ! IFS= read -r -t "${1:-$WAIT}" -u "$ATTACH_FD" ATTACH_LINE; then
		echo "no attach message within ${1:-$WAIT}s" >&2
		return 1
	fi
}

# container_start: the runtime's start, as Podman does after the sync pid.
container_start() {
	rt start "$CID"
}

# run_container [EXTRA CONMON ARGS...]: create (bundle must exist), start,
# wait for the exit file. Sets EXIT_CODE.
run_container() {
	conmon_create "$@" || return 1
	container_start || return 1
	wait_exit
}

# wait_exit [TIMEOUT]: wait for <exit-dir>/<cid>; EXIT_CODE := its content.
wait_exit() {
	wait_for_file "$EXIT_DIR/$CID" "${1:-$WAIT}" || return 1
	EXIT_CODE=$(cat "$EXIT_DIR/$CID")
}

# wait_monitor_gone [TIMEOUT]
wait_monitor_gone() {
	[ -n "$MONITOR_PID" ] || { echo "no monitor pid known" >&2; return 1; }
	wait_until "${1:-$WAIT}" pid_gone "$MONITOR_PID" || {
		echo "monitor $MONITOR_PID still running" >&2
		return 1
	}
}

# ---------------------------------------------------------------- journald

# journald_ns_start: a real systemd-journald in a private mount namespace
# (tests/journald-env), kept alive by a sleeper whose pid is JNS_PID. A
# process run with `nsenter -t $JNS_PID -m` finds that journal's socket at
# /run/systemd/journal/socket and its files in /run/log/journal. Skips the
# test when this host cannot run one (journald-env's status 77).
journald_ns_start() {
	local ready=$T/jns.pid status
	"$TESTS_DIR/journald-env" sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; exec sleep 600' \
		sh "$ready" </dev/null >"$T/journald-env.out" 2>&1 3>&- &
	JENV_PID=$!
	if ! wait_until "$WAIT" test -s "$ready"; then
		status=0
		wait "$JENV_PID" || status=$?
		JENV_PID=
		if [ "$status" = 77 ]; then
			skip "$(cat "$T/journald-env.out")"
		fi
		cat "$T/journald-env.out" >&2
		return 1
	fi
	JNS_PID=$(cat "$ready")
}

journald_ns_stop() {
	[ -n "${JNS_PID:-}" ] && kill "$JNS_PID" 2>/dev/null
	[ -n "${JENV_PID:-}" ] && wait "$JENV_PID" 2>/dev/null
	JNS_PID= JENV_PID=
	return 0
}

# ---------------------------------------------------------------- syslog

# syslog_listen: gather conmon's --syslog messages in $T/syslog.  Once
# the launcher has forked, the monitor's stderr is /dev/null: syslog is
# where it speaks.  This host runs no syslog daemon, so the test serves
# /dev/log itself for a while, under a lock (other tests may want it) and
# with a marker that tells a socket left by a killed run from a daemon's.
DEVLOG_LOCK=/run/conmon-tests-devlog.lock
DEVLOG_OURS=/run/conmon-tests-devlog.ours

syslog_listen() {
	exec {SYSLOG_LOCK_FD}>"$DEVLOG_LOCK"
	flock -w 60 "$SYSLOG_LOCK_FD" || {
		echo "# another test held /dev/log for 60 s" >&2
		return 1
	}
	if [ -e /dev/log ] && [ ! -e "$DEVLOG_OURS" ]; then
		skip "a syslog daemon owns /dev/log, so conmon's messages go there"
	fi
	rm -f /dev/log
	: >"$DEVLOG_OURS"
	: >"$T/syslog"
	socat -u UNIX-RECV:/dev/log,mode=0666 OPEN:"$T/syslog",append &
	SYSLOG_PID=$!
	wait_until 5 test -S /dev/log
}

syslog_stop() {
	[ -n "${SYSLOG_PID:-}" ] || return 0
	kill "$SYSLOG_PID" 2>/dev/null || true
	wait "$SYSLOG_PID" 2>/dev/null || true
	rm -f /dev/log "$DEVLOG_OURS"
	SYSLOG_PID=
	exec {SYSLOG_LOCK_FD}>&-
}

# syslog_count TEXT: how many messages contain TEXT (datagrams are stored
# back to back, so count occurrences, not lines).
syslog_count() {
	grep -o -F -- "$1" "$T/syslog" | wc -l
}

# syslog_conmon CID: conmon's messages about container CID, one a line,
# from "<KIND>: " on (docs/logging.md §8.3: "conmon <first 20 bytes of the
# cid> <KIND>: text"; the datagrams are split where the next begins).
syslog_conmon() {
	SYSLOG_CID=${1:0:20} perl -0777 -ne '
		for my $m (split /(?=<\d{1,3}>)/) {
			print "$1\n" if $m =~ /conmon \Q$ENV{SYSLOG_CID}\E (<\w+>: .*?)\n?\z/s;
		}' "$T/syslog"
}

# ---------------------------------------------------------------- waiting

# wait_until TIMEOUT COMMAND...: poll COMMAND every 20 ms until it succeeds.
wait_until() {
	local timeout=$1 deadline
	shift
	deadline=$(($(date +%s%N) + ${timeout%.*} * 1000000000))
	until "$@"; do
		if [ "$(date +%s%N)" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.02
	done
}

wait_for_file() {
	wait_until "${2:-$WAIT}" test -e "$1" || {
		echo "$1 did not appear within ${2:-$WAIT}s" >&2
		return 1
	}
}

# pid_alive PID: exists and is not a zombie (an exited process whose parent
# has not reaped it yet counts as gone).
pid_alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# pid_of_test PID: PID is alive and is this test's (its command line names
# the test's directory): a pid recorded earlier may have been recycled by
# then, by anything on the host, which teardown must never kill.
pid_of_test() {
	pid_alive "$1" && grep -qzF -- "$T/" "/proc/$1/cmdline" 2>/dev/null
}

pid_gone() {
	! pid_alive "$1"
}

# pid_starttime PID: field 22 of /proc/PID/stat (after the comm field,
# which may contain spaces).
pid_starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	set -- $stat
	echo "${20}"
}

# children_named PID [NAME]: print the pids of PID's children (whose
# command name is NAME, if given); fail if there is none.
children_named() {
	local stat found=1 fields
	for stat in /proc/[0-9]*/stat; do
		fields=$(cat "$stat" 2>/dev/null) || continue
		if [ -n "${2:-}" ]; then
			case $fields in *"($2) "*) ;; *) continue ;; esac
		fi
		# After "comm) ": state, then the parent pid.
		fields=${fields##*) }
		fields=${fields#* }
		if [ "${fields%% *}" = "$1" ]; then
			stat=${stat#/proc/}
			echo "${stat%/stat}"
			found=0
		fi
	done
	return $found
}

# fd_list PID: the open fd numbers of PID, sorted, space separated.
fd_list() {
	ls "/proc/$1/fd" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# ready_or_gone FILE PID: FILE exists, or process PID has ended.
ready_or_gone() {
	[ -e "$1" ] || pid_gone "$2"
}

# fds_at_open_start WHAT OUT ARGS...: lib/fds-at-open ARGS... OUT in the
# background (FDS_AT_OPEN_PID), once it watches. A kernel without
# fanotify permission events cannot hold WHAT: the test skips.
fds_at_open_start() {
	local what=$1 out=$2 status=0
	shift 2
	"$LIB_DIR/fds-at-open" "$@" "$out" &
	FDS_AT_OPEN_PID=$!
	wait_until "$WAIT" ready_or_gone "$out.ready" "$FDS_AT_OPEN_PID" || true
	[ -e "$out.ready" ] && return 0
	wait "$FDS_AT_OPEN_PID" || status=$?
	[ "$status" = 77 ] && skip "this kernel has no fanotify permission events to hold $what with"
	echo "fds-at-open did not start (status $status)" >&2
	return 1
}

pid_ppid() {
	awk '/^PPid:/ { print $2 }' "/proc/$1/status"
}

# ---------------------------------------------------------------- checks

# file_text FILE: the exact content, trailing newlines included.
file_text() {
	local s
	s=$(cat "$1" && printf x) || return 1
	printf '%s' "${s%x}"
}

# assert_decimal_file FILE [EXPECTED]: content is a bare decimal (no
# newline, no spaces, no leading zeros), equal to EXPECTED if given.
assert_decimal_file() {
	local content
	content=$(file_text "$1") || { echo "cannot read $1" >&2; return 1; }
	if ! [[ $content =~ ^-?(0|[1-9][0-9]*)$ ]]; then
		echo "$1 is not a bare decimal: $(printf '%q' "$content")" >&2
		return 1
	fi
	if [ $# -ge 2 ] && [ "$content" != "$2" ]; then
		echo "$1 holds $content, expected $2" >&2
		return 1
	fi
}

assert_mode() {
	local mode
	mode=$(stat -c %a "$1")
	[ "$mode" = "$2" ] || {
		echo "$1 has mode $mode, expected $2" >&2
		return 1
	}
}

# assert_eq GOT WANT [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || {
		echo "${3:-value}: got '$1', expected '$2'" >&2
		return 1
	}
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	case $1 in
	*"$2"*) return 0 ;;
	esac
	echo "${3:-text} does not contain '$2':" >&2
	printf '%s\n' "$1" | sed 's/^/  /' >&2
	return 1
}

# log_stream STREAM: the reassembled bytes of STREAM from the k8s log.
log_stream() {
	"$LIB_DIR/k8s-log" --stream "$1" "$CTR_LOG"
}

# dump_state: what a failed test prints to help whoever reads it.
dump_state() {
	echo "--- launcher stderr:"
	cat "$T/launcher.err" 2>/dev/null
	echo "--- log (start):"
	head -c 2000 "$CTR_LOG" 2>/dev/null
	echo "--- files in $T:"
	(cd "$T" && ls -la . exits persist) 2>/dev/null
}
