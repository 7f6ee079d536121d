#!/usr/bin/env bats
# The log drivers on a real runtime ($RUNTIME: runc or crun): k8s-file size
# limit, rotation, lifetime cap, allowlist, reopen while the container
# writes, a full file system, none and passthrough, and journald read back
# from a real systemd-journald that tests/journald-env starts in a private
# mount namespace.  Spec: docs/logging.md, docs/ctl.md §5, docs/cli.md §4-§5.

load helpers

setup() {
	common_setup
	JENV_PID= JNS_PID= SMALL_FS=
}

teardown() {
	common_teardown
	journald_ns_stop
	if [ -n "$SMALL_FS" ]; then
		umount -l "$SMALL_FS" 2>/dev/null || true
	fi
}

# log_text [LOG]: what a reader rebuilds from the log (both streams).
log_text() {
	"$LIB_DIR/k8s-log" "${1:-$CTR_LOG}"
}

# awk_lines FIRST LAST WIDTH: a container script printing the numbers
# FIRST..LAST, zero-padded to WIDTH, one a line (busybox awk is fast).
awk_lines() {
	echo "awk 'BEGIN { for (i = $1; i <= $2; i++) printf \"%0$3d\\n\", i }'"
}

# assert_sequence FROM [TO] < TEXT: the lines are exactly FROM..TO (or
# FROM and on, at least 100 of them, without TO).
assert_sequence() {
	awk -v from="$1" -v to="${2:-}" '
		{ if ($0 !~ /^[0-9]+$/ || $0 + 0 != from + NR - 1) { printf "line %d is %s, expected %d\n", NR, $0, from + NR - 1; bad = 1; exit 1 } }
		END {
			if (bad) exit 1
			if (to != "" && NR != to - from + 1) { printf "%d lines, expected %d\n", NR, to - from + 1; exit 1 }
			if (to == "" && NR < 100) { printf "only %d lines\n", NR; exit 1 }
		}
	' >&2
}

# ---------------------------------------------------------------- k8s-file

@test "--log-size-max: truncation keeps only the newest output" {
	bundle_sh 'i=1; while [ $i -le 12 ]; do echo "hello from ubi10 $i"; i=$((i + 1)); done'
	run_container --log-size-max 10
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_text)" "hello from ubi10 12" "log after truncation"
	[ ! -e "$CTR_LOG.1" ] && [ ! -e "$CTR_LOG.tmp" ]
	assert_mode "$CTR_LOG" 640
}

# rotation_case M: 20 MB through a 1 MB limit with M backups.
rotation_case() {
	local m=$1 i last=199999 files=() first
	bundle_sh "$(awk_lines 0 $last 99)"
	run_container --log-size-max 1000000 --log-rotate --log-max-files "$m"
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	for ((i = m; i >= 1; i--)); do
		[ -s "$CTR_LOG.$i" ] || { echo "no backup $CTR_LOG.$i" >&2; return 1; }
		files+=("$CTR_LOG.$i")
	done
	[ ! -e "$CTR_LOG.$((m + 1))" ] || { echo "more than $m backups" >&2; return 1; }
	[ ! -e "$CTR_LOG.new" ]
	files+=("$CTR_LOG")
	for f in "${files[@]}"; do
		# Records are at most 145 bytes here: a file ends at the limit.
		[ "$(stat -c %s "$f")" -le 1000000 ] || { echo "$f too big" >&2; return 1; }
		log_text "$f" >"$T/part" || return 1
		cat "$T/part"
	done >"$T/joined"
	# Oldest backup to the current file: the newest output, contiguous.
	# (The oldest may start with the rest of a line whose beginning was
	# in a file that fell off.)
	first=$(sed -n 2p "$T/joined")
	tail -n +2 "$T/joined" | assert_sequence "$((10#$first))" "$last"
}

@test "--log-rotate --log-max-files 1: exactly one backup, output contiguous" {
	rotation_case 1
}

@test "--log-rotate --log-max-files 3: exactly three backups, output contiguous" {
	rotation_case 3
}

@test "--log-global-size-max: the file stops growing at the cap" {
	bundle_sh "$(awk_lines 1 20000 49)"
	run_container --log-global-size-max 100000
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	local size
	size=$(stat -c %s "$CTR_LOG")
	# The record that crosses the cap is still written, nothing after it
	# (a record here is at most 45 + 50 + 1 bytes).
	[ "$size" -ge 100000 ] && [ "$size" -lt $((100000 + 96)) ] || {
		echo "size $size" >&2
		return 1
	}
	# The output from its start, in order (the last line may be cut).
	log_text | head -n -1 | assert_sequence 1
}

