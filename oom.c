/* oom.c - OOM detection on cgroup v1 and v2 (docs/oom.md).
 *
 * When the kernel's OOM killer acts in the container's memory cgroup we
 * create empty "oom" files in the persist dir (Podman) and the bundle
 * (CRI-O).  Both clients look for them when they process the exit, so
 * they must exist before the exit files.  Nothing polls: on v2 an inotify
 * watch on memory.events wakes the loop, on v1 an eventfd registered on
 * memory.oom_control does.  oom_final_check() looks once more before the
 * exit files are written, because the container's death and the OOM
 * notification can arrive in the same loop iteration, and the loop stops
 * at the death.
 *
 * Rootless, none of this is a fault: on a cgroup v1 host rootless Podman
 * gives the container no memory cgroup of its own, and an ordinary user
 * may not register for its events.  What makes detection unavailable is
 * then said at debug level; as root it is a warning.  A container process
 * that is gone before we look (a fast exec session) is no fault either.
 *
 * Deviations from docs/oom.md, for the users' sake:
 *  - v2: the counters are read once at oom_start as the baseline, so a
 *    count left in the cgroup by an earlier OOM (an exec session in a
 *    container that was OOM-killed before) is no false alarm;
 *  - v1: a failure to open memory.oom_control or to create the eventfd
 *    warns and disables detection instead of killing the monitor;
 *  - a container that shares conmon's own memory cgroup (the runtime was
 *    told not to manage cgroups, e.g. Podman --cgroups=disabled) is not
 *    watched: any OOM of conmon's neighbours would be reported as the
 *    container's.  Like a cgroup without a memory controller, it gets one
 *    warning that OOM detection is unavailable, and conmon runs on.
 *
 * Test hook: CONMON_TEST_CGROUP_DIR=<dir>, read once by oom_start, makes
 * <dir> the container's cgroup v2 directory without looking it up.  The
 * unit tests use it to drive the v2 path (the same inotify watch and
 * checks as production) with a memory.events file they write, on hosts
 * whose v2 tree has no memory controller.
 */
#include "conmon.h"
#include "testing.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/statfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"

/* A /proc/PID/cgroup line is "ID:CONTROLLERS:PATH"; a line longer than
 * this could not name a directory we can open. */
#define CGROUP_LINE_MAX (PATH_MAX + 128)
/* memory.events lines are "key value"; a longer line is no counter. */
#define EVENTS_LINE_MAX 128

/* match_cgroup_line's verdict on a malformed line, distinct from the -1
 * of a read error. */
#define CGROUP_MALFORMED (-2)

enum check_kind {
	CHECK_BASELINE, /* oom_start: remember the counters, report nothing */
	CHECK_EVENT,	/* memory.events changed */
	CHECK_FINAL,	/* before the exit files: the cgroup may be gone */
};

static struct {
	/* The inotify fd (v2) or the eventfd (v1); -1 when not watching. */
	struct watch w;
	enum { OOM_OFF, OOM_V1, OOM_V2 } mode;
	/* v2: the oom and oom_kill values last acted on (docs/oom.md §3.2). */
	uint64_t seen_oom, seen_oom_kill;
	/* The cgroup directory (O_PATH), where the handlers open
	 * memory.events (v2) or look for cgroup.event_control (v1) to tell
	 * an OOM from a removal.  A descriptor, not the path: a path buffer
	 * would hold a page of the monitor's memory for its whole life, the
	 * descriptor costs the kernel 256 bytes. */
	int dirfd;
} oom = {.w = {.fd = -1}, .dirfd = -1};

/* ------------------------------------------------------------------ */
/* Small kernel files, line by line, in a fixed buffer. */

typedef int line_fn(char *line, void *ctx);

/* Call fn on each line of fd, without its newline; a last line without a
 * newline counts too.  A line that does not fit in buf is skipped whole,
 * so a huge line is never mistaken for two.  Returns the first non-zero
 * value fn returns, 0 at end of file, or -1 with errno set on a read
 * error. */
