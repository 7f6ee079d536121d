/* conmon.c - main and the container's lifecycle.
 *
 * The launcher validates the command line, waits for the caller's start
 * byte, forks the monitor and exits.  The monitor starts the runtime,
 * learns the container's pid, then sleeps in the event loop (loop.c)
 * until the container exits; it drains the output, writes the exit files
 * and runs the exit command.  The order of every step is documented
 * (docs/lifecycle.md §2 and §12): clients depend on it.
 */
#include "conmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* Where the monitor is in the container's life. */
enum phase {
	PHASE_LAUNCH,  /* validating, before the monitor exists */
	PHASE_RUNTIME, /* the runtime child runs create/exec/restore */
	PHASE_RUNNING, /* the container runs; we relay its stdio */
	PHASE_EXITING, /* draining and writing the exit files */
};

/* Children that exited while the runtime ran, before we knew which pid
 * is the container's (docs/lifecycle.md §6.4): a fast exec must not lose its
 * status.  Only the newest few matter. */
#define EARLY_EXITS 8

static struct {
	enum phase phase;
	bool in_child; /* the runtime or exit-command child, before exec */

	int start_fd, sync_fd, attach_fd; /* the _OCI_* pipes, or -1 */
	int devnull;

	pid_t runtime_pid; /* 0 once reaped */
	int runtime_status;

	pid_t container_pid; /* 0 until read from the pidfile */
	bool container_exited;
	int container_status; /* exit status text value, docs/lifecycle.md §10.1
			       */
	bool timed_out;

	struct {
		pid_t pid;
		int status;
	} early[EARLY_EXITS];
	unsigned early_next;

	bool exit_command_armed;
	char **caller_env;	/* what the runtime and exit command get */
	char oom_score_adj[16]; /* the value to restore in children */
	sigset_t saved_mask;
} mon = {
    .start_fd = -1,
    .sync_fd = -1,
    .attach_fd = -1,
    .devnull = -1,
};

/* ------------------------------------------------------------------ */
/* File descriptors. */

/* Close every fd from 3 up, except keep (-1: none).  closelog() first so
 * that libc forgets its syslog socket instead of sending to a stale
 * number. */
static void close_fds_except(int keep)
{
	char buf[1024];
	int dir;
	long n;

	closelog();
	if (keep < 0) {
		if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
			return;
	} else if ((keep == 3 || syscall(SYS_close_range, 3U,
					 (unsigned)keep - 1, 0U) == 0) &&
		   syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0) {
		return;
	}

	/* Kernels before 5.9: walk /proc/self/fd with getdents64, which
	 * unlike opendir() needs no heap. */
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != keep)
				close(fd);
		return;
	}
	/* Each record is a struct linux_dirent64: u64 inode, s64 offset,
	 * u16 record length (at 16), u8 type, then the name (at 19). */
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			const char *name = buf + off + 19;
			unsigned short reclen;
			int fd = atoi(name);

			if (name[0] != '.' && fd >= 3 && fd != keep &&
			    fd != dir)
				close(fd);
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
		}
	}
	close(dir);
}

/* Parse a whole-string base-10 fd number, as the _OCI_* variables hold. */
static int parse_fd_env(const char *name, const char *value)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < 0 || v > INT_MAX) {
		if (!errno)
			errno = EINVAL;
		pexit("unable to parse %s", name);
	}
	if (fcntl((int)v, F_SETFD, FD_CLOEXEC) < 0)
		pexit("unable to make %s CLOEXEC", name);
	return (int)v;
}

/* ------------------------------------------------------------------ */
/* Sync and attach pipe messages (docs/sync-protocol.md §3). */

static const char *sync_key(void)
{
	if (cfg.api_version)
		return "data";
	return cfg.exec ? "exit_code" : "pid";
}