@test "--log-allowlist-dir: a log outside is refused" {
	mkdir -p "$T/allowed" "$T/elsewhere"
	bundle_sh 'echo inside'
	conmon_default_args
	conmon_launch "${CONMON_ARGS[@]}" --log-allowlist-dir "$T/allowed" \
		--log-path "k8s-file:$T/elsewhere/ctr.log"
	assert_eq "$LAUNCHER_STATUS" 1 "launcher status"
	assert_contains "$(cat "$T/launcher.err")" "Parent directory not in allowlist"
	[ ! -e "$T/elsewhere/ctr.log" ]
}

@test "--log-allowlist-dir: a log inside is accepted, and rotates" {
	mkdir -p "$T/allowed"
	bundle_sh 'echo before-limit; echo inside'
	CTR_LOG=$T/allowed/ctr.log
	run_container --log-allowlist-dir "$T/allowed" --log-rotate \
		--log-size-max 100
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	assert_eq "$(log_text)" "inside"
	assert_eq "$(log_text "$CTR_LOG.1")" "before-limit"
}

@test "reopen while the container writes: no line lost, none duplicated" {
	local last=200000 n=0
	# 40 bursts of 5000 lines over about two seconds.
	bundle_sh "b=0; while [ \$b -lt 40 ]; do awk -v b=\$b 'BEGIN { for (i = b * 5000 + 1; i <= (b + 1) * 5000; i++) printf \"%07d\\n\", i }'; sleep 0.05; b=\$((b + 1)); done; sleep 1; echo $((last + 1))"
	conmon_create
	container_start
	# kubelet's rotation: rename the log, then ask for a reopen (CRI-O
	# writes "2 0 0" to ctl and waits for the path to appear again).
	while [ $n -lt 20 ] && rt_status_is running; do
		n=$((n + 1))
		mv "$CTR_LOG" "$CTR_LOG.r$(printf %02d $n)"
		timeout 5 sh -c 'printf "2 0 0\n" >"$1"' sh "$BUNDLE/ctl" || break
		wait_for_file "$CTR_LOG" 5
	done
	wait_exit 60
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	[ $n -ge 2 ] || { echo "only $n reopens while running" >&2; return 1; }
	for f in "$CTR_LOG".r* "$CTR_LOG"; do
		log_text "$f" || return 1
	done | assert_sequence 1 $((last + 1))
}

@test "ENOSPC: conmon and the container keep going, logging resumes" {
	SMALL_FS=$T/small
	mkdir -p "$SMALL_FS"
	mount -t tmpfs -o size=1m tmpfs "$SMALL_FS"
	CTR_LOG=$SMALL_FS/ctr.log
	# Fill the file system before the container writes.
	dd if=/dev/zero of="$SMALL_FS/filler" bs=4k 2>/dev/null || true
	bundle_sh "$(awk_lines 1 20000 49); sleep 2; echo resumed-1; echo resumed-2"
	conmon_create
	container_start
	sleep 1
	pid_alive "$MONITOR_PID"
	rm -f "$SMALL_FS/filler"
	wait_exit 30
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	# Every record is whole (k8s-log fails on a torn one), and the
	# output after space returned is there.
	log_text >"$T/text"
	assert_eq "$(tail -n 2 "$T/text")" "$(printf 'resumed-1\nresumed-2')"
	# The full disk did drop output (else this tested nothing).
	[ "$(wc -l <"$T/text")" -lt 20000 ]
}

@test "none: nothing is logged and no file named none appears" {
	bundle_sh 'echo quiet'
	conmon_default_args
	CONMON_ARGS=("${CONMON_ARGS[@]/k8s-file:$CTR_LOG/none}")
	conmon_launch "${CONMON_ARGS[@]}"
	assert_eq "$LAUNCHER_STATUS" 0
	sync_read
	container_start
	wait_exit
	[ ! -e "$T/none" ] && [ ! -e "$CTR_LOG" ]
}

@test "passthrough: the container writes to conmon's own stdout" {
	bundle_sh 'echo through; echo err-through >&2'
	conmon_default_args
	CONMON_ARGS=("${CONMON_ARGS[@]/k8s-file:$CTR_LOG/passthrough}")
	conmon_launch "${CONMON_ARGS[@]}"
	assert_eq "$LAUNCHER_STATUS" 0
	sync_read
	container_start
	wait_exit
	wait_until "$WAIT" grep -q through "$T/launcher.out"
	assert_contains "$(cat "$T/launcher.err")" "err-through"
	[ ! -e "$CTR_LOG" ]
}

