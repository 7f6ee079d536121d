# lib/syslog.bash - conmon's --syslog messages, for the suites that read
# them (oom.bats, podman-rootless). Load after helpers.bash; call
# syslog_stop from teardown().

# syslog_listen: gather conmon's --syslog messages in $T/syslog.  Once
# the launcher has forked, the monitor's stderr is /dev/null: syslog is
# where it speaks.  This host runs no syslog daemon, so the test serves
# /dev/log itself for a while, under a lock (other tests may want it) and
# with a marker that tells a socket left by a killed run from a daemon's.
DEVLOG_LOCK=/run/conmon-tests-devlog.lock
DEVLOG_OURS=/run/conmon-tests-devlog.ours

syslog_listen() {
	exec {SYSLOG_LOCK_FD}>"$DEVLOG_LOCK"
	flock -w 60 "$SYSLOG_LOCK_FD" || {
		echo "# another test held /dev/log for 60 s" >&2
		return 1
	}
	if [ -e /dev/log ] && [ ! -e "$DEVLOG_OURS" ]; then
		skip "a syslog daemon owns /dev/log, so conmon's messages go there"
	fi
	rm -f /dev/log
	: >"$DEVLOG_OURS"
	: >"$T/syslog"
	socat -u UNIX-RECV:/dev/log,mode=0666 OPEN:"$T/syslog",append &
	SYSLOG_PID=$!
	wait_until 5 test -S /dev/log
}

syslog_stop() {
	[ -n "${SYSLOG_PID:-}" ] || return 0
	kill "$SYSLOG_PID" 2>/dev/null || true
	wait "$SYSLOG_PID" 2>/dev/null || true
	rm -f /dev/log "$DEVLOG_OURS"
	SYSLOG_PID=
	exec {SYSLOG_LOCK_FD}>&-
}

# syslog_count TEXT: how many messages contain TEXT (datagrams are stored
# back to back, so count occurrences, not lines).
syslog_count() {
	grep -o -F -- "$1" "$T/syslog" | wc -l
}

# syslog_conmon CID: conmon's messages about container CID, one a line,
# from "<KIND>: " on (logging.md §8.3: "conmon <first 20 bytes of the
# cid> <KIND>: text"; the datagrams are split where the next begins).
syslog_conmon() {
	SYSLOG_CID=${1:0:20} perl -0777 -ne '
		for my $m (split /(?=<\d{1,3}>)/) {
			print "$1\n" if $m =~ /conmon \Q$ENV{SYSLOG_CID}\E (<\w+>: .*?)\n?\z/s;
		}' "$T/syslog"
}
