#!/usr/bin/env bats
# Rootless Podman on $CONMON: stop (a SIGTERM handler's exit code; SIGKILL
# after the timeout) and restart, where the user's Podman signals the
# container and starts a new conmon inside its user namespace. The same
# checks as tests/podman/lifecycle.bats.
# Spec: docs/clients.md §2.6-§2.9, docs/lifecycle.md §10-§15.

load helpers

@test "stop: a SIGTERM handler's exit code is the container's, without waiting for the timeout" {
	check_stop_term_handler
}

@test "stop: SIGTERM ignored, SIGKILL after the 2 s timeout gives 137" {
	check_stop_kill_after_timeout
}

@test "restart: a new monitor, ours, and a new container process; the log keeps both runs" {
	check_restart
}
