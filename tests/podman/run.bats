#!/usr/bin/env bats
# Podman on $CONMON: which conmon Podman runs, `podman run` exit codes,
# the k8s-file log as `podman logs` reads it (both streams, many lines, a
# 100 KB line, a last line without newline, follow, max-size), and the
# journald driver against a real journald read back by `podman logs`.
# Spec: docs/clients.md §2, docs/logging.md §2 and §4, docs/lifecycle.md §10 and §15.

load helpers

setup_file() {
	podman_suite_setup
}

setup() {
	podman_setup
	JENV_PID= JNS_PID=
}

teardown() {
	if [ -n "$JNS_PID" ]; then
		# The journald test's containers live in the journal's mount
		# namespace (their shm mounts too): remove them there.
		jpodman rm -a -f -t 0 >/dev/null 2>&1 || true
	fi
	journald_ns_stop
	podman_teardown
}

# ---------------------------------------------------------------- conmon

@test "Podman runs \$CONMON: podman info, podman --conmon, and the running monitor" {
	run podman info --format '{{.Host.Conmon.Path}}|{{.Host.Conmon.Version}}'
	[ "$status" -eq 0 ]
	assert_eq "${output%%|*}" "$CONMON_REAL" "conmon path in podman info"
	assert_contains "$output" "$("$CONMON" --version | head -1)" "podman info"
	# The flag README.md documents selects it the same way.
	run podman --conmon "$CONMON_REAL" info --format '{{.Host.Conmon.Path}}'
	assert_eq "$output" "$CONMON_REAL" "podman --conmon"

	podman run -d --name "$NAME" "$IMAGE" sleep 1000
	wait_state "$NAME" running
	assert_ours "$NAME"
	# The launcher exited; the monitor is a session leader of its own.
	assert_eq "$(ps -o sid= -p "$CONMON_PID" | tr -d ' ')" "$CONMON_PID" "monitor's session"
}

# ---------------------------------------------------------------- run --rm

@test "run --rm: exit codes 0 and 7 reach podman, output too; the container is removed" {
	check_run_rm_exit_codes
}

