#!/usr/bin/env bats
# The container lifecycle end to end on a real runtime ($RUNTIME: runc or
# crun): launcher, sync pipe, pid files, exit statuses and files, timeout,
# exit command, the k8s-file log, and the launcher's own validation.
# Spec: docs/lifecycle.md, docs/sync-protocol.md, docs/cli.md §5, docs/logging.md §2.

load helpers

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# ------------------------------------------------------------ exit status

@test "exit code 0: exit files hold 0 and conmon is gone" {
	bundle_sh 'exit 0'
	run_container
	assert_eq "$EXIT_CODE" 0 "exit status"
	wait_monitor_gone
	[ "$(rt_status)" = stopped ]
}

@test "exit code 3" {
	bundle_sh 'exit 3'
	run_container
	assert_eq "$EXIT_CODE" 3 "exit status"
	wait_monitor_gone
}

@test "exit code 137: the container kills itself with SIGKILL" {
	# Outside a pid namespace the shell is an ordinary process, so its own
	# SIGKILL kills it (a namespace's init would be immune to it).
	bundle_sh 'kill -9 $$' --no-pidns
	run_container
	assert_eq "$EXIT_CODE" 137 "exit status"
	wait_monitor_gone
}

@test "signal death: runtime kill KILL gives 128+9" {
	bundle_sh 'exec sleep 600'
	conmon_create
	container_start
	wait_until "$WAIT" rt_status_is running
	rt kill "$CID" KILL
	wait_exit
	assert_eq "$EXIT_CODE" 137 "exit status"
	wait_monitor_gone
}

@test "signal death: runtime kill TERM gives 128+15" {
	# A pid-namespace init ignores SIGTERM it has no handler for; share the
	# host pid namespace so the default action (death) applies.
	bundle_sh 'exec sleep 600' --no-pidns
	conmon_create
	container_start
	wait_until "$WAIT" rt_status_is running
	rt kill "$CID" TERM
	wait_exit
	assert_eq "$EXIT_CODE" 143 "exit status"
	assert_decimal_file "$PERSIST_DIR/exit" 143
	wait_monitor_gone
}

@test "conmon is gone after the container exited, and so is the container" {
	bundle_sh 'sleep 0.2; exit 0'
	conmon_create
	pid_alive "$MONITOR_PID"
	container_start
	wait_exit
	wait_monitor_gone
	pid_gone "$CTR_PID"
}

# ------------------------------------------------------------ pid files

@test "conmon pidfile holds the monitor pid, container pidfile the container pid" {
	bundle_sh 'exec sleep 600'
	conmon_create
	# The launcher wrote the monitor's pid: decimal, no newline, 0644.
	assert_decimal_file "$CONMON_PIDFILE"
	assert_mode "$CONMON_PIDFILE" 644
	pid_alive "$MONITOR_PID"
	[ "$MONITOR_PID" != "$LAUNCHED_PID" ]
	# CONMON_EXE: the executable when CONMON is a wrapper that runs conmon
	# under a checker (tests/lib/sanitizer-run valgrind).
	assert_eq "$(readlink "/proc/$MONITOR_PID/exe")" "$(readlink -f "${CONMON_EXE:-$CONMON}")" "monitor executable"
	# The runtime wrote the container pidfile; conmon reported that pid.
	assert_eq "$(tr -d ' \n' <"$CTR_PIDFILE")" "$CTR_PID" "container pidfile"
	# The runtime has exited: the container init now belongs to the
	# monitor, a child subreaper.
	assert_eq "$(pid_ppid "$CTR_PID")" "$MONITOR_PID" "parent of the container"
	container_start
	rt kill "$CID" KILL
	wait_exit
	wait_monitor_gone
}

# ------------------------------------------------------------ exit files

