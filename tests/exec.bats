#!/usr/bin/env bats
# Exec sessions, exec-sync, restore and the remaining lifecycle flags on a
# real runtime ($RUNTIME: runc or crun): exec exit codes and logs, runtime
# failures on the sync pipe in both key styles, the --exec-attach handshake
# with a real attach client, exec with a terminal, CRI-O's exec-sync
# (--sync, -T, --log-global-size-max) driven exactly as CRI-O does, restore,
# the sd-notify relay, the descriptors the container and the exit command
# see, and LISTEN_PID.  Spec: docs/lifecycle.md §6-§8, §12-§16,
# docs/sync-protocol.md, docs/clients.md §2.4, §2.7, §3.3.

load helpers
load lib/attach

setup() {
	common_setup
	SESSION=exec-session-$RANDOM$RANDOM
	EXEC_BUNDLE=$T/exec
	EXEC_PIDFILE=$EXEC_BUNDLE/exec_pid
	EXEC_EXIT_DIR=$EXEC_BUNDLE/exit
	EXEC_PERSIST_DIR=$EXEC_BUNDLE/persist/$CID
	EXEC_LOG=$T/exec.log
	EXEC_CONMON_PIDFILE=$EXEC_BUNDLE/conmon.pid
	EXEC_SPEC=$EXEC_BUNDLE/exec-process-1
	mkdir -p "$EXEC_EXIT_DIR" "$EXEC_PERSIST_DIR"
	CTR_MONITOR_PID= EXEC_MONITOR_PID= LISTENER_PID=
	attach_tools_build
}

teardown() {
	local pid
	for pid in "$EXEC_MONITOR_PID" "$LISTENER_PID"; do
		if [ -n "$pid" ] && pid_of_test "$pid"; then
			kill -KILL $(children_named "$pid") "$pid" 2>/dev/null || true
		fi
	done
	[ -z "$CTR_MONITOR_PID" ] || MONITOR_PID=$CTR_MONITOR_PID
	probes_teardown
	common_teardown
}

# ---------------------------------------------------------------- helpers

# start_target [make-bundle OPTIONS]: a running container to exec into,
# its init a plain `sleep 600`, created through conmon as Podman does.
start_target() {
	"$LIB_DIR/make-bundle" --rootfs "$ROOTFS" "$@" "$BUNDLE" -- sleep 600
	conmon_create
	container_start
	wait_until "$WAIT" rt_status_is running
	CTR_MONITOR_PID=$MONITOR_PID
}

# exec_spec [-t] COMMAND...: the process JSON of an exec session
# (--exec-process-spec), made from the bundle template's process.
exec_spec() {
	local terminal=false
	[ "$1" = -t ] && { terminal=true; shift; }
	jq --argjson t "$terminal" '.process | .args = $ARGS.positional | .terminal = $t' \
		"$LIB_DIR/config.json.in" --args -- "$@" >"$EXEC_SPEC"
}

# podman_exec_args [LOG]: Podman's exec command line (docs/clients.md §2.2,
# §2.4) up to the exec options, with the log driver LOG (default a
# k8s-file log, so the output can be checked; Podman uses -l none).
podman_exec_args() {
	EXEC_ARGS=(
		--api-version 1
		-c "$CID" -u "$SESSION" -r "$RUNTIME_UNDER_TEST"
		-b "$EXEC_BUNDLE" -p "$EXEC_PIDFILE" -n exec-test
		--exit-dir "$EXEC_EXIT_DIR" --persist-dir "$EXEC_PERSIST_DIR"
		--full-attach --runtime-arg "--root=$RT_ROOT"
		-l "${1:-k8s-file:$EXEC_LOG}" --log-level debug
		--conmon-pidfile "$EXEC_CONMON_PIDFILE"
	)
}

# legacy_exec_args: an exec without --api-version, -u or -b, as CRI-O's
# exec-sync has it (docs/clients.md §3.3), but daemonized and with exit files.
legacy_exec_args() {
	EXEC_ARGS=(
		-c "$CID" -n exec-test -r "$RUNTIME_UNDER_TEST"
		-p "$EXEC_PIDFILE" -e -l "$EXEC_LOG"
		--socket-dir-path "$SOCKET_DIR" --log-level debug
		--exit-dir "$EXEC_EXIT_DIR" --persist-dir "$EXEC_PERSIST_DIR"
		--conmon-pidfile "$EXEC_CONMON_PIDFILE"
		--exec-process-spec "$EXEC_SPEC" --runtime-arg "--root=$RT_ROOT"
	)
}

# exec_launch ARGS...: conmon_launch for an exec session: same pipes, but
# the session's conmon pidfile; sets EXEC_MONITOR_PID and leaves
# MONITOR_PID to the container's monitor.
exec_launch() {
	local CONMON_PIDFILE=$EXEC_CONMON_PIDFILE
	rm -f "$EXEC_CONMON_PIDFILE"
	MONITOR_PID=
	conmon_launch "$@"
	EXEC_MONITOR_PID=$MONITOR_PID
	MONITOR_PID=$CTR_MONITOR_PID
	if [ "${CONMON_BACKGROUND:-0}" != 1 ] && [ "$LAUNCHER_STATUS" != 0 ]; then
		echo "exec launcher exited $LAUNCHER_STATUS; stderr:" >&2
		cat "$T/launcher.err" >&2
		return 1
	fi
}

# exec_wait_exit: wait for the session's exit file; EXEC_EXIT_CODE := it.
exec_wait_exit() {
	wait_for_file "$EXEC_EXIT_DIR/$CID" || return 1
	EXEC_EXIT_CODE=$(cat "$EXEC_EXIT_DIR/$CID")
}

# sync_expect REGEX: the next sync line matches REGEX.
sync_expect() {
	sync_read || return 1
	[[ $SYNC_LINE =~ $1 ]] || {
		echo "sync message '$SYNC_LINE' does not match $1" >&2
		return 1
	}
}

# no_sync_message: nothing more arrives on the sync pipe (a short wait:
# this proves an absence).
no_sync_message() {
	local extra
	! IFS= read -r -t 0.3 -u "$SYNC_FD" extra || {
		echo "unexpected sync message: $extra" >&2
		return 1
	}
}

# runtime_words ARGS...: what the runtime itself says on stderr when run
# with ARGS (and fails), first line, without runc's timestamp.
runtime_words() {
	local words
	if words=$(cd "$T" && rt "$@" 2>&1 >/dev/null); then
		echo "the runtime did not fail: rt $*" >&2
		return 1
	fi
	sed -n '$ {s/^time="[^"]*" //;p}' <<<"$words"
}

