/* conmon.h - the interfaces between conmon's files.
 *
 * One conmon runs per container, so everything is sized at start-up: no
 * allocation per event, no buffer that grows with input.  Files:
 *   conmon.c  main and the lifecycle: launcher, monitor, runtime, exit
 *   cli.c     the command line: parsing, --help, --version, validation
 *   loop.c    the event loop: watches and their dispatch
 *   util.c    small fd, file and text helpers the others share
 *   io.c      container stdio, and the output path with its flow control
 *   log.c     log drivers (k8s-file, journald) and conmon's own messages
 *   sock.c    attach socket, console socket, ctl/winsz FIFOs, sd-notify
 *   oom.c     OOM detection on cgroup v1 and v2
 * testing.h declares the internals that unit tests and fuzzers reach.
 * docs/ describes the interface; comments cite it as docs/FILE.md §N.
 */
#ifndef CONMON_H
#define CONMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONMON_VERSION "2.2.1"

/* Sizes the interface fixes (docs/stdio.md §7). */
#define STDIO_BUF_SIZE	  8192	/* one chunk of container output */
#define ATTACH_INPUT_SIZE 32768 /* one attach client packet */
#define CTL_LINE_MAX	  200	/* ctl/winsz line incl. newline, exclusive */

/* A stream's number is also its attach packet type byte
 * (docs/attach.md §4). */
enum stream { STREAM_STDOUT = 2, STREAM_STDERR = 3 };

#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ------------------------------------------------------------------ */
/* The command line (cli.c).  Strings point into argv or into cli.c's
 * static storage; nothing is freed, the process is short-lived. */

struct strlist {
	const char **v;
	int n;
};

struct config {
	bool api_version, exec, exec_attach, full_attach, leave_stdin_open,
	    no_container_partial_message, no_new_keyring, no_pivot, no_sync_log,
	    replace_listen_pid, open_stdin, sync, syslog, systemd_cgroup,
	    terminal, version, log_rotate;
	const char *bundle, *cid, *conmon_pidfile, *container_pidfile, *cuuid,
	    *exec_process_spec, *exit_command, *exit_dir, *log_level, *log_tag,
	    *name, *persist_dir, *restore, *runtime, *sdnotify_socket,
	    *socket_dir_path;
	int exit_delay, timeout, log_max_files;
	int64_t log_size_max, log_global_size_max;
	struct strlist exit_command_args, log_paths, log_labels, runtime_args,
	    runtime_opts, log_allowlist_dirs;

	/* Derived from --log-path by validation (docs/cli.md §4). */
	const char *k8s_log_path; /* NULL: no k8s-file driver */
	bool log_journald, log_passthrough;

	/* The log rate limit, from the bundle's annotations or the
	 * environment (docs/logging.md §9): bytes per second, 0 for none,
	 * and the bucket's size in bytes; log_rate_from names the source
	 * of the rate for conmon's messages. */
	int64_t log_rate, log_burst;
	const char *log_rate_from;
};

extern struct config cfg;

/* Parse argv into cfg (docs/cli.md §1-§3) and validate it in the order of
 * docs/cli.md §5, exiting with the documented message and status on any
 * error, or with 0 after --help / --version.  pool must have room for
 * argc entries: the repeatable options' values are stored there.  Opens
 * the k8s-file log (log_k8s_open), as validation does, and reads the log
 * rate limit from <bundle>/config.json and the environment
 * (docs/logging.md §9). */
void cli_parse(int argc, char **argv, const char **pool);

/* ------------------------------------------------------------------ */
/* conmon's own messages (log.c, docs/logging.md §8). */

enum log_level { LVL_ERROR, LVL_WARN, LVL_INFO, LVL_DEBUG, LVL_TRACE };
extern int log_level; /* default LVL_WARN */

/* Parse a --log-level name; -1 if unknown. */
int log_level_parse(const char *name);

/* Emit "[conmon:x]: text" on stderr (and syslog with --syslog) when level
 * is enabled.  err != 0 appends " strerror(err)".  Identical messages
 * repeated in a burst are held back and counted. */
