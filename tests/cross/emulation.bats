#!/usr/bin/env bats
# emulation.bats - the set-up of tests/lib/cross-suite, checked before its
# suites: conmon (a make cross binary) runs under qemu-user, and what it
# execs, the host's runtime, runs natively.

load ../helpers

setup() {
	[ -n "${CONMON_EMULATOR:-}" ] || skip "CONMON is not run under an emulator (tests/lib/cross-suite sets CONMON_EMULATOR)"
	common_setup
}

teardown() {
	common_teardown
}

@test "emulation: the monitor is qemu running conmon; the runtime it execs runs natively and the container is the monitor's child" {
	# The runtime named to conmon is a script that records which program
	# runs it, then execs runc: /bin/sh's own binary when the kernel ran
	# it, qemu's when an emulator was put in between.
	cat >"$T/runtime" <<-EOF
		#!/bin/sh
		readlink /proc/\$\$/exe >"$T/runtime.exe"
		exec "$RUNTIME_PATH" "\$@"
	EOF
	chmod +x "$T/runtime"
	RUNTIME_UNDER_TEST=$T/runtime
	bundle_sh 'exec sleep 600'
	conmon_create
	assert_eq "$(readlink "/proc/$MONITOR_PID/exe")" "$(readlink -f "$CONMON_EXE")" "monitor executable"
	assert_eq "$(cat "/proc/$MONITOR_PID/comm")" conmon "monitor comm"
	assert_eq "$(cat "$T/runtime.exe")" "$(readlink -f /bin/sh)" "program running the runtime script"
	# runc (x86-64) created the container, and conmon under qemu became
	# its subreaper: the container's parent once runc has exited.
	assert_eq "$(pid_ppid "$CTR_PID")" "$MONITOR_PID" "parent of the container"
	container_start
	rt kill "$CID" KILL
	wait_exit
	assert_eq "$EXIT_CODE" 137
	wait_monitor_gone
}
