# bench/lib.sh - shared by the benchmark scripts (sourced, bash).
# shellcheck shell=bash disable=SC2034
#
# Every script measures our ./conmon ("ours", $CONMON) and Debian's conmon
# ("ref", $REF) in the same run, alternating A B A B, and appends one row
# per figure to $RESULTS:
#
#   figure <TAB> unit <TAB> ours samples <TAB> ref samples <TAB> budget
#
# samples are space separated; bench/run turns them into medians, min-max,
# ratios (ours/ref) and pass/fail. A budget is one of
#   -           none (reported only)
#   ours<=X     ours' median at most X      ours<X, ours==X likewise
#   ratio<=X    ours/ref (medians) at most X   ratio>=X likewise
#
# Environment: CONMON (default ./conmon), REF (default /usr/bin/conmon),
# QUICK=1 (fewer repetitions, smaller volumes), BENCH_TMP (a work directory
# shared by bench/run; each script makes its own otherwise), RESULTS.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
CONMON=${CONMON:-$REPO_DIR/conmon}
REF=${REF:-/usr/bin/conmon}
QUICK=${QUICK:-0}
RUNC=$(command -v runc || echo /usr/sbin/runc)
ROOTFS=$REPO_DIR/tests/.cache/rootfs
case $CONMON in /*) ;; *) CONMON=$PWD/$CONMON ;; esac

# quick A B: A with QUICK=1, else B.
quick() {
	if [ "$QUICK" = 1 ]; then echo "$1"; else echo "$2"; fi
}

# ---------------------------------------------------------------- set-up

# bench_setup: work directory, tmpfs, tools, cleanup trap.
bench_setup() {
	for bin in "$CONMON" "$REF"; do
		[ -x "$bin" ] || { echo "bench: no conmon at $bin" >&2; exit 1; }
	done
	if [ -z "${BENCH_TMP:-}" ]; then
		BENCH_TMP=$(mktemp -d /tmp/conmon-bench.XXXXXX)
		BENCH_OWN_TMP=1
	fi
	export BENCH_TMP
	RESULTS=${RESULTS:-$BENCH_TMP/results.tsv}
	# The log files live on a tmpfs of their own: conmon's cost is
	# measured, not the disk's, and nothing is left behind.
	FS=$BENCH_TMP/fs
	if ! mountpoint -q "$FS" 2>/dev/null; then
		mkdir -p "$FS"
		mount -t tmpfs -o size=3g,mode=0755 conmon-bench "$FS"
	fi
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	trap 'exit 141' PIPE
	build_tools
}

# build_tools: the static helpers, into the work directory.
build_tools() {
	BIN=$BENCH_TMP/bin
	FAKE=$BIN/fake-runtime DRIVE=$BIN/drive
	[ -x "$DRIVE" ] && [ -x "$FAKE" ] && [ -x "$BIN/memcg" ] && [ -x "$BIN/kobj" ] && return 0
	mkdir -p "$BIN"
	local cc=cc static=
	if command -v musl-gcc >/dev/null; then
		cc=musl-gcc static='-static -no-pie'
	fi
	local t
	for t in fake-runtime drive memcg kobj; do
		$cc -std=gnu11 -Os -Wall -Wextra -Werror $static -s \
			-o "$BIN/$t" "$BENCH_DIR/$t.c" || exit 1
	done
}

# bench_cleanup: leave nothing running or mounted, even after Ctrl-C.
bench_cleanup() {
	trap - EXIT INT TERM HUP PIPE
	[ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] || return 0
	if [ "${BENCH_OWN_TMP:-0}" = 1 ] || [ "${BENCH_FINAL:-0}" = 1 ]; then
		kill_everything
		mountpoint -q "$BENCH_TMP/fs" && umount "$BENCH_TMP/fs"
		rm -rf "$BENCH_TMP"
	else
		kill_everything
	fi
}

# kill_everything: every container of every runtime root under the work
# directory, then every process started from it. Our processes all carry
# the work directory in their argv (conmon's options, the fake runtime's
# --pid-file, which its "container" inherits), so they are found by pid
# from /proc/PID/cmdline and killed one by one.
kill_everything() {
	local root id pids p
	for root in "$BENCH_TMP"/state*; do
		[ -d "$root" ] || continue
		for id in $("$RUNC" --root "$root" list -q 2>/dev/null); do
			"$RUNC" --root "$root" kill "$id" KILL >/dev/null 2>&1
		done
	done
	for _ in 1 2 3; do
		pids=
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
			if grep -qszF -- "$BENCH_TMP/" "/proc/$p/cmdline"; then
				pids+=" $p"
			fi
		done
		[ -n "$pids" ] || break
		kill -KILL $pids 2>/dev/null
		sleep 0.2
	done
	for root in "$BENCH_TMP"/state*; do
		[ -d "$root" ] || continue
		for id in $("$RUNC" --root "$root" list -q 2>/dev/null); do
			"$RUNC" --root "$root" delete --force "$id" >/dev/null 2>&1
		done
		rm -rf "$root"
	done
}

# ---------------------------------------------------------------- conmon

# which LABEL: the binary for "ours" or "ref".
which_conmon() {
	case $1 in ours) echo "$CONMON" ;; ref) echo "$REF" ;; esac
}

# ensure_rootfs and make_bundle DIR CMD...: a runc bundle on the shared
# busybox rootfs of the tests.
ensure_rootfs() {
	"$REPO_DIR/tests/lib/make-rootfs" "$ROOTFS" || exit 1
}
make_bundle() {
	local dir=$1
	shift
	"$REPO_DIR/tests/lib/make-bundle" --rootfs "$ROOTFS" "$dir" -- "$@" || exit 1
}

# conmon_args DIR ID RUNTIME LOG [EXTRA...]: Podman's create arguments
# (docs/clients.md §2.2) for a container whose files live in DIR: bundle
# DIR/b, exit dir DIR/exits, persist dir DIR/persist, attach socket
# DIR/b/attach (--full-attach). --syslog is left out: this host has no
# /dev/log, and an idle conmon does not log.
conmon_args() {
	local dir=$1 id=$2 runtime=$3 log=$4
	shift 4
	mkdir -p "$dir/b" "$dir/exits" "$dir/persist"
	ARGS=(--api-version 1 -c "$id" -u "$id" -r "$runtime"
		-b "$dir/b" -p "$dir/ctr.pid" -n "name-$id"
		--exit-dir "$dir/exits" --persist-dir "$dir/persist" --full-attach
		-l "$log" --log-level warning
		--conmon-pidfile "$dir/conmon.pid" "$@")
}

# drive_run OUT DRIVE-OPTIONS... -- CONMON ARGS...: run drive, keep its
# key=value output in OUT; fail (with the output) if it reports an error.
drive_run() {
	local out=$1
	shift
	"$DRIVE" "$@" >"$out" 2>&1
	local rc=$?
	if [ $rc != 0 ] || grep -q '^error=' "$out"; then
		echo "bench: drive failed (rc $rc):" >&2
		cat "$out" >&2
		return 1
	fi
}

# kv FILE KEY: a value from drive's output.
kv() {
	sed -n "s/^$2=//p" "$1" | head -n 1
}

# ---------------------------------------------------------------- results

# row FIGURE UNIT "OURS SAMPLES" "REF SAMPLES" BUDGET
row() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
}

# calc EXPR: floating point arithmetic (awk), rounded to 3 decimals.
calc() {
	awk "BEGIN { v = $1; printf \"%.3f\n\", v }"
}

# median SAMPLES...: the median of the arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# say TEXT: progress on stderr.
say() {
	echo "bench: $*" >&2
}
