# lib/attach.bash - for the suites that talk to a running container:
# attach.bats and ctl.bats.  Load after helpers.bash.
#
# Attach clients are tests/lib/attach-probe (attach-probe.c, built once
# into tests/.cache/bin), started in the background under a NAME:
#   probe_start NAME [PROBE OPTIONS...] SOCKET
# The probe's stdin is the FIFO $T/NAME.in, held open by the test
# (probe_input NAME TEXT writes to it, probe_end_input NAME closes it: the
# probe then half-closes its connection).  Its payloads land in $T/NAME.2
# (stdout packets) and $T/NAME.3 (stderr packets), one "<type> <length>"
# line per packet in $T/NAME.packets, its own messages in $T/NAME.err.

PROBE_BIN_DIR=$TESTS_DIR/.cache/bin
ATTACH_PROBE=$PROBE_BIN_DIR/attach-probe
INOTIFY_WAIT=$PROBE_BIN_DIR/inotify-wait
declare -gA PROBE_PID=() PROBE_IN=()

# What busybox's `stty size` prints on a terminal that was never sized
# (0 rows): this error line, and it exits 0.  Other sizes it prints as
# "ROWS COLS", showing a dimension of 0 or 1, or of 30000 and more, as its
# default (24 rows, 80 columns).
STTY_UNSIZED='stty: standard input'

# attach_tools_build: compile the C helpers when missing or older than
# their source (-Wall -Wextra -Werror, as the project's own code).
attach_tools_build() {
	local name src bin
	mkdir -p "$PROBE_BIN_DIR"
	for name in attach-probe inotify-wait; do
		src=$LIB_DIR/$name.c bin=$PROBE_BIN_DIR/$name
		[ -x "$bin" ] && [ "$bin" -nt "$src" ] && continue
		cc -std=gnu11 -O1 -Wall -Wextra -Werror -o "$bin.tmp.$$" "$src" || return 1
		mv "$bin.tmp.$$" "$bin"
	done
}

# probe_start NAME [OPTIONS...] SOCKET: connect a probe; return once it is
# connected (fails if it could not connect).
probe_start() {
	local name=$1 fd
	shift
	rm -f "$T/$name".*
	mkfifo "$T/$name.in"
	# Read-write: opening never blocks, and the probe sees the end of
	# its input only when the test closes this fd.
	exec {fd}<>"$T/$name.in"
	PROBE_IN[$name]=$fd
	(
		close_fds_except 0 1 2
		exec "$ATTACH_PROBE" --out "$T/$name" --ready "$T/$name.ready" "$@"
	) <"$T/$name.in" >"$T/$name.stdout" 2>"$T/$name.err" &
	PROBE_PID[$name]=$!
	wait_until "$WAIT" probe_connected "$name" || {
		echo "probe $name did not connect to ${*: -1}:" >&2
		cat "$T/$name.err" >&2
		return 1
	}
	[ -e "$T/$name.ready" ] || {
		echo "probe $name failed:" >&2
		cat "$T/$name.err" >&2
		return 1
	}
}

probe_connected() {
	[ -e "$T/$1.ready" ] || pid_gone "${PROBE_PID[$1]}"
}

# probe_input NAME TEXT: TEXT (printf %b escapes) to the probe's stdin.
probe_input() {
	printf '%b' "$2" >&"${PROBE_IN[$1]}"
}

# probe_end_input NAME: the probe's input ends; it half-closes.
probe_end_input() {
	local fd=${PROBE_IN[$1]:-}
	[ -n "$fd" ] && exec {fd}>&-
	PROBE_IN[$1]=
}

# probe_wait NAME [TIMEOUT]: wait for the probe to end (conmon closed the
# connection); PROBE_STATUS := its exit status.
probe_wait() {
	local pid=${PROBE_PID[$1]}
	wait_until "${2:-$WAIT}" pid_gone "$pid" || {
		echo "probe $1 still running" >&2
		return 1
	}
	PROBE_STATUS=0
	wait "$pid" || PROBE_STATUS=$?
	PROBE_PID[$1]=
	probe_end_input "$1"
}

# probe_alive NAME
probe_alive() {
	[ -n "${PROBE_PID[$1]:-}" ] && pid_alive "${PROBE_PID[$1]}"
}

# probe_out NAME [STREAM]: what the probe received on STREAM (2 or 3).
probe_out() {
	file_text "$T/$1.${2:-2}" 2>/dev/null || true
}

# probe_has NAME TEXT [STREAM]: for wait_until.
probe_has() {
	grep -qF -- "$2" "$T/$1.${3:-2}" 2>/dev/null
}

