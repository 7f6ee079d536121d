#!/usr/bin/env bats
# Faults and hostile input on a real runtime ($RUNTIME: runc or crun): a
# log file system that fills up, a log or log directory deleted under
# conmon, a gigabyte without a newline and binary noise with conmon's
# memory sampled, a runtime that dies during create, conmon itself killed,
# a container that closes its stdout or is killed with output still in the
# pipe, hostile ctl input, crowds of attach clients; then the security
# properties: file modes, symlinks planted where conmon creates files, the
# log allowlist, the descriptors children get, and the programs conmon
# executes.
#
# Already covered elsewhere, not repeated here: a log file system that is
# full and gets space back (logging.bats), a client that never reads while
# 50 MB go by and 40 clients at once (attach.bats), a 65 KiB ctl line
# (ctl.bats), the fds of the container and exit command in pipe mode
# (exec.bats).
# Spec: docs/logging.md §2-§3, docs/stdio.md, docs/attach.md, docs/ctl.md, docs/lifecycle.md §7,
# §11-§12, §15.

load helpers
load lib/attach

setup() {
	common_setup
	SMALL_FS= STRACE_PID=
}

teardown() {
	probes_teardown
	if [ -n "$MONITOR_PID" ]; then
		kill -CONT "$MONITOR_PID" 2>/dev/null || true
	fi
	common_teardown
	if [ -n "$SMALL_FS" ]; then
		umount -l "$SMALL_FS" 2>/dev/null || true
	fi
	if [ -n "$STRACE_PID" ]; then
		kill -KILL "$STRACE_PID" 2>/dev/null || true
	fi
}

# ---------------------------------------------------------------- helpers

# small_fs SIZE: a tmpfs of SIZE at $T/small (SMALL_FS), unmounted at the
# end of the test.
small_fs() {
	SMALL_FS=$T/small
	mkdir -p "$SMALL_FS"
	mount -t tmpfs -o "size=$1" tmpfs "$SMALL_FS"
}

# comm_is PID NAME: the process's command name is NAME (a container that
# ends its output with `exec sleep` shows it has written everything).
# Builtins only: it runs between memory samples.
comm_is() {
	local comm=
	read -r comm 2>/dev/null <"/proc/$1/comm"
	[ "$comm" = "$2" ]
}

# status_kb PID FIELD: STATUS_KB := a /proc/PID/status field in kB,
# without forking.  The file is taken in one read: the kernel rebuilds it
# on every read(2), so reading it line by line can tear it.
status_kb() {
	local line lines
	STATUS_KB=
	mapfile -t lines <"/proc/$1/status" || return 1
	for line in "${lines[@]}"; do
		case $line in
		"$2:"*)
			line=${line#*:}
			line=${line% kB}
			STATUS_KB=$((line))
			return 0
			;;
		esac
	done
	return 1
}

# rss_sample_until COMMAND...: sample the monitor's VmRSS about every 5 ms
# until COMMAND succeeds (it should not fork either, or the samples grow
# sparse). Sets RSS_FIRST, RSS_MAX, RSS_SAMPLES.  RSS_FIRST is the last
# sample of the first 0.1 s, by when every code path of the load has run:
# a page of code or stack touched for the first time is not growth with
# input.  RSS_MAX is the largest sample from then on.
rss_sample_until() {
	local nap warm_until
	RSS_FIRST= RSS_MAX=0 RSS_SAMPLES=0
	mkfifo "$T/nap"
	exec {nap}<>"$T/nap"
	warm_until=$((${EPOCHREALTIME/./} + 100000))
	until "$@"; do
		status_kb "$MONITOR_PID" VmRSS || break
		RSS_SAMPLES=$((RSS_SAMPLES + 1))
		if [ -z "$RSS_FIRST" ] || [ "${EPOCHREALTIME/./}" -le "$warm_until" ]; then
			RSS_FIRST=$STATUS_KB RSS_MAX=$STATUS_KB
		fi
		[ "$STATUS_KB" -gt "$RSS_MAX" ] && RSS_MAX=$STATUS_KB
		read -r -t 0.005 -u "$nap" || true
	done
	exec {nap}>&-
	rm -f "$T/nap"
}

# assert_memory_flat WHAT: VmHWM (the peak over conmon's whole life, so
# nothing between samples escapes) under the 200 kB budget, and the
# sampled VmRSS no more than 8 kB over its first sample.
assert_memory_flat() {
	local hwm
	status_kb "$MONITOR_PID" VmHWM
	hwm=$STATUS_KB
	echo "# $1: conmon VmRSS $RSS_FIRST kB after warm-up, at most $RSS_MAX kB in $RSS_SAMPLES samples; VmHWM $hwm kB" >&3
	[ "$RSS_SAMPLES" -ge 1 ] || { echo "no sample" >&2; return 1; }
	[ "$hwm" -lt 200 ] || { echo "VmHWM $hwm kB, budget 200 kB" >&2; return 1; }
	[ "$RSS_MAX" -le $((RSS_FIRST + 8)) ] || {
		echo "VmRSS grew from $RSS_FIRST to $RSS_MAX kB" >&2
		return 1
	}
}

