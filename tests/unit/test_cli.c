/* test_cli.c - the command line against docs/cli.md, and the log rate
 * limit's settings against docs/logging.md §9.
 *
 * cli_parse_log_path is pure and is called directly, one CHECK per row of
 * docs/cli.md §4.  cli_parse exits on errors, --help and --version, so every
 * case runs in a forked child whose stdout, stderr and exit status the
 * parent compares with the documented texts.  When cli_parse returns, the
 * child prints the parsed configuration as key=value lines and exits with
 * RETURNED, so the parent can check what was set.
 */
#include "testing.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RETURNED  100
#define CID	  "0123456789abcdef" /* longer than 12: journald accepts it */
#define SHORT_CID "0123456789ab"     /* exactly 12: journald refuses it */

/* Prefixes of docs/cli.md §5 and docs/logging.md §8.2. */
#define OPT_ERR(text) "conmon: option parsing failed: " text "\n"
#define PLAIN(text)   "conmon: " text "\n"
#define ERR(text)     "[conmon:e]: " text "\n"
#define WARN(text)    "[conmon:w]: " text "\n"
#define LQ	      "\xe2\x80\x9c"
#define RQ	      "\xe2\x80\x9d"

/* The options of every successful run up to the log driver: the runtime
 * is /bin/sh, which only has to pass access(X_OK). */
#define VALID "--cid", CID, "--cuuid", "uuid", "--runtime", "/bin/sh"

static char tmp[64]; /* a private directory under /tmp, also the cwd */

struct result {
	int status; /* exit status, or 128 + signal */
	char out[16384], err[16384];
};

typedef void setup_fn(void);

static void read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	close(fd);
}

static void print_list(const char *key, const struct strlist *l)
{
	dprintf(1, "%s=", key);
	for (int i = 0; i < l->n; i++)
		dprintf(1, "%s%s", i ? "," : "", l->v[i]);
	dprintf(1, "\n");
}

/* What cli_parse left in cfg, one "key=value" line each. */
static void dump_config(void)
{
#define S(f) dprintf(1, #f "=%s\n", cfg.f ? cfg.f : "(null)")
#define I(f) dprintf(1, #f "=%lld\n", (long long)cfg.f)
	S(bundle), S(cid), S(conmon_pidfile), S(container_pidfile);
	S(cuuid), S(exec_process_spec), S(exit_command), S(exit_dir);
	S(log_level), S(log_tag), S(name), S(persist_dir), S(restore);
	S(runtime), S(sdnotify_socket), S(socket_dir_path), S(k8s_log_path);
	I(api_version), I(exec), I(exec_attach), I(full_attach);
	I(leave_stdin_open), I(no_container_partial_message);
	I(no_new_keyring), I(no_pivot), I(no_sync_log);
	I(replace_listen_pid), I(open_stdin), I(sync), I(syslog);
	I(systemd_cgroup), I(terminal), I(version), I(log_rotate);
	I(exit_delay), I(timeout), I(log_max_files), I(log_size_max);
	I(log_global_size_max), I(log_journald), I(log_passthrough);
	I(log_rate), I(log_burst), S(log_rate_from);
	print_list("exit_command_args", &cfg.exit_command_args);
	print_list("log_paths", &cfg.log_paths);
	print_list("log_labels", &cfg.log_labels);
	print_list("runtime_args", &cfg.runtime_args);
	print_list("runtime_opts", &cfg.runtime_opts);
	print_list("log_allowlist_dirs", &cfg.log_allowlist_dirs);
	dprintf(1, "log_level_value=%d\n", log_level);
#undef S
#undef I
}

static void run_argv(struct result *r, setup_fn *setup, const char **argv)
{
	int out[2], err[2], argc = 0, ws;
	pid_t pid;

	while (argv[argc])
		argc++;
	if (pipe(out) < 0 || pipe(err) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		const char *pool[argc];

		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		umask(0022); /* as conmon's main sets it */
		if (setup)
			setup();
		cli_parse(argc, (char **)argv, pool);
		dump_config();
		_exit(RETURNED);
	}
	close(out[1]);
	close(err[1]);
	/* Help is the longest output, a few kB: it fits the pipes, so the
	 * child never blocks before we read. */
	waitpid(pid, &ws, 0);
	read_all(out[0], r->out, sizeof(r->out));
	read_all(err[0], r->err, sizeof(r->err));
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

#define RUN(r, ...)                                                            \
	run_argv(r, NULL, (const char *[]){"conmon", __VA_ARGS__, NULL})
#define RUN_IN(r, setup, ...)                                                  \
	run_argv(r, setup, (const char *[]){"conmon", __VA_ARGS__, NULL})

/* One CHECK: the run failed with status 1, this exact stderr and nothing
 * on stdout. */
static void expect_fail(const struct result *r, const char *want,
			const char *what)
{
	int ok = r->status == 1 && !strcmp(r->err, want) && !r->out[0];

	CHECK(ok, "%s", what);
	if (!ok)
		printf("#   status %d\n#   stderr \"%s\"\n#   want   \"%s\"\n"
		       "#   stdout \"%.200s\"\n",
		       r->status, r->err, want, r->out);
}

/* True if out holds the line "key=value". */
static int has_line(const char *out, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = out; (p = strstr(p, line)); p++)
		if ((p == out || p[-1] == '\n') && p[len] == '\n')
			return 1;
	return 0;
}

/* One CHECK: cli_parse returned, stderr is empty and every given
 * "key=value" line is in the dump. */
static void expect_lines(const struct result *r, const char *what,
			 const char *const *lines)
{
	const char *missing = NULL;
	int ok;

	for (; *lines && !missing; lines++)
		if (!has_line(r->out, *lines))
			missing = *lines;
	ok = r->status == RETURNED && !r->err[0] && !missing;
	CHECK(ok, "%s", what);
	if (!ok)
		printf("#   status %d\n#   stderr \"%s\"\n#   missing \"%s\"\n",
		       r->status, r->err, missing ? missing : "");
}

