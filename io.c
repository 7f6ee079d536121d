/* io.c - the container's stdio: pipes or a pty, stdin, and the path every
 * byte of output takes.
 *
 * The output path, in the order a byte travels it:
 *   read_output() reads the container's stdout or stderr into chunk_buf;
 *   take_chunk() makes it the current chunk and deliver() offers it to
 *   log_deliver() (k8s-file, journald; log.c), then attach_deliver()
 *   (every attach client; sock.c).
 * A consumer that cannot take all of it now (a client that does not read,
 * a stalled journald) keeps its position in the chunk and watches its own
 * fd; meanwhile the container's pipes are off the loop, so the container
 * blocks in write(2) as with any pipe whose reader is slow, and nothing is
 * lost or queued (docs/attach.md §6).  When the consumer can go on it
 * calls io_output_resume(), which offers the chunk again; once everyone
 * has it, reading resumes.  The loop itself never waits for anyone.
 *
 * A log rate limit (docs/logging.md §9) is one more reader of that kind:
 * a token bucket that, once spent, keeps the pipes off the loop until a
 * timer says enough tokens are back.
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

/* One read takes up to four of the documented chunks at once: a quarter
 * of the system calls, and the same records and packets as four reads of
 * STDIO_BUF_SIZE would give (the pipe hands out the same bytes in the
 * same order); the consumers cut it into STDIO_BUF_SIZE slices. */
#define READ_SIZE (4 * STDIO_BUF_SIZE)
static char chunk_buf[READ_SIZE];

/* Reads per readiness event before going back to epoll: enough to keep a
 * busy container cheap, few enough to stay fair to other fds. */
#define READS_PER_EVENT 8

/* At exit, reads per stream before giving up on a process that outlived
 * the container and keeps writing (docs/stdio.md §5): 512 MiB. */
#define DRAIN_READS_MAX (1 << 14)

struct output {
	struct watch w;
	enum stream stream;
	bool is_pty;
	bool watched;	  /* on the loop now */
	bool backing_off; /* pty without a reader, see back_off_pty() */
	bool drained;	  /* at exit: read to its end */
	unsigned drain_reads;
};

static void on_output(struct watch *w, uint32_t events);

static struct output out = {.w = {-1, on_output}, .stream = STREAM_STDOUT};
static struct output err = {.w = {-1, on_output}, .stream = STREAM_STDERR};

static struct {
	enum { OUTPUT_IDLE, OUTPUT_RUN, OUTPUT_DRAIN, OUTPUT_DRAINED } phase;
	struct chunk chunk; /* the chunk being delivered */
	bool waiting;	    /* a consumer has not taken all of it yet */
} output;

/* The runtime child's ends of the pipes, closed in the monitor after the
 * fork. */
static int child_stdin = -1, child_stdout = -1, child_stderr = -1;

static void on_stdin_writable(struct watch *w, uint32_t events);

/* Container stdin: the pipe's write end, or the pty master.  Client
 * packets are received into stdin_buf and written from there; rest points
 * at what the fd has not taken yet. */
static struct {
	struct watch w;
	enum stdin_state state;
	const char *rest;
	size_t rest_len;
} in = {{-1, on_stdin_writable}, STDIN_NEVER, NULL, 0};

/* Page aligned: a keystroke faults in one page, a container that never
 * gets input none. */
static char stdin_buf[ATTACH_INPUT_SIZE] __attribute__((aligned(4096)));

static int console_fd = -1; /* the pty master, used for stdin */

static void on_rate_timer(struct watch *w, uint32_t events);

/* The log rate limit's token bucket (docs/logging.md §9.3), kept as a time:
 * full_at is when it holds its burst again if nothing more is read.  With
 * cfg.log_rate == 0 none of this is touched. */
static struct {
	struct watch timer; /* one-shot, made the first time it is needed */
	int64_t full_at;    /* CLOCK_MONOTONIC ns; in the past: full */
	int64_t burst_ns;   /* the time the burst takes to come back */
	int64_t resume_ns;  /* ... and the tokens that resume reading */
	int64_t carry;	    /* the part of a ns that the last cost left */
	bool held;	    /* spent: the pipes wait for the timer */
	unsigned pauses;
} rate = {.timer = {-1, on_rate_timer}};

/* ------------------------------------------------------------------ */
/* Output: which pipes are on the loop. */

/* An output is read from the loop while the container runs, nobody is
 * behind with the current chunk, the rate limit has tokens, and a pty is
 * not backing off. */
static void sync_watch(struct output *o)
{
	bool want = o->w.fd >= 0 && output.phase == OUTPUT_RUN &&
		    !output.waiting && !rate.held && !o->backing_off;

	if (want == o->watched)
		return;
	if (want)
		watch_add(&o->w, EPOLLIN);
	else
		watch_del(&o->w);
	o->watched = want;
}

static void sync_watches(void)
{
	sync_watch(&out);
	sync_watch(&err);
}

