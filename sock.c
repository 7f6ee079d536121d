/* sock.c - unix sockets and FIFOs: the console socket that brings the pty
 * master, the attach socket and its clients, the ctl and winsz FIFOs, and
 * the sd-notify relay.
 *
 * Everything is static and sized at build time: a fixed table of attach
 * clients, one line buffer per FIFO, one datagram buffer for sd-notify.
 * Attach clients take container output at their own pace, each with its
 * position in the current chunk (attach_deliver); their input goes to
 * io.c's stdin buffer.
 */
#include "conmon.h"
#include "testing.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Longest path bind(2) takes, excluding the NUL. */
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* Attach clients served at once.  A slot costs 24 bytes; real use is one
 * or two (podman attach, kubectl attach).  What bounds the count is the
 * kernel: each client that stops reading can pin ATTACH_SNDBUF of socket
 * memory until it reads or leaves. */
#define ATTACH_SLOTS 32
/* Requested send buffer per client; the kernel doubles it for its own
 * bookkeeping.  An 8193-byte packet costs about 16 KiB of it, so a client
 * busy elsewhere for a moment does not pause the container at once.
 * Without CAP_NET_ADMIN the kernel caps it at net.core.wmem_max. */
#define ATTACH_SNDBUF (4 << 20)

static char *path_join(char *dst, size_t cap, const char *dir,
		       const char *name);
static int bind_at(int sock, int dirfd, const char *name);

static void winsz_start(void);

/* ------------------------------------------------------------------ */
/* Console socket (docs/stdio.md §2.1). */

static struct {
	struct watch listener; /* until the runtime connects */
	struct watch conn;     /* the runtime's connection, until the fd */
	bool listener_watched, conn_watched, path_present;
	char path[SUN_PATH_MAX + 1];
} console = {.listener = {.fd = -1}, .conn = {.fd = -1}};

static void on_console_listener(struct watch *w, uint32_t events);
static void on_console_conn(struct watch *w, uint32_t events);

/* Six random characters for the socket name.  Uniqueness comes from
 * bind(2) failing on an existing name, so weak randomness only costs a
 * retry; getrandom may legitimately fail early at boot. */
static void console_suffix(char *dst)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned long counter;
	unsigned char rnd[6];
	struct timespec ts;
	unsigned long mix;
	int i;

	clock_now(CLOCK_REALTIME, &ts);
	mix = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
	      (++counter * 0x9e3779b9UL);
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < 6; i++) {
		dst[i] = set[(rnd[i] ^ mix) % (sizeof(set) - 1)];
		mix = mix * 6364136223846793005ULL + 1442695040888963407ULL;
		mix ^= mix >> 29;
	}
}

void console_create(void)
{
	const char *dir = getenv("TMPDIR");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len;
	int fd, tries;

	if (!dir || !*dir)
		dir = "/tmp";
	len = (size_t)snprintf(console.path, sizeof(console.path),
			       "%s/conmon-term.XXXXXX", dir);
	if (len >= sizeof(console.path))
		fatal(ENAMETOOLONG, "Failed to create console-socket %s/%s",
		      dir, "conmon-term.XXXXXX");

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		pexit("Failed to create console-socket");
	/* bind(2) creates the name atomically and refuses an existing one:
	 * a fresh suffix on every collision, unlike mkstemp + unlink, leaves
	 * no window where another process could take the name. */
	for (tries = 0;; tries++) {
		console_suffix(console.path + len - 6);
		memcpy(addr.sun_path, console.path, len + 1);
		if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		if (errno != EADDRINUSE || tries == 100)
			pexit("Failed to bind to console-socket");
	}
	console.path_present = true;
	if (listen(fd, 128) < 0)
		pexit("Failed to listen on console-socket");
	console.listener.fd = fd;
	console.listener.fn = on_console_listener;
	console.conn.fn = on_console_conn;
}

const char *console_path(void)
{
	return console.path;
}

void console_watch(void)
{
	if (console.listener.fd < 0 || console.listener_watched)
		return;
	watch_add(&console.listener, EPOLLIN);
	console.listener_watched = true;
}

void console_remove(void)
{
	if (!console.path_present)
		return;
	console.path_present = false;
	if (unlink(console.path) < 0 && errno != ENOENT)
		pwarn("failed to unlink %s", console.path);
}

static void console_close_listener(void)
{
	if (console.listener_watched)
		watch_del(&console.listener);
	console.listener_watched = false;
	close(console.listener.fd);
	console.listener.fd = -1;
}

/* Enable output newline translation (docs/stdio.md §2.1 step 5): the container
 * sees a normal tty, logs and attach clients get "\r\n". */