@test "exit files: <persist-dir>/exit and <exit-dir>/<cid>, bare decimal, mode 0644" {
	bundle_sh 'exit 42'
	run_container
	wait_for_file "$PERSIST_DIR/exit"
	assert_decimal_file "$EXIT_DIR/$CID" 42
	assert_decimal_file "$PERSIST_DIR/exit" 42
	assert_mode "$EXIT_DIR/$CID" 644
	assert_mode "$PERSIST_DIR/exit" 644
	wait_monitor_gone
	# Written atomically: no temporary file is left, and conmon writes
	# nothing else in either directory.
	assert_eq "$(ls -A "$EXIT_DIR")" "$CID" "exit dir content"
	assert_eq "$(ls -A "$PERSIST_DIR")" exit "persist dir content"
	# The persist-dir file comes first (CRI-O reacts to the exit-dir one).
	[ "$(stat -c %.9Y "$PERSIST_DIR/exit")" \< "$(stat -c %.9Y "$EXIT_DIR/$CID")" ] ||
		[ "$(stat -c %.9Y "$PERSIST_DIR/exit")" = "$(stat -c %.9Y "$EXIT_DIR/$CID")" ]
}

# ------------------------------------------------------------ sync pipe

@test "sync pipe: legacy {\"pid\": N} and nothing more after the exit" {
	bundle_sh 'exit 0'
	conmon_create
	local re='^\{"pid": [1-9][0-9]*\}$'
	[[ $SYNC_LINE =~ $re ]] || {
		echo "sync message: $SYNC_LINE"
		false
	}
	container_start
	wait_exit
	wait_monitor_gone
	# A create sends only the pid, never the exit status.
	! IFS= read -r -t 0.2 -u "$SYNC_FD" extra || {
		echo "unexpected sync message: $extra"
		false
	}
}

@test "sync pipe: --api-version gives {\"data\": N}" {
	bundle_sh 'exit 0'
	conmon_create --api-version 1
	local re='^\{"data": [1-9][0-9]*\}$'
	[[ $SYNC_LINE =~ $re ]] || {
		echo "sync message: $SYNC_LINE"
		false
	}
	assert_eq "$CTR_PID" "$(tr -d ' \n' <"$CTR_PIDFILE")" "pid on the sync pipe"
	container_start
	wait_exit
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
}

@test "start pipe: conmon does nothing before the start byte" {
	bundle_sh 'exit 0'
	conmon_default_args
	CONMON_BACKGROUND=1 NO_START_BYTE=1 conmon_launch "${CONMON_ARGS[@]}"
	# Podman moves conmon into a cgroup before writing the byte: nothing
	# may be forked or created before it arrives.
	sleep 0.3
	pid_alive "$LAUNCHER_PID"
	[ ! -e "$CONMON_PIDFILE" ]
	[ ! -e "$RT_ROOT/$CID" ]
	printf '\0' >&"$START_FD"
	wait_until "$WAIT" pid_gone "$LAUNCHER_PID"
	wait "$LAUNCHER_PID"
	LAUNCHER_PID=
	MONITOR_PID=$(cat "$CONMON_PIDFILE")
	sync_read
	container_start
	wait_exit
	assert_eq "$EXIT_CODE" 0
}

# ------------------------------------------------------------ launcher

@test "launcher exits 0 at once, before the runtime has finished create" {
	# Only a fake runtime can be made slow on purpose.
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	CONMON_ENV=(FAKE_RUNTIME_MODE=slow FAKE_RUNTIME_DELAY=2)
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}"
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	# CONMON_STARTUP_MS: what a checker running conmon needs to start
	# (measured by tests/lib/sanitizer-run), 0 for conmon itself.
	[ "$LAUNCHER_MS" -lt $((1000 + ${CONMON_STARTUP_MS:-0})) ] || {
		echo "launcher took ${LAUNCHER_MS} ms"
		false
	}
	pid_alive "$MONITOR_PID"
	[ ! -s "$CTR_PIDFILE" ]
	sync_read
	CTR_PID=$(jq -r .pid <<<"$SYNC_LINE")
	CTR_START=$(pid_starttime "$CTR_PID")
	[ "$CTR_PID" -gt 0 ]
	kill -TERM "$CTR_PID"
	wait_exit
	assert_eq "$EXIT_CODE" 143
	wait_monitor_gone
}

