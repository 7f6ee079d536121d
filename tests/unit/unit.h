/* unit.h - a tiny TAP harness for the C unit tests.
 *
 * Each CHECK is one TAP test line; tests/run-all counts them.  A test
 * binary ends with `return unit_done();`. */
#ifndef UNIT_H
#define UNIT_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdio.h>
#include <string.h>

static int unit_count, unit_failed;
static const char *unit_name = "unit";

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		int unit_ok__ = !!(cond);                                      \
		unit_count++;                                                  \
		if (!unit_ok__)                                                \
			unit_failed++;                                         \
		printf("%sok %d - %s: ", unit_ok__ ? "" : "not ", unit_count,  \
		       unit_name);                                             \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!unit_ok__)                                                \
			printf("#   at %s:%d: %s\n", __FILE__, __LINE__,       \
			       #cond);                                         \
		fflush(stdout);                                                \
	} while (0)

#define CHECK_STR(got, want, ...)                                              \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		int eq_ = g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_;           \
		CHECK(eq_, __VA_ARGS__);                                       \
		if (!eq_)                                                      \
			printf("#   got  \"%s\"\n#   want \"%s\"\n",           \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

/* What the code under test says on stderr between unit_capture_start()
 * and unit_capture_end(): conmon's diagnostics go to fd 2.  The text is
 * echoed as TAP comments, so a failing check shows what was said. */
#include <sys/mman.h>
#include <unistd.h>

static int unit_saved_stderr = -1, unit_capture_fd = -1;
static char unit_said[65536];

static inline void unit_capture_start(void)
{
	fflush(stderr);
	unit_capture_fd = memfd_create("stderr", MFD_CLOEXEC);
	unit_saved_stderr = dup(2);
	dup2(unit_capture_fd, 2);
}

static inline const char *unit_capture_end(void)
{
	ssize_t n;

	dup2(unit_saved_stderr, 2);
	close(unit_saved_stderr);
	n = pread(unit_capture_fd, unit_said, sizeof(unit_said) - 1, 0);
	close(unit_capture_fd);
	unit_said[n > 0 ? n : 0] = '\0';
	for (const char *p = unit_said; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("#   said: %.*s\n", len, p);
		p += len + (nl != NULL);
	}
	return unit_said;
}

/* How often needle occurs in hay. */
static inline int unit_count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static inline int unit_done(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed != 0;
}
#endif
