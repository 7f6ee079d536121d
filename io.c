/* io.c - the container's stdio: pipes or a pty, stdin, and where every
 * byte of output goes.
 *
 * Output is read into output_packet after a type byte, so the same
 * bytes go, uncopied, first to the log drivers (log_write) and then as
 * attach packets to every client (attach_broadcast).
 */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

/* One read takes up to four of the spec's chunks at once: a quarter of
 * the system calls, and the same records and packets as four reads of
 * STDIO_BUF_SIZE would give (the pipe hands out the same bytes in the
 * same order).  [type byte][up to READ_SIZE bytes] */
#define READ_SIZE (4 * STDIO_BUF_SIZE)
static char output_packet[1 + READ_SIZE];

/* Reads per readiness event before going back to epoll: enough to keep
 * a busy container cheap, few enough to stay fair to other fds. */
#define READS_PER_EVENT 8

struct output {
	struct watch w;
	enum stream stream;
	bool is_pty;
};

static void on_output(struct watch *w, uint32_t events);

static struct output out = {{-1, on_output}, STREAM_STDOUT, false};
static struct output err = {{-1, on_output}, STREAM_STDERR, false};
static bool output_started;

/* The runtime child's ends of the pipes, closed in the monitor after the
 * fork. */
static int child_stdin = -1, child_stdout = -1, child_stderr = -1;

static void on_stdin_writable(struct watch *w, uint32_t events);

/* Container stdin: the pipe's write end, or the pty master. */
static struct {
	struct watch w;
	enum stdin_state state;
	const char *rest; /* unwritten part of a client packet */
	size_t rest_len;
} in = {{-1, on_stdin_writable}, STDIN_NEVER, NULL, 0};

static int console_fd = -1; /* the pty master, used for stdin */

/* ------------------------------------------------------------------ */
/* Output. */

static void close_output(struct output *o)
{
	watch_del(&o->w);
	close(o->w.fd);
	o->w.fd = -1;
}

/* Send one chunk where it belongs: the logs first, then attach clients
 * (logging.md §1). */
static void dispatch(enum stream s, size_t len)
{
	log_write(s, output_packet + 1, len);
	/* One read may hold several chunks of the spec's size: each goes
	 * to the clients as a packet of its own (attach.md §4.1), behind a
	 * type byte that borrows the last byte of the chunk before it. */
	for (size_t off = 0; off < len; off += STDIO_BUF_SIZE) {
		size_t n =
		    len - off < STDIO_BUF_SIZE ? len - off : STDIO_BUF_SIZE;
		char saved = output_packet[off];

		output_packet[off] = (char)s;
		attach_broadcast(output_packet + off, n + 1);
		output_packet[off] = saved;
	}
}

/* When nobody holds the pty's slave side, the master reports hang-up
 * until someone opens it again; stop watching for a while instead of
 * spinning, and never take the first hang-up as the end (stdio.md §2.2). */
static void on_pty_backoff_done(struct watch *w, uint32_t events);
static struct watch pty_backoff = {-1, on_pty_backoff_done};

static void back_off_pty(void)
{
	struct itimerspec its = {.it_value = {.tv_nsec = 100 * 1000 * 1000}};

	if (pty_backoff.fd < 0) {
		pty_backoff.fd =
		    timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (pty_backoff.fd < 0) {
			pwarn("Failed to create the pty back-off timer");
			return;
		}
		watch_add(&pty_backoff, EPOLLIN);
	}
	watch_del(&out.w);
	timerfd_settime(pty_backoff.fd, 0, &its, NULL);
}

static void on_pty_backoff_done(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	(void)!read(w->fd, &ticks, sizeof(ticks));
	if (out.w.fd >= 0)
		watch_add(&out.w, EPOLLIN);
}

/* Read one chunk; false when there is nothing more to read now. */
static bool read_chunk(struct output *o)
{
	ssize_t n = read(o->w.fd, output_packet + 1, READ_SIZE);

	if (n > 0) {
		dispatch(o->stream, n);
		return n == READ_SIZE;
	}
	if (n == 0) {
		close_output(o);
		return false;
	}
	if (errno == EAGAIN || errno == EINTR)
		return false;
	/* A pty whose slave side is closed reads EIO: no data, not the
	 * end. */
	if (!(o->is_pty && errno == EIO))
		pwarn("stdio_input read failed:");
	return false;
}

static void on_output(struct watch *w, uint32_t events)
{
	struct output *o = (struct output *)w;

	for (int i = 0; i < READS_PER_EVENT; i++)
		if (!read_chunk(o) || o->w.fd < 0)
			return;
	(void)events;
}

static void on_pty_output(struct watch *w, uint32_t events)
{
	struct output *o = (struct output *)w;
	int i;

	for (i = 0; i < READS_PER_EVENT; i++)
		if (!read_chunk(o))
			break;
	if ((events & (EPOLLHUP | EPOLLERR)) && i < READS_PER_EVENT)
		back_off_pty();
}

void io_start(void)
{
	output_started = true;
	if (out.w.fd >= 0)
		watch_add(&out.w, EPOLLIN);
	if (err.w.fd >= 0)
		watch_add(&err.w, EPOLLIN);
}

bool io_output_done(void)
{
	return out.w.fd < 0 && err.w.fd < 0;
}

/* Read what the container left behind, without waiting for processes
 * that outlive it (stdio.md §5).  Bounded, in case such a process keeps
 * writing. */
