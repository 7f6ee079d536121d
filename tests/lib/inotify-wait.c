/* inotify-wait DIR NAME READY TIMEOUT_MS - wait as CRI-O does after it
 * asked conmon to reopen a log (docs/ctl.md §5): watch DIR and report the first
 * event that makes NAME appear or grow.  CRI-O's fsnotify "Create" is
 * IN_CREATE or IN_MOVED_TO, its "Write" is IN_MODIFY.
 *
 * Creates READY once the watch is in place, then prints "create",
 * "moved_to" or "modify" and exits 0; exits 1 after TIMEOUT_MS without
 * such an event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

int main(int argc, char **argv)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd;
	long deadline;
	int fd, ready;

	if (argc != 5) {
		fprintf(stderr,
			"usage: inotify-wait DIR NAME READY TIMEOUT_MS\n");
		return 2;
	}
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 ||
	    inotify_add_watch(fd, argv[1],
			      IN_CREATE | IN_MOVED_TO | IN_MODIFY) < 0) {
		perror("inotify-wait");
		return 2;
	}
	ready = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (ready < 0) {
		perror(argv[3]);
		return 2;
	}
	close(ready);
	deadline = now_ms() + atol(argv[4]);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		long left = deadline - now_ms();
		ssize_t n;
		char *p;

		if (left <= 0)
			return 1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("inotify-wait: read");
			return 2;
		}
		for (p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (!ev->len || strcmp(ev->name, argv[2]))
				continue;
			puts(ev->mask & IN_CREATE     ? "create"
			     : ev->mask & IN_MOVED_TO ? "moved_to"
						      : "modify");
			return 0;
		}
	}
}
