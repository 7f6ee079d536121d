# tests/podman-rootless/helpers.bash - rootless Podman, end to end, on $CONMON.
#
# The same harness as tests/podman (whose helpers this loads: gates,
# waits, podman_bg, monitor_pids, assert_ours, ...), with Podman run by an
# ordinary user, as on a desktop: conmon then runs as that user inside
# Podman's user namespace, without CAP_NET_ADMIN or cgroups of its own.
#
# The user ($ROOTLESS_USER) is made once per machine by
# tests/lib/rootless-user (home, subuid and subgid ranges). Each bats run
# gives it a directory of its own, $RL, under bats' run directory:
#   $RL/bin/conmon   a copy of $CONMON: the checkout may sit where the user
#                    cannot reach (under /root); every test cmp's it
#                    against $CONMON and proves each monitor runs it
#   $RL/home         HOME (0700): ~/.config/containers/containers.conf
#                    names the copy in conmon_path, as README.md tells
#                    rootless users; storage.conf picks vfs; the store
#                    is Podman's rootless default, ~/.local/share/containers
#   $RL/run          XDG_RUNTIME_DIR (0700): the runroot (containers/) and
#                    Podman's tmpdir (libpod/tmp: exits, pause.pid)
#   $RL/tmp          TMPDIR, for conmon's console sockets
# Everything else is Podman's rootless default. The settings this host
# needs are those README.md gives: runc (crun refuses rootless on hybrid
# cgroups), cgroupfs (no systemd), the file events logger, no network
# (no slirp4netns), file locks in the store (runs of the same user at
# once do not share /dev/shm's lock table).
#
# Podman runs as the user through setpriv with a clean environment: HOME,
# XDG_RUNTIME_DIR, TMPDIR, USER, LOGNAME and a plain PATH, nothing of
# root's. Rootless Podman keeps its user namespace alive in a pause
# process (pause.pid in its tmpdir); rootless_suite_teardown ends it.
#
# Environment: as tests/podman, and
#   ROOTLESS_USER   the unprivileged user (default conmon-rootless)

ROOTLESS_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../podman/helpers.bash
. "$ROOTLESS_TESTS_DIR/../podman/helpers.bash"

ROOTLESS_USER=${ROOTLESS_USER:-conmon-rootless}
RL=$BATS_RUN_TMPDIR/rootless
RL_HOME=$RL/home
RL_RUN=$RL/run
RL_TMP=$RL/tmp
# What assert_ours and assert_exec_ours compare /proc/PID/exe with.
CONMON_REAL=$RL/bin/conmon
# monitor_pids finds the monitors whose --exit-dir lies below $PSTORE:
# Podman's exits directory ($RL/run/libpod/tmp/exits) and those of exec
# sessions (in the bundle under $RL/home).
PSTORE=$RL
# The root Podman's configuration is not this one's.
unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
PODMAN_TMPDIR=$RL_TMP

# as_user COMMAND...: COMMAND as $ROOTLESS_USER, in a clean environment.
# setpriv execs (no PAM session, no process in between), so the pid of a
# background as_user is the command's own.
as_user() {
	setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups -- \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$RL_HOME" \
		USER="$ROOTLESS_USER" LOGNAME="$ROOTLESS_USER" \
		XDG_RUNTIME_DIR="$RL_RUN" TMPDIR="$RL_TMP" "$@"
}

# podman ARGS...: the user's Podman, bounded in time (see tests/podman).
podman() {
	as_user timeout -k 5 "${PODMAN_TIMEOUT:-120}" "$PODMAN_BIN" "$@"
}

# podman_sh: the same, as shell words for a script (the tmux pane).
podman_sh() {
	printf 'setpriv --reuid=%q --regid=%q --init-groups -- ' "$ROOTLESS_USER" "$ROOTLESS_USER"
	printf 'env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=%q USER=%q LOGNAME=%q ' \
		"$RL_HOME" "$ROOTLESS_USER" "$ROOTLESS_USER"
	printf 'XDG_RUNTIME_DIR=%q TMPDIR=%q TERM=%q ' "$RL_RUN" "$RL_TMP" "${TERM:-xterm}"
	printf 'timeout --foreground -k 5 %q %q' "${PODMAN_TIMEOUT:-120}" "$PODMAN_BIN"
}

# ---------------------------------------------------------------- set-up

