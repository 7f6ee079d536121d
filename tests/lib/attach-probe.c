/* attach-probe - an attach client for the tests (docs/attach.md), strict about
 * the wire format: every packet conmon sends must be 1 type byte (2 or 3)
 * plus 1..8192 bytes; a larger packet (MSG_TRUNC), an empty one or an
 * unknown type is an error (exit 2).
 *
 *   attach-probe [OPTIONS] SOCKET
 *	Copy stdin to the socket, one packet per read(2) of at most 32 KiB
 *	(what conmon reads per packet), and half-close
 *	(shutdown SHUT_WR) at end of input, as Podman and CRI-O do.  Write
 *	the payloads of type 2 to stdout and of type 3 to stderr.  Exit 0 at
 *	the end of the stream (conmon closed the connection).
 *	--out PREFIX	payloads to PREFIX.2 and PREFIX.3 instead, and one line
 *			"<type> <payload length>" per packet to PREFIX.packets
 *	--tty		stdin is a terminal: raw mode while attached (tmux)
 *	--no-stdin	send nothing, never half-close
 *	--keep-open	at end of input do not half-close
 *	--stop-after N	close the connection after N payload bytes
 *	--no-read	never read: wait for conmon to hang up, then exit 0;
 *			or, at the end of stdin, close the connection, exit 0
 *	--rate B	read at most B payload bytes a second on average
 *	--shut-read	shut the reading side at once (conmon's sends then
 *			fail), still send stdin; exit 0 at the hang-up
 *	--proc-fd	connect as Podman does to a path longer than sun_path:
 *			open SOCKET with O_PATH, connect to /proc/self/fd/<fd>
 *	--ready FILE	create FILE once connected
 *
 *   attach-probe --many N SOCKET
 *	Open N connections at once.  Those conmon closes at once, before any
 *	data, are "refused"; once no connection changed for 300 ms, print
 *	"served S refused R" and wait for a line on stdin (the caller
 *	measures conmon meanwhile).  Then send the line on the first served
 *	connection and read every served one until its stdout payloads
 *	contain that line; print "received K" (K served connections got it
 *	within 5 s).  Send any further line on stdin the same way without
 *	reading the output, and exit 0 at the end of stdin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PACKET_MAX 8193 /* docs/attach.md §4.1 */
#define MANY_MAX   256

static struct termios saved_tty;
static bool tty_raw;

