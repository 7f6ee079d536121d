/* test_log.c - unit tests of log.c: diagnostics, k8s-file records, size
 * limits, rotation and reopen, the journald encoder and sender against a
 * socket of our own, and, through tests/journald-env, a real journald.
 *
 * Run from the repository root (make unit).  `test_log --journald` is the
 * part that runs inside tests/journald-env. */
#include "testing.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

static char tmpdir[256];
static char logpath[PATH_MAX];

/* ------------------------------------------------------------------ */
/* helpers */

static char filebuf[1 << 22];

/* The whole file at path (NUL-terminated in filebuf); -1 if missing. */
static ssize_t slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, r;

	filebuf[0] = '\0';
	if (fd < 0)
		return -1;
	while ((r = read(fd, filebuf + n, sizeof(filebuf) - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	filebuf[n] = '\0';
	return n;
}

static void spit(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0) {
		(void)!write(fd, data, strlen(data));
		close(fd);
	}
}

static char *pathf(char *out, const char *suffix)
{
	snprintf(out, PATH_MAX, "%s%s", logpath, suffix);
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Whether s (at least 35 bytes) is a k8s-file timestamp. */
static bool is_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddddd?dd:dd";

	for (int i = 0; i < K8S_TIMESTAMP_LEN; i++) {
		char c = shape[i];

		if (c == 'd'   ? s[i] < '0' || s[i] > '9'
		    : c == '?' ? s[i] != '+' && s[i] != '-'
			       : s[i] != c)
			return false;
	}
	return true;
}

/* The output path as io.c drives it: each call is a new chunk, offered
 * to the drivers (log_offer), or the same chunk offered again
 * (log_offer_again); log_text offers until the drivers have it all,
 * serving the loop meanwhile; log_end is the end of a stream. */
static uint32_t chunk_seq;
static struct chunk chunk_now;

static bool log_offer_again(enum stream s, const char *buf, size_t len)
{
	chunk_now = (struct chunk){buf, len, s, chunk_seq, false};
	return log_deliver(&chunk_now);
}

static bool log_offer(enum stream s, const char *buf, size_t len)
{
	chunk_seq++;
	return log_offer_again(s, buf, len);
}

static void log_text(enum stream s, const char *buf, size_t len)
{
	if (!log_offer(s, buf, len))
		while (loop_run_once(-1) >= 0 && !log_offer_again(s, buf, len))
			;
}

static void log_end(enum stream s)
{
	chunk_now = (struct chunk){"", 0, s, ++chunk_seq, true};
	while (!log_deliver(&chunk_now))
		loop_run_once(-1);
}

static void reset_cfg(void)
{
	log_reset();
	memset(&cfg, 0, sizeof(cfg));
	cfg.log_max_files = 1;
	log_level = LVL_WARN;
	journal_force_memfd = false;
	journal_socket_path = "/run/systemd/journal/socket";
}

/* A new k8s-file log at <tmpdir>/<name>, whatever an earlier case left
 * there. */
static void open_log(const char *name)
{
	snprintf(logpath, sizeof(logpath), "%s/%s", tmpdir, name);
	unlink(logpath);
	cfg.k8s_log_path = logpath;
	log_k8s_open();
}

/* ------------------------------------------------------------------ */
/* diagnostics */

static void test_levels(void)
{
	unit_name = "log_level_parse";
	CHECK(log_level_parse("error") == LVL_ERROR, "error");
	CHECK(log_level_parse("FATAL") == LVL_ERROR, "FATAL");
	CHECK(log_level_parse("panic") == LVL_ERROR, "panic");
	CHECK(log_level_parse("warn") == LVL_WARN, "warn");
	CHECK(log_level_parse("Warning") == LVL_WARN, "Warning");
	CHECK(log_level_parse("info") == LVL_INFO, "info");
	CHECK(log_level_parse("DEBUG") == LVL_DEBUG, "DEBUG");
	CHECK(log_level_parse("trace") == LVL_TRACE, "trace");
	CHECK(log_level_parse("verbose") == -1, "verbose is unknown");
	CHECK(log_level_parse("") == -1, "empty is unknown");
	CHECK(log_level_parse("warnings") == -1, "warnings is unknown");
	CHECK(log_level_parse(NULL) == -1, "NULL is unknown");
}

static void test_diag(void)
{
	const char *out;

	unit_name = "diag";
	reset_cfg();
	unit_capture_start();
	nwarn("hello %d", 42);
	errno = ENOENT;
	pwarn("cannot open %s", "x");
	ninfo("not shown at warn");
	log_level = LVL_TRACE;
	ninfo("info");
	ndebug("debug");
	ntrace("trace");
	errno = EBADF;
	nwarn("errno kept");
	int kept = errno;
	out = unit_capture_end();
	CHECK_STR(out,
		  "[conmon:w]: hello 42\n"
		  "[conmon:w]: cannot open x No such file or directory\n"
		  "[conmon:i]: info\n"
		  "[conmon:d]: debug\n"
		  "[conmon:d]: trace\n"
		  "[conmon:w]: errno kept\n",
		  "prefixes, errno text, level filter");
	CHECK(kept == EBADF, "diag preserves errno");

	/* A long message is cut, never overflows, still one line. */
	char big[6000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	unit_capture_start();
	nwarn("%s", big);
	out = unit_capture_end();
	CHECK(count_lines(out) == 1 && strlen(out) < 4200 &&
		  strncmp(out, "[conmon:w]: xxx", 15) == 0,
	      "an over-long message is truncated to one line");
}

static void test_flood(void)
{
	const char *out;

	unit_name = "diag flood";
	reset_cfg();
	unit_capture_start();
	for (int i = 0; i < 1000; i++)
		nwarn("failed to flush buffer to log");
	nwarn("something else");
	out = unit_capture_end();
	CHECK_STR(out,
		  "[conmon:w]: failed to flush buffer to log\n"
		  "[conmon:w]: last message repeated 999 times\n"
		  "[conmon:w]: something else\n",
		  "1000 identical warnings give one line and a count");

	unit_capture_start();
	nwarn("a");
	nwarn("b");
	nwarn("a");
	nwarn("b");
	out = unit_capture_end();
	CHECK(count_lines(out) == 4, "alternating messages are all shown");

	unit_capture_start();
	nwarn("repeat");
	nwarn("repeat");
	nwarn("other");
	out = unit_capture_end();
	CHECK_STR(out,
		  "[conmon:w]: repeat\n"
		  "[conmon:w]: last message repeated 1 times\n"
		  "[conmon:w]: other\n",
		  "the count comes before the next message");
}

static int run_child(void (*fn)(void), const char **out)
{
	int status;
	pid_t pid;

	fflush(stdout);
	unit_capture_start();
	pid = fork();
	if (pid == 0) {
		fn();
		_exit(99);
	}
	waitpid(pid, &status, 0);
	*out = unit_capture_end();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void call_fatal_plain(void)
{
	fatal_plain("option parsing failed: Unknown option %s", "--bad");
}

static void call_fatal(void)
{
	errno = EACCES;
	pexit("Failed to open log file %s", "/x");
}

static void test_fatal(void)
{
	const char *out;
	int st;

	unit_name = "fatal";
	reset_cfg();
	st = run_child(call_fatal_plain, &out);
	CHECK(st == 1, "fatal_plain exits 1 (got %d)", st);
	CHECK_STR(out, "conmon: option parsing failed: Unknown option --bad\n",
		  "fatal_plain text");
	log_level = LVL_ERROR; /* fatal errors are always shown */
	st = run_child(call_fatal, &out);
	CHECK(st == 1, "fatal exits 1 (got %d)", st);
	CHECK_STR(out,
		  "[conmon:e]: Failed to open log file /x Permission denied\n",
		  "fatal text with errno");
}

/* syslog(3) always goes to /dev/log: a child in a mount namespace of its
 * own puts a socket there and keeps what arrives in a file. */
static void syslog_child(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	char path[PATH_MAX], msg[1024];
	int s, fd;
	ssize_t n;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") < 0)
		_exit(77);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		_exit(77);
	cfg.syslog = true;
	cfg.cid = "0123456789abcdef0123456789abcdef";
	nwarn("plain warning");
	errno = ENOENT;
	pwarn("with errno");
	log_level = LVL_DEBUG;
	ndebug("a debug line");
	cfg.cid = "0123456789abcdef";
	cfg.log_tag = "tag";
	nwarn("tagged");
	snprintf(path, sizeof(path), "%s/syslog", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while ((n = recv(s, msg, sizeof(msg) - 1, MSG_DONTWAIT)) > 0) {
		msg[n++] = '\n';
		(void)!write(fd, msg, (size_t)n);
	}
	close(fd);
	/* fatal: its line goes out before conmon_exit, which _exits. */
	fatal(0, "the end");
}

static void test_syslog(void)
{
	char path[PATH_MAX];
	const char *out;
	int st;

	unit_name = "syslog";
	reset_cfg();
	if (geteuid() != 0) {
		printf(
		    "ok %d - syslog # SKIP needs root for a private /dev/log\n",
		    ++unit_count);
		return;
	}
	st = run_child(syslog_child, &out);
	if (st == 77) {
		printf("ok %d - syslog # SKIP no mount namespace here\n",
		       ++unit_count);
		return;
	}
	CHECK(st == 1, "the child's fatal exits 1 (%d)", st);
	snprintf(path, sizeof(path), "%s/syslog", tmpdir);
	slurp(path);
	CHECK(strstr(filebuf, "<14>") &&
		  strstr(filebuf, "conmon 0123456789abcdef0123 <nwarn>: "
				  "plain warning\n"),
	      "warning: LOG_USER|LOG_INFO, 20-char id, <nwarn>");
	CHECK(strstr(filebuf, "conmon 0123456789abcdef0123 <pwarn>: with "
			      "errno No such file or directory\n"),
	      "warning with errno: <pwarn>");
	CHECK(strstr(filebuf, "conmon 0123456789abcdef0123 <ndebug>: a debug "
			      "line\n"),
	      "debug: <ndebug>");
	CHECK(strstr(filebuf, "conmon 0123456789abcdef: ta <nwarn>: tagged"),
	      "with a tag the id is the first 20 chars of \"cid: tag\"");
	CHECK(strstr(out, "[conmon:w]: plain warning\n"),
	      "stderr still gets every line");
}

/* ------------------------------------------------------------------ */
/* k8s-file */

static void test_record_len(void)
{
	bool p;

	unit_name = "log_record_len";
	CHECK(log_record_len("abc\ndef", 7, &p) == 4 && !p, "line");
	CHECK(log_record_len("abc", 3, &p) == 3 && p, "no newline: partial");
	CHECK(log_record_len("\n\n", 2, &p) == 1 && !p, "empty line");
	CHECK(log_record_len("a\0b\n", 4, &p) == 4 && !p, "NUL inside");
}

static void check_ts(const char *tz, time_t sec, long ns, const char *want)
{
	struct timespec ts = {sec, ns};
	char out[K8S_TIMESTAMP_LEN + 1] = {0};

	setenv("TZ", tz, 1);
	tzset();
	log_reset(); /* the cached second belongs to the old zone */
	log_timestamp(out, &ts);
	CHECK_STR(out, want, "TZ=%s", tz);
}

static void test_timestamp(void)
{
	struct timespec ts;
	char a[K8S_TIMESTAMP_LEN + 1] = {0}, b[K8S_TIMESTAMP_LEN + 1] = {0};

	unit_name = "timestamp";
	check_ts("UTC0", 0, 0, "1970-01-01T00:00:00.000000000+00:00");
	check_ts("UTC0", 1795933964, 565235544,
		 "2026-11-29T06:32:44.565235544+00:00");
	check_ts("IST-5:30", 1795933964, 7,
		 "2026-11-29T12:02:44.000000007+05:30");
	check_ts("EST5", 1700000000, 123456789,
		 "2023-11-14T17:13:20.123456789-05:00");
	check_ts("NST3:30", 1700000000, 999999999,
		 "2023-11-14T18:43:20.999999999-03:30");
	if (access("/usr/share/zoneinfo/Asia/Kolkata", R_OK) == 0) {
		check_ts("Asia/Kolkata", 1795933964, 1,
			 "2026-11-29T12:02:44.000000001+05:30");
		/* New York switches offset within one day. */
		check_ts("America/New_York", 1700000000, 0,
			 "2023-11-14T17:13:20.000000000-05:00");
		check_ts("America/New_York", 1690000000, 0,
			 "2023-07-22T00:26:40.000000000-04:00");
	}
	/* The zone file's own rules, which conmon hands musl as TZ so that
	 * musl maps nothing: the same local time, now and in the future. */
	{
		char rules[64];

		setenv("TZ", "UTC0", 1);
		CHECK(!log_tz_rules(rules, sizeof(rules)),
		      "TZ=UTC0 is rules already: nothing read");
		setenv("TZ", "/nonexistent/zone", 1);
		CHECK(!log_tz_rules(rules, sizeof(rules)),
		      "a missing zone file: no rules");
		if (access("/usr/share/zoneinfo/America/New_York", R_OK) == 0) {
			setenv("TZ", "America/New_York", 1);
			CHECK(log_tz_rules(rules, sizeof(rules)) &&
				  !strcmp(rules, "EST5EDT,M3.2.0,M11.1.0"),
			      "America/New_York: its rules (%s)", rules);
			check_ts(rules, 1795933964, 0,
				 "2026-11-29T01:32:44.000000000-05:00");
			check_ts(rules, 1783000000, 0,
				 "2026-07-02T09:46:40.000000000-04:00");
			setenv("TZ", ":/usr/share/zoneinfo/Asia/Kolkata", 1);
			CHECK(log_tz_rules(rules, sizeof(rules)) &&
				  !strcmp(rules, "IST-5:30"),
			      ":/absolute/path: its rules (%s)", rules);
			CHECK(!log_tz_rules(rules, 4),
			      "rules longer than the room: none");
		}
		unsetenv("TZ");
		CHECK(log_tz_rules(rules, sizeof(rules)) ||
			  access("/etc/localtime", R_OK) != 0,
		      "TZ unset: the rules of /etc/localtime");
	}
	/* The cache follows the second: same zone, a new second. */
	setenv("TZ", "UTC0", 1);
	tzset();
	log_reset();
	ts = (struct timespec){86399, 5};
	log_timestamp(a, &ts);
	ts.tv_sec++;
	log_timestamp(b, &ts);
	CHECK_STR(a, "1970-01-01T23:59:59.000000005+00:00", "cached second");
	CHECK_STR(b, "1970-01-02T00:00:00.000000005+00:00", "next second");
}

/* Check that file holds records: each want line is "STREAM TAG CONTENT"
 * without timestamps; all records of one chunk share a timestamp. */
static bool records_are(const char *path, const char *want, bool one_ts)
{
	char got[1 << 16];
	size_t g = 0;
	const char *p = filebuf, *first = filebuf;

	if (slurp(path) < 0)
		return false;
	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!nl || nl - p < K8S_PREFIX_LEN - 1 || !is_timestamp(p) ||
		    p[K8S_TIMESTAMP_LEN] != ' ')
			return false;
		if (one_ts && memcmp(p, first, K8S_TIMESTAMP_LEN) != 0)
			return false;
		size_t n = (size_t)(nl + 1 - (p + K8S_TIMESTAMP_LEN + 1));
		if (g + n >= sizeof(got))
			return false;
		memcpy(got + g, p + K8S_TIMESTAMP_LEN + 1, n);
		g += n;
		p = nl + 1;
	}
	got[g] = '\0';
	if (strcmp(got, want) != 0) {
		printf("#   got  \"%s\"\n#   want \"%s\"\n", got, want);
		return false;
	}
	return true;
}

static void test_k8s_records(void)
{
	char buf[8192];
	struct stat st;
	ssize_t n;

	unit_name = "k8s-file records";
	reset_cfg();
	setenv("TZ", "UTC0", 1);
	open_log("records.log");
	CHECK(stat(logpath, &st) == 0 && (st.st_mode & 0777) == 0640,
	      "created with mode 0640");
	log_text(STREAM_STDOUT, "hello\n", 6);
	slurp(logpath);
	CHECK(strlen(filebuf) == K8S_PREFIX_LEN + 6 && is_timestamp(filebuf) &&
		  strcmp(filebuf + K8S_TIMESTAMP_LEN, " stdout F hello\n") ==
		      0 &&
		  strcmp(filebuf + K8S_TIMESTAMP_LEN, "") != 0 &&
		  memcmp(filebuf + 29, "+00:00", 6) == 0,
	      "one F record, 45-byte prefix: %.*s", (int)strcspn(filebuf, "\n"),
	      filebuf);
	log_reset();

	open_log("records.log");
	log_text(STREAM_STDOUT, "a\nbb\nccc", 8);
	CHECK(records_are(logpath, "stdout F a\nstdout F bb\nstdout P ccc\n",
			  true),
	      "mixed F and P, one timestamp per chunk");
	log_text(STREAM_STDERR, "\n\n\n", 3);
	CHECK(records_are(logpath,
			  "stdout F a\nstdout F bb\nstdout P ccc\n"
			  "stderr F \nstderr F \nstderr F \n",
			  false),
	      "only newlines: empty F records");
	log_text(STREAM_STDERR, "no newline", 10);
	log_text(STREAM_STDERR, " still\n", 7);
	CHECK(records_are(logpath,
			  "stdout F a\nstdout F bb\nstdout P ccc\n"
			  "stderr F \nstderr F \nstderr F \n"
			  "stderr P no newline\nstderr F  still\n",
			  false),
	      "a line over two chunks is P then F");
	log_text(STREAM_STDOUT, "x\r\x01\xff\n", 5);
	n = slurp(logpath);
	CHECK(n > 5 && memcmp(filebuf + n - 5, "x\r\x01\xff\n", 5) == 0,
	      "content is written unmodified");
	log_reset();

	/* A full 8192-byte read without a newline. */
	open_log("records.log");
	memset(buf, '#', sizeof(buf));
	log_text(STREAM_STDOUT, buf, sizeof(buf));
	n = slurp(logpath);
	CHECK(n == K8S_PREFIX_LEN + 8192 + 1 &&
		  memcmp(filebuf + K8S_TIMESTAMP_LEN, " stdout P ##", 12) ==
		      0 &&
		  filebuf[n - 1] == '\n' && filebuf[n - 2] == '#',
	      "8192 bytes without newline: one P record (%zd bytes)", n);
	log_reset();

	/* 8192 newlines: 8192 records, more than one writev batch. */
	open_log("records.log");
	memset(buf, '\n', sizeof(buf));
	log_text(STREAM_STDOUT, buf, sizeof(buf));
	n = slurp(logpath);
	CHECK(n == 8192 * (K8S_PREFIX_LEN + 1) && count_lines(filebuf) == 8192,
	      "8192 newlines: 8192 F records (%zd bytes)", n);
	bool same = true;
	for (ssize_t off = 0; off < n; off += K8S_PREFIX_LEN + 1)
		same = same && memcmp(filebuf + off, filebuf, 46) == 0;
	CHECK(same, "all with the chunk's one timestamp");
	log_reset();

	/* io.c reads up to four chunks at once: each 8192-byte slice is
	 * recorded as if it had been read alone. */
	{
		static char big[20000];
		ssize_t first = K8S_PREFIX_LEN + 8192 + 1;

		open_log("records.log");
		memset(big, '=', sizeof(big));
		big[sizeof(big) - 1] = '\n';
		log_text(STREAM_STDOUT, big, sizeof(big));
		n = slurp(logpath);
		CHECK(n == 2 * first + K8S_PREFIX_LEN + 3616 &&
			  memcmp(filebuf + K8S_TIMESTAMP_LEN, " stdout P ",
				 10) == 0 &&
			  memcmp(filebuf + first + K8S_TIMESTAMP_LEN,
				 " stdout P ", 10) == 0 &&
			  memcmp(filebuf + 2 * first + K8S_TIMESTAMP_LEN,
				 " stdout F ", 10) == 0,
		      "a 20000-byte read is P 8192, P 8192, F 3616 (%zd bytes)",
		      n);
		log_reset();
	}

	/* 100-byte lines, a chunk as io.c hands them over. */
	open_log("records.log");
	for (int i = 0; i < 81; i++) {
		memset(buf + i * 100, 'a' + i % 26, 99);
		buf[i * 100 + 99] = '\n';
	}
	log_text(STREAM_STDOUT, buf, 8100);
	n = slurp(logpath);
	CHECK(n == 81 * (K8S_PREFIX_LEN + 100) && count_lines(filebuf) == 81,
	      "81 lines of 100 bytes");
	log_reset();
}

static void test_k8s_flush(void)
{
	unit_name = "k8s-file EOF";
	reset_cfg();
	open_log("eof.log");
	log_text(STREAM_STDOUT, "done\n", 5);
	log_text(STREAM_STDOUT, "tail", 4);
	log_text(STREAM_STDERR, "err", 3);
	log_end(STREAM_STDOUT);
	log_end(STREAM_STDERR);
	CHECK(records_are(logpath,
			  "stdout F done\nstdout P tail\nstderr P err\n",
			  false),
	      "an unterminated tail ends with its P record, nothing added");
	log_reset();
}

static void test_k8s_open(void)
{
	const char *out;
	struct stat st;

	unit_name = "k8s-file open";
	reset_cfg();
	snprintf(logpath, sizeof(logpath), "%s/existing.log", tmpdir);
	spit(logpath, "old content\n");
	cfg.k8s_log_path = logpath;
	log_k8s_open();
	log_text(STREAM_STDOUT, "new\n", 4);
	slurp(logpath);
	CHECK(strncmp(filebuf, "old content\n", 12) == 0 &&
		  strstr(filebuf, " stdout F new\n"),
	      "existing content is kept, records appended");
	log_reset();

	/* The size counter starts at the existing size. */
	spit(logpath, "0123456789012345678901234567890123456789"
		      "0123456789012345678901234567890123456789\n"); /* 81 */
	cfg.log_size_max = 130;
	log_k8s_open();
	log_text(STREAM_STDOUT, "x\n", 2); /* 81 + 47 = 128 <= 130 */
	log_text(STREAM_STDOUT, "y\n", 2); /* 175 > 130: new file */
	CHECK(records_are(logpath, "stdout F y\n", false),
	      "initial size counts toward --log-size-max");
	log_reset();

	unit_capture_start();
	cfg.k8s_log_path = "/nonexistent-dir/x.log";
	int pid = fork(), status;
	if (pid == 0) {
		log_k8s_open();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	out = unit_capture_end();
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
		  strstr(out, "[conmon:e]: Failed to open log file "
			      "/nonexistent-dir/x.log No such file"),
	      "open failure is fatal: %.*s", (int)strcspn(out, "\n"), out);
	CHECK(stat("/nonexistent-dir", &st) < 0, "nothing created");
}

static void test_size_limit(void)
{
	char path[PATH_MAX];
	struct stat a, b;

	unit_name = "k8s-file --log-size-max";
	reset_cfg();
	cfg.log_size_max = 100;
	open_log("size.log");
	log_text(STREAM_STDOUT, "aaaa\n", 5); /* 50 */
	log_text(STREAM_STDOUT, "bbbb\n", 5); /* 100: fits exactly */
	CHECK(records_are(logpath, "stdout F aaaa\nstdout F bbbb\n", false),
	      "up to the limit in one file");
	stat(logpath, &a);
	log_text(STREAM_STDOUT, "cccc\n", 5); /* 150 > 100 */
	stat(logpath, &b);
	CHECK(records_are(logpath, "stdout F cccc\n", false),
	      "over the limit: the file starts anew");
	CHECK(a.st_ino != b.st_ino, "a new file was renamed onto the path");
	CHECK(access(pathf(path, ".tmp"), F_OK) < 0, "no .tmp left");
	CHECK(access(pathf(path, ".1"), F_OK) < 0,
	      "no backup in truncate mode");

	/* Records of one chunk: the file keeps only the newest. */
	log_text(STREAM_STDOUT, "1111\n2222\n3333\n4444\n5555\n", 25);
	CHECK(records_are(logpath, "stdout F 4444\nstdout F 5555\n", false),
	      "mid-chunk truncation: only the newest records stay");

	/* A record bigger than the limit still gets written, alone. */
	char big[300];
	memset(big, 'z', sizeof(big));
	big[299] = '\n';
	log_text(STREAM_STDOUT, big, sizeof(big));
	slurp(logpath);
	CHECK(strlen(filebuf) == K8S_PREFIX_LEN + 300 &&
		  strstr(filebuf, " stdout F zzz"),
	      "oversized record written into a fresh file");
	log_text(STREAM_STDOUT, "after\n", 6);
	CHECK(records_are(logpath, "stdout F after\n", false),
	      "and replaced by the next one");

	/* P records cost one byte more (the added newline). */
	cfg.log_size_max = 50 + 51;
	log_reopen();
	log_text(STREAM_STDOUT, "aaaa\n", 5); /* 50 */
	log_text(STREAM_STDOUT, "bbbb", 4);   /* 50: P costs 45 + 4 + 1 */
	log_text(STREAM_STDOUT, "c", 1);      /* 47 > 1 left */
	CHECK(records_are(logpath, "stdout P c\n", false),
	      "P record cost includes its newline");
	log_reset();

	/* The upstream test: with 10 bytes, every record replaces the last. */
	cfg.log_size_max = 10;
	open_log("size.log");
	for (int i = 1; i <= 12; i++) {
		char line[32];
		int n =
		    snprintf(line, sizeof(line), "hello from ubi10 %d\n", i);
		log_text(STREAM_STDOUT, line, (size_t)n);
	}
	CHECK(records_are(logpath, "stdout F hello from ubi10 12\n", false),
	      "--log-size-max 10 keeps only the last line");
	log_reset();
}

static void test_global_limit(void)
{
	unit_name = "k8s-file --log-global-size-max";
	reset_cfg();
	cfg.log_global_size_max = 120;
	open_log("global.log");
	log_text(STREAM_STDOUT, "aaaa\n", 5);		/* 50 */
	log_text(STREAM_STDOUT, "bbbb\ncccc\ndd", 12); /* 100, 150, drop */
	log_text(STREAM_STDOUT, "eeee\n", 5);		/* drop */
	log_end(STREAM_STDOUT);
	CHECK(records_are(logpath,
			  "stdout F aaaa\nstdout F bbbb\nstdout F cccc\n",
			  false),
	      "the crossing record is written, the rest dropped");
	log_reset();

	/* Truncation does not reset the lifetime count. */
	cfg.log_size_max = 60;
	cfg.log_global_size_max = 160;
	open_log("global.log");
	for (int i = 0; i < 6; i++)
		log_text(STREAM_STDOUT, "line\n", 5);
	CHECK(records_are(logpath, "stdout F line\n", false),
	      "truncated file holds the last written record");
	log_text(STREAM_STDERR, "more\n", 5);
	CHECK(records_are(logpath, "stdout F line\n", false),
	      "nothing more after 4 x 50 bytes");
	log_reset();

	/* The initial size counts. */
	spit(logpath, "0123456789\n");
	cfg.log_size_max = 0;
	cfg.log_global_size_max = 11;
	cfg.k8s_log_path = logpath;
	log_k8s_open();
	log_text(STREAM_STDOUT, "x\n", 2);
	slurp(logpath);
	CHECK_STR(filebuf, "0123456789\n", "initial size counts too");
	log_reset();
}

static void test_rotation(void)
{
	char path[PATH_MAX];
	const char *out;

	unit_name = "k8s-file --log-rotate";
	reset_cfg();
	snprintf(logpath, sizeof(logpath), "%s/rot1.log", tmpdir);
	cfg.log_rotate = true;
	cfg.log_max_files = 1;
	cfg.log_size_max = 60;
	open_log("rot1.log");
	log_text(STREAM_STDOUT, "one\n", 4);
	log_text(STREAM_STDOUT, "two\n", 4);
	log_text(STREAM_STDOUT, "three\n", 6);
	CHECK(records_are(logpath, "stdout F three\n", false), "current");
	CHECK(records_are(pathf(path, ".1"), "stdout F two\n", false), ".1");
	CHECK(access(pathf(path, ".2"), F_OK) < 0,
	      "exactly 1 backup with --log-max-files 1");
	CHECK(access(pathf(path, ".new"), F_OK) < 0, "no .new left");
	log_reset();

	cfg.log_max_files = 3;
	open_log("rot3.log");
	for (int i = 1; i <= 6; i++) {
		char line[16];
		snprintf(line, sizeof(line), "r%d\n", i);
		log_text(STREAM_STDOUT, line, 3);
	}
	CHECK(records_are(logpath, "stdout F r6\n", false), "current");
	CHECK(records_are(pathf(path, ".1"), "stdout F r5\n", false), ".1");
	CHECK(records_are(pathf(path, ".2"), "stdout F r4\n", false), ".2");
	CHECK(records_are(pathf(path, ".3"), "stdout F r3\n", false), ".3");
	CHECK(access(pathf(path, ".4"), F_OK) < 0,
	      "exactly 3 backups with --log-max-files 3");

	/* A reopen request rotates too. */
	log_reopen();
	log_text(STREAM_STDOUT, "after\n", 6);
	CHECK(records_are(logpath, "stdout F after\n", false),
	      "reopen: new output in a new file");
	CHECK(records_are(pathf(path, ".1"), "stdout F r6\n", false),
	      "reopen: old output in .1");
	CHECK(records_are(pathf(path, ".3"), "stdout F r4\n", false),
	      "reopen: the oldest fell off");

	/* Rotation never follows a log that was replaced. */
	rename(logpath, pathf(path, ".moved"));
	spit(logpath, "someone else's\n");
	unit_capture_start();
	log_reopen();
	out = unit_capture_end();
	slurp(logpath);
	CHECK(strstr(out, "File descriptor security validation failed") &&
		  strcmp(filebuf, "someone else's\n") == 0,
	      "replaced file is left alone: %.*s", (int)strcspn(out, "\n"),
	      out);
	/* A deleted log is recreated by a reopen request. */
	unlink(logpath);
	unit_capture_start();
	log_reopen();
	unit_capture_end();
	log_text(STREAM_STDOUT, "back\n", 5);
	CHECK(records_are(logpath, "stdout F back\n", false),
	      "deleted log recreated on reopen");
	log_reset();

	/* A symbolic link is never rotated. */
	char target[PATH_MAX + 8];
	snprintf(target, sizeof(target), "%s/target.log", tmpdir);
	unlink(target);
	snprintf(logpath, sizeof(logpath), "%s/link.log", tmpdir);
	unlink(logpath);
	spit(target, "");
	symlink(target, logpath);
	cfg.k8s_log_path = logpath;
	log_k8s_open();
	log_text(STREAM_STDOUT, "one\n", 4);
	unit_capture_start();
	log_text(STREAM_STDOUT, "two\n", 4);
	out = unit_capture_end();
	CHECK(strstr(out, "[conmon:w]: Cannot rotate: invalid log path: Log "
			  "path is a symbolic link"),
	      "symlink refused: %.*s", (int)strcspn(out, "\n"), out);
	CHECK(records_are(target, "stdout F one\nstdout F two\n", false),
	      "logging goes on in the current file");
	log_reset();
}

static void call_open_outside(void)
{
	log_k8s_open();
	_exit(0);
}

/* Found by tests/hardening.bats: the log's directory is swapped for a
 * symlink to outside the allowlist while the log is open; a reopen (in
 * truncate mode, or rotation's fallback for a missing file) must not
 * create the new file there. */
static void test_allowlist_swap(const char *allowed, const char *other,
				bool rotate)
{
	char sub[600], moved[600], outside[PATH_MAX];
	const char *out;

	snprintf(sub, sizeof(sub), "%s/sub", allowed);
	snprintf(moved, sizeof(moved), "%s/moved", tmpdir);
	mkdir(sub, 0755);
	snprintf(logpath, sizeof(logpath), "%s/swap.log", sub);
	cfg.log_rotate = rotate;
	log_k8s_open();
	log_text(STREAM_STDOUT, "in\n", 3);
	rename(sub, moved);
	symlink(other, sub);
	unit_capture_start();
	log_reopen();
	out = unit_capture_end();
	log_text(STREAM_STDOUT, "still\n", 6);
	snprintf(outside, sizeof(outside), "%s/swap.log", other);
	CHECK(access(outside, F_OK) < 0,
	      "%s: no log created outside through a swapped directory",
	      rotate ? "--log-rotate" : "truncate mode");
	snprintf(outside, sizeof(outside), "%s/swap.log.tmp", other);
	CHECK(access(outside, F_OK) < 0 &&
		  strstr(out, "Parent directory not in allowlist"),
	      "... nor its temporary file, and a warning says why: %.*s",
	      (int)strcspn(out, "\n"), out);
	snprintf(outside, sizeof(outside), "%s/swap.log", moved);
	CHECK(records_are(outside, "stdout F in\nstdout F still\n", false),
	      "... logging goes on in the open file");
	log_reset();
	unlink(sub);
	unlink(outside);
	rmdir(moved);
	cfg.log_rotate = false;
}

static void test_allowlist(void)
{
	char allowed[512], other[512], backup[PATH_MAX];
	const char *dirs[2], *out;
	int st;

	unit_name = "k8s-file --log-allowlist-dir";
	reset_cfg();
	snprintf(allowed, sizeof(allowed), "%s/allowed", tmpdir);
	snprintf(other, sizeof(other), "%s/other", tmpdir);
	mkdir(allowed, 0755);
	mkdir(other, 0755);
	dirs[0] = "";
	dirs[1] = allowed;
	cfg.log_allowlist_dirs.v = dirs;
	cfg.log_allowlist_dirs.n = 2;

	snprintf(logpath, sizeof(logpath), "%s/../allowed/ok.log", other);
	cfg.k8s_log_path = logpath;
	unit_capture_start();
	log_k8s_open();
	out = unit_capture_end();
	CHECK(access(logpath, F_OK) == 0 && !*out,
	      "a path inside the allowlist is accepted");
	log_reset();

	snprintf(logpath, sizeof(logpath), "%s/bad.log", other);
	st = run_child(call_open_outside, &out);
	CHECK(st == 1 && strstr(out, "Parent directory not in allowlist"),
	      "a path outside is refused: %.*s", (int)strcspn(out, "\n"), out);
	CHECK(access(logpath, F_OK) < 0, "and not created");

	/* Rotation inside the allowlist works. */
	snprintf(logpath, sizeof(logpath), "%s/rot.log", allowed);
	cfg.log_rotate = true;
	cfg.log_size_max = 50;
	log_k8s_open();
	log_text(STREAM_STDOUT, "aa\n", 3);
	log_text(STREAM_STDOUT, "bb\n", 3);
	CHECK(records_are(logpath, "stdout F bb\n", false) &&
		  records_are(pathf(backup, ".1"), "stdout F aa\n", false),
	      "rotation inside the allowlist");
	log_reset();
	cfg.log_size_max = 0;

	/* A symlink inside the allowlist that leads out is refused. */
	snprintf(backup, sizeof(backup), "%s/link", allowed);
	symlink(other, backup);
	snprintf(logpath, sizeof(logpath), "%s/link/via-link.log", allowed);
	st = run_child(call_open_outside, &out);
	CHECK(st == 1 && strstr(out, "Parent directory not in allowlist"),
	      "a path through a symlink that leads out is refused: %.*s",
	      (int)strcspn(out, "\n"), out);
	unlink(backup);
	test_allowlist_swap(allowed, other, false);
	test_allowlist_swap(allowed, other, true);
}

static void test_reopen(void)
{
	char path[PATH_MAX];

	unit_name = "k8s-file reopen";
	reset_cfg();
	open_log("reopen.log");
	log_text(STREAM_STDOUT, "before\n", 7);
	/* kubelet's rotation: rename, then ask for a reopen. */
	rename(logpath, pathf(path, ".20261129"));
	log_text(STREAM_STDOUT, "renamed\n", 8);
	log_reopen();
	log_text(STREAM_STDOUT, "after\n", 6);
	CHECK(records_are(path, "stdout F before\nstdout F renamed\n", false),
	      "the moved file is left alone");
	CHECK(records_are(logpath, "stdout F after\n", false),
	      "new output in a new file at the path");

	unlink(logpath);
	log_text(STREAM_STDOUT, "lost\n", 5);
	log_reopen();
	log_text(STREAM_STDOUT, "found\n", 6);
	CHECK(records_are(logpath, "stdout F found\n", false),
	      "reopen after the file was deleted recreates it");

	log_reopen();
	slurp(logpath);
	CHECK(filebuf[0] == '\0', "reopen truncates");
	cfg.k8s_log_path = NULL;
	log_reset();
	log_reopen(); /* without k8s-file: nothing to do */
	CHECK(1, "reopen without k8s-file is a no-op");

	unit_capture_start();
	open_log("reopen.log");
	log_sync();
	cfg.no_sync_log = true;
	log_sync();
	CHECK(!*unit_capture_end(), "log_sync is quiet on success");
	log_reset();
}

/* ENOSPC-like failures: RLIMIT_FSIZE makes writes past a size fail with
 * EFBIG after a short write, which is what a full disk does too. */
static void test_write_errors(void)
{
	struct rlimit old, lim;
	const char *out;
	ssize_t n;

	unit_name = "k8s-file write errors";
	reset_cfg();
	open_log("full.log");
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 120; /* room for 2 records of 50 and part of one */
	setrlimit(RLIMIT_FSIZE, &lim);
	unit_capture_start();
	log_text(STREAM_STDOUT, "aaaa\nbbbb\ncccc\ndddd\n", 20);
	for (int i = 0; i < 100; i++)
		log_text(STREAM_STDOUT, "xxxx\n", 5);
	out = unit_capture_end();
	CHECK(strstr(out, "[conmon:w]: failed to flush buffer to log File "
			  "too large") &&
		  count_lines(out) == 1,
	      "one rate-limited warning: %.*s", (int)strcspn(out, "\n"), out);
	CHECK(records_are(logpath, "stdout F aaaa\nstdout F bbbb\n", false),
	      "whole records only: the torn one was cut off");
	setrlimit(RLIMIT_FSIZE, &old);
	log_text(STREAM_STDOUT, "eeee\n", 5);
	CHECK(records_are(logpath,
			  "stdout F aaaa\nstdout F bbbb\nstdout F eeee\n",
			  false),
	      "logging resumes when space returns");
	signal(SIGXFSZ, SIG_DFL);
	log_reset();

	/* A size-limited log keeps counting right after a failure. */
	cfg.log_size_max = 150;
	open_log("full.log");
	lim.rlim_cur = 60;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	unit_capture_start();
	log_text(STREAM_STDOUT, "aaaa\nbbbb\n", 10);
	unit_capture_end();
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	log_text(STREAM_STDOUT, "cccc\ndddd\n", 10);
	n = slurp(logpath);
	CHECK(n == 150 && records_are(logpath,
				      "stdout F aaaa\nstdout F cccc\n"
				      "stdout F dddd\n",
				      false),
	      "unwritten bytes do not count toward the limit");
	log_reset();
}

/* ------------------------------------------------------------------ */
/* journald encoding */

struct field {
	char name[80];
	const char *val;
	size_t len;
};

/* Parse one native-protocol (or journalctl -o export) entry at p, up to
 * end or a blank line; returns the field count, *next after the entry. */
static int parse_entry(const char *p, const char *end, struct field *f, int max,
		       const char **next)
{
	int n = 0;

	while (p < end && *p != '\n' && n < max) {
		const char *q = p;

		while (q < end && *q != '=' && *q != '\n')
			q++;
		if (q >= end || (size_t)(q - p) >= sizeof(f[n].name))
			break;
		memcpy(f[n].name, p, (size_t)(q - p));
		f[n].name[q - p] = '\0';
		if (*q == '=') {
			const char *e =
			    memchr(q + 1, '\n', (size_t)(end - q - 1));
			if (!e)
				break;
			f[n].val = q + 1;
			f[n].len = (size_t)(e - q - 1);
			p = e + 1;
		} else {
			uint64_t len = 0;
			if (end - q < 9)
				break;
			for (int i = 7; i >= 0; i--)
				len = len << 8 | (unsigned char)q[1 + i];
			if ((uint64_t)(end - q - 9) < len + 1)
				break;
			f[n].val = q + 9;
			f[n].len = len;
			p = q + 9 + len + 1;
		}
		n++;
	}
	if (p < end && *p == '\n')
		p++;
	if (next)
		*next = p;
	return n;
}

static const struct field *get(const struct field *f, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

static bool has(const struct field *f, int n, const char *name, const char *val)
{
	const struct field *x = get(f, n, name);

	return x && x->len == strlen(val) && memcmp(x->val, val, x->len) == 0;
}

static size_t flatten(const struct iovec *iov, size_t n, char *out)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

static bool encoded_is(const struct journal_entry *e, const char *want,
		       size_t wlen)
{
	static struct iovec iov[1024];
	static uint64_t lens[512];
	static char out[65536];
	size_t n = journal_encode(e, iov, 1024, lens, 512), len;

	if (!n)
		return false;
	len = flatten(iov, n, out);
	if (len != wlen || memcmp(out, want, len) != 0) {
		printf("#   got  ");
		for (size_t i = 0; i < len; i++)
			printf(out[i] >= 32 && out[i] < 127 ? "%c" : "\\x%02x",
			       (unsigned char)out[i]);
		printf("\n");
		return false;
	}
	return true;
}

#define ENCODED_IS(e, lit) encoded_is(e, lit, sizeof(lit) - 1)

static void test_prio_prefix(void)
{
	unit_name = "journald <N> prefix";
	for (int i = 0; i <= 7; i++) {
		char s[8] = {'<', (char)('0' + i), '>', 'x', '\n', 0};
		CHECK(journal_prio_prefix(s, 5) == i, "<%d>", i);
	}
	CHECK(journal_prio_prefix("<0>", 3) == 0, "<0> alone (3 bytes)");
	CHECK(journal_prio_prefix("<0>Multi<1>", 11) == 0,
	      "only the first prefix");
	static const char *const bad[] = {"<8>x", "<9>x",  "<>x",  "<a>x",
					  "< 0>", "<<0>>", "<0 x", "x<3>",
					  " <3>", "<-1>",  "(3)x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(journal_prio_prefix(bad[i], strlen(bad[i])) == -1,
		      "\"%s\" is not a prefix", bad[i]);
	CHECK(journal_prio_prefix("<0", 2) == -1, "2-byte \"<0\"");
	CHECK(journal_prio_prefix("<0>", 2) == -1, "prefix cut at 2 bytes");
}

static void test_encode(void)
{
	static struct iovec iov[32];
	static uint64_t lens[4];
	struct journal_entry e = {0};
	const char *labels[3];

	unit_name = "journald encoder";
	reset_cfg();
	cfg.cid = "0123456789abcdef0123456789abcdef";
	e.seg = "hello\n";
	e.seg_len = 6;
	e.priority = 6;
	CHECK(ENCODED_IS(&e,
			 "MESSAGE\n\x06\0\0\0\0\0\0\0hello\n\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=6\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "SYSLOG_IDENTIFIER=0123456789ab\n"),
	      "complete line: binary MESSAGE, fields in order");

	e.pending = "par";
	e.pending_len = 3;
	e.seg = "tial";
	e.seg_len = 4;
	e.priority = 3;
	e.partial = true;
	CHECK(ENCODED_IS(&e,
			 "MESSAGE=partial\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=3\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "SYSLOG_IDENTIFIER=0123456789ab\n"
			 "CONTAINER_PARTIAL_MESSAGE=true\n"),
	      "partial: pending + segment, text MESSAGE, partial flag");
	cfg.no_container_partial_message = true;
	CHECK(ENCODED_IS(&e,
			 "MESSAGE=partial\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=3\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "SYSLOG_IDENTIFIER=0123456789ab\n"),
	      "--no-container-partial-message");
	cfg.no_container_partial_message = false;

	e.partial_id = "00112233445566778899aabbccddeeff";
	e.ordinal = "7";
	CHECK(ENCODED_IS(&e,
			 "MESSAGE=partial\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=3\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "SYSLOG_IDENTIFIER=0123456789ab\n"
			 "CONTAINER_PARTIAL_MESSAGE=true\n"
			 "CONTAINER_PARTIAL_ID="
			 "00112233445566778899aabbccddeeff\n"
			 "CONTAINER_PARTIAL_ORDINAL=7\n"),
	      "a piece of a split line");
	e.partial = false;
	e.last = true;
	e.pending_len = 0;
	e.seg = "end\n";
	e.seg_len = 4;
	CHECK(ENCODED_IS(&e,
			 "MESSAGE\n\x04\0\0\0\0\0\0\0end\n\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=3\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "SYSLOG_IDENTIFIER=0123456789ab\n"
			 "CONTAINER_PARTIAL_ID="
			 "00112233445566778899aabbccddeeff\n"
			 "CONTAINER_PARTIAL_ORDINAL=7\n"
			 "CONTAINER_PARTIAL_LAST=true\n"),
	      "the last piece: not partial, carries ID/ORDINAL/LAST");

	memset(&e, 0, sizeof(e));
	e.seg = "m";
	e.seg_len = 1;
	e.priority = 0;
	cfg.log_tag = "mytag";
	cfg.name = "myname";
	labels[0] = "A=1";
	labels[1] = "B_2=x\ny";
	labels[2] = "EMPTY=";
	cfg.log_labels.v = labels;
	cfg.log_labels.n = 3;
	CHECK(ENCODED_IS(&e,
			 "MESSAGE=m\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=0\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "CONTAINER_TAG=mytag\n"
			 "CONTAINER_NAME=myname\n"
			 "SYSLOG_IDENTIFIER=mytag\n"
			 "A=1\n"
			 "B_2\n\x03\0\0\0\0\0\0\0x\ny\n"
			 "EMPTY=\n"),
	      "tag, name, labels (binary form for a newline)");
	cfg.log_tag = NULL;
	cfg.log_labels.n = 0;
	CHECK(ENCODED_IS(&e,
			 "MESSAGE=m\n"
			 "CONTAINER_ID_FULL=0123456789abcdef0123456789abcdef\n"
			 "PRIORITY=0\n"
			 "CONTAINER_ID=0123456789ab\n"
			 "CONTAINER_NAME=myname\n"
			 "SYSLOG_IDENTIFIER=myname\n"),
	      "name is the identifier without a tag");
	cfg.name = NULL;

	/* Little-endian 64-bit length. */
	static char big[0x10203];
	memset(big, 'q', sizeof(big));
	big[0] = '\n';
	e.seg = big;
	e.seg_len = sizeof(big);
	size_t n = journal_encode(&e, iov, 32, lens, 4);
	CHECK(n > 3 && iov[2].iov_len == 8 &&
		  memcmp(iov[2].iov_base, "\x03\x02\x01\0\0\0\0\0", 8) == 0,
	      "length 0x10203 as 03 02 01 00 00 00 00 00");
	CHECK(journal_encode(&e, iov, 5, lens, 4) == 0,
	      "too few iovecs: 0, not a cut entry");
	CHECK(journal_encode(&e, iov, 32, lens, 0) == 0,
	      "no room for a length: 0");
}

/* ------------------------------------------------------------------ */
/* journald sending, to a socket of our own */

static int jsock = -1;
static char jpath[300];
static char dgram[1 << 17];

static void jsock_open(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int big = 4 << 20;

	snprintf(jpath, sizeof(jpath), "%s/journal.sock", tmpdir);
	unlink(jpath);
	memcpy(a.sun_path, jpath, strlen(jpath) + 1); /* tmpdir is short */
	jsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bind(jsock, (struct sockaddr *)&a, sizeof(a));
	setsockopt(jsock, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	journal_socket_path = jpath;
}

/* The next datagram's fields; -1 if none.  A memfd is read instead of
 * the empty payload, and *seals tells its seals. */
static int jrecv(struct field *f, int max, int *seals)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {dgram, sizeof(dgram)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	ssize_t n = recvmsg(jsock, &mh, MSG_DONTWAIT);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (n < 0)
		return -1;
	if (seals)
		*seals = -1;
	if (c && c->cmsg_type == SCM_RIGHTS) {
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		if (seals)
			*seals = fcntl(fd, F_GET_SEALS);
		n = n == 0 ? pread(fd, dgram, sizeof(dgram), 0) : -1;
		close(fd);
		if (n < 0)
			return -1;
	}
	return parse_entry(dgram, dgram + n, f, max, NULL);
}

static int jdrain(void)
{
	struct field f[32];
	int n = 0;

	while (jrecv(f, 32, NULL) >= 0)
		n++;
	return n;
}

static void test_journald_socket(void)
{
	struct field f[32];
	const struct field *m;
	int n, seals;
	static char line[20000];

	unit_name = "journald send";
	reset_cfg();
	cfg.cid = "feedfacefeedfacefeedface";
	cfg.log_journald = true;
	jsock_open();

	log_text(STREAM_STDOUT, "hello\n", 6);
	n = jrecv(f, 32, NULL);
	CHECK(n == 5 && has(f, n, "MESSAGE", "hello\n") &&
		  has(f, n, "PRIORITY", "6") &&
		  has(f, n, "CONTAINER_ID_FULL", cfg.cid) &&
		  strcmp(f[0].name, "MESSAGE") == 0,
	      "stdout line: one datagram, priority 6");
	log_text(STREAM_STDERR, "a\nb\n", 4);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "a\n") && has(f, n, "PRIORITY", "3"),
	      "stderr: priority 3");
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "b\n"), "one entry per line");

	log_text(STREAM_STDOUT, "<3>error\n<0>\n<7>x", 17);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "error\n") && has(f, n, "PRIORITY", "3"),
	      "<3>error");
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "\n") && has(f, n, "PRIORITY", "0"),
	      "<0> with an empty line");
	CHECK(jrecv(f, 32, NULL) < 0, "unfinished line waits");
	log_text(STREAM_STDOUT, "y\n", 2);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "<7>xy\n") && has(f, n, "PRIORITY", "6") &&
		  !get(f, n, "CONTAINER_PARTIAL_MESSAGE"),
	      "a line over two reads is one entry; prefix kept (pending)");
	log_text(STREAM_STDOUT, "x<3>y\n<8>z\n", 11);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "x<3>y\n") && has(f, n, "PRIORITY", "6"),
	      "prefix inside a line is text");
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "<8>z\n") && has(f, n, "PRIORITY", "6"),
	      "<8> is text");

	/* Stream buffers are separate. */
	log_text(STREAM_STDOUT, "out", 3);
	log_text(STREAM_STDERR, "err", 3);
	log_text(STREAM_STDOUT, "\n", 1);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "out\n") && has(f, n, "PRIORITY", "6"),
	      "stdout pending separate from stderr");
	log_end(STREAM_STDERR);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "err") && has(f, n, "PRIORITY", "3") &&
		  has(f, n, "CONTAINER_PARTIAL_MESSAGE", "true") &&
		  !get(f, n, "CONTAINER_PARTIAL_ID"),
	      "flush: pending tail as one partial entry");
	log_end(STREAM_STDERR);
	CHECK(jrecv(f, 32, NULL) < 0, "flush twice: nothing more");
	log_text(STREAM_STDOUT, "<3>tail", 7);
	log_end(STREAM_STDOUT);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "<3>tail") && has(f, n, "PRIORITY", "6"),
	      "flushed text keeps the default priority");

	/* The pending buffer holds 8191 bytes: the byte that does not fit
	 * sends pending + segment as a partial entry. */
	memset(line, 'L', sizeof(line));
	log_text(STREAM_STDOUT, line, 8191);
	CHECK(jrecv(f, 32, NULL) < 0, "8191 bytes wait in pending");
	log_text(STREAM_STDOUT, line, 1);
	n = jrecv(f, 32, NULL);
	m = get(f, n, "MESSAGE");
	CHECK(m && m->len == 8192 &&
		  has(f, n, "CONTAINER_PARTIAL_MESSAGE", "true") &&
		  has(f, n, "CONTAINER_PARTIAL_ORDINAL", "1"),
	      "8192nd byte: partial entry of 8192 bytes");
	char id[64] = "";
	const struct field *pid = get(f, n, "CONTAINER_PARTIAL_ID");
	if (pid && pid->len < sizeof(id))
		memcpy(id, pid->val, pid->len);
	CHECK(strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32,
	      "partial id: 32 hex digits (%s)", id);
	log_text(STREAM_STDOUT, line, 8192);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "CONTAINER_PARTIAL_ID", id) &&
		  has(f, n, "CONTAINER_PARTIAL_ORDINAL", "2") &&
		  !get(f, n, "CONTAINER_PARTIAL_LAST"),
	      "second piece: same id, ordinal 2");
	log_text(STREAM_STDOUT, "<3>end\n", 7);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "<3>end\n") &&
		  has(f, n, "CONTAINER_PARTIAL_ID", id) &&
		  has(f, n, "CONTAINER_PARTIAL_ORDINAL", "3") &&
		  has(f, n, "CONTAINER_PARTIAL_LAST", "true") &&
		  !get(f, n, "CONTAINER_PARTIAL_MESSAGE") &&
		  has(f, n, "PRIORITY", "6"),
	      "last piece: completes the line, LAST=true, not partial");
	log_text(STREAM_STDOUT, "<4>next\n", 8);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "next\n") && has(f, n, "PRIORITY", "4") &&
		  !get(f, n, "CONTAINER_PARTIAL_ID"),
	      "the next line is whole again");

	/* A split line keeps the priority of its first piece. */
	line[0] = '<';
	line[1] = '2';
	line[2] = '>';
	log_text(STREAM_STDERR, line, 8192);
	n = jrecv(f, 32, NULL);
	m = get(f, n, "MESSAGE");
	CHECK(m && m->len == 8189 && has(f, n, "PRIORITY", "2"),
	      "prefix of a split line");
	id[0] = '\0';
	pid = get(f, n, "CONTAINER_PARTIAL_ID");
	if (pid && pid->len < sizeof(id)) {
		memcpy(id, pid->val, pid->len);
		id[pid->len] = '\0';
	}
	log_text(STREAM_STDERR, line, 8192);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "PRIORITY", "2") &&
		  has(f, n, "CONTAINER_PARTIAL_ID", id),
	      "continuation keeps it");
	/* EOF in the middle of a split line: an empty last piece. */
	log_end(STREAM_STDERR);
	n = jrecv(f, 32, NULL);
	CHECK(has(f, n, "MESSAGE", "") &&
		  has(f, n, "CONTAINER_PARTIAL_LAST", "true") &&
		  has(f, n, "CONTAINER_PARTIAL_ORDINAL", "3") &&
		  has(f, n, "CONTAINER_PARTIAL_MESSAGE", "true"),
	      "EOF closes a split line with an empty LAST piece");
	log_text(STREAM_STDERR, line + 3, 9000);
	n = jrecv(f, 32, NULL);
	pid = get(f, n, "CONTAINER_PARTIAL_ID");
	CHECK(pid && !has(f, n, "CONTAINER_PARTIAL_ID", id) &&
		  has(f, n, "CONTAINER_PARTIAL_ORDINAL", "1"),
	      "a new split line gets a new id");
	log_text(STREAM_STDERR, "\n", 1);
	jdrain();

	/* Binary bytes and an embedded NUL survive. */
	log_text(STREAM_STDOUT, "b\x01\xff\0z\n", 6);
	n = jrecv(f, 32, NULL);
	m = get(f, n, "MESSAGE");
	CHECK(m && m->len == 6 && memcmp(m->val, "b\x01\xff\0z\n", 6) == 0,
	      "binary bytes in MESSAGE");

	/* The memfd path, sealed. */
	journal_force_memfd = true;
	log_text(STREAM_STDOUT, "via memfd\n", 10);
	n = jrecv(f, 32, &seals);
	CHECK(has(f, n, "MESSAGE", "via memfd\n") &&
		  has(f, n, "CONTAINER_ID", "feedfacefeed"),
	      "memfd: the entry arrives");
	CHECK(seals ==
		  (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL),
	      "memfd: sealed shrink, grow, write, seal (%d)", seals);
	journal_force_memfd = false;

	/* A full receive queue: the entry waits, nothing is dropped, and
	 * the driver resumes (through io.c's hook) once there is room. */
	int sent = 0, qlen = 512;
	FILE *q = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
	if (q) {
		if (fscanf(q, "%d", &qlen) != 1)
			qlen = 512;
		fclose(q);
	}
	unit_capture_start();
	for (int i = 0; i < qlen + 50 && log_offer(STREAM_STDOUT, "flood\n", 6);
	     i++)
		sent++;
	const char *out = unit_capture_end();
	CHECK(sent < qlen + 50, "flood: journald's queue fills after %d entries",
	      sent);
	CHECK(!*out, "flood: a full queue is no error");
	CHECK(loop_run_once(0) == 0, "while it is full, nothing wakes us");
	CHECK(!log_offer_again(STREAM_STDOUT, "flood\n", 6),
	      "offered again, the entry still waits");
	int got = jdrain();
	CHECK(loop_run_once(1000) == 1,
	      "once journald reads, the socket's EPOLLOUT wakes us");
	CHECK(log_offer_again(STREAM_STDOUT, "flood\n", 6),
	      "and the waiting entry goes");
	got += jdrain();
	CHECK(got == sent + 1, "flood: all %d entries delivered (%d)", sent + 1,
	      got);

	/* No journald: entries are dropped, with one warning. */
	close(jsock);
	unit_capture_start();
	log_text(STREAM_STDOUT, "nobody listens\n", 15); /* ECONNREFUSED */
	unlink(jpath);
	log_text(STREAM_STDOUT, "nobody there\n", 13); /* ENOENT */
	log_text(STREAM_STDOUT, "again\n", 6);
	out = unit_capture_end();
	CHECK(unit_count_of(out, "journald is not running") == 1 &&
		  unit_count_of(out, "[conmon:w]") == 1,
	      "no journald: entries dropped, one warning");
	log_reset();
}