# cpu_ticks PID: user + system time in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	set -- $stat
	echo $((${12} + ${13}))
}

# numbers_increasing < TEXT: the lines are 7-digit numbers, strictly
# increasing (a record lost is fine here, a torn or repeated one is not);
# prints how many.
numbers_increasing() {
	awk '
		!/^[0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/ { printf "line %d is \"%s\"\n", NR, substr($0, 1, 40) > "/dev/stderr"; bad = 1; exit 1 }
		NR > 1 && $0 + 0 <= last { printf "line %d: %s after %s\n", NR, $0, last > "/dev/stderr"; bad = 1; exit 1 }
		{ last = $0 + 0 }
		END { if (!bad) print NR }
	'
}

# no_process_mentions TEXT: no process has TEXT in its command line
# (checked without forking, so no helper of the check itself shows up).
no_process_mentions() {
	local f args
	for f in /proc/[0-9]*/cmdline; do
		case $f in "/proc/$$/cmdline" | "/proc/$BASHPID/cmdline") continue ;; esac
		mapfile -d '' args <"$f" 2>/dev/null || continue
		case "${args[*]}" in
		*"$1"*)
			echo "process ${f//[^0-9]/}: ${args[*]}" >&2
			return 1
			;;
		esac
	done
}

# assert_nothing_left: after a failed create, no exit file, no attach
# socket, no <socket-dir-path>/<cuuid> link, no console socket in $T/tmp
# (the TMPDIR the test gave conmon), no process working on the bundle.
assert_nothing_left() {
	local left=()
	[ -e "$EXIT_DIR/$CID" ] && left+=("exit file $EXIT_DIR/$CID")
	[ -e "$PERSIST_DIR/exit" ] && left+=("exit file $PERSIST_DIR/exit")
	[ -e "$BUNDLE/attach" ] && left+=("attach socket $BUNDLE/attach")
	[ -L "$SOCKET_DIR/$CUUID" ] && left+=("symlink $SOCKET_DIR/$CUUID")
	[ -z "$(ls -A "$T/tmp")" ] || left+=("in TMPDIR: $(ls -A "$T/tmp")")
	no_process_mentions "$BUNDLE" 2>"$T/procs" || left+=("$(cat "$T/procs")")
	[ ${#left[@]} -eq 0 ] || {
		printf 'left behind: %s\n' "${left[@]}" >&2
		return 1
	}
}

# ------------------------------------------------------ the log file system

@test "log fs fills up mid-stream: whole records only, conmon and container go on, logging resumes, exit files written" {
	# logging.bats fills the file system before the container starts;
	# here the container's own output fills it, so writes fail half-way
	# through a batch of records.
	small_fs 512k
	CTR_LOG=$SMALL_FS/ctr.log
	head -c 131072 /dev/zero >"$SMALL_FS/reserve"
	mkdir "$T/data"
	bundle_sh "$(echo "awk 'BEGIN { for (i = 1; i <= 60000; i++) printf \"%07d\\n\", i }'"); until [ -e /data/go ]; do sleep 0.05; done; echo resumed-1; echo resumed-2; exit 7" \
		--bind "$T/data:/data"
	conmon_create
	container_start
	# Full: the log stops growing while the container keeps writing.
	wait_until 20 sh -c '[ "$(df --output=avail "$1" | tail -n 1)" -lt 8 ]' sh "$SMALL_FS"
	local size
	size=$(stat -c %s "$CTR_LOG")
	sleep 0.5
	pid_alive "$MONITOR_PID"
	pid_alive "$CTR_PID"
	rm "$SMALL_FS/reserve"
	touch "$T/data/go"
	wait_exit 30
	assert_eq "$EXIT_CODE" 7 "exit status"
	assert_decimal_file "$PERSIST_DIR/exit" 7
	wait_monitor_gone
	# k8s-log refuses a torn record; the numbers never repeat or go back.
	log_stream stdout >"$T/text"
	local n
	n=$(head -n -2 "$T/text" | numbers_increasing)
	[ "$n" -lt 60000 ] || { echo "all 60000 lines fitted in ${size} bytes?" >&2; return 1; }
	assert_eq "$(tail -n 2 "$T/text")" "$(printf 'resumed-1\nresumed-2')" "output after space returned"
	echo "# $n of 60000 lines fitted; the log held $size bytes when the file system was full" >&3
}

@test "log fs full until the end: the exit files are still written, conmon exits" {
	small_fs 256k
	CTR_LOG=$SMALL_FS/ctr.log
	bundle_sh "$(echo "awk 'BEGIN { for (i = 1; i <= 50000; i++) printf \"%07d\\n\", i }'"); exit 9"
	conmon_create
	container_start
	wait_exit 30
	assert_eq "$EXIT_CODE" 9 "exit status"
	assert_decimal_file "$PERSIST_DIR/exit" 9
	wait_monitor_gone
	log_stream stdout | numbers_increasing >/dev/null
}

# writer_script N: numbered lines for about N/1000 seconds, then exit 0.
writer_script() {
	echo "i=0; while [ \$i -lt $1 ]; do awk -v b=\$i 'BEGIN { for (k = b + 1; k <= b + 100; k++) printf \"%07d\\n\", k }'; i=\$((i + 100)); sleep 0.05; done"
}

@test "log file deleted while the container writes: conmon goes on, and a reopen request brings the file back" {
	bundle_sh "$(writer_script 6000)"
	conmon_create
	container_start
	wait_until "$WAIT" test -s "$CTR_LOG"
	rm "$CTR_LOG"
	sleep 0.5
	pid_alive "$MONITOR_PID"
	[ ! -e "$CTR_LOG" ]
	ctl_send $'2 0 0\n'
	wait_for_file "$CTR_LOG" 5
	wait_exit 30
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	local n
	n=$(log_stream stdout | numbers_increasing)
	# What came after the reopen, up to the last line.
	assert_eq "$(log_stream stdout | tail -n 1)" 0006000 "last line"
	[ "$n" -gt 100 ]
}

@test "log file deleted under --log-rotate: rotation refuses the missing file, the reopen still recreates it" {
	bundle_sh "$(writer_script 6000)"
	conmon_create --log-rotate --log-max-files 2
	container_start
	wait_until "$WAIT" test -s "$CTR_LOG"
	rm "$CTR_LOG"
	ctl_send $'2 0 0\n'
	wait_for_file "$CTR_LOG" 5
	wait_exit 30
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_stream stdout | tail -n 1)" 0006000 "last line"
	log_stream stdout | numbers_increasing >/dev/null
	# Nothing was rotated into a backup from a file that was gone.
	[ ! -e "$CTR_LOG.1" ]
}