static int for_each_line(int fd, char *buf, size_t cap, line_fn *fn, void *ctx)
{
	size_t len = 0;	   /* bytes of an unfinished line at buf */
	bool skip = false; /* inside a line longer than buf */

	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		char *start = buf, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += n;
		while ((nl = memchr(start, '\n', buf + len - start))) {
			int r = 0;

			*nl = '\0';
			if (!skip)
				r = fn(start, ctx);
			if (r != 0)
				return r;
			skip = false;
			start = nl + 1;
		}
		len -= start - buf;
		memmove(buf, start, len);
		if (len == cap - 1) {
			skip = true;
			len = 0;
		}
	}
	if (len == 0 || skip)
		return 0;
	buf[len] = '\0';
	return fn(buf, ctx);
}

/* ------------------------------------------------------------------ */
/* Finding the container's cgroup (docs/oom.md §2). */

struct cgroup_query {
	bool v2;
	char *dir;
	size_t cap;
};

/* Is name an element of the comma-separated list s[0..len)? */
static bool list_has(const char *s, size_t len, const char *name)
{
	size_t name_len = strlen(name);
	const char *end = s + len;

	for (;;) {
		const char *comma = memchr(s, ',', end - s);
		const char *elem_end = comma ? comma : end;

		if ((size_t)(elem_end - s) == name_len &&
		    memcmp(s, name, name_len) == 0)
			return true;
		if (!comma)
			return false;
		s = comma + 1;
	}
}

static int match_cgroup_line(char *line, void *ctx)
{
	struct cgroup_query *q = ctx;
	char *c1 = strchr(line, ':');
	char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *controllers, *path;
	size_t ctl_len;
	int n;

	if (!c1) {
		nwarn("Error parsing cgroup, ':' not found: %s", line);
		return CGROUP_MALFORMED;
	}
	if (!c2) {
		nwarn("Error parsing cgroup, second ':' not found: %s", line);
		return CGROUP_MALFORMED;
	}
	controllers = c1 + 1;
	ctl_len = c2 - controllers;
	path = c2 + 1;

	if (q->v2) {
		/* Mixed hosts list v1 hierarchies too; v2 is "0::". */
		if (c1 - line != 1 || line[0] != '0' || ctl_len != 0)
			return 0;
		n = snprintf(q->dir, q->cap, CGROUP_ROOT "%s", path);
	} else {
		/* "memory" exactly, alone or co-mounted ("cpu,memory"): the
		 * mount point is named after the whole list. */
		if (!list_has(controllers, ctl_len, "memory"))
			return 0;
		n = snprintf(q->dir, q->cap, CGROUP_ROOT "/%.*s%s",
			     (int)ctl_len, controllers, path);
	}
	if (n < 0 || (size_t)n >= q->cap) {
		nwarn("Error parsing cgroup, path too long: %s", line);
		return CGROUP_MALFORMED;
	}
	/* "0::/" would give a trailing slash; keep names clean. */
	while (n > 1 && q->dir[n - 1] == '/')
		q->dir[--n] = '\0';
	return 1;
}

int oom_parse_cgroup(int fd, bool v2, char *dir, size_t cap)
{
	char line[CGROUP_LINE_MAX];
	struct cgroup_query q = {.v2 = v2, .dir = dir, .cap = cap};
	int r = for_each_line(fd, line, sizeof(line), match_cgroup_line, &q);

	if (r == CGROUP_MALFORMED)
		return -1;
	/* A read error (the process died while we read) is "not found". */
	return r == 1;
}

/* Rootless, detection may simply not be ours to have: say so quietly.
 * Rootless Podman runs conmon as root of a user namespace of its own, so
 * the uid map tells, not the uid: the initial namespace maps every uid to
 * itself. */
static int unavailable_level(void)
{
	char map[64], *p = map;
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, map, sizeof(map) - 1);
	unsigned long field[3];

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return LVL_WARN;
	map[n] = '\0';
	for (int i = 0; i < 3; i++)
		field[i] = strtoul(p, &p, 10);
	if (field[0] == 0 && field[1] == 0 && field[2] == 4294967295UL)
		return LVL_WARN;
	return LVL_DEBUG;
}