/* ------------------------------------------------------------------ */
/* A real journald, inside tests/journald-env */

static char exportbuf[8 << 20];

/* journalctl -o export of our cid's entries, once there are want. */
static int journal_read(struct field (*f)[48], int *nf, int max, int want)
{
	char cmd[512];
	int count = 0;

	for (int tries = 0; tries < 100 && count < want; tries++) {
		FILE *p;
		size_t len = 0, r;
		const char *q, *end;

		if (tries)
			usleep(50000);
		snprintf(cmd, sizeof(cmd),
			 "journalctl --directory=\"$JOURNAL_DIR\" -o export "
			 "CONTAINER_ID_FULL=%s",
			 cfg.cid);
		p = popen(cmd, "r");
		if (!p)
			return -1;
		while ((r = fread(exportbuf + len, 1, sizeof(exportbuf) - len,
				  p)) > 0)
			len += r;
		pclose(p);
		q = exportbuf;
		end = exportbuf + len;
		count = 0;
		while (q < end && count < max) {
			nf[count] = parse_entry(q, end, f[count], 48, &q);
			if (nf[count] == 0)
				break;
			count++;
		}
	}
	return count;
}

static struct field jfields[400][48];
static int jcount[400];
static char mib[1 << 20];

static void journald_inner(void)
{
	char cid[65];
	int n, e = 0;
	const char *labels[2] = {"LABEL_A=alpha", "LABEL_NL=x\ny"};

	unit_name = "real journald";
	reset_cfg();
	snprintf(cid, sizeof(cid), "%08x%08lx0123456789abcdef0123456789abcdef",
		 (unsigned)getpid(), (unsigned long)time(NULL) & 0xffffffff);
	cfg.cid = cid;
	cfg.name = "ctr-name";
	cfg.log_journald = true;
	cfg.log_labels.v = labels;
	cfg.log_labels.n = 2;

	log_text(STREAM_STDOUT, "hello\n", 6); /* 0 */
	log_text(STREAM_STDERR, "oops\n", 5);	/* 1 */
	for (int i = 0; i <= 7; i++) {		/* 2..9 */
		char s[8] = {'<', (char)('0' + i), '>',
			     'p', (char)('0' + i), '\n'};
		log_text(STREAM_STDOUT, s, 6);
	}
	log_text(STREAM_STDOUT, "<8>x\n<a>y\n< 0>z\n", 16);	 /* 10..12 */
	log_text(STREAM_STDOUT, "bin\x01\x02\xff\0tail\n", 12); /* 13 */
	journal_force_memfd = true;
	log_text(STREAM_STDOUT, "via memfd\n", 10); /* 14 */
	journal_force_memfd = false;
	cfg.log_tag = "the-tag";
	log_text(STREAM_STDOUT, "tagged\n", 7); /* 15 */
	cfg.log_tag = NULL;
	log_text(STREAM_STDOUT, "unfinished", 10);
	log_end(STREAM_STDOUT); /* 16 */

	/* A 1 MiB line without a newline in 8192-byte reads, then one. */
	for (size_t i = 0; i < sizeof(mib); i++)
		mib[i] = (char)('a' + i * 7 % 26);
	for (size_t off = 0; off < sizeof(mib); off += 8192)
		log_text(STREAM_STDOUT, mib + off, 8192); /* 17..144 */
	log_text(STREAM_STDOUT, "\n", 1);		   /* 145 */

	n = journal_read(jfields, jcount, 400, 146);
	CHECK(n == 146, "146 entries read back with journalctl (%d)", n);
	if (n < 146)
		return;
	struct field *f = jfields[e];
	int k = jcount[e];
	CHECK(has(f, k, "MESSAGE", "hello\n") && has(f, k, "PRIORITY", "6") &&
		  has(f, k, "CONTAINER_ID_FULL", cid) &&
		  has(f, k, "CONTAINER_NAME", "ctr-name") &&
		  has(f, k, "SYSLOG_IDENTIFIER", "ctr-name") &&
		  has(f, k, "LABEL_A", "alpha") &&
		  has(f, k, "LABEL_NL", "x\ny") &&
		  !get(f, k, "CONTAINER_TAG") &&
		  !get(f, k, "CONTAINER_PARTIAL_MESSAGE"),
	      "stdout entry: every field, labels, newline in a label");
	char id12[13];
	memcpy(id12, cid, 12);
	id12[12] = '\0';
	CHECK(has(f, k, "CONTAINER_ID", id12), "CONTAINER_ID is 12 chars");
	char pidtext[16];
	snprintf(pidtext, sizeof(pidtext), "%d", (int)getpid());
	CHECK(has(f, k, "_PID", pidtext) && has(f, k, "_TRANSPORT", "journal"),
	      "journald saw our pid over the native transport");
	f = jfields[++e], k = jcount[e];
	CHECK(has(f, k, "MESSAGE", "oops\n") && has(f, k, "PRIORITY", "3"),
	      "stderr entry: priority 3");
	for (int i = 0; i <= 7; i++) {
		char msg[4] = {'p', (char)('0' + i), '\n', 0};
		char prio[2] = {(char)('0' + i), 0};
		f = jfields[++e], k = jcount[e];
		CHECK(has(f, k, "MESSAGE", msg) && has(f, k, "PRIORITY", prio),
		      "<%d> prefix: PRIORITY=%d, prefix removed", i, i);
	}
	static const char *const bad[] = {"<8>x\n", "<a>y\n", "< 0>z\n"};
	for (int i = 0; i < 3; i++) {
		f = jfields[++e], k = jcount[e];
		CHECK(has(f, k, "MESSAGE", bad[i]) &&
			  has(f, k, "PRIORITY", "6"),
		      "invalid prefix kept as text: %.4s", bad[i]);
	}
	f = jfields[++e], k = jcount[e];
	const struct field *m = get(f, k, "MESSAGE");
	CHECK(m && m->len == 12 &&
		  memcmp(m->val, "bin\x01\x02\xff\0tail\n", 12) == 0,
	      "binary bytes and NUL inside MESSAGE");
	f = jfields[++e], k = jcount[e];
	CHECK(has(f, k, "MESSAGE", "via memfd\n"),
	      "an entry passed in a sealed memfd");
	f = jfields[++e], k = jcount[e];
	CHECK(has(f, k, "MESSAGE", "tagged\n") &&
		  has(f, k, "CONTAINER_TAG", "the-tag") &&
		  has(f, k, "SYSLOG_IDENTIFIER", "the-tag"),
	      "--log-tag: CONTAINER_TAG and SYSLOG_IDENTIFIER");
	f = jfields[++e], k = jcount[e];
	CHECK(has(f, k, "MESSAGE", "unfinished") &&
		  has(f, k, "CONTAINER_PARTIAL_MESSAGE", "true"),
	      "flushed tail: partial entry");

	/* The 1 MiB line. */
	bool ok = true, ords = true;
	size_t joined = 0;
	const struct field *id0 =
	    get(jfields[e + 1], jcount[e + 1], "CONTAINER_PARTIAL_ID");
	for (int i = 1; i <= 129; i++) {
		f = jfields[e + i], k = jcount[e + i];
		m = get(f, k, "MESSAGE");
		const struct field *id = get(f, k, "CONTAINER_PARTIAL_ID");
		char ord[12];
		snprintf(ord, sizeof(ord), "%d", i);
		ords = ords && has(f, k, "CONTAINER_PARTIAL_ORDINAL", ord);
		ok = ok && m && id && id0 && id->len == id0->len &&
		     memcmp(id->val, id0->val, id->len) == 0;
		if (!m)
			continue;
		if (i < 129)
			ok = ok && m->len == 8192 &&
			     has(f, k, "CONTAINER_PARTIAL_MESSAGE", "true") &&
			     !get(f, k, "CONTAINER_PARTIAL_LAST") &&
			     joined + m->len <= sizeof(mib) &&
			     memcmp(mib + joined, m->val, m->len) == 0;
		else
			ok = ok && has(f, k, "MESSAGE", "\n") &&
			     has(f, k, "CONTAINER_PARTIAL_LAST", "true") &&
			     !get(f, k, "CONTAINER_PARTIAL_MESSAGE");
		joined += m->len;
	}
	CHECK(ok && joined == sizeof(mib) + 1,
	      "1 MiB line: 128 partial pieces + the newline, one id, "
	      "rejoined exactly");
	CHECK(ords, "ordinals 1..129");
}

