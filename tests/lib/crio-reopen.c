/* crio-reopen BUNDLE LOG TIMEOUT_MS - CRI-O's ReopenContainerLog
 * (docs/clients.md §3.4, docs/ctl.md §5), step for step: open BUNDLE/ctl for
 * writing, watch the directory of LOG with inotify, write "2 0 0\n", then
 * wait for a "Create" (IN_CREATE or IN_MOVED_TO: fsnotify's Create) or
 * "Write" (IN_MODIFY) event whose name is exactly LOG's.  CRI-O waits
 * without a timeout; this gives up after TIMEOUT_MS.
 *
 * Prints "create", "moved_to" or "modify" and the milliseconds since the
 * write, and exits 0; exits 1 on timeout, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(const char *what)
{
	fprintf(stderr, "crio-reopen: %s: %s\n", what, strerror(errno));
	return 2;
}

int main(int argc, char **argv)
{
	char ctl[PATH_MAX], dir[PATH_MAX], buf[4096] __attribute__((aligned(8)));
	const char *name;
	long start, deadline;
	int ctl_fd, in_fd;

	if (argc != 4) {
		fprintf(stderr, "usage: crio-reopen BUNDLE LOG TIMEOUT_MS\n");
		return 2;
	}
	snprintf(ctl, sizeof(ctl), "%s/ctl", argv[1]);
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	name = strrchr(argv[2], '/');
	if (!name)
		return fail("LOG must be a path with a directory");
	dir[name - argv[2]] = '\0';
	name++;

	ctl_fd = open(ctl, O_WRONLY | O_CLOEXEC);
	if (ctl_fd < 0)
		return fail(ctl);
	in_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in_fd < 0)
		return fail("inotify_init1");
	if (inotify_add_watch(in_fd, dir, IN_CREATE | IN_MOVED_TO | IN_MODIFY) < 0)
		return fail(dir);
	if (write(ctl_fd, "2 0 0\n", 6) != 6)
		return fail("write ctl");
	start = now_ms();
	deadline = start + atol(argv[3]);

	for (;;) {
		struct pollfd p = { .fd = in_fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			fprintf(stderr, "crio-reopen: no Create or Write event on %s within %s ms\n",
				argv[2], argv[3]);
			return 1;
		}
		n = read(in_fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			return fail("read inotify");
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)q;

			q += sizeof(*ev) + ev->len;
			if (!ev->len || strcmp(ev->name, name) != 0)
				continue;
			if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_MODIFY)) {
				printf("%s %ld\n",
				       ev->mask & IN_CREATE	? "create"
				       : ev->mask & IN_MOVED_TO ? "moved_to"
								: "modify",
				       now_ms() - start);
				return 0;
			}
		}
	}
}
