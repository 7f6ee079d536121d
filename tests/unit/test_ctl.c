/* test_ctl.c - sock.c: the ctl/winsz parsers, the FIFO line splitter and
 * the sd-notify filter as pure functions (docs/ctl.md §2-§4, docs/lifecycle.md §14);
 * then the real FIFOs, console socket, attach socket and notify relay in
 * a scratch directory, driven through conmon.c's event loop. */
#include "testing.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* unit.h's CHECK evaluates its condition more than once; conditions that
 * do I/O are evaluated here exactly once. */
#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		int ok_ = !!(cond);                                            \
		CHECK(ok_, __VA_ARGS__);                                       \
		if (!ok_)                                                      \
			printf("#   %s\n", #cond);                             \
	} while (0)

/* ------------------------------------------------------------------ */
/* ctl lines: every row of docs/ctl.md §3, then the edges of the grammar. */

struct ctl_case {
	const char *line;
	int rc, type, rows, cols; /* rows/cols checked only when rc == 0 */
	const char *warning;	  /* expected text when rc < 0 */
};

#define OK(l, t, r, c)                                                         \
	{                                                                      \
		l, 0, t, r, c, NULL                                            \
	}
#define BAD(l, code, text)                                                     \
	{                                                                      \
		l, code, 0, 0, 0, text                                         \
	}
#define FORMAT "Invalid control message format"
#define SIZE(h, w)                                                             \
	"Invalid window size: " #h "x" #w " (must be between 0 and 1000)"

static const struct ctl_case ctl_cases[] = {
    /* The examples table. */
    OK("1 2 2", 1, 2, 2),
    OK("1 0010 0020", 1, 10, 20),
    OK("1 1000 1000", 1, 1000, 1000),
    OK("1 2 2 3", 1, 2, 2),
    BAD("1 -1 -1", CTL_ESIZE, SIZE(-1, -1)),
    BAD("1 1001 1000", CTL_ESIZE, SIZE(1001, 1000)),
    BAD("1 1000 1001", CTL_ESIZE, SIZE(1000, 1001)),
    BAD("1 65535 65535", CTL_ESIZE, SIZE(65535, 65535)),
    BAD("1 100000 100000", CTL_ESIZE, SIZE(100000, 100000)),
    BAD("1 2", CTL_EFORMAT, FORMAT),
    BAD("1", CTL_EFORMAT, FORMAT),
    BAD("foo", CTL_EFORMAT, FORMAT),
    BAD("999", CTL_EFORMAT, FORMAT),
    BAD("999 2 2", CTL_ETYPE, "Invalid control message type: 999"),
    BAD("1 10.5 20.3", CTL_EFORMAT, FORMAT),
    BAD("1 0x10 0x20", CTL_EFORMAT, FORMAT),
    OK("2 1 1", 2, 1, 1),
    OK("2 0 0", 2, 0, 0),

    /* The validation table, in its order: format, type, size. */
    BAD("3 -1 -1", CTL_ETYPE, "Invalid control message type: 3"),
    BAD("0 2 2", CTL_ETYPE, "Invalid control message type: 0"),
    BAD("-1 2 2", CTL_ETYPE, "Invalid control message type: -1"),
    BAD("2 -5 0", CTL_ESIZE, SIZE(-5, 0)),
    BAD("2 0 1001", CTL_ESIZE, SIZE(0, 1001)),
    BAD("x 2000 2000", CTL_EFORMAT, FORMAT),

    /* Grammar: blanks, signs, leading zeros, the ignored rest. */
    OK(" \t1\t2 \t 3", 1, 2, 3),
    OK("1\t\t5\t6", 1, 5, 6),
    OK("+1 +2 +3", 1, 2, 3),
    OK("1 -0 +0", 1, 0, 0),
    OK("1 00000000000000000000000000005 000006", 1, 5, 6),
    OK("1 2 2x", 1, 2, 2),
    OK("1 2 2.5", 1, 2, 2),
    OK("1 2 2\r", 1, 2, 2),
    OK("1 2 3 4 5 6 7 8 9", 1, 2, 3),
    BAD("", CTL_EFORMAT, FORMAT),
    BAD(" \t ", CTL_EFORMAT, FORMAT),
    BAD("1 2 ", CTL_EFORMAT, FORMAT),
    BAD("1 2x 3", CTL_EFORMAT, FORMAT),
    BAD("1x 2 3", CTL_EFORMAT, FORMAT),
    BAD("1 - 2 2", CTL_EFORMAT, FORMAT),
    BAD("1 +-2 2", CTL_EFORMAT, FORMAT),
    BAD("1 2 +", CTL_EFORMAT, FORMAT),
    BAD("1,2,2", CTL_EFORMAT, FORMAT),
    BAD("1\v2 2", CTL_EFORMAT, FORMAT),
    BAD("1 1e3 1", CTL_EFORMAT, FORMAT),
    BAD("1 0x10 20", CTL_EFORMAT, FORMAT),
    BAD("1 .5 5", CTL_EFORMAT, FORMAT),
    BAD("one 2 2", CTL_EFORMAT, FORMAT),

    /* 32-bit int overflow is rejected, never wrapped into range. */
    BAD("1 99999999999 2", CTL_EFORMAT, FORMAT),
    BAD("1 2 99999999999", CTL_EFORMAT, FORMAT),
    BAD("99999999999 2 2", CTL_EFORMAT, FORMAT),
    BAD("1 4294967298 2", CTL_EFORMAT, FORMAT), /* 2^32 + 2 */
    BAD("1 2147483648 0", CTL_EFORMAT, FORMAT),
    BAD("1 -2147483649 0", CTL_EFORMAT, FORMAT),
    BAD("1 2147483647 0", CTL_ESIZE, SIZE(2147483647, 0)),
    BAD("1 -2147483648 0", CTL_ESIZE, SIZE(-2147483648, 0)),
    BAD("4294967297 1 1", CTL_EFORMAT, FORMAT), /* 2^32 + 1 */
    BAD("1 999999999999999999999999999999 1", CTL_EFORMAT, FORMAT),
};

