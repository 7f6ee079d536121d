/* loop.c - the event loop: one epoll instance, and a watch per fd.
 *
 * Every source of work is an fd (signalfd, pidfd, timerfd, inotify, pipes,
 * sockets, FIFOs), so the monitor sleeps in one epoll_wait and is woken
 * only when something happened.  A watch is embedded in the object it
 * serves; its handler finds that object with container_of.  Level
 * triggered throughout: a handler that cannot finish its work now takes
 * its fd off the loop (watch_del) rather than leaving an event that would
 * fire again at once.
 */
#include "conmon.h"

#include <errno.h>
#include <sys/epoll.h>

/* Events taken per epoll_wait: enough for every fd an active monitor has
 * (output, clients, FIFOs, signals) to be served in one round. */
#define BATCH 16

static int epfd = -1;

void loop_init(void)
{
	if (epfd >= 0)
		return;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		pexit("Failed to create the event loop");
}

int loop_run_once(int timeout_ms)
{
	struct epoll_event evs[BATCH];
	int n = epoll_wait(epfd, evs, BATCH, timeout_ms);

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		pexit("Failed to wait for events");
	}
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;

		/* An earlier handler of this batch may have closed it. */
		if (w->fd >= 0)
			w->fn(w, evs[i].events);
	}
	return n;
}

void loop_run(bool (*done)(void))
{
	while (!done())
		loop_run_once(-1);
}

void watch_add(struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		pexit("Failed to add fd %d to the event loop", w->fd);
}

void watch_mod(struct watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		pexit("Failed to change fd %d in the event loop", w->fd);
}

void watch_del(struct watch *w)
{
	if (w->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
}
