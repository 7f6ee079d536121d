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
		tar -C "$ROOTFS" -c . | podman import - "$IMAGE" >"$PSTORE/import.out" 2>&1 || {
			cat "$PSTORE/import.out" >&2
			return 1
		}
		: >"$PSTORE/.ready"
	fi
	local path
	path=$(podman info --format '{{.Host.Conmon.Path}}') || return 1
	if [ "$path" != "$CONMON_REAL" ]; then
		echo "podman chose the conmon at '$path', not $CONMON_REAL" \
			"(does it pass Podman's version probe? '$CONMON --version':" \
			"$("$CONMON" --version 2>&1 | head -1))" >&2
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