static void test_ctl_cases(void)
{
	size_t i;

	unit_name = "ctl_parse";
	for (i = 0; i < sizeof(ctl_cases) / sizeof(ctl_cases[0]); i++) {
		const struct ctl_case *c = &ctl_cases[i];
		int type = -7, rows = -7, cols = -7, rc;
		char text[128];

		rc = ctl_parse(c->line, strlen(c->line), &type, &rows, &cols);
		if (c->rc == 0) {
			CHECK(rc == 0 && type == c->type && rows == c->rows &&
				  cols == c->cols,
			      "\"%s\" -> %d %d %d (rc %d)", c->line, type, rows,
			      cols, rc);
			continue;
		}
		CHECK(rc == c->rc, "\"%s\" rejected with code %d (got %d)",
		      c->line, c->rc, rc);
		ctl_error_text(text, sizeof(text), rc, type, rows, cols);
		CHECK_STR(text, c->warning, "\"%s\" warning text", c->line);
	}
}

/* The parser reads only len bytes: no NUL needed, none honoured. */
static void test_ctl_lengths(void)
{
	static const char nul[] = "1 2\0003";
	char exact[5] = {'1', ' ', '2', ' ', '3'}; /* no terminator */
	int type, rows, cols;

	unit_name = "ctl_parse";
	CHECK(ctl_parse(exact, sizeof(exact), &type, &rows, &cols) == 0 &&
		  rows == 2 && cols == 3,
	      "an unterminated buffer is parsed by length");
	CHECK(ctl_parse("1 2 3", 4, &type, &rows, &cols) == CTL_EFORMAT,
	      "the third field cut off by len is missing");
	CHECK(ctl_parse(nul, sizeof(nul) - 1, &type, &rows, &cols) ==
		  CTL_EFORMAT,
	      "an embedded NUL is not a blank");
	CHECK(ctl_parse("1 2 2\n1 3 3", 11, &type, &rows, &cols) == 0 &&
		  rows == 2 && cols == 2,
	      "text after a newline is only the ignored rest");
	CHECK(ctl_parse("1\n2 2", 5, &type, &rows, &cols) == CTL_EFORMAT,
	      "a newline is not a blank");
}

/* ------------------------------------------------------------------ */
/* winsz lines (docs/ctl.md §4). */

static void test_winsz(void)
{
	static const struct {
		const char *line;
		int rc, rows, cols;
		const char *warning;
	} cases[] = {
	    {"10 20", 0, 10, 20, NULL},
	    {"  10\t20 extra fields", 0, 10, 20, NULL},
	    {"0 0", 0, 0, 0, NULL},
	    {"1000 1000", 0, 1000, 1000, NULL},
	    {"007 +8", 0, 7, 8, NULL},
	    {"10", CTL_EWINSZ, 0, 0, "Failed to parse window size"},
	    {"", CTL_EWINSZ, 0, 0, "Failed to parse window size"},
	    {"a b", CTL_EWINSZ, 0, 0, "Failed to parse window size"},
	    {"0x10 5", CTL_EWINSZ, 0, 0, "Failed to parse window size"},
	    {"10.5 5", CTL_EWINSZ, 0, 0, "Failed to parse window size"},
	    {"99999999999 1", CTL_EWINSZ, 0, 0, "Failed to parse window size"},
	    {"1001 5", CTL_ESIZE, 1001, 5, SIZE(1001, 5)},
	    {"-1 5", CTL_ESIZE, -1, 5, SIZE(-1, 5)},
	    {"5 65535", CTL_ESIZE, 5, 65535, SIZE(5, 65535)},
	};
	size_t i;

	unit_name = "winsz_parse";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rows = -7, cols = -7, rc;
		char text[128];

		rc = winsz_parse(cases[i].line, strlen(cases[i].line), &rows,
				 &cols);
		if (cases[i].rc == 0) {
			CHECK(rc == 0 && rows == cases[i].rows &&
				  cols == cases[i].cols,
			      "\"%s\" -> %d %d (rc %d)", cases[i].line, rows,
			      cols, rc);
			continue;
		}
		CHECK(rc == cases[i].rc,
		      "\"%s\" rejected with code %d (got %d)", cases[i].line,
		      cases[i].rc, rc);
		if (rc == CTL_ESIZE)
			CHECK(rows == cases[i].rows && cols == cases[i].cols,
			      "\"%s\" reports the size it read", cases[i].line);
		ctl_error_text(text, sizeof(text), rc, 0, rows, cols);
		CHECK_STR(text, cases[i].warning, "\"%s\" warning text",
			  cases[i].line);
	}
}

/* ------------------------------------------------------------------ */
/* The line splitter (docs/ctl.md §2). */

#define MAX_LINES 16

struct collected {
	int lines, too_long, commands;
	char text[MAX_LINES][CTL_LINE_MAX];
	size_t len[MAX_LINES];
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct collected *c = ctx;
	int type, rows, cols;

	if (!line) {
		c->too_long++;
		return;
	}
	if (ctl_parse(line, len, &type, &rows, &cols) == 0)
		c->commands++;
	if (c->lines < MAX_LINES) {
		memcpy(c->text[c->lines], line, len);
		c->text[c->lines][len] = '\0';
		c->len[c->lines] = len;
	}
	c->lines++;
}

