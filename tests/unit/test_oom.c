/* test_oom.c - OOM detection (oom.c, docs/oom.md).
 *
 * The /proc/PID/cgroup parser on v1, v2, hybrid and co-mounted layouts;
 * the cgroup v2 logic through the CONMON_TEST_CGROUP_DIR hook: a scratch
 * directory whose memory.events this test writes, watched by the same
 * inotify code as in production and dispatched by a minimal epoll loop;
 * and, where this host has the v1 memory controller, a real OOM kill in a
 * scratch memory cgroup, and that cgroup's removal.
 */
#include "testing.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* unit.h's CHECK evaluates its condition up to three times; the
 * conditions here write files and turn the loop, so evaluate them once. */
#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		bool ok_ = (cond);                                             \
		CHECK(ok_, __VA_ARGS__);                                       \
		if (!ok_)                                                      \
			printf("#   %s\n", #cond);                             \
	} while (0)

/* ------------------------------------------------------------------ */
/* A minimal event loop.  conmon.c's watch_add registers with the epoll
 * fd that its main() creates, and a unit test never runs main().  This
 * binary's own epoll_ctl takes precedence over libc's, so every watch
 * lands in the test's epoll instance instead, where run_once() dispatches
 * it the way conmon's loop does. */

static int test_epfd = -1;

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	(void)epfd;
	return syscall(SYS_epoll_ctl, test_epfd, op, fd, ev);
}

/* Wait up to ms for events and dispatch them; the number dispatched. */
static int run_once(int ms)
{
	struct epoll_event evs[4];
	int n = epoll_wait(test_epfd, evs, 4, ms);

	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;

		if (w->fd >= 0)
			w->fn(w, evs[i].events);
	}
	return n < 0 ? 0 : n;
}

/* ------------------------------------------------------------------ */
/* Files. */

static char scratch[64];

