#!/usr/bin/env bats
# Rootless podman exec on $CONMON: each session under a monitor of its
# own running the binary under test, the exit code and both streams, a
# megabyte of stdin through `exec -i`, and a slow reader of 47 MB.
# Spec: docs/clients.md §2.4 and §2.7, docs/sync-protocol.md §5, docs/attach.md.

load helpers

setup() {
	rootless_setup
	# One long-running container per test, its monitor checked.
	podman run -d --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" sleep 1000 >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
}

@test "exec: the exit code and both output streams reach podman; root in the container is the user" {
	check_exec_streams
	exec_gated uid uid -- "id -u"
	assert_eq "$BG_STATUS" 0 "podman exec status"
	assert_eq "$(cat "$T/uid.out")" 0 "uid in the container"
}

@test "exec -i: 1 MiB of piped binary stdin comes back byte for byte; its EOF ends the process" {
	head -c 1048576 /dev/urandom >"$T/in"
	# The process reads nothing until the gate opens: Podman's input
	# queues up behind a full pipe in conmon's hands meanwhile.
	PODMAN_STDIN=$T/in exec_gated exi exi -i -- "cat; echo end-of-input >&2; exit 2"
	assert_eq "$BG_STATUS" 2 "podman exec -i status"
	assert_same_file "$T/exi.out" "$T/in" "stdin echoed by cat"
	assert_eq "$(cat "$T/exi.err")" end-of-input "stderr"
}

@test "slow reader: podman exec CTR seq 1 6000000 | (sleep 3; sha256sum) gets every byte (47 MB)" {
	slow_reader_start exec "$NAME"
	assert_exec_ours "$ID"
	slow_reader_check
	wait_until "$WAIT" pid_gone "$EXEC_CONMON_PID"
}