@test "log directory deleted while the container writes: conmon goes on; reopen fails softly, then works once it is back" {
	mkdir "$T/logs"
	CTR_LOG=$T/logs/ctr.log
	bundle_sh "$(writer_script 8000)"
	conmon_create
	container_start
	wait_until "$WAIT" test -s "$CTR_LOG"
	rm -rf "$T/logs"
	# Nowhere to create the file: logged as a warning, conmon runs on.
	ctl_send $'2 0 0\n'
	sleep 0.3
	pid_alive "$MONITOR_PID"
	pid_alive "$CTR_PID"
	mkdir "$T/logs"
	ctl_send $'2 0 0\n'
	wait_for_file "$CTR_LOG" 5
	wait_exit 30
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_stream stdout | tail -n 1)" 0008000 "last line"
	log_stream stdout | numbers_increasing >/dev/null
}

# ------------------------------------------------------------ memory

@test "1 GiB without a newline: conmon's memory stays flat under 200 kB" {
	# 1024 times a 1 MiB file of 'x': measured on this host's two cores
	# through conmon into the log, 2.5 s, where busybox's
	# `head -c 1G /dev/zero | tr` takes 8.7 s and `head` alone 5.8 s.
	mkdir "$T/data"
	head -c 1048576 /dev/zero | tr '\0' x >"$T/data/x"
	bundle_sh 'i=0; while [ $i -lt 1024 ]; do cat /data/x; i=$((i + 1)); done; exec sleep 600' \
		--bind "$T/data:/data"
	# Truncation at 64 MiB bounds the disk; each file starts over with
	# P records of the same line.
	conmon_create --log-size-max 67108864
	local t0 t1
	t0=$(date +%s%N)
	container_start
	rss_sample_until comm_is "$CTR_PID" sleep
	t1=$(date +%s%N)
	assert_memory_flat "1 GiB in $(((t1 - t0) / 1000000)) ms"
	rt kill "$CID" KILL
	wait_exit
	assert_eq "$EXIT_CODE" 137
	wait_monitor_gone
	# Well-formed, and all of it one unfinished line: P records only.
	"$LIB_DIR/k8s-log" --records "$CTR_LOG" | awk '
		$1 != "stdout" || $2 != "P" || $3 > 8192 { bad++ }
		END { if (bad || NR == 0) { printf "%d records, %d not stdout P <= 8192\n", NR, bad; exit 1 } }'
	[ "$(log_stream stdout | tr -d x | wc -c)" = 0 ]
}

