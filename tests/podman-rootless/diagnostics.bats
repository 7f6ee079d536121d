#!/usr/bin/env bats
# What differs for conmon when it runs rootless is said at debug level,
# and nothing of it is a warning or a failure: an ordinary user may not
# force a socket's send buffer past net.core.wmem_max (SO_SNDBUFFORCE
# needs CAP_NET_ADMIN in the host's network namespace), and on a cgroup
# v1 host rootless Podman gives the container no memory cgroup of its own
# (it shares the user's, and conmon's), so there is no OOM to watch.
# `podman --log-level debug` passes `--log-level debug --syslog` to
# conmon, and after the launcher's fork syslog is where conmon speaks.
# Spec: docs/logging.md §8, docs/attach.md §3, docs/oom.md §2.
#
# This test waits for oom.c (issue 15's diagnostics): it fails until the
# unavailable OOM detection is said at debug level, not as a warning.
# sock.c's debug line for the refused SO_SNDBUFFORCE came with main's
# flow control.

load helpers

teardown() {
	syslog_stop
	podman_teardown
}

@test "rootless differences are debug diagnostics: SO_SNDBUFFORCE refused, no memory cgroup of its own; no warning" {
	syslog_listen
	# Attached (no -d): Podman connects to the attach socket, which is
	# where conmon asks for the larger send buffer.
	podman_bg dbg --log-level debug run --name "$NAME" "${GATE_MOUNT[@]}" "$IMAGE" \
		sh -c "$(gate_sh end); echo out; exit 0"
	wait_state "$NAME" running
	assert_ours "$NAME"
	assert_monitor_args --log-level debug --syslog
	gate_open end
	bg_wait
	assert_eq "$BG_STATUS" 0 "podman run status"
	assert_eq "$(cat "$T/dbg.out")" out "output"
	wait_until "$WAIT" pid_gone "$CONMON_PID"

	syslog_conmon "$ID" >"$T/messages"
	sed 's/^/# syslog: /' "$T/messages" >&2
	if conmon_is_upstream_2_1; then
		# Upstream conmon 2.1 (the reference run) says neither at debug
		# level; it warns that it cannot open the shared cgroup's
		# cgroup.event_control. That it fails nothing is all this can
		# check.
		run grep -E '^<error>' "$T/messages"
		assert_eq "$output" "" "errors"
		return 0
	fi
	# The send buffer: the refusal, at debug level.
	grep -q '^<ndebug>: .*SO_SNDBUFFORCE' "$T/messages" || {
		echo "no debug message names SO_SNDBUFFORCE" >&2
		return 1
	}
	# OOM: unavailable, at debug level.
	grep -q '^<ndebug>: .*OOM' "$T/messages" || {
		echo "no debug message says why OOM is not watched" >&2
		return 1
	}
	# And a rootless container is nothing to warn about.
	run grep -E '^<(nwarn|pwarn|pwarnf|error)>' "$T/messages"
	assert_eq "$output" "" "warnings and errors"
}