# rootless_suite_setup: the user, the run's directories, configuration
# and image, once per bats run; then prove that the user's Podman picks
# the copy of $CONMON. Call from setup_file().
rootless_suite_setup() {
	local uid rootless
	if [ ! -x "$CONMON" ]; then
		echo "no conmon binary at $CONMON (run make, or set CONMON)" >&2
		return 1
	fi
	command -v "$PODMAN_BIN" >/dev/null || {
		echo "no podman (apt-get install podman)" >&2
		return 1
	}
	userns_possible || return 1
	"$LIB_DIR/make-rootfs" "$ROOTFS"
	"$LIB_DIR/rootless-user" "$ROOTLESS_USER" || return 1
	uid=$(id -u "$ROOTLESS_USER")
	if [ ! -e "$RL/.ready" ]; then
		# bats made its run directory 0700: let the user through to
		# $RL and to the tests' directories (gates, working directory).
		chmod 0711 "$BATS_RUN_TMPDIR"
		install -d -m 0755 "$RL" "$RL/bin"
		install -m 0755 "$CONMON" "$CONMON_REAL"
		install -d -o "$uid" -g "$(id -g "$ROOTLESS_USER")" -m 0700 \
			"$RL_HOME" "$RL_RUN" "$RL_TMP"
		as_user mkdir -p "$RL_HOME/.config/containers"
		as_user sh -c 'cat >"$HOME/.config/containers/containers.conf"' <<-EOF
			# Written by tests/podman-rootless/helpers.bash for one bats run.
			[containers]
			log_driver = "k8s-file"
			netns = "none"

			[engine]
			cgroup_manager = "cgroupfs"
			conmon_path = ["$CONMON_REAL"]
			events_logger = "file"
			lock_type = "file"
			runtime = "runc"
		EOF
		as_user sh -c 'cat >"$HOME/.config/containers/storage.conf"' <<-EOF
			[storage]
			driver = "vfs"
		EOF
		# The first command starts the user namespace's pause process
		# and warns that / is not a shared mount: keep that out of the
		# tests' output.
		podman info >"$RL/info.out" 2>&1 || {
			cat "$RL/info.out" >&2
			return 1
		}
		podman_import_image || return 1
		: >"$RL/.ready"
	fi
	rootless=$(podman info --format '{{.Host.Security.Rootless}}') || return 1
	assert_eq "$rootless" true "podman info's Rootless" || return 1
	assert_podman_picks_conmon
}

# userns_possible: this kernel lets an ordinary user make a user
# namespace. Debian's own sysctl can forbid it (the default allows), and
# max_user_namespaces can be 0; either is a host that cannot run rootless
# Podman at all, which the suite says by skipping.
userns_possible() {
	local f=/proc/sys/kernel/unprivileged_userns_clone
	if [ -r "$f" ] && [ "$(cat "$f")" = 0 ]; then
		skip "kernel.unprivileged_userns_clone is 0: no rootless containers on this host"
	fi
	if [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
		skip "user.max_user_namespaces is 0: no rootless containers on this host"
	fi
}

# rootless_suite_teardown: end the run's pause process, which holds the
# user namespace (Podman starts a new one when the next file needs it).
# Call from teardown_file().
rootless_suite_teardown() {
	local pid
	pid=$(cat "$RL_RUN/libpod/tmp/pause.pid" 2>/dev/null) || return 0
	# Only if it is still that process: the pid of an exited one may be
	# anyone's by now.
	if [ "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "$ROOTLESS_USER" ] &&
		[ "$(readlink "/proc/$pid/exe")" = "$(realpath "$PODMAN_BIN")" ]; then
		kill -KILL "$pid"
	fi
	rm -f "$RL_RUN/libpod/tmp/pause.pid"
}

# rootless_setup: per-test names (podman_setup), and the copy Podman runs
# is still the binary under test. Call from setup().
rootless_setup() {
	podman_setup || return 1
	cmp "$CONMON_REAL" "$CONMON" >&2 || {
		echo "$CONMON_REAL is no longer a copy of $CONMON" >&2
		return 1
	}
	as_user test -r "$GATE" -a -x "$T/cwd" || {
		echo "$ROOTLESS_USER cannot reach $T (TMPDIR of bats must be traversable)" >&2
		return 1
	}
}

# ---------------------------------------------------------------- hooks

# Every file of the suite uses these; one that needs more defines its own
# after `load helpers` and calls the rootless_* function first.
setup_file() {
	rootless_suite_setup
}

teardown_file() {
	rootless_suite_teardown
}

setup() {
	rootless_setup
}

teardown() {
	podman_teardown
}

# ---------------------------------------------------------------- files

# ROOTLESS_UID, ROOTLESS_GID: the user's, as stat prints them.
rootless_ids() {
	ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
	ROOTLESS_GID=$(id -g "$ROOTLESS_USER")
}

# assert_user_file PATH TYPE MODE: PATH is a TYPE (stat's %F: "regular
# file", "socket", "fifo") of the user and its group, with octal MODE.
assert_user_file() {
	local got
	got=$(stat -c '%u:%g %F %a' "$1") || return 1
	# An empty regular file is "regular empty file" to stat.
	got=${got/regular empty file/regular file}
	assert_eq "$got" "$ROOTLESS_UID:$ROOTLESS_GID $2 $3" "owner, type and mode of $1"
}
