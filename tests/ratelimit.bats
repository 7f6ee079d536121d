#!/usr/bin/env bats
# The log rate limit on a real runtime ($RUNTIME: runc or crun): set by the
# annotations io.conmon.log-rate / io.conmon.log-burst of the bundle's
# config.json or by CONMON_LOG_RATE / CONMON_LOG_BURST, the annotation
# winning; the rate and the time it takes, conmon's CPU while it holds the
# container back, every byte reaching the log and an attach client, the
# timer that exists only when needed, bad values, --timeout and the
# container's exit while held back, a 1 MiB config.json.
# Spec: docs/logging.md §9, docs/attach.md §6.

load helpers
load lib/attach

MIB=1048576

setup() {
	common_setup
	attach_tools_build
}

teardown() {
	probes_teardown
	common_teardown
}

# annotate KEY=VALUE...: add annotations to $BUNDLE/config.json.
annotate() {
	local kv
	for kv in "$@"; do
		jq --arg k "${kv%%=*}" --arg v "${kv#*=}" '.annotations[$k] = $v' \
			"$BUNDLE/config.json" >"$BUNDLE/config.json.tmp" &&
			mv "$BUNDLE/config.json.tmp" "$BUNDLE/config.json" || return 1
	done
}

# bundle_writer MIB [SCRIPT AFTER]: a container that writes MIB MiB of
# random bytes to stdout as fast as it can (cat of a bind-mounted file),
# then runs SCRIPT AFTER; $T/data/a holds the bytes.
bundle_writer() {
	mkdir -p "$T/data"
	head -c $(($1 * MIB)) /dev/urandom >"$T/data/a"
	bundle_sh "cat /data/a${2:+; $2}" --bind "$T/data:/data"
}

# timerfds PID: how many timerfds PID has open.
timerfds() {
	local f n=0
	for f in /proc/$1/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:[timerfd]" ] && n=$((n + 1))
	done
	echo "$n"
}

# timerfds_are PID N: for wait_until.
timerfds_are() {
	[ "$(timerfds "$1")" = "$2" ]
}

# cpu_ns PID: the CPU time PID has used, in ns (/proc/PID/schedstat: finer
# than the clock ticks of /proc/PID/stat).
cpu_ns() {
	awk '{ print $1 }' "/proc/$1/schedstat"
}

# rchar PID: the bytes PID has read so far (/proc/PID/io).
rchar() {
	awk '/^rchar:/ { print $2 }' "/proc/$1/io"
}

# start_timed: start the created container; T0 is just before the
# runtime's start.
start_timed() {
	T0=$(date +%s%N)
	container_start
}

# wait_exit_timed [TIMEOUT]: wait for the exit file; ELAPSED_MS from T0
# to the moment conmon wrote it (its mtime: the test's polling adds
# nothing).
wait_exit_timed() {
	local mtime
	wait_exit "${1:-$WAIT}" || return 1
	mtime=$(stat -c %.9Y "$EXIT_DIR/$CID") || return 1
	ELAPSED_MS=$(((${mtime/./} - T0) / 1000000))
}

