/* conmon.h - what the files of conmon share.
 *
 * One conmon runs per container, so everything here is sized at start-up:
 * no allocation per event, no buffer that grows with input.  Files:
 *   conmon.c  main, lifecycle, the event loop, small fd/file helpers
 *   cli.c     the command line: parsing, --help, --version, validation
 *   io.c      container stdio: pipes or pty, stdin, fan-out of output
 *   log.c     log drivers (k8s-file, journald) and conmon's own diagnostics
 *   sock.c    attach socket, console socket, ctl/winsz FIFOs, sd-notify relay
 *   oom.c     OOM detection on cgroup v1 and v2
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

/* Sizes the spec fixes (stdio.md §7). */
#define STDIO_BUF_SIZE	  8192	/* one read of container output */
#define ATTACH_INPUT_SIZE 32768 /* one attach client packet */
#define CTL_LINE_MAX	  200	/* ctl/winsz line incl. newline, exclusive */

/* A stream's number is also its attach packet type byte (attach.md §4.1). */
enum stream { STREAM_STDOUT = 2, STREAM_STDERR = 3 };

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

	/* Derived from --log-path by validation (cli.md §4). */
	const char *k8s_log_path; /* NULL: no k8s-file driver */
	bool log_journald, log_passthrough;
};

extern struct config cfg;

/* Parse argv into cfg (cli.md §1-§3) and validate it in the order of
 * cli.md §5, exiting with the spec's message and status on any error, or
 * with 0 after --help / --version.  pool must have room for argc entries:
 * the repeatable options' values are stored there.  Opens the k8s-file log
 * (log_k8s_open) as validation step 17.3 requires. */
void cli_parse(int argc, char **argv, const char **pool);

/* One --log-path value (cli.md §4).  Returns NULL and sets the fields on
 * success, else the fatal message ("log-path must not be empty", ...). */
struct log_target {
	enum { LOG_NONE, LOG_K8S, LOG_JOURNALD, LOG_PASSTHROUGH } driver;
	const char *path; /* LOG_K8S only, points into buf */
};
const char *cli_parse_log_path(const char *value, struct log_target *out,
			       char *buf, size_t bufsize);

/* ------------------------------------------------------------------ */
/* Diagnostics (log.c, logging.md §8). */

enum log_level { LVL_ERROR, LVL_WARN, LVL_INFO, LVL_DEBUG, LVL_TRACE };
extern int log_level; /* default LVL_WARN */

/* Parse a --log-level name; -1 if unknown. */
int log_level_parse(const char *name);

/* Emit "[conmon:x]: text" on stderr (and syslog with --syslog) when level
 * is enabled.  err != 0 appends " strerror(err)".  Identical warnings
 * repeated in a burst are rate-limited. */
