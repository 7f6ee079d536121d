/* cli.c - the command line: parsing, --help, --version, validation.
 *
 * Callers were written against GLib's option parser, so this reproduces
 * what they observe of it (docs/cli.md §1): `--name VALUE` and `--name=VALUE`,
 * grouped short flags, stray positionals ignored, GLib's error texts.
 * Validation then follows docs/cli.md §5 step by step: tests feed arguments
 * one at a time and expect the message of the first missing piece.
 *
 * Nothing is allocated.  Scalars point into argv; the repeatable options
 * share the caller's pool of argc pointers; the few derived strings live
 * in one static arena.
 */
#include "conmon.h"
#include "testing.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CONMON_COMMIT
#define CONMON_COMMIT ""
#endif

/* GLib quotes integer values with U+201C and U+201D. */
#define LQ "\xe2\x80\x9c"
#define RQ "\xe2\x80\x9d"

struct config cfg;

enum opt_type { OPT_FLAG, OPT_STR, OPT_INT, OPT_INT64, OPT_LIST };

struct opt {
	const char *name;
	char letter;	      /* short form, 0 if none */
	unsigned char type;   /* enum opt_type */
	unsigned short field; /* offset of the value in struct config */
	const char *help;     /* NULL: a hidden alias, left out of --help */
};

#define F(member) offsetof(struct config, member)