@test "launcher releases the caller's stdout and stderr at once" {
	# Podman and CRI-O read conmon's output through a pipe and wait for
	# EOF: the monitor must not keep the pipe while the container runs.
	bundle_sh 'exec sleep 600'
	conmon_default_args
	conmon_exec_clean "${CONMON_ARGS[@]}" 6>&"$SYNC_FD" 5<&"$START_FD" \
		</dev/null 2>&1 | cat >"$T/caller.out" &
	local reader=$!
	printf '\0' >&"$START_FD"
	sync_read
	wait_until 3 pid_gone "$reader" || {
		echo "the caller's pipe is still open: a conmon process holds it"
		false
	}
	MONITOR_PID=$(cat "$CONMON_PIDFILE")
	pid_alive "$MONITOR_PID"
}

@test "--sync: no fork, the caller gets the container's exit status" {
	bundle_sh 'exit 3'
	conmon_default_args
	CONMON_BACKGROUND=1 conmon_launch "${CONMON_ARGS[@]}" --sync
	sync_read
	CTR_PID=$(jq -r .pid <<<"$SYNC_LINE")
	[ "$CTR_PID" -gt 0 ]
	# The process the caller started is the monitor: the container's
	# parent once the runtime has exited.
	assert_eq "$(pid_ppid "$CTR_PID")" "$LAUNCHER_PID" "parent of the container"
	container_start
	wait_until "$WAIT" pid_gone "$LAUNCHER_PID"
	local status=0
	wait "$LAUNCHER_PID" || status=$?
	LAUNCHER_PID=
	assert_eq "$status" 3 "conmon's exit status"
	assert_decimal_file "$EXIT_DIR/$CID" 3
	# Only the launcher writes the conmon pidfile; there is none here.
	[ ! -e "$CONMON_PIDFILE" ]
}

# ------------------------------------------------------------ failures

@test "runtime failure: a broken config.json is reported with the runtime's words" {
	echo '{"ociVersion": ' >"$BUNDLE/config.json"
	# What the runtime itself says about this bundle (runc prefixes a
	# timestamp, which differs from run to run).
	local words
	words=$(cd "$BUNDLE" && rt create --bundle "$BUNDLE" --pid-file "$T/probe.pid" "$CID-probe" 2>&1) && false
	words=$(sed -n '1{s/^time="[^"]*" //;p}' <<<"$words")
	[ -n "$words" ]

	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}"
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	sync_read
	assert_eq "$(jq -r .pid <<<"$SYNC_LINE")" -1 "pid"
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "$words" "sync message"
	wait_monitor_gone
	# A failed create leaves no exit file: callers tell failures by that.
	[ ! -e "$EXIT_DIR/$CID" ]
	[ ! -e "$PERSIST_DIR/exit" ]
}

@test "runtime failure: a missing executable is reported with the runtime's words" {
	bundle_cmd -- /no/such/binary
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}"
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	sync_read
	assert_eq "$(jq -r .pid <<<"$SYNC_LINE")" -1 "pid"
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" /no/such/binary "sync message"
	wait_monitor_gone
	[ ! -e "$EXIT_DIR/$CID" ]
}

@test "runtime crash (fake runtime): {\"pid\": -1} with its stderr, no exit file" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	CONMON_ENV=(FAKE_RUNTIME_MODE=crash)
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}"
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	sync_read
	assert_eq "$(jq -r .pid <<<"$SYNC_LINE")" -1 "pid"
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "crashing on purpose" "sync message"
	wait_monitor_gone
	[ ! -e "$EXIT_DIR/$CID" ]
	[ ! -e "$PERSIST_DIR/exit" ]
}