@test "256 MiB of binary noise: conmon's memory stays flat, the log is well-formed" {
	bundle_sh 'head -c 268435456 /dev/urandom; exec sleep 600'
	conmon_create --log-size-max 67108864
	container_start
	rss_sample_until comm_is "$CTR_PID" sleep
	assert_memory_flat "256 MiB of noise"
	rt kill "$CID" KILL
	wait_exit
	wait_monitor_gone
	"$LIB_DIR/k8s-log" "$CTR_LOG" >/dev/null
}

# ------------------------------------------------------------ lifecycle

@test "runtime dies during create (-t): the crash on the sync pipe, conmon exits, nothing left behind" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	mkdir "$T/tmp"
	CONMON_ENV=(FAKE_RUNTIME_MODE=crash TMPDIR="$T/tmp")
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}" -t
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	sync_read
	assert_eq "$(jq -r .pid <<<"$SYNC_LINE")" -1 "pid"
	assert_contains "$(jq -r .message <<<"$SYNC_LINE")" "crashing on purpose" "sync message"
	wait_monitor_gone
	assert_nothing_left
}

@test "runtime killed during create: {\"pid\": -1}, conmon exits, nothing left behind" {
	RUNTIME_UNDER_TEST=$FAKE_RUNTIME
	mkdir "$T/tmp"
	CONMON_ENV=(FAKE_RUNTIME_MODE=slow FAKE_RUNTIME_DELAY=30 TMPDIR="$T/tmp")
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}" -t
	assert_eq "$LAUNCHER_STATUS" 0 "launcher exit status"
	local rt_pid
	wait_until "$WAIT" children_named "$MONITOR_PID" >"$T/rt.pid"
	rt_pid=$(head -n 1 "$T/rt.pid")
	# The runtime, then what it started (the fake one sleeps in a child;
	# killed first, the shell would report it on stderr).
	children_named "$rt_pid" >"$T/rt.children" || true
	kill -KILL "$rt_pid"
	kill -KILL $(cat "$T/rt.children") 2>/dev/null || true
	sync_read
	assert_eq "$(jq -c . <<<"$SYNC_LINE")" '{"pid":-1}' "sync message"
	wait_monitor_gone
	assert_nothing_left
}

@test "conmon killed with SIGKILL: the container keeps running, no exit file appears" {
	bundle_sh 'echo started; exec sleep 600'
	conmon_create
	container_start
	wait_until "$WAIT" grep -q started "$CTR_LOG"
	kill -KILL "$MONITOR_PID"
	wait_monitor_gone
	sleep 0.5
	pid_alive "$CTR_PID"
	assert_eq "$(rt_status)" running "runtime state"
	[ ! -e "$EXIT_DIR/$CID" ] && [ ! -e "$PERSIST_DIR/exit" ]
}

@test "the container closes stdout early and runs on: stderr is still logged, conmon waits for the exit" {
	bundle_sh 'echo before; exec 1>&-; echo err-after >&2; sleep 1; echo err-end >&2; exec 2>&-; sleep 1; exit 4'
	conmon_create
	container_start
	wait_until "$WAIT" grep -q err-after "$CTR_LOG"
	# Both streams closed, the container still running: conmon waits.
	sleep 1.2
	pid_alive "$MONITOR_PID"
	[ ! -e "$EXIT_DIR/$CID" ]
	wait_exit
	assert_eq "$EXIT_CODE" 4
	wait_monitor_gone
	assert_eq "$(log_stream stdout)" before stdout
	assert_eq "$(log_stream stderr)" "$(printf 'err-after\nerr-end')" stderr
}

@test "the container's process group is killed with output still in the pipe: the tail is logged" {
	mkdir "$T/data"
	# 60 600 bytes, less than a pipe holds (64 KiB).
	head -c 45000 /dev/urandom | base64 -w 100 >"$T/data/src"
	bundle_sh 'cat /data/src; echo TAIL-OUT; echo TAIL-ERR >&2; exec sleep 600' --bind "$T/data:/data"
	conmon_create
	# conmon reads nothing while stopped: the output waits in the pipes.
	kill -STOP "$MONITOR_PID"
	container_start
	wait_until "$WAIT" comm_is "$CTR_PID" sleep
	local pgid
	pgid=$(ps -o pgid= -p "$CTR_PID" | tr -d ' ')
	# Its own group, not conmon's (that would test something else).
	[ "$pgid" != "$(ps -o pgid= -p "$MONITOR_PID" | tr -d ' ')" ]
	kill -KILL -- "-$pgid"
	wait_until "$WAIT" pid_gone "$CTR_PID"
	kill -CONT "$MONITOR_PID"
	wait_exit
	assert_eq "$EXIT_CODE" 137
	wait_monitor_gone
	assert_eq "$(log_stream stdout | sha256sum)" "$( (cat "$T/data/src"; echo TAIL-OUT) | sha256sum)" "stdout"
	assert_eq "$(log_stream stderr)" TAIL-ERR stderr
}