# stopped_target: a container that has run and exited, as an exec target.
stopped_target() {
	bundle_sh 'exit 0'
	run_container
	wait_monitor_gone
	rt_status_is stopped
}

# refusal_words: into WORDS, what the runtime itself says when asked to
# run $EXEC_SPEC in the container, which it must refuse.
refusal_words() {
	WORDS=$(runtime_words exec --pid-file "$T/probe.pid" --process "$EXEC_SPEC" --detach "$CID") || return 1
	[ -n "$WORDS" ] || {
		echo "the runtime refused without a word" >&2
		return 1
	}
}

# exec_refused WORDS: an exec the runtime refuses: conmon reports
# {"data": -1} with the runtime's WORDS as the only sync message, exits,
# and writes no exit file.
exec_refused() {
	podman_exec_args
	exec_launch "${EXEC_ARGS[@]}" -e --exec-process-spec "$EXEC_SPEC"
	sync_read
	assert_eq "$(jq -r .data <<<"$SYNC_LINE")" -1 "data"
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "$1" "sync message"
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	# Callers tell a failure by the missing exit file too.
	no_sync_message
	[ ! -e "$EXEC_EXIT_DIR/$CID" ] || {
		echo "an exit file after a refused exec" >&2
		return 1
	}
}

# attached_exec CODE [INPUT]: as Podman does, an attach client (sending
# INPUT, then half-closing) connects before the second start byte releases
# the exec session; the sync pipe gives the pid, then exit CODE, and the
# client reads to the end (conmon closes it at exit) and exits 0.  Its
# packets are in $T/client.2 and $T/client.3.
attached_exec() {
	local code=$1 client
	shift
	"$LIB_DIR/attach-client" "$EXEC_BUNDLE/attach" "$T/client" "$@" &
	client=$!
	wait_for_file "$T/client.ready"
	printf '\0' >&"$START_FD"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	sync_expect "^\\{\"data\": $code\\}\$"
	wait_until "$WAIT" pid_gone "$client"
	wait "$client"
}

# exec_sync ARGS...: conmon as CRI-O's exec-sync runs it (lib/exec-sync);
# sets SYNC_STATUS, SYNC_MS and SYNC_TEXT (the sync pipe's bytes).
exec_sync() {
	local out
	out=$(EXEC_SYNC_STDOUT=$T/exec-sync.out EXEC_SYNC_STDERR=$T/exec-sync.err \
		timeout -k 1 "$WAIT" "$LIB_DIR/exec-sync" "$CONMON" "$@"; printf x) || return 1
	out=${out%x}
	SYNC_STATUS=$(sed -n '1s/^status //p' <<<"$out")
	SYNC_MS=$(sed -n '2s/^ms //p' <<<"$out")
	SYNC_TEXT=$(printf '%s' "$out" | tail -n +3; printf x)
	SYNC_TEXT=${SYNC_TEXT%x}
	[ -n "$SYNC_STATUS" ] || { echo "exec-sync printed: $out" >&2; return 1; }
}

# crio_exec_sync_args [-t] [-T N]: CRI-O's exec-sync command line, in its
# order (docs/clients.md §3.3).
crio_exec_sync_args() {
	local tty= timeout=
	while [ $# -gt 0 ]; do
		case $1 in
		-t) tty=-t; shift ;;
		-T) timeout=$2; shift 2 ;;
		esac
	done
	: >"$EXEC_PIDFILE"
	EXEC_ARGS=(
		-c "$CID" -n exec-test -r "$RUNTIME_UNDER_TEST" -p "$EXEC_PIDFILE" -e
		-l "$EXEC_LOG" --socket-dir-path "$SOCKET_DIR" --log-level info
		--sync --log-global-size-max "${LOG_GLOBAL_MAX:-16777216}"
		${tty:+"$tty"} ${timeout:+-T "$timeout"}
		--exec-process-spec "$EXEC_SPEC" --runtime-arg "--root=$RT_ROOT"
	)
}

# exec_log_stream STREAM: the reassembled bytes of STREAM in the exec log.
exec_log_stream() {
	"$LIB_DIR/k8s-log" --stream "$1" "$EXEC_LOG"
}

# launch_podman_fds N ARGS...: run the launcher with ARGS the way Podman
# lays out descriptors (docs/clients.md §2.5): files $T/fd3 .. $T/fd<N+2> open
# at 3..N+2 (create them first), the sync pipe at N+3, the start pipe at
# N+4, plus the redirections in EXTRA_FDS (e.g. "9<file"), and no other
# fd; cwd $T, output to $T/launcher.*. Writes the start byte and waits for
# the launcher.
launch_podman_fds() {
	local n=$1
	shift
	(
		local fd keep=($((n + 3)) $((n + 4)))
		for ((fd = 3; fd < n + 3; fd++)); do
			eval "exec $fd<\"\$T/fd$fd\""
			keep+=("$fd")
		done
		eval "exec $((n + 3))>&$SYNC_FD $((n + 4))<&$START_FD ${EXTRA_FDS:-}"
		for fd in ${EXTRA_FDS:-}; do
			keep+=("${fd%%[<>]*}")
		done
		cd "$T"
		close_fds_except "${keep[@]}"
		exec env _OCI_SYNCPIPE=$((n + 3)) _OCI_STARTPIPE=$((n + 4)) \
			${CONMON_ENV[@]+"${CONMON_ENV[@]}"} "$CONMON" "$@"
	) </dev/null >"$T/launcher.out" 2>"$T/launcher.err" &
	LAUNCHER_PID=$!
	printf '\0' >&"$START_FD"
	LAUNCHER_STATUS=0
	wait "$LAUNCHER_PID" || LAUNCHER_STATUS=$?
	LAUNCHER_PID=
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
}

# inode_of PATH: the inode number of what PATH resolves to.
inode_of() {
	stat -L -c %i "$1"
}

# ---------------------------------------------------------------- exec

