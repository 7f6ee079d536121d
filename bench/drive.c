/*
 * drive: launch conmon as Podman does and time what it reports.
 *
 *   drive [OPTIONS] -- CONMON ARG...
 *
 * conmon gets the _OCI_SYNCPIPE (fd 3) and _OCI_STARTPIPE (fd 4) ends of
 * SOCK_SEQPACKET socketpairs (with -A also _OCI_ATTACHPIPE, fd 5), stdin
 * and stdout on /dev/null, its own process group, and the start byte at
 * once. drive is a child subreaper, so the monitor becomes its child when
 * the launcher exits: drive then reads the monitor's own CPU time from
 * /proc while it is a zombie (its children's time excluded) and reaps it.
 *
 *   -p FILE   conmon pidfile (needed for every monitor figure)
 *   -x FILE   wait for this exit file
 *   -k SIG    send SIG to the container pid as soon as the sync pipe names it
 *   -g FIFO   after the sync pid (and the attach connect), open FIFO for
 *             writing: releases a fake-runtime writer waiting on BENCH_GO
 *   -a PATH   attach client: connect a SOCK_SEQPACKET socket to PATH and
 *             read 8193-byte packets until EOF
 *   -A        exec-attach: pass an attach pipe; on its message connect the
 *             attach client (if -a) and write the second start byte
 *   -m MS     read the monitor's memory figures MS ms after the sync pid
 *   -n        leave it running: print the pids after the sync pid and exit
 *   -e FILE   launcher stderr (default /dev/null)
 *   -T SECS   give up after SECS (default 600)
 *
 * Prints key=value lines; times are microseconds since just before the
 * launcher was forked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long t0;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
	printf("error=%s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static int move_high(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (n < 0)
		die("dup");
	close(fd);
	return n;
}

/* Value of "Key:" in a /proc file, in kB (or a plain number), or -1. */
static long proc_field(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void print_memory(pid_t mon)
{
	char p[64], q[64];
	static const char *keys[] = {"Rss", "Pss", "Pss_Anon", "Private_Dirty"};
	snprintf(p, sizeof p, "/proc/%d/smaps_rollup", mon);
	for (unsigned i = 0; i < 4; i++)
		printf("mem_%s_kb=%ld\n", keys[i], proc_field(p, keys[i]));
	snprintf(q, sizeof q, "/proc/%d/status", mon);
	printf("mem_VmSize_kb=%ld\n", proc_field(q, "VmSize"));
	snprintf(q, sizeof q, "/proc/%d/fd", mon);
	int fds = 0;
	DIR *d = opendir(q);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				fds++;
		closedir(d);
	}
	printf("mem_fds=%d\n", fds);
}

static int connect_attach(const char *path, long long deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		die("attach path");
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (now_us() > deadline)
			die("attach connect");
		usleep(500);
	}
	return fd;
}

static void release_writer(const char *fifo, long long deadline)
{
	int fd;
	/* Non-blocking: ENXIO until the writer has the FIFO open for reading. */
	while ((fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENXIO || now_us() > deadline)
			die("go fifo");
		usleep(200);
	}
	close(fd);
}