/* Feed data in pieces of step bytes, as reads of that size would. */
static void feed(struct ctl_line *l, struct collected *c, const char *data,
		 size_t len, size_t step)
{
	while (len) {
		size_t n = len < step ? len : step;

		ctl_line_feed(l, data, n, collect, c);
		data += n;
		len -= n;
	}
}

static void test_splitter_basics(void)
{
	static const size_t steps[] = {1, 2, 3, 7, 512, 100000};
	const char *input = "1 2 2\n2 0 0\n\n1 0x10 20\n1 30 40\n";
	size_t i;

	unit_name = "ctl_line_feed";
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct ctl_line l = {0};
		struct collected c = {0};

		feed(&l, &c, input, strlen(input), steps[i]);
		CHECK(c.lines == 5 && c.too_long == 0 && c.commands == 3,
		      "reads of %zu bytes: 5 lines, 3 commands (got %d, %d)",
		      steps[i], c.lines, c.commands);
		CHECK_STR(c.text[0], "1 2 2", "reads of %zu: first line",
			  steps[i]);
		CHECK(c.len[2] == 0, "reads of %zu: the empty line is a line",
		      steps[i]);
		CHECK_STR(c.text[4], "1 30 40",
			  "reads of %zu: the line after an invalid one runs",
			  steps[i]);
		CHECK(l.len == 0 && !l.discarding,
		      "reads of %zu: nothing left pending", steps[i]);
	}
}

static void test_splitter_pending(void)
{
	struct ctl_line l = {0};
	struct collected c = {0};

	unit_name = "ctl_line_feed";
	ctl_line_feed(&l, "1 2", 3, collect, &c);
	CHECK(c.lines == 0 && l.len == 3, "an unterminated line waits");
	ctl_line_feed(&l, " 2", 2, collect, &c);
	CHECK(c.lines == 0, "still no newline, still waiting");
	ctl_line_feed(&l, "\n1 5", 4, collect, &c);
	CHECK(c.lines == 1 && c.commands == 1 &&
		  strcmp(c.text[0], "1 2 2") == 0,
	      "the newline completes the line across three reads");
	CHECK(l.len == 3, "the start of the next line is kept");
}

/* 198 bytes + newline is the longest valid line; 199 + newline is not. */
static void test_splitter_limit(void)
{
	char line[CTL_LINE_MAX + 2];
	struct ctl_line l = {0};
	struct collected c = {0};
	size_t n;

	unit_name = "ctl_line_feed";
	memset(line, ' ', sizeof(line));
	memcpy(line, "1 2 2", 5);

	n = CTL_LINE_MAX - 2; /* 198 */
	line[n] = '\n';
	ctl_line_feed(&l, line, n + 1, collect, &c);
	CHECK(c.lines == 1 && c.len[0] == n && c.commands == 1 &&
		  c.too_long == 0,
	      "a line of 199 bytes with its newline is executed");

	memset(&c, 0, sizeof(c));
	line[n] = ' ';
	n = CTL_LINE_MAX - 1; /* 199 */
	line[n] = '\n';
	ctl_line_feed(&l, line, n + 1, collect, &c);
	CHECK(c.lines == 0 && c.too_long == 1,
	      "a line of 200 bytes with its newline is never executed");
	CHECK(l.len == 0 && !l.discarding,
	      "its newline was seen: nothing is being discarded");

	memset(&c, 0, sizeof(c));
	ctl_line_feed(&l, line, n, collect, &c);
	CHECK(c.too_long == 1 && l.discarding,
	      "199 bytes without a newline start the discard at once");
	ctl_line_feed(&l, "2 0 0\n", 6, collect, &c);
	CHECK(c.lines == 0 && c.too_long == 1 && !l.discarding,
	      "its tail is dropped, not run as a line of its own");
}

/* The upstream test: a 65 KiB line starting with "1 2 2 " must not
 * resize; a valid line after it must. */
static void test_splitter_long_line(void)
{
	static const size_t steps[] = {1,   7,	  199,	 200,
				       512, 4096, 65536, 1 << 20};
	const size_t hashes = 65 * 1024;
	size_t total, i;
	char *buf;

	unit_name = "ctl_line_feed";
	buf = malloc(hashes + 64);
	if (!buf)
		abort();
	memcpy(buf, "1 2 2 ", 6);
	memset(buf + 6, '#', hashes);
	total = 6 + hashes;
	memcpy(buf + total, "\n1 3 4\n", 7);
	total += 7;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct ctl_line l = {0};
		struct collected c = {0};

		feed(&l, &c, buf, total, steps[i]);
		CHECK(c.too_long == 1,
		      "reads of %zu: the long line is reported once (%d)",
		      steps[i], c.too_long);
		CHECK(c.lines == 1 && c.commands == 1 &&
			  strcmp(c.text[0], "1 3 4") == 0,
		      "reads of %zu: only the line after it runs", steps[i]);
	}

	/* The long line last in the input, its newline still to come. */
	{
		struct ctl_line l = {0};
		struct collected c = {0};

		feed(&l, &c, buf, 6 + hashes, 4096);
		CHECK(c.too_long == 1 && c.lines == 0 && l.discarding,
		      "without its newline the line stays discarded");
		feed(&l, &c, "###\n2 0 0\n", 10, 4096);
		CHECK(c.lines == 1 && strcmp(c.text[0], "2 0 0") == 0,
		      "the next line after the late newline runs");
	}
	free(buf);
}

/* ------------------------------------------------------------------ */
/* sd-notify filter (docs/lifecycle.md §14). */