# ------------------------------------------------------------ hostile ctl

# ctl_flood_sampled MODE ARG: tests/lib/ctl-flood against the ctl FIFO
# while conmon's memory is sampled; FLOOD := what it reports.
ctl_flood_sampled() {
	"$LIB_DIR/ctl-flood" "$BUNDLE/ctl" "$@" >"$T/flood.out" 2>"$T/flood.err" &
	local flood=$!
	rss_sample_until pid_gone_fast "$flood"
	wait "$flood" || { cat "$T/flood.err" >&2; return 1; }
	FLOOD=$(cat "$T/flood.out")
}

# pid_gone_fast PID: gone or a zombie, without forking.
pid_gone_fast() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

@test "ctl: 1 MiB without a newline is thrown away, conmon stays small and still resizes" {
	attach_tools_build
	term_start
	ctl_flood_sampled long 1048576
	assert_memory_flat "ctl: $FLOOD without a newline"
	pid_alive "$MONITOR_PID"
	# The newline ends the discarded line; the next one is applied.
	ctl_send $'\n1 33 77\n'
	term_size_becomes '33 77'
}

@test "ctl: thousands of lines a second: conmon keeps up, stays small, and the last resize wins" {
	attach_tools_build
	term_start
	local t0 ticks0 ticks1
	ticks0=$(cpu_ticks "$MONITOR_PID")
	ctl_flood_sampled lines 2
	ticks1=$(cpu_ticks "$MONITOR_PID")
	assert_memory_flat "ctl: $FLOOD in 2 s"
	echo "# conmon used $((ticks1 - ticks0)) ticks of CPU for them" >&3
	[ "${FLOOD% lines}" -ge 2000 ] || { echo "only $FLOOD" >&2; return 1; }
	t0=$(date +%s%N)
	ctl_send $'1 44 88\n'
	term_size_becomes '44 88'
	echo "# the resize after the flood took $((($(date +%s%N) - t0) / 1000000)) ms" >&3
}

@test "ctl: writers that open and close the FIFO in a loop, some after half a line: conmon goes on" {
	attach_tools_build
	term_start
	ctl_flood_sampled churn 2
	assert_memory_flat "ctl: $FLOOD"
	local fds
	fds=$(ls "/proc/$MONITOR_PID/fd" | wc -l)
	# A newline ends whatever the half lines made; then a real resize.
	ctl_send $'\n1 55 66\n'
	term_size_becomes '55 66'
	assert_eq "$(ls "/proc/$MONITOR_PID/fd" | wc -l)" "$fds" "conmon's fd count"
}

# ------------------------------------------------------------ attach crowds

# crowd WAVE: 200 attach clients at once (attach-probe --many), a line
# from one of them echoed to all served ones, then all leave.  Sets
# CROWD_RSS, the most VmRSS seen meanwhile.
crowd() {
	local many_in name=many$1
	rm -f "$T/many.in"
	mkfifo "$T/many.in"
	exec {many_in}<>"$T/many.in"
	(
		close_fds_except 0 1 2
		exec "$ATTACH_PROBE" --many 200 "$BUNDLE/attach"
	) <"$T/many.in" >"$T/$name.out" 2>"$T/$name.err" &
	PROBE_PID[$name]=$!
	rss_sample_until grep -q served "$T/$name.out"
	assert_eq "$(cat "$T/$name.out")" "served 32 refused 168" "connections"
	echo "ping$1" >&"$many_in"
	wait_until "$WAIT" grep -q received "$T/$name.out"
	assert_eq "$(sed -n 2p "$T/$name.out")" "received 32" "served clients that got the output"
	status_kb "$MONITOR_PID" VmRSS
	CROWD_RSS=$((STATUS_KB > RSS_MAX ? STATUS_KB : RSS_MAX))
	exec {many_in}>&-
	probe_wait "$name"
	assert_eq "$PROBE_STATUS" 0 "probe --many ($(cat "$T/$name.err"))"
}

@test "attach: 200 clients at once, three times: 32 served, 168 refused, conmon small and serving" {
	attach_tools_build
	bundle_sh cat
	conmon_create -i --leave-stdin-open
	container_start
	probe_warm_up
	local first
	crowd 1
	first=$CROWD_RSS
	assert_memory_flat "200 clients"
	# The 32 busy slots cost a page or two of tables and stack; later
	# crowds must cost nothing more.  The second may still touch a page
	# for the first time (the flood guard's repeat count is first printed
	# then); from the third on, any growth is a leak.
	local second
	crowd 2
	second=$CROWD_RSS
	crowd 3
	echo "# VmRSS at most $first, $second and $CROWD_RSS kB with the three crowds" >&3
	[ "$second" -le $((first + 4)) ] || {
		echo "VmRSS grew from $first to $second kB with the second crowd" >&2
		return 1
	}
	[ "$CROWD_RSS" -le "$second" ] || {
		echo "VmRSS grew from $second to $CROWD_RSS kB with the third crowd" >&2
		return 1
	}
	# Every slot is free again.
	probe_start after "$BUNDLE/attach"
	probe_input after 'after\n'
	wait_probe_has after after
	rt kill "$CID" KILL
	wait_exit
}

