#!/usr/bin/env bats
# CRI-O as conmon's client, on a real runtime ($RUNTIME: runc or crun).
# CRI-O is not packaged for Debian 12, so these tests run conmon with the
# exact argument lists, descriptors, working directory and environment
# CRI-O uses (docs/clients.md §3), and check what CRI-O reads back: the version
# probe, one JSON value on a SOCK_STREAM sync pipe, the conmon pidfile,
# the exit file (inotify on the exits dir) and <persist-dir>/exit, the oom
# file in the bundle, attach through <socket-dir>/<cid>/attach, resize
# and log reopen through ctl (with a kubelet-style reader following the
# rotated log), and exec-sync probes with a timeout and an output cap.
# Spec: docs/clients.md §3, docs/sync-protocol.md, docs/attach.md §2.2, docs/ctl.md §5,
# docs/logging.md §2.5-§2.6 and §6, docs/lifecycle.md §15, docs/oom.md §1.

load helpers

setup_file() {
	# CRI-O's ReopenContainerLog, compiled once (the tests need cc).
	cc -O2 -Wall -o "$BATS_FILE_TMPDIR/crio-reopen" "$LIB_DIR/crio-reopen.c"
}

setup() {
	common_setup
	# CRI-O's layout: the pidfiles live in the bundle (its run dir), the
	# log where the kubelet wants it.
	CONMON_PIDFILE=$BUNDLE/conmon-pidfile
	CTR_PIDFILE=$BUNDLE/pidfile
	POD_LOG_DIR=$T/pods/default_pod_0123-4567/ctr
	CTR_LOG=$POD_LOG_DIR/0.log
	mkdir -p "$POD_LOG_DIR" "$T/gate"
	BG_PIDS=()
}

teardown() {
	local pid
	for pid in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	common_teardown
}

# ---------------------------------------------------------------- CRI-O

# crio_args [OPTION...]: CRI-O's create command line, in its order
# (docs/clients.md §3.2), with the optional parts given (-t, -i,
# --leave-stdin-open, --log-size-max N, ...) after --syslog -u.
crio_args() {
	CRIO_ARGS=(
		-b "$BUNDLE" -c "$CID" --exit-dir "$EXIT_DIR" -l "$CTR_LOG"
		--log-level info -n "k8s_ctr_pod_default_0123-4567_0"
		-P "$CONMON_PIDFILE" -p "$CTR_PIDFILE" --persist-dir "$PERSIST_DIR"
		-r "$RUNTIME_PATH" --runtime-arg "--root=$RT_ROOT"
		--socket-dir-path "$SOCKET_DIR" --syslog -u "$CID" "$@"
	)
}

# crio_create [OPTION...]: create the container as CRI-O does
# (lib/crio-create). Sets LAUNCHER_STATUS and SYNC_TEXT (the bytes CRI-O
# decoded its one JSON value from), and MONITOR_PID from the conmon
# pidfile when there is one.
crio_create() {
	local out
	crio_args "$@"
	out=$(CRIO_BUNDLE=$BUNDLE CRIO_STDOUT=$T/launcher.out CRIO_STDERR=$T/launcher.err \
		timeout -k 1 $((WAIT + 5)) "$LIB_DIR/crio-create" "$CONMON" "${CRIO_ARGS[@]}"; printf x) ||
		return 1
	out=${out%x}
	LAUNCHER_STATUS=$(sed -n '1s/^status //p' <<<"$out")
	SYNC_TEXT=${out#*$'\n'}
	case $SYNC_TEXT in
	"sync "*) SYNC_TEXT=${SYNC_TEXT#sync } ;;
	*)
		echo "crio-create: $SYNC_TEXT" >&2
		return 1
		;;
	esac
	if [ -s "$CONMON_PIDFILE" ]; then
		MONITOR_PID=$(cat "$CONMON_PIDFILE")
	fi
}

