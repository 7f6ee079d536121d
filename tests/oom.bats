#!/usr/bin/env bats
# OOM detection end to end (docs/oom.md): a real OOM kill under this host's
# cgroup v1 memory controller with runc, a normal exit under the same
# limit, and crun, which on this host runs without cgroup management (its
# private cgroup2 view has no memory controller): conmon must say once that
# OOM detection is unavailable and carry on.  Each test picks its runtime
# itself, so the file means the same in the runc and the crun pass.
# The v2 logic is covered by tests/unit/test_oom.c through the
# CONMON_TEST_CGROUP_DIR hook, as this host's v2 tree has no controllers.

load helpers
load lib/attach

# 8 MiB: far above what busybox sh needs, far below what the tests
# allocate.
LIMIT=8388608

setup() {
	common_setup
}

teardown() {
	[ -z "${ORDER_PID:-}" ] || kill "$ORDER_PID" 2>/dev/null || true
	common_teardown
}

# use_runtime runc|crun: this test's runtime, whatever $RUNTIME says.
use_runtime() {
	case $1 in
	runc) RUNTIME_PATH=$(command -v runc || echo /usr/sbin/runc) ;;
	crun) RUNTIME_PATH=$LIB_DIR/crun-wrapper ;;
	esac
	RUNTIME_UNDER_TEST=$RUNTIME_PATH
}

need_v1_memory() {
	local fs
	fs=$(stat -f -c %T /sys/fs/cgroup)
	[ "$fs" != cgroup2fs ] && [ -e /sys/fs/cgroup/memory/memory.oom_control ] ||
		skip "this host has no cgroup v1 memory controller"
}

# ------------------------------------------------------------ file order

# watch_order DIR...: record, in the kernel's order, every name created in
# or renamed into DIRs, until the exit-dir file appears.  inotify's one
# queue orders events across directories, which polling cannot.  The
# watcher is compiled here, as the tests already need a C compiler.
watch_order() {
	local cc=${CC_FOR_TESTS:-cc}
	"$cc" -o "$T/order" -x c - <<'EOF' || return 1
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* order STOP DIR...: print DIR/NAME for each name created or moved into a
 * DIR, until NAME is STOP. */
int main(int argc, char **argv)
{
	char buf[4096] __attribute__((aligned(8)));
	int fd = inotify_init(), wd[16];

	alarm(120);
	for (int i = 2; i < argc && i < 16; i++)
		wd[i] = inotify_add_watch(fd, argv[i], IN_CREATE | IN_MOVED_TO);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			return 1;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			for (int i = 2; i < argc && i < 16; i++)
				if (wd[i] == e->wd)
					printf("%s/%s\n", argv[i], e->name);
			fflush(stdout);
			if (e->len && strcmp(e->name, argv[1]) == 0)
				return 0;
			p += sizeof(*e) + e->len;
		}
	}
}
EOF
	"$T/order" "$CID" "$@" >"$T/order.out" &
	ORDER_PID=$!
	wait_until 5 grep -q ready "$T/order.out"
}

# line_of PATTERN: the first line of the order record matching PATTERN.
line_of() {
	grep -n -m1 -- "$1" "$T/order.out" | cut -d: -f1
}

# ------------------------------------------------------------ tests