@test "exec: exit codes 0, 1 and 137 on the sync pipe and in the exit files" {
	start_target
	local code cmd
	for code in 0 1 137; do
		case $code in
		137) cmd='kill -9 $$' ;;
		*) cmd="exit $code" ;;
		esac
		exec_spec sh -c "$cmd"
		rm -f "$EXEC_EXIT_DIR/$CID" "$EXEC_PERSIST_DIR/exit" "$EXEC_PIDFILE"
		podman_exec_args
		exec_launch "${EXEC_ARGS[@]}" -e --exec-process-spec "$EXEC_SPEC"
		# v1: the pid as soon as it is known, the status at the end.
		sync_expect '^\{"data": [1-9][0-9]*\}$'
		assert_eq "$(jq .data <<<"$SYNC_LINE")" "$(tr -d ' \n' <"$EXEC_PIDFILE")" "pid on the sync pipe"
		sync_expect "^\\{\"data\": $code\\}\$"
		exec_wait_exit
		assert_eq "$EXEC_EXIT_CODE" "$code" "exit file"
		assert_decimal_file "$EXEC_PERSIST_DIR/exit" "$code"
		wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	done
	# The container itself is untouched by its execs.
	rt_status_is running
	pid_alive "$CTR_MONITOR_PID"
}

@test "exec, legacy (no --api-version): only {\"exit_code\": N}, no pid message" {
	start_target
	exec_spec sh -c 'exit 7'
	legacy_exec_args
	exec_launch "${EXEC_ARGS[@]}"
	# CRI-O reads exactly one JSON value: the status, and nothing before.
	sync_expect '^\{"exit_code": 7\}$'
	exec_wait_exit
	assert_eq "$EXEC_EXIT_CODE" 7
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	no_sync_message
	# No -u and no -b: no attach socket, no symlink (the container's own
	# is the only one), no FIFOs.
	assert_eq "$(ls -A "$SOCKET_DIR")" "$CUUID" "socket dir content"
	[ ! -e "$T/attach" ] && [ ! -e "$T/ctl" ]
}

@test "exec: a process that exits at once never loses its status" {
	# It may be gone before the runtime is: conmon reaps it while it waits
	# for the runtime and must remember its status (docs/lifecycle.md §6.4).
	start_target
	exec_spec sh -c 'exit 9'
	local i
	for i in 1 2 3 4 5 6; do
		rm -f "$EXEC_EXIT_DIR/$CID" "$EXEC_PIDFILE"
		podman_exec_args
		exec_launch "${EXEC_ARGS[@]}" -e --exec-process-spec "$EXEC_SPEC"
		sync_expect '^\{"data": [1-9][0-9]*\}$'
		sync_expect '^\{"data": 9\}$'
		exec_wait_exit
		assert_eq "$EXEC_EXIT_CODE" 9 "exit file (run $i)"
	done
}

@test "exec: output goes to the exec log, not the container's" {
	start_target
	exec_spec sh -c 'echo out1; echo err1 >&2; echo out2; printf partial'
	podman_exec_args
	exec_launch "${EXEC_ARGS[@]}" -e --exec-process-spec "$EXEC_SPEC"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	sync_expect '^\{"data": 0\}$'
	exec_wait_exit
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	"$LIB_DIR/k8s-log" "$EXEC_LOG" >/dev/null
	assert_eq "$(exec_log_stream stdout)" "$(printf 'out1\nout2\npartial')" stdout
	assert_eq "$(exec_log_stream stderr)" err1 stderr
	assert_mode "$EXEC_LOG" 640
	assert_eq "$(log_stream stdout; log_stream stderr)" "" "the container's own log"
}

@test "exec into a stopped container: {\"data\": -1} with the runtime's words, no exit file" {
	stopped_target
	exec_spec true
	refusal_words
	exec_refused "$WORDS"
	[ ! -e "$EXEC_PERSIST_DIR/exit" ]
}

@test "exec into a stopped container, legacy: {\"exit_code\": -1} with the runtime's words" {
	stopped_target
	exec_spec true
	refusal_words

	legacy_exec_args
	exec_launch "${EXEC_ARGS[@]}"
	sync_read
	assert_eq "$(jq -r .exit_code <<<"$SYNC_LINE")" -1 "exit_code"
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "$WORDS" "sync message"
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	no_sync_message
	[ ! -e "$EXEC_EXIT_DIR/$CID" ]
}

@test "--exec-attach: attach message, runtime held until the second start byte, output to the client" {
	start_target
	exec_spec sh -c 'echo out; echo err >&2; exit 4'
	podman_exec_args none
	USE_ATTACH_PIPE=1
	exec_launch "${EXEC_ARGS[@]}" -e --exec-attach --exec-process-spec "$EXEC_SPEC"
	# The socket and FIFOs exist when the attach message comes.
	attach_read
	assert_eq "$ATTACH_LINE" '{"data": 0}' "attach message"
	[ -S "$EXEC_BUNDLE/attach" ] && [ -p "$EXEC_BUNDLE/ctl" ] && [ -p "$EXEC_BUNDLE/winsz" ]
	# Held back: the runtime child has not exec'd the runtime yet, so no
	# exec process and no pid (a short wait proves the absence).
	no_sync_message
	[ ! -s "$EXEC_PIDFILE" ]
	local child
	child=$(children_named "$EXEC_MONITOR_PID")
	assert_eq "$(readlink "/proc/$child/exe")" "$(readlink -f "${CONMON_EXE:-$CONMON}")" "the runtime child's program"

	attached_exec 4
	exec_wait_exit
	assert_eq "$EXEC_EXIT_CODE" 4
	# Every byte, each stream in its own packets, and nothing else (no
	# diagnostic of the runtime child in the container's stderr).
	assert_eq "$(cat "$T/client.2")" out "stdout packets"
	assert_eq "$(cat "$T/client.3")" err "stderr packets"
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	[ ! -e "$EXEC_BUNDLE/attach" ]
	[ ! -e "$EXEC_LOG" ]
}

@test "exec -i --exec-attach (podman exec -i): the client's input, then its half-close, reach the process" {
	start_target
	exec_spec sh -c 'cat; echo "stdin ended"'
	podman_exec_args none
	USE_ATTACH_PIPE=1
	exec_launch "${EXEC_ARGS[@]}" -i -e --exec-attach --exec-process-spec "$EXEC_SPEC"
	attach_read
	# cat ends only if conmon closed the stdin pipe after the half-close.
	attached_exec 0 $'line one\nline two\n'
	assert_eq "$(cat "$T/client.2")" $'line one\nline two\nstdin ended' "stdout packets"
}