@test "attach: 2000 clients that connect and vanish while the container writes: nothing leaks, nothing is lost" {
	attach_tools_build
	mkdir "$T/data"
	bundle_sh "$(echo "i=0; while [ \$i -lt 300 ]; do awk -v b=\$i 'BEGIN { for (k = b * 100 + 1; k <= b * 100 + 100; k++) printf \"%07d\\n\", k }'; i=\$((i + 1)); sleep 0.01; done; until [ -e /data/end ]; do sleep 0.05; done")" \
		--bind "$T/data:/data"
	conmon_create
	local fds churn
	fds=$(ls "/proc/$MONITOR_PID/fd" | wc -l)
	container_start
	"$LIB_DIR/attach-churn" "$BUNDLE/attach" 2000 >"$T/churn.out" 2>"$T/churn.err" &
	churn=$!
	rss_sample_until pid_gone_fast "$churn"
	wait "$churn" || { cat "$T/churn.err" >&2; return 1; }
	echo "# attach-churn: $(cat "$T/churn.out")" >&3
	assert_memory_flat "2000 vanishing clients"
	# The slots and descriptors came back.
	wait_until "$WAIT" sh -c '[ "$(ls /proc/$1/fd | wc -l)" = "$2" ]' sh "$MONITOR_PID" "$fds" || {
		echo "conmon has $(ls "/proc/$MONITOR_PID/fd" | wc -l) fds, had $fds" >&2
		ls -l "/proc/$MONITOR_PID/fd" >&2
		return 1
	}
	probe_start after "$BUNDLE/attach"
	touch "$T/data/end"
	wait_exit 30
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_stream stdout | numbers_increasing)" 30000 "logged lines, all in order"
	probe_wait after
	assert_eq "$PROBE_STATUS" 0 "the client attached afterwards"
}

# ------------------------------------------------------------ security

# fake_oom DIR: a cgroup v2 directory for the CONMON_TEST_CGROUP_DIR hook
# (oom.c), whose memory.events then reports an OOM kill: conmon writes its
# oom files whatever the runtime.
fake_oom_dir() {
	mkdir -p "$1"
	printf 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n' >"$1/memory.events"
}
fake_oom_fire() {
	printf 'low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n' >"$1/memory.events"
}

@test "modes under a caller's umask 000: log 0640, attach 0700, ctl and winsz 0640, exit and oom files 0644" {
	umask 000
	fake_oom_dir "$T/cg"
	bundle_sh 'echo hi; until [ -e /data/end ]; do sleep 0.05; done' --bind "$T/cg:/data"
	CONMON_ENV=(CONMON_TEST_CGROUP_DIR="$T/cg")
	conmon_create --log-rotate
	container_start
	assert_mode "$CTR_LOG" 640
	assert_mode "$BUNDLE/attach" 700
	assert_mode "$BUNDLE/ctl" 640
	assert_mode "$BUNDLE/winsz" 640
	assert_mode "$CONMON_PIDFILE" 644
	# A reopen's fresh file, and the backup it makes.
	ctl_send $'2 0 0\n'
	wait_for_file "$CTR_LOG.1"
	assert_mode "$CTR_LOG" 640
	assert_mode "$CTR_LOG.1" 640
	fake_oom_fire "$T/cg"
	wait_for_file "$PERSIST_DIR/oom"
	touch "$T/cg/end"
	wait_exit
	wait_monitor_gone
	assert_mode "$PERSIST_DIR/oom" 644
	assert_mode "$BUNDLE/oom" 644
	assert_mode "$PERSIST_DIR/exit" 644
	assert_mode "$EXIT_DIR/$CID" 644
}

# plant LINK: a symlink at LINK to the victim file (which must survive);
# plant_dangling LINK NAME: one to NAME in the victim directory, which
# does not exist (and must not be created: O_CREAT would follow it).
plant() {
	ln -s "$T/victim" "$1"
}
plant_dangling() {
	ln -s "$T/victimdir/$2" "$1"
}

assert_victim_intact() {
	[ -f "$T/victim" ] && [ ! -L "$T/victim" ] || { echo "the victim is gone" >&2; return 1; }
	assert_eq "$(cat "$T/victim")" precious "the victim's content"
	assert_mode "$T/victim" 600
	assert_eq "$(ls -A "$T/victimdir")" "" "the victim directory"
}