/* One message, one write: a SEQPACKET reader gets it as one packet. */
static void send_message(int *fdp, const char *key, int value, const char *text)
{
	/* Room for the runtime's stderr (8191 bytes) escaped at worst 6x.
	 * A message without text (the pid, an exit status: every message
	 * of a healthy container) is formatted on the stack, so the big
	 * buffer's page is never touched. */
	static char big[64 + 6 * STDIO_BUF_SIZE];
	char small[64];
	char *msg = text && *text ? big : small;
	size_t size = text && *text ? sizeof(big) : sizeof(small);
	size_t n;
	const char *p;

	if (*fdp < 0)
		return;
	n = snprintf(msg, size, "{\"%s\": %d", key, value);
	if (text && *text) {
		n += snprintf(msg + n, size - n, ", \"message\": \"");
		n += json_escape(msg + n, size - n - 4, text);
		msg[n++] = '"';
	}
	msg[n++] = '}';
	msg[n++] = '\n';

	for (p = msg; n > 0;) {
		ssize_t w = write(*fdp, p, n);

		if (w >= 0) {
			p += w;
			n -= w;
			continue;
		}
		if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
			continue;
		if (errno == EPIPE) {
			/* The reader went away: nobody to tell. */
			close(*fdp);
			*fdp = -1;
			return;
		}
		pexit("Unable to send container stderr message to parent");
	}
}

static void sync_send(int value, const char *text)
{
	send_message(&mon.sync_fd, sync_key(), value, text);
}

/* ------------------------------------------------------------------ */
/* Children: the runtime, the container and whatever else we adopted. */

static int status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

static void container_exited(int status)
{
	if (mon.container_exited)
		return;
	mon.container_exited = true;
	mon.container_status = status;
	if (status != 0)
		ninfo("container %d exited with status %d", mon.container_pid,
		      status);
}

static void note_child_exit(pid_t pid, int wstatus)
{
	if (pid == mon.runtime_pid) {
		mon.runtime_pid = 0;
		mon.runtime_status = wstatus;
	} else if (mon.container_pid > 0 && pid == mon.container_pid) {
		container_exited(status_of(wstatus));
	} else if (mon.phase == PHASE_RUNTIME) {
		unsigned i = mon.early_next++ % EARLY_EXITS;

		mon.early[i].pid = pid;
		mon.early[i].status = status_of(wstatus);
	}
}

static void on_probe_timer(struct watch *w, uint32_t events);
static struct watch probe_timer = {-1, on_probe_timer};

/* The container is not (or no longer) our child: is it still there?
 * (docs/lifecycle.md §9). */
static void probe_container(void)
{
	if (mon.phase != PHASE_RUNNING || mon.container_exited)
		return;
	if (kill(mon.container_pid, 0) == 0 || errno == EPERM) {
		/* Probed every second: say it once. */
		static bool said_alive;

		if (!said_alive)
			ninfo("Container process %d is still alive but not a "
			      "direct child",
			      mon.container_pid);
		said_alive = true;
		return;
	}
	ninfo("Container process %d has exited (detected via kill probe)",
	      mon.container_pid);
	container_exited(0);
}

/* Without a pidfd nothing tells us when a container that is not our
 * child goes: look every second (kernels before 5.3). */
static void start_probe_timer(void)
{
	struct itimerspec its = {{1, 0}, {1, 0}};

	if (probe_timer.fd >= 0)
		return;
	probe_timer.fd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (probe_timer.fd < 0 ||
	    timerfd_settime(probe_timer.fd, 0, &its, NULL) < 0)
		pexit("Failed to create the kill-probe timer");
	watch_add(&probe_timer, EPOLLIN);
}

static void on_probe_timer(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	(void)!read(w->fd, &ticks, sizeof(ticks));
	probe_container();
}

static bool have_pidfd;

static void reap_children(void)
{
	for (;;) {
		int wstatus;
		pid_t pid = waitpid(-1, &wstatus, WNOHANG);

		if (pid > 0) {
			note_child_exit(pid, wstatus);
			continue;
		}
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno == ECHILD && mon.phase == PHASE_RUNNING &&
		    !mon.container_exited) {
			probe_container();
			if (!mon.container_exited && !have_pidfd)
				start_probe_timer();
		}
		return;
	}
}

/* SIGTERM, SIGINT and SIGQUIT go to the container, or to the runtime
 * while we do not know the container yet (docs/lifecycle.md §11). */
static void forward_signal(int sig)
{
	if (mon.container_pid > 0) {
		if (kill(mon.container_pid, sig) == 0)
			return;
	} else if (mon.runtime_pid > 0) {
		if (kill(mon.runtime_pid, sig) == 0)
			return;
	}
	reap_children();
}

static void on_signal(struct watch *w, uint32_t events);
static struct watch signal_watch = {-1, on_signal};