@test "exec -t -i --exec-attach (podman exec -it): input and output through the pty" {
	start_target
	exec_spec -t sh -c 'read line; echo "got $line"; tty'
	podman_exec_args
	USE_ATTACH_PIPE=1
	exec_launch "${EXEC_ARGS[@]}" -t -i -e --exec-attach --exec-process-spec "$EXEC_SPEC"
	attach_read
	assert_eq "$ATTACH_LINE" '{"data": 0}' "attach message"
	# Input sent before the pty exists is held, then written to it.
	attached_exec 0 $'abc\n'
	# A terminal reports everything as stdout, with ONLCR's \r\n.
	assert_contains "$(cat "$T/client.2")" $'got abc\r\n/dev/pts/' "stdout packets"
	assert_eq "$(cat "$T/client.3" 2>/dev/null)" "" "stderr packets"
	assert_contains "$(exec_log_stream stdout)" $'got abc\r\n' "exec log"
	exec_wait_exit
	assert_eq "$EXEC_EXIT_CODE" 0
}

@test "exec -t --exec-attach: Podman's first resize, sent before the start byte, sizes the pty" {
	start_target
	# Busybox's stty size prints only an error (and exits 0) on a
	# terminal that was never sized. The runtime runs the process as soon
	# as it has handed over the pty, a race conmon cannot win every time
	# (Podman also puts the size in the process spec), so the process
	# waits up to 3 s for the size to arrive.
	exec_spec -t sh -c 'i=0; until s=$(stty size 2>/dev/null); [ -n "$s" ] || [ $i -ge 300 ]; do i=$((i + 1)); usleep 10000; done; stty size'
	podman_exec_args none
	USE_ATTACH_PIPE=1
	exec_launch "${EXEC_ARGS[@]}" -t -e --exec-attach --exec-process-spec "$EXEC_SPEC"
	attach_read
	# Podman's order (docs/clients.md §2.7): resize, connect, second byte.
	echo '1 24 80' >"$EXEC_BUNDLE/ctl"
	attached_exec 0
	assert_eq "$(cat "$T/client.2")" $'24 80\r' "stty size"
}

@test "exec of a missing binary: {\"data\": -1} with the runtime's words" {
	start_target
	exec_spec /no/such/binary
	refusal_words
	# Upstream's suite looks for runc's "exec failed".
	[ "$RUNTIME" != runc ] || assert_contains "$WORDS" "exec failed"
	exec_refused "$WORDS"
	rt_status_is running
}

@test "exec in the container's own bundle and cuuid: its socket, FIFOs and link are replaced" {
	# Upstream's suite runs exec sessions this way (its test 08-exec).
	start_target
	[ -S "$BUNDLE/attach" ] && [ -p "$BUNDLE/ctl" ] && [ -L "$SOCKET_DIR/$CUUID" ]
	local before
	before=$(inode_of "$BUNDLE/attach")
	exec_spec sh -c 'echo same-bundle'
	exec_launch --api-version 1 -c "$CID" -u "$CUUID" -r "$RUNTIME_UNDER_TEST" \
		-b "$BUNDLE" -p "$EXEC_PIDFILE" --exit-dir "$EXEC_EXIT_DIR" \
		--socket-dir-path "$SOCKET_DIR" --runtime-arg "--root=$RT_ROOT" \
		-l "k8s-file:$EXEC_LOG" --conmon-pidfile "$EXEC_CONMON_PIDFILE" \
		-e --exec-process-spec "$EXEC_SPEC"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	sync_expect '^\{"data": 0\}$'
	exec_wait_exit
	assert_eq "$EXEC_EXIT_CODE" 0
	assert_eq "$(exec_log_stream stdout)" same-bundle
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	[ "$before" != "$(inode_of "$BUNDLE/attach" 2>/dev/null)" ]
	rt_status_is running
}

@test "cli: the exec and restore option checks" {
	USE_START_PIPE=0 USE_SYNC_PIPE=0
	local base=(--cid "$CID" --cuuid "$CUUID" --runtime "$RUNTIME_PATH" -l none)
	exec_spec true
	run conmon_exec_clean "${base[@]}" --exec
	[ "$status" -eq 1 ]
	assert_contains "$output" "Exec process spec path not provided. Use --exec-process-spec"
	run conmon_exec_clean "${base[@]}" --exec-attach
	[ "$status" -eq 1 ]
	assert_contains "$output" "Attach can only be specified with exec"
	run conmon_exec_clean "${base[@]}" --exec --exec-attach --exec-process-spec "$EXEC_SPEC"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Attach can only be specified for a non-legacy exec session"
	run conmon_exec_clean "${base[@]}" --exec --restore "$T/ckpt" --exec-process-spec "$EXEC_SPEC"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Cannot use 'exec' and 'restore' at the same time"
	# --sync shows the monitor's own error: no _OCI_ATTACHPIPE.
	run conmon_exec_clean "${base[@]}" --api-version 1 --sync --exec --exec-attach \
		--exec-process-spec "$EXEC_SPEC" --bundle "$EXEC_BUNDLE"
	[ "$status" -eq 1 ]
	assert_contains "$output" "--attach specified but _OCI_ATTACHPIPE was not"
}

@test "exec -t: a terminal exec that exits at once keeps its status" {
	# --exec --terminal --api-version: the process may exit before the
	# runtime has; conmon waits for both (docs/lifecycle.md §9).
	start_target
	exec_spec -t sh -c 'tty; exit 5'
	local i
	for i in 1 2 3; do
		rm -f "$EXEC_EXIT_DIR/$CID" "$EXEC_PIDFILE" "$EXEC_LOG"
		podman_exec_args
		exec_launch "${EXEC_ARGS[@]}" -t -e --exec-process-spec "$EXEC_SPEC"
		sync_expect '^\{"data": [1-9][0-9]*\}$'
		sync_expect '^\{"data": 5\}$'
		exec_wait_exit
		assert_eq "$EXEC_EXIT_CODE" 5 "exit file (run $i)"
		wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
		assert_contains "$(exec_log_stream stdout)" $'/dev/pts/' "exec log (run $i)"
	done
}

@test "exec --preserve-fds: the exec'd process sees exactly the preserved fds" {
	start_target
	# Podman's layout: the preserved fds at 3..N+2, then sync and start.
	exec_spec sleep 600
	podman_exec_args
	echo one >"$T/fd3"
	echo two >"$T/fd4"
	launch_podman_fds 2 "${EXEC_ARGS[@]}" --runtime-opt --preserve-fds --runtime-opt 2 \
		-e --exec-process-spec "$EXEC_SPEC"
	EXEC_MONITOR_PID=$(cat "$EXEC_CONMON_PIDFILE")
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	local pid
	pid=$(jq .data <<<"$SYNC_LINE")
	assert_eq "$(fd_list "$pid")" "0 1 2 3 4" "fds of the exec'd process"
	assert_eq "$(inode_of "/proc/$pid/fd/3")" "$(inode_of "$T/fd3")" "fd 3"
	assert_eq "$(inode_of "/proc/$pid/fd/4")" "$(inode_of "$T/fd4")" "fd 4"
	kill -KILL "$pid"
	sync_expect '^\{"data": 137\}$'
	exec_wait_exit
}