static void console_set_onlcr(int master)
{
	struct termios tio;

	if (tcgetattr(master, &tio) < 0) {
		pwarn("Failed to get console terminal settings");
		return;
	}
	tio.c_oflag |= ONLCR;
	if (tcsetattr(master, TCSANOW, &tio) < 0)
		pwarn("Failed to set console terminal settings");
}

/* Receive the pty master from the runtime.  Returns false when the message
 * has not arrived yet; every malformed message is fatal. */
static bool console_receive(void)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctrl;
	/* The runtime sends the pty name, which is only logged. */
	char payload[4096];
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctrl.buf,
	    .msg_controllen = sizeof(ctrl.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;
	int master;

	memset(ctrl.buf, 0, sizeof(ctrl.buf));
	do
		n = recvmsg(console.conn.fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return false;
	if (n < 0)
		pexit("Failed to receive console file descriptor");

	cmsg = CMSG_FIRSTHDR(&msg);
	if ((size_t)n >= sizeof(payload) || (msg.msg_flags & MSG_CTRUNC) ||
	    !cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		fatal(EBADMSG, "Failed to receive console file descriptor");
	memcpy(&master, CMSG_DATA(cmsg), sizeof(master));
	if (master < 0)
		fatal(EBADMSG, "Failed to receive console file descriptor");
	ndebug("Got console message: %.*s", (int)n, payload);

	if (console.conn_watched)
		watch_del(&console.conn);
	console.conn_watched = false;
	close(console.conn.fd);
	console.conn.fd = -1;

	console_set_onlcr(master);
	io_set_console(master);
	winsz_start();
	return true;
}

/* Take the runtime's connection.  Returns false if none is queued. */
static bool console_accept(void)
{
	int fd;

	do
		fd = accept4(console.listener.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		/* Nothing queued, or the peer gave up before we got to it:
		 * the runtime may still connect. */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED)
			return false;
		pexit("Failed to accept console-socket connection");
	}
	/* One connection is all the runtime makes; nobody else may. */
	console.path_present = false;
	if (unlink(console.path) < 0)
		pwarn("failed to unlink %s", console.path);
	console_close_listener();
	console.conn.fd = fd;
	return true;
}

static void on_console_conn(struct watch *w, uint32_t events)
{
	(void)w, (void)events;
	if (console.conn.fd >= 0)
		console_receive();
}

/* The runtime usually sends the fd right after connecting, so try at once
 * and only fall back to the loop when the message lags behind. */
static void console_take(void)
{
	if (console.conn.fd < 0 &&
	    (console.listener.fd < 0 || !console_accept()))
		return;
	if (!console_receive() && !console.conn_watched) {
		watch_add(&console.conn, EPOLLIN);
		console.conn_watched = true;
	}
}

static void on_console_listener(struct watch *w, uint32_t events)
{
	(void)w, (void)events;
	console_take();
}

/* The runtime exited: its connection and message, if it made them, are
 * already queued; take them before the lifecycle concludes that the
 * runtime did not set up the terminal. */
void console_check_pending(void)
{
	if (io_has_console())
		return;
	console_take();
}

/* ------------------------------------------------------------------ */
/* The attach socket (docs/attach.md). */

enum {
	CLIENT_READ = 1,       /* we still read its input */
	CLIENT_WRITE = 2,      /* we still send it output */
	CLIENT_INPUT_HELD = 4, /* its input waits until stdin takes more */
	CLIENT_BEHIND = 8,     /* its output waits for EPOLLOUT */
	CLIENT_WATCHED = 16,   /* on the loop */
};

/* A client's place in the output: how much of the current chunk it has
 * been sent (docs/attach.md §6). */
struct attach_client {
	struct watch w;
	uint8_t flags; /* 0: free slot */
	uint32_t sent;
};

static struct attach_client clients[ATTACH_SLOTS];
static int nclients;
static struct watch attach_listener = {.fd = -1};
static bool attach_listener_watched, attach_made, attach_symlink_made;

/* The chunk the clients are being given: a new one restarts every
 * client's position. */
static struct {
	uint32_t seq;
	size_t len;
} attach_chunk;

static int64_t full_warn_next;

/* <socket-dir-path>/<cuuid>, the name docs/attach.md §2 gives the link. */
static char *attach_link_name(char *dst, size_t cap)
{
	const char *dir =
	    cfg.socket_dir_path ? cfg.socket_dir_path : "/var/run/crio";

	return path_join(dst, cap, dir, cfg.cuuid);
}

/* The directory the socket is bound in: the bundle, or the link to it
 * with the length quirk applied (a 107-byte name loses its last byte). */
static const char *attach_dir(char *link, size_t cap)
{
	if (cfg.full_attach || !cfg.cuuid)
		return cfg.bundle;
	if (!attach_link_name(link, cap))
		return NULL;
	if (strlen(link) == SUN_PATH_MAX)
		link[SUN_PATH_MAX - 1] = '\0';
	return link;
}

/* Replace whatever sits at the link name with a link to the bundle. */
static void attach_make_symlink(const char *link)
{
	if (unlink(link) < 0 && errno != ENOENT)
		pexit("Failed to remove existing symlink for socket directory "
		      "%s",
		      link);
	/* From here on the link may exist: remove it at exit. */
	attach_symlink_made = true;
	if (symlink(cfg.bundle, link) < 0)
		pexit("Failed to create symlink for notify socket");
}

static void on_attach_listener(struct watch *w, uint32_t events);

void attach_create(void)
{
	char link[PATH_MAX];
	const char *dir;
	int dirfd, fd;

	if (!cfg.bundle)
		return;
	dir = attach_dir(link, sizeof(link));
	if (!dir) {
		errno = ENAMETOOLONG;
		pexit("Failed to create symlink for notify socket");
	}
	if (dir == link)
		attach_make_symlink(link);

	/* Bundle paths outgrow sun_path; a directory fd keeps the bound
	 * name short whatever the real path. */
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		pexit("failed to open socket path parent dir %s", dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		pexit("Failed to create socket %s/attach", dir);
	/* An exec session reuses the container's bundle: its socket replaces
	 * the container's. */
	if (unlinkat(dirfd, "attach", 0) < 0 && errno != ENOENT)
		pexit("Failed to remove existing socket: %s/attach", dir);
	if (bind_at(fd, dirfd, "attach") < 0)
		pexit("Failed to bind to console-socket");
	attach_made = true;
	if (fchmodat(dirfd, "attach", 0700, 0) < 0)
		pexit("Failed to change socket permissions %s/attach", dir);
	if (listen(fd, 10) < 0)
		pexit("Failed to listen on attach socket: %s/attach", dir);
	close(dirfd);
	attach_listener.fd = fd;
	attach_listener.fn = on_attach_listener;
}

void attach_start(void)
{
	if (attach_listener.fd < 0 || attach_listener_watched)
		return;
	watch_add(&attach_listener, EPOLLIN);
	attach_listener_watched = true;
}

/* Put the client on the loop for what it waits for: input while we read
 * it and stdin takes it, EPOLLOUT while its output is behind.  A client
 * that stopped sending stays on the loop with no events, for its hang-up
 * (always reported) to free the slot; but while its input is held, a
 * hang-up would fire in every round, so it is off the loop until
 * attach_input_resume(). */
static void client_sync(struct attach_client *c)
{
	uint32_t events = 0;
	bool want;

	if ((c->flags & CLIENT_READ) && !(c->flags & CLIENT_INPUT_HELD))
		events |= EPOLLIN | EPOLLRDHUP;
	if (c->flags & CLIENT_BEHIND)
		events |= EPOLLOUT;
	want = events || !(c->flags & CLIENT_READ);
	if (!want) {
		if (c->flags & CLIENT_WATCHED)
			watch_del(&c->w);
		c->flags &= ~CLIENT_WATCHED;
	} else if (c->flags & CLIENT_WATCHED) {
		watch_mod(&c->w, events);
	} else {
		watch_add(&c->w, events);
		c->flags |= CLIENT_WATCHED;
	}
}

static void client_close(struct attach_client *c)
{
	if (c->flags & CLIENT_WATCHED)
		watch_del(&c->w);
	close(c->w.fd);
	c->w.fd = -1;
	c->flags = 0;
	nclients--;
}

/* The client stopped sending (docs/attach.md §5); it keeps receiving
 * output. */
static void client_input_done(struct attach_client *c)
{
	shutdown(c->w.fd, SHUT_RD);
	c->flags &= ~(CLIENT_READ | CLIENT_INPUT_HELD);
	if (!(c->flags & CLIENT_WRITE))
		client_close(c);
	else
		client_sync(c);
	io_stdin_client_done();
	/* Closing stdin drops a remainder io.c may have held: the clients
	 * held behind it now get their input read and discarded. */
	if (io_stdin_state() == STDIN_CLOSED)
		attach_input_resume();
}

/* Sending failed for good: the client gets no more output. */
static void client_output_done(struct attach_client *c)
{
	pwarn("Failed to write to remote console socket");
	shutdown(c->w.fd, SHUT_WR);
	c->flags &= ~(CLIENT_WRITE | CLIENT_BEHIND);
	if (!(c->flags & CLIENT_READ))
		client_close(c);
	else
		client_sync(c);
}

static void client_hold_input(struct attach_client *c)
{
	c->flags |= CLIENT_INPUT_HELD;
	client_sync(c);
}

/* One packet from the client to container stdin (docs/stdio.md §3). */
static void client_read(struct attach_client *c)
{
	enum stdin_state st = io_stdin_state();
	size_t cap = 0;
	char *buf = io_stdin_buffer(&cap), discard;
	ssize_t n;

	if (st == STDIN_LATER || st == STDIN_BUSY) {
		client_hold_input(c);
		return;
	}
	if (buf)
		n = recv(c->w.fd, buf, cap, 0);
	else /* nowhere to go: drop the whole packet, touch no buffer */
		n = recv(c->w.fd, &discard, 1, MSG_TRUNC);
	if (n > 0) {
		if (!buf)
			return;
		io_stdin_write((size_t)n);
		/* Others are held as their turn comes; this one is likely
		 * to have more, so spare it a wake-up. */
		if (io_stdin_state() == STDIN_BUSY && (c->flags & CLIENT_READ))
			client_hold_input(c);
		return;
	}
	if (n < 0) {
		/* ECONNRESET reports that the peer closed with our output
		 * unread; the error is consumed and its queued input still
		 * follows, then end of file. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNRESET)
			return;
		pwarn("Failed to read from attach client %d", c->w.fd);
	}
	client_input_done(c);
}

/* Send the client what it lacks of the current chunk, a packet per
 * STDIO_BUF_SIZE slice behind the type byte (docs/attach.md §4).  A
 * SOCK_SEQPACKET send takes a whole packet or nothing, so a packet is
 * never cut.  False when the client is behind. */
static bool client_send(struct attach_client *c, const struct chunk *ch)
{
	char type = (char)ch->stream;

	while (c->sent < ch->len) {
		size_t n = ch->len - c->sent;
		struct iovec iov[2] = {
		    {&type, 1},
		    {(char *)ch->data + c->sent,
		     n < STDIO_BUF_SIZE ? n : STDIO_BUF_SIZE},
		};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

		if (sendmsg(c->w.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			c->sent += iov[1].iov_len;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			c->flags |= CLIENT_BEHIND;
			client_sync(c);
			return false;
		}
		client_output_done(c);
		break;
	}
	return true;
}

bool attach_deliver(const struct chunk *ch)
{
	bool done = true;

	if (attach_chunk.seq != ch->seq) {
		attach_chunk.seq = ch->seq;
		for (int i = 0; nclients && i < ATTACH_SLOTS; i++)
			clients[i].sent = 0;
	}
	attach_chunk.len = ch->len;
	for (int i = 0; nclients && i < ATTACH_SLOTS; i++) {
		struct attach_client *c = &clients[i];

		if (!(c->flags & CLIENT_WRITE))
			continue;
		/* Behind: tried again once its EPOLLOUT came. */
		if ((c->flags & CLIENT_BEHIND) || !client_send(c, ch))
			done = false;
	}
	return done;
}

static void on_attach_client(struct watch *w, uint32_t events)
{
	struct attach_client *c = container_of(w, struct attach_client, w);

	/* An event queued before the client left the loop this round. */
	if (!(c->flags & CLIENT_WATCHED))
		return;
	if ((c->flags & CLIENT_BEHIND) &&
	    (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
		/* Room again, or gone: the next send tells which. */
		c->flags &= ~CLIENT_BEHIND;
		client_sync(c);
		io_output_resume();
		if (!(c->flags & CLIENT_WATCHED))
			return;
	}
	if ((c->flags & CLIENT_READ) && !(c->flags & CLIENT_INPUT_HELD)) {
		/* Hang-up and errors included: recv tells end of file from
		 * pending input, which must reach stdin first. */
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			client_read(c);
	} else if (!(c->flags & CLIENT_READ) && !(c->flags & CLIENT_BEHIND) &&
		   (events & (EPOLLHUP | EPOLLERR))) {
		client_close(c);
	}
}

static struct attach_client *free_slot(void)
{
	for (int i = 0; i < ATTACH_SLOTS; i++)
		if (!clients[i].flags)
			return &clients[i];
	return NULL;
}

static void on_attach_listener(struct watch *w, uint32_t events)
{
	struct attach_client *c;
	int fd, size = ATTACH_SNDBUF;

	(void)events;
	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			pwarn("Failed to accept client connection on attach "
			      "socket");
		return;
	}
	c = free_slot();
	if (!c) {
		static unsigned long refused;

		refused++;
		if (ratelimit_pass(&full_warn_next))
			nwarn("All %d attach slots are in use: refused %lu "
			      "connections",
			      ATTACH_SLOTS, refused);
		close(fd);
		return;
	}
	ndebug("Accepted console connection %d", fd);
	/* A deeper queue means fewer pauses for a client that reads in
	 * bursts.  SO_SNDBUFFORCE passes the sysctl limit when we may;
	 * rootless, net.core.wmem_max caps it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) <
	    0) {
		static bool said_sndbuf;

		if (!said_sndbuf)
			ndebug("attach socket: SO_SNDBUFFORCE: %s, using "
			       "SO_SNDBUF within net.core.wmem_max",
			       strerror(errno));
		said_sndbuf = true;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
				 sizeof(size));
	}
	c->w.fd = fd;
	c->w.fn = on_attach_client;
	c->flags = CLIENT_READ | CLIENT_WRITE;
	/* Output read before it came is not replayed (docs/attach.md §4):
	 * it starts with the next chunk. */
	c->sent = (uint32_t)attach_chunk.len;
	nclients++;
	client_sync(c);
}

void attach_input_resume(void)
{
	for (int i = 0; nclients && i < ATTACH_SLOTS; i++) {
		struct attach_client *c = &clients[i];

		if (!(c->flags & CLIENT_INPUT_HELD))
			continue;
		c->flags &= ~CLIENT_INPUT_HELD;
		client_sync(c);
	}
}

void attach_close_all(void)
{
	for (int i = 0; nclients && i < ATTACH_SLOTS; i++)
		if (clients[i].flags)
			client_close(&clients[i]);
	if (attach_listener.fd < 0)
		return;
	if (attach_listener_watched)
		watch_del(&attach_listener);
	attach_listener_watched = false;
	close(attach_listener.fd);
	attach_listener.fd = -1;
}

void attach_remove(void)
{
	char link[PATH_MAX];
	const char *dir;
	int dirfd, rc;

	if (!attach_made)
		return;
	attach_made = false;
	/* Through the link directory, or the bundle with --full-attach; a
	 * directory fd again, so the length of the path does not matter. */
	dir = attach_dir(link, sizeof(link));
	if (!dir)
		return;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		if (errno == ENOENT)
			return;
		pexit("Failed to remove symlink for attach socket directory");
	}
	rc = unlinkat(dirfd, "attach", 0);
	if (rc < 0 && errno != ENOENT)
		pexit("Failed to remove symlink for attach socket directory");
	close(dirfd);
}

/* Runs inside conmon_exit(), so it must not call fatal() again. */
void attach_remove_symlink(void)
{
	char link[PATH_MAX];

	if (!attach_symlink_made)
		return;
	attach_symlink_made = false;
	/* The untruncated name, as upstream: a link shortened by the length
	 * quirk stays behind (docs/attach.md §2.2). */
	if (!attach_link_name(link, sizeof(link)))
		return;
	if (unlink(link) < 0 && errno != ENOENT) {
		diag(LVL_ERROR, errno,
		     "Failed to remove existing symlink for the socket "
		     "directory %s",
		     link);
		_exit(1);
	}
}

/* ------------------------------------------------------------------ */
/* ctl and winsz FIFOs (docs/ctl.md). */

struct fifo {
	struct watch w; /* opened read-write: reader and writer at once */
	bool watched;
	struct ctl_line line;
	ctl_line_fn *apply;
};

static void apply_ctl_line(void *ctx, const char *line, size_t len);
static void apply_winsz_line(void *ctx, const char *line, size_t len);

static struct fifo ctl_fifo = {.w = {.fd = -1}, .apply = apply_ctl_line},
		   winsz_fifo = {.w = {.fd = -1}, .apply = apply_winsz_line};

static void on_fifo(struct watch *w, uint32_t events);

/* Relative to the bundle's directory fd: no path buffer, no length
 * limit. */
static void fifo_create(int dirfd, struct fifo *f, const char *name,
			const char *what)
{
	/* A leftover from an earlier run or an exec session in the same
	 * bundle is replaced; other errors surface at open, which never
	 * follows a symlink swapped in meanwhile. */
	if (mkfifoat(dirfd, name, 0660) < 0 && errno == EEXIST) {
		if (unlinkat(dirfd, name, 0) < 0 ||
		    mkfifoat(dirfd, name, 0660) < 0)
			pexit("Failed to mkfifo at %s/%s", cfg.bundle, name);
	}
	/* Read-write, one fd: as a writer ourselves, the reader never sees
	 * end of file when clients close, and ctl's resizes go into winsz
	 * through the same fd.  Non-blocking both ways, so a FIFO nobody
	 * drains (no pty yet, or never) cannot stall us. */
	f->w.fd =
	    openat(dirfd, name, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (f->w.fd < 0)
		pexit("Failed to open %s fifo read half", what);
	f->w.fn = on_fifo;
	/* A page holds twenty of the longest valid lines, and the loop reads
	 * them at once; the default sixteen pages would cost the kernel a
	 * 1 kB buffer table per FIFO for nothing. */
	(void)fcntl(f->w.fd, F_SETPIPE_SZ, 4096);
}

void ctl_create(void)
{
	int dirfd;

	if (!cfg.bundle)
		return;
	dirfd = open(cfg.bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		pexit("Failed to open terminal control fifo read half");
	fifo_create(dirfd, &ctl_fifo, "ctl", "terminal control");
	fifo_create(dirfd, &winsz_fifo, "winsz", "window resize control");
	close(dirfd);
}

static void fifo_start(struct fifo *f)
{
	if (f->w.fd < 0 || f->watched)
		return;
	watch_add(&f->w, EPOLLIN);
	f->watched = true;
}

void ctl_start(void)
{
	fifo_start(&ctl_fifo);
}

static void winsz_start(void)
{
	fifo_start(&winsz_fifo);
}

static void on_fifo(struct watch *w, uint32_t events)
{
	struct fifo *f = container_of(w, struct fifo, w);
	char chunk[512];
	ssize_t n;

	(void)events;
	n = read(w->fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Cannot be end of file while we hold a writer. */
		diag(LVL_WARN, n < 0 ? errno : 0, "Failed to read from fd %d",
		     w->fd);
		return;
	}
	ndebug("Got ctl message: %.*s on fd %d", (int)n, chunk, w->fd);
	ctl_line_feed(&f->line, chunk, (size_t)n, f->apply, NULL);
}

static void ctl_warn(int code, int type, int rows, int cols)
{
	char text[96];

	ctl_error_text(text, sizeof(text), code, type, rows, cols);
	nwarn("%s", text);
}

static void apply_ctl_line(void *ctx, const char *line, size_t len)
{
	int type, rows, cols, rc;
	char msg[32];
	int n;

	(void)ctx;
	if (!line) {
		nwarn("Could not find newline in entire buffer");
		return;
	}
	rc = ctl_parse(line, len, &type, &rows, &cols);
	if (rc < 0) {
		ctl_warn(rc, type, rows, cols);
		return;
	}
	ndebug("Message type: %d", type);
	if (type == 2) {
		log_reopen();
		return;
	}
	/* Through winsz rather than straight to the pty: it queues the
	 * size until the pty arrives and keeps order with other writers. */
	n = snprintf(msg, sizeof(msg), "%d %d\n", rows, cols);
	if (write(winsz_fifo.w.fd, msg, (size_t)n) != n)
		nwarn("Failed to write to window resizing fd. A resize event "
		      "may have been dropped");
}

static void apply_winsz_line(void *ctx, const char *line, size_t len)
{
	int rows, cols, rc;

	(void)ctx;
	if (!line) {
		nwarn("Could not find newline in entire buffer");
		return;
	}
	rc = winsz_parse(line, len, &rows, &cols);
	if (rc == CTL_EWINSZ) {
		ctl_warn(rc, 0, 0, 0);
		return;
	}
	ndebug("Height: %d, Width: %d", rows, cols);
	if (rc < 0) {
		ctl_warn(rc, 0, rows, cols);
		return;
	}
	io_resize(rows, cols);
}

/* The parsers: pure functions of the line. */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* int = ["+" / "-"] 1*DIGIT, decimal, and it must fit an int: a wrapped
 * value must never pass the range check. */
static bool parse_int(const char **pp, const char *end, int *out)
{
	const char *p = *pp;
	long long v = 0;
	bool neg = false;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > (long long)INT_MAX + 1)
			return false;
	}
	if (!neg && v > INT_MAX)
		return false;
	*out = (int)(neg ? -v : v);
	*pp = p;
	return true;
}

/* blanks int: the separator is mandatory. */
static bool parse_next_int(const char **pp, const char *end, int *out)
{
	const char *p = *pp;

	if (p == end || !is_blank(*p))
		return false;
	*pp = skip_blanks(p, end);
	return parse_int(pp, end, out);
}

static bool size_ok(int v)
{
	return v >= 0 && v <= 1000;
}

int ctl_parse(const char *line, size_t len, int *type, int *rows, int *cols)
{
	const char *end = line + len, *p = skip_blanks(line, end);

	*type = *rows = *cols = 0;
	if (!parse_int(&p, end, type) || !parse_next_int(&p, end, rows) ||
	    !parse_next_int(&p, end, cols))
		return CTL_EFORMAT;
	if (*type != 1 && *type != 2)
		return CTL_ETYPE;
	if (!size_ok(*rows) || !size_ok(*cols))
		return CTL_ESIZE;
	return 0;
}

int winsz_parse(const char *line, size_t len, int *rows, int *cols)
{
	const char *end = line + len, *p = skip_blanks(line, end);

	*rows = *cols = 0;
	if (!parse_int(&p, end, rows) || !parse_next_int(&p, end, cols))
		return CTL_EWINSZ;
	if (!size_ok(*rows) || !size_ok(*cols))
		return CTL_ESIZE;
	return 0;
}

int ctl_error_text(char *dst, size_t cap, int code, int type, int rows,
		   int cols)
{
	switch (code) {
	case CTL_EFORMAT:
		return snprintf(dst, cap, "Invalid control message format");
	case CTL_ETYPE:
		return snprintf(dst, cap, "Invalid control message type: %d",
				type);
	case CTL_ESIZE:
		return snprintf(dst, cap,
				"Invalid window size: %dx%d (must be between 0 "
				"and 1000)",
				rows, cols);
	case CTL_EWINSZ:
		return snprintf(dst, cap, "Failed to parse window size");
	default:
		return snprintf(dst, cap, "Unknown control message error %d",
				code);
	}
}

/* A line that reaches CTL_LINE_MAX - 1 bytes without its newline can
 * never be valid (docs/ctl.md §2): report it once and skip to its newline, so
 * its tail cannot pass for a command of its own. */
void ctl_line_feed(struct ctl_line *l, const char *data, size_t len,
		   ctl_line_fn *fn, void *ctx)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (l->discarding) {
			if (!nl)
				return;
			l->discarding = false;
		} else if (l->len + take >= CTL_LINE_MAX - 1) {
			l->len = 0;
			fn(ctx, NULL, 0);
			if (!nl) {
				l->discarding = true;
				return;
			}
		} else {
			memcpy(l->buf + l->len, data, take);
			l->len += take;
			l->buf[l->len] = '\0';
			if (!nl)
				return;
			fn(ctx, l->buf, l->len);
			l->len = 0;
		}
		data += take + 1;
		len -= take + 1;
	}
}

/* ------------------------------------------------------------------ */
/* sd-notify relay (docs/lifecycle.md §14).  A message the host socket
 * cannot take now is kept (one at a time) and the container side is not
 * read meanwhile, so further messages wait in the kernel, with their
 * senders, instead of being dropped. */

static void on_notify(struct watch *w, uint32_t events);
static void on_notify_host(struct watch *w, uint32_t events);

static struct {
	struct watch w;	   /* container side, bound in the bundle */
	struct watch host; /* connected to --sdnotify-socket, made on use */
	size_t held;	   /* length of the message waiting in notify_buf */
	struct sockaddr_un host_addr;
	socklen_t host_len;
} notify = {.w = {-1, on_notify}, .host = {-1, on_notify_host}};

/* Only Podman's --sdnotify=container uses this; page aligned so a short
 * datagram faults in one page. */
static char notify_buf[ATTACH_INPUT_SIZE] __attribute__((aligned(4096)));

void notify_setup(void)
{
	const char *bundle = cfg.bundle ? cfg.bundle : ".";
	size_t len;
	int dirfd;

	if (!cfg.sdnotify_socket)
		return;
	dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		pexit("failed to open socket path parent dir %s", bundle);
	notify.w.fd =
	    socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (notify.w.fd < 0)
		pexit("Failed to create socket %s/notify/notify.sock", bundle);
	if (unlinkat(dirfd, "notify/notify.sock", 0) < 0 && errno != ENOENT)
		pexit("Failed to remove existing socket: %s/notify/notify.sock",
		      bundle);
	if (bind_at(notify.w.fd, dirfd, "notify/notify.sock") < 0)
		pexit("Failed to bind to console-socket");
	/* Any container user may notify. */
	if (fchmodat(dirfd, "notify/notify.sock", 0777, 0) < 0)
		pexit("Failed to change socket permissions "
		      "%s/notify/notify.sock",
		      bundle);
	close(dirfd);

	/* Used literally and cut to fit, as upstream does. */
	len = strnlen(cfg.sdnotify_socket, SUN_PATH_MAX);
	notify.host_addr.sun_family = AF_UNIX;
	memcpy(notify.host_addr.sun_path, cfg.sdnotify_socket, len);
	notify.host_len =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	watch_add(&notify.w, EPOLLIN);
}

/* Connected, so that EPOLLOUT tells when the host's queue has room. */
static bool notify_connect(void)
{
	if (notify.host.fd < 0)
		notify.host.fd = socket(
		    AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return notify.host.fd >= 0 &&
	       connect(notify.host.fd, (struct sockaddr *)&notify.host_addr,
		       notify.host_len) == 0;
}

/* Send the held message.  True when it is gone (sent, or dropped because
 * nobody listens: a host manager that is gone costs this message only);
 * false when the host's queue is full. */
static bool notify_relay(void)
{
	bool retried = false;

	while (send(notify.host.fd, notify_buf, notify.held, MSG_NOSIGNAL) <
	       0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return false;
		/* Not connected yet, or the listener was replaced. */
		if ((errno == ENOTCONN || errno == ECONNREFUSED ||
		     errno == EBADF) &&
		    !retried) {
			retried = true;
			if (notify_connect())
				continue;
		}
		pwarn("Failed to write to socket host notify socket");
		break;
	}
	notify.held = 0;
	return true;
}

static void on_notify(struct watch *w, uint32_t events)
{
	ssize_t n;

	(void)events;
	if (notify.held)
		return;
	n = recv(w->fd, notify_buf, sizeof(notify_buf), 0);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			pwarn("Failed to read from notify socket");
		return;
	}
	notify.held = notify_filter(notify_buf, (size_t)n);
	if (!notify.held || notify_relay())
		return;
	watch_del(&notify.w);
	watch_add(&notify.host, EPOLLOUT);
}

static void on_notify_host(struct watch *w, uint32_t events)
{
	(void)events;
	if (!notify.held || !notify_relay())
		return;
	watch_del(w);
	watch_add(&notify.w, EPOLLIN);
}

static bool notify_line_allowed(const char *s, size_t n)
{
	static const char *const exact[] = {"READY=1", "RELOADING=1",
					    "STOPPING=1", "WATCHDOG=1",
					    "WATCHDOG=trigger"};
	static const char *const prefix[] = {
	    "STATUS=", "ERRNO=", "BUSERROR=", "MONOTONIC_USEC="};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (n == strlen(exact[i]) && !memcmp(s, exact[i], n))
			return true;
	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (n >= strlen(prefix[i]) &&
		    !memcmp(s, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

/* In place: the output never overtakes the line being read, since each
 * kept line moves left by at least the separator it dropped. */
size_t notify_filter(char *buf, size_t len)
{
	size_t i, start = 0, out = 0;

	for (i = 0; i <= len; i++) {
		size_t n;

		if (i < len && buf[i] != '\n' && buf[i] != '\r')
			continue;
		n = i - start;
		if (notify_line_allowed(buf + start, n)) {
			if (out)
				buf[out++] = '\n';
			memmove(buf + out, buf + start, n);
			out += n;
		}
		start = i + 1;
	}
	return out;
}

/* ------------------------------------------------------------------ */

/* Bind sock to name inside the directory dirfd.  Bundle paths outgrow
 * sun_path, so the name is made relative: to the directory as our working
 * directory for a moment.  (Through /proc/self/fd/<dirfd>/name instead,
 * the lookup would leave proc inodes and dentries charged to the monitor,
 * about 2 kB, for as long as it lives.)  -1 with errno set on failure. */
static int bind_at(int sock, int dirfd, const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (strlen(name) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, name);
	if (cwd >= 0 && fchdir(dirfd) == 0) {
		int rc = bind(sock, (struct sockaddr *)&addr, sizeof(addr));
		int err = errno;

		if (fchdir(cwd) < 0)
			pexit("Failed to return to the working directory");
		close(cwd);
		errno = err;
		return rc;
	}
	/* No working directory to come back to: the long way. */
	if (cwd >= 0)
		close(cwd);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s",
		 dirfd, name);
	return bind(sock, (struct sockaddr *)&addr, sizeof(addr));
}

/* dir "/" name into dst, without doubling a trailing slash; NULL if it
 * does not fit. */
static char *path_join(char *dst, size_t cap, const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	int n;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	n = snprintf(dst, cap, "%.*s%s%s", (int)dl, dir,
		     dl && dir[dl - 1] == '/' ? "" : "/", name);
	if (n < 0 || (size_t)n >= cap)
		return NULL;
	return dst;
}