@test "symlinks planted where conmon creates files are replaced, never followed (truncate mode)" {
	echo precious >"$T/victim"
	chmod 600 "$T/victim"
	mkdir "$T/victimdir"
	fake_oom_dir "$T/cg"
	bundle_sh 'echo hi; until [ -e /data/end ]; do sleep 0.05; done' --bind "$T/cg:/data"
	for f in "$BUNDLE/attach" "$BUNDLE/ctl" "$BUNDLE/winsz" "$PERSIST_DIR/exit" \
		"$PERSIST_DIR/oom"; do
		plant "$f"
	done
	plant_dangling "$BUNDLE/oom" oom
	plant_dangling "$CTR_LOG.tmp" tmp
	plant_dangling "$EXIT_DIR/$CID" exit
	ln -s "$T/victimdir" "$SOCKET_DIR/$CUUID"
	CONMON_ENV=(CONMON_TEST_CGROUP_DIR="$T/cg")
	conmon_create
	container_start
	[ -S "$BUNDLE/attach" ] && [ -p "$BUNDLE/ctl" ] && [ -p "$BUNDLE/winsz" ]
	assert_eq "$(readlink "$SOCKET_DIR/$CUUID")" "$BUNDLE" "the attach link"
	ctl_send $'2 0 0\n'
	wait_until "$WAIT" test ! -L "$CTR_LOG.tmp"
	fake_oom_fire "$T/cg"
	wait_for_file "$PERSIST_DIR/oom"
	touch "$T/cg/end"
	wait_exit
	wait_monitor_gone
	assert_victim_intact
	for f in "$BUNDLE/oom" "$PERSIST_DIR/exit" "$PERSIST_DIR/oom" "$EXIT_DIR/$CID"; do
		[ -f "$f" ] && [ ! -L "$f" ] || { echo "$f is not a regular file" >&2; return 1; }
	done
	assert_decimal_file "$EXIT_DIR/$CID" 0
}

@test "symlinks planted at the rotation's names are replaced, never followed (--log-rotate)" {
	echo precious >"$T/victim"
	chmod 600 "$T/victim"
	mkdir "$T/victimdir"
	bundle_sh 'echo one; sleep 0.5; echo two; sleep 0.5; echo three'
	plant "$CTR_LOG.new"
	plant "$CTR_LOG.1"
	plant "$CTR_LOG.2"
	conmon_create --log-rotate --log-max-files 2
	container_start
	wait_until "$WAIT" grep -q one "$CTR_LOG"
	ctl_send $'2 0 0\n'
	wait_until "$WAIT" grep -q two "$CTR_LOG"
	ctl_send $'2 0 0\n'
	wait_exit
	wait_monitor_gone
	assert_victim_intact
	assert_eq "$("$LIB_DIR/k8s-log" "$CTR_LOG.2")" one ".2"
	assert_eq "$("$LIB_DIR/k8s-log" "$CTR_LOG.1")" two ".1"
	assert_eq "$("$LIB_DIR/k8s-log" "$CTR_LOG")" three "the log"
	[ ! -e "$CTR_LOG.new" ]
}

@test "--log-allowlist-dir: '..' and a symlinked directory do not lead out at start" {
	mkdir -p "$T/allowed/sub" "$T/elsewhere"
	ln -s "$T/elsewhere" "$T/allowed/link"
	bundle_sh 'echo hi'
	local path
	for path in "$T/allowed/../elsewhere/ctr.log" "$T/allowed/sub/../../elsewhere/ctr.log" \
		"$T/allowed/link/ctr.log"; do
		conmon_default_args
		conmon_launch "${CONMON_ARGS[@]}" --log-allowlist-dir "$T/allowed" \
			--log-path "k8s-file:$path"
		assert_eq "$LAUNCHER_STATUS" 1 "launcher status for $path"
		assert_contains "$(cat "$T/launcher.err")" "Parent directory not in allowlist"
		[ ! -e "$CONMON_PIDFILE" ]
	done
	assert_eq "$(ls -A "$T/elsewhere")" "" "outside the allowlist"
}

# allowlist_swap_test ARGS...: a log inside the allowlist whose directory
# is swapped for a symlink to outside while the container runs; then a
# reopen request.  Nothing may appear outside.
allowlist_swap_test() {
	mkdir -p "$T/allowed/sub" "$T/elsewhere" "$T/gate"
	CTR_LOG=$T/allowed/sub/ctr.log
	# The container outlives the swap and the request, however slow this
	# host is today: it waits for the gate.
	bundle_sh 'echo before; until [ -e /gate/go ]; do sleep 0.02; done; echo after' \
		--bind "$T/gate:/gate"
	conmon_create --log-allowlist-dir "$T/allowed" "$@"
	container_start
	wait_until "$WAIT" grep -q before "$CTR_LOG"
	mv "$T/allowed/sub" "$T/moved"
	ln -s "$T/elsewhere" "$T/allowed/sub"
	ctl_send $'2 0 0\n'
	# Time for conmon to act on the request (proving an absence).
	sleep 0.5
	touch "$T/gate/go"
	wait_exit
	wait_monitor_gone
	assert_eq "$(ls -A "$T/elsewhere")" "" "outside the allowlist"
}

