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
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

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

/* ------------------------------------------------------------------ */
/* Step 19: the log rate limit (docs/logging.md §9), from the annotations
 * of <bundle>/config.json or the environment. */

int64_t cli_parse_size(const char *text, size_t len)
{
	int64_t v = 0, unit = 1;

	if (len > 0) {
		switch (text[len - 1]) {
		case 'k':
		case 'K':
			unit = (int64_t)1 << 10;
			len--;
			break;
		case 'm':
		case 'M':
			unit = (int64_t)1 << 20;
			len--;
			break;
		case 'g':
		case 'G':
			unit = (int64_t)1 << 30;
			len--;
			break;
		}
	}
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		/* Checked at every digit: v stays far from overflowing. */
		v = v * 10 + (text[i] - '0');
		if (v > LOG_RATE_MAX)
			return -1;
	}
	return v > LOG_RATE_MAX / unit ? -1 : v * unit;
}

/* The scanner reads config.json once at start-up, through a small buffer:
 * a state machine over the JSON grammar (RFC 8259) that keeps only the
 * strings it may need (keys at the first two levels, the two values),
 * and the kind of each open container as one bit, so its memory is the
 * same for any file.  Values in "annotations" are strings (the OCI
 * runtime spec); a duplicate key counts with its last value, as Go's
 * decoder (runc, Podman) gives it. */
enum scan_state {
	SC_TOP,		 /* before the top-level object */
	SC_KEY_OR_END,	 /* after '{' */
	SC_KEY,		 /* after ',' in an object */
	SC_COLON,	 /* after a key */
	SC_VALUE_OR_END, /* after '[' */
	SC_VALUE,	 /* after ':' or ',' in an array */
	SC_AFTER,	 /* after a value: ',' or the container's end */
	SC_DONE,	 /* the top-level object ended */
	SC_STRING,
	SC_ESCAPE,
	SC_HEX,
	SC_NUMBER,
	SC_LITERAL,
	SC_FAILED,
};
/* Where in a number: after '-', after a leading 0, in the integer part,
 * after '.', in the fraction, after 'e', after its sign, in the exponent. */
enum {
	NUM_MINUS,
	NUM_ZERO,
	NUM_INT,
	NUM_DOT,
	NUM_FRAC,
	NUM_E,
	NUM_ESIGN,
	NUM_EXP
};
enum { ROLE_KEY, ROLE_VALUE };
/* What the key just read announces. */
enum {
	KEY_OTHER,
	KEY_ANNOTATIONS,
	KEY_RATE = 2 + ANNOT_RATE,
	KEY_BURST = 2 + ANNOT_BURST
};

static const char *const annot_keys[ANNOT_KEYS] = {"io.conmon.log-rate",
						   "io.conmon.log-burst"};

void cli_scan_init(struct annot_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->state = SC_TOP;
}

static void scan_fail(struct annot_scan *s)
{
	s->state = SC_FAILED;
}

static bool in_object(const struct annot_scan *s)
{
	return s->objects >> (s->depth - 1) & 1;
}

static void scan_push(struct annot_scan *s, bool object)
{
	if (s->depth == ANNOT_DEPTH_MAX) {
		s->too_deep = true;
		scan_fail(s);
		return;
	}
	s->objects &= ~((uint64_t)1 << s->depth);
	s->objects |= (uint64_t)object << s->depth;
	s->depth++;
	s->state = object ? SC_KEY_OR_END : SC_VALUE_OR_END;
}

static void scan_pop(struct annot_scan *s, bool object)
{
	if (object != in_object(s)) {
		scan_fail(s);
		return;
	}
	if (--s->depth == 1)
		s->in_annotations = false;
	s->state = s->depth ? SC_AFTER : SC_DONE;
}

static bool buf_is(const struct annot_scan *s, const char *word)
{
	return !s->overflow && s->len == strlen(word) &&
	       !memcmp(s->buf, word, s->len);
}

static void scan_string_end(struct annot_scan *s)
{
	if (s->role == ROLE_KEY) {
		s->pending = KEY_OTHER;
		if (s->depth == 1 && buf_is(s, "annotations"))
			s->pending = KEY_ANNOTATIONS;
		for (int k = 0; k < ANNOT_KEYS && s->in_annotations; k++)
			if (s->depth == 2 && buf_is(s, annot_keys[k]))
				s->pending = 2 + k;
		s->state = SC_COLON;
		return;
	}
	if (s->target >= KEY_RATE) {
		struct annot_value *v = &s->found[s->target - 2];

		v->kind = s->overflow ? ANNOT_TOO_LONG : ANNOT_STRING;
		v->len = s->len;
		memcpy(v->text, s->buf, s->len);
		v->text[s->len] = '\0';
	}
	s->state = SC_AFTER;
}