static void close_output(struct output *o)
{
	if (o->watched)
		watch_del(&o->w);
	o->watched = false;
	close(o->w.fd);
	o->w.fd = -1;
}

/* ------------------------------------------------------------------ */
/* Output: delivery. */

/* Offer the current chunk to every consumer: the logs first, then the
 * attach clients (docs/logging.md §1).  Each goes at its own pace; true
 * once all of them have it. */
static bool deliver(void)
{
	bool logged = log_deliver(&output.chunk);
	bool sent = attach_deliver(&output.chunk);

	return logged && sent;
}

/* Make what was read (or the end of a stream, len 0 with eof) the current
 * chunk and hand it on; pause the pipes if someone cannot take it all. */
static void take_chunk(enum stream s, size_t len, bool eof)
{
	output.chunk.data = chunk_buf;
	output.chunk.len = len;
	output.chunk.stream = s;
	output.chunk.eof = eof;
	output.chunk.seq++;
	output.waiting = !deliver();
	if (output.waiting)
		sync_watches();
}

static void drain(void);

void io_output_resume(void)
{
	if (!output.waiting || !deliver())
		return;
	output.waiting = false;
	if (output.phase == OUTPUT_DRAIN)
		drain();
	else
		sync_watches();
}

/* ------------------------------------------------------------------ */
/* Output: the log rate limit (docs/logging.md §9). */

#define NS_PER_SEC 1000000000LL

/* Reading resumes once a fiftieth of a second's worth of tokens is back
 * (at most the burst): the timer then fires at most about 50 times a
 * second, and what is read between two pauses is still far below a
 * tenth of what a 2 s window allows. */
#define RATE_RESUMES_PER_SEC 50

static void rate_start(void)
{
	int64_t resume = cfg.log_rate / RATE_RESUMES_PER_SEC;

	if (resume < 1)
		resume = 1;
	if (resume > cfg.log_burst)
		resume = cfg.log_burst;
	/* Both fit: the values are at most LOG_RATE_MAX (2^32). */
	rate.burst_ns = cfg.log_burst * NS_PER_SEC / cfg.log_rate;
	rate.resume_ns = resume * NS_PER_SEC / cfg.log_rate;
}

/* Keep the pipes off the loop until the bucket holds resume_ns worth of
 * tokens again. */
static void rate_hold(void)
{
	int64_t at = rate.full_at - rate.burst_ns + rate.resume_ns;
	struct itimerspec its = {.it_value = {.tv_sec = at / NS_PER_SEC,
					      .tv_nsec = at % NS_PER_SEC}};

	if (rate.timer.fd < 0) {
		rate.timer.fd =
		    timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (rate.timer.fd < 0) {
			/* Without a timer nothing would resume the reading:
			 * no limit rather than a container stuck for good. */
			pwarn("Failed to create the log rate timer: no limit");
			cfg.log_rate = 0;
			return;
		}
		watch_add(&rate.timer, EPOLLIN);
	}
	timerfd_settime(rate.timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
	rate.held = true;
	if (!rate.pauses++)
		ninfo("Container output is rate limited: holding back its "
		      "output (%lld bytes/s from %s, burst %lld bytes)",
		      (long long)cfg.log_rate, cfg.log_rate_from,
		      (long long)cfg.log_burst);
	sync_watches();
}

/* n bytes were read: take their tokens.  A read may overdraw the bucket
 * (reads are never made shorter, so records and packets stay what they
 * are without a limit); the debt is paid by a longer pause. */
static void rate_take(size_t n)
{
	int64_t now = monotonic_ns();
	/* The cost in time, the remainder carried: many small reads cost
	 * what one large read of the same bytes does. */
	int64_t cost = (int64_t)n * NS_PER_SEC + rate.carry;

	if (rate.full_at < now)
		rate.full_at = now;
	rate.full_at += cost / cfg.log_rate;
	rate.carry = cost % cfg.log_rate;
	/* Tokens left: the bucket is not yet a whole burst away from full. */
	if (rate.full_at - now < rate.burst_ns)
		return;
	rate_hold();
}

static void on_rate_timer(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	(void)!read(w->fd, &ticks, sizeof(ticks));
	rate.held = false;
	sync_watches();
}

/* ------------------------------------------------------------------ */
/* Output: reading while the container runs. */

/* When nobody holds the pty's slave side, the master reports hang-up
 * until someone opens it again; stop watching for a while instead of
 * spinning, and never take the first hang-up as the end (docs/stdio.md
 * §2).  The timer is made the first time it is needed. */
static void on_pty_backoff_done(struct watch *w, uint32_t events);
static struct watch pty_backoff = {-1, on_pty_backoff_done};

static void back_off_pty(struct output *o)
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
	o->backing_off = true;
	sync_watch(o);
	timerfd_settime(pty_backoff.fd, 0, &its, NULL);
}

static void on_pty_backoff_done(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	(void)!read(w->fd, &ticks, sizeof(ticks));
	out.backing_off = false;
	sync_watch(&out);
}