static void on_signal(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
		case SIGUSR1:
			reap_children();
			break;
		default:
			forward_signal(si.ssi_signo);
		}
	}
}

static void on_pidfd(struct watch *w, uint32_t events);
static struct watch pidfd_watch = {-1, on_pidfd};

static void on_pidfd(struct watch *w, uint32_t events)
{
	int wstatus;
	pid_t pid;

	(void)events;
	watch_del(w);
	close(w->fd);
	w->fd = -1;
	if (mon.container_exited)
		return;
	do
		pid = waitpid(mon.container_pid, &wstatus, WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid == mon.container_pid)
		container_exited(status_of(wstatus));
	else if (pid < 0)
		/* Gone, but not our child: its status is unknowable. */
		container_exited(0);
	/* pid == 0 cannot happen after a pidfd reported the exit; if it
	 * does, SIGCHLD will bring the status. */
}

static void on_timeout(struct watch *w, uint32_t events);
static struct watch timeout_watch = {-1, on_timeout};

static void on_timeout(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	(void)events;
	(void)!read(w->fd, &ticks, sizeof(ticks));
	mon.timed_out = true;
}

/* ------------------------------------------------------------------ */
/* Start-up pieces. */

/* Lower our OOM score so the kernel kills the container before its
 * monitor; rootless callers may not, which is fine. */
static void lower_oom_score(void)
{
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, mon.oom_score_adj, sizeof(mon.oom_score_adj) - 1);
	if (n > 0) {
		mon.oom_score_adj[n] = '\0';
		if (pwrite(fd, "-1000", 5, 0) < 0)
			ndebug("Failed to lower oom_score_adj");
	} else {
		mon.oom_score_adj[0] = '\0';
	}
	close(fd);
}

static void restore_oom_score(void)
{
	int fd;

	if (!mon.oom_score_adj[0])
		return;
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)!write(fd, mon.oom_score_adj, strlen(mon.oom_score_adj));
	close(fd);
}

static void on_early_sigterm(int sig)
{
	(void)sig;
	_exit(1);
}

/* One read: any result, even EOF, means go (docs/sync-protocol.md §2). */
static void wait_start_byte(int fd)
{
	char buf[STDIO_BUF_SIZE];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		pexit("start-pipe read failed");
}

static void write_conmon_pidfile(pid_t pid)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d", pid);

	if (write_file_atomic(cfg.conmon_pidfile, text, n, 0644) < 0) {
		diag(LVL_ERROR, errno, "Failed to write conmon pidfile:");
		_exit(1);
	}
}

/* Once fds 0-2 are /dev/null the originals have served their purpose:
 * the runtime child and the exit command inherit 0-2 themselves. */
static void redirect_stdio_to_devnull(void)
{
	if (dup2(mon.devnull, 0) < 0 || dup2(mon.devnull, 1) < 0 ||
	    dup2(mon.devnull, 2) < 0)
		pexit("Failed to redirect stdio to /dev/null");
	close(mon.devnull);
	mon.devnull = -1;
}

/* ------------------------------------------------------------------ */
/* The runtime. */

static void add_args(const char **argv, int *n, const struct strlist *l)
{
	for (int i = 0; i < l->n; i++)
		argv[(*n)++] = l->v[i];
}

/* The runtime's argv in the exact order of docs/lifecycle.md §6.1. */
static void build_runtime_argv(const char **argv)
{
	int n = 0;

	argv[n++] = cfg.runtime;
	if (cfg.systemd_cgroup && !cfg.exec)
		argv[n++] = "--systemd-cgroup";
	add_args(argv, &n, &cfg.runtime_args);
	if (cfg.exec) {
		argv[n++] = "exec";
		argv[n++] = "--pid-file";
		argv[n++] = cfg.container_pidfile;
		argv[n++] = "--process";
		argv[n++] = cfg.exec_process_spec;
		argv[n++] = "--detach";
	} else {
		argv[n++] = cfg.restore ? "restore" : "create";
		argv[n++] = "--bundle";
		argv[n++] = cfg.bundle;
		argv[n++] = "--pid-file";
		argv[n++] = cfg.container_pidfile;
		if (cfg.no_pivot)
			argv[n++] = "--no-pivot";
		if (cfg.no_new_keyring)
			argv[n++] = "--no-new-keyring";
		if (cfg.restore) {
			argv[n++] = "--detach";
			argv[n++] = "--image-path";
			argv[n++] = cfg.restore;
			argv[n++] = "--work-path";
			argv[n++] = cfg.bundle;
		}
	}
	add_args(argv, &n, &cfg.runtime_opts);
	if (cfg.terminal) {
		argv[n++] = "--console-socket";
		argv[n++] = console_path();
	}
	argv[n++] = cfg.cid;
	argv[n] = NULL;
}