static void scan_string_byte(struct annot_scan *s, unsigned char c)
{
	if (!s->keep)
		return;
	if (s->len < ANNOT_VALUE_MAX)
		s->buf[s->len++] = (char)c;
	else
		s->overflow = true;
}

static void scan_string_start(struct annot_scan *s, int role)
{
	s->role = role;
	s->len = 0;
	s->overflow = false;
	if (role == ROLE_KEY)
		s->keep = s->depth == 1 || (s->depth == 2 && s->in_annotations);
	else
		s->keep = s->target >= KEY_RATE;
	s->state = SC_STRING;
}

static void scan_value_start(struct annot_scan *s, unsigned char c)
{
	s->target = s->pending;
	s->pending = KEY_OTHER;
	if (s->target >= KEY_RATE && c != '"') {
		struct annot_value *v = &s->found[s->target - 2];

		v->kind = ANNOT_NOT_STRING;
		v->len = 0;
		v->text[0] = '\0';
	}
	/* Numbers: the cases that do not set another state. */
	s->state = SC_NUMBER;
	switch (c) {
	case '{':
		if (s->target == KEY_ANNOTATIONS)
			s->in_annotations = true;
		scan_push(s, true);
		break;
	case '[':
		scan_push(s, false);
		break;
	case '"':
		scan_string_start(s, ROLE_VALUE);
		break;
	case 't':
	case 'f':
	case 'n':
		s->literal = c == 't' ? "rue" : c == 'f' ? "alse" : "ull";
		s->state = SC_LITERAL;
		break;
	case '-':
		s->number = NUM_MINUS;
		break;
	case '0':
		s->number = NUM_ZERO;
		break;
	default:
		if (c >= '1' && c <= '9')
			s->number = NUM_INT;
		else
			scan_fail(s);
	}
}

/* One more byte of a number: true if it belongs to it. */
static bool scan_number_byte(struct annot_scan *s, unsigned char c)
{
	bool digit = c >= '0' && c <= '9';

	switch (s->number) {
	case NUM_MINUS:
		if (digit)
			s->number = c == '0' ? NUM_ZERO : NUM_INT;
		return digit;
	case NUM_INT:
		if (digit)
			return true;
		/* fall through */
	case NUM_ZERO:
		if (c == '.')
			s->number = NUM_DOT;
		else if (c == 'e' || c == 'E')
			s->number = NUM_E;
		else
			return false;
		return true;
	case NUM_DOT:
	case NUM_FRAC:
		if (digit) {
			s->number = NUM_FRAC;
			return true;
		}
		if (s->number == NUM_FRAC && (c == 'e' || c == 'E')) {
			s->number = NUM_E;
			return true;
		}
		return false;
	case NUM_E:
		if (c == '+' || c == '-') {
			s->number = NUM_ESIGN;
			return true;
		}
		/* fall through */
	default:
		if (digit)
			s->number = NUM_EXP;
		return digit;
	}
}