# ---------------------------------------------------------------- budget

@test "budget: an exec session's conmon, idle while the exec runs, under 200 kB RSS" {
	start_target
	exec_spec sleep 600
	# Podman's exec: -l none, an attach socket, the second start byte.
	podman_exec_args none
	USE_ATTACH_PIPE=1
	exec_launch "${EXEC_ARGS[@]}" -e --exec-attach --exec-process-spec "$EXEC_SPEC"
	attach_read
	printf '\0' >&"$START_FD"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	local pid rss
	pid=$(jq .data <<<"$SYNC_LINE")
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$EXEC_MONITOR_PID/status")
	echo "# exec session conmon VmRSS: $rss kB" >&3
	[ "$rss" -lt 200 ] || {
		echo "VmRSS $rss kB, budget 200 kB"
		false
	}
	kill -KILL "$pid"
	sync_expect '^\{"data": 137\}$'
}

# ---------------------------------------------------------------- exec-sync

@test "exec-sync as CRI-O runs it: one {\"exit_code\": N} on a plain pipe, output in the log" {
	start_target
	exec_spec sh -c 'echo out; echo err >&2; exit 3'
	crio_exec_sync_args -T 5
	exec_sync "${EXEC_ARGS[@]}"
	# --sync: the caller's child is the monitor; its status is the exec's.
	assert_eq "$SYNC_STATUS" 3 "conmon's exit status"
	assert_eq "$SYNC_TEXT" $'{"exit_code": 3}\n' "sync pipe bytes"
	assert_eq "$(exec_log_stream stdout)" out stdout
	assert_eq "$(exec_log_stream stderr)" err stderr
	# CRI-O's stdout and stderr buffers stay empty.
	assert_eq "$(cat "$T/exec-sync.out")" "" "conmon's stdout"
	assert_eq "$(cat "$T/exec-sync.err")" "" "conmon's stderr"
	# No -u, no -b: nothing in the socket directory but the container's
	# own link.
	assert_eq "$(ls -A "$SOCKET_DIR")" "$CUUID" "socket dir content"
}

@test "exec-sync -t (a tty container): the output arrives through the pty" {
	start_target
	exec_spec -t sh -c 'echo hi; exit 2'
	crio_exec_sync_args -t -T 5
	exec_sync "${EXEC_ARGS[@]}"
	assert_eq "$SYNC_STATUS" 2 "conmon's exit status"
	assert_eq "$SYNC_TEXT" $'{"exit_code": 2}\n' "sync pipe bytes"
	assert_eq "$(exec_log_stream stdout)" $'hi\r' stdout
}

@test "exec-sync into a stopped container: {\"exit_code\": -1} with the runtime's words, status 1" {
	stopped_target
	exec_spec true
	refusal_words
	# CRI-O pre-creates the pidfile empty: still a failure, not pid 0.
	crio_exec_sync_args -T 5
	exec_sync "${EXEC_ARGS[@]}"
	assert_eq "$SYNC_STATUS" 1 "conmon's exit status"
	assert_eq "$(jq -r .exit_code <<<"$SYNC_TEXT")" -1 exit_code
	assert_contains "$(jq -r .message <<<"$SYNC_TEXT")" "$WORDS" "sync message"
	# One JSON value and nothing else, as CRI-O decodes it.
	assert_eq "$(printf "%s" "$SYNC_TEXT" | wc -l)" 1 "sync lines"
}

@test "exec-sync -T 1 on sleep 5: -1 and exactly \"command timed out\" within 2 s" {
	start_target
	exec_spec sleep 5
	crio_exec_sync_args -T 1
	exec_sync "${EXEC_ARGS[@]}"
	assert_eq "$SYNC_TEXT" $'{"exit_code": -1, "message": "command timed out"}\n' "sync pipe bytes"
	assert_eq "$SYNC_STATUS" 255 "conmon's exit status"
	[ "$SYNC_MS" -lt 2000 ] || {
		echo "took $SYNC_MS ms"
		false
	}
	# The timed-out process was killed, not left behind.
	local pid
	pid=$(tr -d ' \n' <"$EXEC_PIDFILE")
	[ "$pid" -gt 0 ]
	wait_until "$WAIT" pid_gone "$pid"
}

@test "exec-sync -T 1: a process that wrote one full 8 KiB chunk and sleeps still times out at once" {
	# A full chunk makes conmon read again; on a blocking pipe that read
	# would wait for output that never comes, and the timeout with it.
	start_target
	exec_spec sh -c 'dd if=/dev/zero bs=8192 count=1 2>/dev/null; exec sleep 5'
	crio_exec_sync_args -T 1
	exec_sync "${EXEC_ARGS[@]}"
	assert_eq "$SYNC_TEXT" $'{"exit_code": -1, "message": "command timed out"}\n' "sync pipe bytes"
	[ "$SYNC_MS" -lt 2000 ] || {
		echo "took $SYNC_MS ms"
		false
	}
	assert_eq "$(exec_log_stream stdout | wc -c)" 8192 "logged bytes"
}

@test "exec -T 1 whose output waits for a client that never reads: timed out on time, the process killed" {
	start_target
	exec_spec sh -c 'seq 1 3000000; exec sleep 5'
	podman_exec_args none
	USE_ATTACH_PIPE=1
	exec_launch "${EXEC_ARGS[@]}" -e --exec-attach -T 1 --exec-process-spec "$EXEC_SPEC"
	attach_read
	probe_start stuck --no-read "$EXEC_BUNDLE/attach"
	local t0 ms pid
	t0=$(date +%s%N)
	printf '\0' >&"$START_FD"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	pid=$(tr -d ' \n' <"$EXEC_PIDFILE")
	sync_expect '^\{"data": -1, "message": "command timed out"\}$'
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# timed out after $ms ms" >&3
	[ "$ms" -lt 2500 ] || { echo "took $ms ms" >&2; return 1; }
	exec_wait_exit
	assert_eq "$EXEC_EXIT_CODE" -1
	wait_until "$WAIT" pid_gone "$pid"
	# The stuck client is let go with the rest.
	probe_wait stuck
}