static void drain_output(struct output *o)
{
	if (o->w.fd >= 0) {
		set_nonblock(o->w.fd);
		for (int i = 0; i < 1 << 14 && o->w.fd >= 0; i++) {
			ssize_t n = read(o->w.fd, output_packet + 1, READ_SIZE);

			if (n > 0) {
				dispatch(o->stream, n);
			} else if (n == 0) {
				close_output(o);
			} else if (errno != EINTR) {
				break;
			}
		}
	}
	log_flush(o->stream);
}

void io_drain(void)
{
	drain_output(&out);
	drain_output(&err);
}

/* ------------------------------------------------------------------ */
/* Pipes and the runtime child's fds (lifecycle.md §6.2). */

static void make_pipe(int *reader, int *writer)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		pexit("Failed to create a pipe");
	*reader = fds[0];
	*writer = fds[1];
}

void io_create_pipes(void)
{
	if (cfg.terminal) {
		in.state = STDIN_LATER;
	} else {
		if (cfg.open_stdin) {
			make_pipe(&child_stdin, &in.w.fd);
			set_nonblock(in.w.fd);
			in.state = STDIN_READY;
		}
		make_pipe(&out.w.fd, &child_stdout);
		set_nonblock(out.w.fd);
	}
	make_pipe(&err.w.fd, &child_stderr);
	/* The loop reads until a short read; a read that found the pipe
	 * empty must return, never wait. */
	set_nonblock(err.w.fd);
}

/* The container may run as another user who reopens /proc/self/fd/N. */
static void place_fd(int fd, int target, const char *name)
{
	if (fd < 0)
		return;
	if (dup2(fd, target) < 0)
		pexit("Failed to dup over %s", name);
	if (fchmod(target, 0777) < 0 && errno != EINVAL)
		pwarn("Failed to chmod %s", name);
}

void io_child_setup(void)
{
	if (cfg.log_passthrough)
		return;
	place_fd(child_stdin, 0, "stdin");
	place_fd(child_stdout, 1, "stdout");
	place_fd(child_stderr, 2, "stderr");
}

void io_close_child_ends(void)
{
	int *fds[] = {&child_stdin, &child_stdout, &child_stderr};

	for (unsigned i = 0; i < 3; i++) {
		int *fd = fds[i];

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int io_runtime_stderr_fd(void)
{
	return err.w.fd;
}

/* ------------------------------------------------------------------ */
/* The pty (stdio.md §2). */

void io_set_console(int master)
{
	int dup_fd;

	console_fd = master;
	dup_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		pexit("Failed to dup console file descriptor");
	set_nonblock(master);
	out.w.fd = dup_fd;
	out.w.fn = on_pty_output;
	out.is_pty = true;
	if (output_started)
		watch_add(&out.w, EPOLLIN);

	if (in.state == STDIN_LATER) {
		in.w.fd = master;
		in.state = STDIN_READY;
		attach_input_resume();
	}
}

bool io_has_console(void)
{
	return console_fd >= 0;
}

void io_resize(int rows, int cols)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};

	if (out.w.fd < 0 || !out.is_pty)
		return;
	if (ioctl(out.w.fd, TIOCSWINSZ, &ws) < 0)
		nwarn("Failed to set process pty terminal size: %s",
		      strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Stdin (stdio.md §3). */

enum stdin_state io_stdin_state(void)
{
	return in.state;
}

static void close_stdin(void)
{
	bool was_busy = in.state == STDIN_BUSY;

	if (was_busy)
		watch_del(&in.w);
	/* In terminal mode the master stays open for output through its
	 * dup; only our use of it for input ends. */
	if (in.w.fd >= 0 && in.w.fd != console_fd)
		close(in.w.fd);
	in.w.fd = -1;
	in.state = STDIN_CLOSED;
	in.rest = NULL;
	in.rest_len = 0;
	/* Clients paused behind the dropped rest: their input is now
	 * discarded, and their hang-ups must still be seen. */
	if (was_busy)
		attach_input_resume();
}

/* Write as much as the fd takes now; keep a pointer to the rest. */
static void write_stdin(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(in.w.fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/* Retrying cannot help (the reader is gone):
			 * drop the data rather than hold it forever. */
			pwarn("Failed to write to fd container stdin");
			len = 0;
			break;
		}
		buf += n;
		len -= n;
	}

	if (len == 0) {
		if (in.state == STDIN_BUSY) {
			watch_del(&in.w);
			in.state = STDIN_READY;
			in.rest = NULL;
			attach_input_resume();
		}
		return;
	}
	in.rest = buf;
	in.rest_len = len;
	if (in.state != STDIN_BUSY) {
		in.state = STDIN_BUSY;
		watch_add(&in.w, EPOLLOUT);
	}
}

void io_stdin_write(const char *buf, size_t len)
{
	if (in.state != STDIN_READY)
		return;
	write_stdin(buf, len);
}

static void on_stdin_writable(struct watch *w, uint32_t events)
{
	(void)w;
	if (events & EPOLLERR) {
		/* The container closed its stdin: what we hold is lost. */
		watch_del(&in.w);
		in.state = STDIN_READY;
		in.rest = NULL;
		in.rest_len = 0;
		attach_input_resume();
		return;
	}
	write_stdin(in.rest, in.rest_len);
}

void io_stdin_client_done(void)
{
	if (!cfg.open_stdin || in.state == STDIN_CLOSED ||
	    in.state == STDIN_NEVER)
		return;
	if (cfg.leave_stdin_open) {
		ninfo("Not closing input");
		return;
	}
	close_stdin();
}