static void trace_argv(const char *what, const char **argv)
{
	char line[4096];
	size_t n = 0;

	if (log_level < LVL_TRACE)
		return;
	for (; *argv && n < sizeof(line) - 1; argv++)
		n += snprintf(line + n, sizeof(line) - n, "%s ", *argv);
	ntrace("%s%s", what, line);
}

/* Socket activation: the runtime must see its own pid in LISTEN_PID
 * when the caller meant us (docs/lifecycle.md §6.5).  Runs in the runtime
 * child: envp (room for every entry of environ plus the NULL) receives
 * environ with each LISTEN_PID entry pointing at buf instead, so nothing
 * is allocated (setenv would pull malloc into the static binary). */
static void build_runtime_env(const char **envp, char *buf, size_t size)
{
	static const char key[] = "LISTEN_PID=";
	const char *v = getenv("LISTEN_PID");
	bool replace = false;
	size_t n = 0;

	if (v) {
		char *end;
		long pid;

		errno = 0;
		pid = strtol(v, &end, 10);
		if (errno || end == v || *end || pid <= 0) {
			if (!errno)
				errno = EINVAL;
			pexit("Invalid LISTEN_PID %.10s", v);
		}
		replace = cfg.replace_listen_pid || pid == getppid();
		/* execve keeps our pid: it becomes the runtime's. */
		snprintf(buf, size, "%s%d", key, getpid());
	}
	for (char **e = mon.caller_env; *e; e++)
		envp[n++] =
		    replace && !strncmp(*e, key, sizeof(key) - 1) ? buf : *e;
	envp[n] = NULL;
}

static _Noreturn void exec_runtime(const char **argv)
{
	size_t nenv = 0;
	char listen_pid[32];

	while (mon.caller_env[nenv])
		nenv++;

	const char *envp[nenv + 1];

	mon.in_child = true;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		pexit("Failed to set PDEATHSIG");
	sigprocmask(SIG_SETMASK, &mon.saved_mask, NULL);
	/* The container should start with default dispositions; upstream
	 * leaks its ignored SIGPIPE into it. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	io_child_setup();
	build_runtime_env(envp, listen_pid, sizeof(listen_pid));
	if (cfg.exec_attach && mon.start_fd >= 0) {
		/* Podman sends the second byte once it is attached, so
		 * no output is lost. */
		wait_start_byte(mon.start_fd);
		close(mon.start_fd);
	}
	restore_oom_score();
	execve(cfg.runtime, (char *const *)argv, (char *const *)envp);
	_exit(127);
}

/* The runtime's first words on stderr, for a failure message. */
static const char *read_runtime_stderr(char *buf, size_t size)
{
	int fd = io_runtime_stderr_fd();
	ssize_t n;

	if (fd < 0)
		return NULL;
	set_nonblock(fd);
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	nwarn("runtime stderr: %s", buf);
	return buf;
}

/* atoi() semantics, as the documented pidfile reading (docs/lifecycle.md §8).
 */