static bool number_complete(const struct annot_scan *s)
{
	return s->number == NUM_ZERO || s->number == NUM_INT ||
	       s->number == NUM_FRAC || s->number == NUM_EXP;
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A byte inside a string, literal or number; false if it is not part of
 * one and the grammar outside tokens must look at it. */
static bool scan_token_byte(struct annot_scan *s, unsigned char c)
{
	static const char escaped[] = "\"\\/bfnrt",
			  decoded[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int h;

	switch (s->state) {
	case SC_STRING:
		if (c == '"')
			scan_string_end(s);
		else if (c == '\\')
			s->state = SC_ESCAPE;
		else if (c < 0x20)
			scan_fail(s);
		else
			scan_string_byte(s, c);
		return true;
	case SC_ESCAPE:
		e = c ? strchr(escaped, c) : NULL;
		if (c == 'u') {
			s->hex = 0;
			s->hex_left = 4;
			s->state = SC_HEX;
		} else if (e) {
			scan_string_byte(s, decoded[e - escaped]);
			s->state = SC_STRING;
		} else {
			scan_fail(s);
		}
		return true;
	case SC_HEX:
		h = hex_digit(c);
		if (h < 0) {
			scan_fail(s);
			return true;
		}
		s->hex = s->hex << 4 | (unsigned)h;
		if (--s->hex_left == 0) {
			/* Beyond ASCII no key or value of ours matches: a
			 * byte that is not ASCII stands for it. */
			scan_string_byte(s, s->hex < 0x80 ? s->hex : 0x80);
			s->state = SC_STRING;
		}
		return true;
	case SC_LITERAL:
		if (c != (unsigned char)*s->literal++)
			scan_fail(s);
		else if (!*s->literal)
			s->state = SC_AFTER;
		return true;
	case SC_NUMBER:
		if (scan_number_byte(s, c))
			return true;
		if (!number_complete(s)) {
			scan_fail(s);
			return true;
		}
		s->state = SC_AFTER;
		return false;
	}
	return false;
}

static void scan_byte(struct annot_scan *s, unsigned char c)
{
	if (scan_token_byte(s, c))
		return;
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return;
	switch (s->state) {
	case SC_TOP:
		if (c == '{')
			scan_push(s, true);
		else
			scan_fail(s);
		break;
	case SC_KEY_OR_END:
		if (c == '}') {
			scan_pop(s, true);
			break;
		}
		/* fall through */
	case SC_KEY:
		if (c == '"')
			scan_string_start(s, ROLE_KEY);
		else
			scan_fail(s);
		break;
	case SC_COLON:
		if (c == ':')
			s->state = SC_VALUE;
		else
			scan_fail(s);
		break;
	case SC_VALUE_OR_END:
		if (c == ']') {
			scan_pop(s, false);
			break;
		}
		/* fall through */
	case SC_VALUE:
		scan_value_start(s, c);
		break;
	case SC_AFTER:
		if (c == ',')
			s->state = in_object(s) ? SC_KEY : SC_VALUE;
		else if (c == '}' || c == ']')
			scan_pop(s, c == '}');
		else
			scan_fail(s);
		break;
	default:
		scan_fail(s);
	}
}

bool cli_scan_feed(struct annot_scan *s, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s->state == SC_DONE || s->state == SC_FAILED)
			return false;
		scan_byte(s, (unsigned char)buf[i]);
		/* A failure leaves offset at the byte that caused it. */
		if (s->state != SC_FAILED)
			s->offset++;
	}
	return s->state != SC_DONE && s->state != SC_FAILED;
}

bool cli_scan_end(const struct annot_scan *s)
{
	return s->state == SC_DONE;
}

/* config.json is not read past this: a bound on the start-up time.  A
 * runtime spec is a few kB; Kubernetes caps a pod's annotations at
 * 256 kB. */
#define CONFIG_JSON_MAX (16 << 20)

/* Scan <bundle>/config.json into s, through a buffer on the stack (the
 * monitor gives that page back, docs/logging.md §9).  False when its
 * annotations cannot be used: said in a warning, except for a bundle
 * without config.json. */
static bool scan_config(struct annot_scan *s)
{
	char buf[4096];
	struct stat st;
	size_t total = 0;
	ssize_t n;
	int fd;

	cli_scan_init(s);
	if (!cfg.bundle || (size_t)snprintf(buf, sizeof(buf), "%s/config.json",
					    cfg.bundle) >= sizeof(buf))
		return false;
	/* Non-blocking: a FIFO planted there must not hold the launcher. */
	fd = open(buf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			pwarn("Cannot read the annotations of %s:", buf);
		return false;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_JSON_MAX) {
		nwarn("Cannot read the annotations of %s: not a regular file "
		      "of at most 16 MiB",
		      buf);
		close(fd);
		return false;
	}
	do {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			total += (size_t)n;
	} while ((n > 0 && total <= CONFIG_JSON_MAX &&
		  cli_scan_feed(s, buf, (size_t)n)) ||
		 (n < 0 && errno == EINTR));
	close(fd);
	if (n < 0) {
		pwarn("Cannot read the annotations of %s/config.json:",
		      cfg.bundle);
		return false;
	}
	if (!cli_scan_end(s)) {
		nwarn("Cannot read the annotations of %s/config.json: %s at "
		      "byte %zu",
		      cfg.bundle,
		      s->too_deep ? "JSON nested deeper than 64 levels"
		      : s->state == SC_FAILED ? "malformed JSON"
					      : "the file ends early",
		      s->offset);
		return false;
	}
	return true;
}