@test "no subreaper (old kernels, qemu-user 7.2): the reason on the sync pipe and on the caller's stderr, conmon exits" {
	# prctl(PR_SET_CHILD_SUBREAPER) fails with EINVAL under a seccomp
	# filter, as where the kernel or the emulator does not know it.
	mkdir -p "$T/bin"
	cc -std=gnu11 -O1 -Wall -Wextra -Werror -o "$T/bin/no-subreaper" "$LIB_DIR/no-subreaper.c"
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$T/bin/no-subreaper" "$CONMON" >"$T/bin/conmon"
	chmod +x "$T/bin/conmon"
	bundle_sh 'exit 0'
	local CONMON=$T/bin/conmon
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}" --api-version 1
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	sync_read
	assert_eq "$SYNC_LINE" '{"data": -1, "message": "Failed to set as subreaper: Invalid argument"}' "sync message"
	wait_monitor_gone
	assert_contains "$(cat "$T/launcher.err")" "[conmon:e]: Failed to set as subreaper Invalid argument" "stderr"
	[ ! -e "$EXIT_DIR/$CID" ]
	# Nothing was started.
	[ ! -s "$CTR_PIDFILE" ]
}

@test "runtime argv for create, in the order of docs/lifecycle.md §6.1 (fake runtime)" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	CONMON_ENV=(FAKE_RUNTIME_LOG="$T/argv" FAKE_MARKER=passed-through)
	conmon_create -s --runtime-arg --ra1 --runtime-arg 'ra 2' \
		--no-pivot --no-new-keyring --runtime-opt --ro1 --runtime-opt 'ro 2'
	local want
	want=$(printf '%s\n' "$FAKE_RUNTIME" --systemd-cgroup --ra1 'ra 2' create \
		--bundle "$BUNDLE" --pid-file "$CTR_PIDFILE" --no-pivot --no-new-keyring \
		--ro1 'ro 2' "$CID")
	diff -u <(echo "$want") "$T/argv"
	# The "container" the fake runtime started is now the monitor's.
	assert_eq "$(pid_ppid "$CTR_PID")" "$MONITOR_PID" "parent of the container"
	kill -KILL "$CTR_PID"
	wait_exit
	assert_eq "$EXIT_CODE" 137
	wait_monitor_gone
}

# ------------------------------------------------------------ timeout

@test "--timeout: the container is killed, exit files hold -1, conmon is gone" {
	bundle_sh 'exec sleep 600'
	conmon_create --timeout 1
	local t0
	t0=$(date +%s%N)
	container_start
	wait_exit 8
	assert_eq "$EXIT_CODE" -1 "exit status"
	assert_decimal_file "$PERSIST_DIR/exit" -1
	local ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 5000 ] || { echo "timeout took $ms ms"; false; }
	wait_monitor_gone
	wait_until "$WAIT" pid_gone "$CTR_PID"
}

# ------------------------------------------------------------ exit command

@test "--exit-command runs with its args in order, after the exit files and --exit-delay" {
	cat >"$T/exit-cmd" <<-EOF
		#!/bin/sh
		# Record when it ran, what it was given, and the state of things.
		{
			date +%s.%N
			echo "ppid \$PPID"
			if [ -e "$EXIT_DIR/$CID" ]; then echo exit-file-present; else echo exit-file-missing; fi
			printf 'arg %s\n' "\$@"
		} >"$T/exit-cmd.tmp"
		mv "$T/exit-cmd.tmp" "$T/exit-cmd.out"
	EOF
	chmod +x "$T/exit-cmd"
	bundle_sh 'exit 5'
	run_container --exit-command "$T/exit-cmd" \
		--exit-command-arg first --exit-command-arg 'second arg' \
		--exit-command-arg --third --exit-delay 1
	assert_eq "$EXIT_CODE" 5
	wait_for_file "$T/exit-cmd.out" 5
	mapfile -t out <"$T/exit-cmd.out"
	assert_eq "${out[1]}" "ppid $MONITOR_PID" "exit command's parent"
	assert_eq "${out[2]}" exit-file-present
	assert_eq "$(printf '%s\n' "${out[@]:3}")" "$(printf 'arg %s\n' first 'second arg' --third)" "arguments"
	# It ran at least --exit-delay seconds after the exit file appeared.
	local written
	written=$(stat -c %.9Y "$EXIT_DIR/$CID")
	awk -v ran="${out[0]}" -v written="$written" 'BEGIN { exit !(ran - written >= 0.99) }' || {
		echo "exit command ran at ${out[0]}, exit file written at $written"
		false
	}
	wait_monitor_gone
}