static pid_t read_container_pid(char *err, size_t errsize)
{
	char buf[32];
	int fd = open(cfg.container_pidfile, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	pid_t pid;

	if (fd < 0) {
		snprintf(err, errsize, "Failed to open file \u201c%s\u201d: %s",
			 cfg.container_pidfile, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errsize, "Failed to read file \u201c%s\u201d: %s",
			 cfg.container_pidfile, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	pid = atoi(buf);
	/* An empty or zero pidfile (CRI-O pre-creates it) means the runtime
	 * never started the process: a failure, not pid 0. */
	if (pid <= 0) {
		snprintf(err, errsize, "Invalid pid in file \u201c%s\u201d",
			 cfg.container_pidfile);
		return -1;
	}
	return pid;
}

/* Evaluate the runtime's exit in the order of docs/lifecycle.md §7. */
static void check_runtime_result(void)
{
	static char text[STDIO_BUF_SIZE];
	char err[PATH_MAX + 128];
	int st = mon.runtime_status;
	const char *msg;

	if (!cfg.exec && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		msg = read_runtime_stderr(text, sizeof(text));
		sync_send(-1, msg);
		nexit("Failed to create container: exit status %d",
		      status_of(st));
	}
	if (cfg.terminal) {
		console_check_pending();
		if (!io_has_console()) {
			sync_send(-1, "Runtime did not set up terminal");
			nexit("Runtime did not set up terminal");
		}
	}
	mon.container_pid = read_container_pid(err, sizeof(err));
	if (mon.container_pid < 0) {
		mon.container_pid = 0;
		msg = read_runtime_stderr(text, sizeof(text));
		sync_send(-1, msg ? msg : err);
		nexit("Failed to read pidfile: %s", err);
	}
}

/* The container's exit may already be known (it exited while the runtime
 * ran); otherwise watch it through a pidfd. */
static void watch_container(void)
{
	int fd;

	for (unsigned i = 0; i < EARLY_EXITS; i++) {
		if (mon.early[i].pid == mon.container_pid) {
			container_exited(mon.early[i].status);
			return;
		}
	}
	fd = syscall(SYS_pidfd_open, mon.container_pid, 0);
	if (fd >= 0) {
		have_pidfd = true;
		pidfd_watch.fd = fd;
		watch_add(&pidfd_watch, EPOLLIN);
	} else if (errno == ESRCH) {
		/* Already gone and reaped, unless it is a zombie of ours
		 * that reaping finds now. */
		reap_children();
		if (!mon.container_exited)
			container_exited(0);
		return;
	} else if (errno != ENOSYS) {
		pwarn("Failed to open a pidfd for the container");
	}
	/* Collect what exited meanwhile; without a pidfd, SIGCHLD and the
	 * kill probe tell us the rest (docs/lifecycle.md §9). */
	reap_children();
}

static void start_timeout(void)
{
	struct itimerspec its = {.it_value = {.tv_sec = cfg.timeout}};
	int fd;

	if (cfg.timeout <= 0)
		return;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0)
		pexit("Failed to create the timeout timer");
	timeout_watch.fd = fd;
	watch_add(&timeout_watch, EPOLLIN);
}

/* ------------------------------------------------------------------ */
/* The exit command and the way out. */

static int run_exit_command(void)
{
	int n = 0, exit_status = 0, wstatus;
	pid_t pid, child;
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	close_fds_except(-1);
	/* Whatever the exit command daemonizes must not be ours to wait
	 * for. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 0) < 0)
		pwarn("Failed to disable self subreaper attribute - might wait "
		      "for indirect children a long time");

	child = fork();
	if (child < 0) {
		pwarn("Failed to fork the exit command");
		return 0;
	}
	if (child == 0) {
		const char *argv[cfg.exit_command_args.n + 2];

		mon.in_child = true;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (cfg.exit_delay > 0) {
			ndebug("Sleeping for %d seconds before executing exit "
			       "command",
			       cfg.exit_delay);
			sleep(cfg.exit_delay);
		}
		restore_oom_score();
		argv[n++] = cfg.exit_command;
		add_args(argv, &n, &cfg.exit_command_args);
		argv[n] = NULL;
		execve(cfg.exit_command, (char *const *)argv, mon.caller_env);
		_exit(1);
	}

	/* Wait for every child, adopted ones included (docs/lifecycle.md §13).
	 */
	for (;;) {
		pid = waitpid(-1, &wstatus, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pid == child)
			exit_status = status_of(wstatus);
	}
	return exit_status;
}

static void reap_zombies(void)
{
	int wstatus;

	while (waitpid(-1, &wstatus, WNOHANG) > 0)
		;
}

_Noreturn void conmon_exit(int status)
{
	if (mon.in_child || mon.phase == PHASE_LAUNCH)
		_exit(status);
	/* A monitor that dies (say, the runtime failed) leaves no socket
	 * behind; after a normal shutdown it is already gone. */
	attach_remove();
	if (mon.exit_command_armed) {
		int st;

		mon.exit_command_armed = false;
		st = run_exit_command();
		if (st != 0)
			_exit(st);
	}
	console_remove();
	attach_remove_symlink();
	reap_zombies();
	_exit(status);
}

/* Exit status text (docs/lifecycle.md §15): bare decimal, no newline. */
static void write_exit_files(int status)
{
	char text[16], path[PATH_MAX];
	int n = snprintf(text, sizeof(text), "%d", status);

	if (cfg.persist_dir) {
		snprintf(path, sizeof(path), "%s/exit", cfg.persist_dir);
		if (write_file_atomic(path, text, n, 0644) < 0)
			nexit("Failed to write %s to container exit file: %s",
			      text, strerror(errno));
	}
	if (cfg.exit_dir) {
		snprintf(path, sizeof(path), "%s/%s", cfg.exit_dir, cfg.cid);
		if (write_file_atomic(path, text, n, 0644) < 0)
			nexit("Failed to write %s to exit file: %s", text,
			      strerror(errno));
	}
}

static void kill_timed_out_container(void)
{
	pid_t pgid = getpgid(mon.container_pid);

	/* Never our own group: the container may have stayed in it. */
	if (pgid > 1 && pgid != getpgrp())
		kill(-pgid, SIGKILL);
	else
		kill(mon.container_pid, SIGKILL);
}

static bool output_drained(void)
{
	return io_drained() || mon.timed_out;
}

/* docs/lifecycle.md §12: the order is what clients rely on. */
static _Noreturn void shut_down(void)
{
	int status;

	mon.phase = PHASE_EXITING;
	oom_final_check();
	/* The rest of the output reaches the logs and every client before
	 * anything is closed; a client that reads slowly holds the exit
	 * back, as a slow reader holds back a pipe's writer, while the loop
	 * goes on serving everything else (docs/attach.md §6). */
	if (!mon.timed_out) {
		io_drain_start();
		loop_run(output_drained);
	}
	log_sync();

	if (mon.timed_out && mon.container_pid > 0) {
		kill_timed_out_container();
		status = -1;
	} else {
		status = mon.container_status;
	}

	/* Inherited fds (port reservations, Podman's pipes) go before the
	 * exit is announced, so a restarted container can rebind; our own
	 * fds go with them, the attach clients first (they see the end of
	 * the stream). */
	attach_close_all();
	close_fds_except(mon.sync_fd);

	write_exit_files(status);
	if (cfg.exec)
		sync_send(status, mon.timed_out ? "command timed out" : NULL);
	attach_remove();
	conmon_exit(status & 0xff);
}

/* ------------------------------------------------------------------ */
/* The monitor. */

static void setup_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, &mon.saved_mask) < 0)
		pexit("Failed to block signals");
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		pexit("Failed to create signalfd");
	signal_watch.fd = fd;
	watch_add(&signal_watch, EPOLLIN);
}