# sleep_until MS: sleep until MS milliseconds after T0 (to measure over a
# window; the test does not rely on it for anything to happen).
sleep_until() {
	local left=$((T0 / 1000000 + $1 - $(date +%s%N) / 1000000))
	[ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

# assert_ms_between LOW HIGH WHAT: LOW <= ELAPSED_MS <= HIGH.
assert_ms_between() {
	echo "# $3: $ELAPSED_MS ms" >&3
	[ "$ELAPSED_MS" -ge "$1" ] && [ "$ELAPSED_MS" -le "$2" ] || {
		echo "$3 took $ELAPSED_MS ms, expected $1-$2 ms" >&2
		return 1
	}
}

# assert_logged_whole: the log's stdout is $T/data/a, byte for byte.
assert_logged_whole() {
	assert_eq "$(log_stream stdout | sha256sum)" "$(sha256sum <"$T/data/a")" "sha256 of the logged stdout"
}

# log_window_rates BURST: "MIN MAX", the lowest and the highest bytes per
# second of the container's output over the 2 s windows (one every 50 ms)
# that start once BURST bytes were read and end by the last record, from
# the timestamps conmon gives each record when it reads it.
log_window_rates() {
	perl -e '
		my ($burst, @t, @c) = (shift);
		my ($sum, $prev, $day) = (0, -1, 0);
		while (<>) {
			/\A\S+T(\d\d):(\d\d):(\d\d\.\d{9})\S* \S+ ([PF]) (.*)\z/s or die "bad record: $_";
			my $s = $1 * 3600 + $2 * 60 + $3;
			$day += 86400 if $s + $day < $prev;
			$prev = $s + $day;
			push @t, $prev;
			push @c, ($sum += length($5) - ($4 eq "P"));
		}
		# bytes(x): what was read by time x.
		my $bytes = sub { my ($x, $b) = (shift, 0); for my $i (0 .. $#t) { last if $t[$i] > $x; $b = $c[$i] } $b };
		my ($i) = grep { $c[$_] >= $burst } 0 .. $#c;
		my ($min, $max);
		for (my $x = $t[$i]; $x + 2 <= $t[-1]; $x += 0.05) {
			my $r = ($bytes->($x + 2) - $bytes->($x)) / 2;
			$min = $r if !defined $min || $r < $min;
			$max = $r if !defined $max || $r > $max;
		}
		printf "%d %d\n", $min // 0, $max // 0;
	' "$1" "$CTR_LOG"
}

# logged_bytes_are N: the log's stdout holds N bytes (for wait_until).
logged_bytes_are() {
	[ "$(log_stream stdout | wc -c)" -eq "$1" ]
}

# ---------------------------------------------------------------- the limit

@test "io.conmon.log-rate=2M: 8 MiB logged whole in 3 s (±10%), 2 MiB/s (±10%) over 2 s, under 5% CPU, one timerfd" {
	syslog_listen
	bundle_writer 8
	annotate io.conmon.log-rate=2M
	conmon_create --syslog
	assert_contains "$(cat "$T/launcher.err")" \
		"log rate limit: 2097152 bytes/s (annotation io.conmon.log-rate), burst 2097152 bytes (default: one second's worth)"
	start_timed
	# The burst (2 MiB) goes at once; then 2 MiB/s: sample a 2 s window
	# well inside the held-back part (0.5 s to 2.5 s).
	sleep_until 500
	local c0 r0 t0 c1 r1 t1 timers
	c0=$(cpu_ns "$MONITOR_PID") r0=$(rchar "$MONITOR_PID") t0=$(date +%s%N)
	timers=$(timerfds "$MONITOR_PID")
	sleep_until 2500
	c1=$(cpu_ns "$MONITOR_PID") r1=$(rchar "$MONITOR_PID") t1=$(date +%s%N)
	wait_exit_timed 20
	assert_eq "$EXIT_CODE" 0
	wait_monitor_gone
	# 6 MiB beyond the burst at 2 MiB/s.
	assert_ms_between 2700 3300 "8 MiB at 2 MiB/s from runtime start to the exit file"
	assert_logged_whole
	local rates
	rates=($(log_window_rates $((2 * MIB))))
	echo "# 2 s windows after the burst, from the log's timestamps: ${rates[0]}-${rates[1]} bytes/s" >&3
	[ "${rates[0]}" -ge $((2 * MIB * 9 / 10)) ] && [ "${rates[1]}" -le $((2 * MIB * 11 / 10)) ] || {
		echo "2 s windows at ${rates[0]}-${rates[1]} bytes/s, expected 2 MiB/s ±10%" >&2
		return 1
	}
	local ms=$(((t1 - t0) / 1000000)) cpu_us=$(((c1 - c0) / 1000))
	# CPU per mille of the window.
	local bps=$(((r1 - r0) * 1000 / ms)) cpu_pm=$((cpu_us / ms))
	echo "# window of $ms ms: $((r1 - r0)) bytes read, $bps bytes/s; conmon CPU $((cpu_us / 1000)) ms = $((cpu_pm / 10)).$((cpu_pm % 10))%" >&3
	[ "$bps" -ge $((2 * MIB * 9 / 10)) ] && [ "$bps" -le $((2 * MIB * 11 / 10)) ] || {
		echo "read $bps bytes/s over the window, expected 2 MiB/s ±10%" >&2
		return 1
	}
	[ "$cpu_pm" -lt 50 ] || { echo "conmon used $((cpu_pm / 10)).$((cpu_pm % 10))% of a core" >&2; return 1; }
	assert_eq "$timers" 1 "timerfds while held back"
	# Said once at info level, and the count of pauses at exit (debug).
	assert_eq "$(syslog_count "Container output is rate limited: holding back its output (2097152 bytes/s from annotation io.conmon.log-rate, burst 2097152 bytes)")" 1 "info lines"
	local paused
	paused=$(grep -o 'log rate limit: paused [0-9]* times' "$T/syslog" | grep -o '[0-9]*')
	echo "# paused $paused times" >&3
	# About 3 s at most 50 resumes a second.
	[ "${paused:-0}" -ge 10 ] && [ "$paused" -le 160 ] || { echo "paused '$paused' times" >&2; return 1; }
}

@test "CONMON_LOG_RATE=2M without an annotation: 8 MiB in 3 s (±10%)" {
	bundle_writer 8
	CONMON_ENV=(CONMON_LOG_RATE=2M)
	conmon_create
	assert_contains "$(cat "$T/launcher.err")" \
		"log rate limit: 2097152 bytes/s (CONMON_LOG_RATE), burst 2097152 bytes (default: one second's worth)"
	start_timed
	wait_exit_timed 20
	assert_eq "$EXIT_CODE" 0
	assert_ms_between 2700 3300 "8 MiB at 2 MiB/s from CONMON_LOG_RATE"
	wait_monitor_gone
	assert_logged_whole
}

@test "the annotation wins over CONMON_LOG_RATE, each setting on its own: rate 2M from the annotation, burst 4M from CONMON_LOG_BURST" {
	bundle_writer 10
	annotate io.conmon.log-rate=2M
	CONMON_ENV=(CONMON_LOG_RATE=64k CONMON_LOG_BURST=4M)
	conmon_create
	assert_contains "$(cat "$T/launcher.err")" \
		"log rate limit: 2097152 bytes/s (annotation io.conmon.log-rate), burst 4194304 bytes (CONMON_LOG_BURST)"
	start_timed
	wait_exit_timed 20
	assert_eq "$EXIT_CODE" 0
	# 6 MiB beyond the burst at 2 MiB/s.
	assert_ms_between 2700 3300 "10 MiB at 2 MiB/s with a 4 MiB burst"
	wait_monitor_gone
	assert_logged_whole
}

@test "io.conmon.log-rate=0 lifts the host's CONMON_LOG_RATE: no limit, no timerfd" {
	bundle_writer 8 'exec sleep 600'
	annotate io.conmon.log-rate=0
	CONMON_ENV=(CONMON_LOG_RATE=64k)
	conmon_create
	assert_contains "$(cat "$T/launcher.err")" "log rate limit: none, 0 in annotation io.conmon.log-rate"
	start_timed
	# 8 MiB at 64 KiB/s would take two minutes.
	wait_until "$WAIT" logged_bytes_are $((8 * MIB))
	assert_eq "$(timerfds "$MONITOR_PID")" 0 "timerfds"
	assert_logged_whole
}

# ---------------------------------------------------------------- no limit

@test "no limit: no timerfd while the container writes, and the output goes at full speed" {
	bundle_sh 'while :; do echo 0123456789abcdefghijklmnopqrstuvwxyz; done'
	conmon_create
	assert_contains "$(cat "$T/launcher.err")" "log rate limit: none"
	start_timed
	local i size0 size1
	wait_until "$WAIT" test -s "$CTR_LOG"
	size0=$(stat -c %s "$CTR_LOG")
	for i in 1 2 3 4 5; do
		assert_eq "$(timerfds "$MONITOR_PID")" 0 "timerfds"
		sleep 0.1
	done
	size1=$(stat -c %s "$CTR_LOG")
	echo "# unlimited: $(((size1 - size0) / 1024)) KiB logged in 0.5 s" >&3
	[ $((size1 - size0)) -gt $((2 * MIB)) ]
}

# ---------------------------------------------------------------- bad values

@test "a bad value in the annotation: a warning naming it (stderr and syslog), and no limit" {
	syslog_listen
	bundle_writer 8 'exec sleep 600'
	annotate io.conmon.log-rate=12x
	CONMON_ENV=(CONMON_LOG_RATE=64k)
	conmon_create --syslog
	local warning='Invalid log rate limit "12x" in annotation io.conmon.log-rate: ignored, no limit'
	assert_contains "$(cat "$T/launcher.err")" "[conmon:w]: $warning"
	assert_eq "$(syslog_count "$warning")" 1 "warnings in syslog"
	start_timed
	wait_until "$WAIT" logged_bytes_are $((8 * MIB))
	assert_eq "$(timerfds "$MONITOR_PID")" 0 "timerfds"
}

@test "a bad value in CONMON_LOG_BURST: a warning naming it, and no limit" {
	bundle_writer 8 'exec sleep 600'
	annotate io.conmon.log-rate=64k
	CONMON_ENV=(CONMON_LOG_BURST=4MiB)
	conmon_create
	assert_contains "$(cat "$T/launcher.err")" \
		'[conmon:w]: Invalid log rate limit "4MiB" in CONMON_LOG_BURST: ignored, no limit'
	start_timed
	wait_until "$WAIT" logged_bytes_are $((8 * MIB))
}

@test "config.json nested deeper than conmon reads: a warning, and CONMON_LOG_RATE still applies" {
	bundle_writer 8
	annotate io.conmon.log-rate=12x
	# 70 nested arrays under a key the runtime ignores: valid JSON
	# that the scanner (64 levels) does not follow.
	jq --argjson deep "$(printf '[%.0s' $(seq 70); printf ']%.0s' $(seq 70))" \
		'.["org.example.deep"] = $deep' "$BUNDLE/config.json" >"$BUNDLE/config.json.tmp"
	mv "$BUNDLE/config.json.tmp" "$BUNDLE/config.json"
	CONMON_ENV=(CONMON_LOG_RATE=2M)
	conmon_create
	assert_contains "$(cat "$T/launcher.err")" "[conmon:w]: Cannot read the annotations of $BUNDLE/config.json: JSON nested deeper than 64 levels at byte "
	assert_contains "$(cat "$T/launcher.err")" "log rate limit: 2097152 bytes/s (CONMON_LOG_RATE)"
	start_timed
	wait_exit_timed 20
	assert_eq "$EXIT_CODE" 0
	assert_ms_between 2700 3300 "8 MiB at 2 MiB/s"
	wait_monitor_gone
	assert_logged_whole
}

# ---------------------------------------------------------------- while held back

@test "an attach client connected while the output is held back gets every byte, and so does the log" {
	bundle_writer 8
	annotate io.conmon.log-rate=2M
	conmon_create
	probe_start c --no-stdin "$BUNDLE/attach"
	start_timed
	wait_exit_timed 20
	probe_wait c
	assert_eq "$PROBE_STATUS" 0 "the client"
	assert_ms_between 2700 3300 "8 MiB at 2 MiB/s with a client"
	assert_eq "$(sha256sum <"$T/c.2")" "$(sha256sum <"$T/data/a")" "sha256 of what the client read"
	assert_logged_whole
}

@test "--timeout while the output is held back: the container is killed on time, exit files hold -1" {
	bundle_sh 'while :; do echo 0123456789abcdefghijklmnopqrstuvwxyz; done'
	annotate io.conmon.log-rate=64k
	# The timeout counts from the container's creation (docs/lifecycle.md
	# §8): time it from before conmon starts.
	T0=$(date +%s%N)
	conmon_create --timeout 1
	container_start
	wait_until "$WAIT" timerfds_are "$MONITOR_PID" 2
	wait_exit_timed 8
	assert_eq "$EXIT_CODE" -1 "exit status"
	assert_decimal_file "$PERSIST_DIR/exit" -1
	assert_ms_between 1000 1800 "--timeout 1 from conmon's start"
	wait_monitor_gone
	wait_until "$WAIT" pid_gone "$CTR_PID"
}

@test "the container's exit while its output is held back for 30 s: seen at once, the rest read at once" {
	# 40 KiB at 1 KiB/s: the first read (32 KiB) spends the bucket for
	# half a minute; the container's last 8 KiB wait in the pipe.
	mkdir -p "$T/data"
	head -c 40960 /dev/urandom >"$T/data/a"
	bundle_sh 'cat /data/a; exit 3' --bind "$T/data:/data"
	annotate io.conmon.log-rate=1k
	syslog_listen
	conmon_create --syslog
	start_timed
	wait_exit_timed 8
	assert_eq "$EXIT_CODE" 3
	assert_ms_between 0 1500 "exit while held back"
	wait_monitor_gone
	assert_logged_whole
	# It was held back when the container exited: one pause, not over.
	assert_eq "$(syslog_count "log rate limit: paused 1 times")" 1 "pauses at exit"
}

@test "the container killed while its output is held back: the exit is seen at once" {
	bundle_sh 'while :; do echo 0123456789abcdefghijklmnopqrstuvwxyz; done'
	annotate io.conmon.log-rate=64k io.conmon.log-burst=64k
	conmon_create
	start_timed
	wait_until "$WAIT" timerfds_are "$MONITOR_PID" 1
	T0=$(date +%s%N)
	rt kill "$CID" KILL
	wait_exit_timed 8
	assert_eq "$EXIT_CODE" 137
	assert_ms_between 0 1000 "exit after the kill"
	wait_monitor_gone
}

# ---------------------------------------------------------------- memory

# next_container: names and files for another container in this test,
# once the previous one is gone.
next_container() {
	# Of one length: the monitors' stacks then hold the same.
	CID=$(printf 'conmon-test-%d-%05d%05d' "$(date +%s)" $RANDOM $RANDOM)
	CUUID=$CID
	BUNDLE=$T/bundle-$CID
	CTR_LOG=$T/$CID.log
	CTR_PIDFILE=$T/$CID.pid
	CONMON_PIDFILE=$T/$CID.conmon-pid
	MONITOR_PID= CTR_PID= CTR_START=
	mkdir -p "$BUNDLE"
}

# idle_rss_anon BIG: RssAnon (kB) of the monitor of a container that
# prints a line and sleeps, limited to 1 MiB/s by the annotation, with a
# config.json grown to 1 MiB by an annotation before it when BIG is 1;
# the container is gone afterwards.
idle_rss_anon() {
	next_container
	bundle_sh 'echo hi; exec sleep 600'
	: >"$T/filler"
	[ "$1" = 1 ] && head -c "$MIB" /dev/zero | tr '\0' x >"$T/filler"
	jq --rawfile big "$T/filler" '.annotations["org.example.filler"] = $big | .annotations["io.conmon.log-rate"] = "1M"' \
		"$BUNDLE/config.json" >"$BUNDLE/config.json.tmp" &&
		mv "$BUNDLE/config.json.tmp" "$BUNDLE/config.json"
	conmon_create || return 1
	assert_contains "$(cat "$T/launcher.err")" "log rate limit: 1048576 bytes/s (annotation io.conmon.log-rate)" || return 1
	container_start
	wait_until "$WAIT" test -s "$CTR_LOG"
	# Settled: the monitor sleeps in epoll_wait.
	sleep 0.5
	RSS_ANON=$(awk '/^RssAnon:/ { print $2 }' "/proc/$MONITOR_PID/status")
	CONFIG_SIZE=$(stat -c %s "$BUNDLE/config.json")
	rt kill "$CID" KILL
	wait_exit
	wait_monitor_gone
	rt delete --force "$CID"
}

@test "a 1 MiB config.json with the annotations at its end: found, and the idle monitor's memory is that of a small config.json" {
	local small big size
	# Without address space randomization: where the stack starts in
	# its page would otherwise decide whether it holds 8 or 12 kB.
	printf '#!/bin/sh\nexec setarch "$(uname -m)" -R %q "$@"\n' "$CONMON" >"$T/conmon-no-aslr"
	chmod +x "$T/conmon-no-aslr"
	CONMON=$T/conmon-no-aslr
	idle_rss_anon 0
	small=$RSS_ANON
	idle_rss_anon 1
	big=$RSS_ANON
	echo "# idle monitor RssAnon: $small kB (small config.json), $big kB (config.json of $CONFIG_SIZE bytes)" >&3
	[ "$CONFIG_SIZE" -ge "$MIB" ]
	[ "$big" -le "$small" ] || { echo "RssAnon $big kB with a 1 MiB config.json, $small kB without" >&2; return 1; }
}