static void test_notify_filter(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"READY=1", "READY=1"},
	    {"READY=1\n", "READY=1"},
	    {"MAINPID=42", ""},
	    {"READY=1\nMAINPID=42\nSTATUS=serving", "READY=1\nSTATUS=serving"},
	    {"MAINPID=1\rREADY=1\r\nWATCHDOG=trigger\n",
	     "READY=1\nWATCHDOG=trigger"},
	    {"RELOADING=1\nSTOPPING=1\nWATCHDOG=1",
	     "RELOADING=1\nSTOPPING=1\nWATCHDOG=1"},
	    {"ERRNO=2\nBUSERROR=org.x.Err\nMONOTONIC_USEC=123",
	     "ERRNO=2\nBUSERROR=org.x.Err\nMONOTONIC_USEC=123"},
	    {"STATUS=", "STATUS="},
	    {"READY=10\nREADY=\nready=1\n READY=1\nWATCHDOG=2", ""},
	    {"FDSTORE=1\nBARRIER=1\nFDNAME=x\nWATCHDOG_USEC=5", ""},
	    {"\n\n\r\r", ""},
	    {"", ""},
	    {"X=1\nSTATUS=a\rb", "STATUS=a"},
	};
	size_t i;

	unit_name = "notify_filter";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		size_t n = strlen(cases[i].in);

		memcpy(buf, cases[i].in, n);
		n = notify_filter(buf, n);
		buf[n] = '\0';
		CHECK_STR(buf, cases[i].out, "case %zu", i);
	}
}

/* ------------------------------------------------------------------ */
/* The real thing: FIFOs and sockets in a scratch directory, dispatched by
 * conmon.c's loop.  sock.c keeps one static instance of everything, so
 * these run in order and build on each other. */

static char tmp[64], bundle[128];

/* Dispatch until the loop has been idle for 10 ms: every event these
 * tests cause is queued before they call this. */
static void settle(void)
{
	while (loop_run_once(10) > 0)
		;
}

static char *at(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", tmp, rel);
	return p;
}

/* Write all of data to a non-blocking FIFO, letting the loop drain it
 * whenever it is full (a 65 KiB line does not fit a pipe at once). */
static void fifo_write(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	while (fd >= 0 && len) {
		ssize_t n = write(fd, data, len);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			break;
		} else {
			loop_run_once(50);
		}
	}
	if (fd >= 0)
		close(fd);
	settle();
}

static void ctl_say(const char *text)
{
	fifo_write(at("b/ctl"), text, strlen(text));
}

static int pty_slave = -1;

