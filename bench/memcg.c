/*
 * memcg: run a program inside a memory cgroup of its own, from its first
 * instruction, so that everything it costs the node is charged there:
 * its pages, its page tables and every kernel object it creates.
 *
 *   memcg DIR PROGRAM ARG...
 *	Create the cgroup directory DIR (cgroup v1: under the memory
 *	hierarchy; v2: anywhere in the unified tree), move this process into
 *	it, then exec PROGRAM.  Nothing is allocated in between.
 *
 *   memcg pause
 *	Do nothing, forever: the floor every process costs.
 *
 *   memcg fork-pause
 *	The same in a child, the parent exiting at once: the floor of a
 *	process born inside the cgroup, as a daemon's double fork makes it.
 *
 * Run through a link named `runtime-elsewhere` it is a runtime wrapper:
 * it moves itself into $MEMCG_RUNTIME_DIR, then execs $MEMCG_RUNTIME
 * with its own arguments.  conmon forks and execs its runtime, so without
 * this the runtime's pages (and the page cache of the runtime's binary,
 * which a first run faults in) would be charged to the monitor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "memcg: %s %s: %s\n", what, arg ? arg : "",
		strerror(errno));
	exit(1);
}

static void join(const char *dir)
{
	char path[4096];
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("mkdir", dir);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		die("join", path);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "runtime-elsewhere")) {
		const char *dir = getenv("MEMCG_RUNTIME_DIR");
		const char *rt = getenv("MEMCG_RUNTIME");

		if (!dir || !rt) {
			errno = EINVAL;
			die("runtime-elsewhere needs", "MEMCG_RUNTIME(_DIR)");
		}
		join(dir);
		argv[0] = (char *)rt;
		execv(rt, argv);
		die("exec", rt);
	}
	if (argc == 2 && !strcmp(argv[1], "pause")) {
		for (;;)
			pause();
	}
	/* A monitor is forked inside its cgroup (conmon's double fork, the
	 * shim's start), so its task_struct, kernel stack and the rest of
	 * a process's kernel state are charged there; `pause` above was
	 * forked outside and its are not. */
	if (argc == 2 && !strcmp(argv[1], "fork-pause")) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork", NULL);
		if (pid > 0)
			_exit(0);
		for (;;)
			pause();
	}
	if (argc < 3) {
		fprintf(stderr, "usage: memcg DIR PROGRAM ARG... | memcg pause | memcg fork-pause\n");
		return 2;
	}
	join(argv[1]);
	execv(argv[2], argv + 2);
	die("exec", argv[2]);
}