static char *path_in(const char *dir, const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *p = bufs[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static void write_text(const char *path, const char *text)
{
	/* In place (same inode), as the kernel updates memory.events. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("# cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ------------------------------------------------------------------ */
/* /proc/PID/cgroup parsing. */

static int parse(const char *content, bool v2, char *dir, size_t cap)
{
	int fd = memfd_create("cgroup", MFD_CLOEXEC), r;

	if (write(fd, content, strlen(content)) < 0)
		return -9;
	lseek(fd, 0, SEEK_SET);
	dir[0] = '\0';
	r = oom_parse_cgroup(fd, v2, dir, cap);
	close(fd);
	return r;
}

static const char hybrid_host[] = "9:name=systemd:/\n"
				  "8:pids:/ctr\n"
				  "4:memory:/process_api/844cb522/ctr\n"
				  "3:cpuset:/ctr\n"
				  "1:cpu:/ctr\n"
				  "0::/ctr\n";

static void test_parse(void)
{
	char dir[PATH_MAX], big[12000];
	const char *said;
	size_t off = 0;

	unit_name = "cgroup path";

	EXPECT(parse("0::/user.slice/user-0.slice/session-1.scope\n", true, dir,
		     sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/user.slice/user-0.slice/"
			       "session-1.scope") == 0,
	       "v2: 0::PATH under /sys/fs/cgroup (%s)", dir);
	EXPECT(parse("0::/\n", true, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup") == 0,
	       "v2: the root cgroup, no trailing slash (%s)", dir);
	EXPECT(parse("0::/machine.slice/libpod-1.scope/container", true, dir,
		     sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/machine.slice/libpod-1.scope/"
			       "container") == 0,
	       "v2: a last line without newline (%s)", dir);

	EXPECT(parse(hybrid_host, false, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory/process_api/844cb522/"
			       "ctr") == 0,
	       "hybrid host as v1: the memory hierarchy (%s)", dir);
	EXPECT(parse(hybrid_host, true, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/ctr") == 0,
	       "hybrid host as v2: the 0:: line, v1 lines skipped (%s)", dir);
	EXPECT(parse("0::/init.scope\n7:memory:/m\n", false, dir,
		     sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory/m") == 0,
	       "v1: a 0:: line before the memory line is skipped (%s)", dir);
	EXPECT(parse("8:pids:/a\n4:memory:/a\n", true, dir, sizeof(dir)) == 0,
	       "v2 wanted on a pure v1 host: not found");
	EXPECT(parse("0::/a\n", false, dir, sizeof(dir)) == 0,
	       "v1 wanted on a pure v2 host: not found");
	EXPECT(parse("", false, dir, sizeof(dir)) == 0,
	       "empty file: not found");

	EXPECT(parse("5:cpu,memory,pids:/x/y\n", false, dir, sizeof(dir)) ==
		       1 &&
		   strcmp(dir, "/sys/fs/cgroup/cpu,memory,pids/x/y") == 0,
	       "co-mounted: the mount point is the whole list (%s)", dir);
	EXPECT(parse("5:memory,cpu:/x\n", false, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory,cpu/x") == 0,
	       "co-mounted, memory first (%s)", dir);
	EXPECT(parse("5:cpu,memory:/x\n", false, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/cpu,memory/x") == 0,
	       "co-mounted, memory last (%s)", dir);
	EXPECT(parse("4:memoryx:/a\n3:xmemory:/b\n2:name=memory:/c\n"
		     "1:memory_v2:/d\n",
		     false, dir, sizeof(dir)) == 0,
	       "v1: only the element \"memory\" exactly matches");
	EXPECT(parse("1::/a\n0:memory:/b\n", true, dir, sizeof(dir)) == 0,
	       "v2: only id 0 with no controllers matches");
	EXPECT(parse("4:memory:/first\n6:memory:/second\n", false, dir,
		     sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory/first") == 0,
	       "the first matching line wins");
	EXPECT(parse("4:memory:/a:b\n", false, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory/a:b") == 0,
	       "a ':' inside the path is part of the path (%s)", dir);

	unit_capture_start();
	EXPECT(parse("9:name=systemd:/\ngarbage\n4:memory:/a\n", false, dir,
		     sizeof(dir)) == -1,
	       "a line without ':' gives up");
	said = unit_capture_end();
	EXPECT(unit_count_of(
		   said, "Error parsing cgroup, ':' not found: garbage") == 1,
	       "... with the documented warning");
	unit_capture_start();
	EXPECT(parse("1:cpu\n4:memory:/a\n", false, dir, sizeof(dir)) == -1,
	       "a line with one ':' gives up");
	said = unit_capture_end();
	EXPECT(unit_count_of(said,
			     "Error parsing cgroup, second ':' not found: "
			     "1:cpu") == 1,
	       "... with the documented warning");
	unit_capture_start();
	EXPECT(parse("\n0::/a\n", true, dir, sizeof(dir)) == -1,
	       "an empty line is malformed too");
	unit_capture_end();
	EXPECT(parse("0::/found\nbroken after\n", true, dir, sizeof(dir)) == 1,
	       "lines after the match are not read");

	/* More than one buffer of lines before the match: lines are joined
	 * across reads. */
	for (int i = 0; off < 9000; i++)
		off += snprintf(big + off, sizeof(big) - off,
				"%d:ctl%d:/some/long/path/for/line/%d\n",
				i + 10, i, i);
	snprintf(big + off, sizeof(big) - off, "4:memory:/after/many\n");
	EXPECT(parse(big, false, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory/after/many") == 0,
	       "a match after %zu bytes of other lines (%s)", off, dir);

	/* A line longer than any path is skipped whole: its tail, which
	 * looks like a memory line, must not pass for a line of its own. */
	off = snprintf(big, sizeof(big), "4:cpu:/");
	memset(big + off, 'a', 6000);
	off += 6000;
	off += snprintf(big + off, sizeof(big) - off,
			":memory:/wrong\n0::/after-long\n4:memory:/ok\n");
	EXPECT(parse(big, false, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/memory/ok") == 0,
	       "an overlong line is skipped whole (%s)", dir);
	EXPECT(parse(big, true, dir, sizeof(dir)) == 1 &&
		   strcmp(dir, "/sys/fs/cgroup/after-long") == 0,
	       "... and the next line is read normally (%s)", dir);
	unit_capture_start();
	EXPECT(parse("4:memory:/a/b\n", false, dir, 20) == -1,
	       "a directory longer than the buffer is refused");
	unit_capture_end();
}

/* ------------------------------------------------------------------ */
/* cgroup v2 through the test hook. */

static char cg[128], events[256], persist[128], bundle[128], missing[128];

static void clear_oom_files(void)
{
	unlink(path_in(persist, "oom"));
	unlink(path_in(bundle, "oom"));
}

static bool oom_files(void)
{
	return exists(path_in(persist, "oom")) &&
	       exists(path_in(bundle, "oom"));
}

static bool no_oom_files(void)
{
	return !exists(path_in(persist, "oom")) &&
	       !exists(path_in(bundle, "oom"));
}

/* Write memory.events and let the loop see it: true if an event came. */
static bool modify(const char *text)
{
	write_text(events, text);
	return run_once(2000) > 0;
}

/* A fresh scenario: memory.events holds text (NULL: no file). */
static void start_with(const char *text)
{
	clear_oom_files();
	unlink(events);
	if (text)
		write_text(events, text);
	oom_start(getpid());
}

static void test_v2(void)
{
	const char *said;

	unit_name = "v2";
	snprintf(cg, sizeof(cg), "%s/cg", scratch);
	snprintf(persist, sizeof(persist), "%s/persist", scratch);
	snprintf(bundle, sizeof(bundle), "%s/bundle", scratch);
	snprintf(events, sizeof(events), "%s/memory.events", cg);
	mkdir(cg, 0755);
	mkdir(persist, 0755);
	mkdir(bundle, 0755);
	cfg.persist_dir = persist;
	cfg.bundle = bundle;
	setenv("CONMON_TEST_CGROUP_DIR", cg, 1);

	/* Counters already non-zero at start: an old OOM of this cgroup. */
	start_with("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n"
		   "oom_group_kill 0\n");
	EXPECT(no_oom_files(), "old counts at start: no oom file at start");
	EXPECT(modify("low 0\nhigh 0\nmax 13\noom 3\noom_kill 2\n"
		      "oom_group_kill 0\n"),
	       "a modification of memory.events wakes the loop");
	EXPECT(no_oom_files(), "old counts at start: no false alarm when "
			       "memory.events changes otherwise");
	oom_final_check();
	EXPECT(no_oom_files(), "old counts at start: none at the final check");

	EXPECT(modify("low 0\nhigh 0\nmax 14\noom 4\noom_kill 3\n"
		      "oom_group_kill 0\n"),
	       "the watch goes on after a check without news");
	EXPECT(oom_files(), "oom_kill 2 -> 3: oom files in persist dir and "
			    "bundle");
	clear_oom_files();
	EXPECT(modify("oom 4\noom_kill 3\n"), "the loop wakes");
	EXPECT(no_oom_files(), "the same counts again: nothing new");
	EXPECT(modify("oom 5\noom_kill 3\n") && oom_files(),
	       "oom alone 4 -> 5: oom files");
	clear_oom_files();
	EXPECT(modify("oom 5\noom_kill 4\n") && oom_files(),
	       "oom_kill alone 3 -> 4: oom files");
	clear_oom_files();
	EXPECT(modify("oom 5\noom_kill 4\noom_group_kill 7\n") &&
		   no_oom_files(),
	       "oom_group_kill is not counted");

	unit_capture_start();
	EXPECT(modify("oom abc\noom_kill -1\noom_kill 4x\noom_kill \n"
		      "oom_kill 99999999999999999999999\n"
		      "oom_killer 9\noomx 9\n oom 9\ngarbage\n\n"),
	       "malformed lines: event");
	said = unit_capture_end();
	EXPECT(no_oom_files(), "malformed lines: no oom file");
	EXPECT(unit_count_of(said, "Failed to parse: abc") == 1 &&
		   unit_count_of(said, "Failed to parse: -1") == 1 &&
		   unit_count_of(said, "Failed to parse: 4x") == 1 &&
		   unit_count_of(said, "Failed to parse: 999") == 1,
	       "malformed values: the documented warning for each");
	EXPECT(unit_count_of(said, "Failed to parse: 9\n") == 0 &&
		   unit_count_of(said, "garbage") == 0,
	       "other keys are not parsed at all");
	{
		char line[400];
		int n = snprintf(line, sizeof(line), "oom_kill ");

		memset(line + n, '7', 300);
		snprintf(line + n + 300, sizeof(line) - n - 300,
			 "\noom 5\noom_kill 4\n");
		unit_capture_start();
		EXPECT(modify(line) && no_oom_files(),
		       "an overlong line is ignored, not read as a count");
		unit_capture_end();
	}
	EXPECT(modify("oom 5\noom_kill 6\n") && oom_files(),
	       "after malformed lines the watch still works");

	/* A failed oom file is not remembered as done. */
	clear_oom_files();
	snprintf(missing, sizeof(missing), "%s/missing", scratch);
	cfg.persist_dir = missing;
	unit_capture_start();
	EXPECT(modify("oom 5\noom_kill 7\n"), "the loop wakes");
	said = unit_capture_end();
	EXPECT(exists(path_in(bundle, "oom")) &&
		   unit_count_of(said, "Failed to write oom file to the ") == 1,
	       "persist dir missing: bundle file written, failure warned");
	mkdir(cfg.persist_dir, 0755);
	EXPECT(modify("oom 5\noom_kill 7\n") &&
		   exists(path_in(cfg.persist_dir, "oom")),
	       "the same count again: the missing file is written now");
	unlink(path_in(cfg.persist_dir, "oom"));
	rmdir(cfg.persist_dir);
	cfg.persist_dir = persist;

	/* No persist dir or bundle given: nothing to write, no complaint. */
	clear_oom_files();
	cfg.persist_dir = NULL;
	cfg.bundle = NULL;
	unit_capture_start();
	EXPECT(modify("oom 5\noom_kill 8\n"), "the loop wakes");
	said = unit_capture_end();
	EXPECT(no_oom_files() && unit_count_of(said, "[conmon:w]") == 0,
	       "no --persist-dir, no bundle: no file and no warning");
	cfg.persist_dir = persist;
	cfg.bundle = bundle;

	/* The final check catches what the loop has not dispatched. */
	write_text(events, "oom 5\noom_kill 9\n");
	oom_final_check();
	EXPECT(oom_files(), "final check: an undispatched increment");
	run_once(0);
	clear_oom_files();

	/* The file vanishes (the cgroup is removed). */
	log_level = LVL_DEBUG;
	unit_capture_start();
	unlink(events);
	EXPECT(run_once(2000) > 0, "removal of memory.events wakes the loop");
	said = unit_capture_end();
	EXPECT(unit_count_of(said,
			     "Cgroup appears to have been removed, stopping "
			     "OOM monitoring") == 1,
	       "removal: the documented debug message");
	write_text(events, "oom 9\noom_kill 9\n");
	EXPECT(run_once(100) == 0, "removal: the watch has stopped");
	unlink(events);
	unit_capture_start();
	oom_final_check();
	said = unit_capture_end();
	EXPECT(no_oom_files() && unit_count_of(said, "[conmon:w]") == 0 &&
		   unit_count_of(said, "[conmon:e]") == 0,
	       "cgroup gone before the final check: no file, no warning");
	log_level = LVL_WARN;

	/* Zero counts are skipped; the first real one counts. */
	start_with("oom 0\noom_kill 0\n");
	EXPECT(modify("oom 0\noom_kill 0\nmax 1\n") && no_oom_files(),
	       "zero counts: nothing");
	EXPECT(modify("oom 1\noom_kill 1\n") && oom_files(),
	       "from zero to one: oom files");

	/* An OOM right after the baseline, before the first event. */
	start_with("oom 2\noom_kill 2\n");
	write_text(events, "oom 2\noom_kill 3\n");
	run_once(2000);
	EXPECT(oom_files(), "an increment after the baseline is reported");

	/* A symlink in an oom file's place is replaced, never followed:
	 * through a dangling one O_CREAT would create its target. */
	start_with("oom 0\noom_kill 0\n");
	{
		char target[PATH_MAX], victim[PATH_MAX];
		struct stat a, b;

		snprintf(target, sizeof(target), "%s/not-here", scratch);
		snprintf(victim, sizeof(victim), "%s/victim", scratch);
		write_text(victim, "precious");
		EXPECT(symlink(target, path_in(bundle, "oom")) == 0 &&
			   symlink(victim, path_in(persist, "oom")) == 0,
		       "symlinks planted at both oom files");
		EXPECT(modify("oom 1\noom_kill 1\n") && oom_files(),
		       "symlinks planted: oom files");
		EXPECT(lstat(path_in(bundle, "oom"), &a) == 0 &&
			   S_ISREG(a.st_mode) &&
			   lstat(path_in(persist, "oom"), &b) == 0 &&
			   S_ISREG(b.st_mode),
		       "... regular files in place of the links");
		EXPECT(!exists(target), "... the dangling link's target was "
					"not created");
		EXPECT(lstat(victim, &a) == 0 && a.st_size == 8,
		       "... the other link's target is untouched");
		unlink(victim);
	}

	/* No memory controller: memory.events does not exist. */
	log_level = LVL_WARN;
	unit_capture_start();
	start_with(NULL);
	said = unit_capture_end();
	EXPECT(unit_count_of(said, "OOM detection is unavailable") == 1,
	       "no memory.events: says once that OOM detection is "
	       "unavailable");
	write_text(events, "oom 1\noom_kill 1\n");
	EXPECT(run_once(100) == 0, "no memory.events: nothing is watched");
	unit_capture_start();
	oom_final_check();
	said = unit_capture_end();
	EXPECT(no_oom_files() && said[0] == '\0',
	       "no memory.events: the final check is silent and finds nothing");
	unlink(events);

	unsetenv("CONMON_TEST_CGROUP_DIR");
}

/* ------------------------------------------------------------------ */
/* cgroup v1: a real OOM kill in a scratch memory cgroup. */

static void skip(const char *why)
{
	unit_count++;
	printf("ok %d - v1: # SKIP %s\n", unit_count, why);
}

static bool write_cgroup(const char *dir, const char *name, const char *val)
{
	int fd = open(path_in(dir, name), O_WRONLY | O_CLOEXEC);
	bool ok =
	    fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A child moved into cgroup dir and watched there by oom_start, then
 * told how to end: 'x' exits 0, 'a' allocates until the OOM killer stops
 * it.  It waits for the word, so that it runs in the cgroup only. */
static pid_t watched_child(const char *dir, char how)
{
	int go[2];
	pid_t pid;
	char num[16];

	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char word = 0;

		close(go[1]);
		if (read(go[0], &word, 1) != 1 || word == 'x')
			_exit(0);
		for (size_t mb = 0; mb < 256; mb++) {
			char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				_exit(3);
			memset(m, 1, 1 << 20);
		}
		_exit(2); /* not killed: the limit did not hold */
	}
	close(go[0]);
	snprintf(num, sizeof(num), "%d", (int)pid);
	if (pid > 0 && !write_cgroup(dir, "cgroup.procs", num))
		printf("# cannot move %d into %s: %s\n", (int)pid, dir,
		       strerror(errno));
	oom_start(pid);
	(void)!write(go[1], &how, 1);
	close(go[1]);
	return pid;
}

static void test_v1(void)
{
	char self[PATH_MAX], dir[PATH_MAX + 32];
	struct statfs fs;
	int fd, status = 0, r;
	pid_t pid;
	const char *said;

	unit_name = "v1";
	if (statfs("/sys/fs/cgroup", &fs) == 0 &&
	    (unsigned long)fs.f_type == 0x63677270) {
		skip("this host has cgroup v2 only (no v1 memory controller)");
		return;
	}
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? 0 : oom_parse_cgroup(fd, false, self, sizeof(self));
	if (fd >= 0)
		close(fd);
	if (r != 1 || !exists(path_in(self, "cgroup.event_control"))) {
		skip("no cgroup v1 memory controller on this host");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/conmon-unit-%d", self, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		skip("cannot create a memory cgroup (not root?)");
		return;
	}
	/* 8 MiB, and no swap to escape to. */
	write_cgroup(dir, "memory.limit_in_bytes", "8388608");
	write_cgroup(dir, "memory.memsw.limit_in_bytes", "8388608");
	cfg.persist_dir = persist;
	cfg.bundle = bundle;
	clear_oom_files();

	/* A "container" in conmon's own memory cgroup: any OOM there could
	 * be a neighbour's, so it is not watched, and conmon says so. */
	unit_capture_start();
	oom_start(getpid());
	said = unit_capture_end();
	EXPECT(unit_count_of(said,
			     "OOM detection is unavailable: the container "
			     "shares conmon's own memory cgroup") == 1,
	       "conmon's own cgroup: says once that OOM detection is "
	       "unavailable");
	EXPECT(run_once(100) == 0, "conmon's own cgroup: nothing is watched");

	/* A process that exits normally: no OOM. */
	pid = watched_child(dir, 'x');
	waitpid(pid, &status, 0);
	EXPECT(run_once(100) == 0, "a normal exit under a limit: no event");
	oom_final_check();
	EXPECT(no_oom_files(), "a normal exit under a limit: no oom file");

	/* An OOM kill, dispatched by the loop. */
	pid = watched_child(dir, 'a');
	EXPECT(run_once(10000) > 0, "the OOM notification wakes the loop");
	waitpid(pid, &status, 0);
	EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	       "the child was OOM-killed (status 0x%x)", status);
	EXPECT(oom_files(), "oom files in persist dir and bundle");
	clear_oom_files();

	/* An OOM kill the loop never dispatched: the final check sees it. */
	pid = watched_child(dir, 'a');
	waitpid(pid, &status, 0);
	oom_final_check();
	EXPECT(oom_files(), "final check: the undispatched notification");
	clear_oom_files();

	/* The cgroup's removal also signals the eventfd: no OOM. */
	pid = watched_child(dir, 'x');
	waitpid(pid, &status, 0);
	log_level = LVL_DEBUG;
	unit_capture_start();
	EXPECT(rmdir(dir) == 0, "the scratch cgroup is removed");
	EXPECT(run_once(5000) > 0, "the removal wakes the loop");
	said = unit_capture_end();
	log_level = LVL_WARN;
	EXPECT(no_oom_files() && unit_count_of(said, "OOM event received") == 0,
	       "removal alone: no oom file");
	EXPECT(unit_count_of(said, "Memory cgroup removal event received") == 1,
	       "removal: the documented debug message");
	EXPECT(run_once(100) == 0, "removal: the watch has stopped");
	rmdir(dir);
}

int main(void)
{
	unit_name = "oom";
	test_epfd = epoll_create1(EPOLL_CLOEXEC);
	snprintf(scratch, sizeof(scratch), "/tmp/test_oom.XXXXXX");
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_v2();
	test_v1();

	rmdir(cg);
	rmdir(persist);
	rmdir(bundle);
	rmdir(scratch);
	return unit_done();
}