static void test_real_journald(const char *self)
{
	char cmd[PATH_MAX + 64], line[1024];
	FILE *p;
	int status;

	unit_name = "real journald";
	if (access("tests/journald-env", X_OK) < 0) {
		printf("ok %d - real journald # SKIP tests/journald-env not "
		       "found (run from the repository root)\n",
		       ++unit_count);
		return;
	}
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "tests/journald-env %s --journald 2>&1",
		 self);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char *text = strstr(line, " - ");

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "ok ", 3) == 0 && text)
			CHECK(1, "%s", text + 3);
		else if (strncmp(line, "not ok ", 7) == 0 && text)
			CHECK(0, "%s", text + 3);
		else if (line[0] && strncmp(line, "1..", 3) != 0)
			printf("# %s\n", line);
	}
	status = p ? pclose(p) : -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		printf("ok %d - real journald # SKIP this host cannot run "
		       "journald (see the message above)\n",
		       ++unit_count);
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "journald-env run exited 0");
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	umask(022);
	loop_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_log.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--journald") == 0) {
		journald_inner();
	} else {
		test_levels();
		test_diag();
		test_flood();
		test_fatal();
		test_syslog();
		test_record_len();
		test_timestamp();
		setenv("TZ", "UTC0", 1);
		tzset();
		test_k8s_records();
		test_k8s_flush();
		test_k8s_open();
		test_size_limit();
		test_global_limit();
		test_rotation();
		test_allowlist();
		test_reopen();
		test_write_errors();
		test_prio_prefix();
		test_encode();
		test_journald_socket();
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			test_real_journald(self);
		}
	}
	log_reset();
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)!system(cmd);
	return unit_done();
}