static long parse_data(const char *line)
{
	const char *c = strchr(line, ':');
	return c ? strtol(c + 1, NULL, 10) : -999999;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *exitfile = NULL, *go = NULL, *attach = NULL;
	const char *errfile = "/dev/null";
	int sig = 0, exec_attach = 0, mem_ms = -1, detach = 0, timeout = 600, opt;

	while ((opt = getopt(argc, argv, "+p:x:k:g:a:Am:ne:T:")) != -1) {
		switch (opt) {
		case 'p': pidfile = optarg; break;
		case 'x': exitfile = optarg; break;
		case 'k': sig = atoi(optarg); break;
		case 'g': go = optarg; break;
		case 'a': attach = optarg; break;
		case 'A': exec_attach = 1; break;
		case 'm': mem_ms = atoi(optarg); break;
		case 'n': detach = 1; break;
		case 'e': errfile = optarg; break;
		case 'T': timeout = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: drive [OPTIONS] -- CONMON ARG...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("subreaper");

	int sync_sp[2], start_sp[2], att_sp[2] = {-1, -1};
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync_sp) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, start_sp))
		die("socketpair");
	if (exec_attach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, att_sp))
		die("socketpair");
	for (int i = 0; i < 2; i++) {
		sync_sp[i] = move_high(sync_sp[i]);
		start_sp[i] = move_high(start_sp[i]);
		if (exec_attach)
			att_sp[i] = move_high(att_sp[i]);
	}

	int ino = -1, exit_wd = -1;
	char exitdir[4096] = "";
	if (exitfile) {
		snprintf(exitdir, sizeof exitdir, "%s", exitfile);
		char *slash = strrchr(exitdir, '/');
		if (!slash) {
			strcpy(exitdir, ".");

		} else {
			*slash = 0;

		}
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		exit_wd = inotify_add_watch(ino, exitdir, IN_CREATE | IN_MOVED_TO);
		if (exit_wd < 0)
			die("inotify exit dir");
	}

	/* The environment: ours plus the pipe variables. */
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = calloc(nenv + 4, sizeof *envp);
	size_t k = 0;
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], "_OCI_", 5))
			envp[k++] = environ[i];
	envp[k++] = "_OCI_SYNCPIPE=3";
	envp[k++] = "_OCI_STARTPIPE=4";
	if (exec_attach)
		envp[k++] = "_OCI_ATTACHPIPE=5";
	envp[k] = NULL;

	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int errfd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (devnull < 0 || errfd < 0)
		die("open");
	devnull = move_high(devnull);
	errfd = move_high(errfd);

	long long deadline;
	t0 = now_us();
	deadline = t0 + timeout * 1000000LL;
	pid_t launcher = fork();
	if (launcher < 0)
		die("fork");
	if (launcher == 0) {
		setpgid(0, 0);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(errfd, 2);
		dup2(sync_sp[1], 3);
		dup2(start_sp[1], 4);
		if (exec_attach)
			dup2(att_sp[1], 5);
		execvpe(argv[optind], argv + optind, envp);
		_exit(127);
	}
	close(sync_sp[1]);
	close(start_sp[1]);
	if (exec_attach)
		close(att_sp[1]);
	char zero = 0;
	if (write(start_sp[0], &zero, 1) != 1)
		die("start byte");

	int st;
	while (waitpid(launcher, &st, 0) < 0 && errno == EINTR)
		;
	long long t_launcher = now_us() - t0;
	printf("launcher_status=%d\nt_launcher_us=%lld\n",
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), t_launcher);

	pid_t mon = 0;
	if (pidfile) {
		FILE *f = fopen(pidfile, "re");
		if (f) {
			if (fscanf(f, "%d", &mon) != 1)
				mon = 0;
			fclose(f);
		}
	}
	printf("mon_pid=%d\n", mon);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (pidfile && mon <= 0)) {
		printf("error=launcher failed\n");
		return 1;
	}
	int pidfd = mon > 0 ? (int)syscall(SYS_pidfd_open, mon, 0) : -1;

	char line[4096];
	size_t linelen = 0;
	int nsync = 0, sync_open = 1, att_fd = -1, att_open = 0, mon_done = mon <= 0;
	long long t_sync1 = -1, t_sync2 = -1, t_kill = -1, t_exit = -1, t_go = -1, t_eof = -1;
	long long next_hwm = 0, mem_at = -1;
	long hwm = -1, ctr = 0;
	unsigned long long att_bytes = 0, att_packets = 0;
	static char pkt[8193];
	int exit_seen = 0;
	if (exitfile && access(exitfile, F_OK) == 0)
		exit_seen = 1, t_exit = now_us() - t0;

	while (sync_open || !mon_done || att_open || (exitfile && !exit_seen)) {
		struct pollfd pf[5];
		int n = 0, i_sync = -1, i_att = -1, i_apipe = -1, i_ino = -1, i_pid = -1;
		if (sync_open)
			pf[i_sync = n++] = (struct pollfd){sync_sp[0], POLLIN, 0};
		if (att_open)
			pf[i_att = n++] = (struct pollfd){att_fd, POLLIN, 0};
		if (exec_attach && att_sp[0] >= 0)
			pf[i_apipe = n++] = (struct pollfd){att_sp[0], POLLIN, 0};
		if (exitfile && !exit_seen)
			pf[i_ino = n++] = (struct pollfd){ino, POLLIN, 0};
		if (!mon_done && pidfd >= 0)
			pf[i_pid = n++] = (struct pollfd){pidfd, POLLIN, 0};

		long long now = now_us();
		if (now > deadline) {
			printf("error=timeout\n");
			if (mon > 0 && !mon_done)
				kill(mon, SIGKILL);
			if (ctr > 0)
				kill((pid_t)ctr, SIGKILL);
			fflush(stdout);
			return 1;
		}
		/* The monitor's peak RSS, sampled while it runs. */
		if (!mon_done && mon > 0 && now >= next_hwm) {
			char p[64];
			snprintf(p, sizeof p, "/proc/%d/status", mon);
			long h = proc_field(p, "VmHWM");
			if (h > hwm)
				hwm = h;
			next_hwm = now + 20000;
		}
		if (mem_at >= 0 && now >= mem_at) {
			print_memory(mon);
			mem_at = -1;
		}
		long long wake = next_hwm;
		if (mem_at >= 0 && mem_at < wake)
			wake = mem_at;
		int ms = (int)((wake - now) / 1000) + 1;
		if (mon_done || mon <= 0)
			ms = 100;
		if (poll(pf, (nfds_t)n, ms) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}

		if (i_sync >= 0 && pf[i_sync].revents) {
			ssize_t r = read(sync_sp[0], line + linelen, sizeof line - 1 - linelen);
			if (r <= 0) {
				sync_open = 0;
			} else {
				linelen += (size_t)r;
				line[linelen] = 0;
				char *nl;
				while ((nl = strchr(line, '\n'))) {
					*nl = 0;
					long v = parse_data(line);
					nsync++;
					if (nsync == 1) {
						t_sync1 = now_us() - t0;
						ctr = v;
						printf("t_sync_us=%lld\nsync_value=%ld\n", t_sync1, v);
						if (v <= 0)
							printf("sync_message=%s\n", line);
						if (sig && v > 0) {
							t_kill = now_us() - t0;
							kill((pid_t)v, sig);
						}
						if (mem_ms >= 0)
							mem_at = now_us() + mem_ms * 1000LL;
						if (attach && !exec_attach) {
							att_fd = connect_attach(attach, deadline);
							att_open = 1;
						}
						if (go) {
							release_writer(go, deadline);
							t_go = now_us() - t0;
						}
						if (detach) {
							printf("ctr_pid=%ld\n", v);
							fflush(stdout);
							return v > 0 ? 0 : 1;
						}
					} else if (nsync == 2) {
						t_sync2 = now_us() - t0;
						printf("t_sync2_us=%lld\nsync2_value=%ld\n", t_sync2, v);
					}
					size_t used = (size_t)(nl + 1 - line);
					memmove(line, nl + 1, linelen - used + 1);
					linelen -= used;
				}
			}
		}
		if (i_apipe >= 0 && pf[i_apipe].revents) {
			char m[256];
			ssize_t r = read(att_sp[0], m, sizeof m);
			if (r > 0) {
				printf("t_attachmsg_us=%lld\n", now_us() - t0);
				if (attach) {
					att_fd = connect_attach(attach, deadline);
					att_open = 1;
				}
				if (write(start_sp[0], &zero, 1) != 1)
					die("second start byte");
			}
			close(att_sp[0]);
			att_sp[0] = -1;
		}
		if (i_att >= 0 && pf[i_att].revents) {
			ssize_t r = recv(att_fd, pkt, sizeof pkt, 0);
			if (r > 0) {
				att_bytes += (unsigned long long)(r - 1);
				att_packets++;
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				t_eof = now_us() - t0;
				att_open = 0;
				close(att_fd);
			}
		}
		if (i_ino >= 0 && pf[i_ino].revents) {
			char ev[4096];
			while (read(ino, ev, sizeof ev) > 0)
				;
			if (access(exitfile, F_OK) == 0) {
				exit_seen = 1;
				t_exit = now_us() - t0;
			}
		}
		if (i_pid >= 0 && pf[i_pid].revents) {
			/* Exited: read its own CPU time while it is a zombie. */
			siginfo_t si;
			if (waitid(P_PID, (id_t)mon, &si, WEXITED | WNOWAIT) == 0) {
				char p[64], buf[1024];
				snprintf(p, sizeof p, "/proc/%d/schedstat", mon);
				FILE *f = fopen(p, "re");
				unsigned long long ns = 0;
				if (f) {
					if (fscanf(f, "%llu", &ns) != 1)
						ns = 0;
					fclose(f);
				}
				snprintf(p, sizeof p, "/proc/%d/stat", mon);
				f = fopen(p, "re");
				unsigned long ut = 0, stt = 0;
				if (f) {
					size_t len = fread(buf, 1, sizeof buf - 1, f);
					buf[len] = 0;
					fclose(f);
					char *c = strrchr(buf, ')');
					if (c && sscanf(c + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
							 &ut, &stt) != 2)
						ut = stt = 0;
				}
				printf("mon_cpu_ns=%llu\nmon_utime_ticks=%lu\nmon_stime_ticks=%lu\n",
				       ns, ut, stt);
				printf("mon_status=%d\n", si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status);
				waitpid(mon, NULL, 0);
				printf("t_mon_exit_us=%lld\n", now_us() - t0);
			} else {
				/* Not our child (drive is not its subreaper). */
				printf("mon_cpu_ns=-1\n");
			}
			mon_done = 1;
		}
	}
	if (t_kill >= 0)
		printf("t_kill_us=%lld\n", t_kill);
	if (t_go >= 0)
		printf("t_go_us=%lld\n", t_go);
	if (exitfile) {
		printf("t_exit_us=%lld\n", t_exit);
		FILE *f = fopen(exitfile, "re");
		int code = -999;
		if (f) {
			if (fscanf(f, "%d", &code) != 1)
				code = -999;
			fclose(f);
		}
		printf("exit_code=%d\n", code);
	}
	if (att_fd >= 0 || t_eof >= 0)
		printf("attach_bytes=%llu\nattach_packets=%llu\nt_attach_eof_us=%lld\n",
		       att_bytes, att_packets, t_eof);
	printf("mon_hwm_kb=%ld\n", hwm);
	/* Reap whatever was orphaned to us (a fake container, a runtime). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}
