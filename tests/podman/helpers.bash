# tests/podman/helpers.bash - Debian's Podman, end to end, on $CONMON.
#
# One isolated Podman per bats run, shared by every tests/podman/*.bats
# file of that run: a store under $BATS_RUN_TMPDIR/podman with its own
# containers.conf (CONTAINERS_CONF) and storage.conf
# (CONTAINERS_STORAGE_CONF). Podman's exit command (`podman container
# cleanup`, run by conmon) inherits both variables through conmon's
# environment, so it finds the same store. The settings are those this
# host needs (no CAP_SYS_RESOURCE, hybrid cgroups): vfs, cgroupfs, the file events
# logger, runc, no network, nofile/nproc ulimits it may set without
# CAP_SYS_RESOURCE, and file locks in the store instead of the host-wide
# /dev/shm lock segment. conmon_path names $CONMON alone.
#
# The image is the busybox rootfs of tests/lib/make-rootfs, imported once
# per run with `podman import`.
#
# Podman 4.3 quietly falls back to a conmon found in $PATH when the one
# configured fails its version probe, so no test trusts the configuration:
# every test checks that the monitor process of its container (and of its
# exec sessions) runs the binary $CONMON, through /proc/PID/exe, while it
# runs. Short-lived containers wait on a "gate" (a file the test creates in
# a bind-mounted directory) so that there is time to look.
#
# Environment:
#   CONMON   binary under test (default: ./conmon of this repository)
#   PODMAN   podman binary (default: podman in $PATH)
#   PODMAN_NETWORK_BACKEND  cni or netavark (default: Podman's choice, which
#            is netavark when installed; a host without Podman's Recommends
#            has only CNI)
#   WAIT     seconds for anything that should happen at once (default 10)

PODMAN_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The integration suites' helpers: TESTS_DIR, LIB_DIR, ROOTFS, CONMON,
# WAIT, wait_until, pid_alive/pid_gone, assert_eq, assert_contains.
# shellcheck source=../helpers.bash
. "$PODMAN_TESTS_DIR/../helpers.bash"
CONMON_REAL=$(realpath "$CONMON" 2>/dev/null || echo "$CONMON")
PODMAN_BIN=${PODMAN:-$(command -v podman || echo /usr/bin/podman)}
IMAGE=localhost/conmon-test/busybox:latest

# The run's store. Everything Podman and conmon create lives below it,
# including conmon's console sockets (TMPDIR).
PSTORE=${BATS_RUN_TMPDIR:?tests/podman must run under bats}/podman
export CONTAINERS_CONF=$PSTORE/containers.conf
export CONTAINERS_STORAGE_CONF=$PSTORE/storage.conf
PODMAN_TMPDIR=$PSTORE/tmpdir

# ---------------------------------------------------------------- podman

# podman ARGS...: Podman on the test store, bounded in time. A podman that
# hangs is killed (-k: Podman forwards SIGTERM to the container and may
# wait on), failing the test instead of the suite.
podman() {
	TMPDIR=$PODMAN_TMPDIR timeout -k 5 "${PODMAN_TIMEOUT:-120}" "$PODMAN_BIN" "$@"
}

