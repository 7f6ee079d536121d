#!/usr/bin/env bats
# Podman on $CONMON: wait, stop (SIGTERM, then SIGKILL after the timeout),
# kill -s, restart, inspect's State, an OOM kill under --memory, twenty
# containers at once, and healthcheck run (an exec session).
# Spec: docs/clients.md §2.6-§2.9, docs/lifecycle.md §10-§15, docs/oom.md.

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

# ---------------------------------------------------------------- wait

@test "wait: blocks while the container runs, then prints its exit code" {
	run_d "$NAME" "${GATE_MOUNT[@]}" -- "$(gate_sh end); exit 42"
	podman_bg wait wait "$NAME"
	# Only proves that something does not happen: wait has not returned.
	sleep 0.5
	pid_alive "$BG_PID" || {
		echo "podman wait returned while the container ran: $(cat "$T/wait.out")" >&2
		return 1
	}
	gate_open end
	bg_wait
	assert_eq "$BG_STATUS" 0 "podman wait status"
	assert_eq "$(cat "$T/wait.out")" 42 "podman wait output"
	assert_eq "$(inspect "$NAME" '{{.State.ExitCode}}')" 42 "ExitCode"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# ---------------------------------------------------------------- stop, kill

@test "stop: SIGTERM ignored, SIGKILL after the 2 s timeout gives 137" {
	check_stop_kill_after_timeout
}

@test "stop: a SIGTERM handler's exit code is the container's, without waiting for the timeout" {
	check_stop_term_handler
}

@test "kill -s: USR1 reaches the container's handler, KILL ends it with 137" {
	run_d "$NAME" -- "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done"
	wait_until "$WAIT" logs_count_is "$NAME" ready 1
	podman kill -s USR1 "$NAME"
	wait_until "$WAIT" logs_count_is "$NAME" got-usr1 1
	assert_eq "$(ctr_state "$NAME")" running "state after USR1"
	podman kill -s KILL "$NAME"
	run podman wait "$NAME"
	assert_eq "$output" 137 "podman wait after KILL"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

@test "restart: a new monitor, ours, and a new container process; the log keeps both runs" {
	check_restart
}

# ---------------------------------------------------------------- inspect

@test "inspect State: Pid is a child of ConmonPid; ExitCode and OOMKilled after the exit" {
	local pid opened finished
	run_d "$NAME" "${GATE_MOUNT[@]}" -- "$(gate_sh end); exit 5"
	pid=$(inspect "$NAME" '{{.State.Pid}}')
	[ "$pid" -gt 0 ]
	# conmon is a subreaper: the container's init is its child once the
	# runtime has exited.
	assert_eq "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")" "$CONMON_PID" "parent of State.Pid"
	assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sh -c $(gate_sh end); exit 5 " "State.Pid's command"
	assert_eq "$(inspect "$NAME" '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}')" \
		"true 0 false" "State while running"

	opened=$(date +%s%N)
	gate_open end
	run podman wait "$NAME"
	assert_eq "$output" 5 "podman wait"
	assert_eq "$(inspect "$NAME" '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Pid}} {{.State.ConmonPid}}')" \
		"exited false 5 false 0 0" "State after the exit"
	# Podman takes the finish time from the exit file's ctime: conmon
	# wrote it when the container exited, after the gate opened.
	finished=$(inspect "$NAME" '{{.State.FinishedAt.UnixNano}}')
	[ "$finished" -ge "$opened" ] || {
		echo "FinishedAt $finished is before the gate opened at $opened" >&2
		return 1
	}
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# ---------------------------------------------------------------- OOM

@test "OOM: a container over its --memory is killed: exit 137, OOMKilled true" {
	# tail keeps the last lines of /dev/zero, which has no newline: it
	# grows until the cgroup's OOM killer takes it (it is the init).
	run_d "$NAME" --memory 20m --memory-swap 20m "${GATE_MOUNT[@]}" -- \
		"$(gate_sh end); exec tail /dev/zero"
	gate_open end
	run podman wait "$NAME"
	assert_eq "$output" 137 "podman wait"
	if conmon_is_upstream_2_1; then
		# Upstream conmon 2.1 creates its "oom" file in its working
		# directory, which is Podman's (this test's $T/cwd), and Podman
		# 4.3 looks for it in the bundle: Debian's pair never reports
		# OOMKilled. That it saw the OOM is all this can check.
		[ -e "$T/cwd/oom" ] || {
			echo "no oom file in conmon's working directory $T/cwd" >&2
			return 1
		}
	else
		assert_eq "$(inspect "$NAME" '{{.State.ExitCode}} {{.State.OOMKilled}}')" "137 true" "State after the OOM kill"
		# conmon writes nowhere else, least of all into its cwd.
		[ ! -e "$T/cwd/oom" ]
	fi
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# ---------------------------------------------------------------- many

@test "twenty detached containers at once, all ours; stop -a leaves no conmon and no socket" {
	local i pids=() conmons
	for i in $(seq 1 20); do
		podman_bg "run-$i" run -d --name "$NAME-$i" "$IMAGE" sh -c "$(term_loop 0)"
		pids+=("$BG_PID")
	done
	for i in $(seq 1 20); do
		bg_wait "${pids[$((i - 1))]}"
		assert_eq "$BG_STATUS" 0 "podman run -d #$i"
	done
	for i in $(seq 1 20); do
		wait_state "$NAME-$i" running
	done
	# One monitor per container, each the binary under test.
	conmons=$(podman inspect --format '{{.State.ConmonPid}}' $(seq -f "$NAME-%g" 1 20))
	assert_eq "$(sort -u <<<"$conmons" | wc -l)" 20 "distinct ConmonPids"
	for i in $conmons; do
		assert_conmon_pid "$i"
	done
	assert_eq "$(monitor_pids | wc -l)" 20 "monitors in the store"

	podman stop -a -t 10 >/dev/null
	assert_eq "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' $(seq -f "$NAME-%g" 1 20) | sort -u)" \
		"exited 0" "states after stop -a"
	wait_until "$WAIT" no_monitors || {
		echo "monitors left: $(monitor_pids | tr '\n' ' ')" >&2
		return 1
	}
	for i in $conmons; do
		pid_gone "$i"
	done
	# No attach socket in a bundle, no console or notify socket anywhere
	# in the store or conmon's TMPDIR.
	run find "$PSTORE" -type s
	assert_eq "$output" "" "sockets left in $PSTORE"
}

# ---------------------------------------------------------------- healthcheck

@test "healthcheck run: the health command runs as an exec session of this conmon" {
	run_d "$NAME" "${GATE_MOUNT[@]}" --health-interval disable \
		--health-cmd "$(gate_sh check); test -e /gate/healthy" -- "exec sleep 1000"
	podman_bg check healthcheck run "$NAME"
	assert_exec_ours "$ID"
	gate_open check
	bg_wait
	assert_eq "$BG_STATUS" 1 "healthcheck run status (unhealthy)"
	assert_eq "$(cat "$T/check.out")" unhealthy "healthcheck run output"
	wait_until "$WAIT" pid_gone "$EXEC_CONMON_PID"

	gate_open healthy
	run podman healthcheck run "$NAME"
	assert_eq "$status" 0 "healthcheck run status (healthy)"
	assert_eq "$(inspect "$NAME" '{{.State.Health.Status}} {{.State.Health.FailingStreak}}')" "healthy 0" "health state"
	# The container's own monitor is untouched by the exec sessions.
	assert_conmon_pid "$CONMON_PID"
}