/* Put the cgroup directory of pid in dir (PATH_MAX).  Says why not. */
static bool find_cgroup(pid_t pid, bool v2, char *dir)
{
	char path[32];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Exited and reaped already: nothing to watch. */
		diag(errno == ENOENT ? LVL_DEBUG : LVL_WARN, 0,
		     "Failed to open cgroups file: %s", path);
		return false;
	}
	r = oom_parse_cgroup(fd, v2, dir, PATH_MAX);
	close(fd);
	if (r == 0 && v2)
		nwarn("Failed to get cgroup path. Container may have exited");
	else if (r == 0)
		nwarn("Failed to get memory cgroup path. Container may have "
		      "exited");
	return r == 1;
}

/* Open a file of the cgroup directory. */
static int open_in_cgroup(const char *name, int flags)
{
	return openat(oom.dirfd, name, flags | O_CLOEXEC);
}

static int match_pid_line(char *line, void *ctx)
{
	return strcmp(line, ctx) == 0;
}

/* Is conmon itself a member of the container's cgroup?  Then the runtime
 * did not give the container a cgroup of its own, and an OOM there may be
 * anyone's. */
static bool cgroup_holds_us(void)
{
	char me[16], line[32];
	int fd, r;

	fd = open_in_cgroup("cgroup.procs", O_RDONLY);
	if (fd < 0)
		return false;
	snprintf(me, sizeof(me), "%d", (int)getpid());
	r = for_each_line(fd, line, sizeof(line), match_pid_line, me);
	close(fd);
	return r == 1;
}

/* ------------------------------------------------------------------ */
/* The oom files (docs/oom.md §1). */

static bool write_oom_file(const char *dir)
{
	char path[PATH_MAX];
	int fd = -1;

	/* Empty, so creating it is all there is: no temp file needed.  A
	 * symlink found in its place is replaced, never followed: through
	 * a dangling one O_CREAT would make a file wherever it points. */
	if ((size_t)snprintf(path, sizeof(path), "%s/oom", dir) <
	    sizeof(path)) {
		fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0666);
		if (fd < 0 && errno == ELOOP && unlink(path) == 0)
			fd = open(path,
				  O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				  0666);
	} else {
		errno = ENAMETOOLONG;
	}
	if (fd < 0) {
		pwarn("Failed to write oom file to the %s path", dir);
		return false;
	}
	close(fd);
	return true;
}

/* True when every file that should exist does. */
static bool write_oom_files(void)
{
	bool ok = true;

	ninfo("OOM received");
	if (cfg.persist_dir && !write_oom_file(cfg.persist_dir))
		ok = false;
	if (cfg.bundle && !write_oom_file(cfg.bundle))
		ok = false;
	return ok;
}

/* ------------------------------------------------------------------ */
/* Watching. */

static void stop_watching(void)
{
	if (oom.w.fd >= 0) {
		watch_del(&oom.w);
		close(oom.w.fd);
		oom.w.fd = -1;
	}
	/* Nothing to look at any more, but the final check of v2. */
	if (oom.mode != OOM_V2 && oom.dirfd >= 0) {
		close(oom.dirfd);
		oom.dirfd = -1;
	}
}

static void say_unavailable(int level, const char *why, const char *dir)
{
	diag(level, 0, "OOM detection is unavailable: %s %s", why, dir);
}

/* The root of the hierarchy: what a process that has exited (a zombie)
 * shows on v1, or one that has no cgroup of its own.  Watching it would
 * report every OOM of the host as the container's. */
static bool cgroup_is_root(const char *dir)
{
	size_t len = strlen(dir);

	if (len < sizeof(CGROUP_ROOT))
		return true;
	return !strchr(dir + sizeof(CGROUP_ROOT), '/');
}

/* ------------------------------------------------------------------ */
/* cgroup v2 (docs/oom.md §3). */

/* Digits only, no sign or blanks, no overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned char)*s - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int check_events_line(char *line, void *ctx)
{
	const enum check_kind *kind = ctx;
	uint64_t *seen, value;
	const char *text;

	/* The blanks keep oom_group_kill out. */
	if (strncmp(line, "oom ", 4) == 0) {
		seen = &oom.seen_oom;
		text = line + 4;
	} else if (strncmp(line, "oom_kill ", 9) == 0) {
		seen = &oom.seen_oom_kill;
		text = line + 9;
	} else {
		return 0;
	}
	if (!parse_u64(text, &value)) {
		nwarn("Failed to parse: %s", text);
		return 0;
	}
	if (value == 0 || value == *seen)
		return 0;
	/* Remember a value only once its files exist: a failed write is
	 * tried again at the next change or at the final check. */
	if (*kind == CHECK_BASELINE || write_oom_files())
		*seen = value;
	return 0;
}

