/* fuzz_cli.c - the whole command line: cli_parse() with its validation
 * (docs/cli.md §1-§5), which callers and, through Podman's and CRI-O's
 * configuration, users feed.
 *
 * cli_parse ends the process on every error, --help and --version (exit()
 * or, through fatal(), _exit()).  This binary is linked with
 * -Wl,--wrap=exit,--wrap=_exit: while cli_parse runs, both jump back here
 * instead, so one process runs millions of command lines.  Outside that
 * window they are the real ones (libFuzzer exits through them too).
 *
 * The input is argv: elements separated by NUL bytes.  It runs in a
 * scratch directory holding an executable "rt" for --runtime; elements
 * with a '/' are refused (a k8s-file log is created at validation, and
 * must land in the scratch directory), and so is --syslog (no syslog
 * traffic from a fuzzer).  Checked: no crash or sanitizer report; no
 * descriptor leaks across failures; a command line that passes leaves a
 * consistent configuration (the required options set, the k8s-file log
 * open when and only when a k8s-file driver was chosen). */
#include "testing.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 64

static jmp_buf back;
static volatile int armed;
static volatile int exit_status;

_Noreturn void __real_exit(int status);
_Noreturn void __real__exit(int status);
_Noreturn void __wrap_exit(int status);
_Noreturn void __wrap__exit(int status);

_Noreturn void __wrap_exit(int status)
{
	if (armed) {
		exit_status = status;
		longjmp(back, 1);
	}
	__real_exit(status);
}

_Noreturn void __wrap__exit(int status)
{
	if (armed) {
		exit_status = status;
		longjmp(back, 1);
	}
	__real__exit(status);
}

static int scratch_fd, home_fd;

static int lowest_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static char dir[] = "/tmp/fuzz_cli.XXXXXX";

/* At exit: the scratch directory and what is left in it. */
static void remove_scratch(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	/* Only cli_parse runs in the scratch directory: libFuzzer reads its
	 * inputs and writes its artifacts relative to where it started. */
	home_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0 || !mkdtemp(dir))
		abort();
	scratch_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (scratch_fd < 0)
		abort();
	fd = openat(scratch_fd, "rt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0755);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10)
		abort();
	close(fd);
	atexit(remove_scratch);
	return 0;
}

static char storage[1 << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0, free_fd;

	if (size >= sizeof(storage))
		return 0;
	memcpy(storage, data, size);
	storage[size] = '\0';
	argv[argc++] = "conmon";
	for (size_t i = 0; i < size;) {
		char *arg = storage + i;
		size_t len = strlen(arg);

		if (argc > MAX_ARGS || memchr(arg, '/', len) ||
		    !strncmp(arg, "--syslog", 8))
			return 0;
		argv[argc++] = arg;
		i += len + 1;
	}
	argv[argc] = NULL;

	memset(&cfg, 0, sizeof(cfg));
	log_level = LVL_WARN;
	exit_status = -1;
	free_fd = lowest_fd();
	if (fchdir(scratch_fd) < 0)
		abort();
	if (!setjmp(back)) {
		const char *pool[MAX_ARGS + 2];

		armed = 1;
		cli_parse(argc, argv, pool);
		armed = 0;
		/* It passed: what validation promises. */
		if (!cfg.cid || !cfg.runtime || !cfg.container_pidfile ||
		    (!cfg.exec && !cfg.bundle) || cfg.log_paths.n < 1 ||
		    cfg.exit_delay < 0 || cfg.log_max_files < 0)
			abort();
		if (!cfg.cuuid && !(cfg.exec && !cfg.api_version))
			abort();
		if (cfg.log_journald && strlen(cfg.cid) <= 12)
			abort();
		for (int i = 0; i < cfg.log_paths.n; i++)
			if (!cfg.log_paths.v[i])
				abort();
		if (cfg.k8s_log_path) {
			struct stat st;

			if (strchr(cfg.k8s_log_path, '/') ||
			    stat(cfg.k8s_log_path, &st) < 0)
				abort();
		}
	}
	armed = 0;
	if (exit_status != -1 && exit_status != 0 && exit_status != 1)
		abort();
	/* Whatever happened, the log (created in the scratch directory) is
	 * closed and removed before the next command line. */
	if (cfg.k8s_log_path && strcmp(cfg.k8s_log_path, "rt") != 0)
		unlink(cfg.k8s_log_path);
	log_reset();
	if (fchdir(home_fd) < 0 || lowest_fd() != free_fd)
		abort();
	return 0;
}
