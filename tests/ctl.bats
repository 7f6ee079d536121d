#!/usr/bin/env bats
# The ctl and winsz FIFOs on a real runtime ($RUNTIME): the validation
# table of docs/ctl.md §3 row by row through the real FIFO, observed by a
# terminal container that prints `stty size` on request while an attach
# client is connected; log reopen (docs/ctl.md §5, docs/logging.md §6) as CRI-O sees
# it through inotify, and with --log-rotate.  Reopen under load is
# logging.bats' business.

load helpers
load lib/attach

setup() {
	common_setup
	attach_tools_build
	TERM_QUERY=0
}

teardown() {
	probes_teardown
	common_teardown
}

# ctl_accepted LINE SIZE: from an unsized pty, LINE written to ctl makes
# `stty size` print SIZE.
ctl_accepted() {
	ctl_unsize || return 1
	ctl_send "$1"$'\n' || return 1
	term_size_becomes "$2" || {
		echo "after ctl line '$1'" >&2
		return 1
	}
}

# ctl_rejected LINE: LINE written to ctl leaves the pty unsized.
ctl_rejected() {
	ctl_unsize || return 1
	ctl_send "$1"$'\n' || return 1
	ctl_synced || return 1
	term_size || return 1
	[ "$TERM_SIZE" = "$STTY_UNSIZED" ] || {
		echo "ctl line '${1:0:40}' was not rejected: stty size says '$TERM_SIZE'" >&2
		return 1
	}
}

# ctl_unsize: back to the initial 0x0 ("1 0 0" is valid: 0 is in range).
ctl_unsize() {
	ctl_send $'1 0 0\n' || return 1
	term_size_becomes "$STTY_UNSIZED"
}

# ---------------------------------------------------------------- table

@test "ctl: the pty starts unsized, and the valid rows resize it (client attached)" {
	term_start
	term_size
	assert_eq "$TERM_SIZE" "$STTY_UNSIZED" "stty size before any resize"
	ctl_accepted '1 2 2' '2 2'
	ctl_accepted '1 0010 0020' '10 20'
	ctl_accepted '1 1000 1000' '1000 1000'
	ctl_accepted '1 2 2 3' '2 2'
	ctl_accepted '1 +7 +9' '7 9'
	ctl_accepted $' \t1\t33  44' '33 44'
	# Busybox shows a dimension of 1 as its default, so 1 is seen through
	# the other one.
	ctl_accepted '1 999 1' '999 80'
	# The client stayed attached through all of it and saw only answers.
	probe_alive term
	assert_eq "$(probe_out term 3)" "" "stderr packets of a terminal"
}

@test "ctl: out-of-range sizes are rejected (-1, 1001, 65535, 100000, beyond int)" {
	term_start
	ctl_rejected '1 -1 -1'
	ctl_rejected '1 1001 1000'
	ctl_rejected '1 1000 1001'
	ctl_rejected '1 65535 65535'
	ctl_rejected '1 100000 100000'
	# 2^32 + 2 would wrap to 2 in a 32-bit int.
	ctl_rejected '1 4294967298 4294967298'
	ctl_rejected '1 2 -2147483648'
	# Still alive and obeying.
	ctl_accepted '1 5 6' '5 6'
}

@test "ctl: malformed lines and unknown types are rejected (format, hex, float, fields, type)" {
	term_start
	local line
	for line in '1 2' '1' 'foo' '999' '1 10.5 20.3' '1 0x10 0x20' \
		'999 2 2' '0 2 2' '3 2 2' '-1 2 2' '1 2,2' '12 2' 'x1 2 2' ''; do
		ctl_rejected "$line"
	done
	ctl_accepted '1 5 6' '5 6'
}

@test "ctl: a 65 KiB line starting with '1 2 2 ' is rejected, and the next line works" {
	term_start
	local long
	long="1 2 2 $(printf '%65000s' '' | tr ' ' '#')"
	ctl_rejected "$long"
	# 199 bytes without a newline: what follows on the same line must not
	# pass for a command of its own (upstream would apply "1 3 3"), in
	# the same read or, after a pause, in the next.
	ctl_rejected "$(printf '%199s' '' | tr ' ' 'x')1 3 3"
	ctl_unsize
	ctl_send "$(printf '%199s' '' | tr ' ' 'x')"
	sleep 0.1
	ctl_send $'1 3 3\n'
	ctl_synced
	term_size
	assert_eq "$TERM_SIZE" "$STTY_UNSIZED" "stty size after the tail of a long line"
	ctl_accepted '1 5 6' '5 6'
}

@test "ctl: a line in several writes, and two lines in one write, are applied in order" {
	term_start
	ctl_unsize
	ctl_send '1 1'
	ctl_send '2 '
	ctl_send $'34\n'
	term_size_becomes '12 34'
	ctl_send $'1 3 4\n1 5 6\n'
	term_size_becomes '5 6'
}

@test "ctl: a writer that stays open (CRI-O) sends resize after resize" {
	term_start
	local ctl
	exec {ctl}>"$BUNDLE/ctl"
	echo '1 3 4' >&"$ctl"
	term_size_becomes '3 4'
	echo '1 5 6' >&"$ctl"
	term_size_becomes '5 6'
	exec {ctl}>&-
	# Its close is no end of file for conmon, which holds a writer too.
	ctl_send $'1 7 8\n'
	term_size_becomes '7 8'
}