@test "oom: runc container over its memory limit: oom files before exit files, status 137" {
	need_v1_memory
	use_runtime runc
	syslog_listen
	# The shell itself holds the growing string, so the OOM killer picks
	# it (the largest task of the cgroup): the container's init dies of
	# SIGKILL.  busybox head takes plain byte counts only.
	bundle_sh 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived' \
		--memory "$LIMIT"
	watch_order "$PERSIST_DIR" "$BUNDLE" "$EXIT_DIR"
	run_container --syslog
	assert_eq "$EXIT_CODE" 137 "exit status"
	[ -e "$PERSIST_DIR/oom" ] || { dump_state; false; }
	[ -e "$BUNDLE/oom" ] || { dump_state; false; }
	# Empty, mode 0644 (0666 under conmon's umask 0022).
	[ ! -s "$PERSIST_DIR/oom" ]
	assert_mode "$PERSIST_DIR/oom" 644
	wait_monitor_gone

	wait "$ORDER_PID" || true
	ORDER_PID=
	sed 's/^/#   /' "$T/order.out" >&2
	local p_oom b_oom p_exit e_exit
	p_oom=$(line_of "^$PERSIST_DIR/oom\$")
	b_oom=$(line_of "^$BUNDLE/oom\$")
	# The exit files are written through a temporary name: the first
	# name of any kind in the exit dir, or other than oom in the persist
	# dir, marks the start of the exit files.
	p_exit=$(line_of "^$PERSIST_DIR/[^o]")
	e_exit=$(line_of "^$EXIT_DIR/")
	[ -n "$p_oom" ]
	[ -n "$b_oom" ]
	[ -n "$p_exit" ]
	[ -n "$e_exit" ]
	[ "$p_oom" -lt "$p_exit" ]
	[ "$p_oom" -lt "$e_exit" ]
	[ "$b_oom" -lt "$p_exit" ]
	[ "$b_oom" -lt "$e_exit" ]
	# The messages of docs/oom.md §1 and §4.
	[ "$(syslog_count 'OOM event received')" -ge 1 ]
	[ "$(syslog_count 'OOM received')" -ge 1 ]
	# The shell never got to its echo.
	if log_stream stdout | grep -q survived; then
		echo "# the container survived its allocation" >&2
		false
	fi
}

@test "oom: while a client that never reads holds the output back, the OOM kill is seen at once; the exit files wait for the client" {
	need_v1_memory
	use_runtime runc
	attach_tools_build
	syslog_listen
	# seq fills the pipe and the stuck client's queue, then waits in
	# write(2); the shell meanwhile grows past the limit.
	bundle_sh 'seq 1 3000000 & sleep 2; x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived' \
		--memory "$LIMIT"
	conmon_create --syslog --log-level info
	probe_start stuck --no-read "$BUNDLE/attach"
	container_start
	wait_until 30 test -e "$PERSIST_DIR/oom" || { dump_state; false; }
	[ -e "$BUNDLE/oom" ]
	# The container is gone, and conmon saw it go ...
	wait_until "$WAIT" pid_gone "$CTR_PID"
	wait_until "$WAIT" sh -c 'grep -q "exited with status 137" "$1"' sh "$T/syslog" || {
		sed 's/^/#   /' "$T/syslog" >&2
		false
	}
	# ... but the rest of its output waits for the client, and the exit
	# files with it, as a reader that stops holds back a pipe's writer.
	sleep 1
	[ ! -e "$EXIT_DIR/$CID" ] && pid_alive "$MONITOR_PID"
	probe_end_input stuck
	wait_exit
	assert_eq "$EXIT_CODE" 137 "exit status"
	wait_monitor_gone
}

@test "oom: runc container that exits normally under a memory limit: no oom file" {
	need_v1_memory
	use_runtime runc
	syslog_listen
	bundle_sh 'x=$(head -c 1048576 /dev/zero | tr "\0" a); echo ${#x}' \
		--memory "$LIMIT"
	run_container --syslog
	assert_eq "$EXIT_CODE" 0 "exit status"
	wait_monitor_gone
	[ ! -e "$PERSIST_DIR/oom" ]
	[ ! -e "$BUNDLE/oom" ]
	assert_eq "$(log_stream stdout)" 1048576 "output"
	# The container had a memory cgroup of its own, so OOM detection ran.
	assert_eq "$(syslog_count 'OOM detection is unavailable')" 0 \
		"unavailability messages"
}

@test "oom: crun without a memory controller: conmon says once that OOM detection is unavailable and runs on" {
	use_runtime crun
	syslog_listen
	bundle_sh 'echo still here; exit 7'
	run_container --syslog
	assert_eq "$EXIT_CODE" 7 "exit status"
	wait_monitor_gone
	assert_eq "$(log_stream stdout)" "still here" "output"
	[ ! -e "$PERSIST_DIR/oom" ]
	[ ! -e "$BUNDLE/oom" ]
	sed 's/^/#   /' "$T/syslog" >&2
	assert_eq "$(syslog_count 'OOM detection is unavailable')" 1 \
		"unavailability messages"
}

@test "oom: the binary carries 'Cgroup appears to have been removed' (upstream test)" {
	# Upstream's suite runs strings(1) on the binary; grep -a is the same
	# check without binutils. CONMON_BIN: the binary itself when CONMON
	# is a wrapper (qemu for a cross-built conmon).
	grep -q -a -F 'Cgroup appears to have been removed' "$CONMON_BIN"
}