/* Where each setting may come from, in order of precedence. */
static const struct {
	const char *annotation, *env;
} rate_sources[ANNOT_KEYS] = {
    {"annotation io.conmon.log-rate", "CONMON_LOG_RATE"},
    {"annotation io.conmon.log-burst", "CONMON_LOG_BURST"},
};

/* The value as a warning shows it: printable ASCII, at most
 * ANNOT_VALUE_MAX bytes, "..." when cut (or when cut already). */
static void warn_bad_value(const char *text, size_t len, bool cut,
			   const char *where)
{
	char shown[ANNOT_VALUE_MAX + 4];
	size_t i;

	for (i = 0; i < len && i < ANNOT_VALUE_MAX; i++)
		shown[i] = text[i] >= 0x20 && text[i] < 0x7f && text[i] != '"'
			       ? text[i]
			       : '?';
	strcpy(shown + i, cut || i < len ? "..." : "");
	nwarn("Invalid log rate limit \"%s\" in %s: ignored, no limit", shown,
	      where);
}

/* Setting k: the annotation's value if it has one, else the environment's
 * (an empty value counts as none).  0 when neither gives one, -1 after a
 * warning about a bad value; *from names the source, NULL for none. */
static int64_t log_rate_setting(int k, const struct annot_value *a,
				const char **from)
{
	const char *text = a->text;
	size_t len = a->len;
	bool cut = a->kind == ANNOT_TOO_LONG;
	int64_t v;

	*from = rate_sources[k].annotation;
	if (a->kind == ANNOT_NOT_STRING) {
		nwarn("Invalid log rate limit (not a JSON string) in %s: "
		      "ignored, no limit",
		      *from);
		return -1;
	}
	if (a->kind == ANNOT_ABSENT || len == 0) {
		*from = rate_sources[k].env;
		text = getenv(*from);
		len = text ? strlen(text) : 0;
	}
	if (len == 0) {
		*from = NULL;
		return 0;
	}
	/* Longer than ANNOT_VALUE_MAX: bad wherever it comes from. */
	v = cut || len > ANNOT_VALUE_MAX ? -1 : cli_parse_size(text, len);
	/* A rate of 0 is no limit; a burst of 0 could never be spent. */
	if (v < 0 || (v == 0 && k == ANNOT_BURST)) {
		warn_bad_value(text, len, cut, *from);
		return -1;
	}
	return v;
}

/* Read the two settings once, before the runtime starts: a bad value
 * costs a warning and the limit, never the container. */
static void read_log_rate(void)
{
	struct annot_scan scan;
	const char *rate_from, *burst_from;
	int64_t rate, burst;

	/* An exec session's output goes back to its caller (Podman passes
	 * -l none, CRI-O's exec-sync reads a temporary log), not to the
	 * node's logs: a limit would only slow probes into their timeout. */
	if (cfg.exec || cfg.log_passthrough) {
		ndebug("log rate limit: none for %s",
		       cfg.exec ? "exec sessions" : "passthrough");
		return;
	}
	if (!scan_config(&scan))
		memset(scan.found, 0, sizeof(scan.found));
	rate =
	    log_rate_setting(ANNOT_RATE, &scan.found[ANNOT_RATE], &rate_from);
	burst = log_rate_setting(ANNOT_BURST, &scan.found[ANNOT_BURST],
				 &burst_from);
	if (rate < 0 || burst < 0)
		return;
	if (rate == 0) {
		if (burst_from && !rate_from)
			nwarn("Log burst %lld from %s without a log rate: "
			      "ignored, no limit",
			      (long long)burst, burst_from);
		ndebug("log rate limit: none%s%s", rate_from ? ", 0 in " : "",
		       rate_from ? rate_from : "");
		return;
	}
	if (!burst_from) {
		burst = rate;
		burst_from = "default: one second's worth";
	}
	cfg.log_rate = rate;
	cfg.log_burst = burst;
	cfg.log_rate_from = rate_from;
	ndebug("log rate limit: %lld bytes/s (%s), burst %lld bytes (%s)",
	       (long long)rate, rate_from, (long long)burst, burst_from);
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
	read_log_rate();
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