# ---------------------------------------------------------------- journald

# journald_start: a real journald in a private mount namespace
# (journald_ns_start), and CONMON pointed at a wrapper that runs conmon in
# that namespace (same pid: nsenter execs it), so its
# /run/systemd/journal/socket is that one.
journald_start() {
	journald_ns_start || return 1
	printf '#!/bin/sh\nexec nsenter -t %s -m -- %s "$@"\n' "$JNS_PID" "$CONMON" >"$T/conmon-in-ns"
	chmod +x "$T/conmon-in-ns"
	CONMON=$T/conmon-in-ns
}

# jentries [N]: this container's entries as JSON lines (all fields in
# full), once there are at least N of them.
jentries() {
	local want=${1:-1} deadline=$(($(date +%s) + WAIT))
	while :; do
		nsenter -t "$JNS_PID" -m journalctl --directory=/run/log/journal \
			--all -o json "CONTAINER_ID_FULL=$CID" >"$T/entries"
		[ "$(wc -l <"$T/entries")" -ge "$want" ] && break
		[ "$(date +%s)" -lt "$deadline" ] || {
			echo "$(wc -l <"$T/entries") journal entries, expected $want" >&2
			return 1
		}
		sleep 0.1
	done
	cat "$T/entries"
}

@test "journald: every field, tag, name and labels; k8s-file at once" {
	journald_start
	bundle_sh 'echo hello; sleep 0.2; echo oops >&2'
	run_container --log-path journald: --log-tag the-tag --name ctr-name \
		--log-label COLOR=blue --log-label TEAM=logs
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	jentries 2 >"$T/j"
	assert_eq "$(jq -c 'select(.MESSAGE == "hello\n") | [.PRIORITY, .CONTAINER_ID, .CONTAINER_TAG, .CONTAINER_NAME, .SYSLOG_IDENTIFIER, .COLOR, .TEAM, ._TRANSPORT, ._COMM]' "$T/j")" \
		"[\"6\",\"${CID:0:12}\",\"the-tag\",\"ctr-name\",\"the-tag\",\"blue\",\"logs\",\"journal\",\"conmon\"]" "stdout entry"
	assert_eq "$(jq -c 'select(.MESSAGE == "oops\n") | [.PRIORITY, .CONTAINER_PARTIAL_MESSAGE]' "$T/j")" \
		'["3",null]' "stderr entry"
	assert_eq "$(jq -r '._PID' "$T/j" | sort -u)" "$MONITOR_PID" "sender"
	# Both drivers got the output.
	assert_eq "$(log_text)" "$(printf 'hello\noops')"
}

@test "journald: <0>..<7> set PRIORITY, invalid prefixes stay text" {
	journald_start
	bundle_sh 'for i in 0 1 2 3 4 5 6 7; do printf "<$i>p$i\n"; done
		printf "<8>a\n<>b\n<x>c\n< 0>d\n<<0>>e\n<0\nmid<3>f\n<0>Multi<1>g\n" >&2'
	run_container --log-path journald:
	wait_monitor_gone
	jentries 16 >"$T/j"
	# stdout and stderr are separate pipes: compare sorted.
	jq -r '.PRIORITY + " " + (.MESSAGE | rtrimstr("\n"))' "$T/j" | sort >"$T/got"
	sort >"$T/want" <<-'EOF'
		0 p0
		1 p1
		2 p2
		3 p3
		4 p4
		5 p5
		6 p6
		7 p7
		3 <8>a
		3 <>b
		3 <x>c
		3 < 0>d
		3 <<0>>e
		3 <0
		3 mid<3>f
		0 Multi<1>g
	EOF
	diff "$T/want" "$T/got" >&2
}