static void die(const char *what)
{
	fprintf(stderr, "attach-probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_proto(const char *fmt, long a)
{
	fprintf(stderr, "attach-probe: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(2);
}

static void restore_tty(void)
{
	if (tty_raw)
		tcsetattr(0, TCSANOW, &saved_tty);
}

static void make_raw(void)
{
	struct termios raw;

	if (tcgetattr(0, &saved_tty) < 0)
		die("tcgetattr stdin");
	raw = saved_tty;
	cfmakeraw(&raw);
	if (tcsetattr(0, TCSANOW, &raw) < 0)
		die("tcsetattr stdin");
	tty_raw = true;
	atexit(restore_tty);
}

static int attach_connect(const char *path, bool proc_fd)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd, pathfd = -1;

	if (proc_fd) {
		pathfd = open(path, O_PATH | O_CLOEXEC);
		if (pathfd < 0)
			die(path);
		snprintf(addr.sun_path, sizeof(addr.sun_path),
			 "/proc/self/fd/%d", pathfd);
	} else {
		if (strlen(path) >= sizeof(addr.sun_path)) {
			errno = ENAMETOOLONG;
			die(path);
		}
		strcpy(addr.sun_path, path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die(path);
	if (pathfd >= 0)
		close(pathfd);
	return fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* One packet: its payload length, 0 at end of stream; exits on a packet
 * that breaks the framing. */
static size_t recv_packet(int fd, char *buf, int *type)
{
	ssize_t n;

	do
		n = recv(fd, buf, PACKET_MAX, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* conmon closed with our input unread: still the end. */
		if (errno == ECONNRESET)
			return 0;
		die("recv");
	}
	if (n == 0)
		return 0;
	if (n > PACKET_MAX)
		die_proto("packet of %ld bytes, more than 8193", (long)n);
	if (n == 1)
		die_proto("empty packet of type %ld", (unsigned char)buf[0]);
	*type = (unsigned char)buf[0];
	if (*type != 2 && *type != 3)
		die_proto("packet of type %ld", *type);
	return (size_t)n - 1;
}

static int open_out(const char *prefix, const char *suffix)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s.%s", prefix, suffix);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	return fd;
}

static void touch(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);
	close(fd);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int many(int n, const char *path)
{
	static char buf[PACKET_MAX];
	static char seen[MANY_MAX][PACKET_MAX];
	/* state: 0 served, 1 refused, 2 closed early, 3 got the line */
	int fds[MANY_MAX], state[MANY_MAX];
	size_t seen_len[MANY_MAX] = {0};
	struct pollfd pfd[MANY_MAX];
	char line[1024];
	int i, served = 0, refused = 0, received = 0, first = -1;
	long quiet_since, deadline;

	if (n < 1 || n > MANY_MAX) {
		fprintf(stderr, "attach-probe: --many takes 1..%d\n", MANY_MAX);
		return 1;
	}
	for (i = 0; i < n; i++) {
		fds[i] = attach_connect(path, false);
		state[i] = 0;
	}
	/* Refused connections are closed by conmon at once. */
	quiet_since = now_ms();
	while (now_ms() - quiet_since < 300) {
		int k = 0;

		for (i = 0; i < n; i++) {
			pfd[i].fd = state[i] ? -1 : fds[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 50) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++) {
			int type;

			if (state[i] || !pfd[i].revents)
				continue;
			if (recv_packet(fds[i], buf, &type) != 0) {
				fprintf(stderr,
					"attach-probe: connection %d got "
					"output before any was made\n",
					i);
				return 1;
			}
			state[i] = 1;
			k++;
		}
		if (k)
			quiet_since = now_ms();
	}
	for (i = 0; i < n; i++) {
		if (state[i]) {
			refused++;
			close(fds[i]);
		} else {
			served++;
			if (first < 0)
				first = i;
		}
	}
	printf("served %d refused %d\n", served, refused);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) || first < 0)
		return 0;
	if (send(fds[first], line, strlen(line), 0) < 0)
		die("send");

	deadline = now_ms() + 5000;
	for (;;) {
		int left = 0, timeout = (int)(deadline - now_ms());

		for (i = 0; i < n; i++) {
			pfd[i].fd = state[i] ? -1 : fds[i];
			pfd[i].events = POLLIN;
			left += !state[i];
		}
		if (!left || timeout <= 0)
			break;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < n; i++) {
			size_t len;
			int type;

			if (state[i] || !pfd[i].revents)
				continue;
			len = recv_packet(fds[i], buf, &type);
			if (len == 0) {
				state[i] = 2; /* closed before the line came */
				continue;
			}
			if (type != 2 ||
			    seen_len[i] + len > sizeof(seen[i]) - 1)
				continue;
			memcpy(seen[i] + seen_len[i], buf + 1, len);
			seen_len[i] += len;
			seen[i][seen_len[i]] = '\0';
			if (strstr(seen[i], line)) {
				state[i] = 3;
				received++;
			}
		}
	}
	printf("received %d\n", received);
	fflush(stdout);
	/* Stay connected until the caller has measured conmon again; further
	 * lines are sent as well, and their echo is left unread, so that
	 * every connection closes with output pending. */
	while (fgets(line, sizeof(line), stdin))
		if (send(fds[first], line, strlen(line), 0) < 0)
			die("send");
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	const char *out = NULL, *ready = NULL, *path;
	bool tty = false, use_stdin = true, keep_open = false, no_read = false,
	     proc_fd = false, shut_read = false;
	long stop_after = -1, got = 0, rate = 0, start_ms = 0;
	int fd, i, many_n = 0, out_fd[4] = {-1, -1, 1, 2}, packets = -1;
	struct pollfd pfd[2];

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(o, "--ready") && i + 1 < argc)
			ready = argv[++i];
		else if (!strcmp(o, "--stop-after") && i + 1 < argc)
			stop_after = atol(argv[++i]);
		else if (!strcmp(o, "--rate") && i + 1 < argc)
			rate = atol(argv[++i]);
		else if (!strcmp(o, "--many") && i + 1 < argc)
			many_n = atoi(argv[++i]);
		else if (!strcmp(o, "--tty"))
			tty = true;
		else if (!strcmp(o, "--no-stdin"))
			use_stdin = false;
		else if (!strcmp(o, "--keep-open"))
			keep_open = true;
		else if (!strcmp(o, "--no-read"))
			no_read = true;
		else if (!strcmp(o, "--shut-read"))
			shut_read = true;
		else if (!strcmp(o, "--proc-fd"))
			proc_fd = true;
		else {
			fprintf(stderr, "attach-probe: unknown option %s\n", o);
			return 1;
		}
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: attach-probe [OPTIONS] SOCKET\n");
		return 1;
	}
	path = argv[i];
	if (many_n)
		return many(many_n, path);

	fd = attach_connect(path, proc_fd);
	touch(ready);
	if (no_read) {
		/* No POLLIN asked on the socket: only its hang-up, or the end
		 * of stdin, wakes us. */
		pfd[0].fd = fd;
		pfd[0].events = 0;
		pfd[1].fd = use_stdin ? 0 : -1;
		pfd[1].events = POLLIN;
		for (;;) {
			if (poll(pfd, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				die("poll");
			}
			if (pfd[0].revents & POLLHUP)
				return 0;
			if (pfd[1].revents && read(0, buf, sizeof(buf)) <= 0) {
				close(fd);
				return 0;
			}
		}
	}
	if (out) {
		out_fd[2] = open_out(out, "2");
		out_fd[3] = open_out(out, "3");
		packets = open_out(out, "packets");
	}
	if (tty && use_stdin)
		make_raw();
	if (shut_read && shutdown(fd, SHUT_RD) < 0)
		die("shutdown");
	start_ms = now_ms();

	for (;;) {
		nfds_t nfds = 1;

		pfd[0].fd = fd;
		pfd[0].events = shut_read ? 0 : POLLIN;
		if (use_stdin) {
			pfd[1].fd = 0;
			pfd[1].events = POLLIN;
			nfds = 2;
		}
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (use_stdin && pfd[1].revents) {
			/* conmon reads input packets of up to 32 KiB. */
			ssize_t n = read(0, buf, 32768);

			if (n > 0) {
				if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
					die("send");
			} else if (n == 0 || errno != EINTR) {
				use_stdin = false;
				if (!keep_open && shutdown(fd, SHUT_WR) < 0)
					die("shutdown");
			}
		}
		if (shut_read && (pfd[0].revents & (POLLHUP | POLLERR)))
			return 0;
		if (pfd[0].revents && !shut_read) {
			int type;
			size_t len = recv_packet(fd, buf, &type);

			if (len == 0)
				return 0;
			write_all(out_fd[type], buf + 1, len);
			if (packets >= 0) {
				char line[32];
				int k = snprintf(line, sizeof(line), "%d %zu\n",
						 type, len);

				write_all(packets, line, (size_t)k);
			}
			got += (long)len;
			if (stop_after >= 0 && got >= stop_after) {
				close(fd);
				return 0;
			}
			/* A slow reader: sleep until the bytes so far are
			 * due at the rate. */
			if (rate > 0) {
				long due = start_ms + got * 1000 / rate,
				     wait = due - now_ms();

				if (wait > 0)
					poll(NULL, 0, (int)wait);
			}
		}
	}
}