/* Read memory.events and act on changed counters.  Returns 0, or the
 * errno of opening it; ENOENT is left to the caller, which knows what a
 * missing file means at its moment. */
static int check_v2(enum check_kind kind)
{
	char line[EVENTS_LINE_MAX];
	int fd = open_in_cgroup("memory.events", O_RDONLY), r;

	if (fd < 0) {
		int err = errno;

		if (err != ENOENT || kind == CHECK_EVENT)
			diag(LVL_WARN, err,
			     "Failed to open cgroups file: memory.events");
		return err;
	}
	r = for_each_line(fd, line, sizeof(line), check_events_line, &kind);
	if (r < 0)
		pwarn("Failed to read memory.events");
	close(fd);
	return 0;
}

static void on_v2_event(struct watch *w, uint32_t events)
{
	/* One event with the longest name: the kernel never splits one
	 * (a watch on a file gets no names anyway). */
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)events;
	/* The events only say "modified": drain them, then look once. */
	do
		n = read(w->fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0 && errno != EAGAIN) {
		pwarn("Failed to read oom event from eventfd in v2");
		stop_watching();
		return;
	}
	/* A cgroup with live processes cannot be removed, so this is the
	 * end: nothing more will change. */
	if (check_v2(CHECK_EVENT) == ENOENT) {
		ndebug("Cgroup appears to have been removed, stopping OOM "
		       "monitoring");
		stop_watching();
	}
}

static void start_v2(const char *dir)
{
	char events[PATH_MAX];
	int fd;

	/* The baseline comes before the watch: an OOM in between then
	 * shows as a difference at the next check, and is never absorbed
	 * into the baseline. */
	if (check_v2(CHECK_BASELINE) == ENOENT) {
		ndebug("memory.events file does not exist at %s, skipping OOM "
		       "monitoring",
		       dir);
		say_unavailable(LVL_WARN, "no memory controller in cgroup",
				dir);
		return;
	}
	if (oom.seen_oom || oom.seen_oom_kill)
		ndebug("OOM counters at start: oom %llu, oom_kill %llu",
		       (unsigned long long)oom.seen_oom,
		       (unsigned long long)oom.seen_oom_kill);
	/* Even without a watch the final check can still see an OOM. */
	oom.mode = OOM_V2;

	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		pwarn("Failed to create inotify fd");
		return;
	}
	if ((size_t)snprintf(events, sizeof(events), "%s/memory.events", dir) >=
		sizeof(events) ||
	    inotify_add_watch(fd, events, IN_MODIFY) < 0) {
		pwarn("Failed to add inotify watch for %s/memory.events", dir);
		close(fd);
		return;
	}
	oom.w.fd = fd;
	oom.w.fn = on_v2_event;
	watch_add(&oom.w, EPOLLIN);
}

/* ------------------------------------------------------------------ */
/* cgroup v1 (docs/oom.md §4). */

static void read_v1_event(void)
{
	/* The kernel also signals the eventfd when the cgroup goes away:
	 * look before reading, so that a count of one can be told apart. */
	bool removed =
	    faccessat(oom.dirfd, "cgroup.event_control", F_OK, 0) < 0 &&
	    errno == ENOENT;
	uint64_t count;
	ssize_t n = read(oom.w.fd, &count, sizeof(count));

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		pwarn("Failed to read oom event from eventfd");
		stop_watching();
		return;
	}
	if (n == 0) {
		stop_watching();
		return;
	}
	if (n != sizeof(count)) {
		nwarn("Failed to read full oom event from eventfd");
		return;
	}
	if (count == 0) {
		nwarn("Unexpected event count (zero) when reading for oom "
		      "event");
		return;
	}
	if (removed)
		ndebug("Memory cgroup removal event received");
	if (count > 1 || !removed) {
		ninfo("OOM event received");
		write_oom_files();
	}
	/* Nothing can be signalled by a cgroup that is gone. */
	if (removed)
		stop_watching();
}