# podman_bg LABEL ARGS...: podman ARGS in the background, stdin from
# /dev/null unless PODMAN_STDIN names a file; stdout and stderr go to
# $T/LABEL.out and $T/LABEL.err. BG_PID is its pid; bg_wait collects it.
podman_bg() {
	local label=$1
	shift
	podman "$@" <"${PODMAN_STDIN:-/dev/null}" >"$T/$label.out" 2>"$T/$label.err" 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_wait [PID]: wait for a podman_bg (the last one by default); its exit
# status goes into BG_STATUS. One still running after BG_WAIT seconds
# (default 3 x WAIT) is stopped, so a hang fails the test quickly.
bg_wait() {
	local pid=${1:-$BG_PID} limit=${BG_WAIT:-$((WAIT * 3))}
	if ! wait_until "$limit" pid_gone "$pid"; then
		echo "podman (pid $pid) still runs after ${limit}s: stopping it" >&2
		# timeout(1) passes the TERM on, and KILLs 5 s later.
		kill -TERM "$pid" 2>/dev/null
	fi
	BG_STATUS=0
	wait "$pid" || BG_STATUS=$?
}

# ---------------------------------------------------------------- set-up

# podman_suite_setup: the store and the image, once per bats run; then
# prove that Podman picks $CONMON for this configuration. Call from
# setup_file().
podman_suite_setup() {
	if [ ! -x "$CONMON" ]; then
		echo "no conmon binary at $CONMON (run make, or set CONMON)" >&2
		return 1
	fi
	if ! command -v "$PODMAN_BIN" >/dev/null; then
		echo "no podman (apt-get install podman)" >&2
		return 1
	fi
	"$LIB_DIR/make-rootfs" "$ROOTFS"
	if [ ! -e "$PSTORE/.ready" ]; then
		mkdir -p "$PSTORE/root" "$PSTORE/runroot" "$PSTORE/tmp" "$PSTORE/net" "$PODMAN_TMPDIR"
		cat >"$CONTAINERS_CONF" <<-EOF
			# Written by tests/podman/helpers.bash for one bats run.
			[containers]
			default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
			log_driver = "k8s-file"
			netns = "none"

			[engine]
			cgroup_manager = "cgroupfs"
			conmon_path = ["$CONMON_REAL"]
			events_logger = "file"
			events_logfile_path = "$PSTORE/tmp/events.log"
			lock_type = "file"
			runtime = "runc"
			static_dir = "$PSTORE/root/libpod"
			tmp_dir = "$PSTORE/tmp"
			volume_path = "$PSTORE/root/volumes"

			[network]
			network_config_dir = "$PSTORE/net"
			${PODMAN_NETWORK_BACKEND:+network_backend = \"$PODMAN_NETWORK_BACKEND\"}
		EOF
		cat >"$CONTAINERS_STORAGE_CONF" <<-EOF
			[storage]
			driver = "vfs"
			graphroot = "$PSTORE/root"
			runroot = "$PSTORE/runroot"
		EOF
		podman_import_image || return 1
		: >"$PSTORE/.ready"
	fi
	assert_podman_picks_conmon
}

# podman_import_image: the busybox rootfs as $IMAGE in the store.
podman_import_image() {
	tar -C "$ROOTFS" -c . | podman import - "$IMAGE" >"$PSTORE/import.out" 2>&1 || {
		cat "$PSTORE/import.out" >&2
		return 1
	}
}

# assert_podman_picks_conmon: the conmon Podman chose, after its version
# probe, is $CONMON_REAL.
assert_podman_picks_conmon() {
	local path
	path=$(podman info --format '{{.Host.Conmon.Path}}') || return 1
	if [ "$path" != "$CONMON_REAL" ]; then
		echo "podman chose the conmon at '$path', not $CONMON_REAL" \
			"(does it pass Podman's version probe? '$CONMON_REAL --version':" \
			"$("$CONMON_REAL" --version 2>&1 | head -1))" >&2
		return 1
	fi
}

# podman_setup: per-test names and the gate directory. Call from setup().
podman_setup() {
	T=$BATS_TEST_TMPDIR
	# Container names: unique per test, short enough to read in ps.
	NAME=t$BATS_TEST_NUMBER
	GATE=$T/gate
	mkdir -p "$GATE" "$T/cwd"
	GATE_MOUNT=(-v "$GATE:/gate")
	BG_PIDS=() TMUX_SOCK=
	# Podman's working directory is inherited by conmon: keep it empty
	# and test-owned (conmon must not depend on it, see the OOM test).
	cd "$T/cwd" || return 1
}

# podman_teardown: nothing of this test survives it. Call from teardown().
podman_teardown() {
	local pid left
	[ -n "${BATS_TEST_COMPLETED:-}" ] || podman_dump_state >&2
	if [ -n "$TMUX_SOCK" ]; then
		tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	fi
	podman rm -a -f -t 0 >/dev/null 2>&1 || true
	for pid in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# Every monitor of this store must be gone once its container is.
	if ! wait_until "$WAIT" no_monitors; then
		left=$(monitor_pids)
		echo "conmon processes left after podman rm -a -f: $left" >&2
		kill -KILL $left 2>/dev/null || true
		return 1
	fi
}

podman_dump_state() {
	echo "--- podman ps -a:"
	podman ps -a --format '{{.ID}} {{.Names}} {{.Status}}' 2>&1 | head -40
	echo "--- monitors: $(monitor_pids | tr '\n' ' ')"
	local f
	for f in "$T"/*.out "$T"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $f ($(wc -c <"$f") bytes):"
		head -c 400 "$f" | cat -v
		echo
	done
}

# ---------------------------------------------------------------- gates

# gate_sh NAME: shell text that waits (in the container) for gate NAME.
gate_sh() {
	echo "until [ -e /gate/$1 ]; do sleep 0.02; done"
}

gate_open() {
	: >"$GATE/$1"
}

# ---------------------------------------------------------------- waiting

# ctr_state NAME: Podman's status word for container NAME.
ctr_state() {
	podman inspect --format '{{.State.Status}}' "$1" 2>/dev/null
}

ctr_state_is() {
	[ "$(ctr_state "$1")" = "$2" ]
}

# wait_state NAME STATUS [TIMEOUT]
wait_state() {
	wait_until "${3:-$WAIT}" ctr_state_is "$1" "$2" || {
		echo "container $1 is '$(ctr_state "$1")', not '$2' after ${3:-$WAIT}s" >&2
		return 1
	}
}

# inspect NAME FORMAT: podman inspect --format FORMAT NAME.
inspect() {
	podman inspect --format "$2" "$1"
}

# wait_file_has FILE TEXT [TIMEOUT]: FILE contains TEXT.
wait_file_has() {
	wait_until "${3:-$WAIT}" grep -qF -- "$2" "$1" 2>/dev/null || {
		echo "$1 does not contain '$2' after ${3:-$WAIT}s:" >&2
		head -c 1000 "$1" >&2 2>/dev/null
		return 1
	}
}

# ---------------------------------------------------------------- processes

# monitor_pids [ARG...]: the conmon monitors of this store whose argv
# holds each ARG as an element, one pid a line. A monitor has `--exit-dir
# <somewhere in the store>` in its argv and leads a session of its own
# (setsid): that leaves out the launcher, which exits at once, and the
# monitor's runtime child between its fork and its exec of runc. One perl
# for the whole /proc scan: tests poll it.
monitor_pids() {
	perl -e '
		my ($store, @want) = @ARGV;
		PROC: for my $dir (glob "/proc/[0-9]*") {
			my $pid = substr($dir, 6);
			open(my $fh, "<", "$dir/cmdline") or next;
			my @argv = split /\0/, do { local $/; <$fh> // "" };
			my %has = map { $_ => 1 } @argv;
			my $mine = 0;
			for my $i (0 .. $#argv - 1) {
				$mine = 1 if $argv[$i] eq "--exit-dir" &&
					index($argv[$i + 1], "$store/") == 0;
			}
			next unless $mine;
			$has{$_} or next PROC for @want;
			open(my $st, "<", "$dir/stat") or next;
			# After "(comm) ": state, ppid, pgrp, session.
			my @stat = split / /, (do { local $/; <$st> // "" } =~ s/^.*\) //sr);
			print "$pid\n" if ($stat[3] // -1) == $pid;
		}' "$PSTORE" "$@"
}

no_monitors() {
	[ -z "$(monitor_pids "$@")" ]
}

some_monitors() {
	[ -n "$(monitor_pids "$@")" ]
}

# assert_conmon_pid PID: PID is alive and runs the binary $CONMON.
assert_conmon_pid() {
	local exe
	pid_alive "$1" || {
		echo "conmon pid '$1' is not running" >&2
		return 1
	}
	exe=$(readlink "/proc/$1/exe") || {
		echo "cannot read /proc/$1/exe" >&2
		return 1
	}
	# A binary rebuilt while it runs shows as "(deleted)": same path.
	exe=${exe% (deleted)}
	[ "$exe" = "$CONMON_REAL" ] || {
		echo "the monitor $1 runs $exe, not $CONMON_REAL:" >&2
		tr '\0' ' ' <"/proc/$1/cmdline" >&2
		echo >&2
		return 1
	}
}

# assert_ours NAME: the running container NAME is monitored by $CONMON.
# Sets CONMON_PID (from inspect's ConmonPid, as Podman recorded it) and ID.
assert_ours() {
	CONMON_PID=$(inspect "$1" '{{.State.ConmonPid}}') || return 1
	ID=$(inspect "$1" '{{.Id}}') || return 1
	[ "${CONMON_PID:-0}" -gt 0 ] || {
		echo "container $1 has no ConmonPid ($(ctr_state "$1"))" >&2
		return 1
	}
	assert_conmon_pid "$CONMON_PID" || return 1
	# And it is the monitor of this container, found as any monitor is.
	case " $(monitor_pids -c "$ID" | tr '\n' ' ') " in
	*" $CONMON_PID "*) ;;
	*)
		echo "ConmonPid $CONMON_PID of $1 is no monitor with -c $ID" >&2
		return 1
		;;
	esac
}

# assert_monitor_args ARG...: the monitor of container $ID ($CONMON_PID,
# from assert_ours) got each ARG as an element of its argv.
assert_monitor_args() {
	case " $(monitor_pids -c "$ID" "$@" | tr '\n' ' ') " in
	*" $CONMON_PID "*) return 0 ;;
	esac
	echo "conmon did not get $*:" >&2
	tr '\0' ' ' <"/proc/$CONMON_PID/cmdline" >&2
	echo >&2
	return 1
}

# assert_exec_ours ID: wait for the monitor of an exec session in
# container ID (argv: -c ID ... -e) and check that it runs $CONMON. Sets
# EXEC_CONMON_PID.
assert_exec_ours() {
	local pids p
	wait_until "$WAIT" some_monitors -c "$1" -e || {
		echo "no exec monitor for $1 appeared" >&2
		return 1
	}
	pids=$(monitor_pids -c "$1" -e)
	for p in $pids; do
		assert_conmon_pid "$p" || return 1
	done
	EXEC_CONMON_PID=$p
}

# ---------------------------------------------------------------- checks

# assert_same_file GOT WANT [WHAT]: byte for byte, with a hint on failure.
assert_same_file() {
	cmp "$1" "$2" >&2 || {
		echo "${3:-output} differs: $(wc -c <"$1") bytes, expected $(wc -c <"$2")" >&2
		return 1
	}
}

# conmon_is_upstream_2_1: $CONMON reports an upstream 2.0/2.1 version
# (Debian 12 ships 2.1.6), whose known differences some tests allow for.
conmon_is_upstream_2_1() {
	"$CONMON" --version 2>/dev/null | head -1 | grep -Eq '^conmon version 2\.[01]\.'
}

# ---------------------------------------------------------------- containers
#
# Shared by tests/podman and tests/podman-rootless, which run the same
# cases on a root and a rootless Podman.

# run_rm_gated NAME SCRIPT [RUN OPTIONS...]: `podman run --rm` in the
# background; the container waits for gate NAME, then runs SCRIPT. The
# monitor is checked while the container waits; then the gate opens and
# BG_STATUS is podman's exit status.
run_rm_gated() {
	local name=$1 script=$2
	shift 2
	podman_bg "$name" run --rm --name "$name" "${GATE_MOUNT[@]}" "$@" \
		"$IMAGE" sh -c "$(gate_sh "$name"); $script"
	wait_state "$name" running || return 1
	assert_ours "$name" || return 1
	gate_open "$name"
	bg_wait
	wait_until "$WAIT" pid_gone "$CONMON_PID" || {
		echo "conmon $CONMON_PID of $name still runs" >&2
		return 1
	}
}

# run_d NAME [RUN OPTIONS...] -- SCRIPT: `podman run -d` of `sh -c SCRIPT`,
# waits until it runs and checks its monitor (CONMON_PID, ID).
run_d() {
	local name=$1 opts=()
	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	podman run -d --name "$name" ${opts[@]+"${opts[@]}"} "$IMAGE" sh -c "$2" >/dev/null || return 1
	wait_state "$name" running || return 1
	assert_ours "$name"
}

# exec_gated LABEL GATE [EXEC OPTIONS...] -- SCRIPT: podman exec in the
# background of `sh -c SCRIPT` in container $NAME after gate GATE opens.
# The session's monitor is checked while the process waits; then the gate
# opens, and BG_STATUS is podman's status.
exec_gated() {
	local label=$1 gate=$2 opts=()
	shift 2
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	podman_bg "$label" exec ${opts[@]+"${opts[@]}"} "$NAME" sh -c "$(gate_sh "$gate"); $2"
	assert_exec_ours "$ID" || return 1
	gate_open "$gate"
	bg_wait
	wait_until "$WAIT" pid_gone "$EXEC_CONMON_PID" || {
		echo "exec monitor $EXEC_CONMON_PID still runs" >&2
		return 1
	}
}

# A loop that answers SIGTERM at once with exit code $1 (an init of a pid
# namespace ignores signals it has no handler for).
term_loop() {
	echo "trap 'echo got-term; exit $1' TERM; echo ready; while :; do sleep 0.1; done"
}

# elapsed_ms COMMAND...: run COMMAND; ELAPSED_MS is how long it took.
elapsed_ms() {
	local t0 status=0
	t0=$(date +%s%N)
	"$@" || status=$?
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
	return $status
}

# ---------------------------------------------------------------- logs

# many_lines_sh: container text printing "line 00001" .. "line 05000".
many_lines_sh() {
	echo "awk 'BEGIN { for (i = 1; i <= 5000; i++) printf \"line %05d\\n\", i }'"
}

# long_line_sh: container text printing 102400 "x" and a newline.
long_line_sh() {
	echo "awk 'BEGIN { s = sprintf(\"%102400s\", \"\"); gsub(/ /, \"x\", s); print s }'"
}

# busybox_sh SCRIPT: SCRIPT run by the rootfs's busybox on the host, to
# compute what the container prints (the host's awk may differ).
busybox_sh() {
	"$ROOTFS/bin/busybox" sh -c "$1"
}

# logs_end_with NAME LINE: the last line of podman logs NAME's stdout is
# LINE (with or without a newline after it).
logs_end_with() {
	[ "$(podman logs "$1" 2>/dev/null | tail -n 1)" = "$2" ]
}

# logs_have NAME LINE: a line of podman logs NAME (either stream) is LINE.
logs_have() {
	podman logs "$1" 2>&1 | grep -qx -- "$2"
}

# logs_count_is NAME TEXT N: N lines of podman logs NAME are exactly TEXT.
logs_count_is() {
	[ "$(podman logs "$1" 2>&1 | grep -cx -- "$2")" = "$3" ]
}

# ---------------------------------------------------------------- slow reader

# slow_reader_start PODMAN-ARGS...: in the background, the pipeline
#   podman PODMAN-ARGS... sh -c 'seq 1 6000000' | (sleep 3; sha256sum)
# where the container's seq waits for gate "slow" and the reader's 3 s
# start when the gate opens: 47 MB of output meet a reader that takes
# nothing for 3 s, then everything. Podman's attach stops reading
# conmon's socket while its stdout pipe is full, and a rootless conmon
# cannot even force its send buffer past net.core.wmem_max: only flow
# control in conmon (docs/attach.md §6) keeps every byte. The caller
# proves the monitor ours while the gate is shut, then calls
# slow_reader_check.
slow_reader_start() {
	# 3>&-: bats waits for whatever holds its fd 3.
	(
		podman "$@" sh -c "$(gate_sh slow); seq 1 6000000" 2>"$T/slow.err" |
			(until [ -e "$GATE/slow" ]; do sleep 0.02; done; sleep 3; sha256sum) >"$T/slow.sum"
		echo "${PIPESTATUS[0]}" >"$T/slow.status"
	) 3>&- &
	BG_PIDS+=("$!")
}

# slow_reader_check: open the gate; Podman exits 0 and the reader's
# checksum is that of the host's own seq 1 6000000.
slow_reader_check() {
	local want
	want=$(seq 1 6000000 | sha256sum)
	gate_open slow
	wait_until 60 test -s "$T/slow.status" || {
		echo "the pipeline did not end within 60 s" >&2
		return 1
	}
	[ -z "$(cat "$T/slow.err")" ] || echo "podman's stderr: $(head -c 1000 "$T/slow.err")" >&2
	assert_eq "$(cat "$T/slow.status")" 0 "podman's exit status"
	assert_eq "$(cat "$T/slow.sum")" "$want" "sha256 of what the slow reader got"
}

# ---------------------------------------------------------------- cases
#
# The checks of a test that tests/podman and tests/podman-rootless both
# run, word for word.

# check_run_rm_exit_codes: `podman run --rm` of containers exiting 0 and 7:
# Podman's status and the output are theirs; both are removed.
check_run_rm_exit_codes() {
	local code
	for code in 0 7; do
		run_rm_gated "$NAME-$code" "echo bye-$code; exit $code"
		assert_eq "$BG_STATUS" "$code" "podman run status"
		assert_eq "$(cat "$T/$NAME-$code.out")" "bye-$code" "output"
		run podman container exists "$NAME-$code"
		assert_eq "$status" 1 "container $NAME-$code still exists"
	done
}

# check_logs_apart: `podman run -d` of a container printing both streams,
# 5000 lines, a 100 KB line and a last line without newline; podman logs
# gives back each stream exactly, while it runs and after its exit.
check_logs_apart() {
	podman run -d --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" sh -c "
		echo first; echo err-1 >&2
		$(many_lines_sh)
		echo err-2 >&2
		$(long_line_sh)
		printf last-without-newline
		$(gate_sh end); exit 0"
	wait_state "$NAME" running
	assert_ours "$NAME"

	busybox_sh "echo first; $(many_lines_sh); $(long_line_sh); printf last-without-newline" \
		>"$T/stdout.want"
	printf 'err-1\nerr-2\n' >"$T/stderr.want"

	# Everything is logged before the gate: read it while it runs...
	wait_until "$WAIT" logs_end_with "$NAME" last-without-newline
	podman logs "$NAME" >"$T/logs.out" 2>"$T/logs.err"
	assert_same_file "$T/logs.out" "$T/stdout.want" "stdout while running"
	assert_same_file "$T/logs.err" "$T/stderr.want" "stderr while running"

	# ...and after the exit, when conmon drained and closed the log.
	gate_open end
	run podman wait "$NAME"
	assert_eq "$output" 0 "podman wait"
	podman logs "$NAME" >"$T/logs.out" 2>"$T/logs.err"
	assert_same_file "$T/logs.out" "$T/stdout.want" "stdout after exit"
	assert_same_file "$T/logs.err" "$T/stderr.want" "stderr after exit"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# check_stop_kill_after_timeout: podman stop -t 2 of a container that
# ignores SIGTERM takes 2 s, then SIGKILL: exit code 137.
check_stop_kill_after_timeout() {
	run_d "$NAME" -- "exec sleep 1000"
	elapsed_ms podman stop -t 2 "$NAME"
	[ "$ELAPSED_MS" -ge 2000 ] || {
		echo "stop took ${ELAPSED_MS} ms, less than its 2 s timeout" >&2
		return 1
	}
	[ "$ELAPSED_MS" -lt $((2000 + WAIT * 1000)) ]
	assert_eq "$(inspect "$NAME" '{{.State.Status}} {{.State.ExitCode}}')" "exited 137" "state after stop"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# check_stop_term_handler: podman stop -t 30 of a container whose SIGTERM
# handler exits 3 returns at once, with ExitCode 3.
check_stop_term_handler() {
	run_d "$NAME" -- "$(term_loop 3)"
	wait_until "$WAIT" logs_count_is "$NAME" ready 1
	elapsed_ms podman stop -t 30 "$NAME"
	[ "$ELAPSED_MS" -lt $((WAIT * 1000)) ] || {
		echo "stop took ${ELAPSED_MS} ms for a container that exits on SIGTERM" >&2
		return 1
	}
	assert_eq "$(inspect "$NAME" '{{.State.Status}} {{.State.ExitCode}}')" "exited 3" "state after stop"
	assert_contains "$(podman logs "$NAME")" got-term "log"
	wait_until "$WAIT" pid_gone "$CONMON_PID"
}

# check_restart: podman restart gives a new monitor running $CONMON and a
# new container process; the log keeps both runs.
check_restart() {
	local old_conmon old_pid
	run_d "$NAME" -- "$(term_loop 0)"
	old_conmon=$CONMON_PID
	old_pid=$(inspect "$NAME" '{{.State.Pid}}')
	wait_until "$WAIT" logs_count_is "$NAME" ready 1
	podman restart -t 10 "$NAME"
	wait_state "$NAME" running
	assert_ours "$NAME"
	[ "$CONMON_PID" != "$old_conmon" ] || {
		echo "restart kept the monitor $old_conmon" >&2
		return 1
	}
	[ "$(inspect "$NAME" '{{.State.Pid}}')" != "$old_pid" ]
	wait_until "$WAIT" pid_gone "$old_conmon"
	# The first run's output, its TERM, and the second run's start.
	wait_until "$WAIT" logs_count_is "$NAME" ready 2
	assert_eq "$(podman logs "$NAME" | tr '\n' ' ')" "ready got-term ready " "log of both runs"
}

# check_exec_streams: podman exec in container $NAME (running, monitor
# $CONMON_PID): the exit code and both streams reach Podman, and the
# container and its monitor are untouched.
check_exec_streams() {
	exec_gated ex ex -- "echo out-1; echo err-1 >&2; echo out-2; exit 4"
	assert_eq "$BG_STATUS" 4 "podman exec status"
	assert_eq "$(cat "$T/ex.out")" "$(printf 'out-1\nout-2')" "stdout"
	assert_eq "$(cat "$T/ex.err")" err-1 "stderr"
	# The container and its own monitor are untouched.
	assert_eq "$(ctr_state "$NAME")" running "container state"
	assert_conmon_pid "$CONMON_PID"
	exec_gated ex0 ex0 -- "exit 0"
	assert_eq "$BG_STATUS" 0 "podman exec status"
}

# ---------------------------------------------------------------- terminal

# podman_sh: the shell words that start this store's Podman, as podman()
# does, from a script outside the test's shell (a tmux pane). timeout
# --foreground: Podman must stay in the terminal's foreground process
# group to set raw mode.
podman_sh() {
	printf 'env CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q TMPDIR=%q timeout --foreground -k 5 %q %q' \
		"$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF" "$PODMAN_TMPDIR" \
		"${PODMAN_TIMEOUT:-120}" "$PODMAN_BIN"
}

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

# check_run_it_in_tmux: `podman run -it ... sh` in a tmux pane of 80x24:
# typing and reading, the initial size, a resize to 100x30, and `exit 5`
# as Podman's status and the container's ExitCode; the session is in the
# log. (Busybox's `stty size` fails on a terminal that was never sized:
# that it answers proves Podman's initial resize reached the pty.)
check_run_it_in_tmux() {
	command -v tmux >/dev/null || {
		echo "no tmux (apt-get install tmux; tests/run-all installs it)" >&2
		return 1
	}
	TMUX_SOCK=$T/tmux.sock
	# The pane runs Podman, then records its status; the session ends
	# with it.
	cat >"$T/it.sh" <<-EOF
		$(podman_sh) run -it --name '$NAME' '$IMAGE' sh
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