# crio_create_ok [OPTION...]: crio_create, and check what CRI-O checks on
# success: launcher status 0, {"pid": N} with N > 0 as the one JSON value,
# and strict integers in the conmon pidfile. Sets CTR_PID.
crio_create_ok() {
	crio_create "$@" || return 1
	assert_eq "$LAUNCHER_STATUS" 0 "launcher status" || { cat "$T/launcher.err" >&2; return 1; }
	[[ $SYNC_TEXT =~ ^\{\"pid\":\ ([1-9][0-9]*)\}$'\n'$ ]] || {
		echo "sync pipe: $(printf '%q' "$SYNC_TEXT"), expected {\"pid\": N}\\n" >&2
		return 1
	}
	CTR_PID=${BASH_REMATCH[1]}
	CTR_START=$(pid_starttime "$CTR_PID")
	# CRI-O parses the conmon pidfile with a strict ParseInt.
	assert_decimal_file "$CONMON_PIDFILE" || return 1
	pid_alive "$MONITOR_PID"
}

# crio_env_args: conmon's environment as CRI-O sets it, for env(1).
crio_env() {
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin CRI_O_EXTERNAL=1 "$@"
}

# exit_seen: what CRI-O's exit monitor does on a Create event in the exits
# dir named after the container: read <persist-dir>/exit (strict
# ParseInt). EXIT_CODE := its content.
exit_seen() {
	wait_for_file "$EXIT_DIR/$CID" || return 1
	# The persist file was written first: it is there already.
	[ -e "$PERSIST_DIR/exit" ] || {
		echo "$EXIT_DIR/$CID exists, $PERSIST_DIR/exit does not (yet)" >&2
		return 1
	}
	assert_decimal_file "$PERSIST_DIR/exit" || return 1
	assert_decimal_file "$EXIT_DIR/$CID" "$(cat "$PERSIST_DIR/exit")" || return 1
	EXIT_CODE=$(cat "$PERSIST_DIR/exit")
}

bg() {
	"$@" </dev/null 3>&- &
	BG_PIDS+=("$!")
	BG_PID=$!
}

# ---------------------------------------------------------------- probe

@test "CRI-O's version probe: field 3 is strict semver >= 2.1.2; --help lists --log-global-size-max" {
	local out v
	# CRI-O reads stdout and stderr together and splits on white space.
	out=$("$CONMON" --version 2>&1)
	v=$(awk '{ printf "%s", $3; exit }' <<<"$(tr '\n' ' ' <<<"$out")")
	[[ $v =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] || {
		echo "field 3 of '$out' is no semver: '$v'" >&2
		return 1
	}
	# >= 2.0.19 (--sync for exec-sync) and >= 2.1.2 (--log-global-size-max).
	[ "$(printf '%s\n' 2.1.2 "${v%%[-+]*}" | sort -V | head -1)" = 2.1.2 ] || {
		echo "version $v < 2.1.2: CRI-O would not use --log-global-size-max" >&2
		return 1
	}
	assert_contains "$("$CONMON" --help 2>&1)" --log-global-size-max "--help"
}

# ---------------------------------------------------------------- create

@test "CRI-O create: SOCK_STREAM sync and start on fds 3 and 4, cwd bundle, CRI-O's env; then exit and persist files" {
	bundle_sh 'echo hello; echo oops >&2; exit 3'
	crio_create_ok
	# What CRI-O reads next: the container pid the runtime wrote.
	assert_eq "$(cat "$CTR_PIDFILE")" "$CTR_PID" "container pidfile"
	# The monitor as CRI-O left it: in the bundle, in CRI-O's environment
	# (nothing added but what conmon's spec adds: nothing), session leader.
	assert_eq "$(readlink "/proc/$MONITOR_PID/cwd")" "$BUNDLE" "monitor's cwd"
	assert_eq "$(tr '\0' '\n' <"/proc/$MONITOR_PID/environ" | sort | tr '\n' ' ')" \
		"$(printf '%s\n' CRI_O_EXTERNAL=1 "PATH=$PATH" _OCI_STARTPIPE=4 _OCI_SYNCPIPE=3 \
			${XDG_RUNTIME_DIR+"XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"} | sort | tr '\n' ' ')" \
		"monitor's environment"
	assert_eq "$(ps -o sid= -p "$MONITOR_PID" | tr -d ' ')" "$MONITOR_PID" "monitor's session"
	# The attach symlink CRI-O connects through exists before the start.
	assert_eq "$(readlink "$SOCKET_DIR/$CID")" "$BUNDLE" "socket dir link"
	[ -S "$SOCKET_DIR/$CID/attach" ]
	[ -p "$BUNDLE/ctl" ]

	container_start
	exit_seen
	assert_eq "$EXIT_CODE" 3 "exit code"
	wait_monitor_gone
	assert_eq "$(log_stream stdout)" hello "log stdout"
	assert_eq "$(log_stream stderr)" oops "log stderr"
	# Gone with the monitor: the link and the socket; ctl stays (CRI-O
	# removes the bundle).
	[ ! -e "$SOCKET_DIR/$CID" ] && [ ! -L "$SOCKET_DIR/$CID" ]
	[ ! -e "$BUNDLE/attach" ]
	# No oom file without an OOM kill.
	[ ! -e "$BUNDLE/oom" ] && [ ! -e "$PERSIST_DIR/oom" ]
}

@test "CRI-O create that the runtime refuses: one {\"pid\": -1, \"message\"} value with the runtime's words, no exit file" {
	bundle_cmd -- /no/such/binary
	crio_create
	# The launcher forked fine; the failure comes through the sync pipe,
	# which CRI-O turns into "container create failed: <message>".
	assert_eq "$LAUNCHER_STATUS" 0 "launcher status"
	assert_eq "$(jq -c 'keys' <<<"$SYNC_TEXT")" '["message","pid"]' "sync value's keys"
	assert_eq "$(jq -r .pid <<<"$SYNC_TEXT")" -1 "sync pid"
	assert_contains "$(jq -r .message <<<"$SYNC_TEXT")" /no/such/binary "sync message"
	assert_eq "$(printf '%s' "$SYNC_TEXT" | wc -l)" 1 "sync lines"
	wait_until "$WAIT" pid_gone "$MONITOR_PID"
	[ ! -e "$EXIT_DIR/$CID" ] && [ ! -e "$PERSIST_DIR/exit" ]
}

# ---------------------------------------------------------------- attach

@test "CRI-O attach through <socket-dir>/<cid>/attach: output packets, stdin, half-close ends stdin (stdin_once)" {
	bundle_sh 'echo ready; read -r line; echo "got $line"; echo err >&2; exit 0'
	crio_create_ok -i
	# CRI-O dials the symlink path, not the bundle.
	bg "$LIB_DIR/attach-client" "$SOCKET_DIR/$CID/attach" "$T/client" $'hello\n'
	wait_for_file "$T/client.ready"
	container_start
	exit_seen
	assert_eq "$EXIT_CODE" 0 "exit code"
	wait "$BG_PID"
	assert_eq "$(cat "$T/client.2")" $'ready\ngot hello' "attach stdout"
	assert_eq "$(cat "$T/client.3")" err "attach stderr"
	wait_monitor_gone
}

@test "CRI-O attach with --leave-stdin-open (stdin, not stdin_once): a client's half-close leaves the container's stdin open" {
	bundle_sh 'while read -r line; do echo "got $line"; done; echo eof'
	crio_create_ok --leave-stdin-open -i
	container_start
	bg "$LIB_DIR/attach-client" "$SOCKET_DIR/$CID/attach" "$T/one" $'one\n'
	wait_until "$WAIT" grep -qx 'got one' "$T/one.2"
	# A second attach, after the first client's input ended: the
	# container still reads.
	bg "$LIB_DIR/attach-client" "$SOCKET_DIR/$CID/attach" "$T/two" $'two\n'
	wait_until "$WAIT" grep -qx 'got two' "$T/two.2"
	# Only proves that something does not happen: no EOF reached it.
	sleep 0.3
	! grep -q eof "$CTR_LOG"
	rt kill "$CID" KILL
	exit_seen
	assert_eq "$EXIT_CODE" 137 "exit code"
	wait_monitor_gone
}

@test "CRI-O attach to a tty container: resize through ctl held open, output with CRLF" {
	# busybox stty fails on a never-sized terminal: poll until sized.
	bundle_sh 'until s=$(stty size 2>/dev/null) && [ "$s" = "30 100" ]; do sleep 0.05; done; echo "size $s"' -t
	crio_create_ok -t
	bg "$LIB_DIR/attach-client" "$SOCKET_DIR/$CID/attach" "$T/client"
	wait_for_file "$T/client.ready"
	# CRI-O opens ctl for the attach and writes one line per resize.
	exec {ctl}>"$BUNDLE/ctl"
	container_start
	printf '1 30 100\n' >&"$ctl"
	exit_seen
	exec {ctl}>&-
	assert_eq "$EXIT_CODE" 0 "exit code"
	wait "$BG_PID"
	assert_eq "$(cat "$T/client.2")" $'size 30 100\r' "attach output"
	assert_eq "$(log_stream stdout)" $'size 30 100\r' "log"
	wait_monitor_gone
}

# ---------------------------------------------------------------- reopen

# log_lines FILE...: the container's stdout lines from k8s logs, in order.
log_lines() {
	local f
	for f; do
		"$LIB_DIR/k8s-log" --stream stdout "$f" || return 1
	done
}

# assert_counted < LINES: "line-0".."line-N" then "last-(N+1)", nothing
# missing, nothing twice.
assert_counted() {
	awk '
		/^last-/ { if ($0 != "last-" NR - 1) { print "bad last line " $0 " at " NR; bad = 1 } last = 1; next }
		$0 != "line-" NR - 1 { print "line " NR " is " $0; bad = 1; exit }
		END { if (!last) { print "no last line (" NR " lines)"; bad = 1 } exit bad }
	' >&2
}

# rotate N: what the kubelet does: rename the log away, then ask CRI-O to
# reopen it; CRI-O waits for the new file's Create/Write event.
rotate() {
	local out
	mv "$CTR_LOG" "$CTR_LOG.$1"
	out=$("$BATS_FILE_TMPDIR/crio-reopen" "$BUNDLE" "$CTR_LOG" $((WAIT * 1000))) || return 1
	echo "# reopen $1: $out" >&3
	[ -e "$CTR_LOG" ]
}

@test "CRI-O ReopenContainerLog twice while the container writes: inotify sees the new file; the rotated files and a following reader lose nothing" {
	# Numbered lines until the gate opens (a read-only bind of $T/gate).
	bundle_sh 'i=0; while [ ! -e /gate/stop ]; do echo "line-$i"; i=$((i + 1)); [ $((i % 20)) = 0 ] && sleep 0.01; done; echo "last-$i"' \
		--bind "$T/gate:/gate"
	crio_create_ok
	bg "$LIB_DIR/log-follow" "$CTR_LOG" "$T/followed" "$T/follow.stop"
	FOLLOW_PID=$BG_PID
	container_start
	wait_until "$WAIT" log_has_lines "$CTR_LOG" 200
	rotate 1
	wait_until "$WAIT" log_has_lines "$CTR_LOG" 200
	rotate 2
	wait_until "$WAIT" log_has_lines "$CTR_LOG" 200
	: >"$T/gate/stop"
	exit_seen
	assert_eq "$EXIT_CODE" 0 "exit code"
	wait_monitor_gone
	: >"$T/follow.stop"
	wait "$FOLLOW_PID"

	# The new file is a fresh k8s log with the mode of the first.
	assert_mode "$CTR_LOG" "$(stat -c %a "$CTR_LOG.1")"
	[ ! -e "$CTR_LOG.tmp" ]
	log_lines "$CTR_LOG.1" "$CTR_LOG.2" "$CTR_LOG" | assert_counted
	# Each file has output of its own.
	[ -s "$CTR_LOG.1" ] && [ -s "$CTR_LOG.2" ] && [ -s "$CTR_LOG" ]
	# The reader followed three files and read every record once.
	assert_eq "$(cat "$T/followed.n")" 3 "files followed"
	log_lines "$T/followed" | assert_counted
}

log_has_lines() {
	[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]
}

# ---------------------------------------------------------------- exec-sync

# crio_exec_sync [-t] [-T N] -- COMMAND...: an exec-sync probe in the
# running container, as CRI-O runs it (docs/clients.md §3.3, lib/exec-sync, in
# CRI-O's environment). Sets SYNC_STATUS and SYNC_TEXT; PROBE_LOG is the
# temporary log.
crio_exec_sync() {
	local tty= timeout= out
	while [ "$1" != -- ]; do
		case $1 in
		-t) tty=-t; shift ;;
		-T) timeout=$2; shift 2 ;;
		esac
	done
	shift
	PROBE_LOG=$T/crio-log-$CID-$RANDOM
	: >"$T/probe.pid"
	jq --argjson t "$([ -n "$tty" ] && echo true || echo false)" \
		'.process | .args = $ARGS.positional | .terminal = $t' \
		"$BUNDLE/config.json" --args -- "$@" >"$T/exec-process.json"
	out=$(cd "$T" && EXEC_SYNC_STDOUT=$T/probe.out EXEC_SYNC_STDERR=$T/probe.err \
		crio_env timeout -k 1 $((WAIT + 5)) "$LIB_DIR/exec-sync" "$CONMON" \
		-c "$CID" -n "k8s_ctr_pod_default_0123-4567_0" -r "$RUNTIME_PATH" \
		-p "$T/probe.pid" -e -l "$PROBE_LOG" --socket-dir-path "$SOCKET_DIR" \
		--log-level info --sync --log-global-size-max 16777216 \
		${tty:+"$tty"} ${timeout:+-T "$timeout"} \
		--exec-process-spec "$T/exec-process.json" --runtime-arg "--root=$RT_ROOT"
		printf x) || return 1
	out=${out%x}
	SYNC_STATUS=$(sed -n '1s/^status //p' <<<"$out")
	SYNC_TEXT=$(printf '%s' "$out" | tail -n +3; printf x)
	SYNC_TEXT=${SYNC_TEXT%x}
}

@test "CRI-O exec-sync probes in a CRI-O container: one {\"exit_code\"} on a plain pipe, output by stream, timeout, 16 MiB cap" {
	bundle_sh 'exec sleep 1000'
	crio_create_ok
	container_start
	wait_until "$WAIT" rt_status_is running

	crio_exec_sync -T 5 -- sh -c 'echo out; printf partial; echo err >&2; exit 3'
	assert_eq "$SYNC_TEXT" $'{"exit_code": 3}\n' "sync pipe"
	assert_eq "$SYNC_STATUS" 3 "conmon's status"
	# CRI-O splits the log by stream, dropping the newline after P.
	assert_eq "$("$LIB_DIR/k8s-log" --stream stdout "$PROBE_LOG")" $'out\npartial' "probe stdout"
	assert_eq "$("$LIB_DIR/k8s-log" --stream stderr "$PROBE_LOG")" err "probe stderr"
	assert_eq "$(cat "$T/probe.out" "$T/probe.err")" "" "conmon's own stdout and stderr"

	# A probe that outlives its timeout: exactly "command timed out".
	crio_exec_sync -T 1 -- sleep 30
	assert_eq "$SYNC_TEXT" $'{"exit_code": -1, "message": "command timed out"}\n' "sync pipe on timeout"

	# 20 MB of output against the 16 MiB cap: the log stops at the cap
	# (the record crossing it written whole), the probe still succeeds.
	crio_exec_sync -T 30 -- awk 'BEGIN { s = sprintf("%999s", ""); for (i = 0; i < 20000; i++) print s }'
	assert_eq "$SYNC_TEXT" $'{"exit_code": 0}\n' "sync pipe with the cap"
	local size
	size=$(stat -c %s "$PROBE_LOG")
	[ "$size" -ge 16000000 ] && [ "$size" -le $((16777216 + 8192 + 46)) ] || {
		echo "probe log is $size bytes; the cap is 16777216" >&2
		return 1
	}
	"$LIB_DIR/k8s-log" --records "$PROBE_LOG" >/dev/null

	# The container was never disturbed.
	assert_eq "$(rt_status)" running "container state"
	rt kill "$CID" KILL
	exit_seen
	assert_eq "$EXIT_CODE" 137 "exit code"
}

# ---------------------------------------------------------------- OOM

# has_memory_controller: runc can limit a container's memory here (cgroup
# v1's memory hierarchy, or memory enabled in the cgroup v2 root).
has_memory_controller() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	else
		[ -e /sys/fs/cgroup/memory/memory.oom_control ]
	fi
}

@test "CRI-O and an OOM kill: <bundle>/oom (CRI-O's file) before the exit files, status 137" {
	[ "$RUNTIME" = runc ] ||
		skip "crun runs with --cgroup-manager=disabled here (lib/crun-wrapper): no memory limit to exceed"
	has_memory_controller || skip "this host has no memory cgroup controller"
	bundle_sh 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived' --memory 8388608
	crio_create_ok
	container_start
	# When CRI-O sees the exit, the oom file must be there already.
	wait_for_file "$EXIT_DIR/$CID"
	[ -e "$BUNDLE/oom" ] || {
		echo "no $BUNDLE/oom when the exit file appeared: CRI-O would not report OOMKilled" >&2
		ls -la "$BUNDLE" >&2
		return 1
	}
	exit_seen
	assert_eq "$EXIT_CODE" 137 "exit code"
	wait_monitor_gone
	! log_stream stdout | grep -q survived
}
