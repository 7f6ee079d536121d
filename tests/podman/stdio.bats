#!/usr/bin/env bats
# The container's stdio through $CONMON, as Podman uses it: `run -i` with
# a megabyte of piped stdin, `attach` to a detached container with open
# stdin, and `run -it` on a real terminal (tmux): typing, reading, a
# resize, and the exit.
# Spec: docs/stdio.md, docs/attach.md, docs/ctl.md §3-§4, docs/clients.md §2.8.

load helpers

setup_file() {
	podman_suite_setup
}

setup() {
	podman_setup
}

teardown() {
	podman_teardown
}

@test "run -i: 1 MiB of piped binary stdin comes back byte for byte" {
	head -c 1048576 /dev/urandom >"$T/in"
	# The container reads nothing until the gate opens: Podman's whole
	# input queues up behind a full pipe in conmon's hands meanwhile.
	PODMAN_STDIN=$T/in podman_bg big run -i --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" \
		sh -c "$(gate_sh big); cat; exit 0"
	wait_state "$NAME" running
	assert_ours "$NAME"
	gate_open big
	bg_wait
	assert_eq "$BG_STATUS" 0 "podman run -i status"
	assert_same_file "$T/big.out" "$T/in" "stdin echoed by cat"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

@test "attach to a -d -i container: stdin in, output back, EOF closes its stdin, exit code" {
	podman run -d -i --name "$NAME" "$IMAGE" sh -c \
		'echo ready; while read -r l; do echo "got $l"; done; echo bye; exit 3' >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
	wait_until "$WAIT" logs_have "$NAME" ready
	printf 'one\ntwo\n' >"$T/in"
	PODMAN_STDIN=$T/in podman_bg att attach "$NAME"
	bg_wait
	# attach returns once the container ended (with 0 in Podman 4.3, not
	# the container's code): its stdin was closed when Podman half-closed
	# the attach socket at the end of its input.
	assert_eq "$BG_STATUS" 0 "podman attach status"
	# What came before the attach is not replayed (it is in the log).
	assert_eq "$(cat "$T/att.out")" "$(printf 'got one\ngot two\nbye')" "attach output"
	assert_eq "$(podman logs "$NAME" | tr '\n' ' ')" "ready got one got two bye " "log"
	assert_eq "$(inspect "$NAME" '{{.State.ExitCode}}')" 3 "ExitCode"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

@test "run --rm: 47 MB of output into a reader that starts 3 s late arrive whole" {
	slow_reader_start run --rm --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE"
	wait_state "$NAME" running
	assert_ours "$NAME"
	slow_reader_check
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

@test "run -it in tmux: typing and reading, the initial size, a resize, exit status" {
	check_run_it_in_tmux
}