@test "--exit-command gets only fds 0-2, even when conmon inherited more" {
	bundle_sh 'exit 0'
	# An extra descriptor handed to conmon (as Podman hands over reserved
	# ports) must be closed before the exit command runs.
	exec {extra}<"$BUNDLE/config.json"
	KEEP_FDS=$extra
	# sleep is exec'd directly, so its fds are exactly what conmon gave it
	# (a shell would add its own); the test reads them from outside.
	conmon_create --exit-command /bin/sleep --exit-command-arg 30
	exec {extra}<&-
	# The premise: the monitor holds the extra descriptor.
	[ "$(readlink "/proc/$MONITOR_PID/fd/$extra")" = "$BUNDLE/config.json" ]
	container_start
	wait_exit
	local pid
	wait_until "$WAIT" children_named "$MONITOR_PID" sleep >"$T/exit-cmd.pid" || {
		echo "no exit command process under the monitor"
		false
	}
	pid=$(head -n 1 "$T/exit-cmd.pid")
	assert_eq "$(fd_list "$pid")" "0 1 2" "fds of the exit command"
	# The monitor waits for its exit command.
	pid_alive "$MONITOR_PID"
	kill "$pid"
	wait_monitor_gone
}

# ------------------------------------------------------------ k8s-file log

@test "k8s-file: stdout and stderr records in the docs/logging.md §2.2 format" {
	bundle_sh 'echo out1; echo err1 >&2; echo out2; echo "x y  z"'
	run_container
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	# k8s-log fails on any malformed record.
	"$LIB_DIR/k8s-log" "$CTR_LOG" >/dev/null
	assert_eq "$(log_stream stdout)" "$(printf 'out1\nout2\nx y  z')" stdout
	assert_eq "$(log_stream stderr)" err1 stderr
	# Complete lines are F records; the timestamp carries this process's
	# UTC offset (local time, +00:00 rather than Z).
	local offset re
	offset=$(date +%:z)
	re="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}\\${offset} (stdout|stderr) F .*\$"
	while IFS= read -r line; do
		[[ $line =~ $re ]] || {
			echo "bad record: $line"
			false
		}
	done <"$CTR_LOG"
	[ "$(wc -l <"$CTR_LOG")" -eq 4 ]
}

@test "k8s-file: the log is created with mode 0640" {
	bundle_sh 'echo hi'
	run_container
	assert_mode "$CTR_LOG" 640
}

@test "k8s-file: a line without a newline is a P record" {
	bundle_sh 'printf "no newline"'
	run_container
	wait_monitor_gone
	grep -q ' stdout P no newline$' "$CTR_LOG" || {
		cat "$CTR_LOG"
		false
	}
	# docs/logging.md §2.3: output ending without a newline ends with a P
	# record, and a reader's reassembly gives back exactly the bytes.
	assert_eq "$("$LIB_DIR/k8s-log" --records "$CTR_LOG" | tail -n 1)" "stdout P 10" "last record"
	assert_eq "$(log_stream stdout | od -An -c | tr -s ' ')" "$(printf 'no newline' | od -An -c | tr -s ' ')" "stdout bytes"
}

@test "k8s-file: a 64 KiB line becomes P records then one F record" {
	bundle_sh 'printf "%65536s\n" "" | tr " " "#"'
	run_container
	wait_monitor_gone
	"$LIB_DIR/k8s-log" --stream stdout --records "$CTR_LOG" >"$T/records"
	# Every record but the last is partial; no record exceeds one 8 KiB
	# read; the last one completes the line.
	awk '
		{ n++; tag[n] = $2; if ($3 > 8192) big++ }
		END {
			for (i = 1; i < n; i++) if (tag[i] != "P") bad++
			if (n < 9 || tag[n] != "F" || bad || big) {
				printf "records %d, last %s, non-P %d, over 8192 %d\n", n, tag[n], bad, big
				exit 1
			}
		}' "$T/records"
	assert_eq "$(log_stream stdout | sha256sum)" "$(printf '%65536s\n' '' | tr ' ' '#' | sha256sum)" "reassembled line"
}