/* In the order --help lists them (docs/cli.md §3.2); hidden aliases last. */
static const struct opt options[] = {
    {"api-version", 0, OPT_FLAG, F(api_version),
     "Use the v1 sync pipe protocol"},
    {"bundle", 'b', OPT_STR, F(bundle),
     "OCI bundle directory (default: the working directory)"},
    {"cid", 'c', OPT_STR, F(cid), "Container ID"},
    {"conmon-pidfile", 'P', OPT_STR, F(conmon_pidfile),
     "File to write conmon's own pid to"},
    {"container-pidfile", 'p', OPT_STR, F(container_pidfile),
     "The runtime's --pid-file (default: <cwd>/pidfile-<cid>)"},
    {"cuuid", 'u', OPT_STR, F(cuuid),
     "Container UUID, names the attach socket link"},
    {"exec", 'e', OPT_FLAG, F(exec),
     "Run an exec session instead of creating a container"},
    {"exec-attach", 0, OPT_FLAG, F(exec_attach),
     "Exec session that waits for an attach (needs --api-version)"},
    {"exec-process-spec", 0, OPT_STR, F(exec_process_spec),
     "Process JSON of the exec session"},
    {"exit-command", 0, OPT_STR, F(exit_command),
     "Program to run after the container exits"},
    {"exit-command-arg", 0, OPT_LIST, F(exit_command_args),
     "Argument for --exit-command (repeatable)"},
    {"exit-delay", 0, OPT_INT, F(exit_delay),
     "Seconds to wait before running the exit command"},
    {"exit-dir", 0, OPT_STR, F(exit_dir),
     "Directory for the exit file named after the container ID"},
    {"leave-stdin-open", 0, OPT_FLAG, F(leave_stdin_open),
     "Keep the container's stdin open when an attach client leaves"},
    {"log-level", 0, OPT_STR, F(log_level),
     "Level of conmon's own messages: error, warning, info, debug, trace"},
    {"log-path", 'l', OPT_LIST, F(log_paths),
     "Log driver: PATH, k8s-file:PATH, journald, passthrough or none "
     "(repeatable)"},
    {"log-size-max", 0, OPT_INT64, F(log_size_max),
     "Maximum size in bytes of the k8s-file log"},
    {"log-global-size-max", 0, OPT_INT64, F(log_global_size_max),
     "Maximum bytes written to the k8s-file log in all"},
    {"log-tag", 0, OPT_STR, F(log_tag), "Tag of the journald entries"},
    {"log-label", 0, OPT_LIST, F(log_labels),
     "Extra journald field NAME=VALUE (repeatable)"},
    {"no-container-partial-message", 0, OPT_FLAG,
     F(no_container_partial_message),
     "Never mark journald entries as partial messages"},
    {"name", 'n', OPT_STR, F(name), "Container name"},
    {"no-new-keyring", 0, OPT_FLAG, F(no_new_keyring),
     "Pass --no-new-keyring to the runtime"},
    {"no-pivot", 0, OPT_FLAG, F(no_pivot), "Pass --no-pivot to the runtime"},
    {"no-sync-log", 0, OPT_FLAG, F(no_sync_log),
     "Do not fsync the k8s-file log at exit"},
    {"persist-dir", '0', OPT_STR, F(persist_dir),
     "Directory for the exit and oom files"},
    {"replace-listen-pid", 0, OPT_FLAG, F(replace_listen_pid),
     "Always set LISTEN_PID to the runtime's pid"},
    {"restore", 0, OPT_STR, F(restore),
     "Restore the container from this checkpoint"},
    {"runtime", 'r', OPT_STR, F(runtime), "Path of the OCI runtime executable"},
    {"runtime-arg", 0, OPT_LIST, F(runtime_args),
     "Global argument for the runtime (repeatable)"},
    {"runtime-opt", 0, OPT_LIST, F(runtime_opts),
     "Argument for the runtime's create, restore or exec (repeatable)"},
    {"sdnotify-socket", 0, OPT_STR, F(sdnotify_socket),
     "Host sd_notify socket to relay the container's notifications to"},
    {"socket-dir-path", 0, OPT_STR, F(socket_dir_path),
     "Directory of the attach socket links (default: /var/run/crio)"},
    {"stdin", 'i', OPT_FLAG, F(open_stdin), "Give the container a stdin"},
    {"sync", 0, OPT_FLAG, F(sync),
     "Stay in the foreground instead of daemonizing"},
    {"syslog", 0, OPT_FLAG, F(syslog), "Also send conmon's messages to syslog"},
    {"systemd-cgroup", 's', OPT_FLAG, F(systemd_cgroup),
     "Pass --systemd-cgroup to the runtime"},
    {"terminal", 't', OPT_FLAG, F(terminal), "Give the container a terminal"},
    {"timeout", 'T', OPT_INT, F(timeout),
     "Kill the container after this many seconds"},
    {"version", 0, OPT_FLAG, F(version), "Print the version and exit"},
    {"full-attach", 0, OPT_FLAG, F(full_attach),
     "Put the attach socket in the bundle, ignore --socket-dir-path"},
    {"log-rotate", 0, OPT_FLAG, F(log_rotate),
     "Rotate the k8s-file log instead of truncating it"},
    {"log-max-files", 0, OPT_INT, F(log_max_files),
     "Number of rotated log files to keep"},
    {"log-allowlist-dir", 0, OPT_LIST, F(log_allowlist_dirs),
     "Directory that rotated logs may be written to (repeatable)"},
    /* Deprecated spellings that old callers may still pass. */
    {"pidfile", 0, OPT_STR, F(container_pidfile), NULL},
    {"restore-arg", 0, OPT_LIST, F(runtime_opts), NULL},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* The walk over argv runs twice: the first pass sets the scalars, reports
 * every error and counts each list; the second, once the pool is carved
 * into one slice per list, only fills the lists.  So lists come out
 * contiguous and in command-line order without allocating. */
enum pass { PASS_SCAN, PASS_FILL };

/* cwd, the default container pidfile and the k8s-file path, packed so
 * that they usually share one page instead of touching three. */
static char arena[3 * PATH_MAX];

#define parse_fail(...) fatal_plain("option parsing failed: " __VA_ARGS__)

static void *field_of(const struct opt *o)
{
	return (char *)&cfg + o->field;
}

static const struct opt *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len &&
		    !memcmp(options[i].name, name, len))
			return &options[i];
	return NULL;
}

static const struct opt *find_short(char letter)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (options[i].letter == letter)
			return &options[i];
	return NULL;
}

static _Noreturn void print_help(void)
{
	/* About 4 kB of text: build it whole, write it once. */
	char out[6144];
	size_t n = 0;

	n += snprintf(
	    out, sizeof(out),
	    "Usage:\n  conmon [OPTION\xe2\x80\xa6] - conmon utility\n\n"
	    "Help Options:\n  %-36s%s\n\nApplication Options:\n",
	    "-h, --help", "Show help options");
	for (size_t i = 0; i < N_OPTIONS && n < sizeof(out); i++) {
		const struct opt *o = &options[i];
		char shortform[5] = "";

		if (!o->help)
			continue;
		if (o->letter)
			snprintf(shortform, sizeof(shortform), "-%c, ",
				 o->letter);
		n += snprintf(out + n, sizeof(out) - n, "  %s--%-*s%s\n",
			      shortform, 34 - (int)strlen(shortform), o->name,
			      o->help);
	}
	if (n < sizeof(out))
		n += snprintf(out + n, sizeof(out) - n, "\n");
	if (n > sizeof(out) - 1)
		n = sizeof(out) - 1;
	write_all(1, out, n);
	exit(0);
}