@test "--log-allowlist-dir: rotation never follows a directory swapped for a symlink" {
	allowlist_swap_test --log-rotate --log-size-max 60
}

@test "--log-allowlist-dir: a truncating reopen never follows a directory swapped for a symlink" {
	allowlist_swap_test
}

# EXIT_CMD_LIST_FDS: a perl program for --exit-command (as in exec.bats)
# that writes its own open fds to ARGV[0], leaving out the one it lists
# them with.
EXIT_CMD_LIST_FDS='opendir(my $d, "/proc/self/fd") or die;
my @fds = sort { $a <=> $b } grep { /^\d+$/ && readlink("/proc/self/fd/$_") ne "/proc/$$/fd" } readdir $d;
open(my $o, ">", "$ARGV[0].tmp") or die; print $o "@fds"; close $o; rename("$ARGV[0].tmp", $ARGV[0]) or die;'

@test "fds: with a terminal, attach clients and a ctl writer open, the runtime, the container and the exit command get only 0-2" {
	attach_tools_build
	# The runtime lists its fds, then is the real one (the same process):
	# any fd of conmon's without close-on-exec would show here.
	cat >"$T/listing-runtime" <<-EOF
		#!/usr/bin/perl
		opendir(my \$d, "/proc/self/fd") or die;
		my @fds = sort { \$a <=> \$b } grep { /^\\d+\$/ && readlink("/proc/self/fd/\$_") ne "/proc/\$\$/fd" } readdir \$d;
		closedir \$d;
		open(my \$o, ">", "$T/runtime-fds.tmp") or die; print \$o "@fds"; close \$o;
		rename("$T/runtime-fds.tmp", "$T/runtime-fds") or die;
		exec { "$RUNTIME_PATH" } "$RUNTIME_PATH", @ARGV or die;
	EOF
	chmod +x "$T/listing-runtime"
	RUNTIME_UNDER_TEST=$T/listing-runtime
	bundle_cmd -t -- sleep 600
	conmon_create -t --exit-command /usr/bin/perl --exit-command-arg -e \
		--exit-command-arg "$EXIT_CMD_LIST_FDS" --exit-command-arg "$T/exit-fds"
	probe_start one "$BUNDLE/attach"
	probe_start two "$BUNDLE/attach"
	local ctl
	exec {ctl}>"$BUNDLE/ctl"
	container_start
	wait_until "$WAIT" rt_status_is running
	assert_eq "$(cat "$T/runtime-fds")" "0 1 2" "fds of the runtime"
	assert_eq "$(fd_list "$CTR_PID")" "0 1 2" "fds of the container init"
	rt kill "$CID" KILL
	wait_exit
	wait_for_file "$T/exit-fds"
	assert_eq "$(cat "$T/exit-fds")" "0 1 2" "fds of the exit command"
	exec {ctl}>&-
	wait_monitor_gone
}

@test "no shell is ever spawned: conmon executes only the runtime and the exit command" {
	command -v strace >/dev/null || skip "strace is not installed"
	# strace follows conmon and its forks up to their execve (-b execve):
	# what the runtime and the container run next is theirs.
	cat >"$T/conmon-traced" <<-EOF
		#!/bin/sh
		exec strace -f -b execve -qq -s 4096 -e trace=execve -o "$T/trace" "$CONMON" "\$@"
	EOF
	chmod +x "$T/conmon-traced"
	bundle_sh 'echo hi; exit 3' -t
	local conmon=$CONMON
	CONMON=$T/conmon-traced
	conmon_default_args
	CONMON_BACKGROUND=1 conmon_launch "${CONMON_ARGS[@]}" -t \
		--exit-command /bin/true --exit-command-arg done
	STRACE_PID=$LAUNCHER_PID
	sync_read
	CTR_PID=$(jq -r .pid <<<"$SYNC_LINE")
	[ "$CTR_PID" -gt 0 ]
	container_start
	wait_exit
	assert_eq "$EXIT_CODE" 3
	wait_until "$WAIT" pid_gone "$STRACE_PID"
	wait "$STRACE_PID" || true
	STRACE_PID= LAUNCHER_PID=
	# One line per execve: the program it ran.
	sed -n 's/^[0-9]* *execve("\([^"]*\)".*/\1/p' "$T/trace" >"$T/programs"
	assert_eq "$(cat "$T/programs")" "$(printf '%s\n' "$conmon" "$RUNTIME_PATH" /bin/true)" "programs conmon executed" || {
		head -c 3000 "$T/trace" >&2
		return 1
	}
}
