#!/usr/bin/env bats
# The log rate limit through Podman, unchanged: the annotation of `podman
# run --annotation` (Podman writes it into the bundle's config.json), and
# conmon_env_vars of containers.conf as the host's default.
# Spec: docs/logging.md §9, README "Log rate limits".

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

# lines_sh: container text printing 3 MiB: 49152 lines of 63 digits.
lines_sh() {
	echo "awk 'BEGIN { for (i = 1; i <= 49152; i++) printf \"%063d\\n\", i }'"
}

# run_limited [RUN OPTIONS...]: `podman run` of lines_sh behind a gate;
# checks the monitor while the container waits, then opens the gate.
# ELAPSED_MS: from the gate's opening to Podman's exit; $T/want is the
# text expected, $T/run.out what `podman run` printed.
run_limited() {
	busybox_sh "$(lines_sh)" >"$T/want"
	podman_bg run run --name "$NAME" "${GATE_MOUNT[@]}" "$@" "$IMAGE" \
		sh -c "$(gate_sh go); $(lines_sh)"
	wait_state "$NAME" running || return 1
	assert_ours "$NAME" || return 1
	local t0
	t0=$(date +%s%N)
	gate_open go
	bg_wait
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	assert_eq "$BG_STATUS" 0 "podman run status" || return 1
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# assert_all_there: podman run's output and podman logs are the 3 MiB.
assert_all_there() {
	assert_same_file "$T/run.out" "$T/want" "podman run's stdout" || return 1
	podman logs "$NAME" >"$T/logs.out" 2>"$T/logs.err"
	assert_same_file "$T/logs.out" "$T/want" "podman logs" || return 1
	[ ! -s "$T/logs.err" ]
}

# assert_limited_time: 2 MiB beyond the 1 MiB burst at 1 MiB/s, plus
# Podman's own exit (it reads the exit file, then cleans up).
assert_limited_time() {
	echo "# 3 MiB at 1 MiB/s through podman run: $ELAPSED_MS ms" >&3
	[ "$ELAPSED_MS" -ge 1800 ] && [ "$ELAPSED_MS" -le 3000 ] || {
		echo "3 MiB at 1 MiB/s took $ELAPSED_MS ms, expected 2-3 s" >&2
		return 1
	}
}

@test "run --annotation io.conmon.log-rate=1M: 3 MiB take 2-3 s, podman run and podman logs have all of it" {
	run_limited --annotation io.conmon.log-rate=1M
	assert_limited_time
	assert_all_there
	assert_eq "$(inspect "$NAME" '{{index .Config.Annotations "io.conmon.log-rate"}}')" 1M "the annotation"
}

@test "without a limit the same 3 MiB take under 1.5 s" {
	run_limited
	echo "# 3 MiB without a limit: $ELAPSED_MS ms" >&3
	[ "$ELAPSED_MS" -lt 1500 ]
	assert_all_there
}

@test "conmon_env_vars = [\"CONMON_LOG_RATE=1M\"] in containers.conf: the host's default, with no annotation" {
	# This test's own containers.conf: the suite's, with conmon_env_vars
	# in its [engine] table (Podman's default keeps PATH there).
	sed '/^\[engine\]$/a conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "CONMON_LOG_RATE=1M"]' \
		"$CONTAINERS_CONF" >"$T/containers.conf"
	export CONTAINERS_CONF=$T/containers.conf
	podman_bg probe run --name "$NAME-env" "${GATE_MOUNT[@]}" "$IMAGE" sh -c "$(gate_sh env)"
	wait_state "$NAME-env" running
	assert_ours "$NAME-env"
	assert_contains "$(tr '\0' '\n' <"/proc/$CONMON_PID/environ")" CONMON_LOG_RATE=1M "conmon's environment"
	gate_open env
	bg_wait
	assert_eq "$BG_STATUS" 0 "podman run status"
	run_limited
	assert_limited_time
	assert_all_there
}