@test "k8s-file: 50 MiB of binary output, not a byte lost" {
	mkdir "$T/data"
	# Random bytes (so every byte value and line length occurs), ending in
	# a newline: how an unterminated tail is stored is the previous test's
	# business, not this one's.
	{ head -c $((50 * 1024 * 1024)) /dev/urandom && echo; } >"$T/data/src"
	bundle_sh 'cat /data/src' --bind "$T/data:/data"
	run_container
	wait_exit 120
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_stream stdout | sha256sum)" "$(sha256sum <"$T/data/src")" "sha256 of stdout"
	assert_eq "$(log_stream stderr | wc -c)" 0 "stderr bytes"
}

# ------------------------------------------------------------ command line

# conmon_cli ARGS...: run the launcher with ARGS; output and status as run's.
conmon_cli() {
	run conmon_exec_clean "$@"
}

@test "cli: --version prints the version and commit lines" {
	USE_START_PIPE=0 USE_SYNC_PIPE=0
	conmon_cli --version
	[ "$status" -eq 0 ]
	local re='^conmon version [0-9]+\.[0-9]+\.[0-9]+$'
	[[ ${lines[0]} =~ $re ]]
	[[ ${lines[1]} == "commit: "* ]]
}

@test "cli: option parsing errors" {
	USE_START_PIPE=0 USE_SYNC_PIPE=0
	conmon_cli --no-such-option
	[ "$status" -eq 1 ]
	assert_contains "$output" "conmon: option parsing failed: Unknown option --no-such-option"
	conmon_cli --cid
	[ "$status" -eq 1 ]
	assert_contains "$output" "Missing argument for --cid"
}

@test "cli: required options are asked for in order" {
	USE_START_PIPE=0 USE_SYNC_PIPE=0
	conmon_cli
	[ "$status" -eq 1 ]
	assert_contains "$output" "Container ID not provided. Use --cid"
	conmon_cli --cid "$CID"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Container UUID not provided. Use --cuuid"
	conmon_cli --cid "$CID" --cuuid "$CUUID"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Runtime path not provided. Use --runtime"
	conmon_cli --cid "$CID" --cuuid "$CUUID" --runtime /no/such/runtime
	[ "$status" -eq 1 ]
	assert_contains "$output" "Runtime path /no/such/runtime is not valid"
	conmon_cli --cid "$CID" --cuuid "$CUUID" --runtime "$RUNTIME_PATH"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Log driver not provided. Use --log-path"
	# Nothing was forked: no monitor, no pidfile.
	[ ! -e "$CONMON_PIDFILE" ]
}

@test "cli: bad values are refused before the fork" {
	USE_START_PIPE=0 USE_SYNC_PIPE=0
	conmon_cli --cid "$CID" --cuuid "$CUUID" --runtime "$RUNTIME_PATH" \
		--log-path "k8s-file:$CTR_LOG" --exit-delay -1 --conmon-pidfile "$CONMON_PIDFILE"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Delay before invoking exit command must be greater than or equal to 0"
	conmon_cli --cid "$CID" --cuuid "$CUUID" --runtime "$RUNTIME_PATH" \
		--log-path "k8s-file:$T/no/such/dir/log" --conmon-pidfile "$CONMON_PIDFILE"
	[ "$status" -eq 1 ]
	assert_contains "$output" "Failed to open log file"
	[ ! -e "$CONMON_PIDFILE" ]
}

@test "cli: --log-max-files bounds come before everything else" {
	USE_START_PIPE=0 USE_SYNC_PIPE=0
	conmon_cli --log-max-files -1
	[ "$status" -eq 1 ]
	assert_contains "$output" "conmon: log-max-files must be non-negative, got -1"
	conmon_cli --log-rotate --log-max-files 0
	[ "$status" -eq 1 ]
	assert_contains "$output" "log-max-files must be at least 1 when log-rotate is enabled, got 0"
}