@test "ctl: a resize signals the container (SIGWINCH) with the new size in place" {
	bundle_sh 'trap '"'"'echo "winch $(stty size)"'"'"' WINCH; echo ready; while :; do sleep 0.05; done' -t
	conmon_create -t
	probe_start c "$BUNDLE/attach"
	container_start
	wait_probe_has c ready
	ctl_send $'1 12 34\n'
	wait_probe_has c 'winch 12 34'
	ctl_send $'1 56 78\n'
	wait_probe_has c 'winch 56 78'
}

@test "winsz: a size written straight to the winsz FIFO is applied; a bad one is not" {
	term_start
	timeout 5 sh -c 'printf "9 11\n" >"$1"' sh "$BUNDLE/winsz"
	term_size_becomes '9 11'
	ctl_unsize
	timeout 5 sh -c 'printf "1001 5\n" >"$1"' sh "$BUNDLE/winsz"
	timeout 5 sh -c 'printf "7\n" >"$1"' sh "$BUNDLE/winsz"
	# winsz lines are handled in order too: this one proves the two
	# before it were seen.
	timeout 5 sh -c 'printf "0 0\n" >"$1"' sh "$BUNDLE/winsz"
	ctl_synced
	term_size
	assert_eq "$TERM_SIZE" "$STTY_UNSIZED" "stty size after bad winsz lines"
}

@test "ctl: resizes sent to a non-terminal container are dropped without stalling conmon" {
	# Nobody drains winsz without a pty: 20000 resizes overfill it.
	bundle_sh 'read x; echo "got $x"'
	conmon_create -i
	probe_start c "$BUNDLE/attach"
	container_start
	local i text=
	for i in $(seq 1 500); do
		text+=$'1 5 5\n'
	done
	for i in $(seq 1 40); do
		ctl_send "$text"
	done
	ctl_synced
	probe_input c 'go\n'
	wait_probe_has c 'got go'
	wait_exit
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_stream stdout)" "got go" "log after the reopen"
}

# ---------------------------------------------------------------- reopen

@test "ctl: '2 0 0' makes a fresh log appear at the path, as inotify shows CRI-O" {
	bundle_sh 'echo before; read x; echo after'
	conmon_create -i
	probe_start c "$BUNDLE/attach"
	container_start
	wait_until "$WAIT" grep -q before "$CTR_LOG"
	# The kubelet's rotation: rename, then ask for a reopen and wait for
	# a Create or Write event on the path.
	mv "$CTR_LOG" "$CTR_LOG.rotated"
	"$INOTIFY_WAIT" "$(dirname "$CTR_LOG")" "$(basename "$CTR_LOG")" "$T/inotify.ready" 5000 \
		>"$T/inotify.out" &
	local watcher=$!
	wait_for_file "$T/inotify.ready"
	ctl_send $'2 0 0\n'
	wait "$watcher" || {
		echo "no inotify event for the log path within 5 s" >&2
		return 1
	}
	case $(cat "$T/inotify.out") in
	create | moved_to | modify) ;;
	*) echo "unexpected event: $(cat "$T/inotify.out")" >&2; return 1 ;;
	esac
	[ -f "$CTR_LOG" ]
	assert_mode "$CTR_LOG" 640
	assert_eq "$(wc -c <"$CTR_LOG")" 0 "size of the fresh log"
	probe_input c 'x\n'
	wait_exit
	wait_monitor_gone
	assert_eq "$(log_stream stdout)" after "fresh log"
	assert_eq "$("$LIB_DIR/k8s-log" --stream stdout "$CTR_LOG.rotated")" before "rotated log"
}

@test "ctl: '2 1 1' recreates a deleted log (upstream 10-ctrl)" {
	bundle_sh 'echo before; read x; echo after'
	conmon_create -i
	probe_start c "$BUNDLE/attach"
	container_start
	wait_until "$WAIT" grep -q before "$CTR_LOG"
	rm "$CTR_LOG"
	ctl_send $'2 1 1\n'
	wait_for_file "$CTR_LOG"
	probe_input c 'x\n'
	wait_exit
	wait_monitor_gone
	assert_eq "$(log_stream stdout)" after "recreated log"
}

@test "ctl: with --log-rotate, '2 0 0' moves earlier output to <log>.1, later output to <log>" {
	bundle_sh 'echo before; read x; echo after'
	conmon_create -i --log-rotate --log-max-files 3
	probe_start c "$BUNDLE/attach"
	container_start
	wait_until "$WAIT" grep -q before "$CTR_LOG"
	# A type 2 with a bad size is rejected like any other line: it must
	# not rotate (one rotation only, so no <log>.2).
	ctl_send $'2 1001 0\n'
	ctl_send $'2 0 0\n'
	wait_for_file "$CTR_LOG.1"
	probe_input c 'x\n'
	wait_exit
	wait_monitor_gone
	assert_eq "$("$LIB_DIR/k8s-log" --stream stdout "$CTR_LOG.1")" before "<log>.1"
	assert_eq "$(log_stream stdout)" after "<log>"
	[ ! -e "$CTR_LOG.2" ] || {
		echo "rotated twice: '2 1001 0' was not rejected" >&2
		return 1
	}
}