static void pty_size(int *rows, int *cols)
{
	struct winsize ws = {0};

	ioctl(pty_slave, TIOCGWINSZ, &ws);
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

#define EXPECT_SIZE(r, c, ...)                                                 \
	do {                                                                   \
		int r_, c_;                                                    \
		pty_size(&r_, &c_);                                            \
		CHECK(r_ == (r) && c_ == (c), __VA_ARGS__);                    \
		if (r_ != (r) || c_ != (c))                                    \
			printf("#   pty is %dx%d\n", r_, c_);                  \
	} while (0)

static int unix_connect(int type, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_fds(int sock, const char *payload, size_t len, const int *fds,
		    int nfds)
{
	char ctrl[CMSG_SPACE(2 * sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	if (nfds) {
		msg.msg_control = ctrl;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

static int open_pty_master(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1;
	return m;
}

/* Run fn in a child, stderr captured; returns its exit status. */
static int in_child(void (*fn)(void), char *out, size_t cap)
{
	int p[2], st;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		fn();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* --- console socket: the malformed messages, each in its own child --- */

static const char *console_mode;

static void console_child(void)
{
	int m = open_pty_master(), fds[2] = {m, m}, c;
	static char big[5000];

	console_create();
	c = unix_connect(SOCK_STREAM, console_path());
	if (!strcmp(console_mode, "nofd"))
		send_fds(c, "/dev/pts/9", 10, NULL, 0);
	else if (!strcmp(console_mode, "twofds"))
		send_fds(c, "/dev/pts/9", 10, fds, 2);
	else if (!strcmp(console_mode, "big"))
		send_fds(c, big, sizeof(big), fds, 1);
	else if (!strcmp(console_mode, "eof"))
		shutdown(c, SHUT_WR);
	else if (!strcmp(console_mode, "good"))
		send_fds(c, "/dev/pts/9", 10, fds, 1);
	/* The runtime exited: take what it queued, as the lifecycle does
	 * before concluding that no terminal was set up. */
	console_check_pending();
	_exit(io_has_console() ? 0 : 3);
}

static void test_console_errors(void)
{
	static const char *const bad[] = {"nofd", "twofds", "big", "eof"};
	char out[4096];
	size_t i;
	int st;

	unit_name = "console socket";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		console_mode = bad[i];
		st = in_child(console_child, out, sizeof(out));
		EXPECT(st == 1 &&
			   unit_count_of(out, "Failed to receive console file "
					      "descriptor") == 1,
		       "%s: fatal with the documented text", bad[i]);
	}
	console_mode = "good";
	st = in_child(console_child, out, sizeof(out));
	EXPECT(st == 0,
	       "a connection queued before the runtime exited is "
	       "taken by console_check_pending (status %d)",
	       st);
	console_mode = "none";
	st = in_child(console_child, out, sizeof(out));
	EXPECT(st == 3, "no connection at all: no console, no error");
	EXPECT(unit_count_of(out, "conmon-term") == 0 &&
		   unit_count_of(out, "[conmon:") == 0,
	       "no connection: nothing said");
}

/* --- ctl and winsz FIFOs, the console, and resizes end to end --- */

static void test_fifos_and_console(void)
{
	const char *s;
	struct stat st;
	static char longline[66000], flood[20000 * 6];
	char path[256];
	int master, c, i;

	unit_name = "ctl fifo";
	cfg.bundle = bundle;
	mkdir(cfg.bundle, 0755);
	/* Leftovers of an earlier run are replaced by fresh FIFOs. */
	close(open(at("b/ctl"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	mkfifo(at("b/winsz"), 0600);
	ctl_create();
	EXPECT(stat(at("b/ctl"), &st) == 0 && S_ISFIFO(st.st_mode) &&
		   (st.st_mode & 07777) == 0640,
	       "ctl is a FIFO, mode 0640 under umask 022 (replaced a file)");
	EXPECT(stat(at("b/winsz"), &st) == 0 && S_ISFIFO(st.st_mode) &&
		   (st.st_mode & 07777) == 0640,
	       "winsz is a FIFO, mode 0640");
	ctl_start();

	/* Before the pty: a resize waits in winsz. */
	unit_capture_start();
	ctl_say("1 7 9\n");
	s = unit_capture_end();
	EXPECT(unit_count_of(s, "[conmon:w]") == 0, "a valid line: no warning");

	/* Nobody drains winsz before the pty: when it is full, conmon's
	 * writer drops the resize instead of blocking. */
	for (i = 0; i < 20000; i++)
		memcpy(flood + 6 * i, "1 1 1\n", 6);
	unit_capture_start();
	fifo_write(at("b/ctl"), flood, sizeof(flood));
	s = unit_capture_end();
	EXPECT(unit_count_of(s,
			     "Failed to write to window resizing fd. A resize "
			     "event may have been dropped") >= 1,
	       "a full winsz drops resizes with the documented warning");

	unit_name = "console socket";
	setenv("TMPDIR", tmp, 1);
	console_create();
	snprintf(path, sizeof(path), "%s/conmon-term.", tmp);
	EXPECT(strncmp(console_path(), path, strlen(path)) == 0 &&
		   strlen(console_path()) == strlen(path) + 6,
	       "the console socket is $TMPDIR/conmon-term.XXXXXX");
	EXPECT(stat(console_path(), &st) == 0 && S_ISSOCK(st.st_mode),
	       "it is a listening socket");
	console_watch();
	master = open_pty_master();
	pty_slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	c = unix_connect(SOCK_STREAM, console_path());
	settle();
	EXPECT(c >= 0 && stat(console_path(), &st) < 0 && errno == ENOENT,
	       "the path is unlinked as soon as the runtime connected");
	EXPECT(!io_has_console(), "the fd has not been sent yet: waiting");
	send_fds(c, "/dev/pts/0", 10, &master, 1);
	settle();
	EXPECT(io_has_console(), "the pty master arrived");
	close(c);
	close(master);

	unit_name = "winsz";
	EXPECT_SIZE(1, 1, "the resizes queued before the pty are applied");
	{
		struct termios tio;

		tcgetattr(pty_slave, &tio);
		CHECK(tio.c_oflag & ONLCR, "ONLCR is set on the pty");
	}

	/* Every row of the examples table, in order, on a live pty. */
	unit_name = "ctl fifo";
	ctl_say("1 2 2\n");
	EXPECT_SIZE(2, 2, "1 2 2 -> 2x2");
	ctl_say("1 0010 0020\n");
	EXPECT_SIZE(10, 20, "1 0010 0020 -> 10x20");
	ctl_say("1 1000 1000\n");
	EXPECT_SIZE(1000, 1000, "1 1000 1000 -> 1000x1000");
	ctl_say("1 2 2 3\n");
	EXPECT_SIZE(2, 2, "1 2 2 3 -> 2x2");
	{
		static const char *const rejected[] = {
		    "1 -1 -1",
		    "1 1001 1000",
		    "1 1000 1001",
		    "1 65535 65535",
		    "1 100000 100000",
		    "1 2",
		    "1",
		    "foo",
		    "999",
		    "999 2 2",
		    "1 10.5 20.3",
		    "1 0x10 0x20",
		    "1 99999999999 2",
		    "2 -1 0",
		};
		size_t k;

		for (k = 0; k < sizeof(rejected) / sizeof(rejected[0]); k++) {
			char line[64];

			/* Identical warnings in a burst are collapsed by
			 * diag(), so only the effect is checked per row. */
			snprintf(line, sizeof(line), "%s\n", rejected[k]);
			unit_capture_start();
			ctl_say(line);
			unit_capture_end();
			EXPECT_SIZE(2, 2, "\"%s\" leaves the size alone",
				    rejected[k]);
		}
	}
	unit_capture_start();
	ctl_say("999 2 2\n");
	ctl_say("1 1001 5\n");
	ctl_say("one\n");
	s = unit_capture_end();
	EXPECT(unit_count_of(s, "Invalid control message type: 999\n") == 1 &&
		   unit_count_of(s, "Invalid window size: 1001x5 (must be "
				    "between 0 and 1000)\n") == 1 &&
		   unit_count_of(s, "Invalid control message format\n") == 1,
	       "the warnings are the documented texts");

	/* The upstream test: 65 000 '#' after "1 2 2 " never resize. */
	memcpy(longline, "1 2 2 ", 6);
	memset(longline + 6, '#', 65000);
	memcpy(longline + 65006, "\n1 3 4\n", 7);
	ctl_say("1 5 5\n");
	unit_capture_start();
	fifo_write(at("b/ctl"), longline, 65006 + 1);
	s = unit_capture_end();
	EXPECT_SIZE(5, 5, "a 65 KiB line starting with 1 2 2 does nothing");
	EXPECT(unit_count_of(s, "Could not find newline in entire buffer") == 1,
	       "and is reported once");
	fifo_write(at("b/ctl"), longline, 65006 + 7);
	EXPECT_SIZE(3, 4, "the line after a long one runs");

	/* Several lines in one write each run; an invalid one in between
	 * does not stop the next. */
	unit_capture_start();
	ctl_say("1 11 12\n1 0x10 20\n1 13 14\n");
	s = unit_capture_end();
	EXPECT_SIZE(13, 14, "three lines in one write: the last one wins");
	EXPECT(unit_count_of(s, "Invalid control message format") == 1,
	       "the invalid middle line is reported");

	/* A line in pieces, as a slow writer sends it. */
	{
		int fd = open(at("b/ctl"), O_WRONLY | O_CLOEXEC);

		(void)!write(fd, "1 2", 3);
		settle();
		(void)!write(fd, "1 4", 3);
		settle();
		EXPECT_SIZE(13, 14, "half a line does nothing yet");
		(void)!write(fd, "2\n", 2);
		settle();
		EXPECT_SIZE(21, 42, "the completed line runs");
		close(fd);
	}

	unit_capture_start();
	ctl_say("2 0 0\n");
	s = unit_capture_end();
	EXPECT(unit_count_of(s, "[conmon:w]") == 0,
	       "2 0 0 (reopen) is accepted");

	/* winsz is honoured from any writer. */
	unit_name = "winsz";
	fifo_write(at("b/winsz"), "30 40\n", 6);
	EXPECT_SIZE(30, 40, "a line written to winsz resizes");
	unit_capture_start();
	fifo_write(at("b/winsz"), "30\n1001 1\n", 10);
	s = unit_capture_end();
	EXPECT_SIZE(30, 40, "invalid winsz lines do nothing");
	EXPECT(unit_count_of(s, "Failed to parse window size") == 1 &&
		   unit_count_of(s, "Invalid window size: 1001x1") == 1,
	       "and say why");
}

/* --- the attach socket --- */

#define NCLIENT 33

static int client[NCLIENT];

static ssize_t client_recv(int fd, char *buf, size_t cap, int *trunc)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (trunc)
		*trunc = !!(msg.msg_flags & MSG_TRUNC);
	return n;
}

/* Offer a chunk to the clients as io.c does: a new chunk, or the same
 * one again. */
static uint32_t offer_seq;

static bool offer_again(const char *data, size_t len, enum stream s)
{
	struct chunk c = {data, len, s, offer_seq, false};

	return attach_deliver(&c);
}

static bool offer(const char *data, size_t len, enum stream s)
{
	offer_seq++;
	return offer_again(data, len, s);
}

static void test_attach(void)
{
	static char pkt[8193], buf[9000];
	const char *s;
	struct stat st;
	int i, ok, trunc, got0, got1;

	unit_name = "attach";
	cfg.bundle = bundle;
	cfg.full_attach = true;
	close(open(at("b/attach"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	attach_create();
	EXPECT(stat(at("b/attach"), &st) == 0 && S_ISSOCK(st.st_mode) &&
		   (st.st_mode & 0777) == 0700,
	       "--full-attach: <bundle>/attach, a socket of mode 0700, "
	       "replacing what was there");
	attach_start();

	/* One more client than there are slots. */
	unit_capture_start();
	for (i = 0; i < NCLIENT; i++) {
		client[i] = unix_connect(SOCK_SEQPACKET, at("b/attach"));
		settle();
	}
	s = unit_capture_end();
	for (ok = 1, i = 0; i < NCLIENT - 1; i++)
		ok &= client[i] >= 0 &&
		      client_recv(client[i], buf, 1, NULL) < 0 &&
		      errno == EAGAIN;
	EXPECT(ok, "32 clients are served");
	EXPECT(client_recv(client[NCLIENT - 1], buf, 1, NULL) == 0,
	       "the 33rd is closed at once");
	EXPECT(unit_count_of(s, "All 32 attach slots are in use") == 1,
	       "and that is said");

	/* Every client gets every packet, whole: a chunk goes out in
	 * STDIO_BUF_SIZE slices behind the stream's type byte. */
	memset(pkt, 'x', sizeof(pkt));
	EXPECT(offer("hello", 5, STREAM_STDOUT) &&
		   offer(pkt, 8192, STREAM_STDERR),
	       "a short and a full chunk are taken at once");
	for (ok = 1, i = 0; i < NCLIENT - 1; i++) {
		ok &= client_recv(client[i], buf, sizeof(buf), NULL) == 6 &&
		      !memcmp(buf, "\2hello", 6);
		ok &= client_recv(client[i], buf, 8193, &trunc) == 8193 &&
		      !trunc && buf[0] == STREAM_STDERR;
	}
	EXPECT(ok, "each client receives [2]hello and an 8193-byte packet");
	EXPECT(offer(pkt, 3 * 8192 + 100, STREAM_STDOUT),
	       "a chunk of four slices is taken");
	for (ok = 1, i = 0; i < NCLIENT - 1; i++) {
		for (int k = 0; k < 3; k++)
			ok &= client_recv(client[i], buf, sizeof(buf), NULL) ==
			      8193;
		ok &= client_recv(client[i], buf, sizeof(buf), NULL) == 101;
	}
	EXPECT(ok, "as packets of 8193, 8193, 8193 and 101 bytes");

	/* Keep two clients; the others leave. */
	for (i = 2; i < NCLIENT; i++)
		close(client[i]);
	settle();

	/* Client 0 never reads, client 1 does: once client 0's queue is
	 * full the chunk is not taken, and the rest waits for client 0, at
	 * its place in the chunk, however long; nothing is dropped. */
	for (got1 = 0, i = 0; i < 2000 && offer(pkt, sizeof(pkt) - 1,
						 STREAM_STDOUT);
	     i++)
		while (client_recv(client[1], buf, sizeof(buf), NULL) == 8193)
			got1++;
	EXPECT(i < 2000, "a client that does not read holds a chunk back "
			 "(after %d)",
	       i);
	while (client_recv(client[1], buf, sizeof(buf), NULL) == 8193)
		got1++;
	EXPECT(got1 == i + 1, "the reading client got every chunk offered "
			      "(%d of %d)",
	       got1, i + 1);
	EXPECT(!offer_again(pkt, sizeof(pkt) - 1, STREAM_STDOUT),
	       "offered again, it still waits");
	for (got0 = 0; client_recv(client[0], buf, sizeof(buf), NULL) == 8193;)
		got0++;
	EXPECT(got0 == i, "the slow client had every earlier chunk (%d)",
	       got0);
	settle(); /* its EPOLLOUT: behind no more */
	EXPECT(offer_again(pkt, sizeof(pkt) - 1, STREAM_STDOUT),
	       "once it reads, the chunk is taken");
	EXPECT(client_recv(client[0], buf, sizeof(buf), NULL) == 8193 &&
		   client_recv(client[0], buf, sizeof(buf), NULL) < 0 &&
		   client_recv(client[1], buf, sizeof(buf), NULL) < 0,
	       "the slow client got the held packet, once; the other one "
	       "nothing twice");

	/* Half-close: client 1 stops sending, still receives output, and
	 * conmon shuts its own read side (the client's sends now fail). */
	shutdown(client[1], SHUT_WR);
	settle();
	offer("after", 5, STREAM_STDOUT);
	EXPECT(client_recv(client[1], buf, sizeof(buf), NULL) == 6,
	       "a half-closed client still gets output");
	EXPECT(send(client[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		   errno == EPIPE,
	       "conmon shut down its read side");

	/* Client 0 stops reading for good: sending fails, conmon warns and
	 * stops sending to it. */
	client_recv(client[0], buf, sizeof(buf), NULL);
	shutdown(client[0], SHUT_RD);
	unit_capture_start();
	EXPECT(offer("gone", 4, STREAM_STDOUT),
	       "a client that cannot receive holds nothing back");
	s = unit_capture_end();
	EXPECT(unit_count_of(s, "Failed to write to remote console socket") ==
		   1,
	       "a failed send is reported");
	unit_capture_start();
	offer("gone", 4, STREAM_STDOUT);
	s = unit_capture_end();
	EXPECT(unit_count_of(s, "[conmon:w]") == 0, "and not tried again");
	EXPECT(client_recv(client[1], buf, sizeof(buf), NULL) == 5 &&
		   client_recv(client[1], buf, sizeof(buf), NULL) == 5,
	       "the other client still got both packets");

	/* Input with nowhere to go (no stdin in this test) is discarded and
	 * does not stall the client. */
	EXPECT(send(client[0], "typed", 5, MSG_NOSIGNAL) == 5,
	       "a client can send input");
	settle();
	EXPECT(ioctl(client[0], TIOCOUTQ, &i) == 0 && i == 0,
	       "and it is consumed");

	/* Slots are freed: the leavers' places can be taken again. */
	for (i = 2; i < NCLIENT - 1; i++) {
		client[i] = unix_connect(SOCK_SEQPACKET, at("b/attach"));
		settle();
	}
	for (ok = 1, i = 2; i < NCLIENT - 1; i++)
		ok &= client[i] >= 0 &&
		      client_recv(client[i], buf, 1, NULL) < 0 &&
		      errno == EAGAIN;
	EXPECT(ok, "30 new clients fill the freed slots");

	/* Shutdown: every client sees the data, then end of file. */
	offer("bye", 3, STREAM_STDOUT);
	attach_close_all();
	for (ok = 1, i = 1; i < NCLIENT - 1; i++) {
		ok &= client_recv(client[i], buf, sizeof(buf), NULL) == 4;
		ok &= client_recv(client[i], buf, sizeof(buf), NULL) == 0;
	}
	EXPECT(ok, "after attach_close_all clients get the last packet, "
		   "then EOF");
	for (i = 0; i < NCLIENT - 1; i++)
		close(client[i]);
	EXPECT(unix_connect(SOCK_SEQPACKET, at("b/attach")) < 0,
	       "the listener is closed");
	attach_remove();
	EXPECT(lstat(at("b/attach"), &st) < 0 && errno == ENOENT,
	       "attach_remove unlinks the socket");
	attach_remove();
	CHECK(1, "a second attach_remove is harmless");
}

static void test_attach_symlink(void)
{
	char sd[PATH_MAX], link[PATH_MAX + 64], target[PATH_MAX + 128],
	    dir[PATH_MAX];
	struct stat st;
	ssize_t n;
	size_t want;
	int fd;

	unit_name = "attach symlink";
	cfg.full_attach = false;
	cfg.cuuid = "0123456789abcdef";
	snprintf(sd, sizeof(sd), "%s", at("sock"));
	mkdir(sd, 0755);
	cfg.socket_dir_path = sd;
	snprintf(link, sizeof(link), "%s/%s", sd, cfg.cuuid);
	close(open(link, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	attach_create();
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	EXPECT(n > 0 && !strcmp(target, cfg.bundle),
	       "<socket-dir>/<cuuid> -> the bundle, replacing a file");
	snprintf(target, sizeof(target), "%s/attach", link);
	fd = unix_connect(SOCK_SEQPACKET, target);
	EXPECT(fd >= 0, "the socket is reachable through the link");
	EXPECT(stat(at("b/attach"), &st) == 0 && S_ISSOCK(st.st_mode),
	       "and lives in the bundle");
	attach_start();
	settle();
	attach_close_all();
	close(fd);
	attach_remove();
	EXPECT(lstat(at("b/attach"), &st) < 0, "attach_remove unlinks it");
	attach_remove_symlink();
	EXPECT(lstat(link, &st) < 0 && errno == ENOENT,
	       "attach_remove_symlink removes the link");

	/* The length quirk: a 107-byte name loses its last byte, and the
	 * removal at exit uses the full name, so the link stays. */
	snprintf(dir, sizeof(dir), "%s/", tmp);
	want = 107 - strlen(dir) - 1 - strlen(cfg.cuuid);
	memset(dir + strlen(dir), 'd', want);
	dir[strlen(tmp) + 1 + want] = '\0';
	mkdir(dir, 0755);
	cfg.socket_dir_path = dir;
	snprintf(link, sizeof(link), "%s/%s", dir, cfg.cuuid);
	CHECK(strlen(link) == 107, "a link name of 107 bytes");
	attach_create();
	EXPECT(lstat(link, &st) < 0, "is not created under its full name");
	link[106] = '\0';
	EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode),
	       "but under 106 bytes");
	snprintf(target, sizeof(target), "%s/attach", link);
	EXPECT(stat(target, &st) == 0 && S_ISSOCK(st.st_mode),
	       "with the socket behind it");
	attach_close_all();
	attach_remove();
	EXPECT(lstat(at("b/attach"), &st) < 0,
	       "attach_remove goes through the short link");
	attach_remove_symlink();
	EXPECT(lstat(link, &st) == 0, "the short link is left behind, as "
				      "upstream does");
	unlink(link);
}

static void attach_missing_bundle(void)
{
	cfg.full_attach = true;
	cfg.bundle = "/nonexistent/bundle";
	attach_create();
}

static void attach_missing_socket_dir(void)
{
	cfg.full_attach = false;
	cfg.bundle = bundle;
	cfg.socket_dir_path = "/nonexistent/sockdir";
	attach_create();
}

static void test_attach_errors(void)
{
	char out[4096];
	int st;

	unit_name = "attach errors";
	st = in_child(attach_missing_bundle, out, sizeof(out));
	EXPECT(st == 1 &&
		   unit_count_of(out, "failed to open socket path parent "
				      "dir /nonexistent/bundle") == 1,
	       "a missing bundle: the documented fatal text");
	st = in_child(attach_missing_socket_dir, out, sizeof(out));
	EXPECT(st == 1 &&
		   unit_count_of(out, "Failed to create symlink for notify "
				      "socket") == 1,
	       "a missing socket dir: the documented (misleading) fatal text");
}

/* --- sd-notify relay --- */

static void test_notify(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[256];
	const char *s;
	struct stat st;
	int host, ctr;
	ssize_t n;

	unit_name = "notify";
	host = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("host.sock"));
	bind(host, (struct sockaddr *)&sa, sizeof(sa));
	cfg.sdnotify_socket = at("host.sock");
	cfg.bundle = bundle;
	mkdir(at("b/notify"), 0755);
	close(open(at("b/notify/notify.sock"), O_CREAT | O_WRONLY | O_CLOEXEC,
		   0644));
	notify_setup();
	EXPECT(stat(at("b/notify/notify.sock"), &st) == 0 &&
		   S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0777,
	       "<bundle>/notify/notify.sock, mode 0777, replacing a file");

	ctr = unix_connect(SOCK_DGRAM, at("b/notify/notify.sock"));
	(void)!send(ctr, "READY=1\nMAINPID=7\nSTATUS=up", 27, 0);
	settle();
	n = recv(host, buf, sizeof(buf), MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	EXPECT(n > 0 && !strcmp(buf, "READY=1\nSTATUS=up"),
	       "allowed lines are relayed, MAINPID is not");
	(void)!send(ctr, "MAINPID=7", 9, 0);
	settle();
	EXPECT(recv(host, buf, sizeof(buf), MSG_DONTWAIT) < 0,
	       "nothing is sent when nothing is allowed");

	/* The host socket goes away: warn, and keep relaying. */
	close(host);
	unlink(at("host.sock"));
	unit_capture_start();
	(void)!send(ctr, "WATCHDOG=1", 10, 0);
	settle();
	s = unit_capture_end();
	EXPECT(unit_count_of(
		   s, "Failed to write to socket host notify socket") == 1,
	       "a failed relay is reported");
	host = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bind(host, (struct sockaddr *)&sa, sizeof(sa));
	(void)!send(ctr, "STOPPING=1", 10, 0);
	settle();
	n = recv(host, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT(n == 10, "and the relay goes on");
	close(ctr);
	close(host);
}

static void test_sockets(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_ctl.XXXXXX");
	if (!mkdtemp(tmp)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(bundle, sizeof(bundle), "%s/b", tmp);
	umask(022);
	loop_init();
	test_console_errors();
	test_fifos_and_console();
	test_attach();
	test_attach_symlink();
	test_attach_errors();
	test_notify();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		(void)!system(cmd);
	}
}

int main(void)
{
	test_ctl_cases();
	test_ctl_lengths();
	test_winsz();
	test_splitter_basics();
	test_splitter_pending();
	test_splitter_limit();
	test_splitter_long_line();
	test_notify_filter();
	test_sockets();
	return unit_done();
}
