#!/usr/bin/env bats
# The attach socket, container stdin and the terminal on a real runtime
# ($RUNTIME): a shell in a pty driven from a real terminal (tmux), packet
# framing and streams, several clients, clients that leave or never read,
# the 32 client slots, the socket's locations (symlink, --full-attach with
# a long bundle path), --stdin and --leave-stdin-open (upstream's
# 07-attach), and what clients see when the container exits.
# Spec: docs/attach.md, docs/stdio.md §2-§4, docs/ctl.md §3-§4.

load helpers
load lib/attach

setup_file() {
	# The terminal test drives a real terminal (installed when root).
	"$BATS_TEST_DIRNAME/lib/ensure-packages" tmux
}

setup() {
	common_setup
	attach_tools_build
	TMUX_SOCK= SHORT_SOCK_DIR=
}

teardown() {
	probes_teardown
	[ -z "$TMUX_SOCK" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	[ -z "$SHORT_SOCK_DIR" ] || rm -rf "$SHORT_SOCK_DIR"
	common_teardown
}

# ---------------------------------------------------------------- terminal

# tmux_cmd ARGS...: this test's private tmux server.
tmux_cmd() {
	env -u TMUX TERM=xterm tmux -S "$TMUX_SOCK" "$@"
}

tmux_pane_has_line() {
	tmux_cmd capture-pane -p -t attach | tr -d '\r' | grep -qxF -- "$1"
}

# wait_pane_line LINE: a line of the pane reads exactly LINE.
wait_pane_line() {
	wait_until "$WAIT" tmux_pane_has_line "$1" || {
		echo "no line '$1' in the pane:" >&2
		tmux_cmd capture-pane -p -t attach >&2
		return 1
	}
}

@test "terminal: a shell driven from tmux through the attach socket: command, output, resize, exit" {
	bundle_cmd -t -- sh
	conmon_create -t
	TMUX_SOCK=$T/tmux.sock
	echo 'set -g remain-on-exit on' >"$T/tmux.conf"
	# The pane's terminal is the probe's stdin (raw mode) and stdout.  The
	# pane's shell records how the probe ended: tmux's own
	# #{pane_dead_status} can stay empty when the pty closes before tmux
	# reaps the pane (tmux PR #4841).
	tmux_cmd -f "$T/tmux.conf" new-session -d -s attach -x 100 -y 30 \
		"$ATTACH_PROBE --tty --ready $T/tmux.ready $BUNDLE/attach 2>$T/tmux.err; echo \$? >$T/tmux.status.new && mv $T/tmux.status.new $T/tmux.status"
	wait_for_file "$T/tmux.ready"
	container_start
	wait_until "$WAIT" sh -c 'tmux -S "$1" capture-pane -p -t attach | grep -qF "/ #"' sh "$TMUX_SOCK"

	tmux_cmd send-keys -t attach 'echo $((6 * 7))' Enter
	wait_pane_line '42'
	# Unsized so far; then a resize through ctl reaches the shell's tty.
	tmux_cmd send-keys -t attach 'stty size' Enter
	wait_pane_line "$STTY_UNSIZED"
	ctl_send $'1 33 111\n'
	# The resize lands a moment after the FIFO write: ask again until
	# the shell sees it, as a user would.
	local tries=0
	until tmux_pane_has_line '33 111'; do
		[ $((tries += 1)) -le 50 ] || {
			echo "the shell never saw 33 111:" >&2
			tmux_cmd capture-pane -p -t attach >&2
			return 1
		}
		tmux_cmd send-keys -t attach 'stty size' Enter
		sleep 0.1
	done
	tmux_cmd send-keys -t attach 'exit 7' Enter

	wait_exit
	assert_eq "$EXIT_CODE" 7
	wait_monitor_gone
	# The probe saw the end of the stream and left cleanly.
	wait_for_file "$T/tmux.status"
	assert_eq "$(cat "$T/tmux.status")" 0 "the probe's exit status (stderr: $(cat "$T/tmux.err"))"
	assert_contains "$(log_stream stdout)" $'42\r\n' "log"
}

@test "terminal without --stdin: a client that stops sending closes nothing; the next client's input still reaches the pty" {
	bundle_sh 'stty -echo; echo ready; read a; echo "got $a"; read b; echo "got $b"' -t
	conmon_create -t
	probe_start first "$BUNDLE/attach"
	container_start
	wait_probe_has first ready
	probe_input first 'one\n'
	probe_end_input first
	wait_probe_has first 'got one'
	probe_start second "$BUNDLE/attach"
	probe_input second 'two\n'
	wait_probe_has second 'got two'
	wait_exit
	assert_eq "$EXIT_CODE" 0
	# The first client, though done sending, received to the end.
	wait_probe_has first 'got two'
	probe_wait first
	assert_eq "$PROBE_STATUS" 0 "first client"
}

@test "terminal: output is \\r\\n-translated (ONLCR), all of it on stream 2, no initial window size" {
	bundle_sh 'read x; printf "a\nb\n"; echo err >&2; stty size; printf "no newline"' -t
	conmon_create -t
	probe_start c "$BUNDLE/attach"
	container_start
	probe_input c 'go\n'
	wait_exit
	probe_wait c
	assert_eq "$PROBE_STATUS" 0 "probe status"
	local want
	want=$'go\r\na\r\nb\r\nerr\r\n'"$STTY_UNSIZED"$'\r\nno newline'
	assert_eq "$(file_text "$T/c.2")" "$want" "stdout packets"
	assert_eq "$(probe_out c 3)" "" "stderr packets"
	assert_eq "$(awk '$1 != 2' "$T/c.packets")" "" "packets of a type other than 2"
	assert_eq "$(log_stream stdout && printf x)" "${want}x" "log stdout"
	assert_eq "$(log_stream stderr)" "" "log stderr"
}

# ---------------------------------------------------------------- framing

@test "attach: stdin reaches the container; stdout and stderr packets carry types 2 and 3, at most 8193 bytes" {
	bundle_sh 'cat; head -c 100000 /dev/zero | tr "\0" x; echo; echo err >&2'
	conmon_create -i
	probe_start c "$BUNDLE/attach"
	container_start
	probe_input c 'hello\n'
	# The client's stdin ends: it half-closes, conmon closes the
	# container's stdin, cat ends.
	probe_end_input c
	wait_exit
	assert_eq "$EXIT_CODE" 0
	probe_wait c
	# The probe fails on a packet over 8193 bytes, an empty one or an
	# unknown type.
	assert_eq "$PROBE_STATUS" 0 "probe status ($(cat "$T/c.err"))"
	local want
	want=$'hello\n'"$(printf '%100000s' '' | tr ' ' x)"$'\n'
	assert_eq "$(file_text "$T/c.2" | sha256sum)" "$(printf '%s' "$want" | sha256sum)" "stdout packets"
	assert_file_is "$T/c.3" $'err\n' "stderr packets"
	# Full reads make full packets: 8192 bytes of payload, not more.
	assert_eq "$(awk '$2 > m { m = $2 } END { print m }' "$T/c.packets")" 8192 "largest payload"
	assert_eq "$(log_stream stdout | sha256sum)" "$(printf '%s' "$want" | sha256sum)" "log stdout"
	wait_monitor_gone
}

@test "attach: 4 MiB of input to a container that reads slowly: every byte arrives, in order" {
	head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/input"
	# The pipe fills at once: conmon must hold what it could not write,
	# stop reading the client, and go on when the container reads.
	bundle_sh 'sleep 0.5; sha256sum'
	conmon_create -i
	probe_start c "$BUNDLE/attach"
	container_start
	cat "$T/input" >&"${PROBE_IN[c]}"
	probe_end_input c
	wait_exit
	assert_eq "$EXIT_CODE" 0
	probe_wait c
	assert_eq "$PROBE_STATUS" 0 "probe"
	assert_eq "$(log_stream stdout)" "$(sha256sum <"$T/input" | cut -d' ' -f1)  -" "sha256 inside"
	wait_monitor_gone
}

@test "attach: two clients at once both get all output; either one's input reaches the container" {
	bundle_sh 'while read -r x; do echo "out $x"; echo "err $x" >&2; done; echo end'
	conmon_create -i
	probe_start a "$BUNDLE/attach"
	probe_start b "$BUNDLE/attach"
	container_start
	probe_input a 'one\n'
	wait_probe_has a 'out one'
	wait_probe_has b 'out one'
	probe_input b 'two\n'
	wait_probe_has a 'out two'
	wait_probe_has b 'err two' 3
	# The first client that stops sending closes the container's stdin,
	# though the other is still attached (docs/stdio.md §3).
	probe_end_input a
	wait_exit
	assert_eq "$EXIT_CODE" 0
	probe_wait a
	assert_eq "$PROBE_STATUS" 0 "probe a"
	probe_wait b
	assert_eq "$PROBE_STATUS" 0 "probe b"
	local c
	for c in a b; do
		assert_file_is "$T/$c.2" $'out one\nout two\nend\n' "stdout of $c"
		assert_file_is "$T/$c.3" $'err one\nerr two\n' "stderr of $c"
	done
	wait_monitor_gone
}

@test "attach: a client that disconnects mid-stream: the container and the other client go on" {
	bundle_sh 'awk "BEGIN { for (i = 1; i <= 200000; i++) print i }"; echo end'
	conmon_create
	probe_start quitter --stop-after 20000 "$BUNDLE/attach"
	probe_start stayer "$BUNDLE/attach"
	container_start
	wait_exit
	assert_eq "$EXIT_CODE" 0
	probe_wait quitter
	assert_eq "$PROBE_STATUS" 0 "the quitter"
	probe_wait stayer
	assert_eq "$PROBE_STATUS" 0 "the stayer"
	wait_monitor_gone
	local size
	size=$(wc -c <"$T/quitter.2")
	[ "$size" -ge 20000 ] && [ "$size" -lt 1000000 ] || {
		echo "the quitter got $size bytes" >&2
		return 1
	}
	# What the quitter got is the start of the stream; the stayer got it
	# all, as did the log.
	assert_eq "$(head -c "$size" "$T/stayer.2" | sha256sum)" "$(sha256sum <"$T/quitter.2")" "quitter's bytes"
	assert_eq "$(log_stream stdout | sha256sum)" "$(sha256sum <"$T/stayer.2")" "stayer vs log"
	assert_eq "$(log_stream stdout | tail -n 2 | tr '\n' ' ')" "200000 end " "end of the log"
}

# cpu_ms PID: the CPU time PID has used so far, user and system, in ms.
cpu_ms() {
	local hz
	hz=$(getconf CLK_TCK)
	awk -v hz="$hz" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"
}

@test "attach: a client reading at 4 MB/s gets all of 16 MiB byte-exact, so does the log; conmon's VmHWM stays under 200 kB" {
	mkdir "$T/data"
	head -c $((16 * 1024 * 1024)) /dev/urandom >"$T/data/a"
	bundle_sh 'cat /data/a' --bind "$T/data:/data"
	conmon_create
	probe_start slow --no-stdin --rate 4000000 "$BUNDLE/attach"
	container_start
	# The peak over conmon's life, read while it still runs.
	local hwm=0 h
	while pid_alive "$MONITOR_PID"; do
		h=$(vm_kb "$MONITOR_PID" VmHWM 2>/dev/null) || break
		[ -n "$h" ] && hwm=$h
		sleep 0.2
	done
	wait_exit
	probe_wait slow
	assert_eq "$PROBE_STATUS" 0 "the slow client"
	echo "# conmon VmHWM $hwm kB" >&3
	assert_eq "$(sha256sum <"$T/slow.2")" "$(sha256sum <"$T/data/a")" "sha256 of what the client read"
	assert_eq "$(log_stream stdout | sha256sum)" "$(sha256sum <"$T/data/a")" "sha256 of the logged stdout"
	# Under an emulator VmHWM is mostly the emulator's own (qemu-user:
	# about 8 MB): the budget is checked on native runs.
	if [ -n "${CONMON_EMULATOR:-}" ]; then
		echo "# the 200 kB VmHWM budget is not measurable under $CONMON_EMULATOR" >&3
	else
		[ "$hwm" -gt 0 ] && [ "$hwm" -lt 200 ] || { echo "VmHWM $hwm kB, budget 200 kB" >&2; return 1; }
	fi
}

@test "attach: a client that never reads pauses the container, not conmon: no CPU, ctl and new clients served; its leaving lets everything through" {
	# About 21 MB: more than the stuck client's socket buffer and the
	# pipe hold, so the container ends up waiting in write(2).
	bundle_sh 'seq 1 3000000; echo end'
	conmon_create --log-rotate
	probe_start stuck --no-read "$BUNDLE/attach"
	container_start
	# Proving that something does not happen takes a wait.
	sleep 3
	[ ! -e "$EXIT_DIR/$CID" ] && pid_alive "$CTR_PID" || {
		echo "the container finished although a client never read" >&2
		return 1
	}
	local cpu0 cpu1 t0 before
	cpu0=$(cpu_ms "$MONITOR_PID")
	sleep 2
	cpu1=$(cpu_ms "$MONITOR_PID")
	echo "# conmon used $((cpu1 - cpu0)) ms of CPU in 2 s while paused" >&3
	[ $((cpu1 - cpu0)) -lt 100 ] || { echo "conmon used $((cpu1 - cpu0)) ms of CPU in 2 s" >&2; return 1; }
	# The ctl FIFO is served: a reopen (a rotation here) within 1 s.
	before=$(log_inode "$CTR_LOG")
	t0=$(date +%s%N)
	ctl_send $'2 0 0\n'
	wait_until 1 log_inode_changed "$CTR_LOG" "$before" || { echo "no reopen within 1 s" >&2; return 1; }
	echo "# reopen served in $((($(date +%s%N) - t0) / 1000000)) ms" >&3
	# New clients are accepted.
	probe_start late --no-stdin "$BUNDLE/attach"
	[ ! -e "$EXIT_DIR/$CID" ]
	# The stuck client leaves: the rest flows.
	probe_end_input stuck
	probe_wait stuck
	wait_exit 60
	assert_eq "$EXIT_CODE" 0
	probe_wait late
	assert_eq "$PROBE_STATUS" 0 "the late client"
	wait_monitor_gone
	# Everything is logged: before the reopen in .1, after it in the log.
	{ seq 1 3000000; echo end; } >"$T/want"
	{
		"$LIB_DIR/k8s-log" --stream stdout "$CTR_LOG.1"
		"$LIB_DIR/k8s-log" --stream stdout "$CTR_LOG"
	} >"$T/logged"
	assert_eq "$(sha256sum <"$T/logged")" "$(sha256sum <"$T/want")" "sha256 of the logged stdout"
	# The late client got the output from its connect on: a tail of it,
	# and more than the little that was left when it came.
	local n
	n=$(wc -c <"$T/late.2")
	[ "$n" -gt 1000000 ] || { echo "the late client got only $n bytes" >&2; return 1; }
	cmp "$T/late.2" <(tail -c "$n" "$T/want") >&2
}

@test "attach: 40 clients: 32 served, 8 refused cleanly, and conmon's RSS does not grow with them" {
	bundle_sh cat
	conmon_create -i --leave-stdin-open
	container_start
	probe_warm_up
	local rss0 rss32 rss32b data0 data32
	rss0=$(vmrss_kb "$MONITOR_PID")
	data0=$(vm_kb "$MONITOR_PID" VmData)

	mkfifo "$T/many.in"
	exec {many_in}<>"$T/many.in"
	(
		close_fds_except 0 1 2
		exec "$ATTACH_PROBE" --many 40 "$BUNDLE/attach"
	) <"$T/many.in" >"$T/many.out" 2>"$T/many.err" &
	PROBE_PID[many]=$!
	wait_until "$WAIT" grep -q served "$T/many.out" || {
		cat "$T/many.err" >&2
		return 1
	}
	assert_eq "$(cat "$T/many.out")" "served 32 refused 8" "connections"
	rss32=$(vmrss_kb "$MONITOR_PID")
	# A line from one client comes back to all 32.
	echo ping >&"$many_in"
	wait_until "$WAIT" grep -q received "$T/many.out"
	assert_eq "$(sed -n 2p "$T/many.out")" "received 32" "served clients that got the output"
	rss32b=$(vmrss_kb "$MONITOR_PID")
	data32=$(vm_kb "$MONITOR_PID" VmData)
	echo "# conmon VmRSS: $rss0 kB with no client, $rss32 kB with 32, $rss32b kB after output to 32; VmData $data0 kB, then $data32 kB" >&3
	# Nothing allocated: the data segment (static data, heap) is the same
	# size.  Resident memory may grow by the few static pages first
	# touched now (the far end of the slot table, the refusal's
	# counters), not with the number of clients.
	assert_eq "$data32" "$data0" "VmData with 32 clients"
	[ $((rss32 - rss0)) -le 12 ] && [ $((rss32b - rss0)) -le 12 ] || {
		echo "VmRSS grew with the clients: $rss0 -> $rss32 -> $rss32b kB" >&2
		return 1
	}
	# All 32 leave with output unread (conmon then reads ECONNRESET).
	echo unread >&"$many_in"
	wait_until "$WAIT" grep -q unread "$CTR_LOG"
	exec {many_in}>&-
	probe_wait many
	assert_eq "$PROBE_STATUS" 0 "probe --many ($(cat "$T/many.err"))"

	# Every slot is free again: 32 served once more (the closes may take
	# conmon a moment).
	local round
	for round in 1 2 3 4 5; do
		"$ATTACH_PROBE" --many 40 "$BUNDLE/attach" </dev/null >"$T/many2.out" 2>"$T/many2.err" || true
		[ "$(cat "$T/many2.out")" = "served 32 refused 8" ] && break
		sleep 0.1
	done
	assert_eq "$(cat "$T/many2.out")" "served 32 refused 8" "connections after the first 32 left"
	rt kill "$CID" KILL
	wait_exit
	assert_eq "$EXIT_CODE" 137
}

@test "attach: a client that shut its reading side: sends to it fail, its input still reaches the container, the other client goes on" {
	bundle_sh 'while read -r x; do echo "got $x"; done'
	conmon_create -i --leave-stdin-open
	probe_start deaf --shut-read "$BUNDLE/attach"
	probe_start b "$BUNDLE/attach"
	container_start
	probe_input deaf 'one\n'
	wait_probe_has b 'got one'
	# conmon's packet to it failed; it stopped sending output to it, not
	# reading its input.
	probe_input deaf 'two\n'
	wait_probe_has b 'got two'
	probe_end_input deaf
	probe_wait deaf
	assert_eq "$PROBE_STATUS" 0 "the deaf client"
	probe_input b 'three\n'
	wait_probe_has b 'got three'
	rt kill "$CID" KILL
	wait_exit
	probe_wait b
	assert_file_is "$T/b.2" $'got one\ngot two\ngot three\n' "the other client"
	wait_monitor_gone
}

@test "attach without --stdin: a client's input goes nowhere; the container and the output go on" {
	mkdir "$T/data"
	bundle_sh 'until [ -e /data/go ]; do sleep 0.02; done; echo done' --bind "$T/data:/data"
	conmon_create
	probe_start c "$BUNDLE/attach"
	container_start
	head -c $((256 * 1024)) /dev/zero >&"${PROBE_IN[c]}"
	probe_end_input c
	touch "$T/data/go"
	wait_exit
	assert_eq "$EXIT_CODE" 0
	probe_wait c
	assert_eq "$PROBE_STATUS" 0 "probe"
	assert_file_is "$T/c.2" $'done\n' "output"
	wait_monitor_gone
}

# ---------------------------------------------------------------- where

# say_hi_through [PROBE OPTIONS...] SOCKET: with a `read x; echo "got $x"`
# container created, attach client c at SOCKET, start the container, send
# "hi", get the answer, then the end: exit 0, the client let go, conmon
# gone.
say_hi_through() {
	probe_start c "$@"
	container_start
	probe_input c 'hi\n'
	wait_probe_has c 'got hi'
	wait_exit
	assert_eq "$EXIT_CODE" 0 "exit code"
	probe_wait c
	assert_eq "$PROBE_STATUS" 0 "probe"
	wait_monitor_gone
}

@test "attach: through the <socket-dir-path>/<cuuid> symlink to the bundle; both gone after exit" {
	bundle_sh 'read x; echo "got $x"'
	conmon_create -i
	local link=$SOCKET_DIR/$CUUID
	[ -L "$link" ] || { echo "no symlink at $link" >&2; return 1; }
	assert_eq "$(readlink "$link")" "$BUNDLE" "symlink target"
	[ -S "$BUNDLE/attach" ]
	assert_mode "$BUNDLE/attach" 700
	say_hi_through "$link/attach"
	[ ! -e "$BUNDLE/attach" ] || { echo "socket left behind" >&2; return 1; }
	[ ! -L "$link" ] || { echo "symlink left behind" >&2; return 1; }
}

@test "attach: a 107-byte symlink name loses its last byte, and the socket is reached through it" {
	# A short socket directory of its own, whatever the length of $T.
	SHORT_SOCK_DIR=$(mktemp -d /tmp/conmon-sock.XXXXXX)
	SOCKET_DIR=$SHORT_SOCK_DIR
	CUUID=$(printf 'u%.0s' $(seq 1 $((107 - ${#SOCKET_DIR} - 1))))
	local link=$SOCKET_DIR/$CUUID
	assert_eq "${#link}" 107 "link name length"
	bundle_sh 'read x; echo "got $x"'
	conmon_create -i
	[ -L "${link:0:106}" ] || { echo "no symlink at the 106-byte name" >&2; return 1; }
	[ ! -e "$link" ] && [ ! -L "$link" ]
	# Longer than sun_path with "/attach": connected through an O_PATH fd.
	say_hi_through --proc-fd "${link:0:106}/attach"
}

@test "attach: --full-attach with a bundle path over 108 bytes, connected through /proc/self/fd like Podman" {
	BUNDLE=$T/$(printf 'd%.0s' $(seq 1 60))/$(printf 'e%.0s' $(seq 1 60))/userdata
	[ "${#BUNDLE}" -gt 108 ]
	mkdir -p "$BUNDLE"
	bundle_sh 'read x; echo "got $x"; echo err >&2'
	conmon_create -i --full-attach
	[ -S "$BUNDLE/attach" ] && [ -p "$BUNDLE/ctl" ] && [ -p "$BUNDLE/winsz" ]
	# No symlink with --full-attach.
	[ ! -e "$SOCKET_DIR/$CUUID" ] && [ ! -L "$SOCKET_DIR/$CUUID" ]
	# The path itself is too long for connect(2)...
	run "$ATTACH_PROBE" --no-stdin "$BUNDLE/attach"
	assert_eq "$status" 1 "plain connect status"
	assert_contains "$output" "File name too long" "plain connect"
	# ...so the client opens it with O_PATH and connects to /proc/self/fd/N.
	say_hi_through --proc-fd "$BUNDLE/attach"
	assert_file_is "$T/c.3" $'err\n' "stderr packets"
	[ ! -e "$BUNDLE/attach" ]
}

# ---------------------------------------------------------------- stdin (07-attach)

# socat_attach TEXT: upstream's client: TEXT on stdin, then close.
socat_attach() {
	printf '%s' "$1" | timeout "$WAIT" socat - "UNIX-CONNECT:$BUNDLE/attach,socktype=5" >>"$T/socat.out"
}

@test "07-attach --stdin: a client sends 'Hello there!' and closes; both lines are logged; the socket is gone after exit" {
	bundle_sh "cat && echo 'Container stopped!'"
	conmon_create -i
	container_start
	socat_attach $'Hello there!\n'
	wait_exit
	assert_eq "$EXIT_CODE" 0
	assert_eq "$(log_stream stdout)" $'Hello there!\nContainer stopped!' "log"
	# socat printed the packets as they came, each a type byte 2 and its
	# payload (where packets begin depends on the timing of reads).
	assert_eq "$(head -c 1 "$T/socat.out" | od -An -tx1 | tr -d ' ')" 02 "first type byte"
	assert_eq "$(tr -d '\002' <"$T/socat.out")" $'Hello there!\nContainer stopped!' "socat's output"
	wait_monitor_gone
	[ ! -e "$BUNDLE/attach" ] || { echo "attach socket left behind" >&2; return 1; }
}

@test "07-attach without --stdin: cat reads end of file at once and the container finishes by itself" {
	bundle_sh "cat && echo 'Container stopped!'"
	conmon_create
	container_start
	wait_exit
	assert_eq "$EXIT_CODE" 0
	assert_eq "$(log_stream stdout)" 'Container stopped!' "log"
	wait_monitor_gone
}

@test "07-attach --stdin --leave-stdin-open: the container outlives the first client; a second client's text reaches it" {
	bundle_sh "cat && echo 'Container stopped!'"
	conmon_create -i --leave-stdin-open
	container_start
	socat_attach $'Hello there!\n'
	wait_until "$WAIT" grep -q 'Hello there!' "$CTR_LOG"
	# Proving an absence: still running a moment after the client left.
	sleep 0.3
	[ ! -e "$EXIT_DIR/$CID" ] && rt_status_is running || {
		echo "the container stopped when the first client left" >&2
		return 1
	}
	socat_attach $'Second client\n'
	wait_until "$WAIT" grep -q 'Second client' "$CTR_LOG"
	rt_status_is running
	rt kill "$CID" KILL
	wait_exit
	assert_eq "$EXIT_CODE" 137
	assert_eq "$(log_stream stdout)" $'Hello there!\nSecond client' "log"
	wait_monitor_gone
}

@test "attach: a container that exits while clients are attached: they all see the end, conmon exits" {
	bundle_sh 'read x; echo bye'
	conmon_create -i
	probe_start a --keep-open "$BUNDLE/attach"
	probe_start b --no-stdin "$BUNDLE/attach"
	probe_start stall --no-read "$BUNDLE/attach"
	container_start
	probe_input a 'x\n'
	wait_exit
	assert_eq "$EXIT_CODE" 0
	local c
	for c in a b stall; do
		probe_wait "$c"
		assert_eq "$PROBE_STATUS" 0 "client $c"
	done
	assert_file_is "$T/a.2" $'bye\n' "client a"
	assert_file_is "$T/b.2" $'bye\n' "client b"
	wait_monitor_gone
	[ ! -e "$BUNDLE/attach" ]
}