@test "exec-sync --log-global-size-max: output over the cap is cut at the cap" {
	start_target
	# 1000 numbered lines of 100 bytes; the cap lets about 200 through.
	exec_spec awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "%099d\n", i }'
	LOG_GLOBAL_MAX=20000 crio_exec_sync_args -T 5
	exec_sync "${EXEC_ARGS[@]}"
	assert_eq "$SYNC_TEXT" $'{"exit_code": 0}\n' "sync pipe bytes"
	local size
	size=$(stat -c %s "$EXEC_LOG")
	# The record that crosses the cap is still written, nothing after it
	# (a record here is at most 45 + 100 bytes).
	[ "$size" -ge 20000 ] && [ "$size" -lt $((20000 + 145)) ] || {
		echo "log size $size, cap 20000"
		false
	}
	# What is there is the output from its start, in order.
	local got want
	got=$(exec_log_stream stdout)
	want=$(awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "%099d\n", i }')
	[ "${#got}" -gt 100 ]
	assert_eq "$got" "${want:0:${#got}}" "logged output"
}

# ---------------------------------------------------------------- argv

@test "runtime argv for exec, in the order of docs/lifecycle.md §6.1 (fake runtime)" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	CONMON_ENV=(FAKE_RUNTIME_LOG="$T/argv")
	exec_spec true
	# -s, --no-pivot and --no-new-keyring do not apply to exec; --bundle is
	# never passed to it.
	exec_launch --api-version 1 -c "$CID" -u "$SESSION" -r "$FAKE_RUNTIME" \
		-b "$EXEC_BUNDLE" -p "$EXEC_PIDFILE" --exit-dir "$EXEC_EXIT_DIR" --full-attach \
		-l none -s --no-pivot --no-new-keyring \
		--runtime-arg --ra1 --runtime-arg 'ra 2' \
		--runtime-opt --preserve-fds --runtime-opt 0 \
		--conmon-pidfile "$EXEC_CONMON_PIDFILE" \
		-e --exec-process-spec "$EXEC_SPEC"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	local pid
	pid=$(jq .data <<<"$SYNC_LINE")
	local want
	want=$(printf '%s\n' "$FAKE_RUNTIME" --ra1 'ra 2' exec --pid-file "$EXEC_PIDFILE" \
		--process "$EXEC_SPEC" --detach --preserve-fds 0 "$CID")
	diff -u <(echo "$want") "$T/argv"
	kill -KILL "$pid"
	sync_expect '^\{"data": 137\}$'
	exec_wait_exit
}

@test "exec -t with a runtime that never sends the pty: --console-socket in the argv, then the documented failure" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	# The socket is made in TMPDIR; this runtime exits without using it.
	CONMON_ENV=(FAKE_RUNTIME_LOG="$T/argv" FAKE_RUNTIME_MODE=nopid TMPDIR="$T")
	exec_spec -t true
	exec_launch --api-version 1 -c "$CID" -u "$SESSION" -r "$FAKE_RUNTIME" \
		-b "$EXEC_BUNDLE" -p "$EXEC_PIDFILE" --exit-dir "$EXEC_EXIT_DIR" --full-attach \
		-l none --conmon-pidfile "$EXEC_CONMON_PIDFILE" \
		-t -e --exec-process-spec "$EXEC_SPEC"
	sync_expect '^\{"data": -1, "message": "Runtime did not set up terminal"\}$'
	wait_until "$WAIT" pid_gone "$EXEC_MONITOR_PID"
	mapfile -t argv <"$T/argv"
	local n=${#argv[@]}
	assert_eq "${argv[n - 3]}" --console-socket "argv[-3]"
	[[ ${argv[n - 2]} =~ ^$T/conmon-term\.[A-Za-z0-9]{6}$ ]] || {
		echo "console socket path: ${argv[n - 2]}"
		false
	}
	assert_eq "${argv[n - 1]}" "$CID" "argv[-1]"
	# The socket is gone with the monitor; no exit file for a failure.
	[ ! -e "${argv[n - 2]}" ]
	[ ! -e "$EXEC_EXIT_DIR/$CID" ]
}

# ---------------------------------------------------------------- restore

# log_lines_above N: the container log has more than N stdout F records.
log_lines_above() {
	[ "$(grep -c ' stdout F ' "$CTR_LOG")" -gt "$1" ]
}

@test "restore: a real checkpoint and restore round trip with CRIU" {
	# Installed here when missing (root on Debian, Ubuntu or Fedora);
	# whether it can work is the kernel's business.
	"$LIB_DIR/ensure-packages" criu
	local why
	if ! why=$(criu check 2>&1); then
		skip "CRIU $(criu --version | sed -n 's/^Version: //p') cannot run on this kernel: $(grep -m1 Error <<<"$why")"
	fi
	if [ "$RUNTIME" = crun ] && ! crun --version | grep -q '+CRIU'; then
		skip "this crun is built without CRIU (no +CRIU in crun --version)"
	fi
	# A counter that shows the process continues where it was.
	bundle_sh 'i=0; while :; do i=$((i + 1)); echo "$i"; sleep 0.1; done'
	conmon_create
	container_start
	wait_until "$WAIT" grep -q ' stdout F 3$' "$CTR_LOG"
	rt checkpoint --image-path "$T/checkpoint" --work-path "$T/ckpt-work" "$CID"
	wait_exit
	wait_monitor_gone
	rt delete "$CID" 2>/dev/null || true
	rm -f "$EXIT_DIR/$CID" "$PERSIST_DIR/exit" "$CONMON_PIDFILE"
	conmon_create --restore "$T/checkpoint"
	# The restored process keeps its pid and its count.
	local before
	before=$(grep -c ' stdout F ' "$CTR_LOG")
	wait_until "$WAIT" log_lines_above "$((before + 2))"
	rt kill "$CID" KILL
	wait_exit
	assert_eq "$EXIT_CODE" 137
}