static void start_runtime(void)
{
	const char *argv[cfg.runtime_args.n + cfg.runtime_opts.n + 24];
	pid_t pid;

	build_runtime_argv(argv);
	trace_argv("calling runtime args: ", argv);
	setup_signals();

	pid = fork();
	if (pid < 0)
		pexit("Failed to fork the runtime");
	if (pid == 0)
		exec_runtime(argv);
	mon.runtime_pid = pid;

	if (cfg.log_passthrough)
		redirect_stdio_to_devnull();
	mon.exit_command_armed = cfg.exit_command != NULL;
	io_close_child_ends();
	if (cfg.exec_attach && mon.start_fd >= 0) {
		close(mon.start_fd);
		mon.start_fd = -1;
	}
}

/* Start-up ran deep frames (the 8 KiB start-pipe read, PATH_MAX
 * buffers) that the loop never needs again: give back every stack page
 * below this frame's.  The handlers run above it and within a page of
 * it, so the pages given back stay away. */
static __attribute__((noinline)) void shed_stack(void)
{
	uintptr_t page =
	    (uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)4095;

	(void)madvise((void *)(page - 65536), 65536, MADV_DONTNEED);
}

static bool runtime_exited(void)
{
	return mon.runtime_pid == 0;
}

static bool container_gone(void)
{
	return mon.container_exited || mon.timed_out;
}

/* Without the subreaper attribute the container would be re-parented to
 * init and its exit never seen (old kernels, some emulators): say why on
 * stderr, which is still the caller's, and on the sync pipe. */