# wait_probe_has NAME TEXT [STREAM]
wait_probe_has() {
	wait_until "$WAIT" probe_has "$@" || {
		echo "probe $1 did not receive '$2' on stream ${3:-2}; it has:" >&2
		probe_out "$1" "${3:-2}" | od -c | head -20 >&2
		cat "$T/$1.err" >&2
		return 1
	}
}

# probe_warm_up: one client sends a line and leaves, so that the paths of
# attach input and output have run once before memory is measured: what
# is measured next is what the clients cost, not a first touch.
probe_warm_up() {
	probe_start warm "$BUNDLE/attach"
	probe_input warm 'warm\n'
	wait_probe_has warm warm
	probe_end_input warm
	kill "${PROBE_PID[warm]}"
	probe_wait warm
}

# probes_teardown: kill what a failed test left running.  Call from
# teardown() before common_teardown.
probes_teardown() {
	local name
	for name in "${!PROBE_PID[@]}"; do
		[ -n "${PROBE_PID[$name]}" ] && kill -KILL "${PROBE_PID[$name]}" 2>/dev/null
		probe_end_input "$name"
	done
	PROBE_PID=() PROBE_IN=()
	return 0
}

# vmrss_kb PID: resident set size in kB.
vmrss_kb() {
	vm_kb "$1" VmRSS
}

# ctl_send TEXT: TEXT (as is) to the ctl FIFO in one open; bounded, since
# opening a FIFO nobody reads would block forever.
ctl_send() {
	timeout 5 sh -c 'printf "%s" "$1" >"$2"' sh "$1" "$BUNDLE/ctl"
}

# log_inode PATH: its inode number, "none" while it does not exist.
log_inode() {
	stat -c %i "$1" 2>/dev/null || echo none
}

# ---------------------------------------------------------------- terminal
#
# A terminal container answering size queries: after "ready" it reads
# lines N and prints "<N SIZE>", SIZE being what `stty size` printed.  The
# queries come through the attach client "term" (a terminal passes client
# input even without --stdin), echo is off so only answers come back.

TERM_SIZE_SCRIPT='stty -echo; echo ready; while read -r n; do echo "<$n $(stty size 2>&1)>"; done'
TERM_QUERY=0

# term_start [CONMON ARGS...]: create the container with -t, attach
# "term", start it and wait for "ready".
term_start() {
	bundle_sh "$TERM_SIZE_SCRIPT" -t
	conmon_create -t "$@" || return 1
	probe_start term "$BUNDLE/attach" || return 1
	container_start || return 1
	wait_probe_has term ready
}

# term_size: one query; TERM_SIZE := the answer.
term_size() {
	local n=$((++TERM_QUERY)) text
	probe_input term "$n\n"
	wait_probe_has term "<$n " || return 1
	text=$(probe_out term)
	text=${text##*<$n }
	TERM_SIZE=${text%%>*}
}

# term_size_becomes WANT: query until the answer is WANT (a resize reaches
# the pty a moment after the FIFO write).
term_size_becomes() {
	local deadline=$(($(date +%s) + WAIT))
	while :; do
		term_size || return 1
		[ "$TERM_SIZE" = "$1" ] && return 0
		[ "$(date +%s)" -lt "$deadline" ] || break
		sleep 0.02
	done
	echo "stty size says '$TERM_SIZE', expected '$1'" >&2
	return 1
}

# ctl_synced: return once conmon has handled every line written to ctl so
# far.  A reopen ("2 0 0") is the marker: ctl lines are handled in order,
# and the reopen shows as a new log file at the path.
# Upstream drops what followed an invalid line in the same read(2), so a
# marker that arrived together with a rejected line is sent again.
ctl_synced() {
	local before tries=0
	before=$(log_inode "$CTR_LOG")
	while [ $tries -lt "$WAIT" ]; do
		tries=$((tries + 1))
		ctl_send $'2 0 0\n' || return 1
		wait_until 1 log_inode_changed "$CTR_LOG" "$before" && return 0
	done
	echo "ctl marker: the log was not reopened" >&2
	return 1
}

log_inode_changed() {
	[ "$(log_inode "$1")" != "$2" ]
}

# assert_file_is FILE TEXT [WHAT]: FILE holds exactly TEXT, trailing
# newlines included (command substitution would drop them).
assert_file_is() {
	local got
	got=$(cat "$1" 2>/dev/null && printf x)
	assert_eq "${got%x}" "$2" "${3:-$1}"
}

# vmrss_kb_fast PID: VmRSS without forking (for tight sampling loops).
vmrss_kb_fast() {
	local key value rest
	while read -r key value rest; do
		[ "$key" = VmRSS: ] && { echo "$value"; return 0; }
	done <"/proc/$1/status"
	return 1
}

# vm_kb PID FIELD: a kB figure of /proc/PID/status (VmData, RssAnon, ...).
vm_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