void diag(int level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fatal error: emit at LVL_ERROR, then conmon_exit(1). */
_Noreturn void fatal(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Option-style fatal error with the "conmon: " prefix and exit(1), for
 * the few messages of docs/cli.md §5 that carry it. */
_Noreturn void fatal_plain(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#define nwarn(...)  diag(LVL_WARN, 0, __VA_ARGS__)
#define pwarn(...)  diag(LVL_WARN, errno, __VA_ARGS__)
#define ninfo(...)  diag(LVL_INFO, 0, __VA_ARGS__)
#define ndebug(...) diag(LVL_DEBUG, 0, __VA_ARGS__)
#define ntrace(...) diag(LVL_TRACE, 0, __VA_ARGS__)
#define nexit(...)  fatal(0, __VA_ARGS__)
#define pexit(...)  fatal(errno, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Small helpers (util.c). */

/* write(2) the whole buffer, retrying EINTR/EAGAIN; -1 on error. */
ssize_t write_all(int fd, const void *buf, size_t len);
/* Write a file atomically: <path>.XXXXXX, fchmod mode, rename. */
int write_file_atomic(const char *path, const char *data, size_t len,
		      mode_t mode);
/* Escape text for a JSON string (docs/sync-protocol.md §3).  Always
 * NUL-terminates dst; returns the length written. */
size_t json_escape(char *dst, size_t cap, const char *src);
void set_nonblock(int fd);
/* clock_gettime(2) without touching the vDSO (util.c says why). */
struct timespec;
void clock_now(clockid_t clock, struct timespec *ts);
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t monotonic_ns(void);
/* At most one true a second per *next: for warnings about conditions
 * that can repeat at the rate of container output. */
bool ratelimit_pass(int64_t *next);

/* ------------------------------------------------------------------ */
/* The event loop (loop.c).  A watch is embedded in the object it serves;
 * the loop calls its handler with the epoll events that fired.  Handlers
 * are named on_<what>. */

struct watch;
typedef void watch_fn(struct watch *w, uint32_t events);
struct watch {
	int fd;
	watch_fn *fn;
};

void loop_init(void);
/* Dispatch events until done() returns true (checked before each wait). */
void loop_run(bool (*done)(void));
/* Wait up to timeout_ms and dispatch one batch of events; the count. */
int loop_run_once(int timeout_ms);
void watch_add(struct watch *w, uint32_t events);
void watch_mod(struct watch *w, uint32_t events);
void watch_del(struct watch *w); /* does not close w->fd */

/* ------------------------------------------------------------------ */
/* Container stdio and the output path (io.c, docs/stdio.md).
 *
 * Output is read one chunk at a time into a buffer of io.c's and offered
 * to every consumer: the log drivers (log_deliver), then the attach
 * clients (attach_deliver).  Each consumer keeps its own position in the
 * chunk; the next read waits until every one has taken all of it
 * (docs/attach.md §6).  A consumer that could not take it all watches its
 * own fd for EPOLLOUT and then calls io_output_resume(). */

struct chunk {
	const char *data; /* STDIO_BUF_SIZE-byte slices make the records */
	size_t len;
	enum stream stream;
	uint32_t seq; /* changes with every chunk: positions restart */
	bool eof;     /* no data: the stream ended (flush what is pending) */
};

/* Before the runtime fork: create the pipes this mode needs. */
void io_create_pipes(void);
/* In the runtime child: place fds 0-2 (docs/lifecycle.md §6). */
void io_child_setup(void);
/* In the monitor after the fork: close the child's pipe ends. */
void io_close_child_ends(void);
/* The runtime's stderr pipe, read once for failure messages. */
int io_runtime_stderr_fd(void);
/* Terminal mode: the pty master arrived (sock.c). */
void io_set_console(int master);
bool io_has_console(void);
/* Start reading container output (docs/lifecycle.md §8). */
void io_start(void);
/* The container exited: read what is left in its pipes, deliver it all
 * and flush journald's partial lines (docs/lifecycle.md §12); the loop
 * runs until io_drained(). */
void io_drain_start(void);
bool io_drained(void);
/* The hook of the output consumers: one that was waiting can take more
 * now (or is gone).  Harmless when nothing waits. */
void io_output_resume(void);
/* Apply a window size to the pty (winsz FIFO). */
void io_resize(int rows, int cols);

/* Container stdin as attach clients see it (docs/stdio.md §3).  A client
 * packet goes into io.c's buffer and is written from there; until all of
 * it is written, no further packet is taken, and io.c calls
 * attach_input_resume() once it is. */
enum stdin_state {
	STDIN_NEVER,  /* no stdin and none will come: discard input */
	STDIN_LATER,  /* terminal mode before the pty arrived: hold input */
	STDIN_READY,  /* takes a packet */
	STDIN_BUSY,   /* still writing the last packet: hold input */
	STDIN_CLOSED, /* closed after a client stopped: discard input */
};
enum stdin_state io_stdin_state(void);
/* In STDIN_READY: where to receive the next packet, and its room. */
char *io_stdin_buffer(size_t *cap);
/* Write the len bytes just received into io_stdin_buffer(). */
void io_stdin_write(size_t len);
/* A client stopped sending (docs/attach.md §5): close stdin unless
 * --leave-stdin-open, when --stdin was given. */
void io_stdin_client_done(void);

/* ------------------------------------------------------------------ */
/* Container output logs (log.c, docs/logging.md §1-§7). */

/* The POSIX TZ rules of the local time zone, read from the end of its
 * zone file, so that TZ=<rules> gives local time without musl mapping the
 * file (log.c explains).  False when TZ already holds rules or the file
 * has none. */
bool log_tz_rules(char *out, size_t cap);
/* Open the k8s-file log at cfg.k8s_log_path (a validation step); fatal
 * "Failed to open log file" on failure.  No-op without k8s-file. */
void log_k8s_open(void);
/* Offer a chunk to the drivers: k8s-file writes it at once, journald
 * sends what its socket takes.  True once they have all of it; false
 * while journald waits for its socket (it then resumes the output). */
bool log_deliver(const struct chunk *c);
/* ctl type 2: truncate-mode reopen or rotation (docs/logging.md §6). */
void log_reopen(void);
/* At exit, unless --no-sync-log: fsync the k8s-file log. */
void log_sync(void);

/* ------------------------------------------------------------------ */
/* Sockets and FIFOs (sock.c). */

/* Terminal mode: the console socket (docs/stdio.md §2). */
void console_create(void);	  /* before the runtime fork */
const char *console_path(void);	  /* for --console-socket */
void console_watch(void);	  /* while the runtime runs: accept + recv */
void console_check_pending(void); /* runtime exited: take a queued one */
void console_remove(void);	  /* unlink the path if still there */

/* The attach socket (docs/attach.md) and ctl/winsz FIFOs (docs/ctl.md). */
void attach_create(void); /* symlink (unless --full-attach) + socket */
void ctl_create(void);	  /* ctl then winsz FIFOs */
void attach_start(void);  /* begin accepting clients */
void ctl_start(void);	  /* begin reading ctl */
/* Offer a chunk to every client as packets of at most STDIO_BUF_SIZE
 * bytes behind the type byte.  True once every client has all of it. */
bool attach_deliver(const struct chunk *c);
/* Container stdin takes packets again, or will never: read clients. */
void attach_input_resume(void);
void attach_close_all(void);	  /* before the exit files */
void attach_remove(void);	  /* unlink the socket */
void attach_remove_symlink(void); /* at exit */

/* sd-notify relay (docs/lifecycle.md §14). */
void notify_setup(void);

/* ------------------------------------------------------------------ */
/* OOM detection (oom.c, docs/oom.md). */

/* Start watching the memory cgroup of pid.  The test hook
 * CONMON_TEST_CGROUP_DIR=<dir> makes <dir> the cgroup v2 directory. */
void oom_start(pid_t pid);
/* Before the exit files: act on an OOM the loop has not seen yet. */
void oom_final_check(void);

/* ------------------------------------------------------------------ */
/* The lifecycle (conmon.c). */

/* Leave through the normal exit path: run the exit command if armed,
 * remove the attach symlink, reap zombies, _exit(status). */
_Noreturn void conmon_exit(int status);

#endif