static void become_subreaper(void)
{
	char text[96];
	int err;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
		return;
	err = errno;
	snprintf(text, sizeof(text), "Failed to set as subreaper: %s",
		 strerror(err));
	sync_send(-1, text);
	fatal(err, "Failed to set as subreaper");
}

static _Noreturn void monitor(void)
{
	const char *env;
	bool has_sockets = cfg.bundle && !cfg.log_passthrough;

	loop_init();
	mon.phase = PHASE_RUNTIME;

	if (cfg.sdnotify_socket)
		notify_setup();
	if ((env = getenv("_OCI_SYNCPIPE")))
		mon.sync_fd = parse_fd_env("_OCI_SYNCPIPE", env);
	if (cfg.exec_attach) {
		env = getenv("_OCI_ATTACHPIPE");
		if (!env)
			pexit("--attach specified but _OCI_ATTACHPIPE was not");
		else
			mon.attach_fd = parse_fd_env("_OCI_ATTACHPIPE", env);
	}
	become_subreaper();
	/* Callers wait on our stdout/stderr pipes: let go of them before
	 * anything long-running. */
	if (!cfg.log_passthrough)
		redirect_stdio_to_devnull();
	setsid();

	io_create_pipes();
	if (cfg.terminal)
		console_create();
	if (has_sockets) {
		attach_create();
		ctl_create();
		/* Podman's exec client writes its first resize and connects
		 * before it lets the runtime run (the second start byte):
		 * take both while the runtime runs, so the pty is sized as
		 * soon as it arrives and a process that exits at once does
		 * not leave its output to nobody. */
		attach_start();
		ctl_start();
		if (cfg.exec_attach) {
			ndebug("sending attach message to parent");
			send_message(&mon.attach_fd, "data", 0, NULL);
			ndebug("sent attach message to parent");
		}
	}

	start_runtime();
	if (cfg.terminal)
		console_watch();
	loop_run(runtime_exited);
	/* The batch that brought the runtime's exit may hold more, such as
	 * that attach client: take it now, the container may be gone
	 * already and the loop never run again. */
	loop_run_once(0);
	check_runtime_result();

	ndebug("container PID: %d", mon.container_pid);
	if (cfg.api_version || !cfg.exec)
		sync_send(mon.container_pid, NULL);
	mon.phase = PHASE_RUNNING;
	oom_start(mon.container_pid);
	io_start();
	start_timeout();
	watch_container();
	shed_stack();
	loop_run(container_gone);
	shut_down();
}

int main(int argc, char **argv)
{
	const char *pool[argc > 0 ? argc : 1];
	size_t nenv = 0;
	const char *env;

	while (environ[nenv])
		nenv++;

	/* conmon's own environment: the caller's, with TZ set to the rules
	 * of the local zone (log_tz_rules); the runtime and the exit command
	 * get the caller's.  main's frame lasts as long as the process. */
	char *own_env[nenv + 2], tz[3 + 64] = "TZ=";

	mon.caller_env = environ;
	if (log_tz_rules(tz + 3, sizeof(tz) - 3)) {
		size_t n = 0;

		for (char **e = environ; *e; e++)
			if (strncmp(*e, "TZ=", 3) != 0)
				own_env[n++] = *e;
		own_env[n++] = tz;
		own_env[n] = NULL;
		environ = own_env;
	}
	umask(0022);
	cli_parse(argc, argv, pool);
	lower_oom_score();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_early_sigterm);

	/* Both clients move us into a cgroup before they send the start
	 * byte: nothing may be forked before it arrives. */
	if ((env = getenv("_OCI_STARTPIPE"))) {
		mon.start_fd = parse_fd_env("_OCI_STARTPIPE", env);
		wait_start_byte(mon.start_fd);
		if (!cfg.exec_attach) {
			close(mon.start_fd);
			mon.start_fd = -1;
		}
	}

	mon.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (mon.devnull < 0)
		pexit("Failed to open /dev/null");

	if (!cfg.sync) {
		pid_t pid = fork();

		if (pid < 0)
			pexit("Failed to fork");
		if (pid > 0) {
			if (cfg.conmon_pidfile)
				write_conmon_pidfile(pid);
			_exit(0);
		}
	}
	monitor();
}
