#!/usr/bin/env bats
# Rootless Podman on $CONMON: which conmon the user's Podman runs and how
# (as the user, in Podman's user namespace), `podman run` exit codes, the
# k8s-file log through `podman logs`, `run --rm -d`, the files conmon
# creates (the user's, with the documented modes), and a slow reader of 47 MB.
# Spec: docs/clients.md §2, docs/lifecycle.md §4, §10 and §15,
# docs/logging.md §2, docs/attach.md §2.3 and §6, docs/ctl.md §1.

load helpers

# not COMMAND...: COMMAND fails (for wait_until).
not() {
	! "$@"
}

# userns_of PID: the user namespace PID lives in.
userns_of() {
	readlink "/proc/$1/ns/user"
}

@test "rootless: the user's Podman runs the copy of \$CONMON, as the user, in Podman's user namespace" {
	rootless_ids
	run podman info --format '{{.Host.Security.Rootless}}|{{.Host.Conmon.Path}}|{{.Host.Conmon.Version}}'
	[ "$status" -eq 0 ]
	assert_eq "${output%|*}" "true|$CONMON_REAL" "rootless and conmon path in podman info"
	assert_contains "$output" "$("$CONMON" --version | head -1)" "podman info"

	podman run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
	# Every id of the monitor is the user's: no privilege is left.
	assert_eq "$(awk '/^[UG]id:/ { print $2, $3, $4, $5 }' "/proc/$CONMON_PID/status" | tr '\n' ' ')" \
		"$ROOTLESS_UID $ROOTLESS_UID $ROOTLESS_UID $ROOTLESS_UID $ROOTLESS_GID $ROOTLESS_GID $ROOTLESS_GID $ROOTLESS_GID " \
		"the monitor's uids and gids"
	# The user namespace is Podman's (its pause process's), not the host's.
	[ "$(userns_of "$CONMON_PID")" != "$(userns_of 1)" ] || {
		echo "the monitor runs in the host's user namespace" >&2
		return 1
	}
	assert_eq "$(userns_of "$CONMON_PID")" "$(userns_of "$(cat "$RL_RUN/libpod/tmp/pause.pid")")" \
		"the monitor's user namespace"
	# The launcher exited; the monitor is a session leader of its own.
	assert_eq "$(ps -o sid= -p "$CONMON_PID" | tr -d ' ')" "$CONMON_PID" "monitor's session"
}

@test "run --rm: exit codes 0, 7 and 137 (SIGKILL) reach podman, output too; the container is removed" {
	check_run_rm_exit_codes
	# Outside a pid namespace the shell dies of its own SIGKILL (a
	# namespace's init would be immune).
	run_rm_gated "$NAME-kill" "kill -KILL \$\$; sleep 5; exit 1" --pid host
	assert_eq "$BG_STATUS" 137 "podman run status after SIGKILL"
	run podman container exists "$NAME-kill"
	assert_eq "$status" 1 "container $NAME-kill still exists"
}

@test "run -d, logs: stdout and stderr apart, 5000 lines, a 100 KB line, a last line without newline (a P record)" {
	local log
	check_logs_apart
	# The file itself, read as root: well-formed records, the last of
	# them the partial line, which conmon wrote as P.
	log=$(inspect "$NAME" '{{.HostConfig.LogConfig.Path}}')
	"$LIB_DIR/k8s-log" --stream stdout "$log" >"$T/log.stdout"
	assert_same_file "$T/log.stdout" "$T/stdout.want" "stdout in $log"
	assert_eq "$("$LIB_DIR/k8s-log" --records "$log" | tail -1)" "stdout P 20" "last record"
}

@test "run --rm -d: the exit command conmon runs as the user removes the container" {
	podman run --rm -d --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" sh -c "$(gate_sh end); exit 3" >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
	# The exit command is the user's Podman, with the user's store.
	assert_monitor_args --exit-command "$PODMAN_BIN"
	gate_open end
	wait_until "$WAIT" pid_gone "$CONMON_PID"
	# podman container cleanup --rm ran once the exit file was written.
	wait_until "$WAIT" not podman container exists "$NAME" || {
		echo "container $NAME is still there: $(ctr_state "$NAME")" >&2
		return 1
	}
	assert_eq "$(podman ps -a --format '{{.Names}}')" "" "containers left"
}