void diag(int level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fatal error: emit at LVL_ERROR, then conmon_exit(1). */
_Noreturn void fatal(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Option-style fatal error with the "conmon: " prefix and exit(1), for
 * the few messages of cli.md §5 that carry it. */
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
/* Container output logs (log.c, logging.md §1-§7). */

/* Open the k8s-file log at cfg.k8s_log_path (validation step 17.3);
 * fatal "Failed to open log file" on failure.  No-op without k8s-file. */
void log_k8s_open(void);
/* Hand one chunk (<= STDIO_BUF_SIZE bytes) of a stream to every enabled
 * driver: k8s-file, then journald. */
void log_write(enum stream s, const char *buf, size_t len);
/* After a stream was drained at exit: emit journald's pending partial
 * line for it. */
void log_flush(enum stream s);
/* ctl type 2: truncate-mode reopen or rotation (logging.md §6). */
void log_reopen(void);
/* At exit, unless --no-sync-log: fsync the k8s-file log. */
void log_sync(void);

/* log.c internals, exposed for unit tests and fuzzing only. */
struct iovec;
struct timespec;
#define K8S_TIMESTAMP_LEN   35	 /* YYYY-MM-DDTHH:MM:SS.NNNNNNNNN+HH:MM */
#define K8S_PREFIX_LEN	    45	 /* timestamp, " stdout F " */
#define JOURNAL_PENDING_MAX 8191 /* journald's per-stream partial line */
/* Length of the next record at buf: through its '\n', else all of it
 * (*partial set). */
size_t log_record_len(const char *buf, size_t len, bool *partial);
/* The k8s-file timestamp of ts in local time, 35 bytes, no NUL. */
void log_timestamp(char *out, const struct timespec *ts);
/* The priority of a "<N>" prefix at seg (logging.md §4.4), else -1. */
int journal_prio_prefix(const char *seg, size_t len);
/* One journald entry; the other fields come from cfg. */
struct journal_entry {
	const char *pending, *seg; /* MESSAGE is pending + seg */
	size_t pending_len, seg_len;
	int priority;
	bool partial;		/* CONTAINER_PARTIAL_MESSAGE=true */
	const char *partial_id; /* a piece of a split line, else NULL */
	const char *ordinal;	/* its CONTAINER_PARTIAL_ORDINAL */
	bool last;		/* CONTAINER_PARTIAL_LAST=true */
};
/* The native-protocol datagram for e as iovecs (lens holds the binary
 * form's lengths); 0 if max_iov or max_lens is too small. */
size_t journal_encode(const struct journal_entry *e, struct iovec *iov,
		      size_t max_iov, uint64_t *lens, size_t max_lens);
extern const char *journal_socket_path; /* /run/systemd/journal/socket */
extern bool journal_force_memfd;	/* always take the memfd path */
/* Close the log fds and forget every state (pending lines, caches). */
void log_reset(void);

/* ------------------------------------------------------------------ */
/* The event loop (conmon.c).  A watch is embedded in the object it
 * serves; the loop calls fn with the epoll events that fired. */

struct watch;
typedef void watch_fn(struct watch *w, uint32_t events);
struct watch {
	int fd;
	watch_fn *fn;
};

void loop_init(void); /* idempotent; monitor() calls it first */
/* Wait up to timeout_ms and dispatch one batch of events (tests). */
int loop_run_once(int timeout_ms);
void watch_add(struct watch *w, uint32_t events);
void watch_mod(struct watch *w, uint32_t events);
void watch_del(struct watch *w); /* does not close w->fd */

/* ------------------------------------------------------------------ */
/* Container stdio (io.c, stdio.md). */

/* Before the runtime fork: create the pipes this mode needs. */
void io_create_pipes(void);
/* In the runtime child: place fds 0-2 (lifecycle.md §6.2). */
void io_child_setup(void);
/* In the monitor after the fork: close the child's pipe ends. */
void io_close_child_ends(void);
/* The runtime's stderr pipe, read once for failure messages. */
int io_runtime_stderr_fd(void);
/* Terminal mode: the pty master arrived (sock.c). */
void io_set_console(int master);
bool io_has_console(void);
/* Start reading container output (lifecycle.md §8). */
void io_start(void);
/* Both output streams reached end of file. */
bool io_output_done(void);
/* Shutdown: read what is left, flush journald partial lines (stdio.md §5). */
void io_drain(void);
/* Apply a window size to the pty (winsz FIFO). */
void io_resize(int rows, int cols);

/* Container stdin as attach clients see it (stdio.md §3). */
enum stdin_state {
	STDIN_NEVER,  /* no stdin and none will come: discard input */
	STDIN_LATER,  /* terminal mode before the pty arrived: hold input */
	STDIN_READY,  /* accepts a write */
	STDIN_BUSY,   /* holding an unwritten remainder: hold input */
	STDIN_CLOSED, /* closed after a client stopped: discard input */
};
enum stdin_state io_stdin_state(void);
/* Write one client packet.  Only call in STDIN_READY.  If the fd takes
 * only part of it, io.c keeps a pointer to the rest (buf must stay intact
 * until attach_input_resume() is called) and the state is STDIN_BUSY. */
void io_stdin_write(const char *buf, size_t len);
/* A client stopped sending (attach.md §5): close stdin unless
 * --leave-stdin-open, when --stdin was given. */
void io_stdin_client_done(void);

/* ------------------------------------------------------------------ */
/* Sockets and FIFOs (sock.c). */

/* Terminal mode: the console socket (stdio.md §2). */
void console_create(void);	  /* before the runtime fork */
const char *console_path(void);	  /* for --console-socket */
void console_watch(void);	  /* while the runtime runs: accept + recv */
void console_check_pending(void); /* runtime exited: take a queued connection */
void console_remove(void);	  /* unlink the path if still there */

/* The attach socket (attach.md) and ctl/winsz FIFOs (ctl.md). */
void attach_create(void); /* symlink (unless --full-attach) + socket */
void ctl_create(void);	  /* ctl then winsz FIFOs */
void attach_start(void);  /* begin accepting clients */
void ctl_start(void);	  /* begin reading ctl */
void winsz_start(void);	  /* begin reading winsz (pty received) */
/* Send one output packet (type byte + chunk) to every client. */
void attach_broadcast(const char *pkt, size_t len);
/* Container stdin is writable again, or just appeared: read clients. */
void attach_input_resume(void);
void attach_close_all(void);	  /* shutdown step 7 */
void attach_remove(void);	  /* shutdown step 11: unlink the socket */
void attach_remove_symlink(void); /* at exit */

/* Parsers, exposed for unit tests and fuzzing: pure, no I/O.  line is
 * one line without its newline.  Return 0 on success, or a negative
 * CTL_E* code; the out values are then still set as far as they were
 * read, and ctl_error_text() formats the spec's warning from them. */
enum {
	CTL_EFORMAT = -1, /* "Invalid control message format" */
	CTL_ETYPE = -2,	  /* "Invalid control message type: <t>" */
	CTL_ESIZE = -3,	  /* "Invalid window size: <h>x<w> (...)" */
	CTL_EWINSZ = -4,  /* "Failed to parse window size" */
};
int ctl_parse(const char *line, size_t len, int *type, int *rows, int *cols);
int winsz_parse(const char *line, size_t len, int *rows, int *cols);
int ctl_error_text(char *dst, size_t cap, int code, int type, int rows,
		   int cols);

/* The line splitter of the ctl/winsz FIFOs (ctl.md §2), pure as well:
 * feed it what read(2) returned; it calls fn once per complete line
 * (without the newline), or with line == NULL once per line too long to
 * be valid (CTL_LINE_MAX - 1 bytes without a newline), whose bytes are
 * then skipped up to and including its newline. */
struct ctl_line {
	char buf[CTL_LINE_MAX];
	size_t len;
	bool discarding;
};
typedef void ctl_line_fn(void *ctx, const char *line, size_t len);
void ctl_line_feed(struct ctl_line *l, const char *data, size_t len,
		   ctl_line_fn *fn, void *ctx);

/* sd-notify relay (lifecycle.md §14). */
void notify_setup(void);
/* Keep only the allowed lines of a datagram, joined by '\n', in place;
 * returns the new length (0: send nothing). */
size_t notify_filter(char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* OOM detection (oom.c, oom.md). */

/* Start watching the memory cgroup of pid (lifecycle.md §8).  The test
 * hook CONMON_TEST_CGROUP_DIR=<dir> makes <dir> the cgroup v2 directory. */
void oom_start(pid_t pid);
/* Before the exit files: act on an OOM the loop has not seen yet. */
void oom_final_check(void);
/* Parser, exposed for unit tests: find the cgroup directory of a process
 * in its /proc/PID/cgroup contents, read from fd: v2 "0::PATH", or v1 the
 * hierarchy whose controllers include memory.  Returns 1 with dir set, 0
 * when no line matches, -1 after warning about a malformed line. */
int oom_parse_cgroup(int fd, bool v2, char *dir, size_t cap);

/* ------------------------------------------------------------------ */
/* Lifecycle helpers (conmon.c). */

/* Leave through the normal exit path: run the exit command if armed,
 * remove the attach symlink, reap zombies, _exit(status). */
_Noreturn void conmon_exit(int status);

/* write(2) the whole buffer, retrying EINTR/EAGAIN; -1 on error. */
ssize_t write_all(int fd, const void *buf, size_t len);
/* Write a file atomically: <path>.XXXXXX, fchmod mode, rename. */
int write_file_atomic(const char *path, const char *data, size_t len,
		      mode_t mode);
/* Escape text for a JSON string (sync-protocol.md §3).  Always
 * NUL-terminates dst; returns the length written. */
size_t json_escape(char *dst, size_t cap, const char *src);
void set_nonblock(int fd);

#endif