@test "restore: runtime argv in the order of docs/lifecycle.md §6.1, then as create (fake runtime)" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	CONMON_ENV=(FAKE_RUNTIME_LOG="$T/argv")
	mkdir "$T/checkpoint"
	# --restore-arg is the deprecated spelling of --runtime-opt: one list,
	# in command-line order.
	conmon_create -s --runtime-arg --ra1 --no-pivot --no-new-keyring \
		--restore "$T/checkpoint" --runtime-opt --tcp-established \
		--restore-arg --file-locks --runtime-opt '--lsm-profile=selinux:x y'
	local want
	want=$(printf '%s\n' "$FAKE_RUNTIME" --systemd-cgroup --ra1 restore \
		--bundle "$BUNDLE" --pid-file "$CTR_PIDFILE" --no-pivot --no-new-keyring \
		--detach --image-path "$T/checkpoint" --work-path "$BUNDLE" \
		--tcp-established --file-locks '--lsm-profile=selinux:x y' "$CID")
	diff -u <(echo "$want") "$T/argv"
	# From here on a restored container is monitored as a created one.
	assert_eq "$(pid_ppid "$CTR_PID")" "$MONITOR_PID" "parent of the container"
	kill -KILL "$CTR_PID"
	wait_exit
	assert_eq "$EXIT_CODE" 137
	assert_decimal_file "$PERSIST_DIR/exit" 137
	wait_monitor_gone
}

@test "restore failure: {\"pid\": -1} with the runtime's words (fake runtime)" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	CONMON_ENV=(FAKE_RUNTIME_MODE=fail)
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}" --restore "$T/checkpoint"
	sync_read
	assert_eq "$(jq -r .pid <<<"$SYNC_LINE")" -1 pid
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "refusing to restore on purpose" "sync message"
	wait_monitor_gone
	[ ! -e "$EXIT_DIR/$CID" ]
}

# ---------------------------------------------------------------- sd-notify

# notify_send_binary: a static sd_notify sender for the busybox rootfs.
notify_send_binary() {
	mkdir -p "$T/bin"
	local cc=cc
	command -v musl-gcc >/dev/null && cc=musl-gcc
	"$cc" -static -Os -o "$T/bin/notify-send" "$LIB_DIR/notify-send.c"
}

@test "sd-notify: READY=1 and STATUS reach the host socket; MAINPID and FDSTORE do not" {
	notify_send_binary
	# Podman's layout: <bundle>/notify bind-mounted at /run/notify, and
	# NOTIFY_SOCKET pointing into it.
	mkdir -p "$BUNDLE/notify"
	bundle_sh '/data/notify-send "$(printf "MAINPID=1\nREADY=1")" "FDSTORE=1" "$(printf "STATUS=ok\r\nBARRIER=1\nWATCHDOG=1")" "STATUS=done"; exec sleep 600' \
		--bind "$T/bin:/data" --env NOTIFY_SOCKET=/run/notify/notify.sock
	jq --arg src "$BUNDLE/notify" '.mounts += [
		{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]},
		{destination: "/run/notify", type: "bind", source: $src, options: ["rbind", "rw"]}
	]' "$BUNDLE/config.json" >"$BUNDLE/config.json.tmp"
	mv "$BUNDLE/config.json.tmp" "$BUNDLE/config.json"

	"$LIB_DIR/dgram-listen" "$T/host-notify.sock" "$T/notify.out" &
	LISTENER_PID=$!
	wait_until "$WAIT" test -S "$T/host-notify.sock"
	conmon_create --sdnotify-socket "$T/host-notify.sock"
	# The relay's socket, for any container user.
	[ -S "$BUNDLE/notify/notify.sock" ]
	assert_mode "$BUNDLE/notify/notify.sock" 777
	container_start
	wait_until "$WAIT" grep -q STATUS=done "$T/notify.out" || {
		echo "relayed: $(cat "$T/notify.out" 2>/dev/null)"
		false
	}
	# One datagram per datagram that kept a line; the kept lines joined by
	# \n; the MAINPID-only and FDSTORE-only ones dropped whole.
	assert_eq "$(cat "$T/notify.out")" "$(printf '%s\n' 'READY=1' 'STATUS=ok\nWATCHDOG=1' 'STATUS=done')" "relayed datagrams"
	rt kill "$CID" KILL
	wait_exit
}

# ---------------------------------------------------------------- fds

# An exit command (perl -e) that writes its own open fds, space separated,
# to the file named by its argument, atomically. It lists them before it
# opens anything, leaving out only the directory it reads them from (a
# shell would add fds of its own: dash keeps a saved copy of fd 1 at 10).
EXIT_CMD_LIST_FDS='opendir(my $d, "/proc/self/fd") or die;
my @fds = sort { $a <=> $b } grep { /^\d+$/ && readlink("/proc/self/fd/$_") ne "/proc/$$/fd" } readdir $d;
open(my $o, ">", "$ARGV[0].tmp") or die; print $o "@fds"; close $o; rename("$ARGV[0].tmp", $ARGV[0]) or die;'

@test "fds: the container init sees 0-2 and the preserved fds; the exit command only 0-2" {
	bundle_cmd -- sleep 600
	echo one >"$T/fd3"
	echo two >"$T/fd4"
	conmon_default_args
	# Podman's layout, and one more fd that nobody asked to keep.
	EXTRA_FDS="9<$BUNDLE/config.json" launch_podman_fds 2 "${CONMON_ARGS[@]}" \
		--runtime-opt --preserve-fds --runtime-opt 2 \
		--exit-command /usr/bin/perl --exit-command-arg -e \
		--exit-command-arg "$EXIT_CMD_LIST_FDS" --exit-command-arg "$T/exit-fds"
	MONITOR_PID=$(cat "$CONMON_PIDFILE")
	sync_read
	CTR_PID=$(jq .pid <<<"$SYNC_LINE")
	CTR_START=$(pid_starttime "$CTR_PID")
	container_start
	wait_until "$WAIT" rt_status_is running
	assert_eq "$(fd_list "$CTR_PID")" "0 1 2 3 4" "fds of the container init"
	assert_eq "$(inode_of "/proc/$CTR_PID/fd/3")" "$(inode_of "$T/fd3")" "fd 3"
	assert_eq "$(inode_of "/proc/$CTR_PID/fd/4")" "$(inode_of "$T/fd4")" "fd 4"
	rt kill "$CID" KILL
	wait_exit
	wait_for_file "$T/exit-fds"
	assert_eq "$(cat "$T/exit-fds")" "0 1 2" "fds of the exit command"
	wait_monitor_gone
}