@test "run --rm: signal deaths are 128+signal (TERM 143, KILL 137, HUP 129)" {
	local sig code
	# Outside a pid namespace the shell is an ordinary process and dies
	# of its own signals (a namespace's init would be immune).
	for sig in TERM:143 KILL:137 HUP:129; do
		code=${sig#*:} sig=${sig%:*}
		run_rm_gated "$NAME-$sig" "kill -$sig \$\$; sleep 5; exit 1" --pid host
		assert_eq "$BG_STATUS" "$code" "podman run status after SIG$sig"
	done
}

# ---------------------------------------------------------------- logs

@test "run -d, logs: stdout and stderr apart, 5000 lines, a 100 KB line, a last line without newline" {
	check_logs_apart
}

@test "logs -f follows the output as it comes and ends when the container exits" {
	podman run -d --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" sh -c "
		echo one; $(gate_sh a)
		echo two; echo two-err >&2; $(gate_sh b)
		printf three; exit 0"
	wait_state "$NAME" running
	assert_ours "$NAME"
	podman_bg follow logs -f "$NAME"
	wait_file_has "$T/follow.out" one
	gate_open a
	wait_file_has "$T/follow.out" two
	wait_file_has "$T/follow.err" two-err
	gate_open b
	# No --tail, no kill: the follower stops because the container did.
	wait_until "$WAIT" pid_gone "$BG_PID" || {
		echo "podman logs -f still runs after the container exited" >&2
		return 1
	}
	bg_wait
	assert_eq "$BG_STATUS" 0 "podman logs -f status"
	assert_eq "$(cat "$T/follow.out")" "$(printf 'one\ntwo\nthree')" "followed stdout"
	assert_eq "$(cat "$T/follow.err")" two-err "followed stderr"
}

@test "--log-opt max-size: conmon truncates the log; podman logs shows the newest lines" {
	local log n first
	podman run -d --name "$NAME" --log-opt max-size=10k "${GATE_MOUNT[@]}" "$IMAGE" sh -c "
		awk 'BEGIN { for (i = 1; i <= 2000; i++) printf \"line-%05d\\n\", i }'
		$(gate_sh end); exit 0"
	wait_state "$NAME" running
	assert_ours "$NAME"
	# Podman hands the limit to conmon (10k = 10000 bytes).
	assert_monitor_args --log-size-max 10000
	wait_until "$WAIT" logs_end_with "$NAME" line-02000
	gate_open end
	run podman wait "$NAME"
	assert_eq "$output" 0 "podman wait"

	log=$(inspect "$NAME" '{{.HostConfig.LogConfig.Path}}')
	[ "$(stat -c %s "$log")" -le 10000 ] || {
		echo "$log holds $(stat -c %s "$log") bytes, over the 10000 limit" >&2
		return 1
	}
	[ ! -e "$log.tmp" ]
	podman logs "$NAME" >"$T/logs.out"
	n=$(wc -l <"$T/logs.out")
	first=$(head -1 "$T/logs.out")
	first=${first#line-}
	# The newest lines, in order, ending with the last; the oldest gone.
	[ "$n" -gt 0 ] && [ "$n" -lt 2000 ]
	awk -v from=$((10#$first)) '$0 != sprintf("line-%05d", from + NR - 1) { print "line " NR ": " $0; bad = 1 } END { exit bad }' \
		"$T/logs.out" >&2
	assert_eq "$(tail -1 "$T/logs.out")" line-02000 "last line"
}

# ---------------------------------------------------------------- journald

# jpodman ARGS...: podman in the mount namespace of the test's journald
# (journald_ns_start), so conmon, which Podman starts there, finds that
# journal's socket at /run/systemd/journal/socket, and `podman logs` reads
# that journal's files.
jpodman() {
	nsenter -t "$JNS_PID" -m -- env TMPDIR="$PODMAN_TMPDIR" \
		timeout -k 5 "${PODMAN_TIMEOUT:-120}" "$PODMAN_BIN" "$@"
}

# jentries: this container's journal entries, one JSON object a line.
jentries() {
	nsenter -t "$JNS_PID" -m journalctl --directory=/run/log/journal --all -o json \
		"CONTAINER_ID_FULL=$ID"
}

@test "journald driver: podman logs reads back both streams from a real journald" {
	journald_ns_start
	jpodman run -d --name "$NAME" --log-driver journald "${GATE_MOUNT[@]}" "$IMAGE" sh -c "
		echo out-1; echo err-1 >&2; echo out-2
		printf no-newline; $(gate_sh end); exit 4"
	wait_state "$NAME" running
	assert_ours "$NAME"
	gate_open end
	run jpodman wait "$NAME"
	assert_eq "$output" 4 "podman wait"

	jpodman logs "$NAME" >"$T/logs.out" 2>"$T/logs.err"
	assert_eq "$(cat "$T/logs.out")" "$(printf 'out-1\nout-2\nno-newline')" "stdout from the journal"
	assert_eq "$(cat "$T/logs.err")" err-1 "stderr from the journal"

	# The entries as journald recorded them: sent by the monitor process,
	# running the binary under test, with the fields Podman matches on.
	jentries >"$T/entries"
	assert_eq "$(jq -r '._PID' "$T/entries" | sort -u)" "$CONMON_PID" "sender pid"
	assert_eq "$(jq -r '._EXE' "$T/entries" | sort -u)" "$CONMON_REAL" "sender executable"
	# (Sorted: the two pipes are read independently.)
	jq -c '[.MESSAGE, .PRIORITY, .CONTAINER_NAME, .CONTAINER_ID]' "$T/entries" | sort >"$T/got"
	printf '["%s","%s","%s","%s"]\n' \
		'err-1\n' 3 "$NAME" "${ID:0:12}" \
		no-newline 6 "$NAME" "${ID:0:12}" \
		'out-1\n' 6 "$NAME" "${ID:0:12}" \
		'out-2\n' 6 "$NAME" "${ID:0:12}" >"$T/want"
	assert_same_file "$T/got" "$T/want" "journal entries"
}