@test "files conmon creates are the user's, with the documented modes: log, pidfile, attach, ctl, winsz, exit file" {
	local bundle log pidfile exit_dir log_mode=640
	rootless_ids
	# Upstream conmon 2.1 (Debian 12's, the reference run) creates the
	# log 0600; upstream main and this conmon 0640.
	! conmon_is_upstream_2_1 || log_mode=600
	podman run -d --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" sh -c "echo hi; $(gate_sh end); exit 3" >/dev/null
	wait_state "$NAME" running
	assert_ours "$NAME"
	bundle=$(inspect "$NAME" '{{.StaticDir}}')
	log=$(inspect "$NAME" '{{.HostConfig.LogConfig.Path}}')
	pidfile=$(inspect "$NAME" '{{.ConmonPidFile}}')
	# Podman's rootless layout (docs/clients.md §2.1): the bundle in the store
	# under the home; the conmon pidfile in the runroot and the exits
	# directory in Podman's tmpdir, both under XDG_RUNTIME_DIR.
	assert_eq "$log" "$bundle/ctr.log" "log path"
	assert_eq "${bundle#"$RL_HOME"/.local/share/containers/storage/}" "vfs-containers/$ID/userdata" "bundle"
	assert_eq "$pidfile" "$RL_RUN/containers/vfs-containers/$ID/userdata/conmon.pid" "conmon pidfile"
	exit_dir=$(tr '\0' '\n' <"/proc/$CONMON_PID/cmdline" | sed -n '/^--exit-dir$/{n;p;q}')
	assert_eq "$exit_dir" "$RL_RUN/libpod/tmp/exits" "--exit-dir"

	# While it runs (the documented modes after conmon's umask 0022).
	assert_user_file "$log" "regular file" "$log_mode" # docs/logging.md §2.1
	assert_user_file "$pidfile" "regular file" 644 # docs/lifecycle.md §4
	assert_decimal_file "$pidfile" "$CONMON_PID"
	assert_user_file "$bundle/attach" socket 700   # docs/attach.md §2.3
	assert_user_file "$bundle/ctl" fifo 640        # docs/ctl.md §1
	assert_user_file "$bundle/winsz" fifo 640

	# docs/lifecycle.md §15: the exit file, written atomically, 0644, holding
	# the bare status. Podman's cleanup (the exit command) reads it and
	# deletes it at once: its first open of the file is held while the
	# file is looked at.
	fds_at_open_start "Podman's read of the exit file" "$T/exit-file" --stat "$ID" "$exit_dir"
	BG_PIDS+=("$FDS_AT_OPEN_PID")
	gate_open end
	run podman wait "$NAME"
	assert_eq "$output" 3 "podman wait"
	wait_until "$WAIT" test -e "$T/exit-file"
	assert_eq "$(cat "$T/exit-file")" "$ROOTLESS_UID:$ROOTLESS_GID 644" "owner and mode of the exit file"
	assert_eq "$(file_text "$T/exit-file.data")" 3 "the exit file's content"
	assert_eq "$(inspect "$NAME" '{{.State.ExitCode}}')" 3 "ExitCode"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
	# No OOM, so no oom file; no temporary file left beside the others.
	[ ! -e "$bundle/oom" ]
	run find "$exit_dir" "$(dirname "$pidfile")" "$bundle" -maxdepth 1 -name '*.??????'
	assert_eq "$output" "" "temporary files left"
	# Nothing in these directories belongs to anyone but the user.
	run find "$bundle" "$(dirname "$pidfile")" "$exit_dir" -maxdepth 1 ! -user "$ROOTLESS_UID"
	assert_eq "$output" "" "files of other owners"
}

# ---------------------------------------------------------------- slow reader

@test "slow reader: podman run --rm IMG seq 1 6000000 | (sleep 3; sha256sum) gets every byte (47 MB)" {
	slow_reader_start run --rm --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE"
	wait_state "$NAME" running
	assert_ours "$NAME"
	slow_reader_check
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}