@test "fds: the monitors keep no copy of /dev/null beyond fds 0-2" {
	start_target
	exec_spec sleep 600
	podman_exec_args none
	exec_launch "${EXEC_ARGS[@]}" -e --exec-process-spec "$EXEC_SPEC"
	sync_expect '^\{"data": [1-9][0-9]*\}$'
	local pid fd m
	pid=$(jq .data <<<"$SYNC_LINE")
	for m in "$CTR_MONITOR_PID" "$EXEC_MONITOR_PID"; do
		for fd in $(fd_list "$m"); do
			[ "$fd" -le 2 ] && continue
			[ "$(readlink "/proc/$m/fd/$fd")" != /dev/null ] || {
				echo "monitor $m holds /dev/null at fd $fd"
				false
			}
		done
		assert_eq "$(readlink "/proc/$m/fd/1")" /dev/null "fd 1 of monitor $m"
	done
	kill -KILL "$pid"
	sync_expect '^\{"data": 137\}$'
}

@test "fds: an fd nobody asked to keep reaches the runtime and is closed before the exit files" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	# The fake runtime's "container" inherits the runtime's fds, so it
	# shows what the runtime got. fd 7 is the write end of a pipe whose
	# read end the test keeps.
	local r w rw
	mkfifo "$T/extra.fifo"
	exec {rw}<>"$T/extra.fifo" {w}>"$T/extra.fifo" {r}<"$T/extra.fifo" {rw}>&-
	rm "$T/extra.fifo"
	conmon_default_args
	EXTRA_FDS="7>&$w" launch_podman_fds 0 "${CONMON_ARGS[@]}"
	exec {w}>&-
	MONITOR_PID=$(cat "$CONMON_PIDFILE")
	sync_read
	CTR_PID=$(jq .pid <<<"$SYNC_LINE")
	CTR_START=$(pid_starttime "$CTR_PID")
	local pipe
	pipe=$(readlink "/proc/$MONITOR_PID/fd/7")
	assert_eq "$(readlink "/proc/$CTR_PID/fd/7")" "$pipe" "fd 7 of the runtime's child"
	# Freeze the monitor inside the open(2) that creates its first exit
	# file (in the persist dir), and look at its fds then.
	fds_at_open_start "the monitor" "$T/fds-at-exit" "$PERSIST_DIR" "$MONITOR_PID"
	kill -KILL "$CTR_PID"
	wait_exit
	wait "$FDS_AT_OPEN_PID"
	[ -s "$T/fds-at-exit" ]
	if grep -qF "$pipe" "$T/fds-at-exit"; then
		echo "the monitor still held the inherited fd when it created the exit file:"
		cat "$T/fds-at-exit"
		false
	fi
	# And no one holds the pipe any more: its reader sees EOF at once.
	local status=0 line
	IFS= read -r -t 2 -u "$r" line || status=$?
	assert_eq "$status" 1 "read status at EOF (>128: still open)"
	exec {r}<&-
}

# ---------------------------------------------------------------- LISTEN_PID

# listen_pid_runtime: a runtime that records its pid and environment, then
# is the fake runtime (same process, so the same pid).
listen_pid_runtime() {
	cat >"$T/recording-runtime" <<-EOF
		#!/bin/sh
		{ echo "pid=\$\$"; env; } >"$T/runtime-env.tmp"
		mv "$T/runtime-env.tmp" "$T/runtime-env"
		exec "$FAKE_RUNTIME" "\$@"
	EOF
	chmod +x "$T/recording-runtime"
	RUNTIME_UNDER_TEST=$T/recording-runtime
}

runtime_env() {
	sed -n "s/^$1=//p" "$T/runtime-env"
}

@test "LISTEN_PID: the monitor's own pid becomes the runtime's; others pass unchanged" {
	listen_pid_runtime
	# With --sync the process we start is the monitor: a wrapper sets
	# LISTEN_PID to its own pid, then becomes conmon.
	cat >"$T/conmon-listen" <<-EOF
		#!/bin/sh
		export LISTEN_PID=\$\$
		exec "$CONMON" "\$@"
	EOF
	chmod +x "$T/conmon-listen"
	conmon_default_args
	CONMON_ENV=(LISTEN_FDS=2 MARKER=kept)
	CONMON=$T/conmon-listen CONMON_BACKGROUND=1 conmon_launch "${CONMON_ARGS[@]}" --sync
	sync_read
	CTR_PID=$(jq .pid <<<"$SYNC_LINE")
	CTR_START=$(pid_starttime "$CTR_PID")
	MONITOR_PID=$LAUNCHER_PID
	local rt_pid
	rt_pid=$(runtime_env pid)
	[ "$rt_pid" != "$LAUNCHER_PID" ]
	assert_eq "$(runtime_env LISTEN_PID)" "$rt_pid" "LISTEN_PID the runtime saw"
	assert_eq "$(runtime_env LISTEN_FDS)" 2
	assert_eq "$(runtime_env MARKER)" kept
	assert_eq "$(runtime_env _OCI_SYNCPIPE)" 6
	# Exactly one LISTEN_PID entry.
	assert_eq "$(grep -c '^LISTEN_PID=' "$T/runtime-env")" 1
	kill -KILL "$CTR_PID"
	wait_exit
	wait_until "$WAIT" pid_gone "$LAUNCHER_PID"
	wait "$LAUNCHER_PID" || true
	LAUNCHER_PID=

	# Someone else's pid stays as it is...
	rm -f "$EXIT_DIR/$CID" "$T/runtime-env"
	CONMON_ENV=(LISTEN_PID=1)
	conmon_create
	assert_eq "$(runtime_env LISTEN_PID)" 1 "LISTEN_PID the runtime saw"
	kill -KILL "$CTR_PID"
	wait_exit
	wait_monitor_gone

	# ...unless --replace-listen-pid says to replace it anyway.
	rm -f "$EXIT_DIR/$CID" "$T/runtime-env"
	CONMON_ENV=(LISTEN_PID=1)
	conmon_create --replace-listen-pid
	assert_eq "$(runtime_env LISTEN_PID)" "$(runtime_env pid)" "LISTEN_PID the runtime saw"
	kill -KILL "$CTR_PID"
	wait_exit
}

@test "LISTEN_PID: an invalid value fails the runtime start with the documented words" {
	listen_pid_runtime
	CONMON_ENV=(LISTEN_PID=12x)
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}"
	sync_read
	assert_eq "$(jq -r .pid <<<"$SYNC_LINE")" -1 pid
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "Invalid LISTEN_PID 12x" "sync message"
	# The runtime never ran.
	[ ! -e "$T/runtime-env" ]
	wait_monitor_gone
}
