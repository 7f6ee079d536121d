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
	# podman run's stdout is a pipe whose reader sleeps first: the output
	# waits for it, all of it, as it would behind any pipe.
	(podman run --rm --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" \
		sh -c "$(gate_sh slow); seq 1 6000000" 3>&- |
		(sleep 3; sha256sum >"$T/sum")) &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
	wait_state "$NAME" running
	assert_ours "$NAME"
	gate_open slow
	bg_wait
	assert_eq "$BG_STATUS" 0 "podman run | reader status"
	assert_eq "$(cat "$T/sum")" "$(seq 1 6000000 | sha256sum)" "sha256 of what the reader got"
}

logs_have() {
	podman logs "$1" 2>&1 | grep -qx -- "$2"
}

# ---------------------------------------------------------------- tmux

# pane: what the tmux pane shows now (joined lines, no trailing blanks).
pane() {
	tmux -S "$TMUX_SOCK" capture-pane -p -J -t it
}

# pane_has TEXT: a line of the pane is exactly TEXT (after trimming).
pane_has() {
	pane | sed 's/[[:space:]]*$//' | grep -qx -- "$1"
}

# wait_pane TEXT: wait for a pane line that is exactly TEXT.
wait_pane() {
	wait_until "$WAIT" pane_has "$1" || {
		echo "the pane never showed a line '$1'; it shows:" >&2
		pane | sed 's/^/  | /' >&2
		return 1
	}
}

pane_size_is() {
	[ "$(tmux -S "$TMUX_SOCK" display -p -t it '#{pane_width}x#{pane_height}')" = "$1" ]
}

# type_line TEXT: type TEXT and Enter into the pane.
type_line() {
	tmux -S "$TMUX_SOCK" send-keys -t it -l -- "$1"
	tmux -S "$TMUX_SOCK" send-keys -t it Enter
}

@test "run -it in tmux: typing and reading, the initial size, a resize, exit status" {
	command -v tmux >/dev/null || {
		echo "no tmux (apt-get install tmux; tests/run-all installs it)" >&2
		return 1
	}
	TMUX_SOCK=$T/tmux.sock
	# The pane runs Podman with the test's environment, then records its
	# status; the session ends with it. (timeout --foreground: Podman must
	# stay in the terminal's foreground process group to set raw mode.)
	cat >"$T/it.sh" <<-EOF
		export CONTAINERS_CONF='$CONTAINERS_CONF' CONTAINERS_STORAGE_CONF='$CONTAINERS_STORAGE_CONF'
		export TMPDIR='$PODMAN_TMPDIR'
		timeout --foreground -k 5 120 '$PODMAN_BIN' run -it --name '$NAME' '$IMAGE' sh
		echo \$? >'$T/it.status.tmp'
		mv '$T/it.status.tmp' '$T/it.status'
	EOF
	tmux -S "$TMUX_SOCK" new-session -d -s it -x 80 -y 24 "sh '$T/it.sh'"
	wait_state "$NAME" running
	assert_ours "$NAME"

	# The shell's output appears as typed input is echoed and run: the
	# marker is computed, so only the command's output shows it whole.
	type_line 'echo mark-$((6 * 7))'
	wait_pane mark-42
	# Podman sized the terminal from its own at the start.
	type_line 'echo size-$(stty size | tr " " x)'
	wait_pane size-24x80

	# A resize of Podman's terminal reaches the container's.
	tmux -S "$TMUX_SOCK" resize-window -t it -x 100 -y 30
	wait_until "$WAIT" pane_size_is 100x30
	type_line 'echo resized-$(stty size | tr " " x)'
	wait_pane resized-30x100

	type_line 'exit 5'
	wait_until "$WAIT" test -e "$T/it.status" || {
		echo "podman run -it did not end; the pane shows:" >&2
		pane | sed 's/^/  | /' >&2
		return 1
	}
	assert_eq "$(cat "$T/it.status")" 5 "podman run -it status"
	assert_eq "$(inspect "$NAME" '{{.State.ExitCode}}')" 5 "ExitCode"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
	# The terminal session is in the log as the container's stdout.
	assert_contains "$(podman logs "$NAME")" mark-42 "log"
}