@test "journald: a 1 MiB line becomes partial entries joined by ID, ORDINAL, LAST" {
	journald_start
	bundle_sh 'head -c 1048576 /dev/zero | tr "\0" x; echo; echo after'
	run_container --log-path journald:
	wait_monitor_gone
	jentries 2 >/dev/null
	# Wait for the whole line: its last piece carries LAST.
	wait_until "$WAIT" sh -c 'nsenter -t "$1" -m journalctl --directory=/run/log/journal -o json "CONTAINER_ID_FULL=$2" CONTAINER_PARTIAL_LAST=true | grep -q .' sh "$JNS_PID" "$CID"
	jentries 2 >"$T/j"
	jq -s '
		[.[] | select(.CONTAINER_PARTIAL_ID != null)] as $p
		| ($p | map(.CONTAINER_PARTIAL_ID) | unique | length) == 1
		and ($p | map(.CONTAINER_PARTIAL_ORDINAL | tonumber)) == [range(1; ($p | length) + 1)]
		and ($p | map(.MESSAGE) | add) == ("x" * 1048576 + "\n")
		and ($p[:-1] | all(.CONTAINER_PARTIAL_MESSAGE == "true" and .CONTAINER_PARTIAL_LAST == null))
		and ($p[-1].CONTAINER_PARTIAL_LAST == "true" and $p[-1].CONTAINER_PARTIAL_MESSAGE == null)
		and ($p | length) > 60
		and ([.[] | select(.MESSAGE == "after\n" and .CONTAINER_PARTIAL_ID == null)] | length) == 1
	' "$T/j" | grep -qx true || {
		jq -c '[.CONTAINER_PARTIAL_ID, .CONTAINER_PARTIAL_ORDINAL, .CONTAINER_PARTIAL_MESSAGE, .CONTAINER_PARTIAL_LAST, (.MESSAGE | length)]' "$T/j" >&2
		return 1
	}
}

@test "journald: binary bytes, and newlines inside a label value" {
	journald_start
	bundle_sh 'printf "a\001\377b\n"; printf "tail-without-newline"'
	run_container --log-path journald: --no-container-partial-message \
		--log-label $'NL=line1\nline2'
	wait_monitor_gone
	jentries 2 >"$T/j"
	assert_eq "$(jq -c '[.NL] | map(if type == "array" then implode else . end) | .[0]' "$T/j" | sort -u)" \
		'"line1\nline2"' "label value with a newline"
	# journalctl shows a value that is not text as an array of bytes.
	assert_eq "$(jq -c 'select(.MESSAGE | type == "array") | .MESSAGE' "$T/j")" \
		"[97,1,255,98,10]" "binary MESSAGE"
	assert_eq "$(jq -c 'select(.MESSAGE == "tail-without-newline") | [.CONTAINER_PARTIAL_MESSAGE]' "$T/j")" \
		'[null]' "--no-container-partial-message"
}

# journald_pid: the journald that journald_ns_start started: the one
# process of that name in the sleeper's mount namespace.
journald_pid() {
	local ns p
	ns=$(readlink "/proc/$JNS_PID/ns/mnt") || return 1
	for p in $(pgrep -x systemd-journal); do
		if [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ]; then
			echo "$p"
			return 0
		fi
	done
	echo "no journald in the namespace of $JNS_PID" >&2
	return 1
}

@test "journald: 200,000 lines while journald is stopped for 1.5 s: every entry, in order" {
	journald_start
	local jpid n
	jpid=$(journald_pid)
	bundle_sh 'seq 1 200000'
	conmon_create --log-path journald:
	kill -STOP "$jpid"
	container_start
	# While journald sleeps its queue fills and the container waits.
	sleep 1.5
	kill -CONT "$jpid"
	wait_exit 120
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone 60
	seq 1 200000 >"$T/want"
	# journald stores what it has read; wait until it has all of it.
	for _ in $(seq 1 100); do
		nsenter -t "$JNS_PID" -m journalctl --directory=/run/log/journal \
			-o cat "CONTAINER_ID_FULL=$CID" | grep -v '^$' >"$T/got"
		n=$(wc -l <"$T/got")
		[ "$n" -ge 200000 ] && break
		sleep 0.2
	done
	echo "# $n entries" >&3
	assert_eq "$n" 200000 "entries"
	cmp "$T/want" "$T/got" >&2
}

@test "journald: none listening: conmon and the container run on, with one warning" {
	syslog_listen
	# A mount namespace whose /run/systemd is empty: no journal socket,
	# whatever this host runs.
	mkdir -p /run/systemd
	printf '#!/bin/sh\nexec unshare -m --propagation private sh -c '\''mount -t tmpfs tmpfs /run/systemd && exec "$0" "$@"'\'' %s "$@"\n' "$CONMON" >"$T/conmon-no-journal"
	chmod +x "$T/conmon-no-journal"
	CONMON=$T/conmon-no-journal
	bundle_sh 'seq 1 2000; echo into the void'
	run_container --log-path journald: --syslog
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	sed 's/^/#   /' "$T/syslog" >&3
	assert_eq "$(syslog_count 'journald is not running')" 1 "warnings"
}