static void on_v1_event(struct watch *w, uint32_t events)
{
	(void)w;
	if (!(events & EPOLLIN)) {
		stop_watching();
		return;
	}
	read_v1_event();
}

static void start_v1(const char *dir)
{
	char arg[32];
	int ctl_fd, oom_fd, efd, n;

	ctl_fd = open_in_cgroup("cgroup.event_control", O_WRONLY);
	if (ctl_fd < 0) {
		diag(errno == EACCES ? unavailable_level() : LVL_WARN, errno,
		     "Failed to open %s/cgroup.event_control", dir);
		return;
	}
	oom_fd = open_in_cgroup("memory.oom_control", O_RDONLY);
	if (oom_fd < 0) {
		pwarn("Failed to open %s/memory.oom_control", dir);
		close(ctl_fd);
		return;
	}

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		pwarn("Failed to create eventfd");
		goto out;
	}
	n = snprintf(arg, sizeof(arg), "%d %d", efd, oom_fd);
	/* Real-time kernels may refuse this interface. */
	if (write(ctl_fd, arg, n) != n) {
		pwarn("Failed to write to cgroup.event_control");
		close(efd);
		goto out;
	}
	oom.mode = OOM_V1;
	oom.w.fd = efd;
	oom.w.fn = on_v1_event;
	watch_add(&oom.w, EPOLLIN);
out:
	/* The registered event holds the eventfd and the cgroup, not these
	 * files: one fd is all a watching conmon keeps. */
	close(oom_fd);
	close(ctl_fd);
}

/* ------------------------------------------------------------------ */

/* The directory is looked up on the stack, which the monitor gives back
 * before its loop runs; only the descriptor stays. */
void oom_start(pid_t pid)
{
	const char *test_dir = getenv("CONMON_TEST_CGROUP_DIR");
	char dir[PATH_MAX];
	struct statfs fs;
	bool v2;

	/* Once per conmon; the unit tests call it again per case. */
	oom.mode = OOM_OFF;
	stop_watching();
	oom.seen_oom = oom.seen_oom_kill = 0;

	if (test_dir && *test_dir) {
		v2 = true;
		if ((size_t)snprintf(dir, sizeof(dir), "%s", test_dir) >=
		    sizeof(dir)) {
			nwarn("cgroup path too long: %s", test_dir);
			return;
		}
	} else {
		/* Hybrid hosts mount a tmpfs here: they count as v1. */
		v2 = statfs(CGROUP_ROOT, &fs) == 0 &&
		     (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC;
		if (!find_cgroup(pid, v2, dir))
			return;
		if (cgroup_is_root(dir)) {
			say_unavailable(
			    LVL_DEBUG,
			    "no cgroup of its own, or it exited:", dir);
			return;
		}
	}
	oom.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oom.dirfd < 0) {
		diag(errno == ENOENT ? LVL_DEBUG : LVL_WARN, errno,
		     "Failed to open the cgroup %s", dir);
		return;
	}
	if (!test_dir && cgroup_holds_us()) {
		say_unavailable(unavailable_level(),
				"the container shares conmon's own memory "
				"cgroup",
				dir);
	} else if (v2) {
		start_v2(dir);
	} else {
		start_v1(dir);
	}
	/* Without a watch there is nothing to look at, but v2's final
	 * check. */
	if (oom.w.fd < 0 && oom.mode != OOM_V2) {
		close(oom.dirfd);
		oom.dirfd = -1;
	}
}

void oom_final_check(void)
{
	if (oom.mode == OOM_V2) {
		/* The runtime normally deletes the cgroup only later, but a
		 * cgroup already gone just means there is nothing to see. */
		if (check_v2(CHECK_FINAL) == ENOENT)
			ndebug("Cgroup was removed before the final OOM check");
	} else if (oom.mode == OOM_V1 && oom.w.fd >= 0) {
		/* The loop stops at the container's death, possibly before
		 * it dispatched a notification that came with it. */
		read_v1_event();
	}
}
