#!/usr/bin/env bats
# Rootless `podman run -it` on $CONMON through a real terminal (tmux):
# typing, reading, the initial size, a resize, the exit code. conmon
# receives the pty from runc over its console socket in the user's TMPDIR.
# The same check as tests/podman/stdio.bats.
# Spec: docs/stdio.md §2, docs/attach.md, docs/ctl.md §3-§4.

load helpers

@test "run -it in tmux: typing and reading, the initial size, a resize, exit status" {
	check_run_it_in_tmux
}
