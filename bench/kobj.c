/*
 * kobj: create COUNT kernel objects of one KIND the way conmon does, then
 * sleep; bench/kernel-objects runs it in a memory cgroup of its own
 * (bench/memcg.c) and reads what the kernel charged there, so that the
 * cost of one object is (charge(COUNT) - charge(0)) / COUNT.
 *
 *   kobj KIND COUNT DIR
 *
 * KIND: pipe (a pair, as for stdout), fifo (mkfifo + one O_RDWR open, as
 * ctl and winsz), fifo2 (mkfifo + a reader and a writer: two opens),
 * listener (a bound, listening SOCK_SEQPACKET socket, as attach),
 * dgram (an unbound SOCK_DGRAM socket), epitem (fds watched by one epoll:
 * eventfds, minus the eventfds alone = the epoll item), eventfd,
 * signalfd, timerfd, inotify (with one watch), pidfd, file (an O_RDONLY
 * open of one file), vma (anonymous one-page mappings far apart, each
 * touched), devnull (/dev/null opened, as a second copy).
 * DIR: where fifos and sockets are made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "kobj: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void check(int fd, const char *what)
{
	if (fd < 0)
		die(what);
}

int main(int argc, char **argv)
{
	const char *kind, *dir;
	int count, ep = -1;
	char path[4096];

	if (argc != 4) {
		fprintf(stderr, "usage: kobj KIND COUNT DIR\n");
		return 2;
	}
	kind = argv[1];
	count = atoi(argv[2]);
	dir = argv[3];
	if (!strcmp(kind, "epitem")) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		check(ep, "epoll");
	}
	for (int i = 0; i < count; i++) {
		int fds[2], fd;

		if (!strcmp(kind, "pipe")) {
			check(pipe2(fds, O_CLOEXEC), "pipe");
		} else if (!strcmp(kind, "fifo") || !strcmp(kind, "fifo2")) {
			snprintf(path, sizeof(path), "%s/fifo%d", dir, i);
			if (mkfifo(path, 0600) < 0 && errno != EEXIST)
				die("mkfifo");
			if (!strcmp(kind, "fifo")) {
				check(open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC),
				      "open fifo");
			} else {
				check(open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC),
				      "open fifo r");
				check(open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC),
				      "open fifo w");
			}
		} else if (!strcmp(kind, "listener")) {
			struct sockaddr_un a = {.sun_family = AF_UNIX};

			fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			check(fd, "socket");
			snprintf(a.sun_path, sizeof(a.sun_path), "%s/s%d", dir, i);
			unlink(a.sun_path);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
			    listen(fd, 10) < 0)
				die("bind/listen");
		} else if (!strcmp(kind, "dgram")) {
			check(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), "dgram");
		} else if (!strcmp(kind, "epitem") || !strcmp(kind, "eventfd")) {
			fd = eventfd(0, EFD_CLOEXEC);
			check(fd, "eventfd");
			if (ep >= 0) {
				struct epoll_event ev = {.events = EPOLLIN};

				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
					die("epoll_ctl");
			}
		} else if (!strcmp(kind, "signalfd")) {
			sigset_t set;

			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			check(signalfd(-1, &set, SFD_CLOEXEC), "signalfd");
		} else if (!strcmp(kind, "timerfd")) {
			check(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), "timerfd");
		} else if (!strcmp(kind, "inotify")) {
			fd = inotify_init1(IN_CLOEXEC);
			check(fd, "inotify");
			if (inotify_add_watch(fd, dir, IN_MODIFY) < 0)
				die("inotify_add_watch");
		} else if (!strcmp(kind, "pidfd")) {
			check((int)syscall(SYS_pidfd_open, getpid(), 0), "pidfd");
		} else if (!strcmp(kind, "file")) {
			check(open(argv[0], O_RDONLY | O_CLOEXEC), "open");
		} else if (!strcmp(kind, "devnull")) {
			check(open("/dev/null", O_RDWR | O_CLOEXEC), "open");
		} else if (!strcmp(kind, "vma")) {
			/* 1 GiB apart: each needs page tables of its own. */
			char *p = mmap((void *)(0x100000000000UL +
						((unsigned long)i << 30)),
				       4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				die("mmap");
			*p = 1;
		} else {
			fprintf(stderr, "kobj: unknown kind %s\n", kind);
			return 2;
		}
	}
	for (;;)
		pause();
}
