/*
 * fake-runtime: an OCI runtime stand-in whose own cost is negligible, so the
 * benchmarks time conmon and not the runtime.
 *
 * `create` and `exec` fork the "container" (below), write its pid to the
 * --pid-file and exit 0 at once; every other command (start, state, kill,
 * delete) succeeds and does nothing. The container inherits the runtime's
 * fds 0-2, i.e. conmon's pipes, and is steered by the environment, which
 * conmon passes through to the runtime:
 *
 *   BENCH_MODE   sleep  wait for a signal (default)
 *                exit   exit 0 at once
 *                lines  write BENCH_BYTES bytes of 100-byte lines to stdout,
 *                       65500 bytes (655 lines) per write(2), then exit 0
 *                chunks write BENCH_BYTES bytes as 64 KiB writes, each
 *                       65535 'x' and a newline, then exit 0
 *                nolf   write BENCH_BYTES bytes of 'x' as 64 KiB writes,
 *                       without a single newline, then exit 0
 *   BENCH_GO     a FIFO the writer opens (blocking) before it writes, so the
 *                bench can connect an attach client first
 *
 * `fake-runtime gen lines|chunks|nolf BYTES` writes the same stream to its own
 * stdout, for the raw `cat` reference copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[65536];

static int generate(const char *mode, unsigned long long total)
{
	size_t per;

	if (!strcmp(mode, "lines")) {
		per = 65500;
		for (size_t i = 0; i < per; i++)
			buf[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
	} else if (!strcmp(mode, "chunks")) {
		per = 65536;
		memset(buf, 'x', per - 1);
		buf[per - 1] = '\n';
	} else if (!strcmp(mode, "nolf")) {
		per = 65536;
		memset(buf, 'x', per);
	} else {
		return 2;
	}
	while (total > 0) {
		size_t n = total < per ? (size_t)total : per;
		size_t off = 0;
		while (off < n) {
			ssize_t w = write(1, buf + off, n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return 1;
			}
			off += (size_t)w;
		}
		total -= n;
	}
	return 0;
}

static void container(void)
{
	const char *mode = getenv("BENCH_MODE");
	const char *go = getenv("BENCH_GO");

	if (!mode || !strcmp(mode, "sleep")) {
		for (;;)
			pause();
	}
	if (!strcmp(mode, "exit"))
		_exit(0);
	if (go && *go) {
		int fd = open(go, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	const char *b = getenv("BENCH_BYTES");
	_exit(generate(mode, b ? strtoull(b, NULL, 10) : 0));
}

int main(int argc, char **argv)
{
	const char *cmd = NULL, *pidfile = NULL;

	if (argc == 4 && !strcmp(argv[1], "gen"))
		return generate(argv[2], strtoull(argv[3], NULL, 10));

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pid-file") && i + 1 < argc)
			pidfile = argv[++i];
		else if (!strncmp(argv[i], "--pid-file=", 11))
			pidfile = argv[i] + 11;
		else if (!cmd && argv[i][0] != '-')
			cmd = argv[i];
	}
	if (!cmd || (strcmp(cmd, "create") && strcmp(cmd, "exec")))
		return 0;

	/* The container must not die of a SIGPIPE conmon left ignored, nor
	 * keep a blocked mask: give it the defaults. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		container();

	if (pidfile) {
		char s[24];
		int n = 0;
		for (pid_t p = pid; p; p /= 10)
			n++;
		s[n] = 0;
		for (pid_t p = pid, i = n; p; p /= 10)
			s[--i] = (char)('0' + p % 10);
		int fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, s, (size_t)n) != n)
			return 1;
		close(fd);
	}
	return 0;
}