static _Noreturn void print_version(void)
{
	/* A build outside git has no commit; say so rather than print an
	 * empty field. */
	static const char text[] =
	    "conmon version " CONMON_VERSION "\ncommit: %s\n";
	char out[sizeof(text) + 64];
	int n = snprintf(out, sizeof(out), text,
			 CONMON_COMMIT[0] ? CONMON_COMMIT : "unknown");

	write_all(1, out, n < (int)sizeof(out) ? (size_t)n : sizeof(out) - 1);
	exit(0);
}

/* An integer value per docs/cli.md §1.1: strtoll base 0, the whole non-empty
 * string, within [min, max]. */
static int64_t parse_int(const struct opt *o, bool as_short, const char *value,
			 int64_t min, int64_t max)
{
	char spelled[40], *end;
	long long n;

	if (as_short)
		snprintf(spelled, sizeof(spelled), "-%c", o->letter);
	else
		snprintf(spelled, sizeof(spelled), "--%s", o->name);
	errno = 0;
	n = strtoll(value, &end, 0);
	if (!*value || *end)
		parse_fail("Cannot parse integer value " LQ "%s" RQ " for %s",
			   value, spelled);
	if (errno == ERANGE || n < min || n > max)
		parse_fail("Integer value " LQ "%s" RQ " for %s out of range",
			   value, spelled);
	return n;
}

static void store(const struct opt *o, bool as_short, const char *value,
		  enum pass pass)
{
	if (o->type == OPT_LIST) {
		struct strlist *list = field_of(o);

		if (pass == PASS_FILL)
			list->v[list->n] = value;
		list->n++;
		return;
	}
	if (pass == PASS_FILL)
		return;
	switch (o->type) {
	case OPT_FLAG:
		/* "--terminal=false" sets it too: GLib ignores the value. */
		*(bool *)field_of(o) = true;
		break;
	case OPT_STR:
		*(const char **)field_of(o) = value;
		break;
	case OPT_INT:
		*(int *)field_of(o) =
		    (int)parse_int(o, as_short, value, INT_MIN, INT_MAX);
		break;
	case OPT_INT64:
		*(int64_t *)field_of(o) =
		    parse_int(o, as_short, value, INT64_MIN, INT64_MAX);
		break;
	}
}

/* argv[i] is "--something".  Returns the index of the last element used. */
static int parse_long(int argc, char **argv, int i, enum pass pass)
{
	const char *arg = argv[i] + 2;
	size_t len = strcspn(arg, "=");
	const struct opt *o;
	const char *value = NULL;

	if (!strcmp(arg, "help") || !strcmp(arg, "help-all"))
		print_help();
	o = find_long(arg, len);
	if (!o)
		parse_fail("Unknown option %s", argv[i]);
	if (arg[len] == '=') {
		value = arg + len + 1;
	} else if (o->type != OPT_FLAG) {
		/* The next element is the value even if it starts with '-'. */
		if (i + 1 >= argc)
			parse_fail("Missing argument for --%s", o->name);
		value = argv[++i];
	}
	store(o, false, value, pass);
	return i;
}

/* argv[i] is "-xyz": letters are flags, except that one of them may take
 * the next element as its value.  A value is never glued to its letter,
 * so "-cabc" is an unknown option, as with GLib. */
static int parse_short(int argc, char **argv, int i, enum pass pass)
{
	const char *group = argv[i];
	int last = i;

	for (const char *p = group + 1; *p; p++) {
		const struct opt *o;

		if (*p == 'h' || *p == '?')
			print_help();
		o = find_short(*p);
		if (!o) {
			parse_fail("Unknown option %s", group);
		} else if (o->type == OPT_FLAG) {
			store(o, true, NULL, pass);
			continue;
		}
		if (last > i)
			parse_fail("Error parsing option -%c", *p);
		if (i + 1 >= argc)
			parse_fail("Missing argument for -%c", *p);
		last = i + 1;
		store(o, true, argv[last], pass);
	}
	return last;
}