/* Read one chunk and hand it on.  True when there may be more to read at
 * once: the read filled the buffer, everyone took it and the rate limit
 * did not pause the pipes. */
static bool read_output(struct output *o)
{
	ssize_t n = read(o->w.fd, chunk_buf, READ_SIZE);

	if (n > 0) {
		if (cfg.log_rate)
			rate_take((size_t)n);
		take_chunk(o->stream, (size_t)n, false);
		return o->watched && n == READ_SIZE;
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
	struct output *o = container_of(w, struct output, w);
	int i = 0;

	/* Paused earlier in this round: the event is stale. */
	if (!o->watched)
		return;
	while (i < READS_PER_EVENT && read_output(o))
		i++;
	if (o->is_pty && o->watched && (events & (EPOLLHUP | EPOLLERR)) &&
	    i < READS_PER_EVENT)
		back_off_pty(o);
}

void io_start(void)
{
	if (cfg.log_rate)
		rate_start();
	output.phase = OUTPUT_RUN;
	sync_watches();
}

/* ------------------------------------------------------------------ */
/* Output: draining at exit (docs/lifecycle.md §12, docs/stdio.md §5). */

/* Read each stream until it is empty, stdout first, without waiting for
 * processes that outlive the container, then flush what journald holds
 * of its last line.  Runs until a consumer falls behind, and again from
 * io_output_resume() when it caught up. */
static void drain(void)
{
	while (!output.waiting) {
		struct output *o = !out.drained	  ? &out
				   : !err.drained ? &err
						  : NULL;

		if (!o) {
			output.phase = OUTPUT_DRAINED;
			return;
		}
		if (o->w.fd >= 0 && o->drain_reads < DRAIN_READS_MAX) {
			ssize_t n = read(o->w.fd, chunk_buf, READ_SIZE);

			o->drain_reads++;
			if (n > 0) {
				take_chunk(o->stream, (size_t)n, false);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				close_output(o);
		}
		/* Empty (EAGAIN), ended, or a pty without a writer (EIO):
		 * the stream is done. */
		o->drained = true;
		take_chunk(o->stream, 0, true);
	}
}

/* The rest is read at once, whatever the rate limit: the container is
 * gone, its output must reach the log, and the exit files must not wait
 * for tokens (docs/logging.md §9). */
void io_drain_start(void)
{
	if (cfg.log_rate)
		ndebug("log rate limit: paused %u times", rate.pauses);
	output.phase = OUTPUT_DRAIN;
	sync_watches();
	if (out.w.fd >= 0)
		set_nonblock(out.w.fd);
	if (err.w.fd >= 0)
		set_nonblock(err.w.fd);
	if (!output.waiting)
		drain();
}

bool io_drained(void)
{
	return output.phase == OUTPUT_DRAINED;
}

/* ------------------------------------------------------------------ */
/* Pipes and the runtime child's fds (docs/lifecycle.md §6). */

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
/* The pty (docs/stdio.md §2). */

void io_set_console(int master)
{
	int dup_fd;

	console_fd = master;
	dup_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		pexit("Failed to dup console file descriptor");
	set_nonblock(master);
	out.w.fd = dup_fd;
	out.is_pty = true;
	sync_watch(&out);

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
/* Stdin (docs/stdio.md §3). */

enum stdin_state io_stdin_state(void)
{
	return in.state;
}

char *io_stdin_buffer(size_t *cap)
{
	if (in.state != STDIN_READY)
		return NULL;
	*cap = sizeof(stdin_buf);
	return stdin_buf;
}

/* Nothing is held any more: the clients paused behind it go on. */
static void stdin_settle(enum stdin_state state)
{
	bool was_busy = in.state == STDIN_BUSY;

	if (was_busy)
		watch_del(&in.w);
	in.state = state;
	in.rest = NULL;
	in.rest_len = 0;
	if (was_busy)
		attach_input_resume();
}

static void close_stdin(void)
{
	int fd = in.w.fd;

	/* In terminal mode the master stays open for output through its
	 * dup; only our use of it for input ends. */
	stdin_settle(STDIN_CLOSED);
	if (fd >= 0 && fd != console_fd)
		close(fd);
	in.w.fd = -1;
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
		len -= (size_t)n;
	}

	if (len == 0) {
		if (in.state == STDIN_BUSY)
			stdin_settle(STDIN_READY);
		return;
	}
	in.rest = buf;
	in.rest_len = len;
	if (in.state != STDIN_BUSY) {
		in.state = STDIN_BUSY;
		watch_add(&in.w, EPOLLOUT);
	}
}

void io_stdin_write(size_t len)
{
	if (in.state != STDIN_READY || len > sizeof(stdin_buf))
		return;
	write_stdin(stdin_buf, len);
}

static void on_stdin_writable(struct watch *w, uint32_t events)
{
	(void)w;
	if (in.state != STDIN_BUSY)
		return;
	/* The container closed its stdin: what we hold is lost. */
	if (events & EPOLLERR)
		stdin_settle(STDIN_READY);
	else
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