#define expect_ok(r, what, ...)                                                \
	expect_lines(r, what, (const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------------ */
/* docs/cli.md §4, row by row. */

static void check_log_path(const char *value, int driver, const char *path,
			   const char *error)
{
	char buf[PATH_MAX];
	struct log_target t = {.driver = -1, .path = "junk"};
	const char *got = cli_parse_log_path(value, &t, buf, sizeof(buf));
	int ok;

	if (error)
		ok = got && !strcmp(got, error);
	else
		ok = !got && (int)t.driver == driver &&
		     (path ? t.path && !strcmp(t.path, path) : !t.path);
	CHECK(ok, "--log-path \"%s\"", value);
	if (!ok)
		printf("#   error \"%s\" driver %d path \"%s\"\n",
		       got ? got : "(none)", (int)t.driver,
		       t.path ? t.path : "(null)");
}

static void test_log_path_table(void)
{
	static const char empty[] = "log-path must not be empty";
	static const char needs_file[] = "k8s-file requires a filename";
	char big[PATH_MAX + 16], buf[8];
	struct log_target t;
	const char *err;

	check_log_path("/var/log/ctr.log", LOG_K8S, "/var/log/ctr.log", NULL);
	check_log_path("k8s-file:/var/log/ctr.log", LOG_K8S, "/var/log/ctr.log",
		       NULL);
	check_log_path(":/var/log/ctr.log", LOG_K8S, "/var/log/ctr.log", NULL);
	check_log_path(":journald", LOG_K8S, "journald", NULL);
	check_log_path("journald", LOG_JOURNALD, NULL, NULL);
	check_log_path("journald:", LOG_JOURNALD, NULL, NULL);
	check_log_path("journald:/x", LOG_JOURNALD, NULL, NULL);
	check_log_path("none", LOG_NONE, NULL, NULL);
	check_log_path("none:", LOG_NONE, NULL, NULL);
	check_log_path("off:", LOG_NONE, NULL, NULL);
	check_log_path("null:", LOG_NONE, NULL, NULL);
	check_log_path("off", LOG_NONE, NULL, NULL);
	check_log_path("null", LOG_NONE, NULL, NULL);
	check_log_path("passthrough", LOG_PASSTHROUGH, NULL, NULL);
	check_log_path("passthrough:", LOG_PASSTHROUGH, NULL, NULL);
	check_log_path("k8s-file", 0, NULL, needs_file);
	check_log_path("k8s-file:", 0, NULL, needs_file);
	check_log_path("", 0, NULL, empty);
	check_log_path(":", 0, NULL, empty);
	check_log_path("::", 0, NULL, empty);
	check_log_path("invalid:/x", 0, NULL, "No such log driver invalid");
	check_log_path("invalid:", 0, NULL, "No such log driver invalid");
	check_log_path("/dir:with/colon", 0, NULL, "No such log driver /dir");
	check_log_path("k8s-file:/a:b", LOG_K8S, "/a", NULL);
	/* strtok semantics: runs of ':' are one separator. */
	check_log_path("k8s-file:::/a", LOG_K8S, "/a", NULL);
	check_log_path("::journald", LOG_K8S, "journald", NULL);
	check_log_path("::journald::", LOG_K8S, "journald", NULL);
	check_log_path("journald::/x", LOG_JOURNALD, NULL, NULL);
	check_log_path("relative.log", LOG_K8S, "relative.log", NULL);
	/* A path that cannot fit the buffer is refused, not truncated. */
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	check_log_path(big, 0, NULL, "log-path is too long");
	err = cli_parse_log_path("k8s-file:/abcdefgh", &t, buf, sizeof(buf));
	CHECK(err && t.driver == LOG_NONE && !t.path,
	      "--log-path longer than the buffer sets no driver");
}

/* ------------------------------------------------------------------ */
/* docs/cli.md §5, step by step: each run adds the piece the previous one
 * lacked, and must fail on the next step. */

static void remove_cwd(void)
{
	if (mkdir("gone", 0700) < 0 || chdir("gone") < 0 ||
	    rmdir("../gone") < 0)
		_exit(99);
}

static void test_validation_order(void)
{
	struct result r;
	char want[512];

	RUN(&r, "--bogus", "--version");
	expect_fail(&r, OPT_ERR("Unknown option --bogus"),
		    "1: an unknown option fails before --version");
	RUN(&r, "--version", "--cid");
	expect_fail(&r, OPT_ERR("Missing argument for --cid"),
		    "1: missing argument at the end of argv (long)");
	RUN(&r, "--version", "-c");
	expect_fail(&r, OPT_ERR("Missing argument for -c"),
		    "1: missing argument at the end of argv (short)");

	RUN(&r, "--version", "--log-max-files", "-1");
	CHECK(r.status == 0 && !r.err[0] &&
		  !strncmp(r.out, "conmon version", 14),
	      "2: --version exits 0 before any other validation");

	RUN(&r, "--log-max-files", "-1", "--log-rotate");
	expect_fail(&r, PLAIN("log-max-files must be non-negative, got -1"),
		    "3: negative --log-max-files");
	RUN(&r, "--log-rotate", "--log-max-files", "0");
	expect_fail(&r,
		    PLAIN("log-max-files must be at least 1 when log-rotate is "
			  "enabled, got 0"),
		    "4: --log-rotate with --log-max-files 0");
	RUN(&r, "--log-rotate", "--log-level", "bogus");
	expect_fail(&r, PLAIN("Container ID not provided. Use --cid"),
		    "5: --cid missing");

	RUN(&r, "--cid", CID, "--log-level", "bogus", "--restore", "/x",
	    "--exec");
	expect_fail(&r, ERR("No such log level bogus"),
		    "6: unknown --log-level (needs log.c's log_level_parse)");
	RUN(&r, "--cid", CID, "--log-level", "WaRnInG", "--restore", "/x",
	    "--exec");
	expect_fail(&r, ERR("Cannot use 'exec' and 'restore' at the same time"),
		    "7: --restore with --exec (--log-level is case-blind)");
	RUN(&r, "--cid", CID, "--exec-attach", "--restore", "/x");
	expect_fail(&r, ERR("Attach can only be specified with exec"),
		    "8: --exec-attach without --exec");
	RUN(&r, "--cid", CID, "--exec-attach", "--exec");
	expect_fail(&r,
		    ERR("Attach can only be specified for a non-legacy exec "
			"session"),
		    "9: --exec-attach without --api-version");
	RUN(&r, "--cid", CID, "--exec-attach", "--exec", "--api-version");
	expect_fail(&r, ERR("Container UUID not provided. Use --cuuid"),
		    "10: --cuuid missing for a v1 exec");
	RUN(&r, "--cid", CID);
	expect_fail(&r, ERR("Container UUID not provided. Use --cuuid"),
		    "10: --cuuid missing for create");
	RUN(&r, "--cid", CID, "--exec");
	expect_fail(&r, ERR("Runtime path not provided. Use --runtime"),
		    "10: a legacy exec needs no --cuuid");
	RUN(&r, "--cid", CID, "--cuuid", "u");
	expect_fail(&r, ERR("Runtime path not provided. Use --runtime"),
		    "11: --runtime missing");

	RUN(&r, "--cid", CID, "--cuuid", "u", "--runtime",
	    "/nonexistent/runtime", "--exec");
	snprintf(want, sizeof(want),
		 ERR("Runtime path /nonexistent/runtime is not valid %s"),
		 strerror(ENOENT));
	/* ERR() put the newline after %s already. */
	expect_fail(&r, want, "12: a runtime that does not exist");
	close(open("notexec", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	RUN(&r, "--cid", CID, "--cuuid", "u", "--runtime", "notexec");
	snprintf(want, sizeof(want),
		 ERR("Runtime path notexec is not valid %s"), strerror(EACCES));
	expect_fail(&r, want, "12: a runtime that is not executable");
	RUN(&r, "--cid", CID, "--cuuid", "u", "--runtime", "/bin/sh", "--exec");
	expect_fail(&r,
		    ERR("Exec process spec path not provided. Use "
			"--exec-process-spec"),
		    "13: --exec without --exec-process-spec");

	RUN_IN(&r, remove_cwd, "--cid", CID, "--cuuid", "u", "--runtime",
	       "/bin/sh", "--exit-delay", "-1");
	expect_fail(&r, ERR("Failed to get working directory"),
		    "14: the working directory was removed");

	RUN(&r, VALID, "--exit-delay", "-1");
	expect_fail(&r,
		    ERR("Delay before invoking exit command must be greater "
			"than or equal to 0"),
		    "16: negative --exit-delay");
	RUN(&r, VALID, "--exit-delay", "0");
	expect_fail(&r, ERR("Log driver not provided. Use --log-path"),
		    "17.1: no --log-path");
	RUN(&r, VALID, "-l", "none", "-l", "k8s-file", "-l", "bad:x");
	expect_fail(&r, ERR("k8s-file requires a filename"),
		    "17.2: the first bad --log-path value wins");
	RUN(&r, VALID, "-l", "");
	expect_fail(&r, ERR("log-path must not be empty"),
		    "17.2: empty --log-path");
	RUN(&r, VALID, "-l", "none", "-l", "invalid:");
	expect_fail(&r, ERR("No such log driver invalid"),
		    "17.2: unknown driver");

	RUN(&r, VALID, "-l", "/nonexistent/dir/ctr.log", "--log-tag", "t");
	{
		/* The documented words and errno; log.c may name the path in
		 * between, which helps and which no client parses. */
		static const char head[] = ERR("Failed to open log file");
		size_t len = strlen(r.err);
		int ok;

		snprintf(want, sizeof(want), " %s\n", strerror(ENOENT));
		ok = r.status == 1 && !strncmp(r.err, head, sizeof(head) - 2) &&
		     len >= strlen(want) &&
		     !strcmp(r.err + len - strlen(want), want);
		CHECK(ok, "17.3: the k8s-file log is opened before the tag "
			  "check (needs log.c's log_k8s_open)");
		if (!ok)
			printf("#   status %d stderr \"%s\"\n", r.status,
			       r.err);
	}
	RUN(&r, VALID, "-l", "k8s-file:ctr.log", "--log-tag", "t",
	    "--log-label", "A=B");
	expect_fail(&r, ERR("k8s-file doesn't support --log-tag"),
		    "17.4: --log-tag with k8s-file only");
	RUN(&r, VALID, "-l", "k8s-file:ctr.log", "--log-label", "A=B");
	expect_fail(&r, ERR("k8s-file doesn't support --log-label"),
		    "17.4: --log-label with k8s-file only");
	RUN(&r, "--cid", SHORT_CID, "--cuuid", "u", "--runtime", "/bin/sh",
	    "-l", "k8s-file:ctr.log", "-l", "journald", "--log-tag", "t",
	    "--log-label", "=X");
	expect_fail(&r, ERR("Container ID must be longer than 12 characters"),
		    "17.5: journald with a 12-character --cid");
	RUN(&r, VALID, "-l", "journald", "--log-label", "=X", "--log-label",
	    "A");
	expect_fail(&r,
		    ERR("Container labels must be in format LABEL=VALUE (no "
			"LABEL present in '=X')"),
		    "17.5: a label without a name");
	RUN(&r, VALID, "-l", "journald", "--log-label", "OK=1", "--log-label",
	    "A");
	expect_fail(&r,
		    ERR("Container labels must be in format LABEL=VALUE (none "
			"or more than one '=' present in 'A')"),
		    "17.5: a label without '='");
	RUN(&r, VALID, "-l", "journald", "--log-label", "A=B=C");
	expect_fail(&r,
		    ERR("Container labels must be in format LABEL=VALUE (none "
			"or more than one '=' present in 'A=B=C')"),
		    "17.5: a label with two '='");
	RUN(&r, VALID, "-l", "journald", "--log-label", "Ab=c");
	expect_fail(&r,
		    ERR("Container label names must contain only uppercase "
			"letters, numbers and underscore (in 'Ab=c')"),
		    "17.5: a lower-case label name");
	RUN(&r, VALID, "-l", "journald", "--log-label", "A_1=any=thing");
	expect_fail(&r,
		    ERR("Container labels must be in format LABEL=VALUE (none "
			"or more than one '=' present in 'A_1=any=thing')"),
		    "17.5: '=' in the value counts too");
	RUN(&r, VALID, "-l", "journald", "--log-label", "A_1=x y",
	    "--log-label", "Z=", "--log-tag", "t");
	expect_ok(&r, "17.5: valid labels and a tag with journald",
		  "log_labels=A_1=x y,Z=", "log_tag=t", "log_journald=1",
		  "k8s_log_path=(null)");
	RUN(&r, VALID, "-l", "none", "-l", "passthrough", "--log-label",
	    "lower=case", "--log-tag", "t");
	expect_ok(&r, "17: labels and tag are ignored with none/passthrough",
		  "log_passthrough=1", "log_journald=0");

	RUN(&r, VALID, "-l", "none", "--no-container-partial-message");
	CHECK(r.status == RETURNED &&
		  !strcmp(r.err, WARN("--no-container-partial-message has no "
				      "effect without journald log driver")),
	      "18: --no-container-partial-message without journald warns");
	if (r.status != RETURNED)
		printf("#   status %d stderr \"%s\"\n", r.status, r.err);
	RUN(&r, VALID, "-l", "none", "--no-container-partial-message",
	    "--log-level", "error");
	expect_ok(&r, "18: ... but not at --log-level error (needs log.c)",
		  "log_level=error");
	RUN(&r, VALID, "-l", "journald", "--no-container-partial-message");
	expect_ok(&r, "18: no warning with journald",
		  "no_container_partial_message=1");
}

/* ------------------------------------------------------------------ */
/* docs/cli.md §1: the GLib parsing model. */

static void test_parsing(void)
{
	struct result r;

	RUN(&r, VALID, "-l", "none");
	expect_ok(&r, "defaults of a create", "socket_dir_path=/var/run/crio",
		  "log_max_files=1", "log_size_max=-1",
		  "log_global_size_max=-1", "exit_delay=0", "timeout=0",
		  "log_level=warning", "log_level_value=1", "api_version=0",
		  "exec=0", "terminal=0", "log_journald=0", "log_passthrough=0",
		  "k8s_log_path=(null)", "log_paths=none",
		  "runtime_args=", "exit_command_args=");
	{
		char bundle[PATH_MAX + 16], pidfile[PATH_MAX + 32];

		snprintf(bundle, sizeof(bundle), "bundle=%s", tmp);
		snprintf(pidfile, sizeof(pidfile),
			 "container_pidfile=%s/pidfile-%s", tmp, CID);
		expect_ok(&r, "15: bundle and container pidfile default to cwd",
			  bundle, pidfile);
		RUN(&r, "--cid", CID, "--runtime", "/bin/sh", "-e",
		    "--exec-process-spec", "p.json", "-l", "none");
		expect_ok(&r, "15: an exec gets no default bundle",
			  "bundle=(null)", pidfile, "exec=1");
	}
	RUN(&r, VALID, "-l", "none", "-b", "/b", "--pidfile", "/p");
	expect_ok(&r, "given bundle; hidden --pidfile sets the pidfile",
		  "bundle=/b", "container_pidfile=/p");
	RUN(&r, VALID, "-l", "none", "--pidfile", "/p", "-p", "/q");
	expect_ok(&r, "--pidfile and -p share one value, last wins",
		  "container_pidfile=/q");

	RUN(&r, "--cid=" CID, "--cuuid", "u", "--runtime=/bin/sh",
	    "--log-path=none", "--name=a=b", "--exit-dir", "/e");
	expect_ok(&r, "--name=value and --name value", "cid=" CID,
		  "runtime=/bin/sh", "log_paths=none", "name=a=b",
		  "exit_dir=/e");
	RUN(&r, VALID, "-l", "none", "--name", "--exec",
	    "--log-tag=", "--exit-command", "-");
	expect_ok(&r, "the next element is the value even if it starts with -",
		  "name=--exec", "exec=0", "log_tag=", "exit_command=-");
	RUN(&r, VALID, "-l", "none", "--name", "a", "-n", "b", "--timeout", "5",
	    "-T", "7");
	expect_ok(&r, "the last scalar wins", "name=b", "timeout=7");
	RUN(&r, VALID, "-l", "none", "-ite", "--exec-process-spec", "p");
	expect_ok(&r, "-ite groups three flags", "open_stdin=1", "terminal=1",
		  "exec=1");
	RUN(&r, "-ic", CID, "--cuuid", "u", "-sr", "/bin/sh", "-l", "none");
	expect_ok(&r, "a group may end with one option taking the next value",
		  "open_stdin=1", "cid=" CID, "systemd_cgroup=1",
		  "runtime=/bin/sh");
	RUN(&r, "-cabc", CID, VALID);
	expect_fail(&r, OPT_ERR("Unknown option -cabc"),
		    "a value glued to its letter is an unknown option");
	RUN(&r, "-cr", "x", "y", VALID);
	expect_fail(&r, OPT_ERR("Error parsing option -r"),
		    "two letters taking values in one group");
	RUN(&r, VALID, "-l", "none", "-t=x");
	expect_fail(&r, OPT_ERR("Unknown option -t=x"),
		    "a short flag takes no =value");
	RUN(&r, VALID, "-l", "none", "--terminal=false", "--sync=no",
	    "--api-version", "1");
	expect_ok(&r, "--flag=value sets the flag; stray positionals ignored",
		  "terminal=1", "sync=1", "api_version=1");
	RUN(&r, "positional", VALID, "-", "-l", "none", "also", "--", "--bogus",
	    "--cid", "other", "-x");
	expect_ok(&r, "'--' ends options; '-' is a positional", "cid=" CID);
	RUN(&r, "--", VALID, "-l", "none");
	expect_fail(&r, PLAIN("Container ID not provided. Use --cid"),
		    "options after '--' are ignored");
	RUN(&r, VALID, "-l", "none", "--ver");
	expect_fail(&r, OPT_ERR("Unknown option --ver"), "no abbreviations");
	RUN(&r, VALID, "-l", "none", "--seccomp-notify-socket", "/s");
	expect_fail(&r, OPT_ERR("Unknown option --seccomp-notify-socket"),
		    "--seccomp-notify-socket was removed");
	RUN(&r, VALID, "-l", "none", "--seccomp-notify-plugins=x");
	expect_fail(&r, OPT_ERR("Unknown option --seccomp-notify-plugins=x"),
		    "--seccomp-notify-plugins was removed (whole token shown)");
	RUN(&r, VALID, "-l", "none", "-x");
	expect_fail(&r, OPT_ERR("Unknown option -x"), "unknown short option");
	RUN(&r, VALID, "-l", "none", "--help=x");
	expect_fail(&r, OPT_ERR("Unknown option --help=x"),
		    "--help takes no value");

	RUN(&r, VALID, "--runtime-arg", "a", "--exit-command-arg", "x",
	    "--runtime-arg=b", "-l", "none", "--exit-command-arg", "y",
	    "--restore-arg", "r1", "--runtime-opt", "o2", "--runtime-arg", "c",
	    "--log-allowlist-dir", "/d", "-l", "passthrough",
	    "--restore-arg=r3", "--log-allowlist-dir", "/e");
	expect_ok(&r, "repeatable options accumulate in order",
		  "runtime_args=a,b,c", "exit_command_args=x,y",
		  "runtime_opts=r1,o2,r3", "log_paths=none,passthrough",
		  "log_allowlist_dirs=/d,/e", "log_labels=");

	RUN(&r, VALID, "-l", "none", "--persist-dir", "/p", "-0", "/q", "-P",
	    "/c", "-u", "uu", "--socket-dir-path", "/s", "--sdnotify-socket",
	    "/n", "--full-attach", "--leave-stdin-open", "--no-new-keyring",
	    "--no-pivot", "--no-sync-log", "--replace-listen-pid", "--syslog",
	    "--restore", "/ck");
	expect_ok(&r, "every remaining option lands in its field",
		  "persist_dir=/q", "conmon_pidfile=/c", "cuuid=uu",
		  "socket_dir_path=/s", "sdnotify_socket=/n", "full_attach=1",
		  "leave_stdin_open=1", "no_new_keyring=1", "no_pivot=1",
		  "no_sync_log=1", "replace_listen_pid=1", "syslog=1",
		  "restore=/ck");
}

static void test_integers(void)
{
	struct result r;

	RUN(&r, VALID, "-l", "none", "--timeout", "0x10", "--exit-delay", "010",
	    "--log-max-files", "+3", "--log-size-max", "0x7fffffffffffffff",
	    "--log-global-size-max", "-9223372036854775808");
	expect_ok(&r, "hex, octal, sign and the 64-bit extremes", "timeout=16",
		  "exit_delay=8", "log_max_files=3",
		  "log_size_max=9223372036854775807",
		  "log_global_size_max=-9223372036854775808");
	RUN(&r, VALID, "-l", "none", "-T", "-2147483648", "--log-max-files",
	    "2147483647", "--log-size-max", "0");
	expect_ok(&r, "the 32-bit extremes", "timeout=-2147483648",
		  "log_max_files=2147483647", "log_size_max=0");
	RUN(&r, VALID, "-l", "none", "--log-max-files", "2147483648");
	expect_fail(&r,
		    OPT_ERR("Integer value " LQ "2147483648" RQ
			    " for --log-max-files out of range"),
		    "--log-max-files 2147483648 is out of range");
	RUN(&r, VALID, "-l", "none", "-T", "-2147483649");
	expect_fail(&r,
		    OPT_ERR("Integer value " LQ "-2147483649" RQ
			    " for -T out of range"),
		    "out of range names the short form as written");
	RUN(&r, VALID, "-l", "none", "--log-size-max=9223372036854775808");
	expect_fail(&r,
		    OPT_ERR("Integer value " LQ "9223372036854775808" RQ
			    " for --log-size-max out of range"),
		    "64-bit overflow is out of range");
	RUN(&r, VALID, "-l", "none", "--timeout", "12abc");
	expect_fail(&r,
		    OPT_ERR("Cannot parse integer value " LQ "12abc" RQ
			    " for --timeout"),
		    "trailing garbage");
	RUN(&r, VALID, "-l", "none", "-T", "1x");
	expect_fail(&r,
		    OPT_ERR("Cannot parse integer value " LQ "1x" RQ " for -T"),
		    "trailing garbage names -T");
	RUN(&r, VALID, "-l", "none", "--exit-delay=");
	expect_fail(
	    &r,
	    OPT_ERR("Cannot parse integer value " LQ RQ " for --exit-delay"),
	    "an empty integer");
	RUN(&r, VALID, "-l", "none", "--log-global-size-max", "08");
	expect_fail(&r,
		    OPT_ERR("Cannot parse integer value " LQ "08" RQ
			    " for --log-global-size-max"),
		    "8 is not an octal digit");
	RUN(&r, VALID, "-l", "none", "--timeout", "0x");
	expect_fail(
	    &r,
	    OPT_ERR("Cannot parse integer value " LQ "0x" RQ " for --timeout"),
	    "a bare 0x");
}

/* ------------------------------------------------------------------ */
/* docs/cli.md §3. */

static const char *const public_options[] = {
    "--api-version",
    "-b, --bundle",
    "-c, --cid",
    "-P, --conmon-pidfile",
    "-p, --container-pidfile",
    "-u, --cuuid",
    "-e, --exec",
    "--exec-attach",
    "--exec-process-spec",
    "--exit-command",
    "--exit-command-arg",
    "--exit-delay",
    "--exit-dir",
    "--leave-stdin-open",
    "--log-level",
    "-l, --log-path",
    "--log-size-max",
    "--log-global-size-max",
    "--log-tag",
    "--log-label",
    "--no-container-partial-message",
    "-n, --name",
    "--no-new-keyring",
    "--no-pivot",
    "--no-sync-log",
    "-0, --persist-dir",
    "--replace-listen-pid",
    "--restore",
    "-r, --runtime",
    "--runtime-arg",
    "--runtime-opt",
    "--sdnotify-socket",
    "--socket-dir-path",
    "-i, --stdin",
    "--sync",
    "--syslog",
    "-s, --systemd-cgroup",
    "-t, --terminal",
    "-T, --timeout",
    "--version",
    "--full-attach",
    "--log-rotate",
    "--log-max-files",
    "--log-allowlist-dir",
};

/* The position of "  NAME " (a whole option at the start of a line), or
 * NULL. */
static const char *find_option_line(const char *help, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = help; (p = strstr(p, name)); p++)
		if (p - help >= 3 && p[-1] == ' ' && p[-2] == ' ' &&
		    p[-3] == '\n' && p[len] == ' ')
			return p;
	return NULL;
}

static void test_help_version(void)
{
	static const char *const help_args[] = {"--help", "-h", "-?",
						"--help-all"};
	struct result r;
	const char *prev = NULL, *missing = NULL;
	int in_order = 1;

	for (size_t i = 0; i < sizeof(help_args) / sizeof(help_args[0]); i++) {
		RUN(&r, "--cid", "x", help_args[i], "--bogus");
		CHECK(r.status == 0 && !r.err[0] &&
			  !strncmp(r.out, "Usage:\n", 7),
		      "%s prints help and exits 0 when parsed", help_args[i]);
	}
	RUN(&r, "-ih");
	CHECK(r.status == 0 && strstr(r.out, "Usage:"), "help inside a group");
	RUN(&r, "--bogus", "--help");
	expect_fail(&r, OPT_ERR("Unknown option --bogus"),
		    "an error before --help wins");

	RUN(&r, "--help");
	for (size_t i = 0; i < sizeof(public_options) / sizeof(*public_options);
	     i++) {
		const char *at = find_option_line(r.out, public_options[i]);

		if (!at && !missing)
			missing = public_options[i];
		if (at && prev && at < prev)
			in_order = 0;
		if (at)
			prev = at;
	}
	CHECK(!missing, "help lists every public option with its short form");
	if (missing)
		printf("#   missing \"%s\"\n", missing);
	CHECK(in_order, "help lists options in the order of docs/cli.md §3.2");
	CHECK(strstr(r.out, "journald") != NULL, "help mentions journald");
	CHECK(strstr(r.out, "--log-global-size-max") != NULL,
	      "help mentions --log-global-size-max (CRI-O greps it)");
	CHECK(!strstr(r.out, "--pidfile") && !strstr(r.out, "--restore-arg"),
	      "hidden aliases are not listed");
	CHECK(!strstr(r.out, "seccomp"), "removed options are not listed");
	CHECK(find_option_line(r.out, "-h, --help") != NULL,
	      "help lists -h, --help");

	RUN(&r, "--version");
	CHECK_STR(r.out, "conmon version 2.2.1\ncommit: test\n",
		  "--version output");
	CHECK(r.status == 0 && !r.err[0], "--version exits 0 silently");
	RUN(&r, "--version=1", "--api-version", "1");
	CHECK(r.status == 0 && !strncmp(r.out, "conmon version ", 15),
	      "--version without --cid succeeds");
}

/* ------------------------------------------------------------------ */
/* Side effects of validation (docs/cli.md §5 step 17.3, §6). */

static void test_side_effects(void)
{
	struct result r;
	struct stat st;
	char log_a[PATH_MAX + 32], log_b[PATH_MAX + 32];
	char arg_a[PATH_MAX + 64], arg_b[PATH_MAX + 64], line[PATH_MAX + 64];

	snprintf(line, sizeof(line), "runtime=%s", tmp);
	RUN(&r, "--cid", CID, "--cuuid", "u", "--runtime", tmp, "-l", "none");
	expect_ok(&r, "a directory passes as --runtime (docs/cli.md §6)", line);

	snprintf(log_a, sizeof(log_a), "%s/a.log", tmp);
	snprintf(log_b, sizeof(log_b), "%s/b.log", tmp);
	snprintf(arg_a, sizeof(arg_a), "k8s-file:%s", log_a);
	snprintf(arg_b, sizeof(arg_b), "k8s-file:%s", log_b);
	snprintf(line, sizeof(line), "k8s_log_path=%s", log_b);
	unlink(log_a);
	unlink(log_b);
	RUN(&r, VALID, "-l", arg_a, "-l", "journald", "-l", arg_b);
	expect_ok(&r, "the last k8s-file path wins, journald alongside", line,
		  "log_journald=1");
	CHECK(stat(log_b, &st) == 0 && (st.st_mode & 07777) == 0640,
	      "the k8s-file log exists after validation, mode 0640 "
	      "(needs log.c's log_k8s_open)");
	CHECK(stat(log_a, &st) < 0 && errno == ENOENT,
	      "an overridden k8s-file path is never created");

	unlink("none");
	unlink("journald");
	RUN(&r, VALID, "-l", "none", "-l", "journald:");
	expect_ok(&r, "none and journald: are drivers", "log_journald=1",
		  "k8s_log_path=(null)");
	CHECK(stat("none", &st) < 0 && stat("journald", &st) < 0,
	      "no file named none or journald is created");
	RUN(&r, VALID, "-l", ":journald");
	expect_ok(&r, "':journald' is a k8s-file in the cwd",
		  "k8s_log_path=journald", "log_journald=0");
}

/* ------------------------------------------------------------------ */
/* docs/logging.md §9: the log rate limit's values, the scanner of
 * config.json, and the settings as validation resolves them. */

static void check_size(const char *text, int64_t want)
{
	int64_t got = cli_parse_size(text, strlen(text));

	CHECK(got == want, "size \"%s\" is %lld", text, (long long)want);
	if (got != want)
		printf("#   got %lld\n", (long long)got);
}

static void test_sizes(void)
{
	check_size("1048576", 1048576);
	check_size("0", 0);
	check_size("010", 10); /* decimal, never octal */
	check_size("512k", 512 << 10);
	check_size("512K", 512 << 10);
	check_size("4M", 4 << 20);
	check_size("4m", 4 << 20);
	check_size("1G", 1 << 30);
	check_size("1g", 1 << 30);
	check_size("4G", (int64_t)4 << 30);
	check_size("4194304k", (int64_t)4 << 30);
	check_size("4294967296", (int64_t)1 << 32);
	check_size("4294967297", -1);
	check_size("4097M", -1);
	check_size("5G", -1);
	check_size("99999999999999999999999", -1);
	check_size("", -1);
	check_size("k", -1);
	check_size("M", -1);
	check_size("-1", -1);
	check_size("+1", -1);
	check_size(" 1", -1);
	check_size("1 ", -1);
	check_size("1.5M", -1);
	check_size("1MB", -1);
	check_size("1Mi", -1);
	check_size("1kk", -1);
	check_size("2T", -1);
	check_size("0x10", -1);
	check_size("12x", -1);
	CHECK(cli_parse_size("4M", 1) == 4, "only len bytes are read");
}

/* What a scan gave: whether the document was whole, and each value as
 * "<kind>:<text>", e.g. "1:2M" (ANNOT_STRING) or "0:" (absent). */
struct scanned {
	bool ok;
	size_t offset;
	bool too_deep;
	char value[ANNOT_KEYS][ANNOT_VALUE_MAX + 8];
};

static void scan_in_pieces(const char *json, size_t len, size_t piece,
			   struct scanned *out)
{
	struct annot_scan s;
	size_t done = 0;

	cli_scan_init(&s);
	while (done < len) {
		size_t n = len - done < piece ? len - done : piece;

		if (!cli_scan_feed(&s, json + done, n))
			break;
		done += n;
	}
	out->ok = cli_scan_end(&s);
	out->offset = s.offset;
	out->too_deep = s.too_deep;
	for (int k = 0; k < ANNOT_KEYS; k++)
		snprintf(out->value[k], sizeof(out->value[k]), "%d:%s",
			 (int)s.found[k].kind, s.found[k].text);
}

/* Scan json whole and in pieces of 1, 2, 3 and 7 bytes: one CHECK that
 * every split gives the same, and returns it. */
static struct scanned scan_text(const char *json, size_t len)
{
	static const size_t pieces[] = {1, 2, 3, 7};
	struct scanned whole, part;
	bool same = true;

	scan_in_pieces(json, len, len ? len : 1, &whole);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		scan_in_pieces(json, len, pieces[i], &part);
		same = same && part.ok == whole.ok &&
		       part.offset == whole.offset &&
		       !strcmp(part.value[0], whole.value[0]) &&
		       !strcmp(part.value[1], whole.value[1]);
	}
	CHECK(same, "scan of %.60s: the same in pieces of any size", json);
	return whole;
}

/* One CHECK: json is valid (or not) and gives these two values. */
static void check_scan(const char *json, bool ok, const char *rate,
		       const char *burst, const char *what)
{
	struct scanned got = scan_text(json, strlen(json));
	bool good = got.ok == ok && (!ok || (!strcmp(got.value[0], rate) &&
					     !strcmp(got.value[1], burst)));

	CHECK(good, "scan: %s", what);
	if (!good)
		printf("#   ok %d (offset %zu), rate \"%s\", burst \"%s\"\n",
		       got.ok, got.offset, got.value[0], got.value[1]);
}

/* {"a": and k arrays in each other}: 1 + k levels. */
static void make_deep(char *buf, int k)
{
	int n = sprintf(buf, "{\"a\":");

	memset(buf + n, '[', k);
	memset(buf + n + k, ']', k);
	strcpy(buf + n + 2 * k, "}");
}

#define ANN(body) "{\"annotations\":{" body "}}"
#define RATE	  "\"io.conmon.log-rate\""
#define BURST	  "\"io.conmon.log-burst\""

static void test_scanner(void)
{
	char deep[300], *big;
	size_t n, big_len;
	struct scanned got;

	check_scan(ANN(RATE ":\"2M\"," BURST ":\"4M\""), true, "1:2M", "1:4M",
		   "both keys");
	check_scan("{}", true, "0:", "0:", "an empty object");
	check_scan(" \n{\t\"annotations\" :\r{ " RATE " : \"1M\" } } \n", true,
		   "1:1M", "0:", "white space everywhere");
	check_scan(ANN(RATE ":\"\\u0032M\""), true, "1:2M",
		   "0:", "\\u escapes in a value are decoded");
	check_scan(
	    "{\"annot\\u0061tions\":{\"io.conmon.log\\u002drate\":\"3k\"}}",
	    true, "1:3k", "0:", "\\u escapes in keys are decoded");
	check_scan(ANN(RATE ":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""), true,
		   "1:a\"b\\c/d\b\f\n\r\t", "0:", "every short escape");
	check_scan(ANN(RATE ":\"\\u00e9\""), true, "1:\x80", "0:",
		   "a code point beyond ASCII is a byte that never parses");
	check_scan("{\"process\":{\"args\":[\"sh\",\"-c\",\"echo \\\"}]\\\\\"],"
		   "\"annotations\":{" RATE ":\"9M\"}},"
		   "\"annotations\":{" RATE ":\"1M\"}}",
		   true, "1:1M", "0:",
		   "quotes, brackets and an annotations object inside strings "
		   "and deeper levels are not the top-level annotations");
	check_scan("{\"annotations\":{\"x\":{" RATE ":\"1M\"}," RATE
		   ":[\"2M\"]}}",
		   true, "3:", "0:",
		   "a key one level down is not an annotation; an array is not "
		   "a string");
	check_scan(ANN(RATE ":\"1M\"," RATE ":\"2M\""), true, "1:2M",
		   "0:", "a duplicate key: the last value wins");
	check_scan(ANN(RATE ":5," RATE ":\"2M\""), true, "1:2M",
		   "0:", "a duplicate key: a later string replaces a number");
	check_scan(ANN(RATE ":\"2M\"," RATE ":null"), true, "3:", "0:",
		   "a duplicate key: a later null replaces a string");
	check_scan(
	    "{\"annotations\":{" RATE ":\"1M\"},\"x\":[1,2.5e-3,-0,true,"
	    "false,null,{}],\"annotations\":{" BURST ":\"3M\"}}",
	    true, "1:1M", "1:3M",
	    "two annotations objects merge, as Go's decoder merges them");
	check_scan(ANN(RATE ":2097152"), true,
		   "3:", "0:", "a number is not a string");
	check_scan("{\"annotations\":null," RATE ":\"1M\"}", true, "0:", "0:",
		   "annotations null; the key at the top level is not one");
	check_scan("{\"annotations\":[" RATE "]}", true,
		   "0:", "0:", "annotations as an array: nothing found");
	check_scan(
	    ANN("\"io.conmon.log-rate-x\":\"1M\",\"io.conmon.log\":\"1M\""),
	    true, "0:", "0:", "only the exact keys match");
	check_scan(
	    ANN(RATE ":\"1234567890123456789012345678901234567890123456"
		     "789012345678901234\""),
	    true,
	    "1:"
	    "1234567890123456789012345678901234567890123456789012345678901234",
	    "0:", "a value of 64 bytes is kept");
	check_scan(
	    ANN(RATE ":\"1234567890123456789012345678901234567890123456"
		     "7890123456789012345\""),
	    true,
	    "2:"
	    "1234567890123456789012345678901234567890123456789012345678901234",
	    "0:", "a value of 65 bytes is too long, its first 64 kept");
	check_scan(ANN("\"io.conmon.log-rate\\u0000"
		       "12345678901234567890123456"
		       "789012345678901234567890123456789\":\"1M\""),
		   true,
		   "0:", "0:", "a key longer than 64 bytes matches nothing");
	check_scan(ANN(RATE ":\"1M\"") " trailing garbage", true, "1:1M",
		   "0:", "what follows the top-level object is not read");

	check_scan("", false, "", "", "empty input is malformed");
	check_scan("  ", false, "", "", "white space alone is malformed");
	check_scan("[]", false, "", "", "a top-level array is malformed");
	check_scan("\xef\xbb\xbf{}", false, "", "", "a byte order mark");
	check_scan("{\"a\":1,}", false, "", "", "a trailing comma");
	check_scan("{\"a\" 1}", false, "", "", "a missing colon");
	check_scan("{\"a\":1 \"b\":2}", false, "", "", "a missing comma");
	check_scan("{'a':1}", false, "", "", "single quotes");
	check_scan("{\"a\":\"x", false, "", "", "an unterminated string");
	check_scan("{\"a\":\"\\x\"}", false, "", "", "an unknown escape");
	check_scan("{\"a\":\"\\u12g4\"}", false, "", "", "a bad \\u escape");
	check_scan("{\"a\":\"\t\"}", false, "", "", "a raw tab in a string");
	check_scan("{\"a\":01}", false, "", "", "a leading zero");
	check_scan("{\"a\":-}", false, "", "", "a lone minus");
	check_scan("{\"a\":1.}", false, "", "", "a dot without digits");
	check_scan("{\"a\":1e}", false, "", "", "an exponent without digits");
	check_scan("{\"a\":+1}", false, "", "", "a plus sign");
	check_scan("{\"a\":tru}", false, "", "", "a cut literal");
	check_scan("{\"a\":nulll}", false, "", "", "a long literal");
	check_scan("{\"a\":[1}", false, "", "", "a bracket closed by a brace");
	check_scan("{\"a\":{\"b\":1]}", false, "", "",
		   "a brace closed by a bracket");
	check_scan("{\"annotations\":{" RATE ":\"1M\",}}", false, "", "",
		   "a malformed file loses what it found");

	got = scan_text("{\"a\":01}", 8);
	CHECK(!got.ok && got.offset == 6,
	      "the offset of a failure is its byte (6), got %zu", got.offset);
	got = scan_text("{\"a\":1", 6);
	CHECK(!got.ok && got.offset == 6,
	      "a document cut short fails at its end (6), got %zu", got.offset);

	/* 64 levels in all pass, 65 do not. */
	make_deep(deep, 63);
	got = scan_text(deep, strlen(deep));
	CHECK(got.ok, "64 levels of nesting are read");
	make_deep(deep, 64);
	got = scan_text(deep, strlen(deep));
	CHECK(!got.ok && got.too_deep && got.offset == 5 + 63,
	      "65 levels are too deep, at the 65th bracket (offset %zu)",
	      got.offset);

	/* A 1 MiB config.json, the annotations at its end, in the 4 KiB
	 * reads conmon makes. */
	big_len = (1 << 20) + 128;
	big = malloc(big_len);
	n = (size_t)snprintf(big, big_len, "{\"process\":{\"env\":[\"");
	memset(big + n, 'x', (1 << 20) - n);
	n = 1 << 20;
	n += (size_t)snprintf(big + n, big_len - n,
			      "\"]},\"annotations\":{" RATE ":\"4M\"}}");
	scan_in_pieces(big, n, 4096, &got);
	CHECK(got.ok && !strcmp(got.value[0], "1:4M"),
	      "1 MiB with the annotations at the end, read 4 KiB at a time");
	free(big);
}

/* The settings as validation resolves them: config.json in the cwd (the
 * default bundle) and the environment, written by the child. */
static const char *config_text;
static const char *env_rate, *env_burst;

static void write_config(void)
{
	int fd;

	unsetenv("CONMON_LOG_RATE");
	unsetenv("CONMON_LOG_BURST");
	if (env_rate)
		setenv("CONMON_LOG_RATE", env_rate, 1);
	if (env_burst)
		setenv("CONMON_LOG_BURST", env_burst, 1);
	unlink("config.json");
	if (!config_text)
		return;
	if (!strcmp(config_text, "FIFO")) {
		if (mkfifo("config.json", 0600) < 0)
			_exit(99);
		return;
	}
	fd = open("config.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, config_text, strlen(config_text)) < 0)
		_exit(99);
	close(fd);
}

/* One case: config.json (NULL: none) and the two variables (NULL:
 * unset); run with argv VALID -l none plus extra (may be NULL). */
static void run_rate(struct result *r, const char *config, const char *rate,
		     const char *burst, const char *extra)
{
	config_text = config;
	env_rate = rate;
	env_burst = burst;
	if (extra)
		RUN_IN(r, write_config, VALID, "-l", "none", extra);
	else
		RUN_IN(r, write_config, VALID, "-l", "none");
	unlink("config.json");
}

/* One CHECK: cli_parse returned with these settings and exactly this on
 * stderr. */
static void expect_rate(const struct result *r, const char *err,
			const char *rate, const char *burst, const char *what)
{
	char rate_line[64], burst_line[64];
	int ok;

	snprintf(rate_line, sizeof(rate_line), "log_rate=%s", rate);
	snprintf(burst_line, sizeof(burst_line), "log_burst=%s", burst);
	ok = r->status == RETURNED && !strcmp(r->err, err) &&
	     has_line(r->out, rate_line) && has_line(r->out, burst_line);
	CHECK(ok, "%s", what);
	if (!ok)
		printf("#   status %d\n#   stderr \"%s\"\n#   want   \"%s\"\n"
		       "#   want %s, %s\n",
		       r->status, r->err, err, rate_line, burst_line);
}

static void test_rate_settings(void)
{
	struct result r;

	run_rate(&r, NULL, NULL, NULL, NULL);
	expect_rate(&r, "", "0", "0", "no config.json, no variable: no limit");
	run_rate(&r, ANN(RATE ":\"2M\""), NULL, NULL, NULL);
	expect_rate(&r, "", "2097152", "2097152",
		    "the annotation; the burst defaults to the rate");
	run_rate(&r, "{}", "512k", "1M", NULL);
	expect_rate(&r, "", "524288", "1048576", "the environment alone");
	run_rate(&r, ANN(RATE ":\"2M\""), "64k", "4M", NULL);
	expect_rate(&r, "", "2097152", "4194304",
		    "the annotation wins for the rate, the variable gives the "
		    "burst");
	run_rate(&r, ANN(BURST ":\"8M\""), "1M", "4M", NULL);
	expect_rate(&r, "", "1048576", "8388608",
		    "the variable gives the rate, the annotation wins for the "
		    "burst");
	run_rate(&r, ANN(RATE ":\"0\""), "1M", NULL, NULL);
	expect_rate(&r, "", "0", "0",
		    "0 in the annotation lifts the host's "
		    "limit, silently");
	run_rate(&r, ANN(RATE ":\"\""), "1M", NULL, NULL);
	expect_rate(&r, "", "1048576", "1048576",
		    "an empty annotation counts as none");
	run_rate(&r, NULL, "", NULL, NULL);
	expect_rate(&r, "", "0", "0", "an empty variable counts as none");
	run_rate(&r, ANN(RATE ":\"12x\""), "1M", NULL, NULL);
	expect_rate(&r,
		    WARN("Invalid log rate limit \"12x\" in annotation "
			 "io.conmon.log-rate: ignored, no limit"),
		    "0", "0", "a bad annotation: a warning, no limit");
	run_rate(&r, NULL, "4Mi", NULL, NULL);
	expect_rate(&r,
		    WARN("Invalid log rate limit \"4Mi\" in CONMON_LOG_RATE: "
			 "ignored, no limit"),
		    "0", "0", "a bad variable: a warning, no limit");
	run_rate(&r, ANN(RATE ":\"1M\"," BURST ":\"0\""), NULL, NULL, NULL);
	expect_rate(&r,
		    WARN("Invalid log rate limit \"0\" in annotation "
			 "io.conmon.log-burst: ignored, no limit"),
		    "0", "0", "a burst of 0 is a bad value");
	run_rate(&r, ANN(RATE ":1048576"), NULL, NULL, NULL);
	expect_rate(&r,
		    WARN("Invalid log rate limit (not a JSON string) in "
			 "annotation io.conmon.log-rate: ignored, no limit"),
		    "0", "0",
		    "a number in the annotation: a warning, no limit");
	run_rate(&r,
		 ANN(RATE ":\"1\\u0000\\\"\\n\xc3\xa9"
			  "12345678901234567890123456789012345678901234567890"
			  "1234567890\""),
		 NULL, NULL, NULL);
	expect_rate(&r,
		    WARN("Invalid log rate limit \"1?????1234567890123456789012"
			 "345678901234567890123456789012345678...\" in "
			 "annotation io.conmon.log-rate: ignored, no limit"),
		    "0", "0",
		    "the warning shows printable ASCII, 64 bytes at most");
	run_rate(&r, NULL, NULL, "4M", NULL);
	expect_rate(&r,
		    WARN("Log burst 4194304 from CONMON_LOG_BURST without a "
			 "log rate: ignored, no limit"),
		    "0", "0", "a burst without a rate: a warning, no limit");
	run_rate(&r, "{\"annotations\":{" RATE ":\"1M\"},}", "2M", NULL, NULL);
	CHECK(r.status == RETURNED &&
		  strstr(r.err, "Cannot read the annotations of ") &&
		  strstr(r.err, "/config.json: malformed JSON at byte 43\n") &&
		  has_line(r.out, "log_rate=2097152"),
	      "malformed config.json: a warning, the variable still applies");
	printf("#   stderr \"%s\"\n", r.err);
	run_rate(&r, "{\"annotations\":{" RATE ":\"1M\"}", "2M", NULL, NULL);
	CHECK(r.status == RETURNED &&
		  strstr(r.err, "/config.json: the file ends early at byte "
				"42\n") &&
		  has_line(r.out, "log_rate=2097152"),
	      "a config.json cut short: a warning, the variable applies");
	run_rate(&r, "FIFO", "2M", NULL, NULL);
	CHECK(r.status == RETURNED &&
		  strstr(r.err, "/config.json: not a regular file of at most "
				"16 MiB\n") &&
		  has_line(r.out, "log_rate=2097152"),
	      "a FIFO as config.json does not hold validation");
	config_text = ANN(RATE ":\"2M\"");
	env_rate = "1M";
	env_burst = NULL;
	RUN_IN(&r, write_config, VALID, "-l", "none", "--exec",
	       "--exec-process-spec", "/spec.json");
	unlink("config.json");
	expect_rate(&r, "", "0", "0", "exec sessions are never limited");
	run_rate(&r, ANN(RATE ":\"2M\""), "1M", "1M", "--log-level=debug");
	CHECK(r.status == RETURNED &&
		  strstr(r.err,
			 "[conmon:d]: log rate limit: 2097152 bytes/s "
			 "(annotation io.conmon.log-rate), burst 1048576 "
			 "bytes (CONMON_LOG_BURST)\n"),
	      "--log-level debug says the limit and where it came from");
	run_rate(&r, NULL, NULL, NULL, "--log-level=debug");
	CHECK(r.status == RETURNED &&
		  strstr(r.err, "[conmon:d]: log rate limit: none\n"),
	      "--log-level debug says when there is none");
}

int main(void)
{
	unit_name = "cli";
	snprintf(tmp, sizeof(tmp), "/tmp/test_cli.XXXXXX");
	if (!mkdtemp(tmp) || chdir(tmp) < 0) {
		perror("temporary directory");
		return 2;
	}
	test_log_path_table();
	test_validation_order();
	test_parsing();
	test_integers();
	test_help_version();
	test_side_effects();
	test_sizes();
	test_scanner();
	test_rate_settings();
	unlink("journald");
	unlink("a.log");
	unlink("b.log");
	unlink("ctr.log");
	unlink("notexec");
	rmdir(tmp);
	return unit_done();
}