static void walk_argv(int argc, char **argv, enum pass pass)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		/* Positionals, "-" among them, are ignored: Podman passes
		 * "--api-version 1" and --api-version is a flag. */
		if (arg[0] != '-' || !arg[1])
			continue;
		if (arg[1] != '-')
			i = parse_short(argc, argv, i, pass);
		else if (arg[2])
			i = parse_long(argc, argv, i, pass);
		else
			return; /* "--" */
	}
}

/* Give each list its slice of the pool, sized by the first pass. */
static void carve_pool(const char **pool)
{
	size_t used = 0;

	for (size_t i = 0; i < N_OPTIONS; i++) {
		struct strlist *list = field_of(&options[i]);

		/* An alias shares its list: the first entry carved it. */
		if (options[i].type != OPT_LIST || list->v || !list->n)
			continue;
		list->v = pool + used;
		used += list->n;
		list->n = 0;
	}
}

const char *cli_parse_log_path(const char *value, struct log_target *out,
			       char *buf, size_t bufsize)
{
	/* Two tokens split on runs of ':', the way strtok sees them. */
	const char *t1 = value + strspn(value, ":");
	size_t n1 = strcspn(t1, ":");
	const char *t2 = t1 + n1 + strspn(t1 + n1, ":");
	size_t n2 = strcspn(t2, ":");
	const char *path = t2;
	size_t len = n2;

#define IS(word) (n1 == sizeof(word) - 1 && !memcmp(t1, word, n1))
	out->driver = LOG_NONE;
	out->path = NULL;
	if (!n1)
		return "log-path must not be empty";
	if (!n2 && value[0] == ':') {
		path = t1; /* ":journald" is a file named journald */
		len = n1;
	} else if (IS("off") || IS("null") || IS("none")) {
		return NULL;
	} else if (IS("passthrough")) {
		out->driver = LOG_PASSTHROUGH;
		return NULL;
	} else if (IS("journald")) {
		out->driver = LOG_JOURNALD;
		return NULL;
	} else if (IS("k8s-file")) {
		if (!n2)
			return "k8s-file requires a filename";
	} else if (!strchr(value, ':')) {
		path = t1; /* CRI-O passes a bare path */
		len = n1;
	} else {
		snprintf(buf, bufsize, "No such log driver %.*s", (int)n1, t1);
		return buf;
	}
#undef IS
	if (len >= bufsize)
		return "log-path is too long";
	out->driver = LOG_K8S;
	/* A path that ends the value needs no copy (the usual case):
	 * nothing of cli.c's storage is touched for it. */
	if (!path[len]) {
		out->path = path;
		return NULL;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	out->path = buf;
	return NULL;
}

/* journald field names are upper case (docs/cli.md §5 step 17.5). */
static void check_log_label(const char *label)
{
	const char *eq = strchr(label, '=');

	if (label[0] == '=')
		nexit(
		    "Container labels must be in format LABEL=VALUE (no LABEL "
		    "present in '%s')",
		    label);
	if (!eq || strchr(eq + 1, '='))
		nexit("Container labels must be in format LABEL=VALUE (none or "
		      "more than one '=' present in '%s')",
		      label);
	for (const char *p = label; p < eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			nexit("Container label names must contain only "
			      "uppercase letters, numbers and underscore (in "
			      "'%s')",
			      label);
}

/* Step 17: the log drivers.  A k8s-file path that needs a copy goes to
 * the arena slot at buf; the last k8s-file value wins. */
static void validate_log_drivers(char *buf, size_t bufsize)
{
	const char *k8s = NULL;

	if (!cfg.log_paths.n)
		nexit("Log driver not provided. Use --log-path");
	for (int i = 0; i < cfg.log_paths.n; i++) {
		struct log_target t;
		const char *err =
		    cli_parse_log_path(cfg.log_paths.v[i], &t, buf, bufsize);

		if (err)
			nexit("%s", err);
		if (t.driver == LOG_K8S)
			k8s = t.path;
		else if (t.driver == LOG_JOURNALD)
			cfg.log_journald = true;
		else if (t.driver == LOG_PASSTHROUGH)
			cfg.log_passthrough = true;
	}
	if (k8s) {
		cfg.k8s_log_path = k8s;
		log_k8s_open();
	}
	if (k8s && !cfg.log_journald) {
		if (cfg.log_tag)
			nexit("k8s-file doesn't support --log-tag");
		if (cfg.log_labels.n)
			nexit("k8s-file doesn't support --log-label");
	}
	if (cfg.log_journald) {
		if (strlen(cfg.cid) <= 12)
			nexit("Container ID must be longer than 12 characters");
		for (int i = 0; i < cfg.log_labels.n; i++)
			check_log_label(cfg.log_labels.v[i]);
	}
}

/* docs/cli.md §5, in its order: tests expect the first missing piece.
 * The arena is written only for what the command line does not give
 * (Podman and CRI-O give the bundle, the pidfile and a plain log path),
 * so it usually stays untouched memory. */
static void validate(void)
{
	char cwd[PATH_MAX], *pidfile = arena;
	size_t used = 0;
	int level;

	if (cfg.version)
		print_version();
	if (cfg.log_max_files < 0)
		fatal_plain("log-max-files must be non-negative, got %d",
			    cfg.log_max_files);
	if (cfg.log_rotate && cfg.log_max_files == 0)
		fatal_plain("log-max-files must be at least 1 when log-rotate "
			    "is enabled, got %d",
			    cfg.log_max_files);
	if (!cfg.cid)
		fatal_plain("Container ID not provided. Use --cid");

	level = log_level_parse(cfg.log_level);
	if (level < 0)
		nexit("No such log level %s", cfg.log_level);
	log_level = level;

	if (cfg.restore && cfg.exec)
		nexit("Cannot use 'exec' and 'restore' at the same time");
	if (cfg.exec_attach && !cfg.exec)
		nexit("Attach can only be specified with exec");
	if (cfg.exec_attach && !cfg.api_version)
		nexit("Attach can only be specified for a non-legacy exec "
		      "session");
	/* A legacy exec has no attach socket to name. */
	if (!cfg.cuuid && !(cfg.exec && !cfg.api_version))
		nexit("Container UUID not provided. Use --cuuid");
	if (!cfg.runtime)
		nexit("Runtime path not provided. Use --runtime");
	/* Only X_OK: a searchable directory passes, which upstream's tests
	 * rely on (docs/cli.md §6). */
	if (access(cfg.runtime, X_OK) < 0)
		pexit("Runtime path %s is not valid", cfg.runtime);
	if (cfg.exec && !cfg.exec_process_spec)
		nexit("Exec process spec path not provided. Use "
		      "--exec-process-spec");

	if (!getcwd(cwd, PATH_MAX))
		nexit("Failed to get working directory");
	if (!cfg.bundle && !cfg.exec) {
		used = strlen(cwd) + 1;
		memcpy(arena, cwd, used);
		cfg.bundle = arena;
		pidfile = arena + used;
	}
	if (!cfg.container_pidfile) {
		static const char stem[] = "/pidfile-";
		size_t cwd_len = strlen(cwd), cid_len = strlen(cfg.cid);
		size_t len = cwd_len + sizeof(stem) - 1 + cid_len;

		if (len >= PATH_MAX)
			nexit("Container pidfile path %s%s%s is too long", cwd,
			      stem, cfg.cid);
		memcpy(pidfile, cwd, cwd_len);
		memcpy(pidfile + cwd_len, stem, sizeof(stem) - 1);
		memcpy(pidfile + len - cid_len, cfg.cid, cid_len + 1);
		cfg.container_pidfile = pidfile;
		used += len + 1;
	}

	if (cfg.exit_delay < 0)
		nexit("Delay before invoking exit command must be greater than "
		      "or equal to 0");
	validate_log_drivers(arena + used, PATH_MAX);
	if (cfg.no_container_partial_message && !cfg.log_journald)
		nwarn("--no-container-partial-message has no effect without "
		      "journald log driver");
}

void cli_parse(int argc, char **argv, const char **pool)
{
	cfg.log_level = "warning";
	cfg.socket_dir_path = "/var/run/crio";
	cfg.log_max_files = 1;
	cfg.log_size_max = -1;
	cfg.log_global_size_max = -1;

	walk_argv(argc, argv, PASS_SCAN);
	carve_pool(pool);
	walk_argv(argc, argv, PASS_FILL);
	validate();
}
