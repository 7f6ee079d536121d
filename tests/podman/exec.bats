#!/usr/bin/env bats
# podman exec on $CONMON: every exec session runs under a monitor of its
# own (-e --exec-attach, the attach pipe, a second start byte), and what
# Podman reads back from it: the exit code, both output streams, piped
# stdin, a terminal, a detached session, and no session at all for a
# stopped container.
# Spec: docs/clients.md §2.4 and §2.7, docs/sync-protocol.md §4.2 and §5, docs/attach.md.

load helpers

setup_file() {
	podman_suite_setup
}

setup() {
	podman_setup
	# One long-running container per test, its monitor checked.
	podman run -d --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" sleep 1000 >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
}

teardown() {
	podman_teardown
}

@test "exec: the exit code and both output streams reach podman" {
	check_exec_streams
}

@test "exec: 47 MB of output into a reader that starts 3 s late arrive whole" {
	# Podman runs exec sessions with -l none: the attach socket is the
	# only copy of this output, so nothing of it may be dropped.
	slow_reader_start exec "$NAME"
	assert_exec_ours "$ID"
	slow_reader_check
	wait_until "$WAIT" pid_gone "$EXEC_CONMON_PID"
}

@test "exec -i: 256 KiB of piped stdin reach the process intact, and its EOF ends it" {
	head -c 262144 /dev/urandom >"$T/in"
	PODMAN_STDIN=$T/in exec_gated exi exi -i -- "cat; echo; echo end-of-input >&2; exit 2"
	assert_eq "$BG_STATUS" 2 "podman exec -i status"
	head -c 262144 "$T/exi.out" >"$T/exi.data"
	assert_same_file "$T/exi.data" "$T/in" "data through exec -i"
	assert_eq "$(wc -c <"$T/exi.out")" 262145 "stdout size (data and a newline)"
	assert_eq "$(cat "$T/exi.err")" end-of-input "stderr"
}

@test "exec -t: the process has a terminal; output comes back with CRLF" {
	exec_gated ext ext -t -- "tty; echo line >&2; exit 6"
	assert_eq "$BG_STATUS" 6 "podman exec -t status"
	# One stream on a terminal, ONLCR on: every newline is CRLF.
	[[ "$(cat "$T/ext.out")" =~ ^/dev/pts/[0-9]+$'\r\n'line$'\r'$ ]] || {
		echo "exec -t output:" >&2
		od -c "$T/ext.out" | head >&2
		return 1
	}
}

@test "exec -d: a detached session under this conmon; its exit code reaches Podman" {
	local session
	podman exec -d "$NAME" sh -c "$(gate_sh exd); echo done >/tmp/mark; exit 9" >"$T/exd.out"
	session=$(cat "$T/exd.out")
	[[ $session =~ ^[0-9a-f]{64}$ ]]
	assert_exec_ours "$ID"
	# The session's monitor is the one for this session (-u <session>).
	assert_eq "$(monitor_pids -c "$ID" -e -u "$session" | head -1)" "$(monitor_pids -c "$ID" -e | head -1)" \
		"exec monitor's session"
	gate_open exd
	wait_until "$WAIT" pid_gone "$EXEC_CONMON_PID"
	assert_eq "$(podman exec "$NAME" cat /tmp/mark)" done "the session's effect"
	# Podman's exec cleanup (run by conmon) read the exit file: the
	# exec_died event carries the code.
	wait_until "$WAIT" exec_died_with 9
}

# exec_died_with CODE: the event log has an exec_died event of this
# container with ContainerExitCode CODE.
exec_died_with() {
	podman events --stream=false --filter "container=$NAME" --filter event=exec_died \
		--format '{{.ContainerExitCode}}' 2>/dev/null | grep -qx "$1"
}

@test "exec into a stopped container: Podman refuses, no monitor starts" {
	podman stop -t 0 "$NAME" >/dev/null
	wait_until "$WAIT" pid_gone "$CONMON_PID"
	run podman exec "$NAME" true
	[ "$status" -ne 0 ]
	assert_contains "$output" "can only create exec sessions on running containers" "podman exec output"
	no_monitors -c "$ID"
	# And the container can start again, under this conmon.
	podman start "$NAME" >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
	run podman exec "$NAME" sh -c 'echo again; exit 3'
	assert_eq "$status" 3 "exec after restart"
	assert_eq "$output" again "exec output after restart"
}
